"""Import of the logs the MLCommons reference ResNet50 harness writes
(``vision/classification_and_detection/python/main.py`` of the reference copy), run on a tiny
stand-in: mlperf-tui's generated tiny classifier (the ResNet50 inputs and outputs) and a folder
of preprocessed samples with a val_map.txt.

The reference leaves no accuracy.txt (its accuracy-imagenet.py writes that), so the import
scores the accuracy log with mlperf-tui's own ImageNet script; the score must equal the one the
reference harness printed itself. The reference imports OpenCV and pycocotools at start-up and
uses neither on preprocessed ImageNet samples: the test hands it empty stand-ins of both, so it
runs where they are not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import reference_copy as ref
from corpus import parts

from mlperf_tui import benchmarks
from mlperf_tui.cli import main
from mlperf_tui.official import run_official_checker

#: samples of the stand-in data set; the labels of every other one are what the model answers
COUNT = 64

_STUBS = {
    "cv2.py": "INTER_LINEAR = 1\nINTER_AREA = 3\nCOLOR_BGR2RGB = 4\n",
    "pycocotools/__init__.py": "",
    "pycocotools/mask.py": "",
    "pycocotools/cocoeval.py": "class COCOeval:\n    pass\n",
}


def _reference_dir() -> Path:
    path = ref.inference_root() / "vision" / "classification_and_detection" / "python"
    if not (path / "main.py").is_file():
        pytest.skip(f"the reference ResNet50 harness is not in the reference copy ({path})")
    return path


def _stand_in(root: Path) -> tuple[Path, Path]:
    """The tiny model and a preprocessed data set (NCHW float32 .npy per image, val_map.txt);
    half the labels are the model's own answers, so the top-1 accuracy is about 50 %."""
    import onnxruntime as ort

    from mlperf_tui.assets import synthetic_model

    model = synthetic_model(benchmarks.require("resnet50"), "tiny", seed=0, cache_dir=root)
    data = root / "preprocessed"
    data.mkdir()
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    lines = []
    for i in range(COUNT):
        name = f"ILSVRC2012_val_{i + 1:08d}.JPEG"
        sample = rng.standard_normal((3, 224, 224)).astype(np.float32)
        np.save(data / name, sample)
        (answer,) = session.run(["ArgMax:0"], {"input_tensor:0": sample[None]})[0]
        label = int(answer) - 1 if i % 2 == 0 else (int(answer) + 500) % 1000
        lines.append(f"{name} {label}")
    (data / "val_map.txt").write_text("\n".join(lines) + "\n")
    return model, data


def _run_reference(model: Path, data: Path, out: Path, user_conf: Path, stubs: Path, *args: str):
    env = dict(os.environ, PYTHONPATH=str(stubs), PYTHONDONTWRITEBYTECODE="1")
    cmd = [
        sys.executable, "main.py", "--dataset", "imagenet", "--dataset-path", str(data),
        "--preprocessed_dir", str(data), "--use_preprocessed_dataset", "--model", str(model),
        "--backend", "onnxruntime", "--model-name", "resnet50", "--scenario", "Offline",
        "--inputs", "input_tensor:0", "--outputs", "ArgMax:0", "--data-format", "NCHW",
        "--output", str(out), "--user_conf", str(user_conf), "--threads", "1",
        "--max-batchsize", "8", "--performance-sample-count", str(COUNT), *args,
    ]  # fmt: skip
    done = subprocess.run(
        cmd, cwd=_reference_dir(), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_logs_of_the_mlcommons_reference_harness_import_and_pass_the_official_checker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _reference_dir()
    stubs = tmp_path / "stubs"
    for name, text in _STUBS.items():
        parts.write(stubs / name, text)
    model, data = _stand_in(tmp_path / "assets")
    user_conf = tmp_path / "user.conf"
    # an expected QPS above what the stand-in does on one thread: LoadGen issues enough
    # samples that the run lasts the (shortened) minimum duration
    user_conf.write_text(
        "resnet50.Offline.target_qps = 20000\nresnet50.Offline.min_duration = 300\n"
    )
    output = tmp_path / "reference-output"
    _run_reference(model, data, output / "performance", user_conf, stubs)
    _run_reference(
        model, data, output / "accuracy", user_conf, stubs, "--accuracy", "--count", str(COUNT)
    )
    reported = json.loads((output / "accuracy" / "results.json").read_text())
    expected = reported["TestScenario.Offline"]["accuracy"]
    assert 30 < expected < 70  # the stand-in's labels make it about half

    systems = parts.write_json(
        tmp_path / "box.json",
        parts.system_description(division="open", submitter="Org", name="box", system_type="edge"),
    )
    results = tmp_path / "results"
    code = main(
        [
            "import", str(output), "--benchmark", "resnet50", "--scenario", "Offline",
            "--division", "open", "--category", "edge", "--execution", "test",
            "--accuracy-dataset", str(data), "--user-conf", str(user_conf),
            "--system-json", str(systems), "--submitter", "Org", "--system-name", "box",
            "--harness-name", "the MLCommons reference (vision/classification_and_detection)",
            "--weights-filename", model.name, "--weight-data-types", "fp32",
            "--input-data-types", "fp32", "--retraining", "No",
            "--weight-transformations", "none", "--out", str(results), "--json",
        ]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    accuracy = next(r for r in doc["runs"] if r["mode"] == "accuracy")
    assert accuracy["accuracy_metric"] == "acc"
    assert accuracy["accuracy"] == pytest.approx(expected, abs=1e-3)
    record = json.loads((results / "runs" / "Offline-accuracy" / "IMPORT.json").read_text())
    scored = next(f for f in record["files"] if f["name"] == "accuracy.txt")
    assert "imagenet_classification" in scored["generated"]

    pkg = tmp_path / "pkg"
    assert main(["package", str(results), "--out", str(pkg)]) == 0
    capsys.readouterr()
    main(["check", str(pkg), "--json"])
    found = json.loads(capsys.readouterr().out)
    errors = {f["id"] for f in found["results"] if f["severity"] == "error"}
    assert errors == {"package.test-execution"}
    verdict = run_official_checker(pkg, ref.inference_root(), version="v6.1")
    assert not verdict.crashed, verdict.crash
    assert ref.unexplained_errors(verdict.errors) == []
