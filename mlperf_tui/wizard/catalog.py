"""The benchmark list: grouped by what produces the results, filtered to the round and category.

Three groups, in the order a first-time submitter can act on them:

- **built in**: mlperf-tui's own harness runs it here (the benchmark registry has it);
- **through your serving engine**: an LLM benchmark, driven under LoadGen against the
  OpenAI-compatible API of the engine that serves it (vLLM, SGLang, llama.cpp...);
- **import your harness's logs**: every other benchmark; the package, validation and checklist
  work on the LoadGen logs of whatever harness ran it.

Each row says in a phrase what it needs: the estimated time here and the disk a valid run's
preprocessed samples take, an engine URL, or the logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.model import Benchmark, Category, Division
from mlperf_tui.system import format_bytes
from mlperf_tui.wizard.answers import build_profile
from mlperf_tui.wizard.model import Choice, WizardContext
from mlperf_tui.wizard.text import format_seconds

BUILTIN, ENDPOINT, IMPORT = "builtin", "endpoint", "import"

GROUP_TITLES: Mapping[str, str] = {
    BUILTIN: "Built in: runs here",
    ENDPOINT: "Through your serving engine",
    IMPORT: "Import your harness's LoadGen logs",
}

HARNESS_CHOICES: Mapping[str, Choice] = {
    BUILTIN: Choice(
        BUILTIN,
        "built in: mlperf-tui runs it here with ONNX Runtime",
        help="mlperf-tui generates or checks the model and data set, runs every LoadGen test "
        "in its own process, scores the accuracy and builds the package.",
    ),
    ENDPOINT: Choice(
        ENDPOINT,
        "endpoint: drive your serving engine's OpenAI-compatible API",
        help="Your engine (vLLM, SGLang, llama.cpp, ...) serves the model on as many GPUs and "
        "nodes as it likes; mlperf-tui sends it the data set's prompts under LoadGen, with the "
        "first token reported for TTFT/TPOT.",
    ),
    IMPORT: Choice(
        IMPORT,
        "import: bring the LoadGen logs another harness wrote",
        help="For a benchmark mlperf-tui does not run: it checks each log (benchmark, "
        "scenario, mode, seeds, validity) and builds, validates and reviews the package.",
    ),
}


def harnesses_for(bench: Benchmark) -> tuple[str, ...]:
    """What can produce this benchmark's results, the best first."""
    out = []
    if benchmarks.get(bench.name) is not None:
        out.append(BUILTIN)
    if benchmarks.get(bench.name, harness=benchmarks.ENDPOINT) is not None:
        out.append(ENDPOINT)
    out.append(IMPORT)
    return tuple(out)


def group_of(bench: Benchmark) -> str:
    return harnesses_for(bench)[0]


def benchmark_estimate(answers: Mapping[str, Any], ctx: WizardContext, name: str) -> str:
    """The estimated time of the default plan for benchmark ``name`` here, or "-"."""
    entry = benchmarks.get(name)
    if ctx.estimate is None or entry is None:
        return "-"
    trial = dict(answers)
    trial.update(benchmark=name, harness=BUILTIN, model_kind="")  # the entry's default
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


def valid_disk(bench: Benchmark) -> str:
    """The disk the whole data set's preprocessed samples take (what a valid run caches)."""
    entry = benchmarks.get(bench.name)
    if entry is None:
        return ""
    return format_bytes(entry.dataset.sample_bytes * bench.dataset_size)


def needs(bench: Benchmark, answers: Mapping[str, Any], ctx: WizardContext) -> str:
    """What choosing this benchmark needs, in a phrase."""
    group = group_of(bench)
    if group == BUILTIN:
        est = benchmark_estimate(answers, ctx, bench.name)
        parts = ["runs here"]
        if est != "-":
            parts.append(f"test run ≈ {est}")
        parts.append(f"valid run caches {valid_disk(bench)}")
        return ", ".join(parts)
    if group == ENDPOINT:
        return "needs an engine's URL (and the GPUs it serves on)"
    return "needs your harness's LoadGen logs"


def in_category(bench: Benchmark, category: str) -> bool:
    try:
        return Category(category) in bench.categories
    except ValueError:
        return True


def benchmark_choices(answers: Mapping[str, Any], ctx: WizardContext) -> tuple[Choice, ...]:
    """The round's benchmarks of the chosen category, grouped (built in, engine, import)."""
    round_rules = rules.get_round(str(answers["round"]))
    category = str(answers.get("category", ""))
    rows: list[tuple[int, Choice]] = []
    order = list(GROUP_TITLES)
    for bench in round_rules.benchmarks.values():
        if not in_category(bench, category):
            continue
        group = group_of(bench)
        gates = "; ".join(t.describe() for t in bench.accuracy) or "no accuracy gate"
        short = bench.accuracy[0].describe() if bench.accuracy else gates
        if len(bench.accuracy) > 1:
            short += f" (+{len(bench.accuracy) - 1} more; F1 lists them)"
        rows.append(
            (
                order.index(group),
                Choice(
                    bench.name,
                    bench.name,
                    (needs(bench, answers, ctx), bench.task, bench.dataset, short),
                    group=GROUP_TITLES[group],
                    help=f"{bench.task} on {bench.dataset} with {bench.reference_model}; "
                    f"accuracy: {gates}.",
                ),
            )
        )
    return tuple(c for _, c in sorted(rows, key=lambda r: r[0]))
