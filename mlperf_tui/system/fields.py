"""The systems-JSON fields filled from the detected facts: detected, defaulted or asked."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping

from mlperf_tui.rules.systems import system_field
from mlperf_tui.system.cpu import Cpu
from mlperf_tui.system.cpu_names import hidden_model_reason, is_generic_cpu_name
from mlperf_tui.system.description import FieldStatus, FieldValue, GpuInfo, NvidiaFacts
from mlperf_tui.system.hardware import Dmi
from mlperf_tui.system.parse import (
    GIB,
    format_decimal_bytes,
    format_gib,
    format_memory_size,
    format_mhz,
    likely_installed_gib,
)
from mlperf_tui.system.probe import Facts

#: the value a required field gets when the thing it describes does not exist on this machine
NOT_APPLICABLE = "N/A"


class Fields:
    """The field values being built, each through one of three doors."""

    def __init__(self, facts: Facts) -> None:
        self.values: dict[str, FieldValue] = {}
        self._facts = facts

    def _put(self, name: str, value: str, status: FieldStatus, reason: str) -> None:
        self.values[system_field(name).name] = FieldValue(name, value, status, reason)

    def detected(self, name: str, value: object, source: str) -> None:
        self._put(name, str(value), FieldStatus.DETECTED, f"from {source}")

    def defaulted(self, name: str, value: str, reason: str) -> None:
        self._put(name, value, FieldStatus.DEFAULTED, reason)

    def ask(self, name: str, reason: str, default: str = "") -> None:
        """A question; ``default`` is what is known (the answer offered, and used unanswered)."""
        self._put(name, default, FieldStatus.ASK, reason)

    def why(self, *keys: str) -> str:
        """' (source: error; ...)' for the sources that failed, to show in a reason."""
        errors = [f"{k}: {self._facts.errors[k]}" for k in keys if k in self._facts.errors]
        return f" ({'; '.join(errors)})" if errors else ""


def submitter_fields(out: Fields, product: str) -> None:
    """What only the submitter knows."""
    out.ask("division", "closed or open; taken from your profile")
    out.ask("submitter", "your organisation's name, also the submitter folder's name")
    out.ask("status", "available, preview or rdi (research, development, internal)")
    hint = f"; the firmware calls it '{product}'" if product else ""
    out.ask("system_name", f"the name the results table shows for this machine{hint}")
    out.ask("system_type", "datacenter, edge or both; taken from your profile's category")
    out.ask("cooling", "how the machine is cooled, e.g. 'air' or 'liquid'; nothing reports it")
    out.defaulted("number_of_nodes", "1", "mlperf-tui runs the benchmark on one node")


def cpu_fields(out: Fields, cpu: Cpu) -> None:
    if cpu.model and not is_generic_cpu_name(cpu.model):
        out.detected("host_processor_model_name", cpu.model, cpu.model_source)
    elif cpu.model:
        # the name the hypervisor shows is offered as the answer until the user gives the real one
        out.ask("host_processor_model_name", hidden_model_reason(cpu, cpu.model), cpu.model)
    else:
        out.ask(
            "host_processor_model_name",
            "the CPU model could not be read" + out.why("lscpu", "/proc/cpuinfo", "py-cpuinfo"),
        )
    # under a hypervisor, lscpu counts what the virtual machine is given, not the host's CPUs
    as_given = f" (as {cpu.under()} presents them)" if cpu.virtual else ""
    if cpu.sockets:
        out.detected("host_processors_per_node", cpu.sockets, cpu.sockets_source + as_given)
    else:
        out.defaulted(
            "host_processors_per_node",
            "1",
            "the socket count is not reported; assumed one socket"
            + out.why("lscpu", "/proc/cpuinfo"),
        )
    if cpu.cores_per_socket:
        out.detected("host_processor_core_count", cpu.cores_per_socket, cpu.cores_source + as_given)
    elif cpu.logical:
        out.defaulted(
            "host_processor_core_count",
            str(cpu.logical // (cpu.sockets or 1) or cpu.logical),
            "physical cores are not reported; logical CPUs per socket used instead",
        )
    else:
        out.ask(
            "host_processor_core_count",
            "physical cores per socket could not be read" + out.why("lscpu", "/proc/cpuinfo"),
        )
    if cpu.freq_mhz:
        out.detected("host_processor_frequency", format_mhz(cpu.freq_mhz), cpu.freq_source)
    elif cpu.virtual:
        out.defaulted(
            "host_processor_frequency",
            "",
            f"{cpu.under()} passes no CPU clock to this virtual machine; give the host CPU's "
            "base or maximum clock if known" + out.why("freq"),
        )
    else:
        out.defaulted(
            "host_processor_frequency",
            "",
            "neither lscpu, cpufreq nor /proc/cpuinfo reports the CPU clock" + out.why("freq"),
        )
    if cpu.caches:
        out.detected("host_processor_caches", cpu.caches, cpu.caches_source)
    else:
        out.defaulted(
            "host_processor_caches",
            "",
            "neither lscpu nor /sys/devices/system/cpu/cpu0/cache lists the CPU caches"
            + out.why("lscpu", "sysfs-cache"),
        )
    if cpu.sockets is None or cpu.sockets <= 1:
        if not cpu.sockets:
            why = "socket count unknown; assumed single socket"
        elif cpu.virtual:
            why = f"single socket, as {cpu.under()} presents it (the host may have more)"
        else:
            why = "single socket"
        out.defaulted("host_processor_interconnect", "", why)
    else:
        vendor = (cpu.vendor or "").lower()
        link = "UPI" if "intel" in vendor else "Infinity Fabric" if "amd" in vendor else ""
        if link:
            out.defaulted(
                "host_processor_interconnect",
                link,
                f"{cpu.sockets} sockets; {link} is this vendor's socket link - check the model",
            )
        else:
            out.defaulted("host_processor_interconnect", "", f"{cpu.sockets} sockets; link unknown")


def memory_fields(out: Fields, memory: int | None, memory_source: str, dmi: Dmi) -> None:
    """Memory as results write it: the installed size ("512 GB"), not what the OS can use."""
    if memory and dmi.total_gib and dmi.total_gib * GIB >= memory:
        out.detected(
            "host_memory_capacity",
            format_memory_size(dmi.total_gib),
            f"dmidecode: the installed modules add up to {format_memory_size(dmi.total_gib)}; "
            f"{memory_source} shows {format_gib(memory)} usable",
        )
    elif memory:
        installed = format_memory_size(likely_installed_gib(memory))
        if dmi.total_gib:
            unknown = (
                f"the modules dmidecode lists add up to only {format_memory_size(dmi.total_gib)}"
                ", less than the usable memory, so they were not used"
            )
        else:
            unknown = f"the module sizes that would confirm it are unknown: {dmi.cause}"
        out.defaulted(
            "host_memory_capacity",
            installed,
            f"{memory_source} shows {format_gib(memory)} usable ({memory / 1e9:.1f} GB); the kernel "
            f"keeps part of the installed memory for itself, so the installed size is likely "
            f"{installed}; {unknown}",
        )
    else:
        out.ask("host_memory_capacity", "memory size could not be read" + out.why("memory"))
    if dmi.modules:
        out.detected("host_memory_configuration", dmi.modules, "dmidecode -t 17")
    else:
        out.ask(
            "host_memory_configuration",
            f"the memory modules, e.g. '8x 32 GB DDR5-4800': {dmi.cause}; {dmi.fix}",
        )


def storage_fields(
    out: Fields, storage_bytes: int | None, storage_kind: str | None, storage_source: str
) -> None:
    """Storage as vendors sell it: decimal, "1.92 TB"."""
    if storage_bytes:
        out.detected("host_storage_capacity", format_decimal_bytes(storage_bytes), storage_source)
    else:
        out.ask(
            "host_storage_capacity",
            "the disk size could not be read" + out.why("/sys/block", "disk-usage"),
        )
    if storage_kind:
        out.detected("host_storage_type", storage_kind, "/sys/block")
    elif storage_bytes:
        out.ask(
            "host_storage_type",
            "no disk is listed in /sys/block (only the root file system's size is known); "
            "give the kind of disk, e.g. 'NVMe SSD'",
        )
    else:
        out.ask(
            "host_storage_type",
            "no disk could be read" + out.why("/sys/block") + "; give the kind, e.g. 'NVMe SSD'",
        )


def network_fields(out: Fields, nics: list[tuple[str, str, int]], nic_source: str) -> None:
    """One node: the benchmark does not use the network."""
    if nics:
        speeds = {s for _, _, s in nics if s}
        links = sorted({link for _, link, _ in nics})
        speed_text = (
            " "
            + "/".join(f"{s // 1000} Gb/s" if s >= 1000 else f"{s} Mb/s" for s in sorted(speeds))
            if speeds
            else ""
        )
        names = ", ".join(n for n, _, _ in nics)
        out.defaulted(
            "host_networking",
            f"{'/'.join(links)}{speed_text}",
            f"from {nic_source} ({names}); a single-node run does not use the network",
        )
        out.detected("host_network_card_count", len(nics), f"{nic_source} ({names})")
    else:
        none = "no network interface found" + out.why("net", "net-stats")
        out.defaulted(
            "host_networking",
            NOT_APPLICABLE,
            f"{none}; a single-node run does not use the network",
        )
        out.defaulted("host_network_card_count", "0", none)
    out.defaulted("host_networking_topology", NOT_APPLICABLE, "a single node: nothing to connect")


def accelerator_fields(out: Fields, nvidia: NvidiaFacts) -> None:
    gpus = nvidia.gpus
    if gpus:
        gpu_names = Counter(g.name for g in gpus)
        out.detected("accelerators_per_node", len(gpus), "NVML")
        out.detected("accelerator_model_name", ", ".join(gpu_names), "NVML")
        memories = {g.memory_bytes for g in gpus if g.memory_bytes}
        if memories:
            smallest = min(memories)
            named = next((g.name for g in gpus if g.memory_bytes == smallest), "")
            out.detected(
                "accelerator_memory_capacity", *_gpu_memory(smallest, named, len(memories) > 1)
            )
        else:
            out.ask("accelerator_memory_capacity", "NVML did not report the GPU memory")
        clocks = {g.max_sm_clock_mhz for g in gpus if g.max_sm_clock_mhz}
        if clocks:
            out.detected("accelerator_frequency", f"{max(clocks)} MHz", "NVML (maximum SM clock)")
        else:
            out.defaulted("accelerator_frequency", "", "NVML did not report the GPU clock")
        first_gpu = gpus[0]
        if first_gpu.pcie_generation and first_gpu.pcie_width:
            out.detected(
                "accelerator_host_interconnect",
                f"PCIe Gen{first_gpu.pcie_generation} x{first_gpu.pcie_width}",
                "NVML (maximum link)",
            )
        else:
            out.ask(
                "accelerator_host_interconnect",
                "NVML did not report the GPU's PCIe link; give it, e.g. 'PCIe Gen5 x16'",
            )
        _gpu_memory_type(out, first_gpu)
        nvlink = any(g.nvlink_active_links for g in gpus)
        if len(gpus) == 1 and not nvlink:
            out.defaulted("accelerator_interconnect", NOT_APPLICABLE, "a single GPU")
            out.defaulted("accelerator_interconnect_topology", "", "a single GPU")
        elif nvlink:
            nv_links = max(g.nvlink_active_links for g in gpus)
            out.detected(
                "accelerator_interconnect", f"NVLink ({nv_links} active links per GPU)", "NVML"
            )
            if any(g.nvlink_to_switch for g in gpus):
                out.detected(
                    "accelerator_interconnect_topology",
                    "NVSwitch",
                    "NVML (the GPUs' active NVLinks end at an NVSwitch)",
                )
            else:
                out.defaulted(
                    "accelerator_interconnect_topology",
                    "",
                    "NVML shows NVLink from GPU to GPU (no NVSwitch) but not its shape; "
                    "describe it (e.g. 'NVLink bridge, pairs') if known",
                )
        else:
            out.defaulted("accelerator_interconnect", "PCIe", "no active NVLink reported by NVML")
            out.defaulted("accelerator_interconnect_topology", "", "GPUs talk over PCIe only")
        out.defaulted("accelerator_on-chip_memories", "", "NVML does not report on-chip memories")
    else:
        none_reason = (
            f"no NVIDIA GPU ({nvidia.error})" if nvidia.error else "NVML lists no NVIDIA GPU"
        ) + "; answer these if the system uses another accelerator"
        out.defaulted("accelerators_per_node", "0", none_reason)
        for name in (
            "accelerator_model_name",
            "accelerator_memory_capacity",
            "accelerator_host_interconnect",
            "accelerator_memory_configuration",
            "accelerator_interconnect",
        ):
            out.defaulted(name, NOT_APPLICABLE, "no accelerator")
        for name in (
            "accelerator_frequency",
            "accelerator_interconnect_topology",
            "accelerator_on-chip_memories",
        ):
            out.defaulted(name, "", "no accelerator")


#: a memory type as GPU names write it, e.g. "NVIDIA H100 80GB HBM3"
_MEMORY_TYPE_RE = re.compile(r"\b(HBM\d?e?|GDDR\dX?|LPDDR\dX?)\b", re.IGNORECASE)
#: the narrowest HBM bus: one stack is 1024 bits wide; GDDR and LPDDR buses are 512 or fewer
_HBM_MIN_BUS_BITS = 1024


def _gpu_memory_type(out: Fields, gpu: GpuInfo) -> None:
    """The GPU memory's type: NVML has no call for it, but the GPU's name may say it, and the
    memory bus's width tells HBM from the rest."""
    in_name = _MEMORY_TYPE_RE.search(gpu.name)
    bus = gpu.memory_bus_width
    if in_name:
        kind = in_name.group(1).upper()
        if kind.startswith("HBM") and kind.endswith("E"):
            kind = kind[:-1] + "e"  # HBM3e, HBM2e: as their makers write them
        out.detected(
            "accelerator_memory_configuration", kind, f"the GPU's name '{gpu.name}' (NVML)"
        )
    elif bus and bus >= _HBM_MIN_BUS_BITS:
        out.defaulted(
            "accelerator_memory_configuration",
            "HBM",
            f"NVML: a {bus}-bit memory bus, which only HBM has (GDDR buses are 512 bits at "
            "most); NVML does not name the generation: give it, e.g. 'HBM3e', if known",
        )
    else:
        width = f"NVML: a {bus}-bit memory bus (GDDR or LPDDR); " if bus else ""
        out.ask(
            "accelerator_memory_configuration",
            f"the GPU memory type, e.g. 'HBM3' or 'GDDR6': {width}NVML does not name it",
        )


