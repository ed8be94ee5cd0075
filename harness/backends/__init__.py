"""Inference runtimes. One module per runtime, imported only when chosen.

Interface (all a SUT needs)::

    backend = load_backend("onnxruntime", model_path, options)
    backend.inputs / backend.outputs      # [TensorInfo(name, shape, dtype)]
    outputs = backend.predict(x, ("ArgMax:0",))   # list of numpy arrays, in that order
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from harness.errors import BackendError

if TYPE_CHECKING:
    import numpy as np

    from harness.config import BackendOptions

#: backend name -> module under harness.backends
BACKENDS = {"onnxruntime": "harness.backends.onnxruntime"}


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: name, shape (None for a free dimension), numpy dtype name."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str


class Backend(Protocol):
    name: str
    version: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    #: what runs the model, for the logs ("CPUExecutionProvider, 2 threads")
    description: str

    def predict(self, x: np.ndarray, output_names: Sequence[str] | None = None) -> list[np.ndarray]:
        """Run one batch; the outputs named (all when None), in that order."""
        ...


def load_backend(name: str, model_path: Path, options: BackendOptions) -> Backend:
    module_name = BACKENDS.get(name)
    if module_name is None:
        raise BackendError(f"unknown backend {name!r}", f"use one of: {', '.join(BACKENDS)}")
    module = importlib.import_module(module_name)
    backend: Backend = module.load(model_path, options)
    return backend
