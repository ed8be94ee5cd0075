"""The accuracy log in a package: truncated as the official truncate_accuracy_log.py does,
with the sha256 of the full log appended to accuracy.txt."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

#: the official truncate_accuracy_log.py keeps this share of the size limit from each end
#: (4 KiB of a 10 KiB limit)
_VIEWABLE_SHARE = 0.4


_TRUNCATION_GAP = "\n\n...\n\n"


def hash_line(accuracy_log: Path) -> str:
    """``hash=<sha256 of the whole log>``, the line truncate_accuracy_log.py appends."""
    digest = hashlib.sha256()
    with accuracy_log.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return f"hash={digest.hexdigest()}"


def truncate_accuracy_log(src: Path, dst: Path, max_bytes: int) -> bool:
    """Copy ``src`` to ``dst``, cut as the official tool does when larger than ``max_bytes``.

    The official tool keeps the first and the last 4 KiB (of a 10 KiB limit) with a gap marker
    between them. Returns whether it was cut.
    """
    size = src.stat().st_size
    if size <= max_bytes:
        shutil.copyfile(src, dst)
        return False
    keep = int(max_bytes * _VIEWABLE_SHARE)
    with src.open("rb") as fh:
        head = fh.read(keep)
        fh.seek(size - keep)
        tail = fh.read(keep)
    with dst.open("wb") as out:
        out.write(head)
        out.write(_TRUNCATION_GAP.encode())
        out.write(tail)
    return True
