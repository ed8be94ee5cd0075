"""The rules equal the official submission checker's tables, field by field, in every round.

The oracle is the unmodified checker in the reference copy (``tests/reference_copy.py``): its
``constants.py`` for v5.0 on, the single-file checker of tags v4.0 and v4.1 before that, plus
the few lists the checker writes in code (LLM models, equal-issue models, compliance tests of
the v4.x checkers, the benchmarks exempt from the minimum duration). Both sides are projected
into the same plain view (:func:`theirs`, :func:`ours`); any difference fails with the round,
the model, the field and both values. Nothing here copies a number from the checker.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
import reference_copy as ref

from mlperf_tui import rules
from mlperf_tui.rules import Benchmark, Category, Scenario
from mlperf_tui.rules.systems import REQUIRED_FIELD_NAMES, SYSTEM_FIELD_NAMES

SCENARIOS = [s.value for s in Scenario]

#: where we carry a number the checker lacks, and why (the only exceptions)
NOT_IN_CHECKER: Mapping[tuple[str, str, str], str] = {
    ("v5.0", "gptj-99", "offline_min_samples"): "OFFLINE_MIN_SPQ_SINCE_V4 lost gptj (KeyError "
    "in the checker); LoadGen's gptj.Offline.min_query_count is 13368",
    ("v5.0", "gptj-99.9", "offline_min_samples"): "as gptj-99",
}


def _scenario_set(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _pairs(flat: Iterable[Any]) -> tuple[tuple[str, float], ...]:
    items = list(flat)
    return tuple((str(items[i]), float(items[i + 1])) for i in range(0, len(items), 2))


# -- the checker's side ------------------------------------------------------------------------


def _config_list(function: str) -> list[str]:
    """The list literal a method of the modular checker's Config returns or tests against."""
    path = ref.checker_dir() / "submission_checker" / "configuration" / "configuration.py"
    node = ref.function_node(path, function)
    for sub in ast.walk(node):
        if isinstance(sub, ast.List) and all(isinstance(e, ast.Constant) for e in sub.elts):
            return [str(ast.literal_eval(e)) for e in sub.elts]
    raise LookupError(function)


def _min_duration_exempt() -> set[str]:
    """The models PerformanceCheck.min_duration_check lets through without 600 s."""
    path = ref.checker_dir() / "submission_checker" / "checks" / "performance_check.py"
    node = ref.function_node(path, "min_duration_check")
    for sub in ast.walk(node):
        if isinstance(sub, ast.Compare) and isinstance(sub.comparators[0], ast.Tuple):
            return {str(ast.literal_eval(e)) for e in sub.comparators[0].elts}
    return set()


def _v4_compliance(version: str, model: str) -> tuple[str, ...]:
    """check_compliance_dir of a v4.x checker: the lines that build test_list, run alone."""
    path = ref.checker_file(version)
    node = ref.function_node(path, "check_compliance_dir")
    body: list[ast.stmt] = []
    for stmt in node.body:
        if isinstance(stmt, ast.If) and "os.path" in ast.unparse(stmt.test):
            break
        body.append(stmt)

    class _Config:
        pass

    config = _Config()
    config.version = version  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {"model": model, "config": config}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), namespace)
    return tuple(namespace["test_list"])


def _accuracy_target(config: Mapping[str, Any], model: str, scenario: str | None) -> Any:
    """Config.get_accuracy_target of the modular checker (a dict per scenario for qwen3-vl)."""
    target = config["accuracy-target"][model]
    if not isinstance(target, dict):
        return target
    if scenario is not None and scenario in target:
        return target[scenario]
    if "default" in target:
        return target["default"]
    for fallback in ("Offline", "Server"):
        if fallback in target:
            return target[fallback]
    raise LookupError(model)


def _listed(config: Mapping[str, Any], model: str) -> set[str]:
    found: set[str] = set()
    for key in (
        "required-scenarios-edge",
        "required-scenarios-datacenter",
        "required-scenarios-datacenter-edge",
        "optional-scenarios-edge",
        "optional-scenarios-datacenter",
        "optional-scenarios-datacenter-edge",
    ):
        found.update(config.get(key, {}).get(model, ()))
    return found


def _llm_limits(tables: Mapping[str, Any], version: str, model: str) -> dict[str, Any]:
    if "LLM_LATENCY_LIMITS" in tables:
        limits = dict(tables["LLM_LATENCY_LIMITS"].get(model, {}))
    elif version == "v4.0" and model.startswith("llama2-70b"):
        limits = dict(tables["LLAMA2_LATENCY_LIMITS"])
    else:
        limits = {}
    # the v4.x checkers name the Server limits "conversational"
    if "conversational" in limits:
        limits["Server"] = limits.pop("conversational")
    return {
        "ttft": {s: v["ttft"] for s, v in limits.items()},
        "tpot": {s: v["tpot"] for s, v in limits.items()},
    }


