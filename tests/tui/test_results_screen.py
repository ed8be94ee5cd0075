"""The results screen opens the package folder and copies its path, and says what it did."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.events import Mount
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from mlperf_tui.run import ResultsSet, RunResult
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.results import ResultsScreen

APP_CSS = Path(__file__).parents[2] / "mlperf_tui" / "tui" / "app.tcss"


def results_in(folder: Path) -> ResultsSet:
    folder.mkdir(parents=True, exist_ok=True)
    run = RunResult("Offline-performance", "resnet50", "Offline", "performance", None, "ok",
                    folder / "runs/a", valid=True, metric_name="samples_per_second",
                    metric_value=812.5, metric_unit="samples/s")  # fmt: skip
    return ResultsSet(folder, [run], complete=True, execution="test", synthetic=True)


class ResultsOnly(MlperfTuiApp):
    """The app with just the results screen of ``results``; notifications are recorded."""

    CSS_PATH = APP_CSS

    def __init__(self, results: ResultsSet, out: Path | None = None) -> None:
        super().__init__()
        self.results = results
        self.out = out
        self.notes: list[tuple[str, str]] = []

    def on_mount(self, event: Mount) -> None:
        event.prevent_default()  # not the app's own start (the wizard)
        self.push_screen(ResultsScreen(self.results, out=self.out))

    def notify(self, message: str, **kwargs: Any) -> None:
        self.notes.append((message, str(kwargs.get("severity", "information"))))
        super().notify(message, **kwargs)


async def press(app: ResultsOnly, key: str, package: Path | None = None) -> list[tuple[str, str]]:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        if package is not None:
            screen.package = package  # as a finished build leaves it
        await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()
        return app.notes


async def test_the_footer_shows_the_folder_keys(tmp_path: Path) -> None:
    app = ResultsOnly(results_in(tmp_path / "results"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = {k.key: k.description for k in app.screen.query_one(Footer).query(FooterKey)}
    assert keys["o"] == "Open folder" and keys["c"] == "Copy path"
    assert keys["b"] == "Build package" and keys["k"] == "Checklist"


@pytest.mark.parametrize("key", ["o", "c"])
async def test_without_a_package_the_keys_say_build_it_first(tmp_path: Path, key: str) -> None:
    app = ResultsOnly(results_in(tmp_path / "results"), out=tmp_path / "not-yet")
    notes = await press(app, key)
    assert any("build it first (b)" in m and str(tmp_path / "not-yet") in m for m, _ in notes)
    assert app.clipboard == ""


async def test_copy_puts_the_package_path_on_the_clipboard(tmp_path: Path) -> None:
    package = tmp_path / "results" / "package"
    package.mkdir(parents=True)
    app = ResultsOnly(results_in(tmp_path / "results"))
    notes = await press(app, "c", package)
    assert app.clipboard == str(package.resolve())
    assert any(m.startswith(f"Copied the package path: {package.resolve()}") for m, _ in notes)


async def test_open_without_a_desktop_says_so_and_gives_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    package = tmp_path / "results" / "package"
    package.mkdir(parents=True)
    notes = await press(ResultsOnly(results_in(tmp_path / "results")), "o", package)
    (message, severity), *_ = notes
    assert severity == "warning"
    assert "Cannot open a folder here: no desktop session here (DISPLAY" in message
    assert str(package.resolve()) in message and "c copies its path" in message


@pytest.mark.skipif(sys.platform != "linux", reason="a fake xdg-open on PATH")
async def test_open_runs_xdg_open_on_the_package_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, called = tmp_path / "bin", tmp_path / "xdg-open.args"
    bin_dir.mkdir()
    fake = bin_dir / "xdg-open"
    fake.write_text(f'#!/bin/sh\necho "$@" > "{called}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":0")
    package = tmp_path / "results" / "package"
    package.mkdir(parents=True)
    notes = await press(ResultsOnly(results_in(tmp_path / "results")), "o", package)
    assert called.read_text().strip() == str(package.resolve())
    assert notes == [(f"Opened {package.resolve()} with xdg-open", "information")]


@pytest.mark.skipif(sys.platform != "linux", reason="a fake xdg-open on PATH")
async def test_a_failing_opener_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "xdg-open"
    fake.write_text("#!/bin/sh\necho 'xdg-open: no method available' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":0")
    package = tmp_path / "results" / "package"
    package.mkdir(parents=True)
    notes = await press(ResultsOnly(results_in(tmp_path / "results")), "o", package)
    (message, severity), *_ = notes
    assert severity == "warning"
    assert "xdg-open did not open it: xdg-open: no method available" in message
