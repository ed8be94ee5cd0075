"""A power profile end to end: ``python -m mlperf_tui run P --headless --json --out PKG`` with a
``power:`` block pointing at the official power server (reference copy, unmodified) with the
fake PTDaemon and the fake NTP server on 127.0.0.1, to a package with power results.

The package (tiny stand-in, Offline and SingleStream, test execution) is accepted by our
validator (``mlperf-tui check``), the official checker of the reference copy and power-dev's
``compliance/check.py`` on each power folder, apart from test execution, synthetic assets and
the findings that name the fake analyser. Then one thing broken at a time: the director
unreachable (a pre-flight error), an analyser error reply (that run failed with the reason, the
run before it intact), a power log truncated after the run (a validator finding), a client
source file edited in a copy of the checkout (``power.sources-checksum``), clocks out of sync
(the run fails with the reason) and a cancel (the director serves the next session).

Slow: the power server waits 10 s around each start and stop of a measurement (40 s a
session); the fault tests set ``MLPP_DEBUG`` (0.5 s waits), which check.py would reject and our
validator reports (``power.server-debug``), so only the first package is checked by check.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import reference_copy as ref
import yaml

from mlperf_tui.official import run_official_checker
from mlperf_tui.power import PowerError
from mlperf_tui.power.director import probe
from tests.fixtures.faults import SYSTEM_ANSWERS
from tests.fixtures.power.chain import (
    PowerServer,
    chain_env,
    check_py,
    fake_ntp_or_skip,
    free_port,
    start_server,
)
from tests.fixtures.power.fake_ntp import FakeNtp
from tests.fixtures.power.fake_ptd import FAKE_ANALYSER

pytestmark = pytest.mark.slow

#: what a package made with the fake analyser in test execution is refused for, and nothing else
EXPECTED_ERRORS = {"package.test-execution", "package.synthetic-assets", "power.fake-analyser"}
#: the power server in debug mode (the fault tests) adds this
DEBUG_ERRORS = EXPECTED_ERRORS | {"power.server-debug"}
PSUS = "1x 500W"
CLI_RUN = (sys.executable, "-m", "mlperf_tui", "run")


@pytest.fixture(scope="module")
def fake_ntp() -> Iterator[FakeNtp]:
    ntp = fake_ntp_or_skip()
    yield ntp
    ntp.stop()


def power_profile(
    root: Path, server_port: int, checkout: Path | None = None, **changes: Any
) -> Path:
    """A tiny-model profile with a power: block (results in root/results)."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["Offline"],
        "modes": ["performance"],
        "execution": "test",
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 64},
        },
        "submitter": "Quickstart",
        "system": {**SYSTEM_ANSWERS, "power_supply_quantity_and_rating_watts": PSUS},
        "output": str(root / "results"),
        "power": {
            "director": "127.0.0.1",
            "port": server_port,
            "checkout": str(checkout or ref.power_dev_root()),
            "ntp": "127.0.0.1",
        },
    }
    data.update(changes)
    path = root / "power.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def cli_env(tiny_assets: Any) -> dict[str, str]:
    return chain_env(MLPERF_TUI_CACHE=str(tiny_assets.cache_dir.parent))


@dataclass
class Replay:
    code: int
    doc: dict[str, Any]
    stderr: str
    out: Path

    def run(self, run_id: str) -> dict[str, Any]:
        return next(r for r in self.doc["runs"] if r["run_id"] == run_id)

    def errors(self) -> set[str]:
        findings = (self.doc.get("validation") or {}).get("findings") or []
        return {f["id"] for f in findings if f["severity"] == "error"}

    def run_dir(self, run_id: str) -> Path:
        return Path(self.doc["results_folder"]) / self.run(run_id)["folder"]


def replay(profile: Path, out: Path, tiny_assets: Any, timeout_s: float = 560) -> Replay:
    proc = subprocess.run(
        [*CLI_RUN, str(profile), "--headless", "--json", "--out", str(out)],
        capture_output=True,
        text=True,
        env=cli_env(tiny_assets),
        timeout=timeout_s,
    )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"no JSON outcome (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        ) from None
    return Replay(proc.returncode, doc, proc.stderr, out)