def theirs(version: str, model: str) -> dict[str, Any]:
    """The checker's view of one model in one round."""
    tables = ref.checker_tables(version)
    config = tables["MODEL_CONFIG"][version]
    out: dict[str, Any] = {}
    for table, name in (
        ("required-scenarios-edge", "required[edge]"),
        ("required-scenarios-datacenter", "required[datacenter]"),
        ("required-scenarios-datacenter-edge", "required[datacenter,edge]"),
    ):
        out[name] = _scenario_set(config[table].get(model))
    for table, name in (
        ("optional-scenarios-edge", "optional[edge]"),
        ("optional-scenarios-datacenter", "optional[datacenter]"),
        ("optional-scenarios-datacenter-edge", "optional[datacenter,edge]"),
    ):
        out[name] = frozenset(config.get(table, {}).get(model, ()))
    out["accuracy"] = _pairs(_accuracy_target(config, model, None))
    for scenario in SCENARIOS:  # a scenario's own gates, where they differ
        own = _pairs(_accuracy_target(config, model, scenario))
        if own != out["accuracy"]:
            out[f"accuracy[{scenario}]"] = own
    out["upper_limits"] = _pairs(config.get("accuracy-upper-limit", {}).get(model, ()))
    metrics = {m for key, gates in out.items() if key.startswith("accuracy") for m, _ in gates}
    explicit = config.get("accuracy-delta-perc", {}).get(model, {})
    out["delta_percent"] = {
        m: float(explicit.get(m, 0.1 if "99.9" in model else 1)) for m in sorted(metrics)
    }
    out["performance_sample_count"] = config["performance-sample-count"][model]
    if "dataset-size" in config:
        out["dataset_size"] = config["dataset-size"][model]
    if "accuracy-sample-count" in config:
        counts = config["accuracy-sample-count"]
        for scenario in sorted(_listed(config, model)):
            count = counts.get(model, config["dataset-size"][model])
            out[f"accuracy_samples[{scenario}]"] = (
                count.get(scenario, count) if isinstance(count, dict) else count
            )
    out["latency_ns"] = dict(config.get("latency-constraint", {}).get(model, {}))
    out["min_queries"] = dict(config["min-queries"][model])
    if version in ("v4.0", "v4.1"):
        tests = _v4_compliance(version, model)
    else:
        tests = tuple(
            t
            for t in ("TEST01", "TEST04", "TEST06", "TEST07", "TEST08", "TEST09")
            if model in config.get(f"models_{t}", [])
        )
    out["compliance"] = frozenset(tests)
    out["offline_min_samples"] = tables["OFFLINE_MIN_SPQ_SINCE_V4"].get(model)
    out.update(_llm_limits(tables, version, model))
    if "ENDPOINTS_ALLOWED_MODELS" in tables:
        out["endpoints_allowed"] = model in tables["ENDPOINTS_ALLOWED_MODELS"]
    keys = {s: k for s, k in tables["RESULT_FIELD_NEW"][version].items() if s in SCENARIOS}
    overwrite = tables.get("RESULT_FIELD_BENCHMARK_OVERWRITE", {})
    overwrite = overwrite.get(version, overwrite if version == "v4.0" else {})
    keys.update(overwrite.get(model, {}))
    out["result_keys"] = keys
    if "UNIT_DICT" in tables:
        units = {s: u for s, u in tables["UNIT_DICT"].items() if s in SCENARIOS}
        units.update(
            {s: u for s, u in tables["SPECIAL_UNIT_DICT"].get(model, {}).items() if s in SCENARIOS}
        )
        out["units"] = units
    extra = tables.get("REQUIRED_ACC_BENCHMARK", {}).get(model, {}).get(version, {})
    out["accuracy_extra_files"] = {k: tuple(v) for k, v in extra.items()}
    if version in ("v4.0", "v4.1"):
        out["llm"] = bool(out["ttft"])
        out["equal_issue"] = version == "v4.1" and model in _v41_equal_issue()
    else:
        out["llm"] = model in _config_list("get_llm_models")
        out["equal_issue"] = False  # Config.requires_equal_issue: only in v4.1
        out["single_pass"] = model in _min_duration_exempt()
    return out


