"""Profiles: what a user chose, as YAML that replays headlessly (DESIGN.md, "Profiles").

A profile holds intent only (benchmark, division, category, scenarios, modes, execution,
backend options, asset sources, submitter and system answers), never detected facts. Loading
rejects unknown keys and wrong values with the file, the line, the field and a fix, and checks
the choices against the MLPerf rules before anything runs.

``dump_profile`` is deterministic: the same choices always give the same YAML text, so the
wizard and a hand-written file that mean the same thing are the same file, and
``load_profile(save_profile(p)) == p``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mlperf_tui import benchmarks, rules
from mlperf_tui.benchmarks import BenchmarkEntry
from mlperf_tui.errors import ProfileError, RulesError, did_you_mean
from mlperf_tui.rules.model import (
    Benchmark,
    Category,
    Division,
    Execution,
    Mode,
    Scenario,
    SystemField,
)
from mlperf_tui.rules.systems import value_allowed

SCHEMA_VERSION: Final = 1

#: ONNX Runtime execution providers a profile may name (whether one is installed here is a
#: detected fact, checked when a run starts)
ExecutionProvider = Literal[
    "CPUExecutionProvider",
    "CUDAExecutionProvider",
    "TensorrtExecutionProvider",
    "ROCMExecutionProvider",
    "OpenVINOExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
]
EXECUTION_PROVIDERS: tuple[str, ...] = get_args(ExecutionProvider)

#: where a model or data set comes from
AssetSource = Literal["synthetic", "path", "url"]
#: the synthetic model stand-ins: the ResNet50 v1.5 graph with random weights, or a tiny
#: classifier with the same inputs and outputs (for long valid-execution trials)

#: canonical orders, so the same choices always dump to the same YAML
_SCENARIO_ORDER: tuple[Scenario, ...] = tuple(Scenario)
_MODE_ORDER: tuple[Mode, ...] = tuple(Mode)

#: scenarios whose target is a throughput (queries per second) or a latency
_QPS_SCENARIOS = (Scenario.OFFLINE, Scenario.SERVER, Scenario.INTERACTIVE)
_LATENCY_SCENARIOS = (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)

#: systems-JSON fields a profile sets through its own top-level keys
_TOP_LEVEL_SYSTEM_FIELDS: tuple[str, ...] = ("division", "submitter", "system_name")

#: a submitter becomes a folder name in the package
_SUBMITTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")

_HEADER = (
    "# mlperf-tui profile: the choices of one MLPerf Inference submission (intent only;\n"
    "# detected facts are never stored here). Replay it with:\n"
    "#   mlperf-tui run THIS_FILE --headless\n"
    "# Check it with `mlperf-tui profile check THIS_FILE`. Relative paths are relative to\n"
    "# this file's folder.\n"
)


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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Backend(_Model):
    """How the harness runs the model (ONNX Runtime)."""

    execution_provider: ExecutionProvider = "CPUExecutionProvider"
    #: ONNX Runtime's intra-op threads; 0 lets the harness size them to the cores
    intra_op_threads: int = Field(default=0, ge=0)
    #: samples per inference call in Offline and Server (SingleStream always sends one)
    batch_size: int = Field(default=32, ge=1)


class ScenarioTarget(_Model):
    """What the user expects of one scenario; LoadGen sizes the run from it."""

    #: Offline, Server, Interactive: expected queries per second
    target_qps: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    #: SingleStream, MultiStream: expected latency of one query, milliseconds
    target_latency_ms: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class ModelAsset(_Model):
    """Where the model comes from: a generated stand-in, a local file or a URL."""

    source: AssetSource
    #: which of the benchmark's models it is (mlperf-tui rules BENCHMARK lists them); for a
    #: synthetic stand-in the reference's when not given, for a file or URL the reference
    kind: str | None = None
    path: str | None = None
    url: str | None = None
    sha256: str | None = None


class DatasetAsset(_Model):
    """Where the data set comes from: generated, a local folder or a URL."""

    source: AssetSource
    #: synthetic: how many samples to generate; path/url: use only the first N (test runs)
    count: int | None = Field(default=None, ge=1)
    path: str | None = None
    url: str | None = None
    sha256: str | None = None


class Assets(_Model):
    model: ModelAsset
    dataset: DatasetAsset
    #: seed of the synthetic stand-ins (same seed, same bytes)
    seed: int = Field(default=0, ge=0)


class Profile(_Model):
    """One submission's choices. Field order is the order of the YAML file."""

    schema_version: Literal[1] = SCHEMA_VERSION
    round: str = rules.DEFAULT_ROUND
    benchmark: str
    division: Division
    category: Category
    scenarios: list[Scenario] = Field(min_length=1)
    modes: list[Mode] = Field(default_factory=lambda: list(_MODE_ORDER), min_length=1)
    execution: Execution = Execution.TEST
    #: edge only: fill the scenarios the rules allow from the SingleStream run
    infer_from_singlestream: bool = False
    backend: Backend = Field(default_factory=Backend)
    targets: dict[Scenario, ScenarioTarget] = Field(default_factory=dict)
    assets: Assets
    submitter: str | None = None
    #: the name the results table shows for this machine (systems JSON "system_name")
    system_name: str | None = None
    #: answers for systems-JSON fields detection cannot know (cooling, status, ...)
    system: dict[str, Any] = Field(default_factory=dict)
    #: where results and the package go; None: a folder named by time under ./results
    output: str | None = None

    @field_validator("scenarios")
    @classmethod
    def _canonical_scenarios(cls, value: list[Scenario]) -> list[Scenario]:
        if len(set(value)) != len(value):
            dup = next(s for s in value if value.count(s) > 1)
            raise ValueError(f"{dup.value} is listed twice")
        return sorted(value, key=_SCENARIO_ORDER.index)

    @field_validator("modes")
    @classmethod
    def _canonical_modes(cls, value: list[Mode]) -> list[Mode]:
        if len(set(value)) != len(value):
            dup = next(m for m in value if value.count(m) > 1)
            raise ValueError(f"{dup.value} is listed twice")
        return sorted(value, key=_MODE_ORDER.index)

    @field_validator("targets")
    @classmethod
    def _canonical_targets(
        cls, value: dict[Scenario, ScenarioTarget]
    ) -> dict[Scenario, ScenarioTarget]:
        return {s: value[s] for s in sorted(value, key=_SCENARIO_ORDER.index)}

    @model_validator(mode="after")
    def _check_rules(self) -> Profile:
        _check_against_rules(self)
        return self

    # -- what the runner and packager ask -------------------------------------------------

    def rules_benchmark(self) -> Benchmark:
        """The benchmark's rules in the profile's round."""
        return rules.get_benchmark(self.benchmark, self.round)

    def system_answers(self) -> dict[str, str]:
        """The systems-JSON values this profile fixes: its division, names and answers."""
        answers = {"division": self.division.value, "system_type": self.category.value}
        if self.submitter is not None:
            answers["submitter"] = self.submitter
        if self.system_name is not None:
            answers["system_name"] = self.system_name
        answers.update({k: str(v) for k, v in self.system.items()})
        return answers

    def inferred_scenarios(self) -> tuple[Scenario, ...]:
        """Scenarios the package fills from the SingleStream run (edge, when chosen)."""
        if not self.infer_from_singlestream:
            return ()
        return _inferable(self.rules_benchmark(), self.scenarios)


