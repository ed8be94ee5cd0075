"""``mlperf-tui import``: another harness's LoadGen logs become a results folder that packages
and validates, and a bad import is refused with the reason and nothing written.

The logs are written as a LoadGen of the round writes them (``tests/corpus``), in a harness's
two layouts: flat folders per run, and a submission-like tree (performance/run_1, accuracy/,
TEST0x/ with the verification scripts' output). No LoadGen runs here (tests/e2e has that).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from corpus import mllog, parts, trees
from corpus.mllog import Run

from mlperf_tui import rules
from mlperf_tui.cli import main
from mlperf_tui.errors import ExitCode
from mlperf_tui.importer import (
    ImportRefused,
    ImportRequest,
    import_logs,
    import_profile,
    plan_import,
)
from mlperf_tui.package import build_package
from mlperf_tui.results import IMPORT_RECORD, load_results
from mlperf_tui.rules.model import Benchmark, Category, Division, Round, Scenario
from mlperf_tui.validate import validate

ROUND = rules.get_round("v6.1")


# -- building a harness's output -------------------------------------------------------------


def _value_line(metric: str, value: float, count: int) -> str | None:
    """accuracy.txt's line for one metric, as its reference script prints it (None: a key of
    the one-dict line)."""
    lines = {
        "acc": f"accuracy={value:.3f}%, good={round(value * count / 100)}, total={count}",
        "mAP": f"mAP={value:.3f}%",
        "AUC": f"AUC={value:.5f}",
        "DLRM_NE": f"metric/lifetime_ne/rating: {value:.5f}",
        "DLRM_ACC": f"metric/lifetime_accuracy/rating: {value:.5f}",
        "DLRM_AUC": f"metric/lifetime_gauc/rating: {value:.5f}",
        "bleu": f"BLEU: {value:.4f}",
        "F1": f'{{"exact_match": 83.0, "f1": {value:.5f}}}',
        "DICE": f"Accuracy: mean = {value:.5f}, kidney = 0.9, tumor = 0.8",
        "ACCURACY": f"Word Error Rate: {100 - value:.4f}%, accuracy={value:.4f}%",
        "WER": f"Word Error Rate: {100 - value:.4f}%, accuracy={value:.4f}%",
        "E2E_ACCURACY": f"Accuracy: {value:.5f}",
        "F1_HIERARCHICAL": f'{{"f1": {value:.5f}}}',
    }
    return lines.get(metric)


#: the keys of the LLM and text-to-image scripts' one Python dict
_DICT_KEYS = {
    "ROUGE1": "rouge1",
    "ROUGE2": "rouge2",
    "ROUGEL": "rougeL",
    "ROUGELSUM": "rougeLsum",
    "GEN_LEN": "gen_len",
    "TOKENS_PER_SAMPLE": "tokens_per_sample",
    "CLIP_SCORE": "CLIP_SCORE",
    "FID_SCORE": "FID_SCORE",
    "exact_match": "exact_match",
    "gsm8k_accuracy": "gsm8k",
    "mbxp_accuracy": "mbxp",
    "vbench_score": "vbench_score",
    "meanAcc": "mean-accuracy",
}


def accuracy_text(bench: Benchmark, scenario: Scenario) -> str:
    """A harness's accuracy.txt that passes every gate of the benchmark (no hash= yet)."""
    count = bench.accuracy_samples(scenario)
    lines: list[str] = []
    one: dict[str, Any] = {}
    for target in bench.accuracy_for(scenario):
        value = parts.passing_value(target)
        line = _value_line(target.metric, value, count)
        if line is not None:
            lines.append(line)
        else:
            key = _DICT_KEYS[target.metric]
            one[key] = int(value) if target.metric == "GEN_LEN" else round(value, 4)
    if one:
        lines.append(repr(one))
    return "\n".join(lines) + "\n"


