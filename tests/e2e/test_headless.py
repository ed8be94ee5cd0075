"""The runner and `mlperf-tui run --headless` end to end, on the tiny model and data set.

Real harness children under the real LoadGen; each run lasts about a second (short test
settings), the headless replay a few seconds per run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlperf_tui import run as runner
from mlperf_tui.profile import Profile

#: short runs: the tests check behaviour, not figures
QUICK = runner.TestSettings(min_duration_ms=200, target_s=0.6)

#: systems-JSON answers detection cannot know (the quickstart profile carries the same kind)
SYSTEM_ANSWERS = {
    "status": "available",
    "cooling": "air",
    "host_memory_configuration": "undisclosed",
}


def _tiny_profile_dict(root: Path, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": 1,
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["SingleStream", "Offline"],
        "modes": ["performance", "accuracy"],
        "execution": "test",
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 64},
        },
        "submitter": "Quickstart",
        "system": dict(SYSTEM_ANSWERS),
        "output": str(root / "results"),
    }
    data.update(changes)
    return data


def _prepare(tiny_assets: Any, profile: Profile, **kw: Any) -> runner.Prepared:
    return runner.prepare(
        profile, cache_dir=tiny_assets.cache_dir.parent, short=kw.pop("short", QUICK), **kw
    )


def test_runner_runs_two_scenarios_in_two_modes(tiny_assets: Any, tmp_path: Path) -> None:
    profile = Profile.model_validate(_tiny_profile_dict(tmp_path))
    seen: list[runner.RunnerEvent] = []
    prepared = _prepare(tiny_assets, profile)
    assert prepared.calibration.source == "calibrated"
    results = runner.execute(
        prepared.plan, profile, prepared.resolved, on_event=seen.append, system={}
    )
    assert results.complete
    assert [r.run_id for r in results.runs] == [
        "SingleStream-performance",
        "SingleStream-accuracy",
        "Offline-performance",
        "Offline-accuracy",
    ]
    assert all(r.status == "ok" for r in results.runs), [r.message for r in results.runs]
    perf = {r.scenario: r for r in results.runs if r.mode == "performance"}
    assert perf["SingleStream"].valid and perf["Offline"].valid
    assert perf["SingleStream"].metric_name == "early_stopping_latency_ns"
    assert perf["Offline"].metric_name == "samples_per_second"
    assert all(r.metric_value and r.metric_value > 0 for r in perf.values())
    accuracy_runs = [r for r in results.runs if r.mode == "accuracy"]
    assert all(r.accuracy is not None for r in accuracy_runs)

    folder = results.folder
    assert folder.parent == (tmp_path / "results").resolve()
    for name in ("profile.yaml", "system.json", "plan.json", "summary.json"):
        assert (folder / name).is_file(), name
    for r in results.runs:
        for name in (
            "RUN.json",
            "user.conf",
            "events.jsonl",
            "harness.stderr.log",
            "result.json",
            "mlperf_log_summary.txt",
            "mlperf_log_detail.txt",
            "mlperf_log_accuracy.json",
        ):
            assert (r.folder / name).is_file(), (r.run_id, name)
    for r in accuracy_runs:
        assert (r.folder / "accuracy.txt").is_file()
    # the test settings reached LoadGen through user.conf
    detail = (perf["Offline"].folder / "mlperf_log_detail.txt").read_text()
    assert f'"key": "effective_min_duration_ms", "value": {QUICK.min_duration_ms}' in detail

    kinds = {e.kind for e in seen}
    assert {"plan", "run_start", "harness", "run_end", "done"} <= kinds
    harness_events = {e.data.get("event") for e in seen if e.kind == "harness"}
    assert {"start", "result"} <= harness_events
    events = [
        json.loads(line)
        for line in (perf["Offline"].folder / "events.jsonl").read_text().splitlines()
    ]
    assert events[-1]["event"] == "result" and events[-1]["status"] == "ok"

    loaded = runner.load_results(folder)
    assert loaded.complete and [r.run_id for r in loaded.runs] == [r.run_id for r in results.runs]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["execution"] == "test" and summary["synthetic"] is True


def test_cancel_mid_run_keeps_finished_runs_and_marks_the_set_partial(
    tiny_assets: Any, tmp_path: Path
) -> None:
    profile = Profile.model_validate(_tiny_profile_dict(tmp_path, modes=["performance"]))
    prepared = _prepare(tiny_assets, profile)
    # the second run would last a minute: it is cancelled once it is running
    long = runner.TestSettings(min_duration_ms=200, target_s=60.0)
    long_plan = runner.plan_runs(
        profile, calibration=prepared.calibration, dataset_size=64, short=long
    )
    plan = [prepared.plan[0], long_plan[1]]
    assert [r.run_id for r in plan] == ["SingleStream-performance", "Offline-performance"]
    cancel = threading.Event()

    def on_event(event: runner.RunnerEvent) -> None:
        if (
            event.kind == "harness"
            and event.run_id == "Offline-performance"
            and event.data.get("event") == "progress"
            and (event.data.get("completed") or 0) > 0
        ):
            cancel.set()

    t0 = time.monotonic()
    results = runner.execute(
        plan,
        profile,
        prepared.resolved,
        on_event=on_event,
        cancel=cancel,
        cancel_grace_s=15,
        system={},
    )
    assert time.monotonic() - t0 < 45
    first, second = results.runs
    assert first.status == "ok" and first.valid
    assert second.status == "cancelled"
    assert not results.complete
    summary = json.loads((results.folder / "summary.json").read_text())
    assert summary["complete"] is False
    assert [r["status"] for r in summary["runs"]] == ["ok", "cancelled"]
    # the finished run is untouched
    assert (first.folder / "mlperf_log_detail.txt").is_file()


def test_closed_division_runs_and_verifies_the_compliance_tests(
    tiny_assets: Any, tmp_path: Path
) -> None:
    profile = Profile.model_validate(
        _tiny_profile_dict(
            tmp_path,
            division="closed",
            scenarios=["SingleStream"],
            infer_from_singlestream=True,
        )
    )
    prepared = _prepare(tiny_assets, profile)
    assert [r.run_id for r in prepared.plan] == [
        "SingleStream-performance",
        "SingleStream-accuracy",
        "SingleStream-TEST01",
        "SingleStream-TEST04",
    ]
    results = runner.execute(prepared.plan, profile, prepared.resolved, system={})
    assert results.complete, [r.message for r in results.runs]
    test01 = results.run("SingleStream-TEST01")
    test04 = results.run("SingleStream-TEST04")
    assert test01 is not None and test04 is not None
    assert (test01.folder / "audit.config").is_file()
    for name in ("verify_accuracy.txt", "verify_performance.txt"):
        assert (test01.folder / name).is_file()
    # TEST01 passed: the checkers want exactly the audit run's log and its accuracy there
    assert sorted(p.name for p in (test01.folder / "accuracy").iterdir()) == [
        "accuracy.txt",
        "mlperf_log_accuracy.json",
    ]
    assert (test04.folder / "verify_performance.txt").is_file()
    # the tiny model is deterministic: the audit run's responses match the accuracy run's
    assert test01.compliance is not None and test01.compliance["accuracy_passed"] is True
    lines = [ln.strip() for ln in (test01.folder / "verify_accuracy.txt").read_text().splitlines()]
    assert "TEST PASS" in lines
    assert test01.compliance["audit_applied"] and test04.compliance["audit_applied"]


@pytest.fixture
def tiny_profile_file(tiny_assets: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tiny_assets.cache_dir.parent))
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(_tiny_profile_dict(tmp_path)))
    return path


def test_headless_replay_builds_a_complete_package(
    tiny_profile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        from mlperf_tui import package, validate  # noqa: F401
    except ImportError:
        pytest.skip("mlperf_tui.package / mlperf_tui.validate are not there yet")
    from mlperf_tui.cli import main

    out = tmp_path / "pkg"
    code = main(["run", str(tiny_profile_file), "--headless", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert code == 0, captured.err[-3000:]
    assert doc["exit_code"] == 0 and doc["complete"] is True
    assert doc["package"] == str(out)
    assert (out / "open" / "Quickstart").is_dir()
    assert doc["validation"]["tree_complete"] is True
    # the core's validity forecast is shown headless too, once per run
    assert captured.err.count("Test execution: short on purpose") == 2, captured.err[-3000:]
    errors = {f["id"] for f in doc["validation"]["findings"] if f["severity"] == "error"}
    # precisely why it is not submittable - and nothing else
    assert errors == {"package.test-execution", "package.synthetic-assets"}
    assert [r["run_id"] for r in doc["runs"]] == [
        "SingleStream-performance",
        "SingleStream-accuracy",
        "Offline-performance",
        "Offline-accuracy",
    ]
    # the live display went to stderr, with the plan, the results table and the validation
    for text in ("Plan", "Results", "package.test-execution"):
        assert text in captured.err


def test_headless_ctrl_c_keeps_finished_runs_and_builds_no_package(
    tiny_assets: Any, tmp_path: Path
) -> None:
    data = _tiny_profile_dict(tmp_path, modes=["performance"], scenarios=["Offline"])
    # an Offline run of a minute: long enough to be interrupted while it runs
    data["targets"] = {"Offline": {"target_qps": 1.0e6}}
    profile = tmp_path / "long.yaml"
    profile.write_text(yaml.safe_dump(data))
    env = dict(os.environ, MLPERF_TUI_CACHE=str(tiny_assets.cache_dir.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--headless"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    lines: list[str] = []
    # wait until the run's progress shows, then press Ctrl-C
    for line in proc.stdout:
        lines.append(line)
        if "Offline-performance" in line or time.monotonic() > deadline:
            break
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    output = "".join(lines) + rest
    assert proc.returncode == 130, output[-3000:]
    assert "no package was built" in output
    folders = list((tmp_path / "results").iterdir())
    assert len(folders) == 1
    summary = json.loads((folders[0] / "summary.json").read_text())
    assert summary["complete"] is False
    assert summary["runs"][0]["status"] == "cancelled"
    assert not (folders[0] / "package").exists()


def test_a_setup_failure_stops_the_later_runs_with_a_reason(
    tiny_assets: Any, tmp_path: Path
) -> None:
    profile = Profile.model_validate(_tiny_profile_dict(tmp_path, modes=["performance"]))
    prepared = _prepare(tiny_assets, profile, calibrate_model=False)
    broken = tmp_path / "not-a-model.onnx"
    broken.write_text("this is not an ONNX file")
    resolved = replace(prepared.resolved, model_path=broken)
    results = runner.execute(prepared.plan, profile, resolved, system={})
    first, second = results.runs
    assert first.status == "failed" and first.exit_code == 2
    assert first.message  # the harness said what was wrong
    assert second.status == "skipped" and first.run_id in second.message
    assert not results.complete
    assert (first.folder / "harness.stderr.log").is_file()
