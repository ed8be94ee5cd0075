"""Results and package: the runs' results, the package build, and the validation.

The package folder can be opened in the desktop's file manager (``o``) and its path copied
(``c``, through the terminal's clipboard escape); screenshots go into the results folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Static

from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.tui.monitor_model import format_metric

#: the order findings are shown in; anything else comes last
SEVERITY_ORDER = ("error", "warning", "notice", "info")


#: the table's columns: (header, width; None fits the content). The fixed widths keep the
#: table inside 80 columns; a longer metric or accuracy wraps onto a second line.
RESULT_COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("run", None),
    ("result", None),
    ("metric", 18),
    ("accuracy", 14),
)


def result_rows(results: Any) -> list[tuple[str, ...]]:
    """(run, result, metric, accuracy) for every run of a ResultsSet; the result is LoadGen's
    VALID / INVALID for a finished performance run, else the run's status."""
    rows: list[tuple[str, ...]] = []
    for run in getattr(results, "runs", []) or []:
        outcome = str(run.status)
        if outcome == "ok" and run.valid is not None:
            outcome = "VALID" if run.valid else "INVALID"
        metric = "-"
        if run.metric_value is not None:
            metric = format_metric(run.metric_name or "", run.metric_value, run.metric_unit)
        tokens = run.token_latency_text() if hasattr(run, "token_latency_text") else ""
        if tokens:
            metric = f"{metric}; {tokens}"
        accuracy = "-"
        if run.accuracy is not None:
            accuracy = run.accuracy_text()
        rows.append((str(run.run_id), outcome, metric, accuracy))
    return rows


