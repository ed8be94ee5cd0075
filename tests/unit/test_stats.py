"""The fixed-memory latency histogram: buckets, percentiles, snapshots, threads."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.stats import (
    DEFAULT_BUCKETS,
    LatencyHistogram,
    snapshot_bucket_index,
    snapshot_percentile,
)

latencies = st.lists(
    st.integers(min_value=1, max_value=2_000_000_000_000), min_size=1, max_size=400
)


def nearest_rank(values: list[int], p: float) -> int:
    """LoadGen's percentile: element floor(n * p) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)]


def test_buckets_are_one_percent_wide_from_1us_to_1000s() -> None:
    h = LatencyHistogram()
    assert h.growth == pytest.approx(1.01)
    low, high = h.bucket_bounds(h.buckets - 1)
    assert high >= 1e12 > low  # 1000 s
    assert h.bucket_index(1_000) == 0
    assert h.bucket_index(10**13) == h.buckets - 1  # beyond the range: the last bucket
    assert h.bucket_index(1) == 0
    assert DEFAULT_BUCKETS == h.buckets < 2100


@given(st.integers(min_value=1_001, max_value=10**12))
def test_a_latency_falls_inside_its_bucket(ns: int) -> None:
    h = LatencyHistogram()
    low, high = h.bucket_bounds(h.bucket_index(ns))
    assert low * (1 - 1e-9) <= ns < high * (1 + 1e-9)


@settings(max_examples=200)
@given(latencies, st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]))
def test_percentile_is_within_one_bucket_of_the_exact_one(values: list[int], p: float) -> None:
    h = LatencyHistogram()
    h.add_many(values)
    exact = nearest_rank(values, p)
    got = h.percentile(p)
    assert got is not None
    assert abs(h.bucket_index(got) - h.bucket_index(exact)) <= 1
    # inside the range the error is at most half a bucket; outside, min/max are exact
    if 1_000 < exact < 1e12:
        assert abs(math.log(got / exact)) <= math.log(h.growth) + 1e-9


@given(latencies)
def test_memory_does_not_grow_and_counts_add_up(values: list[int]) -> None:
    h = LatencyHistogram()
    h.add_many(values)
    snap = h.snapshot()
    assert sum(n for _, n in snap["counts"]) == h.count == len(values)
    assert len(snap["counts"]) <= h.buckets
    assert h.min_ns_seen == min(values) and h.max_ns_seen == max(values)
    assert h.mean_ns == pytest.approx(sum(values) / len(values))


in_range = st.lists(
    st.integers(min_value=1_000, max_value=900_000_000_000), min_size=1, max_size=400
)


@given(in_range, st.sampled_from([0.5, 0.9, 0.99]))
def test_snapshot_percentile_matches_the_histogram(values: list[int], p: float) -> None:
    h = LatencyHistogram()
    h.add_many(values)
    snap = h.snapshot()
    from_snap = snapshot_percentile(snap, p)
    ours = h.percentile(p)
    assert from_snap is not None and ours is not None
    assert abs(snapshot_bucket_index(snap, from_snap) - snapshot_bucket_index(snap, ours)) <= 1


def test_summary_equals_separate_calls() -> None:
    h = LatencyHistogram()
    h.add_many(range(1_000, 1_000_000, 997))
    values, snap = h.summary((0.5, 0.9, 0.99))
    assert values == {p: h.percentile(p) for p in (0.5, 0.9, 0.99)}
    assert snap == h.snapshot()


def test_batch_add_counts_every_sample() -> None:
    h = LatencyHistogram()
    h.add(5_000_000, n=32)
    h.add(7_000_000, n=0)
    assert h.count == 32
    assert h.percentile(0.99) == pytest.approx(5_000_000, rel=0.01)


def test_empty_histogram_has_no_percentiles() -> None:
    h = LatencyHistogram()
    assert h.percentile(0.9) is None
    assert h.mean_ns is None
    assert h.snapshot()["counts"] == []
    with pytest.raises(ValueError):
        h.percentile(1.5)
    with pytest.raises(ValueError):
        LatencyHistogram(growth=1.0)


def test_concurrent_adds_are_not_lost() -> None:
    h = LatencyHistogram()

    def work(offset: int) -> None:
        for i in range(5_000):
            h.add(10_000 + offset + i)

    threads = [threading.Thread(target=work, args=(k * 10_000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert h.count == 20_000
    assert sum(n for _, n in h.snapshot()["counts"]) == 20_000
