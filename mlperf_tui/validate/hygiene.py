"""What the results repository and the legacy checker refuse anywhere in the tree.

Mirrors tools/submission/repository_checks.sh (symbolic links, hidden names, spaces in names,
large files) and the folder checks of submission_checker_old.py (empty folders, files_diff's
exact file lists with its tolerated files, stray files at the root and in a division folder,
calibration.md in the closed division), which the modular checker does not make.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from mlperf_tui.rules.checker import CALIBRATION_DOC, ROOT_FILE_SUFFIXES, TOLERATED_FILES
from mlperf_tui.rules.model import Round
from mlperf_tui.validate.context import _STRICT_DIVISIONS, _files, layout_of
from mlperf_tui.validate.findings import _Findings


def _check_repository(f: _Findings, root: Path, divisions: list[Path]) -> None:
    """What the results repository refuses (repository_checks.sh) and the legacy checker's
    folder checks: links, hidden names, spaces, __pycache__, empty folders, stray files."""
    for name in _files(root):
        if not name.startswith(".") and not name.endswith(ROOT_FILE_SUFFIXES):
            f.error(
                "tree.extra-file",
                root / name,
                f"{name} lies at the package root, where the legacy checker allows only "
                "README.md and PDF files",
                f"move {name} into a submitter folder, or remove it",
            )
    for division_dir in divisions:
        for name in _files(division_dir):
            f.error(
                "tree.extra-file",
                division_dir / name,
                f"{name} lies in {division_dir.name}/ outside any submitter folder",
                f"move it into {division_dir.name}/<submitter>/, or remove it",
            )
        for top, dirnames, filenames in os.walk(division_dir):
            here = Path(top)
            kept = []
            for name in sorted(dirnames):
                path = here / name
                if _bad_entry(f, path, name, folder=True):
                    continue
                if name == "__pycache__":
                    f.error(
                        "tree.extra-file",
                        path,
                        "a __pycache__ folder (compiled Python) is in the package",
                        "remove it; publish the source only",
                    )
                    continue
                try:
                    empty = not any(path.iterdir())
                except OSError:
                    empty = False
                if empty:
                    f.error(
                        "tree.empty-folder",
                        path,
                        f"{name}/ is empty; the legacy checker refuses empty folders",
                        "remove it, or put in it what belongs there",
                    )
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                _bad_entry(f, here / name, name, folder=False)


def _bad_entry(f: _Findings, path: Path, name: str, *, folder: bool) -> bool:
    """A link, a hidden name or a name with a space; True: do not look inside."""
    what = "folder" if folder else "file"
    if path.is_symlink():
        f.error(
            "tree.symlink",
            path,
            f"{name} is a symbolic link"
            + ("" if path.exists() else " to nothing")
            + "; the results repository refuses links",
            "replace the link with a copy of what it points to",
        )
        return True
    if name.startswith("."):
        f.error(
            "tree.bad-name",
            path,
            f"the {what} {name} has a hidden name (starting with a dot), which the results "
            "repository refuses",
            "remove it or rename it without the leading dot",
        )
        return True
    if " " in name:
        f.error(
            "tree.bad-name",
            path,
            f'the {what} name "{name}" has a space, which the results repository refuses',
            f"rename it, e.g. {name.replace(' ', '_')}",
        )
    return False


def _extra_files(f: _Findings, folder: Path, expected: Iterable[str], what: str, fix: str) -> None:
    """Files beyond an exact list (the legacy checker's files_diff; it tolerates LoadGen's
    trace, results.json and .gitkeep, and the modular checker does not look)."""
    extra = sorted(set(_files(folder)) - set(expected) - set(TOLERATED_FILES))
    if extra:
        f.error(
            "tree.extra-file",
            folder,
            f"unexpected files in {what}: "
            + ", ".join(extra)
            + " (the legacy checker wants its exact file list there)",
            fix,
        )


def _large_files(f: _Findings, root: Path, round_rules: Round) -> None:
    for path in root.rglob("*"):
        try:
            if path.is_file() and path.stat().st_size > round_rules.max_file_bytes:
                f.error(
                    "tree.file-too-large",
                    path,
                    f"{path.name} is {path.stat().st_size} bytes; the checker allows "
                    f"{round_rules.max_file_bytes}",
                    "truncate or remove it",
                )
        except OSError:
            continue


def _check_calibration(f: _Findings, base: Path, division: str, round_rules: Round) -> None:
    if division not in _STRICT_DIVISIONS or not layout_of(round_rules).calibration_doc:
        return
    if (base / CALIBRATION_DOC).is_file() or (base / "documentation" / CALIBRATION_DOC).is_file():
        return
    # the modular checker does not ask for it; the legacy one and the rules do
    f.error(
        "tree.missing-file",
        base / CALIBRATION_DOC,
        f"{base.name}/ has no calibration.md (nor documentation/calibration.md), which the "
        "legacy checker requires in the closed and network divisions",
        "write calibration.md: how the weights were quantized and calibrated (with the "
        "benchmark's calibration set), or that no quantization was used",
    )
