"""LoadGen's logs, written as a LoadGen of the round writes them, for a run that met the rules.

:func:`detail_log` writes mlperf_log_detail.txt (one ``:::MLLOG {json}`` record a line, with the
metadata every record carries), :func:`summary_log` mlperf_log_summary.txt, and
:func:`accuracy_log` a full mlperf_log_accuracy.json with :func:`truncate` as the official
truncate_accuracy_log.py shortens it. Every key the official checkers read is there, with
values a VALID run of the round has: the round's seeds, its minimum duration, the benchmark's
performance sample count, early stopping met, the whole data set in accuracy mode, token
latencies under the limits for LLMs. The numbers come from the rules (``mlperf_tui.rules``),
never repeated here; the figures a run measures (QPS, latency) are the tree builder's choice.

LoadGen runs an Interactive scenario as a Server test with the benchmark's "-interactive"
settings: its logs say ``effective_scenario: Server`` and carry the Interactive TTFT/TPOT
targets, as the published Interactive results do.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from mlperf_tui.rules.model import Benchmark, Round, Scenario

MLLOG = ":::MLLOG "
#: start of every run's clock (logs are deterministic)
TEST_DATETIME = "2025-07-31T22:14:03Z"
POWER_BEGIN = "07-31-2025 22:14:03.215"


@dataclass(frozen=True)
class LoadgenRelease:
    """What the round's LoadGen writes that differs between releases."""

    version: str
    commit: str
    #: effective_accuracy_sample_count is logged (LoadGen 6 on)
    logs_accuracy_sample_count: bool


#: the LoadGen of each round the corpus writes (version strings as published logs show them)
LOADGEN: dict[str, LoadgenRelease] = {
    "v5.0": LoadgenRelease("5.0.16", "3e3d2b0c56", False),
    "v5.1": LoadgenRelease("5.1.0", "50de99161e", False),
    "v6.0": LoadgenRelease("6.0.9", "b29c0fd8e2", True),
    "v6.1": LoadgenRelease("6.1.0", "9a21c7e5f4", True),
}


@dataclass(frozen=True)
class Run:
    """One LoadGen test of a scenario folder."""

    round: Round
    bench: Benchmark
    #: the scenario folder the run belongs to (Interactive: LoadGen runs it as Server)
    folder: Scenario
    mode: str  # "performance" or "accuracy"
    #: Server and Offline: the samples per second the system sustains
    qps: float = 1.0
    #: SingleStream and MultiStream: the 90th/99th-percentile latency of one query, ms
    latency_ms: float = 1.0
    #: the compliance test whose audit.config the run read, if any
    audit: str | None = None
    #: LLMs: output tokens per sample (tokens/s = samples/s x this)
    tokens_per_sample: float = 0.0
    sut_name: str = "PySUT"
    #: audit.config settings of the run (key -> value), from the compliance folder's file
    audit_settings: dict[str, str] = field(default_factory=dict)

    @property
    def scenario(self) -> Scenario:
        """The scenario LoadGen ran."""
        return Scenario.SERVER if self.folder is Scenario.INTERACTIVE else self.folder

    @property
    def loadgen(self) -> LoadgenRelease:
        return LOADGEN[self.round.version]

    @property
    def min_duration_s(self) -> float:
        return self.round.min_duration_ms / 1000.0


