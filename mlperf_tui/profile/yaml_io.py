"""Profiles as YAML: parse and load with line-precise errors, dump and save deterministically.

Only the safe loader is used. ``dump_profile`` gives the same text for the same choices, and
``load_profile(save_profile(p)) == p``.

A profile is small: a file over :data:`MAX_PROFILE_BYTES`, nested deeper than
:data:`MAX_PROFILE_DEPTH` or expanding (through YAML aliases, a "billion laughs") to more than
:data:`MAX_PROFILE_NODES` values is refused before it is built, with the limit in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlperf_tui.errors import ProfileError
from mlperf_tui.profile.errors import (
    ProfileFieldError,
    _duplicate_key,
    _explain,
    _fail,
    _Located,
)
from mlperf_tui.profile.model import SCHEMA_VERSION, Profile

#: the largest profile file read (a real one is a few KiB)
MAX_PROFILE_BYTES = 1 << 20
#: the deepest nesting of mappings and lists (a real profile nests 4 deep)
MAX_PROFILE_DEPTH = 32
#: the most values a profile may expand to, aliases expanded (a real one has about 100)
MAX_PROFILE_NODES = 10_000

_HEADER = (
    "# mlperf-tui profile: the choices of one MLPerf Inference submission (intent only;\n"
    "# detected facts are never stored here). Replay it with:\n"
    "#   mlperf-tui run THIS_FILE --headless\n"
    "# Check it with `mlperf-tui profile check THIS_FILE`. Relative paths are relative to\n"
    "# this file's folder.\n"
)


# -- YAML ------------------------------------------------------------------------------------


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Plain data in the YAML's key order; unset optional values are left out."""
    data: dict[str, Any] = profile.model_dump(mode="json", exclude_none=True)
    if profile.harness == "builtin":
        del data["harness"]  # the default, and every profile before harness: existed
    else:
        del data["backend"]  # ONNX Runtime options: the built-in harness's only
    if not data.get("sweep"):
        data.pop("sweep", None)  # only a sweep's profile has one
    backend = data.get("backend")
    if backend is not None:
        # the newer keys only when set, so that earlier profiles dump as they were written
        for key, default in (
            ("name", "onnxruntime"),
            ("streams", 1),
            ("per_scenario", {}),
            ("auto", False),
        ):
            if backend.get(key) == default:
                del backend[key]
        if backend.get("auto") and profile.backend == type(profile.backend)(auto=True):
            data["backend"] = "auto"
    return data


_TOP_COMMENTS: Mapping[str, str] = {
    "round": "# What to run: the MLPerf Inference round and benchmark",
    "division": "# closed: the reference model and the rules' scenarios; open: free choices",
    "category": "# edge or datacenter (decides the scenarios the rules require)",
    "scenarios": "# LoadGen scenarios to run",
    "modes": "# performance and/or accuracy runs",
    "execution": "# test: short runs, not submittable; valid: the rules' full settings",
    "infer_from_singlestream": "# edge: fill the scenarios the rules allow from SingleStream",
    "harness": "# what produces the results: builtin, endpoint (a serving engine) or import",
    "backend": "# ONNX Runtime options (intra_op_threads 0: sized to the cores)",
    "network": "# network division: the SUT nodes (each runs mlperf-tui serve) LoadGen reaches",
    "endpoint": "# the serving engine's OpenAI-compatible API (the key: an environment variable)",
    "import_from": "# the folder of the other harness's LoadGen logs",
    "targets": "# expected performance per scenario; LoadGen sizes the runs from it",
    "assets": "# model and data set: synthetic stand-ins, a local path, or a URL with sha256",
    "submitter": "# the package's submitter folder and systems-JSON submitter",
    "system_name": "# the name the results table shows for this machine",
    "system": "# answers for systems-JSON fields detection cannot know",
    "power": "# power measurement: the director's power server, the power-dev checkout, NTP",
    "output": "# where results and the package go",
    "sweep": "# mlperf-tui sweep: the values to try per key (every combination is one run)",
}


