"""ONNX Runtime replicas as Ray actors on a Ray cluster (``backend.name: ray``).

::

    replicas = start_replicas(model_path, options, scenario)   # connects, places, loads
    replicas.proxies          # Backend objects, replicas x in_flight (Offline, Server) or one
    replicas.cluster_info()   # where each replica is (the run's cluster.json)
    replicas.close()          # actors killed; a cluster of our own shut down (also at exit)

``backend.ray.address``:

- ``local``: a private one-node cluster on this machine for this run (``ray.init``), sized to
  the replicas' CPUs, without a dashboard, with a short temporary folder of its own; it is shut
  down when the run ends (its processes, started by this run, are stopped by pid).
- ``HOST:PORT`` (the head's GCS, ``ray start --head`` prints it) or ``ray://HOST:PORT`` (a Ray
  Client server): an existing cluster. Its port is tried first with a socket and a timeout, so
  a dead address is an error within seconds instead of ``ray.init``'s long wait.

Each replica is a Ray actor (``max_concurrency`` 1, the CPUs and GPUs of ``backend.ray``,
scheduling strategy SPREAD so that replicas go to different nodes) that builds the harness's
own :class:`~harness.backends.onnxruntime.OnnxRuntimeBackend` with the run's execution provider
and intra-op threads. Cluster nodes share no file system: the model's bytes go through Ray's
object store, and the harness package through the job's runtime environment (``py_modules``);
every node needs Ray, numpy and onnxruntime in the same Python version.

Offline and Server get ``replicas x in_flight`` proxies (the SUTs run one stream thread per
proxy), so each replica has ``in_flight`` batches queued and never waits between two; the
other scenarios get one proxy on one replica (one query at a time). A replica whose process or
node dies makes ``predict`` raise a BackendError naming the replica and its node; the SUT then
fails the run and completes every sample.

Batches go to a replica through the object store (one copy per batch). A replica on the
driver's own node shares that object store (host shared memory): there, a batch that is a slice
of read-only loaded samples (the data set's, once it marks them read-only: most Offline
batches) is sent as a reference to one shared copy of those samples plus its row range, so the
replica reads the rows as a local stream would, without a copy per batch; a slice of a writable
array never is (its rows may change after the copy). Replicas on other nodes get every batch's
data over the network, as LoadGen-over-the-network's rules want.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.backends import TensorInfo
from harness.errors import BackendError

if TYPE_CHECKING:
    from harness.config import BackendOptions, RayOptions

#: the port of a Ray head's GCS when the address gives none (ray start --head's default)
DEFAULT_RAY_PORT = 6379
#: the port of a Ray Client server (ray://) when the address gives none
DEFAULT_CLIENT_PORT = 10001
#: seconds the head's port gets to accept a TCP connection
CONNECT_TIMEOUT_S = 3.0
#: seconds every replica gets to be placed on a node and to load the model
READY_TIMEOUT_S = 120.0
#: seconds one batch may take on a replica before the run fails with the replica named
PREDICT_TIMEOUT_S = 600.0
#: seconds the cluster's free resources get to show room for the replicas before that is an error
_RESOURCES_WAIT_S = 2.0
#: seconds the processes of a local cluster get to exit after ray.shutdown before SIGKILL
_EXIT_GRACE_S = 3.0
#: a feed is sent as rows of shared loaded samples only when those are this much larger (a
#: gathered batch is its own small array, not worth a shared copy)
_SHARED_MIN_RATIO = 2


def head_address(address: str) -> tuple[str, int]:
    """(host, port) of a Ray address: ``host:port``, ``host`` or ``ray://host:port``."""
    text = address.strip()
    client = text.startswith("ray://")
    rest = text.removeprefix("ray://").rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or host.endswith(":"):  # no port, or a bare IPv6 address
        host, port = rest, ""
    if not host or (port and not port.isdigit()) or "/" in rest:
        raise BackendError(
            f"backend.ray.address {address!r} is not a Ray address",
            "write local, the head's HOST:PORT (ray start --head prints it, e.g. "
            "10.0.0.1:6379) or ray://HOST:PORT for a Ray Client server",
        )
    default = DEFAULT_CLIENT_PORT if client else DEFAULT_RAY_PORT
    return host.strip("[]"), int(port) if port else default


