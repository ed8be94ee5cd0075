"""How fast the model is on this machine: the basis of LoadGen's targets and the estimates.

:func:`calibrate` times the model in a harness child (``python -m harness calibrate``), with the
benchmark task's own inputs: one sample at a time, then one batch. Without a measurement,
:func:`rule_of_thumb` gives a rough figure from the model's per-core throughput in the
benchmark registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import benchmarks
from mlperf_tui.errors import RunError

if TYPE_CHECKING:
    from harness.config import RunConfig
    from mlperf_tui.profile import Profile


@dataclass(frozen=True)
class Calibration:
    """What the model does on this machine: the basis of targets and estimates."""

    #: batched throughput, samples per second
    throughput: float
    #: one sample at a time, seconds
    latency_s: float
    #: "calibrated" (measured here), "profile" (the profile's targets), "rule of thumb"
    source: str
    batch_size: int = 1

    def describe(self) -> str:
        return (
            f"{self.throughput:,.1f} samples/s batched, {self.latency_s * 1e3:,.2f} ms per "
            f"sample ({self.source})"
        )


def rule_of_thumb(profile: Profile, cores: int | None = None) -> Calibration:
    """A rough figure from the model and the core count, when nothing was measured."""
    entry = benchmarks.require(profile.benchmark, harness=profile.harness)
    per_core = entry.model(profile.require_assets().model.kind).per_core_throughput
    if cores is None:
        import psutil

        cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    throughput = per_core * cores
    # one sample at a time uses the cores less well than a batch
    latency = 1.0 / (per_core * max(1.0, cores * 0.6))
    return Calibration(throughput, latency, "rule of thumb", profile.backend.batch_size)


#: what every harness child gets on top of its parent's environment (its events are lines on
#: stdout, read as they come)
CHILD_ENV: dict[str, str] = {"PYTHONUNBUFFERED": "1"}


def child_env(extra_paths: tuple[Path, ...] = ()) -> dict[str, str]:
    """The environment of a harness child: this one, plus :data:`CHILD_ENV` and a plug-in's
    import path (before the parent's PYTHONPATH)."""
    env = dict(os.environ, **CHILD_ENV)
    if extra_paths:
        paths = [str(p) for p in extra_paths]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def calibrate(
    config: RunConfig,
    config_path: Path,
    *,
    budget_s: float = 1.0,
    timeout_s: float = 120.0,
    python_path: tuple[Path, ...] = (),
    samples: int | None = None,
    latency_threads: int | None = None,
) -> Calibration:
    """Time the run's model with the task's inputs in a harness child (RunConfig at
    ``config_path`` is written here); RunError saying what went wrong otherwise."""
    config.write(config_path)
    cmd = [
        sys.executable,
        "-m",
        "harness",
        "calibrate",
        "--config",
        str(config_path),
        "--budget-s",
        str(budget_s),
    ]
    if samples:
        cmd += ["--samples", str(samples)]
    if latency_threads:
        cmd += ["--latency-threads", str(latency_threads)]
    from harness.config import PARENT_PID_ENV

    env = child_env(python_path)
    # the child stops itself if this process dies (SIGKILL) while the model is being timed
    env[PARENT_PID_ENV] = str(os.getpid())
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RunError(
            f"timing the model took more than {timeout_s:.0f} s",
            "check the model file, or set targets in the profile to skip the timing",
        ) from None
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else {}
    except ValueError:
        data = {}
    if done.returncode != 0 or "throughput" not in data:
        if "error" in data:
            raise RunError(f"the model could not be timed: {data['error']}", str(data.get("fix")))
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RunError(
            "the model could not be timed: " + " | ".join(tail),
            "check that the model loads in ONNX Runtime (mlperf-tui detect shows the providers)",
        )
    return Calibration(
        throughput=float(data["throughput"]),
        latency_s=float(data["latency_s"]),
        source="calibrated",
        batch_size=int(data["batch_size"]),
    )
