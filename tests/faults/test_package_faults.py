"""`mlperf-tui package` into a read-only folder and onto a full disk: a user error with its fix.

Each case runs the real command in a child process against a real file system: a tmpfs mounted
in a private mount namespace (``unshare -rm``: tests/fixtures/faults.py), remounted read-only
or sized too small. The child lists what the tmpfs holds afterwards (the
mount goes away with the namespace), so each case also proves that nothing half-written is
left: no package folder, no staging folder, no archive or temporary archive.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from faults import ROOT, Outcome, assert_user_error, cannot_mount, on_tmpfs

from mlperf_tui.errors import ExitCode


@pytest.fixture
def tmpfs_ok() -> None:
    reason = cannot_mount()
    if reason:
        pytest.skip(reason)


def _package_on_tmpfs(
    tmp_path: Path, results: Path, *, size: str, mode: str, extra: tuple[str, ...] = ()
) -> Outcome:
    mount = tmp_path / "fs"
    command = [sys.executable, "-m", "mlperf_tui", "package", str(results)]
    command += ["--out", str(mount / "submission" / "pkg"), *extra]
    return on_tmpfs(mount, command, size=size, mode=mode)


def _assert_user_error(outcome: Outcome, code: ExitCode, message: str, fix: str) -> None:
    assert_user_error(outcome.stderr, outcome.rc, code, message, fix)


@pytest.mark.parametrize("tar", [False, True], ids=["folder", "tarball"])
def test_packaging_into_a_read_only_folder_is_a_user_error(
    good: dict[str, Path], tmp_path: Path, tmpfs_ok: None, tar: bool
) -> None:
    extra = ("--tar",) if tar else ()
    outcome = _package_on_tmpfs(tmp_path, good["test_results"], size="8m", mode="ro", extra=extra)
    _assert_user_error(
        outcome,
        ExitCode.BAD_INPUT,
        "is on a read-only file system",
        "choose another --out folder that you can write to",
    )
    assert outcome.left == []


@pytest.mark.parametrize("tar", [False, True], ids=["folder", "tarball"])
def test_packaging_onto_a_full_disk_is_a_user_error_and_leaves_nothing(
    good: dict[str, Path], tmp_path: Path, tmpfs_ok: None, tar: bool
) -> None:
    extra = ("--tar",) if tar else ()
    outcome = _package_on_tmpfs(tmp_path, good["test_results"], size="256k", mode="rw", extra=extra)
    _assert_user_error(
        outcome,
        ExitCode.ENVIRONMENT,
        "writing the package failed: no space left on the disk of",
        "free space on that disk, or choose another --out folder on a disk with room",
    )
    assert outcome.left == ["submission"]  # the folder --out asked for; nothing in it
    assert outcome.used_kib == 0


def _package_kib(good: dict[str, Path], tmp_path: Path) -> int:
    """KiB the test package takes on a tmpfs (a real build there)."""
    outcome = _package_on_tmpfs(tmp_path / "measure", good["test_results"], size="64m", mode="rw")
    assert outcome.rc == 0, outcome.stderr
    return outcome.used_kib


def test_a_disk_that_fills_while_writing_the_tarball(
    good: dict[str, Path], tmp_path: Path, tmpfs_ok: None
) -> None:
    (tmp_path / "measure").mkdir()
    package_kib = _package_kib(good, tmp_path)
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(good["test"], arcname=".")
    # room for the package, and for half its archive
    size = package_kib + max(8, archive.stat().st_size // 2048)
    outcome = _package_on_tmpfs(
        tmp_path, good["test_results"], size=f"{size}k", mode="rw", extra=("--tar",)
    )
    _assert_user_error(
        outcome,
        ExitCode.ENVIRONMENT,
        "writing the archive failed: no space left on the disk of",
        "choose another --out folder on a disk with room",
    )
    assert outcome.left == ["submission"]  # no package, no archive, no temporary archive
    assert outcome.used_kib == 0


def test_packaging_into_a_folder_without_write_permission(
    good: dict[str, Path], tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder: chmod cannot make one read-only here")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        command = [sys.executable, "-m", "mlperf_tui", "package", str(good["test_results"])]
        proc = subprocess.run(
            [*command, "--out", str(locked / "pkg"), "--tar"],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
            cwd=ROOT,
        )
        outcome = Outcome(proc.returncode, proc.stdout, proc.stderr, [], 0)
        _assert_user_error(
            outcome,
            ExitCode.BAD_INPUT,
            "permission denied",
            "choose another --out folder that you can write to",
        )
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
