"""The tiny engine stand-in: deterministic files, a tokenizer equal to the engine's, no EOS.

The tokenizer tests compare HuggingFace ``tokenizers`` (our side: the SUT and the accuracy
script) with llama.cpp's own tokenisation of the GGUF's embedded vocabulary (the engine's side),
which is what a text prompt goes through in the server. They skip where the engine is not
installed (`make engine`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from tokenizers import Tokenizer

from mlperf_tui.benchmarks.llm import engine_standin
from mlperf_tui.benchmarks.llm.engine_standin import (
    TinyEngineModel,
    model_file_bytes,
    write_tiny_engine_model,
)

TEXTS = [
    "Hello world",
    "The café in Zürich costs €12.50, naïve déjà vu.",
    "日本語のテキストと한국어 🤖👍🏽 emoji",
    "  leading, trailing and   inner spaces  ",
    "lines\n\nand\ttabs\r\nand CRLF",
    "it's they'll we'RE don't I'M",
    "numbers 1234567890 3.14159 -42",
    "",
    " ",
    "x" * 300,
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> TinyEngineModel:
    return write_tiny_engine_model(tmp_path_factory.mktemp("engine"), seed=0)


@pytest.fixture(scope="module")
def hf(model: TinyEngineModel) -> Tokenizer:
    return Tokenizer.from_file(str(model.tokenizer_path))


@pytest.fixture(scope="module")
def llama_vocab(model: TinyEngineModel) -> Any:
    """llama.cpp's view of the GGUF's vocabulary (no weights loaded)."""
    llama_cpp = pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed: run `make engine`"
    )
    return llama_cpp.Llama(model_path=str(model.gguf_path), vocab_only=True, verbose=False)


def _fuzz_texts(count: int) -> list[str]:
    """Random strings over the characters where byte-level BPE tokenizers tend to disagree:
    whitespace runs of every kind, contractions, digits, punctuation, multi-byte letters,
    combining marks and emoji sequences."""
    alphabet = [
        *"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:!?'\"-()[]{}/\\",
        *[" "] * 10,
        *["\n", "\t", "\r", "  ", "\u00a0", "\u2009", "\u3000"],
        *"éüßøñçÅЖжπλ中文日本한국🙂👍🏽\u200d\u0301",
        *["'s", "'ll", "'RE", "'S", "'d"],
    ]
    rng = random.Random(0)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(count)]


def test_same_seed_same_bytes_other_seed_other_weights(tmp_path: Path) -> None:
    a = write_tiny_engine_model(tmp_path / "a", seed=7)
    b = write_tiny_engine_model(tmp_path / "b", seed=7)
    c = write_tiny_engine_model(tmp_path / "c", seed=8)
    assert a.gguf_path.read_bytes() == b.gguf_path.read_bytes()
    assert a.gguf_path.read_bytes() != c.gguf_path.read_bytes()
    for name in (engine_standin.TOKENIZER_FILE, engine_standin.TOKENIZER_CONFIG_FILE):
        # the vocabulary does not depend on the seed: one tokenizer for every stand-in
        assert (a.tokenizer_dir / name).read_bytes() == (b.tokenizer_dir / name).read_bytes()
        assert (a.tokenizer_dir / name).read_bytes() == (c.tokenizer_dir / name).read_bytes()


def test_writing_leaves_only_the_finished_files(tmp_path: Path) -> None:
    m = write_tiny_engine_model(tmp_path, seed=0)
    write_tiny_engine_model(tmp_path, seed=0)  # rewriting over itself is fine
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert names == sorted(
        [
            engine_standin.GGUF_FILE,
            engine_standin.TOKENIZER_DIR,
            f"{engine_standin.TOKENIZER_DIR}/{engine_standin.TOKENIZER_FILE}",
            f"{engine_standin.TOKENIZER_DIR}/{engine_standin.TOKENIZER_CONFIG_FILE}",
        ]
    )
    assert m.gguf_path.stat().st_mode & 0o044 == 0o044  # readable by a server of another user


def test_gguf_describes_a_small_llama_with_its_vocabulary(model: TinyEngineModel) -> None:
    reader = gguf.GGUFReader(model.gguf_path)

    def scalar(key: str) -> Any:
        return reader.get_field(key).contents()  # type: ignore[union-attr]

    assert scalar("general.architecture") == "llama"
    assert scalar("llama.context_length") == model.context_length >= 2048
    assert scalar("tokenizer.ggml.model") == "gpt2"
    assert scalar("tokenizer.ggml.bos_token_id") == model.bos_id
    assert scalar("tokenizer.ggml.eos_token_id") == model.eos_id
    assert len(scalar("tokenizer.ggml.tokens")) == model.vocab_size
    assert 256 < model.vocab_size <= 1024  # a few hundred: fast, yet real merges
    assert model_file_bytes(model) < 2_000_000


def test_tokenizer_prepends_bos_and_decodes_back(hf: Tokenizer, model: TinyEngineModel) -> None:
    assert hf.get_vocab_size() == model.vocab_size
    for text in TEXTS:
        ids = hf.encode(text).ids
        assert ids[0] == model.bos_id
        assert hf.decode(ids, skip_special_tokens=True) == text
    # merges make common English shorter than its bytes
    assert len(hf.encode("the committee said on Tuesday").ids) < 20


def test_tokenizer_ids_equal_the_engines(hf: Tokenizer, llama_vocab: Any) -> None:
    for text in [*TEXTS, "a<|end_of_text|>b<|begin_of_text|>", *_fuzz_texts(2000)]:
        ours = hf.encode(text).ids
        engines = llama_vocab.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        assert ours == engines, repr(text)
        # without BOS too, as a SUT that builds its own prompt would ask
        plain = llama_vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        assert hf.encode(text, add_special_tokens=False).ids == plain, repr(text)
    assert (llama_vocab.token_bos(), llama_vocab.token_eos()) == (
        hf.token_to_id(engine_standin.BOS_TOKEN),
        hf.token_to_id(engine_standin.EOS_TOKEN),
    )


def test_detokenised_pieces_equal_the_engines(hf: Tokenizer, llama_vocab: Any) -> None:
    for text in TEXTS:
        ids = hf.encode(text, add_special_tokens=False).ids
        assert llama_vocab.detokenize(ids).decode("utf-8") == hf.decode(ids) == text


def test_suppressed_tokens_are_the_ones_that_are_not_text(model: TinyEngineModel) -> None:
    vocab = Tokenizer.from_file(str(model.tokenizer_path)).get_vocab()
    tokens = sorted(vocab, key=vocab.__getitem__)
    suppressed = set(engine_standin.suppressed_ids(tokens))
    assert {model.bos_id, model.eos_id} <= suppressed
    assert set(range(0x80, 0x100)) <= suppressed  # lone bytes of multi-byte characters
    assert not suppressed & {ord(c) for c in "az AZ09.,\n\t"}


def test_greedy_generation_is_deterministic_and_never_ends_early(model: TinyEngineModel) -> None:
    llama_cpp = pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed: run `make engine`"
    )
    llm = llama_cpp.Llama(
        model_path=str(model.gguf_path),
        n_ctx=1024,
        n_threads=1,
        n_threads_batch=1,
        logits_all=True,
        verbose=False,
    )
    prompt = llm.tokenize("The café in Zürich said on Tuesday 日本語\n".encode() * 20)
    first = llm.create_completion(prompt, max_tokens=128, temperature=0)
    again = llm.create_completion(prompt, max_tokens=128, temperature=0)
    assert first["choices"][0]["text"] == again["choices"][0]["text"]
    assert first["usage"]["completion_tokens"] == 128
    assert first["choices"][0]["finish_reason"] == "length"
    sampled = llm.create_completion(prompt, max_tokens=128, temperature=1.0, seed=1)
    assert sampled["usage"]["completion_tokens"] == 128
    # the margin behind "never": EOS and the other suppressed tokens stay far below the best
    llm.reset()
    llm.eval(prompt)
    scores = np.asarray(llm.scores[: llm.n_tokens])
    assert (scores.max(axis=1) - scores[:, model.eos_id]).min() > 25.0
