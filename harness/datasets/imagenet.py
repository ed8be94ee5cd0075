"""ImageNet 2012 validation set in the MLCommons reference layout: a folder of JPEGs and a
``val_map.txt`` whose lines are ``<file name> <label 0..999>``; sample index = line number.

Two preprocessing families, both from the reference (mlcommons/inference,
vision/classification_and_detection/python/dataset.py), each at the input size and layout
(NCHW or NHWC) the model declares (:class:`ImagePreprocessing`):

- ``resnet`` (``pre_process_vgg``, ResNet50), described below;
- ``mobilenet`` (``pre_process_mobilenet``, MobileNet and EfficientNet-lite): the same
  resize-and-crop with linear interpolation (``cv2.INTER_LINEAR``: Pillow's BILINEAR), then
  ``x / 255 - 0.5) * 2``, inputs in [-1, 1].

The ``resnet`` family, the reference ResNet50 ONNX path:

1. decode to RGB (the reference decodes BGR with OpenCV and swaps to RGB);
2. resize so the shorter side is 256 = int(100 * 224 / 87.5) and the longer side
   int(256 * long / short), with area interpolation (``cv2.INTER_AREA``);
3. centre crop 224x224 with the reference's integer arithmetic;
4. float32, subtract the per-channel means (123.68, 116.78, 103.94), no scaling;
5. transpose HWC → CHW (the ONNX model takes NCHW).

We decode and resize with Pillow, not OpenCV. Differences, all small:
- downscaling uses Pillow's BOX filter, which is exact pixel-area averaging like INTER_AREA;
- upscaling (images whose shorter side is under 256, rare in ImageNet val) uses Pillow's
  BILINEAR, where INTER_AREA uses a slightly different linear kernel;
- EXIF orientation is applied, as ``cv2.imread`` does by default;
- both link libjpeg(-turbo) with the default (ISLOW) DCT, so decoded pixels normally agree;
  grayscale and CMYK JPEGs are converted to RGB by Pillow's rules rather than OpenCV's.
Pixel values may differ by a rounding step on some images; top-1 accuracy is unaffected in
practice, but a submitter who needs bit-identical inputs should say so in the system notes.

The disk cache keeps the result of steps 1-3 (and the transpose) as uint8 [3, 224, 224], one
file per image, 147 KiB each (7.5 GB for all 50,000, a quarter of float32 .npy files); step 4
is exact from it and runs when LoadGen loads the samples, never on the timed path. Its folder
is keyed by the data set's real path and val_map.txt content and by PREPROCESSING_ID; each
file by the image's name, size and mtime, so a replaced JPEG is preprocessed again, and a
truncated file (the wrong size) is too. A cache that cannot be written (a full disk, a
read-only folder) does not stop the run: the samples are preprocessed in memory, and the
harness says so once on stderr (and in the preprocessing phase of an accuracy run).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

from harness.datasets import DiskCache, SampleStore, StoreBacked
from harness.tasks import DatasetError, ProgressCallback

__all__ = [
    "CROP",
    "MEANS",
    "PREPROCESSING_ID",
    "RESIZE_SHORT",
    "RESNET",
    "ImagePreprocessing",
    "ImagenetDataset",
    "crop_image",
    "preprocess_image",
    "read_val_map",
    "to_input",
]

#: centre crop edge, pixels
CROP = 224
#: the reference's central fraction: the shorter side is resized to size / 87.5 %
CENTRAL_PERCENT = 87.5
#: shorter side after resize: the reference's 87.5 % central fraction of 224
RESIZE_SHORT = int(100.0 * CROP / CENTRAL_PERCENT)
#: per-channel means subtracted from RGB pixel values (the reference's pre_process_vgg)
MEANS = np.array([123.68, 116.78, 103.94], dtype=np.float32)
SAMPLE_SHAPE = (3, CROP, CROP)
#: cache key part of the ResNet50 path: bump the trailing version whenever its arithmetic changes
PREPROCESSING_ID = "resnet50-vgg-area256-crop224-mean-nchw-f32-pil-v1"
VAL_MAP = "val_map.txt"
FAMILIES = ("resnet", "mobilenet")
LAYOUTS = ("NCHW", "NHWC")


@dataclass(frozen=True)
class ImagePreprocessing:
    """How one model family wants its images: the arithmetic, the input size, the layout."""

    family: str = "resnet"
    height: int = CROP
    width: int = CROP
    layout: str = "NCHW"

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown preprocessing family {self.family!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}")

    @property
    def id(self) -> str:
        """Cache key part; the ResNet50 path keeps the key its caches were written with."""
        if self == RESNET:
            return PREPROCESSING_ID
        return f"{self.family}-c87.5-{self.height}x{self.width}-{self.layout.lower()}-pil-v1"

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        if self.layout == "NCHW":
            return (3, self.height, self.width)
        return (self.height, self.width, 3)

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        """The reference's resize target (w, h): the central 87.5 % fills the model's input."""
        new_h = int(100.0 * self.height / CENTRAL_PERCENT)
        new_w = int(100.0 * self.width / CENTRAL_PERCENT)
        if height > width:
            return new_w, int(new_h * height / width)
        return int(new_w * width / height), new_h

    def crop(self, path: Path | str | BinaryIO) -> np.ndarray:
        """One JPEG -> uint8 in the model's layout: decode, resize, centre crop (cached)."""
        with Image.open(path) as im:
            rgb = ImageOps.exif_transpose(im).convert("RGB")
        w, h = self.resized_size(*rgb.size)
        downscale = w <= rgb.size[0] and h <= rgb.size[1]
        if self.family == "resnet":
            # INTER_AREA: exact area averaging when shrinking, linear when enlarging
            resample = Image.Resampling.BOX if downscale else Image.Resampling.BILINEAR
        else:
            resample = Image.Resampling.BILINEAR  # INTER_LINEAR
        resized = rgb.resize((w, h), resample=resample)
        left = int((w - self.width) / 2)
        top = int((h - self.height) / 2)
        pixels = np.asarray(resized, dtype=np.uint8)[
            top : top + self.height, left : left + self.width
        ]
        if self.layout == "NCHW":
            pixels = pixels.transpose(2, 0, 1)
        return np.ascontiguousarray(pixels)

    def to_input(self, pixels: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """uint8 pixels (from :meth:`crop`) -> the model input, float32."""
        if out is None:
            out = np.empty(self.sample_shape, dtype=np.float32)
        if self.family == "resnet":
            means = MEANS[:, None, None] if self.layout == "NCHW" else MEANS
            np.subtract(pixels, means, out=out, dtype=np.float32)
        else:  # the reference's float32 steps: /= 255, -= 0.5, *= 2
            np.divide(pixels, np.float32(255.0), out=out, dtype=np.float32)
            out -= np.float32(0.5)
            out *= np.float32(2.0)
        return out


#: the ResNet50 v1.5 preprocessing (the default)
RESNET = ImagePreprocessing()


def resized_size(width: int, height: int) -> tuple[int, int]:
    """The reference's resize target (w, h): shorter side 256, aspect ratio kept, truncated."""
    return RESNET.resized_size(width, height)


def crop_image(path: Path | str | BinaryIO) -> np.ndarray:
    """One JPEG (path or open binary file) → uint8 [3, 224, 224]: steps 1-3 and the transpose.

    This is what the disk cache keeps: a quarter of the float32 size, and the float32 input
    is recovered exactly (uint8 → float32 minus the means is what the reference computes).
    """
    return RESNET.crop(path)


def to_input(chw: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 [3, 224, 224] → the model input: float32 minus the per-channel means (step 4)."""
    return RESNET.to_input(chw, out)


def preprocess_image(
    path: Path | str | BinaryIO,
    out: np.ndarray | None = None,
    preprocessing: ImagePreprocessing = RESNET,
) -> np.ndarray:
    """One JPEG → the model input (float32; by default the reference ResNet50 path)."""
    return preprocessing.to_input(preprocessing.crop(path), out)


def read_val_map(path: Path) -> tuple[list[str], np.ndarray]:
    """File names and labels of a val_map.txt (DatasetError naming the bad line)."""
    return parse_val_map(path, _read_bytes(path))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(
            f"no {VAL_MAP} in {path.parent}",
            f"point the data set at the ImageNet validation folder that holds {VAL_MAP} and the JPEGs",
        ) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc}", "check the file's permissions") from None


def parse_val_map(path: Path, raw: bytes) -> tuple[list[str], np.ndarray]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text: {exc}", f"regenerate {VAL_MAP}") from None
    names: list[str] = []
    labels: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        cols = line.split()
        if not cols:
            continue
        if len(cols) != 2 or not cols[1].lstrip("-").isdigit():
            raise DatasetError(
                f"{path}:{lineno}: expected '<file name> <label>', found {line.strip()!r}",
                f"fix or regenerate {VAL_MAP}",
            )
        names.append(cols[0])
        labels.append(int(cols[1]))
    if not names:
        raise DatasetError(
            f"{path} lists no images", f"{VAL_MAP} needs one '<file> <label>' per line"
        )
    return names, np.asarray(labels, dtype=np.int64)


def dataset_key(folder: Path, val_map_bytes: bytes) -> str:
    """Identity of a data set folder for the cache: its real path and its val_map's content."""
    h = hashlib.sha256()
    h.update(str(folder.resolve()).encode())
    h.update(b"\0")
    h.update(hashlib.sha256(val_map_bytes).digest())
    return h.hexdigest()[:20]


class ImagenetDataset(StoreBacked):
    """ImageNet val, preprocessed once into a disk cache, loaded into one contiguous array."""

    def __init__(
        self,
        dataset_path: Path | str,
        cache_dir: Path | str,
        count: int | None = None,
        *,
        preprocessing: ImagePreprocessing = RESNET,
        input_name: str = "input_tensor:0",
        workers: int | None = None,
    ) -> None:
        folder = Path(dataset_path)
        if folder.is_file() and folder.name == VAL_MAP:
            folder = folder.parent
        if not folder.is_dir():
            raise DatasetError(
                f"data set folder {folder} does not exist",
                "point the data set at the ImageNet validation folder (JPEGs + val_map.txt)",
            )
        self.folder = folder
        val_map = folder / VAL_MAP
        raw = _read_bytes(val_map)
        names, labels = parse_val_map(val_map, raw)
        if count is not None:
            if count < 1:
                raise DatasetError(
                    f"dataset_count must be at least 1, got {count}", "use null for all"
                )
            if count > len(names):
                raise DatasetError(
                    f"dataset_count {count} is larger than the {len(names)} images in {val_map}",
                    f"use at most {len(names)} (or null for all)",
                )
            names, labels = names[:count], labels[:count]
        self.names = names
        self.labels = labels
        self.total_count = len(names)
        self._root = str(folder)
        self._check_images_exist()
        self.preprocessing = preprocessing
        self.input_name = input_name
        self.cache_folder = (
            Path(cache_dir) / "imagenet" / dataset_key(folder, raw) / f"{preprocessing.id}.u8"
        )
        shape = preprocessing.sample_shape
        self._cache = DiskCache(self.cache_folder, shape, np.dtype(np.uint8))
        self._store = SampleStore(self.total_count, {input_name: (shape, np.dtype(np.float32))})
        self._workers = workers or max(1, os.cpu_count() or 1)
        self.cache_hits = 0
        self.cache_misses = 0
        self._said_not_written = False

    def _check_images_exist(self) -> None:
        # one directory listing per folder, not one stat per image: 50,000 names in ~50 ms
        by_dir: dict[str, set[str]] = {}
        for name in self.names:
            by_dir.setdefault(os.path.dirname(name), set())
        for sub in by_dir:
            try:
                with os.scandir(os.path.join(self._root, sub)) as it:
                    by_dir[sub] = {e.name for e in it}
            except OSError:
                pass
        missing = [n for n in self.names if os.path.basename(n) not in by_dir[os.path.dirname(n)]]
        if missing:
            shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise DatasetError(
                f"{len(missing)} of {len(self.names)} images listed in {VAL_MAP} are missing "
                f"from {self.folder}: {shown}",
                "restore the missing JPEGs, or lower dataset_count to the images you have "
                "(sample indices must match val_map.txt lines for the accuracy script)",
            )

    def _key(self, index: int) -> str:
        # the source file's name, size and mtime: a replaced JPEG is preprocessed again
        name = self.names[index]
        try:
            st = os.stat(os.path.join(self._root, name))
        except OSError as exc:
            raise DatasetError(
                f"cannot read {self.folder / name}: {exc.strerror}", "restore the JPEG"
            ) from None
        raw = f"{name}\0{st.st_size}\0{st.st_mtime_ns}".encode()
        return hashlib.blake2b(raw, digest_size=12).hexdigest()

    def _make(self, index: int) -> np.ndarray:
        """Decode, resize and crop one image, and cache the uint8 result."""
        path = self.folder / self.names[index]
        try:
            pixels = self.preprocessing.crop(path)
        except (OSError, ValueError) as exc:
            raise DatasetError(f"cannot decode {path}: {exc}", "replace the damaged JPEG") from None
        self._cache.write(self._key(index), pixels)
        return pixels

    def preprocess(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Fill the disk cache for these samples (all when None); returns how many were made."""
        wanted = (
            np.arange(self.total_count) if indices is None else np.asarray(indices, dtype=np.int64)
        )
        keys = [self._key(int(i)) for i in wanted]
        todo = [int(i) for i, ok in zip(wanted, self._cache.has(keys), strict=True) if not ok]
        if not todo:
            return 0
        label = f"Preprocessing {len(todo)} ImageNet images"
        if progress:
            progress(label, 0, len(todo))

        with ThreadPoolExecutor(self._workers) as pool:
            for done, _ in enumerate(pool.map(self._precompute, todo), start=1):
                if progress and (done == len(todo) or done % 64 == 0):
                    progress(label, done, len(todo))
        self.cache_misses += len(todo)
        note = self.cache_note()
        if progress and note:
            progress(f"Preprocessing in memory as LoadGen loads: {note}", len(todo), len(todo))
        return len(todo)

    def _precompute(self, index: int) -> None:
        # a cache that cannot be written would throw the work away: LoadGen's load does it
        if not self._cache.not_written:
            self._make(index)

    def cache_note(self) -> str:
        """Why the preprocessed-sample cache was not written ("" when it was), said once on
        stderr: the run goes on with the samples preprocessed in memory."""
        why = self._cache.not_written
        if not why:
            return ""
        note = (
            f"the preprocessed-sample cache in {self.cache_folder} was not written ({why}); "
            "the next run preprocesses the samples again"
        )
        if not self._said_not_written:
            self._said_not_written = True
            print(f"harness: {note}", file=sys.stderr)
        return note

    def _fill(self, indices: np.ndarray, rows: dict[str, np.ndarray]) -> None:
        # Threads: the kernel's first touch of the fresh pages of `rows` dominates reading and
        # runs in parallel, as do numpy's conversion and Pillow's decode (GIL released).
        out = rows[self.input_name]
        prep = self.preprocessing

        def one(row: int) -> bool:
            index = int(indices[row])
            pixels = np.empty(prep.sample_shape, dtype=np.uint8)
            hit = self._cache.read_into(self._key(index), pixels)
            prep.to_input(pixels if hit else self._make(index), out[row])
            return hit

        with ThreadPoolExecutor(self._workers) as pool:
            hits = sum(pool.map(one, range(len(indices))))
        self.cache_hits += hits
        self.cache_misses += len(indices) - hits
        self.cache_note()

    def image_path(self, index: int) -> Path:
        return self.folder / self.names[index]
