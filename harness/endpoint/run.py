"""What ``python -m harness run`` does differently for a run with an ``endpoint`` block.

:class:`EndpointRun` takes the place of the task, the runtime and the data set of a built-in
run: it opens the prompts, probes the engine (both before LoadGen starts, so that a wrong URL,
model name or prompt format fails in seconds), makes the SUT once LoadGen's settings are known
(they say whether LoadGen measures token latencies), adds the ``endpoint`` object to the run's
events, turns failed requests into a failed run, and scores an accuracy run with the LLM
accuracy script. Everything else (LoadGen's settings and logs, progress, SIGINT, the drain
after a stop) is the built-in run's own code in ``harness.__main__``.

A run in which any request failed ends ``failed``: a failed sample completes at once without
an answer, so the figures would not measure the engine. LoadGen's logs are still written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.config import RunConfig
from harness.endpoint.probe import ProbeResult, api_key, probe_endpoint
from harness.endpoint.stats import EndpointStats, PromptStore
from harness.endpoint.sut import EndpointSUT
from harness.errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from harness.config import EndpointOptions
    from harness.events import EventWriter
    from harness.sut import RunState


class EndpointRun:
    """One endpoint run's prompts, probe, SUT and figures (see the module doc)."""

    def __init__(self, config: RunConfig, writer: EventWriter) -> None:
        from harness.datasets.llm import load_tokenizer, open_llm_dataset

        if config.endpoint is None:  # pragma: no cover - the caller checks
            raise ValueError("not an endpoint run")
        options: EndpointOptions = config.endpoint
        self.config = config
        self.options = options
        self.log_responses = config.mode == "accuracy" or config.audit_config is not None
        if config.mode == "accuracy" and options.tokenizer_dir is None:
            raise ConfigError(
                "an accuracy run needs the model's tokenizer to score its outputs",
                "set endpoint.tokenizer_dir to the model's folder with tokenizer.json",
            )
        _check_format(config.benchmark, options.dataset_format, config.mode == "accuracy")
        self._api_key = api_key(options)

        writer.phase(
            "loading_dataset",
            f"Opening the {options.dataset_format} prompts in {config.dataset_path}",
        )
        dataset = open_llm_dataset(
            config.dataset_path,
            options.dataset_format,
            tokenizer_dir=options.tokenizer_dir,
            count=config.dataset_count,
        )
        self.prompts = PromptStore(dataset, options.prompt_format)
        self.tokenizer: Tokenizer | None = (
            load_tokenizer(options.tokenizer_dir) if options.tokenizer_dir is not None else None
        )

        writer.phase(
            "loading_model", f"Checking the engine at {options.base_url} (model {options.model})"
        )
        self.probe: ProbeResult = probe_endpoint(
            options,
            self._api_key,
            self.prompts.encode(0),
            need_token_ids=self.log_responses,
            have_tokenizer=self.tokenizer is not None,
        )
        ids = "token ids" if self.probe.engine_token_ids else "text only (no token ids)"
        print(
            f"harness: engine at {options.base_url} serves {', '.join(self.probe.served_models)}; "
            f"it streams {ids}; probe {self.probe.seconds:.2f} s",
            file=sys.stderr,
        )
        self.stats: EndpointStats | None = None
        self.sut: EndpointSUT | None = None

    @property
    def description(self) -> str:
        o = self.options
        return (
            f"endpoint {o.completions_url} (model {o.model}), {o.max_concurrency} requests in "
            f"flight at most, max_tokens {o.max_tokens}, prompts as {o.prompt_format}"
        )

    def make_sut(self, settings: Any, state: RunState) -> EndpointSUT:
        """The SUT, once LoadGen's settings say whether token latencies are measured."""
        token_latencies = bool(settings.use_token_latencies)
        self.stats = EndpointStats(self.options, token_latencies)
        self.sut = EndpointSUT(
            self.options,
            self.prompts,
            state,
            self.stats,
            api_key=self._api_key,
            scenario=self.config.scenario,
            log_responses=self.log_responses,
            # Offline reports tokens per second only: its first tokens would cost a call each
            report_first_token=self.config.scenario == "Server"
            or (token_latencies and self.config.scenario != "Offline"),
            tokenizer=self.tokenizer,
        )
        return self.sut

    def event_fields(self, event: str) -> dict[str, Any] | None:
        """The ``endpoint`` object of a progress, result or error event (None before the SUT)."""
        if self.stats is None:
            return None
        fields = self.stats.snapshot()
        if event == "result":
            fields["loadgen_tokens"] = loadgen_token_figures(self.config.output_dir)
            fields["probe"] = {
                "served_models": list(self.probe.served_models),
                "engine_token_ids": self.probe.engine_token_ids,
                "seconds": round(self.probe.seconds, 3),
            }
            fields["threads"] = self.stats.threads_at_peak
        return fields

    def failure(self) -> str | None:
        """Why the run failed although LoadGen finished: requests that failed, or None."""
        if self.stats is None:
            return None
        snap = self.stats.snapshot()
        failed = snap["failed_total"]
        if not failed:
            return None
        kinds = ", ".join(f"{k}: {n}" for k, n in snap["failed"].items())
        return (
            f"{failed} of {snap['requests']} requests to {self.options.completions_url} failed "
            f"({kinds}); a failed sample completes without an answer, so the figures do not "
            "measure the engine"
        )

    def write_accuracy(self, accuracy_log: Path, out_path: Path) -> dict[str, Any]:
        """Score the accuracy log as the benchmark's reference does; writes accuracy.txt."""
        from harness.accuracy_log import write_text_atomic
        from harness.tasks.llm_summarization.accuracy import score_accuracy_log

        assert self.options.tokenizer_dir is not None  # checked in __init__
        score = score_accuracy_log(
            accuracy_log,
            self.config.dataset_path,
            benchmark=self.config.benchmark,
            tokenizer_dir=self.options.tokenizer_dir,
        )
        write_text_atomic(out_path, score.line + "\n")
        return {
            "metric": "ROUGE1",
            "value": float(score.result["rouge1"]),
            "path": str(out_path),
            "values": dict(score.result),
        }


def _check_format(benchmark: str, dataset_format: str, scoring: bool) -> None:
    """The prompt format must be the benchmark's (its accuracy script reads that data set)."""
    from harness.tasks.llm_summarization.accuracy import BENCHMARKS

    spec = BENCHMARKS.get(benchmark)
    if spec is None:
        if scoring:
            raise ConfigError(
                f"no LLM accuracy script scores {benchmark!r}",
                f"use one of: {', '.join(BENCHMARKS)}",
            )
        return
    if spec.format != dataset_format:
        raise ConfigError(
            f"endpoint.dataset_format is {dataset_format!r}, but {benchmark} reads the "
            f"{spec.format} data set",
            f'set endpoint.dataset_format to "{spec.format}" and dataset_path to that data set',
        )


def loadgen_token_figures(output_dir: Path | str) -> dict[str, Any] | None:
    """LoadGen's own token figures of a run (its detail log; harness.loadgen_logs.token_figures),
    or None when it measured none."""
    from harness.loadgen_logs import DETAIL_LOG, parse_detail_log, token_figures

    path = Path(output_dir) / DETAIL_LOG
    if not path.is_file():
        return None
    return token_figures(parse_detail_log(path))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
