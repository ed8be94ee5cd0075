"""Check a submission package: structured findings, stricter than the official checker.

``validate(package_dir)`` returns a list of :class:`CheckResult` (id, severity, path, message,
fix). It accepts what the official submission checker of the round accepts (mlcommons/inference,
tools/submission/submission_checker: loader.py, checks/*.py, parsers/*.py) and is stricter where
that one is weak: a run LoadGen marked INVALID is an error, any LoadGen error in any log is an
error, a missing folder or an unreadable file is a finding (never a crash), an Interactive run is
held to the Interactive TTFT/TPOT limits (the checker holds it to the Server ones), and a package
built in ``test`` execution or from synthetic assets says precisely why it cannot be submitted.

The tree's layout follows the round (:func:`layout_of`): v4.x-v5.x keep measurements and
compliance runs in ``measurements/`` and ``compliance/`` beside ``results/`` and the code in
``code/``; v6.x keep them in the results' scenario folder and the code in ``src/``; v6.1 also
reads scenario folders written by the MLCommons endpoints tool (``config.yaml``,
``performance/result_summary.json``, ``accuracy/accuracy_results.json``) for the benchmarks the
rules allow there.

Severities: ``error`` (the package must not be submitted as it is), ``warning`` (probably
wrong, or the official checker's stricter reading differs), ``notice`` (for information).

Check ids (stable; tests and the checklist rely on them):

tree.*          the folder layout
  tree.missing-folder       a folder the checker needs is missing (package, division, systems,
                            code or src, results, performance/run_1, accuracy, measurements)
  tree.missing-file         a file the checker needs is missing (calibration.md of the closed
                            division included, which only the legacy checker asks for)
  tree.empty-file           a required file is empty
  tree.extra-file           a file where the legacy checker wants an exact file list
                            (performance/run_1, accuracy/; LoadGen's trace and results.json are
                            tolerated, as it does), a stray file at the package root or in a
                            division folder, a __pycache__ folder
  tree.symlink              a symbolic link (the results repository refuses them)
  tree.empty-folder         an empty folder (the legacy checker refuses them)
  tree.unknown-division     a top-level folder that is no division (e.g. "Closed")
  tree.bad-name             a submitter or system folder name with characters the checker's
                            paths and the results table do not accept; any file or folder with
                            a hidden name (a leading dot) or a space (repository_checks.sh)
  tree.no-results           results/ holds no system, or a system holds no benchmark
  tree.unused-system        a systems JSON with no results
  tree.unknown-benchmark    a model folder that is no benchmark of the round (and, in open, not
                            mapped in model_mapping.json)
  tree.guessed-benchmark    notice: the checker takes the folder for a benchmark only by
                            guessing from its name ("mobilenet-..." -> resnet)
  tree.bad-model-mapping    model_mapping.json is unreadable or maps to an unknown model
  tree.unknown-scenario     a scenario folder with a wrong name (case included)
  tree.missing-scenario     closed: a scenario the rules require for the system's category (or
                            none of "Server or Interactive" where one is required)
  tree.scenario-not-allowed closed: a scenario the benchmark does not have in that category
  tree.benchmark-not-in-category  closed: the benchmark is not in the system_type's suite
  tree.file-too-large       a file over the checker's size limit
system.*        <division>/<submitter>/systems/<system>.json
  system.unreadable, system.missing-field, system.empty-field (one of the 26 that need a
  meaningful answer), system.wrong-type (a JSON type the checkers cannot use: a list, a
  boolean, null, the number 0 where an answer is needed - the checker reads it as empty - or a
  number in a field the checkers compare or join as text; a number in another text field is a
  warning), system.not-a-number (a count field - number_of_nodes, host_processors_per_node,
  host_processor_core_count, accelerators_per_node - that holds no count; a JSON number and a
  string of digits are both counts; text with a count in it is a warning where the checker does
  not compute with the field), system.generic-cpu-name (warning: a brand without a model
  number), system.invalid-value (status, system_type), system.division-mismatch,
  system.submitter-mismatch, system.network-mode (closed: is_network false; network: true);
  with is_network set (to any value: the checker tests its truth) the network fields are
  required too (system.missing-field)
measurements.*  measurements.json (v6.x) or measurements/<system>/.../<system>_<scenario>.json
  measurements.unreadable, measurements.missing-field, measurements.empty-field,
  measurements.undetermined (a value mlperf-tui could not determine; warning)
log.*           LoadGen detail and summary logs (performance, accuracy, compliance)
  log.unreadable            not a LoadGen log, or a truncated one
  log.loadgen-error         LoadGen logged an error
  log.invalid-run           LoadGen marked the run INVALID (or the summary says so)
  log.mode-mismatch         an accuracy log in performance/ or the reverse
  log.scenario-mismatch     the log's scenario is not the folder's, and not an allowed inference
                            (an Interactive folder holds a Server run: LoadGen runs Interactive
                            as Server with the benchmark's -interactive settings)
  log.inference-not-allowed a scenario inferred on a system that is not edge
  log.inferred-estimate-missing  MultiStream inferred from a SingleStream run without the
                            99th-percentile early-stopping estimate the checker reads
  log.seed-mismatch         seeds other than the round's
  log.token-latencies       an LLM run without use_token_latencies, or without TTFT/TPOT figures
  log.ttft-tpot-bound       an LLM Server/Interactive run over the TTFT or TPOT limit of its
                            folder's scenario
  log.equal-issue           closed: the round requires equal-issue mode and the run did not use it
  log.network-sut-name      network division: the SUT name lacks "Network SUT"
  log.performance-sample-count, log.min-duration, log.min-queries, log.offline-min-samples,
  log.early-stopping, log.latency-bound, log.metric-missing
accuracy.*      accuracy/
  accuracy.hash-missing, accuracy.hash-mismatch, accuracy.log-too-large,
  accuracy.metric-missing, accuracy.below-target, accuracy.above-limit,
  accuracy.dataset-size (the accuracy run did not cover the whole data set),
  accuracy.extra-files (SDXL's images, Wan's videos the round requires in accuracy/)
compliance.*    closed and network: TEST01, TEST04, TEST06, TEST07, TEST08, TEST09
  compliance.missing-test, compliance.missing-file, compliance.failed, compliance.file-list
  (TEST01/accuracy of a passed TEST01 holds exactly the log and accuracy.txt, as the v4.x and
  legacy checkers demand)
endpoints.*     v6.1 scenario folders written by the MLCommons endpoints tool
  endpoints.not-allowed     the benchmark (or the round) does not accept endpoints results
  endpoints.unreadable      config.yaml, result_summary.json or accuracy_results.json is
                            missing or not readable
  endpoints.failed-samples  the run reports failed samples (the checker's "loadgen errors")
  endpoints.accuracy-missing  accuracy_results.json holds no accuracy score
internal.check-failed  a folder broken in a way no check foresaw (reported, never a crash)
package.*       why a package mlperf-tui built cannot be submitted
  package.test-execution    built from `test` execution runs; the message lists every rule the
                            test settings break (those findings are folded into this one)
  package.synthetic-assets  built from the synthetic stand-in model or data set (accuracy
                            findings are folded into this one)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from harness.loadgen_logs import SCENARIO_METRICS, DetailLog, parse_detail_text
from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.checker import (
    ACCURACY_FILES,
    ACCURACY_PATTERNS,
    CALIBRATION_DOC,
    ENDPOINTS_ACCURACY,
    ENDPOINTS_AUDITS,
    ENDPOINTS_CONFIGS,
    ENDPOINTS_SUMMARY,
    ENDPOINTS_TYPES,
    INT_COMPUTED_FIELDS,
    MEASURE_FILES,
    MEASUREMENT_FIELDS,
    NAME_GUESSES,
    NETWORK_FIELDS,
    NETWORK_SUT_NAME,
    OPTIONAL_PERFORMANCE_FILES,
    PASS_LINE,
    PERFORMANCE_FILES,
    POWER_FILES,
    POWER_RUN_FILES,
    ROOT_FILE_SUFFIXES,
    TEST01_ACCURACY_FILES,
    TEST01_PASSED_ACCURACY_FILES,
    TEST06_PASS_LINES,
    TEXT_ONLY_FIELDS,
    TOLERATED_FILES,
)
from mlperf_tui.rules.model import (
    Benchmark,
    Category,
    Division,
    Layout,
    Round,
    Scenario,
    SystemField,
)

Severity = Literal["error", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "notice")


@dataclass(frozen=True)
class CheckResult:
    """One finding: a stable ``id``, how bad it is, where (relative to the package) and a fix."""

    id: str
    severity: Severity
    path: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


# -- facts of the official checker (constants.py, utils.py), kept where the rules have no place --

DIVISIONS = tuple(d.value for d in Division)
#: divisions the checker holds to the closed rules (scenarios, compliance, accuracy targets)
_STRICT_DIVISIONS = tuple(d.value for d in Division if d.strict)
NOT_DETERMINED = "not determined"
_HASH_RE = re.compile(r"^hash=([\w\d]+)$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_COUNT_RE = re.compile(r"^\s*\d+\s*$")

#: findings that `test` execution explains (short runs, a data-set subset), folded into
#: package.test-execution; and those that synthetic assets explain
_TEST_EXPLAINED = frozenset(
    {
        "log.min-duration",
        "log.min-queries",
        "log.offline-min-samples",
        "log.performance-sample-count",
        "log.inferred-estimate-missing",
        "accuracy.dataset-size",
        "compliance.failed",
    }
)
_SYNTHETIC_EXPLAINED = frozenset({"accuracy.below-target", "accuracy.above-limit"})


# -- where a round keeps things --------------------------------------------------------------


def layout_of(round_rules: Round) -> Layout:
    """The round's tree layout (the checker's SRC_PATH, MEASUREMENTS_PATH, COMPLIANCE_PATH and
    the rounds its endpoints parser serves)."""
    return round_rules.layout


# -- findings and small readers ----------------------------------------------------------------


class _Findings:
    """Collects findings with paths relative to the package."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[CheckResult] = []

    def rel(self, path: Path | str) -> str:
        p = Path(path)
        try:
            rel = p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()
        return "" if rel == "." else rel

    def add(self, id_: str, severity: Severity, path: Path | str, message: str, fix: str) -> None:
        self.items.append(CheckResult(id_, severity, self.rel(path), message, fix))

    def error(self, id_: str, path: Path | str, message: str, fix: str) -> None:
        self.add(id_, "error", path, message, fix)

    def warning(self, id_: str, path: Path | str, message: str, fix: str) -> None:
        self.add(id_, "warning", path, message, fix)

    def notice(self, id_: str, path: Path | str, message: str, fix: str) -> None:
        self.add(id_, "notice", path, message, fix)


