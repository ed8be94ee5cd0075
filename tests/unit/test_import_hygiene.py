"""The core never loads a UI library: each import runs in a fresh interpreter."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "profiles" / "quickstart.yaml"

_REPORT = (
    "import json, sys\n"
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'})))\n"
)


def _ui_modules_after(code: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\n" + _REPORT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "module", ["harness", "mlperf_tui.rules", "mlperf_tui.profile", "mlperf_tui.system"]
)
def test_core_module_loads_no_ui_library(module: str) -> None:
    assert _ui_modules_after(f"import {module}") == []


#: the rest of the core (DESIGN.md "Layers"); checked once each module exists
OTHER_CORE = [
    "mlperf_tui.assets",
    "mlperf_tui.run",
    "mlperf_tui.package",
    "mlperf_tui.validate",
    "mlperf_tui.checklist",
    "mlperf_tui.wizard",
    "mlperf_tui.history",
    "mlperf_tui.sweep",
    "mlperf_tui.compare",
    "mlperf_tui.power",
    "mlperf_tui.power.director",
    "mlperf_tui.power.client",
]


@pytest.mark.parametrize("module", OTHER_CORE)
def test_other_core_modules_load_no_ui_library(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not written yet")
    assert _ui_modules_after(f"import {module}") == []


def test_the_check_itself_sees_a_ui_library() -> None:
    # guards against a check that can never fail
    assert _ui_modules_after("import rich.console") == ["rich"]


def test_cli_parsing_and_profile_check_load_no_ui_library() -> None:
    code = (
        "import contextlib, io\n"
        "from mlperf_tui.cli import build_parser, main\n"
        "build_parser().parse_args(['rules', 'resnet50', '--round', 'v6.1'])\n"
        "build_parser().parse_args(['detect', '--json'])\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    build_parser().parse_args(['--help'])\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['profile', 'check', {str(QUICKSTART)!r}]) == 0\n"
    )
    assert _ui_modules_after(code) == []
