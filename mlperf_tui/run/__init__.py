"""Plans the LoadGen tests a profile needs, runs each in a harness child, collects the results.

The flow (DESIGN.md, "Runs happen in child processes", "Execution modes"), one module each:

1. :func:`resolve_assets` (``inputs``) - the model and data set of the profile (generated,
   checked, cached);
2. :func:`calibrate` (``calibrate``) - about a second of the model on this machine, in a
   harness child, with the task's own inputs; without it :func:`rule_of_thumb`;
3. :func:`plan_runs` (``plan``) - per scenario a performance and an accuracy run (per the
   profile's modes), and in the closed division the compliance runs the rules require, each
   with its user.conf settings and an estimated duration;
4. :func:`execute` (``execute``) - each run as ``python -m harness run --config RUN.json``
   (``child``); :func:`prepare` does 1-3 in one call.

Before all of them, :func:`preflight` (``preflight``) says from the profile alone what the runs
will need (disk per filesystem, memory, time) against what the machine has; a front end refuses
a shortage before anything is generated or written.

The results folder it writes is :mod:`mlperf_tui.results`.
"""

from __future__ import annotations

from mlperf_tui.results import (
    STATUS_CANCELLED,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    ResultsSet,
    RunResult,
    load_results,
    new_results_folder,
)
from mlperf_tui.run.calibrate import Calibration, calibrate, rule_of_thumb
from mlperf_tui.run.events import OnEvent, RunnerEvent
from mlperf_tui.run.execute import Prepared, execute, prepare, time_model
from mlperf_tui.run.inputs import ResolvedAssets, resolve_assets
from mlperf_tui.run.plan import PlannedRun, plan_runs, run_id_for, total_estimate_s
from mlperf_tui.run.preflight import DiskUse, Preflight, PreflightItem, preflight
from mlperf_tui.run.settings import (
    CANCEL_GRACE_S,
    HARNESS_QUERY_OVERHEAD_S,
    LATENCY_HEADROOM,
    LOADGEN_OFFLINE_SLACK,
    OFFLINE_CALIBRATE_S,
    OFFLINE_QPS_HEADROOM,
    RESULTS_DIRNAME,
    START_OVERHEAD_S,
    TEST_SETTINGS,
    TestSettings,
)

__all__ = [
    "CANCEL_GRACE_S",
    "HARNESS_QUERY_OVERHEAD_S",
    "LATENCY_HEADROOM",
    "LOADGEN_OFFLINE_SLACK",
    "OFFLINE_CALIBRATE_S",
    "OFFLINE_QPS_HEADROOM",
    "RESULTS_DIRNAME",
    "START_OVERHEAD_S",
    "STATUS_CANCELLED",
    "STATUS_FAILED",
    "STATUS_OK",
    "STATUS_SKIPPED",
    "TEST_SETTINGS",
    "Calibration",
    "DiskUse",
    "OnEvent",
    "PlannedRun",
    "Preflight",
    "PreflightItem",
    "Prepared",
    "ResolvedAssets",
    "ResultsSet",
    "RunResult",
    "RunnerEvent",
    "TestSettings",
    "calibrate",
    "execute",
    "load_results",
    "new_results_folder",
    "plan_runs",
    "preflight",
    "prepare",
    "resolve_assets",
    "rule_of_thumb",
    "run_id_for",
    "time_model",
    "total_estimate_s",
]
