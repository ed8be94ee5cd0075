"""The hardware step's "Machines": this machine, a Ray cluster, or SUT nodes over the network.

Two ways a system can be more than this machine (:mod:`mlperf_tui.cluster`): ONNX Runtime
replicas on a Ray cluster (``backend.name: ray`` with its address, replicas and what each
replica reserves), offered with the built-in harness in the closed and open divisions; and the
network division's SUT nodes (the profile's ``network:`` block), each running ``mlperf-tui
serve``, the only choice in that division. The questions offer only what the profile's checks
accept (:func:`mlperf_tui.profile.checks._check_machines`), the answers are checked against the
profile model, each problem with its fix (:func:`machines_problems`), and convert both ways with
the profile's keys (:func:`machines_data`, :func:`machines_answers`). :func:`check_machines`
is the step's "Check machines" action, run by a front end in a worker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.profile.model import Network, PerReplica
from mlperf_tui.rules.systems import NETWORK_ASKED_FIELDS, NETWORK_SYSTEM_FIELDS
from mlperf_tui.wizard.model import AssetCheck, Choice, Kind, Question, WizardContext

ONE, RAY, NETWORK = "one", "ray", "network"

#: the network-mode systems-JSON fields only the user can answer (the package fills the
#: others from detection)
NETWORK_ASKED: tuple[str, ...] = NETWORK_ASKED_FIELDS

#: what the step starts from: one machine; Ray and network answers wait until chosen. The
#: in-flight counts and the network timeout are not asked: a loaded profile's are kept
MACHINES_DEFAULTS: Mapping[str, Any] = {
    "machines": ONE,
    "ray_address": "local",
    "ray_replicas": 2,
    "ray_num_cpus": None,
    "ray_num_gpus": "0",
    "ray_in_flight": PerReplica.model_fields["in_flight"].default,
    "network_nodes": "",
    "network_dispatch": Network.model_fields["dispatch"].default,
    "network_timeout_s": Network.model_fields["timeout_s"].default,
    "network_in_flight": Network.model_fields["in_flight"].default,
}

_START_RAY = (
    "ray start --head on one machine (it prints the address), ray start --address HEAD:6379 "
    "on each other one, with mlperf-tui installed in the same Python on every node"
)
_SERVE = "mlperf-tui serve PROFILE --port PORT"

#: the fix of a bad value, per answer (the model's message says what is wrong)
_FIXES: Mapping[str, str] = {
    "ray_address": "type local (a one-node cluster of this machine, started for each run) or "
    "the head's HOST:PORT (ray start --head prints it)",
    "ray_replicas": "a whole number of replicas, 1 or more",
    "ray_num_cpus": "a number of CPUs above 0 (a fraction shares a core), or blank for the "
    "replica's intra-op threads",
    "ray_num_gpus": "a number of GPUs: 0 for CPU replicas, 1 for a CUDA replica, or a fraction "
    "such as 0.5 to share a GPU",
    "network_nodes": "list each node's service as http://HOST:PORT, separated by commas or "
    f"spaces; each node runs {_SERVE}, which prints it",
}

_CHOICES: Mapping[str, Choice] = {
    ONE: Choice(
        ONE,
        "One machine: this one",
        help="the harness runs the model here, in its own process",
    ),
    RAY: Choice(
        RAY,
        "A Ray cluster: replicas of the model on several machines",
        help="the harness sends its batches to ONNX Runtime replicas, Ray actors on the "
        "cluster's nodes; LoadGen and the data set stay here",
    ),
    NETWORK: Choice(
        NETWORK,
        "SUT nodes over the network: LoadGen here, the model on the nodes",
        help=f"each node runs {_SERVE}; every query goes to a node over HTTP",
    ),
}


def machines_choices(a: Mapping[str, Any]) -> tuple[Choice, ...]:
    """What the profile's checks accept for these answers: the network division's SUT is its
    nodes; Ray runs the built-in harness's replicas, in the closed and open divisions."""
    if a.get("division") == NETWORK:
        return (_CHOICES[NETWORK],)
    if str(a.get("harness") or "builtin") == "builtin":
        return (_CHOICES[ONE], _CHOICES[RAY])
    return (_CHOICES[ONE],)


def several_machines(a: Mapping[str, Any]) -> bool:
    """Whether the answers choose a Ray cluster or SUT nodes (the "Check machines" action)."""
    return a.get("machines") in (RAY, NETWORK)


def _ray(a: Mapping[str, Any]) -> bool:
    return a.get("machines") == RAY


def _network(a: Mapping[str, Any]) -> bool:
    return a.get("machines") == NETWORK


def _asked(a: Mapping[str, Any]) -> bool:
    # one machine is the only answer of an engine or an import: nothing to ask
    return len(machines_choices(a)) > 1 or a.get("division") == NETWORK


