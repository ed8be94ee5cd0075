"""The endpoint SUT: LoadGen's samples as streamed requests to a serving engine.

Threads: LoadGen's issue callback only stamps the samples and hands them to one asyncio event
loop in one I/O thread (``call_soon_threadsafe``); there, ``max_concurrency`` worker
coroutines take samples from a queue and stream one request each, so hundreds of requests
are in flight without a thread each (a pool of workers rather than a task per sample behind a
semaphore, so that the Offline query's 24,576 samples cost a queue entry each, not a task).
Every LoadGen call of a sample (``FirstTokenComplete``, ``QuerySamplesComplete``) is made on
the I/O thread as its tokens arrive.

Tokens and token ids: a streamed chunk with text counts as one token, a chunk with token ids
(harness.endpoint.client.chunk_token_ids) as that many. The output token ids (what the
accuracy log keeps, as int32 little-endian bytes, the references' default dtype) are the
engine's own ids when every chunk carried them; otherwise each streamed piece of text is
tokenised back on its own with the model's tokenizer.json when the sample completes (only when
the run logs its outputs: accuracy mode, compliance audits). LoadGen's token count is the number of output ids
when there are ids, else the counted tokens, so that TEST06's "token count = output length"
holds. The first token goes to ``FirstTokenComplete`` the moment it arrives (Server, and any
run whose settings have ``use_token_latencies``); with a text-only engine its logged ids are
its text tokenised alone, as the output's first piece is, and a sample whose output ids start
otherwise is counted as ``first_token_mismatch``.

Failures (harness.endpoint.client.FAILURE_KINDS) are counted by kind and the sample is
completed without data, so LoadGen always finishes. An engine that refuses the connection
:data:`DEAD_AFTER` times in a row has died: the run stops as failed with that reason, every
queued and later sample is completed at once without a request (Server samples arriving after
the stop are held until LoadGen's flush, as the built-in Server SUT does, so LoadGen ends on
its outstanding-queries bound). A SIGINT cancel stops the same way, also ending the requests
in flight.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.endpoint.client import (
    Completion,
    RequestFailed,
    RequestTemplate,
    new_session,
    stream_completion,
)
from harness.endpoint.stats import EndpointStats, PromptStore

if TYPE_CHECKING:
    import aiohttp
    from tokenizers import Tokenizer

    from harness.config import EndpointOptions
    from harness.sut import RunState

_now = time.perf_counter_ns

#: consecutive refused connections after which the engine is taken for dead
DEAD_AFTER = 3
#: failures of each kind whose detail goes to stderr (the rest are only counted)
_REPORTED_PER_KIND = 3
#: seconds between two looks at the run's stop flag (SIGINT, engine death)
_STOP_POLL_S = 0.02


class EndpointSUT:
    """Streams each sample to the engine; see the module doc."""

    def __init__(
        self,
        options: EndpointOptions,
        prompts: PromptStore,
        state: RunState,
        stats: EndpointStats,
        *,
        api_key: str | None,
        scenario: str,
        log_responses: bool,
        report_first_token: bool,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        import mlperf_loadgen as lg

        self._lg = lg
        self.options = options
        self.prompts = prompts
        self.state = state
        self.stats = stats
        self.scenario = scenario
        self.log_responses = log_responses
        self.report_first_token = report_first_token
        self.tokenizer = tokenizer
        self._api_key = api_key
        self._template = RequestTemplate(options)
        self._url = options.completions_url
        self._handle: Any = None
        self._held: list[int] = []
        self._held_lock = threading.Lock()
        self._halted = False
        self._refused_in_a_row = 0
        self._reported: collections.Counter[str] = collections.Counter()
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue[tuple[int, int, int]] | None = None
        self._closing: asyncio.Event | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run_loop, name="harness-endpoint-io")
        self._thread.daemon = True
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    # -- LoadGen glue (LoadGen's threads) -------------------------------------------------------
    def construct(self) -> Any:
        self._handle = self._lg.ConstructFastSUT(self._issue_guarded, self._flush_guarded)
        return self._handle

    def destroy(self) -> None:
        if self._handle is not None:
            self._lg.DestroyFastSUT(self._handle)
            self._handle = None

    def _issue_guarded(self, ids: list[int], indices: list[int]) -> None:
        try:
            self.issue(ids, indices)
        except BaseException as exc:  # pragma: no cover - never raise into LoadGen
            self.state.fail(exc)
            self._complete_unsent(ids)

    def _flush_guarded(self) -> None:
        try:
            self.flush()
        except BaseException as exc:  # pragma: no cover
            self.state.fail(exc)

    def issue(self, ids: list[int], indices: list[int]) -> None:
        started = _now()
        state = self.state
        if state.issued == 0:
            self.stats.started_ns = started
            state.first_issue.set()
        state.issued += len(ids)
        if state.stopping or self._halted:
            if self.scenario == "Server":
                # completed in flush(): LoadGen ends the test on too many outstanding queries
                with self._held_lock:
                    self._held.extend(ids)
            else:
                self._complete_unsent(ids)
            return
        self._loop.call_soon_threadsafe(self._enqueue, ids, indices, started)

    def flush(self) -> None:
        with self._held_lock:
            held, self._held = self._held, []
        if held:
            self._complete_unsent(held)

    def close(self) -> None:
        """Stop the I/O thread (after LoadGen returned); in-flight requests end as cancelled."""
        if self._thread.is_alive():
            closing = self._closing
            if closing is not None:
                self._loop.call_soon_threadsafe(closing.set)
            self._thread.join(timeout=10)

    # -- the I/O thread ---------------------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:
            if self._ready.is_set():  # pragma: no cover - the loop only waits once started
                self.state.fail(exc)
            else:  # the loop could not start: __init__ raises it
                self._start_error = exc
        finally:
            self._ready.set()
            self._loop.close()

    async def _main(self) -> None:
        self._queue = asyncio.Queue()
        self._closing = asyncio.Event()
        session = new_session(self.options.max_concurrency, self._api_key)
        workers = [
            asyncio.create_task(self._worker(session)) for _ in range(self.options.max_concurrency)
        ]
        watcher = asyncio.create_task(self._watch_stop(workers))
        self._ready.set()
        try:
            await self._closing.wait()
        finally:
            self._halted = True
            watcher.cancel()
            for w in workers:
                w.cancel()
            await asyncio.gather(watcher, *workers, return_exceptions=True)
            self._drain_queue()
            await session.close()

    async def _watch_stop(self, workers: list[asyncio.Task[None]]) -> None:
        """On a stop (SIGINT, a dead engine), end the requests in flight and empty the queue."""
        while not self.state.stopping:
            await asyncio.sleep(_STOP_POLL_S)
        self._halted = True
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._drain_queue()

    def _drain_queue(self) -> None:
        queue = self._queue
        if queue is None:
            return
        ids = []
        while not queue.empty():
            ids.append(queue.get_nowait()[0])
        self.stats.queued = 0
        if ids:
            self._complete_unsent(ids)

    def _enqueue(self, ids: list[int], indices: list[int], started: int) -> None:
        if self._halted or self._queue is None:
            self._complete_unsent(ids)
            return
        put = self._queue.put_nowait
        for sample_id, index in zip(ids, indices, strict=True):
            put((sample_id, index, started))
        self.stats.queued += len(ids)

    async def _worker(self, session: aiohttp.ClientSession) -> None:
        assert self._queue is not None
        while True:
            sample_id, index, started = await self._queue.get()
            self.stats.queued -= 1
            if self._halted:
                self._complete_unsent([sample_id])
                continue
            await self._one(session, sample_id, index, started)

    async def _one(
        self, session: aiohttp.ClientSession, sample_id: int, index: int, started: int
    ) -> None:
        first: list[list[int] | None] = []

        def on_first_token(ids: list[int] | None, text: str) -> None:
            first.append(self._first_token(sample_id, ids, text))

        completion: Completion | None = None
        failure: RequestFailed | None = None
        self.stats.on_send()
        try:
            completion = await stream_completion(
                session,
                self._url,
                self._template.body(self.prompts.prompt(index)),
                self.options.timeout_s,
                on_first_token if self.report_first_token else None,
            )
        except RequestFailed as exc:
            failure = exc
        except asyncio.CancelledError:
            failure = RequestFailed("cancelled", "the run stopped")
            raise
        except Exception as exc:  # a bug must not leave the sample uncompleted
            traceback.print_exc(file=sys.stderr)
            failure = RequestFailed("internal", f"{type(exc).__name__}: {exc}")
        finally:
            if self.report_first_token and not first:
                # LoadGen measures this sample's first token: it must hear of one before the
                # completion (a sample that failed before any token gets an empty one)
                self._lg.FirstTokenComplete([self._lg.QuerySampleResponse(sample_id, 0, 0)])
            self._finish(sample_id, started, completion, failure, first[0] if first else None)

    # -- completing samples -------------------------------------------------------------------------
    def _first_token(self, sample_id: int, ids: list[int] | None, text: str) -> list[int] | None:
        """Tell LoadGen the first token arrived (its ids in the accuracy log when logged)."""
        lg = self._lg
        if self.log_responses:
            if ids is None and self.tokenizer is not None:
                ids = self.tokenizer.encode(text, add_special_tokens=False).ids
            if ids:
                data = np.asarray(ids, dtype="<i4")
                lg.FirstTokenComplete(
                    [lg.QuerySampleResponse(sample_id, data.ctypes.data, data.nbytes)]
                )
                del data  # LoadGen copied it during the call
                return ids
        lg.FirstTokenComplete([lg.QuerySampleResponse(sample_id, 0, 0)])
        return ids

    def _output_ids(self, completion: Completion) -> tuple[list[int] | None, str]:
        """The output token ids (None when not needed and not sent) and where they came from."""
        if completion.ids_complete:
            return completion.ids, "engine"
        if not self.log_responses:
            return None, "counted"
        if self.tokenizer is None:
            raise RequestFailed(
                "no_token_ids", "the engine sent text without token ids and no tokenizer is set"
            )
        # each streamed piece (one generated token) tokenised on its own, as its first token
        # was: the logged first token then starts the logged output (TEST06), and the pieces'
        # ids decode to exactly the streamed text (re-tokenising the whole text may merge
        # tokens across the pieces' boundaries)
        encoded = self.tokenizer.encode_batch(completion.pieces, add_special_tokens=False)
        return [i for e in encoded for i in e.ids], "tokenizer"

    def _finish(
        self,
        sample_id: int,
        started: int,
        completion: Completion | None,
        failure: RequestFailed | None,
        first_ids: list[int] | None,
    ) -> None:
        """Complete one sample with LoadGen (always, whatever happened) and count it."""
        lg = self._lg
        tokens = 0
        data = None
        try:
            if completion is not None and failure is None:
                ids, source = self._output_ids(completion)
                self.stats.token_ids[source] += 1
                tokens = len(ids) if ids is not None else completion.tokens
                if tokens == 0:
                    self.stats.empty += 1
                if ids and self.log_responses:
                    data = np.asarray(ids, dtype="<i4")
                if first_ids and ids is not None and ids[: len(first_ids)] != first_ids:
                    self.stats.first_token_mismatch += 1
        except RequestFailed as exc:
            failure, tokens, data = exc, 0, None
        except Exception as exc:  # a tokenizer that breaks: the run fails, the sample completes
            self.state.fail(exc)
            failure, tokens, data = RequestFailed("internal", str(exc)), 0, None
        # LoadGen refuses a token count of 0 where it measures token latencies
        n_tokens = max(tokens, 1) if self.stats.token_latencies else tokens
        if data is not None:
            response = lg.QuerySampleResponse(sample_id, data.ctypes.data, data.nbytes, n_tokens)
        else:
            response = lg.QuerySampleResponse(sample_id, 0, 0, n_tokens)
        done_ns = _now()
        lg.QuerySamplesComplete([response])
        del data  # kept alive until LoadGen copied it
        self.state.add_completed(1)
        self.state.histogram.add(done_ns - started)
        kind = None if failure is None else failure.kind
        self.stats.on_done(kind, tokens)
        if kind is None and completion is not None and completion.first_ns is not None:
            self.stats.ttft.add(completion.first_ns - started)
            if tokens > 1 and completion.end_ns is not None:
                self.stats.tpot.add((completion.end_ns - completion.first_ns) // (tokens - 1))
        self._watch_engine(kind, failure)

    def _watch_engine(self, kind: str | None, failure: RequestFailed | None) -> None:
        if kind is None or kind == "cancelled":
            self._refused_in_a_row = 0
            return
        assert failure is not None
        if self._reported[kind] < _REPORTED_PER_KIND:
            self._reported[kind] += 1
            print(f"harness: request to {self._url} failed: {failure}", file=sys.stderr)
        if kind != "connection_refused":
            self._refused_in_a_row = 0
            return
        self._refused_in_a_row += 1
        if self._refused_in_a_row >= DEAD_AFTER and not self.state.stopping:
            self.state.request_stop(
                "failed",
                f"the engine at {self.options.base_url} stopped answering after "
                f"{self.stats.answered} of {self.state.issued} samples: connection refused",
            )

    def _complete_unsent(self, ids: Sequence[int]) -> None:
        """Complete samples without sending them (after a stop): no data, one token."""
        if not ids:
            return
        lg = self._lg
        n_tokens = 1 if self.stats.token_latencies else 0
        if self.report_first_token:
            lg.FirstTokenComplete([lg.QuerySampleResponse(i, 0, 0) for i in ids])
        lg.QuerySamplesComplete([lg.QuerySampleResponse(i, 0, 0, n_tokens) for i in ids])
        self.state.add_completed(len(ids))
        self.stats.add_not_sent(len(ids))
