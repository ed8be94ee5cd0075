"""Differential test: our validator against the real official checkers, one corruption at a time.

The good closed package of tests/conftest.py (real LoadGen runs of 200 ms) is made the *base*
package by claiming the rules' 600 s in every performance log (:func:`claim_full_duration`; the
one value the checkers read of the duration), which the modular official checker accepts
without an error. The base is corrupted in one way per case and read by four checkers: ours
(``validate`` under ``fixture_rules()``), the modular official checker, the legacy one and
``repository_checks.sh`` (all from the reference copy). What the official checkers already say
about the base (the legacy checker's extra demands) is subtracted per checker. Then, per case:

(a) every official finding beyond the base's has an error of ours whose id covers its rule
    (``official_findings.COVERS``), or one that is its root cause (the file it is about is
    missing, empty or unreadable); an official line no rule knows fails the test;
(b) where an official checker crashes with a traceback, ours still reports an error, and the
    crash is one docs/validator.md lists (:data:`KNOWN_CRASHES`);
(c) every error of ours that no official checker reports is listed, with the rule it comes
    from, in docs/validator.md's table "Where we are stricter, and why".

Each checker runs once per case; the tests of a case share the run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import official_findings as of
import package_fixtures as fx
import pytest
import reference_copy as ref

import mlperf_tui.validate as validate_module
from mlperf_tui import rules
from mlperf_tui.validate import CheckResult, validate

DOC = Path(__file__).resolve().parents[2] / "docs" / "validator.md"
VERSION = "v6.1"

Renames = Mapping[str, str]
Corruption = Callable[[Path, Mapping[str, Path]], Renames | None]
CORRUPTIONS: dict[str, Corruption] = {}


def corruption(name: str) -> Callable[[Corruption], Corruption]:
    def register(fn: Corruption) -> Corruption:
        assert name not in CORRUPTIONS, name
        CORRUPTIONS[name] = fn
        return fn

    return register


# -- finding things in the package -----------------------------------------------------------


def base(pkg: Path) -> Path:
    return pkg / "closed" / fx.SUBMITTER


def system_dir(pkg: Path) -> Path:
    return next(p for p in (base(pkg) / "results").iterdir() if p.is_dir())


def scenario(pkg: Path, name: str) -> Path:
    return system_dir(pkg) / "resnet" / name


def perf_run(pkg: Path, name: str = "Offline") -> Path:
    return scenario(pkg, name) / "performance" / "run_1"


def accuracy(pkg: Path, name: str = "Offline") -> Path:
    return scenario(pkg, name) / "accuracy"


def system_json(pkg: Path) -> Path:
    return next((base(pkg) / "systems").glob("*.json"))


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def set_log_value(path: Path, key: str, value: Any) -> None:
    """Rewrite every :::MLLOG record of ``key`` in a detail log with ``value``."""
    out, found = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":::MLLOG ") and f'"key": "{key}"' in line:
            record = json.loads(line[len(":::MLLOG ") :])
            record["value"] = value
            line = ":::MLLOG " + json.dumps(record)
            found = True
        out.append(line)
    assert found, f"{key} not in {path}"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append_loadgen_error(path: Path, key: str, value: str) -> None:
    """An error record as LoadGen logs it, and its count in num_errors (which the legacy
    checker reads instead of the records) where the log has one."""
    if '"key": "num_errors"' in path.read_text(encoding="utf-8"):
        set_log_value(path, "num_errors", 1)
    record = {
        "key": key,
        "value": value,
        "time_ms": 1.0,
        "namespace": "mlperf::logging",
        "event_type": "POINT_IN_TIME",
        "metadata": {"is_error": True, "is_warning": False, "file": "loadgen.cc", "line_no": 1},
    }
    with path.open("a", encoding="utf-8") as fh:
        fh.write(":::MLLOG " + json.dumps(record) + "\n")


def empty(path: Path) -> None:
    path.write_text("", encoding="utf-8")


# -- the corruptions: one small change each --------------------------------------------------
# missing and empty required files


@corruption("performance summary missing")
def _perf_summary_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (perf_run(pkg) / "mlperf_log_summary.txt").unlink()


@corruption("performance summary empty")
def _perf_summary_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(perf_run(pkg) / "mlperf_log_summary.txt")


@corruption("performance detail log missing")
def _perf_detail_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (perf_run(pkg) / "mlperf_log_detail.txt").unlink()


@corruption("performance detail log empty")
def _perf_detail_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(perf_run(pkg) / "mlperf_log_detail.txt")


@corruption("accuracy detail log missing")
def _acc_detail_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (accuracy(pkg) / "mlperf_log_detail.txt").unlink()


@corruption("accuracy.txt missing")
def _accuracy_txt_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (accuracy(pkg) / "accuracy.txt").unlink()


@corruption("accuracy.txt empty")
def _accuracy_txt_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(accuracy(pkg) / "accuracy.txt")


@corruption("mlperf_log_accuracy.json missing")
def _accuracy_json_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (accuracy(pkg, "SingleStream") / "mlperf_log_accuracy.json").unlink()


@corruption("mlperf_log_accuracy.json empty")
def _accuracy_json_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(accuracy(pkg, "SingleStream") / "mlperf_log_accuracy.json")


@corruption("measurements.json missing")
def _measurements_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (scenario(pkg, "Offline") / "measurements.json").unlink()


@corruption("measurements.json empty")
def _measurements_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(scenario(pkg, "Offline") / "measurements.json")


@corruption("measurements.json field missing")
def _measurements_field_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(scenario(pkg, "Offline") / "measurements.json", lambda d: d.pop("weight_data_types"))


@corruption("user.conf missing")
def _user_conf_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (scenario(pkg, "SingleStream") / "user.conf").unlink()


@corruption("user.conf empty")
def _user_conf_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(scenario(pkg, "SingleStream") / "user.conf")


@corruption("README.md missing")
def _readme_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (scenario(pkg, "MultiStream") / "README.md").unlink()


@corruption("README.md empty")
def _readme_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(scenario(pkg, "MultiStream") / "README.md")


@corruption("systems JSON missing")
def _systems_json_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    system_json(pkg).unlink()


@corruption("systems JSON empty")
def _systems_json_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    empty(system_json(pkg))


@corruption("systems JSON not JSON")
def _systems_json_garbage(pkg: Path, good: Mapping[str, Path]) -> None:
    system_json(pkg).write_text("{not json", encoding="utf-8")


@corruption("src folder missing")
def _src_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    shutil.rmtree(base(pkg) / "src")


# LoadGen logs


@corruption("INVALID run")
def _invalid_run(pkg: Path, good: Mapping[str, Path]) -> None:
    set_log_value(perf_run(pkg) / "mlperf_log_detail.txt", "result_validity", "INVALID")
    replace_text(
        perf_run(pkg) / "mlperf_log_summary.txt", "Result is : VALID", "Result is : INVALID"
    )


@corruption("LoadGen error in a performance log")
def _loadgen_error_perf(pkg: Path, good: Mapping[str, Path]) -> None:
    append_loadgen_error(
        perf_run(pkg, "SingleStream") / "mlperf_log_detail.txt",
        "error_runtime",
        "Ending early: Ran out of generated queries to issue",
    )


@corruption("LoadGen error in an accuracy log")
def _loadgen_error_acc(pkg: Path, good: Mapping[str, Path]) -> None:
    append_loadgen_error(
        accuracy(pkg) / "mlperf_log_detail.txt",
        "error_invalid_config",
        "Multiple conf files are used",
    )


@corruption("wrong seed")
def _wrong_seed(pkg: Path, good: Mapping[str, Path]) -> None:
    set_log_value(perf_run(pkg) / "mlperf_log_detail.txt", "effective_qsl_rng_seed", 1)


@corruption("shorter duration")
def _short_duration(pkg: Path, good: Mapping[str, Path]) -> None:
    set_log_value(
        perf_run(pkg, "SingleStream") / "mlperf_log_detail.txt", "effective_min_duration_ms", 100
    )


@corruption("small performance sample count")
def _small_psc(pkg: Path, good: Mapping[str, Path]) -> None:
    set_log_value(
        perf_run(pkg) / "mlperf_log_detail.txt", "effective_performance_sample_count", 512
    )


@corruption("Offline query too small")
def _offline_min_samples(pkg: Path, good: Mapping[str, Path]) -> None:
    set_log_value(perf_run(pkg) / "mlperf_log_detail.txt", "effective_samples_per_query", 1000)


@corruption("early stopping not met")
def _early_stopping(pkg: Path, good: Mapping[str, Path]) -> None:
    set_log_value(
        perf_run(pkg, "SingleStream") / "mlperf_log_detail.txt", "early_stopping_met", False
    )


@corruption("garbage detail log")
def _garbage_detail(pkg: Path, good: Mapping[str, Path]) -> None:
    (perf_run(pkg) / "mlperf_log_detail.txt").write_text(
        "this is not a LoadGen log\nresult_validity: VALID\n", encoding="utf-8"
    )


@corruption("truncated detail log")
def _truncated_detail(pkg: Path, good: Mapping[str, Path]) -> None:
    detail = perf_run(pkg) / "mlperf_log_detail.txt"
    text = detail.read_text(encoding="utf-8")
    detail.write_text(text[: len(text) // 2], encoding="utf-8")  # cut inside a line


@corruption("accuracy log in the performance folder")
def _mode_mismatch(pkg: Path, good: Mapping[str, Path]) -> None:
    shutil.copyfile(
        accuracy(pkg) / "mlperf_log_detail.txt", perf_run(pkg) / "mlperf_log_detail.txt"
    )


@corruption("accuracy run not on the whole data set")
def _dataset_size(pkg: Path, good: Mapping[str, Path]) -> None:
    detail = accuracy(pkg, "SingleStream") / "mlperf_log_detail.txt"
    set_log_value(detail, "qsl_reported_total_count", 500)
    set_log_value(detail, "effective_accuracy_sample_count", 500)


# the systems JSON


@corruption("division field says open")
def _division_field(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(division="open"))


@corruption("systems field missing")
def _system_field_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.pop("host_storage_type"))


@corruption("meaningful systems field empty")
def _system_field_empty(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(cooling=""))


@corruption("bad status")
def _bad_status(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(status="for sale"))


@corruption("bad system_type")
def _bad_system_type(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(system_type="laptop"))


@corruption("submitter mismatch")
def _submitter_mismatch(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(submitter="Someone_Else"))


@corruption("number field says two")
def _number_field(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(host_processors_per_node="two"))


@corruption("network mode in closed")
def _network_mode(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(is_network="true"))


@corruption("is_network says false")
def _network_false(pkg: Path, good: Mapping[str, Path]) -> None:
    # a non-empty string: the modular checker's required_fields_check tests it for truth
    edit_json(system_json(pkg), lambda d: d.update(is_network="false"))


@corruption("datacenter system with inferred results")
def _datacenter(pkg: Path, good: Mapping[str, Path]) -> None:
    edit_json(system_json(pkg), lambda d: d.update(system_type="datacenter"))


@corruption("systems JSON without results")
def _unused_system(pkg: Path, good: Mapping[str, Path]) -> None:
    shutil.copyfile(system_json(pkg), system_json(pkg).with_name("Spare_box.json"))


# accuracy


@corruption("accuracy log not truncated")
def _oversize_accuracy_log(pkg: Path, good: Mapping[str, Path]) -> None:
    # a full-length log in LoadGen's format (the checkers only weigh it)
    records = ",\n".join(
        f'{{ "seq_id" : {i}, "qsl_idx" : {i}, "data" : "{i:016X}" }}' for i in range(2000)
    )
    (accuracy(pkg) / "mlperf_log_accuracy.json").write_text(f"[\n{records}\n]\n", "utf-8")


@corruption("hash= line missing")
def _hash_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    txt = accuracy(pkg, "SingleStream") / "accuracy.txt"
    kept = [ln for ln in txt.read_text(encoding="utf-8").splitlines() if not ln.startswith("hash=")]
    txt.write_text("\n".join(kept) + "\n", encoding="utf-8")


@corruption("accuracy below target")
def _below_target(pkg: Path, good: Mapping[str, Path]) -> None:
    txt = accuracy(pkg) / "accuracy.txt"
    text, n = re.subn(r"accuracy=[\d.]+%", "accuracy=70.000%", txt.read_text(encoding="utf-8"))
    assert n, f"no accuracy= in {txt}"
    txt.write_text(text, encoding="utf-8")


@corruption("accuracy metric missing")
def _metric_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    txt = accuracy(pkg) / "accuracy.txt"
    kept = [ln for ln in txt.read_text(encoding="utf-8").splitlines() if ln.startswith("hash=")]
    txt.write_text("\n".join(kept) + "\n", encoding="utf-8")


@corruption("extra file in accuracy")
def _extra_accuracy_file(pkg: Path, good: Mapping[str, Path]) -> None:
    (accuracy(pkg) / "notes.txt").write_text("notes\n", encoding="utf-8")


@corruption("extra file in performance run")
def _extra_perf_file(pkg: Path, good: Mapping[str, Path]) -> None:
    (perf_run(pkg) / "notes.txt").write_text("notes\n", encoding="utf-8")


# what the results repository accepts


@corruption("hidden file")
def _hidden_file(pkg: Path, good: Mapping[str, Path]) -> None:
    (base(pkg) / "src" / ".notes").write_text("x\n", encoding="utf-8")


@corruption("hidden folder")
def _hidden_folder(pkg: Path, good: Mapping[str, Path]) -> None:
    (base(pkg) / "src" / ".cache").mkdir()
    (base(pkg) / "src" / ".cache" / "x.txt").write_text("x\n", encoding="utf-8")


@corruption("space in a file name")
def _space_file(pkg: Path, good: Mapping[str, Path]) -> None:
    (base(pkg) / "src" / "my notes.txt").write_text("x\n", encoding="utf-8")


@corruption("space in a folder name")
def _space_folder(pkg: Path, good: Mapping[str, Path]) -> None:
    (base(pkg) / "src" / "my code").mkdir()
    (base(pkg) / "src" / "my code" / "x.py").write_text("x = 1\n", encoding="utf-8")


@corruption("symbolic link")
def _symlink(pkg: Path, good: Mapping[str, Path]) -> None:
    src = base(pkg) / "src"
    os.symlink(os.path.relpath(system_json(pkg), src), src / "system-link.json")


@corruption("hidden file at the package root")
def _hidden_root_file(pkg: Path, good: Mapping[str, Path]) -> None:
    (pkg / ".DS_Store").write_bytes(b"\0")


@corruption("symbolic link at the package root")
def _root_symlink(pkg: Path, good: Mapping[str, Path]) -> None:
    os.symlink(os.path.relpath(system_json(pkg), pkg), pkg / "README.md")


@corruption("log linked from outside the package")
def _log_linked_outside(pkg: Path, good: Mapping[str, Path]) -> None:
    # the checkers read through the link; the results repository refuses it
    log = perf_run(pkg) / "mlperf_log_summary.txt"
    outside = pkg.parent / f"{pkg.name}-outside-summary.txt"
    shutil.copyfile(log, outside)
    log.unlink()
    os.symlink(outside, log)


@corruption("broken symbolic link")
def _broken_symlink(pkg: Path, good: Mapping[str, Path]) -> None:
    os.symlink("nowhere.txt", base(pkg) / "src" / "dangling.txt")


@corruption("file over 50 MB")
def _large_file(pkg: Path, good: Mapping[str, Path]) -> None:
    with (base(pkg) / "src" / "weights.bin").open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: no disk used


@corruption("empty folder")
def _empty_folder(pkg: Path, good: Mapping[str, Path]) -> None:
    (base(pkg) / "src" / "empty").mkdir()


@corruption("__pycache__ folder")
def _pycache(pkg: Path, good: Mapping[str, Path]) -> None:
    cache = base(pkg) / "src" / "harness" / "__pycache__"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "sut.cpython-311.pyc").write_bytes(b"\x00" * 16)


@corruption("file at the package root")
def _root_file(pkg: Path, good: Mapping[str, Path]) -> None:
    (pkg / "notes.txt").write_text("x\n", encoding="utf-8")


# the tree


@corruption("scenario folder in lower case")
def _scenario_case(pkg: Path, good: Mapping[str, Path]) -> Renames:
    folder = scenario(pkg, "Offline")
    folder.rename(folder.with_name("offline"))
    return {"resnet/offline": "resnet/Offline"}


@corruption("scenario the category does not have")
def _extra_scenario(pkg: Path, good: Mapping[str, Path]) -> None:
    shutil.copytree(scenario(pkg, "Offline"), scenario(pkg, "Server"))


@corruption("required scenario missing")
def _missing_scenario(pkg: Path, good: Mapping[str, Path]) -> None:
    shutil.rmtree(scenario(pkg, "MultiStream"))


@corruption("benchmark folder name")
def _benchmark_name(pkg: Path, good: Mapping[str, Path]) -> Renames:
    folder = system_dir(pkg) / "resnet"
    folder.rename(folder.with_name("resnet50"))
    return {"/resnet50/": "/resnet/", "/resnet50 ": "/resnet ", "resnet50": "resnet"}


@corruption("division folder name")
def _division_name(pkg: Path, good: Mapping[str, Path]) -> Renames:
    (pkg / "closed").rename(pkg / "Closed")
    return {"Closed/": "closed/"}


# compliance


@corruption("TEST01 missing")
def _test01_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    shutil.rmtree(scenario(pkg, "Offline") / "TEST01")


@corruption("TEST04 verify_performance.txt missing")
def _test04_verify_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (scenario(pkg, "SingleStream") / "TEST04" / "verify_performance.txt").unlink()


@corruption("TEST01 verify_accuracy.txt missing")
def _test01_verify_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (scenario(pkg, "Offline") / "TEST01" / "verify_accuracy.txt").unlink()


@corruption("TEST04 failed")
def _test04_failed(pkg: Path, good: Mapping[str, Path]) -> None:
    replace_text(
        scenario(pkg, "SingleStream") / "TEST04" / "verify_performance.txt",
        "TEST PASS",
        "TEST FAIL",
    )


@corruption("TEST04 performance log missing")
def _test04_log_missing(pkg: Path, good: Mapping[str, Path]) -> None:
    (
        scenario(pkg, "Offline") / "TEST04" / "performance" / "run_1" / "mlperf_log_detail.txt"
    ).unlink()


@corruption("extra file in a TEST04 run")
def _test04_extra(pkg: Path, good: Mapping[str, Path]) -> None:
    run = scenario(pkg, "Offline") / "TEST04" / "performance" / "run_1"
    (run / "notes.txt").write_text("x\n", encoding="utf-8")


@corruption("wrong seed in a TEST01 run")
def _test01_seed(pkg: Path, good: Mapping[str, Path]) -> None:
    run = scenario(pkg, "Offline") / "TEST01" / "performance" / "run_1"
    set_log_value(run / "mlperf_log_detail.txt", "effective_schedule_rng_seed", 7)


# -- running the four checkers ---------------------------------------------------------------


@dataclass
class Observation:
    name: str
    ours: list[CheckResult]
    official: dict[str, of.OfficialRun]
    #: the official findings beyond the good package's, per checker
    new: dict[str, list[of.Finding]]

    @property
    def our_errors(self) -> list[CheckResult]:
        return [r for r in self.ours if r.severity == "error"]

    def describe(self) -> str:
        ours = "\n".join(f"  {r.severity} {r.id} {r.path}: {r.message}" for r in self.ours)
        theirs = "\n".join(
            f"  {checker}: [{f.rule}] {f.line}"
            for checker, found in self.new.items()
            for f in found
        )
        crashes = "\n".join(
            f"  {checker} crashed: {run.crash}"
            for checker, run in self.official.items()
            if run.crashed
        )
        return (
            f"corruption: {self.name}\nours:\n{ours or '  (nothing)'}\nofficial, new:\n"
            f"{theirs or '  (nothing)'}\n{crashes}"
        )


@pytest.fixture(scope="module")
def checkout() -> Path:
    return ref.inference_root()


def claim_full_duration(pkg: Path) -> Path:
    """The package as if its runs had lasted the rules' minimum: every performance log's
    effective_min_duration_ms (all the checkers read of the duration) set to it. Without the
    600 s complaint on every run, an official checker that rejects a result without saying why
    ("Some performance checks Checks failed", "NoResults") is seen doing so."""
    need = rules.get_round(VERSION).min_duration_ms
    for detail in sorted(pkg.rglob("performance/run_1/mlperf_log_detail.txt")):
        set_log_value(detail, "effective_min_duration_ms", need)
    return pkg


@pytest.fixture(scope="module")
def base_package(good: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("differential-base")
    return claim_full_duration(fx.copy_tree(good["closed"], folder / "pkg"))


@pytest.fixture(scope="module")
def baseline(base_package: Path, checkout: Path) -> dict[str, of.OfficialRun]:
    """The official findings on the uncorrupted package, subtracted from every case's."""
    return of.observe_official(base_package, checkout, version=VERSION)


