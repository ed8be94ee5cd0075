"""RUN.json (what ``python -m harness run --config`` reads) and user.conf (what the importer
reads beside another harness's logs) fed random and mutated input: a valid config or the
harness's ConfigError with a fix; an import plan or the importer's refusal with a fix. Never a
crash.

The seeds are real: RUN.json as :meth:`harness.config.RunConfig.write` writes it (a built-in
runtime run, and an LLM run against an engine's endpoint), user.conf as the runner writes it
(:meth:`mlperf_tui.run.plan.PlannedRun.user_conf`). A config that loads also writes back and
reloads to the same config.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from corpus import mllog, parts
from corpus.mllog import Run
from hostile_inputs import HOSTILE, SNIPPETS, encoded, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st

from harness.config import (
    BackendOptions,
    EndpointOptions,
    RunConfig,
    load_run_config,
    parse_run_config,
)
from harness.errors import ConfigError
from mlperf_tui import rules
from mlperf_tui.errors import MlperfTuiError
from mlperf_tui.importer import ImportRequest, import_profile, plan_import
from mlperf_tui.rules.model import Mode, Scenario
from mlperf_tui.run.plan import PlannedRun

RUN_SNIPPETS = (
    *SNIPPETS,
    '"schema_version": true',
    '"scenario": "Ofline"',
    '"model_path": "relative/model.onnx"',
    '"model_path": "~nobody-here/model.onnx"',
    '"cache_dir": "/abs/\\u0000nul"',
    '"progress_interval_s": NaN',
    '"server_max_wait_ms": 1e999',
    '"dataset_count": 0',
    '"backend": {"name": "tensorrt"}',
    '"batch_size": 1' + "0" * 400,
    '"endpoint": {"base_url": "ftp://x"}',
    '"extra_body": {"stream": false}',
    '"task_options": {"preprocessing": [1]}',
    '"task_options": {"scale": NaN}',
    '"task_options": {"scale": -Infinity}',
)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """RUN.json of a runtime run and of an endpoint run, written by RunConfig.write, over
    files that exist (so the unchanged seeds load)."""
    root = tmp_path_factory.mktemp("run-config")
    (root / "model.onnx").write_bytes(b"onnx")
    (root / "imagenet").mkdir()
    (root / "prompts.pkl").write_bytes(b"prompts")
    (root / "tokenizer").mkdir()
    (root / "user.conf").write_text("resnet50.Offline.target_qps = 100\n", encoding="utf-8")
    (root / "audit.config").write_text("*.*.mode = 2\n", encoding="utf-8")
    runtime = RunConfig(
        benchmark="resnet50",
        loadgen_model="resnet50",
        task="imagenet_classification",
        task_options={"preprocessing": "resnet"},
        scenario="Offline",
        mode="performance",
        audit_config=root / "audit.config",
        model_path=root / "model.onnx",
        dataset_path=root / "imagenet",
        dataset_count=64,
        cache_dir=root / "cache",
        backend=BackendOptions(intra_op_threads=2, batch_size=8),
        user_conf=root / "user.conf",
        output_dir=root / "out",
    )
    endpoint = RunConfig(
        benchmark="llama2-70b-99",
        loadgen_model="llama2-70b",
        task="llm_summarization",
        scenario="Server",
        mode="accuracy",
        model_path=None,
        dataset_path=root / "prompts.pkl",
        cache_dir=root / "cache",
        backend=BackendOptions(),
        user_conf=root / "user.conf",
        output_dir=root / "out",
        endpoint=EndpointOptions(
            base_url="http://127.0.0.1:8000/v1",
            model="llama2-70b",
            dataset_format="open-orca",
            api_key_env="ENGINE_KEY",
            tokenizer_dir=root / "tokenizer",
            extra_body={"ignore_eos": False, "min_tokens": 1},
        ),
    )
    texts = {}
    for name, config in (("runtime", runtime), ("endpoint", endpoint)):
        path = config.write(root / f"{name}.json")
        assert load_run_config(path) == config  # the seed itself is valid
        texts[name] = path.read_text(encoding="utf-8")
    return texts


def _loaded_or_refused(path: Path) -> None:
    """load_run_config gives a config that round-trips, or a ConfigError with a fix."""
    try:
        config = load_run_config(path)
    except ConfigError as exc:
        assert exc.message and exc.fix, exc
        assert "\n" not in exc.message and "\n" not in exc.fix, exc
        assert len(exc.message) < 1000, exc.message
        return
    again = config.write(path.with_name("again.json"))
    assert load_run_config(again) == config


def _file(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "RUN.json"
    path.write_bytes(raw)
    return path


@HOSTILE
@given(
    st.sampled_from(["runtime", "endpoint"]),
    st.data(),
    st.binary(max_size=6),
    st.integers(0, 2000),
)
def test_a_mutated_run_json_is_loaded_or_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory,
    seeds: dict[str, str],
    seed: str,
    data: st.DataObject,
    junk: bytes,
    where: int,
) -> None:
    raw = encoded(data.draw(mutated(seeds[seed], RUN_SNIPPETS)))
    _loaded_or_refused(_file(tmp_path_factory, raw[:where] + junk + raw[where:]))


@HOSTILE
@given(
    st.one_of(st.text(max_size=300), st.binary(max_size=300).map(repr), st.sampled_from(SNIPPETS))
)
def test_random_text_is_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    _loaded_or_refused(_file(tmp_path_factory, encoded(text)))


#: every key of both seeds, nested ones as "block.key"
KEYS = sorted(
    {
        *RunConfig.__dataclass_fields__,
        "schema_version",
        *(f"backend.{k}" for k in BackendOptions.__dataclass_fields__),
        *(f"endpoint.{k}" for k in EndpointOptions.__dataclass_fields__),
        "unknown",
        "backend.unknown",
        "endpoint.unknown",
    }
)


@HOSTILE
@given(
    st.sampled_from(["runtime", "endpoint"]),
    st.sampled_from(KEYS),
    st.one_of(json_values(), st.just(KeyError)),
)
def test_any_value_under_any_key_is_a_config_or_a_config_error(
    tmp_path_factory: pytest.TempPathFactory,
    seeds: dict[str, str],
    seed: str,
    key: str,
    value: Any,
) -> None:
    doc = json.loads(seeds[seed])
    block, _, name = key.rpartition(".")
    target = doc.setdefault(block, {}) if block else doc
    if not isinstance(target, dict):
        return  # a runtime run's endpoint is absent: doc["endpoint"] became {}
    if value is KeyError:  # the key left out
        target.pop(name, None)
    else:
        target[name] = value
    try:
        parse_run_config(doc)
    except ConfigError as exc:
        assert exc.message and exc.fix and "\n" not in exc.message, exc
    _loaded_or_refused(_file(tmp_path_factory, json.dumps(doc, allow_nan=True).encode()))


#: a task option may be a whole number of any size (the task reads it); not NaN or infinite
NOT_FINITE = [
    *((key, value) for key in ("task_options", "progress_interval_s", "server_max_wait_ms")
      for value in (math.nan, math.inf, -math.inf)),
    ("progress_interval_s", 10**400),  # too large for a float
    ("server_max_wait_ms", 10**400),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value"), NOT_FINITE)
def test_a_number_that_is_not_finite_or_too_large_is_refused(
    tmp_path: Path, seeds: dict[str, str], key: str, value: float
) -> None:
    doc = json.loads(seeds["runtime"])
    doc[key] = {"scale": value} if key == "task_options" else value
    path = tmp_path / "RUN.json"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")  # NaN, Infinity
    with pytest.raises(ConfigError, match=key):
        load_run_config(path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("model_path", "~nobody-here-at-all/model.onnx", "unknown home folder"),
        ("cache_dir", "/abs/\0nul", "NUL character"),
        ("output_dir", "relative/out", "relative path"),
        ("scenario", "Offline" * 1000, "scenario is"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_in_one_line(
    tmp_path: Path, seeds: dict[str, str], key: str, value: str, message: str
) -> None:
    doc = json.loads(seeds["runtime"])
    doc[key] = value
    path = tmp_path / "RUN.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as raised:
        load_run_config(path)
    assert len(raised.value.message) < 200 and "\n" not in raised.value.message


def test_a_number_of_5000_digits_is_refused(tmp_path: Path, seeds: dict[str, str]) -> None:
    text = seeds["runtime"].replace('"dataset_count": 64', '"dataset_count": ' + "9" * 5000)
    path = tmp_path / "RUN.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        load_run_config(path)


def test_a_run_json_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "RUN.json"
    path.write_text('{"task_options": ' + "[" * 100_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="nests too deeply"):
        load_run_config(path)


# -- user.conf, as the importer reads it beside another harness's logs -----------------------

ROUND = rules.get_round("v6.1")
BENCH = ROUND.benchmarks["resnet50"]
USER_CONF = PlannedRun(
    run_id="Offline-performance",
    benchmark="resnet50",
    loadgen_model="resnet50",
    task="imagenet_classification",
    scenario=Scenario.OFFLINE,
    mode=Mode.PERFORMANCE,
    compliance_test=None,
    settings={"target_qps": 1234.5, "min_duration": 600000, "min_query_count": 1},
    estimate_s=600.0,
    notes=("target_qps from the calibration: 1234.5 samples/s",),
).user_conf()
CONF_SNIPPETS = (
    *SNIPPETS,
    "bert.Offline.target_qps = 10",
    "*.Offline.target_qps = 10",
    "resnet50.*.min_duration = -1",
    "resnet50.Offline.target_qps = abc",
    "resnet50.Offline.target_qps",
    "resnet50..target_qps = 1",
    "= 5",
    "# resnet50.Offline.target_qps = 1",
)


@pytest.fixture(scope="module")
def harness_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A harness's performance run of resnet50 Offline: LoadGen's two logs (tests/corpus)."""
    source = tmp_path_factory.mktemp("harness-output") / "logs"
    run = Run(ROUND, BENCH, Scenario.OFFLINE, "performance", qps=20.0, latency_ms=4.0)
    parts.write(source / "performance" / "mlperf_log_detail.txt", mllog.detail_log(run))
    parts.write(source / "performance" / "mlperf_log_summary.txt", mllog.summary_log(run))
    return source


