"""Models and data sets: synthetic stand-ins, local paths and verified downloads.

No weights or data sets can be downloaded on an offline machine, yet the whole flow must run
there (DESIGN.md, "Synthetic stand-ins"). This module generates, deterministically from a seed
and cached in the user cache folder:

- ``synthetic_model("resnet50", seed)``: the ResNet50 v1.5 graph of the MLCommons
  ``resnet50_v1.onnx`` (opset 8; 53 Conv with batch norm folded except after the stem conv,
  bottleneck blocks 3-4-6-3 with the stride on the 3x3 conv, ReduceMean-Reshape-Squeeze-MatMul
  head, ``ArgMax:0`` and ``softmax_tensor:0`` over 1001 classes) with random weights, ~100 MB;
- ``synthetic_model("tiny", seed)``: a small classifier with the same I/O, for fast tests;
- ``synthetic_imagenet(count, seed)``: an ImageNet-layout folder of JPEGs of varied sizes and
  aspect ratios with a val_map.txt of random labels.

Real assets use the same code path: :func:`resolve_model` / :func:`resolve_dataset` accept a
local path (checked), an http(s) URL with its sha256 (downloaded with resume, verified, cached
by hash) or ``synthetic:<kind>``. Progress goes to a callback ``progress(label, done, total)``
that the CLI and TUI render. Every failure a user can cause is an :class:`AssetError` with a fix.

Cache folder: the ``cache_dir`` argument, else ``$MLPERF_TUI_CACHE``, else platformdirs'
``user_cache_dir("mlperf-tui")``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mlperf_tui.errors import AssetError

if TYPE_CHECKING:
    import onnx

__all__ = [
    "CACHE_ENV",
    "RESNET50_OP_HISTOGRAM",
    "ModelKind",
    "Progress",
    "cache_root",
    "check_model",
    "download",
    "resolve_dataset",
    "resolve_model",
    "synthetic_imagenet",
    "synthetic_model",
]

#: environment variable that overrides the cache folder
CACHE_ENV = "MLPERF_TUI_CACHE"
#: (label, done, total) — total is None when unknown
Progress = Callable[[str, int, "int | None"], None]
ModelKind = Literal["resnet50", "tiny"]
#: bump when a generator's output changes, so stale stand-ins are not reused
GENERATOR_VERSION = 1
SYNTHETIC_PREFIX = "synthetic:"
VAL_MAP = "val_map.txt"

#: op histogram of the MLCommons resnet50_v1.onnx (tf2onnx, opset 8), which the stand-in
#: reproduces, as read from the node names NVIDIA's MLPerf harness maps in that file
#: (RN50GraphSurgeon.op_name_map: resnet_model/conv2d/Conv2D + batch_normalization, Conv__NNN,
#: Relu..Relu_48, add..add_15, Mean, reshape__269, Squeeze, dense/MatMul + BiasAdd,
#: final_dense, graph_outputs_Identity__4/__6): conv1 keeps its BatchNormalization, the other 52 convs have it folded in; 16
#: residual Adds + the dense BiasAdd; ReduceMean→Reshape→Squeeze→MatMul head; an Identity
#: ("final_dense") before Softmax/ArgMax and one Identity per graph output.
RESNET50_OP_HISTOGRAM: dict[str, int] = {
    "Conv": 53,
    "BatchNormalization": 1,
    "Relu": 49,
    "MaxPool": 1,
    "Add": 17,
    "ReduceMean": 1,
    "Reshape": 1,
    "Squeeze": 1,
    "MatMul": 1,
    "Identity": 3,
    "Softmax": 1,
    "ArgMax": 1,
}
_OPSET = 8
_IR_VERSION = 4
_INPUT = "input_tensor:0"
_ARGMAX = "ArgMax:0"
_SOFTMAX = "softmax_tensor:0"
_CLASSES = 1001


# --- cache folder ----------------------------------------------------------------------------


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """The cache folder: argument, else $MLPERF_TUI_CACHE, else the user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlperf-tui"))


