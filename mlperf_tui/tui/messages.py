"""Messages the screens and workers of the TUI exchange (dataclasses, as toolong does).

Workers run in threads and only ``post_message``; progress messages define ``can_replace`` so
a slow screen merges them instead of queueing thousands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class RunnerEvent(Message):
    """One harness event (the events contract) of the run ``run_id``."""

    run_id: str
    event: Mapping[str, Any]

    def can_replace(self, message: Message) -> bool:
        # only progress replaces progress of the same run; start/phase/result are never merged
        return (
            isinstance(message, RunnerEvent)
            and message.run_id == self.run_id
            and message.event.get("event") == "progress"
            and self.event.get("event") == "progress"
        )


@dataclass
class RunnerLog(Message):
    """A line for the monitor's log tail (harness stderr, runner notes)."""

    line: str


@dataclass
class RunnerFinished(Message):
    """The runner returned: its results (or None) and the error it raised (or None)."""

    results: Any
    error: BaseException | None = None


@dataclass
class AnswerChanged(Message):
    """A wizard question widget got a new answer."""

    key: str
    value: Any


@dataclass
class BrowseRequested(Message):
    """A path question asks for the file picker."""

    key: str
