"""Read LoadGen's logs: mlperf_log_detail.txt (":::MLLOG {json}" lines) and mlperf_log_summary.txt.

This is the one parser of LoadGen logs in the project: the harness uses it for its ``result``
event, and mlperf_tui's runner and validator import it.

- :func:`parse_detail_log` -> ``DetailLog`` (every key's value, errors, warnings)
- :func:`parse_summary_log` -> ``{"key": "value"}`` from the summary's ``name : value`` lines
- :func:`result_figures` -> the figures of a ``result`` event: validity, the scenario's metric,
  early stopping, percentiles, seeds, settings, error and warning counts
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MLLOG_PREFIX = ":::MLLOG "
DETAIL_LOG = "mlperf_log_detail.txt"
SUMMARY_LOG = "mlperf_log_summary.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"

#: the detail-log key holding each scenario's metric, as the submission checker reads it
SCENARIO_METRICS: dict[str, tuple[str, str, str]] = {
    # scenario: (detail-log key, metric name, unit)
    "Offline": ("result_samples_per_second", "samples_per_second", "samples/s"),
    "Server": ("result_completed_samples_per_sec", "completed_samples_per_second", "samples/s"),
    "SingleStream": ("early_stopping_latency_ss", "early_stopping_latency_ns", "ns"),
    "MultiStream": ("early_stopping_latency_ms", "early_stopping_latency_ns", "ns"),
}
_PERCENTILE_KEY = re.compile(r"^result_(\d+\.\d+)_percentile_latency_ns$")
_QUERY_PERCENTILE_KEY = re.compile(r"^result_(\d+\.\d+)_percentile_per_query_latency_ns$")
_SEED_KEYS = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")
#: LoadGen's token latencies (use_token_latencies): first token, time per output token
_FIRST_TOKEN_KEY = re.compile(r"^result_first_token_(\d+\.\d+)_percentile_latency_ns$")
_TPOT_KEY = re.compile(r"^result_time_per_output_token_(\d+\.\d+)_percentile_ns$")
_TOKENS_PER_S_KEYS = ("result_completed_tokens_per_second", "result_tokens_per_second")


@dataclass
class LogMessage:
    key: str
    value: Any


@dataclass
class DetailLog:
    """The parsed detail log: last value of each key, plus every error and warning."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: list[LogMessage] = field(default_factory=list)
    warnings: list[LogMessage] = field(default_factory=list)
    #: lines that started with :::MLLOG but were not valid JSON (a truncated log)
    bad_lines: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def parse_detail_text(text: str) -> DetailLog:
    """Every ``:::MLLOG`` record; never raises: a line that is no record (not JSON, nested too
    deeply to parse, without a text ``key``) is counted in ``bad_lines``."""
    log = DetailLog()
    for line in text.splitlines():
        if not line.startswith(MLLOG_PREFIX):
            continue
        try:
            record = json.loads(line[len(MLLOG_PREFIX) :])
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            log.bad_lines += 1
            continue
        key = record["key"]
        value = record.get("value")
        log.values[key] = value
        meta = record.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        if meta.get("is_error"):
            log.errors.append(LogMessage(key, value))
        if meta.get("is_warning"):
            log.warnings.append(LogMessage(key, value))
    return log


def parse_detail_log(path: str | Path) -> DetailLog:
    """Parse mlperf_log_detail.txt (a folder is accepted: its detail log is read)."""
    p = Path(path)
    if p.is_dir():
        p = p / DETAIL_LOG
    return parse_detail_text(p.read_text(encoding="utf-8", errors="replace"))


