"""The command palette's "Screenshot" saves the screen where the user will look for it.

Textual's own delivery writes into the desktop's Downloads folder (platformdirs), which a
server has not got: the palette then said only "Failed to save screenshot". The app saves
into the results folder the screen shows (or beside the package), else the working folder,
and says where, or why not and where it tried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_results_screen import ResultsOnly, results_in
from textual.app import SystemCommand

from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.checklist import ChecklistScreen


def palette_screenshot(app: MlperfTuiApp) -> SystemCommand:
    """The palette's own "Screenshot" command, as the user picks it."""
    commands = {c.title: c for c in app.get_system_commands(app.screen)}
    return commands["Screenshot"]


async def take(app: Any, pilot: Any) -> None:
    palette_screenshot(app).callback()
    await pilot.pause(0.3)  # the palette saves after a 0.1 s timer


async def test_the_palette_screenshot_goes_into_the_results_folder(tmp_path: Path) -> None:
    folder = tmp_path / "results" / "20260101-120000"
    app = ResultsOnly(results_in(folder))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await take(app, pilot)
        await take(app, pilot)  # a second one never replaces the first
    shots = sorted(folder.glob("mlperf-tui-*.svg"))
    assert len(shots) == 2, app.notes
    assert all("Results and package" in s.read_text().replace("&#160;", " ") for s in shots)
    saved = [m for m, severity in app.notes if m.startswith("Saved ")]
    assert [f"Saved {s}" for s in shots] == sorted(saved)


async def test_the_checklist_screenshot_goes_beside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    package = tmp_path / "results" / "package"
    package.mkdir(parents=True)
    app = MlperfTuiApp("checklist", package=Path("results/package"), validator=lambda _p: [])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)
        app.action_screenshot()
        await pilot.pause()
    assert len(list((tmp_path / "results").glob("mlperf-tui-*.svg"))) == 1
    assert not list(package.rglob("*.svg"))  # never inside the tree the checker reads


async def test_without_a_results_folder_it_goes_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = ResultsOnly(None)  # type: ignore[arg-type]  # a run that left no results
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await take(app, pilot)
    (shot,) = tmp_path.glob("mlperf-tui-*.svg")
    assert app.notes == [(f"Saved {shot}", "information")]


async def test_a_failure_says_why_and_where_it_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = [tmp_path / "deleted-results", tmp_path / "deleted-cwd"]
    app = ResultsOnly(None)  # type: ignore[arg-type]
    monkeypatch.setattr(app, "screenshot_folders", lambda: gone)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await take(app, pilot)
    (message, severity), *_ = app.notes
    assert severity == "error"
    assert message.startswith("Not saved: ")
    for folder in gone:
        assert str(folder / "mlperf-tui-") in message
    assert "No such file or directory" in message and "fix:" in message
    assert "Failed to save screenshot" not in message
