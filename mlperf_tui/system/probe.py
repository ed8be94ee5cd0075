"""Raw access to the machine (:class:`Probe`, :class:`FrozenProbe`) and each source read once.

Every probe method may raise; :class:`Facts` catches it and remembers a short reason, so
detection never raises.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlperf_tui.system.parse import parse_key_values, parse_proc_cpuinfo

if TYPE_CHECKING:
    from mlperf_tui.system.providers import ProviderTrial

T = TypeVar("T")


#: seconds a probing command (lscpu, dmidecode) may take
COMMAND_TIMEOUT_S = 10.0


class CommandNotRun(RuntimeError):
    """A probe rooted at another machine's files does not run commands (they would see this host)."""


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
            timeout=COMMAND_TIMEOUT_S,
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

    def provider_trials(self, providers: Sequence[str]) -> Mapping[str, ProviderTrial]:
        """Each provider tried on a tiny model in a child process (seconds; see providers)."""
        from mlperf_tui.system.providers import run_trials

        return run_trials(providers)

    def nvml(self) -> Any:
        """The NVML binding (module ``pynvml`` of nvidia-ml-py)."""
        return importlib.import_module("pynvml")


class FrozenProbe(Probe):
    """A probe that answers only from the data it was given; anything else is missing.

    For tests and UI snapshots: the same description on every machine. ``commands`` maps a
    command line (``"lscpu"``) to its output, or to the exception running it raises (e.g. a
    ``CalledProcessError`` with stderr); ``files`` maps absolute paths to contents; ``as_root``
    says whether the process runs as root; ``trials`` maps an execution provider to what trying
    it showed (a provider it lacks was not answered).
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
        trials: Mapping[str, ProviderTrial] | None = None,
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
        self._trials = trials
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

    def provider_trials(self, providers: Sequence[str]) -> Mapping[str, ProviderTrial]:
        if self._trials is None:
            raise self._missing("a provider trial")
        return {p: self._trials[p] for p in providers if p in self._trials}

    def nvml(self) -> Any:
        if self._nvml is None:
            raise ModuleNotFoundError("No module named 'pynvml'")
        return self._nvml


class Facts:
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
            self.errors[key] = short_error(exc)
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


def short_error(exc: BaseException) -> str:
    """The first line of the error's message, or its type when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
