"""Benchmark tasks: what a model takes and returns, its data set, and how accuracy is scored.

A *task* ties one MLPerf benchmark's model I/O to its data set and to its accuracy script. The
harness core (SUT, QSL) only talks to the two protocols below, so adding a benchmark means
adding one module here and one entry in :data:`TASKS`.

    task = get_task("imagenet_classification")
    problems = task.check_io(backend.inputs, backend.outputs)   # [] when the model fits
    ds = task.open_dataset(dataset_path, cache_dir, count)
    ds.load(indices)                      # LoadGen's LoadSamplesToRam
    x = ds.batch(np.array([3, 7, 9]))     # one contiguous input tensor
    results = task.postprocess(backend.predict(x))
    payload = task.response_bytes(results, 0)  # what LoadGen's accuracy log keeps
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from harness.backends import TensorInfo
from harness.errors import HarnessError

__all__ = [
    "TASKS",
    "AccuracyError",
    "Dataset",
    "DatasetError",
    "ProgressCallback",
    "Task",
    "TaskError",
    "get_task",
]

#: (label, done, total): called while a data set is preprocessed (total None when unknown)
ProgressCallback = Callable[[str, int, int | None], None]


class TaskError(HarnessError):
    """A problem with a task's inputs a user can fix: ``message`` and ``fix``.

    A :class:`harness.errors.HarnessError` (exit code 2, BAD_INPUT), so ``python -m harness``
    reports it as an ``error`` event like any other bad input.
    """


class DatasetError(TaskError):
    """A data set folder that is missing, unreadable or inconsistent."""


class AccuracyError(TaskError):
    """An accuracy log that cannot be scored (empty, truncated, wrong data set)."""


@runtime_checkable
class Dataset(Protocol):
    """A preprocessed data set, as the QSL sees it."""

    #: samples available (val_map lines used); LoadGen's total sample count
    total_count: int
    #: ground-truth label of each sample, in sample-index order
    labels: np.ndarray

    def load(self, indices: Sequence[int] | np.ndarray) -> None:
        """Bring these samples into memory (one contiguous array), preprocessing any missing."""
        ...

    def unload(self, indices: Sequence[int] | np.ndarray) -> None:
        """Forget these samples; memory is freed when nothing is loaded."""
        ...

    def batch(self, indices: np.ndarray) -> np.ndarray:
        """The model input for these loaded samples: one C-contiguous array, batch first."""
        ...

    def preprocess(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Fill the on-disk cache for these samples (all when None); returns how many were made."""
        ...


@runtime_checkable
class Task(Protocol):
    """One benchmark's model I/O, data set and accuracy script."""

    name: str
    #: the model input the harness feeds
    input_name: str
    #: input shape, None for the batch dimension
    input_shape: tuple[int | None, ...]
    input_dtype: str
    #: outputs the harness asks the runtime for, in the order postprocess expects them
    output_names: tuple[str, ...]
    #: every output the model must have (may be more than output_names)
    model_outputs: tuple[TensorInfo, ...]
    #: part of the preprocessed-sample cache key; changes when preprocessing changes
    preprocessing_id: str
    #: the accuracy metric's name in the rules ("acc")
    accuracy_metric: str

    def check_io(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> list[str]:
        """Problems with a model's I/O (empty when it fits): each names expected and found."""
        ...

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None
    ) -> Dataset:
        """The data set at dataset_path, first `count` samples (all when None)."""
        ...

    def postprocess(self, outputs: list[np.ndarray]) -> np.ndarray:
        """Runtime outputs (in output_names order) → one result row per sample."""
        ...

    def response_bytes(self, results: np.ndarray, i: int) -> bytes:
        """What LoadGen keeps in mlperf_log_accuracy.json for sample i of a batch."""
        ...

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        """Score mlperf_log_accuracy.json, write accuracy.txt; returns metric, value, path, ..."""
        ...


#: task name → module under harness.tasks exposing TASK
TASKS: dict[str, str] = {
    "imagenet_classification": "harness.tasks.imagenet_classification",
}


def get_task(name: str) -> Task:
    """The task called `name` (TaskError listing the known ones otherwise)."""
    module_name = TASKS.get(name)
    if module_name is None:
        known = ", ".join(sorted(TASKS))
        raise TaskError(f"unknown task {name!r}", f"use one of: {known}")
    module = importlib.import_module(module_name)
    task: Task = module.TASK
    return task
