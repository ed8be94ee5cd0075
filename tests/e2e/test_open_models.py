"""MobileNet and EfficientNet-lite in the open division, submitted as resnet through
model_mapping.json: profiles/mobilenet-open.yaml replays to a package our validator and the
official checker (reference copy) accept apart from test execution and synthetic assets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import reference_copy as ref
import yaml

from mlperf_tui.cli import main
from mlperf_tui.official import run_official_checker

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def _replay(profile: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    code = main(["run", str(profile), "--headless", "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-3000:]
    doc: dict = json.loads(captured.out)  # type: ignore[type-arg]
    return doc


@pytest.mark.parametrize(
    ("kind", "folder"),
    [
        # both slow (11 s each), so make test stays under ten minutes on two cores
        pytest.param("mobilenet", "mobilenet", marks=pytest.mark.slow),
        pytest.param("efficientnet-lite", "efficientnet-lite0", marks=pytest.mark.slow),
    ],
)
def test_an_open_division_model_replays_to_an_accepted_package(
    kind: str,
    folder: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = yaml.safe_load((PROFILES / "mobilenet-open.yaml").read_text())
    assert data["assets"]["model"]["kind"] == "mobilenet"
    data["assets"]["model"]["kind"] = kind
    data["assets"]["dataset"]["count"] = 96  # quicker; the profile's 1024 works the same
    data["output"] = str(tmp_path / "results")
    data["system"]["host_processor_model_name"] = "AMD EPYC 9654 96-Core Processor"
    profile = tmp_path / "open.yaml"
    profile.write_text(yaml.safe_dump(data))
    out = tmp_path / "pkg"
    doc = _replay(profile, out, capsys)
    assert doc["complete"] is True
    errors = {f["id"] for f in doc["validation"]["findings"] if f["severity"] == "error"}
    assert errors == {"package.test-execution", "package.synthetic-assets"}
    base = out / "open" / "Quickstart"
    assert json.loads((base / "model_mapping.json").read_text()) == {folder: "resnet"}
    (system,) = (base / "results").iterdir()
    assert sorted(p.name for p in (system / folder).iterdir()) == ["Offline", "SingleStream"]
    verdict = run_official_checker(out, ref.inference_root(), version="v6.1")
    assert not verdict.crashed
    assert ref.unexplained_errors(verdict.errors) == []
