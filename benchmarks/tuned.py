"""The tuned harness against the machine's limit, per scenario, side by side in one run.

    python benchmarks/tuned.py [--quick] [--seconds S] [--rounds R] [--model resnet50|tiny|both]
                               [--cache-dir DIR] [--skip-server] [--events-rounds N] [--json]

For each model (the random-weight ResNet50 v1.5 stand-in, the tiny stand-in; 256 synthetic
images, preprocessed as the harness loads them):

1. **The raw limit**: raw ONNX Runtime in plain loops (``benchmarks/raw_best.py``'s sweep:
   batch size x intra-op threads x concurrent callers, one shared session or one each,
   threads x callers <= cores), the median of two repetitions per point; its best point is
   what the machine can do.
2. **The harness's own choice**: ``python -m harness tune`` (what ``mlperf-tui tune`` runs),
   which picks batch size, threads and streams without knowing the raw sweep.
3. **Offline**: the harness under LoadGen at that choice, each run between two runs of the raw
   best point; the ratio is to the mean of the two around it, the median over R rounds.
4. **The live event stream**: the same harness run with its progress events every 0.25 s
   (what the monitor reads) and with one at the start and end only, alternated over R rounds:
   the ratio of the two throughputs is what the stream costs.

For the tiny model also:

5. **SingleStream**: LoadGen's p90 of a harness run (the SingleStream thread count the tune
   chose; LoadGen's own thread answers each query) against the raw p90 of one-sample calls at
   the same threads, measured around it; the difference in microseconds.
6. **The ceiling of any Server SUT**: raw loops at the raw best point's threads and callers
   on random samples, as LoadGen's Server issues them: one sample per call (a view of the
   loaded array, no copy), and batches of 8 and of the tuned Server batch size copied row by
   row; each as a fraction of the raw best (contiguous batches) measured around it. On a
   memory-bound model this is below 1: Offline reads its batches in place, a Server batch
   must be copied or run one sample at a time.
7. **Server**: ``mlperf-tui find-performance`` (short runs, then a confirming run) finds the
   highest VALID target QPS at the tuned settings, with no target set by hand; it is printed
   as a fraction of the harness's Offline throughput.

Figures are ratios of runs side by side; no absolute time is a threshold. ``--json`` prints
them as one JSON object on stdout (the tables go to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _child import offline_metric, run_dict  # noqa: E402
from raw_best import (  # noqa: E402
    BATCH_SIZES,
    DATASET_COUNT,
    MODELS,
    QUICK_BATCH_SIZES,
    Point,
    Raw,
    preprocessed,
    sweep_points,
    threads_text,
)

from harness.config import BackendOptions  # noqa: E402


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def raw_best(raw: Raw, batch_sizes: tuple[int, ...], cores: int, seconds: float) -> Point:
    """The best point of the raw sweep (median of two repetitions per point)."""
    points = sweep_points(batch_sizes, cores)
    runs: dict[Point, list[float]] = {p: [] for p in points}
    for rep in range(2):
        for p in points if rep == 0 else points[::-1]:
            runs[p].append(raw.throughput(p, seconds, warm_up=rep == 0))
    return max(points, key=lambda p: median(runs[p]))


def harness_tune(run_json: Path, scenarios: str, seconds: float) -> dict[str, Any]:
    from mlperf_tui import rules
    from mlperf_tui.rules.model import Scenario

    bound_ns = rules.get_benchmark("resnet50").latency_bound_ns[Scenario.SERVER]
    proc = subprocess.run(
        [
            sys.executable, "-m", "harness", "tune", "--config", str(run_json),
            "--scenarios", scenarios, "--seconds", str(seconds), "--latency-bound-ms", str(bound_ns / 1e6),
            "--samples", str(DATASET_COUNT),
        ],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=False,
    )  # fmt: skip
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    if proc.returncode != 0 or not lines or lines[-1].get("kind") != "result":
        raise SystemExit(f"harness tune failed: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    chosen: dict[str, Any] = lines[-1]["chosen"]
    return chosen


def harness_single_stream(
    model: Path, dataset: Path, cache: Path, tmp: Path, threads: int, seconds: float, p50_us: float
) -> float:
    """LoadGen's p90 (us) of a SingleStream harness run of about ``seconds``."""
    (tmp / "user.conf").write_text(
        f"*.*.performance_sample_count_override = {DATASET_COUNT}\n"
        f"*.*.min_duration = {int(seconds * 1000)}\n"
        "*.SingleStream.min_query_count = 100\n"
        "*.SingleStream.target_latency = 1\n"
    )
    run = run_dict(
        tmp, "SingleStream", model, dataset, cache, BackendOptions(intra_op_threads=threads),
        expected_latency_ns=max(1, int(p50_us * 1e3 * 0.5)),
    )  # fmt: skip
    (tmp / "RUN.json").write_text(json.dumps(run))
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--config", str(tmp / "RUN.json")],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=False,
    )  # fmt: skip
    from harness.events import parse_event

    for line in proc.stdout.splitlines():
        event = parse_event(line)
        if event["event"] == "result" and event.get("status") == "ok":
            return float(event["loadgen"]["percentiles_ns"]["90.00"]) / 1e3
    raise SystemExit(f"SingleStream harness run failed: {proc.stderr[-2000:]}")


