"""`mlperf-tui compare`: the model, the table rows, the CSV and HTML exports, the text plots,
the published-results placement and the command, on a recorded sweep.

The sweep (tests/tui/fixtures/compare/compare-sweep) is a real `mlperf-tui sweep` of the tiny
stand-in: Offline, performance and accuracy, backend.batch_size 1, 8, 32 x
backend.intra_op_threads 1, 2, each point a results folder with its LoadGen logs and its event
stream (big logs trimmed).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlperf_tui import __version__, history
from mlperf_tui.cli import main
from mlperf_tui.compare import (
    TABLE_HEADERS,
    CompareError,
    Comparison,
    csv_text,
    load_comparison,
    short_key,
    table_rows,
    why_no_plot,
)
from mlperf_tui.compare.html import render_html
from mlperf_tui.compare.plots import histogram_plot, metric_plot, throughput_plot
from mlperf_tui.compare.published import parse_published, place, read_published
from mlperf_tui.results import EVENTS, IMPORT_RECORD, RUNS, load_results

SWEEP = Path(__file__).resolve().parents[1] / "tui" / "fixtures" / "compare" / "compare-sweep"


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return load_comparison([str(SWEEP)])


def _points() -> list[Path]:
    """The sweep's points' results folders, in the sweep's order."""
    data = json.loads((SWEEP / "sweep.json").read_text())
    return [SWEEP / p["results"] for p in data["points"]]


# -- the model and its table -----------------------------------------------------------------


def test_the_sweep_is_six_offline_entries_labelled_by_what_differs(
    comparison: Comparison,
) -> None:
    assert comparison.scenarios == ("Offline",)
    assert comparison.differing == ("backend.batch_size", "backend.intra_op_threads")
    assert comparison.swept == comparison.differing
    assert [e.label for e in comparison.entries] == [
        "batch=1 threads=1",
        "batch=1 threads=2",
        "batch=8 threads=1",
        "batch=8 threads=2",
        "batch=32 threads=1",
        "batch=32 threads=2",
    ]
    for entry in comparison.entries:
        assert entry.metric_unit == "samples/s" and entry.metric_value
        assert entry.valid is True and entry.accuracy is not None
        assert entry.histogram is not None and entry.throughput


def test_the_metric_series_follow_the_swept_batch_one_line_per_thread_count(
    comparison: Comparison,
) -> None:
    x_key, series = comparison.metric_series("Offline")
    assert x_key == "backend.batch_size"
    assert [s.label for s in series] == ["threads=1", "threads=2"]
    by_label = {e.label: e.metric_display for e in comparison.entries}
    assert series[0].points == tuple(
        (float(b), by_label[f"batch={b} threads=1"]) for b in (1, 8, 32)
    )


def test_the_best_entry_has_the_highest_throughput_and_only_it_is_marked(
    comparison: Comparison,
) -> None:
    best = comparison.best("Offline")
    assert best is not None
    assert best.metric_display == max(e.metric_display or 0 for e in comparison.entries)
    rows = table_rows(comparison)
    assert [r.entry for r in rows if r.best] == [best]


def test_the_table_rows_hold_the_figures_and_leave_out_what_the_label_says(
    comparison: Comparison,
) -> None:
    rows = table_rows(comparison)
    assert len(rows) == 6
    cells = dict(zip(TABLE_HEADERS, rows[0].cells(), strict=True))
    entry = rows[0].entry
    assert cells["run"] == entry.label
    assert cells["metric"] == entry.metric_text()
    assert cells["validity"] == "VALID"
    assert cells["accuracy"] == entry.accuracy_text()
    assert cells["p99 ms"].replace(",", "").isdigit()
    # the differing settings are the label: no settings column to repeat them
    assert all(r.settings == "" for r in rows)


