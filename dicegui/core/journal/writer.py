"""The journal a window writes while it is edited: :class:`RecoveryJournal`.

Part of :mod:`dicegui.core.journal` (see the package notes).
"""
from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..edits import EditDelta
from ..io.atomic import fsync_dir
from .pending import PendingRecovery, _damaged_target, _write_why
from .records import (
    _FILE_MAGIC, FORMAT, LOCK, RECORDS, ROLES, SESSION_PREFIX, STATUS, _STATUS_SIZE, VERSION, _WHICH, CaseFile,
    RecoveryError, _dtype_code, _frame, _manifest_record, _record_bytes, _scan, _valid_manifest,
)
from .storage import _lock, _private, _private_dir, _reopen_truncated, _status_bytes, _sync, _write_manifest


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
