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
import math
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

_GIB = 1024**3

#: where the kernel exports the SMBIOS/DMI tables dmidecode reads (Linux 4.2 and later)
_DMI_TABLES = "/sys/firmware/dmi/tables"

#: dmidecode's places outside a normal user's PATH (Debian keeps it in /usr/sbin)
_DMIDECODE_PATHS = ("/usr/sbin/dmidecode", "/sbin/dmidecode")

#: what dmidecode prints when the firmware (or hypervisor) provides no SMBIOS tables
_NO_SMBIOS = "No SMBIOS nor DMI entry point found"


class CommandNotRun(RuntimeError):
    """A probe rooted at another machine's files does not run commands (they would see this host)."""


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
        """stdout of a command in the C locale; raises when missing, failing or slow.

        Missing: FileNotFoundError; failing: CalledProcessError (with its stderr); slow:
        TimeoutExpired.
        """
        if self.root != Path("/"):
            raise CommandNotRun(f"{argv[0]}: not run for a probe rooted at {self.root}")
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

    def is_root(self) -> bool:
        """Whether this process runs as root (dmidecode needs it to read the SMBIOS tables)."""
        geteuid = getattr(os, "geteuid", None)
        return geteuid is not None and geteuid() == 0

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
    command line (``"lscpu"``) to its output, or to the exception running it raises (e.g. a
    ``CalledProcessError`` with stderr); ``files`` maps absolute paths to contents; ``as_root``
    says whether the process runs as root.
    """

    def __init__(
        self,
        *,
        files: Mapping[str, str] | None = None,
        commands: Mapping[str, str | BaseException] | None = None,
        as_root: bool = False,
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
        self._as_root = as_root

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
            answer = self._commands[" ".join(argv)]
        except KeyError:
            raise self._missing(argv[0]) from None
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def is_root(self) -> bool:
        return self._as_root

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


def _dmi_module_mib(size: str) -> int | None:
    """A dmidecode ``Size:`` ('32 GB', '16384 MB', '1 TB') in MiB; None for empty slots."""
    match = re.match(r"\s*(\d+)\s*(kB|MB|GB|TB)\b", size)
    if not match:
        return None
    factor = {"kB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1024**2}[match.group(2)]
    mib = int(int(match.group(1)) * factor)
    return mib or None


def _dmi_modules(text: str) -> list[tuple[int, str]]:
    """``dmidecode -t 17`` -> (size in MiB, '32 GB DDR5-4800') per installed module."""
    modules = []
    for block in text.split("Memory Device")[1:]:
        kv = parse_key_values(block)
        mib = _dmi_module_mib(kv.get("Size", ""))
        if mib is None:  # "No Module Installed", "Unknown"
            continue
        # dmidecode's "GB" are GiB, as module sizes are sold: write them so, "32 GB"
        desc = f"{mib // 1024} GB" if mib % 1024 == 0 else f"{mib} MB"
        kind = kv.get("Type", "")
        speed = kv.get("Configured Memory Speed") or kv.get("Speed", "")
        speed_num = re.match(r"(\d+)", speed)
        if kind and kind.lower() not in ("unknown", "other"):
            desc += f" {kind}"
            if speed_num:
                desc += f"-{speed_num.group(1)}"
        modules.append((mib, desc))
    return modules


def parse_dmidecode_memory(text: str) -> str | None:
    """``dmidecode -t 17`` -> '8x 32 GB DDR5-4800' (None when no module is listed)."""
    modules = Counter(desc for _, desc in _dmi_modules(text))
    if not modules:
        return None
    return ", ".join(f"{n}x {desc}" for desc, n in modules.most_common())


def dmidecode_memory_gib(text: str) -> int | None:
    """The installed memory of ``dmidecode -t 17``: the modules' sizes added up, in GiB."""
    total_mib = sum(mib for mib, _ in _dmi_modules(text))
    return round(total_mib / 1024) or None


# ---------------------------------------------------------------------------------------------
# Sizes as submitters write them


def _three_digits(value: float) -> tuple[float, int]:
    """``value`` rounded to three significant digits, and the decimals that leaves."""
    digits = max(0, 2 - math.floor(math.log10(value)))
    return round(value, digits), digits


def format_decimal_bytes(n: int) -> str:
    """Storage as vendors sell it: decimal units, three significant digits: 275 GB, 1.92 TB."""
    if n <= 0:
        return "0 GB"
    value, unit = n / 1e9, "GB"
    if _three_digits(value)[0] >= 1000:
        value, unit = n / 1e12, "TB"
    rounded, digits = _three_digits(value)
    text = f"{rounded:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}"