def test_the_comparison_and_its_drawings_load_no_ui_library_and_no_plotext() -> None:
    """Importing them (as the wizard, the CLI's parser and the TUI do) costs no UI library;
    plotext loads only when a text plot is drawn."""
    code = (
        "import sys\n"
        "import mlperf_tui.compare, mlperf_tui.compare.plots, mlperf_tui.compare.html\n"
        "import mlperf_tui.compare.published\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'plotext'}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- CSV --------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_entry_with_each_differing_setting_and_the_folder(
    comparison: Comparison,
) -> None:
    rows = list(csv.DictReader(io.StringIO(csv_text(comparison))))
    assert [r["run"] for r in rows] == [e.label for e in comparison.entries]
    for row, entry in zip(rows, comparison.entries, strict=True):
        assert row["backend.batch_size"] == str(entry.settings["backend.batch_size"])
        assert row["backend.intra_op_threads"] == str(entry.settings["backend.intra_op_threads"])
        assert Path(row["results_folder"]) == entry.results_folder
        assert float(row["metric_value"]) == pytest.approx(entry.metric_display, rel=1e-5)
        assert float(row["p90_ms"]) == pytest.approx(entry.percentiles_ms["90.00"], rel=1e-5)
        assert row["validity"] == "VALID"
    assert [r["best"] for r in rows].count("yes") == 1


# -- plots ------------------------------------------------------------------------------------


def test_the_text_plots_have_their_titles_axis_labels_and_legends(
    comparison: Comparison,
) -> None:
    metric = metric_plot(comparison, "Offline", 80, 15)
    assert metric is not None
    assert "samples/s by batch" in metric and "batch (log scale)" in metric
    assert "•• threads=1" in metric and "++ threads=2" in metric
    hist = histogram_plot(comparison, "Offline", 80, 15)
    assert hist is not None
    assert "latency (ms, log scale)" in hist and "% of samples" in hist
    assert "batch=32 threads=2" in hist
    curve = throughput_plot(comparison, "Offline", 80, 15)
    assert curve is not None
    assert "seconds since the start" in curve and "samples/s" in curve
    for text in (metric, hist, curve):
        assert "\x1b[" not in text  # plain: no colour unless asked
        assert max(len(line) for line in text.splitlines()) <= 80


def test_a_coloured_plot_uses_the_series_colours_and_the_same_lines(
    comparison: Comparison,
) -> None:
    plain = metric_plot(comparison, "Offline", 80, 15)
    coloured = metric_plot(comparison, "Offline", 80, 15, color=True)
    assert coloured is not None and "\x1b[38;2;31;119;180m" in coloured
    assert metric_plot(comparison, "Offline", 80, 15) == plain  # deterministic


def test_one_results_folder_has_no_metric_plot_and_says_why() -> None:
    single = load_comparison([str(_points()[0])])
    assert single.differing == ()
    assert metric_plot(single, "Offline", 80, 15) is None
    why = why_no_plot(single, "Offline", "metric")
    assert why is not None and "no numeric setting varies" in why
    assert histogram_plot(single, "Offline", 80, 15) is not None


def test_two_runs_that_differ_in_two_settings_have_no_metric_line_to_draw() -> None:
    points = _points()
    pair = load_comparison([str(points[0]), str(points[3])])  # batch 1 x 1 thread, 8 x 2
    assert set(pair.differing) == {"backend.batch_size", "backend.intra_op_threads"}
    x_key, series = pair.metric_series("Offline")
    assert x_key is not None and [len(s.points) for s in series] == [1, 1]
    assert metric_plot(pair, "Offline", 80, 15) is None
    assert f"no two Offline runs differ in {short_key(x_key)} alone" in (
        why_no_plot(pair, "Offline", "metric") or ""
    )


def test_runs_without_an_event_stream_have_no_histogram_or_curve(tmp_path: Path) -> None:
    folder = tmp_path / "point"
    shutil.copytree(_points()[0], folder)
    for events in (folder / RUNS).glob(f"*/{EVENTS}"):
        events.unlink()
    bare = load_comparison([str(folder)])
    assert histogram_plot(bare, "Offline", 80, 15) is None
    assert throughput_plot(bare, "Offline", 80, 15) is None
    assert "streamed no progress" in (why_no_plot(bare, "Offline", "histogram") or "")
    # an imported run's folder carries its import record instead
    (folder / RUNS / "Offline-performance" / IMPORT_RECORD).write_text("{}")
    imported = load_comparison([str(folder)])
    assert why_no_plot(imported, "Offline", "throughput") == (
        "no throughput curve: imported logs have no event stream"
    )


