"""The SQuAD features' disk cache and the sample store LoadGen reads (see
:mod:`harness.datasets.squad`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.datasets import SampleStore, StoreBacked
from harness.datasets.squad.features import (
    REFERENCE,
    SQUAD_FILE,
    VOCAB_FILE,
    Features,
    FeatureSettings,
    SquadExample,
    WordPiece,
    convert_examples,
    read_examples,
    window_spans,
)
from harness.tasks import DatasetError, ProgressCallback


def resolve_files(
    dataset_path: Path | str, vocab_path: Path | str | None = None
) -> tuple[Path, Path]:
    """(dev-v1.1.json, vocab.txt) of a data set folder, or of the JSON file given directly;
    the vocabulary beside it unless ``vocab_path`` names it. DatasetError naming what is
    missing."""
    path = Path(dataset_path)
    if path.is_file():
        squad, folder = path, path.parent
    elif path.is_dir():
        squad, folder = path / SQUAD_FILE, path
    else:
        raise DatasetError(
            f"data set folder {path} does not exist",
            f"point the data set at the folder holding {SQUAD_FILE} and {VOCAB_FILE}",
        )
    if not squad.is_file():
        raise DatasetError(
            f"no {SQUAD_FILE} in {folder}",
            f"put the SQuAD v1.1 dev set ({SQUAD_FILE}) and the BERT {VOCAB_FILE} in it",
        )
    vocab = Path(vocab_path) if vocab_path is not None else folder / VOCAB_FILE
    if not vocab.is_file():
        raise DatasetError(
            f"no {vocab.name} in {vocab.parent}",
            f"put the BERT uncased {VOCAB_FILE} beside {SQUAD_FILE}",
        )
    return squad, vocab


def _read_json(path: Path) -> tuple[bytes, Any]:
    try:
        raw = path.read_bytes()
        return raw, json.loads(raw)
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror}", "check the file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(
            f"{path} is not JSON ({exc})", f"replace it with the SQuAD v1.1 {SQUAD_FILE}"
        ) from None


def cache_key(squad_bytes: bytes, vocab_bytes: bytes, settings: FeatureSettings) -> str:
    """Identity of a conversion: the data, the vocabulary, the settings, the tokenizer."""
    import tokenizers

    h = hashlib.sha256()
    for part in (
        hashlib.sha256(squad_bytes).digest(),
        hashlib.sha256(vocab_bytes).digest(),
        settings.id.encode(),
        f"tokenizers-{tokenizers.__version__}".encode(),
    ):
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()[:20]


def _read_cache(path: Path, key: str, settings: FeatureSettings) -> Features | None:
    """The cached features, or None when the file is missing, damaged or of another key."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz["key"]) != key:
                return None  # another data set, vocabulary or converter: convert again
            arrays = {name: npz[name] for name in Features.FIELDS}
    except (OSError, KeyError, ValueError, EOFError):
        return None  # missing or damaged: convert again
    features = Features(**arrays)
    if features.input_ids.ndim != 2 or features.input_ids.shape[1] != settings.max_seq_length:
        return None
    return features


def _write_cache(path: Path, key: str, features: Features) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(key), **features.arrays())  # type: ignore[arg-type]
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class Loaded:
    """A data set read and converted: its examples, features, tokenizer and cache file."""

    squad_path: Path
    examples: list[SquadExample]
    features: Features
    wordpiece: WordPiece
    #: the cache file (None when not cached)
    cache_path: Path | None
    #: whether the features were converted now (False: read from the cache)
    converted: bool


def load_features(
    dataset_path: Path | str,
    cache_dir: Path | str | None = None,
    settings: FeatureSettings = REFERENCE,
    vocab_path: Path | str | None = None,
    cache_file: Path | str | None = None,
) -> Loaded:
    """Examples and features of a SQuAD folder; the features from the cache when it has them
    (converted and cached otherwise). The cache is ``<cache_dir>/squad/<key>/features.npz``,
    or ``cache_file`` itself (used only when it holds this key; rewritten otherwise); neither
    given: converted, never cached."""
    squad_path, vocab_path = resolve_files(dataset_path, vocab_path)
    raw, data = _read_json(squad_path)
    examples = read_examples(data, str(squad_path))
    wordpiece = WordPiece(vocab_path, settings.lowercase)
    key = cache_key(raw, vocab_path.read_bytes(), settings)
    cache_path: Path | None = None
    if cache_file is not None:
        cache_path = Path(cache_file)
    elif cache_dir is not None:
        cache_path = Path(cache_dir) / "squad" / key / "features.npz"
    if cache_path is not None:
        cached = _read_cache(cache_path, key, settings)
        if cached is not None:
            return Loaded(squad_path, examples, cached, wordpiece, cache_path, False)
    features = convert_examples(examples, wordpiece, settings)
    if cache_path is not None:
        _write_cache(cache_path, key, features)
    return Loaded(squad_path, examples, features, wordpiece, cache_path, True)


