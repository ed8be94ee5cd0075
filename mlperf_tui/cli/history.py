"""``mlperf-tui history``: the runs recorded on this machine, newest first.

The command only reads and prints; the database is :mod:`mlperf_tui.history`'s. A damaged
database is a :class:`~mlperf_tui.history.HistoryError` with the fix, never a traceback.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlperf_tui.cli.common import _compact_table, _console
from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from pathlib import Path

    from rich.table import Table

    from mlperf_tui.history import HistoryEntry

#: entries listed without --limit or --all
DEFAULT_LIMIT = 50
#: the width of the benchmark column at most (at 80 columns, with the folder beside it)
_BENCHMARK_WIDTH = 16


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give 1 or more (--all lists every entry)")
    return value


def _add_history(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="list the runs recorded on this machine (built-in and imported), newest first",
        description="List the runs recorded on this machine, newest first: every run of "
        "`mlperf-tui run` and every `mlperf-tui import`, with its metric, validity and "
        "results folder. A results folder deleted by hand shows as missing; its entry stays. "
        "The history is the SQLite file history.sqlite in $MLPERF_TUI_DATA when that is set, "
        "else in the user data folder (e.g. ~/.local/share/mlperf-tui on Linux).",
        epilog=f"exit codes: {int(ExitCode.OK)} listed (also when empty); "
        f"{int(ExitCode.USAGE)} wrong usage; {int(ExitCode.BAD_INPUT)} the history file is "
        f"damaged or not mlperf-tui's (the fix says what to do); {int(ExitCode.ENVIRONMENT)} "
        "it is busy or cannot be read.",
    )
    p.add_argument("--benchmark", metavar="B", help="only the runs of this benchmark")
    p.add_argument("--scenario", metavar="S", help="only the runs of this scenario (Offline, ...)")
    how_many = p.add_mutually_exclusive_group()
    how_many.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"list the newest N runs (default: {DEFAULT_LIMIT})",
    )
    how_many.add_argument("--all", action="store_true", help="list every run")
    p.add_argument("--json", action="store_true", help="print the entries as a JSON list")
    p.set_defaults(func=_cmd_history)


def _cmd_history(args: argparse.Namespace) -> int:
    import json

    from mlperf_tui import history

    limit = None if args.all else args.limit
    found = history.entries(benchmark=args.benchmark, scenario=args.scenario, limit=limit)
    if args.json:
        print(json.dumps([e.to_dict() for e in found], indent=2))
        return int(ExitCode.OK)
    console = _console()
    if not found:
        which = _which(args.benchmark, args.scenario)
        console.print(f"No runs recorded{which} yet ({history.database_path()}).")
        console.print(
            "Run a profile to fill it: mlperf-tui run profiles/quickstart.yaml --headless "
            "(or import another harness's logs: mlperf-tui import)"
        )
        return int(ExitCode.OK)
    total = history.count(benchmark=args.benchmark, scenario=args.scenario)
    console.print(history_table(found))
    if total > len(found):
        console.print(f"[dim]{len(found)} of {total} runs shown: --all lists every one[/dim]")
    console.print(f"[dim]History: {history.database_path()}[/dim]")
    return int(ExitCode.OK)


def _which(benchmark: str | None, scenario: str | None) -> str:
    parts = [p for p in (benchmark, scenario) if p]
    return f" for {' '.join(parts)}" if parts else ""


def _when(recorded_at: str) -> str:
    """The local date and time of an ISO 8601 UTC stamp ("2025-01-02 13:45")."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(recorded_at).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return recorded_at


def _validity(entry: HistoryEntry) -> str:
    if entry.status != "ok":
        return entry.status.upper()
    if entry.valid is None:
        return "ok"
    return "VALID" if entry.valid else "INVALID"


def _figure(entry: HistoryEntry) -> str:
    """The metric of a performance run, the accuracy of an accuracy run."""
    metric = entry.metric_text()
    return entry.accuracy_text() if metric == "-" and entry.accuracy is not None else metric


def _shown_folder(folder: Path) -> str:
    """The results folder, relative to the working folder when under it, else with ~."""
    from pathlib import Path

    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + folder.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(folder)


def history_table(found: list[HistoryEntry]) -> Table:
    """The entries as a table for 80 columns (newest first, as given).

    Each figure takes two short lines (the date over the time, the scenario over the mode, the
    number over its unit) in a column that never wraps, so no word is cut; the results folder
    takes the rest of the width (a long path folds). Entries of one benchmark name it in the
    title instead of a column.
    """
    from rich.text import Text

    names = list(dict.fromkeys(e.benchmark for e in found))
    one = len(names) == 1
    title = f"Run history: {names[0]} (newest first)" if one else "Run history (newest first)"
    table = _compact_table(title, title_justify="left")
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("when", no_wrap=True)
    if not one:
        # the usual names keep their width; only the rules' longest (27 characters) fold
        short = max(len(n) for n in names) <= _BENCHMARK_WIDTH
        table.add_column("benchmark", overflow="fold", no_wrap=short)
    table.add_column("run", no_wrap=True)
    table.add_column("metric", justify="right", no_wrap=True)
    table.add_column("validity", no_wrap=True)
    table.add_column("results folder", overflow="fold")
    for entry in found:
        validity = _validity(entry)
        cells = [
            Text(str(entry.id)),
            Text(_when(entry.recorded_at).replace(" ", "\n", 1)),
            *([] if one else [Text(entry.benchmark)]),
            Text(f"{entry.scenario}\n{entry.compliance_test or entry.mode}"),
            Text(_figure(entry).replace(" ", "\n", 1)),
            Text(validity, style="" if validity in ("VALID", "ok") else "red"),
            Text("missing", style="bold red")
            if entry.missing
            else Text(_shown_folder(entry.results_folder)),
        ]
        table.add_row(*cells)
    return table
