"""What an import is asked to do: the import profile, and the options that are not intent.

The profile (``harness: import``, ``import_from``) holds what a submission is - benchmark,
round, division, category, scenarios, modes, execution, submitter, system answers - and is
what the results folder keeps, so ``mlperf-tui run`` replays it. The rest says how to read one
particular folder of logs: the data set to score an accuracy log with, whether an INVALID run
may be kept, where the harness's user.conf or systems JSON are, what the model's measurements
are. A replayed profile takes their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import ProfileError, UsageError
from mlperf_tui.rules.checker import MEASUREMENT_FIELDS

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

__all__ = ["ImportRequest", "import_profile", "request_from_profile"]


@dataclass(frozen=True)
class ImportRequest:
    """One import: the profile, the source folder, and how to read it."""

    profile: Profile
    source: Path
    #: the data set an accuracy log is scored on when the harness left no usable accuracy.txt
    accuracy_dataset: Path | None = None
    #: an LLM's tokenizer folder (tokenizer.json), to read its accuracy log's token ids back
    accuracy_tokenizer: Path | None = None
    #: keep an INVALID performance run, or one with LoadGen errors (marked so)
    allow_invalid: bool = False
    #: the harness's user.conf, when it is not beside the logs
    user_conf: Path | None = None
    #: a systems JSON describing the machine the logs come from (the harness's own)
    system_json: Path | None = None
    #: this machine ran the logs: detect it for the systems JSON
    detect_system: bool = False
    #: the harness's name for the package's README ("NVIDIA's TensorRT-LLM harness, v6.1")
    harness_name: str | None = None
    #: measurements.json fields (starting_weights_filename, weight_data_types, ...)
    measurements: Mapping[str, str] = field(default_factory=dict)
    #: the command that asked for the import (provenance)
    command: str = ""


def import_profile(
    *,
    source: Path,
    benchmark: str,
    scenarios: Sequence[str],
    round: str | None = None,
    division: str = "closed",
    category: str = "datacenter",
    modes: Sequence[str] = ("performance", "accuracy"),
    execution: str = "valid",
    submitter: str | None = None,
    system_name: str | None = None,
    system: Mapping[str, Any] | None = None,
) -> Profile:
    """The import profile of these choices; ProfileError when the rules forbid one."""
    from pydantic import ValidationError

    from mlperf_tui import rules
    from mlperf_tui.profile import Profile

    data: dict[str, Any] = {
        "schema_version": 1,
        "round": round or rules.DEFAULT_ROUND,
        "benchmark": benchmark,
        "division": division,
        "category": category,
        "scenarios": list(scenarios),
        "modes": list(modes),
        "execution": execution,
        "harness": "import",
        "import_from": str(source.expanduser().resolve()),
        "system": dict(system or {}),
    }
    if submitter:
        data["submitter"] = submitter
    if system_name:
        data["system_name"] = system_name
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "profile"
        option = {"scenarios": "--scenario", "modes": "--mode", "round": "--round"}.get(
            str(err["loc"][0]) if err["loc"] else "", f"--{where.split('.')[0]}"
        )
        raise ProfileError(
            f"{where}: {str(err['msg']).removeprefix('Value error, ')}",
            f"change {option} (mlperf-tui rules {benchmark} lists what the round allows)",
        ) from None


def measurements_from(values: Mapping[str, str | None]) -> dict[str, str]:
    """The measurements.json fields given (unknown names refused, blanks dropped)."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if name not in MEASUREMENT_FIELDS:
            raise UsageError(
                f"{name} is not a measurements.json field",
                f"use one of {', '.join(MEASUREMENT_FIELDS)}",
            )
        if value is not None and str(value).strip():
            out[name] = str(value).strip()
    return out


def request_from_profile(profile: Profile, profile_path: Path | None = None) -> ImportRequest:
    """The import a ``harness: import`` profile replays (every option at its default)."""
    from mlperf_tui.profile import resolve_profile_path

    if profile.harness != "import" or not profile.import_from:
        raise ProfileError(
            f"a harness: {profile.harness} profile is not an import",
            "set harness: import and import_from: /path/to/the/harness/output",
        )
    source = resolve_profile_path(profile.import_from, profile_path)
    command = "mlperf-tui run " + (str(profile_path) if profile_path else "PROFILE")
    return ImportRequest(profile=profile, source=Path(source), command=command)