def format_memory_size(gib: int) -> str:
    """Memory as it is sold and as results write it: GiB called "GB"; 24 GB, 512 GB, 1.5 TB."""
    if gib >= 1024 and (gib * 4) % 1024 == 0:  # whole or quarter TB: 1 TB, 1.5 TB, 2 TB
        return f"{gib / 1024:g} TB"
    return f"{gib} GB"


def _installed_sizes(limit_gib: float) -> list[int]:
    """Memory totals machines are built with: 2^k and 9/8, 5/4, 3/2 of it (576, 640, 768)."""
    sizes = set()
    k = 0
    while 2**k <= 2 * limit_gib:
        for eighths in (8, 9, 10, 12):
            if (eighths * 2**k) % 8 == 0:
                sizes.add(eighths * 2**k // 8)
        k += 1
    return sorted(sizes)


#: the most an installed size may lie above the usable memory to be taken for it: the kernel
#: keeps about 1.5-3% (page tables of all memory, its own code, firmware reservations)
_RESERVED_MAX = 0.035


def likely_installed_gib(usable_bytes: int) -> int:
    """The installed memory (GiB) a machine with this much usable memory most likely has.

    A usual size (2^k, or 9/8, 5/4, 3/2 of it) at most 3.5% above the usable memory: 503 GiB
    usable -> 512, 23.6 -> 24, 376 -> 384. Otherwise the usable memory rounded up to a whole
    GiB (the kernel keeps some, so the installed size is never less): 29.4 -> 30.
    """
    gib = usable_bytes / _GIB
    for size in _installed_sizes(gib):
        if gib <= size <= gib * (1 + _RESERVED_MAX):
            return size
    return max(1, math.ceil(gib - 1e-9))


def _gib(n: int) -> str:
    return f"{n / _GIB:.1f} GiB"


# ---------------------------------------------------------------------------------------------
# CPU names: a brand string without a model number says too little


#: the defaults of QEMU/KVM when no host CPU model is passed through (they carry digits)
_HYPERVISOR_CPU_NAME = re.compile(r"^\s*(QEMU Virtual CPU|Common (32-bit )?KVM processor)", re.I)

#: the first word of a brand string of a vendor whose names carry a model number
_VENDOR_WORDS = frozenset({"intel", "amd", "hygon"})

#: vendor_id of x86 CPUs -> the vendor's name
_VENDOR_NAMES = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}

#: desktop and workstation brands: they share CPUID family/model numbers with the server parts
#: of the generation table, so a generation is not guessed for them
_CLIENT_BRANDS = frozenset(
    {"core", "ryzen", "threadripper", "pentium", "celeron", "atom", "athlon"}
)


def _brand_noise(name: str) -> str:
    """The brand string without (R)/(TM), the clock, the core count and hypervisor notes."""
    text = re.sub(r"\((?:R|TM|C)\)", " ", name, flags=re.I)
    text = re.sub(r"@\s*\d+(?:\.\d+)?\s*[GM]Hz", " ", text, flags=re.I)
    text = re.sub(r"\([^)]*\)", " ", text)  # QEMU's "(Icelake)", "(Skylake, IBRS)"
    text = re.sub(r"\b\d+-Core\b", " ", text, flags=re.I)
    return " ".join(text.split())


def is_generic_cpu_name(name: str) -> bool:
    """Whether a CPU brand string names only a vendor and family, no model number.

    Hypervisors often hide the model: "Intel(R) Xeon(R) Processor", "AMD EPYC",
    "Intel(R) Xeon(R) CPU @ 2.20GHz", "AMD EPYC-Milan Processor", "QEMU Virtual CPU version
    2.5+". A name with a model number ("AMD EPYC 9654 96-Core Processor", "Intel(R) Xeon(R)
    Platinum 8480+", "AMD Ryzen 9 7950X") is specific; so is any name not starting with an
    x86 vendor ("Neoverse-N1", "Apple M2"), which this cannot judge.
    """
    if _HYPERVISOR_CPU_NAME.match(name):
        return True
    words = [w for w in re.split(r"[\s\-_,:]+", _brand_noise(name)) if w]
    if not words or words[0].lower() not in _VENDOR_WORDS:
        return False
    return not any(ch.isdigit() for word in words for ch in word)


