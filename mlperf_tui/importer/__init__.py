"""Import of another harness's LoadGen logs into a results folder (``mlperf-tui import``).

Many submitters already have LoadGen logs from a vendor's harness (NVIDIA, AMD, Intel, the
MLCommons reference) for benchmarks mlperf-tui does not run itself. The import turns them into
the results folder a built-in replay leaves (:mod:`mlperf_tui.results`), so the package, the
validation and the checklist work on them unchanged::

    request = ImportRequest(profile=import_profile(source=..., benchmark=..., scenarios=[...]),
                            source=Path("harness-output"))
    results = import_logs(request, out=Path("results/imported"))

Three steps, one module each:

1. :func:`~mlperf_tui.importer.discover.discover` walks the source for LoadGen's logs (a flat
   folder per run, or a submission-like tree) and classifies each run by its detail log;
2. :func:`~mlperf_tui.importer.check.check_discovery` checks every log the import would take
   (benchmark, scenario, mode, seeds, validity, errors, accuracy) and refuses with every
   problem and its fix (:class:`ImportRefused`, nothing written);
3. :func:`~mlperf_tui.importer.record.record` copies the logs byte for byte into a new results
   folder with their provenance, scoring the accuracy log or verifying a compliance run where
   the harness left that to do, and renames it into place at the end.

A ``harness: import`` profile replays with ``mlperf-tui run``: the runner's ``prepare`` and
``execute`` call :func:`prepare_import` and :func:`execute_import`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui.importer.check import Accepted, ImportPlan, ImportRefused, check_discovery
from mlperf_tui.importer.discover import Discovery, FoundRun, discover
from mlperf_tui.importer.record import IMPORT_RECORD, ORIGIN_KIND, destination, record
from mlperf_tui.importer.request import (
    ImportRequest,
    import_profile,
    measurements_from,
    request_from_profile,
)

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.results import ResultsSet
    from mlperf_tui.run.events import OnEvent
    from mlperf_tui.run.execute import Prepared

__all__ = [
    "IMPORT_RECORD",
    "ORIGIN_KIND",
    "Accepted",
    "Discovery",
    "FoundRun",
    "ImportPlan",
    "ImportRefused",
    "ImportRequest",
    "check_discovery",
    "discover",
    "execute_import",
    "import_logs",
    "import_profile",
    "measurements_from",
    "plan_import",
    "prepare_import",
    "request_from_profile",
]


def plan_import(request: ImportRequest) -> ImportPlan:
    """Find and check the logs; the runs the import takes, or ImportRefused (nothing written)."""
    return check_discovery(
        discover(request.source),
        request.profile,
        allow_invalid=request.allow_invalid,
        accuracy_dataset=request.accuracy_dataset,
        user_conf=request.user_conf,
        accuracy_tokenizer=request.accuracy_tokenizer,
    )


def import_logs(
    request: ImportRequest,
    *,
    out: Path | None = None,
    results_root: Path | None = None,
    on_event: OnEvent | None = None,
    now: datetime | None = None,
) -> ResultsSet:
    """Check the source's logs and write them as the results folder ``out`` (a new or empty
    folder; default: a new ``<YYYYMMDD-HHMMSS>`` under ``results_root``, the profile's
    ``output`` or ./results). Raises ImportRefused, with nothing written, for a bad import.
    The import is recorded in the run history (a history that cannot be written is a
    ``message`` event, never a failed import)."""
    from mlperf_tui import history
    from mlperf_tui.run.events import RunnerEvent
    from mlperf_tui.run.execute import results_root_for

    root = results_root_for(request.profile, results_root)
    dest = destination(out, root, now)
    plan = plan_import(request)
    results = _record(plan, request, dest, on_event)
    note = history.try_record(results)
    if note and on_event is not None:
        on_event(RunnerEvent("message", data={"text": note}))
    return results


def _record(
    plan: ImportPlan, request: ImportRequest, dest: Path, on_event: OnEvent | None
) -> ResultsSet:
    from mlperf_tui.importer.plan import planned_runs
    from mlperf_tui.results import RunResult
    from mlperf_tui.run.events import RunnerEvent

    emit = on_event or (lambda _ev: None)
    planned = planned_runs(plan)
    total = len(planned)
    index = {p.run_id: n for n, p in enumerate(planned)}
    emit(RunnerEvent("plan", total=total, data={"runs": [p.to_dict() for p in planned]}))

    def say(kind: str, item: Accepted | None, res: RunResult | None) -> None:
        if item is None:
            return
        n = index.get(item.run_id)
        data = planned[n].to_dict() if n is not None and kind == "run_start" else {}
        emit(RunnerEvent(kind, item.run_id, n, total, data=data, result=res))

    results = record(plan, request, dest, say=say)
    emit(RunnerEvent("done", total=total, data={"complete": True, "folder": str(results.folder)}))
    return results


def prepare_import(profile: Profile, *, profile_path: Path | None = None) -> Prepared:
    """The runner's ``prepare`` of a ``harness: import`` profile: the logs checked (a refusal
    raises here, before anything is written) and listed as the plan."""
    from mlperf_tui.importer.plan import calibration_of, planned_runs, resolved_of
    from mlperf_tui.run.execute import Prepared

    request = request_from_profile(profile, profile_path)
    plan = plan_import(request)
    return Prepared(
        profile=profile,
        resolved=resolved_of(plan, request.accuracy_dataset),
        calibration=calibration_of(plan),
        plan=planned_runs(plan),
    )


def execute_import(
    profile: Profile,
    *,
    results_root: Path,
    folder: Path | None = None,
    on_event: OnEvent | None = None,
    profile_path: Path | None = None,
) -> ResultsSet:
    """The runner's ``execute`` of a ``harness: import`` profile: the logs checked again (the
    folder may have changed since ``prepare``) and recorded into ``folder`` or a new folder
    under ``results_root``."""
    request = request_from_profile(profile, profile_path)
    dest = destination(folder, results_root)
    return _record(plan_import(request), request, dest, on_event)