def _ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssetError(
            f"cannot create the cache folder {path}: {exc.strerror or exc}",
            f"set {CACHE_ENV} to a writable folder",
        ) from None
    return path


@contextlib.contextmanager
def _atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed onto it when the block succeeds."""
    _ensure_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


# --- synthetic models ------------------------------------------------------------------------


class _GraphBuilder:
    """Collects nodes and random initializers for onnx.helper."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def normal(self, name: str, shape: tuple[int, ...], std: float) -> str:
        w = self.rng.standard_normal(shape, dtype=np.float32)
        w *= np.float32(std)
        return self.const(name, w)

    def node(
        self, op: str, inputs: list[str], name: str, output: str | None = None, **attrs: Any
    ) -> str:
        from onnx import helper

        out = output or f"{name}:0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def model(self, graph_name: str) -> onnx.ModelProto:
        from onnx import TensorProto, helper

        graph = helper.make_graph(
            self.nodes,
            graph_name,
            [helper.make_tensor_value_info(_INPUT, TensorProto.FLOAT, ["unk__batch", 3, 224, 224])],
            [
                helper.make_tensor_value_info(_ARGMAX, TensorProto.INT64, ["unk__batch"]),
                helper.make_tensor_value_info(
                    _SOFTMAX, TensorProto.FLOAT, ["unk__batch", _CLASSES]
                ),
            ],
            initializer=self.inits,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", _OPSET)],
            producer_name="mlperf-tui synthetic stand-in",
            producer_version=str(GENERATOR_VERSION),
        )
        model.ir_version = _IR_VERSION
        return model

    def head(self, features: str, width: int) -> None:
        """logits → Identity(final_dense) → ArgMax / Softmax → Identity graph outputs."""
        w = self.normal("resnet_model/dense/kernel", (width, _CLASSES), (1.0 / width) ** 0.5)
        b = self.normal("resnet_model/dense/bias", (_CLASSES,), 0.01)
        mm = self.node("MatMul", [features, w], "resnet_model/dense/MatMul")
        logits = self.node("Add", [mm, b], "resnet_model/dense/BiasAdd")
        final = self.node("Identity", [logits], "resnet_model/final_dense")
        arg = self.node("ArgMax", [final], "ArgMax", output="ArgMax__raw:0", axis=1, keepdims=0)
        soft = self.node(
            "Softmax", [final], "softmax_tensor", output="softmax_tensor__raw:0", axis=1
        )
        self.node("Identity", [arg], "graph_outputs_Identity__4", output=_ARGMAX)
        self.node("Identity", [soft], "graph_outputs_Identity__6", output=_SOFTMAX)


