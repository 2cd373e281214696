"""The journal's on-disk format: constants, record encoding and framing, and the scan that finds intact records past damage.

Part of :mod:`dicegui.core.journal` (see the package notes).
"""
from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..edits import EditDelta


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


def _valid_manifest(manifest) -> bool:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        return False
    try:
        _parse_manifest(manifest)
    except ValueError:
        return False
    return True


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
