"""The profile loader fed random and mutated YAML: a ProfileError with a fix, never a crash;
YAML bombs, deep nesting and huge files are refused early, naming the limit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile_inputs import HOSTILE, SNIPPETS, encoded, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st

from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.profile import load_profile, parse_profile
from mlperf_tui.profile.yaml_io import MAX_PROFILE_BYTES, MAX_PROFILE_DEPTH, MAX_PROFILE_NODES

QUICKSTART = (Path(__file__).resolve().parents[2] / "profiles" / "quickstart.yaml").read_text(
    encoding="utf-8"
)
YAML_SNIPPETS = (
    *SNIPPETS,
    "round: 2001-13-45",
    "benchmark: !!binary AAAA",
    "scenarios: !!set {Offline}",
    "modes: &m [performance]",
    "execution: *m",
    "targets: {Offline: {qps: 1e999}}",
    "targets: {Offline: {qps: .nan}}",
    "targets: {Offline: {qps: -1}}",
    "submitter: [a, b]",
    "submitter: " + "9" * 5000,
    "system_name: {a: b}",
    "system: {number_of_nodes: two}",
    "system: [1, 2]",
    "system: {status: {a: 1}}",
    "assets: {model: {source: 5}}",
    "assets: {dataset: {count: 1e999}}",
    "assets: {dataset: {count: -1}}",
    "backend: {intra_op_threads: 99999999999999999999999}",
    "schema_version: 1.0",
    "schema_version: true",
    "? [a]\n: b",
    "<<: {round: v6.1}",
)


def _only_user_errors(load: Any, *args: Any) -> None:
    try:
        load(*args)
    except MlperfTuiError as exc:
        assert exc.message and exc.fix, exc  # one line that says what, and how to fix it
        assert "Traceback" not in str(exc)


@HOSTILE
@given(mutated(QUICKSTART, YAML_SNIPPETS))
def test_a_mutated_quickstart_is_loaded_or_refused_with_a_fix(text: str) -> None:
    _only_user_errors(parse_profile, text, "p.yaml")


@HOSTILE
@given(st.text(max_size=400))
def test_random_text_is_refused_with_a_fix(text: str) -> None:
    _only_user_errors(parse_profile, text, "p.yaml")


@HOSTILE
@given(st.sampled_from(sorted(yaml.safe_load(QUICKSTART))), json_values())
def test_any_value_under_any_key_is_refused_with_a_fix(key: str, value: Any) -> None:
    data = yaml.safe_load(QUICKSTART)
    data[key] = value
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return  # not expressible as YAML
    _only_user_errors(parse_profile, text, "p.yaml")


@HOSTILE
@given(mutated(QUICKSTART, YAML_SNIPPETS), st.binary(max_size=8), st.integers(0, 2000))
def test_a_file_with_any_bytes_is_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory, text: str, junk: bytes, where: int
) -> None:
    raw = encoded(text)
    raw = raw[:where] + junk + raw[where:]
    path = tmp_path_factory.mktemp("p") / "p.yaml"
    path.write_bytes(raw)
    _only_user_errors(load_profile, path)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("submitter: Quickstart", "submitter: " + "9" * 5000),
        ("round: v6.1", "round: 2001-13-45"),
        ("cooling: air", "cooling: 2001-02-30"),
    ],
    ids=["5000-digit-number", "no-such-month", "no-such-day"],
)
def test_values_yaml_cannot_build_are_refused_with_a_fix(old: str, new: str) -> None:
    assert old in QUICKSTART
    with pytest.raises(MlperfTuiError) as raised:
        parse_profile(QUICKSTART.replace(old, new), "p.yaml")
    assert "cannot be read" in raised.value.message and "quotes" in raised.value.fix


# -- bombs, depth and size: refused early, naming the limit --------------------------------------

BILLION_LAUGHS = (
    "schema_version: 1\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    + "round: *i\n"
)


def _refused(text: str, limit: str) -> MlperfTuiError:
    started = time.monotonic()
    with pytest.raises(MlperfTuiError) as raised:
        parse_profile(text, "bomb.yaml")
    assert time.monotonic() - started < 2, "refused, but not early"
    assert limit in raised.value.message, raised.value.message
    assert raised.value.fix
    return raised.value


def test_a_billion_laughs_is_refused_early() -> None:
    _refused(BILLION_LAUGHS, f"{MAX_PROFILE_NODES}")


@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
def test_deep_nesting_is_refused_early(opener: str) -> None:
    if opener == "- ":
        text = "schema_version: 1\nsystem:\n" + "".join("  " * (i + 1) + "- \n" for i in range(200))
    else:
        text = "schema_version: 1\nsystem: " + opener * 5000
    _refused(text, f"{MAX_PROFILE_DEPTH}")


def test_a_huge_profile_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("schema_version: 1\n# " + "x" * (MAX_PROFILE_BYTES + 10) + "\n")
    with pytest.raises(MlperfTuiError) as raised:
        load_profile(path)
    assert f"{MAX_PROFILE_BYTES}" in raised.value.message and raised.value.fix
    with pytest.raises(MlperfTuiError) as raised:
        parse_profile(path.read_text(encoding="utf-8"), path)
    assert f"{MAX_PROFILE_BYTES}" in raised.value.message


def test_the_limits_leave_real_profiles_alone() -> None:
    for profile in sorted((Path(__file__).resolve().parents[2] / "profiles").glob("*.yaml")):
        assert parse_profile(profile.read_text(encoding="utf-8"), profile)
