"""The commands of a submission's life: wizard, run, package, check and checklist.

The full-screen ones (wizard, run monitor, checklist) refuse to start without a terminal.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlperf_tui.cli.common import _compact_table, _console, _require_terminal
from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.table import Table

    from mlperf_tui.validate import CheckResult

_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "notice": "cyan"}

# -- wizard (no command) -----------------------------------------------------------------------


def _cmd_wizard(args: argparse.Namespace) -> int:
    _require_terminal(
        "the full-screen wizard",
        "answer plain prompts (mlperf-tui wizard --plain), or replay a profile "
        "(mlperf-tui run profiles/quickstart.yaml --headless)",
    )
    from mlperf_tui.tui.app import run_app

    return int(run_app() or 0)


# -- wizard and checklist (the Textual front end; plain prompts) ------------------------------


def _add_wizard(sub: Any) -> None:
    p = sub.add_parser(
        "wizard",
        help="write a profile step by step (the full-screen wizard; --plain: plain prompts)",
        description="Write a profile step by step. Without a command, mlperf-tui starts this.",
    )
    p.add_argument(
        "--plain",
        action="store_true",
        help="ask the same questions as plain prompts, for terminals where a full-screen app "
        "is unwelcome",
    )
    p.set_defaults(func=_cmd_wizard_command)


def _cmd_wizard_command(args: argparse.Namespace) -> int:
    if not args.plain:
        return _cmd_wizard(args)
    from mlperf_tui.plain import run_plain

    run_plain()
    return int(ExitCode.OK)


def _add_checklist(sub: Any) -> None:
    p = sub.add_parser(
        "checklist",
        help="review the submitter's checklist of a package (resumes where it stopped)",
        description="Review the checklist of a package: automatic checks, and the items only "
        "you can confirm. Answers are saved beside the package, so a second review resumes.",
    )
    p.add_argument("package", metavar="DIR", help="the package folder")
    p.add_argument(
        "--markdown",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="no review: write the checklist as it stands as Markdown, for the submission's "
        "review (default: DIR.checklist.md beside the package, a new name if it exists; "
        "'-': standard output). Needs no terminal",
    )
    p.add_argument("--force", action="store_true", help="with --markdown FILE: replace FILE")
    p.set_defaults(func=_cmd_checklist)


def _cmd_checklist(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlperf_tui.errors import PackageError

    folder = Path(args.package)
    if not folder.is_dir():
        raise PackageError(
            f"{folder} is not a folder", "give the package folder (mlperf-tui package --out)"
        )
    if args.markdown is not None:
        return _checklist_markdown(folder, args.markdown, force=args.force)
    if args.force:
        from mlperf_tui.errors import UsageError

        raise UsageError(
            "--force goes with --markdown FILE", "add --markdown FILE, or drop --force"
        )
    _require_terminal(
        "the checklist review",
        f"run it in a terminal, or see the automatic checks with: mlperf-tui check {folder}",
    )
    from mlperf_tui.tui.app import run_app

    return int(run_app("checklist", package=folder) or 0)


def _checklist_markdown(folder: Any, target: str, *, force: bool) -> int:
    """``checklist DIR --markdown [FILE]``: the checklist as it stands, as Markdown. Exit 0
    when it is written, ready or not: an export is a report, and ``check`` is the gate."""
    from mlperf_tui.checklist import export_markdown, load_checklist, render_markdown

    checklist = load_checklist(folder)
    if target == "-":
        print(render_markdown(checklist), end="")
    else:
        path = export_markdown(checklist, target or None, overwrite=force)
        done, total = checklist.progress()
        ready = "ready to submit" if checklist.complete else "not ready to submit"
        print(f"checklist: {path} ({done} of {total} done, {ready})")
    return ExitCode.OK


# -- package and check -------------------------------------------------------------------------


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a profile: the run monitor, or --headless with a progress display",
        description="Plan and run every LoadGen test the profile needs, then build the package "
        "and validate it. Without --headless: the full-screen run monitor. Ctrl-C ends the "
        "running benchmark, keeps finished runs and builds no package. Every results folder "
        "keeps replay.sh, the exact commands behind its runs. With --debug (mlperf-tui "
        "--debug run PROFILE --headless), a run that fails also shows its harness command, "
        "the environment it ran with and the end of its log.",
    )
    p.add_argument("profile", metavar="PROFILE", help="the profile (YAML) to replay")
    p.add_argument("--headless", action="store_true", help="no full-screen app: progress bars")
    p.add_argument("--out", metavar="DIR", help="package folder (default: RESULTS/package)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON (headless)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="run nothing: check and prepare (the stand-ins, the model timed), then print the "
        "plan as a bash script on standard output: each harness command with its RUN.json and "
        "user.conf, the record, the packaging and the checker. `bash replay.sh [OUT]` "
        "reproduces the runs and the package without mlperf-tui's runner",
    )
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.dry_run:
        from mlperf_tui.errors import UsageError

        if args.json or args.out:
            raise UsageError(
                f"--dry-run prints a script; it takes no {'--json' if args.json else '--out'}",
                "run the script with the folder it should write: bash replay.sh OUT (the "
                "package goes to OUT/package)",
            )
        from mlperf_tui.headless import dry_run

        return dry_run(Path(args.profile))
    if args.headless or args.json:
        from mlperf_tui.headless import run_headless

        out = Path(args.out) if args.out else None
        debug = bool(getattr(args, "debug", False))
        return run_headless(Path(args.profile), out=out, as_json=args.json, debug=debug)
    _require_terminal(
        "the run monitor", f"replay it without one: mlperf-tui run {args.profile} --headless"
    )
    from mlperf_tui.tui.app import run_app

    out = Path(args.out) if args.out else None
    return int(run_app("run", profile=Path(args.profile), out=out) or 0)


def _add_record(sub: Any) -> None:
    p = sub.add_parser(
        "record",
        help="record the runs a replay script ran (result.json per run, summary.json)",
        description="Do the runner's bookkeeping for the runs of a replay script (mlperf-tui "
        "run PROFILE --dry-run > replay.sh; bash replay.sh RESULTS): each run's result.json "
        "from its events, exit code and LoadGen's logs, the compliance verification, and "
        f"summary.json. Exit {int(ExitCode.OK)} when every run finished, "
        f"{int(ExitCode.RUN_FAILED)} when one failed, {int(ExitCode.CANCELLED)} when one was "
        "cancelled.",
    )
    p.add_argument("results", metavar="RESULTS", help="the results folder the script wrote")
    p.add_argument(
        "--force", action="store_true", help="record a folder again (it has summary.json)"
    )
    p.set_defaults(func=_cmd_record)


def _cmd_record(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlperf_tui import history
    from mlperf_tui.headless import results_table
    from mlperf_tui.results import STATUS_CANCELLED, SUMMARY
    from mlperf_tui.run.record import record_results

    results = record_results(Path(args.results), force=args.force)
    console = _console()
    # a replay's runs join the run history like the runner's (a history that cannot be
    # written is a note, never a failed record)
    note = history.try_record(results)
    if note:
        _console(stderr=True).print(note, style="yellow", markup=False)
    console.print(results_table(results))
    if results.complete:
        print(f"recorded: {results.folder / SUMMARY}")
        return ExitCode.OK
    failed = [r.run_id for r in results.runs if not r.ok]
    console.print(
        f"[red]Not every run finished ({', '.join(failed)}): build no package from it.[/red] "
        "See harness.stderr.log in each run's folder."
    )
    if any(r.status == STATUS_CANCELLED for r in results.runs):
        return ExitCode.CANCELLED
    return ExitCode.RUN_FAILED


def _add_package(sub: Any) -> None:
    p = sub.add_parser(
        "package",
        help="build the submission package from a results folder",
        description="Build the submission tree the official checker reads from the results of "
        "`mlperf-tui run`. Refuses a non-empty --out unless --force; a failed build leaves "
        "nothing behind.",
    )
    p.add_argument("results", metavar="RESULTS", help="the results folder (holds summary.json)")
    p.add_argument("--out", required=True, metavar="DIR", help="the package folder to write")
    p.add_argument("--tar", action="store_true", help="also write DIR.tar.gz beside it")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    p.set_defaults(func=_cmd_package)


def _cmd_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlperf_tui.package import build_package, tarball_path

    console = _console(stderr=True)
    out = build_package(
        Path(args.results),
        Path(args.out),
        force=args.force,
        tar=args.tar,
        progress=lambda msg: console.print(f"[dim]package: {msg}[/dim]"),
    )
    print(f"package: {out}")
    if args.tar:
        print(f"archive: {tarball_path(out)}")
    return ExitCode.OK


def _add_check(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="validate a submission package (stricter than the official checker)",
        description=f"Validate a package. Exit {int(ExitCode.OK)} only when there is no error, "
        f"{int(ExitCode.CHECK_FAILED)} otherwise.",
    )
    p.add_argument("package", metavar="DIR", help="the package folder (holds closed/ or open/)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--round", default=None, metavar="VERSION", help="rules round (default v6.1)")
    p.add_argument(
        "--official",
        metavar="PATH",
        help="also run the official checker from this mlcommons/inference checkout (its root)",
    )
    p.add_argument(
        "--legacy",
        action="store_true",
        help="with --official: run the checkout's legacy submission_checker_old.py instead",
    )
    p.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from mlperf_tui import rules
    from mlperf_tui.errors import UsageError
    from mlperf_tui.official import run_official_checker
    from mlperf_tui.validate import to_json, validate

    version = rules.normalize_round(args.round or rules.DEFAULT_ROUND)
    if args.legacy and not args.official:
        raise UsageError("--legacy needs --official PATH", "add --official PATH_TO_CHECKOUT")
    findings = validate(Path(args.package), version=version)
    official = (
        run_official_checker(args.package, args.official, version=version, legacy=args.legacy)
        if args.official
        else None
    )
    failed = any(r.severity == "error" for r in findings) or (
        official is not None and not official.ok
    )
    if args.json:
        doc = json.loads(to_json(findings))
        if official is not None:
            doc["official"] = {
                "checker": official.checker,
                "ok": official.ok,
                "returncode": official.returncode,
                "crashed": official.crashed,
                "crash": official.crash,
                "summary": official.summary,
                "errors": official.errors,
            }
        print(json.dumps(doc, indent=2))
        return ExitCode.CHECK_FAILED if failed else ExitCode.OK
    from rich.markup import escape

    console = _console()
    styles = _SEVERITY_STYLES
    if findings:
        console.print(findings_table(findings, f"mlperf-tui check: {args.package}"))
    counts = {s: sum(1 for r in findings if r.severity == s) for s in styles}
    verdict = "[bold red]FAILED[/]" if counts["error"] else "[bold green]OK[/]"
    console.print(
        f"mlperf-tui: {verdict} - {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['notice']} notice(s)"
    )
    if official is not None:
        if official.crashed:
            mark = "[bold red]CRASHED[/]"
            note = f"with {escape(official.crash)}; mlperf-tui's findings above still hold"
        else:
            mark = "[bold green]OK[/]" if official.ok else "[bold red]FAILED[/]"
            note = escape(official.summary)
        console.print(f"official {escape(official.checker)}: {mark} (exit {official.returncode})")
        console.print(f"  {note}")
        for line in official.errors[:30]:
            console.print(f"  [dim]{escape(line)}[/dim]")
        if len(official.errors) > 30:
            console.print(f"  [dim]... {len(official.errors) - 30} more (--json shows all)[/dim]")
    return ExitCode.CHECK_FAILED if failed else ExitCode.OK


def findings_table(findings: Sequence[CheckResult], title: str) -> Table:
    """One row per finding: its severity, then its id and path, the message and the fix in one
    wide column that wraps (80 columns leave it about 70), so no id or path is cut."""
    from rich.markup import escape

    table = _compact_table(title)
    table.add_column("severity", no_wrap=True)
    table.add_column("finding: id, where, what, fix", overflow="fold")
    for r in findings:
        where = f"\n[dim]{escape(r.path)}[/dim]" if r.path else ""
        text = f"[b]{escape(r.id)}[/b]{where}\n{escape(r.message)}"
        if r.fix:
            text += f"\n[dim]fix: {escape(r.fix)}[/dim]"
        style = _SEVERITY_STYLES.get(r.severity, "")
        table.add_row(f"[{style}]{r.severity}[/]" if style else r.severity, text)
    return table
