"""Finding the backend settings that get the most out of this machine (``python -m harness tune``).

The sweep runs the run's task and model (no LoadGen, no data set: the task's calibration
inputs) at every point of batch size x intra-op threads x concurrent streams, where a stream
is a thread with its own runtime session, as the Offline and Server SUTs run them
(:mod:`harness.sut`), and threads x streams never exceeds the cores. Each point runs for a
fixed time after one warm-up call per stream and reports its throughput (samples per second
over the time to the last call's end) and the p50/p90/p99 of its calls' latencies.

What is best depends on the scenario:

- Offline: the highest throughput;
- Server: the highest throughput among the points whose p99 call latency is at most a fifth
  of the latency bound (a query also waits for a free stream and for its batch to fill),
  measured with each batch gathered from random samples into the stream's own arrays, as the
  Server SUT must (with a data set: ``--samples``);
- SingleStream: the lowest p90 of one-sample calls on one stream, over the thread counts;
- MultiStream: the lowest p99 of one query's samples in one call on one stream.

Every point is printed as a JSON line as soon as it is measured (``{"kind": "point", ...}``),
then the choice per scenario with the reason (``{"kind": "result", ...}``), so a front end
shows the sweep live. On a GPU (an execution provider other than the CPU's) the runtime's
threads do not matter: the sweep covers larger batches and 1, 2 or 4 streams instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.backends.onnxruntime import physical_cores
from harness.config import BackendOptions, RunConfig

#: batch sizes swept on a CPU and on a GPU
CPU_BATCH_SIZES = (1, 8, 16, 32, 64, 128)
GPU_BATCH_SIZES = (8, 32, 64, 128, 256, 512)
#: a Server point qualifies when its p99 call latency is at most this share of the bound
SERVER_BOUND_SHARE = 0.2
#: the largest batch measured gathered for Server (larger ones wait too long to fill)
SERVER_MAX_BATCH = 32


@dataclass(frozen=True)
class Point:
    batch_size: int
    intra_op_threads: int
    streams: int

    def label(self) -> str:
        return f"batch {self.batch_size}, {self.intra_op_threads} thr x {self.streams} str"


@dataclass(frozen=True)
class Measured:
    point: Point
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    calls: int
    #: each call's batch was gathered from random samples (as the Server SUT does)
    gathered: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "gathered": self.gathered,
            "batch_size": self.point.batch_size,
            "intra_op_threads": self.point.intra_op_threads,
            "streams": self.point.streams,
            "throughput": round(self.throughput, 2),
            "p50_ms": round(self.p50_ms, 4),
            "p90_ms": round(self.p90_ms, 4),
            "p99_ms": round(self.p99_ms, 4),
            "calls": self.calls,
        }


def _counts(limit: int) -> list[int]:
    """1, 2, 4, ... up to ``limit``, and ``limit`` itself."""
    out, n = [], 1
    while n < limit:
        out.append(n)
        n *= 2
    return [*out, limit]


def points(
    cores: int,
    gpu: bool,
    batch_sizes: Sequence[int] | None = None,
    threads: Sequence[int] | None = None,
    streams: Sequence[int] | None = None,
) -> list[Point]:
    """The sweep's points: threads x streams <= cores on a CPU; every batch size of each."""
    batches = list(batch_sizes or (GPU_BATCH_SIZES if gpu else CPU_BATCH_SIZES))
    if gpu:
        pairs = [(t, s) for t in (threads or [1]) for s in (streams or [1, 2, 4])]
    else:
        pairs = [
            (t, s)
            for t in (threads or _counts(cores))
            for s in (streams or _counts(max(1, cores // t)))
            if t * s <= cores
        ]
    return [Point(b, t, s) for t, s in pairs for b in batches]


def _percentile(sorted_ns: Sequence[int], q: float) -> float:
    """LoadGen's nearest rank: the value at index floor(n * q), milliseconds."""
    if not sorted_ns:
        return 0.0
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))] / 1e6


