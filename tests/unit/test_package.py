"""The package builder: the v6.1 tree from a results folder of real LoadGen runs, atomically."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import package_fixtures as fx
import pytest

from mlperf_tui import rules
from mlperf_tui.cli import main
from mlperf_tui.errors import DiskFull, ExitCode, PackageError
from mlperf_tui.package import (
    BUILD_MANIFEST,
    build_package,
    package_info,
    tarball_path,
    truncate_accuracy_log,
)
from mlperf_tui.package import tree as package_tree
from mlperf_tui.validate import validate


def _scenario(package: Path, scenario: str) -> Path:
    return next(package.glob(f"*/{fx.SUBMITTER}/results/*/resnet/{scenario}"))


def test_tree_has_what_the_checker_reads(good: dict[str, Path]) -> None:
    root = good["closed"] / "closed" / fx.SUBMITTER
    system_id = "ACME_test_box_2_cores_no_accelerator"
    assert (root / "systems" / f"{system_id}.json").is_file()
    for scenario in ("SingleStream", "MultiStream", "Offline"):
        d = root / "results" / system_id / "resnet" / scenario
        for rel in (
            "performance/run_1/mlperf_log_summary.txt",
            "performance/run_1/mlperf_log_detail.txt",
            "accuracy/mlperf_log_summary.txt",
            "accuracy/mlperf_log_detail.txt",
            "accuracy/mlperf_log_accuracy.json",
            "accuracy/accuracy.txt",
            "measurements.json",
            "user.conf",
            "README.md",
            "TEST01/verify_accuracy.txt",
            "TEST01/verify_performance.txt",
            "TEST01/performance/run_1/mlperf_log_detail.txt",
            "TEST01/accuracy/mlperf_log_accuracy.json",
            "TEST01/accuracy/accuracy.txt",
            "TEST04/verify_performance.txt",
            "TEST04/performance/run_1/mlperf_log_summary.txt",
        ):
            assert (d / rel).is_file(), f"{scenario}/{rel}"
    assert (root / "src" / "harness" / "__main__.py").is_file()
    assert (root / "src" / "README.md").read_text(encoding="utf-8").count("mlperf-tui run") >= 1
    assert (root / "src" / "profile.yaml").is_file()
    assert not list(good["closed"].rglob("__pycache__"))


def test_systems_json_has_every_field_as_a_string(good: dict[str, Path]) -> None:
    data = json.loads(next(good["closed"].glob("closed/*/systems/*.json")).read_text())
    fields = rules.get_round().system_fields
    assert list(data) == [f.name for f in fields]
    assert all(isinstance(v, str) for v in data.values())
    assert data["division"] == "closed"
    assert data["submitter"] == fx.SUBMITTER
    assert data["status"] == "available"  # the profile's answer
    assert data["host_processor_core_count"] == "2"  # detection
    assert data["system_type"] == "edge"  # the profile's category
    assert all(data[f.name] for f in fields if f.required)


def test_accuracy_log_truncated_with_hash_of_the_full_log(good: dict[str, Path]) -> None:
    full = good["closed_results"] / "runs" / "Offline-accuracy" / "mlperf_log_accuracy.json"
    acc = _scenario(good["closed"], "Offline") / "accuracy"
    limit = rules.get_round().max_accuracy_log_bytes
    assert full.stat().st_size > limit
    assert (acc / "mlperf_log_accuracy.json").stat().st_size <= limit
    digest = hashlib.sha256(full.read_bytes()).hexdigest()
    lines = (acc / "accuracy.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("accuracy=100.000%")
    assert lines[-1] == f"hash={digest}"


def test_test01_accuracy_is_truncated_and_hashed_as_the_results_are(
    good: dict[str, Path],
) -> None:
    """truncate_accuracy_log.py treats TEST01/accuracy like the results' own (3D-UNet's audit
    logs are hundreds of MB): the log cut to the limit, the full log's sha256 in accuracy.txt."""
    limit = rules.get_round().max_accuracy_log_bytes
    for scenario in ("SingleStream", "Offline"):
        full = good["closed_results"] / "runs" / f"{scenario}-TEST01" / "accuracy"
        packaged = _scenario(good["closed"], scenario) / "TEST01" / "accuracy"
        log = full / "mlperf_log_accuracy.json"
        assert (packaged / "mlperf_log_accuracy.json").stat().st_size <= limit
        if log.stat().st_size <= limit:
            assert (packaged / "mlperf_log_accuracy.json").read_bytes() == log.read_bytes()
        digest = hashlib.sha256(log.read_bytes()).hexdigest()
        lines = (packaged / "accuracy.txt").read_text(encoding="utf-8").splitlines()
        assert lines[-1] == f"hash={digest}"
        assert lines[:-1] == (full / "accuracy.txt").read_text(encoding="utf-8").splitlines()