@dataclass(frozen=True)
class _Ctx:
    """One scenario folder and everything its checks need to know."""

    base: Path  # <division>/<submitter>
    division: str
    system: str
    system_type: str
    is_network: bool
    bench_folder: str
    bench: Benchmark
    scenario: str  # the folder's name, a Scenario value
    round_rules: Round
    layout: Layout

    @property
    def strict(self) -> bool:
        """Held to the closed rules (closed and network divisions)."""
        return self.division in _STRICT_DIVISIONS

    @property
    def scenario_dir(self) -> Path:
        return self.base / "results" / self.system / self.bench_folder / self.scenario

    @property
    def measurements_dir(self) -> Path:
        if self.layout.measurements_in_results:
            return self.scenario_dir
        return self.base / "measurements" / self.system / self.bench_folder / self.scenario

    @property
    def compliance_dir(self) -> Path:
        if self.layout.compliance_in_results:
            return self.scenario_dir
        return self.base / "compliance" / self.system / self.bench_folder / self.scenario


def _dirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def _files(path: Path) -> list[str]:
    try:
        return sorted(p.name for p in path.iterdir() if p.is_file())
    except OSError:
        return []


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _require_files(f: _Findings, folder: Path, names: Iterable[str], what: str) -> list[str]:
    """Missing/empty findings for ``names`` in ``folder``; returns the names that are there."""
    present = []
    for name in names:
        path = folder / name
        if not path.is_file():
            f.error(
                "tree.missing-file",
                path,
                f"{what}: {name} is missing",
                f"rebuild the package (`mlperf-tui package RESULTS --out DIR`) or copy {name} "
                "from the run's folder",
            )
        elif path.stat().st_size == 0:
            f.error(
                "tree.empty-file",
                path,
                f"{what}: {name} is empty",
                f"copy {name} again from the run's folder; the checker refuses empty files",
            )
        else:
            present.append(name)
    return present


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _scenario(name: str) -> Scenario | None:
    try:
        return Scenario(name)
    except ValueError:
        return None


# -- LoadGen logs ----------------------------------------------------------------------------


def _detail(f: _Findings, path: Path) -> DetailLog | None:
    text = _read_text(path)
    if text is None:
        return None
    log = parse_detail_text(text)
    if log.bad_lines or not log.values:
        f.error(
            "log.unreadable",
            path,
            "not a complete LoadGen detail log"
            + (f" ({log.bad_lines} broken :::MLLOG lines)" if log.bad_lines else ""),
            "copy mlperf_log_detail.txt again from the run; the official checker stops on a "
            "broken line",
        )
        return None
    return log


def _loadgen_errors(f: _Findings, path: Path, log: DetailLog) -> None:
    if log.errors:
        shown = "; ".join(f"{e.key}: {e.value}" for e in log.errors[:3])
        more = f" (+{len(log.errors) - 3} more)" if len(log.errors) > 3 else ""
        f.error(
            "log.loadgen-error",
            path,
            f"LoadGen logged {len(log.errors)} error(s): {shown}{more}",
            "fix the cause LoadGen names and run this test again; a log with errors is not "
            "a valid result",
        )


_SEED_NAMES = ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")


def _check_seed_values(
    f: _Findings, path: Path, found: Mapping[str, Any], round_rules: Round, fix: str
) -> None:
    """``found``: seed name -> the value the run used (names absent are not checked)."""
    wrong = []
    for name in _SEED_NAMES:
        if name not in found:
            continue
        want = getattr(round_rules.seeds, name)
        if _as_int(found[name]) != want:
            wrong.append(f"{name} {found[name]} (expected {want})")
    if wrong:
        f.error(
            "log.seed-mismatch",
            path,
            f"the run used other seeds than round {round_rules.version}: " + ", ".join(wrong),
            fix,
        )


def _check_seeds(f: _Findings, path: Path, log: DetailLog, round_rules: Round) -> None:
    _check_seed_values(
        f,
        path,
        {name: log.get(f"effective_{name}") for name in _SEED_NAMES},
        round_rules,
        "do not set seeds in user.conf; LoadGen's built-in mlperf.conf carries the round's "
        "seeds - run again with mlcommons-loadgen of this round",
    )


def _summary_invalid(path: Path) -> bool:
    text = _read_text(path) or ""
    return any(
        line.split(":", 1)[-1].strip() == "INVALID"
        for line in text.splitlines()
        if line.strip().startswith("Result is")
    )


def _token_limits(ctx: _Ctx, log_scenario: Scenario) -> tuple[int | None, int | None, Scenario]:
    """TTFT and TPOT limits for an LLM run and the scenario they belong to.

    The checker's llm_check looks the limits up by the log's scenario, so it holds an Interactive
    run (LoadGen logs it as Server) to the Server limits. We hold an Interactive folder to the
    Interactive limits where the rules have them: the stricter reading, on purpose.
    """
    folder = _scenario(ctx.scenario)
    bench = ctx.bench
    if folder is Scenario.INTERACTIVE and Scenario.INTERACTIVE in bench.ttft_ns:
        own = Scenario.INTERACTIVE
    else:
        own = log_scenario
    return bench.ttft_ns.get(own), bench.tpot_ns.get(own), own


def _check_token_latencies(f: _Findings, path: Path, log: DetailLog, ctx: _Ctx) -> None:
    """The checker's llm_check: use_token_latencies, and TTFT/TPOT p99 under the limits."""
    if log.get("requested_use_token_latencies") is not True:
        f.error(
            "log.token-latencies",
            path,
            f"{ctx.bench.name} is an LLM benchmark: LoadGen must run with use_token_latencies "
            "(requested_use_token_latencies is not true)",
            f"run with LoadGen's built-in mlperf.conf of the round (it sets "
            f"{ctx.bench.loadgen_model}.*.use_token_latencies = 1) and report the first token "
            "with FirstTokenComplete",
        )
        return
    log_scenario = _scenario(str(log.get("effective_scenario") or ""))
    if log_scenario not in (Scenario.SERVER, Scenario.INTERACTIVE):
        return
    ttft_limit, tpot_limit, own = _token_limits(ctx, log_scenario)
    if ttft_limit is None or tpot_limit is None:
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"the rules of {ctx.round_rules.version} have no TTFT/TPOT limits for "
            f"{ctx.bench.name} {own.value}, so the checker cannot accept this run",
            "submit the scenarios the round defines limits for",
        )
        return
    ttft = _as_float(log.get("result_first_token_99.00_percentile_latency_ns"))
    tpot = _as_float(log.get("result_time_per_output_token_99.00_percentile_ns"))
    if ttft is None or tpot is None:
        f.error(
            "log.token-latencies",
            path,
            "the log has no 99th-percentile TTFT/TPOT (result_first_token_99.00_percentile_"
            "latency_ns, result_time_per_output_token_99.00_percentile_ns)",
            "report the first token of every response to LoadGen (FirstTokenComplete) and run "
            "again",
        )
        return
    over = []
    # the checker passes a run only when both are strictly below the limits
    if ttft >= ttft_limit:
        over.append(f"TTFT p99 {ttft / 1e6:g} ms (limit {ttft_limit / 1e6:g} ms)")
    if tpot >= tpot_limit:
        over.append(f"TPOT p99 {tpot / 1e6:g} ms (limit {tpot_limit / 1e6:g} ms)")
    if over:
        stricter = (
            " (an Interactive run is held to the Interactive limits; the official checker "
            "looks them up by the log's scenario, Server)"
            if own is Scenario.INTERACTIVE
            else ""
        )
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"{ctx.bench.name} misses the {own.value} TTFT/TPOT limits: "
            + "; ".join(over)
            + stricter,
            "lower the target QPS (and, for Interactive, run with the benchmark's "
            f"{ctx.bench.loadgen_interactive_model or 'interactive'} LoadGen settings) until "
            "both are under the limits",
        )


