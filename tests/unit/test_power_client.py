"""The power client's command line and the director probe's errors, without a power server.

The probe talks to small socket servers in threads that answer what a wrong peer answers (an
SSH banner, silence, an old protocol); the command line is compared with the argparse of the
official client in the reference copy. The whole chain (official server and client, the fake
PTDaemon) is tests/e2e/test_power_chain.py.
"""

from __future__ import annotations

import ast
import itertools
import json
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlperf_tui.power import PowerError, director
from mlperf_tui.power import client as power_client
from mlperf_tui.power.client import client_command, power_dev_checkout, run_client
from mlperf_tui.power.director import analyser_identity, probe
from tests.fixtures.reference_copy import module_tables, power_dev_root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def peer() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """A one-connection TCP server on 127.0.0.1 that runs ``talk`` on its connection."""
    listeners: list[socket.socket] = []

    def start(talk: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                talk(conn)

        threading.Thread(target=serve, daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    for listener in listeners:
        listener.close()


def _read_line(conn: socket.socket) -> str:
    buf = b""
    while b"\n" not in buf:
        data = conn.recv(1024)
        if not data:
            break
        buf += data
    return buf.decode().strip()


def power_server(offset_s: float = 0.0, magic: str = "mlcommons/power server v3") -> Callable:
    def talk(conn: socket.socket) -> None:
        if _read_line(conn) != director.CLIENT_MAGIC:
            return
        conn.sendall(magic.encode() + b"\r\n")
        if _read_line(conn) == "time":
            conn.sendall(f"{time.time() + offset_s}\r\n".encode())
        _read_line(conn)  # until the probe closes

    return talk


# -- the probe ---------------------------------------------------------------------------


def test_probe_reports_the_server_version_and_clock_offset(peer) -> None:
    info = probe("127.0.0.1", peer(power_server()), timeout_s=5)
    assert info.protocol_version == "3"
    assert abs(info.clock_offset_ms) < director.CLOCK_TOLERANCE_MS
    assert info.clocks_agree
    assert "protocol v3" in info.describe()


def test_probe_sees_clocks_apart(peer) -> None:
    info = probe("127.0.0.1", peer(power_server(offset_s=5.0)), timeout_s=5)
    assert info.clock_offset_ms > 4000
    assert not info.clocks_agree


def test_probe_of_a_closed_port_says_start_the_server() -> None:
    with pytest.raises(PowerError) as caught:
        probe("127.0.0.1", free_port(), timeout_s=2)
    assert "nothing listens on 127.0.0.1:" in caught.value.message
    assert "start the power server" in caught.value.fix


def test_probe_of_an_unknown_host_says_check_the_address() -> None:
    with pytest.raises(PowerError) as caught:
        probe("no-such-director.invalid", 4950, timeout_s=2)
    assert "not known" in caught.value.message
    assert "power.director" in caught.value.fix


def test_probe_of_another_protocol_says_not_a_power_server(peer) -> None:
    def ssh(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        _read_line(conn)

    with pytest.raises(PowerError) as caught:
        probe("127.0.0.1", peer(ssh), timeout_s=2)
    assert "is not an MLPerf power server" in caught.value.message
    assert "SSH-2.0" in caught.value.message
    assert "check the port" in caught.value.fix


def test_probe_of_a_silent_peer_times_out_with_busy_or_wrong_port(peer) -> None:
    def silent(conn: socket.socket) -> None:
        conn.settimeout(3)
        try:
            conn.recv(1024)
            time.sleep(1)
        except OSError:
            pass

    with pytest.raises(PowerError) as caught:
        probe("127.0.0.1", peer(silent), timeout_s=0.3)
    assert "did not answer the handshake" in caught.value.message
    assert "busy with another client" in caught.value.fix


def test_probe_of_a_peer_that_hangs_up(peer) -> None:
    with pytest.raises(PowerError) as caught:
        probe("127.0.0.1", peer(lambda conn: None), timeout_s=2)
    assert "closed the connection" in caught.value.message


def test_probe_of_another_protocol_version(peer) -> None:
    with pytest.raises(PowerError) as caught:
        probe("127.0.0.1", peer(power_server(magic="mlcommons/power server v2")), timeout_s=2)
    assert "protocol v2" in caught.value.message
    assert "same power-dev checkout" in caught.value.fix


@pytest.mark.parametrize(("address", "port"), [("", 4950), ("127.0.0.1", 0), ("h", 70000)])
def test_probe_refuses_bad_settings_before_connecting(address: str, port: int) -> None:
    with pytest.raises(PowerError):
        probe(address, port)


def test_the_protocol_constants_are_power_devs() -> None:
    lib = power_dev_root() / "ptd_client_server" / "lib"
    common = module_tables(lib / "common.py")
    assert common["PROTO_VERSION"] == director.PROTOCOL_VERSION
    assert common["DEFAULT_PORT"] == director.DEFAULT_PORT
    tolerance = module_tables(lib / "time_sync.py")["CRITICAL_DIFFERENCE_TIME_MS"]
    assert tolerance == director.CLOCK_TOLERANCE_MS


# -- the analyser's identity --------------------------------------------------------------


def test_analyser_identity_from_server_json(tmp_path: Path) -> None:
    path = tmp_path / "server.json"
    reply = "YokogawaWT310,1000,1,version=1.11.1-abcd1234-20230101,OS=Linux,mode=power"
    messages = [{"cmd": "Hello", "reply": "Hello, PTDaemon here!"}]
    path.write_text(json.dumps({"ptd_messages": [*messages, {"cmd": "Identify", "reply": reply}]}))
    identity = analyser_identity(path)
    assert (identity.model, identity.ptd_version, identity.reply) == (
        "YokogawaWT310",
        "1.11.1",
        reply,
    )
    path.write_text(json.dumps({"ptd_messages": messages}))
    with pytest.raises(PowerError, match="no reply of PTDaemon to Identify"):
        analyser_identity(path)
    path.write_text("{not json")
    with pytest.raises(PowerError, match="cannot read"):
        analyser_identity(path)


# -- the client's command line -----------------------------------------------------------


def _reference_options() -> set[str]:
    """Every option string of the official client's argparse (lib/client.py)."""
    tree = ast.parse((power_dev_root() / "ptd_client_server" / "lib" / "client.py").read_text())
    options: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            options |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    return options


def test_client_command_uses_the_official_clients_options(tmp_path: Path) -> None:
    workload = [sys.executable, "-m", "harness", "run", "--config", str(tmp_path / "a b.json")]
    argv = client_command(
        power_dev_root(),
        address="192.168.1.2",
        port=4951,
        ntp="ntp.example.com",
        workload=workload,
        loadgen_logs=tmp_path / "logs",
        output=tmp_path / "out",
        label="resnet50_Offline",
        force=True,
        stop_server=True,
        max_amps=2.0,
        max_volts=230.0,
    )
    assert argv[:2] == [sys.executable, str(power_dev_root() / "ptd_client_server" / "client.py")]
    used = {a for a in argv[2:] if a.startswith("--")}
    assert used <= _reference_options(), used - _reference_options()
    value = dict(itertools.pairwise(argv))
    assert value["--addr"] == "192.168.1.2"
    assert value["--port"] == "4951"
    assert value["--ntp"] == "ntp.example.com"
    assert shlex.split(value["--run-workload"]) == workload  # quoted for the client's shell
    assert value["--loadgen-logs"] == str(tmp_path / "logs")
    assert value["--output"] == str(tmp_path / "out")
    assert value["--label"] == "resnet50_Offline"
    assert {"--force", "--stop-server", "--max-amps", "--max-volts"} <= set(argv)


def test_client_command_defaults_leave_out_the_optional_flags(tmp_path: Path) -> None:
    argv = client_command(
        power_dev_root() / "ptd_client_server",  # the checkout's client folder works too
        address="d",
        ntp="n",
        workload="./run.sh",
        loadgen_logs=tmp_path / "logs",
        output=tmp_path / "out",
    )
    assert argv[argv.index("--port") + 1] == "4950"
    assert argv[argv.index("--run-workload") + 1] == "./run.sh"
    assert not {"--label", "--force", "--stop-server", "--max-amps"} & set(argv)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"label": "has space"}, "characters the power client refuses"),
        ({"address": " "}, "no director address"),
        ({"ntp": ""}, "no NTP server"),
        ({"port": 0}, "not a TCP port"),
        ({"workload": []}, "workload command is empty"),
        ({"output": "LOGS/inside"}, "inside it"),
        ({"output": "LOGS"}, "inside it"),
    ],
)
def test_client_command_refuses_what_the_client_would(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "address": "d",
        "ntp": "n",
        "workload": "./run.sh",
        "loadgen_logs": tmp_path / "logs",
        "output": tmp_path / "out",
    }
    if isinstance(changes.get("output"), str):
        changes = {"output": tmp_path / str(changes["output"]).replace("LOGS", "logs")}
    args.update(changes)
    with pytest.raises(PowerError, match=message):
        client_command(power_dev_root(), **args)  # type: ignore[arg-type]


