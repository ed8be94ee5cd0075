"""The hardware step's "Machines" in the Textual front end: one machine by default, the Ray
fields and "Check machines" once Ray is chosen, the check in a worker (a dead address: the
error and its fix; a real HTTP SUT service on 127.0.0.1: its node), bad nodes inline, and the
saved YAML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, RadioSet, Static

from mlperf_tui.profile import load_profile
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.screens.wizard import StepScreen
from tests.fixtures.fake_sut_service import fake_sut_service, free_port

SIZE = (80, 24)
WIDE = (100, 30)


@pytest.fixture
def sut_service() -> Iterator[str]:
    """One SUT service on 127.0.0.1 answering as mlperf-tui serve does; its URL."""
    with fake_sut_service() as url:
        yield url


def hardware_screen(app: MlperfTuiApp) -> StepScreen:
    screen = app.screen
    assert isinstance(screen, StepScreen) and screen.step.id == "hardware", screen
    return screen


async def choose_ray(pilot: Pilot[None], app: MlperfTuiApp, **fields: str) -> StepScreen:
    """Open the hardware step, choose a Ray cluster (keyboard) and fill the fields."""
    app.show_step("hardware")
    await pilot.pause()
    screen = hardware_screen(app)
    screen.query_one("#q-machines RadioSet", RadioSet).focus()
    await pilot.press("down", "enter")  # "A Ray cluster"
    await pilot.pause()
    assert app.answers["machines"] == "ray"
    for key, value in fields.items():
        screen.query_one(f"#q-ray_{key} Input", Input).value = value
    await pilot.pause()
    return screen


async def check_machines(pilot: Pilot[None], screen: StepScreen) -> str:
    screen.query_one("#check-machines", Button).press()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return str(screen.query_one("#machine-checks", Static).render())


@pytest.mark.slow  # 1.5 s; the core's tests (tests/unit/test_machines_step.py) run in make test
async def test_one_machine_by_default_and_the_ray_fields_once_chosen(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.show_step("hardware")
        await pilot.pause()
        screen = hardware_screen(app)
        assert screen.query_one("#q-machines").display
        assert not screen.query_one("#q-ray_address").display
        assert not screen.query_one("#q-network_nodes").display
        assert not screen.query_one("#check-machines").display
        screen.query_one("#q-machines RadioSet", RadioSet).focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        for key in ("ray_address", "ray_replicas", "ray_num_cpus", "ray_num_gpus"):
            assert screen.query_one(f"#q-{key}").display, key
        assert screen.query_one("#check-machines").display
        assert screen.query_one("#q-ray_address Input", Input).value == "local"
        await pilot.press("up", "enter")  # one machine again
        await pilot.pause()
        assert not screen.query_one("#q-ray_address").display
        assert not screen.query_one("#check-machines").display


@pytest.mark.slow  # 2 s; the core's tests (tests/unit/test_machines_step.py) run in make test
async def test_check_machines_at_a_dead_address_shows_the_error_and_its_fix(
    profiles_dir: Path,
) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        port = free_port()
        screen = await choose_ray(pilot, app, address=f"127.0.0.1:{port}")
        text = await check_machines(pilot, screen)
        assert (
            f"✗ Ray cluster: cannot reach the Ray cluster's head at "
            f"127.0.0.1:{port}: the connection was refused" in text
        )
        assert "(fix: start it there" in text
        assert not screen.query_one("#check-machines", Button).disabled  # ready to ask again
        # a failed check does not hold the step: the cluster may be started later
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "scenarios"


@pytest.mark.slow  # 2 s; the core's tests (tests/unit/test_machines_step.py) run in make test
async def test_the_network_division_checks_its_node_and_refuses_bad_ones_inline(
    profiles_dir: Path, tmp_path: Path, sut_service: str
) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        # the network division is the datacenter suite's (of the built-in benchmarks, 3D-UNet
        # in v6.1), held to the closed rules
        app.answers.update(
            division="network",
            benchmark="3d-unet-99",
            category="datacenter",
            scenarios=["Offline"],
            model_kind="tiny-3d-unet",
            dataset_count=6,
            batch_size=1,
        )
        app.show_step("hardware")
        await pilot.pause()
        screen = hardware_screen(app)
        assert app.answers["machines"] == "network"  # the division's only choice
        assert screen.query_one("#check-machines").display
        nodes = screen.query_one("#q-network_nodes Input", Input)
        nodes.value = f"{sut_service}, {sut_service}"
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen  # the step stays, and says why
        problems = str(screen.query_one("#step-problems", Static).render())
        assert f"✗ SUT nodes: {sut_service} is listed twice" in problems
        assert "(fix: list each node's service as http://HOST:PORT" in problems
        nodes.value = sut_service
        screen.query_one("#q-system-network_type Input", Input).value = "Ethernet"
        await pilot.pause()
        assert str(screen.query_one("#step-problems", Static).render()) == ""
        text = await check_machines(pilot, screen)
        assert text.splitlines() == [
            '✓ SUT nodes: 1 SUT node of "x Network SUT"',
            f"  {sut_service}: imagenet_classification; onnxruntime; Test CPU",
        ]
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "scenarios"
        app.answers["save_path"] = str(tmp_path / "network.yaml")
        app.show_step("review")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # "run it now?"
        await pilot.press("n")
        await pilot.pause()
    text = (tmp_path / "network.yaml").read_text()
    assert f"\nnetwork:\n  nodes: ['{sut_service}']\n  dispatch: least_loaded\n" in text
    profile = load_profile(tmp_path / "network.yaml")
    assert profile.division.value == "network" and profile.backend.name == "onnxruntime"
    assert profile.system["network_type"] == "Ethernet"


@pytest.mark.slow  # 2 s
def test_ray_chosen_and_checked_snapshot(snap_compare: Any, tmp_path: Path) -> None:
    """Ray chosen, three replicas, Check machines run: nothing listens on port 1 (the error
    and its fix)."""

    async def ray(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, MlperfTuiApp)
        app.answers.update({"machines": "ray", "ray_address": "127.0.0.1:1", "ray_replicas": 3})
        app.show_step("hardware")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#check-machines", Button).press()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = MlperfTuiApp(profiles_dir=Path("profiles"))
    assert snap_compare(app, terminal_size=WIDE, run_before=ray)
