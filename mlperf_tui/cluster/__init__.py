"""Several machines: what is on the other end before any run starts.

Two ways a system can be more than this machine (DESIGN.md, "Beyond one machine"):

- ``backend.name: ray``: the harness sends its batches to ONNX Runtime replicas on a Ray
  cluster. :func:`check_ray` connects to the cluster (in a child process, so Ray's own state
  never lives in the wizard or the runner), lists the nodes that are alive, runs this
  project's hardware detection on each of them, and says whether the replicas fit.
- the network division: LoadGen here, the SUT on nodes that each run ``mlperf-tui serve``.
  :func:`check_nodes` asks each node's service for its health, its name and what it serves
  (the model's tensors and the node's own detected hardware).

Both return a :class:`ClusterCheck`: the nodes with their systems-JSON values, and lines to
show. Both raise :class:`ClusterError` (message and fix) for anything a user must change: an
address nothing answers on, a cluster too small for the replicas, a node that is down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mlperf_tui.errors import MlperfTuiError

__all__ = [
    "ClusterCheck",
    "ClusterError",
    "NodeInfo",
    "check_nodes",
    "check_ray",
    "replica_cpus",
]


def replica_cpus(intra_op_threads: int, num_cpus: float | None) -> float:
    """The Ray CPUs one replica reserves: ``num_cpus`` when given, else its intra-op threads
    (1 when those are 0, sized to the cores): the harness's rule (harness.config.RayOptions)."""
    return float(num_cpus) if num_cpus is not None else float(intra_op_threads or 1)


class ClusterError(MlperfTuiError):
    """The cluster or a node cannot be used as the profile says."""


@dataclass(frozen=True)
class NodeInfo:
    """One machine of the system under test."""

    #: how the user knows it: the node's host name and address, or the service's URL
    name: str
    #: its address (Ray: the node's IP; network: the service's URL)
    address: str
    #: one line for a person: what it holds ("2 CPUs, 23.5 GiB, 1 replica slot")
    detail: str
    #: the systems-JSON values detection found on that node ({} when unknown)
    system: dict[str, str] = field(default_factory=dict)
    #: what else the other end said (Ray: the node's resources; network: the service's model)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterCheck:
    """What a check found: the nodes, and lines that say it."""

    kind: Literal["ray", "network"]
    nodes: tuple[NodeInfo, ...]
    lines: tuple[str, ...]
    #: Ray: the cluster's Ray version; network: the services' SUT name
    version: str = ""


def check_ray(
    address: str,
    replicas: int,
    num_cpus: float,
    num_gpus: float = 0.0,
    timeout_s: float = 60.0,
) -> ClusterCheck:
    """The Ray cluster at ``address`` and whether ``replicas`` replicas of ``num_cpus`` CPUs
    (and ``num_gpus`` GPUs) fit on it; ``address`` "local" is this machine."""
    from mlperf_tui.cluster.ray_check import check_ray as _check

    return _check(address, replicas, num_cpus, num_gpus, timeout_s)


def check_nodes(urls: list[str] | tuple[str, ...], timeout_s: float = 10.0) -> ClusterCheck:
    """Every SUT service of the network division answering, and serving the same model."""
    from mlperf_tui.cluster.nodes import check_nodes as _check

    return _check(urls, timeout_s)
