"""Real LoadGen runs of ``python -m harness`` with the endpoint SUT against the fake engine."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_openai import (
    Behaviour,
    CompletionRequest,
    FakeOpenAI,
    expected_tokens,
    write_endpoint_run,
    write_llm_dataset,
    write_tokenizer,
)
from harness_util import HarnessRun, run_harness

from harness.datasets.llm import open_llm_dataset
from harness.loadgen_logs import parse_summary_log

COUNT = 16


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_llm_dataset(tmp_path_factory.mktemp("prompts") / "cnn_eval.json", COUNT)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tokenizer(tmp_path_factory.mktemp("tokenizer"))


def _prompt(dataset: Path, index: int) -> list[int]:
    return list(open_llm_dataset(dataset, "cnn-dailymail-llama3").sample(index).input_ids)


def _accuracy_entries(run: HarnessRun) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(
        (run.output_dir / "mlperf_log_accuracy.json").read_text()
    )
    return entries


def _ids(hex_data: str) -> list[int]:
    return np.frombuffer(bytes.fromhex(hex_data), dtype="<i4").tolist()


def _all_completed(run: HarnessRun) -> None:
    """Every sample LoadGen issued was completed (the last progress event and the counts)."""
    last = run.by_name["progress"][-1]
    assert last["issued"] == last["completed"] > 0, str(run)
    e = run.result["endpoint"]
    assert e["answered"] + e["failed_total"] + e["not_sent"] + e["cancelled"] == last["issued"]
    assert e["in_flight"] == 0


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_run_answers_every_sample(tmp_path: Path, dataset: Path, scenario: str) -> None:
    with FakeOpenAI(Behaviour(token_delay_s=0.001)) as server:
        run = run_harness(write_endpoint_run(tmp_path, server.base_url, dataset, scenario))
    assert run.rc == 0, str(run)
    assert run.result["status"] == "ok"
    if scenario == "Offline":
        assert run.result["loadgen"]["result_validity"] == "VALID"
    e = run.result["endpoint"]
    issued = run.by_name["progress"][-1]["issued"]
    assert issued >= 64  # min_query_count of the short user.conf
    assert e["requests"] == e["answered"] == issued
    assert server.counters.completions == issued + 1  # and the probe's test completion
    assert e["output_tokens"] == 8 * issued
    assert e["token_ids"] == {"counted": issued}  # no accuracy log: no re-tokenising
    assert e["loadgen_tokens"]["tokens_per_s"] > 0
    summary = parse_summary_log(run.output_dir)
    if scenario == "Offline":
        assert float(summary["Tokens per second"]) > 0
    else:  # SingleStream reports first tokens (use_token_latencies)
        assert float(summary["90.0th first token percentile latency (ns)"]) > 0
    names = [ev["event"] for ev in run.events]
    assert names[0] == "start" and names[-1] == "result"
    assert all("endpoint" in p for p in run.by_name["progress"])
    _all_completed(run)


def test_server_run_reports_first_tokens_so_loadgen_measures_ttft_and_tpot(
    tmp_path: Path, dataset: Path
) -> None:
    with FakeOpenAI(Behaviour(first_token_delay_s=0.004, token_delay_s=0.002)) as server:
        run = run_harness(write_endpoint_run(tmp_path, server.base_url, dataset, "Server"))
    assert run.rc == 0, str(run)
    summary = parse_summary_log(run.output_dir)
    ttft = float(summary["50.00 percentile first token latency (ns)"])
    tpot = float(summary["50.00 percentile time to output token (ns)"])
    assert 4e6 <= ttft < 1e9
    assert 2e6 <= tpot < 1e9
    assert float(summary["Completed tokens per second"]) > 0
    e = run.result["endpoint"]
    assert e["token_latencies"] is True
    lg_tokens = e["loadgen_tokens"]
    assert lg_tokens["ttft_ns"]["50.00"] == ttft
    assert lg_tokens["tpot_ns"]["50.00"] == tpot
    # the SUT's own figures, as the monitor shows them while the run goes
    assert e["ttft_ms"]["p50"] >= 4.0 and e["tpot_ms"]["p50"] >= 2.0
    assert run.result["loadgen"]["errors"] == 0
    _all_completed(run)


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_accuracy_run_logs_int32_token_ids_retokenised_from_text(
    tmp_path: Path, dataset: Path, tokenizer: Path, scenario: str
) -> None:
    with FakeOpenAI(Behaviour()) as server:
        run_json = write_endpoint_run(
            tmp_path, server.base_url, dataset, scenario, "accuracy", tokenizer_dir=str(tokenizer)
        )
        run = run_harness(run_json)
    assert run.rc == 0, str(run)
    entries = _accuracy_entries(run)
    assert sorted(e["qsl_idx"] for e in entries) == list(range(COUNT))
    for entry in entries:
        data = _ids(entry["data"])
        assert data == expected_tokens(_prompt(dataset, entry["qsl_idx"]), 8)
        assert entry["token_count"] == 8  # TEST06: the token count is the output's length
        if scenario != "Offline":  # the first token, its text tokenised alone
            assert _ids(entry["token_data"]) == data[:1]
    e = run.result["endpoint"]
    assert e["token_ids"] == {"tokenizer": COUNT}
    accuracy = run.result["accuracy"]
    assert accuracy["metric"] == "ROUGE1" and accuracy["values"]["gen_num"] == COUNT
    assert (run.output_dir / "accuracy.txt").read_text().startswith("{'rouge1': ")


def test_engine_ids_and_first_tokens_in_the_accuracy_log(
    tmp_path: Path, dataset: Path, tokenizer: Path
) -> None:
    extra = {"return_tokens_as_token_ids": True, "logprobs": 1}
    with FakeOpenAI(Behaviour(token_delay_s=0.001)) as server:
        run_json = write_endpoint_run(
            tmp_path,
            server.base_url,
            dataset,
            "Server",
            "accuracy",
            tokenizer_dir=str(tokenizer),
            extra_body=extra,
        )
        run = run_harness(run_json)
    assert run.rc == 0, str(run)
    entries = _accuracy_entries(run)
    assert len({e["qsl_idx"] for e in entries}) == COUNT
    for entry in entries:
        data = _ids(entry["data"])
        assert data == expected_tokens(_prompt(dataset, entry["qsl_idx"]), 8)
        # TEST06's first-token check: the first token LoadGen got starts the output
        assert _ids(entry["token_data"]) == data[:1]
    assert run.result["endpoint"]["token_ids"] == {"engine": len(entries)}
    assert run.result["endpoint"]["first_token_mismatch"] == 0


_FAULT_KINDS = {
    "http_500": "http_500",
    "http_429": "http_429",
    "hang": "timeout",
    "drop": "dropped",
    "truncate": "truncated",
    "malformed": "malformed",
    "stream_error": "stream_error",
}


def _mixed_faults(request: CompletionRequest) -> str | None:
    if request.number == 0:  # the probe's test completion
        return None
    order = list(_FAULT_KINDS)
    return order[request.number // 9 % len(order)] if request.number % 9 == 0 else None


def test_failures_are_counted_by_kind_and_every_sample_completes(
    tmp_path: Path, dataset: Path
) -> None:
    with FakeOpenAI(Behaviour(fault=_mixed_faults, token_delay_s=0.001)) as server:
        run_json = write_endpoint_run(
            tmp_path, server.base_url, dataset, "Offline", timeout_s=1.0, queries=128
        )
        run = run_harness(run_json)
        faults = dict(server.counters.faults)
    assert run.rc == 1, str(run)
    assert run.result["status"] == "failed"
    e = run.result["endpoint"]
    expected = {_FAULT_KINDS[f]: n for f, n in faults.items()}
    assert e["failed"] == dict(sorted(expected.items()))
    assert len(expected) == len(_FAULT_KINDS)
    total = sum(expected.values())
    assert run.result["message"].startswith(f"{total} of {e['requests']} requests to ")
    assert f"timeout: {expected['timeout']}" in run.result["message"]
    assert e["answered"] == e["requests"] - total
    assert (run.output_dir / "mlperf_log_summary.txt").is_file()  # LoadGen finished
    _all_completed(run)


@pytest.mark.parametrize(
    ("scenario", "mode", "total"),
    [
        ("Offline", "performance", 400),
        ("Server", "performance", 400),
        # LoadGen logs each sample's first token in an accuracy run with token latencies: a
        # sample that failed before any token still needs one (LoadGen crashed without it)
        ("SingleStream", "accuracy", 16),
    ],
)
def test_engine_killed_mid_run_fails_with_the_reason(
    tmp_path: Path, dataset: Path, tokenizer: Path, scenario: str, mode: str, total: int
) -> None:
    behaviour = Behaviour(token_delay_s=0.01, output_tokens=16)
    with FakeOpenAI(behaviour) as server:
        run_json = write_endpoint_run(
            tmp_path,
            server.base_url,
            dataset,
            scenario,
            mode,
            queries=total,
            server_qps=100.0,
            max_concurrency=16,
            tokenizer_dir=str(tokenizer),
        )

        def kill_after(n: int) -> None:
            deadline = time.monotonic() + 30
            while server.counters.completions < n and time.monotonic() < deadline:
                time.sleep(0.005)
            server.kill()

        # the probe before LoadGen is one completion too
        killer = threading.Thread(target=kill_after, args=(max(total // 10, 4),))
        killer.start()
        run = run_harness(run_json, timeout=60)
        killer.join()
    assert run.rc == 1, str(run)
    result = run.result
    assert result["status"] == "failed"
    message = result["message"]
    assert message.startswith(f"the engine at {server.base_url} stopped answering after ")
    assert message.endswith(" samples: connection refused")
    answered = result["endpoint"]["answered"]
    assert f"after {answered} of " in message
    assert 0 < answered < total
    assert result["endpoint"]["failed"]["connection_refused"] >= 3
    assert run.wall_s < 30
    _all_completed(run)


def test_unreachable_engine_fails_before_loadgen_starts(tmp_path: Path, dataset: Path) -> None:
    server = FakeOpenAI().start()
    base_url = server.base_url
    server.stop()
    run = run_harness(write_endpoint_run(tmp_path, base_url, dataset, "Offline"))
    assert run.rc == 2, str(run)
    error = run.by_name["error"][-1]
    assert error["message"] == f"nothing answers at {base_url}/models: connection refused"
    assert "start the serving engine" in error["fix"]
    assert "result" not in run.by_name
    assert not (run.output_dir / "mlperf_log_detail.txt").exists()


def test_api_key_goes_only_into_the_header(
    tmp_path: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-live-DoNotLeakThis-42"
    monkeypatch.setenv("FAKE_ENGINE_KEY", secret)
    with FakeOpenAI(Behaviour(api_key=secret)) as server:
        run = run_harness(
            write_endpoint_run(
                tmp_path, server.base_url, dataset, "Offline", api_key_env="FAKE_ENGINE_KEY"
            )
        )
    assert run.rc == 0, str(run)
    assert set(server.counters.authorizations) == {f"Bearer {secret}"}
    assert secret not in run.raw_stdout and secret not in run.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_hundreds_in_flight_on_one_io_thread(tmp_path: Path, dataset: Path) -> None:
    # each answer takes ~0.4 s, so the Offline query's samples pile up to the concurrency
    with FakeOpenAI(Behaviour(first_token_delay_s=0.4, output_tokens=2)) as server:
        run_json = write_endpoint_run(
            tmp_path, server.base_url, dataset, "Offline", queries=600, max_concurrency=512
        )
        run = run_harness(run_json, timeout=120)
        seen = server.max_concurrent
    assert run.rc == 0, str(run)
    e = run.result["endpoint"]
    assert seen >= 256
    assert e["max_in_flight"] >= 256
    threads = e["threads"]
    # one I/O thread for all requests: no thread per request, no resolver or executor pool
    assert threads["python"] == [
        "MainThread",
        "harness-endpoint-io",
        "harness-loadgen",
        "harness-progress",
    ]
    assert threads["os"] is None or threads["os"] < 16
    _all_completed(run)


def test_sigint_cancels_the_requests_in_flight(tmp_path: Path, dataset: Path) -> None:
    with FakeOpenAI(Behaviour(token_delay_s=0.1, output_tokens=16)) as server:
        run_json = write_endpoint_run(
            tmp_path, server.base_url, dataset, "Offline", queries=400, max_concurrency=32
        )
        run = run_harness(run_json, sigint_after_progress=3, timeout=30)
    assert run.rc == 130, str(run)
    assert run.result["status"] == "cancelled"
    assert run.wall_s < 15
    e = run.result["endpoint"]
    assert e["cancelled"] > 0
    assert e["failed_total"] == 0
