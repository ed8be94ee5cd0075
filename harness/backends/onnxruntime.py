"""ONNX Runtime backend (CPU, CUDA, or any execution provider the installed build has)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harness.backends import TensorInfo
from harness.errors import BackendError

if TYPE_CHECKING:
    from harness.config import BackendOptions


def physical_cores() -> int:
    """Cores this process may run on (ONNX Runtime's default pool is one thread per core)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OnnxRuntimeBackend:
    name = "onnxruntime"

    def __init__(self, model_path: Path, options: BackendOptions) -> None:
        try:
            import onnxruntime as ort
        except ImportError as e:  # pragma: no cover - a dependency
            raise BackendError(
                "onnxruntime is not installed", "pip install onnxruntime (or onnxruntime-gpu)"
            ) from e
        self.version = str(ort.__version__)
        available = ort.get_available_providers()
        provider = options.execution_provider
        if provider not in available:
            raise BackendError(
                f"execution provider {provider} is not available in onnxruntime {self.version}",
                f"use one of: {', '.join(available)}"
                + (
                    " (install onnxruntime-gpu for CUDAExecutionProvider)"
                    if provider.startswith("CUDA")
                    else ""
                ),
            )
        so = ort.SessionOptions()
        # with one stream, one caller at a time runs the model (see harness.sut), so the
        # intra-op pool gets the cores; with several, each stream's pool gets its share: more
        # threads than cores loses 15-20% to oversubscription
        threads = options.intra_op_threads or max(1, physical_cores() // max(1, options.streams))
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(model_path), so, providers=[provider])
        except Exception as e:  # ORT raises its own exception types for a bad model file
            raise BackendError(
                f"onnxruntime cannot load {model_path}: {str(e).strip().splitlines()[0]}",
                "check that the file is a complete ONNX model (re-download or regenerate it)",
            ) from e
        running = list(self._session.get_providers())
        if provider not in running:
            # a GPU build lists CUDA even without the CUDA libraries or the driver, and a
            # session asked for it then runs on the CPU with only a warning
            raise BackendError(
                f"execution provider {provider} did not load: onnxruntime {self.version} "
                f"fell back to {', '.join(running) or 'nothing'}",
                "mlperf-tui detect says why it does not load here (driver, CUDA, cuDNN); "
                "or choose CPUExecutionProvider",
            )
        self.inputs = [TensorInfo.of(m) for m in self._session.get_inputs()]
        self.outputs = [TensorInfo.of(m) for m in self._session.get_outputs()]
        self.threads = threads
        self.description = f"onnxruntime {self.version}, {provider}, {threads} intra-op threads"

    def predict(
        self, feeds: Mapping[str, np.ndarray], output_names: Sequence[str] | None = None
    ) -> list[np.ndarray]:
        names = list(output_names) if output_names is not None else None
        # ONNX Runtime takes the mapping as it is when it is already a dict (the hot path)
        inputs = feeds if isinstance(feeds, dict) else dict(feeds)
        result: list[np.ndarray] = self._session.run(names, inputs)
        return result


def load(model_path: Path, options: BackendOptions) -> OnnxRuntimeBackend:
    return OnnxRuntimeBackend(model_path, options)
