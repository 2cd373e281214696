"""Crash recovery: every edit written to disk as it is made, replayed after a crash.

A :class:`RecoveryJournal` lives in a folder chosen by the caller (the GUI
passes one beside its settings; this module knows nothing of Qt). Each
editing session gets its own sub-folder ``session-<id>`` holding

* ``manifest.json``: the case files (image, ground truth, prediction) with
  their sizes and modification times, so that a file changed since the
  crash is noticed; the masks' shapes and dtypes; the loading options;
* ``edits.bin``: one record per edit (a stroke, a fill, an undo, a redo),
  appended, flushed and fsynced before :meth:`RecoveryJournal.record`
  returns.

Record format (little-endian, no pickle anywhere)::

    header  24 bytes  magic "DGR1" | op u8 (1 apply, 2 undo) | mask u8 (0 gt, 1 pred)
                      | reserved u16 | sequence u32 | body length u32
                      | payload length u32 | CRC-32 of header[:20] + payload
    payload           zlib(body)
    body              ndim u8 | start u32×ndim | extent u32×ndim | n u32
                      | index dtype code u8 | value dtype code u8 | meta length u16
                      | meta (JSON: label, tool, axis, slice_index, scope)
                      | positions (n, delta-encoded) | old values (n) | new values (n)

Arrays are read back with ``np.frombuffer`` on dtypes from a fixed table.
Sorted positions are stored as differences, which zlib squeezes to almost
nothing: a radius-10 brush stroke on a binary mask takes a few dozen bytes.

A crash while a record is being written leaves a short tail: it is dropped
and the earlier records are kept. A record whose checksum does not match
(a damaged disk block) ends the replay there, since later edits may build
on it; :class:`PendingRecovery` says which of the two happened.

Damage never costs an intact record, and nothing unread is ever deleted:

* records are found by their own magic and checksum, so a damaged file
  marker or record is skipped and every intact record after it is still
  read (each record writes absolute values, so replaying the others onto the
  files gives every voxel its last recorded value; only the voxels that the
  lost record alone changed differ); the sequence numbers say how many
  records a damaged stretch held;
* ``edits.bin`` begins with a copy of the manifest (a record of its own,
  checksummed like the others), and ``manifest.json`` carries a CRC-32 of
  its content: a damaged manifest is rebuilt from the copy, and the offer
  says so;
* a journal whose manifest cannot be rebuilt, or that is discarded or
  restored although part of it could not be read, is moved (or, when
  restored, copied) to ``damaged/`` in the recovery folder with a
  ``why.txt``, never deleted: :func:`find_journals` reports the ones it
  moved;
* when a write fails (a full disk), recording stops at a clean step and a
  small status file, allocated when the session starts so that overwriting
  it needs no new disk space, keeps the step after which recording stopped
  and a count of the edits made since that are not in the journal (kept in
  memory and rewritten after each of them, so it is right whenever space
  allows); the offer states both.

Journal files are created readable by their owner only (0600, folders 0700):
they hold the patient's segmentation edits and the case's file names.

Only one process writes a session: it holds an exclusive lock on the
session's ``lock`` file (``fcntl.flock``; ``msvcrt.locking`` on Windows),
which the operating system releases when the process dies, so
:func:`find_pending` never offers the journal of a window that is still
open, and always offers that of a killed one.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import socket
import struct
import time
import uuid
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from .edits import EditDelta, apply_delta
from .io.atomic import fsync_dir

__all__ = [
    "RecoveryError",
    "RecoveryJournal",
    "PendingRecovery",
    "CaseFile",
    "SetAside",
    "JournalSearch",
    "find_journals",
    "find_pending",
    "replay",
    "discard",
    "set_aside",
]

FORMAT = "dicegui-recovery"
VERSION = 1
MANIFEST = "manifest.json"
RECORDS = "edits.bin"
LOCK = "lock"
STATUS = "status.bin"
DAMAGED = "damaged"
WHY = "why.txt"
SESSION_PREFIX = "session-"

_FILE_MAGIC = b"DGJRNL01"
_MAGIC = b"DGR1"
_HEADER = struct.Struct("<4sBBHIIII")
_OP_APPLY, _OP_UNDO = 1, 2
_OP_MANIFEST = 3  # a copy of the manifest, to rebuild a damaged manifest.json
_OPS = (_OP_APPLY, _OP_UNDO, _OP_MANIFEST)
_MANIFEST_LIMIT = 1 << 20
_ZLIB_MAX_RATIO = 1032  # deflate never inflates a payload by more than this
_STATUS = struct.Struct("<4sIIH")  # magic | stopped after step | edits not recorded | reason length
_STATUS_MAGIC = b"DGST"
_STATUS_SIZE = 512
_WHICH = ("gt", "pred")
ROLES = ("image", "gt", "pred")
# dtype codes of the record format: explicit little-endian, never parsed from text.
_DTYPES = tuple(np.dtype(d) for d in ("|b1", "|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8",
                                      "<f2", "<f4", "<f8"))
_ZLIB_LEVEL = 1  # strokes are tiny; level 1 compresses delta-coded positions as well as 9


class RecoveryError(ValueError):
    """A journal cannot be replayed onto these arrays (the message says why)."""


# ---------------------------------------------------------------- files of the case


@dataclass(frozen=True)
class CaseFile:
    """A case file as it was when the journal started: enough to tell it changed.

    Attributes
    ----------
    path : str
        Absolute path.
    size : int
        Bytes (for a DICOM folder, the sum of its files).
    mtime_ns : int
        Modification time (for a folder, the latest of its files).
    """

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path) -> "CaseFile":
        p = Path(path).absolute()
        size, mtime = _fingerprint(p)
        return cls(str(p), size, mtime)

    def changed(self) -> str | None:
        """Why the file on disk is no longer this one, or None if it is."""
        p = Path(self.path)
        if not p.exists():
            return f"{p.name} no longer exists"
        size, mtime = _fingerprint(p)
        if size != self.size:
            return f"{p.name} changed since (size {self.size} → {size} bytes)"
        if mtime != self.mtime_ns:
            return f"{p.name} was modified since ({_when(self.mtime_ns / 1e9)} → {_when(mtime / 1e9)})"
        return None


def _fingerprint(p: Path) -> tuple[int, int]:
    if p.is_dir():  # a DICOM series: its files, not the folder entry
        size = mtime = 0
        for child in p.iterdir():
            if child.is_file():
                st = child.stat()
                size += st.st_size
                mtime = max(mtime, st.st_mtime_ns)
        return size, mtime
    st = p.stat()
    return st.st_size, st.st_mtime_ns


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------- record encoding


def _dtype_code(dtype: np.dtype) -> int:
    le = np.dtype(dtype).newbyteorder("<") if np.dtype(dtype).byteorder not in ("|", "<") else np.dtype(dtype)
    for code, dt in enumerate(_DTYPES):
        if dt == le:
            return code
    raise ValueError(f"masks of dtype {dtype} cannot be journalled")


def encode_delta(delta: EditDelta) -> bytes:
    """The body of one record (before compression) for ``delta``."""
    pos = np.ascontiguousarray(delta.positions)
    pos_dt = _DTYPES[_dtype_code(pos.dtype)]
    val_dt = _DTYPES[_dtype_code(delta.old.dtype)]
    if pos.dtype.kind != "u":
        raise ValueError(f"positions must be unsigned, not {pos.dtype}")
    # Sorted positions as differences: mostly 1s, which zlib all but removes.
    diffs = np.diff(pos, prepend=pos.dtype.type(0)).astype(pos_dt, copy=False)
    meta = json.dumps({
        "label": delta.label, "tool": delta.tool, "axis": delta.axis,
        "slice_index": delta.slice_index, "scope": delta.scope,
    }, separators=(",", ":")).encode()
    ndim = len(delta.start)
    head = struct.pack(f"<B{ndim}I{ndim}IIBBH", ndim, *delta.start, *delta.extent, pos.size,
                       _dtype_code(pos.dtype), _dtype_code(delta.old.dtype), len(meta))
    return b"".join((head, meta, diffs.tobytes(), delta.old.astype(val_dt, copy=False).tobytes(),
                     delta.new.astype(val_dt, copy=False).tobytes()))


def decode_delta(body: bytes, which: str, shape: tuple, dtype: np.dtype) -> EditDelta:
    """Inverse of :func:`encode_delta`; ValueError for anything inconsistent."""
    view = memoryview(body)
    ndim = view[0]
    if ndim != len(shape):
        raise ValueError(f"record has {ndim} axes, the {which} mask {len(shape)}")
    fmt = f"<B{ndim}I{ndim}IIBBH"
    size = struct.calcsize(fmt)
    fields = struct.unpack_from(fmt, view, 0)
    start, extent = fields[1:1 + ndim], fields[1 + ndim:1 + 2 * ndim]
    n, pos_code, val_code, meta_len = fields[1 + 2 * ndim:]
    if pos_code >= len(_DTYPES) or val_code >= len(_DTYPES):
        raise ValueError("unknown dtype code")
    pos_dt, val_dt = _DTYPES[pos_code], _DTYPES[val_code]
    if pos_dt.kind != "u":
        raise ValueError(f"record positions are {pos_dt}, not unsigned")
    if val_dt != _DTYPES[_dtype_code(dtype)]:
        raise ValueError(f"record values are {val_dt}, the {which} mask holds {np.dtype(dtype)}")
    if any(s + e > m or e < 1 for s, e, m in zip(start, extent, shape)):
        raise ValueError(f"edit box {start} + {extent} does not fit the {which} mask of shape {shape}")
    box = math.prod(extent)
    if n > box:
        raise ValueError(f"{n} voxels in a box of {box}")
    offset = size + meta_len
    expected = offset + n * (pos_dt.itemsize + 2 * val_dt.itemsize)
    if len(body) != expected:
        raise ValueError(f"record body is {len(body)} bytes, its fields need {expected}")
    meta = json.loads(bytes(view[size:offset]).decode())
    if not isinstance(meta, dict):
        raise ValueError("record metadata is not an object")
    diffs = np.frombuffer(body, dtype=pos_dt, count=n, offset=offset)
    positions = np.cumsum(diffs, dtype=pos_dt)
    if n and (int(positions[-1]) >= box or np.any(positions[1:] <= positions[:-1])):
        raise ValueError("record positions are not increasing inside the edit box")
    offset += n * pos_dt.itemsize
    old = np.frombuffer(body, dtype=val_dt, count=n, offset=offset)
    new = np.frombuffer(body, dtype=val_dt, count=n, offset=offset + n * val_dt.itemsize)
    native = np.dtype(dtype)
    scope = meta.get("scope", "slice")
    return EditDelta(
        which=which, start=tuple(int(s) for s in start), extent=tuple(int(e) for e in extent),
        positions=positions, old=old.astype(native), new=new.astype(native),
        label=_int_or_none(meta.get("label")), tool=str(meta.get("tool", "paint")),
        axis=_int_or_none(meta.get("axis")), slice_index=_int_or_none(meta.get("slice_index")),
        scope=scope if scope in ("slice", "sphere", "volume") else "slice",
    )


def _int_or_none(v):
    return None if v is None else int(v)


def _frame(op: int, which: int, seq: int, body: bytes) -> bytes:
    """One record: header, then ``body`` compressed; the CRC covers both."""
    payload = zlib.compress(body, _ZLIB_LEVEL)
    head = _HEADER.pack(_MAGIC, op, which, 0, seq, len(body), len(payload), 0)[:20]
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head)) & 0xFFFFFFFF) + payload


def _record_bytes(seq: int, delta: EditDelta, undo: bool) -> bytes:
    return _frame(_OP_UNDO if undo else _OP_APPLY, _WHICH.index(delta.which), seq, encode_delta(delta))


def _manifest_record(manifest: dict) -> bytes:
    return _frame(_OP_MANIFEST, 0, 0, _canonical(manifest))


def _canonical(manifest: dict) -> bytes:
    """The manifest's content as checksummed: key order and spacing do not count."""
    rest = {k: v for k, v in manifest.items() if k != "checksum"}
    return json.dumps(rest, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class _Record:
    op: int
    which: str
    seq: int
    body: bytes
    offset: int
    end: int


@dataclass
class _Scan:
    """What reading a records file found."""

    records: list = field(default_factory=list)  # (offset, length, op, which, body) of intact edit records
    good_bytes: int = len(_FILE_MAGIC)  # end of the last intact record
    tail_bytes: int = 0  # an incomplete last record (crash while writing it)
    damage: list = field(default_factory=list)  # what could not be read, in words
    lost: int = 0  # edit records known to be in the damaged stretches
    manifest: dict | None = None  # the last intact copy of the manifest in the file

    @property
    def damaged(self) -> str | None:
        return "; ".join(self.damage) or None


def _read_record(data: bytes, pos: int, limits: dict | None):
    """``(_Record, "", False)`` for an intact record at ``pos``, else ``(None, why, incomplete)``.

    ``limits`` maps ``"gt"``/``"pred"`` to the most bytes a body can take;
    None when the masks' shapes are not known (a damaged manifest). Either
    way no body may claim more than deflate can produce from its payload,
    and the checksum is verified before anything is inflated, so a damaged
    length field cannot make us allocate gigabytes.
    """
    if len(data) - pos < _HEADER.size:
        return None, "cut short", True
    magic, op, which, _reserved, seq, body_len, payload_len, crc = _HEADER.unpack_from(data, pos)
    if magic != _MAGIC or op not in _OPS or which > 1:
        return None, "bad header", False
    end = pos + _HEADER.size + payload_len
    if end > len(data):
        return None, "cut short", True
    payload = data[pos + _HEADER.size:end]
    if zlib.crc32(payload, zlib.crc32(data[pos:pos + 20])) & 0xFFFFFFFF != crc:
        # The last record: after a power cut the file can be as long as the
        # write asked while its last blocks never reached the disk.
        return None, "checksum mismatch", end == len(data)
    limit = _MANIFEST_LIMIT if op == _OP_MANIFEST else (limits or {}).get(_WHICH[which], 1 << 62)
    if body_len > min(limit, _ZLIB_MAX_RATIO * payload_len + 64):
        return None, "too large", False
    try:
        body = zlib.decompressobj().decompress(payload, body_len + 1)
    except zlib.error:
        return None, "cannot decompress", False
    if len(body) != body_len:
        return None, "wrong length", False
    return _Record(op, _WHICH[which], seq, body, pos, end), "", False


def _next_intact(data: bytes, start: int, limits, seq: int, budget: list) -> _Record | None:
    """The first intact record at or after ``start``, found by its magic and checksum.

    ``budget`` ([bytes]) bounds the bytes checksummed while searching, so a
    file full of false magics cannot make the search quadratic.
    """
    pos = data.find(_MAGIC, start)
    while pos >= 0 and budget[0] > 0:
        if len(data) - pos >= _HEADER.size:
            budget[0] -= _HEADER.size + min(_HEADER.unpack_from(data, pos)[6], len(data) - pos)
        rec, _why, _incomplete = _read_record(data, pos, limits)
        if rec is not None and (rec.op == _OP_MANIFEST or rec.seq >= seq):
            return rec
        pos = data.find(_MAGIC, pos + 1)
    return None


def _scan(path: Path, limits: dict | None = None) -> _Scan:
    """Read every intact record of a records file, skipping damaged stretches.

    A stretch that fails its checks is passed over to the next record whose
    magic and checksum hold; its sequence number says how many edit records
    the stretch held. A bad stretch at the very end is an incomplete write
    (``tail_bytes``) when it looks like one (a record cut short, or the last
    record failing its checksum), else damage.
    """
    scan = _Scan()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return scan
    pos = len(_FILE_MAGIC)
    if not data.startswith(_FILE_MAGIC):
        if len(data) < len(_FILE_MAGIC) and _FILE_MAGIC.startswith(data):
            scan.tail_bytes, scan.good_bytes = len(data), 0
            return scan
        scan.damage.append("the edits file's marker is damaged")
        scan.good_bytes = pos = 0
    seq, budget = 0, [8 * len(data) + (1 << 20)]
    while pos < len(data):
        rec, why, incomplete = _read_record(data, pos, limits)
        if rec is not None and rec.op != _OP_MANIFEST and rec.seq < seq:
            rec, why, incomplete = None, "out of sequence", False
        if rec is None:
            rec = _next_intact(data, pos + 1, limits, seq, budget)
            if rec is None:
                _note_end(scan, data, pos, seq, why, incomplete)
                break
            _note_gap(scan, pos, rec, seq, why)
        if rec.op == _OP_MANIFEST:
            scan.manifest = _manifest_from(rec.body)
        else:
            if rec.seq > seq and rec.offset == pos:  # intact, but records before it are missing
                scan.lost += rec.seq - seq
                scan.damage.append(_lost_words(seq, rec.seq, "missing"))
            scan.records.append((rec.offset, rec.end - rec.offset, rec.op, rec.which, rec.body))
            seq = rec.seq + 1
        scan.good_bytes = pos = rec.end
    return scan


def _lost_words(first: int, after: int, why: str) -> str:
    n = after - first
    which = f"record {first + 1}" if n == 1 else f"records {first + 1}-{after}"
    return f"{which} {'is' if n == 1 else 'are'} damaged ({why})"


def _note_gap(scan: _Scan, pos: int, rec: _Record, seq: int, why: str) -> None:
    """A damaged stretch from ``pos`` up to the intact record ``rec``."""
    if pos == 0:
        return  # the marker, already noted
    if rec.op == _OP_MANIFEST or rec.seq == seq:
        scan.damage.append(f"{rec.offset - pos} bytes at offset {pos} cannot be read ({why}); no edit is in them")
        return
    scan.lost += rec.seq - seq
    scan.damage.append(_lost_words(seq, rec.seq, why))


def _note_end(scan: _Scan, data: bytes, pos: int, seq: int, why: str, incomplete: bool) -> None:
    """Nothing intact follows ``pos``: an incomplete last write, or damage up to the end."""
    if incomplete:
        scan.tail_bytes = len(data) - pos
    else:
        scan.damage.append(f"record {seq + 1} is damaged ({why}); {len(data) - pos} bytes from it "
                           "to the end cannot be read")


def _manifest_from(body: bytes) -> dict | None:
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return manifest if _valid_manifest(manifest) else None


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


# ---------------------------------------------------------------- pending journals


@dataclass
class PendingRecovery:
    """A journal left behind by a session that ended without saving or discarding.

    Attributes
    ----------
    session : pathlib.Path
        The journal's folder.
    files : dict
        ``{"image"|"gt"|"pred": CaseFile or None}``: the files to load
        (None: that mask was not loaded from a file, start from zeros).
    shapes, dtypes : dict
        ``{"gt"|"pred": shape / numpy dtype}`` of the edited masks.
    options : dict
        Loading options recorded with the journal (e.g. ``{"sigmoid": True}``).
    steps : int
        Intact records: edits, undos and redos that :func:`replay` applies.
    steps_per_mask : dict
        ``{"gt": n, "pred": m}``.
    started, last_write : datetime
        When the session began, when its last record was written.
    dropped_bytes : int
        Size of an incomplete last record (cut off by the crash), not restored.
    damaged : str or None
        What could not be read (damaged records are skipped; the intact
        records after them are still restored).
    changed : dict
        ``{role: reason}`` for case files that differ from when the journal
        started: replaying onto them would apply the edits to other data.
    stopped : str or None
        Why the session stopped journalling before it ended (a write failed,
        e.g. a full disk): the edits after that point are not restored.
    lost : int
        Edit records known to be in the damaged stretches (not restored).
    not_recorded : int or None
        Edits made after recording stopped, which the journal does not hold
        (None: recording stopped but the count could not be written).
    manifest_note : str or None
        ``manifest.json`` was damaged and the manifest was rebuilt: how.
    """

    session: Path
    files: dict
    shapes: dict
    dtypes: dict
    options: dict
    steps: int
    steps_per_mask: dict
    started: datetime
    last_write: datetime
    dropped_bytes: int = 0
    damaged: str | None = None
    changed: dict = field(default_factory=dict)
    stopped: str | None = None
    lost: int = 0
    not_recorded: int | None = None
    manifest_note: str | None = None
    manifest: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def unread(self) -> str | None:
        """What of this journal could not be read, or None: such a journal is set aside, never deleted."""
        parts = [t for t in (self.manifest_note, self.damaged) if t]
        if self.dropped_bytes:
            parts.append(f"an incomplete last record of {self.dropped_bytes} bytes")
        return "; ".join(parts) or None

    def describe(self) -> str:
        """What restoring would do, in words for a dialog."""
        names = {r: Path(f.path).name for r, f in self.files.items() if f is not None}
        words = {"gt": "ground truth", "pred": "prediction"}
        edited = [f"{self.steps_per_mask[w]} on the {words[w]}"
                  + (f" ({names[w]})" if w in names else " (drawn from scratch)")
                  for w in _WHICH if self.steps_per_mask.get(w)]
        text = (f"Unsaved edits from {self.started:%Y-%m-%d %H:%M}, last one at {self.last_write:%H:%M:%S}: "
                f"{self.steps} step{'s' if self.steps != 1 else ''} ({', '.join(edited) or 'none'})")
        if "image" in names:
            text += f"; image {names['image']}"
        text += "."
        if self.dropped_bytes:
            text += (" The last edit was being saved when the program stopped and cannot be restored;"
                     " the ones before it are.")
        if self.stopped:
            text += f" {self.stopped}: " + self._not_recorded_words()
        if self.damaged:
            lost = (f"{self.lost} edit{'s are' if self.lost != 1 else ' is'} lost" if self.lost
                    else "no edit is known to be lost")
            text += (f" The journal is damaged ({self.damaged}): {lost}; the {self.steps} intact "
                     f"step{'s' if self.steps != 1 else ''} are restored. A copy of the damaged journal is "
                     f"kept in {self.session.parent / DAMAGED}.")
        if self.manifest_note:
            text += f" {self.manifest_note}."
        if self.changed:
            text += " Warning: " + "; ".join(self.changed.values()) + ": the edits were made on the old version."
        return text

    def _not_recorded_words(self) -> str:
        n = self.not_recorded
        if n is None:
            return "edits made after that were not recorded and are not restored."
        if n == 0:
            return "no edit was made after that."
        return (f"recording stopped early; the {n} edit{'s' if n != 1 else ''} made after that point "
                f"{'are' if n != 1 else 'is'} not in the journal and cannot be restored.")


def _valid_manifest(manifest) -> bool:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        return False
    try:
        _parse_manifest(manifest)
    except ValueError:
        return False
    return True


def _manifest_file(session: Path) -> tuple[dict | None, dict | None, str]:
    """(verified, unverified, why): ``manifest.json`` if its checksum holds, else what could be parsed.

    A manifest written before checksums existed counts as verified when it
    parses.
    """
    try:
        manifest = json.loads((session / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None, "is missing"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, None, f"cannot be read ({str(exc)[:80]})"
    if not _valid_manifest(manifest):
        return None, None, "is damaged (its fields do not make sense)"
    checksum = manifest.get("checksum")
    if checksum is not None and checksum != zlib.crc32(_canonical(manifest)) & 0xFFFFFFFF:
        return None, manifest, "is damaged (checksum mismatch)"
    return manifest, None, ""


def _read_manifest(session: Path) -> dict | None:
    return _manifest_file(session)[0]


class _Unreadable(RecoveryError):
    """A journal whose case cannot be known: set aside, never deleted."""


def _choose_manifest(session: Path, scan: _Scan) -> tuple[dict, str | None]:
    """The manifest to restore with and, when it is not ``manifest.json`` as written, a note saying so."""
    verified, unverified, why = _manifest_file(session)
    if verified is not None and "checksum" not in verified and scan.manifest is not None:
        # Journals that copy their manifest into the edits file also checksum
        # it: this one lost its checksum field to damage.
        verified, unverified, why = None, verified, "is damaged (its checksum field is gone)"
    if verified is not None:
        return verified, None
    if scan.manifest is not None:
        return scan.manifest, f"manifest.json {why}; it was rebuilt from its copy in the edits file"
    if unverified is not None:
        return unverified, (f"manifest.json {why} and the edits file holds no readable copy; the files it "
                            "names are used: check the restored case before saving")
    raise _Unreadable(f"manifest.json {why} and the edits file holds no readable copy of it, so the case "
                      f"files its {len(scan.records)} intact edit records belong to are not known")


def _limits(shapes: dict) -> dict:
    # A body holds positions (<= 8 bytes) and two values (<= 8 bytes each)
    # per voxel of the mask, plus a small head.
    return {w: 24 * math.prod(shapes[w]) + 4096 if w in shapes else 0 for w in _WHICH}


def _parse_manifest(manifest: dict):
    """(files, shapes, dtypes, options, created, stopped) from a manifest; ValueError if malformed."""
    try:
        files = {}
        for role in ROLES:
            entry = manifest["files"].get(role)
            files[role] = None if entry is None else CaseFile(str(entry["path"]), int(entry["size"]),
                                                              int(entry["mtime_ns"]))
        arrays = {w: a for w, a in manifest["arrays"].items() if w in _WHICH and a is not None}
        shapes = {w: tuple(int(n) for n in a["shape"]) for w, a in arrays.items()}
        dtypes = {w: _DTYPES[_dtype_code(np.dtype(str(a["dtype"])))] for w, a in arrays.items()}
        options = dict(manifest.get("options") or {})
        created = float(manifest.get("created", 0))
        datetime.fromtimestamp(created)
        stopped = manifest.get("stopped")
        if stopped is not None:
            stopped = (int(stopped["after_step"]), str(stopped.get("reason", "write error"))[:200])
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        raise ValueError(f"malformed manifest: {exc}") from exc
    if any(len(s) == 0 or min(s) < 1 for s in shapes.values()):
        raise ValueError("malformed manifest: empty or negative mask shape")
    return files, shapes, {w: d.newbyteorder("=") for w, d in dtypes.items()}, options, created, stopped


def _stop_words(session: Path, from_manifest) -> tuple[str | None, int | None]:
    """("Recording stopped after step n (reason)", edits not recorded) or (None, None)."""
    status = _read_status(session)
    if status is not None:
        after, missing, reason = status
        return f"Recording stopped after step {after} ({reason})", missing
    if from_manifest is not None:
        after, reason = from_manifest
        return f"Recording stopped after step {after} ({reason})", None
    return None, None


def _empty(scan: _Scan) -> bool:
    return not (scan.records or scan.damage or scan.tail_bytes)


def _pending_from(session: Path) -> PendingRecovery | None:
    """What ``session`` holds; None when it holds nothing (no record, nothing unread).

    Raises
    ------
    _Unreadable
        The journal holds records (or bytes that may be records) but its
        case cannot be known.
    """
    scan = _scan(session / RECORDS)
    try:
        manifest, note = _choose_manifest(session, scan)
    except _Unreadable:
        if _empty(scan) and _read_status(session) is None:
            return None
        raise
    files, shapes, dtypes, options, created, stopped = _parse_manifest(manifest)
    per_mask = {w: sum(1 for r in scan.records if r[3] == w) for w in _WHICH}
    records = session / RECORDS
    last = records.stat().st_mtime if records.exists() else created
    changed = {}
    for role, f in files.items():
        if f is not None:
            why = f.changed()
            if why:
                changed[role] = why
    stopped, not_recorded = _stop_words(session, stopped)
    return PendingRecovery(
        session=session, files=files, shapes=shapes, dtypes=dtypes,
        options=options, steps=len(scan.records), steps_per_mask=per_mask,
        started=datetime.fromtimestamp(created),
        last_write=datetime.fromtimestamp(last), dropped_bytes=scan.tail_bytes, damaged=scan.damaged,
        changed=changed, stopped=stopped, lost=scan.lost, not_recorded=not_recorded,
        manifest_note=note, manifest=manifest,
    )


_UNFINISHED_GRACE = 600.0  # seconds


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


@dataclass(frozen=True)
class SetAside:
    """A journal that could not be read, moved to ``damaged/`` (never deleted).

    Attributes
    ----------
    path : pathlib.Path
        Where it is now.
    reason : str
        Why it could not be offered (also in its ``why.txt``).
    """

    path: Path
    reason: str


@dataclass
class JournalSearch:
    """What :func:`find_journals` found.

    Attributes
    ----------
    pending : list of PendingRecovery
        Journals to offer, newest first.
    set_aside : list of SetAside
        Journals that could not be read, moved to ``damaged/``: tell the user.
    """

    pending: list = field(default_factory=list)
    set_aside: list = field(default_factory=list)


def set_aside(session, reason: str) -> Path:
    """Move a journal to ``damaged/`` in its recovery folder, with a ``why.txt``; the new path.

    Parameters
    ----------
    session : str or Path
        The journal's folder.
    reason : str
        What could not be read, for whoever looks at it later.
    """
    target = _damaged_target(Path(session))
    os.replace(session, target)
    _write_why(target, reason)
    fsync_dir(target.parent)
    return target


def _damaged_target(session: Path) -> Path:
    damaged = session.parent / DAMAGED
    _private_dir(damaged)
    target, k = damaged / session.name, 1
    while target.exists():
        k += 1
        target = damaged / f"{session.name}-{k}"
    return target


def _write_why(folder: Path, reason: str) -> None:
    with open(folder / WHY, "w", encoding="utf-8", opener=_private) as fh:
        fh.write(f"{datetime.now():%Y-%m-%d %H:%M:%S}: {reason}\n")


def _being_started(session: Path) -> bool:
    # A window takes the session's lock right after making its folder: a
    # young folder without a lock file may be one being started right now.
    return not (session / LOCK).exists() and _age(session) < _UNFINISHED_GRACE


def find_journals(folder, *, prune: bool = True) -> JournalSearch:
    """Journals in ``folder`` that a crashed or killed session left, and the unreadable ones.

    Parameters
    ----------
    folder : str or Path
        The recovery folder given to :class:`RecoveryJournal`.
    prune : bool
        Delete left-over sessions that hold nothing at all (no record, no
        unreadable byte), and move those whose case cannot be known to
        ``damaged/`` (reported in ``set_aside``), while looking.

    Returns
    -------
    JournalSearch
        Sessions still open in a live process (their lock is held) are left out.
    """
    folder = Path(folder)
    found = JournalSearch()
    if not folder.is_dir():
        return found
    for session in folder.iterdir():
        if not (session.is_dir() and session.name.startswith(SESSION_PREFIX)) or _is_locked(session):
            continue
        try:
            pending = _pending_from(session)
        except _Unreadable as exc:
            if not _being_started(session):
                where = set_aside(session, str(exc)) if prune else session
                found.set_aside.append(SetAside(where, str(exc)))
            continue
        if pending is not None and (pending.steps or pending.unread or pending.stopped):
            found.pending.append(pending)
        elif prune and (pending is not None or not _being_started(session)):
            shutil.rmtree(session, ignore_errors=True)  # read in full, and it holds nothing
    found.pending.sort(key=lambda p: p.last_write, reverse=True)
    return found


def find_pending(folder, *, prune: bool = True) -> list[PendingRecovery]:
    """The journals to offer (:attr:`JournalSearch.pending` of :func:`find_journals`)."""
    return find_journals(folder, prune=prune).pending


def replay(pending: PendingRecovery, live, *, allow_changed: bool = False) -> int:
    """Re-apply a pending journal's intact edits, in order, to freshly loaded masks.

    Parameters
    ----------
    pending : PendingRecovery
        From :func:`find_pending`.
    live : dicegui.core.live.LiveScore
        Holding the masks as loaded from ``pending.files`` (zeros for a mask
        that had no file); edited in place through
        :func:`~dicegui.core.edits.apply_delta`, so its scores follow.
    allow_changed : bool
        Replay even though a case file changed since the journal started.

    Returns
    -------
    int
        Number of steps applied (``pending.steps``).

    Raises
    ------
    RecoveryError
        A case file changed (unless ``allow_changed``), or the masks' shapes
        or dtypes are not the journal's. Nothing is applied then.
    """
    if pending.changed and not allow_changed:
        raise RecoveryError("; ".join(pending.changed.values()) + ": not restoring onto a different file")
    for w in _WHICH:
        if w not in pending.shapes:
            continue
        mask = live.gt if w == "gt" else live.pred
        if tuple(mask.shape) != pending.shapes[w] or mask.dtype != pending.dtypes[w]:
            raise RecoveryError(
                f"the {w} mask is {mask.shape} {mask.dtype}; the journal was written for "
                f"{pending.shapes[w]} {pending.dtypes[w]}"
            )
    scan = _scan(pending.session / RECORDS)
    deltas = []
    for _offset, _length, op, which, body in scan.records[:pending.steps]:
        try:
            delta = decode_delta(body, which, pending.shapes[which], pending.dtypes[which])
        except (ValueError, KeyError, TypeError, struct.error) as exc:
            # Checked in full before anything is written: all or nothing.
            raise RecoveryError(f"record {len(deltas) + 1} cannot be read: {exc}") from exc
        deltas.append((delta, op == _OP_UNDO))
    for delta, undo in deltas:
        apply_delta(live, delta, undo=undo)
    return len(deltas)


def discard(pending: PendingRecovery) -> Path | None:
    """Delete a pending journal (the user chose not to restore it).

    Returns
    -------
    pathlib.Path or None
        Where it was moved instead when part of it could not be read
        (``damaged/``): a journal that was not read in full is never deleted.
    """
    if pending.unread:
        return set_aside(pending.session, f"discarded; not read in full: {pending.unread}")
    shutil.rmtree(pending.session, ignore_errors=True)
    return None


# ---------------------------------------------------------------- the journal


class RecoveryJournal:
    """Writes every edit of one editing session to disk as it is made.

    Parameters
    ----------
    folder : str or Path
        The recovery folder (created if needed); the session writes into its
        own sub-folder there.

    Examples
    --------
    >>> journal = RecoveryJournal(recovery_folder)                  # doctest: +SKIP
    >>> journal.start({"gt": gt_path, "pred": pred_path},
    ...               shapes={"gt": gt.shape, "pred": pred.shape},
    ...               dtypes={"gt": gt.dtype, "pred": pred.dtype})  # doctest: +SKIP
    >>> journal.record(stroke.finish())                             # doctest: +SKIP
    >>> journal.record(delta, undo=True)                            # doctest: +SKIP
    >>> journal.clear()   # after saving or discarding              # doctest: +SKIP
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.session: Path | None = None
        self._fh = None
        self._lock_fh = None
        self._seq = 0
        self._manifest: dict | None = None
        self._status_fh = None
        #: Why recording stopped (a write failed, e.g. a full disk), or None.
        self.failed: str | None = None
        #: Edits offered to :meth:`record` after recording stopped (not in the journal).
        self.not_recorded = 0

    # ------------------------------------------------------------ lifetime
    def start(self, case_paths: dict, shapes: dict, dtypes: dict, options: dict | None = None) -> Path:
        """Begin journalling a case; a previous session of this journal is cleared.

        Parameters
        ----------
        case_paths : dict
            ``{"image"|"gt"|"pred": path or None}`` as given to ``load_case``.
        shapes, dtypes : dict
            ``{"gt"|"pred": ...}`` of the masks that will be edited.
        options : dict, optional
            JSON-serialisable loading options to restore with (``sigmoid``).

        Returns
        -------
        pathlib.Path
            The session folder.
        """
        self.clear()
        unknown = set(case_paths) - set(ROLES)
        if unknown:
            raise ValueError(f"case_paths roles must be image, gt, pred; got {sorted(unknown)}")
        files = {role: None if case_paths.get(role) is None else asdict(CaseFile.of(case_paths[role]))
                 for role in ROLES}
        arrays = {w: {"shape": [int(n) for n in shapes[w]], "dtype": np.dtype(dtypes[w]).str}
                  for w in _WHICH if w in shapes}
        for a in arrays.values():
            _dtype_code(np.dtype(a["dtype"]))  # refuse dtypes the record format cannot hold, now
        _private_dir(self.folder)
        session = self.folder / f"{SESSION_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        session.mkdir(mode=0o700)
        os.chmod(session, 0o700)
        self._lock_fh = open(session / LOCK, "a+b", opener=_private)
        if not _lock(self._lock_fh):  # pragma: no cover - a fresh unique folder
            raise RecoveryError(f"cannot lock {session}")
        self._manifest = {
            "format": FORMAT, "version": VERSION, "created": time.time(),
            "host": socket.gethostname(), "pid": os.getpid(),
            "files": files, "arrays": arrays, "options": dict(options or {}),
        }
        self.session = session
        _write_manifest(session, self._manifest)
        self._open_status(session)
        self._write_records([])
        fsync_dir(self.folder)
        self.failed = None
        self.not_recorded = 0
        return session

    @classmethod
    def resume(cls, pending: PendingRecovery) -> "RecoveryJournal":
        """Carry on writing a pending journal after :func:`replay` restored it.

        The restored edits stay journalled (a second crash loses nothing):
        the records file is written again from the intact records, numbered
        afresh, with the manifest :func:`find_pending` used. A journal that
        was not read in full is first copied to ``damaged/`` as it was.
        """
        journal = cls(pending.session.parent)
        lock_fh = open(pending.session / LOCK, "a+b", opener=_private)
        if not _lock(lock_fh):
            lock_fh.close()
            raise RecoveryError(f"{pending.session.name} is in use by another dicegui window")
        journal._lock_fh = lock_fh
        journal.session = pending.session
        try:
            journal._rewrite(pending)
        except (OSError, ValueError) as exc:
            journal.close()
            raise RecoveryError(f"{pending.session.name}: the journal cannot be written again ({exc})") from exc
        return journal

    def _rewrite(self, pending: PendingRecovery) -> None:
        session = self.session
        if pending.unread:
            copy = _damaged_target(session)
            shutil.copytree(session, copy, ignore=shutil.ignore_patterns(LOCK))
            _write_why(copy, f"restored, then written again from its intact records; not read in full: "
                             f"{pending.unread}")
        manifest = {k: v for k, v in (pending.manifest or {}).items() if k not in ("stopped", "checksum")}
        if not _valid_manifest(manifest):
            raise ValueError("the journal's manifest cannot be read")
        # The restored state is the one after the last intact record: carrying
        # on from it, the journal is complete again.
        self._manifest = manifest
        scan = _scan(session / RECORDS)
        _write_manifest(session, manifest)
        self._open_status(session)
        self._write_records([(op, which, body) for _o, _l, op, which, body in scan.records])

    def _write_records(self, records: list) -> None:
        """A new records file: the marker, the manifest's copy, then ``records`` ((op, which, body)) in order."""
        path = self.session / RECORDS
        tmp = path.with_name(RECORDS + ".tmp")
        with open(tmp, "wb", opener=_private) as fh:
            fh.write(_FILE_MAGIC + _manifest_record(self._manifest))
            for seq, (op, which, body) in enumerate(records):
                fh.write(_frame(op, _WHICH.index(which), seq, body))
            fh.flush()
            os.fsync(fh.fileno())
        if self._fh is not None:
            self._fh.close()
        os.replace(tmp, path)
        fsync_dir(self.session)
        self._fh = open(path, "r+b")
        self._fh.seek(0, os.SEEK_END)
        self._seq = len(records)

    def _open_status(self, session: Path) -> None:
        """The stop marker, written out now: overwriting it later needs no new disk space."""
        if self._status_fh is not None:
            self._status_fh.close()
        fh = open(session / STATUS, "w+b", opener=_private)
        fh.write(bytes(_STATUS_SIZE))
        fh.flush()
        os.fsync(fh.fileno())
        self._status_fh = fh

    def _write_status(self) -> None:
        """Overwrite the stop marker in place with where recording stopped and how many edits it missed."""
        if self._status_fh is None:
            return
        data = _status_bytes(self._seq, self.not_recorded, self.failed or "write error")
        try:
            os.pwrite(self._status_fh.fileno(), data, 0)
            # Not _sync: that is what fails when the disk is full, while this
            # overwrite of blocks written at start needs no new space.
            (getattr(os, "fdatasync", None) or os.fsync)(self._status_fh.fileno())
        except OSError:
            pass  # the count stays in memory and is written with the next edit

    def close(self) -> None:
        """Stop writing and release the session; its records stay for recovery."""
        if self.failed and self._fh is not None:
            self._write_status()  # one more try at the count, e.g. after space was freed
        for fh in (self._fh, self._status_fh, self._lock_fh):
            if fh is not None:
                try:
                    fh.close()
                except OSError:
                    pass
        self._fh = self._status_fh = self._lock_fh = None

    def clear(self) -> None:
        """Forget the session (after a save of every mask, or a discard): delete its folder."""
        session = self.session
        self.close()
        self.session = None
        self._seq = 0
        self._manifest = None
        if session is not None:
            shutil.rmtree(session, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------ writing
    @property
    def active(self) -> bool:
        """Whether :meth:`start` (or :meth:`resume`) was called and not cleared or closed."""
        return self._fh is not None

    @property
    def steps(self) -> int:
        """Records written in this session."""
        return self._seq

    @property
    def nbytes(self) -> int:
        """Size of the session's edits file."""
        return 0 if self._fh is None else self._fh.tell()

    def record(self, delta: EditDelta, undo: bool = False) -> int:
        """Append one edit (or its undo, or a redo) and make it durable before returning.

        Parameters
        ----------
        delta : EditDelta
            The edit, as returned by a stroke, a fill or the undo history.
        undo : bool
            The edit was undone (its old values were written back). A redo is
            recorded as the edit again (``undo=False``).

        Returns
        -------
        int
            Bytes appended.
        """
        if self._fh is None:
            raise RuntimeError("the journal is not started")
        if delta is None:
            return 0
        if self.failed:
            # Later records would build on the missing one: none is written,
            # but the offer must say how many edits the journal misses.
            self.not_recorded += 1
            self._write_status()
            return 0
        arrays = self._manifest["arrays"]
        if delta.which not in arrays:
            raise ValueError(f"the journal was started without a {delta.which} mask")
        raw = _record_bytes(self._seq, delta, undo)
        good = self._fh.tell()
        try:
            self._fh.write(raw)
            self._fh.flush()
            _sync(self._fh.fileno())
        except OSError as exc:
            self._stop(good, exc)
            raise RecoveryError(
                f"cannot write the recovery journal ({exc.strerror or exc}); the last {self._seq} edits "
                "are safe, later ones will not be recoverable until the case is saved"
            ) from exc
        self._seq += 1
        return len(raw)

    def _stop(self, good: int, exc: OSError) -> None:
        """After a failed write: keep the journal a clean prefix, and say where it stops."""
        # A recovery then restores the exact state after the last good
        # record; later records would build on the missing one, so none is
        # written any more.
        self.failed = exc.strerror or str(exc)
        try:
            self._fh = _reopen_truncated(self._fh, self.session / RECORDS, good)
        except OSError:
            pass  # the scan drops an incomplete tail anyway
        try:
            self._manifest["stopped"] = {"after_step": self._seq, "reason": self.failed}
            _write_manifest(self.session, self._manifest)
        except OSError:
            pass  # the status file below needs no new space
        self.not_recorded = 1  # the edit whose write failed
        self._write_status()

    def mark_saved(self, role: str, path) -> None:
        """A mask was saved to ``path``: its records are no longer needed.

        The manifest now names ``path`` for ``role`` (what a recovery must
        load), and that mask's records are dropped, while the other mask's
        unsaved edits stay journalled.
        """
        if role not in _WHICH:
            raise ValueError(f"role must be 'gt' or 'pred', not {role!r}")
        if self._fh is None:
            raise RuntimeError("the journal is not started")
        try:
            self._drop_records_of(role, path)
        except OSError as exc:
            raise RecoveryError(f"cannot update the recovery journal after saving: {exc.strerror or exc}") from exc

    def _drop_records_of(self, role: str, path) -> None:
        self._fh.flush()
        scan = _scan(self.session / RECORDS)
        kept = [(op, which, body) for _o, _l, op, which, body in scan.records if which != role]
        # The manifest first. A crash between it and the records' rename
        # leaves the saved file named together with the old records, which
        # is still right: every record writes absolute values, so replaying
        # them onto a file that already holds their result changes nothing.
        self._manifest["files"][role] = asdict(CaseFile.of(path))
        _write_manifest(self.session, self._manifest)
        self._write_records(kept)
