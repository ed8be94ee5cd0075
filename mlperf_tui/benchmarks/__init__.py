"""The benchmark registry: what the orchestrator knows about a benchmark beyond the rules.

The rules (``mlperf_tui.rules``) say what a benchmark must do; an entry here says how
mlperf-tui runs it: the harness task, the models it can run (the reference, generated
stand-ins, open-division alternatives), the data set (how a local folder is recognised and
checked, how a stand-in is generated, what a preprocessed sample costs on disk), a rule of
thumb for estimates, and the wizard's explanation. Entries are keyed by the rules' benchmark
name (``"resnet50"``).

Every other part of mlperf-tui asks this module and nothing else: which benchmarks run here
(:func:`runnable`), an entry (:func:`get`, :func:`require`), a model of an entry
(:meth:`BenchmarkEntry.model`). Nothing outside a benchmark's own module names its model,
data set or tensors. The built-in entries live in one module per benchmark family
(``mlperf_tui/benchmarks/<family>/``), imported on first use; :func:`register` adds one more
(a plug-in, a test's toy benchmark)::

    from mlperf_tui import benchmarks
    entry = benchmarks.require("resnet50")
    entry.task                      # "imagenet_classification" (harness/tasks/)
    entry.model("tiny").standin     # builds the stand-in ONNX graph from a seed
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui.errors import RulesError, did_you_mean

if TYPE_CHECKING:
    import onnx

__all__ = [
    "BenchmarkEntry",
    "DatasetKind",
    "ModelKind",
    "Progress",
    "entries",
    "get",
    "register",
    "require",
    "runnable",
]

#: (label, done, total): progress of a long step (total None when unknown)
Progress = Callable[[str, int, "int | None"], None]

#: the built-in families, one module each exposing ENTRIES
_BUILTIN_MODULES = (
    "mlperf_tui.benchmarks.imagenet",
    "mlperf_tui.benchmarks.bert",
    "mlperf_tui.benchmarks.kits19",
    "mlperf_tui.benchmarks.llm",
)

#: what produces an entry's results: the built-in ONNX Runtime harness, or a serving engine
#: driven through its OpenAI-compatible endpoint (the profile's ``harness``)
BUILTIN = "builtin"
ENDPOINT = "endpoint"


@dataclass(frozen=True)
class ModelKind:
    """One model a benchmark can run with: the reference, a stand-in, an open-division model.

    A profile names it as ``assets.model.kind``.
    """

    name: str
    #: in a sentence, for the wizard and the package README
    title: str
    #: the harness task's options for this model (e.g. its preprocessing family)
    task_options: Mapping[str, Any] = field(default_factory=dict)
    #: allowed in the closed division: the reference model, or a stand-in with its I/O
    closed: bool = False
    #: builds the synthetic stand-in from a seed; None: no stand-in of this model
    standin: Callable[[int], onnx.ModelProto] | None = None
    #: open division: the model folder's name, mapped to the checker's model in
    #: model_mapping.json (None: the checker's own name)
    package_name: str | None = None
    #: rough throughput per physical core on a CPU (samples/s), for estimates before timing
    per_core_throughput: float = 1.0
    #: bytes of the generated stand-in's file (pre-flight disk and memory); None: unknown
    standin_bytes: int | None = None
    #: a stand-in that is a folder, not one ONNX graph (an engine's model and its tokenizer):
    #: writes it from a seed into the given (new, empty) folder
    folder_standin: Callable[[int, Path], None] | None = None


@dataclass(frozen=True)
class DatasetKind:
    """A benchmark's data set: its layout on disk, its checks, its generated stand-in."""

    name: str
    #: a short name for cache folders ("imagenet")
    slug: str
    #: the file whose presence identifies the data set's folder (``val_map.txt``)
    marker: str
    #: disk bytes of one preprocessed sample in the cache (pre-flight estimates)
    sample_bytes: int
    #: samples in a folder (0 when it is not this data set)
    count: Callable[[Path], int]
    #: AssetError with the fix unless the folder holds this data set; returns its sample count
    check: Callable[[Path], int]
    #: generate ``count`` samples deterministically from ``seed`` into a new folder
    synthesize: Callable[[int, int, Path, Progress | None], None]
    #: what to write in the package README about the real data set and where to get it
    how_to_get: str = ""
    # -- pre-flight estimates (mlperf_tui.run.preflight); None: unknown, said so ----------
    #: disk bytes of one generated stand-in sample (its share of the folder)
    generated_sample_bytes: int | None = None
    #: memory bytes of one sample loaded in the harness's sample store (None: sample_bytes)
    loaded_sample_bytes: int | None = None
    #: bytes of one sample's response in LoadGen's mlperf_log_accuracy.json (before hex)
    response_bytes: int | None = None
    #: seconds one core takes to generate one stand-in sample / to preprocess one sample
    generate_s_per_sample: float | None = None
    preprocess_s_per_sample: float | None = None
    #: (data-set folder, preprocessed-sample cache folder, the model's task options) ->
    #: samples of that folder already preprocessed there (None: counted as none)
    preprocessed_in_cache: Callable[[Path, Path, Mapping[str, Any]], int] | None = None

    def locate(self, root: Path) -> Path | None:
        """The folder holding the marker: ``root`` itself or one folder below (an archive)."""
        if (root / self.marker).is_file():
            return root
        try:
            children = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            return None
        return next((c for c in children if (c / self.marker).is_file()), None)


