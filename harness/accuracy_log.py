"""LoadGen's mlperf_log_accuracy.json: the one reader of its wire format, for every task.

LoadGen writes an accuracy-mode run's responses as a JSON list, one entry per line::

    [
    { "seq_id" : 0, "qsl_idx" : 7, "data" : "0000A040..." },
    ...
    ]

``data`` is the response's bytes in hex (what the SUT passed to ``QuerySamplesComplete``).
Every task's accuracy script reads the log through :func:`read_responses`, so a missing,
empty, truncated or malformed log fails the same way, with the same message and fix, for every
benchmark. The log is read one entry at a time (a 3D-UNet response is tens of MB); a file laid
out otherwise (one line, pretty-printed) is read whole.

A ``qsl_idx`` may be logged more than once (a compliance audit run, LoadGen's accuracy
sampling): which one counts is the reference script's choice, so each task decides. The
dtypes are the reference scripts' names for numpy's.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.tasks import AccuracyError

__all__ = ["DTYPES", "Response", "read_entries", "read_responses", "write_text_atomic"]

#: the response dtypes the reference accuracy scripts accept (their dtype maps)
DTYPES: dict[str, type[np.generic]] = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
}


@dataclass(frozen=True)
class Response:
    """One entry of the log: its position, the sample and the response's values."""

    #: the entry's position in the log (0-based), for messages
    n: int
    qsl_idx: int
    data: np.ndarray


def read_responses(path: Path, dtype: str) -> Iterator[Response]:
    """The log's entries in order, each response decoded as ``dtype``.

    Raises :class:`AccuracyError` with the fix for a missing, empty, truncated or malformed
    log, and for one that holds no entries (a performance run's)."""
    np_dtype = DTYPES[dtype]
    count = 0
    for n, entry in enumerate(read_entries(path)):
        try:
            idx = int(entry["qsl_idx"])
            data = np.frombuffer(bytes.fromhex(entry["data"]), np_dtype)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise AccuracyError(
                f"{path}: entry {n} is malformed ({exc})",
                "pass LoadGen's mlperf_log_accuracy.json unmodified",
            ) from None
        count += 1
        yield Response(n, idx, data)
    if not count:
        raise AccuracyError(
            f"{path} holds no results",
            "it comes from a performance run; score the log of an accuracy-mode run",
        )


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """The log's entries as LoadGen wrote them (``seq_id``, ``qsl_idx``, ``data``, and with
    token latencies ``token_data`` and ``token_count``), one at a time; AccuracyError with the
    fix for a missing, empty, truncated or malformed log."""
    try:
        yield from _entries_of_text(path)
    except UnicodeDecodeError:
        raise AccuracyError(
            f"{path} is not text (it holds bytes that are not UTF-8)",
            "pass LoadGen's mlperf_log_accuracy.json unmodified",
        ) from None
    except RecursionError:
        raise AccuracyError(
            f"{path} nests too deeply to be LoadGen's accuracy log",
            "pass LoadGen's mlperf_log_accuracy.json unmodified",
        ) from None


def _entries_of_text(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise AccuracyError(
            f"no accuracy log at {path}",
            "run the benchmark in accuracy mode first; LoadGen writes mlperf_log_accuracy.json",
        )
    with open(path, encoding="utf-8") as fh:
        first = fh.read(1)
        while first and first.isspace():
            first = fh.read(1)
        if not first:
            raise AccuracyError(
                f"{path} is empty",
                "the run did not finish writing its logs; run accuracy mode again",
            )
        if first != "[":
            raise AccuracyError(
                f"{path} is not a JSON list", "pass LoadGen's mlperf_log_accuracy.json"
            )
        rest = fh.readline().strip()
        if rest and rest != "]":
            # not LoadGen's one entry per line: the whole file is one JSON document
            yield from _read_whole(path)
            return
        closed = rest == "]"
        for lineno, raw in enumerate(fh, start=2):
            if closed:
                break
            line = raw.strip()
            if not line:
                continue
            if line.startswith("]"):
                closed = True
                break
            text = line[:-1] if line.endswith(",") else line
            if text.endswith("]"):  # the last entry and the closing bracket on one line
                text, closed = text[:-1].rstrip().rstrip(","), True
            try:
                entry = json.loads(text)
            except json.JSONDecodeError:
                yield from _read_whole(path)
                return
            if not isinstance(entry, dict):
                raise AccuracyError(
                    f"{path}: line {lineno} is not an entry",
                    "pass LoadGen's mlperf_log_accuracy.json unmodified",
                )
            yield entry
        if not closed:
            raise AccuracyError(
                f"{path} is truncated (no closing bracket)",
                "the run was interrupted while LoadGen wrote it; run accuracy mode again",
            )


def _read_whole(path: Path) -> Iterator[dict[str, Any]]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AccuracyError(
            f"{path} is truncated or not JSON (line {exc.lineno}: {exc.msg})",
            "the run was interrupted while LoadGen wrote it; run accuracy mode again",
        ) from None
    if not isinstance(entries, list):
        raise AccuracyError(f"{path} is not a JSON list", "pass LoadGen's mlperf_log_accuracy.json")
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise AccuracyError(
                f"{path}: entry {n} is not an object",
                "pass LoadGen's mlperf_log_accuracy.json unmodified",
            )
        yield entry


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it: a reader never sees half
    an accuracy.txt, and a failed write leaves the earlier file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
