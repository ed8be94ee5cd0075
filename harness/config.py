"""RUN.json: the description of one harness run (one LoadGen test: one scenario, one mode).

Example::

    {
      "schema_version": 1,
      "benchmark": "resnet50",
      "loadgen_model": "resnet50",
      "task": "imagenet_classification",
      "task_options": {"preprocessing": "resnet"},
      "scenario": "Offline",
      "mode": "performance",
      "audit_config": null,
      "model_path": "/abs/model.onnx",
      "dataset_path": "/abs/imagenet",
      "dataset_count": null,
      "cache_dir": "/abs/cache",
      "backend": {"name": "onnxruntime", "execution_provider": "CPUExecutionProvider",
                  "intra_op_threads": 0, "batch_size": 32, "streams": 1},
      "server_max_wait_ms": 2.0,
      "user_conf": "/abs/user.conf",
      "output_dir": "/abs/out",
      "progress_interval_s": 0.25
    }

Every key is required except ``audit_config``, ``dataset_count``, ``task_options``,
``server_max_wait_ms``, ``progress_interval_s``, ``endpoint``, ``expected_latency_ns`` (a
SingleStream or MultiStream run's expected query latency in nanoseconds, which LoadGen's
user.conf can only give in whole milliseconds), ``offline_calibrate_s`` (an Offline performance
run: seconds the harness times its own batches before LoadGen starts, then sets LoadGen's
expected QPS to the rate it measured: see harness.__main__.calibrate_offline) and
``backend.streams`` (default 1). Unknown keys are rejected
(with a did-you-mean), so a typo never runs silently with a default. ``task`` is a built-in task name
or ``"package.module:ATTRIBUTE"``; ``task_options`` are the task's own (see its module), a JSON
object of strings, numbers and booleans.

An LLM run against a serving engine (harness.endpoint) has an ``endpoint`` block instead of a
model file: ``model_path`` is then null and ``backend`` may be left out (no runtime is loaded);
``dataset_path`` is the prompt data set (file or folder) and ``task`` names the accuracy
script (``"llm_summarization"``)::

      "model_path": null,
      "endpoint": {
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "llama2-70b",
        "api_key_env": null,
        "timeout_s": 600.0,
        "max_concurrency": 256,
        "max_tokens": 1024,
        "dataset_format": "open-orca",
        "prompt_format": "token_ids",
        "tokenizer_dir": "/abs/Llama-2-70b-chat-hf",
        "extra_body": {}
      }

Only ``base_url``, ``model`` and ``dataset_format`` are required in it (see
:class:`EndpointOptions` for the rest). The API key itself is never in RUN.json: the harness
reads it from the environment variable ``api_key_env`` names.

:class:`RunConfig` is the only reader and writer of RUN.json: :func:`load_run_config` and
:meth:`RunConfig.write`.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

SCHEMA_VERSION = 1
SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
MODES = ("performance", "accuracy")
#: "ray": ONNX Runtime replicas as actors on a Ray cluster (harness.backends.ray)
BACKENDS = ("onnxruntime", "ray")
#: how the network division's query dispatch library picks the SUT node of each request
DISPATCH_POLICIES = ("least_loaded", "round_robin")
#: the prompt data set formats of harness.datasets.llm (kept here so that reading RUN.json
#: imports no data set code)
DATASET_FORMATS = ("open-orca", "cnn-dailymail-llama3", "cnn-dailymail-gptj")
#: how the endpoint SUT sends a prompt: its token ids (a list of ints) or its text
PROMPT_FORMATS = ("token_ids", "text")

_TOP_KEYS = {
    "schema_version",
    "benchmark",
    "loadgen_model",
    "task",
    "task_options",
    "scenario",
    "mode",
    "audit_config",
    "model_path",
    "dataset_path",
    "dataset_count",
    "cache_dir",
    "backend",
    "server_max_wait_ms",
    "user_conf",
    "output_dir",
    "progress_interval_s",
    "endpoint",
    "expected_latency_ns",
    "offline_calibrate_s",
    "network",
}
_OPTIONAL_KEYS = {
    "audit_config",
    "dataset_count",
    "task_options",
    "server_max_wait_ms",
    "progress_interval_s",
    "endpoint",
    "expected_latency_ns",
    "offline_calibrate_s",
    "network",
}
#: also optional in a run with an endpoint block (no model file, no runtime)
_ENDPOINT_OPTIONAL_KEYS = {"model_path", "backend"}
_BACKEND_KEYS = {"name", "execution_provider", "intra_op_threads", "batch_size", "streams", "ray"}
_RAY_KEYS = {"address", "replicas", "num_cpus", "num_gpus", "in_flight"}
_NETWORK_KEYS = {"nodes", "dispatch", "timeout_s", "in_flight"}
_SERVE_KEYS = {
    "schema_version",
    "task",
    "task_options",
    "model_path",
    "backend",
    "sut_name",
    "max_wait_ms",
    "system",
}
_ENDPOINT_KEYS = {
    "base_url",
    "model",
    "api_key_env",
    "timeout_s",
    "max_concurrency",
    "max_tokens",
    "dataset_format",
    "prompt_format",
    "tokenizer_dir",
    "extra_body",
}
#: an ``offline_calibrate_s`` run's expected QPS as a multiple of the rate the harness
#: measured. LoadGen adds its own slack of 1.1 (the Offline query holds expected QPS x min
#: duration x 1.1 samples), so the run meets the min duration unless it runs more than 13.3%
#: faster than measured, and lasts about 1.133 x the min duration when the measurement is
#: right. With 1.0 a run on a shared machine was INVALID by 0.1%: 30 s runs after 8 s
#: timings ran 0.97-1.10 x the timed rate
CALIBRATED_QPS_HEADROOM = 1.03
#: request fields the SUT sets itself; extra_body may not replace them
ENDPOINT_RESERVED_FIELDS = ("model", "prompt", "stream", "max_tokens")


#: a parent that starts the harness (mlperf-tui's runner) puts its pid in this environment
#: variable: when that process dies, even by SIGKILL, the run is cancelled as by SIGINT instead
#: of running on unattended
PARENT_PID_ENV = "HARNESS_PARENT_PID"


@dataclass(frozen=True)
class RayOptions:
    """Where the replicas of a ``backend.name: ray`` run live, and how many there are."""

    #: the cluster: ``"local"`` (the harness starts a one-node cluster of its own for the run
    #: and stops it after), or an existing cluster's address (``host:port`` of its head, or
    #: ``ray://host:port`` of a Ray Client server)
    address: str = "local"
    #: ONNX Runtime replicas, each a Ray actor with its own session
    replicas: int = 1
    #: Ray CPUs each replica reserves (Ray places a replica only where they are free); None:
    #: the replica's intra-op threads (1 when those are 0)
    num_cpus: float | None = None
    #: Ray GPUs each replica reserves (0: none; a CUDA replica needs 1 or a fraction)
    num_gpus: float = 0.0
    #: batches sent ahead to each replica, so it never waits for the next one
    in_flight: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "replicas": self.replicas,
            "num_cpus": self.num_cpus,
            "num_gpus": self.num_gpus,
            "in_flight": self.in_flight,
        }


@dataclass(frozen=True)
class NetworkOptions:
    """The network division: LoadGen and the data set here, the SUT on nodes reached over HTTP.

    The query dispatch library (harness.network.qdl) sends each query's samples to one node's
    SUT service (harness.network.service) and completes them with the node's responses; it
    does no batching, pre- or post-processing of its own (the rules' QDL constraints).
    """

    #: the SUT services' base URLs, e.g. ("http://10.0.0.2:8100", "http://10.0.0.3:8100")
    nodes: tuple[str, ...]
    #: how each request's node is chosen: the one with the fewest samples in flight, or in turn
    dispatch: str = "least_loaded"
    #: seconds one request may take before the run fails with the node named
    timeout_s: float = 60.0
    #: requests in flight per node at most (the rest wait in the dispatcher's queue)
    in_flight: int = 64

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": list(self.nodes),
            "dispatch": self.dispatch,
            "timeout_s": self.timeout_s,
            "in_flight": self.in_flight,
        }


@dataclass(frozen=True)
class BackendOptions:
    """How to run the model: runtime, execution provider, threads, batch size."""

    name: str = "onnxruntime"
    execution_provider: str = "CPUExecutionProvider"
    #: ONNX Runtime intra-op threads; 0 = one per physical core
    intra_op_threads: int = 0
    #: largest batch handed to the runtime (Offline, Server, MultiStream)
    batch_size: int = 32
    #: concurrent inference streams in Offline and Server: each is a thread with its own
    #: runtime session of ``intra_op_threads`` threads (SingleStream and MultiStream use one)
    streams: int = 1
    #: ``name: ray``: the cluster and its replicas (each runs ONNX Runtime with the options
    #: above; ``streams`` is then unused)
    ray: RayOptions | None = None


@dataclass(frozen=True)
class EndpointOptions:
    """An OpenAI-compatible completions endpoint the endpoint SUT sends every sample to."""

    #: the API root, up to and including ``/v1`` (the SUT adds ``/completions``, ``/models``)
    base_url: str
    #: the model name the engine serves (one of ``GET {base_url}/models``)
    model: str
    #: the prompt data set's format (harness.datasets.llm): open-orca, cnn-dailymail-llama3,
    #: cnn-dailymail-gptj
    dataset_format: str
    #: the environment variable holding the API key (sent as ``Authorization: Bearer``);
    #: None: no key. The key itself never appears in RUN.json, a log or an event
    api_key_env: str | None = None
    #: seconds one request may take from sending to its last token; slower ones fail as timeouts
    timeout_s: float = 600.0
    #: requests in flight at once at most (the rest wait in the SUT's queue)
    max_concurrency: int = 256
    #: ``max_tokens`` of each request: the reference's max_new_tokens (llama2-70b 1024,
    #: llama3.1-8b and gpt-j 128)
    max_tokens: int = 1024
    #: send the prompt's token ids (a list of ints) or its text
    prompt_format: str = "token_ids"
    #: the model's folder with tokenizer.json: gpt-j's prompts are tokenised with it, and the
    #: text an engine streams without token ids is tokenised back with it
    tokenizer_dir: Path | None = None
    #: more request fields, sent as they are (``ignore_eos``, ``min_tokens``, vLLM's
    #: ``return_tokens_as_token_ids`` with ``logprobs``, a ``temperature`` other than 0)
    extra_body: Mapping[str, Any] = field(default_factory=dict)

    @property
    def completions_url(self) -> str:
        return f"{self.base_url}/completions"

    @property
    def models_url(self) -> str:
        return f"{self.base_url}/models"

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "model": self.model,
            "api_key_env": self.api_key_env,
            "timeout_s": self.timeout_s,
            "max_concurrency": self.max_concurrency,
            "max_tokens": self.max_tokens,
            "dataset_format": self.dataset_format,
            "prompt_format": self.prompt_format,
            "tokenizer_dir": None if self.tokenizer_dir is None else str(self.tokenizer_dir),
            "extra_body": dict(self.extra_body),
        }


@dataclass(frozen=True)
class RunConfig:
    """One LoadGen test, as read from RUN.json (see the module docstring)."""

    benchmark: str
    loadgen_model: str
    task: str
    scenario: str
    mode: str
    #: the model file; None in an endpoint run (the engine holds the model)
    model_path: Path | None
    dataset_path: Path
    cache_dir: Path
    user_conf: Path
    output_dir: Path
    backend: BackendOptions
    audit_config: Path | None = None
    dataset_count: int | None = None
    task_options: Mapping[str, Any] = field(default_factory=dict)
    server_max_wait_ms: float = 2.0
    progress_interval_s: float = 0.25
    #: the serving engine an endpoint run sends its samples to; None: a built-in runtime run
    endpoint: EndpointOptions | None = None
    #: SingleStream / MultiStream: the expected query latency LoadGen generates its queries
    #: from, in nanoseconds, set on LoadGen's TestSettings after user.conf (whose
    #: ``target_latency`` is read as whole milliseconds); None: user.conf's value stands
    expected_latency_ns: int | None = None
    #: Offline performance: seconds the harness times the SUT's own batches right before
    #: LoadGen starts, setting LoadGen's offline_expected_qps to the rate it measured (after
    #: user.conf); None: user.conf's target_qps stands
    offline_calibrate_s: float | None = None
    #: the network division: the SUT nodes the query dispatch library sends the samples to
    #: (no model is loaded here; ``model_path`` may then be null)
    network: NetworkOptions | None = None

    def write(self, path: Path | str) -> Path:
        """Write this config as RUN.json (atomically: a reader never sees half a file)."""
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        return target

    def to_dict(self) -> dict[str, Any]:
        """The RUN.json form of this config (paths as strings)."""

        def s(p: Path | None) -> str | None:
            return None if p is None else str(p)

        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "benchmark": self.benchmark,
            "loadgen_model": self.loadgen_model,
            "task": self.task,
            "task_options": dict(self.task_options),
            "scenario": self.scenario,
            "mode": self.mode,
            "audit_config": s(self.audit_config),
            "model_path": s(self.model_path),
            "dataset_path": str(self.dataset_path),
            "dataset_count": self.dataset_count,
            "cache_dir": str(self.cache_dir),
            "backend": {
                "name": self.backend.name,
                "execution_provider": self.backend.execution_provider,
                "intra_op_threads": self.backend.intra_op_threads,
                "batch_size": self.backend.batch_size,
                "streams": self.backend.streams,
                **({"ray": self.backend.ray.to_dict()} if self.backend.ray is not None else {}),
            },
            "server_max_wait_ms": self.server_max_wait_ms,
            "user_conf": str(self.user_conf),
            "output_dir": str(self.output_dir),
            "progress_interval_s": self.progress_interval_s,
        }
        if self.endpoint is not None:
            data["endpoint"] = self.endpoint.to_dict()
        if self.expected_latency_ns is not None:
            data["expected_latency_ns"] = self.expected_latency_ns
        if self.offline_calibrate_s is not None:
            data["offline_calibrate_s"] = self.offline_calibrate_s
        if self.network is not None:
            data["network"] = self.network.to_dict()
        return data


def _shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` for a message: one line, at most about ``limit`` characters."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to write out
        text = "a number of thousands of digits"
    except RecursionError:
        text = "a value nested too deeply to show"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _object(where: str, data: Any, allowed: set[str], example: str) -> dict[str, Any]:
    """``data`` as a JSON object of only ``allowed`` keys; ConfigError naming what is not."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} is not an object", f"write {example}")
    for key in data:
        if key not in allowed:
            raise _unknown_key_error(where, key, allowed)
    return data


