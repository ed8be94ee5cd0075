"""The LLM benchmarks' prompt data sets, read as the MLCommons reference reads them.

Three formats, one per reference (mlcommons/inference ``language/*/dataset.py``):

``open-orca`` (llama2-70b)
    ``open_orca_gpt4_tokenized_llama.sampled_24576.pkl``: a pickled pandas DataFrame, one row
    per sample, with ``input`` (the prompt in Llama-2 chat form), ``tok_input`` (its token ids,
    what the reference feeds the model) and ``output`` (the GPT-4 answer ROUGE is scored
    against), among other columns. The reference reads it with ``pandas.read_pickle``; so do
    we, because a DataFrame pickle can only be rebuilt by pandas itself. Unpickling runs code
    named in the file: open only the MLCommons file or one this product generated.

``cnn-dailymail-llama3`` (llama3.1-8b, llama3.1-8b-edge)
    ``cnn_eval.json`` (13,368 samples) or ``sample_cnn_eval_5000.json`` (edge): a JSON list
    of records ``{"instruction": {"llama": TEMPLATE}, "input": ARTICLE, "tok_input": [ids],
    "output": HIGHLIGHTS}``. The reference feeds ``tok_input`` (the template filled with the
    article, tokenised with the begin-of-text token); the prompt text is the filled template.
    The column-oriented JSON pandas writes (``{"input": {"0": ...}, ...}``) is read too, as
    the reference's ``pandas.read_json`` would.

``cnn-dailymail-gptj`` (gpt-j)
    ``cnn_eval.json``: a JSON list of ``{"instruction", "input", "output"}``, no token ids.
    The prompt is the Alpaca template filled with the record; its ids come from the GPT-J
    tokenizer (``tokenizer.json`` in ``tokenizer_dir``, never fetched from a hub) with the
    tokenizer's own special tokens, cut to the reference's 1,919 tokens.

Sample index = row number, as in the reference. ``count`` keeps the first ``count`` rows (the
reference's ``total_sample_count``, which is likewise clamped to the rows there are). All token
ids are kept in one int32 array with offsets, not as a Python list per sample: 24,576 prompts
of ~1,000 tokens would otherwise cost most of a gigabyte.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.tasks import DatasetError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "ALPACA_PROMPT_INPUT",
    "CNN_GPTJ",
    "CNN_LLAMA3",
    "DATASET_FILES",
    "FORMATS",
    "GPTJ_INSTRUCTION",
    "GPTJ_MAX_INPUT_TOKENS",
    "LLAMA3_INSTRUCTION",
    "OPEN_ORCA",
    "TOKENIZER_FILE",
    "LlmDataset",
    "LlmSample",
    "check_dataset",
    "count_samples",
    "load_tokenizer",
    "open_llm_dataset",
    "read_references",
    "resolve_dataset_file",
]

OPEN_ORCA = "open-orca"
CNN_LLAMA3 = "cnn-dailymail-llama3"
CNN_GPTJ = "cnn-dailymail-gptj"

#: the formats, in the order of the rules' benchmarks that use them
FORMATS = (OPEN_ORCA, CNN_LLAMA3, CNN_GPTJ)

#: format -> the file names the reference's download gives, the first being the default
DATASET_FILES: Mapping[str, tuple[str, ...]] = {
    OPEN_ORCA: ("open_orca_gpt4_tokenized_llama.sampled_24576.pkl",),
    CNN_LLAMA3: ("cnn_eval.json", "sample_cnn_eval_5000.json"),
    CNN_GPTJ: ("cnn_eval.json",),
}

#: the tokenizer file a ``tokenizer_dir`` holds (the ``tokenizers`` library's JSON)
TOKENIZER_FILE = "tokenizer.json"

#: the reference's instruction for llama3.1-8b (``download_cnndm.py``), used when a record
#: carries none
LLAMA3_INSTRUCTION = (
    "In very brief sentences, summarize the following news article. Only return the summary.\n"
    "Article: {input}\nSummary: "
)

#: gpt-j's instruction in every record of its cnn_eval.json (``language/gpt-j/download_cnndm.py``)
GPTJ_INSTRUCTION = "Summarize the following news article:"

#: gpt-j's Alpaca prompt (``language/gpt-j/dataset.py`` PROMPT_DICT["prompt_input"])
ALPACA_PROMPT_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)

#: gpt-j's reference tokenises prompts with truncation to this many tokens
GPTJ_MAX_INPUT_TOKENS = 1919

_COLUMNS: Mapping[str, tuple[str, ...]] = {
    OPEN_ORCA: ("input", "tok_input", "output"),
    CNN_LLAMA3: ("input", "tok_input", "output"),
    CNN_GPTJ: ("instruction", "input", "output"),
}


@dataclass(frozen=True)
class LlmSample:
    """One prompt: what the engine is fed and what its answer is scored against."""

    #: the prompt's token ids as the reference feeds them
    input_ids: tuple[int, ...]
    #: the prompt text (for engines that take text)
    prompt: str
    #: the reference output text (accuracy), None when absent
    reference: str | None


class LlmDataset:
    """A prompt data set opened once per run: prompts, their token ids and reference outputs.

    ``sample(i)`` builds the :class:`LlmSample`; ``input_ids(i)`` is the same ids as an int32
    view for an SUT that hands arrays on.
    """

    def __init__(
        self,
        *,
        format: str,
        path: Path,
        prompts: Sequence[str],
        references: Sequence[str | None],
        token_ids: np.ndarray,
        offsets: np.ndarray,
    ) -> None:
        self.format = format
        self.path = path
        self.total_count = len(prompts)
        self._prompts = list(prompts)
        self._references = list(references)
        self._ids = token_ids
        self._offsets = offsets

    def _check(self, index: int) -> None:
        if not 0 <= index < self.total_count:
            raise IndexError(f"sample {index} outside 0..{self.total_count - 1}")

    def input_ids(self, index: int) -> np.ndarray:
        """The prompt's token ids as a read-only int32 array (a view, no copy)."""
        self._check(index)
        view = self._ids[self._offsets[index] : self._offsets[index + 1]]
        view.flags.writeable = False
        return view

    def input_length(self, index: int) -> int:
        self._check(index)
        return int(self._offsets[index + 1] - self._offsets[index])

    def sample(self, index: int) -> LlmSample:
        self._check(index)
        return LlmSample(
            input_ids=tuple(int(t) for t in self.input_ids(index)),
            prompt=self._prompts[index],
            reference=self._references[index],
        )

    @property
    def references(self) -> list[str | None]:
        """Every sample's reference output, by sample index (what accuracy scores against)."""
        return list(self._references)


