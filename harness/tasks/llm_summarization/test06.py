"""TEST06, the LLM output-consistency audit: compliance/TEST06/run_verification.py's checks.

A TEST06 run is a performance run whose audit.config logs 100 samples' responses into
mlperf_log_accuracy.json, with the two extra fields LoadGen writes for token-streaming
benchmarks: ``token_data`` (what the SUT reported as the first token) and ``token_count``
(the token count it reported). Three checks, exactly as the reference makes them:

- first token (not in Offline, which reports no first token: "Skipped"): for every sample,
  the reported first token(s) equal the start of the output (compared over the shorter of
  the two);
- EOS: no output ends in two or more EOS tokens (trailing EOS ids are counted from the end,
  never looking at position 0: ``[eos, eos]`` passes, as in the reference);
- sample length: every output's length equals its reported ``token_count``.

The reference prints, and writes as TEST06/verify_accuracy.txt, these lines, which the
submission checker looks for (``First token check pass: True`` or ``... Skipped``,
``EOS check pass: True``, ``Sample length check pass: True``)::

    First token check pass: Skipped
    EOS check pass: True
    Sample length check pass: True
    TEST06 verification complete

Where the reference would crash (an entry without ``token_count``) the check fails instead,
and :class:`Test06Result` says which sample failed which check and why.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.accuracy_log import write_text_atomic
from harness.tasks import AccuracyError, TaskError

__all__ = [
    "DEFAULT_EOS_TOKEN_IDS",
    "DTYPES",
    "SCENARIOS",
    "VERIFY_FILE",
    "Test06Result",
    "check_test06",
    "eos_token_id_of",
    "verification_text",
    "verify_test06",
]

#: the reference's dtype choices for the logged token ids
DTYPES: dict[str, type[np.generic]] = {
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "float32": np.float32,
}
SCENARIOS = ("Offline", "Server", "Interactive", "SingleStream", "MultiStream")
#: the file the checker reads, in the TEST06 folder of a result
VERIFY_FILE = "verify_accuracy.txt"
#: each model's end-of-sequence id (its tokenizer's eos token: Llama 2 ``</s>``, Llama 3.1
#: Instruct ``<|eot_id|>``, GPT-J ``<|endoftext|>``), when no tokenizer says otherwise
DEFAULT_EOS_TOKEN_IDS = {"llama2-70b": 2, "llama3.1-8b": 128009, "gpt-j": 50256}


@dataclass(frozen=True)
class Test06Result:
    """The three checks' verdicts (first token None: skipped) and why any failed."""

    first_token_pass: bool | None
    eos_pass: bool
    sample_length_pass: bool
    #: one line per failed check: the first sample that failed it, and how
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.eos_pass and self.sample_length_pass and self.first_token_pass is not False

    @property
    def lines(self) -> list[str]:
        """The reference's output lines, what verify_accuracy.txt holds."""
        first = "Skipped" if self.first_token_pass is None else str(self.first_token_pass)
        return [
            f"First token check pass: {first}",
            f"EOS check pass: {self.eos_pass}",
            f"Sample length check pass: {self.sample_length_pass}",
            "TEST06 verification complete" if self.passed else "TEST06 verification failed",
        ]


def verification_text(lines: Sequence[str]) -> str:
    """verify_accuracy.txt's content: the lines, each ended by a newline, as the reference."""
    return "".join(f"{line}\n" for line in lines)


def verify_test06(
    accuracy_log: Path,
    dtype: str = "int32",
    *,
    scenario: str,
    eos_token_id: int,
) -> tuple[bool, list[str]]:
    """(passed, the verify_accuracy.txt lines) of a TEST06 run's mlperf_log_accuracy.json."""
    result = check_test06(accuracy_log, dtype, scenario=scenario, eos_token_id=eos_token_id)
    return result.passed, result.lines


def check_test06(
    accuracy_log: Path, dtype: str = "int32", *, scenario: str, eos_token_id: int
) -> Test06Result:
    """The three checks of run_verification.py on ``accuracy_log``, with the reasons."""
    if dtype not in DTYPES:
        raise AccuracyError(f"unknown token dtype {dtype!r}", f"use one of: {', '.join(DTYPES)}")
    if scenario not in SCENARIOS:
        raise AccuracyError(f"unknown scenario {scenario!r}", f"use one of: {', '.join(SCENARIOS)}")
    np_dtype = DTYPES[dtype]
    entries = _read_log(accuracy_log)
    problems: list[str] = []
    eos_pass = _eos_check(entries, np_dtype, eos_token_id, problems)
    first: bool | None = None
    if scenario != "Offline":
        first = _first_token_check(entries, np_dtype, problems)
    length_pass = _sample_len_check(entries, np_dtype, problems)
    return Test06Result(first, eos_pass, length_pass, problems)


