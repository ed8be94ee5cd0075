"""The framing of ``POST /infer``: a request's feeds and a response's per-sample bytes.

No pickle (a node must never run what a peer sends it): a frame is a fixed prefix, a small
JSON header and raw bytes::

    magic b"MLPN" | version u8 | kind u8 | 2 reserved bytes | header length u32 (little-endian)
    header: UTF-8 JSON
    payload: raw bytes, in the header's order

- request (kind 1): header ``{"count": N, "feeds": [{"name", "dtype", "shape", "nbytes"}]}``,
  ``dtype`` as numpy's type string (``"<f4"``, ``"<i8"``, ``"|b1"``); the payload is each
  feed's C-order bytes (every feed's first dimension is N). Numbers, booleans only.
- response (kind 2): header ``{"count": N, "lengths": [l0, l1, ...]}``; the payload is each
  sample's response bytes (the task's ``response_bytes``, what LoadGen's accuracy log keeps).

Decoding checks every length against the frame, so a truncated or garbled frame is a
:class:`WireError`, never a wrong array. Request arrays are views of the received bytes.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness.backends import TensorInfo

__all__ = [
    "CONTENT_TYPE",
    "WireError",
    "check_feeds",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
    "tensor_dict",
    "tensor_from_dict",
]

MAGIC = b"MLPN"
VERSION = 1
KIND_REQUEST = 1
KIND_RESPONSE = 2
CONTENT_TYPE = "application/x-mlperf-network-frame"
_PREFIX = struct.Struct("<4sBBxxI")
#: a header is a few hundred bytes; anything far larger is not one of our frames
_MAX_HEADER = 1 << 20
#: numpy dtype kinds a feed may have: booleans, integers, floats (never objects)
_KINDS = "biuf"


class WireError(ValueError):
    """A frame that is not one of ours, or is truncated, or does not fit what was expected."""


def _frame(kind: int, header: dict[str, Any], parts: Sequence[Any]) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return b"".join([_PREFIX.pack(MAGIC, VERSION, kind, len(head)), head, *parts])


def _unframe(data: bytes | bytearray | memoryview, kind: int) -> tuple[dict[str, Any], int]:
    """The header of a frame of this kind, and where its payload starts."""
    view = memoryview(data)
    if len(view) < _PREFIX.size:
        raise WireError(f"a frame of {len(view)} bytes is shorter than its prefix")
    magic, version, got_kind, head_len = _PREFIX.unpack_from(view, 0)
    if magic != MAGIC:
        raise WireError("not a network-division frame (wrong magic bytes)")
    if version != VERSION:
        raise WireError(f"frame version {version}, this harness speaks version {VERSION}")
    if got_kind != kind:
        raise WireError(f"a frame of kind {got_kind} where kind {kind} was expected")
    end = _PREFIX.size + head_len
    if head_len > _MAX_HEADER or end > len(view):
        raise WireError(f"the header of {head_len} bytes does not fit the frame")
    try:
        header = json.loads(bytes(view[_PREFIX.size : end]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WireError("the frame's header is not JSON") from None
    if not isinstance(header, dict):
        raise WireError("the frame's header is not a JSON object")
    return header, end


def _count(header: Mapping[str, Any]) -> int:
    count = header.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise WireError(f"the frame's sample count is {count!r}")
    return count


def encode_request(feeds: Mapping[str, np.ndarray]) -> bytes:
    """One request frame of these named feeds (batch first, the same batch size each)."""
    entries = []
    parts = []
    counts = set()
    for name, value in feeds.items():
        array = np.ascontiguousarray(value)
        if array.dtype.kind not in _KINDS or array.ndim == 0:
            raise WireError(f"feed {name} is a {array.dtype} scalar or object array")
        counts.add(array.shape[0])
        entries.append(
            {
                "name": name,
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "nbytes": array.nbytes,
            }
        )
        parts.append(array.reshape(-1).view(np.uint8).data)
    if len(counts) != 1:
        raise WireError(f"the feeds have different batch sizes: {sorted(counts)}")
    return _frame(KIND_REQUEST, {"count": counts.pop(), "feeds": entries}, parts)


def decode_request(data: bytes | bytearray | memoryview) -> tuple[int, dict[str, np.ndarray]]:
    """(samples, feeds) of a request frame; the arrays are read-only views of ``data``."""
    header, offset = _unframe(data, KIND_REQUEST)
    count = _count(header)
    entries = header.get("feeds")
    if not isinstance(entries, list) or not entries:
        raise WireError("the request names no feeds")
    feeds: dict[str, np.ndarray] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise WireError("a feed entry is not an object")
        name, dtype_text, shape, nbytes = (
            entry.get("name"),
            entry.get("dtype"),
            entry.get("shape"),
            entry.get("nbytes"),
        )
        if not isinstance(name, str) or not name or name in feeds:
            raise WireError(f"feed name {name!r} is empty or repeated")
        if not isinstance(dtype_text, str):
            raise WireError(f"feed {name}: dtype {dtype_text!r}")
        try:
            dtype = np.dtype(dtype_text)
        except TypeError:
            raise WireError(f"feed {name}: unknown dtype {dtype_text!r}") from None
        if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise WireError(f"feed {name}: dtype {dtype_text!r} is not a number or boolean type")
        if (
            not isinstance(shape, list)
            or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise WireError(f"feed {name}: shape {shape!r}")
        if shape[0] != count:
            raise WireError(f"feed {name} holds {shape[0]} samples, the request {count}")
        size = math.prod(shape) * dtype.itemsize
        if nbytes != size:
            raise WireError(f"feed {name}: {nbytes!r} bytes for shape {shape} of {dtype}")
        if offset + size > len(data):
            raise WireError(f"feed {name} is cut short: the frame ends before its {size} bytes")
        feeds[name] = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=offset)
        feeds[name] = feeds[name].reshape(shape)
        offset += size
    if offset != len(data):
        raise WireError(f"{len(data) - offset} bytes follow the last feed")
    return count, feeds


def check_feeds(feeds: Mapping[str, np.ndarray], inputs: Sequence[TensorInfo]) -> None:
    """The feeds are exactly the model inputs the task feeds, of their dtypes and ranks;
    WireError naming the first that is not. The sizes are the task's to check: a sample may be
    larger than the model's input (3D-UNet's volume, which the task slides a window over)."""
    want = {t.name: t for t in inputs}
    if set(feeds) != set(want):
        raise WireError(
            f"the request feeds {', '.join(sorted(feeds))}; the model takes "
            f"{', '.join(sorted(want))}"
        )
    for name, array in feeds.items():
        t = want[name]
        if array.dtype != np.dtype(t.dtype):
            raise WireError(f"feed {name} is {array.dtype}; the model takes {t.dtype}")
        if t.shape is not None and len(t.shape) != array.ndim:
            raise WireError(
                f"feed {name} has shape {list(array.shape)}; the model takes {t.shape_text()}"
            )


def encode_response(payloads: Sequence[bytes]) -> bytes:
    """One response frame of each sample's response bytes."""
    return _frame(
        KIND_RESPONSE,
        {"count": len(payloads), "lengths": [len(p) for p in payloads]},
        payloads,
    )


