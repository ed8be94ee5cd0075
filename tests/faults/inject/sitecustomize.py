"""Fault injection for tests/faults: pauses or breaks a process when it opens a chosen file.

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``; the fault tests put this
folder there, so the command under test and every Python child it starts (harness runs, model
timing) load it. Nothing happens unless ``MLPERF_TUI_TEST_FAULT_AT`` is set:

- ``MLPERF_TUI_TEST_FAULT_AT``: a regular expression searched in the path of every file the
  process opens (an audit hook: ``open()``, ``os.open``, ``tempfile``);
- ``MLPERF_TUI_TEST_FAULT_MODE``: ``w`` (default) for an open that writes or creates, ``r``
  for one that only reads;
- ``MLPERF_TUI_TEST_FAULT_EVENT``: the audit event to watch, ``open`` (default) or
  ``os.rename`` (``os.rename`` and ``os.replace``: the pattern is searched in the source
  path, and the mode is ignored);
- ``MLPERF_TUI_TEST_FAULT_NTH``: fire at the nth matching open of a process (default 1; 2
  reaches the write that follows ``tempfile.mkstemp``'s creation of the file);
- ``MLPERF_TUI_TEST_FAULT_MARK``: a file created (with this process's id) when the fault
  fires; the fault fires once for the whole process tree: not again once the mark exists;
- ``MLPERF_TUI_TEST_FAULT_DO``: what to do then, before the open goes ahead: ``pause``
  (default: sleep for ``MLPERF_TUI_TEST_FAULT_PAUSE_S`` seconds, 60 unless set, so the test
  can signal the process while it is in that phase), ``fill:DIR`` (write a file in DIR until
  its disk is full) or ``ro:DIR`` (remount DIR's file system read-only; the tests run the
  command as root of a private mount namespace, so this needs no privilege).

The open itself is not changed, so what the product sees is a real full or read-only disk, or
a real signal, in the middle of a real write.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

_AT = os.environ.get("MLPERF_TUI_TEST_FAULT_AT")

#: os.open flags that write or create
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _writes(mode: object, flags: object) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _fill(folder: str) -> None:
    chunk = b"\0" * (1 << 20)
    fd = os.open(os.path.join(folder, ".fault-fill"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, chunk)
    except OSError:
        pass
    finally:
        os.close(fd)
    # the last bytes too: writes of any size fail from now on
    try:
        fd = os.open(os.path.join(folder, ".fault-fill-tail"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 512)
        except OSError:
            pass
        finally:
            os.close(fd)
    except OSError:
        pass


def _fire(path: str) -> None:
    mark = os.environ.get("MLPERF_TUI_TEST_FAULT_MARK", "")
    if mark:
        try:
            fd = os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return  # fired already, in this process or another one
        os.write(fd, f"{os.getpid()}\n{path}\n".encode())
        os.close(fd)
    action = os.environ.get("MLPERF_TUI_TEST_FAULT_DO", "pause")
    if action.startswith("fill:"):
        _fill(action[len("fill:") :])
    elif action.startswith("ro:"):
        subprocess.run(["mount", "-o", "remount,ro", action[len("ro:") :]], check=False)
    else:
        time.sleep(float(os.environ.get("MLPERF_TUI_TEST_FAULT_PAUSE_S", "60")))


def _install(at: str) -> None:
    pattern = re.compile(at)
    want_write = os.environ.get("MLPERF_TUI_TEST_FAULT_MODE", "w") != "r"
    watched = os.environ.get("MLPERF_TUI_TEST_FAULT_EVENT", "open")
    nth = int(os.environ.get("MLPERF_TUI_TEST_FAULT_NTH", "1"))
    busy = [False]
    seen = [0]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event != watched or busy[0] or not args:
            return
        path = args[0]
        if not isinstance(path, (str, bytes, os.PathLike)):
            return
        text = os.fsdecode(path)
        if event == "open":
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else None
            if _writes(mode, flags) != want_write:
                return
        if not pattern.search(text):
            return
        seen[0] += 1
        if seen[0] < nth:
            return
        busy[0] = True  # the hook's own opens do not fire it again
        try:
            _fire(text)
        finally:
            busy[0] = False

    sys.addaudithook(hook)


if _AT:
    _install(_AT)
