"""``mlperf-tui wizard --plain``: the wizard's questions as plain prompts (questionary).

For terminals where a full-screen app is unwelcome. It asks the same questions as the Textual
wizard (from :mod:`mlperf_tui.wizard`), with the same defaults, and saves the same profile.
The prompting goes through an :class:`Asker`, so tests drive it with scripted answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from mlperf_tui import wizard
from mlperf_tui.errors import Cancelled, MlperfTuiError, ProfileError
from mlperf_tui.wizard import Kind, Question


class Asker(Protocol):
    def ask(self, question: Question, default: Any) -> Any:
        """The answer to ``question`` (raw: text for inputs, a value or list for choices)."""
        ...

    def confirm(self, text: str, default: bool) -> bool: ...


class QuestionaryAsker:
    """Asks in the terminal with questionary; Ctrl-C cancels."""

    def ask(self, question: Question, default: Any) -> Any:
        import questionary

        prompt = question.prompt + (f" ({question.help})" if question.help else "")
        if question.kind == Kind.CHOICE:
            choices: list[Any] = []
            group = None
            for c in question.choices:
                if c.group != group:
                    group = c.group
                    if group:
                        choices.append(questionary.Separator(f"-- {group} --"))
                choices.append(
                    questionary.Choice(
                        c.label + (" - " + ", ".join(c.detail) if c.detail else ""),
                        value=c.value,
                    )
                )
            answer = questionary.select(
                prompt,
                choices=choices,
                default=_choice(choices, default),
                use_search_filter=question.searchable,
                use_jk_keys=not question.searchable,
            ).ask()
        elif question.kind == Kind.MULTI:
            chosen = list(default or [])
            answer = questionary.checkbox(
                prompt,
                choices=[
                    questionary.Choice(
                        c.label,
                        value=c.value,
                        checked=c.value in chosen or c.locked,
                        disabled="required" if c.locked else None,
                    )
                    for c in question.choices
                ],
            ).ask()
        elif question.kind == Kind.BOOL:
            answer = questionary.confirm(prompt, default=bool(default)).ask()
        elif question.kind == Kind.PATH:
            answer = questionary.path(prompt, default="" if default is None else str(default)).ask()
        else:
            answer = questionary.text(prompt, default="" if default is None else str(default)).ask()
        if answer is None:  # questionary returns None on Ctrl-C
            raise Cancelled("the wizard was cancelled", "run `mlperf-tui wizard --plain` again")
        return answer

    def confirm(self, text: str, default: bool) -> bool:
        import questionary

        answer = questionary.confirm(text, default=default).ask()
        if answer is None:
            raise Cancelled("the wizard was cancelled", "run `mlperf-tui wizard --plain` again")
        return bool(answer)


class MappingAsker:
    """Answers from a mapping (question key -> raw answer), the default for anything else.

    For scripted, non-interactive use; ``overwrite`` answers the "file exists" question.
    """

    def __init__(
        self,
        answers: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        *,
        interactive: bool = False,
    ) -> None:
        self.answers = dict(answers or {})
        #: False: a failed step stops the wizard instead of asking it again
        self.interactive = interactive
        self.overwrite = overwrite
        self.asked: list[str] = []

    def ask(self, question: Question, default: Any) -> Any:
        self.asked.append(question.key)
        if question.key in self.answers:
            return self.answers[question.key]
        if question.kind in (Kind.INT, Kind.FLOAT, Kind.TEXT, Kind.PATH):
            return "" if default is None else str(default)  # what a prompt hands back: text
        return default

    def confirm(self, text: str, default: bool) -> bool:
        return self.overwrite


def _choice(choices: list[Any], default: Any) -> Any:
    for c in choices:
        if getattr(c, "value", None) == default:
            return c
    return None


def _print_info(info: wizard.Info, echo: Callable[[str], None]) -> None:
    echo(f"  {info.title}")
    if info.rows:
        widths = [
            max(len(str(r[i])) for r in (info.columns, *info.rows))
            for i in range(len(info.columns))
        ]
        for row in (info.columns, *info.rows):
            echo(
                "    "
                + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=False)).rstrip()
            )
    elif info.text:
        for line in info.text.splitlines():
            echo(f"    {line}")


def run_plain(
    asker: Asker | None = None,
    *,
    probe: Any = None,
    profiles_dir: Path = Path("profiles"),
    echo: Callable[[str], None] = print,
    estimate: Callable[[Any], list[tuple[str, float]]] | None = None,
    show_info: bool = True,
) -> Path:
    """Ask every step's questions and save the profile; returns the saved file."""
    from mlperf_tui.system import detect

    asker = asker or QuestionaryAsker()
    description = detect(probe)
    ctx = wizard.WizardContext(
        system=description,
        providers_here=tuple(description.facts.loadable_providers),
        profiles_dir=profiles_dir,
        estimate=estimate or wizard.runner_estimate(description.facts.physical_cores),
    )
    answers = wizard.default_answers()
    index = 0
    while index < len(wizard.STEPS):
        step = wizard.STEPS[index]
        if not step.applies(answers):
            index += 1
            continue
        wizard.normalise(step.id, answers, ctx)
        applying = wizard.steps_for(answers)
        echo("")
        echo(f"== {step.title} ({applying.index(step.id) + 1}/{len(applying)}) ==")
        echo(step.explanation)
        infos = step.info(answers, ctx) if show_info else []
        for info in infos:
            if not info.after_questions:
                _print_info(info, echo)
        asked: set[str] = set()
        while True:
            # asked again after every answer: one answer may change the next question's choices
            pending = [
                q for q in step.questions(answers, ctx) if q.applies(answers) and q.key not in asked
            ]
            if not pending:
                break
            question = pending[0]
            answers[question.key] = asker.ask(question, answers.get(question.key))
            asked.add(question.key)
            wizard.normalise(step.id, answers, ctx)
        for info in infos:
            if info.after_questions:
                _print_info(info, echo)
        problems = wizard.check_step(step.id, answers, ctx)
        if step.id == "start" and not problems and answers.get("start") == "open":
            try:
                answers = wizard.open_profile(str(answers["open_path"]))
            except MlperfTuiError as exc:
                problems = [f"{exc.message} (fix: {exc.fix})"]
        if problems:
            for problem in problems:
                echo(f"  ✗ {problem}")
            if not getattr(asker, "interactive", True):
                # scripted answers would give the same answers again: stop, never loop
                raise ProfileError(
                    f"the answers to the {step.title} step do not hold: " + "; ".join(problems),
                    "change the scripted answers",
                )
            continue  # ask the step again
        if step.id == "power" and wizard.power_measured(answers):
            # the step's "Check director", said here: a director not up yet is no reason to
            # stop writing the profile (the run's pre-flight asks it again)
            for check in wizard.check_power(answers, profiles_dir, timeout_s=2.0):
                _say_check(check, echo)
        if step.id == "hardware" and wizard.several_machines(answers):
            # the step's "Check machines", said here: a cluster or a node not up yet is no
            # reason to stop writing the profile (the run's pre-flight asks again)
            echo("  Checking the machines (seconds; a cluster's nodes each run detection)...")
            for check in wizard.check_machines(answers):
                _say_check(check, echo)
        if step.id == "review":
            return _save(answers, asker, echo)
        index += 1
    raise AssertionError("unreachable: the review step returns")  # pragma: no cover


def _say_check(check: wizard.AssetCheck, echo: Callable[[str], None]) -> None:
    """One on-the-spot check: ✓ or ✗, what, the message (lines indented) and the fix."""
    mark = "✓" if check.ok else "✗"
    fix = f" (fix: {check.fix})" if check.fix and not check.ok else ""
    first, *more = f"{check.message}{fix}".splitlines() or [""]
    echo(f"  {mark} {check.what}: {first}")
    for line in more:
        echo(f"    {line.strip()}")


def _save(answers: Mapping[str, Any], asker: Asker, echo: Callable[[str], None]) -> Path:
    path = Path(str(answers["save_path"])).expanduser()
    overwrite = False
    if path.exists():
        overwrite = asker.confirm(f"{path} exists. Overwrite it?", False)
        if not overwrite:
            raise Cancelled(f"{path} exists; nothing was written", "choose another file name")
    saved = wizard.save_answers(answers, path, overwrite=overwrite)
    echo(f"Saved {saved}. Replay it with: mlperf-tui run {saved} --headless")
    return saved
