"""Short texts the steps show: durations, lists, what the rules mean for a choice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlperf_tui import rules
from mlperf_tui.rules.model import Benchmark, Category, Division


def names(items: Sequence[Any]) -> str:
    return ", ".join(str(getattr(i, "value", i)) for i in items) or "none"


def format_seconds(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def accuracy_gate(bench: Benchmark) -> str:
    """The accuracy a run must reach, e.g. "acc >= 75.695 (99% of 76.46)"."""
    return "; ".join(t.describe() for t in bench.accuracy) or "none"


def implications(bench: Benchmark, division: Division, category: Category) -> list[str]:
    """What choosing this division and category means for this benchmark, in plain words."""
    required = rules.required_scenarios(bench, category)
    allowed = rules.allowed_scenarios(bench, category, division)
    compliance = rules.compliance_tests(bench, division)
    lines = []
    if division.strict:
        lines.append(f"Required scenarios: {names(required)} (each with performance and accuracy).")
        lines.append(f"Compliance tests: {names(compliance)}.")
        lines.append(f"Accuracy gate: {accuracy_gate(bench)}; the reference model is required.")
    else:
        lines.append(f"Scenarios: any of {names(allowed)}; none is required.")
        lines.append("Compliance tests: none. Any model may be used; accuracy is reported.")
    return lines
