"""The profile model: the pydantic classes of a profile's keys and the choices they allow.

The rules checks (:mod:`mlperf_tui.profile.checks`) run from :class:`Profile`'s model
validator; the classes here know only the schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlperf_tui import rules
from mlperf_tui.rules.model import (
    Benchmark,
    Category,
    Division,
    Execution,
    Mode,
    Scenario,
)

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

#: what produces the results: the built-in ONNX Runtime harness, a serving engine's
#: OpenAI-compatible endpoint driven under LoadGen, or another harness's LoadGen logs
Harness = Literal["builtin", "endpoint", "import"]
HARNESSES: tuple[str, ...] = get_args(Harness)

#: one value a sweep tries: a scalar, or a list (``scenarios: [[Offline], [Server]]``)
SweepValue = str | int | float | bool | list[str | int | float | bool]
#: a sweep key: dotted profile keys (``backend.batch_size``, ``targets.Offline.target_qps``)
_SWEEP_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")

#: canonical orders, so the same choices always dump to the same YAML
_SCENARIO_ORDER: tuple[Scenario, ...] = tuple(Scenario)
_MODE_ORDER: tuple[Mode, ...] = tuple(Mode)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StreamSettings(_Model):
    """One scenario's own backend settings (what ``mlperf-tui tune`` found best for it)."""

    intra_op_threads: int | None = Field(default=None, ge=0)
    batch_size: int | None = Field(default=None, ge=1)
    streams: int | None = Field(default=None, ge=1)


class PerReplica(_Model):
    """What each Ray replica reserves on its node (Ray places a replica only where it fits)."""

    #: Ray CPUs; None: the replica's intra-op threads (1 when those are 0)
    num_cpus: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    #: Ray GPUs (a CUDA replica needs 1, or a fraction to share a GPU)
    num_gpus: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    #: batches sent ahead to each replica, so it never waits for the next one
    in_flight: int = Field(default=2, ge=1)


#: what runs the model: ONNX Runtime in the harness's process, or ONNX Runtime replicas as
#: actors on a Ray cluster (the harness sends them the batches)
BackendName = Literal["onnxruntime", "ray"]
BACKEND_NAMES: tuple[str, ...] = get_args(BackendName)


class Backend(_Model):
    """How the harness runs the model (ONNX Runtime, here or in replicas on a Ray cluster)."""

    name: BackendName = "onnxruntime"
    #: ray: the cluster: ``local`` (the harness starts a one-node cluster for each run and
    #: stops it after), or the head's ``host:port`` (``ray://host:port`` for Ray Client)
    address: str | None = None
    #: ray: the ONNX Runtime replicas, each an actor with its own session of
    #: intra_op_threads threads (``streams`` is then unused)
    replicas: int | None = Field(default=None, ge=1)
    #: ray: what each replica reserves, and how many batches it is sent ahead
    per_replica: PerReplica | None = None
    execution_provider: ExecutionProvider = "CPUExecutionProvider"
    #: ONNX Runtime's intra-op threads; 0 lets the harness size them to the cores
    intra_op_threads: int = Field(default=0, ge=0)
    #: samples per inference call in Offline and Server (SingleStream always sends one)
    batch_size: int = Field(default=32, ge=1)
    #: concurrent inference streams in Offline and Server, each with its own runtime session
    #: of intra_op_threads threads (``mlperf-tui tune`` finds the best mix for the machine)
    streams: int = Field(default=1, ge=1)
    #: settings of one scenario that differ from the ones above
    per_scenario: dict[Scenario, StreamSettings] = Field(default_factory=dict)
    #: tune the settings on this machine before the runs (``backend: auto`` in YAML); the
    #: result is kept per machine and model, so only the first run pays for the sweep
    auto: bool = False

    @model_validator(mode="before")
    @classmethod
    def _auto_shorthand(cls, value: Any) -> Any:
        return {"auto": True} if value == "auto" else value

    def for_scenario(self, scenario: Scenario) -> tuple[int, int, int]:
        """(intra_op_threads, batch_size, streams) of one scenario."""
        own = self.per_scenario.get(scenario)
        threads, batch, streams = self.intra_op_threads, self.batch_size, self.streams
        if own is not None:
            threads = own.intra_op_threads if own.intra_op_threads is not None else threads
            batch = own.batch_size if own.batch_size is not None else batch
            streams = own.streams if own.streams is not None else streams
        return threads, batch, streams


class Endpoint(_Model):
    """A serving engine's OpenAI-compatible completions endpoint (``harness: endpoint``)."""

    #: the API's base URL, e.g. http://127.0.0.1:8000/v1
    url: str
    #: the model name the engine serves (the request's "model")
    model: str
    #: the environment variable that holds the API key (never the key itself); None: no key
    api_key_env: str | None = None
    #: seconds one request may take before it counts as failed
    timeout_s: float = Field(default=600.0, gt=0, allow_inf_nan=False)
    #: requests in flight at once, at most
    max_concurrency: int = Field(default=256, ge=1)
    #: tokens each answer may have; None: the reference's (llama2-70b 1024, the others 128).
    #: A smaller value makes test runs quick and is not submittable
    max_tokens: int | None = Field(default=None, ge=1)
    #: what the prompt is sent as: the data set's token ids (vLLM, SGLang, TensorRT-LLM) or
    #: its text (engines that take only text, such as llama.cpp's server)
    prompt_format: Literal["token_ids", "text"] = "token_ids"


