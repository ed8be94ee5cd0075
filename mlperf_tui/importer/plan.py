"""An import as the runner's front ends see a replay: a plan, a calibration, events.

``mlperf-tui run PROFILE`` of a ``harness: import`` profile goes through the runner's
:func:`~mlperf_tui.run.prepare` and :func:`~mlperf_tui.run.execute`, which hand it here: the
checks run in ``prepare`` (a refusal before anything is written), the plan lists the runs the
import takes (nothing to run, so no estimate), and ``execute`` records them, reporting each as
a run that started and ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.importer.check import Accepted, ImportPlan
from mlperf_tui.rules.model import Mode, Scenario

if TYPE_CHECKING:
    from mlperf_tui.run.calibrate import Calibration
    from mlperf_tui.run.plan import PlannedRun

__all__ = ["calibration_of", "plan_dicts", "planned_runs"]


def _planned(item: Accepted, plan: ImportPlan) -> PlannedRun:
    from mlperf_tui.importer.accuracy import needs_script
    from mlperf_tui.run.plan import PlannedRun

    count = item.found.detail.get("result_query_count")
    samples = (
        item.found.detail.get("qsl_reported_total_count") if item.mode == "accuracy" else count
    )
    try:
        rel = item.found.folder.relative_to(plan.source).as_posix()
    except ValueError:
        rel = str(item.found.folder)
    return PlannedRun(
        run_id=item.run_id,
        benchmark=plan.bench.name,
        loadgen_model=plan.bench.loadgen_model,
        task=needs_script(plan.bench) or "",
        scenario=Scenario(item.scenario),
        mode=Mode(item.mode),
        compliance_test=item.compliance_test,
        settings={},
        estimate_s=0.0,
        notes=(f"imported from {rel or '.'} (nothing runs)",),
        expected_samples=int(samples) if isinstance(samples, int) and samples > 0 else 1,
    )


def planned_runs(plan: ImportPlan) -> list[PlannedRun]:
    """The import's runs as planned runs (what the front ends list before a replay)."""
    return [_planned(item, plan) for item in plan.runs]


def plan_dicts(planned: Sequence[PlannedRun]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in planned]


def calibration_of(plan: ImportPlan) -> Calibration:
    """What the imported performance runs measured, in the calibration's terms (the front
    ends print it where a built-in replay prints the model's timing)."""
    from mlperf_tui.run.calibrate import Calibration

    throughput, latency = 0.0, 0.0
    for item in plan.runs:
        if item.mode != "performance" or item.compliance_test is not None:
            continue
        fig = item.found.figures
        value = fig.get("metric_value")
        if value is None:
            continue
        if fig.get("metric_unit") == "ns" and value > 0:
            latency = latency or float(value) / 1e9
            throughput = throughput or 1.0 / latency
        elif value > 0:
            throughput = throughput or float(value)
            latency = latency or 1.0 / throughput
    who = plan.runs[0].found.detail.get("sut_name") if plan.runs else None
    source = "from the imported logs" + (f" of SUT {who!r}" if who else "")
    return Calibration(throughput, latency, source)


def resolved_of(plan: ImportPlan, accuracy_dataset: Path | None) -> Any:
    """The runner's resolved assets of an import: nothing is resolved; the source stands in."""
    from mlperf_tui.run.inputs import ResolvedAssets

    return ResolvedAssets(
        model_path=plan.source,
        dataset_path=accuracy_dataset or plan.source,
        dataset_count=None,
        dataset_size=0,
        cache_dir=plan.source,
        synthetic=False,
    )
