"""Data sets of the harness: sample loading apart from preprocessing.

:class:`SampleStore` is the in-memory part every data set shares: the samples LoadGen asked to
load live in ONE contiguous array per model input, and a batch is a single fancy-index into
each (a view when the rows are consecutive), never a ``np.array`` over a list of per-sample
arrays.

:class:`DiskCache` is the on-disk part: one raw file per preprocessed sample, written atomically
(temporary file + ``os.replace``), so two processes preprocessing the same data set at once
both end up with identical, complete files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["DiskCache", "SampleStore", "StoreBacked"]


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
        rows = self._slot[indices]
        if rows.size and rows.min() < 0:
            missing = np.asarray(indices)[rows < 0][:5].tolist()
            raise KeyError(f"samples not loaded: {missing}")
        if rows.size and rows[-1] - rows[0] == rows.size - 1 and np.all(np.diff(rows) == 1):
            lo, hi = int(rows[0]), int(rows[-1]) + 1  # consecutive: views, no copy
            return {name: array[lo:hi] for name, array in self._data.items()}
        return {name: array[rows] for name, array in self._data.items()}


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

    @property
    def loaded_count(self) -> int:
        return self._store.loaded_count


class DiskCache:
    """One raw C-order file per preprocessed sample under `folder`, named by a key."""

    def __init__(self, folder: Path, sample_shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.folder = folder
        self.sample_shape = sample_shape
        self.dtype = np.dtype(dtype)
        self.sample_bytes = int(np.prod(sample_shape)) * self.dtype.itemsize

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.raw"

    def read_into(self, key: str, out: np.ndarray) -> bool:
        """Fill `out` (one C-contiguous sample) from the cache; False on a miss or a bad file."""
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

    def write(self, key: str, sample: np.ndarray) -> None:
        """Write atomically: a reader sees either no file or a complete one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = np.ascontiguousarray(sample, dtype=self.dtype)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.tobytes())
            os.replace(tmp, self.path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def has(self, keys: Sequence[str]) -> list[bool]:
        out = []
        for key in keys:
            try:
                out.append(os.stat(self.path(key)).st_size == self.sample_bytes)
            except FileNotFoundError:
                out.append(False)
        return out
