"""Tuning the backend to the machine: the sweep of ``python -m harness tune``, and its choice.

:func:`tune` runs the sweep in a harness child (:mod:`harness.tune`: batch size x intra-op
threads x streams, a point a second) and reports every point as it is measured; the choice
per scenario becomes the profile's backend block with :func:`tuned_backend` (the throughput
scenario's settings as the block's own, the other scenarios' as ``per_scenario``).
:func:`auto_backend` serves ``backend: auto``: the result is kept per machine and model in the
cache folder, so only the first run on a machine pays for the sweep.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import RunError
from mlperf_tui.results import RUN_CONFIG
from mlperf_tui.rules.model import Scenario
from mlperf_tui.run.calibrate import child_env

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.profile.model import Backend
    from mlperf_tui.run.inputs import ResolvedAssets

#: (done, total, point) after each point of the sweep
OnPoint = Callable[[int, int, Mapping[str, Any]], None]
#: seconds each point runs
POINT_SECONDS = 1.0
#: the sweep's points run on at most this many of the data set's samples (a real run's memory
#: traffic, without loading a whole performance sample set for a short measurement)
TUNE_SAMPLES = 256
#: the scenarios whose settings become the backend block's own, in order of preference
_THROUGHPUT_FIRST = (
    Scenario.OFFLINE,
    Scenario.SERVER,
    Scenario.SINGLE_STREAM,
    Scenario.MULTI_STREAM,
)
#: bump when the sweep changes, so that cached results of an older sweep are not reused
_CACHE_VERSION = 1


@dataclass(frozen=True)
class TuneResult:
    """What the sweep measured and chose."""

    #: scenario -> {"batch_size", "intra_op_threads", "streams", "throughput", ..., "why"}
    chosen: Mapping[Scenario, Mapping[str, Any]]
    points: tuple[Mapping[str, Any], ...] = ()
    cores: int = 0
    #: "measured" or "cached" (a result of an earlier sweep on this machine and model)
    source: str = "measured"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": {s.value: dict(v) for s, v in self.chosen.items()},
            "points": [dict(p) for p in self.points],
            "cores": self.cores,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str) -> TuneResult:
        chosen = {Scenario(k): dict(v) for k, v in data["chosen"].items()}
        return cls(chosen, tuple(data.get("points", ())), int(data.get("cores", 0)), source)


def describe_point(point: Mapping[str, Any]) -> str:
    """'batch 16, 1 thread x 2 streams: 11,300.0/s, p90 2.23 ms'."""
    t, s = int(point["intra_op_threads"]), int(point["streams"])
    return (
        f"batch {point['batch_size']}, {t} thread{'' if t == 1 else 's'} x {s} "
        f"stream{'' if s == 1 else 's'}: {float(point['throughput']):,.1f}/s, "
        f"p90 {float(point['p90_ms']):.3g} ms"
    )


def _samples(profile: Profile, resolved: ResolvedAssets) -> int:
    psc = rules.get_benchmark(profile.benchmark, profile.round).performance_sample_count
    return max(1, min(TUNE_SAMPLES, psc, resolved.dataset_size or psc))


def tune(
    profile: Profile,
    resolved: ResolvedAssets,
    *,
    seconds: float = POINT_SECONDS,
    on_point: OnPoint = lambda done, total, point: None,
    timeout_s: float = 1800.0,
) -> TuneResult:
    """Sweep the backend settings for the profile's scenarios in a harness child."""
    from harness.config import PARENT_PID_ENV
    from mlperf_tui.run.child import backend_options, run_config

    entry = benchmarks.require(profile.benchmark)
    model = entry.model(profile.require_assets().model.kind)
    bench = rules.get_benchmark(profile.benchmark, profile.round)
    bound_ns = bench.latency_bound_ns.get(Scenario.SERVER)
    spq = rules.get_round(profile.round).multistream_samples_per_query
    with tempfile.TemporaryDirectory(prefix="mlperf-tui-tune-") as scratch:
        folder = Path(scratch)
        (folder / "user.conf").write_text("", encoding="utf-8")
        config = run_config(
            None, profile, resolved, folder, task=entry.task, task_options=dict(model.task_options)
        )
        import dataclasses

        # the sweep sets threads and streams per point; the first session uses one thread
        options = dataclasses.replace(
            backend_options(profile, profile.scenarios[0]), intra_op_threads=1, streams=1
        )
        config = dataclasses.replace(config, backend=options)
        config.write(folder / RUN_CONFIG)
        cmd = [
            sys.executable,
            "-m",
            "harness",
            "tune",
            "--config",
            str(folder / RUN_CONFIG),
            "--scenarios",
            ",".join(s.value for s in profile.scenarios),
            "--seconds",
            str(seconds),
            "--samples-per-query",
            str(spq),
            "--samples",
            str(_samples(profile, resolved)),
        ]
        if bound_ns:
            cmd += ["--latency-bound-ms", str(bound_ns / 1e6)]
        env = child_env(entry.python_path)
        env[PARENT_PID_ENV] = str(os.getpid())
        return _run_sweep(cmd, env, on_point, timeout_s)


