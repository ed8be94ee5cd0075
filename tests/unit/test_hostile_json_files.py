"""The systems JSON (as the validator reads it), the checklist answers file and user.conf lines
fed random and mutated input: findings or a user error with a fix, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus import parts
from hostile_inputs import HOSTILE, encoded, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st

from mlperf_tui import rules
from mlperf_tui.checklist import load_checklist, render_markdown
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.importer.check import conf_lines
from mlperf_tui.validate.findings import _Findings
from mlperf_tui.validate.systems import _read_system

ROUND = rules.get_round("v6.1")
SYSTEM = parts.system_description(
    division="closed", submitter="ACME", name="box", system_type="edge"
)
SYSTEM_TEXT = json.dumps(SYSTEM, indent=2)
FIELDS = sorted(SYSTEM)


def _read(path: Path) -> list[str]:
    f = _Findings(path.parent)
    _read_system(f, path, division="closed", submitter="ACME", round_rules=ROUND)
    for item in f.items:
        assert item.message and item.fix, item
    return [item.id for item in f.items]


@HOSTILE
@given(st.sampled_from(FIELDS), json_values())
def test_any_value_in_any_systems_field_is_a_finding(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: Any
) -> None:
    data = dict(SYSTEM, **{field: value})
    path = tmp_path_factory.mktemp("systems") / "box.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    ids = _read(path)
    assert "internal.check-failed" not in ids


@HOSTILE
@given(mutated(SYSTEM_TEXT), st.binary(max_size=6), st.integers(0, 3000))
def test_a_mutated_systems_json_is_read_or_unreadable(
    tmp_path_factory: pytest.TempPathFactory, text: str, junk: bytes, where: int
) -> None:
    raw = encoded(text)
    path = tmp_path_factory.mktemp("systems") / "box.json"
    path.write_bytes(raw[:where] + junk + raw[where:])
    _read(path)


def test_a_systems_json_nested_too_deeply_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "box.json"
    path.write_text('{"a": ' + "[" * 100_000, encoding="utf-8")
    assert _read(path) == ["system.unreadable"]


@pytest.mark.parametrize("field", ["number_of_nodes", "host_processor_core_count"])
def test_a_count_of_400_digits_is_a_finding(tmp_path: Path, field: str) -> None:
    path = tmp_path / "box.json"
    path.write_text(json.dumps(dict(SYSTEM, **{field: 10**400})), encoding="utf-8")
    assert _read(path) == []  # a whole number, not negative: a count, however large


@pytest.mark.parametrize("digit", ["٣", "²", "３"])
def test_a_count_in_other_digits_is_a_finding(tmp_path: Path, digit: str) -> None:
    path = tmp_path / "box.json"
    path.write_text(json.dumps(dict(SYSTEM, host_processor_core_count=f"{digit} cores")))
    assert "system.not-a-number" in _read(path)


# -- the checklist answers file -----------------------------------------------------------------

ANSWERS = json.dumps(
    {
        "schema_version": 1,
        "answers": {
            "license": {"state": "confirmed", "note": "ok", "answered_at": "2025-01-01T00:00:00"},
            "reproducible": {"state": "declined", "answered_by": "me"},
        },
    },
    indent=2,
)


def _checklist(package: Path) -> None:
    try:
        checklist = load_checklist(package, results=[])
    except MlperfTuiError as exc:
        assert exc.message and exc.fix, exc
        return
    render_markdown(checklist, exported_at="2025-01-01T00:00:00")


def _package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    package = tmp_path_factory.mktemp("checklist") / "pkg"
    package.mkdir()
    return package


@HOSTILE
@given(mutated(ANSWERS), st.binary(max_size=6), st.integers(0, 400))
def test_a_mutated_answers_file_is_read_or_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory, text: str, junk: bytes, where: int
) -> None:
    package = _package(tmp_path_factory)
    raw = encoded(text)
    (package.parent / "pkg.checklist.json").write_bytes(raw[:where] + junk + raw[where:])
    _checklist(package)


@HOSTILE
@given(json_values(), st.sampled_from(["state", "note", "answered_at", "answered_by", None]))
def test_answers_of_any_shape_are_read_or_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory, value: Any, key: str | None
) -> None:
    package = _package(tmp_path_factory)
    doc: Any = json.loads(ANSWERS)
    if key is None:
        doc = value
    else:
        doc["answers"]["license"][key] = value
    (package.parent / "pkg.checklist.json").write_text(json.dumps(doc), encoding="utf-8")
    _checklist(package)


def test_an_answers_file_nested_too_deeply_is_refused_with_a_fix(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (tmp_path / "pkg.checklist.json").write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(MlperfTuiError) as raised:
        load_checklist(package, results=[])
    assert raised.value.fix


# -- user.conf ----------------------------------------------------------------------------------

USER_CONF = (
    "resnet50.Offline.target_qps = 100\n"
    "*.Offline.min_duration = 600000\n"
    "resnet50.SingleStream.target_latency = 10\n"
)


@HOSTILE
@given(st.one_of(mutated(USER_CONF), st.text(max_size=300)))
def test_any_user_conf_text_gives_setting_lines(text: str) -> None:
    for model, scenario, key in conf_lines(text):
        assert isinstance(model, str) and isinstance(scenario, str) and isinstance(key, str)
