"""``mlperf-tui rules``: what the MLPerf rules require of a round, or of one benchmark."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlperf_tui.cli.common import _compact_table, _console
from mlperf_tui.errors import ExitCode

if TYPE_CHECKING:
    from rich.table import Table

    from mlperf_tui.rules.model import Benchmark, Round


def _add_rules(sub: Any) -> None:
    from_round = "the round's rules (default: the newest)"
    p = sub.add_parser(
        "rules",
        help="what the MLPerf rules require (a round's benchmarks, or one benchmark)",
        description="Without BENCHMARK: the round's benchmarks. With one: its accuracy target, "
        "scenarios per category, latency bounds, minimum duration, Offline minimum, "
        "performance sample count and compliance tests.",
    )
    p.add_argument("benchmark", nargs="?", metavar="BENCHMARK", help="e.g. resnet50, bert-99")
    p.add_argument("--round", dest="round", default=None, metavar="ROUND", help=from_round)
    p.add_argument("--json", action="store_true", help="print the rules as JSON")
    p.set_defaults(func=_cmd_rules)


def _scenario_names(scenarios: Sequence[Any]) -> str:
    return ", ".join(str(getattr(s, "value", s)) for s in scenarios) or "-"


def _ms(ns: int) -> str:
    return f"{ns / 1_000_000:g} ms"


def _cmd_rules(args: argparse.Namespace) -> int:
    from mlperf_tui import rules

    version = args.round or rules.DEFAULT_ROUND
    round_rules = rules.get_round(version)
    if args.json:
        import json

        from mlperf_tui import benchmarks
        from mlperf_tui.rules.report import benchmark_dict, round_dict

        def with_harness(doc: dict[str, Any]) -> dict[str, Any]:
            entry = benchmarks.get(doc["name"])
            doc["built_in_harness"] = entry.task if entry else None
            doc["runs_with"] = _how_it_runs(doc["name"])
            return doc

        if args.benchmark is None:
            data = round_dict(round_rules)
            data["benchmarks"] = [with_harness(b) for b in data["benchmarks"]]
        else:
            bench = rules.get_benchmark(args.benchmark, version)
            data = with_harness(benchmark_dict(bench, round_rules))
        print(json.dumps(data, indent=2))
        return ExitCode.OK
    if args.benchmark is None:
        _print_round(round_rules)
    else:
        _print_benchmark(round_rules, rules.get_benchmark(args.benchmark, round_rules.version))
    return ExitCode.OK


def round_table(round_rules: Round) -> Table:
    """The round's benchmarks; fits 80 columns (the task wraps, the names never do)."""
    from mlperf_tui import rules
    from mlperf_tui.rules.model import Category

    table = _compact_table(f"MLPerf Inference {round_rules.version}: benchmarks")
    table.add_column("benchmark", no_wrap=True)
    table.add_column("task", overflow="fold")
    table.add_column("edge", no_wrap=True)
    table.add_column("datacenter", no_wrap=True)
    table.add_column("harness", no_wrap=True)

    def suite(bench: Benchmark, category: Category) -> str:
        if category not in bench.required_scenarios:
            return "-"
        lines = [s.value for s in bench.required_scenarios[category]]
        one_of = rules.required_one_of(bench, category)
        if one_of:
            lines.append("+ " + " or\n  ".join(s.value for s in one_of))
        return "\n".join(lines)

    for bench in round_rules.benchmarks.values():
        table.add_row(
            bench.name,
            bench.task,
            suite(bench, Category.EDGE),
            suite(bench, Category.DATACENTER),
            _how_it_runs(bench.name),
        )
    return table


def _how_it_runs(name: str) -> str:
    """Built in, through a serving engine, or (neither) by importing another harness's logs."""
    from mlperf_tui import benchmarks

    if benchmarks.get(name) is not None:
        return "built in"
    if benchmarks.get(name, harness=benchmarks.ENDPOINT) is not None:
        return "engine"
    return "import"


def _print_round(round_rules: Round) -> None:
    console = _console()
    console.print(round_table(round_rules))
    console.print(
        "The scenarios are those the closed division requires per category ('-': not in "
        "that category). Details: mlperf-tui rules BENCHMARK; as data: --json"
    )


