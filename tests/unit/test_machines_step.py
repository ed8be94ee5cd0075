"""The hardware step's "Machines" without a user interface: the choices offered per division
and harness, the answers as the profile's backend (Ray) and network: block and back, bad values
with the question and a fix, and "Check machines" against a dead address and a real HTTP SUT
service on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlperf_tui import wizard
from mlperf_tui.errors import ProfileError
from mlperf_tui.plain import MappingAsker, run_plain
from mlperf_tui.profile import default_profile, dump_profile, load_profile, parse_profile
from mlperf_tui.system import FrozenProbe, detect
from mlperf_tui.wizard.machines_step import NETWORK_ASKED
from tests.fixtures.fake_sut_service import fake_sut_service, free_port

RAY = {
    "machines": "ray",
    "ray_address": "10.0.0.1:6379",
    "ray_replicas": 3,
    "ray_num_cpus": 2.0,
    "ray_num_gpus": "0.5",
}
NODES = "http://10.0.0.2:8100, http://10.0.0.3:8100"
NETWORK = {
    "division": "network",
    # the datacenter suite's (of the built-in benchmarks, 3D-UNet in v6.1), closed rules
    "benchmark": "3d-unet-99",
    "category": "datacenter",
    "scenarios": ["Offline"],
    "model_kind": "tiny-3d-unet",
    "dataset_count": 6,
    "batch_size": 1,
    "machines": "network",
    "network_nodes": NODES,
    "network_dispatch": "round_robin",
    "system.network_type": "Ethernet",
    "system.network_rate": "25 Gb/s",
}


@pytest.fixture
def ctx(tmp_path: Path) -> wizard.WizardContext:
    return wizard.WizardContext(system=detect(FrozenProbe()), profiles_dir=tmp_path)


@pytest.fixture
def sut_service() -> Iterator[str]:
    """One SUT service on 127.0.0.1 answering as mlperf-tui serve does; its URL."""
    with fake_sut_service() as url:
        yield url


def hardware(answers: wizard.Answers, ctx: wizard.WizardContext) -> dict[str, wizard.Question]:
    return {q.key: q for q in wizard.step("hardware").questions(answers, ctx)}


def asked(answers: wizard.Answers, ctx: wizard.WizardContext) -> list[str]:
    return [k for k, q in hardware(answers, ctx).items() if q.applies(answers)]


# -- the choices ----------------------------------------------------------------------------------


def test_one_machine_is_the_default_and_asks_nothing_more(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    assert answers["machines"] == "one"
    machines = hardware(answers, ctx)["machines"]
    assert [c.value for c in machines.choices] == ["one", "ray"]
    # the step's own questions first, as before; Machines last, and nothing of Ray or network
    shown = asked(answers, ctx)
    assert shown[:2] == ["submitter", "system_name"] and shown[-1] == "machines"
    assert not [k for k in shown if k.startswith(("ray_", "network_"))]
    assert wizard.build_profile(answers) == default_profile()
    assert not wizard.several_machines(answers)
    assert wizard.check_machines(answers) == []


def test_ray_is_the_builtin_harness_s_and_engines_or_imports_ask_nothing(
    ctx: wizard.WizardContext,
) -> None:
    for harness in ("endpoint", "import"):
        answers = {**wizard.default_answers(), "harness": harness}
        assert [c.value for c in wizard.machines_choices(answers)] == ["one"]
        assert "machines" not in asked(answers, ctx)  # one machine is the only answer
        answers["machines"] = "ray"
        wizard.normalise("hardware", answers, ctx)
        assert answers["machines"] == "one"


def test_the_network_division_offers_only_its_sut_nodes(ctx: wizard.WizardContext) -> None:
    answers = {**wizard.default_answers(), "division": "network"}
    (only,) = hardware(answers, ctx)["machines"].choices
    assert only.value == "network"
    wizard.normalise("hardware", answers, ctx)
    assert answers["machines"] == "network"
    shown = asked(answers, ctx)
    assert [k for k in shown if k.startswith("network_")] == ["network_nodes", "network_dispatch"]
    assert [k for k in shown if k.startswith("system.network")] == [
        "system." + name for name in NETWORK_ASKED
    ]
    network_type = hardware(answers, ctx)["system.network_type"]
    for fabric in ("Ethernet", "Infiniband", "IEEE802.11", "3GPP"):
        assert fabric in network_type.help
    assert "fills from detection" in network_type.help  # the other network fields
    # back to closed: one machine again, and the nodes are not offered
    answers["division"] = "closed"
    wizard.normalise("hardware", answers, ctx)
    assert answers["machines"] == "one"
    assert "network" not in [c.value for c in wizard.machines_choices(answers)]


def test_the_division_step_offers_network_with_the_builtin_harness_only(
    ctx: wizard.WizardContext,
) -> None:
    def divisions(answers: wizard.Answers) -> list[str]:
        (q,) = wizard.step("division").questions(answers, ctx)
        return [c.value for c in q.choices]

    answers = wizard.default_answers()
    assert divisions(answers) == ["open", "closed", "network"]
    answers["harness"] = "endpoint"
    assert divisions(answers) == ["open", "closed"]


def test_choosing_ray_asks_the_cluster_and_says_how_to_start_one(
    ctx: wizard.WizardContext,
) -> None:
    answers = {**wizard.default_answers(), "machines": "ray"}
    shown = asked(answers, ctx)
    assert [k for k in shown if k.startswith("ray_")] == [
        "ray_address",
        "ray_replicas",
        "ray_num_cpus",
        "ray_num_gpus",
    ]
    address = hardware(answers, ctx)["ray_address"]
    assert "local: each run starts a one-node Ray cluster" in address.help
    assert "ray start --head" in address.help and "ray start --address HEAD:6379" in address.help
    assert "same Python on every node" in address.help
    assert answers["ray_address"] == "local"


# -- answers <-> profile --------------------------------------------------------------------------


def test_ray_answers_become_the_backend_and_come_back(ctx: wizard.WizardContext) -> None:
    answers = {**wizard.default_answers(), **RAY}
    assert wizard.machines_problems(answers) == []
    profile = wizard.build_profile(answers)
    b = profile.backend
    assert (b.name, b.address, b.replicas) == ("ray", "10.0.0.1:6379", 3)
    assert b.per_replica is not None
    assert (b.per_replica.num_cpus, b.per_replica.num_gpus) == (2.0, 0.5)
    assert profile.network is None
    # a loaded profile shows its values, and saving writes the same profile
    again = wizard.answers_from_profile(profile)
    for key, value in RAY.items():
        assert again[key] == value, key
    assert dump_profile(wizard.build_profile(again)) == dump_profile(profile)
    # what the file says replays: the saved YAML parses to the same profile
    assert parse_profile(dump_profile(profile)) == profile


def test_a_hand_written_ray_profile_round_trips_byte_for_byte(tmp_path: Path) -> None:
    text = dump_profile(default_profile()).replace(
        "backend:\n",
        "backend:\n  name: ray\n  address: local\n  replicas: 2\n"
        "  per_replica:\n    num_cpus: 1.0\n    num_gpus: 0.0\n    in_flight: 4\n",
    )
    path = tmp_path / "ray.yaml"
    path.write_text(text)
    answers = wizard.open_profile(path)
    assert (answers["machines"], answers["ray_in_flight"], answers["ray_num_gpus"]) == (
        "ray",
        4,
        "0",
    )
    saved = wizard.save_answers(answers, tmp_path / "again.yaml")
    assert saved.read_text() == path.read_text()


def test_network_answers_become_the_network_block_and_come_back() -> None:
    answers = {**wizard.default_answers(), **NETWORK}
    assert wizard.machines_problems(answers) == []
    profile = wizard.build_profile(answers)
    assert profile.network is not None
    assert profile.network.nodes == ["http://10.0.0.2:8100", "http://10.0.0.3:8100"]
    assert profile.network.dispatch == "round_robin"
    assert profile.backend.name == "onnxruntime"
    assert profile.system["network_type"] == "Ethernet"
    again = wizard.answers_from_profile(profile)
    assert again["machines"] == "network" and again["network_nodes"] == NODES
    assert again["system.network_rate"] == "25 Gb/s"
    assert dump_profile(wizard.build_profile(again)) == dump_profile(profile)
    # spaces separate the nodes as well as commas
    spaced = {**answers, "network_nodes": "http://10.0.0.2:8100   http://10.0.0.3:8100/"}
    assert wizard.build_profile(spaced).network == profile.network


def test_one_machine_writes_no_ray_or_network_keys() -> None:
    # Ray and network answers typed, then one machine chosen again: none of them is written
    answers = {**wizard.default_answers(), **RAY, **NETWORK}
    answers.update(
        division="open",
        machines="one",
        benchmark="resnet50",
        category="edge",
        scenarios=["SingleStream", "Offline"],
        model_kind="resnet50",
        dataset_count=1024,
        batch_size=32,
    )
    data = wizard.profile_data(answers)
    assert "network" not in data
    assert not {"name", "address", "replicas", "per_replica"} & set(data["backend"])
    # the network fields are the network division's only
    assert not [k for k in data["system"] if k.startswith("network_")]
    assert wizard.build_profile(answers) == default_profile()


# -- inline errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ray_replicas": 0}, "Replicas: Input should be greater than or equal to 1"),
        ({"ray_address": " "}, "Ray address: an answer is needed (fix: type local"),
        ({"ray_address": "http://head:6379"}, "Ray address: backend.address 'http://head:6379'"),
        ({"ray_address": "head:port"}, "is not a Ray address (fix: write local"),
        ({"ray_num_gpus": "lots"}, "GPUs per replica: Input should be a valid number"),
        ({"ray_num_gpus": "-1"}, "GPUs per replica: Input should be greater than or equal to 0"),
        ({"ray_num_cpus": -2.0}, "CPUs per replica: Input should be greater than 0"),
    ],
)
def test_bad_ray_values_name_the_question_and_the_fix(
    changes: dict[str, Any], expected: str
) -> None:
    answers = {**wizard.default_answers(), **RAY, **changes}
    (problem,) = wizard.machines_problems(answers)
    assert expected in problem and "(fix: " in problem


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ("10.0.0.2:8100", "'10.0.0.2:8100' is not a SUT service address"),
        ("http://10.0.0.2:8100/v1", "is not a SUT service address such as http://"),
        ("http://a:1, http://b:1, http://a:1/", "http://a:1 is listed twice"),
        (" , ", "SUT nodes: an answer is needed"),
    ],
)
def test_bad_nodes_say_what_the_profile_check_says(nodes: str, expected: str) -> None:
    answers = {**wizard.default_answers(), **NETWORK, "network_nodes": nodes}
    (problem,) = wizard.machines_problems(answers)
    assert problem.startswith("SUT nodes: ") and expected in problem
    assert "(fix: list each node's service as http://HOST:PORT" in problem
    assert "mlperf-tui serve PROFILE --port PORT" in problem
    # the same answers are refused by the profile's own checks, a step later
    if nodes.strip(" ,"):
        with pytest.raises(ProfileError, match=r"network\.nodes"):
            wizard.build_profile(answers)


def test_check_step_coerces_the_numbers(ctx: wizard.WizardContext) -> None:
    answers = {**wizard.default_answers(), **RAY, "ray_replicas": "many"}
    (problem,) = wizard.check_step("hardware", answers, ctx)
    assert problem == "Replicas: 'many' is not a whole number"
    answers["ray_replicas"] = "4"
    assert wizard.check_step("hardware", answers, ctx) == []
    assert answers["ray_replicas"] == 4


# -- Check machines -------------------------------------------------------------------------------


def test_check_machines_at_a_dead_ray_address_says_start_the_head() -> None:
    port = free_port()  # nothing listens there
    answers = {**wizard.default_answers(), **RAY, "ray_address": f"127.0.0.1:{port}"}
    (check,) = wizard.check_machines(answers)
    assert (check.what, check.ok) == ("Ray cluster", False)
    assert f"cannot reach the Ray cluster's head at 127.0.0.1:{port}" in (check.message)
    assert "refused" in check.message and "start it there" in check.fix


def test_check_machines_local_says_the_cluster_is_started_for_each_run() -> None:
    answers = {**wizard.default_answers(), **RAY, "ray_address": "local", "ray_replicas": 2}
    (check,) = wizard.check_machines(answers)
    assert check.ok and check.what == "Ray cluster"
    assert "each run starts a one-node Ray cluster on this machine for 2 replicas" in (
        check.message
    )


def test_check_machines_with_bad_answers_says_them_and_asks_nothing() -> None:
    answers = {**wizard.default_answers(), **NETWORK, "network_nodes": "nowhere"}
    (check,) = wizard.check_machines(answers)
    assert (check.what, check.ok) == ("SUT nodes", False)
    assert "is not a SUT service address" in check.message and "http://HOST:PORT" in check.fix


def test_check_machines_asks_each_sut_node(sut_service: str) -> None:
    answers = {**wizard.default_answers(), **NETWORK, "network_nodes": sut_service}
    (check,) = wizard.check_machines(answers)
    assert check.ok and check.what == "SUT nodes", check
    assert check.message.splitlines() == [
        '1 SUT node of "x Network SUT"',
        f"  {sut_service}: imagenet_classification; onnxruntime; Test CPU",
    ]
    # a second node that is down: named, with what to start there
    dead = f"http://127.0.0.1:{free_port()}"
    answers["network_nodes"] = f"{sut_service} {dead}"
    (check,) = wizard.check_machines(answers)
    assert not check.ok and f"cannot reach the SUT node at {dead}/health" in check.message
    assert "mlperf-tui serve PROFILE --port PORT" in check.fix


# -- the plain prompts ---------------------------------------------------------------------------


def test_the_plain_prompts_write_the_ray_backend_and_say_the_check(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there: said, and the profile is still written
    answers = {**RAY, "ray_address": f"127.0.0.1:{port}", "ray_replicas": "3"}
    said: list[str] = []
    asker = MappingAsker(answers)
    saved = run_plain(asker, probe=FrozenProbe(), profiles_dir=tmp_path, echo=said.append)
    b = load_profile(saved).backend
    assert (b.name, b.address, b.replicas) == ("ray", f"127.0.0.1:{port}", 3)
    assert asker.asked.index("ray_address") == asker.asked.index("machines") + 1
    (line,) = [s for s in said if s.startswith("  ✗ Ray cluster:")]
    assert f"at 127.0.0.1:{port}: the connection was refused" in line and "(fix: start it" in line


def test_the_plain_prompts_stop_on_bad_nodes_and_write_the_network_block(
    tmp_path: Path, sut_service: str
) -> None:
    bad = {**NETWORK, "network_nodes": "http://a:1 http://a:1"}
    with pytest.raises(ProfileError, match="the Hardware step do not hold: SUT nodes: "):
        run_plain(
            MappingAsker(bad), probe=FrozenProbe(), profiles_dir=tmp_path, echo=lambda _s: None
        )
    said: list[str] = []
    good = {**NETWORK, "network_nodes": sut_service}
    saved = run_plain(
        MappingAsker(good), probe=FrozenProbe(), profiles_dir=tmp_path, echo=said.append
    )
    profile = load_profile(saved)
    assert profile.network is not None and profile.network.nodes == [sut_service]
    assert profile.system["network_type"] == "Ethernet"
    assert '  ✓ SUT nodes: 1 SUT node of "x Network SUT"' in said
    assert f"    {sut_service}: imagenet_classification; onnxruntime; Test CPU" in said
