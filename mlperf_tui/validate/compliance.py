"""Compliance runs of the closed and network divisions: TEST01, TEST04, TEST06-TEST09.

Mirrors the official checker's checks/compliance_check.py (dir_exists_check,
performance_check, compliance_performance_check, accuracy_check with TEST01's baseline and
compliance accuracy fallback) and, for a passed TEST01's accuracy folder, the exact file list
of the v4.x and legacy checkers (submission_checker_old.py).
"""

from __future__ import annotations

from pathlib import Path

from mlperf_tui import rules
from mlperf_tui.rules.checker import (
    ACCURACY_PATTERNS,
    OPTIONAL_PERFORMANCE_FILES,
    PASS_LINE,
    PERFORMANCE_FILES,
    TEST01_ACCURACY_FILES,
    TEST01_PASSED_ACCURACY_FILES,
    TEST06_PASS_LINES,
    TOLERATED_FILES,
)
from mlperf_tui.validate.accuracy import _metric_value
from mlperf_tui.validate.context import _Ctx, _files, _read_text
from mlperf_tui.validate.findings import _Findings
from mlperf_tui.validate.logs import _check_performance_log


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in (_read_text(path) or "").splitlines()]


def _has_pass_line(path: Path, exact: bool) -> bool:
    lines = _lines(path)
    if exact:
        return PASS_LINE in lines
    return any(PASS_LINE in line for line in lines)


def _accuracy_value(path: Path, pattern: str) -> float | None:
    return _metric_value((_read_text(path) or "").splitlines(), pattern)


def _verify_file(f: _Findings, path: Path, test: str) -> bool:
    if path.is_file():
        return True
    f.error(
        "compliance.missing-file",
        path,
        f"{test} needs {path.name}",
        f"run {test} again; its verification script writes the file",
    )
    return False


def _check_compliance_run(f: _Findings, test_dir: Path, test: str, ctx: _Ctx) -> None:
    """TEST01/TEST04: verify_performance.txt, the run's exact file list and its log."""
    verify = test_dir / "verify_performance.txt"
    if _verify_file(f, verify, test) and not _has_pass_line(verify, exact=False):
        f.error(
            "compliance.failed",
            verify,
            f"{test}'s performance verification did not pass",
            "look at the file's figures; run the test again on an idle machine",
        )
    run_dir = test_dir / "performance" / "run_1"
    if not run_dir.is_dir():
        f.error(
            "tree.missing-folder",
            run_dir,
            f"{test} has no performance/run_1 folder",
            f"copy the {test} run's logs into performance/run_1",
        )
        return
    files = set(_files(run_dir))
    missing = [n for n in PERFORMANCE_FILES if n not in files]
    extra = sorted(
        files - set(PERFORMANCE_FILES) - set(OPTIONAL_PERFORMANCE_FILES) - set(TOLERATED_FILES)
    )
    if missing or extra:
        f.error(
            "compliance.file-list",
            run_dir,
            f"{test}/performance/run_1 must hold exactly "
            + ", ".join(PERFORMANCE_FILES)
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; extra: {', '.join(extra)}" if extra else ""),
            "keep only LoadGen's summary and detail logs there",
        )
    if "mlperf_log_detail.txt" in files:
        _check_performance_log(f, run_dir, ctx)


