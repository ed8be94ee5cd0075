"""The wizard's power step in the Textual front end: off by default, its fields once power is
chosen, "Check director" in a worker (a closed port: the error and its fix; the official power
server from the reference copy with the fake PTDaemon: its protocol and clock), bad values
inline, and the power: block in the saved YAML."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from mlperf_tui.profile import load_profile
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.screens.wizard import StepScreen

SIZE = (80, 24)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def power_screen(app: MlperfTuiApp) -> StepScreen:
    screen = app.screen
    assert isinstance(screen, StepScreen) and screen.step.id == "power", screen
    return screen


async def choose_power(pilot: Pilot[None], app: MlperfTuiApp, **fields: str) -> StepScreen:
    """Open the power step, choose to measure (keyboard) and fill the fields."""
    app.show_step("power")
    await pilot.pause()
    screen = power_screen(app)
    await pilot.press("down", "enter")  # the radio set has the focus: "Measure power"
    await pilot.pause()
    assert app.answers["power"] == "measure"
    for key, value in fields.items():
        screen.query_one(f"#q-power_{key} Input", Input).value = value
    await pilot.pause()
    return screen


async def check_director(pilot: Pilot[None], screen: StepScreen) -> str:
    screen.query_one("#check-director", Button).press()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return str(screen.query_one("#power-checks", Static).render())


@pytest.mark.slow  # 2.5 s; the core's tests (tests/unit/test_power_step.py) run in make test
async def test_power_is_off_and_its_fields_appear_once_chosen(profiles_dir: Path) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        app.show_step("power")
        await pilot.pause()
        screen = power_screen(app)
        assert not screen.query_one("#q-power_director").display
        assert not screen.query_one("#check-director").display
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.query_one("#q-power_director").display
        assert screen.query_one("#check-director").display
        await pilot.press("up", "enter")  # off again
        await pilot.pause()
        assert not screen.query_one("#q-power_director").display
        await pilot.press("ctrl+n")  # off: nothing to answer
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "review"


async def test_check_director_on_a_closed_port_shows_the_error_and_its_fix(
    profiles_dir: Path, tmp_path: Path
) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        port = free_port()
        screen = await choose_power(
            pilot,
            app,
            director="127.0.0.1",
            port=str(port),
            checkout=str(tmp_path / "no-power-dev"),
            ntp="127.0.0.1",
        )
        text = await check_director(pilot, screen)
        assert f"✗ director: nothing listens on 127.0.0.1:{port}" in text
        assert "(fix: start the power server on the director" in text
        assert "✗ checkout:" in text and "does not exist" in text
        assert not screen.query_one("#check-director", Button).disabled  # ready to ask again
        # a failed check does not hold the step: the director may be started later
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.step.id == "review"


@pytest.mark.slow  # 3 s; the core's tests (tests/unit/test_power_step.py) run in make test
async def test_bad_values_are_shown_inline_and_the_yaml_has_the_power_block(
    profiles_dir: Path, tmp_path: Path
) -> None:
    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose_power(
            pilot,
            app,
            director="director.lab",
            port="70000",
            checkout="/opt/power-dev",
            ntp="ntp.lab",
            channel="1;2",
            max_amps="2.5",
        )
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen  # the step stays, and says why
        problems = str(screen.query_one("#step-problems", Static).render())
        assert "✗ Power server port: " in problems and "65535" in problems
        assert "✗ Analyser channel: " in problems and "(fix: one number, or two" in problems
        screen.query_one("#q-power_port Input", Input).value = "4951"
        screen.query_one("#q-power_channel Input", Input).value = "1,2"
        await pilot.pause()
        assert str(screen.query_one("#step-problems", Static).render()) == ""
        await pilot.press("ctrl+n")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, StepScreen) and review.step.id == "review"
        review.query_one("#q-save_path Input", Input).value = str(tmp_path / "power.yaml")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # "run it now?"
        await pilot.press("n")
        await pilot.pause()
    text = (tmp_path / "power.yaml").read_text()
    assert (
        "\npower:\n  director: director.lab\n  port: 4951\n  checkout: /opt/power-dev\n"
        "  ntp: ntp.lab\n  max_amps: 2.5\n  max_volts: 0.0\n  channel: 1,2\n" in text
    )
    power = load_profile(tmp_path / "power.yaml").power
    assert power is not None and power.channel == "1,2" and power.live_log is None


# -- against the official power server (reference copy) with the fake PTDaemon -------------------


@pytest.fixture
def official_server(tmp_path: Path) -> Iterator[int]:
    """The official power server of the reference copy with the fake PTDaemon; its port."""
    from tests.fixtures.power.chain import fake_ntp_or_skip, start_server

    ntp = fake_ntp_or_skip()  # the server syncs with NTP before it listens
    try:
        server = start_server(tmp_path / "director")
        try:
            yield server.port
        finally:
            server.stop()
    finally:
        ntp.stop()


@pytest.mark.slow  # the official server takes seconds to start
async def test_check_director_against_the_official_server(
    profiles_dir: Path, official_server: int
) -> None:
    from tests.fixtures.reference_copy import power_dev_root

    app = MlperfTuiApp(profiles_dir=profiles_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose_power(
            pilot,
            app,
            director="127.0.0.1",
            port=str(official_server),
            checkout=str(power_dev_root()),
            ntp="127.0.0.1",
        )
        text = await check_director(pilot, screen)
    assert f"✓ checkout: {power_dev_root()} is a power-dev checkout" in text
    assert (
        f"✓ director: MLPerf power server (protocol v3) at 127.0.0.1:{official_server}; "
        "clock offset " in text
    )
    assert "✗" not in text  # the clocks agree (one machine)