def parse_summary_text(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        if " : " in line or ": " in line:
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if name and value and name not in values:
                values[name] = value
    return values


def parse_summary_log(path: str | Path) -> dict[str, str]:
    """``name : value`` lines of mlperf_log_summary.txt (first occurrence of each name)."""
    p = Path(path)
    if p.is_dir():
        p = p / SUMMARY_LOG
    return parse_summary_text(p.read_text(encoding="utf-8", errors="replace"))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of 400 digits
        return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def token_figures(log: DetailLog) -> dict[str, Any] | None:
    """LoadGen's token figures of a run, or None when it measured none.

    ``ttft_ns`` and ``tpot_ns``: {"min", "max", "mean", "50.00", "90.00", ..., "99.90"} (first
    token latency, time per output token; None when not measured, as in Offline);
    ``tokens_per_s``: completed tokens per second (Server) or tokens per second (the others).
    """
    values = log.values
    ttft: dict[str, float | None] = {}
    tpot: dict[str, float | None] = {}
    for key, value in values.items():
        if m := _FIRST_TOKEN_KEY.match(key):
            ttft[m.group(1)] = _number(value)
        elif m := _TPOT_KEY.match(key):
            tpot[m.group(1)] = _number(value)
    for stat in ("min", "max", "mean"):
        if f"result_first_token_{stat}_latency_ns" in values:
            ttft[stat] = _number(values[f"result_first_token_{stat}_latency_ns"])
        if f"result_time_to_output_token_{stat}" in values:
            tpot[stat] = _number(values[f"result_time_to_output_token_{stat}"])
    tokens_per_s = next((_number(values[k]) for k in _TOKENS_PER_S_KEYS if k in values), None)
    if not ttft and not tpot and tokens_per_s is None:
        return None
    return {"ttft_ns": ttft or None, "tpot_ns": tpot or None, "tokens_per_s": tokens_per_s}


def result_figures(log: DetailLog) -> dict[str, Any]:
    """LoadGen's own figures of a run, as the ``result`` event's ``loadgen`` carries them."""
    v = log.values
    scenario = v.get("effective_scenario") or v.get("requested_scenario")
    mode = v.get("effective_test_mode") or v.get("requested_test_mode")
    validity = v.get("result_validity")
    metric_key, metric_name, unit = SCENARIO_METRICS.get(str(scenario), (None, None, None))
    metric_value = _number(v.get(metric_key)) if metric_key else None
    percentiles = {}
    query_percentiles = {}
    for key, value in v.items():
        if m := _PERCENTILE_KEY.match(key):
            percentiles[m.group(1)] = _number(value)
        elif m := _QUERY_PERCENTILE_KEY.match(key):
            query_percentiles[m.group(1)] = _number(value)
    return {
        "result_valid": None if validity is None else validity == "VALID",
        "result_validity": validity,
        "scenario": scenario,
        "mode": mode,
        "metric_name": metric_name if metric_value is not None else None,
        "metric_key": metric_key if metric_value is not None else None,
        "metric_value": metric_value,
        "metric_unit": unit if metric_value is not None else None,
        "early_stopping_met": _bool(v.get("early_stopping_met")),
        "early_stopping_result": v.get("early_stopping_result"),
        "min_duration_met": _bool(v.get("result_min_duration_met")),
        "min_queries_met": _bool(v.get("result_min_queries_met")),
        "perf_constraints_met": _bool(v.get("result_perf_constraints_met")),
        "invalid_reason": v.get("result_invalid_reason") or None,
        "query_count": v.get("result_query_count"),
        "latency_ns": {
            "min": _number(v.get("result_min_latency_ns")),
            "max": _number(v.get("result_max_latency_ns")),
            "mean": _number(v.get("result_mean_latency_ns")),
        },
        "percentiles_ns": percentiles,
        "query_percentiles_ns": query_percentiles,
        "seeds": {name: v.get(f"effective_{name}") for name in _SEED_KEYS},
        "settings": {
            k[len("effective_") :]: val for k, val in v.items() if k.startswith("effective_")
        },
        "tokens": token_figures(log),
        "loadgen_version": v.get("loadgen_version"),
        "errors": len(log.errors),
        "warnings": len(log.warnings),
        "error_messages": [f"{e.key}: {e.value}" for e in log.errors[:20]],
        "warning_messages": [f"{w.key}: {w.value}" for w in log.warnings[:20]],
    }


def read_result_figures(output_dir: str | Path) -> dict[str, Any] | None:
    """result_figures of the detail log in ``output_dir``, or None when there is none."""
    path = Path(output_dir) / DETAIL_LOG
    if not path.is_file():
        return None
    return result_figures(parse_detail_log(path))
