"""RUN.json's endpoint block: RunConfig reads and writes it, and refuses what would misrun."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from harness.config import EndpointOptions, load_run_config, parse_run_config
from harness.errors import ConfigError


def _run(tmp_path: Path, **endpoint: Any) -> dict[str, Any]:
    data = tmp_path / "cnn_eval.json"
    data.write_text("[]")
    conf = tmp_path / "user.conf"
    conf.write_text("")
    block: dict[str, Any] = {
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "llama2-70b",
        "dataset_format": "open-orca",
    }
    block.update(endpoint)
    return {
        "schema_version": 1,
        "benchmark": "llama2-70b-99.9",
        "loadgen_model": "llama2-70b",
        "task": "llm_summarization",
        "scenario": "Server",
        "mode": "performance",
        "model_path": None,
        "dataset_path": str(data),
        "cache_dir": str(tmp_path / "cache"),
        "user_conf": str(conf),
        "output_dir": str(tmp_path / "out"),
        "endpoint": block,
    }


def test_a_minimal_block_gets_the_defaults_and_needs_no_model_or_backend(tmp_path: Path) -> None:
    config = parse_run_config(_run(tmp_path))
    assert config.model_path is None
    assert config.endpoint == EndpointOptions(
        base_url="http://127.0.0.1:8000/v1", model="llama2-70b", dataset_format="open-orca"
    )
    assert config.endpoint.completions_url == "http://127.0.0.1:8000/v1/completions"
    assert config.endpoint.models_url == "http://127.0.0.1:8000/v1/models"
    # the prompt data set may be the file itself
    assert config.dataset_path.is_file()


def test_round_trip_through_run_json(tmp_path: Path) -> None:
    tok = tmp_path / "tok"
    tok.mkdir()
    config = parse_run_config(
        _run(
            tmp_path,
            base_url="https://engine.example:443/v1/",
            api_key_env="ENGINE_KEY",
            timeout_s=30,
            max_concurrency=512,
            max_tokens=128,
            dataset_format="cnn-dailymail-llama3",
            prompt_format="text",
            tokenizer_dir=str(tok),
            extra_body={"ignore_eos": False, "stop": ["</s>"], "nested": {"a": [1, 2.5]}},
        )
    )
    assert config.endpoint is not None
    assert config.endpoint.base_url == "https://engine.example:443/v1"  # trailing / dropped
    path = config.write(tmp_path / "RUN.json")
    again = load_run_config(path)
    assert again == config
    written = json.loads(path.read_text())
    assert written["model_path"] is None
    assert written["endpoint"] == {
        "base_url": "https://engine.example:443/v1",
        "model": "llama2-70b",
        "api_key_env": "ENGINE_KEY",
        "timeout_s": 30.0,
        "max_concurrency": 512,
        "max_tokens": 128,
        "dataset_format": "cnn-dailymail-llama3",
        "prompt_format": "text",
        "tokenizer_dir": str(tok),
        "extra_body": {"ignore_eos": False, "stop": ["</s>"], "nested": {"a": [1, 2.5]}},
    }


def test_a_run_without_endpoint_writes_no_endpoint_key(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"")
    data = _run(tmp_path)
    del data["endpoint"]
    data["model_path"] = str(model)
    data["dataset_path"] = str(tmp_path)
    data["backend"] = {"name": "onnxruntime"}
    config = parse_run_config(data)
    assert config.endpoint is None
    assert "endpoint" not in config.to_dict()
    assert config.write(tmp_path / "RUN.json") and load_run_config(tmp_path / "RUN.json") == config


def test_model_path_and_backend_stay_required_without_an_endpoint(tmp_path: Path) -> None:
    data = _run(tmp_path)
    del data["endpoint"]
    data["dataset_path"] = str(tmp_path)
    with pytest.raises(ConfigError, match="missing backend"):
        parse_run_config(data)
    data["backend"] = {"name": "onnxruntime"}
    with pytest.raises(ConfigError, match="model_path is null"):
        parse_run_config(data)


@pytest.mark.parametrize(
    ("change", "message", "fix"),
    [
        ({"base_ur": "x"}, "unknown key 'base_ur'", "did you mean 'base_url'"),
        ({"base_url": "127.0.0.1:8000"}, "endpoint.base_url", "http://127.0.0.1:8000/v1"),
        ({"base_url": "http://h/v1/completions"}, "endpoint.base_url", "adds /completions"),
        ({"dataset_format": "openorca"}, "endpoint.dataset_format", "did you mean 'open-orca'"),
        ({"prompt_format": "ids"}, "endpoint.prompt_format", "token_ids, text"),
        ({"max_concurrency": 0}, "endpoint.max_concurrency", ">= 1"),
        ({"timeout_s": 0}, "endpoint.timeout_s", "> 0"),
        ({"extra_body": {"stream": False}}, "sets stream", "streaming is always on"),
        ({"extra_body": {"max_tokens": 5}}, "sets max_tokens", "endpoint.max_tokens"),
        ({"extra_body": {"x": math.nan}}, "extra_body", "JSON object"),
        ({"extra_body": [1]}, "extra_body", "JSON object"),
        ({"api_key_env": ""}, "endpoint.api_key_env", "set endpoint.api_key_env"),
    ],
)
def test_wrong_values_are_refused_with_the_fix(
    tmp_path: Path, change: dict[str, Any], message: str, fix: str
) -> None:
    data = _run(tmp_path, **change)
    if "base_ur" in change:
        del data["endpoint"]["base_url"]
    with pytest.raises(ConfigError) as info:
        parse_run_config(data)
    assert message in info.value.message
    assert fix in info.value.fix


def test_missing_required_keys_are_named(tmp_path: Path) -> None:
    data = _run(tmp_path)
    del data["endpoint"]["model"]
    del data["endpoint"]["dataset_format"]
    with pytest.raises(ConfigError, match="missing model, dataset_format"):
        parse_run_config(data)
