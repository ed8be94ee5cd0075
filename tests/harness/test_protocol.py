"""Events (JSON lines), RUN.json validation, LoadGen log parsing, the Offline order, the QSL."""

from __future__ import annotations

import io
import itertools
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.config import load_run_config, parse_run_config
from harness.errors import ConfigError
from harness.events import EventWriter, parse_event
from harness.loadgen_logs import parse_detail_text, parse_summary_text, result_figures
from harness.qsl import QuerySampleLibrary
from harness.stats import LatencyHistogram
from harness.sut import locality_order
from harness.tasks import TaskError

# --- events ----------------------------------------------------------------------------------


def test_every_event_round_trips_with_version_and_time() -> None:
    buf = io.StringIO()
    w = EventWriter(buf)
    w.start("resnet50", "Offline", "performance", "/out")
    w.phase("running", "LoadGen Offline")
    h = LatencyHistogram()
    h.add(2_000_000, 10)
    w.progress(10, 10, 1.0, h.percentile(0.5), h.percentile(0.9), None, h.snapshot())
    w.result("ok", "done", "/out", {"result_valid": True}, None)
    w.error("bad", "fix it")
    events = [parse_event(line) for line in buf.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["start", "phase", "progress", "result", "error"]
    assert all(e["v"] == 1 and isinstance(e["t"], float) for e in events)
    progress = events[2]
    assert progress["throughput"] == 10.0
    assert progress["p90_ms"] == pytest.approx(2.0, rel=0.01)
    assert progress["p99_ms"] is None
    assert progress["histogram"]["counts"] == [[h.bucket_index(2_000_000), 10]]
    assert events[0]["pid"] > 0


def test_parse_event_tolerates_stray_lines() -> None:
    assert parse_event("not json at all\n") == {
        "v": 1,
        "event": "text",
        "t": None,
        "text": "not json at all",
    }
    assert parse_event(b'{"no": "event"}')["event"] == "text"
    assert parse_event("[1, 2]")["event"] == "text"
    assert parse_event('{"v": 1, "event": "phase", "t": 0.1}')["event"] == "phase"


def test_writer_rejects_unknown_names_and_is_thread_safe() -> None:
    buf = io.StringIO()
    w = EventWriter(buf)
    with pytest.raises(ValueError):
        w.phase("warming_up", "x")
    with pytest.raises(ValueError):
        w.result("maybe", "", "", None, None)

    def many() -> None:
        for _ in range(200):
            w.phase("running", "x" * 100)

    threads = [threading.Thread(target=many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = buf.getvalue().splitlines()
    assert len(lines) == 800
    assert all(json.loads(line)["event"] == "phase" for line in lines)


# --- RUN.json --------------------------------------------------------------------------------


def valid_run(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "model.onnx").write_bytes(b"x")
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "user.conf").write_text("")
    return {
        "schema_version": 1,
        "benchmark": "resnet50",
        "loadgen_model": "resnet50",
        "task": "imagenet_classification",
        "task_options": {"preprocessing": "mobilenet"},
        "scenario": "Server",
        "mode": "accuracy",
        "audit_config": None,
        "model_path": str(tmp_path / "model.onnx"),
        "dataset_path": str(tmp_path / "data"),
        "dataset_count": 10,
        "cache_dir": str(tmp_path / "cache"),
        "backend": {
            "name": "onnxruntime",
            "execution_provider": "CPUExecutionProvider",
            "intra_op_threads": 0,
            "batch_size": 4,
            "streams": 2,
        },
        "server_max_wait_ms": 2.0,
        "user_conf": str(tmp_path / "user.conf"),
        "output_dir": str(tmp_path / "out"),
        "progress_interval_s": 0.25,
    }


def test_valid_run_json_round_trips(tmp_path: Path) -> None:
    data = valid_run(tmp_path)
    (tmp_path / "RUN.json").write_text(json.dumps(data))
    config = load_run_config(tmp_path / "RUN.json")
    assert config.scenario == "Server" and config.backend.batch_size == 4
    assert config.backend.streams == 2
    assert config.to_dict() == data
    # the one writer: what RunConfig writes, it reads back the same
    config.write(tmp_path / "RUN2.json")
    assert load_run_config(tmp_path / "RUN2.json") == config
    assert not list(tmp_path.glob(".*.tmp"))


def test_task_options_must_be_plain_values(tmp_path: Path) -> None:
    data = valid_run(tmp_path)
    data["task_options"] = {"preprocessing": ["resnet"]}
    with pytest.raises(ConfigError, match="task_options is"):
        parse_run_config(data)
    data.pop("task_options")
    assert parse_run_config(data).task_options == {}


def test_a_task_named_by_module_and_attribute_loads() -> None:
    from harness.tasks import get_task

    task = get_task("harness.tasks.imagenet_classification:TASK")
    assert task.name == "imagenet_classification"
    with pytest.raises(TaskError, match=r"cannot load task 'no\.such\.module:TASK'"):
        get_task("no.such.module:TASK")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("mode",), "acuracy", "did you mean 'accuracy'"),
        (("backend", "batch_size"), 0, "backend.batch_size"),
        (("backend", "intra_op_threads"), -1, "backend.intra_op_threads"),
        (("backend", "name"), "tensorrt", "onnxruntime"),
        (("backend", "threads"), 2, "unknown key 'threads'"),
        (("schema_version",), 2, "schema_version"),
        (("user_conf",), "/nonexistent/user.conf", "no such file"),
        (("audit_config",), "/nonexistent/audit.config", "no such file"),
        (("dataset_count",), 0, "dataset_count"),
        (("progress_interval_s",), 0, "progress_interval_s"),
        (("output_dir",), "out", "relative path"),
    ],
)
def test_bad_values_say_what_and_how_to_fix(
    tmp_path: Path, path: tuple[str, ...], value: Any, expected: str
) -> None:
    data = valid_run(tmp_path)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ConfigError) as info:
        parse_run_config(data)
    assert expected in str(info.value)
    assert info.value.fix and info.value.exit_code == 2


