"""Snapshot tests: every wizard step at 80x24 and 100x30; the other screens at both sizes or one.

Hardware is frozen (conftest), paths are relative and the monitor is fed a recorded stream, so
the pictures do not depend on the machine. Update with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button
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


#: every step of the three first-time paths: built in (the quickstart's answers), a serving
#: engine (llama3.1-8b in datacenter) and an import (rgat)
ENGINE = {"category": "datacenter", "benchmark": "llama3.1-8b", "harness": "endpoint"}
IMPORT = {"category": "datacenter", "benchmark": "rgat", "harness": "import"}
WIZARD_STEPS = [(step, {}) for step in wizard.steps_for(wizard.default_answers())] + [
    ("benchmark-engine", ENGINE),
    ("engine", ENGINE),
    ("import", IMPORT),
]
SMALL = (80, 24)


class TestWizardSnapshots:
    @pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "100x30"])
    @pytest.mark.parametrize(("step", "answers"), WIZARD_STEPS, ids=[s for s, _ in WIZARD_STEPS])
    def test_step(
        self,
        snap_compare: Any,
        step: str,
        answers: dict[str, str],
        size: tuple[int, int],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # the review's pre-flight check reads the disk and memory: the same on every host
        import importlib
        import shutil

        # the module (mlperf_tui.run's `preflight` is the function)
        preflight_module = importlib.import_module("mlperf_tui.run.preflight")

        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
        free = shutil._ntuple_diskusage(200 * 1000**3, 80 * 1000**3, 120 * 1000**3)  # type: ignore[attr-defined]
        monkeypatch.setattr(shutil, "disk_usage", lambda _p: free)
        monkeypatch.setattr(preflight_module, "available_memory", lambda: 16 * 1024**3)

        async def show(pilot: Pilot[None]) -> None:
            app = pilot.app
            assert isinstance(app, MlperfTuiApp)
            app.answers.update(answers)
            app.show_step(step.split("-")[0])
            await settle(pilot)

        assert snap_compare(wizard_app(), terminal_size=size, run_before=show)

    def test_closed_division_preselects_required_scenarios(self, snap_compare: Any) -> None:
        async def closed(pilot: Pilot[None]) -> None:
            app = pilot.app
            assert isinstance(app, MlperfTuiApp)
            app.answers["division"] = "closed"
            app.show_step("scenarios")
            await settle(pilot)

        assert snap_compare(wizard_app(), terminal_size=WIDE, run_before=closed)

    def test_power_step_measuring(
        self, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Power chosen, its fields filled, Check director run: nothing listens on port 1 and
        the checkout is missing (each with its fix)."""
        monkeypatch.chdir(tmp_path)

        async def measure(pilot: Pilot[None]) -> None:
            app = pilot.app
            assert isinstance(app, MlperfTuiApp)
            app.answers.update(
                {
                    "power": "measure",
                    "power_director": "127.0.0.1",
                    "power_port": 1,
                    "power_checkout": "/nonexistent/power-dev",
                    "power_ntp": "pool.ntp.org",
                }
            )
            app.show_step("power")
            await settle(pilot)
            app.screen.query_one("#check-director", Button).press()
            await pilot.pause()
            await settle(pilot)

        assert snap_compare(wizard_app(), terminal_size=WIDE, run_before=measure)

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

    def test_monitor_with_power_80x24(self, snap_compare: Any) -> None:
        """A power run: the analyser's watts under the throughput."""

        async def powered(pilot: Pilot[None]) -> None:
            screen = pilot.app.screen
            assert isinstance(screen, MonitorScreen)
            for record in ReplaySource(EVENTS).records:
                event = {k: v for k, v in record.items() if k != "run_id"}
                screen.state.feed(record["run_id"], event)
            for t, watts in enumerate((100.3, 100.8, 101.3)):
                screen.state.feed(
                    "Offline-performance", {"event": "power", "watts": watts, "t": float(t)}
                )
            screen.redraw()
            await pilot.pause()

        assert snap_compare(self._app(), terminal_size=MONITOR, run_before=powered)

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


def some_findings() -> list[CheckResult]:
    return [
        CheckResult("results.invalid", "error", "open/Q/results/s/resnet50/Offline",
                    "LoadGen marked the Offline run INVALID", "raise target_qps and rerun"),
        CheckResult("execution.test", "warning", "open/Q/src/README.md",
                    "built from test execution", "set execution: valid"),
        CheckResult("assets.synthetic", "notice", "open/Q/systems/s.json",
                    "synthetic stand-ins: not submittable", "point the profile at real assets"),
    ]  # fmt: skip


async def built(pilot: Pilot[None]) -> None:
    """The package is built and validated: the findings are listed under the table."""
    screen = pilot.app.screen
    assert isinstance(screen, ResultsScreen)
    out = Path("results/20260101-120000/submission")
    screen._built(out, Path("results/20260101-120000/submission.tar.gz"), some_findings())
    await pilot.pause()


class TestResultsSnapshots:
    def test_results_table(self, snap_compare: Any) -> None:
        assert snap_compare(ResultsApp(), terminal_size=WIDE)

    def test_validation_grouped_by_severity(self, snap_compare: Any) -> None:
        assert snap_compare(ResultsApp(), terminal_size=WIDE, run_before=built)

    def test_results_80x24(self, snap_compare: Any) -> None:
        """Every column inside 80 columns; a long metric wraps; the folder keys in the footer."""
        assert snap_compare(ResultsApp(), terminal_size=MONITOR, run_before=built)


class TestChecklistSnapshots:
    @staticmethod
    def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlperfTuiApp:
        monkeypatch.chdir(tmp_path)
        Path("package").mkdir()
        failing = [
            CheckResult("system.empty", "error", "open/Q/systems/s.json",
                        "status is empty", "answer status"),
        ]  # fmt: skip
        return MlperfTuiApp("checklist", package=Path("package"), validator=lambda _p: failing)

    @staticmethod
    async def one_answer(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

    def test_checklist(
        self, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = self._app(tmp_path, monkeypatch)
        assert snap_compare(app, terminal_size=WIDE, run_before=self.one_answer)

    def test_checklist_80x24(
        self, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The item titles wrap inside 80 columns; the item being answered stays in sight."""
        app = self._app(tmp_path, monkeypatch)
        assert snap_compare(app, terminal_size=MONITOR, run_before=self.one_answer)


class TestCompareSnapshots:
    """A recorded sweep (batch x threads) side by side: the metric against the batch size at
    100x30; the overlaid latency histograms at 80x24, where the table and the plot share 24 rows."""

    @staticmethod
    def _app() -> MlperfTuiApp:
        from mlperf_tui.compare import load_comparison

        sweep = Path(__file__).parent / "fixtures" / "compare" / "compare-sweep"
        return MlperfTuiApp("compare", comparison=load_comparison([str(sweep)]))

    def test_compare_100x30(self, snap_compare: Any) -> None:
        assert snap_compare(self._app(), terminal_size=WIDE)

    def test_compare_latency_80x24(self, snap_compare: Any) -> None:
        assert snap_compare(self._app(), terminal_size=MONITOR, press=["2"])