class _Dumper(yaml.SafeDumper):
    """Block style; lists of scalars stay on one line for readability."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(x, str | int | float | bool) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump_profile(profile: Profile) -> str:
    """The profile as YAML text: a comment header, keys in a fixed order, deterministic."""
    parts = [_HEADER]
    for key, value in profile_to_dict(profile).items():
        if key in _TOP_COMMENTS:
            parts.append("\n" + _TOP_COMMENTS[key] + "\n")
        parts.append(
            yaml.dump(
                {key: value},
                Dumper=_Dumper,
                sort_keys=False,
                default_flow_style=False,
                allow_unicode=True,
                width=100,
            )
        )
    return "".join(parts)


def save_profile(profile: Profile, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``profile`` to ``path``; an existing file is kept unless ``overwrite``."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise ProfileError(
            f"{target} already exists; not overwriting it",
            "choose another file name, or remove the file first",
        )
    text = dump_profile(profile)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if overwrite:  # atomically: a reader never sees half a profile
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        else:  # "x": refuses a file that appeared since the check above
            with target.open("x", encoding="utf-8") as handle:
                handle.write(text)
    except FileExistsError:
        raise ProfileError(
            f"{target} already exists; not overwriting it",
            "choose another file name, or remove the file first",
        ) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ProfileError(
            f"cannot write the profile {target}: {exc.strerror or exc}",
            "check that the folder exists and is writable",
        ) from None
    return target


# -- loading, with line numbers ----------------------------------------------------------------


def _check_size(source: Path, size: int) -> None:
    if size > MAX_PROFILE_BYTES:
        raise _fail(
            source,
            None,
            f"the file is {size} bytes; a profile is at most {MAX_PROFILE_BYTES} bytes",
            "give the path of a profile (profiles/quickstart.yaml is one)",
        )


def _line_of(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None


def _check_shape(text: str, source: Path) -> None:
    """Refuse a document nested too deeply or expanding to too many values, from the parser's
    events alone (building it would recurse, or expand the aliases)."""
    total = 0  # values, aliases expanded
    anchors: dict[str, int] = {}  # anchor -> the values it holds
    #: the open collections: (anchor, values so far)
    open_: list[tuple[str | None, int]] = [(None, 0)]
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_) > MAX_PROFILE_DEPTH:
                    raise _fail(
                        source,
                        _line_of(event),
                        f"the profile nests deeper than {MAX_PROFILE_DEPTH} levels",
                        "a profile nests a few levels deep: see profiles/quickstart.yaml",
                    )
                open_.append((event.anchor, 1))
                added = 1
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, count = open_.pop()
                if anchor is not None:
                    anchors[anchor] = count
                parent_anchor, parent = open_[-1]
                open_[-1] = (parent_anchor, parent + count)
                continue
            elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                if isinstance(event, yaml.AliasEvent):
                    added = anchors.get(str(event.anchor), 1)
                else:
                    added = 1
                    if event.anchor is not None:
                        anchors[event.anchor] = 1
                top_anchor, count = open_[-1]
                open_[-1] = (top_anchor, count + added)
            else:
                continue
            total += added
            if total > MAX_PROFILE_NODES:
                raise _fail(
                    source,
                    _line_of(event),
                    f"the profile expands to more than {MAX_PROFILE_NODES} values (YAML "
                    "aliases repeat what an anchor holds)",
                    "write the values out, without &anchors and *aliases",
                )
    except yaml.YAMLError:
        return  # not YAML: composing it below says where, with the line


def parse_profile(text: str, path: str | Path = "<profile>") -> Profile:
    """Validate YAML ``text``; errors name ``path``, the line, the field and a fix."""
    source = Path(path)
    _check_size(source, len(text))
    _check_shape(text, source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "cannot be parsed"
        raise _fail(
            source,
            line,
            f"not valid YAML: {problem}",
            "check the indentation and quoting on that line",
        ) from None
    except yaml.YAMLError as exc:
        raise _fail(source, None, f"not valid YAML: {exc}", "check the file's syntax") from None
    if root is None:
        raise _fail(
            source,
            None,
            "the profile is empty",
            "start from profiles/quickstart.yaml, or run `mlperf-tui` to write one with the wizard",
        )
    if not isinstance(root, yaml.MappingNode):
        shape = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise _fail(
            source,
            root.start_mark.line + 1,
            f"the profile must be a mapping of keys (schema_version: 1, benchmark: ...), not {shape}",
            "see profiles/quickstart.yaml for the shape",
        )
    dup = _duplicate_key(root)
    if dup:
        raise _fail(
            source,
            dup[2],
            f"{dup[0]} is written twice (lines {dup[1]} and {dup[2]})",
            "keep one of them",
            tuple(dup[0].split(".")),
        )
    located = _Located(root)
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:  # e.g. a tag the safe loader refuses (!!python/...)
        mark = exc.problem_mark or exc.context_mark
        raise _fail(
            source,
            mark.line + 1 if mark else None,
            f"not valid YAML: {exc.problem or exc.context}",
            "remove YAML tags such as !!python/...; write plain values",
        ) from None
    except (ValueError, OverflowError) as exc:  # a number of 5,000 digits, the date 2001-13-45
        raise _fail(
            source,
            None,
            f"a value cannot be read: {str(exc).split(';')[0]}",
            "write long numbers and things that look like dates in quotes (e.g. '2001-13-45')",
        ) from None
    if not isinstance(data, dict):  # pragma: no cover - composed as a mapping above
        raise _fail(source, 1, "the profile must be a mapping", "see profiles/quickstart.yaml")

    version = data.get("schema_version")
    if "schema_version" not in data:
        raise _fail(
            source,
            root.start_mark.line + 1,
            "schema_version is missing",
            f"add schema_version: {SCHEMA_VERSION} as the first line",
            ("schema_version",),
        )
    if version != SCHEMA_VERSION or isinstance(version, bool):
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        raise _fail(
            source,
            located.line_of(("schema_version",)),
            f"schema_version {version!r} is not supported (this mlperf-tui reads version "
            f"{SCHEMA_VERSION})",
            "update mlperf-tui to read newer profiles"
            if newer
            else f"set schema_version: {SCHEMA_VERSION}",
            ("schema_version",),
        )

    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        explained = [_explain(e) for e in exc.errors(include_url=False)]
        # a missing key is often the typo of an unknown one: report the unknown key first
        loc, message, fix = min(
            explained,
            key=lambda e: (e[1].startswith("required key"), located.line_of(e[0])),
        )
        raise _fail(source, located.line_of(loc), message, fix, loc) from None
    except ProfileFieldError as exc:
        raise _fail(source, located.line_of(exc.loc), exc.message, exc.fix, exc.loc) from None


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file; every problem is a ProfileError naming file and line."""
    source = Path(path)
    try:
        with source.open("rb") as handle:  # never more than the limit (a device never ends)
            raw = handle.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        raise ProfileFieldError(
            f"{source}: no such file",
            "check the path (profiles/quickstart.yaml is an example)",
            path=source,
        ) from None
    except IsADirectoryError:
        raise ProfileFieldError(
            f"{source} is a folder, not a profile file",
            "give the path of a .yaml file",
            path=source,
        ) from None
    except OSError as exc:
        raise ProfileFieldError(
            f"{source}: cannot read it ({exc.strerror or exc})",
            "check the file's permissions",
            path=source,
        ) from None
    if len(raw) > MAX_PROFILE_BYTES:
        size = max(len(raw), source.stat().st_size if source.is_file() else 0)
        _check_size(source, size)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileFieldError(
            f"{source}: not a text file (byte {exc.start} is not UTF-8)",
            "give the path of a YAML profile",
            path=source,
        ) from None
    return parse_profile(text, source)
