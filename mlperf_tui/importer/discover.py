"""Finding another harness's LoadGen runs in a folder, and telling what each one is.

Harnesses leave their logs in two kinds of layout, and the walk takes both (and any mix):

- a flat folder per run: ``mlperf_log_{summary,detail}.txt`` (+ ``mlperf_log_accuracy.json``,
  ``accuracy.txt``, ``user.conf``, ``audit.config``) straight in the folder LoadGen wrote to;
- a submission-like tree: ``<Scenario>/performance/run_1/``, ``<Scenario>/accuracy/``,
  ``<Scenario>/TEST01/performance/run_1/`` beside ``verify_*.txt`` and ``accuracy/``, with
  ``user.conf`` and ``measurements.json`` in the scenario folder (and power logs beside the run).

A folder holding ``mlperf_log_detail.txt`` is one run. What it *is* comes from its detail log
(the ``:::MLLOG`` lines, read by :mod:`harness.loadgen_logs`, the project's one parser of
LoadGen logs): the scenario and mode LoadGen ran, and whether LoadGen found an audit.config
(a compliance run). The folder names (``performance``, ``accuracy``, ``TEST04``, ``ranging``)
only say which role the harness meant the run for; the checks compare the two.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.loadgen_logs import (
    ACCURACY_LOG,
    DETAIL_LOG,
    SUMMARY_LOG,
    DetailLog,
    parse_detail_log,
    result_figures,
)
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.checker import POWER_DIR, SAMPLE_LOG

__all__ = [
    "ACCURACY_TXT",
    "AUDIT_CONFIG",
    "USER_CONF",
    "VERIFY_FILES",
    "Discovery",
    "FoundRun",
    "audit_kind",
    "discover",
]

ACCURACY_TXT = "accuracy.txt"
USER_CONF = "user.conf"
AUDIT_CONFIG = "audit.config"
MEASUREMENTS_JSON = "measurements.json"
#: what compliance verification scripts write beside a compliance run
VERIFY_FILES = ("verify_accuracy.txt", "verify_performance.txt")
#: a power run's own log beside the LoadGen logs (the power folder: rules.checker.POWER_DIR)
POWER_RUN_LOG = SAMPLE_LOG
#: folders of generated outputs an accuracy run keeps for the checker (SDXL's images/, Wan's
#: videos/); which ones a round requires is in its rules (Benchmark.accuracy_extra_files)
OUTPUT_DIRS = ("images", "videos")

#: LoadGen's test modes -> ours
_MODES: Mapping[str, str] = {"PerformanceOnly": "performance", "AccuracyOnly": "accuracy"}
_TEST_RE = re.compile(r"^TEST\d\d$")
#: what LoadGen logs when it finds an audit.config in its working folder
_AUDIT_FOUND = "Found Audit Config file"
#: folder names that say which role a harness meant a run for
_ROLES = ("ranging", "accuracy", "performance")
_SCENARIO_NAMES = ("SingleStream", "MultiStream", "Server", "Offline", "Interactive")


@dataclass
class FoundRun:
    """One LoadGen test found in the source: its folder, its logs and what they say it is.

    A compliance test's verification output without the audit run's logs (the official
    TEST06 script leaves only ``verify_accuracy.txt`` and ``accuracy/``) is a run too, with
    ``logs`` False and an empty detail log.
    """

    folder: Path
    #: the parsed detail log, and LoadGen's figures from it (validity, metric, seeds, ...)
    detail: DetailLog
    figures: dict[str, Any]
    #: what LoadGen ran: "Offline", ...; "performance" / "accuracy" (None: another mode)
    scenario: str | None
    mode: str | None
    loadgen_mode: str | None
    #: the compliance test: first from the folder names (TEST01/...), then the checks decide
    #: it from the audit settings (:attr:`audit_kind`); None for a main run
    compliance_test: str | None
    #: LoadGen found an audit.config (it says so in the detail log), or the audit's settings show
    audited: bool
    #: what the audit settings do: "TEST04" (one sample issued again and again), "sampling"
    #: (responses logged in performance mode: TEST01, TEST06, ...) or None
    audit_kind: str | None
    #: the role the folder names give it: "performance", "accuracy", "ranging" or None
    role: str | None
    #: the scenario the folder names give it (a submission tree's <Scenario>/ folder)
    folder_scenario: str | None = None
    #: the files to copy: name in the run folder -> where it is in the source
    files: dict[str, Path] = field(default_factory=dict)
    #: folders to copy: name in the run folder -> where it is in the source
    folders: dict[str, Path] = field(default_factory=dict)
    #: measurements.json of a submission-like tree's scenario folder, when there is one
    measurements: Path | None = None
    #: False for a compliance verification output without LoadGen logs
    logs: bool = True

    @property
    def kind(self) -> str:
        """The run in words: "Offline performance", "Server TEST04"."""
        what = self.compliance_test or self.mode or self.loadgen_mode or "?"
        return f"{self.folder_scenario or self.scenario or '?'} {what}"


@dataclass
class Discovery:
    """Every run in the source, what could not be read, and the systems JSON found there."""

    source: Path
    runs: list[FoundRun]
    #: folders with LoadGen logs that are not runs (a detail log that does not parse): why
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    #: systems/<system>.json files of a submission-like tree
    systems_json: list[Path] = field(default_factory=list)
    #: folders not walked, and why (an mlperf-tui results folder inside the source)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _walk(source: Path) -> Iterator[tuple[Path, list[str], list[str]]]:
    """The folders under ``source`` in a stable order; hidden ones and links are skipped
    (a staging folder, .git, a link loop)."""
    for top, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield Path(top), dirs, sorted(files)


def _parts(folder: Path, source: Path) -> tuple[str, ...]:
    """The folder's names from the source's own name down (the source's name counts: a user
    may point at ``.../TEST01`` itself)."""
    try:
        rel = folder.relative_to(source.parent)
    except ValueError:
        return folder.parts
    return rel.parts


def _upwards(folder: Path, source: Path) -> Iterator[Path]:
    """``folder`` and its parents up to and including ``source``."""
    current = folder
    while True:
        yield current
        if current == source or current.parent == current:
            return
        current = current.parent


def audit_kind(values: Mapping[str, Any]) -> str | None:
    """What an audit.config's settings make LoadGen do, from the detail log alone: TEST04
    issues one sample again and again; TEST01 (and TEST06/TEST07/TEST09, the LLMs' variants)
    log sampled responses in performance mode."""
    if values.get("effective_performance_issue_same"):
        return "TEST04"
    sampled = values.get("effective_accuracy_log_sampling_target") or values.get(
        "effective_accuracy_log_probability"
    )
    if sampled and values.get("effective_test_mode") == "PerformanceOnly":
        return "sampling"
    return None


def _names(folder: Path, source: Path) -> tuple[str | None, str | None, str | None]:
    """The compliance test, role and scenario the folder names give a run (nearest first)."""
    parts = _parts(folder, source)
    test = next((p for p in reversed(parts) if _TEST_RE.match(p)), None)
    role = next((p for p in reversed(parts) if p in _ROLES), None)
    scenario = next((p for p in reversed(parts) if p in _SCENARIO_NAMES), None)
    return test, role, scenario


def _classify(folder: Path, files: list[str], source: Path) -> FoundRun:
    log = parse_detail_log(folder / DETAIL_LOG)
    if log.bad_lines and not log.values:
        raise ValueError(f"{log.bad_lines} broken :::MLLOG lines and nothing readable")
    v = log.values
    scenario = v.get("effective_scenario") or v.get("requested_scenario")
    loadgen_mode = v.get("effective_test_mode") or v.get("requested_test_mode")
    named_test, role, folder_scenario = _names(folder, source)
    kind = audit_kind(v)
    found_audit = any(_AUDIT_FOUND in str(w.value) for w in log.warnings)
    run = FoundRun(
        folder=folder,
        detail=log,
        figures=result_figures(log),
        scenario=str(scenario) if scenario else None,
        mode=_MODES.get(str(loadgen_mode)),
        loadgen_mode=str(loadgen_mode) if loadgen_mode else None,
        compliance_test=named_test,
        # an older LoadGen does not say it found the file: its settings show it then
        audited=found_audit or AUDIT_CONFIG in files or (named_test is not None and bool(kind)),
        audit_kind=kind,
        role=role,
        folder_scenario=folder_scenario,
    )
    for name in (SUMMARY_LOG, DETAIL_LOG, ACCURACY_LOG, ACCURACY_TXT, AUDIT_CONFIG):
        if name in files:
            run.files[name] = folder / name
    if POWER_RUN_LOG in files:
        run.files[POWER_RUN_LOG] = folder / POWER_RUN_LOG
    for name in OUTPUT_DIRS:
        if (folder / name).is_dir():
            run.folders[name] = folder / name
    up = list(_upwards(folder, source))
    # user.conf and measurements.json: beside the logs, or in a submission tree's scenario folder
    run.measurements = next(
        (d / MEASUREMENTS_JSON for d in up if (d / MEASUREMENTS_JSON).is_file()), None
    )
    user_conf = next((d / USER_CONF for d in up if (d / USER_CONF).is_file()), None)
    if user_conf is not None:
        run.files[USER_CONF] = user_conf
    power = next((d / POWER_DIR for d in up[:3] if (d / POWER_DIR).is_dir()), None)
    if power is not None:
        run.folders[POWER_DIR] = power
    if named_test is not None:
        # a verification script's output: beside the run, or in the TEST0x folder above it
        test_dir = next((d for d in up if d.name == named_test), folder)
        _verification_files(run, test_dir)
    return run


def _verification_files(run: FoundRun, test_dir: Path) -> None:
    """The verification output of a compliance test's folder, added to ``run``."""
    for name in VERIFY_FILES:
        for where in (run.folder, test_dir):
            if (where / name).is_file():
                run.files[name] = where / name
                break
    compliance_acc = test_dir / "accuracy"
    if compliance_acc.is_dir() and not (compliance_acc / DETAIL_LOG).is_file():
        run.folders["accuracy"] = compliance_acc


def _verification_only(folder: Path, source: Path) -> FoundRun:
    """A TEST0x folder with a verification script's output and no LoadGen logs below it."""
    _test, role, folder_scenario = _names(folder, source)
    run = FoundRun(
        folder=folder,
        detail=DetailLog(),
        figures={},
        scenario=folder_scenario,
        mode="performance",
        loadgen_mode=None,
        compliance_test=folder.name,
        audited=True,
        audit_kind=None,
        role=role,
        folder_scenario=folder_scenario,
        logs=False,
    )
    _verification_files(run, folder)
    return run


def _has_logs_below(folder: Path) -> bool:
    return any(folder.rglob(DETAIL_LOG))


def discover(source: Path) -> Discovery:
    """Every LoadGen run under ``source`` (a folder), classified by its detail log."""
    source = source.expanduser().resolve()
    if not source.is_dir():
        raise MlperfTuiError(
            f"{source} is not a folder",
            "give the folder your harness wrote its LoadGen logs to (mlperf_log_detail.txt ...)",
        )
    found = Discovery(source=source, runs=[])
    for folder, dirs, files in _walk(source):
        if "summary.json" in files and "runs" in dirs and folder != source:
            # a results folder of mlperf-tui's own (an earlier import's copies): not a harness's
            dirs.clear()
            found.skipped.append((folder, "an mlperf-tui results folder, not a harness's logs"))
            continue
        if folder.name == "systems" and folder.parent != folder:
            found.systems_json += [folder / f for f in files if f.endswith(".json")]
        if (
            _TEST_RE.match(folder.name)
            and any(n in files for n in VERIFY_FILES)
            and not _has_logs_below(folder)
        ):
            found.runs.append(_verification_only(folder, source))
            continue
        if DETAIL_LOG not in files:
            continue
        try:
            found.runs.append(_classify(folder, files, source))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            found.unreadable.append((folder, str(exc)))
    return found
