"""Compliance verification (TEST01, TEST04) on hand-made LoadGen logs: pass and fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlperf_tui import compliance
from mlperf_tui.rules.checker import TEST01_ACCURACY_FILES


def _mllog(key: str, value: Any, *, error: bool = False) -> str:
    record = {
        "key": key,
        "value": value,
        "time_ms": 1.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": {"is_error": error, "is_warning": False, "file": "x.cc", "line_no": 1},
    }
    return ":::MLLOG " + json.dumps(record)


def write_run(
    folder: Path,
    *,
    scenario: str = "Offline",
    score: float = 1000.0,
    valid: bool = True,
    sampling_target: int = 0,
    issue_same: bool = False,
    accuracy: list[tuple[int, str]] | None = None,
    errors: tuple[str, ...] = (),
    target_latency_ns: int = 0,
) -> Path:
    """A run folder with LoadGen-format detail, summary and accuracy logs."""
    folder.mkdir(parents=True, exist_ok=True)
    key = compliance.DETAIL_RESULT_FIELD[scenario]
    lines = [
        _mllog("effective_scenario", scenario),
        _mllog("effective_test_mode", "PerformanceOnly"),
        _mllog("effective_target_latency_ns", target_latency_ns),
        _mllog("effective_accuracy_log_sampling_target", sampling_target),
        _mllog("effective_accuracy_log_probability", 0),
        _mllog("effective_performance_issue_same", issue_same),
        *(_mllog("error_runtime", e, error=True) for e in errors),
        _mllog("result_validity", "VALID" if valid else "INVALID"),
        _mllog(key, score),
    ]
    (folder / "mlperf_log_detail.txt").write_text("\n".join(lines) + "\n")
    if scenario == "Offline":
        score_line = f"Samples per second: {score}"
        extra = ""
    elif scenario == "Server":
        score_line = f"Completed samples per second    : {score}"
        extra = ""
    else:
        pct = "90.0th" if scenario == "SingleStream" else "99.0th"
        score_line = f"{pct} percentile latency (ns) : {score}"
        extra = f" * Early stopping {pct} percentile estimate: {int(score)}\n"
    summary = (
        "================================================\n"
        "MLPerf Results Summary\n"
        "================================================\n"
        "SUT name : PySUT\n"
        f"Scenario : {scenario}\n"
        "Mode     : PerformanceOnly\n"
        f"{score_line}\n"
        f"Result is : {'VALID' if valid else 'INVALID'}\n"
        "Early Stopping Result:\n"
        f"{extra}"
        "\nTest Parameters Used\n"
        f"target_latency (ns): {target_latency_ns}\n"
    )
    (folder / "mlperf_log_summary.txt").write_text(summary)
    entries = [
        {"seq_id": i, "qsl_idx": idx, "data": data} for i, (idx, data) in enumerate(accuracy or [])
    ]
    (folder / "mlperf_log_accuracy.json").write_text(json.dumps(entries))
    return folder


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text().splitlines()]


ACC_RUN = [(i, f"{i % 7:02x}00000000000000") for i in range(20)]


def _count_writer(log: Path, out: Path) -> None:
    """A stand-in accuracy script: the share of responses whose first byte is even."""
    entries = json.loads(log.read_text())
    good = sum(1 for e in entries if int(e["data"][:2], 16) % 2 == 0)
    out.write_text(f"accuracy={100.0 * good / max(1, len(entries)):.3f}%, good={good}\n")


def test_test01_passes_on_matching_responses_and_close_performance(tmp_path: Path) -> None:
    acc = write_run(tmp_path / "acc", accuracy=ACC_RUN)
    perf = write_run(tmp_path / "perf", score=1000.0)
    audit = write_run(
        tmp_path / "audit",
        score=950.0,
        sampling_target=256,
        accuracy=[(3, "0300000000000000"), (11, "0400000000000000"), (3, "0300000000000000")],
    )
    verdict = compliance.verify_test01(
        accuracy_run=acc,
        performance_run=perf,
        audit_run=audit,
        out_dir=audit,
        accuracy_writer=_count_writer,
    )
    assert verdict.passed, verdict.messages
    # the checker wants a line that is exactly "TEST PASS" in verify_accuracy.txt
    assert "TEST PASS" in _lines(audit / "verify_accuracy.txt")
    assert "num_perf_log_qsl_idx_match = 3" in _lines(audit / "verify_accuracy.txt")
    assert any("TEST PASS" in ln for ln in _lines(audit / "verify_performance.txt"))
    # passed: exactly the audit log and its accuracy (REQUIRED_TEST01_ACC_FILES_1)
    assert sorted(p.name for p in (audit / "accuracy").iterdir()) == [
        "accuracy.txt",
        "mlperf_log_accuracy.json",
    ]
    # 3, 11, 3 as the audit run logged: 3 % 7 = 3 (odd), 11 % 7 = 4 (even)
    assert (audit / "accuracy" / "accuracy.txt").read_text().startswith("accuracy=33.333%")


def test_test01_fails_when_a_response_differs(tmp_path: Path) -> None:
    acc = write_run(tmp_path / "acc", accuracy=ACC_RUN)
    perf = write_run(tmp_path / "perf")
    audit = write_run(
        tmp_path / "audit",
        sampling_target=256,
        accuracy=[(3, "0300000000000000"), (5, "0600000000000000")],  # sample 5 was 05
    )
    verdict = compliance.verify_test01(
        accuracy_run=acc,
        performance_run=perf,
        audit_run=audit,
        out_dir=audit,
        accuracy_writer=_count_writer,
    )
    assert verdict.accuracy_passed is False
    assert verdict.performance_passed is True
    assert not verdict.passed
    lines = _lines(audit / "verify_accuracy.txt")
    assert "TEST PASS" not in lines and "TEST FAIL" in lines
    assert "num_perf_log_data_mismatch = 1" in lines
    # failed: the checker compares the accuracy of the baseline and the audit responses
    for name in TEST01_ACCURACY_FILES:
        assert (audit / "accuracy" / name).is_file(), name
    # the accuracy run answered 03 and 05 (both odd), the audit run 03 and 06
    assert (audit / "accuracy" / "baseline_accuracy.txt").read_text().startswith("accuracy=0.000%")
    compliance_acc = (audit / "accuracy" / "compliance_accuracy.txt").read_text()
    assert compliance_acc.startswith("accuracy=50.000%")
    assert not (audit / "accuracy" / "mlperf_log_accuracy_baseline.json").exists()


def test_test01_fails_when_no_sample_matches(tmp_path: Path) -> None:
    acc = write_run(tmp_path / "acc", accuracy=ACC_RUN)
    perf = write_run(tmp_path / "perf")
    audit = write_run(tmp_path / "audit", sampling_target=256, accuracy=[])
    verdict = compliance.verify_test01(
        accuracy_run=acc, performance_run=perf, audit_run=audit, out_dir=audit
    )
    assert verdict.accuracy_passed is False
    assert "TEST PASS" not in _lines(audit / "verify_accuracy.txt")


@pytest.mark.parametrize(
    ("scenario", "ref", "test", "passed"),
    [
        ("Offline", 1000.0, 1095.0, True),
        ("Offline", 1000.0, 890.0, False),  # 11% slower: outside 10%
        ("Offline", 1000.0, 1110.0, False),  # 11% faster: outside 10% too (TEST01 is two-sided)
        ("SingleStream", 150_000.0, 178_000.0, True),  # <= 200 us: 20% allowed
        ("SingleStream", 500_000.0, 570_000.0, False),  # > 200 us: 10%
        ("Server", 100.0, 104.0, True),
    ],
)
def test_test01_performance_thresholds(
    tmp_path: Path, scenario: str, ref: float, test: float, passed: bool
) -> None:
    perf = write_run(tmp_path / "perf", scenario=scenario, score=ref)
    audit = write_run(tmp_path / "audit", scenario=scenario, score=test, sampling_target=64)
    result = compliance.compare_performance_test01(
        perf / "mlperf_log_detail.txt", audit / "mlperf_log_detail.txt"
    )
    assert result.passed is passed
    assert ("TEST PASS" in result.report()) is passed


def test_test01_performance_fails_on_invalid_run_and_server_latency_mismatch(
    tmp_path: Path,
) -> None:
    perf = write_run(tmp_path / "perf", valid=False)
    audit = write_run(tmp_path / "audit", sampling_target=64)
    result = compliance.compare_performance_test01(
        perf / "mlperf_log_detail.txt", audit / "mlperf_log_detail.txt"
    )
    assert not result.passed and "Invalid results" in result.problem
    perf = write_run(tmp_path / "p2", scenario="Server", score=100.0, target_latency_ns=15_000_000)
    audit = write_run(tmp_path / "a2", scenario="Server", score=100.0, target_latency_ns=10_000_000)
    result = compliance.compare_performance_test01(
        perf / "mlperf_log_detail.txt", audit / "mlperf_log_detail.txt"
    )
    assert not result.passed and "latency mismatch" in result.problem


def test_test01_fails_when_audit_config_was_not_applied(tmp_path: Path) -> None:
    acc = write_run(tmp_path / "acc", accuracy=ACC_RUN)
    perf = write_run(tmp_path / "perf")
    audit = write_run(tmp_path / "audit", sampling_target=0, accuracy=[(3, "0300000000000000")])
    verdict = compliance.verify_test01(
        accuracy_run=acc, performance_run=perf, audit_run=audit, out_dir=audit
    )
    assert not verdict.audit_applied and not verdict.passed
    assert "TEST PASS" not in _lines(audit / "verify_accuracy.txt")
    assert not any("TEST PASS" in ln for ln in _lines(audit / "verify_performance.txt"))
    assert "audit.config was not applied" in (audit / "verify_performance.txt").read_text()


def test_test01_missing_logs_fail_with_a_reason(tmp_path: Path) -> None:
    audit = write_run(tmp_path / "audit", sampling_target=64)
    verdict = compliance.verify_test01(
        accuracy_run=tmp_path / "nope",
        performance_run=tmp_path / "nope",
        audit_run=audit,
        out_dir=audit,
    )
    assert not verdict.passed
    assert "missing" in (audit / "verify_accuracy.txt").read_text()


@pytest.mark.parametrize(
    ("scenario", "ref", "test", "passed"),
    [
        ("Offline", 1000.0, 1050.0, True),
        ("Offline", 1000.0, 700.0, True),  # slower is fine: TEST04 looks for caching
        ("Offline", 1000.0, 1150.0, False),  # 15% faster with the same sample: caching
        ("Server", 100.0, 112.0, False),
        # SS summary scores are 1e9/latency: 1 ms latency -> 1000, relaxed threshold 20%
        ("SingleStream", 1_000_000.0, 900_000.0, True),
        ("SingleStream", 1_000_000.0, 800_000.0, False),  # 25% faster
    ],
)
def test_test04(tmp_path: Path, scenario: str, ref: float, test: float, passed: bool) -> None:
    perf = write_run(tmp_path / "perf", scenario=scenario, score=ref)
    audit = write_run(tmp_path / "audit", scenario=scenario, score=test, issue_same=True)
    verdict = compliance.verify_test04(performance_run=perf, audit_run=audit, out_dir=audit)
    assert verdict.passed is passed
    text = (audit / "verify_performance.txt").read_text()
    assert ("TEST PASS" in text) is passed
    assert verdict.accuracy_passed is None


def test_test04_fails_on_invalid_reference_and_missing_audit(tmp_path: Path) -> None:
    perf = write_run(tmp_path / "perf", valid=False)
    audit = write_run(tmp_path / "audit", issue_same=True)
    verdict = compliance.verify_test04(performance_run=perf, audit_run=audit, out_dir=audit)
    assert not verdict.passed
    assert "Reference results are invalid" in (audit / "verify_performance.txt").read_text()
    perf = write_run(tmp_path / "p2")
    audit = write_run(tmp_path / "a2", issue_same=False)
    verdict = compliance.verify_test04(performance_run=perf, audit_run=audit, out_dir=audit)
    assert not verdict.passed and not verdict.audit_applied


def test_errors_in_a_log_are_reported_as_warnings(tmp_path: Path) -> None:
    perf = write_run(tmp_path / "perf", errors=("Ending early",))
    audit = write_run(tmp_path / "audit", sampling_target=64)
    result = compliance.compare_performance_test01(
        perf / "mlperf_log_detail.txt", audit / "mlperf_log_detail.txt"
    )
    assert result.passed
    assert "WARNING: 1 ERROR reported in the performance run" in result.report()


def test_baseline_log_keeps_the_accuracy_runs_entries_for_the_audited_samples(
    tmp_path: Path,
) -> None:
    acc = write_run(tmp_path / "acc", accuracy=ACC_RUN)
    audit = write_run(tmp_path / "audit", accuracy=[(4, "x"), (9, "y"), (4, "x")])
    out = tmp_path / "baseline.json"
    assert (
        compliance.write_baseline_log(
            acc / "mlperf_log_accuracy.json", audit / "mlperf_log_accuracy.json", out
        )
        == 2
    )
    kept = json.loads(out.read_text())
    assert [(e["qsl_idx"], e["data"]) for e in kept] == [
        (4, "0400000000000000"),
        (9, "0200000000000000"),
    ]