def _print_benchmark(round_rules: Round, bench: Benchmark) -> None:
    _console().print(benchmark_table(round_rules, bench))


def benchmark_table(round_rules: Round, bench: Benchmark) -> Table:
    """What the rules require of one benchmark, a row per rule; the rule wraps at 80 columns."""
    from rich.table import Table

    from mlperf_tui import benchmarks, rules
    from mlperf_tui.rules.model import Category, Division, Scenario

    table = Table(
        title=f"{bench.name} in MLPerf Inference {round_rules.version}", show_header=False
    )
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("rule", overflow="fold")

    table.add_row("task", bench.task)
    table.add_row("data set", f"{bench.dataset} ({bench.dataset_size} samples)")
    table.add_row("reference model", bench.reference_model)
    table.add_row("names", f"checker: {bench.checker_model}, LoadGen: {bench.loadgen_model}")
    for target in bench.accuracy:
        table.add_row("accuracy target", target.describe())
    for scenario, targets in bench.accuracy_by_scenario.items():
        gates = "; ".join(t.describe() for t in targets)
        table.add_row(f"accuracy target ({scenario.value})", gates)
    samples = {s: bench.accuracy_samples(s) for s in bench.all_scenarios()}
    if set(samples.values()) - {bench.dataset_size}:
        table.add_row("accuracy samples", ", ".join(f"{s.value} {n}" for s, n in samples.items()))
    for category in Category:
        required = bench.required_scenarios.get(category, ())
        optional = bench.optional_scenarios.get(category, ())
        if not required and not optional:
            table.add_row(f"{category.value} scenarios", "not in this category")
            continue
        text = f"required: {_scenario_names(required)}"
        one_of = rules.required_one_of(bench, category)
        if one_of:
            text += f"; and one of: {_scenario_names(one_of)}"
        if optional:
            text += f"; optional: {_scenario_names(optional)}"
        table.add_row(f"{category.value} scenarios", text)
    # bounds and query counts only for the scenarios this round offers the benchmark in
    offered = {
        s
        for scenarios in (*bench.required_scenarios.values(), *bench.optional_scenarios.values())
        for s in scenarios
    }
    for scenario, bound in bench.latency_bound_ns.items():
        if scenario in offered:
            table.add_row(f"{scenario.value} latency bound", _ms(bound))
    for scenario, bound in bench.ttft_ns.items():
        if scenario in offered:
            table.add_row(f"{scenario.value} time to first token", _ms(bound))
    for scenario, bound in bench.tpot_ns.items():
        if scenario in offered:
            table.add_row(f"{scenario.value} time per output token", _ms(bound))
    table.add_row(
        "minimum duration",
        "none (one pass over the data set)"
        if bench.single_pass
        else f"{round_rules.min_duration_ms / 1000:g} s",
    )
    if Scenario.OFFLINE in offered:
        offline_min = bench.offline_min_samples or round_rules.offline_min_samples
        table.add_row("Offline minimum samples", str(offline_min))
    table.add_row("performance sample count", str(bench.performance_sample_count))
    min_queries = [f"{s.value} {n}" for s, n in bench.min_queries.items() if s in offered]
    if min_queries:
        table.add_row("minimum queries", ", ".join(min_queries))
    tests = rules.compliance_tests(bench, Division.CLOSED)
    table.add_row("compliance tests (closed)", ", ".join(tests) if tests else "none")
    if bench.inferable_from:
        table.add_row(
            "inferable on edge",
            ", ".join(f"{s.value} from {src.value}" for s, src in bench.inferable_from.items()),
        )
    entry = benchmarks.get(bench.name)
    engine = benchmarks.get(bench.name, harness=benchmarks.ENDPOINT)
    if entry is not None:
        table.add_row("built-in harness", entry.task)
    elif engine is not None:
        table.add_row("runs with", "your serving engine (harness: endpoint)")
    else:
        table.add_row("runs with", "your harness: import its LoadGen logs")
    for e in (entry, engine):
        if e is not None:
            table.add_row("models it runs", ", ".join(k.name for k in e.models))
    return table