def test_missing_keys_and_bad_json(tmp_path: Path) -> None:
    data = valid_run(tmp_path)
    del data["model_path"]
    with pytest.raises(ConfigError, match="missing model_path"):
        parse_run_config(data)
    (tmp_path / "RUN.json").write_text("{ nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_run_config(tmp_path / "RUN.json")
    with pytest.raises(ConfigError, match="cannot read"):
        load_run_config(tmp_path / "missing.json")


# --- LoadGen logs ----------------------------------------------------------------------------


def mllog(key: str, value: Any, error: bool = False, warning: bool = False) -> str:
    meta = {"is_error": error, "is_warning": warning, "file": "x.cc", "line_no": 1}
    record = {
        "key": key,
        "value": value,
        "time_ms": 1.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": meta,
    }
    return ":::MLLOG " + json.dumps(record)


def test_detail_log_figures_per_scenario() -> None:
    lines = [
        "some stray line",
        mllog("effective_scenario", "SingleStream"),
        mllog("effective_test_mode", "PerformanceOnly"),
        mllog("effective_qsl_rng_seed", 2085463073848966840),
        mllog("error_runtime", "Ending early", error=True),
        mllog("warning_generic_message", "alloc", warning=True),
        mllog("result_validity", "INVALID"),
        mllog("early_stopping_met", True),
        mllog("early_stopping_latency_ss", 123456),
        mllog("result_90.00_percentile_latency_ns", 120000),
        mllog("result_99.00_percentile_per_query_latency_ns", 1),
        ':::MLLOG {"key": "truncat',
    ]
    log = parse_detail_text("\n".join(lines))
    assert log.bad_lines == 1
    figures = result_figures(log)
    assert figures["result_valid"] is False
    assert figures["metric_name"] == "early_stopping_latency_ns"
    assert figures["metric_value"] == 123456
    assert figures["errors"] == 1 and figures["warnings"] == 1
    assert figures["percentiles_ns"] == {"90.00": 120000}
    assert figures["query_percentiles_ns"] == {"99.00": 1}
    assert figures["seeds"]["qsl_rng_seed"] == 2085463073848966840
    assert figures["early_stopping_met"] is True


@pytest.mark.parametrize(
    ("scenario", "key"),
    [
        ("Offline", "result_samples_per_second"),
        ("Server", "result_completed_samples_per_sec"),
        ("MultiStream", "early_stopping_latency_ms"),
    ],
)
def test_metric_key_per_scenario(scenario: str, key: str) -> None:
    log = parse_detail_text("\n".join([mllog("effective_scenario", scenario), mllog(key, 42.5)]))
    assert result_figures(log)["metric_value"] == 42.5


def test_summary_log_lines() -> None:
    text = (
        "SUT name : PySUT\nScenario : Offline\nResult is : VALID\n  Min duration satisfied : Yes\n"
    )
    values = parse_summary_text(text)
    assert values["Result is"] == "VALID" and values["Min duration satisfied"] == "Yes"


# --- Offline locality order ------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_locality_order_is_a_permutation_in_ascending_passes(batch_size: int) -> None:
    rng = np.random.default_rng(0)
    indices = rng.integers(0, 50, size=777)
    order, bounds = locality_order(indices, batch_size)
    assert sorted(order.tolist()) == list(range(indices.size))  # every sample exactly once
    assert bounds[0] == 0 and bounds[-1] == indices.size
    ordered = indices[order]
    for lo, hi in itertools.pairwise(bounds):
        assert 0 < hi - lo <= batch_size
        batch = ordered[lo:hi]
        assert np.all(np.diff(batch) > 0)  # ascending, no repeats inside a batch
    # the first pass holds every distinct sample once, in order
    distinct = np.unique(indices)
    assert ordered[: distinct.size].tolist() == distinct.tolist()


def test_locality_order_of_an_empty_query() -> None:
    order, bounds = locality_order(np.empty(0, dtype=np.int64), 4)
    assert order.size == 0 and bounds == [0]


# --- QSL -------------------------------------------------------------------------------------


class RecordingDataset:
    total_count = 10
    labels = np.zeros(10, dtype=np.int64)

    def __init__(self) -> None:
        self.loaded: set[int] = set()

    def load(self, indices: list[int]) -> None:
        self.loaded |= set(indices)

    def unload(self, indices: list[int]) -> None:
        self.loaded -= set(indices)


def test_qsl_loads_and_frees_what_loadgen_asks() -> None:
    ds = RecordingDataset()
    seen: list[int] = []
    qsl = QuerySampleLibrary(ds, 4, on_load=seen.append)  # type: ignore[arg-type]
    assert qsl.performance_sample_count == 4
    qsl.load_samples([1, 5, 7, 9])
    assert ds.loaded == {1, 5, 7, 9} and qsl.loaded == 4 and seen == [4]
    qsl.unload_samples([1, 5, 7, 9])
    assert ds.loaded == set() and qsl.loaded == 0
    assert qsl.calls == [("load", 4), ("unload", 4)]
    assert QuerySampleLibrary(ds, 50).performance_sample_count == 10  # type: ignore[arg-type]


def test_progress_within_a_long_sample_is_reported() -> None:
    from harness.__main__ import ProgressReporter
    from harness.sut import RunState

    out = io.StringIO()
    state = RunState()
    reporter = ProgressReporter(EventWriter(out), state, 0.25, "running")
    reporter.emit()
    state.on_steps(3, 10)  # a task's sliding window: 3 of 10 model calls done
    reporter.emit()
    first, second = (parse_event(line) for line in out.getvalue().splitlines())
    assert first["within"] is None
    assert second["within"] == {"done": 3, "total": 10}
