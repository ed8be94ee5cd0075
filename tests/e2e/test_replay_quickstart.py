"""The replay script end to end: `mlperf-tui run PROFILE --dry-run > replay.sh`, run on its own
in a clean shell (`env -i`, no virtual environment active), reproduces the quickstart's runs and
package: the same runs, the same package tree, the same validation. Also ``--debug`` on a run
that fails, and ``mlperf-tui record`` on a runner's own closed-division folder.

All slow (real LoadGen runs): .venv/bin/python -m pytest -m slow tests/e2e/test_replay_quickstart.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlperf_tui.cli import main
from mlperf_tui.validate import validate
from tests.fixtures.faults import tiny_profile

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _runs(results: Path) -> list[tuple[str, str, str | None]]:
    summary = json.loads((results / "summary.json").read_text())
    return [(r["run_id"], r["status"], r["metric_name"]) for r in summary["runs"]]


def _tree(package: Path) -> list[str]:
    return sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())


def _findings(package: Path) -> list[tuple[str, str]]:
    return sorted((f.id, f.severity) for f in validate(package))


def _readme(package: Path) -> str:
    return next(package.glob("*/*/src/README.md")).read_text()


@pytest.mark.timeout(1500)
def test_the_dry_run_script_reproduces_the_quickstart_in_a_clean_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # a cache and an OUT with a space and a dollar sign: the script quotes every path
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache $dir"))
    data = yaml.safe_load((ROOT / "profiles" / "quickstart.yaml").read_text())
    data["output"] = str(tmp_path / "results")
    profile = tmp_path / "quickstart.yaml"
    profile.write_text(yaml.safe_dump(data))

    # 1. the quickstart, run by mlperf-tui's runner
    code = main(["run", str(profile), "--headless", "--json", "--out", str(tmp_path / "pkg")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    results = Path(doc["results_folder"])
    package = tmp_path / "pkg"
    kept = (results / "replay.sh").read_text()
    assert os.access(results / "replay.sh", os.X_OK)
    # the package keeps the script and its README quotes it
    assert (next(package.glob("*/*/src/replay.sh"))).read_text() == kept
    readme = _readme(package)
    assert "## How these results were produced" in readme
    assert f"```bash\n{kept.rstrip()}\n```" in readme

    # 2. the dry run: the script on stdout and nothing else; no results folder written
    dry = subprocess.run(
        [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert dry.stdout.startswith("#!/usr/bin/env bash\n")
    assert "Plan" in dry.stderr
    assert [p.name for p in (tmp_path / "results").iterdir()] == [results.name]
    script = tmp_path / "replay.sh"
    script.write_text(dry.stdout)

    # 3. the script in a clean shell: no virtual environment, no MLPERF_TUI_CACHE
    out = tmp_path / "replay $out dir"
    replay = subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}", "bash", str(script), str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    output = replay.stdout + replay.stderr
    assert "Traceback" not in output, output[-4000:]
    # check's verdict: a test-execution package from stand-ins always has errors
    assert replay.returncode == 1, output[-4000:]
    assert "mlperf-tui: FAILED - 2 error(s)" in replay.stdout

    assert _runs(out) == _runs(results)
    assert all(status == "ok" for _, status, _ in _runs(out))
    assert _tree(out / "package") == _tree(package)
    assert _findings(out / "package") == _findings(package)
    # the replay's folder keeps the script that made it, and its package quotes it
    assert (out / "replay.sh").read_text() == dry.stdout
    assert f"```bash\n{dry.stdout.rstrip()}\n```" in _readme(out / "package")


#: makes every `python -m harness run` child fail (the model timing, `harness calibrate`,
#: still works), after 60 lines on stderr
_FAILING_RUN = """import os, sys
if sys.argv[1:2] == ["run"]:
    for i in range(60):
        print(f"simulated failure, line {i}", file=sys.stderr)
    sys.stderr.flush()
    os._exit(3)
"""


def _tiny_profile(tmp_path: Path, **changes: Any) -> Path:
    """The tiny stand-in's profile of the fault tests, SingleStream only."""
    changes.setdefault("scenarios", ["SingleStream"])
    return tiny_profile(tmp_path, "tiny.yaml", **changes)


def test_debug_shows_a_failed_runs_command_environment_and_log_tail(
    tiny_assets: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(_FAILING_RUN)
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tiny_assets.cache_dir.parent))
    monkeypatch.setenv("PYTHONPATH", str(inject))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SOME_TOKEN", "do-not-show")
    profile = _tiny_profile(tmp_path)
    code = main(["--debug", "run", str(profile), "--headless"])
    shown = capsys.readouterr().out
    assert code == 4
    for run in ("SingleStream-performance", "SingleStream-accuracy"):
        assert f"Debug: {run}: failed (exit code 3)" in shown
        folder = next((tmp_path / "results").iterdir()) / "runs" / run
        assert f"command: env -C {folder} PYTHONUNBUFFERED=1" in shown
        assert f"-m harness run --config {folder}/RUN.json" in shown
    assert f"env (inherited): PYTHONPATH={inject}" in shown
    assert "env (inherited): PATH=" in shown
    assert "do-not-show" not in shown
    # the end of the log: its last 40 lines, not the first 20
    assert "| simulated failure, line 59" in shown
    assert "| simulated failure, line 19\n" not in shown
    assert "(the last 40 of 60 lines)" in shown
    # without --debug: no command, no log
    code = main(["run", str(profile), "--headless"])
    assert code == 4
    assert "command: env -C" not in capsys.readouterr().out


def test_record_writes_again_what_the_runner_wrote_for_a_closed_division_folder(
    tiny_assets: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlperf_tui import run as runner
    from mlperf_tui.profile import load_profile

    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tiny_assets.cache_dir.parent))
    profile_path = _tiny_profile(tmp_path, division="closed", infer_from_singlestream=True)
    profile = load_profile(profile_path)
    quick = runner.TestSettings(min_duration_ms=200, target_s=0.6)
    prepared = runner.prepare(profile, cache_dir=tiny_assets.cache_dir.parent, short=quick)
    results = runner.execute(prepared.plan, profile, prepared.resolved, system={})
    assert results.complete
    folder = results.folder

    def recorded() -> tuple[dict[str, Any], dict[str, Any]]:
        summary = json.loads((folder / "summary.json").read_text())
        runs = {p.parent.name: json.loads(p.read_text()) for p in folder.glob("runs/*/result.json")}
        for doc in [*summary["runs"], *runs.values()]:
            doc.pop("estimate_s")  # plan.json keeps it to a tenth of a second
        return summary, runs

    before = recorded()
    assert main(["record", str(folder)]) == 2  # recorded already: refused without --force
    assert "add --force" in capsys.readouterr().err
    assert main(["record", str(folder), "--force"]) == 0
    assert recorded() == before
    test01 = before[1]["SingleStream-TEST01"]
    assert test01["compliance"]["accuracy_passed"] is True  # verified again, as the runner did