def _why_not(a: Mapping[str, Any]) -> str:
    if a.get("division") == NETWORK:
        return (
            "The network division's system under test is its SUT nodes: LoadGen and the data "
            "set stay here. A Ray cluster is offered in the closed and open divisions."
        )
    if str(a.get("harness") or "builtin") != "builtin":
        return (
            "A serving engine spreads the model over its own machines; an import brings the "
            "system its logs came from. Ray replicas are the built-in harness's."
        )
    return "SUT nodes over the network are the network division's (choose it in Division)."


def machines_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    # imported here: answers imports this module for the profile's keys (an import cycle)
    from mlperf_tui.wizard.answers import SYSTEM_PREFIX

    rule = "the network division's systems JSON (the checker's SYSTEM_DESC_REQUIRED_FIELDS_NETWORK_MODE)"
    questions = [
        Question(
            "machines",
            "Machines",
            Kind.CHOICE,
            help="Where the model runs: this machine, replicas on a Ray cluster, or the "
            "network division's SUT nodes.",
            choices=machines_choices(a),
            when=_asked,
            details=_why_not(a),
        ),
        Question(
            "ray_address",
            "Ray address",
            Kind.TEXT,
            help="local: each run starts a one-node Ray cluster on this machine and stops it "
            "after. Else the head's HOST:PORT (ray://HOST:PORT for Ray Client). To start a "
            f"cluster: {_START_RAY}.",
            placeholder="local, or e.g. 10.0.0.1:6379",
            when=_ray,
        ),
        Question(
            "ray_replicas",
            "Replicas",
            Kind.INT,
            help="ONNX Runtime replicas of the model, each an actor with its own session; Ray "
            "places each where its CPUs and GPUs fit.",
            when=_ray,
        ),
        Question(
            "ray_num_cpus",
            "CPUs per replica",
            Kind.FLOAT,
            help="The Ray CPUs each replica reserves. Blank: its intra-op threads (1 when those "
            "are sized to the cores).",
            required=False,
            when=_ray,
        ),
        Question(
            "ray_num_gpus",
            "GPUs per replica",
            Kind.TEXT,
            help="0 for CPU replicas, 1 for a CUDA replica, or a fraction such as 0.5 to share "
            "a GPU.",
            placeholder="0",
            required=False,
            when=_ray,
        ),
        Question(
            "network_nodes",
            "SUT nodes",
            Kind.TEXT,
            help=f"Each node's service, http://HOST:PORT, separated by commas or spaces; each "
            f"node runs {_SERVE} (it prints the address).",
            placeholder="e.g. http://10.0.0.2:8100, http://10.0.0.3:8100",
            when=_network,
        ),
        Question(
            "network_dispatch",
            "Dispatch",
            Kind.CHOICE,
            help="How each query's node is picked; the dispatcher does no batching.",
            choices=(
                Choice(
                    "least_loaded",
                    "least loaded: the node with the fewest samples in flight",
                    help="a slower node gets fewer queries",
                ),
                Choice("round_robin", "round robin: the nodes in turn", help="equal shares"),
            ),
            when=_network,
        ),
    ]
    fields = {f.name: f for f in NETWORK_SYSTEM_FIELDS}
    for name in NETWORK_ASKED:
        help_text = fields[name].description
        if name == NETWORK_ASKED[0]:
            help_text += (
                " The other network fields (network cards, software stacks, protocol, "
                "connections) the package fills from detection here and on the nodes."
            )
        questions.append(
            Question(
                SYSTEM_PREFIX + name,
                name,
                Kind.TEXT,
                help=help_text,
                required=False,
                rule=rule,
                placeholder="blank: answer later",
                when=_network,
            )
        )
    return questions


# -- the answers as the profile's keys ------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_nodes(text: Any) -> list[str]:
    """The SUT nodes of the answer: URLs separated by commas or white space."""
    if isinstance(text, list | tuple):
        return [str(t).strip() for t in text if str(t).strip()]
    return [part for part in re.split(r"[,\s]+", str(text or "")) if part]


def _number(value: Any) -> Any:
    """A float of a typed number; the text itself when it is none (the model then says so)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return str(value).strip()


def machines_data(a: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The backend keys (``name``, ``address``, ``replicas``, ``per_replica``) and the
    ``network:`` block of the answers; one machine: neither."""
    backend: dict[str, Any] = {}
    network: dict[str, Any] | None = None
    if _ray(a):
        backend["name"] = RAY
        backend["address"] = str(a.get("ray_address") or "").strip()
        backend["replicas"] = a.get("ray_replicas")
        each: dict[str, Any] = {}
        if not _blank(a.get("ray_num_cpus")):
            each["num_cpus"] = _number(a["ray_num_cpus"])
        gpus = 0.0 if _blank(a.get("ray_num_gpus")) else _number(a["ray_num_gpus"])
        if gpus != PerReplica.model_fields["num_gpus"].default:
            each["num_gpus"] = gpus
        in_flight = a.get("ray_in_flight", MACHINES_DEFAULTS["ray_in_flight"])
        if in_flight != MACHINES_DEFAULTS["ray_in_flight"]:
            each["in_flight"] = in_flight
        if each:  # the defaults are the profile's when per_replica is left out
            backend["per_replica"] = each
    elif _network(a):
        network = {
            "nodes": parse_nodes(a.get("network_nodes")),
            "dispatch": a.get("network_dispatch", MACHINES_DEFAULTS["network_dispatch"]),
            "timeout_s": a.get("network_timeout_s", MACHINES_DEFAULTS["network_timeout_s"]),
            "in_flight": a.get("network_in_flight", MACHINES_DEFAULTS["network_in_flight"]),
        }
    return backend, network


