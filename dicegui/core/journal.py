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
    "find_pending",
    "replay",
    "discard",
]

FORMAT = "dicegui-recovery"
VERSION = 1
MANIFEST = "manifest.json"
RECORDS = "edits.bin"
LOCK = "lock"
SESSION_PREFIX = "session-"

_FILE_MAGIC = b"DGJRNL01"
_MAGIC = b"DGR1"
_HEADER = struct.Struct("<4sBBHIIII")
_OP_APPLY, _OP_UNDO = 1, 2
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


def _record_bytes(seq: int, delta: EditDelta, undo: bool) -> bytes:
    body = encode_delta(delta)
    payload = zlib.compress(body, _ZLIB_LEVEL)
    head = _HEADER.pack(_MAGIC, _OP_UNDO if undo else _OP_APPLY, _WHICH.index(delta.which), 0, seq,
                        len(body), len(payload), 0)[:20]
    crc = zlib.crc32(payload, zlib.crc32(head)) & 0xFFFFFFFF
    return head + struct.pack("<I", crc) + payload


@dataclass
class _Scan:
    """What reading a records file found."""

    records: list = field(default_factory=list)  # (offset, length, op, which, body) of intact records
    good_bytes: int = len(_FILE_MAGIC)
    tail_bytes: int = 0  # an incomplete last record (crash while writing it)
    damaged: str | None = None  # a record that failed its checks, and why


def _scan(path: Path, limits: dict) -> _Scan:
    """Read every intact record of a records file, stopping at the first bad one.

    ``limits`` maps ``"gt"``/``"pred"`` to the most bytes a body can take
    (never more than a few times the mask), so a damaged length field cannot
    make us allocate gigabytes.
    """
    scan = _Scan()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return scan
    if not data.startswith(_FILE_MAGIC):
        if len(data) < len(_FILE_MAGIC) and _FILE_MAGIC.startswith(data):
            scan.tail_bytes = len(data)
            scan.good_bytes = 0
            return scan
        scan.damaged = "the edits file does not start with the journal's marker"
        scan.good_bytes = 0
        return scan
    pos = len(_FILE_MAGIC)
    seq = 0
    while pos < len(data):
        if len(data) - pos < _HEADER.size:
            scan.tail_bytes = len(data) - pos
            break
        magic, op, which, _reserved, rec_seq, body_len, payload_len, crc = _HEADER.unpack_from(data, pos)
        if magic != _MAGIC or op not in (_OP_APPLY, _OP_UNDO) or which > 1:
            scan.damaged = f"record {seq + 1} is damaged (bad header)"
            break
        end = pos + _HEADER.size + payload_len
        if end > len(data):
            scan.tail_bytes = len(data) - pos
            break
        payload = data[pos + _HEADER.size:end]
        if zlib.crc32(payload, zlib.crc32(data[pos:pos + 20])) & 0xFFFFFFFF != crc:
            if end == len(data):
                # The last record: after a power cut the file can be as long
                # as the write asked while its last blocks never reached the
                # disk. That is an incomplete write, not damage.
                scan.tail_bytes = len(data) - pos
            else:
                scan.damaged = f"record {seq + 1} is damaged (checksum mismatch)"
            break
        if rec_seq != seq or body_len > limits[_WHICH[which]]:
            scan.damaged = f"record {seq + 1} is damaged (out of sequence or too large)"
            break
        try:
            inflater = zlib.decompressobj()
            body = inflater.decompress(payload, body_len + 1)
        except zlib.error:
            scan.damaged = f"record {seq + 1} is damaged (cannot decompress)"
            break
        if len(body) != body_len:
            scan.damaged = f"record {seq + 1} is damaged (wrong length)"
            break
        scan.records.append((pos, end - pos, op, _WHICH[which], body))
        scan.good_bytes = end
        pos = end
        seq += 1
    return scan


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
        fh = open(session / LOCK, "a+b")
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


