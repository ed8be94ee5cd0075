"""The LLM benchmarks driven through a serving engine's endpoint: llama2-70b, llama3.1-8b(-edge)
and gpt-j.

The engine (vLLM, SGLang, TensorRT-LLM, llama.cpp...) holds the model and spreads it over its
GPUs and nodes; mlperf-tui sends it the reference data set's prompts under LoadGen and scores
what comes back with the reference's ROUGE (harness.tasks.llm_summarization). So an entry's
"model" here is the folder of the model the engine serves, which mlperf-tui reads only for its
tokenizer (``tokenizer.json``: the reference accuracy scripts detokenise with it). The stand-in
is a tiny llama-architecture GGUF with random weights and its tokenizer (engine_standin), which
llama.cpp's server can host on any CPU; the stand-in data sets are in the reference's formats,
tokenised with that tokenizer.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path

from mlperf_tui.benchmarks import ENDPOINT, BenchmarkEntry, DatasetKind, ModelKind, Progress
from mlperf_tui.benchmarks.llm import data
from mlperf_tui.errors import AssetError

__all__ = ["ENTRIES", "tokenizer_dir_of"]

#: the file of a model folder that holds its tokenizer
TOKENIZER_FILE = "tokenizer.json"
#: the tiny engine's tokenizer sub-folder
_STANDIN_TOKENIZER_DIR = "tokenizer"


def tokenizer_dir_of(model_folder: Path) -> Path:
    """The folder with the model's tokenizer.json: the model folder itself (a Hugging Face
    checkpoint) or its ``tokenizer/`` (the tiny engine stand-in)."""
    if (model_folder / TOKENIZER_FILE).is_file():
        return model_folder
    return model_folder / _STANDIN_TOKENIZER_DIR


def check_model_folder(folder: Path) -> None:
    """AssetError with the fix unless the folder holds the served model's tokenizer."""
    if not folder.is_dir():
        raise AssetError(
            f"{folder} is not a folder",
            "point assets.model.path at the folder of the model your engine serves (its "
            f"{TOKENIZER_FILE} is read to score the answers), or use source: synthetic",
        )
    if not (tokenizer_dir_of(folder) / TOKENIZER_FILE).is_file():
        raise AssetError(
            f"no {TOKENIZER_FILE} in {folder}",
            "point assets.model.path at the model's Hugging Face folder (it holds "
            f"{TOKENIZER_FILE}; the accuracy script detokenises the answers with it)",
        )


def _write_standin(seed: int, folder: Path) -> None:
    from mlperf_tui.benchmarks.llm.engine_standin import write_tiny_engine_model

    write_tiny_engine_model(folder, seed)


def _synthesizer(fmt: str, marker: str) -> Callable[[int, int, Path, Progress | None], None]:
    """A DatasetKind.synthesize: the stand-in data set tokenised for the tiny engine."""

    def synthesize(count: int, seed: int, folder: Path, progress: Progress | None) -> None:
        from mlperf_tui.benchmarks.llm.engine_standin import write_tiny_engine_model

        with tempfile.TemporaryDirectory(prefix="mlperf-tui-tokenizer-") as scratch:
            # the tokenizer does not depend on the seed: any seed gives the engine's vocabulary
            model = write_tiny_engine_model(Path(scratch), seed)
            data.synthesize(
                fmt,
                count,
                seed,
                folder,
                model.tokenizer_dir / TOKENIZER_FILE,
                progress,
                file_name=marker,
            )

    return synthesize


def _dataset(
    name: str, slug: str, fmt: str, marker: str, how_to_get: str, max_tokens: int
) -> DatasetKind:
    return DatasetKind(
        name=name,
        slug=slug,
        marker=marker,
        # the prompts are read as they are: nothing is preprocessed into the cache
        sample_bytes=0,
        count=lambda folder: data.count_samples(folder / marker, fmt),
        check=lambda folder: data.check_llm_dataset(folder / marker, fmt),
        synthesize=_synthesizer(fmt, marker),
        how_to_get=how_to_get,
        generated_sample_bytes=data.GENERATED_SAMPLE_BYTES[fmt],
        generate_s_per_sample=data.GENERATE_S_PER_SAMPLE[fmt],
        # an answer's int32 token ids, at most max_tokens of them
        response_bytes=4 * max_tokens,
    )


def _models(reference: str, title: str) -> tuple[ModelKind, ...]:
    return (
        ModelKind(
            reference,
            f"{title}, served by your engine (assets.model.path: its Hugging Face folder, "
            "for the tokenizer)",
            closed=True,
            # an engine's speed is not a CPU's: the first run's figures replace this guess
            per_core_throughput=1.0,
        ),
        ModelKind(
            "tiny-engine",
            "a tiny llama-architecture GGUF with random weights and its tokenizer, for "
            "llama.cpp's server (fast tests of the whole flow, not a submission)",
            closed=True,
            folder_standin=_write_standin,
            standin_bytes=830_000,
            # measured with llama.cpp's server on one core: about 1.1 ms per generated token,
            # one request at a time
            per_core_throughput=4.0,
        ),
    )


