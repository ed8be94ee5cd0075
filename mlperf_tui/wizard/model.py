"""The wizard's plain data: questions, choices, information blocks and steps (no UI here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

Answers = dict[str, Any]


class Kind(StrEnum):
    CHOICE = "choice"  # one of ``choices``
    MULTI = "multi"  # a list of values from ``choices``
    TEXT = "text"
    INT = "int"
    FLOAT = "float"  # blank allowed when not required (None)
    PATH = "path"  # a local file or folder; the TUI offers a picker
    BOOL = "bool"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    #: extra columns the TUI shows in a table, the plain prompts after the label
    detail: tuple[str, ...] = ()
    #: a required selection of a MULTI question: always selected, cannot be removed
    locked: bool = False
    #: the heading a grouped list shows this choice under ("" = no group)
    group: str = ""
    #: what choosing it means, for the help key
    help: str = ""


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    kind: Kind
    #: what the field means, in a sentence (shown under it)
    help: str = ""
    choices: tuple[Choice, ...] = ()
    #: column names for ``Choice.detail`` (a CHOICE question with details is shown as a table)
    columns: tuple[str, ...] = ()
    required: bool = True
    #: asked only when this returns True for the current answers
    when: Callable[[Mapping[str, Any]], bool] | None = None
    #: where the rule behind the field comes from (round, checker table), for the help key
    rule: str = ""
    #: a CHOICE shown as a list filtered by typing, grouped by ``Choice.group``
    searchable: bool = False
    #: shown in an empty input (e.g. what detection found)
    placeholder: str = ""
    #: more than ``help`` says, for the help key only (e.g. why a choice is not offered)
    details: str = ""

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when is None or self.when(answers)

    def help_text(self) -> str:
        """Everything the help key shows: the meaning, the rule, each choice's effect."""
        parts = [self.help or "No more to say about this one."]
        if self.details:
            parts.append(self.details)
        if self.rule:
            parts.append(f"Rule: {self.rule}")
        effects = [f"- {c.label}: {c.help}" for c in self.choices if c.help]
        if effects:
            parts.append("Choices:\n" + "\n".join(effects))
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Info:
    """Something a step shows above its questions: a short text or a table."""

    title: str
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    #: "error" for a problem the user must fix before going on, else ""
    severity: str = ""
    #: shown below the step's questions instead of above them
    after_questions: bool = False


@dataclass(frozen=True)
class AssetCheck:
    """One on-the-spot check of an answer: a model or data set opened, a director asked."""

    what: str  # "model", "data set", "checkout", "director", "clocks"
    ok: bool
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    #: one or two sentences of plain language on what this step decides
    explanation: str
    questions: Callable[[Mapping[str, Any], WizardContext], list[Question]]
    info: Callable[[Mapping[str, Any], WizardContext], list[Info]] = lambda a, c: []
    #: shown only when this returns True for the answers (e.g. the engine step for endpoint)
    when: Callable[[Mapping[str, Any]], bool] | None = None
    #: the information blocks follow this step's own answers (redrawn as they change)
    info_follows_answers: bool = False

    def applies(self, answers: Mapping[str, Any]) -> bool:
        return self.when is None or self.when(answers)


@dataclass
class WizardContext:
    """What the steps need beyond the answers: the detected system, and core services.

    ``system`` is :func:`mlperf_tui.system.detect`'s description (or None); ``estimate`` maps a
    profile to its run plan ``[(run_id, estimate_s), ...]`` (the runner's, when present);
    ``preflight`` maps a profile to the pre-flight check's blocks (what the runs need against
    what the machine has) and whether anything is short.
    """

    system: Any = None
    estimate: Callable[[Profile], list[tuple[str, float]]] | None = None
    preflight: Callable[[Profile], tuple[list[Info], bool]] | None = None
    #: the execution providers that load here (None of them known: every one is offered)
    providers_here: tuple[str, ...] = ()
    #: where the review step proposes to save the profile
    profiles_dir: Path = Path("profiles")
    extra: dict[str, Any] = field(default_factory=dict)