def parse_audit_config(text: str, model: str, scenario: Scenario) -> dict[str, str]:
    """The audit.config keys that apply to ``model`` in ``scenario`` (``*`` wildcards)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        key, value = (p.strip() for p in line.split("=", 1))
        parts = key.split(".")
        if len(parts) != 3:
            continue
        if parts[0] in ("*", model) and parts[1] in ("*", scenario.value):
            out[parts[2]] = value
    return out


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.time_ms = 0.0

    def add(
        self,
        key: str,
        value: Any,
        *,
        file: str = "loadgen.cc",
        line_no: int = 0,
        step_ms: float = 0.0,
    ) -> None:
        self.time_ms += step_ms
        record = {
            "key": key,
            "value": value,
            "time_ms": round(self.time_ms, 6),
            "namespace": "mlperf::logging",
            "event_type": "POINT_IN_TIME",
            "metadata": {
                "is_error": False,
                "is_warning": False,
                "file": file,
                "line_no": line_no,
                "pid": 4242,
                "tid": 4242,
            },
        }
        self.lines.append(MLLOG + json.dumps(record))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _settings(run: Run) -> dict[str, Any]:
    """The effective_* settings LoadGen logs for the run."""
    bench, rnd, scenario = run.bench, run.round, run.scenario
    audit = run.audit_settings
    min_duration = rnd.min_duration_ms
    if scenario is Scenario.SINGLE_STREAM:
        spq, target_qps = 1, 1000.0 / run.latency_ms
        target_latency, percentile, max_async, min_queries = 0, 0.9, 1, 100
    elif scenario is Scenario.MULTI_STREAM:
        spq = rnd.multistream_samples_per_query
        target_qps = 1000.0 / run.latency_ms
        target_latency, percentile, max_async = 0, 0.99, 1
        min_queries = 662  # mlperf.conf's *.MultiStream.min_query_count
    elif scenario is Scenario.SERVER:
        spq, target_qps, percentile, max_async, min_queries = 1, run.qps, 0.99, 0, 100
        # LLMs track TTFT/TPOT only: their target latency is 0 (mlperf.conf)
        target_latency = 0 if bench.llm else bench.latency_bound_ns.get(Scenario.SERVER, 0)
    else:
        needed = bench.offline_min_samples or rnd.offline_min_samples
        spq = max(needed, math.ceil(run.qps * run.min_duration_s * 1.1))
        target_qps, target_latency, percentile, max_async, min_queries = (
            run.qps,
            0,
            0.9,
            1,
            1,
        )
    equal_issue = bench.llm or bench.equal_issue
    values: dict[str, Any] = {
        "effective_scenario": scenario.value,
        "effective_test_mode": "AccuracyOnly" if run.mode == "accuracy" else "PerformanceOnly",
        "effective_samples_per_query": spq,
        "effective_target_qps": round(target_qps, 4),
        "effective_target_latency_ns": target_latency,
        "effective_target_latency_percentile": percentile,
        "effective_max_async_queries": max_async,
        "effective_target_duration_ms": 0 if scenario is Scenario.OFFLINE else min_duration,
        "effective_min_duration_ms": min_duration,
        "effective_max_duration_ms": 0,
        "effective_min_query_count": int(audit.get("min_query_count", min_queries)),
        "effective_max_query_count": 0,
        "effective_min_sample_count": spq * int(audit.get("min_query_count", min_queries)),
        "effective_qsl_rng_seed": rnd.seeds.qsl_rng_seed,
        "effective_sample_index_rng_seed": rnd.seeds.sample_index_rng_seed,
        "effective_schedule_rng_seed": rnd.seeds.schedule_rng_seed,
        "effective_accuracy_log_rng_seed": int(audit.get("accuracy_log_rng_seed", 0)),
        "effective_accuracy_log_probability": float(audit.get("accuracy_log_probability", 0)),
        "effective_accuracy_log_sampling_target": int(audit.get("accuracy_log_sampling_target", 0)),
        "effective_print_timestamps": False,
        "effective_performance_issue_unique": audit.get("performance_issue_unique", "0") == "1",
        "effective_performance_issue_same": audit.get("performance_issue_same", "0") == "1",
        "effective_performance_issue_same_index": int(audit.get("performance_issue_same_index", 0)),
        "effective_performance_sample_count": bench.performance_sample_count or bench.dataset_size,
    }
    if run.loadgen.logs_accuracy_sample_count:
        values["effective_accuracy_sample_count"] = bench.accuracy_samples(run.folder)
    values["effective_sample_concatenate_permutation"] = equal_issue
    return values


def _token_limits(run: Run) -> tuple[int, int]:
    bench = run.bench
    own = run.folder if run.folder in bench.ttft_ns else run.scenario
    return bench.ttft_ns[own], bench.tpot_ns[own]


def _header(w: _Writer, run: Run) -> None:
    lg = run.loadgen
    w.add("loadgen_version", f"{lg.version} @ {lg.commit}", file="version.cc", line_no=53)
    w.add("loadgen_build_date_local", "2025-07-30T17:02:11.482210", file="version.cc", line_no=55)
    w.add("loadgen_build_date_utc", "2025-07-30T17:02:11.482221", file="version.cc", line_no=56)
    w.add("loadgen_git_commit_date", "2025-07-29T11:40:02-05:00", file="version.cc", line_no=57)
    w.add(
        "loadgen_git_log_message",
        f"{lg.commit}0000000000000000000000000000 Increment version to {lg.version}",
        file="version.cc",
        line_no=58,
    )
    w.add("loadgen_git_status_message", "", file="version.cc", line_no=60)
    w.add(
        "loadgen_file_sha1",
        {"/loadgen.cc": "6daa9cd51454a699fcb55d9aa6bf9e54dd7b7a97", "/mlperf.conf": "995a5e32"},
        file="version.cc",
        line_no=67,
    )
    w.add("test_datetime", TEST_DATETIME, step_ms=0.013, line_no=1194)
    w.add("sut_name", run.sut_name, line_no=1195)
    w.add("get_sut_name_duration_ns", 1663, line_no=1196)
    w.add("qsl_name", "PyQSL", line_no=1197)
    w.add("qsl_reported_total_count", run.bench.dataset_size, line_no=1198)
    w.add(
        "qsl_reported_performance_count",
        run.bench.performance_sample_count or run.bench.dataset_size,
        line_no=1199,
    )


def _requested(w: _Writer, run: Run, settings: dict[str, Any]) -> None:
    f = "test_settings_internal.cc"
    w.add("requested_scenario", run.scenario.value, file=f, line_no=272, step_ms=0.008)
    w.add(
        "requested_test_mode",
        settings["effective_test_mode"],
        file=f,
        line_no=273,
    )
    if run.scenario is Scenario.SERVER:
        w.add("requested_server_target_qps", settings["effective_target_qps"], file=f)
        w.add("requested_server_target_latency_ns", settings["effective_target_latency_ns"], file=f)
    elif run.scenario is Scenario.OFFLINE:
        w.add("requested_offline_expected_qps", settings["effective_target_qps"], file=f)
    else:
        w.add(
            f"requested_{'single' if run.scenario is Scenario.SINGLE_STREAM else 'multi'}"
            "_stream_expected_latency_ns",
            int(run.latency_ms * 1e6),
            file=f,
        )
    w.add("requested_min_duration_ms", settings["effective_min_duration_ms"], file=f)
    w.add("requested_min_query_count", settings["effective_min_query_count"], file=f)
    for name in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed"):
        w.add(f"requested_{name}", settings[f"effective_{name}"], file=f)
    w.add(
        "requested_performance_sample_count_override",
        settings["effective_performance_sample_count"],
        file=f,
    )
    w.add(
        "requested_sample_concatenate_permutation",
        settings["effective_sample_concatenate_permutation"],
        file=f,
    )
    w.add("requested_use_token_latencies", run.bench.llm, file=f, line_no=343)
    if run.bench.llm and run.scenario is Scenario.SERVER:
        ttft, tpot = _token_limits(run)
        w.add("requested_server_ttft_latency", ttft, file=f, line_no=346)
        w.add("requested_server_tpot_latency", tpot, file=f, line_no=348)


def _percentiles(
    w: _Writer, base_ns: float, *, key: str = "result_{p}_percentile_latency_ns"
) -> None:
    """p50..p99.9 of a latency distribution whose 99th percentile is ``base_ns``."""
    for p, scale in (
        ("50.00", 0.78),
        ("90.00", 0.9),
        ("95.00", 0.94),
        ("97.00", 0.96),
        ("99.00", 1.0),
        ("99.90", 1.08),
    ):
        w.add(key.format(p=p), int(base_ns * scale), file="results.cc", line_no=778)


def _results(w: _Writer, run: Run, settings: dict[str, Any]) -> None:
    bench, scenario = run.bench, run.scenario
    r = "results.cc"
    duration_s = run.min_duration_s * 1.01
    w.add("result_validity", "VALID", file=r, line_no=674, step_ms=duration_s * 1000)
    if scenario is Scenario.SERVER:
        w.add("result_perf_constraints_met", True, file=r, line_no=677)
    w.add("result_min_duration_met", True, file=r, line_no=679)
    w.add("result_min_queries_met", True, file=r, line_no=680)
    w.add("early_stopping_met", True, file=r, line_no=681)
    if scenario is Scenario.SINGLE_STREAM:
        latency = run.latency_ms * 1e6
        queries = max(1024, int(duration_s / (latency / 1e9)))
        w.add(
            "early_stopping_result",
            f" * Processed at least 64 queries ({queries}).\n * Would discard "
            f"{queries // 100} highest latency queries.\n * Early stopping 90.0th percentile "
            f"estimate: {int(latency * 0.905)}\n * Early stopping 99.0th percentile estimate: "
            f"{int(latency * 1.004)}",
            file=r,
        )
        w.add("result_query_count", queries, file=r, line_no=712)
        w.add("result_qps_with_loadgen_overhead", round(1e9 / (latency * 0.82), 3), file=r)
        w.add("result_qps_without_loadgen_overhead", round(1e9 / (latency * 0.8), 3), file=r)
        w.add("early_stopping_latency_ss", int(latency * 0.905), file=r)
        w.add("early_stopping_latency_ms", int(latency * 1.004), file=r)
        w.add("result_min_latency_ns", int(latency * 0.6), file=r, line_no=774)
        w.add("result_max_latency_ns", int(latency * 1.4), file=r, line_no=775)
        w.add("result_mean_latency_ns", int(latency * 0.8), file=r, line_no=776)
        _percentiles(w, latency)
    elif scenario is Scenario.MULTI_STREAM:
        latency = run.latency_ms * 1e6
        queries = max(settings["effective_min_query_count"], int(duration_s / (latency / 1e9)))
        w.add(
            "early_stopping_result",
            f" * Processed at least 662 queries ({queries}).\n * Would discard "
            f"{queries // 100} highest latency queries.\n * Early stopping 99.0th percentile "
            f"estimate: {int(latency * 1.004)}",
            file=r,
        )
        w.add("result_query_count", queries, file=r, line_no=712)
        w.add("result_min_query_latency_ns", int(latency * 0.6), file=r)
        w.add("result_max_query_latency_ns", int(latency * 1.4), file=r)
        w.add("result_mean_query_latency_ns", int(latency * 0.8), file=r)
        _percentiles(w, latency, key="result_{p}_percentile_per_query_latency_ns")
        w.add("early_stopping_latency_ms", int(latency * 1.004), file=r)
        w.add("result_min_latency_ns", int(latency * 0.55), file=r, line_no=774)
        w.add("result_max_latency_ns", int(latency * 1.4), file=r, line_no=775)
        w.add("result_mean_latency_ns", int(latency * 0.78), file=r, line_no=776)
        _percentiles(w, latency * 0.99)
    elif scenario is Scenario.SERVER:
        queries = int(run.qps * duration_s)
        if bench.llm:
            w.add("early_stopping_ttft_result", " * Run successful.", file=r, line_no=706)
            w.add("early_stopping_tpot_result", " * Run successful.", file=r, line_no=708)
        else:
            w.add("early_stopping_result", " * Run successful.", file=r)
        w.add("result_query_count", queries, file=r, line_no=712)
        # an LLM's target latency is 0: every query counts as over it (as LoadGen logs)
        w.add("result_overlatency_query_count", queries if bench.llm else 0, file=r, line_no=714)
        w.add("result_scheduled_samples_per_sec", round(run.qps * 1.0004, 4), file=r)
        completed = round(run.qps * 0.9993, 4)
        w.add("result_completed_samples_per_sec", completed, file=r, line_no=763)
        if bench.llm:
            ttft_limit, tpot_limit = _token_limits(run)
            ttft, tpot = ttft_limit * 0.62, tpot_limit * 0.86
            e2e = ttft + tpot * run.tokens_per_sample
            w.add("result_min_latency_ns", int(e2e * 0.05), file=r, line_no=774)
            w.add("result_max_latency_ns", int(e2e * 2.6), file=r, line_no=775)
            w.add("result_mean_latency_ns", int(e2e * 0.7), file=r, line_no=776)
            _percentiles(w, e2e * 2.2)
            w.add("result_first_token_min_latency_ns", int(ttft * 0.1), file=r)
            w.add("result_first_token_max_latency_ns", int(ttft * 1.5), file=r)
            w.add("result_first_token_mean_latency_ns", int(ttft * 0.4), file=r)
            _percentiles(w, ttft, key="result_first_token_{p}_percentile_latency_ns")
            tokens = round(completed * run.tokens_per_sample, 1)
            w.add("result_token_throughput_with_loadgen_overhead", tokens, file=r)
            _percentiles(w, tpot, key="result_time_per_output_token_{p}_percentile_ns")
            w.add("result_time_to_output_token_min", int(tpot * 0.7), file=r)
            w.add("result_time_to_output_token_max", int(tpot * 1.1), file=r)
            w.add("result_time_to_output_token_mean", int(tpot * 0.95), file=r)
            w.add("result_completed_tokens_per_second", tokens, file=r, line_no=818)
        else:
            bound = bench.latency_bound_ns.get(Scenario.SERVER) or 1e8
            w.add("result_min_latency_ns", int(bound * 0.05), file=r, line_no=774)
            w.add("result_max_latency_ns", int(bound * 0.9), file=r, line_no=775)
            w.add("result_mean_latency_ns", int(bound * 0.3), file=r, line_no=776)
            _percentiles(w, bound * 0.7)
    else:
        spq = settings["effective_samples_per_query"]
        w.add("early_stopping_result", "", file=r)
        w.add("result_query_count", 1, file=r, line_no=712)
        w.add("result_samples_per_second", round(run.qps, 4), file=r)
        total_ns = spq / run.qps * 1e9
        w.add("result_min_latency_ns", int(total_ns * 0.002), file=r, line_no=774)
        w.add("result_max_latency_ns", int(total_ns), file=r, line_no=775)
        w.add("result_mean_latency_ns", int(total_ns * 0.5), file=r, line_no=776)
        _percentiles(w, total_ns * 0.99)
        if bench.llm:
            w.add("result_tokens_per_second", round(run.qps * run.tokens_per_sample, 2), file=r)


def detail_log(run: Run) -> str:
    """mlperf_log_detail.txt of the run."""
    w = _Writer()
    settings = _settings(run)
    _header(w, run)
    _requested(w, run, settings)
    for key, value in settings.items():
        w.add(key, value, file="test_settings_internal.cc", line_no=418)
    w.add(
        "generic_message",
        f"Starting {'accuracy' if run.mode == 'accuracy' else 'performance'} mode",
        line_no=836,
        step_ms=0.005,
    )
    if run.mode == "performance":
        scenario = run.scenario
        queries = 1
        if scenario is not Scenario.OFFLINE:
            if scenario is Scenario.SERVER:
                queries = int(run.qps * run.min_duration_s * 1.01)
            else:
                queries = max(1024, int(run.min_duration_s * 1.01 / (run.latency_ms / 1000)))
        w.add("generated_query_count", queries, line_no=427)
        w.add(
            "generated_samples_per_query",
            settings["effective_samples_per_query"],
            line_no=428,
        )
        w.add("generated_query_duration", int(run.min_duration_s * 1.01 * 1e9), line_no=429)
    else:
        w.add("generated_query_count", 1, line_no=427)
        w.add("generated_samples_per_query", run.bench.accuracy_samples(run.folder), line_no=428)
    w.add("power_begin", POWER_BEGIN, line_no=562, step_ms=0.4)
    end = "07-31-2025 22:24:09.871" if run.mode == "performance" else "07-31-2025 22:41:52.003"
    w.add("power_end", end, line_no=564)
    if run.mode == "performance":
        _results(w, run, settings)
    w.add("num_errors", 0, file="results.cc", line_no=852)
    return w.text()


def performance_figure(run: Run) -> float:
    """The run's result as the checker reads it (for verify_performance.txt scores)."""
    if run.scenario in (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM):
        return run.latency_ms * 1e6
    if run.bench.llm:
        return run.qps * run.tokens_per_sample
    return run.qps


