"""The checks of several machines before any run: the network division's SUT nodes (against a
small HTTP service on 127.0.0.1 that answers as ``mlperf-tui serve`` does), a Ray address that
nothing answers on, and the systems-JSON values made from each node's detection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from mlperf_tui.cluster import ClusterCheck, ClusterError, NodeInfo, check_nodes, check_ray
from mlperf_tui.cluster.facts import cluster_facts
from mlperf_tui.cluster.ray_check import head_address
from mlperf_tui.profile import default_profile
from mlperf_tui.run.preflight.machines import machines_items
from tests.fixtures.fake_sut_service import MODEL as FAKE_MODEL
from tests.fixtures.fake_sut_service import fake_sut_service, free_port

MODEL = {**FAKE_MODEL, "system": {"host_processor_model_name": "Test CPU 9000"}}
SUT_NAME = "mlperf-tui resnet50 Network SUT"


@pytest.fixture
def services() -> Iterator[list[str]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(fake_sut_service(SUT_NAME, MODEL)) for _ in range(2)]


def test_two_answering_sut_nodes_are_listed_with_their_hardware(services: list[str]) -> None:
    found = check_nodes(services, timeout_s=2)
    assert [n.address for n in found.nodes] == services
    assert found.nodes[0].system["host_processor_model_name"] == "Test CPU 9000"
    assert "2 SUT nodes" in found.lines[0]


def test_a_node_that_is_down_is_named_with_the_fix(services: list[str]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterError) as info:
        check_nodes([services[0], dead], timeout_s=2)
    assert dead in info.value.message
    assert "mlperf-tui serve" in info.value.fix


def test_nodes_serving_other_models_or_names_are_refused(services: list[str]) -> None:
    with (
        fake_sut_service(SUT_NAME, {**MODEL, "task": "bert_squad"}) as other,
        fake_sut_service("my sut", MODEL) as unnamed,
    ):
        with pytest.raises(ClusterError, match="different models"):
            check_nodes([services[0], other], 2)
        with pytest.raises(ClusterError, match="Network SUT"):
            check_nodes([unnamed], 2)


def test_a_ray_address_nothing_answers_on_fails_at_once_with_the_fix() -> None:
    port = free_port()
    with pytest.raises(ClusterError) as info:
        check_ray(f"127.0.0.1:{port}", 2, 1.0)
    assert f"127.0.0.1:{port}" in info.value.message and "refused" in info.value.message
    assert "ray start --head" in info.value.fix
    with pytest.raises(ClusterError, match="not a Ray address"):
        head_address("http://x/y")
    assert head_address("ray://head") == ("head", 10001)
    assert head_address("10.0.0.1") == ("10.0.0.1", 6379)


def test_the_preflight_refuses_a_profile_whose_node_is_down() -> None:
    profile = default_profile().model_copy(deep=True)
    profile.backend.name = "ray"
    profile.backend.address = f"127.0.0.1:{free_port()}"
    items = machines_items(profile)
    assert [i.status for i in items] == ["shortage"]
    assert "refused" in items[0].note and items[0].fix
    assert machines_items(default_profile()) == []


def _node(name: str, cpu: str, cpus: float = 1.0) -> NodeInfo:
    system = {"host_processor_model_name": cpu, "host_memory_capacity": "24 GB"}
    return NodeInfo(name, name, "", system, {"resources": {"CPU": cpus}})


def test_the_systems_json_counts_the_nodes_that_hold_replicas_and_says_where_they_differ() -> None:
    local = {"number_of_nodes": {"value": "1"}, "host_processor_model_name": {"value": "here"}}
    check = ClusterCheck(
        "ray", (_node("head", "CPU A", cpus=0), _node("w1", "CPU A"), _node("w2", "CPU B")), ()
    )
    facts = cluster_facts(check, local)
    assert facts["number_of_nodes"]["value"] == "2"  # the head holds no replica
    assert facts["host_memory_capacity"]["value"] == "24 GB"
    assert "differ" in facts["host_processor_model_name"]["reason"]
    assert "host_processor_model_name" in facts["hw_notes"]["value"]
    assert [n["name"] for n in facts["_nodes"]] == ["w1", "w2"]


def test_the_network_division_fills_the_network_fields_it_can_detect() -> None:
    local = {"host_networking": {"value": "Ethernet 10 Gb/s"}}
    check = ClusterCheck("network", (_node("a", "CPU A"), _node("b", "CPU A")), ())
    facts = cluster_facts(check, local, in_flight=64)
    assert facts["is_network"]["value"] == "true"
    assert facts["nic_loadgen"]["value"] == "Ethernet 10 Gb/s"
    assert facts["number_connections"]["value"] == "128"
    assert facts["network_protocol"]["value"].startswith("HTTP/1.1")
    assert facts["network_type"]["status"] == "ask"
