"""One harness child: its RUN.json, the process, its JSON-lines events, cancel and kill.

Every LoadGen test is one ``python -m harness run --config RUN.json`` child (DESIGN.md, "Runs
happen in child processes"). The child runs in its own session, so a terminal's Ctrl-C reaches
only us; we forward one SIGINT and kill the child after a grace period.

:func:`harness_command` is the one description of that child (command, folder, environment):
the runner starts it, the replay script (:mod:`mlperf_tui.run.script`) writes it out and
``--debug`` shows it for a failed run. :class:`ChildOutcome` is what its events said, read as
they come or afterwards from ``events.jsonl`` (:func:`read_events`).
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from harness.config import (
    PARENT_PID_ENV,
    BackendOptions,
    EndpointOptions,
    NetworkOptions,
    RayOptions,
    RunConfig,
)
from mlperf_tui.results import EVENTS, HARNESS_STDERR, RUN_CONFIG
from mlperf_tui.run.calibrate import CHILD_ENV, child_env
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
        # a network run loads no model here (the SUT nodes do), but its RUN.json still names
        # the profile's model file: the package describes the model from it
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
        offline_calibrate_s=run.offline_calibrate_s if run is not None else None,
        network=network_options(profile),
    )


def backend_options(profile: Profile, scenario: Scenario) -> BackendOptions:
    """The harness's backend options of one scenario (the profile's, with its own overrides)."""
    threads, batch, streams = profile.backend.for_scenario(scenario)
    b = profile.backend
    ray = None
    if b.name == "ray":
        each = b.per_replica
        ray = RayOptions(
            address=b.address or "local",
            replicas=b.replicas or 1,
            num_cpus=each.num_cpus if each is not None else None,
            num_gpus=each.num_gpus if each is not None else 0.0,
            in_flight=each.in_flight if each is not None else 2,
        )
    return BackendOptions(
        name=b.name,
        execution_provider=b.execution_provider,
        intra_op_threads=threads,
        batch_size=batch,
        streams=streams,
        ray=ray,
    )


def network_options(profile: Profile) -> NetworkOptions | None:
    """The network block of a network-division profile's runs (None for the others)."""
    n = profile.network
    if n is None:
        return None
    return NetworkOptions(
        nodes=tuple(n.nodes), dispatch=n.dispatch, timeout_s=n.timeout_s, in_flight=n.in_flight
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


@dataclass(frozen=True)
class ChildCommand:
    """How the runner starts one harness child: the command, the folder it runs in, and the
    environment: the runner's own, plus :data:`~mlperf_tui.run.calibrate.CHILD_ENV`, the
    plug-in import path ``python_path`` (before the runner's PYTHONPATH) and ``env``."""

    argv: tuple[str, ...]
    cwd: Path
    python_path: tuple[Path, ...] = ()
    #: what this child gets on top of CHILD_ENV (the parent's pid: the child cancels itself
    #: when that process dies)
    env: Mapping[str, str] = field(default_factory=dict)

    def settings(self) -> dict[str, str]:
        """The variables the runner sets for the child, PYTHONPATH aside."""
        return {**CHILD_ENV, **self.env}

    def environ(self) -> dict[str, str]:
        """The whole environment the child gets."""
        env = child_env(self.python_path)
        env.update(self.env)
        return env


def harness_command(
    folder: Path,
    python_path: tuple[Path, ...] = (),
    *,
    python: str = sys.executable,
    parent_pid: int | str | None = None,
) -> ChildCommand:
    """The harness child of the run in ``folder`` (its RUN.json), as the runner starts it:
    ``python -m harness run --config FOLDER/RUN.json`` in ``folder``. ``parent_pid`` (default:
    this process) is the process the child watches."""
    return ChildCommand(
        argv=(python, "-m", "harness", "run", "--config", str(folder / RUN_CONFIG)),
        cwd=folder,
        python_path=tuple(python_path),
        env={PARENT_PID_ENV: str(os.getpid() if parent_pid is None else parent_pid)},
    )


@dataclass
class ChildOutcome:
    """What a harness child's events said: its ``result`` and ``error`` events and the last
    p90 its progress showed."""

    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    p90: float | None = None

    def take(self, event: Mapping[str, Any]) -> None:
        """Note one parsed event (harness.events.parse_event)."""
        name = event.get("event")
        if name == "result":
            self.result = dict(event)
        elif name == "error":
            self.error = dict(event)
        elif name == "progress" and event.get("p90_ms") is not None:
            with contextlib.suppress(TypeError, ValueError):
                self.p90 = float(event["p90_ms"])


def read_events(path: Path) -> ChildOutcome:
    """The outcome of the events a child left in ``path`` (events.jsonl): none when the file
    is missing; a line cut short is text, as it was when the child wrote it."""
    from harness.events import parse_event

    outcome = ChildOutcome()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return outcome
    for line in text.splitlines():
        outcome.take(parse_event(line))
    return outcome


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
    # the child cancels itself (SIGINT) if this process dies without stopping it
    command = harness_command(folder, python_path)
    outcome = ChildOutcome()
    with (
        (folder / HARNESS_STDERR).open("w", encoding="utf-8") as err,
        (folder / EVENTS).open("w", encoding="utf-8") as events,
    ):
        # own session: a terminal's Ctrl-C reaches only us; we forward one SIGINT
        proc = subprocess.Popen(
            list(command.argv),
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=command.cwd,
            env=command.environ(),
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
                outcome.take(event)
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
    return code, outcome.result, outcome.error, outcome.p90
