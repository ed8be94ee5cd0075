"""The run history: every run, built-in or imported, in a local SQLite database.

Each results folder a replay or an import writes is recorded, one row per run (skipped runs
too, with their status): the profile and its settings, the machine, the versions of the
software that ran it, LoadGen's metric and verdict, the accuracy and where the files are::

    record_results(results, profile_path=Path("my.yaml"))      # the runner does this
    for entry in entries(benchmark="resnet50", limit=10):     # newest first
        print(entry.id, entry.run_id, entry.metric_value, entry.missing)

The database is ``$MLPERF_TUI_DATA/history.sqlite``, else ``history.sqlite`` in the user data
folder (platformdirs). The history only points at results folders, it never owns them: a run
folder deleted by hand leaves its entry, shown as :attr:`HistoryEntry.missing`.

The file's ``PRAGMA user_version`` is the schema version (:data:`SCHEMA_VERSION`). A file that
is not such a database (damaged, cut short, another program's, a newer mlperf-tui's) is a
:class:`HistoryError` naming the file with the fix; the file is never deleted or overwritten
here. Each record is one transaction that waits for another writer (two runs at once on one
machine) up to :data:`BUSY_TIMEOUT_S`. A run never fails because its history could not be
written: the runner calls :func:`try_record`, which turns any such failure into a note.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shlex
import socket
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import ExitCode, MlperfTuiError, write_failed
from mlperf_tui.results import _PERCENT_METRICS, PROFILE, RUNS, STATUS_SKIPPED, run_id_for

if TYPE_CHECKING:
    from mlperf_tui.results import ResultsSet, RunResult

__all__ = [
    "BUSY_TIMEOUT_S",
    "DATABASE_NAME",
    "DATA_ENV",
    "SCHEMA_VERSION",
    "HistoryEntry",
    "HistoryError",
    "count",
    "data_root",
    "database_path",
    "entries",
    "for_folder",
    "get",
    "record_results",
    "try_record",
]

#: environment variable that overrides the user data folder (the history's folder)
DATA_ENV = "MLPERF_TUI_DATA"
DATABASE_NAME = "history.sqlite"
#: ``PRAGMA user_version`` of the database this code writes
SCHEMA_VERSION = 1
#: how long a record or a read waits for another mlperf-tui that is writing the history
BUSY_TIMEOUT_S = 15.0

#: system.json fields kept as the machine of a run (what detection found)
_MACHINE_FIELDS = (
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "accelerator_model_name",
    "accelerators_per_node",
    "host_memory_capacity",
    "operating_system",
)
#: the versions of a run's software: (key, the distributions that provide it)
_PACKAGES = (
    ("mlperf-tui", ("mlperf-tui",)),
    ("onnxruntime", ("onnxruntime", "onnxruntime-gpu")),
    ("mlcommons-loadgen", ("mlcommons-loadgen",)),
    ("numpy", ("numpy",)),
)

#: the tables of SCHEMA_VERSION (one statement each: executescript would commit the record's
#: transaction half way)
_SCHEMA = (
    """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    results_folder TEXT NOT NULL,
    run_id TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    scenario TEXT NOT NULL,
    mode TEXT NOT NULL,
    compliance_test TEXT,
    status TEXT NOT NULL,
    valid INTEGER,
    metric_name TEXT,
    metric_value REAL,
    metric_unit TEXT,
    accuracy REAL,
    accuracy_metric TEXT,
    execution TEXT NOT NULL,
    harness TEXT NOT NULL,
    division TEXT NOT NULL,
    category TEXT NOT NULL,
    round TEXT NOT NULL,
    profile_path TEXT,
    profile_text TEXT NOT NULL,
    settings TEXT NOT NULL,
    machine TEXT NOT NULL,
    versions TEXT NOT NULL,
    duration_s REAL,
    sweep TEXT,
    UNIQUE (results_folder, run_id)
)""",
    "CREATE INDEX runs_by_benchmark ON runs (benchmark, scenario)",
)
#: the columns a record writes, in the order of HistoryEntry's fields after id
_COLUMNS = (
    "recorded_at",
    "results_folder",
    "run_id",
    "benchmark",
    "scenario",
    "mode",
    "compliance_test",
    "status",
    "valid",
    "metric_name",
    "metric_value",
    "metric_unit",
    "accuracy",
    "accuracy_metric",
    "execution",
    "harness",
    "division",
    "category",
    "round",
    "profile_path",
    "profile_text",
    "settings",
    "machine",
    "versions",
    "duration_s",
    "sweep",
)
_JSON_COLUMNS = frozenset({"settings", "machine", "versions"})


class HistoryError(MlperfTuiError):
    """The run history cannot be read or written: a damaged or foreign database file, a newer
    schema, a folder that cannot be written, an unknown entry."""

    title = "Run history"

    def __init__(
        self, message: str, fix: str = "", exit_code: ExitCode = ExitCode.BAD_INPUT
    ) -> None:
        super().__init__(message, fix)
        self.exit_code = exit_code


# -- where the database lives --------------------------------------------------------------


def data_root() -> Path:
    """The user data folder: ``$MLPERF_TUI_DATA``, else platformdirs' user data folder."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("mlperf-tui"))


