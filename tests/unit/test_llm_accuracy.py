"""The LLMs' ROUGE accuracy and TEST06 verifier, against the official scripts where they exist.

The oracles run unmodified from the reference copy: llama2-70b's evaluate-accuracy.py (with a
local tokenizer folder as its checkpoint, NLTK's Punkt data written from the parameters we
use, and the ``evaluate`` library's ROUGE metric, which it would fetch from a hub, replaced
by that metric's own few lines over rouge-score) and compliance/TEST06/run_verification.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.tasks import AccuracyError
from harness.tasks.llm_summarization import accuracy, test06
from harness.tasks.llm_summarization.accuracy import (
    clean_up_tokenization,
    result_line,
    score_accuracy_log,
    split_sentences,
)
from mlperf_tui.benchmarks.llm import data

pytest.importorskip("pandas")
pytest.importorskip("rouge_score")

EOS = 1  # "</s>" in the test tokenizer


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
    config = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "clean_up_tokenization_spaces": clean_up,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def write_log(path: Path, entries: list[dict[str, Any]]) -> Path:
    """mlperf_log_accuracy.json as LoadGen lays it out: one entry a line."""
    lines = ",\n".join(json.dumps(e) for e in entries)
    path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    return path


def hexed(ids: list[int], dtype: str = "int32") -> str:
    return np.asarray(ids, dtype=dtype).tobytes().hex().upper()


def predictions(
    references: list[str | None], tokenizer_dir: Path, seed: int, dtype: str = "int32"
) -> list[dict[str, Any]]:
    """An engine's answers: each reference's words, some dropped or swapped, in token ids
    with an EOS; and, for a few samples, a later second answer that must be ignored."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
    rng = np.random.default_rng(seed)
    entries: list[dict[str, Any]] = []
    order = rng.permutation(len(references))
    for n, idx in enumerate(order):
        words = (references[idx] or "").split()
        kept = [w for w in words if rng.random() > 0.3]
        if rng.random() < 0.3:
            kept += ["Mr.", "Smith", "said", "it", "was", "n't", "over", "."]
        ids = [*tok.encode(" ".join(kept), add_special_tokens=False).ids, EOS]
        entries.append({"seq_id": n, "qsl_idx": int(idx), "data": hexed(ids, dtype)})
    for idx in order[:3]:
        entries.append({"seq_id": len(entries), "qsl_idx": int(idx), "data": hexed([5, 6], dtype)})
    return entries


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def orca(tmp_path_factory: pytest.TempPathFactory, tokdir: Path) -> tuple[Path, Path]:
    """A stand-in OpenOrca pickle and an accuracy log of answers to it."""
    from harness.datasets.llm import read_references

    root = tmp_path_factory.mktemp("orca")
    pkl = data.synthesize("open-orca", 40, 3, root, tokdir / "tokenizer.json")
    log = write_log(
        root / "mlperf_log_accuracy.json", predictions(read_references(pkl, "open-orca"), tokdir, 1)
    )
    return pkl, log


# --- sentence splitting ----------------------------------------------------------------------

_TEXTS = [
    "Mr. Smith went to Washington. He arrived at 3 p.m. on Jan. 5. It was cold!  Really?",
    'The U.S. plan, Dr. Jones said, was "important." Officials agreed. Inc. shares rose 5.5 pct.',
    "no capital here. and none here either... (Parenthesis.) 'Quoted.' Next one",
    "",
    "   ",
]


def _punkt_data(folder: Path) -> Path:
    """NLTK's punkt_tab/english folder, written from the parameters the product uses."""
    import punkt.data.english as english

    lang = folder / "tokenizers" / "punkt_tab" / "english"
    lang.mkdir(parents=True, exist_ok=True)
    (lang / "abbrev_types.txt").write_text("".join(f"{a}\n" for a in sorted(english.ABBREV_TYPES)))
    (lang / "sent_starters.txt").write_text(
        "".join(f"{a}\n" for a in sorted(english.SENT_STARTERS))
    )
    (lang / "collocations.tab").write_text(
        "".join(f"{a}\t{b}\n" for a, b in sorted(english.COLLOCATIONS))
    )
    (lang / "ortho_context.tab").write_text(
        "".join(f"{k}\t{v}\n" for k, v in sorted(english.ORTHO_CONTEXT.items()))
    )
    return folder


