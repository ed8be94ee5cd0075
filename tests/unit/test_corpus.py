"""The corpus of real-shaped submission trees (tests/corpus): the validator accepts what the
official rules accept.

For every tree: our validator finds no error (the notices it may give are named per tree), and
the official checker of the tree's round - the unmodified modular checker of the reference copy -
accepts it. The legacy checker (submission_checker_old.py) runs too: it reads every round with
the v6.x layout and knows no endpoints results, so it rejects the v5.1 trees and the endpoints
tree for those reasons and no other; the tests say so explicitly.

Then one change per test to a copy of a tree, to prove the checks that accept the corpus can
also fail: each asserts our finding and the official checker's verdict on the same tree.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import reference_copy as ref
from corpus.trees import TREES, CorpusTree

from mlperf_tui import rules
from mlperf_tui.official import OfficialVerdict, run_official_checker
from mlperf_tui.rules.model import Scenario
from mlperf_tui.validate import CheckResult, errors, validate

#: what the legacy checker says about a tree laid out for v5.1 or written by the endpoints tool:
#: it looks for measurements.json, user.conf and README.md in the results' scenario folder (the
#: v6.x place) and for LoadGen logs, then counts the scenarios it skipped as missing
_LEGACY_LAYOUT_ERRORS = re.compile(
    r"is missing (user\.conf|README\.md|None\*\.json)$|measurement_dir has issues$"
    r"|does not have all required scenarios|^NoResults |^SUMMARY: submission has errors$"
)
_LEGACY_REJECTS = {
    "v51_llama2_datacenter",
    "v51_sdxl_edge_datacenter",
    "v61_endpoints_qwen36_edge",
    "v61_endpoints_llama31_8b_datacenter",
}


def _describe(results: list[CheckResult]) -> str:
    return "\n".join(f"{r.severity} {r.id} {r.path}: {r.message}" for r in results)


def _official(tree: Path, version: str, *, legacy: bool = False) -> OfficialVerdict:
    return run_official_checker(tree, ref.inference_root(), version=version, legacy=legacy)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every corpus tree, built once (never modify them: copy with :func:`_copy`)."""
    root = tmp_path_factory.mktemp("corpus")
    return {name: tree.build(root / name) for name, tree in TREES.items()}


def _copy(corpus: dict[str, Path], name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(corpus[name], tmp_path / name))


# -- every tree ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TREES))
def test_our_validator_finds_no_error(corpus: dict[str, Path], name: str) -> None:
    tree: CorpusTree = TREES[name]
    results = validate(corpus[name], version=tree.version)
    assert errors(results) == [], _describe(results)
    # only the notices the tree's own description explains (open division: accuracy under the
    # closed target, a model folder the checker finds by its name)
    assert {r.id for r in results} == tree.expected_notes, _describe(results)
    assert all(r.severity == "notice" for r in results), _describe(results)


@pytest.mark.parametrize("name", sorted(TREES))
def test_the_official_checker_of_the_round_accepts_it(corpus: dict[str, Path], name: str) -> None:
    verdict = _official(corpus[name], TREES[name].version)
    assert not verdict.crashed, verdict.crash
    assert verdict.ok, verdict.errors
    assert verdict.summary == "SUMMARY: submission looks OK"


@pytest.mark.parametrize("name", sorted(TREES))
def test_the_legacy_checker(corpus: dict[str, Path], name: str) -> None:
    verdict = _official(corpus[name], TREES[name].version, legacy=True)
    assert not verdict.crashed, verdict.crash
    if name not in _LEGACY_REJECTS:
        assert verdict.ok, verdict.errors
        return
    # its quirk, not the tree's fault: v6.x paths for every round, and no endpoints parser
    assert not verdict.ok
    assert any("measurement_dir has issues" in e for e in verdict.errors), verdict.errors
    unexplained = [e for e in verdict.errors if not _LEGACY_LAYOUT_ERRORS.search(e)]
    assert unexplained == [], unexplained


