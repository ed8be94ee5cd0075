"""The Ray backend (harness.backends.ray): real LoadGen runs of the tiny model on a real Ray
cluster of this machine (a head without CPUs and two worker nodes of one CPU each, see
tests/fixtures/ray_cluster.py), and on a local cluster of the run's own."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness_util import REPO, harness_command, run_harness, write_run
from ray_cluster import RayCluster, free_port, ray_missing, start_ray_cluster

from harness.backends.ray import check_reachable, head_address
from harness.errors import BackendError
from harness.events import parse_event

# a run long enough to kill a replica in the middle of it
LONG_USER_CONF = """\
*.*.performance_sample_count_override = {count}
*.*.min_duration = 20000
*.Offline.target_qps = 500
*.Offline.min_query_count = 1
*.Server.target_qps = 100
*.Server.target_latency = 500
*.Server.min_query_count = 100
"""


def _backend(address: str, replicas: int = 2, **ray: Any) -> dict[str, Any]:
    return {
        "name": "ray",
        "execution_provider": "CPUExecutionProvider",
        "intra_op_threads": 1,
        "batch_size": 8,
        "ray": {"address": address, "replicas": replicas, **ray},
    }


def _cluster_json(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "cluster.json").read_text())
    return data


# -- fast: the address, without a cluster ------------------------------------------------------


def test_a_ray_address_is_read_in_its_three_forms() -> None:
    assert head_address("10.0.0.1:6380") == ("10.0.0.1", 6380)
    assert head_address("head.example") == ("head.example", 6379)
    assert head_address("ray://10.0.0.1") == ("10.0.0.1", 10001)
    assert head_address(" ray://[::1]:10002/ ") == ("::1", 10002)
    with pytest.raises(BackendError) as e:
        head_address("http://head:8265/x")
    assert "not a Ray address" in e.value.message and "HOST:PORT" in e.value.fix


def test_a_port_nobody_listens_on_is_refused_with_the_fix() -> None:
    with pytest.raises(BackendError) as e:
        check_reachable(f"127.0.0.1:{free_port()}")
    assert "cannot reach the Ray head at 127.0.0.1" in e.value.message
    assert "refused" in e.value.message
    assert "ray start --head" in e.value.fix


# -- slow: real clusters -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    reason = ray_missing()
    if reason is not None:
        pytest.skip(reason)
    with start_ray_cluster(workers=2, cpus_per_worker=1) as c:
        yield c


def _only_events(raw_stdout: str) -> None:
    """Ray wrote nothing to stdout: every line there is a harness event."""
    stray = [ln for ln in raw_stdout.splitlines() if parse_event(ln)["event"] == "text"]
    assert stray == []


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_two_replicas_run_on_the_two_worker_nodes(
    tmp_path: Path, tiny_assets: Any, cluster: RayCluster, scenario: str
) -> None:
    run_json = write_run(tmp_path, tiny_assets, scenario, backend=_backend(cluster.address))
    run = run_harness(run_json, timeout=120)
    assert run.rc == 0 and run.result["status"] == "ok", run
    _only_events(run.raw_stdout)
    final = run.by_name["progress"][-1]
    assert final["issued"] == final["completed"] > 0
    assert "2 Ray replicas on 2 nodes" in run.stderr
    info = _cluster_json(run.output_dir)
    assert info["address"] == cluster.address and info["ray_version"]
    holding = [n for n in info["nodes"] if n["replicas"]]
    assert [n["replicas"] for n in holding] == [1, 1], info
    assert len({n["node_id"] for n in holding}) == 2
    assert all(n["resources"].get("CPU") == 1.0 for n in holding)
    # the head (no CPUs) is listed, and holds none
    assert len(info["nodes"]) == 3


@pytest.mark.slow
def test_offline_accuracy_on_the_replicas_is_the_local_runtimes(
    tmp_path: Path, tiny_assets: Any, cluster: RayCluster
) -> None:
    logs = {}
    for name, backend in (
        ("ray", _backend(cluster.address)),
        ("local", {**_backend(""), "name": "onnxruntime", "ray": None}),
    ):
        folder = tmp_path / name
        folder.mkdir()
        if backend["ray"] is None:
            del backend["ray"]
        run = run_harness(
            write_run(folder, tiny_assets, "Offline", "accuracy", backend=backend), timeout=120
        )
        assert run.rc == 0 and run.result["status"] == "ok", run
        entries = json.loads((run.output_dir / "mlperf_log_accuracy.json").read_text())
        logs[name] = sorted((e["qsl_idx"], e["data"]) for e in entries)
    assert len(logs["ray"]) == tiny_assets.count
    assert logs["ray"] == logs["local"]


@pytest.mark.slow
def test_singlestream_runs_one_replica(
    tmp_path: Path, tiny_assets: Any, cluster: RayCluster
) -> None:
    conf = (
        f"*.*.performance_sample_count_override = {tiny_assets.count}\n"
        "*.*.min_duration = 100\n"
        "*.SingleStream.min_query_count = 100\n"
        "*.SingleStream.target_latency = 5\n"
    )
    run_json = write_run(
        tmp_path, tiny_assets, "SingleStream", user_conf=conf, backend=_backend(cluster.address)
    )
    run = run_harness(run_json, timeout=120)
    assert run.rc == 0 and run.result["status"] == "ok", run
    assert [n["replicas"] for n in _cluster_json(run.output_dir)["nodes"] if n["replicas"]] == [1]


@pytest.mark.slow
def test_address_local_starts_a_cluster_of_its_own_and_stops_it(
    tmp_path: Path, tiny_assets: Any
) -> None:
    if ray_missing():
        pytest.skip(str(ray_missing()))
    run_json = write_run(tmp_path, tiny_assets, "Offline", backend=_backend("local"))
    run = run_harness(run_json, timeout=120)
    assert run.rc == 0 and run.result["status"] == "ok", run
    _only_events(run.raw_stdout)
    info = _cluster_json(run.output_dir)
    assert info["address"] == "local"
    assert [n["replicas"] for n in info["nodes"]] == [2]
    assert info["nodes"][0]["resources"]["CPU"] == 2.0  # sized to 2 replicas x 1 CPU
    # nothing of the cluster is left: no process runs from its temporary folder, now removed
    temp_dir = re.search(r"local \(this run's, in (\S+)\)", run.stderr)
    assert temp_dir is not None, run
    folder = temp_dir.group(1)
    assert not Path(folder).exists()
    left = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if folder.encode() in cmdline:
                left.append(entry)
    assert left == []


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["Offline", "Server"])
def test_a_replica_killed_mid_run_fails_the_run_naming_the_replica_and_its_node(
    tmp_path: Path, tiny_assets: Any, cluster: RayCluster, scenario: str
) -> None:
    conf = LONG_USER_CONF.format(count=tiny_assets.count)
    run_json = write_run(
        tmp_path, tiny_assets, scenario, user_conf=conf, backend=_backend(cluster.address)
    )
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            harness_command(run_json),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            cwd=tmp_path,
        )
        events: list[dict[str, Any]] = []
        killed: tuple[str, int] | None = None
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                event = parse_event(line)
                events.append(event)
                if event["event"] == "progress" and event["issued"] > 0 and killed is None:
                    # replica 2's worker process, as the harness reported it (the actor's pid)
                    where = re.search(
                        r"replica 2 on \S+ (\S+) \((\w+), pid (\d+)\)", stderr_path.read_text()
                    )
                    assert where is not None, stderr_path.read_text()
                    killed = (where.group(1), int(where.group(3)))
                    os.kill(killed[1], signal.SIGKILL)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert killed is not None, stderr_path.read_text()
    assert proc.returncode == 1, stderr_path.read_text()
    result = [e for e in events if e["event"] == "result"][-1]
    assert result["status"] == "failed"
    node_ip, pid = killed
    assert re.search(
        rf"Ray replica 2 on node {re.escape(node_ip)} \(\w{{8}}\) died: ", result["message"]
    ), result["message"]
    assert f"pid was {pid}" in result["message"]
    final = [e for e in events if e["event"] == "progress"][-1]
    assert final["issued"] == final["completed"] > 0
    # LoadGen still wrote its logs
    assert (Path(result["output_dir"]) / "mlperf_log_detail.txt").exists()


# replicas against the local runtime on the same model, in a child (a Ray driver keeps state)
_SHARED_SAMPLES_CHILD = """
import json, sys
from pathlib import Path
import numpy as np
from harness.backends.onnxruntime import OnnxRuntimeBackend
from harness.backends.ray import start_replicas
from harness.config import BackendOptions, RayOptions

