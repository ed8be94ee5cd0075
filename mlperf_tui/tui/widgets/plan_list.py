"""The run plan with each run's state."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from mlperf_tui.tui.monitor_model import PlanItem

_STATE_STYLE = {
    "waiting": ("·", "dim"),
    "running": ("▶", "bold cyan"),
    "ok": ("✓", "green"),
    "invalid": ("!", "bold yellow"),
    "failed": ("✗", "bold red"),
    "cancelled": ("■", "magenta"),
}


class PlanList(Static):
    """One line per planned run: state mark, run id, detail."""

    def show(self, items: Sequence[PlanItem]) -> None:
        text = Text()
        for item in items:
            mark, style = _STATE_STYLE.get(item.state, ("?", ""))
            text.append(f"{mark} ", style=style)
            text.append(item.label, style="bold" if item.state == "running" else "")
            text.append("\n   ")
            text.append(item.state, style=style)
            if item.detail:
                text.append(f" · {item.detail}", style="dim")
            text.append("\n")
        self.update(text)
