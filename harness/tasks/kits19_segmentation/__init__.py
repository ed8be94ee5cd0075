"""Kidney and kidney-tumour segmentation on KiTS 2019: the 3D-UNet-99 / 99.9 benchmarks.

The reference model (mlcommons/inference 3dunet_kits19_128x128x128.onnx, and its _dynbatch
twin): input ``input`` float32 [1, 1, 128, 128, 128] (or [N, 1, 128, 128, 128]), output
``output`` float32 [1, 3, 128, 128, 128], the scores of background, kidney and tumour. Any
model of that form binds (:meth:`Kits19Segmentation.bind`): one float input of one channel and
a 128^3 window, one float output of 3 channels over the same window; names are not required.

A sample is one case (a CT volume of its own shape, see :mod:`harness.datasets.kits19`); one
model call is one 128^3 window, and a case takes ``prod((size - 128) / 64 + 1)`` of them
(:mod:`.sliding_window`), which :meth:`Kits19Segmentation.infer` reports through ``steps``.
The response LoadGen keeps is the reference's: the uint8 argmax volume [D, H, W] in C order,
``D * H * W`` bytes (accuracy_kits.py decodes it with ``--output_dtype uint8`` and reshapes it to
the case's ``image_shape``). A batch of several cases is run one case after the other.

``python -m harness.tasks.kits19_segmentation`` is the accuracy script (see accuracy.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from harness.accuracy_log import write_text_atomic
from harness.backends import Backend, TensorInfo
from harness.datasets.kits19 import OVERLAP, PREPROCESSING_ID, ROI_SHAPE, Kits19Dataset
from harness.tasks import Binding, Feeds, ModelBindingError, StepCallback
from harness.tasks.kits19_segmentation.accuracy import score_accuracy_log
from harness.tasks.kits19_segmentation.sliding_window import (
    CaseAccumulator,
    gaussian_kernel,
    window_count,
    window_origins,
)

__all__ = ["CLASSES", "TASK", "Kits19Segmentation"]

#: background, kidney, tumour
CLASSES = 3
_FLOATS = ("float32", "float16")


def _elementwise_threads() -> int:
    """Threads for the elementwise work between model calls (the cores are idle then)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def _listing(tensors: Sequence[TensorInfo]) -> str:
    return ", ".join(f"{t.name} {t.shape_text()} {t.dtype}" for t in tensors) or "none"


def _fits(dims: Sequence[int | None], want: Sequence[int]) -> bool:
    return len(dims) == len(want) and all(d in (None, w) for d, w in zip(dims, want, strict=True))


def _volume_input(inputs: Sequence[TensorInfo]) -> TensorInfo:
    expected = f"[N,1,{','.join(map(str, ROI_SHAPE))}] float32"
    if len(inputs) != 1:
        raise ModelBindingError(
            f"a 3D-UNet has one volume input; this model has {len(inputs)}: {_listing(inputs)}",
            f"use a segmentation model with a single {expected} input (the MLCommons "
            "3dunet_kits19_128x128x128.onnx)",
        )
    t = inputs[0]
    shape = t.shape or ()
    if t.dtype not in _FLOATS or len(shape) != 5 or not _fits(shape[1:], (1, *ROI_SHAPE)):
        raise ModelBindingError(
            f"input {t.name} is {t.shape_text()} {t.dtype}; the 3D-UNet KiTS19 input is "
            f"{expected} (one CT channel, a 128^3 window)",
            "use the MLCommons 3D-UNet KiTS19 model (3dunet_kits19_128x128x128.onnx) or one "
            "with its input",
        )
    return t


def _scores_output(outputs: Sequence[TensorInfo]) -> TensorInfo:
    want = (CLASSES, *ROI_SHAPE)
    fitting = [
        t
        for t in outputs
        if t.dtype in _FLOATS and t.shape and len(t.shape) == 5 and _fits(t.shape[1:], want)
    ]
    named = [t for t in fitting if t.name == "output"]
    if named or fitting:
        return (named or fitting)[0]
    raise ModelBindingError(
        f"no output holds the 3 class scores over the 128^3 window ([N,3,128,128,128] float32); "
        f"outputs: {_listing(outputs)}",
        "use the MLCommons 3D-UNet KiTS19 model (output 'output' [1,3,128,128,128])",
    )


