"""The streaming client of an OpenAI-compatible completions endpoint (asyncio, aiohttp).

One request per sample: ``POST {base_url}/completions`` with ``"stream": true``; the answer
is server-sent events, ``data: {chunk}`` lines separated by blank lines and ended by
``data: [DONE]``. Each chunk is a completion chunk,
``{"choices": [{"index": 0, "text": "...", "finish_reason": null, ...}]}``.

Tokens: a chunk that carries text is one generated token (llama.cpp and vLLM stream one chunk
per token) unless it carries the token ids themselves, which engines give in different places;
:func:`chunk_token_ids` reads all of them:

- ``choices[0].token_ids``: a list of ints (vLLM's ``return_token_ids``);
- ``choices[0].logprobs.tokens``: ``"token_id:N"`` strings (vLLM's
  ``return_tokens_as_token_ids`` with ``logprobs``);
- ``choices[0].tokens`` or the chunk's ``tokens``: a list of ints (llama.cpp's own server).

What the request carries besides the prompt is built once (:class:`RequestTemplate`): the
model, ``max_tokens``, ``stream``, ``temperature`` 0 (the references decode greedily) and the
run's ``extra_body``. A request that does not end with ``[DONE]`` fails with one of the kinds
in :data:`FAILURE_KINDS`, so that the SUT counts failures by kind and completes the sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import aiohttp

    from harness.config import EndpointOptions

_now = time.perf_counter_ns

#: why a request failed (the SUT counts them under these names; ``http_<status>`` besides)
FAILURE_KINDS = {
    "timeout": "no complete answer within the request timeout",
    "connection_refused": "nothing accepted the connection (the engine is down)",
    "connect_error": "the connection could not be made (name resolution, network, TLS)",
    "dropped": "the connection closed or reset before the stream ended",
    "truncated": "the stream ended without data: [DONE]",
    "malformed": "a chunk that is not a JSON completion chunk",
    "stream_error": "the engine reported an error inside the stream",
    "no_token_ids": "the engine sent text without token ids and no tokenizer was given",
    "internal": "the harness itself broke on the answer (its stderr has the details)",
}

#: seconds the client waits for the end of the HTTP body after ``[DONE]`` (so the connection
#: goes back to the pool); a server that keeps the body open after [DONE] costs no more
_DRAIN_S = 1.0
_TOKEN_ID_PREFIX = "token_id:"


class RequestFailed(Exception):
    """A request that did not complete: ``kind`` (see FAILURE_KINDS) and what happened."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass
class Completion:
    """One streamed answer as it arrived."""

    #: text pieces in arrival order
    pieces: list[str] = field(default_factory=list)
    #: token ids the engine sent, in order (complete only when ``ids_complete``)
    ids: list[int] = field(default_factory=list)
    #: every token-carrying chunk carried its ids
    ids_complete: bool = True
    #: generated tokens: ids counted where the chunk had them, else one per chunk with text
    tokens: int = 0
    #: perf_counter_ns of the first token and of [DONE]; None until then
    first_ns: int | None = None
    end_ns: int | None = None
    finish_reason: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)


#: called with (the first token's ids or None, its text) when the first token arrives
FirstTokenCallback = Callable[[list[int] | None, str], None]


