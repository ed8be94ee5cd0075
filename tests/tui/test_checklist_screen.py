"""The checklist review confirms manual items one by one and resumes where it stopped."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from mlperf_tui.checklist import AUTO_ITEMS, MANUAL_ITEMS, checklist_path, load_checklist
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.checklist import ChecklistScreen


def no_findings(_: Path) -> list[object]:
    return []


async def review(package: Path, keys: list[str]) -> tuple[str | None, str, str]:
    """Press ``keys`` in a review; (current item, its text, the progress line) at the end."""
    app = MlperfTuiApp("checklist", package=package, validator=no_findings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        item = str(screen.query_one("#checklist-item", Static).render())
        progress = str(screen.query_one("#checklist-progress", Static).render())
        return screen.current, item, progress


async def test_a_half_confirmed_checklist_resumes(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    current, _, _ = await review(package, ["y", "n"])
    saved = json.loads(checklist_path(package).read_text())["answers"]
    assert saved[MANUAL_ITEMS[0].id]["state"] == "confirmed"
    assert saved[MANUAL_ITEMS[1].id]["state"] == "declined"
    assert current == MANUAL_ITEMS[2].id

    current, shown, progress = await review(package, [])
    assert current == MANUAL_ITEMS[2].id  # resumed at the first pending item
    assert MANUAL_ITEMS[2].title in shown
    assert progress.startswith(f"{len(AUTO_ITEMS) + 1} of ")  # autos pass, one confirmed

    rest = len(MANUAL_ITEMS) - 2
    current, _, progress = await review(package, ["y"] * rest)
    assert current is None
    checklist = load_checklist(package, validator=no_findings)
    assert [i.state for i in checklist.items if i.kind == "manual"] == (
        ["confirmed", "declined"] + ["confirmed"] * rest
    )
    assert not checklist.complete  # one item was declined
    assert "not ready yet" in progress


async def test_a_note_is_kept_with_the_answer(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    await review(package, ["tab", *"MIT", "enter"])
    saved = json.loads(checklist_path(package).read_text())["answers"]
    assert saved[MANUAL_ITEMS[0].id]["note"] == "MIT"


async def test_m_exports_markdown_beside_the_package_never_over_an_earlier_one(
    tmp_path: Path,
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    app = MlperfTuiApp("checklist", package=package, validator=no_findings)
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
        await pilot.press("y")  # the first manual item, confirmed
        await pilot.press("m")
        await pilot.pause()
        first = tmp_path / "package.checklist.md"
        first.write_text("edited by hand")
        await pilot.press("m")
        await pilot.pause()
    second = tmp_path / "package.checklist-2.md"
    assert notes == [f"Exported the checklist to {first}", f"Exported the checklist to {second}"]
    assert first.read_text() == "edited by hand"
    text = second.read_text()
    assert text.startswith("# Submission checklist: package\n")
    assert f"| confirmed | {MANUAL_ITEMS[0].title} |" in text
    assert f"| pending | {MANUAL_ITEMS[1].title} |" in text
    assert not list(package.rglob("*.md"))


async def test_an_answer_that_cannot_be_saved_is_said_and_nothing_is_lost(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    app = MlperfTuiApp("checklist", package=package, validator=no_findings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChecklistScreen)
        first = screen.current
        # the answers file breaks while the review is open (another editor, a bad copy)
        broken = '{"answers": {'
        checklist_path(package).write_text(broken)
        await pilot.press("y")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("The answer is not saved:") for m in messages), messages
        assert screen.current == first  # still to answer, once the file is repaired
        assert checklist_path(package).read_text() == broken  # the file is not replaced
