"""Is the power server on the director answering? A probe before any power run starts.

The MLCommons power server (power-dev ``ptd_client_server/lib/server.py``) speaks a line
protocol over TCP (``lib/common.py``, ``Proto``): each message is one line ending in CR LF. A
client opens with the magic line ``mlcommons/power client v3`` and the server answers
``mlcommons/power server v3`` (the protocol version is the number). After that the server
takes commands; the only one that neither starts a session nor needs one is ``time`` (the
server's clock, ``time.time()`` as text), which the official client uses to check that both
clocks agree within 400 ms. :func:`probe` does exactly that handshake and one ``time``, then
closes: the server logs a connection that ended, nothing else.

The protocol has no command for the analyser: the server starts PTDaemon only when a session's
ranging run begins, and its ``Identify`` reply (the analyser's model and PTDaemon's version) is
recorded in the session's ``server.json``; :func:`analyser_identity` reads it from there.

The server serves one client at a time, so a probe while another client's session runs is
accepted by the operating system but not answered: that is a timeout here, with a fix that says
so. Nothing of power-dev is imported: this is our own small client of its protocol.
"""

from __future__ import annotations

import errno
import json
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlperf_tui.errors import ExitCode
from mlperf_tui.power.errors import PowerError

#: the protocol version of power-dev's code-freeze commit (lib/common.py PROTO_VERSION)
PROTOCOL_VERSION = "3"
CLIENT_MAGIC = f"mlcommons/power client v{PROTOCOL_VERSION}"
_SERVER_MAGIC = re.compile(r"mlcommons/power server v(\d+)")
#: the power server's default port (lib/common.py DEFAULT_PORT)
DEFAULT_PORT = 4950
#: the clock difference over which the official client and server refuse to measure
#: (lib/time_sync.py CRITICAL_DIFFERENCE_TIME_MS)
CLOCK_TOLERANCE_MS = 400.0
#: the longest line we read from the server (its replies here are a few dozen bytes)
_MAX_LINE = 4096

_START_SERVER = (
    "start the power server on the director (python ptd_client_server/server.py -c "
    "server.conf, from the power-dev checkout) and check that the profile's power port is its "
    f"config's listen port (default {DEFAULT_PORT})"
)


@dataclass(frozen=True)
class DirectorInfo:
    """What a director's power server said to the probe."""

    address: str
    port: int
    #: the protocol version in the server's handshake ("3")
    protocol_version: str
    #: the director's clock minus ours, at the middle of the ``time`` round trip
    clock_offset_ms: float
    round_trip_ms: float

    @property
    def clocks_agree(self) -> bool:
        """Within what the official client accepts (else it asks NTP and may refuse to run)."""
        return abs(self.clock_offset_ms) + self.round_trip_ms / 2 <= CLOCK_TOLERANCE_MS

    def describe(self) -> str:
        return (
            f"MLPerf power server (protocol v{self.protocol_version}) at "
            f"{self.address}:{self.port}; clock offset {self.clock_offset_ms:+.1f} ms"
        )


@dataclass(frozen=True)
class AnalyserIdentity:
    """The analyser as PTDaemon identified it in a session (its ``Identify`` reply)."""

    #: the analyser's model, the reply's first field ("YokogawaWT310")
    model: str
    #: PTDaemon's version ("1.11.1"), empty when the reply has none
    ptd_version: str
    #: the whole reply
    reply: str


def probe(address: str, port: int = DEFAULT_PORT, timeout_s: float = 5.0) -> DirectorInfo:
    """Connect to the power server at ``address``:``port``, do the handshake and ask its time.

    Raises :class:`PowerError` with the likely cause (address, port, firewall, server not
    started, not an MLPerf power server) when that does not work.
    """
    where = f"{address}:{port}"
    if not address.strip():
        raise PowerError(
            "no director address is set",
            "set power.director to the host name or IP address of the machine running the "
            "power server",
        )
    if not 0 < port < 65536:
        raise PowerError(
            f"the power server port {port} is not a TCP port",
            f"use the port of the server config's listen setting (default {DEFAULT_PORT})",
        )
    deadline = time.monotonic() + timeout_s
    sock = _connect(address, port, timeout_s)
    with sock:
        reader = _LineReader(sock, where, deadline)
        reader.send(CLIENT_MAGIC)
        magic = reader.line("the handshake")
        match = _SERVER_MAGIC.fullmatch(magic)
        if match is None:
            raise PowerError(
                f"{where} is not an MLPerf power server: it answered {magic[:80]!r} to the "
                "power protocol's handshake",
                f"check the port: {_START_SERVER}",
            )
        version = match.group(1)
        if version != PROTOCOL_VERSION:
            raise PowerError(
                f"the power server at {where} speaks protocol v{version}, the power client "
                f"v{PROTOCOL_VERSION}",
                "run the server and the client from the same power-dev checkout, at the "
                "code-freeze commit the inference rules name",
            )
        before = time.time()
        reader.send("time")
        reply = reader.line("the time command")
        after = time.time()
    try:
        remote = float(reply)
    except ValueError:
        raise PowerError(
            f"{where} answered the handshake but not the time command ({reply[:80]!r})",
            "the director runs a modified or other power server: use an unmodified power-dev "
            "checkout at the code-freeze commit",
        ) from None
    return DirectorInfo(
        address,
        port,
        version,
        clock_offset_ms=(remote - (before + after) / 2) * 1000,
        round_trip_ms=(after - before) * 1000,
    )


