"""MLPerf Inference v6.1, the default round: DERIVED, not copied.

No stored copy of the official submission checker
(mlcommons/inference tools/submission/submission_checker/constants.py) has a ``"v6.1"`` table
yet: the newest table in every stored version is ``"v6.0"``. So v6.1 is the v6.0 table
(``v6_0.py``, every benchmark, accuracy target, scenario list, latency bound and sample count
unchanged), with one difference that has a source:

- the random seeds are those of the LoadGen release the project pins, mlcommons-loadgen
  6.0.17, whose built-in mlperf.conf carries the v6.1 seeds (``*.*.qsl_rng_seed`` and the
  two others, read from that build).

The package layout (results/<system>/<benchmark>/<scenario>/ with measurements.json and the
compliance folders beside the results) is the checker's "default" layout, which v6.0 already
uses. When the checker gains a v6.1 table, copy its numbers here and pin them in
tests/unit/test_rules.py.
"""

from __future__ import annotations

import dataclasses

from mlperf_tui.rules import v6_0
from mlperf_tui.rules.model import Benchmark, Seeds

VERSION = "v6.1"

SOURCE = (
    "derived: the v6.0 table of mlcommons/inference submission_checker/constants.py "
    "(no v6.1 table stored yet) + the seeds of mlcommons-loadgen 6.0.17's mlperf.conf"
)

#: mlcommons-loadgen 6.0.17, built-in mlperf.conf: *.*.qsl_rng_seed, sample_index_rng_seed,
#: schedule_rng_seed
SEEDS = Seeds(
    qsl_rng_seed=2085463073848966840,
    sample_index_rng_seed=2747215439041700203,
    schedule_rng_seed=16159082839903944936,
)

MIN_DURATION_MS = v6_0.MIN_DURATION_MS
OFFLINE_MIN_SAMPLES = v6_0.OFFLINE_MIN_SAMPLES
MAX_ACCURACY_LOG_BYTES = v6_0.MAX_ACCURACY_LOG_BYTES

BENCHMARKS: tuple[Benchmark, ...] = tuple(
    dataclasses.replace(b, source=SOURCE) for b in v6_0.BENCHMARKS
)