# -- HTML -------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    parser.close()
    return parser


def test_the_html_report_holds_the_table_three_svg_plots_and_the_sources(
    comparison: Comparison,
) -> None:
    page = render_html(comparison)
    parsed = _parse(page)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("svg") == 3
    kinds = {a.get("class") for t, a in parsed.tags if t == "svg"}
    assert kinds == {"plot plot-metric", "plot plot-histogram", "plot plot-throughput"}
    assert tags.count("polyline") >= 2 + 6  # two metric lines, six throughput curves
    assert tags.count("circle") == 6  # the measured points
    assert "<title>MLPerf Inference runs compared</title>" in page
    text = " ".join(parsed.text)
    for entry in comparison.entries:
        assert entry.label in text
        assert str(entry.results_folder) in text
    assert f"by mlperf-tui {__version__}" in text


def test_the_html_report_is_self_contained_and_escapes_what_it_shows(
    comparison: Comparison, tmp_path: Path
) -> None:
    from dataclasses import replace

    hostile = replace(comparison.entries[0], label='<script>alert("x")</script> & co')
    page = render_html(
        replace(comparison, entries=(hostile, *comparison.entries[1:])),
        title="<b>my runs</b>",
    )
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in page
    assert "<title>&lt;b&gt;my runs&lt;/b&gt;</title>" in page
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "img", "iframe", "object")
        for name in ("src", "href"):
            assert attrs.get(name) is None, (tag, attrs)
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page


# -- the published results --------------------------------------------------------------------

#: the header of the submission checker's summary (tools/submission/submission_checker,
#: ResultExporter.head): the CSV the MLCommons results tables are made from
CHECKER_HEADER = (
    "Organization,Availability,Division,SystemType,SystemName,Platform,Model,MlperfModel,"
    "Scenario,Result,Accuracy,number_of_nodes,host_processor_model_name,"
    "host_processors_per_node,host_processor_core_count,accelerator_model_name,"
    "accelerators_per_node,total_accelerators,Location,framework,operating_system,notes,"
    "compliance,errors,version,inferred,has_power,Units,weight_data_types,"
    "design_power_watts,PrivateID"
)


def _checker_row(org: str, system: str, model: str, scenario: str, result: str, units: str) -> str:
    # every value quoted, as ResultExporter.export_row writes them
    values = [
        org, "available", "closed", "datacenter", system, system.replace(" ", "_"), model,
        model, scenario, result, "acc: 76.1", "1", "CPU", "2", "64", "ACC", "8", "8",
        f"closed/{org}/results/x/{model}/{scenario}", "fw", "Linux", "", "closed", "0",
        "v6.1", "0", "False", units, "int8", "", "",
    ]  # fmt: skip
    return ",".join(f'"{v}"' for v in values)


def _checker_csv() -> str:
    """A small table in the checker's summary.csv format: ResNet50 Offline results above,
    between and below the sweep's (1,344 to 5,223 samples/s), a power row, another scenario
    and another benchmark."""
    rows = [
        _checker_row("Acme", "Acme X1 (8x Z)", "resnet", "Offline", "90000.5", "Samples/s"),
        _checker_row("Beta", "Beta 2", "resnet", "Offline", "4000", "Samples/s"),
        _checker_row("Beta", "Beta 2", "resnet", "Offline", "350.2", "Watts"),
        _checker_row("Gamma", "G1", "resnet", "Offline", "1000", "Samples/s"),
        _checker_row("Gamma", "G1", "resnet", "Server", "800", "Queries/s"),
        _checker_row("Delta", "D", "bert-99", "Offline", "12000", "Samples/s"),
    ]
    return "\n".join([CHECKER_HEADER, *rows]) + "\n"


