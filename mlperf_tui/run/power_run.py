"""A power run: the harness child under the official power client, ranging then testing.

With the profile's ``power:`` block, each performance run that is not a compliance audit (the
power workflow measures the results' performance runs, never the audits or accuracy) goes
through power-dev's client (:func:`mlperf_tui.power.client.run_client`) instead of being started
directly. The client's workload is the exact harness command of :func:`harness_command`, quoted
for the shell: ``cd RUN_DIR && HARNESS_PARENT_PID=$PPID exec python -m harness run --config
RUN_DIR/RUN.json 2>>RUN_DIR/harness.stderr.log`` (the harness cancels itself when its parent
dies: here that is the client). The client passes its own environment to that shell, so the
client runs with the harness child's environment (:meth:`ChildCommand.environ`).

The workload's standard output is the client's (``subprocess.run(..., shell=True)`` inherits
it), and the client's log goes to its standard error, which :func:`run_client` merges into the
same pipe: each line that is a harness event is handled as the harness child's would be
(``events.jsonl``, ``on_event``), every other line is the client's log and goes to
``power-client.log``. The client's ``Running workload in ranging/testing mode`` lines become
``phase`` events, so the progress shows which of the two runs is going on; with
``power.live_log`` set, the analyser's watts from PTDaemon's log are ``power`` events
(``{"event": "power", "watts": W, "t": seconds since the session started}``) in the same
stream, read twice a second and passed on with the client's next line (on the runner's
thread, as every event).

The run folder (RUN.json's ``output_dir`` is the client's ``-L`` folder ``loadgen/``; its
``-o`` is ``power-session/``) after a session that worked::

    runs/<run_id>/ mlperf_log_{summary,detail}.txt spl.txt     the testing run (run_1)
                   ranging/ mlperf_log_{summary,detail}.txt spl.txt
                   power/   client.json client.log ptd_logs.txt server.json server.log
                   power-session/<session>/...                 all the client left
                   power-client.log                            the client's log

so the testing run is the run's result like any other run's logs, and the package copies the
ranging and power folders beside it. The copies are byte for byte the client's (client.json
records their sha1). A session that failed leaves what it had under ``power-session/`` and
``loadgen/``, and the run is failed with the client's reason.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config import PARENT_PID_ENV
from harness.events import PROTOCOL_VERSION, parse_event
from mlperf_tui.errors import ExitCode
from mlperf_tui.results import EVENTS, HARNESS_STDERR
from mlperf_tui.rules.checker import (
    PERFORMANCE_FILES,
    POWER_DIR,
    POWER_FILES,
    POWER_RUN_FILES,
    RANGING_DIR,
)
from mlperf_tui.run.child import ChildOutcome, harness_command
from mlperf_tui.run.events import OnEvent, RunnerEvent, ignore

if TYPE_CHECKING:
    from mlperf_tui.power.client import ClientOutputs
    from mlperf_tui.profile.model import Power
    from mlperf_tui.run.plan import PlannedRun

#: in a power run's folder: the client's LoadGen log folder (-L), its output folder (-o), its log
LOADGEN_DIR = "loadgen"
SESSION_DIR = "power-session"
CLIENT_LOG = "power-client.log"
#: the session's folders the run keeps beside the testing run's logs
#: how often the live watts are read from PTDaemon's log
LIVE_INTERVAL_S = 0.5
#: the client's line that starts one of the two runs (lib/client.py)
_MODE_LINE = "Running workload in "
#: the exit code of a run the client failed (the harness's own code is not known)
CLIENT_FAILED = 1


def workload_command(
    run_dir: Path, python_path: tuple[Path, ...] = (), *, python: str = sys.executable
) -> str:
    """The shell command the client runs twice: the harness child of ``run_dir`` exactly as
    the runner starts it, with its standard error appended to harness.stderr.log. The
    process the harness watches (it cancels itself when its parent dies) is the client, the
    shell's parent: ``$PPID``, not the runner."""
    command = harness_command(run_dir, python_path, python=python)
    return (
        f"cd {shlex.quote(str(command.cwd))} && {PARENT_PID_ENV}=$PPID exec "
        f"{shlex.join(command.argv)} 2>>{shlex.quote(str(run_dir / HARNESS_STDERR))}"
    )


