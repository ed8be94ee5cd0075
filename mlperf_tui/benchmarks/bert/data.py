"""SQuAD v1.1 as the MLCommons reference lays it out, and its synthetic stand-in.

A folder with ``dev-v1.1.json`` (the SQuAD v1.1 dev set: 48 articles, 2,067 paragraphs,
10,570 questions) and the uncased BERT ``vocab.txt``; the harness's
``harness.datasets.squad`` turns it into 10,833 features, the samples LoadGen sees (a count
here is always features).

The stand-in is a folder of the same layout: a SQuAD-format JSON of generated paragraphs and
questions whose answers occur in their paragraph (1-3 answers per question, like the dev
set's several annotators), and a matching vocab.txt (BERT's special tokens, punctuation,
digits, single letters and ``##`` pieces, and a few thousand generated words), deterministic
from a seed. Paragraphs mix what the conversion must handle: capitalised and accented words,
punctuation attached to words, words split into ``##`` pieces, and long paragraphs that need
several doc-stride windows; a few questions are longer than the 64-token query limit. It holds
exactly the features asked for.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlperf_tui.errors import AssetError

if TYPE_CHECKING:
    from harness.datasets.squad import WordPiece
    from mlperf_tui.benchmarks import Progress

SQUAD_FILE = "dev-v1.1.json"
VOCAB_FILE = "vocab.txt"
#: a cached feature (harness.datasets.squad): ids int32, mask and segments int8, the
#: token-to-word map int32 and the max-context flags per token, and three scalars
SAMPLE_BYTES = 384 * (4 + 1 + 1 + 4 + 1) + 4 + 4 + 8
#: pre-flight figures: a feature in the sample store (three int64 [384] inputs), its response
#: in the accuracy log (float32 [384, 2]), a generated feature's share of the stand-in's JSON
#: (measured: 443-454 bytes), and one core's seconds to generate a feature (measured 1-1.5 ms)
#: and to convert one (tokenise and build the windows; measured 0.4-0.7 ms)
LOADED_SAMPLE_BYTES = 3 * 384 * 8
RESPONSE_BYTES = 384 * 2 * 4
GENERATED_SAMPLE_BYTES = 460
GENERATE_S_PER_SAMPLE = 0.0015
PREPROCESS_S_PER_SAMPLE = 0.0007

_SPECIAL = ("[PAD]", *(f"[unused{i}]" for i in range(10)), "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"
_FUNCTION_WORDS = (
    "the", "a", "an", "of", "in", "on", "at", "to", "by", "for", "with", "from", "and", "or",
    "was", "is", "were", "are", "what", "which", "who", "when", "where", "how", "many", "much",
    "did", "does", "year", "name", "called", "after", "before", "during",
)  # fmt: skip
_SUFFIXES = ("s", "ed", "ing", "er", "ly", "ness", "ian", "ism")
_ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü"}
#: words in the generated vocabulary (besides function words, letters and pieces)
_WORDS = 3000


def _vocab_words(seed: int) -> list[str]:
    """Distinct pseudo-words of 1-3 syllables."""
    rng = np.random.default_rng([seed, 1])
    words: dict[str, None] = {}
    while len(words) < _WORDS:
        syllables = int(rng.integers(1, 4))
        word = "".join(
            _CONSONANTS[int(rng.integers(len(_CONSONANTS)))] + _VOWELS[int(rng.integers(5))]
            for _ in range(syllables)
        )
        if word not in _FUNCTION_WORDS:
            words[word] = None
    return list(words)


def vocabulary(seed: int) -> list[str]:
    """The stand-in's vocab.txt lines: BERT's layout (special tokens first), every character
    the generated text uses alone and as a ``##`` piece, the suffixes, the words."""
    chars = list(string.ascii_lowercase) + list(string.digits)
    tokens = [
        *_SPECIAL,
        *string.punctuation,
        *chars,
        *(f"##{c}" for c in chars),
        *(f"##{s}" for s in _SUFFIXES),
        *_FUNCTION_WORDS,
        *_vocab_words(seed),
    ]
    return list(dict.fromkeys(tokens))  # "a" is a letter and a word: once


