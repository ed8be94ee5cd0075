"""The results folder a package is built from: a finished replay, with what the package needs."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import PackageError, ProfileError
from mlperf_tui.profile.checks import MAX_NAME_CHARS
from mlperf_tui.results import (
    EVENTS,
    RESULT,
    RUNS,
    STATUS_OK,
    SUMMARY,
    ResultsSet,
    RunResult,
    load_results,
    run_record,
)

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
            f"the runs in {results.folder} did not all finish: {_unfinished(results)}",
            "run the profile again to completion; a package is never built from a partial set",
        )
    finished = [run for run in results.runs if run.ok]
    for run in finished:  # before the links: a missing run folder is named as such
        if not (results.folder / RUNS / run.run_id).is_dir():
            raise PackageError(
                f"{results.folder / RUNS / run.run_id} is missing, but {SUMMARY} lists run "
                f"{run.run_id} as finished",
                _EDITED_FIX,
            )
    _refuse_links(results)
    for run in finished:
        _check_record(results, run)
    try:
        profile = results.profile()
    except ProfileError as exc:
        raise PackageError(
            f"the profile the runs replayed cannot be loaded: {exc.message}",
            f"restore {results.profile_path} as the run left it, or run the profile again into "
            "a new results folder",
        ) from None
    return Results(
        results=results,
        profile=profile,
        profile_text=results.profile_path.read_text(encoding="utf-8"),
        detected=results.detected(),
    )


def _unfinished(results: ResultsSet) -> str:
    """Which runs of the plan did not finish, and how (for the refusal of a partial set)."""
    recorded = {r.run_id: r for r in results.runs}
    parts = [f"{r.run_id} {r.status}" for r in results.runs if not r.ok]
    planned = [str(p.get("run_id")) for p in results.plan if isinstance(p, dict)]
    # in the plan, not in the summary: the runner was stopped (killed) before it finished
    never = [run_id for run_id in planned if run_id not in recorded]
    if never:
        parts.append(f"{', '.join(never)} never finished (the runner was stopped)")
    return "; ".join(parts) or "the run was cancelled"


#: the fix of a results folder whose records disagree
_EDITED_FIX = (
    "the results folder was edited by hand or damaged: run the profile again into a new "
    "results folder"
)


def _check_record(results: ResultsSet, run: RunResult) -> None:
    """A run summary.json calls finished is one its own records agree on: its result.json
    says the same, and the harness's last ``result`` event (when events.jsonl still holds
    one) says ok. A status edited by hand is refused here."""
    folder = results.folder / RUNS / run.run_id
    record = run_record(folder)
    if record.get("run_id") != run.run_id or record.get("status") != run.status:
        raise PackageError(
            f"{folder / RESULT} says run {_shown(record.get('run_id'))} is "
            f"{_shown(record.get('status'))}, but {SUMMARY} says {run.run_id} is {run.status}",
            _EDITED_FIX,
        )
    said = harness_status(folder)
    if said is not None and said != STATUS_OK:
        raise PackageError(
            f"{folder / EVENTS}: the harness reported run {run.run_id} {said}, but {SUMMARY} "
            f"and {RESULT} say {run.status}",
            _EDITED_FIX,
        )


def _shown(value: Any) -> str:
    """A field of result.json for a message: quoted text, else what it is instead."""
    if isinstance(value, str):
        return json.dumps(value[:60])
    return "missing" if value is None else "not text"


#: events.jsonl is read from its end: the ``result`` event is the last a run writes
_EVENTS_TAIL_BYTES = 1 << 20


def harness_status(folder: Path) -> str | None:
    """The status of the last ``result`` event in the run's events.jsonl (the harness's own
    word), or None where there is none to read: an imported run, a file cut short (a runner
    killed mid-line), or none at all."""
    from harness.events import parse_event

    try:
        with (folder / EVENTS).open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - _EVENTS_TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return None
    for line in reversed(tail.splitlines()):
        try:
            event = parse_event(line)
        except RecursionError:
            continue
        if event.get("event") == "result":
            status = event.get("status")
            return status if isinstance(status, str) else None
    return None


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