def check_cli(package: Path, tiny_assets: Any) -> dict[str, Any]:
    """``mlperf-tui check PKG --json``."""
    proc = subprocess.run(
        [sys.executable, "-m", "mlperf_tui", "check", str(package), "--json"],
        capture_output=True,
        text=True,
        env=cli_env(tiny_assets),
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def _scenario(path: str) -> str:
    """The scenario folder a finding's path is in."""
    return next(part for part in path.split("/") if part in ("Offline", "SingleStream"))


def power_folders(out: Path) -> dict[str, Path]:
    """scenario -> its performance/ folder holding power/."""
    return {
        p.parent.parent.name: p.parent
        for p in sorted(out.glob("*/*/results/*/*/*/performance/power"))
    }


@dataclass
class Built:
    replay: Replay
    server: PowerServer


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, tiny_assets: Any, fake_ntp: FakeNtp
) -> Iterator[Built]:
    """The power profile (Offline and SingleStream, performance and accuracy) replayed through
    the CLI with a power server in normal mode (its real waits): about two and a half minutes."""
    root = tmp_path_factory.mktemp("power-package")
    director = root / "director"
    (director / "tmp").mkdir(parents=True)
    # the server keeps PTDaemon's log in its temporary folder: the live watts come from there
    server = start_server(director, TMPDIR=str(director / "tmp"))
    try:
        profile = power_profile(
            root,
            server.port,
            scenarios=["Offline", "SingleStream"],
            modes=["performance", "accuracy"],
        )
        data = yaml.safe_load(profile.read_text())
        data["power"]["live_log"] = str(director / "tmp" / "tmp*" / "ptd_logfile_1.log")
        profile.write_text(yaml.safe_dump(data))
        started = time.monotonic()
        result = replay(profile, root / "pkg", tiny_assets)
        print(f"power replay: {time.monotonic() - started:.1f} s")
        yield Built(result, server)
    finally:
        server.stop()


def test_the_power_replay_builds_a_package_refused_only_for_the_fake_analyser(
    built: Built,
) -> None:
    r = built.replay
    assert r.code == 1, r.stderr[-4000:]  # the package's errors: not submittable
    assert r.doc["complete"] is True
    assert r.errors() == EXPECTED_ERRORS, r.doc["validation"]["findings"]
    fakes = [f for f in r.doc["validation"]["findings"] if f["id"] == "power.fake-analyser"]
    assert {_scenario(f["path"]) for f in fakes} == {"Offline", "SingleStream"}
    assert all(FAKE_ANALYSER in f["message"] for f in fakes)
    # the power figure as the checker computes it, in the results and the table
    offline, single = r.run("Offline-performance"), r.run("SingleStream-performance")
    assert offline["power"]["unit"] == "W" and 95 <= offline["power"]["value"] <= 105
    assert single["power"]["unit"] == "mJ/query" and single["power"]["queries"] > 0
    assert r.run("Offline-accuracy")["power"] is None
    # the results table
    assert re.search(r"power [\d.,]+ W", r.stderr) and re.search(
        r"power [\d.,]+ mJ/query", r.stderr
    )
    # the plan said the power runs take both runs and the server's waits
    assert "the official power client runs this twice" in r.stderr
    print(f"Offline: {offline['duration_s']} s (planned {offline['estimate_s']:.0f} s)")
    print(f"SingleStream: {single['duration_s']} s (planned {single['estimate_s']:.0f} s)")


