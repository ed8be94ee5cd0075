"""The pre-flight check's computation: disk per filesystem, what the cache already holds,
downloads of unknown size, memory, time; and its table at 80 columns.

Real folders and filesystems wherever they can be arranged in-process (tmp_path, /dev/shm);
``shutil.disk_usage`` and the available memory are replaced only to make a shortage on this
machine's large disk (a too-small real filesystem is the e2e test, tests/e2e/test_preflight_refusal.py).
"""

from __future__ import annotations

import hashlib
import http.server
import importlib
import io
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlperf_tui import benchmarks
from mlperf_tui.errors import ExitCode
from mlperf_tui.profile import Profile, quickstart_valid_profile
from mlperf_tui.run import Preflight, PreflightItem, plan_runs, preflight, total_estimate_s
from mlperf_tui.run.preflight import STATUS_OK, STATUS_SHORTAGE, STATUS_UNKNOWN
from mlperf_tui.run.preflight.model import (
    DISK_MARGIN_MAX_BYTES,
    HARNESS_BASE_BYTES,
    ORT_MODEL_FACTOR,
)

# the module (the package's `preflight` attribute is the function)
PREFLIGHT = importlib.import_module("mlperf_tui.run.preflight")
ENTRY = benchmarks.require("resnet50")
BLOCK = 4096


def _blocks(n: int) -> int:
    return -(-n // BLOCK) * BLOCK


def _profile(tmp_path: Path, **changes: Any) -> Profile:
    data: dict[str, Any] = {
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["SingleStream", "Offline"],
        "modes": ["performance", "accuracy"],
        "execution": "test",
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 8},
        },
        "output": str(tmp_path / "results"),
    }
    data.update(changes)
    return Profile.model_validate(data)


def _disk(pf: Preflight) -> list[PreflightItem]:
    return list(pf.of_kind("disk"))


def _part(pf: Preflight, prefix: str) -> Any:
    return next(p for i in _disk(pf) for p in i.parts if p.what.startswith(prefix))


def test_the_valid_quickstart_needs_its_preprocessed_samples_and_its_plan_time(
    tmp_path: Path,
) -> None:
    profile = quickstart_valid_profile()
    pf = preflight(profile, cache_dir=tmp_path / "cache", results_root=tmp_path / "results")
    # 50,000 uint8 [3, 224, 224] files in whole blocks (about 7.6 GB), and the stand-in JPEGs
    assert _part(pf, "preprocessed samples").bytes == 50_000 * _blocks(3 * 224 * 224)
    stand_in = _part(pf, "stand-in data set")
    assert stand_in.bytes == 50_000 * _blocks(ENTRY.dataset.generated_sample_bytes or 0)
    assert _part(pf, "stand-in model").bytes == ENTRY.model("tiny").standin_bytes
    # the runs' time is the plan's (rule of thumb); the one-off work comes on top of it
    plan = plan_runs(profile, dataset_size=50_000)
    runs = {i.what: i.needed for i in pf.of_kind("time")}
    assert [runs[f"time: {r.run_id}"] for r in plan] == [r.estimate_s for r in plan]
    total = next(i for i in pf.of_kind("time") if i.what.startswith("time: total"))
    setup = [i for i in pf.of_kind("time") if "generate" in i.what or "preprocess" in i.what]
    assert len(setup) == 2
    assert total.needed == pytest.approx(total_estimate_s(plan) + sum(i.needed or 0 for i in setup))
    assert (total.needed or 0) > 20 * 60  # the valid quickstart runs for about half an hour


def test_folders_on_one_filesystem_are_one_item_and_nothing_is_created(tmp_path: Path) -> None:
    cache = tmp_path / "not" / "yet" / "cache"
    results = tmp_path / "results-to-be"
    pf = preflight(_profile(tmp_path), cache_dir=cache, results_root=results)
    (disk,) = _disk(pf)
    assert set(disk.folders) == {"cache", "results"}
    assert disk.needed == sum(p.bytes or 0 for p in disk.parts)
    usage = shutil.disk_usage(tmp_path)
    margin = min(DISK_MARGIN_MAX_BYTES, usage.total * 0.05)
    assert disk.available == pytest.approx(usage.free - margin, abs=64 * 1024**2)
    # the check writes nothing: the folders it counted on are still not there
    assert not (tmp_path / "not").exists() and not results.exists()


