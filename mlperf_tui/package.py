"""Build the submission package: the tree the official MLPerf submission checker reads.

``build_package(results, out)`` turns a results folder (written by the runner: profile.yaml,
system.json, summary.json, runs/<run_id>/) into the v6.1 layout (the checker's "default" paths,
tools/submission/submission_checker/constants.py)::

    <division>/<submitter>/systems/<system>.json          all 35 fields, as strings
    <division>/<submitter>/src/                           the harness source, README.md, the
                                                          profile, each run's RUN.json and
                                                          mlperf_tui_build.json (how it was built)
    <division>/<submitter>/model_mapping.json             open, when the model is not the reference
    <division>/<submitter>/results/<system>/<model>/<Scenario>/
        performance/run_1/mlperf_log_{summary,detail}.txt
        accuracy/mlperf_log_{summary,detail}.txt, mlperf_log_accuracy.json (truncated as the
                 official truncate_accuracy_log.py does), accuracy.txt (+ hash= of the full log)
        measurements.json, user.conf, README.md
        TEST01/ TEST04/ ...                               closed: the compliance runs

Scenarios the profile infers from SingleStream (edge, ``infer_from_singlestream``) hold the
SingleStream run's logs, as the checker expects (it reads ``effective_scenario`` from the log and
allows SingleStream -> MultiStream / Offline on edge systems).

The build is atomic: the tree is assembled in a hidden sibling folder and renamed into place, so
a failed build leaves nothing behind; an existing non-empty ``out`` is refused unless ``force``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_tui import benchmarks, rules
from mlperf_tui.errors import AssetError, MlperfTuiError, PackageError
from mlperf_tui.results import RUN_CONFIG, ResultsSet, RunResult, load_results
from mlperf_tui.rules.model import Benchmark, Division, Scenario

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

__all__ = [
    "BUILD_MANIFEST",
    "NOT_SUBMITTABLE_MARK",
    "PackageInfo",
    "build_package",
    "hash_line",
    "package_info",
    "tarball_path",
    "truncate_accuracy_log",
]

#: written in src/: how the package was built (execution, synthetic assets, runs); the
#: validator reads it. src/ is free-form for the checker, so it never trips the official one.
BUILD_MANIFEST = "mlperf_tui_build.json"
#: the start of the systems JSON's sw_notes in a package that cannot be submitted
NOT_SUBMITTABLE_MARK = "NOT SUBMITTABLE"

PERFORMANCE_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")
ACCURACY_LOG = "mlperf_log_accuracy.json"
ACCURACY_TXT = "accuracy.txt"
ACCURACY_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt", ACCURACY_LOG, ACCURACY_TXT)
MEASUREMENTS = "measurements.json"
#: the official truncate_accuracy_log.py keeps this share of the size limit from each end
#: (4 KiB of a 10 KiB limit)
_VIEWABLE_SHARE = 0.4
_TRUNCATION_GAP = "\n\n...\n\n"

Progress = Callable[[str], None]


# -- the results folder --------------------------------------------------------------------------


@dataclass
class _Results:
    """A finished results folder with what the package needs of it."""

    results: ResultsSet
    profile: Profile
    profile_text: str
    detected: dict[str, str]

    @property
    def folder(self) -> Path:
        return self.results.folder

    @property
    def execution(self) -> str:
        return self.results.execution or self.profile.execution.value

    @property
    def synthetic(self) -> bool:
        a = self.profile.assets
        return (
            self.results.synthetic
            or a.model.source == "synthetic"
            or (a.dataset.source == "synthetic")
        )

    @property
    def runs(self) -> list[RunResult]:
        return self.results.runs

    def find(self, scenario: str, mode: str, test: str | None = None) -> RunResult | None:
        return self.results.find(scenario, mode, test)


def _results_folder(results: Any) -> Path:
    if isinstance(results, str | os.PathLike):
        return Path(results)
    for name in ("folder", "path", "root"):
        value = getattr(results, name, None)
        if isinstance(value, str | os.PathLike):
            return Path(value)
    raise PackageError(
        f"cannot tell where the results of {type(results).__name__} are",
        "pass the results folder (the one holding summary.json)",
    )


def _load_results(folder: Path) -> _Results:
    results = load_results(folder)
    if not results.complete:
        raise PackageError(
            f"the runs in {results.folder} did not all finish (cancelled or failed)",
            "run the profile again to completion; a package is never built from a partial set",
        )
    profile = results.profile()
    return _Results(
        results=results,
        profile=profile,
        profile_text=results.profile_path.read_text(encoding="utf-8"),
        detected=results.detected(),
    )


# -- pieces of the package -----------------------------------------------------------------------


def _folder_name(text: str) -> str:
    """A name the checker (and every file system) accepts as a folder: [A-Za-z0-9_.+-]."""
    name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", text.strip()).strip("_.")
    return name or "system"


def _default_system_name(detected: Mapping[str, str]) -> str:
    """A system name from detected facts, for a profile that gives none: CPU (+ accelerators)."""
    cpu = detected.get("host_processor_model_name", "").strip()
    sockets = detected.get("host_processors_per_node", "").strip()
    name = f"{sockets}x {cpu}" if cpu and sockets not in ("", "1") else cpu
    count = detected.get("accelerators_per_node", "").strip()
    accel = detected.get("accelerator_model_name", "").strip()
    if count not in ("", "0") and accel and accel != "N/A":
        name = f"{name} + {count}x {accel}" if name else f"{count}x {accel}"
    return name or "system"


def _system_name(results: _Results) -> str:
    return (
        results.profile.system_name
        or results.detected.get("system_name")
        or _default_system_name(results.detected)
    )


def hash_line(accuracy_log: Path) -> str:
    """``hash=<sha256 of the whole log>``, the line truncate_accuracy_log.py appends."""
    digest = hashlib.sha256()
    with accuracy_log.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"hash={digest.hexdigest()}"


def truncate_accuracy_log(src: Path, dst: Path, max_bytes: int) -> bool:
    """Copy ``src`` to ``dst``, cut as the official tool does when larger than ``max_bytes``.

    The official tool keeps the first and the last 4 KiB (of a 10 KiB limit) with a gap marker
    between them. Returns whether it was cut.
    """
    size = src.stat().st_size
    if size <= max_bytes:
        shutil.copyfile(src, dst)
        return False
    keep = int(max_bytes * _VIEWABLE_SHARE)
    with src.open("rb") as fh:
        head = fh.read(keep)
        fh.seek(size - keep)
        tail = fh.read(keep)
    with dst.open("wb") as out:
        out.write(head)
        out.write(_TRUNCATION_GAP.encode())
        out.write(tail)
    return True


def _copy(src: Path, dst: Path, what: str) -> None:
    if not src.is_file():
        raise PackageError(
            f"{src} is missing ({what})",
            "run the profile again: the run did not leave the files LoadGen writes",
        )
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _data_type(dtype: str) -> str:
    names = {
        "float32": "fp32",
        "float16": "fp16",
        "bfloat16": "bf16",
        "int8": "int8",
        "uint8": "uint8",
        "int32": "int32",
        "int64": "int64",
        "int4": "int4",
    }
    return names.get(dtype.lower(), dtype.lower())


def _model_path(results: _Results) -> Path | None:
    from harness.config import load_run_config
    from harness.errors import HarnessError

    for run in results.runs:
        try:
            return load_run_config(run.folder / RUN_CONFIG).model_path
        except HarnessError:
            continue
    model = results.profile.assets.model
    if model.source == "path" and model.path:
        return Path(model.path)
    return None


def _weight_data_types(model_path: Path | None) -> str | None:
    """The data types of the model's weights, read from the ONNX file (None: unreadable)."""
    if model_path is None or not model_path.is_file():
        return None
    try:
        import onnx
        from onnx import helper

        model = onnx.load(str(model_path), load_external_data=False)
    except Exception:  # an unreadable model file: the caller says "not determined"
        return None
    kinds = sorted(
        {
            _data_type(helper.tensor_dtype_to_np_dtype(t.data_type).name)
            for t in model.graph.initializer
        }
    )
    return ",".join(kinds) if kinds else None


