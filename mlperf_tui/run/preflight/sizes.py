"""What the profile's assets, runs and package take on disk, and where it goes."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import benchmarks
from mlperf_tui.rules.compliance import TEST01_SAMPLING_TARGET, test01_folder
from mlperf_tui.rules.model import Mode
from mlperf_tui.run.plan import PlannedRun

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

from mlperf_tui.run.preflight.model import (
    ACCURACY_ENTRY_OVERHEAD,
    EVENTS_BYTES_PER_S,
    EXTRACT_FACTOR,
    PACKAGE_ACCURACY_LOG_BYTES,
    PACKAGE_EXTRA_BYTES,
    RUN_FILES_BYTES,
    DiskUse,
    _bytes,
    _on_disk,
)


@dataclass(frozen=True)
class _Asset:
    """The profile's model or data set: where it is or goes, and what it still takes."""

    uses: tuple[DiskUse, ...]
    #: the file or folder when it exists (or will, at a known place)
    path: Path | None
    #: bytes of the model file (memory); None when unknown
    size: int | None = None


def _download(
    what: str,
    url: str,
    sha256: str | None,
    cache: Path,
    head: Callable[[str], tuple[int | None, str]],
    archive: bool,
) -> _Asset:
    from mlperf_tui.assets import download_path

    folder = cache / "downloads"
    if not sha256:
        # the download is refused without one; the profile check says so
        return _Asset((DiskUse(f"download: {what}", folder, None, "no sha256 given"),), None)
    target = download_path(url, sha256, cache)
    if archive and (target.parent / "extracted").is_dir():
        return _Asset((DiskUse(f"download: {what}", folder, 0, "cached"),), target)
    if target.is_file():
        size = target.stat().st_size
        uses = [DiskUse(f"download: {what}", folder, 0, "cached")]
        if archive:
            uses.append(DiskUse(f"unpacking {what}", folder, int(size * EXTRACT_FACTOR)))
        return _Asset(tuple(uses), target, size)
    length, why = head(url)
    if length is None:
        note = f"unknown size ({why})" if why else "unknown size"
        return _Asset((DiskUse(f"download: {what}", folder, None, note),), target)
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    uses = [
        DiskUse(
            f"download: {what}",
            folder,
            max(0, length - have),
            f"{_bytes(have)} of it downloaded" if have else "",
        )
    ]
    if archive:
        uses.append(
            DiskUse(f"unpacking {what}", folder, int(length * EXTRACT_FACTOR), "about its size")
        )
    return _Asset(tuple(uses), target, length)


def _model_asset(
    profile: Profile,
    entry: benchmarks.BenchmarkEntry,
    cache: Path,
    profile_path: Path | None,
    head: Callable[[str], tuple[int | None, str]],
) -> _Asset:
    from mlperf_tui.assets import synthetic_model_path
    from mlperf_tui.profile import resolve_profile_path

    a = profile.require_assets()
    kind = entry.model(a.model.kind)
    if a.model.source == "synthetic":
        target = synthetic_model_path(entry, kind.name, a.seed, cache)
        what = f"stand-in model {kind.name}"
        if target.is_file():
            have = target.stat().st_size
            return _Asset((DiskUse(what, target.parent, 0, "cached"),), target, have)
        note = "" if kind.standin_bytes is not None else "unknown size"
        return _Asset(
            (DiskUse(what, target.parent, kind.standin_bytes, note),), target, kind.standin_bytes
        )
    if a.model.source == "url":
        return _download("model", str(a.model.url), a.model.sha256, cache, head, archive=False)
    path = resolve_profile_path(str(a.model.path), profile_path)
    size = path.stat().st_size if path.is_file() else None
    return _Asset((), path, size)


def _dataset_asset(
    profile: Profile,
    entry: benchmarks.BenchmarkEntry,
    cache: Path,
    profile_path: Path | None,
    head: Callable[[str], tuple[int | None, str]],
) -> _Asset:
    from mlperf_tui.assets import synthetic_dataset_path
    from mlperf_tui.profile import resolve_profile_path

    a = profile.require_assets()
    ds = entry.dataset
    if a.dataset.source == "synthetic":
        count = int(a.dataset.count or 1)
        target = synthetic_dataset_path(entry, count, a.seed, cache)
        what = f"stand-in data set, {count:,} samples"
        if (target / ds.marker).is_file():
            return _Asset((DiskUse(what, target.parent, 0, "cached"),), target)
        each = ds.generated_sample_bytes
        size = None if each is None else _on_disk(count, each)
        note = f"{count:,} x {_bytes(each)}" if each is not None else "unknown size"
        per = 0 if each is None else _on_disk(1, each)
        return _Asset((DiskUse(what, target.parent, size, note, per),), target)
    if a.dataset.source == "url":
        asset = _download("data set", str(a.dataset.url), a.dataset.sha256, cache, head, True)
        folder = None
        if asset.path is not None and (asset.path.parent / "extracted").is_dir():
            folder = ds.locate(asset.path.parent / "extracted")
        return _Asset(asset.uses, folder)
    return _Asset((), resolve_profile_path(str(a.dataset.path), profile_path))


