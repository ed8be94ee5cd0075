"""The LLM data sets: generated stand-ins in the references' formats, read back as the
references read them, and the errors a user meets with a wrong or broken file."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from harness.datasets.llm import (
    ALPACA_PROMPT_INPUT,
    DATASET_FILES,
    GPTJ_MAX_INPUT_TOKENS,
    LLAMA3_INSTRUCTION,
    check_dataset,
    load_tokenizer,
    open_llm_dataset,
    read_references,
)
from harness.tasks import DatasetError
from mlperf_tui.benchmarks.llm import data
from mlperf_tui.errors import AssetError

pd = pytest.importorskip("pandas")


def build_tokenizer(folder: Path, *, clean_up: bool = False) -> Path:
    """A small byte-level BPE with a BOS-prepending post-processor, like the tiny engine's."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    text = [
        "The committee said on Tuesday that the new rules would take effect next year. "
        "Mr. Smith told reporters in London that the U.S. plan was important, and added more."
    ] * 20
    tok.train_from_iterator(text, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    config = {"bos_token": "<s>", "eos_token": "</s>", "clean_up_tokenization_spaces": clean_up}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, tokdir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("llm-data")
    return {
        fmt: data.synthesize(fmt, 12, 5, root / fmt, tokdir / "tokenizer.json")
        for fmt in data.FORMATS
    }


# --- formats ---------------------------------------------------------------------------------


def test_the_stand_ins_carry_the_reference_file_names(generated: dict[str, Path]) -> None:
    for fmt, path in generated.items():
        assert path.name == DATASET_FILES[fmt][0] == data.MARKERS[fmt]


def test_open_orca_stand_in_is_a_dataframe_with_the_reference_columns_and_dtypes(
    generated: dict[str, Path],
) -> None:
    frame = pd.read_pickle(generated["open-orca"])
    assert list(frame.columns) == [
        "id", "system_prompt", "question", "output", "input", "tok_input", "tok_output",
        "origin", "tok_input_length", "tok_output_length",
    ]  # fmt: skip
    assert len(frame) == 12
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["tok_input_length"].dtype == np.int64
    assert all(isinstance(t, list) and all(isinstance(i, int) for i in t) for t in frame.tok_input)
    assert (frame.tok_input.map(len) == frame.tok_input_length).all()
    assert all(i.startswith("<s>[INST] ") and i.endswith(" [/INST]") for i in frame["input"])
    assert set(frame.origin) <= {"cot", "flan", "niv", "t0"}
    assert all(i.split(".")[0] == o for i, o in zip(frame["id"], frame.origin, strict=True))


def test_cnn_stand_ins_are_json_records_with_the_reference_keys(
    generated: dict[str, Path],
) -> None:
    llama3 = json.loads(generated["cnn-dailymail-llama3"].read_text(encoding="utf-8"))
    assert [sorted(r) for r in llama3] == [["input", "instruction", "output", "tok_input"]] * 12
    assert llama3[0]["instruction"] == {"llama": LLAMA3_INSTRUCTION}
    gptj = json.loads(generated["cnn-dailymail-gptj"].read_text(encoding="utf-8"))
    assert [sorted(r) for r in gptj] == [["input", "instruction", "output"]] * 12
    assert gptj[0]["instruction"] == "Summarize the following news article:"
    # highlights as CNN/DailyMail writes them: one a line, each ending " ."
    assert all(line.endswith(" .") for r in gptj for line in r["output"].split("\n"))


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path, tokdir: Path) -> None:
    for fmt in data.FORMATS:
        a = data.synthesize(fmt, 5, 1, tmp_path / "a" / fmt, tokdir / "tokenizer.json")
        b = data.synthesize(fmt, 5, 1, tmp_path / "b" / fmt, tokdir / "tokenizer.json")
        c = data.synthesize(fmt, 5, 2, tmp_path / "c" / fmt, tokdir / "tokenizer.json")
        if fmt == "open-orca":
            pd.testing.assert_frame_equal(pd.read_pickle(a), pd.read_pickle(b))
            assert not pd.read_pickle(a).equals(pd.read_pickle(c))
        else:
            assert a.read_bytes() == b.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("fmt", data.FORMATS)
def test_round_trip_prompts_ids_and_references(
    fmt: str, generated: dict[str, Path], tokdir: Path
) -> None:
    ds = open_llm_dataset(generated[fmt].parent, fmt, tokenizer_dir=tokdir)
    assert ds.format == fmt and ds.total_count == 12
    tokenizer = load_tokenizer(tokdir)
    for i in range(ds.total_count):
        s = ds.sample(i)
        assert s.reference and s.prompt
        assert s.input_ids == tuple(ds.input_ids(i).tolist())
        assert ds.input_length(i) == len(s.input_ids)
        # the ids are the prompt's tokens with the tokenizer's own BOS, as the references made them
        expected = tokenizer.encode(s.prompt).ids
        if fmt == "cnn-dailymail-gptj":
            expected = expected[:GPTJ_MAX_INPUT_TOKENS]
        assert list(s.input_ids) == expected
    assert read_references(generated[fmt], fmt) == [ds.sample(i).reference for i in range(12)]


