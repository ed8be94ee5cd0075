"""Question answering on SQuAD v1.1: BERT-Large (BERT-99 and BERT-99.9).

The MLCommons models (language/bert/onnxruntime_SUT.py) take three int64 [N, 384] inputs,
named ``input_ids``, ``input_mask``, ``segment_ids`` in the fp32 ``model.onnx`` and
``input_ids``, ``attention_mask``, ``token_type_ids`` in the int8 fake-quant
``bert_large_v1_1_fake_quant.onnx``; they return the start and end logits. :meth:`BertSquad.bind`
maps the inputs by role, whichever of those names the model uses, and the outputs by shape:
two float outputs [N, 384] (start and end: by name when the names say which, otherwise in the
model's order, as the reference stacks ``sess.get_outputs()``), or one [N, 384, 2].

Each response LoadGen keeps is the reference's ``np.stack([start, end], axis=-1)``: float32
[384, 2], start and end logits interleaved per token (3,072 bytes). The data set is
harness.datasets.squad (one sample per feature); the accuracy script is accuracy.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.accuracy_log import write_text_atomic
from harness.backends import Backend, TensorInfo
from harness.datasets.squad import REFERENCE, SquadDataset
from harness.tasks import Binding, Feeds, ModelBindingError, StepCallback
from harness.tasks.bert_squad.accuracy import score_accuracy_log

__all__ = ["INPUT_NAMES", "TASK", "BertSquad"]

#: each model input's role -> the names the MLCommons models give it (fp32, fake-quant)
INPUT_NAMES: dict[str, tuple[str, ...]] = {
    "input_ids": ("input_ids",),
    "input_mask": ("input_mask", "attention_mask"),
    "segment_ids": ("segment_ids", "token_type_ids"),
}
_INTEGERS = ("int64", "int32")
_FLOATS = ("float32", "float16")
SEQ_LENGTH = REFERENCE.max_seq_length


def _listing(tensors: Sequence[TensorInfo]) -> str:
    return ", ".join(f"{t.name} {t.shape_text()} {t.dtype}" for t in tensors) or "none"


def _base(name: str) -> str:
    # TensorFlow exports name tensors "input_ids:0"
    return name.rsplit(":", 1)[0] if name.rsplit(":", 1)[-1].isdigit() else name


def _seq_ok(dim: int | None) -> bool:
    return dim is None or dim == SEQ_LENGTH


def _inputs(inputs: Sequence[TensorInfo]) -> tuple[dict[str, TensorInfo], int | None]:
    """Role -> model input, and the fixed batch size (None when free)."""
    found: dict[str, TensorInfo] = {}
    for role, names in INPUT_NAMES.items():
        match = [t for t in inputs if _base(t.name) in names]
        if not match:
            raise ModelBindingError(
                f"the model has no {role} input (named {' or '.join(names)}); its inputs: "
                f"{_listing(inputs)}",
                "use the MLCommons BERT ONNX model (input_ids, input_mask, segment_ids; or "
                "input_ids, attention_mask, token_type_ids)",
            )
        found[role] = match[0]
    extra = [t for t in inputs if t not in found.values()]
    if extra:
        raise ModelBindingError(
            f"input {extra[0].name} is not one the BERT task feeds (inputs: {_listing(inputs)})",
            "use a model whose only inputs are the token ids, the input mask and the segment ids",
        )
    batch: set[int] = set()
    for role, t in found.items():
        shape = t.shape or ()
        if t.dtype not in _INTEGERS:
            raise ModelBindingError(
                f"input {t.name} ({role}) is {t.dtype}; BERT's inputs are int64 token ids",
                "use the MLCommons BERT ONNX model (int64 inputs)",
            )
        if len(shape) != 2 or not _seq_ok(shape[1]):
            raise ModelBindingError(
                f"input {t.name} ({role}) has shape {t.shape_text()}; the benchmark feeds "
                f"[N,{SEQ_LENGTH}] (max_seq_length {SEQ_LENGTH})",
                f"use a model exported for sequences of {SEQ_LENGTH} tokens",
            )
        if shape[0] is not None:
            batch.add(shape[0])
    return found, (min(batch) if batch else None)


def _outputs(outputs: Sequence[TensorInfo]) -> tuple[tuple[str, ...], str]:
    """The outputs to fetch and how they hold the logits: "split" (start, end) or "stacked"."""

    def is_logits(t: TensorInfo, rank: int) -> bool:
        shape = t.shape or ()
        return (
            t.dtype in _FLOATS
            and len(shape) == rank
            and _seq_ok(shape[1])
            and (rank == 2 or shape[2] in (2, None))
        )

    per_token = [t for t in outputs if is_logits(t, 2)]
    stacked = [t for t in outputs if is_logits(t, 3)]
    if len(per_token) >= 2:
        starts = [t for t in per_token if "start" in t.name.lower()]
        ends = [t for t in per_token if "end" in t.name.lower()]
        if len(starts) == 1 and len(ends) == 1 and starts[0] is not ends[0]:
            return (starts[0].name, ends[0].name), "split"
        return (per_token[0].name, per_token[1].name), "split"  # the model's order
    if stacked:
        return (stacked[0].name,), "stacked"
    if len(per_token) == 1:
        t = per_token[0]
        role = "end" if "start" in t.name.lower() else "start"
        raise ModelBindingError(
            f"the model has one logits output ({t.name} {t.shape_text()}) but no {role} "
            f"logits output [N,{SEQ_LENGTH}] (outputs: {_listing(outputs)})",
            "use a model that outputs both the start and the end logits",
        )
    raise ModelBindingError(
        f"no output holds the start and end logits: two float [N,{SEQ_LENGTH}] outputs or one "
        f"[N,{SEQ_LENGTH},2] (outputs: {_listing(outputs)})",
        "use the MLCommons BERT ONNX model (output_start_logits, output_end_logits)",
    )


class BertSquad:
    """The ``bert_squad`` task (see the module doc)."""

    name = "bert_squad"
    accuracy_metric = "F1"
    #: bytes of one response in the accuracy log: float32 [384, 2]
    response_size = SEQ_LENGTH * 2 * 4

    def bind(
        self,
        inputs: Sequence[TensorInfo],
        outputs: Sequence[TensorInfo],
        options: Mapping[str, Any],
    ) -> Binding:
        roles, batch = _inputs([TensorInfo.of(t) for t in inputs])
        fetch, layout = _outputs([TensorInfo.of(t) for t in outputs])
        return Binding(
            inputs=tuple(roles[role] for role in INPUT_NAMES),
            outputs=fetch,
            options={
                **{role: t.name for role, t in roles.items()},
                "seq_length": SEQ_LENGTH,
                "logits": layout,
                "max_batch": batch,
            },
        )

    def preprocessing_id(self, binding: Binding) -> str:
        return REFERENCE.id

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None, binding: Binding
    ) -> SquadDataset:
        inputs = {
            role: (t.name, t.dtype) for role, t in zip(INPUT_NAMES, binding.inputs, strict=True)
        }
        return SquadDataset(dataset_path, cache_dir, count, inputs=inputs)

    def infer(
        self, backend: Backend, binding: Binding, feeds: Feeds, steps: StepCallback | None = None
    ) -> np.ndarray:
        """float32 [N, 384, 2]: per sample and token, the start and the end logit."""
        limit = binding.options.get("max_batch")
        n = len(next(iter(feeds.values())))
        if limit and n > limit:  # a model exported with a fixed batch: run it in pieces
            parts = [
                self.infer(backend, binding, {k: v[i : i + limit] for k, v in feeds.items()})
                for i in range(0, n, limit)
            ]
            return np.concatenate(parts)
        out = backend.predict(feeds, binding.outputs)
        if binding.options["logits"] == "stacked":
            return np.ascontiguousarray(out[0], dtype=np.float32)
        logits = np.empty((*np.shape(out[0]), 2), dtype=np.float32)
        logits[..., 0] = out[0]
        logits[..., 1] = out[1]
        return logits

    def response_bytes(self, results: np.ndarray, i: int) -> bytes:
        return bytes(results[i].tobytes())

    def calibration_feeds(self, binding: Binding, batch_size: int) -> dict[str, np.ndarray]:
        """A typical feature: a 20-token question, the rest paragraph, all of it real tokens
        (the model does the same work whatever the ids; ids below 1000 exist in any BERT
        vocabulary)."""
        rng = np.random.default_rng(0)
        ids, mask, segments = binding.inputs
        shape = (batch_size, SEQ_LENGTH)
        segment = np.zeros(shape, dtype=np.int64)
        segment[:, 22:] = 1
        return {
            ids.name: rng.integers(1, 1000, size=shape).astype(ids.dtype),
            mask.name: np.ones(shape, dtype=mask.dtype),
            segments.name: segment.astype(segments.dtype),
        }

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        score = score_accuracy_log(Path(accuracy_log_path), dataset_path)
        out = Path(out_path)
        write_text_atomic(out, score.line + "\n")
        return {
            "metric": self.accuracy_metric,
            "value": score.f1,
            "exact_match": score.exact_match,
            "scored": score.scored,
            "total": score.questions,
            "path": str(out),
        }


TASK = BertSquad()
