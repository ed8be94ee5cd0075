"""The ImageNet validation set as the MLCommons reference lays it out, and its stand-in.

A folder of JPEGs and a ``val_map.txt`` whose lines are ``<file name> <label 0..999>`` (the
harness's ``harness.datasets.imagenet`` reads it). The stand-in is a folder of the same layout:
JPEGs of varied sizes and aspect ratios (smooth random pictures with light noise, so crops and
resizes are exercised) with random labels, deterministic from a seed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlperf_tui.errors import AssetError

if TYPE_CHECKING:
    from mlperf_tui.benchmarks import Progress

VAL_MAP = "val_map.txt"
#: a preprocessed sample in the harness's cache: uint8 [3, 224, 224]
SAMPLE_BYTES = 3 * 224 * 224
#: the same sample in the harness's sample store (float32), what LoadGen's loaded set holds
LOADED_SAMPLE_BYTES = SAMPLE_BYTES * 4
#: a generated stand-in JPEG on disk: about 16 KB on average (measured over 400), plus the
#: filesystem's block rounding
GENERATED_SAMPLE_BYTES = 20 * 1024
#: one response in the accuracy log: the label as float32
RESPONSE_BYTES = 4
#: one core: generating a stand-in JPEG (measured 4.3 ms), preprocessing a sample (DESIGN.md:
#: ~3.5 ms for a real ImageNet image, decode + resize + crop + the cache file)
GENERATE_S_PER_SAMPLE = 0.005
PREPROCESS_S_PER_SAMPLE = 0.0035


def synthetic_image(seed: int, index: int) -> tuple[bytes, int]:
    """JPEG bytes and label of synthetic image ``index`` (its own RNG: counts share prefixes)."""
    from PIL import Image

    rng = np.random.default_rng([seed, index])
    label = int(rng.integers(0, 1000))
    width, height = (int(v) for v in rng.integers(64, 501, size=2))
    # a smooth random picture (a coarse grid upsampled) plus light noise: small JPEGs that
    # still vary across the frame, so crops and resizes are exercised
    grid = rng.integers(
        0, 256, size=(int(rng.integers(2, 9)), int(rng.integers(2, 9)), 3), dtype=np.uint8
    )
    img = Image.fromarray(grid, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    noise = rng.integers(-12, 13, size=(height, width, 3), dtype=np.int16)
    pixels = np.clip(np.asarray(img, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, format="JPEG", quality=85)
    return buf.getvalue(), label


def synthetic_image_name(index: int) -> str:
    return f"ILSVRC2012_val_{index + 1:08d}.JPEG"


def synthesize(
    count: int,
    seed: int,
    folder: Path,
    progress: Progress | None = None,
    workers: int | None = None,
) -> None:
    """Write ``count`` synthetic images and their val_map.txt into ``folder`` (which exists)."""
    labels = [0] * count
    label = f"Generating {count} synthetic ImageNet images"

    def one(index: int) -> None:
        data, labels[index] = synthetic_image(seed, index)
        (folder / synthetic_image_name(index)).write_bytes(data)

    if progress:
        progress(label, 0, count)
    with ThreadPoolExecutor(workers or max(1, os.cpu_count() or 1)) as pool:
        for done, _ in enumerate(pool.map(one, range(count)), start=1):
            if progress and (done == count or done % 256 == 0):
                progress(label, done, count)
    lines = "".join(f"{synthetic_image_name(i)} {labels[i]}\n" for i in range(count))
    (folder / VAL_MAP).write_text(lines, encoding="utf-8")


def count_samples(folder: Path) -> int:
    """Images listed in the folder's val_map.txt (0 when it has none)."""
    val_map = folder / VAL_MAP
    if not val_map.is_file():
        return 0
    with val_map.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def check_folder(folder: Path) -> int:
    """AssetError unless ``folder`` holds a val_map.txt whose first image exists; its count."""
    if not folder.is_dir():
        raise AssetError(
            f"data set folder {folder} does not exist",
            "point it at the ImageNet validation folder (JPEGs + val_map.txt), or use synthetic",
        )
    val_map = folder / VAL_MAP
    if not val_map.is_file():
        raise AssetError(
            f"no {VAL_MAP} in {folder}",
            f"the folder needs {VAL_MAP} with '<file> <label>' lines (the MLCommons layout)",
        )
    try:
        with open(val_map, encoding="utf-8") as fh:
            first = fh.readline().split()
    except (OSError, UnicodeDecodeError) as exc:
        raise AssetError(f"cannot read {val_map}: {exc}", "check the file's permissions") from None
    if len(first) != 2:
        raise AssetError(
            f"{val_map} does not start with '<file> <label>'", f"fix or regenerate {VAL_MAP}"
        )
    if not (folder / first[0]).is_file():
        raise AssetError(
            f"{first[0]}, the first image in {VAL_MAP}, is not in {folder}",
            "copy the validation JPEGs next to val_map.txt",
        )
    return count_samples(folder)


def preprocessed_in_cache(folder: Path, cache_dir: Path, task_options: Mapping[str, Any]) -> int:
    """Samples of the data set in ``folder`` already preprocessed in the harness's cache
    (``cache_dir``) for the model's preprocessing family: the most complete of its folders.

    The harness keys the folder by the data set's path and val_map.txt
    (harness.datasets.imagenet); a stale file (a JPEG replaced since) is counted too.
    """
    from harness.datasets.imagenet import PREPROCESSING_ID, dataset_key

    try:
        raw = (folder / VAL_MAP).read_bytes()
    except OSError:
        return 0
    base = cache_dir / "imagenet" / dataset_key(folder, raw)
    family = str(task_options.get("preprocessing", "resnet"))
    # the folder per preprocessing (family, input size, layout); ResNet50's keeps its old name
    prefix = (PREPROCESSING_ID, "resnet-") if family == "resnet" else (f"{family}-",)
    best = 0
    try:
        subfolders = [p for p in base.iterdir() if p.is_dir() and p.name.startswith(prefix)]
    except OSError:
        return 0
    for sub in subfolders:
        with os.scandir(sub) as it:
            n = sum(1 for e in it if e.name.endswith(".raw") and not e.name.startswith("."))
        best = max(best, n)
    return best
