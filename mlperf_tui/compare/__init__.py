"""Runs side by side: the one comparison model behind ``mlperf-tui compare``, its TUI screen,
its CSV and its HTML report.

What a user names (:func:`load_comparison`): a results folder (each of its scenarios), one
run's folder (``RESULTS/runs/Offline-performance``: that scenario), a sweep folder (each point's
newest finished results folder, in the sweep's order) or a history id (``12`` or ``#12``, from
``mlperf-tui history``). Each becomes one :class:`CompareEntry` per scenario: the performance
run's metric, LoadGen's latency percentiles and validity, the accuracy run's accuracy, the
profile's settings as dotted keys, the last latency histogram and the throughput over time of
the run's own event stream (``events.jsonl``; imported runs have none, so no curves).

:class:`Comparison` knows which settings differ between the entries and which of them was swept,
so the table shows only what differs and the plots put the metric against the swept parameter.
Nothing here draws: ``mlperf_tui.compare.plots`` (text), ``.html`` (the report) and the TUI
screen all read this model.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlperf_tui.errors import ExitCode, MlperfTuiError
from mlperf_tui.results import (
    EVENTS,
    PROFILE,
    RUNS,
    SUMMARY,
    ResultsSet,
    RunResult,
    load_results,
    parse_run_id,
)

__all__ = [
    "HISTOGRAM_BINS",
    "PLOT_KINDS",
    "TABLE_HEADERS",
    "TABLE_PERCENTILES",
    "CompareEntry",
    "CompareError",
    "Comparison",
    "Histogram",
    "Series",
    "TableRow",
    "comparison_dict",
    "csv_text",
    "flatten_settings",
    "histogram_edges",
    "histogram_shares",
    "load_comparison",
    "load_entries",
    "metric_axis",
    "ms_text",
    "short_key",
    "table_rows",
    "throughput_curve",
    "why_no_plot",
    "write_export",
]

#: profile keys that say where things go, not how the run ran: never a difference
IGNORED_SETTINGS: tuple[str, ...] = ("schema_version", "output", "sweep")

#: the short names the table, the labels and the plots give well-known settings
_SHORT_KEYS: Mapping[str, str] = {
    "backend.batch_size": "batch",
    "backend.intra_op_threads": "threads",
    "backend.streams": "streams",
    "backend.execution_provider": "provider",
    "assets.model.kind": "model",
    "assets.model.path": "model",
    "assets.dataset.count": "samples",
}

#: LoadGen's percentile keys, in the order the table shows them
PERCENTILES: tuple[str, ...] = ("50.00", "90.00", "95.00", "97.00", "99.00", "99.90")


class CompareError(MlperfTuiError):
    """Something named on the command line is not a run that can be compared."""

    exit_code = ExitCode.BAD_INPUT


def short_key(key: str) -> str:
    """``backend.batch_size`` -> ``batch``; an unknown key keeps its last two parts."""
    if key in _SHORT_KEYS:
        return _SHORT_KEYS[key]
    parts = key.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else key


def flatten_settings(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A profile's mapping as dotted keys (lists stay values): ``{"backend.batch_size": 32}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_settings(value, f"{name}."))
        elif isinstance(value, Mapping):
            continue  # an empty block (targets: {}) says nothing
        else:
            flat[name] = value
    return flat


def _shown_value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Histogram:
    """A latency histogram of the harness (``harness.stats``): bucket ``i`` covers
    ``[min_ns * growth**i, min_ns * growth**(i+1))``."""

    min_ns: float
    growth: float
    counts: tuple[tuple[int, int], ...]

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Histogram | None:
        try:
            min_ns = float(snapshot["min_ns"])
            growth = float(snapshot["growth"])
            counts = tuple((int(i), int(n)) for i, n in snapshot["counts"] if int(n) > 0)
        except (KeyError, TypeError, ValueError):
            return None
        if min_ns <= 0 or growth <= 1.0 or not counts:
            return None
        return cls(min_ns, growth, counts)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def buckets_ms(self) -> list[tuple[float, float, int]]:
        """(low ms, high ms, count) of each non-empty bucket, in order."""
        out = []
        for index, count in sorted(self.counts):
            low = self.min_ns * self.growth**index / 1e6
            out.append((low, low * self.growth, count))
        return out

    def binned_ms(self, edges: Sequence[float]) -> list[int]:
        """Counts regrouped into the bins between ``edges`` (ms, ascending): each bucket goes
        to the bin that holds its centre; a centre outside the edges goes to the end bin."""
        bins = [0] * max(0, len(edges) - 1)
        if not bins:
            return bins
        for low, high, count in self.buckets_ms():
            centre = math.sqrt(low * high)
            i = 0
            while i < len(bins) - 1 and centre >= edges[i + 1]:
                i += 1
            bins[i] += count
        return bins


@dataclass(frozen=True)
class CompareEntry:
    """One scenario of one results folder: what the table shows in a row."""

    label: str
    #: what the user named: a folder path, or "#12" for a history entry
    source: str
    results_folder: Path
    benchmark: str
    scenario: str
    execution: str
    #: the performance run's status ("ok", "failed", ...), "missing" when there is none
    status: str
    valid: bool | None
    metric_name: str | None
    metric_value: float | None
    metric_unit: str | None
    #: LoadGen's latency percentiles in ms, keyed "50.00", "90.00", ... (PERCENTILES)
    percentiles_ms: dict[str, float]
    accuracy: float | None
    accuracy_metric: str | None
    #: the profile's settings as dotted keys, without where-to-write keys (IGNORED_SETTINGS)
    settings: dict[str, Any]
    #: the last latency histogram the run streamed (None: imported logs, or no progress)
    histogram: Histogram | None
    #: (seconds since the start, samples/s) of each progress event
    throughput: tuple[tuple[float, float], ...]
    #: the performance run's folder, when there is one
    run_folder: Path | None = None
    #: extra: the sweep point's settings, when the entry came from a sweep
    point: dict[str, Any] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        """Throughputs grow, latencies shrink."""
        return self.metric_unit != "ns"

    @property
    def metric_display(self) -> float | None:
        """The metric in the unit people read: samples/s, or ms for a latency."""
        if self.metric_value is None:
            return None
        return self.metric_value / 1e6 if self.metric_unit == "ns" else self.metric_value

    @property
    def metric_display_unit(self) -> str:
        return "ms" if self.metric_unit == "ns" else (self.metric_unit or "")

    def metric_text(self) -> str:
        value = self.metric_display
        if value is None:
            return "-"
        if self.metric_unit == "ns":
            return f"{value:,.3f} ms"
        return f"{value:,.1f} {self.metric_display_unit}".strip()

    def validity_text(self) -> str:
        if self.status != "ok":
            return self.status.upper()
        if self.valid is None:
            return "-"
        return "VALID" if self.valid else "INVALID"

    def accuracy_text(self) -> str:
        if self.accuracy is None:
            return "-"
        metric = self.accuracy_metric or "acc"
        if metric in ("acc", "ACCURACY"):
            return f"{self.accuracy:.3f}% {metric}"
        return f"{self.accuracy:.5g} {metric}"


@dataclass(frozen=True)
class Series:
    """One line of a plot: its label and (x, y) points, x ascending."""

    label: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Comparison:
    """The entries, the settings that differ between them, and the swept ones."""

    entries: tuple[CompareEntry, ...]
    #: dotted setting keys whose values are not the same in every entry (profile order)
    differing: tuple[str, ...]
    #: the parameters of the sweep the entries came from; else the differing settings
    swept: tuple[str, ...]

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.scenario for e in self.entries))

    def for_scenario(self, scenario: str) -> tuple[CompareEntry, ...]:
        return tuple(e for e in self.entries if e.scenario == scenario)

    def x_parameter(self, scenario: str | None = None) -> str | None:
        """The setting the metric is plotted against: the first swept (else differing) one
        whose values in the scenario's entries are all numbers, not all equal."""
        entries = self.for_scenario(scenario) if scenario else self.entries
        for key in (*self.swept, *self.differing):
            values = [e.settings.get(key) for e in entries]
            numbers = [
                float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            if len(numbers) == len(values) and len(set(numbers)) > 1:
                return key
        return None

    def metric_series(self, scenario: str) -> tuple[str | None, tuple[Series, ...]]:
        """(x parameter, one series per combination of the other differing settings) of the
        metric against the x parameter; (None, ()) when no numeric setting varies."""
        x_key = self.x_parameter(scenario)
        if x_key is None:
            return None, ()
        others = [k for k in self.differing if k != x_key]
        groups: dict[str, list[tuple[float, float]]] = {}
        for entry in self.for_scenario(scenario):
            y = entry.metric_display
            if y is None:
                continue
            name = " ".join(f"{short_key(k)}={_shown_value(entry.settings.get(k))}" for k in others)
            groups.setdefault(name or entry.metric_display_unit, []).append(
                (float(entry.settings[x_key]), y)
            )
        series = tuple(Series(name, tuple(sorted(points))) for name, points in groups.items())
        return x_key, series

    def best(self, scenario: str) -> CompareEntry | None:
        """The entry of the scenario with the best metric (highest throughput, lowest
        latency) among the finished ones."""
        scored = [e for e in self.for_scenario(scenario) if e.metric_display is not None]
        if not scored:
            return None
        key = (
            (lambda e: e.metric_display)
            if scored[0].higher_is_better
            else (lambda e: -(e.metric_display or 0.0))
        )
        return max(scored, key=key)

    def settings_text(self, entry: CompareEntry) -> str:
        """The entry's values of the differing settings, "batch=8 threads=1"."""
        return " ".join(
            f"{short_key(k)}={_shown_value(entry.settings.get(k, '-'))}" for k in self.differing
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- loading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    source: str
    folder: Path
    scenario: str | None
    point: dict[str, Any] = field(default_factory=dict)


def _is_results_folder(path: Path) -> bool:
    return (path / SUMMARY).is_file()


def _resolve(target: str, db: Path | None) -> tuple[list[_Target], tuple[str, ...]]:
    """The results folders (and scenarios) one command-line name stands for, and the swept
    parameters when it is a sweep."""
    path = Path(target).expanduser()
    if path.is_dir():
        from mlperf_tui.sweep import SWEEP_FILE, load_sweep

        if (path / SWEEP_FILE).is_file():
            state = load_sweep(path)
            found = [
                _Target(target, folder, None, dict(point.settings))
                for point in state.points
                if (folder := point.latest_results()) is not None
            ]
            if not found:
                raise CompareError(
                    f"the sweep {path} has no finished point yet",
                    f"run it first: mlperf-tui sweep {state.profile}",
                )
            return found, tuple(state.parameters)
        if _is_results_folder(path):
            return [_Target(target, path.resolve(), None)], ()
        if path.parent.name == RUNS and _is_results_folder(path.parent.parent):
            scenario, _, _ = parse_run_id(path.name)
            return [_Target(target, path.parent.parent.resolve(), scenario)], ()
        raise CompareError(
            f"{path} is not a results folder, a run's folder or a sweep folder",
            "name the folder `mlperf-tui run` printed (it holds summary.json), one of its "
            "runs/ folders, a sweep folder (it holds sweep.json) or a history id "
            "(mlperf-tui history lists them)",
        )
    text = target[1:] if target.startswith("#") else target
    if text.isdigit():
        from mlperf_tui import history

        entry = history.get(int(text), db=db)
        if entry.missing:
            raise CompareError(
                f"history entry #{entry.id} ({entry.run_id}) points at {entry.run_folder}, "
                "which no longer exists",
                "compare other entries (mlperf-tui history shows which are missing)",
            )
        return [_Target(f"#{entry.id}", entry.results_folder, entry.scenario)], ()
    raise CompareError(
        f"{target} is neither a folder nor a history id",
        "give a results folder, a run's folder, a sweep folder or an id that "
        "mlperf-tui history lists",
    )


def _read_events(path: Path) -> tuple[Histogram | None, tuple[tuple[float, float], ...]]:
    """The last histogram and the throughput curve of a run's events.jsonl."""
    histogram: Histogram | None = None
    curve: list[tuple[float, float]] = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None, ()
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("event") != "progress":
            continue
        elapsed, rate = event.get("elapsed_s"), event.get("throughput")
        if isinstance(elapsed, int | float) and isinstance(rate, int | float):
            curve.append((float(elapsed), float(rate)))
        snapshot = event.get("histogram")
        if isinstance(snapshot, Mapping):
            histogram = Histogram.from_snapshot(snapshot) or histogram
    return histogram, tuple(curve)


def _percentiles_ms(run: RunResult) -> dict[str, float]:
    from harness.loadgen_logs import read_result_figures

    try:
        figures = read_result_figures(run.folder) or {}
    except (OSError, ValueError):
        return {}
    raw = figures.get("percentiles_ns") or {}
    if not isinstance(raw, Mapping):
        return {}
    return {key: float(raw[key]) / 1e6 for key in PERCENTILES if _is_number(raw.get(key))}


def _settings(folder: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load((folder / PROFILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    if not isinstance(data, Mapping):
        return {}
    flat = flatten_settings(data)
    return {
        k: v
        for k, v in flat.items()
        if not any(k == i or k.startswith(f"{i}.") for i in IGNORED_SETTINGS)
    }


def _entry(
    results: ResultsSet, scenario: str, target: _Target, settings: dict[str, Any]
) -> CompareEntry:
    perf = results.find(scenario, "performance")
    acc = results.find(scenario, "accuracy")
    histogram: Histogram | None = None
    curve: tuple[tuple[float, float], ...] = ()
    if perf is not None and (perf.folder / EVENTS).is_file():
        histogram, curve = _read_events(perf.folder / EVENTS)
    return CompareEntry(
        label="",
        source=target.source,
        results_folder=results.folder,
        benchmark=results.benchmark or (perf or acc or results.runs[0]).benchmark,
        scenario=scenario,
        execution=results.execution,
        status=perf.status if perf is not None else "missing",
        valid=perf.valid if perf is not None else None,
        metric_name=perf.metric_name if perf is not None else None,
        metric_value=perf.metric_value if perf is not None and perf.ok else None,
        metric_unit=perf.metric_unit if perf is not None else None,
        percentiles_ms=_percentiles_ms(perf) if perf is not None and perf.ok else {},
        accuracy=acc.accuracy if acc is not None else None,
        accuracy_metric=acc.accuracy_metric if acc is not None else None,
        settings=settings,
        histogram=histogram,
        throughput=curve,
        run_folder=perf.folder if perf is not None else None,
        point=target.point,
    )


def load_entries(
    targets: Iterable[str], *, db: Path | None = None
) -> tuple[list[CompareEntry], tuple[str, ...]]:
    """The entries of what the user named, in order (unlabelled), and the swept parameters."""
    entries: list[CompareEntry] = []
    swept: list[str] = []
    seen: set[tuple[Path, str]] = set()
    for target in targets:
        resolved, parameters = _resolve(target, db)
        swept.extend(p for p in parameters if p not in swept)
        for item in resolved:
            try:
                results = load_results(item.folder)
            except MlperfTuiError as exc:
                raise CompareError(f"{item.source}: {exc.message}", exc.fix) from None
            settings = _settings(results.folder)
            scenarios = (
                [item.scenario]
                if item.scenario
                else list(
                    dict.fromkeys(r.scenario for r in results.runs if r.compliance_test is None)
                )
            )
            for scenario in scenarios:
                if (results.folder, scenario) in seen:
                    continue  # named twice (a folder and its run): one row
                seen.add((results.folder, scenario))
                entries.append(_entry(results, scenario, item, settings))
    return entries, tuple(swept)


def _differing(entries: Sequence[CompareEntry]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for entry in entries:
        keys.update(dict.fromkeys(entry.settings))
    return tuple(
        key
        for key in keys
        if len({json.dumps(e.settings.get(key), sort_keys=True, default=str) for e in entries}) > 1
    )


def _labelled(entries: Sequence[CompareEntry], differing: Sequence[str]) -> list[CompareEntry]:
    """Each entry's label: its values of the differing settings, else its folder's name (or
    history id); a label that two entries of one scenario share gets a number."""
    from dataclasses import replace

    shown = [k for k in differing if k != "scenarios"]
    labels = []
    for entry in entries:
        text = " ".join(f"{short_key(k)}={_shown_value(entry.settings.get(k, '-'))}" for k in shown)
        labels.append(
            text or (entry.source if entry.source.startswith("#") else entry.results_folder.name)
        )
    shared = Counter((label, e.scenario) for label, e in zip(labels, entries, strict=True))
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for entry, label in zip(entries, labels, strict=True):
        key = (label, entry.scenario)
        seen[key] += 1
        out.append(replace(entry, label=f"{label} ({seen[key]})" if shared[key] > 1 else label))
    return out


def load_comparison(targets: Sequence[str], *, db: Path | None = None) -> Comparison:
    """The comparison of what the user named (see the module docstring); CompareError for a
    name that is no run, and when nothing is left to compare."""
    if not targets:
        raise CompareError(
            "nothing to compare", "name results folders, runs, sweeps or history ids"
        )
    entries, swept = load_entries(targets, db=db)
    if not entries:
        raise CompareError(
            "no run to compare in " + ", ".join(targets),
            "name folders that hold finished runs (mlperf-tui history lists them)",
        )
    differing = _differing(entries)
    swept = tuple(k for k in swept if k in differing) or differing
    # the swept parameters first, in the sweep's order: the labels and columns follow it
    differing = (*swept, *(k for k in differing if k not in swept))
    return Comparison(tuple(_labelled(entries, differing)), differing, swept)


# -- what every front end shows (the CLI, the CSV, the HTML report and the TUI agree) --------

#: the percentiles the side-by-side table shows (the JSON has all of PERCENTILES)
TABLE_PERCENTILES: tuple[str, ...] = ("50.00", "90.00", "99.00")
#: the headers of :meth:`TableRow.cells`, in order
TABLE_HEADERS: tuple[str, ...] = (
    "run",
    "scenario",
    "metric",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "validity",
    "accuracy",
    "settings",
)
#: throughput points this early are left out of a curve: the harness's throughput is the
#: samples completed so far over the time so far, and over the first milliseconds that is the
#: rate of a handful of samples (a spike that would flatten the rest of the curve)
THROUGHPUT_SETTLE_S = 0.1
#: the bins of the overlaid latency histograms (log-spaced, shared by every entry)
HISTOGRAM_BINS = 40
#: the plots each scenario gets, in the order the front ends show them
PLOT_KINDS: tuple[str, ...] = ("metric", "histogram", "throughput")


def ms_text(value: float | None) -> str:
    """A latency in ms with about four significant digits: 0.4123, 12.35, 1,394."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class TableRow:
    """One row of the side-by-side table."""

    entry: CompareEntry
    #: the best metric of its scenario (:meth:`Comparison.best`)
    best: bool
    #: the differing settings the label does not already say ("" when it says them all)
    settings: str

    def cells(self) -> tuple[str, ...]:
        """The texts under :data:`TABLE_HEADERS`."""
        e = self.entry
        return (
            e.label,
            e.scenario,
            e.metric_text(),
            *(ms_text(e.percentiles_ms.get(p)) for p in TABLE_PERCENTILES),
            e.validity_text(),
            e.accuracy_text(),
            self.settings,
        )


def table_rows(comparison: Comparison) -> tuple[TableRow, ...]:
    """The table's rows, one per entry in the comparison's order."""
    best = {s: comparison.best(s) for s in comparison.scenarios}
    rows = []
    for entry in comparison.entries:
        parts = [
            f"{short_key(k)}={_shown_value(entry.settings.get(k, '-'))}"
            for k in comparison.differing
        ]
        words = set(entry.label.split())
        settings = " ".join(p for p in parts if p not in words)
        rows.append(TableRow(entry, best[entry.scenario] is entry, settings))
    return tuple(rows)


def metric_axis(entries: Sequence[CompareEntry]) -> str:
    """The metric's axis title: "samples/s", "early stopping latency (ms)"."""
    first = next((e for e in entries if e.metric_name), None)
    if first is None:
        return "metric"
    if first.metric_unit == "ns":
        return f"{(first.metric_name or '').removesuffix('_ns').replace('_', ' ')} (ms)"
    return first.metric_display_unit or (first.metric_name or "metric").replace("_", " ")


def throughput_curve(entry: CompareEntry) -> tuple[tuple[float, float], ...]:
    """The entry's throughput points from :data:`THROUGHPUT_SETTLE_S` on (all of them when
    the run was shorter)."""
    settled = tuple(p for p in entry.throughput if p[0] >= THROUGHPUT_SETTLE_S)
    return settled if len(settled) >= 2 else entry.throughput


def histogram_edges(entries: Sequence[CompareEntry], bins: int = HISTOGRAM_BINS) -> list[float]:
    """Log-spaced bin edges in ms from the lowest bucket of the entries' histograms to the
    highest ([] when none has one)."""
    buckets = [b for e in entries if e.histogram for b in e.histogram.buckets_ms()]
    if not buckets or bins < 1:
        return []
    low = min(b[0] for b in buckets)
    high = max(b[1] for b in buckets)
    if high <= low:
        high = low * 1.01
    ratio = (high / low) ** (1.0 / bins)
    edges = [low * ratio**i for i in range(bins)]
    edges.append(high)
    return edges


def histogram_shares(entry: CompareEntry, edges: Sequence[float]) -> list[float]:
    """The entry's histogram in the shared bins as percentages of its samples (entries of
    different lengths overlay fairly)."""
    if entry.histogram is None or entry.histogram.total == 0:
        return [0.0] * max(0, len(edges) - 1)
    total = entry.histogram.total
    return [100.0 * n / total for n in entry.histogram.binned_ms(edges)]


def _imported(entry: CompareEntry) -> bool:
    from mlperf_tui.results import IMPORT_RECORD

    return entry.run_folder is not None and (entry.run_folder / IMPORT_RECORD).is_file()


def why_no_plot(comparison: Comparison, scenario: str, kind: str) -> str | None:
    """Why the ``kind`` plot (:data:`PLOT_KINDS`) of a scenario cannot be drawn, as one line;
    None when it can."""
    entries = comparison.for_scenario(scenario)
    if kind == "metric":
        if not any(e.metric_display is not None for e in entries):
            return f"no metric plot: no {scenario} run has a metric"
        x_key, series = comparison.metric_series(scenario)
        if x_key is None:
            return (
                f"no metric plot: no numeric setting varies between the {scenario} runs "
                "(the table compares them)"
            )
        if all(len(s.points) < 2 for s in series):
            return (
                f"no metric plot: no two {scenario} runs differ in {short_key(x_key)} alone "
                "(the table compares them)"
            )
        return None
    if kind not in ("histogram", "throughput"):
        raise ValueError(f"unknown plot kind {kind!r}")
    has = (lambda e: e.histogram is not None) if kind == "histogram" else (lambda e: e.throughput)
    if any(has(e) for e in entries):
        return None
    what = "latency histogram" if kind == "histogram" else "throughput curve"
    if all(_imported(e) for e in entries):
        return f"no {what}: imported logs have no event stream"
    return f"no {what}: the {scenario} runs streamed no progress (events.jsonl)"


def comparison_dict(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data: the entries with their figures and settings, the
    differing and swept settings, and the best entry (its label) per scenario."""
    entries = []
    for row in table_rows(comparison):
        e = row.entry
        entries.append(
            {
                "label": e.label,
                "source": e.source,
                "results_folder": str(e.results_folder),
                "run_folder": str(e.run_folder) if e.run_folder else None,
                "benchmark": e.benchmark,
                "scenario": e.scenario,
                "execution": e.execution,
                "status": e.status,
                "valid": e.valid,
                "metric_name": e.metric_name,
                "metric_value": e.metric_value,
                "metric_unit": e.metric_unit,
                "metric_display": e.metric_display,
                "metric_display_unit": e.metric_display_unit,
                "percentiles_ms": dict(e.percentiles_ms),
                "accuracy": e.accuracy,
                "accuracy_metric": e.accuracy_metric,
                "best": row.best,
                "settings": dict(e.settings),
                "differing": {k: e.settings.get(k) for k in comparison.differing},
                "histogram_samples": e.histogram.total if e.histogram else 0,
                "throughput": [list(p) for p in e.throughput],
            }
        )
    best = {s: b.label if (b := comparison.best(s)) else None for s in comparison.scenarios}
    return {
        "entries": entries,
        "differing": list(comparison.differing),
        "swept": list(comparison.swept),
        "scenarios": list(comparison.scenarios),
        "best": best,
    }


def _csv_number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def csv_text(comparison: Comparison) -> str:
    """The table as CSV: one row per entry with the table's columns (numbers as numbers),
    each differing setting in a column of its own, and the results folder."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    percentile_columns = [f"p{p.split('.')[0]}_ms" for p in TABLE_PERCENTILES]
    writer.writerow(
        [
            "run",
            "scenario",
            "benchmark",
            "metric",
            "metric_value",
            "metric_unit",
            *percentile_columns,
            "validity",
            "accuracy",
            "accuracy_metric",
            "best",
            *comparison.differing,
            "results_folder",
        ]
    )
    for row in table_rows(comparison):
        e = row.entry
        writer.writerow(
            [
                e.label,
                e.scenario,
                e.benchmark,
                e.metric_text(),
                _csv_number(e.metric_display),
                e.metric_display_unit,
                *(_csv_number(e.percentiles_ms.get(p)) for p in TABLE_PERCENTILES),
                e.validity_text(),
                _csv_number(e.accuracy),
                e.accuracy_metric or "",
                "yes" if row.best else "",
                *(
                    "" if k not in e.settings else _shown_value(e.settings[k])
                    for k in comparison.differing
                ),
                str(e.results_folder),
            ]
        )
    return out.getvalue()


def write_export(path: Path | str, text: str, *, overwrite: bool = False) -> Path:
    """Write an export (CSV, HTML) to ``path``; an existing file is replaced only with
    ``overwrite``, and atomically (a failed write leaves the earlier file as it was)."""
    import os

    target = Path(path).expanduser()
    if target.is_dir():
        raise CompareError(
            f"{target} is a folder", "give a file name, e.g. " + str(target / "compare.html")
        )
    if target.exists() and not overwrite:
        raise CompareError(
            f"{target} exists; the export does not replace it",
            "give another file name, or replace it with --force",
        )
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise CompareError(
            f"{target} cannot be written ({exc.strerror or exc})",
            "give a file in a folder you can write to",
        ) from None
    return target