def database_path(db: Path | None = None) -> Path:
    """The history database: ``db``, else ``data_root()/history.sqlite`` (absolute)."""
    path = Path(db).expanduser() if db is not None else data_root() / DATABASE_NAME
    return path.absolute()


# -- the entries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded run."""

    id: int
    #: when it was recorded (ISO 8601, UTC, seconds)
    recorded_at: str
    #: the results folder the run belongs to (absolute)
    results_folder: Path
    #: the run's folder name in runs/ ("Offline-performance")
    run_id: str
    benchmark: str
    scenario: str
    #: performance | accuracy
    mode: str
    compliance_test: str | None
    #: ok | failed | cancelled | skipped
    status: str
    #: LoadGen's verdict (None: an accuracy run, or none was written)
    valid: bool | None
    metric_name: str | None
    metric_value: float | None
    metric_unit: str | None
    accuracy: float | None
    accuracy_metric: str | None
    #: test | valid
    execution: str
    #: builtin | endpoint | import
    harness: str
    division: str
    category: str
    round: str
    #: the profile file the user ran, when known
    profile_path: str | None
    #: profile.yaml of the results folder as it was recorded
    profile_text: str
    #: the profile as a plain dict
    settings: dict[str, Any] = field(default_factory=dict)
    #: the machine (system.json's detected facts and the host name at record time)
    machine: dict[str, str] = field(default_factory=dict)
    #: mlperf-tui, onnxruntime, mlcommons-loadgen, numpy, python (what was installed)
    versions: dict[str, str] = field(default_factory=dict)
    duration_s: float | None = None
    #: the sweep folder a point run belongs to, else None
    sweep: str | None = None

    @property
    def run_folder(self) -> Path:
        return self.results_folder / RUNS / self.run_id

    @property
    def missing(self) -> bool:
        """The run's files are gone (deleted or moved by hand). A skipped run never had a run
        folder: it is missing when its results folder is."""
        if self.status == STATUS_SKIPPED:
            return not self.results_folder.is_dir()
        return not self.run_folder.is_dir()

    def metric_text(self) -> str:
        """LoadGen's metric for people: samples/s, or a latency in ms; "-" when none."""
        if self.metric_value is None:
            return "-"
        if self.metric_unit == "ns":
            return f"{self.metric_value / 1e6:,.3f} ms"
        return f"{self.metric_value:,.1f} {self.metric_unit or ''}".strip()

    def accuracy_text(self) -> str:
        """The accuracy as the results table shows it ("75.100% acc", "0.86170 DICE"), "-"
        when there is none."""
        if self.accuracy is None:
            return "-"
        metric = self.accuracy_metric or "acc"
        if metric in _PERCENT_METRICS:
            return f"{self.accuracy:.3f}% {metric}"
        return f"{self.accuracy:.5g} {metric}"

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready values (paths as text, ``run_folder`` and ``missing``)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in ("id", *_COLUMNS)}
        data["results_folder"] = str(self.results_folder)
        data["run_folder"] = str(self.run_folder)
        data["missing"] = self.missing
        return data


