"""``python -m mlperf_tui.cluster.ray_probe ADDRESS``: the alive nodes of a Ray cluster, each
with this project's hardware detection run on that node, as one JSON line on stdout.

A child process of :func:`mlperf_tui.cluster.check_ray`: ``ray.init`` leaves a connection and
threads in the process that calls it, which the wizard and the runner must not carry. Every
node needs mlperf-tui installed in the Python environment the cluster runs (Ray's workers run
the same interpreter as the node's ``ray start``), as the harness's replicas need it too.

Output: ``{"ray_version": ..., "nodes": [{"node_id", "ip", "hostname", "resources",
"system", "error"}], "available": {...}}``, or ``{"error": ..., "fix": ...}`` with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

#: seconds each node's detection may take
DETECT_TIMEOUT_S = 120.0


def _describe() -> dict[str, Any]:
    """Runs on a node: its host name and what detection finds there."""
    import socket

    from mlperf_tui.system import detect

    try:
        values = {v.name: "" if v.value is None else str(v.value) for v in detect().fields}
        return {"hostname": socket.gethostname(), "system": values, "error": None}
    except Exception as exc:  # one node's detection failing is said, not fatal
        return {"hostname": socket.gethostname(), "system": {}, "error": str(exc)}


def probe(address: str, timeout_s: float) -> dict[str, Any]:
    import logging

    import ray as ray_module
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    # Ray's own type hints differ between its releases: used untyped here
    ray: Any = ray_module
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    try:
        alive = [n for n in ray.nodes() if n.get("Alive")]
        describe = ray.remote(num_cpus=0)(_describe)
        refs = [
            describe.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=n["NodeID"], soft=False)
            ).remote()
            for n in alive
        ]
        found = ray.get(refs, timeout=timeout_s)
        nodes = []
        for node, info in zip(alive, found, strict=True):
            nodes.append(
                {
                    "node_id": node["NodeID"],
                    "ip": node.get("NodeManagerAddress", ""),
                    "hostname": info["hostname"],
                    "resources": {
                        k: v
                        for k, v in node.get("Resources", {}).items()
                        if not k.startswith("node:")
                    },
                    "system": info["system"],
                    "error": info["error"],
                }
            )
        return {
            "ray_version": str(ray.__version__),
            "nodes": nodes,
            "available": dict(ray.available_resources()),
        }
    finally:
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlperf_tui.cluster.ray_probe")
    parser.add_argument("address")
    parser.add_argument("--timeout", type=float, default=DETECT_TIMEOUT_S)
    args = parser.parse_args(argv)
    # Ray logs to stdout in places: the one JSON line goes to the stdout we were given
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        data = probe(args.address, args.timeout)
    except ImportError:
        data = {"error": "ray is not installed here", "fix": "pip install 'mlperf-tui[ray]'"}
    except Exception as exc:  # Ray raises its own types for a refused or broken cluster
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        data = {
            "error": f"Ray could not use the cluster at {args.address}: {first}",
            "fix": "check that the cluster runs (ray status on its head) and that this "
            "machine runs the same Ray and Python versions",
        }
    out.write(json.dumps(data) + "\n")
    out.flush()
    return 2 if "error" in data and "nodes" not in data else 0


if __name__ == "__main__":
    sys.exit(main())
