"""Answers <-> profile: the flat answers the steps ask, and the profile they build.

Answers are a flat mapping from a question's ``key`` to its value. The defaults are the answers
of the embedded quickstart profile (:func:`mlperf_tui.profile.default_profile`), so a user who
accepts every default gets exactly ``profiles/quickstart.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlperf_tui import benchmarks
from mlperf_tui.errors import ProfileError
from mlperf_tui.profile import (
    Profile,
    default_profile,
    dump_profile,
    load_profile,
    profile_to_dict,
    save_profile,
)
from mlperf_tui.rules.model import Division, Scenario
from mlperf_tui.rules.systems import NETWORK_SYSTEM_FIELDS
from mlperf_tui.wizard.machines_step import machines_answers, machines_data
from mlperf_tui.wizard.model import Answers
from mlperf_tui.wizard.power_step import power_answers, power_data

#: scenarios sized by a latency target (ms); the others by queries per second
LATENCY_SCENARIOS: tuple[Scenario, ...] = (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)

#: prefix of the answers that go to the systems JSON (profile ``system:``)
SYSTEM_PREFIX = "system."
#: prefix of the per-scenario targets (profile ``targets:``)
TARGET_PREFIX = "target."

#: the systems-JSON fields of the network division only
_NETWORK_FIELDS: frozenset[str] = frozenset(f.name for f in NETWORK_SYSTEM_FIELDS)

#: what the engine questions start from (a local OpenAI-compatible server's usual address)
ENDPOINT_DEFAULTS: Mapping[str, Any] = {
    "endpoint_url": "http://127.0.0.1:8000/v1",
    "endpoint_model": "",
    "endpoint_api_key_env": "",
    "endpoint_timeout_s": 600.0,
    "endpoint_max_concurrency": 256,
    "endpoint_max_tokens": None,
    "endpoint_prompt_format": "token_ids",
}


def _entry(a: Mapping[str, Any]) -> benchmarks.BenchmarkEntry | None:
    """The registry entry of the answers' benchmark for their harness (built in or engine)."""
    return benchmarks.get(str(a.get("benchmark", "")), harness=str(a.get("harness") or "builtin"))


def _default_kind(benchmark: str, harness: str = "builtin") -> str:
    entry = benchmarks.get(benchmark, harness=harness)
    return entry.default_model.name if entry else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def answers_from_profile(profile: Profile) -> Answers:
    """The answers that build ``profile`` (used for the defaults and for "open a profile")."""
    data = profile_to_dict(profile)
    backend = data.get("backend")
    if not isinstance(backend, dict):  # "auto", or no backend block
        backend = profile.backend.model_dump(mode="json")
    answers: Answers = {
        "start": "new",
        "open_path": "",
        "round": data["round"],
        "benchmark": data["benchmark"],
        "harness": profile.harness,
        "division": data["division"],
        "category": data["category"],
        "scenarios": list(data["scenarios"]),
        "modes": list(data["modes"]),
        "infer_from_singlestream": bool(data.get("infer_from_singlestream", False)),
        "execution": data["execution"],
        "execution_provider": backend["execution_provider"],
        "intra_op_threads": int(backend["intra_op_threads"]),
        "batch_size": int(backend["batch_size"]),
        "streams": int(backend.get("streams", 1)),
        "backend_per_scenario": dict(backend.get("per_scenario") or {}),
        "import_from": data.get("import_from", ""),
        "submitter": data.get("submitter", ""),
        "system_name": data.get("system_name", ""),
        "output": data.get("output", ""),
        **ENDPOINT_DEFAULTS,
        **machines_answers(backend, data.get("network")),
        **power_answers(data.get("power")),
    }
    endpoint = data.get("endpoint")
    if endpoint:
        answers.update(
            {
                "endpoint_url": endpoint["url"],
                "endpoint_model": endpoint["model"],
                "endpoint_api_key_env": endpoint.get("api_key_env", ""),
                "endpoint_timeout_s": float(endpoint["timeout_s"]),
                "endpoint_max_concurrency": int(endpoint["max_concurrency"]),
                "endpoint_max_tokens": endpoint.get("max_tokens"),
                "endpoint_prompt_format": endpoint.get("prompt_format", "token_ids"),
            }
        )
    assets = data.get("assets")
    if assets:
        model, dataset = assets["model"], assets["dataset"]
        answers.update(
            {
                "model_source": model["source"],
                "model_kind": model.get("kind")
                or _default_kind(str(data["benchmark"]), profile.harness),
                "model_path": model.get("path", ""),
                "model_url": model.get("url", ""),
                "model_sha256": model.get("sha256", ""),
                "dataset_source": dataset["source"],
                "dataset_count": dataset.get("count"),
                "dataset_path": dataset.get("path", ""),
                "dataset_url": dataset.get("url", ""),
                "dataset_sha256": dataset.get("sha256", ""),
                "assets_seed": int(assets.get("seed", 0)),
            }
        )
    else:
        quick = answers_from_profile(default_profile())
        answers.update({k: v for k, v in quick.items() if k.startswith(("model_", "dataset_"))})
        answers["assets_seed"] = quick["assets_seed"]
        answers["model_kind"] = _default_kind(str(data["benchmark"]), profile.harness)
    for key, value in data.get("system", {}).items():
        answers[SYSTEM_PREFIX + key] = str(value)
    for scenario, target in data.get("targets", {}).items():
        value = target.get("target_latency_ms", target.get("target_qps"))
        answers[TARGET_PREFIX + scenario] = value
    return answers


