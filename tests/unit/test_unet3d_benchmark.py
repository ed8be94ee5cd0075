"""The 3D-UNet family in the registry: one entry for 3d-unet-99 and 3d-unet-99.9, its models
(the reference and the tiny stand-in), the KiTS19 data set kind and its synthetic generator."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from harness.datasets.kits19 import (
    INFERENCE_CASES,
    Kits19Dataset,
    export_preprocessed,
    open_folder,
    read_nifti,
)
from mlperf_tui import assets, benchmarks, rules
from mlperf_tui.benchmarks.kits19 import data, graphs
from mlperf_tui.errors import AssetError
from mlperf_tui.profile import dump_profile, load_profile

ENTRY = benchmarks.require("3d-unet-99")
PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "3d-unet-99-edge.yaml"


def test_one_entry_serves_both_accuracy_targets() -> None:
    assert benchmarks.get("3d-unet-99.9") is ENTRY
    assert ENTRY.benchmarks == ("3d-unet-99", "3d-unet-99.9")
    names = rules.benchmark_names("v6.1")
    assert {"3d-unet-99", "3d-unet-99.9"} <= set(benchmarks.runnable(names))
    for name in ENTRY.benchmarks:
        bench = rules.get_benchmark(name, "v6.1")
        assert bench.accuracy[0].metric == get_task_metric()
        assert bench.dataset_size == len(INFERENCE_CASES) == 43
    assert "DICE" in ENTRY.summary and "KiTS" in ENTRY.summary


def get_task_metric() -> str:
    from harness.tasks import get_task

    return get_task(ENTRY.task).accuracy_metric


def test_the_models_are_the_reference_and_a_closed_allowed_stand_in() -> None:
    assert ENTRY.task == "kits19_segmentation"
    assert ENTRY.default_model.name == "3d-unet"
    assert ENTRY.default_model.standin is None  # the reference is given as a path or URL
    assert ENTRY.standins == ("tiny-3d-unet",)
    assert all(k.closed for k in ENTRY.models)
    tiny = ENTRY.model("tiny-3d-unet")
    assert tiny.package_name == "tiny-3d-unet"
    # minutes per case for the reference on a CPU; a fraction of a second for the stand-in
    assert ENTRY.default_model.per_core_throughput < 0.01 < tiny.per_core_throughput


def test_the_stand_in_has_the_reference_io_binds_and_is_deterministic(tmp_path: Path) -> None:
    model = graphs.build_tiny_unet(0)
    inputs, outputs = assets.model_io(model)
    assert [(t.name, t.shape, t.dtype) for t in inputs] == [
        ("input", (1, 1, 128, 128, 128), "float32")
    ]
    assert [(t.name, t.shape, t.dtype) for t in outputs] == [
        ("output", (1, 3, 128, 128, 128), "float32")
    ]
    assert graphs.build_tiny_unet(0).SerializeToString() == model.SerializeToString()
    assert graphs.build_tiny_unet(1).SerializeToString() != model.SerializeToString()
    path = assets.synthetic_model(ENTRY, "tiny-3d-unet", seed=0, cache_dir=tmp_path)
    binding = assets.check_model(path, ENTRY, "tiny-3d-unet")
    assert binding.outputs == ("output",)
    with pytest.raises(AssetError, match="3d-unet has no synthetic stand-in"):
        assets.synthetic_model(ENTRY, "3d-unet", cache_dir=tmp_path)


def test_the_stand_in_runs_a_window_in_well_under_a_second(tmp_path: Path) -> None:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(
        graphs.build_tiny_unet(0).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    x = np.random.default_rng(0).standard_normal((1, 1, 128, 128, 128), dtype=np.float32)
    (out,) = session.run(["output"], {"input": x})
    assert out.shape == (1, 3, 128, 128, 128) and np.isfinite(out).all()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        session.run(["output"], {"input": x})
        best = min(best, time.perf_counter() - t0)
    assert best < 1.0  # about 50 ms on two idle cores; generous for a shared machine


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_synthetic_set_is_raw_kits19_deterministic_and_prefix_stable(tmp_path: Path) -> None:
    first, second, shorter = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, count in ((first, 3), (second, 3), (shorter, 2)):
        folder.mkdir()
        data.synthesize(count, 0, folder, None)
    digest = _tree_digest(first)
    assert digest == _tree_digest(second)
    assert set(digest) == {
        "kits.json",
        *(
            f"{c}/{f}"
            for c in INFERENCE_CASES[:3]
            for f in ("imaging.nii.gz", "segmentation.nii.gz")
        ),
    }
    assert all(digest[k] == v for k, v in _tree_digest(shorter).items() if k != "kits.json")
    assert data.check_folder(first) == data.count_samples(first) == 3
    assert open_folder(first).layout == "raw"
    for case in INFERENCE_CASES[:3]:
        image, spacing, affine = read_nifti(first / case / "imaging.nii.gz", np.float32)
        label, _, _ = read_nifti(first / case / "segmentation.nii.gz", np.uint8)
        assert image.shape == label.shape
        assert 1.0 <= spacing[0] <= 3.0 and 0.7 <= spacing[1] == spacing[2] <= 1.0
        assert image.min() < -900 and image.max() > 300  # air and bone, in HU
        assert set(np.unique(label)) == {0, 1, 2}
        assert affine[2, 0] == -spacing[0] and affine[0, 2] == -spacing[2]  # KiTS19's axes


def test_the_registry_generates_and_caches_the_set(tmp_path: Path) -> None:
    folder = assets.synthetic_dataset(ENTRY, 2, seed=0, cache_dir=tmp_path)
    assert (folder / ENTRY.dataset.marker).is_file()
    assert assets.synthetic_dataset(ENTRY, 2, seed=0, cache_dir=tmp_path) == folder
    assert assets.check_dataset(folder, ENTRY) == 2
    with pytest.raises(AssetError, match="at most the reference's 43"):
        data.synthesize(44, 0, tmp_path / "x", None)


def test_the_preprocessed_layout_is_recognised_and_checked(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    data.synthesize(2, 0, raw, None)
    pre = export_preprocessed(raw, tmp_path / "preprocessed_data")
    assert data.check_folder(pre) == data.count_samples(pre) == 2
    # what the pre-flight may skip: a preprocessed folder needs no cache, a raw one fills it
    cache = tmp_path / "cache"
    assert data.preprocessed_in_cache(pre, cache, {}) == 2
    assert data.preprocessed_in_cache(raw, cache, {}) == 0
    Kits19Dataset(raw, cache, 1).preprocess(None)
    assert data.preprocessed_in_cache(raw, cache, {}) == 1
    assert data.preprocessed_in_cache(tmp_path / "nowhere", cache, {}) == 0
    assert ENTRY.dataset.locate(raw) == raw  # the raw layout's marker
    shutil.rmtree(pre / "nifti" / INFERENCE_CASES[1])
    with pytest.raises(AssetError, match="have no ground truth") as err:
        data.check_folder(pre)
    assert "preprocess.py" in err.value.fix


def test_folders_that_are_not_kits19_are_refused_with_a_fix(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="does not exist") as err:
        data.check_folder(tmp_path / "nowhere")
    assert "synthetic" in err.value.fix
    (tmp_path / "empty").mkdir()
    with pytest.raises(AssetError, match="neither") as err:
        data.check_folder(tmp_path / "empty")
    assert "data/" in err.value.fix
    assert data.count_samples(tmp_path / "empty") == 0
    broken = tmp_path / "broken" / "case_00000"
    broken.mkdir(parents=True)
    (broken / "imaging.nii.gz").write_bytes(b"not a nifti")
    (broken / "segmentation.nii.gz").write_bytes(b"not a nifti")
    with pytest.raises(AssetError, match="cannot read"):
        data.check_folder(tmp_path / "broken")


def test_a_case_cache_entry_is_about_a_kits19_case() -> None:
    # float32 [1, D, H, W]: the order of a KiTS19 case after resampling, about 100 MB
    assert 50e6 < ENTRY.dataset.sample_bytes < 200e6
    assert ENTRY.dataset.sample_bytes % 4 == 0


def test_the_shipped_profile_round_trips_and_uses_the_stand_ins() -> None:
    profile = load_profile(PROFILE)
    text = PROFILE.read_text(encoding="utf-8")
    assert text.endswith(dump_profile(profile))
    assert text.startswith("# 3D-UNet-99")
    assert profile.benchmark == "3d-unet-99"
    assert profile.assets is not None and profile.assets.model.kind == "tiny-3d-unet"
    assert profile.backend.batch_size == 1
    assert [s.value for s in profile.scenarios] == ["SingleStream", "Offline"]
