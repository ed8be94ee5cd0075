"""Parameter sweeps: every combination of a few profile values, each one a normal run.

A sweep comes from the profile's ``sweep:`` block (profile key -> values to try) and from
``mlperf-tui sweep PROFILE --set backend.batch_size=1,8,32`` (which replaces or adds keys).
Each combination is a *point*: the base profile with those values, written as a plain profile
that replays on its own, and run like any profile into its own results folder::

    <results root>/sweeps/<profile name>/
        sweep.json                     the parameters, the points, each point's last results
        <point key>/profile.yaml       the point's profile (output: . = this folder)
        <point key>/<YYYYMMDD-HHMMSS>/  its results folders (a normal results folder each)

A point's key is the hash of its profile (without ``output``), so the same settings are the same
point whatever the sweep that asks for them: a point that already has a finished results folder
is reused, not run again (unless asked), and a cancelled sweep resumes with the points it had
not finished. :func:`plan_sweep` builds the points; :func:`run_sweep` runs them through a
callable the front end gives (it shows the run's progress), saving ``sweep.json`` after each.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mlperf_tui.errors import ExitCode, MlperfTuiError
from mlperf_tui.profile.errors import ProfileFieldError
from mlperf_tui.results import PROFILE, SUMMARY, results_write_failed

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.results import ResultsSet

__all__ = [
    "POINT_STATUSES",
    "SWEEPS_DIRNAME",
    "SWEEP_FILE",
    "SweepError",
    "SweepPoint",
    "SweepState",
    "load_sweep",
    "parse_set",
    "plan_sweep",
    "point_label",
    "run_sweep",
]

SWEEP_FILE = "sweep.json"
SWEEPS_DIRNAME = "sweeps"
SCHEMA_VERSION = 1

#: pending: not run yet; done: run by this invocation; reused: finished before; failed and
#: cancelled: run, not finished (run again on the next invocation)
POINT_STATUSES = ("pending", "done", "reused", "failed", "cancelled")

#: profile keys that hold a path relative to the profile's folder (made absolute in a point's
#: profile, which lives in another folder)
_PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("assets", "model", "path"),
    ("assets", "dataset", "path"),
    ("import_from",),
)
#: keys whose value is a list: a sweep value that is a single item means a list of one
_LIST_KEYS = ("scenarios", "modes")
#: keys a sweep cannot change (they say where the sweep itself goes, or what it is)
_FIXED_KEYS = ("output", "sweep", "schema_version")


class SweepError(MlperfTuiError):
    """A sweep that cannot be planned or resumed as asked."""

    exit_code = ExitCode.BAD_INPUT


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def point_label(settings: Mapping[str, Any]) -> str:
    """``batch=8 threads=1``: a point's values, with the short names the comparison uses."""
    from mlperf_tui.compare import short_key

    return " ".join(f"{short_key(k)}={_shown(v)}" for k, v in settings.items())


# -- the points ----------------------------------------------------------------------------


def parse_set(items: Sequence[str]) -> dict[str, list[Any]]:
    """``--set KEY=V1,V2`` options as sweep parameters; values are YAML scalars (``8`` is a
    number, ``true`` a flag, ``Offline`` a name)."""
    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise SweepError(
                f"--set {item!r} is not KEY=VALUE[,VALUE...]",
                "write it as --set backend.batch_size=1,8,32",
            )
        values = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                raise SweepError(
                    f"--set {item!r} has an empty value",
                    "separate the values by single commas: --set backend.batch_size=1,8,32",
                )
            try:
                values.append(yaml.safe_load(part))
            except yaml.YAMLError:
                values.append(part)
        if key in out:
            raise SweepError(f"--set {key} is given twice", f"give every value in one --set {key}=")
        out[key] = values
    return out


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    if parts[0] in _FIXED_KEYS:
        raise SweepError(
            f"a sweep cannot change {parts[0]}",
            "sweep settings of the run (backend.*, targets.*, scenarios, assets.*)",
        )
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part) if isinstance(node, dict) else None
        if child is None or child == "auto":
            child = {} if child is None else {"auto": True}
            node[part] = child
        if not isinstance(child, dict):
            done = ".".join(parts[: i + 1])
            raise SweepError(
                f"sweep key {key}: {done} is a value, not a block of keys",
                f"sweep {done} itself, or a key of a block",
            )
        node = child
    if parts[-1] in _LIST_KEYS and len(parts) == 1 and not isinstance(value, list):
        value = [value]
    node[parts[-1]] = copy.deepcopy(value)


def _absolute_paths(data: dict[str, Any], base: Path) -> None:
    for path in _PATH_KEYS:
        node: Any = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(path[-1]), str):
            value = Path(node[path[-1]]).expanduser()
            if not value.is_absolute():
                node[path[-1]] = str((base / value).resolve())