def test_sentences_split_as_nltk_sent_tokenize(tmp_path: Path, orca: tuple[Path, Path]) -> None:
    """nltk.sent_tokenize itself, reading punkt_tab from disk in a fresh interpreter, splits
    exactly as we do (on tricky sentences and on every generated reference)."""
    from harness.datasets.llm import read_references

    texts = _TEXTS + [r or "" for r in read_references(orca[0], "open-orca")]
    code = (
        "import json, sys, nltk\n"
        "texts = json.load(sys.stdin)\n"
        "print(json.dumps([nltk.sent_tokenize(t) for t in texts]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env={"NLTK_DATA": str(_punkt_data(tmp_path)), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert json.loads(done.stdout) == [split_sentences(t) for t in texts]


def test_sentences_agree_with_an_installed_punkt_tab() -> None:
    """Where NLTK's downloaded punkt_tab is installed, its parameters are the ones we use."""
    nltk = pytest.importorskip("nltk")
    try:
        folder = nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        pytest.skip("NLTK's punkt_tab data is not installed here (it is downloaded, not a package)")
    import punkt.data.english as english
    from nltk.tokenize.punkt import load_punkt_params

    params = load_punkt_params(folder)
    assert params.abbrev_types == set(english.ABBREV_TYPES)
    assert params.collocations == set(english.COLLOCATIONS)
    assert params.sent_starters == set(english.SENT_STARTERS)
    assert dict(params.ortho_context) == dict(english.ORTHO_CONTEXT)
    assert [nltk.sent_tokenize(t) for t in _TEXTS] == [split_sentences(t) for t in _TEXTS]


def test_clean_up_tokenization_matches_the_tokenizers_of_the_references() -> None:
    transformers = pytest.importorskip("transformers")
    base = transformers.PreTrainedTokenizerBase
    for text in ["a . b , c ? d ! e n't f 'm g 's h 've i 're j ' k", "plain text"]:
        assert clean_up_tokenization(text) == base.clean_up_tokenization(text)


# --- the llama2-70b oracle -------------------------------------------------------------------

_DRIVER = """
import runpy, sys, types

import nltk

nltk.download = lambda *args, **kwargs: True  # offline: the data is on NLTK_DATA


class _Rouge:  # the evaluate library's rouge metric (use_aggregator=False), over rouge-score
    def compute(self, predictions, references, rouge_types=None, use_aggregator=True,
                use_stemmer=False, tokenizer=None):
        from rouge_score import rouge_scorer
        rouge_types = rouge_types or ["rouge1", "rouge2", "rougeL", "rougeLsum"]
        scorer = rouge_scorer.RougeScorer(rouge_types=rouge_types, use_stemmer=use_stemmer)
        scores = [scorer.score(ref, pred) for ref, pred in zip(references, predictions)]
        return {key: [s[key].fmeasure for s in scores] for key in scores[0]}


evaluate = types.ModuleType("evaluate")
evaluate.load = lambda name, *args, **kwargs: _Rouge()
sys.modules["evaluate"] = evaluate
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""


def _reference_llama2(
    pkl: Path, log: Path, tokenizer_dir: Path, nltk_data: Path, dtype: str
) -> dict[str, Any]:
    import reference_copy

    script = reference_copy.inference_root() / "language" / "llama2-70b" / "evaluate-accuracy.py"
    for module in ("transformers", "nltk"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the reference evaluate-accuracy.py needs {module} (pip install .[test])")
    done = subprocess.run(
        [
            sys.executable, "-c", _DRIVER, str(script),
            "--checkpoint-path", str(tokenizer_dir),
            "--mlperf-accuracy-file", str(log),
            "--dataset-file", str(pkl),
            "--dtype", dtype,
        ],
        capture_output=True,
        text=True,
        env={"NLTK_DATA": str(nltk_data), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
             "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    line = done.stdout.strip().splitlines()[-1]
    # numpy 2 prints np.float64(...) inside the dict: evaluate it with numpy at hand
    return dict(eval(line, {"np": np}))  # the reference's own printed dict


@pytest.mark.parametrize(
    ("clean_up", "dtype"),
    # one of the two in the slow set: make test stays under ten minutes on two cores
    [pytest.param(False, "int32", marks=pytest.mark.slow), (True, "int64")],
)
def test_llama2_70b_agrees_with_the_reference_script(
    tmp_path: Path, clean_up: bool, dtype: str
) -> None:
    from harness.datasets.llm import read_references

    tokdir = build_tokenizer(tmp_path / "tok", clean_up=clean_up)
    pkl = data.synthesize("open-orca", 30, 4, tmp_path / "orca", tokdir / "tokenizer.json")
    entries = predictions(read_references(pkl, "open-orca"), tokdir, 2, dtype)
    log = write_log(tmp_path / "mlperf_log_accuracy.json", entries)
    expected = _reference_llama2(pkl, log, tokdir, _punkt_data(tmp_path / "nltk"), dtype)
    score = score_accuracy_log(
        log, pkl, benchmark="llama2-70b-99.9", tokenizer_dir=tokdir, dtype=dtype, workers=1
    )
    assert list(score.result) == list(expected)
    assert score.result == {
        k: (float(v) if isinstance(v, float) else int(v)) for k, v in expected.items()
    }
    assert score.scored == 30 and score.duplicates == 3
    assert 0 < score.result["rouge1"] < 100


# --- result lines as the checker reads them --------------------------------------------------


def _checker_patterns() -> dict[str, str]:
    import reference_copy

    constants = reference_copy.checker_dir() / "submission_checker" / "constants.py"
    return dict(reference_copy.module_tables(constants)["ACC_PATTERN"])


def _checker_targets(version: str) -> dict[str, tuple[Any, ...]]:
    import reference_copy

    constants = reference_copy.checker_dir() / "submission_checker" / "constants.py"
    return dict(reference_copy.module_tables(constants)["MODEL_CONFIG"][version]["accuracy-target"])


@pytest.mark.parametrize(
    ("benchmark", "fmt", "version"),
    [
        ("llama2-70b-99.9", "open-orca", "v6.1"),
        ("llama3.1-8b", "cnn-dailymail-llama3", "v6.1"),
        ("llama3.1-8b-edge", "cnn-dailymail-llama3", "v6.1"),
        ("gptj-99", "cnn-dailymail-gptj", "v5.0"),
    ],
)
def test_result_line_has_every_value_the_checker_reads(
    tmp_path: Path, tokdir: Path, benchmark: str, fmt: str, version: str
) -> None:
    from harness.datasets.llm import read_references

    path = data.synthesize(fmt, 10, 6, tmp_path, tokdir / "tokenizer.json")
    log = write_log(tmp_path / "log.json", predictions(read_references(path, fmt), tokdir, 3))
    score = score_accuracy_log(log, path, benchmark=benchmark, tokenizer_dir=tokdir, workers=1)
    patterns = _checker_patterns()
    targets = _checker_targets(version)[benchmark]
    metrics = targets[::2]
    assert metrics  # ROUGE1, ROUGE2, ROUGEL[, ROUGELSUM], GEN_LEN or TOKENS_PER_SAMPLE
    key_of = {
        "ROUGE1": "rouge1", "ROUGE2": "rouge2", "ROUGEL": "rougeL", "ROUGELSUM": "rougeLsum",
        "GEN_LEN": "gen_len", "TOKENS_PER_SAMPLE": "tokens_per_sample",
    }  # fmt: skip
    for metric in metrics:
        m = re.match(patterns[metric], score.line)
        assert m, (metric, score.line)
        assert float(m.group(1)) == float(score.result[key_of[metric]])
    # the reference's value types: llama2-70b prints numbers, the cnn scripts strings
    as_text = fmt != "open-orca"
    assert all(isinstance(score.result[k], str) == as_text for k in accuracy.ROUGE_TYPES)
    assert ast.literal_eval(score.line) == score.result


def test_line_formats() -> None:
    assert result_line({"rouge1": 44.4312, "gen_len": 12, "tokens_per_sample": 294.5}) == (
        "{'rouge1': 44.4312, 'gen_len': 12, 'tokens_per_sample': 294.5}"
    )
    assert result_line({"rouge1": "38.7792", "gen_num": 3}) == "{'rouge1': '38.7792', 'gen_num': 3}"


# --- behaviour -------------------------------------------------------------------------------


def test_first_answer_per_sample_counts(
    tmp_path: Path, tokdir: Path, orca: tuple[Path, Path]
) -> None:
    pkl, log = orca
    entries = [json.loads(line.rstrip(",")) for line in log.read_text().splitlines()[1:-1]]
    only_first = write_log(tmp_path / "first.json", entries[:40])
    a = score_accuracy_log(log, pkl, benchmark="llama2-70b", tokenizer_dir=tokdir, workers=1)
    b = score_accuracy_log(only_first, pkl, benchmark="llama2-70b", tokenizer_dir=tokdir, workers=1)
    assert a.result == b.result and a.duplicates == 3 and b.duplicates == 0


def test_a_partial_log_scores_the_samples_it_holds(
    tmp_path: Path, tokdir: Path, orca: tuple[Path, Path]
) -> None:
    pkl, log = orca
    entries = [json.loads(line.rstrip(",")) for line in log.read_text().splitlines()[1:-1]]
    part = write_log(tmp_path / "part.json", entries[:7])
    score = score_accuracy_log(part, pkl, benchmark="llama2-70b", tokenizer_dir=tokdir, workers=1)
    assert score.scored == 7 and score.total == 40 and score.result["gen_num"] == 7


@pytest.mark.slow  # worker processes start slowly on two cores: make test stays under ten minutes
def test_worker_processes_give_the_same_result(tmp_path: Path, tokdir: Path) -> None:
    from harness.datasets.llm import read_references

    path = data.synthesize("cnn-dailymail-llama3", 300, 8, tmp_path, tokdir / "tokenizer.json")
    log = write_log(
        tmp_path / "log.json", predictions(read_references(path, "cnn-dailymail-llama3"), tokdir, 4)
    )
    serial = score_accuracy_log(log, path, benchmark="llama3.1-8b", tokenizer_dir=tokdir, workers=1)
    parallel = score_accuracy_log(
        log, path, benchmark="llama3.1-8b", tokenizer_dir=tokdir, workers=2
    )
    assert serial.line == parallel.line


def test_clean_up_setting_comes_from_the_tokenizer_config(
    tmp_path: Path, orca: tuple[Path, Path]
) -> None:
    pkl, log = orca
    off = build_tokenizer(tmp_path / "off", clean_up=False)
    on = build_tokenizer(tmp_path / "on", clean_up=True)
    a = score_accuracy_log(log, pkl, benchmark="llama2-70b", tokenizer_dir=off, workers=1)
    b = score_accuracy_log(log, pkl, benchmark="llama2-70b", tokenizer_dir=on, workers=1)
    assert a.result["gen_len"] > b.result["gen_len"]  # " n't" and " ." lose their spaces


def test_cli_prints_and_writes_the_line(
    tmp_path: Path, tokdir: Path, orca: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pkl, log = orca
    out = tmp_path / "accuracy.txt"
    rc = accuracy.main(
        [
            "--benchmark", "llama2-70b-99.9", "--mlperf-accuracy-file", str(log),
            "--dataset-file", str(pkl), "--checkpoint-path", str(tokdir),
            "--accuracy-file", str(out), "--workers", "1",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0
    assert out.read_text() == captured.out
    assert captured.out.startswith("{'rouge1': ")
    assert "scored 40 of 40 samples; 3 repeated entries dropped" in captured.err


def test_cli_reports_errors_without_a_traceback(
    tmp_path: Path, tokdir: Path, orca: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rc = accuracy.main(
        [
            "--benchmark", "gpt-j", "--mlperf-accuracy-file", str(tmp_path / "none.json"),
            "--dataset-file", str(orca[0]), "--tokenizer", str(tokdir),
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "error:" in err and "fix:" in err and "Traceback" not in err


def test_accuracy_errors(tmp_path: Path, tokdir: Path, orca: tuple[Path, Path]) -> None:
    pkl, _ = orca

    def score(log: Path, **kw: Any) -> Any:
        return score_accuracy_log(log, pkl, benchmark="llama2-70b", tokenizer_dir=tokdir, **kw)

    with pytest.raises(AccuracyError, match="no accuracy log"):
        score(tmp_path / "missing.json")
    (tmp_path / "obj.json").write_text('{"qsl_idx": 0}')
    with pytest.raises(AccuracyError, match="not a JSON list"):
        score(tmp_path / "obj.json")
    bad_hex = write_log(tmp_path / "hex.json", [{"seq_id": 0, "qsl_idx": 0, "data": "ZZ"}])
    with pytest.raises(AccuracyError, match="malformed") as err:
        score(bad_hex)
    assert err.value.fix
    odd = write_log(tmp_path / "odd.json", [{"seq_id": 0, "qsl_idx": 0, "data": "0102"}])
    with pytest.raises(AccuracyError, match="malformed"):
        score(odd)  # 2 bytes are no int32
    outside = write_log(tmp_path / "out.json", [{"seq_id": 0, "qsl_idx": 99, "data": hexed([5])}])
    with pytest.raises(AccuracyError, match="outside the data set's 40 samples"):
        score(outside)
    negative = write_log(tmp_path / "neg.json", [{"seq_id": 0, "qsl_idx": 0, "data": hexed([-3])}])
    with pytest.raises(AccuracyError, match="negative or too large") as err:
        score(negative)
    assert "--dtype" in err.value.fix
    with pytest.raises(AccuracyError, match="unknown token dtype"):
        score(negative, dtype="float16")
    with pytest.raises(AccuracyError, match="not an LLM summarisation benchmark"):
        score_accuracy_log(negative, pkl, benchmark="resnet", tokenizer_dir=tokdir)
    with pytest.raises(AccuracyError, match=r"no tokenizer\.json"):
        score_accuracy_log(negative, pkl, benchmark="llama2-70b", tokenizer_dir=tmp_path)
    with pytest.raises(AccuracyError, match="does not exist"):
        score_accuracy_log(
            negative, tmp_path / "x.pkl", benchmark="llama2-70b", tokenizer_dir=tokdir
        )


# --- TEST06 ----------------------------------------------------------------------------------

REF_EOS = 2  # run_verification.py's default --eos_token_id (its -e flag arrives as a string)


def _test06_entries(case: str, dtype: str = "int32") -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    entries = []
    for n in range(6):
        ids = [int(t) for t in rng.integers(3, 400, size=int(rng.integers(2, 30)))] + [REF_EOS]
        first = ids[:1]
        count = len(ids)
        if n == 4:
            if case == "double_eos":
                ids = [*ids, REF_EOS]
                count = len(ids)
            elif case == "length":
                count += 1
            elif case == "first_token":
                first = [ids[0] + 1]
        entry: dict[str, Any] = {"seq_id": n, "qsl_idx": n, "data": hexed(ids, dtype)}
        if not (case == "no_first_token" and n == 2):
            entry["token_data"] = hexed(first, dtype)
        entry["token_count"] = count
        entries.append(entry)
    return entries


def _reference_test06(log_dir: Path, out_dir: Path, scenario: str, dtype: str) -> str:
    import reference_copy

    script = reference_copy.inference_root() / "compliance" / "TEST06" / "run_verification.py"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "-c",
            str(log_dir),
            "-o",
            str(out_dir),
            "-s",
            scenario,
            "-d",
            dtype,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return (out_dir / "TEST06" / "verify_accuracy.txt").read_text()


@pytest.mark.parametrize(
    ("case", "scenario", "passes"),
    [
        ("good", "Server", True),
        ("good", "Offline", True),
        ("good", "Interactive", True),
        ("double_eos", "Server", False),
        ("double_eos", "Offline", False),
        ("length", "Offline", False),
        ("first_token", "Server", False),
        ("first_token", "Offline", True),
        ("no_first_token", "Server", False),
    ],
)
def test_test06_agrees_with_run_verification(
    tmp_path: Path, case: str, scenario: str, passes: bool
) -> None:
    log_dir = tmp_path / "audit"
    log_dir.mkdir()
    log = write_log(log_dir / "mlperf_log_accuracy.json", _test06_entries(case))
    expected = _reference_test06(log_dir, tmp_path / "out", scenario, "int32")
    passed, lines = test06.verify_test06(log, "int32", scenario=scenario, eos_token_id=REF_EOS)
    assert test06.verification_text(lines) == expected
    assert passed is passes
    assert ("TEST06 verification complete" in lines) is passes


def test_test06_int64_and_the_reasons(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.json", _test06_entries("double_eos", "int64"))
    result = test06.check_test06(log, "int64", scenario="Server", eos_token_id=REF_EOS)
    assert result.first_token_pass is True and result.eos_pass is False
    assert result.sample_length_pass is True
    assert len(result.problems) == 1 and "entry 4 (qsl_idx 4)" in result.problems[0]


def test_test06_length_without_token_count_fails_instead_of_crashing(tmp_path: Path) -> None:
    entries = _test06_entries("good")
    del entries[1]["token_count"]
    log = write_log(tmp_path / "log.json", entries)
    passed, lines = test06.verify_test06(log, scenario="Offline", eos_token_id=REF_EOS)
    assert not passed and "Sample length check pass: False" in lines


def test_test06_errors(tmp_path: Path) -> None:
    with pytest.raises(AccuracyError, match="no accuracy log"):
        test06.verify_test06(tmp_path / "none.json", scenario="Offline", eos_token_id=2)
    (tmp_path / "bad.json").write_text("[{")
    with pytest.raises(AccuracyError, match="truncated or not JSON"):
        test06.verify_test06(tmp_path / "bad.json", scenario="Offline", eos_token_id=2)
    with pytest.raises(AccuracyError, match="unknown scenario"):
        test06.verify_test06(tmp_path / "bad.json", scenario="offline", eos_token_id=2)


def test_test06_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "log.json", _test06_entries("length"))
    out = tmp_path / "TEST06" / "verify_accuracy.txt"
    rc = test06.main(
        ["--mlperf-accuracy-file", str(log), "--scenario", "Offline", "--eos-token-id", "2",
         "--output-file", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 1
    assert out.read_text() == captured.out
    assert "reported" in captured.err


def test_eos_token_id_of_the_tokenizer(tokdir: Path, tmp_path: Path) -> None:
    assert test06.eos_token_id_of(tokdir) == EOS
    assert test06.eos_token_id_of(tmp_path) is None


def test_test06_models_of_the_checker_are_ours() -> None:
    """Every LLM summarisation benchmark the checker audits with TEST06 is one we verify."""
    import reference_copy

    constants = reference_copy.checker_dir() / "submission_checker" / "constants.py"
    config = reference_copy.module_tables(constants)["MODEL_CONFIG"]
    ours = set(accuracy.BENCHMARKS)
    audited = {m for v in ("v5.0", "v6.0", "v6.1") for m in config[v]["models_TEST06"]}
    summarisation = {m for m in audited if m.startswith(("llama2-70b", "llama3.1-8b", "gptj"))}
    assert summarisation <= ours
    assert "llama3.1-8b-edge" not in config["v6.1"]["models_TEST06"]
