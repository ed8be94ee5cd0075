"""The steps that say how the runs are made: the model and data set (built in), the serving
engine or the logs to import, the settings, and the review with its pre-flight check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mlperf_tui import benchmarks
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.profile import EXECUTION_PROVIDERS, dump_profile
from mlperf_tui.wizard.answers import LATENCY_SCENARIOS, TARGET_PREFIX, build_profile
from mlperf_tui.wizard.model import Choice, Info, Kind, Question, WizardContext
from mlperf_tui.wizard.text import format_seconds


def harness_is(*harnesses: str) -> Any:
    return lambda a: str(a.get("harness") or "builtin") in harnesses


# -- how the runs are made: assets (built in), engine, import ----------------------------------


def _entry(a: Mapping[str, Any]) -> benchmarks.BenchmarkEntry | None:
    return benchmarks.get(str(a.get("benchmark", "")), harness=str(a.get("harness") or "builtin"))


def model_choices(a: Mapping[str, Any]) -> tuple[Choice, ...]:
    entry = _entry(a)
    if entry is None:
        return ()
    synthetic = a.get("model_source") == "synthetic"
    return tuple(
        Choice(
            k.name,
            f"{k.name}: {k.title}",
            help="allowed in the closed division" if k.closed else "open division only",
        )
        for k in entry.models
        if not synthetic or k.name in entry.standins
    )


_SOURCES = (
    Choice(
        "synthetic",
        "synthetic stand-in, generated here (no download)",
        help="computes like the real one, but its accuracy is chance: not submittable",
    ),
    Choice("path", "a local path", help="checked on the spot"),
    Choice("url", "a URL, verified with its sha256", help="downloaded when the run starts"),
)


def _dataset_questions(data_help: str) -> list[Question]:
    """How many samples, and the data set's folder (both asset steps ask them)."""
    return [
        Question(
            "dataset_count",
            "Samples",
            Kind.INT,
            help="Synthetic: how many to generate. Path or URL: use only the first N (blank: "
            "all). A valid run needs the whole data set.",
            rule="the checker compares the accuracy run's sample count with the data set's",
            required=False,
        ),
        Question(
            "dataset_path",
            "Data set folder",
            Kind.PATH,
            help=data_help,
            when=lambda ans: ans.get("dataset_source") == "path",
        ),
    ]


def asset_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    entry = _entry(a)
    data_help = f"A folder of {entry.dataset.name}." if entry else "The data set's folder."
    if entry is not None and entry.harness == benchmarks.ENDPOINT:
        return _engine_asset_questions(a, data_help)
    return [
        Question(
            "model_source",
            "Model",
            Kind.CHOICE,
            help="Where the model comes from.",
            choices=_SOURCES,
        ),
        Question(
            "model_kind",
            "Which model",
            Kind.CHOICE,
            help="Synthetic: the graph generated with random weights. A file or URL: which "
            "model it is (the reference, or an open-division one).",
            rule="the closed division runs the reference model (inference_rules.adoc)",
            choices=model_choices(a),
        ),
        Question(
            "model_path",
            "Model file (.onnx)",
            Kind.PATH,
            help="An ONNX file; mlperf-tui reads its inputs and outputs.",
            when=lambda ans: ans.get("model_source") == "path",
        ),
        Question(
            "model_url",
            "Model URL",
            Kind.TEXT,
            help="http(s) URL of the ONNX file.",
            when=lambda ans: ans.get("model_source") == "url",
        ),
        Question(
            "model_sha256",
            "Model sha256",
            Kind.TEXT,
            help="64 hex digits, from `sha256sum FILE`.",
            required=False,
            when=lambda ans: ans.get("model_source") in ("path", "url"),
        ),
        Question(
            "dataset_source",
            "Data set",
            Kind.CHOICE,
            help="Where the data set comes from.",
            choices=_SOURCES,
        ),
        *_dataset_questions(data_help),
        Question(
            "dataset_url",
            "Data set URL",
            Kind.TEXT,
            help="http(s) URL of the data set archive.",
            when=lambda ans: ans.get("dataset_source") == "url",
        ),
        Question(
            "dataset_sha256",
            "Data set sha256",
            Kind.TEXT,
            help="64 hex digits, from `sha256sum FILE`.",
            required=False,
            when=lambda ans: ans.get("dataset_source") in ("path", "url"),
        ),
    ]


