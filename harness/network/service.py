"""The SUT service of one network-division node: ``python -m harness serve --config SERVE.json``.

The node loads its model with the harness's own task and backend (as a local run does:
harness.backends.load_backend, then the task's ``bind``) and answers the LoadGen node's query
dispatch library (harness.network.qdl) over HTTP (aiohttp.web):

``GET /health``   ``{"status": "ok", ...}`` once the model is loaded
``GET /name``     ``{"name": sut_name}``: the SUT name LoadGen logs (with "Network SUT")
``GET /model``    the task, its options, the model's inputs and outputs (tensor dicts), the
                  binding's options, the runtime's description, batch size, streams, and the
                  node's ``system`` object (its hardware, as mlperf-tui detected it)
``POST /infer``   a request frame (harness.network.wire) of one query's samples; the answer
                  is a response frame of each sample's response bytes (``response_bytes``).
                  A bad frame is HTTP 400, an inference failure HTTP 500 (JSON ``error``)

Batching is the SUT's, here (the rules forbid it in the query dispatch library): concurrent
requests are queued and ``backend.streams`` worker threads, each with its own runtime
session, take up to ``backend.batch_size`` samples of whole requests at once (a request larger
than that runs alone, in pieces). A free worker that finds fewer samples than a batch waits
for more, at most ``max_wait_ms``, and only while requests arrive as others are still being
answered at a rate that brings the missing ones within the wait: one query at a time
(SingleStream) is answered at once.

The service caches nothing: every request is inferred. It stops on SIGINT or SIGTERM,
answering what it already runs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ExitCode, HarnessError, ModelMismatchError
from harness.network.wire import (
    CONTENT_TYPE,
    WireError,
    check_feeds,
    decode_request,
    encode_response,
    tensor_dict,
)

if TYPE_CHECKING:
    from aiohttp import web

    from harness.backends import Backend
    from harness.config import ServeConfig
    from harness.tasks import Binding, Task

_now = time.perf_counter_ns
#: the largest request body the service reads (a batch of 3D-UNet volumes is hundreds of MB)
MAX_REQUEST_BYTES = 1 << 32
#: seconds a worker may take to finish its batch when the service stops
_STOP_JOIN_S = 30.0


class InferenceFailed(Exception):
    """The runtime raised on a batch: the requests in it answer HTTP 500 with this message."""


@dataclass
class _Job:
    """One request's samples, waiting for a worker."""

    feeds: dict[str, np.ndarray]
    count: int
    arrived_ns: int
    future: asyncio.Future[list[bytes]]


