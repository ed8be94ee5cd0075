"""The comparison's plots as terminal text, drawn with plotext.

Three per scenario (``mlperf_tui.compare.PLOT_KINDS``): the metric against the swept parameter
(one line with markers per combination of the other differing settings), the entries' latency
histograms overlaid in shared log-spaced bins (each as a share of its samples, so a long run
does not dwarf a short one), and each entry's throughput over time. Each function returns the
plot as a string of ``width`` x ``height`` characters, or None when there is nothing to draw
(:func:`mlperf_tui.compare.why_no_plot` says why).

The text is plain unless ``color`` is asked for: the caller knows whether its output is a
terminal. Without colour every series still has a marker of its own (``•``, ``+``, ``x``,
...), which the legend shows. plotext keeps its figure in module globals, so every drawing
holds one lock: two threads (a TUI worker and the main thread) never mix their figures.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from mlperf_tui.compare import (
    CompareEntry,
    Comparison,
    histogram_edges,
    histogram_shares,
    metric_axis,
    ms_text,
    short_key,
    throughput_curve,
    why_no_plot,
)

__all__ = [
    "MARKERS",
    "PALETTE",
    "histogram_plot",
    "log_ticks",
    "log_x",
    "metric_plot",
    "nice_ticks",
    "series_style",
    "throughput_plot",
    "tick_text",
]

#: one colour per series (RGB), in order; the HTML report uses the same ones
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (23, 190, 207),
)
#: one marker per series, in order: series stay apart without colour
MARKERS: tuple[str, ...] = ("•", "+", "x", "o", "*", "#", "@", "%")

_LOCK = threading.Lock()
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def series_style(index: int) -> tuple[str, tuple[int, int, int]]:
    """The marker and colour of the ``index``-th series."""
    return MARKERS[index % len(MARKERS)], PALETTE[index % len(PALETTE)]


def _legend(labels: Sequence[str], width: int, color: bool) -> list[str]:
    """The legend under a plot: each series' marker (in its colour) and label, as many to a
    line as fit."""
    lines: list[str] = []
    line, used = "", 0
    for i, label in enumerate(labels):
        marker, (r, g, b) = series_style(i)
        mark = f"\x1b[38;2;{r};{g};{b}m{marker * 2}\x1b[0m" if color else marker * 2
        item = f"{mark} {label}"
        size = 3 + len(label)
        if used and used + 3 + size > width:
            lines.append(line)
            line, used = "", 0
        line += ("   " if used else "") + item
        used += (3 if used else 0) + size
    if line:
        lines.append(line)
    return lines


def _draw(
    width: int,
    height: int,
    color: bool,
    labels: Sequence[str],
    draw: Callable[[Any], None],
) -> str:
    """Run ``draw(plt)`` on a fresh plotext figure of ``width`` x ``height``; the built text
    with the legend of ``labels`` under it."""
    import plotext as plt

    with _LOCK:
        plt.clear_figure()
        plt.plotsize(max(20, width), max(8, height))
        plt.theme("clear")  # no background of its own; the series keep their colours
        draw(plt)
        text = str(plt.build())
        plt.clear_figure()
    if not color:
        text = _ANSI.sub("", text)
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join([*lines, *_legend(labels, width, color)])


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round ticks (steps of 1, 2, 2.5 or 5 x 10^n) from at or below ``low`` to at or above
    ``high``."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    value = math.floor(low / step + 1e-9) * step
    ticks = []
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def tick_text(value: float) -> str:
    """A tick's label: 0, 2.5, 40, 6,000."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return f"{value:.3g}"


def _y_axis(plt: Any, values: Sequence[float]) -> None:
    """A y axis from 0 (all our figures are rates, shares or latencies) with round ticks."""
    ticks = nice_ticks(0.0, max(values) if values and max(values) > 0 else 1.0)
    plt.ylim(ticks[0], ticks[-1])
    plt.yticks(ticks, [tick_text(t) for t in ticks])


def log_x(values: Sequence[float]) -> bool:
    """Whether the swept values spread enough to plot on a log axis (1, 8, 32 apart)."""
    return bool(values) and min(values) > 0 and max(values) / min(values) >= 8


