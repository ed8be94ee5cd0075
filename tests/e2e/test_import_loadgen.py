"""``mlperf-tui import`` of logs the real LoadGen wrote for another harness (a test's own
minimal SUT, ``import_sut.py``): an LLM-shaped and an SDXL-shaped benchmark import, package and
pass the official checker of the reference copy as far as those logs allow (short test runs);
a bad import - wrong benchmark, INVALID run, another round's seeds, an accuracy log that does
not parse - is refused with the reason, exit 3, and nothing written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import reference_copy as ref
from corpus import parts
from import_sut import loadgen_run

from mlperf_tui import rules
from mlperf_tui.cli import main
from mlperf_tui.errors import ExitCode
from mlperf_tui.official import run_official_checker
from mlperf_tui.rules.model import Benchmark

LLM = "llama2-70b-99.9"
SDXL = "stable-diffusion-xl"
#: SDXL's images in accuracy/ are a requirement of v6.0's checker (v6.1 dropped it)
SDXL_ROUND = "v6.0"
_SEED_NAMES = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")
#: the checker's summary of a compliance folder whose (short) runs failed a check
_COMPLIANCE_FAILED = "Some compliance check Checks failed for: "


def _accuracy_txt(bench: Benchmark) -> str:
    """The harness's accuracy.txt as its reference script prints it, at the reference scores."""
    values = {t.metric: t.reference for t in bench.accuracy}
    if bench.llm:
        return (
            f"{{'rouge1': {values['ROUGE1']}, 'rouge2': {values['ROUGE2']}, "
            f"'rougeL': {values['ROUGEL']}, 'rougeLsum': 42.0, 'gen_len': 1000, "
            f"'gen_num': {bench.dataset_size}, 'tokens_per_sample': {values['TOKENS_PER_SAMPLE']}}}\n"
        )
    limits = {t.metric: t for t in bench.accuracy}
    fid = limits["FID_SCORE"]
    fid_value = (fid.threshold or 0) + ((fid.upper_limit or 0) - (fid.threshold or 0)) / 2
    return (
        f"Accuracy Results: {{'FID_SCORE': '{fid_value!r}', "
        f"'CLIP_SCORE': '{values['CLIP_SCORE']!r}'}}\n"
    )


def _systems_json(where: Path, category: str) -> Path:
    """The systems JSON of the machine that ran the harness (the harness's own)."""
    data = parts.system_description(
        division="closed", submitter="Harness_Org", name="tiny", system_type=category
    )
    return parts.write_json(where / "tiny.json", data)


