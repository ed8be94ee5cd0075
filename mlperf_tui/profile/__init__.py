"""Profiles: what a user chose, as YAML that replays headlessly (DESIGN.md, "Profiles").

A profile holds intent only (benchmark, division, category, scenarios, modes, execution,
backend options, asset sources, submitter and system answers), never detected facts. Loading
rejects unknown keys and wrong values with the file, the line, the field and a fix, and checks
the choices against the MLPerf rules before anything runs.

``dump_profile`` is deterministic: the same choices always give the same YAML text, so the
wizard and a hand-written file that mean the same thing are the same file, and
``load_profile(save_profile(p)) == p``.

The parts: :mod:`.model` (the pydantic classes), :mod:`.checks` (the rules checks its
validator runs), :mod:`.errors` (:class:`ProfileFieldError` and pydantic's errors in a user's
words), :mod:`.yaml_io` (parse, load, dump, save) and :mod:`.defaults` (the quickstart).
"""

from __future__ import annotations

from mlperf_tui.profile.defaults import (
    default_profile,
    quickstart_valid_profile,
    resolve_profile_path,
)
from mlperf_tui.profile.errors import ProfileFieldError
from mlperf_tui.profile.model import EXECUTION_PROVIDERS, Profile
from mlperf_tui.profile.yaml_io import (
    dump_profile,
    load_profile,
    parse_profile,
    profile_to_dict,
    save_profile,
)

__all__ = [
    "EXECUTION_PROVIDERS",
    "Profile",
    "ProfileFieldError",
    "default_profile",
    "dump_profile",
    "load_profile",
    "parse_profile",
    "profile_to_dict",
    "quickstart_valid_profile",
    "resolve_profile_path",
    "save_profile",
]
