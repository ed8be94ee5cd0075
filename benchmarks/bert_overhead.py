"""How much the harness costs over raw ONNX Runtime on the BERT stand-in (tiny-bert), Offline.

    python benchmarks/bert_overhead.py [--quick] [--cache-dir DIR]

Side by side in one run, on the same model and the same features (a generated SQuAD set
converted by the harness's own data set code):

1. raw ONNX Runtime: a plain loop of ``session.run`` over contiguous batches of the three int64
   inputs, for a small sweep of batch size x intra-op threads; the best configuration wins;
2. the harness under LoadGen in Offline with that batch size and thread count (a
   ``python -m harness`` child, as the runner starts it).

Raw and harness alternate (the machine may be shared): each harness run is compared with the
mean of the raw runs just before and after it, and the median of those ratios is printed last
(target: at least 0.95), with the ratio of the best figures of each. Assets are the synthetic
stand-ins of mlperf_tui.assets, generated once into the cache folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _child import offline_metric  # noqa: E402

from harness.tasks import get_task  # noqa: E402

DATASET_COUNT = 256
BATCH_SIZES = (1, 4, 8, 16, 32)


def session_for(model: Path, threads: int) -> Any:
    """An ONNX Runtime session with the harness backend's options."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def raw_offline(session: Any, feeds: dict[str, np.ndarray], batch: int, seconds: float) -> float:
    """Samples per second of a plain loop over contiguous batches of preloaded features."""
    n = len(next(iter(feeds.values())))
    n -= n % batch
    outputs = [o.name for o in session.get_outputs()]
    session.run(outputs, {k: v[:batch] for k, v in feeds.items()})  # warm-up
    done, i = 0, 0
    start = time.perf_counter_ns()
    end = start + int(seconds * 1e9)
    while time.perf_counter_ns() < end:
        session.run(outputs, {k: v[i : i + batch] for k, v in feeds.items()})
        done += batch
        i = (i + batch) % n
    return done / ((time.perf_counter_ns() - start) / 1e9)


def run_harness(
    tmp: Path,
    model: Path,
    dataset: Path,
    cache: Path,
    batch: int,
    threads: int,
    qps: float,
    seconds: float,
) -> float:
    """LoadGen's Offline samples per second of one harness run."""
    return offline_metric(
        tmp, benchmark="bert-99", loadgen_model="bert", task="bert_squad", model=model,
        dataset=dataset, cache=cache, threads=threads, batch_size=batch,
        samples=DATASET_COUNT, qps=qps, seconds=seconds,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", default=None, help="asset cache (default: the user cache)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    parser.add_argument("--rounds", type=int, help="raw/harness rounds (default 3, quick 2)")
    args = parser.parse_args()

    import onnxruntime as ort

    from harness.backends.onnxruntime import physical_cores
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    sweep_s = 1.5 if args.quick else 3.0
    seconds = 4.0 if args.quick else 10.0
    rounds = args.rounds or (2 if args.quick else 3)
    cores = physical_cores()
    entry = benchmarks.require("bert-99")
    model = synthetic_model(entry, "tiny-bert", seed=0, cache_dir=args.cache_dir)
    dataset = synthetic_dataset(entry, DATASET_COUNT, seed=0, cache_dir=args.cache_dir)
    cache = Path(tempfile.mkdtemp(prefix="bert-bench-cache-"))
    task = get_task("bert_squad")
    probe = session_for(model, 1)
    binding = task.bind(probe.get_inputs(), probe.get_outputs(), {})
    del probe
    ds = task.open_dataset(dataset, cache, None, binding)
    ds.load(np.arange(DATASET_COUNT))
    feeds = {k: np.ascontiguousarray(v) for k, v in ds.batch(np.arange(DATASET_COUNT)).items()}
    print(
        f"{cores} cores; {DATASET_COUNT} SQuAD features of 384 tokens; tiny-bert; "
        f"onnxruntime {ort.__version__}"
    )

    sweep: dict[tuple[int, int], float] = {}
    for threads in sorted({1, cores}):
        session = session_for(model, threads)
        for batch in BATCH_SIZES:
            sweep[(batch, threads)] = raw_offline(session, feeds, batch, sweep_s)
            print(f"  raw batch {batch:3d}, {threads} threads: {sweep[(batch, threads)]:8.1f}/s")
        del session
    batch, threads = max(sweep, key=lambda k: sweep[k])
    session = session_for(model, threads)
    # each harness run sits between two raw runs: its ratio is to their mean, so a machine
    # whose load drifts during the benchmark still compares like with like
    ratios: list[float] = []
    raw_best, harness_best = 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        before = raw_offline(session, feeds, batch, seconds)
        for n in range(rounds):
            harness = run_harness(tmp, model, dataset, cache, batch, threads, before, seconds)
            after = raw_offline(session, feeds, batch, seconds)
            ratios.append(harness / ((before + after) / 2))
            raw_best, harness_best = max(raw_best, before, after), max(harness_best, harness)
            print(
                f"  round {n + 1}: raw {before:8.1f}/s, harness {harness:8.1f}/s, raw "
                f"{after:8.1f}/s: {ratios[-1]:.3f}x"
            )
            before = after
    ratios.sort()
    median = (
        ratios[len(ratios) // 2]
        if len(ratios) % 2
        else sum(ratios[len(ratios) // 2 - 1 : len(ratios) // 2 + 1]) / 2
    )
    print()
    print(f"best raw configuration: batch {batch}, {threads} intra-op threads")
    print(
        f"best of the rounds: raw ONNX Runtime {raw_best:.1f} samples/s, harness {harness_best:.1f}"
    )
    print(
        f"Offline throughput ratio, tiny-bert: {median:.3f}x raw (median of {len(ratios)} "
        f"rounds; best-of {harness_best / raw_best:.3f}x; target >= 0.95)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