def _inferable(bench: Benchmark, scenarios: Sequence[Scenario]) -> tuple[Scenario, ...]:
    return tuple(
        s
        for s in _SCENARIO_ORDER
        if bench.inferable_from.get(s) == Scenario.SINGLE_STREAM
        and s not in scenarios
        and Scenario.SINGLE_STREAM in scenarios
    )


def _names(items: Sequence[Any]) -> str:
    return ", ".join(str(getattr(i, "value", i)) for i in items)


def _check_against_rules(p: Profile) -> None:
    """Raise ProfileFieldError (with the field's loc) for the first choice the rules forbid."""
    try:
        round_rules = rules.get_round(p.round)
    except RulesError as exc:
        raise ProfileFieldError(exc.message, exc.fix, ("round",)) from None
    p.round = round_rules.version  # "6.1" -> "v6.1"
    try:
        bench = rules.get_benchmark(p.benchmark, p.round)
    except RulesError as exc:
        raise ProfileFieldError(exc.message, exc.fix, ("benchmark",)) from None
    p.benchmark = bench.name  # the checker's or LoadGen's name for it becomes ours

    try:
        entry = benchmarks.require(bench.name, round_rules.benchmarks)
    except RulesError as exc:
        raise ProfileFieldError(exc.message, exc.fix, ("benchmark",)) from None
    _check_model_kind(p, entry)

    if p.infer_from_singlestream:
        if p.category != Category.EDGE:
            raise ProfileFieldError(
                "scenarios can be inferred from SingleStream only in the edge category",
                "set infer_from_singlestream: false, or category: edge",
                ("infer_from_singlestream",),
            )
        if Scenario.SINGLE_STREAM not in p.scenarios:
            raise ProfileFieldError(
                "infer_from_singlestream needs a SingleStream run, and scenarios has none",
                "add SingleStream to scenarios, or set infer_from_singlestream: false",
                ("infer_from_singlestream",),
            )

    try:
        allowed = rules.allowed_scenarios(bench, p.category, p.division)
    except RulesError as exc:
        raise ProfileFieldError(exc.message, exc.fix, ("category",)) from None
    for i, scenario in enumerate(p.scenarios):
        if scenario in allowed:
            continue
        other = Category.DATACENTER if p.category == Category.EDGE else Category.EDGE
        try:
            elsewhere = scenario in rules.allowed_scenarios(bench, other, p.division)
        except RulesError:
            elsewhere = False
        fix = f"remove {scenario.value}; allowed here: {_names(allowed)}"
        if elsewhere:
            fix += f" (or choose category: {other.value}, where {scenario.value} is allowed)"
        raise ProfileFieldError(
            f"{scenario.value} is not a scenario of {bench.name} in the {p.category.value} "
            f"category ({p.division.value} division)",
            fix,
            ("scenarios", i),
        )

    if p.division == Division.CLOSED:
        required = rules.required_scenarios(bench, p.category)
        inferred = _inferable(bench, p.scenarios) if p.infer_from_singlestream else ()
        missing = [s for s in required if s not in p.scenarios and s not in inferred]
        if missing:
            hint = ""
            if p.category == Category.EDGE and all(
                bench.inferable_from.get(s) == Scenario.SINGLE_STREAM for s in missing
            ):
                hint = " (or set infer_from_singlestream: true with SingleStream listed)"
            raise ProfileFieldError(
                f"the closed division requires {_names(required)} for {bench.name} "
                f"({p.category.value}); missing: {_names(missing)}",
                f"add {_names(missing)} to scenarios{hint}, or choose division: open",
                ("scenarios",),
            )
        one_of = rules.required_one_of(bench, p.category)
        if one_of and not any(s in p.scenarios for s in one_of):
            raise ProfileFieldError(
                f"the closed division requires one of {_names(one_of)} for {bench.name} "
                f"({p.category.value})",
                f"add one of {_names(one_of)} to scenarios, or choose division: open",
                ("scenarios",),
            )
        missing_modes = [m for m in _MODE_ORDER if m not in p.modes]
        if missing_modes:
            raise ProfileFieldError(
                f"the closed division requires both performance and accuracy runs; "
                f"missing: {_names(missing_modes)}",
                "set modes: [performance, accuracy], or choose division: open",
                ("modes",),
            )

    for scenario, target in p.targets.items():
        loc: tuple[str | int, ...] = ("targets", scenario.value)
        if scenario not in p.scenarios:
            raise ProfileFieldError(
                f"a target is set for {scenario.value}, which is not in scenarios",
                f"remove targets.{scenario.value}, or add {scenario.value} to scenarios",
                loc,
            )
        if target.target_qps is None and target.target_latency_ms is None:
            key = "target_latency_ms" if scenario in _LATENCY_SCENARIOS else "target_qps"
            raise ProfileFieldError(
                f"targets.{scenario.value} sets no target",
                f"add {key}: ... under targets.{scenario.value}, or remove it",
                loc,
            )
        if scenario in _LATENCY_SCENARIOS and target.target_qps is not None:
            raise ProfileFieldError(
                f"{scenario.value} is sized by latency, not by queries per second",
                f"use target_latency_ms under targets.{scenario.value}",
                (*loc, "target_qps"),
            )
        if scenario in _QPS_SCENARIOS and target.target_latency_ms is not None:
            raise ProfileFieldError(
                f"{scenario.value} is sized by queries per second, not by latency",
                f"use target_qps under targets.{scenario.value}",
                (*loc, "target_latency_ms"),
            )

    _check_model_asset(p.assets.model)
    _check_dataset_asset(p, bench)
    _check_names(p)
    _check_system_answers(p, round_rules.system_fields)


