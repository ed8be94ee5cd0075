"""Errors a user can cause, and the CLI's exit codes.

Every error a user can cause is an :class:`MlperfTuiError` with a one-line ``message`` and a
``fix`` that says what to do. The CLI prints both, without a traceback (``--debug`` shows it),
and exits with the error's ``exit_code``.
"""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes of ``mlperf-tui`` (README.md, "Exit codes")."""

    OK = 0
    #: the command ran, and what it checked has errors (a package or profile that fails)
    CHECK_FAILED = 1
    #: wrong command-line usage (unknown option, missing argument)
    USAGE = 2
    #: a bad input: profile, file, folder, benchmark or round name
    BAD_INPUT = 3
    #: a benchmark run failed (the harness reported an error or LoadGen could not finish)
    RUN_FAILED = 4
    #: the environment is missing something (a package, a GPU, disk space)
    ENVIRONMENT = 5
    #: cancelled by the user (Ctrl-C)
    CANCELLED = 130
    #: a bug in mlperf-tui: please report it with the output of --debug
    INTERNAL = 70


class MlperfTuiError(Exception):
    """An error a user can cause: what went wrong and how to fix it."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    title: str = "Error"

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class UsageError(MlperfTuiError):
    """Command-line options that do not go together."""

    exit_code = ExitCode.USAGE
    title = "Usage"


class RulesError(MlperfTuiError):
    """An unknown round, benchmark, scenario or category."""

    title = "Unknown name"


class ProfileError(MlperfTuiError):
    """A profile that cannot be loaded or breaks the rules."""

    title = "Profile error"


class AssetError(MlperfTuiError):
    """A model or data set that cannot be found, downloaded or verified."""

    title = "Asset error"


class RunError(MlperfTuiError):
    """A benchmark run that failed."""

    exit_code = ExitCode.RUN_FAILED
    title = "Run failed"


class PackageError(MlperfTuiError):
    """A submission package that cannot be built or read."""

    title = "Package error"


class EnvironmentProblem(MlperfTuiError):
    """Something missing on this machine."""

    exit_code = ExitCode.ENVIRONMENT
    title = "Environment"


class NotWritable(MlperfTuiError):
    """A folder the user chose that cannot be written: read-only, no permission."""

    title = "Cannot write"


class DiskFull(EnvironmentProblem):
    """No space (or no quota) left on the disk being written."""

    title = "Disk full"


#: errno values that mean the disk (or the user's quota) is full
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
#: errno values that mean the folder cannot be written at all
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def write_failed(
    exc: OSError, doing: str, folder: str | os.PathLike[str], choose: str
) -> MlperfTuiError:
    """The user error for an OSError while ``doing`` something in ``folder``.

    ``choose`` is how the user picks another folder (e.g. "choose another --out folder"). A full
    disk is :class:`DiskFull` (exit 5), a read-only folder or a missing permission
    :class:`NotWritable` (exit 3); anything else is :class:`NotWritable` with the system's reason.
    """
    where = os.fspath(folder)
    what = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in _FULL:
        return DiskFull(
            f"{doing} failed: no space left on the disk of {where}",
            f"free space on that disk, or {choose} on a disk with room",
        )
    if exc.errno == errno.EROFS:
        return NotWritable(
            f"{doing} failed: {where} is on a read-only file system",
            f"{choose} that you can write to",
        )
    if exc.errno in _READ_ONLY:
        return NotWritable(
            f"{doing} failed: permission denied{what}",
            f"{choose} that you can write to, or fix the permissions of {where}",
        )
    return NotWritable(
        f"{doing} failed: {exc.strerror or exc}{what}",
        f"check that {where} exists and can be written, or {choose}",
    )


class Cancelled(MlperfTuiError):
    """The user cancelled."""

    exit_code = ExitCode.CANCELLED
    title = "Cancelled"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f' (did you mean "{lowered[close[0]]}"?)' if close else ""
