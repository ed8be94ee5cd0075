"""The run history: every run (built-in or imported) in a local SQLite database, listed by
``mlperf-tui history``; a results folder deleted by hand shows as missing, and a damaged
database is reported with the fix, never a traceback, and never fails a run.

Real SQLite files in tmp_path; results folders written as the runner leaves them (profile.yaml,
system.json, runs/<id>/), without LoadGen, except the slow built-in runs at the end.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from corpus import mllog, parts
from rich.console import Console

from mlperf_tui import history, rules
from mlperf_tui import run as runner
from mlperf_tui.cli import main
from mlperf_tui.cli.history import history_table
from mlperf_tui.errors import ExitCode
from mlperf_tui.history import HistoryEntry, HistoryError
from mlperf_tui.importer import ImportRequest, import_logs, import_profile
from mlperf_tui.results import RUNS, ResultsSet, RunResult, run_id_for
from mlperf_tui.rules.model import Scenario

ROOT = Path(__file__).resolve().parents[2]

#: system.json as the runner writes it (detection's fields, each with its status)
SYSTEM = {
    "host_processor_model_name": {"value": "Test CPU 9000", "status": "detected", "reason": ""},
    "host_processor_core_count": {"value": "2", "status": "detected", "reason": ""},
    "host_memory_capacity": {"value": "8 GB", "status": "detected", "reason": ""},
    "operating_system": {"value": "Linux 6.1", "status": "detected", "reason": ""},
    "accelerator_model_name": {"value": "", "status": "not detected", "reason": "no GPU"},
    "submitter": {"value": "Org", "status": "answered", "reason": ""},
}


def _run(folder: Path, scenario: str, mode: str, **kw: Any) -> RunResult:
    run_id = run_id_for(scenario, mode, kw.pop("compliance_test", None))
    kw.setdefault("status", "ok")
    return RunResult(
        run_id=run_id,
        benchmark=kw.pop("benchmark", "resnet50"),
        scenario=scenario,
        mode=mode,
        compliance_test=None,
        folder=folder / RUNS / run_id,
        **kw,
    )


def results_folder(
    where: Path,
    runs: list[tuple[str, str, dict[str, Any]]] | None = None,
    *,
    benchmark: str = "resnet50",
    harness: str | None = None,
) -> ResultsSet:
    """A results folder on disk as a replay leaves it (profile.yaml, system.json, runs/<id>/),
    and its ResultsSet."""
    where.mkdir(parents=True)
    profile: dict[str, Any] = {
        "schema_version": 1,
        "benchmark": benchmark,
        "division": "open",
        "category": "edge",
        "scenarios": ["Offline"],
        "execution": "test",
    }
    if harness:
        profile["harness"] = harness
    (where / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    (where / "system.json").write_text(json.dumps(SYSTEM), encoding="utf-8")
    specs = runs or [
        (
            "Offline",
            "performance",
            {
                "valid": True,
                "metric_name": "samples_per_second",
                "metric_value": 1234.5,
                "metric_unit": "samples/s",
                "duration_s": 1.5,
            },
        ),
        ("Offline", "accuracy", {"accuracy": 0.1, "accuracy_metric": "acc"}),
    ]
    made = [_run(where, scenario, mode, benchmark=benchmark, **kw) for scenario, mode, kw in specs]
    for r in made:
        if r.status != "skipped":
            r.folder.mkdir(parents=True)
    return ResultsSet(
        folder=where,
        runs=made,
        complete=True,
        execution="test",
        synthetic=True,
        benchmark=benchmark,
        division="open",
        category="edge",
        round="v6.1",
    )


def _history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["history", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _render(table: Any, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.export_text()


# -- recording and listing ---------------------------------------------------------------------


def test_a_results_folder_is_recorded_with_its_profile_machine_and_versions(
    tmp_path: Path,
) -> None:
    results = results_folder(tmp_path / "r1")
    profile_file = tmp_path / "my-profile.yaml"
    ids = history.record_results(results, profile_path=profile_file)
    assert len(ids) == 2 and ids[0] != ids[1]
    perf = history.get(ids[0])
    assert perf.run_id == "Offline-performance" and perf.mode == "performance"
    assert perf.results_folder == (tmp_path / "r1").resolve()
    assert perf.run_folder == (tmp_path / "r1").resolve() / "runs" / "Offline-performance"
    assert perf.status == "ok" and perf.valid is True
    assert (perf.metric_name, perf.metric_value, perf.metric_unit) == (
        "samples_per_second",
        1234.5,
        "samples/s",
    )
    assert perf.duration_s == 1.5
    assert (perf.execution, perf.harness, perf.division, perf.category, perf.round) == (
        "test",
        "builtin",
        "open",
        "edge",
        "v6.1",
    )
    assert perf.profile_path == str(profile_file.resolve())
    assert perf.profile_text == (tmp_path / "r1" / "profile.yaml").read_text()
    assert perf.settings["benchmark"] == "resnet50" and perf.settings["scenarios"] == ["Offline"]
    assert perf.machine["host_processor_model_name"] == "Test CPU 9000"
    assert perf.machine["host_memory_capacity"] == "8 GB"
    assert "host_name" in perf.machine
    assert "accelerator_model_name" not in perf.machine  # nothing was detected
    assert "submitter" not in perf.machine  # an answer, not the machine
    assert perf.versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert perf.versions["numpy"] and perf.versions["mlcommons-loadgen"]
    assert perf.sweep is None and not perf.missing
    acc = history.get(ids[1])
    assert acc.accuracy == 0.1 and acc.accuracy_metric == "acc" and acc.valid is None
    assert acc.accuracy_text() == "0.100% acc"
    # the recording time is ISO 8601 UTC, to the second
    assert perf.recorded_at.endswith("+00:00") and len(perf.recorded_at) == 25


def test_entries_are_newest_first_and_filter_by_benchmark_and_scenario(tmp_path: Path) -> None:
    first = results_folder(tmp_path / "r1")
    second = results_folder(
        tmp_path / "r2",
        [("SingleStream", "performance", {"valid": False, "metric_value": 2.5e6})],
        benchmark="bert-99",
    )
    history.record_results(first)
    history.record_results(second)
    listed = history.entries()
    assert [(e.benchmark, e.run_id) for e in listed] == [
        ("bert-99", "SingleStream-performance"),
        ("resnet50", "Offline-accuracy"),
        ("resnet50", "Offline-performance"),
    ]
    assert [e.run_id for e in history.entries(benchmark="resnet50")] == [
        "Offline-accuracy",
        "Offline-performance",
    ]
    assert [e.benchmark for e in history.entries(scenario="SingleStream")] == ["bert-99"]
    assert history.entries(benchmark="resnet50", scenario="SingleStream") == []
    assert len(history.entries(limit=1)) == 1 and history.entries(limit=1)[0].benchmark == "bert-99"
    assert history.count() == 3 and history.count(benchmark="bert-99") == 1
    # a folder's entries in the order they were recorded (the plan's)
    assert [e.run_id for e in history.for_folder(tmp_path / "r1")] == [
        "Offline-performance",
        "Offline-accuracy",
    ]


def test_recording_a_folder_again_replaces_its_rows_and_keeps_their_ids(tmp_path: Path) -> None:
    results = results_folder(tmp_path / "r1")
    ids = history.record_results(results)
    results.runs[0].metric_value = 999.0
    results.runs[0].valid = False
    again = history.record_results(results, sweep=str(tmp_path / "sweep"))
    assert again == ids
    assert history.count() == 2
    entry = history.get(ids[0])
    assert entry.metric_value == 999.0 and entry.valid is False
    assert entry.sweep == str(tmp_path / "sweep")


def test_a_skipped_run_is_recorded_with_its_status(tmp_path: Path) -> None:
    results = results_folder(
        tmp_path / "r1",
        [
            ("Offline", "performance", {"status": "cancelled"}),
            ("Offline", "accuracy", {"status": "skipped"}),
        ],
    )
    history.record_results(results)
    by_id = {e.run_id: e for e in history.entries()}
    assert by_id["Offline-accuracy"].status == "skipped"
    assert not by_id["Offline-accuracy"].missing  # it never had a run folder
    assert by_id["Offline-performance"].status == "cancelled"
    shutil.rmtree(tmp_path / "r1")
    assert all(e.missing for e in history.entries())


def test_an_unknown_id_says_how_to_find_the_ids(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no entry 42") as raised:
        history.get(42)  # no database yet
    assert "mlperf-tui history" in raised.value.fix
    history.record_results(results_folder(tmp_path / "r1"))
    with pytest.raises(HistoryError, match="no entry 42"):
        history.get(42)


def test_the_database_lives_in_the_data_folder_and_reading_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    # tests/conftest.py keeps every test's history out of the user's data folder
    assert history.data_root() != Path(platformdirs.user_data_dir("mlperf-tui"))
    monkeypatch.setenv(history.DATA_ENV, str(tmp_path / "data"))
    assert history.data_root() == tmp_path / "data"
    assert history.database_path() == tmp_path / "data" / "history.sqlite"
    assert history.database_path(tmp_path / "x.db") == tmp_path / "x.db"
    assert history.entries() == [] and history.count() == 0
    assert not (tmp_path / "data").exists()
    history.record_results(results_folder(tmp_path / "r1"))
    db = tmp_path / "data" / "history.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    # an explicit database is another history
    history.record_results(results_folder(tmp_path / "r2"), db=tmp_path / "x.db")
    assert len(history.entries(db=tmp_path / "x.db")) == 2 and len(history.entries()) == 2


def test_two_recorders_at_once_lose_nothing(tmp_path: Path) -> None:
    sets = [results_folder(tmp_path / f"r{n}") for n in range(6)]
    got: list[list[int]] = []
    errors: list[BaseException] = []

    def record(results: ResultsSet) -> None:
        try:
            got.append(history.record_results(results))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(s,)) for s in sets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [i for batch in got for i in batch]
    assert len(ids) == len(set(ids)) == 12
    assert history.count() == 12


# -- a results folder deleted by hand -------------------------------------------------------


def test_a_deleted_results_folder_shows_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kept = results_folder(tmp_path / "kept")
    gone = results_folder(tmp_path / "gone")
    history.record_results(kept)
    history.record_results(gone)
    shutil.rmtree(tmp_path / "gone" / "runs" / "Offline-performance")
    by = {(e.results_folder.name, e.run_id): e for e in history.entries()}
    assert by[("gone", "Offline-performance")].missing
    assert not by[("gone", "Offline-accuracy")].missing
    shutil.rmtree(tmp_path / "gone")
    assert [e.missing for e in history.for_folder(tmp_path / "gone")] == [True, True]
    assert not any(e.missing for e in history.for_folder(tmp_path / "kept"))

    code, out, err = _history(capsys, "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert {(Path(d["results_folder"]).name, d["missing"]) for d in doc} == {
        ("gone", True),
        ("kept", False),
    }
    assert all(isinstance(d["results_folder"], str) for d in doc)
    assert doc[0]["settings"]["benchmark"] == "resnet50"

    code, out, err = _history(capsys)
    assert code == 0 and "Traceback" not in err
    rows = [line for line in out.splitlines() if "Offline" in line]
    assert len(rows) == 4
    assert sum("missing" in line for line in rows) == 2
    assert sum("kept" in line for line in rows) == 2
    assert "1,234.5" in out and "samples/s" in out and "VALID" in out and "0.100%" in out


def _column(text: str, name: str) -> str:
    """The cells of the table's last column, ``name`` (its header's last word), joined."""
    lines = text.splitlines()
    header = next(line for line in lines if line.rstrip().endswith(name))
    start = header.rindex(name)
    return "".join(line[start:].strip() for line in lines[lines.index(header) + 2 :])


def test_the_table_fits_80_columns_and_cuts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = results_folder(
        tmp_path / "results" / "20250101-120000",
        [
            ("Offline", "performance", {"valid": True, "metric_value": 123456.7,
                                        "metric_unit": "samples/s"}),
            ("SingleStream", "performance", {"valid": False, "metric_value": 12_345_678.0,
                                             "metric_unit": "ns"}),
            ("Server", "performance", {"status": "cancelled"}),
        ],
        benchmark="llama2-70b-99.9",
    )  # fmt: skip
    history.record_results(results)
    history.record_results(results_folder(tmp_path / "results" / "20250101-130000"))
    shutil.rmtree(results.runs[2].folder)
    text = _render(history_table(history.entries()))
    assert not [line for line in text.splitlines() if len(line) > 80], text
    assert "…" not in text
    for word in ("llama2-70b-99.9", "resnet50", "SingleStream", "performance",
                 "123,456.7", "samples/s", "12.346", "ms", "0.100%", "INVALID", "CANCELLED",
                 "VALID", "missing"):  # fmt: skip
        assert word in text, (word, text)
    # the folders fold, whole: newest first, and the deleted run's folder is missing
    folders = _column(text, "folder")
    assert folders == ("results/20250101-130000" * 2 + "missing" + "results/20250101-120000" * 2), (
        text
    )
    # one benchmark: its name is the title, and the folders get its column's width
    one = _render(history_table(history.entries(benchmark="resnet50")))
    assert "Run history: resnet50" in one and "benchmark" not in one
    assert not [line for line in one.splitlines() if len(line) > 80], one
    # the rules' longest name (27 characters) folds in its column: nothing is elided
    history.record_results(
        results_folder(tmp_path / "long", benchmark="llama2-70b-interactive-99.9")
    )
    long = _render(history_table(history.entries()))
    assert "…" not in long and not [line for line in long.splitlines() if len(line) > 80]


def test_limit_and_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(2):
        history.record_results(results_folder(tmp_path / f"r{n}"))
    code, out, _ = _history(capsys, "--limit", "3")
    assert code == 0 and "3 of 4 runs shown" in out and "--all" in out
    code, out, _ = _history(capsys, "--all")
    assert code == 0 and "of 4 runs shown" not in out
    assert sum("Offline" in line for line in out.splitlines()) == 4
    code, out, _ = _history(capsys, "--json", "--limit", "1")
    assert len(json.loads(out)) == 1
    with pytest.raises(SystemExit) as raised:
        main(["history", "--limit", "0"])
    assert raised.value.code == ExitCode.USAGE
    assert "give 1 or more" in capsys.readouterr().err


def test_an_empty_history_says_how_to_fill_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _history(capsys)
    assert code == 0 and err == ""
    assert "No runs recorded yet" in out and "mlperf-tui run" in out
    code, out, _ = _history(capsys, "--benchmark", "bert-99")
    assert "No runs recorded for bert-99 yet" in out
    code, out, _ = _history(capsys, "--json")
    assert code == 0 and json.loads(out) == []


def test_help_says_where_the_history_lives(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["history", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "$MLPERF_TUI_DATA" in out and "history.sqlite" in out and "missing" in out


# -- a damaged database --------------------------------------------------------------------


def _damaged(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "text":
        path.write_text("not a database\n")
    elif kind == "header":  # a real history whose first page was overwritten
        history.record_results(results_folder(path.parent / "r"), db=path)
        with path.open("r+b") as f:
            f.write(b"\xff" * 100)
    elif kind == "no table":
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA user_version = 1")
            conn.execute("CREATE TABLE other (x)")
        conn.close()
    elif kind == "foreign":  # another program's database at that path
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE notes (x)")
            conn.execute("INSERT INTO notes VALUES (1)")
        conn.close()


@pytest.mark.parametrize("kind", ["random bytes", "text", "header", "no table", "foreign"])
def test_a_damaged_database_is_reported_with_the_fix_and_left_alone(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = history.database_path()
    _damaged(kind, db)
    before = db.read_bytes()
    code, out, err = _history(capsys)
    assert code == ExitCode.BAD_INPUT, (out, err)
    assert "Traceback" not in err and out == ""
    assert str(db) in err
    assert f"mv {db} {db}.corrupt" in err and "the next run starts a new history" in err
    code, out, err = _history(capsys, "--json")
    assert code == ExitCode.BAD_INPUT and "fix:" in err
    with pytest.raises(HistoryError, match="history") as raised:
        history.record_results(results_folder(tmp_path / "new"))
    assert str(db) in raised.value.message and ".corrupt" in raised.value.fix
    with pytest.raises(HistoryError):
        history.get(1)
    assert db.read_bytes() == before  # never deleted or overwritten


def test_a_newer_schema_is_refused_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history.record_results(results_folder(tmp_path / "r1"))
    db = history.database_path()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer mlperf-tui") as raised:
        history.entries()
    assert "upgrade mlperf-tui" in raised.value.fix
    with pytest.raises(HistoryError, match="newer mlperf-tui"):
        history.record_results(results_folder(tmp_path / "r2"))
    code, _, err = _history(capsys)
    assert code != 0 and "newer mlperf-tui" in err and "Traceback" not in err


def test_a_folder_in_place_of_the_database_is_reported_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    history.database_path().mkdir(parents=True)
    with pytest.raises(HistoryError, match="cannot be opened") as raised:
        history.record_results(results_folder(tmp_path / "r1"))
    assert history.DATA_ENV in raised.value.fix
    code, _, err = _history(capsys)
    assert code == ExitCode.BAD_INPUT and "cannot be opened" in err and "Traceback" not in err
    # a data folder that cannot be made (a file is in the way)
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(history.DATA_ENV, str(tmp_path / "file" / "data"))
    note = history.try_record(results_folder(tmp_path / "r2"))
    assert note is not None and "writing the run history failed" in note
    assert history.DATA_ENV in note


def test_try_record_turns_a_damaged_history_into_a_note(tmp_path: Path) -> None:
    db = history.database_path()
    _damaged("text", db)
    note = history.try_record(results_folder(tmp_path / "r1"))
    assert note is not None and note.startswith("history: not recorded: ")
    assert str(db) in note and "fix: move it aside" in note
    db.unlink()
    assert history.try_record(results_folder(tmp_path / "r2")) is None
    assert history.count() == 2


def test_the_core_loads_no_ui_library() -> None:
    code = (
        "import json, sys, mlperf_tui.history\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


# -- imported runs -------------------------------------------------------------------------


#: the imported benchmark: a data set of 43 samples keeps the import quick
IMPORTED = "3d-unet-99"


def _harness_output(dest: Path) -> Path:
    """An open-division harness output of 3D-UNet Offline: performance/ and accuracy/."""
    bench = rules.get_benchmark(IMPORTED)
    count = bench.accuracy_samples(Scenario.OFFLINE)
    for mode in ("performance", "accuracy"):
        where = dest / mode
        run = mllog.Run(rules.get_round("v6.1"), bench, Scenario.OFFLINE, mode, qps=20.0)
        parts.write(where / "mlperf_log_detail.txt", mllog.detail_log(run))
        parts.write(where / "mlperf_log_summary.txt", mllog.summary_log(run))
        parts.write(where / "user.conf", f"{bench.loadgen_model}.Offline.target_qps = 20\n")
        if mode == "accuracy":
            parts.write(where / "mlperf_log_accuracy.json", mllog.accuracy_log(count))
            parts.write(
                where / "accuracy.txt", "Accuracy: mean = 0.86000, kidney = 0.9, tumor = 0.8\n"
            )
    return dest


def _import_profile(source: Path) -> Any:
    return import_profile(
        source=source,
        benchmark=IMPORTED,
        scenarios=["Offline"],
        division="open",
        category="edge",
        submitter="Org",
        system_name="box",
    )


def test_an_import_is_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _harness_output(tmp_path / "harness")
    code = main(
        ["import", str(source), "--benchmark", IMPORTED, "--scenario", "Offline",
         "--division", "open", "--category", "edge", "--out", str(tmp_path / "imported")]
    )  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    found = history.for_folder(tmp_path / "imported")
    assert [(e.run_id, e.harness, e.status) for e in found] == [
        ("Offline-performance", "import", "ok"),
        ("Offline-accuracy", "import", "ok"),
    ]
    assert found[0].metric_unit == "samples/s" and found[0].valid is True
    assert found[1].accuracy == pytest.approx(0.86) and found[1].accuracy_metric == "DICE"
    assert found[0].settings["harness"] == "import"
    assert not any(e.missing for e in found)


def test_an_import_with_a_damaged_history_still_imports_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = history.database_path()
    _damaged("text", db)
    source = _harness_output(tmp_path / "harness")
    seen: list[runner.RunnerEvent] = []
    results = import_logs(
        ImportRequest(profile=_import_profile(source), source=source),
        out=tmp_path / "imported",
        on_event=seen.append,
    )
    assert results.complete and (tmp_path / "imported" / "summary.json").is_file()
    notes = [str(e.data.get("text")) for e in seen if e.kind == "message"]
    assert len(notes) == 1 and notes[0].startswith("history: not recorded: ")
    # the command prints the note on stderr; stdout stays one JSON document
    code = main(
        ["import", str(source), "--benchmark", IMPORTED, "--scenario", "Offline",
         "--division", "open", "--category", "edge", "--out", str(tmp_path / "again"), "--json"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["results_folder"] == str(tmp_path / "again")
    assert "history: not recorded" in err and "Traceback" not in err


def test_the_runner_records_an_import_profile_and_survives_a_damaged_history(
    tmp_path: Path,
) -> None:
    """execute() of a ``harness: import`` profile: recorded; with a damaged history the run
    still finishes, and the note is a message event."""
    source = _harness_output(tmp_path / "harness")
    profile = _import_profile(source)
    prepared = runner.prepare(profile)
    results = runner.execute(
        prepared.plan, profile, prepared.resolved, results_root=tmp_path / "results"
    )
    assert [e.run_id for e in history.for_folder(results.folder)] == [
        "Offline-performance",
        "Offline-accuracy",
    ]
    _damaged("random bytes", history.database_path(tmp_path / "other.sqlite"))
    shutil.move(tmp_path / "other.sqlite", history.database_path())
    seen: list[runner.RunnerEvent] = []
    again = runner.execute(
        prepared.plan,
        profile,
        prepared.resolved,
        results_root=tmp_path / "results",
        on_event=seen.append,
    )
    assert again.complete and (again.folder / "summary.json").is_file()
    notes = [str(e.data.get("text")) for e in seen if e.kind == "message"]
    assert any(n.startswith("history: not recorded: ") and "mv " in n for n in notes), notes


# -- built-in runs (real LoadGen on the tiny model) ----------------------------------------


def _tiny_profile(root: Path, **changes: Any) -> Any:
    from mlperf_tui.profile import Profile

    data: dict[str, Any] = {
        "schema_version": 1,
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["Offline"],
        "modes": ["performance"],
        "execution": "test",
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 64},
        },
        "submitter": "Quickstart",
        "system": {"status": "available", "cooling": "air", "host_memory_configuration": "x"},
        "output": str(root / "results"),
        **changes,
    }
    return Profile.model_validate(data)


def _built_in_run(tiny_assets: Any, tmp_path: Path, **kw: Any) -> ResultsSet:
    profile = _tiny_profile(tmp_path)
    quick = runner.TestSettings(min_duration_ms=200, target_s=0.6)
    prepared = runner.prepare(
        profile, cache_dir=tiny_assets.cache_dir.parent, short=quick, calibrate_model=False
    )
    return runner.execute(prepared.plan, profile, prepared.resolved, system={}, **kw)


@pytest.mark.slow  # a real LoadGen run: a few seconds
def test_a_built_in_run_is_recorded(tiny_assets: Any, tmp_path: Path) -> None:
    profile_file = tmp_path / "tiny.yaml"
    results = _built_in_run(tiny_assets, tmp_path, profile_path=profile_file)
    assert results.complete
    (entry,) = history.for_folder(results.folder)
    assert isinstance(entry, HistoryEntry)
    assert (entry.run_id, entry.harness, entry.status, entry.valid) == (
        "Offline-performance",
        "builtin",
        "ok",
        True,
    )
    assert entry.metric_name == "samples_per_second" and (entry.metric_value or 0) > 0
    assert entry.profile_path == str(profile_file.resolve())
    assert entry.settings["assets"]["model"]["kind"] == "tiny"
    assert entry.versions["onnxruntime"] and entry.duration_s and entry.duration_s > 0


@pytest.mark.slow  # a real LoadGen run: a few seconds
def test_a_built_in_run_with_a_damaged_history_finishes_and_says_so(
    tiny_assets: Any, tmp_path: Path
) -> None:
    db = history.database_path()
    _damaged("text", db)
    seen: list[runner.RunnerEvent] = []
    results = _built_in_run(tiny_assets, tmp_path, on_event=seen.append)
    assert results.complete and all(r.ok for r in results.runs)
    assert (results.folder / "summary.json").is_file()
    notes = [str(e.data.get("text")) for e in seen if e.kind == "message"]
    assert any(n.startswith("history: not recorded: ") for n in notes), notes
    assert db.read_text() == "not a database\n"
