"""The comparison as one self-contained HTML report.

One file that opens anywhere, also without a network: inline CSS, the plots as inline SVG
drawn here (no script, no font, no image or style sheet from elsewhere). It holds the table of
the runs side by side, per scenario the metric against the swept parameter, the latency
histograms overlaid (log-scaled ms axis) and the throughput over time, the placement among
the published results when a table was given, and where every run came from. Every text that
comes from a file or the user is escaped. The layout wraps: a phone's width scrolls the table
sideways and stacks the plots.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mlperf_tui.compare import (
    PLOT_KINDS,
    TABLE_HEADERS,
    Comparison,
    histogram_edges,
    histogram_shares,
    metric_axis,
    ms_text,
    short_key,
    table_rows,
    throughput_curve,
    why_no_plot,
)
from mlperf_tui.compare.plots import PALETTE, log_ticks, log_x, nice_ticks, tick_text
from mlperf_tui.compare.published import ordinal

if TYPE_CHECKING:
    from mlperf_tui.compare.published import Placement

__all__ = ["render_html"]

#: the drawing area of every plot (SVG user units; the SVG scales to its box)
_W, _H = 720, 380
_LEFT, _RIGHT, _TOP, _BOTTOM = 78, 20, 34, 58
_LEGEND_ROW = 20
#: published results listed under each placement, at most
_PUBLISHED_SHOWN = 10

_CSS = """
:root { color-scheme: light; --fg: #1d2433; --muted: #5b6475; --line: #d9dde5;
  --best: #e9f6ec; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px clamp(12px, 3vw, 40px); color: var(--fg); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 32px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
.meta, .why, figcaption, .note { color: var(--muted); }
.why { font-style: italic; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; white-space: nowrap; }
th { background: #f4f6f9; font-weight: 600; }
td.num { text-align: right; }
tr.best td { background: var(--best); font-weight: 600; }
tr.ours td { background: #fff4e0; font-weight: 600; }
.plots { display: grid; gap: 20px 24px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 520px), 1fr)); }
figure { margin: 0; min-width: 0; }
svg { width: 100%; height: auto; display: block; background: #fff; }
svg text { font: 14px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  fill: #1d2433; }
svg .title { font-size: 16px; font-weight: 600; }
svg .grid { stroke: #e6e9ef; stroke-width: 1; }
svg .axis { stroke: #5b6475; stroke-width: 1; }
ul.sources { padding-left: 20px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em;
  word-break: break-all; }
@media (max-width: 600px) { body { font-size: 14px; } th, td { padding: 3px 6px; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _color(index: int) -> str:
    return _hex(PALETTE[index % len(PALETTE)])


@dataclass(frozen=True)
class _Line:
    label: str
    points: tuple[tuple[float, float], ...]
    color: str
    #: draw a dot at each point (the metric plot's measured points)
    dots: bool = False
    #: a histogram's steps, with a light fill under them
    steps: bool = False


def _chart(
    title: str,
    lines: Sequence[_Line],
    x_label: str,
    y_label: str,
    *,
    x_log: bool = False,
    x_ticks: Sequence[float] | None = None,
    x_tick_text: Sequence[str] | None = None,
    kind: str,
) -> str:
    """One plot as an inline SVG: title, grid, axes with ticks and labels, the lines, a
    legend under the axis."""
    legend_rows = len(lines)
    height = _H + legend_rows * _LEGEND_ROW
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    xs = [x for line in lines for x, _ in line.points]
    ys = [y for line in lines for _, y in line.points]

    def fx(v: float) -> float:
        return math.log10(v) if x_log else v

    ticks = list(x_ticks) if x_ticks is not None else nice_ticks(min(xs), max(xs))
    labels = list(x_tick_text) if x_tick_text is not None else [tick_text(t) for t in ticks]
    # the axis spans the data and the ticks (a throughput axis starts at 0 s)
    x_low, x_high = fx(min([*xs, *ticks])), fx(max([*xs, *ticks]))
    if x_high == x_low:
        x_low, x_high = x_low - 1, x_high + 1
    y_ticks = nice_ticks(0.0, max(ys) if ys and max(ys) > 0 else 1.0)
    y_high = y_ticks[-1]

    def px(v: float) -> float:
        return _LEFT + (fx(v) - x_low) / (x_high - x_low) * plot_w

    def py(v: float) -> float:
        return _TOP + plot_h - (v / y_high) * plot_h

    out = [
        f'<svg viewBox="0 0 {_W} {height}" role="img" '
        f'class="plot plot-{_e(kind)}" aria-label="{_e(title)}">',
        f'<text class="title" x="{_W / 2:.0f}" y="20" text-anchor="middle">{_e(title)}</text>',
    ]
    for t in y_ticks:
        y = py(t)
        out.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(tick_text(t))}</text>'
        )
    for t, text in zip(ticks, labels, strict=True):
        if not (x_low - 1e-9 <= fx(t) <= x_high + 1e-9):
            continue
        x = px(t)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_TOP + plot_h}"/>'
            f'<text x="{x:.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">{_e(text)}</text>'
        )
    out.append(
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" '
        f'y2="{_TOP + plot_h}"/><line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" '
        f'y2="{_TOP + plot_h}"/>'
        f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_TOP + plot_h + 38}" text-anchor="middle">'
        f"{_e(x_label)}</text>"
        f'<text x="16" y="{_TOP + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + plot_h / 2:.0f})">{_e(y_label)}</text>'
    )
    for line in lines:
        if not line.points:
            continue
        if line.steps:
            out.append(_steps(line, px, py, _TOP + plot_h))
            continue
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line.points)
        out.append(
            f'<polyline class="series" points="{path}" fill="none" stroke="{line.color}" '
            f'stroke-width="2.5" stroke-linejoin="round"><title>{_e(line.label)}</title>'
            "</polyline>"
        )
        if line.dots:
            for x, y in line.points:
                out.append(
                    f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4.5" fill="{line.color}" '
                    f'stroke="#fff" stroke-width="1.5"><title>{_e(line.label)}: '
                    f"{_e(tick_text(x))}, {_e(tick_text(y))}</title></circle>"
                )
    for i, line in enumerate(lines):
        y = _H + i * _LEGEND_ROW - 6
        out.append(
            f'<rect x="{_LEFT}" y="{y - 9}" width="18" height="10" fill="{line.color}"/>'
            f'<text class="legend" x="{_LEFT + 26}" y="{y}">{_e(line.label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _steps(
    line: _Line, px: Callable[[float], float], py: Callable[[float], float], floor: float
) -> str:
    """A histogram's outline as steps over its bins (points: (low edge, share) per bin, the
    last point the high edge), filled lightly."""
    pts = line.points
    d = [f"M{px(pts[0][0]):.1f},{floor:.1f}"]
    for (x0, share), (x1, _) in itertools.pairwise(pts):
        y = py(share)
        d.append(f"L{px(x0):.1f},{y:.1f}L{px(x1):.1f},{y:.1f}")
    d.append(f"L{px(pts[-1][0]):.1f},{floor:.1f}Z")
    return (
        f'<path class="series" d="{"".join(d)}" fill="{line.color}" fill-opacity="0.12" '
        f'stroke="{line.color}" stroke-width="2"><title>{_e(line.label)}</title></path>'
    )


