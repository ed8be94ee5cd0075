"""LLM benchmarks against a serving engine's OpenAI-compatible completions endpoint.

The engine (vLLM, SGLang, TensorRT-LLM, llama.cpp, Dynamo) already holds the model and spreads
it over its GPUs and nodes; the harness drives it under LoadGen like a built-in runtime. A run
whose RUN.json has an ``endpoint`` block (harness.config.EndpointOptions) loads no model:

- :mod:`harness.endpoint.probe` checks the engine before LoadGen starts (models list, served
  model name, one test completion) and fails with the URL tried and what answered;
- :mod:`harness.endpoint.sut` is the SUT: prompts from the benchmark's data set
  (harness.datasets.llm), one streamed request per sample on one asyncio I/O thread, first
  tokens and completions reported to LoadGen as they arrive, the output token ids in the
  accuracy log;
- :mod:`harness.endpoint.client` speaks the protocol (``POST /completions`` with
  ``stream: true``, server-sent events to ``data: [DONE]``) and names each way a request fails.

The ``endpoint`` object the run adds to its ``progress``, ``result`` and ``error`` events
(:meth:`harness.endpoint.sut.EndpointStats.snapshot`):

``url``, ``model``               the engine's API root and the served model name
``requests``                     requests sent so far
``answered``                     requests that streamed to ``[DONE]``
``failed``, ``failed_total``     failed requests by kind (``http_500``, ``timeout``,
                                 ``dropped``, ``truncated``, ``malformed``, ...; see
                                 harness.endpoint.client.FAILURE_KINDS) and their sum
``not_sent``, ``cancelled``      samples completed without a request after a stop, and
                                 requests ended in flight by a stop
``in_flight``, ``max_in_flight`` requests in flight now and at most so far
``max_concurrency``, ``queued``  the configured bound, and samples waiting for a free slot
``output_tokens``, ``tokens_per_s``  tokens of the answered requests, per second since
                                 LoadGen's first query
``token_latencies``              LoadGen measures TTFT/TPOT in this run (its settings'
                                 ``use_token_latencies``)
``ttft_ms``, ``tpot_ms``         {"p50", "p90", "p99", "mean"} in ms as the SUT measures them
                                 (from the SUT receiving a sample), null when token latencies
                                 are off or nothing has been answered yet
``token_ids``                    answers by where their output ids came from: ``engine``
                                 (streamed ids), ``tokenizer`` (text tokenised back),
                                 ``counted`` (not needed: one token per chunk)
``first_token_mismatch``         answers whose re-tokenised output does not start with the
                                 first token reported to LoadGen
``empty_answers``                answers without any token

The ``result`` event's ``endpoint`` adds ``loadgen_tokens`` (LoadGen's own TTFT/TPOT/token
throughput from its detail log, :func:`harness.endpoint.run.loadgen_token_figures`), ``probe``
(served models, whether the engine streams ids) and ``threads`` (the Python threads by name
and the OS thread count when the most requests were in flight).
"""

from __future__ import annotations
