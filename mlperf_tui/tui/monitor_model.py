"""What the run monitor shows, computed from harness events (no Textual here).

The monitor screen feeds every event of the runner into :class:`MonitorState` and, on a timer,
asks it for plain data (progress, histogram columns, percentiles, forecast lines) that dumb
widgets draw. The limits and the validity forecast are the core's (``mlperf_tui.run.forecast``),
which the headless display shows too.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlperf_tui.run.forecast import RunLimits, forecast

__all__ = ["HistogramView", "MonitorState", "RunLimits", "rebin"]

#: how many throughput points the sparkline keeps
THROUGHPUT_POINTS = 120
#: how many harness log lines the monitor keeps
LOG_LINES = 200
#: how many power readings the monitor keeps (the analyser reports about one a second)
POWER_POINTS = 120


@dataclass(frozen=True)
class HistogramView:
    """A latency histogram rebinned into ``len(heights)`` columns between lo_ns and hi_ns."""

    heights: tuple[float, ...]  # 0..1, relative to the tallest column
    lo_ns: float
    hi_ns: float
    total: int
    #: column index of each marker: "p50", "p90", "p99", "bound"
    markers: Mapping[str, int]


@dataclass
class PlanItem:
    run_id: str
    label: str
    state: str = "waiting"  # waiting | running | ok | invalid | failed | cancelled
    detail: str = ""


@dataclass
class CurrentRun:
    run_id: str = ""
    phase: str = ""
    phase_message: str = ""
    issued: int = 0
    completed: int = 0
    elapsed_s: float = 0.0
    throughput: float = 0.0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    histogram: Mapping[str, Any] | None = None
    #: an LLM run through an engine: the SUT's token latencies and load (progress events'
    #: ``endpoint`` object); None when the run has none
    ttft_p99_ms: float | None = None
    tpot_p99_ms: float | None = None
    tokens_per_s: float | None = None
    in_flight: int | None = None
    throughput_history: deque[float] = field(
        default_factory=lambda: deque(maxlen=THROUGHPUT_POINTS)
    )
    #: power measurement (the runner's ``power`` events, from PTDaemon's log): the latest
    #: reading, the last few, and the run's sum and count for its average; None: no readings
    watts: float | None = None
    watts_history: deque[float] = field(default_factory=lambda: deque(maxlen=POWER_POINTS))
    watts_sum: float = 0.0
    watts_count: int = 0

    @property
    def watts_avg(self) -> float | None:
        return self.watts_sum / self.watts_count if self.watts_count else None


class MonitorState:
    """Plan, the current run and the log tail, updated event by event."""

    def __init__(self, plan: Sequence[tuple[str, str]], limits: Mapping[str, RunLimits]) -> None:
        self.plan = [PlanItem(run_id, label) for run_id, label in plan]
        self.limits = dict(limits)
        self.current = CurrentRun()
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self.finished = False
        self.version = 0  # bumped on every change, so a timer redraws only when needed
        self.log_count = 0  # lines ever logged (the deque keeps the last LOG_LINES)

    def _log(self, line: str) -> None:
        self.log.append(line)
        self.log_count += 1

    def _item(self, run_id: str) -> PlanItem | None:
        for item in self.plan:
            if item.run_id == run_id:
                return item
        return None

    def feed(self, run_id: str, event: Mapping[str, Any]) -> None:
        """Take one harness event (the events contract) of run ``run_id``."""
        self.version += 1
        name = event.get("event")
        item = self._item(run_id)
        if name == "limits":  # the source re-planned (e.g. after timing the model)
            self.limits.update(event.get("limits", {}))
            return
        if name == "start":
            self.current = CurrentRun(run_id=run_id)
            if item is not None:
                item.state = "running"
            self._log(f"[{run_id}] start {event.get('scenario')} {event.get('mode')}")
        elif name == "phase":
            if run_id != self.current.run_id:
                self.current = CurrentRun(run_id=run_id)
            self.current.phase = str(event.get("phase", ""))
            self.current.phase_message = str(event.get("message", ""))
            if item is not None and item.state == "waiting":
                item.state = "running"
            self._log(f"[{run_id}] {self.current.phase}: {self.current.phase_message}")
        elif name == "progress":
            cur = self.current
            if run_id != cur.run_id:
                cur = self.current = CurrentRun(run_id=run_id)
            cur.issued = int(event.get("issued", 0))
            cur.completed = int(event.get("completed", 0))
            cur.elapsed_s = float(event.get("elapsed_s", 0.0))
            cur.throughput = float(event.get("throughput", 0.0))
            cur.p50_ms = _opt_float(event.get("p50_ms"))
            cur.p90_ms = _opt_float(event.get("p90_ms"))
            cur.p99_ms = _opt_float(event.get("p99_ms"))
            hist = event.get("histogram")
            cur.histogram = hist if isinstance(hist, Mapping) else None
            endpoint = event.get("endpoint")
            if isinstance(endpoint, Mapping):
                ttft, tpot = endpoint.get("ttft_ms"), endpoint.get("tpot_ms")
                cur.ttft_p99_ms = _opt_float(ttft.get("p99")) if isinstance(ttft, Mapping) else None
                cur.tpot_p99_ms = _opt_float(tpot.get("p99")) if isinstance(tpot, Mapping) else None
                cur.tokens_per_s = _opt_float(endpoint.get("tokens_per_s"))
                in_flight = endpoint.get("in_flight")
                cur.in_flight = in_flight if isinstance(in_flight, int) else None
            cur.throughput_history.append(cur.throughput)
        elif name == "power":
            watts = _opt_float(event.get("watts"), strict=False)
            if watts is None or not math.isfinite(watts) or watts < 0:
                return  # a reading that is not one (the log is being written) is skipped
            cur = self.current
            if run_id != cur.run_id:
                cur = self.current = CurrentRun(run_id=run_id)
            cur.watts = watts
            cur.watts_history.append(watts)
            cur.watts_sum += watts
            cur.watts_count += 1
        elif name == "result":
            status = str(event.get("status", "failed"))
            loadgen = event.get("loadgen") or {}
            valid = loadgen.get("result_valid") if isinstance(loadgen, Mapping) else None
            if item is not None:
                if status == "ok":
                    item.state = "invalid" if valid is False else "ok"
                else:
                    item.state = status if status in ("failed", "cancelled") else "failed"
                item.detail = _result_detail(event)
            self._log(f"[{run_id}] result {status}: {event.get('message', '')}".rstrip(": "))
        elif name == "error":
            if item is not None:
                item.state = "failed"
                item.detail = str(event.get("message", ""))
            self._log(f"[{run_id}] error: {event.get('message', '')}")
            if event.get("fix"):
                self._log(f"[{run_id}]   fix: {event['fix']}")
        elif name in ("log", "text"):  # "text": a harness stdout line that is not an event
            self._log(f"[{run_id}] {event.get('line', event.get('text', ''))}")

    def add_log(self, line: str) -> None:
        self.version += 1
        self._log(line)

    def mark_finished(self) -> None:
        self.version += 1
        self.finished = True
        for item in self.plan:
            if item.state == "running":
                item.state = "cancelled"

    # --- what the widgets draw ---------------------------------------------------------------

    def progress(self) -> tuple[float, float]:
        """(done, total) for the progress bar of the current run.

        Offline issues every sample at once, so completed/issued is exact; the other scenarios
        issue until both the minimum duration and the minimum query count are met, so the
        total is the larger of the two at the current pace; accuracy runs go by the estimate.
        """
        cur = self.current
        limits = self.limits.get(cur.run_id)
        if limits is None or (limits.scenario == "Offline" and cur.issued):
            return float(cur.completed), float(max(cur.issued, cur.completed, 1))
        if limits.mode == "performance":
            expected = max(
                cur.issued,
                limits.min_queries or 0,
                cur.throughput * (limits.min_duration_s or 0.0),
                1,
            )
            return float(min(cur.completed, expected)), float(expected)
        if limits.estimate_s:
            return min(cur.elapsed_s, limits.estimate_s * 0.99), float(limits.estimate_s)
        return float(cur.completed), float(max(cur.issued, cur.completed, 1))

    def remaining_s(self) -> float | None:
        """Seconds left in the current run at the current pace.

        A performance run lasts until both the minimum duration and the minimum query count
        are reached, and until what was issued is answered; an accuracy run goes by the plan.
        """
        cur = self.current
        limits = self.limits.get(cur.run_id)
        item = self._item(cur.run_id)
        if self.finished or (item is not None and item.state not in ("running", "waiting")):
            return 0.0
        left: list[float] = []
        if cur.throughput > 0 and cur.issued > cur.completed:
            left.append((cur.issued - cur.completed) / cur.throughput)
        if limits is not None:
            if limits.mode == "performance":
                if limits.min_duration_s is not None:
                    left.append(limits.min_duration_s - cur.elapsed_s)
                if limits.min_queries and cur.throughput > 0:
                    left.append((limits.min_queries - cur.completed) / cur.throughput)
            elif limits.estimate_s is not None:
                left.append(limits.estimate_s - cur.elapsed_s)
        return max(0.0, *left) if left else None

    def forecast(self) -> list[str]:
        """Plain-language warnings about the validity of the current run, empty when on track."""
        cur = self.current
        return forecast(
            self.limits.get(cur.run_id),
            elapsed_s=cur.elapsed_s,
            issued=cur.issued,
            throughput=cur.throughput,
            p99_ms=cur.p99_ms,
        )

    def token_line(self) -> str:
        """The current LLM run's token figures ("TTFT p99 ... TPOT p99 ..."), "" for others."""
        cur = self.current
        parts = [
            f"{name} p99 {value:.2f} ms"
            for name, value in (("TTFT", cur.ttft_p99_ms), ("TPOT", cur.tpot_p99_ms))
            if value is not None
        ]
        if cur.tokens_per_s is not None:
            parts.append(f"{cur.tokens_per_s:,.0f} tokens/s")
        if cur.in_flight is not None:
            parts.append(f"{cur.in_flight} in flight")
        return "  ".join(parts)

    def power_line(self) -> str:
        """The current run's power ("Power: 101.3 W (avg 100.8 W)"), "" without readings."""
        cur = self.current
        if cur.watts is None:
            return ""
        avg = cur.watts_avg
        return f"Power: {cur.watts:,.1f} W" + (f" (avg {avg:,.1f} W)" if avg is not None else "")

    def histogram_view(self, columns: int) -> HistogramView | None:
        cur = self.current
        hist = cur.histogram
        limits = self.limits.get(cur.run_id)
        bound = limits.latency_bound_ns if limits else None
        if not hist or columns <= 0:
            return None
        pct = {"p50": cur.p50_ms, "p90": cur.p90_ms, "p99": cur.p99_ms}
        return rebin(hist, columns, pct, bound)


