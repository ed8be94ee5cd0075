"""SQuAD examples and their WordPiece features, as the reference converts them (see
:mod:`harness.datasets.squad`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.tasks import DatasetError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SQUAD_FILE = "dev-v1.1.json"
VOCAB_FILE = "vocab.txt"
#: the first feature's unique id, as the reference counts them
FIRST_UNIQUE_ID = 1_000_000_000
#: bump whenever the conversion's output changes, so stale caches are not reused
CONVERTER_VERSION = 1
#: the special tokens a BERT vocabulary must hold
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


@dataclass(frozen=True)
class FeatureSettings:
    """The reference's conversion settings (``squad_QSL.py``: 384, 128, 64, uncased)."""

    max_seq_length: int = 384
    doc_stride: int = 128
    max_query_length: int = 64
    lowercase: bool = True

    def __post_init__(self) -> None:
        if self.max_seq_length - self.max_query_length - 3 < 1 or self.doc_stride < 1:
            raise ValueError("max_seq_length must leave room for the paragraph; doc_stride >= 1")

    @property
    def id(self) -> str:
        case = "uncased" if self.lowercase else "cased"
        return (
            f"squad-wordpiece-{case}-seq{self.max_seq_length}-stride{self.doc_stride}"
            f"-query{self.max_query_length}-v{CONVERTER_VERSION}"
        )


#: the MLCommons BERT settings
REFERENCE = FeatureSettings()


@dataclass(frozen=True)
class SquadExample:
    """One question: its id, text, the paragraph's words, and the ground-truth answers."""

    qas_id: str
    question_text: str
    doc_tokens: tuple[str, ...]
    answers: tuple[str, ...]
    #: index of the paragraph in file order (examples of one paragraph share its words)
    paragraph: int


#: the reference's whitespace: space, tab, CR, LF and NARROW NO-BREAK SPACE (U+202F)
_WORD = re.compile("[^ \t\r\n\u202f]+")


def split_words(text: str) -> list[str]:
    """A paragraph's words: the runs of characters between the reference's whitespace."""
    return _WORD.findall(text)


def read_examples(data: Any, source: str = SQUAD_FILE) -> list[SquadExample]:
    """The examples of a parsed SQuAD JSON document, in file order (DatasetError when the
    document is not in the SQuAD layout)."""
    try:
        articles = data["data"]
        examples: list[SquadExample] = []
        paragraph_index = 0
        for article in articles:
            for paragraph in article["paragraphs"]:
                words = tuple(split_words(paragraph["context"]))
                for qa in paragraph["qas"]:
                    examples.append(
                        SquadExample(
                            qas_id=str(qa["id"]),
                            question_text=str(qa["question"]),
                            doc_tokens=words,
                            answers=tuple(str(a["text"]) for a in qa.get("answers", ())),
                            paragraph=paragraph_index,
                        )
                    )
                paragraph_index += 1
    except (KeyError, TypeError) as exc:
        raise DatasetError(
            f"{source} is not a SQuAD v1.1 file (missing or wrong {exc})",
            'use dev-v1.1.json: {"data": [{"paragraphs": [{"context", "qas": [...]}]}]}',
        ) from None
    if not examples:
        raise DatasetError(f"{source} holds no questions", "use the SQuAD v1.1 dev set")
    return examples


