"""The compare screen on a recorded sweep (tests/tui/fixtures/compare): the table, the three
plots, the plain-words notes where a plot cannot be drawn, and leaving."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static, TabbedContent
from textual_plotext import PlotextPlot

from mlperf_tui.compare import CompareError, load_comparison
from mlperf_tui.results import EVENTS, RUNS
from mlperf_tui.tui.app import MlperfTuiApp, run_app
from mlperf_tui.tui.screens.compare import BEST, MAX_TICKS, CompareScreen, thinned, trimmed

SWEEP = Path(__file__).parent / "fixtures" / "compare" / "compare-sweep"
#: the sweep's points in its order (batch x threads) and its fastest one
LABELS = [f"batch={b} threads={t}" for b in (1, 8, 32) for t in (1, 2)]
FASTEST = "batch=32 threads=1"


def plot_text(screen: CompareScreen, pane: str) -> str:
    """What the pane's plot shows, as plain text (axes, labels, legend)."""
    return screen.query_one(f"#{pane}-plot", PlotextPlot).render().plain  # type: ignore[union-attr]


def note(screen: CompareScreen, pane: str) -> str:
    return str(screen.query_one(f"#{pane}-note", Static).render())


def legend(screen: CompareScreen, pane: str) -> str:
    return str(screen.query_one(f"#{pane}-legend", Static).render())


@pytest.mark.slow  # about 2.5 s a size: the three plots are drawn
@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_the_sweep_side_by_side_and_each_plot(size: tuple[int, int]) -> None:
    app = MlperfTuiApp("compare", comparison=load_comparison([str(SWEEP)]))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.query_one(DataTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert [label[2:] for label in labels] == LABELS
        assert [label for label in labels if label.startswith(BEST)] == [f"{BEST} {FASTEST}"]

        tabs = screen.query_one(TabbedContent)
        for key, pane, axis in [
            ("2", "latency", "latency (ms, log scale)"),
            ("3", "throughput", "seconds since the start"),
            ("1", "metric", "batch (log scale)"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == pane
            # drawn again here, after the app drew it: plotext's own log axis would fail now
            assert axis in plot_text(screen, pane) and not note(screen, pane)
            if pane == "metric":  # one line per thread count, against the batch size
                assert legend(screen, pane).splitlines() == ["━━ threads=1", "━━ threads=2"]
            else:  # a legend naming every entry
                assert legend(screen, pane).splitlines() == [f"━━ {label}" for label in LABELS]

        await pilot.press("enter")  # the row under the cursor, picked out in the plots
        await pilot.pause()
        assert screen.selected is not None and screen.selected.label == LABELS[0]
        assert f"picked out: {LABELS[0]}" in str(screen.query_one("#compare-info", Static).render())

        await pilot.press("escape")  # the only screen: leaving ends the app
        await pilot.pause()
    assert app.return_code == 0


@pytest.mark.slow  # about 1 s
async def test_what_cannot_be_plotted_is_said_in_plain_words(tmp_path: Path) -> None:
    """Two copies of one results folder: nothing varies, so there is no metric plot; the
    copy without its event stream has no curves, and the note says so under the other's."""
    point = next(p for p in sorted(SWEEP.glob("*/2*")) if p.is_dir())
    shutil.copytree(point, tmp_path / "same")
    shutil.copytree(point, tmp_path / "no-events")
    (tmp_path / "no-events" / RUNS / "Offline-performance" / EVENTS).unlink()
    comparison = load_comparison([str(tmp_path / "same"), str(tmp_path / "no-events")])
    app = MlperfTuiApp("compare", comparison=comparison)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.query_one(DataTable).row_count == 2
        assert "No metric plot: no numeric setting varies" in note(screen, "metric")
        assert not screen.query_one("#metric-row").display  # the plot and its legend
        await pilot.press("3")
        await pilot.pause()
        assert note(screen, "throughput") == (
            "No throughput curve for no-events: its run streamed no progress (events.jsonl)."
        )
        assert legend(screen, "throughput") == "━━ same"  # the other one is still drawn
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def test_few_ticks_and_lines_that_span_their_own_data() -> None:
    """At most MAX_TICKS labels on an axis (plotext drops crowded ones by hash order, so a
    crowded axis would differ from run to run); a histogram's line runs over its own bins."""
    sweep = [1.0, 2, 4, 8, 16, 32, 64, 128, 256]
    assert thinned(sweep) == [1, 8, 64] and len(thinned(sweep)) <= MAX_TICKS
    assert thinned([1.0, 8, 32]) == [1, 8, 32]
    assert trimmed([1.0, 2, 3, 4, 5], [0.0, 2, 0, 3, 0]) == ([2, 3, 4], [2, 0, 3])
    assert trimmed([1.0, 2], [0.0, 0]) == ([], [])


def test_a_name_that_is_no_run_stops_before_the_screen_opens(tmp_path: Path) -> None:
    """`mlperf-tui compare --tui` loads the runs first: a wrong name is a user error (message
    and fix, printed by the CLI), never a full-screen app that shows nothing."""
    with pytest.raises(CompareError, match="is not a results folder") as caught:
        run_app("compare", targets=[str(tmp_path)])
    assert "summary.json" in caught.value.fix
