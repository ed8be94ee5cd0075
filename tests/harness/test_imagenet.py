"""ImageNet task: reference preprocessing, the preprocessed-sample cache, the accuracy script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.backends import TensorInfo
from harness.datasets import SampleStore
from harness.datasets.imagenet import (
    MEANS,
    ImagenetDataset,
    ImagePreprocessing,
    preprocess_image,
    resized_size,
)
from harness.tasks import (
    AccuracyError,
    Binding,
    Dataset,
    DatasetError,
    ModelBindingError,
    Task,
    TaskError,
    get_task,
)
from harness.tasks.imagenet_classification.accuracy import main as accuracy_main

TASK = get_task("imagenet_classification")
REPO = Path(__file__).resolve().parents[2]
INPUT = "input_tensor:0"
#: the MLCommons resnet50_v1.onnx I/O
RESNET_INPUTS = [TensorInfo(INPUT, (None, 3, 224, 224), "float32")]
RESNET_OUTPUTS = [
    TensorInfo("ArgMax:0", (None,), "int64"),
    TensorInfo("softmax_tensor:0", (None, 1001), "float32"),
]
RESNET = TASK.bind(RESNET_INPUTS, RESNET_OUTPUTS, {})


def make_folder(folder: Path, sizes: list[tuple[int, int]], seed: int = 0) -> Path:
    """JPEGs of the given (width, height) and a val_map.txt with labels 0, 1, 2, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = []
    for i, (w, h) in enumerate(sizes):
        name = f"img_{i:03d}.JPEG"
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
            folder / name, quality=90
        )
        lines.append(f"{name} {i % 1000}\n")
    (folder / "val_map.txt").write_text("".join(lines))
    return folder


# --- preprocessing ---------------------------------------------------------------------------


def test_resize_target_is_the_reference_aspect_ratio_arithmetic() -> None:
    # shorter side int(100 * 224 / 87.5) = 256, longer side truncated like the reference's int()
    assert resized_size(500, 375) == (341, 256)
    assert resized_size(375, 500) == (256, 341)
    assert resized_size(256, 256) == (256, 256)
    assert resized_size(100, 60) == (426, 256)


def test_preprocessing_matches_a_hand_computation(tmp_path: Path) -> None:
    # 512x1024 made of constant 2x2 blocks: the area resize to 256x512 is exactly `base`,
    # so the crop offsets, the channel order, the means and the NCHW layout are all pinned.
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (512, 256, 3), dtype=np.uint8)
    big = base.repeat(2, axis=0).repeat(2, axis=1)
    path = tmp_path / "tall.png"
    Image.fromarray(big, "RGB").save(path)

    out = preprocess_image(path)

    top, left = int((512 - 224) / 2), int((256 - 224) / 2)  # 144, 16
    expected = base[top : top + 224, left : left + 224].astype(np.float32) - MEANS
    assert out.shape == (3, 224, 224)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected.transpose(2, 0, 1))
    # red channel first, its mean 123.68 subtracted
    assert out[0, 0, 0] == np.float32(base[top, left, 0]) - np.float32(123.68)


def test_preprocessing_handles_grayscale_and_small_images(tmp_path: Path) -> None:
    Image.fromarray(np.full((60, 100), 200, np.uint8), "L").save(tmp_path / "g.jpg", quality=100)
    out = preprocess_image(tmp_path / "g.jpg")  # upscaled: shorter side 60 → 256
    assert out.shape == (3, 224, 224)
    pixel = out[:, 112, 112] + MEANS
    assert np.allclose(pixel, pixel[0], atol=1.0)  # grey stays grey in all three channels
    assert abs(float(pixel[0]) - 200) <= 2


# --- data set and cache ----------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    sizes = [(300 + 17 * i, 260 + 11 * (i % 5)) for i in range(12)] + [(240, 400), (500, 333)]
    return make_folder(tmp_path / "imagenet", sizes)


def test_dataset_loads_preprocessed_samples_and_labels(folder: Path, tmp_path: Path) -> None:
    ds = TASK.open_dataset(folder, tmp_path / "cache", None, RESNET)
    assert ds.total_count == 14
    assert ds.labels.tolist() == list(range(14))
    ds.load([0, 5, 13])
    feeds = ds.batch(np.array([13, 0]))
    assert list(feeds) == [INPUT]
    batch = feeds[INPUT]
    assert batch.shape == (2, 3, 224, 224)
    assert batch.dtype == np.float32
    assert batch.flags.c_contiguous
    np.testing.assert_array_equal(batch[0], preprocess_image(folder / "img_013.JPEG"))
    np.testing.assert_array_equal(batch[1], preprocess_image(folder / "img_000.JPEG"))


