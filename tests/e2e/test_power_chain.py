"""The whole power chain on 127.0.0.1: the official power server and client, a fake PTDaemon.

power-dev's server (the reference copy, unmodified) starts ``tests/fixtures/power/fake_ptd.py``
as its PTDaemon (through a two-line shell wrapper that names this interpreter) and checks its
clock against ``fake_ntp`` on UDP 127.0.0.1:123 (root only: skipped otherwise). The official
client, run through :func:`mlperf_tui.power.client.run_client`, runs a real harness child on the
tiny stand-in (Offline, short test settings) twice, a ranging and a testing run, and the
session it leaves goes through power-dev's ``compliance/check.py``: every check passes except
the one that rejects the fake analyser's model.

Slow: the server waits 10 s around each start and stop of a measurement (40 s a session);
the fault tests set ``MLPP_DEBUG`` (0.5 s waits), which check.py would report.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlperf_tui.power import PowerError
from mlperf_tui.power.client import ClientOutputs, run_client
from mlperf_tui.power.director import analyser_identity, probe
from tests.fixtures.power.chain import (
    PowerServer,
    chain_env,
    check_py,
    fake_ntp_or_skip,
    free_port,
    start_server,
)
from tests.fixtures.power.fake_ntp import FakeNtp
from tests.fixtures.power.fake_ptd import FAKE_ANALYSER, FAKE_PTD_VERSION
from tests.fixtures.reference_copy import power_dev_root
from tests.harness.harness_util import write_run

pytestmark = pytest.mark.slow

#: an Offline run of a few seconds on the tiny model (LoadGen issues min_query_count samples),
#: so that the 1 s power samples fall inside LoadGen's power_begin..power_end
POWER_USER_CONF = """\
*.*.performance_sample_count_override = {count}
*.*.min_duration = 500
*.Offline.target_qps = 1000
*.Offline.min_query_count = {samples}
"""


@pytest.fixture(scope="module")
def fake_ntp() -> Iterator[FakeNtp]:
    ntp = fake_ntp_or_skip()
    yield ntp
    ntp.stop()


@pytest.fixture
def server_factory(tmp_path: Path, fake_ntp: FakeNtp) -> Iterator[Any]:
    started: list[PowerServer] = []

    def factory(name: str = "director", **env: str) -> PowerServer:
        server = start_server(tmp_path / name, **env)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


def harness_workload(folder: Path, assets: Any, samples: int) -> tuple[list[str], Path]:
    """The harness command of one Offline run that writes LoadGen's logs to folder/loadgen."""
    folder.mkdir(parents=True, exist_ok=True)
    logs = folder / "loadgen"
    run_json = write_run(
        folder,
        assets,
        "Offline",
        user_conf=POWER_USER_CONF.format(count=assets.count, samples=samples),
        output_dir=str(logs),
    )
    return [sys.executable, "-m", "harness", "run", "--config", str(run_json)], logs


@dataclass
class Session:
    outputs: ClientOutputs
    lines: list[str]
    server_log: str


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory, tiny_assets: Any, fake_ntp: FakeNtp
) -> Iterator[Session]:
    """One whole session: ranging and testing runs of the tiny model (about a minute)."""
    root = tmp_path_factory.mktemp("power")
    server = start_server(root / "director")
    try:
        info = probe("127.0.0.1", server.port, timeout_s=10)
        assert info.protocol_version == "3"
        assert info.clocks_agree, info
        workload, logs = harness_workload(root / "sut", tiny_assets, samples=16000)
        lines: list[str] = []
        outputs = run_client(
            power_dev_root(),
            address="127.0.0.1",
            port=server.port,
            ntp="127.0.0.1",
            workload=workload,
            loadgen_logs=logs,
            output=root / "power-out",
            label="tiny_offline",
            on_line=lines.append,
            env=chain_env(),
            timeout_s=240,
        )
        yield Session(outputs, lines, server.text())
    finally:
        server.stop()


def _loadgen_window(detail: Path) -> tuple[datetime, datetime]:
    marks: dict[str, datetime] = {}
    for line in detail.read_text().splitlines():
        if line.startswith(":::MLLOG"):
            entry = json.loads(line[len(":::MLLOG") :])
            if entry["key"] in ("power_begin", "power_end"):
                marks[entry["key"]] = datetime.strptime(
                    entry["value"], "%m-%d-%Y %H:%M:%S.%f"
                ).replace(tzinfo=UTC)
    return marks["power_begin"], marks["power_end"]


def _samples(spl: Path) -> list[tuple[datetime, float, str]]:
    out = []
    for line in spl.read_text().splitlines():
        if line.startswith("Time,"):
            f = line.split(",")
            when = datetime.strptime(f[1], "%m-%d-%Y %H:%M:%S.%f").replace(tzinfo=UTC)
            out.append((when, float(f[3]), f[11]))
    return out


def test_the_client_leaves_ranging_testing_and_power_folders(session: Session) -> None:
    out = session.outputs
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_tiny_offline", out.session)
    files = set(out.files())
    for run in ("ranging", "run_1"):
        assert {f"{run}/mlperf_log_detail.txt", f"{run}/mlperf_log_summary.txt"} <= files
        assert f"{run}/spl.txt" in files
    assert {f"power/{n}" for n in ("client.json", "client.log", "server.json", "server.log")} <= (
        files
    )
    assert "power/ptd_logs.txt" in files
    # both runs were real harness runs under LoadGen, VALID
    assert sum('"event":"result"' in ln and "VALID" in ln for ln in session.lines) == 2
    for run in (out.ranging, out.testing):
        assert "Result is : VALID" in (run / "mlperf_log_summary.txt").read_text()


