"""The headless front end: ``mlperf-tui COMMAND ...``.

Parsing arguments imports nothing heavy: Rich, the rules, detection and the profile model are
imported inside the command that needs them, so ``mlperf-tui --help`` is instant and the core
stays free of UI imports.

Adding a command: write ``_add_<name>(subparsers)`` (which calls ``set_defaults(func=...)``)
and ``_cmd_<name>(args) -> int``, and list ``_add_<name>`` in ``_COMMANDS``. A command raises
:class:`~mlperf_tui.errors.MlperfTuiError` for anything a user can cause; :func:`main` prints
its message and fix (no traceback unless ``--debug``) and exits with its code.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mlperf_tui import __version__
from mlperf_tui.errors import EnvironmentProblem, ExitCode, MlperfTuiError

if TYPE_CHECKING:
    from rich.console import Console

    from mlperf_tui.rules.model import Benchmark, Round

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


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


# -- detect ------------------------------------------------------------------------------------


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


# -- rules -------------------------------------------------------------------------------------


def _add_rules(sub: Any) -> None:
    from_round = "the round's rules (default: the newest)"
    p = sub.add_parser(
        "rules",
        help="what the MLPerf rules require (a round's benchmarks, or one benchmark)",
        description="Without BENCHMARK: the round's benchmarks. With one: its accuracy target, "
        "scenarios per category, latency bounds, minimum duration, Offline minimum, "
        "performance sample count and compliance tests.",
    )
    p.add_argument("benchmark", nargs="?", metavar="BENCHMARK", help="e.g. resnet50, bert-99")
    p.add_argument("--round", dest="round", default=None, metavar="ROUND", help=from_round)
    p.add_argument("--json", action="store_true", help="print the rules as JSON")
    p.set_defaults(func=_cmd_rules)


def _scenario_names(scenarios: Sequence[Any]) -> str:
    return ", ".join(str(getattr(s, "value", s)) for s in scenarios) or "-"


def _ms(ns: int) -> str:
    return f"{ns / 1_000_000:g} ms"


def _cmd_rules(args: argparse.Namespace) -> int:
    from mlperf_tui import rules

    version = args.round or rules.DEFAULT_ROUND
    round_rules = rules.get_round(version)
    if args.json:
        import json

        from mlperf_tui import benchmarks
        from mlperf_tui.rules.report import benchmark_dict, round_dict

        def with_harness(doc: dict[str, Any]) -> dict[str, Any]:
            entry = benchmarks.get(doc["name"])
            doc["built_in_harness"] = entry.task if entry else None
            return doc

        if args.benchmark is None:
            data = round_dict(round_rules)
            data["benchmarks"] = [with_harness(b) for b in data["benchmarks"]]
        else:
            bench = rules.get_benchmark(args.benchmark, version)
            data = with_harness(benchmark_dict(bench, round_rules))
        print(json.dumps(data, indent=2))
        return ExitCode.OK
    if args.benchmark is None:
        _print_round(round_rules)
    else:
        _print_benchmark(round_rules, rules.get_benchmark(args.benchmark, round_rules.version))
    return ExitCode.OK


def _print_round(round_rules: Round) -> None:
    from rich.table import Table

    from mlperf_tui import benchmarks, rules
    from mlperf_tui.rules.model import Category

    table = Table(title=f"MLPerf Inference {round_rules.version}: benchmarks")
    table.add_column("benchmark", no_wrap=True)
    table.add_column("task")
    table.add_column("edge", no_wrap=True)
    table.add_column("datacenter", no_wrap=True)
    table.add_column("harness", no_wrap=True)

    def suite(bench: Benchmark, category: Category) -> str:
        if category not in bench.required_scenarios:
            return "-"
        lines = [s.value for s in bench.required_scenarios[category]]
        one_of = rules.required_one_of(bench, category)
        if one_of:
            lines.append("+ " + " or\n  ".join(s.value for s in one_of))
        return "\n".join(lines)

    for bench in round_rules.benchmarks.values():
        table.add_row(
            bench.name,
            bench.task,
            suite(bench, Category.EDGE),
            suite(bench, Category.DATACENTER),
            "built in" if benchmarks.get(bench.name) else "not yet",
        )
    console = _console()
    console.print(table)
    console.print(
        "The scenarios are those the closed division requires per category ('-': not in "
        "that category). Details: mlperf-tui rules BENCHMARK; as data: --json"
    )


def _print_benchmark(round_rules: Round, bench: Benchmark) -> None:
    from rich.table import Table

    from mlperf_tui import benchmarks, rules
    from mlperf_tui.rules.model import Category, Division, Scenario

    table = Table(
        title=f"{bench.name} in MLPerf Inference {round_rules.version}", show_header=False
    )
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("rule")

    table.add_row("task", bench.task)
    table.add_row("data set", f"{bench.dataset} ({bench.dataset_size} samples)")
    table.add_row("reference model", bench.reference_model)
    table.add_row("names", f"checker: {bench.checker_model}, LoadGen: {bench.loadgen_model}")
    for target in bench.accuracy:
        table.add_row("accuracy target", target.describe())
    for scenario, targets in bench.accuracy_by_scenario.items():
        gates = "; ".join(t.describe() for t in targets)
        table.add_row(f"accuracy target ({scenario.value})", gates)
    samples = {s: bench.accuracy_samples(s) for s in bench.all_scenarios()}
    if set(samples.values()) - {bench.dataset_size}:
        table.add_row("accuracy samples", ", ".join(f"{s.value} {n}" for s, n in samples.items()))
    for category in Category:
        required = bench.required_scenarios.get(category, ())
        optional = bench.optional_scenarios.get(category, ())
        if not required and not optional:
            table.add_row(f"{category.value} scenarios", "not in this category")
            continue
        text = f"required: {_scenario_names(required)}"
        one_of = rules.required_one_of(bench, category)
        if one_of:
            text += f"; and one of: {_scenario_names(one_of)}"
        if optional:
            text += f"; optional: {_scenario_names(optional)}"
        table.add_row(f"{category.value} scenarios", text)
    # bounds and query counts only for the scenarios this round offers the benchmark in
    offered = {
        s
        for scenarios in (*bench.required_scenarios.values(), *bench.optional_scenarios.values())
        for s in scenarios
    }
    for scenario, bound in bench.latency_bound_ns.items():
        if scenario in offered:
            table.add_row(f"{scenario.value} latency bound", _ms(bound))
    for scenario, bound in bench.ttft_ns.items():
        if scenario in offered:
            table.add_row(f"{scenario.value} time to first token", _ms(bound))
    for scenario, bound in bench.tpot_ns.items():
        if scenario in offered:
            table.add_row(f"{scenario.value} time per output token", _ms(bound))
    table.add_row(
        "minimum duration",
        "none (one pass over the data set)"
        if bench.single_pass
        else f"{round_rules.min_duration_ms / 1000:g} s",
    )
    if Scenario.OFFLINE in offered:
        offline_min = bench.offline_min_samples or round_rules.offline_min_samples
        table.add_row("Offline minimum samples", str(offline_min))
    table.add_row("performance sample count", str(bench.performance_sample_count))
    min_queries = [f"{s.value} {n}" for s, n in bench.min_queries.items() if s in offered]
    if min_queries:
        table.add_row("minimum queries", ", ".join(min_queries))
    tests = rules.compliance_tests(bench, Division.CLOSED)
    table.add_row("compliance tests (closed)", ", ".join(tests) if tests else "none")
    if bench.inferable_from:
        table.add_row(
            "inferable on edge",
            ", ".join(f"{s.value} from {src.value}" for s, src in bench.inferable_from.items()),
        )
    entry = benchmarks.get(bench.name)
    table.add_row("built-in harness", entry.task if entry else "not yet")
    if entry is not None:
        table.add_row("models it runs", ", ".join(k.name for k in entry.models))
    _console().print(table)


# -- profile -----------------------------------------------------------------------------------


def _add_profile(sub: Any) -> None:
    p = sub.add_parser("profile", help="work with profiles (check)")
    commands = p.add_subparsers(dest="profile_command", metavar="COMMAND")
    commands.required = True
    check = commands.add_parser(
        "check",
        help="check a profile against the schema and the rules",
        description="Load a profile and check it against the schema and the MLPerf rules. "
        f"Exit {int(ExitCode.OK)} when it is good, {int(ExitCode.BAD_INPUT)} with one clear "
        "message when it is not.",
    )
    check.add_argument("file", metavar="FILE", help="the profile (YAML)")
    check.set_defaults(func=_cmd_profile_check)


def _cmd_profile_check(args: argparse.Namespace) -> int:
    from mlperf_tui.profile import load_profile

    profile = load_profile(args.file)
    modes = " + ".join(m.value for m in profile.modes)
    inferred = profile.inferred_scenarios()
    scenarios = ", ".join(s.value for s in profile.scenarios)
    if inferred:
        scenarios += f" (inferred: {', '.join(s.value for s in inferred)})"
    print(
        f"OK: {args.file}: {profile.benchmark} ({profile.round}), {profile.division.value} "
        f"division, {profile.category.value}; {scenarios}; {modes}; "
        f"{profile.execution.value} execution"
    )
    return ExitCode.OK


# -- wizard (no command) -----------------------------------------------------------------------


def _require_terminal(what: str, fix: str) -> None:
    """The full-screen app needs a terminal on stdin and stdout; say so instead of hanging."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise EnvironmentProblem(f"{what} needs an interactive terminal", fix)


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
    p.set_defaults(func=_cmd_checklist)


