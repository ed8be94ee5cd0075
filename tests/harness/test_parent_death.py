"""A harness started by a parent that dies (even by SIGKILL) cancels itself cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness_util import REPO, harness_command, write_run

from harness.config import PARENT_PID_ENV
from harness.events import parse_event
from harness.loadgen_logs import parse_summary_log

LONG_USER_CONF = """\
*.*.performance_sample_count_override = {count}
*.*.min_duration = 60000
*.*.min_query_count = 100
*.SingleStream.target_latency = 1
"""

#: the middle process: starts the harness as mlperf-tui's runner does, tells us the harness's
#: pid, then waits for it (and is killed while it waits)
PARENT = """\
import os, subprocess, sys
env = dict(os.environ, {env}=str(os.getpid()))
child = subprocess.Popen({cmd!r}, stdout=open({events!r}, "w"), stderr=subprocess.DEVNULL,
                         env=env, start_new_session=True)
print(child.pid, flush=True)
child.wait()
"""


def _events(path: Path) -> list[dict[str, Any]]:
    return [parse_event(line) for line in path.read_text().splitlines() if line.strip()]


def test_harness_cancels_itself_when_its_parent_is_killed(tmp_path: Path, tiny_assets: Any) -> None:
    run_json = write_run(
        tmp_path,
        tiny_assets,
        "SingleStream",
        user_conf=LONG_USER_CONF.format(count=tiny_assets.count),
    )
    events = tmp_path / "events.jsonl"
    code = PARENT.format(env=PARENT_PID_ENV, cmd=harness_command(run_json), events=str(events))
    parent = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    # wait until the run is issuing queries, then kill the parent outright
    deadline = time.monotonic() + 60
    while not any(e["event"] == "progress" for e in _events(events)):
        assert time.monotonic() < deadline, "the harness never started its run"
        time.sleep(0.1)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    # the orphaned harness cancels (a 60 s run) and exits; poll for its end
    deadline = time.monotonic() + 45
    while _alive(child_pid):
        assert time.monotonic() < deadline, "the orphaned harness kept running"
        time.sleep(0.2)
    result = [e for e in _events(events) if e["event"] == "result"]
    assert result and result[-1]["status"] == "cancelled", _events(events)[-3:]
    out = Path(json.loads(run_json.read_text())["output_dir"])
    assert "Result is" in parse_summary_log(out)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not running: it waits for init to reap it
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
