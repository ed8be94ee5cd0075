"""MLPerf Inference v6.1, the default round: v6.0 plus the changes of ``MODEL_CONFIG["v6.1"]``.

Source: mlcommons/inference b66003e (2026-08-20), tools/submission/submission_checker/
constants.py. v6.1 dropped RetinaNet, llama2-70b-99, Mixtral 8x7B, Llama 3.1 405B and
PointPainting; added Qwen3.6-27B (edge SingleStream) and the end-to-end RAG workloads
(e2e-rag-qna, e2e-rag-db: one pass over the data set, no minimum duration); made Qwen3-VL's
datacenter suite Offline plus Server or Interactive, with Interactive's own latency bound,
accuracy gate and accuracy subset; and changed the seeds (those of LoadGen's mlperf.conf at the
same commit).

Quirks, encoded by their effect:
- retinanet and dlrm-v2 keep "latency-constraint" entries but are in no "models" list: not
  part of this round;
- REQUIRED_ACC_BENCHMARK has no v6.1 entry for Stable Diffusion XL, so the checker does not ask
  for its 10 images this round (it does for Wan 2.2's videos).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mlperf_tui.rules import v6_0
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

VERSION = "v6.1"

SOURCE = (
    "mlcommons/inference b66003e, tools/submission/submission_checker/constants.py, "
    'MODEL_CONFIG["v6.1"]'
)

SEEDS = Seeds(
    qsl_rng_seed=2085463073848966840,
    sample_index_rng_seed=2747215439041700203,
    schedule_rng_seed=16159082839903944936,
)
TEST05_SEEDS: Seeds | None = None

MIN_DURATION_MS = v6_0.MIN_DURATION_MS
OFFLINE_MIN_SAMPLES = v6_0.OFFLINE_MIN_SAMPLES
MAX_ACCURACY_LOG_BYTES = v6_0.MAX_ACCURACY_LOG_BYTES
CHECKS_DATASET_SIZE = True
#: the endpoints tool's scenario folders are read from v6.1 on
LAYOUT = replace(v6_0.LAYOUT, endpoints=True)

#: RESULT_FIELD_NEW["v6.1"] names Interactive too
RESULT_KEYS: Mapping[Scenario, str] = {
    **v6_0.RESULT_KEYS,
    INTERACTIVE: "result_completed_samples_per_sec",
}

MODEL_MAPPING: Mapping[str, str] = v6_0.MODEL_MAPPING

_SERVER_OR_INTERACTIVE = (INTERACTIVE, SERVER)
_QWEN3_VL_GATE = acc("F1_HIERARCHICAL", 0.7903, 0.99)

SPECS: Mapping[str, Spec] = derive(
    v6_0.SPECS,
    drop=("retinanet", "llama2-70b-99", "mixtral-8x7b", "llama3.1-405b", "pointpainting"),
    change={
        "stable-diffusion-xl": dict(accuracy_extra_files={}),
        "wan-2.2-t2v-a14b": dict(
            accuracy_extra_files={
                "videos": ("130", "106", "84", "59", "12", "123", "43", "22", "238", "32")
            }
        ),
        "qwen3-vl-235b-a22b": dict(
            datacenter=(OFFLINE,),
            optional_datacenter=_SERVER_OR_INTERACTIVE,
            latency_ms={SERVER: 12000, INTERACTIVE: 1500},
            accuracy=(_QWEN3_VL_GATE,),
            # Interactive scores the 8,000-sample subset, whose reference F1 is 0.7878
            accuracy_by_scenario={
                INTERACTIVE: (acc("F1_HIERARCHICAL", 0.7878, 0.99),),
            },
            accuracy_sample_count_by_scenario={OFFLINE: 48289, SERVER: 48289, INTERACTIVE: 8000},
        ),
    },
    add={
        "qwen3.6-27b": Spec(
            accuracy=(acc("mAP", 86.23, 0.99),),
            dataset_size=995,
            performance_sample_count=995,
            accuracy_sample_count=995,
            min_queries={SS: 995},
            edge=(SS,),
            datacenter_edge=(SS,),
        ),
        "e2e-rag-qna": Spec(
            accuracy=(acc("E2E_ACCURACY", 33.95),),
            dataset_size=824,
            performance_sample_count=824,
            min_queries={OFFLINE: 1},
            datacenter=(OFFLINE,),
            compliance=("TEST09",),
            offline_min_samples=824,
            single_pass=True,
        ),
        "e2e-rag-db": Spec(
            accuracy=(acc("E2E_ACCURACY", 98),),
            dataset_size=2515,
            performance_sample_count=2515,
            min_queries={OFFLINE: 1},
            datacenter=(OFFLINE,),
            offline_min_samples=2515,
            single_pass=True,
        ),
    },
)

BENCHMARKS: tuple[Benchmark, ...] = build(SPECS, result_keys=RESULT_KEYS, source=SOURCE)