#: how the network division's dispatcher picks each request's SUT node
DispatchPolicy = Literal["least_loaded", "round_robin"]


class Network(_Model):
    """The network division: LoadGen and the data set on this machine, the SUT on nodes that
    each run ``mlperf-tui serve`` (the harness's own task and backend behind a small HTTP
    service); the dispatcher sends every query over the network and does no batching."""

    #: each SUT node's service, ``http://HOST:PORT`` (what ``mlperf-tui serve`` prints)
    nodes: list[str] = Field(min_length=1)
    #: least_loaded: the node with the fewest samples in flight; round_robin: in turn
    dispatch: DispatchPolicy = "least_loaded"
    #: seconds one request may take before the run fails with the node named
    timeout_s: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    #: requests in flight per node at most
    in_flight: int = Field(default=64, ge=1)

    @field_validator("nodes")
    @classmethod
    def _node_urls(cls, value: list[str]) -> list[str]:
        urls = [v.strip().rstrip("/") for v in value]
        for url in urls:
            scheme, sep, rest = url.partition("://")
            if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
                raise ValueError(
                    f"{url!r} is not a SUT service address such as http://10.0.0.2:8100"
                )
        twice = sorted({u for u in urls if urls.count(u) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} is listed twice")
        return urls


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


#: an analyser channel as PTDaemon's ``-c`` takes it: one number, or two for a multichannel one
_CHANNEL = re.compile(r"[0-9]+(,[0-9]+)?")


class Power(_Model):
    """Power measurement through the official MLCommons power client and server (power-dev):
    where the director's power server is, the user's power-dev checkout, the NTP server both
    machines sync with, and the ranging limits (mlperf_tui.power)."""

    #: host name or IP address of the director (the machine running PTDaemon and the server)
    director: str = Field(min_length=1)
    #: the power server's port (its config's ``listen``)
    port: int = Field(default=4950, ge=1, le=65535)
    #: the power-dev checkout the client runs from (unmodified: its checksums are checked)
    checkout: str = Field(min_length=1)
    #: the NTP server the director and this machine both sync with
    ntp: str = Field(min_length=1)
    #: ranging: the highest current and voltage the analyser may see (0: found by ranging)
    max_amps: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    max_volts: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    #: the analyser's channel(s) (PTDaemon's ``-c``, set in the server's config), for the
    #: records; None: a one-channel analyser
    channel: str | None = None
    #: PTDaemon's log as this machine sees it, a path or a glob (the newest match is read):
    #: the power server keeps it in its temporary folder (``tmp*/ptd_logfile_1.log``), so
    #: this works when the director is this machine or shares that folder; the monitor then
    #: shows the watts as the log grows. None: the watts are known after each run only
    live_log: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel_shape(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL.fullmatch(value):
            raise ValueError(
                f"channel {value!r} is not one number or two separated by a comma (e.g. 1 or 1,2)"
            )
        return value

    @field_validator("director", "ntp", "checkout")
    @classmethod
    def _no_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


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
    #: what produces the results (builtin: mlperf-tui's ONNX Runtime harness)
    harness: Harness = "builtin"
    #: builtin: how ONNX Runtime runs the model
    backend: Backend = Field(default_factory=Backend)
    #: builtin, network division: the SUT nodes LoadGen reaches over the network
    network: Network | None = None
    #: endpoint: the serving engine to drive
    endpoint: Endpoint | None = None
    #: import: the folder of another harness's LoadGen output
    import_from: str | None = None
    targets: dict[Scenario, ScenarioTarget] = Field(default_factory=dict)
    #: builtin (and endpoint: the data set): the model and data set
    assets: Assets | None = None
    submitter: str | None = None
    #: the name the results table shows for this machine (systems JSON "system_name")
    system_name: str | None = None
    #: answers for systems-JSON fields detection cannot know (cooling, status, ...)
    system: dict[str, Any] = Field(default_factory=dict)
    #: power measurement with the official power client and server; None: no power result
    power: Power | None = None
    #: where results and the package go; None: a folder named by time under ./results
    output: str | None = None
    #: ``mlperf-tui sweep``: profile keys (dotted, ``backend.batch_size``) and the values to
    #: try; every combination is one run. ``mlperf-tui run`` runs the profile as it stands
    sweep: dict[str, list[SweepValue]] = Field(default_factory=dict)

    @field_validator("sweep")
    @classmethod
    def _sweep_shape(cls, value: dict[str, list[SweepValue]]) -> dict[str, list[SweepValue]]:
        for key, values in value.items():
            if not _SWEEP_KEY.fullmatch(key):
                raise ValueError(
                    f"sweep key {key!r} is not a profile key such as backend.batch_size"
                )
            if not values:
                raise ValueError(f"sweep: {key} has no value to try")
            if len({repr(v) for v in values}) != len(values):
                raise ValueError(f"sweep: {key} lists a value twice")
        return value

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
        # imported here, not at the top: checks imports this module (an import cycle)
        from mlperf_tui.profile.checks import _check_against_rules

        _check_against_rules(self)
        return self

    # -- what the runner and packager ask -------------------------------------------------

    def require_assets(self) -> Assets:
        """The model and data set of a profile that has them (the built-in harness's)."""
        if self.assets is None:
            from mlperf_tui.errors import ProfileError

            raise ProfileError(
                f"a harness: {self.harness} profile has no assets",
                "add assets: (model and dataset) to the profile",
            )
        return self.assets

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
