"""A results folder damaged or edited by hand, given to ``mlperf-tui package``, to
``load_results`` and, where a package still builds, to ``mlperf-tui checklist`` and ``check``.

Each case changes a private copy of a results folder of real LoadGen runs (the session's
``good["test_results"]``) in one way. What each case gets, and why:

- summary.json cut short, not JSON, a JSON list, its runs not a list, a run entry not an
  object or without its status: refused (exit 3) naming summary.json. It is not rebuilt: it is
  the one record of which runs finished, and a guess would be a lie.
- a run's result.json deleted, cut short or a JSON list: refused naming it. It is the run's own
  record, which the status in summary.json is checked against.
- a run folder deleted while summary.json lists it: refused naming runs/<run_id>.
- mlperf_log_detail.txt or mlperf_log_summary.txt of a finished performance or accuracy run cut
  in half, cut at a line, or deleted, and mlperf_log_accuracy.json cut in half: refused naming
  the log. A package is never built from logs LoadGen did not finish writing.
- a failed run's status edited to "ok": in summary.json alone (result.json still says failed),
  refused; in both (the harness's own ``result`` event in events.jsonl says failed), refused;
  in both with LoadGen's detail log ending before its result (the harness died), refused; in
  both with whole logs in which LoadGen logged an error, the package builds (its logs are the
  truth, copied as they are) and the validator is the gate: ``check`` exits 1 with
  log.loadgen-error and the checklist's automatic item on the runs fails.
- profile.yaml deleted or not text, system.json deleted, not JSON or a list: refused naming it.
- events.jsonl cut in the middle of a line: the package does not hold it, and its last
  ``result`` event is read only where one is whole, so the package builds and its checklist
  loads.

Every refusal is one line of message naming the file and one of fix, no traceback, no
"internal error", and nothing in the --out folder's parent (no package, no staging folder).
The commands run in this process (``mlperf_tui.cli.main``, the code ``python -m mlperf_tui``
runs); one case runs the real command in a child process.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import package_fixtures as fx
import pytest
from faults import ROOT, assert_no_traceback, assert_user_error, python_cli

from harness.events import EventWriter
from mlperf_tui.checklist import load_checklist
from mlperf_tui.cli import main
from mlperf_tui.errors import ExitCode, PackageError
from mlperf_tui.results import load_results
from mlperf_tui.validate import validate

PERF = "Offline-performance"
ACC = "Offline-accuracy"
#: the fix of every refusal names the way out: a new results folder
AGAIN = "run the profile again into a new results folder"

Edit = Callable[[Path], None]


@pytest.fixture
def results(good: dict[str, Path], tmp_path: Path) -> Path:
    return fx.copy_tree(good["test_results"], tmp_path / "results")


def _cut(path: Path, share: float = 0.5) -> None:
    """Keep the first ``share`` of the file's bytes (a copy stopped half way)."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * share)])


def _cut_at_a_line(path: Path) -> None:
    """Keep the first half of the file's lines: no line is broken, the end is missing."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")


def _summary(results: Path, change: Callable[[dict[str, object]], None]) -> None:
    path = results / "summary.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def _entry(doc: dict[str, object], run_id: str) -> dict[str, object]:
    runs = doc["runs"]
    assert isinstance(runs, list)
    return next(r for r in runs if r["run_id"] == run_id)


def _run_file(run_id: str, name: str) -> Callable[[Path], Path]:
    return lambda results: results / "runs" / run_id / name


def _package(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``mlperf-tui package RESULTS --out DIR``: (exit code, stderr)."""
    parent = tmp_path / "submission"
    parent.mkdir()
    rc = main(["package", str(results), "--out", str(parent / "pkg")])
    return rc, capsys.readouterr().err


def _assert_refused(
    rc: int, stderr: str, tmp_path: Path, names: str, message: str, fix: str = AGAIN
) -> None:
    assert_user_error(stderr, rc, ExitCode.BAD_INPUT, message, fix)
    assert names in next(ln for ln in stderr.splitlines() if ln.startswith("error:"))
    assert list((tmp_path / "submission").iterdir()) == []  # no package, no staging folder


# -- summary.json: refused by load_results, so by package and by everything else --------------


def _runs_not_a_list(doc: dict[str, object]) -> None:
    doc["runs"] = PERF


def _a_run_not_an_object(doc: dict[str, object]) -> None:
    runs = doc["runs"]
    assert isinstance(runs, list)
    runs[0] = PERF


def _a_run_without_status(doc: dict[str, object]) -> None:
    del _entry(doc, PERF)["status"]


