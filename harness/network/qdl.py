"""The query dispatch library (QDL): LoadGen's SUT proxy on the LoadGen node.

The network division's rules (inference_rules.adoc, "Network Division"): the QDL sends every
query to the SUT over the network and every response back, and does no pre-processing, no
post-processing and no batching of its own; its name is the SUT's, asked over the network.
So here:

- before LoadGen starts, :class:`NetworkRun` probes every node (``GET /health``, ``/name``,
  ``/model``, harness.network.service) with a timeout: a node that does not answer, is not
  named a "Network SUT" or serves other tensors than the rest is a HarnessError naming it
  (nothing runs). The task is bound over the node's tensor info, so this node opens and
  preprocesses the data set (the QSL, untimed) exactly as the nodes' model wants it.
- :class:`NetworkSUT` is LoadGen's QDL (``ConstructQDL``). LoadGen's issuing thread only hands
  each query to one asyncio I/O thread; there, each query becomes one ``POST /infer`` request
  (an Offline query is split into requests of ``backend.batch_size`` samples: splitting is not
  batching), sent to a node chosen by ``network.dispatch`` (``least_loaded``: the fewest
  samples in flight; ``round_robin``: in turn, skipping a node at its bound), at most
  ``network.in_flight`` requests in flight per node. The samples are completed with the node's
  response bytes when the run logs responses (accuracy mode, compliance audits), without bytes
  otherwise. The name callback is a round trip (``GET /name`` to the first node).
- a node that fails mid-run (refused or reset connection, no answer within
  ``network.timeout_s``, an HTTP error, a bad frame) fails the run with "SUT node URL failed:
  reason"; every request in flight is ended and every queued and later sample is completed at
  once without data (Server samples after the stop are held until LoadGen's flush, as the
  built-in Server SUT does), so LoadGen ends and writes its logs. SIGINT stops the same way.
- when the run ends, ``network.json`` in the output folder records each node's name, requests,
  samples, failures and ``system`` (its hardware, from ``/model``), with one stderr line each.

The shared :class:`harness.sut.RunState` is updated as the built-in SUTs do (issued, completed,
the latency histogram from the QDL receiving each query), so progress, cancel and the result
events are the built-in run's own.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import functools
import json
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from harness.config import NETWORK_SUT_NAME, NetworkOptions, RunConfig
from harness.errors import HarnessError, ModelMismatchError
from harness.network.wire import (
    CONTENT_TYPE,
    WireError,
    decode_response,
    encode_request,
    tensor_from_dict,
)
from harness.sut import loadgen_responses

if TYPE_CHECKING:
    import aiohttp

    from harness.sut import RunState
    from harness.tasks import Binding, Dataset, Task

_now = time.perf_counter_ns
#: seconds each probe request may take before the run starts
PROBE_TIMEOUT_S = 10.0
#: the file the run writes into its output folder
NETWORK_JSON = "network.json"
#: seconds between two looks at the run's stop flag (SIGINT)
_STOP_POLL_S = 0.02


class NodeFailed(Exception):
    """A request to a node failed: ``reason`` says how, for the run's failure message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serve_fix(url: str) -> str:
    port = urlsplit(url).port or (443 if url.startswith("https:") else 80)
    return (
        f"start `mlperf-tui serve PROFILE --port {port}` on that node (the profile of this "
        f"run), and check the address and that a firewall lets port {port} through"
    )


def failure_reason(exc: BaseException, timeout_s: float) -> str:
    """What went wrong with a request, in a few words."""
    import aiohttp

    if isinstance(exc, NodeFailed):
        return exc.reason
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, ConnectionRefusedError) or os_error.errno == errno.ECONNREFUSED:
            return "connection refused"
        return f"cannot connect ({os_error.strerror or os_error})"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the connection closed before the answer came"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer was cut short"
    if isinstance(exc, aiohttp.ClientOSError):
        if exc.errno == errno.ECONNRESET:
            return "connection reset"
        return f"{exc.strerror or exc}"
    if isinstance(exc, WireError):
        return f"a malformed answer: {exc}"
    return f"{type(exc).__name__}: {exc}"


async def _get_json(session: aiohttp.ClientSession, url: str, timeout_s: float) -> Any:
    import aiohttp

    async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
        if response.status != 200:
            raise NodeFailed(f"{url} answered HTTP {response.status}")
        try:
            return await response.json(content_type=None)
        except (ValueError, UnicodeDecodeError):
            raise NodeFailed(
                f"{url} did not answer with JSON: it is not a SUT service of this harness"
            ) from None


