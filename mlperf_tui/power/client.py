"""The official power client (power-dev ``ptd_client_server/client.py``), run on a workload.

The client connects to the power server on the director, checks the clocks (NTP and the
server's), opens a session, and runs the workload, a shell command, twice: a *ranging* run
(the server lets the analyser pick its ranges and notes the highest volts and amps) and a
*testing* run (at ranges fixed from those). After each run it looks under its LoadGen log
folder (``-L``) for the ``mlperf_log_detail.txt`` whose ``power_begin`` / ``power_end`` fall
inside the run and copies it and ``mlperf_log_summary.txt``; the workload must therefore write
LoadGen's logs into that folder (or below it). At the end it downloads the server's files and
leaves, in ``OUTPUT/<session>/`` (the session is ``YYYY-MM-DD_HH-MM-SS_<label>``)::

    power/    client.json client.log ptd_logs.txt server.json server.log
    ranging/  mlperf_log_detail.txt mlperf_log_summary.txt spl.txt
    run_1/    mlperf_log_detail.txt mlperf_log_summary.txt spl.txt ptd_out.txt

:func:`client_command` builds its command line from the user's checkout (never a copy of
ours: the submission checker compares the sources' checksums); :func:`run_client` runs it,
hands each line of its log (and of the workload's output) to a callback, and returns the
session's folders, or raises :class:`PowerError` with the client's last lines.

The official client ends with status 0 in a few failures too (clocks that NTP cannot bring
together: ``exit()``), so success is its ``Successful exit`` line and the session folder, not
only the status.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlperf_tui.errors import ExitCode
from mlperf_tui.power.director import DEFAULT_PORT
from mlperf_tui.power.errors import PowerError

#: the client's sources in a power-dev checkout, relative to the checkout
CLIENT_SOURCES = (
    "ptd_client_server/__init__.py",
    "ptd_client_server/client.py",
    "ptd_client_server/lib/__init__.py",
    "ptd_client_server/lib/client.py",
    "ptd_client_server/lib/common.py",
    "ptd_client_server/lib/summary.py",
    "ptd_client_server/lib/time_sync.py",
    "ptd_client_server/lib/source_hashes.py",
    "ptd_client_server/lib/external/ntplib.py",
)
CLIENT_SCRIPT = "ptd_client_server/client.py"
#: the last line of a client run that worked (lib/client.py)
SUCCESS_LINE = "Successful exit"
#: the folders of a session (lib/client.py: "run_1" is the testing run)
RANGING, TESTING, POWER = "ranging", "run_1", "power"
#: the characters the client allows in a label (lib/common.py check_label)
_LABEL = re.compile(r"[A-Za-z0-9_-]*")
_SESSION = re.compile(r"Session id is '([^']+)'")
#: lines kept for the error of a failed run
TAIL_LINES = 30


@dataclass(frozen=True)
class ClientOutputs:
    """What one client run left: ``session_dir`` = OUTPUT/<session>."""

    session: str
    session_dir: Path

    @property
    def ranging(self) -> Path:
        return self.session_dir / RANGING

    @property
    def testing(self) -> Path:
        return self.session_dir / TESTING

    @property
    def power(self) -> Path:
        return self.session_dir / POWER

    def files(self) -> list[str]:
        """Every file of the session, relative to its folder, sorted."""
        return sorted(
            p.relative_to(self.session_dir).as_posix()
            for p in self.session_dir.rglob("*")
            if p.is_file()
        )


def power_dev_checkout(path: Path) -> Path:
    """The root of the power-dev checkout at ``path`` (its root, or its ptd_client_server
    folder); PowerError naming the missing files when it is not one."""
    path = Path(path).expanduser()
    root = path.parent if path.name == "ptd_client_server" else path
    if not root.is_dir():
        raise PowerError(
            f"the power-dev checkout {path} does not exist",
            "set power.checkout to a clone of github.com/mlcommons/power-dev at the code-freeze "
            "commit the inference rules name",
        )
    missing = [name for name in CLIENT_SOURCES if not (root / name).is_file()]
    if missing:
        raise PowerError(
            f"{path} is not a power-dev checkout: {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            + " missing",
            "set power.checkout to the folder of a power-dev clone (the one holding "
            "ptd_client_server/), unmodified: the checker compares its sources' checksums",
        )
    return root


def client_command(
    checkout: Path,
    *,
    address: str,
    port: int = DEFAULT_PORT,
    ntp: str,
    workload: Sequence[str] | str,
    loadgen_logs: Path,
    output: Path,
    label: str = "",
    force: bool = False,
    stop_server: bool = False,
    max_amps: float = 0.0,
    max_volts: float = 0.0,
    python: str = sys.executable,
) -> list[str]:
    """The official client's command line (its argparse in lib/client.py).

    ``workload`` is the shell command it runs twice (a list is quoted for the shell);
    ``loadgen_logs`` the folder the workload writes LoadGen's logs into (``-L``, ``force``
    removes it first: ``-f``); ``output`` the folder the session's folder goes into (``-o``).
    ``max_amps`` and ``max_volts`` (both > 0) skip the ranging run: power-dev calls this
    experimental, and such results are not valid for a submission.
    """
    root = power_dev_checkout(checkout)
    if not address.strip():
        raise PowerError(
            "no director address is set",
            "set power.director to the host name or IP address of the power server's machine",
        )
    if not 0 < port < 65536:
        raise PowerError(
            f"the power server port {port} is not a TCP port",
            f"use the port of the server config's listen setting (default {DEFAULT_PORT})",
        )
    if not ntp.strip():
        raise PowerError(
            "no NTP server is set",
            "set power.ntp to the NTP server both the director and this machine use (the "
            "client and the server check their clocks against it before each run)",
        )
    if not _LABEL.fullmatch(label):
        raise PowerError(
            f"the label {label!r} has characters the power client refuses",
            "use only letters, digits, '-' and '_'",
        )
    command = workload if isinstance(workload, str) else shlex.join(workload)
    if not command.strip():
        raise PowerError("the workload command is empty", "give the harness command to run")
    logs, out = Path(loadgen_logs).absolute(), Path(output).absolute()
    if logs == out or out.is_relative_to(logs):
        raise PowerError(
            f"the output folder {out} is the LoadGen log folder {logs} or inside it",
            "choose an output folder outside the LoadGen log folder (the client copies the "
            "logs from one into the other)",
        )
    argv = [
        python,
        str(root / CLIENT_SCRIPT),
        "--addr",
        address,
        "--port",
        str(port),
        "--ntp",
        ntp,
        "--run-workload",
        command,
        "--loadgen-logs",
        str(logs),
        "--output",
        str(out),
    ]
    if label:
        argv += ["--label", label]
    if force:
        argv.append("--force")
    if stop_server:
        argv.append("--stop-server")
    if max_amps > 0 and max_volts > 0:
        argv += ["--max-amps", str(max_amps), "--max-volts", str(max_volts)]
    return argv


def run_client(
    checkout: Path,
    *,
    address: str,
    port: int = DEFAULT_PORT,
    ntp: str,
    workload: Sequence[str] | str,
    loadgen_logs: Path,
    output: Path,
    label: str = "",
    force: bool = False,
    on_line: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float | None = None,
    python: str = sys.executable,
    cancel: threading.Event | None = None,
) -> ClientOutputs:
    """Run the official client (see :func:`client_command`) to its end.

    Each line it prints (its log, and the workload's output) goes to ``on_line``. Returns the
    session's folders; raises PowerError with the client's last lines when it fails, when it
    runs past ``timeout_s``, or when ``cancel`` is set (then it and its workload are stopped:
    SIGINT to both, and the server drops the session when the client goes; exit code
    CANCELLED).
    """
    argv = client_command(
        checkout,
        address=address,
        port=port,
        ntp=ntp,
        workload=workload,
        loadgen_logs=loadgen_logs,
        output=output,
        label=label,
        force=force,
        python=python,
    )
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    session = _Session()
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            bufsize=1,
            env=dict(os.environ if env is None else env),
            cwd=cwd,
            # its own process group: a stop reaches the workload the client started too
            start_new_session=True,
        )
    except OSError as e:
        raise PowerError(
            f"cannot start the power client with {python}: {e.strerror or e}",
            "check the Python interpreter the power client runs with",
            exit_code=ExitCode.ENVIRONMENT,
        ) from None
    timer = _Deadline(proc, timeout_s, cancel)
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            tail.append(line)
            session.read(line)
            if on_line is not None:
                on_line(line)
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            _stop(proc)
    if timer.cancelled:
        raise PowerError(
            "the power run was cancelled: the power client and its workload were stopped",
            "run the profile again; the power server dropped the session and takes the next one",
            exit_code=ExitCode.CANCELLED,
            log_tail=tail,
        )
    if timer.fired:
        raise PowerError(
            f"the power client ran past {timeout_s:g} s and was stopped",
            "check the director (is the analyser answering?) and the workload; the server "
            "drops a session whose client goes away",
            exit_code=ExitCode.RUN_FAILED,
            log_tail=tail,
        )
    return session.outputs(rc, tail, output)


def session_outputs(rc: int, lines: Iterable[str], output: Path) -> ClientOutputs:
    """The session folders of a client run whose exit status was ``rc`` and whose merged
    output was ``lines`` (a replay script's record of it), as :func:`run_client` judges its
    own run; PowerError with the cause when the run failed."""
    session = _Session()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    for line in lines:
        tail.append(line)
        session.read(line)
    return session.outputs(rc, tail, output)


class _Session:
    """What the client's output says of its session: its id, and whether it ended well."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.succeeded = False

    def read(self, line: str) -> None:
        found = _SESSION.search(line)
        if found:
            self.name = found.group(1)
        if SUCCESS_LINE in line:
            self.succeeded = True

    def outputs(self, rc: int, tail: Iterable[str], output: Path) -> ClientOutputs:
        session_dir = Path(output).absolute() / self.name if self.name else None
        if rc != 0 or not self.succeeded or session_dir is None or not session_dir.is_dir():
            raise _failure(rc, tail)
        return ClientOutputs(self.name or "", session_dir)


class _Deadline:
    """Stops the client when ``timeout_s`` passes (None: never) or ``cancel`` is set."""

    def __init__(
        self,
        proc: subprocess.Popen[str],
        timeout_s: float | None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.fired = False
        self.cancelled = False
        self._done = threading.Event()
        self._timer: threading.Timer | None = None
        if timeout_s is not None:
            self._timer = threading.Timer(timeout_s, self._fire, args=(proc,))
            self._timer.daemon = True
            self._timer.start()
        if cancel is not None:
            threading.Thread(target=self._watch, args=(proc, cancel), daemon=True).start()

    def _fire(self, proc: subprocess.Popen[str]) -> None:
        self.fired = True
        _stop(proc)

    def _watch(self, proc: subprocess.Popen[str], cancel: threading.Event) -> None:
        while not self._done.is_set():
            if cancel.wait(0.1):
                if not self._done.is_set():
                    self.cancelled = True
                    _stop(proc)
                return

    def cancel(self) -> None:
        self._done.set()
        if self._timer is not None:
            self._timer.cancel()


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGINT to the client's group (the client closes its session), then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


#: (what the client's log says, what it means, the fix), the first match wins
_CAUSES: tuple[tuple[str, str, str], ...] = (
    (
        "Could not connect to the server",
        "the power client could not connect to the power server",
        "start the power server on the director and check power.director and power.port "
        "(probe it first: the wizard's power step does)",
    ),
    (
        "Handshake failed",
        "the power server did not answer the power protocol's handshake",
        "check power.port: it is not an MLPerf power server, or one of another version",
    ),
    (
        "Could not synchronize",
        "the clocks of this machine, the director and the NTP server disagree",
        "point power.ntp and the server config's ntpServer at the same NTP server, and let "
        "both machines sync to it (ntpdate, as root, or their own NTP daemon)",
    ),
    (
        "time difference between the client and the server is more than",
        "the clocks of this machine and the director disagree by more than 400 ms",
        "sync both machines to the same NTP server before the run",
    ),
    (
        "to be a directory containing loadgen logs",
        "the workload did not leave LoadGen logs of the run in the LoadGen log folder",
        "make the workload write LoadGen's logs (mlperf_log_detail.txt) into the folder "
        "given to the client with -L",
    ),
    (
        "CalledProcessError",
        "the workload failed (the harness run under power measurement)",
        "see the workload's own error above the client's last lines; run it alone first",
    ),
    (
        "Got an unexpecting response from the server",
        "the power server refused",
        "the analyser or PTDaemon on the director answered with an error (power-dev's server "
        "passes it on as 'Error: exception'): its log on the director names the command; "
        "check the analyser's connection and PTDaemon there",
    ),
    (
        "The server is disconnected",
        "the power server went away during the measurement",
        "see the power server's log on the director: PTDaemon may have stopped or the "
        "analyser stopped answering",
    ),
)


#: the client's log of a server reply that is an error (repr: either quote)
_ERROR_REPLY = re.compile(r"""Got response: (?:'(Error[^']*)'|"(Error[^"]*)")""")


def _failure(rc: int, tail: Iterable[str]) -> PowerError:
    lines = list(tail)
    text = "\n".join(lines)
    for needle, what, fix in _CAUSES:
        if needle in text:
            if what == "the power server refused":
                what = f"the power server refused to {_last_step(text)}"
                replies = [m.group(1) or m.group(2) for m in _ERROR_REPLY.finditer(text)]
                what += f" (it answered {replies[-1]!r})" if replies else ""
            return PowerError(
                f"{what} (power client exit {rc})",
                fix,
                exit_code=ExitCode.RUN_FAILED,
                log_tail=lines,
            )
    last = next((ln for ln in reversed(lines) if ln.strip()), "no output")
    return PowerError(
        f"the power client failed (exit {rc}): {last[-200:]}",
        "see the client's last lines; the director's server log says more",
        exit_code=ExitCode.RUN_FAILED,
        log_tail=lines,
    )


_SENT = re.compile(r"Sending command to the server: '([^']*)'")


def _last_step(text: str) -> str:
    """The last command the client sent, in words ("start the testing run")."""
    sent = _SENT.findall(text)
    if not sent:
        return "go on"
    parts = sent[-1].split(",")
    if parts[0] == "session" and len(parts) >= 4:
        action, mode = parts[2], parts[3]
        return f"{action} the {mode} measurement"
    return f"answer {parts[0]!r}"
