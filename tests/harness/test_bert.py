"""BERT task on SQuAD v1.1: the reference's feature conversion, the binding of both MLCommons
models, the features' cache, the accuracy script - and its agreement with the reference's own
accuracy-squad.py and evaluate_v1.1.py on the same mlperf_log_accuracy.json."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from harness_util import run_harness, write_run

from harness.backends import TensorInfo
from harness.datasets.squad import (
    FIRST_UNIQUE_ID,
    REFERENCE,
    Features,
    FeatureSettings,
    SquadExample,
    WordPiece,
    convert_examples,
    count_features,
    doc_span_starts,
    load_features,
    read_examples,
    split_words,
)
from harness.tasks import (
    AccuracyError,
    Dataset,
    DatasetError,
    ModelBindingError,
    Task,
    get_task,
)
from harness.tasks.bert_squad.accuracy import (
    f1_score,
    get_final_text,
    normalize_answer,
    score_accuracy_log,
)
from mlperf_tui.benchmarks.bert import data as squad_data
from mlperf_tui.rules.checker import ACCURACY_PATTERNS

TASK = get_task("bert_squad")
REPO = Path(__file__).resolve().parents[2]
SEQ = 384


def tensors(names: list[str], shape: tuple[int | None, ...], dtype: str) -> list[TensorInfo]:
    return [TensorInfo(n, shape, dtype) for n in names]


FP32_INPUTS = tensors(["input_ids", "input_mask", "segment_ids"], (None, SEQ), "int64")
INT8_INPUTS = tensors(["input_ids", "attention_mask", "token_type_ids"], (None, SEQ), "int64")
SPLIT_OUTPUTS = tensors(["output_start_logits", "output_end_logits"], (None, SEQ), "float32")


@pytest.fixture(scope="module")
def squad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic SQuAD folder of 160 features (some examples with several windows)."""
    folder = tmp_path_factory.mktemp("squad")
    squad_data.synthesize(160, 3, folder)
    return folder


@pytest.fixture(scope="module")
def loaded(squad: Path) -> Any:
    return load_features(squad)


def write_vocab(folder: Path, words: list[str]) -> Path:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    path = folder / "vocab.txt"
    path.write_text("".join(f"{t}\n" for t in specials + words), encoding="utf-8")
    return path


def log_from_logits(path: Path, logits: dict[int, np.ndarray]) -> Path:
    """An mlperf_log_accuracy.json whose responses are these [384, 2] float32 logits."""
    entries = [
        {"seq_id": n, "qsl_idx": idx, "data": value.astype(np.float32).tobytes().hex().upper()}
        for n, (idx, value) in enumerate(logits.items())
    ]
    path.write_text(json.dumps(entries))
    return path


# --- feature conversion ----------------------------------------------------------------------


def test_words_split_on_the_references_whitespace_only() -> None:
    # U+202F splits like a space; a no-break space U+00A0 stays inside the word
    assert split_words("  Steve\u202fSmith's\t(1895-1943).\nx\u00a0y ") == [
        "Steve",
        "Smith's",
        "(1895-1943).",
        "x\u00a0y",
    ]


@pytest.mark.parametrize(
    ("length", "window", "stride", "starts"),
    [
        (10, 4, 2, [0, 2, 4, 6]),
        (4, 4, 2, [0]),
        (5, 4, 128, [0, 4]),  # a stride longer than the window moves by a window
        (700, 317, 128, [0, 128, 256, 384]),
        (0, 10, 3, []),
    ],
)
def test_doc_stride_windows_are_the_references(
    length: int, window: int, stride: int, starts: list[int]
) -> None:
    assert doc_span_starts(length, window, stride) == starts


def test_window_count_is_the_closed_formula() -> None:
    # 1 + ceil((T - M) / stride) windows for T > M tokens (stride <= M), else 1
    for length in range(1, 900, 7):
        for window, stride in ((317, 128), (50, 50), (30, 7)):
            expected = 1 if length <= window else 1 + math.ceil((length - window) / stride)
            assert len(doc_span_starts(length, window, stride)) == expected