def _read_log(path: Path) -> list[Any]:
    # TEST06 logs 100 samples: read whole (harness.accuracy_log, the one reader of the format)
    from harness.accuracy_log import read_entries

    if not path.is_file():
        raise AccuracyError(
            f"no accuracy log at {path}",
            "run the TEST06 audit first (its audit.config logs 100 samples' responses)",
        )
    return list(read_entries(path))


def _ids(entry: Any, key: str, dtype: type[np.generic]) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(entry[key]), dtype=dtype)


def _where(n: int, entry: Any) -> str:
    idx = entry.get("qsl_idx", "?") if isinstance(entry, dict) else "?"
    return f"entry {n} (qsl_idx {idx})"


def _eos_check(entries: list[Any], dtype: type[np.generic], eos: int, problems: list[str]) -> bool:
    for n, entry in enumerate(entries):
        try:
            data = _ids(entry, "data", dtype)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"EOS check: {_where(n, entry)} has no readable data ({exc})")
            return False
        i = data.shape[0] - 1
        trailing = 0
        while i > 0:
            if data[i] == eos:
                trailing += 1
            if trailing >= 2:
                problems.append(
                    f"EOS check: {_where(n, entry)} ends in more than one EOS token ({eos}): "
                    "stop generating at the first EOS and do not pad the output with it"
                )
                return False
            if data[i] != eos:
                break
            i -= 1
    return True


def _first_token_check(entries: list[Any], dtype: type[np.generic], problems: list[str]) -> bool:
    for n, entry in enumerate(entries):
        try:
            data = _ids(entry, "data", dtype)
            first = _ids(entry, "token_data", dtype)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(
                f"first token check: {_where(n, entry)} has no readable first token ({exc}): "
                "report the first token to LoadGen (FirstTokenComplete) in this scenario"
            )
            return False
        k = min(data.size, first.size)
        if not np.array_equal(data[:k], first[:k]):
            problems.append(
                f"first token check: {_where(n, entry)} reported first token(s) "
                f"{first[:k].tolist()} but the output starts {data[:k].tolist()}"
            )
            return False
    return True


def _sample_len_check(entries: list[Any], dtype: type[np.generic], problems: list[str]) -> bool:
    for n, entry in enumerate(entries):
        try:
            data = _ids(entry, "data", dtype)
            count = int(entry["token_count"])
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(
                f"sample length check: {_where(n, entry)} has no readable token_count ({exc}): "
                "report each response's token count to LoadGen"
            )
            return False
        if data.size != count:
            problems.append(
                f"sample length check: {_where(n, entry)} reported {count} tokens but returned "
                f"{data.size}"
            )
            return False
    return True


def eos_token_id_of(tokenizer_dir: Path) -> int | None:
    """The model's EOS id from its ``tokenizer_config.json`` and ``tokenizer.json`` (None when
    they do not say)."""
    folder = tokenizer_dir if tokenizer_dir.is_dir() else tokenizer_dir.parent
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        vocab = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    eos = config.get("eos_token") if isinstance(config, dict) else None
    if isinstance(eos, dict):
        eos = eos.get("content")
    if not isinstance(eos, str) or not isinstance(vocab, dict):
        return None
    for added in vocab.get("added_tokens") or []:
        if (
            isinstance(added, dict)
            and added.get("content") == eos
            and isinstance(added.get("id"), int)
        ):
            return int(added["id"])
    model_vocab = (vocab.get("model") or {}).get("vocab")
    if isinstance(model_vocab, dict) and isinstance(model_vocab.get(eos), int):
        return int(model_vocab[eos])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.tasks.llm_summarization.test06",
        description="Verify a TEST06 run (first token, EOS, sample length), as "
        "compliance/TEST06/run_verification.py does.",
    )
    parser.add_argument("--mlperf-accuracy-file", required=True)
    parser.add_argument("--scenario", required=True, choices=list(SCENARIOS))
    parser.add_argument("--eos-token-id", type=int, required=True)
    parser.add_argument("--dtype", default="int32", choices=list(DTYPES))
    parser.add_argument("--output-file", help=f"also write the lines here ({VERIFY_FILE})")
    args = parser.parse_args(argv)
    try:
        result = check_test06(
            Path(args.mlperf_accuracy_file),
            args.dtype,
            scenario=args.scenario,
            eos_token_id=args.eos_token_id,
        )
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem, file=sys.stderr)
    text = verification_text(result.lines)
    print(text, end="")
    if args.output_file:
        write_text_atomic(Path(args.output_file), text)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