class _Writer:
    """Generates paragraphs and questions from one random stream."""

    def __init__(self, seed: int, words: list[str]) -> None:
        self.rng = np.random.default_rng([seed, 2])
        self.words = words
        self.ids: set[str] = set()

    def pick(self, n: int) -> int:
        return int(self.rng.integers(n))

    def word(self) -> str:
        r = self.rng.random()
        if r < 0.25:
            w = _FUNCTION_WORDS[self.pick(len(_FUNCTION_WORDS))]
        else:
            w = self.words[self.pick(len(self.words))]
        r = self.rng.random()
        if r < 0.08:
            w += _SUFFIXES[self.pick(len(_SUFFIXES))]  # WordPiece: root ##suffix
        elif r < 0.12:
            w = "".join(_ACCENTED.get(c, c) if self.rng.random() < 0.5 else c for c in w)
        elif r < 0.14:
            w = str(int(self.rng.integers(1000, 2100)))  # a year: digits as ## pieces
        elif r < 0.16:
            w = f"{self.rng.integers(1800, 1950)}-{self.rng.integers(1950, 2020)}"
        if self.rng.random() < 0.15:
            w = w[:1].upper() + w[1:]
        r = self.rng.random()
        if r < 0.03:
            w = f"({w})"
        elif r < 0.06:
            w += "'s"
        elif r < 0.10:
            w += ","
        return w

    def paragraph(self, long: bool) -> str:
        n_words = int(self.rng.integers(320, 760)) if long else int(self.rng.integers(30, 140))
        sentences, count = [], 0
        while count < n_words:
            k = int(self.rng.integers(6, 19))
            words = [self.word() for _ in range(k)]
            words[0] = words[0][:1].upper() + words[0][1:]
            sentences.append(" ".join(words).rstrip(",") + ".")
            count += k
        return " ".join(sentences)

    def qas_id(self) -> str:
        while True:
            qid = "".join(f"{int(b):02x}" for b in self.rng.integers(0, 256, size=12))
            if qid not in self.ids:
                self.ids.add(qid)
                return qid

    def question(self, context: str) -> dict[str, Any]:
        """A question whose answers are spans of ``context`` (1-3 of them, SQuAD-style)."""
        from harness.tasks.bert_squad.accuracy import normalize_answer

        spans = [(m, m + len(w)) for m, w in _word_offsets(context)]
        while True:
            first = self.pick(len(spans))
            last = min(len(spans) - 1, first + self.pick(4))
            begin, end = spans[first][0], spans[last][1]
            # answers do not start or end on punctuation, as annotators mark them
            while begin < end and context[begin] in string.punctuation:
                begin += 1
            while end > begin and context[end - 1] in string.punctuation:
                end -= 1
            text = context[begin:end]
            if normalize_answer(text):  # not only articles and punctuation
                break
        answers = [{"answer_start": begin, "text": text}]
        if " " in text and self.rng.random() < 0.5:  # a second annotator: a shorter span
            cut = text.index(" ") + 1
            if normalize_answer(text[cut:]):
                answers.append({"answer_start": begin + cut, "text": text[cut:]})
        if self.rng.random() < 0.5:
            answers.append({"answer_start": begin, "text": text})
        near = [w for _, w in _word_offsets(context)[max(0, first - 6) : first]]
        n_extra = 70 if self.rng.random() < 0.02 else int(self.rng.integers(1, 5))
        extra = [self.word() for _ in range(n_extra)]  # sometimes past the 64-token limit
        lead = ("What", "Which", "Who", "When", "Where", "How many")[self.pick(6)]
        question = " ".join([lead, *near, *extra]) + "?"
        return {"answers": answers, "question": question, "id": self.qas_id()}