def scenarios_for(bench: Benchmark, category: Category, division: Division) -> list[Scenario]:
    needed = list(rules.required_scenarios(bench, category))
    one_of = rules.required_one_of(bench, category)
    if one_of:
        needed.append(one_of[0])
    if not needed:
        needed = [rules.allowed_scenarios(bench, category, division)[0]]
    return needed


def harness_tree(
    dest: Path, bench: Benchmark, division: str = "closed", category: str | None = None
) -> tuple[Path, Category, list[Scenario]]:
    """A harness's output as a submission-like tree, accuracy logs whole (a harness's, not yet
    truncated as a package's)."""
    cat = Category(category) if category else bench.categories[0]
    scenarios = scenarios_for(bench, cat, Division(division))
    sub = trees.Submission(dest, ROUND.version, division, "Harness_Org")
    sub.system("box", cat.value)
    sub.code(bench.checker_model)
    # the corpus knows the accuracy lines of a few benchmarks; these tests, of every one
    lines = lambda b, s, factor=1.0: accuracy_text(b, s).splitlines()  # noqa: E731
    with mock.patch.object(parts, "accuracy_lines", lines):
        for scenario in scenarios:
            sub.loadgen_scenario(
                "box",
                bench.checker_model,
                scenario,
                qps=20.0,
                latency_ms=4.0,
                tokens_per_sample=120.0 if bench.llm else 0.0,
            )
    for scenario in scenarios:
        where = sub.scenario_dir("box", bench.checker_model, scenario)
        for detail in where.glob("**/performance/run_1/mlperf_log_detail.txt"):
            _add_result_key(detail, bench, scenario)
        full = mllog.accuracy_log(
            bench.accuracy_samples(scenario), bytes_per_sample=32 if bench.llm else 4
        )
        parts.write(where / "accuracy" / "mlperf_log_accuracy.json", full)
        parts.write(where / "accuracy" / "accuracy.txt", accuracy_text(bench, scenario))
        for test_acc in where.glob("TEST*/accuracy/mlperf_log_accuracy.json"):
            salt, count, size = (11, 100, 32) if "TEST06" in str(test_acc) else (7, 512, 4)
            count = min(count, bench.accuracy_samples(scenario))
            parts.write(test_acc, mllog.accuracy_log(count, bytes_per_sample=size, salt=salt))
    return dest, cat, scenarios


def _add_result_key(detail: Path, bench: Benchmark, scenario: Scenario) -> None:
    """The result key the checker reads where the corpus writes none (Whisper's tokens per
    second: LoadGen logs it for every model that reports tokens)."""
    key = bench.result_keys.get(Scenario.SERVER if scenario is Scenario.INTERACTIVE else scenario)
    text = detail.read_text()
    if key and f'"key": "{key}"' not in text:
        record = {"key": key, "value": 2400.0, "metadata": {"is_error": False, "is_warning": False}}
        detail.write_text(text + mllog.MLLOG + json.dumps(record) + "\n")


def run_folder(
    dest: Path,
    bench: Benchmark,
    scenario: Scenario,
    mode: str,
    *,
    user_conf: str | None = None,
    audit: str | None = None,
    round_: Round = ROUND,
) -> Path:
    """One flat run folder as a harness leaves it: LoadGen's logs and the user.conf."""
    settings = (
        mllog.parse_audit_config(rules.audit_config(audit, bench), bench.loadgen_model, scenario)
        if audit
        else {}
    )
    run = Run(
        round_,
        bench,
        scenario,
        mode,
        qps=20.0,
        latency_ms=4.0,
        tokens_per_sample=120.0 if bench.llm else 0.0,
        audit=audit,
        audit_settings=settings,
    )
    parts.write(dest / "mlperf_log_detail.txt", mllog.detail_log(run))
    parts.write(dest / "mlperf_log_summary.txt", mllog.summary_log(run))
    conf = user_conf or f"{bench.loadgen_model}.{scenario.value}.target_qps = 20\n"
    parts.write(dest / "user.conf", conf)
    if mode == "accuracy":
        parts.write(
            dest / "mlperf_log_accuracy.json",
            mllog.accuracy_log(bench.accuracy_samples(scenario), bytes_per_sample=4),
        )
        parts.write(dest / "accuracy.txt", accuracy_text(bench, scenario))
    return dest


