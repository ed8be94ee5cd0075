"""The reference's KiTS19 preprocessing: resampling, clipping, z-score and padding to the
sliding window (see :mod:`harness.datasets.kits19`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.tasks import DatasetError

#: global_vars.py: the common voxel spacing (z, y, x) in mm every case is resampled to
TARGET_SPACING = (1.6, 1.2, 1.2)
#: global_vars.py: intensity clip (HU), then z-score
MIN_CLIP = -79.0
MAX_CLIP = 304.0
MEAN = 101.0
STD = 76.9
#: global_vars.py: the image's padding value (about the z-score of -68 HU)
PADDING_VALUE = -2.2
#: global_vars.py: the model's sliding window (ROI) and its overlap
ROI_SHAPE = (128, 128, 128)
OVERLAP = 0.5
#: cache key part: bump the trailing version whenever the arithmetic above changes
PREPROCESSING_ID = "kits19-sp1.6x1.2x1.2-clip-79_304-z101_76.9-roi128-ov0.5-pad-2.2-v1"

#: meta/inference_cases.json (42 cases) + case_00400, the Makefile's copy of case_00185: the
#: reference's 43 inference cases, in the order of its preprocessed_files.pkl ``file_list``
INFERENCE_CASES: tuple[str, ...] = (
    "case_00000", "case_00003", "case_00005", "case_00006", "case_00012", "case_00024",
    "case_00034", "case_00041", "case_00044", "case_00049", "case_00052", "case_00056",
    "case_00061", "case_00065", "case_00066", "case_00070", "case_00076", "case_00078",
    "case_00080", "case_00084", "case_00086", "case_00087", "case_00092", "case_00111",
    "case_00112", "case_00125", "case_00128", "case_00138", "case_00157", "case_00160",
    "case_00161", "case_00162", "case_00169", "case_00171", "case_00176", "case_00185",
    "case_00187", "case_00189", "case_00198", "case_00203", "case_00206", "case_00207",
    "case_00400",
)  # fmt: skip
#: cases the reference makes by copying another (Makefile duplicate_kits19_case_00185)
DUPLICATES = {"case_00400": "case_00185"}

IMAGING = "imaging.nii.gz"
SEGMENTATION = "segmentation.nii.gz"
#: the file list and per-case metadata of a preprocessed folder (preprocess.py)
PREPROCESSED_FILES = "preprocessed_files.pkl"
#: the KiTS19 repository's clinical data, next to the case folders of a raw folder
RAW_MARKER = "kits.json"


def window_strides(roi: Sequence[int] = ROI_SHAPE, overlap: float = OVERLAP) -> tuple[int, ...]:
    """The sliding window's step per axis: int(roi x (1 - overlap)), 64 for the reference."""
    return tuple(int(r * (1 - overlap)) for r in roi)


def reshaped_affine(affine: np.ndarray, spacing: Sequence[float] = TARGET_SPACING) -> np.ndarray:
    """The case's affine after resampling: each axis's non-zero entry set to the target spacing
    of that voxel axis, keeping its sign (preprocess.py load_and_resample)."""
    target = np.asarray(spacing, dtype=np.float64)
    out = np.array(affine, dtype=np.float64, copy=True)
    for row in range(3):
        for col in np.flatnonzero(out[row, :3] != 0):
            out[row, col] = target[col] * (-1.0 if affine[row, col] < 0 else 1.0)
    return out


def _zoom_factor(spacing: Sequence[float]) -> np.ndarray | None:
    """spacing / target, or None when the case already has the target spacing."""
    if [float(s) for s in spacing] == list(TARGET_SPACING):
        return None
    factor: np.ndarray = np.asarray([float(s) for s in spacing]) / np.asarray(TARGET_SPACING)
    return factor