def test_the_run_folder_keeps_the_session_and_the_live_watts(built: Built) -> None:
    run_dir = built.replay.run_dir("Offline-performance")
    for name in ("mlperf_log_detail.txt", "mlperf_log_summary.txt", "spl.txt"):
        assert (run_dir / name).is_file() and (run_dir / "ranging" / name).is_file()
    assert sorted(p.name for p in (run_dir / "power").iterdir()) == [
        "client.json",
        "client.log",
        "ptd_logs.txt",
        "server.json",
        "server.log",
    ]
    events = [json.loads(ln) for ln in (run_dir / "events.jsonl").read_text().splitlines()]
    names = [e["event"] for e in events]
    # the harness's events of both runs reached the runner live, with the power phases
    assert names.count("start") == 2 and names.count("result") == 2
    phases = [e["phase"] for e in events if e["event"] == "phase" and "power" in e["phase"]]
    assert phases == ["power-ranging", "power-testing"]
    watts = [e["watts"] for e in events if e["event"] == "power"]
    assert watts and all(90 <= w <= 110 for w in watts)
    log = (run_dir / "power-client.log").read_text()
    assert "Successful exit" in log and '"event"' not in log


def test_the_nameplate_yaml_and_the_power_fields_are_in_systems(built: Built) -> None:
    (systems,) = built.replay.out.glob("open/Quickstart/systems")
    (nameplate,) = systems.glob("*_power.yaml")
    data = yaml.safe_load(nameplate.read_text())
    (component,) = data.values()
    assert component == {"PSUs": [{"PowerCapacityWatts": 500}], "Min PSUs Needed": 1}
    (system_json,) = systems.glob("*.json")
    system = json.loads(system_json.read_text())
    assert system["power_supply_quantity_and_rating_watts"] == PSUS
    assert system["power_management"] == ""


def test_our_check_cli_says_the_same(built: Built, tiny_assets: Any) -> None:
    doc = check_cli(built.replay.out, tiny_assets)
    errors = {f["id"] for f in doc["results"] if f["severity"] == "error"}
    assert errors == EXPECTED_ERRORS


#: the official checker's error lines about the fake analyser (power_checker.py, power_check.py
#: and the checks' summary line), once per scenario; "" is the blank line power_checker ends with
OFFICIAL_POWER_ERRORS = (
    re.compile(r"\[ \] Check PTD commands and replies$"),
    re.compile(
        r"\s*Power meter 'FAKE analyser for tests \(not a real PTDaemon\)' is not supported"
    ),
    re.compile(r"$"),
    re.compile(
        r"Power WG power_checker\.py did not pass for: .*/(Offline|SingleStream)/performance$"
    ),
    re.compile(r"Some base checks Checks failed for: .*/(Offline|SingleStream)/performance/power$"),
)


def test_the_official_checker_refuses_only_the_fake_analyser(built: Built) -> None:
    verdict = run_official_checker(built.replay.out, ref.inference_root(), version="v6.1")
    assert not verdict.crashed, verdict.output[-4000:]
    print("the official checker's power lines:")
    for line in verdict.output.splitlines():
        if "power_check" in line or "design_power" in line or "Power Results" in line:
            print("  " + line.split("] ", 1)[-1])
    unexplained = ref.unexplained_errors(verdict.errors)
    assert [e for e in unexplained if not any(p.match(e) for p in OFFICIAL_POWER_ERRORS)] == []
    fake = [e for e in unexplained if OFFICIAL_POWER_ERRORS[1].match(e)]
    assert len(fake) == 2, unexplained  # Offline and SingleStream
    assert "design_power_watts = 500 W" in verdict.output  # our nameplate YAML


def test_check_py_refuses_only_the_fake_analyser_in_each_power_folder(built: Built) -> None:
    folders = power_folders(built.replay.out)
    assert set(folders) == {"Offline", "SingleStream"}
    for scenario, performance in folders.items():
        failed, warned, rc = check_py(performance)
        assert rc == 1, scenario
        assert list(failed) == ["Check PTD commands and replies"], (scenario, failed)
        assert (
            f"Power meter {FAKE_ANALYSER!r} is not supported"
            in failed["Check PTD commands and replies"]
        )
        assert warned == [], (scenario, warned)