_ORCA_HOW = (
    "the MLCommons OpenOrca pickle open_orca_gpt4_tokenized_llama.sampled_24576.pkl "
    "(mlcommons/inference language/llama2-70b: the MLCommons R2 downloader, or processorca.py "
    "on the OpenOrca GPT-4 subset)"
)
_CNN_HOW = (
    "the CNN/DailyMail validation set as the reference writes it (mlcommons/inference "
    "language/{folder}: download_cnndm.py, or the MLCommons R2 downloader)"
)

#: an entry driven through a serving engine (its model folder read for the tokenizer)
_endpoint_entry = functools.partial(
    BenchmarkEntry, harness=ENDPOINT, check_model=check_model_folder, tokenizer_dir=tokenizer_dir_of
)


LLAMA2_70B = _endpoint_entry(
    benchmarks=("llama2-70b-99", "llama2-70b-99.9"),
    task="llm_summarization",
    models=_models("llama2-70b", "Llama 2 70B Chat"),
    dataset=_dataset(
        "OpenOrca (GPT-4 subset, 24,576 prompts, the MLCommons pickle)",
        "open-orca",
        data.OPEN_ORCA,
        data.OPEN_ORCA_FILE,
        _ORCA_HOW,
        1024,
    ),
    summary=(
        "Llama 2 70B answers 24,576 OpenOrca questions (ROUGE-1/2/L against GPT-4's answers, "
        "and the tokens per answer within bounds). Your serving engine holds the model on its "
        "GPUs; mlperf-tui sends it the reference's tokenised prompts under LoadGen, streams "
        "the answers back (LoadGen measures the time to the first token and per output token), "
        "and scores them with the reference's ROUGE."
    ),
    prompt_format=data.OPEN_ORCA,
    max_tokens=1024,
)

LLAMA3_8B = _endpoint_entry(
    benchmarks=("llama3.1-8b",),
    task="llm_summarization",
    models=_models("llama3.1-8b", "Llama 3.1 8B Instruct"),
    dataset=_dataset(
        "CNN/DailyMail v3.0.0 validation (13,368 articles, the reference's cnn_eval.json)",
        "cnn-llama3",
        data.CNN_LLAMA3,
        data.CNN_FILE,
        _CNN_HOW.format(folder="llama3.1-8b"),
        128,
    ),
    summary=(
        "Llama 3.1 8B summarises 13,368 CNN/DailyMail news articles (ROUGE-1/2/L against the "
        "articles' highlights, and the generated length). Your serving engine holds the model; "
        "mlperf-tui sends it the reference's prompts under LoadGen, streams the summaries back "
        "with their token latencies, and scores them with the reference's ROUGE."
    ),
    prompt_format=data.CNN_LLAMA3,
    max_tokens=128,
)

LLAMA3_8B_EDGE = _endpoint_entry(
    benchmarks=("llama3.1-8b-edge",),
    task="llm_summarization",
    models=_models("llama3.1-8b", "Llama 3.1 8B Instruct"),
    dataset=_dataset(
        "CNN/DailyMail v3.0.0 validation, the edge sample (5,000 articles, "
        "sample_cnn_eval_5000.json)",
        "cnn-llama3-edge",
        data.CNN_LLAMA3,
        data.CNN_EDGE_FILE,
        _CNN_HOW.format(folder="llama3.1-8b"),
        128,
    ),
    summary=(
        "Llama 3.1 8B summarises 5,000 CNN/DailyMail news articles on an edge system (ROUGE "
        "against the highlights). Your engine holds the model; mlperf-tui drives it under "
        "LoadGen one query at a time (SingleStream) or all at once (Offline), and scores the "
        "summaries with the reference's ROUGE."
    ),
    prompt_format=data.CNN_LLAMA3,
    max_tokens=128,
)

GPTJ = _endpoint_entry(
    benchmarks=("gpt-j-99", "gpt-j-99.9"),
    task="llm_summarization",
    models=_models("gpt-j", "GPT-J 6B (fine-tuned on CNN/DailyMail)"),
    dataset=_dataset(
        "CNN/DailyMail v3.0.0 validation (13,368 articles, gpt-j's cnn_eval.json)",
        "cnn-gptj",
        data.CNN_GPTJ,
        data.CNN_FILE,
        _CNN_HOW.format(folder="gpt-j"),
        128,
    ),
    summary=(
        "GPT-J 6B summarises 13,368 CNN/DailyMail news articles (ROUGE-1/2/L and the generated "
        "length, rounds up to v5.0). Your engine holds the model; mlperf-tui tokenises the "
        "reference's Alpaca prompts with the model's tokenizer, sends them under LoadGen, and "
        "scores the summaries with the reference's ROUGE."
    ),
    prompt_format=data.CNN_GPTJ,
    max_tokens=128,
)

ENTRIES = (LLAMA2_70B, LLAMA3_8B, LLAMA3_8B_EDGE, GPTJ)
