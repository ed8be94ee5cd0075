"""The results folder: what a replay of a profile leaves, written by the runner, read by all.

One model of the folder (:class:`ResultsSet`, :class:`RunResult`) and its one codec
(:func:`load_results`, :func:`write_summary`): the runner writes it; the packager, the
checklist and the TUI read it through here::

    RESULTS/ = <profile output or ./results>/<YYYYMMDD-HHMMSS>[-N]/
        profile.yaml system.json plan.json replay.sh summary.json
        runs/<run_id>/ RUN.json user.conf [audit.config] events.jsonl harness.stderr.log
                       harness.exit.json result.json mlperf_log_{summary,detail,accuracy}.*
                       [accuracy.txt verify_accuracy.txt verify_performance.txt accuracy/]
                       [power runs: spl.txt ranging/ power/ power-session/ power-client.log]

A power run (the profile's ``power:`` block; :mod:`mlperf_tui.run.power_run`) keeps the testing
run's LoadGen logs where any run keeps them, with the analyser's samples (``spl.txt``), the
ranging run in ``ranging/`` and the session's descriptions and logs in ``power/``.

``replay.sh`` is the bash script of the exact commands behind the runs
(:mod:`mlperf_tui.run.script`); ``harness.exit.json`` the child's exit code and duration, from
which ``mlperf-tui record`` writes ``result.json`` again.

Imported logs (``mlperf-tui import``, :mod:`mlperf_tui.importer`) give the same folder: each run
holds ``IMPORT.json`` (where every file came from, its sha256) instead of ``RUN.json`` and the
child's ``events.jsonl``, and ``summary.json`` has an ``origin``.

``summary.json`` is written last (atomically), with ``complete`` true only when every planned
run finished; a folder without it is not a results folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import EnvironmentProblem, MlperfTuiError, PackageError, write_failed

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

__all__ = [
    "CHOOSE_OUTPUT",
    "HARNESS_EXIT",
    "IMPORT_RECORD",
    "PLAN",
    "PROFILE",
    "REPLAY",
    "RESULT",
    "RUNS",
    "RUN_CONFIG",
    "STATUS_CANCELLED",
    "STATUS_FAILED",
    "STATUS_OK",
    "STATUS_SKIPPED",
    "SUMMARY",
    "SYSTEM",
    "ResultsSet",
    "RunResult",
    "json_text",
    "load_results",
    "new_results_folder",
    "parse_run_id",
    "results_write_failed",
    "run_id_for",
    "run_record",
    "write_json",
    "write_summary",
]

PROFILE = "profile.yaml"
SYSTEM = "system.json"
PLAN = "plan.json"
SUMMARY = "summary.json"
#: the bash script of the exact commands behind the runs (mlperf_tui.run.script)
REPLAY = "replay.sh"
RUNS = "runs"
#: in each run's folder
RUN_CONFIG = "RUN.json"
#: in an imported run's folder instead: where each file came from (mlperf_tui.importer)
IMPORT_RECORD = "IMPORT.json"
RESULT = "result.json"
EVENTS = "events.jsonl"
HARNESS_STDERR = "harness.stderr.log"
#: the child's exit code and duration: {"exit_code": 0, "duration_s": 12.3}
HARNESS_EXIT = "harness.exit.json"

#: how the user picks another results folder (the end of every results write error's fix)
CHOOSE_OUTPUT = "point the profile's output: at another folder"

#: run statuses: the harness's three, plus runs that never started
STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_CANCELLED = "cancelled"
STATUS_SKIPPED = "skipped"

#: accuracy metrics that are percentages (top-1 "acc"; the speech benchmark's "ACCURACY")
_PERCENT_METRICS = ("acc", "ACCURACY")


def run_id_for(scenario: str, mode: str, compliance_test: str | None = None) -> str:
    """``Offline-performance``, ``SingleStream-accuracy``, ``Offline-TEST01``."""
    return f"{scenario}-{compliance_test or mode}"


def parse_run_id(run_id: str) -> tuple[str, str, str | None]:
    """(scenario, mode, compliance test) of a run id."""
    scenario, _, rest = run_id.partition("-")
    if rest.startswith("TEST"):
        return scenario, "performance", rest
    return scenario, rest or "performance", None


@dataclass
class RunResult:
    """What one run gave: status, LoadGen's verdict and metric, accuracy, compliance."""

    run_id: str
    benchmark: str
    scenario: str
    mode: str
    compliance_test: str | None
    status: str  # ok | failed | cancelled | skipped
    folder: Path
    valid: bool | None = None
    metric_name: str | None = None
    metric_value: float | None = None
    metric_unit: str | None = None
    early_stopping_met: bool | None = None
    accuracy: float | None = None
    accuracy_metric: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    exit_code: int | None = None
    duration_s: float | None = None
    estimate_s: float | None = None
    p90_ms: float | None = None
    compliance: dict[str, Any] | None = None
    #: LLM runs: LoadGen's 99th percentiles of the time to the first token and per output
    #: token (milliseconds; None where LoadGen measured none, as in Offline)
    ttft_p99_ms: float | None = None
    tpot_p99_ms: float | None = None
    #: power runs: the figure as the checker computes it (validate.power.PowerResult: value,
    #: unit "W" or "mJ/query", average_watts, duration_s, samples, queries); None otherwise
    power: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    def accuracy_text(self) -> str:
        """The accuracy for people: a percentage only where the metric is one ("acc"); DICE,
        ROUGE, F1 and the others as the accuracy script writes them. "-" when there is none."""
        if self.accuracy is None:
            return "-"
        metric = self.accuracy_metric or "acc"
        if metric in _PERCENT_METRICS:
            return f"{self.accuracy:.3f}% {metric}"
        return f"{self.accuracy:.5g} {metric}"

    def power_text(self) -> str:
        """The power figure for people ("101.2 W", "35.4 mJ/query"), "" when none."""
        power = self.power or {}
        value = power.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            return ""
        return f"{value:,.4g} {power.get('unit', '')}".strip()

    def token_latency_text(self, sep: str = ", ") -> str:
        """The token latencies of an LLM run that measured them ("TTFT p99 120 ms, TPOT p99
        9.8 ms", joined by ``sep``), else ""."""
        parts = [
            f"{name} p99 {value:.3g} ms"
            for name, value in (("TTFT", self.ttft_p99_ms), ("TPOT", self.tpot_p99_ms))
            if value is not None
        ]
        return sep.join(parts)

    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        data = asdict(self)
        folder = self.folder
        if base is not None:
            with contextlib.suppress(ValueError):
                folder = folder.relative_to(base)
        data["folder"] = str(folder)
        return data

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], base: Path | None = None, source: str = SUMMARY
    ) -> RunResult:
        """The run of one entry of ``source`` (summary.json); PackageError naming the entry
        and the field when a field the loader and the package rely on is missing or of the
        wrong type (a hand-edited file)."""
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        name = data.get("run_id")
        label = f"run {json.dumps(name)}" if isinstance(name, str) else "a run"
        for key in _RUN_TEXT_FIELDS:
            if key not in values:
                raise _edited(source, f"{label} has no {key}")
            if not isinstance(values[key], str) or not values[key]:
                raise _edited(source, f"{label}'s {key} is {_shown(values[key])}, not a name")
        values.setdefault("compliance_test", None)
        for key in ("compliance_test", "folder"):
            value = values.get(key)
            if value is not None and not isinstance(value, str):
                raise _edited(source, f"{label}'s {key} is {_shown(value)}, not text")
        folder = Path(str(values.get("folder") or ""))
        if base is not None and not folder.is_absolute():
            folder = base / folder
        values["folder"] = folder
        return cls(**values)


