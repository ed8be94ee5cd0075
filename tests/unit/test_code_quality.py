"""The project's own habits, enforced: ruff clean, formatted, and mypy --strict on the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} is not installed (make test installs it with the test extra)")
        return found
    return str(path)


@pytest.mark.parametrize(
    "args",
    [["check", "."], ["format", "--check", "."]],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff(args: list[str]) -> None:
    done = subprocess.run([_tool("ruff"), *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_on_the_code() -> None:
    done = subprocess.run(
        [_tool("mypy"), "--strict", "mlperf_tui", "harness"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-5000:]


def test_layering_contracts_hold() -> None:
    """import-linter's contracts of pyproject.toml (harness stand-alone, textual only in tui,
    the core never imports a front end, benchmark modules reached through the registry)."""
    done = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_benchmark_module_is_under_the_leaf_contracts() -> None:
    """A new benchmark family (mlperf_tui/benchmarks/<family>/) must join both contracts."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    leaf = next(c for c in contracts if c["name"].startswith("benchmark modules are leaves"))
    uses = next(c for c in contracts if c["name"].startswith("a benchmark module uses only"))
    families = sorted(
        f"mlperf_tui.benchmarks.{p.name}"
        for p in (ROOT / "mlperf_tui" / "benchmarks").iterdir()
        if p.is_dir() and (p / "__init__.py").is_file()
    )
    assert sorted(leaf["forbidden_modules"]) == families
    assert sorted(uses["source_modules"]) == families