@dataclass
class Node:
    """One SUT node, as probed, and what the run sent it."""

    url: str
    name: str
    model: dict[str, Any]
    requests: int = 0
    samples: int = 0
    failures: int = 0
    in_flight_requests: int = 0
    in_flight_samples: int = 0

    @property
    def system(self) -> dict[str, Any]:
        system = self.model.get("system")
        return system if isinstance(system, dict) else {}

    def report(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "name": self.name,
            "requests": self.requests,
            "samples": self.samples,
            "failures": self.failures,
            "system": self.system,
        }


async def _probe_one(session: aiohttp.ClientSession, url: str, timeout_s: float) -> Node:
    await _get_json(session, f"{url}/health", timeout_s)
    said = await _get_json(session, f"{url}/name", timeout_s)
    model = await _get_json(session, f"{url}/model", timeout_s)
    name = said.get("name") if isinstance(said, dict) else None
    if not isinstance(model, dict) or not isinstance(name, str):
        raise NodeFailed(f"{url} is not a SUT service of this harness (its /name or /model)")
    return Node(url=url, name=name, model=model)


async def _probe_all(urls: Sequence[str], timeout_s: float) -> list[Node | BaseException]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(
            *(_probe_one(session, u, timeout_s) for u in urls), return_exceptions=True
        )


def probe_nodes(options: NetworkOptions) -> list[Node]:
    """Every node's name and model (all asked at once); HarnessError naming the first node that
    does not answer as a SUT service."""
    timeout_s = min(PROBE_TIMEOUT_S, options.timeout_s)
    found = asyncio.run(_probe_all(options.nodes, timeout_s))
    nodes: list[Node] = []
    for url, got in zip(options.nodes, found, strict=True):
        if isinstance(got, Node):
            nodes.append(got)
            continue
        if not isinstance(got, Exception):  # a KeyboardInterrupt during the probe
            raise got
        raise HarnessError(
            f"cannot reach the SUT node at {url}: {failure_reason(got, timeout_s)}",
            _serve_fix(url),
        )
    for node in nodes:
        if NETWORK_SUT_NAME not in node.name:
            raise HarnessError(
                f'the SUT node at {node.url} is named "{node.name}", without "{NETWORK_SUT_NAME}"',
                f'the network division\'s rules want "{NETWORK_SUT_NAME}" in the SUT name: '
                "set sut_name in that node's SERVE.json (mlperf-tui serve names it so)",
            )
    return nodes


def _served(node: Node) -> str:
    """What must be equal on every node: the task, the model's tensors, the binding."""
    m = node.model
    return json.dumps(
        [m.get("task"), m.get("inputs"), m.get("outputs"), m.get("binding")], sort_keys=True
    )


