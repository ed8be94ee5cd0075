"""Older rounds, kept for the benchmarks that left the suite but that users still run.

- v5.0: GPT-J 6B (gpt-j-99/99.9) and the separate llama2-70b-interactive benchmarks; copied from
  ``MODEL_CONFIG["v5.0"]`` of mlcommons/inference
  tools/submission/submission_checker/constants.py (stored commit 9e3d1054).
- v4.0: RNN-T (rnnt), the last round that lists it; copied from ``MODEL_CONFIG["v4.0"]`` of the
  older single-file checker, tools/submission/submission_checker.py (stored commit af2780c8).
  That table has no "dataset-size" entries; the data-set sizes below are those every later
  table gives for the same benchmark (rnnt: 2513, its performance sample count and LibriSpeech
  dev-clean subset). v4.0 still required TEST05 (seed variation); its compliance lists come from
  ``check_compliance_dir`` of the same file.

These rounds are answered by ``get_round("v5.0")`` etc. but are not in ``ROUNDS``: a new
submission is made in a current round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mlperf_tui.rules.catalog import MS, OFFLINE, SERVER, SS, acc, bench, bench_99_pair
from mlperf_tui.rules.model import Benchmark, Seeds

MIN_DURATION_MS = 600_000  # TEST_DURATION_MS in both checkers
OFFLINE_MIN_SAMPLES = 24_576  # OFFLINE_MIN_SPQ
MAX_ACCURACY_LOG_BYTES = 10 * 1024  # MAX_ACCURACY_LOG_SIZE

_IMAGE_QUERIES = {SS: 1024, MS: 270336, SERVER: 270336, OFFLINE: 1}
_SS_OFFLINE_QUERIES = {SS: 1024, OFFLINE: 1}
_LLM_QUERIES = {SS: 1024, SERVER: 270336, OFFLINE: 1}
_SERVER_OFFLINE_QUERIES = {SERVER: 270336, OFFLINE: 1}

# ---------------------------------------------------------------------------------------------
# v5.0
# ---------------------------------------------------------------------------------------------

V5_0_SOURCE = (
    "mlcommons/inference tools/submission/submission_checker/constants.py, "
    'MODEL_CONFIG["v5.0"] (stored commit 9e3d1054)'
)


def _gptj(name: str, fraction: float, source: str, compliance: tuple[str, ...]) -> Benchmark:
    return bench(
        name,
        accuracy=(
            acc("ROUGE1", 42.9865, fraction),
            acc("ROUGE2", 20.1235, fraction),
            acc("ROUGEL", 29.9881, fraction),
            acc("GEN_LEN", 4016878, 0.9),  # lower bound only
        ),
        dataset_size=13368,
        performance_sample_count=13368,
        min_queries=_LLM_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        server_latency_ms=20000,
        # the current checker's OFFLINE_MIN_SPQ_SINCE_V4 lost gptj; the v4.x checker and
        # LoadGen's mlperf.conf (gptj.Offline.min_query_count) say 13368
        offline_min_samples=13368,
        compliance=compliance,
        source=source,
    )


def _llama2(name: str, fraction: float, source: str, ttft_ms: int, tpot_ms: int) -> Benchmark:
    """llama2-70b (and v5.0's llama2-70b-interactive): the same table, its own TTFT / TPOT."""
    return bench(
        name,
        accuracy=(
            acc("ROUGE1", 44.4312, fraction),
            acc("ROUGE2", 22.0352, fraction),
            acc("ROUGEL", 28.6162, fraction),
            acc("TOKENS_PER_SAMPLE", 294.45, 0.9, upper_limit=294.45 * 1.1),
        ),
        dataset_size=24576,
        performance_sample_count=24576,
        min_queries=_LLM_QUERIES,
        edge=None,
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SERVER, OFFLINE),
        server_latency_ms=20000,
        ttft_ms={SERVER: ttft_ms},
        tpot_ms={SERVER: tpot_ms},
        compliance=("TEST06",),
        offline_min_samples=24576,
        source=source,
    )


V5_0_BENCHMARKS: tuple[Benchmark, ...] = (
    bench(
        "resnet50",
        accuracy=(acc("acc", 76.46, 0.99),),
        dataset_size=50000,
        performance_sample_count=1024,
        min_queries=_IMAGE_QUERIES,
        edge=(SS, MS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, MS, OFFLINE, SERVER),
        server_latency_ms=15,
        compliance=("TEST01", "TEST04"),
        offline_min_samples=24576,
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
    ),
    _gptj("gpt-j-99", 0.99, V5_0_SOURCE, compliance=("TEST06",)),  # v5.0 models_TEST06
    _gptj("gpt-j-99.9", 0.999, V5_0_SOURCE, compliance=("TEST06",)),
    # LLM_LATENCY_LIMITS: llama2-70b Server 2000 / 200 ms, llama2-70b-interactive 450 / 40 ms
    _llama2("llama2-70b-99", 0.99, V5_0_SOURCE, ttft_ms=2000, tpot_ms=200),
    _llama2("llama2-70b-99.9", 0.999, V5_0_SOURCE, ttft_ms=2000, tpot_ms=200),
    _llama2("llama2-70b-interactive-99", 0.99, V5_0_SOURCE, ttft_ms=450, tpot_ms=40),
    _llama2("llama2-70b-interactive-99.9", 0.999, V5_0_SOURCE, ttft_ms=450, tpot_ms=40),
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
        compliance_delta_percent={"CLIP_SCORE": 1, "FID_SCORE": 2},
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
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
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SERVER, OFFLINE),
        server_latency_ms=60000,
        ttft_ms={SERVER: 6000},
        tpot_ms={SERVER: 175},
        compliance=(),  # not in v5.0's models_TEST06
        offline_min_samples=8313,
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
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
        source=V5_0_SOURCE,
    ),
)

