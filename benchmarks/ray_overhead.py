"""What the Ray backend costs over the local one, on one machine, side by side in one run.

    python benchmarks/ray_overhead.py [--quick] [--seconds S] [--rounds R]
                                      [--model resnet50|tiny|both] [--cache-dir DIR]

For each model (the random-weight ResNet50 v1.5 stand-in, the tiny stand-in; 256 synthetic
images, preprocessed as the harness loads them), LoadGen's Offline samples per second of:

- **local**: ``backend.name onnxruntime``, S streams x T intra-op threads in the harness's
  process (S x T = the cores);
- **ray**: ``backend.name ray`` with ``address: local`` (a one-node cluster of the run's own),
  S replicas x T intra-op threads (each reserving T CPUs), ``in_flight`` 2;

at the same batch size, alternating local and ray over R rounds. Each figure is the median of
its rounds; the ratio ray / local is printed last (target: >= 0.90). The Ray run's own start
(the cluster, the replicas loading the model) is outside LoadGen's timing, as the local
backend's session loading is.

What the ratio measures on the tiny model (a batch of 128 takes about 10 ms of the machine) is
Ray's cost per batch: the call itself (a few ms of CPU on a 2-core VM, driver and replica
together) and, unless the replicas read the loaded samples from the object store (only
read-only samples are shared, see harness.backends.ray), a copy of every batch into it. On
ResNet50 a batch takes seconds and both costs vanish.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _child import loadgen_metric, run_dict  # noqa: E402

from harness.config import BackendOptions, RayOptions  # noqa: E402

DATASET_COUNT = 256
#: the batch size of each model (large enough that a batch outlasts Ray's cost per call)
BATCH_SIZES = {"resnet50": 8, "tiny": 128}


def offline(
    tmp: Path,
    model: Path,
    dataset: Path,
    cache: Path,
    backend: BackendOptions,
    qps: float,
    seconds: float,
) -> float:
    """LoadGen's Offline samples per second of one harness run sized for ``seconds`` at ``qps``."""
    (tmp / "user.conf").write_text(
        f"*.*.performance_sample_count_override = {DATASET_COUNT}\n"
        f"*.*.min_duration = {int(seconds * 1000)}\n"
        f"*.Offline.target_qps = {qps:.3f}\n"
        "*.Offline.min_query_count = 1\n"
    )
    return loadgen_metric(tmp, run_dict(tmp, "Offline", model, dataset, cache, backend))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", default=None, help="asset cache (default: the user cache)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=None, help="runs of each backend")
    parser.add_argument("--model", choices=("resnet50", "tiny", "both"), default="both")
    parser.add_argument("--streams", type=int, default=None, help="S (default: the cores)")
    parser.add_argument("--threads", type=int, default=1, help="T intra-op threads per stream")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="of every model (default: BATCH_SIZES)"
    )
    args = parser.parse_args()

    import ray

    from harness.backends.onnxruntime import physical_cores
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    seconds = args.seconds or (3.0 if args.quick else 6.0)
    rounds = args.rounds or (2 if args.quick else 3)
    threads = max(1, args.threads)
    streams = args.streams or max(1, physical_cores() // threads)
    entry = benchmarks.require("resnet50")
    dataset = synthetic_dataset(entry, DATASET_COUNT, seed=0, cache_dir=args.cache_dir)
    scratch = tempfile.TemporaryDirectory(prefix="ray-bench-cache-")
    cache = Path(scratch.name)
    print(
        f"{physical_cores()} cores; {DATASET_COUNT} samples; local {streams} streams x {threads} "
        f"threads vs Ray (local cluster) {streams} replicas x {threads} threads, in_flight 2; "
        f"{rounds} rounds of {seconds:g} s; ray {ray.__version__}"
    )
    kinds = ("resnet50", "tiny") if args.model == "both" else (args.model,)
    ratios: dict[str, float] = {}
    for kind in kinds:
        model = synthetic_model(entry, kind, seed=0, cache_dir=args.cache_dir)
        batch = args.batch_size or BATCH_SIZES[kind]
        local = BackendOptions(intra_op_threads=threads, batch_size=batch, streams=streams)
        on_ray = BackendOptions(
            name="ray",
            intra_op_threads=threads,
            batch_size=batch,
            ray=RayOptions(address="local", replicas=streams, num_cpus=threads, in_flight=2),
        )
        figures: dict[str, list[float]] = {"local": [], "ray": []}
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            # a first short run sizes the Offline query (LoadGen's expected QPS)
            qps = offline(tmp, model, dataset, cache, local, 10.0, 1.0)
            for _ in range(rounds):
                for name, backend in (("local", local), ("ray", on_ray)):
                    rate = offline(tmp, model, dataset, cache, backend, qps, seconds)
                    figures[name].append(rate)
                    qps = rate
                    print(f"  {kind:8s} {name:5s} {rate:9.1f} samples/s", flush=True)
        medians = {name: statistics.median(values) for name, values in figures.items()}
        ratios[kind] = medians["ray"] / medians["local"]
        print(
            f"{kind:8s} batch {batch:3d}: local {medians['local']:9.1f}/s  ray "
            f"{medians['ray']:9.1f}/s  (medians of {rounds})",
            flush=True,
        )
    scratch.cleanup()
    print()
    for kind, ratio in ratios.items():
        print(f"Offline throughput ratio ray / local, {kind:8s}: {ratio:.3f} (target >= 0.90)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO))
    sys.exit(main())