@pytest.fixture(scope="module")
def observe(
    good: dict[str, Path],
    base_package: Path,
    checkout: Path,
    baseline: dict[str, of.OfficialRun],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Observation]:
    cache: dict[str, Observation] = {}

    def run(name: str) -> Observation:
        if name not in cache:
            folder = tmp_path_factory.mktemp("differential")
            pkg = fx.copy_tree(base_package, folder / "pkg")
            renames = CORRUPTIONS[name](pkg, good) or {}
            ours = validate(pkg, rules_round=fx.fixture_rules(VERSION))
            official = of.observe_official(pkg, checkout, version=VERSION, renames=renames)
            new = {c: run.new_since(baseline[c]) for c, run in official.items()}
            cache[name] = Observation(name, ours, official, new)
        return cache[name]

    return run


CASES = sorted(CORRUPTIONS)


def test_there_are_at_least_30_corruptions() -> None:
    assert len(CORRUPTIONS) >= 30


@pytest.mark.parametrize("name", CASES)
def test_every_official_error_has_an_error_of_ours(
    name: str, observe: Callable[[str], Observation]
) -> None:
    obs = observe(name)
    ours = {r.id for r in obs.our_errors}
    where = [(r.id, r.path) for r in obs.our_errors]
    unknown = [
        f"{c}: {f.line}" for c, found in obs.new.items() for f in found if f.rule == of.UNKNOWN
    ]
    assert not unknown, "official lines no rule of official_findings knows:\n" + "\n".join(unknown)
    missed = sorted(
        {
            f"{checker}: [{f.rule}] (ours would be one of {sorted(of.COVERS.get(f.rule, ()))}) "
            f"{f.line}"
            for checker, found in obs.new.items()
            for f in found
            if not of.covered(f.rule, ours) and not of.explained(f, where)
        }
    )
    assert not missed, "official errors ours misses:\n" + "\n".join(missed) + "\n" + obs.describe()


