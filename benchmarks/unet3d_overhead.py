"""How much the harness costs over raw ONNX Runtime on the 3D-UNet stand-in (KiTS19 cases).

    python benchmarks/unet3d_overhead.py [--quick] [--cases N] [--cache-dir DIR]

Side by side in one run, on the same model and the same 128^3 windows of the same
preprocessed synthetic cases (most one window, every fourth two):

- raw ONNX Runtime: a plain loop of ``session.run`` over every window of every case, inputs
  preloaded and contiguous, nothing else; the best of a small intra-op threads sweep;
- raw loop with the benchmark's per-window work: the same loop plus what every 3D-UNet SUT
  must do (the reference's Gaussian weighting, normalisation and argmax), written plainly as
  the reference's base_SUT does it;
- the task's own sliding window (``kits19_segmentation`` infer) in a plain loop, no LoadGen;
- the harness under LoadGen, Offline, batch size 1, with that thread count: LoadGen's samples
  (cases) per second.

Printed last: the harness's throughput as a ratio of each raw figure (target: >= 0.95 against
raw ONNX Runtime). Raw loops and harness runs alternate, each keeping its best round, since the
machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.events import parse_event  # noqa: E402
from harness.tasks.kits19_segmentation.sliding_window import window_origins  # noqa: E402

ROI = (128, 128, 128)


def session_for(model: Path, threads: int) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def windows_of(cases: list[np.ndarray]) -> list[list[tuple[tuple[int, int, int], np.ndarray]]]:
    """Every case's windows, contiguous, in the reference's order."""
    out = []
    for case in cases:
        out.append(
            [
                (
                    o,
                    np.ascontiguousarray(
                        case[..., o[0] : o[0] + 128, o[1] : o[1] + 128, o[2] : o[2] + 128]
                    ),
                )
                for o in window_origins(case.shape[2:], ROI)
            ]
        )
    return out


def raw_model_only(session: Any, windows: list[Any], seconds: float) -> float:
    """Cases per second of session.run over the windows, nothing else."""
    session.run(["output"], {"input": windows[0][0][1]})
    done = 0
    start = time.perf_counter_ns()
    end = start + int(seconds * 1e9)
    while time.perf_counter_ns() < end:
        for case in windows:
            for _, x in case:
                session.run(["output"], {"input": x})
            done += 1
    return done / ((time.perf_counter_ns() - start) / 1e9)


def _reference_kernel() -> np.ndarray:
    k = np.arange(128) - 63.5
    g1 = np.exp(-(k**2) / (2 * 16.0 * 16.0))
    g3 = np.cbrt(np.outer(np.outer(g1, g1), g1).reshape(128, 128, 128))
    return (g3 / g3.max()).astype(np.float32)


def raw_with_weighting(
    session: Any, cases: list[np.ndarray], windows: list[Any], seconds: float
) -> float:
    """Cases per second of the loop plus the reference's per-window work (base_SUT)."""
    patch = _reference_kernel()
    done = 0
    start = time.perf_counter_ns()
    end = start + int(seconds * 1e9)
    while time.perf_counter_ns() < end:
        for case, case_windows in zip(cases, windows, strict=True):
            result = np.zeros((1, 3, *case.shape[2:]), dtype=np.float32)
            norm = np.zeros_like(result)
            for (i, j, k), x in case_windows:
                s = (Ellipsis, slice(i, i + 128), slice(j, j + 128), slice(k, k + 128))
                out = session.run(["output"], {"input": x})[0].squeeze(0)
                result[s] += out * patch
                norm[s] += patch
            result /= norm
            np.argmax(result, axis=1).astype(np.uint8).tobytes()
            done += 1
    return done / ((time.perf_counter_ns() - start) / 1e9)


class _Session:
    """The raw session behind the Backend protocol's predict, nothing added."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def predict(self, feeds: Any, output_names: Any = None) -> list[np.ndarray]:
        out: list[np.ndarray] = self.session.run(list(output_names or ["output"]), feeds)
        return out


def raw_task_loop(session: Any, cases: list[np.ndarray], seconds: float) -> float:
    """Cases per second of the task's own sliding window in a plain loop (no LoadGen, no SUT)."""
    from harness.backends import TensorInfo
    from harness.tasks import get_task

    task = get_task("kits19_segmentation")
    binding = task.bind(
        [TensorInfo("input", (1, 1, *ROI), "float32")],
        [TensorInfo("output", (1, 3, *ROI), "float32")],
        {},
    )
    backend = _Session(session)
    done = 0
    start = time.perf_counter_ns()
    end = start + int(seconds * 1e9)
    while time.perf_counter_ns() < end:
        for case in cases:
            task.infer(backend, binding, {"input": case})  # type: ignore[arg-type]
            done += 1
    return done / ((time.perf_counter_ns() - start) / 1e9)