def _check_performance_log(f: _Findings, folder: Path, ctx: _Ctx) -> None:
    """The checker's PerformanceCheck on one performance/run_1 (or TEST0x/performance/run_1)."""
    path = folder / "mlperf_log_detail.txt"
    log = _detail(f, path)
    if log is None:
        return
    bench, round_rules = ctx.bench, ctx.round_rules
    scenario_fixed = ctx.scenario
    _loadgen_errors(f, path, log)
    mode = log.get("effective_test_mode")
    if mode not in (None, "PerformanceOnly", "SubmissionRun"):
        f.error(
            "log.mode-mismatch",
            path,
            f"this is a {mode} log, but performance/ needs a PerformanceOnly run",
            "copy the performance run's logs here (and the accuracy run's into accuracy/)",
        )
    validity = log.get("result_validity")
    if validity != "VALID":
        reason = log.get("result_invalid_reason") or ""
        f.error(
            "log.invalid-run",
            path,
            f"LoadGen marked this run {validity or 'unfinished (no result)'}"
            + (f": {reason.strip()}" if reason else ""),
            "follow LoadGen's recommendation (often: set the expected QPS/latency in the "
            "profile's targets closer to the measured value) and run again",
        )
    elif _summary_invalid(folder / "mlperf_log_summary.txt"):
        f.error(
            "log.invalid-run",
            folder / "mlperf_log_summary.txt",
            "the summary says the run is INVALID, the detail log says VALID: the logs are from "
            "different runs",
            "copy both logs of the same run",
        )
    scenario = str(log.get("effective_scenario") or "")
    log_scenario = _scenario(scenario)
    fixed = _scenario(scenario_fixed)
    if scenario != scenario_fixed and not (
        # LoadGen runs Interactive as a Server test (the benchmark's -interactive settings);
        # the checker accepts exactly this pair (inferred_check, get_inferred_result)
        fixed is Scenario.INTERACTIVE and log_scenario is Scenario.SERVER
    ):
        inferable = bench.inferable_from.get(fixed) if fixed is not None else None
        if inferable is None or inferable.value != scenario:
            f.error(
                "log.scenario-mismatch",
                path,
                f"the log is a {scenario or 'unknown'} run in the {scenario_fixed} folder, and "
                f"{bench.name} does not allow inferring {scenario_fixed} from {scenario}"
                + (
                    " (an Interactive folder holds a Server run with the interactive settings)"
                    if fixed is Scenario.INTERACTIVE
                    else ""
                ),
                f"put the {scenario_fixed} run's logs here, or move these to {scenario}/",
            )
        elif Category.EDGE.value not in ctx.system_type.lower():
            f.error(
                "log.inference-not-allowed",
                path,
                f"{scenario_fixed} is inferred from {scenario}, which the rules allow only for "
                f'edge systems (system_type is "{ctx.system_type}")',
                f"run {scenario_fixed} itself, or submit the system as edge",
            )
        elif fixed is Scenario.MULTI_STREAM:
            estimate = _as_int(log.get("early_stopping_latency_ms"))
            if not estimate:
                f.error(
                    "log.inferred-estimate-missing",
                    path,
                    "MultiStream is inferred from this SingleStream run, but it has no "
                    "99th-percentile early-stopping estimate (early_stopping_latency_ms is 0): "
                    "too few queries",
                    "run SingleStream longer (the rules' 600 s gives enough queries), or run "
                    "MultiStream itself",
                )
    _check_seeds(f, path, log, round_rules)

    if (
        bench.equal_issue
        and ctx.strict
        and log.get("effective_sample_concatenate_permutation") is not True
    ):
        f.error(
            "log.equal-issue",
            path,
            f"round {round_rules.version} requires equal-issue mode for {bench.name} "
            "(sample_concatenate_permutation), and this run did not use it",
            "run with LoadGen's built-in mlperf.conf of the round, which turns it on",
        )

    needed_psc = bench.performance_sample_count
    psc = _as_int(log.get("effective_performance_sample_count"))
    if psc is None or psc < needed_psc:
        f.error(
            "log.performance-sample-count",
            path,
            f"performance_sample_count is {psc}, the rules need at least {needed_psc}",
            "do not override performance_sample_count in user.conf; let LoadGen load the "
            "benchmark's count",
        )

    early_stopping = set(round_rules.early_stopping_scenarios)
    if log_scenario is not None and log_scenario in early_stopping:
        if log.get("early_stopping_met") is not True:
            f.error(
                "log.early-stopping",
                path,
                "LoadGen's early-stopping condition was not met: "
                + str(log.get("early_stopping_result") or "no early-stopping result"),
                "run longer (more queries) so LoadGen can estimate the percentile",
            )
        # the checker bounds the target latency by the log's scenario; an Interactive folder
        # with a bound of its own is held to that one (stricter)
        own = (
            Scenario.INTERACTIVE
            if fixed is Scenario.INTERACTIVE and Scenario.INTERACTIVE in bench.latency_bound_ns
            else log_scenario
        )
        bound = bench.latency_bound_ns.get(own)
        target = _as_int(log.get("effective_target_latency_ns"))
        if bound and target is not None and target > bound:
            f.error(
                "log.latency-bound",
                path,
                f"target latency {target} ns is above the {own.value} bound {bound} ns",
                f"set the target latency at or below {bound // 1_000_000} ms",
            )
    else:
        bound = bench.latency_bound_ns.get(fixed) if fixed is not None else None
        p99 = _as_int(log.get("result_99.00_percentile_latency_ns"))
        if bound and p99 is not None and p99 > bound:
            f.error(
                "log.latency-bound",
                path,
                f"99th percentile latency {p99} ns is above the {scenario_fixed} bound {bound} ns",
                "lower the target QPS until the 99th percentile meets the bound",
            )
        needed_q = bench.min_queries.get(log_scenario) if log_scenario is not None else None
        queries = _as_int(log.get("effective_min_query_count"))
        if needed_q and (queries is None or queries < needed_q):
            f.error(
                "log.min-queries",
                path,
                f"min_query_count is {queries}, the rules need {needed_q}",
                "do not lower min_query_count in user.conf",
            )
    if log_scenario is Scenario.OFFLINE:
        needed_spq = bench.offline_min_samples or round_rules.offline_min_samples
        spq = _as_int(log.get("effective_samples_per_query"))
        if spq is None or spq < needed_spq:
            message = f"the Offline query held {spq} samples, the rules need at least {needed_spq}"
            fix = "raise the Offline target QPS in the profile so LoadGen issues enough samples"
            if ctx.strict:
                f.error("log.offline-min-samples", path, message, fix)
            else:
                f.warning(
                    "log.offline-min-samples",
                    path,
                    message + " in the closed division (open: a warning)",
                    fix,
                )
    if not bench.single_pass:
        duration = _as_int(log.get("effective_min_duration_ms"))
        if duration is None or duration < round_rules.min_duration_ms:
            f.error(
                "log.min-duration",
                path,
                f"min_duration is {duration} ms, the rules need {round_rules.min_duration_ms} ms",
                "run with execution: valid (the rules' full settings); do not lower min_duration",
            )
    if bench.llm:
        _check_token_latencies(f, path, log, ctx)
    if ctx.is_network and NETWORK_SUT_NAME not in str(log.get("sut_name") or ""):
        f.error(
            "log.network-sut-name",
            path,
            f'the system runs over the network, and the SUT name "{log.get("sut_name")}" does '
            f'not contain "{NETWORK_SUT_NAME}"',
            f'name the SUT so that it contains "{NETWORK_SUT_NAME}" (the network division\'s rule)',
        )
    metric_key = (
        bench.result_keys.get(log_scenario) if log_scenario is not None else None
    ) or SCENARIO_METRICS.get(scenario, (None,))[0]
    if metric_key and log.get(metric_key) is None:
        f.error(
            "log.metric-missing",
            path,
            f"the log has no {metric_key}, the {scenario} result the checker reads for "
            f"{bench.name}",
            "copy the complete detail log of a finished run",
        )


# -- accuracy --------------------------------------------------------------------------------


def _metric_value(lines: Iterable[str], pattern: str) -> float | None:
    for line in lines:
        m = re.match(pattern, line)
        if m:
            return _as_float(m.group(1))
    return None


def _check_accuracy_values(
    f: _Findings,
    txt: Path,
    values: Mapping[str, float | None],
    ctx: _Ctx,
    readable: bool,
    only: set[str] | None = None,
) -> None:
    """Accuracy gates of the folder's scenario (the checker's get_accuracy_values); ``only``:
    the metrics to judge (an endpoints score may name a few)."""
    strict = ctx.strict
    bench = ctx.bench
    for target in bench.accuracy_for(ctx.scenario):
        if only is not None and target.metric not in only:
            continue
        if target.metric not in values:
            f.warning(
                "accuracy.metric-missing",
                txt,
                f"mlperf-tui cannot read the {target.metric} metric of {bench.name}",
                "check the accuracy by hand against the official checker",
            )
            continue
        value = values[target.metric]
        if value is None:
            (f.error if strict and readable else f.warning)(
                "accuracy.metric-missing",
                txt,
                f"{txt.name} holds no {target.metric} value the checker can read",
                "score the accuracy log with the benchmark's accuracy script and rebuild",
            )
            continue
        if target.threshold is not None and value < target.threshold:
            message = (
                f"{target.metric} {value:g} is below the target {target.threshold:g} "
                f"({target.fraction:g} x {target.reference:g})"
            )
            if strict:
                f.error(
                    "accuracy.below-target",
                    txt,
                    message,
                    "the closed division needs the accuracy target; use the reference model "
                    "and its weights, or submit in open",
                )
            else:
                f.notice(
                    "accuracy.below-target",
                    txt,
                    message + " (the open division does not require it)",
                    "none needed in open",
                )
        if target.upper_limit is not None and value > target.upper_limit:
            (f.error if strict else f.notice)(
                "accuracy.above-limit",
                txt,
                f"{target.metric} {value:g} is above the upper limit {target.upper_limit:g}",
                "check the model's outputs",
            )


def _check_dataset_size(f: _Findings, path: Path, found: int | None, ctx: _Ctx) -> None:
    if not ctx.round_rules.checks_dataset_size:
        return
    expected = ctx.bench.accuracy_samples(ctx.scenario)
    if found != expected:
        f.error(
            "accuracy.dataset-size",
            path,
            f"the accuracy run covered {found} samples, not the whole data set "
            f"({expected} for {ctx.bench.name} {ctx.scenario})",
            "run accuracy mode on the whole data set (execution: valid, no dataset count)",
        )


def _check_extra_accuracy_files(f: _Findings, acc_dir: Path, ctx: _Ctx) -> None:
    """The checker's REQUIRED_ACC_BENCHMARK: SDXL's images, Wan's videos (file stems)."""
    for folder, stems in ctx.bench.accuracy_extra_files.items():
        where = acc_dir / folder
        have = {name.split(".")[0] for name in _files(where)} if where.is_dir() else set()
        missing = [s for s in stems if s not in have]
        if not where.is_dir() or missing:
            f.error(
                "accuracy.extra-files",
                where,
                f"{ctx.bench.name} in {ctx.round_rules.version} needs accuracy/{folder}/ with the "
                f"outputs of samples {', '.join(stems)}"
                + (
                    f"; missing: {', '.join(missing)}"
                    if where.is_dir()
                    else "; the folder is missing"
                ),
                f"copy the generated outputs of those samples into accuracy/{folder}/ "
                "(the benchmark's accuracy script saves them)",
            )


def _check_accuracy(f: _Findings, acc_dir: Path, ctx: _Ctx) -> None:
    round_rules = ctx.round_rules
    present = set(_require_files(f, acc_dir, ACCURACY_FILES, "accuracy run"))
    _extra_files(
        f,
        acc_dir,
        ACCURACY_FILES,
        "accuracy/",
        "keep LoadGen's accuracy logs and accuracy.txt there (and the folders the benchmark "
        "needs, e.g. SDXL's images/)",
    )
    detail = acc_dir / "mlperf_log_detail.txt"
    if "mlperf_log_detail.txt" in present:
        log = _detail(f, detail)
        if log is not None:
            _loadgen_errors(f, detail, log)
            mode = log.get("effective_test_mode")
            if mode not in (None, "AccuracyOnly"):
                f.error(
                    "log.mode-mismatch",
                    detail,
                    f"this is a {mode} log, but accuracy/ needs an AccuracyOnly run",
                    "copy the accuracy run's logs here",
                )
            _check_seeds(f, detail, log, round_rules)
            # the checker prefers effective_accuracy_sample_count (LoadGen 6 logs it)
            found = _as_int(
                log.get("effective_accuracy_sample_count")
                if log.get("effective_accuracy_sample_count") is not None
                else log.get("qsl_reported_total_count")
            )
            _check_dataset_size(f, detail, found, ctx)
    log_path = acc_dir / "mlperf_log_accuracy.json"
    if log_path.is_file() and log_path.stat().st_size > round_rules.max_accuracy_log_bytes:
        f.error(
            "accuracy.log-too-large",
            log_path,
            f"mlperf_log_accuracy.json is {log_path.stat().st_size} bytes; the checker allows "
            f"{round_rules.max_accuracy_log_bytes} (it must be truncated)",
            "rebuild the package (mlperf-tui truncates it and records hash= of the full log), "
            "or run the official truncate_accuracy_log.py",
        )
    _check_extra_accuracy_files(f, acc_dir, ctx)
    txt = acc_dir / "accuracy.txt"
    if "accuracy.txt" not in present:
        return
    lines = (_read_text(txt) or "").splitlines()
    hashes = [m.group(1) for line in lines if (m := _HASH_RE.match(line.strip()))]
    if not hashes:
        f.error(
            "accuracy.hash-missing",
            txt,
            "accuracy.txt has no hash= line (the sha256 of the full mlperf_log_accuracy.json)",
            "rebuild the package from the results (it appends hash=), keeping the full log",
        )
    elif log_path.is_file() and log_path.stat().st_size <= round_rules.max_accuracy_log_bytes:
        data = log_path.read_bytes()
        if b"\n\n...\n\n" not in data and hashlib.sha256(data).hexdigest() != hashes[-1]:
            f.error(
                "accuracy.hash-mismatch",
                txt,
                "hash= does not match mlperf_log_accuracy.json (which is not truncated)",
                "rebuild the package from the run's own accuracy log",
            )
    values = {
        t.metric: _metric_value(lines, ACCURACY_PATTERNS[t.metric])
        for t in ctx.bench.accuracy_for(ctx.scenario)
        if t.metric in ACCURACY_PATTERNS
    }
    _check_accuracy_values(f, txt, values, ctx, readable=True)


