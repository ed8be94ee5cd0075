"""The power session checks (mlperf_tui/validate/power.py) and the power figure.

A session is built here as power-dev's client and server write one (ptd_client_server/lib:
client.py, server.py, summary.py, common.py at c4b3ad8): client.json and server.json (sources,
messages, uuid, session name, sha1 of the files, phase times; the server's PTDaemon messages
and configuration), client.log/server.log in the logging format of common.init, ptd_logs.txt
as the server merges PTDaemon's output ("Analyzer 1" then PTDaemon's timestamped lines), and
spl.txt in the form the server reformats PTDaemon's samples to (Time,...,Watts,...,Mark,...).
LoadGen's detail logs are minimal, with the keys the checks read.

A good session has no finding and passes the official power checker (the reference copy's
power_checker.py, imported inside the tests only); then one thing is broken at a time, before
the checksums are taken (as if the session had run that way) unless the test says otherwise,
and each break gives exactly one finding - and the official checker's verdict where ours
mirrors it (``fail``), or says ours is stricter (``pass``).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib
import json
import logging
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import reference_copy as ref

from harness.loadgen_logs import parse_detail_text
from mlperf_tui.rules import power as pw
from mlperf_tui.validate import validate
from mlperf_tui.validate.findings import CheckResult, _Findings
from mlperf_tui.validate.power import _check_power_session, power_result

SESSION = "2025-07-31_22-01-10_mlperf"
IDENTITY = "YokogawaWT310,C2PH13047V,F1.03,version=1.11.1-5f7a3d1e-20240910,ptd-linux-x86"
#: the testing run's LoadGen window starts here (UTC)
TESTING_BEGIN = datetime(2025, 7, 31, 22, 14, 3, 215000, tzinfo=UTC).timestamp()
MLLOG = ":::MLLOG "


def stamp(t: float) -> str:
    """A PTDaemon / LoadGen power timestamp."""
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%m-%d-%Y %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def log_stamp(t: float) -> str:
    """Python logging's asctime (the client and server log in UTC here)."""
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def mllog(key: str, value: Any) -> str:
    record = {
        "key": key,
        "value": value,
        "time_ms": 0.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": {"is_error": False, "is_warning": False, "file": "loadgen.cc", "line_no": 0},
    }
    return MLLOG + json.dumps(record)


def detail_log(scenario: str, begin: float, end: float, queries: int) -> str:
    keys: list[tuple[str, Any]] = [
        ("loadgen_version", "6.1.0 @ 9a21c7e5f4"),
        ("sut_name", "PyFastSUT"),
        ("qsl_reported_total_count", 1024),
        ("qsl_reported_performance_count", 1024),
        ("requested_scenario", scenario),
        ("effective_scenario", scenario),
        ("effective_target_qps", 1000.0),
        ("effective_min_duration_ms", 600000),
        ("effective_performance_sample_count", 1024),
        ("power_begin", stamp(begin)),
        ("power_end", stamp(end)),
        ("result_validity", "VALID"),
        ("result_query_count", queries),
        ("result_samples_per_second", 1234.5),
    ]
    return "\n".join(mllog(k, v) for k, v in keys) + "\n"


def with_window(detail: str, begin: float, end: float) -> str:
    """A detail log with LoadGen's power window moved."""
    out = []
    for line in detail.splitlines():
        if line.startswith(MLLOG):
            record = json.loads(line[len(MLLOG) :])
            if record.get("key") in ("power_begin", "power_end"):
                record["value"] = stamp(begin if record["key"] == "power_begin" else end)
                line = MLLOG + json.dumps(record)
        out.append(line)
    return "\n".join(out) + "\n"


def window_of(detail: str) -> tuple[float, float]:
    values = parse_detail_text(detail).values

    def parse(text: str) -> float:
        return datetime.strptime(text, pw.POWER_TIME_FORMAT).replace(tzinfo=UTC).timestamp()

    return parse(values["power_begin"]), parse(values["power_end"])


def message(cmd: str, t: float, reply: str, t_reply: float) -> dict[str, Any]:
    return {"cmd": cmd, "cmd_time": t, "reply": reply, "reply_time": t_reply}


@dataclass
class Session:
    """A power session's files, written by :meth:`write` with the checksums of what it writes."""

    client: dict[str, Any]
    server: dict[str, Any]
    #: the files under performance/ (client.json and server.json aside)
    files: dict[str, str]
    #: the times the harness needs to break things
    times: dict[str, float] = field(default_factory=dict)

    def write(self, performance_dir: Path) -> Path:
        for rel, text in self.files.items():
            path = performance_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")

        def sha1(rel: str) -> str:
            return hashlib.sha1((performance_dir / rel).read_bytes()).hexdigest()

        # the client hashes its output folder before it fetches the server's files; the server
        # hashes its session folder (which keeps per-analyser files the client never fetches)
        client_files = [
            r for r in self.files if r.endswith(("mlperf_log_detail.txt", "_summary.txt"))
        ]
        self.client["results"] = {r: sha1(r) for r in sorted([*client_files, "power/client.log"])}
        server_files = [
            "power/ptd_logs.txt",
            "power/server.log",
            "ranging/spl.txt",
            "run_1/spl.txt",
        ]
        server_results = {r: sha1(r) for r in server_files}
        server_results["power/ptd_logs_analyzer_1.txt"] = "0" * 40
        server_results["run_1/ptd_out.txt"] = "1" * 40
        self.server["results"] = dict(sorted(server_results.items()))
        for name, data in (("client.json", self.client), ("server.json", self.server)):
            path = performance_dir / "power" / name
            path.write_text(json.dumps(data, indent=4), encoding="utf-8", newline="\n")
        return performance_dir


