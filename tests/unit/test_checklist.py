"""The checklist core: automatic items from the validator, manual answers that resume."""

from __future__ import annotations

import json
from pathlib import Path

import package_fixtures as fx
import pytest

from mlperf_tui.checklist import MANUAL_ITEMS, checklist_path, load_checklist
from mlperf_tui.errors import PackageError
from mlperf_tui.validate import validate


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
