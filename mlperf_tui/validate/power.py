"""A power session's checks (performance/power, performance/ranging, performance/run_1) and the
power figure of a scenario.

The MLCommons power workflow leaves one session per scenario: the power client (on the system
under test) runs the benchmark twice under PTDaemon, a ranging run and a testing run, and it
and the power server (on the director) each write a session description - client.json and
server.json (power-dev ``lib/summary.py``: sources, messages, uuid, session name, the files'
sha1, phase times, PTDaemon's messages and configuration) - beside their logs, PTDaemon's log
(ptd_logs.txt) and the analyser's samples of each run (spl.txt). The official checker runs the
power WG's ``power_checker.py`` (= power-dev ``compliance/check.py``) on it and computes the
figure in ``checks/power_check.py``; the checks here mirror both, one finding per problem:

==============================  =================================================  ==========
finding                         official check (power_checker.py unless named)     ours
==============================  =================================================  ==========
power.session-unreadable        SessionDescriptor (the JSON is read)               same
power.session-fields            SessionDescriptor.required_fields_check            same
power.sources-checksum          sources_check                                      names files
power.fake-analyser             -                                                  ours
power.ptd-messages              ptd_messages_check (reads ptd_messages)            same
power.ptd-identify              ptd_messages_check (the "Identify" answer)         same
power.ptd-version               ptd_messages_check (SUPPORTED_VERSION)             same
power.analyser-unsupported      ptd_messages_check (SUPPORTED_MODEL)               same
power.ptd-reply                 ptd_messages_check check_reply                     all replies
power.ptd-initial-range         ptd_messages_check (ranges set back at the end)    same
power.uuid-mismatch             uuid_check                                         same
power.session-mismatch          session_name_check                                 same
power.phase-times               phases_check compare_time                          same
power.loadgen-outside-phase     phases_check compare_time_boundaries               same
power.duration-mismatch         phases_check compare_duration (a warning)          same
power.ranging-power             phases_check get_avg_power (testing vs ranging)    same
power.messages-mismatch         messages_check                                     same
power.protocol-version          messages_check get_version                         same
power.session-sequence          -                                                  ours
power.results-checksum          results_check                                      same
power.ptd-log-ranging           check_ptd_logs (the ranging run in the log)        same
power.uncertainty-check         check_ptd_logs (uncertainty checking activated)    same
power.ptd-log-window            -                                                  ours
power.ptd-error                 check_ptd_logs find_error_or_warning (errors)      every line
power.ptd-warning               check_ptd_logs find_error_or_warning (warnings)    every line
power.ptd-config                check_ptd_config                                   same
power.server-debug              debug_check                                        same
power.no-loadgen-window         _get_begin_end_time_from_mlperf_log_detail         same
power.spl-unreadable            get_avg_power / power_check.py (a sample line)     same
power.no-samples                power_check.py get_power_metric_check              same
power.log-coverage              -                                                  ours
power.spl-mark                  -                                                  ours
power.ranging-settings          -                                                  ours
power.clock-offset              - (the client enforces it while measuring)         ours
power.clock-unlogged            -                                                  ours
==============================  =================================================  ==========

Stricter than the official checker, and each such finding says so: it names every differing
source file and every wrong PTDaemon reply (the official check stops at the first); it reads
every line of PTDaemon's log (the official check stops at the first warning, which can hide a
later error) and judges the testing run's uncertainty warnings over the whole run (the official
window adds the 800 ms tolerance as 800 s, so it is empty for runs under 1600 s); and it checks
what the official one does not look at: the fake analyser of the tests, the order of the
session's commands, that PTDaemon's measurement and the analyser's samples cover LoadGen's
window (and carry the run's mark), that ranging and testing used the same LoadGen settings, and
the clock offsets the client logged.

:func:`power_result` is the figure the checker puts in the results table: the average power (W)
over LoadGen's power_begin..power_end for Offline, Server and Interactive, the energy per query
(mJ) for SingleStream and MultiStream.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.loadgen_logs import DETAIL_LOG, DetailLog, parse_detail_text
from mlperf_tui.rules import power as pw
from mlperf_tui.rules.checker import CLIENT_JSON, PTD_LOG, SAMPLE_LOG, SERVER_JSON
from mlperf_tui.rules.model import Scenario
from mlperf_tui.validate.context import _as_int, _linked, _load_json, _read_text, _scenario
from mlperf_tui.validate.findings import _Findings

#: how a finding says that the official checker would not report it
_STRICTER = "stricter than the official checker, which "

_MODES = (("ranging", "ranging"), ("testing", "run_1"))  # (phase name, folder)
_PTD_DATE = re.compile(r"^\d\d-\d\d-\d\d\d\d \d\d:\d\d:\d\d.\d\d\d")
_VERSION = re.compile(r"(?<=version=)(.+?)-")
_NTP_OFFSET = re.compile(r"NTP:offset = (-?\d+(?:\.\d*)?) s")
_REMOTE_OFFSET = re.compile(
    r"time difference between the client and the server is within range "
    r"(-?\d+(?:\.\d*)?) ms\.\.(-?\d+(?:\.\d*)?) ms"
)
_WORKLOAD_LINE = "Running the workload "
#: LoadGen settings the ranging and testing runs must share (the client runs one command twice)
_SETTING_PREFIXES = ("requested_", "effective_")
_SETTING_KEYS = (
    "loadgen_version",
    "sut_name",
    "qsl_name",
    "qsl_reported_total_count",
    "qsl_reported_performance_count",
)
#: the analyser logs a sample a second; a run's samples may start/end this much inside its window
_SAMPLE_SLACK_S = 1.0 + pw.PHASE_TOLERANCE_MS / 1000
_SHOWN = 3  # lines quoted in a finding


@dataclass(frozen=True)
class PowerResult:
    """A scenario's power figure, as the official checker computes it (power_check.py)."""

    #: watts (Offline, Server, Interactive) or millijoules per query (SingleStream, MultiStream)
    value: float
    unit: str
    #: mean of the analyser's positive samples strictly inside LoadGen's power window
    average_watts: float
    #: LoadGen's power_end - power_begin
    duration_s: float
    samples: int
    #: LoadGen's result_query_count (the energy figure's divisor); None for a watts figure
    queries: int | None


