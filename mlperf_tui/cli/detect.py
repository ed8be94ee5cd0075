"""``mlperf-tui detect``: this machine, as the systems JSON describes it."""

from __future__ import annotations

import argparse
from typing import Any

from mlperf_tui.cli.common import _console
from mlperf_tui.errors import ExitCode


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
    from rich.table import Table

    table = Table(title="This machine, as the systems JSON describes it")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    table.add_column("status", no_wrap=True)
    table.add_column("reason")
    styles = {"detected": "green", "defaulted": "yellow", "ask": "bold red", "answered": "cyan"}
    for name, value, status, reason in description.as_rows(answers):
        style = styles.get(status, "")
        table.add_row(name, value, f"[{style}]{status}[/]" if style else status, reason)
    console = _console()
    console.print(table)
    missing = description.missing(answers)
    if missing:
        console.print(
            f"{len(missing)} required field(s) need your answer: {', '.join(missing)}. "
            "A profile gives them (division, submitter and system_name at its top level, "
            "the others under system:); see them applied with --profile FILE."
        )
    return ExitCode.OK
