"""Results and package: the runs' results, the package build, and the validation."""

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


def result_rows(results: Any) -> list[tuple[str, ...]]:
    """(run, status, valid, metric, accuracy) for every run of a ResultsSet."""
    rows: list[tuple[str, ...]] = []
    for run in getattr(results, "runs", []) or []:
        valid = {True: "VALID", False: "INVALID", None: "-"}[run.valid]
        metric = "-"
        if run.metric_value is not None:
            metric = format_metric(run.metric_name or "", run.metric_value, run.metric_unit)
        accuracy = "-"
        if run.accuracy is not None:
            accuracy = f"{run.accuracy_metric or 'acc'} {run.accuracy:.3f}"
        rows.append((str(run.run_id), str(run.status), valid, metric, accuracy))
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
        Binding("escape", "app.pop_screen", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, results: Any, out: Path | None = None) -> None:
        super().__init__()
        self.results = results
        folder = getattr(results, "folder", None)
        self.out = out or (Path(folder) / "package" if folder else Path("package"))
        self.package: Path | None = None

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
            table.add_columns("run", "status", "validity", "metric", "accuracy")
            table.add_rows(result_rows(self.results))
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


def render_findings(findings: Sequence[Any]) -> str:
    """Findings as Rich markup, grouped by severity, each with its fix."""
    from rich.markup import escape

    style = {"error": "bold red", "warning": "yellow", "notice": "cyan", "info": "dim"}
    lines = []
    for severity, items in group_findings(findings):
        lines.append(f"[{style.get(severity, 'b')}]{severity.upper()} ({len(items)})[/]")
        for f in items:
            where = f" [dim]{escape(str(f.path))}[/dim]" if getattr(f, "path", None) else ""
            lines.append(f"  {escape(str(f.id))}: {escape(str(f.message))}{where}")
            if getattr(f, "fix", ""):
                lines.append(f"    fix: {escape(str(f.fix))}")
    return "\n".join(lines) or "No findings."