def test_a_power_log_truncated_after_the_run_is_a_finding(
    built: Built, tmp_path: Path, tiny_assets: Any
) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(built.replay.out, pkg)
    log = power_folders(pkg)["Offline"] / "power" / "ptd_logs.txt"
    text = log.read_text()
    log.write_text(text[: len(text) // 3])
    doc = check_cli(pkg, tiny_assets)
    new = {
        (f["id"], _scenario(f["path"]))
        for f in doc["results"]
        if f["severity"] == "error" and f["id"] not in EXPECTED_ERRORS
    }
    # one finding: its sha1 is no longer the one client.json holds (that the testing run is
    # cut from it follows, and is not said again)
    assert new == {("power.results-checksum", "Offline")}
    (finding,) = [f for f in doc["results"] if f["id"] == "power.results-checksum"]
    assert "power/ptd_logs.txt" in finding["message"]


# -- one thing broken at a time (debug waits) ----------------------------------------------


def test_an_unreachable_director_is_a_preflight_error(tmp_path: Path, tiny_assets: Any) -> None:
    profile = power_profile(tmp_path, free_port())  # nothing listens there
    r = replay(profile, tmp_path / "pkg", tiny_assets, timeout_s=120)
    assert r.code == 5, r.stderr[-3000:]
    assert r.doc["runs"] == [] and r.doc["results_folder"] is None
    assert "nothing listens on 127.0.0.1" in r.doc["error"]["message"]
    assert "start the power server" in r.doc["error"]["fix"]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists()


def test_an_analyser_error_reply_fails_that_run_and_keeps_the_one_before(
    tmp_path: Path, tiny_assets: Any, fake_ntp: FakeNtp
) -> None:
    # the second voltage range command of a session is the testing run's
    server = start_server(tmp_path / "director", MLPP_DEBUG="1", FAKE_PTD_ERROR_ON="SR,V#2")
    try:
        profile = power_profile(tmp_path, server.port, modes=["accuracy", "performance"])
        r = replay(profile, tmp_path / "pkg", tiny_assets)
        assert r.code == 4, r.stderr[-3000:]
        assert "Traceback" not in r.stderr
        before, failed = r.run("Offline-accuracy"), r.run("Offline-performance")
        assert before["status"] == "ok"
        assert (r.run_dir("Offline-accuracy") / "mlperf_log_accuracy.json").is_file()
        assert failed["status"] == "failed"
        assert "the power server refused to start the testing measurement" in failed["message"]
        assert "analyser or PTDaemon" in failed["message"]
        # the ranging run it had finished is kept in the session folder
        (session,) = (r.run_dir("Offline-performance") / "power-session").iterdir()
        assert (session / "ranging" / "mlperf_log_detail.txt").is_file()
        assert probe("127.0.0.1", server.port).protocol_version == "3"
    finally:
        server.stop()


def test_an_edited_client_source_is_the_sources_checksum_finding(
    tmp_path: Path, tiny_assets: Any, fake_ntp: FakeNtp
) -> None:
    checkout = tmp_path / "power-dev"
    shutil.copytree(ref.power_dev_root(), checkout)
    client = checkout / "ptd_client_server" / "lib" / "client.py"
    client.write_text(client.read_text() + "\n# edited by hand\n")
    server = start_server(tmp_path / "director", MLPP_DEBUG="1")
    try:
        profile = power_profile(
            tmp_path, server.port, checkout=checkout, modes=["performance", "accuracy"]
        )
        r = replay(profile, tmp_path / "pkg", tiny_assets)
    finally:
        server.stop()
    assert "Traceback" not in r.stderr
    assert r.errors() == DEBUG_ERRORS | {"power.sources-checksum"}, r.stderr[-3000:]
    (finding,) = [f for f in r.doc["validation"]["findings"] if f["id"] == "power.sources-checksum"]
    assert "lib/client.py" in finding["message"]


def test_clocks_out_of_sync_fail_the_run_with_the_reason(
    tmp_path: Path, tiny_assets: Any, fake_ntp: FakeNtp
) -> None:
    if shutil.which("ntpdate"):
        pytest.skip("ntpdate is installed: the client's clock sync would change the clock")
    server = start_server(tmp_path / "director", MLPP_DEBUG="1")
    fake_ntp.offset_s = 5.0
    try:
        r = replay(power_profile(tmp_path, server.port), tmp_path / "pkg", tiny_assets)
    finally:
        fake_ntp.offset_s = 0.0
        server.stop()
    assert r.code == 4, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    run = r.run("Offline-performance")
    assert run["status"] == "failed"
    assert "clocks" in run["message"] and "NTP" in run["message"]


def test_a_cancel_stops_the_client_and_the_director_serves_the_next_session(
    tmp_path: Path, tiny_assets: Any, fake_ntp: FakeNtp
) -> None:
    server = start_server(tmp_path / "director", MLPP_DEBUG="1")
    try:
        profile = power_profile(tmp_path, server.port)
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlperf_tui", "run", str(profile), "--headless", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(tiny_assets),
        )
        deadline = time.monotonic() + 180
        client_log = None
        while time.monotonic() < deadline and proc.poll() is None:
            logs = list((tmp_path / "results").glob("*/runs/Offline-performance/power-client.log"))
            if logs and "Running the workload" in logs[0].read_text():
                client_log = logs[0]
                break
            time.sleep(0.2)
        assert client_log is not None, "the power run did not start"
        time.sleep(1.0)  # the harness is running under the client
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err[-3000:]
        assert "Traceback" not in err
        doc = json.loads(out)
        assert doc["runs"][0]["status"] == "cancelled"
        # no harness or client is left running, and the director takes a new session
        assert not _running(client_log.parent)
        deadline = time.monotonic() + 20
        while True:
            try:
                assert probe("127.0.0.1", server.port, timeout_s=2).protocol_version == "3"
                break
            except PowerError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        server.stop()


def _running(run_dir: Path) -> list[int]:
    """Processes whose command line names ``run_dir`` (a client or harness left behind)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(run_dir) in cmdline:
            found.append(int(proc.name))
    return found


def test_the_replay_script_runs_the_power_client_and_records_the_session(
    tmp_path: Path, tiny_assets: Any, fake_ntp: FakeNtp
) -> None:
    # run --dry-run's script runs each power run under the official client, as the runner
    # does, and `mlperf-tui record` keeps the session's files as the runner keeps them
    server = start_server(tmp_path / "director", MLPP_DEBUG="1")
    try:
        profile = power_profile(tmp_path, server.port, modes=["performance", "accuracy"])
        env = cli_env(tiny_assets)
        script = subprocess.run(
            [*CLI_RUN, str(profile), "--dry-run"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert script.returncode == 0, script.stderr[-3000:]
        assert "run_power Offline-performance" in script.stdout
        assert "run_harness Offline-accuracy" in script.stdout
        (tmp_path / "replay.sh").write_text(script.stdout, encoding="utf-8")
        out = tmp_path / "out"
        proc = subprocess.run(
            ["bash", str(tmp_path / "replay.sh"), str(out)],
            capture_output=True,
            text=True,
            env=env,
            timeout=400,
        )
        assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
        run_dir = out / "runs" / "Offline-performance"
        for name in ("mlperf_log_detail.txt", "spl.txt", "ranging/spl.txt", "power/server.json"):
            assert (run_dir / name).is_file(), name
        events = (run_dir / "events.jsonl").read_text().splitlines()
        assert sum('"event":"result"' in e.replace(" ", "") for e in events) == 2  # both runs
        result = json.loads((run_dir / "result.json").read_text())
        assert result["status"] == "ok" and result["power"]["unit"] == "W"
        doc = check_cli(out / "package", tiny_assets)
        errors = {f["id"] for f in doc["results"] if f["severity"] == "error"}
        assert errors == DEBUG_ERRORS, doc["results"]
    finally:
        server.stop()
