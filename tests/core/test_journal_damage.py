"""A damaged journal never costs an intact edit, and is never deleted (issue 13.3).

The central test flips one byte at a time in every part of a real journal
(the file marker, the manifest's copy, each record's header and body, and
``manifest.json``) and checks that every intact record is offered and
replayed: the replayed masks must equal the masks after exactly those edits,
computed here with plain NumPy box assignments, never from the journal.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import time

import nibabel as nib
import numpy as np
import pytest

from dicegui.core import journal as jr
from dicegui.core.edits import EditDelta, apply_delta
from dicegui.core.io import load_case
from dicegui.core.journal import RecoveryError, RecoveryJournal, discard, find_journals, find_pending, replay
from dicegui.core.live import LiveScore

SHAPE = (14, 12, 10)
# (op, mask, box, label): disjoint boxes, so any subset of edits has one
# answer that NumPy computes directly; ("undo", k) undoes edit k.
EDITS = [
    ("apply", "gt", (slice(0, 3), slice(0, 4), slice(0, 3)), 1),
    ("apply", "pred", (slice(0, 3), slice(5, 9), slice(0, 3)), 1),
    ("apply", "pred", (slice(4, 7), slice(0, 3), slice(4, 8)), 2),
    ("apply", "gt", (slice(4, 8), slice(5, 8), slice(0, 4)), 3),
    ("undo", 2),
    ("apply", "gt", (slice(9, 13), slice(0, 5), slice(5, 9)), 2),
    ("apply", "pred", (slice(9, 12), slice(6, 11), slice(0, 4)), 1),
    ("apply", "pred", (slice(8, 10), slice(9, 12), slice(6, 10)), 3),
    ("apply", "gt", (slice(11, 14), slice(7, 11), slice(6, 9)), 1),
]


def _originals():
    gt = np.zeros(SHAPE, np.uint8)
    gt[6:9, 8:11, 5:9] = 2  # content the undo must give back
    pred = np.zeros(SHAPE, np.uint8)
    pred[5:7, 9:12, 0:3] = 1
    return gt, pred


def _expected(intact):
    """The masks after exactly the edits in ``intact`` (indices into EDITS), by box assignment."""
    gt, pred = _originals()
    masks = {"gt": gt, "pred": pred}
    originals = dict(zip(("gt", "pred"), _originals()))
    for k, edit in enumerate(EDITS):
        if k not in intact:
            continue
        if edit[0] == "apply":
            _op, which, box, label = edit
            masks[which][box] = label
        else:
            _op, which, box, _label = EDITS[edit[1]]
            masks[which][box] = originals[which][box]
    return gt, pred


def _deltas(live):
    """The records a session making EDITS would journal (built from the masks, as the editor does)."""
    made = []
    for edit in EDITS:
        if edit[0] == "undo":
            delta = made[edit[1]][0]
            apply_delta(live, delta, undo=True)
            made.append((delta, True))
            continue
        _op, which, box, label = edit
        mask = live.gt if which == "gt" else live.pred
        inside = np.zeros(SHAPE, bool)
        inside[box] = True
        index = np.nonzero(inside)
        delta = EditDelta.from_changes(which, index, mask[index].copy(), np.full(len(index[0]), label, np.uint8),
                                       label=label, tool="paint", axis=0, slice_index=0, scope="slice")
        apply_delta(live, delta)
        made.append((delta, False))
    return made


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A closed journal of EDITS over real case files: (recovery folder, session, case paths)."""
    folder = tmp_path_factory.mktemp("journal-base")
    gt, pred = _originals()
    paths = {"gt": folder / "gt.nii.gz", "pred": folder / "pred.nii.gz"}
    nib.Nifti1Image(gt, np.eye(4)).to_filename(paths["gt"])
    nib.Nifti1Image(pred, np.eye(4)).to_filename(paths["pred"])
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    live = LiveScore(case.gt_mask.copy(), case.pred_mask.copy())
    journal = RecoveryJournal(folder / "recovery")
    journal.start(paths, shapes={"gt": SHAPE, "pred": SHAPE}, dtypes={"gt": np.uint8, "pred": np.uint8})
    for delta, undo in _deltas(live):
        journal.record(delta, undo=undo)
    journal.close()
    np.testing.assert_array_equal(live.gt, _expected(range(len(EDITS)))[0])  # the NumPy model is right
    np.testing.assert_array_equal(live.pred, _expected(range(len(EDITS)))[1])
    return folder / "recovery", journal.session, paths, (case.gt_mask, case.pred_mask)


