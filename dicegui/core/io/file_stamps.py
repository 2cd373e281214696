"""What a file on disk was when this program last read or wrote it, to tell when someone else changed it.

Window A saves a mask, window B saves over it, A saves again: B's work is
gone without a word unless A notices that the file is no longer the one it
wrote. A :class:`FileStamp` keeps size, modification time and (for files up
to :data:`HASH_LIMIT`) a SHA-256 of the content; :func:`changed_since` says
whether the file differs. A file merely touched (same bytes, new time) is
not a change when its digest is known.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: Files up to this size get a content digest (reading back a just-written mask is cheap).
HASH_LIMIT = 256 * 2**20


@dataclass(frozen=True)
class FileStamp:
    """A file's identity at one moment.

    Attributes
    ----------
    path : str
        Absolute path.
    size, mtime_ns : int
        From ``os.stat``.
    digest : str or None
        SHA-256 of the content, or None for a file over :data:`HASH_LIMIT`.
    """

    path: str
    size: int
    mtime_ns: int
    digest: str | None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stamp(path) -> FileStamp | None:
    """The stamp of the regular file at ``path`` now, or None when there is none (or it cannot be read)."""
    p = Path(path).absolute()
    try:
        st = os.stat(p)
        if not p.is_file():
            return None
        digest = _digest(p) if st.st_size <= HASH_LIMIT else None
    except OSError:
        return None
    return FileStamp(str(p), st.st_size, st.st_mtime_ns, digest)


def changed_since(before: FileStamp) -> str | None:
    """Why the file is no longer the one stamped, in words; None when it is the same.

    Parameters
    ----------
    before : FileStamp
        Taken when the file was last read or written here.
    """
    p = Path(before.path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return f"{p.name} was deleted or moved"
    except OSError as exc:
        return f"{p.name} cannot be checked ({exc.strerror or exc})"
    if st.st_size == before.size and st.st_mtime_ns == before.mtime_ns:
        return None
    if before.digest is not None and st.st_size == before.size:
        try:
            if _digest(p) == before.digest:
                return None  # touched, not changed
        except OSError:
            pass
    if st.st_size != before.size:
        return f"{p.name} was changed on disk by another program or window ({before.size:,} → {st.st_size:,} bytes)"
    return f"{p.name} was changed on disk by another program or window since this window last read or wrote it"