# -- compliance ------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in (_read_text(path) or "").splitlines()]


def _has_pass_line(path: Path, exact: bool) -> bool:
    lines = _lines(path)
    if exact:
        return PASS_LINE in lines
    return any(PASS_LINE in line for line in lines)


def _accuracy_value(path: Path, pattern: str) -> float | None:
    return _metric_value((_read_text(path) or "").splitlines(), pattern)


def _verify_file(f: _Findings, path: Path, test: str) -> bool:
    if path.is_file():
        return True
    f.error(
        "compliance.missing-file",
        path,
        f"{test} needs {path.name}",
        f"run {test} again; its verification script writes the file",
    )
    return False


def _check_compliance_run(f: _Findings, test_dir: Path, test: str, ctx: _Ctx) -> None:
    """TEST01/TEST04: verify_performance.txt, the run's exact file list and its log."""
    verify = test_dir / "verify_performance.txt"
    if _verify_file(f, verify, test) and not _has_pass_line(verify, exact=False):
        f.error(
            "compliance.failed",
            verify,
            f"{test}'s performance verification did not pass",
            "look at the file's figures; run the test again on an idle machine",
        )
    run_dir = test_dir / "performance" / "run_1"
    if not run_dir.is_dir():
        f.error(
            "tree.missing-folder",
            run_dir,
            f"{test} has no performance/run_1 folder",
            f"copy the {test} run's logs into performance/run_1",
        )
        return
    files = set(_files(run_dir))
    missing = [n for n in PERFORMANCE_FILES if n not in files]
    extra = sorted(
        files - set(PERFORMANCE_FILES) - set(OPTIONAL_PERFORMANCE_FILES) - set(TOLERATED_FILES)
    )
    if missing or extra:
        f.error(
            "compliance.file-list",
            run_dir,
            f"{test}/performance/run_1 must hold exactly "
            + ", ".join(PERFORMANCE_FILES)
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; extra: {', '.join(extra)}" if extra else ""),
            "keep only LoadGen's summary and detail logs there",
        )
    if "mlperf_log_detail.txt" in files:
        _check_performance_log(f, run_dir, ctx)


def _check_compliance(f: _Findings, ctx: _Ctx) -> None:
    compliance_dir = ctx.compliance_dir
    for test in rules.compliance_tests(ctx.bench, ctx.division):
        test_dir = compliance_dir / test
        if not test_dir.is_dir():
            where = (
                ""
                if ctx.layout.compliance_in_results
                else f" (round {ctx.round_rules.version} keeps them in {ctx.base.name}/compliance/<system>/<benchmark>/<scenario>/)"
            )
            f.error(
                "compliance.missing-test",
                test_dir,
                f"{test} is missing; the {ctx.division} division requires it for "
                f"{ctx.bench.name}{where}",
                "run the compliance tests (a closed profile plans them) and rebuild the package",
            )
            continue
        verify = test_dir / "verify_accuracy.txt"
        if test == "TEST01":
            if _verify_file(f, verify, test) and not _has_pass_line(verify, exact=True):
                _test01_accuracy_fallback(f, test_dir, ctx)
            elif verify.is_file():
                _test01_passed_files(f, test_dir)
        elif test == "TEST06":
            if _verify_file(f, verify, test):
                lines = _lines(verify)
                failed = [
                    group[0] for group in TEST06_PASS_LINES if not any(g in lines for g in group)
                ]
                if failed:
                    f.error(
                        "compliance.failed",
                        verify,
                        "TEST06 did not pass: the file lacks "
                        + "; ".join(f'"{line}"' for line in failed),
                        "the SUT must stop at EOS, honour the output lengths and report the first "
                        "token; fix it and run TEST06 again",
                    )
        elif test in ("TEST07", "TEST08"):
            # TEST07: "TEST PASS" anywhere; TEST08: a line that is exactly it (the checker's reads)
            if _verify_file(f, verify, test) and not _has_pass_line(verify, exact=test == "TEST08"):
                f.error(
                    "compliance.failed",
                    verify,
                    f"{test}'s accuracy verification did not pass",
                    f"run {test} again and look at its figures",
                )
        elif test == "TEST09":
            output_len = test_dir / "verify_output_len.txt"
            if _verify_file(f, output_len, test) and not _has_pass_line(output_len, exact=False):
                f.error(
                    "compliance.failed",
                    output_len,
                    "TEST09's output-length verification did not pass",
                    "the mean output length must stay in the rules' range; run TEST09 again",
                )
        if test in ("TEST01", "TEST04"):
            _check_compliance_run(f, test_dir, test, ctx)


def _test01_passed_files(f: _Findings, test_dir: Path) -> None:
    """TEST01 passed: the v4.x checkers and the legacy one want exactly its accuracy log and
    accuracy.txt in TEST01/accuracy (the modular checker does not look; we keep the rule)."""
    acc_dir = test_dir / "accuracy"
    files = set(_files(acc_dir)) - set(TOLERATED_FILES)
    wanted = set(TEST01_PASSED_ACCURACY_FILES)
    if files != wanted:
        missing, extra = sorted(wanted - files), sorted(files - wanted)
        f.error(
            "compliance.file-list",
            acc_dir,
            "TEST01 passed, and the legacy checker wants exactly "
            + " and ".join(TEST01_PASSED_ACCURACY_FILES)
            + " in TEST01/accuracy"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; extra: {', '.join(extra)}" if extra else ""),
            "keep the compliance run's mlperf_log_accuracy.json and its accuracy.txt there "
            "(baseline_accuracy.txt and compliance_accuracy.txt only when the test failed)",
        )


def _test01_accuracy_fallback(f: _Findings, test_dir: Path, ctx: _Ctx) -> None:
    """TEST01 without TEST PASS: the checker compares baseline and compliance accuracy."""
    bench = ctx.bench
    acc_dir = test_dir / "accuracy"
    verify = test_dir / "verify_accuracy.txt"
    if not acc_dir.is_dir():
        f.error(
            "compliance.failed",
            verify,
            "TEST01's deterministic comparison failed and there is no accuracy/ folder to "
            "compare baseline and compliance accuracy",
            "make the SUT deterministic, or provide TEST01/accuracy with both accuracies",
        )
        return
    files = set(_files(acc_dir))
    missing = [n for n in TEST01_ACCURACY_FILES if n not in files]
    if missing:
        f.error(
            "compliance.file-list",
            acc_dir,
            "TEST01/accuracy is missing " + ", ".join(missing),
            "run TEST01 again; its verification writes these files",
        )
        return
    for target in bench.accuracy_for(ctx.scenario):
        pattern = ACCURACY_PATTERNS.get(target.metric)
        if pattern is None:
            continue
        base = _accuracy_value(acc_dir / "baseline_accuracy.txt", pattern)
        comp = _accuracy_value(acc_dir / "compliance_accuracy.txt", pattern)
        allowed = bench.compliance_delta_percent.get(
            target.metric, 0.1 if "99.9" in bench.name else 1.0
        )
        if not base or not comp:
            f.error(
                "compliance.failed",
                acc_dir,
                f"TEST01: no {target.metric} in baseline/compliance accuracy",
                "run TEST01 again",
            )
            return
        delta = abs(1 - base / comp) * 100
        if delta > allowed:
            f.error(
                "compliance.failed",
                verify,
                f"TEST01 accuracy differs by {delta:.2f}% (baseline {base:g}, compliance "
                f"{comp:g}); at most {allowed:g}% is allowed",
                "the SUT must give the same answers in performance and accuracy mode",
            )
            return


# -- systems JSON and measurements -------------------------------------------------------------


def _check_count_field(f: _Findings, path: Path, field: SystemField, value: Any) -> bool:
    """A count field (kind "int"): a JSON integer or a string of digits. False: stop here."""
    name = field.name
    converted = name in INT_COMPUTED_FIELDS
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        f.error(
            "system.wrong-type",
            path,
            f"field {name} is {json.dumps(value)}: it must be a count, e.g. 1",
            f'write it as a number or a string of digits: "{name}": 1',
        )
        return False
    if isinstance(value, (int, float)):
        if value == 0 and field.required:
            f.error(
                "system.wrong-type",
                path,
                f"field {name} is the number 0, which the official checker reads as no answer "
                "(it tests the value's truth)",
                f'write the string "0": "{name}": "0"',
            )
            return False
        if value < 0 or value != int(value):
            f.error(
                "system.not-a-number",
                path,
                f"field {name} is {value}: {field.description}",
                f'write a whole number, e.g. "{name}": {max(int(value), 1)}',
            )
            return False
        return True
    if not isinstance(value, str):
        f.error(
            "system.wrong-type",
            path,
            f"field {name} is {json.dumps(value)}, not a count",
            f'write it as a number: "{name}": 1',
        )
        return False
    if not value.strip() or _COUNT_RE.match(value):
        return True  # an empty value is the meaningful-answer check's to report
    if converted:
        # results.py multiplies number_of_nodes by accelerators_per_node with int(): anything
        # else stops the official checker
        f.error(
            "system.not-a-number",
            path,
            f'field {name} is "{value}", not a count; the official checker computes with it '
            "and stops",
            f'write a whole number, e.g. "{name}": "1" (put details in hw_notes)',
        )
    elif any(ch.isdigit() for ch in value):
        f.warning(
            "system.not-a-number",
            path,
            f'field {name} is "{value}", not a plain count (the results table sorts by it)',
            f'write the number alone, e.g. "{name}": "{next(iter(re.findall(r"[0-9]+", value)))}", '
            "and the details in hw_notes",
        )
    else:
        f.error(
            "system.not-a-number",
            path,
            f'field {name} is "{value}", not a count: {field.description}',
            f'write a whole number, e.g. "{name}": "1"',
        )
    return True


