"""The query sample library (QSL): LoadGen's view of the data set.

LoadGen asks the QSL to load the samples of a test into memory before timing starts
(``LoadSamplesToRam``) and to free them afterwards (``UnloadSamplesFromRam``). The QSL passes
exactly those indices to the data set, which keeps them in one contiguous array.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from harness.tasks import Dataset


class QuerySampleLibrary:
    """Loads and frees the samples LoadGen asks for; counts them for the logs and tests."""

    def __init__(
        self,
        dataset: Dataset,
        performance_sample_count: int | None = None,
        on_load: Callable[[int], None] | None = None,
    ) -> None:
        self.dataset = dataset
        self.total_count = int(dataset.total_count)
        # LoadGen's mlperf.conf (performance_sample_count_override) has the final word
        self.performance_sample_count = min(
            self.total_count, performance_sample_count or self.total_count
        )
        self._on_load = on_load
        #: samples currently loaded, by this QSL's count
        self.loaded = 0
        #: [("load" | "unload", number of samples), ...] in call order
        self.calls: list[tuple[str, int]] = []
        self._handle: Any = None

    def load_samples(self, indices: list[int]) -> None:
        t0 = time.perf_counter_ns()
        if self._on_load is not None:
            self._on_load(len(indices))
        self.dataset.load(indices)
        self.loaded += len(indices)
        self.calls.append(("load", len(indices)))
        ms = (time.perf_counter_ns() - t0) / 1e6
        distinct = len(set(indices))
        print(
            f"harness: QSL loaded {len(indices)} samples ({distinct} distinct) in {ms:.0f} ms",
            file=sys.stderr,
        )

    def unload_samples(self, indices: list[int]) -> None:
        self.dataset.unload(indices)
        self.loaded -= len(indices)
        self.calls.append(("unload", len(indices)))

    def construct(self) -> Any:
        import mlperf_loadgen as lg

        self._handle = lg.ConstructQSL(
            self.total_count,
            self.performance_sample_count,
            self.load_samples,
            self.unload_samples,
        )
        return self._handle

    def destroy(self) -> None:
        if self._handle is not None:
            import mlperf_loadgen as lg

            lg.DestroyQSL(self._handle)
            self._handle = None
