"""The power checks' facts: the client and server sources a power session must have run, the
analysers and PTDaemon versions accepted, PTDaemon's expected replies, and the checks' limits.

Sources (the power WG's checker, the same file in both places at the pinned commits):
- mlcommons/power-dev c4b3ad8 (the code-freeze commit the inference rules name),
  ``compliance/check.py`` and ``compliance/sources_checksums.json``;
- mlcommons/inference, ``tools/submission/submission_checker/checks/power/power_checker.py``
  (run by ``checks/power_check.py``, which also computes the power figure) and its own copy of
  ``sources_checksums.json``;
- power-dev's ``ptd_client_server/lib``: ``common.py`` (the protocol's greeting),
  ``time_sync.py`` (the clock limit the client enforces), ``summary.py`` (client.json and
  server.json).

Rounds: the checker keeps one checksum table and one set of limits for every round (v4.0 to
v6.1 all run the same ``power_checker.py``), so the table here serves every round.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mlperf_tui.rules.checker import PERFORMANCE_FILES, POWER_FILES, POWER_RUN_FILES
from mlperf_tui.rules.model import Scenario

#: the power-dev commit whose client and server a power submission must use
POWER_DEV_COMMIT = "c4b3ad8"

#: sha1 of every .py file under power-dev's ptd_client_server/ at :data:`POWER_DEV_COMMIT`, as
#: source_hashes.get_sources_checksum() records them in client.json and server.json ("sources");
#: a session's table must equal one of these exactly (check.py sources_check)
SOURCES_CHECKSUMS: tuple[Mapping[str, str], ...] = (
    MappingProxyType(
        {
            "__init__.py": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "client.py": "33ca4f26368777ac06e01f9567b714a4b8063886",
            "lib/__init__.py": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "lib/client.py": "ac2aa093c8e8bbc9569b9e2a3471bc64e58a2258",
            "lib/common.py": "611d8b29633d331eb19c9455ea3b5fa3284ed6df",
            "lib/external/__init__.py": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "lib/external/ntplib.py": "4da8f970656505a40483206ef2b5d3dd5e81711d",
            "lib/server.py": "9bc9a3b6b9b716520658ac175913bcbbdb354336",
            "lib/source_hashes.py": "60a2e02193209e8d392803326208d5466342da18",
            "lib/summary.py": "602a9fedfa503e5544d27ab3b0067f235047efc3",
            "lib/time_sync.py": "80894ef2389e540781ff78de94db16aa4203a14e",
            "server.py": "c3f90f2f7eeb4db30727556d0c815ebc89b3d28b",
            "tests/unit/__init__.py": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "tests/unit/test_server.py": "948c1995d4008bc2aa6c4046a34ffa3858d6d671",
            "tests/unit/test_source_hashes.py": "00468a2907583c593e6574a1f6b404e4651c221a",
        }
    ),
)


def sources_checksums(version: str) -> tuple[Mapping[str, str], ...]:
    """The source tables a power session of round ``version`` may have run (every round: the
    checker's one table)."""
    del version  # the checker does not tell rounds apart here
    return SOURCES_CHECKSUMS


#: PTDaemon versions the checker accepts (SUPPORTED_VERSION), read from the "Identify" reply
SUPPORTED_PTD_VERSIONS = ("1.11.1",)
#: analysers the checker accepts (SUPPORTED_MODEL): the name the "Identify" reply starts with,
#: and PTDaemon's device number (server.json ptd_config device_type)
SUPPORTED_ANALYSERS: Mapping[str, int] = MappingProxyType(
    {
        "YokogawaWT210": 8,
        "YokogawaWT500": 35,
        "YokogawaWT500_multichannel": 48,
        "YokogawaWT310": 49,
        "YokogawaWT310E": 49,
        "YokogawaWT330": 52,
        "YokogawaWT330E": 52,
        "YokogawaWT330_multichannel": 77,
        "YokogawaWT210_DC": 508,
        "YokogawaWT310_DC": 549,
        "YokogawaWT330_DC": 586,
    }
)
#: the multichannel device whose ptd_config must name two channels (check_ptd_config)
TWO_CHANNEL_DEVICE = 77
#: an analyser identity holding this is the test suite's fake PTDaemon: never submittable
FAKE_ANALYSER_MARK = "FAKE"

#: PTDaemon's reply to every command starting with the key (check.py ptd_messages_check)
PTD_REPLIES: Mapping[str, str] = MappingProxyType(
    {
        "SR,A": "Range A changed",
        "SR,V": "Range V changed",
        "Go,1000,": (
            "Starting untimed measurement, maximum 500000 samples at 1000ms with 0 rampup samples"
        ),
        "Stop": "Stopping untimed measurement",
    }
)
#: ...except the third "Stop", which in the normal flow finds nothing to stop
THIRD_STOP_REPLY = "Error: no measurement to stop"

#: PTDaemon errors the checker accepts during the ranging run (COMMON_ERROR_RANGING: prefixes)
RANGING_ACCEPTED_ERRORS = (
    "Can't evaluate uncertainty of this sample!",
    "Bad watts reading nan from ",
    "Bad amps reading nan from ",
    "Bad pf reading nan from ",
    "Bad volts reading nan from ",
    "Current appears to be too high for set range",
)
#: PTDaemon errors accepted (as warnings) at any time (COMMON_ERROR_TESTING)
ANYTIME_WARNING_ERRORS = ("USB.",)
#: a PTDaemon warning that is an error during the testing run (WARNING_NEEDS_TO_BE_ERROR_TESTING_RE)
TESTING_ERROR_WARNINGS = (r"Uncertainty \d+.\d+%, which is above 1.00% limit for the last sample!",)
#: PTDaemon's log lines the checker looks for (check_ptd_logs)
PTD_GO_LINE = ": Go with mark {mark!r}"
PTD_COMPLETED_LINE = ": Completed test"
PTD_UNCERTAINTY_ON = r"Uncertainty checking for Yokogawa\S+ is activated"
#: the timestamp every PTDaemon log line, spl.txt sample and LoadGen power_begin/power_end has
POWER_TIME_FORMAT = "%m-%d-%Y %H:%M:%S.%f"

#: client.json / server.json fields the checker requires (SessionDescriptor)
SESSION_FIELDS = (
    "version",
    "timezone",
    "modules",
    "sources",
    "messages",
    "uuid",
    "session_name",
    "results",
    "phases",
)
#: the files whose sha1 client.json and server.json record and the checker compares
#: (RESULT_PATHS, relative to performance/)
RESULT_FILES = (
    *(f"power/{name}" for name in POWER_FILES),
    *(
        f"{run}/{name}"
        for run in ("ranging", "run_1")
        for name in PERFORMANCE_FILES + POWER_RUN_FILES
    ),
)
#: ...of which these two are not compared (a session file cannot hold its own checksum)
UNHASHED_FILES = ("power/client.json", "power/server.json")

#: the protocol greetings, whose versions must agree (messages_check)
CLIENT_GREETING = r"mlcommons\/power client v(\d+)$"
SERVER_GREETING = r"mlcommons\/power server v(\d+)$"

#: the largest difference between a client and a server phase time (TIME_DELTA_TOLERANCE, ms)
PHASE_TOLERANCE_MS = 800
#: the largest clock offset (NTP or client-server) the client accepts before a run
#: (time_sync.py CRITICAL_DIFFERENCE_TIME_MS)
CLOCK_OFFSET_LIMIT_MS = 400
#: the testing run's average power may be at most this much below the ranging run's (percent)
MAX_TESTING_POWER_DROP_PERCENT = 5.0
#: the testing run may be at most this much shorter than the ranging run (a warning: fraction)
MAX_TESTING_DURATION_DROP = 0.5
#: the checker's DST allowance: a LoadGen time one hour off still counts as inside a phase
DST_ALLOWANCE_S = 3600

#: scenarios whose power figure is the average power (W); the others' is energy per query
WATTS_SCENARIOS = (Scenario.OFFLINE, Scenario.SERVER, Scenario.INTERACTIVE)
#: samples per query the checker assumes for the energy figure (power_check.py)
ENERGY_SAMPLES_PER_QUERY: Mapping[Scenario, int] = MappingProxyType(
    {Scenario.SINGLE_STREAM: 1, Scenario.MULTI_STREAM: 8}
)

#: the nameplate-power YAML of a system with a power result, relative to the submitter folder,
#: by round (constants.py NAMEPLATE_POWER_PATH; checks/system_check.py nameplate_power_check
#: sums every PowerCapacityWatts of the "Min PSUs Needed" largest PSUs of each component)
NAMEPLATE_POWER_PATHS: Mapping[str, str] = MappingProxyType({"v6.1": "systems/{system}_power.yaml"})
#: the nameplate YAML's keys (system_check.py _sum_power_capacity_watts)
NAMEPLATE_PSUS, NAMEPLATE_MIN_PSUS, NAMEPLATE_CAPACITY = (
    "PSUs",
    "Min PSUs Needed",
    "PowerCapacityWatts",
)
#: the systems-JSON field the nameplate is written from (SYSTEM_DESC_REQUIRED_FIELDS_POWER)
POWER_SUPPLY_FIELD = "power_supply_quantity_and_rating_watts"
