"""Several inference streams, the exact expected latency, the sweep: real LoadGen on the tiny
model (seconds each)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness_util import REPO, run_harness, write_run

from harness.loadgen_logs import parse_detail_log


def _backend(streams: int, batch_size: int = 8) -> dict[str, Any]:
    return {
        "name": "onnxruntime",
        "execution_provider": "CPUExecutionProvider",
        "intra_op_threads": 1,
        "batch_size": batch_size,
        "streams": streams,
    }


@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_two_streams_complete_every_sample_once_and_score_every_one(
    tmp_path: Path, tiny_assets: Any, scenario: str
) -> None:
    for mode in ("performance", "accuracy"):
        folder = tmp_path / mode
        folder.mkdir()
        run = run_harness(write_run(folder, tiny_assets, scenario, mode, backend=_backend(2)))
        assert run.rc == 0 and run.result["status"] == "ok", run
        assert "x 2 streams" in run.stderr
        detail = parse_detail_log(run.output_dir)
        assert detail.errors == [], detail.errors
        final = run.by_name["progress"][-1]
        assert final["issued"] == final["completed"] > 0
        if mode == "performance":
            # (its validity depends on the machine's speed against the short user.conf)
            assert int(run.result["loadgen"]["query_count"]) > 0
        else:
            # every sample's result reached LoadGen's accuracy log, each once
            entries = json.loads((run.output_dir / "mlperf_log_accuracy.json").read_text())
            ids = [e["qsl_idx"] for e in entries]
            assert sorted(set(ids)) == list(range(tiny_assets.count))
            assert run.result["accuracy"]["value"] is not None


@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_a_stream_that_fails_fails_the_run_and_every_sample_is_still_completed(
    tmp_path: Path, tiny_assets: Any, scenario: str
) -> None:
    from test_harness_failures import FAILING_BACKEND, LONG_USER_CONF

    script = tmp_path / "failing_backend.py"
    script.write_text(FAILING_BACKEND)
    conf = LONG_USER_CONF.format(count=tiny_assets.count)
    run_json = write_run(tmp_path, tiny_assets, scenario, user_conf=conf, backend=_backend(2))
    run = run_harness(run_json, script=script, timeout=60)
    assert run.rc == 1, run
    assert "simulated runtime failure: device lost" in run.result["message"]
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    assert run.wall_s < 60


def test_singlestream_expected_latency_reaches_loadgen_in_nanoseconds(
    tmp_path: Path, tiny_assets: Any
) -> None:
    conf = (
        f"*.*.performance_sample_count_override = {tiny_assets.count}\n"
        "*.*.min_duration = 300\n"
        "*.SingleStream.min_query_count = 10\n"
        "*.SingleStream.target_latency = 1\n"
    )
    run = run_harness(
        write_run(
            tmp_path, tiny_assets, "SingleStream", user_conf=conf, expected_latency_ns=125_000
        )
    )
    assert run.rc == 0, run
    detail = parse_detail_log(run.output_dir).values
    assert int(detail["requested_single_stream_expected_latency_ns"]) == 125_000
    # LoadGen generated 1.1 x min duration of queries at that latency (not at user.conf's 1 ms)
    assert int(detail["generated_query_count"]) >= int(1.1 * 0.3 / 125e-6)
    # and the run ended at the min duration, not after its generated queries
    assert int(run.result["loadgen"]["query_count"]) < int(detail["generated_query_count"])


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )


def test_the_sweep_reports_every_point_then_its_choice(tmp_path: Path, tiny_assets: Any) -> None:
    config = write_run(tmp_path, tiny_assets, "Offline")
    proc = _harness(
        "tune", "--config", str(config), "--scenarios", "Offline,SingleStream,Server",
        "--seconds", "0.05", "--batch-sizes", "1,8", "--latency-bound-ms", "15",
        "--samples", "16",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    points = [x for x in lines if x["kind"] == "point"]
    assert [p["done"] for p in points] == list(range(1, len(points) + 1))
    assert all(p["total"] == len(points) for p in points)
    cores = lines[-1]["cores"]
    assert all(p["intra_op_threads"] * p["streams"] <= cores for p in points)
    assert {p["batch_size"] for p in points} == {1, 8}
    chosen = lines[-1]["chosen"]
    assert set(chosen) == {"Offline", "SingleStream", "Server"}
    best = max(points, key=lambda p: p["throughput"])
    assert chosen["Offline"]["throughput"] == best["throughput"]
    assert chosen["SingleStream"]["batch_size"] == 1 and chosen["SingleStream"]["streams"] == 1
    assert all(c["why"] for c in chosen.values())


def test_the_sweep_of_a_model_that_does_not_load_is_one_error_line(
    tmp_path: Path, tiny_assets: Any
) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    config = write_run(tmp_path, tiny_assets, "Offline", model_path=str(bad))
    proc = _harness("tune", "--config", str(config), "--seconds", "0.05")
    assert proc.returncode != 0
    (line,) = proc.stdout.splitlines()
    answer = json.loads(line)
    assert answer["kind"] == "error" and "cannot load" in answer["error"] and answer["fix"]
    assert "Traceback" not in proc.stderr


def test_calibration_on_the_data_set_runs_the_streams(tmp_path: Path, tiny_assets: Any) -> None:
    config = write_run(tmp_path, tiny_assets, "Offline", backend=_backend(2))
    proc = _harness("calibrate", "--config", str(config), "--budget-s", "0.2", "--samples", "32")
    assert proc.returncode == 0, proc.stderr
    timing = json.loads(proc.stdout)
    assert timing["streams"] == 2 and timing["batch_size"] == 8
    assert timing["throughput"] > 0 and timing["latency_s"] > 0


@pytest.mark.slow
def test_offline_calibration_sizes_the_run_from_a_loadgen_test_of_its_own(
    tmp_path: Path, tiny_assets: Any
) -> None:
    from harness.config import CALIBRATED_QPS_HEADROOM

    # user.conf's expected rate is far too low: the harness's own timing replaces it
    conf = (
        f"*.*.performance_sample_count_override = {tiny_assets.count}\n"
        "*.*.min_duration = 1000\n"
        "*.Offline.min_query_count = 100\n"
        "*.Offline.target_qps = 1\n"
    )
    run = run_harness(
        write_run(
            tmp_path,
            tiny_assets,
            "Offline",
            user_conf=conf,
            backend=_backend(2),
            offline_calibrate_s=0.5,
        )
    )
    assert run.rc == 0, run
    assert "calibrating" in [e["phase"] for e in run.by_name["phase"]]
    assert "Offline calibration:" in run.stderr
    detail = parse_detail_log(run.output_dir)
    # a second LoadGen test in the process left the run's own log clean
    assert detail.errors == [] and detail.warnings == [], (detail.errors, detail.warnings)
    values = detail.values
    qps = float(values["requested_offline_expected_qps"])
    assert qps > 100  # the tiny model runs thousands of samples a second here
    # LoadGen sized the query from it: expected QPS x min duration x its slack of 1.1
    samples = int(values["effective_samples_per_query"])
    assert samples == pytest.approx(qps * 1.0 * 1.1, rel=0.01)
    # the timing's rate x the headroom; the run's counts start afresh
    timed = re.search(r"Offline calibration: ([0-9.]+) samples/s", run.stderr)
    assert timed is not None, run.stderr
    assert qps == pytest.approx(float(timed.group(1)) * CALIBRATED_QPS_HEADROOM, rel=1e-3)
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] == samples
