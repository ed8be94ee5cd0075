"""``mlperf-tui tune`` and ``mlperf-tui find-performance``: settings and targets for this machine.

Both measure on this machine and write what they found into the profile (the file as it was
is kept beside it as ``NAME.bak``, or ``NAME.bak.1`` and so on); ``--no-write`` only shows it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.run.inputs import ResolvedAssets


def _add_tune(sub: Any) -> None:
    p = sub.add_parser(
        "tune",
        help="find the backend settings (batch size, threads, streams) that are fastest here",
        description="Sweep batch size x intra-op threads x concurrent streams for the "
        "profile's model on this machine (each point a second, shown as it is measured), "
        "choose the best per scenario (throughput for Offline, p90 for SingleStream, p99 for "
        "MultiStream, the highest throughput within the latency bound for Server) and write "
        "it into the profile's backend block. The file as it was is kept as PROFILE.bak.",
    )
    p.add_argument("profile", metavar="PROFILE", help="the profile (YAML) to tune")
    p.add_argument(
        "--seconds", type=float, default=1.0, help="seconds per point (default 1; more: steadier)"
    )
    p.add_argument("--no-write", action="store_true", help="show the choice; leave the file")
    p.add_argument("--json", action="store_true", help="print the points and choice as JSON")
    p.set_defaults(func=_cmd_tune)


def _add_find_performance(sub: Any) -> None:
    p = sub.add_parser(
        "find-performance",
        help="find the targets a valid run asks LoadGen for, with short runs here",
        description="Short LoadGen runs in the profile's settings: for Server, a search for "
        "the highest target QPS that is VALID (then one longer confirming run); for "
        "SingleStream and MultiStream, the target latency; for Offline, the target QPS. Each "
        "run is shown as it ends; the targets go into the profile (the file as it was is kept "
        "as PROFILE.bak).",
    )
    p.add_argument("profile", metavar="PROFILE", help="the profile (YAML)")
    p.add_argument(
        "--scenario",
        action="append",
        metavar="SCENARIO",
        help="only this scenario (repeatable; default: the profile's)",
    )
    p.add_argument(
        "--search-seconds", type=float, default=8.0, help="seconds of a search run (default 8)"
    )
    p.add_argument(
        "--confirm-seconds",
        type=float,
        default=30.0,
        help="seconds of the Server confirming run (default 30)",
    )
    p.add_argument("--no-write", action="store_true", help="show the targets; leave the file")
    p.add_argument("--json", action="store_true", help="print the targets as JSON")
    p.set_defaults(func=_cmd_find_performance)


def _load(path: Path) -> tuple[Profile, ResolvedAssets]:
    from mlperf_tui.errors import UsageError
    from mlperf_tui.profile import load_profile
    from mlperf_tui.run import resolve_assets

    profile = load_profile(path)
    if profile.harness != "builtin":
        raise UsageError(
            f"{path} runs the {profile.harness} harness: there is no backend here to tune",
            "tune a profile of the built-in ONNX Runtime harness (harness: builtin)",
        )
    _say("Resolving the model and data set")
    return profile, resolve_assets(profile, profile_path=path)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _write(profile: Profile, path: Path) -> Path:
    """Save ``profile`` over ``path``, keeping the file as it was as the first free .bak."""
    from mlperf_tui.errors import ProfileError
    from mlperf_tui.profile import save_profile

    backup = path.with_name(path.name + ".bak")
    n = 0
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.bak.{n}")
    try:
        backup.write_bytes(path.read_bytes())
    except OSError as exc:
        raise ProfileError(
            f"cannot keep a copy of {path} as {backup.name}: {exc.strerror or exc}",
            "check that the folder is writable, or use --no-write",
        ) from None
    save_profile(profile, path, overwrite=True)
    return backup


def _cmd_tune(args: argparse.Namespace) -> int:
    from mlperf_tui.errors import UsageError
    from mlperf_tui.run.tune import chosen_lines, describe_point, tune, tuned_backend

    if args.seconds <= 0:
        raise UsageError("--seconds must be more than 0", "e.g. --seconds 1")
    path = Path(args.profile)
    profile, resolved = _load(path)
    _say(f"Tuning {profile.benchmark} ({', '.join(s.value for s in profile.scenarios)}):")

    def on_point(done: int, total: int, point: Any) -> None:
        _say(f"  [{done}/{total}] {describe_point(point)}")

    result = tune(profile, resolved, seconds=args.seconds, on_point=on_point)
    backend = tuned_backend(profile.backend, result)
    updated = profile.model_copy(update={"backend": backend})
    lines = chosen_lines(result)
    for line in lines:
        _say(f"chosen: {line}")
    if args.json:
        print(json.dumps({**result.to_dict(), "backend": backend.model_dump(mode="json")}))
    if args.no_write:
        _say("--no-write: the profile is unchanged")
    else:
        backup = _write(updated, path)
        _say(f"wrote the backend settings into {path} (it was kept as {backup.name})")
    return int(ExitCode.OK)


def _cmd_find_performance(args: argparse.Namespace) -> int:
    from mlperf_tui.errors import UsageError
    from mlperf_tui.rules.model import Scenario
    from mlperf_tui.run import time_model
    from mlperf_tui.run.find import apply_targets, find_performance

    if args.search_seconds <= 0 or args.confirm_seconds <= 0:
        raise UsageError("the seconds must be more than 0", "e.g. --search-seconds 8")
    path = Path(args.profile)
    profile, resolved = _load(path)
    wanted = None
    if args.scenario:
        try:
            wanted = tuple(Scenario(s) for s in args.scenario)
        except ValueError:
            raise UsageError(
                f"--scenario {', '.join(args.scenario)}: not a scenario",
                "use SingleStream, MultiStream, Server or Offline",
            ) from None
        missing = [s.value for s in wanted if s not in profile.scenarios]
        if missing:
            raise UsageError(
                f"the profile does not run {', '.join(missing)}",
                f"use one of its scenarios: {', '.join(s.value for s in profile.scenarios)}",
            )
    _say("Timing the model on this machine")
    calibration = time_model(profile, resolved)
    _say(f"  {calibration.describe()}")
    found = find_performance(
        profile,
        resolved,
        calibration,
        scenarios=wanted,
        search_s=args.search_seconds,
        confirm_s=args.confirm_seconds,
        on_probe=lambda probe: _say(f"  {probe.describe()}"),
    )
    for scenario, value in found.items():
        unit = "ms" if scenario in (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM) else "q/s"
        _say(f"target: {scenario.value} {value:,.4g} {unit}")
    if args.json:
        print(json.dumps({s.value: v for s, v in found.items()}))
    if args.no_write:
        _say("--no-write: the profile is unchanged")
    else:
        backup = _write(apply_targets(profile, found), path)
        _say(f"wrote the targets into {path} (it was kept as {backup.name})")
    return int(ExitCode.OK)
