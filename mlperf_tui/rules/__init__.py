"""The MLPerf Inference rules as data: ask them, never repeat a number.

Rounds: every round the official submission checker knows, ``v6.1`` (the default) back to
``v4.0``, each a module beside this one written as the round before it plus its changes.

    >>> from mlperf_tui.rules import get_benchmark, required_scenarios
    >>> bench = get_benchmark("resnet")  # our name, the checker's, or LoadGen's key
    >>> bench.name, bench.loadgen_model, bench.server_latency_ns
    ('resnet50', 'resnet50', 15000000)
    >>> [s.value for s in required_scenarios(bench, "edge")]
    ['SingleStream', 'MultiStream', 'Offline']
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TypeVar, cast

from mlperf_tui.errors import RulesError, did_you_mean
from mlperf_tui.rules import compliance as _compliance
from mlperf_tui.rules.catalog import SCENARIO_ORDER
from mlperf_tui.rules.model import (
    AccuracyTarget,
    Benchmark,
    Category,
    Division,
    Execution,
    Layout,
    Mode,
    Round,
    Scenario,
    Seeds,
    SystemField,
)

__all__ = [
    "DEFAULT_ROUND",
    "ROUNDS",
    "AccuracyTarget",
    "Benchmark",
    "Category",
    "Division",
    "Execution",
    "Mode",
    "Round",
    "Scenario",
    "Seeds",
    "SystemField",
    "allowed_scenarios",
    "audit_config",
    "benchmark_names",
    "compliance_tests",
    "get_benchmark",
    "get_round",
    "normalize_round",
    "parse_category",
    "parse_division",
    "parse_scenario",
    "required_one_of",
    "required_scenarios",
    "rounds_with",
]

DEFAULT_ROUND = "v6.1"
#: the rounds the rules know, newest first (the official checker's tables, v4.0 to v6.1)
ROUNDS: tuple[str, ...] = ("v6.1", "v6.0", "v5.1", "v5.0", "v4.1", "v4.0")

#: compliance tests in the order a package lists them
_COMPLIANCE_ORDER: tuple[str, ...] = (
    "TEST01",
    "TEST04",
    "TEST05",
    "TEST06",
    "TEST07",
    "TEST08",
    "TEST09",
)


class _RoundSource(Protocol):
    """What a round module (v6_1.py, ...) exposes."""

    @property
    def VERSION(self) -> str: ...
    @property
    def SOURCE(self) -> str: ...
    @property
    def SEEDS(self) -> Seeds: ...
    @property
    def TEST05_SEEDS(self) -> Seeds | None: ...
    @property
    def BENCHMARKS(self) -> tuple[Benchmark, ...]: ...
    @property
    def LAYOUT(self) -> Layout: ...
    @property
    def MIN_DURATION_MS(self) -> int: ...
    @property
    def OFFLINE_MIN_SAMPLES(self) -> int: ...
    @property
    def MAX_ACCURACY_LOG_BYTES(self) -> int: ...
    @property
    def CHECKS_DATASET_SIZE(self) -> bool: ...
    @property
    def MODEL_MAPPING(self) -> Mapping[str, str]: ...


def _round_module(version: str) -> _RoundSource:
    # imported here so that importing mlperf_tui.rules stays cheap
    module = importlib.import_module(f"mlperf_tui.rules.{version.replace('.', '_')}")
    return cast(_RoundSource, module)


def normalize_round(version: str) -> str:
    """``"6.1"``, ``"V6.1"``, ``"v6.1"`` -> ``"v6.1"``; RulesError with did-you-mean otherwise."""
    text = str(version).strip().lower()
    if text and not text.startswith("v"):
        text = "v" + text
    if text in ROUNDS:
        return text
    raise RulesError(
        f'unknown MLPerf Inference round "{version}"{did_you_mean(str(version), ROUNDS)}',
        fix=f"use one of {', '.join(ROUNDS)}",
    )


@functools.cache
def _load_round(version: str) -> Round:
    module = _round_module(version)
    # systems.py is written by another area; imported lazily so a missing file only breaks
    # the rounds' system_fields, not every import of the rules
    from mlperf_tui.rules.systems import SYSTEM_FIELDS

    benchmarks = module.BENCHMARKS
    return Round(
        version=module.VERSION,
        benchmarks=MappingProxyType({b.name: b for b in benchmarks}),
        seeds=module.SEEDS,
        min_duration_ms=module.MIN_DURATION_MS,
        offline_min_samples=module.OFFLINE_MIN_SAMPLES,
        max_accuracy_log_bytes=module.MAX_ACCURACY_LOG_BYTES,
        system_fields=SYSTEM_FIELDS,
        model_mapping=MappingProxyType(dict(module.MODEL_MAPPING)),
        test05_seeds=module.TEST05_SEEDS,
        checks_dataset_size=module.CHECKS_DATASET_SIZE,
        layout=module.LAYOUT,
        source=module.SOURCE,
    )


def get_round(version: str = DEFAULT_ROUND) -> Round:
    """The rules of one round. Raises RulesError (with did-you-mean) for an unknown round."""
    return _load_round(normalize_round(version))


@functools.cache
def _name_index(version: str) -> dict[str, tuple[str, ...]]:
    """Every name a user may type (lower-cased) -> the benchmark ids it may mean, for a round.

    Our ids, the checker's names and the aliases name one benchmark each; a LoadGen key is
    shared by the 99 / 99.9 variants ("bert", "llama2-70b-interactive") unless an alias above
    already claims it.
    """
    index: dict[str, tuple[str, ...]] = {}
    benchmarks = _load_round(version).benchmarks.values()
    for bench in benchmarks:
        for name in (bench.name, bench.checker_model, *bench.aliases):
            index.setdefault(name.lower(), (bench.name,))
    by_key: dict[str, list[str]] = {}
    for bench in benchmarks:
        for key in (bench.loadgen_model, bench.loadgen_interactive_model):
            if key:
                by_key.setdefault(key.lower(), []).append(bench.name)
    for key, ids in by_key.items():
        index.setdefault(key, tuple(ids))
    return index


def benchmark_names(version: str = DEFAULT_ROUND) -> tuple[str, ...]:
    """Our ids of the benchmarks of one round, in the round's order."""
    return tuple(get_round(version).benchmarks)