def metric_plot(
    comparison: Comparison, scenario: str, width: int, height: int, *, color: bool = False
) -> str | None:
    """The scenario's metric against the swept parameter; None when
    :func:`~mlperf_tui.compare.why_no_plot` has a reason (no numeric setting varies, no line
    would have two points, no entry has a metric)."""
    if why_no_plot(comparison, scenario, "metric") is not None:
        return None
    x_key, series = comparison.metric_series(scenario)
    assert x_key is not None
    xs = sorted({x for s in series for x, _ in s.points})
    ys = [y for s in series for _, y in s.points]
    unit = metric_axis(comparison.for_scenario(scenario))

    log = log_x(xs)

    def at(x: float) -> float:
        return math.log10(x) if log else x

    def draw(plt: Any) -> None:
        for i, s in enumerate(series):
            marker, rgb = series_style(i)
            plt.plot(
                [at(x) for x, _ in s.points], [y for _, y in s.points], marker=marker, color=rgb
            )
        plt.title(f"{scenario}: {unit} by {short_key(x_key)}")
        plt.xlabel(short_key(x_key) + (" (log scale)" if log else ""))
        plt.ylabel(unit)
        plt.xticks([at(x) for x in xs], [tick_text(x) for x in xs])
        _y_axis(plt, ys)

    return _draw(width, height, color, [s.label or unit for s in series], draw)


def _with_histogram(entries: Sequence[CompareEntry]) -> list[tuple[int, CompareEntry]]:
    return [(i, e) for i, e in enumerate(entries) if e.histogram is not None]


def histogram_plot(
    comparison: Comparison,
    scenario: str,
    width: int,
    height: int,
    *,
    color: bool = False,
    bins: int | None = None,
) -> str | None:
    """The scenario's latency histograms overlaid: one line per entry, the share of its
    samples in each shared log-spaced bin (ms); None when no entry has a histogram."""
    entries = comparison.for_scenario(scenario)
    drawn = _with_histogram(entries)
    if not drawn:
        return None
    edges = histogram_edges([e for _, e in drawn], bins or max(10, min(60, (width - 12) // 2)))
    centres = [math.log10(math.sqrt(a * b)) for a, b in itertools.pairwise(edges)]
    shares = {i: histogram_shares(e, edges) for i, e in drawn}
    top = max(max(v) for v in shares.values())
    ticks = log_ticks(edges[0], edges[-1])

    def draw(plt: Any) -> None:
        for i, _ in drawn:
            marker, rgb = series_style(i)
            lo, hi = _span(shares[i])
            plt.plot(centres[lo:hi], shares[i][lo:hi], marker=marker, color=rgb)
        plt.title(f"{scenario}: latency histograms")
        plt.xlabel("latency (ms, log scale)")
        plt.ylabel("% of samples")
        plt.xticks([math.log10(t) for t in ticks], [ms_text(t) for t in ticks])
        plt.xlim(math.log10(edges[0]), math.log10(edges[-1]))
        _y_axis(plt, [top])

    return _draw(width, height, color, [e.label for _, e in drawn], draw)


def _span(values: Sequence[float]) -> tuple[int, int]:
    """The slice of ``values`` from one bin before the first non-zero one to one after the
    last: a line does not run along the floor across the bins of the other entries."""
    nonzero = [i for i, v in enumerate(values) if v > 0]
    if not nonzero:
        return 0, len(values)
    return max(0, nonzero[0] - 1), min(len(values), nonzero[-1] + 2)


def log_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values (1, 2, 5 x 10^n) between ``low`` and ``high``, at most ``most``."""
    ticks: list[float] = []
    for steps in ((1.0,), (1.0, 5.0), (1.0, 2.0, 5.0)):
        found = [
            m * 10.0**p
            for p in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
            for m in steps
            if low <= m * 10.0**p <= high
        ]
        if len(found) > most:
            break
        ticks = found
    if len(ticks) < 2:  # a narrow range: its ends and middle
        ticks = [low, math.sqrt(low * high), high]
    return ticks


def throughput_plot(
    comparison: Comparison, scenario: str, width: int, height: int, *, color: bool = False
) -> str | None:
    """Each entry's throughput (samples/s so far) against the seconds since its start;
    None when no entry has a curve."""
    entries = comparison.for_scenario(scenario)
    curves = [(i, e, throughput_curve(e)) for i, e in enumerate(entries) if e.throughput]
    if not curves:
        return None
    ys = [y for _, _, c in curves for _, y in c]

    def draw(plt: Any) -> None:
        for i, _, curve in curves:
            marker, rgb = series_style(i)
            plt.plot([x for x, _ in curve], [y for _, y in curve], marker=marker, color=rgb)
        plt.title(f"{scenario}: throughput over time")
        plt.xlabel("seconds since the start")
        plt.ylabel("samples/s")
        xs = nice_ticks(0.0, max(x for _, _, c in curves for x, _ in c))
        plt.xlim(xs[0], xs[-1])
        plt.xticks(xs, [tick_text(x) for x in xs])
        _y_axis(plt, ys)

    return _draw(width, height, color, [e.label for _, e, _ in curves], draw)
