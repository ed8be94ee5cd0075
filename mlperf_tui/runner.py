"""Plans the LoadGen tests a profile needs, runs each in a harness child, collects the results.

The flow (DESIGN.md, "Runs happen in child processes", "Execution modes"):

1. :func:`resolve_assets` - the model and data set of the profile (generated, checked, cached);
2. :func:`calibrate` - a probe of about a second of the model on this machine (in a child),
   so LoadGen's targets and the duration estimates fit the machine; without it a rule of thumb;
3. :func:`plan_runs` - per scenario a performance and an accuracy run (per the profile's
   modes), and in the closed division the compliance runs the rules require, each with its
   user.conf settings and an estimated duration;
4. :func:`execute` - each run as ``python -m harness run --config RUN.json``; its JSON events
   are passed to ``on_event`` (called on the thread that runs ``execute``: a Textual worker
   posts them as messages), kept in ``events.jsonl``; cancel with a ``threading.Event``.

Results folder (read by the packager)::

    RESULTS/ = <profile output or ./results>/<YYYYMMDD-HHMMSS>[-N]/
        profile.yaml system.json plan.json summary.json
        runs/<run_id>/ RUN.json user.conf [audit.config] events.jsonl harness.stderr.log
                       result.json mlperf_log_{summary,detail,accuracy}.* [accuracy.txt]
                       [verify_accuracy.txt verify_performance.txt accuracy/]

``test`` execution shortens runs with settings of our own (:data:`TEST_SETTINGS`); ``valid``
execution writes only targets into user.conf (expected QPS / latency), so the rules' numbers
come from LoadGen's built-in mlperf.conf untouched.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mlperf_tui import compliance
from mlperf_tui.errors import EnvironmentProblem, RunError
from mlperf_tui.rules.model import Benchmark, Division, Execution, Mode, Round, Scenario

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

# -- our own numbers (not MLPerf's): test execution, estimates, process handling --------------


@dataclass(frozen=True)
class TestSettings:
    """How ``test`` execution shortens performance runs.

    A test run is bounded by its query count, sized to last about ``target_s`` at the
    calibrated speed (never fewer than the floor), with a short ``min_duration_ms``. So a machine
    up to ``target_s * 1000 / min_duration_ms`` times faster than calibrated still gives a VALID
    run, and a slower one a longer run - never one that LoadGen ends early for lack of queries.
    """

    __test__ = False  # not a pytest class

    min_duration_ms: int = 500
    target_s: float = 2.0
    #: the least queries (Offline: samples) per scenario; MultiStream needs 662 queries for
    #: LoadGen's early-stopping estimate of its 99th percentile
    min_query_count: Mapping[Scenario, int] = field(
        default_factory=lambda: {
            Scenario.SINGLE_STREAM: 256,
            Scenario.MULTI_STREAM: 662,
            Scenario.SERVER: 256,
            Scenario.OFFLINE: 256,
        }
    )
    #: Server in test execution: offered load as a fraction of the calibrated throughput
    server_load_fraction: float = 0.5
    #: accuracy runs in test execution score the first N samples (None: the whole data set)
    accuracy_samples: int | None = 256


TEST_SETTINGS = TestSettings()

#: valid execution: how much faster than calibrated a run may go and still meet the minimum
#: duration. LoadGen sizes the Offline query from the expected QPS, and generates the
#: SingleStream queries up front; either finishing before the minimum duration is INVALID. The
#: calibration times the runtime alone just before the runs, and the harness only adds to that
#: time, so a modest margin covers the machine's noise without making runs much longer.
OFFLINE_QPS_HEADROOM = 1.2
QUERY_COUNT_HEADROOM = 1.2
#: SingleStream/MultiStream expected latency below the calibrated one (LoadGen generates the
#: queries up front from it; too few generated queries end the run early)
LATENCY_HEADROOM = 0.5
#: what the harness adds to a query beyond the runtime's own time (LoadGen's round trip, the
#: Python SUT, the latency histogram): the calibration times the runtime alone
HARNESS_QUERY_OVERHEAD_S = 50e-6
#: seconds a harness child needs to start, load the model and open the data set
START_OVERHEAD_S = 3.0
#: after SIGINT, how long the child may take to finish LoadGen's logs before it is killed: a
#: little more than the harness's own drain limit (60 s), since a valid SingleStream run of a
#: fast model must still complete every query LoadGen generated (3 million took 15 s here)
CANCEL_GRACE_S = 65.0
#: LoadGen sizes an Offline query as expected QPS x min duration x this (loadgen.cc)
LOADGEN_OFFLINE_SLACK = 1.1

#: rule-of-thumb throughput per physical core when no calibration is available (samples/s)
_RULE_OF_THUMB_PER_CORE: Mapping[str, float] = {"resnet50": 8.0, "tiny": 2500.0}

RESULTS_DIRNAME = "results"
RUNS_DIRNAME = "runs"

#: run statuses: the harness's three, plus runs that never started
STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_CANCELLED = "cancelled"
STATUS_SKIPPED = "skipped"


# -- calibration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """What the model does on this machine: the basis of targets and estimates."""

    #: batched throughput, samples per second
    throughput: float
    #: one sample at a time, seconds
    latency_s: float
    #: "calibrated" (measured here), "profile" (the profile's targets), "rule of thumb"
    source: str
    batch_size: int = 1

    def describe(self) -> str:
        return (
            f"{self.throughput:,.1f} samples/s batched, {self.latency_s * 1e3:,.2f} ms per "
            f"sample ({self.source})"
        )


def rule_of_thumb(profile: Profile, cores: int | None = None) -> Calibration:
    """A rough figure from the model kind and the core count, when nothing was measured."""
    kind = profile.assets.model.kind or "resnet50"
    if cores is None:
        import psutil

        cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    per_core = _RULE_OF_THUMB_PER_CORE.get(kind, _RULE_OF_THUMB_PER_CORE["resnet50"])
    throughput = per_core * cores
    # one sample at a time uses the cores less well than a batch
    latency = 1.0 / (per_core * max(1.0, cores * 0.6))
    return Calibration(throughput, latency, "rule of thumb", profile.backend.batch_size)


def calibrate(
    model_path: Path,
    *,
    intra_op_threads: int = 0,
    batch_size: int = 8,
    execution_provider: str = "CPUExecutionProvider",
    budget_s: float = 1.0,
    timeout_s: float = 120.0,
) -> Calibration:
    """Time the model with ONNX Runtime in a child process (one sample, then one batch)."""
    cmd = [
        sys.executable,
        "-m",
        "mlperf_tui.runner",
        "calibrate",
        str(model_path),
        str(intra_op_threads),
        str(batch_size),
        execution_provider,
        str(budget_s),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise RunError(
            f"timing the model took more than {timeout_s:.0f} s",
            "check the model file, or set targets in the profile to skip the timing",
        ) from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RunError(
            "the model could not be timed: " + " | ".join(tail),
            "check that the model loads in ONNX Runtime (mlperf-tui detect shows the providers)",
        )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Calibration(
        throughput=float(data["throughput"]),
        latency_s=float(data["latency_s"]),
        source="calibrated",
        batch_size=int(data["batch_size"]),
    )


def _calibrate_main(argv: Sequence[str]) -> int:
    """``python -m mlperf_tui.runner calibrate MODEL THREADS BATCH PROVIDER BUDGET_S``."""
    import numpy as np
    import onnxruntime as ort
    import psutil

    model, threads, batch, provider, budget = argv
    options = ort.SessionOptions()
    n_threads = int(threads) or psutil.cpu_count(logical=False) or 1
    options.intra_op_num_threads = n_threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=[provider])
    inp = session.get_inputs()[0]
    dims = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
    dtype = np.float32 if "float" in inp.type else np.int64
    rng = np.random.default_rng(0)
    budget_ns = int(float(budget) * 1e9 / 2)

    def timed(n: int) -> float:
        x = rng.standard_normal([n, *dims[1:]]).astype(dtype)
        session.run(None, {inp.name: x})  # warm-up
        runs: list[int] = []
        spent = 0
        while spent < budget_ns and len(runs) < 200:
            t0 = time.perf_counter_ns()
            session.run(None, {inp.name: x})
            runs.append(time.perf_counter_ns() - t0)
            spent += runs[-1]
        runs.sort()
        return runs[len(runs) // 2] / 1e9  # median seconds per call

    latency = timed(1)
    b = max(1, int(batch))
    per_batch = timed(b) if b > 1 else latency
    print(json.dumps({"throughput": b / per_batch, "latency_s": latency, "batch_size": b}))
    return 0


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    """One LoadGen test: one scenario, one mode (or one compliance audit)."""

    run_id: str
    benchmark: str
    loadgen_model: str
    task: str
    scenario: Scenario
    mode: Mode
    compliance_test: str | None
    #: user.conf settings, key (without model and scenario) -> value
    settings: Mapping[str, int | float]
    estimate_s: float
    #: why the settings are what they are (shown with the plan)
    notes: tuple[str, ...] = ()
    #: samples LoadGen is expected to complete (progress bars; an estimate)
    expected_samples: int = 1
    #: use only the first N samples of the data set (test-execution accuracy runs)
    dataset_count: int | None = None

    def user_conf(self) -> str:
        """The user.conf text of this run."""
        lines = [
            f"# mlperf-tui: {self.run_id} ({self.benchmark}, {self.scenario.value}, "
            f"{self.compliance_test or self.mode.value})",
            "# LoadGen's built-in mlperf.conf holds the rules' settings; these lines add",
            "# the targets (and, in test execution, the shortened run).",
        ]
        lines += [f"# {n}" for n in self.notes]
        for key, value in self.settings.items():
            text = f"{value:.6g}" if isinstance(value, float) else str(value)
            lines.append(f"{self.loadgen_model}.{self.scenario.value}.{key} = {text}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "benchmark": self.benchmark,
            "scenario": self.scenario.value,
            "mode": self.mode.value,
            "compliance_test": self.compliance_test,
            "estimate_s": round(self.estimate_s, 1),
            "expected_samples": self.expected_samples,
            "dataset_count": self.dataset_count,
            "settings": dict(self.settings),
            "notes": list(self.notes),
        }


def run_id_for(scenario: Scenario, mode: Mode, compliance_test: str | None = None) -> str:
    return f"{scenario.value}-{compliance_test or mode.value}"


def _rules_round(profile: Profile) -> Round:
    from mlperf_tui import rules

    return rules.get_round(profile.round)


def _dataset_size(profile: Profile, bench: Benchmark, dataset_size: int | None) -> int:
    if dataset_size is not None:
        return dataset_size
    return profile.assets.dataset.count or bench.dataset_size


def _per_query_s(scenario: Scenario, cal: Calibration, samples_per_query: int) -> float:
    if scenario == Scenario.SINGLE_STREAM:
        return cal.latency_s + HARNESS_QUERY_OVERHEAD_S
    if scenario == Scenario.MULTI_STREAM:
        return samples_per_query / cal.throughput + HARNESS_QUERY_OVERHEAD_S
    return 1.0 / cal.throughput


def _settings_for(
    profile: Profile,
    rules_round: Round,
    bench: Benchmark,
    scenario: Scenario,
    mode: Mode,
    cal: Calibration,
    n_samples: int,
    short: TestSettings,
) -> tuple[dict[str, int | float], list[str], float]:
    """user.conf settings, notes, and the estimated seconds LoadGen will run."""
    settings: dict[str, int | float] = {}
    notes: list[str] = []
    test = profile.execution == Execution.TEST
    target = profile.targets.get(scenario)
    per_query = _per_query_s(scenario, cal, rules_round.multistream_samples_per_query)

    psc = bench.performance_sample_count
    if n_samples < psc:
        settings["performance_sample_count_override"] = n_samples
    if n_samples < psc and mode == Mode.PERFORMANCE:
        notes.append(
            f"the data set holds {n_samples} samples, fewer than the rules' performance "
            f"sample count {psc}: LoadGen loads all {n_samples}"
            + ("" if test else " (a valid submission needs the full data set)")
        )

    if mode == Mode.ACCURACY:
        per_sample = cal.latency_s if scenario == Scenario.SINGLE_STREAM else 1 / cal.throughput
        return settings, notes, n_samples * per_sample

    # the rate LoadGen is told to expect: the profile's target, else from the calibration
    qps: float | None = None
    expected_ms: float | None = None
    if scenario in (Scenario.OFFLINE, Scenario.SERVER):
        qps = target.target_qps if target and target.target_qps else None
        if qps is None and scenario == Scenario.OFFLINE:
            qps = cal.throughput * (1.0 if test else OFFLINE_QPS_HEADROOM)
            notes.append(f"target_qps from the {cal.source} throughput")
        elif qps is None:
            qps = cal.throughput * short.server_load_fraction
            notes.append(
                f"target_qps = {short.server_load_fraction} x the {cal.source} throughput; "
                "set targets.Server.target_qps in the profile to tune it"
            )
        settings["target_qps"] = round(qps, 3)
    else:
        if target and target.target_latency_ms:
            expected_ms = target.target_latency_ms
        else:
            expected_ms = per_query * 1e3 * LATENCY_HEADROOM
            notes.append(f"target_latency from the {cal.source} latency x {LATENCY_HEADROOM}")
        # user.conf takes whole milliseconds here (LoadGen reads the value as an integer)
        settings["target_latency"] = max(1, int(expected_ms))

    query_s = 1.0 / qps if scenario == Scenario.SERVER and qps else per_query
    if test:
        floor = short.min_query_count[scenario]
        queries = max(floor, math.ceil(short.target_s / query_s))
        settings["min_duration"] = short.min_duration_ms
        settings["min_query_count"] = queries
        seconds = max(short.min_duration_ms / 1e3, queries * query_s)
        if scenario == Scenario.OFFLINE and qps:
            # LoadGen's query holds at least expected QPS x min duration x slack samples
            offered = qps * short.min_duration_ms / 1e3 * LOADGEN_OFFLINE_SLACK
            seconds = max(seconds, offered / cal.throughput)
        unit = "samples" if scenario == Scenario.OFFLINE else "queries"
        notes.append(
            f"test execution: {scenario.value} runs {queries} {unit} (at least {floor}; about "
            f"{seconds:.0f} s here) with min_duration {short.min_duration_ms} ms instead of "
            "the rules' settings (not submittable)"
        )
        return settings, notes, seconds

    min_s = rules_round.min_duration_ms / 1e3
    if scenario == Scenario.OFFLINE:
        minimum = bench.offline_min_samples or rules_round.offline_min_samples
        samples = max(minimum, (qps or 0.0) * min_s * LOADGEN_OFFLINE_SLACK)
        return settings, notes, samples / cal.throughput
    if scenario == Scenario.SERVER:
        return settings, notes, min_s
    minimum = bench.min_queries.get(scenario, 1) if scenario == Scenario.SINGLE_STREAM else 1
    if per_query * 1e3 < 1.0 / LATENCY_HEADROOM:
        # faster than LoadGen's 1 ms step: raise the query count so it generates enough
        needed = math.ceil(min_s / per_query * QUERY_COUNT_HEADROOM)
        if needed > minimum:
            settings["min_query_count"] = needed
            minimum = needed
            notes.append(
                f"min_query_count raised to {needed}: a query takes under 1 ms, and user.conf "
                "cannot express a smaller expected latency"
            )
    return settings, notes, max(min_s, minimum * per_query)


def plan_runs(
    profile: Profile,
    rules_round: Round | None = None,
    *,
    calibration: Calibration | None = None,
    dataset_size: int | None = None,
    short: TestSettings = TEST_SETTINGS,
) -> list[PlannedRun]:
    """Every LoadGen test the package needs, in run order, with settings and estimates.

    Per scenario: performance, accuracy (per the profile's modes), then in the closed division
    the compliance tests the rules require (they compare against the first two).
    """
    from mlperf_tui import rules

    rules_round = rules_round or _rules_round(profile)
    bench = rules.get_benchmark(profile.benchmark, rules_round.version)
    if bench.harness_task is None:
        raise RunError(
            f"{bench.name} has no built-in harness", "choose a benchmark mlperf-tui can run"
        )
    cal = calibration or rule_of_thumb(profile)
    n_samples = _dataset_size(profile, bench, dataset_size)
    tests: tuple[str, ...] = ()
    if profile.division == Division.CLOSED:
        tests = rules.compliance_tests(bench, profile.division)
    plan: list[PlannedRun] = []
    for scenario in profile.scenarios:
        wanted: list[tuple[Mode, str | None]] = [(m, None) for m in profile.modes]
        wanted += [(Mode.PERFORMANCE, t) for t in tests]
        for mode, test in wanted:
            subset: int | None = None
            if (
                mode == Mode.ACCURACY
                and profile.execution == Execution.TEST
                and short.accuracy_samples
                and short.accuracy_samples < n_samples
            ):
                subset = short.accuracy_samples
            settings, notes, seconds = _settings_for(
                profile, rules_round, bench, scenario, mode, cal, subset or n_samples, short
            )
            if subset is not None:
                notes.insert(
                    0,
                    f"test execution: the accuracy run scores the first {subset} of the "
                    f"{n_samples} samples (not submittable)",
                )
            if test is not None:
                notes.append(f"compliance {test}: LoadGen applies the rules' audit.config")
            if mode == Mode.ACCURACY:
                expected = subset or n_samples
            elif scenario == Scenario.SINGLE_STREAM:
                expected = round(seconds / (cal.latency_s + HARNESS_QUERY_OVERHEAD_S))
            elif scenario == Scenario.SERVER:
                expected = round(seconds * float(settings.get("target_qps", cal.throughput)))
            else:
                expected = round(seconds * cal.throughput)
            plan.append(
                PlannedRun(
                    run_id=run_id_for(scenario, mode, test),
                    benchmark=bench.name,
                    loadgen_model=bench.loadgen_model,
                    task=bench.harness_task,
                    scenario=scenario,
                    mode=mode,
                    compliance_test=test,
                    settings=settings,
                    estimate_s=seconds + START_OVERHEAD_S,
                    notes=tuple(notes),
                    expected_samples=max(1, expected),
                    dataset_count=subset,
                )
            )
    return plan


def total_estimate_s(plan: Sequence[PlannedRun]) -> float:
    return sum(r.estimate_s for r in plan)


# -- results -----------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one run gave: status, LoadGen's verdict and metric, accuracy, compliance."""

    run_id: str
    benchmark: str
    scenario: str
    mode: str
    compliance_test: str | None
    status: str  # ok | failed | cancelled | skipped
    folder: Path
    valid: bool | None = None
    metric_name: str | None = None
    metric_value: float | None = None
    metric_unit: str | None = None
    early_stopping_met: bool | None = None
    accuracy: float | None = None
    accuracy_metric: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    exit_code: int | None = None
    duration_s: float | None = None
    estimate_s: float | None = None
    p90_ms: float | None = None
    compliance: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    def to_dict(self, base: Path | None = None) -> dict[str, Any]:
        data = asdict(self)
        folder = self.folder
        if base is not None:
            with contextlib.suppress(ValueError):
                folder = folder.relative_to(base)
        data["folder"] = str(folder)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> RunResult:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        folder = Path(str(values.get("folder", "")))
        if base is not None and not folder.is_absolute():
            folder = base / folder
        values["folder"] = folder
        return cls(**values)


@dataclass
class ResultsSet:
    """One results folder: the runs of one profile replay."""

    folder: Path
    runs: list[RunResult]
    complete: bool
    execution: str
    synthetic: bool
    benchmark: str = ""
    division: str = ""
    category: str = ""
    round: str = ""
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def profile_path(self) -> Path:
        return self.folder / "profile.yaml"

    @property
    def system_path(self) -> Path:
        return self.folder / "system.json"

    def run(self, run_id: str) -> RunResult | None:
        return next((r for r in self.runs if r.run_id == run_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "execution": self.execution,
            "synthetic": self.synthetic,
            "benchmark": self.benchmark,
            "division": self.division,
            "category": self.category,
            "round": self.round,
            "runs": [r.to_dict(self.folder) for r in self.runs],
        }


def load_results(folder: Path | str) -> ResultsSet:
    """A results folder written by :func:`execute`, typed."""
    from mlperf_tui.errors import PackageError

    base = Path(folder).expanduser().resolve()
    summary = base / "summary.json"
    if not summary.is_file():
        raise PackageError(
            f"{base} is not a results folder (no summary.json)",
            "give the folder `mlperf-tui run` printed (results/<YYYYMMDD-HHMMSS>)",
        )
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PackageError(f"{summary} is not valid JSON: {exc}", "rerun the profile") from None
    plan_file = base / "plan.json"
    plan = json.loads(plan_file.read_text(encoding="utf-8")) if plan_file.is_file() else []
    return ResultsSet(
        folder=base,
        runs=[RunResult.from_dict(r, base) for r in data.get("runs", [])],
        complete=bool(data.get("complete")),
        execution=str(data.get("execution", "")),
        synthetic=bool(data.get("synthetic")),
        benchmark=str(data.get("benchmark", "")),
        division=str(data.get("division", "")),
        category=str(data.get("category", "")),
        round=str(data.get("round", "")),
        plan=plan,
    )


def new_results_folder(root: Path, now: datetime | None = None) -> Path:
    """A new ``root/<YYYYMMDD-HHMMSS>[-N]`` folder; never an existing one."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        candidate = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise EnvironmentProblem(f"cannot create a results folder in {root}", "clean up old results")


# -- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunnerEvent:
    """What ``execute`` reports to ``on_event``.

    kind: ``assets`` (data: label, done, total), ``plan`` (data: runs), ``run_start``,
    ``harness`` (data: one harness event, see harness/events.py), ``run_end`` (result),
    ``message`` (data: text), ``done`` (data: complete, folder).
    """

    kind: str
    run_id: str | None = None
    index: int | None = None  # the run's position in the plan (0-based)
    total: int | None = None  # runs in the plan
    data: Mapping[str, Any] = field(default_factory=dict)
    result: RunResult | None = None


OnEvent = Callable[[RunnerEvent], None]


def _ignore(_: RunnerEvent) -> None:
    return None


# -- assets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedAssets:
    model_path: Path
    dataset_path: Path
    dataset_count: int | None  # samples to use (None = all in the folder)
    dataset_size: int  # samples the run will see
    cache_dir: Path
    synthetic: bool


def _count_val_map(folder: Path) -> int:
    val_map = folder / "val_map.txt"
    if not val_map.is_file():
        return 0
    with val_map.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def resolve_assets(
    profile: Profile,
    *,
    profile_path: Path | None = None,
    cache_dir: Path | None = None,
    on_event: OnEvent = _ignore,
) -> ResolvedAssets:
    """The profile's model and data set, generated or checked, with progress events."""
    from mlperf_tui import assets as assets_mod
    from mlperf_tui.profile import resolve_profile_path

    bench = profile.rules_benchmark()
    task = bench.harness_task or ""
    a = profile.assets

    def progress(label: str, done: int, total: int | None) -> None:
        on_event(RunnerEvent("assets", data={"label": label, "done": done, "total": total}))

    def source(kind: str, path: str | None, url: str | None, synth: str) -> str:
        if kind == "synthetic":
            return synth
        if kind == "url":
            return str(url)
        return str(resolve_profile_path(str(path), profile_path))

    model = assets_mod.resolve_model(
        source(
            a.model.source, a.model.path, a.model.url, f"synthetic:{a.model.kind or 'resnet50'}"
        ),
        task,
        cache_dir,
        progress,
        sha256=a.model.sha256,
        seed=a.seed,
    )
    data = assets_mod.resolve_dataset(
        source(a.dataset.source, a.dataset.path, a.dataset.url, "synthetic"),
        task,
        cache_dir,
        progress,
        sha256=a.dataset.sha256,
        count=a.dataset.count,
        seed=a.seed,
    )
    in_folder = _count_val_map(data)
    count = a.dataset.count if a.dataset.source != "synthetic" else None
    size = min(count, in_folder) if count else in_folder
    return ResolvedAssets(
        model_path=model,
        dataset_path=data,
        dataset_count=count,
        dataset_size=size,
        cache_dir=assets_mod.cache_root(cache_dir) / "preprocessed",
        synthetic=a.model.source == "synthetic" or a.dataset.source == "synthetic",
    )


# -- running one harness child -----------------------------------------------------------------


def _run_config(
    run: PlannedRun, profile: Profile, resolved: ResolvedAssets, folder: Path
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "benchmark": run.benchmark,
        "loadgen_model": run.loadgen_model,
        "task": run.task,
        "scenario": run.scenario.value,
        "mode": run.mode.value,
        "audit_config": str(folder / "audit.config") if run.compliance_test else None,
        "model_path": str(resolved.model_path),
        "dataset_path": str(resolved.dataset_path),
        "dataset_count": run.dataset_count or resolved.dataset_count,
        "cache_dir": str(resolved.cache_dir),
        "backend": {
            "name": "onnxruntime",
            "execution_provider": profile.backend.execution_provider,
            "intra_op_threads": profile.backend.intra_op_threads,
            "batch_size": profile.backend.batch_size,
        },
        "server_max_wait_ms": 2.0,
        "user_conf": str(folder / "user.conf"),
        "output_dir": str(folder),
        "progress_interval_s": 0.25,
    }


def _reader(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    finally:
        lines.put(None)


def _send_sigint(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, OSError):
        proc.send_signal(signal.SIGINT)


def _run_child(
    run: PlannedRun,
    folder: Path,
    index: int,
    total: int,
    on_event: OnEvent,
    cancel: threading.Event,
    cancel_grace_s: float,
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None, float | None]:
    """Run the harness child; (exit code, result event, error event, last p90 ms)."""
    cmd = [sys.executable, "-m", "harness", "run", "--config", str(folder / "RUN.json")]
    from harness.config import PARENT_PID_ENV

    # the child cancels itself (SIGINT) if this process dies without stopping it
    env = dict(os.environ, PYTHONUNBUFFERED="1", **{PARENT_PID_ENV: str(os.getpid())})
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    p90: float | None = None
    with (
        (folder / "harness.stderr.log").open("w", encoding="utf-8") as err,
        (folder / "events.jsonl").open("w", encoding="utf-8") as events,
    ):
        # own session: a terminal's Ctrl-C reaches only us; we forward one SIGINT
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=folder,
            env=env,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert proc.stdout is not None
        reader = threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True)
        reader.start()
        from harness.events import parse_event

        interrupted_at: float | None = None
        try:
            while True:
                if cancel.is_set() and interrupted_at is None:
                    _send_sigint(proc)
                    interrupted_at = time.monotonic()
                if (
                    interrupted_at is not None
                    and time.monotonic() - interrupted_at > cancel_grace_s
                ):
                    proc.kill()
                try:
                    line = lines.get(timeout=0.1)
                except queue.Empty:
                    continue
                except KeyboardInterrupt:
                    # execute() on a main thread: Ctrl-C is a cancel, handled like the event
                    cancel.set()
                    continue
                if line is None:
                    break
                events.write(line if line.endswith("\n") else line + "\n")
                event = parse_event(line)
                name = event.get("event")
                if name == "result":
                    result = event
                elif name == "error":
                    error = event
                elif name == "progress" and event.get("p90_ms") is not None:
                    p90 = float(event["p90_ms"])
                on_event(RunnerEvent("harness", run.run_id, index, total, data=event))
        except BaseException:
            # the caller broke (its on_event raised): the child must not outlive the run
            _send_sigint(proc)
            try:
                proc.wait(timeout=cancel_grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise
        reader.join(timeout=5)
        try:
            code = proc.wait(timeout=max(1.0, cancel_grace_s))
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    return code, result, error, p90


def _loadgen_figures(folder: Path) -> dict[str, Any]:
    """LoadGen's verdict and metric from the run's mlperf_log_detail.txt ({} when none)."""
    from harness.loadgen_logs import read_result_figures

    try:
        return read_result_figures(folder) or {}
    except OSError:
        return {}


def _accuracy_writer(task_name: str, dataset_path: Path) -> compliance.AccuracyWriter:
    def write(log: Path, out: Path) -> None:
        from harness.tasks import get_task

        get_task(task_name).write_accuracy(log, dataset_path, out)

    return write


def _verify_compliance(
    run: PlannedRun, folder: Path, runs_dir: Path, results: Mapping[str, RunResult], dataset: Path
) -> dict[str, Any]:
    perf = results.get(run_id_for(run.scenario, Mode.PERFORMANCE))
    acc = results.get(run_id_for(run.scenario, Mode.ACCURACY))
    perf_dir = runs_dir / run_id_for(run.scenario, Mode.PERFORMANCE)
    acc_dir = runs_dir / run_id_for(run.scenario, Mode.ACCURACY)
    if run.compliance_test == "TEST01":
        verdict = compliance.verify_test01(
            accuracy_run=acc_dir,
            performance_run=perf_dir,
            audit_run=folder,
            out_dir=folder,
            accuracy_writer=_accuracy_writer(run.task, dataset),
        )
    elif run.compliance_test == "TEST04":
        verdict = compliance.verify_test04(
            performance_run=perf_dir, audit_run=folder, out_dir=folder
        )
    else:
        return {"test": run.compliance_test, "passed": False, "messages": ["not verified"]}
    out = verdict.to_dict()
    out["files"] = [str(Path(p).relative_to(folder)) for p in verdict.files]
    missing = [r for r, res in (("performance", perf), ("accuracy", acc)) if not res or not res.ok]
    if run.compliance_test == "TEST04" and "accuracy" in missing:
        missing.remove("accuracy")
    if missing:
        out["messages"].append("reference run(s) not ok: " + ", ".join(missing))
    return out


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _system_json(profile: Profile) -> dict[str, Any]:
    try:
        from mlperf_tui.system import detect

        desc = detect()
        return {
            v.name: {"value": v.value, "status": str(v.status), "reason": v.reason}
            for v in desc.fields
        }
    except Exception as exc:  # detection never stops a run; say what happened
        return {"_error": {"value": "", "status": "error", "reason": str(exc)}}


def execute(
    plan: Sequence[PlannedRun],
    profile: Profile,
    resolved: ResolvedAssets,
    *,
    results_root: Path | None = None,
    folder: Path | None = None,
    on_event: OnEvent = _ignore,
    cancel: threading.Event | None = None,
    cancel_grace_s: float = CANCEL_GRACE_S,
    system: Mapping[str, Any] | None = None,
    profile_path: Path | None = None,
) -> ResultsSet:
    """Run the plan, one harness child at a time; returns what was run (also on cancel).

    A failed run does not stop the next ones, except a setup failure (the harness rejects its
    config or inputs: exit code 2), after which nothing more would work. A cancel (the
    ``cancel`` event) ends the running child with SIGINT - killed after ``cancel_grace_s`` -
    keeps the finished runs and marks the set incomplete.

    The results go to ``folder``, else a new folder named by time under ``results_root``, the
    profile's ``output`` (relative to ``profile_path``'s folder) or ./results.
    """
    from mlperf_tui import rules
    from mlperf_tui.profile import dump_profile

    cancel = cancel or threading.Event()
    if folder is None:
        if results_root is None and profile.output:
            from mlperf_tui.profile import resolve_profile_path

            # a relative output in a profile is relative to the profile's folder
            results_root = resolve_profile_path(profile.output, profile_path)
        root = results_root or Path(RESULTS_DIRNAME)
        folder = new_results_folder(root.expanduser().resolve())
    folder.mkdir(parents=True, exist_ok=True)
    runs_dir = folder / RUNS_DIRNAME
    runs_dir.mkdir(exist_ok=True)
    (folder / "profile.yaml").write_text(dump_profile(profile), encoding="utf-8")
    _write_json(
        folder / "system.json", dict(system) if system is not None else _system_json(profile)
    )
    _write_json(folder / "plan.json", [r.to_dict() for r in plan])
    bench = rules.get_benchmark(profile.benchmark, profile.round)

    results_set = ResultsSet(
        folder=folder,
        runs=[],
        complete=False,
        execution=profile.execution.value,
        synthetic=resolved.synthetic,
        benchmark=bench.name,
        division=profile.division.value,
        category=profile.category.value,
        round=profile.round,
        plan=[r.to_dict() for r in plan],
    )
    total = len(plan)
    on_event(RunnerEvent("plan", total=total, data={"runs": [r.to_dict() for r in plan]}))
    by_id: dict[str, RunResult] = {}
    stop_reason = ""
    try:
        for index, run in enumerate(plan):
            run_dir = runs_dir / run.run_id
            if cancel.is_set() or stop_reason:
                res = RunResult(
                    run.run_id, run.benchmark, run.scenario.value, run.mode.value,
                    run.compliance_test, STATUS_SKIPPED, run_dir,
                    message=stop_reason or "cancelled before it started",
                    estimate_s=run.estimate_s,
                )  # fmt: skip
                results_set.runs.append(res)
                by_id[run.run_id] = res
                continue
            run_dir.mkdir(parents=True, exist_ok=False)
            (run_dir / "user.conf").write_text(run.user_conf(), encoding="utf-8")
            if run.compliance_test:
                (run_dir / "audit.config").write_text(
                    rules.audit_config(run.compliance_test, bench), encoding="utf-8"
                )
            _write_json(run_dir / "RUN.json", _run_config(run, profile, resolved, run_dir))
            on_event(RunnerEvent("run_start", run.run_id, index, total, data=run.to_dict()))
            t0 = time.monotonic_ns()
            code, result_ev, error_ev, p90 = _run_child(
                run, run_dir, index, total, on_event, cancel, cancel_grace_s
            )
            res = _result_from(run, run_dir, code, result_ev, error_ev, p90, cancel.is_set())
            res.duration_s = round((time.monotonic_ns() - t0) / 1e9, 3)
            if run.compliance_test and res.ok:
                res.compliance = _verify_compliance(
                    run, run_dir, runs_dir, by_id, resolved.dataset_path
                )
            _write_json(run_dir / "result.json", res.to_dict(folder))
            results_set.runs.append(res)
            by_id[run.run_id] = res
            on_event(RunnerEvent("run_end", run.run_id, index, total, result=res))
            if code == 2:
                stop_reason = f"not started: {run.run_id} could not set up ({res.message})"
    finally:
        results_set.complete = (
            not cancel.is_set()
            and len(results_set.runs) == total
            and all(r.ok for r in results_set.runs)
        )
        _write_json(folder / "summary.json", results_set.to_dict())
        on_event(
            RunnerEvent(
                "done", total=total, data={"complete": results_set.complete, "folder": str(folder)}
            )
        )
    return results_set


def _result_from(
    run: PlannedRun,
    folder: Path,
    code: int,
    result_ev: Mapping[str, Any] | None,
    error_ev: Mapping[str, Any] | None,
    p90: float | None,
    cancelled: bool,
) -> RunResult:
    res = RunResult(
        run.run_id,
        run.benchmark,
        run.scenario.value,
        run.mode.value,
        run.compliance_test,
        STATUS_FAILED,
        folder,
        exit_code=code,
        estimate_s=run.estimate_s,
        p90_ms=p90,
    )
    if result_ev is not None:
        res.status = str(result_ev.get("status", STATUS_FAILED))
        res.message = str(result_ev.get("message", ""))
        acc = result_ev.get("accuracy")
        if isinstance(acc, Mapping) and acc.get("value") is not None:
            res.accuracy = float(acc["value"])
            res.accuracy_metric = str(acc.get("metric", ""))
    if error_ev is not None:
        fix = error_ev.get("fix")
        res.message = str(error_ev.get("message", "")) + (f" (fix: {fix})" if fix else "")
    if code == 130 or (cancelled and res.status != STATUS_OK):
        res.status = STATUS_CANCELLED
    elif code != 0 and res.status == STATUS_OK:
        res.status = STATUS_FAILED
    if res.status == STATUS_FAILED and not res.message:
        res.message = f"the harness exited with code {code}; see harness.stderr.log"
    figures = _loadgen_figures(folder)
    res.valid = figures.get("result_valid")
    res.metric_name = figures.get("metric_name")
    res.metric_value = figures.get("metric_value")
    res.metric_unit = figures.get("metric_unit")
    res.early_stopping_met = figures.get("early_stopping_met")
    res.errors = [str(e) for e in figures.get("error_messages") or []]
    res.warnings = [str(w) for w in figures.get("warning_messages") or []]
    if run.mode == Mode.ACCURACY:
        # LoadGen's performance figures mean nothing in an accuracy run
        res.metric_name = res.metric_value = res.metric_unit = None
        res.early_stopping_met = None
    return res


# -- one call for front ends -------------------------------------------------------------------


@dataclass
class Prepared:
    """Everything decided before the first run: assets, calibration and the plan."""

    profile: Profile
    resolved: ResolvedAssets
    calibration: Calibration
    plan: list[PlannedRun]


def prepare(
    profile: Profile,
    *,
    profile_path: Path | None = None,
    cache_dir: Path | None = None,
    on_event: OnEvent = _ignore,
    calibrate_model: bool = True,
    short: TestSettings = TEST_SETTINGS,
) -> Prepared:
    """Resolve the assets, time the model, plan the runs."""
    resolved = resolve_assets(
        profile, profile_path=profile_path, cache_dir=cache_dir, on_event=on_event
    )
    cal: Calibration | None = None
    if calibrate_model:
        on_event(RunnerEvent("message", data={"text": "Timing the model on this machine"}))
        try:
            cal = calibrate(
                resolved.model_path,
                intra_op_threads=profile.backend.intra_op_threads,
                batch_size=profile.backend.batch_size,
                execution_provider=profile.backend.execution_provider,
            )
        except (RunError, ValueError, KeyError) as exc:
            on_event(
                RunnerEvent(
                    "message", data={"text": f"model timing failed ({exc}); using a rule of thumb"}
                )
            )
    plan = plan_runs(profile, calibration=cal, dataset_size=resolved.dataset_size, short=short)
    return Prepared(profile, resolved, cal or rule_of_thumb(profile), plan)


__all__ = [
    "TEST_SETTINGS",
    "Calibration",
    "PlannedRun",
    "Prepared",
    "ResolvedAssets",
    "ResultsSet",
    "RunResult",
    "RunnerEvent",
    "TestSettings",
    "calibrate",
    "execute",
    "load_results",
    "new_results_folder",
    "plan_runs",
    "prepare",
    "resolve_assets",
    "rule_of_thumb",
]


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "calibrate":
        raise SystemExit(_calibrate_main(sys.argv[2:]))
    raise SystemExit(
        "usage: python -m mlperf_tui.runner calibrate MODEL THREADS BATCH PROVIDER BUDGET_S"
    )
