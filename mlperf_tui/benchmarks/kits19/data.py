"""KiTS 2019 as the MLCommons reference reads it, and its synthetic stand-in.

Two layouts are recognised (``harness.datasets.kits19`` reads both): the KiTS19 repository's
``data/`` folder (``kits.json``, ``case_XXXXX/imaging.nii.gz`` + ``segmentation.nii.gz``), and
the folder the reference's preprocess.py writes (``preprocessed_files.pkl``, ``case_XXXXX.pkl``,
``nifti/case_XXXXX/segmentation.nii.gz``).

The stand-in is a folder of the raw layout, so that the reference's preprocessing runs on it:
the first ``count`` of the reference's 43 inference case names (``case_00400`` a copy of
``case_00185``, as the reference's Makefile makes it), each a small abdominal CT-like volume in
Hounsfield units (air around an elliptic body of soft tissue, a spine, two contrast-enhanced
kidneys, a tumour in one of them) with its label map (kidney 1, tumour 2), at a plausible
voxel spacing (slices of 1-3 mm, 0.7-1 mm in-plane) and a KiTS19-like affine. Sizes are chosen
so that, after resampling to [1.6, 1.2, 1.2] mm, most cases are one 128^3 window and every
fourth is two; every step of the preprocessing (edge padding, cropping, constant padding) is
exercised. Deterministic from the seed (each case its own RNG, so counts share prefixes).
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.datasets.kits19 import (
    DUPLICATES,
    IMAGING,
    INFERENCE_CASES,
    PREPROCESSED_FILES,
    RAW_MARKER,
    SEGMENTATION,
    TARGET_SPACING,
    Kits19Dataset,
    nibabel_module,
    open_folder,
    write_raw_marker,
)
from harness.tasks import DatasetError
from mlperf_tui.errors import AssetError

if TYPE_CHECKING:
    from mlperf_tui.benchmarks import Progress

#: the raw layout's marker file (the KiTS19 repository's data/kits.json)
MARKER = RAW_MARKER
#: disk bytes of one case in the preprocessed-sample cache: float32 [1, D, H, W]. An estimate
#: for a case of 256 x 320 x 320 voxels after resampling (KiTS19 scans: 512 x 512 slices of
#: about 0.8 mm, a few hundred mm long); the cases' sizes vary several-fold around it
SAMPLE_BYTES = 4 * 256 * 320 * 320


def count_samples(folder: Path) -> int:
    """Cases of the folder in either layout (0 when it is not a KiTS19 folder)."""
    try:
        return len(open_folder(folder).cases)
    except DatasetError:
        return 0


def check_folder(folder: Path) -> int:
    """AssetError unless ``folder`` holds KiTS19 in a layout the harness reads; its count."""
    if not folder.is_dir():
        raise AssetError(
            f"data set folder {folder} does not exist",
            "point it at the KiTS19 data/ folder or the reference's preprocessed_data folder, "
            "or use synthetic",
        )
    try:
        kits = open_folder(folder)
    except DatasetError as exc:
        raise AssetError(exc.message, exc.fix) from None
    if kits.layout == "preprocessed":
        missing = [c for c in kits.cases if not (folder / "nifti" / c / SEGMENTATION).is_file()]
        if missing:
            shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise AssetError(
                f"{len(missing)} cases of {folder / PREPROCESSED_FILES} have no ground truth "
                f"nifti/<case>/{SEGMENTATION}: {shown}",
                "rerun the reference's preprocess.py without --calibration (it writes nifti/)",
            )
    else:
        first = kits.case_dir(kits.cases[0]) / IMAGING
        try:
            nibabel_module().load(str(first)).header.get_data_shape()
        except Exception as exc:  # nibabel raises its own types for a damaged file
            raise AssetError(
                f"cannot read {first}: {exc}",
                "re-download the case (python -m starter_code.get_imaging)",
            ) from None
    return len(kits.cases)


#: pre-flight figures: a generated case's share of the stand-in folder (gzipped NIfTI image and
#: labels, measured), a real case's response in the accuracy log (uint8 [D, H, W] of the case
#: above), and the seconds one core takes to generate / to preprocess a synthetic case
#: (measured) and a real one (resampling a 512 x 512 x a few hundred slices; assumed)
GENERATED_SAMPLE_BYTES = 3_900_000
RESPONSE_BYTES = 256 * 320 * 320
GENERATE_S_PER_SAMPLE = 0.5
PREPROCESS_S_PER_SAMPLE = 10.0


def preprocessed_in_cache(folder: Path, cache_dir: Path, task_options: Mapping[str, Any]) -> int:
    """Cases of ``folder`` ready in the harness's preprocessed-sample cache ``cache_dir``
    (a preprocessed-layout folder needs none: all of its cases)."""
    try:
        return Kits19Dataset(folder, cache_dir, None).cached_count()
    except DatasetError:
        return 0


# --- the synthetic stand-in ------------------------------------------------------------------


def _nifti_gz(volume: np.ndarray, affine: np.ndarray) -> bytes:
    """A gzipped NIfTI-1 file (deterministic bytes: no timestamp in the gzip header)."""
    nib = nibabel_module()
    return gzip.compress(nib.Nifti1Image(volume, affine).to_bytes(), compresslevel=1, mtime=0)


def _ellipsoid(
    grids: tuple[np.ndarray, np.ndarray, np.ndarray],
    centre: tuple[float, float, float],
    radii: tuple[float, float, float],
) -> np.ndarray:
    z, y, x = grids
    return (
        ((z - centre[0]) / radii[0]) ** 2
        + ((y - centre[1]) / radii[1]) ** 2
        + ((x - centre[2]) / radii[2]) ** 2
    ) <= 1.0


def _resampled_edges(index: int, rng: np.random.Generator) -> tuple[int, int, int]:
    """Edges after resampling: under 128 (edge-padded), 128-159 (cropped to 128), and every
    fourth case 160-191 deep (padded to 192: two windows)."""

    def one(kind: str) -> int:
        lo, hi = {"pad": (104, 124), "crop": (130, 156), "two": (164, 186)}[kind]
        return int(rng.integers(lo, hi + 1))

    depth = "two" if index % 4 == 3 else ("pad" if index % 4 == 1 else "crop")
    return one(depth), one("crop" if index % 2 == 0 else "pad"), one("crop")


def synthetic_case(seed: int, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image int16 (HU), label uint8 and affine of synthetic case ``index``."""
    rng = np.random.default_rng([seed, index])
    dz = float(rng.choice([1.0, 1.5, 2.0, 2.5, 3.0]))
    dxy = round(float(rng.uniform(0.7, 1.0)), 3)
    edges = _resampled_edges(index, rng)
    spacing = (dz, dxy, dxy)
    shape = tuple(
        max(8, round(e * t / s)) for e, t, s in zip(edges, TARGET_SPACING, spacing, strict=True)
    )
    extent = [n * s for n, s in zip(shape, spacing, strict=True)]  # mm
    axes = [(np.arange(n) + 0.5) * s for n, s in zip(shape, spacing, strict=True)]
    grids = np.meshgrid(*axes, indexing="ij", sparse=True)
    zc, yc, xc = (e / 2 for e in extent)

    hu = np.full(shape, -1000.0, dtype=np.float32)  # air
    body = _ellipsoid(grids, (zc, yc, xc), (extent[0] * 4, extent[1] * 0.42, extent[2] * 0.46))
    hu[body] = 40.0  # soft tissue
    spine = _ellipsoid(grids, (zc, yc + extent[1] * 0.25, xc), (extent[0] * 4, 12.0, 12.0))
    hu[spine] = 700.0  # bone
    label = np.zeros(shape, dtype=np.uint8)
    tumour_side = int(rng.integers(0, 2))
    for side, sign in enumerate((-1.0, 1.0)):
        centre = (
            zc + float(rng.uniform(-0.1, 0.1)) * extent[0],
            yc + extent[1] * 0.12,
            xc + sign * extent[2] * float(rng.uniform(0.18, 0.24)),
        )
        radii = (
            min(55.0, extent[0] * 0.35),
            float(rng.uniform(18.0, 24.0)),
            float(rng.uniform(22.0, 30.0)),
        )
        kidney = _ellipsoid(grids, centre, radii)
        hu[kidney] = 180.0  # contrast-enhanced cortex
        label[kidney] = 1
        if side == tumour_side:
            r = float(rng.uniform(8.0, 14.0))
            spot = (centre[0], centre[1] - radii[1] * 0.3, centre[2] + sign * radii[2] * 0.4)
            tumour = _ellipsoid(grids, spot, (r, r, r))
            hu[tumour] = 90.0
            label[tumour] = 2
    hu += rng.normal(0.0, 12.0, size=shape).astype(np.float32)
    image = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
    # KiTS19's orientation: voxel axis 0 is z (the slices), the affine's rows are x, y, z
    affine = np.zeros((4, 4))
    affine[0, 2], affine[1, 1], affine[2, 0], affine[3, 3] = -dxy, -dxy, -dz, 1.0
    return image, label, affine


def synthesize(count: int, seed: int, folder: Path, progress: Progress | None = None) -> None:
    """Write ``count`` synthetic cases in the raw KiTS19 layout into ``folder`` (which exists)."""
    if count > len(INFERENCE_CASES):
        raise AssetError(
            f"a synthetic KiTS19 set has at most the reference's {len(INFERENCE_CASES)} "
            f"inference cases, not {count}",
            f"use a count of 1 to {len(INFERENCE_CASES)}",
        )
    names = INFERENCE_CASES[:count]
    label = f"Generating {count} synthetic KiTS19 cases"
    if progress:
        progress(label, 0, count)
    for done, name in enumerate(names, start=1):
        # case_00400 is the reference's copy of case_00185
        index = INFERENCE_CASES.index(DUPLICATES.get(name, name))
        image, seg, affine = synthetic_case(seed, index)
        case = folder / name
        case.mkdir()
        (case / IMAGING).write_bytes(_nifti_gz(image, affine))
        (case / SEGMENTATION).write_bytes(_nifti_gz(seg, affine))
        if progress:
            progress(label, done, count)
    write_raw_marker(folder, names, synthetic=True)
