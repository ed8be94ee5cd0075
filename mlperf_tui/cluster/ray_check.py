"""The Ray cluster of a ``backend.name: ray`` profile (see :mod:`mlperf_tui.cluster`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import Any

from mlperf_tui.cluster import ClusterCheck, ClusterError, NodeInfo

#: seconds to wait for the head's port to accept a connection
CONNECT_TIMEOUT_S = 3.0


def head_address(address: str) -> tuple[str, int]:
    """(host, port) of a Ray address: ``host:port``, ``host`` or ``ray://host:port`` (the
    harness's reading of it, harness.backends.ray, with the profile's key in the error)."""
    from harness.backends.ray import head_address as harness_head_address
    from harness.errors import HarnessError

    try:
        return harness_head_address(address)
    except HarnessError as exc:
        raise ClusterError(
            exc.message.replace("backend.ray.address", "backend.address"), exc.fix
        ) from None


def reachable(host: str, port: int, what: str, start: str) -> None:
    """ClusterError (with the fix) unless ``host:port`` accepts a TCP connection quickly."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            return
    except socket.gaierror:
        why, fix = "the host name is unknown", "check the spelling, or use the head's IP address"
    except TimeoutError:
        why = f"no answer within {CONNECT_TIMEOUT_S:.0f} s"
        fix = "check that the machine is up and that a firewall lets this port through"
    except ConnectionRefusedError:
        why = "the connection was refused"
        fix = f"start it there ({start}), or check the port"
    except OSError as exc:
        why, fix = exc.strerror or str(exc), "check the address and the network"
    raise ClusterError(f"cannot reach {what} at {host}:{port}: {why}", fix)


def _gib(value: Any) -> str:
    try:
        return f"{float(value) / 2**30:.1f} GiB"
    except (TypeError, ValueError):
        return "? GiB"


def _local_check(replicas: int, num_cpus: float, num_gpus: float) -> ClusterCheck:
    cores = os.cpu_count() or 1
    lines = [
        f"address local: each run starts a one-node Ray cluster on this machine for "
        f"{replicas} replica{'s' if replicas != 1 else ''} and stops it after"
    ]
    if replicas * num_cpus > cores:
        lines.append(
            f"note: {replicas} replicas x {num_cpus:g} CPUs is more than this machine's "
            f"{cores} cores: the replicas will share them"
        )
    node = NodeInfo(
        name=socket.gethostname(),
        address="127.0.0.1",
        detail=f"{cores} CPUs (this machine)",
    )
    return ClusterCheck("ray", (node,), tuple(lines))


def local_system() -> dict[str, str]:
    """The systems-JSON values detection finds on this machine."""
    from mlperf_tui.system import detect

    return {v.name: "" if v.value is None else str(v.value) for v in detect().fields}


def check_ray(
    address: str, replicas: int, num_cpus: float, num_gpus: float, timeout_s: float
) -> ClusterCheck:
    if address.strip() == "local":
        return _local_check(replicas, num_cpus, num_gpus)
    host, port = head_address(address)
    reachable(host, port, "the Ray cluster's head", "ray start --head")
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mlperf_tui.cluster.ray_probe",
                address.strip(),
                "--timeout",
                str(timeout_s),
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s + 60,
            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(
            f"the Ray cluster at {address} did not answer within {timeout_s + 60:.0f} s",
            "check ray status on its head: a node may be starting or stuck",
        ) from None
    lines_out = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    try:
        data = json.loads(lines_out[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClusterError(
            f"the Ray probe of {address} failed: {tail}",
            "run python -m mlperf_tui.cluster.ray_probe ADDRESS to see all of it",
        ) from None
    if "error" in data:
        raise ClusterError(str(data["error"]), str(data.get("fix", "")))
    return _fit(address, data, replicas, num_cpus, num_gpus)


def _fit(
    address: str, data: dict[str, Any], replicas: int, num_cpus: float, num_gpus: float
) -> ClusterCheck:
    nodes: list[NodeInfo] = []
    lines = [f"Ray {data.get('ray_version', '?')} cluster at {address}"]
    for n in data.get("nodes", []):
        res = n.get("resources", {})
        cpus = float(res.get("CPU", 0))
        gpus = float(res.get("GPU", 0))
        detail = f"{cpus:g} CPUs" + (f", {gpus:g} GPUs" if gpus else "")
        detail += f", {_gib(res.get('memory'))}"
        if n.get("error"):
            detail += f"; detection failed: {n['error']}"
        nodes.append(
            NodeInfo(
                name=f"{n.get('hostname', '?')} ({n.get('ip', '?')})",
                address=str(n.get("ip", "")),
                detail=detail,
                system={str(k): str(v) for k, v in (n.get("system") or {}).items()},
                raw={"node_id": n.get("node_id"), "resources": res},
            )
        )
        lines.append(f"  node {nodes[-1].name}: {detail}")
    free = data.get("available", {})
    free_cpus, free_gpus = float(free.get("CPU", 0)), float(free.get("GPU", 0))
    need_cpus, need_gpus = replicas * num_cpus, replicas * num_gpus
    if need_cpus > free_cpus + 1e-9 or need_gpus > free_gpus + 1e-9:
        raise ClusterError(
            f"{replicas} replicas need {need_cpus:g} CPUs"
            + (f" and {need_gpus:g} GPUs" if need_gpus else "")
            + f", but the cluster has {free_cpus:g} CPUs"
            + (f" and {free_gpus:g} GPUs" if need_gpus else "")
            + " free",
            "lower backend.replicas or backend.per_replica.num_cpus/num_gpus, or add nodes "
            "(ray start --address HEAD on another machine)",
        )
    lines.append(
        f"{replicas} replica{'s' if replicas != 1 else ''} x {num_cpus:g} CPUs"
        + (f" x {num_gpus:g} GPUs" if num_gpus else "")
        + f" fit ({free_cpus:g} CPUs free)"
    )
    return ClusterCheck("ray", tuple(nodes), tuple(lines), str(data.get("ray_version", "")))
