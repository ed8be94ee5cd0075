"""Inference runtimes. One module per runtime, imported only when chosen.

Interface (all a SUT needs)::

    backend = load_backend("onnxruntime", model_path, options)
    backend.inputs / backend.outputs      # [TensorInfo(name, shape, dtype)]
    outputs = backend.predict({"input_tensor:0": x}, ("ArgMax:0",))  # arrays, in that order

Inputs are named feeds (model input name -> array, any dtype), so a model with several inputs
(BERT's input_ids, input_mask, segment_ids) runs like one with a single image tensor.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.errors import BackendError

if TYPE_CHECKING:
    import numpy as np

    from harness.config import BackendOptions

#: backend name -> module under harness.backends (its ``load(model_path, options)`` gives one
#: session; the ray module also places a run's replicas: harness.backends.ray.start_replicas)
BACKENDS = {"onnxruntime": "harness.backends.onnxruntime", "ray": "harness.backends.ray"}


#: ONNX tensor type strings (as ONNX Runtime reports them) -> numpy dtype names
_ONNX_TYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(bool)": "bool",
}


def normalize_dtype(dtype: str) -> str:
    """'tensor(float)' (ONNX Runtime), 'float32' or a numpy dtype -> numpy's name."""
    if dtype in _ONNX_TYPES:
        return _ONNX_TYPES[dtype]
    import numpy as np

    try:
        return np.dtype(dtype).name
    except TypeError:
        return dtype


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: name, shape (None for a free dimension), numpy dtype name."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str

    @classmethod
    def of(cls, meta: Any) -> TensorInfo:
        """From anything with ``name``, ``shape`` and ``dtype`` (or ORT's ``type``) attributes."""
        if isinstance(meta, TensorInfo):
            return meta
        raw_shape = getattr(meta, "shape", None)
        shape: tuple[int | None, ...] | None = None
        if raw_shape is not None:
            shape = tuple(d if isinstance(d, int) and d >= 0 else None for d in raw_shape)
        dtype = getattr(meta, "dtype", None) or getattr(meta, "type", None) or "unknown"
        return cls(name=str(meta.name), shape=shape, dtype=normalize_dtype(str(dtype)))

    def shape_text(self) -> str:
        if self.shape is None:
            return "[unknown]"
        return "[" + ",".join("N" if d is None else str(d) for d in self.shape) + "]"


class Backend(Protocol):
    name: str
    version: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    #: what runs the model, for the logs ("CPUExecutionProvider, 2 threads")
    description: str

    def predict(
        self, feeds: Mapping[str, np.ndarray], output_names: Sequence[str] | None = None
    ) -> list[np.ndarray]:
        """Run one batch of named inputs; the outputs named (all when None), in that order."""
        ...


def load_backend(name: str, model_path: Path, options: BackendOptions) -> Backend:
    module_name = BACKENDS.get(name)
    if module_name is None:
        raise BackendError(f"unknown backend {name!r}", f"use one of: {', '.join(BACKENDS)}")
    module = importlib.import_module(module_name)
    backend: Backend = module.load(model_path, options)
    return backend
