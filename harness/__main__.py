"""``python -m harness run --config RUN.json``: one LoadGen test (one scenario, one mode).

Reports on stdout as JSON lines (harness.events); everything else goes to stderr. Exit codes:
0 the run finished (VALID or INVALID: see the result), 1 the run failed, 2 bad config or
inputs (nothing was run), 130 cancelled with SIGINT.

``python -m harness calibrate --config RUN.json [--budget-s S]`` times the run's model with the
task's own inputs (one sample, then one batch of the configured size), without LoadGen, and
prints one JSON line ``{"throughput": ..., "latency_s": ..., "batch_size": ...}`` (or
``{"error": ..., "fix": ...}`` with exit code 2).

One LoadGen test per process: LoadGen keeps global state, and a second ``FromConfig`` in one
process spoils the run's log ("Multiple conf files are used").

A RUN.json with an ``endpoint`` block runs an LLM benchmark against a serving engine instead of
a model file (harness.endpoint): no runtime is loaded, the engine is probed before LoadGen
starts, and the ``progress``, ``result`` and ``error`` events carry an ``endpoint`` object
(requests in flight, failures by kind, tokens per second, TTFT/TPOT; see harness.endpoint).

A RUN.json with a ``network`` block is a network-division run (harness.network): LoadGen and
the data set here, the model on SUT nodes that each run ``python -m harness serve --config
SERVE.json [--host H] [--port P]``; LoadGen drives the query dispatch library
(harness.network.qdl), which probes every node before LoadGen starts and writes
``network.json`` (each node's requests, samples, failures) into the output folder.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from harness.config import (
    CALIBRATED_QPS_HEADROOM,
    PARENT_PID_ENV,
    RunConfig,
    load_run_config,
)
from harness.errors import ExitCode, HarnessError, ModelMismatchError
from harness.events import EventWriter

if TYPE_CHECKING:
    from harness.endpoint.run import EndpointRun
    from harness.endpoint.sut import EndpointSUT
    from harness.network.qdl import NetworkRun, NetworkSUT
    from harness.sut import BaseSUT, OfflineSUT

#: seconds LoadGen gets to wind down after a cancel or a failure before the process gives up
DRAIN_TIMEOUT_S = 60.0
_LOADGEN_MODES = {"performance": "PerformanceOnly", "accuracy": "AccuracyOnly"}


class RunEventWriter(EventWriter):
    """The run's event writer: adds the ``endpoint`` object of an endpoint run to its
    ``progress``, ``result`` and ``error`` events (see harness.endpoint)."""

    _EXTENDED = ("progress", "result", "error")

    def __init__(self, stream: IO[str], start_ns: int | None = None) -> None:
        super().__init__(stream, start_ns)
        self.endpoint_fields: Callable[[str], dict[str, Any] | None] | None = None

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        if self.endpoint_fields is not None and event in self._EXTENDED:
            extra = self.endpoint_fields(event)
            if extra is not None:
                fields.setdefault("endpoint", extra)
        return super().emit(event, **fields)


class ProgressReporter(threading.Thread):
    """Emits a ``progress`` event every interval while LoadGen runs."""

    def __init__(
        self, writer: EventWriter, state: Any, interval_s: float, running_message: str
    ) -> None:
        super().__init__(name="harness-progress", daemon=True)
        self.writer = writer
        self.state = state
        self.interval_s = interval_s
        self.running_message = running_message
        self._done = threading.Event()

    def run(self) -> None:
        # "running" and a first progress event as soon as LoadGen issues its first query
        # (LoadGen first has the QSL load the samples)
        while not self._done.is_set() and not self.state.first_issue.wait(self.interval_s):
            pass
        if not self._done.is_set():
            self.state.started_ns = time.monotonic_ns()
            self.writer.phase("running", self.running_message)
            self.emit()
        while not self._done.wait(self.interval_s):
            self.emit()

    def emit(self) -> None:
        state = self.state
        started = state.started_ns or time.monotonic_ns()
        issued, completed = state.issued, state.completed
        values, snapshot = state.histogram.summary((0.50, 0.90, 0.99))
        self.writer.progress(
            issued=issued,
            completed=completed,
            elapsed_s=(time.monotonic_ns() - started) / 1e9,
            p50_ns=values[0.50],
            p90_ns=values[0.90],
            p99_ns=values[0.99],
            histogram=snapshot,
            within=(
                {"done": state.steps_done, "total": state.steps_total}
                if state.steps_total
                else None
            ),
        )

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)
        self.emit()


def build_test_settings(lg: Any, config: RunConfig) -> Any:
    """LoadGen's TestSettings: built-in mlperf.conf + user.conf, applied once (FromConfig)."""
    settings = lg.TestSettings()
    # conf_type 1: LoadGen applies its built-in mlperf.conf for this model key, then user.conf
    rc = settings.FromConfig(str(config.user_conf), config.loadgen_model, config.scenario)
    if rc != 0:
        raise HarnessError(
            f"LoadGen could not read {config.user_conf} (error {rc})",
            "every line must be '<model>.<scenario>.<key> = <number>' (spaces around '=')",
        )
    settings.scenario = getattr(lg.TestScenario, config.scenario)
    settings.mode = getattr(lg.TestMode, _LOADGEN_MODES[config.mode])
    if config.expected_latency_ns is not None:
        # LoadGen generates SingleStream/MultiStream queries for min_duration at this latency;
        # user.conf's target_latency is whole milliseconds, too coarse for a fast model (the
        # detail log records it as requested_*_expected_latency_ns)
        if config.scenario == "SingleStream":
            settings.single_stream_expected_latency_ns = config.expected_latency_ns
        elif config.scenario == "MultiStream":
            settings.multi_stream_expected_latency_ns = config.expected_latency_ns
    if config.scenario == "Server" and settings.server_max_async_queries == 0:
        # Lets a cancelled or failed Server run end in seconds: the SUT then holds new queries
        # and LoadGen stops once this many are outstanding. A healthy run never gets near it:
        # it is the larger of 2 s of queries and LoadGen's own former bound (5x target latency).
        latency_s = settings.server_target_latency_ns / 1e9
        bound = settings.server_target_qps * max(2.0, 5 * latency_s)
        extra = config.backend.batch_size
        if config.endpoint is not None:
            # an LLM query lasts its first token plus one token time per output token: the
            # longest a query may take and still meet the TTFT/TPOT bounds (never above the
            # request timeout), or 5x the target latency of a benchmark without token bounds
            longest_s = max(
                5 * latency_s,
                (settings.ttft_latency + settings.tpot_latency * config.endpoint.max_tokens) / 1e9,
            )
            longest_s = min(config.endpoint.timeout_s, longest_s)
            bound = settings.server_target_qps * max(2.0, longest_s)
            extra = config.endpoint.max_concurrency
        settings.server_max_async_queries = math.ceil(bound) + extra
    return settings