def _parts(raw: bytes):
    """(name, first byte, end, edit index or None) of every part of an edits file."""
    parts = [("marker", 0, len(jr.records._FILE_MAGIC), None)]
    pos, k = len(jr.records._FILE_MAGIC), 0
    while pos < len(raw):
        head = jr.records._HEADER.unpack_from(raw, pos)
        end = pos + jr.records._HEADER.size + head[6]
        edit = None if head[1] == jr.records._OP_MANIFEST else k
        name = "manifest copy" if edit is None else f"record {k + 1}"
        parts.append((name + " header", pos, pos + jr.records._HEADER.size, edit))
        parts.append((name + " body", pos + jr.records._HEADER.size, end, edit))
        k += edit is not None
        pos = end
    return parts


def _positions(start, end, every):
    return sorted(set(range(start, end, every)) | {start, end - 1})


def _cases(session):
    raw = (session / jr.RECORDS).read_bytes()
    cases = []
    for name, start, end, edit in _parts(raw):
        every = 1 if "header" in name or name == "marker" else 7  # every header byte; bodies sampled
        cases += [(jr.RECORDS, pos, name, edit) for pos in _positions(start, end, every)]
    size = (session / jr.MANIFEST).stat().st_size
    cases += [(jr.MANIFEST, pos, "manifest.json", None) for pos in _positions(0, size, 5)]
    return cases


def _damaged_copy(base_session, folder, part, pos):
    session = folder / base_session.name
    shutil.copytree(base_session, session)
    raw = bytearray((session / part).read_bytes())
    raw[pos] ^= 1 << (pos % 8)
    (session / part).write_bytes(bytes(raw))
    return session, bytes(raw)


def test_one_flipped_byte_anywhere_costs_at_most_its_own_record(base, tmp_path):
    folder, base_session, paths, loaded = base
    cases = _cases(base_session)
    parts = {name for _f, _p, name, _e in cases}
    assert {"marker", "manifest copy header", "manifest copy body", "manifest.json"} <= parts
    assert {f"record {k + 1} body" for k in range(len(EDITS))} <= parts
    t0 = time.perf_counter()
    for n, (part, pos, name, edit) in enumerate(cases):
        recovery = tmp_path / f"r{n}"
        session, damaged = _damaged_copy(base_session, recovery, part, pos)
        found = find_journals(recovery)
        where = f"{part} byte {pos} ({name})"
        assert found.set_aside == [], where
        (pending,) = found.pending
        assert (session / part).read_bytes() == damaged, where  # nothing rewritten or deleted
        intact = [k for k in range(len(EDITS)) if k != edit]
        assert pending.steps == len(intact), where
        assert pending.unread, where  # the damage is said
        assert {r: f.path for r, f in pending.files.items() if f} == {r: str(p) for r, p in paths.items()}, where
        assert pending.shapes == {"gt": SHAPE, "pred": SHAPE}, where
        live = LiveScore(loaded[0].copy(), loaded[1].copy())
        assert replay(pending, live) == len(intact), where
        gt, pred = _expected(intact)
        np.testing.assert_array_equal(live.gt, gt, err_msg=where)
        np.testing.assert_array_equal(live.pred, pred, err_msg=where)
        moved = discard(pending)  # the user says Discard: still kept, in damaged/
        assert moved is not None and moved.parent == recovery / jr.DAMAGED, where
        assert (moved / part).read_bytes() == damaged and "not read in full" in (moved / jr.WHY).read_text(), where
    assert len(cases) > 250
    print(f"{len(cases)} single-byte damages checked in {time.perf_counter() - t0:.1f} s")


def test_a_lost_record_is_named_and_counted(base, tmp_path):
    folder, base_session, _paths, loaded = base
    raw = (base_session / jr.RECORDS).read_bytes()
    body = next(start for name, start, _end, _e in _parts(raw) if name == "record 3 body")
    session, _ = _damaged_copy(base_session, tmp_path / "r", jr.RECORDS, body + 1)
    (pending,) = find_pending(tmp_path / "r")
    assert pending.lost == 1 and "record 3 is damaged (checksum mismatch)" in pending.damaged
    text = pending.describe()
    assert "1 edit is lost" in text and f"the {len(EDITS) - 1} intact steps are restored" in text
    assert str(tmp_path / "r" / jr.DAMAGED) in text


