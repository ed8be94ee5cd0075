"""LLM benchmarks through a real serving engine: llama.cpp's server hosting the tiny stand-in.

profiles/llama2-70b-tiny-engine.yaml (Offline, Server) and
profiles/llama3.1-8b-edge-tiny-engine.yaml (SingleStream, Offline) replay headlessly against
the engine to packages that our validator and the official checker (reference copy) accept
apart from test execution and synthetic assets, with LoadGen's TTFT and TPOT in the results.
An engine killed mid-run fails that run with the reason; the runs before it are kept.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import reference_copy as ref
import yaml
from llama_server import engine_missing, start_llama_server, tiny_engine

from mlperf_tui.cli import main
from mlperf_tui.official import run_official_checker
from mlperf_tui.rules.checker import ACCURACY_PATTERNS

PROFILES = Path(__file__).resolve().parents[2] / "profiles"
#: what test execution on stand-ins leaves: the package is complete but not submittable
TEST_EXECUTION_ONLY = {"package.test-execution", "package.synthetic-assets"}

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(
        engine_missing() is not None, reason=f"no llama.cpp server here: {engine_missing()}"
    ),
]


def _profile(tmp_path: Path, name: str, base_url: str, **changes: Any) -> Path:
    data = yaml.safe_load((PROFILES / name).read_text())
    assert data["harness"] == "endpoint" and data["assets"]["model"]["kind"] == "tiny-engine"
    data["endpoint"]["url"] = base_url + "/v1"
    data["output"] = str(tmp_path / "results")
    data["system"]["host_processor_model_name"] = "AMD EPYC 9654 96-Core Processor"
    data.update(changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _replay(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    **changes: Any,
) -> tuple[dict[str, Any], Path]:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    with start_llama_server(tiny_engine(tmp_path / "engine"), log_dir=tmp_path) as server:
        profile = _profile(tmp_path, name, server.base_url, **changes)
        out = tmp_path / "pkg"
        code = main(["run", str(profile), "--headless", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    doc: dict[str, Any] = json.loads(captured.out)
    assert doc["complete"] is True, doc["runs"]
    errors = {f["id"] for f in doc["validation"]["findings"] if f["severity"] == "error"}
    assert errors == TEST_EXECUTION_ONLY, doc["validation"]["findings"]
    assert code == 0, captured.err[-3000:]
    return doc, out


def _check_accuracy(scenario: Path, key: str) -> None:
    lines = (scenario / "accuracy" / "accuracy.txt").read_text().splitlines()
    assert lines[0].startswith("{'rouge1': "), lines[0]
    # the line the checker reads: every ROUGE and length figure it asks for
    import re

    for pattern in ("ROUGE1", "ROUGE2", "ROUGEL", key):
        assert re.search(ACCURACY_PATTERNS[pattern], lines[0]), (pattern, lines[0])
    assert lines[-1].startswith("hash=")


def _official_accepts(out: Path) -> None:
    verdict = run_official_checker(out, ref.inference_root(), version="v6.1")
    assert not verdict.crashed
    assert ref.unexplained_errors(verdict.errors) == []


@pytest.mark.timeout(600)
def test_llama2_offline_and_server_through_llama_cpp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, out = _replay(tmp_path, capsys, monkeypatch, "llama2-70b-tiny-engine.yaml")
    runs = {r["run_id"]: r for r in doc["runs"]}
    assert list(runs) == [
        "Server-performance",
        "Server-accuracy",
        "Offline-performance",
        "Offline-accuracy",
    ]
    server = runs["Server-performance"]
    assert server["valid"] is True
    # LoadGen measured the time to the first token and per output token (use_token_latencies)
    assert server["ttft_p99_ms"] > 0 and server["tpot_p99_ms"] > 0
    assert runs["Offline-performance"]["valid"] is True
    assert all(runs[r]["accuracy_metric"] == "ROUGE1" for r in runs if r.endswith("accuracy"))
    (system,) = (out / "open" / "TinyEngine" / "results").iterdir()
    for scenario in ("Server", "Offline"):
        _check_accuracy(system / "llama2-70b-99.9" / scenario, "TOKENS_PER_SAMPLE")
    _official_accepts(out)


@pytest.mark.timeout(600)
def test_llama3_edge_singlestream_and_offline_through_llama_cpp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, out = _replay(tmp_path, capsys, monkeypatch, "llama3.1-8b-edge-tiny-engine.yaml")
    runs = {r["run_id"]: r for r in doc["runs"]}
    assert runs["SingleStream-performance"]["valid"] is True
    assert runs["SingleStream-performance"]["ttft_p99_ms"] > 0
    assert runs["Offline-performance"]["valid"] is True
    (system,) = (out / "open" / "TinyEngine" / "results").iterdir()
    for scenario in ("SingleStream", "Offline"):
        _check_accuracy(system / "llama3.1-8b-edge" / scenario, "GEN_LEN")
    _official_accepts(out)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_closed_division_runs_and_verifies_test06(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, out = _replay(
        tmp_path, capsys, monkeypatch, "llama2-70b-tiny-engine.yaml", division="closed"
    )
    assert [r["run_id"] for r in doc["runs"]] == [
        "Server-performance",
        "Server-accuracy",
        "Server-TEST06",
        "Offline-performance",
        "Offline-accuracy",
        "Offline-TEST06",
    ]
    (system,) = (out / "closed" / "TinyEngine" / "results").iterdir()
    for scenario, first_token in (("Server", "True"), ("Offline", "Skipped")):
        lines = system / "llama2-70b-99.9" / scenario / "TEST06" / "verify_accuracy.txt"
        text = lines.read_text().splitlines()
        assert text == [
            f"First token check pass: {first_token}",
            "EOS check pass: True",
            "Sample length check pass: True",
            "TEST06 verification complete",
        ]
    _official_accepts(out)


def _wait_for(predicate: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.timeout(300)
def test_an_engine_killed_mid_run_fails_that_run_and_keeps_the_earlier_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    with start_llama_server(tiny_engine(tmp_path / "engine"), log_dir=tmp_path) as server:
        # a long accuracy run to kill the engine in (every answer 128 tokens)
        profile = _profile(
            tmp_path,
            "llama3.1-8b-edge-tiny-engine.yaml",
            server.base_url,
            scenarios=["SingleStream"],
        )
        data = yaml.safe_load(profile.read_text())
        data["endpoint"]["max_tokens"] = 128
        data["targets"] = {"SingleStream": data["targets"]["SingleStream"]}
        profile.write_text(yaml.safe_dump(data))
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--headless", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            results = tmp_path / "results"

            def accuracy_running() -> bool:
                if proc.poll() is not None:
                    return True  # it ended early: the asserts below say why
                events = list(results.glob("*/runs/SingleStream-accuracy/events.jsonl"))
                return bool(events) and '"progress"' in events[0].read_text()

            assert _wait_for(accuracy_running, 120), proc.stderr.read() if proc.stderr else ""
            server.kill()
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
    assert proc.returncode != 0
    doc = json.loads(stdout)
    runs = {r["run_id"]: r for r in doc["runs"]}
    first, killed = runs["SingleStream-performance"], runs["SingleStream-accuracy"]
    assert first["status"] == "ok" and first["valid"] is True
    assert killed["status"] == "failed"
    assert "stopped answering" in killed["message"], killed["message"]
    assert "Traceback" not in stderr
    (folder,) = results.iterdir()
    # LoadGen finished its logs: every issued query was completed
    detail = (folder / "runs" / "SingleStream-accuracy" / "mlperf_log_detail.txt").read_text()
    assert "result_validity" in detail or "accuracy" in detail
    # the run before it is intact
    kept = json.loads((folder / "runs" / "SingleStream-performance" / "result.json").read_text())
    assert kept["status"] == "ok" and kept["valid"] is True
    assert (folder / "runs" / "SingleStream-performance" / "mlperf_log_summary.txt").is_file()
