"""KiTS 2019 for the 3D-UNet benchmark: the reference's preprocessing, both folder layouts, and a
per-case sample store.

The facts come from mlcommons/inference vision/medical_imaging/3d-unet-kits19 (preprocess.py,
global_vars.py, kits_QSL.py, meta/inference_cases.json, Makefile); the code is ours.

Two layouts of a data set folder are recognised (:func:`open_folder`):

- ``raw``: the KiTS19 repository's ``data/`` folder (``kits.json`` and ``case_XXXXX/`` folders
  holding ``imaging.nii.gz`` and ``segmentation.nii.gz``). The samples are the reference's 43
  inference cases that are present, in the reference's order (``case_00400`` is the
  reference's copy of ``case_00185``, made by its Makefile; when the folder has no
  ``case_00400``, ``case_00185`` is read for it). A folder with none of them uses every case it
  has, sorted. Each case is preprocessed here (below) once, into the disk cache.
- ``preprocessed``: what the reference's ``preprocess.py`` writes (``preprocessed_files.pkl``
  with ``file_list`` and per-case ``cases`` metadata, ``case_XXXXX.pkl`` holding ``[image,
  label]`` as float32 / uint8 [1, D, H, W], and the ground truth
  ``nifti/case_XXXXX/segmentation.nii.gz``). Read as it is, like the reference QSL. The pickles
  are read with an unpickler that builds numpy arrays and plain containers only, never other
  objects.

The preprocessing of one case, the reference's steps and arithmetic:

1. read ``imaging.nii.gz`` as float32 and ``segmentation.nii.gz`` as uint8 with nibabel; the
   voxel spacing is the header's ``pixdim[1:4]``;
2. unless the spacing already is [1.6, 1.2, 1.2] mm, resample with ``scipy.ndimage.zoom`` by
   spacing / target: the image linearly (order 1), the label to the nearest (order 0), both
   ``mode="constant"`` with the volume's minimum outside and ``grid_mode=False``;
3. clip the image to [-79, 304] and z-score it with mean 101 and standard deviation 76.9;
4. pad each axis shorter than the 128 ROI edge up to 128 (``edge`` mode, split evenly);
5. fit each axis to the sliding window (stride 64 = 128 x (1 - overlap 0.5)): a remainder
   modulo 64 under 32 is cropped (split evenly), otherwise the axis is padded up to the next
   multiple of 64 (and to at least 128) with -2.2 (label: 0).

The result is float32 [1, D, H, W] with D, H, W multiples of 64 (at least 128); the disk cache
keeps it as one ``.npy`` file per case (shapes vary), written atomically.
"""

from __future__ import annotations

from harness.datasets.kits19.folders import (
    Kits19Folder,
    export_preprocessed,
    nibabel_module,
    open_folder,
    read_nifti,
    read_pickle,
)
from harness.datasets.kits19.preprocessing import (
    DUPLICATES,
    IMAGING,
    INFERENCE_CASES,
    MAX_CLIP,
    MEAN,
    MIN_CLIP,
    OVERLAP,
    PADDING_VALUE,
    PREPROCESSED_FILES,
    PREPROCESSING_ID,
    RAW_MARKER,
    ROI_SHAPE,
    SEGMENTATION,
    STD,
    TARGET_SPACING,
    PreprocessedCase,
    fit_to_windows,
    normalize_intensity,
    pad_to_min_shape,
    preprocess_case,
    preprocess_label,
    resample_image,
    resample_label,
    reshaped_affine,
    window_strides,
)
from harness.datasets.kits19.store import (
    CaseStore,
    Kits19Dataset,
    write_raw_marker,
)

__all__ = [
    "DUPLICATES",
    "IMAGING",
    "INFERENCE_CASES",
    "MAX_CLIP",
    "MEAN",
    "MIN_CLIP",
    "OVERLAP",
    "PADDING_VALUE",
    "PREPROCESSED_FILES",
    "PREPROCESSING_ID",
    "RAW_MARKER",
    "ROI_SHAPE",
    "SEGMENTATION",
    "STD",
    "TARGET_SPACING",
    "CaseStore",
    "Kits19Dataset",
    "Kits19Folder",
    "PreprocessedCase",
    "export_preprocessed",
    "fit_to_windows",
    "nibabel_module",
    "normalize_intensity",
    "open_folder",
    "pad_to_min_shape",
    "preprocess_case",
    "preprocess_label",
    "read_nifti",
    "read_pickle",
    "resample_image",
    "resample_label",
    "reshaped_affine",
    "window_strides",
    "write_raw_marker",
]
