"""One harness run for the benchmark scripts: RUN.json through ``python -m harness``, as the
runner starts it, and LoadGen's metric of the run (the scripts compare it with raw loops)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def loadgen_metric(tmp: Path, run: dict[str, Any]) -> float:
    """Write ``run`` as tmp/RUN.json, run the harness child on it, return LoadGen's metric;
    SystemExit with the harness's error and stderr when the run does not finish ok."""
    from harness.events import parse_event

    (tmp / "RUN.json").write_text(json.dumps(run))
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--config", str(tmp / "RUN.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=False,
    )
    result: dict[str, Any] = {}
    for line in proc.stdout.splitlines():
        event = parse_event(line)
        if event["event"] in ("result", "error"):
            result = event
    if result.get("event") != "result" or result.get("status") != "ok":
        raise SystemExit(f"harness run failed: {result}\n{proc.stderr[-2000:]}")
    return float(result["loadgen"]["metric_value"])
