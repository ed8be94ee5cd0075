"""What a package built from imported logs says: another harness produced the results.

A results folder written by ``mlperf-tui import`` (:mod:`mlperf_tui.importer`) has no model file
or data set of ours and no harness source to publish: the measurements come from the import's
options (recorded in ``summary.json``'s ``origin``), the READMEs name the harness that ran the
tests, and the code folder holds the provenance of every imported file where a built-in
package holds the harness.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlperf_tui.package.source import Results
from mlperf_tui.rules.checker import MEASUREMENT_FIELDS
from mlperf_tui.rules.model import Benchmark

__all__ = [
    "IMPORTED_DIR",
    "calibration_doc",
    "harness_words",
    "is_imported",
    "measurements",
    "scenario_readme",
    "src_readme",
]

#: the code folder's subfolder with each imported run's provenance (its IMPORT.json)
IMPORTED_DIR = "imported"

_NOT_DETERMINED = "not determined: not given to mlperf-tui import"


def is_imported(results: Results) -> bool:
    """The results come from another harness's logs (``harness: import``)."""
    return results.profile.harness == "import"


def _origin(results: Results) -> Mapping[str, Any]:
    return results.results.origin or {}


def harness_words(results: Results) -> str:
    """The harness that ran the tests, as the import was told or LoadGen's SUT name says."""
    origin = _origin(results)
    name = str(origin.get("harness") or "").strip()
    if name:
        return name
    sut = str(origin.get("sut_name") or "").strip()
    return f"the harness whose LoadGen SUT is named '{sut}'" if sut else "another harness"


def measurements(results: Results) -> dict[str, str]:
    """measurements.json: the fields the import recorded (its options or the source's own)."""
    given = _origin(results).get("measurements") or {}
    return {k: str(given.get(k) or _NOT_DETERMINED) for k in MEASUREMENT_FIELDS}


def calibration_doc(results: Results, bench: Benchmark, facts: Mapping[str, str], mark: str) -> str:
    """calibration.md: what the import knows; the harness's method is the submitter's to add."""
    lines = [
        "# Calibration and quantization",
        "",
        f"Benchmark {bench.name}; the results were produced by {harness_words(results)} and "
        "imported by mlperf-tui from its LoadGen logs.",
        "",
        f"- starting weights: {facts['starting_weights_filename']}",
        f"- weight data types: {facts['weight_data_types']}",
        f"- input data types: {facts['input_data_types']}",
        f"- weight transformations: {facts['weight_transformations']}",
        "",
        "mlperf-tui did not run the model. The rules ask this document to say how the weights "
        "were quantized and calibrated (the method, and the calibration set of the benchmark "
        "it used): add what the harness did before you submit.",
    ]
    if mark:
        lines += ["", mark]
    return "\n".join(lines) + "\n"


def scenario_readme(
    results: Results, bench: Benchmark, scenario: str, source: str, system_id: str, code: str
) -> str:
    """README.md of a scenario of imported results."""
    origin = _origin(results)
    lines = [
        f"# {bench.name} {scenario} on {system_id}",
        "",
        f"Benchmark: {bench.name} ({bench.task}, {bench.reference_model}), checker model "
        f"`{bench.checker_model}`; division {results.profile.division.value}, category "
        f"{results.profile.category.value}.",
        "",
        "## How it was produced",
        "",
        f"The LoadGen logs of this scenario were produced by {harness_words(results)} and",
        "imported by mlperf-tui (`mlperf-tui import`), which checked each one (benchmark,",
        "scenario, mode, seeds, validity, LoadGen errors, accuracy) and copied it unchanged.",
        f"`{code}/{IMPORTED_DIR}/{source}-*.json` lists every file of each run with where it "
        "came from and its sha256;",
        f"`{code}/profile.yaml` is the import profile.",
        "",
        "`user.conf` beside this file is the one the harness ran the performance test with.",
    ]
    if origin.get("command"):
        lines += ["", "The import:", "", "```", str(origin["command"]), "```"]
    return "\n".join(lines) + "\n"


def src_readme(results: Results, bench: Benchmark) -> str:
    """README.md of the code folder of imported results."""
    profile = results.profile
    return "\n".join(
        [
            f"# Source of this submission ({bench.name}, {profile.division.value}, "
            f"{profile.category.value})",
            "",
            f"The results were produced by {harness_words(results)}, not by mlperf-tui: "
            "mlperf-tui imported its LoadGen logs.",
            "",
            "**Before you submit, put the source code of that harness here**: the rules require "
            "the code that produced the results to be published with them.",
            "",
            "- `profile.yaml`: the import profile (`mlperf-tui run profile.yaml` imports the "
            "same logs again).",
            f"- `{IMPORTED_DIR}/<run>.json`: each imported run's provenance: every file, where "
            "it came from, its sha256, the import's time and command.",
            "- `mlperf_tui_build.json`: how this package was built.",
            "",
        ]
    )