def _brand_family(name: str, vendor_id: str | None) -> str:
    """What a generic name does say: "Intel Xeon", "AMD EPYC" (or only the vendor)."""
    vendor = _VENDOR_NAMES.get(vendor_id or "", vendor_id or "")
    if _HYPERVISOR_CPU_NAME.match(name):
        return vendor or "an unknown vendor"
    words = [w for w in _brand_noise(name).split() if w.lower() not in ("processor", "cpu")]
    return " ".join(words) or vendor or "an unknown vendor"


@dataclass(frozen=True)
class CpuGeneration:
    """A server CPU generation and an exact brand string of one of its models."""

    name: str
    example: str | None


# CPUID family/model -> server generation. Sources: Linux arch/x86/include/asm/intel-family.h
# (SKYLAKE_X 0x55, ICELAKE_X 0x6A, ICELAKE_D 0x6C, SAPPHIRERAPIDS_X 0x8F, EMERALDRAPIDS_X
# 0xCF, GRANITERAPIDS_X 0xAD, ATOM_CRESTMONT_X 0xAF = Sierra Forest) and the Zen generations
# of bsp_init_amd() in arch/x86/kernel/cpu/amd.c with AMD's Processor Programming References
# (family 17h model 01h Naples, 31h Rome; 19h 01h Milan, 11h Genoa, A0h Bergamo/Siena; 1Ah
# Turin). Only the server parts: desktop parts share some of these numbers.
_INTEL_FAMILY_6 = {
    0x6A: CpuGeneration(
        "3rd Gen Xeon Scalable, Ice Lake-SP", "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"
    ),
    0x6C: CpuGeneration("Xeon D, Ice Lake-D", None),
    0x8F: CpuGeneration(
        "4th Gen Xeon Scalable, Sapphire Rapids", "Intel(R) Xeon(R) Platinum 8480+"
    ),
    0xCF: CpuGeneration("5th Gen Xeon Scalable, Emerald Rapids", "Intel(R) Xeon(R) Platinum 8592+"),
    0xAD: CpuGeneration("Xeon 6 with P-cores, Granite Rapids", "Intel(R) Xeon(R) 6980P"),
    0xAF: CpuGeneration("Xeon 6 with E-cores, Sierra Forest", "Intel(R) Xeon(R) 6780E"),
}
#: (family, first model, last model) -> generation
_AMD_GENERATIONS = (
    (0x17, 0x01, 0x01, CpuGeneration("EPYC 7001, Naples (Zen)", "AMD EPYC 7601 32-Core Processor")),
    (0x17, 0x30, 0x3F, CpuGeneration("EPYC 7002, Rome (Zen 2)", "AMD EPYC 7742 64-Core Processor")),
    (
        0x19,
        0x00,
        0x0F,
        CpuGeneration("EPYC 7003, Milan (Zen 3)", "AMD EPYC 7763 64-Core Processor"),
    ),
    (
        0x19,
        0x10,
        0x1F,
        CpuGeneration("EPYC 9004, Genoa (Zen 4)", "AMD EPYC 9654 96-Core Processor"),
    ),
    (
        0x19,
        0xA0,
        0xAF,
        CpuGeneration(
            "EPYC 97x4 Bergamo or 8004 Siena (Zen 4c)", "AMD EPYC 9754 128-Core Processor"
        ),
    ),
    (
        0x1A,
        0x00,
        0x1F,
        CpuGeneration("EPYC 9005, Turin (Zen 5)", "AMD EPYC 9755 128-Core Processor"),
    ),
)
#: an exact name to show when the generation is unknown, per vendor
_EXAMPLE_NAMES = {
    "Intel": "Intel(R) Xeon(R) Platinum 8480+",
    "AMD": "AMD EPYC 9654 96-Core Processor",
}


def cpu_generation(
    vendor_id: str | None,
    family: int | None,
    model: int | None,
    flags: frozenset[str] = frozenset(),
    brand: str = "",
) -> CpuGeneration | None:
    """The likely server generation of an x86 CPU from its CPUID family/model and flags.

    None where the numbers are not in the (small) table or the brand is a desktop one.
    """
    if family is None or model is None or _CLIENT_BRANDS & set(brand.lower().split()):
        return None
    if vendor_id == "GenuineIntel" and family == 6:
        if model == 0x55:  # Skylake-SP, Cascade Lake and Cooper Lake share model 85
            if "avx512_bf16" in flags:
                return CpuGeneration(
                    "3rd Gen Xeon Scalable, Cooper Lake",
                    "Intel(R) Xeon(R) Platinum 8380H CPU @ 2.90GHz",
                )
            if "avx512_vnni" in flags:
                return CpuGeneration(
                    "2nd Gen Xeon Scalable, Cascade Lake",
                    "Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz",
                )
            if flags:
                return CpuGeneration(
                    "1st Gen Xeon Scalable, Skylake-SP",
                    "Intel(R) Xeon(R) Platinum 8180 CPU @ 2.50GHz",
                )
            return CpuGeneration("1st or 2nd Gen Xeon Scalable, Skylake-SP or Cascade Lake", None)
        return _INTEL_FAMILY_6.get(model)
    if vendor_id == "AuthenticAMD":
        for fam, first, last, generation in _AMD_GENERATIONS:
            if family == fam and first <= model <= last:
                return generation
    return None


