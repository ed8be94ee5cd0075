"""Running the plan: each LoadGen test in a harness child, results kept as they finish.

:func:`prepare` resolves the assets, times the model and plans the runs; :func:`execute` runs
the plan one child at a time, passing each child's JSON events to ``on_event`` (called on the
thread that runs ``execute``: a Textual worker posts them as messages), keeping them in
``events.jsonl``; cancel with a ``threading.Event``. The folder it writes is the results folder
of :mod:`mlperf_tui.results`; a write there that fails (a full disk, a read-only folder) is a
user error with the fix (:func:`mlperf_tui.results.results_write_failed`), and the runs that
finished before it keep their files and the summary written after them. The set it returns is
recorded in the run history (:mod:`mlperf_tui.history`); a history that cannot be written is a
``message`` event, never a failed run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui import benchmarks, compliance, rules
from mlperf_tui.errors import MlperfTuiError, RunError
from mlperf_tui.results import (
    HARNESS_EXIT,
    PLAN,
    PROFILE,
    RESULT,
    RUN_CONFIG,
    RUNS,
    STATUS_CANCELLED,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SKIPPED,
    SYSTEM,
    ResultsSet,
    RunResult,
    new_results_folder,
    results_write_failed,
    write_json,
    write_summary,
)
from mlperf_tui.rules.model import Mode
from mlperf_tui.run.calibrate import Calibration, calibrate, rule_of_thumb
from mlperf_tui.run.child import ChildOutcome, backend_options, run_child, run_config
from mlperf_tui.run.events import OnEvent, RunnerEvent, ignore
from mlperf_tui.run.inputs import ResolvedAssets, resolve_assets
from mlperf_tui.run.plan import PlannedRun, plan_runs, run_id_for
from mlperf_tui.run.power_run import LOADGEN_DIR, run_power_child
from mlperf_tui.run.running import registered
from mlperf_tui.run.running import warning as running_warning
from mlperf_tui.run.script import write_replay
from mlperf_tui.run.settings import CANCEL_GRACE_S, RESULTS_DIRNAME, TEST_SETTINGS, TestSettings

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile


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


def _verify_test06(run: PlannedRun, folder: Path, tokenizer: Path) -> dict[str, Any]:
    """TEST06 (LLM output consistency) on the audit run's accuracy log: verify_accuracy.txt."""
    from harness.accuracy_log import write_text_atomic
    from harness.loadgen_logs import ACCURACY_LOG
    from harness.tasks import TaskError
    from harness.tasks.llm_summarization.accuracy import BENCHMARKS
    from harness.tasks.llm_summarization.test06 import (
        DEFAULT_EOS_TOKEN_IDS,
        eos_token_id_of,
        verification_text,
        verify_test06,
    )

    eos = eos_token_id_of(tokenizer)
    if eos is None and run.benchmark in BENCHMARKS:
        eos = DEFAULT_EOS_TOKEN_IDS.get(BENCHMARKS[run.benchmark].name)
    if eos is None:
        return {
            "test": "TEST06",
            "passed": False,
            "messages": [f"the model's EOS token id is not in {tokenizer} (tokenizer_config.json)"],
        }
    try:
        passed, lines = verify_test06(
            folder / ACCURACY_LOG, scenario=run.scenario.value, eos_token_id=eos
        )
    except TaskError as exc:
        return {"test": "TEST06", "passed": False, "messages": [f"{exc.message} ({exc.fix})"]}
    write_text_atomic(folder / "verify_accuracy.txt", verification_text(lines))
    return {"test": "TEST06", "passed": passed, "messages": lines, "files": ["verify_accuracy.txt"]}