def default_answers() -> Answers:
    """The quickstart's answers."""
    return answers_from_profile(default_profile())


def _assets_data(a: Mapping[str, Any]) -> dict[str, Any]:
    model: dict[str, Any] = {"source": a["model_source"]}
    default_kind = _default_kind(str(a["benchmark"]), str(a.get("harness") or "builtin"))
    kind = str(a.get("model_kind") or default_kind)
    entry = _entry(a)
    if entry is not None and kind not in [k.name for k in entry.models]:
        kind = default_kind  # a model of the benchmark chosen before this one
    if (
        entry is not None
        and a["model_source"] == "synthetic"
        and kind not in entry.standins
        and entry.standins
    ):
        kind = entry.standins[0]  # the reference has no stand-in: the first model that has
    if a["model_source"] == "synthetic":
        model["kind"] = kind
    elif kind and kind != default_kind:
        model["kind"] = kind  # a file or URL of another model than the reference
    if a["model_source"] == "path":
        model["path"] = str(a.get("model_path", "")).strip()
    elif a["model_source"] == "url":
        model["url"] = str(a.get("model_url", "")).strip()
    if a["model_source"] != "synthetic" and not _blank(a.get("model_sha256")):
        model["sha256"] = str(a["model_sha256"]).strip()
    dataset: dict[str, Any] = {"source": a["dataset_source"]}
    if not _blank(a.get("dataset_count")):
        dataset["count"] = int(a["dataset_count"])
    if a["dataset_source"] == "path":
        dataset["path"] = str(a.get("dataset_path", "")).strip()
    elif a["dataset_source"] == "url":
        dataset["url"] = str(a.get("dataset_url", "")).strip()
    if a["dataset_source"] != "synthetic" and not _blank(a.get("dataset_sha256")):
        dataset["sha256"] = str(a["dataset_sha256"]).strip()
    return {"model": model, "dataset": dataset, "seed": int(a.get("assets_seed", 0))}