def _planned_or_refused(source: Path, user_conf: Path | None = None) -> None:
    profile = import_profile(
        source=source,
        benchmark="resnet50",
        scenarios=["Offline"],
        division="open",
        category="edge",
        modes=["performance"],
        submitter="Org",
        system_name="box",
    )
    try:
        plan_import(ImportRequest(profile=profile, source=source, user_conf=user_conf))
    except MlperfTuiError as exc:
        assert exc.message and exc.fix, exc


@HOSTILE
@given(
    st.one_of(mutated(USER_CONF, CONF_SNIPPETS), st.text(max_size=300)),
    st.binary(max_size=6),
    st.integers(0, 600),
    st.booleans(),
)
def test_a_mutated_user_conf_is_planned_or_refused_with_a_fix(
    harness_logs: Path, text: str, junk: bytes, where: int, beside: bool
) -> None:
    raw = encoded(text)
    raw = raw[:where] + junk + raw[where:]
    conf = harness_logs / "performance" / "user.conf"
    given_conf = harness_logs.parent / "given.conf"
    # beside the logs (found by the import), or given with --user-conf
    (conf if beside else given_conf).write_bytes(raw)
    try:
        _planned_or_refused(harness_logs, None if beside else given_conf)
    finally:
        conf.unlink(missing_ok=True)


@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_a_user_conf_that_is_no_file_is_refused_with_a_fix(
    harness_logs: Path, tmp_path: Path, kind: str
) -> None:
    given_conf = tmp_path / "user.conf"
    if kind == "folder":
        given_conf.mkdir()
    _planned_or_refused(harness_logs, given_conf)