def cached_count(dataset_path: Path | str, cache_dir: Path | str) -> int:
    """Features of the SQuAD folder already in the cache under ``cache_dir`` (all or none:
    they are converted together); 0 when the folder is not readable."""
    try:
        squad_path, vocab_path = resolve_files(dataset_path)
        key = cache_key(squad_path.read_bytes(), vocab_path.read_bytes(), REFERENCE)
        path = Path(cache_dir) / "squad" / key / "features.npz"
        with np.load(path, allow_pickle=False) as npz:
            return int(npz["unique_id"].shape[0]) if str(npz["key"]) == key else 0
    except (DatasetError, OSError, KeyError, ValueError, EOFError):
        return 0


def count_features(dataset_path: Path | str, settings: FeatureSettings = REFERENCE) -> int:
    """How many features (LoadGen samples) a SQuAD folder gives, without building them."""
    squad_path, vocab_path = resolve_files(dataset_path)
    _, data = _read_json(squad_path)
    examples = read_examples(data, str(squad_path))
    wordpiece = WordPiece(vocab_path, settings.lowercase)
    query_lengths = [
        min(len(q), settings.max_query_length)
        for q in wordpiece.ids([e.question_text for e in examples])
    ]
    firsts: dict[int, int] = {}
    for n, e in enumerate(examples):
        firsts.setdefault(e.paragraph, n)
    doc_lengths = dict(
        zip(
            firsts,
            (len(ids) for ids, _ in wordpiece.word_ids([examples[n].doc_tokens for n in firsts.values()])),
            strict=True,
        )
    )  # fmt: skip
    return sum(
        len(window_spans(doc_lengths[e.paragraph], q, settings)[0])
        for e, q in zip(examples, query_lengths, strict=True)
    )


class SquadDataset(StoreBacked):
    """SQuAD features as LoadGen samples: three int64 model inputs per sample.

    ``inputs`` maps each role (``input_ids``, ``input_mask``, ``segment_ids``) to the model's
    input name and dtype. The features are converted (or read from the cache) when the data
    set is opened; :meth:`load` copies the rows LoadGen asks for into one contiguous array per
    input.
    """

    ROLES = ("input_ids", "input_mask", "segment_ids")

    def __init__(
        self,
        dataset_path: Path | str,
        cache_dir: Path | str | None,
        count: int | None = None,
        *,
        inputs: Mapping[str, tuple[str, str]] | None = None,
        settings: FeatureSettings = REFERENCE,
    ) -> None:
        loaded = load_features(dataset_path, cache_dir, settings)
        features = loaded.features
        if count is not None:
            if count < 1:
                raise DatasetError(
                    f"dataset_count must be at least 1, got {count}", "use null for all"
                )
            if count > features.count:
                raise DatasetError(
                    f"dataset_count {count} is larger than the {features.count} features of "
                    f"{loaded.squad_path}",
                    f"use at most {features.count} (or null for all)",
                )
        self.loaded = loaded
        self.features = features
        self.settings = settings
        self.total_count = features.count if count is None else count
        self.cache_path = loaded.cache_path
        roles = inputs or {role: (role, "int64") for role in self.ROLES}
        self._inputs = [(role, roles[role][0], np.dtype(roles[role][1])) for role in self.ROLES]
        seq = settings.max_seq_length
        self._store = SampleStore(
            self.total_count, {name: ((seq,), dtype) for _, name, dtype in self._inputs}
        )

    def _fill(self, indices: np.ndarray, rows: dict[str, np.ndarray]) -> None:
        for role, name, _ in self._inputs:
            rows[name][...] = getattr(self.features, role)[indices]  # int32/int8 -> the model's

    def preprocess(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """The features are made when the data set opens; returns how many were made then."""
        made = self.features.count if self.loaded.converted else 0
        if progress:
            progress("SQuAD features", self.total_count, self.total_count)
        return made
