"""Answers checked as the user goes: coercion of raw input, earlier answers fitted to a step's
choices, the assets opened on the spot, the model timed for target suggestions, and the order
of the steps that apply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui import benchmarks
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.profile import Profile
from mlperf_tui.rules.model import Category, Scenario
from mlperf_tui.wizard import catalog
from mlperf_tui.wizard.answers import TARGET_PREFIX, _blank, build_profile
from mlperf_tui.wizard.machines_step import machines_problems
from mlperf_tui.wizard.model import Answers, AssetCheck, Info, Kind, Question, WizardContext
from mlperf_tui.wizard.power_step import power_problems
from mlperf_tui.wizard.steps import STEP_IDS, STEPS, bench_of, step

if TYPE_CHECKING:
    from mlperf_tui.cluster import ClusterCheck


def runner_estimate(cores: int | None) -> Callable[[Profile], list[tuple[str, float]]]:
    """The runner's plan with estimated durations from a rule of thumb for ``cores`` cores.

    Nothing is timed here (the settings step's calibration does that), so it is instant.
    """

    def estimate(profile: Profile) -> list[tuple[str, float]]:
        from mlperf_tui import run as runner

        calibration = runner.rule_of_thumb(profile, cores=cores)
        plan = runner.plan_runs(profile, calibration=calibration)
        return [(p.run_id, float(p.estimate_s)) for p in plan]

    return estimate


#: how long the review step's pre-flight waits for the director (the UI waits with it)
REVIEW_PROBE_TIMEOUT_S = 1.0


def runner_preflight(
    cores: int | None, profiles_dir: Path | None = None
) -> Callable[[Profile], tuple[list[Info], bool]]:
    """The pre-flight check (:func:`mlperf_tui.run.preflight`) as the review step's blocks:
    what the runs need (disk per filesystem, memory, time) against what the machine has, and
    whether anything is short. The plan's estimates are the rule of thumb for ``cores``.

    With power, the director is asked with a short timeout (:data:`REVIEW_PROBE_TIMEOUT_S`),
    and so are a Ray profile's cluster and a network profile's SUT nodes: the review is drawn
    while the user waits, and the run's own pre-flight asks again."""

    def check(profile: Profile) -> tuple[list[Info], bool]:
        from mlperf_tui import run as runner
        from mlperf_tui.power.director import DirectorInfo, probe

        def quick_probe(address: str, port: int, timeout_s: float) -> DirectorInfo:
            return probe(address, port, min(timeout_s, REVIEW_PROBE_TIMEOUT_S))

        def quick_machines(p: Profile) -> ClusterCheck:
            # the nodes' services answer in milliseconds; a Ray cluster's full check (a
            # probe process, detection on every node) takes seconds: here only its head
            from mlperf_tui.cluster import ClusterCheck
            from mlperf_tui.cluster.ray_check import head_address, reachable
            from mlperf_tui.run.preflight.machines import check_machines

            address = p.backend.address or "local"
            if p.network is None and address != "local":
                host, port = head_address(address)
                reachable(host, port, "the Ray cluster's head", "ray start --head")
                said = f"the head answers at {host}:{port}; the runs check the whole cluster"
                return ClusterCheck("ray", (), (said,))
            found = check_machines(p, timeout_s=REVIEW_PROBE_TIMEOUT_S)
            assert found is not None  # asked only of a Ray or network profile
            return found

        pf = runner.preflight(
            profile,
            profile_path=(profiles_dir or Path.cwd()) / "wizard.yaml",
            calibration=runner.rule_of_thumb(profile, cores=cores),
            cores=cores,
            power_probe=quick_probe,
            machines_check=quick_machines,
        )
        needs = tuple(
            (i.what, i.needed_text(), i.available_text(), i.status)
            for i in pf.items
            if i.kind != "time"
        )
        times = tuple((i.what, i.needed_text()) for i in pf.items if i.kind == "time")
        blocks = [
            Info(
                "What the runs need",
                columns=("check", "needed", "available", "status"),
                rows=needs,
            ),
            Info("How long they take here (estimates)", columns=("run", "time"), rows=times),
        ]
        notes = [i.note for i in pf.items if i.kind != "time" and i.note]
        if notes:
            blocks.append(Info("Notes", "\n".join(f"- {n}" for n in notes)))
        error = pf.error()
        if error is not None:
            blocks.insert(
                0,
                Info(
                    "The run would be refused",
                    f"{error.message}\nfix: {error.fix}",
                    severity="error",
                ),
            )
        return blocks, error is not None

    return check


# -- checking the assets on the spot -------------------------------------------------------------


def _check_url(what: str, url: str, sha: str) -> AssetCheck:
    if not url.startswith(("http://", "https://")):
        return AssetCheck(what, False, f"{url!r} is not an http(s) URL", "write the full URL")
    if len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
        return AssetCheck(what, False, "a URL needs its sha256 (64 hex digits)", "add the sha256")
    return AssetCheck(what, True, "URL and sha256 given; downloaded and verified at run time")


def check_assets(answers: Mapping[str, Any], base: Path | None = None) -> list[AssetCheck]:
    """Check the chosen model and data set now (a local path is opened; nothing is downloaded).

    Relative paths are taken against ``base`` (the folder the profile will be saved in).
    """
    from mlperf_tui import assets

    out = []
    bench = bench_of(answers)
    entry = benchmarks.get(bench.name, harness=str(answers.get("harness") or "builtin"))
    for what, prefix in (("model", "model"), ("data set", "dataset")):
        source = answers.get(f"{prefix}_source")
        if source == "synthetic":
            detail = (
                f"stand-in {answers.get('model_kind')}"
                if prefix == "model"
                else f"{answers.get('dataset_count')} generated samples"
            )
            out.append(
                AssetCheck(what, True, f"synthetic: {detail}, generated when the run starts")
            )
            continue
        if source == "url":
            out.append(
                _check_url(
                    what,
                    str(answers.get(f"{prefix}_url", "")).strip(),
                    str(answers.get(f"{prefix}_sha256", "")).strip(),
                )
            )
            continue
        raw = str(answers.get(f"{prefix}_path", "")).strip()
        if not raw:
            out.append(
                AssetCheck(what, False, f"no {what} path given", f"type the {what} path or browse")
            )
            continue
        path = Path(raw).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        try:
            if entry is None:
                raise MlperfTuiError(
                    f"mlperf-tui cannot run {bench.name}", "choose another benchmark"
                )
            if prefix == "model" and entry.check_model is not None:
                entry.check_model(path)
            elif prefix == "model":
                assets.check_model(path, entry, answers.get("model_kind") or None)
            else:
                assets.check_dataset(path, entry)
        except MlperfTuiError as exc:
            out.append(AssetCheck(what, False, exc.message, exc.fix))
        else:
            out.append(AssetCheck(what, True, f"{path} looks right"))
    return out


# -- calibration: time the model here and suggest targets ----------------------------------------


#: seconds each point of the calibration's sweep runs (the wizard waits for all of them)
CALIBRATE_POINT_SECONDS = 0.5


def calibrate_targets(
    answers: Mapping[str, Any],
    base: Path | None = None,
    on_progress: Callable[[str], None] = lambda text: None,
) -> tuple[dict[str, Any], str]:
    """Tune the backend to this machine and suggest each chosen scenario's target; returns
    ({answer key: value}, what was chosen and measured).

    The sweep (:func:`mlperf_tui.run.tune.tune`: batch size x threads x streams) reports each
    point through ``on_progress``; the settings it chose become the backend answers (threads,
    batch size, streams, and the other scenarios' own settings), and the targets come from the
    chosen points. Synthetic stand-ins are generated first (cached, so the run reuses them).
    """
    from mlperf_tui import run as runner
    from mlperf_tui.run.tune import chosen_lines, describe_point, tune, tuned_backend

    profile = build_profile(answers)
    profile_file = (base or Path.cwd()) / "wizard.yaml"
    on_progress("Preparing the model and data set (the stand-ins are generated the first time)")
    resolved = runner.resolve_assets(profile, profile_path=profile_file)

    def on_point(done: int, total: int, point: Mapping[str, Any]) -> None:
        on_progress(f"Tuning {done}/{total}: {describe_point(point)}")

    result = tune(profile, resolved, seconds=CALIBRATE_POINT_SECONDS, on_point=on_point)
    backend = tuned_backend(profile.backend, result)
    suggestions: dict[str, Any] = {
        "intra_op_threads": backend.intra_op_threads,
        "batch_size": backend.batch_size,
        "streams": backend.streams,
        "backend_per_scenario": {
            s.value: own.model_dump(exclude_none=True) for s, own in backend.per_scenario.items()
        },
    }
    for scenario in profile.scenarios:
        chosen = result.chosen.get(scenario)
        if chosen is None:
            continue
        if scenario == Scenario.SINGLE_STREAM:
            value = float(chosen["p50_ms"])
        elif scenario == Scenario.MULTI_STREAM:
            value = float(chosen["p90_ms"])
        elif scenario == Scenario.SERVER:
            value = float(chosen["throughput"]) * runner.TEST_SETTINGS.server_load_fraction
        else:
            value = float(chosen["throughput"])
        suggestions[TARGET_PREFIX + scenario.value] = float(f"{value:.3g}")
    return suggestions, "; ".join(chosen_lines(result))


# -- checking answers ---------------------------------------------------------------------------


def _coerce_number(question: Question, raw: Any, parse: Callable[[str], Any], what: str) -> Any:
    if _blank(raw):
        if question.required:
            raise ValueError(f"{question.prompt}: {what} is needed")
        return None
    try:
        value = parse(str(raw).strip())
    except ValueError:
        raise ValueError(f"{question.prompt}: {raw!r} is not {what}") from None
    if value <= 0 and question.kind == Kind.FLOAT:
        raise ValueError(f"{question.prompt}: must be more than 0")
    return value


def coerce(question: Question, raw: Any) -> Any:
    """A raw answer (text from an input) as the question's type; ValueError when it is not."""
    if question.kind == Kind.INT:
        return _coerce_number(question, raw, int, "a whole number")
    if question.kind == Kind.FLOAT:
        return _coerce_number(question, raw, float, "a number")
    if question.kind in (Kind.TEXT, Kind.PATH):
        text = "" if raw is None else str(raw).strip()
        if not text and question.required:
            raise ValueError(f"{question.prompt}: an answer is needed")
        return text
    if question.kind == Kind.MULTI:
        values = [str(v) for v in (raw or [])]
        locked = [c.value for c in question.choices if c.locked]
        allowed = [c.value for c in question.choices]
        chosen = [v for v in allowed if v in values or v in locked]
        if not chosen:
            raise ValueError(f"{question.prompt}: choose at least one")
        return chosen
    if question.kind == Kind.CHOICE:
        allowed = [c.value for c in question.choices]
        if str(raw) not in allowed:
            if not allowed:
                raise ValueError(f"{question.prompt}: nothing to choose from here")
            raise ValueError(f"{question.prompt}: {raw!r} is not one of {', '.join(allowed)}")
        return str(raw)
    if question.kind == Kind.BOOL:
        return bool(raw)
    return raw  # pragma: no cover


def normalise(step_id: str, answers: Answers, ctx: WizardContext) -> None:
    """Fit earlier answers to this step's choices before it is shown (rules may have changed).

    E.g. after choosing the closed division, the scenarios must include the required ones and
    drop those not allowed; targets of scenarios no longer chosen are dropped.
    """
    if step_id == "review" and _blank(answers.get("save_path")):
        answers["save_path"] = str(ctx.profiles_dir / "my-profile.yaml")
    if step_id == "benchmark":
        _fit_benchmark(answers, ctx)
    for q in step(step_id).questions(answers, ctx):
        value = answers.get(q.key)
        if q.kind == Kind.MULTI:
            allowed = [c.value for c in q.choices]
            locked = [c.value for c in q.choices if c.locked]
            current = [v for v in allowed if v in (value or []) or v in locked]
            answers[q.key] = current or allowed[:1]
        elif q.kind == Kind.CHOICE and q.choices:
            if str(value) not in [c.value for c in q.choices]:
                answers[q.key] = q.choices[0].value
        elif q.kind == Kind.BOOL and q.key == "infer_from_singlestream":
            answers[q.key] = bool(value)
    if step_id == "scenarios":
        bench = bench_of(answers)
        if not (answers.get("category") == Category.EDGE.value and bench.inferable_from):
            answers["infer_from_singlestream"] = False
    if step_id == "assets":
        entry = benchmarks.get(
            str(answers.get("benchmark", "")), harness=str(answers.get("harness") or "builtin")
        )
        if entry is not None and answers.get("model_kind") not in [k.name for k in entry.models]:
            answers["model_kind"] = entry.default_model.name
    for key in [k for k in answers if k.startswith(TARGET_PREFIX)]:
        if key.removeprefix(TARGET_PREFIX) not in answers.get("scenarios", []):
            del answers[key]


def _fit_benchmark(answers: Answers, ctx: WizardContext) -> None:
    """The benchmark must be in the round's suite of the category; the harness must suit it."""
    offered = [c.value for c in catalog.benchmark_choices(answers, ctx)]
    if offered and answers.get("benchmark") not in offered:
        answers["benchmark"] = offered[0]
    try:
        bench = bench_of(answers)
    except MlperfTuiError:
        return
    if answers.get("harness") not in catalog.harnesses_for(bench):
        answers["harness"] = catalog.group_of(bench)


def check_step(step_id: str, answers: Answers, ctx: WizardContext) -> list[str]:
    """Problems with this step's answers (empty: the wizard may go on). Coerces in place."""
    if not step(step_id).applies(answers):
        return []  # a step the answers skip asks nothing
    problems = []
    for q in step(step_id).questions(answers, ctx):
        if not q.applies(answers):
            continue
        try:
            answers[q.key] = coerce(q, answers.get(q.key))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        return problems
    if step_id == "start" and answers.get("start") == "open":
        return []  # the front end opens the file (open_profile) and reports its errors
    if step_id == "benchmark":
        bench = bench_of(answers)
        if answers.get("harness") not in catalog.harnesses_for(bench):
            return [f"{bench.name} cannot be run with harness {answers.get('harness')}"]
        return []
    if step_id == "power":
        problems = power_problems(answers)
        if problems:
            return problems
    if step_id == "hardware":
        problems = machines_problems(answers)
        if problems:
            return problems
    if step_id in ("scenarios", "assets", "engine", "import", "settings", "power", "review"):
        try:
            build_profile(_provisional(step_id, answers))
        except MlperfTuiError as exc:
            return [f"{exc.message} (fix: {exc.fix})"]
    return []


#: answers a later step asks, and what stands in for them when an earlier step is checked
_LATER: Mapping[str, Mapping[str, str]] = {
    "engine": {"endpoint_url": "http://127.0.0.1:8000/v1", "endpoint_model": "to-be-answered"},
    "import": {"import_from": "to-be-answered"},
    "power": {
        "power_director": "to-be-answered",
        "power_checkout": "to-be-answered",
        "power_ntp": "to-be-answered",
    },
}


def _provisional(step_id: str, answers: Mapping[str, Any]) -> Mapping[str, Any]:
    """The answers with stand-ins for what steps after ``step_id`` have not asked yet, so a
    step is checked against the rules without failing on a question still to come."""
    trial = dict(answers)
    here = STEP_IDS.index(step_id)
    for later, fillers in _LATER.items():
        if STEP_IDS.index(later) > here:
            for key, filler in fillers.items():
                if _blank(trial.get(key)):
                    trial[key] = filler
    return trial


def steps_for(answers: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids of the steps that apply to these answers, in order."""
    return tuple(s.id for s in STEPS if s.applies(answers))


def next_step(step_id: str, answers: Mapping[str, Any] | None = None) -> str | None:
    ids = steps_for(answers) if answers is not None else STEP_IDS
    i = STEP_IDS.index(step_id)
    later = [s for s in STEP_IDS[i + 1 :] if s in ids]
    return later[0] if later else None


def previous_step(step_id: str, answers: Mapping[str, Any] | None = None) -> str | None:
    ids = steps_for(answers) if answers is not None else STEP_IDS
    i = STEP_IDS.index(step_id)
    earlier = [s for s in STEP_IDS[:i] if s in ids]
    return earlier[-1] if earlier else None
