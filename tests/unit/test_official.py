"""``check --official`` runs the real official checker (the reference copy), never a stand-in.

The good closed package of tests/conftest.py meets every rule but the 600 s minimum duration
(its runs last 200 ms), so the official checker's only complaint about it is that one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import reference_copy as ref

from mlperf_tui.cli import main
from mlperf_tui.errors import PackageError
from mlperf_tui.official import find_official_checker, run_official_checker


def test_a_folder_without_a_checker_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PackageError) as err:
        find_official_checker(tmp_path)
    assert "is not an mlcommons/inference checkout" in err.value.message
    assert "git clone https://github.com/mlcommons/inference" in err.value.fix
    with pytest.raises(PackageError, match="does not exist"):
        find_official_checker(tmp_path / "nowhere")


def test_the_checkout_is_found_from_its_root_or_its_tools_folder() -> None:
    root = ref.inference_root()
    assert find_official_checker(root).kind == "modular"
    assert find_official_checker(root / "tools" / "submission").kind == "modular"
    assert find_official_checker(root, legacy=True).script.name == "submission_checker_old.py"


def test_the_official_verdict_on_the_good_package(good: dict[str, Path]) -> None:
    verdict = run_official_checker(good["closed"], ref.inference_root(), version="v6.1")
    assert not verdict.ok and verdict.returncode == 1 and not verdict.crashed
    assert verdict.summary == "SUMMARY: submission has errors"
    duration = [e for e in verdict.errors if "Test duration less than 600s" in e]
    assert duration, verdict.errors
    # nothing else but the runs it could not count because of it
    others = [e for e in verdict.errors if e not in duration]
    assert all(
        e.startswith(("NoResults", "Some ", "SUMMARY")) or "has issues" in e for e in others
    ), others


def test_the_legacy_checker_runs_too(good: dict[str, Path]) -> None:
    verdict = run_official_checker(
        good["closed"], ref.inference_root(), version="v6.1", legacy=True
    )
    assert verdict.checker.startswith("legacy checker")
    assert not verdict.crashed
    assert any("Test duration less than 600s" in e for e in verdict.errors)


def test_a_crash_of_the_official_checker_is_reported_as_a_crash(
    good: dict[str, Path], tmp_path: Path
) -> None:
    pkg = shutil.copytree(good["closed"], tmp_path / "pkg")
    for system_json in pkg.glob("*/*/systems/*.json"):
        system_json.unlink()  # the official loader calls .get() on the missing JSON
    verdict = run_official_checker(pkg, ref.inference_root(), version="v6.1")
    assert verdict.crashed and not verdict.ok
    assert "AttributeError" in verdict.crash
    assert verdict.summary.startswith("crashed:")


def test_a_round_the_checker_does_not_know_says_which_checker_to_use(
    good: dict[str, Path],
) -> None:
    with pytest.raises(PackageError) as err:
        run_official_checker(good["closed"], ref.inference_root(), version="v4.1")
    assert "does not know round v4.1" in err.value.message
    assert "git checkout v4.1" in err.value.fix


def test_check_shows_both_verdicts(
    good: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(good["test"]), "--json", "--official", str(ref.inference_root())])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {r["id"] for r in doc["results"]} >= {"package.test-execution"}
    assert doc["official"]["checker"].startswith("modular checker")
    assert doc["official"]["ok"] is False and doc["official"]["crashed"] is False
    assert any("Test duration less than 600s" in e for e in doc["official"]["errors"])
    assert main(["check", str(good["test"]), "--official", str(ref.inference_root())]) == 1
    text = capsys.readouterr().out
    assert "official modular checker" in text and "FAILED" in text


def test_legacy_without_official_is_a_usage_error(
    good: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(good["test"]), "--legacy"]) == 2
    assert "--legacy needs --official PATH" in capsys.readouterr().err


@pytest.mark.parametrize("version", ["v5.1", "v5.0"])
def test_an_older_round_is_packaged_in_the_layout_its_checker_reads(
    good: dict[str, Path], tmp_path: Path, version: str
) -> None:
    """code/<model>, measurements/ and compliance/ beside results/ (v4.x and v5.x; the v4.x
    checkers want TEST05 runs the fixture has not): the round's checker finds every file; what it refuses are the runs' seeds (LoadGen's, of the newest round)
    and their 200 ms duration, nothing of the tree."""
    import package_fixtures as fx

    from mlperf_tui.package import build_package
    from mlperf_tui.validate import errors, validate

    results = fx.variant_results(
        good["closed_results"], tmp_path / "results", profile={"round": version}, summary={}
    )
    out = build_package(results, tmp_path / "pkg")
    base = out / "closed" / fx.SUBMITTER
    assert (base / "code" / "resnet" / "profile.yaml").is_file()
    assert next((base / "measurements").glob("*/resnet/Offline/*_Offline.json"))
    assert next((base / "compliance").glob("*/resnet/Offline/TEST01/verify_accuracy.txt"))
    assert not list((base / "results").glob("*/resnet/*/measurements.json"))
    ours = {r.id for r in errors(validate(out, rules_round=fx.fixture_rules(version)))}
    assert ours == {"log.seed-mismatch"}
    verdict = run_official_checker(out, ref.inference_root(), version=version)
    assert not verdict.crashed, verdict.output[-2000:]
    expected = ("_rng_seed is wrong", "Test duration less than 600s")
    about_the_tree = [
        e
        for e in verdict.errors
        if not any(x in e for x in expected)
        and not e.startswith(("NoResults", "Some ", "SUMMARY"))
        and "has issues" not in e
    ]
    assert about_the_tree == [], about_the_tree
    assert any("_rng_seed is wrong" in e for e in verdict.errors)