def _check_system(
    f: _Findings,
    path: Path,
    data: Mapping[str, Any],
    *,
    division: str,
    submitter: str,
    round_rules: Round,
) -> None:
    from mlperf_tui.rules.systems import value_allowed
    from mlperf_tui.system import is_generic_cpu_name

    for field in round_rules.system_fields:
        if field.name not in data:
            f.error(
                "system.missing-field",
                path,
                f"field {field.name} is missing ({field.description})",
                f'add "{field.name}": "..." (every one of the {len(round_rules.system_fields)} '
                "fields must be present, empty where allowed)",
            )
            continue
        value = data[field.name]
        if field.kind == "int" and not _check_count_field(f, path, field, value):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if field.kind == "int":
                continue
            if value == 0 and field.required:
                f.error(
                    "system.wrong-type",
                    path,
                    f"field {field.name} is the number 0, which the official checker reads as "
                    "no answer",
                    f'write it as text: "{field.name}": "0"',
                )
            elif field.allowed or field.name in TEXT_ONLY_FIELDS:
                f.error(
                    "system.wrong-type",
                    path,
                    f"field {field.name} is {json.dumps(value)}, not a string: the checkers "
                    "compare or join it as text",
                    f'write it as a string, e.g. "{field.name}": "{value}"',
                )
            else:
                f.warning(
                    "system.wrong-type",
                    path,
                    f"field {field.name} is the number {json.dumps(value)} where the results "
                    "table shows text (the official checker accepts it)",
                    f'write it as text with its unit, e.g. "{field.name}": "{value} ..." '
                    f"({field.description})",
                )
            continue
        if not isinstance(value, str):
            f.error(
                "system.wrong-type",
                path,
                f"field {field.name} is {json.dumps(value)}, not a string",
                f'write it as a string, e.g. "{field.name}": "..."',
            )
            continue
        if field.required and not value.strip():
            f.error(
                "system.empty-field",
                path,
                f"field {field.name} needs a meaningful answer: {field.description}",
                f"answer it in the profile (system: {{{field.name}: ...}}) and rebuild",
            )
            continue
        if field.allowed and value.strip() and not value_allowed(field.name, value):
            f.error(
                "system.invalid-value",
                path,
                f'field {field.name} is "{value}"; allowed: ' + ", ".join(field.allowed),
                f"use one of: {', '.join(field.allowed)}",
            )
        if field.name == "host_processor_model_name" and is_generic_cpu_name(value):
            f.warning(
                "system.generic-cpu-name",
                path,
                f'host_processor_model_name "{value}" names a brand, not a processor model (a '
                "virtual machine often hides the model)",
                "write the exact model as the vendor sells it, e.g. 'Intel(R) Xeon(R) Platinum "
                "8480+' or 'AMD EPYC 9654' (the cloud provider's instance page names it)",
            )
    div = data.get("division")
    if isinstance(div, str) and div.strip() and div.lower() != division.lower():
        f.error(
            "system.division-mismatch",
            path,
            f'the systems JSON says division "{div}", but it lies in {division}/',
            f'set "division": "{division}", or move the submission to {div.lower()}/',
        )
    sub = data.get("submitter")
    if isinstance(sub, str) and sub.strip() and sub.lower() != submitter.lower():
        f.error(
            "system.submitter-mismatch",
            path,
            f'the systems JSON says submitter "{sub}", but the folder is {submitter}/',
            f'set "submitter": "{submitter}" (or rename the folder)',
        )
    if data.get("is_network"):
        # the checker tests the value's truth, so "false" asks for the network fields too
        missing = [name for name in NETWORK_FIELDS if name not in data]
        if missing:
            said = data.get("is_network")
            f.error(
                "system.missing-field",
                path,
                f"is_network is {json.dumps(said)}, so the checker needs the network fields; "
                "missing: " + ", ".join(missing),
                'remove "is_network" unless the system runs over the network (the checker '
                'reads any value, "false" too, as on); otherwise add the fields',
            )
    is_network = _is_network(data)
    if division == Division.CLOSED.value and is_network:
        f.error(
            "system.network-mode",
            path,
            "is_network is true, which the closed division does not allow",
            'remove "is_network" or set it to "false"',
        )
    elif division == Division.NETWORK.value and not is_network:
        f.error(
            "system.network-mode",
            path,
            'the network division needs "is_network": "true" and the network fields',
            'set "is_network": "true" and describe the network, or submit in closed',
        )


def _is_network(data: Mapping[str, Any]) -> bool:
    network = data.get("is_network")
    return network is True or (isinstance(network, str) and network.lower() == "true")


def _measurements_json(f: _Findings, ctx: _Ctx) -> Path | None:
    """The measurements JSON the checker reads for the scenario (None: reported missing)."""
    folder = ctx.measurements_dir
    if ctx.layout.measurements_in_results:
        path = folder / "measurements.json"
        if path.is_file():
            return path
        f.error(
            "tree.missing-file",
            path,
            "measurements.json is missing",
            "rebuild the package; it writes the model's data types and weights file name",
        )
        return None
    if not folder.is_dir():
        f.error(
            "tree.missing-folder",
            folder,
            f"round {ctx.round_rules.version} keeps each scenario's measurements in "
            f"measurements/{ctx.system}/{ctx.bench_folder}/{ctx.scenario}/, which is missing "
            "(the official checker stops on it)"
            + (
                "; the results folder holds a measurements.json, the v6.x place"
                if (ctx.scenario_dir / "measurements.json").is_file()
                else ""
            ),
            f"create it with {ctx.system}_{ctx.scenario}.json, user.conf and README.md",
        )
        return None
    # the checker's get_measurement_path: the first file named <system>..._<scenario>.json,
    # or else <system>...json
    for name in _files(folder):
        if name.startswith(ctx.system) and name.endswith(".json"):
            return folder / name
    f.error(
        "tree.missing-file",
        folder / f"{ctx.system}_{ctx.scenario}.json",
        f"measurements/{ctx.system}/{ctx.bench_folder}/{ctx.scenario}/ has no "
        f"{ctx.system}_{ctx.scenario}.json",
        "write the model's data types and weights file name there",
    )
    return None


def _check_measurements(f: _Findings, ctx: _Ctx, *, endpoints: bool = False) -> None:
    path = _measurements_json(f, ctx)
    if ctx.measurements_dir.is_dir():
        # the endpoints tool has no user.conf (the checker does not ask for one there)
        needed = [n for n in MEASURE_FILES if not (endpoints and n == "user.conf")]
        _require_files(f, ctx.measurements_dir, needed, ctx.scenario)
    if path is None:
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        f.error("measurements.unreadable", path, f"not valid JSON ({exc})", "rebuild the package")
        return
    if not isinstance(data, dict):
        f.error("measurements.unreadable", path, "not a JSON object", "rebuild the package")
        return
    for key in MEASUREMENT_FIELDS:
        if key not in data:
            f.error(
                "measurements.missing-field",
                path,
                f"field {key} is missing",
                f'add "{key}" (the checker requires {", ".join(MEASUREMENT_FIELDS)})',
            )
        elif not data[key]:
            f.error(
                "measurements.empty-field",
                path,
                f"field {key} is empty",
                f'give "{key}" a meaningful value (e.g. "No" for retraining)',
            )
        elif isinstance(data[key], str) and data[key].startswith(NOT_DETERMINED):
            f.warning(
                "measurements.undetermined",
                path,
                f"{key}: {data[key]}",
                f"write the real value of {key} (e.g. fp32, int8)",
            )


# -- endpoints-tool scenario folders (v6.1) ------------------------------------------------------


def _is_endpoints_folder(scenario_dir: Path) -> bool:
    """A scenario folder without LoadGen logs that holds the endpoints tool's files (the
    checker's loader switches to its EndpointsParser when both LoadGen detail logs are absent)."""
    if (scenario_dir / "performance" / "run_1" / "mlperf_log_detail.txt").is_file():
        return False
    if (scenario_dir / "accuracy" / "mlperf_log_detail.txt").is_file():
        return False
    return any((scenario_dir / name).is_file() for name in ENDPOINTS_CONFIGS) or (
        scenario_dir.joinpath(*ENDPOINTS_SUMMARY).is_file()
    )


def _dotted(data: Any, key: str) -> Any:
    """``data["latency"]["early_stopping_percentiles"]["99.0"]`` for "latency.early_...99.0".

    Keys may hold dots themselves ("99.0"): at each level the longest key that matches wins.
    A percentile written "99" also answers "99.0".
    """
    parts = key.split(".")
    node = data
    i = 0
    while i < len(parts):
        if not isinstance(node, dict):
            return None
        for j in range(len(parts), i, -1):
            candidate = ".".join(parts[i:j])
            if candidate in node:
                node = node[candidate]
                i = j
                break
            if candidate.endswith(".0") and candidate[:-2] in node:
                node = node[candidate[:-2]]
                i = j
                break
        else:
            return None
    return node


def _load_structured(f: _Findings, path: Path, what: str) -> dict[str, Any] | None:
    import yaml

    if not path.is_file():
        f.error(
            "endpoints.unreadable",
            path,
            f"{what}: {path.name} is missing",
            "copy the endpoints tool's output of this run here (config.yaml at the scenario "
            "folder, performance/result_summary.json, accuracy/accuracy_results.json)",
        )
        return None
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        f.error(
            "endpoints.unreadable", path, f"{path.name} cannot be read ({exc})", "copy it again"
        )
        return None
    if not isinstance(data, dict):
        f.error("endpoints.unreadable", path, f"{path.name} is not a mapping", "copy it again")
        return None
    return data


