"""Hardware and software detection (mlperf_tui/system.py) and the systems-JSON fields."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mlperf_tui.errors import RulesError
from mlperf_tui.rules.systems import (
    REQUIRED_FIELD_NAMES,
    SYSTEM_FIELD_NAMES,
    SYSTEM_FIELDS,
    system_field,
    value_allowed,
)
from mlperf_tui.system import (
    FieldStatus,
    FieldValue,
    FrozenProbe,
    Probe,
    SystemDescription,
    cpu_generation,
    detect,
    dmidecode_memory_gib,
    format_bytes,
    format_decimal_bytes,
    format_memory_size,
    is_generic_cpu_name,
    likely_installed_gib,
    parse_cache_size,
    parse_dmidecode_memory,
)

FIXTURES = Path(__file__).parent / "system_fixtures"

# The official checker's lists (submission_checker/constants.py, rounds v5.1-v6.1), pinned here
# so that a change to rules/systems.py must be deliberate.
CHECKER_REQUIRED_FIELDS = [
    "division",
    "submitter",
    "status",
    "system_name",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_memory_capacity",
    "host_storage_capacity",
    "host_storage_type",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "framework",
    "operating_system",
    "system_type",
    "other_software_stack",
    "host_processor_frequency",
    "host_processor_caches",
    "host_memory_configuration",
    "host_processor_interconnect",
    "host_networking",
    "host_networking_topology",
    "accelerator_frequency",
    "accelerator_host_interconnect",
    "accelerator_interconnect",
    "accelerator_interconnect_topology",
    "accelerator_memory_configuration",
    "accelerator_on-chip_memories",
    "cooling",
    "hw_notes",
    "sw_notes",
    "host_network_card_count",
    "system_type_detail",
]
CHECKER_MEANINGFUL_FIELDS = [
    "division",
    "submitter",
    "system_type",
    "status",
    "system_name",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_memory_capacity",
    "host_memory_configuration",
    "host_storage_capacity",
    "host_storage_type",
    "host_networking",
    "host_network_card_count",
    "host_networking_topology",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "accelerator_host_interconnect",
    "accelerator_memory_configuration",
    "accelerator_interconnect",
    "cooling",
    "framework",
    "operating_system",
    "other_software_stack",
]

GIB = 1024**3


def decimal_bytes_of(text: str) -> float:
    """'275 GB', '1.92 TB' (storage, decimal) -> bytes."""
    number, unit = text.split()
    return float(number) * {"GB": 1e9, "TB": 1e12}[unit]


def memory_gib_of(text: str) -> float:
    """'24 GB', '1.5 TB' (memory as sold: a "GB" is a GiB) -> GiB."""
    number, unit = text.split()
    return float(number) * {"GB": 1, "TB": 1024}[unit]


# --------------------------------------------------------------------------- the field list


def test_field_list_is_the_checkers() -> None:
    assert list(SYSTEM_FIELD_NAMES) == CHECKER_REQUIRED_FIELDS
    assert len(SYSTEM_FIELDS) == 35
    assert sorted(REQUIRED_FIELD_NAMES) == sorted(CHECKER_MEANINGFUL_FIELDS)
    assert len(REQUIRED_FIELD_NAMES) == 26
    assert all(f.description for f in SYSTEM_FIELDS)
    # the counts the checker's results table and the rules compute with are whole numbers
    assert {f.name for f in SYSTEM_FIELDS if f.kind == "int"} == {
        "number_of_nodes",
        "host_processors_per_node",
        "host_processor_core_count",
        "accelerators_per_node",
    }
    assert {f.kind for f in SYSTEM_FIELDS} == {"str", "int"}


def test_allowed_values_follow_the_checker() -> None:
    assert system_field("status").allowed == ("available", "preview", "rdi")
    assert set(system_field("system_type").allowed) == {
        "datacenter",
        "edge",
        "datacenter,edge",
        "edge,datacenter",
    }
    assert value_allowed("status", "Available")  # the checker lower-cases status
    assert not value_allowed("status", "sold")
    assert not value_allowed("system_type", "Edge")  # ... but not system_type
    assert value_allowed("division", "closed") and not value_allowed("division", "secret")
    assert value_allowed("cooling", "anything at all")


def test_unknown_field_name_suggests_the_right_one() -> None:
    with pytest.raises(RulesError, match='did you mean "cooling"'):
        system_field("coolling")


# --------------------------------------------------------------------------- this machine


@pytest.fixture(scope="module")
def here() -> SystemDescription:
    return detect()


def test_this_machine_yields_every_field_with_provenance(here: SystemDescription) -> None:
    assert tuple(v.name for v in here.fields) == SYSTEM_FIELD_NAMES
    for v in here.fields:
        assert isinstance(v.value, str)
        assert v.status in tuple(FieldStatus)
        assert v.reason, v.name
        if v.status is FieldStatus.ASK and v.name != "host_processor_model_name":
            assert v.value == ""  # nothing known: the question has no default
    asked = {v.name for v in here.fields if v.status is FieldStatus.ASK}
    assert {"division", "submitter", "status", "system_name", "cooling"} <= asked
    model = here.facts.cpu_model
    assert model
    # a brand string with a model number is detected; a hypervisor's generic one is asked
    expected = FieldStatus.ASK if is_generic_cpu_name(model) else FieldStatus.DETECTED
    assert here["host_processor_model_name"].status is expected


def test_logical_cpu_count_is_os_cpu_count(here: SystemDescription) -> None:
    assert here.facts.logical_cpus == os.cpu_count()


@pytest.mark.skipif(not Path("/proc/meminfo").exists(), reason="no /proc/meminfo")
def test_memory_matches_proc_meminfo(here: SystemDescription) -> None:
    text = Path("/proc/meminfo").read_text()
    mem_total = int(re.search(r"MemTotal:\s+(\d+) kB", text).group(1)) * 1024  # type: ignore[union-attr]
    assert here.facts.memory_bytes is not None
    assert abs(here.facts.memory_bytes - mem_total) / mem_total < 0.01
    # the installed size: never less than what the OS can use, and only a little more
    # (unless dmidecode summed the modules)
    shown = memory_gib_of(here["host_memory_capacity"].value) * GIB
    assert shown >= mem_total
    if "dmidecode" not in here["host_memory_capacity"].reason:
        assert shown <= mem_total * 1.04 + GIB
        assert f"{mem_total / GIB:.1f} GiB usable" in here["host_memory_capacity"].reason


@pytest.mark.skipif(shutil.which("free") is None, reason="no free(1)")
def test_memory_matches_free(here: SystemDescription) -> None:
    out = subprocess.run(["free", "-b"], capture_output=True, text=True, check=True).stdout
    total = int(next(line for line in out.splitlines() if line.startswith("Mem:")).split()[1])
    assert here.facts.memory_bytes is not None
    assert abs(here.facts.memory_bytes - total) / total < 0.01


@pytest.mark.skipif(shutil.which("lscpu") is None, reason="no lscpu")
def test_cpu_matches_lscpu(here: SystemDescription) -> None:
    env = {**os.environ, "LC_ALL": "C"}
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True, env=env).stdout
    facts = dict(
        (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in out.splitlines())
    )
    model = here["host_processor_model_name"]
    if is_generic_cpu_name(facts["Model name"]):
        assert model.status is FieldStatus.ASK
        assert f'("{facts["Model name"]}")' in model.reason
    else:
        assert model.value == facts["Model name"]
    if facts.get("Socket(s)", "-").isdigit() and int(facts["Socket(s)"]) > 0:
        assert here["host_processors_per_node"].value == facts["Socket(s)"]
    if facts.get("Core(s) per socket", "-").isdigit():
        assert here["host_processor_core_count"].value == facts["Core(s) per socket"]
    if "L2 cache" in facts:
        assert facts["L2 cache"] in here["host_processor_caches"].value


def test_software_matches_the_running_system(here: SystemDescription) -> None:
    stack = here["other_software_stack"].value
    assert f"Python {platform.python_version()}" in stack
    if platform.system() == "Linux":
        assert platform.release() in stack
        assert here["operating_system"].value == platform.freedesktop_os_release()["PRETTY_NAME"]
    import onnxruntime

    assert here["framework"].value == f"ONNX Runtime {onnxruntime.__version__}"
    assert set(here.facts.execution_providers) == set(onnxruntime.get_available_providers())
    assert "CPUExecutionProvider" in here["framework"].reason


@pytest.mark.skipif(shutil.which("lsblk") is None, reason="no lsblk")
def test_storage_matches_lsblk(here: SystemDescription) -> None:
    out = subprocess.run(
        ["lsblk", "-b", "-d", "-n", "-o", "NAME,SIZE,TYPE"], capture_output=True, text=True
    ).stdout
    disks = [line.split() for line in out.splitlines() if line.split()[-1:] == ["disk"]]
    total = sum(int(size) for name, size, _ in disks if not name.startswith(("zram", "ram")))
    if not total:
        pytest.skip("lsblk lists no disk")
    assert here.facts.storage_bytes == total
    assert abs(decimal_bytes_of(here["host_storage_capacity"].value) - total) / total < 0.005


def test_accelerators_match_nvml(here: SystemDescription) -> None:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        assert here["accelerators_per_node"].value == "0"
        assert here["accelerators_per_node"].status is FieldStatus.DEFAULTED
        assert "NVML" in here["accelerators_per_node"].reason
        assert here["accelerator_model_name"].value == "N/A"
        return
    try:
        count = pynvml.nvmlDeviceGetCount()
    finally:
        pynvml.nvmlShutdown()
    assert here["accelerators_per_node"].value == str(count)


# --------------------------------------------------------------------------- odd machines


class RaisingProbe(Probe):
    """Every source fails, each in its own way."""

    def read_text(self, path: str) -> str:
        raise PermissionError(path)

    def list_dir(self, path: str) -> list[str]:
        raise FileNotFoundError(path)

    def exists(self, path: str) -> bool:
        raise OSError("broken sysfs")

    def run(self, argv: Sequence[str]) -> str:
        raise subprocess.TimeoutExpired(list(argv), 10)

    def cpuinfo(self) -> Mapping[str, Any]:
        raise RuntimeError("cpuid exploded")

    def cpu_count(self, logical: bool) -> int | None:
        raise NotImplementedError

    def cpu_freq_mhz(self) -> tuple[float, float]:
        raise FileNotFoundError("cpufreq")

    def memory_bytes(self) -> int:
        raise RuntimeError("psutil broken")

    def disk_usage_bytes(self, path: str) -> int:
        raise OSError(path)

    def net_interfaces(self) -> Mapping[str, tuple[bool, int]]:
        raise OSError("no net")

    def platform_facts(self) -> Mapping[str, str]:
        raise ValueError("no platform")

    def package_version(self, distribution: str) -> str:
        raise LookupError(distribution)

    def onnxruntime_providers(self) -> Sequence[str]:
        raise ImportError("onnxruntime")

    def nvml(self) -> Any:
        def fail() -> None:
            raise RuntimeError("NVML Shared Library Not Found")

        return SimpleNamespace(nvmlInit=fail, nvmlShutdown=fail)


@pytest.mark.parametrize("probe", [FrozenProbe(), RaisingProbe()], ids=["empty", "raising"])
def test_odd_machine_never_raises_and_says_why(probe: Probe) -> None:
    d = detect(probe)
    assert tuple(v.name for v in d.fields) == SYSTEM_FIELD_NAMES
    assert all(v.status is not FieldStatus.DETECTED for v in d.fields)
    assert all(v.reason for v in d.fields)
    assert d["host_processor_model_name"].status is FieldStatus.ASK
    assert d["host_memory_capacity"].status is FieldStatus.ASK
    assert d["framework"].status is FieldStatus.ASK
    sockets = d["host_processors_per_node"]
    assert (sockets.status, sockets.value) == (FieldStatus.DEFAULTED, "1")
    assert "assumed" in sockets.reason
    accel = d["accelerators_per_node"]
    assert (accel.status, accel.value) == (FieldStatus.DEFAULTED, "0")
    assert "no NVIDIA GPU" in accel.reason
    assert "host_memory_capacity" in d.missing()
    json.dumps(d.to_report())  # the report stays serialisable


def test_nvml_error_is_named_in_the_reason() -> None:
    d = detect(RaisingProbe())
    assert "NVML Shared Library Not Found" in d["accelerators_per_node"].reason
    d = detect(FrozenProbe())
    assert "pynvml" in d["accelerators_per_node"].reason


def test_zero_sockets_and_zero_cores_fall_back_with_reasons() -> None:
    lscpu = "Model name: Odd CPU\nSocket(s): 0\nCore(s) per socket: 0\nCPU(s): 8\n"
    d = detect(FrozenProbe(commands={"lscpu": lscpu}, logical_cpus=0, physical_cores=0))
    assert d["host_processor_model_name"].value == "Odd CPU"
    assert d["host_processors_per_node"].status is FieldStatus.DEFAULTED
    assert d["host_processors_per_node"].value == "1"
    cores = d["host_processor_core_count"]
    assert (cores.status, cores.value) == (FieldStatus.DEFAULTED, "8")
    assert "logical" in cores.reason
    assert d.facts.logical_cpus == 8


def test_two_socket_machine_from_proc_only() -> None:
    block = (
        "processor\t: {n}\nvendor_id\t: GenuineIntel\n"
        "model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\n"
        "physical id\t: {s}\ncpu cores\t: 16\ncpu MHz\t\t: 1000.000\n"
    )
    cpuinfo = "\n".join(block.format(n=n, s=n % 2) for n in range(64))
    files = {
        "/proc/cpuinfo": cpuinfo,
        "/proc/meminfo": "MemTotal:       394600000 kB\nMemFree: 1 kB\n",
        "/etc/os-release": 'NAME="Rocky Linux"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
        "/sys/block/nvme0n1/size": "3750748848\n",
        "/sys/block/nvme0n1/queue/rotational": "0\n",
        "/sys/block/sda/size": "1953525168\n",
        "/sys/block/sda/queue/rotational": "1\n",
        "/sys/block/loop0/size": "100\n",
        "/sys/devices/system/cpu/cpu0/cache/index0/level": "1\n",
        "/sys/devices/system/cpu/cpu0/cache/index0/type": "Data\n",
        "/sys/devices/system/cpu/cpu0/cache/index0/size": "32K\n",
        "/sys/devices/system/cpu/cpu0/cache/index3/level": "3\n",
        "/sys/devices/system/cpu/cpu0/cache/index3/type": "Unified\n",
        "/sys/devices/system/cpu/cpu0/cache/index3/size": "22528K\n",
        "/sys/class/net/eno1/device/vendor": "0x8086\n",
        "/sys/class/net/eno1/type": "1\n",
        "/sys/class/net/lo/type": "772\n",
    }
    d = detect(FrozenProbe(files=files, net={"eno1": (True, 25000), "lo": (True, 0)}))
    assert d["host_processors_per_node"].value == "2"
    assert d["host_processors_per_node"].reason == "from /proc/cpuinfo"
    assert d["host_processor_core_count"].value == "16"
    assert d["host_processor_frequency"].value == "2.10 GHz"
    assert "model name" in d["host_processor_frequency"].reason
    assert d["host_processor_interconnect"].value == "UPI"
    assert d["host_processor_interconnect"].status is FieldStatus.DEFAULTED
    assert d["host_processor_caches"].value == "L1d 32.0 KiB, L3 22.0 MiB"
    memory = d["host_memory_capacity"]
    assert (memory.value, memory.status) == ("384 GB", FieldStatus.DEFAULTED)
    assert memory.reason.startswith("/proc/meminfo shows 376.3 GiB usable")
    assert d.facts.storage_bytes == (3750748848 + 1953525168) * 512
    assert d["host_storage_type"].value == "NVMe SSD, HDD"
    assert d["operating_system"].value == "Rocky Linux 9.3 (Blue Onyx)"
    assert d["host_networking"].value == "Ethernet 25 Gb/s"
    assert d["host_network_card_count"].value == "1"


def test_py_cpuinfo_is_the_last_resort_and_called_once() -> None:
    calls: list[int] = []

    class CountingProbe(FrozenProbe):
        def cpuinfo(self) -> Mapping[str, Any]:
            calls.append(1)
            return {"brand_raw": "Apple M2", "hz_advertised": [3_490_000_000, 0]}

    d = detect(CountingProbe())
    assert d["host_processor_model_name"].value == "Apple M2"
    assert d["host_processor_model_name"].reason == "from py-cpuinfo"
    assert d["host_processor_frequency"].value == "3.49 GHz"
    assert calls == [1]
    calls.clear()
    detect(CountingProbe(commands={"lscpu": "Model name: Fast CPU\nCPU max MHz: 3000.0\n"}))
    assert calls == []  # not needed, not called


# --------------------------------------------------------------------------- NVML


def fake_nvml(
    gpus: list[dict[str, Any]],
    *,
    nvlink_links: int = 0,
    nvlink_remote: int = 0,
    init: Callable[[], None] | None = None,
) -> SimpleNamespace:
    """A stand-in for the pynvml module with the functions system.py calls; a GPU's "bus" is
    its memory bus width (NotSupported when absent); ``nvlink_remote`` is what each NVLink ends
    at (NVML_NVLINK_DEVICE_TYPE_GPU 0, _SWITCH 2)."""
    state = {"shutdown": 0}

    class NotSupported(Exception):
        pass

    def nvlink_state(handle: int, link: int) -> int:
        if link >= nvlink_links:
            raise NotSupported("NVML_ERROR_NOT_SUPPORTED")
        return 1

    def bus_width(handle: int) -> int:
        if "bus" not in gpus[handle]:
            raise NotSupported("NVML_ERROR_NOT_SUPPORTED")
        return int(gpus[handle]["bus"])

    def shutdown() -> None:
        state["shutdown"] += 1

    return SimpleNamespace(
        state=state,
        NVML_CLOCK_SM=1,
        NVML_NVLINK_MAX_LINKS=18,
        NVML_FEATURE_ENABLED=1,
        NVML_NVLINK_DEVICE_TYPE_SWITCH=2,
        nvmlInit=init or (lambda: None),
        nvmlShutdown=shutdown,
        nvmlSystemGetDriverVersion=lambda: b"550.54.15",
        nvmlSystemGetCudaDriverVersion_v2=lambda: 12040,
        nvmlDeviceGetCount=lambda: len(gpus),
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: gpus[h]["name"],
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(total=gpus[h]["memory"], free=0),
        nvmlDeviceGetMaxClockInfo=lambda h, clock: 1980 if clock == 1 else 0,
        nvmlDeviceGetMaxPcieLinkGeneration=lambda h: 5,
        nvmlDeviceGetMaxPcieLinkWidth=lambda h: 16,
        nvmlDeviceGetNvLinkState=nvlink_state,
        nvmlDeviceGetNvLinkRemoteDeviceType=lambda h, link: nvlink_remote,
        nvmlDeviceGetMemoryBusWidth=bus_width,
    )


H100: dict[str, Any] = {"name": "NVIDIA H100 80GB HBM3", "memory": 80 * GIB}


def test_fake_nvml_with_two_gpus_fills_the_accelerator_fields() -> None:
    nvml = fake_nvml([H100, {**H100, "name": H100["name"].encode()}], nvlink_links=18)
    d = detect(FrozenProbe(nvml=nvml))
    assert d["accelerators_per_node"].value == "2"
    assert d["accelerators_per_node"].status is FieldStatus.DETECTED
    assert d["accelerator_model_name"].value == "NVIDIA H100 80GB HBM3"
    assert d["accelerator_memory_capacity"].value == "80 GB"
    assert d["accelerator_frequency"].value == "1980 MHz"
    assert d["accelerator_host_interconnect"].value == "PCIe Gen5 x16"
    assert d["accelerator_interconnect"].value.startswith("NVLink")
    # the name says the memory type ("... HBM3"); NVML itself has no call for it
    memory = d["accelerator_memory_configuration"]
    assert (memory.status, memory.value) == (FieldStatus.DETECTED, "HBM3")
    assert "NVIDIA H100 80GB HBM3" in memory.reason
    assert "NVIDIA driver 550.54.15" in d["other_software_stack"].value
    assert "CUDA 12.4" in d["other_software_stack"].value
    assert d.facts.nvidia.cuda_version == "12.4"
    assert len(d.facts.nvidia.gpus) == 2
    assert nvml.state["shutdown"] == 1
    assert not {n for n in d.missing() if n.startswith("accelerator")}


def test_single_gpu_without_nvlink_has_no_accelerator_interconnect() -> None:
    d = detect(FrozenProbe(nvml=fake_nvml([H100])))
    assert d["accelerators_per_node"].value == "1"
    interconnect = d["accelerator_interconnect"]
    assert (interconnect.status, interconnect.value) == (FieldStatus.DEFAULTED, "N/A")
    assert interconnect.reason == "a single GPU"


def test_nvml_without_gpus_and_nvml_failing_midway() -> None:
    d = detect(FrozenProbe(nvml=fake_nvml([])))
    assert d["accelerators_per_node"].value == "0"
    assert "NVML lists no NVIDIA GPU" in d["accelerators_per_node"].reason

    broken = fake_nvml([H100])

    def count() -> int:
        raise RuntimeError("GPU is lost")

    broken.nvmlDeviceGetCount = count
    d = detect(FrozenProbe(nvml=broken))
    assert d["accelerators_per_node"].value == "0"
    assert "GPU is lost" in d["accelerators_per_node"].reason
    assert broken.state["shutdown"] == 1


#: every accelerator field NVML (or the GPU's name in it) can fill; the on-chip memories it
#: cannot (NVML reports no cache sizes)
NVML_FIELDS = (
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "accelerator_frequency",
    "accelerator_host_interconnect",
    "accelerator_memory_configuration",
    "accelerator_interconnect",
    "accelerator_interconnect_topology",
)


def test_nvml_fills_every_accelerator_field_it_can() -> None:
    """Eight H100 on an NVSwitch: what the systems JSON gets is all detected, none asked."""
    nvml = fake_nvml([{**H100, "bus": 5120}] * 8, nvlink_links=18, nvlink_remote=2)
    d = detect(FrozenProbe(nvml=nvml))
    for name in NVML_FIELDS:
        assert d[name].status is FieldStatus.DETECTED and d[name].value, d[name].explain()
    plain = d.to_json_dict()
    assert plain["accelerators_per_node"] == "8"
    assert plain["accelerator_memory_capacity"] == "80 GB"
    assert plain["accelerator_host_interconnect"] == "PCIe Gen5 x16"
    assert plain["accelerator_memory_configuration"] == "HBM3"
    assert plain["accelerator_interconnect"] == "NVLink (18 active links per GPU)"
    assert plain["accelerator_interconnect_topology"] == "NVSwitch"
    assert d.facts.nvidia.gpus[0].memory_bus_width == 5120
    assert d.facts.nvidia.gpus[0].nvlink_to_switch


def test_gpu_links_that_end_at_gpus_are_not_called_nvswitch() -> None:
    d = detect(FrozenProbe(nvml=fake_nvml([H100, H100], nvlink_links=4, nvlink_remote=0)))
    topology = d["accelerator_interconnect_topology"]
    assert (topology.status, topology.value) == (FieldStatus.DEFAULTED, "")
    assert "no NVSwitch" in topology.reason


@pytest.mark.parametrize(
    ("gpu", "status", "value", "said"),
    [
        # the H200's NVML name has no memory type, but only HBM has a 6144-bit bus
        ({"name": "NVIDIA H200", "memory": 141 * GIB, "bus": 6144}, "defaulted", "HBM", "6144"),
        ({"name": "NVIDIA GH200 480GB HBM3e", "memory": 96 * GIB}, "detected", "HBM3e", "name"),
        ({"name": "NVIDIA RTX 6000 GDDR6X", "memory": 48 * GIB}, "detected", "GDDR6X", "name"),
        # a 192-bit bus is GDDR or LPDDR: NVML cannot tell which, so the user is asked
        ({"name": "NVIDIA L4", "memory": 24 * GIB, "bus": 192}, "ask", "", "192-bit"),
        ({"name": "NVIDIA L4", "memory": 24 * GIB}, "ask", "", "NVML does not name it"),
    ],
    ids=["h200-bus", "gh200-name", "gddr6x-name", "l4-bus", "no-bus"],
)
def test_gpu_memory_type_from_the_name_or_the_bus(
    gpu: dict[str, Any], status: str, value: str, said: str
) -> None:
    memory = detect(FrozenProbe(nvml=fake_nvml([gpu])))["accelerator_memory_configuration"]
    assert (str(memory.status), memory.value) == (status, value)
    assert said in memory.reason


def test_nvml_that_does_not_start_means_no_driver() -> None:
    def no_driver() -> None:
        raise RuntimeError("Driver Not Loaded")

    d = detect(FrozenProbe(nvml=fake_nvml([H100], init=no_driver)))
    assert d.facts.nvidia.no_driver
    assert "Driver Not Loaded" in (d.facts.nvidia.error or "")
    assert not detect(FrozenProbe()).facts.nvidia.no_driver  # no binding: nothing known


# --------------------------------------------------------------------------- output


def full_probe() -> FrozenProbe:
    lscpu = (
        "Model name: AMD EPYC 9654 96-Core Processor\nVendor ID: AuthenticAMD\nSocket(s): 2\n"
        "Core(s) per socket: 96\nThread(s) per core: 2\nCPU(s): 384\nCPU max MHz: 3707.8120\n"
        "L1d cache: 6 MiB (192 instances)\nL2 cache: 192 MiB (192 instances)\n"
    )
    dmi = (
        "Memory Device\n\tSize: 64 GB\n\tType: DDR5\n\tSpeed: 4800 MT/s\n"
        "Memory Device\n\tSize: 64 GB\n\tType: DDR5\n\tSpeed: 4800 MT/s\n"
        "Memory Device\n\tSize: No Module Installed\n\tType: Unknown\n"
    )
    return FrozenProbe(
        commands={"lscpu": lscpu, "dmidecode -t 17": dmi},
        files={
            "/etc/os-release": 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\n',
            "/sys/block/nvme0n1/size": "7501476528\n",
        },
        logical_cpus=384,
        physical_cores=192,
        memory_bytes=1536 * GIB,
        platform_facts={
            "system": "Linux",
            "release": "5.15.0-105-generic",
            "python": "3.11.9",
            "libc": "glibc",
            "libc_version": "2.35",
        },
        packages={"onnxruntime-gpu": "1.20.1", "mlcommons-loadgen": "6.0.17"},
        providers=["CUDAExecutionProvider", "CPUExecutionProvider"],
        nvml=fake_nvml([H100] * 8, nvlink_links=18),
    )


ANSWERS = {
    "division": "closed",
    "submitter": "ACME",
    "status": "Available",
    "system_name": "ACME box (8x H100)",
    "system_type": "datacenter",
    "cooling": "air",
}


def test_full_frozen_machine_needs_only_the_submitters_answers() -> None:
    d = detect(full_probe())
    assert d["host_processor_core_count"].value == "96"
    assert d["host_processor_frequency"].value == "3.71 GHz"
    assert d["host_processor_interconnect"].value == "Infinity Fabric"
    assert d["host_memory_configuration"].value == "2x 64 GB DDR5-4800"
    assert d["framework"].value == "ONNX Runtime 1.20.1"
    assert "CUDAExecutionProvider" in d["framework"].reason
    assert d["other_software_stack"].value.startswith(
        "Python 3.11.9, Linux kernel 5.15.0-105-generic, glibc 2.35, MLPerf LoadGen 6.0.17"
    )
    assert set(d.unanswered()) == set(ANSWERS)
    assert d.missing(ANSWERS) == ()
    assert d.disallowed(ANSWERS) == ()
    assert d.unanswered(ANSWERS) == ()


def test_to_json_dict_is_strings_and_answers_win() -> None:
    d = detect(full_probe())
    plain = d.to_json_dict()
    assert list(plain) == list(SYSTEM_FIELD_NAMES)
    assert all(isinstance(v, str) for v in plain.values())
    assert plain["accelerators_per_node"] == "8"
    assert plain["submitter"] == ""
    answered = d.to_json_dict({**ANSWERS, "accelerators_per_node": "4"})
    assert answered["submitter"] == "ACME"
    assert answered["accelerators_per_node"] == "4"
    assert json.loads(json.dumps(answered)) == answered
    with pytest.raises(RulesError, match="did you mean"):
        d.to_json_dict({"submiter": "ACME"})


def test_missing_and_disallowed_follow_the_answers() -> None:
    d = detect(full_probe())
    assert set(d.missing()) == {
        "division",
        "submitter",
        "status",
        "system_name",
        "system_type",
        "cooling",
    }
    assert "cooling" not in d.missing({"cooling": "liquid"})
    assert d.missing({**ANSWERS, "framework": "  "}) == ("framework",)
    assert d.disallowed({"status": "sold", "system_type": "edge"}) == ("status",)


def test_rows_and_report() -> None:
    d = detect(full_probe())
    rows = d.as_rows({"cooling": "air"})
    assert len(rows) == 35
    by_name = {r[0]: r for r in rows}
    assert by_name["cooling"] == ("cooling", "air", "answered", "your answer")
    assert by_name["submitter"][2] == "ask"
    report = json.loads(json.dumps(d.to_report(ANSWERS)))
    assert report["missing"] == []
    assert len(report["fields"]) == 35
    assert report["facts"]["nvidia"]["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"
    assert sum(f["required"] for f in report["fields"]) == 26


def test_explain_reads_like_the_ui_shows_it() -> None:
    v = FieldValue("host_processor_interconnect", "", FieldStatus.DEFAULTED, "single socket")
    assert v.explain() == "host_processor_interconnect: defaulted to '' - single socket"
    a = FieldValue("cooling", "", FieldStatus.ASK, "air or liquid")
    assert a.explain() == "cooling: you must answer this - air or liquid"


# --------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (32 * 1024, "32.0 KiB"),
        (25276502016, "23.5 GiB"),
        (256 * GIB, "256 GiB"),
        (2 * 1024**4, "2.00 TiB"),
    ],
)
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text


@pytest.mark.parametrize(
    ("text", "n"), [("32K", 32768), ("2 MiB", 2 * 1024**2), ("1024 KB", 1024**2), ("x", None)]
)
def test_parse_cache_size(text: str, n: int | None) -> None:
    assert parse_cache_size(text) == n


def test_parse_dmidecode_memory_groups_modules() -> None:
    text = (
        "Memory Device\n\tSize: 32 GB\n\tType: DDR4\n\tSpeed: 3200 MT/s\n"
        "Memory Device\n\tSize: 32 GB\n\tType: DDR4\n\tSpeed: 3200 MT/s\n"
        "Memory Device\n\tSize: 16 GB\n\tType: DDR4\n\tConfigured Memory Speed: 2933 MT/s\n"
        "Memory Device\n\tSize: No Module Installed\n"
    )
    assert parse_dmidecode_memory(text) == "2x 32 GB DDR4-3200, 1x 16 GB DDR4-2933"
    assert parse_dmidecode_memory("# dmidecode 3.4\n") is None


# --------------------------------------------------------------------------- hidden CPU models

INTEL_KVM_LSCPU = (FIXTURES / "lscpu_intel_emerald_rapids_kvm.txt").read_text()
AMD_VM_CPUINFO = (FIXTURES / "cpuinfo_amd_epyc_genoa_vm.txt").read_text()
LINUX = {"system": "Linux", "release": "6.1.0", "python": "3.11.9"}


def test_intel_vm_with_hidden_model_asks_and_names_the_generation() -> None:
    # this development machine: lscpu says only "Intel(R) Xeon(R) Processor" under KVM
    d = detect(FrozenProbe(commands={"lscpu": INTEL_KVM_LSCPU}, platform_facts=LINUX))
    model = d["host_processor_model_name"]
    # asked, offering the name the hypervisor shows as the answer until the user types the real one
    assert (model.status, model.value) == (FieldStatus.ASK, "Intel(R) Xeon(R) Processor")
    assert model.reason.startswith(
        'the KVM hypervisor hides the CPU model ("Intel(R) Xeon(R) Processor"); '
        "known: Intel Xeon, family 6 model 207 (likely 5th Gen Xeon Scalable, Emerald Rapids)"
    )
    assert model.reason.endswith('e.g. "Intel(R) Xeon(R) Platinum 8592+"')
    assert "host_processor_model_name" in d.unanswered()
    assert "host_processor_model_name" not in d.missing()  # the offered name fills it
    assert d.facts.cpu_model == "Intel(R) Xeon(R) Processor"  # the raw fact stays


def test_amd_vm_from_proc_cpuinfo_only_asks_and_names_genoa() -> None:
    # no lscpu, no "Hypervisor vendor": only the hypervisor flag says it is a VM
    d = detect(FrozenProbe(files={"/proc/cpuinfo": AMD_VM_CPUINFO}, platform_facts=LINUX))
    model = d["host_processor_model_name"]
    assert model.status is FieldStatus.ASK
    assert model.reason.startswith(
        'the hypervisor hides the CPU model ("AMD EPYC"); known: AMD EPYC, family 25 model 17 '
        "(likely EPYC 9004, Genoa (Zen 4))"
    )
    assert model.reason.endswith('e.g. "AMD EPYC 9654 96-Core Processor"')
    assert d["system_type_detail"].value == "virtual machine"
    assert d["system_type_detail"].reason == "the CPU's hypervisor flag is set"
    assert "virtual machine" in d["hw_notes"].value


EPYC_9654_LSCPU = (
    "Vendor ID: AuthenticAMD\nModel name: AMD EPYC 9654 96-Core Processor\nCPU family: 25\n"
    "Model: 17\nSocket(s): 2\nCore(s) per socket: 96\nCPU max MHz: 3707.8120\n"
    "Flags: fpu avx512f avx512_bf16\n"
)


def test_bare_metal_epyc_9654_is_detected_as_it_is() -> None:
    d = detect(FrozenProbe(commands={"lscpu": EPYC_9654_LSCPU}, platform_facts=LINUX))
    model = d["host_processor_model_name"]
    assert model.value == "AMD EPYC 9654 96-Core Processor"
    assert (model.status, model.reason) == (FieldStatus.DETECTED, "from lscpu")
    # bare metal: the sockets and cores are the machine's, no hypervisor caveat
    assert d["host_processors_per_node"].reason == "from lscpu"
    assert d["host_processor_core_count"].reason == "from lscpu"
    assert d["system_type_detail"].value == ""


def test_full_intel_name_in_a_vm_is_detected() -> None:
    lscpu = INTEL_KVM_LSCPU.replace(
        "Intel(R) Xeon(R) Processor", "Intel(R) Xeon(R) Platinum 8480+"
    ).replace("Model:                                   207", "Model: 143")
    d = detect(FrozenProbe(commands={"lscpu": lscpu}, platform_facts=LINUX))
    model = d["host_processor_model_name"]
    assert (model.status, model.value) == (FieldStatus.DETECTED, "Intel(R) Xeon(R) Platinum 8480+")
    # in a VM the counts are what the hypervisor gives, and the reason says so
    assert (
        d["host_processor_core_count"].reason == "from lscpu (as the KVM hypervisor presents them)"
    )


def test_generic_name_of_an_unlisted_generation_says_only_vendor_and_family() -> None:
    # Broadwell-EP (family 6 model 79) is not in the small table: no guess, a generic example
    lscpu = (
        "Vendor ID: GenuineIntel\nModel name: Intel(R) Xeon(R) CPU @ 2.20GHz\nCPU family: 6\n"
        "Model: 79\nFlags: fpu sse2 avx2\n"
    )
    d = detect(FrozenProbe(commands={"lscpu": lscpu}, platform_facts=LINUX))
    reason = d["host_processor_model_name"].reason
    assert reason.startswith(
        'the CPU reports only a generic name ("Intel(R) Xeon(R) CPU @ 2.20GHz"); '
        "known: Intel Xeon, family 6 model 79 — "
    )
    assert "likely" not in reason and "hypervisor" not in reason
    assert reason.endswith('e.g. "Intel(R) Xeon(R) Platinum 8480+"')


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("Intel(R) Xeon(R) Processor", True),
        ("AMD EPYC", True),
        ("Intel(R) Xeon(R) CPU @ 2.20GHz", True),
        ("Intel Xeon Processor (Icelake)", True),
        ("AMD EPYC-Milan Processor", True),
        ("QEMU Virtual CPU version 2.5+", True),
        ("Common KVM processor", True),
        ("AMD EPYC 9654 96-Core Processor", False),
        ("Intel(R) Xeon(R) Platinum 8480+", False),
        ("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", False),
        ("AMD Ryzen 9 7950X 16-Core Processor", False),
        ("AMD EPYC 7B13", False),
        ("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", False),
        ("Neoverse-N1", False),
        ("Apple M2", False),
        ("Frozen Test CPU @ 3.00GHz", False),
    ],
)
def test_is_generic_cpu_name(name: str, generic: bool) -> None:
    assert is_generic_cpu_name(name) is generic


@pytest.mark.parametrize(
    ("vendor", "family", "model", "flags", "brand", "generation"),
    [
        ("GenuineIntel", 6, 143, "", "Intel Xeon", "4th Gen Xeon Scalable, Sapphire Rapids"),
        ("GenuineIntel", 6, 106, "", "Intel Xeon", "3rd Gen Xeon Scalable, Ice Lake-SP"),
        ("GenuineIntel", 6, 85, "avx2 avx512f", "Intel Xeon", "1st Gen Xeon Scalable, Skylake-SP"),
        (
            "GenuineIntel",
            6,
            85,
            "avx512f avx512_vnni",
            "Intel Xeon",
            "2nd Gen Xeon Scalable, Cascade Lake",
        ),
        ("AuthenticAMD", 25, 0x01, "", "AMD EPYC", "EPYC 7003, Milan (Zen 3)"),
        ("AuthenticAMD", 25, 0xA0, "", "AMD EPYC", "EPYC 97x4 Bergamo or 8004 Siena (Zen 4c)"),
        ("AuthenticAMD", 26, 0x02, "", "AMD EPYC", "EPYC 9005, Turin (Zen 5)"),
        ("AuthenticAMD", 23, 0x31, "", "AMD EPYC", "EPYC 7002, Rome (Zen 2)"),
        ("AuthenticAMD", 23, 0x01, "", "AMD EPYC", "EPYC 7001, Naples (Zen)"),
        # desktop parts share numbers with server ones (Ryzen 1000 is family 23 model 1 too)
        ("AuthenticAMD", 23, 0x01, "", "AMD Ryzen", None),
        ("GenuineIntel", 6, 85, "avx512_vnni", "Intel Core", None),
        ("AuthenticAMD", 25, 0x61, "", "AMD EPYC", None),  # not in the table: no guess
        ("GenuineIntel", 6, None, "", "Intel Xeon", None),
    ],
)
def test_cpu_generation_table(
    vendor: str, family: int, model: int | None, flags: str, brand: str, generation: str | None
) -> None:
    found = cpu_generation(vendor, family, model, frozenset(flags.split()), brand)
    assert (found.name if found else None) == generation


def test_vm_clock_reason_names_the_hypervisor() -> None:
    lscpu = "Model name: AMD EPYC 7763 64-Core Processor\nHypervisor vendor: Microsoft\n"
    d = detect(FrozenProbe(commands={"lscpu": lscpu}, cpu_freq_mhz=(2445.0, 0.0)))
    freq = d["host_processor_frequency"]
    assert freq.value == "2.44 GHz"
    assert (
        freq.reason
        == "from the current clock (the Microsoft hypervisor passes on no maximum clock)"
    )
    bare = detect(
        FrozenProbe(
            commands={"lscpu": "Model name: AMD EPYC 7763 64-Core Processor\n"},
            cpu_freq_mhz=(2445.0, 0.0),
        )
    )
    assert "no cpufreq driver" in bare["host_processor_frequency"].reason
    assert "hypervisor" not in bare["host_processor_frequency"].reason
    none = detect(FrozenProbe(commands={"lscpu": lscpu}))
    assert none["host_processor_frequency"].reason.startswith(
        "the Microsoft hypervisor passes no CPU clock to this virtual machine"
    )


# --------------------------------------------------------------------------- memory modules

#: a machine whose firmware exports SMBIOS tables; one whose firmware has none (a KVM guest
#: like this development machine: /sys/firmware lists acpi and memmap, no dmi)
DMI_TABLES = {"/sys/firmware/dmi/tables/DMI": "<binary>", "/sys/firmware/acpi/tables/DSDT": "x"}
NO_DMI_TABLES = {"/sys/firmware/acpi/tables/DSDT": "x", "/sys/firmware/memmap/0/type": "x"}
BARE_LSCPU = "Vendor ID: AuthenticAMD\nModel name: AMD EPYC 9654 96-Core Processor\n"
DMI_16X32 = (
    "# dmidecode 3.4\n"
    + (
        "Memory Device\n\tSize: 32 GB\n\tType: DDR5\n\tSpeed: 4800 MT/s\n"
        "\tConfigured Memory Speed: 4800 MT/s\n"
    )
    * 16
    + "Memory Device\n\tSize: No Module Installed\n\tType: Unknown\n"
)
PERMISSION_DENIED = subprocess.CalledProcessError(
    1,
    ["dmidecode", "-t", "17"],
    output="# dmidecode 3.4\n",
    stderr="/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\n"
    "Scanning /dev/mem for entry point.\n/dev/mem: Permission denied\n",
)


def machine(
    *,
    dmidecode: str | BaseException | None = None,
    as_root: bool,
    lscpu: str = BARE_LSCPU,
    files: Mapping[str, str] | None = None,
    memory: int = 503 * GIB + 200 * 1024**2,
    extra: Mapping[str, str | BaseException] | None = None,
) -> SystemDescription:
    commands: dict[str, str | BaseException] = {"lscpu": lscpu, **(extra or {})}
    if dmidecode is not None:
        commands["dmidecode -t 17"] = dmidecode
    return detect(
        FrozenProbe(
            commands=commands,
            files=files,
            as_root=as_root,
            memory_bytes=memory,
            platform_facts=LINUX,
        )
    )


def test_root_with_dmidecode_output_detects_modules_and_installed_memory() -> None:
    d = machine(dmidecode=DMI_16X32, as_root=True, files=DMI_TABLES)
    config = d["host_memory_configuration"]
    assert (config.status, config.value) == (FieldStatus.DETECTED, "16x 32 GB DDR5-4800")
    capacity = d["host_memory_capacity"]
    # 503.2 GiB usable on a 16x 32 GB machine: results write the installed 512 GB
    assert (capacity.status, capacity.value) == (FieldStatus.DETECTED, "512 GB")
    assert capacity.reason == (
        "from dmidecode: the installed modules add up to 512 GB; psutil shows 503.2 GiB usable"
    )


def test_non_root_dmidecode_failure_says_it_needs_root() -> None:
    d = machine(dmidecode=PERMISSION_DENIED, as_root=False, files=DMI_TABLES)
    config = d["host_memory_configuration"]
    assert config.status is FieldStatus.ASK
    assert "dmidecode needs root to read the SMBIOS tables" in config.reason
    assert "runs as a normal user" in config.reason
    assert "Permission denied" in config.reason
    assert "sudo dmidecode -t 17" in config.reason
    # without the modules, the installed size is estimated from the usable memory
    capacity = d["host_memory_capacity"]
    assert (capacity.status, capacity.value) == (FieldStatus.DEFAULTED, "512 GB")
    assert capacity.reason.startswith("psutil shows 503.2 GiB usable (540.3 GB)")
    assert "dmidecode needs root" in capacity.reason


def test_root_dmidecode_failure_does_not_blame_root() -> None:
    failing = subprocess.CalledProcessError(
        2, ["dmidecode"], output="", stderr="Invalid entry length (0). DMI table is broken!\n"
    )
    d = machine(dmidecode=failing, as_root=True, files=DMI_TABLES)
    reason = d["host_memory_configuration"].reason
    assert "needs root" not in reason and "sudo" not in reason
    assert "failed, even as root (Invalid entry length (0). DMI table is broken!" in reason


def test_root_dmidecode_listing_nothing_on_bare_metal() -> None:
    d = machine(dmidecode="# dmidecode 3.4\n", as_root=True, files=DMI_TABLES)
    reason = d["host_memory_configuration"].reason
    assert "dmidecode -t 17 (run as root) lists no installed memory module" in reason
    assert "needs root" not in reason


def test_vm_without_smbios_says_so() -> None:
    no_smbios = "# dmidecode 3.4\n# No SMBIOS nor DMI entry point found, sorry.\n"
    d = machine(
        dmidecode=no_smbios,
        as_root=True,
        lscpu=INTEL_KVM_LSCPU,
        files=NO_DMI_TABLES,
        memory=25324732416,
    )
    config = d["host_memory_configuration"]
    assert config.status is FieldStatus.ASK
    assert (
        "this KVM virtual machine has no SMBIOS/DMI tables (dmidecode: No SMBIOS nor DMI entry "
        "point found)" in config.reason
    )
    assert "root" not in config.reason
    assert "e.g. '24 GB (virtual machine)'" in config.reason
    capacity = d["host_memory_capacity"]
    # a 23.6 GiB VM is a "24 GB" one, and the reason shows what was measured
    assert (capacity.status, capacity.value) == (FieldStatus.DEFAULTED, "24 GB")
    assert capacity.reason.startswith("psutil shows 23.6 GiB usable (25.3 GB)")
    assert "likely 24 GB" in capacity.reason


def test_dmidecode_missing_says_how_to_install_it() -> None:
    user = machine(as_root=False, files=DMI_TABLES)["host_memory_configuration"].reason
    assert "dmidecode is not installed" in user
    assert "sudo apt install dmidecode" in user and "sudo dmidecode -t 17" in user
    root = machine(as_root=True, files=DMI_TABLES)["host_memory_configuration"].reason
    assert "dmidecode is not installed; install it (apt install dmidecode) and run detect" in root
    assert "sudo" not in root


def test_dmidecode_missing_in_a_vm_without_smbios_says_installing_would_not_help() -> None:
    # this development machine: root, KVM, no /sys/firmware/dmi/tables, no dmidecode
    d = machine(as_root=True, lscpu=INTEL_KVM_LSCPU, files=NO_DMI_TABLES, memory=25324732416)
    reason = d["host_memory_configuration"].reason
    assert (
        "dmidecode is not installed, and installing it would not help: this KVM virtual machine "
        "has no SMBIOS/DMI tables for it to read (/sys/firmware/dmi/tables is missing)" in reason
    )
    assert "root" not in reason


def test_dmidecode_outside_the_users_path_is_found_in_sbin() -> None:
    files = {**DMI_TABLES, "/usr/sbin/dmidecode": "<binary>"}
    d = machine(as_root=True, files=files, extra={"/usr/sbin/dmidecode -t 17": DMI_16X32})
    assert d["host_memory_configuration"].value == "16x 32 GB DDR5-4800"


def test_dmidecode_timeout_and_other_systems() -> None:
    slow = subprocess.TimeoutExpired(["dmidecode"], 10)
    reason = machine(dmidecode=slow, as_root=True, files=DMI_TABLES)[
        "host_memory_configuration"
    ].reason
    assert "dmidecode -t 17 did not finish within 10 s" in reason
    mac = detect(FrozenProbe(platform_facts={"system": "Darwin"}, memory_bytes=16 * GIB))
    assert "read with dmidecode on Linux only, and this is Darwin" in (
        mac["host_memory_configuration"].reason
    )
    assert mac["host_memory_capacity"].value == "16 GB"


def test_is_root_is_the_effective_user() -> None:
    assert Probe().is_root() is (os.geteuid() == 0)
    assert FrozenProbe().is_root() is False
    assert FrozenProbe(as_root=True).is_root() is True


# --------------------------------------------------------------------------- sizes as results write them


@pytest.mark.parametrize(
    ("usable_gib", "installed"),
    [
        (23.58, "24 GB"),  # the 24 GB VM this runs on
        (503.2, "512 GB"),
        (376.3, "384 GB"),
        (61.1, "62 GB"),  # an odd VM size: rounded up to whole GB, not to 64
        (29.4, "30 GB"),
        (2015.0, "2 TB"),
        (1510.0, "1.5 TB"),
        (32.0, "32 GB"),
    ],
)
def test_memory_is_shown_as_the_installed_size(usable_gib: float, installed: str) -> None:
    assert format_memory_size(likely_installed_gib(int(usable_gib * GIB))) == installed


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (274877906944, "275 GB"),
        (256 * 10**9, "256 GB"),
        (1_920_383_410_176, "1.92 TB"),
        (1_900_000_000_000, "1.9 TB"),
        (999_700_000_000, "1 TB"),
        (15_360_000_000_000, "15.4 TB"),
        (8 * 10**9, "8 GB"),
    ],
)
def test_format_decimal_bytes(n: int, text: str) -> None:
    assert format_decimal_bytes(n) == text


def test_storage_is_decimal_with_each_disk_in_the_reason() -> None:
    files = {
        "/sys/block/nvme0n1/size": f"{1_920_383_410_176 // 512}\n",
        "/sys/block/nvme1n1/size": f"{1_920_383_410_176 // 512}\n",
    }
    storage = detect(FrozenProbe(files=files))["host_storage_capacity"]
    assert (storage.status, storage.value) == (FieldStatus.DETECTED, "3.84 TB")
    assert storage.reason == "from /sys/block (nvme0n1 1.92 TB, nvme1n1 1.92 TB)"


def test_dmidecode_sizes_add_up_in_gib() -> None:
    text = DMI_16X32 + "Memory Device\n\tSize: 16384 MB\n\tType: DDR5\n"
    assert dmidecode_memory_gib(text) == 16 * 32 + 16
    assert parse_dmidecode_memory(text) == "16x 32 GB DDR5-4800, 1x 16 GB DDR5"
    assert dmidecode_memory_gib("# dmidecode 3.4\n") is None


@pytest.mark.parametrize(
    ("name", "mib", "shown"),
    [
        ("NVIDIA H100 80GB HBM3", 81559, "80 GB"),
        ("NVIDIA H200", 143771, "141 GB"),
        ("NVIDIA H100 NVL", 95830, "94 GB"),
        ("NVIDIA A100-SXM4-40GB", 40960, "40 GB"),
    ],
)
def test_gpu_memory_as_sold(name: str, mib: int, shown: str) -> None:
    d = detect(FrozenProbe(nvml=fake_nvml([{"name": name, "memory": mib * 1024**2}])))
    memory = d["accelerator_memory_capacity"]
    assert (memory.status, memory.value) == (FieldStatus.DETECTED, shown)
    assert f"{mib / 1024:.1f} GiB usable per GPU" in memory.reason


def test_container_hiding_the_firmware_is_not_taken_for_a_machine_without_smbios() -> None:
    # no /sys/firmware at all: a container on bare metal, whose host has SMBIOS tables
    reason = machine(as_root=True)["host_memory_configuration"].reason
    assert "dmidecode is not installed" in reason
    assert "/sys/firmware is hidden here (inside a container?)" in reason
    assert "on the host" in reason
    assert "would not help" not in reason and "has no SMBIOS" not in reason


def test_modules_adding_up_to_less_than_the_usable_memory_are_not_trusted() -> None:
    dmi = "Memory Device\n\tSize: 64 GB\n\tType: DDR5\n" * 2
    d = machine(dmidecode=dmi, as_root=True, files=DMI_TABLES, memory=1510 * GIB)
    capacity = d["host_memory_capacity"]
    assert (capacity.status, capacity.value) == (FieldStatus.DEFAULTED, "1.5 TB")
    assert "add up to only 128 GB, less than the usable memory" in capacity.reason
    assert d["host_memory_configuration"].value == "2x 64 GB DDR5"
