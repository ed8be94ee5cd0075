"""Tuning: the sweep's points and choice, the profile's backend block it becomes, backend: auto."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.tune import SERVER_BOUND_SHARE, Measured, Point, choose, points
from mlperf_tui.profile import default_profile, dump_profile, parse_profile
from mlperf_tui.profile.model import Backend, StreamSettings
from mlperf_tui.rules.model import Scenario
from mlperf_tui.run.tune import TuneResult, tuned_backend


@pytest.mark.parametrize("cores", [1, 2, 6, 16])
def test_cpu_points_never_ask_for_more_threads_than_cores(cores: int) -> None:
    todo = points(cores, gpu=False)
    assert todo and all(p.intra_op_threads * p.streams <= cores for p in todo)
    # every core count is tried on its own and as streams of one thread
    assert Point(1, cores, 1) in todo and Point(1, 1, cores) in todo
    assert len(set(todo)) == len(todo)


def test_gpu_points_sweep_large_batches_and_streams_not_threads() -> None:
    todo = points(2, gpu=True)
    assert {p.intra_op_threads for p in todo} == {1}
    assert max(p.batch_size for p in todo) >= 256
    assert {p.streams for p in todo} == {1, 2, 4}


def _m(
    batch: int,
    threads: int,
    streams: int,
    tput: float,
    p90: float,
    p99: float,
    gathered: bool = False,
) -> Measured:
    return Measured(Point(batch, threads, streams), tput, p90 * 0.8, p90, p99, 10, gathered)


MEASURED = [
    _m(1, 1, 1, 4000, 0.25, 0.3),
    _m(1, 2, 1, 6000, 0.15, 0.2),
    _m(8, 1, 1, 7000, 1.2, 1.4),
    _m(8, 1, 2, 12000, 1.3, 1.6),
    _m(64, 1, 2, 14000, 10.0, 12.0),  # the fastest, but a p99 above a fifth of 15 ms
    # as the Server SUT runs them: each batch gathered from random samples first
    _m(8, 1, 2, 9000, 1.6, 2.0, gathered=True),
    _m(16, 1, 2, 9500, 2.8, 3.5, gathered=True),  # above a fifth of the bound
]


def test_choice_per_scenario() -> None:
    chosen = choose(
        MEASURED,
        ["Offline", "Server", "SingleStream", "MultiStream"],
        latency_bound_ms=15.0,
        samples_per_query=8,
    )
    assert chosen["Offline"]["batch_size"] == 64 and chosen["Offline"]["streams"] == 2
    assert chosen["Offline"]["gathered"] is False
    assert "of 5 points" in chosen["Offline"]["why"]  # the gathered ones are Server's
    # Server: among the gathered points (and the one-sample ones) within a fifth of 15 ms
    assert 15.0 * SERVER_BOUND_SHARE < 3.5
    assert chosen["Server"]["batch_size"] == 8 and chosen["Server"]["gathered"] is True
    assert chosen["Server"]["throughput"] == 9000
    assert chosen["SingleStream"]["intra_op_threads"] == 2  # lowest p90 of one sample
    assert chosen["MultiStream"]["batch_size"] == 8 and chosen["MultiStream"]["streams"] == 1
    assert all(c["why"] for c in chosen.values())


def test_the_choice_becomes_the_backend_block_and_per_scenario_settings() -> None:
    chosen = choose(
        MEASURED, ["Offline", "SingleStream"], latency_bound_ms=None, samples_per_query=8
    )
    result = TuneResult({Scenario(k): v for k, v in chosen.items()})
    backend = tuned_backend(Backend(auto=True), result)
    assert (backend.intra_op_threads, backend.batch_size, backend.streams) == (1, 64, 2)
    assert backend.auto is False
    # SingleStream: its own thread count; one sample a call and one stream, whatever the rest
    assert backend.per_scenario == {Scenario.SINGLE_STREAM: StreamSettings(intra_op_threads=2)}
    assert backend.for_scenario(Scenario.SINGLE_STREAM) == (2, 64, 2)
    assert backend.for_scenario(Scenario.OFFLINE) == (1, 64, 2)


def test_backend_auto_and_per_scenario_round_trip_through_yaml() -> None:
    base = default_profile()
    auto = base.model_copy(update={"backend": Backend(auto=True)})
    text = dump_profile(auto)
    assert "\nbackend: auto\n" in text
    assert parse_profile(text).backend.auto is True
    tuned = base.model_copy(
        update={
            "backend": Backend(
                intra_op_threads=1,
                batch_size=16,
                streams=2,
                per_scenario={Scenario.SINGLE_STREAM: StreamSettings(intra_op_threads=2)},
            )
        }
    )
    again = parse_profile(dump_profile(tuned))
    assert again.backend == tuned.backend
    # a profile without the newer keys dumps without them
    assert "streams" not in dump_profile(base) and "per_scenario" not in dump_profile(base)


def test_a_misspelt_backend_shorthand_is_a_clear_error() -> None:
    from mlperf_tui.errors import ProfileError

    text = dump_profile(default_profile()).replace(
        "backend:\n  execution_provider: CPUExecutionProvider\n  intra_op_threads: 0\n"
        "  batch_size: 32\n",
        "backend: atuo\n",
    )
    with pytest.raises(ProfileError) as info:
        parse_profile(text)
    assert "backend" in info.value.message


def test_writing_the_profile_keeps_each_earlier_file(tmp_path: Path) -> None:
    from mlperf_tui.cli.tune import _write

    path = tmp_path / "p.yaml"
    path.write_text("# mine, by hand\n" + dump_profile(default_profile()))
    first = _write(default_profile(), path)
    assert first.name == "p.yaml.bak" and first.read_text().startswith("# mine, by hand")
    second = _write(default_profile(), path)
    assert second.name == "p.yaml.bak.1"
    assert first.read_text().startswith("# mine, by hand")  # not overwritten
    assert parse_profile(path.read_text()) == default_profile()


def test_a_search_run_reads_loadgens_own_percentile_keys() -> None:
    from harness.loadgen_logs import DetailLog, result_figures
    from mlperf_tui.run.find import _probe_of

    # the keys as LoadGen 6's detail log names them (result_90.00_percentile_latency_ns)
    log = DetailLog(
        values={
            "effective_scenario": "Server",
            "result_validity": "VALID",
            "result_scheduled_samples_per_sec": 5000.0,
            "result_90.00_percentile_latency_ns": 2_500_000,
            "result_99.00_percentile_latency_ns": 6_000_000,
            "result_perf_constraints_met": True,
        }
    )
    probe = _probe_of(Scenario.SERVER, 5000.0, result_figures(log), confirming=False)
    assert probe.valid and probe.p90_ms == 2.5 and probe.p99_ms == 6.0
    assert probe.describe() == (
        "Server search run at 5,000.0 q/s: VALID, p90 2.500 ms, p99 6.00 ms"
    )
