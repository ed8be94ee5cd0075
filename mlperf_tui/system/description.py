"""What :func:`~mlperf_tui.system.detect` returns: the field values, the raw facts, the description."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from mlperf_tui.rules.systems import REQUIRED_FIELD_NAMES, system_field, value_allowed


class FieldStatus(StrEnum):
    DETECTED = "detected"
    DEFAULTED = "defaulted"
    ASK = "ask"


@dataclass(frozen=True)
class FieldValue:
    """One field of the systems JSON and where its value came from."""

    name: str
    value: str
    status: FieldStatus
    #: for detected: the source; for defaulted: why this value; for ask: what to answer
    reason: str

    def explain(self) -> str:
        """One line, e.g. "host_processor_interconnect: defaulted to '' - single socket"."""
        if self.status is FieldStatus.ASK:
            return f"{self.name}: you must answer this - {self.reason}"
        verb = "detected" if self.status is FieldStatus.DETECTED else "defaulted to"
        sep = " as" if self.status is FieldStatus.DETECTED else ""
        return f"{self.name}: {verb}{sep} '{self.value}' - {self.reason}"


# ---------------------------------------------------------------------------------------------
# Raw facts


@dataclass(frozen=True)
class GpuInfo:
    """One NVIDIA GPU as NVML reports it."""

    index: int
    name: str
    memory_bytes: int | None
    max_sm_clock_mhz: int | None
    pcie_generation: int | None
    pcie_width: int | None
    nvlink_active_links: int
    #: bits of the memory bus: HBM is 1024 bits a stack (thousands), GDDR at most 512
    memory_bus_width: int | None = None
    #: an active NVLink goes to an NVSwitch (not straight to another GPU)
    nvlink_to_switch: bool = False


@dataclass(frozen=True)
class NvidiaFacts:
    """What NVML said; ``error`` says why there are no GPUs when NVML could not answer."""

    driver_version: str | None = None
    cuda_version: str | None = None
    gpus: tuple[GpuInfo, ...] = ()
    error: str | None = None
    #: the binding is there but NVML does not start: no NVIDIA driver (or not one for this GPU)
    no_driver: bool = False


@dataclass(frozen=True)
class ProviderProblem:
    """Why an ONNX Runtime execution provider does not load here, and what to do about it."""

    reason: str
    fix: str


@dataclass(frozen=True)
class HostFacts:
    """Raw detected facts, for the run planner and the UI (None where unknown)."""

    cpu_model: str | None = None
    cpu_vendor: str | None = None
    sockets: int | None = None
    cores_per_socket: int | None = None
    physical_cores: int | None = None
    logical_cpus: int | None = None
    threads_per_core: int | None = None
    cpu_max_mhz: float | None = None
    hypervisor: str | None = None
    memory_bytes: int | None = None
    storage_bytes: int | None = None
    operating_system: str | None = None
    kernel: str | None = None
    glibc: str | None = None
    python: str | None = None
    onnxruntime_version: str | None = None
    #: what the installed onnxruntime lists (get_available_providers), loadable or not
    execution_providers: tuple[str, ...] = ()
    #: the listed providers a session really runs a model on (mlperf_tui.system.providers)
    loadable_providers: tuple[str, ...] = ()
    #: the listed providers that do not load, each with the reason and the fix
    provider_problems: Mapping[str, ProviderProblem] = field(default_factory=dict)
    nvidia: NvidiaFacts = field(default_factory=NvidiaFacts)


# ---------------------------------------------------------------------------------------------
# The description


@dataclass(frozen=True)
class SystemDescription:
    """Every systems-JSON field with its value and provenance, plus the raw facts."""

    fields: tuple[FieldValue, ...]
    facts: HostFacts = field(default_factory=HostFacts)

    def __getitem__(self, name: str) -> FieldValue:
        system_field(name)  # RulesError with did-you-mean for an unknown field
        for value in self.fields:
            if value.name == name:
                return value
        raise KeyError(name)

    def _final(self, answers: Mapping[str, str] | None) -> dict[str, str]:
        answers = answers or {}
        for name in answers:
            system_field(name)  # reject misspelled answers loudly
        return {v.name: str(answers.get(v.name, v.value)) for v in self.fields}

    def to_json_dict(self, answers: Mapping[str, str] | None = None) -> dict[str, str]:
        """The systems JSON (all fields, strings, the checker's order); answers win."""
        return self._final(answers)

    def missing(self, answers: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Required fields that are still empty once ``answers`` are applied."""
        final = self._final(answers)
        return tuple(name for name in REQUIRED_FIELD_NAMES if not final[name].strip())

    def disallowed(self, answers: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Fields whose (non-empty) value the rules do not allow, e.g. status 'sold'."""
        final = self._final(answers)
        return tuple(
            name for name, value in final.items() if value and not value_allowed(name, value)
        )

    def unanswered(self, answers: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """``ask`` fields the answers do not cover (the questions still to put)."""
        answers = answers or {}
        return tuple(
            v.name for v in self.fields if v.status is FieldStatus.ASK and v.name not in answers
        )

    def as_rows(self, answers: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str]]:
        """(field, value, status, note) for a table; answered fields say 'answered'."""
        answers = answers or {}
        final = self._final(answers)
        rows = []
        for v in self.fields:
            if v.name in answers:
                rows.append((v.name, final[v.name], "answered", "your answer"))
            else:
                rows.append((v.name, v.value, str(v.status), v.reason))
        return rows

    def to_report(self, answers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Everything ``mlperf-tui detect --json`` shows: the JSON, provenance, raw facts."""
        answers = answers or {}
        final = self._final(answers)
        return {
            "schema_version": 1,
            "system": final,
            "fields": [
                {
                    "name": v.name,
                    "value": final[v.name],
                    "status": "answered" if v.name in answers else str(v.status),
                    "reason": "your answer" if v.name in answers else v.reason,
                    "required": v.name in REQUIRED_FIELD_NAMES,
                }
                for v in self.fields
            ],
            "missing": list(self.missing(answers)),
            "facts": asdict(self.facts),
        }
