"""Check a submission package: structured findings, stricter than the official checker.

``validate(package_dir)`` returns a list of :class:`CheckResult` (id, severity, path, message,
fix). It covers what the official v6.1 submission checker checks (mlcommons/inference,
tools/submission/submission_checker: loader.py and checks/*.py) and is stricter where that one is
weak: a run LoadGen marked INVALID is an error, any LoadGen error in any log is an error, a
missing folder or an unreadable file is a finding (never a crash), and a package built in
``test`` execution or from synthetic assets says precisely why it cannot be submitted.

Severities: ``error`` (the package must not be submitted as it is), ``warning`` (probably
wrong, or the official checker's stricter reading differs), ``notice`` (for information).

Check ids (stable; tests and the checklist rely on them):

tree.*          the folder layout
  tree.missing-folder       a folder the checker needs is missing (package, division, systems,
                            src, results, performance/run_1, accuracy)
  tree.missing-file         a file the checker needs is missing
  tree.empty-file           a required file is empty
  tree.extra-file           a file where the checker wants an exact file list
  tree.unknown-division     a top-level folder that is no division (e.g. "Closed")
  tree.bad-name             a submitter or system folder name with characters the checker's
                            paths and the results table do not accept
  tree.no-results           results/ holds no system, or a system holds no benchmark
  tree.unused-system        a systems JSON with no results
  tree.unknown-benchmark    a model folder that is no benchmark of the round (and, in open, not
                            mapped in model_mapping.json)
  tree.bad-model-mapping    model_mapping.json is unreadable or maps to an unknown model
  tree.unknown-scenario     a scenario folder with a wrong name (case included)
  tree.missing-scenario     closed: a scenario the rules require for the system's category
  tree.scenario-not-allowed closed: a scenario the benchmark does not have in that category
  tree.benchmark-not-in-category  closed: the benchmark is not in the system_type's suite
  tree.file-too-large       a file over the checker's size limit
system.*        <division>/<submitter>/systems/<system>.json
  system.unreadable, system.missing-field, system.empty-field (one of the 26 that need a
  meaningful answer), system.wrong-type (not a string: the checker compares strings),
  system.invalid-value (status, system_type), system.division-mismatch,
  system.submitter-mismatch, system.network-mode (closed: is_network must be false)
measurements.*  measurements.json of each scenario
  measurements.unreadable, measurements.missing-field, measurements.empty-field,
  measurements.undetermined (a value mlperf-tui could not determine; warning)
log.*           LoadGen detail and summary logs (performance, accuracy, compliance)
  log.unreadable            not a LoadGen log, or a truncated one
  log.loadgen-error         LoadGen logged an error
  log.invalid-run           LoadGen marked the run INVALID (or the summary says so)
  log.mode-mismatch         an accuracy log in performance/ or the reverse
  log.scenario-mismatch     the log's scenario is not the folder's, and not an allowed inference
  log.inference-not-allowed a scenario inferred on a system that is not edge
  log.inferred-estimate-missing  MultiStream inferred from a SingleStream run without the
                            99th-percentile early-stopping estimate the checker reads
  log.seed-mismatch         seeds other than the round's
  log.performance-sample-count, log.min-duration, log.min-queries, log.offline-min-samples,
  log.early-stopping, log.latency-bound, log.metric-missing
accuracy.*      accuracy/
  accuracy.hash-missing, accuracy.hash-mismatch, accuracy.log-too-large,
  accuracy.metric-missing, accuracy.below-target, accuracy.above-limit,
  accuracy.dataset-size (the accuracy run did not cover the whole data set)
compliance.*    closed: TEST01, TEST04, ...
  compliance.missing-test, compliance.missing-file, compliance.failed, compliance.file-list
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
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from harness.loadgen_logs import SCENARIO_METRICS, DetailLog, parse_detail_text
from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.model import Benchmark, Category, Division, Round, Scenario

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


# -- facts of the official checker (constants.py), kept where the rules model has no place ------

DIVISIONS = tuple(d.value for d in Division)
PERFORMANCE_FILES = ("mlperf_log_summary.txt", "mlperf_log_detail.txt")
OPTIONAL_PERFORMANCE_FILES = ("mlperf_log_accuracy.json",)
ACCURACY_FILES = (
    "mlperf_log_summary.txt",
    "mlperf_log_detail.txt",
    "accuracy.txt",
    "mlperf_log_accuracy.json",
)
MEASURE_FILES = ("user.conf", "README.md")
MEASUREMENT_FIELDS = (
    "input_data_types",
    "retraining",
    "starting_weights_filename",
    "weight_data_types",
    "weight_transformations",
)
TEST01_ACCURACY_FILES = (
    "mlperf_log_accuracy.json",
    "accuracy.txt",
    "baseline_accuracy.txt",
    "compliance_accuracy.txt",
)
PASS_LINE = "TEST PASS"
NOT_DETERMINED = "not determined"

#: accuracy.txt patterns per metric (the checker's ACC_PATTERN, same matches)
ACCURACY_PATTERNS: Mapping[str, str] = {
    "acc": r"^(?:\{\"accuracy|accuracy)[\": ]*=?\s*([\d\.]+).*",
    "mAP": r".*(?:mAP=|'Total':)\s*([\d.]+)",
    "AUC": r"^AUC=([\d\.]+).*",
    "F1": r"^{[\"\']exact_match[\"\']\:\s*[\d\.]+,\s*[\"\']f1[\"\']\:\s*([\d\.]+)}",
    "DICE": r"Accuracy\:\s*mean\s*=\s*([\d\.]+).*",
    "ACCURACY": r"Word Error Rate\:.*, accuracy=([0-9\.]+)%",
    "ROUGE1": r".*'rouge1':\s+'?([\d.]+)'?.*",
    "ROUGE2": r".*'rouge2':\s+'?([\d.]+)'?.*",
    "ROUGEL": r".*'rougeL':\s+'?([\d.]+)'?.*",
    "ROUGELSUM": r".*'rougeLsum':\s+'?([\d.]+)'?.*",
    "GEN_LEN": r".*'gen_len':\s([\d.]+).*",
    "TOKENS_PER_SAMPLE": r".*'tokens_per_sample':\s([\d.]+).*",
    "CLIP_SCORE": r".*'CLIP_SCORE':\s+'?([\d.]+).*",
    "FID_SCORE": r".*'FID_SCORE':\s+'?([\d.]+).*",
    "exact_match": r".*'exact_match':\s([\d.]+).*",
    "gsm8k_accuracy": r".*'gsm8k':\s([\d.]+).*",
    "mbxp_accuracy": r".*'mbxp':\s([\d.]+).*",
}
_HASH_RE = re.compile(r"^hash=([\w\d]+)$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")

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


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


def _check_seeds(f: _Findings, path: Path, log: DetailLog, round_rules: Round) -> None:
    wrong = []
    for name in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed"):
        want = getattr(round_rules.seeds, name)
        found = _as_int(log.get(f"effective_{name}"))
        if found != want:
            wrong.append(f"{name} {log.get(f'effective_{name}')} (expected {want})")
    if wrong:
        f.error(
            "log.seed-mismatch",
            path,
            f"the run used other seeds than round {round_rules.version}: " + ", ".join(wrong),
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


def _check_performance_log(
    f: _Findings,
    folder: Path,
    *,
    scenario_fixed: str,
    bench: Benchmark,
    division: str,
    system_type: str,
    round_rules: Round,
) -> None:
    """The checker's PerformanceCheck on one performance/run_1 (or TEST0x/performance/run_1)."""
    path = folder / "mlperf_log_detail.txt"
    log = _detail(f, path)
    if log is None:
        return
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
    if scenario != scenario_fixed:
        inferable = (
            bench.inferable_from.get(Scenario(scenario_fixed))
            if scenario_fixed in {s.value for s in Scenario}
            else None
        )
        if inferable is None or inferable.value != scenario:
            f.error(
                "log.scenario-mismatch",
                path,
                f"the log is a {scenario or 'unknown'} run in the {scenario_fixed} folder, and "
                f"{bench.name} does not allow inferring {scenario_fixed} from {scenario}",
                f"put the {scenario_fixed} run's logs here, or move these to {scenario}/",
            )
        elif Category.EDGE.value not in system_type.lower():
            f.error(
                "log.inference-not-allowed",
                path,
                f"{scenario_fixed} is inferred from {scenario}, which the rules allow only for "
                f'edge systems (system_type is "{system_type}")',
                f"run {scenario_fixed} itself, or submit the system as edge",
            )
        elif scenario_fixed == Scenario.MULTI_STREAM.value:
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

    early_stopping = {s.value for s in round_rules.early_stopping_scenarios}
    bound = (
        bench.latency_bound_ns.get(Scenario(scenario))
        if scenario in {s.value for s in Scenario}
        else None
    )
    if scenario in early_stopping:
        if log.get("early_stopping_met") is not True:
            f.error(
                "log.early-stopping",
                path,
                "LoadGen's early-stopping condition was not met: "
                + str(log.get("early_stopping_result") or "no early-stopping result"),
                "run longer (more queries) so LoadGen can estimate the percentile",
            )
        target = _as_int(log.get("effective_target_latency_ns"))
        if bound and target is not None and target > bound:
            f.error(
                "log.latency-bound",
                path,
                f"target latency {target} ns is above the {scenario} bound {bound} ns",
                f"set the target latency at or below {bound // 1_000_000} ms",
            )
    else:
        p99 = _as_int(log.get("result_99.00_percentile_latency_ns"))
        if bound and p99 is not None and p99 > bound:
            f.error(
                "log.latency-bound",
                path,
                f"99th percentile latency {p99} ns is above the {scenario} bound {bound} ns",
                "lower the target QPS until the 99th percentile meets the bound",
            )
        needed_q = (
            bench.min_queries.get(Scenario(scenario))
            if scenario in {s.value for s in Scenario}
            else None
        )
        queries = _as_int(log.get("effective_min_query_count"))
        if needed_q and (queries is None or queries < needed_q):
            f.error(
                "log.min-queries",
                path,
                f"min_query_count is {queries}, the rules need {needed_q}",
                "do not lower min_query_count in user.conf",
            )
    if scenario == Scenario.OFFLINE.value:
        needed_spq = bench.offline_min_samples or round_rules.offline_min_samples
        spq = _as_int(log.get("effective_samples_per_query"))
        if spq is None or spq < needed_spq:
            message = f"the Offline query held {spq} samples, the rules need at least {needed_spq}"
            fix = "raise the Offline target QPS in the profile so LoadGen issues enough samples"
            if division == Division.CLOSED.value:
                f.error("log.offline-min-samples", path, message, fix)
            else:
                f.warning(
                    "log.offline-min-samples",
                    path,
                    message + " in the closed division (open: a warning)",
                    fix,
                )
    duration = _as_int(log.get("effective_min_duration_ms"))
    if duration is None or duration < round_rules.min_duration_ms:
        f.error(
            "log.min-duration",
            path,
            f"min_duration is {duration} ms, the rules need {round_rules.min_duration_ms} ms",
            "run with execution: valid (the rules' full settings); do not lower min_duration",
        )
    metric_key = SCENARIO_METRICS.get(scenario, (None,))[0]
    if metric_key and log.get(metric_key) is None:
        f.error(
            "log.metric-missing",
            path,
            f"the log has no {metric_key}, the {scenario} result the checker reads",
            "copy the complete detail log of a finished run",
        )