SUMMARY_CASES: dict[str, tuple[Edit, str]] = {
    "cut-in-half": (lambda r: _cut(r / "summary.json"), "is not valid JSON"),
    "not-json": (
        lambda r: (r / "summary.json").write_text("finished at 3 am\n", encoding="utf-8"),
        "is not valid JSON",
    ),
    "a-json-list": (lambda r: (r / "summary.json").write_text("[]"), "it holds a list"),
    "not-utf8": (lambda r: (r / "summary.json").write_bytes(b'{"runs": "\xff"}'), "not UTF-8"),
    "runs-not-a-list": (lambda r: _summary(r, _runs_not_a_list), "not a list of runs"),
    "a-run-not-an-object": (lambda r: _summary(r, _a_run_not_an_object), "not an object"),
    "a-run-without-status": (lambda r: _summary(r, _a_run_without_status), "has no status"),
}


@pytest.mark.parametrize("case", sorted(SUMMARY_CASES))
def test_a_damaged_summary_is_refused_naming_it(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    edit, message = SUMMARY_CASES[case]
    edit(results)
    with pytest.raises(PackageError) as raised:
        load_results(results)
    assert "summary.json" in raised.value.message and message in raised.value.message
    assert "\n" not in raised.value.message and AGAIN in raised.value.fix
    rc, stderr = _package(results, tmp_path, capsys)
    _assert_refused(rc, stderr, tmp_path, "summary.json", message)


# -- a run's files ----------------------------------------------------------------------------

#: (the file the message names, the edit, what the message says)
RUN_CASES: dict[str, tuple[Callable[[Path], Path], Edit, str]] = {
    "result-json-deleted": (
        _run_file(PERF, "result.json"),
        lambda p: p.unlink(),
        "is missing",
    ),
    "result-json-cut": (_run_file(PERF, "result.json"), _cut, "is not valid JSON"),
    "result-json-a-list": (
        _run_file(PERF, "result.json"),
        lambda p: p.write_text("[]"),
        "it holds a list",
    ),
    "detail-log-cut-in-half": (_run_file(PERF, "mlperf_log_detail.txt"), _cut, "is cut short"),
    "detail-log-cut-at-a-line": (
        _run_file(PERF, "mlperf_log_detail.txt"),
        _cut_at_a_line,
        "ends before LoadGen's result",
    ),
    "detail-log-deleted": (
        _run_file(PERF, "mlperf_log_detail.txt"),
        lambda p: p.unlink(),
        "is missing",
    ),
    "summary-log-cut-in-half": (
        _run_file(PERF, "mlperf_log_summary.txt"),
        _cut,
        "is cut short",
    ),
    "summary-log-deleted": (
        _run_file(PERF, "mlperf_log_summary.txt"),
        lambda p: p.unlink(),
        "is missing",
    ),
    "accuracy-run-detail-log-cut-in-half": (
        _run_file(ACC, "mlperf_log_detail.txt"),
        _cut,
        "its last line is cut off",
    ),
    "accuracy-run-detail-log-cut-at-a-line": (
        _run_file(ACC, "mlperf_log_detail.txt"),
        _cut_at_a_line,
        "warnings mlperf_log_summary.txt counts",
    ),
    "accuracy-run-summary-log-cut": (
        _run_file(ACC, "mlperf_log_summary.txt"),
        lambda p: _cut(p, 0.9),
        "does not end with LoadGen's count of errors",
    ),
    "accuracy-log-cut-in-half": (
        _run_file(ACC, "mlperf_log_accuracy.json"),
        _cut,
        "is cut short",
    ),
    "profile-deleted": (lambda r: r / "profile.yaml", lambda p: p.unlink(), "no such file"),
    "profile-not-text": (
        lambda r: r / "profile.yaml",
        lambda p: p.write_bytes(b"\x00\xff{{["),
        "not a text file",
    ),
    "system-json-deleted": (lambda r: r / "system.json", lambda p: p.unlink(), "is missing"),
    "system-json-not-json": (lambda r: r / "system.json", _cut, "is not valid JSON"),
    "system-json-a-list": (
        lambda r: r / "system.json",
        lambda p: p.write_text("[]"),
        "it holds a list",
    ),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_a_damaged_file_is_refused_naming_it_and_nothing_is_written(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    where, edit, message = RUN_CASES[case]
    path = where(results)
    edit(path)
    rc, stderr = _package(results, tmp_path, capsys)
    fix = "run the profile again" if "-log" in case else AGAIN
    _assert_refused(rc, stderr, tmp_path, str(path), message, fix)


def test_a_run_folder_deleted_while_the_summary_lists_it_is_refused(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    shutil.rmtree(results / "runs" / PERF)
    rc, stderr = _package(results, tmp_path, capsys)
    _assert_refused(rc, stderr, tmp_path, str(results / "runs" / PERF), "is missing", AGAIN)


def test_the_real_command_refuses_a_cut_detail_log(results: Path, tmp_path: Path) -> None:
    _cut(results / "runs" / PERF / "mlperf_log_detail.txt")
    (tmp_path / "submission").mkdir()
    proc = subprocess.run(
        python_cli("package", str(results), "--out", str(tmp_path / "submission" / "pkg")),
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    _assert_refused(
        proc.returncode, proc.stderr, tmp_path, "mlperf_log_detail.txt", "is cut short", AGAIN
    )


# -- a failed run whose status was edited to "ok" -------------------------------------------


def _events(folder: Path, status: str) -> Path:
    """events.jsonl as the harness writes it: start, running, progress, result ``status``."""
    stream = io.StringIO()
    writer = EventWriter(stream)
    writer.start("resnet50", "Offline", "performance", str(folder))
    writer.phase("running", "LoadGen Offline PerformanceOnly: issuing queries")
    for n in range(1, 4):
        writer.progress(n * 1000, n * 900, n * 0.25, 1e6, 2e6, 3e6, {"counts": []})
    writer.result(status, "inference failed" if status != "ok" else "", str(folder), None, None)
    path = folder / "events.jsonl"
    path.write_text(stream.getvalue(), encoding="utf-8")
    return path


def _failed_then_edited(results: Path, *, in_result_json: bool) -> Path:
    """The performance run failed (as the runner records it), then someone edited its status
    to "ok" in summary.json (and in its result.json)."""
    folder = results / "runs" / PERF
    record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    record["status"] = "ok" if in_result_json else "failed"
    (folder / "result.json").write_text(json.dumps(record), encoding="utf-8")
    _summary(results, lambda doc: _entry(doc, PERF).update(status="ok"))
    return folder


def test_a_status_edited_in_the_summary_alone_is_refused(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _failed_then_edited(results, in_result_json=False)
    rc, stderr = _package(results, tmp_path, capsys)
    _assert_refused(rc, stderr, tmp_path, str(folder / "result.json"), '"failed"', AGAIN)


def test_a_status_edited_everywhere_is_refused_on_the_harnesss_own_word(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _failed_then_edited(results, in_result_json=True)
    events = _events(folder, "failed")
    rc, stderr = _package(results, tmp_path, capsys)
    _assert_refused(rc, stderr, tmp_path, str(events), "the harness reported", AGAIN)


def test_a_status_edited_over_logs_loadgen_never_finished_is_refused(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _failed_then_edited(results, in_result_json=True)
    _cut_at_a_line(folder / "mlperf_log_detail.txt")  # the harness died mid-run
    rc, stderr = _package(results, tmp_path, capsys)
    _assert_refused(rc, stderr, tmp_path, "mlperf_log_detail.txt", "result_validity", AGAIN)


def test_a_status_edited_over_whole_logs_with_a_loadgen_error_is_the_validators_finding(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _failed_then_edited(results, in_result_json=True)
    record = {"key": "error_runtime", "value": "SUT failed", "metadata": {"is_error": True}}
    with (folder / "mlperf_log_detail.txt").open("a", encoding="utf-8") as fh:
        fh.write(":::MLLOG " + json.dumps(record) + "\n")
    summary_log = folder / "mlperf_log_summary.txt"
    text = summary_log.read_text(encoding="utf-8")
    summary_log.write_text(
        text.replace(
            "No errors encountered during test.", "1 ERROR encountered. See detailed log."
        ),
        encoding="utf-8",
    )
    rc, stderr = _package(results, tmp_path, capsys)
    assert rc == ExitCode.OK, stderr  # the logs are what LoadGen wrote: they go in as they are
    assert_no_traceback(stderr)
    package = tmp_path / "submission" / "pkg"
    errors = {r.id for r in validate(package) if r.severity == "error"}
    assert "log.loadgen-error" in errors
    assert main(["check", str(package)]) == ExitCode.CHECK_FAILED
    assert "log.loadgen-error" in capsys.readouterr().out
    runs = load_checklist(package).item("auto.runs")
    assert runs.state == "failed" and "log.loadgen-error" in runs.detail


# -- what the package does not hold ---------------------------------------------------------


def test_an_events_file_cut_mid_line_does_not_matter_to_the_package(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder in sorted((results / "runs").iterdir()):
        _events(folder, "ok")
    events = results / "runs" / PERF / "events.jsonl"
    data = events.read_bytes()
    events.write_bytes(data[: len(data) - 20])  # the runner killed while writing the result
    _cut(results / "runs" / ACC / "events.jsonl", 0.6)  # in a progress line
    rc, stderr = _package(results, tmp_path, capsys)
    assert rc == ExitCode.OK, stderr
    assert_no_traceback(stderr)
    package = tmp_path / "submission" / "pkg"
    assert not list(package.rglob("events.jsonl"))
    assert main(["checklist", str(package), "--markdown", "-"]) == ExitCode.OK
    assert "# Submission checklist: pkg" in capsys.readouterr().out
    assert load_checklist(package).item("auto.runs").state == "passed"