def make_session(
    scenario: str = "Offline",
    *,
    testing_detail: str | None = None,
    run_s: float = 30.0,
    ranging_s: float | None = None,
    ranging_watts: float = 100.0,
    testing_watts: float = 101.0,
    identity: str = IDENTITY,
) -> Session:
    """A complete session of the power client and server around two LoadGen runs."""
    queries = 12000 if scenario in ("SingleStream", "MultiStream") else 1
    if testing_detail is None:
        testing_detail = detail_log(scenario, TESTING_BEGIN, TESTING_BEGIN + run_s, queries)
    t_begin, t_end = window_of(testing_detail)
    r_len = t_end - t_begin if ranging_s is None else ranging_s
    r_begin = t_begin - r_len - 40.0
    windows = {"ranging": (r_begin, r_begin + r_len), "testing": (t_begin, t_end)}
    ranging_detail = with_window(testing_detail, *windows["ranging"])
    start = r_begin - 20.0
    client_uuid = str(uuid.UUID(int=0x1234))
    server_uuid = str(uuid.UUID(int=0x5678))

    msgs: list[dict[str, Any]] = []
    log: list[tuple[float, str]] = []
    clock = {"t": start}

    def say(cmd: str, reply: str, took: float = 0.01) -> None:
        t = clock["t"]
        log.append((t, f"Sending command to the server: {cmd!r}"))
        msgs.append(message(cmd, t, reply, t + took))
        log.append((t + took, f"Got response: {reply!r}"))
        clock["t"] = t + took + 0.01

    def remote() -> None:
        t = clock["t"]
        say("time", f"{t + 0.004:.7f}")
        log.append(
            (
                clock["t"],
                "The time difference between the client and the server is "
                "within range -0.412 ms..1.038 ms",
            )
        )

    def sync() -> None:
        log.append((clock["t"], "Synchronizing with the server and with ntp.example.org..."))
        log.append((clock["t"], "NTP:offset = 0.003 s, delay = 0.012 s "))
        remote()

    say("mlcommons/power client v3", "mlcommons/power server v3")
    sync()
    say(f"new,mlperf,{client_uuid}", f"OK {SESSION},{server_uuid}")
    log.append((clock["t"], f"Session id is {SESSION!r}"))
    phases: dict[str, list[list[float]]] = {"ranging": [], "testing": []}
    ptd_times: dict[str, tuple[float, float]] = {}
    for mode, folder in (("ranging", "ranging"), ("testing", "run_1")):
        begin, end = windows[mode]
        clock["t"] = begin - 14.0
        log.append((clock["t"], f"Running workload in {mode} mode"))
        sync()
        p0 = begin - 13.0
        p1 = begin - 1.0
        clock["t"] = p0
        say(f"session,{SESSION},start,{mode}", "OK", took=p1 - p0)
        remote()
        log.append((clock["t"], "Running the workload 'python -m harness --run RUN.json'"))
        clock["t"] = end + 0.9
        remote()
        p2 = clock["t"]
        p3 = p2 + 11.0
        say(f"session,{SESSION},stop,{mode}", "OK", took=p3 - p2)
        remote()
        phases[mode] = [[p0, 100.0 + p0 - start], [p1, 1.0], [p2, 2.0], [p3, 3.0]]
        ptd_times[mode] = (p1 - 0.2, p2 + 10.2)
        del folder
    log.append((clock["t"], "Done runs"))

    def spl(mode: str, watts: float) -> str:
        go, stop = ptd_times[mode]
        lines = []
        t = go + 1.0
        i = 0
        while t < stop:
            w = watts + (i % 5) * 0.1
            lines.append(
                f"Time,{stamp(t)},Watts,{w:.6f},Volts,229.870000,Amps,{w / 229.87 / 0.9:.6f},"
                f"PF,0.900000,Mark,{SESSION}_{mode}"
            )
            t += 1.0
            i += 1
        return "\n".join(lines) + "\n\n"

    first_go = ptd_times["ranging"][0]
    ptd_lines = [
        "Analyzer 1",
        f"{stamp(phases['ranging'][0][0] + 0.3)}: Connected to YokogawaWT310 on C2PH13047V",
        f"{stamp(phases['ranging'][0][0] + 0.5)}: Uncertainty checking for YokogawaWT310 is "
        "activated",
    ]
    for mode in ("ranging", "testing"):
        go, stop = ptd_times[mode]
        ptd_lines.append(f"{stamp(go)}: Go with mark '{SESSION}_{mode}'")
        ptd_lines.append(f"{stamp(stop)}: Completed test")
    assert first_go < ptd_times["testing"][0]

    ptd = [
        ("Hello", "Hello, PTDaemon here!"),
        ("Identify", identity),
        ("RR", "Ranges,0,2.000000,0,300.000000"),
        ("SR,V,Auto", "Range V changed"),
        ("SR,A,Auto", "Range A changed"),
        ("SR,A,Auto", "Range A changed"),
        ("Go,1000,0," + SESSION + "_ranging", pw.PTD_REPLIES["Go,1000,"]),
        ("Stop", "Stopping untimed measurement"),
        ("RL,*,*", "Invalid number of parameters"),
        ("RL", "Last 60 samples"),
        ("Uncertainty", "Uncertainty,0.310000"),
        ("Watts", "Watts,100.200000"),
        ("SR,V,300.0", "Range V changed"),
        ("SR,A,0.5346", "Range A changed"),
        ("Go,1000,0," + SESSION + "_testing", pw.PTD_REPLIES["Go,1000,"]),
        ("Watts", "Watts,101.200000"),
        ("Uncertainty", "Uncertainty,0.300000"),
        ("Stop", "Stopping untimed measurement"),
        ("RL,*,*", "Invalid number of parameters"),
        ("RL", "Last 60 samples"),
        ("Uncertainty", "Uncertainty,0.300000"),
        ("Watts", "Watts,101.200000"),
        ("SR,V,300.000000", "Range V changed"),
        ("SR,A,2.000000", "Range A changed"),
    ]
    sources = dict(pw.SOURCES_CHECKSUMS[0])
    common = {
        "version": "1.0",
        "timezone": 0,
        "sources": sources,
        "uuid": {"client": client_uuid, "server": server_uuid},
        "session_name": SESSION,
    }
    modules = {
        "ptd_client_server.lib": "lib/__init__.py",
        "ptd_client_server.lib.common": "lib/common.py",
        "ptd_client_server.lib.external": "lib/external/__init__.py",
        "ptd_client_server.lib.external.ntplib": "lib/external/ntplib.py",
        "ptd_client_server.lib.source_hashes": "lib/source_hashes.py",
        "ptd_client_server.lib.summary": "lib/summary.py",
        "ptd_client_server.lib.time_sync": "lib/time_sync.py",
    }
    client = {
        **common,
        "modules": {**modules, "ptd_client_server.lib.client": "lib/client.py"},
        "messages": msgs,
        "results": {},
        "phases": phases,
        "ptd_config": [None],
    }
    server_msgs = copy.deepcopy(msgs)
    for m in server_msgs:
        m["cmd_time"] += 0.002
        m["reply_time"] -= 0.002
    server = {
        **copy.deepcopy(common),
        "modules": {**modules, "ptd_client_server.lib.server": "lib/server.py"},
        "messages": server_msgs,
        "results": {},
        "phases": {m: [[p[0] + 0.05, p[1]] for p in ph] for m, ph in phases.items()},
        "ptd_messages": [{"cmd": c, "reply": r} for c, r in ptd],
        "ptd_config": [
            {
                "command": [
                    "/opt/ptd/ptd-linux-x86",
                    "-l",
                    "/tmp/tmpq1w2e3/ptd_logfile_1.log",
                    "-p",
                    "8888",
                    "-y",
                    "49",
                    "C2PH13047V",
                ],
                "device_type": 49,
                "interface_flag": "-y",
                "dc_flag": None,
                "device_port": "C2PH13047V",
                "channel": None,
            }
        ],
    }
    server_log = "\n".join(
        f"ptd-server {log_stamp(t)} [INFO] Got command from the client {m['cmd']!r}"
        for m in server_msgs
        for t in (m["cmd_time"],)
    )
    summary = "================================================\nMLPerf Results Summary\n"
    files = {
        "power/client.log": "".join(f"client {log_stamp(t)} [INFO] {text}\n" for t, text in log),
        "power/server.log": server_log + "\n",
        "power/ptd_logs.txt": "\n".join(ptd_lines) + "\n",
        "ranging/mlperf_log_detail.txt": ranging_detail,
        "ranging/mlperf_log_summary.txt": summary,
        "ranging/spl.txt": spl("ranging", ranging_watts),
        "run_1/mlperf_log_detail.txt": testing_detail,
        "run_1/mlperf_log_summary.txt": summary,
        "run_1/spl.txt": spl("testing", testing_watts),
    }
    times = {
        "testing_begin": t_begin,
        "testing_end": t_end,
        "ranging_go": ptd_times["ranging"][0],
        "ranging_stop": ptd_times["ranging"][1],
    }
    return Session(client, server, files, times)