def checkout_path(power: Power, profile_path: Path | None) -> Path:
    """The power-dev checkout of the profile (relative to the profile's folder)."""
    from mlperf_tui.profile import resolve_profile_path

    return resolve_profile_path(power.checkout, profile_path)


class _Lines:
    """The client's merged output, line by line: harness events to ``events.jsonl`` and
    ``on_event``, the rest to the client's log."""

    def __init__(
        self,
        run: PlannedRun,
        index: int,
        total: int,
        on_event: OnEvent,
        events: Any,
        log: Any,
    ) -> None:
        self.run, self.index, self.total = run, index, total
        self.on_event, self.events, self.log = on_event, events, log
        self.outcome = ChildOutcome()
        self.lock = threading.Lock()
        self.started = time.monotonic()
        #: the live watts' newest event, emitted with the next line (on the runner's thread)
        self.pending: dict[str, Any] | None = None

    def emit(self, event: dict[str, Any]) -> None:
        import json

        with self.lock:
            self.events.write(json.dumps(event, separators=(",", ":")) + "\n")
            self.events.flush()
            self.outcome.take(event)
            self.on_event(
                RunnerEvent("harness", self.run.run_id, self.index, self.total, data=event)
            )

    def __call__(self, line: str) -> None:
        with self.lock:
            pending, self.pending = self.pending, None
        if pending is not None:
            self.emit(pending)
        event = parse_event(line)
        if event.get("event") != "text":
            self.emit(event)
            return
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()
        if _MODE_LINE in line:
            mode = line.split(_MODE_LINE, 1)[1].split()[0]
            self.emit(
                {
                    "v": PROTOCOL_VERSION,
                    "event": "phase",
                    "t": self.elapsed_s(),
                    "phase": f"power-{mode}",
                    "message": f"power: the {mode} run",
                }
            )

    def elapsed_s(self) -> float:
        return round(time.monotonic() - self.started, 3)


def _live_watts(pattern: str, lines: _Lines, stop: threading.Event) -> None:
    """``power`` events from PTDaemon's log until ``stop`` (a thread). Each is handed to
    ``lines`` and emitted with the client's next line, so that ``on_event`` is called on the
    runner's thread only (the harness's progress lines come four times a second)."""
    from mlperf_tui.power.live import LiveLog

    live = LiveLog(pattern)
    last: float | None = None
    while True:
        watts = live.latest()
        if watts is not None and watts != last:
            last = watts
            event = {"v": PROTOCOL_VERSION, "event": "power", "t": lines.elapsed_s()}
            with lines.lock:  # emitted on the runner's thread, with the client's next line
                lines.pending = {**event, "watts": watts}
        if stop.wait(LIVE_INTERVAL_S):
            return


def keep_session(outputs: ClientOutputs, run_dir: Path) -> None:
    """The session's testing run as the run's logs, its ranging and power folders beside them:
    copies of exactly the files the checker wants (the client's ptd_out.txt is not one)."""
    for name in (*PERFORMANCE_FILES, *POWER_RUN_FILES):
        shutil.copyfile(outputs.testing / name, run_dir / name)
    ranging = run_dir / RANGING_DIR
    ranging.mkdir(exist_ok=True)
    for name in (*PERFORMANCE_FILES, *POWER_RUN_FILES):
        shutil.copyfile(outputs.ranging / name, ranging / name)
    power = run_dir / POWER_DIR
    power.mkdir(exist_ok=True)
    for name in POWER_FILES:
        shutil.copyfile(outputs.power / name, power / name)
    # the -L folder holds the last run's logs again: the testing run's, now in run_dir
    shutil.rmtree(run_dir / LOADGEN_DIR, ignore_errors=True)