def resolve_dataset_file(path: Path, format: str) -> Path:
    """The data set file: ``path`` itself, or the reference's file name inside a folder."""
    _check_format(format)
    if path.is_dir():
        for name in DATASET_FILES[format]:
            if (path / name).is_file():
                return path / name
        raise DatasetError(
            f"no {' or '.join(DATASET_FILES[format])} in {path}",
            f"point the data set at the {format} file itself or at the folder that holds it",
        )
    if not path.is_file():
        raise DatasetError(
            f"data set file {path} does not exist",
            f"point the data set at the {format} file ({DATASET_FILES[format][0]})",
        )
    return path


def load_tokenizer(tokenizer_dir: Path) -> Tokenizer:
    """The model's tokenizer from a local folder's ``tokenizer.json`` (never from a hub)."""
    from tokenizers import Tokenizer

    file = tokenizer_dir / TOKENIZER_FILE if tokenizer_dir.is_dir() else tokenizer_dir
    if not file.is_file():
        raise DatasetError(
            f"no {TOKENIZER_FILE} in {tokenizer_dir}",
            f"point the tokenizer at the model's folder that holds {TOKENIZER_FILE}",
        )
    try:
        return Tokenizer.from_file(str(file))
    except Exception as exc:  # the library raises a bare Exception for a malformed file
        raise DatasetError(
            f"cannot read the tokenizer {file}: {exc}",
            f"use the model's own {TOKENIZER_FILE} (the tokenizers library's format)",
        ) from None


