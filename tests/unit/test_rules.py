"""The rules API behaves: names, rounds, scenarios per category and division, compliance.

That every number equals the official checker's is tested against the checker itself, in
tests/unit/test_rules_checker.py; this module pins no checker number.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError, RulesError
from mlperf_tui.rules import Category, Division, Scenario


def test_round_shape() -> None:
    for version in rules.ROUNDS:
        round_ = rules.get_round(version)
        assert round_.version == version
        assert round_.multistream_samples_per_query == 8  # *.MultiStream.samples_per_query
        assert round_.source and all(b.source == round_.source for b in round_.benchmarks.values())


def test_system_fields_come_from_systems_module() -> None:
    fields = rules.get_round().system_fields
    assert len(fields) == 35
    assert sum(f.required for f in fields) == 26


# --- the older benchmarks ------------------------------------------------------------------


def test_llama2_interactive_was_a_benchmark_in_v5_0() -> None:
    bench = rules.get_benchmark("llama2-70b-interactive-99", "v5.0")
    assert set(bench.ttft_ns) == {Scenario.SERVER}  # its Server run had the tighter bounds
    assert rules.get_benchmark("llama2-70b-99", "v5.0").loadgen_interactive_model is None
    # from v5.1 on, Interactive is a scenario that LoadGen runs under its own key
    assert rules.get_benchmark("llama2-70b-99.9").loadgen_interactive_model == (
        "llama2-70b-interactive"
    )
    assert Scenario.INTERACTIVE in rules.allowed_scenarios(
        "llama2-70b-99.9", "datacenter", "closed"
    )


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "version", "expected"),
    [
        ("resnet50", "v6.1", "resnet50"),  # ours
        ("resnet", "v6.1", "resnet50"),  # the checker's
        ("ResNet50", "v6.1", "resnet50"),  # any case
        ("bert", "v6.1", "bert-99"),  # LoadGen's key, shared: the 99 variant
        ("3d-unet", "v5.1", "3d-unet-99"),
        ("llama3_1-405b", "v6.0", "llama3.1-405b"),  # LoadGen's spelling
        ("llama3_1-8b-interactive", "v6.1", "llama3.1-8b"),  # LoadGen's Interactive key
        ("sdxl", "v6.1", "stable-diffusion-xl"),
        ("yolo", "v6.1", "yolo-99"),
        ("gptj", "v5.0", "gpt-j-99"),
        ("gpt-j-99.9", "v5.0", "gpt-j-99.9"),
    ],
)
def test_benchmark_aliases(typed: str, version: str, expected: str) -> None:
    assert rules.get_benchmark(typed, version).name == expected


def test_loadgen_keys_follow_mlperf_conf() -> None:
    keys = {b.name: b.loadgen_model for b in rules.get_round("v6.1").benchmarks.values()}
    assert keys["resnet50"] == "resnet50"
    assert keys["bert-99.9"] == "bert"
    assert keys["3d-unet-99"] == "3d-unet"
    assert keys["llama3.1-8b"] == "llama3_1-8b"
    assert keys["yolo-95"] == "yolo"
    assert rules.get_benchmark("resnet").checker_model == "resnet"


def test_unknown_benchmark_says_did_you_mean() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("resnet5O")
    assert 'did you mean "resnet' in err.value.message
    assert "resnet50" in err.value.fix


def test_benchmark_of_another_round_names_the_round() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("rnnt")
    assert "v4.0" in err.value.message
    assert "--round v4.0" in err.value.fix
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("dlrm-v2-99", "v6.0")  # dropped from v6.0's models list
    assert "v5.1" in err.value.message


def test_ambiguous_loadgen_key_lists_the_choices() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("llama2-70b-interactive", "v6.0")
    assert "llama2-70b-99" in err.value.message and "llama2-70b-99.9" in err.value.message


@pytest.mark.parametrize("typed", ["6.1", "V6.1", " v6.1 "])
def test_round_names(typed: str) -> None:
    assert rules.get_round(typed).version == "v6.1"


def test_unknown_round_says_did_you_mean() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_round("v6.2")
    assert 'did you mean "v6.1"' in err.value.message or "v6.1" in err.value.fix
    assert isinstance(err.value, MlperfTuiError)
    assert rules.get_round().version == rules.DEFAULT_ROUND == "v6.1"
    assert rules.ROUNDS == ("v6.1", "v6.0", "v5.1", "v5.0", "v4.1", "v4.0")


def test_unknown_category_and_scenario_say_did_you_mean() -> None:
    with pytest.raises(RulesError) as err:
        rules.required_scenarios("resnet50", "egde")
    assert 'did you mean "edge"' in err.value.message
    with pytest.raises(RulesError) as err:
        rules.parse_scenario("Ofline")
    assert 'did you mean "Offline"' in err.value.message
    assert rules.parse_scenario("offline") is Scenario.OFFLINE


# --- scenarios -------------------------------------------------------------------------------


def test_resnet50_scenarios_in_v6_1() -> None:
    bench = rules.get_benchmark("resnet50")
    assert rules.required_scenarios(bench, Category.EDGE) == (
        Scenario.SINGLE_STREAM,
        Scenario.MULTI_STREAM,
        Scenario.OFFLINE,
    )
    assert rules.allowed_scenarios(bench, "edge", "closed") == rules.required_scenarios(
        bench, "edge"
    )
    # the edge suite has no Server: never offered on edge, in either division
    for division in Division:
        assert Scenario.SERVER not in rules.allowed_scenarios(bench, Category.EDGE, division)
    # the v6.x checker has no datacenter entry for resnet: closed datacenter is refused ...
    with pytest.raises(RulesError) as err:
        rules.allowed_scenarios(bench, Category.DATACENTER, Division.CLOSED)
    assert "edge" in err.value.message
    # ... open division (the checker does not check scenarios there) may run Server
    assert rules.allowed_scenarios(bench, "datacenter", "open") == (
        Scenario.SERVER,
        Scenario.OFFLINE,
    )


def test_resnet50_datacenter_in_v5_0_required_server() -> None:
    bench = rules.get_benchmark("resnet50", "v5.0")
    assert rules.required_scenarios(bench, "datacenter") == (Scenario.SERVER, Scenario.OFFLINE)


def test_edge_only_benchmarks_never_offer_server_on_edge() -> None:
    for bench in rules.get_round().benchmarks.values():
        if Category.EDGE not in bench.required_scenarios:
            continue
        for division in Division:
            allowed = rules.allowed_scenarios(bench, Category.EDGE, division)
            assert Scenario.SERVER not in allowed, bench.name
            assert Scenario.INTERACTIVE not in allowed, bench.name


def test_closed_allows_exactly_required_plus_optional() -> None:
    for bench in rules.get_round().benchmarks.values():
        for category in bench.categories:
            required = rules.required_scenarios(bench, category)
            allowed = rules.allowed_scenarios(bench, category, Division.CLOSED)
            assert set(required) <= set(allowed), bench.name
            assert set(allowed) - set(required) == set(
                bench.optional_scenarios.get(category, ())
            ), bench.name


def test_server_or_interactive_choice() -> None:
    bench = rules.get_benchmark("llama2-70b-99.9")
    assert rules.required_scenarios(bench, "datacenter") == (Scenario.OFFLINE,)
    assert rules.required_one_of(bench, "datacenter") == (Scenario.SERVER, Scenario.INTERACTIVE)
    assert rules.allowed_scenarios(bench, "datacenter", "closed") == (
        Scenario.SERVER,
        Scenario.OFFLINE,
        Scenario.INTERACTIVE,
    )
    assert rules.required_one_of("rgat", "datacenter") == ()
    assert rules.required_one_of("resnet50", "edge") == ()


def test_category_the_suite_lacks_is_refused_with_the_right_one() -> None:
    with pytest.raises(RulesError) as err:
        rules.required_scenarios("llama2-70b-99.9", "edge")
    assert "datacenter" in err.value.message
    with pytest.raises(RulesError) as err:
        rules.required_scenarios(rules.get_benchmark("retinanet", "v6.0"), "edge")
    assert "datacenter,edge" in err.value.message


def test_edge_scenarios_inferable_from_singlestream() -> None:
    resnet = rules.get_benchmark("resnet50")
    assert resnet.inferable_from == {
        Scenario.MULTI_STREAM: Scenario.SINGLE_STREAM,
        Scenario.OFFLINE: Scenario.SINGLE_STREAM,
    }
    assert rules.get_benchmark("bert-99").inferable_from == {
        Scenario.OFFLINE: Scenario.SINGLE_STREAM
    }
    assert rules.get_benchmark("whisper").inferable_from == {}  # edge has no SingleStream
    assert rules.get_benchmark("llama2-70b-99.9").inferable_from == {}  # not on edge


# --- compliance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "tests"),
    [
        ("resnet50", "v6.1", ("TEST01", "TEST04")),
        ("retinanet", "v6.0", ("TEST01",)),
        ("bert-99", "v6.1", ("TEST01",)),
        ("3d-unet-99.9", "v6.1", ("TEST01",)),
        ("stable-diffusion-xl", "v6.1", ("TEST01", "TEST04")),
        ("llama2-70b-99", "v6.0", ("TEST06",)),
        ("gpt-oss-120b", "v6.1", ("TEST07", "TEST09")),
        ("dlrm-v3", "v6.1", ("TEST08",)),
        ("qwen3-vl-235b-a22b", "v6.1", ()),
        ("dlrm-v2-99", "v5.1", ("TEST01",)),
        ("resnet50", "v4.0", ("TEST01", "TEST04", "TEST05")),
    ],
)
def test_compliance_tests(name: str, version: str, tests: tuple[str, ...]) -> None:
    bench = rules.get_benchmark(name, version)
    assert rules.compliance_tests(bench, Division.CLOSED) == tests
    assert rules.compliance_tests(bench, "open") == ()


def test_audit_configs_for_resnet50() -> None:
    test01 = rules.audit_config("TEST01", "resnet50")
    assert "*.*.mode = 2\n" in test01
    assert "*.*.accuracy_log_rng_seed = 720381539243781796\n" in test01
    assert "*.*.accuracy_log_sampling_target = " in test01
    test04 = rules.audit_config("test04", "resnet50")
    for scenario in ("SingleStream", "MultiStream", "Server", "Offline"):
        assert f"*.{scenario}.mode = 2\n" in test04
        assert f"*.{scenario}.performance_issue_same = 1\n" in test04
        assert f"*.{scenario}.performance_issue_same_index = 3\n" in test04
        assert f"*.{scenario}.performance_issue_unique = 0\n" in test04
    # every non-comment line is a LoadGen 'model.scenario.key = value' setting
    for text in (test01, test04, rules.audit_config("TEST06", "llama2-70b-99.9")):
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition(" = ")
                model, scenario, setting = key.rsplit(".", 2)  # model names may hold dots
                assert model and setting and value.strip(), line
                assert scenario == "*" or scenario in {s.value for s in Scenario}, line


def test_audit_config_refuses_tests_that_do_not_apply() -> None:
    with pytest.raises(RulesError) as err:
        rules.audit_config("TEST04", "bert-99")
    assert "TEST01" in err.value.message
    with pytest.raises(RulesError) as err:
        rules.audit_config("TEST1", "resnet50")
    assert 'did you mean "TEST01"' in err.value.message
    with pytest.raises(RulesError):
        rules.audit_config("TEST07", "gpt-oss-120b")  # a file mlperf-tui does not carry


def test_importing_rules_loads_no_ui() -> None:
    code = (
        "import sys, mlperf_tui.rules as r; r.get_round(); r.get_benchmark('resnet');"
        "print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
