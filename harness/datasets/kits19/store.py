"""The per-case sample store and the data set LoadGen reads (see :mod:`harness.datasets.kits19`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from harness.datasets.kits19.folders import (
    open_folder,
)
from harness.datasets.kits19.preprocessing import (
    IMAGING,
    PREPROCESSING_ID,
    RAW_MARKER,
)
from harness.tasks import DatasetError, ProgressCallback


class CaseStore:
    """Loaded cases, one C-contiguous array each (the cases' shapes differ, so they cannot
    share one array as :class:`harness.datasets.SampleStore` does); index -> array."""

    def __init__(self, total_count: int) -> None:
        self.total_count = total_count
        self._cases: dict[int, np.ndarray] = {}

    @property
    def loaded_count(self) -> int:
        return len(self._cases)

    def is_loaded(self, index: int) -> bool:
        return index in self._cases

    def load(self, indices: np.ndarray, fill: Callable[[int], np.ndarray]) -> None:
        """Add the samples not loaded yet: ``fill(index)`` returns each one's array."""
        for index in np.unique(np.asarray(indices, dtype=np.int64)).tolist():
            if index not in self._cases:
                self._cases[index] = np.ascontiguousarray(fill(index))

    def unload(self, indices: np.ndarray) -> None:
        for index in np.asarray(indices, dtype=np.int64).tolist():
            self._cases.pop(index, None)

    def get(self, index: int) -> np.ndarray:
        try:
            return self._cases[index]
        except KeyError:
            raise KeyError(f"samples not loaded: [{index}]") from None


class Kits19Dataset:
    """KiTS19 cases (either layout), preprocessed once, loaded one array per case.

    :meth:`batch` gives the model input of one case as float32 [1, 1, D, H, W] (a view of the
    loaded case, no copy). Several cases cannot share one array (their shapes differ): for more
    than one index the value is a 1-D object array of those per-case arrays, which the
    ``kits19_segmentation`` task runs one case after the other.
    """

    def __init__(
        self,
        dataset_path: Path | str,
        cache_dir: Path | str,
        count: int | None = None,
        *,
        input_name: str = "input",
        workers: int | None = None,
    ) -> None:
        self.folder = open_folder(dataset_path)
        cases = self.folder.cases
        if count is not None:
            if count < 1:
                raise DatasetError(
                    f"dataset_count must be at least 1, got {count}", "use null for all"
                )
            if count > len(cases):
                raise DatasetError(
                    f"dataset_count {count} is larger than the {len(cases)} cases in "
                    f"{self.folder.root}",
                    f"use at most {len(cases)} (or null for all)",
                )
        self.cases = cases[: count or len(cases)]
        self.total_count = len(self.cases)
        self.input_name = input_name
        self.cache_folder = Path(cache_dir) / "kits19" / self.folder.key() / PREPROCESSING_ID
        self._store = CaseStore(self.total_count)
        self._workers = workers or max(1, os.cpu_count() or 1)
        self.cache_hits = 0
        self.cache_misses = 0

    # -- the disk cache (raw layout) ---------------------------------------------------------
    def _key(self, index: int) -> str:
        name = self.cases[index]
        path = self.folder.case_dir(name) / IMAGING
        try:
            st = os.stat(path)
        except OSError as exc:
            raise DatasetError(f"cannot read {path}: {exc.strerror}", "restore the case") from None
        raw = f"{name}\0{st.st_size}\0{st.st_mtime_ns}".encode()
        return f"{name}-{hashlib.blake2b(raw, digest_size=8).hexdigest()}"

    def _cache_path(self, index: int) -> Path:
        return self.cache_folder / f"{self._key(index)}.npy"

    def _read_cache(self, index: int) -> np.ndarray | None:
        try:
            array: np.ndarray = np.load(self._cache_path(index), allow_pickle=False)
        except (FileNotFoundError, ValueError, OSError, EOFError):
            return None
        if array.dtype != np.float32 or array.ndim != 4 or array.shape[0] != 1:
            return None
        return array

    def _make(self, index: int) -> np.ndarray:
        """Preprocess one raw case and cache it (atomically: temporary file + rename)."""
        image = self.folder.preprocess(index).image
        self.cache_folder.mkdir(parents=True, exist_ok=True)
        target = self._cache_path(index)
        fd, tmp = tempfile.mkstemp(dir=self.cache_folder, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, image, allow_pickle=False)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return image

    def _volume(self, index: int) -> np.ndarray:
        """float32 [1, D, H, W] of one case: the pickle, the cache, or preprocessed now."""
        if self.folder.layout == "preprocessed":
            return self.folder.preprocessed_image(index)
        cached = self._read_cache(index)
        if cached is not None:
            self.cache_hits += 1
            return cached
        self.cache_misses += 1
        return self._make(index)

    def cached_count(self) -> int:
        """Cases ready to load without preprocessing: all of a preprocessed folder; of a raw
        one, those already in the disk cache."""
        if self.folder.layout == "preprocessed":
            return self.total_count
        return sum(1 for i in range(self.total_count) if self._cache_path(i).is_file())

    # -- the Dataset protocol ----------------------------------------------------------------
    def preprocess(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Fill the disk cache for these cases (all when None); returns how many were made.

        A preprocessed folder needs nothing: its pickles are read as they are."""
        if self.folder.layout == "preprocessed":
            return 0
        wanted = (
            np.arange(self.total_count) if indices is None else np.asarray(indices, dtype=np.int64)
        )
        todo = [int(i) for i in wanted if not self._cache_path(int(i)).is_file()]
        if not todo:
            return 0
        label = f"Preprocessing {len(todo)} KiTS19 cases"
        if progress:
            progress(label, 0, len(todo))
        with ThreadPoolExecutor(min(self._workers, len(todo))) as pool:
            for done, _ in enumerate(pool.map(self._make, todo), start=1):
                if progress:
                    progress(label, done, len(todo))
        self.cache_misses += len(todo)
        return len(todo)

    def load(self, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.total_count):
            raise IndexError(f"sample index out of range 0..{self.total_count - 1}")
        # [1, D, H, W] -> the model's [1, 1, D, H, W]
        self._store.load(idx, lambda i: self._volume(i)[None])

    def unload(self, indices: Sequence[int] | np.ndarray) -> None:
        self._store.unload(np.asarray(indices, dtype=np.int64))

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size == 1:
            return {self.input_name: self._store.get(int(idx[0]))}
        cases = np.empty(idx.size, dtype=object)
        for n, i in enumerate(idx.tolist()):
            cases[n] = self._store.get(i)
        return {self.input_name: cases}

    @property
    def loaded_count(self) -> int:
        return self._store.loaded_count

    def case_name(self, index: int) -> str:
        return self.cases[index]


def write_raw_marker(folder: Path, cases: Sequence[str], **fields: Any) -> None:
    """kits.json as the KiTS19 repository has it: one record per case (ids and ``fields``)."""
    records = [{"case_id": c, **fields} for c in cases]
    (folder / RAW_MARKER).write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