@dataclass(frozen=True)
class BenchmarkEntry:
    """What mlperf-tui knows about running one benchmark (or a family of them)."""

    #: the rules' benchmark names it serves ("bert-99" and "bert-99.9" share one entry)
    benchmarks: tuple[str, ...]
    #: the harness task: a name in harness.tasks.TASKS, or "package.module:ATTRIBUTE"
    task: str
    #: the models it can run; the first one with ``closed`` is the default
    models: tuple[ModelKind, ...]
    dataset: DatasetKind
    #: the wizard's one-paragraph explanation
    summary: str
    #: extra folders the harness child needs on its import path (a plug-in's own task)
    python_path: tuple[Path, ...] = ()
    #: what runs it: BUILTIN (ONNX Runtime here) or ENDPOINT (a serving engine)
    harness: str = BUILTIN
    #: AssetError with the fix unless the folder holds a model this entry can use; None: the
    #: model is an ONNX file bound through the harness task (the built-in harness)
    check_model: Callable[[Path], None] | None = None
    #: endpoint entries: the prompt data set's format (harness.datasets.llm) and the
    #: ``max_tokens`` of each request (the reference's max_new_tokens)
    prompt_format: str | None = None
    max_tokens: int | None = None
    #: endpoint entries: the folder with the tokenizer.json of a model folder
    tokenizer_dir: Callable[[Path], Path] | None = None

    def model(self, name: str | None) -> ModelKind:
        """The model called ``name`` (the default, the reference, for None)."""
        if name is None:
            return self.default_model
        for kind in self.models:
            if kind.name == name:
                return kind
        names = [k.name for k in self.models]
        raise RulesError(
            f'"{name}" is not a model mlperf-tui can run for {self.benchmarks[0]}'
            f"{did_you_mean(name, names)}",
            f"use one of: {', '.join(names)}",
        )

    @property
    def default_model(self) -> ModelKind:
        return next((k for k in self.models if k.closed), self.models[0])

    @property
    def standins(self) -> tuple[str, ...]:
        """The models that can be generated as synthetic stand-ins."""
        return tuple(
            k.name for k in self.models if k.standin is not None or k.folder_standin is not None
        )


_lock = threading.Lock()
_entries: dict[str, BenchmarkEntry] = {}
_loaded = False


def _load_builtins() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for module_name in _BUILTIN_MODULES:
            for entry in importlib.import_module(module_name).ENTRIES:
                for name in entry.benchmarks:
                    _entries.setdefault(name, entry)
        _loaded = True


def register(entry: BenchmarkEntry) -> None:
    """Add an entry (a plug-in); it replaces a built-in one for the same benchmarks."""
    _load_builtins()
    with _lock:
        for name in entry.benchmarks:
            _entries[name] = entry


def unregister(entry: BenchmarkEntry) -> None:
    """Remove an entry added with :func:`register` (tests); the built-ins come back."""
    global _loaded
    with _lock:
        for name in entry.benchmarks:
            if _entries.get(name) is entry:
                del _entries[name]
        _loaded = False
    _load_builtins()


def get(name: str, harness: str = BUILTIN) -> BenchmarkEntry | None:
    """The entry of a rules benchmark name run by ``harness``, or None when there is none."""
    _load_builtins()
    entry = _entries.get(name)
    return entry if entry is not None and entry.harness == harness else None


def entries() -> Mapping[str, BenchmarkEntry]:
    """Every registered entry (built in and endpoint), by benchmark name."""
    _load_builtins()
    return dict(_entries)


def runnable(names: Iterable[str], harness: str = BUILTIN) -> tuple[str, ...]:
    """Those of ``names`` (rules benchmark names) that ``harness`` can run, in order."""
    _load_builtins()
    return tuple(n for n in names if n in _entries and _entries[n].harness == harness)


def require(name: str, runnable_in: Iterable[str] = (), harness: str = BUILTIN) -> BenchmarkEntry:
    """The entry of ``name`` for ``harness``; RulesError naming the benchmarks it can run."""
    entry = get(name, harness)
    if entry is not None:
        return entry
    runnable_in = tuple(runnable_in)
    choices = runnable(runnable_in, harness) or tuple(
        sorted(n for n, e in entries().items() if e.harness == harness)
    )
    if harness == ENDPOINT:
        raise RulesError(
            f"mlperf-tui cannot drive {name} through a serving engine's endpoint: it knows "
            "no data set and accuracy script for it",
            "choose one it can drive: " + ", ".join(choices) + ", or import your harness's logs",
        )
    raise RulesError(
        f"{name} has no built-in harness yet, so mlperf-tui cannot run it",
        "choose a benchmark it can run: " + ", ".join(choices),
    )
