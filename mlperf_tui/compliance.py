"""Compliance verification (TEST01, TEST04) in our own code.

Follows the rules of mlcommons/inference ``compliance/`` (TEST01/run_verification.py,
verify_accuracy.py, verify_performance.py; TEST04/run_verification.py, verify_performance.py)
and writes what the official submission checker reads
(tools/submission/submission_checker/checks/compliance_check.py):

- ``verify_accuracy.txt`` (TEST01): the checker passes it when one line, stripped, is exactly
  ``TEST PASS``;
- ``verify_performance.txt`` (TEST01, TEST04): the checker passes it when a line contains
  ``TEST PASS``;
- TEST01 ``accuracy/``: ``mlperf_log_accuracy.json``, ``accuracy.txt``,
  ``baseline_accuracy.txt``, ``compliance_accuracy.txt`` (the checker's
  REQUIRED_TEST01_ACC_FILES, read when the deterministic comparison fails).

TEST01 compares the responses the audit run logged (performance mode with accuracy-log
sampling) with the accuracy run's responses for the same ``qsl_idx``. Where the official script
compares only the first element of each response, we compare the whole response: stricter, and
the same verdict for a deterministic SUT. The performance comparisons are the official ones,
including their thresholds and quirks, so our verdict is the one the official scripts give.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import loadgen_logs
from mlperf_tui.rules.checker import PASS_LINE
from mlperf_tui.rules.compliance import (
    PERF_THRESHOLD,
    PERF_THRESHOLD_RELAXED,
    RELAXED_SCORE_LIMIT,
)

#: the lines the checker looks for (PASS_LINE: rules.checker)
FAIL_LINE = "TEST FAIL"

#: compliance/TEST01/verify_performance.py RESULT_FIELD: the detail-log key of each scenario's
#: score
DETAIL_RESULT_FIELD: dict[str, str] = {
    "Offline": "result_samples_per_second",
    "SingleStream": "early_stopping_latency_ss",
    "MultiStream": "early_stopping_latency_ms",
    "Server": "result_completed_samples_per_sec",
}

#: writes the accuracy script's output for one accuracy log: (log, out_txt) -> None
AccuracyWriter = Callable[[Path, Path], None]


class ComplianceInputError(Exception):
    """A log the verification needs is missing or unreadable (the verdict is then FAIL)."""


# -- reading LoadGen's logs ---------------------------------------------------------------------


def read_detail_log(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The last value of each key in an mlperf_log_detail.txt, and its error messages."""
    if not path.is_file():
        raise ComplianceInputError(f"missing {path}")
    log = loadgen_logs.parse_detail_log(path)
    return log.values, [f"{e.key}: {e.value}" for e in log.errors]


def read_summary_log(path: Path) -> dict[str, str]:
    """``name : value`` lines of an mlperf_log_summary.txt (first one of each name)."""
    if not path.is_file():
        raise ComplianceInputError(f"missing {path}")
    return loadgen_logs.parse_summary_log(path)


def read_accuracy_log(path: Path) -> list[dict[str, Any]]:
    """The entries of an mlperf_log_accuracy.json (``qsl_idx``, ``data``)."""
    if not path.is_file():
        raise ComplianceInputError(f"missing {path}")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ComplianceInputError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise ComplianceInputError(f"{path} is not a JSON list")
    return [e for e in entries if isinstance(e, dict)]


# -- TEST01: accuracy --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyComparison:
    """TEST01's comparison of the audit run's logged responses with the accuracy run's."""

    num_acc_log_entries: int
    num_acc_log_duplicate_keys: int
    num_acc_log_data_mismatch: int
    num_perf_log_entries: int
    num_perf_log_qsl_idx_match: int
    num_perf_log_data_mismatch: int
    num_missing_qsl_idxs: int
    problem: str = ""  # set when a log could not be read

    @property
    def passed(self) -> bool:
        return (
            not self.problem
            and self.num_perf_log_data_mismatch == 0
            and self.num_perf_log_qsl_idx_match > 0
        )

    def report(self) -> str:
        """The text of verify_accuracy.txt."""
        lines = ["Verifying accuracy (mlperf-tui, TEST01 rules of mlcommons/inference)."]
        if self.problem:
            lines += [f"{FAIL_LINE}: {self.problem}"]
            return "\n".join(lines) + "\n"
        lines += [
            f"num_acc_log_entries = {self.num_acc_log_entries}",
            f"num_acc_log_duplicate_keys = {self.num_acc_log_duplicate_keys}",
            f"num_acc_log_data_mismatch = {self.num_acc_log_data_mismatch}",
            f"num_perf_log_entries = {self.num_perf_log_entries}",
            f"num_perf_log_qsl_idx_match = {self.num_perf_log_qsl_idx_match}",
            f"num_perf_log_data_mismatch = {self.num_perf_log_data_mismatch}",
            f"num_missing_qsl_idxs = {self.num_missing_qsl_idxs}",
        ]
        if self.passed:
            lines.append(PASS_LINE)
        elif self.num_perf_log_qsl_idx_match == 0:
            lines.append(
                f"{FAIL_LINE}: no response of the audit run matches a sample of the accuracy run"
            )
        else:
            lines.append(FAIL_LINE)
        return "\n".join(lines) + "\n"


