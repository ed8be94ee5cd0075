"""Power measurement through MLCommons' official power client and server (power-dev).

A power result in MLPerf Inference comes from a chain the rules fix: a supported analyser
(a Yokogawa meter) read by SPEC's PTDaemon on a *director* machine, the MLCommons power server
(power-dev ``ptd_client_server/server.py``) beside it, and the power client (``client.py``) on
the system under test, which runs the benchmark twice, a *ranging* run and a *testing* run,
while the server records the analyser's samples. The submission checker verifies that a run
used exactly the code-freeze sources (their checksums), so this package drives the user's
power-dev checkout, unmodified; it never reimplements the client or the server:

- :mod:`mlperf_tui.power.director`: asks a director whether the power server answers
  (:func:`~mlperf_tui.power.director.probe`), before any run starts; reads the analyser's
  identity from a finished session's ``server.json``;
- :mod:`mlperf_tui.power.client`: the official client's command line for a workload, and a
  run of it that streams its log and returns the folders it leaves.
"""

from __future__ import annotations

from mlperf_tui.power.errors import PowerError

__all__ = ["PowerError"]
