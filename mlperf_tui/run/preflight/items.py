"""The disk, memory and time items, with the fix for a shortage."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import benchmarks
from mlperf_tui.rules.model import Execution
from mlperf_tui.run.calibrate import Calibration
from mlperf_tui.run.plan import PlannedRun, total_estimate_s

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.system import ProviderProblem

from mlperf_tui.run.preflight.model import (
    DISK_MARGIN_FRACTION,
    DISK_MARGIN_MAX_BYTES,
    HARNESS_BASE_BYTES,
    ORT_MODEL_FACTOR,
    STATUS_INFO,
    STATUS_OK,
    STATUS_SHORTAGE,
    STATUS_UNKNOWN,
    DiskUse,
    PreflightItem,
    _bytes,
)


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p.parent != p:
        p = p.parent
    return p


def _display(path: Path) -> str:
    """A folder for people: ~ for home, ./ below the current folder."""
    text = str(path)
    try:
        return "./" + str(path.relative_to(Path.cwd())) if path != Path.cwd() else "."
    except ValueError:
        pass
    home = str(Path.home())
    if text == home or text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text


def _disk_items(
    roles: Mapping[str, Path], uses: Sequence[tuple[str, DiskUse]], fixes: _Fixes
) -> list[PreflightItem]:
    groups: dict[int, list[str]] = {}
    for role, folder in roles.items():
        groups.setdefault(os.stat(_existing(folder)).st_dev, []).append(role)
    items = []
    for names in groups.values():
        parts = tuple(u for role, u in uses if role in names)
        anchor = _existing(roles[names[0]])
        usage = shutil.disk_usage(anchor)
        margin = int(min(DISK_MARGIN_MAX_BYTES, usage.total * DISK_MARGIN_FRACTION))
        known = sum(p.bytes or 0 for p in parts)
        unknown = [p for p in parts if p.bytes is None]
        available = max(0, usage.free - margin)
        folders = {n: roles[n] for n in names}
        what = "disk: " + ", ".join(f"{n} {_display(roles[n])}" for n in names)
        note = (
            f"{_bytes(usage.free)} free on the filesystem of {_display(anchor)}, less a margin of "
            f"{_bytes(margin)} ({DISK_MARGIN_FRACTION:.0%} of it, at most "
            f"{_bytes(DISK_MARGIN_MAX_BYTES)})"
        )
        if unknown:
            note += "; unknown: " + ", ".join(f"{p.what} ({p.note})" for p in unknown)
        if known > available:
            status = STATUS_SHORTAGE
            fix = fixes.disk(names, anchor, known - available, parts, available)
        elif unknown:
            status, fix = STATUS_UNKNOWN, ""
        else:
            status, fix = STATUS_OK, ""
        items.append(
            PreflightItem("disk", what, known, available, status, fix, note, parts, folders)
        )
    return items


@dataclass(frozen=True)
class _Fixes:
    """The concrete options a shortage's fix names."""

    profile: Profile
    dataset_size: int
    rules_size: int
    #: memory bytes of one loaded sample
    loaded_per_sample: int
    performance_sample_count: int
    cache_env: str

    def disk(
        self,
        roles: Sequence[str],
        anchor: Path,
        short: int,
        parts: Sequence[DiskUse],
        available: int,
    ) -> str:
        options = [f"free {_bytes(short)} on the filesystem of {anchor}"]
        if "cache" in roles:
            options.append(
                f"put the cache on a larger filesystem ({self.cache_env}=/path/with/space)"
            )
            per_sample = sum(p.per_sample for p in parts)
            if per_sample > 0:
                fixed = sum(p.bytes or 0 for p in parts if not p.per_sample)
                fits = max(0, (available - fixed) // per_sample)
                if 0 < fits < self.dataset_size:
                    text = f"a smaller assets.dataset.count (about {fits:,} samples fit)"
                    if self.profile.execution == Execution.VALID:
                        text += (
                            f" with execution: test (valid execution needs all {self.rules_size:,})"
                        )
                    options.append(text)
        if "results" in roles or "package" in roles:
            options.append("write the results elsewhere (output: in the profile)")
            if "package" in roles:
                options.append("the package elsewhere (run --out DIR)")
            if self.profile.execution == Execution.VALID:
                options.append("execution: test (short runs, small logs)")
        return "; or ".join(options)

    def memory(self, short: int) -> str:
        options = [f"free {_bytes(short)} of memory (close other programs)"]
        if self.dataset_size > 1 and self.loaded_per_sample > 0:
            options.append(
                "a smaller assets.dataset.count with execution: test (LoadGen holds "
                f"min(count, {self.performance_sample_count:,}) samples of "
                f"{_bytes(self.loaded_per_sample)})"
            )
        options.append("a smaller model (assets.model.kind)")
        return "; or ".join(options)


def _memory_item(
    entry: benchmarks.BenchmarkEntry,
    performance_sample_count: int,
    dataset_size: int,
    model_bytes: int | None,
    available: int | None,
    fixes: _Fixes,
) -> PreflightItem:
    ds = entry.dataset
    each = ds.loaded_sample_bytes if ds.loaded_sample_bytes is not None else ds.sample_bytes
    loaded = min(performance_sample_count, dataset_size)
    samples = loaded * each
    runtime = None if model_bytes is None else int(model_bytes * ORT_MODEL_FACTOR)
    needed = samples + (runtime or 0) + HARNESS_BASE_BYTES
    note = (
        f"{loaded:,} loaded samples x {_bytes(each)} (LoadGen's performance sample count), "
        f"the model in ONNX Runtime ({ORT_MODEL_FACTOR:g} x "
        f"{_bytes(model_bytes)}), {_bytes(HARNESS_BASE_BYTES)} for the harness"
    )
    if available is None:
        status, fix = STATUS_UNKNOWN, ""
        note += "; the available memory cannot be read here"
    elif needed > available:
        status, fix = STATUS_SHORTAGE, fixes.memory(needed - available)
    elif runtime is None:
        status, fix = STATUS_UNKNOWN, ""
    else:
        status, fix = STATUS_OK, ""
    return PreflightItem(
        "memory", "memory: one harness child", needed, available, status, fix, note
    )


def _cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def _time_items(
    plan: Sequence[PlannedRun],
    entry: benchmarks.BenchmarkEntry,
    generate: int,
    preprocess: int,
    calibration: Calibration | None,
    cores: int | None = None,
) -> list[PreflightItem]:
    ds = entry.dataset
    cores = cores or _cores()
    items: list[PreflightItem] = []
    once = 0.0
    if generate and ds.generate_s_per_sample is not None:
        s = generate * ds.generate_s_per_sample / cores
        once += s
        items.append(
            PreflightItem(
                "time", f"time: generate {generate:,} stand-in samples", s, None, STATUS_INFO,
                note=f"{ds.generate_s_per_sample * 1e3:g} ms a sample on one of {cores} cores",
            )
        )  # fmt: skip
    if preprocess and ds.preprocess_s_per_sample is not None:
        s = preprocess * ds.preprocess_s_per_sample / cores
        once += s
        items.append(
            PreflightItem(
                "time", f"time: preprocess {preprocess:,} samples", s, None, STATUS_INFO,
                note=f"{ds.preprocess_s_per_sample * 1e3:g} ms a sample on one of {cores} cores",
            )
        )  # fmt: skip
    source = calibration.source if calibration is not None else "rule of thumb"
    for run in plan:
        items.append(
            PreflightItem(
                "time", f"time: {run.run_id}", run.estimate_s, None, STATUS_INFO,
                note=f"{run.expected_samples:,} samples; {source}",
            )
        )  # fmt: skip
    total = total_estimate_s(plan) + once
    items.append(
        PreflightItem(
            "time", f"time: total, {len(plan)} runs" + (" + setup" if once else ""), total,
            None, STATUS_INFO, note=f"estimates from the {source}",
        )
    )  # fmt: skip
    return items


def _provider_item(
    profile: Profile, problem_of: Callable[[str], ProviderProblem | None] | None = None
) -> PreflightItem | None:
    """A shortage when the profile's execution provider does not load here, with the reason and
    the fix; None when it loads (or nothing of ours runs the model).

    onnxruntime lists a GPU build's CUDAExecutionProvider even where CUDA, cuDNN or the driver
    are missing, and a session asked for it then runs on the CPU with only a warning: a run
    would measure the CPU under the GPU's name. ``problem_of(provider)`` says why one does not
    load (:func:`mlperf_tui.system.check_provider`, which tries a session in a child process).
    """
    if profile.harness != "builtin":
        return None
    if problem_of is None:
        from mlperf_tui.system import check_provider

        problem_of = check_provider
    provider = profile.backend.execution_provider
    problem = problem_of(provider)
    if problem is None:
        return None
    return PreflightItem(
        "provider",
        f"execution provider {provider} (backend.execution_provider)",
        None,
        None,
        STATUS_SHORTAGE,
        fix=problem.fix,
        note=f"{provider} does not load here: {problem.reason}",
    )