def build_resnet50(seed: int = 0) -> onnx.ModelProto:
    """The ResNet50 v1.5 graph of the MLCommons ONNX file, random weights (module doc)."""
    g = _GraphBuilder(seed)
    counter = iter(range(100, 10_000))

    def conv(
        x: str, cin: int, cout: int, k: int, stride: int, relu: bool, gain: float = 1.0
    ) -> str:
        n = next(counter)
        w = g.normal(f"Conv__{n}/W", (cout, cin, k, k), gain * (2.0 / (cin * k * k)) ** 0.5)
        b = g.normal(f"Conv__{n}/B", (cout,), 0.01)
        # TF's fixed padding for strided convs: (k - 1) split evenly, folded into the Conv
        p = (k - 1) // 2
        y = g.node(
            "Conv",
            [x, w, b],
            f"Conv__{n}",
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[p, p, p, p],
            dilations=[1, 1],
            group=1,
        )
        return relu_(y) if relu else y

    relus = iter(range(1000))

    def relu_(x: str) -> str:
        i = next(relus)
        return g.node("Relu", [x], "resnet_model/Relu" + (f"_{i}" if i else ""))

    # stem: 7x7/2 conv + unfolded batch norm (as in the MLCommons file), ReLU, 3x3/2 max pool
    w = g.normal("resnet_model/conv2d/kernel", (64, 3, 7, 7), (2.0 / 147) ** 0.5 / 64.0)
    x = g.node(
        "Conv",
        [_INPUT, w],
        "resnet_model/conv2d/Conv2D",
        kernel_shape=[7, 7],
        strides=[2, 2],
        pads=[3, 3, 3, 3],
        dilations=[1, 1],
        group=1,
    )
    bn = "resnet_model/batch_normalization"
    scale = g.const(f"{bn}/gamma", np.ones(64, np.float32))
    bias = g.const(f"{bn}/beta", np.zeros(64, np.float32))
    mean = g.const(f"{bn}/moving_mean", np.zeros(64, np.float32))
    var = g.const(f"{bn}/moving_variance", np.ones(64, np.float32))
    x = g.node(
        "BatchNormalization", [x, scale, bias, mean, var], f"{bn}/FusedBatchNorm", epsilon=1.001e-5
    )
    x = relu_(x)
    # TF 'SAME' max pool on 112x112: the one padding row/column goes at the end
    x = g.node(
        "MaxPool",
        [x],
        "resnet_model/max_pooling2d/MaxPool",
        kernel_shape=[3, 3],
        strides=[2, 2],
        pads=[0, 0, 1, 1],
    )
    cin = 64
    adds = iter(range(100))
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for block in range(blocks):
            s = stride if block == 0 else 1
            shortcut = conv(x, cin, filters * 4, 1, s, relu=False) if block == 0 else x
            y = conv(x, cin, filters, 1, 1, relu=True)
            y = conv(y, filters, filters, 3, s, relu=True)  # v1.5: the stride is on the 3x3
            y = conv(y, filters, filters * 4, 1, 1, relu=False, gain=0.3)
            i = next(adds)
            x = relu_(g.node("Add", [shortcut, y], "resnet_model/add" + (f"_{i}" if i else "")))
            cin = filters * 4
    x = g.node("ReduceMean", [x], "resnet_model/Mean", axes=[2, 3], keepdims=1)
    shape = g.const("reshape__269/shape", np.array([-1, 1, 1, cin], dtype=np.int64))
    x = g.node("Reshape", [x, shape], "reshape__269")
    x = g.node("Squeeze", [x], "resnet_model/Squeeze", axes=[1, 2])
    g.head(x, cin)
    model = g.model("resnet50_v1.5_synthetic")
    _center_logits(model, x, seed)
    return model


