"""Pure parsers of lscpu, /proc and dmidecode text, and sizes written as submitters write them."""

from __future__ import annotations

import math
import re
from collections import Counter

GIB = 1024**3


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


def positive_int(text: str | None) -> int | None:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def positive_float(text: object) -> float | None:
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def decode(value: object) -> str:
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
    gib = usable_bytes / GIB
    for size in _installed_sizes(gib):
        if gib <= size <= gib * (1 + _RESERVED_MAX):
            return size
    return max(1, math.ceil(gib - 1e-9))


def format_gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"
