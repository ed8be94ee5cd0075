"""The wizard's steps, in the order decisions are made: the round and category, the benchmark
(and what runs it), the division, the machine, the scenarios, what runs them, power
measurement (optional), the review.

Every question carries its help (what it means, the rule it comes from, what each choice does)
for the front ends' help key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.model import Benchmark, Category, Division, Mode, Scenario
from mlperf_tui.wizard import catalog
from mlperf_tui.wizard.hardware import hardware_info, hardware_questions
from mlperf_tui.wizard.model import Choice, Info, Kind, Question, Step, WizardContext
from mlperf_tui.wizard.power_step import power_info, power_questions
from mlperf_tui.wizard.run_steps import (
    asset_questions,
    engine_questions,
    harness_is,
    import_questions,
    review_info,
    review_questions,
    settings_questions,
)
from mlperf_tui.wizard.text import implications, names

_CHECKER = "the official submission checker's tables (constants.py MODEL_CONFIG)"


def bench_of(answers: Mapping[str, Any]) -> Benchmark:
    return rules.get_benchmark(str(answers["benchmark"]), str(answers["round"]))


# -- start ---------------------------------------------------------------------------------------


def _start_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    return [
        Question(
            "start",
            "Start",
            Kind.CHOICE,
            help="A profile holds every choice of one submission; you can replay it headlessly.",
            choices=(
                Choice(
                    "new",
                    "A new profile (starts from the quickstart's answers)",
                    help="every answer starts at the quickstart's; accept them all to get "
                    "profiles/quickstart.yaml",
                ),
                Choice(
                    "open",
                    "Open a saved profile and change it",
                    help="the wizard starts from that profile's answers",
                ),
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


# -- round and category ------------------------------------------------------------------------


def _suite_size(version: str, category: Category) -> int:
    return sum(1 for b in rules.get_round(version).benchmarks.values() if category in b.categories)


def _round_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    version = str(a["round"])
    return [
        Question(
            "round",
            "Round",
            Kind.CHOICE,
            help="The MLPerf Inference round whose rules apply: its benchmarks, accuracy "
            f"targets, seeds and package layout. {rules.DEFAULT_ROUND} is the newest.",
            rule=_CHECKER + ", one table per round",
            choices=tuple(
                Choice(
                    v,
                    v + (" (newest)" if v == rules.DEFAULT_ROUND else ""),
                    help=f"{len(rules.get_round(v).benchmarks)} benchmarks",
                )
                for v in rules.ROUNDS
            ),
        ),
        Question(
            "category",
            "Category",
            Kind.CHOICE,
            help="The system's kind; it decides which benchmarks are in the suite and the "
            "scenarios the closed division requires.",
            rule=_CHECKER + ', "required-scenarios-edge" and "-datacenter"',
            choices=(
                Choice(
                    Category.EDGE.value,
                    f"edge: devices at the edge ({_suite_size(version, Category.EDGE)} benchmarks)",
                    help="SingleStream, MultiStream and Offline; MultiStream and Offline may be "
                    "inferred from SingleStream",
                ),
                Choice(
                    Category.DATACENTER.value,
                    f"datacenter: servers ({_suite_size(version, Category.DATACENTER)} benchmarks)",
                    help="Server (or Interactive) and Offline",
                ),
            ),
        ),
    ]


# -- benchmark -------------------------------------------------------------------------------------


def _benchmark_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    choices = catalog.benchmark_choices(a, ctx)
    questions = [
        Question(
            "benchmark",
            "Benchmark",
            Kind.CHOICE,
            help=f"The {a['category']} suite of {a['round']}; type to filter. Each fixes the "
            "task, the data set, the reference model and the accuracy to reach.",
            rule=_CHECKER + f', "models" of {a["round"]}',
            choices=choices,
            columns=("needs", "task", "data set", "accuracy"),
            searchable=True,
        )
    ]
    try:
        bench = bench_of(a)
    except MlperfTuiError:
        return questions
    questions.append(
        Question(
            "harness",
            "Run it with",
            Kind.CHOICE,
            help="What produces the results of this benchmark.",
            choices=tuple(catalog.HARNESS_CHOICES[h] for h in catalog.harnesses_for(bench)),
        )
    )
    return questions


def _benchmark_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    try:
        bench = bench_of(a)
    except MlperfTuiError:
        return []
    entry = benchmarks.get(bench.name) or benchmarks.get(bench.name, harness=benchmarks.ENDPOINT)
    text = f"{bench.task}, {bench.dataset}, {bench.reference_model}."
    if entry is not None:
        text += f" {entry.summary}"
    return [Info(bench.name, text, after_questions=True)]


# -- division ----------------------------------------------------------------------------------


def _division_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    # the network division's SUT nodes each run the built-in harness (mlperf-tui serve)
    network = (
        (
            Choice(
                "network",
                "network: closed rules, the SUT on other machines over the network",
                help="the closed division's scenarios, tests and accuracy target; the hardware "
                "step asks the SUT nodes, each running mlperf-tui serve",
            ),
        )
        if str(a.get("harness") or "builtin") == "builtin"
        else ()
    )
    return [
        Question(
            "division",
            "Division",
            Kind.CHOICE,
            help="Closed compares systems on equal terms; open lets you change the model and "
            "the scenarios.",
            rule="inference_rules.adoc, Divisions; the checker's VALID_DIVISIONS",
            choices=(
                Choice(
                    "open",
                    "open: any model and scenarios; results are reported as they are",
                    help="no compliance tests, no accuracy target; the model may be another "
                    "(e.g. MobileNet for resnet50), mapped in model_mapping.json",
                ),
                Choice(
                    "closed",
                    "closed: the reference model and every scenario the rules require",
                    help="the rules' scenarios, performance and accuracy runs, the compliance "
                    "tests, and the accuracy target",
                ),
                *network,
            ),
        )
    ]


def _division_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    bench = bench_of(a)
    category = Category(str(a["category"]))
    return [
        Info(
            f"{division.value} / {category.value}",
            "\n".join(implications(bench, division, category)),
        )
        for division in (Division.OPEN, Division.CLOSED)
    ]


# -- scenarios -----------------------------------------------------------------------------------


def _scenario_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    bench = bench_of(a)
    division = Division(str(a["division"]))
    category = Category(str(a["category"]))
    allowed = rules.allowed_scenarios(bench, category, division)
    required = rules.required_scenarios(bench, category) if division.strict else ()
    rule = _CHECKER + f' "required-scenarios-{category.value}" of {a["round"]}'
    questions = [
        Question(
            "scenarios",
            "Scenarios",
            Kind.MULTI,
            help="How LoadGen sends queries. Required ones are fixed in the closed division.",
            rule=rule,
            choices=tuple(
                Choice(
                    s.value,
                    s.value + (" (required)" if s in required else ""),
                    locked=s in required,
                    help=_SCENARIO_HELP[s],
                )
                for s in allowed
            ),
        ),
        Question(
            "modes",
            "Modes",
            Kind.MULTI,
            help="A performance run measures speed; an accuracy run checks the results.",
            rule="inference_rules.adoc: closed results need both, from the same SUT",
            choices=tuple(
                Choice(
                    m.value,
                    m.value + (" (required)" if division.strict else ""),
                    locked=division.strict,
                )
                for m in Mode
            ),
        ),
    ]
    if category == Category.EDGE and bench.inferable_from:
        inferable = names(sorted(bench.inferable_from, key=list(Scenario).index))
        questions.append(
            Question(
                "infer_from_singlestream",
                f"Fill {inferable} from the SingleStream run",
                Kind.BOOL,
                help="The rules let edge systems report these from SingleStream instead of "
                "running them.",
                rule="the checker's inferred_check (edge systems only)",
            )
        )
    return questions


_SCENARIO_HELP: Mapping[Scenario, str] = {
    Scenario.SINGLE_STREAM: "one query of one sample at a time; the result is the "
    "90th-percentile latency",
    Scenario.MULTI_STREAM: "one query of 8 samples at a time; the result is the "
    "99th-percentile latency",
    Scenario.OFFLINE: "every sample at once; the result is the throughput",
    Scenario.SERVER: "queries arrive at random (Poisson) at the target rate; the result is the "
    "rate that keeps the latency bound",
    Scenario.INTERACTIVE: "Server with the tighter TTFT/TPOT limits of an interactive LLM",
}


STEPS: tuple[Step, ...] = (
    Step(
        "start",
        "Start",
        "This wizard writes a profile: a YAML file with your choices that replays the same "
        "runs headlessly. Start a new one, or open one you saved.",
        _start_questions,
    ),
    Step(
        "round",
        "Round and category",
        "Choose the round whose rules apply and the kind of system; the benchmark list that "
        "follows holds only what they allow.",
        _round_questions,
    ),
    Step(
        "benchmark",
        "Benchmark",
        "Choose the benchmark (type to filter) and what produces its results: mlperf-tui's own "
        "harness, your serving engine, or another harness's logs.",
        _benchmark_questions,
        _benchmark_info,
        info_follows_answers=True,
    ),
    Step(
        "division",
        "Division",
        "The closed division compares systems on equal terms and requires the rules' "
        "scenarios and compliance tests; the open division lets you change anything.",
        _division_questions,
        _division_info,
    ),
    Step(
        "hardware",
        "Hardware",
        "First what only you can answer, then what was detected on this machine and what was "
        "defaulted; it all goes into the package's system description.",
        hardware_questions,
        hardware_info,
    ),
    Step(
        "scenarios",
        "Scenarios and modes",
        "Pick how LoadGen sends queries (only what the rules allow here) and which runs to "
        "make; the closed division pre-selects what it requires.",
        _scenario_questions,
    ),
    Step(
        "engine",
        "Serving engine",
        "Where your engine serves the model; mlperf-tui sends it the data set's prompts "
        "under LoadGen.",
        engine_questions,
        when=harness_is("endpoint"),
    ),
    Step(
        "assets",
        "Model and data set",
        "Point at the real model and data set, or use the synthetic stand-ins: they compute "
        "like the real ones but their accuracy is chance, so the package is not submittable.",
        asset_questions,
        when=harness_is("builtin", "endpoint"),
    ),
    Step(
        "import",
        "Your harness's logs",
        "The folder your harness wrote its LoadGen runs to; each log is checked before the "
        "package is built.",
        import_questions,
        when=harness_is("import"),
    ),
    Step(
        "settings",
        "Settings",
        "How long the runs are and what performance you expect. Test execution makes short "
        "runs to try things; valid execution uses the rules' full settings.",
        settings_questions,
    ),
    Step(
        "power",
        "Power",
        "Optionally measure the system's power with an analyser during each performance run. "
        "Most submissions have no power result: keep it off unless a supported meter is set up.",
        power_questions,
        power_info,
        when=harness_is("builtin", "endpoint"),
    ),
    Step(
        "review",
        "Review",
        "This is the profile, what its runs need and how long they take. Save it, then run it "
        "here or later with `mlperf-tui run FILE --headless`.",
        review_questions,
        review_info,
    ),
)

STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)


def step(step_id: str) -> Step:
    return STEPS[STEP_IDS.index(step_id)]
