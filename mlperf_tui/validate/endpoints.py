"""Scenario folders written by the MLCommons endpoints tool (v6.1).

Mirrors the official checker's parsers/endpoints_parser.py (config.yaml,
performance/result_summary.json, accuracy/accuracy_results.json and their dotted keys),
loader.py's switch to it (load_endpoints_logs: no LoadGen detail log in the folder), the
endpoints parts of checks/performance_check.py (map_endpoints_scenario, endpoints_model_check)
and checks/compliance_check.py's compliance_endpoints_check (audit/audit_<test>.json).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlperf_tui import rules
from mlperf_tui.rules.checker import (
    ENDPOINTS_ACCURACY,
    ENDPOINTS_AUDITS,
    ENDPOINTS_CONFIGS,
    ENDPOINTS_SUMMARY,
    ENDPOINTS_TYPES,
)
from mlperf_tui.rules.model import Scenario
from mlperf_tui.validate.accuracy import _check_accuracy_values, _check_dataset_size
from mlperf_tui.validate.context import _as_float, _as_int, _Ctx, _linked, _load_json, _scenario
from mlperf_tui.validate.findings import _Findings
from mlperf_tui.validate.logs import _check_seed_values
from mlperf_tui.validate.measurements import _check_measurements


def _is_endpoints_folder(scenario_dir: Path) -> bool:
    """A scenario folder without LoadGen logs that holds the endpoints tool's files (the
    checker's loader switches to its EndpointsParser when both LoadGen detail logs are absent)."""
    if (scenario_dir / "performance" / "run_1" / "mlperf_log_detail.txt").is_file():
        return False
    if (scenario_dir / "accuracy" / "mlperf_log_detail.txt").is_file():
        return False
    return any((scenario_dir / name).is_file() for name in ENDPOINTS_CONFIGS) or (
        scenario_dir.joinpath(*ENDPOINTS_SUMMARY).is_file()
    )


def _check_endpoints(f: _Findings, ctx: _Ctx) -> None:
    """A scenario folder from the MLCommons endpoints tool (the checker's EndpointsParser path)."""
    folder = ctx.scenario_dir
    bench, round_rules = ctx.bench, ctx.round_rules
    if not ctx.layout.endpoints:
        f.error(
            "endpoints.not-allowed",
            folder,
            f"this folder holds endpoints-tool results, which the {round_rules.version} checker "
            "does not read (it needs LoadGen's logs in performance/run_1 and accuracy/)",
            "run the benchmark under LoadGen, or submit to a round that accepts endpoints "
            "results (v6.1)",
        )
        return
    if not bench.endpoints_allowed:
        allowed = ", ".join(b.name for b in round_rules.benchmarks.values() if b.endpoints_allowed)
        f.error(
            "endpoints.not-allowed",
            folder,
            f"{bench.name} may not be submitted through the endpoints tool in "
            f"{round_rules.version} (allowed: {allowed})",
            "run it under LoadGen and submit its LoadGen logs",
        )
    config_path = next(
        (folder / n for n in ENDPOINTS_CONFIGS if (folder / n).is_file()),
        folder / ENDPOINTS_CONFIGS[0],
    )
    config = _load_structured(f, config_path, "endpoints run")
    summary = _load_structured(f, folder.joinpath(*ENDPOINTS_SUMMARY), "endpoints performance")
    accuracy = _load_structured(f, folder.joinpath(*ENDPOINTS_ACCURACY), "endpoints accuracy")
    fixed = _scenario(ctx.scenario)
    perf_path = folder.joinpath(*ENDPOINTS_SUMMARY)
    if config is not None:
        kind = str(config.get("type") or "").lower()
        expected = ENDPOINTS_TYPES.get(fixed, ()) if fixed is not None else ()
        # a SingleStream (or MultiStream) folder is taken for its own scenario (the checker's
        # map_endpoints_scenario)
        if expected and kind not in expected:
            f.error(
                "log.scenario-mismatch",
                config_path,
                f'config.yaml says type "{kind or "?"}", which is no {ctx.scenario} run',
                f"put the {ctx.scenario} run here (type: {expected[0]})",
            )
        runtime = _dotted(config, "settings.runtime") or {}
        seeds = {
            "sample_index_rng_seed": _dotted(runtime, "dataloader_random_seed"),
            "schedule_rng_seed": _dotted(runtime, "scheduler_random_seed"),
        }
        # the endpoints tool has no QSL seed
        _check_seed_values(
            f,
            config_path,
            seeds,
            round_rules,
            "set settings.runtime.dataloader_random_seed / scheduler_random_seed to the round's "
            "sample-index and schedule seeds (LoadGen's mlperf.conf of the round)",
        )
        if not bench.single_pass:
            duration = _as_int(_dotted(runtime, "min_duration_ms"))
            if duration is None or duration < round_rules.min_duration_ms:
                f.error(
                    "log.min-duration",
                    config_path,
                    f"settings.runtime.min_duration_ms is {duration}, the rules need "
                    f"{round_rules.min_duration_ms} ms",
                    f"set settings.runtime.min_duration_ms: {round_rules.min_duration_ms}",
                )
    if summary is not None:
        failed = _as_int(_dotted(summary, "result.failed"))
        if failed is None:
            failed = _as_int(summary.get("n_samples_failed"))
        if failed:
            f.error(
                "endpoints.failed-samples",
                perf_path,
                f"{failed} samples failed in this run",
                "find why the server refused or dropped them, and run again",
            )
        if bench.llm and fixed in (Scenario.SERVER, Scenario.INTERACTIVE):
            _check_endpoints_tokens(f, perf_path, summary, ctx, fixed)
        elif fixed is not None:
            bound = bench.latency_bound_ns.get(fixed)
            p99 = _as_float(_dotted(summary, "latency.early_stopping_percentiles.99.0"))
            if bound and (p99 is None or p99 > bound):
                f.error(
                    "log.latency-bound",
                    perf_path,
                    f"99th percentile latency {p99} ns is above the {ctx.scenario} bound {bound} ns"
                    if p99 is not None
                    else "result_summary.json has no early-stopping 99th percentile latency",
                    "lower the target QPS until the 99th percentile meets the bound",
                )
        latency_result = fixed in (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)
        if latency_result:
            has_metric = _as_float(_dotted(summary, "latency.avg")) is not None
        else:
            # the parser derives the QPS from the samples issued over the duration when the
            # summary has none
            has_metric = _as_float(summary.get("qps")) is not None or bool(
                _as_float(summary.get("duration_ns")) and _as_float(summary.get("n_samples_issued"))
            )
        if not has_metric:
            f.error(
                "log.metric-missing",
                perf_path,
                "result_summary.json has no "
                + (
                    "latency.avg"
                    if latency_result
                    else "qps (nor n_samples_issued and duration_ns)"
                )
                + f", the {ctx.scenario} result the checker reads",
                "copy the complete result_summary.json of a finished run",
            )
    if accuracy is not None:
        _check_endpoints_accuracy(f, folder.joinpath(*ENDPOINTS_ACCURACY), accuracy, ctx)
    _check_measurements(f, ctx, endpoints=True)
    if ctx.strict:
        _check_endpoints_compliance(f, ctx)