def test_truncation_is_the_official_tools(tmp_path: Path) -> None:
    src = tmp_path / "log.json"
    src.write_bytes(bytes(range(256)) * 100)
    dst = tmp_path / "cut.json"
    assert truncate_accuracy_log(src, dst, 10 * 1024)
    data, cut = src.read_bytes(), dst.read_bytes()
    assert cut == data[:4096] + b"\n\n...\n\n" + data[-4096:]
    small = tmp_path / "small.json"
    small.write_bytes(b"[]")
    assert not truncate_accuracy_log(small, tmp_path / "same.json", 10 * 1024)
    assert (tmp_path / "same.json").read_bytes() == b"[]"


def test_measurements_hold_real_values(good: dict[str, Path]) -> None:
    data = json.loads((_scenario(good["closed"], "Offline") / "measurements.json").read_text())
    assert data == {
        "starting_weights_filename": "resnet50_v1.onnx",
        "retraining": "No",
        "input_data_types": "fp32",
        "weight_data_types": "fp32",  # read from the ONNX file's initializers
        "weight_transformations": "No",
    }


def test_inferred_scenario_holds_the_singlestream_logs(good: dict[str, Path]) -> None:
    ss = _scenario(good["closed"], "SingleStream") / "performance" / "run_1"
    ms = _scenario(good["closed"], "MultiStream") / "performance" / "run_1"
    assert (ms / "mlperf_log_detail.txt").read_bytes() == (
        ss / "mlperf_log_detail.txt"
    ).read_bytes()
    assert "inferred from the SingleStream run" in (ms.parents[1] / "README.md").read_text()
    info = package_info(good["closed"])
    assert info is not None
    assert info.inferred == {"MultiStream": "SingleStream"}
    assert info.execution == "valid" and not info.synthetic


def test_test_package_says_so_in_readme_and_system_notes(good: dict[str, Path]) -> None:
    root = next(good["test"].glob("open/*"))
    notes = json.loads(next(root.glob("systems/*.json")).read_text())["sw_notes"]
    assert notes.startswith("NOT SUBMITTABLE")
    assert "test execution" in notes and "synthetic assets" in notes
    readme = next(root.glob("results/*/resnet/Offline/README.md")).read_text()
    assert "NOT SUBMITTABLE" in readme
    manifest = json.loads((root / "src" / BUILD_MANIFEST).read_text())
    assert manifest["execution"] == "test" and manifest["synthetic"] is True
    # open division: no compliance folders
    assert not list(root.rglob("TEST01"))
    starting = json.loads(next(root.glob("results/*/resnet/Offline/measurements.json")).read_text())
    assert "synthetic" in starting["starting_weights_filename"]


def test_open_package_with_a_non_reference_model_has_a_model_mapping(
    good: dict[str, Path], tmp_path: Path
) -> None:
    results = fx.variant_results(
        good["test_results"],
        tmp_path / "results",
        profile={
            "assets": {
                "model": {"source": "synthetic", "kind": "tiny"},
                "dataset": {"source": "synthetic", "count": 50000},
            }
        },
        summary={},
    )
    out = build_package(results, tmp_path / "pkg")
    mapping = json.loads(next(out.glob("open/*/model_mapping.json")).read_text())
    assert mapping == {"resnet50-tiny": "resnet"}
    assert next(out.glob("open/*/results/*/resnet50-tiny/Offline/accuracy/accuracy.txt"))
    assert "tree.unknown-benchmark" not in {r.id for r in validate(out)}