def run_harness(
    tmp: Path, model: Path, dataset: Path, cache: Path, threads: int, conf: str
) -> dict[str, Any]:
    (tmp / "user.conf").write_text(conf)
    run = {
        "schema_version": 1,
        "benchmark": "3d-unet-99",
        "loadgen_model": "3d-unet",
        "task": "kits19_segmentation",
        "scenario": "Offline",
        "mode": "performance",
        "audit_config": None,
        "model_path": str(model),
        "dataset_path": str(dataset),
        "dataset_count": None,
        "cache_dir": str(cache),
        "backend": {
            "name": "onnxruntime",
            "execution_provider": "CPUExecutionProvider",
            "intra_op_threads": threads,
            "batch_size": 1,
        },
        "server_max_wait_ms": 2.0,
        "user_conf": str(tmp / "user.conf"),
        "output_dir": str(tmp / f"out-{time.monotonic_ns()}"),
        "progress_interval_s": 0.25,
    }
    (tmp / "RUN.json").write_text(json.dumps(run))
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--config", str(tmp / "RUN.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    events = [parse_event(line) for line in proc.stdout.splitlines() if line.strip()]
    result = next((e for e in reversed(events) if e["event"] in ("result", "error")), {})
    if result.get("event") != "result" or result.get("status") != "ok":
        raise SystemExit(f"harness run failed: {result}\n{proc.stderr[-2000:]}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", default=None, help="asset cache (default: the user cache)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    parser.add_argument("--cases", type=int, default=8, help="synthetic cases (default 8)")
    args = parser.parse_args()

    import onnxruntime as ort

    from harness.backends.onnxruntime import physical_cores
    from harness.datasets.kits19 import Kits19Dataset
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    seconds = 3.0 if args.quick else 8.0
    rounds = 2 if args.quick else 3
    cores = physical_cores()
    entry = benchmarks.require("3d-unet-99")
    model = synthetic_model(entry, "tiny-3d-unet", seed=0, cache_dir=args.cache_dir)
    dataset = synthetic_dataset(entry, args.cases, seed=0, cache_dir=args.cache_dir)
    cache = Path(tempfile.mkdtemp(prefix="unet3d-bench-cache-"))
    ds = Kits19Dataset(dataset, cache, None)
    ds.preprocess(None)
    ds.load(np.arange(ds.total_count))
    cases = [np.ascontiguousarray(ds.batch(np.array([i]))["input"]) for i in range(ds.total_count)]
    windows = windows_of(cases)
    n_windows = sum(len(w) for w in windows)
    print(
        f"{cores} cores; {len(cases)} cases, {n_windows} windows of 128^3; "
        f"onnxruntime {ort.__version__}"
    )

    sweep = {
        t: raw_model_only(session_for(model, t), windows, seconds / 3) for t in range(1, cores + 1)
    }
    threads = max(sweep, key=lambda t: sweep[t])
    print(
        "intra-op threads sweep (raw cases/s): "
        + ", ".join(f"{t}: {v:.2f}" for t, v in sweep.items())
    )
    session = session_for(model, threads)
    raw, weighted, task_loop, harness = 0.0, 0.0, 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for _ in range(rounds):
            raw = max(raw, raw_model_only(session, windows, seconds))
            weighted = max(weighted, raw_with_weighting(session, cases, windows, seconds))
            task_loop = max(task_loop, raw_task_loop(session, cases, seconds))
            conf = (
                f"*.*.performance_sample_count_override = {len(cases)}\n"
                f"*.*.min_duration = {int(seconds * 1000)}\n"
                f"*.Offline.target_qps = {raw:.3f}\n"
                "*.Offline.min_query_count = 1\n"
            )
            result = run_harness(tmp, model, dataset, cache, threads, conf)
            harness = max(harness, float(result["loadgen"]["metric_value"]))
            print(
                f"round: raw {raw:.2f} cases/s, raw + weighting {weighted:.2f} cases/s, "
                f"task loop {task_loop:.2f} cases/s, harness {harness:.2f} cases/s (best so far)"
            )
            sys.stdout.flush()
    print()
    print(f"intra-op threads: {threads}")
    print(f"raw ONNX Runtime (windows only):        {raw:8.2f} cases/s")
    print(f"raw loop + the reference's weighting:   {weighted:8.2f} cases/s")
    print(f"the task's sliding window, plain loop:  {task_loop:8.2f} cases/s")
    print(f"harness, LoadGen Offline:               {harness:8.2f} cases/s")
    print(
        f"Offline throughput ratio vs raw ONNX Runtime:     {harness / raw:.3f}x (target >= 0.95)"
    )
    print(f"Offline throughput ratio vs raw + weighting:      {harness / weighted:.3f}x")
    print(f"Offline throughput ratio vs the task, plain loop: {harness / task_loop:.3f}x")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(REPO))
    sys.exit(main())
