"""The analyser's watts as PTDaemon logs them, read while a power run is going on.

PTDaemon appends one line per sample to its log file (``-l``)::

    Time,12-02-2026 10:15:03.511,Watts,101.234000,Volts,230.1,Amps,0.46,PF,0.95,Mark,...

The power server keeps that file in a temporary folder of its own (``tmp*/ptd_logfile_1.log``)
and starts a new one for each session, so the profile's ``power.live_log`` is a path or a glob
and :class:`LiveLog` reads the newest file it matches. That works where this machine can see the
director's files (the director is this machine, or shares the folder); otherwise the watts are
known only after each run, from the session's ``spl.txt``.

Each :meth:`LiveLog.latest` reads only what was appended since the last call (a log that is
replaced or cut back is read again from its start) and keeps the last whole sample line; a
line still being written is left for the next call.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

#: the fields of a sample line: "Time", the stamp, "Watts", the watts, ...
_TIME, _WATTS = "Time", "Watts"
#: at most this much of a log is read in one call (the newest samples are at its end)
_MAX_READ = 1 << 20


def parse_watts(line: str) -> float | None:
    """The watts of one PTDaemon sample line (``Time,<stamp>,Watts,<w>,...``), else None."""
    parts = line.strip().split(",")
    if len(parts) < 4 or parts[0] != _TIME or parts[2] != _WATTS:
        return None
    try:
        watts = float(parts[3])
    except ValueError:
        return None
    return watts if watts == watts and watts >= 0 else None  # PTDaemon logs nan when unsure


class LiveLog:
    """The newest file matching ``pattern`` (a path or a glob, ``~`` allowed), tailed."""

    def __init__(self, pattern: str) -> None:
        self.pattern = os.path.expanduser(pattern)
        self._path: Path | None = None
        self._inode: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        self._watts: float | None = None

    def current(self) -> Path | None:
        """The file read now: the newest match (by modification time), None when none."""
        matches = glob.glob(self.pattern) if glob.has_magic(self.pattern) else [self.pattern]
        newest: tuple[float, str] | None = None
        for name in matches:
            try:
                stat = os.stat(name)
            except OSError:
                continue
            if os.path.isfile(name) and (newest is None or stat.st_mtime >= newest[0]):
                newest = (stat.st_mtime, name)
        return None if newest is None else Path(newest[1])

    def latest(self) -> float | None:
        """The watts of the last whole sample line so far (None before the first); never
        raises for a missing, unreadable or replaced file."""
        path = self.current()
        if path is None:
            return self._watts
        try:
            with path.open("rb") as fh:
                stat = os.fstat(fh.fileno())
                inode = (stat.st_dev, stat.st_ino)
                if path != self._path or inode != self._inode or stat.st_size < self._offset:
                    # another file, or this one replaced or cut back: read it from its start
                    self._path, self._inode, self._offset, self._partial = path, inode, 0, b""
                if stat.st_size - self._offset > _MAX_READ:
                    self._offset, self._partial = stat.st_size - _MAX_READ, b""
                fh.seek(self._offset)
                data = fh.read(_MAX_READ)
        except OSError:
            return self._watts
        self._offset += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()  # the line still being written (b"" after a newline)
        for raw in reversed(lines):
            watts = parse_watts(raw.decode("utf-8", errors="replace"))
            if watts is not None:
                self._watts = watts
                break
        return self._watts