def test_gptj_prompt_is_the_alpaca_template(generated: dict[str, Path], tokdir: Path) -> None:
    records = json.loads(generated["cnn-dailymail-gptj"].read_text(encoding="utf-8"))
    ds = open_llm_dataset(
        generated["cnn-dailymail-gptj"], "cnn-dailymail-gptj", tokenizer_dir=tokdir
    )
    assert ds.sample(3).prompt == ALPACA_PROMPT_INPUT.format_map(records[3])


def test_gptj_prompts_are_cut_to_the_references_1919_tokens(tmp_path: Path, tokdir: Path) -> None:
    long = " ".join(["x9q"] * 3000)
    path = tmp_path / "cnn_eval.json"
    path.write_text(json.dumps([{"instruction": "S:", "input": long, "output": "y"}]))
    ds = open_llm_dataset(path, "cnn-dailymail-gptj", tokenizer_dir=tokdir)
    assert ds.input_length(0) == GPTJ_MAX_INPUT_TOKENS


def test_count_keeps_the_first_samples_and_is_clamped(generated: dict[str, Path]) -> None:
    path = generated["open-orca"]
    assert open_llm_dataset(path, "open-orca", count=4).total_count == 4
    assert open_llm_dataset(path, "open-orca", count=1000).total_count == 12
    full = open_llm_dataset(path, "open-orca")
    assert open_llm_dataset(path, "open-orca", count=4).sample(3) == full.sample(3)
    with pytest.raises(DatasetError, match="at least 1"):
        open_llm_dataset(path, "open-orca", count=0)


def test_input_ids_view_is_read_only(generated: dict[str, Path]) -> None:
    ds = open_llm_dataset(generated["open-orca"], "open-orca")
    assert ds.input_ids(0).dtype == np.int32
    with pytest.raises(ValueError):
        ds.input_ids(0)[0] = 1
    with pytest.raises(IndexError):
        ds.sample(12)


def test_pandas_column_oriented_json_is_read_too(
    tmp_path: Path, generated: dict[str, Path]
) -> None:
    frame = pd.read_json(generated["cnn-dailymail-llama3"])
    path = tmp_path / "cnn_eval.json"
    frame.to_json(path)  # pandas' default orientation: {"column": {"0": value, ...}}
    a = open_llm_dataset(path, "cnn-dailymail-llama3")
    b = open_llm_dataset(generated["cnn-dailymail-llama3"], "cnn-dailymail-llama3")
    assert [a.sample(i) for i in range(12)] == [b.sample(i) for i in range(12)]


def test_edge_file_name_is_found_in_a_folder(tmp_path: Path, tokdir: Path) -> None:
    path = data.synthesize(
        "cnn-dailymail-llama3",
        3,
        1,
        tmp_path,
        tokdir / "tokenizer.json",
        file_name=data.CNN_EDGE_FILE,
    )
    assert path.name == "sample_cnn_eval_5000.json"
    assert open_llm_dataset(tmp_path, "cnn-dailymail-llama3").total_count == 3


# --- errors ----------------------------------------------------------------------------------


