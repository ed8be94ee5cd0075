"""Power runs in the runner and the package, without the power chain: the live watts of a
growing PTDaemon log, the plan's estimate of both runs, the pre-flight's power items against a
fake director, the harness command the client runs, the client's lines split into events and
its log, the session's files the run and the package keep, and the nameplate-power YAML.

The whole chain (the official server and client, the fake PTDaemon) is in
tests/e2e/test_power_package.py."""

from __future__ import annotations

import json
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlperf_tui.power import PowerError
from mlperf_tui.power.client import ClientOutputs
from mlperf_tui.power.live import LiveLog, parse_watts
from mlperf_tui.profile import Profile
from mlperf_tui.results import RunResult
from mlperf_tui.rules.checker import POWER_FILES
from mlperf_tui.run import plan_runs, preflight
from mlperf_tui.run.calibrate import rule_of_thumb
from mlperf_tui.run.events import RunnerEvent
from mlperf_tui.run.power_run import (
    CLIENT_LOG,
    LOADGEN_DIR,
    run_power_child,
    workload_command,
)
from mlperf_tui.run.preflight import STATUS_OK, STATUS_SHORTAGE
from mlperf_tui.run.settings import (
    POWER_ANALYSER_WAIT_S,
    POWER_SESSION_OVERHEAD_S,
    POWER_WAITS_PER_SESSION,
    START_OVERHEAD_S,
)
from mlperf_tui.validate.findings import _Findings
from mlperf_tui.validate.systems import _check_nameplate, _nameplate_watts
from tests.fixtures.reference_copy import power_dev_root

SAMPLE = "Time,12-02-2026 10:15:03.511,Watts,{w},Volts,230.1,Amps,0.46,PF,0.95,Mark,{m}\n"


def _profile(tmp_path: Path, **changes: Any) -> Profile:
    data: dict[str, Any] = {
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["SingleStream", "Offline"],
        "modes": ["performance", "accuracy"],
        "execution": "test",
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 8},
        },
        "output": str(tmp_path / "results"),
        "power": {"director": "127.0.0.1", "checkout": str(tmp_path / "power-dev"), "ntp": "ntp"},
    }
    data.update(changes)
    return Profile.model_validate(data)


# -- the live watts ------------------------------------------------------------------------


def test_parse_watts_reads_only_sample_lines() -> None:
    assert parse_watts(SAMPLE.format(w="101.5", m="x")) == 101.5
    assert parse_watts("12-02-2026 10:15:03.511: Go with mark 'x'") is None
    assert parse_watts("Time,12-02-2026,Watts,nan,Volts,1") is None
    assert parse_watts("Time,12-02-2026,Watts") is None


def test_the_live_log_follows_a_growing_file(tmp_path: Path) -> None:
    log = tmp_path / "ptd_logfile_1.log"
    live = LiveLog(str(tmp_path / "*.log"))
    assert live.latest() is None  # no file yet
    log.write_text(SAMPLE.format(w="100.0", m="notset"))
    assert live.latest() == 100.0
    with log.open("a") as fh:
        fh.write(SAMPLE.format(w="120.0", m="s_ranging"))
        fh.write(SAMPLE.format(w="130.0", m="s_ranging")[:30])  # a line being written
    assert live.latest() == 120.0
    with log.open("a") as fh:
        fh.write(SAMPLE.format(w="130.0", m="s_ranging")[30:])
    assert live.latest() == 130.0
    assert live.latest() == 130.0  # nothing new: the last sample stays


def test_the_live_log_moves_to_the_newest_file_and_rereads_a_replaced_one(
    tmp_path: Path,
) -> None:
    live = LiveLog(str(tmp_path / "tmp*" / "ptd_logfile_1.log"))
    old = tmp_path / "tmpa" / "ptd_logfile_1.log"
    old.parent.mkdir()
    old.write_text(SAMPLE.format(w="50.0", m="a") * 3)
    assert live.latest() == 50.0
    new = tmp_path / "tmpb" / "ptd_logfile_1.log"
    new.parent.mkdir()
    time.sleep(0.01)
    new.write_text(SAMPLE.format(w="75.0", m="b"))
    assert live.current() == new
    assert live.latest() == 75.0
    new.write_text(SAMPLE.format(w="8.0", m="b"))  # cut back and written again
    assert live.latest() == 8.0


