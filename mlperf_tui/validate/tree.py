"""The walk of a submitter folder: systems, benchmarks, scenarios, and the checks of each.

Mirrors the official checker's loader.py (the walk over results/<system>/<model>/<scenario>,
get_mlperf_model with model_mapping.json and its guesses from the folder name, check_scenarios
with the scenarios the system's category requires and allows) and
checks/structure_check.py; each scenario folder is handed to the groups: LoadGen logs,
accuracy, measurements, compliance, or the endpoints tool's folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.checker import (
    NAME_GUESSES,
    OPTIONAL_PERFORMANCE_FILES,
    PERFORMANCE_FILES,
    POWER_FILES,
    POWER_RUN_FILES,
)
from mlperf_tui.rules.model import Benchmark, Category, Division, Round, Scenario
from mlperf_tui.validate.accuracy import _check_accuracy
from mlperf_tui.validate.compliance import _check_compliance
from mlperf_tui.validate.context import (
    _STRICT_DIVISIONS,
    _Ctx,
    _dirs,
    _load_json,
    _require_files,
    layout_of,
)
from mlperf_tui.validate.endpoints import _check_endpoints, _is_endpoints_folder
from mlperf_tui.validate.findings import _Findings, _guarded
from mlperf_tui.validate.hygiene import _extra_files
from mlperf_tui.validate.logs import _check_performance_log
from mlperf_tui.validate.measurements import _check_measurements
from mlperf_tui.validate.power import _check_power_session
from mlperf_tui.validate.systems import _check_nameplate, _is_network, _read_system

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*\Z")  # \Z: "$" allows a last newline


def _check_submitter(f: _Findings, base: Path, division: str, round_rules: Round) -> None:
    submitter = base.name
    layout = layout_of(round_rules)
    if not _NAME_RE.match(submitter):
        f.error(
            "tree.bad-name",
            base,
            f'submitter folder "{submitter}" has characters the checker does not accept',
            "use letters, digits and . _ + - only",
        )
    code = layout.code_folder
    for needed in ("systems", code, "results"):
        if not (base / needed).is_dir():
            other = "src" if code == "code" else "code"
            hint = (
                f" (round {round_rules.version} names it {code}/; this tree has {other}/)"
                if needed == code and (base / other).is_dir()
                else ""
            )
            f.error(
                "tree.missing-folder",
                base / needed,
                f"{division}/{submitter} has no {needed}/ folder{hint}",
                f"rename {other}/ to {code}/"
                if hint
                else "rebuild the package with `mlperf-tui package RESULTS --out DIR`",
            )
    src = base / code
    if src.is_dir() and not any(src.iterdir()):
        f.error(
            "tree.missing-file",
            src,
            f"{code}/ is empty: the code that produced the results must be published",
            "rebuild the package (it copies the harness source)",
        )
    mapping = _read_model_mapping(f, base, round_rules)
    results = base / "results"
    systems_dir = base / "systems"
    if not results.is_dir():
        return
    system_dirs = _dirs(results)
    if not system_dirs:
        f.error("tree.no-results", results, "results/ holds no system", "rebuild the package")
    used = set()
    for system_dir in system_dirs:
        system = system_dir.name
        used.add(system)
        if not _NAME_RE.match(system):
            f.error(
                "tree.bad-name",
                system_dir,
                f'system folder "{system}" has characters the checker does not accept',
                "use letters, digits and . _ + - only",
            )
        data = _read_system(
            f,
            systems_dir / f"{system}.json",
            division=division,
            submitter=submitter,
            round_rules=round_rules,
        )
        st = data.get("system_type")
        system_type = st if isinstance(st, str) else ""
        bench_dirs = _dirs(system_dir)
        if not bench_dirs:
            f.error("tree.no-results", system_dir, f"{system} holds no benchmark", "rebuild")
        for bench_dir in bench_dirs:
            bench, guessed = _model_of(bench_dir.name, mapping, division, round_rules)
            if bench is None:
                f.error(
                    "tree.unknown-benchmark",
                    bench_dir,
                    f'"{bench_dir.name}" is not a benchmark of {round_rules.version}'
                    + (" (nor mapped in model_mapping.json)" if division == "open" else ""),
                    "name the folder after the checker's model (e.g. resnet)"
                    + (", or map it in model_mapping.json" if division == "open" else ""),
                )
                continue
            if guessed:
                f.notice(
                    "tree.guessed-benchmark",
                    bench_dir,
                    f'the official checker takes "{bench_dir.name}" for {bench.checker_model} '
                    "only by guessing from the folder's name",
                    f"name the folder {bench.checker_model}"
                    + (
                        f', or map it in model_mapping.json ("{bench_dir.name}": '
                        f'"{bench.checker_model}")'
                        if division == "open"
                        else ""
                    ),
                )
            _check_benchmark(
                f,
                bench_dir,
                base=base,
                bench=bench,
                division=division,
                system_type=system_type,
                is_network=_is_network(data),
                round_rules=round_rules,
            )
        if any((d / "performance" / "power").is_dir() for d in system_dir.glob("*/*")):
            _check_nameplate(f, base, system, round_rules.version)
    if systems_dir.is_dir():
        for extra in sorted(systems_dir.glob("*.json")):
            if extra.stem not in used:
                # the legacy checker refuses it ("systems has the following files with no
                # results"); the modular one does not look
                f.error(
                    "tree.unused-system",
                    extra,
                    f"systems/{extra.name} has no results",
                    "remove it, or add its results",
                )


def _read_model_mapping(f: _Findings, base: Path, round_rules: Round) -> dict[str, str]:
    mapping: dict[str, str] = {}
    mapping_path = base / "model_mapping.json"
    if not mapping_path.is_file():
        return mapping
    try:
        raw = _load_json(mapping_path)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        mapping = {str(k): str(v) for k, v in raw.items()}
    except (OSError, ValueError) as exc:
        f.error(
            "tree.bad-model-mapping",
            mapping_path,
            f"model_mapping.json cannot be read ({exc})",
            'write {"<your model folder>": "<checker model, e.g. resnet>"}',
        )
    known = {b.checker_model for b in round_rules.benchmarks.values()}
    for name, target in mapping.items():
        if target not in known and round_rules.model_mapping.get(target) not in known:
            f.error(
                "tree.bad-model-mapping",
                mapping_path,
                f'"{name}" maps to "{target}", which is no benchmark of {round_rules.version}',
                "map it to one of: " + ", ".join(sorted(known)),
            )
    return mapping


def _model_of(
    name: str, mapping: Mapping[str, str], division: str, round_rules: Round
) -> tuple[Benchmark | None, bool]:
    """The benchmark a model folder is, as the checker's get_mlperf_model finds it, and whether
    it found it only by guessing from the name."""
    by_checker = {b.checker_model: b for b in round_rules.benchmarks.values()}
    if name in by_checker:
        return by_checker[name], False
    mapped = round_rules.model_mapping.get(name)
    if mapped in by_checker:
        return by_checker[mapped], False
    if division == Division.OPEN.value:
        # the checker reads model_mapping.json in the open division only
        mapped = mapping.get(name)
        if mapped in by_checker:
            return by_checker[mapped], False
    for fragment, model in NAME_GUESSES:
        if fragment in name:
            guessed = round_rules.model_mapping.get(model, model)
            return by_checker.get(guessed), guessed in by_checker
    return None, False


def _category_of(system_type: str) -> list[Category]:
    parts = [p.strip().lower() for p in system_type.split(",")]
    return [c for c in Category if c.value in parts]


def _check_benchmark(
    f: _Findings,
    bench_dir: Path,
    *,
    base: Path,
    bench: Benchmark,
    division: str,
    system_type: str,
    is_network: bool,
    round_rules: Round,
) -> None:
    scenario_names = {s.value: s for s in Scenario}
    lower = {s.value.lower(): s.value for s in Scenario}
    found: list[str] = []
    for scenario_dir in _dirs(bench_dir):
        name = scenario_dir.name
        if name not in scenario_names:
            right = lower.get(name.lower())
            f.error(
                "tree.unknown-scenario",
                scenario_dir,
                f'"{name}" is not a scenario folder name'
                + (f' (the checker wants "{right}")' if right else ""),
                f"rename it to {right}" if right else "use " + ", ".join(scenario_names),
            )
            continue
        found.append(name)
    if not found:
        f.error(
            "tree.no-results",
            bench_dir,
            f"{bench_dir.name} holds no scenario",
            "rebuild the package from finished runs",
        )
    if division in _STRICT_DIVISIONS:
        categories = _category_of(system_type)
        if len(categories) == 1:
            try:
                required = {s.value for s in rules.required_scenarios(bench, categories[0])}
                allowed = {
                    s.value for s in rules.allowed_scenarios(bench, categories[0], Division.CLOSED)
                }
                one_of = {s.value for s in rules.required_one_of(bench, categories[0])}
            except MlperfTuiError as exc:
                f.error("tree.benchmark-not-in-category", bench_dir, exc.message, exc.fix)
                required, allowed, one_of = set(), set(found), set()
        elif len(categories) == 2:
            required = {s.value for s in bench.required_scenarios_datacenter_edge}
            optional = {s.value for s in bench.optional_scenarios_datacenter_edge}
            allowed = required | optional
            one_of = optional if {"Server", "Interactive"} <= optional else set()
        else:
            required, allowed, one_of = set(), set(scenario_names), set()
        missing = sorted(required - set(found))
        if missing:
            f.error(
                "tree.missing-scenario",
                bench_dir,
                f"the {division} division requires {', '.join(sorted(required))} for "
                f"{bench.name} ({system_type}); missing: {', '.join(missing)}",
                "add the missing scenarios to the profile (or infer them from SingleStream on "
                "edge) and run again",
            )
        if one_of and not one_of & set(found):
            f.error(
                "tree.missing-scenario",
                bench_dir,
                f"the {division} division requires one of {' or '.join(sorted(one_of))} for "
                f"{bench.name} ({system_type})",
                "add one of them to the profile and run again",
            )
        for name in sorted(set(found) - allowed):
            f.error(
                "tree.scenario-not-allowed",
                bench_dir / name,
                f"{name} is not a scenario of {bench.name} for {system_type} systems",
                f"remove {name}/",
            )
    layout = layout_of(round_rules)
    for name in found:
        ctx = _Ctx(
            base=base,
            division=division,
            system=bench_dir.parent.name,
            system_type=system_type,
            is_network=is_network,
            bench_folder=bench_dir.name,
            bench=bench,
            scenario=name,
            round_rules=round_rules,
            layout=layout,
        )
        _guarded(f, ctx.scenario_dir, _check_scenario, f, ctx)


def _check_scenario(f: _Findings, ctx: _Ctx) -> None:
    scenario_dir = ctx.scenario_dir
    if _is_endpoints_folder(scenario_dir):
        _check_endpoints(f, ctx)
        return
    performance_dir = scenario_dir / "performance"
    run_dir = performance_dir / "run_1"
    power = (performance_dir / "power").is_dir()
    if not run_dir.is_dir():
        f.error(
            "tree.missing-folder",
            run_dir,
            f"{ctx.scenario} has no performance/run_1 folder",
            "run the scenario in performance mode and rebuild the package",
        )
    else:
        present = _check_run_files(f, run_dir, power)
        if "mlperf_log_detail.txt" in present:
            _check_performance_log(f, run_dir, ctx)
    if power:
        _check_power(f, performance_dir, ctx)
    acc_dir = scenario_dir / "accuracy"
    if not acc_dir.is_dir():
        f.error(
            "tree.missing-folder",
            acc_dir,
            f"{ctx.scenario} has no accuracy folder",
            "run the scenario in accuracy mode and rebuild the package",
        )
    else:
        _check_accuracy(f, acc_dir, ctx)
    _check_measurements(f, ctx)
    if ctx.strict:
        _check_compliance(f, ctx)


def _check_run_files(f: _Findings, run_dir: Path, power: bool) -> list[str]:
    """performance/run_1's file list (the checker's files_diff, its tolerated files included)."""
    needed = PERFORMANCE_FILES + (POWER_RUN_FILES if power else ())
    present = _require_files(f, run_dir, needed, "performance run")
    _extra_files(
        f,
        run_dir,
        (*needed, *OPTIONAL_PERFORMANCE_FILES),
        "performance/run_1",
        "keep only LoadGen's logs there",
    )
    return present


def _check_power(f: _Findings, performance_dir: Path, ctx: _Ctx) -> None:
    """A power submission: the power and ranging folders' file lists, then the session's
    checks (validate/power.py: the power WG's checker and the figure)."""
    power_dir = performance_dir / "power"
    _require_files(f, power_dir, POWER_FILES, "power measurement")
    version = ctx.round_rules.version
    _guarded(f, power_dir, _check_power_session, f, performance_dir, version)
    ranging = performance_dir / "ranging"
    if not ranging.is_dir():
        f.error(
            "tree.missing-folder",
            ranging,
            "a power submission needs performance/ranging (the ranging run's logs)",
            "copy the ranging run's mlperf_log_summary.txt, mlperf_log_detail.txt and spl.txt",
        )
    else:
        _require_files(f, ranging, PERFORMANCE_FILES + POWER_RUN_FILES, "ranging run")
