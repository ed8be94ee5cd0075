"""What the endpoint SUT keeps besides its requests: the prompts LoadGen loaded (the QSL side)
and the run's counts (requests, failures by kind, in flight, tokens, the SUT's TTFT and TPOT),
written by the I/O thread and read by the progress reporter."""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.endpoint.client import prompt_json
from harness.stats import LatencyHistogram

if TYPE_CHECKING:
    from harness.config import EndpointOptions
    from harness.datasets.llm import LlmDataset
    from harness.tasks import Feeds, ProgressCallback

__all__ = ["EndpointStats", "PromptStore"]

_now = time.perf_counter_ns
_PERCENTILES = (0.50, 0.90, 0.99)


class PromptStore:
    """The QSL side of an endpoint run: each loaded sample's prompt, already as request JSON.

    LoadGen's ``LoadSamplesToRam`` serialises the prompts (token ids or text) once, so that no
    sample is encoded inside the timed run.
    """

    def __init__(self, dataset: LlmDataset, prompt_format: str) -> None:
        self.dataset = dataset
        self.prompt_format = prompt_format
        self.total_count = dataset.total_count
        self._json: dict[int, bytes] = {}

    def encode(self, index: int) -> bytes:
        if self.prompt_format == "text":
            return prompt_json(self.dataset.sample(index).prompt)
        return prompt_json(self.dataset.input_ids(index).tolist())

    def load(self, indices: Sequence[int] | np.ndarray) -> None:
        for i in {int(i) for i in indices}:
            if i not in self._json:
                self._json[i] = self.encode(i)

    def unload(self, indices: Sequence[int] | np.ndarray) -> None:
        for i in {int(i) for i in indices}:
            self._json.pop(i, None)

    def prompt(self, index: int) -> bytes:
        found = self._json.get(index)
        return found if found is not None else self.encode(index)

    def batch(self, indices: np.ndarray) -> Feeds:
        """The prompts' token ids (the Dataset protocol; the endpoint SUT sends JSON instead)."""
        ids = [self.dataset.input_ids(int(i)) for i in indices]
        width = max((len(a) for a in ids), default=0)
        out = np.zeros((len(ids), width), dtype=np.int32)
        for row, a in enumerate(ids):
            out[row, : len(a)] = a
        return {"input_ids": out}

    def preprocess(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Nothing to cache on disk: the data set file already holds the token ids."""
        return 0


class EndpointStats:
    """Counts of the run's requests, written by the SUT and read by the progress reporter."""

    def __init__(self, options: EndpointOptions, token_latencies: bool) -> None:
        self.base_url = options.base_url
        self.model = options.model
        self.max_concurrency = options.max_concurrency
        self.token_latencies = token_latencies
        self.requests = 0
        self.answered = 0
        self.failed: collections.Counter[str] = collections.Counter()
        #: samples completed without a request (after a stop)
        self.not_sent = 0
        #: requests in flight when the run stopped, ended without an answer
        self.cancelled = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.queued = 0
        self.output_tokens = 0
        #: answers that streamed no token at all
        self.empty = 0
        #: how each answer's output ids were obtained: "engine", "tokenizer", "counted"
        self.token_ids: collections.Counter[str] = collections.Counter()
        self.first_token_mismatch = 0
        self.ttft = LatencyHistogram()
        self.tpot = LatencyHistogram()
        self.started_ns: int | None = None
        #: the process's threads when the most requests were in flight
        self.threads_at_peak: dict[str, Any] = {}
        self._lock = threading.Lock()

    def on_send(self) -> None:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            if self.in_flight > self.max_in_flight:
                self.max_in_flight = self.in_flight
                self.threads_at_peak = _threads()

    def on_done(self, failure: str | None, tokens: int) -> None:
        """A request ended: answered (failure None), cancelled by a stop, or failed."""
        with self._lock:
            self.in_flight -= 1
            if failure is None:
                self.answered += 1
                self.output_tokens += tokens
            elif failure == "cancelled":
                self.cancelled += 1
            else:
                self.failed[failure] += 1

    def add_not_sent(self, n: int) -> None:
        with self._lock:
            self.not_sent += n

    def snapshot(self) -> dict[str, Any]:
        """The ``endpoint`` object of progress, result and error events."""

        def ms(hist: LatencyHistogram) -> dict[str, float | None] | None:
            if not self.token_latencies or hist.count == 0:
                return None
            values = hist.percentiles(_PERCENTILES)
            mean = hist.mean_ns
            out = {f"p{round(p * 100)}": _ms(v) for p, v in values.items()}
            out["mean"] = _ms(mean)
            return out

        with self._lock:
            failed = dict(sorted(self.failed.items()))
            elapsed = (_now() - self.started_ns) / 1e9 if self.started_ns else 0.0
            return {
                "url": self.base_url,
                "model": self.model,
                "requests": self.requests,
                "answered": self.answered,
                "failed": failed,
                "failed_total": sum(failed.values()),
                "not_sent": self.not_sent,
                "cancelled": self.cancelled,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "max_concurrency": self.max_concurrency,
                "queued": self.queued,
                "output_tokens": self.output_tokens,
                "tokens_per_s": round(self.output_tokens / elapsed, 3) if elapsed > 0 else 0.0,
                "empty_answers": self.empty,
                "token_ids": dict(sorted(self.token_ids.items())),
                "first_token_mismatch": self.first_token_mismatch,
                "token_latencies": self.token_latencies,
                "ttft_ms": ms(self.ttft),
                "tpot_ms": ms(self.tpot),
            }


def _ms(ns: float | None) -> float | None:
    return None if ns is None else round(ns / 1e6, 6)


def _threads() -> dict[str, Any]:
    """The Python threads by name and the OS thread count (LoadGen's own threads included)."""
    try:
        os_threads = len(os.listdir("/proc/self/task"))
    except OSError:
        os_threads = None
    return {"python": sorted(t.name for t in threading.enumerate()), "os": os_threads}
