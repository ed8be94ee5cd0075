"""The MLPerf Inference harness: LoadGen + ONNX Runtime. Stand-alone; no mlperf_tui import."""

__version__ = "0.1.0"
