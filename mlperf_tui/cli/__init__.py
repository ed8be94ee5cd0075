"""The headless front end: ``mlperf-tui COMMAND ...``.

Parsing arguments imports nothing heavy: Rich, the rules, detection and the profile model are
imported inside the command that needs them, so ``mlperf-tui --help`` is instant and the core
stays free of UI imports.

Adding a command: write ``_add_<name>(subparsers)`` (which calls ``set_defaults(func=...)``)
and ``_cmd_<name>(args) -> int`` in the module of its command group (``detect``, ``rules``,
``profile``, ``run``, ``tune``, ``importer``, ``serve``, ``history``, ``compare``; shared helpers in
``common``), and list ``_add_<name>`` in ``_COMMANDS``.
A command raises :class:`~mlperf_tui.errors.MlperfTuiError` for anything a user can cause;
:func:`main` prints its message and fix (no traceback unless ``--debug``) and exits with its
code.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from mlperf_tui import __version__
from mlperf_tui.cli.common import _print_error
from mlperf_tui.cli.compare import _add_compare
from mlperf_tui.cli.detect import _add_detect
from mlperf_tui.cli.history import _add_history
from mlperf_tui.cli.importer import _add_import
from mlperf_tui.cli.profile import _add_profile
from mlperf_tui.cli.rules import _add_rules
from mlperf_tui.cli.run import (
    _add_check,
    _add_checklist,
    _add_package,
    _add_record,
    _add_run,
    _add_wizard,
    _cmd_wizard,
)
from mlperf_tui.cli.serve import _add_serve
from mlperf_tui.cli.sweep import _add_sweep
from mlperf_tui.cli.tune import _add_find_performance, _add_tune
from mlperf_tui.errors import ExitCode, MlperfTuiError

__all__ = ["EXIT_CODE_HELP", "build_parser", "exit_code_table", "main"]

#: the exit-code table of ``mlperf-tui --help`` and README.md ("Exit codes")
EXIT_CODE_HELP: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.CHECK_FAILED: "the command ran, and what it checked has errors",
    ExitCode.USAGE: "wrong command-line usage",
    ExitCode.BAD_INPUT: "a bad input: profile, file, folder, benchmark or round name",
    ExitCode.RUN_FAILED: "a benchmark run failed",
    ExitCode.ENVIRONMENT: "something is missing on this machine (package, GPU, disk space)",
    ExitCode.INTERNAL: "a bug in mlperf-tui: please report it with the output of --debug",
    ExitCode.CANCELLED: "cancelled by the user (Ctrl-C)",
}


def exit_code_table() -> str:
    """The exit codes as aligned text lines."""
    return "\n".join(f"  {int(code):>3}  {text}" for code, text in EXIT_CODE_HELP.items())


# -- the parser and main -----------------------------------------------------------------------

#: one entry per command, in the order `--help` lists them
_COMMANDS: tuple[Callable[[Any], None], ...] = (
    _add_detect,
    _add_rules,
    _add_profile,
    _add_wizard,
    _add_checklist,
    _add_tune,
    _add_find_performance,
    _add_run,
    _add_sweep,
    _add_import,
    _add_serve,
    _add_record,
    _add_package,
    _add_check,
    _add_history,
    _add_compare,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mlperf-tui`` (no heavy imports)."""
    parser = argparse.ArgumentParser(
        prog="mlperf-tui",
        description="From a bare machine to a validated MLPerf Inference submission. "
        "Without a command: the full-screen wizard.",
        epilog="exit codes:\n" + exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mlperf-tui {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(sub)
    # `--debug` is also accepted after the command (`mlperf-tui rules --debug`)
    for command in sub.choices.values():
        _add_debug_everywhere(command)
    return parser


def _add_debug_everywhere(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_debug_everywhere(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (see :data:`EXIT_CODE_HELP`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", _cmd_wizard)
    if threading.current_thread() is threading.main_thread():
        # `kill`, a CI time-out or a closed SSH session cancels like Ctrl-C in every command:
        # the cleanup of a half-built package or a running child happens, nothing is left half
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return int(func(args))
    except MlperfTuiError as exc:
        if debug:
            traceback.print_exc()
        _print_error(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return int(ExitCode.CANCELLED)
    except BrokenPipeError:  # `mlperf-tui detect --json | head`
        return int(ExitCode.OK)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("  fix: run again with --debug and report the output as a bug", file=sys.stderr)
        return int(ExitCode.INTERNAL)
