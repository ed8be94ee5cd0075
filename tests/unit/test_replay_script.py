"""The replay script's text (mlperf_tui.run.script), on a small plan of our own: valid bash,
paths with spaces and ``$`` quoted, a non-empty OUT refused, a changed model refused with the
fix, and what it writes and starts is what the runner writes and starts.

The plan is built by hand (no model timing); the model and data set are small files. No test
here runs LoadGen: the one that runs the whole script replaces the Python of the harness
commands with a stand-in that records how it was started (tests/e2e/test_replay_quickstart.py
replays the quickstart for real).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.config import PARENT_PID_ENV
from mlperf_tui.profile import Profile, dump_profile
from mlperf_tui.results import RUNS, json_text
from mlperf_tui.rules.model import Mode, Scenario
from mlperf_tui.run.child import harness_command, run_config
from mlperf_tui.run.inputs import ResolvedAssets
from mlperf_tui.run.plan import PlannedRun
from mlperf_tui.run.script import failure_report, listing_digest, replay_script

#: a folder name with a space, a dollar sign and a quote: the shell must leave it alone
ODD = "odd $HOME 'dir"


def _profile(tmp: Path, **changes: Any) -> Profile:
    """The tiny stand-in's profile of the fault tests: SingleStream, 8 samples."""
    from mlperf_tui.profile import load_profile
    from tests.fixtures.faults import tiny_profile

    changes.setdefault("scenarios", ["SingleStream"])
    changes.setdefault(
        "assets",
        {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 8},
        },
    )
    tmp.mkdir(parents=True, exist_ok=True)
    return load_profile(tiny_profile(tmp, "tiny-profile.yaml", **changes))


def _run(mode: Mode, test: str | None = None) -> PlannedRun:
    return PlannedRun(
        run_id=f"SingleStream-{test or mode.value}",
        benchmark="resnet50",
        loadgen_model="resnet50",
        task="imagenet_classification",
        scenario=Scenario.SINGLE_STREAM,
        mode=mode,
        compliance_test=test,
        settings={"min_query_count": 16, "min_duration": 100},
        estimate_s=1.5,
        notes=("a note with a $dollar and a `backtick`",),
        expected_samples=16,
    )


@pytest.fixture
def assets(tmp_path: Path) -> ResolvedAssets:
    root = tmp_path / ODD
    (root / "data").mkdir(parents=True)
    model = root / "model file.onnx"
    model.write_bytes(b"not really a model")
    for i in range(3):
        (root / "data" / f"img {i}.JPEG").write_bytes(b"x" * (i + 1))
    (root / "data" / "val_map.txt").write_text("img 0.JPEG 1\n")
    return ResolvedAssets(model, root / "data", None, 3, root / "preprocessed", True)


def _script(tmp_path: Path, assets: ResolvedAssets, **kw: Any) -> Path:
    profile = kw.pop("profile", None) or _profile(tmp_path)
    plan = kw.pop("plan", None) or [_run(Mode.PERFORMANCE), _run(Mode.ACCURACY)]
    text = replay_script(
        plan,
        profile,
        assets,
        {"system_name": {"value": "box"}},
        profile_path=tmp_path / "p.yaml",
        **kw,
    )
    path = tmp_path / "replay.sh"
    path.write_text(text, encoding="utf-8")
    return path


def _bash(
    script: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args],
        capture_output=True,
        text=True,
        cwd=script.parent,
        env=env or {"PATH": "/usr/bin:/bin", "HOME": str(script.parent)},
        timeout=60,
        check=False,
    )


def test_the_script_is_valid_bash_and_says_what_it_is(
    tmp_path: Path, assets: ResolvedAssets
) -> None:
    script = _script(tmp_path, assets)
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n# replay.sh: the exact commands")
    head = text.split("set -euo pipefail")[0]
    for words in ("bash replay.sh [OUT]", "not the wizard nor mlperf-tui's runner", "mlperf-tui 0"):
        assert words in head
    assert "eval" not in text.split()
    assert str(tmp_path / "p.yaml") in head


def test_a_compliance_run_gets_its_audit_config(tmp_path: Path, assets: ResolvedAssets) -> None:
    plan = [_run(Mode.PERFORMANCE), _run(Mode.ACCURACY), _run(Mode.PERFORMANCE, "TEST04")]
    profile = _profile(tmp_path, division="closed", infer_from_singlestream=True)
    text = _script(tmp_path, assets, profile=profile, plan=plan).read_text()
    assert text.count("audit.config <<'") == 1
    assert "run 3 of 3: SingleStream-TEST04" in text