def run_power_child(
    run: PlannedRun,
    run_dir: Path,
    index: int,
    total: int,
    on_event: OnEvent,
    cancel: threading.Event,
    power: Power,
    *,
    python_path: tuple[Path, ...] = (),
    profile_path: Path | None = None,
    run_client: Callable[..., ClientOutputs] | None = None,
) -> tuple[int, ChildOutcome]:
    """Run the harness of ``run_dir`` under the power client; (exit code, what its events
    said). A failed session (PowerError) is exit code 1 with an ``error`` outcome that holds
    the client's reason and fix; a cancel is 130. ``run_client`` replaces the official
    client's runner (tests)."""
    from mlperf_tui.power import PowerError
    from mlperf_tui.power import client as power_client

    runner = run_client or power_client.run_client
    command = harness_command(run_dir, python_path)
    with (
        (run_dir / EVENTS).open("w", encoding="utf-8") as events,
        (run_dir / CLIENT_LOG).open("w", encoding="utf-8") as log,
    ):
        (run_dir / HARNESS_STDERR).touch()
        lines = _Lines(run, index, total, on_event, events, log)
        stop = threading.Event()
        watcher: threading.Thread | None = None
        if power.live_log:
            watcher = threading.Thread(
                target=_live_watts, args=(power.live_log, lines, stop), daemon=True
            )
            watcher.start()
        code = 0
        try:
            outputs = runner(
                checkout_path(power, profile_path),
                address=power.director,
                port=power.port,
                ntp=power.ntp,
                workload=workload_command(run_dir, python_path),
                loadgen_logs=run_dir / LOADGEN_DIR,
                output=run_dir / SESSION_DIR,
                label=session_label(run.run_id),
                on_line=lines,
                env=command.environ(),
                cwd=run_dir,
                cancel=cancel,
            )
            keep_session(outputs, run_dir)
        except PowerError as exc:
            code = 130 if exc.exit_code == ExitCode.CANCELLED or cancel.is_set() else CLIENT_FAILED
            lines.outcome.error = {"message": exc.message, "fix": exc.fix}
            with contextlib.suppress(OSError):
                log.write("".join(f"mlperf-tui: {ln}\n" for ln in (exc.message, exc.fix)))
        except FileNotFoundError as exc:
            # a session folder without a file the checker needs
            code = CLIENT_FAILED
            lines.outcome.error = {
                "message": f"the power client's session lacks {Path(str(exc.filename)).name}",
                "fix": "see power-client.log in the run's folder; the session is in "
                f"{SESSION_DIR}/",
            }
        finally:
            stop.set()
            if watcher is not None:
                watcher.join(timeout=2)
    return code, lines.outcome


#: a replay script's record of a power run: the client's whole output (the runner splits it
#: as it comes; :func:`record_session` splits it afterwards)
CLIENT_OUTPUT = "power-client.out"


def record_session(
    run: PlannedRun, run_dir: Path, code: int, index: int = 1, total: int = 1
) -> tuple[int, ChildOutcome]:
    """A power run a replay script ran (``run_power`` in replay.sh): its client output split
    as :func:`run_power_child` splits it as it comes (harness events to events.jsonl, the rest
    to power-client.log), the session's files kept as the runner keeps them; (exit code, what
    its events said): a failed session is a failed run with the client's reason."""
    from mlperf_tui.power import PowerError
    from mlperf_tui.power.client import session_outputs

    text = (run_dir / CLIENT_OUTPUT).read_text(encoding="utf-8", errors="replace")
    with (
        (run_dir / EVENTS).open("w", encoding="utf-8") as events,
        (run_dir / CLIENT_LOG).open("w", encoding="utf-8") as log,
    ):
        lines = _Lines(run, index, total, ignore, events, log)
        for line in text.splitlines():
            lines(line)
    if code == int(ExitCode.CANCELLED):
        return code, lines.outcome
    try:
        keep_session(session_outputs(code, text.splitlines(), run_dir / SESSION_DIR), run_dir)
    except PowerError as exc:
        lines.outcome.error = {"message": exc.message, "fix": exc.fix}
        return CLIENT_FAILED, lines.outcome
    except FileNotFoundError as exc:
        lines.outcome.error = {
            "message": f"the power client's session lacks {Path(str(exc.filename)).name}",
            "fix": f"see {CLIENT_LOG} in the run's folder; the session is in {SESSION_DIR}/",
        }
        return CLIENT_FAILED, lines.outcome
    return code, lines.outcome


def session_label(run_id: str) -> str:
    """The session's label (letters, digits, - and _ only): the run's id."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in run_id)
