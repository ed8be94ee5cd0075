"""The BERT family's registry entry (bert-99, bert-99.9), its tiny-bert stand-in and its
synthetic SQuAD set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from harness.datasets.squad import count_features, load_features
from mlperf_tui import assets, benchmarks, rules
from mlperf_tui.benchmarks.bert import data, graphs
from mlperf_tui.errors import AssetError

ENTRY = benchmarks.require("bert-99")


def test_one_entry_serves_both_bert_benchmarks() -> None:
    assert benchmarks.require("bert-99.9") is ENTRY
    assert set(benchmarks.runnable(rules.benchmark_names("v6.1"))) >= {"bert-99", "bert-99.9"}
    assert ENTRY.task == "bert_squad"
    assert ENTRY.default_model.name == "bert-large"
    assert [k.name for k in ENTRY.models] == ["bert-large", "bert-large-int8", "tiny-bert"]
    assert all(k.closed for k in ENTRY.models)
    assert ENTRY.standins == ("tiny-bert",)
    assert ENTRY.dataset.marker == "dev-v1.1.json"
    assert "SQuAD" in ENTRY.summary and "bert-99.9" in ENTRY.summary


def test_estimates_put_bert_large_far_below_the_stand_in() -> None:
    per_core = {k.name: k.per_core_throughput for k in ENTRY.models}
    assert 0 < per_core["bert-large"] < per_core["bert-large-int8"] < 1
    assert per_core["tiny-bert"] > 10


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assets.synthetic_model(ENTRY, "tiny-bert", 0, tmp_path_factory.mktemp("models"))


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def test_the_stand_in_has_the_reference_models_io_and_binds(tiny_bert: Path) -> None:
    session = _session(tiny_bert)
    assert [(i.name, i.shape[1:], i.type) for i in session.get_inputs()] == [
        (name, [384], "tensor(int64)") for name in ("input_ids", "input_mask", "segment_ids")
    ]
    assert [(o.name, o.shape[1:], o.type) for o in session.get_outputs()] == [
        (name, [384], "tensor(float)") for name in ("output_start_logits", "output_end_logits")
    ]
    binding = assets.check_model(tiny_bert, ENTRY, "tiny-bert")
    assert binding.outputs == ("output_start_logits", "output_end_logits")
    assert tiny_bert.stat().st_size < 12_000_000  # small: 30522 x 64 embeddings dominate


def test_the_stand_in_is_deterministic_from_its_seed() -> None:
    a = graphs.build_tiny_bert(3).SerializeToString()
    assert a == graphs.build_tiny_bert(3).SerializeToString()
    assert a != graphs.build_tiny_bert(4).SerializeToString()


def test_the_stand_in_masks_padding_and_answers_with_the_input(tiny_bert: Path) -> None:
    session = _session(tiny_bert)
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 30522, size=(2, 384))
    mask = np.zeros((2, 384), np.int64)
    mask[:, :200] = 1
    segments = np.zeros((2, 384), np.int64)
    segments[:, 30:200] = 1
    other = ids.copy()
    other[:, 200:] = rng.integers(1000, 30522, size=(2, 184))  # only the padding changes
    feeds = {"input_ids": ids, "input_mask": mask, "segment_ids": segments}
    start, end = session.run(None, feeds)
    start2, _ = session.run(None, {**feeds, "input_ids": other})
    np.testing.assert_allclose(start[:, :200], start2[:, :200], atol=1e-5)
    assert not np.allclose(start[0], start[1]) and not np.allclose(start, end)


@pytest.mark.parametrize("count", [1, 7, 60])
def test_the_synthetic_set_holds_exactly_the_features_asked_for(count: int, tmp_path: Path) -> None:
    data.synthesize(count, 0, tmp_path)
    assert count_features(tmp_path) == count == data.check_folder(tmp_path)
    assert ENTRY.dataset.count(tmp_path) == count


def test_the_synthetic_set_is_squad_v1_1_with_answers_in_their_paragraphs(
    tmp_path: Path,
) -> None:
    data.synthesize(120, 5, tmp_path)
    doc = json.loads((tmp_path / "dev-v1.1.json").read_text(encoding="utf-8"))
    assert doc["version"] == "1.1"
    ids = set()
    long_paragraphs = 0
    for article in doc["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            long_paragraphs += len(context.split()) > 300
            for qa in paragraph["qas"]:
                assert qa["id"] not in ids and qa["question"].endswith("?")
                ids.add(qa["id"])
                assert 1 <= len(qa["answers"]) <= 3
                for answer in qa["answers"]:
                    start = answer["answer_start"]
                    assert context[start : start + len(answer["text"])] == answer["text"]
    assert long_paragraphs >= 1  # several doc-stride windows are exercised
    vocab = (tmp_path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab[0] == "[PAD]" and {"[UNK]", "[CLS]", "[SEP]", "[MASK]"} <= set(vocab)
    assert len(vocab) == len(set(vocab)) < graphs.VOCAB_SIZE
    # every word the generator writes is in the vocabulary, whole or in ## pieces
    loaded = load_features(tmp_path)
    unk = loaded.wordpiece.vocab.index("[UNK]")
    assert unk not in loaded.features.input_ids


def test_the_synthetic_set_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    data.synthesize(30, 1, tmp_path / "a")
    data.synthesize(30, 1, tmp_path / "b")
    data.synthesize(30, 2, tmp_path / "c")
    squad = "dev-v1.1.json"
    assert (tmp_path / "a" / squad).read_bytes() == (tmp_path / "b" / squad).read_bytes()
    assert (tmp_path / "a" / squad).read_bytes() != (tmp_path / "c" / squad).read_bytes()


def test_the_assets_layer_generates_and_caches_the_set(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    folder = assets.synthetic_dataset(
        ENTRY, 40, 0, tmp_path, lambda label, done, total: calls.append((label, done, total))
    )
    assert ENTRY.dataset.locate(folder) == folder
    assert assets.check_dataset(folder, ENTRY) == 40
    assert calls[-1][1:] == (40, 40)
    assert assets.synthetic_dataset(ENTRY, 40, 0, tmp_path) == folder  # cached


def test_sample_bytes_is_what_a_cached_feature_costs(tmp_path: Path) -> None:
    (tmp_path / "squad").mkdir()
    data.synthesize(200, 0, tmp_path / "squad")
    loaded = load_features(tmp_path / "squad", tmp_path / "cache")
    assert loaded.cache_path is not None
    per_feature = loaded.cache_path.stat().st_size / loaded.features.count
    assert ENTRY.dataset.sample_bytes <= per_feature < ENTRY.dataset.sample_bytes * 1.1


def test_a_folder_that_is_not_squad_is_refused_with_a_fix(tmp_path: Path) -> None:
    assert ENTRY.dataset.count(tmp_path) == 0
    with pytest.raises(AssetError) as err:
        data.check_folder(tmp_path)
    assert "no dev-v1.1.json" in err.value.message and "vocab.txt" in err.value.fix
    (tmp_path / "dev-v1.1.json").write_text("{}")
    with pytest.raises(AssetError, match=r"no vocab\.txt"):
        data.check_folder(tmp_path)
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n")
    with pytest.raises(AssetError, match=r"not a SQuAD v1\.1 file"):
        data.check_folder(tmp_path)
    with pytest.raises(AssetError, match="does not exist"):
        data.check_folder(tmp_path / "missing")


def test_a_resnet_model_does_not_fit_bert(tmp_path: Path) -> None:
    resnet = assets.synthetic_model(benchmarks.require("resnet50"), "tiny", 0, tmp_path)
    with pytest.raises(AssetError) as err:
        assets.check_model(resnet, ENTRY, "bert-large")
    assert "no input_ids input" in err.value.message


def test_pre_flight_figures_match_what_the_harness_makes(tiny_bert: Path, tmp_path: Path) -> None:
    from harness.tasks import get_task

    assert ENTRY.model("tiny-bert").standin_bytes == tiny_bert.stat().st_size
    ds = ENTRY.dataset
    assert ds.response_bytes == get_task("bert_squad").response_size == 384 * 2 * 4
    assert ds.loaded_sample_bytes == 3 * 384 * np.dtype(np.int64).itemsize
    folder = assets.synthetic_dataset(ENTRY, 50, 0, tmp_path)
    generated = (
        sum(p.stat().st_size for p in folder.iterdir()) - (folder / "vocab.txt").stat().st_size
    )
    assert ds.generated_sample_bytes is not None
    assert 0.7 < generated / 50 / ds.generated_sample_bytes < 1.3
    assert ds.preprocessed_in_cache is not None
    cache = tmp_path / "preprocessed"
    assert ds.preprocessed_in_cache(folder, cache, {}) == 0
    load_features(folder, cache)
    assert ds.preprocessed_in_cache(folder, cache, {}) == 50
