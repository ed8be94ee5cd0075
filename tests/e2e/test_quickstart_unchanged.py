"""resnet50 behaves as before the benchmark registry: the quickstart's results table, package
tree (file names and JSON keys) and validation errors equal those main produced before the
redesign (tests/e2e/golden/quickstart.json, recorded then)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlperf_tui.cli import main
from mlperf_tui.validate import validate

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden") / "quickstart.json"


def _normal(path: str) -> str:
    """The system folder's name depends on the machine: written <system>."""
    return re.sub(
        r"^(open/Quickstart/(?:results|systems)/)[^/]+?(\.json|/|$)", r"\1<system>\2", path
    )


def shape(results_dir: Path, package: Path) -> dict[str, Any]:
    summary = json.loads((results_dir / "summary.json").read_text())
    rows = sorted(
        [r["benchmark"], r["scenario"], r["mode"], r["compliance_test"], r["status"],
         r["metric_name"], r["metric_unit"], r["accuracy_metric"], r["valid"]]
        for r in summary["runs"]
    )  # fmt: skip
    files = sorted(
        _normal(str(p.relative_to(package)))
        for p in package.rglob("*")
        if p.is_file() and "/src/harness/" not in "/" + str(p.relative_to(package))
    )
    keys: dict[str, Any] = {}
    for f in sorted(p for p in package.rglob("*.json") if "/src/" not in str(p)):
        rel = str(f.relative_to(package))
        if "mlperf_log_accuracy" in rel:
            continue
        data = json.loads(f.read_text())
        keys[_normal(rel)] = sorted(data) if isinstance(data, dict) else type(data).__name__
    manifest = next(package.glob("*/*/src/mlperf_tui_build.json"))
    keys["open/Quickstart/src/mlperf_tui_build.json"] = sorted(json.loads(manifest.read_text()))
    errors = sorted([f.id, f.severity] for f in validate(package) if f.severity == "error")
    return {"results": rows, "files": files, "json_keys": keys, "errors": errors}


# about a minute: make test stays under ten on two cores; run it with -m slow
@pytest.mark.slow
def test_the_quickstart_package_is_the_one_main_built_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    data = yaml.safe_load((ROOT / "profiles" / "quickstart.yaml").read_text())
    data["output"] = str(tmp_path / "results")
    profile = tmp_path / "quickstart.yaml"
    profile.write_text(yaml.safe_dump(data))
    code = main(["run", str(profile), "--headless", "--json", "--out", str(tmp_path / "pkg")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    golden = json.loads(GOLDEN.read_text())
    got = shape(Path(doc["results_folder"]), tmp_path / "pkg")
    assert got["results"] == golden["results"]
    assert got["files"] == golden["files"]
    assert got["json_keys"] == golden["json_keys"]
    assert got["errors"] == golden["errors"]