def _endpoints_scores(score: Any, targets: tuple[Any, ...]) -> dict[str, float | None]:
    """The target metrics an endpoints accuracy score holds: a number (or a numeric string) is
    the first target's; a mapping names its metrics ("rouge1", "ROUGE1", ...; "score" or
    "accuracy" for the first target)."""
    if not targets:
        return {}
    first = targets[0].metric
    if not isinstance(score, dict):
        return {first: _as_float(score)}
    found: dict[str, float | None] = {}
    for i, target in enumerate(targets):
        metric = target.metric
        keys = [metric, metric.lower(), metric.split("_")[-1].lower()]
        if i == 0:
            keys += ["score", "accuracy", "f1"]
        value = next((_as_float(score[k]) for k in keys if k in score), None)
        if value is not None:
            found[metric] = value
    return found or {first: None}


def _check_endpoints(f: _Findings, ctx: _Ctx) -> None:
    """A scenario folder from the MLCommons endpoints tool (the checker's EndpointsParser path)."""
    folder = ctx.scenario_dir
    bench, round_rules = ctx.bench, ctx.round_rules
    if not ctx.layout.endpoints:
        f.error(
            "endpoints.not-allowed",
            folder,
            f"this folder holds endpoints-tool results, which the {round_rules.version} checker "
            "does not read (it needs LoadGen's logs in performance/run_1 and accuracy/)",
            "run the benchmark under LoadGen, or submit to a round that accepts endpoints "
            "results (v6.1)",
        )
        return
    if not bench.endpoints_allowed:
        allowed = ", ".join(b.name for b in round_rules.benchmarks.values() if b.endpoints_allowed)
        f.error(
            "endpoints.not-allowed",
            folder,
            f"{bench.name} may not be submitted through the endpoints tool in "
            f"{round_rules.version} (allowed: {allowed})",
            "run it under LoadGen and submit its LoadGen logs",
        )
    config_path = next(
        (folder / n for n in ENDPOINTS_CONFIGS if (folder / n).is_file()),
        folder / ENDPOINTS_CONFIGS[0],
    )
    config = _load_structured(f, config_path, "endpoints run")
    summary = _load_structured(f, folder.joinpath(*ENDPOINTS_SUMMARY), "endpoints performance")
    accuracy = _load_structured(f, folder.joinpath(*ENDPOINTS_ACCURACY), "endpoints accuracy")
    fixed = _scenario(ctx.scenario)
    perf_path = folder.joinpath(*ENDPOINTS_SUMMARY)
    if config is not None:
        kind = str(config.get("type") or "").lower()
        expected = ENDPOINTS_TYPES.get(fixed, ()) if fixed is not None else ()
        # a SingleStream (or MultiStream) folder is taken for its own scenario (the checker's
        # map_endpoints_scenario)
        if expected and kind not in expected:
            f.error(
                "log.scenario-mismatch",
                config_path,
                f'config.yaml says type "{kind or "?"}", which is no {ctx.scenario} run',
                f"put the {ctx.scenario} run here (type: {expected[0]})",
            )
        runtime = _dotted(config, "settings.runtime") or {}
        seeds = {
            "sample_index_rng_seed": _dotted(runtime, "dataloader_random_seed"),
            "schedule_rng_seed": _dotted(runtime, "scheduler_random_seed"),
        }
        # the endpoints tool has no QSL seed
        _check_seed_values(
            f,
            config_path,
            seeds,
            round_rules,
            "set settings.runtime.dataloader_random_seed / scheduler_random_seed to the round's "
            "sample-index and schedule seeds (LoadGen's mlperf.conf of the round)",
        )
        if not bench.single_pass:
            duration = _as_int(_dotted(runtime, "min_duration_ms"))
            if duration is None or duration < round_rules.min_duration_ms:
                f.error(
                    "log.min-duration",
                    config_path,
                    f"settings.runtime.min_duration_ms is {duration}, the rules need "
                    f"{round_rules.min_duration_ms} ms",
                    f"set settings.runtime.min_duration_ms: {round_rules.min_duration_ms}",
                )
    if summary is not None:
        failed = _as_int(_dotted(summary, "result.failed"))
        if failed is None:
            failed = _as_int(summary.get("n_samples_failed"))
        if failed:
            f.error(
                "endpoints.failed-samples",
                perf_path,
                f"{failed} samples failed in this run",
                "find why the server refused or dropped them, and run again",
            )
        if bench.llm and fixed in (Scenario.SERVER, Scenario.INTERACTIVE):
            _check_endpoints_tokens(f, perf_path, summary, ctx, fixed)
        elif fixed is not None:
            bound = bench.latency_bound_ns.get(fixed)
            p99 = _as_float(_dotted(summary, "latency.early_stopping_percentiles.99.0"))
            if bound and (p99 is None or p99 > bound):
                f.error(
                    "log.latency-bound",
                    perf_path,
                    f"99th percentile latency {p99} ns is above the {ctx.scenario} bound {bound} ns"
                    if p99 is not None
                    else "result_summary.json has no early-stopping 99th percentile latency",
                    "lower the target QPS until the 99th percentile meets the bound",
                )
        latency_result = fixed in (Scenario.SINGLE_STREAM, Scenario.MULTI_STREAM)
        if latency_result:
            has_metric = _as_float(_dotted(summary, "latency.avg")) is not None
        else:
            # the parser derives the QPS from the samples issued over the duration when the
            # summary has none
            has_metric = _as_float(summary.get("qps")) is not None or bool(
                _as_float(summary.get("duration_ns")) and _as_float(summary.get("n_samples_issued"))
            )
        if not has_metric:
            f.error(
                "log.metric-missing",
                perf_path,
                "result_summary.json has no "
                + (
                    "latency.avg"
                    if latency_result
                    else "qps (nor n_samples_issued and duration_ns)"
                )
                + f", the {ctx.scenario} result the checker reads",
                "copy the complete result_summary.json of a finished run",
            )
    if accuracy is not None:
        _check_endpoints_accuracy(f, folder.joinpath(*ENDPOINTS_ACCURACY), accuracy, ctx)
    _check_measurements(f, ctx, endpoints=True)
    if ctx.strict:
        _check_endpoints_compliance(f, ctx)


def _check_endpoints_tokens(
    f: _Findings, path: Path, summary: Mapping[str, Any], ctx: _Ctx, fixed: Scenario
) -> None:
    ttft_limit = ctx.bench.ttft_ns.get(fixed)
    tpot_limit = ctx.bench.tpot_ns.get(fixed)
    ttft = _as_float(_dotted(summary, "ttft.early_stopping_percentiles.99.0"))
    tpot = _as_float(_dotted(summary, "tpot.early_stopping_percentiles.99.0"))
    if ttft_limit is None or tpot_limit is None:
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"the rules have no TTFT/TPOT limits for {ctx.bench.name} {fixed.value}",
            "submit the scenarios the round defines limits for",
        )
    elif ttft is None or tpot is None:
        f.error(
            "log.token-latencies",
            path,
            "result_summary.json has no early-stopping 99th-percentile TTFT/TPOT",
            "run with streaming on, so the tool measures the first token and each token after",
        )
    elif ttft >= ttft_limit or tpot >= tpot_limit:
        f.error(
            "log.ttft-tpot-bound",
            path,
            f"TTFT p99 {ttft / 1e6:g} ms / TPOT p99 {tpot / 1e6:g} ms; the {fixed.value} limits "
            f"are {ttft_limit / 1e6:g} ms / {tpot_limit / 1e6:g} ms",
            "lower the target QPS until both are under the limits",
        )


def _check_endpoints_accuracy(
    f: _Findings, path: Path, accuracy: Mapping[str, Any], ctx: _Ctx
) -> None:
    scores = accuracy.get("accuracy_scores")
    entries = [s for s in scores if isinstance(s, dict)] if isinstance(scores, list) else []
    score_values = [s.get("score") for s in entries if s.get("score") is not None]
    if not score_values:
        f.error(
            "endpoints.accuracy-missing",
            path,
            "accuracy_results.json has no accuracy_scores[].score",
            "run the accuracy dataset of the config (type: accuracy) to the end",
        )
        return
    counts = []
    for entry in entries:
        if entry.get("dataset_type") not in (None, "accuracy"):
            continue
        count = _as_int(entry.get("total_samples"))
        if count is None:
            count = _as_int(_dotted(entry, "response_counts.issued"))
        if count is not None:
            counts.append(count)
    _check_dataset_size(f, path, sum(counts) if counts else None, ctx)
    targets = ctx.bench.accuracy_for(ctx.scenario)
    # the checker compares an endpoints score with the target only for qwen3-vl; we compare
    # every metric the score names (stricter)
    values = _endpoints_scores(score_values[0], targets)
    if all(v is None for v in values.values()):
        f.warning(
            "accuracy.metric-missing",
            path,
            f"mlperf-tui cannot read the score {json.dumps(score_values[0])[:80]} as "
            f"{targets[0].metric}",
            "check the accuracy by hand against the rules' target",
        )
        return
    _check_accuracy_values(f, path, values, ctx, readable=True, only=set(values))


def _check_endpoints_compliance(f: _Findings, ctx: _Ctx) -> None:
    """The checker's compliance_endpoints_check: audit/audit_<test>.json for the tests it maps."""
    audit_dir = ctx.compliance_dir / "audit"
    for test in rules.compliance_tests(ctx.bench, ctx.division):
        name = ENDPOINTS_AUDITS.get(test)
        if name is None:
            continue
        path = audit_dir / f"audit_{name}.json"
        if not path.is_file():
            # the checker requires only TEST04's audit (output caching)
            if test == "TEST04":
                f.error(
                    "compliance.missing-file",
                    path,
                    f"{test} ({name}) needs {path.name} in audit/",
                    "run the endpoints tool's audit for it and copy the file here",
                )
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            f.error(
                "compliance.failed", path, f"{path.name} cannot be read ({exc})", "copy it again"
            )
            continue
        if not isinstance(data, dict) or data.get("test") != name or not data.get("passed"):
            f.error(
                "compliance.failed",
                path,
                f"{test}: {path.name} does not record a passed {name}",
                f"run the {name} audit again until it passes",
            )


# -- the tree --------------------------------------------------------------------------------


def _model_of(
    name: str, mapping: Mapping[str, str], division: str, round_rules: Round
) -> tuple[Benchmark | None, bool]:
    """The benchmark a model folder is, as the checker's get_mlperf_model finds it, and whether
    it found it only by guessing from the name."""
    by_checker = {b.checker_model: b for b in round_rules.benchmarks.values()}
    if name in by_checker:
        return by_checker[name], False
    mapped = round_rules.model_mapping.get(name)
    if mapped in by_checker:
        return by_checker[mapped], False
    if division == Division.OPEN.value:
        # the checker reads model_mapping.json in the open division only
        mapped = mapping.get(name)
        if mapped in by_checker:
            return by_checker[mapped], False
    for fragment, model in NAME_GUESSES:
        if fragment in name:
            guessed = round_rules.model_mapping.get(model, model)
            return by_checker.get(guessed), guessed in by_checker
    return None, False


