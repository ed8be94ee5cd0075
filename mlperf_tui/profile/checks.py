"""A profile's choices checked against the MLPerf rules (run by :class:`Profile`'s validator).

Each check raises :class:`ProfileFieldError` with the loc of the offending key, so the loader
can name the line; some also fill in what the rules fix (the round's canonical name, the
benchmark's name, the reference model kind, the order of the system answers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import RulesError, did_you_mean
from mlperf_tui.profile.defaults import QUICKSTART_DATASET_COUNT
from mlperf_tui.profile.errors import ProfileFieldError, _shown
from mlperf_tui.profile.model import _MODE_ORDER, _inferable
from mlperf_tui.rules.model import Category, Division, Execution, Mode, Scenario
from mlperf_tui.rules.systems import value_allowed

if TYPE_CHECKING:
    from mlperf_tui.benchmarks import BenchmarkEntry
    from mlperf_tui.profile.model import ModelAsset, Profile
    from mlperf_tui.rules.model import Benchmark, SystemField

#: scenarios whose target is a throughput (queries per second) or a latency
_QPS_SCENARIOS = (Scenario.OFFLINE, Scenario.SERVER, Scenario.INTERACTIVE)
_LATENCY_SCENARIOS = (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)

#: systems-JSON fields a profile sets through its own top-level keys
_TOP_LEVEL_SYSTEM_FIELDS: tuple[str, ...] = ("division", "submitter", "system_name")

#: a submitter becomes a folder name in the package
_SUBMITTER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
#: the longest submitter or system name: each becomes a folder (or file) name in the package,
#: far below every file system's 255 bytes
MAX_NAME_CHARS = 100
#: what a system name must not hold: it is shown as written and made into the system's folder
_PATH_CHARS = re.compile(r"[/\\\x00-\x1f\x7f]")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


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

    _check_harness(p, bench, round_rules.benchmarks)
    _check_machines(p)

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

    if p.division.strict:
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
                f"the {p.division.value} division requires {_names(required)} for {bench.name} "
                f"({p.category.value}); missing: {_names(missing)}",
                f"add {_names(missing)} to scenarios{hint}, or choose division: open",
                ("scenarios",),
            )
        one_of = rules.required_one_of(bench, p.category)
        if one_of and not any(s in p.scenarios for s in one_of):
            raise ProfileFieldError(
                f"the {p.division.value} division requires one of {_names(one_of)} for {bench.name} "
                f"({p.category.value})",
                f"add one of {_names(one_of)} to scenarios, or choose division: open",
                ("scenarios",),
            )
        missing_modes = [m for m in _MODE_ORDER if m not in p.modes]
        if missing_modes:
            raise ProfileFieldError(
                f"the {p.division.value} division requires both performance and accuracy runs; "
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

    if p.assets is not None:
        _check_model_asset(p.assets.model)
        _check_dataset_asset(p, bench)
    _check_names(p)
    _check_system_answers(p, round_rules.system_fields)


def _check_machines(p: Profile) -> None:
    """Several machines: a Ray backend's cluster and replicas, the network division's nodes."""
    b = p.backend
    ray_keys = [k for k in ("address", "replicas", "per_replica") if getattr(b, k) is not None]
    if b.name != "ray" and ray_keys:
        raise ProfileFieldError(
            f"backend.{ray_keys[0]} is set, but backend.name is {b.name}: it is a Ray setting",
            f"set backend.name: ray, or remove backend.{ray_keys[0]}",
            ("backend", ray_keys[0]),
        )
    if b.name == "ray":
        if p.harness != "builtin":
            raise ProfileFieldError(
                f"backend.name: ray runs the built-in harness's replicas, but harness is "
                f"{p.harness}",
                "set harness: builtin, or backend.name: onnxruntime",
                ("backend", "name"),
            )
        if not (b.address or "").strip():
            raise ProfileFieldError(
                "backend.name is ray, but backend.address is missing",
                "set backend.address: local (a cluster of this machine, started for each "
                "run) or the head's HOST:PORT (ray start --head prints it)",
                ("backend", "address"),
            )
        b.address = b.address.strip() if b.address else b.address
        if b.replicas is None:
            b.replicas = 1
    if p.network is not None and p.division != Division.NETWORK:
        raise ProfileFieldError(
            f"network: is set, but the division is {p.division.value}: LoadGen over the "
            "network is the network division's",
            "set division: network, or remove the network: block (several machines in "
            "closed or open: backend.name: ray)",
            ("network",),
        )
    if p.division == Division.NETWORK:
        if p.category != Category.DATACENTER:
            raise ProfileFieldError(
                "the network division is the datacenter suite's (the inference rules' "
                f"Network Division), not the {p.category.value} category's",
                "set category: datacenter (of the built-in benchmarks, 3d-unet-99 in v6.1), "
                "or choose the closed or open division",
                ("category",),
            )
        if p.harness != "builtin":
            raise ProfileFieldError(
                f"the network division runs the built-in harness's SUT on the nodes, but "
                f"harness is {p.harness}",
                "set harness: builtin, or choose the closed or open division",
                ("harness",),
            )
        if p.network is None:
            raise ProfileFieldError(
                "the network division needs the SUT nodes: the network: block is missing",
                "add network: with nodes: [http://HOST:PORT, ...] (each node runs "
                "mlperf-tui serve PROFILE)",
                ("division",),
            )
        if b.name == "ray":
            raise ProfileFieldError(
                "backend.name: ray does not apply to the network division: its SUT nodes run "
                "the model themselves",
                "set backend.name: onnxruntime (each node's mlperf-tui serve runs it)",
                ("backend", "name"),
            )


def _check_harness(p: Profile, bench: Benchmark, round_benchmarks: Mapping[str, Any]) -> None:
    """What the harness needs: builtin a registry entry and assets, endpoint an LLM benchmark
    and its engine, import the folder of logs; and nothing of another harness."""
    if p.harness != "endpoint" and p.endpoint is not None:
        raise ProfileFieldError(
            f"endpoint: is set, but harness is {p.harness}",
            "set harness: endpoint, or remove the endpoint: block",
            ("endpoint",),
        )
    if p.harness != "import" and p.import_from is not None:
        raise ProfileFieldError(
            f"import_from is set, but harness is {p.harness}",
            "set harness: import, or remove import_from",
            ("import_from",),
        )
    if p.power is not None and p.harness == "import":
        raise ProfileFieldError(
            "power: is set, but harness is import: an imported folder brings its own power "
            "logs (ranging/, run_1/ and power/ beside the LoadGen logs)",
            "remove the power: block; mlperf-tui import picks up the power logs it finds",
            ("power",),
        )
    if p.power is not None and Mode.PERFORMANCE not in p.modes:
        raise ProfileFieldError(
            "power: is set, but the profile has no performance run: power is measured "
            "during the performance runs only",
            "add performance to modes:, or remove the power: block",
            ("power",),
        )
    if p.harness == "builtin":
        try:
            entry = benchmarks.require(bench.name, round_benchmarks)
        except RulesError as exc:
            raise ProfileFieldError(exc.message, exc.fix, ("benchmark",)) from None
        if p.assets is None:
            raise ProfileFieldError(
                "required key assets is missing: the built-in harness needs the model and "
                "the data set",
                "add assets: with model: and dataset: (source: synthetic, path or url)",
                ("harness",),
            )
        _check_model_kind(p, entry)
    elif p.harness == "endpoint":
        try:
            entry = benchmarks.require(bench.name, round_benchmarks, harness=benchmarks.ENDPOINT)
        except RulesError as exc:
            raise ProfileFieldError(exc.message, exc.fix, ("harness",)) from None
        if p.endpoint is None:
            raise ProfileFieldError(
                "harness: endpoint needs the engine: the endpoint: block is missing",
                "add endpoint: with url: http://HOST:PORT/v1 and model: NAME",
                ("harness",),
            )
        if not p.endpoint.url.startswith(("http://", "https://")):
            raise ProfileFieldError(
                f'endpoint.url "{p.endpoint.url}" is not an http(s) URL',
                "write the API's base URL, e.g. http://127.0.0.1:8000/v1",
                ("endpoint", "url"),
            )
        if not p.endpoint.model.strip():
            raise ProfileFieldError(
                "endpoint.model is empty",
                "write the model name the engine serves (its /v1/models lists them)",
                ("endpoint", "model"),
            )
        if p.assets is None:
            raise ProfileFieldError(
                "required key assets is missing: an endpoint run needs the data set of prompts "
                "and the served model's folder (for its tokenizer)",
                "add assets: with model: (source: path, path: the model's folder, or source: "
                "synthetic for the tiny stand-in engine) and dataset:",
                ("harness",),
            )
        _check_model_kind(p, entry)
        if p.assets.dataset.source == "synthetic" and p.assets.model.source != "synthetic":
            raise ProfileFieldError(
                "a synthetic data set is tokenised for the tiny stand-in engine, not for the "
                "model in assets.model",
                "give your data set (assets.dataset.source: path), or use the stand-in engine "
                "(assets.model.source: synthetic)",
                ("assets", "dataset", "source"),
            )
    elif p.harness == "import" and (not p.import_from or not p.import_from.strip()):
        raise ProfileFieldError(
            "harness: import needs the folder of the other harness's logs: import_from is missing",
            "add import_from: /path/to/the/harness/output",
            ("harness",),
        )


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
    model = p.require_assets().model
    loc = ("assets", "model", "kind")
    if model.source == "synthetic" and model.kind is None:
        # the reference's stand-in where there is one, else the first stand-in (an engine's)
        default = entry.default_model.name
        model.kind = (
            default if default in entry.standins or not entry.standins else (entry.standins[0])
        )
    try:
        kind = entry.model(model.kind)
    except RulesError as exc:
        raise ProfileFieldError(exc.message, exc.fix, loc) from None
    if model.source == "synthetic" and kind.name not in entry.standins:
        raise ProfileFieldError(
            f"{kind.name} has no synthetic stand-in",
            f"use a kind that has one ({', '.join(entry.standins)}), or give the model's path",
            loc,
        )
    if p.division.strict and not kind.closed:
        allowed = [k.name for k in entry.models if k.closed]
        raise ProfileFieldError(
            f"the closed division runs the reference model; {kind.name} ({kind.title}) is an "
            "open-division model",
            f"choose division: open, or kind: {' or '.join(allowed)}",
            loc,
        )


def _check_dataset_asset(p: Profile, bench: Benchmark) -> None:
    data = p.require_assets().dataset
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
    """The submitter and the system name become folders in the package: neither may make a
    path (a slash, "..", a NUL, a leading dot) or a name longer than MAX_NAME_CHARS."""
    if p.submitter is not None and len(p.submitter) > MAX_NAME_CHARS:
        raise ProfileFieldError(
            f"submitter is {len(p.submitter)} characters long; at most {MAX_NAME_CHARS} make a "
            "folder name",
            "use the organization's short name, e.g. ACME_Labs",
            ("submitter",),
        )
    if p.submitter is not None and not _SUBMITTER_RE.fullmatch(p.submitter):
        raise ProfileFieldError(
            f"submitter {_shown(p.submitter)} cannot be a folder name in the package",
            "use letters, digits, and . _ + - only, starting with a letter or digit (no "
            "spaces, slashes or leading dot), e.g. ACME_Labs",
            ("submitter",),
        )
    if p.system_name is None:
        return
    name = p.system_name
    if not name.strip():
        raise ProfileFieldError(
            "system_name is empty",
            "remove it (a name is made from the detected hardware) or write one",
            ("system_name",),
        )
    if len(name) > MAX_NAME_CHARS:
        raise ProfileFieldError(
            f"system_name is {len(name)} characters long; at most {MAX_NAME_CHARS} make a "
            "folder name",
            "shorten it; put the details in system: {hw_notes: ...}",
            ("system_name",),
        )
    if _PATH_CHARS.search(name) or name.strip().startswith(".") or ".." in name:
        raise ProfileFieldError(
            f"system_name {_shown(name)} would make a path (a slash, a control character, "
            '"..", or a leading dot), and the package makes a folder of it',
            "write the name without them, e.g. 'Dell R760 with 2x Xeon 8480+'",
            ("system_name",),
        )


def _check_system_answers(p: Profile, fields: Sequence[SystemField]) -> None:
    from mlperf_tui.rules.systems import NETWORK_SYSTEM_FIELDS, POWER_SYSTEM_FIELDS

    by_name = {f.name: f for f in fields}
    if p.power is not None:  # a power result's systems JSON has the power fields too
        by_name.update({f.name: f for f in POWER_SYSTEM_FIELDS})
    if p.division == Division.NETWORK:  # and a network division's the network fields
        by_name.update({f.name: f for f in NETWORK_SYSTEM_FIELDS})
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