def _check_source_fields(
    source: str, path: str | None, url: str | None, sha256: str | None, where: str
) -> None:
    loc_base: tuple[str | int, ...] = ("assets", where)
    if source == "path" and not path:
        raise ProfileFieldError(
            f"assets.{where}.source is path, but assets.{where}.path is missing",
            f"add path: /where/the/{where}/is under assets.{where}",
            (*loc_base, "source"),
        )
    if source == "url" and not url:
        raise ProfileFieldError(
            f"assets.{where}.source is url, but assets.{where}.url is missing",
            f"add url: https://... under assets.{where}",
            (*loc_base, "source"),
        )
    if source == "url" and not sha256:
        raise ProfileFieldError(
            f"assets.{where} is downloaded from a URL without a sha256 to verify it",
            f"add sha256: <64 hex digits of the file> under assets.{where}",
            (*loc_base, "url"),
        )
    for key, value in (("path", path), ("url", url)):
        if value is not None and source != key:
            raise ProfileFieldError(
                f"assets.{where}.{key} is set, but assets.{where}.source is {source}",
                f"set source: {key}, or remove {key}",
                (*loc_base, key),
            )
    if sha256 is not None and not _SHA256_RE.match(sha256):
        raise ProfileFieldError(
            f"assets.{where}.sha256 is not a sha256 digest (64 hex digits)",
            "copy the digest from `sha256sum FILE`",
            (*loc_base, "sha256"),
        )
    if sha256 is not None and source == "synthetic":
        raise ProfileFieldError(
            f"assets.{where}.sha256 applies to a path or url source, not to synthetic",
            "remove sha256",
            (*loc_base, "sha256"),
        )