def _category_of(system_type: str) -> list[Category]:
    parts = [p.strip().lower() for p in system_type.split(",")]
    return [c for c in Category if c.value in parts]


def _check_benchmark(
    f: _Findings,
    bench_dir: Path,
    *,
    base: Path,
    bench: Benchmark,
    division: str,
    system_type: str,
    is_network: bool,
    round_rules: Round,
) -> None:
    scenario_names = {s.value: s for s in Scenario}
    lower = {s.value.lower(): s.value for s in Scenario}
    found: list[str] = []
    for scenario_dir in _dirs(bench_dir):
        name = scenario_dir.name
        if name not in scenario_names:
            right = lower.get(name.lower())
            f.error(
                "tree.unknown-scenario",
                scenario_dir,
                f'"{name}" is not a scenario folder name'
                + (f' (the checker wants "{right}")' if right else ""),
                f"rename it to {right}" if right else "use " + ", ".join(scenario_names),
            )
            continue
        found.append(name)
    if not found:
        f.error(
            "tree.no-results",
            bench_dir,
            f"{bench_dir.name} holds no scenario",
            "rebuild the package from finished runs",
        )
    if division in _STRICT_DIVISIONS:
        categories = _category_of(system_type)
        if len(categories) == 1:
            try:
                required = {s.value for s in rules.required_scenarios(bench, categories[0])}
                allowed = {
                    s.value for s in rules.allowed_scenarios(bench, categories[0], Division.CLOSED)
                }
                one_of = {s.value for s in rules.required_one_of(bench, categories[0])}
            except MlperfTuiError as exc:
                f.error("tree.benchmark-not-in-category", bench_dir, exc.message, exc.fix)
                required, allowed, one_of = set(), set(found), set()
        elif len(categories) == 2:
            required = {s.value for s in bench.required_scenarios_datacenter_edge}
            optional = {s.value for s in bench.optional_scenarios_datacenter_edge}
            allowed = required | optional
            one_of = optional if {"Server", "Interactive"} <= optional else set()
        else:
            required, allowed, one_of = set(), set(scenario_names), set()
        missing = sorted(required - set(found))
        if missing:
            f.error(
                "tree.missing-scenario",
                bench_dir,
                f"the {division} division requires {', '.join(sorted(required))} for "
                f"{bench.name} ({system_type}); missing: {', '.join(missing)}",
                "add the missing scenarios to the profile (or infer them from SingleStream on "
                "edge) and run again",
            )
        if one_of and not one_of & set(found):
            f.error(
                "tree.missing-scenario",
                bench_dir,
                f"the {division} division requires one of {' or '.join(sorted(one_of))} for "
                f"{bench.name} ({system_type})",
                "add one of them to the profile and run again",
            )
        for name in sorted(set(found) - allowed):
            f.error(
                "tree.scenario-not-allowed",
                bench_dir / name,
                f"{name} is not a scenario of {bench.name} for {system_type} systems",
                f"remove {name}/",
            )
    layout = layout_of(round_rules)
    for name in found:
        ctx = _Ctx(
            base=base,
            division=division,
            system=bench_dir.parent.name,
            system_type=system_type,
            is_network=is_network,
            bench_folder=bench_dir.name,
            bench=bench,
            scenario=name,
            round_rules=round_rules,
            layout=layout,
        )
        _guarded(f, ctx.scenario_dir, _check_scenario, f, ctx)


def _extra_files(f: _Findings, folder: Path, expected: Iterable[str], what: str, fix: str) -> None:
    """Files beyond an exact list (the legacy checker's files_diff; it tolerates LoadGen's
    trace, results.json and .gitkeep, and the modular checker does not look)."""
    extra = sorted(set(_files(folder)) - set(expected) - set(TOLERATED_FILES))
    if extra:
        f.error(
            "tree.extra-file",
            folder,
            f"unexpected files in {what}: "
            + ", ".join(extra)
            + " (the legacy checker wants its exact file list there)",
            fix,
        )


def _check_run_files(f: _Findings, run_dir: Path, power: bool) -> list[str]:
    """performance/run_1's file list (the checker's files_diff, its tolerated files included)."""
    needed = PERFORMANCE_FILES + (POWER_RUN_FILES if power else ())
    present = _require_files(f, run_dir, needed, "performance run")
    _extra_files(
        f,
        run_dir,
        (*needed, *OPTIONAL_PERFORMANCE_FILES),
        "performance/run_1",
        "keep only LoadGen's logs there",
    )
    return present


def _check_power(f: _Findings, performance_dir: Path) -> None:
    """A power submission: the power and ranging folders' file lists (not their figures: the
    Power WG's own checker judges those)."""
    power_dir = performance_dir / "power"
    _require_files(f, power_dir, POWER_FILES, "power measurement")
    ranging = performance_dir / "ranging"
    if not ranging.is_dir():
        f.error(
            "tree.missing-folder",
            ranging,
            "a power submission needs performance/ranging (the ranging run's logs)",
            "copy the ranging run's mlperf_log_summary.txt, mlperf_log_detail.txt and spl.txt",
        )
    else:
        _require_files(f, ranging, PERFORMANCE_FILES + POWER_RUN_FILES, "ranging run")


def _check_scenario(f: _Findings, ctx: _Ctx) -> None:
    scenario_dir = ctx.scenario_dir
    if _is_endpoints_folder(scenario_dir):
        _check_endpoints(f, ctx)
        return
    performance_dir = scenario_dir / "performance"
    run_dir = performance_dir / "run_1"
    power = (performance_dir / "power").is_dir()
    if not run_dir.is_dir():
        f.error(
            "tree.missing-folder",
            run_dir,
            f"{ctx.scenario} has no performance/run_1 folder",
            "run the scenario in performance mode and rebuild the package",
        )
    else:
        present = _check_run_files(f, run_dir, power)
        if "mlperf_log_detail.txt" in present:
            _check_performance_log(f, run_dir, ctx)
    if power:
        _check_power(f, performance_dir)
    acc_dir = scenario_dir / "accuracy"
    if not acc_dir.is_dir():
        f.error(
            "tree.missing-folder",
            acc_dir,
            f"{ctx.scenario} has no accuracy folder",
            "run the scenario in accuracy mode and rebuild the package",
        )
    else:
        _check_accuracy(f, acc_dir, ctx)
    _check_measurements(f, ctx)
    if ctx.strict:
        _check_compliance(f, ctx)


def _check_repository(f: _Findings, root: Path, divisions: list[Path]) -> None:
    """What the results repository refuses (repository_checks.sh) and the legacy checker's
    folder checks: links, hidden names, spaces, __pycache__, empty folders, stray files."""
    for name in _files(root):
        if not name.startswith(".") and not name.endswith(ROOT_FILE_SUFFIXES):
            f.error(
                "tree.extra-file",
                root / name,
                f"{name} lies at the package root, where the legacy checker allows only "
                "README.md and PDF files",
                f"move {name} into a submitter folder, or remove it",
            )
    for division_dir in divisions:
        for name in _files(division_dir):
            f.error(
                "tree.extra-file",
                division_dir / name,
                f"{name} lies in {division_dir.name}/ outside any submitter folder",
                f"move it into {division_dir.name}/<submitter>/, or remove it",
            )
        for top, dirnames, filenames in os.walk(division_dir):
            here = Path(top)
            kept = []
            for name in sorted(dirnames):
                path = here / name
                if _bad_entry(f, path, name, folder=True):
                    continue
                if name == "__pycache__":
                    f.error(
                        "tree.extra-file",
                        path,
                        "a __pycache__ folder (compiled Python) is in the package",
                        "remove it; publish the source only",
                    )
                    continue
                try:
                    empty = not any(path.iterdir())
                except OSError:
                    empty = False
                if empty:
                    f.error(
                        "tree.empty-folder",
                        path,
                        f"{name}/ is empty; the legacy checker refuses empty folders",
                        "remove it, or put in it what belongs there",
                    )
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                _bad_entry(f, here / name, name, folder=False)


def _bad_entry(f: _Findings, path: Path, name: str, *, folder: bool) -> bool:
    """A link, a hidden name or a name with a space; True: do not look inside."""
    what = "folder" if folder else "file"
    if path.is_symlink():
        f.error(
            "tree.symlink",
            path,
            f"{name} is a symbolic link"
            + ("" if path.exists() else " to nothing")
            + "; the results repository refuses links",
            "replace the link with a copy of what it points to",
        )
        return True
    if name.startswith("."):
        f.error(
            "tree.bad-name",
            path,
            f"the {what} {name} has a hidden name (starting with a dot), which the results "
            "repository refuses",
            "remove it or rename it without the leading dot",
        )
        return True
    if " " in name:
        f.error(
            "tree.bad-name",
            path,
            f'the {what} name "{name}" has a space, which the results repository refuses',
            f"rename it, e.g. {name.replace(' ', '_')}",
        )
    return False


def _check_calibration(f: _Findings, base: Path, division: str, round_rules: Round) -> None:
    if division not in _STRICT_DIVISIONS or not layout_of(round_rules).calibration_doc:
        return
    if (base / CALIBRATION_DOC).is_file() or (base / "documentation" / CALIBRATION_DOC).is_file():
        return
    # the modular checker does not ask for it; the legacy one and the rules do
    f.error(
        "tree.missing-file",
        base / CALIBRATION_DOC,
        f"{base.name}/ has no calibration.md (nor documentation/calibration.md), which the "
        "legacy checker requires in the closed division",
        "write calibration.md: how the weights were quantized and calibrated (with the "
        "benchmark's calibration set), or that no quantization was used",
    )


def _large_files(f: _Findings, root: Path, round_rules: Round) -> None:
    for path in root.rglob("*"):
        try:
            if path.is_file() and path.stat().st_size > round_rules.max_file_bytes:
                f.error(
                    "tree.file-too-large",
                    path,
                    f"{path.name} is {path.stat().st_size} bytes; the checker allows "
                    f"{round_rules.max_file_bytes}",
                    "truncate or remove it",
                )
        except OSError:
            continue