def _run_sweep(
    cmd: list[str], env: dict[str, str], on_point: OnPoint, timeout_s: float
) -> TuneResult:
    import threading

    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    timer = threading.Timer(timeout_s, proc.kill)
    timer.start()
    points: list[Mapping[str, Any]] = []
    result: Mapping[str, Any] | None = None
    error: Mapping[str, Any] | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            if data.get("kind") == "point":
                points.append(data)
                on_point(int(data["done"]), int(data["total"]), data)
            elif data.get("kind") == "result":
                result = data
            elif data.get("kind") == "error":
                error = data
        stderr = proc.stderr.read() if proc.stderr is not None else ""
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        timer.cancel()
    if error is not None:
        raise RunError(f"the sweep failed: {error.get('error')}", str(error.get("fix") or ""))
    if result is None or code != 0:
        tail = " | ".join(stderr.strip().splitlines()[-3:]) or f"exit code {code}"
        raise RunError(
            f"the sweep did not finish: {tail}",
            "check that the model loads (mlperf-tui detect shows the providers), then retry",
        )
    chosen = {Scenario(k): v for k, v in result["chosen"].items()}
    return TuneResult(chosen, tuple(points), int(result.get("cores", 0)))


def tuned_backend(backend: Backend, result: TuneResult) -> Backend:
    """``backend`` with the chosen settings: the throughput scenario's as its own, the other
    scenarios' (where they differ) as ``per_scenario``; ``auto`` off."""
    from mlperf_tui.profile.model import StreamSettings

    first = next((s for s in _THROUGHPUT_FIRST if s in result.chosen), None)
    if first is None:
        return backend.model_copy(update={"auto": False})

    def settings(scenario: Scenario) -> tuple[int, int, int]:
        c = result.chosen[scenario]
        return int(c["intra_op_threads"]), int(c["batch_size"]), int(c["streams"])

    threads, batch, streams = settings(first)
    per: dict[Scenario, StreamSettings] = {}
    for scenario in result.chosen:
        if scenario == first:
            continue
        t, b, s = settings(scenario)
        latency = scenario in (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)
        own = StreamSettings(
            intra_op_threads=t if t != threads else None,
            # SingleStream sends one sample a call, and both latency scenarios one stream
            batch_size=b if b != batch and scenario != Scenario.SINGLE_STREAM else None,
            streams=s if s != streams and not latency else None,
        )
        if own != StreamSettings():
            per[scenario] = own
    return backend.model_copy(
        update={
            "intra_op_threads": threads,
            "batch_size": batch,
            "streams": streams,
            "per_scenario": per,
            "auto": False,
        }
    )


def chosen_lines(result: TuneResult) -> list[str]:
    """One line per scenario: what was chosen and why."""
    return [
        f"{scenario.value}: {describe_point(c)} - {c.get('why', '')}"
        for scenario, c in result.chosen.items()
    ]


# -- backend: auto ------------------------------------------------------------------------------


def _cache_key(profile: Profile, resolved: ResolvedAssets) -> str:
    """The machine (CPU, cores, runtime), the model file and the scenarios."""
    try:
        import onnxruntime

        ort_version = str(onnxruntime.__version__)
    except ImportError:  # pragma: no cover - a dependency
        ort_version = "?"
    model = Path(resolved.model_path)
    try:
        stat = model.stat()
        model_id = f"{model.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        model_id = str(model)
    from harness.backends.onnxruntime import physical_cores

    cores = physical_cores()
    parts = [
        str(_CACHE_VERSION),
        platform.machine(),
        platform.processor() or _cpu_model(),
        str(cores),
        ort_version,
        profile.backend.execution_provider,
        model_id,
        ",".join(s.value for s in profile.scenarios),
        profile.round,
        profile.benchmark,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def auto_backend(
    profile: Profile,
    resolved: ResolvedAssets,
    *,
    on_point: OnPoint = lambda done, total, point: None,
    on_message: Callable[[str], None] = lambda text: None,
) -> tuple[Backend, TuneResult]:
    """The tuned backend of a ``backend: auto`` profile: from the cache of this machine and
    model, else from a sweep (then cached)."""
    # in the cache folder, beside the preprocessed samples (resolved.cache_dir)
    folder = Path(resolved.cache_dir).parent / "tuning"
    path = folder / f"{_cache_key(profile, resolved)}.json"
    result: TuneResult | None = None
    if path.is_file():
        try:
            result = TuneResult.from_dict(json.loads(path.read_text(encoding="utf-8")), "cached")
        except (OSError, ValueError, KeyError, TypeError):
            on_message(f"the tuning kept in {path} cannot be read; tuning again")
            result = None
    if result is None or not set(profile.scenarios) <= set(result.chosen):
        on_message("Tuning the backend to this machine (backend: auto)")
        result = tune(profile, resolved, on_point=on_point)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(result.to_dict(), indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            on_message(
                f"the tuning could not be kept ({exc.strerror or exc}); the next run tunes again"
            )
    else:
        on_message(f"Backend tuned on this machine earlier ({path.name}): reused")
    return tuned_backend(profile.backend, result), result