def _data(entry: dict[str, Any]) -> str:
    return str(entry.get("data", "")).lower()


def compare_accuracy_logs(accuracy_log: Path, audit_log: Path) -> AccuracyComparison:
    """Compare the audit run's accuracy log with the accuracy run's, sample by sample."""
    try:
        acc = read_accuracy_log(accuracy_log)
        perf = read_accuracy_log(audit_log)
    except ComplianceInputError as exc:
        return AccuracyComparison(0, 0, 0, 0, 0, 0, 0, problem=str(exc))
    reference: dict[int, str] = {}
    duplicates = acc_mismatch = 0
    for entry in acc:
        idx = int(entry.get("qsl_idx", -1))
        if idx in reference:
            duplicates += 1
            if reference[idx] != _data(entry):
                acc_mismatch += 1
        else:
            reference[idx] = _data(entry)
    matched = perf_mismatch = missing = 0
    for entry in perf:
        idx = int(entry.get("qsl_idx", -1))
        if idx not in reference:
            missing += 1
            continue
        matched += 1
        if reference[idx] != _data(entry):
            perf_mismatch += 1
    return AccuracyComparison(
        num_acc_log_entries=len(acc),
        num_acc_log_duplicate_keys=duplicates,
        num_acc_log_data_mismatch=acc_mismatch,
        num_perf_log_entries=len(perf),
        num_perf_log_qsl_idx_match=matched,
        num_perf_log_data_mismatch=perf_mismatch,
        num_missing_qsl_idxs=missing,
    )


def write_baseline_log(accuracy_log: Path, audit_log: Path, out: Path) -> int:
    """The accuracy run's entries for the samples the audit run logged (TEST01's baseline).

    What create_accuracy_baseline.sh does: an apples-to-apples accuracy log, so the accuracy
    script can score both on the same samples. Returns the number of entries written.
    """
    wanted = {int(e.get("qsl_idx", -1)) for e in read_accuracy_log(audit_log)}
    seen: set[int] = set()
    kept = []
    for entry in read_accuracy_log(accuracy_log):
        idx = int(entry.get("qsl_idx", -1))
        if idx in wanted and idx not in seen:
            seen.add(idx)
            kept.append(entry)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(kept, indent=0) + "\n", encoding="utf-8")
    return len(kept)


# -- performance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceComparison:
    """A compliance run's score against the performance run's score."""

    test: str
    scenario: str = ""
    reference_score: float | None = None
    test_score: float | None = None
    threshold: float = PERF_THRESHOLD
    passed: bool = False
    problem: str = ""
    warnings: tuple[str, ...] = ()

    def report(self) -> str:
        """The text of verify_performance.txt."""
        lines = [f"Verifying performance (mlperf-tui, {self.test} rules of mlcommons/inference)."]
        lines += [f"WARNING: {w}" for w in self.warnings]
        if self.problem:
            lines.append(f"{FAIL_LINE}: {self.problem}")
            return "\n".join(lines) + "\n"
        lines += [
            f"Scenario = {self.scenario}",
            f"Reference score = {self.reference_score}",
            f"Test score = {self.test_score}",
            f"Allowed difference = {self.threshold:.0%}",
        ]
        lines.append(PASS_LINE if self.passed else f"{FAIL_LINE}: Test score invalid")
        return "\n".join(lines) + "\n"


def _threshold(scenario: str, score: float) -> float:
    limit = RELAXED_SCORE_LIMIT.get(scenario)
    return PERF_THRESHOLD_RELAXED if limit is not None and score <= limit else PERF_THRESHOLD