@dataclass
class SweepPoint:
    """One combination: its values, its profile, its folder and how it stands."""

    key: str
    settings: dict[str, Any]
    folder: Path
    status: str = "pending"
    #: the results folder of its last run (finished or not)
    results: Path | None = None
    #: the point's metric per scenario after its last finished run: {scenario: [value, unit]}
    metrics: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def profile_path(self) -> Path:
        return self.folder / PROFILE

    @property
    def label(self) -> str:
        return point_label(self.settings)

    def latest_results(self) -> Path | None:
        """The newest results folder of the point whose every run finished."""
        if not self.folder.is_dir():
            return None
        for child in sorted(self.folder.iterdir(), key=lambda p: p.name, reverse=True):
            if _complete(child):
                return child
        return None

    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        results: str | None = None
        if self.results is not None:
            results = str(self.results)
            if base is not None and self.results.is_relative_to(base):
                results = self.results.relative_to(base).as_posix()  # the folder can move
        return {
            "key": self.key,
            "settings": self.settings,
            "status": self.status,
            "results": results,
            "metrics": self.metrics,
        }


def _complete(folder: Path) -> bool:
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and summary.get("complete") is True


@dataclass
class SweepState:
    """A sweep: its base profile, its parameters and its points (``sweep.json``)."""

    folder: Path
    name: str
    profile: Path
    parameters: dict[str, list[Any]]
    points: list[SweepPoint]

    @property
    def state_path(self) -> Path:
        return self.folder / SWEEP_FILE

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "profile": str(self.profile),
            "parameters": self.parameters,
            "updated": _now(),
            "points": [p.to_dict(self.folder) for p in self.points],
        }

    def save(self) -> None:
        """sweep.json, atomically (a reader sees the old one or the new one)."""
        from mlperf_tui.results import write_json

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json(self.state_path, self.to_dict())
        except OSError as exc:
            raise results_write_failed(exc, self.folder) from None

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for p in self.points if p.status == s) for s in POINT_STATUSES}


