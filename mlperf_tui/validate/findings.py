"""Findings: :class:`CheckResult`, its severities, and the collector every check group writes to.

The official checker logs its findings as lines (checks/base.py collects a verdict per check);
here a finding is structured - a stable id, a severity, a path relative to the package, a
message and a fix - and :func:`_guarded` turns a tree broken in a way no check foresaw into a
finding (``internal.check-failed``) instead of a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")


@dataclass(frozen=True)
class CheckResult:
    """One finding: a stable ``id``, how bad it is, where (relative to the package) and a fix."""

    id: str
    severity: Severity
    path: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class _Findings:
    """Collects findings with paths relative to the package."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[CheckResult] = []

    def rel(self, path: Path | str) -> str:
        p = Path(path)
        try:
            rel = p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()
        return "" if rel == "." else rel

    def add(self, id_: str, severity: Severity, path: Path | str, message: str, fix: str) -> None:
        self.items.append(CheckResult(id_, severity, self.rel(path), message, fix))

    def error(self, id_: str, path: Path | str, message: str, fix: str) -> None:
        self.add(id_, "error", path, message, fix)

    def warning(self, id_: str, path: Path | str, message: str, fix: str) -> None:
        self.add(id_, "warning", path, message, fix)

    def notice(self, id_: str, path: Path | str, message: str, fix: str) -> None:
        self.add(id_, "notice", path, message, fix)


def _guarded(f: _Findings, where: Path, check: Callable[..., None], *args: Any) -> None:
    """Run one group of checks; a tree broken in a way no check foresaw is a finding, too."""
    try:
        check(*args)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        f.error(
            "internal.check-failed",
            where,
            f"mlperf-tui could not finish checking this folder ({type(exc).__name__}: {exc})",
            "look for unreadable or odd files here; please report it with `mlperf-tui check "
            "--debug` output if the tree looks right",
        )
