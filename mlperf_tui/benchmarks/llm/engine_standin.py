"""The tiny engine stand-in: a llama-architecture GGUF model with random weights and its tokenizer.

The LLM benchmarks run against a serving engine's OpenAI-compatible endpoint. To try that flow
(and to test it) on any machine without downloading a model, this module writes a model a
llama.cpp server loads in milliseconds, plus the HuggingFace ``tokenizer.json`` that tokenises
text to exactly the ids the engine's own tokenizer produces (the endpoint SUT and the accuracy
script tokenise on our side; the engine tokenises text prompts on its side, so the two must
agree).

The model: llama architecture, 2 layers, hidden size 64, 4 heads of 16, feed-forward 256,
context 4096, all tensors float32, weights deterministic from the seed (same seed, same bytes).
The vocabulary is a byte-level BPE (llama.cpp's ``gpt2`` tokenizer model with the ``gpt-2``
pre-tokenizer, which is HuggingFace's ``ByteLevel`` one): the 256 byte symbols, merges learned
from a fixed text, and two control tokens, BOS and EOS. Text prompts get BOS prepended, like
the Llama tokenizers of the real benchmarks.

Some tokens are never generated: residual dimension 0 is held at a constant by every token
embedding (no layer writes to it), and the output rows of the suppressed tokens read only that
dimension with a large negative weight, so their logits sit some 30 below every other token's
(a probability under 1e-13 even when sampling at temperature 1). Suppressed are BOS and EOS, so
greedy decoding (temperature 0, deterministic) and sampling both produce exactly ``max_tokens``
tokens, which is what a benchmark's fixed output length needs from an engine without an
"ignore EOS" switch; and every token whose bytes are not printable UTF-8 text on their own (a
lone byte of a multi-byte character, a control character other than tab and newline), so each
generated token streams as one chunk of text and the output text survives JSON and decoding
unchanged.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: bump when the generator's output changes, so stale stand-ins are not reused
GENERATOR_VERSION = 1

GGUF_FILE = "tiny-engine.gguf"
TOKENIZER_DIR = "tokenizer"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
#: the model name the stand-in is served under (the endpoint's ``model`` field)
MODEL_NAME = "tiny-engine"

BOS_TOKEN = "<|begin_of_text|>"
EOS_TOKEN = "<|end_of_text|>"
#: llama.cpp's name for a byte-level BPE vocabulary and for the GPT-2 pre-tokenizer regex
_GGUF_TOKENIZER_MODEL = "gpt2"
_GGUF_TOKENIZER_PRE = "gpt-2"
_TOKEN_TYPE_NORMAL = 1
_TOKEN_TYPE_CONTROL = 3
_FILE_TYPE_ALL_F32 = 0

LAYERS = 2
HIDDEN = 64
HEADS = 4
FEED_FORWARD = 256
CONTEXT_LENGTH = 4096
#: byte symbols + merges + BOS and EOS: 512 tokens
DEFAULT_MERGES = 254
_RMS_EPS = 1e-5
_ROPE_BASE = 10000.0
#: the constant of residual dimension 0, and the weight by which suppressed tokens' logits fall
_ANCHOR = 8.0
_SUPPRESS_WEIGHT = -40.0

# The merges are learned from this text: enough common English fragments that news-like
# prompts tokenise into a few hundred tokens, a few accented words so non-ASCII bytes merge too.
_MERGE_TEXT = """
The committee said on Tuesday that the new rules would take effect next year, after a long
debate about the cost of the changes and the time it would take to put them in place. Officials
in the city of Zürich and in São Paulo reported that the number of people using public transport
had risen by more than ten percent since the start of the year. "We are going to keep working on
it," the minister told reporters, adding that the government had not yet decided whether to
extend the programme to other regions. The company's shares fell 4.5 percent in early trading
before recovering later in the day; analysts expect results for the third quarter to be released
in October. A café owner in the old town said she had never seen so many visitors, while a
naïve tourist asked where the station was. Prices rose to €12 and ¥900 for a ticket. The report
also found that students who read for at least twenty minutes every day performed better in
their final examinations than those who did not, and that the difference was largest among the
youngest children in the study. Police said the driver of the car was taken to hospital with
minor injuries and that an investigation into the cause of the accident was under way.
"""
# a close cousin of the GPT-2 pattern; only the merges come from it, never the tokenisation
_TRAIN_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+""")


@dataclass(frozen=True)
class TinyEngineModel:
    """Where the generated stand-in lies and the facts a server and a SUT need about it."""

    gguf_path: Path
    #: the folder of tokenizer.json and tokenizer_config.json (a local tokenizer folder)
    tokenizer_dir: Path
    vocab_size: int
    context_length: int
    bos_id: int
    eos_id: int
    model_name: str = MODEL_NAME

    @property
    def tokenizer_path(self) -> Path:
        return self.tokenizer_dir / TOKENIZER_FILE


