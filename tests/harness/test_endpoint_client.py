"""The endpoint client and probe against the fake engine: streaming, token ids, each failure."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Iterator

import pytest
from fake_openai import MODEL, Behaviour, FakeOpenAI, expected_tokens, token_text

from harness.config import EndpointOptions
from harness.endpoint.client import (
    Completion,
    RequestFailed,
    RequestTemplate,
    SseDecoder,
    apply_chunk,
    chunk_token_ids,
    new_session,
    prompt_json,
    stream_completion,
)
from harness.endpoint.probe import EndpointError, ProbeResult, api_key, probe_endpoint

PROMPT = [1, 17, 42, 99]


def _options(base_url: str, **changes: object) -> EndpointOptions:
    options = EndpointOptions(
        base_url=base_url,
        model=MODEL,
        dataset_format="cnn-dailymail-llama3",
        timeout_s=5.0,
        max_tokens=8,
    )
    return dataclasses.replace(options, **changes)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


async def _complete(server: FakeOpenAI, timeout_s: float = 5.0, **changes: object) -> Completion:
    options = _options(server.base_url, timeout_s=timeout_s, **changes)
    async with new_session(4, None) as session:
        body = RequestTemplate(options).body(prompt_json(PROMPT))
        return await stream_completion(session, options.completions_url, body, timeout_s)


# -- the protocol, piece by piece --------------------------------------------------------------


def test_sse_decoder_joins_data_lines_and_skips_comments() -> None:
    stream = ': keep-alive\nevent: x\r\ndata: a\ndata:b\n\ndata: {"t": "é"}\r\n\r\ndata: c'
    raw = stream.encode()
    for size in (1, 2, 3, 7, len(raw)):  # pieces cut anywhere, inside a character too
        d = SseDecoder()
        events = [e for i in range(0, len(raw), size) for e in d.feed(raw[i : i + size])]
        assert events == ["a\nb", '{"t": "é"}']
        assert d.close() == ["c"]


def test_token_ids_are_read_where_each_engine_puts_them() -> None:
    assert chunk_token_ids({}, {"text": "x", "token_ids": [5, 6]}) == [5, 6]
    vllm = {"text": "x", "logprobs": {"tokens": ["token_id:42"], "token_logprobs": [-1.0]}}
    assert chunk_token_ids({}, vllm) == [42]
    assert chunk_token_ids({"tokens": [7]}, {"text": "x"}) == [7]
    # llama.cpp's logprobs name tokens by their text: no ids there
    assert chunk_token_ids({}, {"text": "x", "logprobs": {"tokens": [" the"]}}) is None
    assert chunk_token_ids({}, {"text": "x"}) is None


def test_apply_chunk_counts_tokens_and_refuses_what_is_not_a_chunk() -> None:
    c = Completion()
    assert not apply_chunk(c, '{"choices": [{"text": " a", "finish_reason": null}]}', 10)
    assert not apply_chunk(c, '{"choices": [], "usage": {"completion_tokens": 1}}', 11)
    assert not apply_chunk(c, '{"choices": [{"text": "", "finish_reason": "stop"}]}', 12)
    assert apply_chunk(c, "[DONE]", 13)
    assert (c.text, c.tokens, c.first_ns, c.end_ns, c.finish_reason) == (" a", 1, 10, 13, "stop")
    assert not c.ids_complete
    with pytest.raises(RequestFailed) as info:
        apply_chunk(Completion(), "{oops", 0)
    assert info.value.kind == "malformed"
    with pytest.raises(RequestFailed) as info:
        apply_chunk(Completion(), '{"error": {"message": "CUDA out of memory"}}', 0)
    assert (info.value.kind, info.value.detail) == ("stream_error", "CUDA out of memory")


def test_request_body_carries_the_run_fields_and_extra_body() -> None:
    options = _options("http://h/v1", extra_body={"ignore_eos": True, "temperature": 0.7})
    import json

    body = json.loads(RequestTemplate(options).body(prompt_json([1, 2])))
    assert body == {
        "model": MODEL,
        "max_tokens": 8,
        "stream": True,
        "temperature": 0.7,
        "ignore_eos": True,
        "prompt": [1, 2],
    }
    assert json.loads(prompt_json('say "hi"')) == 'say "hi"'


# -- streaming from the fake engine --------------------------------------------------------------


async def test_text_only_stream_counts_one_token_per_chunk(server: FakeOpenAI) -> None:
    c = await _complete(server)
    tokens = expected_tokens(PROMPT, 8)
    assert c.tokens == 8
    assert not c.ids_complete
    assert c.text == "".join(token_text(t) for t in tokens)
    assert c.first_ns is not None and c.end_ns is not None and c.end_ns >= c.first_ns


@pytest.mark.parametrize(
    "extra",
    [{"return_tokens_as_token_ids": True, "logprobs": 1}, {"return_token_ids": True}],
)
async def test_engine_token_ids_are_taken_from_the_chunks(
    server: FakeOpenAI, extra: dict[str, object]
) -> None:
    c = await _complete(server, extra_body=extra)
    assert c.ids_complete
    assert c.ids == expected_tokens(PROMPT, 8)
    assert c.tokens == 8


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("http_500", "http_500"),
        ("http_429", "http_429"),
        ("truncate", "truncated"),
        ("drop", "dropped"),
        ("malformed", "malformed"),
        ("stream_error", "stream_error"),
        ("hang", "timeout"),
    ],
)
async def test_each_fault_is_a_failure_of_its_kind(fault: str, kind: str) -> None:
    with (
        FakeOpenAI(Behaviour(fault=lambda r: fault)) as server,
        pytest.raises(RequestFailed) as info,
    ):
        await _complete(server, timeout_s=0.5)
    assert info.value.kind == kind
    if kind.startswith("http_"):
        assert "engine says no" in info.value.detail


async def test_nothing_listening_is_connection_refused() -> None:
    server = FakeOpenAI().start()
    server.kill()
    try:
        with pytest.raises(RequestFailed) as info:
            await _complete(server)
    finally:
        server.stop()
    assert info.value.kind == "connection_refused"


# -- the probe -----------------------------------------------------------------------------------


def _probe(
    options: EndpointOptions, need_ids: bool = False, tokenizer: bool = False
) -> ProbeResult:
    return probe_endpoint(
        options,
        api_key(options),
        prompt_json(PROMPT),
        need_token_ids=need_ids,
        have_tokenizer=tokenizer,
    )


def test_probe_passes_and_learns_whether_the_engine_sends_ids(server: FakeOpenAI) -> None:
    result = _probe(_options(server.base_url))
    assert result.served_models == (MODEL,)
    assert result.engine_token_ids is False
    ids = _options(server.base_url, extra_body={"return_token_ids": True})
    assert _probe(ids, need_ids=True).engine_token_ids is True


def test_probe_refuses_a_text_engine_when_ids_are_needed_and_no_tokenizer(
    server: FakeOpenAI,
) -> None:
    with pytest.raises(EndpointError) as info:
        _probe(_options(server.base_url), need_ids=True)
    assert "without token ids" in info.value.message
    assert "tokenizer_dir" in info.value.fix
    _probe(_options(server.base_url), need_ids=True, tokenizer=True)  # a tokenizer is enough


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_probe_names_the_url_and_what_answered() -> None:
    port = _free_port()
    with pytest.raises(EndpointError) as info:
        _probe(_options(f"http://127.0.0.1:{port}/v1"))
    assert (
        info.value.message
        == f"nothing answers at http://127.0.0.1:{port}/v1/models: connection refused"
    )
    assert "start the serving engine" in info.value.fix

    with pytest.raises(EndpointError) as info:
        _probe(_options("http://no-such-engine.invalid:8000/v1"))
    assert (
        "cannot resolve the host of http://no-such-engine.invalid:8000/v1/models"
        in info.value.message
    )
    assert "host name" in info.value.fix


def test_probe_timeout_on_a_silent_port() -> None:
    with socket.socket() as listener:  # accepts connections (backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        with pytest.raises(EndpointError) as info:
            _probe(_options(f"http://127.0.0.1:{port}/v1", timeout_s=0.3))
    assert info.value.message == f"http://127.0.0.1:{port}/v1/models did not answer within 0.3 s"


def test_probe_http_errors_and_foreign_apis() -> None:
    with FakeOpenAI() as server:
        root = server.base_url[: -len("/v1")]
        with pytest.raises(EndpointError) as info:
            _probe(_options(root))
        assert info.value.message == f'{root}/models answered HTTP 404: {{"detail": "Not Found"}}'
        assert f"try {root}/v1" in info.value.fix
    answer = (200, b"<html>\n<title>Grafana</title>")
    with FakeOpenAI(Behaviour(models_answer=answer)) as server:
        with pytest.raises(EndpointError) as info:
            _probe(_options(server.base_url))
        assert "not as an OpenAI-compatible API: <html>" in info.value.message


def test_probe_lists_the_served_models() -> None:
    served = Behaviour(models=("llama-2-70b-chat", "other"))
    with FakeOpenAI(served) as server, pytest.raises(EndpointError) as info:
        _probe(_options(server.base_url))
    assert info.value.message.endswith("it serves: 'llama-2-70b-chat', 'other'")
    assert info.value.fix == "set endpoint.model to one of the served names"


def test_probe_says_when_the_engine_takes_no_token_ids() -> None:
    with FakeOpenAI(Behaviour(refuse_token_ids=True)) as server:
        with pytest.raises(EndpointError) as info:
            _probe(_options(server.base_url))
        assert "(http_422)" in info.value.message
        assert 'prompt_format to "text"' in info.value.fix
        result = probe_endpoint(
            _options(server.base_url, prompt_format="text"),
            None,
            prompt_json("a prompt"),
            need_token_ids=False,
            have_tokenizer=False,
        )
    assert result.probe_tokens == 2


def test_api_key_from_the_environment_and_never_in_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "sk-test-0123456789abcdef"
    with FakeOpenAI(Behaviour(api_key=secret)) as server:
        options = _options(server.base_url, api_key_env="FAKE_ENGINE_KEY")
        monkeypatch.delenv("FAKE_ENGINE_KEY", raising=False)
        with pytest.raises(EndpointError) as info:
            _probe(options)
        assert "FAKE_ENGINE_KEY, which is not set" in info.value.message

        monkeypatch.setenv("FAKE_ENGINE_KEY", "wrong-key")
        with pytest.raises(EndpointError) as info:
            _probe(options)
        assert "HTTP 401" in info.value.message
        assert "FAKE_ENGINE_KEY" in info.value.fix
        assert "wrong-key" not in str(info.value)

        monkeypatch.setenv("FAKE_ENGINE_KEY", secret)
        _probe(options)
        assert server.counters.authorizations[-1] == f"Bearer {secret}"
    assert os.environ["FAKE_ENGINE_KEY"] == secret
