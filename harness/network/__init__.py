"""The network division: LoadGen and the data set on this node, the SUT on nodes over HTTP.

- :mod:`harness.network.service`: ``python -m harness serve --config SERVE.json`` (a node's
  SUT service: the model loaded with the harness's own task and backend, batching on the
  node's side, aiohttp.web);
- :mod:`harness.network.qdl`: the query dispatch library, LoadGen's SUT proxy in a run whose
  RUN.json has a ``network`` block (harness.config.NetworkOptions);
- :mod:`harness.network.wire`: the binary framing of ``POST /infer`` (no pickle).

A network run writes ``network.json`` into its output folder::

    {"dispatch": "least_loaded", "in_flight": 64, "timeout_s": 60.0,
     "nodes": [{"url": "http://10.0.0.2:8100", "name": "... Network SUT",
                "requests": 768, "samples": 24576, "failures": 0, "system": {...}}]}
"""

from __future__ import annotations
