"""Benchmark tasks: what a model takes and returns, its data set, and how accuracy is scored.

A *task* ties one MLPerf benchmark's model I/O to its data set and to its accuracy script. The
harness core (SUT, QSL, calibration) talks only to the protocols below, so adding a benchmark
means adding one package ``harness/tasks/<task>/`` and one entry in :data:`TASKS` (or naming
the task as ``"package.module:ATTRIBUTE"`` in RUN.json, for a task that lives elsewhere).

    task = get_task("imagenet_classification")
    binding = task.bind(backend.inputs, backend.outputs, options)   # TaskError if it cannot map
    ds = task.open_dataset(dataset_path, cache_dir, count, binding)
    ds.load(indices)                         # LoadGen's LoadSamplesToRam
    feeds = ds.batch(np.array([3, 7, 9]))    # model input name -> one contiguous array
    results = task.infer(backend, binding, feeds)
    payload = task.response_bytes(results, 0)   # what LoadGen's accuracy log keeps

Feeds are named: a model may take several inputs of any dtype (BERT's three int64 tensors).
A task's :meth:`Task.infer` runs the model as the benchmark needs (one call, or a sliding window
over a volume) and returns per-sample results in whatever shape suits it; only the task reads
them back, through :meth:`Task.response_bytes`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from harness.backends import Backend, TensorInfo
from harness.errors import HarnessError

__all__ = [
    "TASKS",
    "AccuracyError",
    "Binding",
    "Dataset",
    "DatasetError",
    "Feeds",
    "ModelBindingError",
    "ProgressCallback",
    "StepCallback",
    "Task",
    "TaskError",
    "get_task",
    "random_feeds",
]

#: model input name -> a batch of that input (batch first, C-contiguous)
Feeds = Mapping[str, np.ndarray]

#: (label, done, total): called while a data set is preprocessed (total None when unknown)
ProgressCallback = Callable[[str, int, int | None], None]

#: (done, total): steps of the batch in flight, for a task whose one sample is long work (a
#: sliding window over a volume); the harness reports them in its progress events
StepCallback = Callable[[int, int], None]


class TaskError(HarnessError):
    """A problem with a task's inputs a user can fix: ``message`` and ``fix``.

    A :class:`harness.errors.HarnessError` (exit code 2, BAD_INPUT), so ``python -m harness``
    reports it as an ``error`` event like any other bad input.
    """


class DatasetError(TaskError):
    """A data set folder that is missing, unreadable or inconsistent."""


class AccuracyError(TaskError):
    """An accuracy log that cannot be scored (empty, truncated, wrong data set)."""


class ModelBindingError(TaskError):
    """A model whose tensors the task cannot map: the message names the tensor."""


@dataclass(frozen=True)
class Binding:
    """A task bound to one model file: the tensors it feeds and fetches, and what it learnt.

    ``inputs`` are the model's inputs the task feeds (the model's names, shapes and dtypes);
    ``outputs`` the model outputs it fetches, in the order :meth:`Task.infer` expects them;
    ``options`` what the task worked out from the model and the run's task options (layout,
    input size, label offset, ...), also recorded in the run's log.
    """

    inputs: tuple[TensorInfo, ...]
    outputs: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        ins = ", ".join(f"{t.name} {t.shape_text()} {t.dtype}" for t in self.inputs)
        opts = ", ".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"inputs {ins}; outputs {', '.join(self.outputs)}" + (f"; {opts}" if opts else "")


@runtime_checkable
class Dataset(Protocol):
    """A preprocessed data set, as the QSL sees it."""

    #: samples available; LoadGen's total sample count
    total_count: int

    def load(self, indices: Sequence[int] | np.ndarray) -> None:
        """Bring these samples into memory (one contiguous array per input), preprocessing any
        missing from the disk cache."""
        ...

    def unload(self, indices: Sequence[int] | np.ndarray) -> None:
        """Forget these samples; memory is freed when nothing is loaded."""
        ...

    def batch(self, indices: np.ndarray) -> Feeds:
        """The model inputs for these loaded samples, one C-contiguous array each."""
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
    #: the accuracy metric's name in the rules ("acc", "F1", "DICE")
    accuracy_metric: str

    def bind(
        self,
        inputs: Sequence[TensorInfo],
        outputs: Sequence[TensorInfo],
        options: Mapping[str, Any],
    ) -> Binding:
        """Map the model's tensors; ModelBindingError naming the tensor that does not fit."""
        ...

    def preprocessing_id(self, binding: Binding) -> str:
        """Part of the preprocessed-sample cache key; changes when preprocessing changes."""
        ...

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None, binding: Binding
    ) -> Dataset:
        """The data set at dataset_path, first ``count`` samples (all when None)."""
        ...

    def infer(
        self, backend: Backend, binding: Binding, feeds: Feeds, steps: StepCallback | None = None
    ) -> Any:
        """Run a batch: the per-sample results :meth:`response_bytes` reads. A task whose
        sample takes many model calls reports ``steps(done, total)`` as it goes."""
        ...

    def response_bytes(self, results: Any, i: int) -> bytes:
        """What LoadGen keeps in mlperf_log_accuracy.json for sample i of a batch."""
        ...

    def calibration_feeds(self, binding: Binding, batch_size: int) -> Feeds:
        """Inputs of the model's shapes and dtypes for timing it (no data set needed)."""
        ...

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        """Score mlperf_log_accuracy.json, write accuracy.txt; returns metric, value, path, ..."""
        ...


def random_feeds(
    inputs: Sequence[TensorInfo], batch_size: int, seed: int = 0, high: int = 2
) -> dict[str, np.ndarray]:
    """Deterministic inputs of these shapes and dtypes: floats ~N(0, 1), integers in [0, high).

    A free dimension other than the batch is taken as 1.
    """
    rng = np.random.default_rng(seed)
    feeds: dict[str, np.ndarray] = {}
    for t in inputs:
        dims = [1 if d is None else d for d in (t.shape or (None,))[1:]]
        shape = (batch_size, *dims)
        dtype = np.dtype(t.dtype)
        if dtype.kind == "f":
            feeds[t.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype.kind == "b":
            feeds[t.name] = np.ones(shape, dtype=dtype)
        else:
            feeds[t.name] = rng.integers(0, high, size=shape).astype(dtype)
    return feeds


#: built-in task name -> module under harness.tasks exposing TASK
TASKS: dict[str, str] = {
    "imagenet_classification": "harness.tasks.imagenet_classification",
    "bert_squad": "harness.tasks.bert_squad",
    "kits19_segmentation": "harness.tasks.kits19_segmentation",
}


def get_task(name: str) -> Task:
    """The task called ``name``, or ``"package.module:ATTRIBUTE"`` for one defined elsewhere.

    TaskError listing the known ones otherwise.
    """
    if ":" in name:
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
            task: Task = getattr(module, attribute)
        except (ImportError, AttributeError) as exc:
            raise TaskError(
                f"cannot load task {name!r}: {exc}",
                "check the module is importable (PYTHONPATH) and defines that attribute",
            ) from None
        return task
    builtin_module = TASKS.get(name)
    if builtin_module is None:
        known = ", ".join(sorted(TASKS))
        raise TaskError(f"unknown task {name!r}", f"use one of: {known}")
    builtin: Task = importlib.import_module(builtin_module).TASK
    return builtin
