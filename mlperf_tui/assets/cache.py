"""The cache folder of generated stand-ins, downloads and preprocessed samples.

``cache_root()``: the ``cache_dir`` argument, else ``$MLPERF_TUI_CACHE``, else platformdirs'
``user_cache_dir("mlperf-tui")``. Files appear atomically (:func:`atomic_file`): a reader sees
a complete file or none. A temporary's name carries its writer's pid
(``.NAME.PID.xxxxxxxx.tmp``), so what a killed writer left is removed before the entry is
written again, and a live writer's is kept (``harness.datasets.remove_dead_leftovers``). A
cache that cannot be written is a user error (:func:`cache_write_failed`): a full disk exits
5, a read-only folder 3, each with the fix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from harness.datasets import remove_dead_leftovers, temporary_prefix
from mlperf_tui.errors import MlperfTuiError, write_failed

#: environment variable that overrides the cache folder
CACHE_ENV = "MLPERF_TUI_CACHE"
#: how the user picks another cache folder (the end of every cache write error's fix)
CHOOSE_CACHE = f"set {CACHE_ENV} to another folder"


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """The cache folder: argument, else $MLPERF_TUI_CACHE, else the user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlperf-tui"))


def cache_write_failed(exc: OSError, doing: str, folder: Path) -> MlperfTuiError:
    """The user error for a failed write in the cache: DiskFull or NotWritable, with the fix."""
    return write_failed(exc, doing, folder, CHOOSE_CACHE)


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cache_write_failed(exc, "creating the cache folder", path) from None
    return path


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed onto it when the block succeeds; what a
    killed writer of `target` left is removed first."""
    ensure_dir(target.parent)
    remove_dead_leftovers(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=temporary_prefix(target.name), suffix=".tmp"
    )
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):  # gone once renamed; a read-only disk keeps it
            os.unlink(tmp)
