"""LoadGen detail and summary logs: validity, errors, mode, scenario, seeds, token latencies.

Mirrors the official checker's checks/performance_check.py (loadgen_errors_check, seeds_check,
performance_sample_count_check, min_query_count_check, min_duration_check, latency_check,
inferred_check, equal_issue_check, llm_check, network_check, get_performance_metric_check) on
logs read as parsers/loadgen_parser.py reads them; stricter where the module docstring says so
(an INVALID run, any LoadGen error, an Interactive folder held to the Interactive limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.loadgen_logs import SCENARIO_METRICS, DetailLog, parse_detail_text
from mlperf_tui.rules.checker import NETWORK_SUT_NAME
from mlperf_tui.rules.model import Category, Round, Scenario
from mlperf_tui.validate.context import _as_float, _as_int, _Ctx, _read_text, _scenario
from mlperf_tui.validate.findings import _Findings


def _detail(f: _Findings, path: Path) -> DetailLog | None:
    text = _read_text(path)
    if text is None:
        return None
    log = parse_detail_text(text)
    if log.bad_lines or not log.values:
        f.error(
            "log.unreadable",
            path,
            "not a complete LoadGen detail log"
            + (f" ({log.bad_lines} broken :::MLLOG lines)" if log.bad_lines else ""),
            "copy mlperf_log_detail.txt again from the run; the official checker stops on a "
            "broken line",
        )
        return None
    return log


def _loadgen_errors(f: _Findings, path: Path, log: DetailLog) -> None:
    if log.errors:
        shown = "; ".join(f"{e.key}: {e.value}" for e in log.errors[:3])
        more = f" (+{len(log.errors) - 3} more)" if len(log.errors) > 3 else ""
        f.error(
            "log.loadgen-error",
            path,
            f"LoadGen logged {len(log.errors)} error(s): {shown}{more}",
            "fix the cause LoadGen names and run this test again; a log with errors is not "
            "a valid result",
        )


_SEED_NAMES = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")


def _check_seed_values(
    f: _Findings, path: Path, found: Mapping[str, Any], round_rules: Round, fix: str
) -> None:
    """``found``: seed name -> the value the run used (names absent are not checked)."""
    wrong = []
    for name in _SEED_NAMES:
        if name not in found:
            continue
        want = getattr(round_rules.seeds, name)
        if _as_int(found[name]) != want:
            wrong.append(f"{name} {found[name]} (expected {want})")
    if wrong:
        f.error(
            "log.seed-mismatch",
            path,
            f"the run used other seeds than round {round_rules.version}: " + ", ".join(wrong),
            fix,
        )


def _check_seeds(f: _Findings, path: Path, log: DetailLog, round_rules: Round) -> None:
    _check_seed_values(
        f,
        path,
        {name: log.get(f"effective_{name}") for name in _SEED_NAMES},
        round_rules,
        "do not set seeds in user.conf; LoadGen's built-in mlperf.conf carries the round's "
        "seeds - run again with mlcommons-loadgen of this round",
    )


def _summary_invalid(path: Path) -> bool:
    text = _read_text(path) or ""
    return any(
        line.split(":", 1)[-1].strip() == "INVALID"
        for line in text.splitlines()
        if line.strip().startswith("Result is")
    )


def _token_limits(ctx: _Ctx, log_scenario: Scenario) -> tuple[int | None, int | None, Scenario]:
    """TTFT and TPOT limits for an LLM run and the scenario they belong to.

    The checker's llm_check looks the limits up by the log's scenario, so it holds an Interactive
    run (LoadGen logs it as Server) to the Server limits. We hold an Interactive folder to the
    Interactive limits where the rules have them: the stricter reading, on purpose.
    """
    folder = _scenario(ctx.scenario)
    bench = ctx.bench
    if folder is Scenario.INTERACTIVE and Scenario.INTERACTIVE in bench.ttft_ns:
        own = Scenario.INTERACTIVE
    else:
        own = log_scenario
    return bench.ttft_ns.get(own), bench.tpot_ns.get(own), own


def _check_token_latencies(f: _Findings, path: Path, log: DetailLog, ctx: _Ctx) -> None:
    """The checker's llm_check: use_token_latencies, and TTFT/TPOT p99 under the limits."""
    if log.get("requested_use_token_latencies") is not True:
        f.error(
            "log.token-latencies",
            path,
            f"{ctx.bench.name} is an LLM benchmark: LoadGen must run with use_token_latencies "
            "(requested_use_token_latencies is not true)",
            f"run with LoadGen's built-in mlperf.conf of the round (it sets "
            f"{ctx.bench.loadgen_model}.*.use_token_latencies = 1) and report the first token "
            "with FirstTokenComplete",
        )
        return
    log_scenario = _scenario(str(log.get("effective_scenario") or ""))
    if log_scenario not in (Scenario.SERVER, Scenario.INTERACTIVE):
        return
    ttft_limit, tpot_limit, own = _token_limits(ctx, log_scenario)
    if ttft_limit is None or tpot_limit is None:
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"the rules of {ctx.round_rules.version} have no TTFT/TPOT limits for "
            f"{ctx.bench.name} {own.value}, so the checker cannot accept this run",
            "submit the scenarios the round defines limits for",
        )
        return
    ttft = _as_float(log.get("result_first_token_99.00_percentile_latency_ns"))
    tpot = _as_float(log.get("result_time_per_output_token_99.00_percentile_ns"))
    if ttft is None or tpot is None:
        f.error(
            "log.token-latencies",
            path,
            "the log has no 99th-percentile TTFT/TPOT (result_first_token_99.00_percentile_"
            "latency_ns, result_time_per_output_token_99.00_percentile_ns)",
            "report the first token of every response to LoadGen (FirstTokenComplete) and run "
            "again",
        )
        return
    over = []
    # the checker passes a run only when both are strictly below the limits
    if ttft >= ttft_limit:
        over.append(f"TTFT p99 {ttft / 1e6:g} ms (limit {ttft_limit / 1e6:g} ms)")
    if tpot >= tpot_limit:
        over.append(f"TPOT p99 {tpot / 1e6:g} ms (limit {tpot_limit / 1e6:g} ms)")
    if over:
        stricter = (
            " (an Interactive run is held to the Interactive limits; the official checker "
            "looks them up by the log's scenario, Server)"
            if own is Scenario.INTERACTIVE
            else ""
        )
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"{ctx.bench.name} misses the {own.value} TTFT/TPOT limits: "
            + "; ".join(over)
            + stricter,
            "lower the target QPS (and, for Interactive, run with the benchmark's "
            f"{ctx.bench.loadgen_interactive_model or 'interactive'} LoadGen settings) until "
            "both are under the limits",
        )


