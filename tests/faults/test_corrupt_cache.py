"""Damaged cache entries and the leftovers of killed writers.

- A cached stand-in model that was truncated or edited no longer matches the sha256 recorded
  beside it: it is generated again, not a failure. One without a record (an older
  mlperf-tui's) is generated again too, or used as it is in a cache that cannot be written.
- A data-set file that was truncated (or removed) no longer has the size recorded in the
  folder's manifest: the folder is generated again.
- A preprocessed sample of the wrong size is preprocessed again and replaced.
- A cached download whose size or mtime changed since it was verified is hashed again; one
  that no longer matches its sha256 is deleted and downloaded again.
- A writer killed (SIGKILL) between creating its temporary file or folder and renaming it
  leaves ``.NAME.PID.xxxxxxxx[.tmp]``; the next writer of that entry removes it, because its
  process is gone, and keeps one whose process is alive (another run generating the same
  entry at the same time).
"""

from __future__ import annotations

import hashlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from faults import ROOT, assert_no_traceback, cannot_mount, on_tmpfs
from PIL import Image

from harness.datasets import DiskCache
from harness.datasets.imagenet import ImagenetDataset
from mlperf_tui import assets, benchmarks

ENTRY = benchmarks.require("resnet50")


def _labels(seen: list[tuple[str, int, int | None]]) -> set[str]:
    return {label for label, _, _ in seen}