def _check_model_asset(model: ModelAsset) -> None:
    _check_source_fields(model.source, model.path, model.url, model.sha256, "model")


def _check_model_kind(p: Profile, entry: BenchmarkEntry) -> None:
    """assets.model.kind names one of the benchmark's models, allowed in the division."""
    model = p.assets.model
    loc = ("assets", "model", "kind")
    if model.source == "synthetic" and model.kind is None:
        model.kind = entry.default_model.name
    try:
        kind = entry.model(model.kind)
    except RulesError as exc:
        raise ProfileFieldError(exc.message, exc.fix, loc) from None
    if model.source == "synthetic" and kind.standin is None:
        raise ProfileFieldError(
            f"{kind.name} has no synthetic stand-in",
            f"use a kind that has one ({', '.join(entry.standins)}), or give the model's path",
            loc,
        )
    if p.division == Division.CLOSED and not kind.closed:
        allowed = [k.name for k in entry.models if k.closed]
        raise ProfileFieldError(
            f"the closed division runs the reference model; {kind.name} ({kind.title}) is an "
            "open-division model",
            f"choose division: open, or kind: {' or '.join(allowed)}",
            loc,
        )


def _check_dataset_asset(p: Profile, bench: Benchmark) -> None:
    data = p.assets.dataset
    _check_source_fields(data.source, data.path, data.url, data.sha256, "dataset")
    if data.source == "synthetic" and data.count is None:
        raise ProfileFieldError(
            "a synthetic data set needs a size: assets.dataset.count is missing",
            f"add count: {QUICKSTART_DATASET_COUNT} for quick tries, or count: {bench.dataset_size} (the real "
            "data set's size, which execution: valid needs)",
            ("assets", "dataset", "source"),
        )
    if p.execution == Execution.VALID and data.count is not None:
        if data.source == "synthetic" and data.count != bench.dataset_size:
            raise ProfileFieldError(
                f"execution: valid needs the whole data set ({bench.dataset_size} samples for "
                f"{bench.name}), but the synthetic data set has {data.count}",
                f"set assets.dataset.count: {bench.dataset_size}, or execution: test",
                ("assets", "dataset", "count"),
            )
        if data.source != "synthetic":
            raise ProfileFieldError(
                "execution: valid needs the whole data set, but assets.dataset.count limits it",
                "remove count, or set execution: test",
                ("assets", "dataset", "count"),
            )