#: the crashes (a traceback, the checker stops) the corruptions find in the reference copy:
#: case -> {checker: exception}; docs/validator.md lists each
KNOWN_CRASHES: Mapping[str, Mapping[str, str]] = {
    "performance detail log missing": {"modular": "TypeError"},
    "accuracy detail log missing": {"modular": "TypeError"},
    "garbage detail log": {"modular": "RuntimeError: Marker not found"},
    "truncated detail log": {"modular": "RuntimeError: Encountered invalid line"},
    "bad system_type": {"modular": "ValueError: invalid system type"},
    "datacenter system with inferred results": {"modular": "TypeError"},
    "systems JSON missing": {"modular": "AttributeError"},
    "systems JSON empty": {"modular": "JSONDecodeError", "legacy": "JSONDecodeError"},
    "systems JSON not JSON": {"modular": "JSONDecodeError", "legacy": "JSONDecodeError"},
    "measurements.json empty": {"modular": "JSONDecodeError", "legacy": "JSONDecodeError"},
    "measurements.json field missing": {"legacy": "KeyError: 'weight_data_types'"},
    "LoadGen error in an accuracy log": {"legacy": "UnboundLocalError"},
}


@pytest.mark.parametrize("name", CASES)
def test_where_the_official_checker_crashes_ours_still_reports(
    name: str, observe: Callable[[str], Observation]
) -> None:
    obs = observe(name)
    crashes = {c: run.crash for c, run in obs.official.items() if run.crashed}
    known = KNOWN_CRASHES.get(name, {})
    assert set(crashes) == set(known), (
        f"official crashes {crashes}, docs/validator.md lists {dict(known)}\n" + obs.describe()
    )
    for checker, exception in known.items():
        assert exception in crashes[checker], (checker, crashes[checker])
    if crashes:
        assert obs.our_errors, f"the official checker crashed ({crashes}), ours found nothing"
        assert all(r.message and r.fix for r in obs.our_errors)