def group_findings(findings: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """Findings grouped by severity, errors first."""
    groups: dict[str, list[Any]] = {}
    for f in findings:
        groups.setdefault(str(getattr(f.severity, "value", f.severity)).lower(), []).append(f)
    order = [s for s in SEVERITY_ORDER if s in groups] + sorted(
        s for s in groups if s not in SEVERITY_ORDER
    )
    return [(s, groups[s]) for s in order]


class ResultsScreen(Screen[None]):
    """Shows ``results`` (a runner ResultsSet); ``b`` builds the package and validates it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "build", "Build package"),
        Binding("k", "checklist", "Checklist"),
        Binding("o", "open_folder", "Open folder"),
        Binding("c", "copy_path", "Copy path"),
        Binding("escape", "app.pop_screen", "Back"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self, results: Any, out: Path | None = None) -> None:
        super().__init__()
        self.results = results
        folder = getattr(results, "folder", None)
        self.out = out or (Path(folder) / "package" if folder else Path("package"))
        self.package: Path | None = None

    @property
    def screenshot_folder(self) -> Path | None:
        """The results folder (screenshots go there, beside the runs; never into the package)."""
        folder = getattr(self.results, "folder", None)
        return Path(folder) if folder else None

    def package_folder(self) -> Path | None:
        """The package built here, or one an earlier build left at the target folder."""
        if self.package is not None:
            return self.package
        return self.out if self.out.is_dir() else None

    def compose(self) -> ComposeResult:
        yield Static("[b]Results and package[/b]", classes="screen-title")
        with VerticalScroll(id="results-body"):
            folder = getattr(self.results, "folder", None)
            summary = (
                "No results (the run did not finish)."
                if self.results is None
                else (
                    f"Results folder: {folder}\n"
                    f"Execution: {self.results.execution}"
                    + (" · synthetic assets" if self.results.synthetic else "")
                    + (" · complete" if self.results.complete else " · INCOMPLETE")
                )
            )
            yield Static(summary, id="results-summary", markup=False)
            table: DataTable[str] = DataTable(id="results-table", cursor_type="row")
            for header, width in RESULT_COLUMNS:
                table.add_column(header, width=width)
            for row in result_rows(self.results):
                table.add_row(*row, height=None)  # a long metric wraps, never cut
            yield table
            yield Static("", id="package-status", markup=False)
            yield Static("", id="findings")
        with Horizontal(id="results-buttons"):
            yield Button("Build package (b)", id="build", variant="primary")
            yield Button("Checklist (k)", id="checklist", disabled=True)
        yield Footer()

    @on(Button.Pressed, "#build")
    def action_build(self) -> None:
        if self.results is None or not getattr(self.results, "complete", False):
            self.query_one("#package-status", Static).update(
                "The package is built only from a complete set of runs; rerun the profile."
            )
            return
        self.query_one("#build", Button).disabled = True
        self.query_one("#package-status", Static).update(f"Building {self.out} ...")
        self.build_and_validate()

    @work(thread=True, exclusive=True, group="package")
    def build_and_validate(self) -> None:
        from mlperf_tui.package import build_package, tarball_path
        from mlperf_tui.validate import validate

        try:
            out = build_package(self.results, self.out, tar=True)
            findings = validate(out, version=getattr(self.results, "round", "") or "v6.1")
        except MlperfTuiError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._built, out, tarball_path(out), findings)

    def _failed(self, exc: MlperfTuiError) -> None:
        self.query_one("#build", Button).disabled = False
        self.query_one("#package-status", Static).update(f"✗ {exc.message}\n  fix: {exc.fix}")

    def _built(self, out: Path, tarball: Path, findings: Sequence[Any]) -> None:
        self.package = out
        errors = sum(
            1 for f in findings if str(getattr(f.severity, "value", f.severity)) == "error"
        )
        verdict = "no errors" if not errors else f"{errors} error(s)"
        self.query_one("#package-status", Static).update(
            f"Package: {out}\nTarball: {tarball}\nValidation: {verdict}, {len(findings)} finding(s)"
        )
        self.query_one("#findings", Static).update(render_findings(findings))
        self.query_one("#checklist", Button).disabled = False

    @on(Button.Pressed, "#checklist")
    def action_checklist(self) -> None:
        if self.package is None:
            self.notify("Build the package first (b).")
            return
        from mlperf_tui.tui.screens.checklist import ChecklistScreen

        self.app.push_screen(ChecklistScreen(self.package))

    def _no_package(self) -> None:
        self.notify(f"There is no package yet: build it first (b). It goes to {self.out}.")

    def action_open_folder(self) -> None:
        folder = self.package_folder()
        if folder is None:
            self._no_package()
            return
        self.open_in_file_manager(folder.resolve())

    @work(thread=True, exclusive=True, group="open-folder")
    def open_in_file_manager(self, folder: Path) -> None:
        from mlperf_tui.tui.desktop import open_folder

        opened, what = open_folder(folder)
        if opened:
            self.app.call_from_thread(self.notify, what, markup=False)
        else:
            message = f"{what}.\nThe package is at {folder}; c copies its path."
            self.app.call_from_thread(
                self.notify, message, severity="warning", timeout=10, markup=False
            )

    def action_copy_path(self) -> None:
        folder = self.package_folder()
        if folder is None:
            self._no_package()
            return
        path = str(folder.resolve())
        self.app.copy_to_clipboard(path)
        self.notify(
            f"Copied the package path: {path}\n(sent to the terminal's clipboard, OSC 52; "
            "a terminal that ignores it copies nothing)",
            timeout=8,
            markup=False,
        )


def render_findings(findings: Sequence[Any]) -> str:
    """Findings as Rich markup, grouped by severity, each with its fix."""
    from rich.markup import escape

    style = {"error": "bold red", "warning": "yellow", "notice": "cyan", "info": "dim"}
    lines = []
    for severity, items in group_findings(findings):
        lines.append(f"[{style.get(severity, 'b')}]{severity.upper()} ({len(items)})[/]")
        for f in items:
            lines.append(f"  {escape(str(f.id))}: {escape(str(f.message))}")
            if getattr(f, "path", None):  # a line of its own: a long path wraps by itself
                lines.append(f"    [dim]{escape(str(f.path))}[/dim]")
            if getattr(f, "fix", ""):
                lines.append(f"    fix: {escape(str(f.fix))}")
    return "\n".join(lines) or "No findings."
