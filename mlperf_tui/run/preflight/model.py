"""The pre-flight check's items and their numbers (see :mod:`mlperf_tui.run.preflight`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import EnvironmentProblem
from mlperf_tui.run.plan import PlannedRun

if TYPE_CHECKING:
    pass


STATUS_OK = "ok"
STATUS_SHORTAGE = "shortage"
STATUS_UNKNOWN = "unknown"
STATUS_INFO = "info"

# -- our numbers (not MLPerf's) ---------------------------------------------------------------

#: free space a filesystem keeps beyond what the runs need: 5 % of its size, at most 512 MiB
DISK_MARGIN_FRACTION = 0.05
DISK_MARGIN_MAX_BYTES = 512 * 1024**2
#: files take whole blocks
_BLOCK = 4096
#: a run's own files: mlperf_log_summary/detail.txt, RUN.json, user.conf, result.json, stderr
#: (the quickstart's are 50-80 KB)
RUN_FILES_BYTES = 128 * 1024
#: events.jsonl: about four progress events a second of about 1.4 KB (histogram snapshots)
EVENTS_BYTES_PER_S = 6 * 1024
#: one entry of mlperf_log_accuracy.json beyond its hex payload (seq_id, qsl_idx, keys)
ACCURACY_ENTRY_OVERHEAD = 50
#: the package's mlperf_log_accuracy.json is truncated to this
PACKAGE_ACCURACY_LOG_BYTES = 10 * 1024
#: the package's README, systems JSON, measurements, profile, manifest
PACKAGE_EXTRA_BYTES = 256 * 1024
#: ONNX Runtime holds about this many times the model file (the weights, their optimised copy,
#: the arena; measured 4.2x with the ResNet50 stand-in at batch 32)
ORT_MODEL_FACTOR = 4.0
#: a harness child before any sample or model: Python, NumPy, ONNX Runtime, LoadGen (~70 MiB)
HARNESS_BASE_BYTES = 128 * 1024**2
#: an archive unpacks to about its own size again (a guess: data sets are packed already)
EXTRACT_FACTOR = 1.0
#: seconds a HEAD request for a download's size may take
HEAD_TIMEOUT_S = 5.0


def format_duration(seconds: float) -> str:
    """A duration for people: 42 s, 10.5 min, 2.1 h."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _bytes(n: float | None) -> str:
    from mlperf_tui.system import format_bytes

    return "unknown" if n is None else format_bytes(int(n))


def _on_disk(count: int, each: int) -> int:
    """``count`` files of ``each`` bytes, in whole blocks."""
    return count * math.ceil(each / _BLOCK) * _BLOCK


@dataclass(frozen=True)
class DiskUse:
    """One thing a run writes to disk, and where."""

    what: str
    folder: Path
    #: bytes still to be written; 0 when the cache holds it already, None when unknown
    bytes: int | None
    note: str = ""
    #: bytes per sample of the data set, for a part that grows with assets.dataset.count
    per_sample: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "folder": str(self.folder),
            "bytes": self.bytes,
            "note": self.note,
        }


@dataclass(frozen=True)
class PreflightItem:
    """One check: what is needed against what there is."""

    kind: str  # "disk" | "memory" | "time" | "provider" | "power" | "machines"
    what: str
    #: bytes (disk, memory) or seconds (time); None: unknown
    needed: float | None
    #: the same unit; None: nothing to compare with (time) or unknown
    available: float | None
    status: str
    fix: str = ""
    note: str = ""
    #: a disk item's parts (what goes onto this filesystem)
    parts: tuple[DiskUse, ...] = ()
    #: the folders of a disk item, by role ("cache", "results", "package")
    folders: Mapping[str, Path] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return "s" if self.kind == "time" else "bytes"

    def needed_text(self) -> str:
        if self.kind in ("provider", "power", "machines"):
            return "-"
        if self.kind == "time":
            return "unknown" if self.needed is None else format_duration(self.needed)
        return _bytes(self.needed)

    def available_text(self) -> str:
        if self.kind in ("time", "provider", "power", "machines"):
            return "-"
        return _bytes(self.available)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "needed": self.needed,
            "available": self.available,
            "unit": self.unit,
            "status": self.status,
            "fix": self.fix,
            "note": self.note,
            "folders": {k: str(v) for k, v in self.folders.items()},
            "parts": [p.to_dict() for p in self.parts],
        }


@dataclass(frozen=True)
class Preflight:
    """Every item of the pre-flight check, and the plan it was computed from."""

    items: tuple[PreflightItem, ...]
    plan: tuple[PlannedRun, ...]
    #: the samples the runs will see
    dataset_size: int

    @property
    def shortages(self) -> tuple[PreflightItem, ...]:
        return tuple(i for i in self.items if i.status == STATUS_SHORTAGE)

    @property
    def ok(self) -> bool:
        """No shortage (an unknown size is not one)."""
        return not self.shortages

    def of_kind(self, kind: str) -> tuple[PreflightItem, ...]:
        return tuple(i for i in self.items if i.kind == kind)

    def error(self) -> EnvironmentProblem | None:
        """The error that refuses the run, with each shortage's fix; None when nothing is short."""
        short = self.shortages
        if not short:
            return None
        room = [i for i in short if i.kind in ("disk", "memory")]
        parts = [i.note for i in short if i not in room]
        if room:
            what = "; ".join(
                f"{i.what} needs {i.needed_text()}, {i.available_text()} available" for i in room
            )
            parts.append(f"not enough room for this run: {what}")
        fix = " | ".join(i.fix for i in short if i.fix)
        return EnvironmentProblem("; ".join(parts), fix)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dataset_size": self.dataset_size,
            "items": [i.to_dict() for i in self.items],
        }


def available_memory() -> int | None:
    """Memory available to a new process now (Linux: /proc/meminfo MemAvailable)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError, RuntimeError):
        return None
