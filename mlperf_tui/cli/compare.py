"""``mlperf-tui compare RUN_OR_FOLDER...``: runs side by side, as a table and plots.

What can be named, and what each row holds, is :mod:`mlperf_tui.compare`'s; this module only
prints. The table fits 80 columns; the three plots of each scenario take the terminal's width
(plain text when the output is not a terminal). ``--csv`` and ``--html`` write the exports
(an existing file only with ``--force``), ``--published`` places each run among the results of
a downloaded MLCommons results table, ``--json`` prints the comparison for scripts, ``--tui``
opens the comparison screen of the full-screen app.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from mlperf_tui.cli.common import _compact_table, _console, _require_terminal
from mlperf_tui.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from mlperf_tui.compare import Comparison
    from mlperf_tui.compare.published import Placement

#: the height of each plot, in lines
PLOT_HEIGHT = 15
#: the best entry of each scenario: its mark in the table (and the note under it)
BEST_MARK = "★"


def _add_compare(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="compare runs side by side: a table and plots (CSV and HTML exports)",
        description="Show runs side by side: a table (metric, latency percentiles, "
        "validity, accuracy and the settings that differ, the best of each scenario marked) "
        "and, per scenario, the metric against the swept parameter, the latency histograms "
        "overlaid and the throughput over time. Name results folders (the one `mlperf-tui "
        "run` printed), one run's folder (RESULTS/runs/Offline-performance), sweep folders "
        "(every finished point) or history ids (12 or #12, from `mlperf-tui history`). "
        "Example: mlperf-tui compare results/sweeps/quickstart --html compare.html",
        epilog=f"exit codes: {int(ExitCode.OK)} shown; {int(ExitCode.USAGE)} wrong usage; "
        f"{int(ExitCode.BAD_INPUT)} a name that is no run, a damaged folder, an export file "
        "that exists (without --force) or a published table without the needed columns; "
        f"{int(ExitCode.ENVIRONMENT)} --tui without a terminal.",
    )
    p.add_argument(
        "targets",
        nargs="+",
        metavar="RUN_OR_FOLDER",
        help="a results folder, a run's folder, a sweep folder or a history id",
    )
    p.add_argument("--csv", metavar="FILE", help="write the table as CSV (one row per run)")
    p.add_argument(
        "--html",
        metavar="FILE",
        help="write a self-contained HTML report (the table and the plots; no network needed)",
    )
    p.add_argument(
        "--published",
        metavar="CSV",
        help="a results table downloaded from MLCommons (CSV): place each run among the "
        "published results of its benchmark and scenario",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --csv/--html file")
    p.add_argument("--no-plots", action="store_true", help="show the table only")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument(
        "--tui", action="store_true", help="open the comparison screen of the full-screen app"
    )
    p.set_defaults(func=_cmd_compare)


def _cmd_compare(args: argparse.Namespace) -> int:
    from mlperf_tui.compare import load_comparison

    if args.tui:
        others = [f"--{n}" for n in ("csv", "html", "published", "json") if getattr(args, n)]
        if others:
            raise UsageError(
                f"--tui does not go with {', '.join(others)}",
                f"run the command with {', '.join(others)} and without --tui, then with --tui "
                "alone to open the screen",
            )
        _require_terminal(
            "the comparison screen",
            f"see the table and plots without it: mlperf-tui compare {' '.join(args.targets)}",
        )
        from mlperf_tui.tui.app import run_app

        return int(run_app("compare", targets=list(args.targets)) or 0)

    comparison = load_comparison(list(args.targets))
    placements: tuple[Placement, ...] | None = None
    if args.published:
        from mlperf_tui.compare.published import place, read_published

        placements = place(comparison, read_published(args.published))
    # the exports first: a file that exists is refused before anything is printed
    written = _write_exports(comparison, placements, args)
    if args.json:
        from mlperf_tui.compare import comparison_dict

        data = comparison_dict(comparison)
        if placements is not None:
            data["published"] = [p.to_dict() for p in placements]
        print(json.dumps(data, indent=2))
        for line in written:
            print(line, file=sys.stderr)
        return int(ExitCode.OK)
    console = _console()
    # per scenario (one metric and unit each): its table, then its plots
    for index, scenario in enumerate(comparison.scenarios):
        if index:
            console.print()
        console.print(compare_table(comparison, scenario))
        if not args.no_plots:
            _print_plots(console, comparison, scenario)
    if placements is not None:
        _print_placements(console, placements)
    for line in written:
        print(line)  # never wrapped: a path to copy
    return int(ExitCode.OK)


def _write_exports(
    comparison: Comparison, placements: tuple[Placement, ...] | None, args: argparse.Namespace
) -> list[str]:
    from pathlib import Path

    from mlperf_tui.compare import CompareError, csv_text, write_export

    targets = [Path(f).expanduser() for f in (args.csv, args.html) if f]
    if len(targets) == 2 and targets[0].resolve() == targets[1].resolve():
        raise UsageError("--csv and --html name the same file", "give each its own file name")
    if not args.force:  # refuse before writing either
        for target in targets:
            if target.exists():
                raise CompareError(
                    f"{target} exists; the export does not replace it",
                    "give another file name, or replace it with --force",
                )
    lines = []
    if args.csv:
        path = write_export(args.csv, csv_text(comparison), overwrite=args.force)
        lines.append(f"CSV: {path} ({len(comparison.entries)} rows)")
    if args.html:
        from mlperf_tui.compare.html import render_html

        text = render_html(comparison, published=placements)
        path = write_export(args.html, text, overwrite=args.force)
        lines.append(f"HTML report: {path} (open it in a browser)")
    return lines


def compare_table(comparison: Comparison, scenario: str) -> Table:
    """The runs of one scenario side by side, for 80 columns."""
    from rich.markup import escape
    from rich.text import Text

    from mlperf_tui.compare import TABLE_HEADERS, table_rows

    rows = [r for r in table_rows(comparison) if r.entry.scenario == scenario]
    show_settings = any(r.settings for r in rows)
    count = f"{len(rows)} runs compared" if len(rows) != 1 else "1 run"
    table = _compact_table(f"{escape(scenario)}: {count}", title_justify="left")
    table.add_column("", no_wrap=True, width=1)
    # wide enough for a setting ("threads=2", "execution=test"): labels wrap between them
    table.add_column("run", overflow="fold", min_width=16)
    # the scenario's one unit in the header, so the cells hold only the numbers
    unit = next((r.entry.metric_display_unit for r in rows if r.entry.metric_display), "")
    table.add_column(f"metric ({unit})" if unit == "ms" else unit or "metric", justify="right")
    for header in TABLE_HEADERS[3:6]:
        table.add_column(header.replace(" ms", ""), justify="right", no_wrap=True)
    table.add_column("validity", overflow="fold", min_width=len("INVALID"))
    table.add_column("accuracy", justify="right", overflow="fold")
    if show_settings:
        table.add_column("settings", overflow="fold")
    caption = "latency percentiles p50, p90, p99 in ms"
    if any(r.best for r in rows) and len(rows) > 1:
        caption += f"; {BEST_MARK} the best metric"
    table.caption = caption
    table.caption_justify = "left"
    for row in rows:
        cells = dict(zip(TABLE_HEADERS, row.cells(), strict=True))
        validity = cells["validity"]
        best = row.best and len(rows) > 1
        metric = cells["metric"].removesuffix(f" {unit}") if unit else cells["metric"]
        out: list[Any] = [
            BEST_MARK if best else "",
            Text(cells["run"], style="bold green" if best else ""),
            Text(metric, style="bold green" if best else ""),
            *(cells[h] for h in TABLE_HEADERS[3:6]),
            Text(validity, style="" if validity in ("VALID", "-") else "red"),
            escape(cells["accuracy"]),
        ]
        if show_settings:
            out.append(escape(cells["settings"]))
        table.add_row(*out)
    return table


def _print_plots(console: Console, comparison: Comparison, scenario: str) -> None:
    from rich.text import Text

    from mlperf_tui.compare import PLOT_KINDS, why_no_plot
    from mlperf_tui.compare.plots import histogram_plot, metric_plot, throughput_plot

    draw = {"metric": metric_plot, "histogram": histogram_plot, "throughput": throughput_plot}
    color = console.is_terminal and not console.no_color
    width = max(40, console.width)
    for kind in PLOT_KINDS:
        why = why_no_plot(comparison, scenario, kind)
        plot = None if why else draw[kind](comparison, scenario, width, PLOT_HEIGHT, color=color)
        console.print()
        if plot is None:
            console.print(Text(why or f"no {kind} plot", style="dim"))
            continue
        text = Text.from_ansi(plot) if color else Text(plot)
        console.print(text, no_wrap=True, overflow="ignore", crop=False)


def _print_placements(console: Console, placements: tuple[Placement, ...]) -> None:
    from rich.text import Text

    console.print()
    console.print(Text("Among the published results", style="bold"))
    for p in placements:
        line = Text(f"{p.entry.label} ({p.entry.scenario}): ", style="bold")
        line.append(p.text(), style="" if p.rank is not None else "dim")
        console.print(line)