def _engine_asset_questions(a: Mapping[str, Any], data_help: str) -> list[Question]:
    """An engine run's assets: the served model's folder (for its tokenizer), the prompts."""
    local = (_SOURCES[0], _SOURCES[1])
    return [
        Question(
            "model_source",
            "Served model",
            Kind.CHOICE,
            help="Synthetic: a tiny stand-in model (a GGUF file and its tokenizer, generated "
            "here) for llama.cpp's server, to try the whole flow. A path: the folder of the "
            "model your engine serves; its tokenizer.json scores the answers.",
            choices=local,
        ),
        Question(
            "model_path",
            "Model folder (tokenizer.json)",
            Kind.PATH,
            help="The model's Hugging Face folder (it holds tokenizer.json).",
            when=lambda ans: ans.get("model_source") == "path",
        ),
        Question(
            "dataset_source",
            "Data set",
            Kind.CHOICE,
            help="Where the prompts come from (synthetic: tokenised for the stand-in model).",
            choices=local,
        ),
        *_dataset_questions(data_help),
    ]


def engine_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "endpoint_url",
            "API base URL",
            Kind.TEXT,
            help="The engine's OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1 (vLLM, "
            "SGLang), http://127.0.0.1:8080/v1 (llama.cpp).",
        ),
        Question(
            "endpoint_model",
            "Model name",
            Kind.TEXT,
            help="The model the engine serves, as its /v1/models lists it.",
            placeholder="e.g. meta-llama/Llama-2-70b-chat-hf",
        ),
        Question(
            "endpoint_api_key_env",
            "API key variable",
            Kind.TEXT,
            help="The environment variable that holds the API key; the key itself never goes "
            "into the profile. Blank: no key.",
            required=False,
            placeholder="e.g. OPENAI_API_KEY",
        ),
        Question(
            "endpoint_timeout_s",
            "Request timeout (s)",
            Kind.FLOAT,
            help="A request that takes longer counts as failed (and fails the run).",
        ),
        Question(
            "endpoint_max_concurrency",
            "Requests in flight",
            Kind.INT,
            help="At most this many requests at once; Offline sends as many as this allows.",
        ),
        Question(
            "endpoint_prompt_format",
            "Prompts as",
            Kind.CHOICE,
            help="Token ids: the data set's own tokens (vLLM, SGLang, TensorRT-LLM take them). "
            "Text: for engines that take only text (llama.cpp's server).",
            choices=(
                Choice("token_ids", "token ids (the data set's)"),
                Choice("text", "text (llama.cpp's server)"),
            ),
        ),
        Question(
            "endpoint_max_tokens",
            "Tokens per answer",
            Kind.INT,
            help="Blank: the reference's (llama2-70b 1024, the others 128). Fewer make test "
            "runs quick and are not submittable.",
            required=False,
        ),
    ]


def import_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "import_from",
            "Logs folder",
            Kind.PATH,
            help="The output folder of your harness: its performance, accuracy and compliance "
            "runs (mlperf_log_summary.txt, mlperf_log_detail.txt, mlperf_log_accuracy.json, "
            "accuracy.txt, user.conf).",
            rule="submission_structure.md: the files each result folder holds",
        )
    ]


# -- settings ------------------------------------------------------------------------------------