def summary_log(run: Run) -> str:
    """mlperf_log_summary.txt of the run, as LoadGen prints it."""
    bar = "=" * 48
    settings = _settings(run)
    scenario = run.scenario
    lines = [bar, "MLPerf Results Summary", bar, f"SUT name : {run.sut_name}"]
    lines += [f"Scenario : {scenario.value}", f"Mode     : {settings['effective_test_mode']}"]
    if run.mode == "accuracy":
        return "\n".join(
            [
                *lines,
                "",
                "No warnings encountered during test.",
                "",
                "No errors encountered during test.",
                "",
            ]
        )
    if scenario is Scenario.SINGLE_STREAM:
        lines.append(f"90.0th percentile latency (ns) : {int(run.latency_ms * 0.9 * 1e6)}")
    elif scenario is Scenario.MULTI_STREAM:
        lines.append(f"99th percentile latency (ns) : {int(run.latency_ms * 1e6)}")
    elif scenario is Scenario.SERVER:
        lines.append(f"Completed samples per second    : {run.qps * 0.9993:.2f}")
        if run.bench.llm:
            lines.append(
                f"Completed tokens per second: {run.qps * 0.9993 * run.tokens_per_sample:.2f}"
            )
    else:
        lines.append(f"Samples per second: {run.qps:.2f}")
        if run.bench.llm:
            lines.append(f"Tokens per second: {run.qps * run.tokens_per_sample:.2f}")
    lines += ["Result is : VALID"]
    if scenario is Scenario.SERVER:
        lines.append("  Performance constraints satisfied : Yes")
    lines += [
        "  Min duration satisfied : Yes",
        "  Min queries satisfied : Yes",
        "  Early stopping satisfied: Yes",
        "",
        bar,
        "Additional Stats",
        bar,
        "",
        bar,
        "Test Parameters Used",
        bar,
        f"samples_per_query : {settings['effective_samples_per_query']}",
        f"target_qps : {settings['effective_target_qps']}",
        f"min_duration (ms): {settings['effective_min_duration_ms']}",
        f"min_query_count : {settings['effective_min_query_count']}",
        f"qsl_rng_seed : {settings['effective_qsl_rng_seed']}",
        f"sample_index_rng_seed : {settings['effective_sample_index_rng_seed']}",
        f"schedule_rng_seed : {settings['effective_schedule_rng_seed']}",
        f"performance_sample_count : {settings['effective_performance_sample_count']}",
        "",
        "No warnings encountered during test.",
        "",
        "No errors encountered during test.",
        "",
    ]
    return "\n".join(lines)


# -- the accuracy log --------------------------------------------------------------------------

#: truncate_accuracy_log.py keeps this many characters from each end
VIEWABLE = 4096


def accuracy_log(count: int, *, bytes_per_sample: int = 4, salt: int = 0) -> str:
    """A full mlperf_log_accuracy.json of ``count`` samples (LoadGen's layout)."""
    entries = []
    for i in range(count):
        qsl_idx = (i * 7919 + 13 + salt) % count
        data = "".join(
            f"{(qsl_idx * 31 + k * 17 + salt) % 256:02X}" for k in range(bytes_per_sample)
        )
        entries.append(f'{{ "seq_id" : {i}, "qsl_idx" : {qsl_idx}, "data" : "{data}" }}')
    return "[\n" + ",\n".join(entries) + "\n]\n"


def truncate(text: str) -> str:
    """The accuracy log as truncate_accuracy_log.py leaves it in a submission."""
    if len(text) < VIEWABLE:
        return text
    return text[:VIEWABLE] + "\n\n...\n\n" + text[-VIEWABLE:]
