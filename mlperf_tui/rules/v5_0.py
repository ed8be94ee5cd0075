"""MLPerf Inference v5.0: v4.1 plus the changes of ``MODEL_CONFIG["v5.0"]``.

From here on the rounds come from the modular checker, mlcommons/inference
tools/submission/submission_checker/constants.py (commit b66003e), whose global tables
(OFFLINE_MIN_SPQ_SINCE_V4, LLM_LATENCY_LIMITS, ...) serve every round it knows. v5.0 added
Llama 3.1 405B, R-GAT, PointPainting and the separate llama2-70b-interactive benchmarks, moved
BERT out of the datacenter suite, retired TEST05 and lists the compliance tests as tables.

One quirk, encoded by its effect: OFFLINE_MIN_SPQ_SINCE_V4 lost gptj, so the checker stops
with a KeyError on a closed gptj Offline run; we keep the 13,368 of the v4.x checker and of
LoadGen's ``gptj.Offline.min_query_count``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlperf_tui.rules import v4_0, v4_1
from mlperf_tui.rules.catalog import (
    INTERACTIVE,
    OFFLINE,
    SERVER,
    SS,
    Spec,
    acc,
    build,
    derive,
)
from mlperf_tui.rules.model import Benchmark, Scenario, Seeds

VERSION = "v5.0"

SOURCE = (
    "mlcommons/inference b66003e, tools/submission/submission_checker/constants.py, "
    'MODEL_CONFIG["v5.0"]'
)

SEEDS = Seeds(
    qsl_rng_seed=6023615788873153749,
    sample_index_rng_seed=15036839855038426416,
    schedule_rng_seed=9933818062894767841,
)
TEST05_SEEDS: Seeds | None = None

MIN_DURATION_MS = v4_1.MIN_DURATION_MS
OFFLINE_MIN_SAMPLES = v4_1.OFFLINE_MIN_SAMPLES
MAX_ACCURACY_LOG_BYTES = v4_1.MAX_ACCURACY_LOG_BYTES
CHECKS_DATASET_SIZE = True
LAYOUT = v4_1.LAYOUT

#: RESULT_FIELD_NEW["v5.0"]
RESULT_KEYS: Mapping[Scenario, str] = v4_1.RESULT_KEYS

MODEL_MAPPING: Mapping[str, str] = {**v4_1.MODEL_MAPPING, "llama3_1-405b": "llama3.1-405b"}

_TOKENS = {OFFLINE: "result_tokens_per_second", SERVER: "result_completed_tokens_per_second"}

#: LLM_LATENCY_LIMITS of the modular checker
_LLAMA2_TTFT = {SERVER: 2000, INTERACTIVE: 450}
_LLAMA2_TPOT = {SERVER: 200, INTERACTIVE: 40}


def _llama2_interactive(fraction: float) -> Spec:
    """v5.0's llama2-70b-interactive: llama2-70b's table with the Interactive TTFT / TPOT."""
    return Spec(
        accuracy=(
            acc("ROUGE1", 44.4312, fraction),
            acc("ROUGE2", 22.0352, fraction),
            acc("ROUGEL", 28.6162, fraction),
            acc("TOKENS_PER_SAMPLE", 294.45, 0.9, upper_limit=294.45 * 1.1),
        ),
        dataset_size=24576,
        performance_sample_count=24576,
        min_queries=v4_0.LLM_QUERIES,
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SERVER, OFFLINE),
        latency_ms={SERVER: 20000},
        ttft_ms={SERVER: 450},
        tpot_ms={SERVER: 40},
        compliance=("TEST06",),
        offline_min_samples=24576,
        result_keys=_TOKENS,
    )


_BERT = dict(
    datacenter=None,
    datacenter_edge=(SS, OFFLINE),
    latency_ms={},
    min_queries=v4_0.SS_OFFLINE_QUERIES,
    compliance=("TEST01",),
)

SPECS: Mapping[str, Spec] = derive(
    v4_1.SPECS,
    change={
        "resnet50": dict(compliance=("TEST01", "TEST04")),
        "retinanet": dict(compliance=("TEST01",)),
        "bert-99": _BERT,
        "bert-99.9": dict(_BERT, edge=(SS, OFFLINE)),
        "dlrm-v2-99": dict(compliance=("TEST01",)),
        "dlrm-v2-99.9": dict(compliance=("TEST01",)),
        "3d-unet-99": dict(compliance=("TEST01",), equal_issue=False),
        "3d-unet-99.9": dict(compliance=("TEST01",)),
        "gpt-j-99": dict(compliance=("TEST06",)),
        "gpt-j-99.9": dict(compliance=("TEST06",)),
        "llama2-70b-99": dict(ttft_ms=_LLAMA2_TTFT, tpot_ms=_LLAMA2_TPOT),
        "llama2-70b-99.9": dict(ttft_ms=_LLAMA2_TTFT, tpot_ms=_LLAMA2_TPOT, equal_issue=False),
        # the same 10 images as v4.0
        "stable-diffusion-xl": dict(accuracy_extra_files={"images": v4_0.SDXL_IMAGES}),
        "mixtral-8x7b": dict(
            accuracy=(
                acc("ROUGE1", 45.5989, 0.99),
                acc("ROUGE2", 23.3526, 0.99),
                acc("ROUGEL", 30.4608, 0.99),
                # the lower bound uses 144.84, the upper limit still 145.9
                acc("TOKENS_PER_SAMPLE", 144.84, 0.9, upper_limit=145.9 * 1.1),
                acc("gsm8k_accuracy", 73.66, 0.99),
                acc("mbxp_accuracy", 60.16, 0.99),
            ),
            datacenter_edge=(SERVER, OFFLINE),
            latency_ms={SERVER: 20000},
            equal_issue=False,
        ),
    },
    add={
        "llama2-70b-interactive-99": _llama2_interactive(0.99),
        "llama2-70b-interactive-99.9": _llama2_interactive(0.999),
        "llama3.1-405b": Spec(
            accuracy=(
                acc("ROUGEL", 21.6666, 0.99),
                acc("exact_match", 90.1335, 0.99),
                acc("TOKENS_PER_SAMPLE", 684.68, 0.9, upper_limit=684.68 * 1.1),
            ),
            dataset_size=8313,
            performance_sample_count=8313,
            min_queries=v4_0.LLM_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(SERVER, OFFLINE),
            latency_ms={SERVER: 60000},
            ttft_ms={SERVER: 6000, INTERACTIVE: 4500},
            tpot_ms={SERVER: 175, INTERACTIVE: 80},
            offline_min_samples=8313,
            result_keys=_TOKENS,
        ),
        "rgat": Spec(
            accuracy=(acc("acc", 0.7286, 0.99),),
            dataset_size=788379,
            performance_sample_count=788379,
            min_queries=v4_0.SS_OFFLINE_QUERIES,
            datacenter=(OFFLINE,),
            datacenter_edge=(OFFLINE,),
            compliance=("TEST01",),
            offline_min_samples=788379,
        ),
        "pointpainting": Spec(
            accuracy=(acc("mAP", 0.5425, 0.999),),
            dataset_size=39987,
            performance_sample_count=1024,
            min_queries={SS: 1024},
            edge=(SS,),
            datacenter_edge=(SS,),
            compliance=("TEST01", "TEST04"),
            offline_min_samples=6636,
        ),
    },
)

BENCHMARKS: tuple[Benchmark, ...] = build(SPECS, result_keys=RESULT_KEYS, source=SOURCE)
