"""The scenario context the check groups share, the round's layout, and small readers.

:class:`_Ctx` is one results scenario folder and what its checks need to know (the checker's
loader.py carries the same facts from folder to check: division, system, benchmark, scenario,
and where the round keeps measurements and compliance runs - constants.py's
MEASUREMENTS_PATH/COMPLIANCE_PATH, here :func:`layout_of`). The readers never raise: a missing
folder lists as empty, an unreadable file reads as None, a value that is no number as None.

The readers never follow a symbolic link (:func:`_linked`): a linked file or folder lists as
absent and reads as None, and ``hygiene`` reports the link, so a package cannot make the
validator read a file outside it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlperf_tui.rules.model import Benchmark, Division, Layout, Round, Scenario
from mlperf_tui.validate.findings import _Findings

DIVISIONS = tuple(d.value for d in Division)


#: divisions the checker holds to the closed rules (scenarios, compliance, accuracy targets)
_STRICT_DIVISIONS = tuple(d.value for d in Division if d.strict)


def layout_of(round_rules: Round) -> Layout:
    """The round's tree layout (the checker's SRC_PATH, MEASUREMENTS_PATH, COMPLIANCE_PATH and
    the rounds its endpoints parser serves)."""
    return round_rules.layout


@dataclass(frozen=True)
class _Ctx:
    """One scenario folder and everything its checks need to know."""

    base: Path  # <division>/<submitter>
    division: str
    system: str
    system_type: str
    is_network: bool
    bench_folder: str
    bench: Benchmark
    scenario: str  # the folder's name, a Scenario value
    round_rules: Round
    layout: Layout

    @property
    def strict(self) -> bool:
        """Held to the closed rules (closed and network divisions)."""
        return self.division in _STRICT_DIVISIONS

    @property
    def scenario_dir(self) -> Path:
        return self.base / "results" / self.system / self.bench_folder / self.scenario

    @property
    def measurements_dir(self) -> Path:
        if self.layout.measurements_in_results:
            return self.scenario_dir
        return self.base / "measurements" / self.system / self.bench_folder / self.scenario

    @property
    def compliance_dir(self) -> Path:
        if self.layout.compliance_in_results:
            return self.scenario_dir
        return self.base / "compliance" / self.system / self.bench_folder / self.scenario


#: the largest JSON description (systems JSON, measurements.json, model_mapping.json) the
#: validator reads; real ones are a few KiB
MAX_JSON_BYTES = 1 << 20


def _linked(path: Path) -> bool:
    """Whether ``path`` or a folder on the way to it is a symbolic link.

    ``validate`` resolves the package root first, so every link on the way lies in the package.
    """
    return os.path.realpath(path) != os.path.abspath(path)


def _dirs(path: Path) -> list[Path]:
    if _linked(path):
        return []
    try:
        return sorted(
            p
            for p in path.iterdir()
            if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
        )
    except OSError:
        return []


def _files(path: Path) -> list[str]:
    if _linked(path):
        return []
    try:
        return sorted(p.name for p in path.iterdir() if p.is_file() and not p.is_symlink())
    except OSError:
        return []


def _read_text(path: Path) -> str | None:
    if _linked(path):
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _load_json(path: Path) -> Any:
    """A small JSON file's data; OSError or ValueError (with the reason) when it cannot be read,
    is a link, is larger than :data:`MAX_JSON_BYTES` or nests too deeply to parse."""
    if _linked(path):
        raise ValueError("it is a symbolic link, which the validator does not follow")
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ValueError(f"it is {size} bytes; a description is at most {MAX_JSON_BYTES}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("it nests too deeply to be read") from None


def _require_files(f: _Findings, folder: Path, names: Iterable[str], what: str) -> list[str]:
    """Missing/empty findings for ``names`` in ``folder``; returns the names that are there."""
    present = []
    for name in names:
        path = folder / name
        if _linked(path):
            continue  # hygiene reports the link
        if not path.is_file():
            f.error(
                "tree.missing-file",
                path,
                f"{what}: {name} is missing",
                f"rebuild the package (`mlperf-tui package RESULTS --out DIR`) or copy {name} "
                "from the run's folder",
            )
        elif path.stat().st_size == 0:
            f.error(
                "tree.empty-file",
                path,
                f"{what}: {name} is empty",
                f"copy {name} again from the run's folder; the checker refuses empty files",
            )
        else:
            present.append(name)
    return present


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _scenario(name: str) -> Scenario | None:
    try:
        return Scenario(name)
    except ValueError:
        return None
