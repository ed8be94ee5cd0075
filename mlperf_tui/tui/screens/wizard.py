"""The wizard: one screen per step of :data:`mlperf_tui.wizard.STEPS`.

The screen only lays out what the core gives (the step's explanation, information blocks and
questions) and routes answers; choices, defaults and checks all come from mlperf_tui.wizard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich import box
from rich.syntax import Syntax
from rich.table import Table
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, DirectoryTree, Footer, Static

from mlperf_tui import wizard
from mlperf_tui.errors import MlperfTuiError, ProfileError
from mlperf_tui.tui.messages import AnswerChanged, BrowseRequested
from mlperf_tui.tui.screens.confirm import ConfirmScreen
from mlperf_tui.tui.widgets.question import QuestionField


class StepScreen(Screen[None]):
    """One wizard step. ``ctrl+n`` goes on (after the core's checks), ``escape`` goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next"),
        Binding("escape", "back", "Back"),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+t", "calibrate", "Calibrate", show=False),
    ]

    def __init__(
        self, step: wizard.Step, answers: wizard.Answers, ctx: wizard.WizardContext
    ) -> None:
        super().__init__(id=f"step-{step.id}")
        self.step = step
        self.answers = answers
        self.ctx = ctx
        self._shape = self._question_shape()
        self._check_timer: Timer | None = None
        #: what the calibration's sweep reported, point by point (shown as it comes)
        self.calibration_progress: list[str] = []

    def _questions(self) -> list[wizard.Question]:
        return self.step.questions(self.answers, self.ctx)

    def _question_shape(self) -> tuple[Any, ...]:
        return tuple((q.key, q.kind, q.choices) for q in self._questions())

    def compose(self) -> ComposeResult:
        applying = wizard.steps_for(self.answers)
        index = applying.index(self.step.id) + 1 if self.step.id in applying else 1
        yield Static(
            f"Step {index}/{len(applying)} · [b]{self.step.title}[/b]",
            classes="screen-title",
        )
        yield Static(self.step.explanation, classes="explanation")
        infos = self.step.info(self.answers, self.ctx)
        with VerticalScroll(id="step-body"):
            with Vertical(id="infos-before", classes="infos"):
                for info in infos:
                    if not info.after_questions:
                        yield from self._info(info)
            if self.step.id == "assets":
                yield Static("", id="asset-checks")
            if self.step.id == "settings":
                yield Static(
                    "Calibrate times the model here (a short test) and suggests the targets.",
                    id="calibration",
                )
            for question in self._questions():
                field = QuestionField(question, self.answers.get(question.key))
                field.display = question.applies(self.answers)
                yield field
            if self.step.id == "power":
                yield Static("", id="power-checks")
            if self.step.id == "hardware":
                machine_checks = Static("", id="machine-checks")
                machine_checks.display = wizard.several_machines(self.answers)
                yield machine_checks
            with Vertical(id="infos-after", classes="infos"):
                for info in infos:
                    if info.after_questions:
                        yield from self._info(info)
        yield Static("", id="step-problems")
        with Horizontal(id="step-buttons"):
            yield Button("Back (esc)", id="back", disabled=self.step.id == "start")
            if self.step.id == "assets":
                yield Button("Check now", id="check-assets")
            if self.step.id == "settings":
                yield Button("Calibrate (ctrl+t)", id="calibrate")
            if self.step.id == "power":
                check = Button("Check director", id="check-director")
                check.display = wizard.power_measured(self.answers)
                yield check
            if self.step.id == "hardware":
                machines = Button("Check machines", id="check-machines")
                machines.display = wizard.several_machines(self.answers)
                yield machines
            label = "Save (ctrl+n)" if self.step.id == "review" else "Next (ctrl+n)"
            yield Button(label, id="next", variant="primary")
        yield Footer()

    def _info(self, info: wizard.Info) -> ComposeResult:
        extra = f" info-{info.severity}" if info.severity else ""
        yield Static(info.title, classes="info-title" + extra, markup=False)
        if info.rows:
            # a Rich table wraps its cells to the screen's width: nothing is cut at 80 columns
            table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
            for name in info.columns:
                table.add_column(name, overflow="fold")
            for row in info.rows:
                table.add_row(*row)
            yield Static(table, classes="info-table")
        elif self.step.id == "review" and info.title == "Profile":
            # wrapped, not cut, at the screen's width
            yield Static(
                Syntax(info.text, "yaml", theme="ansi_dark", word_wrap=True),
                classes="profile-yaml",
            )
        else:
            yield Static(info.text, classes="info-text" + extra, markup=False)

    def on_mount(self) -> None:
        fields = [f for f in self.query(QuestionField) if f.display]
        if self.step.id == "review":
            # what the runs need is read first: the body has the focus (arrows and page keys
            # scroll it), tab reaches the save field
            self.query_one("#step-body", VerticalScroll).focus()
        elif fields:
            fields[0].focus()
            first = fields[0].query("DataTable, RadioSet, Select, SelectionList, Input, Checkbox")
            if first:
                first.first().focus()
        if self.step.id == "assets":
            self.check_assets_now()

    # --- answers ------------------------------------------------------------------------------

    async def on_answer_changed(self, message: AnswerChanged) -> None:
        self.answers[message.key] = message.value
        self.query_one("#step-problems", Static).update("")
        if self._question_shape() != self._shape:
            # an answer changed what this step asks (e.g. the round changes the categories)
            wizard.normalise(self.step.id, self.answers, self.ctx)
            if not await self._replace_changed_fields():
                self._shape = self._question_shape()
                self.refresh(recompose=True)
                return
        for field in self.query(QuestionField):
            field.display = field.question.applies(self.answers)
        if self.step.info_follows_answers:
            await self._refresh_infos()
        if self.step.id == "power":
            measured = wizard.power_measured(self.answers)
            self.query_one("#check-director", Button).display = measured
            if not measured:
                self.query_one("#power-checks", Static).update("")
        if self.step.id == "hardware":
            several = wizard.several_machines(self.answers)
            self.query_one("#check-machines", Button).display = several
            checks = self.query_one("#machine-checks", Static)
            checks.display = several
            if message.key.startswith(("machines", "ray_", "network_")):
                checks.update("")  # what was checked is no longer what is asked
        if self.step.id == "assets":
            # check again once typing pauses (opening a model file is not free)
            if self._check_timer is not None:
                self._check_timer.stop()
            self._check_timer = self.set_timer(0.5, self.check_assets_now)

    async def _replace_changed_fields(self) -> bool:
        """Replace only the questions whose choices changed, so the focused one (a filter
        being typed in) keeps its state; False when the step asks other questions now."""
        questions = self._questions()
        shape = tuple((q.key, q.kind, q.choices) for q in questions)
        if [k for k, _, _ in shape] != [k for k, _, _ in self._shape]:
            return False
        for question, old, new in zip(questions, self._shape, shape, strict=True):
            if old == new:
                continue
            field = next(f for f in self.query(QuestionField) if f.key == question.key)
            parent = field.parent
            if not isinstance(parent, Widget):
                return False
            siblings = list(parent.children)
            at = siblings.index(field)
            following = siblings[at + 1] if at + 1 < len(siblings) else None
            await field.remove()
            replacement = QuestionField(question, self.answers.get(question.key))
            replacement.display = question.applies(self.answers)
            if following is not None:
                await parent.mount(replacement, before=following)
            else:
                await parent.mount(replacement)
        self._shape = shape
        return True

    async def _refresh_infos(self) -> None:
        infos = self.step.info(self.answers, self.ctx)
        for where, after in (("#infos-before", False), ("#infos-after", True)):
            box = self.query_one(where, Vertical)
            await box.remove_children()
            widgets = [w for i in infos if i.after_questions == after for w in self._info(i)]
            if widgets:
                await box.mount(*widgets)

    def on_browse_requested(self, message: BrowseRequested) -> None:
        current = str(self.answers.get(message.key) or "")
        folders = message.key in ("dataset_path", "power_checkout")

        def picked(path: Path | None) -> None:
            if path is not None:
                for field in self.query(QuestionField):
                    if field.key == message.key:
                        field.set_text(str(path))

        self.app.push_screen(PathPicker(Path(current) if current else Path.cwd(), folders), picked)

    # --- navigation ---------------------------------------------------------------------------

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#check-assets")
    def _check_pressed(self) -> None:
        self.check_assets_now()

    def show_problems(self, problems: list[str]) -> None:
        self.query_one("#step-problems", Static).update("\n".join(f"✗ {p}" for p in problems))

    def action_help(self) -> None:
        """The help of the focused field (or of the step when nothing is focused)."""
        from mlperf_tui.tui.screens.help import HelpScreen

        node = self.focused
        while node is not None and not isinstance(node, QuestionField):
            node = node.parent  # type: ignore[assignment]
        if isinstance(node, QuestionField):
            q = node.question
            self.app.push_screen(HelpScreen(q.prompt, q.help_text()))
        else:
            self.app.push_screen(HelpScreen(self.step.title, self.step.explanation))

    def action_back(self) -> None:
        previous = wizard.previous_step(self.step.id, self.answers)
        if previous is not None:
            self.app.call_later(self.app.show_step, previous)  # type: ignore[attr-defined]

    def action_next(self) -> None:
        problems = wizard.check_step(self.step.id, self.answers, self.ctx)
        if problems:
            self.show_problems(problems)
            return
        if self.step.id == "start" and self.answers.get("start") == "open":
            try:
                opened = wizard.open_profile(str(self.answers["open_path"]))
            except MlperfTuiError as exc:
                self.show_problems([f"{exc.message} (fix: {exc.fix})"])
                return
            self.answers.clear()
            self.answers.update(opened)
        if self.step.id == "review":
            self.save()
            return
        following = wizard.next_step(self.step.id, self.answers)
        if following is not None:
            self.app.call_later(self.app.show_step, following)  # type: ignore[attr-defined]

    # --- assets -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="asset-check")
    def check_assets_now(self) -> None:
        checks = wizard.check_assets(self.answers, self.ctx.profiles_dir)
        self.app.call_from_thread(self._show_checks, _check_lines(checks))

    def _show_checks(self, text: str) -> None:
        # the worker may finish while the screen is being left (its widgets already gone)
        for checks in self.query("#asset-checks").results(Static):
            checks.update(text)

    # --- power: check the director ----------------------------------------------------------

    @on(Button.Pressed, "#check-director")
    def action_check_director(self) -> None:
        if self.step.id != "power" or not wizard.power_measured(self.answers):
            return
        where = f"{self.answers.get('power_director') or '?'}:{self.answers.get('power_port')}"
        self.query_one("#power-checks", Static).update(
            f"Asking the power server at {where} (a few seconds at most)..."
        )
        self.query_one("#check-director", Button).disabled = True
        # the worker gets its own copy: the answers may change while it waits on the network
        self.check_director(dict(self.answers))

    @work(thread=True, exclusive=True, group="director-check")
    def check_director(self, answers: dict[str, Any]) -> None:
        checks = wizard.check_power(answers, self.ctx.profiles_dir)
        self.app.call_from_thread(self._director_checked, _check_lines(checks))

    def _director_checked(self, text: str) -> None:
        # the worker may finish while the screen is being left (its widgets already gone)
        for checks in self.query("#power-checks").results(Static):
            checks.update(text)
            # in sight once the new lines are laid out (the body scrolls at 80x24)
            self.call_after_refresh(checks.scroll_visible, animate=False)
        for button in self.query("#check-director").results(Button):
            button.disabled = False

    # --- hardware: check the machines ---------------------------------------------------------

    @on(Button.Pressed, "#check-machines")
    def action_check_machines(self) -> None:
        if self.step.id != "hardware" or not wizard.several_machines(self.answers):
            return
        what = (
            f"the Ray cluster at {self.answers.get('ray_address') or '?'}"
            if self.answers.get("machines") == "ray"
            else "the SUT nodes"
        )
        self.query_one("#machine-checks", Static).update(
            f"Asking {what} (seconds; a cluster's nodes each run detection)..."
        )
        self.query_one("#check-machines", Button).disabled = True
        # the worker gets its own copy: the answers may change while it waits on the network
        self.check_machines(dict(self.answers))

    @work(thread=True, exclusive=True, group="machines-check")
    def check_machines(self, answers: dict[str, Any]) -> None:
        checks = wizard.check_machines(answers)
        self.app.call_from_thread(self._machines_checked, _check_lines(checks))

    def _machines_checked(self, text: str) -> None:
        # the worker may finish while the screen is being left (its widgets already gone)
        for checks in self.query("#machine-checks").results(Static):
            checks.update(text)
            # in sight once the new lines are laid out (the body scrolls at 80x24)
            self.call_after_refresh(checks.scroll_visible, animate=False)
        for button in self.query("#check-machines").results(Button):
            button.disabled = False

    # --- settings: calibration ---------------------------------------------------------------

    @on(Button.Pressed, "#calibrate")
    def action_calibrate(self) -> None:
        if self.step.id != "settings":
            return
        problems = wizard.check_step(self.step.id, self.answers, self.ctx)
        if problems:
            self.show_problems(problems)
            return
        self.query_one("#calibration", Static).update(
            "Timing the model on this machine (the stand-ins are generated the first time)..."
        )
        self.query_one("#calibrate", Button).disabled = True
        self.calibrate()

    @work(thread=True, exclusive=True, group="calibrate")
    def calibrate(self) -> None:
        def progress(text: str) -> None:
            self.app.call_from_thread(self._calibration_progress, text)

        try:
            suggested, chosen = wizard.calibrate_targets(
                self.answers, self.ctx.profiles_dir, on_progress=progress
            )
        except MlperfTuiError as exc:
            self.app.call_from_thread(self._calibrated, {}, f"✗ {exc.message} (fix: {exc.fix})")
            return
        self.app.call_from_thread(self._calibrated, suggested, f"Chose {chosen}.")

    def _calibration_progress(self, text: str) -> None:
        self.calibration_progress.append(text)
        for status in self.query("#calibration").results(Static):
            status.update(text)

    def _calibrated(self, suggested: dict[str, Any], text: str) -> None:
        if not self.is_mounted:
            return
        self.answers.update(suggested)
        targets = {
            k.removeprefix(wizard.TARGET_PREFIX): v
            for k, v in suggested.items()
            if k.startswith(wizard.TARGET_PREFIX)
        }
        if targets:
            text += " Suggested targets: " + ", ".join(f"{k} {v:g}" for k, v in targets.items())
        for field in self.query(QuestionField):
            value = suggested.get(field.key)
            if isinstance(value, int | float):
                field.set_text(f"{value:g}")
        self.query_one("#calibration", Static).update(text)
        self.query_one("#calibrate", Button).disabled = False

    # --- review -------------------------------------------------------------------------------

    def save(self) -> None:
        path = Path(str(self.answers["save_path"])).expanduser()
        try:
            saved = wizard.save_answers(self.answers, path)
        except ProfileError as exc:
            if not path.exists():
                self.show_problems([f"{exc.message} (fix: {exc.fix})"])
                return

            def overwrite(yes: bool | None) -> None:
                if not yes:
                    return
                try:
                    saved = wizard.save_answers(self.answers, path, overwrite=True)
                except ProfileError as exc:
                    self.show_problems([f"{exc.message} (fix: {exc.fix})"])
                else:
                    self._saved(saved)

            self.app.push_screen(ConfirmScreen(f"{path} exists. Overwrite it?"), overwrite)
            return
        self._saved(saved)

    def _saved(self, path: Path) -> None:
        self.app.saved_profile = path  # type: ignore[attr-defined]
        self.query_one("#step-problems", Static).update(f"✓ Saved {path}")

        def run_now(yes: bool | None) -> None:
            if yes:
                self.app.start_run(path)  # type: ignore[attr-defined]

        self.app.push_screen(
            ConfirmScreen(f"Saved {path}.\nRun it now?", "Run", "Not now"), run_now
        )


def _check_lines(checks: list[wizard.AssetCheck]) -> str:
    """On-the-spot checks as lines: ✓ or ✗, what, the message and the fix."""
    return "\n".join(
        ("✓ " if c.ok else "✗ ") + f"{c.what}: {c.message}" + (f" (fix: {c.fix})" if c.fix else "")
        for c in checks
    )


class PathPicker(ModalScreen[Path | None]):
    """A file (or folder) picker: Enter on a file picks it; "Use folder" picks the folder."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, start: Path, folders: bool = False) -> None:
        super().__init__()
        start = start.expanduser()
        while not start.is_dir() and start != start.parent:
            start = start.parent
        self.start = start if start.is_dir() else Path.cwd()
        self.folders = folders
        self.current = self.start

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(
                "Choose a folder (Enter opens it, then Use folder)"
                if self.folders
                else "Choose a file (Enter picks it)",
                classes="info-title",
            )
            yield DirectoryTree(self.start)
            with Horizontal(id="picker-buttons"):
                if self.folders:
                    yield Button("Use folder", id="use", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        if not self.folders:
            self.dismiss(event.path)

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.current = event.path

    @on(Button.Pressed, "#use")
    def _use(self) -> None:
        self.dismiss(self.current)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
