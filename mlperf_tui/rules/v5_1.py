"""MLPerf Inference v5.1: v5.0 plus the changes of ``MODEL_CONFIG["v5.1"]``.

Source: mlcommons/inference b66003e, tools/submission/submission_checker/constants.py. v5.1
added Llama 3.1 8B (datacenter and edge), DeepSeek-R1 and Whisper, retired GPT-J and the
separate llama2-70b-interactive benchmarks (Interactive became a scenario of the LLMs: the
"Server or Interactive" choice of "optional-scenarios-*"), and took ResNet50 out of the
datacenter suite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mlperf_tui.rules import v4_0, v5_0
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

VERSION = "v5.1"

SOURCE = (
    "mlcommons/inference b66003e, tools/submission/submission_checker/constants.py, "
    'MODEL_CONFIG["v5.1"]'
)

SEEDS = Seeds(
    qsl_rng_seed=1780908523862526354,
    sample_index_rng_seed=14771362308971278857,
    schedule_rng_seed=18209322760996052031,
)
TEST05_SEEDS: Seeds | None = None

MIN_DURATION_MS = v5_0.MIN_DURATION_MS
OFFLINE_MIN_SAMPLES = v5_0.OFFLINE_MIN_SAMPLES
MAX_ACCURACY_LOG_BYTES = v5_0.MAX_ACCURACY_LOG_BYTES
CHECKS_DATASET_SIZE = True
#: the legacy checker asks the closed division for calibration.md from v5.1 on
LAYOUT = replace(v5_0.LAYOUT, calibration_doc=True)

RESULT_KEYS: Mapping[Scenario, str] = v5_0.RESULT_KEYS

MODEL_MAPPING: Mapping[str, str] = {
    **v5_0.MODEL_MAPPING,
    "llama3_1-8b": "llama3.1-8b",
    "llama3_1-8b-edge": "llama3.1-8b-edge",
}

_TOKENS = {OFFLINE: "result_tokens_per_second", SERVER: "result_completed_tokens_per_second"}
_SERVER_OR_INTERACTIVE = (INTERACTIVE, SERVER)
#: the LLMs of the datacenter suite: Offline, plus Server or Interactive
_LLM_SUITE = dict(
    datacenter=(OFFLINE,),
    datacenter_edge=(OFFLINE,),
    optional_datacenter=_SERVER_OR_INTERACTIVE,
    optional_datacenter_edge=_SERVER_OR_INTERACTIVE,
)

#: REQUIRED_ACC_BENCHMARK["stable-diffusion-xl"]["v5.1"]
SDXL_IMAGES = ("2747", "2235", "2165", "1515", "1538", "1367", "2419", "4629", "3657", "4532")

SPECS: Mapping[str, Spec] = derive(
    v5_0.SPECS,
    drop=("gpt-j-99", "gpt-j-99.9", "llama2-70b-interactive-99", "llama2-70b-interactive-99.9"),
    change={
        "resnet50": dict(datacenter=None),
        "llama2-70b-99": dict(_LLM_SUITE),
        "llama2-70b-99.9": dict(_LLM_SUITE),
        "llama3.1-405b": dict(_LLM_SUITE, compliance=("TEST06",)),
        "stable-diffusion-xl": dict(
            accuracy_extra_files={"images": SDXL_IMAGES},
        ),
    },
    add={
        "llama3.1-8b": Spec(
            accuracy=(
                acc("ROUGE1", 38.7792, 0.99),
                acc("ROUGE2", 15.9075, 0.99),
                acc("ROUGEL", 24.4957, 0.99),
                acc("ROUGELSUM", 35.793, 0.99),
                acc("GEN_LEN", 8167644, 0.9, upper_limit=8167644 * 1.1),
            ),
            dataset_size=13368,
            performance_sample_count=13368,
            min_queries=v4_0.LLM_QUERIES,
            datacenter=(OFFLINE,),
            datacenter_edge=(OFFLINE,),
            optional_datacenter=_SERVER_OR_INTERACTIVE,
            optional_datacenter_edge=_SERVER_OR_INTERACTIVE,
            latency_ms={SERVER: 20000},
            ttft_ms={SERVER: 2000, INTERACTIVE: 500},
            tpot_ms={SERVER: 100, INTERACTIVE: 30},
            compliance=("TEST06",),
            offline_min_samples=13368,
            result_keys=_TOKENS,
        ),
        "llama3.1-8b-edge": Spec(
            accuracy=(
                acc("ROUGE1", 39.06, 0.99),
                acc("ROUGE2", 16.1147, 0.99),
                acc("ROUGEL", 24.6375, 0.99),
                acc("ROUGELSUM", 36.124, 0.99),
                acc("GEN_LEN", 3051113, 0.9, upper_limit=3051113 * 1.1),
            ),
            dataset_size=5000,
            performance_sample_count=5000,
            min_queries=v4_0.SS_OFFLINE_QUERIES,
            edge=(SS, OFFLINE),
            datacenter_edge=(SS, OFFLINE),
            offline_min_samples=5000,
            result_keys={
                OFFLINE: "result_tokens_per_second",
                SS: "result_90.00_percentile_latency_ns",
            },
        ),
        "deepseek-r1": Spec(
            accuracy=(
                acc("exact_match", 81.3582, 0.99),
                acc("TOKENS_PER_SAMPLE", 3886.2274, 0.9, upper_limit=1.1 * 3886.2274),
            ),
            dataset_size=4388,
            performance_sample_count=4388,
            min_queries=v4_0.LLM_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(SS, SERVER, OFFLINE),
            latency_ms={SERVER: 60000},
            ttft_ms={SERVER: 2000, INTERACTIVE: 1500},
            tpot_ms={SERVER: 80, INTERACTIVE: 15},
            compliance=("TEST06",),
            offline_min_samples=4388,
            result_keys=_TOKENS,
        ),
        "whisper": Spec(
            # the checker gates accuracy = 100 - WER; reference WER 2.0671 %
            accuracy=(acc("ACCURACY", 100.0 - 2.0671, 0.99),),
            dataset_size=1633,
            performance_sample_count=1633,
            min_queries=v4_0.SS_OFFLINE_QUERIES,
            edge=(OFFLINE,),
            datacenter=(OFFLINE,),
            datacenter_edge=(OFFLINE,),
            compliance=("TEST01",),
            offline_min_samples=1633,
            result_keys={OFFLINE: "result_tokens_per_second"},
        ),
    },
)

BENCHMARKS: tuple[Benchmark, ...] = build(SPECS, result_keys=RESULT_KEYS, source=SOURCE)
