"""Every found log checked before it is accepted, and the runs the import takes.

For each scenario asked for, the import takes one performance run, one accuracy run (as the
profile's modes say) and, in the closed division, one run of each compliance test the rules
require. Each is checked against the benchmark and the round:

- **benchmark**: LoadGen's detail log does not name the model, so the evidence is what the
  model name changes: the ``user.conf`` lines (``<model>.<scenario>.<key>``), the performance
  sample count LoadGen's mlperf.conf sets per model, and the token latencies it turns on for
  every LLM. Logs of another benchmark are refused, naming it where the evidence does;
- **scenario and mode**: what LoadGen ran (``effective_scenario``, ``effective_test_mode``)
  against the folder the harness put it in;
- **seeds**: the round's ``qsl``/``sample_index``/``schedule`` RNG seeds (another round's
  LoadGen is named);
- **validity and errors**: an INVALID performance run and LoadGen's own errors are refused
  unless ``allow_invalid``, which still marks the run;
- **accuracy**: the accuracy log must parse, and be scored (:mod:`.accuracy`);
- **compliance**: LoadGen must have found the audit.config (it logs so).

A refusal is an :class:`ImportRefused` listing every problem with its fix; nothing is written.
The checks of one run are in :mod:`.run_checks`, what the steps share in :mod:`.common`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import rules
from mlperf_tui.importer.common import (
    Accepted,
    Collect,
    Context,
    ImportPlan,
    ImportRefused,
)
from mlperf_tui.importer.common import conf_lines as conf_lines
from mlperf_tui.importer.discover import VERIFY_FILES, Discovery, FoundRun
from mlperf_tui.importer.run_checks import check_run
from mlperf_tui.results import run_id_for

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

__all__ = ["Accepted", "ImportPlan", "ImportRefused", "check_discovery"]


# -- choosing the runs -------------------------------------------------------------------------

#: compliance tests whose audit.config has LoadGen log sampled responses in performance mode
_SAMPLING_TESTS = ("TEST01", "TEST06", "TEST07", "TEST09")


def _test_of(run: FoundRun, tests: Sequence[str]) -> str | None:
    """The compliance test of a run: the folder's name, else what its audit settings do
    (a sampling audit is the one of TEST01, TEST06, ... the benchmark needs)."""
    if run.compliance_test is not None or not run.audited:
        return run.compliance_test
    if run.audit_kind == "TEST04":
        return "TEST04"
    if run.audit_kind == "sampling":
        return next((t for t in tests if t in _SAMPLING_TESTS), "TEST01")
    return None


def _scenario_of(run: FoundRun, profile: Profile) -> tuple[str | None, str | None]:
    """The scenario a run counts for, or why it counts for none. LoadGen runs Interactive as
    a Server test: a Server run is an Interactive one in an Interactive folder, or when only
    Interactive is asked for. Logs in another scenario's folder are an inferred result."""
    asked = [s.value for s in profile.scenarios]
    scenario, folder = run.scenario, run.folder_scenario
    if scenario == "Server" and (
        folder == "Interactive"
        or (folder is None and "Interactive" in asked and "Server" not in asked)
    ):
        scenario = "Interactive"
    elif folder is not None and scenario is not None and folder != scenario and run.logs:
        return None, (
            f"the {scenario} run's logs in a {folder} folder (a result inferred from "
            f"{scenario}); the {scenario} run itself is imported"
        )
    if scenario is None and not run.logs:
        return None, (
            f"{run.compliance_test} verification output whose folders name no scenario (put it "
            "in a <Scenario>/ folder, or import one scenario at a time)"
        )
    if scenario not in asked:
        return None, f"a {scenario} run; the import asks for {', '.join(asked)}"
    return scenario, None


def _relevance(run: FoundRun, profile: Profile, tests: Sequence[str]) -> str | None:
    """Why a found run is not one the import takes (None: it is one)."""
    modes = [m.value for m in profile.modes]
    if run.role == "ranging":
        return "a power ranging run (the measurement run beside it is imported)"
    if run.compliance_test is not None:
        if run.compliance_test not in tests:
            return (
                f"{run.compliance_test} is not a compliance test {profile.benchmark} needs in "
                f"the {profile.division.value} division"
            )
        return None
    if run.mode is None:
        return None  # refused by the checks: LoadGen ran another mode
    if run.mode not in modes:
        return f"a {run.mode} run; the profile's modes are {', '.join(modes)}"
    return None


def _one(
    c: Collect, source: Path, what: str, runs: list[FoundRun], verifications: list[FoundRun]
) -> FoundRun | None:
    """The one run of a slot: a compliance run's logs get the verification output of its own
    folder or, when the verification script wrote it elsewhere, the one beside them."""
    if len(runs) > 1 or len(verifications) > 1:
        many = runs if len(runs) > 1 else verifications
        c.error(
            "import.ambiguous",
            source,
            f"{len(many)} {what} runs found: " + ", ".join(_rel(r.folder, source) for r in many),
            "point SOURCE at the folder of one of them, or remove the others",
        )
        return None
    if not runs:
        return verifications[0] if verifications else None
    run = runs[0]
    if verifications and not any(n in run.files for n in VERIFY_FILES):
        extra = verifications[0]
        run.files.update({n: p for n, p in extra.files.items() if n in VERIFY_FILES})
        run.folders.update({n: p for n, p in extra.folders.items() if n == "accuracy"})
    return run


