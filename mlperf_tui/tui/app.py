"""The Textual application: routes between the wizard steps, the run monitor, results and the
checklist review. Screens compose widgets; the core (mlperf_tui.*) does the work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual.app import App

from mlperf_tui import wizard
from mlperf_tui.tui.run_source import RunSource


class MlperfTuiApp(App[None]):
    """``mode`` is "wizard" (the default), "run" (monitor ``profile``), "checklist" (``package``)
    or "compare" (``comparison``, a :class:`mlperf_tui.compare.Comparison`).

    Tests inject ``probe`` (a frozen hardware probe), ``profiles_dir`` and ``run_source``
    (a factory from a profile path to a :class:`RunSource`, e.g. a recorded event stream).
    """

    CSS_PATH = "app.tcss"
    TITLE = "mlperf-tui"

    def __init__(
        self,
        mode: str = "wizard",
        *,
        profile: Path | None = None,
        package: Path | None = None,
        probe: Any = None,
        profiles_dir: Path = Path("profiles"),
        run_source: Callable[[Path], RunSource] | None = None,
        results_out: Path | None = None,
        validator: Callable[[Path], list[Any]] | None = None,
        comparison: Any = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.profile_path = profile
        self.package_dir = package
        self.probe = probe
        self.run_source_factory = run_source
        self.results_out = results_out
        self.validator = validator
        self.comparison = comparison
        self.answers: wizard.Answers = wizard.default_answers()
        self.ctx = wizard.WizardContext(profiles_dir=profiles_dir)
        self.saved_profile: Path | None = None

    def on_mount(self) -> None:
        if self.mode == "run" and self.profile_path is not None:
            self.start_run(self.profile_path)
        elif self.mode == "checklist" and self.package_dir is not None:
            from mlperf_tui.tui.screens.checklist import ChecklistScreen

            self.push_screen(ChecklistScreen(self.package_dir, self.validator))
        elif self.mode == "compare" and self.comparison is not None:
            from mlperf_tui.tui.screens.compare import CompareScreen

            self.push_screen(CompareScreen(self.comparison))
        else:
            self._prepare_wizard()
            self.show_step(wizard.STEP_IDS[0])

    def _prepare_wizard(self) -> None:
        from mlperf_tui.system import detect

        description = detect(self.probe)
        self.ctx.system = description
        self.ctx.providers_here = tuple(description.facts.loadable_providers)
        self.ctx.estimate = wizard.runner_estimate(description.facts.physical_cores)
        self.ctx.preflight = wizard.runner_preflight(
            description.facts.physical_cores, self.ctx.profiles_dir
        )

    def show_step(self, step_id: str) -> None:
        from mlperf_tui.tui.screens.wizard import StepScreen

        wizard.normalise(step_id, self.answers, self.ctx)
        if isinstance(self.screen, StepScreen) and self.screen.step.id == step_id:
            self.screen.refresh(recompose=True)  # the step shown again, with new answers
            return
        screen = StepScreen(wizard.step(step_id), self.answers, self.ctx)
        if isinstance(self.screen, StepScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def start_run(self, profile: Path) -> None:
        from mlperf_tui.tui.screens.monitor import MonitorScreen

        factory = self.run_source_factory
        if factory is None:
            from mlperf_tui.tui.run_source import runner_source

            factory = runner_source
        try:
            source = factory(profile)
        except Exception as exc:  # a user error (bad profile) or a missing runner
            fix = getattr(exc, "fix", "")
            self.notify(f"{exc}" + (f"\nfix: {fix}" if fix else ""), severity="error", timeout=10)
            return
        self.push_screen(MonitorScreen(source, title=f"Running {profile}"))

    def show_results(self, results: Any) -> None:
        from mlperf_tui.tui.screens.results import ResultsScreen

        self.push_screen(ResultsScreen(results, out=self.results_out))

    # --- screenshots (the command palette's "Screenshot", and action_screenshot) -------------

    def screenshot_folders(self) -> list[Path]:
        """Where a screenshot goes, in order: the folder the screen shows (a results folder,
        or the folder holding the package), then the working folder."""
        folders: list[Path] = []
        for screen in reversed(self.screen_stack):  # a dialog on top: the screen under it
            folder = getattr(screen, "screenshot_folder", None)
            if folder is not None:
                folders.append(Path(folder).resolve())  # the notification names it in full
                break
        folders.append(Path.cwd())
        return list(dict.fromkeys(folders))

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """Save the screen as SVG and say where, or why not and where it was tried.

        Textual's own delivery writes to the desktop's Downloads folder, which a server
        usually lacks, and then says only "Failed to save screenshot".
        """
        if self.is_web:  # served in a browser: Textual downloads it there
            return super().deliver_screenshot(filename, path, time_format)
        from mlperf_tui.tui.desktop import describe_failures, save_new_file, screenshot_name

        folders = [Path(path).expanduser()] if path else self.screenshot_folders()
        saved = save_new_file(
            folders, filename or screenshot_name(self.title), self.export_screenshot()
        )
        if saved.path is None:
            self.notify(
                f"Not saved: {describe_failures(saved.failed)}\n"
                "fix: start mlperf-tui from a folder you can write to",
                title="Screenshot",
                severity="error",
                timeout=10,
                markup=False,
            )
            return None
        note = f"\n(not in {describe_failures(saved.failed)})" if saved.failed else ""
        self.notify(f"Saved {saved.path}{note}", title="Screenshot", timeout=8, markup=False)
        return str(saved.path)


def run_app(
    mode: str = "wizard",
    *,
    profile: Path | None = None,
    package: Path | None = None,
    out: Path | None = None,
    targets: Sequence[str] | None = None,
) -> int:
    """Start the full-screen app (the CLI's entry point); returns the exit code.

    A profile is checked and the compared runs (``targets``: what ``mlperf-tui compare`` was
    given) are loaded before the screen opens, so a broken one is reported like any other
    user error (message and fix, no full-screen app).
    """
    comparison = None
    if mode == "run" and profile is not None:
        from mlperf_tui.profile import load_profile

        load_profile(profile)
    elif mode == "compare":
        from mlperf_tui.compare import load_comparison

        comparison = load_comparison(list(targets or ()))
    MlperfTuiApp(
        mode, profile=profile, package=package, results_out=out, comparison=comparison
    ).run()
    return 0
