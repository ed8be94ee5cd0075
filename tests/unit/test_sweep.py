"""Sweeps: the points of a sweep: block and of --set, their keys and profiles, and the loop
that reuses finished points and resumes after a cancelled one (with a point runner that writes
results folders, no LoadGen: the real runs are in tests/e2e/test_sweep.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.results import STATUS_OK, ResultsSet, RunResult, write_summary
from mlperf_tui.sweep import (
    SWEEP_FILE,
    SweepError,
    SweepPoint,
    load_sweep,
    parse_set,
    plan_sweep,
    point_label,
    run_sweep,
)
from tests.fixtures.faults import tiny_profile


def _profile(tmp_path: Path, **changes: Any) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return tiny_profile(tmp_path, **changes)


def test_set_values_are_yaml_scalars() -> None:
    assert parse_set(
        ["backend.batch_size=1,8,32", "backend.execution_provider=CPUExecutionProvider"]
    ) == {
        "backend.batch_size": [1, 8, 32],
        "backend.execution_provider": ["CPUExecutionProvider"],
    }
    assert parse_set(["scenarios=Offline,SingleStream"]) == {
        "scenarios": ["Offline", "SingleStream"]
    }


@pytest.mark.parametrize(
    ("item", "said"),
    [
        ("backend.batch_size", "is not KEY=VALUE"),
        ("=1,2", "is not KEY=VALUE"),
        ("backend.batch_size=1,,2", "has an empty value"),
    ],
)
def test_a_bad_set_says_how_to_write_it(item: str, said: str) -> None:
    with pytest.raises(SweepError) as caught:
        parse_set([item])
    assert said in caught.value.message
    assert "--set" in caught.value.fix


def test_the_points_are_the_combinations_with_stable_keys(tmp_path: Path) -> None:
    profile = _profile(tmp_path, sweep={"backend.batch_size": [1, 8]})
    state = plan_sweep(profile, overrides={"backend.intra_op_threads": [1, 2]})
    assert [p.settings for p in state.points] == [
        {"backend.batch_size": 1, "backend.intra_op_threads": 1},
        {"backend.batch_size": 1, "backend.intra_op_threads": 2},
        {"backend.batch_size": 8, "backend.intra_op_threads": 1},
        {"backend.batch_size": 8, "backend.intra_op_threads": 2},
    ]
    assert len({p.key for p in state.points}) == 4
    assert state.folder == tmp_path / "results" / "sweeps" / "profile"
    # the same settings give the same keys in another sweep (order of the keys aside)
    again = plan_sweep(profile, overrides={"backend.intra_op_threads": [2, 1]})
    assert {p.key for p in again.points} == {p.key for p in state.points}
    assert point_label(state.points[1].settings) == "batch=1 threads=2"
    assert not (tmp_path / "results").exists()  # planning writes nothing


def test_set_replaces_the_blocks_values(tmp_path: Path) -> None:
    profile = _profile(tmp_path, sweep={"backend.batch_size": [1, 8]})
    state = plan_sweep(profile, overrides={"backend.batch_size": [16]})
    assert [p.settings for p in state.points] == [{"backend.batch_size": 16}]


def test_a_scenario_sweep_runs_one_scenario_per_point(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    state = plan_sweep(profile, overrides={"scenarios": ["Offline", "SingleStream"]})
    from mlperf_tui.sweep import point_profile_text

    texts = [yaml.safe_load(point_profile_text(state, p)) for p in state.points]
    assert [t["scenarios"] for t in texts] == [["Offline"], ["SingleStream"]]
    assert all(t["output"] == "." and "sweep" not in t for t in texts)


def test_a_points_profile_replays_on_its_own(tmp_path: Path) -> None:
    """Relative paths of the base profile are made absolute: the point's profile lives in
    another folder."""
    model = tmp_path / "models" / "tiny.onnx"
    model.parent.mkdir()
    model.write_bytes(b"onnx")
    profile = _profile(
        tmp_path,
        assets={
            "model": {"source": "path", "path": "models/tiny.onnx", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 64},
        },
    )
    state = plan_sweep(profile, overrides={"backend.batch_size": [2]})
    from mlperf_tui.profile import parse_profile
    from mlperf_tui.sweep import write_point

    written = write_point(state, state.points[0])
    point = parse_profile(written.read_text(), written)
    assert point.require_assets().model.path == str(model)
    assert point.backend.batch_size == 2
    assert point.output == "."


@pytest.mark.parametrize(
    ("overrides", "said", "fix"),
    [
        ({"backend.batch_size": [0]}, "batch_size", ""),
        ({"backend.no_such_key": [1]}, "no_such_key", ""),
        ({"output": ["x"]}, "cannot change output", "backend."),
        ({"benchmark.name": [1]}, "is a value, not a block", "sweep benchmark itself"),
    ],
)
def test_a_bad_point_is_refused_before_anything_runs(
    tmp_path: Path, overrides: dict[str, list[Any]], said: str, fix: str
) -> None:
    profile = _profile(tmp_path)
    with pytest.raises(MlperfTuiError) as caught:
        plan_sweep(profile, overrides=overrides)
    assert said in caught.value.message
    assert fix in caught.value.fix
    assert caught.value.fix


def test_no_sweep_at_all_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(SweepError) as caught:
        plan_sweep(_profile(tmp_path))
    assert "--set backend.batch_size=" in caught.value.fix


def test_the_sweep_block_is_checked_when_the_profile_loads(tmp_path: Path) -> None:
    from mlperf_tui.profile import load_profile

    for sweep, said in (
        ({"backend.batch_size": []}, "has no value to try"),
        ({"backend.batch_size": [1, 1]}, "lists a value twice"),
        ({"not a key": [1]}, "is not a profile key"),
    ):
        with pytest.raises(MlperfTuiError) as caught:
            load_profile(_profile(tmp_path, sweep=sweep))
        assert said in caught.value.message


def test_another_profiles_sweep_of_the_same_name_is_not_mixed_in(tmp_path: Path) -> None:
    first = _profile(tmp_path / "a")
    state = plan_sweep(first, overrides={"backend.batch_size": [1]}, results_root=tmp_path / "r")
    state.save()
    other = _profile(tmp_path / "b")
    with pytest.raises(SweepError) as caught:
        plan_sweep(other, overrides={"backend.batch_size": [1]}, results_root=tmp_path / "r")
    assert "--name" in caught.value.fix
    named = plan_sweep(
        other, overrides={"backend.batch_size": [1]}, results_root=tmp_path / "r", name="b"
    )
    assert named.folder.name == "b"


def _finished(point: SweepPoint, *, complete: bool = True, value: float = 100.0) -> ResultsSet:
    """A results folder of the point as a run leaves it (summary.json last)."""
    folder = point.folder / f"2026120{len(list(point.folder.glob('2*'))) + 1}-000000"
    (folder / "runs" / "Offline-performance").mkdir(parents=True)
    (folder / "profile.yaml").write_text(point.profile_path.read_text())
    run = RunResult(
        "Offline-performance", "resnet50", "Offline", "performance", None,
        STATUS_OK if complete else "cancelled", folder / "runs" / "Offline-performance",
        valid=True, metric_name="samples_per_second", metric_value=value,
        metric_unit="samples/s",
    )  # fmt: skip
    results = ResultsSet(folder, [run], complete, "test", True, "resnet50")
    write_summary(results)
    return results


def test_finished_points_are_reused_and_a_cancelled_sweep_resumes(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    overrides = {"backend.batch_size": [1, 2, 4]}
    ran: list[str] = []
    cancel_at = {"key": ""}

    def run_point(point: SweepPoint, profile_file: Path) -> ResultsSet:
        assert profile_file == point.profile_path and profile_file.is_file()
        ran.append(point.key)
        cancelled = point.key == cancel_at["key"]
        return _finished(point, complete=not cancelled, value=10.0 * len(ran))

    state = plan_sweep(profile, overrides=overrides)
    cancel_at["key"] = state.points[1].key
    run_sweep(state, run_point, cancelled=lambda: bool(ran) and ran[-1] == cancel_at["key"])
    assert [p.status for p in state.points] == ["done", "cancelled", "pending"]
    kept = load_sweep(state.folder)
    assert [p.status for p in kept.points] == ["done", "cancelled", "pending"]
    assert kept.points[0].results is not None and kept.points[0].results.is_dir()

    # the same command again: the first point is reused, the other two run
    ran.clear()
    cancel_at["key"] = ""
    again = plan_sweep(profile, overrides=overrides)
    run_sweep(again, run_point)
    assert [p.status for p in again.points] == ["reused", "done", "done"]
    assert ran == [again.points[1].key, again.points[2].key]
    # the cancelled point's partial folder is kept beside its finished one
    assert len([d for d in again.points[1].folder.iterdir() if d.is_dir()]) == 2

    # and a third time nothing runs; --rerun runs them all
    ran.clear()
    third = run_sweep(plan_sweep(profile, overrides=overrides), run_point)
    assert ran == [] and {p.status for p in third.points} == {"reused"}
    run_sweep(plan_sweep(profile, overrides=overrides), run_point, rerun=True)
    assert len(ran) == 3


def test_the_best_point_follows_the_metric(tmp_path: Path) -> None:
    from mlperf_tui.sweep import best_point

    state = plan_sweep(_profile(tmp_path), overrides={"backend.batch_size": [1, 2, 4]})
    values = iter([5.0, 50.0, 20.0])
    run_sweep(state, lambda point, _f: _finished(point, value=next(values)))
    best = best_point(state, "Offline")
    assert best is not None and best.settings == {"backend.batch_size": 2}


def test_an_edited_state_file_is_reported_with_a_fix(tmp_path: Path) -> None:
    state = plan_sweep(_profile(tmp_path), overrides={"backend.batch_size": [1]})
    state.save()
    (state.folder / SWEEP_FILE).write_text(json.dumps({"points": [{}]}))
    with pytest.raises(SweepError) as caught:
        load_sweep(state.folder)
    assert "was edited" in caught.value.message and "mlperf-tui sweep" in caught.value.fix
    (state.folder / SWEEP_FILE).write_text("{not json")
    with pytest.raises(SweepError):
        load_sweep(state.folder)
