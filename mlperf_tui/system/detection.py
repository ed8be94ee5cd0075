"""detect(): every source read once, every systems-JSON field filled, the raw facts kept."""

from __future__ import annotations

from mlperf_tui.rules.systems import SYSTEM_FIELD_NAMES
from mlperf_tui.system.accelerators import detect_nvidia
from mlperf_tui.system.cpu import detect_cpu
from mlperf_tui.system.description import HostFacts, SystemDescription
from mlperf_tui.system.fields import (
    Fields,
    accelerator_fields,
    cpu_fields,
    memory_fields,
    network_fields,
    note_fields,
    software_fields,
    storage_fields,
    submitter_fields,
)
from mlperf_tui.system.hardware import detect_dmi, detect_network, detect_storage
from mlperf_tui.system.parse import parse_meminfo_bytes
from mlperf_tui.system.probe import Facts, Probe
from mlperf_tui.system.providers import assess_providers
from mlperf_tui.system.software import software


def detect(probe: Probe | None = None) -> SystemDescription:
    """Describe this machine (or the one ``probe`` shows) as the 35 systems-JSON fields."""
    probe = probe if probe is not None else Probe()
    f = Facts(probe)
    cpu = detect_cpu(f)
    memory = f.get("memory", probe.memory_bytes)
    memory_source = "psutil"
    if not memory:
        memory = parse_meminfo_bytes(f.text("/proc/meminfo") or "")
        memory_source = "/proc/meminfo"
    storage_bytes, storage_kind, storage_source = detect_storage(f)
    nics, nic_source = detect_network(f)
    sw = software(f)
    listed = f.get("providers", probe.onnxruntime_providers)
    providers = tuple(listed or ())
    nvidia = detect_nvidia(probe)
    # listed is not loadable: a session on each says which really run here (seconds on a GPU)
    loadable, problems = assess_providers(
        f, None if listed is None else providers, nvidia, sw["onnxruntime"]
    )
    dmi = detect_dmi(f, cpu, memory)
    product = (f.text("/sys/class/dmi/id/product_name") or "").strip()

    out = Fields(f)
    submitter_fields(out, product)
    cpu_fields(out, cpu)
    memory_fields(out, memory, memory_source, dmi)
    storage_fields(out, storage_bytes, storage_kind, storage_source)
    network_fields(out, nics, nic_source)
    accelerator_fields(out, nvidia)
    software_fields(out, sw, loadable, tuple(problems), nvidia)
    note_fields(out, cpu)

    facts = HostFacts(
        cpu_model=cpu.model,
        cpu_vendor=cpu.vendor,
        sockets=cpu.sockets,
        cores_per_socket=cpu.cores_per_socket,
        physical_cores=cpu.physical,
        logical_cpus=cpu.logical,
        threads_per_core=cpu.threads_per_core,
        cpu_max_mhz=cpu.max_mhz,
        hypervisor=cpu.hypervisor,
        memory_bytes=memory or None,
        storage_bytes=storage_bytes,
        operating_system=sw["os"],
        kernel=sw["kernel"],
        glibc=sw["glibc"],
        python=sw["python"],
        onnxruntime_version=sw["onnxruntime"],
        execution_providers=providers,
        loadable_providers=loadable,
        provider_problems=problems,
        nvidia=nvidia,
    )
    return SystemDescription(tuple(out.values[name] for name in SYSTEM_FIELD_NAMES), facts)
