"""What a user sees when things go wrong: bad inputs, a runtime that raises, SIGINT."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from harness_util import (
    REPO,
    SHORT_USER_CONF,
    make_classifier,
    run_harness,
    write_run,
)

from harness.loadgen_logs import parse_detail_log, parse_summary_log

#: long enough that SIGINT always lands mid-run (the run would take 30 s)
LONG_USER_CONF = """\
*.*.performance_sample_count_override = {count}
*.*.min_duration = 30000
*.*.min_query_count = 100
*.SingleStream.target_latency = 1
*.MultiStream.target_latency = 1
*.Server.target_qps = 100
*.Server.target_latency = 400
*.Offline.target_qps = 1000
*.Offline.min_query_count = 1
"""


def test_a_model_the_task_cannot_map_fails_before_loadgen(tmp_path: Path, tiny_assets: Any) -> None:
    # four channels: no RGB axis where an image classifier has one
    model = make_classifier(tmp_path / "four_channels.onnx", input_shape=("N", 4, 224, 224))
    run = run_harness(write_run(tmp_path, tiny_assets, "Offline", model=model))
    assert run.rc == 2, run
    error = run.by_name["error"][-1]
    assert "four_channels.onnx does not fit the imagenet_classification task" in error["message"]
    assert "input_tensor:0 has shape [N,4,224,224]" in error["message"], error
    assert "no 3-channel axis" in error["message"], error
    assert error["fix"]
    assert "result" not in run.by_name
    assert "running" not in [e["phase"] for e in run.by_name.get("phase", [])]
    assert not (run.output_dir / "mlperf_log_detail.txt").exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"scenario": "Ofline"}, "did you mean 'Offline'"),
        ({"batch_size_x": 3}, "unknown key 'batch_size_x'"),
        ({"model_path": "relative/model.onnx"}, "relative path"),
        ({"dataset_path": "/nonexistent/imagenet"}, "no such folder"),
        ({"task": "no_such_task"}, "unknown task"),
    ],
)
def test_bad_run_json_exits_2_with_a_fix(
    tmp_path: Path, tiny_assets: Any, change: dict[str, Any], expected: str
) -> None:
    run_json = write_run(tmp_path, tiny_assets, "Offline")
    data = json.loads(run_json.read_text())
    data.update(change)
    run_json.write_text(json.dumps(data))
    run = run_harness(run_json)
    assert run.rc == 2, run
    error = run.by_name["error"][-1]
    assert expected in error["message"] + error["fix"], error
    assert error["fix"]


def test_unreadable_user_conf_exits_2(tmp_path: Path, tiny_assets: Any) -> None:
    run = run_harness(
        write_run(
            tmp_path, tiny_assets, "Offline", user_conf="resnet50.Offline.target_qps = oops\n"
        )
    )
    assert run.rc == 2, run
    assert "user.conf" in run.by_name["error"][-1]["message"]


FAILING_BACKEND = textwrap.dedent(
    """\
    # Runs the harness with a backend whose predict raises after a few batches.
    import sys

    import harness.backends.onnxruntime as ort_backend
    from harness.__main__ import main

    real_predict = ort_backend.OnnxRuntimeBackend.predict
    calls = [0]

    def predict(self, feeds, output_names=None):
        calls[0] += 1
        if calls[0] > 3:
            raise RuntimeError("simulated runtime failure: device lost")
        return real_predict(self, feeds, output_names)

    ort_backend.OnnxRuntimeBackend.predict = predict
    sys.exit(main(["run", "--config", sys.argv[1]]))
    """
)


@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server", "Offline"])
def test_backend_raising_mid_run_fails_the_run(
    tmp_path: Path, tiny_assets: Any, scenario: str
) -> None:
    script = tmp_path / "failing_backend.py"
    script.write_text(FAILING_BACKEND)
    conf = LONG_USER_CONF.format(count=tiny_assets.count)
    run_json = write_run(tmp_path, tiny_assets, scenario, user_conf=conf)
    run = run_harness(run_json, script=script, timeout=60)
    assert run.rc == 1, run
    result = run.result
    assert result["status"] == "failed"
    assert "simulated runtime failure: device lost" in result["message"]
    # LoadGen finished (every issued query completed) and wrote its logs
    assert result["loadgen"] is not None
    assert "Result is" in (run.output_dir / "mlperf_log_summary.txt").read_text()
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    assert run.wall_s < 60


@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline"])
def test_sigint_cancels_with_complete_logs(tmp_path: Path, tiny_assets: Any, scenario: str) -> None:
    conf = LONG_USER_CONF.format(count=tiny_assets.count)
    if scenario == "Offline":
        # one big query that takes a while: 30 s x 1000 samples/s expected
        conf = conf.replace("*.Offline.target_qps = 1000", "*.Offline.target_qps = 2000")
    run = run_harness(
        write_run(tmp_path, tiny_assets, scenario, user_conf=conf),
        sigint_after_progress=2,
        timeout=30,
    )
    assert run.rc == 130, run
    assert run.result["status"] == "cancelled"
    summary = parse_summary_log(run.output_dir)
    assert summary["Scenario"] == scenario
    assert "Result is" in summary
    detail = parse_detail_log(run.output_dir)
    assert detail.bad_lines == 0
    assert run.result["loadgen"]["scenario"] == scenario
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"]
    # the 30 s run ended within seconds of the SIGINT
    assert run.wall_s < 20, run.wall_s


def test_events_stay_on_stdout_and_logs_on_stderr(tmp_path: Path, tiny_assets: Any) -> None:
    conf = SHORT_USER_CONF.format(count=tiny_assets.count)
    run = run_harness(write_run(tmp_path, tiny_assets, "Offline", user_conf=conf))
    assert run.rc == 0, run
    assert all(e["event"] != "text" for e in run.events), run.raw_stdout
    assert "harness:" in run.stderr
    assert json.loads(run.raw_stdout.splitlines()[0])["event"] == "start"
    assert str(REPO)  # the child ran this checkout's harness