def compare_performance_test01(reference_detail: Path, test_detail: Path) -> PerformanceComparison:
    """TEST01: the audit run's score within +-10% (20% for fast SS/MS) of the performance run's.

    Both runs must be VALID; for Server the target latency must be the same.
    """
    try:
        ref, ref_errors = read_detail_log(reference_detail)
        tst, tst_errors = read_detail_log(test_detail)
    except ComplianceInputError as exc:
        return PerformanceComparison("TEST01", problem=str(exc))
    warnings = tuple(
        f"{len(errs)} ERROR reported in {which}"
        for which, errs in (("the performance run", ref_errors), ("the audit run", tst_errors))
        if errs
    )
    for name, values in (("performance run", ref), ("audit run", tst)):
        if values.get("result_validity") != "VALID":
            return PerformanceComparison(
                "TEST01", problem=f"Invalid results in the {name}", warnings=warnings
            )
    scenario = str(ref.get("effective_scenario", ""))
    if scenario != tst.get("effective_scenario"):
        return PerformanceComparison(
            "TEST01", problem="Test and reference scenarios do not match!", warnings=warnings
        )
    key = DETAIL_RESULT_FIELD.get(scenario)
    if key is None or key not in ref or key not in tst:
        return PerformanceComparison(
            "TEST01", scenario, problem=f"no {key or 'score'} in the logs", warnings=warnings
        )
    if scenario == "Server" and ref.get("effective_target_latency_ns") != tst.get(
        "effective_target_latency_ns"
    ):
        return PerformanceComparison(
            "TEST01", scenario, problem="Server target latency mismatch", warnings=warnings
        )
    ref_score, test_score = float(ref[key]), float(tst[key])
    threshold = _threshold(scenario, ref_score)
    passed = ref_score * (1 - threshold) <= test_score <= ref_score * (1 + threshold)
    return PerformanceComparison(
        "TEST01", scenario, ref_score, test_score, threshold, passed, warnings=warnings
    )


_SS_ESTIMATE = re.compile(r"Early stopping (90th|90\.0th|99\.9th) percentile estimate")
_MS_ESTIMATE = re.compile(r"Early stopping (99th|99\.0th) percentile estimate")


def _summary_score(values: dict[str, str], scenario: str) -> float | None:
    def first(pattern: re.Pattern[str]) -> str | None:
        return next((v for k, v in values.items() if pattern.search(k)), None)

    if scenario == "SingleStream":
        raw = first(_SS_ESTIMATE)
        return None if raw is None else 1e9 / float(raw)
    if scenario == "MultiStream":
        raw = first(_MS_ESTIMATE)
        return None if raw is None else 1e9 / float(raw)
    name = {"Server": "Completed samples per second", "Offline": "Samples per second"}.get(scenario)
    raw = values.get(name) if name else None
    return None if raw is None else float(raw)


def compare_performance_test04(
    reference_summary: Path, test_summary: Path
) -> PerformanceComparison:
    """TEST04: issuing the same sample must not be more than 10% faster (20% for fast SS/MS)."""
    try:
        ref = read_summary_log(reference_summary)
        tst = read_summary_log(test_summary)
    except ComplianceInputError as exc:
        return PerformanceComparison("TEST04", problem=str(exc))
    for name, values in (("Reference", ref), ("Test", tst)):
        if values.get("Result is") == "INVALID":
            return PerformanceComparison("TEST04", problem=f"{name} results are invalid")
    scenario = ref.get("Scenario", "")
    if scenario != tst.get("Scenario", ""):
        return PerformanceComparison("TEST04", problem="Test and reference scenarios do not match!")
    if scenario == "Server" and ref.get("target_latency (ns)") != tst.get("target_latency (ns)"):
        return PerformanceComparison("TEST04", scenario, problem="Server target latency mismatch")
    ref_score = _summary_score(ref, scenario)
    test_score = _summary_score(tst, scenario)
    if ref_score is None or test_score is None:
        return PerformanceComparison("TEST04", scenario, problem="no score in the summary logs")
    threshold = _threshold(scenario, ref_score)
    passed = test_score < ref_score * (1 + threshold)
    return PerformanceComparison("TEST04", scenario, ref_score, test_score, threshold, passed)


# -- whole verifications -----------------------------------------------------------------------


@dataclass
class ComplianceVerdict:
    """What one compliance run's verification found; the files it wrote."""

    test: str
    accuracy_passed: bool | None = None  # None: the test has no accuracy part
    performance_passed: bool = False
    audit_applied: bool = False
    messages: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.audit_applied and self.performance_passed and self.accuracy_passed is not False

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "passed": self.passed,
            "accuracy_passed": self.accuracy_passed,
            "performance_passed": self.performance_passed,
            "audit_applied": self.audit_applied,
            "messages": list(self.messages),
            "files": [str(p) for p in self.files],
        }


def _audit_applied(test: str, audit_detail: Path) -> tuple[bool, str]:
    """Whether LoadGen ran the audit run with the test's audit.config settings."""
    try:
        values, _ = read_detail_log(audit_detail)
    except ComplianceInputError as exc:
        return False, str(exc)
    if test == "TEST01":
        ok = bool(values.get("effective_accuracy_log_sampling_target")) or bool(
            values.get("effective_accuracy_log_probability")
        )
        what = "accuracy-log sampling"
    elif test == "TEST04":
        ok = bool(values.get("effective_performance_issue_same"))
        what = "performance_issue_same"
    else:
        return False, f"{test} is not verified by mlperf-tui"
    if ok:
        return True, ""
    return False, f"the audit run's detail log shows no {what}: audit.config was not applied"


