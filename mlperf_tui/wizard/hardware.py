"""The hardware step: what only the user can answer first, then what was detected, then what
was defaulted, each with its reason.

The fields come from the round's systems-JSON list (``rules.systems``); the values and reasons
from detection (:func:`mlperf_tui.system.detect`). Last comes whether the system is this machine,
a Ray cluster or the network division's SUT nodes (:mod:`.machines_step`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlperf_tui import rules
from mlperf_tui.wizard.answers import SYSTEM_PREFIX
from mlperf_tui.wizard.machines_step import machines_questions
from mlperf_tui.wizard.model import Choice, Info, Kind, Question, WizardContext

#: why a reviewer (or a reader of the results table) looks at a field the user answers
WHY_IT_MATTERS: Mapping[str, str] = {
    "submitter": "It names the package's submitter folder and the results table's Submitter "
    "column.",
    "system_name": "The results table shows it; reviewers expect it to name the machine "
    "(vendor, model, accelerators).",
    "status": "Reviewers check that an 'available' system can be bought or rented when the "
    "results are published; 'preview' must become available within 180 days; 'rdi' is "
    "research, development or internal.",
    "cooling": "Readers compare power and sustained performance with the cooling.",
    "host_memory_configuration": "Reviewers compare memory bandwidth across submissions: the "
    "module count, size and speed explain results.",
    "host_processor_model_name": "The results table lists and compares systems by the CPU "
    "model; a brand without the model number is sent back by reviewers.",
}
#: the systems-JSON fields the profile answers through its own keys, or the category fixes
_TOP_LEVEL = ("division", "submitter", "system_name", "system_type")


def system_entries(system: Any) -> list[tuple[str, str, str, str]]:
    """(field, value, status, reason) of a detected system description."""
    if system is None:
        return []
    out = []
    for entry in getattr(system, "fields", ()):
        status = getattr(entry, "status", "")
        out.append(
            (
                str(entry.name),
                "" if entry.value is None else str(entry.value),
                str(getattr(status, "value", status) or ""),
                str(getattr(entry, "reason", "") or ""),
            )
        )
    return out


def fields_to_ask(system: Any) -> list[str]:
    """Systems-JSON fields the rules need that detection could not know."""
    return [
        name
        for name, _, status, _ in system_entries(system)
        if status == "ask" and name not in _TOP_LEVEL
    ]


def hardware_questions(a: Mapping[str, Any], ctx: WizardContext) -> list[Question]:
    round_rules = rules.get_round(str(a["round"]))
    by_name = {f.name: f for f in round_rules.system_fields}
    detected = {name: (value, reason) for name, value, _, reason in system_entries(ctx.system)}
    rule = f"systems JSON of round {round_rules.version} (the checker's SYSTEM_DESC_* fields)"
    questions = [
        Question(
            "submitter",
            "Submitter",
            Kind.TEXT,
            help="Your organisation. " + WHY_IT_MATTERS["submitter"],
            rule=rule,
            placeholder="e.g. ACME_Labs",
        ),
        Question(
            "system_name",
            "System name",
            Kind.TEXT,
            help=WHY_IT_MATTERS["system_name"] + " Blank: made from the detected hardware.",
            required=False,
            rule=rule,
        ),
    ]
    for name in fields_to_ask(ctx.system):
        spec = by_name.get(name)
        if spec is None:
            continue
        value, reason = detected.get(name, ("", ""))
        why = WHY_IT_MATTERS.get(name, "The results table publishes it with every result.")
        help_text = f"{spec.description} {why}" + (f" Detection: {reason}." if reason else "")
        if spec.allowed:
            questions.append(
                Question(
                    SYSTEM_PREFIX + name,
                    name,
                    Kind.CHOICE,
                    help=help_text,
                    choices=(
                        Choice("", "(answer later)", help="asked again before you submit"),
                        *tuple(Choice(v, v) for v in spec.allowed),
                    ),
                    required=False,
                    rule=rule,
                )
            )
        else:
            questions.append(
                Question(
                    SYSTEM_PREFIX + name,
                    name,
                    Kind.TEXT,
                    help=help_text,
                    required=False,
                    rule=rule,
                    placeholder=f"detected: {value}" if value else "blank: answer later",
                )
            )
    # last: whether the system is more than this machine (mlperf_tui.wizard.machines_step)
    return questions + machines_questions(a, ctx)


def hardware_info(a: Mapping[str, Any], ctx: WizardContext) -> list[Info]:
    entries = system_entries(ctx.system)
    if not entries:
        return [Info("Detected system", "Detection is not available.", after_questions=True)]
    detected = tuple(
        (name, value, reason) for name, value, status, reason in entries if status == "detected"
    )
    defaulted = tuple(
        (name, value or "(blank)", reason)
        for name, value, status, reason in entries
        if status == "defaulted"
    )
    out = []
    if detected:
        out.append(
            Info(
                f"Detected ({len(detected)})",
                columns=("field", "value", "source"),
                rows=detected,
                after_questions=True,
            )
        )
    if defaulted:
        out.append(
            Info(
                f"Defaulted ({len(defaulted)}): change them in the profile's system: if wrong",
                columns=("field", "value", "why"),
                rows=defaulted,
                after_questions=True,
            )
        )
    return out