def test_the_checker_summary_is_read_with_its_units_and_power_rows_kept_apart() -> None:
    rows = parse_published(_checker_csv())
    assert len(rows) == 6
    assert rows[0].organization == "Acme" and rows[0].benchmark == "resnet"
    assert rows[0].value == 90000.5 and rows[0].units == "Samples/s"
    assert rows[0].who == "Acme X1 (8x Z)"  # the system name already says who


def test_each_entry_is_ranked_among_the_same_benchmark_scenario_and_unit(
    comparison: Comparison,
) -> None:
    placements = place(comparison, parse_published(_checker_csv()))
    by_label = {p.entry.label: p for p in placements}
    best = by_label["batch=32 threads=1"]  # 5,223 samples/s: after Acme, before Beta
    assert best.rank == 2 and best.units == "Samples/s"
    assert [r.organization for r in best.results] == ["Acme", "Beta", "Gamma"]
    assert best.text() == (
        "2nd of 4 Offline resnet results (3 published and this run); "
        "the best: 90,000.5 Samples/s by Acme X1 (8x Z)"
    )
    slowest = by_label["batch=1 threads=2"]  # 1,344 samples/s: above Gamma's 1,000
    assert slowest.rank == 3


def test_another_benchmark_or_unit_is_not_ranked_and_the_placement_says_why(
    comparison: Comparison,
) -> None:
    only_bert = parse_published(
        "\n".join([CHECKER_HEADER, _checker_row("D", "D", "bert-99", "Offline", "1", "Samples/s")])
    )
    placement = place(comparison, only_bert)[0]
    assert placement.rank is None
    assert placement.text() == "not placed: the published results have no Offline resnet result"
    tokens = parse_published(
        "\n".join([CHECKER_HEADER, _checker_row("T", "T", "resnet", "Offline", "9", "Tokens/s")])
    )
    placement = place(comparison, tokens)[0]
    assert placement.rank is None and "the units differ" in placement.text()
    assert "Tokens/s" in placement.text()


def test_the_final_report_layout_and_header_variants_are_read() -> None:
    """generate_final_report.py renames the checker's columns (Submitter, System, Model is
    the official name and UsedModel the folder's, Performance_Result/_Units)."""
    text = (
        "\ufeffID,Submitter,Availability,Category,Suite,System,Platform,UsedModel,Model,"
        "Scenario,Accuracy,Performance_Result,Performance_Units\n"
        "6.1-0001,Acme,available,closed,datacenter,Acme X1,X1,resnet50,resnet,offline,"
        '"acc: 76.1","12,345.6",Samples/s\n'
    )
    (row,) = parse_published(text)
    assert (row.organization, row.system, row.division) == ("Acme", "Acme X1", "closed")
    assert (row.benchmark, row.used_model) == ("resnet", "resnet50")
    assert (row.scenario, row.value, row.units) == ("Offline", 12345.6, "Samples/s")
    spaced = "Organization,System Name,MLPerf Model,scenario,RESULT,units\nA,S,resnet,Offline,5,Samples/s\n"
    assert parse_published(spaced)[0].system == "S"


def test_a_table_without_the_needed_columns_names_them(tmp_path: Path) -> None:
    bad = tmp_path / "results.csv"
    bad.write_text("Organization,System,Score\nA,B,3\n")
    with pytest.raises(CompareError) as caught:
        read_published(bad)
    assert "MlperfModel, Model or UsedModel" in caught.value.message
    assert "Result or Performance_Result" in caught.value.message
    assert "Scenario" in caught.value.fix
    with pytest.raises(CompareError, match="does not exist"):
        read_published(tmp_path / "nothing.csv")


def test_the_html_report_places_the_runs_among_the_published_ones(
    comparison: Comparison,
) -> None:
    page = render_html(comparison, published=place(comparison, parse_published(_checker_csv())))
    assert "Among the published results" in page
    assert "Offline resnet (Samples/s): 3 published results" in page
    assert page.count('class="ours"') == 6


# -- the command ------------------------------------------------------------------------------


