"""The shape of the MLPerf Inference rules as data.

Numbers live once, in the round modules beside this file (``v6_1.py``, ...); code asks them
through these types and never repeats a number. Names follow the rules and the official
submission checker (mlcommons/inference, tools/submission/submission_checker/constants.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Scenario(StrEnum):
    SINGLE_STREAM = "SingleStream"
    MULTI_STREAM = "MultiStream"
    SERVER = "Server"
    OFFLINE = "Offline"
    INTERACTIVE = "Interactive"


class Category(StrEnum):
    EDGE = "edge"
    DATACENTER = "datacenter"


class Division(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


class Mode(StrEnum):
    PERFORMANCE = "performance"
    ACCURACY = "accuracy"


class Execution(StrEnum):
    #: short runs for trying things; the package is built but marked not submittable
    TEST = "test"
    #: the rules' full settings, what a submission needs
    VALID = "valid"


@dataclass(frozen=True)
class AccuracyTarget:
    """One accuracy metric's gate: the run must reach ``threshold`` (and stay <= upper_limit)."""

    metric: str  # the checker's metric name: "acc", "mAP", "F1", "ROUGE1", ...
    reference: float  # the FP32 reference score
    fraction: float  # 0.99 / 0.999 / 0.95; 1.0 where the rules give an absolute bound
    upper_limit: float | None = None  # where the rules set one (tokens per sample, FID, ...)

    @property
    def threshold(self) -> float:
        return self.reference * self.fraction


@dataclass(frozen=True)
class Benchmark:
    """One benchmark in one round."""

    name: str  # our id, as a user types it: "resnet50", "bert-99", "3d-unet-99.9"
    checker_model: str  # the official checker's model name: "resnet"
    loadgen_model: str  # the key of LoadGen's built-in mlperf.conf: "resnet50"
    task: str  # "image classification"
    dataset: str  # "ImageNet 2012 validation"
    dataset_size: int  # samples in the accuracy data set
    reference_model: str  # "ResNet50-v1.5"
    accuracy: tuple[AccuracyTarget, ...]
    required_scenarios: Mapping[Category, tuple[Scenario, ...]]
    #: scenarios a category may add beyond the required ones (the "Server or Interactive" choice)
    optional_scenarios: Mapping[Category, tuple[Scenario, ...]]
    performance_sample_count: int
    #: minimum query count per scenario (the checker's "min-queries")
    min_queries: Mapping[Scenario, int]
    #: Server latency bound (and Interactive where the rules set one), nanoseconds
    latency_bound_ns: Mapping[Scenario, int] = field(default_factory=dict)
    #: time-to-first-token / time-per-output-token bounds for LLMs, nanoseconds, per scenario
    ttft_ns: Mapping[Scenario, int] = field(default_factory=dict)
    tpot_ns: Mapping[Scenario, int] = field(default_factory=dict)
    #: compliance tests the closed division requires: "TEST01", "TEST04", ...
    compliance_tests: tuple[str, ...] = ()
    #: on edge, scenarios that may be inferred from another: {MultiStream: SingleStream, ...}
    inferable_from: Mapping[Scenario, Scenario] = field(default_factory=dict)
    #: samples the accuracy run must cover when it is not the whole data set
    accuracy_sample_count: int | None = None
    #: "99" / "99.9" / "" - which accuracy variant this is
    variant: str = ""
    #: the task module of the built-in harness that runs it, or None
    harness_task: str | None = None
    #: Offline: the least samples one query must hold (the checker's OFFLINE_MIN_SPQ_SINCE_V4,
    #: LoadGen's ``<model>.Offline.min_query_count``)
    offline_min_samples: int | None = None
    #: the checker's "datacenter,edge" tables: a system submitted in both categories at once
    required_scenarios_datacenter_edge: tuple[Scenario, ...] = ()
    optional_scenarios_datacenter_edge: tuple[Scenario, ...] = ()
    #: LoadGen key used for the Interactive scenario (LoadGen runs it as Server with this key)
    loadgen_interactive_model: str | None = None
    #: other names a user may type for this benchmark (besides checker_model and loadgen_model)
    aliases: tuple[str, ...] = ()
    #: TEST01 / TEST04 accuracy tolerance in percent (the checker's get_delta_perc), per metric
    compliance_delta_percent: Mapping[str, float] = field(default_factory=dict)
    #: where the numbers come from, and anything derived rather than copied
    source: str = ""

    @property
    def categories(self) -> tuple[Category, ...]:
        """The categories a closed submission of this benchmark may be made in."""
        return tuple(c for c in Category if c in self.required_scenarios)

    @property
    def server_latency_ns(self) -> int | None:
        return self.latency_bound_ns.get(Scenario.SERVER)


@dataclass(frozen=True)
class Seeds:
    qsl_rng_seed: int
    sample_index_rng_seed: int
    schedule_rng_seed: int


@dataclass(frozen=True)
class SystemField:
    """One field of the systems JSON (<division>/<submitter>/systems/<system>.json)."""

    name: str
    required: bool  # must be non-empty
    description: str
    #: allowed values where the rules fix them (division, system_type, status, ...)
    allowed: tuple[str, ...] = ()
    #: "str" or "int"; the checker expects strings for almost every field
    kind: str = "str"


@dataclass(frozen=True)
class Round:
    """The rules of one MLPerf Inference round."""

    version: str  # "v6.1"
    benchmarks: Mapping[str, Benchmark]
    seeds: Seeds
    min_duration_ms: int
    #: minimum samples per query in Offline (the checker's OFFLINE_MIN_SPQ)
    offline_min_samples: int
    #: the truncated accuracy log in a package may be at most this many bytes
    max_accuracy_log_bytes: int
    system_fields: tuple[SystemField, ...]
    #: the divisions a submission may be made in
    divisions: tuple[Division, ...] = (Division.CLOSED, Division.OPEN)
    #: MultiStream: samples per query (LoadGen's ``*.MultiStream.samples_per_query``)
    multistream_samples_per_query: int = 8
    #: scenarios whose result LoadGen reports through early stopping (the checker's
    #: ``uses_early_stopping``)
    early_stopping_scenarios: tuple[Scenario, ...] = (
        Scenario.SERVER,
        Scenario.SINGLE_STREAM,
        Scenario.MULTI_STREAM,
    )
    #: the largest file a submission package may hold (the checker's FILE_SIZE_LIMIT_MB)
    max_file_bytes: int = 50 * 1024 * 1024
    #: where the numbers come from; says so plainly when a round is derived, not copied
    source: str = ""
    #: True for rounds kept only for the older benchmarks (not in ROUNDS)
    legacy: bool = False
