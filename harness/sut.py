"""The systems under test (SUTs) LoadGen drives, one per scenario.

- SingleStream: each one-sample query is answered on LoadGen's calling thread (no hand-off,
  which costs ~60 us; answering in place costs ~3 us).
- MultiStream: each 8-sample query is run as one batch on LoadGen's calling thread.
- Offline: the single big query is run in batches of ``batch_size``, ordered for memory
  locality (below), by ``streams`` threads (LoadGen's calling thread and streams - 1 helpers
  that live as long as the SUT), each taking the next batch and running it on its own runtime
  session.
- Server: queries go into a queue; ``streams`` worker threads, each with its own session,
  take what is queued (up to ``batch_size``) as soon as they are free. A free worker that
  finds fewer queries than a batch waits for more only while the arrival rate says they are
  coming within ``server_max_wait_ms`` (never beyond a tenth of the latency bound), so a
  lightly loaded server answers each query at once and a loaded one fills its batches.

With one stream, one thread runs the model at a time, so the runtime's own thread pool can
have every core without oversubscription; with several, ``mlperf-tui tune`` sizes streams x
threads to the cores. All SUTs use LoadGen's ``ConstructFastSUT`` (sample ids and
indices as plain integer lists, no QuerySample objects).

Every issued sample is completed, whatever happens: when inference raises, the run is marked
failed with the runtime's message and the remaining samples are completed without a result;
after a cancel (SIGINT) samples are completed at once without inference. SingleStream,
MultiStream and Offline then end within moments (LoadGen runs out of generated queries);
Server queries arriving after the stop are held and completed in LoadGen's flush, so that
LoadGen ends the test as soon as ``server_max_async_queries`` queries are outstanding.

Latency per sample is measured with ``time.perf_counter_ns`` from the SUT receiving the query to
just before ``QuerySamplesComplete``, into :class:`harness.stats.LatencyHistogram`.

Offline locality order: the Offline query repeats each loaded sample many times (24576 samples
drawn from 1024 loaded for ResNet50). The SUT may process an Offline query in any order, so
it runs it in passes: pass k holds every sample that occurs more than k times, in index order.
The data set keeps loaded samples in index order in one array, so most batches are then plain
slices of that array (no copy) instead of a gather. Every sample is still inferred.
"""

from __future__ import annotations

import collections
import ctypes
import itertools
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.backends import Backend
from harness.stats import LatencyHistogram
from harness.tasks import Binding, Dataset, Feeds, Task

_now = time.perf_counter_ns
#: ctypes calls release the GIL while they run
_memmove = ctypes.memmove


def loadgen_responses(
    response: Any, ids: Sequence[int], payloads: Sequence[bytes] | None
) -> tuple[list[Any], np.ndarray | None]:
    """LoadGen's QuerySampleResponse of each sample, pointing at its bytes in one buffer (none
    when ``payloads`` is None); keep the buffer alive until QuerySamplesComplete returns."""
    if payloads is None:
        return [response(sample_id, 0, 0) for sample_id in ids], None
    keep_alive = np.frombuffer(b"".join(payloads), dtype=np.uint8)
    address = keep_alive.ctypes.data if keep_alive.size else 0
    responses = []
    for sample_id, payload in zip(ids, payloads, strict=True):
        responses.append(response(sample_id, address, len(payload)))
        address += len(payload)
    return responses, keep_alive


class RunState:
    """What the SUT, the progress reporter and the main thread share during a run."""

    def __init__(self) -> None:
        self.histogram = LatencyHistogram()
        #: samples issued by LoadGen / completed by the SUT (each written by one thread only)
        self.issued = 0
        self.completed = 0
        self.started_ns: int | None = None
        #: None while running; "cancelled" or "failed" once the SUT stops inferring
        self.stop_reason: str | None = None
        self.failure: str | None = None
        self.stopped = threading.Event()
        #: set when LoadGen issues its first query (the progress reporter reports it at once)
        self.first_issue = threading.Event()
        #: steps done / to do of the batch in flight, for tasks that report them (0 / 0: none)
        self.steps_done = 0
        self.steps_total = 0
        self._lock = threading.Lock()

    def reset_counts(self) -> None:
        """Forget what was issued and completed so far (after a calibration test, before the
        run): the counters, the histogram, the first issue."""
        self.histogram = LatencyHistogram()
        self.issued = self.completed = 0
        self.started_ns = None
        self.first_issue.clear()

    def on_steps(self, done: int, total: int) -> None:
        """The task's progress within the batch it runs (reported with the next progress)."""
        self.steps_done, self.steps_total = done, total

    def add_completed(self, n: int) -> None:
        # Server completes from its worker and from LoadGen's flush
        with self._lock:
            self.completed += n

    @property
    def stopping(self) -> bool:
        return self.stop_reason is not None

    def request_stop(self, reason: str, message: str | None = None) -> None:
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
                if reason == "failed":
                    self.failure = message
        self.stopped.set()

    def fail(self, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}".strip()
        print(
            "harness: inference failed:\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            file=sys.stderr,
        )
        self.request_stop("failed", message)


