"""The host CPU: model, sockets, cores, clock and caches from lscpu, /proc, sysfs and psutil."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mlperf_tui.system.parse import format_bytes, parse_cache_size, positive_float, positive_int
from mlperf_tui.system.probe import Facts


@dataclass(frozen=True)
class Cpu:
    model: str | None
    model_source: str
    vendor: str | None
    sockets: int | None
    sockets_source: str
    cores_per_socket: int | None
    cores_source: str
    physical: int | None
    logical: int | None
    threads_per_core: int | None
    max_mhz: float | None
    freq_mhz: float | None
    freq_source: str
    caches: str | None
    caches_source: str
    hypervisor: str | None
    #: under a hypervisor: lscpu names one, or the CPU sets the ``hypervisor`` flag
    virtual: bool = False
    family: int | None = None
    model_number: int | None = None
    flags: frozenset[str] = frozenset()

    def under(self) -> str:
        """'the KVM hypervisor' / 'the hypervisor', for reasons."""
        return f"the {self.hypervisor} hypervisor" if self.hypervisor else "the hypervisor"

    def vm(self) -> str:
        """'this KVM virtual machine' / 'this virtual machine', for reasons."""
        return (
            f"this {self.hypervisor} virtual machine" if self.hypervisor else "this virtual machine"
        )


def _cpuid_number(text: str | None) -> int | None:
    """A CPUID family/model as lscpu or /proc/cpuinfo write it (decimal, '0x19' on some)."""
    value = str(text).strip()
    try:
        return int(value) if value.isdigit() else int(value, 0)
    except ValueError:
        return None


def detect_cpu(f: Facts) -> Cpu:
    lscpu = f.lscpu()
    blocks = f.proc_cpuinfo()
    first = blocks[0] if blocks else {}
    plat = f.platform()

    # model name: lscpu, /proc/cpuinfo (x86 "model name", others "Hardware"/"Processor"),
    # py-cpuinfo (slow, so only when the fast sources have nothing), platform
    model, model_source = None, ""
    for key, source in (
        (lscpu.get("Model name"), "lscpu"),
        (first.get("model name"), "/proc/cpuinfo"),
        (first.get("Hardware"), "/proc/cpuinfo"),
    ):
        if key and key not in ("-", "unknown"):
            model, model_source = key, source
            break
    if model is None:
        brand = f.py_cpuinfo().get("brand_raw")
        if brand:
            model, model_source = str(brand), "py-cpuinfo"
        elif plat.get("processor"):
            model, model_source = plat["processor"], "platform"

    vendor = lscpu.get("Vendor ID") or first.get("vendor_id") or None

    logical = f.get("logical", lambda: f.probe.cpu_count(True))
    logical = logical if logical and logical > 0 else None
    if logical is None:
        logical = positive_int(lscpu.get("CPU(s)")) or (
            sum(1 for b in blocks if "processor" in b) or None
        )
    physical = f.get("physical", lambda: f.probe.cpu_count(False))
    physical = physical if physical and physical > 0 else None

    sockets = positive_int(lscpu.get("Socket(s)"))
    sockets_source = "lscpu"
    if sockets is None:
        ids = {b["physical id"] for b in blocks if "physical id" in b}
        sockets = len(ids) or None
        sockets_source = "/proc/cpuinfo"

    cores = positive_int(lscpu.get("Core(s) per socket"))
    cores_source = "lscpu"
    if cores is None:
        cores = positive_int(first.get("cpu cores"))
        cores_source = "/proc/cpuinfo"
    if cores is None and physical is not None:
        cores = physical // (sockets or 1) or None
        cores_source = "psutil"
    if physical is None and cores is not None:
        physical = cores * (sockets or 1)

    threads = positive_int(lscpu.get("Thread(s) per core"))
    if threads is None and logical and physical:
        threads = max(1, logical // physical)

    flags = frozenset((lscpu.get("Flags") or first.get("flags") or "").split())
    hypervisor = lscpu.get("Hypervisor vendor") or None
    virtual = hypervisor is not None or "hypervisor" in flags
    under = f"the {hypervisor} hypervisor" if hypervisor else "the hypervisor"

    # frequency: the maximum clock where reported, else the one in the model name, else current
    max_mhz = positive_float(lscpu.get("CPU max MHz"))
    freq_source = "lscpu (maximum)"
    if max_mhz is None:
        freq = f.get("freq", f.probe.cpu_freq_mhz)
        if freq and freq[1] > 0:
            max_mhz, freq_source = freq[1], "psutil (maximum)"
    freq_mhz = max_mhz
    if freq_mhz is None and model:
        named = re.search(r"@\s*(\d+(?:\.\d+)?)\s*GHz", model)
        if named:
            freq_mhz, freq_source = float(named.group(1)) * 1000, "the model name (base clock)"
    if freq_mhz is None:
        freq = f.get("freq", f.probe.cpu_freq_mhz)
        current = (freq[0] if freq and freq[0] > 0 else None) or positive_float(
            first.get("cpu MHz")
        )
        if current:
            freq_mhz = current
            freq_source = "the current clock" + (
                f" ({under} passes on no maximum clock)"
                if virtual
                else " (no cpufreq driver reports the maximum clock)"
            )
    if freq_mhz is None and f.fetched("py-cpuinfo"):  # only when it was fetched anyway
        hz = f.py_cpuinfo().get("hz_advertised")
        if isinstance(hz, (list, tuple)) and hz and positive_float(hz[0]):
            freq_mhz, freq_source = float(hz[0]) / 1e6, "py-cpuinfo (advertised)"

    caches, caches_source = _detect_caches(f, lscpu)
    return Cpu(
        model=model,
        model_source=model_source,
        vendor=vendor,
        sockets=sockets,
        sockets_source=sockets_source,
        cores_per_socket=cores,
        cores_source=cores_source,
        physical=physical,
        logical=logical,
        threads_per_core=threads,
        max_mhz=max_mhz,
        freq_mhz=freq_mhz,
        freq_source=freq_source,
        caches=caches,
        caches_source=caches_source,
        hypervisor=hypervisor,
        virtual=virtual,
        family=_cpuid_number(lscpu.get("CPU family") or first.get("cpu family")),
        model_number=_cpuid_number(lscpu.get("Model") or first.get("model")),
        flags=flags,
    )


def _detect_caches(f: Facts, lscpu: Mapping[str, str]) -> tuple[str | None, str]:
    parts = []
    for level in ("L1d", "L1i", "L2", "L3", "L4"):
        value = lscpu.get(f"{level} cache")
        if value:
            parts.append(f"{level} {value}")
    if parts:
        return ", ".join(parts), "lscpu"
    # sysfs: the caches CPU 0 sees
    base = "/sys/devices/system/cpu/cpu0/cache"
    entries = f.get("sysfs-cache", lambda: f.probe.list_dir(base)) or []
    found: list[tuple[str, str]] = []
    for entry in entries:
        if not entry.startswith("index"):
            continue
        level = (f.text(f"{base}/{entry}/level") or "").strip()
        kind = (f.text(f"{base}/{entry}/type") or "").strip()
        size = parse_cache_size(f.text(f"{base}/{entry}/size") or "")
        if level and size:
            suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
            found.append((f"L{level}{suffix}", format_bytes(size)))
    if found:
        return ", ".join(f"{name} {size}" for name, size in sorted(found)), "sysfs (per CPU 0)"
    if f.fetched("py-cpuinfo"):
        info = f.py_cpuinfo()
        sizes = [
            (name, info.get(key))
            for name, key in (
                ("L1d", "l1_data_cache_size"),
                ("L1i", "l1_instruction_cache_size"),
                ("L2", "l2_cache_size"),
                ("L3", "l3_cache_size"),
            )
        ]
        text = ", ".join(
            f"{n} {format_bytes(int(v))}" for n, v in sizes if isinstance(v, int) and v > 0
        )
        if text:
            return text, "py-cpuinfo"
    return None, ""