# -- the plan ------------------------------------------------------------------------------


def test_the_plan_counts_both_runs_of_each_power_run(tmp_path: Path) -> None:
    with_power = _profile(tmp_path)
    without = _profile(tmp_path, power=None)
    cal = rule_of_thumb(with_power)
    planned = {r.run_id: r for r in plan_runs(with_power, calibration=cal)}
    plain = {r.run_id: r for r in plan_runs(without, calibration=cal)}
    waits = POWER_WAITS_PER_SESSION * POWER_ANALYSER_WAIT_S + POWER_SESSION_OVERHEAD_S
    for run_id, run in planned.items():
        if run.mode.value == "accuracy":  # the power workflow measures performance runs only
            assert not run.power
            assert run.estimate_s == plain[run_id].estimate_s
            continue
        assert run.power
        # each of the two runs lasts at least the power test's min duration (5 s)
        assert run.settings["min_duration"] == 5000
        assert run.estimate_s >= 2 * (5 + START_OVERHEAD_S) + waits
        assert any(
            n.startswith("power: the official power client runs this twice") for n in run.notes
        )
        assert run.to_dict()["power"] is True
    assert "power" not in plain["Offline-performance"].to_dict()


def test_compliance_audits_are_not_measured(tmp_path: Path) -> None:
    scenarios = ["SingleStream", "MultiStream", "Offline"]
    profile = _profile(tmp_path, division="closed", scenarios=scenarios)
    plan = plan_runs(profile, calibration=rule_of_thumb(profile))
    measured = {r.run_id for r in plan if r.power}
    assert measured == {f"{s}-performance" for s in scenarios}
    assert {r.compliance_test or r.mode.value for r in plan if not r.power} == {
        "TEST01",
        "TEST04",
        "accuracy",
    }


# -- the pre-flight ------------------------------------------------------------------------


