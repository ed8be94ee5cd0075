"""Snapshot tests: every screen at 100x30, the run monitor at 80x24.

Hardware is frozen (conftest), paths are relative and the monitor is fed a recorded stream, so
the pictures do not depend on the machine. Update with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from tui_replay import EVENTS, PLAN, valid_limits

from mlperf_tui import wizard
from mlperf_tui.run import ResultsSet, RunResult
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.messages import BrowseRequested
from mlperf_tui.tui.run_source import ReplaySource
from mlperf_tui.tui.screens.monitor import MonitorScreen
from mlperf_tui.tui.screens.results import ResultsScreen
from mlperf_tui.validate import CheckResult

WIDE = (100, 30)
MONITOR = (80, 24)


def wizard_app() -> MlperfTuiApp:
    return MlperfTuiApp(profiles_dir=Path("profiles"))


async def settle(pilot: Pilot[None]) -> None:
    """Let the screen's workers (the on-the-spot asset check) finish and their answers land."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


class TestWizardSnapshots:
    @pytest.mark.parametrize("index", range(len(wizard.STEPS)), ids=list(wizard.STEP_IDS))
    def test_step(self, snap_compare: Any, index: int) -> None:
        async def go_to_step(pilot: Pilot[None]) -> None:
            for _ in range(index):
                await pilot.press("ctrl+n")
                await pilot.pause()
            await settle(pilot)

        assert snap_compare(wizard_app(), terminal_size=WIDE, run_before=go_to_step)

    def test_closed_division_preselects_required_scenarios(self, snap_compare: Any) -> None:
        async def closed(pilot: Pilot[None]) -> None:
            app = pilot.app
            assert isinstance(app, MlperfTuiApp)
            app.answers["division"] = "closed"
            app.show_step("scenarios")
            await settle(pilot)

        assert snap_compare(wizard_app(), terminal_size=WIDE, run_before=closed)

    def test_path_picker(
        self, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        Path("models").mkdir()
        Path("models/resnet50_v1.onnx").write_bytes(b"")
        Path("models/tiny.onnx").write_bytes(b"")

        async def browse(pilot: Pilot[None]) -> None:
            app = pilot.app
            assert isinstance(app, MlperfTuiApp)
            app.answers["model_source"] = "path"
            app.answers["model_path"] = "models"
            app.show_step("assets")
            await pilot.pause()
            await settle(pilot)
            app.screen.post_message(BrowseRequested("model_path"))
            await pilot.pause(0.3)

        assert snap_compare(wizard_app(), terminal_size=WIDE, run_before=browse)


class TestMonitorSnapshots:
    """The recorded stream is fed straight into the screen's state (not through the worker,
    whose bursts of progress messages merge differently from run to run)."""

    def _app(self) -> MlperfTuiApp:
        held = ReplaySource(EVENTS, plan=PLAN, limits=valid_limits(), hold=True)
        held.records = []  # the worker only waits; fed() feeds the events
        return MlperfTuiApp(
            "run", profile=Path("profiles/quickstart.yaml"), run_source=lambda _p: held
        )

    @staticmethod
    async def fed(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        for record in ReplaySource(EVENTS).records:
            event = {k: v for k, v in record.items() if k != "run_id"}
            screen.state.feed(record["run_id"], event)
        screen.redraw()
        await pilot.pause()

    def test_monitor_80x24(self, snap_compare: Any) -> None:
        assert snap_compare(self._app(), terminal_size=MONITOR, run_before=self.fed)

    def test_monitor_100x30(self, snap_compare: Any) -> None:
        assert snap_compare(self._app(), terminal_size=WIDE, run_before=self.fed)

    def test_cancel_asks_first(self, snap_compare: Any) -> None:
        async def cancel(pilot: Pilot[None]) -> None:
            await self.fed(pilot)
            await pilot.press("c")
            await pilot.pause()

        assert snap_compare(self._app(), terminal_size=MONITOR, run_before=cancel)


def fake_results() -> ResultsSet:
    folder = Path("results/20260101-120000")
    runs = [
        RunResult("SingleStream-performance", "resnet50", "SingleStream", "performance", None,
                  "ok", folder / "runs/a", valid=True, metric_name="90th percentile latency",
                  metric_value=2.31, metric_unit="ms"),
        RunResult("SingleStream-accuracy", "resnet50", "SingleStream", "accuracy", None, "ok",
                  folder / "runs/b", accuracy=0.098, accuracy_metric="acc"),
        RunResult("Offline-performance", "resnet50", "Offline", "performance", None, "ok",
                  folder / "runs/c", valid=False, metric_name="samples per second",
                  metric_value=812.5, metric_unit="samples/s"),
    ]  # fmt: skip
    return ResultsSet(folder, runs, complete=True, execution="test", synthetic=True)


class ResultsApp(App[None]):
    CSS_PATH = Path(__file__).parents[2] / "mlperf_tui" / "tui" / "app.tcss"

    def on_mount(self) -> None:
        screen = ResultsScreen(fake_results(), out=Path("results/20260101-120000/submission"))
        self.push_screen(screen)


class TestResultsSnapshots:
    def test_results_table(self, snap_compare: Any) -> None:
        assert snap_compare(ResultsApp(), terminal_size=WIDE)

    def test_validation_grouped_by_severity(self, snap_compare: Any) -> None:
        findings = [
            CheckResult("results.invalid", "error", "open/Q/results/s/resnet50/Offline",
                        "LoadGen marked the Offline run INVALID", "raise target_qps and rerun"),
            CheckResult("execution.test", "warning", "open/Q/src/README.md",
                        "built from test execution", "set execution: valid"),
            CheckResult("assets.synthetic", "notice", "open/Q/systems/s.json",
                        "synthetic stand-ins: not submittable", "point the profile at real assets"),
        ]  # fmt: skip

        async def built(pilot: Pilot[None]) -> None:
            screen = pilot.app.screen
            assert isinstance(screen, ResultsScreen)
            out = Path("results/20260101-120000/submission")
            screen._built(out, Path("results/20260101-120000/submission.tar.gz"), findings)
            await pilot.pause()

        assert snap_compare(ResultsApp(), terminal_size=WIDE, run_before=built)


class TestChecklistSnapshots:
    def test_checklist(
        self, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        Path("package").mkdir()
        failing = [
            CheckResult("system.empty", "error", "open/Q/systems/s.json",
                        "status is empty", "answer status"),
        ]  # fmt: skip
        app = MlperfTuiApp("checklist", package=Path("package"), validator=lambda _p: failing)

        async def one_answer(pilot: Pilot[None]) -> None:
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()

        assert snap_compare(app, terminal_size=WIDE, run_before=one_answer)