def _input_data_types(results: _Results) -> str:
    """The data types of the model file's inputs (fp32; int64 for BERT)."""
    from mlperf_tui.assets import model_inputs

    path = _model_path(results)
    if path is None:
        return "not determined: the model file of the runs is not known"
    try:
        inputs = model_inputs(path)
    except AssetError:
        return "not determined: the model file was not readable when the package was built"
    return ",".join(sorted({_data_type(t.dtype) for t in inputs}))


def _measurements(results: _Results, bench: Benchmark) -> dict[str, str]:
    """measurements.json: the keys the checker requires (SYSTEM_IMP_REQUIRED_FILES), real values."""
    model = results.profile.assets.model
    input_types = _input_data_types(results)
    if model.source == "synthetic":
        starting = (
            f"synthetic stand-in generated by mlperf-tui ({model.kind}, random "
            f"weights, seed {results.profile.assets.seed}); not the MLCommons reference weights"
        )
        transformations = "none: random weights, generated in fp32"
        weights = "fp32"
    else:
        source = model.path if model.source == "path" else model.url
        starting = Path(str(source or "")).name or str(source)
        transformations = "No"
        weights = _weight_data_types(_model_path(results)) or (
            "not determined: the model file was not readable when the package was built"
        )
    return {
        "starting_weights_filename": starting,
        "retraining": "No",
        "input_data_types": input_types,
        "weight_data_types": weights,
        "weight_transformations": transformations,
    }