def _dataset_size(
    profile: Profile, entry: benchmarks.BenchmarkEntry, folder: Path | None, rules_size: int
) -> int:
    """The samples the runs will see (as :func:`~mlperf_tui.run.inputs.resolve_assets` says
    once the data set is there)."""
    count = profile.require_assets().dataset.count
    if profile.require_assets().dataset.source == "synthetic":
        return int(count or 1)
    in_folder = 0
    if folder is not None and folder.is_dir():
        try:
            in_folder = entry.dataset.count(folder)
        except OSError:
            in_folder = 0
    if in_folder:
        return min(count, in_folder) if count else in_folder
    return count or rules_size


def _preprocessed(
    entry: benchmarks.BenchmarkEntry,
    model: benchmarks.ModelKind,
    folder: Path | None,
    cache: Path,
    size: int,
) -> tuple[DiskUse, int]:
    """The preprocessed samples still to be written, and how many samples that is."""
    ds = entry.dataset
    prep = cache / "preprocessed"
    done = 0
    if folder is not None and folder.is_dir() and ds.preprocessed_in_cache is not None:
        try:
            done = min(size, ds.preprocessed_in_cache(folder, prep, model.task_options))
        except OSError:
            done = 0
    todo = size - done
    if not todo:
        note = "cached"
    else:
        note = f"{todo:,} x {_bytes(ds.sample_bytes)}" + (
            f"; {done:,} in the cache" if done else ""
        )
    use = DiskUse(
        f"preprocessed samples, {size:,}",
        prep,
        _on_disk(todo, ds.sample_bytes),
        note,
        _on_disk(1, ds.sample_bytes),
    )
    return use, todo


def _harness_source_bytes() -> int:
    spec = importlib.util.find_spec("harness")
    if spec is None or spec.origin is None:
        return 0
    total = 0
    for root, dirs, files in os.walk(Path(spec.origin).parent):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and not name.endswith((".pyc", ".pyo")):
                with contextlib.suppress(OSError):
                    total += _on_disk(1, os.stat(os.path.join(root, name)).st_size)
    return total


def _results_uses(
    plan: Sequence[PlannedRun],
    loadgen_model: str,
    response_bytes: int | None,
    results: Path,
    package: Path,
) -> list[DiskUse]:
    """LoadGen's logs per run, the accuracy logs, the compliance runs, the package."""
    entry = None if response_bytes is None else 2 * response_bytes + ACCURACY_ENTRY_OVERHEAD
    runs = [r for r in plan if r.compliance_test is None]
    audits = [r for r in plan if r.compliance_test is not None]
    accuracy_runs = [r for r in runs if r.mode == Mode.ACCURACY]

    def own(run: PlannedRun) -> int:
        return RUN_FILES_BYTES + int(run.estimate_s * EVENTS_BYTES_PER_S)

    def logged(run: PlannedRun) -> int:
        """Entries of the run's mlperf_log_accuracy.json."""
        if run.compliance_test == "TEST01":  # a sample of the responses, in performance mode
            target = TEST01_SAMPLING_TARGET.get(test01_folder(loadgen_model), 0)
            return min(target, run.expected_samples)
        return run.expected_samples if run.mode == Mode.ACCURACY else 0

    unknown = "unknown response size"
    uses = [DiskUse(f"LoadGen logs, {len(runs)} runs", results, sum(own(r) for r in runs))]
    if accuracy_runs:
        n = sum(logged(r) for r in accuracy_runs)
        uses.append(
            DiskUse(
                f"accuracy logs, {n:,} responses",
                results,
                None if entry is None else n * entry,
                "" if entry is not None else unknown,
            )
        )
    if audits:
        n = sum(logged(r) for r in audits)
        audit_bytes = sum(own(r) for r in audits)
        uses.append(
            DiskUse(
                f"compliance runs, {len(audits)}",
                results,
                None if entry is None and n else audit_bytes + n * (entry or 0),
                unknown if entry is None and n else "",
            )
        )
    package_bytes = (
        _harness_source_bytes()
        + PACKAGE_EXTRA_BYTES
        + len(plan) * RUN_FILES_BYTES
        + len(accuracy_runs) * PACKAGE_ACCURACY_LOG_BYTES
    )
    uses.append(DiskUse("package", package, package_bytes, "harness source + logs"))
    return uses
