"""What every command shares: the Rich console, the terminal check and error printing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mlperf_tui.errors import EnvironmentProblem, MlperfTuiError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _compact_table(title: str, **options: object) -> Table:
    """A table for 80 columns: rules only under the header, one space of padding between
    columns, none at the edges (rich's SIMPLE_HEAD). Give wrapping columns overflow="fold",
    so a narrow terminal wraps a cell and never cuts it with "…"."""
    from rich import box
    from rich.table import Table

    return Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        **options,  # type: ignore[arg-type]
    )


def _require_terminal(what: str, fix: str) -> None:
    """The full-screen app needs a terminal on stdin and stdout; say so instead of hanging."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise EnvironmentProblem(f"{what} needs an interactive terminal", fix)


def _print_error(exc: MlperfTuiError) -> None:
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.fix:
        print(f"  fix: {exc.fix}", file=sys.stderr)