def _not_submittable_reasons(results: _Results) -> list[str]:
    reasons = []
    if results.execution != "valid":
        reasons.append(
            "built in test execution (short runs, not the rules' settings: minimum duration, "
            "whole data set)"
        )
    if results.synthetic:
        reasons.append(
            "built from synthetic assets (generated stand-in model and/or data set, so the "
            "accuracy is meaningless)"
        )
    return reasons


def _system_json(results: _Results, bench: Benchmark, system_id: str) -> dict[str, str]:
    profile = results.profile
    round_rules = rules.get_round(profile.round)
    values: dict[str, str] = {f.name: "" for f in round_rules.system_fields}
    for name in values:
        if results.detected.get(name):
            values[name] = results.detected[name]
    for name, value in profile.system.items():
        if name in values and value is not None:
            values[name] = str(value)
    values["division"] = profile.division.value
    values["submitter"] = profile.submitter or ""
    values["system_name"] = _system_name(results)
    if "system_type" not in profile.system:
        values["system_type"] = profile.category.value
    reasons = _not_submittable_reasons(results)
    if reasons:
        mark = f"{NOT_SUBMITTABLE_MARK}: " + "; ".join(reasons) + "."
        values["sw_notes"] = f"{mark} {values.get('sw_notes', '')}".strip()
    return values


def _benchmark_folder(results: _Results, bench: Benchmark) -> tuple[str, dict[str, str]]:
    """The model folder's name and, in open with a non-reference model, model_mapping.json."""
    entry = benchmarks.get(bench.name)
    kind = entry.model(results.profile.assets.model.kind) if entry else None
    if results.profile.division == Division.OPEN and kind is not None and kind.package_name:
        return kind.package_name, {kind.package_name: bench.checker_model}
    return bench.checker_model, {}


