"""What each benchmark *is*, the same in every round: names, task, data set, reference model.

The numbers a round sets (accuracy targets, scenarios, latency bounds, sample counts, compliance
tests) live in the round modules (``v6_1.py``, ``v6_0.py``, ``v5_1.py``, ``legacy.py``); they
combine one :class:`Facts` record from here with one record of numbers through :func:`bench`.

Sources:
- ``checker_model``: the model names of the official submission checker
  (mlcommons/inference, tools/submission/submission_checker/constants.py, ``MODEL_CONFIG``).
- ``loadgen_model``: the keys of LoadGen's built-in mlperf.conf (loadgen/mlperf.conf; the copy
  built into mlcommons-loadgen 6.0.17 was read for this module). LoadGen names the Llama 3.1
  models with an underscore (``llama3_1-8b``); the checker with a dot (``llama3.1-8b``).
- task, data set and reference model: the benchmark tables of inference_rules.adoc
  (mlcommons/inference_policies) and the reference implementations' READMEs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from mlperf_tui.rules.model import AccuracyTarget, Benchmark, Category, Scenario

SS = Scenario.SINGLE_STREAM
MS = Scenario.MULTI_STREAM
SERVER = Scenario.SERVER
OFFLINE = Scenario.OFFLINE
INTERACTIVE = Scenario.INTERACTIVE

#: the order scenarios are listed in everywhere (required_scenarios, allowed_scenarios, ...)
SCENARIO_ORDER: tuple[Scenario, ...] = (SS, MS, SERVER, OFFLINE, INTERACTIVE)

MS_TO_NS = 1_000_000


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
    harness_task: str | None = None
    loadgen_interactive_model: str | None = None
    aliases: tuple[str, ...] = ()


def _facts(*records: Facts) -> Mapping[str, Facts]:
    return MappingProxyType({r.name: r for r in records})


FACTS: Mapping[str, Facts] = _facts(
    Facts(
        "resnet50",
        checker_model="resnet",
        loadgen_model="resnet50",
        task="image classification",
        dataset="ImageNet 2012 validation (224x224)",
        reference_model="ResNet50-v1.5",
        harness_task="imagenet_classification",
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
    Facts(
        "bert-99",
        checker_model="bert-99",
        loadgen_model="bert",
        task="question answering",
        dataset="SQuAD v1.1 (max_seq_len 384)",
        reference_model="BERT-Large",
        variant="99",
        aliases=("bert",),
    ),
    Facts(
        "bert-99.9",
        checker_model="bert-99.9",
        loadgen_model="bert",
        task="question answering",
        dataset="SQuAD v1.1 (max_seq_len 384)",
        reference_model="BERT-Large",
        variant="99.9",
    ),
    Facts(
        "3d-unet-99",
        checker_model="3d-unet-99",
        loadgen_model="3d-unet",
        task="medical image segmentation",
        dataset="KiTS 2019",
        reference_model="3D U-Net",
        variant="99",
        aliases=("3d-unet", "3dunet"),
    ),
    Facts(
        "3d-unet-99.9",
        checker_model="3d-unet-99.9",
        loadgen_model="3d-unet",
        task="medical image segmentation",
        dataset="KiTS 2019",
        reference_model="3D U-Net",
        variant="99.9",
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
    Facts(
        "gpt-j-99",
        checker_model="gptj-99",
        loadgen_model="gptj",
        task="text summarization (LLM)",
        dataset="CNN-DailyMail v3.0.0 validation",
        reference_model="GPT-J 6B",
        variant="99",
        aliases=("gptj", "gpt-j", "gptj-99"),
    ),
    Facts(
        "gpt-j-99.9",
        checker_model="gptj-99.9",
        loadgen_model="gptj",
        task="text summarization (LLM)",
        dataset="CNN-DailyMail v3.0.0 validation",
        reference_model="GPT-J 6B",
        variant="99.9",
        aliases=("gptj-99.9",),
    ),
    Facts(
        "llama2-70b-99",
        checker_model="llama2-70b-99",
        loadgen_model="llama2-70b",
        task="LLM question answering",
        dataset="OpenOrca (GPT-4 subset)",
        reference_model="Llama 2 70B Chat",
        variant="99",
        loadgen_interactive_model="llama2-70b-interactive",
        aliases=("llama2-70b", "llama2"),
    ),
    Facts(
        "llama2-70b-99.9",
        checker_model="llama2-70b-99.9",
        loadgen_model="llama2-70b",
        task="LLM question answering",
        dataset="OpenOrca (GPT-4 subset)",
        reference_model="Llama 2 70B Chat",
        variant="99.9",
        loadgen_interactive_model="llama2-70b-interactive",
    ),
    # v5.0 only: the Interactive latency bounds were a separate benchmark then
    Facts(
        "llama2-70b-interactive-99",
        checker_model="llama2-70b-interactive-99",
        loadgen_model="llama2-70b-interactive",
        task="LLM question answering (interactive latency)",
        dataset="OpenOrca (GPT-4 subset)",
        reference_model="Llama 2 70B Chat",
        variant="99",
        aliases=("llama2-70b-interactive",),
    ),
    Facts(
        "llama2-70b-interactive-99.9",
        checker_model="llama2-70b-interactive-99.9",
        loadgen_model="llama2-70b-interactive",
        task="LLM question answering (interactive latency)",
        dataset="OpenOrca (GPT-4 subset)",
        reference_model="Llama 2 70B Chat",
        variant="99.9",
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
    Facts(
        "dlrm-v2-99",
        checker_model="dlrm-v2-99",
        loadgen_model="dlrm-v2",
        task="recommendation",
        dataset="Criteo 1TB Click Logs (multi-hot, day 23)",
        reference_model="DLRM-DCNv2",
        variant="99",
        aliases=("dlrm-v2", "dlrm"),
    ),
    Facts(
        "dlrm-v2-99.9",
        checker_model="dlrm-v2-99.9",
        loadgen_model="dlrm-v2",
        task="recommendation",
        dataset="Criteo 1TB Click Logs (multi-hot, day 23)",
        reference_model="DLRM-DCNv2",
        variant="99.9",
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
    ),
    Facts(
        "llama3.1-8b-edge",
        checker_model="llama3.1-8b-edge",
        loadgen_model="llama3_1-8b-edge",
        task="text summarization (LLM)",
        dataset="CNN-DailyMail v3.0.0 validation (5,000-sample subset)",
        reference_model="Llama 3.1 8B Instruct",
        aliases=("llama3_1-8b-edge",),
    ),
    Facts(
        "mixtral-8x7b",
        checker_model="mixtral-8x7b",
        loadgen_model="mixtral-8x7b",
        task="LLM (mixture of experts): Q&A, math, code",
        dataset="OpenOrca + GSM8K + MBXP",
        reference_model="Mixtral 8x7B Instruct v0.1",
        aliases=("mixtral",),
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
    ),
    Facts(
        "wan-2.2-t2v-a14b",
        checker_model="wan-2.2-t2v-a14b",
        loadgen_model="wan-2.2-t2v-a14b",
        task="text to video",
        dataset="VBench prompts",
        reference_model="Wan2.2-T2V-A14B",
        aliases=("wan-2.2",),
    ),
    Facts(
        "qwen3-vl-235b-a22b",
        checker_model="qwen3-vl-235b-a22b",
        loadgen_model="qwen3-vl-235b-a22b",
        task="vision-language (hierarchical product classification)",
        dataset="the reference implementation's image + text set (48,289 samples)",
        reference_model="Qwen3-VL-235B-A22B",
        aliases=("qwen3-vl",),
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
)


def acc(
    metric: str, reference: float, fraction: float, upper_limit: float | None = None
) -> AccuracyTarget:
    """One accuracy gate, written as the checker writes it: ``reference * fraction``."""
    return AccuracyTarget(
        metric=metric, reference=reference, fraction=fraction, upper_limit=upper_limit
    )


def _ordered(scenarios: tuple[Scenario, ...]) -> tuple[Scenario, ...]:
    return tuple(s for s in SCENARIO_ORDER if s in scenarios)


def bench(
    name: str,
    *,
    accuracy: tuple[AccuracyTarget, ...],
    dataset_size: int,
    performance_sample_count: int,
    min_queries: Mapping[Scenario, int],
    edge: tuple[Scenario, ...] | None = None,
    datacenter: tuple[Scenario, ...] | None = None,
    datacenter_edge: tuple[Scenario, ...] = (),
    optional_datacenter: tuple[Scenario, ...] = (),
    optional_edge: tuple[Scenario, ...] = (),
    optional_datacenter_edge: tuple[Scenario, ...] = (),
    server_latency_ms: int | None = None,
    ttft_ms: Mapping[Scenario, int] | None = None,
    tpot_ms: Mapping[Scenario, int] | None = None,
    compliance: tuple[str, ...] = (),
    offline_min_samples: int | None = None,
    accuracy_sample_count: int | None = None,
    compliance_delta_percent: Mapping[str, float] | None = None,
    source: str = "",
) -> Benchmark:
    """One benchmark of one round: the facts above plus the round's numbers.

    ``edge`` / ``datacenter`` are the checker's required-scenarios tables; ``None`` means the
    checker does not accept the benchmark in that category. On edge, MultiStream may be inferred
    from SingleStream and Offline from SingleStream (inference_rules.adoc, "Edge submitters are
    allowed to infer ..."), so ``inferable_from`` is derived from the edge scenarios.
    """
    facts = FACTS[name]
    required: dict[Category, tuple[Scenario, ...]] = {}
    optional: dict[Category, tuple[Scenario, ...]] = {}
    if edge is not None:
        required[Category.EDGE] = _ordered(edge)
        optional[Category.EDGE] = _ordered(optional_edge)
    if datacenter is not None:
        required[Category.DATACENTER] = _ordered(datacenter)
        optional[Category.DATACENTER] = _ordered(optional_datacenter)
    inferable: dict[Scenario, Scenario] = {}
    if edge is not None and SS in edge:
        for target in (MS, OFFLINE):
            if target in edge:
                inferable[target] = SS
    latency: dict[Scenario, int] = {}
    if server_latency_ms is not None:
        latency[SERVER] = server_latency_ms * MS_TO_NS
    if facts.variant in ("99", "99.9"):
        # the checker's get_delta_perc: 1% for "-99" models, 0.1% for "-99.9" ones
        default_delta = {"99": 1.0, "99.9": 0.1}[facts.variant]
    else:
        default_delta = 1.0
    delta = {t.metric: default_delta for t in accuracy}
    delta.update(compliance_delta_percent or {})
    return Benchmark(
        name=facts.name,
        checker_model=facts.checker_model,
        loadgen_model=facts.loadgen_model,
        task=facts.task,
        dataset=facts.dataset,
        dataset_size=dataset_size,
        reference_model=facts.reference_model,
        accuracy=accuracy,
        required_scenarios=MappingProxyType(required),
        optional_scenarios=MappingProxyType(optional),
        performance_sample_count=performance_sample_count,
        min_queries=MappingProxyType(dict(min_queries)),
        latency_bound_ns=MappingProxyType(latency),
        ttft_ns=MappingProxyType({s: v * MS_TO_NS for s, v in (ttft_ms or {}).items()}),
        tpot_ns=MappingProxyType({s: v * MS_TO_NS for s, v in (tpot_ms or {}).items()}),
        compliance_tests=compliance,
        inferable_from=MappingProxyType(inferable),
        accuracy_sample_count=accuracy_sample_count,
        variant=facts.variant,
        harness_task=facts.harness_task,
        offline_min_samples=offline_min_samples,
        required_scenarios_datacenter_edge=_ordered(datacenter_edge),
        optional_scenarios_datacenter_edge=_ordered(optional_datacenter_edge),
        # LoadGen runs Interactive as Server under its own key, where the round offers it
        loadgen_interactive_model=(
            facts.loadgen_interactive_model
            if any(INTERACTIVE in v for v in (*optional.values(), optional_datacenter_edge))
            else None
        ),
        aliases=facts.aliases,
        compliance_delta_percent=MappingProxyType(delta),
        source=source,
    )


def bench_99_pair(name: str, **numbers: Any) -> tuple[Benchmark, Benchmark]:
    """A "-99" benchmark and its "-99.9" twin.

    The checker's tables repeat the pair in full; the twin differs only in its name and in
    the accuracy gates that sit at 99% of the reference, which sit at 99.9% for it (gates with
    another fraction, such as tokens per sample at 90%, are the same for both).
    """
    accuracy: tuple[AccuracyTarget, ...] = numbers.pop("accuracy")
    stricter = tuple(replace(t, fraction=0.999) if t.fraction == 0.99 else t for t in accuracy)
    return (
        bench(name, accuracy=accuracy, **numbers),
        bench(f"{name}.9", accuracy=stricter, **numbers),
    )