def _write(path: Path, text: str, verdict: ComplianceVerdict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    verdict.files.append(path)


def _with_audit_problem(report: str, problem: str) -> str:
    """A verification text whose verdict is FAIL because the audit settings were missing."""
    kept = [ln for ln in report.splitlines() if ln.strip() != PASS_LINE]
    return "\n".join([*kept, f"{FAIL_LINE}: {problem}"]) + "\n"


def verify_test01(
    *,
    accuracy_run: Path,
    performance_run: Path,
    audit_run: Path,
    out_dir: Path,
    accuracy_writer: AccuracyWriter | None = None,
) -> ComplianceVerdict:
    """TEST01 for one scenario: accuracy in performance mode, and performance within bounds.

    Writes ``out_dir/verify_accuracy.txt``, ``out_dir/verify_performance.txt`` and
    ``out_dir/accuracy/`` (the audit run's accuracy log, its accuracy and that of the baseline,
    when ``accuracy_writer`` - the benchmark's accuracy script - is given).
    """
    verdict = ComplianceVerdict("TEST01")
    applied, problem = _audit_applied("TEST01", audit_run / "mlperf_log_detail.txt")
    verdict.audit_applied = applied
    acc = compare_accuracy_logs(
        accuracy_run / "mlperf_log_accuracy.json", audit_run / "mlperf_log_accuracy.json"
    )
    verdict.accuracy_passed = acc.passed and applied
    acc_text = acc.report() if applied else _with_audit_problem(acc.report(), problem)
    _write(out_dir / "verify_accuracy.txt", acc_text, verdict)
    perf = compare_performance_test01(
        performance_run / "mlperf_log_detail.txt", audit_run / "mlperf_log_detail.txt"
    )
    verdict.performance_passed = perf.passed and applied
    perf_text = perf.report() if applied else _with_audit_problem(perf.report(), problem)
    _write(out_dir / "verify_performance.txt", perf_text, verdict)
    if problem:
        verdict.messages.append(problem)
    if acc.problem:
        verdict.messages.append(acc.problem)
    if perf.problem:
        verdict.messages.append(perf.problem)

    audit_log = audit_run / "mlperf_log_accuracy.json"
    acc_dir = out_dir / "accuracy"
    if audit_log.is_file():
        acc_dir.mkdir(parents=True, exist_ok=True)
        if audit_log.resolve() != (acc_dir / audit_log.name).resolve():
            shutil.copy2(audit_log, acc_dir / audit_log.name)
        verdict.files.append(acc_dir / audit_log.name)
        if accuracy_writer is not None:
            try:
                baseline = acc_dir / "mlperf_log_accuracy_baseline.json"
                write_baseline_log(accuracy_run / "mlperf_log_accuracy.json", audit_log, baseline)
                accuracy_writer(baseline, acc_dir / "baseline_accuracy.txt")
                baseline.unlink()
                accuracy_writer(audit_log, acc_dir / "compliance_accuracy.txt")
                # the checker wants accuracy.txt too: the audit run's accuracy
                shutil.copy2(acc_dir / "compliance_accuracy.txt", acc_dir / "accuracy.txt")
                verdict.files.append(acc_dir / "accuracy.txt")
                if verdict.accuracy_passed:
                    # the deterministic comparison passed: the checker wants exactly the log
                    # and accuracy.txt (REQUIRED_TEST01_ACC_FILES_1), not the comparison inputs
                    (acc_dir / "baseline_accuracy.txt").unlink()
                    (acc_dir / "compliance_accuracy.txt").unlink()
                else:
                    verdict.files += [
                        acc_dir / "baseline_accuracy.txt",
                        acc_dir / "compliance_accuracy.txt",
                    ]
            except (ComplianceInputError, OSError, ValueError) as exc:
                verdict.messages.append(f"accuracy of the audit run not computed: {exc}")
    return verdict


def verify_test04(*, performance_run: Path, audit_run: Path, out_dir: Path) -> ComplianceVerdict:
    """TEST04 for one scenario: the same-sample run is not faster than the performance run."""
    verdict = ComplianceVerdict("TEST04")
    applied, problem = _audit_applied("TEST04", audit_run / "mlperf_log_detail.txt")
    verdict.audit_applied = applied
    perf = compare_performance_test04(
        performance_run / "mlperf_log_summary.txt", audit_run / "mlperf_log_summary.txt"
    )
    verdict.performance_passed = perf.passed and applied
    text = perf.report() if applied else _with_audit_problem(perf.report(), problem)
    _write(out_dir / "verify_performance.txt", text, verdict)
    if problem:
        verdict.messages.append(problem)
    if perf.problem:
        verdict.messages.append(perf.problem)
    return verdict


#: the compliance tests mlperf-tui can verify
VERIFIERS = ("TEST01", "TEST04")
