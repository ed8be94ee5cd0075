"""The checklist review: automatic items pass or fail; manual items are confirmed one by one.

Every answer is saved at once (beside the package, by mlperf_tui.checklist), so a second
review resumes at the first item still pending; ``m`` exports the review as Markdown beside
the package (a new file each time: an earlier export is never replaced).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Static

from mlperf_tui.errors import MlperfTuiError

#: (header, width; None fits the content): the fixed item width keeps the table within 80
#: columns, a longer title wraps onto a second line
COLUMNS: tuple[tuple[str, int | None], ...] = (("state", None), ("item", 48), ("by", None))
#: who checks an item, by kind
_BY = {"auto": "validator", "manual": "you"}

_MARK = {
    "passed": "✓ passed",
    "failed": "✗ failed",
    "pending": "· pending",
    "confirmed": "✓ confirmed",
    "declined": "✗ declined",
}


class ChecklistScreen(Screen[None]):
    """Review the checklist of ``package``; ``y`` confirms, ``n`` declines, ``s`` skips."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # y/n/s are not taken while the note is being typed (the input consumes letters)
        Binding("y", "answer('confirm')", "Confirm"),
        Binding("n", "answer('decline')", "Decline"),
        Binding("s", "skip", "Skip"),
        Binding("m", "export_markdown", "Markdown"),
        Binding("escape", "leave", "Back"),
    ]
    #: under 30 rows the table is shorter, so the current item stays in sight (app.tcss)
    # Textual declares it `ClassVar[...] | None`, which mypy reads as an instance variable
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012

    def __init__(self, package: Path, validator: Callable[[Path], list[Any]] | None = None) -> None:
        super().__init__()
        self.package = package
        self.validator = validator
        self.checklist: Any = None
        self.current: str | None = None
        self.error = ""

    @property
    def screenshot_folder(self) -> Path:
        """Beside the package (with its answers and exports), never inside the tree."""
        return self.package.resolve().parent

    def compose(self) -> ComposeResult:
        yield Static(f"[b]Checklist[/b] · {self.package}", classes="screen-title", markup=True)
        yield Static(
            "Automatic items come from the validator. The others only you can confirm; each "
            "answer is saved at once, so you can stop and resume later.",
            classes="explanation",
        )
        with VerticalScroll(id="checklist-body"):
            yield Static("", id="checklist-progress")
            table: DataTable[str] = DataTable(id="checklist-table", cursor_type="row")
            for header, width in COLUMNS:
                table.add_column(header, width=width)
            yield table
            with Vertical(id="checklist-current"):
                yield Static("", id="checklist-item")
                yield Input(
                    placeholder="note (optional; Enter confirms), e.g. where it is documented",
                    id="checklist-note",
                )
        with Horizontal(id="checklist-buttons"):
            yield Button("Confirm (y)", id="confirm", variant="success")
            yield Button("Decline (n)", id="decline", variant="error")
            yield Button("Skip (s)", id="skip")
        yield Footer()

    def on_mount(self) -> None:
        from mlperf_tui.checklist import load_checklist

        try:
            self.checklist = load_checklist(self.package, validator=self.validator)
        except MlperfTuiError as exc:
            self.error = f"✗ {exc.message}\n  fix: {exc.fix}"
            self.query_one("#checklist-item", Static).update(self.error)
            return
        pending = [i for i in self.checklist.items if i.kind == "manual" and i.state == "pending"]
        self.current = pending[0].id if pending else None
        self.refresh_view()
        self.query_one(DataTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the note confirms the item with that note."""
        event.stop()
        self.action_answer("confirm")
        self.query_one(DataTable).focus()

    def refresh_view(self) -> None:
        checklist = self.checklist
        if checklist is None:
            return
        done, total = checklist.progress()
        status = "ready to submit" if checklist.complete else "not ready yet"
        self.query_one("#checklist-progress", Static).update(f"{done} of {total} done · {status}")
        table = self.query_one(DataTable)
        table.clear()
        for item in checklist.items:
            table.add_row(_MARK[item.state], item.title, _BY[item.kind], key=item.id, height=None)
        if self.current is None:
            text = "Every manual item is answered." + (
                "" if checklist.complete else " Fix the failed items, then review again."
            )
            self.query_one("#checklist-item", Static).update(text)
            self.query_one(Input).value = ""
            return
        item = checklist.item(self.current)
        ids = [i.id for i in checklist.items]
        table.move_cursor(row=ids.index(item.id), animate=False)
        self.query_one("#checklist-item", Static).update(
            f"[b]{_escape(item.title)}[/b]\n{_escape(item.detail)}"
        )
        self.query_one(Input).value = item.note

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.checklist is None or event.row_key.value is None:
            return
        item = self.checklist.item(event.row_key.value)
        if item.kind == "manual":
            self.current = item.id
            self.refresh_view()
        else:
            self.query_one("#checklist-item", Static).update(
                f"[b]{_escape(item.title)}[/b] ({item.state})\n{_escape(item.detail or 'no findings')}"
            )

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.action_answer("confirm")

    @on(Button.Pressed, "#decline")
    def _decline(self) -> None:
        self.action_answer("decline")

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self._advance(skip=True)

    def action_answer(self, how: str) -> None:
        if self.checklist is None or self.current is None:
            return
        note = self.query_one(Input).value.strip()
        if how == "confirm":
            self.checklist.confirm(self.current, note)
        else:
            self.checklist.decline(self.current, note)
        try:
            self.checklist.save()
        except MlperfTuiError as exc:
            # a full disk, a read-only folder, an answers file broken since it was loaded: the
            # item stays current, so the answer can be given again once the fix is applied
            self.notify(
                f"The answer is not saved: {exc.message}\nfix: {exc.fix}",
                severity="error",
                markup=False,
                timeout=12,
            )
            self.refresh_view()
            return
        self._advance()

    def _advance(self, skip: bool = False) -> None:
        if self.checklist is None:
            return
        manual = [i for i in self.checklist.items if i.kind == "manual"]
        ids = [i.id for i in manual]
        start = ids.index(self.current) + 1 if self.current in ids else 0
        order = manual[start:] + (manual[:start] if skip else [])
        following = [i for i in order if i.state == "pending" and i.id != self.current]
        self.current = following[0].id if following else None
        self.refresh_view()

    def action_export_markdown(self) -> None:
        """Write the review as Markdown beside the package, under a new name if one exists."""
        if self.checklist is None:
            self.notify("Nothing to export: the checklist did not load.", severity="error")
            return
        from mlperf_tui.checklist import export_markdown

        try:
            path = export_markdown(self.checklist)
        except MlperfTuiError as exc:
            self.notify(f"{exc.message}\nfix: {exc.fix}", severity="error", markup=False)
            return
        self.notify(f"Exported the checklist to {path}", timeout=8, markup=False)

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
