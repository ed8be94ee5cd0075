"""A fixed-memory latency histogram with log-spaced buckets, and percentiles from it.

Bucket ``i`` covers ``[min_ns * growth**i, min_ns * growth**(i+1))``. With the defaults
(``min_ns`` = 1 us, ``growth`` = 1.01, 2083 buckets) the buckets are 1% wide and cover 1 us to
1000 s; a latency outside that range is counted in the first or last bucket, and the exact
minimum and maximum are kept aside. Memory never grows with the length of a run.

Percentiles use the nearest-rank rule LoadGen uses (the sample at index ``floor(n * p)`` of the
sorted latencies), and report the geometric centre of that sample's bucket, so a percentile is
within half a bucket (0.5%) of the exact one.

Pure and thread-safe; no LoadGen, no numpy.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_MIN_NS = 1_000
DEFAULT_GROWTH = 1.01
#: enough 1% buckets to reach 1000 s from 1 us
DEFAULT_BUCKETS = math.ceil(math.log(1e9) / math.log(DEFAULT_GROWTH))


class LatencyHistogram:
    """Counts latencies (nanoseconds) in log-spaced buckets; see the module docstring."""

    def __init__(
        self,
        min_ns: int = DEFAULT_MIN_NS,
        growth: float = DEFAULT_GROWTH,
        buckets: int = DEFAULT_BUCKETS,
    ) -> None:
        if min_ns <= 0 or growth <= 1.0 or buckets < 1:
            raise ValueError("need min_ns > 0, growth > 1 and at least one bucket")
        self.min_ns = min_ns
        self.growth = growth
        self.buckets = buckets
        self._log_min = math.log(min_ns)
        self._inv_log_growth = 1.0 / math.log(growth)
        self._counts = [0] * buckets
        self._count = 0
        self._sum_ns = 0
        self._min: int | None = None
        self._max: int | None = None
        self._lock = threading.Lock()

    # -- adding ---------------------------------------------------------------------------------
    def bucket_index(self, latency_ns: float) -> int:
        """The bucket a latency falls in (clamped to the first and last bucket)."""
        if latency_ns <= self.min_ns:
            return 0
        i = int((math.log(latency_ns) - self._log_min) * self._inv_log_growth)
        return i if i < self.buckets else self.buckets - 1

    def bucket_bounds(self, index: int) -> tuple[float, float]:
        """The [low, high) range of bucket ``index`` in nanoseconds."""
        low = self.min_ns * self.growth**index
        return low, low * self.growth

    def add(self, latency_ns: int, n: int = 1) -> None:
        """Count ``n`` samples with this latency (a batch completes its samples together)."""
        if n <= 0:
            return
        i = self.bucket_index(latency_ns)
        with self._lock:
            self._counts[i] += n
            self._count += n
            self._sum_ns += latency_ns * n
            if self._min is None or latency_ns < self._min:
                self._min = latency_ns
            if self._max is None or latency_ns > self._max:
                self._max = latency_ns

    def add_many(self, latencies_ns: Iterable[int]) -> None:
        """Count each latency once (one lock for all: a Server batch completes together)."""
        values = list(latencies_ns)
        if not values:
            return
        index = self.bucket_index
        buckets = [index(v) for v in values]
        low, high = min(values), max(values)
        with self._lock:
            counts = self._counts
            for i in buckets:
                counts[i] += 1
            self._count += len(values)
            self._sum_ns += sum(values)
            if self._min is None or low < self._min:
                self._min = low
            if self._max is None or high > self._max:
                self._max = high

    # -- reading --------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return self._count

    @property
    def mean_ns(self) -> float | None:
        with self._lock:
            return self._sum_ns / self._count if self._count else None

    @property
    def min_ns_seen(self) -> int | None:
        return self._min

    @property
    def max_ns_seen(self) -> int | None:
        return self._max

    def percentile(self, p: float) -> float | None:
        """The latency (ns) at percentile ``p`` in [0, 1], or None when empty."""
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"percentile {p} is not in [0, 1]")
        with self._lock:
            counts = list(self._counts)
            total, lo, hi = self._count, self._min, self._max
        return _percentile(counts_items(counts), total, p, self.min_ns, self.growth, lo, hi)

    def percentiles(self, ps: Iterable[float]) -> dict[float, float | None]:
        return {p: self.percentile(p) for p in ps}

    def summary(self, ps: Iterable[float]) -> tuple[dict[float, float | None], dict[str, Any]]:
        """Percentiles and the snapshot from one copy of the counts (what a progress event needs)."""
        with self._lock:
            counts = list(self._counts)
            total, lo, hi = self._count, self._min, self._max
        items = counts_items(counts)
        values = {p: _percentile(items, total, p, self.min_ns, self.growth, lo, hi) for p in ps}
        return values, {
            "min_ns": self.min_ns,
            "growth": self.growth,
            "counts": [[i, c] for i, c in items],
        }

    def snapshot(self) -> dict[str, Any]:
        """The sparse form the ``progress`` event carries."""
        with self._lock:
            counts = [[i, c] for i, c in enumerate(self._counts) if c]
        return {"min_ns": self.min_ns, "growth": self.growth, "counts": counts}


def counts_items(counts: list[int]) -> list[tuple[int, int]]:
    return [(i, c) for i, c in enumerate(counts) if c]


def _percentile(
    items: list[tuple[int, int]],
    total: int,
    p: float,
    min_ns: float,
    growth: float,
    lo: float | None = None,
    hi: float | None = None,
) -> float | None:
    if total == 0:
        return None
    # nearest rank, as LoadGen: the element at index floor(total * p) of the sorted list
    rank = min(int(total * p), total - 1)
    seen = 0
    for index, n in items:
        seen += n
        if seen > rank:
            centre = min_ns * growth ** (index + 0.5)
            if lo is not None and centre < lo:
                centre = lo
            if hi is not None and centre > hi:
                centre = hi
            return float(centre)
    return None  # pragma: no cover - total is the sum of the counts


def snapshot_percentile(snapshot: Mapping[str, Any], p: float) -> float | None:
    """A percentile (ns) from a ``progress`` event's histogram snapshot."""
    items = sorted((int(i), int(n)) for i, n in snapshot["counts"])
    total = sum(n for _, n in items)
    return _percentile(items, total, p, float(snapshot["min_ns"]), float(snapshot["growth"]))


def snapshot_bucket_index(snapshot: Mapping[str, Any], latency_ns: float) -> int:
    """The bucket index ``latency_ns`` falls in, for a snapshot's bucket layout."""
    min_ns, growth = float(snapshot["min_ns"]), float(snapshot["growth"])
    if latency_ns <= min_ns:
        return 0
    return int(math.log(latency_ns / min_ns) / math.log(growth))
