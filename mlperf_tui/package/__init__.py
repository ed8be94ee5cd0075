"""Build the submission package: the tree the official MLPerf submission checker reads.

``build_package(results, out)`` turns a results folder (written by the runner: profile.yaml,
system.json, summary.json, runs/<run_id>/) into the layout of the profile's round (the checker's
``*_PATH`` tables, :class:`mlperf_tui.rules.model.Layout`). From v6.0 on (the "default" paths)::

    <division>/<submitter>/systems/<system>.json          all 35 fields
    <division>/<submitter>/calibration.md                 closed and network: the model's data
                                                          types, and that nothing was quantized
    <division>/<submitter>/src/                           the harness source, README.md, the
                                                          profile, each run's RUN.json and
                                                          mlperf_tui_build.json (how it was built)
    <division>/<submitter>/model_mapping.json             open, when the model is not the reference
    <division>/<submitter>/results/<system>/<model>/<Scenario>/
        performance/run_1/mlperf_log_{summary,detail}.txt
        accuracy/mlperf_log_{summary,detail}.txt, mlperf_log_accuracy.json (truncated as the
                 official truncate_accuracy_log.py does), accuracy.txt (+ hash= of the full log)
        measurements.json, user.conf, README.md
        TEST01/ TEST04/ ...                               closed: the compliance runs

Rounds v4.0-v5.1 keep the code in ``code/<model>/``, the measurements (``<system>_<Scenario>.json``,
user.conf, README.md) in ``measurements/<system>/<model>/<Scenario>/`` and the TEST0x folders in
``compliance/<system>/<model>/<Scenario>/``.

Scenarios the profile infers from SingleStream (edge, ``infer_from_singlestream``) hold the
SingleStream run's logs, as the checker expects (it reads ``effective_scenario`` from the log and
allows SingleStream -> MultiStream / Offline on edge systems).

The build is atomic: the tree is assembled in a hidden sibling folder and renamed into place, so
a failed build leaves nothing behind; an existing non-empty ``out`` is refused unless ``force``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.datasets import pid_alive
from mlperf_tui.errors import MlperfTuiError, PackageError, write_failed
from mlperf_tui.package.accuracy_log import hash_line, truncate_accuracy_log
from mlperf_tui.package.describe import BUILD_MANIFEST, NOT_SUBMITTABLE_MARK
from mlperf_tui.package.source import load_finished, results_folder
from mlperf_tui.package.tree import PackageInfo, Progress, assemble

__all__ = [
    "BUILD_MANIFEST",
    "NOT_SUBMITTABLE_MARK",
    "PackageInfo",
    "build_package",
    "hash_line",
    "package_info",
    "tarball_path",
    "truncate_accuracy_log",
]


def tarball_path(out: Path) -> Path:
    """Where ``build_package(..., tar=True)`` writes the archive: beside the package folder."""
    return out.parent / f"{out.name}.tar.gz"


#: how the user picks another place for the package (the fix of a write that failed)
_CHOOSE_OUT = "choose another --out folder"


def _leftovers(out: Path) -> Iterator[tuple[Path, str]]:
    """What a build of ``out`` killed midway (SIGKILL, power loss) left beside it, and its kind
    ("building", "old"): only the leftovers of processes that no longer run."""
    with contextlib.suppress(OSError):
        for path in out.parent.iterdir():
            for kind in ("building", "old"):
                head = f".{out.name}.{kind}-"
                if not path.name.startswith(head):
                    continue
                # .NAME.building-PID-XXXX, .NAME.old-.NAME.building-PID-XXXX
                rest = path.name[len(head) :].removeprefix(f".{out.name}.building-")
                pid = rest.split("-", 1)[0]
                if pid.isdigit() and not pid_alive(int(pid)):
                    yield path, kind
        archive = tarball_path(out)
        for path in out.parent.glob(f".{archive.name}..{out.name}.building-*.tmp"):
            pid = path.name.split(".building-", 1)[1].split("-", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                yield path, "archive"


def _clear_leftovers(out: Path) -> None:
    """Remove what a killed build of ``out`` left; a package it had moved aside to replace
    (``--force``) comes back when no package took its place."""
    for path, kind in list(_leftovers(out)):
        if kind == "old" and not out.exists():
            with contextlib.suppress(OSError):
                os.replace(path, out)
                continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


@contextlib.contextmanager
def _staging(out: Path, suffix: str = "") -> Iterator[Path]:
    """A hidden sibling of ``out`` to build in (named with this process's id, so that the next
    build removes it if this one is killed); removed unless the caller moved it away."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(
            tempfile.mkdtemp(
                prefix=f".{out.name}.building-{os.getpid()}-", suffix=suffix, dir=out.parent
            )
        )
    except OSError as exc:
        raise write_failed(exc, "writing the package", out.parent, _CHOOSE_OUT) from exc
    try:
        yield stage
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _check_out(out: Path, force: bool, tar: bool = False) -> None:
    if out.exists() and not out.is_dir():
        raise PackageError(f"{out} exists and is not a folder", "choose another --out folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise PackageError(
            f"{out} is not empty; not writing a package into it",
            "choose an empty or new --out folder, or pass --force to replace its contents",
        )
    archive = tarball_path(out)
    if tar and archive.exists() and not force:
        raise PackageError(
            f"{archive} exists; not replacing it",
            "move it away, choose another --out folder, or pass --force to replace it",
        )


