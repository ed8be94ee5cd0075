"""MLPerf Inference v6.0: v5.1 plus the changes of ``MODEL_CONFIG["v6.0"]``.

Source: mlcommons/inference b66003e, tools/submission/submission_checker/constants.py. v6.0
added gpt-oss-120b, Wan 2.2, Qwen3-VL, DLRMv3 and YOLO with the new compliance tests TEST07,
TEST08 and TEST09, retired DLRM-v2, took RetinaNet out of both suites (it stays submittable
from a "datacenter,edge" system) and Stable Diffusion XL out of the datacenter suite, and moved
the compliance folders beside the results (the "default" package layout).

One quirk, encoded by its effect: dlrm-v2 keeps entries in several of the round's tables but
is in no "models" list and no required-scenarios table, so it is not part of this round.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlperf_tui.rules import v4_0, v5_1
from mlperf_tui.rules.catalog import (
    INTERACTIVE,
    MS,
    OFFLINE,
    SERVER,
    SS,
    Spec,
    acc,
    build,
    derive,
)
from mlperf_tui.rules.model import Benchmark, Layout, Scenario, Seeds

VERSION = "v6.0"

SOURCE = (
    "mlcommons/inference b66003e, tools/submission/submission_checker/constants.py, "
    'MODEL_CONFIG["v6.0"]'
)

SEEDS = Seeds(
    qsl_rng_seed=2465351861681999779,
    sample_index_rng_seed=14276810075590677512,
    schedule_rng_seed=3936089224930324775,
)
TEST05_SEEDS: Seeds | None = None

MIN_DURATION_MS = v5_1.MIN_DURATION_MS
OFFLINE_MIN_SAMPLES = v5_1.OFFLINE_MIN_SAMPLES
MAX_ACCURACY_LOG_BYTES = v5_1.MAX_ACCURACY_LOG_BYTES
CHECKS_DATASET_SIZE = True
#: the "default" layout: src/, measurements.json and TEST0x beside the results
LAYOUT = Layout()

RESULT_KEYS: Mapping[Scenario, str] = v5_1.RESULT_KEYS

MODEL_MAPPING: Mapping[str, str] = v5_1.MODEL_MAPPING

_TOKENS = {OFFLINE: "result_tokens_per_second", SERVER: "result_completed_tokens_per_second"}
_SERVER_OR_INTERACTIVE = (INTERACTIVE, SERVER)


def _yolo(fraction: float) -> Spec:
    return Spec(
        accuracy=(acc("mAP", 53.4, fraction),),
        dataset_size=1525,
        performance_sample_count=64,
        min_queries={SS: 1024, MS: 270336, OFFLINE: 1},
        edge=(SS, MS, OFFLINE),
        datacenter_edge=(SS, MS, OFFLINE),
        compliance=("TEST01",),
        offline_min_samples=1525,
    )


#: REQUIRED_ACC_BENCHMARK["stable-diffusion-xl"]["v6.0"]
SDXL_IMAGES = ("1311", "2476", "3644", "2188", "4114", "52", "388", "1195", "3427", "2289")

SPECS: Mapping[str, Spec] = derive(
    v5_1.SPECS,
    drop=("dlrm-v2-99", "dlrm-v2-99.9"),
    change={
        "retinanet": dict(edge=None, datacenter=None),
        "stable-diffusion-xl": dict(
            datacenter=None,
            accuracy_extra_files={"images": SDXL_IMAGES},
        ),
        "deepseek-r1": dict(
            datacenter=(OFFLINE,),
            datacenter_edge=(OFFLINE,),
            optional_datacenter=_SERVER_OR_INTERACTIVE,
            optional_datacenter_edge=_SERVER_OR_INTERACTIVE,
        ),
    },
    add={
        "gpt-oss-120b": Spec(
            accuracy=(
                acc("exact_match", 83.13, 0.99),
                # an upper limit only: no lower bound on the tokens per sample
                acc("TOKENS_PER_SAMPLE", None, upper_limit=1.1 * 9999),
            ),
            dataset_size=6396,
            performance_sample_count=6396,
            accuracy_sample_count=4395,
            min_queries=v4_0.LLM_QUERIES,
            datacenter=(OFFLINE,),
            datacenter_edge=(OFFLINE,),
            optional_datacenter=_SERVER_OR_INTERACTIVE,
            optional_datacenter_edge=_SERVER_OR_INTERACTIVE,
            latency_ms={SERVER: 60000},
            ttft_ms={SERVER: 3000, INTERACTIVE: 2000},
            tpot_ms={SERVER: 80, INTERACTIVE: 15},
            compliance=("TEST07", "TEST09"),
            offline_min_samples=6396,
            result_keys=_TOKENS,
        ),
        "wan-2.2-t2v-a14b": Spec(
            accuracy=(acc("vbench_score", 70.48, 0.99),),
            dataset_size=248,
            performance_sample_count=50,  # LoadGen's mlperf.conf says 248; the checker 50
            accuracy_sample_count=248,
            min_queries={SS: 50, OFFLINE: 1},
            datacenter=(OFFLINE, SS),
            compliance=("TEST04",),
            offline_min_samples=50,
            accuracy_extra_files={
                "videos": ("130", "106", "84", "59", "12", "31", "86", "122", "233", "96")
            },
        ),
        "qwen3-vl-235b-a22b": Spec(
            accuracy=(acc("F1_HIERARCHICAL", 0.7903, 0.99),),
            dataset_size=48289,
            performance_sample_count=48289,
            min_queries=v4_0.LLM_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(OFFLINE,),
            optional_datacenter_edge=_SERVER_OR_INTERACTIVE,
            latency_ms={SERVER: 12000},
            offline_min_samples=48289,
        ),
        "dlrm-v3": Spec(
            accuracy=(
                acc("DLRM_NE", 0.86687, 0.999),
                acc("DLRM_ACC", 0.69651, 0.999),
                acc("DLRM_AUC", 0.78663, 0.999),
            ),
            dataset_size=349823,
            performance_sample_count=349823,
            min_queries=v4_0.SERVER_OFFLINE_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(OFFLINE, SERVER),
            latency_ms={SERVER: 60000},
            compliance=("TEST08",),
            offline_min_samples=349823,
        ),
        "yolo-95": _yolo(0.95),
        "yolo-99": _yolo(0.99),
    },
)

BENCHMARKS: tuple[Benchmark, ...] = build(SPECS, result_keys=RESULT_KEYS, source=SOURCE)
