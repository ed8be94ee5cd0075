"""The check before LoadGen starts: is the engine there, does it serve the model, does it take
the prompts?

An unreachable or misconfigured engine must fail in seconds with what was tried and what
answered, not after LoadGen has loaded the samples and every query has failed. Three steps:

1. ``GET {base_url}/models``: connection refused, a name that does not resolve, a timeout, an
   HTTP error (with the first line of its body) or an answer that is not the OpenAI models
   list each give an :class:`EndpointError` with the URL and the fix;
2. the model named in the run must be among the served ones (the error lists them);
3. one streamed completion of the first sample with ``max_tokens`` 2: the engine takes the
   prompt in the run's ``prompt_format`` (llama.cpp's Python server refuses token ids with
   HTTP 422, for example), and it shows whether the engine streams token ids or only text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.endpoint.client import (
    RequestFailed,
    RequestTemplate,
    first_line,
    new_session,
    stream_completion,
)
from harness.errors import HarnessError

if TYPE_CHECKING:
    import aiohttp

    from harness.config import EndpointOptions

#: seconds the models list may take (the completion test gets the run's own timeout_s)
MODELS_TIMEOUT_S = 10.0
#: tokens the test completion asks for
PROBE_MAX_TOKENS = 2


class EndpointError(HarnessError):
    """The engine cannot be used as configured: what was tried, what answered, the fix."""


@dataclass(frozen=True)
class ProbeResult:
    """What the probe learnt about the engine."""

    served_models: tuple[str, ...]
    #: the test completion's chunks carried token ids (no re-tokenising needed)
    engine_token_ids: bool
    #: tokens the test completion streamed
    probe_tokens: int
    #: seconds the whole probe took
    seconds: float


def api_key(options: EndpointOptions) -> str | None:
    """The API key from the environment variable the run names; EndpointError if it is unset.

    The key is only ever put in the Authorization header, never in a message.
    """
    if options.api_key_env is None:
        return None
    value = os.environ.get(options.api_key_env)
    if not value:
        raise EndpointError(
            f"endpoint.api_key_env names {options.api_key_env}, which is not set",
            f"export {options.api_key_env}=<the API key> before the run, or set api_key_env to "
            "null for an engine that needs no key",
        )
    return value


def probe_endpoint(
    options: EndpointOptions,
    key: str | None,
    first_prompt: bytes,
    *,
    need_token_ids: bool,
    have_tokenizer: bool,
) -> ProbeResult:
    """Run the three checks (module doc); EndpointError naming the URL and the fix.

    ``first_prompt`` is the JSON of the first sample's prompt; ``need_token_ids``: the run logs
    its outputs (accuracy, compliance), which needs token ids from the engine or a tokenizer.
    """
    started = time.monotonic()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise EndpointError(
            "an endpoint run needs the aiohttp package, which is not installed",
            "pip install 'aiohttp>=3.9' into the harness's environment",
        ) from None
    models, engine_ids, tokens = asyncio.run(_probe(options, key, first_prompt))
    if need_token_ids and not engine_ids and not have_tokenizer:
        raise EndpointError(
            f"the engine at {options.base_url} streams text without token ids, and this run "
            "logs the output token ids",
            "give endpoint.tokenizer_dir (the model's folder with tokenizer.json) so the text "
            "is tokenised back, or have the engine send the ids (vLLM: extra_body "
            '{"return_tokens_as_token_ids": true, "logprobs": 1})',
        )
    return ProbeResult(tuple(models), engine_ids, tokens, time.monotonic() - started)


async def _probe(
    options: EndpointOptions, key: str | None, first_prompt: bytes
) -> tuple[list[str], bool, int]:
    async with new_session(4, key) as session:
        models = await _served_models(session, options)
        if options.model not in models:
            served = ", ".join(repr(m) for m in models) or "none"
            raise EndpointError(
                f"the engine at {options.base_url} does not serve the model {options.model!r}; "
                f"it serves: {served}",
                "set endpoint.model to one of the served names",
            )
        template = RequestTemplate(dataclasses.replace(options, max_tokens=PROBE_MAX_TOKENS))
        try:
            completion = await stream_completion(
                session, options.completions_url, template.body(first_prompt), options.timeout_s
            )
        except RequestFailed as exc:
            raise _completion_error(options, exc) from None
        return models, completion.tokens > 0 and completion.ids_complete, completion.tokens


async def _served_models(session: aiohttp.ClientSession, options: EndpointOptions) -> list[str]:
    import aiohttp

    url = options.models_url
    timeout = aiohttp.ClientTimeout(total=min(options.timeout_s, MODELS_TIMEOUT_S))
    try:
        async with session.get(url, timeout=timeout) as response:
            body = await response.content.read(1 << 20)
            status = response.status
    except TimeoutError:
        raise EndpointError(
            f"{url} did not answer within {timeout.total:g} s",
            "check that the engine is up and not overloaded, and that no firewall drops the "
            "connection",
        ) from None
    except aiohttp.ClientConnectorDNSError as exc:
        raise EndpointError(
            f"cannot resolve the host of {url}: {exc.os_error}",
            "correct the host name in endpoint.base_url",
        ) from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, ConnectionRefusedError):
            raise EndpointError(
                f"nothing answers at {url}: connection refused",
                "start the serving engine, or correct the host and port in endpoint.base_url",
            ) from None
        raise EndpointError(
            f"cannot connect to {url}: {exc.os_error}",
            "check the host and port in endpoint.base_url and the network to it",
        ) from None
    except aiohttp.ClientError as exc:
        raise EndpointError(
            f"{url} broke the connection: {exc}",
            "check that endpoint.base_url points at the engine's HTTP port",
        ) from None
    if status != 200:
        raise EndpointError(
            f"{url} answered HTTP {status}: {first_line(body)}", _http_fix(options, status)
        )
    names = _model_names(body)
    if names is None:
        raise EndpointError(
            f"{url} answered, but not as an OpenAI-compatible API: {first_line(body)}",
            "point endpoint.base_url at the engine's OpenAI-compatible API root, "
            "e.g. http://host:8000/v1",
        )
    return names


def _model_names(body: bytes) -> list[str] | None:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return None
    names = []
    for entry in data["data"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            return None
        names.append(entry["id"])
    return names


def _http_fix(options: EndpointOptions, status: int) -> str:
    if status in (401, 403):
        if options.api_key_env is None:
            return (
                "the engine wants an API key: set endpoint.api_key_env to the variable holding it"
            )
        return (
            f"the engine refused the API key: put the right key in {options.api_key_env} "
            "(or name the right variable in endpoint.api_key_env)"
        )
    if status == 404:
        if not options.base_url.endswith("/v1"):
            return (
                f"endpoint.base_url must be the API root; try {options.base_url}/v1 "
                "(the harness adds /models and /completions)"
            )
        return "endpoint.base_url must be the engine's OpenAI-compatible API root"
    return "check the engine's own log for why it refused the request"


def _completion_error(options: EndpointOptions, exc: RequestFailed) -> EndpointError:
    url = options.completions_url
    message = f"the engine at {url} failed a first test completion ({exc.kind}): {exc.detail}"
    if exc.kind in ("http_400", "http_422") and options.prompt_format == "token_ids":
        fix = (
            "the engine may not take token ids as the prompt: set endpoint.prompt_format to "
            '"text" (llama.cpp\'s Python server, for one, takes text only)'
        )
    elif exc.kind in ("http_400", "http_422"):
        fix = "check endpoint.extra_body and max_tokens against what the engine accepts"
    elif exc.kind in ("http_401", "http_403"):
        fix = _http_fix(options, int(exc.kind[5:]))
    elif exc.kind == "timeout":
        fix = (
            f"the engine took longer than endpoint.timeout_s ({options.timeout_s:g} s) for "
            f"{PROBE_MAX_TOKENS} tokens: raise timeout_s or check the engine's load"
        )
    else:
        fix = "check the engine's own log; it must stream /completions (server-sent events)"
    return EndpointError(message, fix)