def _endpoint_data(a: Mapping[str, Any]) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "url": str(a.get("endpoint_url", "")).strip(),
        "model": str(a.get("endpoint_model", "")).strip(),
    }
    if not _blank(a.get("endpoint_api_key_env")):
        endpoint["api_key_env"] = str(a["endpoint_api_key_env"]).strip()
    endpoint["timeout_s"] = float(a.get("endpoint_timeout_s") or 600.0)
    endpoint["max_concurrency"] = int(a.get("endpoint_max_concurrency") or 256)
    if not _blank(a.get("endpoint_max_tokens")):
        endpoint["max_tokens"] = int(a["endpoint_max_tokens"])
    if a.get("endpoint_prompt_format") == "text":
        endpoint["prompt_format"] = "text"
    return endpoint


def profile_data(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as plain data (before validation), from the answers."""
    a = answers
    harness = str(a.get("harness") or "builtin")
    # the network-mode systems-JSON fields belong to the network division's answers only
    network = a.get("division") == Division.NETWORK.value
    scenarios = [str(s) for s in a["scenarios"]]
    targets: dict[str, Any] = {}
    for scenario in scenarios:
        value = a.get(TARGET_PREFIX + scenario)
        if value is None or _blank(value):
            continue
        key = "target_latency_ms" if scenario in LATENCY_SCENARIOS else "target_qps"
        targets[scenario] = {key: float(value)}

    data: dict[str, Any] = {
        "schema_version": 1,
        "round": a["round"],
        "benchmark": a["benchmark"],
        "division": a["division"],
        "category": a["category"],
        "scenarios": scenarios,
        "modes": [str(m) for m in a["modes"]],
        "execution": a["execution"],
        "infer_from_singlestream": bool(a.get("infer_from_singlestream", False)),
        "harness": harness,
        "targets": targets,
        "system": {
            key.removeprefix(SYSTEM_PREFIX): str(value).strip()
            for key, value in a.items()
            if key.startswith(SYSTEM_PREFIX)
            and not _blank(value)
            and (network or key.removeprefix(SYSTEM_PREFIX) not in _NETWORK_FIELDS)
        },
    }
    ray, nodes = machines_data(a)
    if harness == "builtin":
        data["backend"] = {
            **ray,  # name, address, replicas, per_replica of a Ray cluster; none for one machine
            "execution_provider": a["execution_provider"],
            "intra_op_threads": int(a["intra_op_threads"]),
            "batch_size": int(a["batch_size"]),
            "streams": int(a.get("streams", 1)),
            # what the calibration's sweep chose per scenario (no question of its own)
            "per_scenario": dict(a.get("backend_per_scenario") or {}),
        }
        data["assets"] = _assets_data(a)
    elif harness == "endpoint":
        data["endpoint"] = _endpoint_data(a)
        data["assets"] = _assets_data(a)
    else:
        data["import_from"] = str(a.get("import_from", "")).strip()
    if nodes is not None:
        data["network"] = nodes
    for key in ("submitter", "system_name", "output"):
        if not _blank(a.get(key)):
            data[key] = str(a[key]).strip()
    # the power step is not asked of an import (its folder brings its own power logs)
    power = power_data(a) if harness != "import" else None
    if power is not None:
        data["power"] = power
    return data


def build_profile(answers: Mapping[str, Any]) -> Profile:
    """Validate the answers as a profile; a ProfileError says which answer breaks which rule."""
    from pydantic import ValidationError

    try:
        return Profile.model_validate(profile_data(answers))
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ProfileError(
            f"{where}: {str(err['msg']).removeprefix('Value error, ')}",
            "go back to the step that asks it and change the answer",
        ) from None


def profile_text(answers: Mapping[str, Any]) -> str:
    """The YAML the wizard saves for these answers."""
    return dump_profile(build_profile(answers))


def save_answers(answers: Mapping[str, Any], path: str | Path, *, overwrite: bool = False) -> Path:
    """Save the profile the answers build; an existing file is kept unless ``overwrite``."""
    return save_profile(build_profile(answers), path, overwrite=overwrite)


def open_profile(path: str | Path) -> Answers:
    """The answers of a saved profile (the wizard's "open" start)."""
    answers = answers_from_profile(load_profile(path))
    answers["start"] = "open"
    answers["open_path"] = str(path)
    return answers
