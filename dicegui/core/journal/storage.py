"""Files of a journal session: the lock, durable writes, private files and folders, the manifest, and the stopped-recording status.

Part of :mod:`dicegui.core.journal` (see the package notes).
"""
from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

from ..io.atomic import fsync_dir
from .records import LOCK, MANIFEST, STATUS, _STATUS, _STATUS_MAGIC, _STATUS_SIZE, _canonical


# ---------------------------------------------------------------- locking


def _lock(fh) -> bool:
    """Take an exclusive lock on an open file without waiting; False if someone holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        try:
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        except ImportError:
            return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _is_locked(session: Path) -> bool:
    """Whether a live process holds ``session``'s lock (its window is still open)."""
    try:
        # Never created here: a folder without a lock file may be a session
        # being started right now (see _being_started).
        fh = open(session / LOCK, "r+b")
    except OSError:
        return False
    try:
        return not _lock(fh)
    finally:
        fh.close()  # closing releases a lock we took


def _sync(fd: int) -> None:
    # fdatasync skips the inode's timestamps: enough to find the data after a crash.
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


def _reopen_truncated(fh, path: Path, size: int):
    """``path`` cut back to ``size`` bytes, open for appending (``fh`` is closed)."""
    try:
        fh.close()
    except OSError:
        pass  # its buffer could not be written: that is what failed
    fh = open(path, "r+b")
    fh.truncate(size)
    fh.seek(size)
    return fh


def _private(path, flags):
    """Opener for ``open``: files readable by their owner only (they name the patient's files)."""
    return os.open(path, flags, 0o600)


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # also a folder made earlier with the umask's mode


def _write_json_atomically(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", opener=_private) as fh:
        json.dump(obj, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _write_manifest(session: Path, manifest: dict) -> None:
    """``manifest.json`` with a CRC-32 of its content, so damage to it is noticed."""
    manifest["checksum"] = zlib.crc32(_canonical(manifest)) & 0xFFFFFFFF
    _write_json_atomically(session / MANIFEST, manifest)


# ---------------------------------------------------------------- stopped recording


def _status_bytes(after_step: int, not_recorded: int, reason: str) -> bytes:
    text = reason.encode("utf-8", "replace")[:200]
    head = _STATUS.pack(_STATUS_MAGIC, after_step, min(not_recorded, 0xFFFFFFFF), len(text)) + text
    return head + struct.pack("<I", zlib.crc32(head) & 0xFFFFFFFF)


def _read_status(session: Path) -> tuple[int, int, str] | None:
    """(after_step, not_recorded, reason) when recording stopped early, else None."""
    try:
        with open(session / STATUS, "rb") as fh:
            data = fh.read(_STATUS_SIZE)
    except OSError:
        return None
    if len(data) < _STATUS.size or data[:4] != _STATUS_MAGIC:
        return None
    _magic, after, missing, n = _STATUS.unpack_from(data)
    end = _STATUS.size + n
    if len(data) < end + 4 or struct.unpack_from("<I", data, end)[0] != zlib.crc32(data[:end]) & 0xFFFFFFFF:
        return None
    return after, missing, data[_STATUS.size:end].decode("utf-8", "replace")


