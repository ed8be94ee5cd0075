"""Run the official MLCommons submission checker from a user's mlcommons/inference checkout.

mlperf-tui never ships the official checker; ``check --official PATH`` runs the one in the
checkout the user names, in a child process, and shows its verdict beside ours. Three layouts
exist, by round:

- the modular checker (v5.0 on): ``tools/submission/submission_checker/main.py``, run as
  ``python -m submission_checker.main``;
- the legacy single file kept beside it, ``tools/submission/submission_checker_old.py``;
- the single-file checker of older tags (v4.x): ``tools/submission/submission_checker.py``.

The checker runs in a scratch folder (it writes a summary CSV there), never in the checkout,
with ``tools/submission`` on its import path. Its log lines say ``ERROR`` where it found one; a
checker that crashes prints a traceback, which we report as such rather than as a verdict.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mlperf_tui.errors import PackageError

CheckerKind = Literal["modular", "legacy", "single-file"]

#: a log line of the official checker: "[2026-12-01 10:11:52,513 main.py:236 ERROR] ..." or
#: (older) "ERROR:main:..."
_ERROR_LINE = re.compile(r"^\[[^]]*\bERROR\]\s*(.*)$|^ERROR:[^:]*:(.*)$")
_TRACEBACK = "Traceback (most recent call last):"


@dataclass(frozen=True)
class OfficialChecker:
    """One official checker found in a checkout."""

    kind: CheckerKind
    #: tools/submission of the checkout (on the checker's import path)
    tools_dir: Path
    #: the file that runs: main.py, submission_checker_old.py or submission_checker.py
    script: Path

    def command(
        self, package: Path, version: str, csv: Path, *, python: str = sys.executable
    ) -> list[str]:
        """The checker's command line (run in a scratch folder, with :meth:`env`)."""
        head = (
            [python, "-m", "submission_checker.main"]
            if self.kind == "modular"
            else [python, str(self.script)]
        )
        return [*head, "--input", str(package), "--version", version, "--csv", str(csv)]

    def env(self) -> dict[str, str]:
        """What the checker's environment holds on top of ours: tools/submission on its
        import path, and no __pycache__ written into the user's checkout."""
        return {"PYTHONPATH": str(self.tools_dir), "PYTHONDONTWRITEBYTECODE": "1"}

    def describe(self) -> str:
        return f"{self.kind} checker ({self.script})"


@dataclass(frozen=True)
class OfficialVerdict:
    """What the official submission checker said about a package."""

    ok: bool
    returncode: int
    summary: str
    #: the checker's ERROR lines, without their timestamp prefix
    errors: list[str]
    output: str
    checker: str = ""
    #: the checker stopped with a traceback; ``crash`` is its last line (the exception)
    crashed: bool = False
    crash: str = ""
    warnings: list[str] = field(default_factory=list)


def find_official_checker(checkout: Path | str, *, legacy: bool = False) -> OfficialChecker:
    """The checker of a checkout (its root, ``tools/submission`` or the checker folder).

    ``legacy`` asks for ``submission_checker_old.py`` instead of the modular checker. Raises
    PackageError naming what is missing when the folder holds no checker.
    """
    start = Path(checkout).expanduser()
    if not start.exists():
        raise PackageError(
            f"{start} does not exist",
            "pass the root of `git clone https://github.com/mlcommons/inference` to --official",
        )
    root = start.resolve()
    candidates = [root / "tools" / "submission", root, root.parent]
    for tools in candidates:
        modular = tools / "submission_checker" / "main.py"
        old = tools / "submission_checker_old.py"
        single = tools / "submission_checker.py"
        if legacy and old.is_file():
            return OfficialChecker("legacy", tools, old)
        if not legacy and modular.is_file():
            return OfficialChecker("modular", tools, modular)
        if not legacy and single.is_file():
            return OfficialChecker("single-file", tools, single)
    wanted = (
        "tools/submission/submission_checker_old.py"
        if legacy
        else (
            "tools/submission/submission_checker/main.py (or, before v5.0, "
            "tools/submission/submission_checker.py)"
        )
    )
    raise PackageError(
        f"{start} is not an mlcommons/inference checkout: it has no {wanted}",
        "pass the root of `git clone https://github.com/mlcommons/inference` to --official "
        "(check out the tag of the round you submit to, e.g. `git checkout v6.1`)",
    )


def _errors(lines: list[str]) -> tuple[list[str], list[str]]:
    errors, warnings = [], []
    for line in lines:
        m = _ERROR_LINE.match(line.strip())
        if m:
            errors.append((m.group(1) or m.group(2) or "").strip())
        elif " WARNING]" in line:
            warnings.append(line.split(" WARNING]", 1)[1].strip())
    return errors, warnings


def run_official_checker(
    package_dir: Path | str,
    checkout: Path | str,
    *,
    version: str,
    legacy: bool = False,
    timeout_s: float = 1800.0,
) -> OfficialVerdict:
    """Run the official checker of ``checkout`` on the package at ``package_dir``.

    Raises PackageError when the checkout has no checker, the checker does not know the round,
    it cannot start, or it runs past ``timeout_s``. A checker that crashes returns a verdict
    with ``crashed`` set.
    """
    checker = find_official_checker(checkout, legacy=legacy)
    package = Path(package_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="mlperf-tui-official-") as scratch:
        env = {**os.environ, **checker.env()}
        command = checker.command(package, version, Path(scratch) / "summary.csv")
        try:
            proc = subprocess.run(
                command,
                cwd=scratch,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PackageError(
                f"the official checker did not finish within {timeout_s:.0f} s",
                f"run it by hand to see where it stops: cd {checker.tools_dir} && "
                f"{' '.join(command[:2])} ...",
            ) from None
        except OSError as exc:
            raise PackageError(
                f"cannot start the official checker: {exc}", f"check {sys.executable}"
            ) from None
    output = proc.stdout + proc.stderr
    lines = output.splitlines()
    if proc.returncode == 2 and "invalid choice" in proc.stderr and "--version" in proc.stderr:
        raise PackageError(
            f"the {checker.describe()} does not know round {version}",
            "check out the tag of that round in the checkout (e.g. `git checkout "
            f"{version}`), or pass --round with a round it knows",
        )
    crashed = _TRACEBACK in output
    crash = ""
    if crashed:
        after = output.split(_TRACEBACK)[-1].strip().splitlines()
        crash = after[-1].strip() if after else "a traceback"
    summary = next((ln for ln in reversed(lines) if "SUMMARY" in ln), "")
    if summary:
        summary = summary.split("]", 1)[-1].strip()
    elif crashed:
        summary = f"crashed: {crash}"
    elif lines:
        summary = lines[-1].strip()
    errors, warnings = _errors(lines)
    return OfficialVerdict(
        ok=proc.returncode == 0 and not crashed,
        returncode=proc.returncode,
        summary=summary,
        errors=errors,
        output=output,
        checker=checker.describe(),
        crashed=crashed,
        crash=crash,
        warnings=warnings,
    )
