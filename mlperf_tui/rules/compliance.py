"""The compliance tests' audit.config files, as the compliance folder of mlcommons/inference
gives them.

A compliance run is an ordinary performance run with an ``audit.config`` beside it: LoadGen reads
the file and changes its behaviour (TEST01 logs a sample of responses in performance mode,
TEST04 issues the same sample again and again, TEST06 checks LLM output consistency, ...).

Sources: mlcommons/inference b66003e, ``compliance/``:
- TEST01: ``compliance/TEST01/<folder>/audit.config``. Every TEST01 file is the same three
  keys; only ``accuracy_log_sampling_target`` differs per benchmark (the folder is LoadGen's
  model key, but for GPT-J, whose folder is ``gpt-j``).
- TEST04: ``compliance/TEST04/audit.config`` (one file for every benchmark).
- TEST06: ``compliance/TEST06/audit.config``.
TEST07, TEST08 and TEST09 are not carried: no built-in harness runs a benchmark that needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_HEADER = (
    "# The format of this config file is 'key = value'.\n"
    "# The key has the format 'model.scenario.key'. Value is mostly int64_t.\n"
    "# Model maybe '*' as wildcard. In that case the value applies to all models.\n"
    "# All times are in milli seconds\n"
)

_MODE_COMMENT = (
    "# mode dictionary (0 = submission, 1 = accuracy, 2 = performance, 3 = find peak perf)\n"
)

#: compliance/TEST0{1,4}/verify_performance.py: the allowed relative difference between the
#: compliance run's score and the submission run's, and the wider one for short
#: single-/multi-stream scores (run-to-run noise dominates there)
PERF_THRESHOLD = 0.10
PERF_THRESHOLD_RELAXED = 0.20
#: ...used when the SingleStream / MultiStream score is at most this (the scripts' 200000 and
#: 1600000: nanoseconds of latency in TEST01, 1e9/latency in TEST04 - as the scripts do)
RELAXED_SCORE_LIMIT: Mapping[str, float] = MappingProxyType(
    {"SingleStream": 200_000.0, "MultiStream": 1_600_000.0}
)

#: the accuracy-log seed every TEST01 / TEST06 audit.config uses
ACCURACY_LOG_RNG_SEED = 720381539243781796

#: TEST01 ``accuracy_log_sampling_target`` per folder of compliance/TEST01
TEST01_SAMPLING_TARGET: Mapping[str, int] = MappingProxyType(
    {
        "3d-unet": 64,
        "bert": 4096,
        "dlrm-v2": 4096,
        "gpt-j": 4096,
        "pointpainting": 256,
        "resnet50": 4096,
        "retinanet": 256,
        "rgat": 4096,
        "rnnt": 4096,
        "stable-diffusion-xl": 128,
        "wan-2.2-t2v-a14b": 50,
        "whisper": 4096,
        "yolo": 64,
    }
)

#: compliance/TEST01 folders named otherwise than LoadGen's model key
_TEST01_FOLDER: Mapping[str, str] = MappingProxyType({"gptj": "gpt-j"})


def test01_folder(loadgen_model: str) -> str:
    """The compliance/TEST01 folder of a LoadGen model key."""
    return _TEST01_FOLDER.get(loadgen_model, loadgen_model)


def test01_audit_config(loadgen_model: str) -> str | None:
    """TEST01's audit.config for a LoadGen model key, or None when we do not have its file."""
    target = TEST01_SAMPLING_TARGET.get(test01_folder(loadgen_model))
    if target is None:
        return None
    return (
        f"{_HEADER}\n{_MODE_COMMENT}"
        "*.*.mode = 2\n"
        f"*.*.accuracy_log_rng_seed = {ACCURACY_LOG_RNG_SEED}\n"
        f"*.*.accuracy_log_sampling_target = {target}\n"
    )


def _test04_block(scenario: str) -> str:
    return (
        f"*.{scenario}.mode = 2\n"
        f"*.{scenario}.performance_issue_unique = 0\n"
        f"*.{scenario}.performance_issue_same = 1\n"
        f"*.{scenario}.performance_issue_same_index = 3\n"
    )


#: compliance/TEST04/audit.config: the same sample (index 3) issued for every query
TEST04_AUDIT_CONFIG: str = (
    _HEADER
    + "".join(_test04_block(s) for s in ("MultiStream", "Offline", "SingleStream", "Server"))
    + "stable-diffusion-xl.Offline.min_query_count = 500\n"
    + "wan-2.2-t2v-a14b.Offline.min_query_count = 20\n"
    + "wan-2.2-t2v-a14b.SingleStream.min_query_count = 20\n"
    + "# You can optionally set the target qps to match the expected query count \n"
    + "# in the min duration with the min_query_count. But take into account you\n"
    + "# system expected qps, the min duration for this test is 10 minutes\n"
    + "# stable-diffusion-xl.Offline.target_qps = 0.75\n"
)

#: compliance/TEST06/audit.config: LLM output consistency (first token, EOS, length)
TEST06_AUDIT_CONFIG: str = (
    f"{_HEADER}\n{_MODE_COMMENT}"
    "*.*.mode = 2\n"
    f"*.*.accuracy_log_rng_seed = {ACCURACY_LOG_RNG_SEED}\n"
    "*.*.accuracy_log_sampling_target = 100\n"
    "*.*.min_query_count = 100\n"
    "*.*.min_duration = 0\n"
    "# Turn off equal issue mode for TEST06\n"
    "*.*.sample_concatenate_permutation = 0"
)