def _scenario_readme(
    results: _Results, bench: Benchmark, scenario: str, source: str, system_id: str
) -> str:
    lines = [
        f"# {bench.name} {scenario} on {system_id}",
        "",
        f"Benchmark: {bench.name} ({bench.task}, {bench.reference_model}), checker model "
        f"`{bench.checker_model}`; division {results.profile.division.value}, category "
        f"{results.profile.category.value}.",
        "",
    ]
    if source != scenario:
        lines += [
            f"The {scenario} result is inferred from the {source} run, as the rules allow for "
            "edge systems: the logs here are that run's logs.",
            "",
        ]
    lines += [
        "## How to reproduce",
        "",
        "The source of the harness is in `src/` of this submitter folder, with the profile that",
        "produced these runs (`src/profile.yaml`). Install mlperf-tui and replay it:",
        "",
        "```",
        "pip install mlperf-tui",
        "mlperf-tui run src/profile.yaml --headless",
        "```",
        "",
        f"or run this scenario's LoadGen tests directly with the harness (`src/runs/{source}-*.json`):",
        "",
        "```",
        f"python -m harness run --config src/runs/{source}-performance.json",
        f"python -m harness run --config src/runs/{source}-accuracy.json",
        "```",
        "",
        "`user.conf` beside this file holds the LoadGen settings of the performance run.",
    ]
    reasons = _not_submittable_reasons(results)
    if reasons:
        lines += ["", f"**{NOT_SUBMITTABLE_MARK}**: " + "; ".join(reasons) + "."]
    return "\n".join(lines) + "\n"


def _src_readme(results: _Results, bench: Benchmark) -> str:
    profile = results.profile
    lines = [
        f"# Source of this submission ({bench.name}, {profile.division.value}, "
        f"{profile.category.value})",
        "",
        "- `harness/`: the benchmark implementation that ran under the official LoadGen "
        "(mlcommons-loadgen), copied verbatim.",
        "- `profile.yaml`: every choice of this submission (the mlperf-tui profile).",
        "- `runs/<run>.json`: the exact configuration of each LoadGen test "
        "(`python -m harness run --config FILE`).",
        f"- `{BUILD_MANIFEST}`: how this package was built (execution, assets, runs).",
        "",
        "## Reproduce",
        "",
        "```",
        "pip install mlperf-tui",
        "mlperf-tui run profile.yaml --headless",
        "```",
        "",
        "Each run is one process: `python -m harness run --config runs/<run>.json` writes",
        "LoadGen's logs to the configuration's output_dir (edit the paths of the model and the",
        "data set in the JSON to those on your machine).",
    ]
    reasons = _not_submittable_reasons(results)
    if reasons:
        lines += ["", f"**{NOT_SUBMITTABLE_MARK}**: " + "; ".join(reasons) + "."]
    return "\n".join(lines) + "\n"


def _copy_harness_source(dest: Path) -> None:
    import harness

    src = Path(harness.__file__).resolve().parent
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*"))


# -- building ------------------------------------------------------------------------------------


@dataclass
class PackageInfo:
    """What a built package holds (read back from its build manifest)."""

    root: Path
    division: str
    submitter: str
    system: str
    benchmark_folder: str
    scenarios: list[str]
    inferred: dict[str, str]
    execution: str
    synthetic: bool
    reasons: list[str] = field(default_factory=list)


def _needed_run(results: _Results, scenario: str, mode: str, test: str | None = None) -> RunResult:
    run = results.find(scenario, mode, test)
    what = f"{scenario} {test or mode}"
    if run is None:
        raise PackageError(
            f"the results have no {what} run",
            "add it to the profile (scenarios/modes) and run again",
        )
    if run.status != "ok":
        raise PackageError(
            f"the {what} run did not finish (status: {run.status})",
            "run the profile again; a package is only built from finished runs",
        )
    if not run.folder.is_dir():
        raise PackageError(f"the {what} run's folder {run.folder} is missing", "run again")
    return run


