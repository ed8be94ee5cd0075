"""What the import's steps share: the runs it takes, its refusal, and what a user.conf says.

:func:`~mlperf_tui.importer.check.check_discovery` fills an :class:`ImportPlan` with the
:class:`Accepted` runs (or raises :class:`ImportRefused`), collecting its findings with
:class:`Collect` and checking each run under one :class:`Context`;
:func:`~mlperf_tui.importer.record.record` writes the plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.importer.accuracy import AccuracyPlan
from mlperf_tui.importer.discover import USER_CONF, FoundRun
from mlperf_tui.rules.model import Benchmark, Round
from mlperf_tui.validate.findings import CheckResult, Severity

if TYPE_CHECKING:
    from mlperf_tui.profile import Profile

__all__ = [
    "Accepted",
    "Collect",
    "Context",
    "ImportPlan",
    "ImportRefused",
    "bench_names",
    "conf_lines",
    "user_conf_of",
]

_SCENARIOS = "|".join(["\\*", *(s.value for s in rules.Scenario)])
_CONF_LINE = re.compile(rf"^\s*(?P<model>[^#=\s]+?)\.(?P<scenario>{_SCENARIOS})\.(?P<key>\w+)\s*=")


class ImportRefused(MlperfTuiError):
    """Logs the import does not accept: every problem found, each with its fix."""

    title = "Import refused"

    def __init__(self, source: Path, problems: Sequence[CheckResult]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            p = self.problems[0]
            where = f"{p.path}: " if p.path else ""
            super().__init__(f"import refused: {where}{p.message}", p.fix)
            return
        lines = [f"import refused: {len(self.problems)} problems in {source}"]
        for n, p in enumerate(self.problems, start=1):
            where = f"{p.path}: " if p.path else ""
            lines.append(f"  {n}. {where}{p.message}")
            if p.fix:
                lines.append(f"     fix: {p.fix}")
        super().__init__("\n".join(lines), "fix each problem above and import again")


@dataclass
class Accepted:
    """One run the import takes, and what its checks found."""

    run_id: str
    scenario: str
    mode: str
    compliance_test: str | None
    found: FoundRun
    #: LoadGen's verdict (None: an accuracy run, which has none that counts)
    valid: bool | None
    accuracy: AccuracyPlan | None = None
    #: the run's own warnings, kept in its result.json
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What the import takes from the source: the runs, and what it says about them."""

    source: Path
    bench: Benchmark
    round: Round
    profile: Profile
    runs: list[Accepted]
    #: warnings and notices (errors refuse the import)
    findings: list[CheckResult]
    #: runs found but not taken, and why
    ignored: list[tuple[Path, str]]
    #: the systems JSON of a submission-like source (one), for system.json
    systems_json: Path | None = None


class Collect:
    """Findings with paths relative to the source."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.items: list[CheckResult] = []

    def add(self, severity: Severity, id_: str, path: Path, message: str, fix: str) -> None:
        try:
            rel = path.relative_to(self.source).as_posix()
        except ValueError:
            rel = path.as_posix()
        self.items.append(CheckResult(id_, severity, "" if rel == "." else rel, message, fix))

    def error(self, id_: str, path: Path, message: str, fix: str) -> None:
        self.add("error", id_, path, message, fix)

    def warning(self, id_: str, path: Path, message: str, fix: str) -> None:
        self.add("warning", id_, path, message, fix)

    def notice(self, id_: str, path: Path, message: str, fix: str) -> None:
        self.add("notice", id_, path, message, fix)

    @property
    def errors(self) -> list[CheckResult]:
        return [i for i in self.items if i.severity == "error"]


# -- what a user.conf says ---------------------------------------------------------------------


def conf_lines(text: str) -> list[tuple[str, str, str]]:
    """The ``(model, scenario, key)`` of each setting line of a user.conf / audit.config."""
    out = []
    for line in text.splitlines():
        m = _CONF_LINE.match(line)
        if m:
            out.append((m["model"], m["scenario"], m["key"]))
    return out


def bench_names(bench: Benchmark) -> set[str]:
    """Every name LoadGen, the checker or a user gives the benchmark (lower case)."""
    names = {bench.name, bench.checker_model, bench.loadgen_model, *bench.aliases}
    if bench.loadgen_interactive_model:
        names.add(bench.loadgen_interactive_model)
    return {n.lower() for n in names}


# -- what the checks of one run read -----------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every check of one run reads: the rules, the profile and the import's options."""

    bench: Benchmark
    round: Round
    profile: Profile
    allow_invalid: bool
    accuracy_dataset: Path | None
    user_conf: Path | None  # --user-conf, over the one found beside the logs
    accuracy_tokenizer: Path | None = None


def user_conf_of(run: FoundRun, ctx: Context) -> Path | None:
    """The user.conf the run was made with: ``--user-conf``, else the one beside its logs."""
    return ctx.user_conf or run.files.get(USER_CONF)