# -- opening the database ------------------------------------------------------------------


def _fix_by_moving(path: Path) -> str:
    q = shlex.quote(str(path))
    return (
        f"move it aside (mv {q} {shlex.quote(str(path) + '.corrupt')}); the next run starts "
        "a new history"
    )


def _choose_data() -> str:
    return f"set {DATA_ENV} to another folder"


def _sqlite_error(exc: sqlite3.Error, path: Path) -> HistoryError:
    """The user error for what SQLite reported about the history file ``path``."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return HistoryError(
            f"the run history {path} is busy: another mlperf-tui kept it locked for over "
            f"{BUSY_TIMEOUT_S:.0f} s",
            "try again once the other mlperf-tui command has finished",
            ExitCode.ENVIRONMENT,
        )
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return HistoryError(
            f"the run history {path} cannot be written: no space left on its disk",
            f"free space on that disk, or {_choose_data()} on a disk with room",
            ExitCode.ENVIRONMENT,
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return HistoryError(
            f"the run history {path} cannot be opened or written ({text})",
            f"check that {path} is a file you can read and write, or {_choose_data()}",
        )
    if name.startswith("SQLITE_IOERR"):
        return HistoryError(
            f"the run history {path} cannot be read or written (disk I/O error: {text})",
            f"check the disk, or {_choose_data()}",
            ExitCode.ENVIRONMENT,
        )
    return HistoryError(
        f"the run history {path} is damaged or is not an mlperf-tui history database ({text})",
        _fix_by_moving(path),
    )


def _check_schema(conn: sqlite3.Connection, path: Path, *, create: bool) -> bool:
    """Whether the file holds this schema's tables; creates them in an empty database when
    ``create`` (inside the caller's write transaction). HistoryError for a newer schema or a
    file that is someone else's or lost its tables."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the run history {path} was written by a newer mlperf-tui (schema version "
            f"{version}; this one knows up to {SCHEMA_VERSION})",
            "upgrade mlperf-tui (pip install -U mlperf-tui), or "
            f"{_choose_data()} to keep a separate history",
        )
    if version == SCHEMA_VERSION:
        if "runs" not in tables:
            raise HistoryError(
                f"the run history {path} is damaged: its runs table is missing",
                _fix_by_moving(path),
            )
        return True
    if version == 0 and not tables:  # a new (or empty) database file
        if create:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return True
        return False
    raise HistoryError(
        f"the run history {path} is not an mlperf-tui history database (schema version "
        f"{version}, tables: {', '.join(sorted(tables)) or 'none'})",
        _fix_by_moving(path),
    )


@contextlib.contextmanager
def _database(db: Path | None, *, write: bool) -> Iterator[sqlite3.Connection | None]:
    """A connection to the history (None: reading a history that does not exist yet). Writing
    creates the folder, the file and the schema, in one transaction that is committed when the
    block succeeds. Every SQLite failure is a HistoryError."""
    path = database_path(db)
    if path.is_dir():
        raise HistoryError(
            f"the run history {path} cannot be opened: it is a folder, not a database file",
            f"move that folder aside, or {_choose_data()}",
        )
    if not write and not path.exists():
        yield None
        return
    if write:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            err = write_failed(exc, "writing the run history", path.parent, _choose_data())
            raise HistoryError(err.message, err.fix, err.exit_code) from None
    conn: sqlite3.Connection | None = None
    try:
        if write:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
        else:  # a read never creates or changes the file
            uri = f"{path.as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, timeout=BUSY_TIMEOUT_S, uri=True, isolation_level=None)
        ready = _check_schema(conn, path, create=write)
        yield conn if ready else None
        if write:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise _sqlite_error(exc, path) from None
    finally:
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            conn.close()


