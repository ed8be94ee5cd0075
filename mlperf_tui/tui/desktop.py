"""What the TUI asks of the machine around it: save a screenshot, open a folder.

Neither raises for a missing desktop (a server over SSH has none): each returns what happened,
in words a notification can show.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Saved:
    """Where a file went (``path``), or None; ``failed``: (path tried, why) for each miss."""

    path: Path | None
    failed: tuple[tuple[Path, str], ...] = field(default_factory=tuple)


def screenshot_name(title: str, now: datetime | None = None) -> str:
    """``mlperf-tui-20260101-120000.svg``: sorts by time, like the results folders."""
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in title.strip()) or "screenshot"
    return f"{stem}-{(now or datetime.now()):%Y%m%d-%H%M%S}.svg"


def _write_new(folder: Path, name: str, text: str) -> Path:
    """Write ``folder/name``, or ``name-2``, ``name-3``...: never over an existing file."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 1000):
        target = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
        try:
            with target.open("x", encoding="utf-8") as fh:
                fh.write(text)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"{folder / name} and 998 numbered names exist")


def save_new_file(folders: Sequence[Path], name: str, text: str) -> Saved:
    """Write ``text`` as ``name`` into the first of ``folders`` that takes it."""
    failed: list[tuple[Path, str]] = []
    for folder in folders:
        try:
            return Saved(_write_new(folder, name, text), tuple(failed))
        except OSError as exc:
            failed.append((folder / name, exc.strerror or str(exc)))
    return Saved(None, tuple(failed))


def describe_failures(failed: Sequence[tuple[Path, str]]) -> str:
    return "; ".join(f"{path}: {why}" for path, why in failed)


def folder_opener(
    platform: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[list[str] | None, str]:
    """The command that opens a folder in the desktop's file manager, or (None, why not).

    On Linux xdg-open needs a graphical session: without DISPLAY or WAYLAND_DISPLAY it may
    start a text browser in this very terminal, under the TUI, so it is not tried.
    """
    platform = platform or sys.platform
    env = os.environ if env is None else env
    if platform == "darwin":
        return (["open"], "") if shutil.which("open") else (None, "the open command is missing")
    if platform.startswith("win"):
        return ["explorer"], ""
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return None, "no desktop session here (DISPLAY and WAYLAND_DISPLAY are not set)"
    if shutil.which("xdg-open") is None:
        return None, "xdg-open is not installed"
    return ["xdg-open"], ""


def open_folder(folder: Path, timeout_s: float = 15.0) -> tuple[bool, str]:
    """Open ``folder`` in the file manager: (opened, what happened, as a sentence to show).
    Blocks until the opener
    returns (xdg-open and open return at once): call it from a worker thread."""
    if not folder.is_dir():
        return False, f"{folder} does not exist"
    command, why = folder_opener()
    if command is None:
        return False, f"Cannot open a folder here: {why}"
    try:
        proc = subprocess.run(
            [*command, str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout_s,
            check=False,
            start_new_session=True,  # a Ctrl-C in the TUI does not reach the file manager
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{command[0]} did not open it: {exc}"
    # explorer.exe exits 1 even when it opened the folder
    if proc.returncode != 0 and command[0] != "explorer":
        last = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return False, f"{command[0]} did not open it: {last[0]}"
    return True, f"Opened {folder} with {command[0]}"
