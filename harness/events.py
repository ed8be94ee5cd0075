"""The JSON-lines protocol a running harness writes on its stdout (version 1).

One JSON object per line, written whole and flushed. Every object has:

``v``      protocol version (int, currently 1)
``event``  the event name (below)
``t``      seconds since the harness process started (float)

Events and their fields:

``start``     the run begins
    ``benchmark`` (str), ``scenario`` (str), ``mode`` ("performance" | "accuracy"),
    ``pid`` (int), ``output_dir`` (str, where LoadGen's logs go)
``phase``     the run enters a phase
    ``phase``: "loading_model" | "loading_dataset" | "preprocessing" | "calibrating" |
    "running" | "writing_logs" | "accuracy"; ``message`` (str, for people).
    "loading_dataset" comes again when LoadGen has the QSL load its samples; "calibrating"
    (a valid Offline run: the SUT's rate is timed before LoadGen sizes the run from it);
    "running" comes with LoadGen's first issued query (immediately followed by a first
    ``progress``)
``progress``  about four times a second while LoadGen runs
    ``issued``, ``completed`` (samples, int), ``elapsed_s`` (since "running", float),
    ``throughput`` (completed samples per second so far, float),
    ``p50_ms``, ``p90_ms``, ``p99_ms`` (float or null before the first completion),
    ``histogram``: {"min_ns": int, "growth": float, "counts": [[index, n], ...]} — sparse
    log-spaced buckets; bucket ``i`` covers ``[min_ns*growth**i, min_ns*growth**(i+1))`` ns.
    Latencies are per sample, from the SUT receiving the query to its completion.
    ``within``: {"done": int, "total": int}, the steps of the batch in flight of a task whose
    one sample is long work (3D-UNet's sliding windows), or null
``result``    the last event of a run that got as far as LoadGen
    ``status``: "ok" | "failed" | "cancelled"; ``message`` (str); ``output_dir`` (str);
    ``loadgen``: LoadGen's own figures parsed from mlperf_log_detail.txt (see
    harness.loadgen_logs.result_figures: ``result_valid``, ``scenario``, ``metric_name``,
    ``metric_value``, ``early_stopping_met``, ``errors``, ``warnings``, percentiles, seeds...)
    or null when LoadGen wrote no log;
    ``accuracy``: {"metric": str, "value": float, "path": str} in accuracy mode, else null
``error``     the run could not start or broke (followed by exit code 1 or 2)
    ``message`` (str), ``fix`` (str)

All other output of the harness (and of LoadGen and the runtime) goes to stderr.
:func:`parse_event` reads a line back; a line that is not a JSON event (a stray print)
becomes ``{"v": 1, "event": "text", "t": None, "text": line}`` so a reader never breaks on it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import IO, Any

PROTOCOL_VERSION = 1
EVENTS = ("start", "phase", "progress", "result", "error")
PHASES = (
    "loading_model",
    "loading_dataset",
    "preprocessing",
    "calibrating",
    "running",
    "writing_logs",
    "accuracy",
)
STATUSES = ("ok", "failed", "cancelled")


class EventWriter:
    """Writes events as JSON lines; thread-safe, one flush per event."""

    def __init__(self, stream: IO[str], start_ns: int | None = None) -> None:
        self._stream = stream
        self._start_ns = time.monotonic_ns() if start_ns is None else start_ns
        self._lock = threading.Lock()

    def elapsed_s(self) -> float:
        return (time.monotonic_ns() - self._start_ns) / 1e9

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        record: dict[str, Any] = {"v": PROTOCOL_VERSION, "event": event, "t": 0.0}
        record.update(fields)
        line_fields = record
        with self._lock:
            line_fields["t"] = round(self.elapsed_s(), 6)
            line = json.dumps(line_fields, separators=(",", ":"), allow_nan=False)
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                # the reader went away; the run itself (and LoadGen's logs) must not care
                pass
        return record

    def start(self, benchmark: str, scenario: str, mode: str, output_dir: str) -> None:
        self.emit(
            "start",
            benchmark=benchmark,
            scenario=scenario,
            mode=mode,
            pid=os.getpid(),
            output_dir=output_dir,
        )

    def phase(self, phase: str, message: str) -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        self.emit("phase", phase=phase, message=message)

    def progress(
        self,
        issued: int,
        completed: int,
        elapsed_s: float,
        p50_ns: float | None,
        p90_ns: float | None,
        p99_ns: float | None,
        histogram: dict[str, Any],
        within: dict[str, int] | None = None,
    ) -> None:
        def ms(ns: float | None) -> float | None:
            return None if ns is None else round(ns / 1e6, 6)

        self.emit(
            "progress",
            issued=issued,
            completed=completed,
            elapsed_s=round(elapsed_s, 6),
            throughput=round(completed / elapsed_s, 3) if elapsed_s > 0 else 0.0,
            p50_ms=ms(p50_ns),
            p90_ms=ms(p90_ns),
            p99_ms=ms(p99_ns),
            histogram=histogram,
            within=within,
        )

    def result(
        self,
        status: str,
        message: str,
        output_dir: str,
        loadgen: dict[str, Any] | None,
        accuracy: dict[str, Any] | None,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        self.emit(
            "result",
            status=status,
            message=message,
            output_dir=output_dir,
            loadgen=loadgen,
            accuracy=accuracy,
        )

    def error(self, message: str, fix: str) -> None:
        self.emit("error", message=message, fix=fix)


def parse_event(line: str | bytes) -> dict[str, Any]:
    """One line of harness output as a dict; non-event lines become a ``text`` event."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    text = line.rstrip("\r\n")
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if isinstance(record, dict) and isinstance(record.get("event"), str) and "v" in record:
        return record
    return {"v": PROTOCOL_VERSION, "event": "text", "t": None, "text": text}