def load_sweep(folder: Path) -> SweepState:
    """The sweep of a folder (its ``sweep.json``); SweepError when it is missing or edited."""
    path = folder / SWEEP_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(
            f"{folder} is not a sweep folder (no {SWEEP_FILE})",
            "name the folder that mlperf-tui sweep printed",
        ) from None
    except (OSError, ValueError) as exc:
        raise SweepError(
            f"{path} cannot be read ({exc})",
            "run the sweep again (mlperf-tui sweep PROFILE): it rewrites the file from its "
            "points' folders",
        ) from None
    try:
        points = [
            SweepPoint(
                key=str(p["key"]),
                settings=dict(p["settings"]),
                folder=folder / str(p["key"]),
                status=str(p.get("status", "pending")),
                results=folder / str(p["results"]) if p.get("results") else None,
                metrics=dict(p.get("metrics") or {}),
            )
            for p in data["points"]
        ]
        return SweepState(
            folder=folder,
            name=str(data["name"]),
            profile=Path(data["profile"]),
            parameters={str(k): list(v) for k, v in data["parameters"].items()},
            points=points,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise SweepError(
            f"{path} was edited: {exc} is missing or of the wrong kind",
            "run the sweep again (mlperf-tui sweep PROFILE): it rewrites the file",
        ) from None


def _point_profile(
    base: dict[str, Any], settings: Mapping[str, Any], profile_path: Path
) -> tuple[Profile, str]:
    """The point's profile and its text (``output: .``), validated like any profile."""
    from mlperf_tui.profile import dump_profile, parse_profile

    data = copy.deepcopy(base)
    data.pop("sweep", None)
    for key, value in settings.items():
        _set_dotted(data, key, value)
    _absolute_paths(data, profile_path.resolve().parent)
    data.pop("output", None)
    label = f"{profile_path}, sweep point {point_label(settings)}"
    try:
        profile = parse_profile(yaml.safe_dump(data, sort_keys=False), "<point>")
    except ProfileFieldError as exc:
        # the line is one of the generated point's, not of the user's file: name the point
        text = exc.message.split(": ", 1)[1] if exc.message.startswith("<point>") else exc.message
        raise SweepError(f"{label}: {text}", exc.fix) from None
    return profile, dump_profile(profile)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _sweep_name(profile_path: Path) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", profile_path.stem).strip("-.")
    return name or "sweep"


def plan_sweep(
    profile_path: Path,
    *,
    overrides: Mapping[str, list[Any]] | None = None,
    results_root: Path | None = None,
    name: str | None = None,
) -> SweepState:
    """The points of the profile's sweep (its ``sweep:`` block, then ``overrides``), each
    checked as a profile, and how each stands; writes nothing."""
    from mlperf_tui.profile import load_profile, profile_to_dict
    from mlperf_tui.run.execute import results_root_for

    base_profile = load_profile(profile_path)
    parameters: dict[str, list[Any]] = {k: list(v) for k, v in base_profile.sweep.items()}
    parameters.update({k: list(v) for k, v in (overrides or {}).items()})
    if not parameters:
        raise SweepError(
            f"{profile_path} has no sweep: block and no --set was given",
            "add --set backend.batch_size=1,8,32 (or a sweep: block to the profile)",
        )
    for key in parameters:
        if key.split(".")[0] in _FIXED_KEYS:
            raise SweepError(
                f"a sweep cannot change {key}",
                "sweep settings of the run (backend.*, targets.*, scenarios, assets.*)",
            )
    combos = list(itertools.product(*parameters.values()))
    if len(combos) > 1000:
        raise SweepError(
            f"the sweep has {len(combos):,} points",
            "try fewer values per key: each point is a full run",
        )
    root = results_root_for(base_profile, results_root, profile_path) / SWEEPS_DIRNAME
    sweep_name = name or _sweep_name(profile_path)
    folder = root / sweep_name
    absolute = profile_path.resolve()
    if (folder / SWEEP_FILE).is_file():
        previous = load_sweep(folder)
        if previous.profile != absolute:
            raise SweepError(
                f"{folder} is the sweep of another profile ({previous.profile})",
                "give this sweep another name: --name NAME",
            )
    base = profile_to_dict(base_profile)
    points = []
    keys: set[str] = set()
    for combo in combos:
        settings = dict(zip(parameters, combo, strict=True))
        _, text = _point_profile(base, settings, profile_path)
        key = _key(text)
        if key in keys:
            continue  # two combinations that make the same profile (a value equal to a default)
        keys.add(key)
        point = SweepPoint(key, settings, folder / key)
        point.results = point.latest_results()
        points.append(point)
    return SweepState(folder, sweep_name, absolute, parameters, points)


def point_profile_text(state: SweepState, point: SweepPoint) -> str:
    """The point's profile as written into its folder: replays on its own into that folder."""
    from mlperf_tui.profile import load_profile, profile_to_dict

    base = profile_to_dict(load_profile(state.profile))
    profile, _ = _point_profile(base, point.settings, state.profile)
    from mlperf_tui.profile import dump_profile

    return dump_profile(profile.model_copy(update={"output": "."}))


def write_point(state: SweepState, point: SweepPoint) -> Path:
    """The point's folder and profile.yaml (kept when it is already there, as it is equal)."""
    text = point_profile_text(state, point)
    try:
        point.folder.mkdir(parents=True, exist_ok=True)
        if not point.profile_path.is_file() or point.profile_path.read_text("utf-8") != text:
            tmp = point.profile_path.with_name(f".{PROFILE}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(point.profile_path)
    except OSError as exc:
        raise results_write_failed(exc, point.folder) from None
    return point.profile_path


def _metrics(results: ResultsSet) -> dict[str, list[Any]]:
    return {
        r.scenario: [r.metric_value, r.metric_unit]
        for r in results.runs
        if r.mode == "performance" and r.compliance_test is None and r.metric_value is not None
    }


def read_metrics(folder: Path) -> dict[str, list[Any]]:
    """The metrics per scenario of a finished results folder ({} when it cannot be read)."""
    from mlperf_tui.results import load_results

    try:
        return _metrics(load_results(folder))
    except MlperfTuiError:
        return {}


def best_point(state: SweepState, scenario: str) -> SweepPoint | None:
    """The finished point with the best metric of a scenario (throughput up, latency down)."""
    scored = [
        p
        for p in state.points
        if p.status in ("done", "reused")
        and isinstance(p.metrics.get(scenario, [None])[0], int | float)
    ]
    if not scored:
        return None
    latency = scored[0].metrics[scenario][1] == "ns"
    return (min if latency else max)(scored, key=lambda p: float(p.metrics[scenario][0]))


#: runs one point's profile into its folder; returns the results set (None: nothing ran)
RunPoint = Callable[[SweepPoint, Path], "ResultsSet | None"]
#: told before and after each point: (the state, the point, "start" | "end")
OnPoint = Callable[[SweepState, SweepPoint, str], None]


def run_sweep(
    state: SweepState,
    run_point: RunPoint,
    *,
    rerun: bool = False,
    on_point: OnPoint | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> SweepState:
    """Run the points that have no finished results folder (all of them with ``rerun``),
    one after another, saving ``sweep.json`` before the first and after each; stops after a
    cancelled point (the next invocation resumes there)."""
    for point in state.points:
        found = None if rerun else point.latest_results()
        if found is not None:
            point.status, point.results = "reused", found
            point.metrics = read_metrics(found)
        else:
            point.status = "pending"
    state.save()
    for point in state.points:
        if point.status == "reused":
            continue
        if cancelled():
            break
        profile_file = write_point(state, point)
        if on_point is not None:
            on_point(state, point, "start")
        results = run_point(point, profile_file)
        if results is not None:
            point.results = results.folder
            point.metrics = _metrics(results)
            if results.complete:
                point.status = "done"
            else:
                point.status = "cancelled" if cancelled() else "failed"
        state.save()
        if on_point is not None:
            on_point(state, point, "end")
        if point.status == "cancelled" or cancelled():
            break
    return state
