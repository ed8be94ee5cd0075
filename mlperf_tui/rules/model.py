"""The shape of the MLPerf Inference rules as data.

Numbers live once, in the round modules beside this file (``v6_1.py``, ...); code asks them
through these types and never repeats a number. Names follow the rules and the official
submission checker (mlcommons/inference, tools/submission/submission_checker/constants.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


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
    #: LoadGen over the network (the checker's VALID_DIVISIONS); closed rules, network SUT
    NETWORK = "network"

    @property
    def strict(self) -> bool:
        """Held to the closed rules (scenarios, compliance tests, accuracy targets)."""
        return self is not Division.OPEN


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
    """One accuracy metric's gate.

    The run must reach ``threshold`` (``reference * fraction``) where the checker sets a lower
    bound, and stay at or below ``upper_limit`` where it sets one. ``reference`` is None for a
    metric the checker bounds from above only (gpt-oss-120b's tokens per sample).
    """

    metric: str  # the checker's metric name: "acc", "mAP", "F1", "ROUGE1", ...
    reference: float | None  # the FP32 reference score; None: no lower bound
    fraction: float = 1.0  # 0.99 / 0.999 / 0.95; 1.0 where the rules give an absolute bound
    upper_limit: float | None = None  # where the rules set one (tokens per sample, FID, ...)

    @property
    def threshold(self) -> float | None:
        """The lower bound the checker compares with, or None where it has none."""
        return None if self.reference is None else self.reference * self.fraction

    def describe(self) -> str:
        """The gate in words: "acc >= 75.6954 (99% of 76.46)", "FID_SCORE <= 23.95"."""
        parts = []
        if self.threshold is not None:
            text = f"{self.metric} >= {self.threshold:.6g}"
            if self.fraction != 1.0:
                text += f" ({self.fraction * 100:g}% of {self.reference:g})"
            parts.append(text)
        if self.upper_limit is not None:
            bound = f"<= {self.upper_limit:.6g}"
            parts.append(bound if parts else f"{self.metric} {bound}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark in one round: what it is, and the round's numbers for it."""

    name: str  # our id, as a user types it: "resnet50", "bert-99", "3d-unet-99.9"
    checker_model: str  # the official checker's model name: "resnet"
    loadgen_model: str  # the key of LoadGen's built-in mlperf.conf: "resnet50"
    task: str  # "image classification"
    dataset: str  # "ImageNet 2012 validation"
    dataset_size: int  # samples in the accuracy data set
    reference_model: str  # "ResNet50-v1.5"
    #: the accuracy gates of every scenario without its own (the checker's "accuracy-target"
    #: with "accuracy-upper-limit" folded in)
    accuracy: tuple[AccuracyTarget, ...]
    #: the checker's "required-scenarios-edge" / "-datacenter" tables; a category missing here
    #: is one the checker does not accept the benchmark in
    required_scenarios: Mapping[Category, tuple[Scenario, ...]]
    #: scenarios a category may add beyond the required ones (the "Server or Interactive" choice)
    optional_scenarios: Mapping[Category, tuple[Scenario, ...]]
    performance_sample_count: int
    #: minimum query count per scenario (the checker's "min-queries")
    min_queries: Mapping[Scenario, int]
    #: the checker's "latency-constraint" per scenario (Server; Interactive where set), ns
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
    #: Offline: the least samples one query must hold (the checker's OFFLINE_MIN_SPQ_SINCE_V4,
    #: LoadGen's ``<model>.Offline.min_query_count``)
    offline_min_samples: int | None = None
    #: the checker's "datacenter,edge" tables: a system submitted in both categories at once
    #: (() where the checker's table has no entry: not submittable as "datacenter,edge")
    required_scenarios_datacenter_edge: tuple[Scenario, ...] = ()
    optional_scenarios_datacenter_edge: tuple[Scenario, ...] = ()
    #: LoadGen key used for the Interactive scenario (LoadGen runs it as Server with this key)
    loadgen_interactive_model: str | None = None
    #: other names a user may type for this benchmark (besides checker_model and loadgen_model)
    aliases: tuple[str, ...] = ()
    #: TEST01 / TEST04 accuracy tolerance in percent (the checker's get_delta_perc), per metric
    compliance_delta_percent: Mapping[str, float] = field(default_factory=dict)
    #: scenarios with gates of their own (qwen3-vl's Interactive runs a smaller subset)
    accuracy_by_scenario: Mapping[Scenario, tuple[AccuracyTarget, ...]] = field(
        default_factory=dict
    )
    #: scenarios whose accuracy run covers another count than ``accuracy_sample_count``
    accuracy_sample_count_by_scenario: Mapping[Scenario, int] = field(default_factory=dict)
    #: the detail-log key the checker reads as the result, per LoadGen scenario
    #: (RESULT_FIELD_NEW with RESULT_FIELD_BENCHMARK_OVERWRITE applied)
    result_keys: Mapping[Scenario, str] = field(default_factory=dict)
    #: the unit of that result, per scenario (UNIT_DICT with SPECIAL_UNIT_DICT applied)
    units: Mapping[Scenario, str] = field(default_factory=dict)
    #: folders of artefacts the accuracy/ folder must hold, with the file stems each needs
    #: (the checker's REQUIRED_ACC_BENCHMARK: SDXL's 10 images, Wan's 10 videos)
    accuracy_extra_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: an LLM: LoadGen must run with use_token_latencies, TTFT/TPOT are checked
    llm: bool = False
    #: may be submitted through the MLCommons endpoints tool (ENDPOINTS_ALLOWED_MODELS)
    endpoints_allowed: bool = False
    #: the closed division requires equal-issue mode (sample_concatenate_permutation)
    equal_issue: bool = False
    #: runs one fixed pass over the data set: no minimum duration (e2e-rag)
    single_pass: bool = False
    #: where the numbers come from, and anything derived rather than copied
    source: str = ""

    @property
    def categories(self) -> tuple[Category, ...]:
        """The categories a closed submission of this benchmark may be made in."""
        return tuple(c for c in Category if c in self.required_scenarios)

    @property
    def server_latency_ns(self) -> int | None:
        return self.latency_bound_ns.get(Scenario.SERVER)

    def accuracy_for(self, scenario: Scenario | str | None = None) -> tuple[AccuracyTarget, ...]:
        """The gates an accuracy run of ``scenario`` must pass (the checker's
        ``get_accuracy_target`` with its upper limits)."""
        if scenario is not None:
            own = self.accuracy_by_scenario.get(Scenario(scenario))
            if own is not None:
                return own
        return self.accuracy

    def accuracy_samples(self, scenario: Scenario | str | None = None) -> int:
        """The samples an accuracy run of ``scenario`` must cover (the checker's
        ``get_accuracy_sample_count``: the data set unless the round says otherwise)."""
        if scenario is not None:
            own = self.accuracy_sample_count_by_scenario.get(Scenario(scenario))
            if own is not None:
                return own
        return self.accuracy_sample_count or self.dataset_size

    def all_scenarios(self) -> tuple[Scenario, ...]:
        """Every scenario any of the round's tables lists for the benchmark."""
        listed: set[Scenario] = set(self.required_scenarios_datacenter_edge)
        listed.update(self.optional_scenarios_datacenter_edge)
        for scenarios in (*self.required_scenarios.values(), *self.optional_scenarios.values()):
            listed.update(scenarios)
        return tuple(s for s in Scenario if s in listed)


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
    #: "str" or "int": an "int" field holds a count (a JSON number or a string of digits)
    kind: str = "str"


@dataclass(frozen=True)
class Layout:
    """Where a round's checker looks for the parts of a submission (its ``*_PATH`` tables)."""

    #: the folder beside results/ that holds the code: "code" (v4.0-v5.1) or "src" (v6.0 on)
    code_folder: str = "src"
    #: the code of each model in its own <code_folder>/<model>/ (the older checkers look there)
    code_per_model: bool = False
    #: measurements.json, user.conf and README.md in the results' scenario folder (v6.0 on),
    #: else in measurements/<system>/<benchmark>/<scenario>/ with <system>_<scenario>.json
    measurements_in_results: bool = True
    #: TEST0x folders in the results' scenario folder (v6.0 on), else in
    #: compliance/<system>/<benchmark>/<scenario>/
    compliance_in_results: bool = True
    #: scenario folders written by the MLCommons endpoints tool are read (the checker's
    #: RESULT_FIELD_ENDPOINTS)
    endpoints: bool = False
    #: closed: calibration.md in <division>/<submitter>/ or its documentation/ (the legacy
    #: checker's rule from v5.1 on)
    calibration_doc: bool = True

    def code_dir(self, base: Path, benchmark: str) -> Path:
        """Where the code goes (``base`` is <division>/<submitter>)."""
        return (
            base / self.code_folder / benchmark if self.code_per_model else base / self.code_folder
        )

    def measurements_dir(self, base: Path, system: str, benchmark: str, scenario: str) -> Path:
        """Where measurements, user.conf and README.md of a scenario go (``base`` is
        <division>/<submitter>)."""
        top = "results" if self.measurements_in_results else "measurements"
        return base / top / system / benchmark / scenario

    def measurements_file(self, system: str, scenario: str) -> str:
        """The measurements file's name: measurements.json, or <system>_<scenario>.json in the
        older layout (the checker takes any JSON there that starts with the system's name)."""
        return "measurements.json" if self.measurements_in_results else f"{system}_{scenario}.json"

    def compliance_dir(self, base: Path, system: str, benchmark: str, scenario: str) -> Path:
        """The folder that holds a scenario's TEST0x folders."""
        top = "results" if self.compliance_in_results else "compliance"
        return base / top / system / benchmark / scenario


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
    divisions: tuple[Division, ...] = (Division.CLOSED, Division.OPEN, Division.NETWORK)
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
    #: the checker's "model_mapping": folder names it maps to one of its models
    model_mapping: Mapping[str, str] = field(default_factory=dict)
    #: TEST05's seeds (rounds before v5.0 ran TEST05 with other seeds)
    test05_seeds: Seeds | None = None
    #: whether the checker compares the accuracy run's sample count with the data set
    checks_dataset_size: bool = True
    #: where the package's parts go (the checker's *_PATH tables for the round)
    layout: Layout = field(default_factory=Layout)
    #: where the numbers come from; says so plainly when a round is derived, not copied
    source: str = ""