def _v41_equal_issue() -> list[str]:
    """The names Config.requires_equal_issue of the v4.1 checker tests ``model`` against."""
    node = ref.function_node(ref.checker_file("v4.1"), "requires_equal_issue")
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Compare)
            and isinstance(sub.left, ast.Name)
            and sub.left.id == "model"
            and isinstance(sub.comparators[0], ast.List)
        ):
            return [str(ast.literal_eval(e)) for e in sub.comparators[0].elts]
    raise LookupError("requires_equal_issue")


# -- our side ------------------------------------------------------------------------------------


def _ms_set(bench: Benchmark, category: Category) -> frozenset[str] | None:
    scenarios = bench.required_scenarios.get(category)
    return None if scenarios is None else frozenset(s.value for s in scenarios)


def ours(version: str, bench: Benchmark, listed: set[str], out_keys: set[str]) -> dict[str, Any]:
    """Our view of one benchmark in one round, in the shape of :func:`theirs`."""
    round_ = rules.get_round(version)
    out: dict[str, Any] = {
        "required[edge]": _ms_set(bench, Category.EDGE),
        "required[datacenter]": _ms_set(bench, Category.DATACENTER),
        "required[datacenter,edge]": (
            frozenset(s.value for s in bench.required_scenarios_datacenter_edge) or None
        ),
        "optional[edge]": frozenset(
            s.value for s in bench.optional_scenarios.get(Category.EDGE, ())
        ),
        "optional[datacenter]": frozenset(
            s.value for s in bench.optional_scenarios.get(Category.DATACENTER, ())
        ),
        "optional[datacenter,edge]": frozenset(
            s.value for s in bench.optional_scenarios_datacenter_edge
        ),
    }

    def gates(scenario: str | None) -> tuple[tuple[str, float], ...]:
        targets = bench.accuracy_for(scenario)
        return tuple((t.metric, t.threshold) for t in targets if t.threshold is not None)

    out["accuracy"] = gates(None)
    for scenario in SCENARIOS:
        if gates(scenario) != out["accuracy"]:
            out[f"accuracy[{scenario}]"] = gates(scenario)
    out["upper_limits"] = tuple(
        (t.metric, t.upper_limit) for t in bench.accuracy if t.upper_limit is not None
    )
    out["delta_percent"] = dict(sorted(bench.compliance_delta_percent.items()))
    out["performance_sample_count"] = bench.performance_sample_count
    if round_.checks_dataset_size:
        out["dataset_size"] = bench.dataset_size
        for scenario in sorted(listed):
            out[f"accuracy_samples[{scenario}]"] = bench.accuracy_samples(scenario)
    out["latency_ns"] = {s.value: v for s, v in bench.latency_bound_ns.items()}
    out["min_queries"] = {s.value: v for s, v in bench.min_queries.items()}
    out["compliance"] = frozenset(bench.compliance_tests)
    out["offline_min_samples"] = bench.offline_min_samples
    out["ttft"] = {s.value: v for s, v in bench.ttft_ns.items()}
    out["tpot"] = {s.value: v for s, v in bench.tpot_ns.items()}
    out["endpoints_allowed"] = bench.endpoints_allowed
    out["result_keys"] = {s.value: k for s, k in bench.result_keys.items()}
    out["units"] = {s.value: u for s, u in bench.units.items()}
    out["accuracy_extra_files"] = dict(bench.accuracy_extra_files)
    out["llm"] = bench.llm
    out["equal_issue"] = bench.equal_issue
    out["single_pass"] = bench.single_pass
    return {k: v for k, v in out.items() if k in out_keys}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def differences(version: str) -> list[str]:
    """Every field where our round differs from the checker's, one line each."""
    tables = ref.checker_tables(version)
    config = tables["MODEL_CONFIG"][version]
    round_ = rules.get_round(version)
    by_checker = {b.checker_model: b for b in round_.benchmarks.values()}
    lines: list[str] = []
    models = list(config["models"])
    if sorted(models) != sorted(by_checker):
        lines.append(f"{version}: models: checker {sorted(models)} != ours {sorted(by_checker)}")
    for model in models:
        bench = by_checker.get(model)
        if bench is None:
            continue
        want = theirs(version, model)
        have = ours(version, bench, _listed(config, model), set(want))
        for field in want:
            if (version, model, field) in NOT_IN_CHECKER:
                continue
            if not _same(want[field], have.get(field)):
                lines.append(
                    f"{version} {model} {field}: checker {want[field]!r} != ours "
                    f"{have.get(field)!r}"
                )
    return lines


