"""The rules of a round as plain data (``mlperf-tui rules --json``): names, scenarios, gates.

One reader of the rules model for machines: tools that script around mlperf-tui read this
instead of the Python objects. Scenario tables are keyed the checker's way: ``edge``,
``datacenter`` and ``datacenter,edge``.
"""

from __future__ import annotations

from typing import Any

from mlperf_tui.rules.model import AccuracyTarget, Benchmark, Category, Round


def _gate(target: AccuracyTarget) -> dict[str, Any]:
    return {
        "metric": target.metric,
        "at_least": target.threshold,
        "at_most": target.upper_limit,
        "reference": target.reference,
        "fraction": target.fraction,
    }


def _names(scenarios: tuple[Any, ...]) -> list[str]:
    return [s.value for s in scenarios]


def benchmark_dict(bench: Benchmark, round_: Round) -> dict[str, Any]:
    """Everything the rules say about one benchmark in one round."""
    scenarios: dict[str, Any] = {}
    for category in Category:
        if category in bench.required_scenarios:
            scenarios[category.value] = {
                "required": _names(bench.required_scenarios[category]),
                "optional": _names(bench.optional_scenarios.get(category, ())),
            }
    if bench.required_scenarios_datacenter_edge:
        scenarios["datacenter,edge"] = {
            "required": _names(bench.required_scenarios_datacenter_edge),
            "optional": _names(bench.optional_scenarios_datacenter_edge),
        }
    offered = bench.all_scenarios()
    return {
        "name": bench.name,
        "checker_model": bench.checker_model,
        "loadgen_model": bench.loadgen_model,
        "task": bench.task,
        "dataset": bench.dataset,
        "dataset_size": bench.dataset_size,
        "reference_model": bench.reference_model,
        "scenarios": scenarios,
        "accuracy": [_gate(t) for t in bench.accuracy],
        "accuracy_by_scenario": {
            s.value: [_gate(t) for t in targets]
            for s, targets in bench.accuracy_by_scenario.items()
        },
        "accuracy_samples": {s.value: bench.accuracy_samples(s) for s in offered},
        "performance_sample_count": bench.performance_sample_count,
        "min_queries": {s.value: n for s, n in bench.min_queries.items()},
        "offline_min_samples": bench.offline_min_samples or round_.offline_min_samples,
        "latency_bound_ns": {s.value: n for s, n in bench.latency_bound_ns.items()},
        "ttft_ns": {s.value: n for s, n in bench.ttft_ns.items()},
        "tpot_ns": {s.value: n for s, n in bench.tpot_ns.items()},
        "min_duration_ms": None if bench.single_pass else round_.min_duration_ms,
        "compliance_tests": list(bench.compliance_tests),
        "result_keys": {s.value: k for s, k in bench.result_keys.items()},
        "units": {s.value: u for s, u in bench.units.items() if s in offered},
        "llm": bench.llm,
        "endpoints_allowed": bench.endpoints_allowed,
    }


def round_dict(round_: Round) -> dict[str, Any]:
    """A round's constants and every benchmark it has."""
    seeds = round_.seeds
    return {
        "round": round_.version,
        "source": round_.source,
        "seeds": {
            "qsl_rng_seed": seeds.qsl_rng_seed,
            "sample_index_rng_seed": seeds.sample_index_rng_seed,
            "schedule_rng_seed": seeds.schedule_rng_seed,
        },
        "min_duration_ms": round_.min_duration_ms,
        "divisions": [d.value for d in round_.divisions],
        "model_mapping": dict(round_.model_mapping),
        "benchmarks": [benchmark_dict(b, round_) for b in round_.benchmarks.values()],
    }
