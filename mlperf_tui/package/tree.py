"""The package tree: each scenario's logs, measurements and README, compliance, src/."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

from harness.loadgen_logs import DETAIL_LOG, SUMMARY_LOG, parse_detail_text
from mlperf_tui import rules
from mlperf_tui.errors import PackageError
from mlperf_tui.package.accuracy_log import hash_line, truncate_accuracy_log
from mlperf_tui.package.describe import (
    BUILD_MANIFEST,
    benchmark_folder,
    calibration_doc,
    measurements,
    not_submittable_reasons,
    scenario_readme,
    src_readme,
    system_json,
)
from mlperf_tui.package.imported import IMPORTED_DIR, is_imported
from mlperf_tui.package.power import (
    any_power,
    copy_power_session,
    is_power_run,
    nameplate_path,
    nameplate_yaml,
)
from mlperf_tui.package.source import Results, folder_name, system_name
from mlperf_tui.results import IMPORT_RECORD, REPLAY, RUN_CONFIG, RunResult
from mlperf_tui.rules.checker import CALIBRATION_DOC, PERFORMANCE_FILES
from mlperf_tui.rules.model import Benchmark, Layout, Scenario

ACCURACY_LOG = "mlperf_log_accuracy.json"
ACCURACY_TXT = "accuracy.txt"


Progress = Callable[[str], None]


def copy_file(src: Path, dst: Path, what: str) -> None:
    if not src.is_file():
        raise PackageError(
            f"{src} is missing ({what})",
            "run the profile again: the run did not leave the files LoadGen writes",
        )
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


#: the fix of a LoadGen log that is cut short or damaged in the results folder
_CUT_FIX = (
    "run the profile again into a new results folder (or import the logs again): a package "
    "is only built from the logs LoadGen wrote, whole"
)


def _read_log(path: Path, what: str) -> str:
    if not path.is_file():
        raise PackageError(
            f"{path} is missing ({what})",
            "run the profile again: the run did not leave the files LoadGen writes",
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PackageError(
            f"{path} is damaged: byte {exc.start + 1} is not text, as LoadGen writes it", _CUT_FIX
        ) from None


def _counted(line: str, word: str) -> int | None:
    """N of one of the two lines LoadGen ends a summary log with ("No warnings encountered
    during test.", "1 warning encountered. See detailed log.", "3 ERRORS encountered. See
    detailed log."), or None when ``line`` is not that line, whole."""
    pattern = rf"(No|\d+) {word}s? encountered(\. See detailed log| during test)\."
    m = re.fullmatch(pattern, line, re.IGNORECASE)
    if m is None:
        return None
    return 0 if m[1] == "No" else int(m[1])


def check_loadgen_logs(folder: Path, what: str) -> None:
    """The run's mlperf_log_detail.txt and mlperf_log_summary.txt are whole, as LoadGen left
    them; PackageError naming the file otherwise. LoadGen ends each line of the detail log, logs
    ``result_validity`` after every performance run, and ends the summary with the count of its
    warnings and errors, which the detail log's records must reach: a log cut short (a copy,
    a full disk, a harness that died) fails one of these."""
    detail_path, summary_path = folder / DETAIL_LOG, folder / SUMMARY_LOG
    detail_text = _read_log(detail_path, what)
    summary_text = _read_log(summary_path, what)
    detail = parse_detail_text(detail_text)
    why = ""
    if not detail.values:
        why = "it holds no LoadGen record"
    elif not detail_text.endswith("\n"):
        why = "its last line is cut off"
    elif detail.bad_lines:
        why = f"{detail.bad_lines} of its :::MLLOG lines do not parse"
    elif detail.get("effective_test_mode") == "PerformanceOnly" and (
        "result_validity" not in detail.values
    ):
        why = "it ends before LoadGen's result (no result_validity)"
    if why:
        raise PackageError(f"{detail_path} is cut short or damaged: {why}", _CUT_FIX)
    lines = [ln.strip() for ln in summary_text.splitlines() if ln.strip()]
    whole = bool(lines) and summary_text.endswith("\n")
    errors = _counted(lines[-1], "error") if whole else None
    if errors is None:
        raise PackageError(
            f"{summary_path} is cut short: it does not end with LoadGen's count of errors",
            _CUT_FIX,
        )
    warnings = _counted(lines[-2], "warning") if len(lines) > 1 else None
    counted = {"warnings": warnings or 0, "errors": errors}
    found = {"warnings": len(detail.warnings), "errors": len(detail.errors)}
    for kind, n in counted.items():
        if found[kind] < n:
            raise PackageError(
                f"{detail_path} is cut short: it holds {found[kind]} of the {n} {kind} "
                f"{summary_path.name} counts",
                _CUT_FIX,
            )


def check_accuracy_log(path: Path) -> None:
    """LoadGen's mlperf_log_accuracy.json ends with the ``]`` of its list; a copy cut short does
    not (the tail is read: the log of a large data set runs to gigabytes)."""
    if not path.is_file():
        raise PackageError(f"{path} is missing", "run accuracy mode again")
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 64))
        tail = fh.read().rstrip()
    if not tail.endswith(b"]"):
        raise PackageError(
            f"{path} is cut short: it does not end with the ] LoadGen closes it with", _CUT_FIX
        )