def flat_open(dest: Path, name: str = "resnet50", scenario: str = "Offline") -> Path:
    """An open-division harness output of one scenario: performance/ and accuracy/."""
    bench = rules.get_benchmark(name)
    sc = Scenario(scenario)
    run_folder(dest / "performance", bench, sc, "performance")
    run_folder(dest / "accuracy", bench, sc, "accuracy")
    return dest


def request(source: Path, benchmark: str, scenarios: list[str], **kw: Any) -> ImportRequest:
    profile_kw = {
        k: kw.pop(k) for k in ("division", "category", "modes", "execution", "round") if k in kw
    }
    profile = import_profile(
        source=source,
        benchmark=benchmark,
        scenarios=scenarios,
        submitter="Org",
        system_name="box",
        **profile_kw,
    )
    return ImportRequest(profile=profile, source=source, **kw)


def systems_file(where: Path, division: str, category: str) -> Path:
    """The harness's systems JSON of the machine that ran the logs."""
    data = parts.system_description(
        division=division, submitter="Org", name="box", system_type=category
    )
    return parts.write_json(where / "box.json", data)


def nothing_written(out: Path) -> bool:
    """No results folder, and no staging folder left beside where it would have gone."""
    return not out.exists() and not list(out.parent.glob(f".{out.name}.*"))


# -- a submission-like tree of every benchmark ------------------------------------------------


#: benchmarks whose generated logs take over ten seconds to import (data sets of hundreds of
#: thousands of samples): slow, so make test stays under ten minutes on two cores
_SLOW_IMPORTS = ("rgat", "dlrm-v3")


def _param(name: str) -> Any:
    return pytest.param(name, marks=pytest.mark.slow) if name in _SLOW_IMPORTS else name


def _benchmarks_with_categories() -> Iterator[Any]:
    for bench in ROUND.benchmarks.values():
        if bench.categories:
            yield _param(bench.name)


