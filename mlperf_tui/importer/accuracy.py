"""An imported accuracy run's score: the harness's own accuracy.txt, or ours.

The harness's accuracy.txt is taken as it is when every metric the round gates the benchmark
on is in it, in the form the official checker reads (its ``ACCURACY_PATTERNS``, kept in
:mod:`mlperf_tui.rules.checker`): that is all the checker ever looks at. Otherwise the accuracy
log is scored with mlperf-tui's own accuracy script of the benchmark (the registry entry's
harness task, e.g. ResNet50's top-1 against ImageNet's val_map.txt), given the data set; and
where mlperf-tui has none, the refusal names the reference script and the data set it needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mlperf_tui import benchmarks
from mlperf_tui.rules.checker import (
    ACCURACY_PATTERNS,
    LEGACY_PATTERN_NAMES,
    REFERENCE_ACCURACY_SCRIPTS,
)
from mlperf_tui.rules.model import Benchmark

__all__ = [
    "AccuracyPlan",
    "needs_script",
    "needs_tokenizer",
    "read_accuracy_txt",
    "reference_script",
    "score",
]


@dataclass
class AccuracyPlan:
    """How an accuracy run's score is had: read from the harness's accuracy.txt, or scored."""

    #: metric -> value read from the harness's accuracy.txt (empty when it is scored)
    values: dict[str, float] = field(default_factory=dict)
    #: the harness task that scores the log, and the data set (and, for an LLM, the
    #: tokenizer) it reads (None: not scored)
    task: str | None = None
    dataset: Path | None = None
    tokenizer: Path | None = None
    #: why the harness's own accuracy.txt was not taken (for the report)
    note: str = ""

    @property
    def scored(self) -> bool:
        return self.task is not None


def _metrics(bench: Benchmark, scenario: str) -> tuple[str, ...]:
    return tuple(t.metric for t in bench.accuracy_for(scenario))


def read_accuracy_txt(text: str, bench: Benchmark, scenario: str) -> dict[str, float | None]:
    """Each gated metric's value in an accuracy.txt as the checker reads it (re.match of its
    pattern on every line; None where no line matches)."""
    lines = text.splitlines()
    values: dict[str, float | None] = {}
    for metric in _metrics(bench, scenario):
        pattern = ACCURACY_PATTERNS.get(metric) or ACCURACY_PATTERNS.get(
            LEGACY_PATTERN_NAMES.get(metric, "")
        )
        values[metric] = None
        if pattern is None:
            continue
        for line in lines:
            m = re.match(pattern, line)
            if m:
                try:
                    values[metric] = float(m.group(1))
                except ValueError:
                    continue
                break
    return values


def reference_script(bench: Benchmark) -> str:
    """The reference script that scores the benchmark's accuracy log, in words."""
    script = REFERENCE_ACCURACY_SCRIPTS.get(bench.loadgen_model)
    where = (
        f"{script} of mlcommons/inference"
        if script
        else (
            f"the accuracy script of the {bench.name} reference implementation in mlcommons/inference"
        )
    )
    return where


def _entry(bench: Benchmark) -> benchmarks.BenchmarkEntry | None:
    """The registry's entry of the benchmark, whatever runs it (the built-in harness or an
    engine's endpoint): its task scores the accuracy log either way."""
    return benchmarks.entries().get(bench.name)


def needs_script(bench: Benchmark) -> str | None:
    """The harness task mlperf-tui scores the benchmark with (its registry entry), or None."""
    entry = _entry(bench)
    return entry.task if entry is not None else None


def dataset_words(bench: Benchmark) -> str:
    """The data set an accuracy script reads, as the registry or the rules name it."""
    entry = _entry(bench)
    if entry is not None and entry.dataset.how_to_get:
        return f"{bench.dataset} ({entry.dataset.name}: {entry.dataset.how_to_get})"
    return bench.dataset


def needs_tokenizer(bench: Benchmark) -> bool:
    """An LLM's output is token ids: scoring it needs the model's tokenizer."""
    return bench.llm


def score(
    task_name: str,
    accuracy_log: Path,
    dataset: Path,
    out: Path,
    *,
    bench: Benchmark,
    tokenizer: Path | None = None,
) -> tuple[str, float]:
    """Score ``accuracy_log`` with the harness task, writing ``out`` (accuracy.txt); returns
    the headline metric and its value. Raises the task's HarnessError (message and fix) when
    the log, the data set or the tokenizer do not fit."""
    if needs_tokenizer(bench):
        import importlib

        from harness.accuracy_log import write_text_atomic
        from harness.tasks import TaskError

        if tokenizer is None:
            raise TaskError(
                f"scoring {bench.name}'s accuracy log needs the model's tokenizer",
                "add --accuracy-tokenizer DIR: the model's folder holding tokenizer.json",
            )
        # the LLM tasks' scoring reads the token ids back into text with the tokenizer
        module = importlib.import_module(f"harness.tasks.{task_name}.accuracy")
        result = module.score_accuracy_log(
            accuracy_log, dataset, benchmark=bench.name, tokenizer_dir=tokenizer
        )
        write_text_atomic(out, str(result.line) + "\n")
        values = read_accuracy_txt(out.read_text(encoding="utf-8"), bench, "Offline")
        metric = bench.accuracy[0].metric
        return metric, float(values.get(metric) or 0.0)
    from harness.tasks import get_task

    result = get_task(task_name).write_accuracy(accuracy_log, dataset, out)
    return str(result.get("metric", "")), float(result["value"])
