"""Data sets of the harness: sample loading apart from preprocessing.

:class:`SampleStore` is the in-memory part every data set shares: the samples LoadGen asked to
load live in ONE contiguous array per model input, and a batch is a single fancy-index into
each (a view when the rows are consecutive), never a ``np.array`` over a list of per-sample
arrays.

:class:`DiskCache` is the on-disk part: one raw file per preprocessed sample, written atomically
(temporary file + ``os.replace``), so two processes preprocessing the same data set at once
both end up with identical, complete files. The cache only saves time: a sample it cannot
write (a full disk, a read-only folder) is used from memory, and the run goes on.

A writer's temporary file or folder (:func:`temporary_prefix`) is hidden and carries the
writer's process id, so the leftovers of a killed writer can be told from a live writer's and
removed (:func:`remove_dead_leftovers`); the asset cache (``mlperf_tui.assets``) names its
temporaries the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "DiskCache",
    "SampleStore",
    "StoreBacked",
    "pid_alive",
    "remove_dead_leftovers",
    "temporary_prefix",
]

#: what follows ``.{name}.`` in a temporary's name: the writer's pid and tempfile's 8 random
#: characters, ``.tmp`` for a file
_LEFTOVER_REST = re.compile(r"(?P<pid>[0-9]+)\.[a-z0-9_]{8}(?:\.tmp)?")
#: a whole temporary's name, for a sweep over every entry of a folder
_LEFTOVER = re.compile(r"\.(?P<name>.+)\." + _LEFTOVER_REST.pattern)


def temporary_prefix(name: str) -> str:
    """The prefix of a temporary file or folder that becomes the entry ``name``: hidden, with
    this process's id, so a leftover can be told from a live writer's."""
    return f".{name}.{os.getpid()}."


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running (True when it cannot be told)."""
    if os.name == "nt" or pid <= 0:
        return True  # os.kill would end the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's live process
        return True
    return True


def remove_dead_leftovers(folder: Path, name: str | None = None) -> int:
    """Remove from ``folder`` the temporaries of entry ``name`` (of every entry when None) whose
    writer is no longer alive: what a writer killed between creating and renaming them left.
    A live writer's (another run generating the same entry) is kept. Returns how many went."""
    try:
        with os.scandir(folder) as it:
            entries = [e for e in it if e.name.startswith(".")]
    except OSError:
        return 0
    removed = 0
    prefix = f".{name}." if name is not None else "."
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        if name is not None:
            match = _LEFTOVER_REST.fullmatch(entry.name[len(prefix) :])
        else:
            match = _LEFTOVER.fullmatch(entry.name)
        if match is None or pid_alive(int(match["pid"])):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            pass  # another process swept it first
        except OSError:
            continue  # a read-only cache: left for a later sweep
        removed += 1
    return removed


#: ctypes calls let go of the GIL while they run
_memmove = ctypes.memmove