def _log_settings(lg: Any, out_dir: Path) -> Any:
    """LoadGen's log settings of a test: its logs in ``out_dir``, no summary on stdout (fd 1
    is stderr here), no trace."""
    log_output = lg.LogOutputSettings()
    log_output.outdir = str(out_dir)
    log_output.copy_summary_to_stdout = False
    log_settings = lg.LogSettings()
    log_settings.log_output = log_output
    log_settings.enable_trace = False
    return log_settings


def _redirect_stdout() -> IO[str]:
    """The real stdout for events; fd 1 (print, LoadGen's std::cout) goes to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(events_fd, "w", encoding="utf-8", buffering=1)


def load_model(config: RunConfig) -> tuple[Any, Any, Any]:
    """The run's task, backend and binding; HarnessError naming what does not fit."""
    from harness.backends import load_backend
    from harness.tasks import ModelBindingError, TaskError, get_task

    try:
        task = get_task(config.task)
    except TaskError as e:
        raise HarnessError(e.message, e.fix) from e
    if config.model_path is None:
        raise HarnessError("model_path is null", "set model_path to the model file")
    backend: Any
    if config.backend.name == "ray":
        from harness.backends.ray import start_replicas

        replicas = start_replicas(config.model_path, config.backend, config.scenario)
        backend = replicas.proxies[0]
    else:
        backend = load_backend(config.backend.name, config.model_path, config.backend)
    try:
        binding = task.bind(backend.inputs, backend.outputs, config.task_options)
    except ModelBindingError as e:
        raise ModelMismatchError(
            f"{config.model_path.name} does not fit the {task.name} task: {e.message}", e.fix
        ) from e
    return task, backend, binding


