"""The headless CLI: profile check on broken profiles, detect, rules, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from mlperf_tui import __version__, rules
from mlperf_tui.cli import EXIT_CODE_HELP, main
from mlperf_tui.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).resolve().parent / "broken_profiles"
QUICKSTARTS = [ROOT / "profiles" / "quickstart.yaml", ROOT / "profiles" / "quickstart-valid.yaml"]

#: file -> (the line the message must name, or None where a file has no line; a phrase of it)
BROKEN_CASES: dict[str, tuple[int | None, str]] = {
    "unknown_key.yaml": (4, 'unknown key "benchmrk" at the top level (did you mean "benchmark"?)'),
    "misspelled_division.yaml": (5, '"closd" is not a valid value (did you mean "closed"?)'),
    "misspelled_scenario.yaml": (7, 'did you mean "SingleStream"?'),
    "server_on_edge.yaml": (7, "Server is not a scenario of resnet50 in the edge category"),
    "closed_missing_scenario.yaml": (7, "missing: MultiStream"),
    "closed_without_accuracy.yaml": (8, "requires both performance and accuracy runs"),
    "wrong_type.yaml": (13, "backend.batch_size must be a whole number, got 'many'"),
    "negative_threads.yaml": (12, "backend.intra_op_threads must be at least 0, got -2"),
    "bad_yaml.yaml": (8, "not valid YAML"),
    "bad_indent.yaml": (13, "not valid YAML"),
    "empty.yaml": (None, "the profile is empty"),
    "top_level_list.yaml": (2, "must be a mapping of keys"),
    "unknown_benchmark.yaml": (4, 'unknown benchmark "resnet5"'),
    "wrong_schema_version.yaml": (2, "schema_version 2 is not supported"),
    "missing_schema_version.yaml": (2, "schema_version is missing"),
    "unknown_system_field.yaml": (19, 'not a field of the systems JSON (did you mean "cooling"?)'),
    "bad_system_value.yaml": (20, '"availble" is not allowed (did you mean "available"?)'),
    "system_submitter.yaml": (19, "system.submitter is set by the profile's top-level"),
    "no_harness.yaml": (4, "rgat has no built-in harness yet"),
    "duplicate_key.yaml": (10, "execution is written twice (lines 9 and 10)"),
    "unknown_round.yaml": (3, 'unknown MLPerf Inference round "v6.2"'),
    "infer_on_datacenter.yaml": (10, "inferred from SingleStream only in the edge category"),
    "target_wrong_kind.yaml": (20, "Offline is sized by queries per second, not by latency"),
    "url_without_sha256.yaml": (15, "without a sha256"),
    "valid_small_dataset.yaml": (16, "execution: valid needs the whole data set (50000"),
    "python_tag.yaml": (17, "not valid YAML"),
    "bad_submitter.yaml": (17, "cannot be a folder name"),
    "execution_provider_typo.yaml": (11, 'did you mean "CUDAExecutionProvider"?'),
}


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rich sizes tables to COLUMNS when the output is not a terminal; keep numbers on one line
    monkeypatch.setenv("COLUMNS", "250")


def test_every_broken_profile_is_in_the_table() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(BROKEN_CASES)
    assert len(BROKEN_CASES) >= 10


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_broken_profile_gives_one_clear_message(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line, phrase = BROKEN_CASES[name]
    path = BROKEN / name
    assert main(["profile", "check", str(path)]) == ExitCode.BAD_INPUT == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    where = f"{path}, line {line}:" if line else f"{path}:"
    lines = err.splitlines()
    assert len(lines) == 2, err  # the message, then the fix
    assert lines[0].startswith(f"error: {where}"), err
    assert phrase in lines[0], err
    assert lines[1].startswith("  fix: ") and len(lines[1]) > len("  fix: ") + 5, err


def test_a_real_process_prints_no_traceback_unless_debug() -> None:
    path = str(BROKEN / "wrong_type.yaml")
    cmd = [sys.executable, "-m", "mlperf_tui", "profile", "check", path]
    plain = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    assert plain.returncode == 3
    assert "Traceback" not in plain.stderr and "line 13" in plain.stderr
    debug = subprocess.run([*cmd, "--debug"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert debug.returncode == 3
    assert "Traceback" in debug.stderr and "line 13" in debug.stderr


@pytest.mark.parametrize("path", QUICKSTARTS, ids=lambda p: p.name)
def test_quickstart_profiles_pass(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"OK: {path}: resnet50 (v6.1), open division, edge") and err == ""


def test_missing_profile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", str(tmp_path / "none.yaml")]) == 3
    assert "no such file" in capsys.readouterr().err


# -- detect ------------------------------------------------------------------------------------


def test_detect_json_has_every_systems_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [f.name for f in rules.get_round().system_fields]
    assert len(names) == 35
    assert list(report["system"]) == names
    assert [f["name"] for f in report["fields"]] == names
    for field in report["fields"]:
        assert {"value", "status", "reason"} <= set(field)
        assert field["status"] in ("detected", "defaulted", "ask")
        if field["status"] == "ask":
            assert field["reason"].strip(), field  # says what to answer


def test_detect_applies_a_profiles_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "profiles" / "quickstart.yaml").read_text(encoding="utf-8")
    profile = tmp_path / "p.yaml"
    profile.write_text(text.replace("cooling: air", "cooling: liquid"), "utf-8")
    assert main(["detect", "--json", "--profile", str(profile)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["system"]["cooling"] == "liquid"
    assert report["system"]["division"] == "open"
    assert report["system"]["submitter"] == "Quickstart"


def test_detect_table_lists_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect"]) == 0
    out = capsys.readouterr().out
    for field in rules.get_round().system_fields:
        assert field.name in out


# -- rules -------------------------------------------------------------------------------------


def test_rules_lists_the_rounds_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for name in rules.get_round().benchmarks:
        assert name in out


def test_rules_resnet50_shows_the_rules_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "resnet50", "--round", "v6.1"]) == 0
    out = capsys.readouterr().out
    round_rules = rules.get_round("v6.1")
    bench = rules.get_benchmark("resnet50", "v6.1")
    (target,) = bench.accuracy
    assert f"{target.metric} >= {target.threshold:.6g}" in out
    rows = {
        "performance sample count": str(bench.performance_sample_count),
        "Offline minimum samples": str(round_rules.offline_min_samples),
        "minimum duration": f"{round_rules.min_duration_ms / 1000:g} s",
    }
    for what, value in rows.items():
        assert re.search(rf"{what}\s+│ {re.escape(value)}\s", out), what
    required = ", ".join(s.value for s in rules.required_scenarios(bench, "edge"))
    assert f"required: {required}" in out
    for test in rules.compliance_tests(bench, "closed"):
        assert test in out
    assert f"({bench.dataset_size} samples)" in out


def test_rules_unknown_benchmark_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "resnett50"]) == 3
    _, err = capsys.readouterr()
    assert 'did you mean "resnet50"' in err and "Traceback" not in err


def test_rules_unknown_round(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--round", "v9.9"]) == 3
    assert 'unknown MLPerf Inference round "v9.9"' in capsys.readouterr().err


# -- the parser, exit codes, the wizard --------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"mlperf-tui {__version__}"


def test_help_documents_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(EXIT_CODE_HELP) == set(ExitCode)
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code, text in EXIT_CODE_HELP.items():
        assert f"{int(code):>3}  {text}" in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == ExitCode.USAGE == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        ([], "--headless"),
        (["wizard"], "--plain"),
        (["run", str(ROOT / "profiles" / "quickstart.yaml")], "--headless"),
        (["checklist", str(ROOT)], "mlperf-tui check"),
    ],
    ids=["no-command", "wizard", "run-monitor", "checklist"],
)
def test_full_screen_commands_without_a_terminal_say_so_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    fix: str,
) -> None:
    started: list[object] = []
    fake = types.ModuleType("mlperf_tui.tui.app")
    fake.run_app = lambda *a, **k: started.append((a, k))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlperf_tui.tui.app", fake)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert main(argv) == ExitCode.ENVIRONMENT
    err = capsys.readouterr().err
    assert "interactive terminal" in err and fix in err
    assert started == []


def test_a_bug_is_reported_as_internal_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(path: str) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("mlperf_tui.profile.load_profile", broken)
    assert main(["profile", "check", "x.yaml"]) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: boom" in err and "--debug" in err
    assert "Traceback" not in err
    assert main(["--debug", "profile", "check", "x.yaml"]) == ExitCode.INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_checklist_markdown_needs_no_terminal_and_never_replaces_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    package = tmp_path / "pkg"
    package.mkdir()
    assert main(["checklist", str(package), "--markdown"]) == ExitCode.OK
    first = tmp_path / "pkg.checklist.md"
    out = capsys.readouterr().out
    assert out.startswith(f"checklist: {first} (") and "not ready to submit" in out
    assert first.read_text().startswith("# Submission checklist: pkg\n")
    assert "| failed | The package has every folder and file the checker needs |" in (
        first.read_text()
    )

    assert main(["checklist", str(package), "--markdown"]) == ExitCode.OK
    assert f"checklist: {tmp_path / 'pkg.checklist-2.md'} (" in capsys.readouterr().out

    assert main(["checklist", str(package), "--markdown", "-"]) == ExitCode.OK
    assert capsys.readouterr().out.startswith("# Submission checklist: pkg\n\n- Package: ")

    named = tmp_path / "review.md"
    named.write_text("keep me")
    assert main(["checklist", str(package), "--markdown", str(named)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "does not replace it" in err and "--force" in err
    assert named.read_text() == "keep me"
    assert main(["checklist", str(package), "--markdown", str(named), "--force"]) == 0
    assert named.read_text().startswith("# Submission checklist: pkg")

    assert main(["checklist", str(package), "--force"]) == ExitCode.USAGE
    assert "--force goes with --markdown FILE" in capsys.readouterr().err