@dataclass
class ResultsSet:
    """One results folder: the runs of one profile replay."""

    folder: Path
    runs: list[RunResult]
    complete: bool
    execution: str
    synthetic: bool
    benchmark: str = ""
    division: str = ""
    category: str = ""
    round: str = ""
    plan: list[dict[str, Any]] = field(default_factory=list)
    #: where the runs came from when another harness ran them (``kind: "import"``: the source
    #: folder, the import's time and command, ...); None for a built-in replay
    origin: dict[str, Any] | None = None

    @property
    def profile_path(self) -> Path:
        return self.folder / PROFILE

    @property
    def system_path(self) -> Path:
        return self.folder / SYSTEM

    def run(self, run_id: str) -> RunResult | None:
        return next((r for r in self.runs if r.run_id == run_id), None)

    def find(self, scenario: str, mode: str, test: str | None = None) -> RunResult | None:
        return self.run(run_id_for(scenario, mode, test))

    def profile(self) -> Profile:
        """The profile the runs replayed (profile.yaml of the folder)."""
        from mlperf_tui.profile import load_profile

        return load_profile(self.profile_path)

    def detected(self) -> dict[str, str]:
        """The systems-JSON values detection found when the runs started (system.json)."""
        raw = _read_json(self.system_path, SYSTEM)
        if not isinstance(raw, dict):
            # a package would get a systems description without any detected value
            raise _edited(self.system_path, f"it holds {_kind(raw)}, not the detected facts")
        found: dict[str, str] = {}
        for name, entry in raw.items():
            value = entry.get("value") if isinstance(entry, dict) else entry
            if value is not None and not str(name).startswith("_"):
                found[str(name)] = str(value)
        return found

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "complete": self.complete,
            "execution": self.execution,
            "synthetic": self.synthetic,
            "benchmark": self.benchmark,
            "division": self.division,
            "category": self.category,
            "round": self.round,
            "runs": [r.to_dict(self.folder) for r in self.runs],
        }
        if self.origin is not None:  # a built-in replay's summary.json stays as it was
            data["origin"] = self.origin
        return data