def _write_scenario(
    results: _Results,
    bench: Benchmark,
    scenario_dir: Path,
    scenario: str,
    source: str,
    system_id: str,
    max_log_bytes: int,
    measurements: dict[str, str],
) -> list[str]:
    profile = results.profile
    runs_used: list[str] = []
    modes = {m.value for m in profile.modes}
    perf = None
    if "performance" in modes:
        perf = _needed_run(results, source, "performance")
        runs_used.append(perf.run_id)
        for name in PERFORMANCE_FILES:
            _copy(perf.folder / name, scenario_dir / "performance" / "run_1" / name, "performance")
        _copy(perf.folder / "user.conf", scenario_dir / "user.conf", "LoadGen settings")
    if "accuracy" in modes:
        acc = _needed_run(results, source, "accuracy")
        runs_used.append(acc.run_id)
        acc_dir = scenario_dir / "accuracy"
        for name in ("mlperf_log_summary.txt", "mlperf_log_detail.txt"):
            _copy(acc.folder / name, acc_dir / name, "accuracy")
        full_log = acc.folder / ACCURACY_LOG
        if not full_log.is_file():
            raise PackageError(f"{full_log} is missing", "run accuracy mode again")
        accuracy_txt = acc.folder / ACCURACY_TXT
        if not accuracy_txt.is_file():
            raise PackageError(
                f"{accuracy_txt} is missing: the accuracy run was not scored",
                "run accuracy mode again (the harness scores it at the end)",
            )
        text = accuracy_txt.read_text(encoding="utf-8")
        kept = [ln for ln in text.splitlines() if not ln.startswith("hash=")]
        (acc_dir / ACCURACY_TXT).write_text(
            "\n".join([*kept, hash_line(full_log)]) + "\n", encoding="utf-8"
        )
        truncate_accuracy_log(full_log, acc_dir / ACCURACY_LOG, max_log_bytes)
        if perf is None:
            _copy(acc.folder / "user.conf", scenario_dir / "user.conf", "LoadGen settings")
    (scenario_dir / MEASUREMENTS).write_text(
        json.dumps(measurements, indent=2) + "\n", encoding="utf-8"
    )
    (scenario_dir / "README.md").write_text(
        _scenario_readme(results, bench, scenario, source, system_id), encoding="utf-8"
    )
    for test in rules.compliance_tests(bench, profile.division):
        run = _needed_run(results, source, "performance", test)
        runs_used.append(run.run_id)
        test_dir = scenario_dir / test
        for name in PERFORMANCE_FILES:
            _copy(run.folder / name, test_dir / "performance" / "run_1" / name, test)
        for name in ("verify_accuracy.txt", "verify_performance.txt"):
            if (run.folder / name).is_file():
                _copy(run.folder / name, test_dir / name, test)
        if (run.folder / "accuracy").is_dir():
            shutil.copytree(run.folder / "accuracy", test_dir / "accuracy")
    return runs_used


