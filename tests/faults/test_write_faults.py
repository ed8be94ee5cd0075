"""A full disk and a read-only folder at each write of ``mlperf-tui run --headless``.

Each case replays a tiny profile (resnet50 Offline, the tiny stand-in model, 64 generated
images) in a child process with a real tmpfs (tests/fixtures/faults.py) under the folder it
targets, and fills that disk or remounts it read-only the moment the command (or a harness
child) first opens the file it targets (``fault_env``). A case asserts that its fault fired,
what the user sees, and what the tmpfs holds afterwards (copied out before the mount goes).

What the product does, by folder:

- the results folder (profile ``output:``): a write that fails is a user error, exit 5 for a
  full disk and 3 for a read-only one, with one line of fix ("point the profile's output: at
  another folder"); no traceback, no package. A new folder whose first writes fail is
  removed; otherwise the runs that finished before the fault keep their files, and
  summary.json is the one written after them (or none, when the first one failed). A disk that
  fills while a harness child writes its run's logs fails the runner's own next write (the
  child's events.jsonl, then result.json), so it is the same user error, exit 5, not a failed
  run. A read-only remount is refused (EBUSY) while a file on that disk is open for writing,
  and the runner keeps the run's events.jsonl and harness.stderr.log open while the child
  runs: the read-only cases hit the runner's writes between runs instead.
- the asset cache (``MLPERF_TUI_CACHE``): the stand-in model or data set that cannot be
  written is a user error (5 or 3) whose fix is "set MLPERF_TUI_CACHE to another folder"; the
  cache holds the entry complete or not at all (a read-only disk keeps the empty build folder
  it cannot delete: it carries the dead writer's pid, and the next generation removes it).
- the preprocessed-sample cache: only saves time, so a cache that cannot be written does not
  fail the run. The harness preprocesses the samples in memory, says so once in
  harness.stderr.log (and in the accuracy run's preprocessing phase, events.jsonl), and the run
  and its package complete; the cache holds only complete sample files.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faults import Outcome, assert_no_traceback, assert_user_error, cannot_mount, on_tmpfs
from faults import fault_env as make_fault_env

from mlperf_tui.errors import ExitCode

#: the fault's own files (fill:), not the product's
_FILLER = (".fault-fill", ".fault-fill-tail")
#: a preprocessed sample in the cache: uint8 [3, 224, 224]
_SAMPLE_BYTES = 3 * 224 * 224
#: fixes of the two kinds of write error
_RESULTS_FIX = "point the profile's output: at another folder"
_CACHE_FIX = "set MLPERF_TUI_CACHE to another folder"
#: after its command, copy what the tmpfs holds (but the fault's filler) to a folder ($1)
_KEEP = (
    'snap="$1"; mount="$2"; shift 2; "$@"; rc=$?; mkdir -p "$snap"; '
    'tar -C "$mount" --exclude=./.fault-fill --exclude=./.fault-fill-tail -cf - . '
    '| tar -C "$snap" -xf -; exit $rc'
)


@pytest.fixture(autouse=True)
def _tmpfs_ok() -> None:
    reason = cannot_mount()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def warm_cache(tiny_assets: Any) -> Path:
    """The session's cache, its stand-ins generated: the results-folder cases skip that."""
    return Path(tiny_assets.cache_dir).parent


@dataclass
class Replay:
    outcome: Outcome
    #: the fault's mark: the process id and the path it fired at
    mark: Path
    #: what the tmpfs held afterwards (a copy)
    kept: Path
    #: the results root and the cache of the run
    results: Path
    cache: Path

    @property
    def left(self) -> list[str]:
        """What the tmpfs held afterwards, without the fault's own filler files."""
        return [p for p in self.outcome.left if p not in _FILLER]

    def fired_at(self) -> str:
        assert self.mark.is_file(), f"the fault never fired\n{self.outcome.stderr[-3000:]}"
        return self.mark.read_text(encoding="utf-8").splitlines()[1]


