"""Planning runs from a profile: which runs, their user.conf, their estimates; results folders.

No LoadGen here: the runs themselves are exercised in tests/e2e/test_headless.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harness.config import CALIBRATED_QPS_HEADROOM
from mlperf_tui import rules
from mlperf_tui import run as runner
from mlperf_tui.profile import Profile, default_profile, profile_to_dict
from mlperf_tui.profile.model import ScenarioTarget
from mlperf_tui.rules.model import Mode, Scenario

CAL = runner.Calibration(throughput=40.0, latency_s=0.05, source="calibrated", batch_size=8)
FAST = runner.Calibration(throughput=5000.0, latency_s=0.0004, source="calibrated")


def _profile(**changes: Any) -> Profile:
    data = profile_to_dict(default_profile())
    data.update(changes)
    return Profile.model_validate(data)


def _closed(**changes: Any) -> Profile:
    return _profile(
        division="closed",
        scenarios=["SingleStream", "MultiStream", "Offline"],
        **changes,
    )


def _conf_lines(run: runner.PlannedRun) -> dict[str, str]:
    out = {}
    for line in run.user_conf().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


def test_open_quickstart_plans_performance_and_accuracy_per_scenario_and_no_compliance() -> None:
    plan = runner.plan_runs(default_profile(), calibration=CAL)
    assert [r.run_id for r in plan] == [
        "SingleStream-performance",
        "SingleStream-accuracy",
        "Offline-performance",
        "Offline-accuracy",
    ]
    assert all(r.compliance_test is None for r in plan)
    assert {r.task for r in plan} == {"imagenet_classification"}


def test_closed_resnet50_plans_the_rules_compliance_tests_after_each_scenarios_runs() -> None:
    profile = _closed()
    bench = rules.get_benchmark("resnet50", profile.round)
    tests = rules.compliance_tests(bench, "closed")
    assert tests == ("TEST01", "TEST04")
    plan = runner.plan_runs(profile, calibration=CAL)
    ids = [r.run_id for r in plan]
    for scenario in ("SingleStream", "MultiStream", "Offline"):
        block = [i for i in ids if i.startswith(scenario + "-")]
        assert block == [
            f"{scenario}-performance",
            f"{scenario}-accuracy",
            f"{scenario}-TEST01",
            f"{scenario}-TEST04",
        ]
    audits = [r for r in plan if r.compliance_test]
    assert all(r.mode == Mode.PERFORMANCE for r in audits)


def test_modes_filter_the_plan_in_open() -> None:
    plan = runner.plan_runs(_profile(modes=["performance"]), calibration=CAL)
    assert [r.run_id for r in plan] == ["SingleStream-performance", "Offline-performance"]


def test_test_execution_bounds_performance_runs_by_query_count() -> None:
    plan = {r.run_id: r for r in runner.plan_runs(default_profile(), calibration=CAL)}
    short = runner.TEST_SETTINGS
    conf = _conf_lines(plan["Offline-performance"])
    assert conf["resnet50.Offline.min_duration"] == str(short.min_duration_ms)
    samples = int(conf["resnet50.Offline.min_query_count"])
    # about target_s at the calibrated rate, never fewer than the floor
    assert samples == max(short.min_query_count[Scenario.OFFLINE], round(short.target_s * 40))
    # the run lasts min_duration even on a machine target_s/min_duration times faster
    assert samples / (CAL.throughput * 3) >= short.min_duration_ms / 1e3 * 0.99
    ss = _conf_lines(plan["SingleStream-performance"])
    assert ss["resnet50.SingleStream.min_duration"] == str(short.min_duration_ms)
    assert int(ss["resnet50.SingleStream.min_query_count"]) == max(
        short.min_query_count[Scenario.SINGLE_STREAM], round(short.target_s / CAL.latency_s)
    )
    # expected latency below the calibrated 50 ms, whole milliseconds
    assert 1 <= int(ss["resnet50.SingleStream.target_latency"]) < 50
    # accuracy runs take every sample once: no duration or query settings
    assert not any("min_" in k for k in _conf_lines(plan["Offline-accuracy"]))
    assert "not submittable" in plan["Offline-performance"].user_conf()
    # test execution scores a subset: the first accuracy_samples of the 1024
    acc = plan["Offline-accuracy"]
    assert acc.expected_samples == acc.dataset_count == short.accuracy_samples == 256
    assert _conf_lines(acc) == {"resnet50.Offline.performance_sample_count_override": "256"}
    assert "first 256 of the 1024" in acc.user_conf()


def test_test_execution_fast_model_keeps_runs_to_seconds() -> None:
    plan = runner.plan_runs(default_profile(), calibration=FAST)
    for run in plan:
        assert run.estimate_s - runner.START_OVERHEAD_S <= runner.TEST_SETTINGS.target_s + 0.01


def test_valid_execution_writes_only_targets_never_what_the_rules_fix() -> None:
    round_ = rules.get_round()
    bench = rules.get_benchmark("resnet50")
    profile = _closed(
        execution="valid",
        assets={
            "model": {"source": "synthetic", "kind": "resnet50"},
            "dataset": {"source": "synthetic", "count": bench.dataset_size},
        },
        targets={"Offline": {"target_qps": 123.0}, "SingleStream": {"target_latency_ms": 20}},
    )
    plan = {r.run_id: r for r in runner.plan_runs(profile, calibration=CAL)}
    forbidden = (
        "min_duration",
        "performance_sample_count_override",
        "qsl_rng_seed",
        "sample_index_rng_seed",
        "schedule_rng_seed",
        "mode",
    )
    for run in plan.values():
        for key in _conf_lines(run):
            assert key.rsplit(".", 1)[1] not in forbidden, (run.run_id, key)
    assert _conf_lines(plan["Offline-performance"]) == {"resnet50.Offline.target_qps": "123"}
    assert _conf_lines(plan["SingleStream-performance"]) == {
        "resnet50.SingleStream.target_latency": "20"
    }
    # the Offline estimate follows the rules: at least the minimum samples at 40 samples/s
    minimum = bench.offline_min_samples or round_.offline_min_samples
    assert plan["Offline-performance"].estimate_s >= minimum / CAL.throughput
    assert plan["SingleStream-performance"].estimate_s >= round_.min_duration_ms / 1e3
    # the accuracy run covers the whole data set
    assert plan["Offline-accuracy"].dataset_count is None
    assert plan["Offline-accuracy"].estimate_s == pytest.approx(
        bench.dataset_size / CAL.throughput + runner.START_OVERHEAD_S
    )


def test_small_data_set_lowers_the_performance_sample_count_with_a_note() -> None:
    bench = rules.get_benchmark("resnet50")
    profile = _profile(
        assets={
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 64},
        }
    )
    plan = runner.plan_runs(profile, calibration=FAST)
    for run in plan:
        conf = _conf_lines(run)
        key = f"resnet50.{run.scenario.value}.performance_sample_count_override"
        assert conf[key] == "64"
        if run.mode == Mode.PERFORMANCE:
            assert any(str(bench.performance_sample_count) in n for n in run.notes)


def test_sub_millisecond_latency_raises_the_query_count_so_loadgen_generates_enough() -> None:
    plan = {r.run_id: r for r in runner.plan_runs(default_profile(), calibration=FAST)}
    conf = _conf_lines(plan["SingleStream-performance"])
    assert conf["resnet50.SingleStream.target_latency"] == "1"
    queries = int(conf["resnet50.SingleStream.min_query_count"])
    # enough queries to cover the minimum duration even at half the calibrated latency
    seconds = runner.TEST_SETTINGS.min_duration_ms / 1e3
    assert queries * FAST.latency_s * runner.LATENCY_HEADROOM >= seconds


def test_estimates_grow_with_the_work_and_are_shown_with_their_basis() -> None:
    slow = runner.plan_runs(default_profile(), calibration=CAL)
    fast = runner.plan_runs(default_profile(), calibration=FAST)
    assert runner.total_estimate_s(slow) > runner.total_estimate_s(fast)
    acc = next(r for r in slow if r.run_id == "Offline-accuracy")
    # test execution scores the first 256 samples: at 40 samples/s, plus the start-up
    assert acc.estimate_s == pytest.approx(256 / 40.0 + runner.START_OVERHEAD_S)
    assert "calibrated" in CAL.describe()
    thumb = runner.rule_of_thumb(default_profile(), cores=4)
    assert thumb.source == "rule of thumb" and thumb.throughput > 0


def test_server_uses_the_profiles_target_or_a_fraction_of_the_throughput() -> None:
    plan = runner.plan_runs(
        _profile(category="datacenter", scenarios=["Server"], modes=["performance"]),
        calibration=CAL,
    )
    conf = _conf_lines(plan[0])
    fraction = runner.TEST_SETTINGS.server_load_fraction
    assert float(conf["resnet50.Server.target_qps"]) == pytest.approx(CAL.throughput * fraction)
    assert any("targets.Server.target_qps" in n for n in plan[0].notes)
    plan = runner.plan_runs(
        _profile(
            category="datacenter",
            scenarios=["Server"],
            modes=["performance"],
            targets={"Server": {"target_qps": 7.5}},
        ),
        calibration=CAL,
    )
    assert _conf_lines(plan[0])["resnet50.Server.target_qps"] == "7.5"


def test_plan_to_dict_matches_the_contract() -> None:
    run = runner.plan_runs(default_profile(), calibration=CAL)[0]
    data = run.to_dict()
    for key in ("run_id", "benchmark", "scenario", "mode", "compliance_test", "estimate_s"):
        assert key in data
    json.dumps(data)


def test_results_folders_are_never_reused(tmp_path: Path) -> None:
    now = datetime(2026, 11, 29, 13, 0, 0)
    first = runner.new_results_folder(tmp_path, now)
    second = runner.new_results_folder(tmp_path, now)
    third = runner.new_results_folder(tmp_path, now)
    assert first.name == "20261129-130000"
    assert second.name == "20261129-130000-2"
    assert third.name == "20261129-130000-3"
    assert len({first, second, third}) == 3


def test_load_results_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "20261129-130000"
    run_dir = folder / "runs" / "Offline-performance"
    run_dir.mkdir(parents=True)
    res = runner.RunResult(
        run_id="Offline-performance",
        benchmark="resnet50",
        scenario="Offline",
        mode="performance",
        compliance_test=None,
        status="ok",
        folder=run_dir,
        valid=True,
        metric_name="samples_per_second",
        metric_value=123.4,
        metric_unit="samples/s",
    )
    rs = runner.ResultsSet(
        folder=folder, runs=[res], complete=True, execution="test", synthetic=True
    )
    (folder / "summary.json").write_text(json.dumps(rs.to_dict()))
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["runs"][0]["folder"] == "runs/Offline-performance"  # relative: movable
    assert set(summary) >= {"complete", "execution", "synthetic", "runs"}
    loaded = runner.load_results(folder)
    assert loaded.complete and loaded.synthetic and loaded.execution == "test"
    assert loaded.runs[0].folder == run_dir.resolve()
    assert loaded.run("Offline-performance") is not None
    assert loaded.runs[0].metric_value == 123.4


def test_load_results_of_a_non_results_folder_is_a_clear_error(tmp_path: Path) -> None:
    from mlperf_tui.errors import MlperfTuiError

    with pytest.raises(MlperfTuiError) as info:
        runner.load_results(tmp_path)
    assert "summary.json" in info.value.message


def test_valid_singlestream_runs_the_minimum_duration_with_enough_generated_queries() -> None:
    from mlperf_tui.profile import quickstart_valid_profile

    plan = {r.run_id: r for r in runner.plan_runs(quickstart_valid_profile(), calibration=FAST)}
    run = plan["SingleStream-performance"]
    conf = _conf_lines(run)
    # the rules' min query count stands (LoadGen's built-in mlperf.conf): the run ends at the
    # min duration, not at a query count sized from a calibration
    assert "resnet50.SingleStream.min_query_count" not in conf
    min_s = rules.get_round().min_duration_ms / 1e3
    per_query = FAST.latency_s + runner.HARNESS_QUERY_OVERHEAD_S
    assert run.expected_latency_ns is not None
    assert "expected latency" in run.user_conf()
    # LoadGen generates 1.1 x min duration of queries at the expected latency: enough for a
    # run 1.3x faster than calibrated ...
    generated = runner.LOADGEN_OFFLINE_SLACK * min_s / (run.expected_latency_ns / 1e9)
    assert generated * per_query / 1.3 >= min_s
    # ... and the estimate is the min duration (plus the start)
    assert run.estimate_s - runner.START_OVERHEAD_S == pytest.approx(min_s)


def test_valid_offline_is_sized_by_the_harness_own_timing() -> None:
    from mlperf_tui.profile import quickstart_valid_profile

    plan = {r.run_id: r for r in runner.plan_runs(quickstart_valid_profile(), calibration=FAST)}
    run = plan["Offline-performance"]
    assert run.offline_calibrate_s == runner.OFFLINE_CALIBRATE_S
    assert "sets offline_expected_qps to" in run.user_conf()
    # user.conf's rate (the fallback when the harness cannot time it) keeps the headroom: a
    # machine up to 20% faster than calibrated still runs for the min duration
    qps = float(_conf_lines(run)["resnet50.Offline.target_qps"])
    min_s = rules.get_round().min_duration_ms / 1e3
    assert qps == pytest.approx(FAST.throughput * runner.OFFLINE_QPS_HEADROOM, rel=1e-3)
    assert qps * min_s * 1.1 / (1.2 * FAST.throughput) > min_s
    # the harness's rate sizes the run: LoadGen's slack over the min duration, plus the timing
    seconds = run.estimate_s - runner.START_OVERHEAD_S
    headroom = CALIBRATED_QPS_HEADROOM
    assert seconds == pytest.approx(
        min_s * runner.LOADGEN_OFFLINE_SLACK * headroom + runner.OFFLINE_CALIBRATE_S, rel=1e-6
    )
    # ... at most 1.2 x the min duration: the bound on a valid run's length
    assert seconds <= 1.2 * min_s
    # the plan's JSON carries it to the runner (and to a replay)
    again = runner.PlannedRun.from_dict(run.to_dict())
    assert again.offline_calibrate_s == run.offline_calibrate_s
    # only the Offline performance run is timed again
    assert [r.run_id for r in plan.values() if r.offline_calibrate_s] == ["Offline-performance"]


def test_offline_is_not_timed_again_when_the_profile_or_the_rules_size_it() -> None:
    from mlperf_tui.profile import quickstart_valid_profile

    def offline(profile: Any, cal: runner.Calibration) -> Any:
        return {r.run_id: r for r in runner.plan_runs(profile, calibration=cal)}[
            "Offline-performance"
        ]

    valid = quickstart_valid_profile()
    # a target the user set stands
    targeted = valid.model_copy(
        update={"targets": {Scenario.OFFLINE: ScenarioTarget(target_qps=4000.0)}}
    )
    assert offline(targeted, FAST).offline_calibrate_s is None
    # a slow model meets the rules' minimum sample count only after the min duration
    minimum = rules.get_round().offline_min_samples
    min_s = rules.get_round().min_duration_ms / 1e3
    slow = runner.Calibration(0.9 * minimum / (min_s * 1.1), 0.1, "calibrated")
    assert offline(valid, slow).offline_calibrate_s is None
    # test execution runs are short and sized by the test settings
    assert offline(default_profile(), FAST).offline_calibrate_s is None
