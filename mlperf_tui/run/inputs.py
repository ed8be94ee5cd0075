"""The profile's model and data set, generated or checked, before the first run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import benchmarks
from mlperf_tui.run.events import OnEvent, RunnerEvent, ignore

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile


@dataclass(frozen=True)
class ResolvedAssets:
    model_path: Path
    dataset_path: Path
    dataset_count: int | None  # samples to use (None = all in the folder)
    dataset_size: int  # samples the run will see
    cache_dir: Path
    synthetic: bool


def resolve_assets(
    profile: Profile,
    *,
    profile_path: Path | None = None,
    cache_dir: Path | None = None,
    on_event: OnEvent = ignore,
) -> ResolvedAssets:
    """The profile's model and data set, generated or checked, with progress events."""
    from mlperf_tui import assets
    from mlperf_tui.profile import resolve_profile_path

    entry = benchmarks.require(profile.benchmark, harness=profile.harness)
    a = profile.require_assets()

    def progress(label: str, done: int, total: int | None) -> None:
        on_event(RunnerEvent("assets", data={"label": label, "done": done, "total": total}))

    def source(kind: str, path: str | None, url: str | None) -> str:
        if kind == "synthetic":
            return assets.SYNTHETIC
        if kind == "url":
            return str(url)
        return str(resolve_profile_path(str(path), profile_path))

    model = assets.resolve_model(
        source(a.model.source, a.model.path, a.model.url),
        entry,
        a.model.kind,
        cache_dir,
        progress,
        sha256=a.model.sha256,
        seed=a.seed,
    )
    data = assets.resolve_dataset(
        source(a.dataset.source, a.dataset.path, a.dataset.url),
        entry,
        cache_dir,
        progress,
        sha256=a.dataset.sha256,
        count=a.dataset.count,
        seed=a.seed,
    )
    in_folder = entry.dataset.count(data)
    count = a.dataset.count if a.dataset.source != "synthetic" else None
    size = min(count, in_folder) if count else in_folder
    return ResolvedAssets(
        model_path=model,
        dataset_path=data,
        dataset_count=count,
        dataset_size=size,
        cache_dir=assets.cache_root(cache_dir) / "preprocessed",
        synthetic=a.model.source == "synthetic" or a.dataset.source == "synthetic",
    )
