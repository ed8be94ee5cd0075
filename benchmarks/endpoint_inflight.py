"""How many requests the endpoint SUT keeps in flight on its one I/O thread, and at what cost.

    python benchmarks/endpoint_inflight.py [--concurrency 64,256,512] [--latency-ms 200]

For each asked concurrency, a fresh fake engine (tests/fixtures/fake_openai.py, in a process
of its own so that its CPU is not the client's) answers every request after a fixed delay with
a few tokens, and the harness runs one Offline test against it (a ``python -m harness`` child,
as the runner starts it) with ``max_concurrency`` set to that concurrency and enough samples
to keep every slot busy for several rounds. Printed side by side, per concurrency:

- max in flight: the SUT's own count and the engine's, and their ratio to the asked concurrency;
- requests per second, LoadGen's figure, against the ideal ``concurrency / request latency``;
- the client's CPU per request: the harness process's user + system time from LoadGen's first
  query to the end of its test (``/proc/PID/stat``), over the requests it sent; and the fake
  engine's, which on a small machine is what limits the requests per second;
- the harness's Python threads at the peak (one I/O thread whatever the concurrency).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))

from fake_openai import write_endpoint_run, write_llm_dataset  # noqa: E402

from harness.events import parse_event  # noqa: E402

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S


def start_engine(latency_ms: float, tokens: int, token_delay_ms: float) -> tuple[Any, str]:
    first_ms = max(0.0, latency_ms - token_delay_ms * (tokens - 1))
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests" / "fixtures" / "fake_openai.py"),
            "--first-token-delay-ms",
            str(first_ms),
            "--token-delay-ms",
            str(token_delay_ms),
            "--output-tokens",
            str(tokens),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def stop_engine(proc: Any) -> dict[str, Any]:
    import signal

    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def one_run(folder: Path, concurrency: int, args: argparse.Namespace) -> dict[str, Any]:
    engine, base_url = start_engine(args.latency_ms, args.tokens, args.token_delay_ms)
    try:
        dataset = write_llm_dataset(folder / "cnn_eval.json", 256)
        run_json = write_endpoint_run(
            folder,
            base_url,
            dataset,
            "Offline",
            count=256,
            queries=concurrency * args.rounds,
            max_concurrency=concurrency,
            max_tokens=args.tokens,
            timeout_s=60.0,
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "run", "--config", str(run_json)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        assert proc.stdout is not None
        cpu_start = cpu_end = engine_start = engine_end = None
        result: dict[str, Any] = {}
        for line in proc.stdout:
            event = parse_event(line)
            if event["event"] == "phase" and event["phase"] == "running":
                cpu_start, engine_start = cpu_s(proc.pid), cpu_s(engine.pid)
            elif event["event"] == "phase" and event["phase"] == "writing_logs":
                cpu_end, engine_end = cpu_s(proc.pid), cpu_s(engine.pid)
            elif event["event"] in ("result", "error"):
                result = event
        proc.wait(timeout=60)
    finally:
        served = stop_engine(engine)
    if result.get("event") != "result" or result.get("status") != "ok":
        raise SystemExit(f"the run at concurrency {concurrency} failed: {result}")
    e = result["endpoint"]
    requests = e["requests"]
    return {
        "asked": concurrency,
        "max_in_flight": e["max_in_flight"],
        "engine_max_concurrent": served.get("max_concurrent"),
        "requests": requests,
        "requests_per_s": result["loadgen"]["metric_value"],
        "ideal_per_s": concurrency / (args.latency_ms / 1e3),
        "cpu_us_per_request": (
            None if cpu_start is None or cpu_end is None else (cpu_end - cpu_start) / requests * 1e6
        ),
        "engine_cpu_us_per_request": (
            None
            if engine_start is None or engine_end is None
            else (engine_end - engine_start) / requests * 1e6
        ),
        "python_threads": e["threads"].get("python"),
        "os_threads": e["threads"].get("os"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", default="64,256,512")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="per request")
    parser.add_argument("--tokens", type=int, default=8, help="tokens per answer")
    parser.add_argument("--token-delay-ms", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=4, help="samples per slot")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="endpoint-inflight-") as tmp:
        for c in levels:
            t0 = time.monotonic()
            rows.append(one_run(Path(tmp) / f"c{c}", c, args))
            print(f"concurrency {c}: {time.monotonic() - t0:.1f} s", file=sys.stderr)
    print(
        f"fake engine: {args.latency_ms:g} ms per request, {args.tokens} tokens; "
        f"{args.rounds} samples per slot; one harness process per row"
    )
    head = (
        f"{'asked':>6} {'in flight':>10} {'engine':>7} {'ratio':>6} {'req/s':>8} "
        f"{'ideal':>8} {'ratio':>6} {'CPU us/req':>11} {'engine CPU':>11} {'threads':>8}"
    )
    print(head)
    for r in rows:
        cpu = r["cpu_us_per_request"]
        engine_cpu = r["engine_cpu_us_per_request"]
        print(
            f"{r['asked']:>6} {r['max_in_flight']:>10} {r['engine_max_concurrent'] or 0:>7} "
            f"{r['max_in_flight'] / r['asked']:>6.2f} {r['requests_per_s']:>8.1f} "
            f"{r['ideal_per_s']:>8.1f} {r['requests_per_s'] / r['ideal_per_s']:>6.2f} "
            f"{cpu if cpu is not None else float('nan'):>11.0f} "
            f"{engine_cpu if engine_cpu is not None else float('nan'):>11.0f} "
            f"{r['os_threads'] or 0:>8}"
        )
    threads = {tuple(r["python_threads"] or ()) for r in rows}
    print("Python threads at the peak:", "; ".join(", ".join(t) for t in sorted(threads)))
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        "'ratio' columns: in flight / asked, requests per second / ideal"
    )


if __name__ == "__main__":
    main()
