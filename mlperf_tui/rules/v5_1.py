"""MLPerf Inference v5.1: the official submission checker's ``MODEL_CONFIG["v5.1"]``.

Every number is copied from mlcommons/inference,
tools/submission/submission_checker/constants.py (stored commit 9e3d1054), written the way the
checker writes it. The table names are explained in ``v6_0.py``. In v5.1 ResNet50 and BERT are
edge-only (they are missing from "required-scenarios-datacenter"), RetinaNet and Stable
Diffusion XL are in both suites, and DLRM-v2 is datacenter-only.
"""

from __future__ import annotations

from mlperf_tui.rules.catalog import (
    INTERACTIVE,
    MS,
    OFFLINE,
    SERVER,
    SS,
    acc,
    bench,
    bench_99_pair,
)
from mlperf_tui.rules.model import Benchmark, Seeds

VERSION = "v5.1"

SOURCE = (
    "mlcommons/inference tools/submission/submission_checker/constants.py, "
    'MODEL_CONFIG["v5.1"] (stored commit 9e3d1054)'
)

#: MODEL_CONFIG["v5.1"]["seeds"]
SEEDS = Seeds(
    qsl_rng_seed=1780908523862526354,
    sample_index_rng_seed=14771362308971278857,
    schedule_rng_seed=18209322760996052031,
)

#: constants.py TEST_DURATION_MS
MIN_DURATION_MS = 600_000
#: constants.py OFFLINE_MIN_SPQ
OFFLINE_MIN_SAMPLES = 24_576
#: constants.py MAX_ACCURACY_LOG_SIZE
MAX_ACCURACY_LOG_BYTES = 10 * 1024

_IMAGE_QUERIES = {SS: 1024, MS: 270336, SERVER: 270336, OFFLINE: 1}
_SS_OFFLINE_QUERIES = {SS: 1024, OFFLINE: 1}
_LLM_QUERIES = {SS: 1024, SERVER: 270336, OFFLINE: 1}
_SERVER_OFFLINE_QUERIES = {SERVER: 270336, OFFLINE: 1}