def _cmd_checklist(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlperf_tui.errors import PackageError

    folder = Path(args.package)
    if not folder.is_dir():
        raise PackageError(
            f"{folder} is not a folder", "give the package folder (mlperf-tui package --out)"
        )
    _require_terminal(
        "the checklist review",
        f"run it in a terminal, or see the automatic checks with: mlperf-tui check {folder}",
    )
    from mlperf_tui.tui.app import run_app

    return int(run_app("checklist", package=folder) or 0)


# -- package and check -------------------------------------------------------------------------


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a profile: the run monitor, or --headless with a progress display",
        description="Plan and run every LoadGen test the profile needs, then build the package "
        "and validate it. Without --headless: the full-screen run monitor. Ctrl-C ends the "
        "running benchmark, keeps finished runs and builds no package.",
    )
    p.add_argument("profile", metavar="PROFILE", help="the profile (YAML) to replay")
    p.add_argument("--headless", action="store_true", help="no full-screen app: progress bars")
    p.add_argument("--out", metavar="DIR", help="package folder (default: RESULTS/package)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON (headless)")
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.headless or args.json:
        from mlperf_tui.headless import run_headless

        out = Path(args.out) if args.out else None
        return run_headless(Path(args.profile), out=out, as_json=args.json)
    _require_terminal(
        "the run monitor", f"replay it without one: mlperf-tui run {args.profile} --headless"
    )
    from mlperf_tui.tui.app import run_app

    out = Path(args.out) if args.out else None
    return int(run_app("run", profile=Path(args.profile), out=out) or 0)


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
    from rich.table import Table

    console = _console()
    styles = {"error": "bold red", "warning": "yellow", "notice": "cyan"}
    if findings:
        table = Table(title=f"mlperf-tui check: {args.package}", show_lines=False)
        table.add_column("severity")
        table.add_column("id")
        table.add_column("where / what / fix", overflow="fold")
        for r in findings:
            where = f"{escape(r.path)}\n" if r.path else ""
            text = f"{where}{escape(r.message)}\n[dim]fix: {escape(r.fix)}[/dim]"
            table.add_row(f"[{styles[r.severity]}]{r.severity}[/]", r.id, text)
        console.print(table)
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


# -- the parser and main -----------------------------------------------------------------------

#: one entry per command, in the order `--help` lists them
_COMMANDS: tuple[Callable[[Any], None], ...] = (
    _add_detect,
    _add_rules,
    _add_profile,
    _add_wizard,
    _add_checklist,
    _add_run,
    _add_package,
    _add_check,
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


def _print_error(exc: MlperfTuiError) -> None:
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.fix:
        print(f"  fix: {exc.fix}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (see :data:`EXIT_CODE_HELP`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", _cmd_wizard)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
