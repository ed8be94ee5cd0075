"""``mlperf-tui sweep PROFILE``: one run per combination of values, with the headless display.

The points and their folders are :mod:`mlperf_tui.sweep`'s; each point runs like
``mlperf-tui run POINT_PROFILE --headless`` (pre-flight check, prepare, the runs with a
progress bar each), without building a package. Between points: how many are done, the one
running, and the best so far per scenario. Ctrl-C ends the running point (its finished runs
are kept) and the sweep; the same command resumes it.
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from mlperf_tui.results import ResultsSet
    from mlperf_tui.sweep import SweepPoint, SweepState


def _add_sweep(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a profile once per combination of values (batch sizes, threads, ...)",
        description="Run the profile once per combination of the values of its sweep: block "
        "and of --set (which replaces or adds keys). Each point is a normal run with its own "
        "results folder and a profile that replays on its own, under "
        "RESULTS_ROOT/sweeps/NAME/. A point that already finished with the same settings is "
        "reused, not run again (unless --rerun); a cancelled sweep resumes where it stopped. "
        "No package is built: `mlperf-tui package` builds one from a point's results folder. "
        "Compare the points with `mlperf-tui compare SWEEP_FOLDER`.",
        epilog="example: mlperf-tui sweep profiles/quickstart.yaml "
        "--set backend.batch_size=1,8,32 --set backend.intra_op_threads=1,2",
    )
    p.add_argument("profile", metavar="PROFILE", help="the base profile (YAML)")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a profile key (dotted) and the values to try, comma-separated; repeat for more keys",
    )
    p.add_argument("--rerun", action="store_true", help="run every point again")
    p.add_argument(
        "--name", metavar="NAME", help="the sweep's folder name (default: the profile's name)"
    )
    p.add_argument(
        "--list", action="store_true", help="show the points and how each stands; run nothing"
    )
    p.add_argument("--json", action="store_true", help="print the sweep's state as JSON at the end")
    p.set_defaults(func=_cmd_sweep)


def _metric_text(value: Any, unit: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    if unit == "ns":
        return f"{value / 1e6:,.3f} ms"
    return f"{value:,.1f} {unit or ''}".strip()


def _points_table(state: SweepState) -> Any:
    from rich.table import Table

    scenarios = list(dict.fromkeys(s for p in state.points for s in p.metrics) or ["metric"])
    table = Table(title=f"Sweep {state.name}: {len(state.points)} points", title_justify="left")
    table.add_column("point", overflow="fold")
    table.add_column("status", no_wrap=True)
    for scenario in scenarios:
        table.add_column(scenario, justify="right", overflow="fold")
    best = {s: _best_key(state, s) for s in scenarios}
    for point in state.points:
        cells = []
        for scenario in scenarios:
            value, unit = (point.metrics.get(scenario) or [None, None])[:2]
            text = _metric_text(value, unit)
            cells.append(f"[bold green]{text}[/]" if best.get(scenario) == point.key else text)
        style = {"failed": "red", "cancelled": "yellow", "pending": "dim", "to run": "dim"}.get(
            point.status
        )
        table.add_row(point.label, point.status, *cells, style=style)
    return table


def _best_key(state: SweepState, scenario: str) -> str | None:
    from mlperf_tui.sweep import best_point

    best = best_point(state, scenario)
    return best.key if best is not None else None


def _best_lines(state: SweepState) -> list[str]:
    from mlperf_tui.sweep import best_point

    scenarios = dict.fromkeys(s for p in state.points for s in p.metrics)
    lines = []
    for scenario in scenarios:
        best = best_point(state, scenario)
        if best is not None:
            value, unit = best.metrics[scenario][:2]
            lines.append(f"{scenario}: {best.label} ({_metric_text(value, unit)})")
    return lines


def _run_point(console: Console, cancel: threading.Event) -> Any:
    from mlperf_tui.headless import _LiveDisplay, _progress, _run_in_thread, prepare_checked
    from mlperf_tui.profile import load_profile
    from mlperf_tui.run.forecast import limits_for

    def run(point: SweepPoint, profile_file: Path) -> ResultsSet | None:
        profile = load_profile(profile_file)
        try:
            checked, prepared = prepare_checked(profile, profile_file, console)
        except KeyboardInterrupt:
            cancel.set()
            return None
        refusal = checked.error()
        if prepared is None and refusal is not None:
            raise refusal  # a shortage stops the sweep: the later points would not fit either
        assert prepared is not None
        with _progress(console) as progress:
            display = _LiveDisplay(
                progress, prepared.plan, limits_for(prepared.profile, prepared.plan)
            )
            results = _run_in_thread(prepared, display, cancel, None, profile_file)
        _record(console, results, profile_file, point)
        return results

    return run


def _record(console: Console, results: ResultsSet, profile_file: Path, point: SweepPoint) -> None:
    """The history entries of the point's runs name the sweep (a history that cannot be
    written costs a note, never the sweep)."""
    from rich.markup import escape

    from mlperf_tui import history

    note = history.try_record(results, profile_path=profile_file, sweep=str(point.folder.parent))
    if note:
        console.print(f"[yellow]{escape(note)}[/yellow]", highlight=False)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from mlperf_tui.sweep import parse_set, plan_sweep, run_sweep

    console = Console(stderr=args.json, highlight=False)
    overrides = parse_set(args.sets)
    state = plan_sweep(Path(args.profile), overrides=overrides, name=args.name)
    total = len(state.points)
    finished = sum(1 for p in state.points if p.latest_results() is not None)
    parameters = "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in state.parameters.items())
    console.print(f"[bold]Sweep {escape(state.name)}[/bold]: {total} points ({escape(parameters)})")
    console.print(f"Folder: {state.folder}")
    if args.list:
        from mlperf_tui.sweep import read_metrics

        for point in state.points:
            point.results = point.latest_results()
            point.status = "finished" if point.results else "to run"
            point.metrics = read_metrics(point.results) if point.results else {}
        console.print(_points_table(state))
        if args.json:
            print(json.dumps(state.to_dict(), indent=2))
        return int(ExitCode.OK)
    if finished and not args.rerun:
        console.print(f"[dim]{finished} of {total} points finished before: reused[/dim]")
    cancel = threading.Event()
    position = {"n": 0}

    def on_point(state: SweepState, point: SweepPoint, when: str) -> None:
        done = sum(1 for p in state.points if p.status in ("done", "reused"))
        if when == "start":
            position["n"] += 1
            console.rule(
                f"point {done + 1} of {total}: {escape(point.label)}", align="left", style="cyan"
            )
            return
        console.print(f"point {escape(point.label)}: {point.status}; {done} of {total} done")
        for line in _best_lines(state):
            console.print(f"  best so far, {escape(line)}")

    run_point = _run_point(console, cancel)
    try:
        run_sweep(state, run_point, rerun=args.rerun, on_point=on_point, cancelled=cancel.is_set)
    except KeyboardInterrupt:
        # Ctrl-C between two runs (a run itself is cancelled by its own thread): the points
        # that finished are in sweep.json; the one that was starting is run next time
        cancel.set()
        state.save()
    console.print(_points_table(state))
    counts = state.counts()
    console.print(
        f"{counts['done']} run, {counts['reused']} reused, {counts['failed']} failed, "
        f"{counts['cancelled'] + counts['pending']} not finished"
    )
    console.print(f"Compare them: mlperf-tui compare {state.folder}")
    if args.json:
        print(json.dumps(state.to_dict(), indent=2))
    if cancel.is_set():
        console.print(
            "[yellow]Cancelled: the finished points are kept; run the same command to resume."
            "[/yellow]"
        )
        return int(ExitCode.CANCELLED)
    if counts["failed"]:
        console.print(
            "[red]Some points failed: see harness.stderr.log in each run's folder; the same "
            "command runs them again.[/red]"
        )
        return int(ExitCode.RUN_FAILED)
    return int(ExitCode.OK)
