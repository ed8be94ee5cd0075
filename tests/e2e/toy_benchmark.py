"""A toy benchmark added through the registry alone: its harness task, model and data set.

It stands in for the rules' ``rgat`` (a benchmark mlperf-tui has no harness for), so the test
that registers it proves that a benchmark is one module on each side: this file is the harness
task (imported by the harness child through the entry's ``python_path``) and the registry entry
(registered in the test's process). No product file knows it.

The model takes two named inputs of different dtypes (``tokens`` int64 [N, 4] and ``weights``
float32 [N, 2]) and returns ``score`` float32 [N]; a sample is correct when its score rounds to
its label. The data set is a folder with ``toy.json``: ``{"samples": [[t0..t3, w0, w1, label]]}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.backends import Backend, TensorInfo
from harness.datasets import SampleStore
from harness.tasks import (
    AccuracyError,
    Binding,
    DatasetError,
    Feeds,
    ModelBindingError,
    ProgressCallback,
    random_feeds,
)

MARKER = "toy.json"
INPUTS = (TensorInfo("tokens", (None, 4), "int64"), TensorInfo("weights", (None, 2), "float32"))


class ToyDataset:
    def __init__(self, folder: Path, count: int | None) -> None:
        try:
            rows = json.loads((folder / MARKER).read_text(encoding="utf-8"))["samples"]
        except (OSError, ValueError, KeyError) as exc:
            raise DatasetError(
                f"{folder} holds no readable {MARKER} ({exc})", "regenerate it"
            ) from None
        rows = rows[:count] if count else rows
        self.data = np.asarray(rows, dtype=np.float64)
        self.total_count = len(rows)
        self._store = SampleStore(
            self.total_count,
            {"tokens": ((4,), np.dtype(np.int64)), "weights": ((2,), np.dtype(np.float32))},
        )

    def _fill(self, indices: np.ndarray, rows: dict[str, np.ndarray]) -> None:
        rows["tokens"][:] = self.data[indices, :4].astype(np.int64)
        rows["weights"][:] = self.data[indices, 4:6].astype(np.float32)

    def load(self, indices: Sequence[int] | np.ndarray) -> None:
        self._store.load(np.asarray(indices, dtype=np.int64), self._fill)

    def unload(self, indices: Sequence[int] | np.ndarray) -> None:
        self._store.unload(np.asarray(indices, dtype=np.int64))

    def batch(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        return self._store.batch(np.asarray(indices, dtype=np.int64))

    def preprocess(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        return 0


class ToyTask:
    name = "toy"
    accuracy_metric = "acc"

    def bind(
        self,
        inputs: Sequence[TensorInfo],
        outputs: Sequence[TensorInfo],
        options: Mapping[str, Any],
    ) -> Binding:
        found = {t.name: t for t in inputs}
        for want in INPUTS:
            got = found.get(want.name)
            if got is None or got.dtype != want.dtype:
                raise ModelBindingError(f"the toy model needs input {want.name} {want.dtype}")
        if not any(t.name == "score" for t in outputs):
            raise ModelBindingError("the toy model needs an output named score")
        return Binding(inputs=INPUTS, outputs=("score",))

    def preprocessing_id(self, binding: Binding) -> str:
        return "toy-v1"

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None, binding: Binding
    ) -> ToyDataset:
        return ToyDataset(Path(dataset_path), count)

    def infer(
        self, backend: Backend, binding: Binding, feeds: Feeds, steps: Any = None
    ) -> np.ndarray:
        (score,) = backend.predict(feeds, binding.outputs)
        return np.asarray(score, dtype=np.float32).reshape(-1)

    def response_bytes(self, results: np.ndarray, i: int) -> bytes:
        return bytes(results[i : i + 1].tobytes())

    def calibration_feeds(self, binding: Binding, batch_size: int) -> dict[str, np.ndarray]:
        return random_feeds(binding.inputs, batch_size, high=10)

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        labels = ToyDataset(Path(dataset_path), None).data[:, 6]
        try:
            entries = json.loads(Path(accuracy_log_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AccuracyError(f"cannot read {accuracy_log_path}: {exc}", "run again") from None
        seen: dict[int, float] = {}
        for entry in entries:
            seen.setdefault(
                int(entry["qsl_idx"]),
                float(np.frombuffer(bytes.fromhex(entry["data"]), np.float32)[0]),
            )
        good = sum(1 for i, v in seen.items() if round(v) == labels[i])
        value = 100.0 * good / max(1, len(seen))
        line = f"accuracy={value:.3f}%, good={good}, total={len(seen)}"
        Path(out_path).write_text(line + "\n", encoding="utf-8")
        return {"metric": self.accuracy_metric, "value": round(value, 3), "path": str(out_path)}


TASK = ToyTask()


# --- the registry side: the model's stand-in and the data set --------------------------------


def build_model(seed: int) -> Any:
    """score = sum(tokens) * w0 + w1 (as float), an ONNX graph with two inputs."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Cast", ["tokens"], ["tokens_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["tokens_f"], ["total"], keepdims=0, axes=[1]),
        helper.make_node("Split", ["weights"], ["w0", "w1"], axis=1),
        helper.make_node("Squeeze", ["w0"], ["w0s"], axes=[1]),
        helper.make_node("Squeeze", ["w1"], ["w1s"], axes=[1]),
        helper.make_node("Mul", ["total", "w0s"], ["scaled"]),
        helper.make_node("Add", ["scaled", "w1s"], ["score"]),
    ]
    graph = helper.make_graph(
        nodes,
        f"toy-{seed}",
        [
            helper.make_tensor_value_info("tokens", TensorProto.INT64, ["N", 4]),
            helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["N", 2]),
        ],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def synthesize(count: int, seed: int, folder: Path, progress: Any = None) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        tokens = rng.integers(0, 5, size=4)
        weights = [1.0, float(rng.integers(-2, 3))]
        # half the labels are what the model computes, half are off by one
        label = float(tokens.sum() * weights[0] + weights[1] + rng.integers(0, 2))
        rows.append([*tokens.tolist(), *weights, label])
    (folder / MARKER).write_text(json.dumps({"samples": rows}), encoding="utf-8")


def count(folder: Path) -> int:
    try:
        return len(json.loads((folder / MARKER).read_text(encoding="utf-8"))["samples"])
    except (OSError, ValueError, KeyError):
        return 0


def check(folder: Path) -> int:
    from mlperf_tui.errors import AssetError

    n = count(folder)
    if n == 0:
        raise AssetError(f"{folder} holds no {MARKER}", "generate the toy data set")
    return n


def entry(benchmark: str) -> Any:
    """The registry entry of the toy benchmark, standing in for ``benchmark``."""
    from mlperf_tui.benchmarks import BenchmarkEntry, DatasetKind, ModelKind

    return BenchmarkEntry(
        benchmarks=(benchmark,),
        task="toy_benchmark:TASK",
        models=(
            ModelKind(
                "toy",
                "a two-input toy model",
                closed=True,
                standin=build_model,
                per_core_throughput=5000.0,
            ),
        ),
        dataset=DatasetKind(
            name="the toy data set (toy.json)",
            slug="toy",
            marker=MARKER,
            sample_bytes=48,
            count=count,
            check=check,
            synthesize=synthesize,
        ),
        summary="A toy benchmark defined by a test.",
        python_path=(Path(__file__).resolve().parent,),
    )
