"""Two commands at once on the same profile, cache and output: no interleaving, no lost run.

Two ``run --headless`` of one profile at the same time (the second started while the first
begins its runs) each write their own results folder and package, the second says that another
run is in progress beside it, and the cache holds one complete copy of each stand-in. Two ``package`` commands given the same ``--out``: the first to finish keeps
its package, the other refuses with the reason and replaces nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from faults import assert_no_traceback, fault_env, python_cli, tiny_profile, wait_for_mark

from mlperf_tui.errors import ExitCode


def _start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, env=env, cwd=cwd,
    )  # fmt: skip


@pytest.mark.slow  # two whole replays side by side: 15 s
def test_two_runs_of_one_profile_at_once_keep_both(tmp_path: Path) -> None:
    profile = tiny_profile(tmp_path)
    env = {**os.environ, "MLPERF_TUI_CACHE": str(tmp_path / "cache"), "COLUMNS": "200"}
    mark = tmp_path / "first.mark"
    # the first run holds still as it starts its first LoadGen run, until the second has
    # generated, timed and planned the same profile with the same cache and output
    first_env = {**env, **fault_env(r"runs/Offline-performance/user\.conf$", mark, pause_s=8)}
    first = _start(python_cli("run", str(profile), "--headless", "--json"), first_env, tmp_path)
    wait_for_mark(mark, first)
    second = _start(python_cli("run", str(profile), "--headless", "--json"), env, tmp_path)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    for proc, (_, err) in zip((first, second), outs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert_no_traceback(err)
    docs = [json.loads(out) for out, _ in outs]
    folders = {Path(d["results_folder"]) for d in docs}
    assert len(folders) == 2  # one each, never a shared one
    for doc in docs:
        assert doc["complete"] is True
        assert [r["status"] for r in doc["runs"]] == ["ok", "ok"]
        assert doc["validation"]["tree_complete"] is True
        assert Path(doc["package"]).is_dir()
        assert Path(doc["package"]).parent == Path(doc["results_folder"])
    # the second knew the first was running, and said what that means
    assert "Another run is in progress here" in outs[1][1], outs[1][1][-3000:]
    # each stand-in once, complete, no temporary files; no run marks left behind
    models = sorted(p.name for p in (tmp_path / "cache" / "models").iterdir())
    assert [Path(m).suffix for m in models] == [".onnx", ".sha256"], models  # and its record
    datasets = sorted(p.name for p in (tmp_path / "cache" / "datasets").iterdir())
    assert len(datasets) == 1 and not datasets[0].startswith("."), datasets
    assert sorted(p.name for p in (tmp_path / "results").glob(".*")) == []


def test_two_packages_into_one_folder_at_once_keep_the_first(
    good: dict[str, Path], tmp_path: Path
) -> None:
    import package_fixtures

    results = package_fixtures.copy_tree(good["test_results"], tmp_path / "results")
    out = tmp_path / "pkg"
    mark = tmp_path / "slow.mark"
    # the first build pauses inside its staging folder; the second builds and finishes
    slow_env = {**os.environ, **fault_env(r"/\.pkg\.building-[^/]*/", mark, pause_s=3)}
    command = python_cli("package", str(results), "--out", str(out), "--tar")
    slow = _start(command, slow_env, tmp_path)
    wait_for_mark(mark, slow)
    fast = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, timeout=240, check=False
    )
    assert fast.returncode == 0, fast.stderr[-3000:]
    built = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    archive = (tmp_path / "pkg.tar.gz").read_bytes()
    _, err = slow.communicate(timeout=240)
    # the slower build refuses at the end: the other one's package is kept as it was
    assert slow.returncode == int(ExitCode.BAD_INPUT), err[-3000:]
    assert "was written by another build while this one ran" in err, err[-3000:]
    assert_no_traceback(err)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == built
    assert (tmp_path / "pkg.tar.gz").read_bytes() == archive
    assert sorted(p.name for p in tmp_path.glob(".pkg*")) == []