def _assemble(results: _Results, root: Path, progress: Progress) -> PackageInfo:
    profile = results.profile
    bench = profile.rules_benchmark()
    round_rules = rules.get_round(profile.round)
    if not profile.submitter:
        raise PackageError(
            "the profile names no submitter, and the package needs one (a folder name)",
            "add `submitter: YourOrg` to the profile",
        )
    system_id = _folder_name(_system_name(results))
    division = profile.division.value
    base = root / division / profile.submitter
    model_folder, mapping = _benchmark_folder(results, bench)

    progress("systems description")
    systems = base / "systems"
    systems.mkdir(parents=True)
    (systems / f"{system_id}.json").write_text(
        json.dumps(_system_json(results, bench, system_id), indent=2) + "\n", encoding="utf-8"
    )
    if mapping:
        (base / "model_mapping.json").write_text(
            json.dumps(mapping, indent=2) + "\n", encoding="utf-8"
        )

    measurements = _measurements(results, bench)
    inferred = {s.value: Scenario.SINGLE_STREAM.value for s in profile.inferred_scenarios()}
    scenarios = [s.value for s in profile.scenarios] + list(inferred)
    runs_used: list[str] = []
    for scenario in scenarios:
        progress(f"results: {scenario}")
        source = inferred.get(scenario, scenario)
        scenario_dir = base / "results" / system_id / model_folder / scenario
        runs_used += _write_scenario(
            results,
            bench,
            scenario_dir,
            scenario,
            source,
            system_id,
            round_rules.max_accuracy_log_bytes,
            measurements,
        )

    progress("source and README")
    src = base / "src"
    _copy_harness_source(src / "harness")
    (src / "README.md").write_text(_src_readme(results, bench), encoding="utf-8")
    (src / "profile.yaml").write_text(results.profile_text, encoding="utf-8")
    for run in results.runs:
        config = run.folder / RUN_CONFIG
        if config.is_file():
            _copy(config, src / "runs" / f"{run.run_id}.json", "run configuration")
    reasons = _not_submittable_reasons(results)
    manifest = {
        "schema_version": 1,
        "tool": "mlperf-tui",
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "round": profile.round,
        "benchmark": bench.name,
        "division": division,
        "category": profile.category.value,
        "submitter": profile.submitter,
        "system": system_id,
        "benchmark_folder": model_folder,
        "scenarios": scenarios,
        "inferred": inferred,
        "execution": results.execution,
        "synthetic": results.synthetic,
        "not_submittable": reasons,
        "results_folder": str(results.folder),
        "runs": sorted(set(runs_used)),
    }
    (src / BUILD_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return PackageInfo(
        root=root,
        division=division,
        submitter=profile.submitter,
        system=system_id,
        benchmark_folder=model_folder,
        scenarios=scenarios,
        inferred=inferred,
        execution=results.execution,
        synthetic=results.synthetic,
        reasons=reasons,
    )


def tarball_path(out: Path) -> Path:
    """Where ``build_package(..., tar=True)`` writes the archive: beside the package folder."""
    return out.parent / f"{out.name}.tar.gz"


@contextlib.contextmanager
def _staging(out: Path, suffix: str = "") -> Iterator[Path]:
    """A hidden sibling of ``out`` to build in; removed unless the caller moved it away."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", suffix=suffix, dir=out.parent))
    try:
        yield stage
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise PackageError(f"{out} exists and is not a folder", "choose another --out folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise PackageError(
            f"{out} is not empty; not writing a package into it",
            "choose an empty or new --out folder, or pass --force to replace its contents",
        )


def build_package(
    results: Any,
    out: Path,
    *,
    force: bool = False,
    tar: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Build the submission package from ``results`` (a ResultsSet or its folder) into ``out``.

    Returns ``out``. With ``tar``, also writes :func:`tarball_path` ``(out)``. Raises
    PackageError (nothing written) when the results are incomplete or ``out`` is not empty.
    """
    out = Path(out)
    say: Progress = progress or (lambda _msg: None)
    _check_out(out, force)
    loaded = _load_results(_results_folder(results))
    with _staging(out) as stage:
        try:
            _assemble(loaded, stage, say)
        except MlperfTuiError:
            raise
        except OSError as exc:
            raise PackageError(
                f"writing the package failed: {exc}", "check free space and permissions"
            ) from exc
        if tar:
            say("archive")
            archive = tarball_path(out)
            tmp_archive = stage.parent / f".{archive.name}.{stage.name}.tmp"
            try:
                with tarfile.open(tmp_archive, "w:gz") as tf:
                    for child in sorted(stage.iterdir()):
                        tf.add(child, arcname=child.name)
                os.replace(tmp_archive, archive)
            finally:
                tmp_archive.unlink(missing_ok=True)
        say("moving into place")
        old: Path | None = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{stage.name}"
            os.replace(out, old)
        try:
            os.replace(stage, out)
        except OSError:
            if old is not None:
                os.replace(old, out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out


def package_info(package_dir: Path) -> PackageInfo | None:
    """The build manifest of a package mlperf-tui built, or None (none, or unreadable)."""
    for manifest in sorted(Path(package_dir).glob(f"*/*/src/{BUILD_MANIFEST}")):
        try:
            data: Mapping[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        return PackageInfo(
            root=Path(package_dir),
            division=str(data.get("division", "")),
            submitter=str(data.get("submitter", "")),
            system=str(data.get("system", "")),
            benchmark_folder=str(data.get("benchmark_folder", "")),
            scenarios=[str(s) for s in data.get("scenarios") or []],
            inferred={str(k): str(v) for k, v in (data.get("inferred") or {}).items()},
            execution=str(data.get("execution", "")),
            synthetic=bool(data.get("synthetic", False)),
            reasons=[str(r) for r in data.get("not_submittable") or []],
        )
    return None
