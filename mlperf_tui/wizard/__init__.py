"""The wizard's questions, without a user interface (no Textual, no questionary here).

Both front ends, the Textual wizard (``mlperf_tui.tui``) and the plain prompts
(``mlperf_tui.plain``), walk the same :data:`STEPS`, ask the same :class:`Question` objects with
the same defaults and allowed choices (derived from :mod:`mlperf_tui.rules`), and build the
profile with the same :func:`build_profile`; so the saved YAML is the same whichever front end
wrote it.

The steps follow the order decisions are made (:mod:`.steps`): the round and the category,
then the benchmark list they allow, grouped by what produces the results (:mod:`.catalog`),
the division, the machine (:mod:`.hardware`; one machine, a Ray cluster or the network
division's SUT nodes: :mod:`.machines_step`), the scenarios, the assets (or the serving engine,
or the logs to import), the settings, power measurement (:mod:`.power_step`, off by default)
and the review with its pre-flight check. The answers and the profile convert both ways
(:mod:`.answers`); :mod:`.checks` checks them as the user goes.
"""

from __future__ import annotations

from mlperf_tui.wizard.answers import (
    LATENCY_SCENARIOS,
    SYSTEM_PREFIX,
    TARGET_PREFIX,
    answers_from_profile,
    build_profile,
    default_answers,
    open_profile,
    profile_data,
    profile_text,
    save_answers,
)
from mlperf_tui.wizard.catalog import benchmark_choices, harnesses_for
from mlperf_tui.wizard.checks import (
    calibrate_targets,
    check_assets,
    check_step,
    coerce,
    next_step,
    normalise,
    previous_step,
    runner_estimate,
    runner_preflight,
    steps_for,
)
from mlperf_tui.wizard.hardware import fields_to_ask
from mlperf_tui.wizard.machines_step import (
    check_machines,
    machines_choices,
    machines_problems,
    several_machines,
)
from mlperf_tui.wizard.model import (
    Answers,
    AssetCheck,
    Choice,
    Info,
    Kind,
    Question,
    Step,
    WizardContext,
)
from mlperf_tui.wizard.power_step import check_power, power_measured, previous_analyser
from mlperf_tui.wizard.steps import STEP_IDS, STEPS, step
from mlperf_tui.wizard.text import accuracy_gate, format_seconds, implications

__all__ = [
    "LATENCY_SCENARIOS",
    "STEPS",
    "STEP_IDS",
    "SYSTEM_PREFIX",
    "TARGET_PREFIX",
    "Answers",
    "AssetCheck",
    "Choice",
    "Info",
    "Kind",
    "Question",
    "Step",
    "WizardContext",
    "accuracy_gate",
    "answers_from_profile",
    "benchmark_choices",
    "build_profile",
    "calibrate_targets",
    "check_assets",
    "check_machines",
    "check_power",
    "check_step",
    "coerce",
    "default_answers",
    "fields_to_ask",
    "format_seconds",
    "harnesses_for",
    "implications",
    "machines_choices",
    "machines_problems",
    "next_step",
    "normalise",
    "open_profile",
    "power_measured",
    "previous_analyser",
    "previous_step",
    "profile_data",
    "profile_text",
    "runner_estimate",
    "runner_preflight",
    "save_answers",
    "several_machines",
    "step",
    "steps_for",
]