def test_a_non_empty_out_is_refused_and_left_alone(tmp_path: Path, assets: ResolvedAssets) -> None:
    script = _script(tmp_path, assets)
    out = tmp_path / ODD / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    done = _bash(script, str(out))
    assert done.returncode == 3
    assert f"replay: {out} is not empty" in done.stderr
    assert "fix: give a new or empty folder" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


def test_a_changed_model_stops_the_script_with_the_fix(
    tmp_path: Path, assets: ResolvedAssets
) -> None:
    script = _script(tmp_path, assets)
    assets.model_path.write_bytes(b"another model")
    out = tmp_path / "out"
    done = _bash(script, str(out))
    assert done.returncode == 3
    assert f"the model {assets.model_path} has changed since this script was written" in done.stderr
    assert "fix: regenerate the stand-ins" in done.stderr
    assert f"mlperf-tui run {tmp_path / 'p.yaml'} --dry-run" in done.stderr
    assert not out.exists()  # nothing was written


def test_a_missing_model_is_said_before_anything_is_written(
    tmp_path: Path, assets: ResolvedAssets
) -> None:
    script = _script(tmp_path, assets)
    assets.model_path.unlink()
    done = _bash(script, str(tmp_path / "out"))
    assert done.returncode == 3
    assert f"the model {assets.model_path} is missing" in done.stderr


def test_the_listing_digest_sees_a_changed_size_and_a_new_file(assets: ResolvedAssets) -> None:
    before = listing_digest(assets.dataset_path)
    assert listing_digest(assets.dataset_path) == before
    (assets.dataset_path / "img 0.JPEG").write_bytes(b"yy")
    changed = listing_digest(assets.dataset_path)
    assert changed != before
    (assets.dataset_path / "extra").write_bytes(b"")
    assert listing_digest(assets.dataset_path) not in (before, changed)


#: stands in for the Python of the harness commands: records how it was started, says it
#: finished; every other command goes to the real Python
_FAKE_PYTHON = """#!/bin/bash
if [[ "$1" == "-m" && "$2" == "harness" ]]; then
  {
    printf 'cwd=%s\\n' "$PWD"
    printf 'ppid=%s\\n' "$PPID"
    printf 'env %s=%s\\n' PYTHONUNBUFFERED "${PYTHONUNBUFFERED:-}" HARNESS_PARENT_PID "${HARNESS_PARENT_PID:-}"
    printf 'arg=%s\\n' "$@"
  } > started.txt
  echo '{"v": 1, "event": "result", "t": 0, "status": "ok", "message": "done"}'
  echo "stand-in harness" >&2
  exit 0
fi
exec REAL "$@"
"""

_FAKE_TOOL = """#!/bin/bash
printf '%s\\n' "$*" >> "LOG"
"""


@pytest.mark.slow  # about a second: four Pythons start (the checks, RUN.json)
def test_the_script_writes_and_starts_what_the_runner_does(
    tmp_path: Path, assets: ResolvedAssets
) -> None:
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text(_FAKE_PYTHON.replace("REAL", sys.executable))
    tool = tmp_path / "bin" / "mlperf-tui"
    tool.write_text(_FAKE_TOOL.replace("LOG", str(tmp_path / "tool.log")))
    for f in (fake, tool):
        f.chmod(0o755)
    profile = _profile(tmp_path)
    plan = [_run(Mode.PERFORMANCE), _run(Mode.ACCURACY)]
    script = _script(tmp_path, assets, profile=profile, plan=plan, python=str(fake))
    out = tmp_path / ODD / "out"
    done = _bash(script, str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "replay.sh").read_text() == script.read_text()
    assert (out / "profile.yaml").read_text() == dump_profile(profile)
    assert (out / "plan.json").read_text() == json_text([r.to_dict() for r in plan])
    assert json.loads((out / "system.json").read_text()) == {"system_name": {"value": "box"}}
    for run in plan:
        folder = out / RUNS / run.run_id
        assert (folder / "user.conf").read_text() == run.user_conf()
        # RUN.json is the runner's, written by the same codec, with the paths in OUT
        expected = run_config(run, profile, assets, folder, task=run.task)
        assert json.loads((folder / "RUN.json").read_text()) == expected.to_dict()
        # the child started as the runner starts it: module, arguments, folder, environment
        started = (folder / "started.txt").read_text().splitlines()
        command = harness_command(folder, python=str(fake))
        assert [ln[4:] for ln in started if ln.startswith("arg=")] == list(command.argv[1:])
        assert f"cwd={folder}" in started
        ppid = next(ln[5:] for ln in started if ln.startswith("ppid="))
        assert f"env {PARENT_PID_ENV}={ppid}" in started  # the script is the parent it names
        assert "env PYTHONUNBUFFERED=1" in started
        assert json.loads((folder / "events.jsonl").read_text())["status"] == "ok"
        assert (folder / "harness.stderr.log").read_text() == "stand-in harness\n"
        assert json.loads((folder / "harness.exit.json").read_text())["exit_code"] == 0
    # then mlperf-tui's own commands: the record, the package, its validation
    assert (tmp_path / "tool.log").read_text().splitlines() == [
        f"record {out}",
        f"package {out} --out {out}/package",
        f"check {out}/package",
    ]


