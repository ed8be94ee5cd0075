"""Fixtures of the TUI tests: frozen hardware, a fixed profiles folder, recorded events."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlperf_tui.system import FrozenProbe

FIXTURES = Path(__file__).parent / "fixtures"

LSCPU = (
    "Architecture: x86_64\nCPU(s): 8\nModel name: Frozen Test CPU @ 3.00GHz\n"
    "Thread(s) per core: 2\nCore(s) per socket: 4\nSocket(s): 1\nCPU max MHz: 3000.0000\n"
    "L1d cache: 128 KiB (4 instances)\nL2 cache: 2 MiB (4 instances)\nL3 cache: 8 MiB (1 instance)\n"
)


def frozen_probe() -> FrozenProbe:
    """The same small machine on every host, so screens and snapshots do not move."""
    return FrozenProbe(
        commands={"lscpu": LSCPU},
        logical_cpus=8,
        physical_cores=4,
        cpu_freq_mhz=(3000.0, 3000.0),
        memory_bytes=32 * 1024**3,
        disk_bytes=512 * 1000**3,
        platform_facts={
            "system": "Linux",
            "release": "6.1.0-frozen",
            "python": "3.11.9",
            "os": "Debian GNU/Linux 12",
        },
        packages={"onnxruntime": "1.20.0", "mlcommons-loadgen": "6.0.17"},
        providers=["CPUExecutionProvider"],
    )


@pytest.fixture(autouse=True)
def _frozen_hardware(monkeypatch: pytest.MonkeyPatch) -> FrozenProbe:
    """Every app in these tests sees the frozen machine, whatever the host is."""
    import mlperf_tui.system as system

    probe = frozen_probe()
    real_detect = system.detect
    monkeypatch.setattr(system, "detect", lambda p=None: real_detect(probe))
    return probe


@pytest.fixture
def profiles_dir(tmp_path: Path) -> Path:
    return tmp_path / "profiles"