@pytest.mark.parametrize("version", rules.ROUNDS)
def test_every_model_equals_the_checker(version: str) -> None:
    found = differences(version)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("version", rules.ROUNDS)
def test_round_constants_equal_the_checker(version: str) -> None:
    tables = ref.checker_tables(version)
    config = tables["MODEL_CONFIG"][version]
    round_ = rules.get_round(version)
    seeds = round_.seeds
    assert config["seeds"] == {
        "qsl_rng_seed": seeds.qsl_rng_seed,
        "sample_index_rng_seed": seeds.sample_index_rng_seed,
        "schedule_rng_seed": seeds.schedule_rng_seed,
    }
    if "test05_seeds" in config:
        assert round_.test05_seeds is not None
        assert config["test05_seeds"] == {
            "qsl_rng_seed": round_.test05_seeds.qsl_rng_seed,
            "sample_index_rng_seed": round_.test05_seeds.sample_index_rng_seed,
            "schedule_rng_seed": round_.test05_seeds.schedule_rng_seed,
        }
    else:
        assert round_.test05_seeds is None
    assert dict(round_.model_mapping) == config["model_mapping"]
    assert round_.min_duration_ms == tables["TEST_DURATION_MS"]
    assert round_.offline_min_samples == tables["OFFLINE_MIN_SPQ"]
    assert round_.max_accuracy_log_bytes == tables["MAX_ACCURACY_LOG_SIZE"]
    assert round_.max_file_bytes == tables["FILE_SIZE_LIMIT_MB"] * tables["MB_TO_BYTES"]
    assert {d.value for d in round_.divisions} == set(tables["VALID_DIVISIONS"])
    assert round_.checks_dataset_size == ("dataset-size" in config)
    assert config["ignore_errors"] == []  # we ignore no LoadGen error either


def test_every_checker_round_is_a_round_of_ours() -> None:
    assert sorted(ref.checker_rounds()) == sorted(rules.ROUNDS)


def test_system_fields_equal_the_checker() -> None:
    tables = ref.checker_tables(rules.DEFAULT_ROUND)
    assert list(SYSTEM_FIELD_NAMES) == tables["SYSTEM_DESC_REQUIRED_FIELDS"]
    assert set(REQUIRED_FIELD_NAMES) == set(
        tables["SYSTEM_DESC_MEANINGFUL_RESPONSE_REQUIRED_FIELDS"]
    )


def test_a_changed_number_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The differential test can fail: one number off in one round is reported precisely."""
    import dataclasses

    round_ = rules.get_round("v6.1")
    bert = round_.benchmarks["bert-99"]
    changed = dataclasses.replace(bert, performance_sample_count=bert.performance_sample_count + 1)
    patched = dataclasses.replace(round_, benchmarks={**round_.benchmarks, "bert-99": changed})
    monkeypatch.setattr(rules, "get_round", lambda version=rules.DEFAULT_ROUND: patched)
    found = differences("v6.1")
    assert found == [
        f"v6.1 bert-99 performance_sample_count: checker {bert.performance_sample_count!r} "
        f"!= ours {bert.performance_sample_count + 1!r}"
    ]


def _key_values(text: str) -> dict[str, str]:
    """What LoadGen reads of an audit.config: its ``key = value`` lines."""
    pairs = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def _audit_cases() -> list[Any]:
    cases = []
    for version in rules.ROUNDS:
        for bench in rules.get_round(version).benchmarks.values():
            for test in ("TEST01", "TEST04", "TEST06"):
                if test in bench.compliance_tests:
                    cases.append(pytest.param(test, bench, id=f"{version}-{bench.name}-{test}"))
    return cases


@pytest.mark.parametrize(("test", "bench"), _audit_cases())
def test_audit_config_equals_the_compliance_folder(test: str, bench: Benchmark) -> None:
    from mlperf_tui.rules.compliance import test01_folder

    folder = ref.inference_root() / "compliance" / test
    if test == "TEST01":
        folder = folder / test01_folder(bench.loadgen_model)
    path = folder / "audit.config"
    assert path.is_file(), f"the reference has no {path}"
    assert _key_values(rules.audit_config(test, bench)) == _key_values(path.read_text())


@pytest.mark.parametrize("version", rules.ROUNDS)
def test_rules_command_lists_exactly_the_checkers_models(
    version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from mlperf_tui.cli import main

    assert main(["rules", "--round", version, "--json"]) == 0
    listed = [b["checker_model"] for b in json.loads(capsys.readouterr().out)["benchmarks"]]
    assert sorted(listed) == sorted(ref.checker_tables(version)["MODEL_CONFIG"][version]["models"])
