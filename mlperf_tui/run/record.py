"""``mlperf-tui record RESULTS``: the runner's bookkeeping for runs it did not start itself.

A replay script (:mod:`mlperf_tui.run.script`) starts each harness child as the runner does and
leaves, per run, what the runner's child leaves: RUN.json, events.jsonl, harness.stderr.log,
LoadGen's logs and ``harness.exit.json`` (the exit code and duration). :func:`record_results`
then does what the runner does after each child, with the runner's own code
(:func:`~mlperf_tui.run.execute.finish_run`): each run's result.json from its events, exit
code and LoadGen's logs, the compliance verification of an audit run, the later runs skipped
after a setup failure or a cancel; and summary.json last. The folder is then a results folder
like any other: ``mlperf-tui package`` builds its package. A power run (the script ran the
official power client around the harness child) is recorded from the client's output
(:func:`~mlperf_tui.run.power_run.record_session`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlperf_tui import rules
from mlperf_tui.errors import ExitCode, PackageError, UsageError
from mlperf_tui.results import (
    EVENTS,
    HARNESS_EXIT,
    PLAN,
    PROFILE,
    RUN_CONFIG,
    RUNS,
    STATUS_CANCELLED,
    SUMMARY,
    ResultsSet,
    RunResult,
    results_write_failed,
    write_summary,
)
from mlperf_tui.run.child import read_events
from mlperf_tui.run.execute import NOT_STARTED_CANCELLED, finish_run, setup_stop_reason, skipped_run
from mlperf_tui.run.plan import PlannedRun
from mlperf_tui.run.power_run import record_session

#: the message of a planned run whose folder holds no exit code (the script stopped before it)
NOT_RUN = f"not run: its folder holds no {HARNESS_EXIT} (the replay stopped before it)"

_AGAIN = "run the replay script again into a new folder (bash replay.sh NEW_FOLDER)"


def _read(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"{path} is missing ({what})", _AGAIN) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PackageError(f"{path} cannot be read as JSON ({exc})", _AGAIN) from None


def _exit_of(path: Path) -> tuple[int, float | None]:
    data = _read(path, "the harness child's exit code")
    code = data.get("exit_code") if isinstance(data, dict) else None
    if isinstance(code, bool) or not isinstance(code, int):
        raise PackageError(f"{path} holds no exit_code", _AGAIN)
    duration = data.get("duration_s")
    ok = isinstance(duration, int | float) and not isinstance(duration, bool)
    return code, float(duration) if ok else None


def _planned(entry: Any, run_dir: Path, plan_file: Path) -> tuple[PlannedRun, Any]:
    """The planned run of a plan.json entry, completed from its RUN.json when it has one;
    and its RunConfig (None without RUN.json)."""
    from harness.config import load_run_config
    from harness.errors import HarnessError

    config = None
    if (run_dir / RUN_CONFIG).is_file():
        try:
            config = load_run_config(run_dir / RUN_CONFIG)
        except HarnessError as exc:
            raise PackageError(f"{run_dir / RUN_CONFIG}: {exc.message}", _AGAIN) from None
    try:
        run = PlannedRun.from_dict(
            entry,
            loadgen_model=config.loadgen_model if config else "",
            task=config.task if config else "",
            task_options=config.task_options if config else None,
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        raise PackageError(
            f"{plan_file} holds an entry that is not a planned run: {str(entry)[:80]}", _AGAIN
        ) from None
    return run, config


def record_results(folder: Path | str, *, force: bool = False) -> ResultsSet:
    """Write each planned run's result.json and the folder's summary.json from what the runs
    left (see the module docstring); refuses a folder that has summary.json unless ``force``.
    """
    from mlperf_tui.profile import load_profile

    base = Path(folder).expanduser().resolve()
    if not (base / PLAN).is_file() or not (base / PROFILE).is_file():
        raise PackageError(
            f"{base} is not a results folder of a replay (no {PLAN} and {PROFILE})",
            "give the OUT folder of a replay script (bash replay.sh OUT)",
        )
    if (base / SUMMARY).exists() and not force:
        raise UsageError(
            f"{base} is recorded already (it has {SUMMARY})",
            "add --force to write each run's result.json and summary.json again from its files",
        )
    profile = load_profile(base / PROFILE)
    if profile.harness == "import":
        raise UsageError(
            f"{base} holds imported logs, which `mlperf-tui import` records itself",
            "import the logs again (mlperf-tui import) to record them",
        )
    entries = _read(base / PLAN, "the plan")
    if not isinstance(entries, list):
        raise PackageError(f"{base / PLAN} is not a list of planned runs", _AGAIN)
    bench = rules.get_benchmark(profile.benchmark, profile.round)
    assets = profile.assets
    results = ResultsSet(
        folder=base,
        runs=[],
        complete=False,
        execution=profile.execution.value,
        synthetic=assets is not None
        and "synthetic" in (assets.model.source, assets.dataset.source),
        benchmark=bench.name,
        division=profile.division.value,
        category=profile.category.value,
        round=profile.round,
        plan=entries,
    )
    done: dict[str, RunResult] = {}
    stop_reason = ""
    cancelled = False
    for entry in entries:
        run_id = entry.get("run_id") if isinstance(entry, dict) else None
        if not isinstance(run_id, str) or "/" in run_id or run_id in ("", ".", ".."):
            raise PackageError(f"{base / PLAN} names a run {run_id!r}", _AGAIN)
        run_dir = base / RUNS / run_id
        run, config = _planned(entry, run_dir, base / PLAN)
        exit_file = run_dir / HARNESS_EXIT
        if stop_reason or cancelled or config is None or not exit_file.is_file():
            reason = stop_reason or (NOT_STARTED_CANCELLED if cancelled else NOT_RUN)
            res = skipped_run(run, run_dir, reason)
        else:
            code, duration_s = _exit_of(exit_file)
            if run.power:
                # the replay ran the official power client: its output split and its session
                # kept as the runner does (mlperf_tui.run.power_run)
                code, outcome = record_session(run, run_dir, code)
            else:
                outcome = read_events(run_dir / EVENTS)
            res = finish_run(
                run,
                base,
                code,
                outcome,
                cancelled=code == int(ExitCode.CANCELLED),  # the harness's exit on SIGINT
                done=done,
                dataset=config.dataset_path,
                tokenizer=None if config.endpoint is None else config.endpoint.tokenizer_dir,
                duration_s=duration_s,
            )
            stop_reason = setup_stop_reason(res)
            cancelled = res.status == STATUS_CANCELLED
        results.runs.append(res)
        done[run.run_id] = res
    results.complete = not cancelled and all(r.ok for r in results.runs)
    try:
        write_summary(results)
    except OSError as exc:
        raise results_write_failed(exc, base) from None
    return results