def _check_endpoints_tokens(
    f: _Findings, path: Path, summary: Mapping[str, Any], ctx: _Ctx, fixed: Scenario
) -> None:
    ttft_limit = ctx.bench.ttft_ns.get(fixed)
    tpot_limit = ctx.bench.tpot_ns.get(fixed)
    ttft = _as_float(_dotted(summary, "ttft.early_stopping_percentiles.99.0"))
    tpot = _as_float(_dotted(summary, "tpot.early_stopping_percentiles.99.0"))
    if ttft_limit is None or tpot_limit is None:
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"the rules have no TTFT/TPOT limits for {ctx.bench.name} {fixed.value}",
            "submit the scenarios the round defines limits for",
        )
    elif ttft is None or tpot is None:
        f.error(
            "log.token-latencies",
            path,
            "result_summary.json has no early-stopping 99th-percentile TTFT/TPOT",
            "run with streaming on, so the tool measures the first token and each token after",
        )
    elif ttft >= ttft_limit or tpot >= tpot_limit:
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"TTFT p99 {ttft / 1e6:g} ms / TPOT p99 {tpot / 1e6:g} ms; the {fixed.value} limits "
            f"are {ttft_limit / 1e6:g} ms / {tpot_limit / 1e6:g} ms",
            "lower the target QPS until both are under the limits",
        )