def _refuse_taken(out: Path, force: bool, archive: Path | None = None) -> None:
    """PackageError when ``out`` (or ``archive``) appeared while this build ran: another
    mlperf-tui given the same --out wrote it, and it is not replaced without --force."""
    if force:
        return
    taken = out.exists() and (not out.is_dir() or any(out.iterdir()))
    if archive is not None and archive.exists():
        out = archive
        taken = True
    if taken:
        raise PackageError(
            f"{out} was written by another build while this one ran; it is left as it is",
            "choose another --out folder, or pass --force to replace it",
        )


def build_package(
    results: Any,
    out: Path,
    *,
    force: bool = False,
    tar: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Build the submission package from ``results`` (a ResultsSet or its folder) into ``out``.

    Returns ``out``. With ``tar``, also writes :func:`tarball_path` ``(out)``. Raises
    PackageError (nothing written) when the results are incomplete or ``out`` is not empty.
    """
    out = Path(out)
    say: Progress = progress or (lambda _msg: None)
    # first: a package a killed --force build had moved aside is back before out is checked
    _clear_leftovers(out)
    _check_out(out, force, tar)
    loaded = load_finished(results_folder(results))
    with _staging(out) as stage:
        try:
            assemble(loaded, stage, say)
        except MlperfTuiError:
            raise
        except OSError as exc:
            raise write_failed(exc, "writing the package", out.parent, _CHOOSE_OUT) from exc
        if tar:
            say("archive")
            archive = tarball_path(out)
            _refuse_taken(out, force, archive)
            tmp_archive = stage.parent / f".{archive.name}.{stage.name}.tmp"
            try:
                with tarfile.open(tmp_archive, "w:gz") as tf:
                    for child in sorted(stage.iterdir()):
                        tf.add(child, arcname=child.name)
                os.replace(tmp_archive, archive)
            except OSError as exc:
                raise write_failed(exc, "writing the archive", archive.parent, _CHOOSE_OUT) from exc
            finally:
                tmp_archive.unlink(missing_ok=True)
        say("moving into place")
        old: Path | None = None
        _refuse_taken(out, force)
        try:
            if out.exists():
                old = out.parent / f".{out.name}.old-{stage.name}"
                os.replace(out, old)
            try:
                os.replace(stage, out)
            except OSError:
                if old is not None:
                    os.replace(old, out)
                raise
        except OSError as exc:
            raise write_failed(
                exc, "moving the package into place", out.parent, _CHOOSE_OUT
            ) from exc
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out


def package_info(package_dir: Path) -> PackageInfo | None:
    """The build manifest of a package mlperf-tui built, or None (none, or unreadable)."""
    root = Path(package_dir)
    found = [*root.glob(f"*/*/src/{BUILD_MANIFEST}"), *root.glob(f"*/*/code/*/{BUILD_MANIFEST}")]
    real_root = os.path.realpath(root)
    for manifest in sorted(found):
        if os.path.realpath(manifest) != os.path.join(real_root, manifest.relative_to(root)):
            continue  # reached through a symbolic link: never read (the validator reports it)
        try:
            data: Mapping[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        return PackageInfo(
            root=root,
            division=str(data.get("division", "")),
            submitter=str(data.get("submitter", "")),
            system=str(data.get("system", "")),
            benchmark_folder=str(data.get("benchmark_folder", "")),
            scenarios=[str(s) for s in data.get("scenarios") or []],
            inferred={str(k): str(v) for k, v in (data.get("inferred") or {}).items()},
            execution=str(data.get("execution", "")),
            synthetic=bool(data.get("synthetic", False)),
            reasons=[str(r) for r in data.get("not_submittable") or []],
            code_dir=manifest.parent.relative_to(root).as_posix(),
        )
    return None