class Bench:
    """The run's task and model, with sessions made on demand per (threads, stream).

    With ``samples``, the calls cycle through that many of the data set's samples (loaded and
    preprocessed as a run loads them), so memory traffic is what a run meets; without, every
    call gets the task's calibration inputs (one buffer, which stays in the caches).
    """

    def __init__(self, config: RunConfig, samples: int | None = None) -> None:
        from harness.__main__ import load_model

        self.config = config
        self.task, first, self.binding = load_model(config)
        self._sessions: dict[tuple[int, int], Any] = {
            (self._threads_of(first, config.backend), 0): first
        }
        self._feeds: dict[int, list[Any]] = {}
        self._dataset: Any = None
        self._loaded = 0
        if samples:
            import numpy as np

            from harness.errors import HarnessError
            from harness.tasks import TaskError

            try:
                dataset = self.task.open_dataset(
                    config.dataset_path, config.cache_dir, config.dataset_count, self.binding
                )
                n = max(1, min(samples, int(dataset.total_count)))
                dataset.load(np.arange(n))
            except TaskError as e:
                raise HarnessError(e.message, e.fix) from e
            self._dataset, self._loaded = dataset, n

    @staticmethod
    def _threads_of(backend: Any, options: BackendOptions) -> int:
        return int(getattr(backend, "threads", options.intra_op_threads or 1))

    def session_threads(self) -> int:
        """The intra-op threads of the run's own options (0 resolved to the cores' share)."""
        return next(iter(self._sessions))[0]

    def session(self, threads: int, index: int) -> Any:
        key = (threads, index)
        if key not in self._sessions:
            from harness.backends import load_backend

            assert self.config.model_path is not None
            options = replace(self.config.backend, intra_op_threads=threads, streams=1)
            self._sessions[key] = load_backend(options.name, self.config.model_path, options)
        return self._sessions[key]

    def feeds(self, batch_size: int) -> list[Any]:
        """The batches the calls cycle through (views of the loaded samples where possible)."""
        if batch_size not in self._feeds:
            if self._dataset is None or batch_size > self._loaded:
                batches = [self.task.calibration_feeds(self.binding, batch_size)]
            else:
                import numpy as np

                batches = [
                    self._dataset.batch(np.arange(lo, lo + batch_size))
                    for lo in range(0, self._loaded - batch_size + 1, batch_size)
                ]
            self._feeds[batch_size] = batches
        return self._feeds[batch_size]

    def measure(self, point: Point, seconds: float, gathered: bool = False) -> Measured:
        """Run ``point`` for ``seconds`` (each stream at least one call after its warm-up).

        ``gathered``: each call first copies a batch of random loaded samples into the
        stream's own arrays, as the Server SUT must (its queries' samples are not
        consecutive); without a data set, or for one sample, it is the same as not."""
        sessions = [self.session(point.intra_op_threads, i) for i in range(point.streams)]
        batches = self.feeds(point.batch_size)
        task, binding = self.task, self.binding
        gather = getattr(self._dataset, "gather", None)
        if not gathered or gather is None or point.batch_size == 1:
            gathered = False
        for s in sessions:
            task.infer(s, binding, batches[0])  # warm-up
        latencies: list[list[int]] = [[] for _ in sessions]
        ends = [0] * len(sessions)
        start_gate = threading.Barrier(len(sessions) + 1)
        budget_ns = int(seconds * 1e9)
        clock = time.perf_counter_ns
        t0 = [0]

        def stream(i: int) -> None:
            own, session, n = latencies[i], sessions[i], len(batches)
            k = i * n // len(sessions)  # streams start on different batches
            if gathered:
                import numpy as np

                rng = np.random.default_rng(i)
                buffers = self._dataset.gather_buffers(point.batch_size)
                picks = [rng.integers(0, self._loaded, point.batch_size) for _ in range(64)]
            start_gate.wait()
            deadline = t0[0] + budget_ns
            while True:
                a = clock()
                if gathered and gather is not None:
                    feeds = gather(picks[k % 64], buffers)
                else:
                    feeds = batches[k % n]
                task.infer(session, binding, feeds)
                k += 1
                b = clock()
                own.append(b - a)
                if b >= deadline:
                    ends[i] = b
                    return

        workers = [threading.Thread(target=stream, args=(i,)) for i in range(len(sessions))]
        for w in workers:
            w.start()
        t0[0] = clock()
        start_gate.wait()
        for w in workers:
            w.join()
        calls = sum(len(lat) for lat in latencies)
        elapsed_s = (max(ends) - t0[0]) / 1e9
        every = sorted(x for lat in latencies for x in lat)
        return Measured(
            point=point,
            throughput=calls * point.batch_size / elapsed_s,
            p50_ms=_percentile(every, 0.5),
            p90_ms=_percentile(every, 0.9),
            p99_ms=_percentile(every, 0.99),
            calls=calls,
            gathered=gathered,
        )