def open_llm_dataset(
    path: Path, format: str, *, tokenizer_dir: Path | None = None, count: int | None = None
) -> LlmDataset:
    """Open one LLM data set; ``count`` keeps the first ``count`` samples.

    ``tokenizer_dir`` is needed for ``cnn-dailymail-gptj`` only (its file has no token ids).
    """
    file, columns, rows = _read_table(path, format)
    n = _clamp(rows, count)
    references = [_text_or_none(v) for v in columns["output"][:n]]
    if format == CNN_GPTJ:
        if tokenizer_dir is None:
            raise DatasetError(
                f"{format} needs the model's tokenizer to make the prompts' token ids",
                f"give the folder that holds the model's {TOKENIZER_FILE}",
            )
        prompts = [
            _alpaca_prompt(file, i, columns["instruction"][i], columns["input"][i])
            for i in range(n)
        ]
        ids = _tokenize(load_tokenizer(tokenizer_dir), prompts, GPTJ_MAX_INPUT_TOKENS)
    else:
        if format == CNN_LLAMA3:
            instructions = columns.get("instruction", [None] * rows)
            prompts = [
                _llama3_prompt(file, i, instructions[i], columns["input"][i]) for i in range(n)
            ]
        else:
            prompts = [_text(file, i, "input", columns["input"][i]) for i in range(n)]
        ids = [_token_ids(file, i, columns["tok_input"][i]) for i in range(n)]

    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(a) for a in ids])
    flat = np.concatenate(ids) if ids else np.empty(0, dtype=np.int32)
    return LlmDataset(
        format=format,
        path=file,
        prompts=prompts,
        references=references,
        token_ids=flat.astype(np.int32, copy=False),
        offsets=offsets,
    )


def read_references(path: Path, format: str, *, count: int | None = None) -> list[str | None]:
    """The reference outputs by sample index, without tokenising the prompts (accuracy)."""
    _, columns, rows = _read_table(path, format)
    return [_text_or_none(v) for v in columns["output"][: _clamp(rows, count)]]


def count_samples(path: Path, format: str) -> int:
    """The data set's sample count (raises :class:`DatasetError` as opening it would)."""
    return _read_table(path, format)[2]


def check_dataset(path: Path, format: str) -> int:
    """Read every sample as opening would (texts, token ids), without tokenising; the count.

    Raises :class:`DatasetError` naming the first bad sample."""
    file, columns, rows = _read_table(path, format)
    instructions = columns.get("instruction", [None] * rows)
    for i in range(rows):
        _text(file, i, "output", columns["output"][i])
        if format == CNN_GPTJ:
            _alpaca_prompt(file, i, columns["instruction"][i], columns["input"][i])
            continue
        if format == CNN_LLAMA3:
            _llama3_prompt(file, i, instructions[i], columns["input"][i])
        else:
            _text(file, i, "input", columns["input"][i])
        _token_ids(file, i, columns["tok_input"][i])
    return rows


def _read_table(path: Path, format: str) -> tuple[Path, dict[str, list[Any]], int]:
    _check_format(format)
    file = resolve_dataset_file(path, format)
    data = _read_pickle(file) if format == OPEN_ORCA else _read_json(file)
    columns = _columns(data, file, format)
    rows = len(columns[_COLUMNS[format][0]])
    if rows == 0:
        raise DatasetError(f"{file} holds no samples", f"regenerate or re-download {file.name}")
    return file, columns, rows


def _clamp(rows: int, count: int | None) -> int:
    if count is None:
        return rows
    if count < 1:
        raise DatasetError(f"sample count {count} must be at least 1", "ask for 1 or more samples")
    return min(count, rows)


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise DatasetError(
            f"unknown LLM data set format {format!r}", f"use one of: {', '.join(FORMATS)}"
        )


def _read_pickle(file: Path) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise DatasetError(
            f"{file.name} is a pandas DataFrame and pandas is not installed",
            "install pandas (pip install pandas)",
        ) from None
    try:
        return pd.read_pickle(file)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        raise DatasetError(
            f"cannot read {file} as a pickled DataFrame: {exc}",
            f"re-download {file.name}; a truncated or foreign file cannot be read",
        ) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {file}: {exc}", "check the file's permissions") from None


