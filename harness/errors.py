"""Errors of the harness: what went wrong, how to fix it, and the process exit code.

The harness is stand-alone (it is published in a submission's ``src/``), so it has its own small
error types instead of importing mlperf_tui's. ``python -m harness`` turns a :class:`HarnessError`
into an ``error`` event and the error's ``exit_code``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of ``python -m harness``."""

    #: the run finished; LoadGen's verdict (VALID or INVALID) is in the ``result`` event
    OK = 0
    #: the run failed (the runtime raised, LoadGen could not finish)
    RUN_FAILED = 1
    #: a bad RUN.json, model, dataset or user.conf: nothing was run
    BAD_INPUT = 2
    #: cancelled with SIGINT
    CANCELLED = 130


class HarnessError(Exception):
    """An error with a one-line message, a fix, and the exit code it ends the process with."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class ConfigError(HarnessError):
    """RUN.json is missing, malformed, or names something that does not exist."""


class ModelMismatchError(HarnessError):
    """The model's inputs are not what the task feeds it (name, shape or dtype)."""


class BackendError(HarnessError):
    """The runtime could not load the model or is not installed."""


class RunFailedError(HarnessError):
    """Inference raised during the run; the run is reported as failed."""

    exit_code = ExitCode.RUN_FAILED
