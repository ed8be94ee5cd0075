"""The run monitor: plan, progress, throughput (and watts, with power), latency histogram,
forecast, log tail."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Log, ProgressBar, Sparkline, Static
from textual.worker import get_current_worker

from mlperf_tui.tui.messages import RunnerEvent, RunnerFinished, RunnerLog
from mlperf_tui.tui.monitor_model import MonitorState, format_duration
from mlperf_tui.tui.run_source import RunSource
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.widgets.histogram import LatencyHistogram
from mlperf_tui.tui.widgets.plan_list import PlanList

#: redraws per second; events are folded into the state as they come, drawn on this timer
REDRAW_HZ = 4


class MonitorScreen(Screen[Any]):
    """Runs a :class:`RunSource` in a thread worker and draws its events 4 times a second."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel_run", "Cancel run"),
        Binding("r", "show_results", "Results"),
        Binding("q", "app.quit", "Quit", show=False),
    ]
    #: under 100 columns the plan is narrower, under 30 rows the throughput trace is one row
    #: (app.tcss: ``.-narrow``, ``.-short``)
    # Textual declares these `ClassVar[...] | None`, which mypy reads as instance variables
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012

    def __init__(self, source: RunSource, title: str = "Run", autostart: bool = True) -> None:
        super().__init__()
        self.source = source
        self.title_text = title
        self.state = MonitorState(source.plan, source.limits)
        self.cancel_event = threading.Event()
        self.results: Any = None
        self.error: BaseException | None = None
        self._drawn_version = -1
        self._log_lines = 0
        self.autostart = autostart

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="monitor-title", classes="screen-title")
        with Horizontal(id="monitor-body"):
            with Vertical(id="monitor-plan-box"):
                yield Static("Plan", classes="box-title")
                yield PlanList(id="monitor-plan")
            with Vertical(id="monitor-current"):
                yield Static("waiting for the first run...", id="monitor-run")
                yield ProgressBar(total=1, show_eta=False, id="monitor-progress")
                yield Static("", id="monitor-counts")
                yield Sparkline([], id="monitor-throughput")
                yield LatencyHistogram(id="monitor-histogram")
                yield Static("", id="monitor-forecast")
        yield Log(id="monitor-log", max_lines=200)
        yield Footer()

    @property
    def screenshot_folder(self) -> Path | None:
        """The results folder once the runs are over (before that the runner has not named
        it here, and screenshots go to the working folder)."""
        folder = getattr(self.results, "folder", None)
        return Path(folder) if folder else None

    def on_mount(self) -> None:
        self.set_interval(1 / REDRAW_HZ, self.redraw)
        self.redraw()
        if self.autostart:
            self.start()

    def on_unmount(self) -> None:
        # leaving the monitor (quitting the app) stops the run: the child gets its SIGINT
        self.cancel_event.set()

    def start(self) -> None:
        self.run_source()

    @work(thread=True, exclusive=True, group="runner")
    def run_source(self) -> None:
        worker = get_current_worker()

        def on_event(run_id: str, event: Mapping[str, Any]) -> None:
            if not worker.is_cancelled:
                self.post_message(RunnerEvent(run_id, dict(event)))

        def on_log(line: str) -> None:
            if not worker.is_cancelled:
                self.post_message(RunnerLog(line))

        try:
            results = self.source.run(on_event, on_log, self.cancel_event)
        except BaseException as exc:  # shown on screen; the worker must not kill the app
            self.post_message(RunnerFinished(None, exc))
        else:
            self.post_message(RunnerFinished(results, None))

    def on_runner_event(self, message: RunnerEvent) -> None:
        self.state.feed(message.run_id, message.event)

    def on_runner_log(self, message: RunnerLog) -> None:
        self.state.add_log(message.line)

    def on_runner_finished(self, message: RunnerFinished) -> None:
        self.results = message.results
        self.error = message.error
        self.state.mark_finished()
        if message.error is not None:
            fix = getattr(message.error, "fix", "")
            self.state.add_log(f"error: {message.error}")
            if fix:
                self.state.add_log(f"  fix: {fix}")
        elif self.cancel_event.is_set():
            self.state.add_log("Cancelled; finished runs are kept.")
        else:
            self.state.add_log("All runs finished. Press r for results and the package.")
        self.redraw()

    # --- drawing -----------------------------------------------------------------------------

    def redraw(self) -> None:
        state = self.state
        if state.version == self._drawn_version:
            return
        self._drawn_version = state.version
        cur = state.current
        self.query_one(PlanList).show(state.plan)
        if cur.run_id:
            phase = f" - {cur.phase}" if cur.phase else ""
            msg = f": {cur.phase_message}" if cur.phase_message else ""
            self.query_one("#monitor-run", Static).update(f"[b]{cur.run_id}[/b]{phase}{msg}")
        done, total = state.progress()
        bar = self.query_one(ProgressBar)
        bar.update(total=total, progress=done)
        pct = "  ".join(
            f"{name} {val:.2f} ms"
            for name, val in (("p50", cur.p50_ms), ("p90", cur.p90_ms), ("p99", cur.p99_ms))
            if val is not None
        )
        # one figure group per line: at 80 columns a long line wraps, and nothing is cut off
        power = state.power_line()
        counts = (
            f"issued {cur.issued:,}  completed {cur.completed:,}  "
            f"{cur.throughput:,.1f} samples/s\n"
            # beside the throughput: what the analyser measured while it ran
            + (f"{power}\n" if power else "")
            + f"elapsed {format_duration(cur.elapsed_s)}  "
            f"remaining {format_duration(state.remaining_s())}" + (f"\n{pct}" if pct else "")
        )
        tokens = state.token_line()
        if tokens:
            counts += f"\n{tokens}"
        self.query_one("#monitor-counts", Static).update(counts)
        self.query_one(Sparkline).data = list(cur.throughput_history)
        hist = self.query_one(LatencyHistogram)
        hist.view = state.histogram_view(max(hist.size.width, 10))
        warnings = state.forecast()
        forecast = self.query_one("#monitor-forecast", Static)
        forecast.update("\n".join(f"⚠ {w}" for w in warnings) if warnings else "")
        forecast.set_class(bool(warnings), "warn")
        log = self.query_one(Log)
        fresh = min(state.log_count - self._log_lines, len(state.log))
        if fresh > 0:
            log.write_lines(list(state.log)[-fresh:])
        self._log_lines = state.log_count

    # --- actions -----------------------------------------------------------------------------

    def action_cancel_run(self) -> None:
        if self.state.finished:
            self.notify("Nothing is running.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel_event.set()
                self.state.add_log("Cancelling: the current run stops and keeps its logs...")

        self.app.push_screen(ConfirmScreen("Cancel the run? Finished runs are kept."), answered)

    def action_show_results(self) -> None:
        if not self.state.finished:
            self.notify("The runs are still going; press c to cancel.")
            return
        show = getattr(self.app, "show_results", None)
        if show is not None:
            show(self.results)