def test_a_feature_is_cls_query_sep_window_sep_with_the_max_context(tmp_path: Path) -> None:
    vocab = write_vocab(tmp_path, ["what", "is", "w0", "w1", "w2", "w3", "w4", "w5", "w6", "?"])
    wp = WordPiece(vocab)
    # 7 paragraph words, a 3-token query; max_seq 10 leaves windows of 4, stride 2
    example = SquadExample("q1", "What is?", tuple(f"W{i}" for i in range(7)), ("W2",), 0)
    settings = FeatureSettings(max_seq_length=10, doc_stride=2, max_query_length=3)
    f = convert_examples([example], wp, settings)
    assert f.count == 3  # windows at 0, 2, 4 (the last one reaches word 6)
    tokens = [[wp.vocab[i] for i in f.input_ids[r, : f.length(r)]] for r in range(3)]
    assert tokens[0] == ["[CLS]", "what", "is", "?", "[SEP]", "w0", "w1", "w2", "w3", "[SEP]"]
    assert tokens[2][5:] == ["w4", "w5", "w6", "[SEP]"]
    assert f.input_mask[2].tolist() == [1] * 9 + [0]
    assert f.segment_ids[0].tolist() == [0] * 5 + [1] * 5
    assert f.segment_ids[2].tolist() == [0] * 5 + [1] * 4 + [0]
    assert f.token_to_orig[1].tolist() == [-1] * 5 + [2, 3, 4, 5] + [-1]
    # windows [0..3], [2..5], [4..6]; a word's best window has the largest
    # min(left, right) + 0.01 * length: word 2 -> window 0 (1.04 > 0.04), word 3 -> window 1
    # (1.04 > 0.04), word 4 -> window 1 (1.04 > 0.03), word 5 -> window 2 (1.03 > 0.04)
    assert f.max_context[0, 5:9].tolist() == [True, True, True, False]
    assert f.max_context[1, 5:9].tolist() == [False, True, True, False]
    assert f.max_context[2, 5:8].tolist() == [False, True, True]
    assert f.unique_id.tolist() == [FIRST_UNIQUE_ID, FIRST_UNIQUE_ID + 1, FIRST_UNIQUE_ID + 2]
    assert f.example_index.tolist() == [0, 0, 0] and f.doc_span_index.tolist() == [0, 1, 2]


def test_a_long_question_is_cut_to_max_query_length(tmp_path: Path) -> None:
    vocab = write_vocab(tmp_path, ["x", "y"])
    wp = WordPiece(vocab)
    example = SquadExample("q", " ".join(["x"] * 80), ("y",) * 5, ("y",), 0)
    f = convert_examples([example], wp)
    assert f.length(0) == 1 + 64 + 1 + 5 + 1
    assert f.segment_ids[0, 66:71].tolist() == [1] * 5


def test_the_synthetic_set_gives_the_feature_count_of_the_formula(squad: Path, loaded: Any) -> None:
    wp = loaded.wordpiece
    expected = 0
    for e in loaded.examples:
        q = min(len(wp.tokenize(e.question_text)), REFERENCE.max_query_length)
        t = sum(len(wp.tokenize(w)) for w in e.doc_tokens)
        window = SEQ - q - 3
        expected += 1 if t <= window else 1 + math.ceil((t - window) / REFERENCE.doc_stride)
    assert expected == loaded.features.count == count_features(squad) == 160
    assert int(loaded.features.example_index.max()) == len(loaded.examples) - 1
    assert len(loaded.examples) < 160  # some paragraphs need several windows


def test_tokenisation_is_the_references_bert_tokenizer(loaded: Any, squad: Path) -> None:
    transformers = pytest.importorskip(
        "transformers", reason="the reference's BertTokenizer comes from transformers<5"
    )
    from transformers.models.bert.tokenization_bert import BasicTokenizer

    ref = transformers.BertTokenizer(str(squad / "vocab.txt"))
    basic = BasicTokenizer(do_lower_case=True)
    wp = loaded.wordpiece
    tricky = [
        "Steve Smith's (1895-1943).",
        "Café NAÏVE résumé",
        "ＡＢＣ 中文 x\u200by\u0000z",
        "[SEP] in text, [sep] too",
        "a" * 120,
        "Zürich—Genève…",
    ]
    texts = tricky + [e.question_text for e in loaded.examples]
    texts += [w for e in loaded.examples[:20] for w in e.doc_tokens]
    for text in texts:
        assert wp.tokenize(text) == ref.tokenize(text), text
        assert wp.basic_tokenize(text) == basic.tokenize(text), text