def test_the_power_logs_have_samples_inside_each_run(session: Session) -> None:
    out = session.outputs
    for run, mode in ((out.ranging, "ranging"), (out.testing, "testing")):
        begin, end = _loadgen_window(run / "mlperf_log_detail.txt")
        samples = _samples(run / "spl.txt")
        inside = [w for when, w, _ in samples if begin < when < end]
        assert inside, (begin, end, samples)
        assert all(95 <= w <= 105 for w in inside)  # the fake's 100 W +- 1 W
        assert {mark for *_, mark in samples} == {f"{out.session}_{mode}"}


def test_the_server_names_the_fake_analyser(session: Session) -> None:
    identity = analyser_identity(session.outputs.power / "server.json")
    assert identity.model == FAKE_ANALYSER
    assert identity.ptd_version == FAKE_PTD_VERSION.split("-")[0]
    assert FAKE_ANALYSER in (session.outputs.power / "server.log").read_text()
    assert "FAKE PTDaemon for tests" in session.server_log


def test_check_py_finds_only_the_fake_analyser(session: Session) -> None:
    failed, warned, rc = check_py(session.outputs.session_dir)
    assert rc == 1
    assert list(failed) == ["Check PTD commands and replies"], failed
    message = failed["Check PTD commands and replies"]
    assert f"Power meter {FAKE_ANALYSER!r} is not supported" in message
    assert warned == [], warned


# -- one thing broken at a time ----------------------------------------------------------


def test_an_unreachable_director_fails_the_client_with_the_fix(
    tmp_path: Path, tiny_assets: Any
) -> None:
    workload, logs = harness_workload(tmp_path / "sut", tiny_assets, samples=1000)
    with pytest.raises(PowerError) as caught:
        run_client(
            power_dev_root(),
            address="127.0.0.1",
            port=free_port(),  # nothing listens there
            ntp="127.0.0.1",
            workload=workload,
            loadgen_logs=logs,
            output=tmp_path / "power-out",
            env=chain_env(),
            timeout_s=60,
        )
    assert "could not connect to the power server" in caught.value.message
    assert "start the power server" in caught.value.fix
    assert any("Could not connect to the server" in ln for ln in caught.value.log_tail)
    assert not logs.exists()  # the workload never ran


def test_an_analyser_error_reply_fails_the_testing_run_and_keeps_the_ranging_run(
    tmp_path: Path, tiny_assets: Any, server_factory: Any
) -> None:
    # the second voltage range command is the testing run's (the first is ranging's "Auto")
    server = server_factory(MLPP_DEBUG="1", FAKE_PTD_ERROR_ON="SR,V#2")
    workload, logs = harness_workload(tmp_path / "sut", tiny_assets, samples=1000)
    lines: list[str] = []
    with pytest.raises(PowerError) as caught:
        run_client(
            power_dev_root(),
            address="127.0.0.1",
            port=server.port,
            ntp="127.0.0.1",
            workload=workload,
            loadgen_logs=logs,
            output=tmp_path / "power-out",
            label="fault",
            on_line=lines.append,
            env=chain_env(),
            timeout_s=120,
        )
    error = caught.value
    # power-dev's server answers the client "Error: exception" (it cannot pass the analyser's
    # reply on in this step): the error names the step, the fix the analyser and its log
    assert "the power server refused to start the testing measurement" in error.message
    assert "Error: exception" in error.message
    assert "analyser or PTDaemon" in error.fix
    assert "Error setting voltage range" in server.text()
    assert "FAKE analyser fault (injected by the test)" in server.text()
    assert "Traceback" not in "\n".join(lines)
    # the ranging run had finished: its LoadGen logs are in the session folder, untouched
    (session_dir,) = (tmp_path / "power-out").iterdir()
    assert (session_dir / "ranging" / "mlperf_log_detail.txt").is_file()
    assert not (session_dir / "run_1").exists()
    # and the server is still there for the next client
    assert probe("127.0.0.1", server.port).protocol_version == "3"


def test_clocks_out_of_sync_fail_the_client_although_it_exits_0(
    tmp_path: Path, tiny_assets: Any, server_factory: Any, fake_ntp: FakeNtp
) -> None:
    if shutil.which("ntpdate"):
        # the client would set this machine's clock to the shifted fake NTP time
        pytest.skip("ntpdate is installed: the clients' clock sync would change the clock")
    server = server_factory(MLPP_DEBUG="1")
    workload, logs = harness_workload(tmp_path / "sut", tiny_assets, samples=1000)
    fake_ntp.offset_s = 5.0
    try:
        with pytest.raises(PowerError) as caught:
            run_client(
                power_dev_root(),
                address="127.0.0.1",
                port=server.port,
                ntp="127.0.0.1",
                workload=workload,
                loadgen_logs=logs,
                output=tmp_path / "power-out",
                env=chain_env(),
                timeout_s=60,
            )
    finally:
        fake_ntp.offset_s = 0.0
    assert "clocks" in caught.value.message
    assert "(power client exit 0)" in caught.value.message  # power-dev's exit() on this path
    assert "NTP" in caught.value.fix
    assert not logs.exists()  # no run started
