"""The machine's limit: raw ONNX Runtime at the best configuration a sweep finds, and the harness.

    python benchmarks/raw_best.py [--quick] [--seconds S] [--repeats N] [--rounds R]
                                  [--cache-dir DIR] [--model resnet50|tiny|both]
                                  [--batch-sizes 1,4,16] [--json]

For each model (the random-weight ResNet50 v1.5 stand-in and the tiny stand-in with the same
inputs and outputs), side by side in one run:

- The sweep: raw ONNX Runtime on the CPU (the harness backend's session options: inter-op 1,
  sequential, all graph optimisations), a plain loop over preloaded, contiguous float32 batches
  of the preprocessed synthetic images, no LoadGen and no SUT, at every point of batch size x
  intra-op threads x concurrent callers with threads x callers <= cores (batch sizes 1, 4, 8,
  16, 32, 64, and 128 for the tiny model; fewer with --quick; threads and callers 1, 2, 4, ...
  and the core count). Each caller is a Python thread calling ``run()`` (ONNX
  Runtime lets go of the GIL inside it); with more than one caller both ways a harness could
  take are measured: one shared session that every caller runs, and one session per caller.
  Each point runs for S seconds (default 2, --quick 0.5; at least one call per caller, each
  finishing its call in flight) and counts every sample its callers completed over the time to
  the last one's end: samples per second. The sweep is repeated N times (default 2), in a new
  random order each time (the machine may be shared and its load drift), and each point's
  figure is the median of its repetitions; every point warms up (one call per caller) in the
  first repetition. The table is sorted by throughput: the best configuration is the machine's
  limit for this model as far as ONNX Runtime goes, the best single-caller one what a harness
  that runs the model on one thread at a time can reach.
- SingleStream: raw p90 latency (LoadGen's nearest rank) of one-sample runs on random samples,
  single caller, at the thread count that is fastest at batch 1: 2000 queries, or fewer when
  they would take longer than 10 S seconds (the output says how many).
- The harness (a ``python -m harness`` child under LoadGen in Offline, as the runner starts it)
  at the best raw configuration's batch size (with the best single-caller thread count there)
  and at the harness's default options (``BackendOptions``: batch size 32, intra-op threads 0,
  which is all cores), each run for 4 S seconds or three batches at the raw best rate,
  whichever is longer (LoadGen's min_duration). Each harness run sits between two runs of the raw best configuration
  and of the raw single-caller loop at the harness run's own batch size and threads; its
  ratios are to the mean of the two runs around it, and the median over R rounds (default N,
  --quick 1) is printed:

  - harness / raw best: how far the harness is from the machine's limit (1.0 = there);
  - harness / raw same configuration: what the harness itself costs over the same work in a
    plain loop (1.0 = nothing).

  These harness runs use one stream; where the best raw configuration has more than one
  caller, ``benchmarks/tuned.py`` measures the harness with the streams ``mlperf-tui tune``
  chooses against the same raw best.

Figures are throughputs and ratios measured in this run; no absolute time is a threshold. With
--json the figures go to stdout as one JSON object (the table and the rest to stderr), for a
later tuning step to reuse. Assets are the synthetic stand-ins of mlperf_tui.assets, generated
once into the cache folder, so the script runs offline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _child import offline_metric  # noqa: E402

from harness.config import BackendOptions  # noqa: E402

DATASET_COUNT = 256
MODELS = ("resnet50", "tiny")
#: batch sizes swept per model, full and --quick (a ResNet50 call of 64 takes ~8 s on a core)
BATCH_SIZES: dict[str, tuple[int, ...]] = {
    "resnet50": (1, 4, 8, 16, 32, 64),
    "tiny": (1, 4, 8, 16, 32, 64, 128),
}
QUICK_BATCH_SIZES: dict[str, tuple[int, ...]] = {
    "resnet50": (1, 4, 16),
    "tiny": (1, 8, 32, 64, 128),
}
SS_QUERIES = 2000


@dataclass(frozen=True)
class Point:
    """One configuration of the sweep: ``callers`` threads each calling ``run()`` with batches of
    ``batch_size`` on sessions of ``threads`` intra-op threads, ``sessions`` of them (1: shared
    by all callers; ``callers``: one each)."""

    batch_size: int
    threads: int
    callers: int
    sessions: int

    def label(self) -> str:
        if self.callers == 1:
            how = "1 caller"
        elif self.sessions == 1:
            how = f"{self.callers} callers, 1 shared session"
        else:
            how = f"{self.callers} callers, a session each"
        return f"batch {self.batch_size:3d}, {threads_text(self.threads)}, {how}"


def threads_text(n: int) -> str:
    return f"{n} thread" if n == 1 else f"{n} threads"


def counts_up_to(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n itself."""
    out = {n}
    k = 1
    while k <= n:
        out.add(k)
        k *= 2
    return sorted(out)