# ---------------------------------------------------------------------------------------------
# v4.0
# ---------------------------------------------------------------------------------------------

V4_0_SOURCE = (
    "mlcommons/inference tools/submission/submission_checker.py, "
    'MODEL_CONFIG["v4.0"] (stored commit af2780c8)'
)

_BERT_V4_QUERIES = {SS: 1024, SERVER: 270336, OFFLINE: 1}

V4_0_BENCHMARKS: tuple[Benchmark, ...] = (
    bench(
        "resnet50",
        accuracy=(acc("acc", 76.46, 0.99),),
        dataset_size=50000,
        performance_sample_count=1024,
        min_queries=_IMAGE_QUERIES,
        edge=(SS, MS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, MS, OFFLINE, SERVER),
        server_latency_ms=15,
        compliance=("TEST01", "TEST04", "TEST05"),
        offline_min_samples=24576,
        source=V4_0_SOURCE,
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
        compliance=("TEST01", "TEST05"),
        offline_min_samples=24576,
        source=V4_0_SOURCE,
    ),
    bench(
        "rnnt",
        # the checker gates 100 - WER; reference WER 7.452 %
        accuracy=(acc("WER", 100 - 7.452, 0.99),),
        dataset_size=2513,
        performance_sample_count=2513,
        min_queries={SS: 1024, SERVER: 270336, OFFLINE: 1},
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        server_latency_ms=1000,
        compliance=("TEST01", "TEST05"),
        offline_min_samples=2513,
        source=V4_0_SOURCE,
    ),
    bench(
        "bert-99",
        accuracy=(acc("F1", 90.874, 0.99),),
        dataset_size=10833,
        performance_sample_count=10833,
        min_queries=_BERT_V4_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        server_latency_ms=130,
        compliance=("TEST01", "TEST05"),
        offline_min_samples=10833,
        source=V4_0_SOURCE,
    ),
    bench(
        "bert-99.9",
        accuracy=(acc("F1", 90.874, 0.999),),
        dataset_size=10833,
        performance_sample_count=10833,
        min_queries=_BERT_V4_QUERIES,
        edge=None,  # v4.0 edge lists bert-99 only
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(OFFLINE, SERVER),
        server_latency_ms=130,
        compliance=("TEST01", "TEST05"),
        offline_min_samples=10833,
        source=V4_0_SOURCE,
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
        compliance=("TEST01", "TEST05"),
        offline_min_samples=24576,
        source=V4_0_SOURCE,
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
        compliance=("TEST01", "TEST05"),
        offline_min_samples=43,
        source=V4_0_SOURCE,
    ),
    # v4.0's check_compliance_dir drops TEST01, TEST04 and TEST05 for gptj and adds nothing
    _gptj("gpt-j-99", 0.99, V4_0_SOURCE, compliance=()),
    _gptj("gpt-j-99.9", 0.999, V4_0_SOURCE, compliance=()),
    # LLM_LATENCY_LIMITS of the v4.x checker: "conversational" 2000 / 200 ms
    _llama2("llama2-70b-99", 0.99, V4_0_SOURCE, ttft_ms=2000, tpot_ms=200),
    _llama2("llama2-70b-99.9", 0.999, V4_0_SOURCE, ttft_ms=2000, tpot_ms=200),
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
        compliance=(),  # v4.0 dropped TEST01, TEST04 and TEST05 for SDXL
        offline_min_samples=5000,
        compliance_delta_percent={"CLIP_SCORE": 1, "FID_SCORE": 2},
        source=V4_0_SOURCE,
    ),
)


@dataclass(frozen=True)
class LegacyRound:
    """What a round module (``v6_0.py``, ...) exposes, for a round kept in this file."""

    VERSION: str
    SOURCE: str
    SEEDS: Seeds
    BENCHMARKS: tuple[Benchmark, ...]
    MIN_DURATION_MS: int = MIN_DURATION_MS
    OFFLINE_MIN_SAMPLES: int = OFFLINE_MIN_SAMPLES
    MAX_ACCURACY_LOG_BYTES: int = MAX_ACCURACY_LOG_BYTES


V5_0 = LegacyRound(
    VERSION="v5.0",
    SOURCE=V5_0_SOURCE,
    SEEDS=Seeds(  # MODEL_CONFIG["v5.0"]["seeds"]
        qsl_rng_seed=6023615788873153749,
        sample_index_rng_seed=15036839855038426416,
        schedule_rng_seed=9933818062894767841,
    ),
    BENCHMARKS=V5_0_BENCHMARKS,
)

V4_0 = LegacyRound(
    VERSION="v4.0",
    SOURCE=V4_0_SOURCE,
    SEEDS=Seeds(  # MODEL_CONFIG["v4.0"]["seeds"]
        qsl_rng_seed=13281865557512327830,
        sample_index_rng_seed=198141574272810017,
        schedule_rng_seed=7575108116881280410,
    ),
    BENCHMARKS=V4_0_BENCHMARKS,
)

ROUNDS: Mapping[str, LegacyRound] = MappingProxyType({"v5.0": V5_0, "v4.0": V4_0})
