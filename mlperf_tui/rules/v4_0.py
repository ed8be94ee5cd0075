"""MLPerf Inference v4.0: the checker of tag v4.0, ``MODEL_CONFIG["v4.0"]``.

Copied from mlcommons/inference at tag v4.0, tools/submission/submission_checker.py (the
single-file checker of that round; the v4.1 tag's copy of the v4.0 table differs in its
model mapping, and the v4.0 tag's is the one v4.0 submissions were checked with). Its tables
are explained in ``catalog.Spec``. What the v4.0 checker writes in code rather than tables:

- compliance tests: ``check_compliance_dir`` starts from TEST01, TEST04, TEST05 and removes
  TEST04 for every model but resnet, TEST01 and TEST05 for gptj, llama2 and SDXL, and adds
  TEST06 for llama2;
- TTFT/TPOT: ``LLAMA2_LATENCY_LIMITS`` ("conversational", i.e. Server) for llama2;
- it has no "dataset-size" table (the accuracy run's sample count is not compared): the data
  set sizes below are those every later table gives.

v4.0 is the last round with RNN-T.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlperf_tui.rules.catalog import MS, OFFLINE, SERVER, SS, Spec, acc, build, pair
from mlperf_tui.rules.model import Benchmark, Layout, Scenario, Seeds

VERSION = "v4.0"

SOURCE = (
    'mlcommons/inference tag v4.0, tools/submission/submission_checker.py, MODEL_CONFIG["v4.0"]'
)

#: MODEL_CONFIG["v4.0"]["seeds"]
SEEDS = Seeds(
    qsl_rng_seed=13281865557512327830,
    sample_index_rng_seed=198141574272810017,
    schedule_rng_seed=7575108116881280410,
)
#: MODEL_CONFIG["v4.0"]["test05_seeds"]
TEST05_SEEDS: Seeds | None = Seeds(
    qsl_rng_seed=2376919268182438552,
    sample_index_rng_seed=11176391829184272374,
    schedule_rng_seed=3911940905271271337,
)

#: TEST_DURATION_MS
MIN_DURATION_MS = 600_000
#: OFFLINE_MIN_SPQ
OFFLINE_MIN_SAMPLES = 24_576
#: MAX_ACCURACY_LOG_SIZE
MAX_ACCURACY_LOG_BYTES = 10 * 1024
#: the v4.x tables have no "dataset-size"
CHECKS_DATASET_SIZE = False
#: the v4.x/v5.0 tree: code/, measurements/ and compliance/ beside results/; no calibration.md
LAYOUT = Layout(
    code_folder="code",
    code_per_model=True,
    measurements_in_results=False,
    compliance_in_results=False,
    calibration_doc=False,
)

#: RESULT_FIELD_NEW["v4.0"]
RESULT_KEYS: Mapping[Scenario, str] = {
    OFFLINE: "result_samples_per_second",
    SS: "early_stopping_latency_ss",
    MS: "early_stopping_latency_ms",
    SERVER: "result_scheduled_samples_per_sec",
}

#: MODEL_CONFIG["v4.0"]["model_mapping"]
MODEL_MAPPING: Mapping[str, str] = {
    "ssd-mobilenet": "ssd-small",
    "ssd-resnet34": "retinanet",
    "mobilenet": "resnet",
    "resnet50": "resnet",
    "ssd_resnet101_v1_fpn_640x640": "ssd-small",
    "ssd_resnet101_v1_fpn_1024x1024": "ssd-large",
    "ssd_resnet152_v1_fpn_640x640": "ssd-small",
    "ssd_resnet152_v1_fpn_1024x1024": "ssd-large",
    "rcnn-resnet50-lowproposals-coco": "ssd-large",
    "rcnn-inception-resnet-v2-lowproposals-coco": "ssd-large",
    "rcnn-inception-v2-coco": "ssd-large",
    "rcnn-nas-lowproposals-coco": "ssd-large",
    "rcnn-resnet101-lowproposals-coco": "ssd-large",
    "ssd_mobilenet_v1_coco": "ssd-small",
    "ssd_mobilenet_v1_fpn_640x640": "ssd-small",
    "ssd_mobilenet_v1_quantized_coco": "ssd-small",
    "ssd_mobilenet_v2_320x320": "ssd-small",
    "ssd_mobilenet_v2_fpnlite_320x320": "ssd-small",
    "ssd_mobilenet_v2_fpnlite_640x640": "ssd-small",
    "ssd_resnet50_v1_fpn_640x640": "ssd-small",
    "ssd_resnet50_v1_fpn_1024x1024": "ssd-large",
}

# "min-queries" shapes that recur
IMAGE_QUERIES = {SS: 1024, MS: 270336, SERVER: 270336, OFFLINE: 1}
SS_OFFLINE_QUERIES = {SS: 1024, OFFLINE: 1}
LLM_QUERIES = {SS: 1024, SERVER: 270336, OFFLINE: 1}
SERVER_OFFLINE_QUERIES = {SERVER: 270336, OFFLINE: 1}

#: REQUIRED_ACC_BENCHMARK["stable-diffusion-xl"]["v4.0"]: the images accuracy/images/ must hold
SDXL_IMAGES = ("4459", "4015", "2705", "1682", "4048", "4683", "3757", "1578", "3319", "95")

_IMAGE_EDGE = (SS, MS, OFFLINE)
_IMAGE_DC_EDGE = (SS, MS, OFFLINE, SERVER)
_LLAMA2_TOKENS = {OFFLINE: "result_tokens_per_second", SERVER: "result_completed_samples_per_sec"}


def _gptj(fraction: float) -> Spec:
    return Spec(
        accuracy=(
            acc("ROUGE1", 42.9865, fraction),
            acc("ROUGE2", 20.1235, fraction),
            acc("ROUGEL", 29.9881, fraction),
            acc("GEN_LEN", 4016878, 0.9),
        ),
        dataset_size=13368,
        performance_sample_count=13368,
        min_queries=LLM_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        latency_ms={SERVER: 20000},
        offline_min_samples=13368,
    )


SPECS: Mapping[str, Spec] = {
    "resnet50": Spec(
        accuracy=(acc("acc", 76.46, 0.99),),
        dataset_size=50000,
        performance_sample_count=1024,
        min_queries=IMAGE_QUERIES,
        edge=_IMAGE_EDGE,
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=_IMAGE_DC_EDGE,
        latency_ms={SERVER: 15},
        compliance=("TEST01", "TEST04", "TEST05"),
        offline_min_samples=24576,
    ),
    "retinanet": Spec(
        accuracy=(acc("mAP", 37.55, 0.99),),
        dataset_size=24781,
        performance_sample_count=64,
        min_queries=IMAGE_QUERIES,
        edge=_IMAGE_EDGE,
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=_IMAGE_DC_EDGE,
        latency_ms={SERVER: 100},
        compliance=("TEST01", "TEST05"),
        offline_min_samples=24576,
    ),
    "rnnt": Spec(
        # the checker gates 100 - WER; reference WER 7.452 %
        accuracy=(acc("WER", 100 - 7.452, 0.99),),
        dataset_size=2513,
        performance_sample_count=2513,
        min_queries=LLM_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        latency_ms={SERVER: 1000},
        compliance=("TEST01", "TEST05"),
        offline_min_samples=2513,
    ),
    "bert-99": Spec(
        accuracy=(acc("F1", 90.874, 0.99),),
        dataset_size=10833,
        performance_sample_count=10833,
        min_queries=LLM_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        latency_ms={SERVER: 130},
        compliance=("TEST01", "TEST05"),
        offline_min_samples=10833,
    ),
    "bert-99.9": Spec(
        accuracy=(acc("F1", 90.874, 0.999),),
        dataset_size=10833,
        performance_sample_count=10833,
        min_queries=LLM_QUERIES,
        edge=None,  # required-scenarios-edge lists bert-99 only
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(OFFLINE, SERVER),
        latency_ms={SERVER: 130},
        compliance=("TEST01", "TEST05"),
        offline_min_samples=10833,
    ),
    **pair(
        "dlrm-v2-99",
        Spec(
            accuracy=(acc("AUC", 80.31, 0.99),),
            dataset_size=330067,
            performance_sample_count=204800,
            min_queries=SERVER_OFFLINE_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(OFFLINE, SERVER),
            latency_ms={SERVER: 60},
            compliance=("TEST01", "TEST05"),
            offline_min_samples=24576,
        ),
    ),
    **pair(
        "3d-unet-99",
        Spec(
            accuracy=(acc("DICE", 0.86170, 0.99),),
            dataset_size=43,
            performance_sample_count=43,
            min_queries=SS_OFFLINE_QUERIES,
            edge=(SS, OFFLINE),
            datacenter=(OFFLINE,),
            datacenter_edge=(SS, OFFLINE),
            compliance=("TEST01", "TEST05"),
            offline_min_samples=43,
        ),
    ),
    "gpt-j-99": _gptj(0.99),
    "gpt-j-99.9": _gptj(0.999),
    **pair(
        "llama2-70b-99",
        Spec(
            accuracy=(
                acc("ROUGE1", 44.4312, 0.99),
                acc("ROUGE2", 22.0352, 0.99),
                acc("ROUGEL", 28.6162, 0.99),
                acc("TOKENS_PER_SAMPLE", 294.45, 0.9, upper_limit=294.45 * 1.1),
            ),
            dataset_size=24576,
            performance_sample_count=24576,
            min_queries=LLM_QUERIES,
            datacenter=(SERVER, OFFLINE),
            datacenter_edge=(SERVER, OFFLINE),
            latency_ms={SERVER: 20000},
            ttft_ms={SERVER: 2000},
            tpot_ms={SERVER: 200},
            compliance=("TEST06",),
            offline_min_samples=24576,
            result_keys=_LLAMA2_TOKENS,
        ),
    ),
    "stable-diffusion-xl": Spec(
        accuracy=(
            # absolute bounds: the run must land between the target and the upper limit
            acc("CLIP_SCORE", 31.68631873, upper_limit=31.81331801),
            acc("FID_SCORE", 23.01085758, upper_limit=23.95007626),
        ),
        dataset_size=5000,
        performance_sample_count=5000,
        min_queries=LLM_QUERIES,
        edge=(SS, OFFLINE),
        datacenter=(SERVER, OFFLINE),
        datacenter_edge=(SS, OFFLINE, SERVER),
        latency_ms={SERVER: 20000},
        offline_min_samples=5000,
        accuracy_extra_files={"images": SDXL_IMAGES},
    ),
}

BENCHMARKS: tuple[Benchmark, ...] = build(SPECS, result_keys=RESULT_KEYS, source=SOURCE)
