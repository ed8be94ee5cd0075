"""The results folder a package is built from: a finished replay, with what the package needs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import PackageError
from mlperf_tui.profile.checks import MAX_NAME_CHARS
from mlperf_tui.results import ResultsSet, RunResult, load_results

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile


@dataclass
class Results:
    """A finished results folder with what the package needs of it."""

    results: ResultsSet
    profile: Profile
    profile_text: str
    detected: dict[str, str]

    @property
    def folder(self) -> Path:
        return self.results.folder

    @property
    def execution(self) -> str:
        return self.results.execution or self.profile.execution.value

    @property
    def synthetic(self) -> bool:
        a = self.profile.assets
        return self.results.synthetic or (
            a is not None and "synthetic" in (a.model.source, a.dataset.source)
        )

    @property
    def runs(self) -> list[RunResult]:
        return self.results.runs

    def find(self, scenario: str, mode: str, test: str | None = None) -> RunResult | None:
        return self.results.find(scenario, mode, test)


def results_folder(results: Any) -> Path:
    if isinstance(results, str | os.PathLike):
        return Path(results)
    for name in ("folder", "path", "root"):
        value = getattr(results, name, None)
        if isinstance(value, str | os.PathLike):
            return Path(value)
    raise PackageError(
        f"cannot tell where the results of {type(results).__name__} are",
        "pass the results folder (the one holding summary.json)",
    )


def load_finished(folder: Path) -> Results:
    results = load_results(folder)
    if not results.complete:
        raise PackageError(
            f"the runs in {results.folder} did not all finish (cancelled or failed)",
            "run the profile again to completion; a package is never built from a partial set",
        )
    _refuse_links(results)
    profile = results.profile()
    return Results(
        results=results,
        profile=profile,
        profile_text=results.profile_path.read_text(encoding="utf-8"),
        detected=results.detected(),
    )


def _refuse_links(results: ResultsSet) -> None:
    """Nothing the package copies comes from outside the results folder: every run's folder lies
    in it, and no symbolic link is followed (LoadGen and the runner never write one)."""
    root = Path(os.path.realpath(results.folder))
    fix = (
        "replace the link with a copy of the file it points to, or run the profile again; the "
        "package copies only files that are in the results folder"
    )
    for path in (results.profile_path, results.system_path):
        if path.is_symlink():
            raise PackageError(f"{path} is a symbolic link (to {os.readlink(path)})", fix)
    for run in results.runs:
        if not run.folder.exists():
            continue  # a run the package needs is reported missing where it is needed
        if not Path(os.path.realpath(run.folder)).is_relative_to(root):
            raise PackageError(
                f"the folder of run {run.run_id} ({run.folder}) is outside the results folder "
                f"{results.folder}",
                "the results folder was edited by hand, or its runs/ holds a link: run the "
                "profile again into a new results folder",
            )
        for top, dirnames, filenames in os.walk(run.folder):
            for name in sorted(dirnames + filenames):
                if os.path.islink(os.path.join(top, name)):
                    raise PackageError(
                        f"{Path(top) / name} is a symbolic link "
                        f"(to {os.readlink(os.path.join(top, name))})",
                        fix,
                    )


def folder_name(text: str) -> str:
    """A name the checker (and every file system) accepts as a folder: [A-Za-z0-9_.+-], at
    most :data:`~mlperf_tui.profile.checks.MAX_NAME_CHARS` characters."""
    name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", text.strip()).strip("_.")
    return name[:MAX_NAME_CHARS].rstrip("_.") or "system"


def _default_system_name(detected: Mapping[str, str]) -> str:
    """A system name from detected facts, for a profile that gives none: CPU (+ accelerators)."""
    cpu = detected.get("host_processor_model_name", "").strip()
    sockets = detected.get("host_processors_per_node", "").strip()
    name = f"{sockets}x {cpu}" if cpu and sockets not in ("", "1") else cpu
    count = detected.get("accelerators_per_node", "").strip()
    accel = detected.get("accelerator_model_name", "").strip()
    if count not in ("", "0") and accel and accel != "N/A":
        name = f"{name} + {count}x {accel}" if name else f"{count}x {accel}"
    return name or "system"


def system_name(results: Results) -> str:
    return (
        results.profile.system_name
        or results.detected.get("system_name")
        or _default_system_name(results.detected)
    )
