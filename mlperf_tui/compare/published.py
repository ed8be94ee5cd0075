"""The user's runs among the published MLPerf results.

A user downloads the results table of a round as CSV and names it (``mlperf-tui compare ...
--published FILE``). Two layouts exist, both from the official submission tools
(mlcommons/inference ``tools/submission``), and both are read:

* the checker's summary (``submission_checker``'s ``ResultExporter``, ``summary.csv``): one
  row per result with ``Organization``, ``Availability``, ``Division``, ``SystemType``,
  ``SystemName``, ``Platform``, ``Model`` (the benchmark folder's name), ``MlperfModel`` (the
  benchmark's official name: ``resnet``), ``Scenario``, ``Result``, ``Accuracy``, ...,
  ``Units`` (``Samples/s``, ``Queries/s``, ``Latency (ms)``, ``Tokens/s``; ``Watts`` and
  ``millijoules`` for the power rows), ``version``;
* the final report the results tables are built from (``generate_final_report.py``, its
  ``_results.json`` as a table): the same results with the columns renamed ``Submitter``,
  ``Category`` (the division), ``Suite`` (the system type), ``System``, ``UsedModel`` (the
  folder's name), ``Model`` (the official name), ``Performance_Result`` and
  ``Performance_Units``.

Headers are matched without regard to case, spaces and punctuation (``System Name``,
``system_name``). Required: a benchmark column (``MlperfModel``, ``Model`` or ``UsedModel``),
``Scenario``, a result (``Result`` or ``Performance_Result``) and its unit (``Units`` or
``Performance_Units``); a file without one of them is a :class:`CompareError` that names them.

:func:`place` puts each entry among the published results of the same benchmark and scenario
in the same unit, best first. Like is compared with like only: the checker's result of a
benchmark and scenario is one detail-log key (``mlperf_tui.rules``' ``result_keys``: LoadGen's
completed samples per second for Server, which the table calls ``Queries/s``); a run whose
metric is another key (a samples-per-second run of a tokens-per-second LLM) is not ranked, and
the placement says that the units differ.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.loadgen_logs import SCENARIO_METRICS
from mlperf_tui.compare import CompareEntry, CompareError, Comparison
from mlperf_tui.errors import RulesError
from mlperf_tui.rules import DEFAULT_ROUND, Benchmark, Scenario, get_benchmark, rounds_with

__all__ = [
    "REQUIRED_COLUMNS",
    "Placement",
    "PublishedResult",
    "ordinal",
    "parse_published",
    "place",
    "read_published",
]

#: each field: the header names (normalised: lower case, letters and digits only) that hold it,
#: the first found wins
_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "organization": ("organization", "organisation", "submitter"),
    "availability": ("availability",),
    "division": ("division", "category"),
    "system_type": ("systemtype", "suite"),
    "system": ("systemname", "system"),
    "platform": ("platform",),
    "mlperf_model": ("mlperfmodel",),
    "used_model": ("usedmodel",),
    "model": ("model", "benchmark"),
    "scenario": ("scenario",),
    "result": ("result", "performanceresult"),
    "units": ("units", "performanceunits", "unit"),
    "accuracy": ("accuracy",),
    "version": ("version",),
    "accelerator": ("acceleratormodelname", "accelerator"),
}
#: what a file must have, as the two layouts name it
REQUIRED_COLUMNS: Mapping[str, str] = {
    "benchmark": "MlperfModel, Model or UsedModel",
    "scenario": "Scenario",
    "result": "Result or Performance_Result",
    "units": "Units or Performance_Units",
}
#: the ways the tables write a scenario (the final report maps the lower-case ones)
_SCENARIOS: Mapping[str, str] = {
    "singlestream": "SingleStream",
    "multistream": "MultiStream",
    "server": "Server",
    "offline": "Offline",
    "interactive": "Interactive",
}
_FIX = (
    "name the CSV of the MLCommons results table (the submission checker's summary.csv, or "
    "the final report's table): it needs the columns "
    + "; ".join(f"{what}: {names}" for what, names in REQUIRED_COLUMNS.items())
)


@dataclass(frozen=True)
class PublishedResult:
    """One result of the published table."""

    organization: str
    system: str
    division: str
    availability: str
    system_type: str
    #: the benchmark's official name ("resnet", "bert-99", "llama2-70b-99.9")
    benchmark: str
    #: the submitted folder's name (an open-division model: "resnet50-tiny")
    used_model: str
    scenario: str
    value: float
    units: str
    accuracy: str = ""
    version: str = ""
    accelerator: str = ""

    @property
    def who(self) -> str:
        """ "ORG SYSTEM" (the platform's folder name when the table has no system name)."""
        if self.system and self.organization and self.system.startswith(self.organization):
            return self.system
        return " ".join(p for p in (self.organization, self.system) if p) or "(unnamed)"


def _normal(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def parse_published(text: str, source: str = "the published results") -> list[PublishedResult]:
    """The results of a published table's CSV text (see the module docstring); rows without
    a number in the result column (a blank cell, "-") are left out."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        raise CompareError(f"{source} is not a CSV file ({exc})", _FIX) from None
    header_at = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise CompareError(f"{source} is empty", _FIX)
    header = [_normal(c) for c in rows[header_at]]
    where: dict[str, int] = {}
    for name, options in _COLUMNS.items():
        for option in options:
            if option in header:
                where[name] = header.index(option)
                break
    # the final report calls the official name "Model" and the folder's "UsedModel"; the
    # checker's summary calls them "MlperfModel" and "Model"
    if "mlperf_model" not in where and "used_model" in where and "model" in where:
        where["mlperf_model"] = where["model"]
    elif "used_model" not in where and "mlperf_model" in where and "model" in where:
        where["used_model"] = where["model"]
    benchmark_at = where.get("mlperf_model", where.get("model", where.get("used_model")))
    missing = [
        names
        for what, names in REQUIRED_COLUMNS.items()
        if (benchmark_at is None if what == "benchmark" else what not in where)
    ]
    if missing:
        raise CompareError(
            f"{source} has no {' and no '.join(missing)} column "
            f"(its header: {', '.join(c.strip() for c in rows[header_at][:12] if c.strip())}"
            f"{', ...' if len(rows[header_at]) > 12 else ''})",
            _FIX,
        )
    assert benchmark_at is not None

    def cell(row: Sequence[str], name: str) -> str:
        at = where.get(name)
        return row[at].strip() if at is not None and at < len(row) else ""

    found = []
    for row in rows[header_at + 1 :]:
        value = _number(cell(row, "result"))
        benchmark = row[benchmark_at].strip() if benchmark_at < len(row) else ""
        if value is None or not benchmark:
            continue
        scenario = cell(row, "scenario")
        found.append(
            PublishedResult(
                organization=cell(row, "organization"),
                system=cell(row, "system") or cell(row, "platform"),
                division=cell(row, "division"),
                availability=cell(row, "availability"),
                system_type=cell(row, "system_type"),
                benchmark=benchmark,
                used_model=cell(row, "used_model") or benchmark,
                scenario=_SCENARIOS.get(scenario.lower(), scenario),
                value=value,
                units=cell(row, "units"),
                accuracy=cell(row, "accuracy"),
                version=cell(row, "version"),
                accelerator=cell(row, "accelerator"),
            )
        )
    return found


def read_published(path: Path | str) -> list[PublishedResult]:
    """The results of a published table's CSV file; CompareError with the fix when it cannot
    be read or lacks a required column."""
    target = Path(path).expanduser()
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise CompareError(f"{target} does not exist", _FIX) from None
    except IsADirectoryError:
        raise CompareError(f"{target} is a folder, not a CSV file", _FIX) from None
    except OSError as exc:
        raise CompareError(f"{target} cannot be read ({exc.strerror or exc})", _FIX) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # a spreadsheet's export in the local code page
    return parse_published(text, str(target))


# -- placing the entries -------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where one entry stands among the published results of its benchmark and scenario."""

    entry: CompareEntry
    #: the benchmark's official name the published rows were matched by ("resnet")
    benchmark: str
    scenario: str
    #: the published unit the entry was compared in ("Samples/s"); None when not compared
    units: str | None
    #: the entry's metric in that unit
    value: float | None
    #: the published results of the same benchmark, scenario and unit, best first
    results: tuple[PublishedResult, ...]
    #: 1 + the published results better than the entry; None when not compared
    rank: int | None
    #: why there is no rank, when there is none
    note: str = ""

    @property
    def lower_is_better(self) -> bool:
        return bool(self.units) and "latency" in (self.units or "").lower()

    def value_text(self, value: float) -> str:
        return _value_text(value, self.units or "")

    def text(self) -> str:
        """One line: "3rd of 41 Offline resnet results (40 published and this run); the
        best: 12,345.0 Samples/s by ORG SYSTEM"."""
        if self.rank is None:
            return self.note
        n = len(self.results)
        head = (
            f"{ordinal(self.rank)} of {n + 1} {self.scenario} {self.benchmark} results "
            f"({n} published and this run)"
        )
        best = self.results[0]
        return f"{head}; the best: {self.value_text(best.value)} by {best.who}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the entry's label and scenario, the rank, the unit, and the published
        results it was ranked among (best first)."""
        return {
            "label": self.entry.label,
            "scenario": self.scenario,
            "benchmark": self.benchmark,
            "units": self.units,
            "value": self.value,
            "rank": self.rank,
            "of": len(self.results) + 1 if self.rank is not None else None,
            "text": self.text(),
            "published": [asdict(r) for r in self.results],
        }


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _value_text(value: float, units: str) -> str:
    if units.lower().startswith("latency"):
        unit = units[units.find("(") + 1 : units.rfind(")")] if "(" in units else units
        return f"{value:,.3f} {unit}"
    return f"{value:,.1f} {units}".strip()


def _benchmark(entry: CompareEntry) -> Benchmark | None:
    """The entry's benchmark in the rules (its profile's round, else the newest that has
    it); None for a name the rules do not know."""
    version = str(entry.settings.get("round") or DEFAULT_ROUND)
    for candidate in (version, *rounds_with(entry.benchmark)):
        try:
            return get_benchmark(entry.benchmark, candidate)
        except RulesError:
            continue
    return None


def _same_benchmark(row_name: str, bench: Benchmark, cache: dict[str, str | None]) -> bool:
    key = row_name.strip().lower()
    if key == bench.checker_model.lower() or key == bench.name.lower():
        return True
    if key not in cache:
        cache[key] = None
        for version in rounds_with(key):
            try:
                cache[key] = get_benchmark(key, version).name
            except RulesError:
                continue
            break
    return cache[key] == bench.name


def _placement(
    entry: CompareEntry,
    published: Sequence[PublishedResult],
    cache: dict[str, str | None],
) -> Placement:
    bench = _benchmark(entry)
    if bench is None:
        return Placement(
            entry,
            entry.benchmark,
            entry.scenario,
            None,
            None,
            (),
            None,
            f"not placed: {entry.benchmark} is no benchmark the rules know",
        )
    name = bench.checker_model
    same = [
        r
        for r in published
        if r.scenario == entry.scenario and _same_benchmark(r.benchmark, bench, cache)
    ]
    if not same:
        return Placement(
            entry,
            name,
            entry.scenario,
            None,
            None,
            (),
            None,
            f"not placed: the published results have no {entry.scenario} {name} result",
        )
    try:
        scenario = Scenario(entry.scenario)
    except ValueError:
        scenario = None
    units = bench.units.get(scenario) if scenario else None
    result_key = bench.result_keys.get(scenario) if scenario else None
    ours_key = next(
        (key for key, metric, _ in SCENARIO_METRICS.values() if metric == entry.metric_name),
        None,
    )
    rows = [r for r in same if units and r.units.lower() == units.lower()]
    if entry.metric_value is None:
        return Placement(
            entry,
            name,
            entry.scenario,
            units,
            None,
            _sorted(rows, units),
            None,
            f"not placed: this {entry.scenario} run has no metric ({entry.validity_text()})",
        )
    if not rows or ours_key is None or ours_key != result_key:
        theirs = ", ".join(sorted({r.units or "no unit" for r in same}))
        ours = entry.metric_display_unit or "no unit"
        return Placement(
            entry,
            name,
            entry.scenario,
            None,
            None,
            (),
            None,
            f"not placed: the units differ (the published {entry.scenario} {name} results "
            f"are in {theirs}; this run's {entry.metric_name} is in {ours})",
        )
    value = _in_units(entry, units or "")
    ranked = _sorted(rows, units)
    lower = "latency" in (units or "").lower()
    better = sum(1 for r in ranked if (r.value < value if lower else r.value > value))
    return Placement(entry, name, entry.scenario, units, value, ranked, better + 1)


def _in_units(entry: CompareEntry, units: str) -> float:
    value = float(entry.metric_value or 0.0)
    if entry.metric_unit == "ns":
        return value / (1e9 if "(s)" in units else 1e6)
    return value


def _sorted(rows: Iterable[PublishedResult], units: str | None) -> tuple[PublishedResult, ...]:
    lower = "latency" in (units or "").lower()
    return tuple(sorted(rows, key=lambda r: r.value if lower else -r.value))


def place(comparison: Comparison, published: Sequence[PublishedResult]) -> tuple[Placement, ...]:
    """Each entry among the published results of its benchmark and scenario, in order."""
    cache: dict[str, str | None] = {}
    return tuple(_placement(e, published, cache) for e in comparison.entries)
