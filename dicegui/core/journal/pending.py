"""Journals left behind: reading them (manifest, records, damage), offering, replaying, discarding and setting them aside.

Part of :mod:`dicegui.core.journal` (see the package notes).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import struct
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..edits import apply_delta
from ..io.atomic import fsync_dir
from .records import (
    DAMAGED, LOCK, MANIFEST, _OP_UNDO, RECORDS, SESSION_PREFIX, _WHICH, WHY, RecoveryError, _Scan, _canonical,
    decode_delta, _parse_manifest, _scan, _valid_manifest,
)
from .storage import _is_locked, _private, _private_dir, _read_status


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


