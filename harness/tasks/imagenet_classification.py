"""ResNet50 v1.5 on ImageNet: the MLCommons ONNX model's I/O and the top-1 accuracy script.

Model I/O (mlcommons/inference resnet50_v1.onnx): input ``input_tensor:0`` float32
[N, 3, 224, 224]; outputs ``ArgMax:0`` int64 [N] and ``softmax_tensor:0`` float32 [N, 1001].
Class 0 is the background class of the TensorFlow original, so ImageNet label = argmax - 1,
as the reference's ``PostProcessCommon(offset=-1)`` does. Each response LoadGen keeps is that
label as one float32, as the reference's ``np.array([label], np.float32).tobytes()``.

Accuracy script (same arithmetic and output line as the reference's
tools/accuracy-imagenet.py, plus writing the line to a file):

    python -m harness.tasks.imagenet_classification \\
        --mlperf-accuracy-file out/mlperf_log_accuracy.json \\
        --imagenet-val-file /data/imagenet/val_map.txt --output out/accuracy.txt
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.backends import TensorInfo
from harness.datasets.imagenet import PREPROCESSING_ID, VAL_MAP, ImagenetDataset, read_val_map
from harness.tasks import AccuracyError, DatasetError, TaskError

__all__ = ["TASK", "ImagenetClassification", "score_accuracy_log"]

#: classes of the model's softmax: 1000 ImageNet classes + background at index 0
NUM_CLASSES = 1001
#: added to the model's argmax to get the ImageNet label (class 0 = background)
LABEL_OFFSET = -1
_RESPONSE_DTYPES = {"float32": np.float32, "int32": np.int32, "int64": np.int64}


class ImagenetClassification:
    """The ``imagenet_classification`` task (see the module doc)."""

    name = "imagenet_classification"
    input_name = "input_tensor:0"
    input_shape: tuple[int | None, ...] = (None, 3, 224, 224)
    input_dtype = "float32"
    #: the harness fetches only the argmax, as the reference's resnet50-onnxruntime profile
    output_names: tuple[str, ...] = ("ArgMax:0",)
    model_outputs: tuple[TensorInfo, ...] = (
        TensorInfo("ArgMax:0", (None,), "int64"),
        TensorInfo("softmax_tensor:0", (None, NUM_CLASSES), "float32"),
    )
    preprocessing_id = PREPROCESSING_ID
    accuracy_metric = "acc"
    #: bytes of one response in the accuracy log
    response_size = 4

    # --- model I/O -------------------------------------------------------------------------

    def check_io(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> list[str]:
        problems: list[str] = []
        want_in = TensorInfo(self.input_name, self.input_shape, self.input_dtype)
        found_in = [TensorInfo.of(m) for m in inputs]
        if len(found_in) != 1:
            names = ", ".join(f"{t.name} {t.shape_text()}" for t in found_in) or "none"
            problems.append(
                f"the model must have exactly one input {want_in.name} {want_in.shape_text()} "
                f"{want_in.dtype}; found {names}"
            )
        else:
            problems += _compare(want_in, found_in[0], "input")
        found_out = {t.name: t for t in (TensorInfo.of(m) for m in outputs)}
        for want in self.model_outputs:
            got = found_out.get(want.name)
            if got is None:
                names = ", ".join(found_out) or "none"
                problems.append(
                    f"the model has no output {want.name} {want.shape_text()} {want.dtype}; "
                    f"its outputs are: {names}"
                )
            else:
                problems += _compare(want, got, "output")
        return problems

    # --- data set --------------------------------------------------------------------------

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None
    ) -> ImagenetDataset:
        return ImagenetDataset(dataset_path, cache_dir, count)

    # --- results ---------------------------------------------------------------------------

    def postprocess(self, outputs: list[np.ndarray]) -> np.ndarray:
        """ArgMax:0 (int64 [N], or [N, 1]) → ImageNet labels as float32 [N]."""
        argmax = np.asarray(outputs[0])
        labels = argmax.reshape(argmax.shape[0], -1)[:, 0] + LABEL_OFFSET
        return labels.astype(np.float32)

    def response_bytes(self, results: np.ndarray, i: int) -> bytes:
        return bytes(results[i : i + 1].astype(np.float32, copy=False).tobytes())

    # --- accuracy --------------------------------------------------------------------------

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        val_map = Path(dataset_path)
        if val_map.is_dir():
            val_map = val_map / VAL_MAP
        score = score_accuracy_log(Path(accuracy_log_path), val_map)
        out = Path(out_path)
        _write_text_atomic(out, score["line"] + "\n")
        return {
            "metric": self.accuracy_metric,
            "value": score["accuracy"],
            "good": score["good"],
            "total": score["total"],
            "path": str(out),
        }


def _compare(want: TensorInfo, got: TensorInfo, kind: str) -> list[str]:
    problems: list[str] = []
    if got.dtype != want.dtype:
        problems.append(f"{kind} {want.name}: expected dtype {want.dtype}, found {got.dtype}")
    if got.shape is not None and want.shape is not None:
        ok = len(got.shape) == len(want.shape) and all(
            w is None or g is None or w == g for w, g in zip(want.shape, got.shape, strict=False)
        )
        if not ok:
            problems.append(
                f"{kind} {want.name}: expected shape {want.shape_text()}, found {got.shape_text()}"
            )
    return problems


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def score_accuracy_log(
    accuracy_log: Path, val_map: Path, dtype: str = "float32", verbose: bool = False
) -> dict[str, Any]:
    """Top-1 accuracy of an mlperf_log_accuracy.json against val_map.txt.

    The reference's rules: one entry per distinct ``qsl_idx`` (LoadGen may log a sample more
    than once; later duplicates are ignored), the label is the first value of ``data``.
    """
    try:
        _, labels = read_val_map(val_map)
    except DatasetError as exc:
        raise AccuracyError(exc.message, exc.fix) from None
    try:
        raw = accuracy_log.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccuracyError(
            f"no accuracy log at {accuracy_log}",
            "run the benchmark in accuracy mode first; LoadGen writes mlperf_log_accuracy.json",
        ) from None
    if not raw.strip():
        raise AccuracyError(
            f"{accuracy_log} is empty",
            "the run did not finish writing its logs; run accuracy mode again",
        )
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AccuracyError(
            f"{accuracy_log} is truncated or not JSON (line {exc.lineno}: {exc.msg})",
            "the run was interrupted while LoadGen wrote it; run accuracy mode again",
        ) from None
    if not isinstance(entries, list):
        raise AccuracyError(
            f"{accuracy_log} is not a JSON list", "pass LoadGen's mlperf_log_accuracy.json"
        )
    if not entries:
        raise AccuracyError(
            f"{accuracy_log} holds no results",
            "it comes from a performance run; score the log of an accuracy-mode run",
        )
    np_dtype = _RESPONSE_DTYPES[dtype]
    seen: set[int] = set()
    good = 0
    mistakes: list[str] = []
    for n, entry in enumerate(entries):
        try:
            idx = int(entry["qsl_idx"])
            data = np.frombuffer(bytes.fromhex(entry["data"]), np_dtype)
        except (KeyError, TypeError, ValueError) as exc:
            raise AccuracyError(
                f"{accuracy_log}: entry {n} is malformed ({exc})",
                "pass LoadGen's mlperf_log_accuracy.json unmodified",
            ) from None
        if idx in seen:
            continue
        if not 0 <= idx < labels.size:
            raise AccuracyError(
                f"{accuracy_log}: qsl_idx {idx} is outside {val_map} ({labels.size} images)",
                "score against the val_map.txt of the data set the run used",
            )
        if data.size == 0:
            raise AccuracyError(
                f"{accuracy_log}: entry {n} (qsl_idx {idx}) has no data",
                "the run failed on this sample; look at the run's error and run accuracy mode again",
            )
        seen.add(idx)
        found = int(data[0])
        if found == int(labels[idx]):
            good += 1
        elif verbose:
            mistakes.append(f"{idx}, expected: {int(labels[idx])}, found {found}")
    total = len(seen)
    accuracy = 100.0 * good / total
    line = f"accuracy={accuracy:.3f}%, good={good}, total={total}"
    return {
        "accuracy": round(accuracy, 3),
        "good": good,
        "total": total,
        "dupes": len(entries) - total,
        "line": line,
        "mistakes": mistakes,
    }


TASK = ImagenetClassification()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.tasks.imagenet_classification",
        description="Top-1 accuracy of an MLPerf ResNet50 run (mlperf_log_accuracy.json).",
    )
    parser.add_argument("--mlperf-accuracy-file", required=True, help="mlperf_log_accuracy.json")
    parser.add_argument("--imagenet-val-file", required=True, help="the data set's val_map.txt")
    parser.add_argument("--output", help="also write the result line here (accuracy.txt)")
    parser.add_argument("--dtype", default="float32", choices=sorted(_RESPONSE_DTYPES))
    parser.add_argument("--verbose", action="store_true", help="list wrong predictions")
    args = parser.parse_args(argv)
    try:
        score = score_accuracy_log(
            Path(args.mlperf_accuracy_file), Path(args.imagenet_val_file), args.dtype, args.verbose
        )
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for mistake in score["mistakes"]:
        print(mistake)
    print(score["line"])
    if args.verbose:
        print(f"found and ignored {score['dupes']} dupes")
    if args.output:
        _write_text_atomic(Path(args.output), score["line"] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
