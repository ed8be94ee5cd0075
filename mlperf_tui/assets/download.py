"""Verified downloads (resumable, checked against a sha256) and safe archive extraction.

A cached download is checked again before it is used: ``NAME.verified`` beside it records
the sha256, size and mtime it was verified with, and a file whose size or mtime changed since
(truncated, replaced) is hashed again; one that no longer matches is deleted and downloaded
again. A cache that cannot be written is a user error with the fix (a full disk exits 5, a
read-only folder 3); a partial download stays, and the next run resumes it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from harness.datasets import remove_dead_leftovers, temporary_prefix
from mlperf_tui.assets.cache import atomic_file, cache_root, cache_write_failed, ensure_dir
from mlperf_tui.errors import AssetError, MlperfTuiError

#: beside a cached download: the sha256, size and mtime it was verified with (JSON)
VERIFIED_SUFFIX = ".verified"

if TYPE_CHECKING:
    from mlperf_tui.benchmarks import Progress


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified_path(target: Path) -> Path:
    return target.with_name(target.name + VERIFIED_SUFFIX)


def _record_verified(target: Path, sha: str) -> None:
    """Remember that ``target`` matched ``sha`` as it is now (best effort: without the record,
    the next use hashes the file again)."""
    st = target.stat()
    record = {"sha256": sha, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
    with contextlib.suppress(OSError, MlperfTuiError), atomic_file(_verified_path(target)) as tmp:
        tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")


def _still_verified(target: Path, sha: str) -> bool:
    """Whether the cached ``target`` matches ``sha``: unchanged since it was verified, or
    hashed again now."""
    try:
        record = json.loads(_verified_path(target).read_text(encoding="utf-8"))
        st = target.stat()
        if (record["sha256"], record["bytes"], record["mtime_ns"]) == (
            sha,
            st.st_size,
            st.st_mtime_ns,
        ):
            return True
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        matches = sha256_file(target) == sha
    except OSError:
        return False
    if matches:
        _record_verified(target, sha)
    return matches


def download_path(url: str, sha256: str, cache_dir: Path | str | None = None) -> Path:
    """Where :func:`download` keeps the file of ``url`` (it may not exist yet); its partial
    download is the same name + ``.part``, an unpacked archive ``extracted/`` beside it."""
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name or "download"
    return cache_root(cache_dir) / "downloads" / sha256.lower().strip() / name


def content_length(url: str, timeout_s: float = 5.0) -> tuple[int | None, str]:
    """The size of ``url`` from an HTTP HEAD's Content-Length: (bytes, "") or (None, why)."""
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "mlperf-tui"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            length = response.headers.get("Content-Length")
    except urllib.error.HTTPError as exc:
        return None, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        return None, f"cannot reach it: {getattr(exc, 'reason', exc)}"
    if length and length.strip().isdigit():
        return int(length), ""
    return None, "the server does not say its size"