def run(config: RunConfig, writer: EventWriter) -> int:
    """The whole run; returns the exit code. Raises HarnessError for bad inputs."""
    out_dir = config.output_dir
    writer.start(config.benchmark, config.scenario, config.mode, str(out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HarnessError(
            f"cannot create the output folder {out_dir}: {e.strerror}", "choose a writable folder"
        ) from e

    if config.endpoint is not None:
        from harness.endpoint.run import EndpointRun

        endpoint = EndpointRun(config, writer)  # the prompts, then the engine probed
        print(f"harness: {endpoint.description}", file=sys.stderr)
        if isinstance(writer, RunEventWriter):
            writer.endpoint_fields = endpoint.event_fields
        return _run_loadgen(config, writer, endpoint.prompts, None, None, None, endpoint)

    if config.network is not None:
        from harness.network.qdl import NetworkRun

        nodes = ", ".join(config.network.nodes)
        writer.phase("loading_model", f"Checking the SUT nodes {nodes}")
        network = NetworkRun(config)  # every node probed; the task bound over their model
        print(f"harness: {network.description}; {network.binding.describe()}", file=sys.stderr)
        dataset = _open_dataset(config, writer, network.task, network.binding)
        return _run_loadgen(
            config, writer, dataset, network.task, [], network.binding, None, network
        )

    model_name = config.model_path.name if config.model_path is not None else "the model"
    writer.phase("loading_model", f"Loading {model_name}")
    task, backend, binding = load_model(config)
    backends = [backend, *extra_streams(config, backend)]
    streams = f" x {len(backends)} streams" if len(backends) > 1 else ""
    print(f"harness: {backend.description}{streams}; {binding.describe()}", file=sys.stderr)

    dataset = _open_dataset(config, writer, task, binding)
    return _run_loadgen(config, writer, dataset, task, backends, binding, None)


def _open_dataset(config: RunConfig, writer: EventWriter, task: Any, binding: Any) -> Any:
    """The run's data set, opened for the task's binding; all of it preprocessed (cached on
    disk) first in accuracy mode, never inside LoadGen's test."""
    from harness.tasks import TaskError

    writer.phase("loading_dataset", f"Opening the data set in {config.dataset_path}")
    try:
        dataset = task.open_dataset(
            config.dataset_path, config.cache_dir, config.dataset_count, binding
        )
        if config.mode == "accuracy":
            last = [0.0]

            def progress(label: str, done: int, total: int | None) -> None:
                now = time.monotonic()
                if done == 0 or done == total or now - last[0] >= 1.0:
                    last[0] = now
                    writer.phase("preprocessing", f"{label}: {done}/{total or '?'}")

            dataset.preprocess(None, progress)
    except TaskError as e:
        raise HarnessError(e.message, e.fix) from e
    return dataset


def _ray_cluster_json(config: RunConfig, replicas: Any) -> None:
    """Where the run's Ray replicas are: one line on stderr, and the output folder's
    cluster.json (harness.backends.ray.RayReplicas.cluster_info)."""
    import json

    path = config.output_dir / "cluster.json"
    try:
        path.write_text(json.dumps(replicas.cluster_info(), indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        raise HarnessError(
            f"cannot write {path}: {e.strerror}", "choose a writable output folder"
        ) from e
    print(f"harness: {replicas.where()}", file=sys.stderr)


def extra_streams(config: RunConfig, first: Any = None) -> list[Any]:
    """The sessions of streams 2..N (Offline and Server run several; the others one); for
    backend.name ray, the proxies after ``first`` (load_model's) of the run's replicas, whose
    places go to stderr and cluster.json."""
    from harness.backends import load_backend

    if config.backend.name == "ray":
        replicas = getattr(first, "replicas", None)
        if replicas is None:
            return []
        _ray_cluster_json(config, replicas)
        return list(replicas.proxies[1:])
    if config.scenario not in ("Offline", "Server") or config.backend.streams <= 1:
        return []
    assert config.model_path is not None
    return [
        load_backend(config.backend.name, config.model_path, config.backend)
        for _ in range(config.backend.streams - 1)
    ]


def _run_loadgen(
    config: RunConfig,
    writer: EventWriter,
    dataset: Any,
    task: Any,
    backend: Any,
    binding: Any,
    endpoint: EndpointRun | None,
    network: NetworkRun | None = None,
) -> int:
    """LoadGen's test over the opened data set, with the built-in SUT, the endpoint's or the
    network division's query dispatch library."""
    from harness.tasks import TaskError

    out_dir = config.output_dir
    import mlperf_loadgen as lg

    from harness.network.qdl import NetworkSUT
    from harness.qsl import QuerySampleLibrary
    from harness.sut import OfflineSUT, RunState, make_sut

    settings = build_test_settings(lg, config)
    log_settings = _log_settings(lg, out_dir)

    state = RunState()
    qsl = QuerySampleLibrary(
        dataset,
        on_load=lambda n: writer.phase("loading_dataset", f"Loading {n} samples into memory"),
    )
    sut: BaseSUT | EndpointSUT | NetworkSUT
    if endpoint is not None:
        sut = endpoint.make_sut(settings, state)
    elif network is not None:
        sut = network.make_sut(dataset, state)
    else:
        sut = make_sut(
            config.scenario,
            backend,
            task,
            binding,
            dataset,
            state,
            config.backend.batch_size,
            log_responses=config.mode == "accuracy" or config.audit_config is not None,
            server_max_wait_ms=config.server_max_wait_ms,
            server_latency_bound_ns=int(settings.server_target_latency_ns),
        )
    if config.offline_calibrate_s is not None and sut.scenario == "Offline":
        if isinstance(sut, OfflineSUT | NetworkSUT):
            calibrate_offline(config, lg, settings, sut, qsl, writer)
            state.reset_counts()
        if isinstance(sut, NetworkSUT):
            sut.reset_counts()
    sut_handle = sut.construct()
    qsl_handle = qsl.construct()
    no_audit_dir = tempfile.mkdtemp(prefix="harness-no-audit-")
    # never the default "audit.config": a stray one in the working folder must not be picked up
    audit = (
        str(config.audit_config) if config.audit_config else str(Path(no_audit_dir, "audit.config"))
    )

    reporter = ProgressReporter(
        writer,
        state,
        config.progress_interval_s,
        f"LoadGen {config.scenario} {_LOADGEN_MODES[config.mode]}: issuing queries",
    )
    cancels = [0]

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        cancels[0] += 1
        if cancels[0] > 1:
            print("harness: second SIGINT, exiting without waiting for LoadGen", file=sys.stderr)
            os._exit(ExitCode.CANCELLED)
        print("harness: SIGINT, completing outstanding queries and stopping", file=sys.stderr)
        state.request_stop("cancelled")

    previous = signal.signal(signal.SIGINT, on_sigint)
    # hand the GIL over within 1 ms (default 5): LoadGen's thread needs it for every query
    sys.setswitchinterval(0.001)
    errors: list[BaseException] = []

    def start_test() -> None:
        try:
            lg.StartTestWithLogSettings(sut_handle, qsl_handle, settings, log_settings, audit)
        except BaseException as exc:  # pragma: no cover - LoadGen does not raise
            errors.append(exc)

    loadgen_thread = threading.Thread(target=start_test, name="harness-loadgen", daemon=True)
    loadgen_thread.start()
    reporter.start()
    drained = True
    try:
        stop_deadline: float | None = None
        while loadgen_thread.is_alive():
            loadgen_thread.join(timeout=0.5)  # SIGINT interrupts the wait
            if state.stopping and stop_deadline is None:
                stop_deadline = time.monotonic() + DRAIN_TIMEOUT_S
            if stop_deadline is not None and time.monotonic() > stop_deadline:
                drained = False
                break
    finally:
        signal.signal(signal.SIGINT, previous)
        reporter.stop()
        sut.close()
    shutil.rmtree(no_audit_dir, ignore_errors=True)

    writer.phase("writing_logs", f"Reading LoadGen's logs in {out_dir}")
    if drained:
        sut.destroy()
        qsl.destroy()
    from harness.loadgen_logs import read_result_figures

    figures = read_result_figures(out_dir)

    if not drained:
        message = f"LoadGen did not finish within {DRAIN_TIMEOUT_S:.0f} s after the run stopped"
        status = "cancelled" if state.stop_reason == "cancelled" else "failed"
        writer.result(status, message, str(out_dir), figures, None)
        sys.stderr.flush()
        os._exit(ExitCode.CANCELLED if status == "cancelled" else ExitCode.RUN_FAILED)
    if errors:
        writer.result("failed", f"LoadGen: {errors[0]}", str(out_dir), figures, None)
        return ExitCode.RUN_FAILED
    if state.stop_reason == "failed":
        writer.result("failed", state.failure or "inference failed", str(out_dir), figures, None)
        return ExitCode.RUN_FAILED
    if state.stop_reason == "cancelled":
        writer.result("cancelled", "cancelled by SIGINT", str(out_dir), figures, None)
        return ExitCode.CANCELLED
    failed_requests = endpoint.failure() if endpoint is not None else None
    if failed_requests is not None:
        writer.result("failed", failed_requests, str(out_dir), figures, None)
        return ExitCode.RUN_FAILED

    accuracy = None
    if config.mode == "accuracy":
        writer.phase("accuracy", "Scoring mlperf_log_accuracy.json")
        try:
            if endpoint is not None:
                scored = endpoint.write_accuracy(
                    out_dir / "mlperf_log_accuracy.json", out_dir / "accuracy.txt"
                )
            else:
                scored = task.write_accuracy(
                    out_dir / "mlperf_log_accuracy.json",
                    config.dataset_path,
                    out_dir / "accuracy.txt",
                )
        except TaskError as e:
            writer.result("failed", f"accuracy: {e.message}", str(out_dir), figures, None)
            return ExitCode.RUN_FAILED
        accuracy = {
            "metric": scored.get("metric") or task.accuracy_metric,
            "value": scored["value"],
            "path": str(scored.get("path", out_dir / "accuracy.txt")),
        }
        if "values" in scored:
            accuracy["values"] = scored["values"]
    valid = figures.get("result_validity") if figures else None
    message = "run finished" + (f": {valid}" if valid else "")
    writer.result("ok", message, str(out_dir), figures, accuracy)
    return ExitCode.OK


def calibrate_offline(
    config: RunConfig,
    lg: Any,
    settings: Any,
    sut: OfflineSUT | NetworkSUT,
    qsl: Any,
    writer: EventWriter,
) -> None:
    """Time the Offline SUT in a short LoadGen test of its own (``config.offline_calibrate_s``
    seconds, logs in a scratch folder) right before the run, and set the run's
    ``offline_expected_qps`` to the rate LoadGen measured x :data:`CALIBRATED_QPS_HEADROOM`.

    A calibration minutes earlier, in another process, errs by up to 15% on a shared machine
    (both ways), and LoadGen sizes the Offline query from this figure: too low and the run
    ends before the rules' min duration (INVALID), too high and it runs longer than needed.
    The SUT timed without LoadGen reads 10-18% high (LoadGen's completion bookkeeping and its
    logging thread share the cores), so the timing is a LoadGen test: the same SUT, data set
    and QSL. It reads no config file (a second user.conf in one process spoils the run's
    log); the run's detail log records the value (``requested_offline_expected_qps``). When
    the timing fails, user.conf's target_qps stands (the run itself then reports any failure)."""

    seconds = float(config.offline_calibrate_s or 0.0)
    before = float(settings.offline_expected_qps)
    writer.phase(
        "calibrating",
        f"Timing the Offline run for {seconds:g} s (LoadGen sizes the run from the rate)",
    )
    rate, guess = 0.0, before
    # a first test sized from a poor guess ends early: time again from what it measured
    for _ in range(3):
        rate, took_s = _offline_probe(lg, settings, sut, qsl, guess, seconds)
        if rate <= 0 or sut.state.stopping or took_s >= 0.5 * seconds:
            break
        guess = rate
    if sut.state.stopping or rate <= 0:
        print(
            f"harness: no Offline calibration; LoadGen keeps user.conf's expected QPS {before:g}",
            file=sys.stderr,
        )
        return
    qps = rate * CALIBRATED_QPS_HEADROOM
    settings.offline_expected_qps = qps
    print(
        f"harness: Offline calibration: {rate:.1f} samples/s in a {seconds:g} s LoadGen test; "
        f"offline_expected_qps {before:g} -> {qps:.1f} (user.conf's value replaced)",
        file=sys.stderr,
    )


def _offline_probe(
    lg: Any, settings: Any, sut: OfflineSUT | NetworkSUT, qsl: Any, qps: float, seconds: float
) -> tuple[float, float]:
    """One short LoadGen Offline test of ``sut`` sized for ``seconds`` at ``qps``, its logs in a
    scratch folder: (LoadGen's samples per second or 0.0 when it failed, wall seconds)."""
    from harness.loadgen_logs import parse_detail_log

    probe = lg.TestSettings()
    probe.scenario = lg.TestScenario.Offline
    probe.mode = lg.TestMode.PerformanceOnly
    probe.offline_expected_qps = max(qps, 1.0)
    probe.min_duration_ms = max(1, round(seconds * 1e3))
    probe.min_query_count = 1
    probe.performance_sample_count_override = (
        int(settings.performance_sample_count_override) or qsl.performance_sample_count
    )
    scratch = tempfile.mkdtemp(prefix="harness-calibrate-")
    log_settings = _log_settings(lg, Path(scratch))
    handle = lg.ConstructFastSUT(sut._issue_guarded, sut._flush_guarded)
    start = time.monotonic()
    try:
        audit = str(Path(scratch, "audit.config"))  # never a stray one in the working folder
        lg.StartTestWithLogSettings(handle, qsl.construct(), probe, log_settings, audit)
        values = parse_detail_log(Path(scratch)).values
        return float(values.get("result_samples_per_second") or 0.0), time.monotonic() - start
    except Exception as exc:
        print(
            f"harness: the Offline calibration failed ({type(exc).__name__}: {exc})",
            file=sys.stderr,
        )
        return 0.0, time.monotonic() - start
    finally:
        lg.DestroyFastSUT(handle)
        qsl.destroy()
        shutil.rmtree(scratch, ignore_errors=True)


def cancel_when_parent_dies() -> None:
    """Have the kernel send SIGINT when the process named by HARNESS_PARENT_PID dies (Linux)."""
    parent = os.environ.get(PARENT_PID_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGINT), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGINT)


def calibrate(
    config: RunConfig,
    budget_s: float,
    latency_threads: int | None = None,
    samples: int | None = None,
) -> dict[str, float]:
    """Time the model with the task's own inputs, as the SUTs run it: the median latency of
    one sample on one stream (``latency_threads`` intra-op threads, default the run's), and the
    throughput of batches of ``config.backend.batch_size`` on ``config.backend.streams``
    concurrent streams, each within half the budget; with ``samples``, on that many of the data
    set's samples (as a run meets them: memory traffic matters to a fast model)."""
    from harness.tune import Bench, Point

    bench = Bench(config, samples)
    threads = bench.session_threads()
    half = budget_s / 2
    one = bench.measure(Point(1, latency_threads or threads, 1), half)
    batch = max(1, config.backend.batch_size)
    streams = max(1, config.backend.streams)
    if batch == 1 and streams == 1 and not latency_threads:
        throughput = one.throughput
    else:
        throughput = bench.measure(Point(batch, threads, streams), half).throughput
    return {
        "throughput": throughput,
        "latency_s": one.p50_ms / 1e3,
        "batch_size": batch,
        "streams": streams,
    }


def _tune_main(args: argparse.Namespace) -> int:
    """The sweep of harness.tune, one JSON line per point and one with the choice."""
    import json

    from harness.tune import sweep

    out = sys.stdout
    sys.stdout = sys.stderr  # only the JSON lines go to stdout

    def line(data: dict[str, Any]) -> None:
        out.write(json.dumps(data) + "\n")
        out.flush()

    def ints(text: str | None) -> list[int] | None:
        return [int(x) for x in text.split(",")] if text else None

    try:
        cancel_when_parent_dies()
        config = load_run_config(args.config)
        _measured, chosen = sweep(
            config,
            args.scenarios.split(","),
            seconds=args.seconds,
            latency_bound_ms=args.latency_bound_ms,
            samples_per_query=args.samples_per_query,
            batch_sizes=ints(args.batch_sizes),
            threads=ints(args.threads),
            streams=ints(args.streams),
            samples=args.samples,
            on_point=lambda i, n, m: line({"kind": "point", "done": i, "total": n, **m.to_dict()}),
        )
        from harness.backends.onnxruntime import physical_cores

        line({"kind": "result", "cores": physical_cores(), "chosen": chosen})
        return 0
    except HarnessError as e:
        line({"kind": "error", "error": e.message, "fix": e.fix})
        return int(e.exit_code)
    except KeyboardInterrupt:
        line({"kind": "error", "error": "cancelled by SIGINT", "fix": ""})
        return int(ExitCode.CANCELLED)


def _calibrate_main(args: argparse.Namespace) -> int:
    import json

    out = sys.stdout
    sys.stdout = sys.stderr  # only the result line goes to stdout
    try:
        cancel_when_parent_dies()
        result: dict[str, Any] = calibrate(
            load_run_config(args.config), args.budget_s, args.latency_threads, args.samples
        )
        code = 0
    except HarnessError as e:
        result, code = {"error": e.message, "fix": e.fix}, int(e.exit_code)
    except KeyboardInterrupt:
        result, code = {"error": "cancelled by SIGINT", "fix": ""}, int(ExitCode.CANCELLED)
    out.write(json.dumps(result) + "\n")
    out.flush()
    return code


def main(argv: list[str] | None = None) -> int:
    start_ns = time.monotonic_ns()
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run one LoadGen test described by RUN.json")
    run_parser.add_argument("--config", required=True, help="path of RUN.json")
    cal_parser = sub.add_parser("calibrate", help="time the model of RUN.json (no LoadGen)")
    cal_parser.add_argument("--config", required=True, help="path of RUN.json")
    cal_parser.add_argument("--budget-s", type=float, default=1.0, help="seconds to spend")
    cal_parser.add_argument(
        "--latency-threads", type=int, default=None, help="intra-op threads of one-sample timing"
    )
    cal_parser.add_argument(
        "--samples", type=int, default=None, help="time on this many data set samples"
    )
    tune_parser = sub.add_parser(
        "tune", help="sweep batch size x threads x streams for the model of RUN.json"
    )
    tune_parser.add_argument("--config", required=True, help="path of RUN.json")
    tune_parser.add_argument(
        "--scenarios", default="Offline", help="comma-separated scenarios to choose for"
    )
    tune_parser.add_argument("--seconds", type=float, default=1.0, help="seconds per point")
    tune_parser.add_argument(
        "--latency-bound-ms", type=float, default=None, help="the Server latency bound"
    )
    tune_parser.add_argument(
        "--samples-per-query",
        type=int,
        default=None,
        help="MultiStream's samples per query (the round's rules; needed for MultiStream)",
    )
    tune_parser.add_argument("--batch-sizes", default=None, help="e.g. 1,8,32 (default: swept)")
    tune_parser.add_argument("--threads", default=None, help="intra-op threads to try")
    tune_parser.add_argument("--streams", default=None, help="stream counts to try")
    tune_parser.add_argument(
        "--samples", type=int, default=None, help="run on this many data set samples"
    )
    serve_parser = sub.add_parser(
        "serve", help="serve SERVE.json's model as a SUT node of the network division"
    )
    serve_parser.add_argument("--config", required=True, help="path of SERVE.json")
    serve_parser.add_argument(
        "--host", default="0.0.0.0", help="the address to listen on (default: every interface)"
    )
    serve_parser.add_argument(
        "--port", type=int, default=8100, help="the port (0: a free one, named when ready)"
    )
    args = parser.parse_args(argv)
    if args.command == "calibrate":
        return _calibrate_main(args)
    if args.command == "tune":
        return _tune_main(args)
    if args.command == "serve":
        from harness.network.service import serve_main

        return serve_main(args.config, args.host, args.port)

    writer = RunEventWriter(_redirect_stdout(), start_ns)
    config: RunConfig | None = None
    try:
        cancel_when_parent_dies()
        config = load_run_config(args.config)
        return int(run(config, writer))
    except HarnessError as e:
        print(f"harness: {e}", file=sys.stderr)
        writer.error(e.message, e.fix)
        return int(e.exit_code)
    except KeyboardInterrupt:
        # before LoadGen started, or while the accuracy log was being scored
        out = str(config.output_dir) if config else ""
        writer.result("cancelled", "cancelled by SIGINT", out, None, None)
        return int(ExitCode.CANCELLED)
    except Exception as e:
        import traceback

        traceback.print_exc(file=sys.stderr)
        writer.error(
            f"the harness failed: {type(e).__name__}: {e}",
            "this is a bug in the harness; report it with the stderr output",
        )
        return int(ExitCode.RUN_FAILED)


if __name__ == "__main__":
    sys.exit(main())
