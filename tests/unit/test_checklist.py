"""The checklist core: automatic items from the validator, manual answers that resume."""

from __future__ import annotations

import json
from pathlib import Path

import package_fixtures as fx
import pytest

from mlperf_tui.checklist import (
    AUTO_ITEMS,
    MANUAL_ITEMS,
    Checklist,
    checklist_path,
    export_markdown,
    load_checklist,
    markdown_path,
    render_markdown,
)
from mlperf_tui.errors import PackageError
from mlperf_tui.validate import CheckResult, validate


def _load(package: Path):  # type: ignore[no-untyped-def]
    return load_checklist(package, validator=lambda p: validate(p, rules_round=fx.fixture_rules()))


def test_good_package_auto_items_pass_manual_items_wait(pkg: Path) -> None:
    checklist = _load(pkg)
    auto = [i for i in checklist.items if i.kind == "auto"]
    manual = [i for i in checklist.items if i.kind == "manual"]
    assert auto and all(i.state == "passed" for i in auto)
    assert [i.id for i in manual] == [m.id for m in MANUAL_ITEMS]
    assert all(i.state == "pending" for i in manual)
    assert not checklist.complete
    assert checklist.progress() == (len(auto), len(checklist.items))


def test_half_confirmed_checklist_resumes(pkg: Path) -> None:
    first = _load(pkg)
    first.confirm("manual.licence", note="Apache-2.0")
    first.confirm("manual.availability")
    first.decline("manual.calibration", note="no documentation yet")
    saved = first.save()
    assert saved == checklist_path(pkg)
    assert saved.parent == pkg.parent  # beside the package, not in the tree the checker reads
    assert not list(pkg.rglob("*.checklist.json"))

    second = _load(pkg)
    states = {i.id: i.state for i in second.items}
    assert states["manual.licence"] == "confirmed"
    assert states["manual.availability"] == "confirmed"
    assert states["manual.calibration"] == "declined"
    assert second.item("manual.licence").note == "Apache-2.0"
    assert next(i.id for i in second.pending) == "manual.system-description"

    for item in second.pending:
        second.confirm(item.id)
    second.confirm("manual.calibration", note="documented in src/README.md")
    second.save()
    assert _load(pkg).complete


def test_auto_items_follow_the_package(pkg: Path) -> None:
    summary = next(pkg.glob("closed/*/results/*/resnet/Offline/performance/run_1/*summary.txt"))
    summary.unlink()
    checklist = _load(pkg)
    tree = checklist.item("auto.tree")
    assert tree.state == "failed"
    assert "tree.missing-file" in tree.detail
    assert checklist.item("auto.runs").state == "passed"


def test_test_package_is_not_submittable(good: dict[str, Path], tmp_path: Path) -> None:
    package = fx.copy_tree(good["test"], tmp_path / "pkg")
    checklist = load_checklist(package)
    assert checklist.item("auto.submittable").state == "failed"
    assert "package.test-execution" in checklist.item("auto.submittable").detail
    assert checklist.item("auto.tree").state == "passed"


def test_auto_items_cannot_be_confirmed_and_unknown_ids_are_named(pkg: Path) -> None:
    checklist = _load(pkg)
    with pytest.raises(PackageError, match="checked automatically"):
        checklist.confirm("auto.tree")
    with pytest.raises(PackageError, match="no checklist item"):
        checklist.confirm("manual.nope")


def test_broken_answers_file_is_a_clear_error(pkg: Path) -> None:
    checklist_path(pkg).write_text("{broken", encoding="utf-8")
    with pytest.raises(PackageError, match="cannot be read"):
        _load(pkg)
    checklist_path(pkg).write_text(json.dumps({"answers": {"manual.licence": "x"}}))
    assert _load(pkg).item("manual.licence").state == "pending"


# -- the Markdown export -----------------------------------------------------------------------

EXPORTED = "2026-01-01T12:00:00+00:00"


def _reviewed(package: Path) -> Checklist:
    """A checklist with one failed automatic item and two answered manual ones."""
    package.mkdir(exist_ok=True)
    found = [
        CheckResult("system.empty", "error", "open/Q/systems/<system>.json",
                    "status is empty", "answer status"),
        CheckResult("system.pipe", "error", "open/Q/systems/s.json", "a | b", "fix"),
        CheckResult("tree.note", "warning", "open/Q", "only a warning", "nothing"),
    ]  # fmt: skip
    checklist = load_checklist(package, validator=lambda _p: found)
    checklist.confirm("manual.licence", "Apache-2.0\nsee src/README.md", by="alice")
    checklist.decline("manual.calibration", by="bob")
    for item in checklist.items:
        if item.answered_at:
            item.answered_at = EXPORTED
    return checklist


