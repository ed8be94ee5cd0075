"""The two shipped quickstart profiles replayed headlessly, as a newcomer runs them.

Slow (minutes to half an hour on two cores), so not part of `make test`:
    .venv/bin/python -m pytest -m slow tests/e2e/test_quickstarts.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _replay(profile: str, out: Path, timeout_s: int) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlperf_tui",
            "run",
            str(ROOT / "profiles" / profile),
            "--headless",
            "--json",
            "--out",
            str(out / "package"),
        ],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=out,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    outcome: dict[str, Any] = json.loads(proc.stdout)
    outcome["returncode"] = proc.returncode
    return outcome


def _error_ids(outcome: dict[str, Any]) -> list[str]:
    return sorted(f["id"] for f in outcome["validation"]["findings"] if f["severity"] == "error")


@pytest.mark.timeout(900)
def test_quickstart_builds_a_complete_tree_not_submittable_for_exactly_two_reasons(
    tmp_path: Path,
) -> None:
    outcome = _replay("quickstart.yaml", tmp_path, 900)
    assert outcome["complete"] and all(r["status"] == "ok" for r in outcome["runs"])
    assert outcome["validation"]["tree_complete"]
    # the only reasons it cannot be submitted: test execution and synthetic assets
    assert _error_ids(outcome) == ["package.synthetic-assets", "package.test-execution"]
    assert outcome["returncode"] == 0


@pytest.mark.timeout(3600)
def test_quickstart_valid_has_no_error_but_the_synthetic_assets(tmp_path: Path) -> None:
    outcome = _replay("quickstart-valid.yaml", tmp_path, 3600)
    assert outcome["complete"] and all(r["status"] == "ok" for r in outcome["runs"])
    assert all(r["valid"] for r in outcome["runs"] if r["mode"] == "performance")
    assert _error_ids(outcome) == ["package.synthetic-assets"]