def findings(performance_dir: Path) -> list[CheckResult]:
    root = performance_dir.parent
    f = _Findings(root)
    _check_power_session(f, performance_dir, "v6.1")
    return f.items


def found(results: list[CheckResult]) -> set[tuple[str, str]]:
    return {(r.id, r.severity) for r in results}


# --- the official power checker, imported for the tests only ------------------------------------


@pytest.fixture(scope="module")
def official() -> Iterator[SimpleNamespace]:
    """power_checker.py (check) and power_check.py (PowerCheck) of the reference copy."""
    submission = ref.checker_dir()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    sys.path.insert(0, str(submission))
    try:
        checker: ModuleType = importlib.import_module(
            "submission_checker.checks.power.power_checker"
        )
        power_check: ModuleType = importlib.import_module("submission_checker.checks.power_check")
    finally:
        sys.path.remove(str(submission))
        # power_checker.py configures logging at import; leave the session's logging as it was
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    yield SimpleNamespace(check=checker.check, PowerCheck=power_check.PowerCheck)


def official_verdict(
    official: SimpleNamespace, performance_dir: Path, caplog: pytest.LogCaptureFixture
) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        try:
            code = official.check(str(performance_dir))
        except Exception:  # power_check.py's BaseCheck counts an exception as a failure
            return "fail"
    if code != 0:
        return "fail"
    return "warn" if any(r.levelno == logging.WARNING for r in caplog.records) else "pass"