@dataclass(frozen=True)
class _Sample:
    time: datetime
    watts: float
    mark: str | None


@dataclass
class _Run:
    """One LoadGen run of the session (ranging or testing) and the analyser's samples of it."""

    mode: str
    folder: Path
    log: DetailLog | None = None
    window: tuple[datetime, datetime] | None = None
    samples: list[_Sample] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)

    def in_window(self) -> list[float]:
        """The positive samples strictly inside LoadGen's window (the checker's power_list)."""
        if self.window is None:
            return []
        begin, end = self.window
        return [s.watts for s in self.samples if begin < s.time < end and s.watts > 0]


def _power_time(text: object) -> datetime | None:
    """A PTDaemon / LoadGen power timestamp ("MM-DD-YYYY HH:MM:SS.mmm", UTC)."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text.strip(), pw.POWER_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _read_run(folder: Path, mode: str) -> _Run:
    run = _Run(mode, folder)
    text = _read_text(folder / DETAIL_LOG)
    if text is not None:
        run.log = parse_detail_text(text)
        begin = _power_time(run.log.get("power_begin"))
        end = _power_time(run.log.get("power_end"))
        if begin is not None and end is not None:
            run.window = (begin, end)
    spl = _read_text(folder / SAMPLE_LOG)
    for line in (spl or "").splitlines():
        if not line.startswith("Time"):
            continue
        parts = line.split(",")
        when = _power_time(parts[1]) if len(parts) > 1 else None
        try:
            watts = float(parts[3])
            float(parts[9])  # the power factor: the checker reads it too
        except (IndexError, ValueError):
            watts = None
        if when is None or watts is None:
            run.bad_lines.append(line)
            continue
        mark = parts[11] if len(parts) > 11 and parts[10] == "Mark" else None
        run.samples.append(_Sample(when, watts, mark))
    return run


def _figure(run: _Run, scenario: str) -> PowerResult | None:
    folder = _scenario(scenario)
    watts = run.in_window()
    if folder is None or run.window is None or run.log is None or not watts:
        return None
    average = sum(watts) / len(watts)
    duration = (run.window[1] - run.window[0]).total_seconds()
    if folder in pw.WATTS_SCENARIOS:
        return PowerResult(average, "W", average, duration, len(watts), None)
    queries = _as_int(run.log.get("result_query_count"))
    if queries is None or queries <= 0 or folder not in pw.ENERGY_SAMPLES_PER_QUERY:
        return None
    # a MultiStream result inferred from a SingleStream run counts each query as 8 samples
    effective = str(run.log.get("effective_scenario", "")).lower()
    per_query = 1
    if folder is Scenario.MULTI_STREAM and effective == Scenario.SINGLE_STREAM.value.lower():
        per_query = pw.ENERGY_SAMPLES_PER_QUERY[folder]
    value = average * duration * per_query * 1000 / queries
    return PowerResult(value, "mJ/query", average, duration, len(watts), queries)


def power_result(scenario_dir: Path, scenario: str) -> PowerResult | None:
    """The power figure of a results scenario folder with a power session (None: no power
    session, or none the checker could compute a figure from)."""
    run_dir = scenario_dir / "performance" / "run_1"
    if not (scenario_dir / "performance" / "power").is_dir():
        return None
    return power_figure(run_dir, scenario)


def power_figure(testing_dir: Path, scenario: str) -> PowerResult | None:
    """The power figure of a testing run's folder (its LoadGen detail log and spl.txt): what
    :func:`power_result` computes for a package, for a run of the results folder."""
    return _figure(_read_run(testing_dir, "testing"), scenario)


# --- the session descriptions -----------------------------------------------------------------


def _session(f: _Findings, path: Path) -> dict[str, Any] | None:
    """client.json / server.json with the fields the checker requires (None: reported, or
    absent / empty, which the file-list check reports)."""
    if _linked(path) or not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        data = _load_json(path)
    except (OSError, ValueError) as exc:
        f.error(
            "power.session-unreadable",
            path,
            f"{path.name} cannot be read as a power session description ({exc})",
            f"copy {path.name} again, unchanged, from the power client's output folder",
        )
        return None
    if not isinstance(data, dict):
        f.error(
            "power.session-unreadable",
            path,
            f"{path.name} is not a power session description (not a JSON object)",
            f"copy {path.name} again, unchanged, from the power client's output folder",
        )
        return None
    missing = [name for name in pw.SESSION_FIELDS if name not in data]
    if missing:
        f.error(
            "power.session-fields",
            path,
            f"{path.name} lacks the field(s) {', '.join(missing)} the checker requires",
            "measure again with power-dev's own client and server; their session files "
            "always hold every field",
        )
        return None
    return data


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_sources(f: _Findings, path: Path, data: Mapping[str, Any], version: str) -> None:
    sources = data.get("sources")
    tables = pw.sources_checksums(version)
    if isinstance(sources, dict) and any(sources == dict(t) for t in tables):
        return
    side = "client" if path.name.startswith("client") else "server"
    if isinstance(sources, dict):
        ref = tables[0]
        parts = []
        changed = sorted(k for k in ref if k in sources and sources[k] != ref[k])
        absent = sorted(k for k in ref if k not in sources)
        extra = sorted(k for k in sources if k not in ref)
        for label, names in (("changed", changed), ("missing", absent), ("extra", extra)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        detail = "; ".join(parts) or "its table is not the code-freeze one"
    else:
        detail = "it records no source table"
    f.error(
        "power.sources-checksum",
        path,
        f"the power {side} did not run power-dev's code-freeze sources ({pw.POWER_DEV_COMMIT}): "
        f"{detail}",
        f"run the {side} from an unmodified power-dev checkout at commit {pw.POWER_DEV_COMMIT} "
        "(`git status` there shows nothing, and no other .py file lies under "
        "ptd_client_server/), then measure again",
    )


def _ptd_messages(data: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    msgs = data.get("ptd_messages")
    if not isinstance(msgs, list):
        return None
    out = []
    for m in msgs:
        if not isinstance(m, dict) or not isinstance(m.get("cmd"), str):
            return None
        reply = m.get("reply")
        out.append((m["cmd"], reply if isinstance(reply, str) else ""))
    return out


def _initial_range(reply: str, index: int) -> str | None:
    """The range PTDaemon reported before the session (its "RR" reply), as the server sets it
    back; None: the reply cannot be read."""
    parts = reply.split(",")
    try:
        if parts[index] == "0" and float(parts[index + 1]) > 0:
            return parts[index + 1]
    except (ValueError, IndexError):
        return None
    return "Auto"


def _check_ptd_messages(f: _Findings, path: Path, server: Mapping[str, Any]) -> None:
    msgs = _ptd_messages(server)
    if msgs is None:
        f.error(
            "power.ptd-messages",
            path,
            "server.json holds no readable list of PTDaemon commands and replies (ptd_messages)",
            "copy server.json again from the power client's output folder; the power server "
            "writes it when the session is done",
        )
        return
    identify = next((reply for cmd, reply in msgs if cmd == "Identify"), "")
    if not identify:
        f.error(
            "power.ptd-identify",
            path,
            "PTDaemon never answered the 'Identify' command: the analyser is unknown",
            "check that PTDaemon is connected to the analyser (`ptd -h` lists the devices) and "
            "measure again",
        )
    elif pw.FAKE_ANALYSER_MARK in identify.upper():
        f.error(
            "power.fake-analyser",
            path,
            f"the analyser is a fake PTDaemon ({identify!r}), the test suite's stand-in: these "
            "power figures were not measured and the result is not submittable",
            "measure with a supported Yokogawa analyser and SPEC's PTDaemon on the director, "
            "then package again",
        )
    else:
        model = identify.split(",")[0]
        found = _VERSION.search(identify)
        version = found.group(1) if found else ""
        if version not in pw.SUPPORTED_PTD_VERSIONS:
            f.error(
                "power.ptd-version",
                path,
                f"PTDaemon version {version or '(none)'!r} is not one the checker accepts "
                f"({', '.join(pw.SUPPORTED_PTD_VERSIONS)})",
                f"install PTDaemon {pw.SUPPORTED_PTD_VERSIONS[-1]} on the director and measure "
                "again",
            )
        if model not in pw.SUPPORTED_ANALYSERS:
            f.error(
                "power.analyser-unsupported",
                path,
                f"the analyser {model!r} is not one the checker accepts",
                "measure with one of: " + ", ".join(pw.SUPPORTED_ANALYSERS),
            )
    wrong = []
    for prefix, expected_reply in pw.PTD_REPLIES.items():
        stops = 0
        for cmd, reply in msgs:
            if not cmd.startswith(prefix):
                continue
            expected = expected_reply
            if cmd == "Stop":
                expected = pw.THIRD_STOP_REPLY if stops >= 2 else expected_reply
                stops += 1
            if reply != expected:
                wrong.append(f"{cmd!r} -> {reply!r} (expected {expected!r})")
    if wrong:
        more = f" (+{len(wrong) - _SHOWN} more)" if len(wrong) > _SHOWN else ""
        f.error(
            "power.ptd-reply",
            path,
            f"PTDaemon answered {len(wrong)} command(s) wrongly: "
            + "; ".join(wrong[:_SHOWN])
            + more
            + " (every reply is listed; the official checker stops at the first)",
            "fix what the analyser reported (range, connection, a measurement already running) "
            "and measure again",
        )
    _check_initial_range(f, path, msgs)


def _check_initial_range(f: _Findings, path: Path, msgs: list[tuple[str, str]]) -> None:
    amps = volts = None
    if len(msgs) > 2:
        amps = _initial_range(msgs[2][1], 1)
        volts = _initial_range(msgs[2][1], 3)
    amps_cmds = [cmd for cmd, _ in msgs if cmd.startswith("SR,A")]
    volts_cmds = [cmd for cmd, _ in msgs if cmd.startswith("SR,V")]
    if amps is None or volts is None:
        problem = "PTDaemon's initial ranges (its third reply, to 'RR') cannot be read"
    elif len(amps_cmds) < 4 or len(volts_cmds) < 3:
        problem = (
            f"the session set the ranges {len(amps_cmds)} (amps) and {len(volts_cmds)} (volts) "
            "times; a complete session sets them at least 4 and 3 times"
        )
    elif f"SR,A,{amps}" not in amps_cmds[2:4] or volts_cmds[2] != f"SR,V,{volts}":
        problem = (
            f"the analyser was not set back to its initial ranges (amps {amps}, volts {volts}) "
            f"after the session: {amps_cmds[2:4]} and {volts_cmds[2]!r}"
        )
    else:
        return
    f.error(
        "power.ptd-initial-range",
        path,
        problem,
        "let the power server finish the session (the client's `done`), so it sets the "
        "analyser back, and measure again",
    )


def _check_ptd_config(f: _Findings, path: Path, server: Mapping[str, Any]) -> None:
    config = server.get("ptd_config")
    problems = []
    if not isinstance(config, list) or not config:
        problems.append("server.json records no PTDaemon configuration (ptd_config)")
    else:
        supported = sorted(set(pw.SUPPORTED_ANALYSERS.values()))
        for number, analyser in enumerate(config, 1):
            device = _dict(analyser).get("device_type")
            if isinstance(device, bool) or device not in supported:
                problems.append(
                    f"analyser {number}: device number {device!r} is not supported "
                    f"({', '.join(map(str, supported))})"
                )
            elif device == pw.TWO_CHANNEL_DEVICE:
                command = _dict(analyser).get("command")
                command = command if isinstance(command, list) else []
                channels = next(
                    (str(command[i + 1]) for i in range(len(command) - 1) if command[i] == "-c"),
                    "",
                )
                channel = _dict(analyser).get("channel")
                two = isinstance(channel, list) and len(channel) == 2
                if len(channels.split(",")) != 2 or not two:
                    problems.append(
                        f"analyser {number}: device {device} is a two-channel analyser but is "
                        "configured with one channel"
                    )
    if problems:
        f.error(
            "power.ptd-config",
            path,
            "; ".join(problems),
            "set deviceType (and channel, for a multichannel analyser) in the power server's "
            "configuration file to the analyser's and measure again",
        )


def _check_debug(f: _Findings, path: Path, server: Mapping[str, Any]) -> None:
    if server.get("debug", False) is not False:
        f.error(
            "power.server-debug",
            path,
            "the power server ran in debug mode (its waits for the analyser are shortened)",
            "start the power server without MLPP_DEBUG in its environment and measure again",
        )


def _check_uuid(f: _Findings, path: Path, client: Mapping[str, Any], server: Any) -> None:
    differ = []
    for side in ("client", "server"):
        try:
            same = uuid.UUID(str(client["uuid"][side])) == uuid.UUID(str(server["uuid"][side]))
        except (KeyError, TypeError, ValueError, AttributeError):
            same = False
        if not same:
            differ.append(side)
    if differ:
        f.error(
            "power.uuid-mismatch",
            path,
            f"client.json and server.json record different {' and '.join(differ)} UUIDs: they "
            "are not from the same session",
            "copy client.json and server.json of one session (the client's output folder "
            "named after the session holds both)",
        )


def _check_session_name(
    f: _Findings, path: Path, client: Mapping[str, Any], server: Mapping[str, Any]
) -> None:
    if client.get("session_name") != server.get("session_name"):
        f.error(
            "power.session-mismatch",
            path,
            f"client.json is of session {client.get('session_name')!r}, server.json of "
            f"{server.get('session_name')!r}",
            "copy client.json and server.json of one session (the client's output folder "
            "named after the session holds both)",
        )


# --- phases, runs and figures -------------------------------------------------------------------


def _phase_times(data: Mapping[str, Any], mode: str) -> list[float] | None:
    phases = _dict(data.get("phases")).get(mode)
    if not isinstance(phases, list):
        return None
    times = []
    for phase in phases:
        try:
            times.append(float(phase[0]))
        except (TypeError, ValueError, IndexError, KeyError):
            return None
    return times


def _inside(t: float, times: list[float]) -> bool:
    """compare_time_boundaries: strictly inside phases 2..3, or one hour off (DST)."""
    low, high = times[1], times[2]
    return low < t < high or low < t - pw.DST_ALLOWANCE_S < high


def _check_phases(
    f: _Findings,
    path: Path,
    client: Mapping[str, Any],
    server: Mapping[str, Any],
    runs: Mapping[str, _Run],
) -> None:
    tolerance_s = pw.PHASE_TOLERANCE_MS / 1000
    for mode, _folder in _MODES:
        ours, theirs = _phase_times(client, mode), _phase_times(server, mode)
        if ours is None or theirs is None or len(ours) != len(theirs) or len(ours) < 3:
            f.error(
                "power.phase-times",
                path,
                f"the {mode} run's phase times in client.json and server.json are missing or "
                "do not pair up",
                "copy client.json and server.json of one complete session",
            )
            continue
        worst, at = max((abs(a - b), i) for i, (a, b) in enumerate(zip(ours, theirs, strict=True)))
        if worst > tolerance_s:
            f.error(
                "power.phase-times",
                path,
                f"the client's and the server's clocks disagree by {worst * 1000:.0f} ms at "
                f"phase {at + 1} of the {mode} run (at most {pw.PHASE_TOLERANCE_MS} ms)",
                "synchronise both machines with the same NTP server (the client's --ntp, the "
                "server's ntpServer) and measure again",
            )
        run = runs[mode]
        if run.window is not None:
            begin, end = (t.timestamp() for t in run.window)
            if not (_inside(begin, ours) and _inside(end, ours)):
                f.error(
                    "power.loadgen-outside-phase",
                    run.folder / DETAIL_LOG,
                    f"LoadGen's power window ({run.window[0]:%H:%M:%S.%f} to "
                    f"{run.window[1]:%H:%M:%S.%f} UTC) is not inside the {mode} run the power "
                    "client measured: these logs are from another run",
                    f"copy the {mode} run's LoadGen logs that the power client collected, "
                    "unchanged",
                )
    ranging, testing = runs["ranging"], runs["testing"]
    if ranging.window is not None and testing.window is not None:
        r = (ranging.window[1] - ranging.window[0]).total_seconds()
        t = (testing.window[1] - testing.window[0]).total_seconds()
        if r > 0 and (r - t) / r > pw.MAX_TESTING_DURATION_DROP:
            f.warning(
                "power.duration-mismatch",
                testing.folder / DETAIL_LOG,
                f"the testing run lasted {t:.2f} s, {(r - t) / r:.0%} less than the ranging run "
                f"({r:.2f} s): the ranges were set for another load",
                "run the same command for ranging and testing (the power client does) and keep "
                "the machine otherwise idle",
            )
    r_watts, t_watts = ranging.in_window(), testing.in_window()
    if r_watts and t_watts:
        r_avg = round(sum(r_watts) / len(r_watts), 5)
        t_avg = round(sum(t_watts) / len(t_watts), 5)
        delta = round((t_avg / r_avg - 1) * 100, 2)
        if not delta > -pw.MAX_TESTING_POWER_DROP_PERCENT:
            f.error(
                "power.ranging-power",
                testing.folder / SAMPLE_LOG,
                f"the testing run drew {t_avg} W on average, {-delta}% less than the ranging "
                f"run ({r_avg} W; at most {pw.MAX_TESTING_POWER_DROP_PERCENT:g}% less)",
                "measure again with the machine in the same state for both runs",
            )


def _check_run(f: _Findings, run: _Run, session: str | None) -> None:
    """One run's LoadGen window and analyser samples."""
    if run.log is None:
        return  # the file-list check reports the missing log
    detail = run.folder / DETAIL_LOG
    spl = run.folder / SAMPLE_LOG
    if run.window is None:
        f.error(
            "power.no-loadgen-window",
            detail,
            f"the {run.mode} run's detail log has no power_begin/power_end: LoadGen logs them "
            "in every performance run",
            "copy the LoadGen logs the power client collected, unchanged",
        )
        return
    if run.bad_lines:
        f.error(
            "power.spl-unreadable",
            spl,
            f"{len(run.bad_lines)} sample line(s) cannot be read, e.g. {run.bad_lines[0][:80]!r}",
            "copy spl.txt again, unchanged, from the power client's output folder",
        )
    if not spl.is_file():
        return
    begin, end = run.window
    if not run.in_window():
        f.error(
            "power.no-samples",
            spl,
            f"the analyser logged no power sample between LoadGen's power_begin and power_end "
            f"({begin:%H:%M:%S.%f} to {end:%H:%M:%S.%f} UTC)",
            "copy the spl.txt of this run; if it is the right one, the analyser was not "
            "measuring: check its connection and measure again",
        )
        return
    first = min(s.time for s in run.samples)
    last = max(s.time for s in run.samples)
    if (first - begin).total_seconds() > _SAMPLE_SLACK_S or (
        end - last
    ).total_seconds() > _SAMPLE_SLACK_S:
        f.error(
            "power.log-coverage",
            spl,
            f"the analyser's samples run from {first:%H:%M:%S} to {last:%H:%M:%S} UTC but "
            f"LoadGen measured from {begin:%H:%M:%S} to {end:%H:%M:%S}: the power log is "
            f"truncated or of another run ({_STRICTER}averages whatever samples there are)",
            "copy spl.txt again, unchanged, from the power client's output folder",
        )
    if session is not None:
        mark = f"{session}_{run.mode}"
        others = sorted({s.mark for s in run.samples if s.mark is not None and s.mark != mark})
        if others:
            f.error(
                "power.spl-mark",
                spl,
                f"samples are marked {', '.join(others)} instead of {mark}: they are not of "
                f"this session's {run.mode} run ({_STRICTER}does not read the marks)",
                f"copy the {run.mode} run's spl.txt of this session",
            )


