"""The settings step offers only the execution providers that load on the machine, and says why
the others are not offered: under the question for one onnxruntime lists but cannot load, and
in the help key's text for all of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import RadioButton, RadioSet, Static

from mlperf_tui.system import FrozenProbe, ProviderTrial
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.help import HelpScreen
from mlperf_tui.tui.screens.wizard import StepScreen

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


@pytest.fixture
def cuda_without_cudnn(monkeypatch: pytest.MonkeyPatch, _frozen_hardware: FrozenProbe) -> None:
    """The frozen machine with onnxruntime-gpu, whose CUDA provider falls back to the CPU."""
    import mlperf_tui.system as system
    from mlperf_tui.system.detection import detect

    trial = ProviderTrial(CUDA, session_providers=(CPU,), missing=("libcudnn.so.9",))
    probe = _frozen_hardware
    probe._packages = {"onnxruntime-gpu": "1.20.1"}
    probe._providers = [CUDA, CPU]
    probe._trials = {CUDA: trial}
    monkeypatch.setattr(system, "detect", lambda p=None: detect(probe))


@pytest.mark.usefixtures("cuda_without_cudnn")
async def test_settings_offer_only_what_loads_and_say_why(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.ctx.providers_here == (CPU,)
        app.show_step("settings")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "settings"
        field = app.screen.query_one("#q-execution_provider")
        offered = [str(b.label) for b in field.query(RadioButton)]  # few choices: radio buttons
        assert offered == [CPU]
        shown = str(field.query_one(".question-help", Static).render())
        assert f"{CUDA} does not load here: the dynamic loader cannot load libcudnn.so.9" in shown
        field.query_one(RadioSet).focus()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        assert "Not offered, as they do not load here:" in text
        assert "OpenVINOExecutionProvider: the installed onnxruntime 1.20.1" in text