BENCHMARKS: tuple[Benchmark, ...] = (
    bench(
        "resnet50",
        accuracy=(acc("acc", 76.46, 0.99),),
        dataset_size=50000,
        performance_sample_count=1024,
        min_queries=_IMAGE_QUERIES,
        edge=(SS, MS, OFFLINE),
        datacenter=None,  # not in required-scenarios-datacenter
        datacenter_edge=(SS, MS, OFFLINE, SERVER),
        server_latency_ms=15,
        compliance=("TEST01", "TEST04"),
        offline_min_samples=24576,
        source=SOURCE,
    ),
    bench(
        "retinanet",
        accuracy=(acc("mAP", 37.55, 0.99),),
        dataset_size=24781,
        performance_sample_count=64,
        min_queries=_IMAGE_QUERIES,
        edge=(SS, MS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, MS, OFFLINE, SERVER),
        server_latency_ms=100,
        compliance=("TEST01",),
        offline_min_samples=24576,
        source=SOURCE,
    ),
    *bench_99_pair(
        "bert-99",
        accuracy=(acc("F1", 90.874, 0.99),),
        dataset_size=10833,
        performance_sample_count=10833,
        min_queries=_SS_OFFLINE_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=None,
        datacenter_edge=(SS, OFFLINE),
        compliance=("TEST01",),
        offline_min_samples=10833,
        source=SOURCE,
    ),
    *bench_99_pair(
        "dlrm-v2-99",
        accuracy=(acc("AUC", 80.31, 0.99),),
        dataset_size=330067,
        performance_sample_count=204800,
        min_queries=_SERVER_OFFLINE_QUERIES,
        edge=None,
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SERVER, OFFLINE),
        server_latency_ms=60,
        compliance=("TEST01",),
        offline_min_samples=24576,
        source=SOURCE,
    ),
    *bench_99_pair(
        "3d-unet-99",
        accuracy=(acc("DICE", 0.86170, 0.99),),
        dataset_size=43,
        performance_sample_count=43,
        min_queries=_SS_OFFLINE_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(OFFLINE,),
        datacenter_edge=(SS, OFFLINE),
        compliance=("TEST01",),
        offline_min_samples=43,
        source=SOURCE,
    ),
    bench(
        "llama3.1-8b",
        accuracy=(
            acc("ROUGE1", 38.7792, 0.99),
            acc("ROUGE2", 15.9075, 0.99),
            acc("ROUGEL", 24.4957, 0.99),
            acc("ROUGELSUM", 35.793, 0.99),
            acc("GEN_LEN", 8167644, 0.9, upper_limit=8167644 * 1.1),
        ),
        dataset_size=13368,
        performance_sample_count=13368,
        min_queries=_LLM_QUERIES,
        edge=None,
        datacenter=(OFFLINE,),
        optional_datacenter=(INTERACTIVE, SERVER),
        datacenter_edge=(OFFLINE,),
        optional_datacenter_edge=(INTERACTIVE, SERVER),
        server_latency_ms=20000,
        ttft_ms={SERVER: 2000, INTERACTIVE: 500},
        tpot_ms={SERVER: 100, INTERACTIVE: 30},
        compliance=("TEST06",),
        offline_min_samples=13368,
        source=SOURCE,
    ),
    bench(
        "llama3.1-8b-edge",
        accuracy=(
            acc("ROUGE1", 39.06, 0.99),
            acc("ROUGE2", 16.1147, 0.99),
            acc("ROUGEL", 24.6375, 0.99),
            acc("ROUGELSUM", 36.124, 0.99),
            acc("GEN_LEN", 3051113, 0.9, upper_limit=3051113 * 1.1),
        ),
        dataset_size=5000,
        performance_sample_count=5000,
        min_queries=_SS_OFFLINE_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=None,
        datacenter_edge=(SS, OFFLINE),
        compliance=(),  # not in models_TEST06
        offline_min_samples=5000,
        source=SOURCE,
    ),
    *bench_99_pair(
        "llama2-70b-99",
        accuracy=(
            acc("ROUGE1", 44.4312, 0.99),
            acc("ROUGE2", 22.0352, 0.99),
            acc("ROUGEL", 28.6162, 0.99),
            acc("TOKENS_PER_SAMPLE", 294.45, 0.9, upper_limit=294.45 * 1.1),
        ),
        dataset_size=24576,
        performance_sample_count=24576,
        min_queries=_LLM_QUERIES,
        edge=None,
        datacenter=(OFFLINE,),
        optional_datacenter=(INTERACTIVE, SERVER),
        datacenter_edge=(OFFLINE,),
        optional_datacenter_edge=(INTERACTIVE, SERVER),
        server_latency_ms=20000,
        ttft_ms={SERVER: 2000, INTERACTIVE: 450},
        tpot_ms={SERVER: 200, INTERACTIVE: 40},
        compliance=("TEST06",),
        offline_min_samples=24576,
        source=SOURCE,
    ),
    bench(
        "stable-diffusion-xl",
        accuracy=(
            acc("CLIP_SCORE", 31.68631873, 1.0, upper_limit=31.81331801),
            acc("FID_SCORE", 23.01085758, 1.0, upper_limit=23.95007626),
        ),
        dataset_size=5000,
        performance_sample_count=5000,
        min_queries=_LLM_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        server_latency_ms=20000,
        compliance=("TEST01", "TEST04"),
        offline_min_samples=5000,
        compliance_delta_percent={"CLIP_SCORE": 1, "FID_SCORE": 2},  # accuracy-delta-perc
        source=SOURCE,
    ),
    bench(
        "mixtral-8x7b",
        accuracy=(
            acc("ROUGE1", 45.5989, 0.99),
            acc("ROUGE2", 23.3526, 0.99),
            acc("ROUGEL", 30.4608, 0.99),
            acc("TOKENS_PER_SAMPLE", 144.84, 0.9, upper_limit=145.9 * 1.1),
            acc("gsm8k_accuracy", 73.66, 0.99),
            acc("mbxp_accuracy", 60.16, 0.99),
        ),
        dataset_size=15000,
        performance_sample_count=15000,
        min_queries=_LLM_QUERIES,
        edge=None,
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SERVER, OFFLINE),
        server_latency_ms=20000,
        ttft_ms={SERVER: 2000},
        tpot_ms={SERVER: 200},
        compliance=("TEST06",),
        offline_min_samples=15000,
        source=SOURCE,
    ),
    bench(
        "llama3.1-405b",
        accuracy=(
            acc("ROUGEL", 21.6666, 0.99),
            acc("exact_match", 90.1335, 0.99),
            acc("TOKENS_PER_SAMPLE", 684.68, 0.9, upper_limit=684.68 * 1.1),
        ),
        dataset_size=8313,
        performance_sample_count=8313,
        min_queries=_LLM_QUERIES,
        edge=None,
        datacenter=(OFFLINE,),
        optional_datacenter=(INTERACTIVE, SERVER),
        datacenter_edge=(OFFLINE,),
        optional_datacenter_edge=(INTERACTIVE, SERVER),
        server_latency_ms=60000,
        ttft_ms={SERVER: 6000, INTERACTIVE: 4500},
        tpot_ms={SERVER: 175, INTERACTIVE: 80},
        compliance=("TEST06",),
        offline_min_samples=8313,
        source=SOURCE,
    ),
    bench(
        "rgat",
        accuracy=(acc("acc", 0.7286, 0.99),),
        dataset_size=788379,
        performance_sample_count=788379,
        min_queries=_SS_OFFLINE_QUERIES,
        edge=None,
        datacenter=(OFFLINE,),
        datacenter_edge=(OFFLINE,),
        compliance=("TEST01",),
        offline_min_samples=788379,
        source=SOURCE,
    ),
    bench(
        "pointpainting",
        accuracy=(acc("mAP", 0.5425, 0.999),),
        dataset_size=39987,
        performance_sample_count=1024,
        min_queries={SS: 1024},
        edge=(SS,),
        datacenter=None,
        datacenter_edge=(SS,),
        compliance=("TEST01", "TEST04"),
        offline_min_samples=6636,
        source=SOURCE,
    ),
    bench(
        "deepseek-r1",
        accuracy=(
            acc("exact_match", 81.3582, 0.99),
            acc("TOKENS_PER_SAMPLE", 3886.2274, 0.9, upper_limit=1.1 * 3886.2274),
        ),
        dataset_size=4388,
        performance_sample_count=4388,
        min_queries=_LLM_QUERIES,
        edge=None,
        datacenter=(SERVER, OFFLINE),  # v5.1: Server required, no Interactive
        datacenter_edge=(SS, SERVER, OFFLINE),
        server_latency_ms=60000,
        ttft_ms={SERVER: 2000},
        tpot_ms={SERVER: 80},
        compliance=("TEST06",),
        offline_min_samples=4388,
        source=SOURCE,
    ),
    bench(
        "whisper",
        accuracy=(acc("ACCURACY", 100.0 - 2.0671, 0.99),),
        dataset_size=1633,
        performance_sample_count=1633,
        min_queries=_SS_OFFLINE_QUERIES,
        edge=(OFFLINE,),
        datacenter=(OFFLINE,),
        datacenter_edge=(OFFLINE,),
        compliance=("TEST01",),
        offline_min_samples=1633,
        source=SOURCE,
    ),
)