def test_the_docs_list_every_known_crash() -> None:
    text = DOC.read_text(encoding="utf-8")
    crash_section = text[text.index("## Where the official checkers crash") :]
    for name, crashes in KNOWN_CRASHES.items():
        for checker, exception in crashes.items():
            assert exception.split(":")[0] in crash_section, (name, checker, exception)


@pytest.mark.parametrize("name", CASES)
def test_where_ours_is_stricter_the_docs_say_why(
    name: str, observe: Callable[[str], Observation]
) -> None:
    obs = observe(name)
    new = [f for found in obs.new.values() for f in found]
    official_rules = {f.rule for f in new}
    table = of.stricter_table(DOC.read_text(encoding="utf-8")) if DOC.is_file() else {}

    def counterpart(r: CheckResult) -> bool:
        # an official finding of a rule this id covers, or one this error is the root cause of
        return bool(of.rules_covering(r.id) & official_rules) or any(
            of.explained(f, [(r.id, r.path)]) for f in new
        )

    undocumented = sorted(
        {
            f"{r.id} ({r.path}: {r.message})"
            for r in obs.our_errors
            if not counterpart(r) and r.id not in table
        }
    )
    assert not undocumented, (
        f"errors of ours no official checker reports, missing from {DOC.name}'s table "
        '"Where we are stricter, and why":\n' + "\n".join(undocumented) + "\n" + obs.describe()
    )