# ---------------------------------------------------------------------------------------------
# Detection


class _Facts:
    """Each raw source read once, failures remembered as short reasons."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.errors: dict[str, str] = {}
        self.exceptions: dict[str, BaseException] = {}
        self._cache: dict[str, Any] = {}

    def get(self, key: str, fn: Callable[[], T]) -> T | None:
        if key in self._cache:
            cached: T | None = self._cache[key]
            return cached
        try:
            value: T | None = fn()
        except Exception as exc:  # detection never raises: an odd machine only loses a source
            self.errors[key] = _short_error(exc)
            self.exceptions[key] = exc
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

    flags = frozenset((lscpu.get("Flags") or first.get("flags") or "").split())
    hypervisor = lscpu.get("Hypervisor vendor") or None
    virtual = hypervisor is not None or "hypervisor" in flags
    under = f"the {hypervisor} hypervisor" if hypervisor else "the hypervisor"

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
            freq_source = "the current clock" + (
                f" ({under} passes on no maximum clock)"
                if virtual
                else " (no cpufreq driver reports the maximum clock)"
            )
    if freq_mhz is None and f.fetched("py-cpuinfo"):  # only when it was fetched anyway
        hz = f.py_cpuinfo().get("hz_advertised")
        if isinstance(hz, (list, tuple)) and hz and _positive_float(hz[0]):
            freq_mhz, freq_source = float(hz[0]) / 1e6, "py-cpuinfo (advertised)"

    caches, caches_source = _detect_caches(f, lscpu)
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
        virtual=virtual,
        family=_cpuid_number(lscpu.get("CPU family") or first.get("cpu family")),
        model_number=_cpuid_number(lscpu.get("Model") or first.get("model")),
        flags=flags,
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
    disks = []
    for name in names:
        if name.startswith(_PSEUDO_BLOCK_PREFIXES):
            continue
        sectors = _positive_int(f.text(f"/sys/block/{name}/size"))
        if not sectors:
            continue
        total += sectors * 512  # /sys/block/*/size counts 512-byte sectors on every device
        disks.append(f"{name} {format_decimal_bytes(sectors * 512)}")
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
        return total, kind_text, f"/sys/block ({', '.join(disks)})"
    root_total = f.get("disk-usage", lambda: f.probe.disk_usage_bytes("/"))
    if root_total:
        return root_total, None, "size of the root file system (no disks listed in /sys/block)"
    return None, None, ""


@dataclass(frozen=True)
class _Dmi:
    """The memory modules dmidecode lists, or why none is known and what the user can do."""

    modules: str | None = None
    total_gib: int | None = None
    #: why no module is known, e.g. "dmidecode is not installed"
    cause: str = ""
    #: what the user can do about it
    fix: str = ""


def _command_detail(exc: BaseException) -> str:
    """What a failed command said: its first stderr line, else the error's first line."""
    if isinstance(exc, subprocess.CalledProcessError):
        for stream in (exc.stderr, exc.output):
            text = _decode(stream) if stream else ""
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            lines = [ln for ln in lines if not ln.startswith("# dmidecode")]
            if lines:
                return f"{lines[0]}; exit status {exc.returncode}"
        return f"exit status {exc.returncode}"
    return _short_error(exc)


