"""What each benchmark *is* (the same in every round), and the builder of a round's benchmarks.

A round module (``v4_0.py`` ... ``v6_1.py``) holds one :class:`Spec` per benchmark, the round's
numbers written in the checker's vocabulary; :func:`build` joins each with its :class:`Facts`
record from here into a :class:`~mlperf_tui.rules.model.Benchmark`. A later round is written as
the round before it plus its changes (:func:`derive`), which is how the checker's tables moved.

Sources:
- ``checker_model``: the model names of the official submission checker
  (mlcommons/inference, tools/submission/submission_checker/constants.py, ``MODEL_CONFIG``).
- ``loadgen_model``: the keys of LoadGen's built-in mlperf.conf (loadgen/mlperf.conf). LoadGen
  names the Llama 3.1 models with an underscore (``llama3_1-8b``), the checker with a dot.
  Benchmarks newer than the reference mlperf.conf (qwen3.6-27b, e2e-rag-*, dlrm-v3) use the
  checker's name.
- ``llm``: the checker's ``Config.get_llm_models``; ``endpoints_allowed``:
  ``ENDPOINTS_ALLOWED_MODELS``; ``units``: ``SPECIAL_UNIT_DICT`` over ``UNIT_DICT``.
- task, data set and reference model: the benchmark tables of inference_rules.adoc
  (mlcommons/inference_policies) and the reference implementations' READMEs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

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

_TOKENS = "Tokens/s"
_LLM_UNITS = MappingProxyType({OFFLINE: _TOKENS, SERVER: _TOKENS, INTERACTIVE: _TOKENS})


@dataclass(frozen=True)
class Facts:
    """The round-independent facts about one benchmark."""

    name: str
    checker_model: str
    loadgen_model: str
    task: str
    dataset: str
    reference_model: str
    variant: str = ""
    loadgen_interactive_model: str | None = None
    aliases: tuple[str, ...] = ()
    llm: bool = False
    endpoints_allowed: bool = False
    #: SPECIAL_UNIT_DICT: units that differ from DEFAULT_UNITS
    units: Mapping[Scenario, str] = field(default_factory=dict)


def _facts(*records: Facts) -> Mapping[str, Facts]:
    return MappingProxyType({r.name: r for r in records})


def _pair(base: Facts, **first: object) -> tuple[Facts, Facts]:
    """A "-99" benchmark's facts and its "-99.9" twin's (the same but for the names)."""
    low = replace(base, **first)  # type: ignore[arg-type]
    high = replace(
        base,
        name=f"{base.name}.9",
        checker_model=f"{base.checker_model}.9",
        variant="99.9",
        aliases=(),
    )
    return low, high


FACTS: Mapping[str, Facts] = _facts(
    Facts(
        "resnet50",
        checker_model="resnet",
        loadgen_model="resnet50",
        task="image classification",
        dataset="ImageNet 2012 validation (224x224)",
        reference_model="ResNet50-v1.5",
        aliases=("resnet50-v1.5", "resnet-50"),
    ),
    Facts(
        "retinanet",
        checker_model="retinanet",
        loadgen_model="retinanet",
        task="object detection",
        dataset="OpenImages MLPerf subset (800x800)",
        reference_model="RetinaNet (ResNeXt50-32x4d FPN)",
        aliases=("retinanet-800", "ssd-resnet34"),
    ),
    *_pair(
        Facts(
            "bert-99",
            checker_model="bert-99",
            loadgen_model="bert",
            task="question answering",
            dataset="SQuAD v1.1 (max_seq_len 384)",
            reference_model="BERT-Large",
            variant="99",
        ),
        aliases=("bert",),
    ),
    *_pair(
        Facts(
            "3d-unet-99",
            checker_model="3d-unet-99",
            loadgen_model="3d-unet",
            task="medical image segmentation",
            dataset="KiTS 2019",
            reference_model="3D U-Net",
            variant="99",
        ),
        aliases=("3d-unet", "3dunet"),
    ),
    Facts(
        "rnnt",
        checker_model="rnnt",
        loadgen_model="rnnt",
        task="speech to text",
        dataset="LibriSpeech dev-clean (samples < 15 s)",
        reference_model="RNN-T",
        aliases=("rnn-t",),
    ),
    *_pair(
        Facts(
            "gpt-j-99",
            checker_model="gptj-99",
            loadgen_model="gptj",
            task="text summarization (LLM)",
            dataset="CNN-DailyMail v3.0.0 validation",
            reference_model="GPT-J 6B",
            variant="99",
        ),
        aliases=("gptj", "gpt-j"),
    ),
    *_pair(
        Facts(
            "llama2-70b-99",
            checker_model="llama2-70b-99",
            loadgen_model="llama2-70b",
            task="LLM question answering",
            dataset="OpenOrca (GPT-4 subset)",
            reference_model="Llama 2 70B Chat",
            variant="99",
            loadgen_interactive_model="llama2-70b-interactive",
            llm=True,
            units=_LLM_UNITS,
        ),
        aliases=("llama2-70b", "llama2"),
    ),
    # v5.0 only: the Interactive latency bounds were a separate benchmark then
    *_pair(
        Facts(
            "llama2-70b-interactive-99",
            checker_model="llama2-70b-interactive-99",
            loadgen_model="llama2-70b-interactive",
            task="LLM question answering (interactive latency)",
            dataset="OpenOrca (GPT-4 subset)",
            reference_model="Llama 2 70B Chat",
            variant="99",
            llm=True,
        ),
        aliases=("llama2-70b-interactive",),
    ),
    Facts(
        "stable-diffusion-xl",
        checker_model="stable-diffusion-xl",
        loadgen_model="stable-diffusion-xl",
        task="text to image",
        dataset="COCO 2014 captions (5,000 prompts)",
        reference_model="Stable Diffusion XL 1.0 base",
        aliases=("sdxl",),
    ),
    *_pair(
        Facts(
            "dlrm-v2-99",
            checker_model="dlrm-v2-99",
            loadgen_model="dlrm-v2",
            task="recommendation",
            dataset="Criteo 1TB Click Logs (multi-hot, day 23)",
            reference_model="DLRM-DCNv2",
            variant="99",
        ),
        aliases=("dlrm-v2", "dlrm"),
    ),
    Facts(
        "llama3.1-8b",
        checker_model="llama3.1-8b",
        loadgen_model="llama3_1-8b",
        task="text summarization (LLM)",
        dataset="CNN-DailyMail v3.0.0 validation",
        reference_model="Llama 3.1 8B Instruct",
        loadgen_interactive_model="llama3_1-8b-interactive",
        aliases=("llama3_1-8b",),
        llm=True,
        endpoints_allowed=True,
        units=_LLM_UNITS,
    ),
    Facts(
        "llama3.1-8b-edge",
        checker_model="llama3.1-8b-edge",
        loadgen_model="llama3_1-8b-edge",
        task="text summarization (LLM)",
        dataset="CNN-DailyMail v3.0.0 validation (5,000-sample subset)",
        reference_model="Llama 3.1 8B Instruct",
        aliases=("llama3_1-8b-edge",),
        llm=True,
        endpoints_allowed=True,
        units={OFFLINE: _TOKENS},
    ),
    Facts(
        "mixtral-8x7b",
        checker_model="mixtral-8x7b",
        loadgen_model="mixtral-8x7b",
        task="LLM (mixture of experts): Q&A, math, code",
        dataset="OpenOrca + GSM8K + MBXP",
        reference_model="Mixtral 8x7B Instruct v0.1",
        aliases=("mixtral",),
        llm=True,
        units=_LLM_UNITS,
    ),
    Facts(
        "llama3.1-405b",
        checker_model="llama3.1-405b",
        loadgen_model="llama3_1-405b",
        task="LLM long-context Q&A and summarization",
        dataset="LongBench, LongDataCollections, RULER, GovReport subset",
        reference_model="Llama 3.1 405B Instruct",
        loadgen_interactive_model="llama3_1-405b-interactive",
        aliases=("llama3_1-405b",),
        llm=True,
        units=_LLM_UNITS,
    ),
    Facts(
        "rgat",
        checker_model="rgat",
        loadgen_model="rgat",
        task="graph node classification",
        dataset="IGBH (full)",
        reference_model="R-GAT",
    ),
    Facts(
        "pointpainting",
        checker_model="pointpainting",
        loadgen_model="pointpainting",
        task="3D object detection (automotive)",
        dataset="Waymo Open Dataset",
        reference_model="PointPainting (PointPillars + DeepLabv3+)",
    ),
    Facts(
        "deepseek-r1",
        checker_model="deepseek-r1",
        loadgen_model="deepseek-r1",
        task="reasoning LLM",
        dataset="AIME, MATH500, GPQA, MMLU-Pro, LiveCodeBench mix",
        reference_model="DeepSeek-R1",
        loadgen_interactive_model="deepseek-r1-interactive",
        llm=True,
        endpoints_allowed=True,
        units=_LLM_UNITS,
    ),
    Facts(
        "whisper",
        checker_model="whisper",
        loadgen_model="whisper",
        task="speech to text",
        dataset="LibriSpeech dev-clean + dev-other",
        reference_model="Whisper Large v3",
    ),
    Facts(
        "gpt-oss-120b",
        checker_model="gpt-oss-120b",
        loadgen_model="gpt-oss-120b",
        task="reasoning LLM",
        dataset="AIME, GPQA, LiveCodeBench mix",
        reference_model="gpt-oss-120b",
        loadgen_interactive_model="gpt-oss-120b-interactive",
        llm=True,
        endpoints_allowed=True,
        units=_LLM_UNITS,
    ),
    Facts(
        "wan-2.2-t2v-a14b",
        checker_model="wan-2.2-t2v-a14b",
        loadgen_model="wan-2.2-t2v-a14b",
        task="text to video",
        dataset="VBench prompts",
        reference_model="Wan2.2-T2V-A14B",
        aliases=("wan-2.2",),
        endpoints_allowed=True,
        units={SS: "Latency (s)"},
    ),
    Facts(
        "qwen3-vl-235b-a22b",
        checker_model="qwen3-vl-235b-a22b",
        loadgen_model="qwen3-vl-235b-a22b",
        task="vision-language (hierarchical product classification)",
        dataset="the reference implementation's image + text set (48,289 samples)",
        reference_model="Qwen3-VL-235B-A22B",
        aliases=("qwen3-vl",),
        endpoints_allowed=True,
    ),
    Facts(
        "qwen3.6-27b",
        checker_model="qwen3.6-27b",
        loadgen_model="qwen3.6-27b",
        task="vision-language model on an edge system (mAP-scored)",
        dataset="the reference implementation's set (995 samples)",
        reference_model="Qwen3.6-27B",
        aliases=("qwen3.6",),
        endpoints_allowed=True,
    ),
    Facts(
        "dlrm-v3",
        checker_model="dlrm-v3",
        loadgen_model="dlrm-v3",
        task="recommendation (generative, sequential)",
        dataset="the reference implementation's synthetic streaming set (349,823 samples)",
        reference_model="DLRMv3 (HSTU)",
    ),
    Facts(
        "yolo-95",
        checker_model="yolo-95",
        loadgen_model="yolo",
        task="object detection",
        dataset="COCO subset (1,525 images)",
        reference_model="YOLO (reference implementation)",
        variant="95",
    ),
    Facts(
        "yolo-99",
        checker_model="yolo-99",
        loadgen_model="yolo",
        task="object detection",
        dataset="COCO subset (1,525 images)",
        reference_model="YOLO (reference implementation)",
        variant="99",
        aliases=("yolo",),
    ),
    Facts(
        "e2e-rag-qna",
        checker_model="e2e-rag-qna",
        loadgen_model="e2e-rag-qna",
        task="end-to-end retrieval-augmented generation: question answering",
        dataset="the reference implementation's 824 questions",
        reference_model="the e2e RAG reference pipeline",
        units={OFFLINE: "Tasks/s"},
    ),
    Facts(
        "e2e-rag-db",
        checker_model="e2e-rag-db",
        loadgen_model="e2e-rag-db",
        task="end-to-end retrieval-augmented generation: database ingestion",
        dataset="the reference implementation's 2,515 documents",
        reference_model="the e2e RAG reference pipeline",
    ),
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