def choose(
    measured: Sequence[Measured],
    scenarios: Sequence[str],
    *,
    latency_bound_ms: float | None,
    samples_per_query: int,
) -> dict[str, dict[str, Any]]:
    """The best point per scenario and why (see the module doc)."""
    out: dict[str, dict[str, Any]] = {}

    def pick(m: Measured, why: str) -> dict[str, Any]:
        return {**m.to_dict(), "why": why}

    plain = [m for m in measured if not m.gathered]
    # Server: the points whose batches were gathered from random samples, as its SUT does
    # (one sample a call only when nothing was gathered: each Server call also costs the SUT's
    # hand-over and LoadGen's completion, which the sweep's calls do not, and that per-call
    # cost is what batches share)
    server = (
        [m for m in measured if m.gathered]
        or [m for m in plain if m.point.batch_size == 1]
        or plain
    )
    measured = plain
    if "Offline" in scenarios and measured:
        best = max(measured, key=lambda m: m.throughput)
        out["Offline"] = pick(
            best, f"the highest throughput of {len(measured)} points: {best.throughput:,.1f}/s"
        )
    if "Server" in scenarios and server:
        limit = (latency_bound_ms or float("inf")) * SERVER_BOUND_SHARE
        fits = [m for m in server if m.p99_ms <= limit] or [min(server, key=lambda m: m.p99_ms)]
        best = max(fits, key=lambda m: m.throughput)
        how = "gathered from random samples, " if best.gathered else ""
        out["Server"] = pick(
            best,
            f"the highest throughput ({best.throughput:,.1f}/s, {how}as the Server SUT runs) "
            f"of the {len(fits)} points whose p99 call ({best.p99_ms:.2f} ms) is within "
            f"{SERVER_BOUND_SHARE:g} x the bound",
        )
    ones = [m for m in measured if m.point.batch_size == 1 and m.point.streams == 1]
    if "SingleStream" in scenarios and ones:
        best = min(ones, key=lambda m: m.p90_ms)
        out["SingleStream"] = pick(
            best, f"the lowest p90 of one sample: {best.p90_ms:.3f} ms at {best.point.label()}"
        )
    queries = [
        m for m in measured if m.point.batch_size == samples_per_query and m.point.streams == 1
    ]
    if "MultiStream" in scenarios and queries:
        best = min(queries, key=lambda m: m.p99_ms)
        out["MultiStream"] = pick(
            best,
            f"the lowest p99 of a {samples_per_query}-sample query: {best.p99_ms:.3f} ms",
        )
    return out


def sweep(
    config: RunConfig,
    scenarios: Sequence[str],
    *,
    seconds: float,
    latency_bound_ms: float | None = None,
    samples_per_query: int | None = None,
    batch_sizes: Sequence[int] | None = None,
    threads: Sequence[int] | None = None,
    streams: Sequence[int] | None = None,
    samples: int | None = None,
    on_point: Callable[[int, int, Measured], None] = lambda i, n, m: None,
) -> tuple[list[Measured], dict[str, dict[str, Any]]]:
    """Measure every point (``on_point(done, total, measured)`` after each) and choose.

    ``samples_per_query`` (MultiStream's, from the round's rules) is needed for MultiStream."""
    from harness.errors import ConfigError

    if "MultiStream" in scenarios and not samples_per_query:
        raise ConfigError(
            "MultiStream needs its samples per query",
            "pass --samples-per-query (the round's MultiStream samples per query)",
        )
    gpu = config.backend.execution_provider != "CPUExecutionProvider"
    cores = physical_cores()
    wanted = set(scenarios)
    if wanted & {"Offline", "Server"}:
        todo = points(cores, gpu, batch_sizes, threads, streams)
    else:
        todo = []
    extra_batches = []
    if "SingleStream" in wanted:
        extra_batches.append(1)
    if "MultiStream" in wanted and samples_per_query:
        extra_batches.append(samples_per_query)
    # the latency scenarios need one stream at their query size, at every thread count
    for b in extra_batches:
        for p in points(cores, gpu, [b], threads, [1]):
            if p not in todo:
                todo.append(p)
    # Server's own points: batches gathered from random samples, as its SUT runs them
    jobs = [(p, False) for p in todo]
    if "Server" in wanted and samples:
        jobs += [(p, True) for p in todo if 1 < p.batch_size <= SERVER_MAX_BATCH]
    bench = Bench(config, samples)
    measured: list[Measured] = []
    for i, (point, gathered) in enumerate(jobs, start=1):
        m = bench.measure(point, seconds, gathered)
        measured.append(m)
        on_point(i, len(jobs), m)
    chosen = choose(
        measured,
        scenarios,
        latency_bound_ms=latency_bound_ms,
        samples_per_query=samples_per_query or 0,
    )
    return measured, chosen
