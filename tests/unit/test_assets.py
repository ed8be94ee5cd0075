"""Synthetic stand-ins and real asset sources (local paths, verified downloads)."""

from __future__ import annotations

import collections
import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from PIL import Image

from mlperf_tui import assets, benchmarks
from mlperf_tui.benchmarks.imagenet import graphs
from mlperf_tui.errors import AssetError, RulesError

ENTRY = benchmarks.require("resnet50")


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("asset-cache")


@pytest.fixture(scope="session")
def resnet50(cache: Path) -> Path:
    """The ResNet50 stand-in, generated once per session (~2 s)."""
    return assets.synthetic_model(ENTRY, "resnet50", seed=0, cache_dir=cache)


@pytest.fixture(scope="session")
def tiny(cache: Path) -> Path:
    return assets.synthetic_model(ENTRY, "tiny", seed=0, cache_dir=cache)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


# --- cache folder ----------------------------------------------------------------------------


def test_cache_root_prefers_argument_then_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "env"))
    assert assets.cache_root(tmp_path / "arg") == tmp_path / "arg"
    assert assets.cache_root() == tmp_path / "env"
    monkeypatch.delenv(assets.CACHE_ENV)
    assert assets.cache_root().name == "mlperf-tui"


# --- synthetic models ------------------------------------------------------------------------


def test_resnet50_stand_in_has_the_mlcommons_graph(resnet50: Path) -> None:
    model = onnx.load(str(resnet50))
    onnx.checker.check_model(model)
    ops = collections.Counter(n.op_type for n in model.graph.node)
    assert dict(ops) == graphs.RESNET50_OP_HISTOGRAM
    assert sum(ops.values()) == 130
    assert model.opset_import[0].version == 8
    weights = {i.name: tuple(i.dims) for i in model.graph.initializer}
    assert weights["resnet_model/conv2d/kernel"] == (64, 3, 7, 7)
    assert weights["resnet_model/dense/kernel"] == (2048, 1001)
    params = sum(int(np.prod(d)) for d in weights.values())
    # ResNet50 v1.5: 23.5 M conv + 2.05 M dense weights (+ biases of the folded batch norms)
    assert 25_500_000 < params < 25_700_000
    assert resnet50.stat().st_size > 100_000_000


def test_resnet50_stand_in_is_v1_5_with_bottlenecks_3_4_6_3(resnet50: Path) -> None:
    model = onnx.shape_inference.infer_shapes(onnx.load(str(resnet50)))
    shapes = {
        vi.name: [d.dim_value or None for d in vi.type.tensor_type.shape.dim]
        for vi in model.graph.value_info
    }
    adds = [n.output[0] for n in model.graph.node if n.op_type == "Add" and "dense" not in n.name]
    stages = [tuple(shapes[a][1:]) for a in adds]
    assert stages == (
        [(256, 56, 56)] * 3 + [(512, 28, 28)] * 4 + [(1024, 14, 14)] * 6 + [(2048, 7, 7)] * 3
    )
    strided = collections.Counter(
        next(a.ints[0] for a in n.attribute if a.name == "kernel_shape")
        for n in model.graph.node
        if n.op_type == "Conv" and next(a.ints[0] for a in n.attribute if a.name == "strides") == 2
    )
    # v1.5: the stride sits on the 3x3 conv of each downsampling block (and its 1x1 shortcut)
    assert strided == {7: 1, 3: 3, 1: 3}


def test_stand_ins_load_in_onnxruntime_with_the_exact_io(resnet50: Path, tiny: Path) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224), dtype=np.float32) * 50
    for path in (resnet50, tiny):
        sess = session(path)
        (inp,) = sess.get_inputs()
        assert (inp.name, inp.shape[1:], inp.type) == (
            "input_tensor:0",
            [3, 224, 224],
            "tensor(float)",
        )
        assert isinstance(inp.shape[0], str)  # free batch dimension
        outs = {o.name: (o.shape[1:], o.type) for o in sess.get_outputs()}
        assert outs == {
            "ArgMax:0": ([], "tensor(int64)"),
            "softmax_tensor:0": ([1001], "tensor(float)"),
        }
        argmax, softmax = sess.run(["ArgMax:0", "softmax_tensor:0"], {"input_tensor:0": x})
        assert argmax.shape == (2,) and argmax.dtype == np.int64
        assert softmax.shape == (2, 1001)
        np.testing.assert_allclose(softmax.sum(axis=1), 1.0, rtol=1e-4)
        assert argmax.tolist() == softmax.argmax(axis=1).tolist()


def test_resnet50_stand_in_predictions_vary_with_the_image(resnet50: Path, tmp_path: Path) -> None:
    from harness.datasets.imagenet import preprocess_image

    folder = assets.synthetic_dataset(ENTRY, 8, seed=3, cache_dir=tmp_path)
    x = np.stack([preprocess_image(p) for p in sorted(folder.glob("*.JPEG"))])
    (argmax,) = session(resnet50).run(["ArgMax:0"], {"input_tensor:0": x})
    assert len(set(argmax.tolist())) >= 3  # not one class for every image


