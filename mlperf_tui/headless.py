"""``mlperf-tui run PROFILE --headless``: replay a profile without the full-screen app.

Shows the pre-flight check (disk, memory and time: :mod:`mlperf_tui.run.preflight`) and refuses
a shortage before anything is written, shows the plan with its estimates, runs it with a Rich
progress bar per run (throughput, p90), prints a results table, builds the package and prints
the validation grouped by severity.
``--json`` prints the machine-readable outcome on stdout (the live display goes to stderr).
``--debug`` adds, for each run that failed, its harness command, the environment it ran with
and the end of its log. :func:`dry_run` (``run PROFILE --dry-run``) checks and prepares, then
prints the plan as a bash script (:mod:`mlperf_tui.run.script`) instead of running it.

Exit codes: 0 when every run finished and the package tree is complete (a package built in
``test`` execution or from synthetic assets is complete but not submittable: the validation
says why); 1 when the validation finds another error; 4 when a run failed (no package); 5 when
the pre-flight check finds a shortage (disk or memory; nothing is generated, written or run);
130 on Ctrl-C (the running child ends, finished runs are kept, no package is built from a
partial set).
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mlperf_tui import rules
from mlperf_tui import run as runner
from mlperf_tui.errors import ExitCode, MlperfTuiError
from mlperf_tui.run.forecast import RunLimits, forecast, limits_for
from mlperf_tui.run.preflight import (
    STATUS_INFO,
    STATUS_OK,
    STATUS_SHORTAGE,
    Preflight,
    format_duration,
    preflight,
)

#: how the results table names a run's metric
_METRIC_LABELS: Mapping[str, str] = {"early_stopping_latency_ns": "early stopping"}

_SEVERITY_STYLE: Mapping[str, str] = {"error": "red", "warning": "yellow", "notice": "cyan"}


def format_metric(result: runner.RunResult) -> str:
    """The run's official metric for people: samples/s, or a latency in ms."""
    if result.metric_value is None:
        return "-"
    if result.metric_unit == "ns":
        return f"{result.metric_value / 1e6:,.3f} ms"
    return f"{result.metric_value:,.1f} {result.metric_unit or ''}".strip()


def _verdict(result: runner.RunResult) -> str:
    if result.status != runner.STATUS_OK:
        return result.status.upper()
    parts = []
    if result.valid is not None:
        parts.append("VALID" if result.valid else "INVALID")
    if result.compliance is not None:
        parts.append(
            f"{result.compliance.get('test')} {'PASS' if result.compliance.get('passed') else 'FAIL'}"
        )
    if result.errors:
        parts.append(f"{len(result.errors)} LoadGen error(s)")
    return ", ".join(parts) or "ok"


def plan_table(prepared: runner.Prepared) -> Table:
    # four short columns: about 60 of 80 columns; a narrower terminal folds, never cuts
    table = Table(title="Plan", title_justify="left")
    for name in ("run", "scenario", "mode", "estimate"):
        table.add_column(name, justify="right" if name == "estimate" else "left", overflow="fold")
    for run in prepared.plan:
        table.add_row(
            run.run_id,
            run.scenario.value,
            run.compliance_test or run.mode.value,
            format_duration(run.estimate_s),
        )
    total = runner.total_estimate_s(prepared.plan)
    table.add_row("total", "", "", format_duration(total), style="bold")
    return table


_PREFLIGHT_STATUS: Mapping[str, str] = {
    STATUS_OK: "[green]ok[/green]",
    STATUS_SHORTAGE: "[bold red]SHORT[/bold red]",
    STATUS_INFO: "[dim]estimate[/dim]",
}


