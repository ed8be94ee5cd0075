"""``mlperf-tui detect``: this machine, as the systems JSON describes it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlperf_tui.cli.common import _compact_table, _console
from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import RenderableType
    from rich.table import Table


def _add_detect(sub: Any) -> None:
    p = sub.add_parser(
        "detect",
        help="describe this machine (the systems-JSON fields)",
        description="Detect the hardware and software. Every systems-JSON field is shown as "
        "detected, defaulted (with the reason) or asked (you must answer it).",
    )
    p.add_argument(
        "--json", action="store_true", help="print JSON: value, status and reason of every field"
    )
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="apply a profile's answers (division, submitter, system_name, system: ...)",
    )
    p.set_defaults(func=_cmd_detect)


def _cmd_detect(args: argparse.Namespace) -> int:
    import json

    from mlperf_tui import system

    answers: dict[str, str] = {}
    if args.profile:
        from mlperf_tui.profile import load_profile

        answers = load_profile(args.profile).system_answers()
    description = system.detect()
    if args.json:
        print(json.dumps(description.to_report(answers), indent=2))
        return ExitCode.OK
    console = _console()
    console.print(detect_table(description.as_rows(answers)))
    missing = description.missing(answers)
    if missing:
        console.print(
            f"{len(missing)} required field(s) need your answer: {', '.join(missing)}. "
            "A profile gives them (division, submitter and system_name at its top level, "
            "the others under system:); see them applied with --profile FILE."
        )
    console.print()
    console.print(providers_list(system.describe_providers(description.facts)))
    return ExitCode.OK


def detect_table(rows: Iterable[tuple[str, str, str, str]]) -> Table:
    """(field, value, status, reason) rows; fits 80 columns: the value, and under it the reason
    (dim), share the wide column, so a long reason wraps instead of squeezing the value."""
    from rich.markup import escape

    table = _compact_table("This machine, as the systems JSON describes it")
    table.add_column("field", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("value, and why", overflow="fold")
    styles = {"detected": "green", "defaulted": "yellow", "ask": "bold red", "answered": "cyan"}
    for name, value, status, reason in rows:
        style = styles.get(status, "")
        shown = escape(value) if value else "[dim](empty)[/dim]"
        if reason:
            shown += f"\n[dim]{escape(reason)}[/dim]"
        table.add_row(name, f"[{style}]{status}[/]" if style else status, shown)
    return table


def providers_list(rows: Iterable[tuple[str, str, str, str]]) -> RenderableType:
    """(provider, status, why, fix) rows as lines: which ONNX Runtime execution providers really
    load here (a session on each was tried), and for the others the reason and the fix; long
    reasons wrap under their provider, a documentation address fits a line of its own."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    styles = {"loads": "green", "does not load": "bold red", "not tried": "dim"}
    lines: list[RenderableType] = [Text("ONNX Runtime execution providers here", style="italic")]
    for name, status, why, fix in rows:
        line = Text.assemble((name, "bold"), ": ", (status, styles.get(status, "")), f" - {why}")
        lines.append(Padding(line, (0, 0, 0, 2)))
        if fix:
            lines.append(Padding(Text(f"fix: {fix}"), (0, 0, 0, 4)))
    return Group(*lines)