def _center_logits(model: onnx.ModelProto, features: str, seed: int) -> None:
    """Fold the features' common mode into the dense bias, so predictions vary with the image.

    Random weights behind 49 ReLUs give features whose mean over images dwarfs their spread,
    which would make every image the same class. The mean is measured on a few synthetic
    images (single-threaded ONNX Runtime, so the bytes stay deterministic) and subtracted
    through the bias — the graph is unchanged.
    """
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    from harness.datasets.imagenet import preprocess_image

    probe = type(model)()
    probe.CopyFrom(model)
    probe.graph.output.append(helper.make_tensor_value_info(features, 1, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(
        probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    images = [io.BytesIO(_synthetic_image(seed + 7919, i)[0]) for i in range(8)]
    x = np.stack([preprocess_image(im) for im in images])
    (feats,) = sess.run([features], {_INPUT: x})
    inits = {i.name: i for i in model.graph.initializer}
    kernel = numpy_helper.to_array(inits["resnet_model/dense/kernel"])
    bias = numpy_helper.to_array(inits["resnet_model/dense/bias"])
    centred = (bias - feats.mean(axis=0) @ kernel).astype(np.float32)
    inits["resnet_model/dense/bias"].CopyFrom(
        numpy_helper.from_array(centred, "resnet_model/dense/bias")
    )


def build_tiny(seed: int = 0) -> onnx.ModelProto:
    """A small classifier with the ResNet50 I/O: 32x32 average pool → dense → ArgMax/Softmax."""
    g = _GraphBuilder(seed)
    x = g.node("AveragePool", [_INPUT], "tiny/AvgPool", kernel_shape=[32, 32], strides=[32, 32])
    shape = g.const("tiny/flatten_shape", np.array([-1, 3 * 7 * 7], dtype=np.int64))
    x = g.node("Reshape", [x, shape], "tiny/Flatten")
    g.head(x, 3 * 7 * 7)
    return g.model("tiny_classifier_synthetic")


_BUILDERS: dict[str, Callable[[int], onnx.ModelProto]] = {
    "resnet50": build_resnet50,
    "tiny": build_tiny,
}


def synthetic_model(
    kind: ModelKind = "resnet50",
    seed: int = 0,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> Path:
    """The cached stand-in model file, generated on first use (same seed → same bytes)."""
    if kind not in _BUILDERS:
        raise AssetError(f"unknown synthetic model {kind!r}", f"use one of: {', '.join(_BUILDERS)}")
    target = (
        cache_root(cache_dir) / "models" / f"synthetic-{kind}-seed{seed}-g{GENERATOR_VERSION}.onnx"
    )
    if target.is_file():
        return target
    label = f"Generating the synthetic {kind} model"
    if progress:
        progress(label, 0, 1)
    model = _BUILDERS[kind](seed)
    data = model.SerializeToString()
    with _atomic_file(target) as tmp:
        tmp.write_bytes(data)
    if progress:
        progress(label, 1, 1)
    return target


# --- synthetic ImageNet ----------------------------------------------------------------------


def _synthetic_image(seed: int, index: int) -> tuple[bytes, int]:
    """JPEG bytes and label of synthetic image `index` (its own RNG: counts share prefixes)."""
    from PIL import Image

    rng = np.random.default_rng([seed, index])
    label = int(rng.integers(0, 1000))
    width, height = (int(v) for v in rng.integers(64, 501, size=2))
    # a smooth random picture (a coarse grid upsampled) plus light noise: small JPEGs that
    # still vary across the frame, so crops and resizes are exercised
    grid = rng.integers(
        0, 256, size=(int(rng.integers(2, 9)), int(rng.integers(2, 9)), 3), dtype=np.uint8
    )
    img = Image.fromarray(grid, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    noise = rng.integers(-12, 13, size=(height, width, 3), dtype=np.int16)
    pixels = np.clip(np.asarray(img, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, format="JPEG", quality=85)
    return buf.getvalue(), label


def synthetic_image_name(index: int) -> str:
    return f"ILSVRC2012_val_{index + 1:08d}.JPEG"


def synthetic_imagenet(
    count: int,
    seed: int = 0,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Path:
    """A cached ImageNet-layout folder of `count` JPEGs with val_map.txt (random labels)."""
    if count < 1:
        raise AssetError(
            f"a synthetic data set needs at least 1 image, got {count}", "use a positive count"
        )
    root = _ensure_dir(cache_root(cache_dir) / "datasets")
    target = root / f"synthetic-imagenet-seed{seed}-n{count}-g{GENERATOR_VERSION}"
    if (target / VAL_MAP).is_file():
        return target
    build = Path(tempfile.mkdtemp(dir=root, prefix=f".{target.name}."))
    label = f"Generating {count} synthetic ImageNet images"
    try:
        labels = [0] * count

        def one(index: int) -> None:
            data, labels[index] = _synthetic_image(seed, index)
            (build / synthetic_image_name(index)).write_bytes(data)

        if progress:
            progress(label, 0, count)
        with ThreadPoolExecutor(workers or max(1, os.cpu_count() or 1)) as pool:
            for done, _ in enumerate(pool.map(one, range(count)), start=1):
                if progress and (done == count or done % 256 == 0):
                    progress(label, done, count)
        lines = "".join(f"{synthetic_image_name(i)} {labels[i]}\n" for i in range(count))
        (build / VAL_MAP).write_text(lines, encoding="utf-8")
        try:
            os.rename(build, target)  # atomic: the folder appears complete or not at all
        except OSError:
            if not (target / VAL_MAP).is_file():  # not another process winning the race
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


# --- checks ----------------------------------------------------------------------------------


def _onnx_io(model: onnx.ModelProto) -> tuple[list[Any], list[Any]]:
    from onnx import helper

    from harness.backends import TensorInfo

    def spec(vi: Any) -> TensorInfo:
        t = vi.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
        dtype = (
            np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type)).name
            if t.elem_type
            else "unknown"
        )
        return TensorInfo(vi.name, dims if t.HasField("shape") else None, dtype)

    inits = {i.name for i in model.graph.initializer}
    inputs = [spec(v) for v in model.graph.input if v.name not in inits]
    return inputs, [spec(v) for v in model.graph.output]


def check_model(path: Path, task: str = "imagenet_classification") -> None:
    """AssetError unless `path` is a readable ONNX model whose I/O the task accepts."""
    import onnx

    from harness.tasks import TaskError, get_task

    if not path.exists():
        raise AssetError(
            f"model file {path} does not exist", "check the path, or use synthetic:resnet50"
        )
    if not path.is_file():
        raise AssetError(f"model path {path} is not a file", "point it at the .onnx file itself")
    if not os.access(path, os.R_OK):
        raise AssetError(
            f"model file {path} is not readable", f"fix its permissions (chmod a+r {path})"
        )
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError / ValueError / OSError
        raise AssetError(
            f"{path} is not an ONNX model ({type(exc).__name__}: {exc})",
            "use the MLCommons resnet50_v1.onnx, or re-download it (the file may be truncated)",
        ) from None
    try:
        spec = get_task(task)
    except TaskError as exc:
        raise AssetError(exc.message, exc.fix) from None
    inputs, outputs = _onnx_io(model)
    problems = spec.check_io(inputs, outputs)
    if problems:
        raise AssetError(
            f"{path.name} does not fit task {task}: " + "; ".join(problems),
            "use the MLCommons ResNet50 v1.5 ONNX model (input_tensor:0 [N,3,224,224] float32, "
            "outputs ArgMax:0 and softmax_tensor:0 over 1001 classes)",
        )


def check_dataset(folder: Path) -> None:
    """AssetError unless `folder` holds a val_map.txt whose first image exists."""
    if not folder.is_dir():
        raise AssetError(
            f"data set folder {folder} does not exist",
            "point it at the ImageNet validation folder (JPEGs + val_map.txt), or use synthetic",
        )
    val_map = folder / VAL_MAP
    if not val_map.is_file():
        raise AssetError(
            f"no {VAL_MAP} in {folder}",
            f"the folder needs {VAL_MAP} with '<file> <label>' lines (the MLCommons layout)",
        )
    try:
        with open(val_map, encoding="utf-8") as fh:
            first = fh.readline().split()
    except (OSError, UnicodeDecodeError) as exc:
        raise AssetError(f"cannot read {val_map}: {exc}", "check the file's permissions") from None
    if len(first) != 2:
        raise AssetError(
            f"{val_map} does not start with '<file> <label>'", f"fix or regenerate {VAL_MAP}"
        )
    if not (folder / first[0]).is_file():
        raise AssetError(
            f"{first[0]}, the first image in {VAL_MAP}, is not in {folder}",
            "copy the validation JPEGs next to val_map.txt",
        )


# --- downloads -------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(
    url: str,
    sha256: str,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download `url` into the cache (keyed by sha256), resuming a partial file; verified."""
    sha = sha256.lower().strip()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise AssetError(
            f"{sha256!r} is not a sha256 (64 hex digits)", "copy the checksum the publisher gives"
        )
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name or "download"
    folder = _ensure_dir(cache_root(cache_dir) / "downloads" / sha)
    target = folder / name
    if target.is_file():
        return target
    part = folder / f"{name}.part"
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "mlperf-tui"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    label = f"Downloading {name}"
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the partial file is already complete
            response = None
        else:
            raise AssetError(
                f"download of {url} failed: HTTP {exc.code} {exc.reason}",
                "check the URL (or download the file yourself and give its local path)",
            ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AssetError(
            f"cannot reach {url}: {reason}",
            "check the network, or download the file elsewhere and give its local path",
        ) from None
    if response is not None:
        with response:
            resumed = response.status == 206
            mode = "ab" if resumed else "wb"
            done = have if resumed else 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length and length.isdigit() else None
            if progress:
                progress(label, done, total)
            try:
                with open(part, mode) as fh:
                    while block := response.read(1 << 20):
                        fh.write(block)
                        done += len(block)
                        if progress:
                            progress(label, done, total)
            except (OSError, http.client.HTTPException) as exc:
                raise AssetError(
                    f"download of {url} stopped at {done} bytes: {exc!r}",
                    "run again: the download resumes where it stopped",
                ) from None
            if total is not None and done < total:
                raise AssetError(
                    f"download of {url} stopped at {done} of {total} bytes (connection closed)",
                    "run again: the download resumes where it stopped",
                )
    got = _sha256_file(part)
    if got != sha:
        part.unlink(missing_ok=True)
        raise AssetError(
            f"{name} from {url} has sha256 {got}, expected {sha}",
            "check the checksum in the profile; the corrupt download was deleted, run again",
        )
    os.replace(part, target)
    return target


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


# --- resolving sources -----------------------------------------------------------------------


def resolve_model(
    source: str | Path,
    task: str = "imagenet_classification",
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    *,
    sha256: str | None = None,
    seed: int = 0,
) -> Path:
    """A checked model file from ``synthetic:resnet50|tiny``, a local path or a URL + sha256."""
    text = str(source)
    if text.startswith(SYNTHETIC_PREFIX):
        kind = text[len(SYNTHETIC_PREFIX) :]
        if kind not in _BUILDERS:
            raise AssetError(
                f"unknown synthetic model {text!r}", "use synthetic:resnet50 or synthetic:tiny"
            )
        return synthetic_model(kind, seed, cache_dir, progress)  # type: ignore[arg-type]
    if _is_url(text):
        if not sha256:
            raise AssetError(
                f"no sha256 given for {text}",
                "add the file's sha256 next to the URL so the download can be verified",
            )
        path = download(text, sha256, cache_dir, progress)
    else:
        path = Path(text).expanduser()
    check_model(path, task)
    return path


def _extract(archive: Path, dest_root: Path) -> Path:
    """Unpack a .tar(.gz|.bz2|.xz) or .zip next to its download, atomically."""
    dest = dest_root / "extracted"
    if dest.is_dir():
        return dest
    build = Path(tempfile.mkdtemp(dir=dest_root, prefix=".extract."))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise AssetError(
                            f"{archive.name} holds an unsafe path {member!r}",
                            "use a trusted archive",
                        )
                zf.extractall(build)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                tf.extractall(build, filter="data")
        else:
            raise AssetError(
                f"{archive.name} is not a .tar or .zip archive", "give a folder or an archive URL"
            )
        os.rename(build, dest)
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        raise AssetError(
            f"cannot unpack {archive.name}: {exc}", "re-download the archive"
        ) from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return dest


def _find_val_map(root: Path) -> Path:
    if (root / VAL_MAP).is_file():
        return root
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        if (child / VAL_MAP).is_file():
            return child
    raise AssetError(
        f"no {VAL_MAP} in {root} or one level below", "the archive must hold the MLCommons layout"
    )


def resolve_dataset(
    source: str | Path,
    task: str = "imagenet_classification",
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    *,
    sha256: str | None = None,
    count: int | None = None,
    seed: int = 0,
) -> Path:
    """A checked data set folder from ``synthetic`` (needs count), a folder or an archive URL."""
    del task  # one layout today (ImageNet val); kept so callers need not change for a second
    text = str(source)
    if text == "synthetic" or text.startswith(SYNTHETIC_PREFIX):
        if count is None:
            raise AssetError(
                "a synthetic data set needs a count", "give the number of images to generate"
            )
        return synthetic_imagenet(count, seed, cache_dir, progress)
    if _is_url(text):
        if not sha256:
            raise AssetError(
                f"no sha256 given for {text}",
                "add the archive's sha256 next to the URL so the download can be verified",
            )
        archive = download(text, sha256, cache_dir, progress)
        folder = _find_val_map(_extract(archive, archive.parent))
    else:
        folder = Path(text).expanduser()
    check_dataset(folder)
    return folder