def rounds_with(name: str) -> tuple[str, ...]:
    """The rounds (newest first) that know a benchmark name or alias."""
    key = name.strip().lower()
    return tuple(v for v in ROUNDS if key in _name_index(v))


def get_benchmark(name: str | Benchmark, version: str = DEFAULT_ROUND) -> Benchmark:
    """A benchmark by our id ("resnet50"), the checker's name ("resnet") or a LoadGen key.

    Raises RulesError naming the closest benchmark of the round, or the rounds that have it.
    """
    if isinstance(name, Benchmark):
        return name
    round_ = get_round(version)
    index = _name_index(round_.version)
    key = str(name).strip().lower()
    if key in index:
        ids = index[key]
        if len(ids) == 1:
            return round_.benchmarks[ids[0]]
        raise RulesError(
            f'"{name}" names {len(ids)} benchmarks of {round_.version}: {", ".join(ids)}',
            fix=f"say which one: {' or '.join(ids)}",
        )
    elsewhere = rounds_with(key)
    if elsewhere:
        raise RulesError(
            f'benchmark "{name}" is not part of MLPerf Inference {round_.version}; '
            f"it is in {', '.join(elsewhere)}",
            fix=f"choose round {elsewhere[0]} (--round {elsewhere[0]}), or a benchmark of "
            f"{round_.version}: {', '.join(round_.benchmarks)}",
        )
    raise RulesError(
        f'unknown benchmark "{name}" in MLPerf Inference {round_.version}'
        f"{did_you_mean(key, index)}",
        fix=f"use one of {', '.join(round_.benchmarks)}",
    )


_E = TypeVar("_E", bound=StrEnum)


def _parse(value: object, enum: type[_E], what: str) -> _E:
    if isinstance(value, enum):
        return value
    text = str(value).strip()
    for member in enum:
        if text.lower() in (member.value.lower(), member.name.lower()):
            return member
    choices = [m.value for m in enum]
    raise RulesError(
        f'unknown {what} "{value}"{did_you_mean(text, choices)}',
        fix=f"use one of {', '.join(choices)}",
    )


def parse_category(value: str | Category) -> Category:
    """``"edge"`` / ``Category.EDGE`` -> Category; RulesError with did-you-mean otherwise."""
    return _parse(value, Category, "category")


def parse_division(value: str | Division) -> Division:
    """``"closed"`` / ``Division.CLOSED`` -> Division; RulesError with did-you-mean otherwise."""
    return _parse(value, Division, "division")


def parse_scenario(value: str | Scenario) -> Scenario:
    """``"Offline"`` / ``"offline"`` -> Scenario; RulesError with did-you-mean otherwise."""
    return _parse(value, Scenario, "scenario")


def _in_suite(version: str, name: str, category: Category) -> bool:
    """Whether round ``version``'s ``category`` suite has the benchmark called ``name``."""
    bench = _load_round(version).benchmarks.get(name)
    return bench is not None and category in bench.required_scenarios


def _in_category(bench: Benchmark, category: Category) -> tuple[Scenario, ...]:
    if category in bench.required_scenarios:
        return bench.required_scenarios[category]
    others = [c.value for c in bench.categories]
    if others:
        where = f"only in the {' and '.join(others)} category"
        fix = f"choose category {others[0]}, or another benchmark"
    elif bench.required_scenarios_datacenter_edge:
        where = 'only from a system submitted as "datacenter,edge"'
        older = [v for v in rounds_with(bench.name) if _in_suite(v, bench.name, category)]
        fix = (
            f"choose round {older[0]}, where it is part of the {category.value} suite, or "
            "another benchmark"
            if older
            else "submit the system as datacenter,edge, or choose another benchmark"
        )
    else:
        where = "in no category"
        fix = "choose another benchmark or round"
    raise RulesError(
        f"{bench.name} is not part of the {category.value} suite; the checker accepts it {where}",
        fix=fix,
    )


