"""Drive the Textual wizard with the keyboard, from start to a saved profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlperf_tui import cli, wizard
from mlperf_tui.profile import default_profile, dump_profile, load_profile
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.messages import AnswerChanged, BrowseRequested
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.screens.wizard import StepScreen

SIZE = (100, 30)


async def test_default_answers_give_the_quickstart_profile(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    steps = wizard.steps_for(wizard.default_answers())
    async with app.run_test(size=SIZE) as pilot:
        visited = []
        for _ in steps[:-1]:
            await pilot.pause()
            assert isinstance(app.screen, StepScreen)
            visited.append(app.screen.step.id)
            await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen)
        assert app.screen.step.id == "review"
        visited.append("review")
        await pilot.press("ctrl+n")  # save
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # "run it now?"
        await pilot.press("n")
        await pilot.pause()
    assert visited == list(steps)
    saved = profiles_dir / "my-profile.yaml"
    assert app.saved_profile == saved
    assert saved.read_text() == dump_profile(default_profile())
    assert load_profile(saved) == default_profile()
    quickstart = Path(__file__).parents[2] / "profiles" / "quickstart.yaml"
    if quickstart.is_file():  # the embedded default, byte for byte
        assert saved.read_text() == quickstart.read_text()
    assert cli.main(["profile", "check", str(saved)]) == 0


@pytest.mark.slow  # 8 s: make test stays under ten minutes on two cores
async def test_both_front_ends_write_the_same_bytes_for_the_same_answers(
    profiles_dir: Path, tmp_path: Path
) -> None:
    """Keyboard only: submitter ACME, closed division; the plain prompts get the same answers."""
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):  # start -> round -> benchmark -> division
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "division"
        await pilot.press("down", "enter")  # the division radio set: closed
        await pilot.pause()
        assert app.answers["division"] == "closed"
        await pilot.press("ctrl+n")  # -> hardware; the submitter input has the focus
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "hardware"
        await pilot.press("end", *["backspace"] * len("Quickstart"), *"ACME")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "scenarios"
        # closed pre-selects every scenario the rules require
        assert app.answers["scenarios"] == ["SingleStream", "MultiStream", "Offline"]
        await pilot.press("escape")  # back, and forward again: the answers stay
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "hardware"
        for _ in range(5):  # scenarios, assets, settings, power, review
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "review"
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("n")  # do not run now
        await pilot.pause()
    tui_text = (profiles_dir / "my-profile.yaml").read_text()

    from mlperf_tui.plain import MappingAsker, run_plain

    saved = run_plain(
        MappingAsker({"submitter": "ACME", "division": "closed"}),
        profiles_dir=tmp_path / "plain",
        echo=lambda _s: None,
    )
    assert saved.read_text() == tui_text
    profile = load_profile(saved)
    assert profile.submitter == "ACME" and profile.division.value == "closed"


async def test_saving_over_an_existing_file_asks_first(profiles_dir: Path) -> None:
    target = profiles_dir / "my-profile.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("# mine\n")
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.show_step("review")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Overwrite" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "# mine\n"
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("y")  # overwrite
        await pilot.pause()
        await pilot.press("n")  # not run now
        await pilot.pause()
    assert target.read_text() == dump_profile(default_profile())


async def test_a_bad_answer_keeps_the_step_and_says_why(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.show_step("settings")
        await pilot.pause()
        app.answers["batch_size"] = "0"
        await pilot.press("ctrl+n")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StepScreen) and screen.step.id == "settings"
        from textual.widgets import Static

        assert "batch_size" in str(screen.query_one("#step-problems", Static).render())


async def test_open_a_saved_profile_and_change_it(profiles_dir: Path, tmp_path: Path) -> None:
    answers = wizard.default_answers()
    answers.update({"submitter": "Opened", "batch_size": 8})
    source = wizard.save_answers(answers, tmp_path / "mine.yaml")
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")  # "Open a saved profile"
        await pilot.pause()
        from textual.widgets import Input

        path_input = app.screen.query_one("#q-open_path Input", Input)
        assert app.screen.query_one("#q-open_path").display  # shown once "open" is chosen
        path_input.value = str(source)  # (typing a long temporary path key by key is slow)
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "round"
        assert app.answers["submitter"] == "Opened"
        assert app.answers["batch_size"] == 8


async def test_assets_are_checked_on_the_spot(profiles_dir: Path, tmp_path: Path) -> None:
    from textual.widgets import Static

    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.show_step("assets")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StepScreen)
        screen.post_message(AnswerChanged("model_source", "path"))
        screen.post_message(AnswerChanged("model_path", str(tmp_path / "nope.onnx")))
        text = ""
        for _ in range(100):
            await pilot.pause(0.05)
            text = str(screen.query_one("#asset-checks", Static).render())
            if "does not exist" in text:
                break
        assert "✗ model" in text and "does not exist" in text and "fix:" in text


async def test_the_picker_fills_the_path(profiles_dir: Path, tmp_path: Path) -> None:
    from textual.widgets import DirectoryTree, Input

    from mlperf_tui.tui.screens.wizard import PathPicker

    models = tmp_path / "models"
    models.mkdir()
    (models / "resnet50_v1.onnx").write_bytes(b"not really")
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.answers["model_source"] = "path"
        app.answers["model_path"] = str(models)
        app.show_step("assets")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StepScreen)
        screen.post_message(BrowseRequested("model_path"))
        await pilot.pause()
        assert isinstance(app.screen, PathPicker)
        tree = app.screen.query_one(DirectoryTree)
        tree.focus()
        for _ in range(50):  # the tree loads its folder in a worker
            await pilot.pause(0.02)
            if tree.root.children:
                break
        await pilot.press("down", "enter")  # the first entry is the .onnx file
        await pilot.pause()
        assert app.screen is screen
        field = screen.query_one("#q-model_path Input", Input)
        assert field.value == str(models / "resnet50_v1.onnx")
        assert app.answers["model_path"] == str(models / "resnet50_v1.onnx")


async def test_calibrate_shows_the_sweep_live_and_fills_the_settings_and_targets(
    profiles_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input, Static

    from mlperf_tui.wizard import checks

    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(checks, "CALIBRATE_POINT_SECONDS", 0.02)  # the real sweep, shorter
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.answers.update({"model_kind": "tiny", "dataset_count": 16})
        app.show_step("settings")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StepScreen)
        # every point of the sweep was shown as it was measured, in order
        points = [t for t in screen.calibration_progress if t.startswith("Tuning ")]
        total = int(points[0].split("/")[1].split(":")[0])
        assert [t.split(":")[0] for t in points] == [
            f"Tuning {i}/{total}" for i in range(1, total + 1)
        ]
        text = str(screen.query_one("#calibration", Static).render())
        assert "Chose" in text and "Offline:" in text
        offline = screen.query_one("#q-target-Offline Input", Input)
        assert float(offline.value) > 0
        assert float(app.answers["target.Offline"]) == float(offline.value)
        # the chosen settings are the backend answers, shown in their fields
        streams = screen.query_one("#q-streams Input", Input)
        assert int(streams.value) == int(app.answers["streams"]) >= 1
        assert int(screen.query_one("#q-batch_size Input", Input).value) == int(
            app.answers["batch_size"]
        )
