"""The synthetic BERT stand-in: a small BERT-shaped ONNX encoder with random weights.

``tiny-bert`` has the I/O of the MLCommons fp32 ``model.onnx``: inputs ``input_ids``,
``input_mask``, ``segment_ids`` (int64 [batch, 384]), outputs ``output_start_logits`` and
``output_end_logits`` (float32 [batch, 384]). Inside, BERT's structure at a small size:

- embeddings: word (the uncased vocabulary's 30,522 rows, so the real vocab.txt works too),
  position (384) and token type (2), summed, layer-normalised;
- 2 transformer layers of hidden size 64, 4 heads of 16, feed-forward 256 with GELU (erf),
  post-layer-norm residuals; attention masks out padding with the reference's
  ``(1 - mask) * -10000`` on the scores;
- the span head: a dense layer to 2 logits per token, split into start and end.

Weights are drawn ~N(0, 0.02) like BERT's initialisation, deterministic from the seed (same
seed, same bytes). About 2.1 M parameters (8 MB), ~0.15 GFLOP per sample.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

#: bump when the generator's output changes, so stale stand-ins are not reused
GENERATOR_VERSION = 1

INPUTS = ("input_ids", "input_mask", "segment_ids")
OUTPUTS = ("output_start_logits", "output_end_logits")
SEQ_LENGTH = 384
#: rows of BERT's uncased WordPiece vocabulary
VOCAB_SIZE = 30522
HIDDEN = 64
HEADS = 4
INTERMEDIATE = 256
LAYERS = 2
_OPSET = 17  # LayerNormalization is an ONNX operator from 17 on
_EPS = 1e-12  # BERT's layer-norm epsilon


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def normal(self, name: str, shape: tuple[int, ...], std: float = 0.02) -> str:
        w = self.rng.standard_normal(shape, dtype=np.float32)
        w *= np.float32(std)
        return self.const(name, w)

    def node(self, op: str, inputs: list[str], name: str, output: str | None = None, **attrs: Any) -> str:  # fmt: skip
        from onnx import helper

        out = output or name
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def dense(self, x: str, name: str, n_in: int, n_out: int) -> str:
        w = self.normal(f"{name}.weight", (n_in, n_out))
        b = self.const(f"{name}.bias", np.zeros(n_out, np.float32))
        return self.node("Add", [self.node("MatMul", [x, w], f"{name}/MatMul"), b], f"{name}/Add")

    def layer_norm(self, x: str, name: str) -> str:
        gamma = self.const(f"{name}.weight", np.ones(HIDDEN, np.float32))
        beta = self.const(f"{name}.bias", np.zeros(HIDDEN, np.float32))
        return self.node(
            "LayerNormalization", [x, gamma, beta], f"{name}/LayerNorm", axis=-1, epsilon=_EPS
        )


def _attention(g: _Builder, x: str, mask: str, prefix: str) -> str:
    head = HIDDEN // HEADS
    split = g.const(f"{prefix}/split_heads", np.array([0, 0, HEADS, head], np.int64))
    merge = g.const(f"{prefix}/merge_heads", np.array([0, 0, HIDDEN], np.int64))

    def heads(kind: str, perm: list[int]) -> str:
        y = g.dense(x, f"{prefix}/{kind}", HIDDEN, HIDDEN)
        y = g.node("Reshape", [y, split], f"{prefix}/{kind}/Reshape")
        return g.node("Transpose", [y], f"{prefix}/{kind}/Transpose", perm=perm)

    q = heads("query", [0, 2, 1, 3])  # [B, heads, S, d]
    k = heads("key", [0, 2, 3, 1])  # [B, heads, d, S]
    v = heads("value", [0, 2, 1, 3])
    scale = g.const(f"{prefix}/scale", np.array(1.0 / np.sqrt(head), np.float32))
    scores = g.node("MatMul", [q, k], f"{prefix}/scores")
    scores = g.node("Mul", [scores, scale], f"{prefix}/scaled")
    scores = g.node("Add", [scores, mask], f"{prefix}/masked")
    probs = g.node("Softmax", [scores], f"{prefix}/Softmax", axis=-1)
    ctx = g.node("MatMul", [probs, v], f"{prefix}/context")
    ctx = g.node("Transpose", [ctx], f"{prefix}/context/Transpose", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, merge], f"{prefix}/context/Reshape")
    return g.dense(ctx, f"{prefix}/output", HIDDEN, HIDDEN)


def _gelu(g: _Builder, x: str, prefix: str) -> str:
    root2 = g.const(f"{prefix}/sqrt2", np.array(np.sqrt(2.0), np.float32))
    one = g.const(f"{prefix}/one", np.array(1.0, np.float32))
    half = g.const(f"{prefix}/half", np.array(0.5, np.float32))
    erf = g.node("Erf", [g.node("Div", [x, root2], f"{prefix}/div")], f"{prefix}/erf")
    y = g.node("Mul", [x, g.node("Add", [erf, one], f"{prefix}/add")], f"{prefix}/mul")
    return g.node("Mul", [y, half], f"{prefix}/half_mul")


def build_tiny_bert(seed: int = 0) -> onnx.ModelProto:
    """The ``tiny-bert`` stand-in (the module doc), deterministic from ``seed``."""
    from onnx import TensorProto, helper

    g = _Builder(seed)
    ids, mask_in, segments = INPUTS
    # embeddings
    words = g.node("Gather", [g.normal("embeddings.word", (VOCAB_SIZE, HIDDEN)), ids], "emb/word")
    types = g.node(
        "Gather", [g.normal("embeddings.token_type", (2, HIDDEN)), segments], "emb/token_type"
    )
    positions = g.normal("embeddings.position", (SEQ_LENGTH, HIDDEN))
    x = g.node("Add", [g.node("Add", [words, types], "emb/add"), positions], "emb/add_position")
    x = g.layer_norm(x, "embeddings")
    # the attention mask: 0 where attended, -10000 on padding, broadcast over heads and queries
    mask = g.node("Cast", [mask_in], "mask/cast", to=TensorProto.FLOAT)
    axes = g.const("mask/axes", np.array([1, 2], np.int64))
    mask = g.node("Unsqueeze", [mask, axes], "mask/unsqueeze")  # [B, 1, 1, S]
    one = g.const("mask/one", np.array(1.0, np.float32))
    big = g.const("mask/minus_10000", np.array(-10000.0, np.float32))
    mask = g.node("Mul", [g.node("Sub", [one, mask], "mask/invert"), big], "mask/bias")
    for layer in range(LAYERS):
        p = f"encoder/layer_{layer}"
        attended = _attention(g, x, mask, f"{p}/attention")
        x = g.layer_norm(g.node("Add", [attended, x], f"{p}/attention/residual"), f"{p}/ln1")
        h = _gelu(g, g.dense(x, f"{p}/intermediate", HIDDEN, INTERMEDIATE), f"{p}/gelu")
        h = g.dense(h, f"{p}/output", INTERMEDIATE, HIDDEN)
        x = g.layer_norm(g.node("Add", [h, x], f"{p}/output/residual"), f"{p}/ln2")
    # span head: [B, S, 2] -> start, end
    logits = g.dense(x, "qa_outputs", HIDDEN, 2)
    start, end = OUTPUTS
    g.nodes.append(
        helper.make_node("Split", [logits], ["split_start", "split_end"], name="qa/split", axis=-1)
    )
    squeeze = g.const("qa/axis", np.array([-1], np.int64))
    g.node("Squeeze", ["split_start", squeeze], "qa/start", output=start)
    g.node("Squeeze", ["split_end", squeeze], "qa/end", output=end)

    batch = "batch_size"
    graph = helper.make_graph(
        g.nodes,
        "tiny_bert_squad_synthetic",
        [helper.make_tensor_value_info(n, TensorProto.INT64, [batch, SEQ_LENGTH]) for n in INPUTS],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [batch, SEQ_LENGTH]) for n in OUTPUTS],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET)],
        producer_name="mlperf-tui synthetic stand-in",
        producer_version=str(GENERATOR_VERSION),
    )
    model.ir_version = 8
    return model
