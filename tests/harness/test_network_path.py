"""The network division: the SUT services (``python -m harness serve``) and the query dispatch
library, with real LoadGen runs over real HTTP on 127.0.0.1 and the tiny model."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from harness_util import (
    REPO,
    HarnessRun,
    harness_command,
    make_classifier,
    run_harness,
    write_run,
)
from sut_service import FaultyNode, SutServiceProcess, write_serve_json

from harness.backends import TensorInfo
from harness.config import ConfigError, load_serve_config, parse_serve_config
from harness.events import parse_event
from harness.loadgen_logs import parse_detail_log
from harness.network.wire import (
    WireError,
    check_feeds,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)

# -- the framing (fast) ---------------------------------------------------------------------


def test_a_request_frame_carries_every_feed_exactly() -> None:
    rng = np.random.default_rng(0)
    feeds = {
        "image": rng.standard_normal((3, 2, 4)).astype(np.float32),
        "ids": rng.integers(0, 1000, (3, 5)).astype(np.int64),
        "mask": rng.integers(0, 2, (3, 5)).astype(bool),
        "half": rng.standard_normal((3, 1)).astype(np.float16),
        # a view that is not C-contiguous goes over in C order
        "strided": np.arange(24, dtype=np.int32).reshape(3, 8)[:, ::2],
    }
    count, back = decode_request(encode_request(feeds))
    assert count == 3
    assert list(back) == list(feeds)
    for name, value in feeds.items():
        assert back[name].dtype == value.dtype
        np.testing.assert_array_equal(back[name], value)


def test_a_response_frame_carries_each_samples_bytes() -> None:
    payloads = [b"\x00\x00\x80?", b"", b"abc"]
    assert decode_response(encode_response(payloads), 3) == payloads
    with pytest.raises(WireError, match="holds 3 samples, the request 2"):
        decode_response(encode_response(payloads), 2)


def _request() -> bytes:
    return encode_request({"x": np.ones((2, 3), dtype=np.float32)})


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (b"", "shorter than its prefix"),
        (b"XXXX" + _request()[4:], "wrong magic"),
        (_request()[:-1], "cut short"),
        (_request() + b"\x00", "follow the last feed"),
        (_request()[:14], "does not fit the frame"),
        (encode_response([b"a"]), "kind 2 where kind 1"),
    ],
)
def test_a_damaged_request_frame_is_an_error_not_an_array(frame: bytes, says: str) -> None:
    with pytest.raises(WireError, match=says):
        decode_request(frame)


def test_a_frame_that_declares_an_object_dtype_is_refused() -> None:
    import struct

    header = json.dumps(
        {"count": 1, "feeds": [{"name": "x", "dtype": "|O", "shape": [1], "nbytes": 8}]}
    ).encode()
    frame = struct.pack("<4sBBxxI", b"MLPN", 1, 1, len(header)) + header + b"\x00" * 8
    with pytest.raises(WireError, match="not a number or boolean"):
        decode_request(frame)


def test_feeds_must_be_the_models_inputs() -> None:
    inputs = [TensorInfo("input_tensor:0", (None, 3, 4, 4), "float32")]
    check_feeds({"input_tensor:0": np.zeros((2, 3, 4, 4), np.float32)}, inputs)
    with pytest.raises(WireError, match="the model takes input_tensor:0"):
        check_feeds({"other": np.zeros((2, 3, 4, 4), np.float32)}, inputs)
    with pytest.raises(WireError, match="is float64; the model takes float32"):
        check_feeds({"input_tensor:0": np.zeros((2, 3, 4, 4))}, inputs)
    with pytest.raises(WireError, match=r"shape \[2, 3, 4\]"):
        check_feeds({"input_tensor:0": np.zeros((2, 3, 4), np.float32)}, inputs)
    # a sample larger than the model's input is the task's to cut (3D-UNet's sliding window)
    check_feeds({"input_tensor:0": np.zeros((2, 3, 5, 4), np.float32)}, inputs)


# -- SERVE.json (fast) ------------------------------------------------------------------------


def _serve_data(model: Path, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 1,
        "task": "imagenet_classification",
        "model_path": str(model),
        "backend": {"name": "onnxruntime", "batch_size": 4},
        "sut_name": "x Network SUT",
    }
    data.update(overrides)
    return data


def test_serve_json_round_trips(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    path = write_serve_json(tmp_path / "SERVE.json", model, batch_size=4, streams=2)
    config = load_serve_config(path)
    assert config.backend.batch_size == 4 and config.backend.streams == 2
    assert config.system["host_processor_model_name"] == "test CPU"
    again = load_serve_config(config.write(tmp_path / "again.json"))
    assert again == config


@pytest.mark.parametrize(
    ("change", "says", "fix"),
    [
        ({"sut_name": "my SUT"}, 'does not contain "Network SUT"', "my SUT Network SUT"),
        ({"sut_nmae": "x"}, "unknown key 'sut_nmae'", "did you mean 'sut_name'"),
        ({"system": ["x"]}, "system is", "JSON object"),
        ({"backend": {"name": "ray", "ray": {}}}, "ray does not apply", "onnxruntime"),
        ({"schema_version": 2}, "schema_version is 2", "regenerate"),
        ({"model_path": "/nowhere/m.onnx"}, "no such file", "SERVE.json"),
    ],
)
def test_a_bad_serve_json_says_what_to_change(
    tmp_path: Path, change: dict[str, Any], says: str, fix: str
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    with pytest.raises(ConfigError) as info:
        parse_serve_config(_serve_data(model, **change))
    assert says in info.value.message and fix in info.value.fix


def test_serve_json_without_a_required_key(tmp_path: Path) -> None:
    data = _serve_data(tmp_path / "m.onnx")
    del data["sut_name"]
    with pytest.raises(ConfigError, match="missing sut_name"):
        parse_serve_config(data)


# -- the services and the QDL: real LoadGen runs (slow) ------------------------------------------


@pytest.fixture(scope="module")
def services(
    tmp_path_factory: pytest.TempPathFactory, tiny_assets: Any
) -> Iterator[list[SutServiceProcess]]:
    """Two SUT services of the tiny model, as two nodes of one system."""
    folder = tmp_path_factory.mktemp("nodes")
    started = []
    try:
        for i in range(2):
            serve = write_serve_json(folder / f"SERVE-{i}.json", tiny_assets.model)
            started.append(SutServiceProcess(serve).start())
        for s in started:
            s.wait_ready()
        yield started
    finally:
        codes = [s.stop() for s in started]
    # SIGTERM stops a service cleanly
    assert codes == [0, 0], [s.stderr for s in started]
    assert all("SUT service stopped after" in s.stderr for s in started)


def _network_run(tmp_path: Path, assets: Any, scenario: str, nodes: list[str], **kw: Any) -> Path:
    dispatch = kw.pop("dispatch", "least_loaded")
    return write_run(
        tmp_path,
        assets,
        scenario,
        kw.pop("mode", "performance"),
        model_path=None,
        network={"nodes": nodes, "dispatch": dispatch, "timeout_s": 30.0, "in_flight": 8},
        **kw,
    )


def _run(run_json: Path, on_progress: Any = None, timeout: float = 120) -> HarnessRun:
    """``python -m harness run``; ``on_progress(n)`` is called at the n-th progress event."""
    import os
    import time

    env = dict(os.environ, PYTHONPATH=str(REPO))
    t0 = time.monotonic()
    proc = subprocess.Popen(
        harness_command(run_json),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=run_json.parent,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    if on_progress is not None:
        seen = 0
        for line in proc.stdout:
            lines.append(line)
            if parse_event(line)["event"] == "progress":
                seen += 1
                if on_progress(seen):
                    break
    try:
        rest, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, stderr = proc.communicate()
        raise AssertionError(f"the harness did not exit within {timeout} s:\n{stderr}") from None
    raw = "".join(lines) + rest
    events = [parse_event(x) for x in raw.splitlines() if x.strip()]
    out = Path(json.loads(run_json.read_text())["output_dir"])
    return HarnessRun(proc.returncode, events, stderr, out, time.monotonic() - t0, raw)


def _report(run: HarnessRun) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((run.output_dir / "network.json").read_text())
    return report


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "dispatch"), [("Offline", "least_loaded"), ("Server", "round_robin")]
)
def test_a_run_through_two_nodes_finishes_and_both_answer(
    tmp_path: Path,
    tiny_assets: Any,
    services: list[SutServiceProcess],
    scenario: str,
    dispatch: str,
) -> None:
    urls = [s.url for s in services]
    # Offline: the harness times the QDL in a LoadGen test of its own first
    calibrate = {"offline_calibrate_s": 0.3} if scenario == "Offline" else {}
    run = _run(_network_run(tmp_path, tiny_assets, scenario, urls, dispatch=dispatch, **calibrate))
    assert run.rc == 0 and run.result["status"] == "ok", run
    assert ("Offline calibration:" in run.stderr) == (scenario == "Offline")
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    # LoadGen logged the name the first node gave over the network
    detail = parse_detail_log(run.output_dir)
    assert "Network SUT" in detail.values["sut_name"]
    assert detail.errors == [], detail.errors
    report = _report(run)
    assert report["dispatch"] == dispatch
    assert [n["url"] for n in report["nodes"]] == urls
    assert all(n["samples"] > 0 and n["failures"] == 0 for n in report["nodes"])
    # (the calibration's requests are not counted: network.json is the run's)
    assert sum(n["samples"] for n in report["nodes"]) == final["issued"]
    assert report["nodes"][0]["system"]["host_processor_model_name"] == "test CPU"
    for url in urls:
        assert f"SUT node {url}" in run.stderr
    if scenario == "Offline":  # the query went out in requests of batch_size samples
        assert all(n["samples"] <= 8 * n["requests"] for n in report["nodes"])
    else:  # one request per query: a Server query is one sample
        assert all(n["samples"] == n["requests"] for n in report["nodes"])


@pytest.mark.slow
def test_an_accuracy_run_through_the_nodes_scores_as_a_local_run(
    tmp_path: Path, tiny_assets: Any, services: list[SutServiceProcess]
) -> None:
    urls = [s.url for s in services]
    (tmp_path / "net").mkdir()
    (tmp_path / "local").mkdir()
    net = _run(_network_run(tmp_path / "net", tiny_assets, "Offline", urls, mode="accuracy"))
    local = _run(write_run(tmp_path / "local", tiny_assets, "Offline", "accuracy"))
    assert net.rc == 0 and local.rc == 0, (net, local)
    assert net.result["accuracy"]["value"] == local.result["accuracy"]["value"]

    def logged(run: HarnessRun) -> dict[int, str]:
        entries = json.loads((run.output_dir / "mlperf_log_accuracy.json").read_text())
        return {e["qsl_idx"]: e["data"] for e in entries}

    # every sample's response bytes came back from the nodes as the local runtime gives them
    assert logged(net) == logged(local)
    assert len(logged(net)) == tiny_assets.count
    assert all(n["samples"] > 0 for n in _report(net)["nodes"])


_LONG_CONF = """\
*.*.performance_sample_count_override = {count}
*.*.min_duration = 60000
*.Offline.target_qps = 2000
*.Offline.min_query_count = 1
"""


@pytest.mark.slow
def test_a_node_that_dies_mid_run_fails_the_run_naming_it(tmp_path: Path, tiny_assets: Any) -> None:
    folder = tmp_path / "nodes"
    folder.mkdir()
    nodes = [
        SutServiceProcess(write_serve_json(folder / f"SERVE-{i}.json", tiny_assets.model))
        for i in range(2)
    ]
    try:
        for n in nodes:
            n.start()
        urls = [n.wait_ready() for n in nodes]
        conf = _LONG_CONF.format(count=tiny_assets.count)
        run_json = _network_run(tmp_path, tiny_assets, "Offline", urls, user_conf=conf)

        def kill_second(seen: int) -> bool:
            if seen == 2:
                nodes[1].kill()
                return True
            return False

        run = _run(run_json, on_progress=kill_second)
    finally:
        for n in nodes:
            n.kill()
    assert run.rc == 1, run
    assert run.result["status"] == "failed"
    assert f"SUT node {urls[1]} failed" in run.result["message"], run.result["message"]
    # every issued sample was completed, LoadGen finished and wrote its logs
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    assert "Result is" in (run.output_dir / "mlperf_log_summary.txt").read_text()
    report = _report(run)
    assert report["nodes"][1]["failures"] >= 1
    assert report["nodes"][0]["failures"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_a_cancelled_network_run_completes_every_sample_and_ends_cancelled(
    tmp_path: Path, tiny_assets: Any, services: list[SutServiceProcess], scenario: str
) -> None:
    conf = _LONG_CONF.format(count=tiny_assets.count) + "*.Server.target_qps = 200\n"
    run_json = _network_run(
        tmp_path, tiny_assets, scenario, [s.url for s in services], user_conf=conf
    )
    run = run_harness(run_json, sigint_after_progress=2, timeout=120)
    assert run.rc == 130, run
    assert run.result["status"] == "cancelled"
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    assert (run.output_dir / "mlperf_log_detail.txt").is_file()
    assert all(n["failures"] == 0 for n in _report(run)["nodes"])
    # the services are still up for the next run
    assert all(s.proc is not None and s.proc.poll() is None for s in services)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("http_500", "HTTP 500: inference failed: boom"),
        ("bad_frame", "a malformed answer: not a network-division frame"),
        ("silent", "no answer within 1 s"),
    ],
)
def test_a_node_that_answers_wrongly_fails_the_run_with_the_reason(
    tmp_path: Path,
    tiny_assets: Any,
    services: list[SutServiceProcess],
    fault: str,
    says: str,
) -> None:
    with FaultyNode(services[0].url, fault) as node:
        run_json = write_run(
            tmp_path,
            tiny_assets,
            "Offline",
            model_path=None,
            network={"nodes": [node.url], "timeout_s": 1.0, "in_flight": 2},
        )
        run = _run(run_json)
    assert run.rc == 1, run
    assert run.result["status"] == "failed"
    assert run.result["message"].startswith(f"SUT node {node.url} failed: {says}")
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    assert (run.output_dir / "mlperf_log_summary.txt").is_file()
    assert _report(run)["nodes"][0]["failures"] >= 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.slow
def test_a_node_nothing_answers_on_is_an_error_before_loadgen_starts(
    tmp_path: Path, tiny_assets: Any, services: list[SutServiceProcess]
) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    run = _run(_network_run(tmp_path, tiny_assets, "Offline", [services[0].url, dead]))
    assert run.rc == 2, run
    (error,) = run.by_name["error"]
    assert f"cannot reach the SUT node at {dead}: connection refused" in error["message"]
    assert "mlperf-tui serve PROFILE --port" in error["fix"] and "firewall" in error["fix"]
    assert not (run.output_dir / "mlperf_log_detail.txt").exists()


@pytest.mark.slow
def test_nodes_that_serve_different_models_are_an_error(
    tmp_path: Path, tiny_assets: Any, services: list[SutServiceProcess]
) -> None:
    other = make_classifier(tmp_path / "small.onnx", input_shape=("N", 3, 112, 112))
    with SutServiceProcess(write_serve_json(tmp_path / "SERVE.json", other)) as odd:
        run = _run(_network_run(tmp_path, tiny_assets, "Offline", [services[0].url, odd.url]))
    assert run.rc == 2, run
    (error,) = run.by_name["error"]
    assert "serve different models or tasks" in error["message"]
    assert odd.url in error["message"] and "same profile" in error["fix"]


def _serve(serve_json: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [harness_command(serve_json)[0], "-m", "harness", "serve", "--config", str(serve_json),
         "--host", "127.0.0.1", *args],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_serve_refuses_a_sut_name_without_network_sut(tmp_path: Path, tiny_assets: Any) -> None:
    serve_json = write_serve_json(tmp_path / "SERVE.json", tiny_assets.model, sut_name="my box")
    proc = _serve(serve_json, "--port", "0")
    assert proc.returncode == 2
    assert 'sut_name "my box" does not contain "Network SUT"' in proc.stderr
    assert "fix:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_serve_on_a_taken_port_says_so(tmp_path: Path, tiny_assets: Any) -> None:
    serve_json = write_serve_json(tmp_path / "SERVE.json", tiny_assets.model)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = _serve(serve_json, "--port", str(port))
    assert proc.returncode == 2
    assert f"port {port} on 127.0.0.1 is taken" in proc.stderr
    assert "--port" in proc.stderr and "Traceback" not in proc.stderr