def provider_question(
    ctx: WizardContext, when: Callable[[Mapping[str, Any]], bool] | None = None
) -> Question:
    """The execution provider: only those that load here are offered (every one when that is
    unknown); the help says why each of the others is not."""
    from mlperf_tui.system import HostFacts, provider_problem

    help_ = "The ONNX Runtime backend that runs the model."
    here = [p for p in EXECUTION_PROVIDERS if p in ctx.providers_here] or list(EXECUTION_PROVIDERS)
    facts = ctx.system.facts if isinstance(getattr(ctx.system, "facts", None), HostFacts) else None
    why: dict[str, str] = {}
    for p in EXECUTION_PROVIDERS:
        problem = provider_problem(facts, p) if facts is not None and p not in here else None
        if problem is not None:
            why[p] = f"{problem.reason}; fix: {problem.fix}"
    # one that onnxruntime lists but that does not load is what this machine's user expects to
    # be offered: why it is not is shown under the question, not only by the help key
    for p, problem in (facts.provider_problems if facts is not None else {}).items():
        help_ += f"\n{p} does not load here: {problem.reason}; fix: {problem.fix}"
    details = ""
    if why:
        details = "Not offered, as they do not load here:\n" + "\n".join(
            f"- {p}: {text}" for p, text in why.items()
        )
    return Question(
        "execution_provider",
        "Execution provider",
        Kind.CHOICE,
        help=help_,
        choices=tuple(Choice(p, p) for p in here),
        when=when,
        details=details,
    )


def settings_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    builtin = harness_is("builtin")
    questions = [
        Question(
            "execution",
            "Execution",
            Kind.CHOICE,
            help="How long the runs are.",
            rule="inference_rules.adoc: at least 600 s and the rules' query counts per run",
            choices=(
                Choice(
                    "test",
                    "test: short runs to try things (minutes); not submittable",
                    help="a few hundred queries per run and a subset of the data set",
                ),
                Choice(
                    "valid",
                    "valid: the rules' full settings (at least 10 minutes a run)",
                    help="what a submission needs: the minimum duration and queries, the whole "
                    "data set",
                ),
            ),
        ),
        provider_question(ctx, when=builtin),
        Question(
            "intra_op_threads",
            "Threads",
            Kind.INT,
            help="ONNX Runtime threads; 0 sizes them to the cores.",
            when=builtin,
        ),
        Question(
            "batch_size",
            "Batch size",
            Kind.INT,
            help="Samples per inference in Offline and Server.",
            when=builtin,
        ),
        Question(
            "streams",
            "Streams",
            Kind.INT,
            help="Concurrent inferences in Offline and Server, each with its own runtime "
            "session of the threads above. Calibrate (ctrl+t) sweeps batch size x threads x "
            "streams and fills in the fastest here.",
            when=builtin,
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
                rule="LoadGen's target_qps / target_latency settings (user.conf)",
                required=False,
            )
        )
    return questions


# -- review ----------------------------------------------------------------------------------------


def review_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    try:
        profile = build_profile(a)
    except MlperfTuiError as exc:
        return [Info("Problem", f"{exc.message}\nfix: {exc.fix}", severity="error")]
    # what the runs need first, the save question under it, the profile's YAML below that
    yaml_block = Info("Profile", dump_profile(profile), after_questions=True)
    out: list[Info] = []
    if profile.harness != "builtin":
        out.append(
            Info(
                "Not yet runnable here",
                f"This mlperf-tui cannot run harness: {profile.harness} profiles yet (it runs "
                "its built-in harness only); the profile is saved for when it can.",
                severity="warning",
            )
        )
        return [*out, yaml_block]
    if ctx.preflight is not None:
        try:
            blocks, _short = ctx.preflight(profile)
        except MlperfTuiError as exc:
            blocks = [Info("Pre-flight", f"{exc.message}\nfix: {exc.fix}", severity="error")]
        out.extend(blocks)
    elif ctx.estimate is not None:
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
    return [*out, yaml_block]


def review_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "save_path",
            "Save the profile to",
            Kind.PATH,
            help="An existing file is never overwritten without asking.",
        )
    ]
