"""The builder of a round's benchmarks.

A round module (``v4_0.py`` ... ``v6_1.py``) holds one :class:`Spec` per benchmark, the round's
numbers written in the checker's vocabulary; :func:`build` joins each with its
:class:`~mlperf_tui.rules.facts.Facts` record into a :class:`~mlperf_tui.rules.model.Benchmark`.
A later round is written as the round before it plus its changes (:func:`derive`), which is how
the checker's tables moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from mlperf_tui.rules.facts import FACTS
from mlperf_tui.rules.model import AccuracyTarget, Benchmark, Category, Scenario

SS = Scenario.SINGLE_STREAM
MS = Scenario.MULTI_STREAM
SERVER = Scenario.SERVER
OFFLINE = Scenario.OFFLINE
INTERACTIVE = Scenario.INTERACTIVE

#: the order scenarios are listed in everywhere (required_scenarios, allowed_scenarios, ...)
SCENARIO_ORDER: tuple[Scenario, ...] = (SS, MS, SERVER, OFFLINE, INTERACTIVE)

MS_TO_NS = 1_000_000

#: constants.py UNIT_DICT: the unit of each scenario's result
DEFAULT_UNITS: Mapping[Scenario, str] = MappingProxyType(
    {
        SS: "Latency (ms)",
        MS: "Latency (ms)",
        OFFLINE: "Samples/s",
        SERVER: "Queries/s",
        INTERACTIVE: "Queries/s",
    }
)


def acc(
    metric: str, reference: float | None, fraction: float = 1.0, upper_limit: float | None = None
) -> AccuracyTarget:
    """One accuracy gate, written as the checker writes it: ``reference * fraction``."""
    return AccuracyTarget(
        metric=metric, reference=reference, fraction=fraction, upper_limit=upper_limit
    )


@dataclass(frozen=True)
class Spec:
    """One benchmark's numbers in one round, in the vocabulary of the checker's tables.

    ``edge`` / ``datacenter`` / ``datacenter_edge`` are "required-scenarios-edge",
    "-datacenter" and "-datacenter-edge"; None where the table has no entry (the checker does
    not accept the benchmark for that system type). Latency, TTFT and TPOT bounds are in
    milliseconds (the checker stores nanoseconds).
    """

    accuracy: tuple[AccuracyTarget, ...]
    dataset_size: int
    performance_sample_count: int
    min_queries: Mapping[Scenario, int]
    edge: tuple[Scenario, ...] | None = None
    datacenter: tuple[Scenario, ...] | None = None
    datacenter_edge: tuple[Scenario, ...] | None = None
    optional_edge: tuple[Scenario, ...] = ()
    optional_datacenter: tuple[Scenario, ...] = ()
    optional_datacenter_edge: tuple[Scenario, ...] = ()
    #: "latency-constraint"
    latency_ms: Mapping[Scenario, int] = field(default_factory=dict)
    #: LLM_LATENCY_LIMITS
    ttft_ms: Mapping[Scenario, int] = field(default_factory=dict)
    tpot_ms: Mapping[Scenario, int] = field(default_factory=dict)
    #: the models_TEST0x lists that name the benchmark
    compliance: tuple[str, ...] = ()
    #: OFFLINE_MIN_SPQ_SINCE_V4
    offline_min_samples: int | None = None
    #: "accuracy-sample-count" (None: the data set)
    accuracy_sample_count: int | None = None
    accuracy_sample_count_by_scenario: Mapping[Scenario, int] = field(default_factory=dict)
    #: "accuracy-target" of the scenarios that have their own
    accuracy_by_scenario: Mapping[Scenario, tuple[AccuracyTarget, ...]] = field(
        default_factory=dict
    )
    #: "accuracy-delta-perc" (the rest: 1% for "-99" names, 0.1% for "-99.9" ones)
    compliance_delta_percent: Mapping[str, float] = field(default_factory=dict)
    #: RESULT_FIELD_BENCHMARK_OVERWRITE
    result_keys: Mapping[Scenario, str] = field(default_factory=dict)
    #: REQUIRED_ACC_BENCHMARK
    accuracy_extra_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: None: the benchmark's fact (get_llm_models); a round may differ
    llm: bool | None = None
    equal_issue: bool = False
    single_pass: bool = False


def stricter(spec: Spec) -> Spec:
    """The "-99.9" twin of a "-99" spec: the gates at 99% of the reference move to 99.9%.

    The checker's tables repeat each pair in full; gates with another fraction (tokens per
    sample at 90%, absolute bounds) are the same for both.
    """

    def up(targets: tuple[AccuracyTarget, ...]) -> tuple[AccuracyTarget, ...]:
        return tuple(replace(t, fraction=0.999) if t.fraction == 0.99 else t for t in targets)

    return replace(
        spec,
        accuracy=up(spec.accuracy),
        accuracy_by_scenario={s: up(t) for s, t in spec.accuracy_by_scenario.items()},
    )


def pair(name: str, spec: Spec) -> dict[str, Spec]:
    """A "-99" benchmark and its "-99.9" twin, as two entries of a round's specs."""
    return {name: spec, f"{name}.9": stricter(spec)}


