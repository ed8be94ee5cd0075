"""Image classification on ImageNet: ResNet50 v1.5, and any MobileNet / EfficientNet classifier.

The reference model (mlcommons/inference resnet50_v1.onnx): input ``input_tensor:0`` float32
[N, 3, 224, 224]; outputs ``ArgMax:0`` int64 [N] and ``softmax_tensor:0`` float32 [N, 1001].
Class 0 is the background class of the TensorFlow original, so ImageNet label = argmax - 1,
as the reference's ``PostProcessCommon(offset=-1)`` does.

Any other ImageNet classifier binds the same way (:meth:`ImagenetClassification.bind`): one
float image input, NCHW or NHWC (a 3-channel axis first or last), at the size it declares; and
either an integer argmax output or a float output of 1000 or 1001 class scores (1001: a
background class first, label = argmax - 1). The run's ``task_options`` say which
preprocessing family the model wants: ``{"preprocessing": "resnet"}`` (the default) or
``"mobilenet"`` (MobileNet, EfficientNet-lite: inputs in [-1, 1]).

Each response LoadGen keeps is the label as one float32, as the reference's
``np.array([label], np.float32).tobytes()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from harness.accuracy_log import write_text_atomic
from harness.backends import Backend, TensorInfo
from harness.datasets.imagenet import (
    FAMILIES,
    VAL_MAP,
    ImagenetDataset,
    ImagePreprocessing,
)
from harness.tasks import Binding, Feeds, ModelBindingError, StepCallback, random_feeds
from harness.tasks.imagenet_classification.accuracy import score_accuracy_log

__all__ = ["TASK", "ImagenetClassification"]

#: 1000 ImageNet classes, or those plus a background class at index 0
CLASS_COUNTS = (1000, 1001)
_FLOATS = ("float32", "float16")
_INTEGERS = ("int64", "int32")


def _listing(tensors: Sequence[TensorInfo]) -> str:
    return ", ".join(f"{t.name} {t.shape_text()} {t.dtype}" for t in tensors) or "none"


def _image_input(inputs: Sequence[TensorInfo]) -> tuple[TensorInfo, str, int, int]:
    """The one image input: (tensor, layout, height, width)."""
    if len(inputs) != 1:
        raise ModelBindingError(
            f"an ImageNet classifier has one image input; this model has {len(inputs)}: "
            f"{_listing(inputs)}",
            "use a classifier with a single [N,3,H,W] or [N,H,W,3] float input",
        )
    t = inputs[0]
    if t.dtype not in _FLOATS:
        raise ModelBindingError(
            f"input {t.name} is {t.dtype}; an image input is float32 (or float16)",
            "use the float model (a quantized model with float inputs works too)",
        )
    shape = t.shape or ()
    if len(shape) != 4:
        raise ModelBindingError(
            f"input {t.name} has shape {t.shape_text()}; an image input is 4-D "
            "[N,3,H,W] (NCHW) or [N,H,W,3] (NHWC)",
            "use a classifier that takes a batch of RGB images",
        )
    if shape[1] == 3 and shape[3] != 3:
        layout, h, w = "NCHW", shape[2], shape[3]
    elif shape[3] == 3:
        layout, h, w = "NHWC", shape[1], shape[2]
    else:
        raise ModelBindingError(
            f"input {t.name} has shape {t.shape_text()}: no 3-channel axis second or last",
            "use a model whose input is [N,3,H,W] or [N,H,W,3]",
        )
    # a free size takes the reference's 224
    return t, layout, h or 224, w or 224


def _class_output(outputs: Sequence[TensorInfo]) -> tuple[str, int, bool]:
    """The output to fetch: (name, label offset, whether it already is an argmax)."""
    scores = [
        t
        for t in outputs
        if t.dtype in _FLOATS and t.shape and len(t.shape) == 2 and t.shape[1] in CLASS_COUNTS
    ]
    offset = -1 if scores and scores[0].shape and scores[0].shape[1] == 1001 else 0
    argmaxes = [
        t
        for t in outputs
        if t.dtype in _INTEGERS and t.shape is not None and len(t.shape) in (1, 2)
        and (len(t.shape) == 1 or t.shape[1] in (1, None))
    ]  # fmt: skip
    if argmaxes and scores:
        return argmaxes[0].name, offset, True
    if scores:
        return scores[0].name, offset, False
    if argmaxes:
        raise ModelBindingError(
            f"output {argmaxes[0].name} is an argmax, but no output has the 1000 or 1001 class "
            f"scores that say whether class 0 is a background class (outputs: "
            f"{_listing(outputs)})",
            "use a model that also outputs its class scores [N,1000] or [N,1001]",
        )
    raise ModelBindingError(
        f"no output holds 1000 or 1001 ImageNet class scores (or an argmax); outputs: "
        f"{_listing(outputs)}",
        "use an ImageNet classifier (1000 classes, or 1001 with a background class)",
    )


class ImagenetClassification:
    """The ``imagenet_classification`` task (see the module doc)."""

    name = "imagenet_classification"
    accuracy_metric = "acc"
    #: bytes of one response in the accuracy log
    response_size = 4

    def bind(
        self,
        inputs: Sequence[TensorInfo],
        outputs: Sequence[TensorInfo],
        options: Mapping[str, Any],
    ) -> Binding:
        family = str(options.get("preprocessing", "resnet"))
        if family not in FAMILIES:
            raise ModelBindingError(
                f"unknown preprocessing {family!r} for imagenet_classification",
                f"use one of: {', '.join(FAMILIES)}",
            )
        image, layout, height, width = _image_input([TensorInfo.of(t) for t in inputs])
        output, offset, is_argmax = _class_output([TensorInfo.of(t) for t in outputs])
        return Binding(
            inputs=(image,),
            outputs=(output,),
            options={
                "preprocessing": family,
                "layout": layout,
                "height": height,
                "width": width,
                "label_offset": offset,
                "argmax": is_argmax,
            },
        )

    @staticmethod
    def preprocessing(binding: Binding) -> ImagePreprocessing:
        o = binding.options
        return ImagePreprocessing(
            family=str(o["preprocessing"]),
            height=int(o["height"]),
            width=int(o["width"]),
            layout=str(o["layout"]),
        )

    def preprocessing_id(self, binding: Binding) -> str:
        return self.preprocessing(binding).id

    def open_dataset(
        self, dataset_path: Path | str, cache_dir: Path | str, count: int | None, binding: Binding
    ) -> ImagenetDataset:
        return ImagenetDataset(
            dataset_path,
            cache_dir,
            count,
            preprocessing=self.preprocessing(binding),
            input_name=binding.inputs[0].name,
        )

    def infer(
        self, backend: Backend, binding: Binding, feeds: Feeds, steps: StepCallback | None = None
    ) -> np.ndarray:
        """ImageNet labels as float32 [N]: the argmax (or the scores' argmax) + the offset."""
        (out,) = backend.predict(feeds, binding.outputs)
        out = np.asarray(out)
        if binding.options["argmax"]:
            top = out.reshape(out.shape[0], -1)[:, 0]
        else:
            top = out.argmax(axis=1)
        labels = top + int(binding.options["label_offset"])
        return labels.astype(np.float32)

    def response_bytes(self, results: np.ndarray, i: int) -> bytes:
        return bytes(results[i : i + 1].astype(np.float32, copy=False).tobytes())

    def calibration_feeds(self, binding: Binding, batch_size: int) -> dict[str, np.ndarray]:
        return random_feeds(
            [TensorInfo(t.name, self._shape(binding), t.dtype) for t in binding.inputs],
            batch_size,
        )

    def _shape(self, binding: Binding) -> tuple[int | None, ...]:
        return (None, *self.preprocessing(binding).sample_shape)

    def write_accuracy(
        self, accuracy_log_path: Path | str, dataset_path: Path | str, out_path: Path | str
    ) -> dict[str, Any]:
        val_map = Path(dataset_path)
        if val_map.is_dir():
            val_map = val_map / VAL_MAP
        score = score_accuracy_log(Path(accuracy_log_path), val_map)
        out = Path(out_path)
        write_text_atomic(out, score["line"] + "\n")
        return {
            "metric": self.accuracy_metric,
            "value": score["accuracy"],
            "good": score["good"],
            "total": score["total"],
            "path": str(out),
        }


TASK = ImagenetClassification()
