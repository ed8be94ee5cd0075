"""`mlperf-tui run --headless` refuses a run that does not fit, before anything is written.

A real, too-small filesystem: a tmpfs of a few MiB mounted in a private mount namespace
(``unshare -rm``, which needs no privilege where user namespaces are allowed) holds the cache
or the results folder of a child ``mlperf-tui run --headless --json``. The child lists what
the tmpfs holds after the refusal, since the mount goes away with the namespace.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlperf_tui.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]

#: mount a tmpfs of $1 on $2, run the rest of the arguments with stdout into $4, then list
#: what the tmpfs holds into $3
_SCRIPT = (
    'size="$1"; dir="$2"; listing="$3"; out="$4"; shift 4; '
    'mount -t tmpfs -o "size=$size" none "$dir" || exit 97; '
    '"$@" > "$out"; rc=$?; find "$dir" -mindepth 1 > "$listing"; exit $rc'
)


@functools.cache
def _cannot_mount() -> str | None:
    """Why a test cannot mount a tmpfs here, or None when it can."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "no unshare(1) on this machine, so no private mount namespace for a tmpfs"
    with tempfile.TemporaryDirectory() as where:
        try:
            proc = subprocess.run(
                [unshare, "-rm", "sh", "-c", f'mount -t tmpfs -o size=1m none "{where}"'],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unshare -rm could not run: {exc}"
    if proc.returncode != 0:
        why = (proc.stderr or proc.stdout).strip() or f"exit code {proc.returncode}"
        return f"this machine does not let the test user mount a tmpfs (unshare -rm): {why}"
    return None


@pytest.fixture
def tmpfs_ok() -> None:
    reason = _cannot_mount()
    if reason:
        pytest.skip(reason)


def _run_on_tmpfs(
    tmp_path: Path, size: str, profile: Path, env: dict[str, str], extra: list[str] | None = None
) -> tuple[int, dict[str, Any], str, list[str]]:
    """Run `mlperf-tui run PROFILE --headless --json` with a tmpfs of ``size`` on tmp_path/fs."""
    mount = tmp_path / "fs"
    mount.mkdir()
    listing = tmp_path / "listing.txt"
    out = tmp_path / "outcome.json"
    command = [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--headless", "--json"]
    proc = subprocess.run(
        [
            "unshare", "-rm", "sh", "-c", _SCRIPT, "sh",
            size, str(mount), str(listing), str(out), *command, *(extra or []),
        ],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode != 97, f"the tmpfs could not be mounted: {proc.stderr}"
    doc = json.loads(out.read_text()) if out.read_text().strip() else {}
    held = [line for line in listing.read_text().splitlines() if line.strip()]
    return proc.returncode, doc, proc.stderr, held


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
