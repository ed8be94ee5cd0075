"""README's "What happens when things go wrong" names the test behind each guarantee: every
named test file (or glob) and test function exists, so the list cannot drift from the suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## What happens when things go wrong"
#: `faults/test_signals.py`, `unit/test_hostile_*.py`, `tui/x.py::test_name`
_REF = re.compile(r"`([\w/*]+\.py)(?:::(\w+))?`")


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end > 0 else None]


def test_every_guarantee_names_tests_that_exist() -> None:
    refs = _REF.findall(_section())
    assert len(refs) >= 10, refs
    for path, name in refs:
        files = sorted((ROOT / "tests").glob(path))
        assert files, f"README names tests/{path}, which does not exist"
        if name:
            (only,) = files
            source = only.read_text(encoding="utf-8")
            assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path}::{name}"


def test_every_guarantee_has_a_test() -> None:
    items = [p for p in _section().split("\n- ")[1:]]
    # the advice on going on after a stop is not a guarantee; every other item names a test
    untested = [i.split("\n")[0] for i in items if not _REF.search(i) and "To go on" not in i]
    assert untested == [], untested
