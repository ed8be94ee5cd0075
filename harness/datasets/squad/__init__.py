"""SQuAD v1.1 for BERT: examples, WordPiece features, and the features' disk cache.

The MLCommons reference (mlcommons/inference language/bert: ``squad_QSL.py`` and
``accuracy-squad.py``, with ``read_squad_examples`` / ``convert_examples_to_features`` of
NVIDIA's DeepLearningExamples ``create_squad_data.py``) reads ``dev-v1.1.json`` and the uncased
``vocab.txt``, and turns each question into one or more *features*, the samples LoadGen sees:

1. examples: one per question, in file order (article, paragraph, question); the paragraph's
   text is split into words on whitespace (space, tab, CR, LF and U+202F);
2. WordPiece tokens (lower-cased, accents stripped, punctuation split: BERT's basic tokenizer,
   then greedy longest-match sub-words marked ``##``) of the question, cut to
   ``max_query_length`` (64), and of each word of the paragraph, remembering which word each
   sub-word came from;
3. doc spans: windows of at most ``max_seq_length - len(query) - 3`` paragraph tokens, each
   starting ``doc_stride`` (128) tokens after the previous one, until one reaches the end;
4. one feature per window: ``[CLS] query [SEP] window [SEP]`` zero-padded to
   ``max_seq_length`` (384), input mask 1 on real tokens, segment ids 1 from the window on;
   ``token_to_orig_map`` (feature position -> paragraph word) and ``token_is_max_context``
   (whether this window gives the token its most context: the largest
   ``min(left, right) + 0.01 * length`` over the windows holding it, the first on a tie).
   Unique ids count from 1000000000.

The real dev set gives 10,833 features from 10,570 questions. Tokenisation uses the
``tokenizers`` library (``BertWordPieceTokenizer``: the same normaliser, pre-tokeniser and
WordPiece model as the reference's ``transformers.BertTokenizer``), not code of our own.

Features are converted once and cached as one ``.npz`` (no pickle) under
``<cache>/squad/<key>/``, the key a hash of the JSON's and the vocabulary's bytes, the
settings, this converter's version and the tokenizers version; written atomically (a temporary
file and ``os.replace``), so two processes converting at once both end with one complete file.
The cache keeps, per feature, input ids (int32), mask and segment ids (int8), the
token-to-word map (int32, -1 outside the paragraph) and the max-context flags; the tokens the
accuracy script needs are the vocabulary's strings of the ids.
"""

from __future__ import annotations

from harness.datasets.squad.cache import (
    Loaded,
    SquadDataset,
    cache_key,
    cached_count,
    count_features,
    load_features,
    resolve_files,
)
from harness.datasets.squad.features import (
    FIRST_UNIQUE_ID,
    REFERENCE,
    SQUAD_FILE,
    VOCAB_FILE,
    Features,
    FeatureSettings,
    SquadExample,
    WordPiece,
    convert_examples,
    doc_span_starts,
    read_examples,
    split_words,
)

__all__ = [
    "FIRST_UNIQUE_ID",
    "REFERENCE",
    "SQUAD_FILE",
    "VOCAB_FILE",
    "FeatureSettings",
    "Features",
    "Loaded",
    "SquadDataset",
    "SquadExample",
    "WordPiece",
    "cache_key",
    "cached_count",
    "convert_examples",
    "count_features",
    "doc_span_starts",
    "load_features",
    "read_examples",
    "resolve_files",
    "split_words",
]