def preflight_table(pf: Preflight) -> Table:
    """The pre-flight check as a table that fits 80 columns (the check's text wraps)."""
    table = Table(title="Pre-flight", title_justify="left")
    table.add_column("check", overflow="fold", ratio=1)
    table.add_column("needed", justify="right", no_wrap=True)
    table.add_column("available", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for item in pf.items:
        status = _PREFLIGHT_STATUS.get(item.status, f"[yellow]{item.status}[/yellow]")
        if item.kind in ("power", "machines") and item.status == STATUS_SHORTAGE:
            status = "[bold red]FAILED[/bold red]"  # not room that is short: a check
        table.add_row(item.what, item.needed_text(), item.available_text(), status)
        for part in item.parts:
            what = f"  {part.what}" + (f" ({part.note})" if part.note else "")
            table.add_row(what, _bytes_text(part.bytes), "", "", style="dim")
    return table


def _bytes_text(n: int | None) -> str:
    from mlperf_tui.system import format_bytes

    if n is None:
        return "unknown"
    return "-" if n == 0 else format_bytes(n)


def print_preflight(console: Console, pf: Preflight) -> None:
    """The table, each disk and memory item's note, and what a shortage needs done."""
    console.print(preflight_table(pf))
    for item in pf.items:
        if item.kind != "time" and item.note:
            console.print(f"  [dim]- {item.note}[/dim]", highlight=False)
    error = pf.error()
    if error is not None:
        console.print(f"[bold red]Pre-flight: {error.message}[/bold red]", highlight=False)
        for item in pf.shortages:
            console.print(f"  fix ({item.what}): {item.fix}", highlight=False)


def results_table(results: runner.ResultsSet) -> Table:
    # fits 80 columns: the names keep their width, the metric, accuracy and validity wrap at
    # spaces; nothing is cut with "…"
    # a results folder holds one profile's runs, so of one benchmark: its name goes in the
    # title, which leaves the figures room at 80 columns even for long LLM names
    names = list(dict.fromkeys(r.benchmark for r in results.runs))
    benchmark = f"{', '.join(names)} " if names else ""
    table = Table(title=f"Results: {benchmark}({results.folder})", title_justify="left")
    for name in ("scenario", "mode"):
        table.add_column(name, no_wrap=True)
    for name in ("metric", "accuracy"):
        table.add_column(name, overflow="fold")
    # wide enough for its longest single word (CANCELLED), so a status is never folded
    table.add_column("validity", overflow="fold", min_width=len("CANCELLED"))
    for r in results.runs:
        metric = format_metric(r)
        label = _METRIC_LABELS.get(r.metric_name or "")
        if label and metric != "-":
            metric = f"{metric} ({label})"
        if r.token_latency_text():
            # one figure a line: the column stays narrow at 80 columns
            metric = f"{metric}\n{r.token_latency_text(sep=chr(10))}"
        if r.power_text():
            metric = f"{metric}\npower {r.power_text()}"
        accuracy = r.accuracy_text()
        style = None if r.status == runner.STATUS_OK and r.valid is not False else "red"
        table.add_row(
            r.scenario,
            r.compliance_test or r.mode,
            metric,
            accuracy.strip(),
            _verdict(r),
            style=style,
        )
    return table


class _LiveDisplay:
    """Turns runner events into a Rich progress bar per run."""

    def __init__(
        self,
        progress: Progress,
        plan: Sequence[runner.PlannedRun],
        limits: Mapping[str, RunLimits] | None = None,
    ) -> None:
        self.progress = progress
        self.plan = {r.run_id: r for r in plan}
        self.limits = dict(limits or {})
        self.tasks: dict[str, TaskID] = {}
        #: forecast warnings already shown, per run (each is shown once)
        self.warned: dict[str, set[str]] = {}
        #: a power run's last watts (its ``power`` events) and its progress text without them
        self.watts: dict[str, float] = {}
        self.info: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, event: runner.RunnerEvent) -> None:
        with self.lock:
            self._handle(event)

    def _handle(self, event: runner.RunnerEvent) -> None:
        if event.run_id is None:
            if event.kind == "message":
                self.progress.console.print(f"[dim]{event.data.get('text', '')}[/dim]")
            return
        run = self.plan.get(event.run_id)
        if event.kind == "run_start" and run is not None:
            self.tasks[event.run_id] = self.progress.add_task(
                event.run_id, total=run.expected_samples, info="starting"
            )
            return
        task = self.tasks.get(event.run_id)
        if task is None:
            return
        if event.kind == "harness":
            data = event.data
            name = data.get("event")
            if name == "power" and data.get("watts") is not None:
                self.watts[event.run_id] = float(data["watts"])
                self._info(task, event.run_id, self.info.get(event.run_id, ""))
            elif name == "phase":
                self._info(task, event.run_id, str(data.get("message") or data.get("phase")))
            elif name == "progress":
                completed = int(data.get("completed") or 0)
                total = max(completed, run.expected_samples if run else completed)
                p90 = data.get("p90_ms")
                info = f"{float(data.get('throughput') or 0):,.1f} samples/s"
                if p90 is not None:
                    info += f"  p90 {float(p90):,.2f} ms"
                self.progress.update(task, completed=completed, total=total)
                self._info(task, event.run_id, info)
                self._warn(event.run_id, data)
            elif name == "error":
                self.progress.update(task, info=f"[red]{data.get('message', '')}[/red]")
        elif event.kind == "run_end" and event.result is not None:
            res = event.result
            info = _verdict(res)
            metric = format_metric(res)
            if metric != "-":
                info = f"{metric}  {info}"
            elif res.accuracy is not None:
                info = f"accuracy {res.accuracy_text()}  {info}"
            done = next((t.total for t in self.progress.tasks if t.id == task), None) or 1.0
            self.progress.update(task, completed=done, info=info)

    def _info(self, task: TaskID, run_id: str, info: str) -> None:
        """The run's progress text, with the analyser's last watts in a power run."""
        self.info[run_id] = info
        watts = self.watts.get(run_id)
        if watts is not None:
            info = f"{info}  {watts:,.1f} W".strip()
        self.progress.update(task, info=info)

    def _warn(self, run_id: str, data: Mapping[str, Any]) -> None:
        """Print each new validity warning of the run once (the core's forecast)."""
        shown = self.warned.setdefault(run_id, set())
        for line in forecast(
            self.limits.get(run_id),
            elapsed_s=float(data.get("elapsed_s") or 0.0),
            issued=int(data.get("issued") or 0),
            throughput=float(data.get("throughput") or 0.0),
            p99_ms=None if data.get("p99_ms") is None else float(data["p99_ms"]),
        ):
            if line not in shown:
                shown.add(line)
                self.progress.console.print(f"[yellow]{run_id}: {line}[/yellow]")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<26}"),
        BarColumn(bar_width=28),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=False,
    )


