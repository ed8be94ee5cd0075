"""What the results repository and the legacy checker refuse anywhere in the tree.

Mirrors tools/submission/repository_checks.sh (symbolic links, hidden names, spaces in names,
files over 50 MB, anywhere under the package root: it runs ``find`` on the whole tree, which
never follows a link) and the folder checks of submission_checker_old.py (empty folders, files_diff's
exact file lists with its tolerated files, stray files at the root and in a division folder,
calibration.md in the closed division), which the modular checker does not make.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from mlperf_tui.rules.checker import CALIBRATION_DOC, ROOT_FILE_SUFFIXES, TOLERATED_FILES
from mlperf_tui.rules.model import Round
from mlperf_tui.validate.context import _STRICT_DIVISIONS, _files, layout_of
from mlperf_tui.validate.findings import _Findings


def _check_repository(f: _Findings, root: Path, divisions: list[Path]) -> None:
    """What the results repository refuses (repository_checks.sh) and the legacy checker's
    folder checks: links, hidden names, spaces, __pycache__, empty folders, stray files."""
    try:
        entries = sorted(root.iterdir())
    except OSError:
        entries = []
    for entry in entries:
        name = entry.name
        _bad_entry(f, entry, name, folder=entry.is_dir())
        # a hidden or linked file is a stray file to the legacy checker, too
        if entry.is_file() and not name.endswith(ROOT_FILE_SUFFIXES):
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
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        if not path.exists():
            where = " (which does not exist)"
        elif not Path(os.path.realpath(path)).is_relative_to(f.root):
            where = " (outside the package)"
        else:
            where = ""
        f.error(
            "tree.symlink",
            path,
            f"{name} is a symbolic link to {target}{where}; the results repository refuses "
            "links, and mlperf-tui does not read through them",
            "replace the link with a copy of what it points to",
        )
        return True
    if name.startswith("."):
        f.error(
            "tree.hidden-name",
            path,
            f"the {what} {name} has a hidden name (starting with a dot), which the results "
            "repository refuses",
            "remove it or rename it without the leading dot",
        )
        return True
    if " " in name:
        f.error(
            "tree.space-in-name",
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
    """Files over the limit, hidden folders included, links never followed (as ``find -type f
    -size +50M`` and the legacy checker's ``os.path.getsize(f) > 50 MB``)."""
    limit = round_rules.max_file_bytes
    for top, _dirnames, filenames in os.walk(root):
        for name in sorted(filenames):
            path = Path(top) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                f.error(
                    "tree.file-too-large",
                    path,
                    f"{name} is {info.st_size / 2**20:.1f} MB ({info.st_size} bytes); the results "
                    f"repository and the legacy checker refuse files over {limit // 2**20} MB",
                    "remove it or make it smaller (an accuracy log is truncated by "
                    "`mlperf-tui package`; a model or data set does not belong in the package)",
                )


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
