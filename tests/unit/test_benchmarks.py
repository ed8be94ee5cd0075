"""The benchmark registry, and the ImageNet family's models (ResNet50, MobileNet, EfficientNet)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from harness.datasets.imagenet import ImagePreprocessing, preprocess_image
from harness.tasks import get_task
from mlperf_tui import assets, benchmarks, rules
from mlperf_tui.benchmarks.imagenet import graphs
from mlperf_tui.benchmarks.imagenet.data import synthetic_image
from mlperf_tui.errors import RulesError

ENTRY = benchmarks.require("resnet50")


def test_the_registry_says_what_runs_here() -> None:
    names = rules.benchmark_names("v6.1")
    built_in = ("resnet50", "bert-99", "bert-99.9", "3d-unet-99", "3d-unet-99.9")
    assert benchmarks.runnable(names) == built_in
    assert benchmarks.get("rgat") is None
    with pytest.raises(RulesError) as err:
        benchmarks.require("rgat", names)
    assert "rgat has no built-in harness yet" in err.value.message
    assert err.value.fix == "choose a benchmark it can run: " + ", ".join(built_in)
    # a round without a benchmark: asked for it there, the registry names that round's
    v40 = rules.benchmark_names("v4.0")
    assert "3d-unet-99" in benchmarks.runnable(v40)


def test_an_entry_names_its_models() -> None:
    assert ENTRY.task == "imagenet_classification"
    assert ENTRY.default_model.name == "resnet50"
    assert ENTRY.model(None) is ENTRY.default_model
    assert [k.name for k in ENTRY.models if not k.closed] == ["mobilenet", "efficientnet-lite"]
    assert set(ENTRY.standins) == {"resnet50", "tiny", "mobilenet", "efficientnet-lite"}
    with pytest.raises(RulesError, match='did you mean "mobilenet"'):
        ENTRY.model("mobilnet")


def test_register_replaces_and_unregister_restores() -> None:
    from dataclasses import replace

    mine = replace(ENTRY, summary="mine")
    benchmarks.register(mine)
    try:
        assert benchmarks.get("resnet50") is mine
    finally:
        benchmarks.unregister(mine)
    assert benchmarks.get("resnet50") is ENTRY


@pytest.fixture(scope="module")
def open_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cache = tmp_path_factory.mktemp("open-models")
    return {
        kind: assets.synthetic_model(ENTRY, kind, 0, cache)
        for kind in ("mobilenet", "efficientnet-lite")
    }


@pytest.mark.parametrize(
    ("kind", "inp", "out", "classes", "offset"),
    [
        ("mobilenet", "input:0", "MobilenetV1/Predictions/Reshape_1:0", 1001, -1),
        ("efficientnet-lite", "images:0", "Softmax:0", 1000, 0),
    ],
)
def test_open_division_stand_ins_have_their_familys_io_and_bind(
    open_models: dict[str, Path], kind: str, inp: str, out: str, classes: int, offset: int
) -> None:
    path = open_models[kind]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (i,) = session.get_inputs()
    assert (i.name, i.shape[1:], i.type) == (inp, [224, 224, 3], "tensor(float)")
    (o,) = session.get_outputs()
    assert (o.name, o.shape[1:]) == (out, [classes])
    binding = assets.check_model(path, ENTRY, kind)
    assert binding.options["layout"] == "NHWC" and binding.options["label_offset"] == offset
    assert binding.options["preprocessing"] == "mobilenet"
    # random weights, but the predictions depend on the image
    prep = ImagePreprocessing("mobilenet", 224, 224, "NHWC")
    x = np.stack(
        [
            preprocess_image(io.BytesIO(synthetic_image(5, k)[0]), preprocessing=prep)
            for k in range(12)
        ]
    )
    scores = session.run(None, {inp: x})[0]
    assert len(set(scores.argmax(axis=1).tolist())) >= 2
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-4)


def test_open_division_stand_ins_are_deterministic() -> None:
    a = graphs.build_mobilenet(3).SerializeToString()
    assert a == graphs.build_mobilenet(3).SerializeToString()
    assert a != graphs.build_mobilenet(4).SerializeToString()


def test_the_task_runs_each_model_through_its_binding(open_models: dict[str, Path]) -> None:
    from harness.backends import load_backend
    from harness.config import BackendOptions

    task = get_task(ENTRY.task)
    for kind, path in open_models.items():
        backend = load_backend("onnxruntime", path, BackendOptions(intra_op_threads=1))
        binding = task.bind(backend.inputs, backend.outputs, ENTRY.model(kind).task_options)
        labels = task.infer(backend, binding, task.calibration_feeds(binding, 3))
        assert labels.shape == (3,) and labels.dtype == np.float32
        assert ((labels >= 0) & (labels <= 999)).all()
