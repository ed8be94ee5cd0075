"""BERT-99 on stand-ins: profiles/bert-99-edge.yaml replays headlessly to a package that our
validator and the official checker (reference copy) accept apart from test execution and
synthetic assets; the closed division adds TEST01, verified per scenario."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import reference_copy as ref
import yaml

from mlperf_tui.cli import main
from mlperf_tui.official import run_official_checker
from mlperf_tui.rules.checker import ACCURACY_PATTERNS

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "bert-99-edge.yaml"
#: features of the generated set: quicker than the profile's 1024, the same code path
COUNT = 96


def _replay(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    **changes: Any,
) -> tuple[dict[str, Any], Path]:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    data = yaml.safe_load(PROFILE.read_text())
    assert data["benchmark"] == "bert-99" and data["assets"]["model"]["kind"] == "tiny-bert"
    data["assets"]["dataset"]["count"] = COUNT
    data["output"] = str(tmp_path / "results")
    data["system"]["host_processor_model_name"] = "AMD EPYC 9654 96-Core Processor"
    data.update(changes)
    profile = tmp_path / "bert.yaml"
    profile.write_text(yaml.safe_dump(data))
    out = tmp_path / "pkg"
    code = main(["run", str(profile), "--headless", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-3000:]
    doc: dict[str, Any] = json.loads(captured.out)
    assert doc["complete"] is True, doc["runs"]
    errors = {f["id"] for f in doc["validation"]["findings"] if f["severity"] == "error"}
    assert errors == {"package.test-execution", "package.synthetic-assets"}
    return doc, out


def _check_accuracy_files(scenario: Path) -> None:
    lines = (scenario / "accuracy" / "accuracy.txt").read_text().splitlines()
    assert re.match(ACCURACY_PATTERNS["F1"], lines[0]), lines[0]
    assert json.loads(lines[0]).keys() == {"exact_match", "f1"}
    assert re.match(r"^hash=[0-9a-f]{64}$", lines[-1])


@pytest.mark.parametrize(
    # slow (12 s): make test stays under ten minutes; tests/harness/test_bert.py runs BERT quickly
    "benchmark",
    [
        pytest.param("bert-99", marks=pytest.mark.slow),
        pytest.param("bert-99.9", marks=pytest.mark.slow),
    ],
)
def test_the_bert_profile_replays_to_an_accepted_open_package(
    benchmark: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc, out = _replay(tmp_path, capsys, monkeypatch, benchmark=benchmark)
    assert [(r["scenario"], r["mode"]) for r in doc["runs"]] == [
        ("SingleStream", "performance"),
        ("SingleStream", "accuracy"),
        ("Offline", "performance"),
        ("Offline", "accuracy"),
    ]
    accuracy = [r for r in doc["runs"] if r["mode"] == "accuracy"]
    assert all(r["accuracy_metric"] == "F1" and 0 <= r["accuracy"] < 100 for r in accuracy)
    base = out / "open" / "Quickstart"
    assert json.loads((base / "model_mapping.json").read_text()) == {"tiny-bert": benchmark}
    (system,) = (base / "results").iterdir()
    for scenario in ("SingleStream", "Offline"):
        _check_accuracy_files(system / "tiny-bert" / scenario)
    measurements = json.loads((system / "tiny-bert" / "Offline" / "measurements.json").read_text())
    assert measurements["input_data_types"] == "int64"
    verdict = run_official_checker(out, ref.inference_root(), version="v6.1")
    assert not verdict.crashed
    assert ref.unexplained_errors(verdict.errors) == []


def _verdict_says(path: Path) -> str:
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    return "PASS" if "TEST PASS" in lines else "FAIL"


# the closed variant (TEST01): slow, so make test stays under ten minutes on two cores
@pytest.mark.slow
def test_the_closed_division_runs_and_verifies_test01(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, out = _replay(tmp_path, capsys, monkeypatch, division="closed")
    assert [r["run_id"] for r in doc["runs"]] == [
        "SingleStream-performance",
        "SingleStream-accuracy",
        "SingleStream-TEST01",
        "Offline-performance",
        "Offline-accuracy",
        "Offline-TEST01",
    ]
    (system,) = (out / "closed" / "Quickstart" / "results").iterdir()
    performance: dict[str, str] = {}
    for scenario in ("SingleStream", "Offline"):
        folder = system / "bert-99" / scenario
        _check_accuracy_files(folder)
        test01 = folder / "TEST01"
        # the stand-in is deterministic: the audit's logged responses equal the accuracy run's
        assert _verdict_says(test01 / "verify_accuracy.txt") == "PASS"
        performance[scenario] = _verdict_says(test01 / "verify_performance.txt")
        assert sorted(p.name for p in (test01 / "accuracy").iterdir()) == [
            "accuracy.txt",
            "mlperf_log_accuracy.json",
        ]
    verdict = run_official_checker(out, ref.inference_root(), version="v6.1")
    assert not verdict.crashed
    # beyond test execution, the checker may only repeat what the TEST01 performance
    # verification found: short runs on a shared machine can differ by more than 10 %
    unexplained = ref.unexplained_errors(verdict.errors)
    for line in unexplained:
        if line.startswith("Some compliance check Checks failed for"):
            continue
        match = re.search(r"results/[^/]+/bert-99/(\w+)/TEST01 failed$", line)
        assert match and "performance check" in line, line
        assert performance[match.group(1)] == "FAIL", line
