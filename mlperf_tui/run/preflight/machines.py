"""The machines items of the pre-flight check: a Ray cluster or the network division's SUT
nodes, checked before the first run starts (see :mod:`mlperf_tui.cluster`).

A run whose replicas cannot be placed, or whose SUT node is down, would only fail after the
runs before it: here it is a ``machines`` item that is a shortage with the fix, and no run
starts.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING

from mlperf_tui.run.preflight.model import STATUS_OK, STATUS_SHORTAGE, PreflightItem

if TYPE_CHECKING:
    from mlperf_tui.cluster import ClusterCheck
    from mlperf_tui.profile import Profile

#: the check of the machines: the profile -> what was found (ClusterError when unusable)
MachinesCheck = Callable[["Profile"], "ClusterCheck"]


def _item(what: str, status: str, note: str, fix: str = "") -> PreflightItem:
    return PreflightItem("machines", what, None, None, status, fix=fix, note=note)


def check_machines(profile: Profile, timeout_s: float | None = None) -> ClusterCheck | None:
    """The cluster or the SUT nodes of ``profile`` (None: one machine); ClusterError.
    ``timeout_s`` bounds each answer (None: the checks' own)."""
    from mlperf_tui.cluster import check_nodes, check_ray, replica_cpus

    if profile.network is not None:
        limit = min(10.0, profile.network.timeout_s, timeout_s or 10.0)
        return check_nodes(profile.network.nodes, timeout_s=limit)
    b = profile.backend
    if b.name != "ray":
        return None
    each = b.per_replica
    return check_ray(
        b.address or "local",
        b.replicas or 1,
        replica_cpus(b.intra_op_threads, each.num_cpus if each is not None else None),
        each.num_gpus if each is not None else 0.0,
        **({} if timeout_s is None else {"timeout_s": timeout_s}),
    )


def machines_items(profile: Profile, check: MachinesCheck | None = None) -> list[PreflightItem]:
    """The machines items of a Ray or network profile (none for one machine)."""
    from mlperf_tui.cluster import ClusterError

    if profile.network is None and profile.backend.name != "ray":
        return []
    if profile.backend.name == "ray" and importlib.util.find_spec("ray") is None:
        return [
            _item(
                "machines: Ray",
                STATUS_SHORTAGE,
                "backend.name is ray, but Ray is not installed in this Python",
                "pip install 'mlperf-tui[ray]' here and on every node of the cluster",
            )
        ]
    what = (
        f"machines: {len(profile.network.nodes)} SUT nodes"
        if profile.network is not None
        else f"machines: Ray cluster {profile.backend.address}"
    )
    try:
        found = (check or _checked)(profile)
    except ClusterError as exc:
        return [_item(what, STATUS_SHORTAGE, exc.message, exc.fix)]
    return [_item(what, STATUS_OK, "; ".join(line.strip() for line in found.lines))]


def _checked(profile: Profile) -> ClusterCheck:
    found = check_machines(profile)
    assert found is not None  # machines_items asks only for a Ray or network profile
    return found
