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
  tree.symlink              a symbolic link anywhere in the package, the root included (the
                            results repository refuses them); the checks never follow one
  tree.empty-folder         an empty folder (the legacy checker refuses them)
  tree.unknown-division     a top-level folder that is no division (e.g. "Closed")
  tree.bad-name             a submitter or system folder name with characters the checker's
                            paths and the results table do not accept
  tree.hidden-name          a file or folder with a hidden name (a leading dot), anywhere in
                            the package (repository_checks.sh, the legacy checker)
  tree.space-in-name        a file or folder name with a space (repository_checks.sh, the
                            legacy checker)
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
  tree.file-too-large       a file over 50 MB (repository_checks.sh, the legacy checker)
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

The checks are grouped in modules sharing one scenario context (``context``): ``tree`` walks
each submitter folder and hands every scenario folder to ``logs``, ``accuracy``,
``measurements``, ``compliance`` or ``endpoints``; ``systems`` reads the systems JSON,
``hygiene`` finds what the results repository refuses anywhere in the tree, and
``not_submittable`` folds the findings test execution and synthetic assets explain into the
package findings; ``findings`` holds :class:`CheckResult` and the collector they all write to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.rules.model import Round
from mlperf_tui.validate.context import DIVISIONS, _dirs, layout_of
from mlperf_tui.validate.findings import SEVERITIES, CheckResult, Severity, _Findings, _guarded
from mlperf_tui.validate.hygiene import _check_calibration, _check_repository, _large_files
from mlperf_tui.validate.measurements import NOT_DETERMINED
from mlperf_tui.validate.not_submittable import _fold_not_submittable
from mlperf_tui.validate.tree import _check_submitter

__all__ = [
    "DIVISIONS",
    "NOT_DETERMINED",
    "NOT_SUBMITTABLE_IDS",
    "SEVERITIES",
    "CheckResult",
    "Severity",
    "errors",
    "layout_of",
    "to_json",
    "tree_complete",
    "validate",
]


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
    # from here on every symbolic link on the way to a file lies in the package, where the
    # readers refuse to follow it (context._linked) and hygiene reports it
    root = root.resolve()
    f.root = root
    divisions = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
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
        _guarded(f, root, _check_repository, f, root, [])  # a linked closed/, a hidden file
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