def _check_names(p: Profile) -> None:
    if p.submitter is not None and not _SUBMITTER_RE.match(p.submitter):
        raise ProfileFieldError(
            f'submitter "{p.submitter}" cannot be a folder name in the package',
            "use letters, digits, and . _ + - only (no spaces or slashes), e.g. ACME_Labs",
            ("submitter",),
        )
    if p.system_name is not None and not p.system_name.strip():
        raise ProfileFieldError(
            "system_name is empty",
            "remove it (a name is made from the detected hardware) or write one",
            ("system_name",),
        )


def _check_system_answers(p: Profile, fields: Sequence[SystemField]) -> None:
    by_name = {f.name: f for f in fields}
    answers: dict[str, Any] = {}
    for key, value in p.system.items():
        loc: tuple[str | int, ...] = ("system", key)
        if key in _TOP_LEVEL_SYSTEM_FIELDS:
            raise ProfileFieldError(
                f"system.{key} is set by the profile's top-level {key} key",
                f"remove system.{key} and write {key}: ... at the top level",
                loc,
            )
        field = by_name.get(key)
        if field is None:
            raise ProfileFieldError(
                f'system.{key}: "{key}" is not a field of the systems JSON'
                + did_you_mean(key, by_name),
                "use one of: " + ", ".join(by_name),
                loc,
            )
        if value is None:
            raise ProfileFieldError(
                f"system.{key} has no value",
                f"write its value ({field.description}), or remove the key",
                loc,
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ProfileFieldError(
                f"system.{key} must be text, got {_shown(value)}",
                "write the value in quotes (YAML reads a bare yes, no, on or off as true or "
                f'false), e.g. {key}: "..."',
                loc,
            )
        text = str(value)
        if field.allowed and not value_allowed(key, text):
            raise ProfileFieldError(
                f'system.{key}: "{text}" is not allowed' + did_you_mean(text, field.allowed),
                "use one of: " + ", ".join(field.allowed),
                loc,
            )
        if key == "system_type" and p.category.value not in text.split(","):
            raise ProfileFieldError(
                f'system.system_type "{text}" does not include the category {p.category.value}',
                f"remove system.system_type (it follows category), or include {p.category.value}",
                loc,
            )
        answers[key] = text
    # checker order, so the same answers always dump the same way
    p.system = {name: answers[name] for name in by_name if name in answers}


# -- YAML ------------------------------------------------------------------------------------


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Plain data in the YAML's key order; unset optional values are left out."""
    data: dict[str, Any] = profile.model_dump(mode="json", exclude_none=True)
    return data


_TOP_COMMENTS: Mapping[str, str] = {
    "round": "# What to run: the MLPerf Inference round and benchmark",
    "division": "# closed: the reference model and the rules' scenarios; open: free choices",
    "category": "# edge or datacenter (decides the scenarios the rules require)",
    "scenarios": "# LoadGen scenarios to run",
    "modes": "# performance and/or accuracy runs",
    "execution": "# test: short runs, not submittable; valid: the rules' full settings",
    "infer_from_singlestream": "# edge: fill the scenarios the rules allow from SingleStream",
    "backend": "# ONNX Runtime options (intra_op_threads 0: sized to the cores)",
    "targets": "# expected performance per scenario; LoadGen sizes the runs from it",
    "assets": "# model and data set: synthetic stand-ins, a local path, or a URL with sha256",
    "submitter": "# the package's submitter folder and systems-JSON submitter",
    "system_name": "# the name the results table shows for this machine",
    "system": "# answers for systems-JSON fields detection cannot know",
    "output": "# where results and the package go",
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


def parse_profile(text: str, path: str | Path = "<profile>") -> Profile:
    """Validate YAML ``text``; errors name ``path``, the line, the field and a fix."""
    source = Path(path)
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
        raw = source.read_bytes()
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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileFieldError(
            f"{source}: not a text file (byte {exc.start} is not UTF-8)",
            "give the path of a YAML profile",
            path=source,
        ) from None
    return parse_profile(text, source)


# -- the embedded default ----------------------------------------------------------------------


def default_profile() -> Profile:
    """The quickstart (profiles/quickstart.yaml): resnet50, open, edge, synthetic assets."""
    return Profile(
        benchmark="resnet50",
        division=Division.OPEN,
        category=Category.EDGE,
        scenarios=[Scenario.SINGLE_STREAM, Scenario.OFFLINE],
        modes=[Mode.PERFORMANCE, Mode.ACCURACY],
        execution=Execution.TEST,
        assets=Assets(
            model=ModelAsset(source="synthetic", kind="resnet50"),
            dataset=DatasetAsset(source="synthetic", count=QUICKSTART_DATASET_COUNT),
        ),
        submitter="Quickstart",
        # what detection cannot know; a real submission answers these for its own machine
        system=dict(QUICKSTART_SYSTEM_ANSWERS),
    )


#: the quickstart's answers to the systems-JSON fields only a person knows, so that its package
#: is complete; the wizard asks for them, and a real submission states its own
QUICKSTART_SYSTEM_ANSWERS = {
    "cooling": "air",
    "host_memory_configuration": "not described (quickstart)",
    "status": "rdi",
}


#: samples in the quickstart's synthetic data set: resnet50's performance sample count, so
#: LoadGen's loaded set is full-size, while generating, preprocessing and the accuracy runs
#: stay well inside the quickstart's three minutes on two cores
QUICKSTART_DATASET_COUNT = 1024


def quickstart_valid_profile() -> Profile:
    """profiles/quickstart-valid.yaml: the quickstart in valid execution, tiny model, full size."""
    base = default_profile()
    bench = rules.get_benchmark(base.benchmark, base.round)
    data = profile_to_dict(base)
    data["execution"] = Execution.VALID.value
    data["assets"]["model"]["kind"] = "tiny"
    data["assets"]["dataset"]["count"] = bench.dataset_size
    return Profile.model_validate(data)


def resolve_profile_path(value: str, profile_file: str | Path | None) -> Path:
    """A path written in a profile: ``~`` expanded; relative ones against the profile's folder."""
    path = Path(value).expanduser()
    if path.is_absolute() or profile_file is None:
        return path
    return Path(profile_file).resolve().parent / path