def test_a_manifest_that_cannot_be_rebuilt_is_set_aside_and_reported(base, tmp_path):
    folder, base_session, _paths, _loaded = base
    recovery = tmp_path / "r"
    session, _ = _damaged_copy(base_session, recovery, jr.MANIFEST, 3)
    raw = (session / jr.RECORDS).read_bytes()
    copy = next(start for name, start, _end, _e in _parts(raw) if name == "manifest copy body")
    records = bytearray(raw)
    records[copy + 5] ^= 0x40
    (session / jr.RECORDS).write_bytes(bytes(records))
    old = time.time() - 2 * jr.pending._UNFINISHED_GRACE
    os.utime(session, (old, old))

    found = find_journals(recovery)
    assert found.pending == [] and len(found.set_aside) == 1
    aside = found.set_aside[0]
    assert not session.exists() and aside.path == recovery / jr.DAMAGED / session.name
    assert "manifest.json cannot be read" in aside.reason and f"its {len(EDITS)} intact edit records" in aside.reason
    assert (aside.path / jr.RECORDS).read_bytes() == bytes(records)  # kept as it was
    assert aside.reason in (aside.path / jr.WHY).read_text()
    assert find_journals(recovery).set_aside == []  # reported once; damaged/ is not a session


def test_an_empty_unreadable_session_is_removed_but_a_young_one_being_started_is_left(tmp_path):
    recovery = tmp_path / "r"
    starting = recovery / (jr.SESSION_PREFIX + "starting")
    starting.mkdir(parents=True)
    crashed = recovery / (jr.SESSION_PREFIX + "crashed")
    crashed.mkdir()
    (crashed / jr.LOCK).write_bytes(b"")
    (crashed / jr.RECORDS).write_bytes(jr.records._FILE_MAGIC)  # no manifest, no record: nothing to lose
    found = find_journals(recovery)
    assert found.pending == [] and found.set_aside == []
    assert starting.exists() and not crashed.exists()


def _full_disk_session(tmp_path, monkeypatch, manifest_fails):
    gt, pred = _originals()
    live = LiveScore(gt, pred)
    journal = RecoveryJournal(tmp_path / "recovery")
    journal.start({}, shapes={"gt": SHAPE, "pred": SHAPE}, dtypes={"gt": np.uint8, "pred": np.uint8})
    made = _deltas(live)

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    for delta, undo in made[:3]:
        journal.record(delta, undo=undo)
    monkeypatch.setattr(jr.writer, "_sync", full)
    if manifest_fails:
        monkeypatch.setattr(jr.storage, "_write_json_atomically", full)
    with pytest.raises(RecoveryError, match="No space left on device"):
        journal.record(*made[3])
    for delta, undo in made[4:]:
        assert journal.record(delta, undo=undo) == 0
    assert journal.not_recorded == len(EDITS) - 3
    monkeypatch.undo()
    journal.close()
    return journal


@pytest.mark.parametrize("manifest_fails", [False, True], ids=["manifest-written", "manifest-unwritable"])
def test_a_full_disk_offer_says_how_many_later_edits_are_missing(tmp_path, monkeypatch, manifest_fails):
    journal = _full_disk_session(tmp_path, monkeypatch, manifest_fails)
    (pending,) = find_pending(tmp_path / "recovery")
    missing = len(EDITS) - 3
    assert pending.steps == 3 and pending.not_recorded == missing
    text = pending.describe()
    assert "Recording stopped after step 3 (No space left on device)" in text
    assert f"the {missing} edits made after that point are not in the journal" in text
    live = LiveScore(*_originals())
    replay(pending, live)
    np.testing.assert_array_equal(live.gt, _expected(range(3))[0])
    np.testing.assert_array_equal(live.pred, _expected(range(3))[1])

    resumed = RecoveryJournal.resume(pending)  # restored: the journal is complete again
    resumed.close()
    (again,) = find_pending(tmp_path / "recovery")
    assert again.stopped is None and again.not_recorded is None and again.steps == 3
    assert journal.session == again.session


def test_journal_files_are_readable_by_their_owner_only(base, tmp_path):
    folder, base_session, _paths, _loaded = base
    old = os.umask(0o022)
    try:
        recovery = tmp_path / "recovery"
        journal = RecoveryJournal(recovery)
        journal.start({}, shapes={"gt": SHAPE}, dtypes={"gt": np.uint8})
        journal.record(_deltas(LiveScore(*_originals()))[0][0])
        journal.close()
        session = journal.session
        (pending,) = find_pending(recovery)
        pending.damaged = "pretend"  # as if part of it could not be read: set aside on discard
        moved = discard(pending)
    finally:
        os.umask(old)
    for path in [recovery, recovery / jr.DAMAGED, moved]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    files = list(moved.iterdir())
    assert {f.name for f in files} >= {jr.MANIFEST, jr.RECORDS, jr.STATUS, jr.LOCK, jr.WHY}
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert not session.exists()
    assert json.loads((moved / jr.MANIFEST).read_text())["checksum"]
