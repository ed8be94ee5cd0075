"""``mlperf-tui serve PROFILE``: this machine as one SUT node of the network division.

The node loads the profile's model with the harness's own task and backend and answers the
LoadGen node's query dispatch library over HTTP (harness.network.service). What it serves is
written as SERVE.json (the harness's codec) in the cache, with this machine's detected
systems-JSON values, which the LoadGen node's package uses to describe the SUT nodes.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

#: the port a SUT service listens on unless --port says otherwise
DEFAULT_PORT = 8100


def _add_serve(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the profile's model as a SUT node of the network division",
        description="Load the profile's model on this machine and serve it to the LoadGen "
        "node over HTTP: the LoadGen node's profile lists this node's address under network: "
        "nodes:. Ctrl-C stops it. The model comes from the profile's assets (a synthetic "
        "stand-in is generated here, from the same seed); the data set stays on the LoadGen "
        "node, which sends every query's samples over the network.",
    )
    p.add_argument("profile", metavar="PROFILE", help="the profile (YAML) to serve")
    p.add_argument(
        "--host",
        default="0.0.0.0",
        help="the address to listen on (default 0.0.0.0: every interface)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"the port (default {DEFAULT_PORT}; 0: a free one, named once it listens)",
    )
    p.add_argument(
        "--name",
        default=None,
        help='the SUT name LoadGen logs (must contain "Network SUT"; default: '
        '"mlperf-tui BENCHMARK Network SUT")',
    )
    p.set_defaults(func=_cmd_serve)


def serve_config(profile: Any, model_path: Path, name: str | None) -> dict[str, Any]:
    """SERVE.json of this node: the task, the model, the backend, the name, the hardware."""
    from mlperf_tui import benchmarks
    from mlperf_tui.cluster.facts import aiohttp_version
    from mlperf_tui.cluster.ray_check import local_system
    from mlperf_tui.rules.model import Scenario
    from mlperf_tui.run.child import SERVER_MAX_WAIT_MS, backend_options

    entry = benchmarks.require(profile.benchmark, harness="builtin")
    model = entry.model(profile.require_assets().model.kind)
    scenario = Scenario.SERVER if Scenario.SERVER in profile.scenarios else profile.scenarios[0]
    backend = backend_options(profile, scenario)
    system = local_system()
    system["_net_software"] = f"{aiohttp_version()} (Python) over the operating system's TCP/IP"
    return {
        "schema_version": 1,
        "task": entry.task,
        "task_options": dict(model.task_options),
        "model_path": str(model_path),
        "backend": {
            "name": "onnxruntime",
            "execution_provider": backend.execution_provider,
            "intra_op_threads": backend.intra_op_threads,
            "batch_size": backend.batch_size,
            "streams": backend.streams,
        },
        "sut_name": name or f"mlperf-tui {profile.benchmark} Network SUT",
        "max_wait_ms": SERVER_MAX_WAIT_MS,
        "system": system,
    }


def _cmd_serve(args: argparse.Namespace) -> int:
    import json

    from mlperf_tui import assets, benchmarks
    from mlperf_tui.errors import UsageError
    from mlperf_tui.profile import load_profile, resolve_profile_path
    from mlperf_tui.rules.checker import NETWORK_SUT_NAME

    if not 0 <= args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port", "give a port from 1 to 65535")
    if args.name is not None and NETWORK_SUT_NAME not in args.name:
        raise UsageError(
            f'--name "{args.name}" does not contain "{NETWORK_SUT_NAME}"',
            f'the network division\'s rules want "{NETWORK_SUT_NAME}" in the SUT name',
        )
    path = Path(args.profile)
    profile = load_profile(path)
    if profile.harness != "builtin":
        raise UsageError(
            f"{path} runs the {profile.harness} harness: there is no model to serve here",
            "serve a profile of the built-in ONNX Runtime harness (harness: builtin)",
        )
    entry = benchmarks.require(profile.benchmark, harness="builtin")
    a = profile.require_assets()
    source = (
        assets.SYNTHETIC
        if a.model.source == "synthetic"
        else str(a.model.url)
        if a.model.source == "url"
        else str(resolve_profile_path(str(a.model.path), path))
    )
    print("Resolving the model", file=sys.stderr, flush=True)
    model_path = assets.resolve_model(
        source, entry, a.model.kind, None, lambda *_: None, sha256=a.model.sha256, seed=a.seed
    )
    config = serve_config(profile, Path(model_path), args.name)
    folder = (
        assets.cache_root(None) / "serve" / f"{socket.gethostname()}-{args.port or os.getpid()}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "SERVE.json"
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "harness",
        "serve",
        "--config",
        str(config_path),
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    where = (
        f"http://{socket.gethostname()}:{args.port}"
        if args.port
        else "the address the service names when it listens"
    )
    print(
        f"Serving {profile.benchmark} as a SUT node: list {where} under network: nodes: of "
        "the LoadGen node's profile. Ctrl-C stops it.",
        file=sys.stderr,
        flush=True,
    )
    child = subprocess.Popen(command, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
        raise
