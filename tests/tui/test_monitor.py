"""The run monitor fed a recorded event stream shows what it was fed."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import ProgressBar, Sparkline, Static
from tui_replay import EVENTS, PLAN, valid_limits

from mlperf_tui import rules
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.monitor_model import MonitorState, RunLimits, rebin
from mlperf_tui.tui.run_source import ReplaySource
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.screens.monitor import MonitorScreen
from mlperf_tui.tui.widgets.histogram import LatencyHistogram
from mlperf_tui.tui.widgets.plan_list import PlanList


def last(run_id: str, event: str) -> dict[str, object]:
    records = [json.loads(line) for line in EVENTS.read_text().splitlines()]
    return [r for r in records if r["run_id"] == run_id and r["event"] == event][-1]


def replay_app(tmp_path: Path, limits: dict[str, RunLimits]) -> MlperfTuiApp:
    source = ReplaySource(EVENTS, plan=PLAN, limits=limits, hold=True)
    return MlperfTuiApp("run", profile=tmp_path / "p.yaml", run_source=lambda _p: source)


async def wait_for(pilot: Pilot[None], screen: MonitorScreen, completed: int) -> None:
    for _ in range(200):
        await pilot.pause(0.02)
        if screen.state.current.completed == completed and screen.state.version:
            break
    await pilot.pause(0.3)  # one redraw tick (4 per second)


async def test_monitor_shows_progress_histogram_and_percentiles(tmp_path: Path) -> None:
    app = replay_app(tmp_path, valid_limits())
    fed = last("Offline-performance", "progress")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await wait_for(pilot, screen, int(fed["completed"]))  # type: ignore[arg-type]

        plan_text = str(screen.query_one(PlanList).render())
        assert "SingleStream-performance" in plan_text and "ok" in plan_text
        assert "Offline-performance" in plan_text and "running" in plan_text
        assert "Offline-accuracy" in plan_text and "waiting" in plan_text

        bar = screen.query_one(ProgressBar)
        assert (bar.progress, bar.total) == (fed["completed"], fed["issued"])
        counts = str(screen.query_one("#monitor-counts", Static).render())
        assert f"issued {fed['issued']:,}" in counts and f"completed {fed['completed']:,}" in counts
        for name in ("p50", "p90", "p99"):
            assert f"{name} {fed[name + '_ms']:.2f} ms" in counts

        hist = screen.query_one(LatencyHistogram)
        assert hist.view is not None
        fed_hist = fed["histogram"]
        assert hist.view.total == sum(n for _, n in fed_hist["counts"])  # type: ignore[index]
        assert {"p50", "p90", "p99"} <= set(hist.view.markers)
        assert hist.view.markers["p50"] <= hist.view.markers["p90"] <= hist.view.markers["p99"]
        drawn = str(hist.render())
        assert "50" in drawn and "99" in drawn

        # a burst of progress messages merges (can_replace): the newest throughput is drawn
        assert list(screen.query_one(Sparkline).data or [])[-1] == fed["throughput"]

        forecast = str(screen.query_one("#monitor-forecast", Static).render())
        assert "fewer than the Offline minimum" in forecast
        assert f"{rules.get_round().offline_min_samples:,}" in forecast

        # cancel after a confirmation; the app stays responsive to keys meanwhile
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        for _ in range(100):
            await pilot.pause(0.02)
            if screen.state.finished:
                break
        assert screen.state.finished
        await pilot.pause(0.3)
        assert "cancelled" in str(screen.query_one(PlanList).render())


async def test_cancel_can_be_refused(tmp_path: Path) -> None:
    app = replay_app(tmp_path, valid_limits())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await wait_for(pilot, screen, 1200)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.screen is screen
        assert not screen.cancel_event.is_set()
        screen.cancel_event.set()  # let the held replay end


def test_server_forecast_names_the_bound() -> None:
    bench = rules.get_benchmark("resnet50")
    bound = next(iter(bench.latency_bound_ns.values()), 15_000_000)
    state = MonitorState([("Server-performance", "Server")], {
        "Server-performance": RunLimits("Server", "performance", 600.0, latency_bound_ns=bound)
    })  # fmt: skip
    state.feed(
        "Server-performance", {"event": "start", "scenario": "Server", "mode": "performance"}
    )
    p99 = bound / 1e6 * 2
    hist = {"min_ns": 1000, "growth": 1.1, "counts": [[90, 5], [110, 3]]}
    state.feed("Server-performance", {
        "event": "progress", "issued": 100, "completed": 90, "elapsed_s": 1.0, "throughput": 90.0,
        "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": p99, "histogram": hist,
    })  # fmt: skip
    assert any("above the Server bound" in w for w in state.forecast())
    view = state.histogram_view(60)
    assert view is not None and "bound" in view.markers


def test_rebin_keeps_every_sample_and_orders_markers() -> None:
    hist = {"min_ns": 1000, "growth": 1.05, "counts": [[10, 1], [50, 7], [51, 9], [120, 2]]}
    view = rebin(hist, 40, {"p50": 0.012, "p99": 0.5})
    assert view is not None
    assert view.total == 19 and len(view.heights) == 40 and max(view.heights) == 1.0
    assert view.markers["p50"] < view.markers["p99"]


def test_remaining_time_counts_the_minimum_query_count() -> None:
    limits = RunLimits("SingleStream", "performance", 3.0, min_queries=256)
    state = MonitorState([("SS", "SS")], {"SS": limits})
    state.feed("SS", {"event": "progress", "issued": 47, "completed": 46, "elapsed_s": 14.0,
                      "throughput": 3.5, "p50_ms": 1.0, "p90_ms": 1.0, "p99_ms": 1.0})  # fmt: skip
    assert state.remaining_s() == (256 - 46) / 3.5
    assert state.progress() == (46.0, 256.0)


def test_progress_messages_merge_but_results_never_do() -> None:
    from mlperf_tui.tui.messages import RunnerEvent

    progress = RunnerEvent("Offline-performance", {"event": "progress", "completed": 1})
    newer = RunnerEvent("Offline-performance", {"event": "progress", "completed": 2})
    other_run = RunnerEvent("SingleStream-performance", {"event": "progress", "completed": 2})
    result = RunnerEvent("Offline-performance", {"event": "result", "status": "ok"})
    assert newer.can_replace(progress)
    assert not other_run.can_replace(progress)
    assert not result.can_replace(progress)
    assert not newer.can_replace(result)


def test_a_result_in_nanoseconds_is_shown_in_milliseconds() -> None:
    state = MonitorState([("SS", "SS")], {})
    state.feed("SS", {"event": "result", "status": "ok", "message": "",
                      "loadgen": {"result_valid": True, "metric_name": "early_stopping_latency_ns",
                                  "metric_value": 293583000}, "accuracy": None})  # fmt: skip
    assert state.plan[0].state == "ok"
    assert state.plan[0].detail == "early stopping latency: 294 ms"


def test_rebin_draws_no_gaps_when_buckets_are_wider_than_columns() -> None:
    hist = {"min_ns": 1000, "growth": 1.01, "counts": [[i, 5] for i in range(1000, 1010)]}
    view = rebin(hist, 40, {})
    assert view is not None
    assert min(view.heights) > 0.9  # ten equal buckets over forty columns: a flat top


def test_a_real_recorded_harness_stream() -> None:
    """Events a real quickstart run wrote (runs/*/events.jsonl, thinned): the monitor's state
    ends on the last progress and result it was fed."""
    import threading

    recorded = Path(__file__).parent / "fixtures" / "recorded.jsonl"
    source = ReplaySource(recorded)
    state = MonitorState(source.plan, {})
    source.run(state.feed, state.add_log, threading.Event())
    records = [json.loads(line) for line in recorded.read_text().splitlines()]
    offline = [r for r in records if r["run_id"] == "Offline-performance"]
    last_progress = [r for r in offline if r["event"] == "progress"][-1]
    assert state.current.run_id == "Offline-performance"
    assert state.current.completed == last_progress["completed"]
    assert state.current.p99_ms == last_progress["p99_ms"]
    view = state.histogram_view(50)
    assert view is not None
    assert view.total == sum(n for _, n in last_progress["histogram"]["counts"])
    assert [item.state for item in state.plan] == ["ok", "ok"]
    assert state.plan[0].detail.startswith("early stopping latency: ")


def _singlestream_forecast(test_execution: bool, throughput: float) -> list[str]:
    state = MonitorState([("SingleStream-performance", "SingleStream")], {
        "SingleStream-performance": RunLimits(
            "SingleStream", "performance", 600.0, min_queries=1024, test_execution=test_execution
        )
    })  # fmt: skip
    state.feed(
        "SingleStream-performance",
        {"event": "start", "scenario": "SingleStream", "mode": "performance"},
    )
    state.feed("SingleStream-performance", {
        "event": "progress", "issued": 11, "completed": 10, "elapsed_s": 10.0,
        "throughput": throughput, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0,
    })  # fmt: skip
    return state.forecast()


def test_singlestream_forecast_projects_over_the_minimum_duration() -> None:
    # 1 query/s for 600 s is short of 1024: the run will go on past the minimum duration
    assert any(
        "fewer than the SingleStream minimum" in w for w in _singlestream_forecast(False, 1.0)
    )
    # 10 queries/s reaches 1024 well inside 600 s, however few were done after 10 s
    assert not any("minimum" in w for w in _singlestream_forecast(False, 10.0))
    # test execution is sized by its query count on purpose
    assert not any("minimum" in w for w in _singlestream_forecast(True, 1.0))
    # before the first completion there is no pace yet: no warning (it said "0 queries")
    assert not any("minimum" in w for w in _singlestream_forecast(False, 0.0))


#: a progress event of a Server run through llama.cpp's server (recorded; histogram left out)
_ENDPOINT_PROGRESS = {
    "v": 1, "event": "progress", "t": 16.02, "issued": 66, "completed": 64, "elapsed_s": 14.85,
    "throughput": 4.31, "p50_ms": 135.4, "p90_ms": 291.3, "p99_ms": 503.5, "within": None,
    "endpoint": {
        "url": "http://127.0.0.1:55415/v1", "model": "tiny-engine", "requests": 66,
        "answered": 64, "failed": {}, "failed_total": 0, "in_flight": 2, "max_in_flight": 4,
        "max_concurrency": 64, "queued": 0, "output_tokens": 2048, "tokens_per_s": 137.909,
        "token_latencies": True,
        "ttft_ms": {"p50": 61.08, "p90": 189.91, "p99": 420.400854, "mean": 96.7},
        "tpot_ms": {"p50": 1.99, "p90": 3.12, "p99": 3.692275, "mean": 2.01},
    },
}  # fmt: skip


def test_an_llm_run_shows_its_token_latencies() -> None:
    state = MonitorState([("Server-performance", "Server performance")], {})
    state.feed("Server-performance", _ENDPOINT_PROGRESS)
    assert state.token_line() == "TTFT p99 420.40 ms  TPOT p99 3.69 ms  138 tokens/s  2 in flight"
    # a run without an engine shows none
    other = MonitorState([("Offline-performance", "Offline performance")], {})
    other.feed("Offline-performance", {**_ENDPOINT_PROGRESS, "endpoint": None})
    assert other.token_line() == ""


# -- power: the runner's ``power`` events (PTDaemon's watts) ----------------------------------


def _power(watts: object, t: float = 1.0) -> dict[str, object]:
    return {"v": 1, "event": "power", "watts": watts, "t": t}


def test_power_events_give_the_latest_watts_and_the_run_average() -> None:
    state = MonitorState([("Offline-performance", "Offline")], {})
    state.feed(
        "Offline-performance", {"event": "start", "scenario": "Offline", "mode": "performance"}
    )
    assert state.power_line() == ""  # a run without power events shows none
    for i, watts in enumerate((100.3, 100.8, 101.3)):
        state.feed("Offline-performance", _power(watts, t=float(i)))
    assert state.power_line() == "Power: 101.3 W (avg 100.8 W)"
    assert list(state.current.watts_history) == [100.3, 100.8, 101.3]
    # what is not a reading (a half-written line, a negative or infinite value) is skipped
    for bad in (None, "n/a", -1.0, float("inf"), float("nan")):
        state.feed("Offline-performance", _power(bad))
    assert state.power_line() == "Power: 101.3 W (avg 100.8 W)"
    # the history is short; the average is the whole run's
    for _ in range(500):
        state.feed("Offline-performance", _power(100.8))
    assert len(state.current.watts_history) < 500
    assert state.current.watts_count == 503
    # the next run (the testing run after the ranging run, or the next scenario) starts over
    state.feed(
        "Offline-performance", {"event": "start", "scenario": "Offline", "mode": "performance"}
    )
    assert state.power_line() == ""


async def test_the_monitor_shows_the_watts_beside_the_throughput(tmp_path: Path) -> None:
    source = ReplaySource(EVENTS, plan=PLAN, limits=valid_limits(), hold=True)
    source.records = []  # nothing replayed: the events are fed below
    app = MlperfTuiApp("run", profile=tmp_path / "p.yaml", run_source=lambda _p: source)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        progress = last("Offline-performance", "progress")
        screen.state.feed(
            "Offline-performance", {k: v for k, v in progress.items() if k != "run_id"}
        )
        screen.redraw()
        counts = str(screen.query_one("#monitor-counts", Static).render())
        assert "samples/s" in counts and "Power:" not in counts
        for watts in (100.3, 100.8, 101.3):
            screen.state.feed("Offline-performance", _power(watts))
        screen.redraw()
        await pilot.pause()
        lines = str(screen.query_one("#monitor-counts", Static).render()).splitlines()
        assert lines[0].endswith("samples/s")
        assert lines[1] == "Power: 101.3 W (avg 100.8 W)"
        screen.cancel_event.set()  # let the held replay end