def test_refuses_a_non_empty_out_and_force_replaces_it(
    good: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PackageError, match="not empty"):
        build_package(good["test_results"], out)
    assert (out / "keep.txt").read_text() == "mine"
    build_package(good["test_results"], out, force=True)
    assert not (out / "keep.txt").exists()
    assert (out / "open").is_dir()


def test_a_failed_build_leaves_nothing(
    good: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(dest: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(package_tree, "copy_harness_source", broken)
    out = tmp_path / "pkg"
    with pytest.raises(DiskFull, match="no space left") as raised:
        build_package(good["test_results"], out, tar=True)
    assert raised.value.exit_code == ExitCode.ENVIRONMENT
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder, no archive

    # with --force over an older package, the older one survives a failed build
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    with pytest.raises(DiskFull):
        build_package(good["test_results"], out, force=True)
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_incomplete_results_are_refused(good: dict[str, Path], tmp_path: Path) -> None:
    results = fx.variant_results(
        good["test_results"], tmp_path / "results", profile={}, summary={"complete": False}
    )
    with pytest.raises(PackageError, match="did not all finish"):
        build_package(results, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


def test_failed_run_is_refused(good: dict[str, Path], tmp_path: Path) -> None:
    results = fx.copy_tree(good["test_results"], tmp_path / "results")
    summary = json.loads((results / "summary.json").read_text())
    for run in summary["runs"]:
        if run["run_id"] == "Offline-accuracy":
            run["status"] = "failed"
    (results / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(PackageError, match="Offline accuracy run did not finish"):
        build_package(results, tmp_path / "pkg")


def test_missing_results_folder(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="does not exist"):
        build_package(tmp_path / "nope", tmp_path / "pkg")


def test_tarball(good: dict[str, Path], tmp_path: Path) -> None:
    out = build_package(good["test_results"], tmp_path / "pkg", tar=True)
    archive = tarball_path(out)
    assert archive == tmp_path / "pkg.tar.gz"
    with tarfile.open(archive) as tf:
        names = tf.getnames()
    assert any(n.endswith("Offline/accuracy/accuracy.txt") for n in names)
    assert all(n.startswith("open") for n in names)


def test_cli_package_and_check(
    good: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg"
    assert main(["package", str(good["test_results"]), "--out", str(out)]) == 0
    assert main(["package", str(good["test_results"]), "--out", str(out)]) == 3  # not empty
    capsys.readouterr()
    assert main(["check", str(out), "--json"]) == 1  # not submittable: test + synthetic
    doc = json.loads(capsys.readouterr().out)
    # the fixture's worker writes no RUN.json, so the runs' model file (and the data types of
    # its inputs) is not known: measurements.undetermined
    assert {r["id"] for r in doc["results"]} == {
        "package.test-execution",
        "package.synthetic-assets",
        "measurements.undetermined",
    }
    assert main(["check", str(tmp_path / "missing")]) == 1
    assert main(["check", str(out), "--official", str(tmp_path)]) == 3  # not a checkout
    shutil.rmtree(out)


def test_system_named_from_detection_when_the_profile_names_none(
    good: dict[str, Path], tmp_path: Path
) -> None:
    results = fx.variant_results(
        good["test_results"], tmp_path / "results", profile={"system_name": None}, summary={}
    )
    out = build_package(results, tmp_path / "pkg")
    system_json = next(out.glob("open/*/systems/*.json"))
    assert system_json.name == "Intel_R_Xeon_R_Platinum_8273CL_CPU_2.20GHz.json"
    assert (
        json.loads(system_json.read_text())["system_name"]
        == fx.DETECTED["host_processor_model_name"]
    )
    assert next(
        out.glob("open/*/results/Intel_R_Xeon_R_Platinum_8273CL_CPU_2.20GHz/resnet/Offline")
    )