def _read_model_mapping(f: _Findings, base: Path, round_rules: Round) -> dict[str, str]:
    mapping: dict[str, str] = {}
    mapping_path = base / "model_mapping.json"
    if not mapping_path.is_file():
        return mapping
    try:
        raw = json.loads(mapping_path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        mapping = {str(k): str(v) for k, v in raw.items()}
    except (OSError, ValueError) as exc:
        f.error(
            "tree.bad-model-mapping",
            mapping_path,
            f"model_mapping.json cannot be read ({exc})",
            'write {"<your model folder>": "<checker model, e.g. resnet>"}',
        )
    known = {b.checker_model for b in round_rules.benchmarks.values()}
    for name, target in mapping.items():
        if target not in known and round_rules.model_mapping.get(target) not in known:
            f.error(
                "tree.bad-model-mapping",
                mapping_path,
                f'"{name}" maps to "{target}", which is no benchmark of {round_rules.version}',
                "map it to one of: " + ", ".join(sorted(known)),
            )
    return mapping


def _read_system(
    f: _Findings, system_json: Path, *, division: str, submitter: str, round_rules: Round
) -> dict[str, Any]:
    system = system_json.stem
    if not system_json.is_file():
        f.error(
            "tree.missing-file",
            system_json,
            f"results/{system} has no systems/{system}.json",
            "rebuild the package; it writes the system description",
        )
        return {}
    try:
        data = json.loads(system_json.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        f.error(
            "system.unreadable",
            system_json,
            f"the systems JSON cannot be read ({exc})",
            "rebuild the package",
        )
        return {}
    if data:
        _check_system(
            f, system_json, data, division=division, submitter=submitter, round_rules=round_rules
        )
    return data


def _check_submitter(f: _Findings, base: Path, division: str, round_rules: Round) -> None:
    submitter = base.name
    layout = layout_of(round_rules)
    if not _NAME_RE.match(submitter):
        f.error(
            "tree.bad-name",
            base,
            f'submitter folder "{submitter}" has characters the checker does not accept',
            "use letters, digits and . _ + - only",
        )
    code = layout.code_folder
    for needed in ("systems", code, "results"):
        if not (base / needed).is_dir():
            other = "src" if code == "code" else "code"
            hint = (
                f" (round {round_rules.version} names it {code}/; this tree has {other}/)"
                if needed == code and (base / other).is_dir()
                else ""
            )
            f.error(
                "tree.missing-folder",
                base / needed,
                f"{division}/{submitter} has no {needed}/ folder{hint}",
                f"rename {other}/ to {code}/"
                if hint
                else "rebuild the package with `mlperf-tui package RESULTS --out DIR`",
            )
    src = base / code
    if src.is_dir() and not any(src.iterdir()):
        f.error(
            "tree.missing-file",
            src,
            f"{code}/ is empty: the code that produced the results must be published",
            "rebuild the package (it copies the harness source)",
        )
    mapping = _read_model_mapping(f, base, round_rules)
    results = base / "results"
    systems_dir = base / "systems"
    if not results.is_dir():
        return
    system_dirs = _dirs(results)
    if not system_dirs:
        f.error("tree.no-results", results, "results/ holds no system", "rebuild the package")
    used = set()
    for system_dir in system_dirs:
        system = system_dir.name
        used.add(system)
        if not _NAME_RE.match(system):
            f.error(
                "tree.bad-name",
                system_dir,
                f'system folder "{system}" has characters the checker does not accept',
                "use letters, digits and . _ + - only",
            )
        data = _read_system(
            f,
            systems_dir / f"{system}.json",
            division=division,
            submitter=submitter,
            round_rules=round_rules,
        )
        st = data.get("system_type")
        system_type = st if isinstance(st, str) else ""
        bench_dirs = _dirs(system_dir)
        if not bench_dirs:
            f.error("tree.no-results", system_dir, f"{system} holds no benchmark", "rebuild")
        for bench_dir in bench_dirs:
            bench, guessed = _model_of(bench_dir.name, mapping, division, round_rules)
            if bench is None:
                f.error(
                    "tree.unknown-benchmark",
                    bench_dir,
                    f'"{bench_dir.name}" is not a benchmark of {round_rules.version}'
                    + (" (nor mapped in model_mapping.json)" if division == "open" else ""),
                    "name the folder after the checker's model (e.g. resnet)"
                    + (", or map it in model_mapping.json" if division == "open" else ""),
                )
                continue
            if guessed:
                f.notice(
                    "tree.guessed-benchmark",
                    bench_dir,
                    f'the official checker takes "{bench_dir.name}" for {bench.checker_model} '
                    "only by guessing from the folder's name",
                    f"name the folder {bench.checker_model}"
                    + (
                        f', or map it in model_mapping.json ("{bench_dir.name}": '
                        f'"{bench.checker_model}")'
                        if division == "open"
                        else ""
                    ),
                )
            _check_benchmark(
                f,
                bench_dir,
                base=base,
                bench=bench,
                division=division,
                system_type=system_type,
                is_network=_is_network(data),
                round_rules=round_rules,
            )
    if systems_dir.is_dir():
        for extra in sorted(systems_dir.glob("*.json")):
            if extra.stem not in used:
                # the legacy checker refuses it ("systems has the following files with no
                # results"); the modular one does not look
                f.error(
                    "tree.unused-system",
                    extra,
                    f"systems/{extra.name} has no results",
                    "remove it, or add its results",
                )


# -- test execution and synthetic assets -----------------------------------------------------


def _fold_not_submittable(f: _Findings, root: Path) -> None:
    from mlperf_tui.package import NOT_SUBMITTABLE_MARK, package_info

    info = package_info(root)
    test = info is not None and info.execution not in ("", "valid")
    synthetic = info is not None and info.synthetic
    marked = False
    for system_json in root.glob("*/*/systems/*.json"):
        try:
            data = json.loads(system_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        notes = data.get("sw_notes") if isinstance(data, dict) else None
        if isinstance(notes, str) and notes.startswith(NOT_SUBMITTABLE_MARK):
            marked = True
            test = test or "test execution" in notes
            synthetic = synthetic or "synthetic assets" in notes
    if not (test or synthetic or marked):
        return
    kept: list[CheckResult] = []
    test_items: list[CheckResult] = []
    synthetic_items: list[CheckResult] = []
    for item in f.items:
        if test and item.id in _TEST_EXPLAINED:
            test_items.append(item)
        elif synthetic and item.id in _SYNTHETIC_EXPLAINED:
            synthetic_items.append(item)
        else:
            kept.append(item)
    f.items = kept
    where = f"{info.division}/{info.submitter}/src" if info else ""
    if test:
        broken = sorted({i.message for i in test_items})
        detail = (" It breaks these rules: " + "; ".join(broken) + ".") if broken else ""
        f.error(
            "package.test-execution",
            where,
            "not submittable: built from runs in test execution (short runs for trying things, "
            "not the rules' settings)." + detail,
            "set execution: valid in the profile, run it again and rebuild the package",
        )
    if synthetic:
        broken = sorted({i.message for i in synthetic_items})
        detail = (" " + "; ".join(broken) + ".") if broken else ""
        f.error(
            "package.synthetic-assets",
            where,
            "not submittable: built from synthetic assets (a generated stand-in model with "
            "random weights and/or a generated data set), so its accuracy means nothing." + detail,
            "point the profile's assets at the real model (e.g. MLCommons resnet50_v1.onnx) and "
            "the real data set, run again and rebuild",
        )


# -- entry points ----------------------------------------------------------------------------


def _guarded(f: _Findings, where: Path, check: Callable[..., None], *args: Any) -> None:
    """Run one group of checks; a tree broken in a way no check foresaw is a finding, too."""
    try:
        check(*args)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        f.error(
            "internal.check-failed",
            where,
            f"mlperf-tui could not finish checking this folder ({type(exc).__name__}: {exc})",
            "look for unreadable or odd files here; please report it with `mlperf-tui check "
            "--debug` output if the tree looks right",
        )


def validate(
    package_dir: Path | str,
    *,
    version: str = rules.DEFAULT_ROUND,
    rules_round: Round | None = None,
) -> list[CheckResult]:
    """Every finding about the package at ``package_dir`` (the folder holding closed/ or open/).

    ``rules_round`` replaces the round's rules (tests use it); by default ``version``'s.
    Never raises for a broken tree: a missing folder or unreadable file is a finding.
    """
    root = Path(package_dir)
    f = _Findings(root)
    try:
        round_rules = rules_round or rules.get_round(version)
    except MlperfTuiError as exc:
        f.error("tree.missing-folder", "", exc.message, exc.fix)
        return f.items
    if not root.is_dir():
        f.error(
            "tree.missing-folder",
            root,
            f"{root} does not exist or is not a folder",
            "give the folder `mlperf-tui package --out` wrote (it holds closed/ or open/)",
        )
        return f.items
    divisions = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and entry.name in DIVISIONS:
            divisions.append(entry)
        elif entry.is_dir():
            right = entry.name.lower() if entry.name.lower() in DIVISIONS else None
            f.error(
                "tree.unknown-division",
                entry,
                f'"{entry.name}" is not a division folder; the checker ignores it'
                + (f' (did you mean "{right}"?)' if right else ""),
                f"rename it to {right}" if right else "use closed/ or open/",
            )
    if not divisions:
        f.error(
            "tree.missing-folder",
            root,
            "the package has no closed/ or open/ folder",
            "give the folder `mlperf-tui package --out` wrote",
        )
        return f.items
    for division_dir in divisions:
        submitters = _dirs(division_dir)
        if not submitters:
            f.error(
                "tree.missing-folder",
                division_dir,
                f"{division_dir.name}/ holds no submitter folder",
                "rebuild the package",
            )
        for base in submitters:
            _guarded(f, base, _check_submitter, f, base, division_dir.name, round_rules)
            _guarded(f, base, _check_calibration, f, base, division_dir.name, round_rules)
    _guarded(f, root, _check_repository, f, root, divisions)
    _guarded(f, root, _large_files, f, root, round_rules)
    _guarded(f, root, _fold_not_submittable, f, root)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(f.items, key=lambda r: (order[r.severity], r.path, r.id))


def errors(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The findings of severity error."""
    return [r for r in results if r.severity == "error"]


NOT_SUBMITTABLE_IDS = frozenset({"package.test-execution", "package.synthetic-assets"})


def tree_complete(results: Iterable[CheckResult]) -> bool:
    """No error besides "not submittable" ones: the tree itself is complete and consistent."""
    return all(r.severity != "error" or r.id in NOT_SUBMITTABLE_IDS for r in results)


def to_json(results: Iterable[CheckResult]) -> str:
    """The findings as a JSON document (``check --json``)."""
    items = [r.to_dict() for r in results]
    counts = {s: sum(1 for r in items if r["severity"] == s) for s in SEVERITIES}
    return json.dumps({"ok": counts["error"] == 0, "counts": counts, "results": items}, indent=2)