def _check_endpoints_accuracy(
    f: _Findings, path: Path, accuracy: Mapping[str, Any], ctx: _Ctx
) -> None:
    scores = accuracy.get("accuracy_scores")
    entries = [s for s in scores if isinstance(s, dict)] if isinstance(scores, list) else []
    score_values = [s.get("score") for s in entries if s.get("score") is not None]
    if not score_values:
        f.error(
            "endpoints.accuracy-missing",
            path,
            "accuracy_results.json has no accuracy_scores[].score",
            "run the accuracy dataset of the config (type: accuracy) to the end",
        )
        return
    counts = []
    for entry in entries:
        if entry.get("dataset_type") not in (None, "accuracy"):
            continue
        count = _as_int(entry.get("total_samples"))
        if count is None:
            count = _as_int(_dotted(entry, "response_counts.issued"))
        if count is not None:
            counts.append(count)
    _check_dataset_size(f, path, sum(counts) if counts else None, ctx)
    targets = ctx.bench.accuracy_for(ctx.scenario)
    # the checker compares an endpoints score with the target only for qwen3-vl; we compare
    # every metric the score names (stricter)
    values = _endpoints_scores(score_values[0], targets)
    if all(v is None for v in values.values()):
        f.warning(
            "accuracy.metric-missing",
            path,
            f"mlperf-tui cannot read the score {json.dumps(score_values[0])[:80]} as "
            f"{targets[0].metric}",
            "check the accuracy by hand against the rules' target",
        )
        return
    _check_accuracy_values(f, path, values, ctx, readable=True, only=set(values))


def _check_endpoints_compliance(f: _Findings, ctx: _Ctx) -> None:
    """The checker's compliance_endpoints_check: audit/audit_<test>.json for the tests it maps."""
    audit_dir = ctx.compliance_dir / "audit"
    for test in rules.compliance_tests(ctx.bench, ctx.division):
        name = ENDPOINTS_AUDITS.get(test)
        if name is None:
            continue
        path = audit_dir / f"audit_{name}.json"
        if not path.is_file():
            # the checker requires only TEST04's audit (output caching)
            if test == "TEST04":
                f.error(
                    "compliance.missing-file",
                    path,
                    f"{test} ({name}) needs {path.name} in audit/",
                    "run the endpoints tool's audit for it and copy the file here",
                )
            continue
        try:
            data = _load_json(path)
        except (OSError, ValueError) as exc:
            f.error(
                "compliance.failed", path, f"{path.name} cannot be read ({exc})", "copy it again"
            )
            continue
        if not isinstance(data, dict) or data.get("test") != name or not data.get("passed"):
            f.error(
                "compliance.failed",
                path,
                f"{test}: {path.name} does not record a passed {name}",
                f"run the {name} audit again until it passes",
            )


def _dotted(data: Any, key: str) -> Any:
    """``data["latency"]["early_stopping_percentiles"]["99.0"]`` for "latency.early_...99.0".

    Keys may hold dots themselves ("99.0"): at each level the longest key that matches wins.
    A percentile written "99" also answers "99.0".
    """
    parts = key.split(".")
    node = data
    i = 0
    while i < len(parts):
        if not isinstance(node, dict):
            return None
        for j in range(len(parts), i, -1):
            candidate = ".".join(parts[i:j])
            if candidate in node:
                node = node[candidate]
                i = j
                break
            if candidate.endswith(".0") and candidate[:-2] in node:
                node = node[candidate[:-2]]
                i = j
                break
        else:
            return None
    return node


def _load_structured(f: _Findings, path: Path, what: str) -> dict[str, Any] | None:
    import yaml

    if not path.is_file():
        f.error(
            "endpoints.unreadable",
            path,
            f"{what}: {path.name} is missing",
            "copy the endpoints tool's output of this run here (config.yaml at the scenario "
            "folder, performance/result_summary.json, accuracy/accuracy_results.json)",
        )
        return None
    try:
        if _linked(path):
            raise ValueError("it is a symbolic link, which the validator does not follow")
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
        except RecursionError:
            raise ValueError("it nests too deeply to be read") from None
    except (OSError, ValueError, yaml.YAMLError) as exc:
        f.error(
            "endpoints.unreadable", path, f"{path.name} cannot be read ({exc})", "copy it again"
        )
        return None
    if not isinstance(data, dict):
        f.error("endpoints.unreadable", path, f"{path.name} is not a mapping", "copy it again")
        return None
    return data


def _endpoints_scores(score: Any, targets: tuple[Any, ...]) -> dict[str, float | None]:
    """The target metrics an endpoints accuracy score holds: a number (or a numeric string) is
    the first target's; a mapping names its metrics ("rouge1", "ROUGE1", ...; "score" or
    "accuracy" for the first target)."""
    if not targets:
        return {}
    first = targets[0].metric
    if not isinstance(score, dict):
        return {first: _as_float(score)}
    found: dict[str, float | None] = {}
    for i, target in enumerate(targets):
        metric = target.metric
        keys = [metric, metric.lower(), metric.split("_")[-1].lower()]
        if i == 0:
            keys += ["score", "accuracy", "f1"]
        value = next((_as_float(score[k]) for k in keys if k in score), None)
        if value is not None:
            found[metric] = value
    return found or {first: None}
