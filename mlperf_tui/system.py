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
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import platform
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mlperf_tui.rules.systems import (
    REQUIRED_FIELD_NAMES,
    SYSTEM_FIELD_NAMES,
    system_field,
    value_allowed,
)

T = TypeVar("T")

#: the value a required field gets when the thing it describes does not exist on this machine
NOT_APPLICABLE = "N/A"

#: seconds a probing command (lscpu, dmidecode) may take
_COMMAND_TIMEOUT_S = 10.0

#: /sys/block entries that are not storage devices of the machine
_PSEUDO_BLOCK_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "zd")

#: ARPHRD_* link types of /sys/class/net/<if>/type
_LINK_TYPES = {"1": "Ethernet", "32": "InfiniBand"}


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


@dataclass(frozen=True)
class NvidiaFacts:
    """What NVML said; ``error`` says why there are no GPUs when NVML could not answer."""

    driver_version: str | None = None
    cuda_version: str | None = None
    gpus: tuple[GpuInfo, ...] = ()
    error: str | None = None


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
    execution_providers: tuple[str, ...] = ()
    nvidia: NvidiaFacts = field(default_factory=NvidiaFacts)


# ---------------------------------------------------------------------------------------------
# Probes


class Probe:
    """Raw access to this machine. Every method may raise; :func:`detect` catches it.

    ``root`` re-roots file reads (``/proc``, ``/sys``, ``/etc``) at another folder, e.g. a
    copy of another machine's files; commands are then not run (they would see this host).
    """

    def __init__(self, root: str | os.PathLike[str] = "/") -> None:
        self.root = Path(root)

    def _path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def read_text(self, path: str) -> str:
        return self._path(path).read_text(encoding="utf-8", errors="replace")

    def list_dir(self, path: str) -> list[str]:
        return sorted(p.name for p in self._path(path).iterdir())

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def run(self, argv: Sequence[str]) -> str:
        """stdout of a command in the C locale; raises when missing, failing or slow."""
        if self.root != Path("/"):
            raise FileNotFoundError(f"{argv[0]}: not run for a probe rooted at {self.root}")
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT_S,
            env=env,
            check=True,
        )
        return done.stdout

    def cpuinfo(self) -> Mapping[str, Any]:
        """py-cpuinfo's answer (about a second: detect calls it at most once, when needed)."""
        import cpuinfo

        info: Mapping[str, Any] = cpuinfo.get_cpu_info()
        return info

    def cpu_count(self, logical: bool) -> int | None:
        import psutil

        count: int | None = psutil.cpu_count(logical=logical)
        return count

    def cpu_freq_mhz(self) -> tuple[float, float]:
        """(current, maximum) clock in MHz; 0.0 where unknown."""
        import psutil

        freq = psutil.cpu_freq()
        if freq is None:
            return (0.0, 0.0)
        return (float(freq.current or 0.0), float(freq.max or 0.0))

    def memory_bytes(self) -> int:
        import psutil

        return int(psutil.virtual_memory().total)

    def disk_usage_bytes(self, path: str) -> int:
        import psutil

        return int(psutil.disk_usage(path).total)

    def net_interfaces(self) -> Mapping[str, tuple[bool, int]]:
        """interface -> (is up, speed in Mb/s, 0 when unknown)."""
        import psutil

        return {name: (s.isup, int(s.speed)) for name, s in psutil.net_if_stats().items()}

    def platform_facts(self) -> Mapping[str, str]:
        libc, libc_version = platform.libc_ver()
        return {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "python": platform.python_version(),
            "libc": libc,
            "libc_version": libc_version,
        }

    def package_version(self, distribution: str) -> str:
        return importlib.metadata.version(distribution)

    def onnxruntime_providers(self) -> Sequence[str]:
        ort = importlib.import_module("onnxruntime")
        providers: Sequence[str] = ort.get_available_providers()
        return providers

    def nvml(self) -> Any:
        """The NVML binding (module ``pynvml`` of nvidia-ml-py)."""
        return importlib.import_module("pynvml")


