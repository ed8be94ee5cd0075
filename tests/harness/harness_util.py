"""Helpers of the harness tests: write RUN.json + user.conf, run `python -m harness`."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.events import parse_event

REPO = Path(__file__).resolve().parents[2]

# Short runs that LoadGen still accepts as VALID on the tiny model: small min duration and
# query counts, a performance sample count equal to the tiny data set, and expected latencies /
# QPS the tiny model can meet on a shared 2-core machine.
SHORT_USER_CONF = """\
*.*.performance_sample_count_override = {count}
*.*.min_duration = 100
*.SingleStream.min_query_count = 1000
*.SingleStream.target_latency = 1
*.MultiStream.min_query_count = 700
*.MultiStream.target_latency = 1
*.Server.min_query_count = 600
*.Server.target_qps = 400
*.Server.target_latency = 400
*.Offline.target_qps = 1000
*.Offline.min_query_count = 1000
"""


@dataclass
class HarnessRun:
    rc: int
    events: list[dict[str, Any]]
    stderr: str
    output_dir: Path
    wall_s: float
    raw_stdout: str = ""
    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for e in self.events:
            self.by_name.setdefault(e["event"], []).append(e)

    @property
    def result(self) -> dict[str, Any]:
        return self.by_name["result"][-1]

    def __str__(self) -> str:  # what a failing assert shows
        return f"rc={self.rc}\nstdout:\n{self.raw_stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"


def write_run(
    tmp: Path,
    assets: Any,
    scenario: str,
    mode: str = "performance",
    *,
    model: Path | None = None,
    user_conf: str | None = None,
    batch_size: int = 8,
    **overrides: Any,
) -> Path:
    conf = tmp / "user.conf"
    conf.write_text(user_conf or SHORT_USER_CONF.format(count=assets.count))
    run = {
        "schema_version": 1,
        "benchmark": "resnet50",
        "loadgen_model": "resnet50",
        "task": "imagenet_classification",
        "scenario": scenario,
        "mode": mode,
        "audit_config": None,
        "model_path": str(model or assets.model),
        "dataset_path": str(assets.dataset),
        "dataset_count": None,
        "cache_dir": str(assets.cache_dir),
        # one intra-op thread: the tests share two cores with each other
        "backend": {
            "name": "onnxruntime",
            "execution_provider": "CPUExecutionProvider",
            "intra_op_threads": 1,
            "batch_size": batch_size,
        },
        "server_max_wait_ms": 2.0,
        "user_conf": str(conf),
        "output_dir": str(tmp / "out"),
        "progress_interval_s": 0.25,
    }
    run.update(overrides)
    path = tmp / "RUN.json"
    path.write_text(json.dumps(run, indent=2))
    return path


def harness_command(run_json: Path, script: Path | None = None) -> list[str]:
    if script is not None:
        return [sys.executable, str(script), str(run_json)]
    return [sys.executable, "-m", "harness", "run", "--config", str(run_json)]


def run_harness(
    run_json: Path,
    *,
    script: Path | None = None,
    timeout: float = 60,
    sigint_after_progress: int | None = None,
    cwd: Path | None = None,
) -> HarnessRun:
    """Run the harness in a child process; optionally SIGINT it after N progress events."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    t0 = time.monotonic()
    proc = subprocess.Popen(
        harness_command(run_json, script),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd or run_json.parent,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    if sigint_after_progress is not None:
        seen = 0
        for line in proc.stdout:
            lines.append(line)
            if parse_event(line)["event"] == "progress":
                seen += 1
                if seen == sigint_after_progress:
                    proc.send_signal(signal.SIGINT)
                    break
    try:
        rest, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, stderr = proc.communicate()
        raise AssertionError(
            f"the harness did not exit within {timeout} s:\n{stderr[-3000:]}"
        ) from None
    raw = "".join(lines) + rest
    events = [parse_event(line) for line in raw.splitlines() if line.strip()]
    out = json.loads(run_json.read_text())["output_dir"]
    return HarnessRun(proc.returncode, events, stderr, Path(out), time.monotonic() - t0, raw)


def bucket(snapshot: dict[str, Any], ns: float) -> int:
    return int(math.log(ns / snapshot["min_ns"]) / math.log(snapshot["growth"]))


def make_classifier(
    path: Path,
    input_shape: tuple[int | str, ...] = ("N", 3, 224, 224),
    conv_channels: int = 0,
    seed: int = 0,
) -> Path:
    """A classifier with the ResNet50 I/O names; a 3x3 convolution first makes it slower.

    ``input_shape`` lets a test build a model the task must refuse.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    inits = []
    nodes = []
    x = "input_tensor:0"
    channels = int(input_shape[1])
    if conv_channels:
        w = rng.standard_normal((conv_channels, channels, 3, 3)).astype(np.float32) * 0.01
        inits.append(numpy_helper.from_array(w, "conv_w"))
        nodes.append(helper.make_node("Conv", [x, "conv_w"], ["conv"], pads=[1, 1, 1, 1]))
        x, channels = "conv", conv_channels
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"]))
    inits.append(numpy_helper.from_array(np.array([-1, channels], dtype=np.int64), "flat_shape"))
    nodes.append(helper.make_node("Reshape", ["pool", "flat_shape"], ["flat"]))
    dense = rng.standard_normal((channels, 1001)).astype(np.float32)
    inits.append(numpy_helper.from_array(dense, "dense_w"))
    nodes.append(helper.make_node("MatMul", ["flat", "dense_w"], ["logits"]))
    nodes.append(helper.make_node("Softmax", ["logits"], ["softmax_tensor:0"], axis=-1))
    nodes.append(helper.make_node("ArgMax", ["logits"], ["ArgMax:0"], axis=-1, keepdims=0))
    graph = helper.make_graph(
        nodes,
        "test_classifier",
        [helper.make_tensor_value_info("input_tensor:0", TensorProto.FLOAT, list(input_shape))],
        [
            helper.make_tensor_value_info("ArgMax:0", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("softmax_tensor:0", TensorProto.FLOAT, ["N", 1001]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