def test_the_corpus_covers_the_rounds_and_shapes_it_claims(corpus: dict[str, Path]) -> None:
    by_round = {t.version for t in TREES.values()}
    assert {"v5.1", "v6.1"} <= by_round
    llama = corpus["v51_llama2_datacenter"] / "closed" / "Contoso"
    # v5.1: measurements/ and compliance/ beside results/, code/
    assert (llama / "code").is_dir() and not (llama / "src").exists()
    assert next((llama / "measurements").glob("*/llama2-70b-99/Interactive/*_Interactive.json"))
    assert next((llama / "compliance").glob("*/llama2-70b-99/Interactive/TEST06/verify_*"))
    # v6.1: both in the results' scenario folder, src/
    resnet = corpus["v61_resnet_edge"] / "closed" / "Contoso"
    scenario = next((resnet / "results").glob("*/resnet/MultiStream"))
    assert (scenario / "measurements.json").is_file() and (scenario / "TEST04").is_dir()
    assert (resnet / "src").is_dir()
    # an Interactive run is a Server run in LoadGen's log
    detail = next(llama.glob("results/*/llama2-70b-99/Interactive/performance/run_1/*detail.txt"))
    assert _log_value(detail, "effective_scenario") == "Server"
    # counts as JSON numbers, as published
    system = json.loads(next((llama / "systems").glob("*.json")).read_text(encoding="utf-8"))
    assert system["number_of_nodes"] == 1 and system["accelerators_per_node"] == 8
    # SDXL's sample images
    images = next(
        (corpus["v51_sdxl_edge_datacenter"] / "closed").glob(
            "*/results/*/*/Offline/accuracy/images"
        )
    )
    stems = rules.get_benchmark("stable-diffusion-xl", "v5.1").accuracy_extra_files["images"]
    assert {p.stem for p in images.glob("*.png")} == set(stems)
    # the endpoints tree has no LoadGen log at all
    for name in ("v61_endpoints_qwen36_edge", "v61_endpoints_llama31_8b_datacenter"):
        endpoints = corpus[name]
        assert not list(endpoints.rglob("mlperf_log_detail.txt"))
        assert next(endpoints.rglob("result_summary.json"))


def test_building_is_deterministic(tmp_path: Path) -> None:
    tree = TREES["v51_llama2_datacenter"]
    first, second = tree.build(tmp_path / "a"), tree.build(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


# -- one change each: the checks that accept the corpus can fail -------------------------------


def _log_value(path: Path, key: str) -> Any:
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line[len(":::MLLOG ") :])
        if record["key"] == key:
            return record["value"]
    raise KeyError(key)


def _set_log_value(path: Path, key: str, value: Any) -> None:
    out, found = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line[len(":::MLLOG ") :])
        if record["key"] == key:
            record["value"], found = value, True
        out.append(":::MLLOG " + json.dumps(record))
    assert found, f"{key} not in {path}"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def _error_ids(tree: Path, version: str) -> set[str]:
    return {r.id for r in errors(validate(tree, version=version))}


def _perf_detail(tree: Path, benchmark: str, scenario: str) -> Path:
    return next(tree.glob(f"*/*/results/*/{benchmark}/{scenario}/performance/run_1/*detail.txt"))