def _verify_compliance(
    run: PlannedRun,
    folder: Path,
    runs_dir: Path,
    results: Mapping[str, RunResult],
    dataset: Path,
    tokenizer: Path | None = None,
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
    elif run.compliance_test == "TEST06" and tokenizer is not None:
        return _verify_test06(run, folder, tokenizer)
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


def _tokenizer(profile: Profile, resolved: ResolvedAssets) -> Path | None:
    """An endpoint run's tokenizer folder (TEST06 reads the model's EOS id from it)."""
    from mlperf_tui.run.child import endpoint_options

    options = endpoint_options(profile, resolved)
    return None if options is None else options.tokenizer_dir


def system_facts(profile: Profile) -> dict[str, Any]:
    """system.json: what detection finds on this machine (never raises: a detection error is
    an ``_error`` entry)."""
    try:
        from mlperf_tui.system import detect

        desc = detect()
        return {
            v.name: {"value": v.value, "status": str(v.status), "reason": v.reason}
            for v in desc.fields
        }
    except Exception as exc:  # detection never stops a run; say what happened
        return {"_error": {"value": "", "status": "error", "reason": str(exc)}}


def machines_facts(profile: Profile, local: dict[str, Any]) -> dict[str, Any]:
    """system.json made to describe the SUT's nodes, for a Ray cluster (not ``local``) or the
    network division's SUT nodes (:func:`mlperf_tui.cluster.facts.cluster_facts`); as it is
    for one machine. A cluster that cannot be used is the ClusterError with its fix."""
    if profile.network is None and (
        profile.backend.name != "ray" or (profile.backend.address or "local") == "local"
    ):
        return local
    from mlperf_tui.cluster.facts import cluster_facts
    from mlperf_tui.run.preflight.machines import check_machines

    check = check_machines(profile)
    if check is None:
        return local
    in_flight = profile.network.in_flight if profile.network is not None else 0
    return cluster_facts(check, local, in_flight=in_flight)


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Writes into the results folder ``folder``: an OSError is the user error with the fix."""
    try:
        yield
    except OSError as exc:
        raise results_write_failed(exc, folder) from None


def results_root_for(
    profile: Profile, results_root: Path | None = None, profile_path: Path | None = None
) -> Path:
    """The folder the results folders go under: ``results_root``, else the profile's
    ``output`` (relative to ``profile_path``'s folder), else ./results (absolute)."""
    if results_root is None and profile.output:
        from mlperf_tui.profile import resolve_profile_path

        # a relative output in a profile is relative to the profile's folder
        results_root = resolve_profile_path(profile.output, profile_path)
    root = results_root or Path(RESULTS_DIRNAME)
    return root.expanduser().resolve()


def execute(
    plan: Sequence[PlannedRun],
    profile: Profile,
    resolved: ResolvedAssets,
    *,
    results_root: Path | None = None,
    folder: Path | None = None,
    on_event: OnEvent = ignore,
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
    from mlperf_tui.profile import dump_profile

    if profile.harness == "import":
        # another harness ran the tests: its logs are checked and recorded, nothing runs
        from mlperf_tui.importer import execute_import

        root = results_root_for(profile, results_root, profile_path)
        imported = execute_import(
            profile, results_root=root, folder=folder, on_event=on_event, profile_path=profile_path
        )
        _record_history(imported, profile_path, on_event)
        return imported
    cancel = cancel or threading.Event()
    created = folder is None
    if folder is None:
        folder = new_results_folder(results_root_for(profile, results_root, profile_path))
    runs_dir = folder / RUNS
    try:
        with _writing(folder):
            folder.mkdir(parents=True, exist_ok=True)
            runs_dir.mkdir(exist_ok=True)
            (folder / PROFILE).write_text(dump_profile(profile), encoding="utf-8")
            system_json = dict(system) if system is not None else system_facts(profile)
            system_json = machines_facts(profile, system_json)
            write_json(folder / SYSTEM, system_json)
            write_json(folder / PLAN, [r.to_dict() for r in plan])
            # the exact commands behind these runs, before the first one starts
            write_replay(folder, plan, profile, resolved, system_json, profile_path=profile_path)
    except MlperfTuiError:
        if created:  # the new folder holds nothing worth keeping (a read-only disk keeps it)
            shutil.rmtree(folder, ignore_errors=True)
        raise
    bench = rules.get_benchmark(profile.benchmark, profile.round)
    entry = benchmarks.require(bench.name, harness=profile.harness)

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
    failed = False
    # other runs writing beside this one share the machine: say so (their folders are theirs)
    in_progress = contextlib.ExitStack()
    beside = running_warning(in_progress.enter_context(registered(folder.parent, folder)))
    if beside:
        on_event(RunnerEvent("message", data={"text": beside}))
    try:
        for index, run in enumerate(plan):
            run_dir = runs_dir / run.run_id
            if cancel.is_set() or stop_reason:
                res = skipped_run(run, run_dir, stop_reason or NOT_STARTED_CANCELLED)
                results_set.runs.append(res)
                by_id[run.run_id] = res
                continue
            with _writing(folder):
                run_dir.mkdir(parents=True, exist_ok=False)
                (run_dir / "user.conf").write_text(run.user_conf(), encoding="utf-8")
                if run.compliance_test:
                    (run_dir / "audit.config").write_text(
                        rules.audit_config(run.compliance_test, bench), encoding="utf-8"
                    )
                config = run_config(run, profile, resolved, run_dir, task=run.task)
                if run.power:
                    # LoadGen's logs go to the power client's -L folder (mlperf_tui.run.power_run)
                    config = dataclasses.replace(config, output_dir=run_dir / LOADGEN_DIR)
                config.write(run_dir / RUN_CONFIG)
            on_event(RunnerEvent("run_start", run.run_id, index, total, data=run.to_dict()))
            t0 = time.monotonic_ns()
            with _writing(folder):  # the child's events.jsonl and harness.stderr.log
                if run.power and profile.power is not None:
                    code, outcome = run_power_child(
                        run,
                        run_dir,
                        index,
                        total,
                        on_event,
                        cancel,
                        profile.power,
                        python_path=entry.python_path,
                        profile_path=profile_path,
                    )
                    result_ev, error_ev, p90 = outcome.result, outcome.error, outcome.p90
                else:
                    code, result_ev, error_ev, p90 = run_child(
                        run,
                        run_dir,
                        index,
                        total,
                        on_event,
                        cancel,
                        cancel_grace_s,
                        entry.python_path,
                    )
            duration_s = round((time.monotonic_ns() - t0) / 1e9, 3)
            with _writing(folder):
                write_json(run_dir / HARNESS_EXIT, {"exit_code": code, "duration_s": duration_s})
            res = finish_run(
                run,
                folder,
                code,
                ChildOutcome(result_ev, error_ev, p90),
                cancelled=cancel.is_set(),
                done=by_id,
                dataset=resolved.dataset_path,
                tokenizer=_tokenizer(profile, resolved),
                duration_s=duration_s,
            )
            results_set.runs.append(res)
            by_id[run.run_id] = res
            # after every run, not only at the end: a runner killed later (SIGKILL, power
            # loss) leaves a summary of the runs that finished, marked incomplete
            with _writing(folder):
                write_summary(results_set)
            on_event(RunnerEvent("run_end", run.run_id, index, total, result=res))
            stop_reason = setup_stop_reason(res)
    except BaseException:
        failed = True
        raise
    finally:
        results_set.complete = (
            not cancel.is_set()
            and len(results_set.runs) == total
            and all(r.ok for r in results_set.runs)
        )
        summary_error: MlperfTuiError | None = None
        try:
            with _writing(folder):
                write_summary(results_set)
        except MlperfTuiError as exc:
            summary_error = exc  # after another error, that one is what the user sees
        on_event(
            RunnerEvent(
                "done", total=total, data={"complete": results_set.complete, "folder": str(folder)}
            )
        )
        in_progress.close()
        if summary_error is not None and not failed:
            raise summary_error
    _record_history(results_set, profile_path, on_event)
    return results_set


# -- the run history ---------------------------------------------------------------------------


def _record_history(results: ResultsSet, profile_path: Path | None, on_event: OnEvent) -> None:
    """Record the set in the run history (:mod:`mlperf_tui.history`); a history that cannot
    be written is a note to the user, never a failed run."""
    from mlperf_tui import history

    note = history.try_record(results, profile_path=profile_path)
    if note:
        on_event(RunnerEvent("message", data={"text": note}))


# -- after a child: its record ------------------------------------------------------------------

#: the message of a run a cancel kept from starting
NOT_STARTED_CANCELLED = "cancelled before it started"


def skipped_run(run: PlannedRun, run_dir: Path, reason: str) -> RunResult:
    """The record of a planned run that did not start (a cancel, or an earlier setup failure)."""
    return RunResult(
        run.run_id, run.benchmark, run.scenario.value, run.mode.value, run.compliance_test,
        STATUS_SKIPPED, run_dir, message=reason, estimate_s=run.estimate_s,
    )  # fmt: skip


def setup_stop_reason(res: RunResult) -> str:
    """Why the runs after ``res`` do not start: a setup failure (the harness rejected its
    config or inputs, exit code 2), after which nothing more would work; "" otherwise."""
    if res.exit_code != 2:
        return ""
    return f"not started: {res.run_id} could not set up ({res.message})"


def finish_run(
    run: PlannedRun,
    folder: Path,
    code: int,
    outcome: ChildOutcome,
    *,
    cancelled: bool,
    done: Mapping[str, RunResult],
    dataset: Path,
    tokenizer: Path | None = None,
    duration_s: float | None = None,
) -> RunResult:
    """The record of a run whose child exited with ``code``: its result from the child's
    events, the exit code and LoadGen's logs, the compliance verification of an audit run
    (against the runs ``done`` before it), written as the run's result.json. One way for the
    runner, after each child, and for ``mlperf-tui record``, after a replay script's."""
    run_dir = folder / RUNS / run.run_id
    res = _result_from(run, run_dir, code, outcome.result, outcome.error, outcome.p90, cancelled)
    res.duration_s = duration_s
    if run.power and res.ok:
        res.power = _power_figure(run_dir, run.scenario.value)
    if run.compliance_test and res.ok:
        with _writing(folder):
            res.compliance = _verify_compliance(
                run, run_dir, folder / RUNS, done, dataset, tokenizer
            )
    with _writing(folder):
        write_json(run_dir / RESULT, res.to_dict(folder))
    return res


def _power_figure(run_dir: Path, scenario: str) -> dict[str, Any] | None:
    """A power run's figure as the checker computes it (W or mJ/query), None when its
    samples give none (the validator says why)."""
    from mlperf_tui.validate.power import power_figure

    figure = power_figure(run_dir, scenario)
    return None if figure is None else dataclasses.asdict(figure)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


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
        if code < 0:  # the child was killed by a signal (the OOM killer, `kill -9`)
            res.message = (
                f"the harness was killed by {_signal_name(-code)} before the run finished "
                "(out of memory, or killed by hand?); see harness.stderr.log"
            )
    figures = _loadgen_figures(folder)
    res.valid = figures.get("result_valid")
    res.metric_name = figures.get("metric_name")
    res.metric_value = figures.get("metric_value")
    res.metric_unit = figures.get("metric_unit")
    res.early_stopping_met = figures.get("early_stopping_met")
    res.errors = [str(e) for e in figures.get("error_messages") or []]
    res.warnings = [str(w) for w in figures.get("warning_messages") or []]
    tokens = figures.get("tokens") or {}
    for attr, key in (("ttft_p99_ms", "ttft_ns"), ("tpot_p99_ms", "tpot_ns")):
        value = (tokens.get(key) or {}).get("99.00")
        setattr(res, attr, None if value is None else round(float(value) / 1e6, 3))
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

    def speed_line(self) -> str:
        """What the plan was sized from, in a line: the model timed here, the engine's
        expected speed, or what another harness's logs measured."""
        cal, n = self.calibration, len(self.plan)
        if self.profile.harness == "import":
            found = f"{n} run{'' if n == 1 else 's'} from {self.resolved.model_path}"
            if cal.throughput > 0:
                found += (
                    f"; {cal.throughput:,.1f} samples/s, {cal.latency_s * 1e3:,.2f} ms per "
                    f"sample ({cal.source})"
                )
            return f"Imported logs: {found}"
        if self.profile.harness == "endpoint":
            return (
                f"The engine: {cal.throughput:,.1f} samples/s ({cal.source}; the profile's "
                "targets size the runs)"
            )
        return f"Model on this machine: {cal.describe()}"


def time_model(
    profile: Profile, resolved: ResolvedAssets, *, batch_size: int | None = None
) -> Calibration:
    """Time the profile's model on this machine (a harness child; RunError when it fails).

    The throughput is timed with the settings of the throughput scenario the profile runs
    (Offline, else Server: batch size and streams), the one-sample latency with the thread
    count of SingleStream's. A valid run's plan rests on it (LoadGen sizes the Offline query
    from it), so there it is timed for longer, on as many of the data set's samples as a run
    loads.
    """
    from mlperf_tui import rules
    from mlperf_tui.rules.model import Execution, Scenario

    entry = benchmarks.require(profile.benchmark)
    model = entry.model(profile.require_assets().model.kind)
    throughput_scenario = next(
        (s for s in (Scenario.OFFLINE, Scenario.SERVER) if s in profile.scenarios),
        profile.scenarios[0],
    )
    latency_threads = profile.backend.for_scenario(Scenario.SINGLE_STREAM)[0] or None
    valid = profile.execution == Execution.VALID
    samples = None
    if valid:
        psc = rules.get_benchmark(profile.benchmark, profile.round).performance_sample_count
        samples = min(psc, resolved.dataset_size or psc)
    with tempfile.TemporaryDirectory(prefix="mlperf-tui-calibrate-") as scratch:
        folder = Path(scratch)
        (folder / "user.conf").write_text("", encoding="utf-8")
        config = run_config(
            None, profile, resolved, folder, task=entry.task, task_options=dict(model.task_options)
        )
        config = dataclasses.replace(config, backend=backend_options(profile, throughput_scenario))
        if config.network is not None:
            # the SUT nodes run the profile's model: it is timed here, on the same file (the
            # Offline run times itself through the nodes before LoadGen starts)
            config = dataclasses.replace(config, network=None)
        replicas = 1
        ray = config.backend.ray
        if ray is not None:
            # one replica's session timed here, times the replicas: starting a cluster's
            # replicas to time them one call at a time would say far less (and take long)
            replicas = ray.replicas
            config = dataclasses.replace(
                config,
                backend=dataclasses.replace(
                    config.backend, name="onnxruntime", streams=1, ray=None
                ),
            )
        if batch_size is not None:
            config = dataclasses.replace(
                config, backend=dataclasses.replace(config.backend, batch_size=batch_size)
            )
        timed = calibrate(
            config,
            folder / RUN_CONFIG,
            python_path=entry.python_path,
            budget_s=4.0 if valid else 1.0,
            samples=samples,
            latency_threads=latency_threads,
        )
        if replicas > 1:
            timed = dataclasses.replace(timed, throughput=timed.throughput * replicas)
        return timed


def prepare(
    profile: Profile,
    *,
    profile_path: Path | None = None,
    cache_dir: Path | None = None,
    on_event: OnEvent = ignore,
    calibrate_model: bool = True,
    short: TestSettings = TEST_SETTINGS,
) -> Prepared:
    """Resolve the assets, time the model, plan the runs."""
    if profile.harness == "import":
        # the logs are checked here, so a refusal comes before anything is written
        from mlperf_tui.importer import prepare_import

        return prepare_import(profile, profile_path=profile_path)
    resolved = resolve_assets(
        profile, profile_path=profile_path, cache_dir=cache_dir, on_event=on_event
    )
    if profile.harness == "endpoint":
        # the engine must answer before anything is planned; its speed is the user's targets
        # (or a rule of thumb): timing it would cost the engine's warm-up
        from mlperf_tui.run.child import probe_endpoint

        probe_endpoint(profile, resolved)
        calibrate_model = False
    if profile.backend.auto and profile.harness == "builtin":
        from mlperf_tui.run.tune import auto_backend, chosen_lines, describe_point

        def say(text: str) -> None:
            on_event(RunnerEvent("message", data={"text": text}))

        def on_point(done: int, total: int, point: Mapping[str, Any]) -> None:
            say(f"  tuning {done}/{total}: {describe_point(point)}")

        backend, tuned = auto_backend(profile, resolved, on_point=on_point, on_message=say)
        for line in chosen_lines(tuned):
            say(f"  {line}")
        profile = profile.model_copy(update={"backend": backend})
    cal: Calibration | None = None
    if calibrate_model:
        on_event(RunnerEvent("message", data={"text": "Timing the model on this machine"}))
        try:
            cal = time_model(profile, resolved)
        except (RunError, ValueError, KeyError) as exc:
            on_event(
                RunnerEvent(
                    "message", data={"text": f"model timing failed ({exc}); using a rule of thumb"}
                )
            )
    plan = plan_runs(profile, calibration=cal, dataset_size=resolved.dataset_size, short=short)
    return Prepared(profile, resolved, cal or rule_of_thumb(profile), plan)