def download(
    url: str,
    sha256: str,
    cache_dir: Path | str | None = None,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download `url` into the cache (keyed by sha256), resuming a partial file; verified."""
    sha = sha256.lower().strip()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise AssetError(
            f"{sha256!r} is not a sha256 (64 hex digits)", "copy the checksum the publisher gives"
        )
    target = download_path(url, sha, cache_dir)
    name = target.name
    folder = ensure_dir(target.parent)
    if target.is_file():
        if _still_verified(target, sha):
            return target
        try:  # damaged since it was downloaded (truncated, replaced): fetch it again
            target.unlink()
            _verified_path(target).unlink(missing_ok=True)
        except OSError as exc:
            raise cache_write_failed(
                exc, f"replacing the damaged download {name}", folder
            ) from None
    part = folder / f"{name}.part"
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "mlperf-tui"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    label = f"Downloading {name}"
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the partial file is already complete
            response = None
        else:
            raise AssetError(
                f"download of {url} failed: HTTP {exc.code} {exc.reason}",
                "check the URL (or download the file yourself and give its local path)",
            ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AssetError(
            f"cannot reach {url}: {reason}",
            "check the network, or download the file elsewhere and give its local path",
        ) from None
    if response is not None:
        with response:
            _receive(response, url, part, have, label, progress)
    got = sha256_file(part)
    if got != sha:
        part.unlink(missing_ok=True)
        raise AssetError(
            f"{name} from {url} has sha256 {got}, expected {sha}",
            "check the checksum in the profile; the corrupt download was deleted, run again",
        )
    try:
        os.replace(part, target)
    except OSError as exc:
        raise cache_write_failed(exc, f"downloading {name}", folder) from None
    _record_verified(target, sha)
    return target


def _receive(
    response: Any, url: str, part: Path, have: int, label: str, progress: Progress | None
) -> None:
    """Write the response's body to the partial file ``part`` (appended when the server
    resumes after ``have`` bytes)."""
    resumed = response.status == 206
    done = have if resumed else 0
    length = response.headers.get("Content-Length")
    total = done + int(length) if length and length.isdigit() else None
    if progress:
        progress(label, done, total)

    def read() -> bytes:
        try:
            block: bytes = response.read(1 << 20)
        except (OSError, http.client.HTTPException) as exc:
            raise AssetError(
                f"download of {url} stopped at {done} bytes: {exc!r}",
                "run again: the download resumes where it stopped",
            ) from None
        return block

    try:
        with open(part, "ab" if resumed else "wb") as fh:
            while block := read():
                fh.write(block)
                done += len(block)
                if progress:
                    progress(label, done, total)
    except OSError as exc:  # opening or writing the partial file: the disk, not the network
        name = part.name.removesuffix(".part")
        raise cache_write_failed(exc, f"downloading {name}", part.parent) from None
    if total is not None and done < total:
        raise AssetError(
            f"download of {url} stopped at {done} of {total} bytes (connection closed)",
            "run again: the download resumes where it stopped",
        )


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _unsafe_path(name: str) -> bool:
    """A member name that would land outside the folder it is unpacked into."""
    if "\0" in name:
        return True
    for flavour in (PurePosixPath(name), PureWindowsPath(name)):
        if flavour.is_absolute() or flavour.drive or flavour.root or ".." in flavour.parts:
            return True
    return False


def _refuse(archive: Path, member: str, what: str) -> AssetError:
    return AssetError(
        f"{archive.name} holds {what}, {member!r}; nothing was unpacked",
        "use the archive from the data set's or model's official source: a download is "
        "unpacked only when every member is a plain file or folder inside it",
    )


def _check_tar_members(tf: tarfile.TarFile, archive: Path) -> None:
    for member in tf.getmembers():
        if _unsafe_path(member.name):
            raise _refuse(archive, member.name, "a member with an absolute path or ..")
        if member.issym() or member.islnk():
            raise _refuse(archive, member.name, f"a link (to {member.linkname!r})")
        if not (member.isfile() or member.isdir()):
            raise _refuse(archive, member.name, "a device file, pipe or other special file")


def _check_zip_members(zf: zipfile.ZipFile, archive: Path) -> None:
    for info in zf.infolist():
        if _unsafe_path(info.filename):
            raise _refuse(archive, info.filename, "a member with an absolute path or ..")
        # the Unix file type, where a Unix tool wrote the archive (0: none recorded)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise _refuse(archive, info.filename, "a symbolic link")
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(archive, info.filename, "a device file, pipe or other special file")


#: errno values of an unpacking that failed for the disk, not the archive
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def extract(archive: Path, dest_root: Path) -> Path:
    """Unpack a .tar(.gz|.bz2|.xz) or .zip next to its download, atomically.

    Every member must be a plain file or folder that stays inside the archive's folder:
    absolute paths, ``..``, links and device files are refused before anything is written.
    """
    dest = dest_root / "extracted"
    if dest.is_dir():
        return dest
    remove_dead_leftovers(dest_root, dest.name)
    try:
        build = Path(tempfile.mkdtemp(dir=dest_root, prefix=temporary_prefix(dest.name)))
    except OSError as exc:
        raise cache_write_failed(exc, f"unpacking {archive.name}", dest_root) from None
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                _check_zip_members(zf, archive)
                zf.extractall(build)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                _check_tar_members(tf, archive)
                tf.extractall(build, filter="data")
        else:
            raise AssetError(
                f"{archive.name} is not a .tar or .zip archive", "give a folder or an archive URL"
            )
        os.rename(build, dest)
    except (tarfile.TarError, zipfile.BadZipFile) as exc:
        raise AssetError(
            f"cannot unpack {archive.name}: {exc}", "re-download the archive"
        ) from None
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise AssetError(
                f"cannot unpack {archive.name}: {exc}", "re-download the archive"
            ) from None
        raise cache_write_failed(exc, f"unpacking {archive.name}", dest_root) from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return dest
