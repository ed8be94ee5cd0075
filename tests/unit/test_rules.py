"""The rules as data equal the official submission checker's, and the rules API behaves.

The tables below are copied by hand from mlcommons/inference,
tools/submission/submission_checker/constants.py (``MODEL_CONFIG``, ``LLM_LATENCY_LIMITS``,
``OFFLINE_MIN_SPQ_SINCE_V4``), keyed by the checker's model names and written the way the
checker writes them (``76.46 * 0.99``). They are NOT computed from mlperf_tui.rules: a wrong
number in a round module fails here.

No stored checker has a "v6.1" table yet; mlperf_tui's v6.1 is derived from v6.0 (see
mlperf_tui/rules/v6_1.py), so v6.1 is pinned to the checker's v6.0 numbers plus the seeds of
the pinned LoadGen's mlperf.conf.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError, RulesError
from mlperf_tui.rules import Category, Division, Scenario

SS, MS, SRV, OFF, INT = "SingleStream", "MultiStream", "Server", "Offline", "Interactive"

# ------------------------------------------------------------------------------------------
# MODEL_CONFIG["v6.0"] (stored commit 9e3d1054), one row per model of its "models" list.
#   acc:     accuracy-target (metric, value) pairs
#   upper:   accuracy-upper-limit (metric, value) pairs
#   edge / dc / dc_edge: required-scenarios-edge / -datacenter / -datacenter-edge (None: absent)
#   opt_dc:  optional-scenarios-datacenter
#   server:  latency-constraint["Server"] in ns (None: absent)
#   spq:     OFFLINE_MIN_SPQ_SINCE_V4
#   psc:     performance-sample-count;  size: dataset-size
#   queries: min-queries
#   tests:   the models_TESTxx lists that name the model
# ------------------------------------------------------------------------------------------
_IMG_Q = {SS: 1024, MS: 270336, SRV: 270336, OFF: 1}
_SSO_Q = {SS: 1024, OFF: 1}
_LLM_Q = {SS: 1024, SRV: 270336, OFF: 1}

CHECKER_V6_0: dict[str, dict[str, Any]] = {
    "resnet": dict(
        acc=[("acc", 76.46 * 0.99)], upper=[],
        edge={SS, MS, OFF}, dc=None, dc_edge={SS, MS, OFF, SRV}, opt_dc=set(),
        server=15000000, spq=24576, psc=1024, size=50000, queries=_IMG_Q,
        tests=("TEST01", "TEST04"),
    ),
    "retinanet": dict(
        acc=[("mAP", 37.55 * 0.99)], upper=[],
        edge=None, dc=None, dc_edge={SS, OFF, MS, SRV}, opt_dc=set(),
        server=100000000, spq=24576, psc=64, size=24781, queries=_IMG_Q, tests=("TEST01",),
    ),
    "bert-99": dict(
        acc=[("F1", 90.874 * 0.99)], upper=[],
        edge={SS, OFF}, dc=None, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=10833, psc=10833, size=10833, queries=_SSO_Q, tests=("TEST01",),
    ),
    "bert-99.9": dict(
        acc=[("F1", 90.874 * 0.999)], upper=[],
        edge={SS, OFF}, dc=None, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=10833, psc=10833, size=10833, queries=_SSO_Q, tests=("TEST01",),
    ),
    "3d-unet-99": dict(
        acc=[("DICE", 0.86170 * 0.99)], upper=[],
        edge={SS, OFF}, dc={OFF}, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=43, psc=43, size=43, queries=_SSO_Q, tests=("TEST01",),
    ),
    "3d-unet-99.9": dict(
        acc=[("DICE", 0.86170 * 0.999)], upper=[],
        edge={SS, OFF}, dc={OFF}, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=43, psc=43, size=43, queries=_SSO_Q, tests=("TEST01",),
    ),
    "llama3.1-8b": dict(
        acc=[
            ("ROUGE1", 38.7792 * 0.99), ("ROUGE2", 15.9075 * 0.99),
            ("ROUGEL", 24.4957 * 0.99), ("ROUGELSUM", 35.793 * 0.99),
            ("GEN_LEN", 8167644 * 0.9),
        ],
        upper=[("GEN_LEN", 8167644 * 1.1)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=20000000000, spq=13368, psc=13368, size=13368, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 2000 * 1000000, INT: 500 * 1000000},
        tpot={SRV: 100 * 1000000, INT: 30 * 1000000},
    ),
    "llama3.1-8b-edge": dict(
        acc=[
            ("ROUGE1", 39.06 * 0.99), ("ROUGE2", 16.1147 * 0.99),
            ("ROUGEL", 24.6375 * 0.99), ("ROUGELSUM", 36.124 * 0.99),
            ("GEN_LEN", 3051113 * 0.9),
        ],
        upper=[("GEN_LEN", 3051113 * 1.1)],
        edge={SS, OFF}, dc=None, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=5000, psc=5000, size=5000, queries=_SSO_Q, tests=(),
    ),
    "llama2-70b-99": dict(
        acc=[
            ("ROUGE1", 44.4312 * 0.99), ("ROUGE2", 22.0352 * 0.99),
            ("ROUGEL", 28.6162 * 0.99), ("TOKENS_PER_SAMPLE", 294.45 * 0.9),
        ],
        upper=[("TOKENS_PER_SAMPLE", 294.45 * 1.1)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=20000000000, spq=24576, psc=24576, size=24576, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 2000 * 1000000, INT: 450 * 1000000},
        tpot={SRV: 200 * 1000000, INT: 40 * 1000000},
    ),
    "llama2-70b-99.9": dict(
        acc=[
            ("ROUGE1", 44.4312 * 0.999), ("ROUGE2", 22.0352 * 0.999),
            ("ROUGEL", 28.6162 * 0.999), ("TOKENS_PER_SAMPLE", 294.45 * 0.9),
        ],
        upper=[("TOKENS_PER_SAMPLE", 294.45 * 1.1)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=20000000000, spq=24576, psc=24576, size=24576, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 2000 * 1000000, INT: 450 * 1000000},
        tpot={SRV: 200 * 1000000, INT: 40 * 1000000},
    ),
    "stable-diffusion-xl": dict(
        acc=[("CLIP_SCORE", 31.68631873), ("FID_SCORE", 23.01085758)],
        upper=[("CLIP_SCORE", 31.81331801), ("FID_SCORE", 23.95007626)],
        edge={SS, OFF}, dc=None, dc_edge={SS, OFF, SRV}, opt_dc=set(),
        server=20000000000, spq=5000, psc=5000, size=5000, queries=_LLM_Q,
        tests=("TEST01", "TEST04"),
    ),
    "mixtral-8x7b": dict(
        acc=[
            ("ROUGE1", 45.5989 * 0.99), ("ROUGE2", 23.3526 * 0.99),
            ("ROUGEL", 30.4608 * 0.99), ("TOKENS_PER_SAMPLE", 144.84 * 0.9),
            ("gsm8k_accuracy", 73.66 * 0.99), ("mbxp_accuracy", 60.16 * 0.99),
        ],
        upper=[("TOKENS_PER_SAMPLE", 145.9 * 1.1)],
        edge=None, dc={SRV, OFF}, dc_edge={SRV, OFF}, opt_dc=set(),
        server=20000000000, spq=15000, psc=15000, size=15000, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 2000 * 1000000}, tpot={SRV: 200 * 1000000},
    ),
    "llama3.1-405b": dict(
        acc=[
            ("ROUGEL", 21.6666 * 0.99), ("exact_match", 90.1335 * 0.99),
            ("TOKENS_PER_SAMPLE", 684.68 * 0.9),
        ],
        upper=[("TOKENS_PER_SAMPLE", 684.68 * 1.1)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=60000000000, spq=8313, psc=8313, size=8313, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 6000 * 1000000, INT: 4500 * 1000000},
        tpot={SRV: 175 * 1000000, INT: 80 * 1000000},
    ),
    "rgat": dict(
        acc=[("acc", 0.7286 * 0.99)], upper=[],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc=set(),
        server=None, spq=788379, psc=788379, size=788379, queries=_SSO_Q, tests=("TEST01",),
    ),
    "pointpainting": dict(
        acc=[("mAP", 0.5425 * 0.999)], upper=[],
        edge={SS}, dc=None, dc_edge={SS}, opt_dc=set(),
        server=None, spq=6636, psc=1024, size=39987, queries={SS: 1024},
        tests=("TEST01", "TEST04"),
    ),
    "deepseek-r1": dict(
        acc=[("exact_match", 0.99 * 81.3582), ("TOKENS_PER_SAMPLE", 0.9 * 3886.2274)],
        upper=[("TOKENS_PER_SAMPLE", 1.1 * 3886.2274)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=60000000000, spq=4388, psc=4388, size=4388, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 2000 * 1000000, INT: 1500 * 1000000},
        tpot={SRV: 80 * 1000000, INT: 15 * 1000000},
    ),
    "whisper": dict(
        acc=[("ACCURACY", (100.0 - 2.0671) * 0.99)], upper=[],
        edge={OFF}, dc={OFF}, dc_edge={OFF}, opt_dc=set(),
        server=None, spq=1633, psc=1633, size=1633, queries=_SSO_Q, tests=("TEST01",),
    ),
    "gpt-oss-120b": dict(
        acc=[("exact_match", 83.13 * 0.99)],
        upper=[("TOKENS_PER_SAMPLE", 1.1 * 9999)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=60000000000, spq=6396, psc=6396, size=6396, queries=_LLM_Q,
        tests=("TEST07", "TEST09"), accuracy_samples=4395,
        ttft={SRV: 3000 * 1000000, INT: 2000 * 1000000},
        tpot={SRV: 80 * 1000000, INT: 15 * 1000000},
    ),
    "wan-2.2-t2v-a14b": dict(
        acc=[("vbench_score", 70.48 * 0.99)], upper=[],
        edge=None, dc={OFF, SS}, dc_edge=set(), opt_dc=set(),
        server=None, spq=50, psc=50, size=248, queries={SS: 50, OFF: 1},
        tests=("TEST04",), accuracy_samples=248,
    ),
    "qwen3-vl-235b-a22b": dict(
        acc=[("F1_HIERARCHICAL", 0.7903 * 0.99)], upper=[],
        edge=None, dc={SRV, OFF}, dc_edge={OFF}, opt_dc=set(),
        server=60000000000, spq=48289, psc=48289, size=48289, queries=_LLM_Q, tests=(),
    ),
    "dlrm-v3": dict(
        acc=[
            ("DLRM_NE", 0.86687 * 0.999), ("DLRM_ACC", 0.69651 * 0.999),
            ("DLRM_AUC", 0.78663 * 0.999),
        ],
        upper=[],
        edge=None, dc={SRV, OFF}, dc_edge={OFF, SRV}, opt_dc=set(),
        server=60000000000, spq=349823, psc=349823, size=349823,
        queries={SRV: 270336, OFF: 1}, tests=("TEST08",),
    ),
    "yolo-95": dict(
        acc=[("mAP", 53.4 * 0.95)], upper=[],
        edge={SS, MS, OFF}, dc=None, dc_edge={SS, MS, OFF}, opt_dc=set(),
        server=None, spq=1525, psc=64, size=1525, queries={SS: 1024, MS: 270336, OFF: 1},
        tests=("TEST01",),
    ),
    "yolo-99": dict(
        acc=[("mAP", 53.4 * 0.99)], upper=[],
        edge={SS, MS, OFF}, dc=None, dc_edge={SS, MS, OFF}, opt_dc=set(),
        server=None, spq=1525, psc=64, size=1525, queries={SS: 1024, MS: 270336, OFF: 1},
        tests=("TEST01",),
    ),
}  # fmt: skip

# ------------------------------------------------------------------------------------------
# MODEL_CONFIG["v5.1"] (same stored commit), for the benchmarks the issue names
# ------------------------------------------------------------------------------------------
CHECKER_V5_1: dict[str, dict[str, Any]] = {
    "resnet": dict(
        acc=[("acc", 76.46 * 0.99)], upper=[],
        edge={SS, MS, OFF}, dc=None, dc_edge={SS, MS, OFF, SRV}, opt_dc=set(),
        server=15000000, spq=24576, psc=1024, size=50000, queries=_IMG_Q,
        tests=("TEST01", "TEST04"),
    ),
    "retinanet": dict(
        acc=[("mAP", 37.55 * 0.99)], upper=[],
        edge={SS, MS, OFF}, dc={SRV, OFF}, dc_edge={SS, OFF, MS, SRV}, opt_dc=set(),
        server=100000000, spq=24576, psc=64, size=24781, queries=_IMG_Q, tests=("TEST01",),
    ),
    "bert-99": dict(
        acc=[("F1", 90.874 * 0.99)], upper=[],
        edge={SS, OFF}, dc=None, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=10833, psc=10833, size=10833, queries=_SSO_Q, tests=("TEST01",),
    ),
    "bert-99.9": dict(
        acc=[("F1", 90.874 * 0.999)], upper=[],
        edge={SS, OFF}, dc=None, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=10833, psc=10833, size=10833, queries=_SSO_Q, tests=("TEST01",),
    ),
    "3d-unet-99": dict(
        acc=[("DICE", 0.86170 * 0.99)], upper=[],
        edge={SS, OFF}, dc={OFF}, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=43, psc=43, size=43, queries=_SSO_Q, tests=("TEST01",),
    ),
    "3d-unet-99.9": dict(
        acc=[("DICE", 0.86170 * 0.999)], upper=[],
        edge={SS, OFF}, dc={OFF}, dc_edge={SS, OFF}, opt_dc=set(),
        server=None, spq=43, psc=43, size=43, queries=_SSO_Q, tests=("TEST01",),
    ),
    "dlrm-v2-99": dict(
        acc=[("AUC", 80.31 * 0.99)], upper=[],
        edge=None, dc={SRV, OFF}, dc_edge={OFF, SRV}, opt_dc=set(),
        server=60000000, spq=24576, psc=204800, size=330067,
        queries={SRV: 270336, OFF: 1}, tests=("TEST01",),
    ),
    "stable-diffusion-xl": dict(
        acc=[("CLIP_SCORE", 31.68631873), ("FID_SCORE", 23.01085758)],
        upper=[("CLIP_SCORE", 31.81331801), ("FID_SCORE", 23.95007626)],
        edge={SS, OFF}, dc={SRV, OFF}, dc_edge={SS, OFF, SRV}, opt_dc=set(),
        server=20000000000, spq=5000, psc=5000, size=5000, queries=_LLM_Q,
        tests=("TEST01", "TEST04"),
    ),
    "llama2-70b-99": dict(
        acc=[
            ("ROUGE1", 44.4312 * 0.99), ("ROUGE2", 22.0352 * 0.99),
            ("ROUGEL", 28.6162 * 0.99), ("TOKENS_PER_SAMPLE", 294.45 * 0.9),
        ],
        upper=[("TOKENS_PER_SAMPLE", 294.45 * 1.1)],
        edge=None, dc={OFF}, dc_edge={OFF}, opt_dc={INT, SRV},
        server=20000000000, spq=24576, psc=24576, size=24576, queries=_LLM_Q,
        tests=("TEST06",),
        ttft={SRV: 2000 * 1000000, INT: 450 * 1000000},
        tpot={SRV: 200 * 1000000, INT: 40 * 1000000},
    ),
    "deepseek-r1": dict(
        acc=[("exact_match", 0.99 * 81.3582), ("TOKENS_PER_SAMPLE", 0.9 * 3886.2274)],
        upper=[("TOKENS_PER_SAMPLE", 1.1 * 3886.2274)],
        edge=None, dc={SRV, OFF}, dc_edge={SS, SRV, OFF}, opt_dc=set(),
        server=60000000000, spq=4388, psc=4388, size=4388, queries=_LLM_Q,
        tests=("TEST06",),
        # LLM_LATENCY_LIMITS also lists Interactive, which v5.1 does not offer for deepseek-r1
        ttft={SRV: 2000 * 1000000}, tpot={SRV: 80 * 1000000},
    ),
}  # fmt: skip

# the v5.1 rows of these models are identical to v6.0's (same targets, scenarios, bounds, tests)
CHECKER_V5_1.update(
    {
        m: CHECKER_V6_0[m]
        for m in (
            "llama3.1-8b",
            "llama3.1-8b-edge",
            "llama2-70b-99.9",
            "mixtral-8x7b",
            "llama3.1-405b",
            "rgat",
            "pointpainting",
            "whisper",
        )
    }
)
CHECKER_V5_1["dlrm-v2-99.9"] = dict(
    acc=[("AUC", 80.31 * 0.999)],
    upper=[],
    edge=None,
    dc={SRV, OFF},
    dc_edge={OFF, SRV},
    opt_dc=set(),
    server=60000000,
    spq=24576,
    psc=204800,
    size=330067,
    queries={SRV: 270336, OFF: 1},
    tests=("TEST01",),
)

#: the "models" list of each round: what the checker accepts (v6.0 dropped dlrm-v2)
CHECKER_MODELS = {
    "v6.0": list(CHECKER_V6_0),
    "v5.1": [
        "resnet", "retinanet", "bert-99", "bert-99.9", "dlrm-v2-99", "dlrm-v2-99.9",
        "3d-unet-99", "3d-unet-99.9", "llama3.1-8b", "llama3.1-8b-edge", "llama2-70b-99",
        "llama2-70b-99.9", "stable-diffusion-xl", "mixtral-8x7b", "llama3.1-405b", "rgat",
        "pointpainting", "deepseek-r1", "whisper",
    ],
}  # fmt: skip

#: MODEL_CONFIG[round]["seeds"]; v6.1: mlcommons-loadgen 6.0.17's built-in mlperf.conf
SEEDS = {
    "v6.1": (2085463073848966840, 2747215439041700203, 16159082839903944936),
    "v6.0": (2465351861681999779, 14276810075590677512, 3936089224930324775),
    "v5.1": (1780908523862526354, 14771362308971278857, 18209322760996052031),
    "v5.0": (6023615788873153749, 15036839855038426416, 9933818062894767841),
    "v4.0": (13281865557512327830, 198141574272810017, 7575108116881280410),
}


def _scenarios(names: set[str] | None) -> set[Scenario] | None:
    return None if names is None else {Scenario(n) for n in names}


def _cases(version: str, table: dict[str, dict[str, Any]]) -> list[Any]:
    return [
        pytest.param(version, model, row, id=f"{version}-{model}") for model, row in table.items()
    ]


ALL_CASES = (
    _cases("v6.1", CHECKER_V6_0) + _cases("v6.0", CHECKER_V6_0) + _cases("v5.1", CHECKER_V5_1)
)


@pytest.mark.parametrize(("version", "model", "row"), ALL_CASES)
def test_numbers_equal_the_checker(version: str, model: str, row: dict[str, Any]) -> None:
    bench = rules.get_benchmark(model, version)  # looked up by the checker's name
    assert bench.checker_model == model

    assert [(t.metric, t.threshold) for t in bench.accuracy if t.reference > 0] == row["acc"]
    upper = [(t.metric, t.upper_limit) for t in bench.accuracy if t.upper_limit is not None]
    assert upper == row["upper"]

    assert _scenarios(row["edge"]) == (
        set(bench.required_scenarios[Category.EDGE])
        if Category.EDGE in bench.required_scenarios
        else None
    )
    assert _scenarios(row["dc"]) == (
        set(bench.required_scenarios[Category.DATACENTER])
        if Category.DATACENTER in bench.required_scenarios
        else None
    )
    assert _scenarios(row["dc_edge"]) == set(bench.required_scenarios_datacenter_edge)
    assert _scenarios(row["opt_dc"]) == set(bench.optional_scenarios.get(Category.DATACENTER, ()))

    assert bench.latency_bound_ns.get(Scenario.SERVER) == row["server"]
    assert bench.server_latency_ns == row["server"]
    assert bench.offline_min_samples == row["spq"]
    assert bench.performance_sample_count == row["psc"]
    assert bench.dataset_size == row["size"]
    assert {s.value: n for s, n in bench.min_queries.items()} == row["queries"]
    assert bench.compliance_tests == row["tests"]
    assert bench.accuracy_sample_count == row.get("accuracy_samples")
    assert {s.value: n for s, n in bench.ttft_ns.items()} == row.get("ttft", {})
    assert {s.value: n for s, n in bench.tpot_ns.items()} == row.get("tpot", {})


@pytest.mark.parametrize("version", ["v6.1", "v6.0", "v5.1"])
def test_round_holds_exactly_the_checkers_models(version: str) -> None:
    models = CHECKER_MODELS["v6.0" if version == "v6.1" else version]
    round_ = rules.get_round(version)
    assert sorted(b.checker_model for b in round_.benchmarks.values()) == sorted(models)


@pytest.mark.parametrize("version", list(SEEDS))
def test_round_constants(version: str) -> None:
    round_ = rules.get_round(version)
    seeds = round_.seeds
    assert (seeds.qsl_rng_seed, seeds.sample_index_rng_seed, seeds.schedule_rng_seed) == SEEDS[
        version
    ]
    assert round_.min_duration_ms == 600000  # TEST_DURATION_MS
    assert round_.offline_min_samples == 24576  # OFFLINE_MIN_SPQ
    assert round_.max_accuracy_log_bytes == 10 * 1024  # MAX_ACCURACY_LOG_SIZE
    assert round_.max_file_bytes == 50 * 1024 * 1024  # FILE_SIZE_LIMIT_MB
    assert round_.multistream_samples_per_query == 8  # *.MultiStream.samples_per_query
    assert round_.version == version
    assert round_.source


def test_v6_1_says_it_is_derived() -> None:
    round_ = rules.get_round("v6.1")
    assert "derived" in round_.source
    assert all("derived" in b.source for b in round_.benchmarks.values())


def test_system_fields_come_from_systems_module() -> None:
    fields = rules.get_round().system_fields
    assert len(fields) == 35
    assert sum(f.required for f in fields) == 26


# --- the older benchmarks ------------------------------------------------------------------


def test_gptj_in_v5_0_equals_the_checker() -> None:
    bench = rules.get_benchmark("gptj-99", "v5.0")
    assert bench.name == "gpt-j-99" and bench.loadgen_model == "gptj"
    assert [(t.metric, t.threshold) for t in bench.accuracy] == [
        ("ROUGE1", 42.9865 * 0.99),
        ("ROUGE2", 20.1235 * 0.99),
        ("ROUGEL", 29.9881 * 0.99),
        ("GEN_LEN", 4016878 * 0.9),
    ]
    assert set(bench.required_scenarios[Category.DATACENTER]) == {Scenario.SERVER, Scenario.OFFLINE}
    assert set(bench.required_scenarios[Category.EDGE]) == {
        Scenario.SINGLE_STREAM,
        Scenario.OFFLINE,
    }
    assert bench.server_latency_ns == 20000000000
    assert bench.performance_sample_count == 13368
    assert bench.compliance_tests == ("TEST06",)


def test_rnnt_in_v4_0_equals_the_checker() -> None:
    bench = rules.get_benchmark("rnnt", "v4.0")
    assert [(t.metric, t.threshold) for t in bench.accuracy] == [("WER", (100 - 7.452) * 0.99)]
    assert set(bench.required_scenarios[Category.DATACENTER]) == {Scenario.SERVER, Scenario.OFFLINE}
    assert set(bench.required_scenarios[Category.EDGE]) == {
        Scenario.SINGLE_STREAM,
        Scenario.OFFLINE,
    }
    assert bench.server_latency_ns == 1000000000
    assert bench.performance_sample_count == 2513
    assert bench.offline_min_samples == 2513
    assert bench.compliance_tests == ("TEST01", "TEST05")


def test_llama2_interactive_was_a_benchmark_in_v5_0() -> None:
    bench = rules.get_benchmark("llama2-70b-interactive-99", "v5.0")
    assert bench.ttft_ns == {Scenario.SERVER: 450 * 1000000}
    assert bench.tpot_ns == {Scenario.SERVER: 40 * 1000000}
    assert rules.get_benchmark("llama2-70b-99", "v5.0").loadgen_interactive_model is None
    assert rules.get_benchmark("llama2-70b-99").loadgen_interactive_model == (
        "llama2-70b-interactive"
    )


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "version", "expected"),
    [
        ("resnet50", "v6.1", "resnet50"),  # ours
        ("resnet", "v6.1", "resnet50"),  # the checker's
        ("ResNet50", "v6.1", "resnet50"),  # any case
        ("bert", "v6.1", "bert-99"),  # LoadGen's key, shared: the 99 variant
        ("3d-unet", "v5.1", "3d-unet-99"),
        ("llama3_1-405b", "v6.0", "llama3.1-405b"),  # LoadGen's spelling
        ("llama3_1-8b-interactive", "v6.1", "llama3.1-8b"),  # LoadGen's Interactive key
        ("sdxl", "v6.1", "stable-diffusion-xl"),
        ("yolo", "v6.1", "yolo-99"),
        ("gptj", "v5.0", "gpt-j-99"),
        ("gpt-j-99.9", "v5.0", "gpt-j-99.9"),
    ],
)
def test_benchmark_aliases(typed: str, version: str, expected: str) -> None:
    assert rules.get_benchmark(typed, version).name == expected


def test_loadgen_keys_follow_mlperf_conf() -> None:
    keys = {b.name: b.loadgen_model for b in rules.get_round("v6.1").benchmarks.values()}
    assert keys["resnet50"] == "resnet50"
    assert keys["bert-99.9"] == "bert"
    assert keys["3d-unet-99"] == "3d-unet"
    assert keys["llama3.1-8b"] == "llama3_1-8b"
    assert keys["yolo-95"] == "yolo"
    assert rules.get_benchmark("resnet").checker_model == "resnet"
    assert rules.get_benchmark("resnet50").harness_task == "imagenet_classification"
    assert rules.get_benchmark("bert-99").harness_task is None


def test_unknown_benchmark_says_did_you_mean() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("resnet5O")
    assert 'did you mean "resnet' in err.value.message
    assert "resnet50" in err.value.fix


def test_benchmark_of_another_round_names_the_round() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("rnnt")
    assert "v4.0" in err.value.message
    assert "--round v4.0" in err.value.fix
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("dlrm-v2-99", "v6.0")  # dropped from v6.0's models list
    assert "v5.1" in err.value.message


def test_ambiguous_loadgen_key_lists_the_choices() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_benchmark("llama2-70b-interactive", "v6.1")
    assert "llama2-70b-99" in err.value.message and "llama2-70b-99.9" in err.value.message


@pytest.mark.parametrize("typed", ["6.1", "V6.1", " v6.1 "])
def test_round_names(typed: str) -> None:
    assert rules.get_round(typed).version == "v6.1"


def test_unknown_round_says_did_you_mean() -> None:
    with pytest.raises(RulesError) as err:
        rules.get_round("v6.2")
    assert 'did you mean "v6.1"' in err.value.message or "v6.1" in err.value.fix
    assert isinstance(err.value, MlperfTuiError)
    assert rules.get_round().version == rules.DEFAULT_ROUND == "v6.1"
    assert rules.ROUNDS == ("v6.1", "v6.0", "v5.1")


def test_unknown_category_and_scenario_say_did_you_mean() -> None:
    with pytest.raises(RulesError) as err:
        rules.required_scenarios("resnet50", "egde")
    assert 'did you mean "edge"' in err.value.message
    with pytest.raises(RulesError) as err:
        rules.parse_scenario("Ofline")
    assert 'did you mean "Offline"' in err.value.message
    assert rules.parse_scenario("offline") is Scenario.OFFLINE


# --- scenarios -------------------------------------------------------------------------------


def test_resnet50_scenarios_in_v6_1() -> None:
    bench = rules.get_benchmark("resnet50")
    assert rules.required_scenarios(bench, Category.EDGE) == (
        Scenario.SINGLE_STREAM,
        Scenario.MULTI_STREAM,
        Scenario.OFFLINE,
    )
    assert rules.allowed_scenarios(bench, "edge", "closed") == rules.required_scenarios(
        bench, "edge"
    )
    # the edge suite has no Server: never offered on edge, in either division
    for division in Division:
        assert Scenario.SERVER not in rules.allowed_scenarios(bench, Category.EDGE, division)
    # the v6.x checker has no datacenter entry for resnet: closed datacenter is refused ...
    with pytest.raises(RulesError) as err:
        rules.allowed_scenarios(bench, Category.DATACENTER, Division.CLOSED)
    assert "edge" in err.value.message
    # ... open division (the checker does not check scenarios there) may run Server
    assert rules.allowed_scenarios(bench, "datacenter", "open") == (
        Scenario.SERVER,
        Scenario.OFFLINE,
    )


def test_resnet50_datacenter_in_v5_0_required_server() -> None:
    bench = rules.get_benchmark("resnet50", "v5.0")
    assert rules.required_scenarios(bench, "datacenter") == (Scenario.SERVER, Scenario.OFFLINE)


def test_edge_only_benchmarks_never_offer_server_on_edge() -> None:
    for bench in rules.get_round().benchmarks.values():
        if Category.EDGE not in bench.required_scenarios:
            continue
        for division in Division:
            allowed = rules.allowed_scenarios(bench, Category.EDGE, division)
            assert Scenario.SERVER not in allowed, bench.name
            assert Scenario.INTERACTIVE not in allowed, bench.name


def test_closed_allows_exactly_required_plus_optional() -> None:
    for bench in rules.get_round().benchmarks.values():
        for category in bench.categories:
            required = rules.required_scenarios(bench, category)
            allowed = rules.allowed_scenarios(bench, category, Division.CLOSED)
            assert set(required) <= set(allowed), bench.name
            assert set(allowed) - set(required) == set(
                bench.optional_scenarios.get(category, ())
            ), bench.name


def test_server_or_interactive_choice() -> None:
    bench = rules.get_benchmark("llama2-70b-99")
    assert rules.required_scenarios(bench, "datacenter") == (Scenario.OFFLINE,)
    assert rules.required_one_of(bench, "datacenter") == (Scenario.SERVER, Scenario.INTERACTIVE)
    assert rules.allowed_scenarios(bench, "datacenter", "closed") == (
        Scenario.SERVER,
        Scenario.OFFLINE,
        Scenario.INTERACTIVE,
    )
    assert rules.required_one_of("mixtral-8x7b", "datacenter") == ()
    assert rules.required_one_of("resnet50", "edge") == ()


def test_category_the_suite_lacks_is_refused_with_the_right_one() -> None:
    with pytest.raises(RulesError) as err:
        rules.required_scenarios("llama2-70b-99", "edge")
    assert "datacenter" in err.value.message
    with pytest.raises(RulesError) as err:
        rules.required_scenarios(rules.get_benchmark("retinanet", "v6.0"), "edge")
    assert "datacenter,edge" in err.value.message


def test_edge_scenarios_inferable_from_singlestream() -> None:
    resnet = rules.get_benchmark("resnet50")
    assert resnet.inferable_from == {
        Scenario.MULTI_STREAM: Scenario.SINGLE_STREAM,
        Scenario.OFFLINE: Scenario.SINGLE_STREAM,
    }
    assert rules.get_benchmark("bert-99").inferable_from == {
        Scenario.OFFLINE: Scenario.SINGLE_STREAM
    }
    assert rules.get_benchmark("whisper").inferable_from == {}  # edge has no SingleStream
    assert rules.get_benchmark("llama2-70b-99").inferable_from == {}  # not on edge


# --- compliance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "tests"),
    [
        ("resnet50", "v6.1", ("TEST01", "TEST04")),
        ("retinanet", "v6.1", ("TEST01",)),
        ("bert-99", "v6.1", ("TEST01",)),
        ("3d-unet-99.9", "v6.1", ("TEST01",)),
        ("stable-diffusion-xl", "v6.1", ("TEST01", "TEST04")),
        ("llama2-70b-99", "v6.1", ("TEST06",)),
        ("gpt-oss-120b", "v6.1", ("TEST07", "TEST09")),
        ("dlrm-v3", "v6.1", ("TEST08",)),
        ("qwen3-vl-235b-a22b", "v6.1", ()),
        ("dlrm-v2-99", "v5.1", ("TEST01",)),
        ("resnet50", "v4.0", ("TEST01", "TEST04", "TEST05")),
    ],
)
def test_compliance_tests(name: str, version: str, tests: tuple[str, ...]) -> None:
    bench = rules.get_benchmark(name, version)
    assert rules.compliance_tests(bench, Division.CLOSED) == tests
    assert rules.compliance_tests(bench, "open") == ()


def test_audit_configs_for_resnet50() -> None:
    test01 = rules.audit_config("TEST01", "resnet50")
    assert "*.*.mode = 2\n" in test01
    assert "*.*.accuracy_log_rng_seed = 720381539243781796\n" in test01
    assert "*.*.accuracy_log_sampling_target = 256\n" in test01
    test04 = rules.audit_config("test04", "resnet50")
    for scenario in ("SingleStream", "MultiStream", "Server", "Offline"):
        assert f"*.{scenario}.mode = 2\n" in test04
        assert f"*.{scenario}.performance_issue_same = 1\n" in test04
        assert f"*.{scenario}.performance_issue_same_index = 3\n" in test04
        assert f"*.{scenario}.performance_issue_unique = 0\n" in test04
    # every non-comment line is a LoadGen 'model.scenario.key = value' setting
    for text in (test01, test04, rules.audit_config("TEST06", "llama2-70b-99")):
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.partition(" = ")
                model, scenario, setting = key.rsplit(".", 2)  # model names may hold dots
                assert model and setting and value.strip(), line
                assert scenario == "*" or scenario in {s.value for s in Scenario}, line


def test_audit_config_refuses_tests_that_do_not_apply() -> None:
    with pytest.raises(RulesError) as err:
        rules.audit_config("TEST04", "bert-99")
    assert "TEST01" in err.value.message
    with pytest.raises(RulesError) as err:
        rules.audit_config("TEST1", "resnet50")
    assert 'did you mean "TEST01"' in err.value.message
    with pytest.raises(RulesError):
        rules.audit_config("TEST07", "gpt-oss-120b")  # a file mlperf-tui does not carry


def test_importing_rules_loads_no_ui() -> None:
    code = (
        "import sys, mlperf_tui.rules as r; r.get_round(); r.get_benchmark('resnet');"
        "print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
