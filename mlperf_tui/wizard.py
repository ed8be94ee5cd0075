"""The wizard's questions, without a user interface (no Textual, no questionary here).

Both front ends, the Textual wizard (``mlperf_tui.tui``) and the plain prompts
(``mlperf_tui.plain``), walk the same :data:`STEPS`, ask the same :class:`Question` objects with
the same defaults and allowed choices (derived from :mod:`mlperf_tui.rules`), and build the
profile with the same :func:`build_profile`; so the saved YAML is the same whichever front end
wrote it.

Answers are a flat mapping from a question's ``key`` to its value. The defaults are the answers
of the embedded quickstart profile (:func:`mlperf_tui.profile.default_profile`), so a user who
accepts every default gets exactly ``profiles/quickstart.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import MlperfTuiError, ProfileError
from mlperf_tui.profile import (
    EXECUTION_PROVIDERS,
    Profile,
    default_profile,
    dump_profile,
    load_profile,
    profile_to_dict,
    save_profile,
)
from mlperf_tui.rules.model import Benchmark, Category, Division, Execution, Mode, Scenario

Answers = dict[str, Any]

#: scenarios sized by a latency target (ms); the others by queries per second
LATENCY_SCENARIOS: tuple[Scenario, ...] = (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)

#: prefix of the answers that go to the systems JSON (profile ``system:``)
SYSTEM_PREFIX = "system."
#: prefix of the per-scenario targets (profile ``targets:``)
TARGET_PREFIX = "target."


class Kind(StrEnum):
    CHOICE = "choice"  # one of ``choices``
    MULTI = "multi"  # a list of values from ``choices``
    TEXT = "text"
    INT = "int"
    FLOAT = "float"  # blank allowed when not required (None)
    PATH = "path"  # a local file or folder; the TUI offers a picker
    BOOL = "bool"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    #: extra columns the TUI shows in a table, the plain prompts after the label
    detail: tuple[str, ...] = ()
    #: a required selection of a MULTI question: always selected, cannot be removed
    locked: bool = False


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    kind: Kind
    help: str = ""
    choices: tuple[Choice, ...] = ()
    #: column names for ``Choice.detail`` (a CHOICE question with details is shown as a table)
    columns: tuple[str, ...] = ()
    required: bool = True
    #: asked only when this returns True for the current answers
    when: Callable[[Mapping[str, Any]], bool] | None = None

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when is None or self.when(answers)


@dataclass(frozen=True)
class Info:
    """Something a step shows above its questions: a short text or a table."""

    title: str
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    #: one or two sentences of plain language on what this step decides
    explanation: str
    questions: Callable[[Mapping[str, Any], WizardContext], list[Question]]
    info: Callable[[Mapping[str, Any], WizardContext], list[Info]] = lambda a, c: []


@dataclass
class WizardContext:
    """What the steps need beyond the answers: the detected system, and core services.

    ``system`` is :func:`mlperf_tui.system.detect`'s description (or None); ``estimate`` maps a
    profile to its run plan ``[(run_id, estimate_s), ...]`` (the runner's, when present).
    """

    system: Any = None
    estimate: Callable[[Profile], list[tuple[str, float]]] | None = None
    providers_here: tuple[str, ...] = ()
    #: where the review step proposes to save the profile
    profiles_dir: Path = Path("profiles")
    extra: dict[str, Any] = field(default_factory=dict)


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


# -- answers <-> profile -------------------------------------------------------------------------


def answers_from_profile(profile: Profile) -> Answers:
    """The answers that build ``profile`` (used for the defaults and for "open a profile")."""
    data = profile_to_dict(profile)
    model = data["assets"]["model"]
    dataset = data["assets"]["dataset"]
    answers: Answers = {
        "start": "new",
        "open_path": "",
        "round": data["round"],
        "benchmark": data["benchmark"],
        "division": data["division"],
        "category": data["category"],
        "scenarios": list(data["scenarios"]),
        "modes": list(data["modes"]),
        "infer_from_singlestream": bool(data.get("infer_from_singlestream", False)),
        "execution": data["execution"],
        "execution_provider": data["backend"]["execution_provider"],
        "intra_op_threads": int(data["backend"]["intra_op_threads"]),
        "batch_size": int(data["backend"]["batch_size"]),
        "model_source": model["source"],
        "model_kind": model.get("kind") or _default_kind(str(data["benchmark"])),
        "model_path": model.get("path", ""),
        "model_url": model.get("url", ""),
        "model_sha256": model.get("sha256", ""),
        "dataset_source": dataset["source"],
        "dataset_count": dataset.get("count"),
        "dataset_path": dataset.get("path", ""),
        "dataset_url": dataset.get("url", ""),
        "dataset_sha256": dataset.get("sha256", ""),
        "assets_seed": int(data["assets"].get("seed", 0)),
        "submitter": data.get("submitter", ""),
        "system_name": data.get("system_name", ""),
        "output": data.get("output", ""),
    }
    for key, value in data.get("system", {}).items():
        answers[SYSTEM_PREFIX + key] = str(value)
    for scenario, target in data.get("targets", {}).items():
        value = target.get("target_latency_ms", target.get("target_qps"))
        answers[TARGET_PREFIX + scenario] = value
    return answers


def _default_kind(benchmark: str) -> str:
    entry = benchmarks.get(benchmark)
    return entry.default_model.name if entry else ""


def default_answers() -> Answers:
    """The quickstart's answers."""
    return answers_from_profile(default_profile())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def profile_data(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as plain data (before validation), from the answers."""
    a = answers
    model: dict[str, Any] = {"source": a["model_source"]}
    default_kind = _default_kind(str(a["benchmark"]))
    kind = str(a.get("model_kind") or default_kind)
    if a["model_source"] == "synthetic":
        model["kind"] = kind
    elif kind and kind != default_kind:
        model["kind"] = kind  # a file or URL of another model than the reference
    if a["model_source"] == "path":
        model["path"] = str(a.get("model_path", "")).strip()
    elif a["model_source"] == "url":
        model["url"] = str(a.get("model_url", "")).strip()
    if a["model_source"] != "synthetic" and not _blank(a.get("model_sha256")):
        model["sha256"] = str(a["model_sha256"]).strip()
    dataset: dict[str, Any] = {"source": a["dataset_source"]}
    if not _blank(a.get("dataset_count")):
        dataset["count"] = int(a["dataset_count"])
    if a["dataset_source"] == "path":
        dataset["path"] = str(a.get("dataset_path", "")).strip()
    elif a["dataset_source"] == "url":
        dataset["url"] = str(a.get("dataset_url", "")).strip()
    if a["dataset_source"] != "synthetic" and not _blank(a.get("dataset_sha256")):
        dataset["sha256"] = str(a["dataset_sha256"]).strip()

    scenarios = [str(s) for s in a["scenarios"]]
    targets: dict[str, Any] = {}
    for scenario in scenarios:
        value = a.get(TARGET_PREFIX + scenario)
        if value is None or _blank(value):
            continue
        key = "target_latency_ms" if scenario in LATENCY_SCENARIOS else "target_qps"
        targets[scenario] = {key: float(value)}

    data: dict[str, Any] = {
        "schema_version": 1,
        "round": a["round"],
        "benchmark": a["benchmark"],
        "division": a["division"],
        "category": a["category"],
        "scenarios": scenarios,
        "modes": [str(m) for m in a["modes"]],
        "execution": a["execution"],
        "infer_from_singlestream": bool(a.get("infer_from_singlestream", False)),
        "backend": {
            "execution_provider": a["execution_provider"],
            "intra_op_threads": int(a["intra_op_threads"]),
            "batch_size": int(a["batch_size"]),
        },
        "targets": targets,
        "assets": {"model": model, "dataset": dataset, "seed": int(a.get("assets_seed", 0))},
        "system": {
            key.removeprefix(SYSTEM_PREFIX): str(value).strip()
            for key, value in a.items()
            if key.startswith(SYSTEM_PREFIX) and not _blank(value)
        },
    }
    for key in ("submitter", "system_name", "output"):
        if not _blank(a.get(key)):
            data[key] = str(a[key]).strip()
    return data


def build_profile(answers: Mapping[str, Any]) -> Profile:
    """Validate the answers as a profile; a ProfileError says which answer breaks which rule."""
    from pydantic import ValidationError

    try:
        return Profile.model_validate(profile_data(answers))
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ProfileError(
            f"{where}: {str(err['msg']).removeprefix('Value error, ')}",
            "go back to the step that asks it and change the answer",
        ) from None


def profile_text(answers: Mapping[str, Any]) -> str:
    """The YAML the wizard saves for these answers."""
    return dump_profile(build_profile(answers))


def save_answers(answers: Mapping[str, Any], path: str | Path, *, overwrite: bool = False) -> Path:
    """Save the profile the answers build; an existing file is kept unless ``overwrite``."""
    return save_profile(build_profile(answers), path, overwrite=overwrite)


def open_profile(path: str | Path) -> Answers:
    """The answers of a saved profile (the wizard's "open" start)."""
    answers = answers_from_profile(load_profile(path))
    answers["start"] = "open"
    answers["open_path"] = str(path)
    return answers


# -- what the rules say, for the steps ------------------------------------------------------------


def _bench(answers: Mapping[str, Any]) -> Benchmark:
    return rules.get_benchmark(str(answers["benchmark"]), str(answers["round"]))


def _names(items: Sequence[Any]) -> str:
    return ", ".join(str(getattr(i, "value", i)) for i in items) or "none"


def accuracy_gate(bench: Benchmark) -> str:
    """The accuracy a run must reach, e.g. "acc >= 75.695 (99% of 76.46)"."""
    return "; ".join(t.describe() for t in bench.accuracy) or "none"


def implications(bench: Benchmark, division: Division, category: Category) -> list[str]:
    """What choosing this division and category means for this benchmark, in plain words."""
    required = rules.required_scenarios(bench, category)
    allowed = rules.allowed_scenarios(bench, category, division)
    compliance = rules.compliance_tests(bench, division)
    lines = []
    if division == Division.CLOSED:
        lines.append(
            f"Required scenarios: {_names(required)} (each with performance and accuracy)."
        )
        lines.append(f"Compliance tests: {_names(compliance)}.")
        lines.append(f"Accuracy gate: {accuracy_gate(bench)}; the reference model is required.")
    else:
        lines.append(f"Scenarios: any of {_names(allowed)}; none is required.")
        lines.append("Compliance tests: none. Any model may be used; accuracy is reported.")
    return lines


def benchmark_estimate(answers: Mapping[str, Any], ctx: WizardContext, name: str) -> str:
    """The estimated time of the default plan for benchmark ``name`` here, or "-"."""
    if ctx.estimate is None:
        return "-"
    trial = dict(answers)
    trial["benchmark"] = name
    try:
        bench = rules.get_benchmark(name, str(answers["round"]))
        category = Category(str(answers["category"]))
        allowed = rules.allowed_scenarios(bench, category, Division(str(answers["division"])))
        trial["scenarios"] = [s.value for s in allowed if s.value in answers["scenarios"]] or [
            s.value for s in rules.required_scenarios(bench, category)
        ]
        plan = ctx.estimate(build_profile(trial))
    except (MlperfTuiError, ValueError, KeyError):
        return "-"
    return format_seconds(sum(s for _, s in plan))


def format_seconds(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


# -- the steps -----------------------------------------------------------------------------------


def _start_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "start",
            "Start",
            Kind.CHOICE,
            choices=(
                Choice("new", "A new profile (starts from the quickstart's answers)"),
                Choice("open", "Open a saved profile and change it"),
            ),
        ),
        Question(
            "open_path",
            "Profile to open",
            Kind.PATH,
            help="A .yaml profile, e.g. profiles/quickstart.yaml.",
            when=lambda ans: ans.get("start") == "open",
        ),
    ]


def _system_entries(system: Any) -> list[tuple[str, Any, str, str]]:
    """(field, value, status, reason) of a detected system description, whatever its shape."""
    if system is None:
        return []
    fields = getattr(system, "fields", system)
    if isinstance(fields, Mapping):
        items = list(fields.items())
    else:
        items = [(getattr(f, "name", ""), f) for f in fields]
    out = []
    for name, entry in items:
        if isinstance(entry, Mapping):
            value, status, reason = entry.get("value"), entry.get("status"), entry.get("reason")
        else:
            value = getattr(entry, "value", entry)
            status = getattr(entry, "status", "")
            reason = getattr(entry, "reason", "")
        out.append(
            (str(name), value, str(getattr(status, "value", status) or ""), str(reason or ""))
        )
    return out


#: statuses of a system field that detection could not fill (the user must answer)
ASK_STATUSES = ("ask", "needs_answer", "unknown", "missing", "required", "answer")


def fields_to_ask(system: Any) -> list[str]:
    """Systems-JSON fields the rules need that detection could not know."""
    top = {"division", "submitter", "system_name"}
    return [
        name
        for name, _, status, _ in _system_entries(system)
        if status.lower() in ASK_STATUSES and name not in top
    ]


def _hardware_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    round_rules = rules.get_round(str(a["round"]))
    by_name = {f.name: f for f in round_rules.system_fields}
    questions = [
        Question(
            "submitter",
            "Submitter",
            Kind.TEXT,
            help="Your organisation; it names the package's submitter folder.",
        ),
        Question(
            "system_name",
            "System name",
            Kind.TEXT,
            help="The name the results table shows; blank: made from the detected hardware.",
            required=False,
        ),
    ]
    for name in fields_to_ask(ctx.system):
        spec = by_name.get(name)
        if spec is None or name == "system_type":
            continue
        if spec.allowed:
            questions.append(
                Question(
                    SYSTEM_PREFIX + name,
                    name,
                    Kind.CHOICE,
                    help=spec.description,
                    choices=(
                        Choice("", "(answer later)"),
                        *tuple(Choice(v, v) for v in spec.allowed),
                    ),
                    required=False,
                )
            )
        else:
            questions.append(
                Question(
                    SYSTEM_PREFIX + name, name, Kind.TEXT, help=spec.description, required=False
                )
            )
    return questions


def _hardware_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    rows = tuple(
        (name, "" if value is None else str(value), status, reason)
        for name, value, status, reason in _system_entries(ctx.system)
    )
    if not rows:
        return [Info("Detected system", "Detection is not available.")]
    return [Info("Detected system", columns=("field", "value", "status", "why"), rows=rows)]


def _benchmark_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    round_rules = rules.get_round(str(a["round"]))
    choices = []
    for bench in round_rules.benchmarks.values():
        runnable = benchmarks.get(bench.name) is not None
        runs = "yes" if runnable else "no"
        est = benchmark_estimate(a, ctx, bench.name) if runnable else "-"
        choices.append(
            Choice(
                bench.name,
                bench.name,
                (runs, est, accuracy_gate(bench), bench.task, bench.dataset, bench.reference_model),
            )
        )
    return [
        Question(
            "benchmark",
            "Benchmark",
            Kind.CHOICE,
            help="Only benchmarks with a built-in harness can run here.",
            choices=tuple(choices),
            columns=(
                "harness",
                "est. here",
                "accuracy target",
                "task",
                "data set",
                "reference model",
            ),
        ),
        Question(
            "round",
            "Round",
            Kind.CHOICE,
            help="The MLPerf Inference round whose rules apply.",
            choices=tuple(Choice(v, v) for v in rules.ROUNDS),
        ),
    ]


_CATEGORY_LABELS: Mapping[Category, str] = {
    Category.EDGE: "edge: devices at the edge (SingleStream, MultiStream, Offline)",
    Category.DATACENTER: "datacenter: servers (Server, Offline)",
}


def _division_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    bench = _bench(a)
    return [
        Question(
            "division",
            "Division",
            Kind.CHOICE,
            choices=(
                Choice("open", "open: any model and scenarios; results are reported as they are"),
                Choice(
                    "closed", "closed: the reference model and every scenario the rules require"
                ),
            ),
        ),
        Question(
            "category",
            "Category",
            Kind.CHOICE,
            help=f"{bench.name} is in the {_names(bench.categories)} suite of {a['round']}.",
            choices=tuple(Choice(c.value, _CATEGORY_LABELS[c]) for c in bench.categories),
        ),
    ]


def _division_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    bench = _bench(a)
    out = []
    for category in bench.categories:
        for division in (Division.OPEN, Division.CLOSED):
            out.append(
                Info(
                    f"{division.value} / {category.value}",
                    "\n".join(implications(bench, division, category)),
                )
            )
    return out


def _scenario_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    bench = _bench(a)
    division = Division(str(a["division"]))
    category = Category(str(a["category"]))
    allowed = rules.allowed_scenarios(bench, category, division)
    required = rules.required_scenarios(bench, category) if division == Division.CLOSED else ()
    closed = division == Division.CLOSED
    questions = [
        Question(
            "scenarios",
            "Scenarios",
            Kind.MULTI,
            help="How LoadGen sends queries. Required ones are fixed in the closed division.",
            choices=tuple(
                Choice(
                    s.value,
                    s.value + (" (required)" if s in required else ""),
                    locked=s in required,
                )
                for s in allowed
            ),
        ),
        Question(
            "modes",
            "Modes",
            Kind.MULTI,
            help="A performance run measures speed; an accuracy run checks the results.",
            choices=tuple(
                Choice(m.value, m.value + (" (required)" if closed else ""), locked=closed)
                for m in Mode
            ),
        ),
    ]
    if category == Category.EDGE and bench.inferable_from:
        inferable = _names(sorted(bench.inferable_from, key=list(Scenario).index))
        questions.append(
            Question(
                "infer_from_singlestream",
                f"Fill {inferable} from the SingleStream run",
                Kind.BOOL,
                help="The rules let edge systems report these from SingleStream instead of running them.",
            )
        )
    return questions


def _model_choices(a: Mapping[str, Any]) -> tuple[Choice, ...]:
    entry = benchmarks.get(str(a.get("benchmark", "")))
    if entry is None:
        return ()
    synthetic = a.get("model_source") == "synthetic"
    return tuple(
        Choice(k.name, f"{k.name}: {k.title}")
        for k in entry.models
        if not synthetic or k.standin is not None
    )


def _asset_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    sources = (
        Choice("synthetic", "synthetic stand-in, generated here (no download)"),
        Choice("path", "a local path"),
        Choice("url", "a URL, verified with its sha256"),
    )
    return [
        Question("model_source", "Model", Kind.CHOICE, choices=sources),
        Question(
            "model_kind",
            "Which model",
            Kind.CHOICE,
            help="Synthetic: the graph generated with random weights. A file or URL: which "
            "model it is (the reference, or an open-division one).",
            choices=_model_choices(a),
        ),
        Question(
            "model_path",
            "Model file (.onnx)",
            Kind.PATH,
            when=lambda ans: ans.get("model_source") == "path",
        ),
        Question(
            "model_url", "Model URL", Kind.TEXT, when=lambda ans: ans.get("model_source") == "url"
        ),
        Question(
            "model_sha256",
            "Model sha256",
            Kind.TEXT,
            help="64 hex digits, from `sha256sum FILE`.",
            required=False,
            when=lambda ans: ans.get("model_source") in ("path", "url"),
        ),
        Question("dataset_source", "Data set", Kind.CHOICE, choices=sources),
        Question(
            "dataset_count",
            "Samples",
            Kind.INT,
            help="Synthetic: how many to generate. Path or URL: use only the first N (blank: all).",
            required=False,
        ),
        Question(
            "dataset_path",
            "Data set folder",
            Kind.PATH,
            help=_dataset_help(a),
            when=lambda ans: ans.get("dataset_source") == "path",
        ),
        Question(
            "dataset_url",
            "Data set URL",
            Kind.TEXT,
            when=lambda ans: ans.get("dataset_source") == "url",
        ),
        Question(
            "dataset_sha256",
            "Data set sha256",
            Kind.TEXT,
            required=False,
            when=lambda ans: ans.get("dataset_source") in ("path", "url"),
        ),
    ]


def _dataset_help(a: Mapping[str, Any]) -> str:
    entry = benchmarks.get(str(a.get("benchmark", "")))
    return f"A folder of {entry.dataset.name}." if entry else "The benchmark's data set folder."


def _settings_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    here = set(ctx.providers_here)
    questions = [
        Question(
            "execution",
            "Execution",
            Kind.CHOICE,
            choices=(
                Choice("test", "test: short runs to try things (minutes); not submittable"),
                Choice("valid", "valid: the rules' full settings (at least 10 minutes a run)"),
            ),
        ),
        Question(
            "execution_provider",
            "Execution provider",
            Kind.CHOICE,
            help="The ONNX Runtime backend that runs the model.",
            choices=tuple(
                Choice(p, p + ("" if not here or p in here else " (not installed here)"))
                for p in EXECUTION_PROVIDERS
            ),
        ),
        Question(
            "intra_op_threads",
            "Threads",
            Kind.INT,
            help="ONNX Runtime threads; 0 sizes them to the cores.",
        ),
        Question(
            "batch_size",
            "Batch size",
            Kind.INT,
            help="Samples per inference in Offline and Server.",
        ),
    ]
    for scenario in a.get("scenarios", []):
        latency = scenario in LATENCY_SCENARIOS
        questions.append(
            Question(
                TARGET_PREFIX + str(scenario),
                f"{scenario} target " + ("latency (ms)" if latency else "(queries/s)"),
                Kind.FLOAT,
                help="What you expect; LoadGen sizes the run from it. Blank: LoadGen's default.",
                required=False,
            )
        )
    return questions


def _review_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    try:
        profile = build_profile(a)
    except MlperfTuiError as exc:
        return [Info("Problem", f"{exc.message}\nfix: {exc.fix}")]
    out = [Info("Profile", dump_profile(profile))]
    if ctx.estimate is not None:
        try:
            plan = ctx.estimate(profile)
        except MlperfTuiError as exc:
            out.append(Info("Run plan", f"{exc.message}\nfix: {exc.fix}"))
        else:
            total = sum(s for _, s in plan)
            out.append(
                Info(
                    f"Run plan ({len(plan)} runs, about {format_seconds(total)})",
                    columns=("run", "estimate"),
                    rows=tuple((run_id, format_seconds(s)) for run_id, s in plan),
                )
            )
    return out


def _review_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "save_path",
            "Save the profile to",
            Kind.PATH,
            help="An existing file is never overwritten without asking.",
        )
    ]


