"""CPU names: a brand string without a model number says too little.

Whether a brand string is generic, the likely server generation from CPUID family/model, and
what to tell the user when the hypervisor hides the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlperf_tui.system.cpu import Cpu

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


def hidden_model_reason(cpu: Cpu, name: str) -> str:
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