# -- the good package and the classifier themselves -----------------------------------------


def test_the_base_package_is_good_to_ours_and_to_the_modular_checker(
    base_package: Path, baseline: dict[str, of.OfficialRun]
) -> None:
    errors = [r for r in validate(base_package, version=VERSION) if r.severity == "error"]
    assert errors == [], "\n".join(f"{r.id} {r.path}: {r.message}" for r in errors)
    assert not any(run.crashed for run in baseline.values())
    assert baseline["modular"].findings == [], baseline["modular"].output[-3000:]
    assert baseline["repository"].findings == []


def test_the_good_package_differs_from_the_base_only_in_the_duration(
    good: dict[str, Path], checkout: Path
) -> None:
    official = of.observe_official(good["closed"], checkout, version=VERSION)
    assert {f.rule for f in official["modular"].findings} <= {
        "min-duration",
        "performance-failed",
        "compliance-failed-summary",
        "summary",
    }
    assert "min-duration" in {f.rule for f in official["modular"].findings}
    ours = {r.id for r in validate(good["closed"], version=VERSION) if r.severity == "error"}
    assert ours == {"log.min-duration"}


@pytest.mark.parametrize("checker", ["modular", "legacy"])
def test_every_official_error_on_the_base_package_has_an_error_of_ours(
    checker: str, base_package: Path, baseline: dict[str, of.OfficialRun]
) -> None:
    ours = {r.id for r in validate(base_package, version=VERSION) if r.severity == "error"}
    missed = sorted(
        {
            f"[{f.rule}] {f.line}"
            for f in baseline[checker].findings
            if of.RULE_BY_NAME.get(f.rule, of.Rule("", "rule", ())).kind == "rule"
            and not of.covered(f.rule, ours)
        }
    )
    assert not missed, f"{checker} checker errors on the uncorrupted package ours misses:\n" + (
        "\n".join(missed)
    )


