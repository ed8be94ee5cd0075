"""LoadGen's logs fed random and mutated text: the detail and summary parsers (and the result
figures the runner reads from them) never raise, and the accuracy-log reader raises only its
AccuracyError with a fix; a log nested too deeply to parse is a bad line, not a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus import mllog
from hostile_inputs import HOSTILE, encoded, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st

from harness.accuracy_log import read_responses
from harness.errors import HarnessError
from harness.loadgen_logs import (
    MLLOG_PREFIX,
    parse_detail_log,
    parse_detail_text,
    parse_summary_log,
    parse_summary_text,
    result_figures,
)
from mlperf_tui import rules
from mlperf_tui.rules.model import Scenario


def _run(scenario: Scenario, mode: str = "performance") -> mllog.Run:
    round_rules = rules.get_round("v6.1")
    return mllog.Run(
        round=round_rules,
        bench=round_rules.benchmarks["resnet50"],
        folder=scenario,
        mode=mode,
        qps=100.0,
    )


DETAIL = mllog.detail_log(_run(Scenario.OFFLINE))
SUMMARY = mllog.summary_log(_run(Scenario.SINGLE_STREAM))
ACCURACY = mllog.accuracy_log(6)


def _figures(text: str) -> dict[str, Any]:
    figures = result_figures(parse_detail_text(text))
    json.dumps(figures, allow_nan=True)  # the runner writes them into an event
    return figures


@HOSTILE
@given(mutated(DETAIL))
def test_a_mutated_detail_log_never_crashes_the_parser(text: str) -> None:
    _figures(text)


@HOSTILE
@given(
    st.lists(json_values(), max_size=6),
    st.sampled_from(sorted(json.loads(DETAIL.splitlines()[0][len(MLLOG_PREFIX) :]))),
)
def test_records_of_any_shape_never_crash_the_parser(values: list[Any], field: str) -> None:
    lines = []
    for line in DETAIL.splitlines()[:40]:
        record = json.loads(line[len(MLLOG_PREFIX) :])
        if values:
            record[field] = values.pop()
        lines.append(MLLOG_PREFIX + json.dumps(record))
    _figures("\n".join(lines))


@pytest.mark.parametrize(
    "record",
    [
        '{"key": ["a"], "value": 1}',
        '{"key": 5, "value": 1}',
        '{"key": null, "value": 1}',
        '{"key": "k", "value": 1, "metadata": [1]}',
        '{"key": "k", "value": 1, "metadata": 5}',
        '{"key": "result_samples_per_second", "value": 1' + "0" * 400 + "}",
        '{"key": "result_90.00_percentile_latency_ns", "value": 1' + "0" * 400 + "}",
    ],
    ids=[
        "list-key",
        "number-key",
        "no-key",
        "list-metadata",
        "number-metadata",
        "400-digit-metric",
        "400-digit-percentile",
    ],
)
def test_records_of_the_wrong_shape_never_crash_the_parser(record: str) -> None:
    _figures(DETAIL + MLLOG_PREFIX + record + "\n")


def test_a_record_nested_too_deeply_is_a_bad_line() -> None:
    log = parse_detail_text(MLLOG_PREFIX + "[" * 100_000 + "\n" + DETAIL)
    assert log.bad_lines == 1
    assert log.get("result_validity") == "VALID"


@HOSTILE
@given(mutated(SUMMARY))
def test_a_mutated_summary_log_never_crashes_the_parser(text: str) -> None:
    values = parse_summary_text(text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())


@HOSTILE
@given(mutated(DETAIL[:3000] + SUMMARY), st.binary(max_size=8), st.integers(0, 4000))
def test_log_files_with_any_bytes_never_crash_the_readers(
    tmp_path_factory: pytest.TempPathFactory, text: str, junk: bytes, where: int
) -> None:
    raw = encoded(text)
    folder = tmp_path_factory.mktemp("run")
    for name in ("mlperf_log_detail.txt", "mlperf_log_summary.txt"):
        (folder / name).write_bytes(raw[:where] + junk + raw[where:])
    result_figures(parse_detail_log(folder))
    parse_summary_log(folder)


def _score(path: Path, dtype: str) -> None:
    try:
        for response in read_responses(path, dtype):
            assert response.data.ndim == 1
    except HarnessError as exc:
        assert exc.message and exc.fix, exc


@HOSTILE
@given(
    mutated(ACCURACY),
    st.binary(max_size=8),
    st.integers(0, 400),
    st.sampled_from(["int32", "float32", "uint8", "int64"]),
)
def test_a_mutated_accuracy_log_is_scored_or_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory, text: str, junk: bytes, where: int, dtype: str
) -> None:
    raw = encoded(text)
    path = tmp_path_factory.mktemp("acc") / "mlperf_log_accuracy.json"
    path.write_bytes(raw[:where] + junk + raw[where:])
    _score(path, dtype)


@HOSTILE
@given(st.lists(json_values(), max_size=5), st.booleans())
def test_accuracy_entries_of_any_shape_are_refused_with_a_fix(
    tmp_path_factory: pytest.TempPathFactory, entries: list[Any], one_line: bool
) -> None:
    path = tmp_path_factory.mktemp("acc") / "mlperf_log_accuracy.json"
    body = [json.dumps(e) for e in entries]
    path.write_text(
        json.dumps(entries) if one_line else "[\n" + ",\n".join(body) + "\n]\n",
        encoding="utf-8",
    )
    _score(path, "float32")


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80" + ACCURACY.encode(),
        ACCURACY.encode().replace(b'"qsl_idx" : 1,', b'"qsl_idx" : 1e999,'),
    ],
    ids=["not-utf-8", "infinite-index"],
)
def test_an_accuracy_log_that_is_no_log_is_refused_with_a_fix(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "mlperf_log_accuracy.json"
    path.write_bytes(raw)
    with pytest.raises(HarnessError) as raised:
        list(read_responses(path, "int32"))
    assert raised.value.fix


def test_an_accuracy_log_nested_too_deeply_is_refused_with_a_fix(tmp_path: Path) -> None:
    for text in ("[" * 100_000, "[\n" + "[" * 100_000 + "\n]\n"):
        path = tmp_path / "mlperf_log_accuracy.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(HarnessError) as raised:
            list(read_responses(path, "int32"))
        assert raised.value.fix