_NOT_SOURCE = ("__pycache__", "*.pyc", "*.pyo", ".*")


def copy_harness_source(dest: Path) -> None:
    import harness

    src = Path(harness.__file__).resolve().parent
    for top, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if not any(fnmatch(d, p) for p in _NOT_SOURCE)]
        for name in sorted(dirnames + filenames):
            link = Path(top) / name
            if link.is_symlink() and not any(fnmatch(name, p) for p in _NOT_SOURCE):
                # copytree would copy what it points to, from anywhere
                raise PackageError(
                    f"the harness source holds a symbolic link, {link} (to {os.readlink(link)})",
                    "replace the link with a copy of the file; the package publishes the "
                    "harness source and never follows a link out of it",
                )
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*_NOT_SOURCE))


@dataclass
class PackageInfo:
    """What a built package holds (read back from its build manifest)."""

    root: Path
    division: str
    submitter: str
    system: str
    benchmark_folder: str
    scenarios: list[str]
    inferred: dict[str, str]
    execution: str
    synthetic: bool
    reasons: list[str] = field(default_factory=list)
    #: the code folder (it holds the build manifest), relative to ``root``
    code_dir: str = ""


def _needed_run(results: Results, scenario: str, mode: str, test: str | None = None) -> RunResult:
    run = results.find(scenario, mode, test)
    what = f"{scenario} {test or mode}"
    if run is None:
        raise PackageError(
            f"the results have no {what} run",
            "add it to the profile (scenarios/modes) and run again",
        )
    if run.status != "ok":
        raise PackageError(
            f"the {what} run did not finish (status: {run.status})",
            "run the profile again; a package is only built from finished runs",
        )
    if not run.folder.is_dir():
        raise PackageError(f"the {what} run's folder {run.folder} is missing", "run again")
    return run


@dataclass(frozen=True)
class _Places:
    """Where one scenario's parts go in the round's layout."""

    results: Path  # results/<system>/<model>/<scenario>
    measurements: Path  # beside the results (v6.x) or under measurements/ (older rounds)
    measurements_file: str
    compliance: Path  # the folder holding TEST0x
    code: str  # the code folder, relative to <division>/<submitter>


def _places(
    base: Path, layout: Layout, system_id: str, model_folder: str, scenario: str
) -> _Places:
    return _Places(
        results=base / "results" / system_id / model_folder / scenario,
        measurements=layout.measurements_dir(base, system_id, model_folder, scenario),
        measurements_file=layout.measurements_file(system_id, scenario),
        compliance=layout.compliance_dir(base, system_id, model_folder, scenario),
        code=layout.code_dir(Path(), model_folder).as_posix(),
    )


