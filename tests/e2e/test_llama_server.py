"""The real engine: llama.cpp's OpenAI-compatible server on the tiny stand-in model.

These tests pin what the endpoint SUT relies on in this engine (streamed completions, one chunk
per token, exact output lengths, the engine's tokenisation of text prompts equal to ours) and
what it must work around (token-id prompts refused; one request at a time). A server starts in
under a second; the module takes a few seconds. Skipped where `make engine` has not run.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_server import (
    LlamaServer,
    post_json,
    skip_without_engine,
    start_llama_server,
    stream_completion,
    tiny_engine,
)
from tokenizers import Tokenizer

from mlperf_tui.benchmarks.llm.engine_standin import TinyEngineModel

skip_without_engine()

PROMPT = (
    "Summarize the following news article: The committee said on Tuesday that the new rules "
    "would take effect next year, after a long debate in Zürich about the café owners' costs. "
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> TinyEngineModel:
    return tiny_engine(tmp_path_factory.mktemp("engine"))


@pytest.fixture(scope="module")
def server(model: TinyEngineModel) -> Iterator[LlamaServer]:
    with start_llama_server(model) as running:
        yield running


def _completions(server: LlamaServer) -> str:
    return server.base_url + "/v1/completions"


def _body(model: TinyEngineModel, **fields: Any) -> dict[str, Any]:
    return {"model": model.model_name, "prompt": PROMPT, "temperature": 0, **fields}


def _token_chunks(chunks: list[tuple[float, dict[str, Any]]]) -> list[str]:
    """The text of the chunks that carry a token (the last chunk only says why it stopped)."""
    return [c["choices"][0]["text"] for _, c in chunks if c["choices"][0]["finish_reason"] is None]


def test_models_lists_the_served_name(server: LlamaServer, model: TinyEngineModel) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(server.base_url + "/v1/models", timeout=10) as response:
        listed = json.loads(response.read())
    assert [m["id"] for m in listed["data"]] == [model.model_name]


def test_streamed_completion_has_one_chunk_per_token(
    server: LlamaServer, model: TinyEngineModel
) -> None:
    chunks = list(stream_completion(_completions(server), _body(model, max_tokens=16)))
    texts = _token_chunks(chunks)
    assert len(texts) == 16
    assert all(texts)  # the stand-in only generates tokens that are text on their own
    assert chunks[-1][1]["choices"][0]["finish_reason"] == "length"
    arrivals = [t for t, _ in chunks]
    assert arrivals == sorted(arrivals)
    # the same request unstreamed: the same text (greedy decoding is deterministic)
    status, full = post_json(_completions(server), _body(model, max_tokens=16))
    assert status == 200
    assert full["usage"]["completion_tokens"] == 16
    assert full["choices"][0]["text"] == "".join(texts)


def test_text_prompts_are_tokenised_as_our_tokenizer_does(
    server: LlamaServer, model: TinyEngineModel
) -> None:
    hf = Tokenizer.from_file(str(model.tokenizer_path))
    for prompt in (PROMPT, PROMPT * 4, "日本語 🤖 déjà vu\n\n  x"):
        status, answer = post_json(_completions(server), _body(model, prompt=prompt, max_tokens=1))
        assert status == 200
        assert answer["usage"]["prompt_tokens"] == len(hf.encode(prompt).ids)  # BOS included


def test_token_id_prompts_are_refused(server: LlamaServer, model: TinyEngineModel) -> None:
    """This engine takes text only: a SUT must send the prompt's text (the ids above show the
    engine tokenises it to the same ids). Streamed or not, the answer is an error, not a
    completion."""
    ids = Tokenizer.from_file(str(model.tokenizer_path)).encode(PROMPT).ids
    status, answer = post_json(_completions(server), _body(model, prompt=ids, max_tokens=16))
    assert status >= 400
    assert "valid string" in answer["error"]["message"]
    with pytest.raises(OSError):  # urllib's HTTPError: the stream never starts
        list(stream_completion(_completions(server), _body(model, prompt=ids, max_tokens=16)))


def test_long_prompt_and_128_tokens_fit(server: LlamaServer, model: TinyEngineModel) -> None:
    prompt = PROMPT * 12  # ~ 500 tokens
    for temperature in (0.0, 1.0):
        status, answer = post_json(
            _completions(server),
            _body(model, prompt=prompt, max_tokens=128, temperature=temperature, seed=3),
        )
        assert status == 200
        assert answer["usage"]["prompt_tokens"] > 300
        assert answer["usage"]["completion_tokens"] == 128  # never an early EOS
        assert answer["choices"][0]["finish_reason"] == "length"


def test_concurrent_streams_all_complete(server: LlamaServer, model: TinyEngineModel) -> None:
    """The server runs one completion at a time; with --interrupt_requests false the others
    wait instead of cutting the running stream short."""
    lengths: dict[int, int] = {}

    def one(i: int) -> None:
        body = _body(model, prompt=f"{PROMPT} {i}", max_tokens=32)
        lengths[i] = len(_token_chunks(list(stream_completion(_completions(server), body))))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert lengths == {i: 32 for i in range(4)}


def test_api_key_is_required_when_set(tmp_path: Path, model: TinyEngineModel) -> None:
    with start_llama_server(model, log_dir=tmp_path, api_key="sesame") as server:
        status, _ = post_json(_completions(server), _body(model, max_tokens=1))
        assert status == 401


def test_a_killed_server_cuts_the_stream(tmp_path: Path, model: TinyEngineModel) -> None:
    with start_llama_server(model, log_dir=tmp_path) as server:
        # a long completion (some seconds), so the kill lands mid-stream
        stream = stream_completion(_completions(server), _body(model, max_tokens=1500))
        next(stream)
        server.kill()
        assert server.process.returncode is not None
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            for _ in stream:
                pass
        started = time.monotonic()
        status: int | None = None
        with pytest.raises(OSError):  # connection refused: nothing listens any more
            status, _ = post_json(_completions(server), _body(model, max_tokens=1), timeout_s=5)
        assert status is None
        assert time.monotonic() - started < 5