# -- accuracy --------------------------------------------------------------------------------


def _check_accuracy(
    f: _Findings,
    acc_dir: Path,
    *,
    bench: Benchmark,
    division: str,
    round_rules: Round,
) -> None:
    present = set(_require_files(f, acc_dir, ACCURACY_FILES, "accuracy run"))
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
            expected = bench.accuracy_sample_count or bench.dataset_size
            found = _as_int(
                log.get("effective_accuracy_sample_count") or log.get("qsl_reported_total_count")
            )
            if found != expected:
                f.error(
                    "accuracy.dataset-size",
                    detail,
                    f"the accuracy run covered {found} samples, not the whole data set "
                    f"({expected} for {bench.name})",
                    "run accuracy mode on the whole data set (execution: valid, no dataset count)",
                )
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
    closed = division == Division.CLOSED.value
    for target in bench.accuracy:
        pattern = ACCURACY_PATTERNS.get(target.metric)
        if pattern is None:
            f.warning(
                "accuracy.metric-missing",
                txt,
                f"mlperf-tui cannot read the {target.metric} metric of {bench.name}",
                "check accuracy.txt by hand against the official checker",
            )
            continue
        value = None
        for line in lines:
            m = re.match(pattern, line)
            if m:
                try:
                    value = float(m.group(1))
                except ValueError:
                    value = None
                break
        if value is None:
            (f.error if closed else f.warning)(
                "accuracy.metric-missing",
                txt,
                f"accuracy.txt holds no {target.metric} value the checker can read",
                "score the accuracy log with the benchmark's accuracy script and rebuild",
            )
            continue
        if target.threshold is not None and value < target.threshold:
            message = (
                f"{target.metric} {value:g} is below the target {target.threshold:g} "
                f"({target.fraction:g} x {target.reference:g})"
            )
            if closed:
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
            (f.error if closed else f.notice)(
                "accuracy.above-limit",
                txt,
                f"{target.metric} {value:g} is above the upper limit {target.upper_limit:g}",
                "check the model's outputs",
            )


