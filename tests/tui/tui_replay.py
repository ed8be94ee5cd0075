"""The recorded event stream the monitor tests replay, and the limits it is judged by."""

from __future__ import annotations

from pathlib import Path

from mlperf_tui import rules
from mlperf_tui.tui.monitor_model import RunLimits

EVENTS = Path(__file__).parent / "fixtures" / "events.jsonl"
PLAN = [
    ("SingleStream-performance", "SingleStream-performance"),
    ("Offline-performance", "Offline-performance"),
    ("Offline-accuracy", "Offline-accuracy"),
]


def valid_limits() -> dict[str, RunLimits]:
    r = rules.get_round()
    bench = rules.get_benchmark("resnet50")
    return {
        "SingleStream-performance": RunLimits(
            "SingleStream", "performance", r.min_duration_ms / 1e3,
            min_queries=bench.min_queries[rules.model.Scenario.SINGLE_STREAM],
        ),
        "Offline-performance": RunLimits(
            "Offline", "performance", r.min_duration_ms / 1e3, offline_min_samples=r.offline_min_samples
        ),
        "Offline-accuracy": RunLimits("Offline", "accuracy", estimate_s=10.0),
    }  # fmt: skip