def _read_json(file: Path) -> Any:
    try:
        with file.open("rb") as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(
            f"{file} is not valid JSON: {exc}",
            f"re-download {file.name}; a truncated file cannot be read",
        ) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {file}: {exc}", "check the file's permissions") from None


def _columns(data: Any, file: Path, format: str) -> dict[str, list[Any]]:
    """Column name -> values in row order, from a DataFrame, a list of records or a dict of
    columns (pandas' default JSON orientation)."""
    wanted = _COLUMNS[format]
    fix = f"use the MLCommons {DATASET_FILES[format][0]} or regenerate it"
    columns: dict[str, list[Any]]
    if hasattr(data, "columns") and hasattr(data, "to_dict"):  # a pandas DataFrame
        columns = {str(c): list(data[c]) for c in data.columns}
    elif isinstance(data, list):
        if not data:
            raise DatasetError(f"{file} holds no samples", f"regenerate or re-download {file.name}")
        if not all(isinstance(r, dict) for r in data):
            raise DatasetError(f"{file} is not a list of records (JSON objects)", fix)
        names = {k for r in data for k in r}
        columns = {k: [r.get(k) for r in data] for k in names}
    elif isinstance(data, dict) and all(isinstance(v, (dict, list)) for v in data.values()):
        columns = {str(k): _column_values(v) for k, v in data.items()}
    else:
        raise DatasetError(f"{file} holds a {type(data).__name__}, not a table of samples", fix)
    missing = [c for c in wanted if c not in columns]
    if missing:
        have = ", ".join(sorted(columns)) or "none"
        raise DatasetError(
            f"{file} lacks the column(s) {', '.join(missing)} of the {format} format "
            f"(it has: {have})",
            fix,
        )
    for c in wanted:
        columns.setdefault(c, [])
    return columns


def _column_values(column: dict[str, Any] | list[Any]) -> list[Any]:
    if isinstance(column, list):
        return column
    try:  # pandas writes row labels as strings: order them as numbers
        return [column[k] for k in sorted(column, key=int)]
    except ValueError:
        return list(column.values())


def _text(file: Path, row: int, column: str, value: Any) -> str:
    if not isinstance(value, str):
        raise DatasetError(
            f"{file}: sample {row}: {column} is a {type(value).__name__}, not text",
            f"regenerate or re-download {file.name}",
        )
    return value


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _llama3_prompt(file: Path, row: int, instruction: Any, article: Any) -> str:
    text = _text(file, row, "input", article)
    template = instruction.get("llama") if isinstance(instruction, dict) else None
    if not isinstance(template, str):
        template = LLAMA3_INSTRUCTION
    return template.format_map({"input": text})


def _alpaca_prompt(file: Path, row: int, instruction: Any, text: Any) -> str:
    # the reference fills the with-input template for every record (an empty input too)
    return ALPACA_PROMPT_INPUT.format_map(
        {
            "instruction": _text(file, row, "instruction", instruction),
            "input": _text(file, row, "input", text),
        }
    )


def _token_ids(file: Path, row: int, value: Any) -> np.ndarray:
    bad = DatasetError(
        f"{file}: sample {row}: tok_input is not a list of token ids",
        f"regenerate or re-download {file.name}",
    )
    if isinstance(value, (str, bytes)) or not isinstance(value, (Iterable, np.ndarray)):
        raise bad
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise bad from None
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise bad
    if arr.min() < 0 or arr.max() > np.iinfo(np.int32).max:
        raise bad
    return arr.astype(np.int32, copy=False)


def _tokenize(tokenizer: Tokenizer, prompts: list[str], max_length: int) -> list[np.ndarray]:
    # the reference calls the tokenizer with its default add_special_tokens=True and
    # truncation to max_length (right side): the first max_length ids are kept
    encodings = tokenizer.encode_batch(prompts, add_special_tokens=True)
    return [np.asarray(e.ids[:max_length], dtype=np.int32) for e in encodings]