def json_text(data: Any) -> str:
    """The text of a results-folder JSON file (what :func:`write_json` writes)."""
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one; a
    failed write (OSError: a full disk, a read-only folder) leaves the old file and no
    temporary."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json_text(data), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_summary(results: ResultsSet) -> None:
    """summary.json of the folder (the last file a replay writes)."""
    write_json(results.folder / SUMMARY, results.to_dict())


#: what to do about a results folder whose files were damaged or edited by hand
_RERUN = (
    "restore the file from a copy, or run the profile again into a new results folder "
    "(mlperf-tui run RESULTS/profile.yaml)"
)
#: the fields of a run's entry the loader and the package rely on: non-empty text
_RUN_TEXT_FIELDS = ("run_id", "benchmark", "scenario", "mode", "status")


def _shown(value: Any) -> str:
    """A JSON value for a one-line message, cut to 60 characters."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 60 else f"{text[:57]}..."


def _edited(source: Path | str, what: str) -> PackageError:
    return PackageError(f"{source}: {what}; the results folder was edited by hand", _RERUN)


def _read_json(path: Path, what: str) -> Any:
    """The JSON document of a results-folder file; PackageError naming the file and the fault
    (missing, not UTF-8, not JSON, cut short, nested too deeply)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(
            f"{path} is missing: this is not a complete results folder ({what})", _RERUN
        ) from None
    except UnicodeDecodeError as exc:
        raise PackageError(
            f"{path} cannot be read: byte {exc.start + 1} is not UTF-8 (the file is damaged)",
            _RERUN,
        ) from None
    except OSError as exc:
        raise PackageError(f"{path} cannot be read ({exc.strerror or exc})", _RERUN) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "it ends too early" if exc.pos >= len(text.rstrip()) else exc.msg
        raise PackageError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {where}); the "
            "file is cut short or was edited",
            _RERUN,
        ) from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits; nesting
        why = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise PackageError(f"{path} cannot be read as JSON ({why})", _RERUN) from None