def machines_answers(
    backend: Mapping[str, Any] | None, network: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The step's answers for a profile's backend and ``network:`` block (as plain data)."""
    answers = dict(MACHINES_DEFAULTS)
    if network:
        answers.update(
            {
                "machines": NETWORK,
                "network_nodes": ", ".join(str(n) for n in network.get("nodes", [])),
                "network_dispatch": network.get("dispatch", answers["network_dispatch"]),
                "network_timeout_s": network.get("timeout_s", answers["network_timeout_s"]),
                "network_in_flight": network.get("in_flight", answers["network_in_flight"]),
            }
        )
    elif backend and backend.get("name") == RAY:
        each = backend.get("per_replica") or {}
        answers.update(
            {
                "machines": RAY,
                "ray_address": backend.get("address") or "",
                "ray_replicas": int(backend.get("replicas") or 1),
                "ray_num_cpus": each.get("num_cpus"),
                "ray_num_gpus": f"{float(each.get('num_gpus', 0.0)):g}",
                "ray_in_flight": int(each.get("in_flight", answers["ray_in_flight"])),
            }
        )
    return answers


# -- checking the answers -------------------------------------------------------------------------


def _found(a: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(answer key, what is wrong, fix) of each problem of the Ray or network answers."""
    from pydantic import ValidationError

    from mlperf_tui.cluster.ray_check import head_address
    from mlperf_tui.profile.model import Backend

    backend, network = machines_data(a)
    found: list[tuple[str, str, str]] = []
    if backend:
        address = str(backend.get("address") or "")
        if not address:
            found.append(("ray_address", "an answer is needed", _FIXES["ray_address"]))
        elif address != "local":
            try:
                head_address(address)
            except MlperfTuiError as exc:
                found.append(("ray_address", exc.message, exc.fix))
        try:
            Backend.model_validate(backend)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = [str(p) for p in err["loc"]]
                key = {
                    "replicas": "ray_replicas",
                    "num_cpus": "ray_num_cpus",
                    "num_gpus": "ray_num_gpus",
                }.get(loc[-1] if loc else "", "")
                if key:
                    found.append((key, _message(err), _FIXES[key]))
    if network is not None:
        if not network["nodes"]:
            found.append(("network_nodes", "an answer is needed", _FIXES["network_nodes"]))
        else:
            try:
                Network.model_validate(network)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    found.append(("network_nodes", _message(err), _FIXES["network_nodes"]))
    return found


def _message(err: Any) -> str:
    return str(err["msg"]).removeprefix("Value error, ")


def _prompts(a: Mapping[str, Any]) -> dict[str, str]:
    return {q.key: q.prompt for q in machines_questions(a, WizardContext())}


def machines_problems(a: Mapping[str, Any]) -> list[str]:
    """The Ray or network answers checked as the profile checks them, each with the question
    and its fix (empty: one machine, or nothing wrong)."""
    prompts = _prompts(a)
    return [f"{prompts[key]}: {message} (fix: {fix})" for key, message, fix in _found(a)]


# -- Check machines -------------------------------------------------------------------------------


def check_machines(answers: Mapping[str, Any], timeout_s: float | None = None) -> list[AssetCheck]:
    """The step's "Check machines": the Ray cluster connected to and the replicas fitted, or
    every SUT node's service asked (:mod:`mlperf_tui.cluster`). Blocks for seconds (run it in
    a worker); never raises for an answer. ``timeout_s`` None: each check's own."""
    from mlperf_tui import cluster

    if not several_machines(answers):
        return []
    what = "Ray cluster" if _ray(answers) else "SUT nodes"
    problems = _found(answers)
    if problems:
        prompts = _prompts(answers)
        return [AssetCheck(prompts[key], False, message, fix) for key, message, fix in problems]
    backend, network = machines_data(answers)
    limit = {} if timeout_s is None else {"timeout_s": timeout_s}
    try:
        if network is not None:
            found = cluster.check_nodes(network["nodes"], **limit)
        else:
            each = backend.get("per_replica", {})
            found = cluster.check_ray(
                str(backend["address"]),
                int(backend["replicas"]),
                cluster.replica_cpus(
                    int(answers.get("intra_op_threads") or 0), each.get("num_cpus")
                ),
                float(each.get("num_gpus", 0.0)),
                **limit,
            )
    except MlperfTuiError as exc:
        return [AssetCheck(what, False, exc.message, exc.fix)]
    return [AssetCheck(what, True, "\n".join(found.lines))]