def _write_json_atomically(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


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
        Why the replay stops early at a damaged record, if one is.
    changed : dict
        ``{role: reason}`` for case files that differ from when the journal
        started: replaying onto them would apply the edits to other data.
    stopped : str or None
        Why the session stopped journalling before it ended (a write failed,
        e.g. a full disk): the edits after that point are not restored.
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
            text += f" {self.stopped}: edits made after that were not recorded and are not restored."
        if self.damaged:
            text += f" The journal is damaged ({self.damaged}): only the {self.steps} steps before it are restored."
        if self.changed:
            text += " Warning: " + "; ".join(self.changed.values()) + ": the edits were made on the old version."
        return text


def _read_manifest(session: Path) -> dict | None:
    try:
        manifest = json.loads((session / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        return None
    try:
        _parse_manifest(manifest)
    except ValueError:
        return None
    return manifest


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
            stopped = (f"Recording stopped after step {int(stopped['after_step'])} "
                       f"({str(stopped.get('reason', 'write error'))[:200]})")
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
        raise ValueError(f"malformed manifest: {exc}") from exc
    if any(len(s) == 0 or min(s) < 1 for s in shapes.values()):
        raise ValueError("malformed manifest: empty or negative mask shape")
    return files, shapes, {w: d.newbyteorder("=") for w, d in dtypes.items()}, options, created, stopped


def _pending_from(session: Path) -> PendingRecovery | None:
    manifest = _read_manifest(session)
    if manifest is None:
        return None
    try:
        files, shapes, dtypes, options, created, stopped = _parse_manifest(manifest)
    except ValueError:
        return None
    scan = _scan(session / RECORDS, _limits(shapes))
    per_mask = {w: sum(1 for r in scan.records if r[3] == w) for w in _WHICH}
    records = session / RECORDS
    last = records.stat().st_mtime if records.exists() else created
    changed = {}
    for role, f in files.items():
        if f is not None:
            why = f.changed()
            if why:
                changed[role] = why
    return PendingRecovery(
        session=session, files=files, shapes=shapes, dtypes=dtypes,
        options=options, steps=len(scan.records), steps_per_mask=per_mask,
        started=datetime.fromtimestamp(created),
        last_write=datetime.fromtimestamp(last), dropped_bytes=scan.tail_bytes, damaged=scan.damaged,
        changed=changed, stopped=stopped,
    )


_UNFINISHED_GRACE = 600.0  # seconds


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def find_pending(folder, *, prune: bool = True) -> list[PendingRecovery]:
    """Journals in ``folder`` that a crashed or killed session left to restore.

    Parameters
    ----------
    folder : str or Path
        The recovery folder given to :class:`RecoveryJournal`.
    prune : bool
        Delete left-over sessions that hold nothing to restore (no edit was
        made, or, after ten minutes, an unreadable manifest) while looking.

    Returns
    -------
    list of PendingRecovery
        Newest first. Sessions still open in a live process (their lock is
        held) are left out.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for session in folder.iterdir():
        if not (session.is_dir() and session.name.startswith(SESSION_PREFIX)) or _is_locked(session):
            continue
        pending = _pending_from(session)
        if pending is not None and (pending.steps or pending.damaged or pending.dropped_bytes):
            found.append(pending)
        elif prune and (pending is not None or _age(session) > _UNFINISHED_GRACE):
            # Without a manifest, a young session may be one being started
            # right now by another window (before it takes its lock).
            shutil.rmtree(session, ignore_errors=True)
    return sorted(found, key=lambda p: p.last_write, reverse=True)


def replay(pending: PendingRecovery, live, *, allow_changed: bool = False) -> int:
    """Re-apply a pending journal's edits, in order, to freshly loaded masks.

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
    scan = _scan(pending.session / RECORDS, _limits(pending.shapes))
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


def discard(pending: PendingRecovery) -> None:
    """Delete a pending journal (the user chose not to restore it)."""
    shutil.rmtree(pending.session, ignore_errors=True)


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
        #: Why recording stopped (a write failed, e.g. a full disk), or None.
        self.failed: str | None = None

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
        self.folder.mkdir(parents=True, exist_ok=True)
        session = self.folder / f"{SESSION_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        session.mkdir()
        self._lock_fh = open(session / LOCK, "a+b")
        if not _lock(self._lock_fh):  # pragma: no cover - a fresh unique folder
            raise RecoveryError(f"cannot lock {session}")
        self._manifest = {
            "format": FORMAT, "version": VERSION, "created": time.time(),
            "host": socket.gethostname(), "pid": os.getpid(),
            "files": files, "arrays": arrays, "options": dict(options or {}),
        }
        _write_json_atomically(session / MANIFEST, self._manifest)
        self._open_records(session / RECORDS, truncate_to=None)
        fsync_dir(self.folder)
        self.session = session
        self.failed = None
        return session

    @classmethod
    def resume(cls, pending: PendingRecovery) -> "RecoveryJournal":
        """Carry on writing a pending journal after :func:`replay` restored it.

        The restored edits stay journalled (a second crash loses nothing); an
        incomplete or damaged tail is cut off first so new records follow the
        last good one.
        """
        journal = cls(pending.session.parent)
        lock_fh = open(pending.session / LOCK, "a+b")
        if not _lock(lock_fh):
            lock_fh.close()
            raise RecoveryError(f"{pending.session.name} is in use by another dicegui window")
        journal._lock_fh = lock_fh
        journal._manifest = _read_manifest(pending.session)
        if journal._manifest is None:
            journal.close()
            raise RecoveryError(f"{pending.session.name}: the journal's manifest cannot be read")
        scan = _scan(pending.session / RECORDS, _limits(pending.shapes))
        journal._open_records(pending.session / RECORDS, truncate_to=scan.good_bytes)
        journal._seq = len(scan.records)
        journal.session = pending.session
        if journal._manifest.pop("stopped", None) is not None:
            # The restored state is the one after the last record: carrying
            # on from it, the journal is complete again.
            _write_json_atomically(pending.session / MANIFEST, journal._manifest)
        return journal

    def _open_records(self, path: Path, truncate_to: int | None) -> None:
        if truncate_to is None or truncate_to < len(_FILE_MAGIC):
            fh = open(path, "wb")
            fh.write(_FILE_MAGIC)
        else:
            fh = open(path, "r+b")
            fh.truncate(truncate_to)
            fh.seek(truncate_to)
        fh.flush()
        _sync(fh.fileno())
        fsync_dir(path.parent)
        self._fh = fh

    def close(self) -> None:
        """Stop writing and release the session; its records stay for recovery."""
        for fh in (self._fh, self._lock_fh):
            if fh is not None:
                try:
                    fh.close()
                except OSError:
                    pass
        self._fh = self._lock_fh = None

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
        if delta is None or self.failed:
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
            _write_json_atomically(self.session / MANIFEST, self._manifest)
        except OSError:
            pass

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
        records = self.session / RECORDS
        self._fh.flush()
        scan = _scan(records, _limits({w: tuple(a["shape"]) for w, a in self._manifest["arrays"].items()}))
        kept = [(op, which, body) for _o, _l, op, which, body in scan.records if which != role]
        tmp = records.with_name(RECORDS + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(_FILE_MAGIC)
            for seq, (op, which, body) in enumerate(kept):
                payload = zlib.compress(body, _ZLIB_LEVEL)
                head = _HEADER.pack(_MAGIC, op, _WHICH.index(which), 0, seq, len(body), len(payload), 0)[:20]
                fh.write(head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head)) & 0xFFFFFFFF) + payload)
            fh.flush()
            os.fsync(fh.fileno())
        # The manifest first. A crash between the two renames then leaves the
        # saved file named together with the old records, which is still
        # right: every record writes absolute values, so replaying them onto
        # a file that already holds their result changes nothing.
        self._manifest["files"][role] = asdict(CaseFile.of(path))
        _write_json_atomically(self.session / MANIFEST, self._manifest)
        self._fh.close()
        os.replace(tmp, records)
        fsync_dir(self.session)
        self._fh = open(records, "r+b")
        self._fh.seek(0, os.SEEK_END)
        self._seq = len(kept)