@pytest.fixture(scope="module")
def llm_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An LLM harness's output: Offline and Server performance and accuracy runs, the TEST06
    audit runs and the official TEST06 verification of each (reference copy's script)."""
    bench = rules.get_benchmark(LLM)
    m = bench.loadgen_model
    src = tmp_path_factory.mktemp("llm") / "harness-output"
    size, psc = bench.dataset_size, bench.performance_sample_count
    confs = {
        "Offline": f"{m}.Offline.min_duration = 300\n{m}.Offline.target_qps = 100000\n",
        "Server": f"{m}.Server.min_duration = 300\n{m}.Server.target_qps = 8000\n"
        f"{m}.Server.min_query_count = 1000\n",
    }
    verification = ref.inference_root() / "compliance" / "TEST06" / "run_verification.py"
    for scenario, conf in confs.items():
        server = scenario == "Server"
        common = {
            "scenario": scenario,
            "model": m,
            "total": size,
            "performance_count": psc,
            "user_conf": conf,
            "tokens": 4,
            "first_token": server,
        }
        # Offline: one query, answered after the minimum duration; Server: answered at once
        latency = 0.0 if server else 0.35
        loadgen_run(src / scenario / "performance", mode="performance", latency_s=latency, **common)
        loadgen_run(src / scenario / "accuracy", mode="accuracy", **common)
        (src / scenario / "accuracy" / "accuracy.txt").write_text(_accuracy_txt(bench))
        audit = loadgen_run(
            src / scenario / "TEST06",
            mode="performance",
            latency_s=latency,
            audit_config=rules.audit_config("TEST06", bench),
            **common,
        )
        done = subprocess.run(
            [
                sys.executable, str(verification), "-c", str(audit),
                "-o", str(src / "compliance" / scenario), "-s", scenario, "--dtype", "int32",
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0 and "TEST06 verification complete" in done.stdout, done
    return src


@pytest.fixture(scope="module")
def sdxl_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SDXL harness's output (edge: SingleStream and Offline), with TEST01 and TEST04 audit
    runs (no verification output: mlperf-tui verifies them) and the compliance images."""
    bench = rules.get_benchmark(SDXL, SDXL_ROUND)
    m = bench.loadgen_model
    src = tmp_path_factory.mktemp("sdxl") / "harness-output"
    seeds = rules.get_round(SDXL_ROUND).seeds  # what the round's own LoadGen uses
    confs = {
        # a query long enough that a busy machine's scheduling (and the audit run's logging)
        # stays well inside the 10 % TEST01 and TEST04 allow between two runs
        "SingleStream": (
            f"{m}.SingleStream.min_duration = 300\n{m}.SingleStream.min_query_count = 100\n",
            0.04,
        ),
        "Offline": (f"{m}.Offline.min_duration = 300\n{m}.Offline.target_qps = 100000\n", 0.35),
    }
    for scenario, (conf, latency) in confs.items():
        common = {
            "scenario": scenario,
            "model": m,
            "total": bench.dataset_size,
            "performance_count": bench.performance_sample_count,
            "user_conf": conf,
            "seeds": {n: getattr(seeds, n) for n in _SEED_NAMES},
        }
        loadgen_run(src / scenario / "performance", mode="performance", latency_s=latency, **common)
        acc = loadgen_run(src / scenario / "accuracy", mode="accuracy", **common)
        (acc / "accuracy.txt").write_text(_accuracy_txt(bench))
        # what accuracy_coco.py saves for the checker: the images of the samples it names
        stems = bench.accuracy_extra_files["images"]
        for n, stem in enumerate(stems):
            (acc / "images").mkdir(exist_ok=True)
            (acc / "images" / f"{stem}.png").write_bytes(parts.png(8, 8, seed=n))
        (acc / "images" / "captions.txt").write_text(
            "".join(f"{stem}: a photograph\n" for stem in stems)
        )
        for test in ("TEST01", "TEST04"):
            loadgen_run(
                src / scenario / test,
                mode="performance",
                latency_s=latency,
                audit_config=rules.audit_config(test, bench),
                **common,
            )
        # the harness scored TEST01's sampled responses too (the checker wants the score)
        (src / scenario / "TEST01" / "accuracy.txt").write_text(_accuracy_txt(bench))
    return src


def _package_and_check(
    results: Path, pkg: Path, version: str, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    assert main(["package", str(results), "--out", str(pkg)]) == 0
    capsys.readouterr()
    main(["check", str(pkg), "--json", "--round", version])
    doc = json.loads(capsys.readouterr().out)
    errors = sorted({f["id"] for f in doc["results"] if f["severity"] == "error"})
    verdict = run_official_checker(pkg, ref.inference_root(), version=version)
    assert not verdict.crashed, verdict.crash
    # a compliance run is short too: its "Test duration" error fails the compliance check
    unexplained = [
        e for e in ref.unexplained_errors(verdict.errors) if not e.startswith(_COMPLIANCE_FAILED)
    ]
    assert unexplained == []
    return errors


def test_llm_logs_of_another_harness_import_package_and_pass_the_official_checker(
    llm_logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    systems = _systems_json(tmp_path, "datacenter")
    out = tmp_path / "results"
    code = main(
        [
            "import", str(llm_logs), "--benchmark", LLM, "--scenario", "Offline",
            "--scenario", "Server", "--execution", "test", "--submitter", "Harness_Org",
            "--system-name", "tiny", "--system-json", str(systems),
            "--harness-name", "a test's own minimal SUT", "--weights-filename", "none",
            "--weight-data-types", "int32", "--input-data-types", "int32",
            "--retraining", "No", "--weight-transformations", "none", "--out", str(out),
            "--json",
        ]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    runs = {r["run_id"]: r for r in doc["runs"]}
    assert set(runs) == {
        f"{s}-{t}" for s in ("Offline", "Server") for t in ("performance", "accuracy", "TEST06")
    }
    assert runs["Offline-performance"]["valid"] is True
    assert runs["Server-accuracy"]["accuracy_metric"] == "ROUGE1"
    assert runs["Server-TEST06"]["compliance"]["passed"] is True
    # the package says what the short runs are; nothing else is wrong
    assert _package_and_check(out, tmp_path / "pkg", "v6.1", capsys) == ["package.test-execution"]
    readme = next((tmp_path / "pkg").glob("closed/*/src/README.md")).read_text()
    assert "a test's own minimal SUT" in readme


# slow (its images take 15 s to make): make test stays under ten minutes on two cores
@pytest.mark.slow
def test_sdxl_logs_import_with_their_images_and_mlperf_tui_verifies_the_compliance_runs(
    sdxl_logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    systems = _systems_json(tmp_path, "edge")
    out = tmp_path / "results"
    code = main(
        [
            "import", str(sdxl_logs), "--benchmark", SDXL, "--round", SDXL_ROUND,
            "--category", "edge", "--scenario", "SingleStream", "--scenario", "Offline",
            "--execution", "test", "--submitter", "Harness_Org", "--system-name", "tiny",
            "--system-json", str(systems), "--weights-filename", "sdxl", "--weight-data-types",
            "fp16", "--input-data-types", "int32", "--retraining", "No",
            "--weight-transformations", "none", "--out", str(out), "--json",
        ]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    tests = [r for r in doc["runs"] if r["compliance_test"]]
    assert sorted(r["run_id"] for r in tests) == [
        "Offline-TEST01", "Offline-TEST04", "SingleStream-TEST01", "SingleStream-TEST04",
    ]  # fmt: skip
    assert all(r["compliance"]["verified_by"] == "mlperf-tui" for r in tests)
    assert all(r["compliance"]["passed"] for r in tests), tests
    pkg = tmp_path / "pkg"
    assert _package_and_check(out, pkg, SDXL_ROUND, capsys) == ["package.test-execution"]
    images = next(pkg.glob("closed/*/results/*/*/Offline/accuracy/images"))
    stems = rules.get_benchmark(SDXL, SDXL_ROUND).accuracy_extra_files["images"]
    assert {p.stem for p in images.glob("*.png")} == set(stems)


# -- refusals of real LoadGen logs --------------------------------------------------------------


def _refused(args: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main([*args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == int(ExitCode.BAD_INPUT), err
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.*"))
    assert "error: import refused" in err and "fix:" in err
    return err


def _open_llm(source: Path, *extra: str) -> list[str]:
    return [
        "import", str(source), "--benchmark", LLM, "--scenario", "Offline",
        "--division", "open", "--execution", "test", *extra,
    ]  # fmt: skip


def test_logs_of_another_model_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Logs LoadGen wrote for resnet50, imported as the LLM."""
    src = tmp_path / "resnet-output"
    for mode in ("performance", "accuracy"):
        loadgen_run(
            src / mode,
            scenario="Offline",
            mode=mode,
            model="resnet50",
            total=1024,
            performance_count=1024,
            user_conf="resnet50.Offline.min_duration = 100\nresnet50.Offline.target_qps = 1e5\n",
            latency_s=0.15 if mode == "performance" else 0.0,
        )
    (src / "accuracy" / "accuracy.txt").write_text("accuracy=76.000%, good=778, total=1024\n")
    err = _refused(_open_llm(src), tmp_path / "results", capsys)
    assert "token latencies" in err and "resnet50" in err and "--benchmark resnet50" in err


def test_an_invalid_run_is_refused_and_kept_marked_with_allow_invalid(
    llm_logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "output"
    shutil.copytree(llm_logs / "Offline" / "accuracy", src / "accuracy")
    bench = rules.get_benchmark(LLM)
    # answered before the minimum duration: LoadGen says INVALID
    loadgen_run(
        src / "performance",
        scenario="Offline",
        mode="performance",
        model=bench.loadgen_model,
        total=bench.dataset_size,
        performance_count=bench.performance_sample_count,
        user_conf=f"{bench.loadgen_model}.Offline.min_duration = 300\n",
        tokens=4,
    )
    err = _refused(_open_llm(src), tmp_path / "results", capsys)
    assert "INVALID" in err and "--allow-invalid" in err
    kept = tmp_path / "kept"
    assert main([*_open_llm(src, "--allow-invalid"), "--out", str(kept), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    perf = next(r for r in doc["runs"] if r["run_id"] == "Offline-performance")
    assert perf["valid"] is False


def test_another_rounds_seeds_are_refused(
    llm_logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "output"
    shutil.copytree(llm_logs / "Offline" / "accuracy", src / "accuracy")
    bench = rules.get_benchmark(LLM)
    old = rules.get_round("v5.0").seeds
    loadgen_run(
        src / "performance",
        scenario="Offline",
        mode="performance",
        model=bench.loadgen_model,
        total=bench.dataset_size,
        performance_count=bench.performance_sample_count,
        user_conf=(llm_logs / "Offline" / "performance" / "user.conf").read_text(),
        latency_s=0.35,
        tokens=4,
        seeds={n: getattr(old, n) for n in _SEED_NAMES},
    )
    err = _refused(_open_llm(src), tmp_path / "results", capsys)
    assert "other RNG seeds than v6.1" in err and "--round v5.0" in err


def test_an_accuracy_log_that_does_not_parse_is_refused(
    llm_logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "output"
    for mode in ("performance", "accuracy"):
        shutil.copytree(llm_logs / "Offline" / mode, src / mode)
    log = src / "accuracy" / "mlperf_log_accuracy.json"
    log.write_bytes(log.read_bytes()[:100_000])  # the copy stopped half way
    err = _refused(_open_llm(src), tmp_path / "results", capsys)
    assert "mlperf_log_accuracy.json" in err and "truncated" in err