class FrozenProbe(Probe):
    """A probe that answers only from the data it was given; anything else is missing.

    For tests and UI snapshots: the same description on every machine. ``commands`` maps a
    command line (``"lscpu"``) to its output; ``files`` maps absolute paths to contents.
    """

    def __init__(
        self,
        *,
        files: Mapping[str, str] | None = None,
        commands: Mapping[str, str] | None = None,
        cpuinfo: Mapping[str, Any] | None = None,
        logical_cpus: int | None = None,
        physical_cores: int | None = None,
        cpu_freq_mhz: tuple[float, float] | None = None,
        memory_bytes: int | None = None,
        disk_bytes: int | None = None,
        net: Mapping[str, tuple[bool, int]] | None = None,
        platform_facts: Mapping[str, str] | None = None,
        packages: Mapping[str, str] | None = None,
        providers: Sequence[str] | None = None,
        nvml: Any = None,
    ) -> None:
        super().__init__("/nonexistent-frozen-probe-root")
        self._files = dict(files or {})
        self._commands = dict(commands or {})
        self._cpuinfo = cpuinfo
        self._logical = logical_cpus
        self._physical = physical_cores
        self._freq = cpu_freq_mhz
        self._memory = memory_bytes
        self._disk = disk_bytes
        self._net = net
        self._platform = platform_facts
        self._packages = dict(packages or {})
        self._providers = providers
        self._nvml = nvml

    @staticmethod
    def _missing(what: str) -> OSError:
        return FileNotFoundError(f"{what} is not present on this frozen machine")

    def read_text(self, path: str) -> str:
        try:
            return self._files[path]
        except KeyError:
            raise self._missing(path) from None

    def list_dir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {k[len(prefix) :].split("/")[0] for k in self._files if k.startswith(prefix)}
        if not names:
            raise self._missing(path)
        return sorted(names)

    def exists(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return path in self._files or any(k.startswith(prefix) for k in self._files)

    def run(self, argv: Sequence[str]) -> str:
        try:
            return self._commands[" ".join(argv)]
        except KeyError:
            raise self._missing(argv[0]) from None

    def cpuinfo(self) -> Mapping[str, Any]:
        if self._cpuinfo is None:
            raise self._missing("py-cpuinfo")
        return self._cpuinfo

    def cpu_count(self, logical: bool) -> int | None:
        return self._logical if logical else self._physical

    def cpu_freq_mhz(self) -> tuple[float, float]:
        if self._freq is None:
            raise self._missing("cpu frequency")
        return self._freq

    def memory_bytes(self) -> int:
        if self._memory is None:
            raise self._missing("memory size")
        return self._memory

    def disk_usage_bytes(self, path: str) -> int:
        if self._disk is None:
            raise self._missing(path)
        return self._disk

    def net_interfaces(self) -> Mapping[str, tuple[bool, int]]:
        if self._net is None:
            raise self._missing("network interfaces")
        return self._net

    def platform_facts(self) -> Mapping[str, str]:
        if self._platform is None:
            raise self._missing("platform")
        return self._platform

    def package_version(self, distribution: str) -> str:
        try:
            return self._packages[distribution]
        except KeyError:
            raise importlib.metadata.PackageNotFoundError(distribution) from None

    def onnxruntime_providers(self) -> Sequence[str]:
        if self._providers is None:
            raise ModuleNotFoundError("No module named 'onnxruntime'")
        return self._providers

    def nvml(self) -> Any:
        if self._nvml is None:
            raise ModuleNotFoundError("No module named 'pynvml'")
        return self._nvml


# ---------------------------------------------------------------------------------------------
# Parsing helpers (pure)


def parse_key_values(text: str) -> dict[str, str]:
    """``key: value`` lines (lscpu, one /proc/cpuinfo block); the first of a repeated key wins."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in out:
            out[key.strip()] = value.strip()
    return out


def parse_proc_cpuinfo(text: str) -> list[dict[str, str]]:
    """/proc/cpuinfo as one dict per block (per logical CPU on x86)."""
    return [parse_key_values(block) for block in re.split(r"\n\s*\n", text) if block.strip()]


def parse_meminfo_bytes(text: str) -> int | None:
    """MemTotal of /proc/meminfo, in bytes."""
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def parse_cache_size(text: str) -> int | None:
    """'32K', '32 KiB', '2 MiB', '1024 KB' -> bytes."""
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\b", text, re.IGNORECASE)
    if not match:
        return None
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def format_bytes(n: int) -> str:
    """Binary units, three significant digits: 24.3 GiB, 256 GiB, 1.82 TiB."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    value = float(n)
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    if unit == 0 or value >= 100:
        return f"{value:.0f} {units[unit]}"
    return f"{value:.2f} {units[unit]}" if value < 10 else f"{value:.1f} {units[unit]}"


def format_mhz(mhz: float) -> str:
    return f"{mhz / 1000:.2f} GHz" if mhz >= 1000 else f"{mhz:.0f} MHz"


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _positive_float(text: object) -> float | None:
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _decode(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def parse_dmidecode_memory(text: str) -> str | None:
    """``dmidecode -t 17`` -> '8x 32 GB DDR5-4800' (None when no module is listed)."""
    modules: Counter[str] = Counter()
    for block in text.split("Memory Device")[1:]:
        kv = parse_key_values(block)
        size = kv.get("Size", "")
        if not size or "No Module" in size or size.lower().startswith("unknown"):
            continue
        kind = kv.get("Type", "")
        speed = kv.get("Configured Memory Speed") or kv.get("Speed", "")
        speed_num = re.match(r"(\d+)", speed)
        desc = size
        if kind and kind.lower() not in ("unknown", "other"):
            desc += f" {kind}"
            if speed_num:
                desc += f"-{speed_num.group(1)}"
        modules[desc] += 1
    if not modules:
        return None
    return ", ".join(f"{n}x {desc}" for desc, n in modules.most_common())


# ---------------------------------------------------------------------------------------------
# Detection


class _Facts:
    """Each raw source read once, failures remembered as short reasons."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.errors: dict[str, str] = {}
        self._cache: dict[str, Any] = {}

    def get(self, key: str, fn: Callable[[], T]) -> T | None:
        if key in self._cache:
            cached: T | None = self._cache[key]
            return cached
        try:
            value: T | None = fn()
        except Exception as exc:  # detection never raises: an odd machine only loses a source
            self.errors[key] = _short_error(exc)
            value = None
        self._cache[key] = value
        return value

    def fetched(self, key: str) -> bool:
        """Whether ``key`` was already read (to use a slow source only when it is at hand)."""
        return key in self._cache

    def lscpu(self) -> dict[str, str]:
        return self.get("lscpu", lambda: parse_key_values(self.probe.run(["lscpu"]))) or {}

    def proc_cpuinfo(self) -> list[dict[str, str]]:
        return (
            self.get(
                "/proc/cpuinfo", lambda: parse_proc_cpuinfo(self.probe.read_text("/proc/cpuinfo"))
            )
            or []
        )

    def py_cpuinfo(self) -> Mapping[str, Any]:
        return self.get("py-cpuinfo", self.probe.cpuinfo) or {}

    def platform(self) -> Mapping[str, str]:
        return self.get("platform", self.probe.platform_facts) or {}

    def text(self, path: str) -> str | None:
        return self.get(f"file:{path}", lambda: self.probe.read_text(path))


def _short_error(exc: BaseException) -> str:
    """The first line of the error's message, or its type when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class _Cpu:
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


def _detect_cpu(f: _Facts) -> _Cpu:
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
        logical = _positive_int(lscpu.get("CPU(s)")) or (
            sum(1 for b in blocks if "processor" in b) or None
        )
    physical = f.get("physical", lambda: f.probe.cpu_count(False))
    physical = physical if physical and physical > 0 else None

    sockets = _positive_int(lscpu.get("Socket(s)"))
    sockets_source = "lscpu"
    if sockets is None:
        ids = {b["physical id"] for b in blocks if "physical id" in b}
        sockets = len(ids) or None
        sockets_source = "/proc/cpuinfo"

    cores = _positive_int(lscpu.get("Core(s) per socket"))
    cores_source = "lscpu"
    if cores is None:
        cores = _positive_int(first.get("cpu cores"))
        cores_source = "/proc/cpuinfo"
    if cores is None and physical is not None:
        cores = physical // (sockets or 1) or None
        cores_source = "psutil"
    if physical is None and cores is not None:
        physical = cores * (sockets or 1)

    threads = _positive_int(lscpu.get("Thread(s) per core"))
    if threads is None and logical and physical:
        threads = max(1, logical // physical)

    # frequency: the maximum clock where reported, else the one in the model name, else current
    max_mhz = _positive_float(lscpu.get("CPU max MHz"))
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
        current = (freq[0] if freq and freq[0] > 0 else None) or _positive_float(
            first.get("cpu MHz")
        )
        if current:
            freq_mhz = current
            freq_source = "the current clock (the CPU reports no maximum: a virtual machine?)"
    if freq_mhz is None and f.fetched("py-cpuinfo"):  # only when it was fetched anyway
        hz = f.py_cpuinfo().get("hz_advertised")
        if isinstance(hz, (list, tuple)) and hz and _positive_float(hz[0]):
            freq_mhz, freq_source = float(hz[0]) / 1e6, "py-cpuinfo (advertised)"

    caches, caches_source = _detect_caches(f, lscpu)
    hypervisor = lscpu.get("Hypervisor vendor") or None
    return _Cpu(
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
    )


def _detect_caches(f: _Facts, lscpu: Mapping[str, str]) -> tuple[str | None, str]:
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


def _detect_storage(f: _Facts) -> tuple[int | None, str | None, str]:
    """(bytes, kind, source) over the machine's disks."""
    names = f.get("/sys/block", partial(f.probe.list_dir, "/sys/block")) or []
    total = 0
    kinds: Counter[str] = Counter()
    for name in names:
        if name.startswith(_PSEUDO_BLOCK_PREFIXES):
            continue
        sectors = _positive_int(f.text(f"/sys/block/{name}/size"))
        if not sectors:
            continue
        total += sectors * 512  # /sys/block/*/size counts 512-byte sectors on every device
        rotational = (f.text(f"/sys/block/{name}/queue/rotational") or "").strip()
        if name.startswith("nvme"):
            kind = "NVMe SSD"
        elif name.startswith("vd"):
            kind = "virtual disk (virtio)"
        elif name.startswith("xvd"):
            kind = "virtual disk (Xen)"
        elif rotational == "0":
            kind = "SSD"
        elif rotational == "1":
            kind = "HDD"
        else:
            kind = "disk"
        kinds[kind] += 1
    if total:
        kind_text = ", ".join(
            (f"{n}x {k}" if n > 1 else k) for k, n in sorted(kinds.items(), key=lambda x: -x[1])
        )
        return total, kind_text, "/sys/block"
    root_total = f.get("disk-usage", lambda: f.probe.disk_usage_bytes("/"))
    if root_total:
        return root_total, None, "size of the root file system (no disks listed in /sys/block)"
    return None, None, ""


def _detect_network(f: _Facts) -> tuple[list[tuple[str, str, int]], str]:
    """Physical interfaces as (name, link type, speed Mb/s)."""
    names = f.get("net", lambda: f.probe.list_dir("/sys/class/net")) or []
    stats = f.get("net-stats", f.probe.net_interfaces) or {}
    physical = []
    for name in names:
        # a physical (or paravirtual) NIC has a device behind it; lo, bridges, ifb do not
        if not f.get(f"netdev:{name}", partial(f.probe.exists, f"/sys/class/net/{name}/device")):
            continue
        link = _LINK_TYPES.get((f.text(f"/sys/class/net/{name}/type") or "").strip(), "network")
        speed = stats.get(name, (False, 0))[1]
        physical.append((name, link, speed if speed > 0 else 0))
    if physical:
        return physical, "/sys/class/net"
    # no /sys: psutil's list, without loopback
    for name, (is_up, speed) in stats.items():
        if is_up and name != "lo" and not name.startswith(("docker", "veth", "br-", "virbr")):
            physical.append((name, "network", speed if speed > 0 else 0))
    return physical, "psutil"


def _detect_nvidia(probe: Probe) -> NvidiaFacts:
    try:
        nvml = probe.nvml()
    except Exception as exc:
        return NvidiaFacts(error=f"NVML binding not available ({_short_error(exc)})")
    try:
        nvml.nvmlInit()
    except Exception as exc:
        return NvidiaFacts(error=f"NVML did not start: no NVIDIA driver ({_short_error(exc)})")
    try:
        return _read_nvml(nvml)
    except Exception as exc:
        return NvidiaFacts(error=f"NVML failed ({_short_error(exc)})")
    finally:
        with contextlib.suppress(Exception):  # what matters is already read
            nvml.nvmlShutdown()


def _read_nvml(nvml: Any) -> NvidiaFacts:
    def attempt(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            return None

    def as_int(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    driver = attempt(nvml.nvmlSystemGetDriverVersion)
    cuda_int = as_int(attempt(nvml.nvmlSystemGetCudaDriverVersion_v2)) or as_int(
        attempt(nvml.nvmlSystemGetCudaDriverVersion)
    )
    cuda = f"{cuda_int // 1000}.{(cuda_int % 1000) // 10}" if cuda_int else None
    count = int(nvml.nvmlDeviceGetCount())
    sm_clock = getattr(nvml, "NVML_CLOCK_SM", 1)
    max_links = int(getattr(nvml, "NVML_NVLINK_MAX_LINKS", 18))
    enabled = getattr(nvml, "NVML_FEATURE_ENABLED", 1)
    gpus = []
    for index in range(count):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        name = attempt(nvml.nvmlDeviceGetName, handle)
        memory_info = attempt(nvml.nvmlDeviceGetMemoryInfo, handle)
        links = 0
        for link in range(max_links):
            state = attempt(nvml.nvmlDeviceGetNvLinkState, handle, link)
            if state is None:
                break  # NotSupported / InvalidArgument past the last link
            links += 1 if state == enabled else 0
        gpus.append(
            GpuInfo(
                index=index,
                name=_decode(name) if name else f"GPU {index}",
                memory_bytes=as_int(getattr(memory_info, "total", None)),
                max_sm_clock_mhz=as_int(attempt(nvml.nvmlDeviceGetMaxClockInfo, handle, sm_clock)),
                pcie_generation=as_int(attempt(nvml.nvmlDeviceGetMaxPcieLinkGeneration, handle)),
                pcie_width=as_int(attempt(nvml.nvmlDeviceGetMaxPcieLinkWidth, handle)),
                nvlink_active_links=links,
            )
        )
    return NvidiaFacts(
        driver_version=_decode(driver) if driver else None, cuda_version=cuda, gpus=tuple(gpus)
    )


def _software(f: _Facts) -> dict[str, str | None]:
    plat = f.platform()
    release_text = f.text("/etc/os-release") or f.text("/usr/lib/os-release") or ""
    release = {
        k: v.strip().strip('"')
        for k, v in (line.split("=", 1) for line in release_text.splitlines() if "=" in line)
    }
    os_name = release.get("PRETTY_NAME") or " ".join(
        p for p in (release.get("NAME"), release.get("VERSION")) if p
    )
    if not os_name and plat.get("system"):
        os_name = f"{plat['system']} {plat.get('release', '')}".strip()
    glibc = plat.get("libc_version") if plat.get("libc") == "glibc" else None

    def version(*dists: str) -> str | None:
        for dist in dists:
            found = f.get(f"pkg:{dist}", partial(f.probe.package_version, dist))
            if found:
                return found
        return None

    return {
        "os": os_name or None,
        "kernel": plat.get("release") if plat.get("system") == "Linux" else None,
        "system": plat.get("system"),
        "system_release": plat.get("release"),
        "glibc": glibc or None,
        "python": plat.get("python") or None,
        "onnxruntime": version(
            "onnxruntime", "onnxruntime-gpu", "onnxruntime-openvino", "onnxruntime-directml"
        ),
        "loadgen": version("mlcommons-loadgen", "mlcommons_loadgen"),
        "numpy": version("numpy"),
    }


class _Fields:
    """The field values being built, each through one of three doors."""

    def __init__(self, facts: _Facts) -> None:
        self.values: dict[str, FieldValue] = {}
        self._facts = facts

    def _put(self, name: str, value: str, status: FieldStatus, reason: str) -> None:
        self.values[system_field(name).name] = FieldValue(name, value, status, reason)

    def detected(self, name: str, value: object, source: str) -> None:
        self._put(name, str(value), FieldStatus.DETECTED, f"from {source}")

    def defaulted(self, name: str, value: str, reason: str) -> None:
        self._put(name, value, FieldStatus.DEFAULTED, reason)

    def ask(self, name: str, reason: str) -> None:
        self._put(name, "", FieldStatus.ASK, reason)

    def why(self, *keys: str) -> str:
        """' (source: error; ...)' for the sources that failed, to show in a reason."""
        errors = [f"{k}: {self._facts.errors[k]}" for k in keys if k in self._facts.errors]
        return f" ({'; '.join(errors)})" if errors else ""


def detect(probe: Probe | None = None) -> SystemDescription:
    """Describe this machine (or the one ``probe`` shows) as the 35 systems-JSON fields."""
    probe = probe if probe is not None else Probe()
    f = _Facts(probe)
    cpu = _detect_cpu(f)
    memory = f.get("memory", probe.memory_bytes)
    memory_source = "psutil"
    if not memory:
        memory = parse_meminfo_bytes(f.text("/proc/meminfo") or "")
        memory_source = "/proc/meminfo"
    storage_bytes, storage_kind, storage_source = _detect_storage(f)
    nics, nic_source = _detect_network(f)
    sw = _software(f)
    providers = tuple(f.get("providers", probe.onnxruntime_providers) or ())
    nvidia = _detect_nvidia(probe)
    dmi_memory = None
    if f.platform().get("system") == "Linux":
        dmi_text = f.get("dmidecode", partial(probe.run, ["dmidecode", "-t", "17"]))
        dmi_memory = parse_dmidecode_memory(dmi_text) if dmi_text else None
    product = (f.text("/sys/class/dmi/id/product_name") or "").strip()

    out = _Fields(f)
    _submitter_fields(out, product)
    _cpu_fields(out, cpu)
    _memory_storage_fields(
        out, memory, memory_source, dmi_memory, storage_bytes, storage_kind, storage_source
    )
    _network_fields(out, nics, nic_source)
    _accelerator_fields(out, nvidia)
    _software_fields(out, sw, providers, nvidia)
    _note_fields(out, cpu)

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
        nvidia=nvidia,
    )
    return SystemDescription(tuple(out.values[name] for name in SYSTEM_FIELD_NAMES), facts)


def _submitter_fields(out: _Fields, product: str) -> None:
    """What only the submitter knows."""
    out.ask("division", "closed or open; taken from your profile")
    out.ask("submitter", "your organisation's name, also the submitter folder's name")
    out.ask("status", "available, preview or rdi (research, development, internal)")
    hint = f"; the firmware calls it '{product}'" if product else ""
    out.ask("system_name", f"the name the results table shows for this machine{hint}")
    out.ask("system_type", "datacenter, edge or both; taken from your profile's category")
    out.ask("cooling", "how the machine is cooled, e.g. 'air' or 'liquid'; nothing reports it")
    out.defaulted("number_of_nodes", "1", "mlperf-tui runs the benchmark on one node")


def _cpu_fields(out: _Fields, cpu: _Cpu) -> None:
    if cpu.model:
        out.detected("host_processor_model_name", cpu.model, cpu.model_source)
    else:
        out.ask(
            "host_processor_model_name",
            "the CPU model could not be read" + out.why("lscpu", "/proc/cpuinfo", "py-cpuinfo"),
        )
    if cpu.sockets:
        out.detected("host_processors_per_node", cpu.sockets, cpu.sockets_source)
    else:
        out.defaulted(
            "host_processors_per_node",
            "1",
            "the socket count is not reported; assumed one socket"
            + out.why("lscpu", "/proc/cpuinfo"),
        )
    if cpu.cores_per_socket:
        out.detected("host_processor_core_count", cpu.cores_per_socket, cpu.cores_source)
    elif cpu.logical:
        out.defaulted(
            "host_processor_core_count",
            str(cpu.logical // (cpu.sockets or 1) or cpu.logical),
            "physical cores are not reported; logical CPUs per socket used instead",
        )
    else:
        out.ask("host_processor_core_count", "physical cores per socket could not be read")
    if cpu.freq_mhz:
        out.detected("host_processor_frequency", format_mhz(cpu.freq_mhz), cpu.freq_source)
    else:
        out.defaulted(
            "host_processor_frequency", "", "the CPU clock is not reported" + out.why("freq")
        )
    if cpu.caches:
        out.detected("host_processor_caches", cpu.caches, cpu.caches_source)
    else:
        out.defaulted("host_processor_caches", "", "the CPU caches are not reported")
    if cpu.sockets is None or cpu.sockets <= 1:
        out.defaulted(
            "host_processor_interconnect",
            "",
            "single socket" if cpu.sockets else "socket count unknown; assumed single socket",
        )
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


def _memory_storage_fields(
    out: _Fields,
    memory: int | None,
    memory_source: str,
    dmi_memory: str | None,
    storage_bytes: int | None,
    storage_kind: str | None,
    storage_source: str,
) -> None:
    if memory:
        out.detected("host_memory_capacity", format_bytes(memory), memory_source)
    else:
        out.ask("host_memory_capacity", "memory size could not be read" + out.why("memory"))
    if dmi_memory:
        out.detected("host_memory_configuration", dmi_memory, "dmidecode")
    else:
        out.ask(
            "host_memory_configuration",
            "the memory modules, e.g. '8x 32 GB DDR5-4800'; reading them needs root "
            "(dmidecode -t memory)",
        )
    if storage_bytes:
        out.detected("host_storage_capacity", format_bytes(storage_bytes), storage_source)
    else:
        out.ask(
            "host_storage_capacity",
            "disk size could not be read" + out.why("/sys/block", "disk-usage"),
        )
    if storage_kind:
        out.detected("host_storage_type", storage_kind, "/sys/block")
    else:
        out.ask("host_storage_type", "the kind of disk, e.g. 'NVMe SSD'")


def _network_fields(out: _Fields, nics: list[tuple[str, str, int]], nic_source: str) -> None:
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
        out.defaulted(
            "host_networking",
            NOT_APPLICABLE,
            "no network interface found; a single-node run does not use the network",
        )
        out.defaulted("host_network_card_count", "0", "no network interface found")
    out.defaulted("host_networking_topology", NOT_APPLICABLE, "a single node: nothing to connect")


def _accelerator_fields(out: _Fields, nvidia: NvidiaFacts) -> None:
    gpus = nvidia.gpus
    if gpus:
        gpu_names = Counter(g.name for g in gpus)
        out.detected("accelerators_per_node", len(gpus), "NVML")
        out.detected("accelerator_model_name", ", ".join(gpu_names), "NVML")
        memories = {g.memory_bytes for g in gpus if g.memory_bytes}
        if memories:
            out.detected(
                "accelerator_memory_capacity", format_bytes(min(memories)), "NVML (per GPU)"
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
            out.ask("accelerator_host_interconnect", "the GPU's host link, e.g. 'PCIe Gen5 x16'")
        out.ask(
            "accelerator_memory_configuration",
            "the GPU memory type, e.g. 'HBM3' or 'GDDR6'; NVML does not report it",
        )
        nvlink = any(g.nvlink_active_links for g in gpus)
        if len(gpus) == 1 and not nvlink:
            out.defaulted("accelerator_interconnect", NOT_APPLICABLE, "a single GPU")
            out.defaulted("accelerator_interconnect_topology", "", "a single GPU")
        elif nvlink:
            nv_links = max(g.nvlink_active_links for g in gpus)
            out.detected(
                "accelerator_interconnect", f"NVLink ({nv_links} active links per GPU)", "NVML"
            )
            out.defaulted(
                "accelerator_interconnect_topology",
                "",
                "NVML shows NVLink but not its shape; describe it (e.g. 'NVSwitch') if known",
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


def _software_fields(
    out: _Fields, sw: Mapping[str, str | None], providers: tuple[str, ...], nvidia: NvidiaFacts
) -> None:
    if sw["onnxruntime"]:
        eps = ", ".join(providers) if providers else "unknown"
        out.detected(
            "framework",
            f"ONNX Runtime {sw['onnxruntime']}",
            f"the installed onnxruntime; execution providers: {eps}",
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


def _note_fields(out: _Fields, cpu: _Cpu) -> None:
    hw = []
    if cpu.logical and cpu.threads_per_core:
        hw.append(f"{cpu.logical} logical CPUs ({cpu.threads_per_core} thread(s) per core)")
    if cpu.hypervisor:
        hw.append(f"virtual machine ({cpu.hypervisor})")
    out.defaulted("hw_notes", "; ".join(hw), "filled from detection; add what a reader should know")
    out.defaulted("sw_notes", "", "add what a reader should know about the software, if anything")
    if cpu.hypervisor:
        out.defaulted(
            "system_type_detail",
            "virtual machine",
            f"the CPU reports the hypervisor {cpu.hypervisor}",
        )
    else:
        out.defaulted(
            "system_type_detail",
            "",
            "optional: the form factor, e.g. 'workstation', 'rack server', 'laptop'",
        )


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