def test_missing_file_and_folder_say_what_to_point_at(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist") as err:
        open_llm_dataset(tmp_path / "nope.pkl", "open-orca")
    assert "open_orca_gpt4_tokenized_llama.sampled_24576.pkl" in err.value.fix
    with pytest.raises(DatasetError, match="no open_orca_gpt4"):
        open_llm_dataset(tmp_path, "open-orca")


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown LLM data set format") as err:
        open_llm_dataset(tmp_path, "squad")
    assert "open-orca" in err.value.fix


def test_unreadable_pickle(tmp_path: Path) -> None:
    path = tmp_path / "open_orca_gpt4_tokenized_llama.sampled_24576.pkl"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(DatasetError, match=r"cannot read .* as a pickled DataFrame") as err:
        open_llm_dataset(path, "open-orca")
    assert "re-download" in err.value.fix
    path.write_bytes(pickle.dumps({"a": 1})[:5])  # truncated
    with pytest.raises(DatasetError, match="pickled DataFrame"):
        open_llm_dataset(path, "open-orca")


def test_wrong_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "open_orca_gpt4_tokenized_llama.sampled_24576.pkl"
    pd.DataFrame({"question": ["q"], "response": ["r"]}).to_pickle(path)
    with pytest.raises(DatasetError, match="lacks the column") as err:
        open_llm_dataset(path, "open-orca")
    assert "input, tok_input, output" in err.value.message
    assert "has: question, response" in err.value.message


def test_a_pickle_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "open_orca_gpt4_tokenized_llama.sampled_24576.pkl"
    pd.to_pickle(42, path)
    with pytest.raises(DatasetError, match="not a table of samples"):
        open_llm_dataset(path, "open-orca")


def test_bad_json_empty_and_bad_records(tmp_path: Path) -> None:
    path = tmp_path / "cnn_eval.json"
    path.write_text('[{"input": "a", ')
    with pytest.raises(DatasetError, match="not valid JSON"):
        open_llm_dataset(path, "cnn-dailymail-llama3")
    path.write_text("[]")
    with pytest.raises(DatasetError, match="holds no samples"):
        open_llm_dataset(path, "cnn-dailymail-llama3")
    path.write_text("[1, 2]")
    with pytest.raises(DatasetError, match="not a list of records"):
        open_llm_dataset(path, "cnn-dailymail-llama3")
    path.write_text(json.dumps([{"input": "a", "output": "b"}]))
    with pytest.raises(DatasetError, match=r"lacks the column.*tok_input"):
        open_llm_dataset(path, "cnn-dailymail-llama3")


@pytest.mark.parametrize("bad", ["1 2 3", [], [1.5, 2.0], [[1, 2]], [-1], None])
def test_token_ids_that_are_not_ids(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "cnn_eval.json"
    path.write_text(json.dumps([{"input": "a", "tok_input": bad, "output": "b"}]))
    with pytest.raises(DatasetError, match="sample 0: tok_input is not a list of token ids"):
        open_llm_dataset(path, "cnn-dailymail-llama3")
    with pytest.raises(DatasetError, match="sample 0"):
        check_dataset(path, "cnn-dailymail-llama3")


def test_text_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "cnn_eval.json"
    path.write_text(json.dumps([{"instruction": "S:", "input": 5, "output": "b"}]))
    with pytest.raises(DatasetError, match="sample 0: input is a int, not text"):
        check_dataset(path, "cnn-dailymail-gptj")


def test_gptj_needs_the_tokenizer(generated: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="needs the model's tokenizer") as err:
        open_llm_dataset(generated["cnn-dailymail-gptj"], "cnn-dailymail-gptj")
    assert "tokenizer.json" in err.value.fix
    with pytest.raises(DatasetError, match=r"no tokenizer\.json"):
        open_llm_dataset(
            generated["cnn-dailymail-gptj"], "cnn-dailymail-gptj", tokenizer_dir=tmp_path
        )
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(DatasetError, match="cannot read the tokenizer"):
        load_tokenizer(tmp_path)


# --- the product's checks --------------------------------------------------------------------


def test_check_and_count_of_good_and_bad_data_sets(
    generated: dict[str, Path], tmp_path: Path
) -> None:
    for fmt, path in generated.items():
        assert data.check_llm_dataset(path.parent, fmt) == 12
        assert data.check_llm_dataset(path, fmt) == 12
        assert data.count_samples(path.parent, fmt) == 12
    assert data.count_samples(tmp_path, "open-orca") == 0
    with pytest.raises(AssetError, match="does not exist") as err:
        data.check_llm_dataset(tmp_path / "missing", "open-orca")
    assert "synthetic" in err.value.fix
    (tmp_path / "cnn_eval.json").write_text(json.dumps([{"input": "a", "output": "b"}]))
    with pytest.raises(AssetError, match="lacks the column"):
        data.check_llm_dataset(tmp_path, "cnn-dailymail-llama3")
    # a gpt-j file is not a llama3.1-8b one, though both are cnn_eval.json
    gptj = generated["cnn-dailymail-gptj"]
    assert data.count_samples(gptj, "cnn-dailymail-llama3") == 0


def test_stand_in_needs_the_tokenizer(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="no tokenizer") as err:
        data.synthesize("open-orca", 3, 1, tmp_path, tmp_path / "tokenizer.json")
    assert "engine stand-in" in err.value.fix
    with pytest.raises(AssetError, match="unknown LLM data set format"):
        data.synthesize("imagenet", 3, 1, tmp_path, tmp_path / "tokenizer.json")


def test_benchmark_table_names_the_rules_benchmarks() -> None:
    assert data.BENCHMARK_DATASETS["llama3.1-8b-edge"] == (
        "cnn-dailymail-llama3",
        data.CNN_EDGE_FILE,
    )
    assert set(data.BENCHMARK_DATASETS) == set(data.REAL_COUNTS)
