"""Profile errors: :class:`ProfileFieldError`, and pydantic's errors in a user's words.

A pydantic error becomes one message with the field, the line of the YAML file it is on and a
fix; the composed YAML node tree (:class:`_Located`) maps a loc to that line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from mlperf_tui.errors import ProfileError, did_you_mean
from mlperf_tui.profile.model import Profile


class ProfileFieldError(ProfileError):
    """A profile value that breaks the schema or the rules, at ``loc`` (a path of keys)."""

    def __init__(
        self,
        message: str,
        fix: str = "",
        loc: tuple[str | int, ...] = (),
        *,
        path: Path | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, fix)
        self.loc = loc
        self.path = path
        self.line = line


# -- line numbers, and pydantic's errors in a user's words -------------------------------------


class _Located:
    """The composed YAML node tree: maps a pydantic loc to the line a user should look at."""

    def __init__(self, root: yaml.Node) -> None:
        self.root = root

    def line_of(self, loc: Sequence[str | int]) -> int:
        node: yaml.Node = self.root
        line = node.start_mark.line + 1
        for part in loc:
            if part == "[key]":
                break
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            # a mapping entry: point at its key (an unknown key, or the line a block starts)
            line = (key_node if key_node is not None else node).start_mark.line + 1
        return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return None, item
    return None


def _duplicate_key(node: yaml.Node, trail: tuple[str, ...] = ()) -> tuple[str, int, int] | None:
    """The first key written twice in one mapping: (dotted name, first line, second line)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            line = key_node.start_mark.line + 1
            if name in seen:
                return ".".join((*trail, name)), seen[name], line
            seen[name] = line
            found = _duplicate_key(value_node, (*trail, name))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _duplicate_key(item, trail)
            if found:
                return found
    return None


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _quoted_choices(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (for the list of valid keys)."""
    model: type[BaseModel] | None = Profile
    for part in loc[:-1]:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return model


def _explain(error: Mapping[str, Any]) -> tuple[tuple[str | int, ...], str, str]:
    """A pydantic error as (loc, what was wrong, fix) in a user's words."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind: str = error["type"]
    value = error.get("input")
    name = _dotted(loc)
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = _model_at(loc)
        keys = list(owner.model_fields) if owner else []
        where = f"in {_dotted(loc[:-1])}" if loc[:-1] else "at the top level"
        return (
            loc,
            f'unknown key "{loc[-1]}" {where}{did_you_mean(str(loc[-1]), keys)}',
            ("remove it; valid keys: " + ", ".join(keys)) if keys else "remove it",
        )
    if kind == "missing":
        return (
            loc,
            f"required key {name} is missing",
            f"add {loc[-1]}: ... (see profiles/quickstart.yaml)",
        )
    if kind in ("enum", "literal_error"):
        choices = _quoted_choices(str(ctx.get("expected", "")))
        shown = value if isinstance(value, str) else repr(value)
        what = "key" if loc and loc[-1] == "[key]" else "value"
        return (
            loc,
            f'{name}: "{shown}" is not a valid {what}{did_you_mean(str(value), choices)}',
            "use one of: " + ", ".join(choices),
        )
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": ("at least", "ge"),
            "greater_than": ("more than", "gt"),
            "less_than_equal": ("at most", "le"),
            "less_than": ("less than", "lt"),
        }[kind]
        limit = ctx.get(bound[1])
        return (
            loc,
            f"{name} must be {bound[0]} {limit}, got {value!r}",
            f"set {name} to a number {bound[0]} {limit}",
        )
    if kind in ("too_short",):
        return loc, f"{name} must not be empty", f"list at least one entry under {name}"
    type_words = {
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "float_type": "a number",
        "float_parsing": "a number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "string_type": "text",
        "list_type": "a list",
        "dict_type": "a mapping (key: value lines)",
        "model_type": "a mapping (key: value lines)",
        "model_attributes_type": "a mapping (key: value lines)",
        "finite_number": "a finite number",
    }
    if kind == "list_type" and isinstance(value, str | int | float):
        return (
            loc,
            f"{name} must be a list, got {_shown(value)}",
            f"write it as a list: {loc[-1]}: [{value}]",
        )
    if kind in type_words:
        return (
            loc,
            f"{name} must be {type_words[kind]}, got {_shown(value)}",
            f"write {name} as {type_words[kind]}",
        )
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return loc, f"{name}: {message}", f"correct {name}"


def _shown(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _fail(
    path: Path, line: int | None, message: str, fix: str, loc: tuple[str | int, ...] = ()
) -> ProfileFieldError:
    where = f"{path}, line {line}" if line else str(path)
    return ProfileFieldError(f"{where}: {message}", fix, loc, path=path, line=line)
