"""One harness child: its RUN.json, the process, its JSON-lines events, cancel and kill.

Every LoadGen test is one ``python -m harness run --config RUN.json`` child (DESIGN.md, "Runs
happen in child processes"). The child runs in its own session, so a terminal's Ctrl-C reaches
only us; we forward one SIGINT and kill the child after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from harness.config import BackendOptions, EndpointOptions, RunConfig
from mlperf_tui.results import EVENTS, HARNESS_STDERR, RUN_CONFIG
from mlperf_tui.run.calibrate import child_env
from mlperf_tui.run.events import OnEvent, RunnerEvent

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile
    from mlperf_tui.rules.model import Scenario
    from mlperf_tui.run.inputs import ResolvedAssets
    from mlperf_tui.run.plan import PlannedRun

#: the Server SUT's longest wait to fill a batch
SERVER_MAX_WAIT_MS = 2.0
#: how often the child reports progress
PROGRESS_INTERVAL_S = 0.25


def run_config(
    run: PlannedRun | None,
    profile: Profile,
    resolved: ResolvedAssets,
    folder: Path,
    *,
    task: str,
    task_options: dict[str, Any] | None = None,
) -> RunConfig:
    """The RunConfig of a planned run (or, ``run`` None, of a calibration) in ``folder``."""
    from mlperf_tui import rules

    bench = rules.get_benchmark(profile.benchmark, profile.round)
    endpoint = endpoint_options(profile, resolved)
    scenario = run.scenario if run is not None else profile.scenarios[0]
    return RunConfig(
        benchmark=bench.name,
        loadgen_model=bench.loadgen_model,
        task=task,
        task_options=dict(run.task_options if run is not None else task_options or {}),
        scenario=scenario.value,
        mode=(run.mode.value if run is not None else "performance"),
        audit_config=(folder / "audit.config") if run is not None and run.compliance_test else None,
        model_path=resolved.model_path if endpoint is None else None,
        dataset_path=resolved.dataset_path,
        dataset_count=(run.dataset_count if run is not None else None) or resolved.dataset_count,
        cache_dir=resolved.cache_dir,
        backend=backend_options(profile, scenario),
        server_max_wait_ms=SERVER_MAX_WAIT_MS,
        user_conf=folder / "user.conf",
        output_dir=folder,
        progress_interval_s=PROGRESS_INTERVAL_S,
        endpoint=endpoint,
        expected_latency_ns=run.expected_latency_ns if run is not None else None,
    )


def backend_options(profile: Profile, scenario: Scenario) -> BackendOptions:
    """The harness's backend options of one scenario (the profile's, with its own overrides)."""
    threads, batch, streams = profile.backend.for_scenario(scenario)
    return BackendOptions(
        name="onnxruntime",
        execution_provider=profile.backend.execution_provider,
        intra_op_threads=threads,
        batch_size=batch,
        streams=streams,
    )


def endpoint_options(profile: Profile, resolved: ResolvedAssets) -> EndpointOptions | None:
    """The endpoint block of a ``harness: endpoint`` profile's runs (None for the others)."""
    from mlperf_tui import benchmarks

    if profile.harness != benchmarks.ENDPOINT or profile.endpoint is None:
        return None
    entry = benchmarks.require(profile.benchmark, harness=benchmarks.ENDPOINT)
    e = profile.endpoint
    assert entry.prompt_format is not None and entry.max_tokens is not None
    tokenizer = (
        entry.tokenizer_dir(resolved.model_path) if entry.tokenizer_dir else resolved.model_path
    )
    return EndpointOptions(
        base_url=e.url.rstrip("/"),
        model=e.model,
        dataset_format=entry.prompt_format,
        api_key_env=e.api_key_env,
        timeout_s=e.timeout_s,
        max_concurrency=e.max_concurrency,
        max_tokens=e.max_tokens or entry.max_tokens,
        prompt_format=e.prompt_format,
        tokenizer_dir=tokenizer,
    )


def probe_endpoint(profile: Profile, resolved: ResolvedAssets) -> None:
    """RunError unless the profile's engine answers, serves its model and takes its prompts
    (the harness checks again before each run; this fails before anything is planned)."""
    from harness.datasets.llm import open_llm_dataset
    from harness.endpoint.client import prompt_json
    from harness.endpoint.probe import api_key
    from harness.endpoint.probe import probe_endpoint as probe
    from harness.errors import HarnessError
    from mlperf_tui.errors import RunError

    options = endpoint_options(profile, resolved)
    if options is None:
        return
    try:
        dataset = open_llm_dataset(
            resolved.dataset_path,
            options.dataset_format,
            tokenizer_dir=options.tokenizer_dir,
            count=1,
        )
        sample = dataset.sample(0)
        prompt = sample.prompt if options.prompt_format == "text" else list(sample.input_ids)
        probe(
            options,
            api_key(options),
            prompt_json(prompt),
            need_token_ids=False,
            have_tokenizer=options.tokenizer_dir is not None,
        )
    except HarnessError as exc:
        raise RunError(exc.message, exc.fix) from None


def _reader(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    finally:
        lines.put(None)


def _send_sigint(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, OSError):
        proc.send_signal(signal.SIGINT)


def run_child(
    run: PlannedRun,
    folder: Path,
    index: int,
    total: int,
    on_event: OnEvent,
    cancel: threading.Event,
    cancel_grace_s: float,
    python_path: tuple[Path, ...] = (),
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None, float | None]:
    """Run the harness child; (exit code, result event, error event, last p90 ms)."""
    cmd = [sys.executable, "-m", "harness", "run", "--config", str(folder / RUN_CONFIG)]
    from harness.config import PARENT_PID_ENV

    # the child cancels itself (SIGINT) if this process dies without stopping it
    env = child_env(python_path)
    env[PARENT_PID_ENV] = str(os.getpid())
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    p90: float | None = None
    with (
        (folder / HARNESS_STDERR).open("w", encoding="utf-8") as err,
        (folder / EVENTS).open("w", encoding="utf-8") as events,
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
