"""The runner killed (SIGKILL) or cancelled (SIGINT, SIGTERM) in every phase, and the harness
child killed alone.

Each case starts the real command (``mlperf-tui run PROFILE --headless`` on the tiny stand-in,
or ``mlperf-tui package --tar``) in its own session, holds it in the phase under test and
signals it there. A phase is reached without guessing at timings: the fault hook
(tests/faults/inject/sitecustomize.py) pauses the process that opens the phase's first file
(the synthetic model's temporary file, the timing child's RUN.json, the accuracy log being
scored, TEST04's verdict, the package's staging folder, the temporary archive); a LoadGen run
is caught while it reports progress. Then each case checks:

- the exit code: 130 for SIGINT and SIGTERM, with the cancel message and no traceback;
- no harness or timing child outlives the runner (the kernel stops them when it is killed);
- LoadGen's logs are complete for every run that finished before the signal;
- nothing half-written: no package, staging folder, archive or cache entry that is incomplete
  (a SIGKILL may leave a hidden staging folder; the next build removes it);
- ``mlperf-tui package`` of the partial results refuses, naming the runs that did not finish;
- the same command run again afterwards completes.

Every phase with every signal runs in the ``slow`` set (10 to 40 seconds a case); ``make test``
runs each signal once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from faults import assert_no_traceback, fault_env, python_cli, tiny_profile, wait_for_mark

from mlperf_tui.errors import ExitCode

SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


@dataclass(frozen=True)
class Phase:
    """How to reach one phase, and what a run interrupted there has finished."""

    name: str
    #: the fault hook's pattern and open mode; None: wait for ``ready`` instead
    at: str | None
    mode: str = "w"
    #: the profile's changes from the tiny one
    profile: dict[str, Any] = field(default_factory=dict)
    #: the command is `package RESULTS --out OUT --tar` on a finished results folder
    packaging_only: bool = False
    #: runs that finished before the phase (their logs must be complete)
    finished: tuple[str, ...] = ()
    #: runs whose folder exists when the signal comes
    started: tuple[str, ...] = ()
    #: the fault fires at the nth open that matches (2: the write after the file's creation)
    nth: int = 1
    #: how long the fault holds the process: a phase the runner's worker thread runs cannot
    #: be interrupted midway; a cancel there stops the runs once the step in hand is done
    pause_s: float = 120


#: an Offline run of about a minute: long enough to be signalled while LoadGen runs
_LONG_OFFLINE = {"Offline": {"target_qps": 1.0e6}}

PHASES = {
    p.name: p
    for p in (
        Phase("assets", r"models/\.synthetic-tiny-.*\.tmp$", nth=2),
        Phase("calibration", r"mlperf-tui-calibrate-[^/]*/RUN\.json$", mode="r"),
        Phase(
            "run",
            None,
            profile={"scenarios": ["SingleStream", "Offline"], "targets": _LONG_OFFLINE},
            finished=("SingleStream-performance", "SingleStream-accuracy"),
            started=("Offline-performance",),
        ),
        Phase(
            "accuracy",
            r"runs/Offline-accuracy/mlperf_log_accuracy\.json$",
            mode="r",
            finished=("Offline-performance",),
            started=("Offline-accuracy",),
        ),
        Phase(
            "compliance",
            r"runs/SingleStream-TEST04/verify_performance\.txt$",
            profile={
                "division": "closed",
                "scenarios": ["SingleStream"],
                "infer_from_singlestream": True,
            },
            finished=("SingleStream-performance", "SingleStream-accuracy", "SingleStream-TEST01"),
            started=("SingleStream-TEST04",),
            pause_s=3,
        ),
        Phase(
            "packaging",
            r"/\.package\.building-[^/]*/",
            finished=("Offline-performance", "Offline-accuracy"),
        ),
        Phase(
            "tarball",
            r"/\.pkg\.tar\.gz\.[^/]*\.tmp$",
            packaging_only=True,
            finished=("Offline-performance", "Offline-accuracy"),
        ),
    )
}


def _pid_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def _descendants(pid: int) -> set[int]:
    """The processes under ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _wait_gone(pids: set[int], timeout: float = 30) -> set[int]:
    """The pids still alive after ``timeout`` seconds (a child stopped by the kernel when the
    runner dies ends in a few seconds; one left running would run its minute-long test on)."""
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if not _pid_gone(p)}
        if alive:
            time.sleep(0.1)
    return alive