def _official_sources() -> list[Path]:
    tools = ref.checker_dir()
    modular = tools / "submission_checker"
    return [
        tools / "submission_checker_old.py",
        *sorted(p for p in modular.rglob("*.py") if "power" not in p.parent.name),
    ]


def _render(node: ast.expr) -> str | None:
    """An error message of the checker with its placeholders filled with sample values."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "X" for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _render(node.left), _render(node.right)
        if left is None or right is None:
            return None
        text = left + right
    else:
        return None
    sample = "closed/ACME/results/box/resnet/Offline"
    return re.sub(r"%[sdf]|%\.\d+f", sample, text)


def test_the_classifier_knows_every_error_message_of_the_official_checkers() -> None:
    unknown = []
    for path in _official_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "error"
                and "log" in ast.unparse(node.func.value).lower()
                and node.args
            ):
                continue
            message = _render(node.args[0])
            if message is None or message.strip() == "closed/ACME/results/box/resnet/Offline":
                continue  # a bare "%s": LoadGen's own error text, classified by context
            if of.rule_of(message.strip()) == of.UNKNOWN:
                unknown.append(f"{path.name}:{node.lineno}: {message}")
    assert not unknown, "official error messages no rule knows:\n" + "\n".join(unknown)


def test_every_rule_names_the_ids_that_cover_it() -> None:
    assert set(of.COVERS) == set(of.RULE_BY_NAME)


def test_the_stricter_table_names_real_check_ids_and_a_rule_for_each() -> None:
    table = of.stricter_table(DOC.read_text(encoding="utf-8"))
    assert table, f"{DOC} has no table under a heading naming 'stricter'"
    documented = set(re.findall(r"^\s{2,}([a-z]+\.[a-z-]+)\b", validate_module.__doc__ or "", re.M))
    documented |= set(
        re.findall(r"\b([a-z]+\.[a-z]+(?:-[a-z]+)*)\b", validate_module.__doc__ or "")
    )
    for check_id, cells in table.items():
        assert check_id in documented, f"{check_id} is no check id of mlperf_tui.validate"
        assert len(cells) == 3 and all(cells), f"{check_id}: every column needs text: {cells}"
