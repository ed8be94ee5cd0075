"""The systems-JSON values of a system of several machines, from each node's detection.

system.json (the results folder's detected facts, ``{field: {"value", "status", "reason"}}``)
describes this machine. When the SUT is a Ray cluster's nodes or the network division's SUT
nodes, :func:`cluster_facts` replaces what describes the SUT with what detection found on the
nodes themselves: ``number_of_nodes``, and each per-node field (processors, memory,
accelerators, networking) where every node agrees; where nodes differ, the first node's value
with the difference said in the reason and in ``hw_notes``. The network division adds the
network-mode fields (:data:`mlperf_tui.rules.systems.NETWORK_SYSTEM_FIELDS`) that detection
can fill: ``is_network``, the LoadGen node's and the SUT nodes' network cards and software,
the protocol and the connections; the rest (fabric type, medium, rate, topology) are asked.
The raw per-node values are kept under ``_nodes`` (ignored by the systems JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlperf_tui.cluster import ClusterCheck
from mlperf_tui.rules.systems import (
    NETWORK_ASKED_FIELDS,
    NETWORK_SYSTEM_FIELDS,
    PER_NODE_FIELDS,
)

#: what the network division's dispatcher speaks (harness.network: aiohttp over TCP/IP)
NETWORK_PROTOCOL = "HTTP/1.1 over TCP/IP"


def _entry(value: str, status: str, reason: str) -> dict[str, str]:
    return {"value": value, "status": status, "reason": reason}


def aiohttp_version() -> str:
    try:
        import aiohttp

        return f"aiohttp {aiohttp.__version__}"
    except ImportError:  # pragma: no cover - a dependency
        return "aiohttp"


def cluster_facts(
    check: ClusterCheck, local: Mapping[str, Any], *, in_flight: int = 0
) -> dict[str, Any]:
    """system.json of this machine (``local``) made to describe the cluster's nodes."""
    facts: dict[str, Any] = dict(local)
    nodes = [n for n in check.nodes if _holds_work(check, n.raw)]
    if not nodes:
        return facts
    count = len(nodes)
    where = "Ray nodes" if check.kind == "ray" else "SUT nodes"
    facts["number_of_nodes"] = _entry(
        str(count), "detected", f"from the cluster: {count} {where} ({_names(nodes)})"
    )
    differ: list[str] = []
    for name in PER_NODE_FIELDS:
        values = [n.system.get(name, "") for n in nodes]
        known = [v for v in values if v]
        if not known:
            continue
        if len(set(values)) == 1:
            facts[name] = _entry(known[0], "detected", f"detected on each of the {count} {where}")
        else:
            shown = "; ".join(f"{n.name}: {v or '?'}" for n, v in zip(nodes, values, strict=True))
            facts[name] = _entry(known[0], "detected", f"the {where} differ: {shown}")
            differ.append(name)
    if count > 1:
        facts["host_networking_topology"] = _entry(
            "", "ask", f"{count} nodes: say how they are connected (e.g. 'Ethernet, one switch')"
        )
    if differ:
        note = f"The {where} differ in {', '.join(differ)}; the values are the first node's."
        old = _value(facts.get("hw_notes"))
        facts["hw_notes"] = _entry(f"{old} {note}".strip(), "detected", note)
    if check.kind == "network":
        _network_fields(facts, local, nodes, in_flight)
    facts["_nodes"] = [
        {"name": n.name, "address": n.address, "detail": n.detail, "system": n.system}
        for n in nodes
    ]
    return facts


def _holds_work(check: ClusterCheck, raw: Mapping[str, Any]) -> bool:
    """A Ray node that can hold a replica (CPUs or GPUs); every SUT node of the network."""
    if check.kind != "ray":
        return True
    res = raw.get("resources") or {}
    return bool(float(res.get("CPU", 0)) or float(res.get("GPU", 0)))


def _names(nodes: list[Any]) -> str:
    return ", ".join(n.name for n in nodes)


def _value(entry: Any) -> str:
    if isinstance(entry, Mapping):
        return str(entry.get("value") or "")
    return "" if entry is None else str(entry)


def _network_fields(
    facts: dict[str, Any], local: Mapping[str, Any], nodes: list[Any], in_flight: int
) -> None:
    stack = f"{aiohttp_version()} (Python) over the operating system's TCP/IP"
    sut_nics = {n.system.get("host_networking", "") for n in nodes} - {""}
    sut_cards = {n.system.get("host_network_card_count", "") for n in nodes} - {""}
    sut_stack = {n.system.get("_net_software", "") for n in nodes} - {""}
    detected = {
        "is_network": ("true", "the network division: LoadGen reaches the SUT nodes over it"),
        "nic_loadgen": (_value(local.get("host_networking")), "detected on this machine"),
        "number_nic_loadgen": (
            _value(local.get("host_network_card_count")),
            "detected on this machine",
        ),
        "net_software_stack_loadgen": (stack, "what the dispatcher runs on this machine"),
        "network_protocol": (NETWORK_PROTOCOL, "what the dispatcher and the SUT services speak"),
        "number_connections": (
            str(len(nodes) * in_flight) if in_flight else "",
            f"{len(nodes)} nodes x {in_flight} requests in flight per node at most",
        ),
        "nic_sut": ("; ".join(sorted(sut_nics)), "detected on the SUT nodes"),
        "number_nic_sut": ("; ".join(sorted(sut_cards)), "detected on the SUT nodes"),
        "net_software_stack_sut": (
            "; ".join(sorted(sut_stack)) or stack,
            "what the SUT services run (mlperf-tui serve)",
        ),
    }
    for name, (value, reason) in detected.items():
        facts[name] = _entry(value, "detected" if value else "ask", reason)
    for field in NETWORK_SYSTEM_FIELDS:
        if field.name in NETWORK_ASKED_FIELDS:
            facts.setdefault(field.name, _entry("", "ask", field.description))