def _word_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for word in text.split(" "):
        if word:
            out.append((pos, word))
        pos += len(word) + 1
    return out


def _features_of(wordpiece: WordPiece, context: str, questions: list[dict[str, Any]]) -> list[int]:
    """How many features each question over ``context`` gives (the harness's conversion)."""
    from harness.datasets.squad import REFERENCE, doc_span_starts, split_words

    ((doc_ids, _),) = wordpiece.word_ids([split_words(context)])
    counts = []
    for ids in wordpiece.ids([q["question"] for q in questions]):
        q = min(len(ids), REFERENCE.max_query_length)
        window = REFERENCE.max_seq_length - q - 3
        counts.append(len(doc_span_starts(len(doc_ids), window, REFERENCE.doc_stride)))
    return counts


def synthesize(count: int, seed: int, folder: Path, progress: Progress | None = None) -> None:
    """Write a SQuAD folder (dev-v1.1.json + vocab.txt) giving exactly ``count`` features."""
    from harness.datasets.squad import WordPiece

    vocab = vocabulary(seed)
    (folder / VOCAB_FILE).write_text("".join(f"{t}\n" for t in vocab), encoding="utf-8")
    wordpiece = WordPiece(folder / VOCAB_FILE)
    writer = _Writer(seed, _vocab_words(seed))
    label = f"Generating a synthetic SQuAD set of {count} features"
    if progress:
        progress(label, 0, count)
    articles: list[dict[str, Any]] = []
    made = 0
    while made < count:
        left = count - made
        long = left >= 6 and writer.rng.random() < 0.15
        context = writer.paragraph(long)
        wanted = 1 + writer.pick(3)
        questions = [writer.question(context) for _ in range(wanted)]
        kept = []
        for question, n in zip(questions, _features_of(wordpiece, context, questions), strict=True):
            if made + n > count:
                break
            kept.append(question)
            made += n
        if not kept:
            continue  # a long paragraph that does not fit: the next one is short
        if not articles or len(articles[-1]["paragraphs"]) >= 8:
            articles.append({"title": f"Synthetic_article_{len(articles) + 1}", "paragraphs": []})
        articles[-1]["paragraphs"].append({"context": context, "qas": kept})
        if progress:
            progress(label, made, count)
    doc = {"data": articles, "version": "1.1"}
    (folder / SQUAD_FILE).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def preprocessed_in_cache(folder: Path, cache_dir: Path, task_options: Mapping[str, Any]) -> int:
    """Features of ``folder`` already converted in the harness's cache ``cache_dir``."""
    from harness.datasets.squad import cached_count

    return cached_count(folder, cache_dir)


def count_samples(folder: Path) -> int:
    """Features of the folder's SQuAD set (0 when it holds none)."""
    from harness.datasets.squad import count_features
    from harness.tasks import DatasetError

    if not (folder / SQUAD_FILE).is_file() or not (folder / VOCAB_FILE).is_file():
        return 0
    try:
        return count_features(folder)
    except DatasetError:
        return 0


def check_folder(folder: Path) -> int:
    """AssetError unless ``folder`` holds dev-v1.1.json and vocab.txt that convert; the count."""
    from harness.datasets.squad import count_features
    from harness.tasks import DatasetError

    if not folder.is_dir():
        raise AssetError(
            f"data set folder {folder} does not exist",
            f"point it at the folder holding {SQUAD_FILE} and {VOCAB_FILE}, or use synthetic",
        )
    for name, what in ((SQUAD_FILE, "the SQuAD v1.1 dev set"), (VOCAB_FILE, "BERT's vocabulary")):
        if not (folder / name).is_file():
            raise AssetError(
                f"no {name} in {folder}",
                f"the folder needs {SQUAD_FILE} and {VOCAB_FILE}; {name} is {what}",
            )
    try:
        return count_features(folder)
    except DatasetError as exc:
        raise AssetError(exc.message, exc.fix) from None