class NetworkRun:
    """A network-division run's nodes, task and binding (before LoadGen), and its QDL."""

    def __init__(self, config: RunConfig) -> None:
        from harness.tasks import ModelBindingError, TaskError, get_task

        if config.network is None:  # pragma: no cover - the caller checks
            raise ValueError("not a network run")
        self.config = config
        self.options: NetworkOptions = config.network
        try:
            self.task: Task = get_task(config.task)
        except TaskError as e:
            raise HarnessError(e.message, e.fix) from e
        self.nodes = probe_nodes(self.options)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            if _served(node) != _served(first):
                raise HarnessError(
                    f"the SUT nodes {first.url} and {node.url} serve different models or tasks",
                    "start mlperf-tui serve with the same profile on every node",
                )
        served_task = first.model.get("task")
        if served_task != config.task:
            raise HarnessError(
                f"the SUT node at {first.url} serves the task {served_task!r}; this run's task "
                f"is {config.task!r}",
                "serve this run's profile on the nodes",
            )
        try:
            inputs = [tensor_from_dict(t) for t in first.model.get("inputs") or []]
            outputs = [tensor_from_dict(t) for t in first.model.get("outputs") or []]
        except WireError as e:
            raise HarnessError(
                f"the SUT node at {first.url} describes its model oddly: {e}",
                "use the same harness version on every node",
            ) from None
        try:
            self.binding: Binding = self.task.bind(inputs, outputs, config.task_options)
        except ModelBindingError as e:
            raise ModelMismatchError(
                f"the model of the SUT node at {first.url} does not fit the {self.task.name} "
                f"task: {e.message}",
                e.fix,
            ) from e
        ours = json.dumps(dict(self.binding.options), sort_keys=True)
        theirs = json.dumps(first.model.get("binding"), sort_keys=True)
        if ours != theirs:
            raise HarnessError(
                f"the SUT node at {first.url} binds its model as {theirs}, this run as {ours}: "
                "the samples would be preprocessed for another model",
                "give the run the task options the nodes serve (the same profile)",
            )
        self.sut: NetworkSUT | None = None

    @property
    def description(self) -> str:
        o = self.options
        names = ", ".join(f'{n.url} "{n.name}"' for n in self.nodes)
        return (
            f"network division: {len(self.nodes)} SUT node{'s' if len(self.nodes) > 1 else ''} "
            f"({names}); dispatch {o.dispatch}, at most {o.in_flight} requests in flight per "
            f"node, timeout {o.timeout_s:g} s"
            + (
                f"; the Offline query in requests of {self.config.backend.batch_size} samples"
                if self.config.scenario == "Offline"
                else "; one request per query"
            )
        )

    def make_sut(self, dataset: Dataset, state: RunState) -> NetworkSUT:
        c = self.config
        self.sut = NetworkSUT(
            self.options,
            self.nodes,
            dataset,
            state,
            scenario=c.scenario,
            batch_size=c.backend.batch_size,
            log_responses=c.mode == "accuracy" or c.audit_config is not None,
            report_path=c.output_dir / NETWORK_JSON,
        )
        return self.sut


@dataclass
class _Request:
    """One ``POST /infer``: samples of one query (or one piece of the Offline query)."""

    ids: list[int]
    indices: list[int]
    started_ns: int
    done: bool = False
    #: the node's response bytes of each sample, once it answered
    payloads: list[bytes] | None = field(default=None, repr=False)


