"""A benchmark is one module on each side: a toy added through the registry alone runs end to
end to a validated package (and the official checker agrees, apart from test execution).

``toy_benchmark.py`` beside this file is the whole benchmark: its harness task (two named
inputs of different dtypes), its model stand-in and its data set. It stands in for the rules'
``rgat``, which mlperf-tui has no harness for. Nothing in mlperf_tui or harness names it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import reference_copy as ref
import toy_benchmark
import yaml

from mlperf_tui import benchmarks
from mlperf_tui.cli import main
from mlperf_tui.official import run_official_checker

BENCHMARK = "rgat"


@pytest.fixture
def toy() -> Iterator[benchmarks.BenchmarkEntry]:
    assert benchmarks.get(BENCHMARK) is None  # mlperf-tui cannot run it by itself
    entry = toy_benchmark.entry(BENCHMARK)
    benchmarks.register(entry)
    try:
        yield entry
    finally:
        benchmarks.unregister(entry)
    assert benchmarks.get(BENCHMARK) is None


@pytest.mark.slow  # a whole replay of a benchmark defined here: 12 s
def test_a_toy_benchmark_runs_end_to_end_through_the_registry_alone(
    toy: benchmarks.BenchmarkEntry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    profile = tmp_path / "toy.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "schema_version": 1,
                "benchmark": BENCHMARK,
                "division": "open",
                "category": "datacenter",
                "scenarios": ["Offline"],
                "modes": ["performance", "accuracy"],
                "execution": "test",
                "assets": {
                    "model": {"source": "synthetic", "kind": "toy"},
                    "dataset": {"source": "synthetic", "count": 64},
                },
                "submitter": "Toys_R_Us",
                "system_name": "toy box",
                "system": {
                    "status": "rdi",
                    "cooling": "air",
                    "host_memory_configuration": "undisclosed",
                    "host_processor_model_name": "Toy CPU 9000",
                },
                "output": str(tmp_path / "results"),
            }
        )
    )
    out = tmp_path / "pkg"
    code = main(["run", str(profile), "--headless", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert code == 0, captured.err[-3000:]
    assert doc["complete"] is True, doc["runs"]
    assert [r["status"] for r in doc["runs"]] == ["ok", "ok"]
    accuracy = next(r for r in doc["runs"] if r["mode"] == "accuracy")
    assert accuracy["accuracy_metric"] == "acc" and 0 < accuracy["accuracy"] < 100
    errors = {f["id"] for f in doc["validation"]["findings"] if f["severity"] == "error"}
    assert errors == {"package.test-execution", "package.synthetic-assets"}
    scenario = out / "open" / "Toys_R_Us" / "results" / "toy_box" / BENCHMARK / "Offline"
    assert (scenario / "accuracy" / "accuracy.txt").read_text().startswith("accuracy=")
    measurements = json.loads((scenario / "measurements.json").read_text())
    assert measurements["input_data_types"] == "fp32,int64"  # both named inputs
    # the official checker sees only what test execution explains
    verdict = run_official_checker(out, ref.inference_root(), version="v6.1")
    assert not verdict.crashed
    assert ref.unexplained_errors(verdict.errors) == []