@pytest.mark.parametrize("name", list(_benchmarks_with_categories()))
def test_every_benchmark_of_the_round_imports_packages_and_validates(
    name: str, tmp_path: Path
) -> None:
    """Every v6.1 benchmark the checker knows (SDXL, DLRM, the LLMs, Whisper, ...): the logs of
    an open submission-like tree import, package and pass our validator."""
    bench = rules.get_benchmark(name)
    source, category, scenarios = harness_tree(tmp_path / "harness", bench, "open")
    req = request(
        source,
        name,
        [s.value for s in scenarios],
        division="open",
        category=category.value,
    )
    results = import_logs(req, out=tmp_path / "results")
    assert results.complete and all(r.ok for r in results.runs)
    assert {r.run_id for r in results.runs} == {
        f"{s.value}-{m}" for s in scenarios for m in ("performance", "accuracy")
    }
    acc = next(r for r in results.runs if r.mode == "accuracy")
    assert acc.accuracy is not None and acc.accuracy_metric == bench.accuracy[0].metric
    package = build_package(results.folder, tmp_path / "pkg")
    errors = [f for f in validate(package) if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize(
    "name",
    [
        _param(b.name)
        for b in ROUND.benchmarks.values()
        if b.categories and set(b.compliance_tests) <= {"TEST01", "TEST04", "TEST06"}
    ],
)
def test_a_closed_tree_with_its_compliance_runs_imports_and_validates(
    name: str, tmp_path: Path
) -> None:
    """Closed: TEST01/TEST04 (logs and the verification output) and TEST06 (its output only)
    come along, and the package passes our validator."""
    bench = rules.get_benchmark(name)
    source, category, scenarios = harness_tree(tmp_path / "harness", bench, "closed")
    req = request(source, name, [s.value for s in scenarios], category=category.value)
    results = import_logs(req, out=tmp_path / "results")
    tests = [r for r in results.runs if r.compliance_test]
    assert sorted({r.compliance_test for r in tests}) == sorted(bench.compliance_tests)
    assert all(r.compliance and r.compliance["passed"] for r in tests), [
        r.compliance for r in tests
    ]
    package = build_package(results.folder, tmp_path / "pkg")
    errors = [f for f in validate(package) if f.severity == "error"]
    assert errors == []


def _retired() -> Iterator[tuple[str, str]]:
    """(round, benchmark) of each benchmark the round v6.1 dropped, at its newest round that
    still takes it (RetinaNet, DLRMv2, RNN-T, GPT-J, the other Llamas, ...)."""
    seen = set(ROUND.benchmarks)
    for version in rules.ROUNDS[1:]:
        for bench in rules.get_round(version).benchmarks.values():
            if bench.name not in seen and bench.categories:
                seen.add(bench.name)
                yield version, bench.name


#: the LoadGen releases of rounds the corpus does not write (the logs' shape is the same)
_OLD_LOADGEN = {
    "v4.0": mllog.LoadgenRelease("4.0.0", "1d2c3b4a5e", False),
    "v4.1": mllog.LoadgenRelease("4.1.0", "5e4a3b2c1d", False),
}


@pytest.mark.parametrize(("version", "name"), list(_retired()))
def test_benchmarks_of_older_rounds_import_package_and_validate(
    version: str, name: str, tmp_path: Path
) -> None:
    round_ = rules.get_round(version)
    bench = rules.get_benchmark(name, version)
    category = bench.categories[0]
    scenario = rules.allowed_scenarios(bench, category, Division.OPEN)[0]
    source = tmp_path / "harness"
    with mock.patch.dict(mllog.LOADGEN, _OLD_LOADGEN):
        for mode in ("performance", "accuracy"):
            run_folder(source / mode, bench, scenario, mode, round_=round_)
    _add_result_key(source / "performance" / "mlperf_log_detail.txt", bench, scenario)
    req = request(
        source,
        name,
        [scenario.value],
        division="open",
        category=category.value,
        round=version,
        system_json=systems_file(tmp_path, "open", category.value),
    )
    results = import_logs(req, out=tmp_path / "results")
    assert [r.run_id for r in results.runs] == [
        f"{scenario.value}-performance",
        f"{scenario.value}-accuracy",
    ]
    package = build_package(results.folder, tmp_path / "pkg")
    errors = [f for f in validate(package, version=version) if f.severity == "error"]
    assert errors == []


def test_an_imported_run_keeps_every_file_byte_for_byte_with_its_provenance(
    tmp_path: Path,
) -> None:
    source = flat_open(tmp_path / "harness")
    req = request(source, "resnet50", ["Offline"], division="open", command="mlperf-tui import x")
    results = import_logs(req, out=tmp_path / "results")
    run = results.find("Offline", "accuracy")
    assert run is not None
    record = json.loads((run.folder / IMPORT_RECORD).read_text())
    assert record["command"] == "mlperf-tui import x" and record["imported_at"]
    assert record["classified"]["mode"] == "accuracy"
    copied = {f["name"]: f for f in record["files"]}
    for name in ("mlperf_log_detail.txt", "mlperf_log_accuracy.json", "accuracy.txt", "user.conf"):
        original = source / "accuracy" / name
        assert (run.folder / name).read_bytes() == original.read_bytes()
        assert copied[name]["from"] == str(original)
        assert copied[name]["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    loaded = load_results(results.folder)
    assert loaded.complete and loaded.origin is not None
    assert loaded.origin["kind"] == "import" and loaded.origin["source"] == str(source)
    assert loaded.profile().harness == "import"


def test_the_import_profile_replays_with_run_headless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run PROFILE --headless` of a harness: import profile imports, packages, validates."""
    monkeypatch.chdir(tmp_path)  # the replay's results go to ./results
    source = flat_open(tmp_path / "harness")
    profile = tmp_path / "imported.yaml"
    code = main(
        [
            "import", str(source), "--benchmark", "resnet50", "--scenario", "Offline",
            "--division", "open", "--submitter", "Org", "--out", str(tmp_path / "first"),
            "--save-profile", str(profile),
        ]
    )  # fmt: skip
    assert code == 0 and profile.is_file()
    text = profile.read_text()
    assert "harness: import" in text and f"import_from: {source}" in text
    pkg = tmp_path / "pkg"
    code = main(["run", str(profile), "--headless", "--out", str(pkg)])
    # the systems JSON is empty (the logs say nothing of the machine): the validation says so
    assert code == int(ExitCode.CHECK_FAILED)
    assert (pkg / "open" / "Org" / "results").is_dir()
    (replayed,) = (tmp_path / "results").iterdir()
    assert load_results(replayed).origin is not None


def test_the_wizards_import_profile_replays_into_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wizard's "import your harness's logs" path saves a profile that `run` imports."""
    from mlperf_tui.plain import MappingAsker, run_plain
    from mlperf_tui.system import FrozenProbe

    monkeypatch.chdir(tmp_path)
    source = flat_open(tmp_path / "harness")
    answers = {
        "category": "edge",
        "benchmark": "resnet50",
        "harness": "import",
        "division": "open",
        "scenarios": ["Offline"],
        "import_from": str(source),
        "submitter": "Org",
        "save_path": str(tmp_path / "wizard.yaml"),
    }
    saved = run_plain(
        MappingAsker(answers), probe=FrozenProbe(), profiles_dir=tmp_path, echo=lambda _: None
    )
    pkg = tmp_path / "pkg"
    code = main(["run", str(saved), "--headless", "--out", str(pkg)])
    assert code in (int(ExitCode.OK), int(ExitCode.CHECK_FAILED))  # the systems JSON decides
    (replayed,) = (tmp_path / "results").iterdir()
    results = load_results(replayed)
    assert results.origin is not None and results.origin["source"] == str(source)
    assert [r.run_id for r in results.runs] == ["Offline-performance", "Offline-accuracy"]
    assert (pkg / "open" / "Org" / "results").is_dir()


def test_the_importer_loads_no_ui_library() -> None:
    import subprocess
    import sys

    code = (
        "import json, sys, mlperf_tui.importer\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_run_of_an_import_profile_refuses_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = flat_open(tmp_path / "harness")
    (source / "performance" / "mlperf_log_detail.txt").unlink()
    profile = tmp_path / "imported.yaml"
    from mlperf_tui.profile import save_profile

    save_profile(request(source, "resnet50", ["Offline"], division="open").profile, profile)
    code = main(["run", str(profile), "--headless"])
    assert code == int(ExitCode.BAD_INPUT)
    assert not (tmp_path / "results").exists()


# -- refusals: the reason, the fix, and nothing written -----------------------------------------


def _refused(req: ImportRequest, out: Path) -> ImportRefused:
    with pytest.raises(ImportRefused) as info:
        import_logs(req, out=out)
    assert nothing_written(out)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    return info.value


def test_logs_of_another_benchmark_are_refused(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness", "resnet50")
    req = request(source, "yolo-99", ["Offline"], division="open", category="edge")
    refused = _refused(req, tmp_path / "results")
    ids = {p.id for p in refused.problems}
    # its accuracy.txt has no mAP line either: the problems are all listed
    assert ids == {"import.wrong-benchmark", "import.accuracy-unscored"}
    assert "resnet50" in refused.message and "--benchmark resnet50" in refused.message


def test_llm_logs_without_token_latencies_are_refused(tmp_path: Path) -> None:
    bench = rules.get_benchmark("resnet50")
    run_folder(tmp_path / "h" / "performance", bench, Scenario.OFFLINE, "performance", user_conf="")
    run_folder(tmp_path / "h" / "accuracy", bench, Scenario.OFFLINE, "accuracy", user_conf="")
    req = request(tmp_path / "h", "llama2-70b-99.9", ["Offline"], division="open")
    refused = _refused(req, tmp_path / "results")
    messages = " ".join(p.message for p in refused.problems)
    assert "token latencies" in messages


def test_an_invalid_performance_run_is_refused_unless_allowed(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    detail = source / "performance" / "mlperf_log_detail.txt"
    detail.write_text(detail.read_text().replace('"value": "VALID"', '"value": "INVALID"'))
    refused = _refused(request(source, "resnet50", ["Offline"], division="open"), tmp_path / "r")
    assert [p.id for p in refused.problems] == ["import.invalid"]
    assert "--allow-invalid" in refused.fix or "--allow-invalid" in refused.problems[0].fix
    kept = import_logs(
        request(source, "resnet50", ["Offline"], division="open", allow_invalid=True),
        out=tmp_path / "kept",
    )
    perf = kept.find("Offline", "performance")
    assert perf is not None and perf.valid is False and "INVALID" in perf.message


def test_other_seeds_are_refused_naming_the_round_they_belong_to(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    old, new = ROUND.seeds, rules.get_round("v5.0").seeds
    for path in source.rglob("mlperf_log_detail.txt"):
        text = path.read_text()
        for name in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed"):
            text = text.replace(str(getattr(old, name)), str(getattr(new, name)))
        path.write_text(text)
    refused = _refused(request(source, "resnet50", ["Offline"], division="open"), tmp_path / "r")
    assert {p.id for p in refused.problems} == {"import.seeds"}
    assert "v5.0" in refused.problems[0].fix


def test_an_accuracy_log_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    log = source / "accuracy" / "mlperf_log_accuracy.json"
    log.write_text(log.read_text()[: len(log.read_text()) // 2])
    refused = _refused(request(source, "resnet50", ["Offline"], division="open"), tmp_path / "r")
    assert [p.id for p in refused.problems] == ["import.accuracy-log"]
    assert "truncated" in refused.message


def test_a_packaged_truncated_accuracy_log_is_named_as_such(tmp_path: Path) -> None:
    bench = rules.get_benchmark("resnet50")
    source, category, scenarios = harness_tree(tmp_path / "h", bench, "open")
    for log in source.rglob("accuracy/mlperf_log_accuracy.json"):
        log.write_text(mllog.truncate(log.read_text()))
    req = request(
        source, "resnet50", [s.value for s in scenarios], division="open", category=category
    )
    refused = _refused(req, tmp_path / "r")
    assert "submission package's truncated accuracy log" in refused.message


def test_a_missing_performance_run_is_refused_with_what_was_found(tmp_path: Path) -> None:
    bench = rules.get_benchmark("resnet50")
    run_folder(tmp_path / "h" / "accuracy", bench, Scenario.OFFLINE, "accuracy")
    refused = _refused(
        request(tmp_path / "h", "resnet50", ["Offline"], division="open"), tmp_path / "r"
    )
    assert [p.id for p in refused.problems] == ["import.missing-run"]
    assert "no Offline performance run found (found: Offline accuracy)" in refused.message


def test_a_results_folder_inside_the_source_is_not_taken_for_the_harnesss_logs(
    tmp_path: Path,
) -> None:
    source = flat_open(tmp_path / "harness")
    first = import_logs(
        request(source, "resnet50", ["Offline"], division="open"), out=source / "imported"
    )
    again = import_logs(
        request(source, "resnet50", ["Offline"], division="open"), out=tmp_path / "again"
    )
    assert [r.run_id for r in again.runs] == [r.run_id for r in first.runs]
    assert again.origin is not None
    assert [i["folder"] for i in again.origin["ignored"]] == [str(first.folder)]


def test_power_logs_come_along_and_the_ranging_run_is_left_out(tmp_path: Path) -> None:
    """A power submission's layout: performance/ranging/ (the range-finding run),
    performance/run_1/ with spl.txt, and the analyser's logs in performance/power/."""
    bench = rules.get_benchmark("resnet50")
    source = tmp_path / "h" / "Offline"
    run_folder(source / "performance" / "run_1", bench, Scenario.OFFLINE, "performance")
    run_folder(source / "performance" / "ranging", bench, Scenario.OFFLINE, "performance")
    run_folder(source / "accuracy", bench, Scenario.OFFLINE, "accuracy")
    parts.write(source / "performance" / "run_1" / "spl.txt", "power samples\n")
    parts.write(source / "performance" / "power" / "server.json", "{}\n")
    results = import_logs(
        request(source.parent, "resnet50", ["Offline"], division="open"), out=tmp_path / "r"
    )
    perf = results.find("Offline", "performance")
    assert perf is not None
    assert (perf.folder / "spl.txt").is_file() and (perf.folder / "power" / "server.json").is_file()
    assert results.origin is not None
    ignored = {Path(i["folder"]).name: i["why"] for i in results.origin["ignored"]}
    assert "power ranging run" in ignored["ranging"]


def test_two_candidate_runs_are_refused_as_ambiguous(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    bench = rules.get_benchmark("resnet50")
    run_folder(source / "performance-again", bench, Scenario.OFFLINE, "performance")
    refused = _refused(request(source, "resnet50", ["Offline"], division="open"), tmp_path / "r")
    assert [p.id for p in refused.problems] == ["import.ambiguous"]


def test_loadgen_errors_are_refused(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    detail = source / "performance" / "mlperf_log_detail.txt"
    error = {
        "key": "error_runtime",
        "value": "Query took longer than the timeout",
        "metadata": {"is_error": True, "is_warning": False},
    }
    detail.write_text(detail.read_text() + mllog.MLLOG + json.dumps(error) + "\n")
    refused = _refused(request(source, "resnet50", ["Offline"], division="open"), tmp_path / "r")
    assert [p.id for p in refused.problems] == ["import.loadgen-error"]


def test_a_compliance_run_without_its_audit_config_is_refused(tmp_path: Path) -> None:
    bench = rules.get_benchmark("resnet50")
    source, category, scenarios = harness_tree(tmp_path / "h", bench, "closed")
    (detail,) = source.glob("**/Offline/TEST01/performance/run_1/mlperf_log_detail.txt")
    # LoadGen ran it without the audit.config: no sampled responses, no message about the file
    detail.write_text(
        re.sub(
            r'("key": "effective_accuracy_log_sampling_target", "value": )\d+',
            r"\g<1>0",
            detail.read_text(),
        )
    )
    req = request(source, bench.name, [s.value for s in scenarios], category=category.value)
    refused = _refused(req, tmp_path / "r")
    assert [p.id for p in refused.problems] == ["import.audit"]
    assert "TEST01" in refused.message and "audit.config" in refused.fix


def test_an_accuracy_run_without_a_score_names_the_script_and_data_set(tmp_path: Path) -> None:
    bench = rules.get_benchmark("stable-diffusion-xl")
    source = tmp_path / "h"
    run_folder(source / "performance", bench, Scenario.OFFLINE, "performance")
    run_folder(source / "accuracy", bench, Scenario.OFFLINE, "accuracy")
    (source / "accuracy" / "accuracy.txt").write_text("the images look fine\n")
    req = request(source, bench.name, ["Offline"], division="open", category="edge")
    with pytest.raises(ImportRefused) as info:
        plan_import(req)
    problem = info.value.problems[0]
    assert problem.id == "import.accuracy-unscored"
    assert "text_to_image/tools/accuracy_coco.py" in problem.fix
    assert bench.dataset in problem.fix and "CLIP_SCORE and FID_SCORE" in problem.fix


def test_a_benchmark_mlperf_tui_scores_asks_for_the_data_set(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    (source / "accuracy" / "accuracy.txt").unlink()
    with pytest.raises(ImportRefused) as info:
        plan_import(request(source, "resnet50", ["Offline"], division="open"))
    assert "--accuracy-dataset" in info.value.problems[0].fix


def test_an_llm_accuracy_log_is_scored_with_the_models_tokenizer(tmp_path: Path) -> None:
    """No accuracy.txt: the LLM's ROUGE script of mlperf-tui reads the token ids back with the
    tokenizer and scores them against the data set (the registry's stand-ins of both)."""
    import numpy as np

    from mlperf_tui import benchmarks
    from mlperf_tui.benchmarks.llm.engine_standin import write_tiny_engine_model

    bench = rules.get_benchmark("llama2-70b-99.9")
    entry = benchmarks.entries()[bench.name]
    dataset = tmp_path / "dataset"
    entry.dataset.synthesize(16, 0, dataset, None)
    tokenizer = write_tiny_engine_model(tmp_path / "model", 0).tokenizer_dir
    source = tmp_path / "h"
    run_folder(source / "performance", bench, Scenario.OFFLINE, "performance")
    run_folder(source / "accuracy", bench, Scenario.OFFLINE, "accuracy")
    (source / "accuracy" / "accuracy.txt").unlink()
    tokens = np.arange(40, 72, dtype=np.int32).tobytes().hex().upper()
    entries = [f'{{ "seq_id" : {i}, "qsl_idx" : {i}, "data" : "{tokens}" }}' for i in range(16)]
    (source / "accuracy" / "mlperf_log_accuracy.json").write_text(
        "[\n" + ",\n".join(entries) + "\n]\n"
    )
    base = {"division": "open", "accuracy_dataset": dataset}
    with pytest.raises(ImportRefused) as info:
        plan_import(request(source, bench.name, ["Offline"], **base))
    assert "--accuracy-tokenizer" in info.value.problems[0].fix
    results = import_logs(
        request(source, bench.name, ["Offline"], accuracy_tokenizer=tokenizer, **base),
        out=tmp_path / "results",
    )
    acc = results.find("Offline", "accuracy")
    assert acc is not None and acc.accuracy_metric == "ROUGE1" and acc.accuracy is not None
    text = (acc.folder / "accuracy.txt").read_text()
    assert "'rouge1'" in text and "'tokens_per_sample': 32.0" in text


def test_the_cli_refuses_with_exit_3_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = flat_open(tmp_path / "harness")
    out = tmp_path / "results"
    code = main(
        [
            "import", str(source), "--benchmark", "yolo-99", "--scenario", "Offline",
            "--division", "open", "--category", "edge", "--out", str(out), "--json",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == int(ExitCode.BAD_INPUT)
    doc = json.loads(captured.out)
    assert doc["problems"][0]["id"] == "import.wrong-benchmark"
    assert "error: import refused" in captured.err and "fix:" in captured.err
    assert nothing_written(out)


def test_a_non_empty_destination_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    out = tmp_path / "results"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code = main(
        [
            "import", str(source), "--benchmark", "resnet50", "--scenario", "Offline",
            "--division", "open", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == int(ExitCode.BAD_INPUT)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_scenarios_the_rules_forbid_are_refused_with_the_option_to_change(tmp_path: Path) -> None:
    source = flat_open(tmp_path / "harness")
    code = main(["import", str(source), "--benchmark", "resnet50", "--scenario", "Offline"])
    assert code == int(ExitCode.BAD_INPUT)  # closed datacenter needs Server too