def load_results(folder: Path | str) -> ResultsSet:
    """The results folder at ``folder``, typed; PackageError saying what is missing."""
    base = Path(folder).expanduser().resolve()
    if not base.is_dir():
        raise PackageError(
            f"results folder {base} does not exist",
            "pass the folder `mlperf-tui run` wrote, e.g. results/20250101-120000",
        )
    if not (base / SUMMARY).is_file():
        raise PackageError(
            f"{base} is not a results folder (no {SUMMARY})",
            "give the folder `mlperf-tui run` printed (results/<YYYYMMDD-HHMMSS>)",
        )
    summary = base / SUMMARY
    data = _read_json(summary, SUMMARY)
    if not isinstance(data, dict):
        raise _edited(summary, f"it holds {_kind(data)}, not the JSON object the runner writes")
    if not isinstance(data.get("complete", False), bool):
        raise _edited(summary, f"complete is {_shown(data['complete'])}, not true or false")
    entries = data.get("runs", [])
    if not isinstance(entries, list):
        raise _edited(summary, f"runs is {_kind(entries)}, not a list of runs")
    plan_file = base / PLAN
    plan = _read_json(plan_file, PLAN) if plan_file.is_file() else []
    runs: list[RunResult] = []
    for item in entries:
        if not isinstance(item, dict):
            raise _edited(summary, f"one of its runs is {_kind(item)}, not an object")
        run_id = item.get("run_id")
        if isinstance(run_id, str) and not _plain_name(run_id):
            # runs/<run_id> must stay in runs/, and a package copies runs/<run_id>.json
            raise PackageError(
                f"{summary} names a run {json.dumps(run_id)}, which is not a folder name",
                "the results folder was edited by hand: run the profile again into a new one",
            )
        result = RunResult.from_dict(item, base, str(summary))
        # the runs/ folder beside summary.json wins over a recorded path: a moved results
        # folder still reads
        local = base / RUNS / result.run_id
        if local.is_dir():
            result.folder = local
        runs.append(result)
    return ResultsSet(
        folder=base,
        runs=runs,
        complete=bool(data.get("complete")),
        execution=str(data.get("execution", "")),
        synthetic=bool(data.get("synthetic")),
        benchmark=str(data.get("benchmark", "")),
        division=str(data.get("division", "")),
        category=str(data.get("category", "")),
        round=str(data.get("round", "")),
        plan=plan if isinstance(plan, list) else [],
        origin=data["origin"] if isinstance(data.get("origin"), dict) else None,
    )


def run_record(folder: Path) -> dict[str, Any]:
    """The run's own record, ``<folder>/result.json`` (what summary.json copies); PackageError
    when it is missing, unreadable or not an object."""
    path = folder / RESULT
    data = _read_json(path, f"the record of run {folder.name}")
    if not isinstance(data, dict):
        raise _edited(path, f"it holds {_kind(data)}, not the run's record")
    return data


def _kind(value: Any) -> str:
    """What a JSON value is, in words (for a message about a file that holds the wrong one)."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"the value {_shown(value)}"


def _plain_name(name: str) -> bool:
    """A single folder name: no separator, no NUL, not "." or "..", not hidden."""
    return bool(name) and not name.startswith(".") and not any(c in name for c in "/\\\0")


def results_write_failed(exc: OSError, folder: Path) -> MlperfTuiError:
    """The user error for a failed write in a results folder: DiskFull (exit 5) or
    NotWritable (exit 3), whose fix says how to choose another folder."""
    return write_failed(exc, "writing the results folder", folder, CHOOSE_OUTPUT)


def new_results_folder(root: Path, now: datetime | None = None) -> Path:
    """A new ``root/<YYYYMMDD-HHMMSS>[-N]`` folder; never an existing one. A root that cannot
    be written is a user error (:func:`results_write_failed`)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for n in range(1, 10_000):
            candidate = root / (stamp if n == 1 else f"{stamp}-{n}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            return candidate
    except OSError as exc:
        raise results_write_failed(exc, root) from None
    raise EnvironmentProblem(f"cannot create a results folder in {root}", "clean up old results")
