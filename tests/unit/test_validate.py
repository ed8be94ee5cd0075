"""The validator on a good package built from real LoadGen runs, and on that package corrupted
in one way per test: each corruption must be reported with its specific check id."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import package_fixtures as fx

from mlperf_tui.validate import CheckResult, errors, to_json, tree_complete, validate

#: the good closed package has no warning at all; the test package (open, synthetic assets,
#: runs from the fixture's worker, which writes no RUN.json) has one: the model file of its runs
#: is not known, so its input data types are not either (measurements.undetermined)
FIXTURE_WARNINGS: set[str] = set()
TEST_PACKAGE_WARNINGS = {"measurements.undetermined"}


def check(package: Path) -> list[CheckResult]:
    return validate(package, rules_round=fx.fixture_rules())


def without_fixture_warnings(
    results: list[CheckResult], known: set[str] = FIXTURE_WARNINGS
) -> list[CheckResult]:
    return [r for r in results if not (r.severity == "warning" and r.id in known)]


def ids(results: list[CheckResult], severity: str = "error") -> set[str]:
    return {r.id for r in results if r.severity == severity}


def base(package: Path) -> Path:
    return package / "closed" / fx.SUBMITTER


def scenario_dir(package: Path, scenario: str) -> Path:
    return next((base(package) / "results").glob(f"*/resnet/{scenario}"))


def system_json(package: Path) -> Path:
    return next((base(package) / "systems").glob("*.json"))


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def set_log_value(path: Path, key: str, value: Any) -> None:
    """Rewrite every :::MLLOG line of ``key`` in a detail log with ``value``."""
    out = []
    found = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":::MLLOG ") and f'"key": "{key}"' in line:
            record = json.loads(line[len(":::MLLOG ") :])
            record["value"] = value
            line = ":::MLLOG " + json.dumps(record)
            found = True
        out.append(line)
    assert found, f"{key} not in {path}"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def perf_detail(package: Path, scenario: str = "Offline") -> Path:
    return scenario_dir(package, scenario) / "performance" / "run_1" / "mlperf_log_detail.txt"


# -- the good package --------------------------------------------------------------------------


def test_good_package_has_no_finding_at_all(good: dict[str, Path]) -> None:
    results = check(good["closed"])
    assert ids(results, "warning") == FIXTURE_WARNINGS
    rest = without_fixture_warnings(results)
    assert rest == [], "\n".join(f"{r.id} {r.path}: {r.message}" for r in rest)


def test_good_package_under_the_real_rules_only_misses_the_duration(good: dict[str, Path]) -> None:
    # the fixture's runs last 200 ms, not 600 s: that is the one rule they do not meet, and a
    # package that claims valid execution is not excused
    results = errors(validate(good["closed"]))
    assert ids(results) == {"log.min-duration"}
    assert all("600000" in r.message for r in results)


def test_test_and_synthetic_package_says_precisely_why_and_nothing_else(
    good: dict[str, Path],
) -> None:
    everything = validate(good["test"])
    assert ids(everything, "warning") <= TEST_PACKAGE_WARNINGS
    results = without_fixture_warnings(everything, TEST_PACKAGE_WARNINGS)
    assert {r.id for r in results} == {"package.test-execution", "package.synthetic-assets"}
    assert all(r.severity == "error" for r in results)
    test = next(r for r in results if r.id == "package.test-execution")
    assert "min_duration is 200 ms" in test.message
    assert tree_complete(results)
    assert not tree_complete([*check(good["closed"]), CheckResult("x", "error", "", "", "")])


def test_test_package_still_reports_what_test_execution_does_not_explain(
    good: dict[str, Path], tmp_path: Path
) -> None:
    package = fx.copy_tree(good["test"], tmp_path / "pkg")
    detail = next(package.glob("open/*/results/*/resnet/Offline/performance/run_1/*detail.txt"))
    set_log_value(detail, "effective_qsl_rng_seed", 1)
    assert "log.seed-mismatch" in ids(validate(package))


def test_json_output_round_trips(good: dict[str, Path]) -> None:
    doc = json.loads(to_json(validate(good["test"])))
    assert doc["ok"] is False
    assert doc["counts"]["error"] == 2
    assert {r["id"] for r in doc["results"]} - TEST_PACKAGE_WARNINGS == {
        "package.test-execution",
        "package.synthetic-assets",
    }


# -- one corruption each -----------------------------------------------------------------------


def test_removed_file(pkg: Path) -> None:
    (scenario_dir(pkg, "Offline") / "performance" / "run_1" / "mlperf_log_summary.txt").unlink()
    assert "tree.missing-file" in ids(check(pkg))


def test_empty_file(pkg: Path) -> None:
    (scenario_dir(pkg, "SingleStream") / "user.conf").write_text("", encoding="utf-8")
    assert "tree.empty-file" in ids(check(pkg))


def test_invalid_run(pkg: Path) -> None:
    set_log_value(perf_detail(pkg), "result_validity", "INVALID")
    results = check(pkg)
    assert "log.invalid-run" in ids(results)


def test_summary_says_invalid(pkg: Path) -> None:
    summary = perf_detail(pkg).with_name("mlperf_log_summary.txt")
    summary.write_text(
        summary.read_text(encoding="utf-8").replace("Result is : VALID", "Result is : INVALID"),
        encoding="utf-8",
    )
    assert "log.invalid-run" in ids(check(pkg))


def test_loadgen_error_line(pkg: Path) -> None:
    detail = perf_detail(pkg, "SingleStream")
    record = {
        "key": "error_runtime",
        "value": "Ending early: Ran out of generated queries to issue",
        "time_ms": 1.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": {"is_error": True, "is_warning": False, "file": "loadgen.cc"},
    }
    with detail.open("a", encoding="utf-8") as fh:
        fh.write(":::MLLOG " + json.dumps(record) + "\n")
    results = check(pkg)
    assert "log.loadgen-error" in ids(results)
    assert any("Ran out of generated queries" in r.message for r in results)


def test_loadgen_error_in_accuracy_log(pkg: Path) -> None:
    detail = scenario_dir(pkg, "Offline") / "accuracy" / "mlperf_log_detail.txt"
    record = {"key": "error_invalid_config", "value": "bad", "metadata": {"is_error": True}}
    with detail.open("a", encoding="utf-8") as fh:
        fh.write(":::MLLOG " + json.dumps(record) + "\n")
    assert "log.loadgen-error" in ids(check(pkg))


def test_truncated_detail_log(pkg: Path) -> None:
    detail = perf_detail(pkg)
    with detail.open("a", encoding="utf-8") as fh:
        fh.write(':::MLLOG {"key": "result_validity", "val\n')
    assert "log.unreadable" in ids(check(pkg))


def test_empty_system_field(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(cooling=""))
    results = check(pkg)
    assert "system.empty-field" in ids(results)
    assert any("cooling" in r.message for r in results)


def test_integer_zero_for_a_string_field(pkg: Path) -> None:
    # the official checker tests the value's truth: the number 0 reads as no answer there
    edit_json(system_json(pkg), lambda d: d.update(host_processors_per_node=0))
    results = check(pkg)
    assert "system.wrong-type" in ids(results)
    assert any('"0"' in r.fix for r in results if r.id == "system.wrong-type")


def test_counts_written_as_json_numbers_are_accepted(pkg: Path) -> None:
    # as published submissions write them (and the official checker accepts them)
    edit_json(
        system_json(pkg),
        lambda d: d.update(
            number_of_nodes=1,
            accelerators_per_node=8,
            host_processors_per_node=2,
            host_processor_core_count=64,
        ),
    )
    results = without_fixture_warnings(check(pkg))
    assert results == [], [(r.id, r.message) for r in results]


def test_a_count_that_is_no_number(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(number_of_nodes="two"))
    results = check(pkg)
    assert "system.not-a-number" in ids(results)
    assert any("number_of_nodes" in r.message for r in results if r.id == "system.not-a-number")


def test_accelerators_na_stops_the_checkers_table(pkg: Path) -> None:
    # results.py multiplies number_of_nodes by accelerators_per_node with int()
    edit_json(system_json(pkg), lambda d: d.update(accelerators_per_node="N/A"))
    assert "system.not-a-number" in ids(check(pkg))


def test_a_count_with_words_around_it_is_a_warning(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(host_processor_core_count="2 (big); 4 (LITTLE)"))
    results = check(pkg)
    assert "system.not-a-number" in ids(results, "warning")
    assert "system.not-a-number" not in ids(results)


def test_a_number_in_a_text_field(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(host_memory_capacity=512))
    results = check(pkg)
    assert "system.wrong-type" in ids(results, "warning")  # accepted by the checker
    edit_json(system_json(pkg), lambda d: d.update(host_processor_model_name=9654))
    assert "system.wrong-type" in ids(check(pkg))  # the checkers join it as text


def test_a_brand_only_cpu_name_is_a_warning_with_a_fix(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(host_processor_model_name="AMD EPYC"))
    results = check(pkg)
    found = [r for r in results if r.id == "system.generic-cpu-name"]
    assert found and all(r.severity == "warning" for r in found)
    assert "AMD EPYC 9654" in found[0].fix
    edit_json(system_json(pkg), lambda d: d.update(host_processor_model_name="AMD EPYC 9654"))
    assert "system.generic-cpu-name" not in {r.id for r in check(pkg)}


def test_files_the_checker_tolerates_in_a_run_folder(pkg: Path) -> None:
    # LoadGen writes mlperf_log_trace.json beside its logs; files_diff always tolerates it
    for run in (
        perf_detail(pkg).parent,
        scenario_dir(pkg, "Offline") / "TEST04" / "performance" / "run_1",
    ):
        (run / "mlperf_log_trace.json").write_text("", encoding="utf-8")
    assert without_fixture_warnings(check(pkg)) == []


def test_a_power_folder_needs_its_files(pkg: Path) -> None:
    (scenario_dir(pkg, "Offline") / "performance" / "power").mkdir()
    results = check(pkg)
    missing = {r.path.rsplit("/", 1)[-1] for r in results if r.id == "tree.missing-file"}
    assert {"spl.txt", "server.json", "client.json"} <= missing
    assert "tree.missing-folder" in ids(results)  # performance/ranging


def test_missing_system_field(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.pop("hw_notes"))
    assert "system.missing-field" in ids(check(pkg))


def test_invalid_status(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(status="for sale"))
    assert "system.invalid-value" in ids(check(pkg))


def test_division_name_mismatch(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(division="open"))
    assert "system.division-mismatch" in ids(check(pkg))


def test_submitter_mismatch(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(submitter="Someone_Else"))
    assert "system.submitter-mismatch" in ids(check(pkg))


def test_unreadable_systems_json(pkg: Path) -> None:
    system_json(pkg).write_text("{not json", encoding="utf-8")
    assert "system.unreadable" in ids(check(pkg))


def test_wrong_seed(pkg: Path) -> None:
    set_log_value(perf_detail(pkg), "effective_schedule_rng_seed", 12345)
    results = check(pkg)
    assert "log.seed-mismatch" in ids(results)
    assert any("schedule_rng_seed 12345" in r.message for r in results)


def test_short_duration(pkg: Path) -> None:
    set_log_value(perf_detail(pkg, "SingleStream"), "effective_min_duration_ms", 100)
    assert "log.min-duration" in ids(check(pkg))


def test_performance_sample_count_wrong(pkg: Path) -> None:
    set_log_value(perf_detail(pkg), "effective_performance_sample_count", 512)
    assert "log.performance-sample-count" in ids(check(pkg))


def test_offline_minimum_unmet(pkg: Path) -> None:
    set_log_value(perf_detail(pkg), "effective_samples_per_query", 1000)
    assert "log.offline-min-samples" in ids(check(pkg))


def test_early_stopping_not_met(pkg: Path) -> None:
    set_log_value(perf_detail(pkg, "SingleStream"), "early_stopping_met", False)
    assert "log.early-stopping" in ids(check(pkg))


def test_accuracy_log_in_performance_folder(pkg: Path) -> None:
    shutil.copyfile(
        scenario_dir(pkg, "Offline") / "accuracy" / "mlperf_log_detail.txt", perf_detail(pkg)
    )
    assert "log.mode-mismatch" in ids(check(pkg))


def test_accuracy_log_too_large(pkg: Path, good: dict[str, Path]) -> None:
    full = good["closed_results"] / "runs" / "Offline-accuracy" / "mlperf_log_accuracy.json"
    shutil.copyfile(full, scenario_dir(pkg, "Offline") / "accuracy" / "mlperf_log_accuracy.json")
    assert "accuracy.log-too-large" in ids(check(pkg))


def test_missing_hash(pkg: Path) -> None:
    txt = scenario_dir(pkg, "SingleStream") / "accuracy" / "accuracy.txt"
    kept = [ln for ln in txt.read_text(encoding="utf-8").splitlines() if not ln.startswith("hash=")]
    txt.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert "accuracy.hash-missing" in ids(check(pkg))


def test_hash_of_another_log(pkg: Path) -> None:
    acc = scenario_dir(pkg, "Offline") / "accuracy"
    # a small, untruncated log whose hash the validator can recompute
    (acc / "mlperf_log_accuracy.json").write_text(
        '[\n{ "seq_id" : 0, "qsl_idx" : 1, "data" : "00000000" }\n]\n', encoding="utf-8"
    )
    assert "accuracy.hash-mismatch" in ids(check(pkg))


def test_accuracy_below_target_in_closed(pkg: Path) -> None:
    txt = scenario_dir(pkg, "Offline") / "accuracy" / "accuracy.txt"
    txt.write_text(
        txt.read_text(encoding="utf-8").replace("accuracy=100.000%", "accuracy=70.000%"),
        encoding="utf-8",
    )
    assert "accuracy.below-target" in ids(check(pkg))


def test_accuracy_metric_missing(pkg: Path) -> None:
    txt = scenario_dir(pkg, "Offline") / "accuracy" / "accuracy.txt"
    kept = [ln for ln in txt.read_text(encoding="utf-8").splitlines() if ln.startswith("hash=")]
    txt.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert "accuracy.metric-missing" in ids(check(pkg))


def test_accuracy_not_on_the_whole_data_set(pkg: Path) -> None:
    detail = scenario_dir(pkg, "SingleStream") / "accuracy" / "mlperf_log_detail.txt"
    set_log_value(detail, "qsl_reported_total_count", 500)
    set_log_value(detail, "effective_accuracy_sample_count", 500)
    assert "accuracy.dataset-size" in ids(check(pkg))


def test_missing_measurements_key(pkg: Path) -> None:
    edit_json(
        scenario_dir(pkg, "Offline") / "measurements.json", lambda d: d.pop("weight_data_types")
    )
    assert "measurements.missing-field" in ids(check(pkg))


def test_empty_measurements_value(pkg: Path) -> None:
    edit_json(scenario_dir(pkg, "Offline") / "measurements.json", lambda d: d.update(retraining=""))
    assert "measurements.empty-field" in ids(check(pkg))


def test_wrong_scenario_folder_name(pkg: Path) -> None:
    folder = scenario_dir(pkg, "Offline")
    folder.rename(folder.with_name("offline"))
    results = check(pkg)
    assert "tree.unknown-scenario" in ids(results)
    assert "tree.missing-scenario" in ids(results)
    assert any('wants "Offline"' in r.message for r in results)


def test_missing_required_scenario(pkg: Path) -> None:
    shutil.rmtree(scenario_dir(pkg, "MultiStream"))
    assert "tree.missing-scenario" in ids(check(pkg))


def test_missing_compliance_folder_in_closed(pkg: Path) -> None:
    shutil.rmtree(scenario_dir(pkg, "Offline") / "TEST04")
    assert "compliance.missing-test" in ids(check(pkg))


def test_failed_compliance_verification(pkg: Path) -> None:
    verify = scenario_dir(pkg, "SingleStream") / "TEST04" / "verify_performance.txt"
    verify.write_text(
        verify.read_text(encoding="utf-8").replace("TEST PASS", "TEST FAIL"), encoding="utf-8"
    )
    assert "compliance.failed" in ids(check(pkg))


def test_missing_compliance_file(pkg: Path) -> None:
    (scenario_dir(pkg, "Offline") / "TEST01" / "verify_accuracy.txt").unlink()
    assert "compliance.missing-file" in ids(check(pkg))


def test_extra_file_in_compliance_run(pkg: Path) -> None:
    run = scenario_dir(pkg, "Offline") / "TEST04" / "performance" / "run_1"
    (run / "notes.txt").write_text("x", encoding="utf-8")
    assert "compliance.file-list" in ids(check(pkg))


def test_wrong_seed_in_compliance_run(pkg: Path) -> None:
    detail = scenario_dir(pkg, "Offline") / "TEST01" / "performance" / "run_1"
    set_log_value(detail / "mlperf_log_detail.txt", "effective_qsl_rng_seed", 7)
    results = check(pkg)
    assert any(r.id == "log.seed-mismatch" and "TEST01" in r.path for r in results)


def test_inference_needs_an_edge_system(pkg: Path) -> None:
    edit_json(system_json(pkg), lambda d: d.update(system_type="datacenter"))
    assert "log.inference-not-allowed" in ids(check(pkg))


def test_inferred_multistream_without_the_estimate(pkg: Path) -> None:
    set_log_value(perf_detail(pkg, "MultiStream"), "early_stopping_latency_ms", 0)
    assert "log.inferred-estimate-missing" in ids(check(pkg))


def test_unknown_benchmark_folder(pkg: Path) -> None:
    folder = next((base(pkg) / "results").glob("*/resnet"))
    folder.rename(folder.with_name("resnet-50"))
    assert "tree.unknown-benchmark" in ids(check(pkg))


def test_missing_systems_json(pkg: Path) -> None:
    system_json(pkg).unlink()
    assert "tree.missing-file" in ids(check(pkg))


def test_missing_src_folder(pkg: Path) -> None:
    shutil.rmtree(base(pkg) / "src")
    assert "tree.missing-folder" in ids(check(pkg))


def test_misspelled_division_folder(pkg: Path) -> None:
    (pkg / "closed").rename(pkg / "Closed")
    results = check(pkg)
    assert "tree.unknown-division" in ids(results)
    assert "tree.missing-folder" in ids(results)


def test_missing_package_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    results = check(tmp_path / "nowhere")
    assert [r.id for r in results] == ["tree.missing-folder"]
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert [r.id for r in check(tmp_path / "a-file")] == ["tree.missing-folder"]


def test_broken_trees_never_crash(pkg: Path) -> None:
    # remove half of everything: every finding, no exception
    for path in sorted(pkg.rglob("*"), key=lambda p: len(p.parts), reverse=True)[::2]:
        if path.is_file():
            path.unlink()
    results = check(pkg)
    assert errors(results)


# -- what the results repository and the legacy checker refuse ---------------------------------


def test_repository_hygiene(pkg: Path) -> None:
    src = base(pkg) / "src"
    (src / "dangling.txt").symlink_to("nowhere.txt")
    (src / ".notes").write_text("x\n", encoding="utf-8")
    (src / "my notes.txt").write_text("x\n", encoding="utf-8")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (src / "empty").mkdir()
    (pkg / "notes.txt").write_text("x\n", encoding="utf-8")
    (pkg / "README.md").write_text("# ok at the root\n", encoding="utf-8")
    found = {(r.id, r.path.rsplit("/", 1)[-1]) for r in errors(check(pkg))}
    assert {
        ("tree.symlink", "dangling.txt"),
        ("tree.hidden-name", ".notes"),
        ("tree.space-in-name", "my notes.txt"),
        ("tree.extra-file", "__pycache__"),
        ("tree.empty-folder", "empty"),
        ("tree.extra-file", "notes.txt"),
    } <= found
    assert not any(path == "README.md" for _, path in found)


def test_hidden_names_and_links_at_the_package_root(pkg: Path, tmp_path: Path) -> None:
    (pkg / ".DS_Store").write_bytes(b"\0")
    (pkg / ".git").mkdir()
    (pkg / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (pkg / "README.md").symlink_to(system_json(pkg))
    (pkg / "my notes").mkdir()
    (pkg / "my notes" / "x.md").write_text("x\n", encoding="utf-8")
    found = {(r.id, r.path) for r in errors(check(pkg))}
    assert {
        ("tree.hidden-name", ".DS_Store"),
        ("tree.hidden-name", ".git"),
        ("tree.symlink", "README.md"),
        ("tree.space-in-name", "my notes"),
    } <= found
    assert not any(path.startswith(".git/") for _, path in found)  # not looked into


def test_a_linked_division_folder_is_reported_and_not_followed(pkg: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(pkg / "closed"), elsewhere)
    (pkg / "closed").symlink_to(elsewhere, target_is_directory=True)
    results = errors(check(pkg))
    assert ("tree.symlink", "closed") in {(r.id, r.path) for r in results}
    assert "outside the package" in next(r.message for r in results if r.id == "tree.symlink")
    # not followed: to the checks, the package has no closed/ folder
    assert ("tree.missing-folder", "") in {(r.id, r.path) for r in results}
    assert not any(r.path.startswith("closed/") for r in results)


def test_a_log_linked_from_outside_is_an_error_and_never_read(
    pkg: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    import builtins
    import io
    import os

    log = perf_detail(pkg)
    outside = tmp_path / "outside-detail.txt"
    shutil.copyfile(log, outside)
    log.unlink()
    log.symlink_to(outside)
    opened: list[str] = []
    real_open = io.open

    def recording_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)):
            opened.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", recording_open)
    monkeypatch.setattr(builtins, "open", recording_open)
    results = errors(check(pkg))
    monkeypatch.undo()
    link = [r for r in results if r.id == "tree.symlink"]
    assert [r.path.rsplit("/", 1)[-1] for r in link] == ["mlperf_log_detail.txt"]
    assert "outside the package" in link[0].message
    assert str(outside) not in opened


def test_files_over_50_mb_anywhere_and_never_through_a_link(pkg: Path, tmp_path: Path) -> None:
    hidden = base(pkg) / "src" / ".cache"
    hidden.mkdir()
    with (hidden / "weights.bin").open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: no disk used
    big_outside = tmp_path / "model.onnx"
    with big_outside.open("wb") as fh:
        fh.truncate(60 * 1024 * 1024)
    (base(pkg) / "src" / "model.onnx").symlink_to(big_outside)
    results = errors(check(pkg))
    large = [r for r in results if r.id == "tree.file-too-large"]
    assert [r.path.rsplit("/", 1)[-1] for r in large] == ["weights.bin"]
    assert "50 MB" in large[0].message
    assert ("tree.symlink", "model.onnx") in {(r.id, r.path.rsplit("/", 1)[-1]) for r in results}


def test_counts_written_as_strings_of_digits_are_accepted(pkg: Path) -> None:
    edit_json(
        system_json(pkg),
        lambda d: d.update(
            number_of_nodes="1",
            accelerators_per_node="8",
            host_processors_per_node="2",
            host_processor_core_count="64",
        ),
    )
    results = without_fixture_warnings(check(pkg))
    assert results == [], [(r.id, r.message) for r in results]


def test_every_count_field_that_says_two_is_an_error(pkg: Path) -> None:
    fields = (
        "number_of_nodes",
        "host_processors_per_node",
        "host_processor_core_count",
        "accelerators_per_node",
    )
    edit_json(system_json(pkg), lambda d: d.update(dict.fromkeys(fields, "two")))
    found = [r.message for r in errors(check(pkg)) if r.id == "system.not-a-number"]
    for name in fields:
        assert any(name in message for message in found), (name, found)


def test_sockets_with_words_stop_the_final_report(pkg: Path) -> None:
    # generate_final_report.py does int(x["host_processors_per_node"])
    edit_json(system_json(pkg), lambda d: d.update(host_processors_per_node="2 sockets"))
    assert "system.not-a-number" in ids(check(pkg))


def test_extra_file_in_accuracy_folder(pkg: Path) -> None:
    (scenario_dir(pkg, "Offline") / "accuracy" / "notes.txt").write_text("x", encoding="utf-8")
    assert "tree.extra-file" in ids(check(pkg))


def test_systems_json_without_results(pkg: Path) -> None:
    shutil.copyfile(system_json(pkg), system_json(pkg).with_name("spare_box.json"))
    assert "tree.unused-system" in ids(check(pkg))


def test_is_network_false_still_asks_for_the_network_fields(pkg: Path) -> None:
    # the official checker tests the value's truth: the string "false" is true to it
    edit_json(system_json(pkg), lambda d: d.update(is_network="false"))
    results = check(pkg)
    found = [r for r in errors(results) if r.id == "system.missing-field"]
    assert found and "network_type" in found[0].message and 'remove "is_network"' in found[0].fix


def test_infinite_numbers_are_findings_not_a_crash(good: dict[str, Path], tmp_path: Path) -> None:
    """JSON allows Infinity; int() of it raises OverflowError, which must not escape."""
    pkg = fx.copy_tree(good["closed"], tmp_path / "pkg")
    edit_json(system_json(pkg), lambda d: d.update(number_of_nodes=float("inf")))
    set_log_value(
        scenario_dir(pkg, "Offline") / "performance" / "run_1" / "mlperf_log_detail.txt",
        "effective_min_duration_ms",
        float("inf"),
    )
    results = check(pkg)
    assert "system.not-a-number" in ids(results)
    assert "internal.check-failed" not in ids(results)
