"""``mlperf-tui profile check``: a profile checked against the schema and the rules."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlperf_tui.errors import ExitCode


def _add_profile(sub: Any) -> None:
    p = sub.add_parser("profile", help="work with profiles (check)")
    commands = p.add_subparsers(dest="profile_command", metavar="COMMAND")
    commands.required = True
    check = commands.add_parser(
        "check",
        help="check a profile against the schema and the rules",
        description="Load a profile and check it against the schema and the MLPerf rules. "
        f"Exit {int(ExitCode.OK)} when it is good, {int(ExitCode.BAD_INPUT)} with one clear "
        "message when it is not. A warning says when its execution provider does not load on "
        "this machine (a good profile still: it may be meant for another).",
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
    if profile.harness == "builtin":
        # the profile is good wherever it runs; whether its provider loads is this machine's
        from mlperf_tui.system import check_provider

        provider = profile.backend.execution_provider
        problem = check_provider(provider)
        if problem is not None:
            print(
                f"warning: {args.file}: backend.execution_provider {provider} does not load on "
                f"this machine: {problem.reason}\n  fix: {problem.fix}",
                file=sys.stderr,
            )
    return ExitCode.OK