def _write_scenario(
    results: Results,
    bench: Benchmark,
    places: _Places,
    scenario: str,
    source: str,
    system_id: str,
    max_log_bytes: int,
    measurements: dict[str, str],
) -> list[str]:
    profile = results.profile
    runs_used: list[str] = []
    modes = {m.value for m in profile.modes}
    perf = None
    scenario_dir = places.results
    if "performance" in modes:
        perf = _needed_run(results, source, "performance")
        runs_used.append(perf.run_id)
        check_loadgen_logs(perf.folder, "performance")
        for name in PERFORMANCE_FILES:
            copy_file(
                perf.folder / name, scenario_dir / "performance" / "run_1" / name, "performance"
            )
        if is_power_run(perf.folder):
            # measured for power: spl.txt, performance/ranging and performance/power
            copy_power_session(perf.folder, scenario_dir / "performance")
        copy_file(perf.folder / "user.conf", places.measurements / "user.conf", "LoadGen settings")
    if "accuracy" in modes:
        acc = _needed_run(results, source, "accuracy")
        runs_used.append(acc.run_id)
        acc_dir = scenario_dir / "accuracy"
        check_loadgen_logs(acc.folder, "accuracy")
        for name in PERFORMANCE_FILES:  # the accuracy run's LoadGen logs have the same names
            copy_file(acc.folder / name, acc_dir / name, "accuracy")
        full_log = acc.folder / ACCURACY_LOG
        check_accuracy_log(full_log)
        accuracy_txt = acc.folder / ACCURACY_TXT
        if not accuracy_txt.is_file():
            raise PackageError(
                f"{accuracy_txt} is missing: the accuracy run was not scored",
                "run accuracy mode again (the harness scores it at the end)",
            )
        text = accuracy_txt.read_text(encoding="utf-8")
        kept = [ln for ln in text.splitlines() if not ln.startswith("hash=")]
        (acc_dir / ACCURACY_TXT).write_text(
            "\n".join([*kept, hash_line(full_log)]) + "\n", encoding="utf-8"
        )
        truncate_accuracy_log(full_log, acc_dir / ACCURACY_LOG, max_log_bytes)
        for folder in bench.accuracy_extra_files:  # SDXL's images/, Wan's videos/
            if (acc.folder / folder).is_dir():
                shutil.copytree(acc.folder / folder, acc_dir / folder)
        if perf is None:
            copy_file(
                acc.folder / "user.conf", places.measurements / "user.conf", "LoadGen settings"
            )
    places.measurements.mkdir(parents=True, exist_ok=True)
    (places.measurements / places.measurements_file).write_text(
        json.dumps(measurements, indent=2) + "\n", encoding="utf-8"
    )
    (places.measurements / "README.md").write_text(
        scenario_readme(results, bench, scenario, source, system_id, places.code),
        encoding="utf-8",
    )
    for test in rules.compliance_tests(bench, profile.division):
        run = _needed_run(results, source, "performance", test)
        runs_used.append(run.run_id)
        test_dir = places.compliance / test
        logs = [name for name in PERFORMANCE_FILES if (run.folder / name).is_file()]
        if logs or not is_imported(results):
            # imported: a verification output alone (TEST06's); the validator judges it
            check_loadgen_logs(run.folder, test)
        for name in PERFORMANCE_FILES:
            if is_imported(results) and not (run.folder / name).is_file():
                continue
            copy_file(run.folder / name, test_dir / "performance" / "run_1" / name, test)
        for name in ("verify_accuracy.txt", "verify_performance.txt"):
            if (run.folder / name).is_file():
                copy_file(run.folder / name, test_dir / name, test)
        if (run.folder / "accuracy").is_dir():
            _copy_compliance_accuracy(run.folder / "accuracy", test_dir / "accuracy", max_log_bytes)
    return runs_used


def _copy_compliance_accuracy(src: Path, dst: Path, max_log_bytes: int) -> None:
    """A compliance run's accuracy/ as the official truncate_accuracy_log.py leaves it (it
    treats TEST01's like the results' own): the log cut to the size limit, the sha256 of the
    whole log appended to accuracy.txt."""
    dst.mkdir(parents=True, exist_ok=True)
    full_log = src / ACCURACY_LOG
    for item in sorted(src.iterdir()):
        if not item.is_file():
            continue
        if item.name == ACCURACY_LOG:
            check_accuracy_log(item)
            truncate_accuracy_log(item, dst / item.name, max_log_bytes)
        elif item.name == ACCURACY_TXT and full_log.is_file():
            kept = [
                ln
                for ln in item.read_text(encoding="utf-8").splitlines()
                if not ln.startswith("hash=")
            ]
            (dst / item.name).write_text(
                "\n".join([*kept, hash_line(full_log)]) + "\n", encoding="utf-8"
            )
        else:
            copy_file(item, dst / item.name, "compliance accuracy")