def _wait_for_progress(
    s: Setup, run_id: str, proc: subprocess.Popen[str], timeout: float = 120
) -> None:
    """Until the run's harness reports completed queries: LoadGen is running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the runner ended (exit {proc.returncode}) before the run")
        events = next(iter(s.results.glob(f"*/runs/{run_id}/events.jsonl")), None)
        if events is not None:
            for line in events.read_text(encoding="utf-8").splitlines():
                with_data = line.strip().startswith("{") and '"progress"' in line
                if with_data and (json.loads(line).get("completed") or 0) > 0:
                    return
        time.sleep(0.1)
    raise AssertionError(f"no progress in {events} within {timeout:.0f} s")


@dataclass
class Setup:
    root: Path
    profile: Path
    env: dict[str, str]
    cache: Path
    #: the profile the run afterwards replays
    rerun: Path

    @property
    def results(self) -> Path:
        return self.root / "results"

    def folders(self) -> list[Path]:
        """The results folders (not the hidden mark of a run in progress, or of one killed)."""
        if not self.results.is_dir():
            return []
        return sorted(p for p in self.results.iterdir() if not p.name.startswith("."))


@pytest.fixture
def setup(tiny_assets: Any, tmp_path: Path) -> Callable[[Phase], Setup]:
    def make(phase: Phase) -> Setup:
        cache = tmp_path / "cache"
        if phase.name != "assets":
            # the stand-ins exist already (a fresh cache is for the assets phase)
            shutil.copytree(tiny_assets.model.parent.parent, cache)
        profile = tiny_profile(tmp_path, **phase.profile)
        # the run afterwards: the same profile without the targets that make a run long
        again = {k: v for k, v in phase.profile.items() if k != "targets"}
        rerun = tiny_profile(tmp_path, name="again.yaml", **again)
        env = {**os.environ, "MLPERF_TUI_CACHE": str(cache), "COLUMNS": "200"}
        return Setup(tmp_path, profile, env, cache, rerun)

    return make


def _finished_results(s: Setup) -> Path:
    proc = subprocess.run(
        python_cli("run", str(s.profile), "--headless"),
        capture_output=True, text=True, env=s.env, cwd=s.root, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (folder,) = s.folders()
    shutil.rmtree(folder / "package")
    return folder


def _interrupt(phase: Phase, s: Setup, sig: signal.Signals) -> tuple[int, str, set[int]]:
    """Start the phase's command, signal the runner in the phase; its exit code, its output,
    and the processes it had started."""
    mark = s.root / "fault.mark"
    env = dict(s.env)
    if phase.at is not None:
        env.update(fault_env(phase.at, mark, mode=phase.mode, pause_s=phase.pause_s, nth=phase.nth))
    if phase.packaging_only:
        command = python_cli("package", str(_finished_results(s)), "--out", str(s.root / "pkg"))
        command.append("--tar")
    else:
        command = python_cli("run", str(s.profile), "--headless")
    log = (s.root / "runner.log").open("w+", encoding="utf-8")
    proc = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        env=env, cwd=s.root, start_new_session=True,
    )  # fmt: skip
    try:
        if phase.at is not None:
            wait_for_mark(mark, proc)
        else:
            _wait_for_progress(s, phase.started[0], proc)
        started = _descendants(proc.pid)
        proc.send_signal(sig)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        output = log.read()
        log.close()
    return code, output, started


def _assert_logs_complete(run: Path) -> None:
    from harness.loadgen_logs import read_result_figures

    for name in ("mlperf_log_summary.txt", "mlperf_log_detail.txt"):
        assert (run / name).is_file(), (run, name)
    figures = read_result_figures(run)
    assert figures is not None, run
    if run.name.endswith("-accuracy"):
        # the accuracy log is whole: a JSON array LoadGen closed
        json.loads((run / "mlperf_log_accuracy.json").read_text(encoding="utf-8"))
    else:
        assert figures.get("result_valid") is not None, run


def _check_state(phase: Phase, s: Setup, sig: signal.Signals, code: int, output: str) -> None:
    if sig == signal.SIGKILL:
        assert code == -signal.SIGKILL, output[-3000:]
    else:
        assert code == int(ExitCode.CANCELLED), output[-3000:]
        assert_no_traceback(output)
        assert "ancel" in output, output[-3000:]  # "Cancelled ..." / "cancelled"
    if sig != signal.SIGKILL:
        # a cancelled writer removes its own temporaries (a killed one cannot: the next does)
        hidden = sorted(p.name for p in s.cache.glob("*/.*") if not p.name.startswith(".manifest"))
        assert hidden == [], hidden
    # nothing half-written in the cache: the stand-in is complete or absent
    model = next((s.cache / "models").glob("synthetic-tiny-*.onnx"), None)
    if model is not None:
        import onnx

        onnx.load(str(model))
    if phase.packaging_only:
        pkg = s.root / "pkg"
        assert not pkg.exists() and not (s.root / "pkg.tar.gz").exists()
        hidden = sorted(p.name for p in s.root.glob(".pkg*"))
        if sig == signal.SIGKILL:
            assert all(".building-" in n for n in hidden), hidden
        else:
            assert hidden == [], hidden
        return
    folders = s.folders()
    if not phase.finished and not phase.started:
        assert folders == [], folders  # killed before the first run: nothing was written
        return
    (folder,) = folders
    runs = folder / "runs"
    for run_id in phase.finished:
        result = json.loads((runs / run_id / "result.json").read_text())
        assert result["status"] == "ok", result
        _assert_logs_complete(runs / run_id)
    summary = json.loads((folder / "summary.json").read_text())
    # every run finished before packaging: the set is complete, only the package is not there
    assert summary["complete"] is (phase.name == "packaging")
    recorded = [r["run_id"] for r in summary["runs"]]
    assert recorded[: len(phase.finished)] == list(phase.finished), recorded
    leftovers = sorted(p.name for p in folder.glob(".package*"))
    if sig == signal.SIGKILL:
        assert all(".building-" in n for n in leftovers), leftovers
    else:
        assert leftovers == [], leftovers
    assert not (folder / "package").exists()


def _check_package_refuses(s: Setup) -> None:
    folders = s.folders()
    if not folders:
        return
    proc = subprocess.run(
        python_cli("package", str(folders[0]), "--out", str(s.root / "partial-pkg")),
        capture_output=True, text=True, env=s.env, cwd=s.root, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == int(ExitCode.BAD_INPUT), proc.stderr[-3000:]
    assert "did not all finish" in proc.stderr, proc.stderr
    assert_no_traceback(proc.stderr)
    assert not (s.root / "partial-pkg").exists()


def _check_package_builds(s: Setup) -> None:
    """Runs that all finished before packaging was stopped: `package` builds from them (and
    removes the staging folder a SIGKILL left)."""
    (folder,) = s.folders()
    proc = subprocess.run(
        python_cli("package", str(folder), "--out", str(folder / "package")),
        capture_output=True, text=True, env=s.env, cwd=s.root, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (folder / "package").is_dir()
    assert sorted(p.name for p in folder.glob(".package*")) == []


def _check_again_works(phase: Phase, s: Setup) -> None:
    """The same command, without the fault, completes; a SIGKILL's leftovers are gone."""
    if phase.packaging_only:
        (folder,) = s.folders()
        command = python_cli("package", str(folder), "--out", str(s.root / "pkg"), "--tar")
    else:
        command = python_cli("run", str(s.rerun), "--headless")
    before = set(s.folders())
    proc = subprocess.run(
        command, capture_output=True, text=True, env=s.env, cwd=s.root, timeout=240, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    if phase.packaging_only:
        assert (s.root / "pkg").is_dir() and (s.root / "pkg.tar.gz").is_file()
        assert sorted(p.name for p in s.root.glob(".pkg*")) == []
    else:
        (new,) = set(s.folders()) - before
        assert (new / "package").is_dir()
        # the mark of a killed run in progress went with the next run
        assert sorted(p.name for p in s.results.glob(".*")) == []
    # the cache holds no temporary file of a killed writer
    # (the next generation of the same entry removed it)
    assert sorted(p.name for p in (s.cache / "models").glob(".*")) == []


def _case(phase_name: str, sig_name: str, setup: Callable[[Phase], Setup]) -> None:
    phase = PHASES[phase_name]
    s = setup(phase)
    sig = SIGNALS[sig_name]
    code, output, started = _interrupt(phase, s, sig)
    # no harness or timing child outlives the runner
    assert _wait_gone(started) == set(), output[-3000:]
    _check_state(phase, s, sig, code, output)
    if phase.name == "packaging":
        _check_package_builds(s)
    elif not phase.packaging_only:
        _check_package_refuses(s)
    _check_again_works(phase, s)


#: make test: each signal once, in the quicker phases (the rest are slow: 7 to 40 s a case)
#: one case in make test (the slow set has them all: a SIGKILL in the run phase alone took 20 s)
QUICK = [("tarball", "SIGINT")]
SLOW = [(p, s) for p in PHASES for s in SIGNALS if (p, s) not in QUICK]


@pytest.mark.parametrize(("phase", "sig"), QUICK)
def test_a_signal_in_each_phase(phase: str, sig: str, setup: Callable[[Phase], Setup]) -> None:
    _case(phase, sig, setup)


@pytest.mark.slow
@pytest.mark.parametrize(("phase", "sig"), SLOW)
def test_every_signal_in_every_phase(phase: str, sig: str, setup: Callable[[Phase], Setup]) -> None:
    _case(phase, sig, setup)


@pytest.mark.slow  # a whole replay with a minute-long run stopped midway
def test_a_harness_killed_alone_fails_its_run_and_the_others_go_on(
    setup: Callable[[Phase], Setup],
) -> None:
    s = setup(PHASES["run"])
    proc = subprocess.Popen(
        python_cli("run", str(s.profile), "--headless"), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=s.env, cwd=s.root,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_progress(s, "Offline-performance", proc)
        (folder,) = s.folders()
        config = str(folder / "runs" / "Offline-performance" / "RUN.json")
        (child,) = (
            pid
            for pid in _descendants(proc.pid)
            if config in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        )
        os.kill(child, signal.SIGKILL)  # the OOM killer's way
        output, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == int(ExitCode.RUN_FAILED), output[-3000:]
    assert_no_traceback(output)
    summary = json.loads((folder / "summary.json").read_text())
    status = {r["run_id"]: r["status"] for r in summary["runs"]}
    # the killed run failed with the reason; the runs before and after it finished
    assert status == {
        "SingleStream-performance": "ok",
        "SingleStream-accuracy": "ok",
        "Offline-performance": "failed",
        "Offline-accuracy": "ok",
    }, status
    killed = next(r for r in summary["runs"] if r["run_id"] == "Offline-performance")
    assert "killed by SIGKILL" in killed["message"], killed
    for run_id in ("SingleStream-performance", "SingleStream-accuracy", "Offline-accuracy"):
        _assert_logs_complete(folder / "runs" / run_id)
    assert not (folder / "package").exists()
    _check_package_refuses(s)


def test_a_forced_rebuild_killed_midway_gives_the_old_package_back(
    good: dict[str, Path], tmp_path: Path
) -> None:
    import package_fixtures

    results = package_fixtures.copy_tree(good["test_results"], tmp_path / "results")
    out = tmp_path / "pkg"
    first = subprocess.run(
        python_cli("package", str(results), "--out", str(out)),
        capture_output=True, text=True, cwd=tmp_path, timeout=240, check=False,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr[-3000:]
    (out / "my-notes.txt").write_text("the submitter's own file\n")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    mark = tmp_path / "rename.mark"
    # killed between moving the old package aside and renaming the new one into place
    env = {
        **os.environ,
        **fault_env(r"/\.pkg\.building-[^/]*$", mark, event="os.rename", pause_s=120),
    }
    proc = subprocess.Popen(
        python_cli("package", str(results), "--out", str(out), "--force"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        wait_for_mark(mark, proc)
        assert not out.exists()  # the moment that matters: the old package is aside
        proc.kill()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the next build puts the old package back first, and does not replace it unasked
    again = subprocess.run(
        python_cli("package", str(results), "--out", str(out)),
        capture_output=True, text=True, cwd=tmp_path, timeout=240, check=False,
    )  # fmt: skip
    assert again.returncode == int(ExitCode.BAD_INPUT), again.stderr[-3000:]
    assert "is not empty" in again.stderr, again.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.glob(".pkg*")) == []
