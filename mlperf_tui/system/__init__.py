"""Hardware and software detection: this machine as the systems JSON describes it.

:func:`detect` fills every field of the systems JSON (the list lives in
:mod:`mlperf_tui.rules.systems`) with a :class:`FieldValue` that is either

* ``detected`` - read from the machine (lscpu, /proc, /sys, psutil, py-cpuinfo, NVML, ...),
* ``defaulted`` - a sensible value the machine cannot confirm, with the reason shown, or
* ``ask`` - something only the submitter knows (submitter, status, cooling, ...).

Detection never raises: every source is tried on its own, and a source that is missing or
fails only moves a field to the next source, to ``defaulted`` or to ``ask``. All raw probing
goes through a :class:`Probe`, so tests and UI snapshots can freeze the hardware
(:class:`FrozenProbe`).

Submodules: probe (raw access, each source read once), parse (text parsers, sizes), cpu,
cpu_names (generic names, generations), hardware (memory modules, disks, network),
accelerators (NVML), providers (which ONNX Runtime execution providers load, tried in a child
process: provider_trial), software, fields (the field filling), description (what detect
returns), detection (detect).
"""

from __future__ import annotations

from mlperf_tui.system.cpu_names import cpu_generation, is_generic_cpu_name
from mlperf_tui.system.description import (
    FieldStatus,
    FieldValue,
    HostFacts,
    ProviderProblem,
    SystemDescription,
)
from mlperf_tui.system.detection import detect
from mlperf_tui.system.parse import (
    dmidecode_memory_gib,
    format_bytes,
    format_decimal_bytes,
    format_memory_size,
    likely_installed_gib,
    parse_cache_size,
    parse_dmidecode_memory,
)
from mlperf_tui.system.probe import FrozenProbe, Probe
from mlperf_tui.system.providers import (
    ProviderTrial,
    check_provider,
    describe_providers,
    provider_problem,
)

__all__ = [
    "FieldStatus",
    "FieldValue",
    "FrozenProbe",
    "HostFacts",
    "Probe",
    "ProviderProblem",
    "ProviderTrial",
    "SystemDescription",
    "check_provider",
    "cpu_generation",
    "describe_providers",
    "detect",
    "dmidecode_memory_gib",
    "format_bytes",
    "format_decimal_bytes",
    "format_memory_size",
    "is_generic_cpu_name",
    "likely_installed_gib",
    "parse_cache_size",
    "parse_dmidecode_memory",
    "provider_problem",
]
