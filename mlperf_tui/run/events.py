"""What a replay reports while it runs: :class:`RunnerEvent`, passed to an ``on_event``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlperf_tui.results import RunResult


@dataclass(frozen=True)
class RunnerEvent:
    """What ``execute`` reports to ``on_event``.

    kind: ``assets`` (data: label, done, total), ``plan`` (data: runs), ``run_start``,
    ``harness`` (data: one harness event, see harness/events.py; a power run adds
    ``{"event": "power", "watts": W, "t": s}``, the analyser's watts from PTDaemon's log, and
    ``phase`` events ``power-ranging`` / ``power-testing``: mlperf_tui.run.power_run),
    ``run_end`` (result),
    ``message`` (data: text), ``done`` (data: complete, folder).
    """

    kind: str
    run_id: str | None = None
    index: int | None = None  # the run's position in the plan (0-based)
    total: int | None = None  # runs in the plan
    data: Mapping[str, Any] = field(default_factory=dict)
    result: RunResult | None = None


OnEvent = Callable[[RunnerEvent], None]


def ignore(_: RunnerEvent) -> None:
    return None