model = Path(sys.argv[1])
local = OnnxRuntimeBackend(model, BackendOptions(intra_op_threads=1))
options = BackendOptions(
    name="ray", intra_op_threads=1, ray=RayOptions(address="local", replicas=1)
)
replicas = start_replicas(model, options, "Offline")
proxy = replicas.proxies[0]
name, out = local.inputs[0].name, ["softmax_tensor:0"]
def same(a, b):
    return bool(np.allclose(proxy.predict({name: a}, out)[0], local.predict({name: b}, out)[0]))
samples = np.random.default_rng(0).standard_normal((16, 3, 224, 224)).astype(np.float32)
samples.flags.writeable = False
read_only = [same(samples[lo:hi], samples[lo:hi]) for lo, hi in [(0, 4), (4, 8), (3, 7), (15, 16)]]
shared = replicas.shared_sample_sets
buffer = np.zeros_like(samples)  # writable and refilled for every batch: never shared
refilled = []
for lo in (0, 8):
    buffer[:4] = samples[lo : lo + 4]
    refilled.append(same(buffer[:4], samples[lo : lo + 4]))
print(json.dumps({"read_only": read_only, "shared": shared, "refilled": refilled,
                  "shared_after": replicas.shared_sample_sets}))
replicas.close()
"""


@pytest.mark.slow
def test_replicas_on_this_node_read_read_only_samples_shared_and_others_as_sent(
    tmp_path: Path, tiny_assets: Any
) -> None:
    if ray_missing():
        pytest.skip(str(ray_missing()))
    done = subprocess.run(
        [sys.executable, "-c", _SHARED_SAMPLES_CHILD, str(tiny_assets.model)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # every batch's results are those of the local runtime on the same rows
    assert result["read_only"] == [True] * 4
    assert result["refilled"] == [True, True]
    # the read-only samples went to the object store once; the writable buffer never did
    assert result["shared"] == 1 and result["shared_after"] == 1


@pytest.mark.slow
def test_a_dead_address_is_an_error_event_and_exit_2(tmp_path: Path, tiny_assets: Any) -> None:
    if ray_missing():
        pytest.skip(str(ray_missing()))
    address = f"127.0.0.1:{free_port()}"
    run_json = write_run(tmp_path, tiny_assets, "Offline", backend=_backend(address))
    started = time.monotonic()
    run = run_harness(run_json, timeout=60)
    assert run.rc == 2, run
    (error,) = run.by_name["error"]
    assert f"cannot reach the Ray head at {address}" in error["message"]
    assert "ray start --head" in error["fix"]
    assert "result" not in run.by_name
    print(f"dead address: error after {time.monotonic() - started:.1f} s")


@pytest.mark.slow
def test_more_replicas_than_the_cluster_holds_is_the_placement_error(
    tmp_path: Path, tiny_assets: Any, cluster: RayCluster
) -> None:
    run_json = write_run(
        tmp_path, tiny_assets, "Offline", backend=_backend(cluster.address, replicas=3)
    )
    run = run_harness(run_json, timeout=120)
    assert run.rc == 2, run
    (error,) = run.by_name["error"]
    assert "3 Ray replicas do not fit (there is room for 2)" in error["message"]
    assert "each needs 1 CPU, the cluster has 2 CPUs free" in error["message"]
    assert "backend.ray.replicas" in error["fix"]
