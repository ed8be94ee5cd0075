"""The ImageNet top-1 accuracy script, the reference's arithmetic and output line.

Same arithmetic and output line as mlcommons/inference
vision/classification_and_detection/tools/accuracy-imagenet.py, plus writing the line to a file:

    python -m harness.tasks.imagenet_classification \\
        --mlperf-accuracy-file out/mlperf_log_accuracy.json \\
        --imagenet-val-file /data/imagenet/val_map.txt --output out/accuracy.txt
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.accuracy_log import read_responses, write_text_atomic
from harness.datasets.imagenet import read_val_map
from harness.tasks import AccuracyError, DatasetError, TaskError

__all__ = ["main", "score_accuracy_log"]

#: the dtypes accuracy-imagenet.py accepts
_RESPONSE_DTYPES = ("float32", "int32", "int64")


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
    seen: set[int] = set()
    good = 0
    logged = 0
    mistakes: list[str] = []
    for response in read_responses(accuracy_log, dtype):
        logged += 1
        n, idx, data = response.n, response.qsl_idx, response.data
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
        "dupes": logged - total,
        "line": line,
        "mistakes": mistakes,
    }


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
        write_text_atomic(Path(args.output), score["line"] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
