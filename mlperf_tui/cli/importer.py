"""``mlperf-tui import``: another harness's LoadGen logs into a results folder.

The command only parses options and prints; finding, checking and recording the logs are
:mod:`mlperf_tui.importer`'s. A refusal is an :class:`~mlperf_tui.errors.MlperfTuiError`
(exit 3, nothing written) listing every problem with its fix.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlperf_tui.cli.common import _compact_table, _console
from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from mlperf_tui.importer import ImportRefused
    from mlperf_tui.results import ResultsSet

_SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline", "Interactive")
#: measurements.json fields and the option of each
_MEASUREMENT_OPTIONS = (
    ("--weights-filename", "starting_weights_filename", "the model's weights file (its name)"),
    ("--weight-data-types", "weight_data_types", 'the weights\' data types, e.g. "fp8,bf16"'),
    ("--input-data-types", "input_data_types", 'the model inputs\' data types, e.g. "int32"'),
    ("--retraining", "retraining", 'whether the weights were retrained ("No")'),
    (
        "--weight-transformations",
        "weight_transformations",
        'how the weights were changed from the reference ("quantization: fp8, per tensor")',
    ),
)


def _add_import(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import another harness's LoadGen logs as a results folder (then package it)",
        description="Take the LoadGen logs another harness wrote - its performance, accuracy "
        "and compliance runs, as flat folders or a submission-like tree - check each one "
        "(benchmark, scenario, mode, seeds, validity, LoadGen errors, accuracy) and write them "
        "as a results folder that `mlperf-tui package`, `check` and `checklist` read like a "
        "built-in run's. A bad import is refused with every problem and its fix, and nothing "
        "is written.",
        epilog=f"exit codes: {int(ExitCode.OK)} imported; {int(ExitCode.USAGE)} wrong usage; "
        f"{int(ExitCode.BAD_INPUT)} refused (bad logs, options the rules forbid: nothing "
        f"written); {int(ExitCode.ENVIRONMENT)} the destination cannot be written.",
    )
    p.add_argument("source", metavar="SOURCE", help="the folder holding the harness's logs")
    p.add_argument("--benchmark", required=True, metavar="B", help="the benchmark the logs are of")
    p.add_argument(
        "--scenario",
        required=True,
        action="append",
        choices=_SCENARIOS,
        metavar="S",
        help="a scenario to import (repeat for several): " + ", ".join(_SCENARIOS),
    )
    p.add_argument("--round", metavar="R", help="the rules round (default: v6.1)")
    p.add_argument(
        "--division",
        default="closed",
        choices=("closed", "open", "network"),
        help="the division (default: closed, which needs the compliance runs)",
    )
    p.add_argument(
        "--category",
        default="datacenter",
        choices=("datacenter", "edge"),
        help="the category (default: datacenter)",
    )
    p.add_argument(
        "--mode",
        action="append",
        choices=("performance", "accuracy"),
        help="the runs to import (default: both; repeat for both)",
    )
    p.add_argument(
        "--execution",
        default="valid",
        choices=("valid", "test"),
        help="valid: logs run with the rules' settings (default); test: short runs, the "
        "package says it is not submittable",
    )
    p.add_argument(
        "--accuracy-dataset",
        metavar="PATH",
        help="the data set to score the accuracy log with, when the harness left no "
        "accuracy.txt the checker reads (benchmarks mlperf-tui has an accuracy script for)",
    )
    p.add_argument(
        "--accuracy-tokenizer",
        metavar="DIR",
        help="an LLM's tokenizer folder (tokenizer.json), to score its accuracy log",
    )
    p.add_argument(
        "--out",
        metavar="RESULTS_DIR",
        help="the results folder to write (new or empty; default: a new results/<YYYYMMDD-HHMMSS>)",
    )
    p.add_argument(
        "--allow-invalid",
        action="store_true",
        help="keep an INVALID performance run or one with LoadGen errors (marked so; the "
        "package's validation reports it)",
    )
    p.add_argument("--user-conf", metavar="FILE", help="the user.conf the harness used")
    p.add_argument(
        "--system-json",
        metavar="FILE",
        help="the systems JSON of the machine that ran the logs (default: the one in SOURCE's "
        "systems/ folder, if there is one)",
    )
    p.add_argument(
        "--detect-system",
        action="store_true",
        help="this machine ran the logs: detect it for the systems JSON",
    )
    p.add_argument("--submitter", metavar="NAME", help="the submitter (the package's folder)")
    p.add_argument("--system-name", metavar="NAME", help="the system's name in the results")
    p.add_argument(
        "--harness-name",
        metavar="TEXT",
        help="the harness that wrote the logs, for the package's README",
    )
    for option, _field, text in _MEASUREMENT_OPTIONS:
        p.add_argument(option, metavar="TEXT", help=f"measurements.json: {text}")
    p.add_argument(
        "--save-profile",
        metavar="FILE",
        help="also save the import profile there (replay it with `mlperf-tui run FILE`)",
    )
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=_cmd_import)


def _cmd_import(args: argparse.Namespace) -> int:
    import shlex
    import sys
    from pathlib import Path

    from mlperf_tui.importer import (
        ImportRefused,
        ImportRequest,
        import_logs,
        import_profile,
        measurements_from,
    )

    source = Path(args.source)
    profile = import_profile(
        source=source,
        benchmark=args.benchmark,
        scenarios=list(dict.fromkeys(args.scenario)),
        round=args.round,
        division=args.division,
        category=args.category,
        modes=list(dict.fromkeys(args.mode or ("performance", "accuracy"))),
        execution=args.execution,
        submitter=args.submitter,
        system_name=args.system_name,
    )
    request = ImportRequest(
        profile=profile,
        source=source,
        accuracy_dataset=_path(args.accuracy_dataset),
        accuracy_tokenizer=_path(args.accuracy_tokenizer),
        allow_invalid=args.allow_invalid,
        user_conf=_path(args.user_conf),
        system_json=_path(args.system_json),
        detect_system=args.detect_system,
        harness_name=args.harness_name,
        measurements=measurements_from(
            {name: getattr(args, name_of(option)) for option, name, _ in _MEASUREMENT_OPTIONS}
        ),
        command=shlex.join(["mlperf-tui", *sys.argv[1:]]),
    )
    try:
        results = import_logs(request, out=_path(args.out), on_event=_print_message)
    except ImportRefused as exc:
        if args.json:
            _print_json(_refusal_doc(exc))
        raise
    if args.save_profile:
        from mlperf_tui.profile import save_profile

        save_profile(profile, args.save_profile)
    if args.json:
        _print_json(_outcome_doc(results))
    else:
        _print_outcome(results)
    return int(ExitCode.OK)


def _print_message(event: Any) -> None:
    """A note of the import (the run history's, when it could not be written), on stderr: a
    --json outcome on stdout stays one document."""
    import sys

    if event.kind == "message":
        print(event.data.get("text", ""), file=sys.stderr)


def name_of(option: str) -> str:
    """argparse's attribute of an option ("--weights-filename" -> "weights_filename")."""
    return option.removeprefix("--").replace("-", "_")


def _path(value: str | None) -> Any:
    from pathlib import Path

    return None if value is None else Path(value).expanduser().resolve()


def _print_json(doc: dict[str, Any]) -> None:
    import json

    print(json.dumps(doc, indent=2))


def _refusal_doc(exc: ImportRefused) -> dict[str, Any]:
    return {
        "exit_code": int(exc.exit_code),
        "results_folder": None,
        "error": {"message": exc.message, "fix": exc.fix},
        "problems": [p.to_dict() for p in exc.problems],
    }


def _outcome_doc(results: ResultsSet) -> dict[str, Any]:
    origin = results.origin or {}
    return {
        "exit_code": int(ExitCode.OK),
        "results_folder": str(results.folder),
        "runs": [r.to_dict(results.folder) for r in results.runs],
        "findings": origin.get("findings", []),
        "ignored": origin.get("ignored", []),
    }


def _verdict(run: Any) -> str:
    parts = []
    if run.valid is not None and run.compliance is None:  # an audit run's own is not a verdict
        parts.append("VALID" if run.valid else "INVALID")
    if run.accuracy is not None:
        parts.append(run.accuracy_text())
    if run.compliance is not None:
        passed = run.compliance.get("passed")
        parts.append(f"{run.compliance.get('test')} {'PASS' if passed else 'not verified/FAIL'}")
    if run.errors:
        parts.append(f"{len(run.errors)} LoadGen error(s)")
    return ", ".join(parts) or "ok"


def _print_outcome(results: ResultsSet) -> None:
    from rich.markup import escape

    console = _console()
    origin = results.origin or {}
    table = _compact_table(f"Imported into {results.folder}")
    table.add_column("run", no_wrap=True)
    table.add_column("from", overflow="fold")
    table.add_column("verdict", overflow="fold")
    source = str(origin.get("source", ""))
    for run in results.runs:
        where = run.message.removeprefix("imported from ").split("; ")[0]
        if source and where.startswith(source):
            where = where[len(source) :].lstrip("/") or "."
        table.add_row(run.run_id, escape(where), escape(_verdict(run)))
    console.print(table)
    for f in origin.get("findings", []):
        path = f" [dim]{escape(f['path'])}[/dim]" if f.get("path") else ""
        console.print(f"  {f['severity']}: {f['id']}{path}: {escape(f['message'])}")
        if f.get("fix"):
            console.print(f"    fix: {escape(f['fix'])}")
    for item in origin.get("ignored", []):
        console.print(f"  [dim]not imported: {escape(item['folder'])} ({escape(item['why'])})[/]")
    console.print(f"Results folder: {results.folder}")
    console.print(f"Next: mlperf-tui package {results.folder} --out PACKAGE_DIR")
