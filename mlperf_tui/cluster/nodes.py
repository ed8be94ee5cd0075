"""The SUT nodes of a network-division profile (see :mod:`mlperf_tui.cluster`).

Each node runs ``mlperf-tui serve PROFILE`` (harness.network.service): ``GET /health``,
``GET /name`` (the SUT name, with "Network SUT" in it) and ``GET /model`` (the task, the
model's tensors, the runtime, and the node's own detected systems-JSON values).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from mlperf_tui.cluster import ClusterCheck, ClusterError, NodeInfo
from mlperf_tui.rules.checker import NETWORK_SUT_NAME

#: what to start on a node that does not answer
_SERVE_FIX = (
    "start mlperf-tui serve PROFILE --port PORT on that node (it prints the address to use), "
    "and check the address and that a firewall lets the port through"
)


def _get(url: str, timeout_s: float) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = response.read(1 << 20)
    except urllib.error.HTTPError as exc:
        raise ClusterError(f"{url} answered HTTP {exc.code}", _SERVE_FIX) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        why = getattr(reason, "strerror", None) or str(reason)
        raise ClusterError(f"cannot reach the SUT node at {url}: {why}", _SERVE_FIX) from None
    except TimeoutError:
        raise ClusterError(
            f"the SUT node at {url} did not answer within {timeout_s:g} s", _SERVE_FIX
        ) from None
    except OSError as exc:
        raise ClusterError(f"cannot reach the SUT node at {url}: {exc}", _SERVE_FIX) from None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ClusterError(
            f"{url} did not answer with JSON: it is not an mlperf-tui SUT service",
            "check the port: it must be the one mlperf-tui serve printed",
        ) from None


def _tensors(model: dict[str, Any]) -> str:
    return json.dumps([model.get("task"), model.get("inputs"), model.get("outputs")])


def check_nodes(urls: Sequence[str], timeout_s: float) -> ClusterCheck:
    if not urls:
        raise ClusterError("network.nodes is empty", "list the SUT services, http://HOST:PORT")
    nodes: list[NodeInfo] = []
    lines: list[str] = []
    first: tuple[str, str] | None = None
    name = ""
    for url in urls:
        base = url.rstrip("/")
        _get(f"{base}/health", timeout_s)
        said = _get(f"{base}/name", timeout_s)
        name = str(said.get("name", "")) if isinstance(said, dict) else ""
        if NETWORK_SUT_NAME not in name:
            raise ClusterError(
                f'the SUT node at {base} is named "{name}", without "{NETWORK_SUT_NAME}"',
                f'the network division\'s rules want "{NETWORK_SUT_NAME}" in the SUT name: '
                "restart mlperf-tui serve there (it names the SUT so)",
            )
        model = _get(f"{base}/model", timeout_s)
        if not isinstance(model, dict):
            raise ClusterError(f"{base}/model is not a JSON object", _SERVE_FIX)
        if first is None:
            first = (base, _tensors(model))
        elif _tensors(model) != first[1]:
            raise ClusterError(
                f"the SUT nodes {first[0]} and {base} serve different models or tasks",
                "start mlperf-tui serve with the same profile on every node",
            )
        system = model.get("system") if isinstance(model.get("system"), dict) else {}
        values = {str(k): str(v) for k, v in (system or {}).items() if v is not None}
        cpu = values.get("host_processor_model_name", "")
        detail = f"{model.get('task', '?')}; {model.get('backend', '?')}" + (
            f"; {cpu}" if cpu else ""
        )
        nodes.append(NodeInfo(name=name, address=base, detail=detail, system=values, raw=model))
        lines.append(f"  {base}: {detail}")
    lines.insert(0, f'{len(nodes)} SUT node{"s" if len(nodes) != 1 else ""} of "{name}"')
    return ClusterCheck("network", tuple(nodes), tuple(lines), name)