def assemble(results: Results, root: Path, progress: Progress) -> PackageInfo:
    profile = results.profile
    bench = profile.rules_benchmark()
    round_rules = rules.get_round(profile.round)
    if not profile.submitter:
        raise PackageError(
            "the profile names no submitter, and the package needs one (a folder name)",
            "add `submitter: YourOrg` to the profile",
        )
    system_id = folder_name(system_name(results))
    division = profile.division.value
    base = root / division / profile.submitter
    model_folder, mapping = benchmark_folder(results, bench)

    progress("systems description")
    systems = base / "systems"
    systems.mkdir(parents=True)
    (systems / f"{system_id}.json").write_text(
        json.dumps(system_json(results, bench, system_id), indent=2) + "\n", encoding="utf-8"
    )
    nameplate = nameplate_path(round_rules.version, base, system_id)
    if nameplate is not None and any_power(r.folder for r in results.runs):
        answers = {k: str(v) for k, v in profile.system.items()}
        text = nameplate_yaml(answers, system_id)
        if text is not None:  # no answer: the validator says what to answer
            nameplate.write_text(text, encoding="utf-8")
    if mapping:
        (base / "model_mapping.json").write_text(
            json.dumps(mapping, indent=2) + "\n", encoding="utf-8"
        )

    facts = measurements(results, bench)
    if profile.division.strict:
        (base / CALIBRATION_DOC).write_text(
            calibration_doc(results, bench, facts), encoding="utf-8"
        )
    inferred = {s.value: Scenario.SINGLE_STREAM.value for s in profile.inferred_scenarios()}
    scenarios = [s.value for s in profile.scenarios] + list(inferred)
    runs_used: list[str] = []
    for scenario in scenarios:
        progress(f"results: {scenario}")
        source = inferred.get(scenario, scenario)
        runs_used += _write_scenario(
            results,
            bench,
            _places(base, round_rules.layout, system_id, model_folder, scenario),
            scenario,
            source,
            system_id,
            round_rules.max_accuracy_log_bytes,
            facts,
        )

    progress("source and README")
    src = round_rules.layout.code_dir(base, model_folder)
    if not is_imported(results):  # imported logs: another harness's code, not ours
        copy_harness_source(src / "harness")
    src.mkdir(parents=True, exist_ok=True)
    (src / "README.md").write_text(src_readme(results, bench), encoding="utf-8")
    (src / "profile.yaml").write_text(results.profile_text, encoding="utf-8")
    if not is_imported(results) and (results.folder / REPLAY).is_file():
        # the exact commands behind the runs (the README quotes them too)
        copy_file(results.folder / REPLAY, src / REPLAY, "replay script")
    for run in results.runs:
        config = run.folder / RUN_CONFIG
        if config.is_file():
            copy_file(config, src / "runs" / f"{run.run_id}.json", "run configuration")
        record = run.folder / IMPORT_RECORD
        if record.is_file():
            copy_file(record, src / IMPORTED_DIR / f"{run.run_id}.json", "import provenance")
    reasons = not_submittable_reasons(results)
    manifest = {
        "schema_version": 1,
        "tool": "mlperf-tui",
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "round": profile.round,
        "benchmark": bench.name,
        "division": division,
        "category": profile.category.value,
        "submitter": profile.submitter,
        "system": system_id,
        "benchmark_folder": model_folder,
        "scenarios": scenarios,
        "inferred": inferred,
        "execution": results.execution,
        "synthetic": results.synthetic,
        "not_submittable": reasons,
        "results_folder": str(results.folder),
        "runs": sorted(set(runs_used)),
    }
    (src / BUILD_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return PackageInfo(
        root=root,
        division=division,
        submitter=profile.submitter,
        system=system_id,
        benchmark_folder=model_folder,
        scenarios=scenarios,
        inferred=inferred,
        execution=results.execution,
        synthetic=results.synthetic,
        reasons=reasons,
        code_dir=src.relative_to(root).as_posix(),
    )
