"""``mlperf-tui sweep`` on the tiny stand-in through the real command line, harness children
and LoadGen: every point runs, a second invocation reuses them all, a cancelled sweep resumes
where it stopped, and ``compare`` shows the sweep's table and plot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.faults import assert_no_traceback, python_cli, tiny_profile

pytestmark = pytest.mark.slow

SETS = ("--set", "backend.batch_size=1,8", "--set", "backend.intra_op_threads=1,2")


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        MLPERF_TUI_CACHE=str(tmp_path / "cache"),
        MLPERF_TUI_DATA=str(tmp_path / "data"),
        COLUMNS="100",
    )


def _sweep(tmp_path: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        python_cli("sweep", str(profile), *SETS, *extra),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        stdin=subprocess.DEVNULL,
        env=_env(tmp_path),
    )
    assert_no_traceback(done.stdout + done.stderr)
    return done


def _state(folder: Path) -> dict[str, str]:
    data = json.loads((folder / "sweep.json").read_text())
    return {json.dumps(p["settings"], sort_keys=True): p["status"] for p in data["points"]}


def test_every_point_runs_then_all_are_reused(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path, modes=["performance"])
    first = _sweep(tmp_path, profile, "--json")
    assert first.returncode == 0, first.stderr[-3000:]
    shown = first.stderr
    for n in range(1, 5):
        assert f"point {n} of 4:" in shown
    assert "best so far, Offline:" in shown
    state = json.loads(first.stdout)
    assert [p["status"] for p in state["points"]] == ["done"] * 4
    folder = tmp_path / "results" / "sweeps" / "profile"
    for point in state["points"]:
        # each point: a replayable profile and a finished results folder of its own
        point_dir = folder / point["key"]
        results = folder / point["results"]
        assert (point_dir / "profile.yaml").is_file() and results.parent == point_dir
        summary = json.loads((results / "summary.json").read_text())
        assert summary["complete"] is True
        config = json.loads((results / "runs" / "Offline-performance" / "RUN.json").read_text())
        assert config["backend"]["batch_size"] == point["settings"]["backend.batch_size"]
        assert (
            config["backend"]["intra_op_threads"] == point["settings"]["backend.intra_op_threads"]
        )
    # the history has every point's run, each naming the sweep
    listed = subprocess.run(
        python_cli("history", "--json"),
        capture_output=True,
        text=True,
        check=True,
        env=_env(tmp_path),
    )
    entries = json.loads(listed.stdout)
    assert len(entries) == 4
    assert {e["sweep"] for e in entries} == {str(folder)}
    # compare shows the sweep's table and its plot of the metric against the swept batch size
    compared = subprocess.run(
        python_cli("compare", str(folder)),
        capture_output=True,
        text=True,
        check=False,
        env=_env(tmp_path),
    )
    assert compared.returncode == 0, compared.stderr[-3000:]
    assert_no_traceback(compared.stdout + compared.stderr)
    assert "Offline: 4 runs compared" in compared.stdout
    for label in ("batch=1 threads=1", "batch=1 threads=2", "batch=8 threads=1"):
        assert label in compared.stdout
    assert "Offline: samples/s by batch" in compared.stdout
    assert "Offline: latency histograms" in compared.stdout
    second = _sweep(tmp_path, profile)
    assert second.returncode == 0, second.stdout[-3000:]
    assert "4 of 4 points finished before: reused" in second.stdout
    assert "0 run, 4 reused" in second.stdout
    assert "Timing the model" not in second.stdout  # nothing ran
    assert set(_state(folder).values()) == {"reused"}


def test_a_cancelled_sweep_resumes_where_it_stopped(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path, modes=["performance"])
    folder = tmp_path / "results" / "sweeps" / "profile"
    proc = subprocess.Popen(
        python_cli("sweep", str(profile), *SETS),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(tmp_path),
    )
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 600
    for line in proc.stdout:
        seen.append(line)
        # the second point's run is starting (its plan's note is shown): cancel it (Ctrl-C)
        if any("point 2 of 4" in s for s in seen) and "Test execution" in line:
            time.sleep(1.0)
            break
        assert time.monotonic() < deadline, "".join(seen)[-3000:]
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    text = "".join(seen) + rest
    assert proc.returncode == 130, text[-3000:]
    assert_no_traceback(text)
    assert "run the same command to resume" in text
    statuses = list(_state(folder).values())
    assert statuses[0] == "done" and statuses[1] in ("cancelled", "pending"), statuses
    assert statuses[2:] == ["pending", "pending"]

    resumed = _sweep(tmp_path, profile)
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    assert "1 of 4 points finished before: reused" in resumed.stdout
    assert "3 run, 1 reused" in resumed.stdout
    assert list(_state(folder).values()) == ["reused", "done", "done", "done"]
