"""find-performance: the targets a valid run should ask LoadGen for, found by short runs.

- Server: a search for the highest target QPS whose run is VALID (the p99 under the rules'
  latency bound, LoadGen's early stopping met): short runs from the calibrated throughput,
  stepping down until one is valid and up until one is not, then halving the gap between
  them; then one longer confirming run at the value found (stepping down 5% while it fails);
- SingleStream / MultiStream: one short run; the target latency is its p90 (SingleStream) or
  p99 (MultiStream) query latency;
- Offline: one short run; the target QPS is its throughput.

Each point is a real harness run under LoadGen in the profile's own settings (backend,
streams, batch size), reported as it ends. The targets go into the profile's ``targets``
(:func:`apply_targets`), which sizes the valid runs.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui import benchmarks
from mlperf_tui.errors import RunError
from mlperf_tui.results import RUN_CONFIG
from mlperf_tui.rules.model import Execution, Mode, Scenario

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.run.calibrate import Calibration
    from mlperf_tui.run.inputs import ResolvedAssets
    from mlperf_tui.run.plan import PlannedRun

#: seconds of a search run and of the confirming run
SEARCH_SECONDS = 8.0
CONFIRM_SECONDS = 30.0
#: halvings of the gap between the highest valid and the lowest invalid Server rate
BISECTIONS = 3
#: the least queries of a Server search run (LoadGen's early stopping needs some hundreds)
SERVER_MIN_QUERIES = 2000


@dataclass(frozen=True)
class Probe:
    """One run of the search."""

    scenario: Scenario
    target: float
    valid: bool
    #: Server: the scheduled queries per second; Offline: samples per second
    achieved: float | None
    p90_ms: float | None
    p99_ms: float | None
    reason: str | None
    confirming: bool = False

    def describe(self) -> str:
        what = "confirming run" if self.confirming else "search run"
        unit = "q/s" if self.scenario in (Scenario.SERVER, Scenario.OFFLINE) else "ms"
        p99 = f", p99 {self.p99_ms:.2f} ms" if self.p99_ms is not None else ""
        p90 = f", p90 {self.p90_ms:.3f} ms" if self.p90_ms is not None else ""
        verdict = "VALID" if self.valid else f"INVALID ({self.reason or 'see the log'})"
        at = f" at {self.target:,.1f} {unit}" if self.target else ""
        return f"{self.scenario.value} {what}{at}: {verdict}{p90}{p99}"


OnProbe = Callable[[Probe], None]


def _probe_run(
    base: PlannedRun,
    profile: Profile,
    resolved: ResolvedAssets,
    settings: Mapping[str, int | float],
    cancel: threading.Event,
) -> dict[str, Any]:
    """Run ``base`` with ``settings`` in a scratch folder; LoadGen's figures of the run."""
    from mlperf_tui.run.child import run_child, run_config

    run = dataclasses.replace(base, settings=dict(settings))
    entry = benchmarks.require(profile.benchmark)
    with tempfile.TemporaryDirectory(prefix="mlperf-tui-find-") as scratch:
        folder = Path(scratch)
        (folder / "user.conf").write_text(run.user_conf(), encoding="utf-8")
        run_config(run, profile, resolved, folder, task=run.task).write(folder / RUN_CONFIG)
        code, result, error, _ = run_child(
            run, folder, 1, 1, lambda e: None, cancel, 10.0, entry.python_path
        )
    if cancel.is_set():
        raise KeyboardInterrupt
    if error is not None or result is None or result.get("status") != "ok":
        message = (error or result or {}).get("message") or f"exit code {code}"
        raise RunError(f"a search run failed: {message}", "check the profile with a test run first")
    figures: dict[str, Any] = result.get("loadgen") or {}
    return figures


def _ms(figures: Mapping[str, Any], key: str, which: str = "percentiles_ns") -> float | None:
    value = (figures.get(which) or {}).get(key)
    return None if value is None else float(value) / 1e6  # keys as LoadGen's: "90.00"


def _probe_of(
    scenario: Scenario, target: float, figures: Mapping[str, Any], confirming: bool
) -> Probe:
    settings = figures.get("settings") or {}
    achieved = figures.get("metric_value")
    if scenario == Scenario.SERVER:
        achieved = settings.get("target_qps") if achieved is None else achieved
    return Probe(
        scenario=scenario,
        target=target,
        valid=bool(figures.get("result_valid")),
        achieved=None if achieved is None else float(achieved),
        p90_ms=_ms(figures, "90.00"),
        p99_ms=_ms(figures, "99.00"),
        reason=figures.get("invalid_reason")
        or (None if figures.get("perf_constraints_met", True) else "latency bound not met"),
        confirming=confirming,
    )


def _run_probe(
    base: PlannedRun,
    profile: Profile,
    resolved: ResolvedAssets,
    keep: Mapping[str, int | float],
    cancel: threading.Event,
    on_probe: OnProbe,
    settings: Mapping[str, int | float],
    target: float,
    confirming: bool = False,
) -> Probe:
    figures = _probe_run(base, profile, resolved, {**keep, **settings}, cancel)
    probe = _probe_of(base.scenario, target, figures, confirming)
    on_probe(probe)
    return probe


