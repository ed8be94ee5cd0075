"""NVIDIA GPUs, driver and CUDA version as NVML reports them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from mlperf_tui.system.description import GpuInfo, NvidiaFacts
from mlperf_tui.system.parse import decode
from mlperf_tui.system.probe import Probe, short_error


def detect_nvidia(probe: Probe) -> NvidiaFacts:
    try:
        nvml = probe.nvml()
    except Exception as exc:
        return NvidiaFacts(error=f"NVML binding not available ({short_error(exc)})")
    try:
        nvml.nvmlInit()
    except Exception as exc:
        return NvidiaFacts(
            error=f"NVML did not start: no NVIDIA driver ({short_error(exc)})", no_driver=True
        )
    try:
        return _read_nvml(nvml)
    except Exception as exc:
        return NvidiaFacts(error=f"NVML failed ({short_error(exc)})")
    finally:
        with contextlib.suppress(Exception):  # what matters is already read
            nvml.nvmlShutdown()


def _read_nvml(nvml: Any) -> NvidiaFacts:
    def attempt(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            return None

    def call(name: str, *args: Any) -> Any:
        """An NVML call an older binding may lack (None then, as for any failure)."""
        fn = getattr(nvml, name, None)
        return attempt(fn, *args) if fn is not None else None

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
    switch = getattr(nvml, "NVML_NVLINK_DEVICE_TYPE_SWITCH", 2)
    gpus = []
    for index in range(count):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        name = attempt(nvml.nvmlDeviceGetName, handle)
        memory_info = attempt(nvml.nvmlDeviceGetMemoryInfo, handle)
        links = 0
        to_switch = False
        for link in range(max_links):
            state = attempt(nvml.nvmlDeviceGetNvLinkState, handle, link)
            if state is None:
                break  # NotSupported / InvalidArgument past the last link
            if state == enabled:
                links += 1
                to_switch |= call("nvmlDeviceGetNvLinkRemoteDeviceType", handle, link) == switch
        gpus.append(
            GpuInfo(
                index=index,
                name=decode(name) if name else f"GPU {index}",
                memory_bytes=as_int(getattr(memory_info, "total", None)),
                max_sm_clock_mhz=as_int(attempt(nvml.nvmlDeviceGetMaxClockInfo, handle, sm_clock)),
                pcie_generation=as_int(attempt(nvml.nvmlDeviceGetMaxPcieLinkGeneration, handle)),
                pcie_width=as_int(attempt(nvml.nvmlDeviceGetMaxPcieLinkWidth, handle)),
                nvlink_active_links=links,
                memory_bus_width=as_int(call("nvmlDeviceGetMemoryBusWidth", handle)),
                nvlink_to_switch=to_switch,
            )
        )
    return NvidiaFacts(
        driver_version=decode(driver) if driver else None, cuda_version=cuda, gpus=tuple(gpus)
    )