def _connect(address: str, port: int, timeout_s: float) -> socket.socket:
    where = f"{address}:{port}"
    try:
        return socket.create_connection((address, port), timeout=timeout_s)
    except socket.gaierror:
        raise PowerError(
            f"the director address {address!r} is not known (no such host)",
            "check power.director: the host name or IP address of the machine running the "
            "power server, as this machine resolves it",
        ) from None
    except ConnectionRefusedError:
        raise PowerError(
            f"nothing listens on {where}: the power server is not started there, or on another "
            "port",
            _START_SERVER,
        ) from None
    except TimeoutError:
        raise PowerError(
            f"no answer from {where} within {timeout_s:g} s",
            f"check the director address, that the director is on and on this network, and "
            f"that no firewall between the two machines drops TCP port {port}",
            exit_code=ExitCode.ENVIRONMENT,
        ) from None
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            raise PowerError(
                f"no route to the director {address} ({e.strerror})",
                "check the director address and the network between this machine and the director",
                exit_code=ExitCode.ENVIRONMENT,
            ) from None
        raise PowerError(
            f"cannot connect to the power server at {where}: {e.strerror or e}",
            "check the director address and port, and that the power server runs there",
            exit_code=ExitCode.ENVIRONMENT,
        ) from None


class _LineReader:
    """Lines of the power protocol (CR LF), each read before ``deadline``."""

    def __init__(self, sock: socket.socket, where: str, deadline: float) -> None:
        self.sock = sock
        self.where = where
        self.deadline = deadline
        self.buf = b""

    def send(self, line: str) -> None:
        try:
            self.sock.settimeout(max(0.01, self.deadline - time.monotonic()))
            self.sock.sendall(line.encode() + b"\r\n")
        except OSError as e:
            raise self._closed(f"sending {line!r}", e) from None

    def line(self, what: str) -> str:
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or len(self.buf) > _MAX_LINE:
                raise self._silent(what)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(_MAX_LINE)
            except TimeoutError:
                raise self._silent(what) from None
            except OSError as e:
                raise self._closed(what, e) from None
            if not data:
                raise self._closed(what, None)
            self.buf += data
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.rstrip(b"\r").decode(errors="replace")

    def _silent(self, what: str) -> PowerError:
        return PowerError(
            f"{self.where} accepted the connection but did not answer {what} in time",
            "it is not an MLPerf power server, or the power server is busy with another "
            "client's run (it serves one at a time): check the port, or wait for that run",
        )

    def _closed(self, what: str, e: OSError | None) -> PowerError:
        why = f" ({e.strerror or e})" if e is not None else ""
        return PowerError(
            f"{self.where} closed the connection during {what}{why}",
            f"it is not an MLPerf power server of protocol v{PROTOCOL_VERSION}: check the port; "
            + _START_SERVER,
        )


def analyser_identity(server_json: Path) -> AnalyserIdentity:
    """The analyser's identity in a finished session's ``power/server.json`` (the server's
    record of PTDaemon's messages). Raises PowerError when the file has none."""
    try:
        data: Any = json.loads(server_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PowerError(
            f"cannot read the power server's record {server_json}: {e}",
            "run the power measurement again: the client downloads server.json at its end",
        ) from None
    messages = data.get("ptd_messages") if isinstance(data, dict) else None
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and message.get("cmd") == "Identify":
            reply = str(message.get("reply") or "")
            found = re.search(r"version=([^-,]+)", reply)
            return AnalyserIdentity(reply.split(",")[0], found.group(1) if found else "", reply)
    raise PowerError(
        f"{server_json} has no reply of PTDaemon to Identify",
        "the session did not reach PTDaemon: check the analyser and PTDaemon on the director "
        "(the server's server.log says why)",
    )