class WordPiece:
    """BERT's tokenizer from a vocab.txt, through the ``tokenizers`` library."""

    def __init__(self, vocab_path: Path, lowercase: bool = True) -> None:
        try:
            from tokenizers import Tokenizer, normalizers, pre_tokenizers
            from tokenizers.models import WordPiece as WordPieceModel
        except ImportError:  # pragma: no cover - a dependency of the task
            raise DatasetError(
                "the tokenizers library is not installed", "pip install tokenizers"
            ) from None
        if not vocab_path.is_file():
            raise DatasetError(
                f"no {vocab_path.name} in {vocab_path.parent}",
                f"put the BERT uncased {VOCAB_FILE} beside {SQUAD_FILE}",
            )
        try:
            model = WordPieceModel.from_file(
                str(vocab_path), unk_token="[UNK]", max_input_chars_per_word=100
            )
        except Exception as exc:  # the library's own error types for an unreadable vocabulary
            raise DatasetError(
                f"cannot read {vocab_path}: {exc}", "use the BERT vocab.txt"
            ) from None
        tokenizer = Tokenizer(model)
        # BertTokenizer's basic tokenizer: clean the text, space out CJK characters, lower-case
        # and strip accents (strip_accents=None follows lowercase, as do_lower_case does), then
        # split on whitespace and punctuation
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        # a special token written in the text stays one token, as in BertTokenizer
        tokenizer.add_special_tokens(
            [t for t in (*SPECIAL_TOKENS, "[MASK]") if tokenizer.token_to_id(t) is not None]
        )
        self._tokenizer: Tokenizer = tokenizer
        missing = [t for t in SPECIAL_TOKENS if self._tokenizer.token_to_id(t) is None]
        if missing:
            raise DatasetError(
                f"{vocab_path} lacks the BERT tokens {', '.join(missing)}",
                "use the vocab.txt of the BERT model (uncased_L-24_H-1024_A-16)",
            )
        #: id -> token, as the tokenizer reads the file
        self.vocab = [
            self._tokenizer.id_to_token(i) or "[UNK]"
            for i in range(self._tokenizer.get_vocab_size(with_added_tokens=False))
        ]
        self.lowercase = lowercase
        self.cls_id = self._id("[CLS]")
        self.sep_id = self._id("[SEP]")

    def _id(self, token: str) -> int:
        found = self._tokenizer.token_to_id(token)
        if found is None:  # pragma: no cover - checked above
            raise DatasetError(f"the vocabulary has no {token}", "use the BERT vocab.txt")
        return int(found)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids of each text (no special tokens added)."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encodings]

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens of one text, as ``BertTokenizer.tokenize``."""
        return list(self._tokenizer.encode(text, add_special_tokens=False).tokens)

    def word_ids(self, paragraphs: Sequence[Sequence[str]]) -> list[tuple[list[int], list[int]]]:
        """For each paragraph's words: the sub-word ids, and the word each one came from
        (each word tokenised on its own, as the reference does)."""
        encodings = self._tokenizer.encode_batch(
            [list(words) for words in paragraphs], is_pretokenized=True, add_special_tokens=False
        )
        out = []
        for e in encodings:
            words = [w if w is not None else -1 for w in e.word_ids]
            out.append((list(e.ids), words))
        return out

    def basic_tokenize(self, text: str) -> list[str]:
        """BERT's basic tokenizer (clean, lower-case, strip accents, split punctuation)."""
        normalizer = self._tokenizer.normalizer
        pre_tokenizer = self._tokenizer.pre_tokenizer
        assert normalizer is not None and pre_tokenizer is not None
        normalized = normalizer.normalize_str(text)
        return [piece for piece, _ in pre_tokenizer.pre_tokenize_str(normalized)]


def doc_span_starts(doc_length: int, max_tokens_for_doc: int, doc_stride: int) -> list[int]:
    """Start offsets of the reference's sliding windows (each ``max_tokens_for_doc`` long,
    the last one shorter) over ``doc_length`` paragraph tokens."""
    starts: list[int] = []
    start = 0
    while start < doc_length:
        length = min(doc_length - start, max_tokens_for_doc)
        starts.append(start)
        if start + length == doc_length:
            break
        start += min(length, doc_stride)
    return starts


@dataclass(frozen=True)
class Features:
    """All features of a data set, one row each (module doc)."""

    input_ids: np.ndarray  # int32 [N, S]
    input_mask: np.ndarray  # int8 [N, S]
    segment_ids: np.ndarray  # int8 [N, S]
    token_to_orig: np.ndarray  # int32 [N, S]: paragraph word of a position, -1 elsewhere
    max_context: np.ndarray  # bool [N, S]
    example_index: np.ndarray  # int32 [N]
    doc_span_index: np.ndarray  # int32 [N]
    unique_id: np.ndarray  # int64 [N]

    FIELDS = (
        "input_ids",
        "input_mask",
        "segment_ids",
        "token_to_orig",
        "max_context",
        "example_index",
        "doc_span_index",
        "unique_id",
    )

    @property
    def count(self) -> int:
        return int(self.input_ids.shape[0])

    def length(self, i: int) -> int:
        """Real tokens of feature i (``len(feature.tokens)`` in the reference)."""
        return int(np.count_nonzero(self.input_mask[i]))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.FIELDS}


