"""MLPerf Inference v4.1: v4.0 plus the changes of the checker of tag v4.1.

Copied from mlcommons/inference at tag v4.1, tools/submission/submission_checker.py,
``MODEL_CONFIG["v4.1"]``: RNN-T left, Mixtral 8x7B joined, new seeds, and:

- compliance (``check_compliance_dir``): SDXL runs TEST01 and TEST04 (v4.0 ran none), Mixtral
  TEST06 like llama2;
- result keys: RESULT_FIELD_NEW["v4.1"] reads Server from result_completed_samples_per_sec,
  and the LLMs report tokens (RESULT_FIELD_BENCHMARK_OVERWRITE["v4.1"]);
- equal-issue mode (``Config.requires_equal_issue``): the list lacks three commas, so of the
  seven names it means only 3d-unet-99, llama2-70b-99.9 and mixtral-8x7b match a model.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlperf_tui.rules import v4_0
from mlperf_tui.rules.catalog import OFFLINE, SERVER, SS, Spec, acc, build, derive
from mlperf_tui.rules.model import Benchmark, Scenario, Seeds

VERSION = "v4.1"

SOURCE = (
    'mlcommons/inference tag v4.1, tools/submission/submission_checker.py, MODEL_CONFIG["v4.1"]'
)

SEEDS = Seeds(
    qsl_rng_seed=3066443479025735752,
    sample_index_rng_seed=10688027786191513374,
    schedule_rng_seed=14962580496156340209,
)
TEST05_SEEDS: Seeds | None = Seeds(
    qsl_rng_seed=16799458546791641818,
    sample_index_rng_seed=5453809927556429288,
    schedule_rng_seed=5435552105434836064,
)

MIN_DURATION_MS = v4_0.MIN_DURATION_MS
OFFLINE_MIN_SAMPLES = v4_0.OFFLINE_MIN_SAMPLES
MAX_ACCURACY_LOG_BYTES = v4_0.MAX_ACCURACY_LOG_BYTES
CHECKS_DATASET_SIZE = False
LAYOUT = v4_0.LAYOUT

RESULT_KEYS: Mapping[Scenario, str] = {
    **v4_0.RESULT_KEYS,
    SERVER: "result_completed_samples_per_sec",
}

MODEL_MAPPING: Mapping[str, str] = {
    "ssd-resnet34": "retinanet",
    "mobilenet": "resnet",
    "resnet50": "resnet",
}

_TOKENS = {OFFLINE: "result_tokens_per_second", SERVER: "result_completed_tokens_per_second"}
_INFERRED_TOKENS = {
    OFFLINE: "result_inferred_tokens_per_second",
    SERVER: "result_inferred_completed_tokens_per_second",
}

#: REQUIRED_ACC_BENCHMARK["stable-diffusion-xl"]["v4.1"]
SDXL_IMAGES = ("4655", "2569", "1303", "109", "4509", "3009", "2179", "1826", "2094", "3340")

SPECS: Mapping[str, Spec] = derive(
    v4_0.SPECS,
    drop=("rnnt",),
    change={
        "stable-diffusion-xl": dict(
            compliance=("TEST01", "TEST04"),
            compliance_delta_percent={"CLIP_SCORE": 1, "FID_SCORE": 2},
            accuracy_extra_files={"images": SDXL_IMAGES},
        ),
        "gpt-j-99": dict(result_keys=_INFERRED_TOKENS),
        "gpt-j-99.9": dict(result_keys=_INFERRED_TOKENS),
        "llama2-70b-99": dict(result_keys=_TOKENS),
        "llama2-70b-99.9": dict(result_keys=_TOKENS, equal_issue=True),
        "3d-unet-99": dict(equal_issue=True),
    },
    add={
        "mixtral-8x7b": Spec(
            accuracy=(
                acc("ROUGE1", 45.4911, 0.99),
                acc("ROUGE2", 23.2829, 0.99),
                acc("ROUGEL", 30.3615, 0.99),
                acc("TOKENS_PER_SAMPLE", 145.9, 0.9, upper_limit=145.9 * 1.1),
                acc("gsm8k_accuracy", 73.78, 0.99),
                acc("mbxp_accuracy", 60.12, 0.99),
            ),
            dataset_size=15000,
            performance_sample_count=15000,
            min_queries=v4_0.LLM_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(SS, SERVER, OFFLINE),
            ttft_ms={SERVER: 2000},
            tpot_ms={SERVER: 200},
            compliance=("TEST06",),
            offline_min_samples=15000,
            result_keys=_TOKENS,
            equal_issue=True,
        ),
    },
)

BENCHMARKS: tuple[Benchmark, ...] = build(SPECS, result_keys=RESULT_KEYS, source=SOURCE)