# -- recording -----------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_profile(results: ResultsSet) -> tuple[str, dict[str, Any]]:
    """profile.yaml of the folder and its values ("" and {} when it cannot be read)."""
    import yaml

    try:
        text = (results.folder / PROFILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "", {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text, {}
    return text, data if isinstance(data, dict) else {}


def _machine(results: ResultsSet) -> dict[str, str]:
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        found["host_name"] = socket.gethostname()
    try:
        detected = results.detected()
    except MlperfTuiError:  # no system.json, or a damaged one: the host name is all we know
        detected = {}
    found.update({k: detected[k] for k in _MACHINE_FIELDS if detected.get(k)})
    return found


def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for key, distributions in _PACKAGES:
        for name in distributions:
            try:
                found[key] = importlib.metadata.version(name)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    found["python"] = platform.python_version()
    return found


def _harness(results: ResultsSet, settings: Mapping[str, Any]) -> str:
    if (results.origin or {}).get("kind") == "import":
        return "import"
    return str(settings.get("harness") or "builtin")


def _row(
    run: RunResult,
    results: ResultsSet,
    common: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        **common,
        "run_id": run.run_id or run_id_for(run.scenario, run.mode, run.compliance_test),
        "benchmark": run.benchmark or results.benchmark,
        "scenario": run.scenario,
        "mode": run.mode,
        "compliance_test": run.compliance_test,
        "status": run.status,
        "valid": None if run.valid is None else int(bool(run.valid)),
        "metric_name": run.metric_name,
        "metric_value": run.metric_value,
        "metric_unit": run.metric_unit,
        "accuracy": run.accuracy,
        "accuracy_metric": run.accuracy_metric,
        "duration_s": run.duration_s,
    }


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def record_results(
    results: ResultsSet,
    *,
    profile_path: Path | None = None,
    sweep: str | None = None,
    db: Path | None = None,
) -> list[int]:
    """Record every run of ``results`` (skipped ones too); returns their ids, in the set's
    order. Recording a run of the same results folder again replaces its row and keeps its
    id. One transaction: all the set's runs, or none. HistoryError when the database cannot be
    written."""
    text, settings = _read_profile(results)
    folder = Path(results.folder).expanduser().resolve()
    common: dict[str, Any] = {
        "recorded_at": _now(),
        "results_folder": str(folder),
        "execution": results.execution or str(settings.get("execution") or ""),
        "harness": _harness(results, settings),
        "division": results.division or str(settings.get("division") or ""),
        "category": results.category or str(settings.get("category") or ""),
        "round": results.round or str(settings.get("round") or ""),
        "profile_path": None if profile_path is None else str(Path(profile_path).resolve()),
        "profile_text": text,
        "settings": _json(settings),
        "machine": _json(_machine(results)),
        "versions": _json(_versions()),
        "sweep": sweep,
    }
    ids: list[int] = []
    with _database(db, write=True) as conn:
        assert conn is not None  # a write creates the schema
        for run in results.runs:
            row = _row(run, results, common)
            found = conn.execute(
                "SELECT id FROM runs WHERE results_folder = ? AND run_id = ?",
                (row["results_folder"], row["run_id"]),
            ).fetchone()
            values = [row[c] for c in _COLUMNS]
            if found is None:
                marks = ", ".join("?" for _ in _COLUMNS)
                cur = conn.execute(
                    f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({marks})", values
                )
                ids.append(int(cur.lastrowid or 0))
            else:
                sets = ", ".join(f"{c} = ?" for c in _COLUMNS)
                conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*values, found[0]])
                ids.append(int(found[0]))
    return ids


def try_record(
    results: ResultsSet,
    *,
    profile_path: Path | None = None,
    sweep: str | None = None,
    db: Path | None = None,
) -> str | None:
    """:func:`record_results` for a runner, which must never fail because of the history:
    None when recorded, else the note to show the user ("history: not recorded: ...")."""
    try:
        record_results(results, profile_path=profile_path, sweep=sweep, db=db)
    except MlperfTuiError as exc:
        fix = f" (fix: {exc.fix})" if exc.fix else ""
        return f"history: not recorded: {exc.message}{fix}"
    except (OSError, sqlite3.Error) as exc:  # not expected: _database wraps them
        return f"history: not recorded: {exc} (fix: {_choose_data()})"
    return None


