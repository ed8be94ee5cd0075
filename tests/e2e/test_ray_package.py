"""A Ray profile end to end: ``mlperf-tui run P --headless --json --out PKG`` with
``backend.name: ray`` on a real local cluster (a head without CPUs and two worker nodes of one
CPU each, on this machine), the tiny stand-in's replicas on the workers.

- v6.1, open, edge (SingleStream and Offline, performance and accuracy): the package is accepted
  by our validator and by the official checker of the reference copy apart from test execution
  and synthetic assets; its systems JSON counts the two nodes that hold the replicas, with the
  hardware detected on them, and its hw_notes say where the replicas were.
- Server: ResNet50's Server scenario is in the datacenter suite only up to v5.0, so a v5.0
  profile runs Offline and Server on the cluster (both runs finish; the package is built).
- A worker node killed in the middle of a run fails that run with the replica and node named,
  and the run before it stays intact.

Slow: a cluster's start (about 10 s) and a driver with two replicas per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reference_copy as ref
import yaml

from mlperf_tui.official import run_official_checker
from tests.fixtures.faults import SYSTEM_ANSWERS
from tests.fixtures.ray_cluster import RayCluster, ray_missing, start_ray_cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing())),
]

EXPECTED_ERRORS = {"package.test-execution", "package.synthetic-assets"}
CLI = (sys.executable, "-m", "mlperf_tui")


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    with start_ray_cluster(workers=2, cpus_per_worker=1) as started:
        yield started


def _profile(root: Path, address: str, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "schema_version": 1,
        "benchmark": "resnet50",
        "division": "open",
        "category": "edge",
        "scenarios": ["SingleStream", "Offline"],
        "modes": ["performance", "accuracy"],
        "execution": "test",
        "backend": {
            "name": "ray",
            "address": address,
            "replicas": 2,
            "per_replica": {"num_cpus": 1},
            "intra_op_threads": 1,
            "batch_size": 16,
        },
        "assets": {
            "model": {"source": "synthetic", "kind": "tiny"},
            "dataset": {"source": "synthetic", "count": 64},
        },
        "submitter": "Quickstart",
        "system": {**SYSTEM_ANSWERS, "host_networking_topology": "one machine, loopback"},
        "output": str(root / "results"),
    }
    data.update(changes)
    path = root / "ray.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "MLPERF_TUI_CACHE": str(root / "cache"), "RAY_USAGE_STATS_ENABLED": "0"}


def _replay(root: Path, profile: Path, **popen: Any) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [*CLI, "run", str(profile), "--headless", "--json", "--out", str(root / "pkg")],
        capture_output=True,
        text=True,
        env=_env(root),
        timeout=1200,
        **popen,
    )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"exit {proc.returncode}:\n{proc.stderr[-4000:]}") from None
    return proc.returncode, doc, proc.stderr


def _errors(doc: dict[str, Any]) -> set[str]:
    return {f["id"] for f in doc["validation"]["findings"] if f["severity"] == "error"}


@pytest.fixture(scope="module")
def edge(
    cluster: RayCluster, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, Any], str, Path]:
    root = tmp_path_factory.mktemp("ray-edge")
    started = time.monotonic()
    code, doc, stderr = _replay(root, _profile(root, cluster.address))
    print(f"ray replay (edge): {time.monotonic() - started:.1f} s")
    return code, doc, stderr, root / "pkg"


def test_the_ray_replay_builds_a_package_refused_only_for_test_execution(
    edge: tuple[int, dict[str, Any], str, Path],
) -> None:
    code, doc, stderr, _ = edge
    assert code == 0, stderr[-4000:]
    assert doc["complete"] is True
    assert _errors(doc) == EXPECTED_ERRORS, doc["validation"]["findings"]


def test_the_systems_json_counts_the_nodes_that_hold_the_replicas(
    edge: tuple[int, dict[str, Any], str, Path],
) -> None:
    _, doc, _, out = edge
    (system_json,) = out.glob("open/Quickstart/systems/*.json")
    system = json.loads(system_json.read_text())
    assert system["number_of_nodes"] in (2, "2")
    assert "2 ONNX Runtime replicas on 2 nodes" in system["hw_notes"]
    results = Path(doc["results_folder"])
    facts = json.loads((results / "system.json").read_text())
    assert "each of the 2 Ray nodes" in facts["host_processor_model_name"]["reason"]
    assert len(facts["_nodes"]) == 2
    cluster_json = json.loads(
        (results / "runs" / "Offline-performance" / "cluster.json").read_text()
    )
    # the head (no CPUs) holds none; each worker one
    assert sorted(n["replicas"] for n in cluster_json["nodes"]) == [0, 1, 1]


def test_the_official_checker_accepts_the_ray_package(
    edge: tuple[int, dict[str, Any], str, Path],
) -> None:
    verdict = run_official_checker(edge[3], ref.inference_root(), version="v6.1")
    assert not verdict.crashed
    assert ref.unexplained_errors(verdict.errors) == [], verdict.errors


def test_offline_and_server_run_on_the_cluster(cluster: RayCluster, tmp_path: Path) -> None:
    profile = _profile(
        tmp_path,
        cluster.address,
        round="v5.0",
        category="datacenter",
        scenarios=["Server", "Offline"],
        modes=["performance"],
        targets={"Server": {"target_qps": 20}},
    )
    _, doc, stderr = _replay(tmp_path, profile)
    runs = {r["run_id"]: r for r in doc["runs"]}
    assert set(runs) == {"Server-performance", "Offline-performance"}, stderr[-3000:]
    assert all(r["status"] == "ok" for r in runs.values()), doc["runs"]
    # VALID when the shared machine lets the replicas answer within 15 ms at 20 queries/s;
    # what the test holds is that both scenarios run on the cluster to the end
    print(f"Server on the cluster: valid={runs['Server-performance']['valid']}")


def test_a_worker_node_that_dies_fails_its_run_and_keeps_the_ones_before(
    tmp_path: Path,
) -> None:
    # a cluster of its own: a node is killed
    with start_ray_cluster(workers=2, cpus_per_worker=1) as own:
        profile = _profile(
            tmp_path,
            own.address,
            # an Offline query of about 20 s, so the node dies in the middle of it
            targets={"Offline": {"target_qps": 20000}},
        )

        def kill_when_running() -> None:
            deadline = time.monotonic() + 300
            results = tmp_path / "results"
            while time.monotonic() < deadline:
                events = list(results.glob("*/runs/Offline-performance/events.jsonl"))
                if events and '"running"' in events[0].read_text():
                    own.workers[0].stop()
                    return
                time.sleep(0.1)

        killer = threading.Thread(target=kill_when_running, daemon=True)
        killer.start()
        code, doc, stderr = _replay(tmp_path, profile)
        killer.join()
    runs = {r["run_id"]: r for r in doc["runs"]}
    assert runs["SingleStream-performance"]["status"] == "ok"
    assert runs["SingleStream-accuracy"]["status"] == "ok"
    failed = runs["Offline-performance"]
    assert failed["status"] == "failed", doc["runs"]
    assert "Ray replica" in failed["message"] and "died" in failed["message"], failed
    # the next run finds the cluster a node short: the replicas do not fit, and it says so
    after = runs["Offline-accuracy"]
    assert after["status"] == "failed" and "fit" in after["message"], after
    assert code == 4 and "Traceback" not in stderr