# -- stand-ins -------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "edited"])
def test_a_damaged_cached_model_is_generated_again(tmp_path: Path, damage: str) -> None:
    model = assets.synthetic_model(ENTRY, "tiny", cache_dir=tmp_path)
    good = model.read_bytes()
    if damage == "truncated":
        model.write_bytes(good[: len(good) // 2])
    else:  # the same size, one byte changed
        model.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    seen: list[tuple[str, int, int | None]] = []
    again = assets.synthetic_model(
        ENTRY, "tiny", cache_dir=tmp_path, progress=lambda *a: seen.append(a)
    )
    assert again == model and again.read_bytes() == good
    assert "Regenerating the damaged synthetic tiny model" in _labels(seen)
    assets.check_model(again, ENTRY, "tiny")
    # an intact one is used as it is
    seen.clear()
    assets.synthetic_model(ENTRY, "tiny", cache_dir=tmp_path, progress=lambda *a: seen.append(a))
    assert seen == []


def test_a_model_without_its_record_is_checked_by_generating_it_again(tmp_path: Path) -> None:
    """An older mlperf-tui wrote no record: the model is generated again where the cache can be
    written, and used as it is where it cannot (a read-only cache keeps working)."""
    reason = cannot_mount()
    if reason:
        pytest.skip(reason)
    mount = tmp_path / "fs"
    make = (
        "import sys; from mlperf_tui import assets, benchmarks; "
        "p = assets.synthetic_model(benchmarks.require('resnet50'), 'tiny', cache_dir=sys.argv[1]); "
        "print(p.stat().st_mtime_ns, p.with_name(p.name + '.sha256').exists())"
    )
    record = mount / "models" / "synthetic-tiny-seed0-g1.onnx.sha256"
    run = '"$1" -c "$2" "$3"'
    script = (
        f'{run} && rm "{record}" && {run} && rm "{record}" && mount -o remount,ro "$3" && {run}'
    )
    outcome = on_tmpfs(
        mount, ["sh", "-c", script, "sh", sys.executable, make, str(mount)], size="16m", cwd=ROOT
    )
    assert outcome.rc == 0, outcome.stderr[-3000:]
    first, again, read_only = (line.split() for line in outcome.stdout.splitlines())
    assert first[1] == again[1] == "True" and first[0] != again[0]  # written again
    assert read_only == [again[0], "False"]  # used as it was, without a record
    assert_no_traceback(outcome.stderr)


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_damaged_sample_in_the_cached_data_set_is_generated_again(
    tmp_path: Path, damage: str
) -> None:
    folder = assets.synthetic_dataset(ENTRY, 8, cache_dir=tmp_path)
    jpeg = folder / "ILSVRC2012_val_00000003.JPEG"
    good = jpeg.read_bytes()
    if damage == "truncated":
        jpeg.write_bytes(good[: len(good) // 2])
    else:
        jpeg.unlink()
    assert assets.synthetic_dataset(ENTRY, 8, cache_dir=tmp_path) == folder
    assert jpeg.read_bytes() == good
    with Image.open(jpeg) as im:
        im.load()  # decodes to the end
    assert assets.check_dataset(folder, ENTRY) == 8
    # nothing of the damaged folder or of the build is left beside it
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_a_truncated_preprocessed_sample_is_preprocessed_again(tmp_path: Path) -> None:
    folder = assets.synthetic_dataset(ENTRY, 4, cache_dir=tmp_path)
    dataset = ImagenetDataset(folder, tmp_path / "preprocessed", workers=1)
    assert dataset.preprocess() == 4
    raws = sorted(dataset.cache_folder.glob("*.raw"))
    assert len(raws) == 4
    good = {p: p.read_bytes() for p in raws}
    damaged = raws[1]
    damaged.write_bytes(good[damaged][:1000])
    # preprocessing again makes exactly the damaged one
    assert ImagenetDataset(folder, tmp_path / "preprocessed", workers=1).preprocess() == 1
    assert {p: p.read_bytes() for p in raws} == good
    # and LoadGen's load of a damaged sample preprocesses it instead of reading it
    damaged.write_bytes(good[damaged][:1000])
    fresh = ImagenetDataset(folder, tmp_path / "preprocessed", workers=1)
    fresh.load(np.arange(4))
    assert fresh.cache_misses == 1 and fresh.cache_hits == 3
    assert damaged.read_bytes() == good[damaged]
    expected = ImagenetDataset(folder, tmp_path / "other-cache", workers=1)
    expected.load(np.arange(4))
    for name, batch in fresh.batch(np.arange(4)).items():
        np.testing.assert_array_equal(batch, expected.batch(np.arange(4))[name])


# -- downloads -------------------------------------------------------------------------------


class _Server:
    """A local HTTP server of a few files; counts the requests of each."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.gets: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.gets[self.path] = server.gets.get(self.path, 0) + 1
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


PAYLOAD = bytes(range(256)) * 4000


@pytest.mark.parametrize("damage", ["truncated", "replaced"])
def test_a_cached_download_that_no_longer_matches_its_sha256_is_downloaded_again(
    server: _Server, tmp_path: Path, damage: str
) -> None:
    server.files["/model.onnx"] = PAYLOAD
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    url = server.url("/model.onnx")
    cached = assets.download(url, digest, tmp_path)
    assert assets.download(url, digest, tmp_path) == cached
    assert server.gets["/model.onnx"] == 1  # verified once, then used as it is
    if damage == "truncated":
        cached.write_bytes(PAYLOAD[: len(PAYLOAD) // 2])
    else:  # the same size, other bytes, a later mtime
        cached.write_bytes(PAYLOAD[::-1])
        later = cached.stat().st_mtime_ns + 10**9
        os.utime(cached, ns=(later, later))
    assert assets.download(url, digest, tmp_path) == cached
    assert cached.read_bytes() == PAYLOAD
    assert server.gets["/model.onnx"] == 2
    assert assets.download(url, digest, tmp_path) == cached
    assert server.gets["/model.onnx"] == 2


# -- leftovers of killed writers -------------------------------------------------------------

#: run in a child: os.replace / os.rename (the writers' last step) block, so the child can be
#: killed with its temporary file or folder complete and not yet renamed
_BLOCKED = """
import os, sys, time
from pathlib import Path
def blocked(*args, **kwargs):
    Path(sys.argv[1]).write_text(str(os.getpid()))
    time.sleep(120)
os.replace = os.rename = blocked
cache = Path(sys.argv[2])
"""
_WRITERS = {
    "model": "from mlperf_tui import assets, benchmarks\n"
    "assets.synthetic_model(benchmarks.require('resnet50'), 'tiny', cache_dir=cache)\n",
    "dataset": "from mlperf_tui import assets, benchmarks\n"
    "assets.synthetic_dataset(benchmarks.require('resnet50'), 4, cache_dir=cache)\n",
    "preprocessed": "import numpy as np\nfrom harness.datasets import DiskCache\n"
    "DiskCache(cache / 'preprocessed', (4,), np.uint8).write('k', np.zeros(4, np.uint8))\n",
}


def _write_again(writer: str, cache: Path) -> None:
    """The next writer of the same entry, in this process."""
    if writer == "model":
        assets.synthetic_model(ENTRY, "tiny", cache_dir=cache)
    elif writer == "dataset":
        assets.synthetic_dataset(ENTRY, 4, cache_dir=cache)
    else:
        DiskCache(cache / "preprocessed", (4,), np.dtype(np.uint8)).write("k", np.ones(4, np.uint8))


def _folder_and_live_leftover(writer: str, cache: Path) -> tuple[Path, Path]:
    """The entry's folder, and a leftover there named by a live process (this one)."""
    live = os.getpid()
    if writer == "model":
        folder = assets.synthetic_model_path(ENTRY, "tiny", cache_dir=cache).parent
        return folder, folder / f".synthetic-tiny-seed0-g1.onnx.{live}.abcdefgh.tmp"
    if writer == "dataset":
        folder = assets.synthetic_dataset_path(ENTRY, 4, cache_dir=cache).parent
        return folder, folder / f".synthetic-imagenet-seed0-n4-g1.{live}.abcdefgh"
    folder = cache / "preprocessed"
    return folder, folder / f".k.{live}.abcdefgh.tmp"


@pytest.mark.parametrize("writer", sorted(_WRITERS))
def test_the_leftover_of_a_killed_writer_is_removed_and_a_live_writers_is_kept(
    tmp_path: Path, writer: str
) -> None:
    cache = tmp_path / "cache"
    blocked = tmp_path / "blocked"
    proc = subprocess.Popen(
        [sys.executable, "-c", _BLOCKED + _WRITERS[writer], str(blocked), str(cache)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not blocked.is_file() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert blocked.is_file(), proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    folder, live = _folder_and_live_leftover(writer, cache)
    killed = [p for p in folder.iterdir() if p.name.startswith(".") and f".{proc.pid}." in p.name]
    assert len(killed) == 1, sorted(p.name for p in folder.iterdir())
    if writer == "dataset":
        live.mkdir()
        (live / "val_map.txt").write_text("being written\n", encoding="utf-8")
    else:
        live.write_bytes(b"being written")
    _write_again(writer, cache)
    assert not killed[0].exists()
    assert live.exists()
    hidden = sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
    assert hidden == [live.name]