class NetworkSUT:
    """LoadGen's query dispatch library over the SUT nodes (see the module doc)."""

    def __init__(
        self,
        options: NetworkOptions,
        nodes: Sequence[Node],
        dataset: Dataset,
        state: RunState,
        *,
        scenario: str,
        batch_size: int,
        log_responses: bool,
        report_path: Path | None = None,
    ) -> None:
        import mlperf_loadgen as lg

        self._lg = lg
        self._response = lg.QuerySampleResponse
        self._complete_call = lg.QuerySamplesComplete
        self.options = options
        self.nodes = list(nodes)
        self.dataset = dataset
        self.state = state
        self.scenario = scenario
        self.batch_size = max(1, batch_size)
        self.log_responses = log_responses
        self.report_path = report_path
        self._handle: Any = None
        self._held: list[int] = []
        self._held_lock = threading.Lock()
        self._halted = False
        self._next_node = 0
        self._pending: collections.deque[_Request] = collections.deque()
        self._in_flight: dict[asyncio.Task[None], _Request] = {}
        self._session: aiohttp.ClientSession | None = None
        self._loop = asyncio.new_event_loop()
        self._closing: asyncio.Event | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._reported = False
        self._thread = threading.Thread(target=self._run_loop, name="harness-network-io")
        self._thread.daemon = True
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    # -- LoadGen glue (LoadGen's threads) -------------------------------------------------------
    def construct(self) -> Any:
        self._handle = self._lg.ConstructQDL(self._issue_query, self._flush_guarded, self.name)
        return self._handle

    def destroy(self) -> None:
        if self._handle is not None:
            self._lg.DestroyQDL(self._handle)
            self._handle = None

    def _issue_query(self, samples: list[Any]) -> None:
        self._issue_guarded([s.id for s in samples], [s.index for s in samples])

    def _issue_guarded(self, ids: list[int], indices: list[int]) -> None:
        """LoadGen's fast-SUT issue signature (also the Offline calibration's test)."""
        try:
            self.issue(ids, indices)
        except BaseException as exc:  # pragma: no cover - never raise into LoadGen
            # issue() hands the samples on as its last step: none were, complete them here
            self.state.fail(exc)
            self._complete(ids, _now(), None)

    def _flush_guarded(self) -> None:
        try:
            self.flush()
        except BaseException as exc:  # pragma: no cover
            self.state.fail(exc)

    def issue(self, ids: list[int], indices: list[int]) -> None:
        started = _now()
        state = self.state
        if state.issued == 0:
            state.first_issue.set()
        state.issued += len(ids)
        if state.stopping or self._halted:
            if self.scenario == "Server":
                # completed in flush(): LoadGen ends the test on too many outstanding queries
                with self._held_lock:
                    self._held.extend(ids)
            else:
                self._complete(ids, started, None)
            return
        try:
            self._loop.call_soon_threadsafe(self._enqueue, ids, indices, started)
        except RuntimeError:  # the I/O thread has ended (after close)
            self._complete(ids, started, None)

    def flush(self) -> None:
        with self._held_lock:
            held, self._held = self._held, []
        if held:
            self._complete(held, _now(), None)

    def name(self) -> str:
        """The SUT's name, asked of the first node (the rules want a network round trip)."""
        first = self.nodes[0]
        try:
            said = asyncio.run_coroutine_threadsafe(self._ask_name(), self._loop).result(
                timeout=self.options.timeout_s + 1
            )
            return said
        except Exception as exc:
            reason = failure_reason(exc, self.options.timeout_s)
            if not self.state.stopping:
                self.state.request_stop("failed", f"SUT node {first.url} failed: {reason}")
            print(f"harness: SUT node {first.url}: GET /name failed: {reason}", file=sys.stderr)
            return first.name

    def reset_counts(self) -> None:
        """Forget the requests sent so far (after the Offline calibration's test)."""
        for node in self.nodes:
            node.requests = node.samples = node.failures = 0

    def close(self) -> None:
        """End the I/O thread (after LoadGen returned), then write network.json."""
        if self._thread.is_alive():
            closing = self._closing
            if closing is not None:
                with contextlib.suppress(RuntimeError):  # the loop just ended
                    self._loop.call_soon_threadsafe(closing.set)
            self._thread.join(timeout=10)
        self._write_report()

    # -- the I/O thread ---------------------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:
            if self._ready.is_set():  # pragma: no cover - the loop only waits once started
                self.state.fail(exc)
            else:
                self._start_error = exc
        finally:
            self._ready.set()
            self._loop.close()

    async def _main(self) -> None:
        import aiohttp

        self._closing = asyncio.Event()
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=self.options.in_flight)
        self._session = aiohttp.ClientSession(connector=connector)
        watcher = asyncio.create_task(self._watch_stop())
        self._ready.set()
        try:
            await self._closing.wait()
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await self._halt()
            await self._session.close()

    async def _watch_stop(self) -> None:
        while not self.state.stopping:
            await asyncio.sleep(_STOP_POLL_S)
        await self._halt()

    async def _halt(self) -> None:
        """No more requests: queued samples completed at once, requests in flight ended."""
        self._halted = True
        pending, self._pending = list(self._pending), collections.deque()
        for request in pending:
            self._finish(request, None)
        in_flight = dict(self._in_flight)
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        # a task cancelled before it ran never ran its own code: its samples complete here
        for request in in_flight.values():
            self._finish(request, None)

    async def _ask_name(self) -> str:
        assert self._session is not None
        url = self.nodes[0].url
        said = await _get_json(self._session, f"{url}/name", self.options.timeout_s)
        name = said.get("name") if isinstance(said, dict) else None
        if not isinstance(name, str):
            raise NodeFailed(f"{url}/name did not answer with a name")
        return name

    def _enqueue(self, ids: list[int], indices: list[int], started: int) -> None:
        if self._halted:
            self._complete(ids, started, None)
            return
        if self.scenario == "Offline" and len(ids) > self.batch_size:
            b = self.batch_size
            for lo in range(0, len(ids), b):
                self._pending.append(_Request(ids[lo : lo + b], indices[lo : lo + b], started))
        else:
            self._pending.append(_Request(ids, indices, started))
        self._dispatch()

    def _pick(self) -> Node | None:
        """The node for the next request (None: every node is at its bound)."""
        bound = self.options.in_flight
        if self.options.dispatch == "round_robin":
            n = len(self.nodes)
            for step in range(n):
                node = self.nodes[(self._next_node + step) % n]
                if node.in_flight_requests < bound:
                    self._next_node = (self._next_node + step + 1) % n
                    return node
            return None
        free = [node for node in self.nodes if node.in_flight_requests < bound]
        if not free:
            return None
        # ties go to the node that got fewer samples so far
        return min(free, key=lambda node: (node.in_flight_samples, node.samples))

    def _dispatch(self) -> None:
        while self._pending and not self._halted:
            node = self._pick()
            if node is None:
                return
            request = self._pending.popleft()
            n = len(request.ids)
            node.requests += 1
            node.samples += n
            node.in_flight_requests += 1
            node.in_flight_samples += n
            task = self._loop.create_task(self._send(node, request))
            self._in_flight[task] = request
            # a done callback runs however the task ends, also when cancelled before it ran
            task.add_done_callback(functools.partial(self._sent, node=node))

    def _sent(self, task: asyncio.Task[None], *, node: Node) -> None:
        """A request ended (answered, failed or cancelled): its samples are completed."""
        request = self._in_flight.pop(task)
        node.in_flight_requests -= 1
        node.in_flight_samples -= len(request.ids)
        self._finish(request, request.payloads if self.log_responses else None)
        if not self._halted:
            self._dispatch()

    async def _send(self, node: Node, request: _Request) -> None:
        """Send one request; its samples are completed by :meth:`_sent`."""
        import aiohttp

        assert self._session is not None
        timeout_s = self.options.timeout_s
        try:
            # the QSL's preprocessed samples as they are (no pre-processing here)
            feeds = self.dataset.batch(np.asarray(request.indices, dtype=np.int64))
            body = encode_request(feeds)
        except Exception as exc:  # this node's own part (the data set): the run fails
            self.state.fail(exc)
            return
        try:
            async with self._session.post(
                f"{node.url}/infer",
                data=body,
                headers={"Content-Type": CONTENT_TYPE},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                data = await response.read()
                if response.status != 200:
                    raise NodeFailed(f"HTTP {response.status}: {_error_text(data)}")
            request.payloads = decode_response(data, len(request.ids))
        except (aiohttp.ClientError, TimeoutError, NodeFailed, WireError) as exc:
            node.failures += 1
            self._node_failed(node, failure_reason(exc, timeout_s))

    def _node_failed(self, node: Node, reason: str) -> None:
        if not self.state.stopping:
            print(f"harness: SUT node {node.url} failed: {reason}", file=sys.stderr)
            self.state.request_stop("failed", f"SUT node {node.url} failed: {reason}")
        # the watcher halts the run within moments; no new request goes out meanwhile
        self._halted = True

    # -- completing samples -------------------------------------------------------------------
    def _finish(self, request: _Request, payloads: list[bytes] | None) -> None:
        if request.done:
            return
        request.done = True
        self._complete(request.ids, request.started_ns, payloads)

    def _complete(
        self, ids: Sequence[int], started_ns: int, payloads: Sequence[bytes] | None
    ) -> None:
        """Tell LoadGen these samples are done (with the node's bytes when given)."""
        if not ids:
            return
        responses, keep_alive = loadgen_responses(self._response, ids, payloads)
        done_ns = _now()
        self._complete_call(responses)
        del keep_alive  # LoadGen copied the bytes during the call
        self.state.add_completed(len(responses))
        self.state.histogram.add(done_ns - started_ns, len(responses))

    # -- the record ---------------------------------------------------------------------------
    def _write_report(self) -> None:
        if self._reported:
            return
        self._reported = True
        for node in self.nodes:
            print(
                f'harness: SUT node {node.url} "{node.name}": {node.requests} requests, '
                f"{node.samples} samples, {node.failures} failed",
                file=sys.stderr,
            )
        if self.report_path is None:
            return
        from harness.accuracy_log import write_text_atomic

        report = {
            "dispatch": self.options.dispatch,
            "in_flight": self.options.in_flight,
            "timeout_s": self.options.timeout_s,
            "nodes": [node.report() for node in self.nodes],
        }
        try:
            write_text_atomic(self.report_path, json.dumps(report, indent=2) + "\n")
        except OSError as exc:
            print(f"harness: cannot write {self.report_path}: {exc}", file=sys.stderr)


def _error_text(data: bytes) -> str:
    """The ``error`` of a service's JSON error answer, or the start of whatever came."""
    try:
        said = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        said = None
    if isinstance(said, dict) and isinstance(said.get("error"), str):
        return str(said["error"])
    return data[:200].decode("utf-8", "replace") or "no body"