def _gpu_memory(memory_bytes: int, name: str, mixed: bool) -> tuple[str, str]:
    """(value, source) of one GPU's memory as its maker sells it, e.g. '80 GB'.

    NVML reports the memory a program can use, a little less than the card's: an H100 80GB
    shows 79.6 GiB, an H200 140.4 GiB of its '141 GB'. A size in the name wins; otherwise the
    usable memory is rounded up to whole GiB (written "GB", as GPU makers do).
    """
    usable = f"{format_gib(memory_bytes)} usable per GPU"
    if mixed:
        usable += ", the smallest of the GPUs"
    in_name = re.search(r"(\d+)\s*GB\b", name, re.IGNORECASE)
    if in_name:
        return f"{in_name.group(1)} GB", f"the GPU's name '{name}' (NVML: {usable})"
    size = max(1, math.ceil(memory_bytes / GIB - 0.05))
    return f"{size} GB", (
        f"NVML: {usable}, rounded up to whole GB (GDDR cards with ECC on show 1/16 less "
        "than their size)"
    )


def software_fields(
    out: Fields,
    sw: Mapping[str, str | None],
    loadable: tuple[str, ...],
    failing: tuple[str, ...],
    nvidia: NvidiaFacts,
) -> None:
    if sw["onnxruntime"]:
        eps = ", ".join(loadable) if loadable else "none"
        if failing:
            eps += f"; listed but not loading: {', '.join(failing)} (mlperf-tui detect says why)"
        out.detected(
            "framework",
            f"ONNX Runtime {sw['onnxruntime']}",
            f"the installed onnxruntime; execution providers that load: {eps}",
        )
    else:
        out.ask(
            "framework", "onnxruntime is not installed; name the inference software and version"
        )
    if sw["os"]:
        out.detected("operating_system", sw["os"], "/etc/os-release")
    else:
        out.ask("operating_system", "the operating system could not be read" + out.why("platform"))
    stack = []
    if sw["python"]:
        stack.append(f"Python {sw['python']}")
    if sw["kernel"]:
        stack.append(f"Linux kernel {sw['kernel']}")
    elif sw["system"] and sw["system"] != "Linux":
        stack.append(f"{sw['system']} {sw['system_release'] or ''}".strip())
    if sw["glibc"]:
        stack.append(f"glibc {sw['glibc']}")
    if sw["loadgen"]:
        stack.append(f"MLPerf LoadGen {sw['loadgen']}")
    if sw["numpy"]:
        stack.append(f"NumPy {sw['numpy']}")
    if nvidia.driver_version:
        stack.append(f"NVIDIA driver {nvidia.driver_version}")
    if nvidia.cuda_version:
        stack.append(f"CUDA {nvidia.cuda_version}")
    if stack:
        out.detected("other_software_stack", ", ".join(stack), "the running system")
    else:
        out.ask("other_software_stack", "Python, kernel, C library, drivers and their versions")


def note_fields(out: Fields, cpu: Cpu) -> None:
    hw = []
    if cpu.logical and cpu.threads_per_core:
        hw.append(f"{cpu.logical} logical CPUs ({cpu.threads_per_core} thread(s) per core)")
    if cpu.virtual:
        hw.append(f"virtual machine ({cpu.hypervisor})" if cpu.hypervisor else "virtual machine")
    out.defaulted("hw_notes", "; ".join(hw), "filled from detection; add what a reader should know")
    out.defaulted("sw_notes", "", "add what a reader should know about the software, if anything")
    if cpu.virtual:
        out.defaulted(
            "system_type_detail",
            "virtual machine",
            f"lscpu names the hypervisor {cpu.hypervisor}"
            if cpu.hypervisor
            else "the CPU's hypervisor flag is set",
        )
    else:
        out.defaulted(
            "system_type_detail",
            "",
            "optional: the form factor, e.g. 'workstation', 'rack server', 'laptop'",
        )
