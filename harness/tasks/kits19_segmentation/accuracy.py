"""The KiTS19 DICE accuracy script: the reference's arithmetic and output line.

Same arithmetic and result line as mlcommons/inference
vision/medical_imaging/3d-unet-kits19/accuracy_kits.py, which

- decodes each response of mlperf_log_accuracy.json with ``--output_dtype`` (uint8) and
  reshapes it to the case's preprocessed shape;
- scores it against the preprocessed ground truth ``nifti/<case>/segmentation.nii.gz``: per
  class (kidney = 1, tumour = 2, background left out) DICE = (2 |P n T| + 1e-6) /
  (|P| + |T| + 1e-6) in float64, the case's composite the mean of the two;
- averages each column over the cases (a NaN counted as 0) and prints
  ``Accuracy: mean = %.5f, kidney = %.4f, tumor = %.4f``, the line the checker's DICE pattern
  reads.

Here the data set folder may also be the raw KiTS19 folder: the ground truth is then the raw
segmentation through the reference's label preprocessing (harness.datasets.kits19). The log is
read one entry at a time, and each case is scored and dropped before the next (a case's
response is tens of MB). A ``qsl_idx`` logged twice is scored once (the first), so the log of
a compliance audit run scores too; the reference requires one entry per case of the data set.

    python -m harness.tasks.kits19_segmentation --log_file out/mlperf_log_accuracy.json \\
        --preprocessed_data_dir build/preprocessed_data [--postprocessed_data_dir post/] \\
        [--output out/accuracy.txt]

``--postprocessed_data_dir`` also writes what the reference writes there: ``summary.csv`` (per
case and the mean) and ``<case>/prediction.nii.gz``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.accuracy_log import DTYPES, read_responses, write_text_atomic
from harness.tasks import AccuracyError, DatasetError, TaskError

__all__ = ["dice_scores", "main", "score_accuracy_log"]

#: accuracy_kits.get_dice_score: the numerator's and denominator's smoothing
SMOOTH_NR = 1e-6
SMOOTH_DR = 1e-6
#: background, kidney, tumour
CLASSES = 3


def dice_scores(prediction: np.ndarray, target: np.ndarray) -> np.ndarray:
    """DICE of kidney and tumour, float64 [2]: the reference's one-hot sums, from the
    confusion counts (exact integers, so the same float64 values)."""
    pred = np.asarray(prediction, dtype=np.uint8).reshape(-1)
    true = np.asarray(target, dtype=np.uint8).reshape(-1)
    if pred.size and int(pred.max()) >= CLASSES:
        raise ValueError(f"the prediction has class {int(pred.max())}; KiTS19 has 0, 1, 2")
    if true.size and int(true.max()) >= CLASSES:
        raise ValueError(f"the ground truth has class {int(true.max())}; KiTS19 has 0, 1, 2")
    counts = np.bincount(true * np.uint8(CLASSES) + pred, minlength=CLASSES * CLASSES)
    confusion = counts.reshape(CLASSES, CLASSES).astype(np.float64)  # [true, predicted]
    out = np.empty(CLASSES - 1, dtype=np.float64)
    for c in range(1, CLASSES):
        intersection = confusion[c, c]
        target_sum = confusion[c, :].sum()
        prediction_sum = confusion[:, c].sum()
        out[c - 1] = (2.0 * intersection + SMOOTH_NR) / (target_sum + prediction_sum + SMOOTH_DR)
    return out


def score_accuracy_log(
    accuracy_log: Path,
    dataset_path: Path,
    dtype: str = "uint8",
    postprocessed_dir: Path | None = None,
) -> dict[str, Any]:
    """Mean DICE (kidney, tumour) of an mlperf_log_accuracy.json against a KiTS19 folder
    (either layout); see the module doc. Returns the line and the figures."""
    from harness.datasets.kits19 import open_folder

    try:
        folder = open_folder(dataset_path)
    except DatasetError as exc:
        raise AccuracyError(exc.message, exc.fix) from None
    scores: dict[int, tuple[str, float, float, float]] = {}
    seen: set[int] = set()
    logged = 0
    for response in read_responses(accuracy_log, dtype):
        logged += 1
        idx, data = response.qsl_idx, response.data
        if idx in seen:
            continue
        if not 0 <= idx < len(folder.cases):
            raise AccuracyError(
                f"{accuracy_log}: qsl_idx {idx} is outside the {len(folder.cases)} cases of "
                f"{folder.root}",
                "score against the data set folder the run used",
            )
        seen.add(idx)
        case = folder.cases[idx]
        try:
            target, affine = folder.ground_truth(idx)
        except DatasetError as exc:
            raise AccuracyError(exc.message, exc.fix) from None
        shape = folder.image_shape(idx) or (1, *target.shape)
        if data.size != int(np.prod(shape)) or tuple(shape[-3:]) != target.shape:
            raise AccuracyError(
                f"{accuracy_log}: the response for {case} (qsl_idx {idx}) has {data.size} "
                f"values; its preprocessed volume {tuple(shape)} has {int(np.prod(shape))} and "
                f"its ground truth {target.shape}",
                "score with the data set the run used, and the SUT's --output_dtype (uint8)",
            )
        prediction = data.reshape(target.shape)
        try:
            kidney, tumor = (float(v) for v in dice_scores(prediction, target))
        except ValueError as exc:
            raise AccuracyError(
                f"{accuracy_log}: {case}: {exc}", "decode the log with the SUT's --output_dtype"
            ) from None
        composite = float(np.mean(np.array([kidney, tumor])))
        scores[idx] = (case, kidney, tumor, composite)
        if postprocessed_dir is not None:
            _save_prediction(
                postprocessed_dir / case / "prediction.nii.gz",
                prediction,
                folder.reshaped_affine(idx) if folder.layout == "preprocessed" else affine,
            )
    rows = [scores[i] for i in sorted(scores)]  # the data set's case order, as the reference
    table = np.array([[r[1], r[2], r[3]] for r in rows], dtype=np.float64)
    # DataFrame.fillna(0).mean(): NaN counted as 0, the column sum over the case count
    table = np.nan_to_num(table, nan=0.0)
    means = np.add.reduce(table, axis=0) / table.shape[0]
    kidney, tumor, mean = (float(v) for v in means)
    line = f"Accuracy: mean = {mean:.5f}, kidney = {kidney:.4f}, tumor = {tumor:.4f}"
    if postprocessed_dir is not None:
        _write_summary(postprocessed_dir / "summary.csv", rows, (kidney, tumor, mean))
    return {
        "mean": round(mean, 5),
        "kidney": round(kidney, 4),
        "tumor": round(tumor, 4),
        "mean_exact": mean,
        "kidney_exact": kidney,
        "tumor_exact": tumor,
        "cases": len(rows),
        "per_case": rows,
        "dupes": logged - len(rows),
        "line": line,
    }


def _save_prediction(path: Path, prediction: np.ndarray, affine: np.ndarray | None) -> None:
    from harness.datasets.kits19 import nibabel_module

    nib = nibabel_module()
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(prediction, affine=affine), str(path))


def _write_summary(
    path: Path, rows: Sequence[tuple[str, float, float, float]], means: tuple[float, float, float]
) -> None:
    lines = ["case,kidney,tumor,composite"]
    lines += [f"{case},{k!r},{t!r},{c!r}" for case, k, t, c in rows]
    lines.append(f"mean,{means[0]!r},{means[1]!r},{means[2]!r}")
    write_text_atomic(path, "\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.tasks.kits19_segmentation",
        description="Mean DICE (kidney, tumour) of an MLPerf 3D-UNet KiTS19 accuracy log.",
    )
    parser.add_argument("--log_file", "--log-file", required=True, help="mlperf_log_accuracy.json")
    parser.add_argument("--output_dtype", "--output-dtype", default="uint8", choices=sorted(DTYPES))
    parser.add_argument(
        "--preprocessed_data_dir",
        "--preprocessed-data-dir",
        required=True,
        help="the data set folder: the reference's preprocessed folder, or the raw KiTS19 data/",
    )
    parser.add_argument(
        "--postprocessed_data_dir",
        "--postprocessed-data-dir",
        help="also write summary.csv and <case>/prediction.nii.gz here",
    )
    parser.add_argument("--output", help="also write the result line here (accuracy.txt)")
    args = parser.parse_args(argv)
    try:
        score = score_accuracy_log(
            Path(args.log_file),
            Path(args.preprocessed_data_dir),
            args.output_dtype,
            Path(args.postprocessed_data_dir) if args.postprocessed_data_dir else None,
        )
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(score["line"])
    if args.output:
        write_text_atomic(Path(args.output), score["line"] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
