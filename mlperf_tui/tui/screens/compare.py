"""Runs side by side: a table of the compared entries and three plots in the terminal.

The table shows each entry's metric, LoadGen's latency percentiles, validity and accuracy, and
the settings that differ (those the labels do not already say); the best entry of each scenario
is starred. Under it, one plot at a time (``1``, ``2``, ``3``): the metric against the swept
parameter, the latency histograms overlaid on shared log-spaced bins, and the throughput over
time. ``s`` picks the scenario the plots show when the entries hold more than one; Enter on a
row picks that entry out in the plots. A plot that cannot be drawn says why.

Everything shown comes from :class:`mlperf_tui.compare.Comparison` and the helpers the text
plots and the HTML report share (``table_rows``, ``why_no_plot``, ``histogram_edges``,
``throughput_curve``; the colours and ticks of ``mlperf_tui.compare.plots``), so the three
front ends agree; this module only lays them out and draws them with textual-plotext.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from mlperf_tui.compare import (
    HISTOGRAM_BINS,
    TABLE_PERCENTILES,
    CompareEntry,
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

#: the plots, in the order of their keys (1, 2, 3): (pane id, tab title, the model's kind)
PLOTS: tuple[tuple[str, str, str], ...] = (
    ("metric", "Metric (1)", "metric"),
    ("latency", "Latency (2)", "histogram"),
    ("throughput", "Throughput (3)", "throughput"),
)
BEST = "★"
RGB = tuple[int, int, int]
#: the colour of the other entries while one row is picked out, and of the picked-out point
#: (the entries' own colours are those of the text plots and the HTML report)
DIMMED: RGB = (110, 110, 110)
PICKED: RGB = (213, 94, 0)
#: the marker of the lines: braille dots, the finest the terminal has
MARKER = "braille"
#: the most tick labels an axis gets: plotext drops labels that crowd each other, and which
#: ones it drops depends on the interpreter's hash seed (the same screen would differ per run)
MAX_TICKS = 4


def thinned(values: Sequence[float]) -> list[float]:
    """Every n-th value, so that at most MAX_TICKS remain."""
    step = math.ceil(len(values) / MAX_TICKS)
    return list(values[::step])


def trimmed(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """The points from the first to the last non-zero y: an entry's line spans its own
    latencies, not the shared axis (where the lines of all would lie on top of each other)."""
    nonzero = [i for i, y in enumerate(ys) if y > 0]
    if not nonzero:
        return [], []
    first, last = nonzero[0], nonzero[-1] + 1
    return list(xs[first:last]), list(ys[first:last])


def missing_events_reason(entry: CompareEntry) -> str:
    """Why an entry has no histogram or throughput curve, in plain words."""
    if entry.run_folder is None:
        return "it has no performance run"
    if entry.status != "ok":
        return "its performance run did not finish"
    from mlperf_tui.results import IMPORT_RECORD

    if (entry.run_folder / IMPORT_RECORD).is_file():
        return "imported logs have no event stream"
    return "its run streamed no progress (events.jsonl)"


class CompareScreen(Screen[None]):
    """The entries of ``comparison`` side by side, and their plots."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_plot('metric')", "Metric"),
        Binding("2", "show_plot('latency')", "Latency"),
        Binding("3", "show_plot('throughput')", "Throughput"),
        Binding("s", "next_scenario", "Scenario"),
        Binding("escape", "leave", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]
    #: under 30 rows the table and the plot share the height (app.tcss: ``.-short``)
    # Textual declares it `ClassVar[...] | None`, which mypy reads as an instance variable
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012

    def __init__(self, comparison: Comparison) -> None:
        super().__init__()
        self.comparison = comparison
        self.scenario = comparison.scenarios[0]
        #: the entry picked out in the plots (Enter on its row), if any
        self.selected: CompareEntry | None = None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        entries = self.comparison.entries
        benchmarks = ", ".join(dict.fromkeys(e.benchmark for e in entries))
        yield Static(
            f"Compare · {len(entries)} run(s) of {benchmarks}", classes="screen-title", markup=False
        )
        yield Static("", id="compare-info", markup=False)
        table: DataTable[str | Text] = DataTable(id="compare-table", cursor_type="row")
        yield table
        with TabbedContent(id="compare-plots"):
            for pane_id, title, _ in PLOTS:
                with TabPane(title, id=pane_id):
                    yield Static("", id=f"{pane_id}-note", classes="plot-note", markup=False)
                    with Horizontal(id=f"{pane_id}-row", classes="plot-row"):
                        yield PlotextPlot(id=f"{pane_id}-plot")
                        # beside the plot, not in it: plotext's legend hides the data under it
                        yield Static("", id=f"{pane_id}-legend", classes="plot-legend")
        yield Footer()

    def on_mount(self) -> None:
        self.fill_table()
        self.redraw()
        self.query_one(DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The scenario key only where there is a choice."""
        if action == "next_scenario":
            return len(self.comparison.scenarios) > 1
        return True

    # --- the table ----------------------------------------------------------------------------

    def metric_unit(self) -> str | None:
        """The one unit every entry's metric is in (the column's header), else None."""
        units = {e.metric_display_unit for e in self.comparison.entries}
        return units.pop() if len(units) == 1 else None

    def fill_table(self) -> None:
        """One row per entry (the model's table_rows): the best of its scenario starred, the
        metric without its unit when the header says it, the settings the label leaves out."""
        rows = table_rows(self.comparison)
        table: DataTable[str | Text] = self.query_one("#compare-table", DataTable)
        several = len(self.comparison.scenarios) > 1
        unit = self.metric_unit()
        settings = any(row.settings for row in rows)
        table.add_column("run")
        if several:
            table.add_column("scenario")
        table.add_column(unit or "metric")
        for key in TABLE_PERCENTILES:
            table.add_column(f"p{float(key):g} ms")
        table.add_column("result")
        table.add_column("accuracy")
        if settings:
            table.add_column("settings")
        for index, row in enumerate(rows):
            entry = row.entry
            label = Text(f"{BEST if row.best else ' '} {entry.label}")
            if row.best:
                label.stylize("bold")
            metric = entry.metric_text()
            if unit:
                metric = metric.removesuffix(f" {unit}")
            cells: list[str | Text] = [label]
            if several:
                cells.append(entry.scenario)
            cells.append(metric)
            cells.extend(ms_text(entry.percentiles_ms.get(k)) for k in TABLE_PERCENTILES)
            cells.extend([entry.validity_text(), entry.accuracy_text()])
            if settings:
                cells.append(row.settings or "-")
            table.add_row(*cells, key=str(index))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row picks its entry out in the plots (Enter again: all alike)."""
        entry = self.comparison.entries[int(str(event.row_key.value))]
        self.selected = None if self.selected is entry else entry
        if self.selected is not None:
            self.scenario = entry.scenario
        self.redraw()

    # --- keys ---------------------------------------------------------------------------------

    def action_show_plot(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = pane_id

    def action_next_scenario(self) -> None:
        scenarios = self.comparison.scenarios
        self.scenario = scenarios[(scenarios.index(self.scenario) + 1) % len(scenarios)]
        if self.selected is not None and self.selected.scenario != self.scenario:
            self.selected = None
        self.redraw()

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()

    # --- the plots ----------------------------------------------------------------------------

    def redraw(self) -> None:
        self.query_one("#compare-info", Static).update(self.info_text())
        self.draw_metric()
        self.draw_latency()
        self.draw_throughput()

    def info_text(self) -> str:
        comparison = self.comparison
        parts = [f"plots: {self.scenario}"]
        if len(comparison.scenarios) > 1:
            parts[0] += f" (s: next of {len(comparison.scenarios)} scenarios)"
        if comparison.swept:
            parts.append("varied: " + ", ".join(short_key(k) for k in comparison.swept))
        else:
            parts.append("the same settings")
        parts.append(f"{BEST} best per scenario")
        if self.selected is not None:
            parts.append(f"picked out: {self.selected.label}")
        return " · ".join(parts)

    def _pane(self, pane_id: str, note: str, drawn: bool) -> PlotextPlot:
        """The pane's plot, cleared; the note says what is missing, or why nothing is drawn."""
        self.query_one(f"#{pane_id}-note", Static).update(note)
        self.query_one(f"#{pane_id}-note", Static).display = bool(note)
        self.query_one(f"#{pane_id}-row", Horizontal).display = drawn
        widget = self.query_one(f"#{pane_id}-plot", PlotextPlot)
        widget.plt.clear_figure()
        self._legend(pane_id, [])
        return widget

    def _legend(self, pane_id: str, items: Sequence[tuple[str, str, RGB]]) -> None:
        """The legend beside the plot: a (marker, label, colour) per line."""
        lines = [
            Text.assemble((f"{marker} ", f"bold rgb({r},{g},{b})"), label)
            for marker, label, (r, g, b) in items
        ]
        self.query_one(f"#{pane_id}-legend", Static).update(Text("\n").join(lines))

    def _color(self, entry: CompareEntry, index: int) -> RGB:
        """Entries keep their colour (by position) unless another one is picked out."""
        if self.selected is not None and entry is not self.selected:
            return DIMMED
        return PALETTE[index % len(PALETTE)]

    # A log axis is drawn as log10 of the values on a linear one: plotext's own log scale
    # transforms the figure's data in place, so a second render (a resize) fails.

    def draw_metric(self) -> None:
        comparison, scenario = self.comparison, self.scenario
        why = why_no_plot(comparison, scenario, "metric")
        x_key, series = comparison.metric_series(scenario)
        if why is not None or x_key is None:
            self._pane("metric", f"{why[:1].upper()}{why[1:]}." if why else "", False)
            return
        widget = self._pane("metric", "", True)
        plt = widget.plt
        entries = comparison.for_scenario(scenario)
        unit = metric_axis(entries)
        xs = sorted({x for s in series for x, _ in s.points})
        log = log_x(xs)
        at = math.log10 if log else float  # where a value lies on the x axis
        legend: list[tuple[str, str, RGB]] = []
        for index, line in enumerate(series):
            xs_line = [at(x) for x, _ in line.points]
            ys_line = [y for _, y in line.points]
            color = PALETTE[index % len(PALETTE)]
            # the measured points are the corners at the x ticks (a ● of its own would sit up
            # to a row off the braille line: plotext places it on whole cells)
            plt.plot(xs_line, ys_line, marker=MARKER, color=color)
            legend.append(("━━", line.label or unit, color))
        picked = self.selected
        if picked is not None and picked.metric_display is not None:
            x = at(float(picked.settings[x_key]))
            plt.scatter([x], [picked.metric_display], marker="◆", color=PICKED)
            legend.append(("◆", picked.label, PICKED))
        self._legend("metric", legend)
        plt.xticks([at(x) for x in thinned(xs)], [tick_text(x) for x in thinned(xs)])
        self._y_axis(plt, [y for s in series for _, y in s.points])
        better = "higher" if entries[0].higher_is_better else "lower"
        plt.title(f"{scenario}: {unit} by {short_key(x_key)} ({better} is better)")
        plt.xlabel(short_key(x_key) + (" (log scale)" if log else ""))
        plt.ylabel(unit)
        widget.refresh()

    def draw_latency(self) -> None:
        entries = self.comparison.for_scenario(self.scenario)
        drawn = [e for e in entries if e.histogram is not None]
        why = why_no_plot(self.comparison, self.scenario, "histogram")
        note = self._missing_note("no latency histogram", [e for e in entries if e not in drawn])
        if why is not None or not drawn:
            self._pane("latency", f"{why[:1].upper()}{why[1:]}." if why else note, False)
            return
        widget = self._pane("latency", note, True)
        plt = widget.plt
        edges = histogram_edges(drawn)
        # the bins' centres on a log axis (log10 of ms)
        centres = [math.log10(a * b) / 2 for a, b in itertools.pairwise(edges)]
        lines: list[tuple[int, CompareEntry, list[float], list[float]]] = []
        for index, entry in enumerate(entries):
            if entry.histogram is not None:
                xs, shares = trimmed(centres, histogram_shares(entry, edges))
                if xs:
                    lines.append((index, entry, xs, shares))
        self._draw_lines("latency", plt, lines)
        ticks = log_ticks(edges[0], edges[-1], MAX_TICKS)
        plt.xticks([math.log10(t) for t in ticks], [tick_text(t) for t in ticks])
        plt.xlim(math.log10(edges[0]), math.log10(edges[-1]))
        plt.title(f"{self.scenario}: latency histograms ({HISTOGRAM_BINS} shared bins)")
        plt.xlabel("latency (ms, log scale)")
        plt.ylabel("% of samples")
        widget.refresh()

    def draw_throughput(self) -> None:
        entries = self.comparison.for_scenario(self.scenario)
        why = why_no_plot(self.comparison, self.scenario, "throughput")
        note = self._missing_note("no throughput curve", [e for e in entries if not e.throughput])
        if why is not None:
            self._pane("throughput", f"{why[:1].upper()}{why[1:]}.", False)
            return
        widget = self._pane("throughput", note, True)
        plt = widget.plt
        lines = [
            (index, entry, [s for s, _ in curve], [r for _, r in curve])
            for index, entry in enumerate(entries)
            if (curve := throughput_curve(entry))
        ]
        self._draw_lines("throughput", plt, lines)
        ticks = nice_ticks(0.0, max(x for *_, xs, _ in lines for x in xs), MAX_TICKS)
        plt.xlim(ticks[0], ticks[-1])
        plt.xticks(ticks, [tick_text(t) for t in ticks])
        plt.title(f"{self.scenario}: throughput over time")
        plt.xlabel("seconds since the start")
        plt.ylabel("samples/s")
        widget.refresh()

    def _draw_lines(
        self,
        pane_id: str,
        plt: Plot,
        lines: Sequence[tuple[int, CompareEntry, list[float], list[float]]],
    ) -> None:
        """One line per entry (index, entry, xs, ys), the picked-out one drawn last (on top);
        the legend in the entries' order; the y axis from 0."""
        for index, entry, xs, ys in sorted(lines, key=lambda line: line[1] is self.selected):
            plt.plot(xs, ys, marker=MARKER, color=self._color(entry, index))
        self._legend(pane_id, [("━━", e.label, self._color(e, i)) for i, e, _, _ in lines])
        self._y_axis(plt, [y for *_, ys in lines for y in ys])

    @staticmethod
    def _y_axis(plt: Plot, values: Sequence[float]) -> None:
        """From 0 (every figure here is a rate, a share or a latency), with round ticks."""
        top = max(values, default=0.0)
        ticks = nice_ticks(0.0, top if top > 0 else 1.0, MAX_TICKS)
        plt.ylim(ticks[0], ticks[-1])
        plt.yticks(ticks, [tick_text(t) for t in ticks])

    @staticmethod
    def _missing_note(what: str, missing: Sequence[CompareEntry]) -> str:
        """One line per reason: "No throughput curve for X: imported logs have no event
        stream." (the entries that some plot is drawn without)."""
        reasons: dict[str, list[str]] = {}
        for entry in missing:
            reasons.setdefault(missing_events_reason(entry), []).append(entry.label)
        return "\n".join(
            f"{what.capitalize()} for {', '.join(labels)}: {reason}."
            for reason, labels in reasons.items()
        )