def _detect_dmi(f: _Facts, cpu: _Cpu, memory: int | None) -> _Dmi:
    """``dmidecode -t 17`` (memory devices), and what stopped it when it lists nothing."""
    system = f.platform().get("system", "")
    docs = "type them from the machine's documentation or its firmware setup"
    if system != "Linux":
        where = f"this is {system}" if system else "the operating system is unknown"
        return _Dmi(cause=f"they are read with dmidecode on Linux only, and {where}", fix=docs)
    root = bool(f.get("root", f.probe.is_root))
    tables = bool(f.get("dmi-tables", partial(f.probe.exists, _DMI_TABLES)))
    # a container often hides /sys/firmware: then missing tables say nothing about the machine
    firmware_shown = bool(f.get("/sys/firmware", partial(f.probe.list_dir, "/sys/firmware")))
    key = "dmidecode"
    text = f.get(key, partial(f.probe.run, ["dmidecode", "-t", "17"]))
    if isinstance(f.exceptions.get(key), FileNotFoundError):
        # a normal user's PATH often lacks /usr/sbin, where dmidecode lives
        for path in _DMIDECODE_PATHS:
            if f.get(f"exists:{path}", partial(f.probe.exists, path)):
                key = f"dmidecode:{path}"
                text = f.get(key, partial(f.probe.run, [path, "-t", "17"]))
                break
    exc = f.exceptions.get(key)
    if text is not None:
        modules = parse_dmidecode_memory(text)
        if modules:
            return _Dmi(modules, dmidecode_memory_gib(text))

    machine = cpu.vm() if cpu.virtual else "this machine"
    if cpu.virtual:
        no_tables_fix = (
            "type the host's modules if the provider publishes them, or describe the virtual "
            "machine's memory"
        )
        if memory:
            no_tables_fix += f", e.g. '{format_memory_size(likely_installed_gib(memory))} "
            no_tables_fix += "(virtual machine)'"
    else:
        no_tables_fix = docs
    hidden = (
        "/sys/firmware is hidden here (inside a container?), so run "
        "`sudo dmidecode -t 17` on the host and type the modules it lists"
    )
    sudo_fix = "run `sudo dmidecode -t 17` and type the modules it lists (or run detect as root)"
    output = text or ""
    if isinstance(exc, subprocess.CalledProcessError):
        output = f"{_decode(exc.output or '')}\n{_decode(exc.stderr or '')}"

    if isinstance(exc, CommandNotRun):
        return _Dmi(cause=_short_error(exc), fix=docs)
    if _NO_SMBIOS in output:
        if not firmware_shown:
            return _Dmi(cause=f"dmidecode finds no SMBIOS/DMI tables ({_NO_SMBIOS})", fix=hidden)
        return _Dmi(
            cause=f"{machine} has no SMBIOS/DMI tables (dmidecode: {_NO_SMBIOS})",
            fix=no_tables_fix,
        )
    if isinstance(exc, FileNotFoundError):
        if not tables and firmware_shown:
            return _Dmi(
                cause=f"dmidecode is not installed, and installing it would not help: {machine} "
                f"has no SMBIOS/DMI tables for it to read ({_DMI_TABLES} is missing)",
                fix=no_tables_fix,
            )
        if not tables:
            return _Dmi(cause="dmidecode is not installed", fix=hidden)
        install = (
            "install it (apt install dmidecode) and run detect again"
            if root
            else "install it (sudo apt install dmidecode), then " + sudo_fix
        )
        return _Dmi(cause="dmidecode is not installed", fix=install)
    if isinstance(exc, subprocess.TimeoutExpired):
        return _Dmi(
            cause=f"dmidecode -t 17 did not finish within {_COMMAND_TIMEOUT_S:g} s", fix=docs
        )
    if exc is not None:
        detail = _command_detail(exc)
        if not root:
            return _Dmi(
                cause="dmidecode needs root to read the SMBIOS tables, and mlperf-tui runs as "
                f"a normal user (dmidecode: {detail})",
                fix=sudo_fix,
            )
        if not tables and not firmware_shown:
            return _Dmi(cause=f"dmidecode -t 17 failed ({detail})", fix=hidden)
        return _Dmi(cause=f"dmidecode -t 17 failed, even as root ({detail})", fix=docs)
    # dmidecode ran and listed no installed module
    if not root:
        return _Dmi(
            cause="dmidecode -t 17 lists no memory module to a normal user (reading the SMBIOS "
            "tables needs root)",
            fix=sudo_fix,
        )
    if not tables:
        if not firmware_shown:
            return _Dmi(cause="dmidecode -t 17 lists no memory module", fix=hidden)
        return _Dmi(
            cause=f"{machine} has no SMBIOS/DMI tables ({_DMI_TABLES} is missing)",
            fix=no_tables_fix,
        )
    if cpu.virtual:
        return _Dmi(
            cause=f"dmidecode -t 17 lists no memory module: the SMBIOS tables of {machine} "
            "describe none",
            fix=no_tables_fix,
        )
    return _Dmi(cause="dmidecode -t 17 (run as root) lists no installed memory module", fix=docs)


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

    def ask(self, name: str, reason: str, default: str = "") -> None:
        """A question; ``default`` is what is known (the answer offered, and used unanswered)."""
        self._put(name, default, FieldStatus.ASK, reason)

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
    dmi = _detect_dmi(f, cpu, memory)
    product = (f.text("/sys/class/dmi/id/product_name") or "").strip()

    out = _Fields(f)
    _submitter_fields(out, product)
    _cpu_fields(out, cpu)
    _memory_fields(out, memory, memory_source, dmi)
    _storage_fields(out, storage_bytes, storage_kind, storage_source)
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


