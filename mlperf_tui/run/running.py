"""The runs in progress under one results folder, so that a run can say what else is running.

Two runs started at the same time (on the same profile, cache and output) never share a
folder: each writes a new results folder (:func:`mlperf_tui.results.new_results_folder`), and
caches are written atomically. They do share the machine, which makes the performance figures
of both unrepresentative, so a run says so when it starts. While it runs, a run keeps a hidden
``.running-<pid>`` file in the results root naming its folder; the file of a process that no
longer runs (killed) is removed by the next run that looks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.datasets import pid_alive

#: the name of a running run's file in the results root: PREFIX + pid
PREFIX = ".running-"


@dataclass(frozen=True)
class Running:
    """Another run in progress: its process and its results folder."""

    pid: int
    folder: str


def others(root: Path) -> list[Running]:
    """The other runs in progress under ``root`` (stale files of dead processes removed)."""
    found: list[Running] = []
    with contextlib.suppress(OSError):
        for path in sorted(root.glob(f"{PREFIX}*")):
            pid_text = path.name[len(PREFIX) :]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            if not pid_alive(int(pid_text)):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            with contextlib.suppress(OSError, UnicodeDecodeError):
                found.append(Running(int(pid_text), path.read_text(encoding="utf-8").strip()))
    return found


@contextlib.contextmanager
def registered(root: Path, folder: Path) -> Iterator[list[Running]]:
    """Mark this run as running under ``root`` while the block runs; yields the other runs in
    progress there. A root that cannot be written is no reason to stop: nothing is marked."""
    mark = root / f"{PREFIX}{os.getpid()}"
    running = others(root)
    try:
        mark.write_text(f"{folder}\n", encoding="utf-8")
        marked = True
    except OSError:
        marked = False
    try:
        yield running
    finally:
        if marked:
            with contextlib.suppress(OSError):
                mark.unlink()


def warning(running: list[Running]) -> str | None:
    """The line a run shows when others run beside it, or None."""
    if not running:
        return None
    names = ", ".join(f"{Path(r.folder).name or r.folder} (process {r.pid})" for r in running)
    return (
        f"Another run is in progress here: {names}. Each keeps its own results folder, but "
        "they share this machine, so the performance figures of both are lower than alone."
    )
