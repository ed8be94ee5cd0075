"""The plan: every LoadGen test a profile needs, with its user.conf settings and an estimate.

Per scenario a performance and an accuracy run (per the profile's modes), and in the closed
division the compliance runs the rules require. ``test`` execution shortens runs with settings
of our own (:data:`~mlperf_tui.run.settings.TEST_SETTINGS`); ``valid`` execution writes only
targets into user.conf (expected QPS / latency), so the rules' numbers come from LoadGen's
built-in mlperf.conf untouched.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.config import CALIBRATED_QPS_HEADROOM
from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import RulesError, RunError
from mlperf_tui.results import run_id_for as results_run_id
from mlperf_tui.rules.model import Benchmark, Execution, Mode, Round, Scenario
from mlperf_tui.run.calibrate import Calibration, rule_of_thumb
from mlperf_tui.run.settings import (
    HARNESS_QUERY_OVERHEAD_S,
    LATENCY_HEADROOM,
    LOADGEN_OFFLINE_SLACK,
    OFFLINE_CALIBRATE_S,
    OFFLINE_QPS_HEADROOM,
    POWER_ANALYSER_WAIT_S,
    POWER_SESSION_OVERHEAD_S,
    POWER_TEST_MIN_DURATION_MS,
    POWER_WAITS_PER_SESSION,
    START_OVERHEAD_S,
    TEST_SETTINGS,
    TestSettings,
)

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile


@dataclass(frozen=True)
class PlannedRun:
    """One LoadGen test: one scenario, one mode (or one compliance audit)."""

    run_id: str
    benchmark: str
    loadgen_model: str
    task: str
    scenario: Scenario
    mode: Mode
    compliance_test: str | None
    #: user.conf settings, key (without model and scenario) -> value
    settings: Mapping[str, int | float]
    estimate_s: float
    #: why the settings are what they are (shown with the plan)
    notes: tuple[str, ...] = ()
    #: samples LoadGen is expected to complete (progress bars; an estimate)
    expected_samples: int = 1
    #: use only the first N samples of the data set (test-execution accuracy runs)
    dataset_count: int | None = None
    #: the harness task's options for the profile's model
    task_options: Mapping[str, Any] = field(default_factory=dict)
    #: SingleStream / MultiStream performance: the expected query latency LoadGen generates
    #: the queries from, in nanoseconds (user.conf's target_latency holds whole milliseconds)
    expected_latency_ns: int | None = None
    #: valid Offline performance: seconds the harness times its own batches before LoadGen
    #: starts, replacing user.conf's target_qps with the rate it measures
    offline_calibrate_s: float | None = None
    #: measured for power: the harness runs twice (ranging, testing) under the power client
    power: bool = False

    def user_conf(self) -> str:
        """The user.conf text of this run."""
        lines = [
            f"# mlperf-tui: {self.run_id} ({self.benchmark}, {self.scenario.value}, "
            f"{self.compliance_test or self.mode.value})",
            "# LoadGen's built-in mlperf.conf holds the rules' settings; these lines add",
            "# the targets (and, in test execution, the shortened run).",
        ]
        lines += [f"# {n}" for n in self.notes]
        if self.expected_latency_ns is not None:
            lines.append(
                f"# the harness sets LoadGen's {self.scenario.value} expected latency to "
                f"{self.expected_latency_ns} ns (TestSettings; user.conf holds whole ms)"
            )
        if self.offline_calibrate_s is not None:
            lines.append(
                f"# the harness times the Offline run in a {self.offline_calibrate_s:g} s LoadGen "
                f"test first and sets offline_expected_qps to {CALIBRATED_QPS_HEADROOM:g} x that "
                "rate (TestSettings; the detail log's requested_offline_expected_qps); "
                "target_qps below stands only if that timing fails"
            )
        for key, value in self.settings.items():
            text = f"{value:.6g}" if isinstance(value, float) else str(value)
            lines.append(f"{self.loadgen_model}.{self.scenario.value}.{key} = {text}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        data = {
            "run_id": self.run_id,
            "benchmark": self.benchmark,
            "scenario": self.scenario.value,
            "mode": self.mode.value,
            "compliance_test": self.compliance_test,
            "estimate_s": round(self.estimate_s, 1),
            "expected_samples": self.expected_samples,
            "dataset_count": self.dataset_count,
            "settings": dict(self.settings),
            "notes": list(self.notes),
            "expected_latency_ns": self.expected_latency_ns,
            "offline_calibrate_s": self.offline_calibrate_s,
        }
        if self.power:  # a plan without power runs keeps its plan.json as it was
            data["power"] = True
        return data

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        loadgen_model: str = "",
        task: str = "",
        task_options: Mapping[str, Any] | None = None,
    ) -> PlannedRun:
        """The run of one entry of plan.json (:meth:`to_dict`); what plan.json does not hold
        (LoadGen's model name, the task and its options) comes from the run's RUN.json.
        KeyError or ValueError for an entry that is not one :meth:`to_dict` wrote."""
        latency = data.get("expected_latency_ns")
        count = data.get("dataset_count")
        calibrate = data.get("offline_calibrate_s")
        return cls(
            run_id=str(data["run_id"]),
            benchmark=str(data["benchmark"]),
            loadgen_model=loadgen_model,
            task=task,
            scenario=Scenario(data["scenario"]),
            mode=Mode(data["mode"]),
            compliance_test=None
            if data.get("compliance_test") is None
            else str(data["compliance_test"]),
            settings=dict(data.get("settings") or {}),
            estimate_s=float(data.get("estimate_s") or 0.0),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            expected_samples=int(data.get("expected_samples") or 1),
            dataset_count=None if count is None else int(count),
            task_options=dict(task_options or {}),
            expected_latency_ns=None if latency is None else int(latency),
            offline_calibrate_s=None if calibrate is None else float(calibrate),
            power=bool(data.get("power")),
        )


def run_id_for(scenario: Scenario, mode: Mode, compliance_test: str | None = None) -> str:
    return results_run_id(scenario.value, mode.value, compliance_test)


def _dataset_size(profile: Profile, bench: Benchmark, dataset_size: int | None) -> int:
    if dataset_size is not None:
        return dataset_size
    return profile.require_assets().dataset.count or bench.dataset_size


def _per_query_s(scenario: Scenario, cal: Calibration, samples_per_query: int) -> float:
    if scenario == Scenario.SINGLE_STREAM:
        return cal.latency_s + HARNESS_QUERY_OVERHEAD_S
    if scenario == Scenario.MULTI_STREAM:
        return samples_per_query / cal.throughput + HARNESS_QUERY_OVERHEAD_S
    return 1.0 / cal.throughput


def _settings_for(
    profile: Profile,
    rules_round: Round,
    bench: Benchmark,
    scenario: Scenario,
    mode: Mode,
    cal: Calibration,
    n_samples: int,
    short: TestSettings,
    calibrate_s: float | None = None,
) -> tuple[dict[str, int | float], list[str], float]:
    """user.conf settings, notes, and the estimated seconds LoadGen will run; ``calibrate_s``:
    the seconds the harness times a valid Offline run first (:func:`_offline_calibrate_s`)."""
    settings: dict[str, int | float] = {}
    notes: list[str] = []
    test = profile.execution == Execution.TEST
    target = profile.targets.get(scenario)
    per_query = _per_query_s(scenario, cal, rules_round.multistream_samples_per_query)

    psc = bench.performance_sample_count
    if n_samples < psc:
        settings["performance_sample_count_override"] = n_samples
    if n_samples < psc and mode == Mode.PERFORMANCE:
        notes.append(
            f"the data set holds {n_samples} samples, fewer than the rules' performance "
            f"sample count {psc}: LoadGen loads all {n_samples}"
            + ("" if test else " (a valid submission needs the full data set)")
        )

    if mode == Mode.ACCURACY:
        per_sample = cal.latency_s if scenario == Scenario.SINGLE_STREAM else 1 / cal.throughput
        seconds = n_samples * per_sample
        if scenario == Scenario.SERVER:
            # LoadGen issues a Server accuracy run's queries at the expected rate too (its
            # default is a query a second): the performance run's rate
            rate = (
                target.target_qps
                if target and target.target_qps
                else cal.throughput * short.server_load_fraction
            )
            settings["target_qps"] = round(rate, 3)
            seconds = max(seconds, n_samples / rate)
        return settings, notes, seconds

    # the rate LoadGen is told to expect: the profile's target, else from the calibration
    qps: float | None = None
    expected_ms: float | None = None
    if scenario in (Scenario.OFFLINE, Scenario.SERVER):
        qps = target.target_qps if target and target.target_qps else None
        if qps is None and scenario == Scenario.OFFLINE:
            qps = cal.throughput * (1.0 if test else OFFLINE_QPS_HEADROOM)
            notes.append(f"target_qps from the {cal.source} throughput")
        elif qps is None:
            qps = cal.throughput * short.server_load_fraction
            notes.append(
                f"target_qps = {short.server_load_fraction} x the {cal.source} throughput; "
                "set targets.Server.target_qps in the profile to tune it"
            )
        settings["target_qps"] = round(qps, 3)
    else:
        if target and target.target_latency_ms:
            expected_ms = target.target_latency_ms
        else:
            expected_ms = per_query * 1e3 * LATENCY_HEADROOM
            notes.append(
                f"target_latency from the {cal.source} latency x {LATENCY_HEADROOM} (whole ms "
                "here; the harness gives LoadGen the exact value)"
            )
        # user.conf takes whole milliseconds here (LoadGen reads the value as an integer)
        settings["target_latency"] = max(1, int(expected_ms))

    query_s = 1.0 / qps if scenario == Scenario.SERVER and qps else per_query
    if test:
        floor = (
            short.endpoint_min_query_count
            if profile.harness == "endpoint"
            else short.min_query_count
        )[scenario]
        queries = max(floor, math.ceil(short.target_s / query_s))
        settings["min_duration"] = short.min_duration_ms
        settings["min_query_count"] = queries
        seconds = max(short.min_duration_ms / 1e3, queries * query_s)
        if scenario == Scenario.OFFLINE and qps:
            # LoadGen's query holds at least expected QPS x min duration x slack samples
            offered = qps * short.min_duration_ms / 1e3 * LOADGEN_OFFLINE_SLACK
            seconds = max(seconds, offered / cal.throughput)
        unit = "samples" if scenario == Scenario.OFFLINE else "queries"
        notes.append(
            f"test execution: {scenario.value} runs {queries} {unit} (at least {floor}; about "
            f"{seconds:.0f} s here) with min_duration {short.min_duration_ms} ms instead of "
            "the rules' settings (not submittable)"
        )
        return settings, notes, seconds

    min_s = rules_round.min_duration_ms / 1e3
    if scenario == Scenario.OFFLINE:
        minimum = bench.offline_min_samples or rules_round.offline_min_samples
        samples = max(minimum, (qps or 0.0) * min_s * LOADGEN_OFFLINE_SLACK)
        if calibrate_s:
            # the harness's own rate sizes the run: it lasts the min duration x LoadGen's
            # slack, whatever the calibration before the runs said, plus the timing itself
            seconds = min_s * LOADGEN_OFFLINE_SLACK * CALIBRATED_QPS_HEADROOM
            notes.append(
                f"the harness times the Offline run in a {calibrate_s:g} s LoadGen test "
                f"first and sizes the run from {CALIBRATED_QPS_HEADROOM:g} x that rate"
            )
            return settings, notes, seconds + calibrate_s
        return settings, notes, samples / cal.throughput
    if scenario == Scenario.SERVER:
        return settings, notes, min_s
    # LoadGen generates queries for the min duration at the expected latency (given to the
    # harness in nanoseconds), and ends the run once the min duration and the min query count
    # are both met: a run lasts the min duration, or the time its min query count needs
    minimum = bench.min_queries.get(scenario, 1) if scenario == Scenario.SINGLE_STREAM else 1
    return settings, notes, max(min_s, minimum * per_query)


def _offline_calibrate_s(
    profile: Profile,
    rules_round: Round,
    bench: Benchmark,
    scenario: Scenario,
    mode: Mode,
    cal: Calibration,
) -> float | None:
    """The seconds a valid Offline performance run has the harness time its own rate before
    LoadGen starts (:data:`OFFLINE_CALIBRATE_S`), or None: only when the profile sets no
    target_qps and the run's length is set by the min duration, not by the rules' minimum
    sample count (a slow model meets that count only after the min duration: timing it again
    would change nothing)."""
    if (
        scenario != Scenario.OFFLINE
        or mode != Mode.PERFORMANCE
        or profile.execution == Execution.TEST
        or profile.harness == "endpoint"
    ):
        return None
    target = profile.targets.get(scenario)
    if target is not None and target.target_qps:
        return None
    minimum = bench.offline_min_samples or rules_round.offline_min_samples
    min_s = rules_round.min_duration_ms / 1e3
    if cal.throughput * min_s * LOADGEN_OFFLINE_SLACK <= minimum:
        return None
    return OFFLINE_CALIBRATE_S


def _expected_latency_ns(
    profile: Profile, scenario: Scenario, cal: Calibration, samples_per_query: int
) -> int:
    """The expected query latency LoadGen generates a SingleStream/MultiStream run's queries
    from, in nanoseconds: below the real one, so that LoadGen never runs out of queries before
    the min duration (more queries generated than issued costs only memory)."""
    target = profile.targets.get(scenario)
    if target and target.target_latency_ms:
        latency_s = target.target_latency_ms / 1e3
    else:
        latency_s = _per_query_s(scenario, cal, samples_per_query)
    return max(1, round(latency_s * LATENCY_HEADROOM * 1e9))


def plan_runs(
    profile: Profile,
    rules_round: Round | None = None,
    *,
    calibration: Calibration | None = None,
    dataset_size: int | None = None,
    short: TestSettings = TEST_SETTINGS,
) -> list[PlannedRun]:
    """Every LoadGen test the package needs, in run order, with settings and estimates.

    Per scenario: performance, accuracy (per the profile's modes), then in the closed division
    the compliance tests the rules require (they compare against the first two).
    """
    rules_round = rules_round or rules.get_round(profile.round)
    bench = rules.get_benchmark(profile.benchmark, rules_round.version)
    try:
        entry = benchmarks.require(bench.name, rules_round.benchmarks, harness=profile.harness)
    except RulesError as exc:
        raise RunError(exc.message, exc.fix) from None
    model = entry.model(profile.require_assets().model.kind)
    cal = calibration or rule_of_thumb(profile)
    n_samples = _dataset_size(profile, bench, dataset_size)
    tests: tuple[str, ...] = ()
    if profile.division.strict:
        tests = rules.compliance_tests(bench, profile.division)
    plan: list[PlannedRun] = []
    accuracy_samples = (
        short.endpoint_accuracy_samples if profile.harness == "endpoint" else short.accuracy_samples
    )
    for scenario in profile.scenarios:
        wanted: list[tuple[Mode, str | None]] = [(m, None) for m in profile.modes]
        wanted += [(Mode.PERFORMANCE, t) for t in tests]
        for mode, test in wanted:
            subset: int | None = None
            # the power workflow measures the performance runs, not the compliance audits
            power = profile.power is not None and mode == Mode.PERFORMANCE and test is None
            run_short = short
            if power and short.min_duration_ms < POWER_TEST_MIN_DURATION_MS:
                # the other scenarios end at the min duration (their query count is sized for
                # less), so the ranging and the testing run last the same (check.py compares
                # them); Offline's one query is sized for twice the min duration, so that a
                # machine up to twice as fast as calibrated still gives a VALID run
                target_s = short.target_s
                if scenario == Scenario.OFFLINE:
                    target_s = max(target_s, 2 * POWER_TEST_MIN_DURATION_MS / 1e3)
                run_short = dataclasses.replace(
                    short, min_duration_ms=POWER_TEST_MIN_DURATION_MS, target_s=target_s
                )
            if (
                mode == Mode.ACCURACY
                and profile.execution == Execution.TEST
                and accuracy_samples
                and accuracy_samples < n_samples
            ):
                subset = accuracy_samples
            calibrate_s = _offline_calibrate_s(profile, rules_round, bench, scenario, mode, cal)
            settings, notes, seconds = _settings_for(
                profile,
                rules_round,
                bench,
                scenario,
                mode,
                cal,
                subset or n_samples,
                run_short,
                calibrate_s,
            )
            if subset is not None:
                notes.insert(
                    0,
                    f"test execution: the accuracy run scores the first {subset} of the "
                    f"{n_samples} samples (not submittable)",
                )
            if test is not None:
                notes.append(f"compliance {test}: LoadGen applies the rules' audit.config")
            if mode == Mode.ACCURACY:
                expected = subset or n_samples
            elif scenario == Scenario.SINGLE_STREAM:
                expected = round(seconds / (cal.latency_s + HARNESS_QUERY_OVERHEAD_S))
            elif scenario == Scenario.SERVER:
                expected = round(seconds * float(settings.get("target_qps", cal.throughput)))
            else:
                expected = round((seconds - (calibrate_s or 0.0)) * cal.throughput)
            expected_ns = None
            if mode == Mode.PERFORMANCE and scenario in (
                Scenario.SINGLE_STREAM,
                Scenario.MULTI_STREAM,
            ):
                expected_ns = _expected_latency_ns(
                    profile, scenario, cal, rules_round.multistream_samples_per_query
                )
            estimate = seconds + START_OVERHEAD_S
            if power:
                notes.append(_power_note(estimate))
                estimate = power_session_s(estimate)
            plan.append(
                PlannedRun(
                    run_id=run_id_for(scenario, mode, test),
                    benchmark=bench.name,
                    loadgen_model=bench.loadgen_model,
                    task=entry.task,
                    scenario=scenario,
                    mode=mode,
                    compliance_test=test,
                    settings=settings,
                    estimate_s=estimate,
                    notes=tuple(notes),
                    expected_samples=max(1, expected),
                    dataset_count=subset,
                    task_options=dict(model.task_options),
                    expected_latency_ns=expected_ns,
                    offline_calibrate_s=calibrate_s,
                    power=power,
                )
            )
    return plan


def power_session_s(run_s: float) -> float:
    """The seconds of a power run whose harness run takes ``run_s`` (start included): the
    ranging and the testing run, the power server's analyser waits and the session's setup."""
    return 2 * run_s + POWER_WAITS_PER_SESSION * POWER_ANALYSER_WAIT_S + POWER_SESSION_OVERHEAD_S


def _power_note(run_s: float) -> str:
    return (
        "power: the official power client runs this twice (ranging, then testing; "
        f"{run_s:.0f} s each) and the power server waits {POWER_WAITS_PER_SESSION} x "
        f"{POWER_ANALYSER_WAIT_S:g} s for the analyser: about {power_session_s(run_s):.0f} s"
    )


def total_estimate_s(plan: Sequence[PlannedRun]) -> float:
    return sum(r.estimate_s for r in plan)
