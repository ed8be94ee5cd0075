"""Writing the accepted runs as a results folder, with where every file came from.

The folder is the one :mod:`mlperf_tui.results` models (``summary.json`` complete,
``runs/<run_id>/`` with ``result.json``), so ``package``, ``check`` and ``checklist`` read it as
they read a built-in replay. Each run folder keeps the harness's files byte for byte and an
``IMPORT.json`` in place of a built-in run's ``RUN.json``: for every file where it came from and
its sha256 (or what produced it: mlperf-tui's scoring or compliance verification), the import
time and the command. ``summary.json`` carries the same as its ``origin``.

The folder is built in a hidden sibling of the destination and renamed into place at the end:
a refusal or a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.loadgen_logs import ACCURACY_LOG, DETAIL_LOG, SUMMARY_LOG
from mlperf_tui import __version__
from mlperf_tui.errors import EnvironmentProblem, MlperfTuiError
from mlperf_tui.importer.common import Accepted, ImportPlan
from mlperf_tui.importer.discover import AUDIT_CONFIG, POWER_RUN_LOG, USER_CONF
from mlperf_tui.importer.request import ImportRequest
from mlperf_tui.importer.run_folder import (
    RunWriter,
    accuracy_of,
    accuracy_writer_of,
    classified_of,
    compliance_of,
    measurements_of,
    result_of,
    system_of,
)
from mlperf_tui.results import (
    IMPORT_RECORD,
    PLAN,
    PROFILE,
    RESULT,
    RUNS,
    SYSTEM,
    ResultsSet,
    RunResult,
    write_json,
    write_summary,
)
from mlperf_tui.validate.findings import CheckResult

__all__ = ["IMPORT_RECORD", "ORIGIN_KIND", "destination", "record"]

#: summary.json's origin "kind" of an import
ORIGIN_KIND = "import"

Say = Callable[[str, Accepted | None, RunResult | None], None]


def destination(out: Path | None, results_root: Path, now: datetime | None = None) -> Path:
    """The results folder to write: ``out`` (new, or an empty folder), else a free
    ``results_root/<YYYYMMDD-HHMMSS>[-N]``. Nothing is created."""
    if out is not None:
        out = out.expanduser().resolve()
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise MlperfTuiError(
                f"{out} exists and is not an empty folder; not importing into it",
                "choose a new --out folder for the results",
            )
        return out
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    root = results_root.expanduser().resolve()
    for n in range(1, 10_000):
        candidate = root / (stamp if n == 1 else f"{stamp}-{n}")
        if not candidate.exists():
            return candidate
    raise EnvironmentProblem(f"no free results folder name in {root}", "clean up old results")


def _relative(path: Path, base: Path) -> str:
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
    return "" if rel == "." else rel


def _stage(dest: Path) -> Path:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{dest.name}.importing-", dir=dest.parent))
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write beside {dest}: {exc.strerror or exc}",
            "choose a writable --out folder (or profile output:)",
        ) from None


def record(
    plan: ImportPlan,
    request: ImportRequest,
    dest: Path,
    *,
    say: Say | None = None,
    now: datetime | None = None,
) -> ResultsSet:
    """Write the plan's runs as the results folder ``dest`` (atomically); returns it."""
    from mlperf_tui.importer.plan import plan_dicts, planned_runs
    from mlperf_tui.profile import dump_profile

    tell: Say = say or (lambda *_: None)
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    stage = _stage(dest)
    try:
        runs_dir = stage / RUNS
        runs_dir.mkdir()
        done: dict[tuple[str, str], Path] = {}
        results: list[RunResult] = []
        noted: list[CheckResult] = []
        accuracy_writer = accuracy_writer_of(plan, request)
        for item in plan.runs:
            tell("run_start", item, None)
            writer = RunWriter(runs_dir / item.run_id)
            run = item.found
            for name in (SUMMARY_LOG, DETAIL_LOG, ACCURACY_LOG, AUDIT_CONFIG, POWER_RUN_LOG):
                if name in run.files:
                    writer.copy(run.files[name], name)
            conf = request.user_conf or run.files.get(USER_CONF)
            warnings = list(item.warnings)
            if item.compliance_test is not None:
                pass  # the package takes user.conf from the scenario's main runs
            elif conf is not None:
                writer.copy(conf, USER_CONF)
            else:
                text = (
                    "# The harness's user.conf was not found beside these logs; LoadGen's\n"
                    "# effective settings are in mlperf_log_detail.txt. Import again with\n"
                    "# --user-conf FILE to publish the file the harness used.\n"
                )
                (writer.folder / USER_CONF).write_text(text, encoding="utf-8")
                writer.generated(
                    writer.folder / USER_CONF, "mlperf-tui: the harness's was not found"
                )
                warnings.append("the harness's user.conf was not found")
                noted.append(
                    CheckResult(
                        "import.user-conf",
                        "warning",
                        _relative(run.folder, plan.source),
                        "no user.conf beside the logs: the package gets a note in its place",
                        "import again with --user-conf FILE (the file the harness ran with)",
                    )
                )
            for name, folder in run.folders.items():
                if name != "accuracy":  # a compliance run's accuracy/ goes with its verdict
                    writer.copy_tree(folder, name)
            metric, value = (
                accuracy_of(item, writer, plan.bench) if item.mode == "accuracy" else (None, None)
            )
            verdict: dict[str, Any] | None = None
            if item.compliance_test is not None:
                verdict, notes = compliance_of(item, writer, done, accuracy_writer)
                warnings += notes
                where = _relative(run.folder, plan.source)
                noted += [CheckResult("import.compliance", "warning", where, n, "") for n in notes]
            res = result_of(item, plan, writer.folder, warnings)
            res.accuracy, res.accuracy_metric = value, metric
            res.compliance = verdict
            write_json(writer.folder / RESULT, res.to_dict(stage))
            write_json(
                writer.folder / IMPORT_RECORD,
                {
                    "schema_version": 1,
                    "imported_at": stamp,
                    "command": request.command,
                    "source": str(plan.source),
                    "run_folder": str(run.folder),
                    "classified": classified_of(item),
                    "files": writer.files,
                    "warnings": warnings,
                },
            )
            if item.compliance_test is None:
                done[(item.scenario, item.mode)] = writer.folder
            results.append(res)
            tell("run_end", item, res)
        measurements, measured_from = measurements_of(request, plan)
        system, system_from = system_of(request, plan)
        (stage / PROFILE).write_text(dump_profile(plan.profile), encoding="utf-8")
        write_json(stage / SYSTEM, system)
        write_json(stage / PLAN, plan_dicts(planned_runs(plan)))
        sut = next(
            (r.found.detail.get("sut_name") for r in plan.runs if r.mode == "performance"), None
        )
        results_set = ResultsSet(
            folder=stage,
            runs=results,
            complete=True,
            execution=plan.profile.execution.value,
            synthetic=False,
            benchmark=plan.bench.name,
            division=plan.profile.division.value,
            category=plan.profile.category.value,
            round=plan.profile.round,
            plan=plan_dicts(planned_runs(plan)),
            origin={
                "kind": ORIGIN_KIND,
                "source": str(plan.source),
                "harness": request.harness_name or "",
                "sut_name": sut or "",
                "imported_at": stamp,
                "command": request.command,
                "mlperf_tui": __version__,
                "measurements": measurements,
                "measurements_from": measured_from,
                "system_from": system_from,
                "findings": [f.to_dict() for f in [*plan.findings, *noted]],
                "ignored": [{"folder": str(folder), "why": why} for folder, why in plan.ignored],
            },
        )
        write_summary(results_set)
        _into_place(stage, dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    results_set.folder = dest
    for res in results_set.runs:
        res.folder = dest / RUNS / res.run_id
    return results_set


def _into_place(stage: Path, dest: Path) -> None:
    if dest.is_dir():
        dest.rmdir()  # checked empty by destination(); a non-empty one raises here
    os.rename(stage, dest)