def resample_image(image: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Step 2 for the image: linear, the volume's minimum outside."""
    factor = _zoom_factor(spacing)
    if factor is None:
        return image
    from scipy.ndimage import zoom

    out: np.ndarray = zoom(
        image, factor, order=1, mode="constant", cval=image.min(), grid_mode=False
    )
    return out


def resample_label(label: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """Step 2 for the label: nearest, the label's minimum outside."""
    factor = _zoom_factor(spacing)
    if factor is None:
        return label
    from scipy.ndimage import zoom

    out: np.ndarray = zoom(
        label, factor, order=0, mode="constant", cval=label.min(), grid_mode=False
    )
    return out


def normalize_intensity(image: np.ndarray) -> np.ndarray:
    """Step 3: clip to [-79, 304], then (x - 101) / 76.9, in the image's float32."""
    clipped = np.clip(image, MIN_CLIP, MAX_CLIP)
    out: np.ndarray = (clipped - MEAN) / STD
    return out


def pad_to_min_shape(volume: np.ndarray, roi: Sequence[int] = ROI_SHAPE) -> np.ndarray:
    """Step 4: each axis shorter than the ROI padded up to it with its edge values."""
    bounds = [max(0, r - s) for r, s in zip(roi, volume.shape, strict=True)]
    if not any(bounds):
        return volume
    return np.pad(volume, [(b // 2, b - b // 2) for b in bounds], mode="edge")


def fit_to_windows(
    volume: np.ndarray,
    pad_value: float,
    roi: Sequence[int] = ROI_SHAPE,
    overlap: float = OVERLAP,
) -> np.ndarray:
    """Step 5: crop a remainder under half a stride, else pad to the next stride multiple."""
    strides = window_strides(roi, overlap)
    shape = volume.shape
    crop = [s % st for s, st in zip(shape, strides, strict=True)]
    crop = [c if c < st // 2 else 0 for c, st in zip(crop, strides, strict=True)]
    volume = volume[
        tuple(slice(c // 2, s - (c - c // 2)) for c, s in zip(crop, shape, strict=True))
    ]
    pad = [(st - s % st) % st for s, st in zip(volume.shape, strides, strict=True)]
    pad = [
        p if s + p >= r else p + st
        for p, s, r, st in zip(pad, volume.shape, roi, strides, strict=True)
    ]
    if not any(pad):
        return volume
    return np.pad(
        volume, [(p // 2, p - p // 2) for p in pad], mode="constant", constant_values=pad_value
    )


@dataclass(frozen=True)
class PreprocessedCase:
    """One case after preprocessing: the model's volume, the label, what the scoring needs."""

    name: str
    #: float32 [1, D, H, W]
    image: np.ndarray
    #: uint8 [1, D, H, W]
    label: np.ndarray
    #: the affine of the resampled volume (for writing predictions as NIfTI)
    affine: np.ndarray
    #: the reference's ``aux`` of this case (preprocessed_files.pkl ``cases``)
    aux: dict[str, Any] = field(default_factory=dict)


def preprocess_label(label: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """The label steps alone (2, 4, 5): uint8 [D, H, W], exactly the label of
    :func:`preprocess_case` (every step's geometry depends on the shape only)."""
    label = resample_label(np.asarray(label, dtype=np.uint8), spacing)
    return np.ascontiguousarray(fit_to_windows(pad_to_min_shape(label), 0))


def preprocess_case(
    name: str,
    image: np.ndarray,
    label: np.ndarray,
    spacing: Sequence[float],
    affine: np.ndarray,
) -> PreprocessedCase:
    """Steps 2-5 of one case read from its NIfTI files (image float32, label uint8)."""
    img = resample_image(np.asarray(image, dtype=np.float32), spacing)
    img = normalize_intensity(img)
    img = fit_to_windows(pad_to_min_shape(img), PADDING_VALUE).astype(np.float32, copy=False)
    lab = preprocess_label(label, spacing)
    if img.shape != lab.shape:
        raise DatasetError(
            f"{name}: imaging {img.shape} and segmentation {lab.shape} differ after resampling",
            f"check that {IMAGING} and {SEGMENTATION} of {name} belong together",
        )
    factor = _zoom_factor(spacing)
    new_affine = reshaped_affine(affine)
    aux = {
        "original_affine": np.asarray(affine, dtype=np.float64),
        "reshaped_affine": new_affine,
        "zoom_factor": np.ones(3) if factor is None else factor,
        "case": name,
        "image_shape": (1, *img.shape),
    }
    return PreprocessedCase(
        name, np.ascontiguousarray(img[None]), np.ascontiguousarray(lab[None]), new_affine, aux
    )
