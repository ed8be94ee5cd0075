"""Memory modules (dmidecode), disks (/sys/block) and network interfaces (/sys/class/net)."""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from functools import partial

from mlperf_tui.system.cpu import Cpu
from mlperf_tui.system.parse import (
    decode,
    dmidecode_memory_gib,
    format_decimal_bytes,
    format_memory_size,
    likely_installed_gib,
    parse_dmidecode_memory,
    positive_int,
)
from mlperf_tui.system.probe import COMMAND_TIMEOUT_S, CommandNotRun, Facts, short_error

#: /sys/block entries that are not storage devices of the machine
_PSEUDO_BLOCK_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "zd")

#: ARPHRD_* link types of /sys/class/net/<if>/type
_LINK_TYPES = {"1": "Ethernet", "32": "InfiniBand"}


#: where the kernel exports the SMBIOS/DMI tables dmidecode reads (Linux 4.2 and later)
_DMI_TABLES = "/sys/firmware/dmi/tables"

#: dmidecode's places outside a normal user's PATH (Debian keeps it in /usr/sbin)
_DMIDECODE_PATHS = ("/usr/sbin/dmidecode", "/sbin/dmidecode")

#: what dmidecode prints when the firmware (or hypervisor) provides no SMBIOS tables
_NO_SMBIOS = "No SMBIOS nor DMI entry point found"


def detect_storage(f: Facts) -> tuple[int | None, str | None, str]:
    """(bytes, kind, source) over the machine's disks."""
    names = f.get("/sys/block", partial(f.probe.list_dir, "/sys/block")) or []
    total = 0
    kinds: Counter[str] = Counter()
    disks = []
    for name in names:
        if name.startswith(_PSEUDO_BLOCK_PREFIXES):
            continue
        sectors = positive_int(f.text(f"/sys/block/{name}/size"))
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
class Dmi:
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
            text = decode(stream) if stream else ""
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            lines = [ln for ln in lines if not ln.startswith("# dmidecode")]
            if lines:
                return f"{lines[0]}; exit status {exc.returncode}"
        return f"exit status {exc.returncode}"
    return short_error(exc)


def detect_dmi(f: Facts, cpu: Cpu, memory: int | None) -> Dmi:
    """``dmidecode -t 17`` (memory devices), and what stopped it when it lists nothing."""
    system = f.platform().get("system", "")
    docs = "type them from the machine's documentation or its firmware setup"
    if system != "Linux":
        where = f"this is {system}" if system else "the operating system is unknown"
        return Dmi(cause=f"they are read with dmidecode on Linux only, and {where}", fix=docs)
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
            return Dmi(modules, dmidecode_memory_gib(text))

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
        output = f"{decode(exc.output or '')}\n{decode(exc.stderr or '')}"

    if isinstance(exc, CommandNotRun):
        return Dmi(cause=short_error(exc), fix=docs)
    if _NO_SMBIOS in output:
        if not firmware_shown:
            return Dmi(cause=f"dmidecode finds no SMBIOS/DMI tables ({_NO_SMBIOS})", fix=hidden)
        return Dmi(
            cause=f"{machine} has no SMBIOS/DMI tables (dmidecode: {_NO_SMBIOS})",
            fix=no_tables_fix,
        )
    if isinstance(exc, FileNotFoundError):
        if not tables and firmware_shown:
            return Dmi(
                cause=f"dmidecode is not installed, and installing it would not help: {machine} "
                f"has no SMBIOS/DMI tables for it to read ({_DMI_TABLES} is missing)",
                fix=no_tables_fix,
            )
        if not tables:
            return Dmi(cause="dmidecode is not installed", fix=hidden)
        install = (
            "install it (apt install dmidecode) and run detect again"
            if root
            else "install it (sudo apt install dmidecode), then " + sudo_fix
        )
        return Dmi(cause="dmidecode is not installed", fix=install)
    if isinstance(exc, subprocess.TimeoutExpired):
        return Dmi(cause=f"dmidecode -t 17 did not finish within {COMMAND_TIMEOUT_S:g} s", fix=docs)
    if exc is not None:
        detail = _command_detail(exc)
        if not root:
            return Dmi(
                cause="dmidecode needs root to read the SMBIOS tables, and mlperf-tui runs as "
                f"a normal user (dmidecode: {detail})",
                fix=sudo_fix,
            )
        if not tables and not firmware_shown:
            return Dmi(cause=f"dmidecode -t 17 failed ({detail})", fix=hidden)
        return Dmi(cause=f"dmidecode -t 17 failed, even as root ({detail})", fix=docs)
    # dmidecode ran and listed no installed module
    if not root:
        return Dmi(
            cause="dmidecode -t 17 lists no memory module to a normal user (reading the SMBIOS "
            "tables needs root)",
            fix=sudo_fix,
        )
    if not tables:
        if not firmware_shown:
            return Dmi(cause="dmidecode -t 17 lists no memory module", fix=hidden)
        return Dmi(
            cause=f"{machine} has no SMBIOS/DMI tables ({_DMI_TABLES} is missing)",
            fix=no_tables_fix,
        )
    if cpu.virtual:
        return Dmi(
            cause=f"dmidecode -t 17 lists no memory module: the SMBIOS tables of {machine} "
            "describe none",
            fix=no_tables_fix,
        )
    return Dmi(cause="dmidecode -t 17 (run as root) lists no installed memory module", fix=docs)


def detect_network(f: Facts) -> tuple[list[tuple[str, str, int]], str]:
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
