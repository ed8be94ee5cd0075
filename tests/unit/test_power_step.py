"""The wizard's power step without a user interface: off by default, its answers as the
profile's power: block (and back), bad values with the question and a fix, the "Check director"
action against real sockets, and the analyser read from a previous session's server.json."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlperf_tui import wizard
from mlperf_tui.plain import MappingAsker, run_plain
from mlperf_tui.power.director import CLIENT_MAGIC
from mlperf_tui.profile import default_profile, load_profile
from mlperf_tui.system import FrozenProbe, detect

POWER = {
    "power": "measure",
    "power_director": "director.lab",
    "power_port": "4951",
    "power_checkout": "/opt/power-dev",
    "power_ntp": "ntp.lab",
    "power_max_amps": "2.5",
    "power_max_volts": "",
    "power_channel": "1,2",
    "power_live_log": "",
}


@pytest.fixture
def ctx(tmp_path: Path) -> wizard.WizardContext:
    return wizard.WizardContext(system=detect(FrozenProbe()), profiles_dir=tmp_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def late_director() -> Iterator[int]:
    """A power server of protocol v3 whose clock is 5 s ahead (one connection, then done)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            reader = conn.makefile("rb")
            if reader.readline().strip() == CLIENT_MAGIC.encode():
                conn.sendall(b"mlcommons/power server v3\r\n")
                if reader.readline().strip() == b"time":
                    conn.sendall(f"{time.time() + 5.0}\r\n".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    listener.close()
    thread.join(timeout=5)


def test_power_is_off_by_default_and_asked_before_the_review(
    ctx: wizard.WizardContext,
) -> None:
    answers = wizard.default_answers()
    steps = wizard.steps_for(answers)
    assert steps[-2:] == ("power", "review")
    assert answers["power"] == "none"
    assert wizard.check_step("power", answers, ctx) == []
    assert wizard.build_profile(answers) == default_profile()
    # only the choice is asked while it is off
    asked = [q.key for q in wizard.step("power").questions(answers, ctx) if q.applies(answers)]
    assert asked == ["power"]
    # an import brings its own power logs: no power step
    answers.update({"category": "datacenter", "benchmark": "rgat", "harness": "import"})
    assert "power" not in wizard.steps_for(answers)


def test_the_step_explains_the_setup(ctx: wizard.WizardContext) -> None:
    infos = {i.title: i.text for i in wizard.step("power").info(wizard.default_answers(), ctx)}
    setup = infos["What a power result needs"]
    for words in ("analyser", "PTDaemon", "power server", "c4b3ad8", "NTP", "ranging", "twice"):
        assert words in setup
    assert "not submittable" in setup
    assert "first session" in infos["Analyser and PTDaemon"]


def test_the_answers_become_the_power_block_and_come_back(
    ctx: wizard.WizardContext, tmp_path: Path
) -> None:
    answers = wizard.default_answers()
    answers.update(POWER)
    assert wizard.check_step("power", answers, ctx) == []
    saved = wizard.save_answers(answers, tmp_path / "p.yaml")
    text = saved.read_text()
    assert "\npower:\n  director: director.lab\n  port: 4951\n  checkout: /opt/power-dev\n" in text
    power = load_profile(saved).power
    assert power is not None
    assert (power.ntp, power.max_amps, power.max_volts, power.channel, power.live_log) == (
        "ntp.lab",
        2.5,
        0.0,  # blank: found by the ranging run
        "1,2",
        None,
    )
    opened = wizard.open_profile(saved)
    assert {k: opened[k] for k in POWER} == {
        **POWER,
        "power_port": 4951,
        "power_max_amps": 2.5,
        "power_max_volts": None,
        "power_live_log": "",
    }
    # turned off again: no power block
    opened["power"] = "none"
    assert wizard.build_profile(opened).power is None


def test_bad_values_name_the_question_and_the_fix(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    answers.update({**POWER, "power_channel": "1;2", "power_port": "70000"})
    problems = wizard.check_step("power", answers, ctx)
    assert len(problems) == 2
    port, channel = problems
    assert port.startswith("Power server port: ") and "65535" in port and "fix: " in port
    assert channel.startswith("Analyser channel: ") and "'1;2'" in channel
    assert "fix: one number, or two separated by a comma" in channel
    answers.update({"power_director": "", "power_channel": "1"})
    assert wizard.check_step("power", answers, ctx)[0].startswith("Director address: ")
    answers.update({"power_director": "director.lab", "power_max_amps": "lots"})
    assert wizard.check_step("power", answers, ctx) == ["Max amps: 'lots' is not a number"]


def test_power_without_a_performance_run_is_refused_at_the_step(
    ctx: wizard.WizardContext,
) -> None:
    answers = wizard.default_answers()
    answers.update({**POWER, "modes": ["accuracy"]})
    (problem,) = wizard.check_step("power", answers, ctx)
    assert "no performance run" in problem and "fix:" in problem


def test_the_plain_prompts_write_the_same_block_and_check_the_director(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    answers = {**POWER, "power_director": "127.0.0.1", "power_port": str(port)}
    said: list[str] = []
    saved = run_plain(
        MappingAsker(answers), probe=FrozenProbe(), profiles_dir=tmp_path, echo=said.append
    )
    power = load_profile(saved).power
    assert power is not None and power.director == "127.0.0.1" and power.port == port
    # the step's Check director, said and not blocking: the profile is still written
    (line,) = [s for s in said if s.startswith("  ✗ director:")]
    assert f"nothing listens on 127.0.0.1:{port}" in line and "fix: start the power server" in line


def test_check_director_on_a_closed_port_says_start_the_server(tmp_path: Path) -> None:
    answers = {**POWER, "power_director": "127.0.0.1", "power_port": str(free_port())}
    answers["power_checkout"] = str(tmp_path / "no-power-dev")
    checkout, director = wizard.check_power(answers, tmp_path, timeout_s=2)
    assert (checkout.what, checkout.ok) == ("checkout", False)
    assert "does not exist" in checkout.message and "power-dev" in checkout.fix
    assert (director.what, director.ok) == ("director", False)
    assert "nothing listens on 127.0.0.1:" in director.message
    assert "start the power server" in director.fix


def test_check_director_sees_clocks_apart(tmp_path: Path, late_director: int) -> None:
    answers = {**POWER, "power_director": "127.0.0.1", "power_port": str(late_director)}
    _checkout, director, clocks = wizard.check_power(answers, tmp_path, timeout_s=5)
    assert director.ok and "protocol v3" in director.message
    assert not clocks.ok and "more than the 400 ms" in clocks.message
    assert "ntp.lab" in clocks.fix


def test_the_analyser_of_a_previous_session_is_shown(
    ctx: wizard.WizardContext, tmp_path: Path
) -> None:
    answers = wizard.default_answers()
    answers["output"] = "out"
    assert wizard.previous_analyser(answers, ctx) is None
    reply = "YokogawaWT310,1000,1,version=1.11.1-abcd1234-20230101,OS=Linux,mode=power"
    for name, text, mtime in (
        ("older", json.dumps({"ptd_messages": [{"cmd": "Identify", "reply": reply}]}), 1e9),
        ("newer", "{not json", 2e9),  # the newest, but broken: passed over
    ):
        server_json = tmp_path / "out" / name / "runs" / "Offline" / "power" / "server.json"
        server_json.parent.mkdir(parents=True)
        server_json.write_text(text)
        os.utime(server_json, (mtime, mtime))
    found = wizard.previous_analyser(answers, ctx)
    assert found is not None
    identity, where = found
    assert (identity.model, identity.ptd_version) == ("YokogawaWT310", "1.11.1")
    assert where.parts[-5] == "older"
    infos = {i.title: i.text for i in wizard.step("power").info(answers, ctx)}
    assert infos["Analyser and PTDaemon"].startswith("YokogawaWT310, PTDaemon 1.11.1 (from ")
