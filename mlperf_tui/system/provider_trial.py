"""The child's side of the provider trial (:mod:`mlperf_tui.system.providers`): one execution
provider tried on a tiny model, the answer as one JSON line on stdout.

Run as a file (``python -P provider_trial.py PROVIDER``), so that it imports only the standard
library, onnx and onnxruntime: nothing of mlperf-tui. Everything it sees is reported, never
raised: a session that falls back to CPU, a session that cannot be made, a model that does not
run, and, when the provider does not load, which shared library is missing.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import Any

#: the providers that run on an NVIDIA GPU through CUDA
_NVIDIA = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "NvTensorRTRTXExecutionProvider")
#: TensorRT's library as onnxruntime 1.18 and later link it (TensorRT 10)
_TENSORRT_LIBRARY = "libnvinfer.so.10"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def tiny_model() -> bytes:
    """y = x + x on float[1, 4]: one node every provider has a kernel for (opset 13, IR 7)."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "trial", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7  # what every onnxruntime since 1.6 reads
    data: bytes = model.SerializeToString()
    return data


def needed_libraries(provider: str, cuda_version: str) -> tuple[str, ...]:
    """The shared libraries ``provider`` needs, as the onnxruntime build names them."""
    if provider not in _NVIDIA:
        return ()
    major = cuda_version.split(".", 1)[0] if cuda_version else "12"
    cuda: tuple[str, ...]
    if major == "11":
        cuda = ("libcudart.so.11.0", "libcublasLt.so.11", "libcublas.so.11", "libcudnn.so.8")
    else:
        cufft = "12" if major.isdigit() and int(major) >= 13 else "11"
        cuda = (
            f"libcudart.so.{major}",
            f"libcublasLt.so.{major}",
            f"libcublas.so.{major}",
            f"libcufft.so.{cufft}",
            "libcurand.so.10",
            "libcudnn.so.9",
        )
    return cuda + ((_TENSORRT_LIBRARY,) if provider.startswith("Tensorrt") else ())


def _provider_library(ort: Any, provider: str) -> str:
    """Where the build keeps the provider's own library, e.g. libonnxruntime_providers_cuda.so."""
    stem = provider.removesuffix("ExecutionProvider").lower()
    return os.path.join(
        os.path.dirname(ort.__file__), "capi", f"libonnxruntime_providers_{stem}.so"
    )


def _loads(library: str) -> str:
    """ "" when the dynamic loader finds and loads ``library``, else what it said."""
    try:
        ctypes.CDLL(library)
    except OSError as exc:
        return _first_line(exc)
    return ""


def trial(provider: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "provider": provider,
        "session_providers": [],
        "error": "",
        "run_error": "",
        "library_error": "",
        "missing": [],
        "cuda_version": "",
    }
    try:
        import numpy as np
        import onnxruntime as ort
    except Exception as exc:
        out["error"] = f"onnxruntime does not import: {_first_line(exc)}"
        return out
    out["cuda_version"] = str(getattr(ort, "cuda_version", "") or "")
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: the fallback warning is what we report
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(tiny_model(), options, providers=[provider])
        out["session_providers"] = list(session.get_providers())
        if provider in out["session_providers"]:
            x = np.arange(4, dtype=np.float32).reshape(1, 4)
            (y,) = session.run(None, {"x": x})
            if not np.array_equal(y, x + x):
                out["run_error"] = f"x + x gave {y.tolist()} for x = {x.tolist()}"
    except Exception as exc:  # the session, or its first run, failed: say how
        key = "run_error" if out["session_providers"] else "error"
        out[key] = _first_line(exc)
    if provider not in out["session_providers"] or out["error"]:
        library = _provider_library(ort, provider)
        if os.path.isfile(library):
            out["library_error"] = _loads(library)
        out["missing"] = [
            name for name in needed_libraries(provider, out["cuda_version"]) if _loads(name)
        ]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: provider_trial.py PROVIDER", file=sys.stderr)
        return 2
    print(json.dumps(trial(argv[0])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
