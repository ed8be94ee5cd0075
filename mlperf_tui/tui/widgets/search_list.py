"""A grouped choice list filtered by typing: an input above an option list with headings.

Typing anywhere in the list goes to the filter, so a user finds "bert-99" by typing "bert";
the arrows move in the list, Enter confirms. The highlighted choice is the answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from mlperf_tui.tui.messages import AnswerChanged
from mlperf_tui.wizard import Choice, Question


def matches(choice: Choice, needle: str) -> bool:
    """Every word of ``needle`` appears in the choice's name, details or group."""
    hay = " ".join((choice.value, choice.label, *choice.detail, choice.group)).lower()
    return all(word in hay for word in needle.lower().split())


class _Options(OptionList):
    """The list; a printable key goes to the filter input."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", show=True),
    ]

    def on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character and event.character not in " ?/":
            event.stop()
            search = self.parent.query_one(Input) if self.parent else None
            if search is not None:
                search.focus()
                search.insert_text_at_cursor(event.character)

    def action_filter(self) -> None:
        if self.parent is not None:
            self.parent.query_one(Input).focus()


class SearchList(Vertical):
    """``question``'s choices, grouped and filtered; posts AnswerChanged on a new highlight."""

    DEFAULT_CSS = """
    SearchList { height: auto; }
    SearchList > Input { width: 100%; }
    SearchList > OptionList { height: auto; max-height: 16; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "to_list", "List", show=False),
    ]

    def __init__(self, question: Question, value: Any) -> None:
        super().__init__(classes="search-list")
        self.question = question
        self.value = value
        self.needle = ""

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="type to filter: name, task, data set",
            classes="search-input",
            select_on_focus=False,
        )
        yield _Options(*self._options(), classes="search-options")

    def _visible(self) -> list[Choice]:
        return [c for c in self.question.choices if matches(c, self.needle)]

    def _options(self) -> list[Option]:
        out: list[Option] = []
        group = None
        for choice in self._visible():
            if choice.group != group:
                group = choice.group
                if group:
                    out.append(Option(Text(group, style="bold underline"), disabled=True))
            line = Text.assemble((choice.label, "bold"), "  ", (choice.detail[0], "green"))
            if len(choice.detail) > 1:
                line.append("\n   " + " · ".join(choice.detail[1:]), style="dim")
            out.append(Option(line, id=choice.value))
        if not out:
            out.append(
                Option(Text(f'nothing matches "{self.needle}"', style="italic"), disabled=True)
            )
        return out

    def on_mount(self) -> None:
        self._highlight(self.value)

    def _highlight(self, value: Any) -> None:
        options = self.query_one(_Options)
        for i in range(options.option_count):
            option = options.get_option_at_index(i)
            if option.id == value:
                options.highlighted = i
                return
        for i in range(options.option_count):
            if not options.get_option_at_index(i).disabled:
                options.highlighted = i
                return

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.needle = event.value
        options = self.query_one(_Options)
        options.clear_options()
        options.add_options(self._options())
        self._highlight(self.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(_Options).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        chosen = event.option.id
        if chosen is not None and chosen != self.value:
            self.value = chosen
            self.post_message(AnswerChanged(self.question.key, chosen))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def action_to_list(self) -> None:
        self.query_one(_Options).focus()