class BaseSUT:
    """Runs batches through the backend and completes samples; subclasses decide when."""

    scenario = ""

    def __init__(
        self,
        backend: Backend | Sequence[Backend],
        task: Task,
        binding: Binding,
        dataset: Dataset,
        state: RunState,
        batch_size: int,
        log_responses: bool,
    ) -> None:
        import mlperf_loadgen as lg

        self._lg = lg
        self._response = lg.QuerySampleResponse
        self._complete_call = lg.QuerySamplesComplete
        #: one runtime session per inference stream (Offline and Server use them all)
        self.backends: list[Backend] = list(backend) if isinstance(backend, Sequence) else [backend]
        self.backend = self.backends[0]
        self.task = task
        self.binding = binding
        self.dataset = dataset
        self.state = state
        self.batch_size = max(1, batch_size)
        #: send each result's bytes to LoadGen (accuracy mode, compliance audits)
        self.log_responses = log_responses
        self._handle: Any = None

    # -- LoadGen glue -----------------------------------------------------------------------
    def construct(self) -> Any:
        self._handle = self._lg.ConstructFastSUT(self._issue_guarded, self._flush_guarded)
        return self._handle

    def destroy(self) -> None:
        if self._handle is not None:
            self._lg.DestroyFastSUT(self._handle)
            self._handle = None

    def close(self) -> None:
        """Stop any worker thread (after LoadGen returned)."""

    def _issue_guarded(self, ids: list[int], indices: list[int]) -> None:
        # an exception must never travel back into LoadGen's C++ thread
        try:
            self.issue(ids, indices)
        except BaseException as exc:  # pragma: no cover - issue() completes its own samples
            self.state.fail(exc)

    def _flush_guarded(self) -> None:
        try:
            self.flush()
        except BaseException as exc:  # pragma: no cover
            self.state.fail(exc)

    def issue(self, ids: list[int], indices: list[int]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """LoadGen will issue no more queries."""

    # -- the work -----------------------------------------------------------------------------
    def gather(self, indices: np.ndarray) -> Feeds:
        """The model inputs for these samples (views of the loaded arrays where possible)."""
        return self.dataset.batch(indices)

    def infer(self, indices: np.ndarray, backend: Backend | None = None) -> Any:
        return self.run_feeds(self.gather(indices), backend)

    def run_feeds(self, feeds: Feeds, backend: Backend | None = None) -> Any:
        try:
            return self.task.infer(
                backend or self.backend, self.binding, feeds, steps=self.state.on_steps
            )
        finally:
            self.state.steps_done = self.state.steps_total = 0

    def complete(
        self, ids: Sequence[int], started_ns: int | Sequence[int], results: Any | None
    ) -> None:
        """Tell LoadGen these samples are done (no result bytes when ``results`` is None)."""
        payloads = None
        if results is not None and self.log_responses:
            payloads = [self.task.response_bytes(results, i) for i in range(len(ids))]
        responses, keep_alive = loadgen_responses(self._response, ids, payloads)
        done_ns = _now()
        self._complete_call(responses)
        del keep_alive  # LoadGen copied the bytes during the call
        n = len(responses)
        self.state.add_completed(n)
        if isinstance(started_ns, int):
            self.state.histogram.add(done_ns - started_ns, n)
        else:
            self.state.histogram.add_many([done_ns - start for start in started_ns])

    def run_batches(
        self, ids: Sequence[int], indices: np.ndarray, started_ns: int, bounds: Sequence[int]
    ) -> None:
        """Infer ``indices`` in the batches ``bounds`` cuts them into; complete every sample."""
        done = 0
        try:
            for lo, hi in itertools.pairwise(bounds):
                if self.state.stopping:
                    break
                results = self.infer(indices[lo:hi])
                self.complete(ids[lo:hi], started_ns, results)
                done = hi
        except Exception as exc:
            self.state.fail(exc)
        finally:
            if done < len(ids):
                self.complete(ids[done:], started_ns, None)


def _even_bounds(n: int, batch_size: int) -> list[int]:
    return [*range(0, n, batch_size), n]


class SingleStreamSUT(BaseSUT):
    """Answers each query on LoadGen's calling thread."""

    scenario = "SingleStream"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the one sample index of a SingleStream query (one query at a time: reused)
        self._one = np.zeros(1, dtype=np.int64)

    def issue(self, ids: list[int], indices: list[int]) -> None:
        started = _now()
        state = self.state
        if state.issued == 0:
            state.first_issue.set()
        state.issued += len(ids)
        if state.stopping:
            self.complete(ids, started, None)
            return
        if len(ids) == 1:
            # the hot path: no array built per query, the sample a view of the loaded one
            one = self._one
            one[0] = indices[0]
            try:
                results = self.infer(one)
            except Exception as exc:
                self.state.fail(exc)
                results = None
            self.complete(ids, started, results)
            return
        idx = np.array(indices, dtype=np.int64)
        self.run_batches(ids, idx, started, _even_bounds(len(ids), self.batch_size))


class MultiStreamSUT(SingleStreamSUT):
    """Runs each 8-sample query as one batch (or batch_size pieces) on LoadGen's thread."""

    scenario = "MultiStream"

    def issue(self, ids: list[int], indices: list[int]) -> None:
        started = _now()
        if self.state.issued == 0:
            self.state.first_issue.set()
        self.state.issued += len(ids)
        if self.state.stopping:
            self.complete(ids, started, None)
            return
        idx = np.array(indices, dtype=np.int64)
        self.run_batches(ids, idx, started, _even_bounds(len(ids), self.batch_size))


def locality_order(indices: np.ndarray, batch_size: int) -> tuple[np.ndarray, list[int]]:
    """An order of the query's samples in passes (see the module doc) and batch bounds.

    Returns the permutation and the batch boundaries; batches never cross from one pass to the
    next, so each batch is ascending in sample index.
    """
    n = indices.size
    if n == 0:
        return np.empty(0, dtype=np.int64), [0]
    by_index = np.argsort(indices, kind="stable")
    sorted_idx = indices[by_index]
    group_start = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]])
    sizes = np.diff(np.r_[group_start, n])
    # occurrence number of each sample among equal indices: 0, 1, 2, ...
    occurrence = np.arange(n) - np.repeat(group_start, sizes)
    order = by_index[np.lexsort((sorted_idx, occurrence))]
    pass_sizes = np.bincount(occurrence)
    # rows of the loaded array are in index order: a batch of consecutive ranks among the
    # distinct samples is a slice; later passes are sparse, so they are also cut at gaps
    # (runs shorter than min_run are gathered together instead)
    ordered = sorted_idx[np.lexsort((sorted_idx, occurrence))]
    rank = np.searchsorted(sorted_idx[group_start], ordered)
    gap = np.r_[True, np.diff(rank) != 1]
    min_run = max(1, batch_size // 4)
    bounds = [0]
    start = 0
    for size in pass_sizes.tolist():
        end = start + size
        cuts = np.flatnonzero(gap[start:end]).tolist()[1:]
        runs = [start, *(start + c for c in cuts), end]
        pending = start  # start of the batch being filled
        for lo, hi in itertools.pairwise(runs):
            if hi - lo >= min_run:
                if pending < lo:  # flush short runs gathered so far
                    bounds.extend(range(pending + batch_size, lo, batch_size))
                    bounds.append(lo)
                bounds.extend(range(lo + batch_size, hi, batch_size))
                bounds.append(hi)
                pending = hi
        if pending < end:
            bounds.extend(range(pending + batch_size, end, batch_size))
            bounds.append(end)
        start = end
    return order, bounds


class OfflineSUT(BaseSUT):
    """Runs the whole Offline query in locality order, on ``streams`` threads (module doc).

    The helper streams (all but LoadGen's calling thread) are threads that live as long as
    the SUT, as the Server's workers do: LoadGen keeps a log buffer per thread that completes
    samples, and a thread that exits right after a burst of completions can have its buffer
    freed while LoadGen's logger still holds it (a crash in TlsLogger::SwapBuffers, seen with
    four streams when a run failed mid-way).
    """

    scenario = "Offline"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._job_cv = threading.Condition()
        self._job: Any = None
        self._job_id = 0
        self._pending = 0
        self._closed = False
        self._helpers = [
            threading.Thread(
                target=self._helper, args=(b,), name=f"harness-stream-{i}", daemon=True
            )
            for i, b in enumerate(self.backends[1:], start=1)
        ]
        for t in self._helpers:
            t.start()

    def issue(self, ids: list[int], indices: list[int]) -> None:
        started = _now()
        self.state.first_issue.set()
        self.state.issued += len(ids)
        if self.state.stopping:
            self.complete(ids, started, None)
            return
        idx = np.array(indices, dtype=np.int64)
        order, bounds = locality_order(idx, self.batch_size)
        ordered_ids = np.array(ids, dtype=np.uint64)[order].tolist()
        if len(self.backends) == 1:
            self.run_batches(ordered_ids, idx[order], started, bounds)
            return
        self._run_streams(ordered_ids, idx[order], started, bounds)

    def close(self) -> None:
        with self._job_cv:
            self._closed = True
            self._job_cv.notify_all()
        for t in self._helpers:
            t.join(timeout=10)

    def _helper(self, backend: Backend) -> None:
        """A helper stream: runs each query's job on its own session until the SUT closes."""
        seen = 0
        while True:
            with self._job_cv:
                while self._job_id == seen and not self._closed:
                    self._job_cv.wait()
                if self._closed:
                    return
                seen, job = self._job_id, self._job
            try:
                job(backend)
            finally:
                with self._job_cv:
                    self._pending -= 1
                    self._job_cv.notify_all()

    def _run_streams(
        self, ids: list[int], indices: np.ndarray, started_ns: int, bounds: Sequence[int]
    ) -> None:
        """Every stream takes the next batch until none is left; a batch taken after a stop
        or a failure is completed without inference, so every sample is completed."""
        batches = iter(itertools.pairwise(bounds))
        lock = threading.Lock()

        def stream(backend: Backend) -> None:
            while True:
                with lock:
                    batch = next(batches, None)
                if batch is None:
                    return
                lo, hi = batch
                if self.state.stopping:
                    self.complete(ids[lo:hi], started_ns, None)
                    continue
                try:
                    results = self.infer(indices[lo:hi], backend)
                except Exception as exc:
                    self.state.fail(exc)
                    results = None
                self.complete(ids[lo:hi], started_ns, results)

        with self._job_cv:
            self._job = stream
            self._pending = len(self._helpers)
            self._job_id += 1
            self._job_cv.notify_all()
        stream(self.backends[0])
        with self._job_cv:
            while self._pending > 0:
                self._job_cv.wait()


class ServerSUT(BaseSUT):
    """Queues queries; ``streams`` workers batch them as they come (see the module doc)."""

    scenario = "Server"

    def __init__(
        self, *args: Any, max_wait_ms: float = 2.0, latency_bound_ns: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        wait_ns = int(max_wait_ms * 1e6)
        if latency_bound_ns > 0:
            wait_ns = min(wait_ns, latency_bound_ns // 10)
        self.max_wait_ns = wait_ns
        self._queue: collections.deque[tuple[int, int, int]] = collections.deque()
        self._held: list[int] = []
        self._cv = threading.Condition()
        self._flushing = False
        self._closed = False
        #: the mean gap between arrivals (ns), an exponential average over recent queries
        self._gap_ns = 0.0
        self._last_arrival = 0
        self._workers = [
            threading.Thread(
                target=self._work, args=(b,), name=f"harness-server-worker-{i}", daemon=True
            )
            for i, b in enumerate(self.backends)
        ]
        for t in self._workers:
            t.start()

    def gather(self, indices: np.ndarray) -> Feeds:
        """Copy the batch row by row with ``memmove``, which runs without the GIL.

        numpy's gather holds the GIL for the whole copy (milliseconds for a ResNet50 batch),
        and LoadGen's issuing thread needs the GIL to hand over each query, so a gather under
        the GIL would delay queries LoadGen already timestamped.
        """
        if len(indices) == 1:
            return self.dataset.batch(indices)
        rows = [self.dataset.batch(indices[i : i + 1]) for i in range(len(indices))]
        feeds: dict[str, np.ndarray] = {}
        for name, first in rows[0].items():
            out = np.empty((len(rows), *first.shape[1:]), dtype=first.dtype)
            size = first.nbytes
            address = out.ctypes.data
            for row_feeds in rows:
                row = row_feeds[name]
                if not row.flags.c_contiguous:
                    row = np.ascontiguousarray(row)
                _memmove(address, row.ctypes.data, size)
                address += size
            feeds[name] = out
        return feeds

    def issue(self, ids: list[int], indices: list[int]) -> None:
        started = _now()
        state = self.state
        if state.issued == 0:
            state.first_issue.set()
        state.issued += len(ids)
        with self._cv:
            if state.stopping:
                # completed in flush(): LoadGen ends the test on too many outstanding queries
                self._held.extend(ids)
                return
            # accuracy mode issues one round per loaded set, each ending with a flush
            self._flushing = False
            if self._last_arrival:
                gap = started - self._last_arrival
                self._gap_ns = gap if not self._gap_ns else 0.9 * self._gap_ns + 0.1 * gap
            self._last_arrival = started
            queue = self._queue
            if len(ids) == 1:
                queue.append((ids[0], indices[0], started))
            else:
                for sample_id, index in zip(ids, indices, strict=True):
                    queue.append((sample_id, index, started))
            self._cv.notify()

    def flush(self) -> None:
        with self._cv:
            self._flushing = True
            held, self._held = self._held, []
            self._cv.notify_all()
        if held:
            self.complete(held, _now(), None)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        for t in self._workers:
            t.join(timeout=10)

    def _take(self) -> list[tuple[int, int, int]] | None:
        """The next batch (see the module doc); None when closed."""
        queue = self._queue
        with self._cv:
            while True:
                while not queue:
                    if self._closed:
                        return None
                    self._cv.wait()
                gap = self._gap_ns
                if len(queue) < self.batch_size and 0 < gap < self.max_wait_ns:
                    # the next query is due within the wait: wait for the missing ones, at
                    # most as long as they take to arrive at the current rate
                    missing = self.batch_size - len(queue)
                    deadline = queue[0][2] + min(self.max_wait_ns, int(missing * gap))
                    while (
                        queue
                        and len(queue) < self.batch_size
                        and not (self._flushing or self._closed or self.state.stopping)
                    ):
                        remaining = deadline - _now()
                        if remaining <= 0:
                            break
                        self._cv.wait(remaining / 1e9)
                if not queue:  # another worker took them meanwhile
                    continue
                n = min(self.batch_size, len(queue))
                batch = [queue.popleft() for _ in range(n)]
                if queue:
                    self._cv.notify()  # another free worker can take the rest
                return batch

    def _work(self, backend: Backend) -> None:
        # this worker's own batch arrays, filled by the data set's GIL-free gather when it has
        # one (a sample alone is a view of the loaded one: no copy)
        gather = getattr(self.dataset, "gather", None)
        buffers = None
        if gather is not None and self.batch_size > 1:
            buffers = self.dataset.gather_buffers(self.batch_size)  # type: ignore[attr-defined]
        while True:
            batch = self._take()
            if batch is None:
                return
            ids = [b[0] for b in batch]
            starts = [b[2] for b in batch]
            try:
                if self.state.stopping:
                    self.complete(ids, starts, None)
                    continue
                idx = np.array([b[1] for b in batch], dtype=np.int64)
                if len(idx) == 1:
                    feeds = self.dataset.batch(idx)
                elif buffers is not None:
                    feeds = gather(idx, buffers)  # type: ignore[misc]
                else:
                    feeds = self.gather(idx)
                self.complete(ids, starts, self.run_feeds(feeds, backend))
            except Exception as exc:
                self.state.fail(exc)
                self.complete(ids, starts, None)


SUTS: dict[str, type[BaseSUT]] = {
    "SingleStream": SingleStreamSUT,
    "MultiStream": MultiStreamSUT,
    "Offline": OfflineSUT,
    "Server": ServerSUT,
}


def make_sut(
    scenario: str,
    backend: Backend | Sequence[Backend],
    task: Task,
    binding: Binding,
    dataset: Dataset,
    state: RunState,
    batch_size: int,
    log_responses: bool,
    server_max_wait_ms: float = 2.0,
    server_latency_bound_ns: int = 0,
) -> BaseSUT:
    """The SUT of ``scenario``; ``backend`` is one session, or one per stream (Offline and
    Server run them all, the others the first)."""
    cls = SUTS[scenario]
    if cls is ServerSUT:
        return ServerSUT(
            backend,
            task,
            binding,
            dataset,
            state,
            batch_size,
            log_responses,
            max_wait_ms=server_max_wait_ms,
            latency_bound_ns=server_latency_bound_ns,
        )
    return cls(backend, task, binding, dataset, state, batch_size, log_responses)