def derive(
    previous: Mapping[str, Spec],
    *,
    drop: Iterable[str] = (),
    change: Mapping[str, Mapping[str, object]] | None = None,
    add: Mapping[str, Spec] | None = None,
) -> Mapping[str, Spec]:
    """A round as the round before it plus its changes.

    ``drop`` the benchmarks the round's "models" list no longer names, ``change`` fields of
    the ones that stay (by :class:`Spec` field name), ``add`` the new ones. Raises KeyError or
    TypeError at import for a name that does not exist, so a typo cannot pass silently.
    """
    specs = dict(previous)
    for name in drop:
        del specs[name]
    for name, fields in (change or {}).items():
        specs[name] = replace(specs[name], **fields)  # type: ignore[arg-type]
    for name, spec in (add or {}).items():
        if name in specs:
            raise KeyError(f"{name} is already in the round; change it instead")
        specs[name] = spec
    return MappingProxyType(specs)


def _ordered(scenarios: Iterable[Scenario]) -> tuple[Scenario, ...]:
    chosen = set(scenarios)
    return tuple(s for s in SCENARIO_ORDER if s in chosen)


def _ns(table: Mapping[Scenario, int]) -> Mapping[Scenario, int]:
    return MappingProxyType({s: v * MS_TO_NS for s, v in table.items()})


def _default_delta(checker_model: str) -> float:
    # the checker's get_delta_perc: 0.1% where the name holds "99.9", else 1%
    return 0.1 if "99.9" in checker_model else 1.0


def build_one(
    name: str, spec: Spec, *, result_keys: Mapping[Scenario, str], source: str
) -> Benchmark:
    """One benchmark of one round: its facts plus the round's numbers.

    On edge, MultiStream may be inferred from SingleStream and Offline from SingleStream
    (inference_rules.adoc, "Edge submitters are allowed to infer ..."), so ``inferable_from``
    is derived from the edge scenarios.
    """
    facts = FACTS[name]
    required: dict[Category, tuple[Scenario, ...]] = {}
    optional: dict[Category, tuple[Scenario, ...]] = {}
    if spec.edge is not None:
        required[Category.EDGE] = _ordered(spec.edge)
        optional[Category.EDGE] = _ordered(spec.optional_edge)
    if spec.datacenter is not None:
        required[Category.DATACENTER] = _ordered(spec.datacenter)
        optional[Category.DATACENTER] = _ordered(spec.optional_datacenter)
    inferable: dict[Scenario, Scenario] = {}
    if spec.edge is not None and SS in spec.edge:
        for target in (MS, OFFLINE):
            if target in spec.edge:
                inferable[target] = SS
    # the metrics TEST01 compares (those with a lower bound)
    metrics = {t.metric for t in spec.accuracy if t.reference is not None}
    for targets in spec.accuracy_by_scenario.values():
        metrics.update(t.metric for t in targets if t.reference is not None)
    delta = {m: _default_delta(facts.checker_model) for m in sorted(metrics)}
    delta.update(spec.compliance_delta_percent)
    offers_interactive = any(
        INTERACTIVE in v
        for v in (spec.optional_edge, spec.optional_datacenter, spec.optional_datacenter_edge)
    )
    return Benchmark(
        name=facts.name,
        checker_model=facts.checker_model,
        loadgen_model=facts.loadgen_model,
        task=facts.task,
        dataset=facts.dataset,
        dataset_size=spec.dataset_size,
        reference_model=facts.reference_model,
        accuracy=spec.accuracy,
        required_scenarios=MappingProxyType(required),
        optional_scenarios=MappingProxyType(optional),
        performance_sample_count=spec.performance_sample_count,
        min_queries=MappingProxyType(dict(spec.min_queries)),
        latency_bound_ns=_ns(spec.latency_ms),
        ttft_ns=_ns(spec.ttft_ms),
        tpot_ns=_ns(spec.tpot_ms),
        compliance_tests=spec.compliance,
        inferable_from=MappingProxyType(inferable),
        accuracy_sample_count=spec.accuracy_sample_count,
        variant=facts.variant,
        offline_min_samples=spec.offline_min_samples,
        required_scenarios_datacenter_edge=_ordered(spec.datacenter_edge or ()),
        optional_scenarios_datacenter_edge=_ordered(spec.optional_datacenter_edge),
        # LoadGen runs Interactive as Server under its own key, where the round offers it
        loadgen_interactive_model=facts.loadgen_interactive_model if offers_interactive else None,
        aliases=facts.aliases,
        compliance_delta_percent=MappingProxyType(delta),
        accuracy_by_scenario=MappingProxyType(dict(spec.accuracy_by_scenario)),
        accuracy_sample_count_by_scenario=MappingProxyType(
            dict(spec.accuracy_sample_count_by_scenario)
        ),
        result_keys=MappingProxyType({**result_keys, **spec.result_keys}),
        units=MappingProxyType({**DEFAULT_UNITS, **facts.units}),
        accuracy_extra_files=MappingProxyType(dict(spec.accuracy_extra_files)),
        llm=facts.llm if spec.llm is None else spec.llm,
        endpoints_allowed=facts.endpoints_allowed,
        equal_issue=spec.equal_issue,
        single_pass=spec.single_pass,
        source=source,
    )


def build(
    specs: Mapping[str, Spec], *, result_keys: Mapping[Scenario, str], source: str
) -> tuple[Benchmark, ...]:
    """Every benchmark of a round, in the order of its specs."""
    return tuple(
        build_one(name, spec, result_keys=result_keys, source=source)
        for name, spec in specs.items()
    )