def decode_response(data: bytes | bytearray | memoryview, expected: int) -> list[bytes]:
    """Each sample's response bytes of a response frame that must hold ``expected`` samples."""
    header, offset = _unframe(data, KIND_RESPONSE)
    count = _count(header)
    if count != expected:
        raise WireError(f"the answer holds {count} samples, the request {expected}")
    lengths = header.get("lengths")
    if (
        not isinstance(lengths, list)
        or len(lengths) != count
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in lengths)
    ):
        raise WireError("the answer's lengths do not fit its sample count")
    if offset + sum(lengths) != len(data):
        raise WireError(
            f"the answer's samples take {sum(lengths)} bytes; {len(data) - offset} came"
        )
    view = memoryview(data)
    payloads = []
    for n in lengths:
        payloads.append(bytes(view[offset : offset + n]))
        offset += n
    return payloads


def tensor_dict(t: TensorInfo) -> dict[str, Any]:
    """A model tensor as ``GET /model`` gives it."""
    return {"name": t.name, "shape": None if t.shape is None else list(t.shape), "dtype": t.dtype}


def tensor_from_dict(data: Any) -> TensorInfo:
    """The TensorInfo of :func:`tensor_dict`'s form; WireError when it is not that form."""
    if not isinstance(data, dict):
        raise WireError(f"a tensor description is {data!r}")
    name, shape, dtype = data.get("name"), data.get("shape"), data.get("dtype")
    if not isinstance(name, str) or not isinstance(dtype, str):
        raise WireError(f"a tensor description is {data!r}")
    if shape is not None and (
        not isinstance(shape, list)
        or not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)
    ):
        raise WireError(f"tensor {name}: shape {shape!r}")
    return TensorInfo(name=name, shape=None if shape is None else tuple(shape), dtype=dtype)
