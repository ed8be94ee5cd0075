"""One harness run for the benchmark scripts: RUN.json through ``python -m harness``, as the
runner starts it, and LoadGen's metric of the run (the scripts compare it with raw loops)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def run_dict(
    tmp: Path,
    scenario: str,
    model: Path,
    dataset: Path,
    cache: Path,
    backend: Any,
    *,
    benchmark: str = "resnet50",
    loadgen_model: str = "resnet50",
    task: str = "imagenet_classification",
    progress_interval_s: float = 0.25,
    expected_latency_ns: int | None = None,
) -> dict[str, Any]:
    """RUN.json of one performance run (user.conf at tmp/user.conf, a fresh output folder),
    written by the harness's own RunConfig; ``backend`` is a BackendOptions."""
    import time

    from harness.config import RunConfig

    return RunConfig(
        benchmark=benchmark,
        loadgen_model=loadgen_model,
        task=task,
        scenario=scenario,
        mode="performance",
        model_path=model,
        dataset_path=dataset,
        cache_dir=cache,
        user_conf=tmp / "user.conf",
        output_dir=tmp / f"out-{scenario}-{time.monotonic_ns()}",
        backend=backend,
        progress_interval_s=progress_interval_s,
        expected_latency_ns=expected_latency_ns,
    ).to_dict()


def loadgen_metric(tmp: Path, run: dict[str, Any]) -> float:
    """Write ``run`` as tmp/RUN.json, run the harness child on it, return LoadGen's metric;
    SystemExit with the harness's error and stderr when the run does not finish ok."""
    from harness.events import parse_event

    (tmp / "RUN.json").write_text(json.dumps(run))
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--config", str(tmp / "RUN.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=False,
    )
    result: dict[str, Any] = {}
    for line in proc.stdout.splitlines():
        event = parse_event(line)
        if event["event"] in ("result", "error"):
            result = event
    if result.get("event") != "result" or result.get("status") != "ok":
        raise SystemExit(f"harness run failed: {result}\n{proc.stderr[-2000:]}")
    return float(result["loadgen"]["metric_value"])


def offline_metric(
    tmp: Path,
    *,
    benchmark: str,
    loadgen_model: str,
    task: str,
    model: Path,
    dataset: Path,
    cache: Path,
    threads: int,
    batch_size: int,
    samples: int,
    qps: float,
    seconds: float,
    streams: int = 1,
    progress_interval_s: float = 0.25,
) -> float:
    """LoadGen's Offline samples per second of one harness run of ``model`` on ``samples``
    samples of ``dataset`` for about ``seconds`` at ``qps`` (``threads`` 0: all cores; with
    ``streams`` concurrent inference streams; a progress event every ``progress_interval_s``)."""
    (tmp / "user.conf").write_text(
        f"*.*.performance_sample_count_override = {samples}\n"
        f"*.*.min_duration = {int(seconds * 1000)}\n"
        f"*.Offline.target_qps = {qps:.3f}\n"
        "*.Offline.min_query_count = 1\n"
    )
    from harness.config import BackendOptions

    backend = BackendOptions(intra_op_threads=threads, batch_size=batch_size, streams=streams)
    run = run_dict(
        tmp, "Offline", model, dataset, cache, backend, benchmark=benchmark,
        loadgen_model=loadgen_model, task=task, progress_interval_s=progress_interval_s,
    )  # fmt: skip
    return loadgen_metric(tmp, run)