def find_performance(
    profile: Profile,
    resolved: ResolvedAssets,
    calibration: Calibration,
    *,
    scenarios: tuple[Scenario, ...] | None = None,
    search_s: float = SEARCH_SECONDS,
    confirm_s: float = CONFIRM_SECONDS,
    on_probe: OnProbe = lambda p: None,
    cancel: threading.Event | None = None,
) -> dict[Scenario, float]:
    """The target per scenario (QPS for Offline/Server, ms for SingleStream/MultiStream)."""
    from mlperf_tui.run.plan import plan_runs

    cancel = cancel or threading.Event()
    test_profile = profile.model_copy(update={"execution": Execution.TEST, "targets": {}})
    plan = {
        r.scenario: r
        for r in plan_runs(
            test_profile, calibration=calibration, dataset_size=resolved.dataset_size
        )
        if r.mode == Mode.PERFORMANCE and r.compliance_test is None
    }
    found: dict[Scenario, float] = {}
    for scenario in scenarios or tuple(profile.scenarios):
        if scenario not in plan:
            continue
        base = plan[scenario]
        keep = {k: v for k, v in base.settings.items() if k == "performance_sample_count_override"}

        duration = {"min_duration": int(search_s * 1000)}
        if scenario == Scenario.SERVER:
            run = functools.partial(
                _run_probe, base, test_profile, resolved, keep, cancel, on_probe
            )
            found[scenario] = _search_server(run, calibration.throughput, search_s, confirm_s)
        elif scenario == Scenario.OFFLINE:
            qps = calibration.throughput
            settings = {**keep, **duration, "target_qps": qps, "min_query_count": 1}
            probe = _probe_of(
                scenario, qps, _probe_run(base, test_profile, resolved, settings, cancel), False
            )
            on_probe(probe)
            found[scenario] = round(probe.achieved or qps, 1)
        else:
            queries = max(64, int(search_s / max(calibration.latency_s, 1e-6) / 2))
            settings = {**keep, **duration, "min_query_count": queries, "target_latency": 1}
            figures = _probe_run(base, test_profile, resolved, settings, cancel)
            on_probe(_probe_of(scenario, 0.0, figures, False))
            if scenario == Scenario.SINGLE_STREAM:
                latency = _ms(figures, "90.00")
            else:
                latency = _ms(figures, "99.00", "query_percentiles_ns") or _ms(figures, "99.00")
            if latency is None:
                raise RunError(
                    f"the {scenario.value} search run reported no latency",
                    "check the run's LoadGen log (mlperf_log_detail.txt)",
                )
            found[scenario] = float(f"{latency:.4g}")
    return found


def _search_server(
    run: Callable[..., Probe], throughput: float, search_s: float, confirm_s: float
) -> float:
    """The highest valid Server target QPS (module doc)."""

    def settings(qps: float, seconds: float) -> dict[str, int | float]:
        return {
            "target_qps": round(qps, 3),
            "min_duration": int(seconds * 1000),
            "min_query_count": max(SERVER_MIN_QUERIES, math.ceil(qps * seconds)),
        }

    valid: float | None = None
    invalid: float | None = None
    qps = 0.85 * throughput
    for _ in range(12):  # bracket the limit
        probe = run(settings(qps, search_s), qps)
        if probe.valid:
            valid = qps
            if invalid is not None or qps >= 1.2 * throughput:
                break
            qps *= 1.1
        else:
            invalid = qps
            if valid is not None:
                break
            qps *= 0.8
    if valid is None:
        raise RunError(
            f"no Server rate down to {qps:,.1f} q/s met the latency bound",
            "check the model's latency (mlperf-tui tune), or set a smaller batch size",
        )
    if invalid is not None:
        for _ in range(BISECTIONS):
            mid = (valid + invalid) / 2
            if run(settings(mid, search_s), mid).valid:
                valid = mid
            else:
                invalid = mid
    for _ in range(4):  # confirm, stepping down while it fails
        if run(settings(valid, confirm_s), valid, confirming=True).valid:
            return round(valid, 1)
        valid *= 0.95
    raise RunError(
        f"the confirming runs failed down to {valid:,.1f} q/s",
        "the machine may be busy: retry when it is idle",
    )


def apply_targets(profile: Profile, found: Mapping[Scenario, float]) -> Profile:
    """``profile`` with ``found`` as its targets (the other scenarios' targets kept)."""
    from mlperf_tui.profile.model import ScenarioTarget

    targets = dict(profile.targets)
    for scenario, value in found.items():
        if scenario in (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM):
            targets[scenario] = ScenarioTarget(target_latency_ms=value)
        else:
            targets[scenario] = ScenarioTarget(target_qps=value)
    return profile.model_copy(update={"targets": targets})