def window_spans(
    doc_length: int, query_len: int, settings: FeatureSettings
) -> tuple[list[int], int]:
    """Window starts and the window size (the -3: [CLS] and two [SEP])."""
    max_tokens_for_doc = settings.max_seq_length - query_len - 3
    return doc_span_starts(doc_length, max_tokens_for_doc, settings.doc_stride), max_tokens_for_doc


def _max_context(
    starts: Sequence[int], max_tokens: int, doc_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """(best window per paragraph token, window lengths): the reference's max-context rule."""
    lengths = np.array([min(max_tokens, doc_length - s) for s in starts], dtype=np.int64)
    pos = np.arange(doc_length, dtype=np.int64)[None, :]
    begin = np.asarray(starts, dtype=np.int64)[:, None]
    end = begin + lengths[:, None] - 1
    score = np.minimum(pos - begin, end - pos) + 0.01 * lengths[:, None]
    score = np.where((pos >= begin) & (pos <= end), score, -np.inf)
    return np.argmax(score, axis=0), lengths  # argmax: the first window on a tie


def convert_examples(
    examples: Sequence[SquadExample], wordpiece: WordPiece, settings: FeatureSettings = REFERENCE
) -> Features:
    """The reference's ``convert_examples_to_features`` for evaluation (module doc)."""
    seq = settings.max_seq_length
    questions = wordpiece.ids([e.question_text for e in examples])
    queries = [q[: settings.max_query_length] for q in questions]
    # a paragraph's words are tokenised once for all its questions (the same result)
    firsts: dict[int, int] = {}
    for n, e in enumerate(examples):
        firsts.setdefault(e.paragraph, n)
    docs = dict(
        zip(
            firsts,
            wordpiece.word_ids([examples[n].doc_tokens for n in firsts.values()]),
            strict=True,
        )
    )
    # per feature: example, window index, window start, window length, best window per token
    plan: list[tuple[int, int, int, int, np.ndarray]] = []
    contexts: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for n, e in enumerate(examples):
        doc_ids, _ = docs[e.paragraph]
        starts, max_tokens = window_spans(len(doc_ids), len(queries[n]), settings)
        key = (e.paragraph, max_tokens)
        if key not in contexts and starts:
            contexts[key] = _max_context(starts, max_tokens, len(doc_ids))
        for s, start in enumerate(starts):
            best, lengths = contexts[key]
            plan.append((n, s, start, int(lengths[s]), best))
    count = len(plan)
    input_ids = np.zeros((count, seq), dtype=np.int32)
    input_mask = np.zeros((count, seq), dtype=np.int8)
    segment_ids = np.zeros((count, seq), dtype=np.int8)
    token_to_orig = np.full((count, seq), -1, dtype=np.int32)
    max_context = np.zeros((count, seq), dtype=bool)
    example_index = np.zeros(count, dtype=np.int32)
    doc_span_index = np.zeros(count, dtype=np.int32)
    arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for row, (n, s, start, length, best) in enumerate(plan):
        e = examples[n]
        if e.paragraph not in arrays:
            ids, words = docs[e.paragraph]
            arrays[e.paragraph] = (
                np.asarray(ids, dtype=np.int32),
                np.asarray(words, dtype=np.int32),
            )
        para_ids, para_words = arrays[e.paragraph]
        q = queries[n]
        head = 1 + len(q) + 1
        real = head + length + 1
        input_ids[row, 0] = wordpiece.cls_id
        input_ids[row, 1 : 1 + len(q)] = q
        input_ids[row, head - 1] = wordpiece.sep_id
        input_ids[row, head : head + length] = para_ids[start : start + length]
        input_ids[row, real - 1] = wordpiece.sep_id
        input_mask[row, :real] = 1
        segment_ids[row, head:real] = 1
        token_to_orig[row, head : head + length] = para_words[start : start + length]
        max_context[row, head : head + length] = best[start : start + length] == s
        example_index[row] = n
        doc_span_index[row] = s
    return Features(
        input_ids=input_ids,
        input_mask=input_mask,
        segment_ids=segment_ids,
        token_to_orig=token_to_orig,
        max_context=max_context,
        example_index=example_index,
        doc_span_index=doc_span_index,
        unique_id=FIRST_UNIQUE_ID + np.arange(count, dtype=np.int64),
    )