def test_folders_on_two_filesystems_are_two_items(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no /dev/shm on another filesystem than the temporary folder here")
    other = Path(tempfile.mkdtemp(dir=shm, prefix="mlperf-tui-preflight-"))
    try:
        pf = preflight(
            _profile(tmp_path), cache_dir=other / "cache", results_root=tmp_path / "results"
        )
        by_role = {role: item for item in _disk(pf) for role in item.folders}
        assert by_role["cache"] is not by_role["results"]
        cache_parts = {p.what.split(",")[0] for p in by_role["cache"].parts}
        assert cache_parts == {"stand-in model tiny", "stand-in data set", "preprocessed samples"}
        assert {p.what.split(",")[0] for p in by_role["results"].parts} == {
            "LoadGen logs",
            "accuracy logs",
            "package",
        }
        # each against its own filesystem's free space
        shm_free = shutil.disk_usage(other).free
        assert (by_role["cache"].available or 0) <= shm_free
        assert by_role["cache"].available == pytest.approx(
            shm_free - min(DISK_MARGIN_MAX_BYTES, shutil.disk_usage(other).total * 0.05),
            abs=64 * 1024**2,
        )
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_what_the_cache_holds_counts_as_nothing(tmp_path: Path) -> None:
    from harness.tasks import get_task
    from mlperf_tui.assets import check_model, synthetic_dataset, synthetic_model

    cache = tmp_path / "cache"
    profile = _profile(tmp_path)
    fresh = preflight(profile, cache_dir=cache)
    assert _part(fresh, "stand-in model").bytes == ENTRY.model("tiny").standin_bytes
    assert _part(fresh, "preprocessed samples").bytes == 8 * _blocks(3 * 224 * 224)

    model = synthetic_model(ENTRY, "tiny", cache_dir=cache)
    data = synthetic_dataset(ENTRY, 8, cache_dir=cache)
    pf = preflight(profile, cache_dir=cache)
    assert _part(pf, "stand-in model").bytes == 0
    assert _part(pf, "stand-in data set").bytes == 0
    assert not [i for i in pf.of_kind("time") if "generate" in i.what]

    # three of the eight samples preprocessed (the harness's own cache): five to go
    dataset = get_task(ENTRY.task).open_dataset(
        data, cache / "preprocessed", None, check_model(model, ENTRY, "tiny")
    )
    dataset.preprocess([0, 1, 2])
    part = _part(preflight(profile, cache_dir=cache), "preprocessed samples")
    assert part.bytes == 5 * _blocks(3 * 224 * 224)
    assert "3 in the cache" in part.note
    dataset.preprocess()
    pf = preflight(profile, cache_dir=cache)
    assert _part(pf, "preprocessed samples").bytes == 0
    assert not [i for i in pf.of_kind("time") if "preprocess" in i.what]
    # another preprocessing family (MobileNet's) has nothing cached yet
    other = preflight(
        _profile(tmp_path, assets={
            "model": {"source": "synthetic", "kind": "mobilenet"},
            "dataset": {"source": "synthetic", "count": 8},
        }),
        cache_dir=cache,
    )  # fmt: skip
    assert _part(other, "preprocessed samples").bytes == 8 * _blocks(3 * 224 * 224)


class _HeadServer:
    """A local HTTP server answering HEAD: with a Content-Length, or (/no-length/) without."""

    def __init__(self, sizes: dict[str, int]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                if self.path.startswith("/no-length/"):
                    self.send_response(200)
                    self.end_headers()
                    return
                size = sizes.get(self.path)
                if size is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def head_server() -> Iterator[_HeadServer]:
    server = _HeadServer({"/m/model.onnx": 123_456_789, "/d/imagenet.tar": 6_400_000_000})
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SHA = hashlib.sha256(b"x").hexdigest()


def _url_profile(tmp_path: Path, model_url: str, dataset_url: str) -> Profile:
    return _profile(
        tmp_path,
        assets={
            "model": {"source": "url", "url": model_url, "sha256": SHA},
            "dataset": {"source": "url", "url": dataset_url, "sha256": SHA, "count": 8},
        },
    )


def test_downloads_count_their_size_from_a_head_request(
    head_server: _HeadServer, tmp_path: Path
) -> None:
    profile = _url_profile(
        tmp_path, head_server.url("/m/model.onnx"), head_server.url("/d/imagenet.tar")
    )
    pf = preflight(profile, cache_dir=tmp_path / "cache")
    assert _part(pf, "download: model").bytes == 123_456_789
    assert _part(pf, "download: data set").bytes == 6_400_000_000
    assert _part(pf, "unpacking data set").bytes == 6_400_000_000
    # the model's size also sizes the memory ONNX Runtime needs
    (memory,) = pf.of_kind("memory")
    psc = min(1024, 8)
    loaded = psc * (ENTRY.dataset.loaded_sample_bytes or 0)
    assert memory.needed == loaded + int(123_456_789 * ORT_MODEL_FACTOR) + HARNESS_BASE_BYTES


def test_a_download_of_unknown_size_is_said_and_never_refused(
    head_server: _HeadServer, tmp_path: Path
) -> None:
    unreachable = f"http://127.0.0.1:{_closed_port()}/m/model.onnx"
    profile = _url_profile(tmp_path, unreachable, head_server.url("/no-length/imagenet.tar"))
    pf = preflight(profile, cache_dir=tmp_path / "cache")
    model = _part(pf, "download: model")
    data = _part(pf, "download: data set")
    assert model.bytes is None and "unknown size (cannot reach it" in model.note
    assert data.bytes is None and "does not say its size" in data.note
    (disk,) = _disk(pf)
    assert disk.status == STATUS_UNKNOWN
    assert "unknown: download: model" in disk.note
    (memory,) = pf.of_kind("memory")
    assert memory.status == STATUS_UNKNOWN  # the model's size is not known
    assert pf.ok and pf.error() is None


def test_a_download_already_in_the_cache_needs_nothing(tmp_path: Path) -> None:
    from mlperf_tui.assets import download_path

    url = f"http://127.0.0.1:{_closed_port()}/m/model.onnx"
    target = download_path(url, SHA, tmp_path / "cache")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\0" * 5000)
    profile = _url_profile(tmp_path, url, url.replace("model.onnx", "data.tar"))
    pf = preflight(profile, cache_dir=tmp_path / "cache")
    assert _part(pf, "download: model").bytes == 0  # no HEAD request: the port is closed


def test_the_memory_item_adds_loaded_samples_model_and_harness(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = _profile(
        tmp_path,
        assets={
            "model": {"source": "synthetic", "kind": "resnet50"},
            "dataset": {"source": "synthetic", "count": 2048},
        },
    )
    needed = (
        1024 * 3 * 224 * 224 * 4  # LoadGen's performance sample count of float32 images
        + int((ENTRY.model("resnet50").standin_bytes or 0) * ORT_MODEL_FACTOR)
        + HARNESS_BASE_BYTES
    )
    monkeypatch.setattr(PREFLIGHT, "available_memory", lambda: 10 * 1024**3)
    (memory,) = preflight(profile, cache_dir=tmp_path / "cache").of_kind("memory")
    assert memory.needed == needed and memory.status == STATUS_OK

    monkeypatch.setattr(PREFLIGHT, "available_memory", lambda: 256 * 1024**2)
    pf = preflight(profile, cache_dir=tmp_path / "cache")
    (memory,) = pf.of_kind("memory")
    assert memory.status == STATUS_SHORTAGE
    assert "free " in memory.fix and "assets.dataset.count" in memory.fix
    error = pf.error()
    assert error is not None and error.exit_code == ExitCode.ENVIRONMENT
    assert "memory: one harness child" in error.message

    monkeypatch.setattr(PREFLIGHT, "available_memory", lambda: None)
    (memory,) = preflight(profile, cache_dir=tmp_path / "cache").of_kind("memory")
    assert memory.status == STATUS_UNKNOWN


def _small_disk(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    real = shutil.disk_usage

    def usage(path: Any) -> Any:
        u = real(path)
        return type(u)(total=free * 2, used=free, free=free)

    monkeypatch.setattr(shutil, "disk_usage", usage)


def test_a_short_cache_disk_names_the_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_disk(monkeypatch, 2 * 1024**3)
    pf = preflight(quickstart_valid_profile(), cache_dir=tmp_path / "cache")
    (disk,) = _disk(pf)
    assert disk.status == STATUS_SHORTAGE
    assert "MLPERF_TUI_CACHE=" in disk.fix
    assert "free " in disk.fix
    # what fits: the samples' share of the free space, and valid execution needs them all
    assert "a smaller assets.dataset.count (about " in disk.fix
    assert "with execution: test (valid execution needs all 50,000)" in disk.fix
    fits = int(disk.fix.split("(about ")[1].split(" ")[0].replace(",", ""))
    assert 5_000 < fits < 20_000
    error = pf.error()
    assert error is not None and error.exit_code == ExitCode.ENVIRONMENT
    assert disk.fix in error.fix


def test_the_table_fits_80_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from mlperf_tui.headless import print_preflight

    _small_disk(monkeypatch, 2 * 1024**3)
    pf = preflight(
        quickstart_valid_profile(),
        cache_dir=tmp_path / "a-rather-long-cache-folder-name" / "mlperf-tui" / "cache",
        results_root=tmp_path / "results",
    )
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None, highlight=False)
    print_preflight(console, pf)
    text = buffer.getvalue()
    assert "Pre-flight" in text and "SHORT" in text and "fix (disk:" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # wrapped, never cut off


@pytest.mark.parametrize(
    ("benchmark", "kind"),
    [
        ("resnet50", "tiny"),
        ("resnet50", "mobilenet"),
        ("bert-99", "tiny-bert"),
        ("3d-unet-99", "tiny-3d-unet"),
    ],
)
def test_the_registry_knows_the_stand_in_sizes(benchmark: str, kind: str) -> None:
    model = benchmarks.require(benchmark).model(kind)
    assert model.standin is not None and model.standin_bytes is not None
    assert len(model.standin(0).SerializeToString()) == pytest.approx(model.standin_bytes, rel=0.01)


def test_an_engine_run_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # through a serving engine the prompts, logs and package still land here, and the runs
    # still take time: the pre-flight says how much (the engine's own machine is not ours)
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    profile = _profile(
        tmp_path,
        benchmark="llama2-70b-99.9",
        category="datacenter",
        scenarios=["Server", "Offline"],
        harness="endpoint",
        endpoint={"url": "http://127.0.0.1:8000/v1", "model": "tiny-engine"},
        assets={
            "model": {"source": "synthetic", "kind": "tiny-engine"},
            "dataset": {"source": "synthetic", "count": 8},
        },
    )
    pf = preflight(profile, cache_dir=tmp_path / "cache")
    kinds = {i.kind for i in pf.items}
    assert {"disk", "memory", "time"} <= kinds
    assert not pf.shortages
    times = [i for i in pf.items if i.kind == "time"]
    assert any("Server-performance" in i.what for i in times), [i.what for i in times]
    # the accuracy log of an answer is its token ids: 4 bytes a token, 1024 tokens at most
    assert _part(pf, "accuracy logs").bytes > 0


def test_a_provider_that_does_not_load_here_refuses_the_run_with_its_reason(
    tmp_path: Path,
) -> None:
    # this machine's onnxruntime has no CUDA (CI's neither): the real check, no stand-in
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has a CUDA provider; the refusal is tested without one")
    profile = _profile(tmp_path, backend={"execution_provider": "CUDAExecutionProvider"})
    pf = preflight(profile, cache_dir=tmp_path / "cache", results_root=tmp_path / "results")
    (item,) = pf.of_kind("provider")
    assert item.status == STATUS_SHORTAGE and item.fix
    error = pf.error()
    assert error is not None
    assert "CUDAExecutionProvider does not load here" in error.message
    assert "not enough room" not in error.message
    assert error.exit_code == ExitCode.ENVIRONMENT
    # and a CPU profile has no such item
    assert not preflight(_profile(tmp_path), cache_dir=tmp_path / "cache").of_kind("provider")