# -- compliance ------------------------------------------------------------------------------


def _has_pass_line(path: Path, exact: bool) -> bool:
    lines = (_read_text(path) or "").splitlines()
    if exact:
        return any(line.strip() == PASS_LINE for line in lines)
    return any(PASS_LINE in line for line in lines)


def _accuracy_value(path: Path, pattern: str) -> float | None:
    for line in (_read_text(path) or "").splitlines():
        m = re.match(pattern, line)
        if m:
            try:
                return float(m.group(1))
            except ValueError:
                return None
    return None


def _check_compliance(
    f: _Findings,
    scenario_dir: Path,
    *,
    scenario: str,
    bench: Benchmark,
    division: str,
    system_type: str,
    round_rules: Round,
) -> None:
    for test in rules.compliance_tests(bench, division):
        test_dir = scenario_dir / test
        if not test_dir.is_dir():
            f.error(
                "compliance.missing-test",
                test_dir,
                f"{test} is missing; the closed division requires it for {bench.name}",
                "run the compliance tests (a closed profile plans them) and rebuild the package",
            )
            continue
        if test == "TEST01":
            verify = test_dir / "verify_accuracy.txt"
            if not verify.is_file():
                f.error(
                    "compliance.missing-file",
                    verify,
                    "TEST01 needs verify_accuracy.txt",
                    "run TEST01 again; its verification writes the file",
                )
            elif not _has_pass_line(verify, exact=True):
                _test01_accuracy_fallback(f, test_dir, bench)
        if test in ("TEST01", "TEST04"):
            verify = test_dir / "verify_performance.txt"
            if not verify.is_file():
                f.error(
                    "compliance.missing-file",
                    verify,
                    f"{test} needs verify_performance.txt",
                    f"run {test} again; its verification writes the file",
                )
            elif not _has_pass_line(verify, exact=False):
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
                continue
            files = set(_files(run_dir))
            missing = [n for n in PERFORMANCE_FILES if n not in files]
            extra = sorted(files - set(PERFORMANCE_FILES) - set(OPTIONAL_PERFORMANCE_FILES))
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
                _check_performance_log(
                    f,
                    run_dir,
                    scenario_fixed=scenario,
                    bench=bench,
                    division=division,
                    system_type=system_type,
                    round_rules=round_rules,
                )


