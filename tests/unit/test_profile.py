"""Profiles: the schema, the rules checks, line numbers in errors, and byte-exact round trips."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlperf_tui import rules
from mlperf_tui.errors import ProfileError, RulesError
from mlperf_tui.profile import (
    EXECUTION_PROVIDERS,
    Profile,
    ProfileFieldError,
    default_profile,
    dump_profile,
    load_profile,
    parse_profile,
    profile_to_dict,
    quickstart_valid_profile,
    resolve_profile_path,
    save_profile,
)
from mlperf_tui.rules.model import Category, Division, Execution, Mode, Scenario

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "profiles" / "quickstart.yaml"
QUICKSTART_VALID = ROOT / "profiles" / "quickstart-valid.yaml"


def _data(**changes: Any) -> dict[str, Any]:
    data = profile_to_dict(default_profile())
    data.update(changes)
    return data


def _error(data: dict[str, Any]) -> ProfileFieldError:
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ProfileFieldError) as info:
        parse_profile(text, "p.yaml")
    return info.value


# -- the embedded defaults ---------------------------------------------------------------------


def test_quickstart_files_are_exactly_the_dumped_defaults() -> None:
    assert QUICKSTART.read_text(encoding="utf-8") == dump_profile(default_profile())
    assert QUICKSTART_VALID.read_text(encoding="utf-8") == dump_profile(quickstart_valid_profile())


def test_quickstart_is_the_documented_choice() -> None:
    p = load_profile(QUICKSTART)
    assert (p.benchmark, p.division, p.category) == ("resnet50", Division.OPEN, Category.EDGE)
    assert p.scenarios == [Scenario.SINGLE_STREAM, Scenario.OFFLINE]
    assert p.modes == [Mode.PERFORMANCE, Mode.ACCURACY]
    assert p.execution is Execution.TEST
    assert p.assets.model.source == "synthetic" and p.assets.model.kind == "resnet50"
    assert p.assets.dataset.source == "synthetic"


def test_quickstart_valid_differs_only_in_execution_model_and_data_set_size() -> None:
    quick = profile_to_dict(load_profile(QUICKSTART))
    valid = profile_to_dict(load_profile(QUICKSTART_VALID))
    assert valid["execution"] == "valid" and valid["assets"]["model"]["kind"] == "tiny"
    # the data set has the real one's size, so the rules' data-set-size checks hold
    assert valid["assets"]["dataset"]["count"] == rules.get_benchmark("resnet50").dataset_size
    valid["execution"] = quick["execution"]
    valid["assets"]["model"]["kind"] = quick["assets"]["model"]["kind"]
    valid["assets"]["dataset"]["count"] = quick["assets"]["dataset"]["count"]
    assert valid == quick


# -- saving --------------------------------------------------------------------------------------


def test_save_never_overwrites_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("precious\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="already exists"):
        save_profile(default_profile(), target)
    assert target.read_text(encoding="utf-8") == "precious\n"
    save_profile(default_profile(), target, overwrite=True)
    assert load_profile(target) == default_profile()


def test_save_then_load_is_identity_and_bytes_are_stable(tmp_path: Path) -> None:
    p = default_profile()
    first = save_profile(p, tmp_path / "a" / "one.yaml")
    second = save_profile(load_profile(first), tmp_path / "two.yaml")
    assert load_profile(first) == p
    assert first.read_bytes() == second.read_bytes()


def test_same_choices_in_another_order_dump_to_the_same_text() -> None:
    a = Profile.model_validate(
        _data(
            scenarios=["Offline", "SingleStream"],
            modes=["accuracy", "performance"],
            system={"cooling": "air", "status": "available"},
        )
    )
    b = Profile.model_validate(
        _data(
            scenarios=["SingleStream", "Offline"],
            modes=["performance", "accuracy"],
            system={"status": "available", "cooling": "air"},
        )
    )
    assert dump_profile(a) == dump_profile(b)


def test_names_are_normalised_to_ours() -> None:
    p = Profile.model_validate(_data(benchmark="resnet", round="6.1"))
    assert (p.benchmark, p.round) == ("resnet50", "v6.1")


def test_numbers_for_text_fields_become_text() -> None:
    p = Profile.model_validate(_data(system={"host_networking": 25}))
    assert p.system == {"host_networking": "25"}


def test_system_answers_include_the_top_level_choices() -> None:
    p = Profile.model_validate(_data(system={"cooling": "air"}, system_name="Box"))
    assert p.system_answers() == {
        "division": "open",
        "system_type": "edge",
        "submitter": "Quickstart",
        "system_name": "Box",
        "cooling": "air",
    }


def test_relative_paths_resolve_against_the_profile_folder(tmp_path: Path) -> None:
    assert resolve_profile_path("m.onnx", tmp_path / "p.yaml") == tmp_path.resolve() / "m.onnx"
    assert resolve_profile_path("/abs/m.onnx", tmp_path / "p.yaml") == Path("/abs/m.onnx")


# -- the rules ---------------------------------------------------------------------------------


def test_closed_edge_may_infer_multistream_and_offline_from_singlestream() -> None:
    bench = rules.get_benchmark("resnet50")
    inferable = [s for s, src in bench.inferable_from.items() if src == Scenario.SINGLE_STREAM]
    if not inferable:
        pytest.skip("the rules let resnet50 infer nothing from SingleStream")
    required = rules.required_scenarios(bench, Category.EDGE)
    listed = [s.value for s in required if s not in inferable]
    p = Profile.model_validate(
        _data(division="closed", scenarios=listed, infer_from_singlestream=True)
    )
    assert set(p.inferred_scenarios()) == {s for s in required if s not in p.scenarios}


def test_closed_edge_with_every_required_scenario_passes() -> None:
    required = [s.value for s in rules.required_scenarios("resnet50", "edge")]
    p = Profile.model_validate(_data(division="closed", scenarios=required))
    assert p.inferred_scenarios() == ()


def test_server_on_edge_is_refused_at_its_line() -> None:
    err = _error(_data(scenarios=["SingleStream", "Server"]))
    assert "Server is not a scenario of resnet50 in the edge category" in err.message
    assert "allowed here: SingleStream, MultiStream, Offline" in err.fix
    assert err.loc == ("scenarios", 1)


def test_closed_in_a_category_the_suite_lacks_is_refused() -> None:
    if Category.DATACENTER in rules.get_benchmark("resnet50").required_scenarios:
        pytest.skip("resnet50 is a datacenter benchmark in this round")
    err = _error(_data(division="closed", category="datacenter", scenarios=["Offline"]))
    assert err.loc == ("category",)
    assert "datacenter" in err.message


def test_open_takes_what_the_rules_allow_in_the_category() -> None:
    allowed = rules.allowed_scenarios("resnet50", "datacenter", "open")
    p = Profile.model_validate(_data(category="datacenter", scenarios=[s.value for s in allowed]))
    assert tuple(p.scenarios) == allowed


def test_target_for_a_scenario_not_run() -> None:
    err = _error(_data(targets={"Offline": {"target_qps": 10}}, scenarios=["SingleStream"]))
    assert "not in scenarios" in err.message


def test_an_empty_target_and_a_duplicate_scenario_are_refused() -> None:
    assert "sets no target" in _error(_data(targets={"Offline": {}})).message
    err = _error(_data(scenarios=["Offline", "Offline"]))
    assert "Offline is listed twice" in err.message and err.loc == ("scenarios",)


def test_targets_of_the_right_kind_pass() -> None:
    p = Profile.model_validate(
        _data(
            targets={
                "Offline": {"target_qps": 120.5},
                "SingleStream": {"target_latency_ms": 9},
            }
        )
    )
    assert list(p.targets) == [Scenario.SINGLE_STREAM, Scenario.OFFLINE]


def test_path_source_needs_a_path_and_kind_names_one_of_the_benchmarks_models() -> None:
    err = _error(_data(assets={"model": {"source": "path"}, "dataset": {"source": "path"}}))
    assert "path is missing" in err.message
    err = _error(
        _data(
            assets={
                "model": {"source": "path", "path": "m.onnx", "kind": "vgg16"},
                "dataset": {"source": "synthetic", "count": 8},
            }
        )
    )
    assert err.loc == ("assets", "model", "kind")
    assert '"vgg16" is not a model mlperf-tui can run for resnet50' in err.message
    assert "mobilenet" in err.fix
    # a file of an open-division model says which model it is
    data = _data(
        division="open",
        assets={
            "model": {"source": "path", "path": "m.onnx", "kind": "mobilenet"},
            "dataset": {"source": "synthetic", "count": 8},
        },
    )
    assert Profile.model_validate(data).assets.model.kind == "mobilenet"


def test_the_closed_division_refuses_an_open_division_model() -> None:
    err = _error(
        _data(
            division="closed",
            assets={
                "model": {"source": "synthetic", "kind": "efficientnet-lite"},
                "dataset": {"source": "synthetic", "count": 8},
            },
        )
    )
    assert err.loc == ("assets", "model", "kind")
    assert "efficientnet-lite" in err.message and "open-division model" in err.message
    assert "division: open" in err.fix


def test_synthetic_data_set_needs_a_size() -> None:
    err = _error(
        _data(assets={"model": {"source": "synthetic"}, "dataset": {"source": "synthetic"}})
    )
    assert "needs a size" in err.message


def test_synthetic_model_kind_defaults_to_resnet50() -> None:
    data = _data(
        assets={"model": {"source": "synthetic"}, "dataset": {"source": "synthetic", "count": 4}}
    )
    assert Profile.model_validate(data).assets.model.kind == "resnet50"


def test_system_type_must_include_the_category() -> None:
    err = _error(_data(system={"system_type": "datacenter"}))
    assert "does not include the category edge" in err.message


def test_yes_for_a_text_field_is_caught() -> None:
    # YAML reads an unquoted yes as true; a systems-JSON field wants text
    err = _error(_data(system={"cooling": True}))
    assert "must be text" in err.message and "quotes" in err.fix


# -- loading: file-level problems --------------------------------------------------------------


def test_missing_file_and_folder_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "nope.yaml")
    with pytest.raises(ProfileError, match="is a folder"):
        load_profile(tmp_path)


def test_binary_file_is_clear(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"\x08\xff\xfe\x00binary")
    with pytest.raises(ProfileError, match="not a text file"):
        load_profile(target)


def test_unknown_nested_key_points_at_its_line() -> None:
    text = dump_profile(default_profile()).replace("  batch_size: 32", "  batch_sise: 32")
    with pytest.raises(ProfileFieldError) as info:
        parse_profile(text, "x.yaml")
    line = text.splitlines().index("  batch_sise: 32") + 1
    assert info.value.line == line
    assert f"x.yaml, line {line}" in info.value.message
    assert 'did you mean "batch_size"' in info.value.message


def test_missing_required_key_names_it() -> None:
    text = "schema_version: 1\nbenchmark: resnet50\ndivision: open\ncategory: edge\n"
    text += "scenarios: [Offline]\n"
    with pytest.raises(ProfileFieldError, match="required key assets is missing"):
        parse_profile(text, "x.yaml")


# -- round trips (property) --------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")
#: a system name the package can make a folder of (no slash, "..", or leading dot)
_SYSTEM_NAME = _TEXT.filter(
    lambda s: "/" not in s and "\\" not in s and ".." not in s and not s.strip().startswith(".")
)
_SUBMITTER = st.text(
    alphabet=string.ascii_letters + string.digits + "_.+-", min_size=1, max_size=20
).filter(lambda s: s[0].isalnum())
_HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
_FREE_FIELDS = ("cooling", "host_memory_configuration", "hw_notes", "sw_notes", "host_networking")


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    category = draw(st.sampled_from(list(Category)))
    try:
        allowed = rules.allowed_scenarios("resnet50", category, "open")
    except RulesError:
        category, allowed = Category.EDGE, rules.allowed_scenarios("resnet50", "edge", "open")
    scenarios = draw(st.lists(st.sampled_from(allowed), min_size=1, unique=True))
    targets: dict[str, Any] = {}
    for scenario in draw(st.lists(st.sampled_from(scenarios), unique=True)):
        value = draw(st.floats(min_value=0.001, max_value=1e6, allow_nan=False))
        key = "target_qps" if scenario in ("Offline", "Server") else "target_latency_ms"
        targets[scenario] = {key: value}
    model_source = draw(st.sampled_from(["synthetic", "path", "url"]))
    model: dict[str, Any] = {"source": model_source}
    if model_source == "synthetic":
        model["kind"] = draw(st.sampled_from(["resnet50", "tiny"]))
    elif model_source == "path":
        model["path"] = draw(_TEXT)
    else:
        model["url"] = "https://example.org/" + draw(_SUBMITTER)
        model["sha256"] = draw(_HEX)
    dataset: dict[str, Any] = {"source": draw(st.sampled_from(["synthetic", "path"]))}
    if dataset["source"] == "synthetic":
        dataset["count"] = draw(st.integers(1, 10**6))
    else:
        dataset["path"] = draw(_TEXT)
        dataset["count"] = draw(st.none() | st.integers(1, 10**6))
    data: dict[str, Any] = {
        "benchmark": "resnet50",
        "division": "open",
        "category": category.value,
        "scenarios": scenarios,
        "modes": draw(
            st.lists(st.sampled_from(["performance", "accuracy"]), min_size=1, unique=True)
        ),
        "execution": "test",
        "backend": {
            "execution_provider": draw(st.sampled_from(EXECUTION_PROVIDERS)),
            "intra_op_threads": draw(st.integers(0, 512)),
            "batch_size": draw(st.integers(1, 4096)),
        },
        "targets": targets,
        "assets": {"model": model, "dataset": dataset, "seed": draw(st.integers(0, 2**63))},
        "submitter": draw(st.none() | _SUBMITTER),
        "system_name": draw(st.none() | _SYSTEM_NAME),
        "system": draw(st.dictionaries(st.sampled_from(_FREE_FIELDS), _TEXT, max_size=3)),
        "output": draw(st.none() | _TEXT),
    }
    if draw(st.booleans()):
        data["system"]["status"] = draw(st.sampled_from(["available", "preview", "rdi"]))
    return Profile.model_validate({k: v for k, v in data.items() if v is not None})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_dump_then_load_is_identity_and_dump_is_stable(profile: Profile) -> None:
    text = dump_profile(profile)
    again = parse_profile(text, "round-trip.yaml")
    assert again == profile
    assert dump_profile(again) == text