class SampleStore:
    """Loaded samples, one contiguous array per input; sample index -> row via a slot table.

    ``specs`` names each input with its per-sample shape and dtype (one entry for an image
    model, three for BERT). A batch is one fancy-index per input (a view when the rows are
    consecutive).
    """

    def __init__(
        self, total_count: int, specs: Mapping[str, tuple[tuple[int, ...], np.dtype]]
    ) -> None:
        self.specs = {
            name: (tuple(shape), np.dtype(dtype)) for name, (shape, dtype) in specs.items()
        }
        self._slot = np.full(total_count, -1, dtype=np.int64)
        self._data = {
            name: np.empty((0, *shape), dtype=dtype) for name, (shape, dtype) in self.specs.items()
        }
        self._indices = np.empty(0, dtype=np.int64)

    @property
    def loaded_count(self) -> int:
        return int(np.count_nonzero(self._slot >= 0))

    def is_loaded(self, indices: np.ndarray) -> np.ndarray:
        return np.asarray(self._slot[indices] >= 0)

    def load(
        self, indices: np.ndarray, fill: Callable[[np.ndarray, dict[str, np.ndarray]], None]
    ) -> None:
        """Add samples: ``fill(new_indices, rows)`` writes them into the fresh rows (views)."""
        indices = np.unique(np.asarray(indices, dtype=np.int64))
        new = indices[self._slot[indices] < 0]
        if new.size == 0:
            return
        keep = (
            self._indices[self._slot[self._indices] >= 0] if self._indices.size else self._indices
        )
        data: dict[str, np.ndarray] = {}
        for name, (shape, dtype) in self.specs.items():
            array = np.empty((keep.size + new.size, *shape), dtype=dtype)
            if keep.size:
                array[: keep.size] = self._data[name][self._slot[keep]]
            data[name] = array
        fill(new, {name: array[keep.size :] for name, array in data.items()})
        for array in data.values():
            # nothing writes to loaded samples: read-only, so that a batch sliced from them can
            # be handed on without a copy (harness.backends.ray shares them with its replicas)
            array.flags.writeable = False
        order = np.concatenate([keep, new])
        self._slot[:] = -1
        self._slot[order] = np.arange(order.size)
        self._data, self._indices = data, order

    def unload(self, indices: np.ndarray) -> None:
        self._slot[np.asarray(indices, dtype=np.int64)] = -1
        if not np.any(self._slot >= 0):
            self._data = {
                name: np.empty((0, *shape), dtype=dtype)
                for name, (shape, dtype) in self.specs.items()
            }
            self._indices = np.empty(0, dtype=np.int64)

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        if len(indices) == 1:  # SingleStream's every query: plain integers, views
            row = int(self._slot[indices[0]])
            if row < 0:
                raise KeyError(f"samples not loaded: {[int(indices[0])]}")
            return {name: array[row : row + 1] for name, array in self._data.items()}
        rows = self._slot[indices]
        if rows.size and rows.min() < 0:
            missing = np.asarray(indices)[rows < 0][:5].tolist()
            raise KeyError(f"samples not loaded: {missing}")
        if rows.size and rows[-1] - rows[0] == rows.size - 1 and np.all(np.diff(rows) == 1):
            lo, hi = int(rows[0]), int(rows[-1]) + 1  # consecutive: views, no copy
            return {name: array[lo:hi] for name, array in self._data.items()}
        return {name: array[rows] for name, array in self._data.items()}

    def gather(self, indices: np.ndarray, out: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The samples of ``indices`` copied into the first rows of ``out`` (one preallocated
        C-contiguous array per input, at least ``len(indices)`` rows); returns those rows.

        Row by row with ``memmove`` (ctypes lets go of the GIL during each copy, so other
        threads run meanwhile; ``np.take`` is three times slower on image rows)."""
        rows = self._slot[indices]
        if rows.size and rows.min() < 0:
            missing = np.asarray(indices)[rows < 0][:5].tolist()
            raise KeyError(f"samples not loaded: {missing}")
        n = len(rows)
        done = {}
        for name, array in self._data.items():
            target = out[name][:n]
            size = array[0].nbytes if len(array) else 0
            base, address = array.ctypes.data, target.ctypes.data
            for row in rows.tolist():
                _memmove(address, base + row * size, size)
                address += size
            done[name] = target
        return done


class StoreBacked:
    """LoadGen's QSL side of a data set whose loaded samples live in a :class:`SampleStore`.

    A subclass sets ``total_count`` and ``_store`` and fills the rows of the samples LoadGen
    asks for in :meth:`_fill` (from its preprocessed cache)."""

    total_count: int
    _store: SampleStore

    def _fill(self, indices: np.ndarray, rows: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def load(self, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.total_count):
            raise IndexError(f"sample index out of range 0..{self.total_count - 1}")
        self._store.load(idx, self._fill)

    def unload(self, indices: Sequence[int] | np.ndarray) -> None:
        self._store.unload(np.asarray(indices, dtype=np.int64))

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        return self._store.batch(np.asarray(indices, dtype=np.int64))

    def gather(self, indices: np.ndarray, out: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The samples copied into ``out``'s first rows (see :meth:`SampleStore.gather`)."""
        return self._store.gather(np.asarray(indices, dtype=np.int64), out)

    def gather_buffers(self, rows: int) -> dict[str, np.ndarray]:
        """Arrays for :meth:`gather` of up to ``rows`` samples (allocated once and reused:
        a fresh array of megabytes costs its page faults at every batch)."""
        return {
            name: np.empty((rows, *shape), dtype=dtype)
            for name, (shape, dtype) in self._store.specs.items()
        }

    @property
    def loaded_count(self) -> int:
        return self._store.loaded_count


class DiskCache:
    """One raw C-order file per preprocessed sample under `folder`, named by a key.

    A write that fails (a full disk, a read-only folder) leaves no file and turns writing off
    for the rest of this cache's life: the caller keeps the sample in memory, and
    :attr:`not_written` says why the cache was not written.
    """

    def __init__(self, folder: Path, sample_shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.folder = folder
        self.sample_shape = sample_shape
        self.dtype = np.dtype(dtype)
        self.sample_bytes = int(np.prod(sample_shape)) * self.dtype.itemsize
        #: why the cache could not be written ("" while it can)
        self.not_written = ""
        self._swept = False
        self._lock = threading.Lock()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.raw"

    def read_into(self, key: str, out: np.ndarray) -> bool:
        """Fill `out` (one C-contiguous sample) from the cache; False on a miss or a bad file
        (one of the wrong size: a truncated file is preprocessed again and replaced)."""
        if not out.flags.c_contiguous or out.nbytes != self.sample_bytes:
            raise ValueError("read_into needs one C-contiguous sample")
        try:
            with open(self.path(key), "rb", buffering=0) as fh:
                if os.fstat(fh.fileno()).st_size != self.sample_bytes:
                    return False
                view = out.reshape(-1).view(np.uint8).data
                got = 0
                while got < self.sample_bytes:
                    n = fh.readinto(view[got:])
                    if not n:
                        return False
                    got += n
                return True
        except FileNotFoundError:
            return False

    def write(self, key: str, sample: np.ndarray) -> bool:
        """Write atomically: a reader sees either no file or a complete one. False when the
        cache cannot be written (see :attr:`not_written`); nothing is left then."""
        if self.not_written:
            return False
        data = np.ascontiguousarray(sample, dtype=self.dtype)
        tmp: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._sweep()
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=temporary_prefix(key), suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.tobytes())
            os.replace(tmp, self.path(key))
        except BaseException as exc:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if not isinstance(exc, OSError):
                raise
            with self._lock:
                self.not_written = self.not_written or _why(exc)
            return False
        return True

    def _sweep(self) -> None:
        """Before the first write: remove what killed writers left (not once per sample: the
        folder may hold 50,000 files)."""
        with self._lock:
            if self._swept:
                return
            self._swept = True
        remove_dead_leftovers(self.folder)

    def has(self, keys: Sequence[str]) -> list[bool]:
        out = []
        for key in keys:
            try:
                out.append(os.stat(self.path(key)).st_size == self.sample_bytes)
            except FileNotFoundError:
                out.append(False)
        return out


def _why(exc: OSError) -> str:
    """Why a cache write failed, in a few words ("the disk is full")."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "it is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)
