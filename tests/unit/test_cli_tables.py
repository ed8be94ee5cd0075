"""Every table the CLI prints fits 80 columns and cuts nothing: a long cell wraps at its spaces.

Each table is rendered as a terminal 80 columns wide would show it; every word of every cell
must be there whole (a "…" or a word folded in two is a cut).
"""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from mlperf_tui import rules, system
from mlperf_tui import run as runner
from mlperf_tui.cli import main
from mlperf_tui.cli.detect import detect_table
from mlperf_tui.cli.rules import benchmark_table, round_table
from mlperf_tui.cli.run import findings_table
from mlperf_tui.headless import plan_table, results_table
from mlperf_tui.profile import load_profile
from mlperf_tui.results import ResultsSet, RunResult
from mlperf_tui.system import FrozenProbe
from mlperf_tui.validate import CheckResult

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 80
KVM_LSCPU = Path(__file__).parent / "system_fixtures" / "lscpu_intel_emerald_rapids_kvm.txt"


def render(table: Any, width: int = WIDTH) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.export_text()


def assert_whole(text: str, cells: list[str]) -> None:
    """No line is wider than 80 columns, nothing is elided, and every word of every cell is
    printed in one piece."""
    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not too_wide, too_wide
    assert "…" not in text, text
    missing = {word for cell in cells for word in cell.split() if word not in text}
    assert not missing, f"cut or folded: {sorted(missing)}\n{text}"


def test_the_rounds_benchmarks_fit() -> None:
    for version in rules.ROUNDS:
        round_rules = rules.get_round(version)
        text = render(round_table(round_rules))
        cells = [c for b in round_rules.benchmarks.values() for c in (b.name, b.task)]
        assert_whole(text, cells)


@pytest.mark.parametrize("name", list(rules.get_round().benchmarks))
def test_each_benchmarks_rules_fit(name: str) -> None:
    round_rules = rules.get_round()
    bench = rules.get_benchmark(name, round_rules.version)
    text = render(benchmark_table(round_rules, bench))
    assert_whole(text, [bench.task, bench.reference_model, bench.dataset])
    assert "performance sample count" in text and "compliance tests (closed)" in text


@pytest.mark.parametrize(
    "probe",
    [FrozenProbe(), FrozenProbe(commands={"lscpu": KVM_LSCPU.read_text()}, logical_cpus=2)],
    ids=["bare", "kvm"],
)
def test_detect_fits(probe: FrozenProbe) -> None:
    rows = system.detect(probe).as_rows({})
    text = render(detect_table(rows))
    assert_whole(text, [c for row in rows for c in row])


def test_check_findings_fit() -> None:
    path = "closed/Org/results/a-long-system-name/3d-unet-99.9/Offline/performance/run_1"
    findings = [
        CheckResult(
            "tree.benchmark-not-in-category", "error", f"{path}/mlperf_log_detail.txt",
            "3d-unet-99.9 is not a benchmark of the edge category in v6.1: the checker "
            "rejects the whole submitter folder", "move it to a datacenter system, or drop it",
        ),
        CheckResult("log.inferred-estimate-missing", "warning", "", "no estimate", ""),
        CheckResult("package.synthetic-assets", "notice", "open/Q/systems/s.json",
                    "built from synthetic stand-ins", "point the profile at real assets"),
    ]  # fmt: skip
    text = render(findings_table(findings, "mlperf-tui check: package"))
    # a path longer than the column folds (it has no spaces); its parts are all there
    cells = [c for f in findings for c in (f.id, f.message, f.fix)]
    assert_whole(text, cells)
    assert "mlperf_log_detail.txt" in text.replace("\n", "")


def test_headless_plan_fits() -> None:
    profile = load_profile(ROOT / "profiles" / "quickstart.yaml")
    plan = runner.plan_runs(profile)
    text = render(plan_table(SimpleNamespace(plan=plan)))  # type: ignore[arg-type]
    assert_whole(text, [r.run_id for r in plan])


def test_headless_results_fit() -> None:
    folder = Path("results/20260101-120000")
    runs = [
        RunResult("SingleStream-performance", "3d-unet-99.9", "SingleStream", "performance",
                  None, "ok", folder / "a", valid=True, metric_name="early_stopping_latency_ns",
                  metric_value=1_234_567_000.0, metric_unit="ns", errors=["e1", "e2", "e3"]),
        RunResult("SingleStream-TEST01", "3d-unet-99.9", "SingleStream", "performance",
                  "TEST01", "ok", folder / "b", valid=False, compliance={"test": "TEST01",
                  "passed": True}),
        RunResult("Offline-accuracy", "3d-unet-99.9", "Offline", "accuracy", None, "ok",
                  folder / "c", accuracy=0.86170, accuracy_metric="DICE"),
        RunResult("Offline-performance", "3d-unet-99.9", "Offline", "performance", None,
                  "cancelled", folder / "d"),
        RunResult("Server-performance", "llama2-70b-99.9", "Server", "performance", None, "ok",
                  folder / "e", valid=True, metric_name="completed_samples_per_second",
                  metric_value=5.8, metric_unit="samples/s", ttft_p99_ms=408.2,
                  tpot_p99_ms=4.16),
    ]  # fmt: skip
    results = ResultsSet(folder, runs, complete=False, execution="test", synthetic=True)
    text = render(results_table(results))
    assert_whole(
        text,
        [
            "1,234.567 ms (early stopping)",
            "VALID, 3 LoadGen error(s)",
            "INVALID, TEST01 PASS",
            "0.8617 DICE",  # a fraction, not a percentage
            "CANCELLED",
            "TTFT p99 408 ms",  # an LLM run's token latencies, LoadGen's 99th percentiles
            "TPOT p99 4.16 ms",
            *[r.run_id.split("-")[0] for r in runs],
        ],
    )


@pytest.mark.parametrize("argv", [["rules"], ["rules", "llama2-70b-99.9"], ["detect"]])
def test_the_commands_print_within_80_columns(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))  # Rich sizes a console that is no terminal so
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= WIDTH


def test_the_rules_say_how_each_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["rules", "--round", "v6.1", "--json"]) == 0
    runs_with = {
        b["name"]: b["runs_with"] for b in json.loads(capsys.readouterr().out)["benchmarks"]
    }
    assert runs_with["resnet50"] == "built in"
    assert runs_with["llama2-70b-99.9"] == runs_with["llama3.1-8b-edge"] == "engine"
    assert runs_with["rgat"] == runs_with["deepseek-r1"] == "import"
    # the table says the same, in its last column
    assert main(["rules", "--round", "v6.1"]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("llama2-70b"))
    assert row.rstrip().endswith("engine")
