"""The error of the power chain: a director that does not answer, a client run that failed."""

from __future__ import annotations

from collections.abc import Sequence

from mlperf_tui.errors import ExitCode, MlperfTuiError


class PowerError(MlperfTuiError):
    """The power server cannot be reached or is not one, the power-dev checkout is not usable,
    or the official power client failed; ``log_tail`` holds the client's last log lines."""

    title = "Power measurement"

    def __init__(
        self,
        message: str,
        fix: str = "",
        *,
        exit_code: ExitCode = ExitCode.BAD_INPUT,
        log_tail: Sequence[str] = (),
    ) -> None:
        super().__init__(message, fix)
        self.exit_code = exit_code
        self.log_tail = tuple(log_tail)