def required_scenarios(bench: Benchmark | str, category: Category | str) -> tuple[Scenario, ...]:
    """The scenarios a closed-division submission of ``bench`` in ``category`` must contain.

    ``bench`` may be a Benchmark or a name (looked up in the default round).
    """
    return _in_category(get_benchmark(bench), parse_category(category))


def required_one_of(bench: Benchmark | str, category: Category | str) -> tuple[Scenario, ...]:
    """Scenarios of which a closed submission must contain at least one ("Server or Interactive").

    The checker (loader.py ``check_scenarios``) adds "(one of) Interactive or Server" to the
    missing scenarios when a benchmark's optional scenarios for the category hold both and the
    submission has neither. () where no such choice exists.
    """
    b = get_benchmark(bench)
    cat = parse_category(category)
    _in_category(b, cat)
    optional = b.optional_scenarios.get(cat, ())
    if Scenario.SERVER in optional and Scenario.INTERACTIVE in optional:
        return tuple(s for s in SCENARIO_ORDER if s in (Scenario.SERVER, Scenario.INTERACTIVE))
    return ()


#: the kinds of scenario each category's suite has (inference_rules.adoc: the edge suite runs
#: SingleStream, MultiStream and Offline; the datacenter suite Server, Offline and Interactive,
#: plus SingleStream where a datacenter benchmark requires it, e.g. wan-2.2-t2v-a14b)
_CATEGORY_KINDS: dict[Category, frozenset[Scenario]] = {
    Category.EDGE: frozenset({Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM, Scenario.OFFLINE}),
    Category.DATACENTER: frozenset({Scenario.SERVER, Scenario.OFFLINE, Scenario.INTERACTIVE}),
}


def _all_listed(bench: Benchmark) -> frozenset[Scenario]:
    """Every scenario any of the checker's tables lists for the benchmark."""
    listed: set[Scenario] = set(bench.required_scenarios_datacenter_edge)
    listed.update(bench.optional_scenarios_datacenter_edge)
    for scenarios in (*bench.required_scenarios.values(), *bench.optional_scenarios.values()):
        listed.update(scenarios)
    return frozenset(listed)


def allowed_scenarios(
    bench: Benchmark | str, category: Category | str, division: Division | str
) -> tuple[Scenario, ...]:
    """The scenarios a submission of ``bench`` in ``category`` and ``division`` may contain.

    Closed: the checker's required and optional scenarios for the category (it rejects any
    other scenario folder); it must contain all of :func:`required_scenarios` and one of
    :func:`required_one_of`. A benchmark the category's suite does not list raises RulesError.

    Open: the checker does not check scenarios, but the category still decides what a scenario
    means: the category's own list where the suite has the benchmark, otherwise the scenarios
    the checker lists for the benchmark anywhere that are of the category's kind (never Server
    or Interactive on edge). RulesError when that leaves nothing.
    """
    b = get_benchmark(bench)
    cat = parse_category(category)
    div = parse_division(division)
    if div.strict or cat in b.required_scenarios:
        required = _in_category(b, cat)
        optional = b.optional_scenarios.get(cat, ())
        return tuple(s for s in SCENARIO_ORDER if s in required or s in optional)
    listed = _all_listed(b) & _CATEGORY_KINDS[cat]
    if not listed:
        _in_category(b, cat)  # raises with the categories that do list it
    return tuple(s for s in SCENARIO_ORDER if s in listed)


def compliance_tests(bench: Benchmark | str, division: Division | str) -> tuple[str, ...]:
    """The compliance tests a submission must include: the checker's lists; () in open."""
    b = get_benchmark(bench)
    if parse_division(division) is Division.OPEN:
        return ()
    return tuple(t for t in _COMPLIANCE_ORDER if t in b.compliance_tests)


def audit_config(test: str, bench: Benchmark | str) -> str:
    """The audit.config text the compliance folder of mlcommons/inference gives.

    Raises RulesError when the test does not apply to the benchmark, or when we do not carry
    that benchmark's file.
    """
    b = get_benchmark(bench)
    name = test.strip().upper()
    if name not in _COMPLIANCE_ORDER:
        raise RulesError(
            f'unknown compliance test "{test}"{did_you_mean(name, _COMPLIANCE_ORDER)}',
            fix=f"use one of {', '.join(_COMPLIANCE_ORDER)}",
        )
    if name not in b.compliance_tests:
        applies = ", ".join(b.compliance_tests) or "none"
        raise RulesError(
            f"{name} does not apply to {b.name} (its compliance tests: {applies})",
            fix="run only the compliance tests compliance_tests() lists",
        )
    text: str | None
    if name == "TEST01":
        text = _compliance.test01_audit_config(b.loadgen_model)
    elif name == "TEST04":
        text = _compliance.TEST04_AUDIT_CONFIG
    elif name == "TEST06":
        text = _compliance.TEST06_AUDIT_CONFIG
    else:
        text = None
    if text is None:
        raise RulesError(
            f"mlperf-tui does not carry the {name} audit.config for {b.name}",
            fix=f"copy compliance/{name}/{b.loadgen_model}/audit.config from mlcommons/inference",
        )
    return text