def test_features_are_cached_keyed_by_content_and_rewritten_when_damaged(
    squad: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = load_features(squad, cache)
    assert first.converted and first.cache_path is not None and first.cache_path.is_file()
    again = load_features(squad, cache)
    assert not again.converted and again.cache_path == first.cache_path
    for name in Features.FIELDS:
        np.testing.assert_array_equal(getattr(first.features, name), getattr(again.features, name))
    assert not list(first.cache_path.parent.glob(".*.tmp"))  # atomic: no temporary left
    # another vocabulary or data file is another key
    other = tmp_path / "other"
    other.mkdir()
    (other / "dev-v1.1.json").write_bytes((squad / "dev-v1.1.json").read_bytes())
    (other / "vocab.txt").write_text((squad / "vocab.txt").read_text() + "extra\n")
    assert load_features(other, cache).cache_path != first.cache_path
    # a cache file named directly (the accuracy script's --features_cache_file) is used only
    # when it holds this data set's features
    named = tmp_path / "eval_features.npz"
    assert load_features(squad, cache_file=named).converted
    assert not load_features(squad, cache_file=named).converted
    assert load_features(other, cache_file=named).converted  # another key: rewritten
    assert not load_features(other, cache_file=named).converted
    first.cache_path.write_bytes(b"damaged")
    healed = load_features(squad, cache)
    assert healed.converted and healed.features.count == first.features.count


def test_bad_folders_are_reported(tmp_path: Path, squad: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_features(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match=r"no dev-v1\.1\.json"):
        load_features(tmp_path)
    (tmp_path / "dev-v1.1.json").write_bytes((squad / "dev-v1.1.json").read_bytes())
    with pytest.raises(DatasetError, match=r"no vocab\.txt"):
        load_features(tmp_path)
    (tmp_path / "vocab.txt").write_text("hello\n")
    with pytest.raises(DatasetError, match=r"lacks the BERT tokens \[PAD\], \[UNK\]"):
        load_features(tmp_path)
    (tmp_path / "dev-v1.1.json").write_text('{"data": [{"title": "x"}]}')
    with pytest.raises(DatasetError, match=r"not a SQuAD v1\.1 file"):
        read_examples(json.loads((tmp_path / "dev-v1.1.json").read_text()))


# --- the model binding -----------------------------------------------------------------------


@pytest.mark.parametrize("inputs", [FP32_INPUTS, INT8_INPUTS], ids=["fp32", "fake-quant"])
def test_both_mlcommons_models_bind_by_role(inputs: list[TensorInfo]) -> None:
    binding = TASK.bind(inputs, SPLIT_OUTPUTS, {})
    assert [t.name for t in binding.inputs] == [t.name for t in inputs]
    assert binding.options["input_mask"] == inputs[1].name
    assert binding.options["segment_ids"] == inputs[2].name
    assert binding.outputs == ("output_start_logits", "output_end_logits")
    assert binding.options["logits"] == "split"


def test_outputs_bind_by_name_by_order_or_stacked() -> None:
    reversed_ = tensors(["end_logits", "start_logits"], (None, SEQ), "float32")
    assert TASK.bind(FP32_INPUTS, reversed_, {}).outputs == ("start_logits", "end_logits")
    unnamed = tensors(["6703", "6710"], (None, SEQ), "float32")  # the model's order
    assert TASK.bind(INT8_INPUTS, unnamed, {}).outputs == ("6703", "6710")
    stacked = TASK.bind(FP32_INPUTS, tensors(["logits"], (None, SEQ, 2), "float32"), {})
    assert stacked.outputs == ("logits",) and stacked.options["logits"] == "stacked"
    tf_names = tensors(["input_ids:0", "input_mask:0", "segment_ids:0"], (1, SEQ), "int64")
    fixed = TASK.bind(tf_names, SPLIT_OUTPUTS, {})
    assert fixed.options["max_batch"] == 1


@pytest.mark.parametrize(
    ("inputs", "outputs", "says"),
    [
        (FP32_INPUTS[:1] + FP32_INPUTS[2:], SPLIT_OUTPUTS, "no input_mask input"),
        (
            tensors(["input_ids", "attention_mask"], (None, SEQ), "int64"),
            SPLIT_OUTPUTS,
            "no segment_ids input (named segment_ids or token_type_ids)",
        ),
        (
            FP32_INPUTS + tensors(["position_ids"], (None, SEQ), "int64"),
            SPLIT_OUTPUTS,
            "input position_ids is not one the BERT task feeds",
        ),
        (
            tensors(["input_ids", "input_mask", "segment_ids"], (None, 128), "int64"),
            SPLIT_OUTPUTS,
            "has shape [N,128]",
        ),
        (
            tensors(["input_ids", "input_mask", "segment_ids"], (None, SEQ), "float32"),
            SPLIT_OUTPUTS,
            "is float32",
        ),
        (FP32_INPUTS, SPLIT_OUTPUTS[:1], "no end logits output"),
        (FP32_INPUTS, SPLIT_OUTPUTS[1:], "no start logits output"),
        (FP32_INPUTS, tensors(["ArgMax:0"], (None,), "int64"), "no output holds the start"),
    ],
)
def test_a_model_that_does_not_fit_names_the_tensor(
    inputs: list[TensorInfo], outputs: list[TensorInfo], says: str
) -> None:
    with pytest.raises(ModelBindingError) as err:
        TASK.bind(inputs, outputs, {})
    assert says in err.value.message
    assert err.value.fix


def test_a_resnet_model_does_not_fit() -> None:
    resnet = [TensorInfo("input_tensor:0", (None, 3, 224, 224), "float32")]
    with pytest.raises(ModelBindingError, match="no input_ids input"):
        TASK.bind(resnet, [TensorInfo("ArgMax:0", (None,), "int64")], {})


class _Recorder:
    """A backend returning fixed logits and recording batch sizes."""

    def __init__(self, outputs: list[TensorInfo]) -> None:
        self.inputs = FP32_INPUTS
        self.outputs = outputs
        self.calls: list[int] = []

    def predict(self, feeds: Any, names: Any = None) -> list[np.ndarray]:
        n = len(feeds["input_ids"])
        self.calls.append(n)
        start = feeds["input_ids"].astype(np.float32)
        end = -start
        if len(self.outputs) == 1:
            return [np.stack([start, end], axis=-1)]
        return [start, end]


def test_responses_are_the_references_stacked_logits() -> None:
    backend = _Recorder(SPLIT_OUTPUTS)
    binding = TASK.bind(FP32_INPUTS, SPLIT_OUTPUTS, {})
    feeds = TASK.calibration_feeds(binding, 3)
    results = TASK.infer(backend, binding, feeds)  # type: ignore[arg-type]
    assert results.shape == (3, SEQ, 2) and results.dtype == np.float32
    start, end = backend.predict(feeds)
    # onnxruntime_SUT.py: np.stack(scores, axis=-1)[0].tobytes(), for each sample
    reference = np.stack([start[1:2], end[1:2]], axis=-1)[0].tobytes()
    assert TASK.response_bytes(results, 1) == reference
    assert len(reference) == SEQ * 2 * 4
    stacked_out = tensors(["logits"], (None, SEQ, 2), "float32")
    stacked = TASK.bind(FP32_INPUTS, stacked_out, {})
    again = TASK.infer(_Recorder(stacked_out), stacked, feeds)  # type: ignore[arg-type]
    np.testing.assert_array_equal(again, results)


def test_a_fixed_batch_model_runs_in_pieces() -> None:
    fixed = tensors(["input_ids", "input_mask", "segment_ids"], (1, SEQ), "int64")
    binding = TASK.bind(fixed, SPLIT_OUTPUTS, {})
    backend = _Recorder(SPLIT_OUTPUTS)
    out = TASK.infer(backend, binding, TASK.calibration_feeds(binding, 3))  # type: ignore[arg-type]
    assert backend.calls == [1, 1, 1] and out.shape == (3, SEQ, 2)


def test_task_and_dataset_follow_the_protocols(squad: Path, tmp_path: Path) -> None:
    assert isinstance(TASK, Task)
    binding = TASK.bind(INT8_INPUTS, SPLIT_OUTPUTS, {})
    ds = TASK.open_dataset(squad, tmp_path, 50, binding)
    assert isinstance(ds, Dataset) and ds.total_count == 50
    ds.load([3, 4, 5, 9])
    feeds = ds.batch(np.array([3, 4, 5]))
    assert sorted(feeds) == ["attention_mask", "input_ids", "token_type_ids"]
    for array in feeds.values():
        assert array.dtype == np.int64 and array.shape == (3, SEQ) and array.flags.c_contiguous
    features = ds.features  # type: ignore[attr-defined]
    np.testing.assert_array_equal(feeds["input_ids"], features.input_ids[3:6])
    np.testing.assert_array_equal(feeds["token_type_ids"], features.segment_ids[3:6])
    with pytest.raises(DatasetError, match="larger than the 160 features"):
        TASK.open_dataset(squad, tmp_path, 161, binding)


# --- scoring ---------------------------------------------------------------------------------


def test_evaluate_normalises_like_the_official_script() -> None:
    assert normalize_answer("The  Steve, Smith's!") == "steve smiths"
    assert f1_score("Steve Smith", "the steve smith") == 1.0
    assert f1_score("Steve", "Steve Smith") == pytest.approx(2 / 3)
    assert f1_score("nothing", "Steve") == 0


def test_final_text_maps_back_onto_the_original_words(loaded: Any) -> None:
    wp = loaded.wordpiece
    assert get_final_text("smith", "Smith's", wp) == "Smith"
    assert get_final_text("1895", "(1895-1943).", wp) == "1895"
    assert get_final_text("cafe", "Café", wp) == "Café"
    assert get_final_text("nowhere", "Café", wp) == "Café"


def answer_logits(loaded: Any, example_index: int, shift: int = 0) -> dict[int, np.ndarray]:
    """Logits of the example's features that point at its first answer's WordPiece span
    (the end moved by ``shift`` tokens), everything else very low."""
    e: SquadExample = loaded.examples[example_index]
    wp = loaded.wordpiece
    f: Features = loaded.features
    answer = wp.tokenize(e.answers[0])
    out = {}
    for row in np.flatnonzero(f.example_index == example_index).tolist():
        logits = np.full((SEQ, 2), -50.0, dtype=np.float32)
        pieces = [wp.vocab[i] for i in f.input_ids[row].tolist()]
        for s in range(SEQ - len(answer)):
            if (
                f.token_to_orig[row, s] >= 0
                and f.max_context[row, s]
                and pieces[s : s + len(answer)] == answer
                and f.token_to_orig[row, s + len(answer) - 1] >= 0
            ):
                logits[s, 0] = 10.0
                logits[s + len(answer) - 1 + shift, 1] = 10.0
                break
        out[row] = logits
    return out


def all_answer_logits(loaded: Any, shift: int = 0) -> dict[int, np.ndarray]:
    logits: dict[int, np.ndarray] = {}
    for n in range(len(loaded.examples)):
        logits.update(answer_logits(loaded, n, shift))
    return dict(sorted(logits.items()))


def test_perfect_logits_score_100_and_a_shifted_end_less(
    loaded: Any, squad: Path, tmp_path: Path
) -> None:
    perfect = score_accuracy_log(
        log_from_logits(tmp_path / "a.json", all_answer_logits(loaded)), squad
    )
    assert (perfect.exact_match, perfect.f1) == (100.0, 100.0)
    assert perfect.scored == perfect.questions == len(loaded.examples)
    shifted = score_accuracy_log(
        log_from_logits(tmp_path / "b.json", all_answer_logits(loaded, shift=1)), squad
    )
    assert shifted.exact_match < 50 and 30 < shifted.f1 < 100


def test_a_prefix_of_the_features_scores_the_examples_it_covers(
    loaded: Any, squad: Path, tmp_path: Path
) -> None:
    logits = all_answer_logits(loaded)
    prefix = {row: v for row, v in logits.items() if row < 40}
    score = score_accuracy_log(log_from_logits(tmp_path / "p.json", prefix), squad)
    covered = len(set(loaded.features.example_index[:40].tolist()))
    assert score.scored == covered and score.logged == 40
    # the last covered example may miss the window with its answer; all others are right
    assert score.exact_match >= 100.0 * (covered - 1) / covered


def test_the_line_is_the_references_and_the_checkers_pattern_reads_f1(
    loaded: Any, squad: Path, tmp_path: Path
) -> None:
    log = log_from_logits(tmp_path / "a.json", all_answer_logits(loaded, shift=1))
    out = tmp_path / "accuracy.txt"
    result = TASK.write_accuracy(log, squad, out)
    line = out.read_text().strip()
    assert json.loads(line) == {"exact_match": result["exact_match"], "f1": result["value"]}
    match = re.match(ACCURACY_PATTERNS["F1"], line)
    assert match is not None and float(match.group(1)) == result["value"]
    assert result["metric"] == "F1"


def test_a_later_entry_for_a_sample_replaces_an_earlier_one(
    loaded: Any, squad: Path, tmp_path: Path
) -> None:
    logits = all_answer_logits(loaded)
    bad = all_answer_logits(loaded, shift=1)
    entries = json.loads(log_from_logits(tmp_path / "bad.json", bad).read_text())
    entries += json.loads(log_from_logits(tmp_path / "good.json", logits).read_text())
    (tmp_path / "both.json").write_text(json.dumps(entries))
    assert score_accuracy_log(tmp_path / "both.json", squad).exact_match == 100.0


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "is empty"),
        ('[{"seq_id": 0, "qsl_idx": 0, "data": "00', "truncated or not JSON"),
        ("[]", "holds no results"),
        ('[{"seq_id": 0, "qsl_idx": 999, "data": "0000803F0000803F"}]', "outside the data set"),
        ('[{"seq_id": 0, "qsl_idx": 1, "data": "0000803F"}]', "holds 1 values"),
    ],
)
def test_unusable_logs_are_refused(squad: Path, tmp_path: Path, content: str, says: str) -> None:
    log = tmp_path / "mlperf_log_accuracy.json"
    log.write_text(content)
    with pytest.raises(AccuracyError, match=says):
        score_accuracy_log(log, squad)