@pytest.fixture
def director() -> Iterator[Callable[[float], int]]:
    """A fake director on 127.0.0.1: the power protocol's handshake and ``time`` (its clock
    ``offset_s`` off ours), for any number of connections."""
    listeners: list[socket.socket] = []

    def start(offset_s: float = 0.0) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def talk(conn: socket.socket) -> None:
            with conn:
                reader = conn.makefile("rb")
                if not reader.readline().startswith(b"mlcommons/power client v3"):
                    return
                conn.sendall(b"mlcommons/power server v3\r\n")
                if reader.readline().strip() == b"time":
                    conn.sendall(f"{time.time() + offset_s}\r\n".encode())
                reader.readline()

        def serve() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=talk, args=(conn,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    for listener in listeners:
        listener.close()


def _power_items(tmp_path: Path, **power: Any) -> list[Any]:
    base = {"director": "127.0.0.1", "checkout": str(power_dev_root()), "ntp": "127.0.0.1"}
    profile = _profile(tmp_path, power={**base, **power})
    pf = preflight(profile, cache_dir=tmp_path / "cache", results_root=tmp_path / "results")
    return list(pf.of_kind("power"))


def test_preflight_passes_a_power_chain_that_answers(tmp_path: Path, director: Any) -> None:
    items = _power_items(tmp_path, port=director(0.0))
    assert [i.status for i in items] == [STATUS_OK] * 3
    assert "protocol v3" in items[1].note


def test_preflight_refuses_an_unreachable_director_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    base = {"director": "127.0.0.1", "checkout": str(power_dev_root()), "ntp": "127.0.0.1"}
    profile = _profile(tmp_path, power={**base, "port": port})
    pf = preflight(profile, cache_dir=tmp_path / "cache", results_root=tmp_path / "results")
    error = pf.error()
    assert error is not None
    assert f"nothing listens on 127.0.0.1:{port}" in error.message, error.message
    assert "start the power server" in error.fix


def test_preflight_refuses_clocks_apart_and_a_folder_that_is_no_checkout(
    tmp_path: Path, director: Any
) -> None:
    items = _power_items(tmp_path, port=director(5.0), checkout=str(tmp_path))
    checkout, answered, clocks = items
    assert checkout.status == STATUS_SHORTAGE and "not a power-dev checkout" in checkout.note
    assert answered.status == STATUS_OK
    assert clocks.status == STATUS_SHORTAGE
    assert "refuses to measure beyond 400 ms" in clocks.note
    assert "NTP server 127.0.0.1" in clocks.fix
    assert items[0].needed_text() == "-" and items[0].available_text() == "-"


def test_no_power_items_without_a_power_block(tmp_path: Path) -> None:
    profile = _profile(tmp_path, power=None)
    pf = preflight(profile, cache_dir=tmp_path / "cache", results_root=tmp_path / "results")
    assert pf.of_kind("power") == ()


# -- the run -------------------------------------------------------------------------------


def test_the_workload_is_the_harness_command_quoted_for_the_shell(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs with space" / "Offline-performance"
    words = shlex.split(workload_command(run_dir))
    assert words[:2] == ["cd", str(run_dir)]
    # the harness watches its parent, the client: the shell's $PPID
    assert words[3:5] == ["HARNESS_PARENT_PID=$PPID", "exec"]
    assert words[6:10] == ["-m", "harness", "run", "--config"]
    assert words[10] == str(run_dir / "RUN.json")
    assert words[-1] == f"2>>{run_dir / 'harness.stderr.log'}"


def _session(root: Path) -> ClientOutputs:
    session = root / "2026-12-02_10-00-00_Offline-performance"
    for run in ("ranging", "run_1"):
        (session / run).mkdir(parents=True)
        for name in ("mlperf_log_detail.txt", "mlperf_log_summary.txt", "spl.txt"):
            (session / run / name).write_text(f"{run} {name}\n")
    (session / "run_1" / "ptd_out.txt").write_text("PTDaemon's own output\n")
    (session / "power").mkdir()
    for name in POWER_FILES:
        (session / "power" / name).write_text(f"power {name}\n")
    return ClientOutputs(session.name, session)


def _planned(tmp_path: Path) -> Any:
    profile = _profile(tmp_path, scenarios=["Offline"], modes=["performance"])
    return profile, plan_runs(profile, calibration=rule_of_thumb(profile))[0]


def test_a_power_run_splits_the_clients_lines_and_keeps_the_session(tmp_path: Path) -> None:
    profile, run = _planned(tmp_path)
    run_dir = tmp_path / "runs" / run.run_id
    (run_dir / LOADGEN_DIR).mkdir(parents=True)
    seen: dict[str, Any] = {}
    progress = {"v": 1, "event": "progress", "t": 1.0, "completed": 5, "p90_ms": 2.5}
    result = {"v": 1, "event": "result", "t": 2.0, "status": "ok", "message": ""}

    def client(checkout: Path, **kw: Any) -> ClientOutputs:
        seen.update(kw, checkout=checkout)
        for line in (
            "INFO:root:Running workload in ranging mode",
            json.dumps(progress),
            "INFO:root:Running workload in testing mode",
            json.dumps(result),
            "INFO:root:Successful exit",
        ):
            kw["on_line"](line)
        return _session(kw["output"])

    events: list[RunnerEvent] = []
    code, outcome = run_power_child(
        run, run_dir, 0, 1, events.append, threading.Event(), profile.power, run_client=client
    )
    assert code == 0 and outcome.result == result and outcome.p90 == 2.5
    assert seen["loadgen_logs"] == run_dir / LOADGEN_DIR
    assert seen["env"]["HARNESS_PARENT_PID"]
    assert seen["label"] == "Offline-performance"
    kinds = [(e.kind, e.data.get("event"), e.data.get("phase")) for e in events]
    assert kinds == [
        ("harness", "phase", "power-ranging"),
        ("harness", "progress", None),
        ("harness", "phase", "power-testing"),
        ("harness", "result", None),
    ]
    log = (run_dir / CLIENT_LOG).read_text()
    assert "Successful exit" in log and '"event"' not in log
    stored = [json.loads(ln) for ln in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in stored] == ["phase", "progress", "phase", "result"]
    # the testing run's logs where any run keeps them, the ranging and power folders beside
    assert (run_dir / "mlperf_log_detail.txt").read_text() == "run_1 mlperf_log_detail.txt\n"
    assert (run_dir / "spl.txt").read_text() == "run_1 spl.txt\n"
    assert sorted(p.name for p in (run_dir / "ranging").iterdir()) == [
        "mlperf_log_detail.txt",
        "mlperf_log_summary.txt",
        "spl.txt",
    ]
    assert sorted(p.name for p in (run_dir / "power").iterdir()) == sorted(POWER_FILES)
    assert not (run_dir / "ptd_out.txt").exists()
    assert not (run_dir / LOADGEN_DIR).exists()


def test_a_failed_session_is_a_failed_run_with_the_clients_reason(tmp_path: Path) -> None:
    profile, run = _planned(tmp_path)
    run_dir = tmp_path / "runs" / run.run_id
    run_dir.mkdir(parents=True)

    def client(checkout: Path, **kw: Any) -> ClientOutputs:
        kw["on_line"]("ERROR:root:Got an unexpecting response from the server")
        raise PowerError("the power server refused to start the testing measurement", "check it")

    code, outcome = run_power_child(
        run, run_dir, 0, 1, lambda e: None, threading.Event(), profile.power, run_client=client
    )
    assert code == 1
    assert outcome.error == {
        "message": "the power server refused to start the testing measurement",
        "fix": "check it",
    }
    assert "mlperf-tui: the power server refused" in (run_dir / CLIENT_LOG).read_text()


def test_live_watts_become_power_events(tmp_path: Path) -> None:
    log = tmp_path / "ptd.log"
    log.write_text(SAMPLE.format(w="99.5", m="notset"))
    profile, run = _planned(tmp_path)
    power = profile.power.model_copy(update={"live_log": str(log)})
    run_dir = tmp_path / "runs" / run.run_id
    run_dir.mkdir(parents=True)
    events: list[RunnerEvent] = []
    got_power = threading.Event()

    def on_event(event: RunnerEvent) -> None:
        events.append(event)
        if event.data.get("event") == "power":
            got_power.set()

    def client(checkout: Path, **kw: Any) -> ClientOutputs:
        deadline = time.monotonic() + 10
        while not got_power.is_set():  # the watts go out with the client's next line
            assert time.monotonic() < deadline, "no power event"
            kw["on_line"]("INFO:root:a line of the client's log")
            time.sleep(0.02)
        return _session(kw["output"])

    runner = threading.get_ident()
    threads: set[int] = set()

    def on_any(event: RunnerEvent) -> None:
        threads.add(threading.get_ident())
        on_event(event)

    run_power_child(run, run_dir, 0, 1, on_any, threading.Event(), power, run_client=client)
    assert threads == {runner}  # every event on the runner's thread
    power_events = [e.data for e in events if e.data.get("event") == "power"]
    assert power_events[0]["watts"] == 99.5 and power_events[0]["v"] == 1
    assert isinstance(power_events[0]["t"], float)


def test_the_power_figure_is_shown_with_its_unit() -> None:
    run = RunResult("Offline-performance", "resnet50", "Offline", "performance", None, "ok", Path())
    assert run.power_text() == ""
    run.power = {"value": 101.23456, "unit": "W"}
    assert run.power_text() == "101.2 W"
    run.power = {"value": 35.5, "unit": "mJ/query"}
    assert run.power_text() == "35.5 mJ/query"


# -- the package ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "watts", "needed"),
    [
        ("2x 1600W", [1600.0, 1600.0], 2),
        ("2 x 1600 W (1+1 redundant)", [1600.0, 1600.0], 1),
        ("1x750W", [750.0], 1),
        ("4x 2.4kW, 3+1", [2400.0] * 4, 3),
    ],
)
def test_power_supplies_from_the_answer(answer: str, watts: list[float], needed: int) -> None:
    from mlperf_tui.package.power import power_supplies

    assert power_supplies(answer) == (watts, needed)


def test_no_power_supplies_from_an_answer_without_them() -> None:
    from mlperf_tui.package.power import nameplate_yaml, power_supplies

    assert power_supplies("redundant PSUs") is None
    assert nameplate_yaml({}, "sut") is None


def test_the_nameplate_yaml_sums_as_the_checker_does(tmp_path: Path) -> None:
    from mlperf_tui.package.power import nameplate_yaml

    text = nameplate_yaml({"power_supply_quantity_and_rating_watts": "2x 1600W (1+1)"}, "sut")
    assert text is not None
    data = yaml.safe_load(text)
    assert data == {"sut": {"PSUs": [{"PowerCapacityWatts": 1600}] * 2, "Min PSUs Needed": 1}}
    assert _nameplate_watts(data) == 1600
    submitter = tmp_path / "open" / "Org"
    f = _Findings(tmp_path)
    _check_nameplate(f, submitter, "sut", "v6.1")
    assert [r.id for r in f.items] == ["system.nameplate-power"]
    assert "power_supply_quantity_and_rating_watts" in f.items[0].fix
    (submitter / "systems").mkdir(parents=True)
    (submitter / "systems" / "sut_power.yaml").write_text(text)
    f = _Findings(tmp_path)
    _check_nameplate(f, submitter, "sut", "v6.1")
    assert f.items == []
    _check_nameplate(f, submitter, "other", "v6.0")  # the round before has none
    assert f.items == []


def test_the_power_fields_of_the_systems_json_are_answers_only_with_power(tmp_path: Path) -> None:
    from mlperf_tui.profile.errors import ProfileFieldError

    answers = {"power_supply_quantity_and_rating_watts": "2x 1600W (1+1)"}
    assert _profile(tmp_path, system=answers).system == answers
    with pytest.raises(ProfileFieldError) as caught:
        _profile(tmp_path, system=answers, power=None)
    assert "is not a field of the systems JSON" in caught.value.message


def test_a_replayed_power_run_is_recorded_as_the_runner_records_it(tmp_path: Path) -> None:
    from mlperf_tui.run.power_run import CLIENT_OUTPUT, SESSION_DIR, record_session

    _, run = _planned(tmp_path)
    run_dir = tmp_path / "runs" / run.run_id
    (run_dir / LOADGEN_DIR).mkdir(parents=True)
    session = _session(run_dir / SESSION_DIR)
    result = {"v": 1, "event": "result", "t": 2.0, "status": "ok", "message": ""}
    output = [
        "INFO:root:Running workload in ranging mode",
        json.dumps(result),
        "INFO:root:Running workload in testing mode",
        json.dumps(result),
        f"INFO:root:Session id is '{session.session}'",
        "INFO:root:Successful exit",
    ]
    (run_dir / CLIENT_OUTPUT).write_text("\n".join(output) + "\n")
    code, outcome = record_session(run, run_dir, 0)
    assert code == 0 and outcome.result == result
    stored = [json.loads(ln) for ln in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in stored] == ["phase", "result", "phase", "result"]
    assert "Successful exit" in (run_dir / CLIENT_LOG).read_text()
    assert (run_dir / "spl.txt").read_text() == "run_1 spl.txt\n"
    assert sorted(p.name for p in (run_dir / "power").iterdir()) == sorted(POWER_FILES)
    # a client that exited 0 without its success line (NTP gave up) is a failed run
    (run_dir / CLIENT_OUTPUT).write_text("ERROR:root:Could not synchronize with 127.0.0.1\n")
    code, outcome = record_session(run, run_dir, 0)
    assert code == 1 and outcome.error is not None
    assert "clocks" in outcome.error["message"]
