"""The checklist answers file broken, and saved into a read-only folder or onto a full disk.

The answers (``<package>.checklist.json`` beside the package) are the one thing in the review a
person wrote, so none of it is ever lost:

- an answers file that is not JSON, a JSON list, cut short or not UTF-8 is refused (exit 3)
  when the checklist loads, naming the file, with the fix: repair it, or move it aside to start
  again. mlperf-tui never renames, deletes or replaces it itself; a save refuses it too when it
  broke after the checklist was loaded. Once the user moved it aside, a review starts afresh
  and the moved file stays as it was.
- a save into a read-only folder is :class:`NotWritable` (exit 3), onto a full disk
  :class:`DiskFull` (exit 5), each with the fix, and the previous answers file is as it was
  (the save writes a temporary file and renames it over the old one); no temporary is left.
- the same for the Markdown export, the file the command line writes (``mlperf-tui checklist
  DIR --markdown``): no half an export is left, and a ``--force`` export that fails leaves the
  earlier one.

Two paths are covered: the command line (``checklist DIR --markdown``, which loads the answers
and writes the export) and the functions the Textual checklist screen calls
(:func:`load_checklist`, :meth:`Checklist.save`). The read-only and full-disk cases run on a
real tmpfs in a private mount namespace (tests/fixtures/faults.py): a child script saves the
first answers there, remounts it read-only or fills it, then tries again and reports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from faults import ROOT, assert_no_traceback, assert_user_error, cannot_mount, on_tmpfs

from mlperf_tui.checklist import MANUAL_ITEMS, checklist_path, load_checklist
from mlperf_tui.cli import main
from mlperf_tui.errors import ExitCode, MlperfTuiError, PackageError

FIRST, SECOND = MANUAL_ITEMS[0].id, MANUAL_ITEMS[1].id
MOVE_ASIDE = "move it aside (rename it) to start the answers again"


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    package.mkdir()
    return package


def _answered(package: Path) -> bytes:
    """A first review: one item confirmed and saved; the answers file's bytes."""
    checklist = load_checklist(package, results=[])
    checklist.confirm(FIRST, "Apache-2.0", by="alice")
    return checklist.save().read_bytes()


BROKEN: dict[str, bytes] = {
    "not-json": b"confirmed everything on Monday\n",
    "a-json-list": b'[{"manual.licence": "confirmed"}]\n',
    "not-utf8": b'{"answers": {"manual.licence": {"note": "\xff\xfe"}}}\n',
}


def _break(package: Path, case: str) -> bytes:
    path = checklist_path(package)
    if case == "cut-short":
        data = _answered(package)
        data = data[: len(data) // 2]
    else:
        data = BROKEN[case]
    path.write_bytes(data)
    return data


CASES = ["cut-short", *BROKEN]


@pytest.mark.parametrize("case", CASES)
def test_a_broken_answers_file_is_refused_where_the_screen_loads_it(
    tmp_path: Path, case: str
) -> None:
    package = _package(tmp_path)
    data = _break(package, case)
    with pytest.raises(PackageError) as raised:
        load_checklist(package, results=[])
    error = raised.value
    assert error.exit_code == ExitCode.BAD_INPUT
    assert str(checklist_path(package)) in error.message and "\n" not in error.message
    assert MOVE_ASIDE in error.fix
    assert checklist_path(package).read_bytes() == data


@pytest.mark.parametrize("case", CASES)
def test_a_broken_answers_file_is_refused_by_the_command_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    package = _package(tmp_path)
    data = _break(package, case)
    rc = main(["checklist", str(package), "--markdown"])
    assert_user_error(
        capsys.readouterr().err, rc, ExitCode.BAD_INPUT, str(checklist_path(package)), MOVE_ASIDE
    )
    assert checklist_path(package).read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "pkg.checklist.json"]


@pytest.mark.parametrize("case", CASES)
def test_a_file_that_broke_after_loading_is_not_replaced_by_a_save(
    tmp_path: Path, case: str
) -> None:
    package = _package(tmp_path)
    checklist = load_checklist(package, results=[])
    checklist.confirm(FIRST)
    data = _break(package, case)  # another editor, or a disk error, since the review began
    with pytest.raises(PackageError, match="cannot be read") as raised:
        checklist.save()
    assert MOVE_ASIDE in raised.value.fix
    assert checklist_path(package).read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "pkg.checklist.json"]


def test_a_file_moved_aside_as_the_fix_says_stays_and_the_review_starts_again(
    tmp_path: Path,
) -> None:
    package = _package(tmp_path)
    data = _break(package, "cut-short")
    aside = checklist_path(package).with_name("pkg.checklist.json.broken")
    checklist_path(package).rename(aside)
    checklist = load_checklist(package, results=[])
    assert checklist.item(FIRST).state == "pending"
    checklist.confirm(SECOND)
    checklist.save()
    assert load_checklist(package, results=[]).item(SECOND).state == "confirmed"
    assert aside.read_bytes() == data