def test_accuracy_script_command_line(loaded: Any, squad: Path, tmp_path: Path) -> None:
    log = log_from_logits(tmp_path / "log.json", all_answer_logits(loaded))
    out = tmp_path / "predictions.json"
    acc = tmp_path / "accuracy.txt"
    proc = subprocess.run(
        [
            sys.executable, "-m", "harness.tasks.bert_squad",
            "--val_data", str(squad / "dev-v1.1.json"),
            "--vocab_file", str(squad / "vocab.txt"),
            "--log_file", str(log),
            "--out_file", str(out),
            "--accuracy_file", str(acc),
            "--features_cache_file", str(tmp_path / "eval_features.npz"),
        ],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == '{"exact_match": 100.0, "f1": 100.0}' == acc.read_text().strip()
    predictions = json.loads(out.read_text())
    assert len(predictions) == len(loaded.examples)
    bad = subprocess.run(
        [sys.executable, "-m", "harness.tasks.bert_squad", "--val_data", str(tmp_path),
         "--log_file", str(log)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "no dev-v1.1.json" in bad.stderr


# --- a real LoadGen run ---------------------------------------------------------------------


def test_an_offline_accuracy_run_logs_the_logits_and_scores_them(
    squad: Path, tmp_path: Path
) -> None:
    from mlperf_tui.benchmarks.bert.graphs import build_tiny_bert

    model = tmp_path / "tiny-bert.onnx"
    model.write_bytes(build_tiny_bert(0).SerializeToString())
    assets = types.SimpleNamespace(
        model=model, dataset=squad, cache_dir=tmp_path / "cache", count=160
    )
    run_json = write_run(
        tmp_path,
        assets,
        "Offline",
        "accuracy",
        benchmark="bert-99",
        loadgen_model="bert",
        task="bert_squad",
        dataset_count=64,
    )
    run = run_harness(run_json, timeout=120)
    assert run.rc == 0, run
    assert run.result["status"] == "ok" and run.result["accuracy"]["metric"] == "F1"
    log = run.output_dir / "mlperf_log_accuracy.json"
    entries = json.loads(log.read_text())
    assert sorted(e["qsl_idx"] for e in entries) == list(range(64))
    assert {len(e["data"]) for e in entries} == {SEQ * 2 * 4 * 2}  # hex of float32 [384, 2]
    score = score_accuracy_log(log, squad)
    line = (run.output_dir / "accuracy.txt").read_text().strip()
    assert line == score.line and run.result["accuracy"]["value"] == score.f1
    assert score.logged == 64 and score.scored < score.questions


# --- agreement with the reference's accuracy-squad.py and evaluate_v1.1.py -------------------


def reference_dir() -> Path:
    import reference_copy

    return reference_copy.inference_root() / "language" / "bert"


@pytest.fixture
def reference_squad(loaded: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """The reference's accuracy-squad.py, imported with the two DeepLearningExamples modules it
    needs (not in the reference copy) provided here: ``create_squad_data`` hands over OUR
    examples and features in the reference's structures, ``tokenization`` BERT's
    BasicTokenizer (transformers' port of it)."""
    path = reference_dir() / "accuracy-squad.py"
    if not path.is_file():
        pytest.skip(f"the reference accuracy script is not at {path}")
    pytest.importorskip(
        "transformers", reason="accuracy-squad.py imports transformers.BertTokenizer (<5)"
    )
    from transformers.models.bert.tokenization_bert import BasicTokenizer

    tokenization = types.ModuleType("tokenization")
    tokenization.BasicTokenizer = BasicTokenizer  # type: ignore[attr-defined]
    create_squad_data = types.ModuleType("create_squad_data")
    create_squad_data.read_squad_examples = lambda **_: reference_examples(loaded)  # type: ignore[attr-defined]
    create_squad_data.convert_examples_to_features = None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tokenization", tokenization)
    monkeypatch.setitem(sys.modules, "create_squad_data", create_squad_data)
    try:
        import six  # noqa: F401
    except ImportError:  # a one-function stand-in: get_final_text uses six.iteritems only
        six_module = types.ModuleType("six")
        six_module.iteritems = lambda d: iter(d.items())  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "six", six_module)
    try:
        import pkg_resources  # noqa: F401
    except ImportError:  # gone from recent setuptools; the script only lists what is installed
        resources = types.ModuleType("pkg_resources")
        resources.working_set = []  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "pkg_resources", resources)
    spec = importlib.util.spec_from_file_location("reference_accuracy_squad", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module


def reference_examples(loaded: Any) -> list[types.SimpleNamespace]:
    return [
        types.SimpleNamespace(
            qas_id=e.qas_id, question_text=e.question_text, doc_tokens=list(e.doc_tokens)
        )
        for e in loaded.examples
    ]


def reference_features(loaded: Any) -> list[types.SimpleNamespace]:
    """Our features as the reference's InputFeatures (tokens as strings, the maps as dicts)."""
    f: Features = loaded.features
    vocab = loaded.wordpiece.vocab
    out = []
    for row in range(f.count):
        n = f.length(row)
        doc = np.flatnonzero(f.token_to_orig[row] >= 0).tolist()
        out.append(
            types.SimpleNamespace(
                unique_id=int(f.unique_id[row]),
                example_index=int(f.example_index[row]),
                doc_span_index=int(f.doc_span_index[row]),
                tokens=[vocab[i] for i in f.input_ids[row, :n].tolist()],
                token_to_orig_map={p: int(f.token_to_orig[row, p]) for p in doc},
                token_is_max_context={p: bool(f.max_context[row, p]) for p in doc},
                input_ids=f.input_ids[row].tolist(),
                input_mask=f.input_mask[row].tolist(),
                segment_ids=f.segment_ids[row].tolist(),
            )
        )
    return out


def run_reference(
    module: types.ModuleType, loaded: Any, log: Path, squad_json: Path, tmp_path: Path
) -> tuple[dict[str, float], dict[str, str]]:
    """load_loadgen_log + write_predictions(20, 30, True) + evaluate_v1.1.py, as main() does."""
    features = reference_features(loaded)
    results = module.load_loadgen_log(str(log), features, np.float32, False)
    predictions = tmp_path / "reference_predictions.json"
    module.write_predictions(
        reference_examples(loaded), features, results, 20, 30, True, str(predictions)
    )
    proc = subprocess.run(
        [sys.executable, str(reference_dir() / "evaluate_v1.1.py"), str(squad_json), str(predictions)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1]), json.loads(predictions.read_text())


def stand_in_logits(loaded: Any, squad: Path, tmp_path: Path) -> dict[int, np.ndarray]:
    """The tiny-bert stand-in's logits for every feature (what a stand-in run logs)."""
    from harness.backends import load_backend
    from harness.config import BackendOptions
    from mlperf_tui.benchmarks.bert.graphs import build_tiny_bert

    model = tmp_path / "tiny-bert.onnx"
    model.write_bytes(build_tiny_bert(0).SerializeToString())
    backend = load_backend("onnxruntime", model, BackendOptions(intra_op_threads=1))
    binding = TASK.bind(backend.inputs, backend.outputs, {})
    ds = TASK.open_dataset(squad, tmp_path / "cache", None, binding)
    ds.load(np.arange(ds.total_count))
    out: dict[int, np.ndarray] = {}
    for lo in range(0, ds.total_count, 32):
        idx = np.arange(lo, min(lo + 32, ds.total_count))
        logits = TASK.infer(backend, binding, ds.batch(idx))
        out.update({int(i): logits[k] for k, i in enumerate(idx)})
    return out


def mixed_logits(loaded: Any, seed: int) -> dict[int, np.ndarray]:
    """Right answers for most examples, shifted or random ones for the rest (a mid score)."""
    rng = np.random.default_rng(seed)
    out: dict[int, np.ndarray] = {}
    for n in range(len(loaded.examples)):
        r = rng.random()
        if r < 0.6:
            out.update(answer_logits(loaded, n))
        elif r < 0.8:
            out.update(answer_logits(loaded, n, shift=int(rng.integers(-1, 3))))
        else:
            rows = np.flatnonzero(loaded.features.example_index == n).tolist()
            out.update({row: rng.normal(size=(SEQ, 2)).astype(np.float32) for row in rows})
    return dict(sorted(out.items()))


def filtered_squad(squad: Path, qas_ids: set[str], out: Path) -> Path:
    doc = json.loads((squad / "dev-v1.1.json").read_text())
    for article in doc["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["qas"] = [qa for qa in paragraph["qas"] if qa["id"] in qas_ids]
    out.write_text(json.dumps(doc))
    return out


@pytest.mark.parametrize("source", ["stand-in", "mixed"])
def test_accuracy_agrees_with_the_reference_scripts(
    reference_squad: types.ModuleType, loaded: Any, squad: Path, tmp_path: Path, source: str
) -> None:
    logits = (
        stand_in_logits(loaded, squad, tmp_path)
        if source == "stand-in"
        else mixed_logits(loaded, 1)
    )
    log = log_from_logits(tmp_path / "mlperf_log_accuracy.json", logits)
    ours = score_accuracy_log(log, squad)
    reference, reference_predictions = run_reference(
        reference_squad, loaded, log, squad / "dev-v1.1.json", tmp_path
    )
    assert ours.predictions == reference_predictions
    assert ours.exact_match == reference["exact_match"]
    assert ours.f1 == reference["f1"]
    if source == "mixed":
        assert 40 < ours.exact_match < 90


def test_a_prefix_run_agrees_with_the_reference_on_the_examples_it_covers(
    reference_squad: types.ModuleType, loaded: Any, squad: Path, tmp_path: Path
) -> None:
    logits = mixed_logits(loaded, 2)
    prefix = {row: v for row, v in logits.items() if row < 64}
    log = log_from_logits(tmp_path / "mlperf_log_accuracy.json", prefix)
    ours = score_accuracy_log(log, squad)
    covered = {loaded.examples[n].qas_id for n in set(loaded.features.example_index[:64].tolist())}
    # the reference answers every example ("empty" without features) and scores every
    # question of the file it is given: give it the covered questions
    subset = filtered_squad(squad, covered, tmp_path / "covered.json")
    reference, predictions = run_reference(reference_squad, loaded, log, subset, tmp_path)
    assert ours.scored == len(covered)
    assert {k: v for k, v in predictions.items() if k in covered} == {
        k: v for k, v in ours.predictions.items() if k in covered
    }
    assert (ours.exact_match, ours.f1) == (reference["exact_match"], reference["f1"])