def check_reachable(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """BackendError (with the fix) unless the head's port accepts a TCP connection in time."""
    host, port = head_address(address)
    what = "Ray Client server" if address.strip().startswith("ray://") else "Ray head"
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except socket.gaierror:
        why, fix = "the host name is unknown", "check the spelling, or use the head's IP address"
    except TimeoutError:
        why = f"no answer within {timeout_s:g} s"
        fix = "check that the head is up and that a firewall lets this port through"
    except ConnectionRefusedError:
        why = "the connection was refused"
        fix = (
            "start the cluster's head there (ray start --head --port PORT), check the port, "
            'or use "address": "local" for a cluster of this run on this machine'
        )
    except OSError as exc:
        why, fix = exc.strerror or str(exc), "check the address and the network"
    raise BackendError(f"cannot reach the {what} at {host}:{port}: {why}", fix)


# -- the replica (runs in a Ray worker process on some node) ---------------------------------


class _ReplicaActor:
    """One ONNX Runtime session in a Ray actor; made a Ray actor class by ray.remote()."""

    def __init__(self, model: bytes, options: BackendOptions, model_name: str) -> None:
        from harness.backends.onnxruntime import OnnxRuntimeBackend
        from harness.errors import HarnessError

        self._error: tuple[str, str] | None = None
        self._backend: OnnxRuntimeBackend | None = None
        #: the shared loaded samples of the driver's node, by the id the driver gave them
        self._shared: dict[int, np.ndarray] = {}
        # ONNX Runtime reads a model from a path (external data lies beside it): the bytes
        # from the object store go to a file of this node for as long as loading takes
        folder = tempfile.mkdtemp(prefix="harness-ray-model-")
        try:
            path = Path(folder, model_name)
            path.write_bytes(model)
            self._backend = OnnxRuntimeBackend(path, options)
        except HarnessError as e:  # reported by info(), with its fix
            self._error = (e.message, e.fix)
        except OSError as e:
            self._error = (
                f"cannot write the model to {folder}: {e.strerror}",
                "free disk space in the node's temporary folder",
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def info(self) -> dict[str, Any]:
        """Where this replica is, and what it runs (or why its model did not load)."""
        import ray

        ray_: Any = ray  # Ray's own functions are untyped
        facts: dict[str, Any] = {
            "node_id": ray.get_runtime_context().get_node_id(),
            "ip": ray_.util.get_node_ip_address(),
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
        }
        if self._error is not None or self._backend is None:
            message, fix = self._error or ("the model did not load", "")
            return {**facts, "error": message, "fix": fix}
        backend = self._backend
        return {
            **facts,
            "version": backend.version,
            "description": backend.description,
            "threads": backend.threads,
            "inputs": backend.inputs,
            "outputs": backend.outputs,
        }

    def predict(self, feeds: dict[str, Any], output_names: list[str] | None) -> list[np.ndarray]:
        assert self._backend is not None
        return self._backend.predict(self._resolve(feeds), output_names)

    def share(self, key: int, samples: np.ndarray) -> None:
        """Keep the driver's node's shared copy of loaded samples (a view of the object store)."""
        self._shared[key] = samples

    def unshare(self, key: int) -> None:
        self._shared.pop(key, None)

    def _resolve(self, feeds: dict[str, Any]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name, feed in feeds.items():
            if isinstance(feed, tuple):  # (shared samples' key, first row, end row)
                key, lo, hi = feed
                out[name] = self._shared[key][lo:hi]
            else:
                out[name] = feed
        return out


# -- the driver side ---------------------------------------------------------------------------


@dataclasses.dataclass
class ReplicaInfo:
    """Where one replica runs."""

    index: int
    node_id: str
    ip: str
    hostname: str
    pid: int

    @property
    def where(self) -> str:
        return f"node {self.ip} ({self.node_id[:8]})"


class _SharedSamples:
    """The data set's loaded samples, copied once into the driver node's object store, so a
    replica on that node gets a batch that is a slice of them as a row range (module doc)."""

    def __init__(self, ray: Any, actors: list[Any]) -> None:
        self._ray = ray
        self._actors = actors
        self._lock = threading.Lock()
        #: id(loaded array) -> (weak reference to it, its ObjectRef); forgotten when it dies
        self._known: dict[int, tuple[weakref.ref[np.ndarray], Any]] = {}

    def feed(self, array: np.ndarray) -> np.ndarray | tuple[int, int, int]:
        """``array`` itself, or (key, lo, hi) when it is rows lo:hi of shared loaded samples."""
        base = array
        while isinstance(base.base, np.ndarray):
            base = base.base
        if (
            base is array
            # only samples nobody can change: a buffer refilled for every batch (the Server
            # SUT's gather buffers, a task's window) would be stale in the shared copy
            or base.flags.writeable
            or base.base is not None
            or base.nbytes < _SHARED_MIN_RATIO * array.nbytes
            or base.ndim != array.ndim
            or base.shape[1:] != array.shape[1:]
            or base.dtype != array.dtype
            or not base.flags.c_contiguous
            or not array.flags.c_contiguous
        ):
            return array
        row = base.strides[0]
        offset = array.ctypes.data - base.ctypes.data
        if row <= 0 or offset % row:
            return array
        key = self._key(base)
        if key is None:
            return array
        lo = offset // row
        return (key, lo, lo + array.shape[0])

    def _key(self, base: np.ndarray) -> int | None:
        """The key the replicas know ``base`` by (shared now if new); None when it does not
        fit in the object store (its batches are then sent as they are)."""
        key = id(base)
        with self._lock:
            known = self._known.get(key)
            if known is not None and known[0]() is base:
                return key if known[1] is not None else None
            # a new set of loaded samples (LoadGen loads another set): the old ones go
            for old_key, (ref, _) in list(self._known.items()):
                if ref() is None:
                    self._drop(old_key)
            try:
                samples = self._ray.put(base)
            except self._ray.exceptions.ObjectStoreFullError:
                self._known[key] = (weakref.ref(base), None)
                return None
            self._ray.get([a.share.remote(key, samples) for a in self._actors])
            self._known[key] = (weakref.ref(base), samples)
            return key

    @property
    def shared_count(self) -> int:
        """How many sets of loaded samples the replicas share now."""
        with self._lock:
            return sum(1 for ref, samples in self._known.values() if samples is not None)

    def _drop(self, key: int) -> None:
        self._known.pop(key, None)
        for a in self._actors:
            a.unshare.remote(key)


class RayReplicas:
    """The replicas of one run on a Ray cluster, and the proxies the SUT runs (module doc)."""

    def __init__(
        self,
        ray: Any,
        options: RayOptions,
        actors: list[Any],
        infos: list[ReplicaInfo],
        first: dict[str, Any],
        streams_per_replica: int,
        local: _LocalCluster | None,
        owner: bool = True,
        model_path: Path | None = None,
    ) -> None:
        self._ray = ray
        self.model_path = model_path
        #: this object made the connection (and shuts it down on close)
        self._owner = owner
        self.options = options
        self._actors = actors
        self.infos = infos
        self._local = local
        self._closed = False
        self.version = str(first["version"])
        self.inputs: list[TensorInfo] = list(first["inputs"])
        self.outputs: list[TensorInfo] = list(first["outputs"])
        nodes = len({i.node_id for i in infos})
        self.description = (
            f"{first['description']}, {len(infos)} Ray replica{'s' if len(infos) != 1 else ''} "
            f"on {nodes} node{'s' if nodes != 1 else ''}"
        )
        driver_node = ray.get_runtime_context().get_node_id()
        client = options.address.strip().startswith("ray://")
        same_node = [a for a, i in zip(actors, infos, strict=True) if i.node_id == driver_node]
        self._shared = None if client or not same_node else _SharedSamples(ray, same_node)
        self._local_replica = [not client and i.node_id == driver_node for i in infos]
        errors = ray.exceptions
        self._task_error = errors.RayTaskError
        self._timeout_error = errors.GetTimeoutError
        self._ray_error = errors.RayError
        #: one proxy per stream; proxy k runs on replica k mod replicas, so the first
        #: ``replicas`` proxies cover every replica
        self.proxies = [
            RayReplicaBackend(self, k % len(actors))
            for k in range(len(actors) * streams_per_replica)
        ]
        self._handed = len(self.proxies)

    def predict(
        self, index: int, feeds: Mapping[str, np.ndarray], output_names: Sequence[str] | None
    ) -> list[np.ndarray]:
        """One batch on replica ``index``; BackendError naming the replica when it fails."""
        shared = self._shared
        names = list(output_names) if output_names is not None else None
        ray = self._ray
        try:
            if shared is not None and self._local_replica[index]:
                args: dict[str, Any] = {name: shared.feed(a) for name, a in feeds.items()}
            else:
                args = dict(feeds)
            result: list[np.ndarray] = ray.get(
                self._actors[index].predict.remote(args, names), timeout=PREDICT_TIMEOUT_S
            )
            return result
        except self._task_error as e:
            cause = e.cause if getattr(e, "cause", None) is not None else e
            raise BackendError(
                f"Ray replica {index + 1} on {self.infos[index].where} failed: "
                f"{type(cause).__name__}: {_first_line(str(cause))}",
                "the runtime on that node raised; its worker log in the cluster's session "
                "folder (logs/worker-*.err) has the whole message",
            ) from None
        except self._timeout_error:
            raise BackendError(
                f"Ray replica {index + 1} on {self.infos[index].where} did not answer a batch "
                f"within {PREDICT_TIMEOUT_S:.0f} s",
                "check that node (ray status on the head); a smaller batch_size answers sooner",
            ) from None
        except self._ray_error as e:
            info = self.infos[index]
            raise BackendError(
                f"Ray replica {index + 1} on {info.where} died: {death_reason(e)} "
                f"(its worker's pid was {info.pid})",
                "check that node (its memory, ray status on the head) and run again",
            ) from None

    @property
    def closed(self) -> bool:
        return self._closed

    def next_proxy(self) -> RayReplicaBackend:
        """One more proxy, on the replica after the last one handed out (in turn)."""
        index = self._handed % len(self._actors)
        self._handed += 1
        return RayReplicaBackend(self, index)

    @property
    def shared_sample_sets(self) -> int:
        """Sets of loaded samples the replicas on this node read from the object store."""
        return self._shared.shared_count if self._shared is not None else 0

    def where(self) -> str:
        """One line: the cluster and where each replica is."""
        address = self.options.address
        if self._local is not None:
            address = f"local (this run's, in {self._local.temp_dir})"
        places = ", ".join(
            f"replica {i.index + 1} on {i.hostname} {i.ip} ({i.node_id[:8]}, pid {i.pid})"
            for i in self.infos
        )
        return f"Ray {self._ray.__version__} cluster at {address}: {places}"

    def cluster_info(self) -> dict[str, Any]:
        """The run's cluster.json: Ray's version, the address, every live node with the
        replicas it holds and its Ray resources."""
        counts: dict[str, int] = {}
        hosts: dict[str, str] = {}
        for i in self.infos:
            counts[i.node_id] = counts.get(i.node_id, 0) + 1
            hosts[i.node_id] = i.hostname
        nodes = []
        for n in self._ray.nodes():
            if not n.get("Alive", False):
                continue
            node_id = str(n.get("NodeID", ""))
            nodes.append(
                {
                    "node_id": node_id,
                    "ip": str(n.get("NodeManagerAddress", "")),
                    "hostname": hosts.get(node_id, str(n.get("NodeManagerHostname", ""))),
                    "replicas": counts.get(node_id, 0),
                    "resources": dict(n.get("Resources", {})),
                }
            )
        return {
            "ray_version": self._ray.__version__,
            "address": self.options.address,
            "nodes": nodes,
        }

    def close(self) -> None:
        """Kill the replicas and disconnect; a local cluster of this run is shut down."""
        if self._closed:
            return
        self._closed = True
        if self in _STARTED:
            _STARTED.remove(self)
        for actor in self._actors:
            with contextlib.suppress(Exception):  # already dead, or the cluster is gone
                self._ray.kill(actor, no_restart=True)
        if self._owner:
            _disconnect(self._ray, self._local)


class RayReplicaBackend:
    """A Backend that runs each batch on one replica (several proxies share a replica)."""

    name = "ray"

    def __init__(self, replicas: RayReplicas, index: int) -> None:
        self.replicas = replicas
        self.index = index
        self.version = replicas.version
        self.inputs = replicas.inputs
        self.outputs = replicas.outputs
        self.description = replicas.description

    def predict(
        self, feeds: Mapping[str, np.ndarray], output_names: Sequence[str] | None = None
    ) -> list[np.ndarray]:
        return self.replicas.predict(self.index, feeds, output_names)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else text.strip()


def death_reason(error: BaseException) -> str:
    """A short reason from Ray's (long) error text: why the actor, object or node is gone."""
    text = str(error)
    for marker in ("The actor is dead because ", "The actor died because "):
        at = text.find(marker)
        if at >= 0:
            reason = text[at + len(marker) :]
            reason = reason.split(" There are some potential root causes")[0]
            return " ".join(reason.split()).rstrip(".")
    return f"{type(error).__name__}: {_first_line(text)}"


# -- connecting -----------------------------------------------------------------------------


@dataclasses.dataclass
class _LocalCluster:
    """A one-node cluster this run started: its temporary folder, and its processes."""

    temp_dir: str


def _descendants(pid: int) -> list[int]:
    """The pids of every process under ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: the ppid follows it
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _disconnect(ray: Any, local: _LocalCluster | None) -> None:
    """ray.shutdown(); for a local cluster of this run, its processes stopped too (Ray's
    dashboard agent outlives ray.shutdown by minutes) and its temporary folder removed."""
    started = _descendants(os.getpid()) if local is not None else []
    try:
        ray.shutdown()
    except Exception as exc:  # never hide the run's own result behind a shutdown problem
        print(f"harness: Ray shutdown: {type(exc).__name__}: {exc}", file=sys.stderr)
    if local is None:
        return
    deadline = time.monotonic() + _EXIT_GRACE_S
    alive = started
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _running(p)]
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(local.temp_dir, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise BackendError(
            "backend.name is ray but Ray is not installed",
            "pip install 'ray>=2.40' (on this machine and on every node of the cluster)",
        ) from e
    return ray


def _connect(ray: Any, options: RayOptions, cpus: float, gpus: float) -> _LocalCluster | None:
    """ray.init: a local cluster of this run (returned) or the existing one at the address."""
    # Ray's own messages go to stderr at WARNING and above; the workers' output stays in the
    # cluster's logs (log_to_driver off): stdout carries the harness's events only
    quiet: dict[str, Any] = {
        "log_to_driver": False,
        "logging_level": logging.WARNING,
        # the nodes share no file system: the harness package travels with the job
        "runtime_env": {"py_modules": [str(Path(__file__).resolve().parents[1])]},
    }
    # a run reports nothing to Ray's usage statistics (the machine may have no network)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    address = options.address.strip()
    if address == "local":
        # a short path: Ray's Unix sockets live under it (at most 107 bytes)
        temp_dir = tempfile.mkdtemp(prefix="hr-", dir="/tmp" if os.path.isdir("/tmp") else None)
        try:
            ray.init(
                num_cpus=max(1, math.ceil(cpus)),
                num_gpus=None if gpus else 0,
                include_dashboard=False,
                _temp_dir=temp_dir,
                # the one node talks to itself over loopback only
                _node_ip_address="127.0.0.1",
                **quiet,
            )
        except Exception as e:
            shutil.rmtree(temp_dir, ignore_errors=True)
            raise BackendError(
                f"Ray could not start a local cluster: {type(e).__name__}: {_first_line(str(e))}",
                "check free memory and /dev/shm, or connect to a running cluster "
                "(ray start --head; address HOST:PORT)",
            ) from e
        return _LocalCluster(temp_dir)
    check_reachable(address)
    try:
        ray.init(address=address, **quiet)
    except Exception as e:
        raise BackendError(
            f"Ray could not join the cluster at {address}: {type(e).__name__}: "
            f"{_first_line(str(e))}",
            "check that the address is the head's GCS port (ray start --head prints it) and "
            "that this machine runs the same Ray and Python versions as the cluster",
        ) from e
    return None


def _placement_error(
    ray: Any, replicas: int, placed: int | None, cpus: float, gpus: float
) -> BackendError:
    free = ray.available_resources()
    free_text = _amount(float(free.get("CPU", 0)), "CPU") + (
        f" and {_amount(float(free.get('GPU', 0)), 'GPU')}" if gpus else ""
    )
    need = _amount(cpus, "CPU") + (f" and {_amount(gpus, 'GPU')}" if gpus else "")
    if placed is None:
        room = _fits(ray, cpus, gpus)
        head = f"{replicas} Ray replicas do not fit (there is room for {room})"
    else:
        head = (
            f"only {placed} of {replicas} Ray replicas were placed within {READY_TIMEOUT_S:.0f} s"
        )
    return BackendError(
        f"{head}: each needs {need}, the cluster has {free_text} free",
        "lower backend.ray.replicas or backend.ray.num_cpus (num_gpus), or add nodes "
        "(ray start --address HEAD:PORT on another machine)",
    )


def _amount(value: float, unit: str) -> str:
    return f"{value:g} {unit}{'' if value == 1 else 's'}"


def _fits(ray: Any, cpus: float, gpus: float) -> int:
    """How many replicas of ``cpus`` x ``gpus`` the cluster's free resources can hold, counting
    each node on its own (a replica never spans two)."""
    free = ray.available_resources()
    by_total = math.inf
    if cpus > 0:
        by_total = min(by_total, math.floor(float(free.get("CPU", 0)) / cpus + 1e-9))
    if gpus > 0:
        by_total = min(by_total, math.floor(float(free.get("GPU", 0)) / gpus + 1e-9))
    by_node = 0.0
    for n in ray.nodes():
        if not n.get("Alive", False):
            continue
        res = n.get("Resources", {})
        each = math.inf
        if cpus > 0:
            each = min(each, math.floor(float(res.get("CPU", 0)) / cpus + 1e-9))
        if gpus > 0:
            each = min(each, math.floor(float(res.get("GPU", 0)) / gpus + 1e-9))
        by_node += each
    fit = min(by_total, by_node)
    return int(fit) if math.isfinite(fit) else 1 << 30


def start_replicas(
    model_path: Path,
    options: BackendOptions,
    scenario: str,
    *,
    replicas: int | None = None,
    local_cpus: float | None = None,
) -> RayReplicas:
    """Connect, place the replicas, load the model on each; BackendError with the fix when
    the cluster cannot be reached, cannot hold them, or a replica cannot load the model.

    ``replicas``: this many instead of the options' (one in SingleStream and MultiStream);
    ``local_cpus``: the CPUs of a local cluster (default: the replicas' own). A process
    already connected to Ray (an earlier call) places its replicas on that cluster."""
    ray_options = options.ray
    if ray_options is None:
        raise BackendError("backend.name is ray but backend.ray is missing", 'add "ray": {}')
    several = scenario in ("Offline", "Server")
    if replicas is None:
        replicas = ray_options.replicas if several else 1
    threads = options.intra_op_threads
    cpus = float(ray_options.num_cpus if ray_options.num_cpus is not None else (threads or 1))
    gpus = float(ray_options.num_gpus)
    try:
        model = model_path.read_bytes()
    except OSError as e:
        raise BackendError(
            f"cannot read the model {model_path}: {e.strerror}", "check model_path"
        ) from e

    ray = _import_ray()
    owner = not ray.is_initialized()
    local = (
        _connect(ray, ray_options, max(local_cpus or 0.0, replicas * cpus), replicas * gpus)
        if owner
        else None
    )
    actors: list[Any] = []
    try:
        # a node that just joined (a local cluster's own) reports its resources a moment later
        deadline = time.monotonic() + _RESOURCES_WAIT_S
        fit = _fits(ray, cpus, gpus)
        while fit < replicas and time.monotonic() < deadline:
            time.sleep(0.2)
            fit = _fits(ray, cpus, gpus)
        if fit < replicas:
            raise _placement_error(ray, replicas, None, cpus, gpus)
        replica_options = dataclasses.replace(
            options,
            name="onnxruntime",
            # a replica's pool gets the CPUs it reserved (not the whole node's cores)
            intra_op_threads=threads or max(1, math.floor(cpus)),
            streams=1,
            ray=None,
        )
        actor_class = ray.remote(_ReplicaActor)
        model_ref = ray.put(model)
        del model
        for _ in range(replicas):
            actors.append(
                actor_class.options(
                    num_cpus=cpus,
                    num_gpus=gpus,
                    max_concurrency=1,
                    max_restarts=0,
                    max_task_retries=0,
                    scheduling_strategy="SPREAD",
                ).remote(model_ref, replica_options, model_path.name)
            )
        infos = _wait_ready(ray, actors, cpus, gpus)
        first = infos[0][1]
        result = RayReplicas(
            ray,
            ray_options,
            actors,
            [i for i, _ in infos],
            first,
            ray_options.in_flight if several else 1,
            local,
            owner,
            model_path,
        )
    except BaseException:
        for actor in actors:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        if owner:
            _disconnect(ray, local)
        raise
    # stopped when the run's process ends, whichever way run() returns
    atexit.register(result.close)
    _STARTED.append(result)
    return result


def _wait_ready(
    ray: Any, actors: list[Any], cpus: float, gpus: float
) -> list[tuple[ReplicaInfo, dict[str, Any]]]:
    """Every replica's info() within READY_TIMEOUT_S; BackendError for one that cannot be
    placed, died, or could not load the model."""
    refs = [a.info.remote() for a in actors]
    ready, pending = ray.wait(refs, num_returns=len(refs), timeout=READY_TIMEOUT_S)
    if pending:
        raise _placement_error(ray, len(actors), len(ready), cpus, gpus)
    out: list[tuple[ReplicaInfo, dict[str, Any]]] = []
    for index, ref in enumerate(refs):
        try:
            facts: dict[str, Any] = ray.get(ref, timeout=CONNECT_TIMEOUT_S)
        except ray.exceptions.RuntimeEnvSetupError as e:
            raise BackendError(
                f"Ray replica {index + 1} could not set up its environment: {_first_line(str(e))}",
                "install the same Ray and Python versions, numpy and onnxruntime on every node",
            ) from None
        except ray.exceptions.RayError as e:
            raise BackendError(
                f"Ray replica {index + 1} did not start: {death_reason(e)}",
                "install numpy and onnxruntime on every node of the cluster (the same Python "
                "version as here), and check the node's memory",
            ) from None
        info = ReplicaInfo(
            index=index,
            node_id=str(facts["node_id"]),
            ip=str(facts["ip"]),
            hostname=str(facts["hostname"]),
            pid=int(facts["pid"]),
        )
        if "error" in facts:
            raise BackendError(
                f"Ray replica {index + 1} on {info.where}: {facts['error']}", str(facts["fix"])
            )
        out.append((info, facts))
    return out


#: the replicas this process started (a Ray driver has one connection per process, held in
#: Ray's own process state): load() hands out more proxies on them instead of new replicas
_STARTED: list[RayReplicas] = []


def load(model_path: Path, options: BackendOptions) -> RayReplicaBackend:
    """load_backend's entry point (``python -m harness calibrate`` and ``tune``, whose first
    session is the run's own replicas, from load_model): one more proxy, on the next replica of
    the model's replicas already started in this process (a replica keeps the intra-op threads
    it was started with), or one new replica (the first call connects; a local cluster then
    gets at least this machine's cores)."""
    for started in _STARTED:
        if started.model_path == model_path and not started.closed:
            return started.next_proxy()
    local_cpus = float(os.cpu_count() or 1)
    return start_replicas(
        model_path, options, "SingleStream", replicas=1, local_cpus=local_cpus
    ).proxies[0]
