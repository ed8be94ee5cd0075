"""One wizard question as a widget: a Question (plain data) in, AnswerChanged messages out."""

from __future__ import annotations

from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from mlperf_tui.tui.messages import AnswerChanged, BrowseRequested
from mlperf_tui.tui.widgets.search_list import SearchList
from mlperf_tui.wizard import Kind, Question

#: a choice with at most this many options is a radio set; more become a drop-down
RADIO_MAX = 4


class QuestionField(Vertical):
    """Shows ``question`` with ``value`` preselected; posts AnswerChanged on every change."""

    def __init__(self, question: Question, value: Any) -> None:
        super().__init__(classes="question", id=f"q-{_css_id(question.key)}")
        self.question = question
        self.value = value

    @property
    def key(self) -> str:
        return self.question.key

    def compose(self) -> ComposeResult:
        q = self.question
        if q.kind != Kind.BOOL:
            yield Label(q.prompt, classes="question-prompt")
        if q.kind == Kind.CHOICE and q.searchable:
            yield SearchList(q, self.value)
        elif q.kind == Kind.CHOICE and q.columns:
            table: DataTable[str] = DataTable(cursor_type="row", classes="choice-table")
            table.add_column(q.prompt, key="value")
            for name in q.columns:
                table.add_column(name)
            for choice in q.choices:
                table.add_row(choice.label, *choice.detail, key=choice.value)
            yield table
        elif q.kind == Kind.CHOICE and len(q.choices) <= RADIO_MAX:
            with RadioSet():
                for choice in q.choices:
                    yield RadioButton(choice.label, value=choice.value == self.value)
        elif q.kind == Kind.CHOICE:
            yield Select(
                [(c.label, c.value) for c in q.choices],
                value=self.value
                if self.value in [c.value for c in q.choices]
                else q.choices[0].value,
                allow_blank=False,
            )
        elif q.kind == Kind.MULTI:
            chosen = list(self.value or [])
            yield SelectionList[str](
                *[
                    Selection(c.label, c.value, c.value in chosen or c.locked, disabled=c.locked)
                    for c in q.choices
                ]
            )
        elif q.kind == Kind.BOOL:
            yield Checkbox(q.prompt, value=bool(self.value))
        elif q.kind == Kind.PATH:
            with Horizontal(classes="path-row"):
                yield Input(_text(self.value), placeholder=q.placeholder or "path")
                yield Button("Browse", classes="browse")
        else:
            input_type: Literal["integer", "number", "text"] = (
                "integer" if q.kind == Kind.INT else "number" if q.kind == Kind.FLOAT else "text"
            )
            yield Input(
                _text(self.value),
                type=input_type,
                placeholder=q.placeholder or ("" if q.required else "blank"),
            )
        if q.help:
            yield Static(q.help, classes="question-help", markup=False)

    def on_mount(self) -> None:
        if (
            self.question.kind == Kind.CHOICE
            and self.question.columns
            and not self.question.searchable
        ):
            table = self.query_one(DataTable)
            keys = [c.value for c in self.question.choices]
            if self.value in keys:
                table.move_cursor(row=keys.index(self.value), animate=False)

    def _changed(self, value: Any) -> None:
        self.value = value
        self.post_message(AnswerChanged(self.question.key, value))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None and event.row_key.value != self.value:
            self._changed(event.row_key.value)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._changed(self.question.choices[event.index].value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self._changed(event.value)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        selected = set(event.selection_list.selected)
        self._changed([c.value for c in self.question.choices if c.value in selected or c.locked])

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed(event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(BrowseRequested(self.question.key))

    def set_text(self, value: str) -> None:
        """Fill a text or path input (the picker's answer)."""
        self.query_one(Input).value = value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _css_id(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