def rebin(
    hist: Mapping[str, Any],
    columns: int,
    percentiles_ms: Mapping[str, float | None],
    bound_ns: int | None = None,
) -> HistogramView | None:
    """Rebin a sparse log-bucket histogram (events contract) into ``columns`` log-spaced columns.

    The range covers the filled buckets (and the bound when it is near), so the shape fills
    the width whatever the latencies are.
    """
    min_ns = float(hist.get("min_ns", 1.0))
    growth = float(hist.get("growth", 1.0))
    counts = [(int(i), int(n)) for i, n in hist.get("counts", []) if int(n) > 0]
    if not counts or growth <= 1.0 or min_ns <= 0:
        return None
    first = min(i for i, _ in counts)
    last = max(i for i, _ in counts)
    lo = min_ns * growth**first
    hi = min_ns * growth ** (last + 1)
    if bound_ns and lo < bound_ns <= hi * 4:
        hi = max(hi, bound_ns * 1.05)
    log_lo, log_hi = math.log(lo), math.log(hi)
    span = max(log_hi - log_lo, 1e-9)
    cols = [0.0] * columns

    def col_of(ns: float) -> int:
        c = int((math.log(max(ns, lo)) - log_lo) / span * columns)
        return min(max(c, 0), columns - 1)

    step = span / columns
    for i, n in counts:
        # spread each bucket over the columns it overlaps, so narrow ranges draw no gaps
        a = (math.log(min_ns * growth**i) - log_lo) / step
        b = (math.log(min_ns * growth ** (i + 1)) - log_lo) / step
        a, b = max(a, 0.0), min(b, float(columns))
        if b <= a:
            cols[col_of(min_ns * growth ** (i + 0.5))] += n
            continue
        for c in range(int(a), min(math.ceil(b), columns)):
            overlap = min(b, c + 1) - max(a, c)
            if overlap > 0:
                cols[c] += n * overlap / (b - a)
    top = max(cols) or 1.0
    markers: dict[str, int] = {}
    for name, ms in percentiles_ms.items():
        if ms is not None:
            markers[name] = col_of(ms * 1e6)
    if bound_ns:
        markers["bound"] = col_of(float(bound_ns))
    return HistogramView(
        heights=tuple(round(c / top, 6) for c in cols),
        lo_ns=lo,
        hi_ns=hi,
        total=sum(n for _, n in counts),
        markers=markers,
    )