@pytest.mark.slow  # about a second
def test_a_setup_failure_stops_the_later_runs_and_shows_the_log(
    tmp_path: Path, assets: ResolvedAssets
) -> None:
    fake = tmp_path / "python"
    fake.write_text(
        _FAKE_PYTHON.replace("exit 0\nfi", "seq 1 50 >&2; exit 2\nfi").replace(
            "REAL", sys.executable
        )
    )
    fake.chmod(0o755)
    tool = tmp_path / "mlperf-tui"
    tool.write_text(_FAKE_TOOL.replace("LOG", str(tmp_path / "tool.log")))
    tool.chmod(0o755)
    script = _script(tmp_path, assets, python=str(fake), entry_point=str(tool))
    out = tmp_path / "out"
    done = _bash(script, str(out))
    assert "replay: SingleStream-performance failed (exit code 2)" in done.stderr
    # the log holds "stand-in harness" and 1 to 50: its last 40 lines follow
    tail = done.stderr.split("the end of its harness.stderr.log:\n")[1].splitlines()
    assert tail == [str(i) for i in range(11, 51)]
    assert "SingleStream-accuracy not started: SingleStream-performance could not set up" in (
        done.stdout
    )
    assert not (out / RUNS / "SingleStream-accuracy").exists()
    assert (tmp_path / "tool.log").read_text().splitlines()[0] == f"record {out}"


def test_failure_report_shows_the_command_the_env_and_the_log_tail_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlperf_tui.results import RunResult

    folder = tmp_path / ODD
    folder.mkdir()
    (folder / "harness.stderr.log").write_text("".join(f"line {i}\n" for i in range(60)))
    monkeypatch.setenv("MY_API_KEY", "sk-secret")
    monkeypatch.setenv("VIRTUAL_ENV", "/venv")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    run = RunResult(
        "Offline-performance", "resnet50", "Offline", "performance", None, "failed", folder,
        exit_code=1, message="the harness exited with code 1",
    )  # fmt: skip
    lines = failure_report(run, (tmp_path / "plugins",))
    text = "\n".join(lines)
    command = next(ln for ln in lines if ln.startswith("  command: "))
    assert command.startswith(f"  command: env -C '{tmp_path}/odd $HOME '\"'\"'dir' ")
    assert f"-m harness run --config {shlex.quote(str(folder / 'RUN.json'))}" in command
    assert PARENT_PID_ENV not in command  # a command run by hand has another parent
    assert "  env (set by the runner): PYTHONUNBUFFERED=1" in lines
    assert f"  env (set by the runner): {PARENT_PID_ENV}={os.getpid()}" in lines
    assert any(ln.startswith("  env (set by the runner): PYTHONPATH=") for ln in lines)
    assert "  env (inherited): VIRTUAL_ENV=/venv" in lines
    assert "sk-secret" not in text and "MY_API_KEY" not in text
    assert "(the last 40 of 60 lines)" in text
    assert "    | line 59" in lines and "    | line 19" not in lines


def test_record_marks_runs_that_never_started_and_refuses_a_recorded_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlperf_tui.cli import main
    from mlperf_tui.run.record import NOT_RUN

    folder = tmp_path / "out"
    (folder / RUNS).mkdir(parents=True)
    plan = [_run(Mode.PERFORMANCE), _run(Mode.ACCURACY)]
    (folder / "profile.yaml").write_text(dump_profile(_profile(tmp_path)))
    (folder / "plan.json").write_text(json_text([r.to_dict() for r in plan]))
    # the script stopped before its first run: nothing ran, nothing is packaged
    assert main(["record", str(folder)]) == 4
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["complete"] is False
    assert [(r["status"], r["message"]) for r in summary["runs"]] == [("skipped", NOT_RUN)] * 2
    capsys.readouterr()
    assert main(["record", str(folder)]) == 2
    assert "add --force" in capsys.readouterr().err
    assert main(["record", str(tmp_path)]) == 3  # not a results folder