class Batcher:
    """Requests queued for the worker threads, batched as the module doc says."""

    def __init__(
        self,
        backends: Sequence[Backend],
        task: Task,
        binding: Binding,
        batch_size: int,
        max_wait_ms: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.task = task
        self.binding = binding
        self.batch_size = max(1, batch_size)
        self.max_wait_ns = int(max_wait_ms * 1e6)
        self._loop = loop
        self._queue: collections.deque[_Job] = collections.deque()
        self._queued_samples = 0
        self._cv = threading.Condition()
        self._closed = False
        #: requests received and not answered yet
        self._outstanding = 0
        #: the mean gap (ns) between requests that arrived while others were outstanding; 0:
        #: requests come one at a time, so waiting for another would only add latency
        self._gap_ns = 0.0
        self._last_arrival = 0
        self.requests = 0
        self.samples = 0
        self.batches = 0
        self._workers = [
            threading.Thread(
                target=self._work, args=(b,), name=f"harness-serve-worker-{i}", daemon=True
            )
            for i, b in enumerate(backends)
        ]
        for t in self._workers:
            t.start()

    def submit(self, job: _Job) -> None:
        with self._cv:
            if self._outstanding and self._last_arrival:
                gap = job.arrived_ns - self._last_arrival
                self._gap_ns = gap if not self._gap_ns else 0.9 * self._gap_ns + 0.1 * gap
            elif not self._outstanding:
                self._gap_ns = 0.0
            self._last_arrival = job.arrived_ns
            self._outstanding += 1
            self.requests += 1
            self.samples += job.count
            self._queue.append(job)
            self._queued_samples += job.count
            self._cv.notify()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        for t in self._workers:
            t.join(timeout=_STOP_JOIN_S)

    def _take(self) -> list[_Job] | None:
        """Whole requests of up to batch_size samples (or one larger request); None: closed."""
        queue = self._queue
        with self._cv:
            while True:
                while not queue:
                    if self._closed:
                        return None
                    self._cv.wait()
                gap = self._gap_ns
                if self._queued_samples < self.batch_size and 0 < gap < self.max_wait_ns:
                    missing = self.batch_size - self._queued_samples
                    deadline = queue[0].arrived_ns + min(self.max_wait_ns, int(missing * gap))
                    while queue and self._queued_samples < self.batch_size and not self._closed:
                        remaining = deadline - _now()
                        if remaining <= 0:
                            break
                        self._cv.wait(remaining / 1e9)
                if not queue:  # another worker took them meanwhile
                    continue
                jobs = [queue.popleft()]
                total = jobs[0].count
                while queue and total + queue[0].count <= self.batch_size:
                    job = queue.popleft()
                    jobs.append(job)
                    total += job.count
                self._queued_samples -= total
                if queue:
                    self._cv.notify()  # another free worker can take the rest
                return jobs

    def _work(self, backend: Backend) -> None:
        while True:
            jobs = self._take()
            if jobs is None:
                return
            try:
                payloads = self._infer(backend, jobs)
            except Exception as exc:
                print(
                    f"harness: inference failed on a batch of {sum(j.count for j in jobs)} "
                    f"samples: {type(exc).__name__}: {exc}",
                    file=sys.stderr,
                )
                failure = InferenceFailed(f"{type(exc).__name__}: {exc}")
                for job in jobs:
                    self._answer(job, None, failure)
                continue
            at = 0
            for job in jobs:
                self._answer(job, payloads[at : at + job.count], None)
                at += job.count

    def _infer(self, backend: Backend, jobs: list[_Job]) -> list[bytes]:
        if len(jobs) == 1:
            feeds = jobs[0].feeds
        else:
            feeds = {name: np.concatenate([j.feeds[name] for j in jobs]) for name in jobs[0].feeds}
        total = sum(j.count for j in jobs)
        task, binding = self.task, self.binding
        payloads: list[bytes] = []
        for lo in range(0, total, self.batch_size):
            hi = min(total, lo + self.batch_size)
            piece = feeds if (lo, hi) == (0, total) else {n: a[lo:hi] for n, a in feeds.items()}
            results = task.infer(backend, binding, piece)
            payloads.extend(task.response_bytes(results, i) for i in range(hi - lo))
            self.batches += 1
        return payloads

    def _answer(
        self, job: _Job, payloads: list[bytes] | None, failure: BaseException | None
    ) -> None:
        with self._cv:
            self._outstanding -= 1

        def settle() -> None:
            if job.future.done():  # the client went away meanwhile
                return
            if failure is not None:
                job.future.set_exception(failure)
            else:
                job.future.set_result(payloads or [])

        with contextlib.suppress(RuntimeError):  # the loop closed: the service is stopping
            self._loop.call_soon_threadsafe(settle)


class SutService:
    """The model, the batcher and the HTTP routes of one node (see the module doc)."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.task, self.backends, self.binding = load_served_model(config)
        self.started_ns = time.monotonic_ns()
        self.batcher: Batcher | None = None

    @property
    def backend(self) -> Backend:
        return self.backends[0]

    def model_info(self) -> dict[str, Any]:
        """What ``GET /model`` answers."""
        c = self.config
        return {
            "task": c.task,
            "task_options": dict(c.task_options),
            "inputs": [tensor_dict(t) for t in self.backend.inputs],
            "outputs": [tensor_dict(t) for t in self.backend.outputs],
            "binding": dict(self.binding.options),
            "backend": self.backend.description,
            "batch_size": c.backend.batch_size,
            "streams": len(self.backends),
            "max_wait_ms": c.max_wait_ms,
            "system": dict(c.system),
        }

    def app(self) -> web.Application:
        from aiohttp import web

        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/health", self._health)
        app.router.add_get("/name", self._name)
        app.router.add_get("/model", self._model)
        app.router.add_post("/infer", self._infer)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        from aiohttp import web

        b = self.batcher
        return web.json_response(
            {
                "status": "ok",
                "uptime_s": round((time.monotonic_ns() - self.started_ns) / 1e9, 3),
                "requests": b.requests if b else 0,
                "samples": b.samples if b else 0,
            }
        )

    async def _name(self, request: web.Request) -> web.Response:
        from aiohttp import web

        return web.json_response({"name": self.config.sut_name})

    async def _model(self, request: web.Request) -> web.Response:
        from aiohttp import web

        return web.json_response(self.model_info())

    async def _infer(self, request: web.Request) -> web.Response:
        from aiohttp import web

        assert self.batcher is not None
        body = await request.read()
        arrived = _now()
        try:
            count, feeds = decode_request(body)
            check_feeds(feeds, self.binding.inputs)
        except WireError as exc:
            return web.json_response({"error": f"bad request frame: {exc}"}, status=400)
        if count == 0:
            return web.Response(body=encode_response([]), content_type=CONTENT_TYPE)
        future: asyncio.Future[list[bytes]] = asyncio.get_running_loop().create_future()
        self.batcher.submit(_Job(feeds, count, arrived, future))
        try:
            payloads = await future
        except InferenceFailed as exc:
            return web.json_response({"error": f"inference failed: {exc}"}, status=500)
        return web.Response(body=encode_response(payloads), content_type=CONTENT_TYPE)

    async def serve(self, sock: socket.socket, url: str) -> None:
        """Answer on ``sock`` until SIGINT or SIGTERM."""
        from aiohttp import web

        loop = asyncio.get_running_loop()
        c = self.config
        self.batcher = Batcher(
            self.backends, self.task, self.binding, c.backend.batch_size, c.max_wait_ms, loop
        )
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = web.AppRunner(
            self.app(), access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            print(f'harness: SUT service "{c.sut_name}" listening on {url}', file=sys.stderr)
            sys.stderr.flush()
            await stop.wait()
            print("harness: stopping the SUT service", file=sys.stderr)
        finally:
            await runner.cleanup()
            # the workers finish their batch; its answers have no one left to go to
            await loop.run_in_executor(None, self.batcher.close)
            b = self.batcher
            print(
                f"harness: SUT service stopped after {b.requests} requests, {b.samples} "
                f"samples in {b.batches} batches",
                file=sys.stderr,
            )


def load_served_model(config: ServeConfig) -> tuple[Task, list[Backend], Binding]:
    """The node's task, one runtime session per stream, and the task's binding."""
    from harness.backends import load_backend
    from harness.tasks import ModelBindingError, TaskError, get_task

    try:
        task = get_task(config.task)
    except TaskError as e:
        raise HarnessError(e.message, e.fix) from e
    backend = load_backend(config.backend.name, config.model_path, config.backend)
    try:
        binding = task.bind(backend.inputs, backend.outputs, config.task_options)
    except ModelBindingError as e:
        raise ModelMismatchError(
            f"{config.model_path.name} does not fit the {task.name} task: {e.message}", e.fix
        ) from e
    extra = [
        load_backend(config.backend.name, config.model_path, config.backend)
        for _ in range(config.backend.streams - 1)
    ]
    return task, [backend, *extra], binding


def listen(host: str, port: int) -> tuple[socket.socket, str]:
    """A listening socket on host:port (port 0: a free one) and the service's URL; HarnessError
    when the port is taken or the address is not this machine's."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as e:
        raise HarnessError(
            f"cannot listen on {host}: {e.strerror}",
            "give --host an address of this machine (0.0.0.0: every interface)",
        ) from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise HarnessError(
                f"port {port} on {host} is taken (another process listens there)",
                "stop that process, or choose another port with --port",
            ) from None
        raise HarnessError(
            f"cannot listen on {host}:{port}: {e.strerror}",
            "give --host an address of this machine and --port a free port "
            "(ports below 1024 need privileges)",
        ) from None
    sock.setblocking(False)
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if family == socket.AF_INET6 else bound[0]
    return sock, f"http://{shown}:{bound[1]}"


def serve_main(config_path: str, host: str, port: int) -> int:
    """``python -m harness serve``: the exit code (0 after SIGINT/SIGTERM; 2 bad inputs)."""
    from harness.config import load_serve_config

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # SIGTERM while the model loads stops as SIGINT does (the event loop then takes both over)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        config = load_serve_config(config_path)
        # the port first: a taken one fails before the model loads
        sock, url = listen(host, port)
        try:
            print(
                f"harness: loading {config.model_path.name} for the SUT service",
                file=sys.stderr,
            )
            service = SutService(config)
            print(
                f"harness: {service.backend.description} x {len(service.backends)} streams, "
                f"batches of up to {config.backend.batch_size}; {service.binding.describe()}",
                file=sys.stderr,
            )
            asyncio.run(service.serve(sock, url))
        finally:
            sock.close()
    except HarnessError as e:
        print(f"harness: {e}", file=sys.stderr)
        return int(e.exit_code)
    except KeyboardInterrupt:  # while the model loaded
        print("harness: SUT service stopped before it was ready", file=sys.stderr)
        return int(ExitCode.OK)
    return int(ExitCode.OK)
