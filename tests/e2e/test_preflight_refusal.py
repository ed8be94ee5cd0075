"""`mlperf-tui run --headless` refuses a run that does not fit, before anything is written.

A real, too-small filesystem: a tmpfs of a few MiB mounted in a private mount namespace
(``unshare -rm``: tests/fixtures/faults.py) holds the cache or the results folder of a child
``mlperf-tui run --headless --json``, and what the tmpfs holds after the refusal is listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from faults import ROOT, cannot_mount, on_tmpfs

from mlperf_tui.errors import ExitCode


@pytest.fixture
def tmpfs_ok() -> None:
    reason = cannot_mount()
    if reason:
        pytest.skip(reason)


def _run_on_tmpfs(
    tmp_path: Path, size: str, profile: Path, env: dict[str, str], extra: list[str] | None = None
) -> tuple[int, dict[str, Any], str, list[str]]:
    """Run `mlperf-tui run PROFILE --headless --json` with a tmpfs of ``size`` on tmp_path/fs."""
    mount = tmp_path / "fs"
    command = [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--headless", "--json"]
    outcome = on_tmpfs(
        mount, [*command, *(extra or [])], size=size, env=env, timeout=120, cwd=tmp_path
    )
    doc = json.loads(outcome.stdout) if outcome.stdout.strip() else {}
    held = [str(mount / name) for name in outcome.left]
    return outcome.rc, doc, outcome.stderr, held


def _quickstart(tmp_path: Path, output: Path) -> Path:
    data = yaml.safe_load((ROOT / "profiles" / "quickstart.yaml").read_text())
    data["output"] = str(output)
    profile = tmp_path / "quickstart.yaml"
    profile.write_text(yaml.safe_dump(data))
    return profile


def _env(cache: Path) -> dict[str, str]:
    import os

    return dict(os.environ, MLPERF_TUI_CACHE=str(cache), COLUMNS="80")


@pytest.mark.usefixtures("tmpfs_ok")
def test_a_cache_on_a_too_small_filesystem_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results"
    profile = _quickstart(tmp_path, results)
    # the quickstart needs ~100 MB of stand-in model and ~170 MB of samples in the cache
    code, doc, err, held = _run_on_tmpfs(tmp_path, "128m", profile, _env(tmp_path / "fs"))
    assert code == int(ExitCode.ENVIRONMENT), err[-3000:]
    assert doc["exit_code"] == int(ExitCode.ENVIRONMENT)
    assert doc["runs"] == [] and doc["package"] is None
    # the shortage, on the tmpfs, with the fix
    cache_item = next(i for i in doc["preflight"]["items"] if "cache" in i["folders"])
    assert cache_item["status"] == "shortage"
    assert cache_item["available"] <= 128 * 1024**2 < cache_item["needed"]
    assert "MLPERF_TUI_CACHE=" in doc["error"]["fix"]
    # beside the model, room for about a hundred of the 1,024 samples (~170 KB each)
    fits = int(doc["error"]["fix"].split("count (about ")[1].split(" ")[0].replace(",", ""))
    assert 50 < fits < 1024
    assert "not enough room" in doc["error"]["message"]
    # said on the console too (the live display is stderr under --json), fitting 80 columns
    assert "Pre-flight" in err and "SHORT" in err and "fix (disk:" in err
    assert "Timing the model" not in err and "Plan" not in err
    assert max(len(line) for line in err.splitlines()) <= 80
    # and nothing was generated, downloaded, preprocessed or run
    assert held == []
    assert not results.exists()


@pytest.mark.usefixtures("tmpfs_ok")
def test_a_results_folder_on_a_too_small_filesystem_is_refused(tmp_path: Path) -> None:
    mount = tmp_path / "fs"
    profile = _quickstart(tmp_path, mount / "results")
    cache = tmp_path / "cache"
    code, doc, err, held = _run_on_tmpfs(tmp_path, "1m", profile, _env(cache))
    assert code == int(ExitCode.ENVIRONMENT), err[-3000:]
    items = doc["preflight"]["items"]
    results_item = next(i for i in items if "results" in i["folders"])
    cache_item = next(i for i in items if "cache" in i["folders"])
    assert results_item is not cache_item  # two filesystems, two items
    assert results_item["status"] == "shortage"
    assert "output: in the profile" in results_item["fix"]
    assert held == []
    assert not cache.exists()


def test_the_json_outcome_carries_the_preflight(
    tiny_assets: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from mlperf_tui.cli import main

    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tiny_assets.cache_dir.parent))
    data = {
        "schema_version": 1,
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["Offline"],
        "modes": ["performance"],
        "execution": "test",
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": tiny_assets.count},
        },
        "submitter": "Quickstart",
        "system": {"status": "available", "cooling": "air", "host_memory_configuration": "-"},
        "output": str(tmp_path / "results"),
    }
    profile = tmp_path / "tiny.yaml"
    profile.write_text(yaml.safe_dump(data))
    code = main(["run", str(profile), "--headless", "--json", "--out", str(tmp_path / "pkg")])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    # it ran (without an accuracy run the package's validation finds an error: exit 1)
    assert code == doc["exit_code"] == int(ExitCode.CHECK_FAILED), captured.err[-3000:]
    assert doc["runs"][0]["status"] == "ok"
    checked = doc["preflight"]
    assert checked["ok"] is True
    assert {i["kind"] for i in checked["items"]} == {"disk", "memory", "time"}
    parts = {p["what"]: p for i in checked["items"] for p in i["parts"]}
    # the session's stand-ins are in the cache already: they need nothing
    assert parts["stand-in model tiny"]["bytes"] == 0
    assert parts[f"stand-in data set, {tiny_assets.count} samples"]["bytes"] == 0
    # --out on the same filesystem as the results: one item, three roles
    (disk,) = [i for i in checked["items"] if i["kind"] == "disk"]
    assert set(disk["folders"]) == {"cache", "results", "package"}
    # the pre-flight table came before the plan
    assert captured.err.index("Pre-flight") < captured.err.index("Plan")
