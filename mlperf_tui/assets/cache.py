"""The cache folder of generated stand-ins, downloads and preprocessed samples.

``cache_root()``: the ``cache_dir`` argument, else ``$MLPERF_TUI_CACHE``, else platformdirs'
``user_cache_dir("mlperf-tui")``. Files appear atomically (:func:`atomic_file`): a reader sees
a complete file or none.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mlperf_tui.errors import AssetError

#: environment variable that overrides the cache folder
CACHE_ENV = "MLPERF_TUI_CACHE"


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """The cache folder: argument, else $MLPERF_TUI_CACHE, else the user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlperf-tui"))


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssetError(
            f"cannot create the cache folder {path}: {exc.strerror or exc}",
            f"set {CACHE_ENV} to a writable folder",
        ) from None
    return path


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed onto it when the block succeeds."""
    ensure_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