def _metric_svg(comparison: Comparison, scenario: str) -> str:
    x_key, series = comparison.metric_series(scenario)
    assert x_key is not None
    unit = metric_axis(comparison.for_scenario(scenario))
    xs = sorted({x for s in series for x, _ in s.points})
    log = log_x(xs)
    lines = [_Line(s.label or unit, s.points, _color(i), dots=True) for i, s in enumerate(series)]
    name = short_key(x_key)
    return _chart(
        f"{scenario}: {unit} by {name}",
        lines,
        f"{name} ({x_key}){', log scale' if log else ''}",
        unit,
        x_log=log,
        x_ticks=xs,
        x_tick_text=[tick_text(x) for x in xs],
        kind="metric",
    )


def _histogram_svg(comparison: Comparison, scenario: str) -> str:
    entries = comparison.for_scenario(scenario)
    drawn = [(i, e) for i, e in enumerate(entries) if e.histogram is not None]
    edges = histogram_edges([e for _, e in drawn])
    lines = []
    for i, entry in drawn:
        shares = histogram_shares(entry, edges)
        nonzero = [k for k, v in enumerate(shares) if v > 0]
        lo, hi = (nonzero[0], nonzero[-1] + 1) if nonzero else (0, len(shares))
        points = [(edges[k], shares[k]) for k in range(lo, hi)] + [(edges[hi], 0.0)]
        lines.append(_Line(entry.label, tuple(points), _color(i), steps=True))
    ticks = log_ticks(edges[0], edges[-1])
    return _chart(
        f"{scenario}: latency histograms",
        lines,
        "latency (ms, log scale)",
        "% of samples",
        x_log=True,
        x_ticks=ticks,
        x_tick_text=[ms_text(t) for t in ticks],
        kind="histogram",
    )


def _throughput_svg(comparison: Comparison, scenario: str) -> str:
    entries = comparison.for_scenario(scenario)
    lines = [
        _Line(e.label, throughput_curve(e), _color(i))
        for i, e in enumerate(entries)
        if e.throughput
    ]
    return _chart(
        f"{scenario}: throughput over time",
        lines,
        "seconds since the start",
        "samples/s",
        x_ticks=nice_ticks(0.0, max(x for line in lines for x, _ in line.points)),
        kind="throughput",
    )


_DRAW = {"metric": _metric_svg, "histogram": _histogram_svg, "throughput": _throughput_svg}
_CAPTIONS = {
    "metric": "The metric of each run against the swept parameter; one line per combination "
    "of the other settings that differ.",
    "histogram": "Each run's latency histogram (its last progress snapshot) as a share of its "
    "samples, in shared log-spaced bins.",
    "throughput": "Completed samples per second so far, against the time since the run started.",
}


