"""The checker's facts (rules/checker.py) and every round's layout equal the reference checker's.

The oracle is the reference copy (tests/fixtures/reference_copy.py): the modular checker's
constants.py for the file lists, patterns and v5.0+ paths, the v4.x single-file checkers for
the layout they read. Each test skips with the reason when the copy is absent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import reference_copy as ref

from mlperf_tui import rules
from mlperf_tui.rules import checker
from mlperf_tui.rules.model import Division, Layout


@pytest.fixture(scope="module")
def constants() -> dict[str, Any]:
    return ref.module_tables(ref.checker_file("v6.1"))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("PERFORMANCE_FILES", "REQUIRED_PERF_FILES"),
        ("OPTIONAL_PERFORMANCE_FILES", "OPTIONAL_PERF_FILES"),
        ("POWER_RUN_FILES", "REQUIRED_PERF_POWER_FILES"),
        ("POWER_FILES", "REQUIRED_POWER_FILES"),
        ("ACCURACY_FILES", "REQUIRED_ACC_FILES"),
        ("MEASURE_FILES", "REQUIRED_MEASURE_FILES"),
        ("MEASUREMENT_FIELDS", "SYSTEM_IMP_REQUIRED_FILES"),
        ("TEST01_PASSED_ACCURACY_FILES", "REQUIRED_TEST01_ACC_FILES_1"),
        ("TEST01_ACCURACY_FILES", "REQUIRED_TEST01_ACC_FILES"),
        ("NETWORK_FIELDS", "SYSTEM_DESC_REQUIRED_FIELDS_NETWORK_MODE"),
    ],
)
def test_file_and_field_lists_are_the_checkers(
    constants: dict[str, Any], ours: str, theirs: str
) -> None:
    assert list(getattr(checker, ours)) == list(constants[theirs])


def test_strings_and_mappings_are_the_checkers(constants: dict[str, Any]) -> None:
    assert constants["NETWORK_MODE_REQUIRED_SUBSTRING_IN_SUT_NAME"] == checker.NETWORK_SUT_NAME
    assert dict(checker.ENDPOINTS_AUDITS) == constants["ENDPOINTS_COMPLIANCE_MAPPING"]
    # every accuracy pattern the checker has, with the same text
    assert dict(checker.ACCURACY_PATTERNS) == {
        k: v for k, v in constants["ACC_PATTERN"].items() if k in checker.ACCURACY_PATTERNS
    }
    assert set(constants["ACC_PATTERN"]) == set(checker.ACCURACY_PATTERNS)


def test_tolerated_files_are_files_diffs() -> None:
    utils = (ref.checker_dir() / "submission_checker" / "utils.py").read_text(encoding="utf-8")
    body = utils[utils.index("def files_diff") :]
    listed = re.search(r"optional\s*=\s*optional\s*\+\s*\[([^\]]*)\]", body)
    assert listed, "files_diff no longer adds its tolerated files"
    assert tuple(re.findall(r'"([^"]+)"', listed.group(1))) == checker.TOLERATED_FILES


def test_int_fields_are_those_the_results_tools_compute_with() -> None:
    results_py = (ref.checker_dir() / "submission_checker" / "results.py").read_text(
        encoding="utf-8"
    )
    report_py = (ref.checker_dir() / "generate_final_report.py").read_text(encoding="utf-8")
    computed = set(re.findall(r'int\(\s*row\[\s*"(\w+)"\s*\]', results_py))
    computed |= set(re.findall(r'int\(\s*x\[\s*"(\w+)"\s*\]\s*\)', report_py))
    assert computed == set(checker.INT_COMPUTED_FIELDS)


def _path(constants: dict[str, Any], table: str, version: str) -> str:
    value: str = constants[table].get(version, constants[table]["default"])
    return value


@pytest.mark.parametrize("version", ["v5.0", "v5.1", "v6.0", "v6.1"])
def test_layout_is_the_modular_checkers(constants: dict[str, Any], version: str) -> None:
    layout = rules.get_round(version).layout
    src = _path(constants, "SRC_PATH", version)
    assert src == "{division}/{submitter}/" + layout.code_folder
    measurements = _path(constants, "MEASUREMENTS_PATH", version)
    base = Path("{division}/{submitter}")
    folder = layout.measurements_dir(base, "{system}", "{benchmark}", "{scenario}")
    if layout.measurements_in_results:
        assert measurements == str(folder / layout.measurements_file("s", "x"))
    else:
        assert measurements == str(folder / "{file}")
    test01 = _path(constants, "TEST01_ACC_PATH", version)
    compliance = layout.compliance_dir(base, "{system}", "{benchmark}", "{scenario}")
    assert test01 == str(compliance / "TEST01" / "verify_accuracy.txt")
    endpoints = constants["RESULT_FIELD_ENDPOINTS"]
    assert layout.endpoints == (version in endpoints)


@pytest.mark.parametrize("version", ["v4.0", "v4.1"])
def test_v4_layout_is_the_single_file_checkers(version: str) -> None:
    text = ref.checker_file(version).read_text(encoding="utf-8")
    layout = rules.get_round(version).layout
    assert f'os.path.join(root, "{layout.code_folder}", model)' in text and layout.code_per_model
    assert not layout.measurements_in_results and '"measurements"' in text
    assert not layout.compliance_in_results and '"compliance"' in text
    assert not layout.endpoints and "calibration.md" not in text
    assert not layout.calibration_doc


def test_calibration_doc_is_the_legacy_checkers_from_v5_1() -> None:
    legacy = (ref.checker_dir() / "submission_checker_old.py").read_text(encoding="utf-8")
    assert f'"{checker.CALIBRATION_DOC}"' in legacy
    # the legacy checker skips the check for v5.0 only, and reads v5.0 onwards
    assert 'self.version in ["v5.0"]' in legacy
    asked = [v for v in rules.ROUNDS if rules.get_round(v).layout.calibration_doc]
    assert sorted(asked) == ["v5.1", "v6.0", "v6.1"]


def test_strict_divisions_are_closed_and_network() -> None:
    assert {d for d in Division if d.strict} == {Division.CLOSED, Division.NETWORK}
    assert Layout().measurements_file("sys", "Offline") == "measurements.json"
