"""The wizard's Textual-free core: steps, choices from the rules, defaults, the profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlperf_tui import rules, wizard
from mlperf_tui.errors import ProfileError
from mlperf_tui.plain import MappingAsker, run_plain
from mlperf_tui.profile import default_profile, dump_profile, load_profile
from mlperf_tui.rules.model import Category, Division
from mlperf_tui.system import FrozenProbe, detect
from mlperf_tui.wizard import Kind, Question, checks


@pytest.fixture
def ctx(tmp_path: Path) -> wizard.WizardContext:
    return wizard.WizardContext(system=detect(FrozenProbe()), profiles_dir=tmp_path)


def walk(answers: wizard.Answers, ctx: wizard.WizardContext) -> list[str]:
    """Every step the answers reach, as a front end walks them; returns their ids."""
    seen = []
    for step in wizard.STEPS:
        if not step.applies(answers):
            continue
        wizard.normalise(step.id, answers, ctx)
        assert wizard.check_step(step.id, answers, ctx) == [], step.id
        seen.append(step.id)
    return seen


def questions(
    step_id: str, answers: wizard.Answers, ctx: wizard.WizardContext
) -> dict[str, Question]:
    return {q.key: q for q in wizard.step(step_id).questions(answers, ctx)}


def test_every_step_explains_itself_in_a_sentence_or_two() -> None:
    # decisions first: the round and category before the benchmark list they filter
    assert [s.id for s in wizard.STEPS] == [
        "start",
        "round",
        "benchmark",
        "division",
        "hardware",
        "scenarios",
        "engine",
        "assets",
        "import",
        "settings",
        "power",
        "review",
    ]
    for step in wizard.STEPS:
        sentences = [s for s in step.explanation.replace("e.g.", "eg").split(". ") if s.strip()]
        assert 1 <= len(sentences) <= 2, step.id


def test_default_answers_build_the_quickstart(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    assert "engine" not in walk(answers, ctx) and "import" not in wizard.steps_for(answers)
    assert wizard.build_profile(answers) == default_profile()
    assert wizard.profile_text(answers) == dump_profile(default_profile())


def test_answers_round_trip_through_a_profile(ctx: wizard.WizardContext, tmp_path: Path) -> None:
    answers = wizard.default_answers()
    answers.update({"division": "closed", "submitter": "ACME", "system.cooling": "air"})
    walk(answers, ctx)
    answers["target.Offline"] = "250"
    saved = wizard.save_answers(answers, tmp_path / "p.yaml")
    opened = wizard.open_profile(saved)
    assert wizard.build_profile(opened) == load_profile(saved)
    assert opened["target.Offline"] == 250.0
    assert opened["system.cooling"] == "air"


def test_closed_division_locks_and_adds_the_required_scenarios(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    answers["division"] = "closed"
    wizard.normalise("scenarios", answers, ctx)
    bench = rules.get_benchmark("resnet50")
    required = [s.value for s in rules.required_scenarios(bench, Category.EDGE)]
    assert answers["scenarios"] == required
    q = questions("scenarios", answers, ctx)
    assert [c.value for c in q["scenarios"].choices if c.locked] == required
    assert all(c.locked for c in q["modes"].choices)
    # a required scenario cannot be dropped
    answers["scenarios"] = ["Offline"]
    assert wizard.check_step("scenarios", answers, ctx) == []
    assert answers["scenarios"] == required


def test_only_allowed_scenarios_are_offered(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    q = questions("scenarios", answers, ctx)["scenarios"]
    bench = rules.get_benchmark("resnet50")
    allowed = rules.allowed_scenarios(bench, Category.EDGE, Division.OPEN)
    assert [c.value for c in q.choices] == [s.value for s in allowed]
    assert "Server" not in [c.value for c in q.choices]


def test_the_category_decides_the_benchmark_list(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    for category in (Category.EDGE, Category.DATACENTER):
        answers["category"] = category.value
        offered = [c.value for c in questions("benchmark", answers, ctx)["benchmark"].choices]
        suite = [b.name for b in rules.get_round().benchmarks.values() if category in b.categories]
        assert sorted(offered) == sorted(suite)
    # a benchmark outside the new category's suite is replaced by one inside it
    answers.update(category="datacenter", benchmark="resnet50")
    wizard.normalise("benchmark", answers, ctx)
    assert Category.DATACENTER in rules.get_benchmark(answers["benchmark"]).categories


@pytest.mark.parametrize("version", rules.ROUNDS)
def test_every_round_offers_exactly_its_benchmarks(ctx: wizard.WizardContext, version: str) -> None:
    answers = wizard.default_answers()
    answers["round"] = version
    offered = set()
    for category in Category:
        answers["category"] = category.value
        offered |= {c.value for c in wizard.benchmark_choices(answers, ctx)}
    in_suites = {b.name for b in rules.get_round(version).benchmarks.values() if b.categories}
    assert offered == in_suites


GROUPS = [
    "Built in: runs here",
    "Through your serving engine",
    "Import your harness's LoadGen logs",
]


def test_the_benchmark_list_is_grouped_by_what_runs_it(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    answers["category"] = "datacenter"
    q = questions("benchmark", answers, ctx)["benchmark"]
    assert q.searchable and q.columns[0] == "needs"
    groups = [c.group for c in q.choices]
    # built in first, then the engine group, then import; each group in one block
    assert groups == sorted(groups, key=GROUPS.index)
    by_name = {c.value: c for c in q.choices}
    assert by_name["3d-unet-99"].group == GROUPS[0]
    assert "runs here" in by_name["3d-unet-99"].detail[0]
    assert "valid run caches" in by_name["3d-unet-99"].detail[0]
    assert by_name["llama3.1-8b"].group == GROUPS[1]
    assert "engine" in by_name["llama3.1-8b"].detail[0]
    assert by_name["rgat"].group == GROUPS[2]


def test_the_harness_follows_the_benchmark(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    answers.update(category="datacenter", benchmark="llama3.1-8b")
    wizard.normalise("benchmark", answers, ctx)
    assert answers["harness"] == "endpoint"
    q = questions("benchmark", answers, ctx)["harness"]
    assert [c.value for c in q.choices] == ["endpoint", "import"]
    answers.update(benchmark="rgat")
    wizard.normalise("benchmark", answers, ctx)
    assert answers["harness"] == "import"


def test_division_step_states_the_implications(ctx: wizard.WizardContext) -> None:
    bench = rules.get_benchmark("resnet50")
    closed = "\n".join(wizard.implications(bench, Division.CLOSED, Category.EDGE))
    for test in rules.compliance_tests(bench, Division.CLOSED):
        assert test in closed
    assert f"{bench.accuracy[0].threshold:.5g}" in closed
    opened = "\n".join(wizard.implications(bench, Division.OPEN, Category.EDGE))
    assert "Compliance tests: none" in opened


def test_hardware_asks_what_detection_cannot_know(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    q = questions("hardware", answers, ctx)
    asked = [k.removeprefix(wizard.SYSTEM_PREFIX) for k in q if k.startswith(wizard.SYSTEM_PREFIX)]
    assert "status" in asked
    status = q["system.status"]
    assert status.kind == Kind.CHOICE
    field = next(f for f in rules.get_round().system_fields if f.name == "status")
    assert [c.value for c in status.choices][1:] == list(field.allowed)


def test_bad_numbers_are_reported_not_raised(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    walk(answers, ctx)
    answers["batch_size"] = "many"
    assert "not a whole number" in wizard.check_step("settings", answers, ctx)[0]
    answers["batch_size"] = "0"
    problems = wizard.check_step("settings", answers, ctx)
    assert problems and "batch_size" in problems[0]


def test_valid_execution_with_a_small_synthetic_data_set_says_how_to_fix(
    ctx: wizard.WizardContext,
) -> None:
    answers = wizard.default_answers()
    walk(answers, ctx)
    answers["execution"] = "valid"
    problems = wizard.check_step("settings", answers, ctx)
    assert problems and "count" in problems[0]


def test_targets_follow_the_chosen_scenarios(ctx: wizard.WizardContext) -> None:
    answers = wizard.default_answers()
    walk(answers, ctx)
    q = questions("settings", answers, ctx)
    assert "latency" in q["target.SingleStream"].prompt
    assert "queries/s" in q["target.Offline"].prompt
    answers["target.SingleStream"] = "2.5"
    assert wizard.check_step("settings", answers, ctx) == []
    profile = wizard.build_profile(answers)
    assert profile.targets[rules.model.Scenario.SINGLE_STREAM].target_latency_ms == 2.5
    answers["scenarios"] = ["Offline"]
    wizard.normalise("settings", answers, ctx)
    assert "target.SingleStream" not in answers


def test_asset_check_on_the_spot(ctx: wizard.WizardContext, tmp_path: Path) -> None:
    answers = wizard.default_answers()
    assert all(c.ok for c in wizard.check_assets(answers))
    answers["model_source"] = "path"
    answers["model_path"] = str(tmp_path / "missing.onnx")
    answers["dataset_source"] = "path"
    answers["dataset_path"] = str(tmp_path)
    model, dataset = wizard.check_assets(answers)
    assert not model.ok and "does not exist" in model.message and model.fix
    assert not dataset.ok and "val_map.txt" in dataset.message


def test_saving_never_overwrites_silently(ctx: wizard.WizardContext, tmp_path: Path) -> None:
    answers = wizard.default_answers()
    target = tmp_path / "p.yaml"
    target.write_text("mine")
    with pytest.raises(ProfileError):
        wizard.save_answers(answers, target)
    assert target.read_text() == "mine"
    wizard.save_answers(answers, target, overwrite=True)
    assert load_profile(target) == default_profile()


Scripted = MappingAsker


def test_plain_prompts_write_the_quickstart_with_default_answers(tmp_path: Path) -> None:
    asker = Scripted()
    saved = run_plain(asker, probe=FrozenProbe(), profiles_dir=tmp_path, echo=lambda s: None)
    assert saved == tmp_path / "my-profile.yaml"
    assert saved.read_text() == dump_profile(default_profile())
    assert "benchmark" in asker.asked and "save_path" in asker.asked


def test_plain_prompts_ask_again_after_a_bad_answer(tmp_path: Path) -> None:
    lines: list[str] = []
    answers = iter(["0", "8"])

    class Fixing(Scripted):
        def ask(self, question: Question, default: Any) -> Any:
            if question.key == "batch_size":
                return next(answers)
            return super().ask(question, default)

    saved = run_plain(
        Fixing(interactive=True), probe=FrozenProbe(), profiles_dir=tmp_path, echo=lines.append
    )
    assert load_profile(saved).backend.batch_size == 8
    assert any("batch_size" in line and "✗" in line for line in lines)


def test_calibrate_tunes_the_backend_and_suggests_a_target_per_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPERF_TUI_CACHE", str(tmp_path / "cache"))
    answers = wizard.default_answers()
    answers.update({"model_kind": "tiny", "dataset_count": 16})
    monkeypatch.setattr(checks, "CALIBRATE_POINT_SECONDS", 0.02)  # the real sweep, shorter
    shown: list[str] = []
    suggested, chosen = wizard.calibrate_targets(answers, tmp_path, on_progress=shown.append)
    targets = {k: v for k, v in suggested.items() if k.startswith("target.")}
    assert set(targets) == {"target.SingleStream", "target.Offline"}
    assert all(v > 0 for v in targets.values())
    assert "Offline:" in chosen and "SingleStream:" in chosen
    assert any(t.startswith("Tuning 1/") for t in shown)
    answers.update(suggested)
    profile = wizard.build_profile(answers)  # the suggestions are valid settings and targets
    assert profile.targets
    assert profile.backend.streams == suggested["streams"]
    assert profile.backend.batch_size == suggested["batch_size"]


def test_the_wizard_core_loads_no_ui_library() -> None:
    import json
    import subprocess
    import sys

    code = (
        "import sys, json, mlperf_tui.wizard, mlperf_tui.plain\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'textual', 'rich', 'questionary'})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_cli_offers_the_wizard_and_the_checklist(tmp_path: Path) -> None:
    from mlperf_tui import cli
    from mlperf_tui.errors import ExitCode

    args = cli.build_parser().parse_args(["wizard", "--plain"])
    assert args.plain is True
    args = cli.build_parser().parse_args(["checklist", str(tmp_path)])
    assert args.package == str(tmp_path)
    assert cli.main(["checklist", str(tmp_path / "missing")]) == int(ExitCode.BAD_INPUT)


def _all_questions(answers: wizard.Answers, ctx: wizard.WizardContext) -> list[Question]:
    out = []
    for step in wizard.STEPS:
        if step.applies(answers):
            wizard.normalise(step.id, answers, ctx)
            out += [q for q in step.questions(answers, ctx) if q.applies(answers)]
    return out


@pytest.mark.parametrize(
    ("benchmark", "category", "harness"),
    [
        ("resnet50", "edge", "builtin"),
        ("llama3.1-8b", "datacenter", "endpoint"),
        ("rgat", "datacenter", "import"),
    ],
)
def test_every_field_has_help(
    ctx: wizard.WizardContext, benchmark: str, category: str, harness: str
) -> None:
    answers = wizard.default_answers()
    answers.update(benchmark=benchmark, category=category, harness=harness, start="open")
    for q in _all_questions(answers, ctx):
        assert len(q.help) > 20, q.key
        text = q.help_text()
        assert q.help in text
        if q.rule:
            assert f"Rule: {q.rule}" in text
        for choice in q.choices:
            if choice.help:
                assert choice.help in text


def test_the_engine_path_saves_an_endpoint_profile(tmp_path: Path) -> None:
    asker = Scripted(
        {
            "category": "datacenter",
            "benchmark": "llama3.1-8b",
            "endpoint_url": "http://127.0.0.1:8080/v1",
            "endpoint_model": "tiny-llama",
            "endpoint_api_key_env": "MY_KEY",
            "save_path": str(tmp_path / "llm.yaml"),
        }
    )
    saved = run_plain(asker, probe=FrozenProbe(), profiles_dir=tmp_path, echo=lambda s: None)
    profile = load_profile(saved)
    assert profile.harness == "endpoint"
    assert profile.endpoint is not None and profile.endpoint.url == "http://127.0.0.1:8080/v1"
    assert profile.endpoint.model == "tiny-llama" and profile.endpoint.api_key_env == "MY_KEY"
    # the prompts and the served model's tokenizer: by default the stand-ins
    assert profile.assets is not None and profile.assets.model.kind == "tiny-engine"
    assert profile.assets.dataset.source == "synthetic"
    assert "endpoint_url" in asker.asked and "model_source" in asker.asked
    assert "batch_size" not in asker.asked and "model_url" not in asker.asked
    text = saved.read_text()
    assert "backend:" not in text and "MY_KEY" in text
    # the answers come back from the file
    assert wizard.open_profile(saved)["endpoint_model"] == "tiny-llama"


def test_the_import_path_saves_an_import_profile(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    asker = Scripted(
        {
            "category": "datacenter",
            "benchmark": "rgat",
            "import_from": str(logs),
            "save_path": str(tmp_path / "imported.yaml"),
        }
    )
    saved = run_plain(asker, probe=FrozenProbe(), profiles_dir=tmp_path, echo=lambda s: None)
    profile = load_profile(saved)
    assert profile.harness == "import" and profile.import_from == str(logs)
    assert "import_from" in asker.asked and "batch_size" not in asker.asked


def test_an_endpoint_profile_needs_an_llm_and_its_engine() -> None:
    data = wizard.profile_data(wizard.default_answers())
    data.update(harness="endpoint", endpoint={"url": "http://x/v1", "model": "m"})
    del data["backend"], data["assets"]
    from mlperf_tui.profile import Profile

    with pytest.raises(ProfileError, match="cannot drive resnet50 through a serving engine") as e:
        Profile.model_validate(data)
    assert "llama2-70b-99.9, llama3.1-8b, llama3.1-8b-edge" in e.value.fix
    # an LLM the engine path knows: it needs the engine and the prompts' assets
    data.update(benchmark="llama3.1-8b", category="datacenter", scenarios=["Offline"])
    data.pop("endpoint")
    with pytest.raises(ProfileError, match="the endpoint: block is missing"):
        Profile.model_validate(data)
    data["endpoint"] = {"url": "http://x/v1", "model": "m"}
    with pytest.raises(ProfileError, match="an endpoint run needs the data set of prompts"):
        Profile.model_validate(data)
