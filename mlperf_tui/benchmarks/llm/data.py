"""The LLM benchmarks' data sets as the MLCommons references lay them out, and their stand-ins.

Three formats (harness.datasets.llm reads them; this module generates and checks them):

``open-orca`` (llama2-70b)
    ``open_orca_gpt4_tokenized_llama.sampled_24576.pkl``, a pickled pandas DataFrame with the
    columns ``processorca.py`` leaves: ``id`` ("<origin>.<n>"), ``system_prompt``,
    ``question``, ``output`` (the reference answer), ``input`` (the Llama-2 chat prompt),
    ``tok_input`` and ``tok_output`` (lists of token ids), ``origin`` (cot, flan, niv, t0),
    ``tok_input_length`` and ``tok_output_length`` (int64).
``cnn-dailymail-llama3`` (llama3.1-8b; ``sample_cnn_eval_5000.json`` for -edge)
    ``cnn_eval.json``, a JSON list of ``{"instruction": {"llama": TEMPLATE}, "input": ARTICLE,
    "tok_input": [ids], "output": HIGHLIGHTS}``, non-ASCII kept as ``download_cnndm.py``
    writes it, but without its indentation (one token id a line would make a full-size
    stand-in some 400 MB; the readers, ours and the reference's ``pandas.read_json``, do not
    care).
``cnn-dailymail-gptj`` (gpt-j)
    ``cnn_eval.json``, a JSON list of ``{"instruction", "input", "output"}`` (no token ids:
    the harness tokenises the Alpaca prompt).

A stand-in is the same file, deterministic from a seed: news-like articles and prompts made of
common English words (capitalised sentences, commas, numbers, quotes, abbreviations such as
"Mr." and "U.S." that a sentence splitter must not break at), reference outputs that reuse
an article's or a question's words as a real summary or answer would, and token ids made with
the given tokenizer (the tiny engine's ``tokenizer.json``), so a run's prompts are exactly
what the engine is fed. Accuracy on it is honestly computed, and meaningless.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlperf_tui.errors import AssetError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from mlperf_tui.benchmarks import Progress

OPEN_ORCA = "open-orca"
CNN_LLAMA3 = "cnn-dailymail-llama3"
CNN_GPTJ = "cnn-dailymail-gptj"
FORMATS = (OPEN_ORCA, CNN_LLAMA3, CNN_GPTJ)

OPEN_ORCA_FILE = "open_orca_gpt4_tokenized_llama.sampled_24576.pkl"
CNN_FILE = "cnn_eval.json"
CNN_EDGE_FILE = "sample_cnn_eval_5000.json"

#: format -> the file that identifies the data set's folder (its marker)
MARKERS: Mapping[str, str] = {OPEN_ORCA: OPEN_ORCA_FILE, CNN_LLAMA3: CNN_FILE, CNN_GPTJ: CNN_FILE}
#: the rules' benchmark -> (format, marker file)
BENCHMARK_DATASETS: Mapping[str, tuple[str, str]] = {
    "llama2-70b-99": (OPEN_ORCA, OPEN_ORCA_FILE),
    "llama2-70b-99.9": (OPEN_ORCA, OPEN_ORCA_FILE),
    "llama3.1-8b": (CNN_LLAMA3, CNN_FILE),
    "llama3.1-8b-edge": (CNN_LLAMA3, CNN_EDGE_FILE),
    "gpt-j-99": (CNN_GPTJ, CNN_FILE),
    "gpt-j-99.9": (CNN_GPTJ, CNN_FILE),
}
#: the real data sets' sample counts
REAL_COUNTS: Mapping[str, int] = {
    "llama2-70b-99": 24576,
    "llama2-70b-99.9": 24576,
    "llama3.1-8b": 13368,
    "llama3.1-8b-edge": 5000,
    "gpt-j-99": 13368,
    "gpt-j-99.9": 13368,
}

#: pre-flight figures, measured with a 500-token byte-level BPE (the tiny engine's size): a
#: generated sample's share of the file, and one core's seconds to generate one
GENERATED_SAMPLE_BYTES: Mapping[str, int] = {OPEN_ORCA: 3300, CNN_LLAMA3: 9000, CNN_GPTJ: 2300}
GENERATE_S_PER_SAMPLE: Mapping[str, float] = {
    OPEN_ORCA: 0.0012,
    CNN_LLAMA3: 0.0036,
    CNN_GPTJ: 0.0013,
}
#: one core's seconds to score one sample's ROUGE (harness.tasks.llm_summarization)
SCORE_S_PER_SAMPLE = 0.005

#: the llama3.1-8b instruction (download_cnndm.py) and gpt-j's
LLAMA3_TEMPLATE = (
    "In very brief sentences, summarize the following news article. Only return the summary.\n"
    "Article: {input}\nSummary: "
)
GPTJ_INSTRUCTION = "Summarize the following news article:"
#: processorca.py's Llama-2 chat prompts
_LLAMA2_SYSTEM = "<s>[INST] <<SYS>>\n{}\n<</SYS>>\n\n{} [/INST]"
_LLAMA2_NO_SYSTEM = "<s>[INST] {} [/INST]"
_ORIGINS = ("cot", "flan", "niv", "t0")
_SYSTEM_PROMPTS = (
    "",
    "You are a helpful assistant, who always provide explanation. Think like you are "
    "answering to a five year old.",
    "You are an AI assistant. User will you give you a task. Your goal is to complete the "
    "task as faithfully as you can. While performing the task think step-by-step and justify "
    "your steps.",
    "You are an AI assistant that helps people find information.",
    "Explain how you used the definition to come up with the answer.",
)
_QUESTION_LEADS = (
    "Write a short summary of this text:",
    "Answer the following question.",
    "Read the passage and answer: what happened after the meeting?",
    "Translate the main point of this paragraph into one sentence.",
    "Given the sentence below, is the statement true?",
    "Generate a question about the following article.",
)

_WORDS_TEXT = (
    "the of and to in a is that for on was with he it as his at by be from this have are "
    "had not but which they were been one their said has its who all would more will there "
    "after new first two also when people about other year years than over into some last "
    "most time could state city government police officials report since while school "
    "family between three four million percent company country world week day night home "
    "team game season players coach fans market prices workers union leaders plan budget "
    "court judge trial case lawyer evidence hospital doctors patients health study "
    "researchers university water river storm weather fire crews road bridge station "
    "train airport flight passengers village town council mayor election voters campaign "
    "party minister president spokesman statement officers investigation suspect victims "
    "children parents students teachers church museum festival music film book author "
    "local national international public private early later recent major small large "
    "long short high low young old former senior big strong important difficult "
    "announced reported confirmed denied told asked warned agreed expected found showed "
    "started began ended opened closed arrived left returned visited called added "
    "continued decided helped moved paid received remained won lost built planned "
    "increased reduced raised"
)
_WORDS = tuple(_WORDS_TEXT.split())
_NAMES_TEXT = (
    "Smith Johnson Garcia Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
    "White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker"
)
_NAMES = tuple(_NAMES_TEXT.split())
_PLACES_TEXT = (
    "London Chicago Atlanta Boston Denver Paris Berlin Madrid Sydney Toronto Dallas Seattle "
    "Miami Phoenix Houston Dublin Lagos Mumbai Tokyo Seoul"
)
_PLACES = tuple(_PLACES_TEXT.split())
_TITLES = ("Mr.", "Mrs.", "Dr.", "Gov.", "Sen.", "Prof.")
_ABBREVIATIONS = ("U.S.", "U.N.", "Inc.", "Corp.", "Jan.", "Feb.", "Aug.", "Oct.", "Dec.")


class _Writer:
    """Generates news-like sentences from one random stream."""

    def __init__(self, seed: int, stream: int) -> None:
        self.rng = np.random.default_rng([seed, stream])

    def pick(self, items: tuple[str, ...] | list[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def sentence(self) -> str:
        n = int(self.rng.integers(8, 24))
        words = [self.pick(_WORDS) for _ in range(n)]
        r = self.rng.random()
        if r < 0.3:
            words.insert(int(self.rng.integers(n)), f"{self.pick(_TITLES)} {self.pick(_NAMES)}")
        elif r < 0.45:
            words.insert(int(self.rng.integers(n)), self.pick(_ABBREVIATIONS))
        if self.rng.random() < 0.4:
            words.insert(int(self.rng.integers(n)), self.pick(_PLACES))
        if self.rng.random() < 0.3:
            words.insert(int(self.rng.integers(n)), str(int(self.rng.integers(2, 2000))))
        if self.rng.random() < 0.3:
            at = int(self.rng.integers(2, n))
            words[at] = words[at] + ","
        text = " ".join(words)
        text = text[:1].upper() + text[1:]
        if self.rng.random() < 0.1:
            return f'"{text}," {self.pick(_NAMES)} said.'
        return text + (self.pick(("?", "!")) if self.rng.random() < 0.05 else ".")

    def sentences(self, low: int, high: int) -> list[str]:
        return [self.sentence() for _ in range(int(self.rng.integers(low, high)))]

    def summary_of(self, sentences: list[str], low: int, high: int) -> list[str]:
        """A summary: shortened copies of some of the source's sentences, as highlights are
        (no final punctuation)."""
        k = min(len(sentences), int(self.rng.integers(low, high)))
        chosen = sorted(self.rng.choice(len(sentences), size=k, replace=False).tolist())
        out = []
        for i in chosen:
            words = sentences[i].rstrip(".?!").split()
            keep = words[: max(4, int(len(words) * self.rng.uniform(0.4, 0.8)))]
            out.append(" ".join(keep).rstrip(","))
        return out


def _load_tokenizer(tokenizer_json: Path) -> Tokenizer:
    from tokenizers import Tokenizer

    if not tokenizer_json.is_file():
        raise AssetError(
            f"no tokenizer at {tokenizer_json}",
            "generate the engine stand-in first; its tokenizer.json tokenises the prompts",
        )
    return Tokenizer.from_file(str(tokenizer_json))


def _ids(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    return [list(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=True)]


def _report(progress: Progress | None, label: str, done: int, total: int) -> None:
    if progress:
        progress(label, done, total)


def synthesize_open_orca(
    count: int, seed: int, folder: Path, tokenizer_json: Path, progress: Progress | None = None
) -> Path:
    """Write a stand-in ``open_orca_gpt4_tokenized_llama.sampled_24576.pkl`` of ``count`` rows."""
    import pandas as pd

    tokenizer = _load_tokenizer(tokenizer_json)
    writer = _Writer(seed, 1)
    label = f"Generating a synthetic OpenOrca set of {count} prompts"
    _report(progress, label, 0, count)
    rows: dict[str, list[Any]] = {
        k: [] for k in ("id", "system_prompt", "question", "output", "input", "origin")
    }
    for i in range(count):
        origin = _ORIGINS[i % len(_ORIGINS)]
        system = writer.pick(_SYSTEM_PROMPTS)
        context = writer.sentences(2, 9)
        question = f"{writer.pick(_QUESTION_LEADS)}\n\n{' '.join(context)}"
        summary = " ".join(f"{x}." for x in writer.summary_of(context, 1, 4))
        answer = " ".join([summary, *writer.sentences(0, 3)])
        rows["id"].append(f"{origin}.{int(writer.rng.integers(1, 10**6))}")
        rows["system_prompt"].append(system)
        rows["question"].append(question)
        rows["output"].append(answer.strip())
        rows["input"].append(
            _LLAMA2_SYSTEM.format(system, question)
            if system
            else _LLAMA2_NO_SYSTEM.format(question)
        )
        rows["origin"].append(origin)
        if (i + 1) % 256 == 0:
            _report(progress, label, i + 1, count)
    tok_input = _ids(tokenizer, rows["input"])
    tok_output = _ids(tokenizer, rows["output"])
    frame = pd.DataFrame(
        {
            "id": rows["id"],
            "system_prompt": rows["system_prompt"],
            "question": rows["question"],
            "output": rows["output"],
            "input": rows["input"],
            "tok_input": tok_input,
            "tok_output": tok_output,
            "origin": rows["origin"],
            "tok_input_length": np.array([len(t) for t in tok_input], dtype=np.int64),
            "tok_output_length": np.array([len(t) for t in tok_output], dtype=np.int64),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / OPEN_ORCA_FILE
    frame.to_pickle(path)
    _report(progress, label, count, count)
    return path


def _articles(writer: _Writer, count: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(count):
        sentences = writer.sentences(8, 26)
        paragraphs, at = [], 0
        while at < len(sentences):
            step = int(writer.rng.integers(2, 5))
            paragraphs.append(" ".join(sentences[at : at + step]))
            at += step
        place = writer.pick(_PLACES).upper()
        article = f"{place} (CNN) -- " + "\n".join(paragraphs)
        # CNN/DailyMail's highlights: one per line, each ending " ."
        highlights = "\n".join(f"{x} ." for x in writer.summary_of(sentences, 3, 5))
        out.append((article, highlights))
    return out


def synthesize_cnn_llama3(
    count: int,
    seed: int,
    folder: Path,
    tokenizer_json: Path,
    progress: Progress | None = None,
    *,
    file_name: str = CNN_FILE,
) -> Path:
    """Write a stand-in llama3.1-8b ``cnn_eval.json`` (``file_name`` for the edge set)."""
    tokenizer = _load_tokenizer(tokenizer_json)
    label = f"Generating a synthetic CNN/DailyMail set of {count} articles"
    _report(progress, label, 0, count)
    articles = _articles(_Writer(seed, 2), count)
    ids = _ids(tokenizer, [LLAMA3_TEMPLATE.format_map({"input": a}) for a, _ in articles])
    records = [
        {"instruction": {"llama": LLAMA3_TEMPLATE}, "input": a, "tok_input": t, "output": h}
        for (a, h), t in zip(articles, ids, strict=True)
    ]
    path = _write_json(folder / file_name, records)
    _report(progress, label, count, count)
    return path


def synthesize_cnn_gptj(
    count: int, seed: int, folder: Path, tokenizer_json: Path, progress: Progress | None = None
) -> Path:
    """Write a stand-in gpt-j ``cnn_eval.json`` (no token ids: the harness tokenises).

    ``tokenizer_json`` is taken for a uniform signature and checked, so a stand-in is never
    made for a run whose tokenizer is missing."""
    _load_tokenizer(tokenizer_json)
    label = f"Generating a synthetic CNN/DailyMail set of {count} articles"
    _report(progress, label, 0, count)
    records = [
        {"instruction": GPTJ_INSTRUCTION, "input": a, "output": h}
        for a, h in _articles(_Writer(seed, 3), count)
    ]
    path = _write_json(folder / CNN_FILE, records)
    _report(progress, label, count, count)
    return path


def _write_json(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False)
    return path


_SYNTHESIZERS: Mapping[str, Callable[..., Path]] = {
    OPEN_ORCA: synthesize_open_orca,
    CNN_LLAMA3: synthesize_cnn_llama3,
    CNN_GPTJ: synthesize_cnn_gptj,
}


def synthesize(
    format: str,
    count: int,
    seed: int,
    folder: Path,
    tokenizer_json: Path,
    progress: Progress | None = None,
    *,
    file_name: str | None = None,
) -> Path:
    """Write a stand-in data set of ``format`` into ``folder``; the file written."""
    if format not in _SYNTHESIZERS:
        raise AssetError(f"unknown LLM data set format {format!r}", f"use one of: {FORMATS}")
    if count < 1:
        raise AssetError(f"sample count {count} must be at least 1", "ask for 1 or more samples")
    if file_name is not None and format == CNN_LLAMA3:
        return synthesize_cnn_llama3(
            count, seed, folder, tokenizer_json, progress, file_name=file_name
        )
    return _SYNTHESIZERS[format](count, seed, folder, tokenizer_json, progress)


def count_samples(path: Path, format: str) -> int:
    """Samples of the data set at ``path`` (a file or its folder); 0 when it is not one."""
    from harness.datasets.llm import count_samples as count
    from harness.tasks import DatasetError

    try:
        return count(path, format)
    except DatasetError:
        return 0


def check_llm_dataset(path: Path, format: str) -> int:
    """AssetError with the fix unless ``path`` (a file or its folder) holds a readable data
    set of ``format``, every sample checked; returns its sample count."""
    from harness.datasets.llm import check_dataset
    from harness.tasks import DatasetError

    if not path.exists():
        raise AssetError(
            f"data set {path} does not exist",
            f"point it at the {MARKERS.get(format, 'data set')} file or its folder, or use synthetic",
        )
    try:
        return check_dataset(path, format)
    except DatasetError as exc:
        raise AssetError(exc.message, exc.fix) from None