def _check_performance_log(f: _Findings, folder: Path, ctx: _Ctx) -> None:
    """The checker's PerformanceCheck on one performance/run_1 (or TEST0x/performance/run_1)."""
    path = folder / "mlperf_log_detail.txt"
    log = _detail(f, path)
    if log is None:
        return
    bench, round_rules = ctx.bench, ctx.round_rules
    scenario_fixed = ctx.scenario
    _loadgen_errors(f, path, log)
    mode = log.get("effective_test_mode")
    if mode not in (None, "PerformanceOnly", "SubmissionRun"):
        f.error(
            "log.mode-mismatch",
            path,
            f"this is a {mode} log, but performance/ needs a PerformanceOnly run",
            "copy the performance run's logs here (and the accuracy run's into accuracy/)",
        )
    validity = log.get("result_validity")
    if validity != "VALID":
        reason = log.get("result_invalid_reason") or ""
        f.error(
            "log.invalid-run",
            path,
            f"LoadGen marked this run {validity or 'unfinished (no result)'}"
            + (f": {reason.strip()}" if reason else ""),
            "follow LoadGen's recommendation (often: set the expected QPS/latency in the "
            "profile's targets closer to the measured value) and run again",
        )
    elif _summary_invalid(folder / "mlperf_log_summary.txt"):
        f.error(
            "log.invalid-run",
            folder / "mlperf_log_summary.txt",
            "the summary says the run is INVALID, the detail log says VALID: the logs are from "
            "different runs",
            "copy both logs of the same run",
        )
    scenario = str(log.get("effective_scenario") or "")
    log_scenario = _scenario(scenario)
    fixed = _scenario(scenario_fixed)
    if scenario != scenario_fixed and not (
        # LoadGen runs Interactive as a Server test (the benchmark's -interactive settings);
        # the checker accepts exactly this pair (inferred_check, get_inferred_result)
        fixed is Scenario.INTERACTIVE and log_scenario is Scenario.SERVER
    ):
        inferable = bench.inferable_from.get(fixed) if fixed is not None else None
        if inferable is None or inferable.value != scenario:
            f.error(
                "log.scenario-mismatch",
                path,
                f"the log is a {scenario or 'unknown'} run in the {scenario_fixed} folder, and "
                f"{bench.name} does not allow inferring {scenario_fixed} from {scenario}"
                + (
                    " (an Interactive folder holds a Server run with the interactive settings)"
                    if fixed is Scenario.INTERACTIVE
                    else ""
                ),
                f"put the {scenario_fixed} run's logs here, or move these to {scenario}/",
            )
        elif Category.EDGE.value not in ctx.system_type.lower():
            f.error(
                "log.inference-not-allowed",
                path,
                f"{scenario_fixed} is inferred from {scenario}, which the rules allow only for "
                f'edge systems (system_type is "{ctx.system_type}")',
                f"run {scenario_fixed} itself, or submit the system as edge",
            )
        elif fixed is Scenario.MULTI_STREAM:
            estimate = _as_int(log.get("early_stopping_latency_ms"))
            if not estimate:
                f.error(
                    "log.inferred-estimate-missing",
                    path,
                    "MultiStream is inferred from this SingleStream run, but it has no "
                    "99th-percentile early-stopping estimate (early_stopping_latency_ms is 0): "
                    "too few queries",
                    "run SingleStream longer (the rules' 600 s gives enough queries), or run "
                    "MultiStream itself",
                )
    _check_seeds(f, path, log, round_rules)

    if (
        bench.equal_issue
        and ctx.strict
        and log.get("effective_sample_concatenate_permutation") is not True
    ):
        f.error(
            "log.equal-issue",
            path,
            f"round {round_rules.version} requires equal-issue mode for {bench.name} "
            "(sample_concatenate_permutation), and this run did not use it",
            "run with LoadGen's built-in mlperf.conf of the round, which turns it on",
        )

    needed_psc = bench.performance_sample_count
    psc = _as_int(log.get("effective_performance_sample_count"))
    if psc is None or psc < needed_psc:
        f.error(
            "log.performance-sample-count",
            path,
            f"performance_sample_count is {psc}, the rules need at least {needed_psc}",
            "do not override performance_sample_count in user.conf; let LoadGen load the "
            "benchmark's count",
        )

    early_stopping = set(round_rules.early_stopping_scenarios)
    if log_scenario is not None and log_scenario in early_stopping:
        if log.get("early_stopping_met") is not True:
            f.error(
                "log.early-stopping",
                path,
                "LoadGen's early-stopping condition was not met: "
                + str(log.get("early_stopping_result") or "no early-stopping result"),
                "run longer (more queries) so LoadGen can estimate the percentile",
            )
        # the checker bounds the target latency by the log's scenario; an Interactive folder
        # with a bound of its own is held to that one (stricter)
        own = (
            Scenario.INTERACTIVE
            if fixed is Scenario.INTERACTIVE and Scenario.INTERACTIVE in bench.latency_bound_ns
            else log_scenario
        )
        bound = bench.latency_bound_ns.get(own)
        target = _as_int(log.get("effective_target_latency_ns"))
        if bound and target is not None and target > bound:
            f.error(
                "log.latency-bound",
                path,
                f"target latency {target} ns is above the {own.value} bound {bound} ns",
                f"set the target latency at or below {bound // 1_000_000} ms",
            )
    else:
        bound = bench.latency_bound_ns.get(fixed) if fixed is not None else None
        p99 = _as_int(log.get("result_99.00_percentile_latency_ns"))
        if bound and p99 is not None and p99 > bound:
            f.error(
                "log.latency-bound",
                path,
                f"99th percentile latency {p99} ns is above the {scenario_fixed} bound {bound} ns",
                "lower the target QPS until the 99th percentile meets the bound",
            )
        needed_q = bench.min_queries.get(log_scenario) if log_scenario is not None else None
        queries = _as_int(log.get("effective_min_query_count"))
        if needed_q and (queries is None or queries < needed_q):
            f.error(
                "log.min-queries",
                path,
                f"min_query_count is {queries}, the rules need {needed_q}",
                "do not lower min_query_count in user.conf",
            )
    if log_scenario is Scenario.OFFLINE:
        needed_spq = bench.offline_min_samples or round_rules.offline_min_samples
        spq = _as_int(log.get("effective_samples_per_query"))
        if spq is None or spq < needed_spq:
            message = f"the Offline query held {spq} samples, the rules need at least {needed_spq}"
            fix = "raise the Offline target QPS in the profile so LoadGen issues enough samples"
            if ctx.strict:
                f.error("log.offline-min-samples", path, message, fix)
            else:
                f.warning(
                    "log.offline-min-samples",
                    path,
                    message + " in the closed division (open: a warning)",
                    fix,
                )
    if not bench.single_pass:
        duration = _as_int(log.get("effective_min_duration_ms"))
        if duration is None or duration < round_rules.min_duration_ms:
            f.error(
                "log.min-duration",
                path,
                f"min_duration is {duration} ms, the rules need {round_rules.min_duration_ms} ms",
                "run with execution: valid (the rules' full settings); do not lower min_duration",
            )
    if bench.llm:
        _check_token_latencies(f, path, log, ctx)
    if ctx.is_network and NETWORK_SUT_NAME not in str(log.get("sut_name") or ""):
        f.error(
            "log.network-sut-name",
            path,
            f'the system runs over the network, and the SUT name "{log.get("sut_name")}" does '
            f'not contain "{NETWORK_SUT_NAME}"',
            f'name the SUT so that it contains "{NETWORK_SUT_NAME}" (the network division\'s rule)',
        )
    metric_key = (
        bench.result_keys.get(log_scenario) if log_scenario is not None else None
    ) or SCENARIO_METRICS.get(scenario, (None,))[0]
    if metric_key and log.get(metric_key) is None:
        f.error(
            "log.metric-missing",
            path,
            f"the log has no {metric_key}, the {scenario} result the checker reads for "
            f"{bench.name}",
            "copy the complete detail log of a finished run",
        )