def test_synthetic_models_are_deterministic_from_the_seed(
    resnet50: Path, tiny: Path, tmp_path: Path
) -> None:
    again = assets.synthetic_model(ENTRY, "tiny", seed=0, cache_dir=tmp_path)
    assert again != tiny and sha(again) == sha(tiny)
    other = assets.synthetic_model(ENTRY, "tiny", seed=1, cache_dir=tmp_path)
    assert sha(other) != sha(tiny)
    rebuilt = graphs.build_resnet50(0).SerializeToString()
    assert hashlib.sha256(rebuilt).hexdigest() == sha(resnet50)


def test_synthetic_model_is_cached_and_reported(cache: Path, tiny: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    assert (
        assets.synthetic_model(ENTRY, "tiny", 0, cache, progress=lambda *a: calls.append(a)) == tiny
    )
    assert calls == []  # a cache hit does no work
    fresh = cache / "fresh"
    assets.synthetic_model(ENTRY, "tiny", 3, fresh, progress=lambda *a: calls.append(a))
    assert calls[-1][1:] == (1, 1)
    assert not list((fresh / "models").glob("*.tmp"))
    with pytest.raises(RulesError, match='"vgg" is not a model mlperf-tui can run for resnet50'):
        assets.synthetic_model(ENTRY, "vgg", 0, cache)


# --- synthetic ImageNet ----------------------------------------------------------------------


def test_synthetic_imagenet_is_deterministic_and_varied(tmp_path: Path) -> None:
    a = assets.synthetic_dataset(ENTRY, 12, seed=5, cache_dir=tmp_path / "a")
    b = assets.synthetic_dataset(ENTRY, 12, seed=5, cache_dir=tmp_path / "b")
    lines = (a / "val_map.txt").read_text().splitlines()
    assert len(lines) == 12
    assert (b / "val_map.txt").read_text() == (a / "val_map.txt").read_text()
    sizes = set()
    for line in lines:
        name, label = line.split()
        assert 0 <= int(label) <= 999
        assert sha(a / name) == sha(b / name)
        with Image.open(a / name) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            assert min(im.size) >= 64 and max(im.size) <= 500
            sizes.add(im.size)
    assert len(sizes) >= 10  # varied sizes and aspect ratios exercise the resize path
    other = assets.synthetic_dataset(ENTRY, 12, seed=6, cache_dir=tmp_path / "a")
    assert (other / "val_map.txt").read_text() != (a / "val_map.txt").read_text()
    # a larger set of the same seed starts with the same images
    more = assets.synthetic_dataset(ENTRY, 14, seed=5, cache_dir=tmp_path / "a")
    assert (more / "val_map.txt").read_text().splitlines()[:12] == lines
    assert not [p for p in (tmp_path / "a" / "datasets").iterdir() if p.name.startswith(".")]


# --- local sources ---------------------------------------------------------------------------


def test_resolve_model_accepts_synthetic_and_checked_local_files(tiny: Path, cache: Path) -> None:
    assert assets.resolve_model("synthetic", ENTRY, "tiny", cache_dir=cache) == tiny
    assert assets.resolve_model(str(tiny), ENTRY) == tiny


def test_resolve_model_rejects_unusable_files(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="does not exist") as missing:
        assets.resolve_model(tmp_path / "nope.onnx", ENTRY)
    assert missing.value.fix
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07 not a model at all \xff\xff")
    with pytest.raises(AssetError, match="not an ONNX model"):
        assets.resolve_model(junk, ENTRY)
    model = onnx.load(str(tiny))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_value = 4  # no RGB axis
    wrong = tmp_path / "wrong.onnx"
    onnx.save(model, str(wrong))
    with pytest.raises(AssetError) as err:
        assets.resolve_model(wrong, ENTRY)
    assert "wrong.onnx does not fit ResNet50 v1.5" in err.value.message
    assert "input_tensor:0 has shape [N,4,224,224]" in err.value.message
    with pytest.raises(AssetError, match="no sha256"):
        assets.resolve_model("https://example.invalid/resnet50_v1.onnx", ENTRY)
    with pytest.raises(RulesError, match='"vgg" is not a model'):
        assets.resolve_model("synthetic", ENTRY, "vgg")


def test_resolve_dataset_checks_the_folder(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="does not exist"):
        assets.resolve_dataset(tmp_path / "none", ENTRY)
    with pytest.raises(AssetError, match=r"no val_map\.txt"):
        assets.resolve_dataset(tmp_path, ENTRY)
    (tmp_path / "val_map.txt").write_text("a.JPEG 3\n")
    with pytest.raises(AssetError, match="first image"):
        assets.resolve_dataset(tmp_path, ENTRY)
    with pytest.raises(AssetError, match="needs a count"):
        assets.resolve_dataset("synthetic", ENTRY)
    made = assets.resolve_dataset("synthetic", ENTRY, cache_dir=tmp_path / "c", count=3)
    assert assets.resolve_dataset(made, ENTRY) == made


# --- downloads -------------------------------------------------------------------------------


class _Server:
    """A local HTTP server with Range support; records the Range headers it saw."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.ranges: list[str | None] = []
        self.honour_range = True
        #: stop sending after this many bytes of the body (a dropped connection)
        self.cut_after: int | None = None
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.files.get(self.path)
                server.ranges.append(self.headers.get("Range"))
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and server.honour_range:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                end = len(body) if server.cut_after is None else start + server.cut_after
                self.wfile.write(body[start:end])
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


PAYLOAD = bytes(range(256)) * 9000  # 2.3 MB: more than one read block


def test_download_verifies_and_caches_by_sha256(server: _Server, tmp_path: Path) -> None:
    server.files["/m/model.bin"] = PAYLOAD
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    seen: list[tuple[str, int, int | None]] = []
    path = assets.download(
        server.url("/m/model.bin"), digest, tmp_path, progress=lambda *a: seen.append(a)
    )
    assert path == tmp_path / "downloads" / digest / "model.bin"
    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == ("Downloading model.bin", len(PAYLOAD), len(PAYLOAD))
    assert assets.download(server.url("/m/model.bin"), digest, tmp_path) == path
    assert len(server.ranges) == 1  # the second call is a cache hit


def test_download_with_a_wrong_checksum_fails_and_discards(server: _Server, tmp_path: Path) -> None:
    server.files["/m/model.bin"] = PAYLOAD
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(AssetError, match=f"expected {wrong}") as err:
        assets.download(server.url("/m/model.bin"), wrong, tmp_path)
    assert "checksum" in err.value.fix
    assert not list((tmp_path / "downloads" / wrong).iterdir())
    with pytest.raises(AssetError, match="not a sha256"):
        assets.download(server.url("/m/model.bin"), "abc", tmp_path)


def test_download_resumes_a_partial_file(server: _Server, tmp_path: Path) -> None:
    server.files["/m/model.bin"] = PAYLOAD
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    part = tmp_path / "downloads" / digest / "model.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:1_000_000])
    path = assets.download(server.url("/m/model.bin"), digest, tmp_path)
    assert server.ranges == ["bytes=1000000-"]
    assert path.read_bytes() == PAYLOAD
    assert not part.exists()


def test_a_dropped_download_resumes_on_the_next_call(server: _Server, tmp_path: Path) -> None:
    server.files["/m/model.bin"] = PAYLOAD
    server.cut_after = 1_500_000
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    with pytest.raises(AssetError, match="stopped at") as err:
        assets.download(server.url("/m/model.bin"), digest, tmp_path)
    assert "resumes" in err.value.fix
    part = tmp_path / "downloads" / digest / "model.bin.part"
    assert 0 < part.stat().st_size < len(PAYLOAD)
    server.cut_after = None
    assert assets.download(server.url("/m/model.bin"), digest, tmp_path).read_bytes() == PAYLOAD
    assert server.ranges[-1] == "bytes=1500000-"


def test_download_restarts_when_the_server_ignores_range(server: _Server, tmp_path: Path) -> None:
    server.files["/m/model.bin"] = PAYLOAD
    server.honour_range = False
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    part = tmp_path / "downloads" / digest / "model.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"garbage" * 1000)
    assert assets.download(server.url("/m/model.bin"), digest, tmp_path).read_bytes() == PAYLOAD


def test_download_404_is_an_asset_error(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="HTTP 404") as err:
        assets.download(server.url("/missing.onnx"), "0" * 64, tmp_path)
    assert "URL" in err.value.fix


def test_resolve_model_and_dataset_from_urls(server: _Server, tiny: Path, tmp_path: Path) -> None:
    model_bytes = tiny.read_bytes()
    server.files["/resnet50_v1.onnx"] = model_bytes
    got = assets.resolve_model(
        server.url("/resnet50_v1.onnx"),
        ENTRY,
        cache_dir=tmp_path,
        sha256=hashlib.sha256(model_bytes).hexdigest(),
    )
    assert got.read_bytes() == model_bytes

    src = assets.synthetic_dataset(ENTRY, 3, seed=1, cache_dir=tmp_path / "src")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(src, arcname="imagenet-mini")
    server.files["/imagenet-mini.tar.gz"] = buf.getvalue()
    folder = assets.resolve_dataset(
        server.url("/imagenet-mini.tar.gz"),
        ENTRY,
        cache_dir=tmp_path,
        sha256=hashlib.sha256(buf.getvalue()).hexdigest(),
    )
    assert folder.name == "imagenet-mini"
    assert (folder / "val_map.txt").read_text() == (src / "val_map.txt").read_text()
