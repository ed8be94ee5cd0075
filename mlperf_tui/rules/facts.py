"""What each benchmark *is*, the same in every round: its names, task, data set, reference model.

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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from mlperf_tui.rules.model import Scenario

SS = Scenario.SINGLE_STREAM
SERVER = Scenario.SERVER
OFFLINE = Scenario.OFFLINE
INTERACTIVE = Scenario.INTERACTIVE

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
