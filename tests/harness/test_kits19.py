"""3D-UNet on KiTS19: the reference's preprocessing, the Gaussian sliding window, binding, steps
within a case, DICE, and agreement with the reference accuracy_kits.py on the same logs."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from harness_util import REPO, run_harness

from harness.backends import TensorInfo
from harness.datasets.kits19 import (
    INFERENCE_CASES,
    PADDING_VALUE,
    ROI_SHAPE,
    Kits19Dataset,
    PreprocessedCase,
    export_preprocessed,
    fit_to_windows,
    normalize_intensity,
    open_folder,
    pad_to_min_shape,
    read_nifti,
    reshaped_affine,
)
from harness.tasks import (
    AccuracyError,
    Dataset,
    DatasetError,
    ModelBindingError,
    Task,
    get_task,
)
from harness.tasks.kits19_segmentation.accuracy import dice_scores, main, score_accuracy_log
from harness.tasks.kits19_segmentation.sliding_window import (
    CaseAccumulator,
    gaussian_kernel,
    window_count,
    window_origins,
)

TASK = get_task("kits19_segmentation")
#: the MLCommons 3dunet_kits19_128x128x128.onnx I/O
UNET_INPUTS = [TensorInfo("input", (1, 1, 128, 128, 128), "float32")]
UNET_OUTPUTS = [TensorInfo("output", (1, 3, 128, 128, 128), "float32")]
BINDING = TASK.bind(UNET_INPUTS, UNET_OUTPUTS, {})
CASES = 5


@dataclass(frozen=True)
class KitsAssets:
    model: Path
    raw: Path
    preprocessed: Path
    cache_dir: Path


@pytest.fixture(scope="module")
def kits(tmp_path_factory: pytest.TempPathFactory) -> KitsAssets:
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    root = tmp_path_factory.mktemp("kits19")
    entry = benchmarks.require("3d-unet-99")
    model = synthetic_model(entry, "tiny-3d-unet", seed=0, cache_dir=root)
    raw = synthetic_dataset(entry, CASES, seed=0, cache_dir=root)
    preprocessed = export_preprocessed(raw, root / "preprocessed_data")
    return KitsAssets(model, raw, preprocessed, root / "preprocessed")


@pytest.fixture(scope="module")
def cases(kits: KitsAssets) -> list[PreprocessedCase]:
    """Each raw synthetic case through our preprocessing."""
    folder = open_folder(kits.raw)
    return [folder.preprocess(i) for i in range(CASES)]


# --- the reference's preprocessing -----------------------------------------------------------


def _reference_steps(image: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """preprocess.py's normalize_intensity, pad_to_min_shape and
    adjust_shape_for_sliding_window on [1, D, H, W] arrays, restated as the test's oracle."""
    image = (np.clip(image, -79.0, 304.0) - 101.0) / 76.9
    bounds = [max(0, 128 - s) for s in image.shape[1:]]
    pads = [(0, 0), *((b // 2, b - b // 2) for b in bounds)]
    image, label = np.pad(image, pads, mode="edge"), np.pad(label, pads, mode="edge")
    shape = list(image.shape[1:])
    crop = [s % 64 for s in shape]
    crop = [c if c < 32 else 0 for c in crop]
    cut = (Ellipsis, *(slice(c // 2, s - (c - c // 2)) for c, s in zip(crop, shape, strict=True)))
    image, label = image[cut], label[cut]
    out = []
    for volume, value in ((image, -2.2), (label, 0)):
        b = [(64 - s % 64) % 64 for s in volume.shape[1:]]
        b = [x if s + x >= 128 else x + 64 for x, s in zip(b, volume.shape[1:], strict=True)]
        p = [(0, 0), *((x // 2, x - x // 2) for x in b)]
        out.append(np.pad(volume, p, mode="constant", constant_values=[value]))
    return out[0], out[1]


def test_window_fit_crops_under_half_a_stride_and_pads_otherwise() -> None:
    # (edge, after fitting): 150 % 64 = 22 < 32 cropped 11 + 11; 190 % 64 = 62 padded 1 + 1;
    # 160 % 64 = 32 padded 16 + 16; 200 % 64 = 8 cropped 4 + 4; 128 and 256 unchanged
    for edge, fitted in ((150, 128), (190, 192), (160, 192), (200, 192), (128, 128), (256, 256)):
        v = np.arange(edge, dtype=np.float32)[:, None, None] * np.ones((1, 128, 128), np.float32)
        out = fit_to_windows(v, PADDING_VALUE)
        assert out.shape == (fitted, 128, 128), edge
        if fitted < edge:
            lo = (edge % 64) // 2
            assert out[0, 0, 0] == lo and out[-1, 0, 0] == lo + fitted - 1
        elif fitted > edge:
            lo = (fitted - edge) // 2
            assert out[lo, 0, 0] == 0 and np.all(out[:lo] == np.float32(-2.2))
            assert np.all(out[lo + edge :] == np.float32(-2.2))


def test_short_axes_are_edge_padded_to_the_roi() -> None:
    v = np.arange(100 * 130 * 128, dtype=np.float32).reshape(100, 130, 128)
    out = pad_to_min_shape(v)
    assert out.shape == (128, 130, 128)
    assert np.array_equal(out[:14], np.repeat(v[:1], 14, axis=0))
    assert np.array_equal(out[-14:], np.repeat(v[-1:], 14, axis=0))
    assert np.array_equal(out[14:114], v)


def test_intensity_is_clipped_and_z_scored_in_float32() -> None:
    hu = np.array([-1000.0, -79.0, 0.0, 101.0, 304.0, 1000.0], dtype=np.float32)
    out = normalize_intensity(hu)
    assert out.dtype == np.float32
    clipped = np.array([-79.0, -79.0, 0.0, 101.0, 304.0, 304.0], dtype=np.float32)
    expected = (clipped - np.float32(101.0)) / np.float32(76.9)
    assert out.tobytes() == expected.tobytes()
    assert out[3] == 0.0


def test_affine_takes_the_target_spacing_with_the_original_signs() -> None:
    kits_like = np.array(
        [[0, 0, -0.78, 0], [0, -0.78, 0, 0], [-3.0, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64
    )
    expected = np.array(
        [[0, 0, -1.2, 0], [0, -1.2, 0, 0], [-1.6, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64
    )
    assert np.array_equal(reshaped_affine(kits_like), expected)


def test_a_raw_case_is_preprocessed_as_the_reference_does(
    kits: KitsAssets, cases: list[PreprocessedCase]
) -> None:
    from scipy.ndimage import zoom

    folder = open_folder(kits.raw)
    assert folder.layout == "raw" and folder.cases == INFERENCE_CASES[:CASES]
    for case in cases:
        d = folder.case_dir(case.name)
        image, spacing, _ = read_nifti(d / "imaging.nii.gz", np.float32)
        label, _, _ = read_nifti(d / "segmentation.nii.gz", np.uint8)
        # the reference's load_and_resample, then its remaining steps
        factor = np.array(spacing) / np.array([1.6, 1.2, 1.2])
        image = zoom(image, factor, order=1, mode="constant", cval=image.min(), grid_mode=False)
        label = zoom(label, factor, order=0, mode="constant", cval=label.min(), grid_mode=False)
        ref_image, ref_label = _reference_steps(image[None], label[None])
        assert case.image.dtype == np.float32 and case.label.dtype == np.uint8
        assert case.image.tobytes() == ref_image.astype(np.float32).tobytes(), case.name
        assert case.label.tobytes() == ref_label.astype(np.uint8).tobytes(), case.name
        assert case.aux["image_shape"] == ref_image.shape
        assert all(s % 64 == 0 and s >= 128 for s in case.image.shape[1:])
        assert set(np.unique(case.label)) <= {0, 1, 2}


def test_synthetic_cases_exercise_every_preprocessing_step(
    kits: KitsAssets, cases: list[PreprocessedCase]
) -> None:
    folder = open_folder(kits.raw)
    resampled = []
    for name in folder.cases:
        image, spacing, _ = read_nifti(folder.case_dir(name) / "imaging.nii.gz", np.float32)
        factor = np.array(spacing) / np.array([1.6, 1.2, 1.2])
        resampled += [round(n * f) for n, f in zip(image.shape, factor, strict=True)]
    assert any(e < 128 for e in resampled)  # edge-padded to the ROI
    assert any(128 < e < 160 for e in resampled)  # cropped to 128
    assert any(160 <= e < 192 for e in resampled)  # padded with -2.2 to 192
    shapes = [case.image.shape[1:] for case in cases]
    assert (192, 128, 128) in shapes  # a two-window case (constant padding)
    assert shapes.count((128, 128, 128)) >= 3  # cropped and edge-padded one-window cases
    labels = cases[0].label
    assert np.count_nonzero(labels == 1) and np.count_nonzero(labels == 2)


def test_dataset_reads_both_layouts_to_the_same_volumes(kits: KitsAssets, tmp_path: Path) -> None:
    raw = Kits19Dataset(kits.raw, tmp_path / "cache", None)
    pre = Kits19Dataset(kits.preprocessed, tmp_path / "cache", None)
    assert isinstance(raw, Dataset) and isinstance(TASK, Task)
    assert raw.total_count == pre.total_count == CASES
    assert raw.preprocess(None) == CASES and raw.preprocess(None) == 0
    assert pre.preprocess(None) == 0  # read as it is
    idx = np.arange(CASES)
    raw.load(idx)
    pre.load(idx)
    for i in range(CASES):
        a, b = raw.batch(np.array([i]))["input"], pre.batch(np.array([i]))["input"]
        assert a.shape[:2] == (1, 1) and a.flags.c_contiguous and a.dtype == np.float32
        assert a.tobytes() == b.tobytes()
    several = raw.batch(np.array([0, 3]))["input"]
    assert several.dtype == object and [c.shape for c in several] == [
        raw.batch(np.array([0]))["input"].shape,
        raw.batch(np.array([3]))["input"].shape,
    ]
    raw.unload(idx)
    assert raw.loaded_count == 0
    with pytest.raises(KeyError):
        raw.batch(np.array([0]))
    # the second open reads the cache
    again = Kits19Dataset(kits.raw, tmp_path / "cache", 2)
    again.load(np.arange(2))
    assert again.cache_hits == 2 and again.cache_misses == 0


def test_bad_folders_and_pickles_are_reported(kits: KitsAssets, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        open_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"neither preprocessed_files\.pkl"):
        open_folder(tmp_path / "empty")
    with pytest.raises(DatasetError, match="larger than the 5 cases"):
        Kits19Dataset(kits.raw, tmp_path / "cache", 9)
    # a pickle that would build another object is refused, not run
    evil = tmp_path / "evil"
    evil.mkdir()
    import pickle

    (evil / "preprocessed_files.pkl").write_bytes(pickle.dumps({"file_list": [Path("x")]}))
    with pytest.raises(DatasetError, match="not an array or a plain container"):
        open_folder(evil)


def test_case_00400_is_case_00185_as_the_reference_makefile_copies_it(
    kits: KitsAssets, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    (raw / "case_00185").mkdir(parents=True)
    for name in ("imaging.nii.gz", "segmentation.nii.gz"):
        shutil.copy(kits.raw / "case_00000" / name, raw / "case_00185" / name)
    folder = open_folder(raw)
    assert folder.cases == ("case_00185", "case_00400")
    assert folder.case_dir("case_00400") == raw / "case_00185"
    assert folder.preprocess(1).image.tobytes() == folder.preprocess(0).image.tobytes()
    # a folder with none of the reference's cases uses every case it has, sorted
    other = tmp_path / "other"
    for case in ("case_00300", "case_00299"):
        shutil.copytree(kits.raw / "case_00000", other / case)
    assert open_folder(other).cases == ("case_00299", "case_00300")


# --- the sliding window ------------------------------------------------------------------------


def test_gaussian_kernel_is_the_references() -> None:
    from scipy.signal import windows

    g1 = windows.gaussian(128, 0.125 * 128)
    g3 = np.outer(np.outer(g1, g1), g1).reshape(128, 128, 128)
    g3 = np.cbrt(g3)
    g3 /= g3.max()
    kernel = gaussian_kernel(128)
    assert kernel.dtype == np.float32 and kernel.shape == (128, 128, 128)
    assert kernel.tobytes() == g3.astype(np.float32).tobytes()
    assert kernel.max() == 1.0 and np.array_equal(kernel, kernel[::-1, ::-1, ::-1])
    assert not kernel.flags.writeable


def test_windows_start_every_stride_inside_the_volume() -> None:
    origins = list(window_origins((192, 256, 128), ROI_SHAPE))
    assert origins == list(itertools.product((0, 64), (0, 64, 128), (0,)))
    assert window_count((192, 256, 128), ROI_SHAPE) == 6
    assert list(window_origins((128, 128, 128), ROI_SHAPE)) == [(0, 0, 0)]


class FakeBackend:
    """Deterministic per-window scores (a function of the window's content)."""

    name = "fake"
    version = "0"
    description = "fake"

    def __init__(self, channels: int = 3) -> None:
        self.inputs = UNET_INPUTS
        self.outputs = UNET_OUTPUTS
        self.channels = channels
        self.calls = 0

    def predict(self, feeds: Any, output_names: Sequence[str] | None = None) -> list[np.ndarray]:
        self.calls += 1
        x = np.asarray(feeds["input"])
        assert x.shape == (1, 1, 128, 128, 128) and x.flags.c_contiguous
        scores = np.stack([np.sin(x[0, 0] * (c + 1) + c) for c in range(self.channels)])
        return [scores[None].astype(np.float32)]


def _reference_infer(backend: FakeBackend, image: np.ndarray) -> np.ndarray:
    """base_SUT.infer_single_query + inference_utils.finalize, restated."""
    g1 = np.exp(-((np.arange(128) - 63.5) ** 2) / (2 * 16.0 * 16.0))
    patch = np.cbrt(np.outer(np.outer(g1, g1), g1).reshape(128, 128, 128))
    patch = (patch / patch.max()).astype(np.float32)
    result = np.zeros((1, 3, *image.shape[2:]), dtype=image.dtype)
    norm = np.zeros_like(result)
    for i, j, k in window_origins(image.shape[2:], ROI_SHAPE):
        s = (Ellipsis, slice(i, i + 128), slice(j, j + 128), slice(k, k + 128))
        out = backend.predict({"input": np.ascontiguousarray(image[s])})[0].squeeze(0)
        result[s] += out * patch
        norm[s] += patch
    result /= norm
    return np.expand_dims(np.argmax(result, axis=1).astype(np.uint8), 0)


@pytest.mark.parametrize("shape", [(128, 128, 128), (192, 128, 128), (192, 192, 256)])
def test_sliding_window_gives_the_references_bytes(shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(1)
    image = rng.standard_normal((1, 1, *shape)).astype(np.float32)
    backend = FakeBackend()
    (ours,) = TASK.infer(backend, BINDING, {"input": image})
    assert backend.calls == window_count(shape, ROI_SHAPE)
    reference = _reference_infer(FakeBackend(), image)
    assert ours.dtype == np.uint8 and ours.shape == shape
    assert TASK.response_bytes([ours], 0) == reference.tobytes()
    assert len(TASK.response_bytes([ours], 0)) == int(np.prod(shape))


def test_ties_and_nans_take_np_argmax_choice() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(-2, 3, size=(3, 128, 128, 128)).astype(np.float32)  # many ties
    scores[:, 5, 5, 5] = [np.nan, 1.0, 2.0]
    scores[:, 70, 1, 2] = [0.0, np.nan, 1.0]
    kernel = gaussian_kernel()
    expected = np.argmax((scores * kernel) / kernel, axis=0).astype(np.uint8)
    acc = CaseAccumulator((128, 128, 128), ROI_SHAPE, 3, kernel)
    acc.add((0, 0, 0), scores.copy())
    assert acc.finish().tobytes() == expected.tobytes()


def test_accumulator_refuses_misuse() -> None:
    acc = CaseAccumulator((128, 128, 128), ROI_SHAPE, 3, gaussian_kernel())
    with pytest.raises(ValueError, match="no window"):
        acc.finish()


def test_steps_are_reported_within_a_case_and_a_batch_runs_case_by_case() -> None:
    rng = np.random.default_rng(2)
    big = rng.standard_normal((1, 1, 192, 192, 128)).astype(np.float32)
    small = rng.standard_normal((1, 1, 128, 128, 128)).astype(np.float32)
    steps: list[tuple[int, int]] = []
    batch = np.empty(2, dtype=object)
    batch[0], batch[1] = big, small
    results = TASK.infer(
        FakeBackend(), BINDING, {"input": batch}, steps=lambda d, t: steps.append((d, t))
    )
    assert steps == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert [r.shape for r in results] == [(192, 192, 128), (128, 128, 128)]
    (alone,) = TASK.infer(FakeBackend(), BINDING, {"input": big})
    assert alone.tobytes() == results[0].tobytes()
    # calibration: batch_size one-window cases
    feeds = TASK.calibration_feeds(BINDING, 2)
    assert feeds["input"].shape == (2, 1, 128, 128, 128)
    assert len(TASK.infer(FakeBackend(), BINDING, feeds)) == 2


# --- binding -----------------------------------------------------------------------------------


def test_the_reference_model_binds_static_and_dynamic_batch() -> None:
    assert BINDING.inputs[0].name == "input" and BINDING.outputs == ("output",)
    dyn = TASK.bind(
        [TensorInfo("input", (None, 1, 128, 128, 128), "float32")],
        [TensorInfo("output", (None, 3, 128, 128, 128), "float32")],
        {},
    )
    assert dyn.outputs == ("output",)
    other = TASK.bind(
        [TensorInfo("ct", (1, 1, 128, 128, 128), "float32")],
        [TensorInfo("probs", (1, 3, 128, 128, 128), "float32")],
        {},
    )
    assert other.inputs[0].name == "ct" and other.outputs == ("probs",)


@pytest.mark.parametrize(
    ("inputs", "outputs", "named"),
    [
        (
            [TensorInfo("input_tensor:0", (None, 3, 224, 224), "float32")],
            [TensorInfo("softmax_tensor:0", (None, 1001), "float32")],
            "input_tensor:0",
        ),
        (
            [TensorInfo("input", (1, 1, 96, 96, 96), "float32")],
            UNET_OUTPUTS,
            "input",
        ),
        (
            UNET_INPUTS,
            [TensorInfo("output", (1, 2, 128, 128, 128), "float32")],
            "output [1,2,128,128,128]",
        ),
        (
            [*UNET_INPUTS, TensorInfo("mask", (1, 1, 128, 128, 128), "float32")],
            UNET_OUTPUTS,
            "mask",
        ),
    ],
)
def test_a_model_that_does_not_fit_names_the_tensor(
    inputs: list[TensorInfo], outputs: list[TensorInfo], named: str
) -> None:
    with pytest.raises(ModelBindingError) as info:
        TASK.bind(inputs, outputs, {})
    assert named in info.value.message and info.value.fix


# --- DICE -------------------------------------------------------------------------------------


def test_dice_is_the_references_formula() -> None:
    target = np.array([0, 1, 1, 1, 2, 2, 0, 0], dtype=np.uint8)
    pred = np.array([0, 1, 1, 0, 2, 1, 2, 0], dtype=np.uint8)
    kidney, tumor = dice_scores(pred, target)
    assert kidney == (2.0 * 2 + 1e-6) / (3 + 3 + 1e-6)
    assert tumor == (2.0 * 1 + 1e-6) / (2 + 2 + 1e-6)
    assert list(dice_scores(target, target)) == [1.0, 1.0]
    # a class absent from both counts as perfect (the smoothing), as in the reference
    assert list(dice_scores(np.zeros(8, np.uint8), np.zeros(8, np.uint8))) == [1.0, 1.0]
    with pytest.raises(ValueError, match="class 7"):
        dice_scores(np.full(8, 7, np.uint8), target)


def _write_log(path: Path, entries: list[tuple[int, np.ndarray]]) -> Path:
    """An mlperf_log_accuracy.json laid out as LoadGen writes it."""
    lines = [
        f'{{ "seq_id" : {n}, "qsl_idx" : {i}, "data" : "{a.tobytes().hex().upper()}" }}'
        for n, (i, a) in enumerate(entries)
    ]
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    return path


def test_a_perfect_prediction_scores_one(kits: KitsAssets, tmp_path: Path) -> None:
    folder = open_folder(kits.preprocessed)
    truth = [(i, folder.ground_truth(i)[0]) for i in range(CASES)]
    log = _write_log(tmp_path / "mlperf_log_accuracy.json", truth)
    for data in (kits.preprocessed, kits.raw):
        score = score_accuracy_log(log, data)
        assert score["mean"] == 1.0 and score["cases"] == CASES
        assert score["line"] == "Accuracy: mean = 1.00000, kidney = 1.0000, tumor = 1.0000"


def test_unusable_logs_are_refused(kits: KitsAssets, tmp_path: Path) -> None:
    folder = open_folder(kits.raw)
    label = folder.ground_truth(0)[0]
    cases = {
        "empty": "",
        "truncated": '[\n{ "seq_id" : 0, "qsl_idx" : 0, "data" : "00" },\n',
        "nothing": "[\n]\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(AccuracyError):
            score_accuracy_log(tmp_path / name, kits.raw)
    wrong_size = _write_log(tmp_path / "size.json", [(0, label[:64])])
    with pytest.raises(AccuracyError, match="has 1048576 values"):
        score_accuracy_log(wrong_size, kits.raw)
    outside = _write_log(tmp_path / "outside.json", [(9, label)])
    with pytest.raises(AccuracyError, match="qsl_idx 9 is outside"):
        score_accuracy_log(outside, kits.raw)
    with pytest.raises(AccuracyError, match="no accuracy log"):
        score_accuracy_log(tmp_path / "missing.json", kits.raw)


# --- real LoadGen runs, and the reference accuracy script ---------------------------------------


def _write_run(tmp: Path, kits: KitsAssets, data: Path, scenario: str, mode: str) -> Path:
    conf = tmp / "user.conf"
    conf.write_text(
        f"*.*.performance_sample_count_override = {CASES}\n"
        "*.*.min_duration = 100\n"
        "*.SingleStream.min_query_count = 12\n"
        "*.SingleStream.target_latency = 100\n"
        "*.Offline.target_qps = 10\n"
        "*.Offline.min_query_count = 12\n"
    )
    run = {
        "schema_version": 1,
        "benchmark": "3d-unet-99",
        "loadgen_model": "3d-unet",
        "task": "kits19_segmentation",
        "scenario": scenario,
        "mode": mode,
        "audit_config": None,
        "model_path": str(kits.model),
        "dataset_path": str(data),
        "dataset_count": None,
        "cache_dir": str(kits.cache_dir),
        "backend": {
            "name": "onnxruntime",
            "execution_provider": "CPUExecutionProvider",
            "intra_op_threads": 1,
            "batch_size": 4,
        },
        "server_max_wait_ms": 2.0,
        "user_conf": str(conf),
        "output_dir": str(tmp / "out"),
        "progress_interval_s": 0.02,
    }
    path = tmp / "RUN.json"
    path.write_text(json.dumps(run, indent=2))
    return path


@pytest.fixture(scope="module")
def accuracy_run(kits: KitsAssets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Offline accuracy run on the raw synthetic set (batches of 4 cases)."""
    tmp = tmp_path_factory.mktemp("kits19-accuracy")
    run = run_harness(_write_run(tmp, kits, kits.raw, "Offline", "accuracy"), timeout=120)
    assert run.rc == 0, run
    assert run.result["status"] == "ok", run
    assert run.result["accuracy"]["metric"] == "DICE"
    return run.output_dir


def test_loadgen_runs_report_steps_within_a_case(kits: KitsAssets, tmp_path: Path) -> None:
    run = run_harness(
        _write_run(tmp_path, kits, kits.preprocessed, "SingleStream", "performance"), timeout=120
    )
    assert run.rc == 0, run
    assert run.result["status"] == "ok", run
    within = [e["within"] for e in run.by_name["progress"] if e.get("within")]
    assert within, "no progress event reported the windows of the case in flight"
    assert all(0 <= w["done"] <= w["total"] for w in within)


def test_the_accuracy_run_writes_the_checkers_dice_line(
    accuracy_run: Path, kits: KitsAssets
) -> None:
    import re

    text = (accuracy_run / "accuracy.txt").read_text()
    match = re.match(r"Accuracy\:\s*mean\s*=\s*([\d\.]+)", text)
    assert match, text
    entries = json.loads((accuracy_run / "mlperf_log_accuracy.json").read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(CASES))
    folder = open_folder(kits.raw)
    for e in entries:
        shape = folder.ground_truth(e["qsl_idx"])[0].shape
        assert len(bytes.fromhex(e["data"])) == int(np.prod(shape))  # uint8 [D, H, W]
    # the accuracy script's command line gives the same line, from either layout
    for data in (kits.raw, kits.preprocessed):
        out = accuracy_run / f"again-{data.name}.txt"
        assert (
            main(
                [
                    "--log_file",
                    str(accuracy_run / "mlperf_log_accuracy.json"),
                    "--preprocessed_data_dir",
                    str(data),
                    "--output",
                    str(out),
                ]
            )
            == 0
        )
        assert out.read_text() == text


#: accuracy_kits.py uses DataFrame.append, which pandas 2 removed: the shim restores it as
#: pd.concat (its documented replacement), changing nothing else of the script
_REFERENCE_SHIM = """
import runpy, sys
import pandas as pd

def _append(self, other, ignore_index=False, **kwargs):
    return pd.concat([self, pd.DataFrame([other])], ignore_index=ignore_index)

if not hasattr(pd.DataFrame, "append"):
    pd.DataFrame.append = _append
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""


def _run_reference(log: Path, preprocessed: Path, post: Path) -> str:
    import reference_copy

    script = (
        reference_copy.inference_root()
        / "vision"
        / "medical_imaging"
        / "3d-unet-kits19"
        / "accuracy_kits.py"
    )
    for module in ("pandas", "nibabel"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the reference accuracy_kits.py needs {module} (pip install .[test])")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _REFERENCE_SHIM,
            str(script),
            "--log_file",
            str(log),
            "--output_dtype",
            "uint8",
            "--preprocessed_data_dir",
            str(preprocessed),
            "--postprocessed_data_dir",
            str(post),
            "--num_proc",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_accuracy_agrees_with_the_reference_script(
    accuracy_run: Path, kits: KitsAssets, tmp_path: Path
) -> None:
    log = accuracy_run / "mlperf_log_accuracy.json"
    stdout = _run_reference(log, kits.preprocessed, tmp_path / "reference")
    line = next(ln for ln in stdout.splitlines() if ln.startswith("Accuracy:"))
    ours = score_accuracy_log(log, kits.preprocessed, postprocessed_dir=tmp_path / "ours")
    assert ours["line"] == line
    assert score_accuracy_log(log, kits.raw)["line"] == line
    # the unrounded figures too: per case, and the mean row of the reference's summary.csv
    with open(tmp_path / "reference" / "summary.csv") as fh:
        reference = {row["case"]: row for row in csv.DictReader(fh)}
    for case, kidney, tumor, composite in ours["per_case"]:
        row = reference[case]
        assert (kidney, tumor, composite) == pytest.approx(
            (float(row["kidney"]), float(row["tumor"]), float(row["composite"])), rel=1e-12
        )
    mean = reference["mean"]
    assert (ours["kidney_exact"], ours["tumor_exact"], ours["mean_exact"]) == pytest.approx(
        (float(mean["kidney"]), float(mean["tumor"]), float(mean["composite"])), rel=1e-12
    )
    # and the predictions it wrote are the ones we decode
    import nibabel as nib

    for case, *_ in ours["per_case"]:
        theirs = nib.load(tmp_path / "reference" / case / "prediction.nii.gz").get_fdata()
        mine = nib.load(tmp_path / "ours" / case / "prediction.nii.gz").get_fdata()
        assert np.array_equal(theirs, mine)


def test_a_perfect_log_scores_one_in_the_reference_too(kits: KitsAssets, tmp_path: Path) -> None:
    folder = open_folder(kits.preprocessed)
    log = _write_log(
        tmp_path / "perfect.json", [(i, folder.ground_truth(i)[0]) for i in range(CASES)]
    )
    stdout = _run_reference(log, kits.preprocessed, tmp_path / "reference")
    assert "Accuracy: mean = 1.00000, kidney = 1.0000, tumor = 1.0000" in stdout
