"""How much the harness costs over raw ONNX Runtime, on the ResNet50 stand-in and the tiny model.

    python benchmarks/harness_overhead.py [--quick] [--cache-dir DIR]

For each model, side by side in one run:

- Offline: raw ONNX Runtime (a plain loop over preloaded, contiguous batches, the best batch
  size of a few, the same threads) vs the harness under LoadGen in Offline with that batch
  size: LoadGen's samples per second / raw samples per second (targets: >= 0.97 on ResNet50,
  >= 0.90 on the tiny model).
- SingleStream: raw p90 latency of one-sample runs vs LoadGen's p90 of the harness in
  SingleStream: the difference in microseconds (target on the tiny model: < 60 us).
- Startup: the second start of a ResNet50 Offline run (preprocessed-sample cache warm), from
  process start to LoadGen's first issued query (target < 2 s).

The ratios are printed last. Assets are the synthetic stand-ins of mlperf_tui.assets (generated
once into the cache folder).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _child import run_dict  # noqa: E402

from harness.config import BackendOptions  # noqa: E402
from harness.events import parse_event  # noqa: E402
from harness.tasks import get_task  # noqa: E402

DATASET_COUNT = 256


def raw_offline(session: Any, data: np.ndarray, batch_size: int, seconds: float) -> float:
    """Samples per second of a plain loop over contiguous batches."""
    name = session.get_inputs()[0].name
    n = data.shape[0] - data.shape[0] % batch_size
    session.run(["ArgMax:0"], {name: data[:batch_size]})  # warm-up
    done = 0
    start = time.perf_counter_ns()
    end = start + int(seconds * 1e9)
    i = 0
    while time.perf_counter_ns() < end:
        session.run(["ArgMax:0"], {name: data[i : i + batch_size]})
        done += batch_size
        i = (i + batch_size) % n
    return done / ((time.perf_counter_ns() - start) / 1e9)


def raw_single_stream_p90(session: Any, data: np.ndarray, queries: int) -> float:
    """p90 latency (ns, LoadGen's nearest rank) of one-sample runs on random samples."""
    name = session.get_inputs()[0].name
    rng = np.random.default_rng(0)
    picks = rng.integers(0, data.shape[0], size=queries)
    session.run(["ArgMax:0"], {name: data[:1]})
    latencies = []
    for i in picks.tolist():
        t0 = time.perf_counter_ns()
        session.run(["ArgMax:0"], {name: data[i : i + 1]})
        latencies.append(time.perf_counter_ns() - t0)
    latencies.sort()
    return float(latencies[int(len(latencies) * 0.9)])


def run_harness(
    tmp: Path, model: Path, dataset: Path, cache: Path, scenario: str, batch_size: int, conf: str
) -> tuple[dict[str, Any], float | None]:
    """One harness run; returns its result event and seconds from spawn to first issue."""
    (tmp / "user.conf").write_text(conf)
    run = run_dict(tmp, scenario, model, dataset, cache, BackendOptions(batch_size=batch_size))
    (tmp / "RUN.json").write_text(json.dumps(run))
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--config", str(tmp / "RUN.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    first_issue = None
    result: dict[str, Any] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        event = parse_event(line)
        if event["event"] == "progress" and first_issue is None and event["issued"] > 0:
            first_issue = time.monotonic() - t0
        if event["event"] in ("result", "error"):
            result = event
    proc.wait()
    if result.get("event") != "result" or result.get("status") != "ok":
        raise SystemExit(f"harness run failed: {result}")
    return result, first_issue


def conf_for(
    count: int, min_ms: int, offline_qps: float, ss_queries: int, ss_latency_ms: int
) -> str:
    return (
        f"*.*.performance_sample_count_override = {count}\n"
        f"*.*.min_duration = {min_ms}\n"
        f"*.Offline.target_qps = {offline_qps:.1f}\n"
        "*.Offline.min_query_count = 1\n"
        f"*.SingleStream.min_query_count = {ss_queries}\n"
        f"*.SingleStream.target_latency = {ss_latency_ms}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", default=None, help="asset cache (default: the user cache)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    args = parser.parse_args()

    import onnxruntime as ort

    from harness.backends.onnxruntime import physical_cores
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    entry = benchmarks.require("resnet50")

    seconds = 3.0 if args.quick else 8.0
    rounds = 2 if args.quick else 3
    threads = physical_cores()
    dataset = synthetic_dataset(entry, DATASET_COUNT, seed=0, cache_dir=args.cache_dir)
    cache = Path(tempfile.mkdtemp(prefix="harness-bench-cache-"))
    task = get_task("imagenet_classification")
    probe = ort.InferenceSession(
        str(synthetic_model(entry, "tiny", seed=0, cache_dir=args.cache_dir)),
        providers=["CPUExecutionProvider"],
    )
    # both models take the same preprocessed input (the tiny one mirrors ResNet50's)
    binding = task.bind(probe.get_inputs(), probe.get_outputs(), {})
    del probe
    ds = task.open_dataset(dataset, cache, None, binding)
    ds.load(np.arange(DATASET_COUNT))
    data = np.ascontiguousarray(ds.batch(np.arange(DATASET_COUNT))[binding.inputs[0].name])
    print(f"{threads} cores; {DATASET_COUNT} preprocessed samples; onnxruntime {ort.__version__}")

    figures: dict[str, dict[str, float]] = {}
    for kind, batch_sizes in (("resnet50", (1, 4, 16)), ("tiny", (8, 32, 128))):
        model = synthetic_model(entry, kind, seed=0, cache_dir=args.cache_dir)
        so = ort.SessionOptions()
        so.intra_op_num_threads = BackendOptions().intra_op_threads or threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])

        per_batch = {b: raw_offline(session, data, b, seconds / 3) for b in batch_sizes}
        best = max(per_batch, key=lambda b: per_batch[b])
        ss_queries = 100 if kind == "resnet50" else 2000
        # the machine may be shared: raw and harness alternate, and each keeps its best round
        raw_tput, raw_p90 = 0.0, float("inf")
        harness_tput, harness_p90 = 0.0, float("inf")
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            for _ in range(rounds):
                raw_tput = max(raw_tput, raw_offline(session, data, best, seconds))
                conf = conf_for(DATASET_COUNT, int(seconds * 1000), raw_tput, ss_queries, 1)
                offline, _ = run_harness(tmp, model, dataset, cache, "Offline", best, conf)
                harness_tput = max(harness_tput, offline["loadgen"]["metric_value"])
                raw_p90 = min(raw_p90, raw_single_stream_p90(session, data, ss_queries))
                conf = conf_for(
                    DATASET_COUNT, 100, raw_tput, ss_queries, max(1, int(raw_p90 / 1e6))
                )
                single, _ = run_harness(tmp, model, dataset, cache, "SingleStream", 1, conf)
                harness_p90 = min(harness_p90, single["loadgen"]["percentiles_ns"]["90.00"])
            figures[kind] = {
                "batch_size": best,
                "raw_samples_per_s": raw_tput,
                "harness_samples_per_s": harness_tput,
                "offline_ratio": harness_tput / raw_tput,
                "raw_p90_us": raw_p90 / 1e3,
                "harness_p90_us": harness_p90 / 1e3,
                "p90_overhead_us": (harness_p90 - raw_p90) / 1e3,
            }
            if kind == "resnet50":
                short = conf_for(DATASET_COUNT, 100, 10.0, 1, 1)
                starts = [
                    run_harness(tmp, model, dataset, cache, "Offline", best, short)[1]
                    for _ in range(2)
                ]
                figures[kind]["second_start_s"] = starts[1] or float("nan")
        del session
        f = figures[kind]
        print(
            f"{kind:9s} batch {best:3d}: raw {f['raw_samples_per_s']:9.1f}/s  harness "
            f"{f['harness_samples_per_s']:9.1f}/s | SingleStream p90 raw "
            f"{f['raw_p90_us']:9.1f} us  harness {f['harness_p90_us']:9.1f} us"
        )
        sys.stdout.flush()

    print()
    for kind, target in (("resnet50", 0.97), ("tiny", 0.90)):
        f = figures[kind]
        print(
            f"Offline throughput ratio, {kind:8s}: {f['offline_ratio']:.3f}x raw (target >= {target})"
        )
    for kind in ("resnet50", "tiny"):
        f = figures[kind]
        target = " (target < 60 us)" if kind == "tiny" else ""
        print(f"SingleStream p90 overhead, {kind:8s}: {f['p90_overhead_us']:+.1f} us{target}")
    print(
        "Second start to first issued query, resnet50: "
        f"{figures['resnet50']['second_start_s']:.2f} s (target < 2 s)"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO))
    sys.exit(main())