def _check_schema_version(source: str, version: Any, file: str) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version != SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: schema_version is {_shown(version)}",
            f"this harness reads schema_version {SCHEMA_VERSION}; regenerate {file}",
        )


def _unknown_key_error(where: str, key: str, allowed: set[str]) -> ConfigError:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ConfigError(
        f"{where}: unknown key {_shown(key)}",
        f"{hint}remove it; allowed keys: {', '.join(sorted(allowed))}",
    )


def _choice(where: str, value: Any, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(
        value if isinstance(value, str) else _shown(value), choices, n=1
    )
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(f"{where} is {_shown(value)}", f"{hint}use one of: {', '.join(choices)}")


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} is {_shown(value)}, not a non-empty string", f"set {where}")
    return value


def _int(where: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{where} is {_shown(value)}", f"set {where} to a whole number >= {minimum}"
        )
    return value


def _number(where: str, value: Any, minimum: float, strict: bool = False) -> float:
    """A finite number above ``minimum`` (JSON's NaN and Infinity, and integers too large for a
    float, are refused)."""
    bad = isinstance(value, bool) or not isinstance(value, int | float)
    if not bad:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        bad = not math.isfinite(number) or (number <= minimum if strict else number < minimum)
    if bad:
        rel = ">" if strict else ">="
        raise ConfigError(f"{where} is {_shown(value)}", f"set {where} to a number {rel} {minimum}")
    return number


