"""The run plan with each run's state."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.text import Text
from textual.events import Resize
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

#: the state line (and its continuation) starts under the run id
_INDENT = "   "


class PlanList(Static):
    """One line per planned run: state mark, run id; under it the state and detail, wrapped
    under the run id so a long detail (a metric, an error) stays readable in a narrow plan."""

    _items: tuple[PlanItem, ...] = ()

    def show(self, items: Sequence[PlanItem]) -> None:
        self._items = tuple(items)
        width = self.content_size.width
        text = Text()
        for item in self._items:
            mark, style = _STATE_STYLE.get(item.state, ("?", ""))
            text.append(f"{mark} ", style=style)
            text.append(item.label, style="bold" if item.state == "running" else "")
            text.append("\n" + _INDENT)
            text.append(item.state, style=style)
            if item.detail:
                detail = f" · {item.detail}"
                if width > len(_INDENT) + 10:
                    lines = textwrap.wrap(
                        item.state + detail,
                        width - len(_INDENT),
                        subsequent_indent="",
                        break_on_hyphens=False,
                    )
                    detail = "\n".join(lines)[len(item.state) :].replace("\n", "\n" + _INDENT)
                text.append(detail, style="dim")
            text.append("\n")
        self.update(text)

    def on_resize(self, event: Resize) -> None:
        if self._items:
            self.show(self._items)