def test_compare_prints_the_table_and_the_plots(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(SWEEP)]) == 0
    out = capsys.readouterr().out
    assert "Offline: 6 runs compared" in out
    assert "batch=32 threads=1" in out and "★" in out
    assert "samples/s by batch" in out
    assert "latency histograms" in out and "throughput over time" in out
    assert max(len(line) for line in out.splitlines()) <= 80  # capsys: an 80-column console


def test_compare_no_plots_shows_the_table_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(_points()[0]), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "Offline: 1 run" in out and "VALID" in out
    assert "latency histograms" not in out


def test_compare_writes_the_csv_and_html_and_refuses_to_replace_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table, report = tmp_path / "runs.csv", tmp_path / "runs.html"
    args = ["compare", str(SWEEP), "--no-plots", "--csv", str(table), "--html", str(report)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"CSV: {table}" in out and f"HTML report: {report}" in out
    assert len(list(csv.DictReader(table.open()))) == 6
    assert "<svg" in report.read_text()
    table.write_text("mine")
    assert main(args) == 3
    err = capsys.readouterr().err
    assert f"error: {table} exists" in err and "--force" in err and "Traceback" not in err
    assert table.read_text() == "mine"
    assert main([*args, "--force"]) == 0
    assert table.read_text().startswith("run,scenario,")


def test_compare_json_has_the_entries_differing_swept_and_best(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["compare", str(SWEEP), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["entries"]) == 6
    assert data["differing"] == ["backend.batch_size", "backend.intra_op_threads"]
    assert data["swept"] == data["differing"]
    assert data["best"] == {"Offline": "batch=32 threads=1"}
    first = data["entries"][0]
    assert first["settings"]["backend.batch_size"] == 1 and "90.00" in first["percentiles_ms"]


def test_compare_places_the_runs_given_a_published_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "summary.csv"
    table.write_text(_checker_csv())
    assert main(["compare", str(SWEEP), "--no-plots", "--published", str(table)]) == 0
    out = capsys.readouterr().out
    assert "Among the published results" in out
    assert "2nd of 4 Offline resnet results" in out
    assert main(["compare", str(SWEEP), "--json", "--published", str(table)]) == 0
    published = json.loads(capsys.readouterr().out)["published"]
    assert [p["rank"] for p in published] == [3, 3, 3, 3, 2, 3]  # Acme and Beta above
    assert published[0]["of"] == 4 and published[0]["units"] == "Samples/s"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no-such-thing", "is neither a folder nor a history id"),
        ("#4242", "no entry 4242"),
    ],
)
def test_compare_of_something_that_is_no_run_says_what_to_do(
    target: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", target]) == 3
    err = capsys.readouterr().err
    assert message in err and "fix:" in err and "Traceback" not in err


def test_compare_of_a_folder_that_is_not_results_says_what_to_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert "is not a results folder" in err and "fix:" in err


def test_compare_of_a_damaged_results_folder_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "point"
    shutil.copytree(_points()[0], folder)
    (folder / "summary.json").write_text("{not json")
    assert main(["compare", str(folder)]) == 3
    err = capsys.readouterr().err
    assert str(folder) in err and "fix:" in err and "Traceback" not in err


def test_compare_of_history_ids_and_of_one_whose_folder_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    shutil.copytree(_points()[0], kept)
    shutil.copytree(_points()[4], gone)
    kept_ids = history.record_results(load_results(kept))
    gone_ids = history.record_results(load_results(gone))
    perf = next(i for i in kept_ids if history.get(i).mode == "performance")
    assert main(["compare", f"#{perf}", str(gone), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "Offline: 2 runs compared" in out
    shutil.rmtree(gone)
    assert main(["compare", str(gone_ids[0])]) == 3
    err = capsys.readouterr().err
    assert "no longer exists" in err and "fix:" in err


def test_compare_tui_needs_a_terminal_and_takes_no_exports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["compare", str(SWEEP), "--tui"]) == 5  # pytest's stdin is no terminal
    assert "needs an interactive terminal" in capsys.readouterr().err
    assert main(["compare", str(SWEEP), "--tui", "--json"]) == 2
    assert "--tui does not go with --json" in capsys.readouterr().err