def _table(comparison: Comparison) -> str:
    rows = table_rows(comparison)
    show_settings = any(r.settings for r in rows)
    headers = [h for h in TABLE_HEADERS if h != "settings" or show_settings]
    numeric = {"metric", "p50 ms", "p90 ms", "p99 ms"}
    out = ['<div class="scroll"><table class="runs"><thead><tr>']
    out += [f"<th>{_e(h)}</th>" for h in headers]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = dict(zip(TABLE_HEADERS, row.cells(), strict=True))
        out.append(f'<tr class="{"best" if row.best else ""}">')
        for h in headers:
            text = cells[h] + (" ★ best" if h == "run" and row.best else "")
            out.append(f'<td class="{"num" if h in numeric else ""}">{_e(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _placements(placements: Sequence[Placement]) -> str:
    """Each entry's placement as a line, then one table per benchmark, scenario and unit:
    the best published results with the user's runs among them."""
    out = ['<h2>Among the published results</h2><ul class="placements">']
    for p in placements:
        out.append(
            f"<li><strong>{_e(p.entry.label)}</strong> ({_e(p.entry.scenario)}): "
            f"{_e(p.text())}</li>"
        )
    out.append("</ul>")
    groups: dict[tuple[str, str, str], list[Placement]] = {}
    for p in placements:
        if p.rank is not None and p.units:
            groups.setdefault((p.benchmark, p.scenario, p.units), []).append(p)
    for (benchmark, scenario, units), members in groups.items():
        first = members[0]
        lower = first.lower_is_better
        rows: list[tuple[float, int, str]] = []
        for index, r in enumerate(first.results[:_PUBLISHED_SHOWN]):
            rows.append(
                (
                    r.value,
                    1,
                    f"<tr><td>{index + 1}</td><td>{_e(r.organization)}</td><td>{_e(r.system)}"
                    f'</td><td>{_e(r.division)}</td><td class="num">'
                    f"{_e(first.value_text(r.value))}</td></tr>",
                )
            )
        for p in members:
            value = p.value or 0.0
            rows.append(
                (
                    value,
                    2,  # after the published results of the same value, as the rank counts
                    f'<tr class="ours"><td>{_e(ordinal(p.rank or 0))}</td>'
                    f'<td colspan="3">this run: {_e(p.entry.label)}</td>'
                    f'<td class="num">{_e(p.value_text(value))}</td></tr>',
                )
            )
        rows.sort(key=lambda row: (row[0] if lower else -row[0], row[1]))
        more = len(first.results) - _PUBLISHED_SHOWN
        out.append(
            f"<h3>{_e(scenario)} {_e(benchmark)} ({_e(units)}): {len(first.results)} "
            'published results</h3><div class="scroll"><table class="published"><thead><tr>'
            "<th>#</th><th>organization</th><th>system</th><th>division</th><th>result</th>"
            "</tr></thead><tbody>"
            + "".join(row[2] for row in rows)
            + (
                f'<tr><td colspan="5" class="note">and {more} more published results</td></tr>'
                if more > 0
                else ""
            )
            + "</tbody></table></div>"
        )
    return "".join(out)


def render_html(
    comparison: Comparison,
    *,
    published: Sequence[Placement] | None = None,
    title: str = "MLPerf Inference runs compared",
    generated_at: datetime | None = None,
) -> str:
    """The report (see the module docstring) as one HTML document."""
    from mlperf_tui import __version__

    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M %Z").strip()
    benchmarks = ", ".join(dict.fromkeys(e.benchmark for e in comparison.entries))
    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{len(comparison.entries)} runs of {_e(benchmarks)}; '
        f"generated {_e(when)} by mlperf-tui {_e(__version__)}</p>",
        "<h2>The runs side by side</h2>",
        _table(comparison),
    ]
    if comparison.differing:
        body.append(
            '<p class="note">Settings that differ: '
            + ", ".join(f"<code>{_e(k)}</code>" for k in comparison.differing)
            + ("; swept: " + ", ".join(f"<code>{_e(k)}</code>" for k in comparison.swept))
            + ". ★ marks the best metric of each scenario.</p>"
        )
    for scenario in comparison.scenarios:
        body.append(f'<h2>{_e(scenario)}</h2><div class="plots">')
        for kind in PLOT_KINDS:
            why = why_no_plot(comparison, scenario, kind)
            if why is not None:
                body.append(f'<p class="why">{_e(why)}</p>')
                continue
            body.append(
                f"<figure>{_DRAW[kind](comparison, scenario)}"
                f"<figcaption>{_e(_CAPTIONS[kind])}</figcaption></figure>"
            )
        body.append("</div>")
    if published is not None:
        body.append(_placements(published))
    body.append('<h2>Sources</h2><ul class="sources">')
    for entry in comparison.entries:
        body.append(
            f"<li>{_e(entry.label)} ({_e(entry.scenario)}): <code>{_e(entry.results_folder)}"
            f"</code>{' from ' + _e(entry.source) if entry.source.startswith('#') else ''}</li>"
        )
    body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
