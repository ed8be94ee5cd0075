"""Reading a KiTS19 folder in either layout (raw NIfTI cases or the reference's preprocessed
files), and writing the preprocessed layout (see :mod:`harness.datasets.kits19`)."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.datasets.kits19.preprocessing import (
    DUPLICATES,
    IMAGING,
    INFERENCE_CASES,
    PREPROCESSED_FILES,
    RAW_MARKER,
    ROI_SHAPE,
    SEGMENTATION,
    PreprocessedCase,
    preprocess_case,
    preprocess_label,
    reshaped_affine,
    window_strides,
)
from harness.tasks import DatasetError, ProgressCallback


def nibabel_module() -> Any:
    try:
        import nibabel
    except ImportError:  # pragma: no cover - a dependency
        raise DatasetError(
            "reading KiTS19 NIfTI files needs nibabel", "pip install nibabel"
        ) from None
    return nibabel


def read_nifti(path: Path, dtype: type) -> tuple[np.ndarray, list[float], np.ndarray]:
    """A NIfTI volume as the reference reads it (``get_fdata().astype``), its spacing
    (``pixdim[1:4]``) and affine; DatasetError naming the file otherwise."""
    nib = nibabel_module()
    try:
        img = nib.load(str(path))
        data: np.ndarray = np.asarray(img.get_fdata()).astype(dtype)
        spacing = [float(v) for v in img.header["pixdim"][1:4].tolist()]
        affine = np.asarray(img.affine, dtype=np.float64)
    except FileNotFoundError:
        raise DatasetError(f"no {path.name} in {path.parent}", "restore the case's files") from None
    except Exception as exc:  # nibabel raises its own types for a damaged file
        raise DatasetError(
            f"cannot read {path}: {exc}", "replace the damaged file (re-download the case)"
        ) from None
    if data.ndim != 3:
        raise DatasetError(f"{path} is {data.ndim}-D, not a 3-D volume", "use the KiTS19 files")
    return data, spacing, affine


class _ArrayUnpickler(pickle.Unpickler):
    """Builds numpy arrays, dtypes and plain containers; refuses every other class."""

    _ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("builtins", "tuple"),
            ("builtins", "list"),
            ("builtins", "dict"),
            ("builtins", "slice"),
            ("builtins", "bytearray"),
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not an array or a plain container")


def read_pickle(path: Path) -> Any:
    """A pickle of the preprocessed layout (arrays and containers only)."""
    try:
        with open(path, "rb") as fh:
            return _ArrayUnpickler(fh).load()
    except FileNotFoundError:
        raise DatasetError(
            f"no {path.name} in {path.parent}",
            "point the data set at the folder the reference's preprocess.py wrote",
        ) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise DatasetError(
            f"cannot read {path}: {exc}",
            "regenerate it with the reference's preprocess.py (or use the raw KiTS19 folder)",
        ) from None


def _is_case_dir(path: Path) -> bool:
    return path.name.startswith("case_") and (path / IMAGING).is_file()


@dataclass(frozen=True)
class Kits19Folder:
    """A KiTS19 data set folder of either layout: its cases, in sample order."""

    root: Path
    #: "raw" or "preprocessed"
    layout: str
    cases: tuple[str, ...]
    #: preprocessed layout: preprocessed_files.pkl ``cases`` (the reference's ``aux``)
    aux: dict[str, Any] = field(default_factory=dict)

    def case_dir(self, name: str) -> Path:
        """raw layout: the folder holding a case's files (case_00185's for case_00400)."""
        folder = self.root / name
        if not (folder / IMAGING).is_file() and name in DUPLICATES:
            folder = self.root / DUPLICATES[name]
        return folder

    def key(self) -> str:
        """Identity for the cache: the folder's real path, layout and case list."""
        h = hashlib.sha256()
        h.update(f"{self.root.resolve()}\0{self.layout}\0".encode())
        h.update("\0".join(self.cases).encode())
        return h.hexdigest()[:20]

    def image_shape(self, index: int) -> tuple[int, ...] | None:
        """preprocessed layout: the case's (1, D, H, W) from its metadata (None: unknown)."""
        meta = self.aux.get(self.cases[index])
        if isinstance(meta, dict) and "image_shape" in meta:
            return tuple(int(v) for v in meta["image_shape"])
        return None

    def preprocessed_image(self, index: int) -> np.ndarray:
        """preprocessed layout: float32 [1, D, H, W] from the case's pickle."""
        name = self.cases[index]
        path = self.root / f"{name}.pkl"
        content = read_pickle(path)
        try:
            image = np.asarray(content[0])
        except (TypeError, IndexError, KeyError):
            raise DatasetError(
                f"{path} does not hold [image, label]", "regenerate it with preprocess.py"
            ) from None
        return _checked_volume(path, image)

    def preprocess(self, index: int) -> PreprocessedCase:
        """raw layout: read and preprocess one case."""
        name = self.cases[index]
        folder = self.case_dir(name)
        image, spacing, affine = read_nifti(folder / IMAGING, np.float32)
        label, _, _ = read_nifti(folder / SEGMENTATION, np.uint8)
        if image.shape != label.shape:
            raise DatasetError(
                f"{name}: {IMAGING} is {image.shape} but {SEGMENTATION} is {label.shape}",
                "restore the case's files from the KiTS19 repository",
            )
        return preprocess_case(name, image, label, spacing, affine)

    def ground_truth(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The preprocessed label uint8 [D, H, W] the accuracy is scored against, and its
        affine: nifti/<case>/segmentation.nii.gz (preprocessed) or from the raw case."""
        name = self.cases[index]
        if self.layout == "preprocessed":
            label, _, affine = read_nifti(self.root / "nifti" / name / SEGMENTATION, np.uint8)
            return np.ascontiguousarray(label), affine
        folder = self.case_dir(name)
        label, spacing, affine = read_nifti(folder / SEGMENTATION, np.uint8)
        return preprocess_label(label, spacing), reshaped_affine(affine)

    def reshaped_affine(self, index: int) -> np.ndarray | None:
        meta = self.aux.get(self.cases[index])
        if isinstance(meta, dict) and "reshaped_affine" in meta:
            return np.asarray(meta["reshaped_affine"], dtype=np.float64)
        return None


def _checked_volume(path: Path, image: np.ndarray) -> np.ndarray:
    """A preprocessed image as float32 [1, D, H, W], each edge a multiple of 64 >= 128."""
    if image.ndim == 3:
        image = image[None]
    strides = window_strides()
    if (
        image.ndim != 4
        or image.shape[0] != 1
        or any(
            s < r or s % st for s, r, st in zip(image.shape[1:], ROI_SHAPE, strides, strict=True)
        )
    ):
        raise DatasetError(
            f"{path} holds a volume of shape {image.shape}, not [1, D, H, W] with D, H, W "
            "multiples of 64 of at least 128",
            "regenerate it with the reference's preprocess.py (or use the raw KiTS19 folder)",
        )
    return np.ascontiguousarray(image, dtype=np.float32)


def open_folder(path: Path | str) -> Kits19Folder:
    """The KiTS19 folder at ``path`` in either layout; DatasetError saying what is missing."""
    root = Path(path)
    if root.is_file() and root.name in (PREPROCESSED_FILES, RAW_MARKER):
        root = root.parent
    if not root.is_dir():
        raise DatasetError(
            f"data set folder {root} does not exist",
            "point it at the KiTS19 data/ folder (case_XXXXX/imaging.nii.gz) or at the "
            "reference's preprocessed_data folder",
        )
    index = root / PREPROCESSED_FILES
    if index.is_file():
        content = read_pickle(index)
        if not isinstance(content, dict) or not isinstance(content.get("file_list"), list | tuple):
            raise DatasetError(
                f"{index} has no file_list", "regenerate it with the reference's preprocess.py"
            )
        cases = tuple(str(c) for c in content["file_list"])
        aux = content.get("cases") or {}
        if not cases:
            raise DatasetError(f"{index} lists no cases", "regenerate it with preprocess.py")
        missing = [c for c in cases if not (root / f"{c}.pkl").is_file()]
        if missing:
            shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise DatasetError(
                f"{len(missing)} of the {len(cases)} cases in {index.name} have no pickle in "
                f"{root}: {shown}",
                "rerun the reference's preprocess.py into this folder",
            )
        return Kits19Folder(root, "preprocessed", cases, dict(aux) if isinstance(aux, dict) else {})
    try:
        present = {p.name for p in root.iterdir() if _is_case_dir(p)}
    except OSError as exc:
        raise DatasetError(f"cannot list {root}: {exc.strerror}", "check its permissions") from None
    known = tuple(
        c for c in INFERENCE_CASES if c in present or (c in DUPLICATES and DUPLICATES[c] in present)
    )
    cases = known or tuple(sorted(present))
    if not cases:
        raise DatasetError(
            f"{root} holds neither {PREPROCESSED_FILES} nor case_XXXXX/{IMAGING} folders",
            "point it at the KiTS19 data/ folder (git clone + get_imaging) or at the folder "
            "the reference's preprocess.py wrote",
        )
    no_label = [c for c in cases if not (root / c / SEGMENTATION).is_file()]
    no_label = [
        c
        for c in no_label
        if not (c in DUPLICATES and (root / DUPLICATES[c] / SEGMENTATION).is_file())
    ]
    if no_label:
        shown = ", ".join(no_label[:3]) + (", ..." if len(no_label) > 3 else "")
        raise DatasetError(
            f"{len(no_label)} cases in {root} have no {SEGMENTATION}: {shown}",
            "the accuracy needs each case's ground truth; restore the KiTS19 repository files",
        )
    return Kits19Folder(root, "raw", cases)


def export_preprocessed(
    source: Path | str, out_dir: Path | str, progress: ProgressCallback | None = None
) -> Path:
    """Preprocess a raw folder into the reference's preprocessed layout at ``out_dir``:
    ``case_XXXXX.pkl`` ([image, label]), ``preprocessed_files.pkl`` and
    ``nifti/case_XXXXX/{imaging,segmentation}.nii.gz``, as preprocess.py writes them."""
    folder = open_folder(source)
    if folder.layout != "raw":
        raise DatasetError(f"{folder.root} is already preprocessed", "use it as it is")
    nib = nibabel_module()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {"file_list": list(folder.cases), "cases": {}}
    for i, name in enumerate(folder.cases):
        if progress:
            progress("Preprocessing KiTS19 cases", i, len(folder.cases))
        case = folder.preprocess(i)
        with open(out / f"{name}.pkl", "wb") as fh:
            pickle.dump([case.image, case.label], fh)
        nifti = out / "nifti" / name
        nifti.mkdir(parents=True, exist_ok=True)
        nib.save(nib.Nifti1Image(case.image[0], affine=case.affine), str(nifti / IMAGING))
        nib.save(nib.Nifti1Image(case.label[0], affine=case.affine), str(nifti / SEGMENTATION))
        index["cases"][name] = case.aux
    with open(out / PREPROCESSED_FILES, "wb") as fh:
        pickle.dump(index, fh)
    if progress:
        progress("Preprocessing KiTS19 cases", len(folder.cases), len(folder.cases))
    return out