def test_markdown_has_the_state_of_every_item(tmp_path: Path) -> None:
    checklist = _reviewed(tmp_path / "pkg")
    lines = render_markdown(checklist, exported_at=EXPORTED).splitlines()
    package = checklist.package_dir.resolve()
    assert lines[:9] == [
        "# Submission checklist: pkg",
        "",
        f"- Package: `{package}`",
        f"- Exported: {EXPORTED}",
        f"- Progress: 7 of {len(checklist.items)} done, not ready to submit "
        f"(1 failed, 1 declined, {len(MANUAL_ITEMS) - 2} pending)",
        f"- Answers kept in: `{checklist_path(package)}`",
        "",
        "## Automatic checks",
        "",
    ]
    auto = lines.index("| State | Check | Errors found |")
    assert lines[auto + 1] == "| --- | --- | --- |"
    assert lines[auto + 2] == (
        "| passed | The package has every folder and file the checker needs |  |"
    )
    # a finding's <...> stays visible, a pipe does not end the cell, lines become <br>
    assert lines[auto + 3] == (
        "| failed | The systems description is complete and consistent | system.empty: status "
        "is empty (open/Q/systems/&lt;system&gt;.json)<br>system.pipe: a \\| b "
        "(open/Q/systems/s.json) |"
    )
    assert lines[auto + 2 + len(AUTO_ITEMS)] == ""
    manual = lines.index("## Manual confirmations")
    header = lines.index("| State | Item | Note | Answered by | Answered at |")
    assert manual < header and lines[header + 1] == "| --- | --- | --- | --- | --- |"
    rows = lines[header + 2 : header + 2 + len(MANUAL_ITEMS)]
    assert rows[0] == (
        "| confirmed | The model's licence allows publishing these results | "
        f"Apache-2.0<br>see src/README.md | alice | {EXPORTED} |"
    )
    assert rows[1] == (
        "| pending | The system's availability matches its status (available / preview / rdi) "
        "|  |  |  |"
    )
    calibration = [i.id for i in MANUAL_ITEMS].index("manual.calibration")
    assert rows[calibration].startswith("| declined | Quantization and calibration")
    assert rows[calibration].endswith(f"|  | bob | {EXPORTED} |")
    assert lines[-1] == rows[-1]


def test_markdown_of_a_complete_checklist_says_ready(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    checklist = load_checklist(package, validator=lambda _p: [])
    for item in checklist.pending:
        checklist.confirm(item.id)
    assert (
        f"- Progress: {len(checklist.items)} of {len(checklist.items)} done, ready to submit"
        in (render_markdown(checklist))
    )


def test_who_answered_is_saved_and_loaded(tmp_path: Path) -> None:
    checklist = _reviewed(tmp_path / "pkg")
    checklist.save()
    again = load_checklist(checklist.package_dir, validator=lambda _p: [])
    assert again.item("manual.licence").answered_by == "alice"
    assert again.item("manual.calibration").answered_by == "bob"
    assert again.item("manual.loadgen").answered_by is None


def test_export_never_replaces_an_earlier_one(tmp_path: Path) -> None:
    checklist = _reviewed(tmp_path / "pkg")
    first = export_markdown(checklist, exported_at=EXPORTED)
    assert first == markdown_path(checklist.package_dir) == tmp_path / "pkg.checklist.md"
    first.write_text("edited by hand")
    second = export_markdown(checklist)
    assert second == tmp_path / "pkg.checklist-2.md"
    assert first.read_text() == "edited by hand"
    assert second.read_text().startswith("# Submission checklist: pkg\n")
    assert not list(checklist.package_dir.rglob("*.md"))  # never inside the package


def test_export_to_a_named_file_asks_before_replacing(tmp_path: Path) -> None:
    checklist = _reviewed(tmp_path / "pkg")
    target = tmp_path / "review.md"
    assert export_markdown(checklist, target) == target
    with pytest.raises(PackageError, match="does not replace it") as info:
        export_markdown(checklist, target)
    assert "--force" in info.value.fix
    export_markdown(checklist, target, overwrite=True)
    with pytest.raises(PackageError, match="inside the package"):
        export_markdown(checklist, checklist.package_dir / "review.md")
