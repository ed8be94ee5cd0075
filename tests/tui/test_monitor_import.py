"""The run monitor on a ``harness: import`` profile: the logs are imported, each run shown done."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import mllog, parts
from corpus.mllog import Run
from textual.pilot import Pilot
from textual.widgets import Log

from mlperf_tui import rules
from mlperf_tui.importer import import_profile
from mlperf_tui.profile import save_profile
from mlperf_tui.results import load_results
from mlperf_tui.rules.model import Scenario
from mlperf_tui.tui.app import MlperfTuiApp
from mlperf_tui.tui.screens.monitor import MonitorScreen
from mlperf_tui.tui.widgets.plan_list import PlanList

ROUND = rules.get_round("v6.1")


def harness_output(dest: Path) -> Path:
    """An open-division harness output of ResNet50 Offline, as tests/unit/test_import_logs.py
    writes one: a performance/ and an accuracy/ folder of LoadGen's logs and the user.conf."""
    bench = rules.get_benchmark("resnet50", ROUND.version)
    for mode in ("performance", "accuracy"):
        folder = dest / mode
        run = Run(ROUND, bench, Scenario.OFFLINE, mode, qps=20.0, latency_ms=4.0)
        parts.write(folder / "mlperf_log_detail.txt", mllog.detail_log(run))
        parts.write(folder / "mlperf_log_summary.txt", mllog.summary_log(run))
        parts.write(folder / "user.conf", f"{bench.loadgen_model}.Offline.target_qps = 20\n")
        if mode == "accuracy":
            count = bench.accuracy_samples(Scenario.OFFLINE)
            parts.write(folder / "mlperf_log_accuracy.json", mllog.accuracy_log(count))
            good = round(76.1 * count / 100)
            parts.write(folder / "accuracy.txt", f"accuracy=76.100%, good={good}, total={count}\n")
    return dest


async def wait_finished(pilot: Pilot[None], screen: MonitorScreen) -> None:
    for _ in range(500):
        await pilot.pause(0.02)
        if screen.state.finished:
            break
    await pilot.pause(0.3)  # one redraw tick (4 per second)


async def test_the_monitor_runs_an_import_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = harness_output(tmp_path / "harness")
    profile = tmp_path / "imported.yaml"
    save_profile(
        import_profile(
            source=source,
            benchmark="resnet50",
            scenarios=["Offline"],
            round=ROUND.version,
            division="open",
            submitter="Org",
            system_name="box",
        ),
        profile,
    )
    # import_from relative to the profile's folder, not to where the app was started
    text = profile.read_text(encoding="utf-8")
    assert f"import_from: {source}" in text
    profile.write_text(text.replace(f"import_from: {source}", "import_from: harness"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the import's results go to ./results

    app = MlperfTuiApp("run", profile=profile)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await wait_finished(pilot, screen)
        assert screen.state.finished
        assert screen.error is None
        assert [i.run_id for i in screen.state.plan] == ["Offline-performance", "Offline-accuracy"]
        assert [i.state for i in screen.state.plan] == ["ok", "ok"]
        plan_text = str(screen.query_one(PlanList).render())
        assert "cancelled" not in plan_text and "failed" not in plan_text
        assert "76.100" in plan_text  # the accuracy the harness's accuracy.txt gave
        log = "\n".join(str(line) for line in screen.query_one(Log).lines)
        assert "error" not in log
        assert "All runs finished" in log

    assert screen.results is not None
    (folder,) = (elsewhere / "results").iterdir()
    assert screen.results.folder == folder
    loaded = load_results(folder)
    assert loaded.complete and loaded.origin is not None
    assert loaded.origin["kind"] == "import" and loaded.origin["source"] == str(source)