def _hidden_model_reason(cpu: _Cpu, name: str) -> str:
    """Why a generic CPU name is asked for, with what is known about the CPU."""
    brand = _brand_family(name, cpu.vendor)
    known = brand
    if cpu.family is not None and cpu.model_number is not None:
        known += f", family {cpu.family} model {cpu.model_number}"
    generation = cpu_generation(cpu.vendor, cpu.family, cpu.model_number, cpu.flags, brand)
    if generation:
        known += f" (likely {generation.name})"
    example = generation.example if generation else None
    if example is None and not generation and any(b in brand for b in ("Xeon", "EPYC")):
        example = _EXAMPLE_NAMES.get(_VENDOR_NAMES.get(cpu.vendor or "", ""))
    if cpu.virtual:
        cause = f'{cpu.under()} hides the CPU model ("{name}")'
        where = "lscpu on the host or the cloud instance type's specification names it"
    else:
        cause = f'the CPU reports only a generic name ("{name}")'
        where = "the machine's specification names it"
    hint = f', e.g. "{example}"' if example else ""
    return f"{cause}; known: {known} — type the exact name ({where}){hint}"


def _cpu_fields(out: _Fields, cpu: _Cpu) -> None:
    if cpu.model and not is_generic_cpu_name(cpu.model):
        out.detected("host_processor_model_name", cpu.model, cpu.model_source)
    elif cpu.model:
        # the name the hypervisor shows is offered as the answer until the user gives the real one
        out.ask("host_processor_model_name", _hidden_model_reason(cpu, cpu.model), cpu.model)
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


def _memory_fields(out: _Fields, memory: int | None, memory_source: str, dmi: _Dmi) -> None:
    """Memory as results write it: the installed size ("512 GB"), not what the OS can use."""
    if memory and dmi.total_gib and dmi.total_gib * _GIB >= memory:
        out.detected(
            "host_memory_capacity",
            format_memory_size(dmi.total_gib),
            f"dmidecode: the installed modules add up to {format_memory_size(dmi.total_gib)}; "
            f"{memory_source} shows {_gib(memory)} usable",
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
            f"{memory_source} shows {_gib(memory)} usable ({memory / 1e9:.1f} GB); the kernel "
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


def _storage_fields(
    out: _Fields, storage_bytes: int | None, storage_kind: str | None, storage_source: str
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
        none = "no network interface found" + out.why("net", "net-stats")
        out.defaulted(
            "host_networking",
            NOT_APPLICABLE,
            f"{none}; a single-node run does not use the network",
        )
        out.defaulted("host_network_card_count", "0", none)
    out.defaulted("host_networking_topology", NOT_APPLICABLE, "a single node: nothing to connect")


def _accelerator_fields(out: _Fields, nvidia: NvidiaFacts) -> None:
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


def _gpu_memory(memory_bytes: int, name: str, mixed: bool) -> tuple[str, str]:
    """(value, source) of one GPU's memory as its maker sells it, e.g. '80 GB'.

    NVML reports the memory a program can use, a little less than the card's: an H100 80GB
    shows 79.6 GiB, an H200 140.4 GiB of its '141 GB'. A size in the name wins; otherwise the
    usable memory is rounded up to whole GiB (written "GB", as GPU makers do).
    """
    usable = f"{_gib(memory_bytes)} usable per GPU"
    if mixed:
        usable += ", the smallest of the GPUs"
    in_name = re.search(r"(\d+)\s*GB\b", name, re.IGNORECASE)
    if in_name:
        return f"{in_name.group(1)} GB", f"the GPU's name '{name}' (NVML: {usable})"
    size = max(1, math.ceil(memory_bytes / _GIB - 0.05))
    return f"{size} GB", (
        f"NVML: {usable}, rounded up to whole GB (GDDR cards with ECC on show 1/16 less "
        "than their size)"
    )


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
