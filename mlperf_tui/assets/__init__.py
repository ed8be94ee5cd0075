"""Models and data sets: generated stand-ins, local paths and verified downloads.

No weights or data sets can be downloaded on an offline machine, yet the whole flow must run
there (DESIGN.md, "Synthetic stand-ins"). What a stand-in is comes from the benchmark's entry
in the registry (``mlperf_tui.benchmarks``): its models' graph builders and its data set's
generator. This package caches them, deterministically from a seed:

- :func:`synthetic_model` - one of the entry's models with random weights;
- :func:`synthetic_dataset` - a folder of the entry's data-set layout with ``count`` samples.

A cached stand-in is checked before it is used, and rebuilt when damaged: a model file
(truncated or edited) against the sha256 and size recorded beside it (``NAME.sha256``), a
data-set folder (a file truncated or missing) against the size of every file recorded in it
(``.manifest.json``). Each appears complete or not at all (a temporary file or folder,
renamed).

Real assets use the same code path: :func:`resolve_model` / :func:`resolve_dataset` accept a
local path (checked on the spot), an http(s) URL with its sha256 (downloaded with resume,
verified, cached by hash; an archive is unpacked safely) or ``synthetic``. Progress goes to a
callback ``progress(label, done, total)`` that the CLI and TUI render. Every failure a user can
cause is an :class:`~mlperf_tui.errors.AssetError` with a fix, or, for a cache that cannot be
written, :class:`~mlperf_tui.errors.DiskFull` / :class:`~mlperf_tui.errors.NotWritable`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.datasets import remove_dead_leftovers, temporary_prefix
from mlperf_tui.assets.cache import (
    CACHE_ENV,
    atomic_file,
    cache_root,
    cache_write_failed,
    ensure_dir,
)
from mlperf_tui.assets.download import (
    content_length,
    download,
    download_path,
    extract,
    is_url,
    sha256_file,
)
from mlperf_tui.errors import AssetError

if TYPE_CHECKING:
    import onnx

    from harness.backends import TensorInfo
    from harness.tasks import Binding
    from mlperf_tui.benchmarks import BenchmarkEntry, ModelKind

__all__ = [
    "CACHE_ENV",
    "Progress",
    "cache_root",
    "check_dataset",
    "check_model",
    "content_length",
    "download",
    "download_path",
    "is_url",
    "model_inputs",
    "model_io",
    "resolve_dataset",
    "resolve_model",
    "sha256_file",
    "synthetic_dataset",
    "synthetic_dataset_path",
    "synthetic_model",
    "synthetic_model_path",
]

#: (label, done, total) — total is None when unknown
Progress = Callable[[str, int, "int | None"], None]
#: the source of a generated stand-in, as a profile writes it
SYNTHETIC = "synthetic"
#: bump when a generator's output changes, so stale stand-ins are not reused
GENERATOR_VERSION = 1
#: beside a generated model file: its sha256 and size (JSON), so a damaged file is rebuilt
CHECKSUM_SUFFIX = ".sha256"
#: in a generated data-set folder: the size of every file in it (JSON), so a damaged one is
#: rebuilt; hidden, so no data-set reader takes it for a sample
MANIFEST = ".manifest.json"


# --- stand-ins -------------------------------------------------------------------------------


def synthetic_model_path(
    entry: BenchmarkEntry,
    kind: str | None = None,
    seed: int = 0,
    cache_dir: Path | str | None = None,
) -> Path:
    """Where :func:`synthetic_model` keeps the stand-in (the file may not exist yet)."""
    name = entry.model(kind).name
    return (
        cache_root(cache_dir) / "models" / f"synthetic-{name}-seed{seed}-g{GENERATOR_VERSION}.onnx"
    )


def synthetic_dataset_path(
    entry: BenchmarkEntry, count: int, seed: int = 0, cache_dir: Path | str | None = None
) -> Path:
    """Where :func:`synthetic_dataset` keeps the folder (it may not exist yet)."""
    slug = entry.dataset.slug
    return (
        cache_root(cache_dir)
        / "datasets"
        / f"synthetic-{slug}-seed{seed}-n{count}-g{GENERATOR_VERSION}"
    )


def synthetic_model(
    entry: BenchmarkEntry,
    kind: str | None = None,
    seed: int = 0,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> Path:
    """The cached stand-in of one of the entry's models, generated on first use and again
    when the cached file is damaged (its sha256 or size is not the one recorded)."""
    model = entry.model(kind)
    if model.folder_standin is not None:
        return _synthetic_model_folder(entry, model, seed, cache_dir, progress)
    if model.standin is None:
        raise AssetError(
            f"{model.name} has no synthetic stand-in",
            f"use one of: {', '.join(entry.standins)}, or give the model's path",
        )
    target = synthetic_model_path(entry, kind, seed, cache_dir)
    if _file_intact(target):
        return target
    verb = "Regenerating the damaged" if target.exists() else "Generating the"
    label = f"{verb} synthetic {model.name} model"
    if progress:
        progress(label, 0, 1)
    data = model.standin(seed).SerializeToString()
    try:
        with atomic_file(target) as tmp:
            tmp.write_bytes(data)
        # after the model: a model without its record is rebuilt, never trusted
        record = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        with atomic_file(_checksum_path(target)) as tmp:
            tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
    except OSError as exc:
        if target.is_file() and not _checksum_path(target).exists():
            return target  # an older mlperf-tui's, in a cache it cannot rewrite: used as before
        raise cache_write_failed(
            exc, f"writing the synthetic {model.name} model", target.parent
        ) from None
    if progress:
        progress(label, 1, 1)
    return target


def _checksum_path(model_file: Path) -> Path:
    return model_file.with_name(model_file.name + CHECKSUM_SUFFIX)


def _file_intact(path: Path) -> bool:
    """Whether the generated file at ``path`` is the one written: the size and sha256
    recorded beside it (a file without its record, from an older mlperf-tui, is rebuilt)."""
    try:
        record = json.loads(_checksum_path(path).read_text(encoding="utf-8"))
        if path.stat().st_size != record["bytes"]:
            return False
        return bool(sha256_file(path) == record["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_manifest(folder: Path) -> None:
    """Record the size of every file in a freshly built folder (before it is renamed)."""
    sizes: dict[str, int] = {}
    for top, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(top, name)
            sizes[path.relative_to(folder).as_posix()] = path.stat().st_size
    (folder / MANIFEST).write_text(json.dumps({"files": sizes}) + "\n", encoding="utf-8")


def _folder_intact(folder: Path, marker: str) -> bool:
    """Whether a generated folder holds its marker and every file its manifest lists, at the
    size recorded (a stat per file: no reading). A folder without a manifest, written by an
    older mlperf-tui, is trusted as it was."""
    if not (folder / marker).is_file():
        return False
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        files = json.loads(text)["files"]
        return all(os.stat(folder / rel).st_size == size for rel, size in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _discard(folder: Path) -> None:
    """Move a damaged cached folder aside (an atomic rename: readers see it or nothing), then
    delete it; a leftover of a killed deleter carries its pid and is swept later."""
    aside = folder.with_name(f"{temporary_prefix(folder.name)}{os.urandom(4).hex()}")
    try:
        os.rename(folder, aside)
    except FileNotFoundError:
        return  # another process moved it first
    except OSError as exc:
        raise cache_write_failed(
            exc, f"replacing the damaged {folder.name}", folder.parent
        ) from None
    shutil.rmtree(aside, ignore_errors=True)


def _build_folder(root: Path, name: str, doing: str) -> Path:
    """A new temporary folder in ``root`` that becomes ``name`` once complete; what killed
    builders of ``name`` left is removed first."""
    remove_dead_leftovers(root, name)
    try:
        return Path(tempfile.mkdtemp(dir=root, prefix=temporary_prefix(name)))
    except OSError as exc:
        raise cache_write_failed(exc, doing, root) from None


def _synthetic_model_folder(
    entry: BenchmarkEntry,
    model: ModelKind,
    seed: int,
    cache_dir: Path | str | None,
    progress: Progress | None,
) -> Path:
    """A stand-in that is a folder (an engine's model and tokenizer), generated on first use
    into a temporary folder and renamed: it appears complete or not at all."""
    assert model.folder_standin is not None
    target = synthetic_model_path(entry, model.name, seed, cache_dir).with_suffix("")
    if target.is_dir():
        return target
    root = ensure_dir(target.parent)
    label = f"Generating the synthetic {model.name} model"
    if progress:
        progress(label, 0, 1)
    doing = f"writing the synthetic {model.name} model"
    build = _build_folder(root, target.name, doing)
    try:
        model.folder_standin(seed, build)
        build.chmod(0o755)
        try:
            os.rename(build, target)
        except OSError:
            if not target.is_dir():  # not another process winning the race
                raise
    except OSError as exc:
        raise cache_write_failed(exc, doing, root) from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
    if progress:
        progress(label, 1, 1)
    return target


def synthetic_dataset(
    entry: BenchmarkEntry,
    count: int,
    seed: int = 0,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> Path:
    """A cached folder of ``count`` generated samples in the entry's data-set layout,
    generated on first use and again when a file in it is damaged (truncated, missing)."""
    if count < 1:
        raise AssetError(
            f"a synthetic data set needs at least 1 sample, got {count}", "use a positive count"
        )
    target = synthetic_dataset_path(entry, count, seed, cache_dir)
    marker = entry.dataset.marker
    if _folder_intact(target, marker):
        return target
    root = ensure_dir(target.parent)
    if target.exists():
        _discard(target)
    doing = "writing the synthetic data set"
    build = _build_folder(root, target.name, doing)
    try:
        entry.dataset.synthesize(count, seed, build, progress)
        _write_manifest(build)
        try:
            os.rename(build, target)  # atomic: the folder appears complete or not at all
        except OSError:
            if not _folder_intact(target, marker):  # not another process winning
                raise
    except OSError as exc:
        raise cache_write_failed(exc, doing, root) from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


# --- checks ----------------------------------------------------------------------------------


def model_io(model: onnx.ModelProto) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """The inputs (initializers excluded) and outputs of an ONNX graph."""
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


def _load_onnx(path: Path) -> onnx.ModelProto:
    import onnx

    if not path.exists():
        raise AssetError(
            f"model file {path} does not exist",
            "check the path, or use source: synthetic for a generated stand-in",
        )
    if not path.is_file():
        raise AssetError(f"model path {path} is not a file", "point it at the .onnx file itself")
    if not os.access(path, os.R_OK):
        raise AssetError(
            f"model file {path} is not readable", f"fix its permissions (chmod a+r {path})"
        )
    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError / ValueError / OSError
        raise AssetError(
            f"{path} is not an ONNX model ({type(exc).__name__}: {exc})",
            "re-download or regenerate it (the file may be truncated)",
        ) from None


def model_inputs(path: Path) -> list[TensorInfo]:
    """The inputs of the ONNX model at ``path``; AssetError when it cannot be read."""
    return model_io(_load_onnx(path))[0]


def check_model(path: Path, entry: BenchmarkEntry, kind: str | None = None) -> Binding:
    """How the entry's task maps the ONNX model at ``path``; AssetError naming what does not
    fit (a missing or unreadable file, not ONNX, a tensor the task cannot map)."""
    from harness.tasks import TaskError, get_task

    model_kind: ModelKind = entry.model(kind)
    graph = _load_onnx(path)
    try:
        task = get_task(entry.task)
        inputs, outputs = model_io(graph)
        return task.bind(inputs, outputs, model_kind.task_options)
    except TaskError as exc:
        raise AssetError(
            f"{path.name} does not fit {model_kind.title}: {exc.message}", exc.fix
        ) from None


def check_dataset(folder: Path, entry: BenchmarkEntry) -> int:
    """AssetError unless ``folder`` holds the entry's data set; its sample count."""
    return entry.dataset.check(folder)


# --- resolving sources -----------------------------------------------------------------------


def _fetch(
    url: str, sha256: str | None, cache_dir: Path | str | None, progress: Progress | None
) -> Path:
    if not sha256:
        raise AssetError(
            f"no sha256 given for {url}",
            "add the file's sha256 next to the URL so the download can be verified",
        )
    return download(url, sha256, cache_dir, progress)


def resolve_model(
    source: str | Path,
    entry: BenchmarkEntry,
    kind: str | None = None,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    *,
    sha256: str | None = None,
    seed: int = 0,
) -> Path:
    """A checked model file from ``synthetic``, a local path or a URL with its sha256."""
    text = str(source)
    if text == SYNTHETIC:
        path = synthetic_model(entry, kind, seed, cache_dir, progress)
    elif entry.check_model is not None and is_url(text):
        raise AssetError(
            f"{entry.benchmarks[0]} reads the served model's folder for its tokenizer, and a "
            "URL is not a folder",
            "download the model's Hugging Face folder and give assets.model.path",
        )
    elif is_url(text):
        path = _fetch(text, sha256, cache_dir, progress)
    else:
        path = Path(text).expanduser()
    if entry.check_model is not None:
        entry.check_model(path)
    else:
        check_model(path, entry, kind)
    return path


def resolve_dataset(
    source: str | Path,
    entry: BenchmarkEntry,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    *,
    sha256: str | None = None,
    count: int | None = None,
    seed: int = 0,
) -> Path:
    """A checked data set folder from ``synthetic`` (needs count), a folder or an archive URL."""
    text = str(source)
    if text == SYNTHETIC:
        if count is None:
            raise AssetError(
                "a synthetic data set needs a count", "give the number of samples to generate"
            )
        return synthetic_dataset(entry, count, seed, cache_dir, progress)
    if is_url(text):
        archive = _fetch(text, sha256, cache_dir, progress)
        unpacked = extract(archive, archive.parent)
        folder = entry.dataset.locate(unpacked)
        if folder is None:
            raise AssetError(
                f"no {entry.dataset.marker} in {unpacked} or one folder below",
                f"the archive must hold {entry.dataset.name}",
            )
    else:
        folder = Path(text).expanduser()
    check_dataset(folder, entry)
    return folder