# --- a good session -----------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_a_good_session_has_no_finding(tmp_path: Path, scenario: str) -> None:
    perf = make_session(scenario).write(tmp_path / "performance")
    assert findings(perf) == []


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_the_official_checker_accepts_the_good_session(
    tmp_path: Path, scenario: str, official: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    perf = make_session(scenario).write(tmp_path / "performance")
    assert official_verdict(official, perf, caplog) == "pass"


# --- one thing broken at a time -----------------------------------------------------------------

Change = Callable[[Session], None]


def _ptd_line(s: Session, at: float, text: str) -> None:
    s.files["power/ptd_logs.txt"] += f"{stamp(at)}: {text}\n"


def _testing_mid(s: Session) -> float:
    return (s.times["testing_begin"] + s.times["testing_end"]) / 2


def _spl_rewrite(rel: str, change: Callable[[list[str]], list[str]]) -> Change:
    def apply(s: Session) -> None:
        s.files[rel] = "\n".join(change(s.files[rel].splitlines())) + "\n"

    return apply


def _set(path: tuple[str | int, ...], value: Any, side: str = "server") -> Change:
    """Set the value at ``path`` (keys and list indexes) in client.json or server.json."""

    def apply(s: Session) -> None:
        node = getattr(s, side)
        *parents, last = path
        for key in parents:
            node = node[key]
        node[last] = value

    return apply


def _ptd_msg(index: int, cmd: str | None = None, reply: str | None = None) -> Change:
    def apply(s: Session) -> None:
        m = s.server["ptd_messages"][index]
        if cmd is not None:
            m["cmd"] = cmd
        if reply is not None:
            m["reply"] = reply

    return apply


def _both_messages(change: Callable[[list[dict[str, Any]]], None]) -> Change:
    def apply(s: Session) -> None:
        change(s.client["messages"])
        change(s.server["messages"])

    return apply


def _drop_ranging_commands(msgs: list[dict[str, Any]]) -> None:
    msgs[:] = [m for m in msgs if ",ranging" not in m["cmd"]]


def _shift_phases(mode: str, by: float, sides: tuple[str, ...] = ("client", "server")) -> Change:
    def apply(s: Session) -> None:
        for side in sides:
            for phase in getattr(s, side)["phases"][mode][1:3]:
                phase[0] += by

    return apply


def _detail(rel: str, change: Callable[[str], str]) -> Change:
    def apply(s: Session) -> None:
        s.files[rel] = change(s.files[rel])

    return apply


def _drop_key(key: str) -> Callable[[str], str]:
    return lambda text: "\n".join(x for x in text.splitlines() if f'"{key}"' not in x) + "\n"


def _replace(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new)


def _client_log(change: Callable[[str], str]) -> Change:
    return _detail("power/client.log", change)


def _nth_remote_before_run(n: int, offset_ms: float) -> Callable[[str], str]:
    """The client-server reading just before the n-th "Running the workload" set to offset."""

    def apply(text: str) -> str:
        lines = text.splitlines()
        runs = [i for i, line in enumerate(lines) if "Running the workload " in line]
        i = max(j for j in range(runs[n - 1]) if "within range" in lines[j])
        head = lines[i].split("within range")[0]
        lines[i] = f"{head}within range {offset_ms:.3f} ms..{offset_ms + 1:.3f} ms"
        return "\n".join(lines) + "\n"

    return apply


@dataclass(frozen=True)
class Break:
    name: str
    change: Change
    expect: set[tuple[str, str]]
    #: the official checker's verdict on the same session: fail, warn, or pass (ours is stricter)
    official: str


BREAKS = [
    Break(
        "client-source-edited",
        _set(("sources", "lib/client.py"), "0" * 40, side="client"),
        {("power.sources-checksum", "error")},
        "fail",
    ),
    Break(
        "server-source-added",
        _set(("sources", "lib/extra.py"), "1" * 40),
        {("power.sources-checksum", "error")},
        "fail",
    ),
    Break(
        "fake-analyser",
        _ptd_msg(1, reply="FAKE-PTDaemon,mlperf-tui test analyser,version=0.0.0-fake"),
        {("power.fake-analyser", "error")},
        "fail",
    ),
    Break(
        "old-ptdaemon",
        _ptd_msg(1, reply=IDENTITY.replace("version=1.11.1", "version=1.9.2")),
        {("power.ptd-version", "error")},
        "fail",
    ),
    Break(
        "unsupported-analyser",
        _ptd_msg(1, reply=IDENTITY.replace("YokogawaWT310", "HiokiPW3335")),
        {("power.analyser-unsupported", "error")},
        "fail",
    ),
    Break(
        "no-identify-answer",
        _ptd_msg(1, reply=""),
        {("power.ptd-identify", "error")},
        "fail",
    ),
    Break(
        "analyser-error-reply",
        _ptd_msg(13, reply="Error: range 0.5346 out of bounds"),
        {("power.ptd-reply", "error")},
        "fail",
    ),
    Break(
        "ranges-not-set-back",
        lambda s: s.server["ptd_messages"].pop(),
        {("power.ptd-initial-range", "error")},
        "fail",
    ),
    Break(
        "no-ptd-messages",
        lambda s: s.server.pop("ptd_messages"),
        {("power.ptd-messages", "error")},
        "fail",
    ),
    Break(
        "uuid-of-another-session",
        _set(("uuid", "client"), str(uuid.UUID(int=0x9999))),
        {("power.uuid-mismatch", "error")},
        "fail",
    ),
    Break(
        "session-name-differs",
        _set(("session_name",), "2025-07-31_21-00-00_other", side="client"),
        {("power.session-mismatch", "error")},
        "fail",
    ),
    Break(
        "clocks-out-of-sync",
        _shift_phases("testing", 1.2, sides=("server",)),
        {("power.phase-times", "error")},
        "fail",
    ),
    Break(
        "loadgen-logs-of-another-run",
        _shift_phases("testing", 120.0),
        {("power.loadgen-outside-phase", "error")},
        "fail",
    ),
    Break(
        "testing-power-dropped",
        lambda s: s.files.update(
            {"run_1/spl.txt": s.files["run_1/spl.txt"].replace("Watts,101.", "Watts,90.")}
        ),
        {("power.ranging-power", "error")},
        "fail",
    ),
    Break(
        "server-reply-differs",
        lambda s: s.server["messages"][4].update(reply="OK other,1"),
        {("power.messages-mismatch", "error")},
        "fail",
    ),
    Break(
        "protocol-versions-differ",
        _both_messages(lambda ms: ms[0].update(cmd="mlcommons/power client v2")),
        {("power.protocol-version", "error")},
        "fail",
    ),
    Break(
        "manual-ranges-no-ranging",
        _both_messages(_drop_ranging_commands),
        {("power.session-sequence", "error")},
        "pass",
    ),
    Break(
        "ptd-log-truncated",
        _detail("power/ptd_logs.txt", lambda t: t.split("Completed test")[0]),
        {("power.ptd-log-ranging", "error")},
        "fail",
    ),
    Break(
        "testing-measurement-started-late",
        _detail(
            "power/ptd_logs.txt",
            lambda t: (
                "\n".join(
                    f"{stamp(TESTING_BEGIN + 5)}{x[23:]}" if x.endswith("_testing'") else x
                    for x in t.splitlines()
                )
                + "\n"
            ),
        ),
        {("power.ptd-log-window", "error")},
        "pass",
    ),
    Break(
        "uncertainty-not-activated",
        _detail("power/ptd_logs.txt", _replace("Uncertainty checking", "Sampling")),
        {("power.uncertainty-check", "error")},
        "fail",
    ),
    Break(
        "ptd-error-in-testing",
        lambda s: _ptd_line(s, _testing_mid(s), "ERROR: Device not responding"),
        {("power.ptd-error", "error")},
        "fail",
    ),
    Break(
        "uncertainty-above-limit-in-testing",
        lambda s: _ptd_line(
            s,
            _testing_mid(s),
            "WARNING: Uncertainty 1.52%, which is above 1.00% limit for the last sample!",
        ),
        {("power.ptd-error", "error")},
        "pass",  # the official window leaves out 800 s at each end: empty for a 30 s run
    ),
    Break(
        "ptd-warning-in-testing",
        lambda s: _ptd_line(s, _testing_mid(s), "WARNING: Sample rate dropped"),
        {("power.ptd-warning", "warning")},
        "pass",
    ),
    Break(
        "uncommon-error-in-ranging",
        lambda s: _ptd_line(s, s.times["ranging_go"] + 2, "ERROR: Sample rate dropped"),
        {("power.ptd-warning", "warning")},
        "warn",
    ),
    Break(
        "two-channel-analyser-with-one-channel",
        _set(("ptd_config", 0, "device_type"), 77),
        {("power.ptd-config", "error")},
        "fail",
    ),
    Break(
        "dummy-device",
        _set(("ptd_config", 0, "device_type"), 0),
        {("power.ptd-config", "error")},
        "fail",
    ),
    Break(
        "server-debug",
        _set(("debug",), True),
        {("power.server-debug", "error")},
        "fail",
    ),
    Break(
        "no-power-begin",
        _detail("run_1/mlperf_log_detail.txt", _drop_key("power_begin")),
        {("power.no-loadgen-window", "error")},
        "fail",
    ),
    Break(
        "unreadable-sample",
        _spl_rewrite(
            "run_1/spl.txt", lambda ls: [*ls[:5], ls[5].replace("Watts,101", "Watts,x"), *ls[6:]]
        ),
        {("power.spl-unreadable", "error")},
        "fail",
    ),
    Break(
        "analyser-read-nothing",
        _spl_rewrite(
            "run_1/spl.txt",
            lambda ls: [
                ",".join(p if i != 3 else "0.000000" for i, p in enumerate(x.split(",")))
                for x in ls
            ],
        ),
        {("power.no-samples", "error")},
        "fail",
    ),
    Break(
        "power-log-cut-short",
        _spl_rewrite("run_1/spl.txt", lambda ls: ls[: len(ls) // 2]),
        {("power.log-coverage", "error")},
        "pass",
    ),
    Break(
        "ranging-samples-in-testing",
        _detail("run_1/spl.txt", _replace(f"{SESSION}_testing", f"{SESSION}_ranging")),
        {("power.spl-mark", "error")},
        "pass",
    ),
    Break(
        "ranging-with-other-settings",
        _detail("ranging/mlperf_log_detail.txt", _replace("1000.0", "2000.0")),
        {("power.ranging-settings", "error")},
        "pass",
    ),
    Break(
        "clock-offset-before-testing",
        _client_log(_nth_remote_before_run(2, 650.0)),
        {("power.clock-offset", "error")},
        "pass",
    ),
    Break(
        "client-log-without-clock-checks",
        _client_log(
            lambda t: "\n".join(x for x in t.splitlines() if "NTP:" not in x and "range" not in x)
        ),
        {("power.clock-unlogged", "warning")},
        "pass",
    ),
    Break(
        "session-fields-missing",
        lambda s: s.client.pop("phases"),
        {("power.session-fields", "error")},
        "fail",
    ),
]


@pytest.mark.parametrize("brk", BREAKS, ids=[b.name for b in BREAKS])
def test_one_break_one_finding(
    tmp_path: Path, brk: Break, official: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    session = make_session()
    brk.change(session)
    perf = session.write(tmp_path / "performance")
    results = findings(perf)
    assert found(results) == brk.expect, [r.message for r in results]
    assert all(r.message and r.fix for r in results)
    if brk.official == "pass":
        assert any("stricter than the official checker" in r.message for r in results)
    assert official_verdict(official, perf, caplog) == brk.official


def test_a_shorter_testing_run_is_a_warning(
    tmp_path: Path, official: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    perf = make_session(run_s=10.0, ranging_s=30.0).write(tmp_path / "performance")
    assert found(findings(perf)) == {("power.duration-mismatch", "warning")}
    assert official_verdict(official, perf, caplog) == "warn"


def test_an_accepted_ranging_error_is_no_finding(
    tmp_path: Path, official: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    session = make_session()
    _ptd_line(session, session.times["ranging_go"] + 2, "ERROR: Bad volts reading nan from WT310")
    perf = session.write(tmp_path / "performance")
    assert findings(perf) == []
    assert official_verdict(official, perf, caplog) == "pass"


def test_a_file_edited_after_the_session(
    tmp_path: Path, official: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    perf = make_session().write(tmp_path / "performance")
    summary = perf / "run_1" / "mlperf_log_summary.txt"
    summary.write_text(summary.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    results = findings(perf)
    assert found(results) == {("power.results-checksum", "error")}
    assert "run_1/mlperf_log_summary.txt" in results[0].message
    assert official_verdict(official, perf, caplog) == "fail"


def test_a_power_log_truncated_after_the_session(tmp_path: Path) -> None:
    perf = make_session().write(tmp_path / "performance")
    spl = perf / "run_1" / "spl.txt"
    lines = spl.read_text(encoding="utf-8").splitlines()
    spl.write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    # one cause, one finding: the file is not the one the session hashed (that it no longer
    # covers the run follows from it, and is not said again)
    results = findings(perf)
    assert found(results) == {("power.results-checksum", "error")}
    assert "run_1/spl.txt" in results[0].message


def test_an_unreadable_session_file_stops_only_its_checks(tmp_path: Path) -> None:
    perf = make_session().write(tmp_path / "performance")
    (perf / "power" / "server.json").write_text("{not json", encoding="utf-8")
    assert found(findings(perf)) == {("power.session-unreadable", "error")}


def test_every_ptd_error_is_counted(tmp_path: Path) -> None:
    session = make_session()
    for k in range(5):
        _ptd_line(session, _testing_mid(session) + k, f"ERROR: Device not responding ({k})")
    results = findings(session.write(tmp_path / "performance"))
    assert found(results) == {("power.ptd-error", "error")}
    assert "5 error(s)" in results[0].message and "(+2 more)" in results[0].message


# --- the power figure -----------------------------------------------------------------------------


def _scenario_dir(tmp_path: Path, session: Session) -> Path:
    scenario_dir = tmp_path / "Scenario"
    session.write(scenario_dir / "performance")
    return scenario_dir


def test_the_figure_by_hand(tmp_path: Path) -> None:
    """The checker's formula on a tiny testing run: mean of the positive samples strictly
    inside power_begin..power_end, then W, or W x s x 1000 / queries."""
    session = make_session("SingleStream", run_s=4.0)
    begin = session.times["testing_begin"]
    samples = [
        (begin - 0.5, 500.0),
        (begin + 0.5, 10.0),
        (begin + 1.5, 0.0),
        (begin + 2.5, 20.0),
        (begin + 3.5, 30.0),
        (begin + 4.5, 900.0),
    ]
    session.files["run_1/spl.txt"] = "".join(
        f"Time,{stamp(t)},Watts,{w},Volts,230,Amps,0.1,PF,0.9,Mark,{SESSION}_testing\n"
        for t, w in samples
    )
    result = power_result(_scenario_dir(tmp_path, session), "SingleStream")
    assert result is not None
    assert result.average_watts == pytest.approx(20.0)
    assert result.samples == 3 and result.queries == 12000
    assert result.duration_s == pytest.approx(4.0)
    assert result.unit == "mJ/query"
    assert result.value == pytest.approx(20.0 * 4.0 * 1000 / 12000)
    offline = power_result(_scenario_dir(tmp_path / "o", session), "Offline")
    assert offline is not None and offline.unit == "W" and offline.value == pytest.approx(20.0)


def test_no_figure_without_a_power_session(tmp_path: Path) -> None:
    assert power_result(tmp_path, "Offline") is None
    session = make_session()
    session.files["run_1/spl.txt"] = ""
    assert power_result(_scenario_dir(tmp_path, session), "Offline") is None


@pytest.mark.parametrize(
    ("folder", "logged"),
    [
        ("Offline", "Offline"),
        ("Server", "Server"),
        ("SingleStream", "SingleStream"),
        ("MultiStream", "MultiStream"),
        ("MultiStream", "SingleStream"),
    ],
)
def test_the_figure_is_the_official_one(
    tmp_path: Path, folder: str, logged: str, official: SimpleNamespace
) -> None:
    session = make_session(logged)
    scenario_dir = _scenario_dir(tmp_path, session)
    ours = power_result(scenario_dir, folder)
    assert ours is not None
    run_dir = scenario_dir / "performance" / "run_1"
    values = parse_detail_text((run_dir / "mlperf_log_detail.txt").read_text()).values
    loader_data: dict[str, Any] = {"performance_metric": 1234.5}
    this = SimpleNamespace(
        has_power=True,
        mlperf_log=values,
        scenario_fixed=folder,
        testing_path=str(run_dir),
        submission_logs=SimpleNamespace(loader_data=loader_data),
        log=logging.getLogger("official-power-check"),
    )
    assert official.PowerCheck.get_power_metric_check(this) is True
    assert ours.value == pytest.approx(loader_data["power_metric"], rel=1e-12)
    assert ours.unit == ("W" if folder in ("Offline", "Server") else "mJ/query")


# --- the checksum table and the checker's facts, against the reference copies ----------------------


def _checker_files() -> list[Path]:
    power_dev = ref.power_dev_root()
    submission = ref.checker_dir()
    return [
        power_dev / "compliance" / "check.py",
        submission / "power" / "power_checker.py",
        submission / "submission_checker" / "checks" / "power" / "power_checker.py",
    ]


def test_the_sources_table_is_the_checkers() -> None:
    power_dev = ref.power_dev_root()
    submission = ref.checker_dir()
    ours = [dict(t) for t in pw.SOURCES_CHECKSUMS]
    for table in (
        power_dev / "compliance" / "sources_checksums.json",
        submission / "power" / "sources_checksums.json",
        submission / "submission_checker" / "checks" / "power" / "sources_checksums.json",
    ):
        assert json.loads(table.read_text(encoding="utf-8")) == ours, table
    for version in ("v4.0", "v5.1", "v6.1"):
        assert pw.sources_checksums(version) == pw.SOURCES_CHECKSUMS


def test_the_sources_table_is_the_code_freeze_files() -> None:
    """sha1 of every .py file of the reference checkout (which is power-dev at the commit)."""
    base = ref.power_dev_root() / "ptd_client_server"
    actual = {
        p.relative_to(base).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*.py"))
        if "__pycache__" not in p.parts
    }
    assert actual == dict(pw.SOURCES_CHECKSUMS[0])
    assert pw.POWER_DEV_COMMIT in (ref.power_dev_root() / "README.mlperf-tui.md").read_text()


def _re_patterns(path: Path, name: str) -> list[str]:
    """The string patterns of a ``NAME = [re.compile(r"...")]`` assignment."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return [
                c.value
                for c in ast.walk(node.value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
    raise LookupError(name)


def test_the_checks_facts_are_the_checkers() -> None:
    for path in _checker_files():
        tables = ref.module_tables(path)
        assert list(pw.SUPPORTED_PTD_VERSIONS) == tables["SUPPORTED_VERSION"], path
        assert dict(pw.SUPPORTED_ANALYSERS) == tables["SUPPORTED_MODEL"], path
        assert sorted(pw.RESULT_FILES) == sorted(tables["RESULT_PATHS"]), path
        assert list(pw.RANGING_ACCEPTED_ERRORS) == tables["COMMON_ERROR_RANGING"], path
        assert list(pw.ANYTIME_WARNING_ERRORS) == tables["COMMON_ERROR_TESTING"], path
        assert tables["TIME_DELTA_TOLERANCE"] == pw.PHASE_TOLERANCE_MS, path
        assert list(pw.TESTING_ERROR_WARNINGS) == _re_patterns(
            path, "WARNING_NEEDS_TO_BE_ERROR_TESTING_RE"
        )
        text = path.read_text(encoding="utf-8")
        for needle in (
            pw.CLIENT_GREETING,
            pw.SERVER_GREETING,
            pw.PTD_UNCERTAINTY_ON,
            pw.PTD_COMPLETED_LINE,
            pw.THIRD_STOP_REPLY,
            *pw.PTD_REPLIES,
            *pw.PTD_REPLIES.values(),
            *pw.SESSION_FIELDS,
        ):
            assert needle in text, (path, needle)


def test_the_client_and_servers_facts() -> None:
    lib = ref.power_dev_root() / "ptd_client_server" / "lib"
    time_sync = ref.module_tables(lib / "time_sync.py")
    assert time_sync["CRITICAL_DIFFERENCE_TIME_MS"] == pw.CLOCK_OFFSET_LIMIT_MS
    common = ref.module_tables(lib / "common.py")
    assert re.search(pw.CLIENT_GREETING, common["MAGIC_CLIENT"])
    assert re.search(pw.SERVER_GREETING, common["MAGIC_SERVER"])


# --- through `mlperf-tui check` -------------------------------------------------------------------


@pytest.mark.slow
def test_check_reports_the_power_session(tmp_path: Path) -> None:
    """A corpus tree with a power session in one scenario: the good session adds no finding;
    a fake analyser adds exactly power.fake-analyser."""
    from corpus.trees import TREES

    tree = TREES["v61_resnet_edge"].build(tmp_path / "tree")
    before = {(r.id, r.path) for r in validate(tree)}
    perf = next(tree.glob("closed/*/results/*/*/Offline/performance"))
    testing_detail = (perf / "run_1" / "mlperf_log_detail.txt").read_text(encoding="utf-8")
    summary = (perf / "run_1" / "mlperf_log_summary.txt").read_text(encoding="utf-8")
    for identity in (IDENTITY, "FAKE-PTDaemon,version=0-x"):
        session = make_session(testing_detail=testing_detail, identity=identity)
        session.files["run_1/mlperf_log_summary.txt"] = summary
        session.files["ranging/mlperf_log_summary.txt"] = summary
        session.write(perf)
        if identity == IDENTITY:
            assert {(r.id, r.path) for r in validate(tree)} == before
    added = [r for r in validate(tree) if (r.id, r.path) not in before]
    assert [(r.id, r.severity) for r in added] == [("power.fake-analyser", "error")]
    assert added[0].path.endswith("Offline/performance/power/server.json")


_ODD_VALUES: list[Any] = [None, 7, "x", [], {}, [[1]], {"a": [1]}, True]
_FIELDS = ("sources", "messages", "uuid", "session_name", "results", "phases", "timezone")


@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("name", [*_FIELDS, "ptd_messages", "ptd_config", "debug"])
def test_odd_session_values_are_findings_never_a_crash(
    tmp_path: Path, side: str, name: str
) -> None:
    for k, value in enumerate(_ODD_VALUES):
        session = make_session()
        getattr(session, side)[name] = copy.deepcopy(value)
        perf = session.write(tmp_path / str(k) / "performance")
        getattr(session, side)[name] = copy.deepcopy(value)  # write() fills in results
        (perf / "power" / f"{side}.json").write_text(json.dumps(getattr(session, side)))
        results = findings(perf)
        assert "internal.check-failed" not in {r.id for r in results}, (value, results)
        assert all(r.id.startswith("power.") for r in results)