# -- reading -------------------------------------------------------------------------------


def _loads(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _entry(row: sqlite3.Row) -> HistoryEntry:
    machine = _loads(row["machine"])
    versions = _loads(row["versions"])
    valid = row["valid"]
    return HistoryEntry(
        id=int(row["id"]),
        recorded_at=str(row["recorded_at"]),
        results_folder=Path(str(row["results_folder"])),
        run_id=str(row["run_id"]),
        benchmark=str(row["benchmark"]),
        scenario=str(row["scenario"]),
        mode=str(row["mode"]),
        compliance_test=_text(row["compliance_test"]),
        status=str(row["status"]),
        valid=None if valid is None else bool(valid),
        metric_name=_text(row["metric_name"]),
        metric_value=_number(row["metric_value"]),
        metric_unit=_text(row["metric_unit"]),
        accuracy=_number(row["accuracy"]),
        accuracy_metric=_text(row["accuracy_metric"]),
        execution=str(row["execution"]),
        harness=str(row["harness"]),
        division=str(row["division"]),
        category=str(row["category"]),
        round=str(row["round"]),
        profile_path=_text(row["profile_path"]),
        profile_text=str(row["profile_text"] or ""),
        settings=_loads(row["settings"]),
        machine={str(k): str(v) for k, v in machine.items()},
        versions={str(k): str(v) for k, v in versions.items()},
        duration_s=_number(row["duration_s"]),
        sweep=_text(row["sweep"]),
    )


def _select(
    db: Path | None, where: str = "", params: tuple[Any, ...] = (), tail: str = ""
) -> list[HistoryEntry]:
    with _database(db, write=False) as conn:
        if conn is None:
            return []
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            f"SELECT id, {', '.join(_COLUMNS)} FROM runs {where} {tail}", params
        ).fetchall()
        return [_entry(r) for r in rows]


def _filters(benchmark: str | None, scenario: str | None) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if benchmark is not None:
        clauses.append("benchmark = ?")
        params.append(benchmark)
    if scenario is not None:
        clauses.append("scenario = ?")
        params.append(scenario)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def entries(
    *,
    benchmark: str | None = None,
    scenario: str | None = None,
    limit: int | None = None,
    db: Path | None = None,
) -> list[HistoryEntry]:
    """The recorded runs, newest first (of one benchmark, one scenario; at most ``limit``)."""
    where, params = _filters(benchmark, scenario)
    tail = "ORDER BY recorded_at DESC, id DESC"
    if limit is not None:
        tail += " LIMIT ?"
        params = (*params, max(0, int(limit)))
    return _select(db, where, params, tail)


def count(
    *, benchmark: str | None = None, scenario: str | None = None, db: Path | None = None
) -> int:
    """How many runs :func:`entries` would list without a limit."""
    where, params = _filters(benchmark, scenario)
    with _database(db, write=False) as conn:
        if conn is None:
            return 0
        return int(conn.execute(f"SELECT COUNT(*) FROM runs {where}", params).fetchone()[0])


def get(entry_id: int, *, db: Path | None = None) -> HistoryEntry:
    """The entry ``entry_id``; HistoryError when there is none."""
    found = _select(db, "WHERE id = ?", (int(entry_id),))
    if not found:
        raise HistoryError(
            f"the run history has no entry {entry_id}",
            "`mlperf-tui history` lists the ids (--all: every one)",
        )
    return found[0]


def for_folder(results_folder: Path, *, db: Path | None = None) -> list[HistoryEntry]:
    """The entries of one results folder, in the order they were first recorded (the plan's)."""
    folder = Path(results_folder).expanduser().resolve()
    return _select(db, "WHERE results_folder = ?", (str(folder),), "ORDER BY id")