def first_line(body: bytes | str, limit: int = 200) -> str:
    """The first non-empty line of a response body, shortened (for error messages)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return "(empty body)"


class SseDecoder:
    """Server-sent events from the body's bytes as they arrive: each event's data (its
    ``data:`` lines joined).

    Bytes come in pieces of any size (a piece may end inside a line); lines end at ``\n``
    (``\r\n`` too). Comments (``:``) and other fields (``event:``, ``id:``) are skipped; an
    event ends at a blank line, or at the end of the stream (:meth:`close`). Reading the body in
    pieces rather than line by line halves the client's cost per token.
    """

    def __init__(self) -> None:
        self._tail = b""
        self._data: list[str] = []

    def feed(self, piece: bytes) -> list[str]:
        buffer = self._tail + piece if self._tail else piece
        lines = buffer.split(b"\n")
        self._tail = lines.pop()
        events: list[str] = []
        for raw in lines:
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if not raw:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
            elif raw.startswith(b"data:"):
                value = raw[6:] if raw.startswith(b"data: ") else raw[5:]
                self._data.append(value.decode("utf-8", errors="replace"))
        return events

    def close(self) -> list[str]:
        events = self.feed(b"\n") if self._tail else []
        if self._data:
            events.append("\n".join(self._data))
            self._data = []
        return events


def chunk_token_ids(chunk: Mapping[str, Any], choice: Mapping[str, Any]) -> list[int] | None:
    """The token ids a completion chunk carries (see the module doc), or None when it has none."""
    ids = choice.get("token_ids")
    if _int_list(ids):
        return list(ids)
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict):
        tokens = logprobs.get("tokens")
        if isinstance(tokens, list) and tokens:
            parsed = [_token_id(t) for t in tokens]
            if all(p is not None for p in parsed):
                return [p for p in parsed if p is not None]
    for tokens in (choice.get("tokens"), chunk.get("tokens")):
        if _int_list(tokens):
            return list(tokens)
    return None


def _int_list(value: Any) -> TypeGuard[list[int]]:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def _token_id(token: Any) -> int | None:
    if isinstance(token, str) and token.startswith(_TOKEN_ID_PREFIX):
        try:
            return int(token[len(_TOKEN_ID_PREFIX) :])
        except ValueError:
            return None
    return None


def apply_chunk(completion: Completion, data: str, now_ns: int) -> bool:
    """Add one event's data to ``completion``; True when it is ``[DONE]``.

    Raises RequestFailed("malformed" or "stream_error") for a chunk that is not a completion.
    """
    if data.strip() == "[DONE]":
        completion.end_ns = now_ns
        return True
    try:
        chunk = json.loads(data)
    except ValueError:
        raise RequestFailed("malformed", f"a chunk is not JSON: {first_line(data, 120)}") from None
    if not isinstance(chunk, dict):
        raise RequestFailed("malformed", f"a chunk is not a JSON object: {first_line(data, 120)}")
    if "error" in chunk:
        error = chunk["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise RequestFailed("stream_error", first_line(str(message)))
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise RequestFailed("malformed", f"a chunk has no choices: {first_line(data, 120)}")
    if not choices:  # a usage-only chunk
        return False
    choice = choices[0]
    if not isinstance(choice, dict):
        raise RequestFailed("malformed", f"a choice is not an object: {first_line(data, 120)}")
    text = choice.get("text") or ""
    if not isinstance(text, str):
        raise RequestFailed("malformed", f"a chunk's text is not a string: {text!r:.80}")
    ids = chunk_token_ids(chunk, choice)
    n = len(ids) if ids is not None else (1 if text else 0)
    if n:
        if ids is not None:
            completion.ids.extend(ids)
        else:
            completion.ids_complete = False
        completion.tokens += n
        if completion.first_ns is None:
            completion.first_ns = now_ns
    if text:
        completion.pieces.append(text)
    reason = choice.get("finish_reason")
    if isinstance(reason, str):
        completion.finish_reason = reason
    return False


class RequestTemplate:
    """The request body around the prompt, serialised once: ``prefix + prompt + "}"``."""

    def __init__(self, options: EndpointOptions) -> None:
        body: dict[str, Any] = {
            "model": options.model,
            "max_tokens": options.max_tokens,
            "stream": True,
            "temperature": 0.0,
        }
        body.update(options.extra_body)
        head = json.dumps(body, separators=(",", ":"))
        self._prefix = (head[:-1] + ',"prompt":').encode()

    def body(self, prompt_json: bytes) -> bytes:
        return self._prefix + prompt_json + b"}"


def prompt_json(prompt: str | Sequence[int]) -> bytes:
    """The JSON of a prompt: its text, or its token ids as a list of ints."""
    if isinstance(prompt, str):
        return json.dumps(prompt).encode()
    return ("[" + ",".join(str(int(t)) for t in prompt) + "]").encode()


def auth_headers(api_key: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def new_session(max_connections: int, api_key: str | None) -> aiohttp.ClientSession:
    """A session for one run: a pool as large as the concurrency, no cookies, no proxy lookup
    per request. Must be made inside the running loop."""
    import aiohttp

    connector = aiohttp.TCPConnector(
        limit=max_connections, limit_per_host=0, ttl_dns_cache=None, enable_cleanup_closed=True
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers=auth_headers(api_key),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        raise_for_status=False,
    )


def classify(exc: BaseException) -> RequestFailed:
    """The failure kind of an exception aiohttp or asyncio raised during a request."""
    import aiohttp

    if isinstance(exc, RequestFailed):
        return exc
    if isinstance(exc, TimeoutError):
        return RequestFailed("timeout", "no complete answer within the timeout")
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, ConnectionRefusedError) or os_error.errno == errno.ECONNREFUSED:
            return RequestFailed("connection_refused", "connection refused")
        return RequestFailed("connect_error", str(os_error) or type(os_error).__name__)
    if isinstance(
        exc,
        aiohttp.ServerDisconnectedError
        | aiohttp.ClientPayloadError
        | aiohttp.ClientOSError
        | ConnectionError,
    ):
        return RequestFailed("dropped", str(exc) or type(exc).__name__)
    if isinstance(exc, aiohttp.ClientResponseError):
        return RequestFailed("malformed", f"not an HTTP answer: {exc.message}")
    if isinstance(exc, aiohttp.ClientError):
        return RequestFailed("dropped", str(exc) or type(exc).__name__)
    return RequestFailed("internal", f"{type(exc).__name__}: {exc}")


async def stream_completion(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    timeout_s: float,
    on_first_token: FirstTokenCallback | None = None,
) -> Completion:
    """Send one request and read its stream to ``[DONE]``; RequestFailed otherwise.

    ``on_first_token`` runs on the event loop the moment the first token arrives (the SUT tells
    LoadGen then).
    """
    import aiohttp

    completion = Completion()
    done = False
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with session.post(url, data=body, timeout=timeout) as response:
            if response.status != 200:
                raw = await response.content.read(4096)
                raise RequestFailed(
                    f"http_{response.status}", f"HTTP {response.status}: {first_line(raw)}"
                )
            decoder = SseDecoder()
            async for piece in response.content.iter_any():
                for data in decoder.feed(piece):
                    had_first = completion.first_ns is not None
                    done = apply_chunk(completion, data, _now())
                    if on_first_token is not None and not had_first and completion.first_ns:
                        first = completion.ids if completion.ids_complete else None
                        on_first_token(list(first) if first else None, completion.text)
                    if done:
                        break
                if done:
                    break
            if not done:
                for data in decoder.close():
                    done = apply_chunk(completion, data, _now())
            if not done:
                raise RequestFailed(
                    "truncated", f"the stream ended after {completion.tokens} tokens without [DONE]"
                )
            if not response.content.at_eof():
                with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                    async with asyncio.timeout(_DRAIN_S):
                        await response.content.read()
    except RequestFailed:
        raise
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if done:  # [DONE] arrived; only the rest of the body broke
            return completion
        raise classify(exc) from None
    return completion