def _cases(batch: np.ndarray) -> list[np.ndarray]:
    """A batch's cases as [1, 1, D, H, W] arrays: an object array of cases (the data set's
    several-case batch) or one array of equal-shaped volumes [N, 1, D, H, W]."""
    if batch.dtype == object:
        return [np.asarray(c) for c in batch.reshape(-1)]
    if batch.ndim == 4:
        batch = batch[None]
    return [batch[n : n + 1] for n in range(batch.shape[0])]


class Kits19Segmentation:
    """The ``kits19_segmentation`` task (see the module doc)."""

    name = "kits19_segmentation"
    accuracy_metric = "DICE"

    def bind(
        self,
        inputs: Sequence[TensorInfo],
        outputs: Sequence[TensorInfo],
        options: Mapping[str, Any],
    ) -> Binding:
        volume = _volume_input([TensorInfo.of(t) for t in inputs])
        scores = _scores_output([TensorInfo.of(t) for t in outputs])
        return Binding(
            inputs=(TensorInfo(volume.name, volume.shape, volume.dtype),),
            outputs=(scores.name,),
            options={
                "roi": "x".join(map(str, ROI_SHAPE)),
                "overlap": OVERLAP,
                "input_dtype": volume.dtype,
            },
        )

    def preprocessing_id(self, binding: Binding) -> str:
        return PREPROCESSING_ID

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None, binding: Binding
    ) -> Kits19Dataset:
        return Kits19Dataset(dataset_path, cache_dir, count, input_name=binding.inputs[0].name)

    def infer(
        self, backend: Backend, binding: Binding, feeds: Feeds, steps: StepCallback | None = None
    ) -> list[np.ndarray]:
        """The uint8 segmentation [D, H, W] of each case of the batch (sliding window)."""
        name = binding.inputs[0].name
        output = binding.outputs[0]
        dtype = np.dtype(str(binding.options.get("input_dtype", "float32")))
        cases = _cases(np.asarray(feeds[name]))
        kernel = gaussian_kernel(ROI_SHAPE[0])
        total = sum(window_count(c.shape[2:], ROI_SHAPE, OVERLAP) for c in cases)
        done = 0
        if steps is not None:
            steps(0, total)
        labels: list[np.ndarray] = []
        di, dj, dk = ROI_SHAPE
        window = np.empty((1, 1, *ROI_SHAPE), dtype=dtype)
        threads = _elementwise_threads()
        with ThreadPoolExecutor(max(1, threads - 1)) as pool:
            for case in cases:
                shape = case.shape[2:]
                acc = CaseAccumulator(shape, ROI_SHAPE, CLASSES, kernel, pool, threads=threads)
                whole = tuple(shape) == ROI_SHAPE and case.dtype == dtype
                for i, j, k in window_origins(shape, ROI_SHAPE, OVERLAP):
                    if whole and case.flags.c_contiguous:
                        x = case
                    else:  # the runtime wants a contiguous window
                        np.copyto(window, case[:, :, i : i + di, j : j + dj, k : k + dk])
                        x = window
                    (scores,) = backend.predict({name: x}, (output,))
                    out = np.asarray(scores, dtype=np.float32)[0]
                    if not out.flags.writeable or not out.flags.c_contiguous:
                        out = np.array(out, dtype=np.float32)
                    acc.add((i, j, k), out)
                    done += 1
                    if steps is not None:
                        steps(done, total)
                labels.append(acc.finish())
        return labels

    def response_bytes(self, results: list[np.ndarray], i: int) -> bytes:
        return results[i].tobytes()

    def calibration_feeds(self, binding: Binding, batch_size: int) -> dict[str, np.ndarray]:
        """``batch_size`` cases of one window each (128^3, values like a z-scored CT)."""
        t = binding.inputs[0]
        rng = np.random.default_rng(0)
        shape = (batch_size, 1, *ROI_SHAPE)
        return {t.name: rng.standard_normal(shape, dtype=np.float32).astype(t.dtype)}

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        score = score_accuracy_log(Path(accuracy_log_path), Path(dataset_path))
        out = Path(out_path)
        write_text_atomic(out, score["line"] + "\n")
        return {
            "metric": self.accuracy_metric,
            "value": score["mean"],
            "kidney": score["kidney"],
            "tumor": score["tumor"],
            "cases": score["cases"],
            "path": str(out),
        }


TASK = Kits19Segmentation()