def _missing_fix(mode: str, test: str | None) -> str:
    if test:
        return (
            f"run {test} with its audit.config (compliance/{test}/ of mlcommons/inference), "
            "add its logs (and its run_verification.py output) to SOURCE, or import into "
            "--division open (no compliance tests)"
        )
    files = "mlperf_log_summary.txt, mlperf_log_detail.txt"
    if mode == "accuracy":
        files += ", mlperf_log_accuracy.json, accuracy.txt"
    also = "" if mode == "performance" else ", or import with --mode performance only"
    return f"add the {mode} run's folder ({files}) to SOURCE{also}"


def check_discovery(
    discovery: Discovery,
    profile: Profile,
    *,
    allow_invalid: bool = False,
    accuracy_dataset: Path | None = None,
    user_conf: Path | None = None,
    accuracy_tokenizer: Path | None = None,
) -> ImportPlan:
    """The runs the import takes from ``discovery``; ImportRefused listing every problem."""
    source = discovery.source
    bench = profile.rules_benchmark()
    round_rules = rules.get_round(profile.round)
    ctx = Context(
        bench, round_rules, profile, allow_invalid, accuracy_dataset, user_conf, accuracy_tokenizer
    )
    c = Collect(source)
    for folder, why in discovery.unreadable:
        c.warning("import.unreadable", folder, f"LoadGen's logs there cannot be read ({why})", "")
    if not discovery.runs:
        c.error(
            "import.no-logs",
            source,
            "no LoadGen logs found: no folder under it holds mlperf_log_detail.txt",
            "give the folder your harness wrote its LoadGen logs to (its performance, accuracy "
            "and compliance runs)",
        )
        raise ImportRefused(source, c.errors)
    tests = rules.compliance_tests(bench, profile.division)
    slots: dict[tuple[str, str, str | None], list[FoundRun]] = {}
    verifications: dict[tuple[str, str, str | None], list[FoundRun]] = {}
    ignored: list[tuple[Path, str]] = list(discovery.skipped)
    only = profile.scenarios[0].value if len(profile.scenarios) == 1 else None
    for run in discovery.runs:
        run.compliance_test = _test_of(run, tests)
        if not run.logs and run.scenario is None and only is not None:
            run.scenario = only  # a flat verification output folder: the one scenario asked
        scenario, skip = _scenario_of(run, profile)
        skip = skip or _relevance(run, profile, tests)
        if skip is not None or scenario is None:
            ignored.append((run.folder, skip or "no scenario"))
            continue
        if run.mode is None:
            c.error(
                "import.wrong-mode",
                run.folder / "mlperf_log_detail.txt",
                f"LoadGen ran this test in {run.loadgen_mode or 'an unknown'} mode; the import "
                "takes PerformanceOnly and AccuracyOnly runs",
                "run the performance and the accuracy test separately (LoadGen's test modes)",
            )
            continue
        mode = "performance" if run.compliance_test else run.mode
        key = (scenario, mode, run.compliance_test)
        (slots if run.logs else verifications).setdefault(key, []).append(run)

    accepted: list[Accepted] = []
    for scenario in profile.scenarios:
        wanted: list[tuple[str, str | None]] = [(m.value, None) for m in profile.modes]
        wanted += [("performance", t) for t in tests]
        for mode, test in wanted:
            what = f"{scenario.value} {test or mode}"
            key = (scenario.value, mode, test)
            chosen = _one(c, source, what, slots.get(key, []), verifications.get(key, []))
            if chosen is None:
                if not slots.get(key) and not verifications.get(key):
                    c.error(
                        "import.missing-run",
                        source,
                        f"no {what} run found" + _found_words(discovery),
                        _missing_fix(mode, test),
                    )
                continue
            item = Accepted(
                run_id=run_id_for(scenario.value, mode, test),
                scenario=scenario.value,
                mode=mode,
                compliance_test=test,
                found=chosen,
                valid=chosen.figures.get("result_valid") if mode == "performance" else None,
            )
            check_run(c, chosen, ctx, item)
            accepted.append(item)
    if c.errors:
        raise ImportRefused(source, c.errors)
    systems = discovery.systems_json[0] if len(discovery.systems_json) == 1 else None
    return ImportPlan(
        source=source,
        bench=bench,
        round=round_rules,
        profile=profile,
        runs=accepted,
        findings=[i for i in c.items if i.severity != "error"],
        ignored=ignored,
        systems_json=systems,
    )


def _rel(path: Path, base: Path) -> str:
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
    return rel if rel != "." else "."


def _found_words(discovery: Discovery) -> str:
    if not discovery.runs:
        return ""
    kinds = sorted({r.kind for r in discovery.runs})
    return f" (found: {', '.join(kinds)})"