def _opt_float(value: Any, *, strict: bool = True) -> float | None:
    """``value`` as a float (None stays None); not ``strict``: None for what is not a number."""
    if value is None:
        return None
    if strict:
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _result_detail(event: Mapping[str, Any]) -> str:
    loadgen = event.get("loadgen")
    parts: list[str] = []
    if isinstance(loadgen, Mapping) and loadgen.get("metric_value") is not None:
        unit = loadgen.get("metric_unit")
        parts.append(
            format_metric(
                str(loadgen.get("metric_name") or ""),
                float(loadgen["metric_value"]),
                None if unit is None else str(unit),
            )
        )
        if loadgen.get("result_valid") is False:
            parts.append("INVALID")
    accuracy = event.get("accuracy")
    if isinstance(accuracy, Mapping) and accuracy.get("value") is not None:
        parts.append(f"{accuracy.get('metric', 'acc')} {float(accuracy['value']):.3f}")
    if not parts and event.get("status") != "ok":
        parts.append(str(event.get("message", "")))
    return ", ".join(parts)


def format_metric(name: str, value: float, unit: str | None = None) -> str:
    """A LoadGen metric for people: nanosecond latencies in ms, names without underscores."""
    if name.endswith("_ns") or unit == "ns":  # LoadGen's latencies are in nanoseconds
        return f"{name.removesuffix('_ns').replace('_', ' ')}: {value / 1e6:.3g} ms"
    label = (name or "metric").replace("_", " ")
    if unit and label.endswith("per second"):  # the unit says it: "812.5 samples/s"
        return f"{value:,.1f} {unit}"
    shown_unit = f" {unit}" if unit else ""
    return f"{label}: {value:.4g}{shown_unit}"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"
