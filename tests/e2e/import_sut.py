"""A minimal SUT under the real LoadGen, standing in for "another harness" (tests only).

:func:`loadgen_run` runs one LoadGen test of it in its own process (LoadGen keeps global
state) and leaves the folder a harness leaves: LoadGen's logs, the user.conf it ran with and,
for a compliance run, the audit.config LoadGen read from the working folder.

Every query is answered with fixed bytes derived from its sample index (the same bytes in every
run, so TEST01's comparison of an audit run with the accuracy run passes). An LLM-shaped run
(``tokens`` > 0) answers ``tokens`` int32 token ids, reports them to LoadGen as the response's
token count (LoadGen's use_token_latencies needs it) and, with ``first_token``, reports the
first token on its own first, as a streaming engine does in the Server scenario.

    python import_sut.py SPEC.json

SPEC: {"output_dir", "scenario", "mode" (performance | accuracy), "total", "performance_count",
       "user_conf", "loadgen_model", "latency_s", "tokens", "first_token", "seeds"}
"""

from __future__ import annotations

import array
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()


def answer(index: int, tokens: int) -> bytes:
    """The response to sample ``index``: token ids for an LLM, else four fixed bytes."""
    if tokens:
        return np.arange(index + 3, index + 3 + tokens, dtype=np.int32).tobytes()
    return np.float32(index % 1000).tobytes()


def loadgen_run(
    folder: Path,
    *,
    scenario: str,
    mode: str,
    model: str,
    total: int,
    performance_count: int,
    user_conf: str,
    latency_s: float = 0.0,
    tokens: int = 0,
    first_token: bool = False,
    audit_config: str | None = None,
    seeds: dict[str, int] | None = None,
) -> Path:
    """One LoadGen test of the SUT into ``folder`` (created); returns it. ``seeds`` replace
    the RNG seeds LoadGen's mlperf.conf gives (as a LoadGen of another round would)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "user.conf").write_text(user_conf, encoding="utf-8")
    if audit_config is not None:
        (folder / "audit.config").write_text(audit_config, encoding="utf-8")
    spec = {
        "output_dir": str(folder),
        "scenario": scenario,
        "mode": mode,
        "total": total,
        "performance_count": performance_count,
        "user_conf": str(folder / "user.conf"),
        "loadgen_model": model,
        "latency_s": latency_s,
        "tokens": tokens,
        "first_token": first_token,
        "seeds": seeds or {},
    }
    with tempfile.TemporaryDirectory(prefix="import-sut-") as scratch:
        path = Path(scratch) / "spec.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        # LoadGen reads audit.config from the working folder: the run's own
        proc = subprocess.run(
            [sys.executable, str(HERE), str(path)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (folder / "mlperf_log_detail.txt").is_file(), proc.stderr[-3000:]
    return folder


def main(spec_path: str) -> int:
    import mlperf_loadgen as lg

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    scenario: str = spec["scenario"]
    latency = float(spec.get("latency_s", 0.0))
    tokens = int(spec.get("tokens", 0))
    first_token = bool(spec.get("first_token", False))
    settings = lg.TestSettings()
    settings.FromConfig(spec["user_conf"], spec["loadgen_model"], scenario)
    settings.scenario = getattr(lg.TestScenario, scenario)
    settings.mode = (
        lg.TestMode.AccuracyOnly if spec["mode"] == "accuracy" else lg.TestMode.PerformanceOnly
    )
    for name, value in (spec.get("seeds") or {}).items():
        setattr(settings, name, int(value))
    keep: dict[int, array.array[int]] = {}

    def issue(queries: list[lg.QuerySample]) -> None:
        deadline = time.perf_counter() + latency
        responses = []
        try:
            for q in queries:
                data = array.array("B", answer(q.index, tokens))
                keep[q.id] = data
                address, count = data.buffer_info()
                if first_token:
                    lg.FirstTokenComplete([lg.QuerySampleResponse(q.id, address, 4, 1)])
                if tokens:
                    responses.append(lg.QuerySampleResponse(q.id, address, count, tokens))
                else:
                    responses.append(lg.QuerySampleResponse(q.id, address, count))
            while (left := deadline - time.perf_counter()) > 0:
                time.sleep(left if left > 0.002 else 0)
        finally:
            # every issued query is completed, also on error
            lg.QuerySamplesComplete(responses)

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(
        int(spec["total"]), int(spec["performance_count"]), lambda _: None, lambda _: None
    )
    output = lg.LogOutputSettings()
    output.outdir = str(spec["output_dir"])
    output.copy_summary_to_stdout = False
    log_settings = lg.LogSettings()
    log_settings.log_output = output
    log_settings.enable_trace = False
    try:
        lg.StartTestWithLogSettings(sut, qsl, settings, log_settings)
    finally:
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