@pytest.mark.parametrize("value", [[1], {"a": 1}, 5, True, ""])
def test_answer_fields_of_another_type_load_as_no_answer(tmp_path: Path, value: Any) -> None:
    package = _package(tmp_path)
    answer = {"state": "confirmed", "note": value, "answered_at": value, "answered_by": value}
    doc = {"schema_version": 1, "answers": {FIRST: answer}}
    checklist_path(package).write_text(json.dumps(doc), encoding="utf-8")
    item = load_checklist(package, results=[]).item(FIRST)
    assert (item.state, item.note, item.answered_at, item.answered_by) == (
        "confirmed",
        "",
        None,
        None,
    )


# -- a read-only folder and a full disk (a real tmpfs) -----------------------------------------

#: runs in the tmpfs's mount namespace: argv = mount, "ro" | "full", "save" | "export"
CHILD = r"""
import json, subprocess, sys
from pathlib import Path
from mlperf_tui.checklist import MANUAL_ITEMS, checklist_path, load_checklist
from mlperf_tui.errors import MlperfTuiError

mount, fault, action = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
package = mount / "pkg"
package.mkdir()
first = load_checklist(package, results=[])
first.confirm(MANUAL_ITEMS[0].id, "Apache-2.0", by="alice")
before = first.save().read_bytes()
export = mount / "review.md"
export.write_text("the review as exported yesterday\n", encoding="utf-8")
filler = mount / "filler"
if fault == "ro":
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
else:
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"x" * 4096)
                fh.flush()
        except OSError:
            pass
outcome = {}
if action == "save":
    again = load_checklist(package, results=[])
    again.confirm(MANUAL_ITEMS[1].id, "calibrated with the calibration set", by="bob")
    try:
        again.save()
        outcome["saved"] = True
    except MlperfTuiError as exc:
        outcome.update(type=type(exc).__name__, code=int(exc.exit_code), message=exc.message,
                       fix=exc.fix)
else:
    from mlperf_tui.cli import main
    outcome["code"] = main(["checklist", str(package), "--markdown"])
    outcome["forced"] = main(["checklist", str(package), "--markdown", str(export), "--force"])
    outcome["export"] = export.read_text(encoding="utf-8")
outcome["answers_intact"] = checklist_path(package).read_bytes() == before
if fault == "full":
    filler.unlink()
print(json.dumps(outcome))
"""


@pytest.fixture
def tmpfs_ok() -> None:
    reason = cannot_mount()
    if reason:
        pytest.skip(reason)


def _on_tmpfs(tmp_path: Path, fault: str, action: str) -> tuple[dict[str, Any], str, list[str]]:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    mount = tmp_path / "fs"
    outcome = on_tmpfs(
        mount,
        [sys.executable, str(script), str(mount), fault, action],
        size="1m",
        timeout=120,
        cwd=ROOT,
    )
    assert outcome.rc == 0, outcome.stderr[-3000:]
    assert_no_traceback(outcome.stderr)
    return json.loads(outcome.stdout.splitlines()[-1]), outcome.stderr, outcome.left


#: what each fault is: the error's exit code, class, what its message and its fix say
FAULTS = {
    "ro": (ExitCode.BAD_INPUT, "NotWritable", "is on a read-only file system", "can write to"),
    "full": (ExitCode.ENVIRONMENT, "DiskFull", "no space left on the disk of", "free space"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_save_that_cannot_be_written_keeps_the_previous_answers(
    tmp_path: Path, tmpfs_ok: None, fault: str
) -> None:
    code, kind, message, fix = FAULTS[fault]
    report, _, left = _on_tmpfs(tmp_path, fault, "save")
    assert report.get("type") == kind and report["code"] == code, report
    assert message in report["message"] and "the answers saved before are kept" in report["message"]
    assert "\n" not in report["message"]
    assert fix in report["fix"] and "move the package" in report["fix"]
    assert report["answers_intact"]
    assert left == ["pkg", "pkg.checklist.json", "review.md"]  # no temporary file


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_commands_export_that_cannot_be_written_leaves_nothing_half_written(
    tmp_path: Path, tmpfs_ok: None, fault: str
) -> None:
    code, _, message, fix = FAULTS[fault]
    report, stderr, left = _on_tmpfs(tmp_path, fault, "export")
    assert report["code"] == report["forced"] == code, stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    fixes = [ln for ln in stderr.splitlines() if ln.startswith("  fix:")]
    assert len(errors) == len(fixes) == 2, stderr  # one line of each, for each command
    assert all(message in ln for ln in errors) and all(fix in ln for ln in fixes), stderr
    assert report["export"] == "the review as exported yesterday\n"  # --force kept it
    assert report["answers_intact"]
    assert left == ["pkg", "pkg.checklist.json", "review.md"]  # no half export, no temporary


def test_a_save_error_is_a_user_error_for_the_screen_to_show(tmp_path: Path) -> None:
    """The screen shows what a failed save raises: a user error with a message and a fix."""
    package = _package(tmp_path)
    checklist = load_checklist(package, results=[])
    checklist.confirm(FIRST)
    checklist.path = tmp_path / "no-such-folder" / "file" / "pkg.checklist.json"
    (tmp_path / "no-such-folder").write_text("a file where the folder would be")
    with pytest.raises(MlperfTuiError) as raised:
        checklist.save()
    assert raised.value.message and raised.value.fix