def test_a_folder_that_is_not_a_power_dev_checkout(tmp_path: Path) -> None:
    with pytest.raises(PowerError) as caught:
        power_dev_checkout(tmp_path)
    assert "is not a power-dev checkout" in caught.value.message
    assert "ptd_client_server/__init__.py" in caught.value.message
    assert "power.checkout" in caught.value.fix
    with pytest.raises(PowerError, match="does not exist"):
        power_dev_checkout(tmp_path / "missing")


def test_the_client_sources_we_require_are_the_checked_ones() -> None:
    checksums = json.loads((power_dev_root() / "compliance" / "sources_checksums.json").read_text())
    for name in power_client.CLIENT_SOURCES:
        relative = name.removeprefix("ptd_client_server/")
        assert all(relative in sources for sources in checksums), name


# -- how a failed client run is reported (a stand-in client.py that prints a log) -----------


def fake_checkout(root: Path, log: list[str], rc: int) -> Path:
    for name in power_client.CLIENT_SOURCES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    (root / power_client.CLIENT_SCRIPT).write_text(
        f"import sys\nfor line in {log!r}:\n    print(line, file=sys.stderr)\nsys.exit({rc})\n"
    )
    return root


def _run(tmp_path: Path, log: list[str], rc: int) -> PowerError:
    lines: list[str] = []
    with pytest.raises(PowerError) as caught:
        run_client(
            fake_checkout(tmp_path / "power-dev", log, rc),
            address="127.0.0.1",
            ntp="127.0.0.1",
            workload="true",
            loadgen_logs=tmp_path / "logs",
            output=tmp_path / "out",
            on_line=lines.append,
        )
    assert lines == log  # every line reached the callback
    return caught.value