def byte_symbols() -> list[str]:
    """GPT-2's printable stand-in for each byte value (index = byte): byte-level BPE works on
    these characters, so every byte sequence has a spelling in the vocabulary."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    table: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def learn_merges(count: int, text: str = _MERGE_TEXT) -> list[tuple[str, str]]:
    """Byte-level BPE merges learned from `text`: the most frequent adjacent pair first, ties
    broken by the pair itself, so the list is the same on every machine and version."""
    symbols = byte_symbols()
    words = Counter(
        tuple(symbols[b] for b in piece.encode("utf-8")) for piece in _TRAIN_SPLIT.findall(text)
    )
    merges: list[tuple[str, str]] = []
    while len(merges) < count:
        pairs: Counter[tuple[str, str]] = Counter()
        for word, n in words.items():
            for pair in itertools.pairwise(word):
                pairs[pair] += n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        joined = best[0] + best[1]
        merged: Counter[tuple[str, ...]] = Counter()
        for word, n in words.items():
            out: list[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    if len(merges) < count:
        raise ValueError(f"the merge text yields only {len(merges)} merges, {count} asked")
    return merges


def _vocabulary(merges: list[tuple[str, str]]) -> list[str]:
    tokens = byte_symbols()
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:  # two merge paths can spell one token; the vocabulary has it once
            seen.add(a + b)
            tokens.append(a + b)
    return [*tokens, BOS_TOKEN, EOS_TOKEN]


def tokenizer_json(tokens: list[str], merges: list[tuple[str, str]]) -> str:
    """The HuggingFace tokenizer.json of the vocabulary: byte-level BPE, BOS prepended."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    bos_id, eos_id = len(tokens) - 2, len(tokens) - 1
    vocab = {t: i for i, t in enumerate(tokens)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(
        [AddedToken(BOS_TOKEN, special=True), AddedToken(EOS_TOKEN, special=True)]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A", pair=f"{BOS_TOKEN} $A $B", special_tokens=[(BOS_TOKEN, bos_id)]
    )
    assert tokenizer.token_to_id(BOS_TOKEN) == bos_id
    assert tokenizer.token_to_id(EOS_TOKEN) == eos_id
    text: str = tokenizer.to_str(pretty=True)
    return text


def _tokenizer_config() -> str:
    config = {
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "add_bos_token": True,
        "add_eos_token": False,
        # the engine returns the raw concatenation of its pieces; decode must do the same
        "clean_up_tokenization_spaces": False,
        "model_max_length": CONTEXT_LENGTH,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def suppressed_ids(tokens: list[str]) -> list[int]:
    """The ids the model never generates: the control tokens, and every token whose bytes are
    not UTF-8 text on their own or hold a control character other than tab and newline."""
    byte_of = {symbol: b for b, symbol in enumerate(byte_symbols())}
    out: list[int] = []
    for i, token in enumerate(tokens):
        if token in (BOS_TOKEN, EOS_TOKEN):
            out.append(i)
            continue
        try:
            text = bytes(byte_of[c] for c in token).decode("utf-8")
        except UnicodeDecodeError:
            out.append(i)
            continue
        if any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in text):
            out.append(i)
    return out


def _weights(seed: int, vocab_size: int, suppressed: list[int]) -> dict[str, np.ndarray]:
    """The tensors by GGUF name, numpy shape (rows = output features) as llama.cpp reads them."""
    rng = np.random.default_rng([seed, GENERATOR_VERSION])

    def normal(*shape: int, std: float) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)

    def writes_residual(w: np.ndarray) -> np.ndarray:
        w[0, :] = 0.0  # no layer changes residual dimension 0: it stays the anchor
        return w

    embd = normal(vocab_size, HIDDEN, std=1.0)
    embd[:, 0] = _ANCHOR
    tensors: dict[str, np.ndarray] = {"token_embd.weight": embd}
    for i in range(LAYERS):
        p = f"blk.{i}."
        tensors[p + "attn_norm.weight"] = np.ones(HIDDEN, dtype=np.float32)
        tensors[p + "attn_q.weight"] = normal(HIDDEN, HIDDEN, std=0.2)
        tensors[p + "attn_k.weight"] = normal(HIDDEN, HIDDEN, std=0.2)
        tensors[p + "attn_v.weight"] = normal(HIDDEN, HIDDEN, std=0.2)
        tensors[p + "attn_output.weight"] = writes_residual(normal(HIDDEN, HIDDEN, std=0.2))
        tensors[p + "ffn_norm.weight"] = np.ones(HIDDEN, dtype=np.float32)
        tensors[p + "ffn_gate.weight"] = normal(FEED_FORWARD, HIDDEN, std=0.2)
        tensors[p + "ffn_up.weight"] = normal(FEED_FORWARD, HIDDEN, std=0.2)
        tensors[p + "ffn_down.weight"] = writes_residual(normal(HIDDEN, FEED_FORWARD, std=0.2))
    tensors["output_norm.weight"] = np.ones(HIDDEN, dtype=np.float32)
    output = normal(vocab_size, HIDDEN, std=0.5)
    output[:, 0] = 0.0  # the anchor adds nothing to ordinary tokens' logits...
    output[suppressed, :] = 0.0
    output[suppressed, 0] = _SUPPRESS_WEIGHT  # ...and pushes the suppressed ones far below
    tensors["output.weight"] = output
    return tensors


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed onto it when the block succeeds: a reader
    (a server loading the model) sees a complete file or none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp's 0600 would hide the model from a server run as another user
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _write_gguf(path: Path, seed: int, tokens: list[str], merges: list[tuple[str, str]]) -> None:
    import gguf

    bos_id, eos_id = len(tokens) - 2, len(tokens) - 1
    writer: Any = gguf.GGUFWriter(path, arch="llama")
    writer.add_name(MODEL_NAME)
    writer.add_file_type(_FILE_TYPE_ALL_F32)
    writer.add_context_length(CONTEXT_LENGTH)
    writer.add_embedding_length(HIDDEN)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(HIDDEN // HEADS)
    writer.add_rope_freq_base(_ROPE_BASE)
    writer.add_layer_norm_rms_eps(_RMS_EPS)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model(_GGUF_TOKENIZER_MODEL)
    writer.add_tokenizer_pre(_GGUF_TOKENIZER_PRE)
    writer.add_token_list(tokens)
    writer.add_token_types(
        [_TOKEN_TYPE_NORMAL] * (len(tokens) - 2) + [_TOKEN_TYPE_CONTROL, _TOKEN_TYPE_CONTROL]
    )
    writer.add_token_merges([f"{a} {b}" for a, b in merges])
    writer.add_bos_token_id(bos_id)
    writer.add_eos_token_id(eos_id)
    writer.add_add_bos_token(True)
    for name, tensor in _weights(seed, len(tokens), suppressed_ids(tokens)).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_tiny_engine_model(
    folder: Path, seed: int, *, merges: int = DEFAULT_MERGES
) -> TinyEngineModel:
    """Write the GGUF model and its tokenizer folder under `folder`, each file atomically.
    The same seed gives the same bytes; the vocabulary does not depend on the seed."""
    folder = Path(folder)
    merge_list = learn_merges(merges)
    tokens = _vocabulary(merge_list)
    tokenizer_dir = folder / TOKENIZER_DIR
    with _atomic(tokenizer_dir / TOKENIZER_FILE) as tmp:
        tmp.write_text(tokenizer_json(tokens, merge_list), encoding="utf-8")
    with _atomic(tokenizer_dir / TOKENIZER_CONFIG_FILE) as tmp:
        tmp.write_text(_tokenizer_config(), encoding="utf-8")
    gguf_path = folder / GGUF_FILE
    with _atomic(gguf_path) as tmp:
        _write_gguf(tmp, seed, tokens, merge_list)
    return TinyEngineModel(
        gguf_path=gguf_path,
        tokenizer_dir=tokenizer_dir,
        vocab_size=len(tokens),
        context_length=CONTEXT_LENGTH,
        bos_id=len(tokens) - 2,
        eos_id=len(tokens) - 1,
    )


def model_file_bytes(model: TinyEngineModel) -> int:
    """The size of the stand-in on disk: the GGUF plus the tokenizer folder."""
    files = [model.gguf_path, *(p for p in model.tokenizer_dir.iterdir() if p.is_file())]
    return sum(p.stat().st_size for p in files)


def main(argv: list[str] | None = None) -> int:
    """``python -m mlperf_tui.benchmarks.llm.engine_standin FOLDER [--seed N]``: write the
    stand-in and print the llama.cpp server command that hosts it."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m mlperf_tui.benchmarks.llm.engine_standin",
        description="Write the tiny engine stand-in (a GGUF model and its tokenizer) into "
        "FOLDER and print the llama.cpp server command that serves it.",
    )
    parser.add_argument("folder", type=Path, help="where to write it (created)")
    parser.add_argument("--seed", type=int, default=0, help="the profile's assets.seed (0)")
    args = parser.parse_args(argv)
    try:
        model = write_tiny_engine_model(args.folder, args.seed)
    except OSError as exc:
        print(f"error: cannot write {args.folder}: {exc.strerror or exc}", file=sys.stderr)
        return 5
    print(f"wrote {model.gguf_path} and {model.tokenizer_dir}; serve it with:")
    print(
        f"  {sys.executable} -m llama_cpp.server --model {model.gguf_path} --model_alias "
        f"{model.model_name} --port 8000 --n_ctx 2048 --interrupt_requests false"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
