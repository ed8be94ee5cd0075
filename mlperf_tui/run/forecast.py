"""Will the running test be valid? Limits from the rules, and warnings while it runs.

:func:`limits_for` says what each planned run must reach (from the rules and the run's own
user.conf settings); :func:`forecast` turns a run's progress into plain-language warnings,
empty while it is on track. The run monitor (TUI) and the headless display both show them;
nothing here repeats an MLPerf number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlperf_tui import rules
from mlperf_tui.rules.model import Execution, Scenario

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.run.plan import PlannedRun


@dataclass(frozen=True)
class RunLimits:
    """What one run must reach to be valid, from the rules (None where a limit does not apply)."""

    scenario: str
    mode: str
    min_duration_s: float | None = None
    #: Offline: the fewest samples a valid run may issue
    offline_min_samples: int | None = None
    #: the fewest queries a valid run may issue (SingleStream / MultiStream / Server)
    min_queries: int | None = None
    #: Server: the latency bound the p99 must stay under
    latency_bound_ns: int | None = None
    #: the duration the plan estimated, seconds
    estimate_s: float | None = None
    #: test execution: short runs on purpose, never valid for a submission
    test_execution: bool = False


def limits_for(profile: Profile, plan: Sequence[PlannedRun]) -> dict[str, RunLimits]:
    """What each planned run must reach, from the rules and the run's own settings."""
    round_rules = rules.get_round(profile.round)
    bench = rules.get_benchmark(profile.benchmark, profile.round)
    test = profile.execution == Execution.TEST
    out: dict[str, RunLimits] = {}
    for run in plan:
        scenario = Scenario(run.scenario)
        settings = dict(run.settings)
        min_ms = settings.get("min_duration", round_rules.min_duration_ms)
        min_queries = settings.get("min_query_count")
        if min_queries is None and scenario != Scenario.OFFLINE:
            min_queries = bench.min_queries.get(scenario)
        offline_min = None
        if scenario == Scenario.OFFLINE:
            offline_min = settings.get("min_query_count") or (
                bench.offline_min_samples or round_rules.offline_min_samples
            )
            min_queries = None
        bound = bench.latency_bound_ns.get(scenario) if scenario == Scenario.SERVER else None
        out[run.run_id] = RunLimits(
            scenario=scenario.value,
            mode=run.mode.value,
            min_duration_s=None if bench.single_pass else float(min_ms) / 1e3,
            offline_min_samples=int(offline_min) if offline_min else None,
            min_queries=int(min_queries) if min_queries else None,
            latency_bound_ns=bound,
            estimate_s=float(run.estimate_s),
            test_execution=test,
        )
    return out


def forecast(
    limits: RunLimits | None,
    *,
    elapsed_s: float,
    issued: int,
    throughput: float,
    p99_ms: float | None,
) -> list[str]:
    """Plain-language warnings about the validity of a running test, empty when on track."""
    if limits is None or limits.mode != "performance" or elapsed_s <= 0:
        return []
    out: list[str] = []
    if limits.test_execution:
        out.append("Test execution: short on purpose, so not valid for a submission.")
    expected_duration = max(limits.min_duration_s or 0.0, elapsed_s)
    # before the first completion (the first progress event) there is no pace to project;
    # an Offline run's one query is known as soon as it is issued
    if limits.scenario == "Offline" and limits.offline_min_samples and (issued or throughput > 0):
        on_pace = issued if issued else throughput * expected_duration
        if on_pace < limits.offline_min_samples:
            out.append(
                f"On pace for {int(on_pace):,} samples, fewer than the Offline minimum "
                f"of {limits.offline_min_samples:,}: raise the target QPS."
            )
    # LoadGen keeps issuing until the minimum query count is met too, so a run whose pace
    # gives fewer queries in the minimum duration only lasts longer; test runs are sized by
    # their query count on purpose, so nothing to say there
    if (
        throughput > 0
        and limits.min_queries
        and limits.min_duration_s
        and not limits.test_execution
        and limits.scenario in ("SingleStream", "MultiStream", "Server")
    ):
        on_pace_q = throughput * limits.min_duration_s
        if on_pace_q < limits.min_queries:
            out.append(
                f"On pace for {int(on_pace_q):,} queries, fewer than the {limits.scenario} "
                f"minimum of {limits.min_queries:,}: the run will last longer than planned."
            )
    if limits.latency_bound_ns and p99_ms is not None:
        bound_ms = limits.latency_bound_ns / 1e6
        if p99_ms > bound_ms:
            out.append(
                f"p99 {p99_ms:.1f} ms is above the Server bound of {bound_ms:g} ms: "
                "lower the target QPS."
            )
    return out