def _check_compliance(f: _Findings, ctx: _Ctx) -> None:
    compliance_dir = ctx.compliance_dir
    for test in rules.compliance_tests(ctx.bench, ctx.division):
        test_dir = compliance_dir / test
        if not test_dir.is_dir():
            where = (
                ""
                if ctx.layout.compliance_in_results
                else f" (round {ctx.round_rules.version} keeps them in {ctx.base.name}/compliance/<system>/<benchmark>/<scenario>/)"
            )
            f.error(
                "compliance.missing-test",
                test_dir,
                f"{test} is missing; the {ctx.division} division requires it for "
                f"{ctx.bench.name}{where}",
                "run the compliance tests (a closed profile plans them) and rebuild the package",
            )
            continue
        verify = test_dir / "verify_accuracy.txt"
        if test == "TEST01":
            if _verify_file(f, verify, test) and not _has_pass_line(verify, exact=True):
                _test01_accuracy_fallback(f, test_dir, ctx)
            elif verify.is_file():
                _test01_passed_files(f, test_dir)
        elif test == "TEST06":
            if _verify_file(f, verify, test):
                lines = _lines(verify)
                failed = [
                    group[0] for group in TEST06_PASS_LINES if not any(g in lines for g in group)
                ]
                if failed:
                    f.error(
                        "compliance.failed",
                        verify,
                        "TEST06 did not pass: the file lacks "
                        + "; ".join(f'"{line}"' for line in failed),
                        "the SUT must stop at EOS, honour the output lengths and report the first "
                        "token; fix it and run TEST06 again",
                    )
        elif test in ("TEST07", "TEST08"):
            # TEST07: "TEST PASS" anywhere; TEST08: a line that is exactly it (the checker's reads)
            if _verify_file(f, verify, test) and not _has_pass_line(verify, exact=test == "TEST08"):
                f.error(
                    "compliance.failed",
                    verify,
                    f"{test}'s accuracy verification did not pass",
                    f"run {test} again and look at its figures",
                )
        elif test == "TEST09":
            output_len = test_dir / "verify_output_len.txt"
            if _verify_file(f, output_len, test) and not _has_pass_line(output_len, exact=False):
                f.error(
                    "compliance.failed",
                    output_len,
                    "TEST09's output-length verification did not pass",
                    "the mean output length must stay in the rules' range; run TEST09 again",
                )
        if test in ("TEST01", "TEST04"):
            _check_compliance_run(f, test_dir, test, ctx)


def _test01_passed_files(f: _Findings, test_dir: Path) -> None:
    """TEST01 passed: the v4.x checkers and the legacy one want exactly its accuracy log and
    accuracy.txt in TEST01/accuracy (the modular checker does not look; we keep the rule)."""
    acc_dir = test_dir / "accuracy"
    files = set(_files(acc_dir)) - set(TOLERATED_FILES)
    wanted = set(TEST01_PASSED_ACCURACY_FILES)
    if files != wanted:
        missing, extra = sorted(wanted - files), sorted(files - wanted)
        f.error(
            "compliance.file-list",
            acc_dir,
            "TEST01 passed, and the legacy checker wants exactly "
            + " and ".join(TEST01_PASSED_ACCURACY_FILES)
            + " in TEST01/accuracy"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; extra: {', '.join(extra)}" if extra else ""),
            "keep the compliance run's mlperf_log_accuracy.json and its accuracy.txt there "
            "(baseline_accuracy.txt and compliance_accuracy.txt only when the test failed)",
        )


def _test01_accuracy_fallback(f: _Findings, test_dir: Path, ctx: _Ctx) -> None:
    """TEST01 without TEST PASS: the checker compares baseline and compliance accuracy."""
    bench = ctx.bench
    acc_dir = test_dir / "accuracy"
    verify = test_dir / "verify_accuracy.txt"
    if not acc_dir.is_dir():
        f.error(
            "compliance.failed",
            verify,
            "TEST01's deterministic comparison failed and there is no accuracy/ folder to "
            "compare baseline and compliance accuracy",
            "make the SUT deterministic, or provide TEST01/accuracy with both accuracies",
        )
        return
    files = set(_files(acc_dir))
    missing = [n for n in TEST01_ACCURACY_FILES if n not in files]
    if missing:
        f.error(
            "compliance.file-list",
            acc_dir,
            "TEST01/accuracy is missing " + ", ".join(missing),
            "run TEST01 again; its verification writes these files",
        )
        return
    for target in bench.accuracy_for(ctx.scenario):
        pattern = ACCURACY_PATTERNS.get(target.metric)
        if pattern is None:
            continue
        base = _accuracy_value(acc_dir / "baseline_accuracy.txt", pattern)
        comp = _accuracy_value(acc_dir / "compliance_accuracy.txt", pattern)
        allowed = bench.compliance_delta_percent.get(
            target.metric, 0.1 if "99.9" in bench.name else 1.0
        )
        if base is None or comp is None or comp == 0:
            f.error(
                "compliance.failed",
                acc_dir,
                f"TEST01: no {target.metric} in baseline/compliance accuracy",
                "run TEST01 again",
            )
            return
        delta = abs(1 - base / comp) * 100
        if delta > allowed:
            f.error(
                "compliance.failed",
                verify,
                f"TEST01 accuracy differs by {delta:.2f}% (baseline {base:g}, compliance "
                f"{comp:g}); at most {allowed:g}% is allowed",
                "the SUT must give the same answers in performance and accuracy mode",
            )
            return