def find_server(tmp: Path, cache: Path, chosen: dict[str, Any], search_s: float) -> float:
    """The highest VALID Server target QPS ``mlperf-tui find-performance`` finds (tiny)."""
    import yaml

    server = chosen["Server"]
    profile = {
        "schema_version": 1, "benchmark": "resnet50", "division": "open",
        "category": "datacenter", "scenarios": ["Offline", "Server"],
        "modes": ["performance"], "execution": "test",
        "backend": {"intra_op_threads": server["intra_op_threads"],
                    "batch_size": server["batch_size"], "streams": server["streams"]},
        "assets": {"model": {"source": "synthetic", "kind": "tiny"},
                   "dataset": {"source": "synthetic", "count": DATASET_COUNT}},
        "submitter": "Benchmark", "output": str(tmp / "results"),
    }  # fmt: skip
    path = tmp / "server.yaml"
    path.write_text(yaml.safe_dump(profile))
    proc = subprocess.run(
        [
            sys.executable, "-m", "mlperf_tui", "find-performance", str(path), "--scenario",
            "Server", "--search-seconds", str(search_s), "--confirm-seconds",
            str(4 * search_s), "--json", "--no-write",
        ],
        capture_output=True, text=True, cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), MLPERF_TUI_CACHE=str(cache)), check=False,
    )  # fmt: skip
    for line in proc.stderr.splitlines():
        if "run at" in line:
            print(f"    {line.strip()}", file=sys.stderr, flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"find-performance failed: {proc.stderr[-2000:]}")
    return float(json.loads(proc.stdout)["Server"])