def sweep_points(batch_sizes: Sequence[int], cores: int) -> list[Point]:
    """Every point with threads x callers <= cores (both ways of sessions for > 1 caller)."""
    points = []
    for batch in batch_sizes:
        for threads in counts_up_to(cores):
            for callers in counts_up_to(cores // threads):
                for sessions in sorted({1, callers}):
                    points.append(Point(batch, threads, callers, sessions))
    return points


def session_for(model: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session with the harness backend's options."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


class Raw:
    """Raw ONNX Runtime on one model: the sessions (per thread count, as many as the most
    callers there), the preloaded batches (per batch size) and the measurements."""

    def __init__(
        self, model: Path, data: np.ndarray, input_name: str, outputs: list[str], cores: int
    ) -> None:
        self.data = data
        self.input_name = input_name
        self.outputs = outputs
        self.sessions: dict[int, list[Any]] = {
            t: [session_for(model, t) for _ in range(max(counts_up_to(cores // t)))]
            for t in counts_up_to(cores)
        }
        self._batches: dict[int, list[dict[str, np.ndarray]]] = {}

    def batches(self, batch_size: int) -> list[dict[str, np.ndarray]]:
        """The data as contiguous batches of ``batch_size`` (views of the one array)."""
        if batch_size not in self._batches:
            n = self.data.shape[0] - self.data.shape[0] % batch_size
            self._batches[batch_size] = [
                {self.input_name: np.ascontiguousarray(self.data[i : i + batch_size])}
                for i in range(0, n, batch_size)
            ]
        return self._batches[batch_size]

    def throughput(self, point: Point, seconds: float, warm_up: bool) -> float:
        """Samples per second of the point's callers in plain loops for about ``seconds``."""
        pool = self.sessions[point.threads]
        sessions = [pool[0]] * point.callers if point.sessions == 1 else pool[: point.callers]
        batches = self.batches(point.batch_size)
        done = [0] * point.callers
        ends = [0] * point.callers
        window = [0, 0]  # start, deadline (ns), set once every caller is ready

        def start() -> None:
            window[0] = time.perf_counter_ns()
            window[1] = window[0] + int(seconds * 1e9)

        ready = threading.Barrier(point.callers, action=start)

        def caller(i: int) -> None:
            session, outputs = sessions[i], self.outputs
            k = i * len(batches) // point.callers  # callers start on different batches
            if warm_up:
                session.run(outputs, batches[k])
            ready.wait()
            deadline, n = window[1], 0
            while True:
                session.run(outputs, batches[k])
                n += point.batch_size
                k = (k + 1) % len(batches)
                if time.perf_counter_ns() >= deadline:
                    break
            done[i], ends[i] = n, time.perf_counter_ns()

        if point.callers == 1:
            caller(0)
        else:
            workers = [threading.Thread(target=caller, args=(i,)) for i in range(point.callers)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        return sum(done) / ((max(ends) - window[0]) / 1e9)

    def random_access(self, batch_size: int, threads: int, callers: int, seconds: float) -> float:
        """Samples per second of ``callers`` plain loops (a session each) on random samples, as
        a Server SUT must take them: one sample per call is a view of the loaded array (no
        copy); a larger batch is copied row by row with ``memmove`` into the caller's own
        buffer. What this reaches is the ceiling of any Server SUT at these settings."""
        import ctypes

        sessions = self.sessions[threads][:callers]
        data, name, outputs = self.data, self.input_name, self.outputs
        size = data[0].nbytes
        done = [0] * callers
        ends = [0.0] * callers
        start = time.perf_counter()

        def caller(i: int) -> None:
            rng = np.random.default_rng(i)
            buffer = np.empty((batch_size, *data.shape[1:]), dtype=data.dtype)
            base, target = data.ctypes.data, buffer.ctypes.data
            n, deadline = 0, start + seconds
            while time.perf_counter() < deadline:
                rows = rng.integers(0, data.shape[0], size=batch_size).tolist()
                if batch_size == 1:
                    feeds = {name: data[rows[0] : rows[0] + 1]}
                else:
                    address = target
                    for row in rows:
                        ctypes.memmove(address, base + row * size, size)
                        address += size
                    feeds = {name: buffer}
                sessions[i].run(outputs, feeds)
                n += batch_size
            done[i], ends[i] = n, time.perf_counter()

        workers = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return sum(done) / (max(ends) - start)

    def single_stream(self, threads: int, queries: int, budget_s: float) -> dict[str, float]:
        """Latencies (us) of one-sample runs on random samples: p50, p90 (LoadGen's nearest
        rank), and the queries run (``queries``, or fewer when over ``budget_s``)."""
        session = self.sessions[threads][0]
        rng = np.random.default_rng(0)
        picks = rng.integers(0, self.data.shape[0], size=queries).tolist()
        ones = [{self.input_name: self.data[i : i + 1]} for i in range(self.data.shape[0])]
        session.run(self.outputs, ones[0])  # warm-up
        latencies = []
        stop = time.perf_counter_ns() + int(budget_s * 1e9)
        for i in picks:
            t0 = time.perf_counter_ns()
            session.run(self.outputs, ones[i])
            t1 = time.perf_counter_ns()
            latencies.append(t1 - t0)
            if t1 > stop and len(latencies) >= 20:
                break
        latencies.sort()
        return {
            "queries": len(latencies),
            "p50_us": latencies[int(len(latencies) * 0.5)] / 1e3,
            "p90_us": latencies[int(len(latencies) * 0.9)] / 1e3,
        }


def preprocessed(task: Any, model: Path, dataset: Path, cache: Path) -> tuple[Any, np.ndarray]:
    """The task's binding of ``model`` and the data set's samples as one contiguous array:
    the same preprocessed samples a harness child loads from ``cache``."""
    probe = session_for(model, 1)
    binding = task.bind(probe.get_inputs(), probe.get_outputs(), {})
    del probe
    ds = task.open_dataset(dataset, cache, None, binding)
    ds.load(np.arange(DATASET_COUNT))
    data = np.ascontiguousarray(ds.batch(np.arange(DATASET_COUNT))[binding.inputs[0].name])
    return binding, data


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def harness_offline(
    tmp: Path,
    model: Path,
    dataset: Path,
    cache: Path,
    batch_size: int,
    threads: int,
    qps: float,
    seconds: float,
) -> float:
    """LoadGen's Offline samples per second of one harness run (``threads`` 0: all cores)."""
    return offline_metric(
        tmp, benchmark="resnet50", loadgen_model="resnet50", task="imagenet_classification",
        model=model, dataset=dataset, cache=cache, threads=threads, batch_size=batch_size,
        samples=DATASET_COUNT, qps=qps, seconds=seconds,
    )  # fmt: skip


def point_dict(point: Point, runs: Sequence[float]) -> dict[str, Any]:
    return {**asdict(point), "samples_per_s": median(runs), "runs": list(runs)}


def measure_model(
    kind: str,
    model: Path,
    dataset: Path,
    cache: Path,
    tmp: Path,
    data: np.ndarray,
    binding: Any,
    args: argparse.Namespace,
    cores: int,
    out: TextIO,
) -> dict[str, Any]:
    """The sweep, SingleStream and the harness rounds of one model, printed as they come."""

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    seconds, repeats = args.seconds, args.repeats
    batch_sizes = args.batch_sizes or (QUICK_BATCH_SIZES if args.quick else BATCH_SIZES)[kind]
    raw = Raw(model, data, binding.inputs[0].name, list(binding.outputs), cores)
    points = sweep_points(batch_sizes, cores)
    say(
        f"{kind}: {len(points)} points (batch sizes {', '.join(map(str, batch_sizes))}) x "
        f"{repeats} repetitions of {seconds:g} s"
    )
    runs: dict[Point, list[float]] = {p: [] for p in points}
    rng = random.Random(0)
    for rep in range(repeats):
        order = points[:]
        rng.shuffle(order)
        t0 = time.monotonic()
        for p in order:
            runs[p].append(raw.throughput(p, seconds, warm_up=rep == 0))
        say(f"  repetition {rep + 1}/{repeats}: {time.monotonic() - t0:.0f} s")
    figure = {p: median(r) for p, r in runs.items()}
    ranked = sorted(points, key=lambda p: figure[p], reverse=True)
    best = ranked[0]
    single = [p for p in ranked if p.callers == 1]
    best_single = single[0]

    say(f"  {'configuration':48s} {'samples/s':>10s} {'x best':>7s}  runs")
    for p in ranked:
        spread = ", ".join(f"{r:.1f}" for r in runs[p])
        say(f"  {p.label():48s} {figure[p]:10.1f} {figure[p] / figure[best]:7.3f}  {spread}")
    say(f"  best: {best.label()}: {figure[best]:.1f} samples/s")
    say(
        f"  best single caller: {best_single.label()}: {figure[best_single]:.1f} samples/s "
        f"({figure[best_single] / figure[best]:.3f}x best)"
    )

    ss_threads = max(
        (p for p in single if p.batch_size == min(batch_sizes)), key=lambda p: figure[p]
    ).threads
    t0 = time.monotonic()
    ss = raw.single_stream(ss_threads, SS_QUERIES, 10 * seconds)
    say(
        f"  raw SingleStream, batch 1, {threads_text(ss_threads)}, {ss['queries']} queries: "
        f"p50 {ss['p50_us']:.1f} us, p90 {ss['p90_us']:.1f} us ({time.monotonic() - t0:.0f} s)"
    )

    # the harness: at the best raw batch size (the thread count a single caller does best
    # with there), and at its defaults; each run between two runs of the raw best loop and of
    # the raw single-caller loop of the harness run's own batch size and threads
    defaults = BackendOptions()
    at_best = max(
        (p for p in single if p.batch_size == best.batch_size), key=lambda p: figure[p]
    ).threads
    # (label, batch size, RUN.json's intra_op_threads, the threads that means)
    configs = [("best raw batch size", best.batch_size, at_best, at_best)]
    default_threads = defaults.intra_op_threads or cores
    if (defaults.batch_size, default_threads) != (best.batch_size, at_best):
        configs.append(
            ("harness defaults", defaults.batch_size, defaults.intra_op_threads, default_threads)
        )
    else:
        say("  (the harness defaults are the best raw batch size and its best thread count)")
    harness_figures = []
    t0 = time.monotonic()
    for label, batch, threads_option, threads in configs:
        same = Point(batch, threads, 1, 1)
        # enough for a few batches of the run's size at the raw best rate
        harness_s = max(4 * seconds, 3 * batch / figure[best])
        rounds = []
        before = (raw.throughput(best, seconds, True), raw.throughput(same, seconds, True))
        for n in range(args.rounds):
            value = harness_offline(
                tmp, model, dataset, cache, batch, threads_option, figure[best], harness_s
            )
            after = (raw.throughput(best, seconds, False), raw.throughput(same, seconds, False))
            around_best, around_same = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
            rounds.append(
                {
                    "harness_samples_per_s": value,
                    "raw_best_samples_per_s": around_best,
                    "raw_same_samples_per_s": around_same,
                    "ratio_to_best": value / around_best,
                    "ratio_to_same": value / around_same,
                }
            )
            say(
                f"  harness, {label} (batch {batch}, {threads_text(threads)}, 1 caller), round "
                f"{n + 1}: {value:.1f}/s; raw best {around_best:.1f}/s around it "
                f"({value / around_best:.3f}x), raw same configuration {around_same:.1f}/s "
                f"({value / around_same:.3f}x)"
            )
            before = after
        harness_figures.append(
            {
                "label": label,
                "batch_size": batch,
                "intra_op_threads": threads,
                "callers": 1,
                "seconds": harness_s,
                "rounds": rounds,
                "harness_samples_per_s": median([r["harness_samples_per_s"] for r in rounds]),
                "ratio_to_best": median([r["ratio_to_best"] for r in rounds]),
                "ratio_to_same": median([r["ratio_to_same"] for r in rounds]),
            }
        )
    say(f"  ({len(configs)} x {args.rounds} harness rounds: {time.monotonic() - t0:.0f} s)")
    return {
        "model": kind,
        "model_path": str(model),
        "batch_sizes": list(batch_sizes),
        "sweep": [point_dict(p, runs[p]) for p in ranked],
        "best": point_dict(best, runs[best]),
        "best_single_caller": point_dict(best_single, runs[best_single]),
        "single_stream": {"batch_size": 1, "intra_op_threads": ss_threads, **ss},
        "harness": harness_figures,
    }


def parse_batch_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(s) for s in text.split(",") if s.strip()}))
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("batch sizes are positive integers, e.g. 1,4,16")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    parser.add_argument("--seconds", type=float, help="seconds per point (default 2, quick 0.5)")
    parser.add_argument("--repeats", type=int, default=2, help="sweep repetitions (default 2)")
    parser.add_argument("--rounds", type=int, help="harness rounds (default --repeats, quick 1)")
    parser.add_argument("--cache-dir", default=None, help="asset cache (default: the user cache)")
    parser.add_argument("--model", choices=(*MODELS, "both"), default="both")
    parser.add_argument(
        "--batch-sizes", type=parse_batch_sizes, help="comma-separated (default: per model)"
    )
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 0.5 if args.quick else 2.0
    if args.rounds is None:
        args.rounds = 1 if args.quick else args.repeats
    if args.seconds <= 0 or args.repeats < 1 or args.rounds < 1:
        parser.error("--seconds must be positive, --repeats and --rounds at least 1")
    out = sys.stderr if args.json else sys.stdout

    import onnxruntime as ort

    from harness.backends.onnxruntime import physical_cores
    from harness.tasks import get_task
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    started = time.monotonic()
    cores = physical_cores()
    entry = benchmarks.require("resnet50")
    kinds = MODELS if args.model == "both" else (args.model,)
    models = {k: synthetic_model(entry, k, seed=0, cache_dir=args.cache_dir) for k in kinds}
    dataset = synthetic_dataset(entry, DATASET_COUNT, seed=0, cache_dir=args.cache_dir)
    task = get_task("imagenet_classification")
    notes = [
        "the harness runs here with one stream (one caller); benchmarks/tuned.py measures it "
        "with the streams mlperf-tui tune chooses",
        "this machine may be shared (other work running): figures are medians of repetitions "
        "and ratios of runs side by side, never absolute times",
    ]
    with tempfile.TemporaryDirectory(prefix="raw-best-") as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "cache"
        figures: dict[str, Any] = {}
        for kind in kinds:
            binding, data = preprocessed(task, models[kind], dataset, cache)
            if not figures:
                print(
                    f"{cores} cores; {DATASET_COUNT} preprocessed samples {list(data.shape[1:])}; "
                    f"onnxruntime {ort.__version__}",
                    file=out,
                    flush=True,
                )
            figures[kind] = measure_model(
                kind, models[kind], dataset, cache, tmp, data, binding, args, cores, out
            )
            print(file=out, flush=True)

    print("Summary (medians; the machine may be shared, so figures are noisy):", file=out)
    for kind, f in figures.items():
        best, single = f["best"], f["best_single_caller"]
        print(
            f"  {kind:8s} raw best: batch {best['batch_size']}, {threads_text(best['threads'])}, "
            f"{best['callers']} callers on {best['sessions']} session(s): "
            f"{best['samples_per_s']:.1f} samples/s; best single caller: batch "
            f"{single['batch_size']}, {threads_text(single['threads'])}: "
            f"{single['samples_per_s'] / best['samples_per_s']:.3f}x best",
            file=out,
        )
        for h in f["harness"]:
            print(
                f"  {kind:8s} harness, {h['label']} (batch {h['batch_size']}, "
                f"{threads_text(h['intra_op_threads'])}): {h['ratio_to_best']:.3f}x raw best, "
                f"{h['ratio_to_same']:.3f}x raw same configuration",
                file=out,
            )
        ss = f["single_stream"]
        print(
            f"  {kind:8s} raw SingleStream p90: {ss['p90_us']:.1f} us "
            f"({threads_text(ss['intra_op_threads'])}, {ss['queries']} queries)",
            file=out,
        )
    if any(f["best"]["callers"] > 1 for f in figures.values()):
        print(f"Note: {notes[0]}.", file=out)
    print(f"({time.monotonic() - started:.0f} s in all)", file=out, flush=True)
    if args.json:
        doc = {
            "schema_version": 1,
            "machine": {"cores": cores, "onnxruntime": ort.__version__},
            "settings": {
                "quick": args.quick,
                "seconds": args.seconds,
                "repeats": args.repeats,
                "harness_rounds": args.rounds,
                "dataset_count": DATASET_COUNT,
            },
            "models": figures,
            "notes": notes,
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO))
    sys.exit(main())