def _replay(
    tmp_path: Path,
    *,
    on: str,
    at: str | None,
    do: str = "fill",
    mode: str = "rw",
    cache: Path | None = None,
    reading: bool = False,
) -> Replay:
    """``mlperf-tui run PROFILE --headless --json`` with a tmpfs on the results root
    (``on="results"``) or the cache (``on="cache"``), faulting at the first open of ``at``:
    ``do`` "fill" fills the tmpfs, "ro" remounts it read-only (at an open that writes, or one
    that ``reading``)."""
    mount = tmp_path / "fs"
    results = mount if on == "results" else tmp_path / "results"
    cache = mount if on == "cache" else (cache or tmp_path / "cache")
    profile = tmp_path / "tiny.yaml"
    profile.write_text(
        "schema_version: 1\nround: v6.1\nbenchmark: resnet50\ndivision: open\ncategory: edge\n"
        "scenarios: [Offline]\nmodes: [performance, accuracy]\nexecution: test\n"
        "assets:\n  model: {source: synthetic, kind: tiny}\n"
        "  dataset: {source: synthetic, count: 64}\n  seed: 0\nsubmitter: Quickstart\n"
        "system: {status: available, cooling: air, host_memory_configuration: undisclosed}\n"
        f"output: {results}\n",
        encoding="utf-8",
    )
    mark = tmp_path / "fault.mark"
    env = {"MLPERF_TUI_CACHE": str(cache)}
    if at is not None:
        env.update(make_fault_env(at, mark, do=f"{do}:{mount}", mode="r" if reading else "w"))
    kept = tmp_path / "kept"
    command = [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--headless", "--json"]
    outcome = on_tmpfs(
        mount,
        ["sh", "-c", _KEEP, "sh", str(kept), str(mount), *command],
        size="64m",
        mode=mode,
        env=env,
        timeout=180,
        cwd=tmp_path,
    )
    return Replay(outcome, mark, kept, results, cache)


def _results_folder(replay: Replay) -> Path:
    """The one results folder the replay made, in the copy of the tmpfs."""
    folders = [p for p in replay.kept.iterdir() if re.fullmatch(r"\d{8}-\d{6}(-\d+)?", p.name)]
    assert len(folders) == 1, replay.left
    return folders[0]


def _assert_kept_runs(folder: Path, finished: list[str], summary: bool = True) -> None:
    """The runs that finished keep result.json (ok) and their LoadGen logs; summary.json, when
    there is one, lists exactly them; no run after them has a result; nothing half-written
    (no temporary file) and no package."""
    for run_id in finished:
        run = folder / "runs" / run_id
        result = json.loads((run / "result.json").read_text(encoding="utf-8"))
        assert result["status"] == "ok", result
        assert (run / "mlperf_log_summary.txt").stat().st_size > 0
    others = [p.name for p in (folder / "runs").iterdir() if p.name not in finished]
    assert all(not (folder / "runs" / name / "result.json").exists() for name in others)
    if summary:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert [r["run_id"] for r in data["runs"]] == finished
        assert data["complete"] is False
    else:
        assert not (folder / "summary.json").exists()
    assert [p.name for p in folder.rglob("*.tmp")] == []
    assert not (folder / "package").exists()


# -- the results folder ----------------------------------------------------------------------


def test_a_results_folder_on_a_read_only_disk_is_refused_at_its_first_write(
    tmp_path: Path, warm_cache: Path
) -> None:
    replay = _replay(tmp_path, on="results", at=None, mode="ro", cache=warm_cache)
    assert_user_error(
        replay.outcome.stderr,
        replay.outcome.rc,
        ExitCode.BAD_INPUT,
        f"writing the results folder failed: {replay.results} is on a read-only file system",
        f"{_RESULTS_FIX} that you can write to",
    )
    assert replay.left == []


def test_a_disk_full_at_the_first_file_of_a_new_results_folder_leaves_nothing(
    tmp_path: Path, warm_cache: Path
) -> None:
    replay = _replay(tmp_path, on="results", at=r"/profile\.yaml$", cache=warm_cache)
    assert replay.fired_at().startswith(str(replay.results))
    assert_user_error(
        replay.outcome.stderr,
        replay.outcome.rc,
        ExitCode.ENVIRONMENT,
        "writing the results folder failed: no space left on the disk of",
        f"free space on that disk, or {_RESULTS_FIX} on a disk with room",
    )
    assert replay.left == []  # the new folder, with its empty profile.yaml, was removed


def test_a_disk_that_fills_while_a_harness_child_writes_its_run(
    tmp_path: Path, warm_cache: Path
) -> None:
    # the accuracy run's child writes accuracy.txt: the disk fills under it and LoadGen
    replay = _replay(
        tmp_path,
        on="results",
        at=r"runs/Offline-accuracy/\.accuracy\.txt\..*\.tmp$",
        cache=warm_cache,
    )
    replay.fired_at()
    assert_user_error(
        replay.outcome.stderr,
        replay.outcome.rc,
        ExitCode.ENVIRONMENT,
        "writing the results folder failed: no space left on the disk of",
        f"free space on that disk, or {_RESULTS_FIX} on a disk with room",
    )
    folder = _results_folder(replay)
    _assert_kept_runs(folder, ["Offline-performance"])
    assert not (folder / "runs" / "Offline-accuracy" / "accuracy.txt").exists()


@pytest.mark.parametrize(
    ("at", "accuracy_scored"),
    [
        # before the next run starts: its folder's first file
        pytest.param(r"runs/Offline-accuracy/user\.conf$", False, marks=pytest.mark.slow),
        # after it finished: its own files are there, only result.json cannot be written
        (r"runs/Offline-accuracy/\.result\.json\.tmp$", True),
    ],
    ids=["the-next-runs-folder", "a-runs-result-json"],
)
def test_a_read_only_disk_keeps_the_finished_run(
    tmp_path: Path, warm_cache: Path, at: str, accuracy_scored: bool
) -> None:
    replay = _replay(tmp_path, on="results", at=at, do="ro", cache=warm_cache)
    replay.fired_at()
    folder = _results_folder(replay)
    assert_user_error(
        replay.outcome.stderr,
        replay.outcome.rc,
        ExitCode.BAD_INPUT,
        f"writing the results folder failed: {replay.results / folder.name} is on a read-only",
        f"{_RESULTS_FIX} that you can write to",
    )
    _assert_kept_runs(folder, ["Offline-performance"])
    accuracy_txt = folder / "runs" / "Offline-accuracy" / "accuracy.txt"
    assert accuracy_txt.is_file() is accuracy_scored


def test_a_disk_full_at_summary_json_after_a_run_leaves_no_half_summary(
    tmp_path: Path, warm_cache: Path
) -> None:
    replay = _replay(tmp_path, on="results", at=r"/\.summary\.json\.tmp$", cache=warm_cache)
    replay.fired_at()
    assert_user_error(
        replay.outcome.stderr,
        replay.outcome.rc,
        ExitCode.ENVIRONMENT,
        "writing the results folder failed: no space left on the disk of",
        f"free space on that disk, or {_RESULTS_FIX} on a disk with room",
    )
    _assert_kept_runs(_results_folder(replay), ["Offline-performance"], summary=False)


# -- the asset cache -------------------------------------------------------------------------


_MODEL = "models/synthetic-tiny-seed0-g1.onnx"
_FULL_FIX = f"free space on that disk, or {_CACHE_FIX} on a disk with room"
_RO_FIX = f"{_CACHE_FIX} that you can write to"


@pytest.mark.parametrize(
    ("at", "do", "code", "message", "fix"),
    [
        (r"models/\.synthetic-tiny-.*\.tmp$", "fill", ExitCode.ENVIRONMENT,
         "writing the synthetic tiny model failed: no space left on the disk of", _FULL_FIX),
        (r"models/\.synthetic-tiny-.*\.tmp$", "ro", ExitCode.BAD_INPUT,
         "writing the synthetic tiny model failed: {cache}/models is on a read-only", _RO_FIX),
        # the first JPEG of the build folder
        (r"datasets/\.synthetic-imagenet-", "fill", ExitCode.ENVIRONMENT,
         "writing the synthetic data set failed: no space left on the disk of", _FULL_FIX),
        # read-only once the model is written (its check reads it), before the data set:
        # remounting while the generator's threads write would be refused (EBUSY) at random
        (r"models/synthetic-tiny-seed0-g1\.onnx$", "ro", ExitCode.BAD_INPUT,
         "creating the cache folder failed: {cache}/datasets is on a read-only", _RO_FIX),
    ],
    ids=["model-full", "model-read-only", "dataset-full", "dataset-read-only"],
)  # fmt: skip
def test_an_asset_cache_that_cannot_be_written_is_a_user_error_and_holds_no_half_entry(
    tmp_path: Path, at: str, do: str, code: ExitCode, message: str, fix: str
) -> None:
    reading = at.endswith(r"\.onnx$")
    replay = _replay(tmp_path, on="cache", at=at, do=do, reading=reading)
    replay.fired_at()
    message = message.format(cache=replay.cache)
    assert_user_error(replay.outcome.stderr, replay.outcome.rc, code, message, fix)
    kept = sorted(p.relative_to(replay.kept).as_posix() for p in replay.kept.rglob("*"))
    if "model" in message:
        assert kept == ["models"]  # no model, no record of one, no temporary
        return
    # the model before it is complete, with its record; no data set, complete or not
    model = replay.kept / _MODEL
    record = json.loads(Path(f"{model}.sha256").read_text(encoding="utf-8"))
    assert model.stat().st_size == record["bytes"]
    assert [p for p in kept if p.startswith("datasets/")] == []


# -- the preprocessed-sample cache -------------------------------------------------------------


def _assert_run_completed_without_the_cache(replay: Replay, why: str, *, filled: bool) -> None:
    """Exit 0, both runs ok, the package built; each run that could not write the cache says
    so once in its harness.stderr.log (the accuracy run in its preprocessing phase too); the
    cache holds only complete sample files. On a filled disk, the first run's failed writes
    free the room they took: the accuracy run may find enough to write what it needs."""
    assert replay.outcome.rc == 0, replay.outcome.stderr[-3000:]
    assert_no_traceback(replay.outcome.stderr)
    doc = json.loads(replay.outcome.stdout)
    assert [r["status"] for r in doc["runs"]] == ["ok", "ok"]
    assert doc["package"] and doc["validation"]["tree_complete"] is True
    runs = Path(doc["results_folder"]) / "runs"
    note = f"was not written ({why}); the next run preprocesses the samples again"
    samples = list((replay.kept / "preprocessed").rglob("*.raw"))
    for run in ("Offline-performance", "Offline-accuracy"):
        log = (runs / run / "harness.stderr.log").read_text(encoding="utf-8")
        if run == "Offline-accuracy" and filled and len(samples) == 64 and note not in log:
            continue  # the freed room sufficed: its samples are all in the cache
        assert log.count(note) == 1, log[-3000:]
        if run == "Offline-accuracy":
            events = (runs / run / "events.jsonl").read_text(encoding="utf-8")
            assert "Preprocessing in memory as LoadGen loads" in events and note in events
    # every sample file the cache holds is complete; no temporary
    assert all(p.stat().st_size == _SAMPLE_BYTES for p in samples)
    assert list(replay.kept.rglob("*.tmp")) == []


@pytest.mark.slow  # 7 s: a whole run
def test_a_disk_that_fills_at_the_preprocessed_cache_does_not_fail_the_run(
    tmp_path: Path,
) -> None:
    replay = _replay(tmp_path, on="cache", at=r"preprocessed/.*\.tmp$")
    replay.fired_at()
    _assert_run_completed_without_the_cache(replay, "the disk is full", filled=True)


@pytest.mark.slow  # the full-disk case runs in make test
def test_a_read_only_preprocessed_cache_does_not_fail_the_run(tmp_path: Path) -> None:
    # read-only once the stand-ins are generated, before the first harness child starts
    replay = _replay(
        tmp_path, on="cache", at=r"runs/Offline-performance/harness\.stderr\.log$", do="ro"
    )
    replay.fired_at()
    _assert_run_completed_without_the_cache(
        replay, "it is on a read-only file system", filled=False
    )
    assert not (replay.kept / "preprocessed").exists()
