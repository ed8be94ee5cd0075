"""Several machines in a profile: a Ray backend's cluster and replicas, and the network
division's SUT nodes; their checks against the rest of the profile, the RUN.json they make,
and the YAML round trip."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mlperf_tui.errors import ProfileError
from mlperf_tui.profile import default_profile, dump_profile, parse_profile, profile_to_dict
from mlperf_tui.rules.model import Scenario
from mlperf_tui.rules.systems import NETWORK_SYSTEM_FIELDS
from mlperf_tui.run.child import backend_options, network_options

NODES = ["http://127.0.0.1:8101", "http://127.0.0.1:8102"]
#: a profile the network division takes: the datacenter suite's (of the built-in benchmarks,
#: 3D-UNet in v6.1), Offline
NETWORK_3D_UNET: dict[str, Any] = {
    "division": "network",
    "benchmark": "3d-unet-99",
    "category": "datacenter",
    "scenarios": ["Offline"],
    "backend": {"batch_size": 1},
    "assets": {
        "model": {"source": "synthetic", "kind": "tiny-3d-unet"},
        "dataset": {"source": "synthetic", "count": 6},
    },
}


def _profile_text(**changes: Any) -> str:
    data = profile_to_dict(default_profile())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return yaml.safe_dump(data, sort_keys=False)


def _ray(**backend: Any) -> dict[str, Any]:
    return {"name": "ray", "address": "127.0.0.1:6390", "replicas": 2, **backend}


def test_a_ray_backend_round_trips_and_becomes_the_harness_ray_block() -> None:
    profile = parse_profile(
        _profile_text(backend=_ray(intra_op_threads=1, per_replica={"num_cpus": 1}))
    )
    assert profile.backend.name == "ray"
    assert parse_profile(dump_profile(profile)) == profile
    options = backend_options(profile, Scenario.OFFLINE)
    assert options.name == "ray" and options.ray is not None
    assert (options.ray.address, options.ray.replicas, options.ray.num_cpus) == (
        "127.0.0.1:6390",
        2,
        1.0,
    )
    assert options.ray.in_flight == 2
    # one machine's profile says nothing of Ray (and dumps as it always did)
    assert "name:" not in dump_profile(default_profile()).split("backend:")[1].split("\n\n")[0]
    assert backend_options(default_profile(), Scenario.OFFLINE).ray is None


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"backend": {"name": "ray", "replicas": 2}}, "backend.address"),
        ({"backend": {"replicas": 2}}, "backend.name"),
        ({"backend": _ray(replicas=0)}, "replicas"),
        ({"backend": _ray(per_replica={"num_cpus": 0})}, "num_cpus"),
        ({"backend": {"name": "tensorflow"}}, "name"),
        ({"network": {"nodes": NODES}}, "division"),
        ({"division": "network"}, "datacenter"),
        ({**NETWORK_3D_UNET}, "network"),
        ({**NETWORK_3D_UNET, "network": {"nodes": []}}, "nodes"),
        ({**NETWORK_3D_UNET, "network": {"nodes": ["10.0.0.2:8100"]}}, "nodes"),
        ({**NETWORK_3D_UNET, "network": {"nodes": [NODES[0], NODES[0] + "/"]}}, "twice"),
        ({**NETWORK_3D_UNET, "network": {"nodes": NODES}, "backend": _ray()}, "ray"),
    ],
)
def test_a_bad_machines_setting_is_refused_naming_the_field(
    changes: dict[str, Any], named: str
) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(_profile_text(**changes))
    assert named in f"{info.value.message} {info.value.fix}"


def test_a_network_profile_makes_the_network_block_and_may_answer_its_fields() -> None:
    answers = {"network_type": "Ethernet", "network_rate": "1 Gb/s"}
    profile = parse_profile(
        _profile_text(
            **NETWORK_3D_UNET,
            network={"nodes": NODES, "dispatch": "round_robin"},
            system={**profile_to_dict(default_profile()).get("system", {}), **answers},
        )
    )
    assert parse_profile(dump_profile(profile)) == profile
    options = network_options(profile)
    assert options is not None
    assert options.nodes == tuple(NODES) and options.dispatch == "round_robin"
    assert profile.system["network_type"] == "Ethernet"
    # outside the network division those fields are no answers the systems JSON has
    with pytest.raises(ProfileError, match="network_type"):
        parse_profile(_profile_text(system=answers))


def test_the_network_fields_are_the_checkers_network_mode_fields() -> None:
    from mlperf_tui.rules.checker import NETWORK_FIELDS

    assert tuple(f.name for f in NETWORK_SYSTEM_FIELDS) == NETWORK_FIELDS
