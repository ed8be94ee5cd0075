"""The SQuAD v1.1 accuracy script of BERT: the reference's answers and its EM / F1.

What mlcommons/inference language/bert/accuracy-squad.py and evaluate_v1.1.py compute, written
again over our features (harness.datasets.squad):

- each response in mlperf_log_accuracy.json is the [384, 2] float32 logits of one feature,
  start and end interleaved (``--output_transposed``: all starts, then all ends); a later
  entry for the same sample replaces an earlier one, as the reference's dictionary does;
- an example's answer is the best span over its features: the 20 largest start and the 20
  largest end logits of each feature, spans inside the paragraph part, starting where the
  feature gives the token its most context, at most 30 tokens long; the largest
  start + end logit wins (the first such span on a tie), and its WordPiece text is mapped back
  onto the original words (``get_final_text``, lower-cased); no span: "empty";
- exact match and F1 per question against each ground-truth answer (the best one), after
  ``normalize_answer`` (lower case, no punctuation, no articles, single spaces), averaged
  over the scored questions, as percentages.

The output line is the reference's ``{"exact_match": 83.x, "f1": 90.x}``, which the
submission checker reads. Which questions are scored: every question when the log holds every
feature (as the reference, which gives an unanswered question 0); otherwise - a test run
whose accuracy run covers the first N features, or a compliance audit's log - the questions
whose features the log holds (any of them: the reference, too, scores an example on the
features it has).

    python -m harness.tasks.bert_squad --val_data /data/squad/dev-v1.1.json \\
        --vocab_file /data/squad/vocab.txt --log_file out/mlperf_log_accuracy.json \\
        --out_file out/predictions.json [--accuracy_file out/accuracy.txt]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import string
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.accuracy_log import read_responses, write_text_atomic
from harness.datasets.squad import (
    REFERENCE,
    Features,
    FeatureSettings,
    SquadExample,
    WordPiece,
    load_features,
)
from harness.tasks import AccuracyError, DatasetError, TaskError

__all__ = [
    "DTYPES",
    "MAX_ANSWER_LENGTH",
    "N_BEST",
    "Score",
    "evaluate",
    "exact_match_score",
    "f1_score",
    "get_final_text",
    "main",
    "normalize_answer",
    "predict",
    "read_logits",
    "score_accuracy_log",
    "score_line",
]

#: the reference's write_predictions arguments
N_BEST = 20
MAX_ANSWER_LENGTH = 30
#: --output_dtype choices (the reference's dtype_map)
DTYPES = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
#: logits of positions a short response lacks (the reference pads with this)
_PAD_LOGIT = -10000.0


# --- evaluate_v1.1.py ------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower case, drop punctuation, then the articles a/an/the, then extra whitespace."""
    text = s.lower().translate(_NO_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def f1_score(prediction: str, ground_truth: str) -> float:
    """Token-overlap F1 of two answers after normalisation (0 when nothing is shared)."""
    predicted = normalize_answer(prediction).split()
    truth = normalize_answer(ground_truth).split()
    same = sum((collections.Counter(predicted) & collections.Counter(truth)).values())
    if same == 0:
        return 0
    precision = 1.0 * same / len(predicted)
    recall = 1.0 * same / len(truth)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def evaluate(
    examples: Sequence[SquadExample],
    predictions: Mapping[str, str],
    scored: set[str] | None = None,
) -> dict[str, float]:
    """EM and F1 (percent) over the examples (those whose qas_id is in ``scored``, when
    given); a question without a prediction scores 0."""
    exact_match: float = 0
    f1: float = 0
    total = 0
    for example in examples:
        if scored is not None and example.qas_id not in scored:
            continue
        total += 1
        if example.qas_id not in predictions or not example.answers:
            continue
        prediction = predictions[example.qas_id]
        exact_match += max(exact_match_score(prediction, a) for a in example.answers)
        f1 += max(f1_score(prediction, a) for a in example.answers)
    if total == 0:
        raise AccuracyError(
            "the accuracy log covers no question of the data set",
            "score the log of an accuracy run against the data set the run used",
        )
    return {"exact_match": 100.0 * exact_match / total, "f1": 100.0 * f1 / total}


def score_line(score: Mapping[str, float]) -> str:
    """The reference's output line: ``{"exact_match": 83.x, "f1": 90.x}``, never in exponent
    notation (the checker's pattern reads digits and dots only)."""

    def number(x: float) -> str:
        text = repr(float(x))
        return f"{x:.12f}".rstrip("0") if "e" in text else text

    return f'{{"exact_match": {number(score["exact_match"])}, "f1": {number(score["f1"])}}}'


# --- accuracy-squad.py -----------------------------------------------------------------------


def read_logits(
    accuracy_log: Path,
    total: int,
    seq_length: int = REFERENCE.max_seq_length,
    dtype: str = "float32",
    transposed: bool = False,
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """qsl_idx -> (start logits, end logits) as float64 [seq_length], from the log."""
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for response in read_responses(accuracy_log, dtype):
        n, idx, data = response.n, response.qsl_idx, response.data
        if not 0 <= idx < total:
            raise AccuracyError(
                f"{accuracy_log}: qsl_idx {idx} is outside the data set's {total} features",
                "score against the dev-v1.1.json and vocab.txt the run used",
            )
        if data.size == 0 or data.size % 2 or data.size // 2 > seq_length:
            raise AccuracyError(
                f"{accuracy_log}: entry {n} (qsl_idx {idx}) holds {data.size} values, not "
                f"the start and end logits of up to {seq_length} tokens",
                "the run failed on this sample, or the log is of another benchmark",
            )
        pairs = data.reshape(2, -1).T if transposed else data.reshape(-1, 2)
        start = np.full(seq_length, _PAD_LOGIT)
        end = np.full(seq_length, _PAD_LOGIT)
        start[: pairs.shape[0]] = pairs[:, 0]
        end[: pairs.shape[0]] = pairs[:, 1]
        out[idx] = (start, end)  # a later entry replaces an earlier one, as in the reference
    return out


def _strip_spaces(text: str) -> tuple[str, dict[int, int]]:
    """The text without spaces, and each kept character's position in the text."""
    kept = [(i, c) for i, c in enumerate(text) if c != " "]
    return "".join(c for _, c in kept), {n: i for n, (i, _) in enumerate(kept)}


def get_final_text(pred_text: str, orig_text: str, wordpiece: WordPiece) -> str:
    """The span of the original words ``orig_text`` that the WordPiece text ``pred_text``
    predicts: the two are aligned character by character through the basic tokenizer's
    version of ``orig_text`` (so "Steve Smith's" -> "Steve Smith" for "steve smith");
    ``orig_text`` itself when they do not align."""
    tok_text = " ".join(wordpiece.basic_tokenize(orig_text))
    start = tok_text.find(pred_text)
    if start == -1:
        return orig_text
    end = start + len(pred_text) - 1
    orig_ns, orig_map = _strip_spaces(orig_text)
    tok_ns, tok_map = _strip_spaces(tok_text)
    if len(orig_ns) != len(tok_ns):
        return orig_text
    tok_to_ns = {position: n for n, position in tok_map.items()}
    orig_start = orig_map.get(tok_to_ns[start]) if start in tok_to_ns else None
    if orig_start is None:
        return orig_text
    orig_end = orig_map.get(tok_to_ns[end]) if end in tok_to_ns else None
    if orig_end is None:
        return orig_text
    return orig_text[orig_start : orig_end + 1]


def _best_indexes(logits: np.ndarray, n: int) -> np.ndarray:
    # the largest first; equal logits keep their order (Python's stable sorted, reversed)
    return np.argsort(-logits, kind="stable")[:n]


def _best_span(
    features: Features, rows: Sequence[int], logits: Mapping[int, tuple[np.ndarray, np.ndarray]]
) -> tuple[int, int, int] | None:
    """(feature row, start, end) of the best-scoring valid span over an example's features."""
    best: tuple[int, int, int] | None = None
    best_score = -np.inf
    for row in rows:
        found = logits.get(row)
        if found is None:
            continue  # not in the log: a test run's prefix, or an audit's subset
        start_logits, end_logits = found
        length = features.length(row)
        in_doc = features.token_to_orig[row] >= 0
        max_context = features.max_context[row]
        starts = _best_indexes(start_logits, N_BEST)
        ends = _best_indexes(end_logits, N_BEST)
        for s in starts.tolist():
            if s >= length or not in_doc[s] or not max_context[s]:
                continue
            for e in ends.tolist():
                if e >= length or not in_doc[e] or e < s or e - s + 1 > MAX_ANSWER_LENGTH:
                    continue
                score = float(start_logits[s]) + float(end_logits[e])
                if score > best_score:  # strict: the first span wins a tie
                    best, best_score = (row, s, e), score
    return best


def predict(
    examples: Sequence[SquadExample],
    features: Features,
    logits: Mapping[int, tuple[np.ndarray, np.ndarray]],
    wordpiece: WordPiece,
) -> dict[str, str]:
    """The answer text of every example (``"empty"`` where no feature gives a span)."""
    rows_of: dict[int, list[int]] = collections.defaultdict(list)
    for row, example_index in enumerate(features.example_index.tolist()):
        rows_of[example_index].append(row)
    vocab = wordpiece.vocab
    predictions: dict[str, str] = {}
    for n, example in enumerate(examples):
        span = _best_span(features, rows_of.get(n, ()), logits)
        if span is None:
            predictions[example.qas_id] = "empty"
            continue
        row, s, e = span
        pieces = [vocab[i] for i in features.input_ids[row, s : e + 1].tolist()]
        tok_text = " ".join(pieces).replace(" ##", "").replace("##", "")
        tok_text = " ".join(tok_text.strip().split())
        first, last = int(features.token_to_orig[row, s]), int(features.token_to_orig[row, e])
        orig_text = " ".join(example.doc_tokens[first : last + 1])
        predictions[example.qas_id] = get_final_text(tok_text, orig_text, wordpiece)
    return predictions


@dataclass(frozen=True)
class Score:
    exact_match: float
    f1: float
    #: questions scored, and all the data set has
    scored: int
    questions: int
    #: features the log holds, and all the data set has
    logged: int
    features: int
    predictions: dict[str, str]

    @property
    def line(self) -> str:
        return score_line({"exact_match": self.exact_match, "f1": self.f1})


def score_accuracy_log(
    accuracy_log: Path,
    dataset_path: Path | str,
    *,
    dtype: str = "float32",
    transposed: bool = False,
    cache_dir: Path | str | None = None,
    max_examples: int | None = None,
    settings: FeatureSettings = REFERENCE,
    vocab_path: Path | str | None = None,
    cache_file: Path | str | None = None,
) -> Score:
    """EM and F1 of an mlperf_log_accuracy.json against the SQuAD folder the run used."""
    try:
        loaded = load_features(dataset_path, cache_dir, settings, vocab_path, cache_file)
    except DatasetError as exc:
        raise AccuracyError(exc.message, exc.fix) from None
    features, examples = loaded.features, loaded.examples
    logits = read_logits(accuracy_log, features.count, settings.max_seq_length, dtype, transposed)
    if max_examples is not None:
        examples = examples[:max_examples]
    covered: set[str] | None = None
    if len(logits) < features.count:
        hit = {int(features.example_index[row]) for row in logits}
        covered = {e.qas_id for n, e in enumerate(examples) if n in hit}
    predictions = predict(examples, features, logits, loaded.wordpiece)
    score = evaluate(examples, predictions, covered)
    return Score(
        exact_match=score["exact_match"],
        f1=score["f1"],
        scored=len(examples) if covered is None else len(covered),
        questions=len(loaded.examples),
        logged=len(logits),
        features=features.count,
        predictions=predictions,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.tasks.bert_squad",
        description="EM and F1 of an MLPerf BERT run (mlperf_log_accuracy.json) on SQuAD v1.1.",
    )
    parser.add_argument("--val_data", required=True, help="dev-v1.1.json (or its folder)")
    parser.add_argument("--vocab_file", help="vocab.txt (default: beside dev-v1.1.json)")
    parser.add_argument("--log_file", required=True, help="LoadGen's mlperf_log_accuracy.json")
    parser.add_argument("--out_file", help="write the predictions (qas_id -> answer) here")
    parser.add_argument(
        "--features_cache_file",
        help="the converted features (our .npz, not the reference's pickle): read when it "
        "holds this data set's, written otherwise",
    )
    parser.add_argument("--output_transposed", action="store_true", help="starts, then ends")
    parser.add_argument("--output_dtype", default="float32", choices=list(DTYPES))
    parser.add_argument("--max_examples", type=int, help="score only the first N questions")
    parser.add_argument("--accuracy_file", help="also write the result line here (accuracy.txt)")
    args = parser.parse_args(argv)
    try:
        score = score_accuracy_log(
            Path(args.log_file),
            Path(args.val_data),
            dtype=args.output_dtype,
            transposed=args.output_transposed,
            cache_file=args.features_cache_file,
            max_examples=args.max_examples,
            vocab_path=args.vocab_file,
        )
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out_file:
        write_text_atomic(Path(args.out_file), json.dumps(score.predictions, indent=4) + "\n")
    print(
        f"scored {score.scored} of {score.questions} questions "
        f"({score.logged} of {score.features} features in the log)",
        file=sys.stderr,
    )
    print(score.line)
    if args.accuracy_file:
        write_text_atomic(Path(args.accuracy_file), score.line + "\n")
    return 0