STEPS: tuple[Step, ...] = (
    Step(
        "start",
        "Start",
        "This wizard writes a profile: a YAML file with your choices that replays the same "
        "runs headlessly. Start a new one, or open one you saved.",
        _start_questions,
    ),
    Step(
        "hardware",
        "Hardware",
        "This is what was detected on this machine; it goes into the system description of "
        "the package. Answer what detection cannot know (blank answers are asked again later).",
        _hardware_questions,
        _hardware_info,
    ),
    Step(
        "benchmark",
        "Benchmark",
        "Choose the benchmark to run. Each one fixes the task, the data set, the reference "
        "model and the accuracy the runs must reach.",
        _benchmark_questions,
    ),
    Step(
        "division",
        "Division and category",
        "The closed division compares systems on equal terms and requires the rules' "
        "scenarios and compliance tests; the open division lets you change anything.",
        _division_questions,
        _division_info,
    ),
    Step(
        "scenarios",
        "Scenarios and modes",
        "Pick how LoadGen sends queries (only what the rules allow here) and which runs to "
        "make; the closed division pre-selects what it requires.",
        _scenario_questions,
    ),
    Step(
        "assets",
        "Model and data set",
        "Point at the real model and data set, or use the synthetic stand-ins: they compute "
        "like the real ones but their accuracy is chance, so the package is not submittable.",
        _asset_questions,
    ),
    Step(
        "settings",
        "Settings",
        "How the model runs and what performance you expect. Test execution makes short runs "
        "to try things; valid execution uses the rules' full settings.",
        _settings_questions,
    ),
    Step(
        "review",
        "Review",
        "This is the profile and the runs it makes. Save it, then run it here or later with "
        "`mlperf-tui run FILE --headless`.",
        _review_questions,
        _review_info,
    ),
)

STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)


def step(step_id: str) -> Step:
    return STEPS[STEP_IDS.index(step_id)]


# -- checking the assets on the spot -------------------------------------------------------------


@dataclass(frozen=True)
class AssetCheck:
    what: str  # "model" or "data set"
    ok: bool
    message: str
    fix: str = ""


def check_assets(answers: Mapping[str, Any], base: Path | None = None) -> list[AssetCheck]:
    """Check the chosen model and data set now (a local path is opened; nothing is downloaded).

    Relative paths are taken against ``base`` (the folder the profile will be saved in).
    """
    from mlperf_tui import assets

    out = []
    entry = benchmarks.get(_bench(answers).name)
    for what, prefix in (("model", "model"), ("data set", "dataset")):
        source = answers.get(f"{prefix}_source")
        if source == "synthetic":
            detail = (
                f"stand-in {answers.get('model_kind')}"
                if prefix == "model"
                else f"{answers.get('dataset_count')} generated images"
            )
            out.append(
                AssetCheck(what, True, f"synthetic: {detail}, generated when the run starts")
            )
            continue
        if source == "url":
            url = str(answers.get(f"{prefix}_url", "")).strip()
            sha = str(answers.get(f"{prefix}_sha256", "")).strip()
            if not url.startswith(("http://", "https://")):
                out.append(
                    AssetCheck(what, False, f"{url!r} is not an http(s) URL", "write the full URL")
                )
            elif len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
                out.append(
                    AssetCheck(
                        what, False, "a URL needs its sha256 (64 hex digits)", "add the sha256"
                    )
                )
            else:
                out.append(
                    AssetCheck(
                        what, True, "URL and sha256 given; downloaded and verified at run time"
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
                    f"mlperf-tui cannot run {_bench(answers).name}", "choose another benchmark"
                )
            if prefix == "model":
                assets.check_model(path, entry, answers.get("model_kind") or None)
            else:
                assets.check_dataset(path, entry)
        except MlperfTuiError as exc:
            out.append(AssetCheck(what, False, exc.message, exc.fix))
        else:
            out.append(AssetCheck(what, True, f"{path} looks right"))
    return out


# -- calibration: time the model here and suggest targets ----------------------------------------


def calibrate_targets(
    answers: Mapping[str, Any], base: Path | None = None
) -> tuple[dict[str, float], str]:
    """Time the chosen model on this machine (a short test in a child process) and suggest
    each chosen scenario's target; returns ({answer key: value}, what was measured).

    Synthetic stand-ins are generated first (cached, so the run reuses them).
    """
    from mlperf_tui import run as runner

    profile = build_profile(answers)
    profile_file = (base or Path.cwd()) / "wizard.yaml"
    resolved = runner.resolve_assets(profile, profile_path=profile_file)
    cal = runner.time_model(profile, resolved, batch_size=min(profile.backend.batch_size, 8))
    spq = rules.get_round(profile.round).multistream_samples_per_query
    suggestions: dict[str, float] = {}
    for scenario in profile.scenarios:
        if scenario == Scenario.SINGLE_STREAM:
            value = cal.latency_s * 1e3
        elif scenario == Scenario.MULTI_STREAM:
            value = spq / cal.throughput * 1e3
        elif scenario == Scenario.SERVER:
            value = cal.throughput * runner.TEST_SETTINGS.server_load_fraction
        else:
            value = cal.throughput
        suggestions[TARGET_PREFIX + scenario.value] = float(f"{value:.3g}")
    return suggestions, cal.describe()


# -- checking answers ---------------------------------------------------------------------------


def coerce(question: Question, raw: Any) -> Any:
    """A raw answer (text from an input) as the question's type; ValueError when it is not."""
    if question.kind == Kind.INT:
        if _blank(raw):
            if question.required:
                raise ValueError(f"{question.prompt}: a whole number is needed")
            return None
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ValueError(f"{question.prompt}: {raw!r} is not a whole number") from None
    if question.kind == Kind.FLOAT:
        if _blank(raw):
            if question.required:
                raise ValueError(f"{question.prompt}: a number is needed")
            return None
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError(f"{question.prompt}: {raw!r} is not a number") from None
        if value <= 0:
            raise ValueError(f"{question.prompt}: must be more than 0")
        return value
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
        bench = _bench(answers)
        if not (answers.get("category") == Category.EDGE.value and bench.inferable_from):
            answers["infer_from_singlestream"] = False
    for key in [k for k in answers if k.startswith(TARGET_PREFIX)]:
        if key.removeprefix(TARGET_PREFIX) not in answers.get("scenarios", []):
            del answers[key]


def check_step(step_id: str, answers: Answers, ctx: WizardContext) -> list[str]:
    """Problems with this step's answers (empty: the wizard may go on). Coerces in place."""
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
        bench = _bench(answers)
        if benchmarks.get(bench.name) is None:
            runnable = benchmarks.runnable(rules.get_round(str(answers["round"])).benchmarks)
            return [
                f"{bench.name} has no built-in harness yet; choose one of: {', '.join(runnable)}"
            ]
        return []
    if step_id in ("scenarios", "assets", "settings", "review"):
        try:
            build_profile(answers)
        except MlperfTuiError as exc:
            return [f"{exc.message} (fix: {exc.fix})"]
    return []


def next_step(step_id: str) -> str | None:
    i = STEP_IDS.index(step_id)
    return STEP_IDS[i + 1] if i + 1 < len(STEP_IDS) else None


def previous_step(step_id: str) -> str | None:
    i = STEP_IDS.index(step_id)
    return STEP_IDS[i - 1] if i > 0 else None


__all__ = [
    "STEPS",
    "Answers",
    "Choice",
    "Execution",
    "Info",
    "Kind",
    "Question",
    "Step",
    "WizardContext",
    "answers_from_profile",
    "build_profile",
    "check_step",
    "default_answers",
    "implications",
    "normalise",
    "open_profile",
    "profile_text",
    "save_answers",
]
