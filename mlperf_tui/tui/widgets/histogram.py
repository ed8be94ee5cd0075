"""A latency histogram drawn with block characters, markers under it."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from mlperf_tui.tui.monitor_model import HistogramView

_BLOCKS = " ▁▂▃▄▅▆▇█"
_MARK_LABEL = {"p50": "50", "p90": "90", "p99": "99", "bound": "bound"}


def _fmt_ns(ns: float) -> str:
    ms = ns / 1e6
    return f"{ms:.3g} ms" if ms >= 0.01 else f"{ns / 1e3:.3g} us"


class LatencyHistogram(Widget):
    """Draws a :class:`HistogramView`; the screen sets ``view`` and the wanted ``columns``."""

    view: reactive[HistogramView | None] = reactive(None, always_update=True)

    def render(self) -> Text:
        view = self.view
        height = max(self.size.height - 2, 1)
        if view is None:
            return Text("no latencies yet", style="dim")
        cols = len(view.heights)
        text = Text()
        for row in range(height, 0, -1):
            for c, h in enumerate(view.heights):
                level = h * height - (row - 1)
                ch = _BLOCKS[min(8, max(0, round(level * 8)))] if level > 0 else " "
                style = "red" if view.markers.get("bound") == c else "cyan"
                text.append(ch, style=style)
            text.append("\n")
        marks = [" "] * cols
        for name in ("bound", "p50", "p90", "p99"):
            col = view.markers.get(name)
            if col is None:
                continue
            label = _MARK_LABEL[name] if name != "bound" else "|"
            start = max(0, min(col, cols - len(label)))
            for k, ch in enumerate(label):
                marks[start + k] = ch
        text.append("".join(marks), style="bold yellow")
        text.append("\n")
        left, right = _fmt_ns(view.lo_ns), _fmt_ns(view.hi_ns)
        text.append(left + " " * max(1, cols - len(left) - len(right)) + right, style="dim")
        return text