def _path(where: str, value: Any, kind: str) -> Path:
    """An absolute path; kind: "file" / "dir" / "exists" (either) must exist, "any" need not."""
    text = _string(where, value)
    if "\0" in text:
        raise ConfigError(f"{where} holds a NUL character", f"check {where} in RUN.json")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # "~name/..." of a user this machine does not know
        raise ConfigError(
            f"{where} starts with an unknown home folder ({_shown(text)})",
            "use an absolute path: the harness never depends on its working folder",
        ) from None
    if not path.is_absolute():
        raise ConfigError(
            f"{where} is a relative path ({_shown(text)})",
            "use an absolute path: the harness never depends on its working folder",
        )
    # a path with a line break or another control character is shown quoted, on one line
    shown = text if text.isprintable() and len(text) <= 500 else _shown(text, 200)
    if kind == "file" and not path.is_file():
        raise ConfigError(f"{where}: no such file {shown}", f"check {where} in RUN.json")
    if kind == "dir" and not path.is_dir():
        raise ConfigError(f"{where}: no such folder {shown}", f"check {where} in RUN.json")
    if kind == "exists" and not path.exists():
        raise ConfigError(f"{where}: no such file or folder {shown}", f"check {where} in RUN.json")
    return path


def _plain(value: Any) -> bool:
    """A task option's value: text, a boolean or a finite number."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


def _json_value(value: Any) -> bool:
    """A plain JSON value (what extra_body may hold): no NaN, no objects of other types."""
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_value(v) for k, v in value.items())
    return False


def _json_object(value: Any) -> bool:
    """A JSON object of plain values (a nesting too deep to check is not one)."""
    try:
        return isinstance(value, dict) and _json_value(value)
    except RecursionError:
        return False


def _task_options(options: Any) -> dict[str, Any]:
    """``task_options``: an object of names and plain values; ConfigError otherwise."""
    if not isinstance(options, dict) or not all(
        isinstance(k, str) and _plain(v) for k, v in options.items()
    ):
        raise ConfigError(
            f"task_options is {_shown(options)}",
            'write it as an object of names and plain values, e.g. {"preprocessing": "resnet"}',
        )
    return options


def _base_url(value: Any) -> str:
    text = _string("endpoint.base_url", value).strip().rstrip("/")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("http", "https") or not rest or "/completions" in rest:
        raise ConfigError(
            f"endpoint.base_url is {_shown(value)}",
            "give the API root with its scheme, e.g. http://127.0.0.1:8000/v1 "
            "(the harness adds /completions and /models)",
        )
    return text


def parse_endpoint(data: Any) -> EndpointOptions:
    """The ``endpoint`` block; ConfigError naming the key that is wrong."""
    data = _object("endpoint", data, _ENDPOINT_KEYS, '"endpoint": {"base_url": ...}')
    missing = [k for k in ("base_url", "model", "dataset_format") if k not in data]
    if missing:
        raise ConfigError(
            f"endpoint: missing {', '.join(missing)}", "add the missing keys to the endpoint block"
        )
    key_env = data.get("api_key_env")
    tokenizer = data.get("tokenizer_dir")
    extra = data.get("extra_body", {})
    if not _json_object(extra):
        raise ConfigError(
            f"endpoint.extra_body is {_shown(extra)}",
            'write it as a JSON object of request fields, e.g. {"ignore_eos": false}',
        )
    reserved = sorted(set(extra) & set(ENDPOINT_RESERVED_FIELDS))
    if reserved:
        raise ConfigError(
            f"endpoint.extra_body sets {', '.join(reserved)}, which the harness sets itself",
            "remove them: the model is endpoint.model, the prompt comes from the data set, "
            "streaming is always on and max_tokens is endpoint.max_tokens",
        )
    return EndpointOptions(
        base_url=_base_url(data["base_url"]),
        model=_string("endpoint.model", data["model"]),
        dataset_format=_choice("endpoint.dataset_format", data["dataset_format"], DATASET_FORMATS),
        api_key_env=None if key_env is None else _string("endpoint.api_key_env", key_env),
        timeout_s=_number("endpoint.timeout_s", data.get("timeout_s", 600.0), 0.0, strict=True),
        max_concurrency=_int("endpoint.max_concurrency", data.get("max_concurrency", 256), 1),
        max_tokens=_int("endpoint.max_tokens", data.get("max_tokens", 1024), 1),
        prompt_format=_choice(
            "endpoint.prompt_format", data.get("prompt_format", "token_ids"), PROMPT_FORMATS
        ),
        tokenizer_dir=None
        if tokenizer is None
        else _path("endpoint.tokenizer_dir", tokenizer, "any"),
        extra_body=extra,
    )


def _node_url(where: str, value: Any) -> str:
    text = _string(where, value).strip().rstrip("/")
    scheme, sep, rest = text.partition("://")
    host = rest.split("/", 1)[0]
    if not sep or scheme not in ("http", "https") or not host or "/" in rest:
        raise ConfigError(
            f"{where} is {_shown(value)}",
            "give the SUT service's address with its scheme and port, e.g. http://10.0.0.2:8100",
        )
    return text


def parse_ray(data: Any) -> RayOptions:
    """The ``backend.ray`` block; ConfigError naming the key that is wrong."""
    data = _object("backend.ray", data, _RAY_KEYS, '"ray": {"address": "local"}')
    cpus = data.get("num_cpus")
    return RayOptions(
        address=_string("backend.ray.address", data.get("address", "local")).strip(),
        replicas=_int("backend.ray.replicas", data.get("replicas", 1), 1),
        num_cpus=None if cpus is None else _number("backend.ray.num_cpus", cpus, 0.0),
        num_gpus=_number("backend.ray.num_gpus", data.get("num_gpus", 0.0), 0.0),
        in_flight=_int("backend.ray.in_flight", data.get("in_flight", 2), 1),
    )


def parse_network(data: Any) -> NetworkOptions:
    """The ``network`` block; ConfigError naming the key that is wrong."""
    data = _object("network", data, _NETWORK_KEYS, '"network": {"nodes": [...]}')
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise ConfigError(
            f"network.nodes is {_shown(nodes)}",
            'list the SUT services, e.g. ["http://10.0.0.2:8100", "http://10.0.0.3:8100"]',
        )
    urls = tuple(_node_url(f"network.nodes[{i}]", n) for i, n in enumerate(nodes))
    twice = sorted({u for u in urls if urls.count(u) > 1})
    if twice:
        raise ConfigError(
            f"network.nodes lists {', '.join(twice)} twice", "list each SUT service once"
        )
    return NetworkOptions(
        nodes=urls,
        dispatch=_choice(
            "network.dispatch", data.get("dispatch", "least_loaded"), DISPATCH_POLICIES
        ),
        timeout_s=_number("network.timeout_s", data.get("timeout_s", 60.0), 0.0, strict=True),
        in_flight=_int("network.in_flight", data.get("in_flight", 64), 1),
    )


#: what the network division's rules want in the SUT name (LoadGen's ``sut_name``)
NETWORK_SUT_NAME = "Network SUT"
_SERVE_REQUIRED = ("schema_version", "task", "model_path", "backend", "sut_name")


@dataclass(frozen=True)
class ServeConfig:
    """SERVE.json: what one SUT node of the network division serves (harness.network.service).

    Example::

        {
          "schema_version": 1,
          "task": "imagenet_classification",
          "task_options": {"preprocessing": "resnet"},
          "model_path": "/abs/model.onnx",
          "backend": {"name": "onnxruntime", "execution_provider": "CPUExecutionProvider",
                      "intra_op_threads": 0, "batch_size": 32, "streams": 1},
          "sut_name": "mlperf-tui resnet50 Network SUT",
          "max_wait_ms": 2.0,
          "system": {"host_processor_model_name": "..."}
        }

    ``task_options``, ``max_wait_ms`` and ``system`` are optional. ``backend`` is RUN.json's
    block (:func:`parse_backend`); ``batch_size`` is the largest batch the service runs and
    ``streams`` its worker threads. ``sut_name`` must contain :data:`NETWORK_SUT_NAME`.
    ``system`` is the node's hardware description (written by mlperf-tui), returned as it is.
    :func:`load_serve_config` and :meth:`write` are the only reader and writer of SERVE.json.
    """

    task: str
    model_path: Path
    backend: BackendOptions
    sut_name: str
    task_options: Mapping[str, Any] = field(default_factory=dict)
    #: how long a free worker waits for more requests to fill its batch, at most
    max_wait_ms: float = 2.0
    system: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        b = self.backend
        return {
            "schema_version": SCHEMA_VERSION,
            "task": self.task,
            "task_options": dict(self.task_options),
            "model_path": str(self.model_path),
            "backend": {
                "name": b.name,
                "execution_provider": b.execution_provider,
                "intra_op_threads": b.intra_op_threads,
                "batch_size": b.batch_size,
                "streams": b.streams,
            },
            "sut_name": self.sut_name,
            "max_wait_ms": self.max_wait_ms,
            "system": dict(self.system),
        }

    def write(self, path: Path | str) -> Path:
        """Write this config as SERVE.json (atomically)."""
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        return target


def parse_serve_config(data: Any, source: str = "SERVE.json") -> ServeConfig:
    """Validate the decoded SERVE.json; ConfigError naming the key that is wrong, with the fix."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source} is not a JSON object", "write SERVE.json as {...}")
    for key in data:
        if key not in _SERVE_KEYS:
            raise _unknown_key_error(source, key, _SERVE_KEYS)
    missing = [k for k in _SERVE_REQUIRED if k not in data]
    if missing:
        raise ConfigError(f"{source}: missing {', '.join(missing)}", "add the missing keys")
    _check_schema_version(source, data["schema_version"], "SERVE.json")
    name = _string("sut_name", data["sut_name"])
    if NETWORK_SUT_NAME not in name:
        raise ConfigError(
            f'sut_name "{name}" does not contain "{NETWORK_SUT_NAME}"',
            f'the network division\'s rules want "{NETWORK_SUT_NAME}" in the SUT name: '
            f'e.g. "{name} {NETWORK_SUT_NAME}"',
        )
    backend = parse_backend(data["backend"])
    if backend.name == "ray":
        raise ConfigError(
            "a SUT service runs the model itself; backend.name ray does not apply",
            'use "name": "onnxruntime"',
        )
    options = _task_options(data.get("task_options", {}))
    system = data.get("system", {})
    if not _json_object(system):
        raise ConfigError(
            f"system is {_shown(system)}",
            "write it as a JSON object (the node's systems-JSON values), or leave it out",
        )
    model = _path("model_path", data["model_path"], "any")
    if not model.is_file():
        raise ConfigError(f"model_path: no such file {model}", f"check model_path in {source}")
    return ServeConfig(
        task=_string("task", data["task"]),
        model_path=model,
        backend=backend,
        sut_name=name,
        task_options=options,
        max_wait_ms=_number("max_wait_ms", data.get("max_wait_ms", 2.0), 0.0),
        system=system,
    )


