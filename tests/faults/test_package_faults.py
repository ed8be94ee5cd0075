"""`mlperf-tui package` into a read-only folder and onto a full disk: a user error with its fix.

Each case runs the real command in a child process against a real file system: a tmpfs mounted
in a private mount namespace (``unshare -rm``, as tests/e2e/test_preflight_refusal.py does),
remounted read-only or sized too small. The child lists what the tmpfs holds afterwards (the
mount goes away with the namespace), so each case also proves that nothing half-written is
left: no package folder, no staging folder, no archive or temporary archive.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlperf_tui.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]

#: $1 tmpfs size, $2 mount point, $3 "ro" or "rw", $4 listing file, $5 df file; the rest is the
#: command. Lists what the tmpfs holds and how full it is after the command.
_SCRIPT = (
    'size="$1"; dir="$2"; mode="$3"; listing="$4"; usage="$5"; shift 5; '
    'mount -t tmpfs -o "size=$size" none "$dir" || exit 97; '
    'if [ "$mode" = ro ]; then mount -o remount,ro "$dir" || exit 98; fi; '
    '"$@"; rc=$?; find "$dir" -mindepth 1 > "$listing"; '
    'df -k --output=used "$dir" | tail -1 > "$usage"; exit $rc'
)


@functools.cache
def _cannot_mount() -> str | None:
    """Why a tmpfs cannot be mounted here, or None when it can."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "no unshare(1) on this machine, so no private mount namespace for a tmpfs"
    with tempfile.TemporaryDirectory() as where:
        try:
            proc = subprocess.run(
                [unshare, "-rm", "sh", "-c", f'mount -t tmpfs -o size=1m none "{where}"'],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unshare -rm could not run: {exc}"
    if proc.returncode != 0:
        why = (proc.stderr or proc.stdout).strip() or f"exit code {proc.returncode}"
        return f"this machine does not let the test user mount a tmpfs (unshare -rm): {why}"
    return None


@pytest.fixture
def tmpfs_ok() -> None:
    reason = _cannot_mount()
    if reason:
        pytest.skip(reason)


@dataclass
class Outcome:
    rc: int
    stdout: str
    stderr: str
    #: what the tmpfs held after the command, relative to it
    left: list[str]
    #: KiB used on the tmpfs after the command
    used_kib: int


def _package_on_tmpfs(
    tmp_path: Path, results: Path, *, size: str, mode: str, extra: tuple[str, ...] = ()
) -> Outcome:
    mount = tmp_path / "fs"
    mount.mkdir()
    listing, usage = tmp_path / "listing.txt", tmp_path / "usage.txt"
    command = [sys.executable, "-m", "mlperf_tui", "package", str(results)]
    command += ["--out", str(mount / "submission" / "pkg"), *extra]
    wrapper = ["unshare", "-rm", "sh", "-c", _SCRIPT, "sh"]
    proc = subprocess.run(
        [*wrapper, size, str(mount), mode, str(listing), str(usage), *command],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode not in (97, 98), proc.stderr
    left = sorted(
        Path(line).relative_to(mount).as_posix()
        for line in listing.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    used = usage.read_text(encoding="utf-8").strip()
    return Outcome(proc.returncode, proc.stdout, proc.stderr, left, int(used or 0))


def _assert_user_error(outcome: Outcome, code: ExitCode, message: str, fix: str) -> None:
    err = outcome.stderr
    assert outcome.rc == int(code), (outcome.rc, err)
    lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "  fix:"))]
    assert len(lines) == 2, err  # one line of message, one of fix
    assert message in lines[0], err
    assert fix in lines[1], err
    assert "Traceback" not in err and "internal error" not in err, err
    assert "please report" not in err, err


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