def test_a_client_that_exits_0_without_success_has_failed(tmp_path: Path) -> None:
    # lib/time_sync.py cannot set the clock (no ntpdate) and the client calls exit(): status 0
    error = _run(
        tmp_path,
        [
            "client 2026 [INFO] Synchronizing with the server and with 127.0.0.1...",
            "client 2026 [ERROR] Could not synchronize with 127.0.0.1",
        ],
        rc=0,
    )
    assert "clocks" in error.message
    assert "NTP server" in error.fix
    assert error.log_tail[-1].endswith("Could not synchronize with 127.0.0.1")


def test_an_error_reply_names_the_step(tmp_path: Path) -> None:
    error = _run(
        tmp_path,
        [
            "client [INFO] Sending command to the server: 'session,S_x,start,testing'",
            "client [INFO] Got response: \"Error setting voltage range: ['230.1']\"",
            "client [CRITICAL] Got an unexpecting response from the server",
        ],
        rc=1,
    )
    assert "refused to start the testing measurement" in error.message
    assert "Error setting voltage range" in error.message
    assert "analyser" in error.fix


def test_an_unknown_failure_quotes_the_last_line(tmp_path: Path) -> None:
    error = _run(tmp_path, ["client [CRITICAL] something new"], rc=1)
    assert "exit 1" in error.message
    assert "something new" in error.message