def _settings(log: DetailLog) -> dict[str, Any]:
    return {
        k: v for k, v in log.values.items() if k.startswith(_SETTING_PREFIXES) or k in _SETTING_KEYS
    }


def _check_agreement(f: _Findings, runs: Mapping[str, _Run]) -> None:
    ranging, testing = runs["ranging"].log, runs["testing"].log
    if ranging is None or testing is None:
        return
    a, b = _settings(ranging), _settings(testing)
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    if differ:
        shown = "; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in differ[:_SHOWN])
        more = f" (+{len(differ) - _SHOWN} more)" if len(differ) > _SHOWN else ""
        f.error(
            "power.ranging-settings",
            runs["testing"].folder / DETAIL_LOG,
            f"the ranging and testing runs used different LoadGen settings (ranging vs "
            f"testing): {shown}{more}; the ranges were set for another load "
            f"({_STRICTER}compares only their durations and power)",
            "run one command for both (the power client's --run-workload) and package the "
            "logs it collected",
        )


# --- messages, results, PTDaemon's log, clocks --------------------------------------------------


def _messages(data: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    msgs = data.get("messages")
    if not isinstance(msgs, list):
        return None
    out = []
    for m in msgs:
        if not isinstance(m, dict):
            return None
        cmd, reply = m.get("cmd"), m.get("reply")
        out.append((cmd if isinstance(cmd, str) else "", reply if isinstance(reply, str) else ""))
    return out


def _check_messages(
    f: _Findings, path: Path, client: Mapping[str, Any], server: Mapping[str, Any]
) -> None:
    mc, ms = _messages(client), _messages(server)
    fix = "copy client.json and server.json of one session, unchanged"
    if mc is None or ms is None:
        f.error("power.messages-mismatch", path, "the session's messages cannot be read", fix)
        return
    problem = None
    if len(mc) != len(ms):
        problem = f"the client logged {len(mc)} messages, the server {len(ms)}"
    else:
        for i, ((c_cmd, c_reply), (s_cmd, s_reply)) in enumerate(zip(mc, ms, strict=True)):
            if c_cmd != s_cmd:
                problem = f"message {i}: the client sent {c_cmd!r}, the server got {s_cmd!r}"
            elif c_cmd != "time" and c_reply != s_reply:
                problem = f"the reply to {c_cmd!r}: client {c_reply!r}, server {s_reply!r}"
            if problem:
                break
    if problem:
        f.error("power.messages-mismatch", path, f"client and server disagree: {problem}", fix)
    first_cmd, first_reply = ms[0] if ms else ("", "")
    client_v = re.search(pw.CLIENT_GREETING, first_cmd)
    server_v = re.search(pw.SERVER_GREETING, first_reply)
    if client_v is None or server_v is None or client_v.group(1) != server_v.group(1):
        f.error(
            "power.protocol-version",
            path,
            f"the session's greeting does not name one protocol version for client and server "
            f"({first_cmd!r} / {first_reply!r})",
            "run the client and server of one power-dev checkout and measure again",
        )


def _check_sequence(f: _Findings, path: Path, client: Mapping[str, Any], session: Any) -> None:
    """The session's own commands: ranging, then testing, each started and stopped, all OK
    (``session``: the server's name of the session, which the commands carry)."""
    msgs = _messages(client) or []
    ops = [(cmd.split(","), reply) for cmd, reply in msgs if cmd.startswith("session,")]
    steps = [",".join(parts[2:]) for parts, _ in ops]
    want = ["start,ranging", "stop,ranging", "start,testing", "stop,testing"]
    if steps and steps[-1] == "done":
        steps = steps[:-1]
    problems = []
    if steps != want:
        manual = any(s.startswith("start,testing,") for s in steps)
        problems.append(
            f"its runs were {steps or 'none'} instead of {want}"
            + (
                " (a testing run with manual ranges, --max-amps/--max-volts, is not valid for "
                "submission)"
                if manual
                else ""
            )
        )
    bad = [f"{','.join(parts)!r} -> {reply!r}" for parts, reply in ops if reply != "OK"]
    if bad:
        problems.append("the server refused " + "; ".join(bad[:_SHOWN]))
    names = sorted({parts[1] for parts, _ in ops if len(parts) > 1 and parts[1] != session})
    if names:
        problems.append(f"commands name other sessions: {', '.join(names)}")
    if problems:
        f.error(
            "power.session-sequence",
            path,
            "the power session is not one ranging run and one testing run: "
            + "; ".join(problems)
            + f" ({_STRICTER}does not look at the session's commands)",
            "measure again with the power client's defaults (no --max-amps/--max-volts) and "
            "let it finish",
        )


def _sha1(path: Path) -> str | None:
    if _linked(path) or not path.is_file():
        return None
    digest = hashlib.sha1()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_results(
    f: _Findings,
    performance_dir: Path,
    client: Mapping[str, Any],
    server: Mapping[str, Any],
) -> set[str]:
    """The files' checksums against the session's record; returns the files (relative to
    performance/) that changed since the measurement, whose own checks then say nothing more:
    one finding for one cause."""
    compared = [p for p in pw.RESULT_FILES if p not in pw.UNHASHED_FILES]
    recorded_c = {k: v for k, v in _dict(client.get("results")).items() if k in compared}
    recorded_s = {k: v for k, v in _dict(server.get("results")).items() if k in compared}
    problems = []
    disagree = sorted(k for k in recorded_c if k in recorded_s and recorded_c[k] != recorded_s[k])
    if disagree:
        problems.append(
            "client.json and server.json record different files: " + ", ".join(disagree)
        )
    recorded = {**recorded_c, **recorded_s}
    actual = {p: h for p in compared if (h := _sha1(performance_dir / p)) is not None}
    changed = sorted(k for k in recorded if k in actual and recorded[k] != actual[k])
    if changed:
        problems.append("changed since the measurement: " + ", ".join(changed))
    unrecorded = sorted(set(compared) - set(recorded))
    if unrecorded:
        problems.append("not recorded by the session: " + ", ".join(unrecorded))
    if problems:
        f.error(
            "power.results-checksum",
            performance_dir,
            "the power session's files do not match the checksums it recorded ("
            + "; ".join(problems)
            + ")",
            "copy the session's files again, unchanged, from the power client's output folder; "
            "a file edited, truncated or replaced after the measurement cannot be submitted",
        )
    return set(changed)


def _ptd_line_time(line: str) -> datetime | None:
    found = _PTD_DATE.match(line)
    return _power_time(found.group(0)) if found else None


def _ptd_run(lines: list[str], session: str, mode: str) -> tuple[datetime, datetime | None] | None:
    """When PTDaemon started the run's measurement ("Go with mark '<session>_<mode>'") and the
    first "Completed test" after it (None: not in the log)."""
    go = pw.PTD_GO_LINE.format(mark=f"{session}_{mode}")
    start = None
    for line in lines:
        found = _PTD_DATE.match(line)
        if found is None:
            continue
        message = line[found.end() :].strip()
        if start is None and message == go:
            start = _power_time(found.group(0))
        elif start is not None and message == pw.PTD_COMPLETED_LINE:
            return start, _power_time(found.group(0))
    return None if start is None else (start, None)


def _check_ptd_windows(
    f: _Findings, path: Path, lines: list[str], session: str, runs: Mapping[str, _Run]
) -> None:
    """Each LoadGen window lies inside PTDaemon's measurement of that run."""
    tolerance_s = pw.PHASE_TOLERANCE_MS / 1000
    outside = []
    for mode, _folder in _MODES:
        window = runs[mode].window
        if window is None:
            continue
        measured = _ptd_run(lines, session, mode)
        if measured is None:
            outside.append(f"PTDaemon never started the {mode} measurement")
            continue
        start, stop = measured
        if (start - window[0]).total_seconds() > tolerance_s or (
            stop is not None and (window[1] - stop).total_seconds() > tolerance_s
        ):
            until = f"{stop:%H:%M:%S.%f}" if stop is not None else "the log's end"
            outside.append(
                f"LoadGen's {mode} run ({window[0]:%H:%M:%S.%f} to {window[1]:%H:%M:%S.%f} "
                f"UTC) is not inside PTDaemon's measurement ({start:%H:%M:%S.%f} to {until})"
            )
    if outside:
        f.error(
            "power.ptd-log-window",
            path,
            "; ".join(outside)
            + f": the analyser did not measure the whole run ({_STRICTER}reads PTDaemon's log "
            "only for its errors)",
            "copy the session's files again, unchanged; if they are, synchronise the two "
            "machines' clocks (NTP) and measure again",
        )


def _check_ptd_log(
    f: _Findings, path: Path, server: Mapping[str, Any], runs: Mapping[str, _Run]
) -> None:
    text = _read_text(path)
    if text is None:
        return
    lines = text.splitlines()
    session = str(server.get("session_name"))
    measured = _ptd_run(lines, session, "ranging")
    ranging = (measured[0], measured[1]) if measured and measured[1] else None
    fix_copy = "copy ptd_logs.txt again, unchanged, from the power client's output folder"
    if ranging is None:
        f.error(
            "power.ptd-log-ranging",
            path,
            f"PTDaemon's log has no ranging run of session {session} (a 'Go with mark' line "
            "followed by 'Completed test'): it is truncated or of another session",
            fix_copy,
        )
        return
    activated = next((line for line in lines if re.search(pw.PTD_UNCERTAINTY_ON, line)), None)
    activated_at = _ptd_line_time(activated) if activated is not None else None
    if activated_at is None or not activated_at < ranging[0]:
        f.error(
            "power.uncertainty-check",
            path,
            "PTDaemon's log does not show uncertainty checking activated before the ranging run "
            "('Uncertainty checking for Yokogawa... is activated')",
            "use a supported Yokogawa analyser with PTDaemon "
            f"{pw.SUPPORTED_PTD_VERSIONS[-1]}, which activates it when it connects",
        )
    _check_ptd_windows(f, path, lines, session, runs)
    errors: list[str] = []
    warnings: list[str] = []
    load = runs["testing"].window
    tolerance_s = pw.PHASE_TOLERANCE_MS / 1000
    for line in lines:
        for kind, pattern in (("WARNING", r"(?<=WARNING:).+"), ("ERROR", r"(?<=ERROR:).+")):
            found = re.search(pattern, line)
            if found is None or not found.group(0):
                continue
            problem = found.group(0).strip()
            when = _ptd_line_time(line)
            if when is None:
                errors.append(f"{line.strip()!r} (no timestamp)")
            elif kind == "ERROR":
                if problem in pw.ANYTIME_WARNING_ERRORS:
                    warnings.append(f"{line.strip()!r} (accepted)")
                elif not ranging[0] < when < ranging[1]:
                    errors.append(repr(line.strip()))
                elif not problem.startswith(pw.RANGING_ACCEPTED_ERRORS):
                    warnings.append(f"{line.strip()!r} (during ranging)")
            elif load is not None:
                start = load[0].timestamp() + tolerance_s
                end = load[1].timestamp() - tolerance_s
                if not start < when.timestamp() < end:
                    continue
                # the official window adds the tolerance in ms to times in s (800 s)
                official = load[0].timestamp() + pw.PHASE_TOLERANCE_MS
                official_end = load[1].timestamp() - pw.PHASE_TOLERANCE_MS
                note = (
                    ""
                    if official < when.timestamp() < official_end
                    else f" ({_STRICTER}adds its 800 ms tolerance as 800 s and misses it)"
                )
                if any(re.search(p, problem) for p in pw.TESTING_ERROR_WARNINGS):
                    errors.append(f"{line.strip()!r} during the testing run{note}")
                else:
                    warnings.append(f"{line.strip()!r} during the testing run{note}")
    every = " (every line is read; the official checker stops at the first warning)"
    if errors:
        more = f" (+{len(errors) - _SHOWN} more)" if len(errors) > _SHOWN else ""
        f.error(
            "power.ptd-error",
            path,
            f"PTDaemon logged {len(errors)} error(s) the checker does not accept: "
            + "; ".join(errors[:_SHOWN])
            + more
            + every,
            "fix what PTDaemon reports (the analyser's connection, its range: the ranging run "
            "sets it) and measure again",
        )
    if warnings:
        more = f" (+{len(warnings) - _SHOWN} more)" if len(warnings) > _SHOWN else ""
        f.warning(
            "power.ptd-warning",
            path,
            f"PTDaemon logged {len(warnings)} warning(s) the reviewers will audit: "
            + "; ".join(warnings[:_SHOWN])
            + more
            + every,
            "look at the analyser's connection and range; measure again if the warnings fall "
            "in the testing run",
        )


def _check_clock(f: _Findings, path: Path) -> None:
    """The clock offsets the client logged before each run and after the last one."""
    text = _read_text(path)
    if text is None:
        return
    limit = pw.CLOCK_OFFSET_LIMIT_MS
    ntp: float | None = None
    remote: float | None = None
    fresh = seen = False
    runs = 0
    too_far: list[str] = []

    def checkpoint(where: str, kinds: Iterable[tuple[str, float | None]]) -> None:
        for kind, offset in kinds:
            if offset is not None and offset > limit:
                too_far.append(f"{kind} {offset:.0f} ms {where}")

    for line in text.splitlines():
        if found := _NTP_OFFSET.search(line):
            ntp, fresh, seen = abs(float(found.group(1))) * 1000, True, True
        elif found := _REMOTE_OFFSET.search(line):
            low, high = abs(float(found.group(1))), abs(float(found.group(2)))
            remote, fresh, seen = max(low, high), True, True
        elif _WORKLOAD_LINE in line:
            runs += 1
            checkpoint(f"before run {runs}", (("NTP offset", ntp), ("client-server", remote)))
            fresh = False
    if fresh:
        checkpoint("after the last run", (("client-server", remote),))
    if not seen:
        f.warning(
            "power.clock-unlogged",
            path,
            "client.log records no clock check (NTP offset, client-server difference); the "
            f"power client logs one before and after every run ({_STRICTER}does not read "
            "client.log)",
            "copy client.log again, unchanged, from the power client's output folder",
        )
    elif too_far:
        f.error(
            "power.clock-offset",
            path,
            f"the clocks were more than {limit} ms apart: {'; '.join(too_far[:_SHOWN])} "
            f"({_STRICTER}does not read client.log)",
            "synchronise the system under test and the director with the same NTP server "
            "(the client's --ntp, the server's ntpServer) and measure again",
        )


def _check_power_session(f: _Findings, performance_dir: Path, version: str) -> None:
    """Every check of a scenario's power session (performance/power, ranging, run_1) of round
    ``version``."""
    power_dir = performance_dir / "power"
    client_path, server_path = power_dir / CLIENT_JSON, power_dir / SERVER_JSON
    client = _session(f, client_path)
    server = _session(f, server_path)
    runs = {mode: _read_run(performance_dir / folder, mode) for mode, folder in _MODES}
    changed: set[str] = set()
    if client is not None:
        _check_sources(f, client_path, client, version)
    if server is not None:
        _check_sources(f, server_path, server, version)
        _check_ptd_messages(f, server_path, server)
        _check_ptd_config(f, server_path, server)
        _check_debug(f, server_path, server)
    if client is not None and server is not None:
        _check_uuid(f, client_path, client, server)
        _check_session_name(f, client_path, client, server)
        _check_phases(f, client_path, client, server, runs)
        _check_messages(f, client_path, client, server)
        _check_sequence(f, client_path, client, server.get("session_name"))
        changed = _check_results(f, performance_dir, client, server)
        if f"power/{PTD_LOG}" not in changed:  # else power.results-checksum says it all
            _check_ptd_log(f, power_dir / PTD_LOG, server, runs)
    session = server.get("session_name") if server is not None else None
    for mode, folder in _MODES:
        if f"{folder}/{SAMPLE_LOG}" not in changed:
            _check_run(f, runs[mode], session if isinstance(session, str) else None)
    _check_agreement(f, runs)
    _check_clock(f, power_dir / "client.log")
