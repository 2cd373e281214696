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


The package's modules: :mod:`.records` (the format: records, their
encoding and the scan past damage), :mod:`.storage` (locks, durable and
private files, the status file), :mod:`.pending` (journals left behind:
offer, replay, discard, set aside) and :mod:`.writer` (:class:`RecoveryJournal`).
"""
from __future__ import annotations

from .pending import JournalSearch, PendingRecovery, SetAside, discard, find_journals, find_pending, replay, set_aside
from .records import (
    DAMAGED, FORMAT, LOCK, MANIFEST, RECORDS, ROLES, SESSION_PREFIX, STATUS, VERSION, WHY, CaseFile, RecoveryError,
    decode_delta, encode_delta,
)
from .writer import RecoveryJournal

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
    "encode_delta",
    "decode_delta",
    "FORMAT",
    "VERSION",
    "ROLES",
    "MANIFEST",
    "RECORDS",
    "LOCK",
    "STATUS",
    "DAMAGED",
    "WHY",
    "SESSION_PREFIX",
]
