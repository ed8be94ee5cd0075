"""``mlperf-tui tune``, ``backend: auto`` and ``find-performance`` on the tiny stand-in, through
the real command line, harness children and LoadGen."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.faults import assert_no_traceback, assert_user_error, python_cli, tiny_profile


def _cli(*args: str, cache: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_cli(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ, MLPERF_TUI_CACHE=str(cache)),
    )


def test_tune_shows_every_point_and_writes_the_choice_keeping_the_file(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path, scenarios=["SingleStream", "Offline"])
    before = profile.read_text()
    done = _cli("tune", str(profile), "--seconds", "0.05", "--json", cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert_no_traceback(done.stderr)
    shown = [ln for ln in done.stderr.splitlines() if ln.strip().startswith("[")]
    answer = json.loads(done.stdout)
    assert len(shown) == len(answer["points"]) > 3
    assert shown[0].strip().startswith(f"[1/{len(shown)}] batch ")
    assert "chosen: Offline:" in done.stderr and "chosen: SingleStream:" in done.stderr
    # the profile now holds the choice; the file as it was is kept beside it
    written = yaml.safe_load(profile.read_text())["backend"]
    offline = answer["chosen"]["Offline"]
    assert written["batch_size"] == offline["batch_size"]
    assert written.get("streams", 1) == offline["streams"]  # 1, the default, is left out
    assert written["intra_op_threads"] == offline["intra_op_threads"]
    assert (tmp_path / "profile.yaml.bak").read_text() == before


def test_tune_refuses_a_profile_without_a_backend(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path, harness="import", import_from=str(tmp_path), assets=None)
    done = _cli("tune", str(profile), cache=tmp_path / "cache")
    assert_user_error(done.stderr, done.returncode, 2, "no backend here to tune", "builtin")


@pytest.mark.slow
def test_backend_auto_tunes_once_per_machine_and_model(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    profile = tiny_profile(tmp_path, backend="auto", modes=["performance"])

    def replay() -> str:
        done = _cli("run", str(profile), "--headless", cache=cache)
        # 1: the package's check finds the stand-ins and test execution (not submittable)
        assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
        assert_no_traceback(done.stderr)
        return (done.stdout + done.stderr).replace("\n", " ")

    first = replay()
    assert "Tuning the backend to this machine" in first
    assert "tuning 1/" in first
    kept = list((cache / "tuning").glob("*.json"))
    assert len(kept) == 1
    second = replay()
    assert "Tuning the backend" not in second
    assert f"({kept[0].name}): reused" in second
    # the runs ran with the tuned settings (RUN.json of the Offline runs)
    chosen = json.loads(kept[0].read_text())["chosen"]["Offline"]
    for run_json in (tmp_path / "results").glob("*/runs/Offline-performance/RUN.json"):
        backend = json.loads(run_json.read_text())["backend"]
        assert backend["batch_size"] == chosen["batch_size"]
        assert backend["streams"] == chosen["streams"]
        assert backend["intra_op_threads"] == chosen["intra_op_threads"]


@pytest.mark.slow
def test_find_performance_finds_a_valid_server_rate_and_writes_it(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path, scenarios=["Offline", "Server"], category="datacenter")
    done = _cli(
        "find-performance", str(profile), "--scenario", "Server", "--search-seconds", "2",
        "--confirm-seconds", "4", "--json", cache=tmp_path / "cache",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    runs = [ln for ln in done.stderr.splitlines() if "search run at" in ln]
    assert runs and any("VALID" in ln for ln in runs)
    assert "Server confirming run at" in done.stderr
    qps = json.loads(done.stdout)["Server"]
    assert yaml.safe_load(profile.read_text())["targets"]["Server"]["target_qps"] == qps


@pytest.mark.slow
def test_find_performance_sets_the_latency_and_offline_targets(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path, scenarios=["SingleStream", "Offline"])
    done = _cli(
        "find-performance", str(profile), "--search-seconds", "1", "--json",
        cache=tmp_path / "cache",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert_no_traceback(done.stderr)
    found = json.loads(done.stdout)
    assert found["SingleStream"] > 0 and found["Offline"] > 0
    targets = yaml.safe_load(profile.read_text())["targets"]
    assert targets["SingleStream"]["target_latency_ms"] == found["SingleStream"]
    assert targets["Offline"]["target_qps"] == found["Offline"]
    assert (tmp_path / "profile.yaml.bak").is_file()