def measure_model(kind: str, args: argparse.Namespace, out: TextIO, tmp: Path) -> dict[str, Any]:
    from harness.backends.onnxruntime import physical_cores
    from harness.tasks import get_task
    from mlperf_tui import benchmarks
    from mlperf_tui.assets import synthetic_dataset, synthetic_model

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    cores = physical_cores()
    entry = benchmarks.require("resnet50")
    model = synthetic_model(entry, kind, seed=0, cache_dir=args.cache_dir)
    dataset = synthetic_dataset(entry, DATASET_COUNT, seed=0, cache_dir=args.cache_dir)
    task = get_task("imagenet_classification")
    cache = tmp / "cache"
    binding, data = preprocessed(task, model, dataset, cache)
    raw = Raw(model, data, binding.inputs[0].name, list(binding.outputs), cores)
    batch_sizes = (QUICK_BATCH_SIZES if args.quick else BATCH_SIZES)[kind]
    seconds = args.seconds
    say(f"{kind}: {cores} cores, raw sweep of batch sizes {', '.join(map(str, batch_sizes))}")
    best = raw_best(raw, batch_sizes, cores, seconds)
    say(f"  raw best: {best.label()}")

    run_json = tmp / "RUN.json"
    (tmp / "user.conf").write_text("")
    one = BackendOptions(intra_op_threads=1, batch_size=1)
    run_json.write_text(json.dumps(run_dict(tmp, "Offline", model, dataset, cache, one)))
    scenarios = "Offline,SingleStream,Server" if kind == "tiny" else "Offline"
    chosen = harness_tune(run_json, scenarios, seconds)
    off = chosen["Offline"]
    say(
        f"  harness tune chose for Offline: batch {off['batch_size']}, "
        f"{off['intra_op_threads']} thread(s) x {off['streams']} stream(s)"
    )
    harness_s = max(6 * seconds, 4 * off["batch_size"] * off["streams"] / off["throughput"])

    def harness(interval: float) -> float:
        return offline_metric(
            tmp, benchmark="resnet50", loadgen_model="resnet50", task="imagenet_classification",
            model=model, dataset=dataset, cache=cache, threads=off["intra_op_threads"],
            batch_size=off["batch_size"], samples=DATASET_COUNT, qps=off["throughput"],
            seconds=harness_s, streams=off["streams"], progress_interval_s=interval,
        )  # fmt: skip

    offline_rounds = []
    before = raw.throughput(best, seconds, True)
    for n in range(args.rounds):
        value = harness(0.25)
        after = raw.throughput(best, seconds, False)
        around = (before + after) / 2
        offline_rounds.append(value / around)
        say(f"  Offline round {n + 1}: harness {value:.1f}/s, raw best {around:.1f}/s around it")
        before = after
    offline_ratio = median(offline_rounds)
    say(f"  Offline: harness / raw best = {offline_ratio:.3f} (median of {args.rounds})")

    stream_rounds = []
    for n in range(args.events_rounds or max(2, args.rounds)):
        # alternate which goes first, so a drift of the machine's load does not favour one
        if n % 2 == 0:
            with_events, without = harness(0.25), harness(3600.0)
        else:
            without, with_events = harness(3600.0), harness(0.25)
        stream_rounds.append(with_events / without)
    stream_ratio = median(stream_rounds)
    say(
        f"  live event stream: throughput with / without = {stream_ratio:.3f} "
        f"(cost {100 * (1 - stream_ratio):.1f}%)"
    )
    figures: dict[str, Any] = {
        "model": kind,
        "raw_best": {"label": best.label(), "batch_size": best.batch_size,
                     "threads": best.threads, "callers": best.callers,
                     "sessions": best.sessions},
        "tuned": chosen,
        "offline_ratio_to_raw_best": offline_ratio,
        "offline_rounds": offline_rounds,
        "event_stream_ratio": stream_ratio,
    }  # fmt: skip
    if kind != "tiny":
        return figures

    ss_threads = int(chosen["SingleStream"]["intra_op_threads"])
    deltas = []
    for n in range(args.rounds):
        raw_before = raw.single_stream(ss_threads, 3000, 10 * seconds)
        ours = harness_single_stream(
            model, dataset, cache, tmp, ss_threads, 4 * seconds, raw_before["p50_us"]
        )
        raw_after = raw.single_stream(ss_threads, 3000, 10 * seconds)
        raw_p90 = (raw_before["p90_us"] + raw_after["p90_us"]) / 2
        deltas.append(ours - raw_p90)
        say(
            f"  SingleStream round {n + 1}: harness p90 {ours:.1f} us, raw p90 {raw_p90:.1f} us "
            f"({threads_text(ss_threads)})"
        )
    delta = median(deltas)
    say(f"  SingleStream: harness p90 - raw p90 = {delta:+.1f} us (median)")
    figures["single_stream_p90_delta_us"] = delta

    # the ceiling of any Server SUT: random samples, one per call (a view) or gathered
    server_batches = sorted({1, 8, int(chosen["Server"]["batch_size"])})
    ceiling = {}
    for batch in server_batches:
        around = raw.throughput(best, seconds, False)
        value = raw.random_access(batch, best.threads, best.callers, 2 * seconds)
        around = (around + raw.throughput(best, seconds, False)) / 2
        ceiling[batch] = value / around
        say(
            f"  raw random samples, batch {batch} ({'a view' if batch == 1 else 'gathered'}, "
            f"{threads_text(best.threads)} x {best.callers} callers): {value:,.1f}/s = "
            f"{ceiling[batch]:.3f} x raw best"
        )
    figures["server_raw_ceiling"] = max(ceiling.values())
    figures["server_raw_ceiling_by_batch"] = ceiling
    if not args.skip_server:
        offline_tput = harness(0.25)
        qps = find_server(tmp, cache, chosen, max(4.0, 2 * seconds))
        say(
            f"  Server: find-performance's highest VALID target {qps:,.1f} q/s = "
            f"{qps / offline_tput:.3f} x the harness's Offline {offline_tput:,.1f}/s"
        )
        figures["server_valid_qps"] = qps
        figures["server_fraction_of_offline"] = qps / offline_tput
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer batch sizes, shorter runs")
    parser.add_argument("--seconds", type=float, help="seconds per raw point (default 2, quick 1)")
    parser.add_argument("--rounds", type=int, help="harness rounds (default 3, quick 1)")
    parser.add_argument("--model", choices=(*MODELS, "both"), default="both")
    parser.add_argument("--cache-dir", default=None, help="asset cache (default: the user cache)")
    parser.add_argument("--skip-server", action="store_true", help="no Server search")
    parser.add_argument(
        "--events-rounds", type=int, help="pairs of runs with and without events (default R)"
    )
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args()
    args.seconds = args.seconds or (1.0 if args.quick else 2.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    out = sys.stderr if args.json else sys.stdout
    kinds = MODELS if args.model == "both" else (args.model,)
    figures = {}
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="tuned-bench-") as tmp:
            figures[kind] = measure_model(kind, args, out, Path(tmp))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