def load_serve_config(path: str | Path) -> ServeConfig:
    """Read and validate SERVE.json; ConfigError (with the fix) for a file that cannot be
    read, is not UTF-8 JSON, or is not a valid config."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read {p}: {e.strerror}", "check the --config path") from e
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{p} is not UTF-8 text (byte {e.start + 1} is not UTF-8)",
            "write SERVE.json as UTF-8 JSON (mlperf-tui serve writes it so)",
        ) from None
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"{p} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})",
            "fix the JSON syntax",
        ) from None
    except (ValueError, RecursionError) as e:
        why = "it nests too deeply" if isinstance(e, RecursionError) else str(e)
        raise ConfigError(f"{p} cannot be read as JSON ({why})", "fix the JSON") from None
    return parse_serve_config(data, source=p.name)


def parse_backend(data: Any) -> BackendOptions:
    """The ``backend`` block (of RUN.json or of a SUT service's SERVE.json)."""
    data = _object("backend", data, _BACKEND_KEYS, '"backend": {"name": ...}')
    if "name" not in data:
        raise ConfigError("backend.name is missing", f"use one of: {', '.join(BACKENDS)}")
    name = _choice("backend.name", data["name"], BACKENDS)
    ray = data.get("ray")
    if name == "ray" and ray is None:
        raise ConfigError(
            "backend.name is ray but backend.ray is missing",
            'add "ray": {"address": "local", "replicas": 2} (or the cluster\'s address)',
        )
    if name != "ray" and ray is not None:
        raise ConfigError(
            f"backend.ray is given but backend.name is {name}",
            'set "name": "ray", or remove the ray block',
        )
    return BackendOptions(
        name=name,
        execution_provider=_string(
            "backend.execution_provider", data.get("execution_provider", "CPUExecutionProvider")
        ),
        intra_op_threads=_int("backend.intra_op_threads", data.get("intra_op_threads", 0), 0),
        batch_size=_int("backend.batch_size", data.get("batch_size", 32), 1),
        streams=_int("backend.streams", data.get("streams", 1), 1),
        ray=None if ray is None else parse_ray(ray),
    )


def parse_run_config(data: Any, source: str = "RUN.json") -> RunConfig:
    """Validate the decoded RUN.json; raises ConfigError that says what is wrong and the fix."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source} is not a JSON object", "write RUN.json as {...}")
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown_key_error(source, key, _TOP_KEYS)
    endpoint = None if data.get("endpoint") is None else parse_endpoint(data["endpoint"])
    optional = _OPTIONAL_KEYS | (
        _ENDPOINT_OPTIONAL_KEYS if endpoint is not None or data.get("network") else set()
    )
    missing = sorted(_TOP_KEYS - optional - set(data))
    if missing:
        raise ConfigError(f"{source}: missing {', '.join(missing)}", "add the missing keys")
    _check_schema_version(source, data["schema_version"], "RUN.json")

    backend = parse_backend(data.get("backend", {"name": "onnxruntime"}))
    network = None if data.get("network") is None else parse_network(data["network"])
    if network is not None and endpoint is not None:
        raise ConfigError(
            "RUN.json has both an endpoint and a network block",
            "keep one: endpoint (a serving engine) or network (SUT nodes of the network division)",
        )
    if network is not None and backend.name == "ray":
        raise ConfigError(
            "a network run's SUT nodes load the model themselves; backend.name ray does not apply",
            'use "name": "onnxruntime" (the nodes\' SUT services run it)',
        )

    audit = data.get("audit_config")
    count = data.get("dataset_count")
    model = data.get("model_path")
    if model is None and endpoint is None and network is None:
        raise ConfigError(
            "model_path is null", "set model_path to the model file (or give an endpoint block)"
        )
    options = _task_options(data.get("task_options", {}))
    return RunConfig(
        benchmark=_string("benchmark", data["benchmark"]),
        loadgen_model=_string("loadgen_model", data["loadgen_model"]),
        task=_string("task", data["task"]),
        task_options=options,
        scenario=_choice("scenario", data["scenario"], SCENARIOS),
        mode=_choice("mode", data["mode"], MODES),
        audit_config=None if audit is None else _path("audit_config", audit, "file"),
        model_path=None if model is None else _path("model_path", model, "file"),
        # an endpoint run's prompts are one file (or the folder holding it)
        dataset_path=_path(
            "dataset_path", data["dataset_path"], "dir" if endpoint is None else "exists"
        ),
        dataset_count=None if count is None else _int("dataset_count", count, 1),
        cache_dir=_path("cache_dir", data["cache_dir"], "any"),
        backend=backend,
        server_max_wait_ms=_number("server_max_wait_ms", data.get("server_max_wait_ms", 2.0), 0.0),
        user_conf=_path("user_conf", data["user_conf"], "file"),
        output_dir=_path("output_dir", data["output_dir"], "any"),
        progress_interval_s=_number(
            "progress_interval_s", data.get("progress_interval_s", 0.25), 0.0, strict=True
        ),
        endpoint=endpoint,
        expected_latency_ns=None
        if data.get("expected_latency_ns") is None
        else _int("expected_latency_ns", data["expected_latency_ns"], 1),
        offline_calibrate_s=None
        if data.get("offline_calibrate_s") is None
        else _number("offline_calibrate_s", data["offline_calibrate_s"], 0.0, strict=True),
        network=network,
    )


def load_run_config(path: str | Path) -> RunConfig:
    """Read and validate RUN.json; ConfigError (with the fix) for anything else than a valid
    config: a file that cannot be read, is not UTF-8 text or not JSON."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read {p}: {e.strerror}", "check the --config path") from e
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{p} is not UTF-8 text (byte {e.start + 1} is not UTF-8)",
            "write RUN.json as UTF-8 JSON (mlperf-tui writes it so)",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"{p} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})",
            "fix the JSON syntax",
        ) from e
    except (ValueError, RecursionError) as e:  # a number of thousands of digits; deep nesting
        why = "it nests too deeply" if isinstance(e, RecursionError) else str(e)
        raise ConfigError(f"{p} cannot be read as JSON ({why})", "fix the JSON") from None
    return parse_run_config(data, source=p.name)
