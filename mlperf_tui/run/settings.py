"""Our own numbers (not MLPerf's): how test execution shortens runs, estimates, child handling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mlperf_tui.rules.model import Scenario


@dataclass(frozen=True)
class TestSettings:
    """How ``test`` execution shortens performance runs.

    A test run is bounded by its query count, sized to last about ``target_s`` at the
    calibrated speed (never fewer than the floor), with a short ``min_duration_ms``. So a machine
    up to ``target_s * 1000 / min_duration_ms`` times faster than calibrated still gives a VALID
    run, and a slower one a longer run - never one that LoadGen ends early for lack of queries.
    """

    __test__ = False  # not a pytest class

    min_duration_ms: int = 500
    target_s: float = 2.0
    #: the least queries (Offline: samples) per scenario; MultiStream needs 662 queries for
    #: LoadGen's early-stopping estimate of its 99th percentile
    min_query_count: Mapping[Scenario, int] = field(
        default_factory=lambda: {
            Scenario.SINGLE_STREAM: 256,
            Scenario.MULTI_STREAM: 662,
            Scenario.SERVER: 256,
            Scenario.OFFLINE: 256,
        }
    )
    #: Server in test execution: offered load as a fraction of the calibrated throughput
    server_load_fraction: float = 0.5
    #: accuracy runs in test execution score the first N samples (None: the whole data set)
    accuracy_samples: int | None = 256
    #: a serving engine's answer takes tens of milliseconds to seconds, not microseconds: test
    #: runs through an endpoint send fewer queries and score fewer answers. Server and
    #: Interactive keep what LoadGen's early stopping needs for the p99 of TTFT and TPOT with
    #: no query over its bound (459 queries); SingleStream for the p90 of the latency (44)
    endpoint_min_query_count: Mapping[Scenario, int] = field(
        default_factory=lambda: {
            Scenario.SINGLE_STREAM: 64,
            Scenario.MULTI_STREAM: 662,
            Scenario.SERVER: 470,
            Scenario.INTERACTIVE: 470,
            Scenario.OFFLINE: 32,
        }
    )
    endpoint_accuracy_samples: int = 64


TEST_SETTINGS = TestSettings()

#: valid execution, Offline: LoadGen sizes the query as expected QPS x min duration x its own
#: slack of 1.1 (loadgen.cc), and a run that finishes its samples before the min duration is
#: INVALID. The calibration (4 s, before the first run) is off by up to 15% on a shared machine
#: (seen both ways), so the harness times the SUT's own batches again right before LoadGen
#: starts (this many seconds) and sets the expected QPS to that rate
#: (harness.__main__.calibrate_offline, a short LoadGen test of its own): the run then lasts
#: about 1.1 x 1.03 x the min duration (harness.config.CALIBRATED_QPS_HEADROOM)
OFFLINE_CALIBRATE_S = 8.0
#: the expected QPS user.conf holds for such a run, as a multiple of the calibration before
#: the runs: it stands only when the harness's own timing fails (the run stays long enough on
#: a machine up to 21% faster than calibrated), and in runs sized by the rules' minimum sample
#: count rather than the min duration (a slow model), which the harness does not time again
OFFLINE_QPS_HEADROOM = 1.1
#: SingleStream/MultiStream: the expected latency LoadGen generates the queries from, as a
#: fraction of the real one. LoadGen stops at the min duration (or the min query count) and
#: generates 1.1 x min duration of queries: 0.7 leaves a margin for a run up to 1.5x faster
#: than calibrated; the extra generated queries cost only memory (about 200 bytes each)
LATENCY_HEADROOM = 0.7
#: what the harness adds to a query beyond the runtime's own time (LoadGen's round trip, the
#: Python SUT, the latency histogram): the calibration times the runtime alone
HARNESS_QUERY_OVERHEAD_S = 50e-6
#: seconds a harness child needs to start, load the model and open the data set
START_OVERHEAD_S = 3.0
#: after SIGINT, how long the child may take to finish LoadGen's logs before it is killed: a
#: little more than the harness's own drain limit (60 s), since a valid SingleStream run of a
#: fast model must still complete every query LoadGen generated (3 million took 15 s here)
CANCEL_GRACE_S = 65.0
#: LoadGen sizes an Offline query as expected QPS x min duration x this (loadgen.cc)
LOADGEN_OFFLINE_SLACK = 1.1

#: a power run (the profile's power: block) runs its harness twice under the official power
#: client, a ranging and a testing run; around each start and stop of a measurement the power
#: server waits for the analyser (power-dev lib/server.py ANALYZER_SLEEP_SECONDS), four waits a
#: session
POWER_ANALYSER_WAIT_S = 10.0
POWER_WAITS_PER_SESSION = 4
#: the rest of a power session: the client's NTP checks before each run, PTDaemon's start and
#: the files the client downloads at the end (measured with the fake analyser on 127.0.0.1:
#: 0.8 s beyond the waits and the two harness runs; a director over the network takes longer)
POWER_SESSION_OVERHEAD_S = 2.0
#: test execution: a power run lasts at least this long, so that the analyser's samples (one a
#: second) fall inside LoadGen's power window (the figure is their average); an Offline query
#: is sized for twice that
POWER_TEST_MIN_DURATION_MS = 5000

#: the results root when neither the profile nor the command line names one
RESULTS_DIRNAME = "results"