def test_interactive_is_held_to_the_interactive_limits_stricter_than_the_checker(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v51_llama2_datacenter", tmp_path)
    bench = rules.get_benchmark("llama2-70b-99", "v5.1")
    interactive, server = bench.ttft_ns[Scenario.INTERACTIVE], bench.ttft_ns[Scenario.SERVER]
    detail = _perf_detail(tree, "llama2-70b-99", "Interactive")
    # over the Interactive TTFT limit, under the Server one
    _set_log_value(
        detail, "result_first_token_99.00_percentile_latency_ns", (interactive + server) // 2
    )
    results = validate(tree, version="v5.1")
    found = [r for r in results if r.id == "log.ttft-tpot-bound"]
    assert found and "Interactive" in found[0].message, _describe(results)
    # the checker's llm_check looks the limits up by the log's scenario (Server): it accepts
    assert _official(tree, "v5.1").ok


def test_a_server_run_over_the_server_ttft_is_rejected_by_both(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v51_llama2_datacenter", tmp_path)
    bench = rules.get_benchmark("llama2-70b-99", "v5.1")
    detail = _perf_detail(tree, "llama2-70b-99", "Server")
    _set_log_value(
        detail, "result_first_token_99.00_percentile_latency_ns", bench.ttft_ns[Scenario.SERVER]
    )
    assert "log.ttft-tpot-bound" in _error_ids(tree, "v5.1")
    verdict = _official(tree, "v5.1")
    assert not verdict.ok and any("TTFT" in e for e in verdict.errors), verdict.errors


def test_an_llm_run_without_token_latencies_is_rejected_by_both(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_llama31_8b_datacenter", tmp_path)
    _set_log_value(
        _perf_detail(tree, "llama3.1-8b", "Offline"), "requested_use_token_latencies", False
    )
    assert "log.token-latencies" in _error_ids(tree, "v6.1")
    verdict = _official(tree, "v6.1")
    assert not verdict.ok and any("use_token_latencies" in e for e in verdict.errors)


def test_an_interactive_folder_holding_an_offline_run_is_rejected_by_both(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_llama31_8b_datacenter", tmp_path)
    _set_log_value(
        _perf_detail(tree, "llama3.1-8b", "Interactive"), "effective_scenario", "Offline"
    )
    assert "log.scenario-mismatch" in _error_ids(tree, "v6.1")
    assert not _official(tree, "v6.1").ok


def test_a_failed_test06_is_rejected_by_both(corpus: dict[str, Path], tmp_path: Path) -> None:
    tree = _copy(corpus, "v61_llama31_8b_datacenter", tmp_path)
    verify = next(tree.glob("closed/*/results/*/llama3.1-8b/Offline/TEST06/verify_accuracy.txt"))
    verify.write_text(
        verify.read_text(encoding="utf-8").replace("EOS check pass: True", "EOS check pass: False"),
        encoding="utf-8",
    )
    results = validate(tree, version="v6.1")
    assert any(r.id == "compliance.failed" and "EOS" in r.message for r in results)
    verdict = _official(tree, "v6.1")
    assert not verdict.ok and any("TEST06" in e for e in verdict.errors), verdict.errors


def test_a_missing_sdxl_image_is_rejected_by_both(corpus: dict[str, Path], tmp_path: Path) -> None:
    tree = _copy(corpus, "v51_sdxl_edge_datacenter", tmp_path)
    images = next(tree.glob("closed/*/results/*/stable-diffusion-xl/Server/accuracy/images"))
    gone = sorted(images.glob("*.png"))[0]
    gone.unlink()
    results = validate(tree, version="v5.1")
    assert any(r.id == "accuracy.extra-files" and gone.stem in r.message for r in results)
    verdict = _official(tree, "v5.1")
    assert not verdict.ok and any("extra files" in e for e in verdict.errors), verdict.errors


def test_v51_measurements_in_the_v6_place_crash_the_official_checker(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v51_sdxl_edge_datacenter", tmp_path)
    base = tree / "closed" / "Contoso"
    for folder in sorted((base / "measurements").glob("*/*/*")):
        results_dir = base / "results" / folder.relative_to(base / "measurements")
        for item in folder.iterdir():
            name = "measurements.json" if item.suffix == ".json" else item.name
            shutil.move(str(item), results_dir / name)
    shutil.rmtree(base / "measurements")
    results = validate(tree, version="v5.1")
    missing = [r for r in results if r.id == "tree.missing-folder" and "measurements/" in r.path]
    assert missing and "v6.x place" in missing[0].message, _describe(results)
    # the v5.1 loader lists measurements/<system>/<benchmark>/<scenario>/ without looking first
    verdict = _official(tree, "v5.1")
    assert verdict.crashed and "FileNotFoundError" in verdict.crash


def test_a_count_that_is_no_number_stops_the_official_checker(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_resnet_edge", tmp_path)
    system = next(tree.glob("closed/*/systems/*.json"))
    _edit_json(system, lambda d: d.update(number_of_nodes="two"))
    assert "system.not-a-number" in _error_ids(tree, "v6.1")
    # results.py multiplies int(number_of_nodes) by int(accelerators_per_node)
    verdict = _official(tree, "v6.1")
    assert verdict.crashed and "ValueError" in verdict.crash


def test_the_number_zero_reads_as_no_answer_to_both(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_open_mobilenet", tmp_path)
    system = next(tree.glob("open/*/systems/*.json"))
    _edit_json(system, lambda d: d.update(accelerators_per_node=0))
    assert "system.wrong-type" in _error_ids(tree, "v6.1")
    verdict = _official(tree, "v6.1")
    assert not verdict.ok
    assert any("accelerators_per_node requires a meaningful response" in e for e in verdict.errors)


def test_endpoints_seeds_other_than_the_rounds_are_rejected_by_both(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_endpoints_qwen36_edge", tmp_path)
    config = next(tree.rglob("config.yaml"))
    seed = str(rules.get_round("v6.1").seeds.sample_index_rng_seed)
    config.write_text(config.read_text(encoding="utf-8").replace(seed, "42"), encoding="utf-8")
    results = validate(tree, version="v6.1")
    assert any(r.id == "log.seed-mismatch" and "sample_index" in r.message for r in results)
    verdict = _official(tree, "v6.1")
    assert not verdict.ok and any("sample_index_rng_seed" in e for e in verdict.errors)


def test_an_endpoints_interactive_run_over_its_ttft_is_rejected_by_both(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_endpoints_llama31_8b_datacenter", tmp_path)
    summary = next(tree.glob("closed/*/results/*/llama3.1-8b/Interactive/performance/*.json"))
    limit = rules.get_benchmark("llama3.1-8b", "v6.1").ttft_ns[Scenario.INTERACTIVE]
    # the endpoints parser maps the folder to Interactive: here the checker uses its limits
    _edit_json(summary, lambda d: d["ttft"]["early_stopping_percentiles"].update({"99.0": limit}))
    assert "log.ttft-tpot-bound" in _error_ids(tree, "v6.1")
    verdict = _official(tree, "v6.1")
    assert not verdict.ok and any("TTFT" in e for e in verdict.errors), verdict.errors


def test_endpoints_failed_samples_are_an_error_stricter_than_the_checker(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    tree = _copy(corpus, "v61_endpoints_llama31_8b_datacenter", tmp_path)
    summary = next(tree.glob("closed/*/results/*/llama3.1-8b/Offline/performance/*.json"))
    _edit_json(summary, lambda d: d.update(n_samples_failed=3))
    assert "endpoints.failed-samples" in _error_ids(tree, "v6.1")
    # the parser counts them as num_errors, but loadgen_errors_check fails a run only when the
    # checker runs with --submission-exceptions (as for LoadGen errors)
    assert _official(tree, "v6.1").ok


def test_endpoints_results_are_refused_before_v6_1(corpus: dict[str, Path], tmp_path: Path) -> None:
    tree = _copy(corpus, "v61_endpoints_qwen36_edge", tmp_path)
    bench = rules.get_benchmark("qwen3.6-27b", "v6.1")
    # v6.1's rules as if they were an earlier round: no endpoints layout there
    v61 = rules.get_round("v6.1")
    earlier = dataclasses.replace(v61, version="v6.0", layout=rules.get_round("v6.0").layout)
    results = validate(tree, rules_round=earlier)
    assert "endpoints.not-allowed" in {r.id for r in errors(results)}
    assert bench.endpoints_allowed  # the refusal is the round's, not the benchmark's