def _test01_accuracy_fallback(f: _Findings, test_dir: Path, bench: Benchmark) -> None:
    """TEST01 without TEST PASS: the checker compares baseline and compliance accuracy."""
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
    for target in bench.accuracy:
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


def _check_system(
    f: _Findings,
    path: Path,
    data: Mapping[str, Any],
    *,
    division: str,
    submitter: str,
    round_rules: Round,
) -> None:
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
        if not isinstance(value, str):
            f.error(
                "system.wrong-type",
                path,
                f"field {field.name} is {json.dumps(value)}, not a string",
                f'write it as a string, e.g. "{field.name}": "{value}"',
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
        if field.allowed and value.strip():
            from mlperf_tui.rules.systems import value_allowed

            if not value_allowed(field.name, value):
                f.error(
                    "system.invalid-value",
                    path,
                    f'field {field.name} is "{value}"; allowed: ' + ", ".join(field.allowed),
                    f"use one of: {', '.join(field.allowed)}",
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
    network = data.get("is_network")
    is_network = isinstance(network, str) and network.lower() == "true"
    if division == Division.CLOSED.value and is_network:
        f.error(
            "system.network-mode",
            path,
            "is_network is true, which the closed division does not allow",
            'remove "is_network" or set it to "false"',
        )


def _check_measurements(f: _Findings, scenario_dir: Path) -> None:
    path = scenario_dir / "measurements.json"
    if not path.is_file():
        f.error(
            "tree.missing-file",
            path,
            "measurements.json is missing",
            "rebuild the package; it writes the model's data types and weights file name",
        )
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


# -- the tree --------------------------------------------------------------------------------


def _model_of(
    name: str, mapping: Mapping[str, str], division: str, round_rules: Round
) -> Benchmark | None:
    by_checker = {b.checker_model: b for b in round_rules.benchmarks.values()}
    if name in by_checker:
        return by_checker[name]
    if division == Division.OPEN.value:
        mapped = mapping.get(name)
        if mapped in by_checker:
            return by_checker[mapped]
    return None


def _category_of(system_type: str) -> list[Category]:
    parts = [p.strip().lower() for p in system_type.split(",")]
    return [c for c in Category if c.value in parts]


def _check_benchmark(
    f: _Findings,
    bench_dir: Path,
    *,
    bench: Benchmark,
    division: str,
    system_type: str,
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
    if division == Division.CLOSED.value:
        categories = _category_of(system_type)
        if len(categories) == 1:
            try:
                required = {s.value for s in rules.required_scenarios(bench, categories[0])}
                allowed = {
                    s.value for s in rules.allowed_scenarios(bench, categories[0], Division.CLOSED)
                }
            except MlperfTuiError as exc:
                f.error("tree.benchmark-not-in-category", bench_dir, exc.message, exc.fix)
                required, allowed = set(), set(found)
        elif len(categories) == 2:
            required = {s.value for s in bench.required_scenarios_datacenter_edge}
            allowed = required | {s.value for s in bench.optional_scenarios_datacenter_edge}
        else:
            required, allowed = set(), set(scenario_names)
        missing = sorted(required - set(found))
        if missing:
            f.error(
                "tree.missing-scenario",
                bench_dir,
                f"the closed division requires {', '.join(sorted(required))} for {bench.name} "
                f"({system_type}); missing: {', '.join(missing)}",
                "add the missing scenarios to the profile (or infer them from SingleStream on "
                "edge) and run again",
            )
        for name in sorted(set(found) - allowed):
            f.error(
                "tree.scenario-not-allowed",
                bench_dir / name,
                f"{name} is not a scenario of {bench.name} for {system_type} systems",
                f"remove {name}/",
            )
    for name in found:
        _check_scenario(
            f,
            bench_dir / name,
            scenario=name,
            bench=bench,
            division=division,
            system_type=system_type,
            round_rules=round_rules,
        )


def _check_scenario(
    f: _Findings,
    scenario_dir: Path,
    *,
    scenario: str,
    bench: Benchmark,
    division: str,
    system_type: str,
    round_rules: Round,
) -> None:
    run_dir = scenario_dir / "performance" / "run_1"
    if not run_dir.is_dir():
        f.error(
            "tree.missing-folder",
            run_dir,
            f"{scenario} has no performance/run_1 folder",
            "run the scenario in performance mode and rebuild the package",
        )
    else:
        present = _require_files(f, run_dir, PERFORMANCE_FILES, "performance run")
        extra = sorted(
            set(_files(run_dir)) - set(PERFORMANCE_FILES) - set(OPTIONAL_PERFORMANCE_FILES)
        )
        if extra:
            f.warning(
                "tree.extra-file",
                run_dir,
                "unexpected files in performance/run_1: " + ", ".join(extra),
                "keep only LoadGen's logs there",
            )
        if "mlperf_log_detail.txt" in present:
            _check_performance_log(
                f,
                run_dir,
                scenario_fixed=scenario,
                bench=bench,
                division=division,
                system_type=system_type,
                round_rules=round_rules,
            )
    acc_dir = scenario_dir / "accuracy"
    if not acc_dir.is_dir():
        f.error(
            "tree.missing-folder",
            acc_dir,
            f"{scenario} has no accuracy folder",
            "run the scenario in accuracy mode and rebuild the package",
        )
    else:
        _check_accuracy(f, acc_dir, bench=bench, division=division, round_rules=round_rules)
    _check_measurements(f, scenario_dir)
    _require_files(f, scenario_dir, MEASURE_FILES, scenario)
    if division == Division.CLOSED.value:
        _check_compliance(
            f,
            scenario_dir,
            scenario=scenario,
            bench=bench,
            division=division,
            system_type=system_type,
            round_rules=round_rules,
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


def _check_submitter(f: _Findings, base: Path, division: str, round_rules: Round) -> None:
    submitter = base.name
    if not _NAME_RE.match(submitter):
        f.error(
            "tree.bad-name",
            base,
            f'submitter folder "{submitter}" has characters the checker does not accept',
            "use letters, digits and . _ + - only",
        )
    for needed in ("systems", "src", "results"):
        if not (base / needed).is_dir():
            f.error(
                "tree.missing-folder",
                base / needed,
                f"{division}/{submitter} has no {needed}/ folder",
                "rebuild the package with `mlperf-tui package RESULTS --out DIR`",
            )
    src = base / "src"
    if src.is_dir() and not any(src.iterdir()):
        f.error(
            "tree.missing-file",
            src,
            "src/ is empty: the code that produced the results must be published",
            "rebuild the package (it copies the harness source)",
        )
    mapping: dict[str, str] = {}
    mapping_path = base / "model_mapping.json"
    if mapping_path.is_file():
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
            if target not in known:
                f.error(
                    "tree.bad-model-mapping",
                    mapping_path,
                    f'"{name}" maps to "{target}", which is no benchmark of {round_rules.version}',
                    "map it to one of: " + ", ".join(sorted(known)),
                )
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
        system_json = systems_dir / f"{system}.json"
        system_type = ""
        if not system_json.is_file():
            f.error(
                "tree.missing-file",
                system_json,
                f"results/{system} has no systems/{system}.json",
                "rebuild the package; it writes the system description",
            )
        else:
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
                data = {}
            if data:
                _check_system(
                    f,
                    system_json,
                    data,
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
            bench = _model_of(bench_dir.name, mapping, division, round_rules)
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
            _check_benchmark(
                f,
                bench_dir,
                bench=bench,
                division=division,
                system_type=system_type,
                round_rules=round_rules,
            )
    if systems_dir.is_dir():
        for extra in sorted(systems_dir.glob("*.json")):
            if extra.stem not in used:
                f.warning(
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