def test_count_takes_the_first_samples(folder: Path, tmp_path: Path) -> None:
    ds = TASK.open_dataset(folder, tmp_path / "cache", 4, RESNET)
    assert ds.total_count == 4
    with pytest.raises(DatasetError, match="larger than the 14 images"):
        TASK.open_dataset(folder, tmp_path / "cache", 15, RESNET)


def test_second_open_reads_the_cache_and_gives_identical_arrays(
    folder: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = ImagenetDataset(folder, cache)
    first.load(np.arange(14))
    assert (first.cache_hits, first.cache_misses) == (0, 14)
    a = first.batch(np.arange(14))[INPUT].copy()

    second = ImagenetDataset(folder, cache)
    second.load(np.arange(14))
    assert (second.cache_hits, second.cache_misses) == (14, 0)
    np.testing.assert_array_equal(second.batch(np.arange(14))[INPUT], a)
    assert not list(second.cache_folder.glob("*.tmp"))  # atomic writes leave no leftovers


def test_a_replaced_image_or_a_damaged_cache_file_is_preprocessed_again(
    folder: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    ImagenetDataset(folder, cache).preprocess()
    # a different picture under the same name: new size and mtime → a new cache key
    Image.fromarray(np.zeros((300, 400, 3), np.uint8)).save(folder / "img_002.JPEG")
    os.utime(folder / "img_002.JPEG", ns=(1, 1))
    ds = ImagenetDataset(folder, cache)
    ds.load([2])
    assert ds.cache_misses == 1
    np.testing.assert_array_equal(
        ds.batch(np.array([2]))[INPUT][0], -MEANS[:, None, None] + np.zeros((3, 224, 224))
    )
    # truncated cache files are not trusted
    for victim in ds.cache_folder.glob("*.raw"):
        victim.write_bytes(b"\0" * 100)
    again = ImagenetDataset(folder, cache)
    again.load(np.arange(14))
    assert (again.cache_hits, again.cache_misses) == (0, 14)


def test_preprocess_fills_the_cache_with_progress(folder: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    ds = ImagenetDataset(folder, tmp_path / "cache")
    assert ds.preprocess(progress=lambda label, done, total: seen.append((done, total))) == 14
    assert seen[0] == (0, 14) and seen[-1] == (14, 14)
    assert ds.preprocess() == 0
    files = list(ds.cache_folder.glob("*.raw"))
    assert len(files) == 14
    # the cache keeps uint8 CHW crops: a quarter of the float32 input, converted on load
    assert {f.stat().st_size for f in files} == {3 * 224 * 224}


def test_two_processes_preprocessing_at_once_agree(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = (
        "import sys; from harness.datasets.imagenet import ImagenetDataset; "
        "ImagenetDataset(sys.argv[1], sys.argv[2], workers=1).preprocess()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(folder), str(cache)], cwd=REPO)
        for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ds = ImagenetDataset(folder, cache)
    ds.load(np.arange(14))
    assert ds.cache_misses == 0
    for i in (0, 7, 13):
        np.testing.assert_array_equal(
            ds.batch(np.array([i]))[INPUT][0], preprocess_image(ds.image_path(i))
        )
    assert not list(ds.cache_folder.glob("*.tmp"))


def test_missing_images_and_bad_val_map_are_reported(folder: Path, tmp_path: Path) -> None:
    (folder / "img_003.JPEG").unlink()
    with pytest.raises(DatasetError, match=r"1 of 14 images .* missing .*img_003"):
        ImagenetDataset(folder, tmp_path / "cache")
    (folder / "val_map.txt").write_text("img_000.JPEG zero\n")
    with pytest.raises(DatasetError, match=r"val_map.txt:1: expected"):
        ImagenetDataset(folder, tmp_path / "cache")
    with pytest.raises(DatasetError, match="does not exist"):
        ImagenetDataset(tmp_path / "nowhere", tmp_path / "cache")


def test_sample_store_is_one_contiguous_array_per_input() -> None:
    store = SampleStore(10, {"x": ((2,), np.dtype(np.float32)), "ids": ((3,), np.dtype(np.int64))})

    def fill(indices: np.ndarray, rows: dict[str, np.ndarray]) -> None:
        rows["x"][:] = indices[:, None]
        rows["ids"][:] = indices[:, None] * 10

    store.load(np.array([4, 2, 7]), fill)
    view = store.batch(np.array([2, 4, 7]))  # consecutive rows: no copy
    assert np.shares_memory(view["x"], store._data["x"])
    assert np.shares_memory(view["ids"], store._data["ids"])
    picked = store.batch(np.array([7, 2]))
    assert picked["x"][:, 0].tolist() == [7.0, 2.0]
    assert picked["ids"].dtype == np.int64 and picked["ids"][:, 2].tolist() == [70, 20]
    store.load(np.array([2, 9]), fill)  # additive; 2 is already there
    assert store.loaded_count == 4
    assert store.batch(np.array([9, 4]))["x"][:, 0].tolist() == [9.0, 4.0]
    store.unload(np.array([2, 4]))
    with pytest.raises(KeyError, match="not loaded"):
        store.batch(np.array([2]))
    store.unload(np.array([7, 9]))
    assert store.loaded_count == 0 and store._data["x"].size == 0


# --- model I/O and results -------------------------------------------------------------------


class FakeBackend:
    """Returns the given arrays from predict, and records the feeds."""

    def __init__(self, *outputs: np.ndarray) -> None:
        self.outputs = list(outputs)
        self.seen: list[dict[str, np.ndarray]] = []

    def predict(self, feeds, output_names=None):  # type: ignore[no-untyped-def]
        self.seen.append(dict(feeds))
        return self.outputs


def test_infer_shifts_by_the_background_class() -> None:
    backend = FakeBackend(np.array([1, 5, 1000], dtype=np.int64))
    x = np.zeros((3, 3, 224, 224), np.float32)
    results = TASK.infer(backend, RESNET, {INPUT: x})  # type: ignore[arg-type]
    assert results.dtype == np.float32
    assert results.tolist() == [0.0, 4.0, 999.0]
    assert TASK.response_bytes(results, 1) == np.array([4.0], np.float32).tobytes()
    assert backend.seen[0][INPUT] is x  # the feed is passed through, not copied
    column = FakeBackend(np.array([[3], [8]]))
    assert TASK.infer(column, RESNET, {INPUT: x[:2]}).tolist() == [2.0, 7.0]  # type: ignore[arg-type]


def test_resnet50_binds_as_the_reference() -> None:
    assert RESNET.inputs == tuple(RESNET_INPUTS)
    assert RESNET.outputs == ("ArgMax:0",)  # the argmax, as the reference's onnxruntime profile
    assert RESNET.options == {
        "preprocessing": "resnet",
        "layout": "NCHW",
        "height": 224,
        "width": 224,
        "label_offset": -1,
        "argmax": True,
    }
    assert TASK.preprocessing_id(RESNET) == "resnet50-vgg-area256-crop224-mean-nchw-f32-pil-v1"


def test_mobilenet_and_efficientnet_bind_from_their_own_io() -> None:
    # the MLCommons MobileNet-v1 graph: NHWC input, 1001 softmax scores
    mobilenet = TASK.bind(
        [TensorInfo("input:0", (None, 224, 224, 3), "float32")],
        [TensorInfo("MobilenetV1/Predictions/Reshape_1:0", (None, 1001), "float32")],
        {"preprocessing": "mobilenet"},
    )
    assert mobilenet.outputs == ("MobilenetV1/Predictions/Reshape_1:0",)
    assert (mobilenet.options["layout"], mobilenet.options["label_offset"]) == ("NHWC", -1)
    assert mobilenet.options["argmax"] is False
    scores = np.zeros((2, 1001), np.float32)
    scores[0, 1], scores[1, 1000] = 1, 1
    assert TASK.infer(FakeBackend(scores), mobilenet, {}).tolist() == [0.0, 999.0]  # type: ignore[arg-type]
    # EfficientNet-lite0: 1000 classes (no background class), its own input name and size
    lite = TASK.bind(
        [TensorInfo("images:0", (1, 240, 240, 3), "float32")],
        [TensorInfo("Softmax:0", (1, 1000), "float32")],
        {"preprocessing": "mobilenet"},
    )
    assert (lite.options["height"], lite.options["label_offset"]) == (240, 0)
    feeds = TASK.calibration_feeds(lite, 4)
    assert feeds["images:0"].shape == (4, 240, 240, 3) and feeds["images:0"].dtype == np.float32


@pytest.mark.parametrize(
    ("inputs", "outputs", "message"),
    [
        (
            [TensorInfo("a", (None, 3, 224, 224), "float32"), TensorInfo("b", (None, 4), "int64")],
            RESNET_OUTPUTS,
            "one image input; this model has 2: a [N,3,224,224] float32, b [N,4] int64",
        ),
        ([TensorInfo("ids", (None, 384), "int64")], RESNET_OUTPUTS, "input ids is int64"),
        (
            [TensorInfo("x", (None, 224, 224), "float32")],
            RESNET_OUTPUTS,
            "input x has shape [N,224,224]; an image input is 4-D",
        ),
        (
            [TensorInfo("x", (None, 4, 224, 224), "float32")],
            RESNET_OUTPUTS,
            "no 3-channel axis",
        ),
        (
            RESNET_INPUTS,
            [TensorInfo("logits", (None, 10), "float32")],
            "no output holds 1000 or 1001 ImageNet class scores (or an argmax); outputs: "
            "logits [N,10] float32",
        ),
        (
            RESNET_INPUTS,
            RESNET_OUTPUTS[:1],
            "output ArgMax:0 is an argmax, but no output has the 1000 or 1001 class scores",
        ),
    ],
)
def test_a_model_that_does_not_fit_names_the_tensor(
    inputs: list[TensorInfo], outputs: list[TensorInfo], message: str
) -> None:
    with pytest.raises(ModelBindingError) as err:
        TASK.bind(inputs, outputs, {})
    assert message in err.value.message
    assert err.value.fix


def test_unknown_preprocessing_is_refused() -> None:
    with pytest.raises(ModelBindingError, match="unknown preprocessing 'inception'"):
        TASK.bind(RESNET_INPUTS, RESNET_OUTPUTS, {"preprocessing": "inception"})


def test_mobilenet_preprocessing_is_the_reference_arithmetic(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "img", [(320, 240)])
    prep = ImagePreprocessing("mobilenet", 224, 224, "NHWC")
    out = preprocess_image(folder / "img_000.JPEG", preprocessing=prep)
    assert out.shape == (224, 224, 3) and out.dtype == np.float32
    assert out.min() >= -1.0 and out.max() <= 1.0
    with Image.open(folder / "img_000.JPEG") as im:
        resized = im.convert("RGB").resize((341, 256), Image.Resampling.BILINEAR)
    pixels = np.asarray(resized, dtype=np.float32)[16:240, 58:282]
    expected = ((pixels / np.float32(255.0)) - np.float32(0.5)) * np.float32(2.0)
    np.testing.assert_array_equal(out, expected)


def test_task_and_dataset_follow_the_protocols(folder: Path, tmp_path: Path) -> None:
    assert isinstance(TASK, Task)
    assert isinstance(RESNET, Binding)
    assert isinstance(TASK.open_dataset(folder, tmp_path / "cache", 2, RESNET), Dataset)


def test_get_task_rejects_unknown_names() -> None:
    with pytest.raises(TaskError, match="imagenet_classification"):
        get_task("imagenet")


# --- accuracy script -------------------------------------------------------------------------


def write_log(path: Path, entries: list[tuple[int, float]]) -> Path:
    rows = [
        {"seq_id": n, "qsl_idx": idx, "data": np.array([label], np.float32).tobytes().hex().upper()}
        for n, (idx, label) in enumerate(entries)
    ]
    path.write_text(json.dumps(rows, indent=0))
    return path


@pytest.fixture
def val_map(tmp_path: Path) -> Path:
    path = tmp_path / "val_map.txt"
    path.write_text(
        "".join(
            f"ILSVRC2012_val_{i + 1:08d}.JPEG {lab}\n" for i, lab in enumerate([5, 0, 999, 42, 7])
        )
    )
    return path


def test_accuracy_counts_like_the_reference(val_map: Path, tmp_path: Path) -> None:
    # 5 distinct samples, 3 right; the duplicate of sample 1 (wrong the second time) is ignored
    log = write_log(
        tmp_path / "mlperf_log_accuracy.json", [(0, 5), (1, 0), (2, 1), (3, 42), (1, 3), (4, 8)]
    )
    out = tmp_path / "out" / "accuracy.txt"
    result = TASK.write_accuracy(log, val_map.parent, out)
    assert out.read_text() == "accuracy=60.000%, good=3, total=5\n"
    assert result == {"metric": "acc", "value": 60.0, "good": 3, "total": 5, "path": str(out)}


def test_accuracy_script_command_line(val_map: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.json", [(0, 5), (2, 999), (3, 1)])
    out = tmp_path / "accuracy.txt"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.tasks.imagenet_classification",
            "--mlperf-accuracy-file",
            str(log),
            "--imagenet-val-file",
            str(val_map),
            "--output",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "accuracy=66.667%, good=2, total=3\n"
    assert out.read_text() == "accuracy=66.667%, good=2, total=3\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ('[\n{"seq_id": 0, "qsl_idx": 0, "data": "0000A040"},\n{"seq_id": 1, "qs', "truncated"),
        ("[\n]\n", "holds no results"),
        ('[{"seq_id": 0, "qsl_idx": 9, "data": "0000A040"}]', "qsl_idx 9 is outside"),
        ('[{"seq_id": 0, "qsl_idx": 0, "data": ""}]', "has no data"),
    ],
)
def test_accuracy_rejects_unusable_logs(
    val_map: Path, tmp_path: Path, content: str, message: str
) -> None:
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text(content)
    with pytest.raises(AccuracyError, match=message):
        TASK.write_accuracy(log, val_map, tmp_path / "accuracy.txt")
    assert not (tmp_path / "accuracy.txt").exists()


def test_accuracy_script_exits_2_with_a_clear_error(
    val_map: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = accuracy_main(
        ["--mlperf-accuracy-file", str(tmp_path / "none.json"), "--imagenet-val-file", str(val_map)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "no accuracy log at" in err and "fix: run the benchmark in accuracy mode" in err
