"""A first-time submitter's paths through the wizard, keyboard only, one per benchmark group:
built in (bert-99, found by typing), through a serving engine (llama3.1-8b), and import of
another harness's logs (rgat); and the help key."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from mlperf_tui.profile import load_profile
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.screens.help import HelpScreen
from mlperf_tui.tui.screens.wizard import StepScreen

SIZE = (80, 24)


def step_id(app: MlperfTuiApp) -> str:
    assert isinstance(app.screen, StepScreen), app.screen
    return app.screen.step.id


async def _next(pilot, app: MlperfTuiApp, expected: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert step_id(app) == expected, app.screen.query_one("#step-problems", Static).render()


async def _choose_datacenter(pilot, app: MlperfTuiApp) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("tab")  # round (a drop-down) -> the category radio set
    await pilot.press("down", "enter")
    await pilot.pause()
    assert app.answers["category"] == "datacenter"


async def _find(pilot, app: MlperfTuiApp, typed: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    """Type into the benchmark list's filter: the first match becomes the answer."""
    assert isinstance(app.focused, Input)  # the filter has the focus when the step opens
    await pilot.press(*typed)
    await pilot.pause()
    assert app.answers["benchmark"] == expected
    options = app.screen.query_one(OptionList)
    shown = [options.get_option_at_index(i).id for i in range(options.option_count)]
    assert expected in shown and all(s is None or typed in s for s in shown)


async def _save(pilot, app: MlperfTuiApp, path: Path) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one("#q-save_path Input", Input).value = str(path)
    await pilot.pause()
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmScreen)  # "run it now?"
    await pilot.press("n")
    await pilot.pause()


async def test_built_in_find_bert_by_typing_and_save(profiles_dir: Path, tmp_path: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _next(pilot, app, "round")  # v6.1 and edge are the defaults
        await _next(pilot, app, "benchmark")
        await _find(pilot, app, "bert-99", "bert-99")
        assert app.answers["harness"] == "builtin"
        await _next(pilot, app, "division")
        await _next(pilot, app, "hardware")
        await _next(pilot, app, "scenarios")
        await _next(pilot, app, "assets")
        await _next(pilot, app, "settings")
        await _next(pilot, app, "power")  # no power measurement: the default
        await _next(pilot, app, "review")
        await _save(pilot, app, tmp_path / "bert.yaml")
    profile = load_profile(tmp_path / "bert.yaml")
    assert profile.benchmark == "bert-99" and profile.harness == "builtin"
    assert profile.require_assets().model.kind is not None


@pytest.mark.slow  # 8 s: make test stays under ten minutes on two cores
async def test_engine_path_to_an_endpoint_profile(profiles_dir: Path, tmp_path: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _next(pilot, app, "round")
        await _choose_datacenter(pilot, app)
        await _next(pilot, app, "benchmark")
        await _find(pilot, app, "llama3.1-8b", "llama3.1-8b")
        assert app.answers["harness"] == "endpoint"  # an LLM: its engine serves it
        await _next(pilot, app, "division")
        await _next(pilot, app, "hardware")
        await _next(pilot, app, "scenarios")
        await _next(pilot, app, "engine")  # the engine first, then what it serves
        await pilot.press("tab", "tab", *"tiny-llama")  # URL kept -> its field's button? no: model
        await pilot.pause()
        if app.answers.get("endpoint_model") != "tiny-llama":
            app.screen.query_one("#q-endpoint_model Input", Input).value = "tiny-llama"
            await pilot.pause()
        await _next(pilot, app, "assets")  # the served model's folder and the prompts
        await _next(pilot, app, "settings")
        await _next(pilot, app, "power")  # no power measurement: the default
        await _next(pilot, app, "review")
        await _save(pilot, app, tmp_path / "llm.yaml")
    profile = load_profile(tmp_path / "llm.yaml")
    assert profile.harness == "endpoint" and profile.endpoint is not None
    assert profile.endpoint.model == "tiny-llama"
    assert profile.assets is not None and profile.assets.model.kind == "tiny-engine"
    assert profile.endpoint.url == "http://127.0.0.1:8000/v1"


async def test_import_path_to_an_import_profile(profiles_dir: Path, tmp_path: Path) -> None:
    logs = tmp_path / "vendor-logs"
    logs.mkdir()
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _next(pilot, app, "round")
        await _choose_datacenter(pilot, app)
        await _next(pilot, app, "benchmark")
        await _find(pilot, app, "rgat", "rgat")
        assert app.answers["harness"] == "import"
        await _next(pilot, app, "division")
        await _next(pilot, app, "hardware")
        await _next(pilot, app, "scenarios")
        await _next(pilot, app, "import")
        app.screen.query_one("#q-import_from Input", Input).value = str(logs)
        await pilot.pause()
        await _next(pilot, app, "settings")
        await _next(pilot, app, "review")
        await _save(pilot, app, tmp_path / "imported.yaml")
    profile = load_profile(tmp_path / "imported.yaml")
    assert profile.harness == "import" and profile.import_from == str(logs)


async def test_f1_explains_the_focused_field(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _next(pilot, app, "round")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        assert "Rule:" in text and "MODEL_CONFIG" in text
        assert "benchmarks" in text  # each round's choice says how many it has
        await pilot.press("escape")
        await pilot.pause()
        assert step_id(app) == "round"
        # the footer names the help key
        footer = " ".join(str(w.render()) for w in app.screen.query("FooterKey"))
        assert "Help" in footer


async def test_typing_in_the_list_goes_to_the_filter(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _next(pilot, app, "round")
        await _next(pilot, app, "benchmark")
        app.screen.query_one(OptionList).focus()
        await pilot.press(*"3d")
        await pilot.pause()
        assert isinstance(app.focused, Input) and app.focused.value == "3d"
        assert app.answers["benchmark"] == "3d-unet-99"
        await pilot.press(*"zzz")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.option_count == 1 and options.get_option_at_index(0).disabled