def _prepare(
    profile: Any, profile_path: Path, console: Console, cache_dir: Path | None
) -> runner.Prepared:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        console=console, transient=True,
    ) as bars:  # fmt: skip
        labels: dict[str, TaskID] = {}

        def on_event(event: runner.RunnerEvent) -> None:
            if event.kind == "assets":
                label = str(event.data.get("label", "assets"))
                total = event.data.get("total")
                if label not in labels:
                    labels[label] = bars.add_task(label, total=total)
                bars.update(labels[label], completed=int(event.data.get("done") or 0), total=total)
            elif event.kind == "message":
                console.print(f"[dim]{event.data.get('text', '')}[/dim]")

        return runner.prepare(
            profile, profile_path=profile_path, cache_dir=cache_dir, on_event=on_event
        )


def _run_in_thread(
    prepared: runner.Prepared,
    display: _LiveDisplay,
    cancel: threading.Event,
    results_root: Path | None,
    profile_path: Path | None = None,
) -> runner.ResultsSet:
    """Run the plan in a worker thread; Ctrl-C here sets ``cancel`` and waits for the child."""
    box: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            box["results"] = runner.execute(
                prepared.plan,
                prepared.profile,
                prepared.resolved,
                results_root=results_root,
                on_event=display,
                cancel=cancel,
                profile_path=profile_path,
            )
        except BaseException as exc:  # re-raised on the main thread
            box["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="mlperf-tui-runner", daemon=True)
    worker.start()
    # wait on an Event, not on join(): a Ctrl-C that interrupts Thread.join can leave the
    # thread looking finished while it still runs
    while not finished.is_set():
        try:
            finished.wait(timeout=0.2)
        except KeyboardInterrupt:
            if not cancel.is_set():
                display.progress.console.print(
                    "[yellow]Cancelling: the running benchmark finishes its logs; finished runs "
                    "are kept.[/yellow]"
                )
            cancel.set()
    worker.join()
    if "error" in box:
        raise box["error"]
    results: runner.ResultsSet = box["results"]
    return results


def print_findings(console: Console, findings: Sequence[Any]) -> None:
    """The validation, grouped by severity (errors first)."""
    from mlperf_tui.validate import SEVERITIES

    if not findings:
        console.print("[green]Validation: no findings.[/green]")
        return
    for severity in SEVERITIES:
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        style = _SEVERITY_STYLE.get(severity, "white")
        console.print(f"[bold {style}]{severity.upper()} ({len(group)})[/bold {style}]")
        for f in group:
            where = f" [dim]{f.path}[/dim]" if f.path else ""
            console.print(f"  [{style}]{f.id}[/{style}]{where}: {f.message}", highlight=False)
            if f.fix:
                console.print(f"    fix: {f.fix}", highlight=False)


def prepare_checked(
    profile: Any,
    profile_path: Path,
    console: Console,
    *,
    cache_dir: Path | None = None,
    results_root: Path | None = None,
    package_dir: Path | None = None,
) -> tuple[Preflight, runner.Prepared | None]:
    """The pre-flight check, shown, then (unless it refuses: None) the prepared plan with its
    progress, the model's speed and the plan table: what every front end of a replay shows
    before the first run. A Ctrl-C while preparing passes through as KeyboardInterrupt."""
    checked = preflight(
        profile,
        profile_path=profile_path,
        cache_dir=cache_dir,
        results_root=results_root,
        package_dir=package_dir,
    )
    print_preflight(console, checked)
    if checked.error() is not None:
        return checked, None
    prepared = _prepare(profile, profile_path, console, cache_dir)
    console.print(prepared.speed_line(), markup=False)
    console.print(plan_table(prepared))
    return checked, prepared


def run_headless(
    profile_path: Path,
    *,
    out: Path | None = None,
    as_json: bool = False,
    results_root: Path | None = None,
    cache_dir: Path | None = None,
    console: Console | None = None,
    debug: bool = False,
) -> int:
    """Replay a profile headlessly; returns the exit code (see the module docstring).
    ``debug``: for each run that failed, also its harness command, the environment it ran
    with and the end of its log."""
    from mlperf_tui.profile import load_profile

    console = console or Console(stderr=as_json, highlight=False)
    if threading.current_thread() is threading.main_thread():
        # `kill` or a CI time-out cancels like Ctrl-C: the running child ends, runs are kept
        # (the CLI does this for every command; a caller of this function gets it too)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    profile = load_profile(profile_path)
    console.print(
        f"[bold]{profile.benchmark}[/bold] {profile.division.value} {profile.category.value}, "
        f"{', '.join(s.value for s in profile.scenarios)}; {profile.execution.value} execution"
    )
    if profile.sweep:
        console.print(
            f"[dim]The profile has a sweep: block; this run uses the profile as it stands "
            f"(mlperf-tui sweep {profile_path} runs every point).[/dim]"
        )
    # what the runs need against what the machine has, before anything is written
    try:
        checked, prepared = prepare_checked(
            profile,
            profile_path,
            console,
            cache_dir=cache_dir,
            results_root=results_root,
            package_dir=out,
        )
    except KeyboardInterrupt:
        console.print("[yellow]Cancelled before the first run.[/yellow]")
        return int(ExitCode.CANCELLED)
    refusal = checked.error()
    if prepared is None and refusal is not None:
        if as_json:
            print(json.dumps(_json_refusal(refusal, checked), indent=2))
        return int(refusal.exit_code)
    assert prepared is not None
    notes = sorted({n for r in prepared.plan for n in r.notes})
    for note in notes:
        console.print(f"  [dim]- {note}[/dim]", highlight=False)

    cancel = threading.Event()
    with _progress(console) as progress:
        display = _LiveDisplay(progress, prepared.plan, limits_for(prepared.profile, prepared.plan))
        results = _run_in_thread(prepared, display, cancel, results_root, profile_path)
    console.print(results_table(results))
    console.print(f"Results folder: {results.folder}")

    package: Path | None = None
    findings: list[Any] = []
    if cancel.is_set():
        code = int(ExitCode.CANCELLED)
        console.print("[yellow]Cancelled: finished runs are kept; no package was built.[/yellow]")
    elif not results.complete:
        code = int(ExitCode.RUN_FAILED)
        failed = [r.run_id for r in results.runs if not r.ok]
        console.print(
            f"[red]Not every run finished ({', '.join(failed)}): no package was built.[/red] "
            "See harness.stderr.log in each run's folder."
        )
        if debug:
            print_failures(console, results, prepared.profile)
    else:
        code, package, findings = _package_and_validate(results, out, console)
    if as_json:
        doc = _json_outcome(code, results, package, findings)
        doc["preflight"] = checked.to_dict()
        print(json.dumps(doc, indent=2))
    return code


def print_failures(console: Console, results: runner.ResultsSet, profile: Any) -> None:
    """``--debug``: each failed run's harness command, environment and the end of its log."""
    from rich.markup import escape

    from mlperf_tui import benchmarks
    from mlperf_tui.run.script import failure_report

    entry = benchmarks.require(profile.benchmark, harness=profile.harness)
    for run in results.runs:
        if run.status == runner.STATUS_FAILED:
            first, *rest = failure_report(run, entry.python_path)
            console.print("[bold red]Debug:[/bold red] " + escape(first), highlight=False)
            for line in rest:
                console.print(line, markup=False, highlight=False, soft_wrap=True)


def dry_run(
    profile_path: Path,
    *,
    cache_dir: Path | None = None,
    console: Console | None = None,
) -> int:
    """``mlperf-tui run PROFILE --dry-run``: the pre-flight check and the preparation (the
    stand-ins generated, the model timed; progress on stderr), then the plan as a bash script
    on stdout (:mod:`mlperf_tui.run.script`). Runs no benchmark, writes no results folder."""
    import sys

    from mlperf_tui.errors import UsageError
    from mlperf_tui.profile import load_profile
    from mlperf_tui.run.execute import system_facts
    from mlperf_tui.run.script import replay_script

    console = console or Console(stderr=True, highlight=False)
    profile = load_profile(profile_path)
    if profile.harness == "import":
        raise UsageError(
            "an import profile runs nothing: another harness ran its tests",
            f"record the logs with: mlperf-tui run {profile_path} --headless",
        )
    console.print(
        f"[bold]{profile.benchmark}[/bold] {profile.division.value} {profile.category.value}, "
        f"{', '.join(s.value for s in profile.scenarios)}; {profile.execution.value} execution "
        "(dry run: nothing runs)"
    )
    try:
        checked, prepared = prepare_checked(profile, profile_path, console, cache_dir=cache_dir)
    except KeyboardInterrupt:
        console.print("[yellow]Cancelled: no script was written.[/yellow]")
        return int(ExitCode.CANCELLED)
    refusal = checked.error()
    if prepared is None and refusal is not None:
        return int(refusal.exit_code)
    assert prepared is not None
    script = replay_script(
        prepared.plan,
        prepared.profile,
        prepared.resolved,
        system_facts(prepared.profile),
        profile_path=profile_path,
    )
    sys.stdout.write(script)
    sys.stdout.flush()
    console.print(
        "[dim]The script is on standard output: save it (> replay.sh) and run it with "
        "bash replay.sh [OUT].[/dim]"
    )
    return int(ExitCode.OK)


def _package_and_validate(
    results: runner.ResultsSet, out: Path | None, console: Console
) -> tuple[int, Path | None, list[Any]]:
    from mlperf_tui.package import build_package
    from mlperf_tui.validate import tree_complete, validate

    target = out or results.folder / "package"
    try:
        package = build_package(
            results, target, progress=lambda msg: console.print(f"[dim]package: {msg}[/dim]")
        )
    except MlperfTuiError as exc:
        console.print(f"[red]The package could not be built: {exc.message}[/red]")
        if exc.fix:
            console.print(f"  fix: {exc.fix}")
        return int(exc.exit_code), None, []
    console.print(f"Package: {package}")
    findings = validate(package, version=results.round or rules.DEFAULT_ROUND)
    print_findings(console, findings)
    if tree_complete(findings):
        console.print("[green]The package tree is complete.[/green]")
        return int(ExitCode.OK), package, findings
    return int(ExitCode.CHECK_FAILED), package, findings


def _json_outcome(
    code: int, results: runner.ResultsSet, package: Path | None, findings: Sequence[Any]
) -> dict[str, Any]:
    from mlperf_tui.validate import tree_complete

    return {
        "exit_code": code,
        "results_folder": str(results.folder),
        "complete": results.complete,
        "execution": results.execution,
        "synthetic": results.synthetic,
        "runs": [r.to_dict(results.folder) for r in results.runs],
        "package": None if package is None else str(package),
        "validation": None
        if package is None
        else {
            "tree_complete": tree_complete(findings),
            "errors": sum(1 for f in findings if f.severity == "error"),
            "findings": [f.to_dict() for f in findings],
        },
    }


def _json_refusal(error: MlperfTuiError, checked: Preflight) -> dict[str, Any]:
    """The outcome of a run the pre-flight check refused: nothing ran, nothing was written."""
    return {
        "exit_code": int(error.exit_code),
        "results_folder": None,
        "complete": False,
        "runs": [],
        "package": None,
        "validation": None,
        "error": {"message": error.message, "fix": error.fix},
        "preflight": checked.to_dict(),
    }
