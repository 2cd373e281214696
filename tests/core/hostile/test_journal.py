"""Crash recovery: a killed session's edits come back exactly, and a damaged journal is safe.

The central test runs a real editing session in a child process that
journals every step and then kills itself with SIGKILL; the journal is then
found, replayed onto freshly loaded files, and compared bit for bit with the
state computed independently in this process from the same seeded session.
"""
import errno
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dicegui.core import journal as jr
from dicegui.core import metrics
from dicegui.core.edits import Brush, EditDelta, Stroke
from dicegui.core.io import load_case, save_mask
from dicegui.core.journal import RecoveryError, RecoveryJournal, discard, find_pending, replay
from dicegui.core.live import LiveScore

N_ACTIONS = 80
SEED = 1
SCALE = max(1, int(os.environ.get("DICEGUI_FUZZ_SCALE", "1")))

CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {helpers!r})
    import edit_sessions
    from dicegui.core import journal as jr
    from dicegui.core.io import load_case
    from dicegui.core.live import LiveScore

    paths = {paths!r}
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    live = LiveScore(case.gt_mask, case.pred_mask)
    journal = jr.RecoveryJournal({folder!r})
    journal.start(paths, shapes={{"gt": live.gt.shape, "pred": live.pred.shape}},
                  dtypes={{"gt": live.gt.dtype, "pred": live.pred.dtype}})
    edit_sessions.random_session(live, {seed}, {n}, record=journal.record)
    if {cut_last}:
        # One more stroke whose record is only half written when the process dies.
        rng_seed = {seed} + 1
        import numpy as np
        delta = edit_sessions.random_stroke(live, np.random.default_rng(rng_seed))
        raw = jr.records._record_bytes(journal.steps, delta, False)
        journal._fh.write(raw[: len(raw) // 2])
        journal._fh.flush()
    sys.stdout.write("edits done\\n")
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def _expected(paths, sessions, n=N_ACTIONS, seed=SEED):
    """The state after the session, computed here with no journal at all."""
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    live = LiveScore(case.gt_mask, case.pred_mask)
    steps = sessions.random_session(live, seed, n)
    return live.gt.copy(), live.pred.copy(), steps


def _crash_child(tmp_path, helpers_dir, paths, cut_last=False):
    folder = tmp_path / "recovery"
    code = CHILD.format(helpers=str(helpers_dir), paths={k: str(v) for k, v in paths.items()},
                        folder=str(folder), seed=SEED, n=N_ACTIONS, cut_last=cut_last)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout == "edits done\n"
    return folder


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("cut_last", [False, True], ids=["killed-after-a-stroke", "killed-mid-write"])
def test_killed_session_is_restored_bit_for_bit(tmp_path, helpers_dir, sessions, cut_last):
    paths = sessions.make_case_files(tmp_path)
    folder = _crash_child(tmp_path, helpers_dir, paths, cut_last)
    gt_expected, pred_expected, steps = _expected(paths, sessions)
    assert steps > 20  # the session really edited

    (pending,) = find_pending(folder)
    assert pending.steps == steps
    assert pending.steps_per_mask["gt"] + pending.steps_per_mask["pred"] == steps
    assert {r: (f and f.path) for r, f in pending.files.items()} == {
        "image": None, "gt": str(paths["gt"]), "pred": str(paths["pred"])}
    assert not pending.changed and pending.damaged is None
    text = pending.describe()
    assert f"{steps} steps" in text and "case_gt.nii.gz" in text and "case_pred.nii.gz" in text
    if cut_last:
        assert pending.dropped_bytes > 0 and "cannot be restored" in text
    else:
        assert pending.dropped_bytes == 0 and "cannot be restored" not in text

    fresh = load_case(gt=pending.files["gt"].path, pred=pending.files["pred"].path)
    live = LiveScore(fresh.gt_mask, fresh.pred_mask)
    assert not np.array_equal(live.gt, gt_expected) or not np.array_equal(live.pred, pred_expected)
    assert replay(pending, live) == steps
    np.testing.assert_array_equal(live.gt, gt_expected)
    np.testing.assert_array_equal(live.pred, pred_expected)
    assert live.overlap() == metrics.overlap(gt_expected, pred_expected)
    assert live.per_label() == metrics.per_label(gt_expected, pred_expected)

    # Carry on in the restored journal; a second crash keeps both parts.
    resumed = RecoveryJournal.resume(pending)
    assert find_pending(folder) == []  # in use now
    extra = sessions.random_session(live, SEED + 7, 10, record=resumed.record)
    resumed.close()
    (again,) = find_pending(folder)
    assert again.steps == steps + extra and again.dropped_bytes == 0
    second = load_case(gt=paths["gt"], pred=paths["pred"])
    live2 = LiveScore(second.gt_mask, second.pred_mask)
    replay(again, live2)
    np.testing.assert_array_equal(live2.gt, live.gt)
    np.testing.assert_array_equal(live2.pred, live.pred)


# ---------------------------------------------------------------- in-process sessions


def _session(tmp_path, sessions, n=30, seed=3, start_paths=None):
    paths = sessions.make_case_files(tmp_path)
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    live = LiveScore(case.gt_mask, case.pred_mask)
    journal = RecoveryJournal(tmp_path / "recovery")
    journal.start(start_paths or paths, shapes={"gt": live.gt.shape, "pred": live.pred.shape},
                  dtypes={"gt": live.gt.dtype, "pred": live.pred.dtype})
    snapshots = [(live.gt.copy(), live.pred.copy())]

    def record(delta, undo):
        journal.record(delta, undo)
        snapshots.append((live.gt.copy(), live.pred.copy()))

    sessions.random_session(live, seed, n, record=record)
    return paths, live, journal, snapshots


def _fresh_live(paths):
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    return LiveScore(case.gt_mask, case.pred_mask)


def test_open_session_is_not_offered_and_clear_removes_it(tmp_path, sessions):
    paths, live, journal, _ = _session(tmp_path, sessions)
    assert journal.active and journal.steps > 0
    assert find_pending(tmp_path / "recovery") == []  # still locked by this session
    journal.close()
    assert len(find_pending(tmp_path / "recovery")) == 1
    journal.clear()
    assert find_pending(tmp_path / "recovery") == []
    assert list((tmp_path / "recovery").iterdir()) == []


def _record_offsets(raw):
    """(offset, op) of every record after the marker, walked by their length fields."""
    found, pos = [], len(jr.records._FILE_MAGIC)
    while pos < len(raw):
        head = jr.records._HEADER.unpack_from(raw, pos)
        found.append((pos, head[1]))
        pos += jr.records._HEADER.size + head[6]
    return found


def _without(snapshots, lost):
    """The masks after every step but those in ``lost`` (1-based), from the snapshots alone.

    Each step's voxels are where its snapshot differs from the one before;
    a journal record writes their new values, so skipping a record leaves
    exactly its voxels at their earlier values unless a later step wrote them.
    """
    gt, pred = (a.copy() for a in snapshots[0])
    for k in range(1, len(snapshots)):
        if k in lost:
            continue
        for now, before, out in zip(snapshots[k], snapshots[k - 1], (gt, pred)):
            changed = now != before
            out[changed] = now[changed]
    return gt, pred


def test_a_corrupted_record_is_skipped_and_every_later_one_restored(tmp_path, sessions):
    paths, live, journal, snapshots = _session(tmp_path, sessions, n=30)
    journal.close()
    records = journal.session / jr.RECORDS
    raw = bytearray(records.read_bytes())
    edits = [pos for pos, op in _record_offsets(raw) if op != jr.records._OP_MANIFEST]
    assert len(edits) == len(snapshots) - 1
    raw[edits[4] + jr.records._HEADER.size + 2] ^= 0x10  # one bit of the 5th record's compressed payload
    records.write_bytes(bytes(raw))

    (pending,) = find_pending(tmp_path / "recovery")
    assert pending.steps == len(edits) - 1 and pending.lost == 1
    assert "record 5 is damaged (checksum mismatch)" in pending.damaged
    assert "1 edit is lost" in pending.describe() and f"the {len(edits) - 1} intact steps" in pending.describe()
    fresh = _fresh_live(paths)
    assert replay(pending, fresh) == len(edits) - 1
    expected = _without(snapshots, {5})
    np.testing.assert_array_equal(fresh.gt, expected[0])
    np.testing.assert_array_equal(fresh.pred, expected[1])
    assert fresh.overlap() == metrics.overlap(*expected)
    assert not np.array_equal(expected[1], snapshots[-1][1]) or not np.array_equal(expected[0], snapshots[-1][0])
    moved = discard(pending)  # not read in full: set aside, not deleted
    assert moved.parent.name == jr.DAMAGED and (moved / jr.RECORDS).read_bytes() == bytes(raw)


def test_damaged_last_record_counts_as_cut_off(tmp_path, sessions):
    paths, live, journal, snapshots = _session(tmp_path, sessions, n=20)
    journal.close()
    records = journal.session / jr.RECORDS
    raw = bytearray(records.read_bytes())
    raw[-1] ^= 0xFF  # a power cut: the file has its length, the last block is wrong
    records.write_bytes(bytes(raw))
    (pending,) = find_pending(tmp_path / "recovery")
    assert pending.damaged is None and pending.dropped_bytes > 0
    assert pending.steps == len(snapshots) - 2
    fresh = _fresh_live(paths)
    replay(pending, fresh)
    np.testing.assert_array_equal(fresh.pred, snapshots[-2][1])
    np.testing.assert_array_equal(fresh.gt, snapshots[-2][0])


def test_a_full_disk_stops_the_journal_at_a_clean_step(tmp_path, sessions, monkeypatch):
    paths, live, journal, snapshots = _session(tmp_path, sessions, n=25)
    safe = journal.steps
    size = journal.nbytes

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(jr.writer, "_sync", full)
    strokes = []
    for k in range(2):
        stroke = Stroke(live, "pred", 2, 4 + k, Brush(radius=4))
        stroke.add((5, 5))
        stroke.add((15, 12))
        strokes.append(stroke.finish())
    with pytest.raises(RecoveryError, match="No space left on device.*last %d edits are safe" % safe):
        journal.record(strokes[0])
    assert journal.failed and journal.nbytes == size  # the half-written record was cut off
    assert journal.record(strokes[1]) == 0  # nothing more is written: it would miss a step
    monkeypatch.undo()
    journal.close()
    (pending,) = find_pending(tmp_path / "recovery")
    assert pending.steps == safe and pending.stopped
    assert f"Recording stopped after step {safe}" in pending.describe()
    fresh = _fresh_live(paths)
    replay(pending, fresh)
    np.testing.assert_array_equal(fresh.gt, snapshots[-1][0])
    np.testing.assert_array_equal(fresh.pred, snapshots[-1][1])


def test_a_changed_case_file_is_noticed(tmp_path, sessions):
    paths, live, journal, _ = _session(tmp_path, sessions)
    journal.close()
    import nibabel as nib

    img = nib.load(paths["gt"])
    nib.Nifti1Image(np.zeros(img.shape, np.uint8), img.affine).to_filename(paths["gt"])
    (pending,) = find_pending(tmp_path / "recovery")
    assert set(pending.changed) == {"gt"} and "case_gt.nii.gz" in pending.changed["gt"]
    assert "Warning" in pending.describe()
    fresh = _fresh_live(paths)
    before = (fresh.gt.copy(), fresh.pred.copy())
    with pytest.raises(RecoveryError, match="case_gt.nii.gz"):
        replay(pending, fresh)
    np.testing.assert_array_equal(fresh.gt, before[0])  # nothing applied
    assert replay(pending, fresh, allow_changed=True) == pending.steps


def test_wrong_arrays_are_refused_before_anything_is_applied(tmp_path, sessions):
    paths, live, journal, _ = _session(tmp_path, sessions)
    journal.close()
    (pending,) = find_pending(tmp_path / "recovery")
    small = LiveScore(np.zeros((4, 4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(RecoveryError, match="journal was written for"):
        replay(pending, small)
    other = LiveScore(live.gt.astype(np.uint16), live.pred.astype(np.uint16))
    with pytest.raises(RecoveryError, match="uint16"):
        replay(pending, other)


def test_saving_one_mask_keeps_the_other_masks_edits(tmp_path, sessions):
    paths, live, journal, _ = _session(tmp_path, sessions, n=40)
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    case.gt_mask[...] = live.gt
    saved = save_mask(case, "gt")
    before = journal.steps
    journal.mark_saved("gt", saved)
    assert 0 < journal.steps < before  # the gt records are gone, the pred ones kept
    # More edits on both masks after the save, then a crash.
    sessions.random_session(live, 99, 10, record=journal.record)
    journal.close()
    (pending,) = find_pending(tmp_path / "recovery")
    assert pending.files["gt"].path == str(saved)
    fresh_case = load_case(gt=pending.files["gt"].path, pred=pending.files["pred"].path)
    fresh = LiveScore(fresh_case.gt_mask, fresh_case.pred_mask)
    replay(pending, fresh)
    np.testing.assert_array_equal(fresh.gt, live.gt)
    np.testing.assert_array_equal(fresh.pred, live.pred)


def test_a_mask_drawn_from_scratch_is_restored_onto_zeros(tmp_path, sessions):
    paths = sessions.make_case_files(tmp_path)
    case = load_case(pred=paths["pred"])
    gt = np.zeros_like(case.pred_mask)
    live = LiveScore(gt, case.pred_mask)
    journal = RecoveryJournal(tmp_path / "recovery")
    journal.start({"gt": None, "pred": paths["pred"]}, shapes={"gt": gt.shape, "pred": gt.shape},
                  dtypes={"gt": gt.dtype, "pred": gt.dtype}, options={"sigmoid": False})
    for k in range(5):
        stroke = Stroke(live, "gt", 2, 3 + k, Brush(radius=3))
        stroke.add((10, 8))
        stroke.add((14, 12))
        journal.record(stroke.finish())
    journal.close()
    (pending,) = find_pending(tmp_path / "recovery")
    assert pending.files["gt"] is None and pending.options == {"sigmoid": False}
    assert "drawn from scratch" in pending.describe()
    fresh = LiveScore(np.zeros(pending.shapes["gt"], pending.dtypes["gt"]),
                      load_case(pred=pending.files["pred"].path).pred_mask)
    assert replay(pending, fresh) == 5
    np.testing.assert_array_equal(fresh.gt, live.gt)


def test_journal_stays_small(tmp_path, sessions):
    paths = sessions.make_case_files(tmp_path, shape=(60, 64, 64))
    case = load_case(gt=paths["gt"], pred=paths["pred"])
    live = LiveScore(case.gt_mask, case.pred_mask)
    journal = RecoveryJournal(tmp_path / "recovery")
    journal.start(paths, shapes={"gt": live.gt.shape, "pred": live.pred.shape},
                  dtypes={"gt": live.gt.dtype, "pred": live.pred.dtype})
    voxels = in_memory = 0
    for k in range(40):
        stroke = Stroke(live, "pred", 0, 30, Brush(radius=10, erase=k % 2 == 1))
        for t in np.linspace(0, 1, 12):
            stroke.add((20 + 24 * t, 32 + 10 * np.sin(6 * t)))
        delta = stroke.finish()
        voxels += delta.voxels
        in_memory += delta.nbytes
        journal.record(delta)
    per_stroke = (journal.nbytes - len(jr.records._FILE_MAGIC)) / 40
    # About 1,000 voxels per stroke; on disk a tenth of the undo delta's
    # memory at most (measured: ~300 bytes, under half a byte per voxel).
    assert voxels / 40 > 500
    assert per_stroke < 0.1 * in_memory / 40, (per_stroke, in_memory / 40)
    assert per_stroke < 0.5 * voxels / 40
    journal.clear()


def test_record_needs_a_started_journal_and_known_masks(tmp_path):
    journal = RecoveryJournal(tmp_path / "recovery")
    delta = EditDelta.from_changes("gt", (np.array([1]), np.array([2]), np.array([3])), np.array([0], np.uint8),
                                   np.array([1], np.uint8))
    with pytest.raises(RuntimeError, match="not started"):
        journal.record(delta)
    journal.start({"pred": None}, shapes={"pred": (4, 4, 4)}, dtypes={"pred": np.uint8})
    with pytest.raises(ValueError, match="without a gt mask"):
        journal.record(delta)
    with pytest.raises(ValueError, match="cannot be journalled"):
        journal.start({}, shapes={"gt": (2, 2, 2)}, dtypes={"gt": np.complex64})
    journal.clear()


# ---------------------------------------------------------------- the record format


@st.composite
def deltas(draw):
    shape = draw(hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=40))
    dtype = draw(st.sampled_from([np.uint8, np.uint16, np.int16, np.int32, np.float32, np.bool_]))
    n = draw(st.integers(1, min(200, int(np.prod(shape)))))
    flat = draw(st.lists(st.integers(0, int(np.prod(shape)) - 1), min_size=n, max_size=n, unique=True))
    index = np.unravel_index(np.array(flat), shape)
    old = draw(hnp.arrays(dtype, n))
    new = draw(hnp.arrays(dtype, n))
    meta = draw(st.fixed_dictionaries({
        "label": st.one_of(st.none(), st.integers(1, 300)), "tool": st.sampled_from(["paint", "erase", "fill"]),
        "axis": st.one_of(st.none(), st.integers(0, 2)), "slice_index": st.one_of(st.none(), st.integers(0, 39)),
        "scope": st.sampled_from(["slice", "sphere", "volume"])}))
    return shape, np.dtype(dtype), EditDelta.from_changes(draw(st.sampled_from(["gt", "pred"])), index, old, new,
                                                          **meta)


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=deltas())
def test_records_round_trip_exactly(case, count_example):
    count_example()
    shape, dtype, delta = case
    if delta is None:  # old == new everywhere
        return
    back = jr.decode_delta(jr.encode_delta(delta), delta.which, shape, dtype)
    for name in ("which", "start", "extent", "label", "tool", "axis", "slice_index", "scope"):
        assert getattr(back, name) == getattr(delta, name)
    np.testing.assert_array_equal(back.positions, delta.positions)
    np.testing.assert_array_equal(back.old, delta.old)
    np.testing.assert_array_equal(back.new, delta.new)
    assert back.old.dtype == dtype and back.positions.dtype == delta.positions.dtype


@settings(max_examples=300 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_journals_never_crash_find_pending_or_replay(data, tmp_path_factory, count_example):
    """Random damage to a real journal: a PendingRecovery or nothing, RecoveryError at worst."""
    count_example()
    base = _base_journal(tmp_path_factory)
    folder = tmp_path_factory.mktemp("hostile-journal")
    session = folder / (jr.SESSION_PREFIX + "x")
    session.mkdir()
    manifest = json.loads((base / jr.MANIFEST).read_text())
    records = bytearray((base / jr.RECORDS).read_bytes())
    target = data.draw(st.sampled_from(["records", "manifest", "both"]))
    if target in ("records", "both"):
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(records) - 1))
            op = data.draw(st.sampled_from(["flip", "cut", "big-length", "insert"]))
            if op == "flip":
                records[pos] ^= 1 << data.draw(st.integers(0, 7))
            elif op == "cut":
                del records[pos:]
            elif op == "insert":
                records[pos:pos] = data.draw(st.binary(min_size=1, max_size=30))
            else:
                records[pos:pos + 4] = struct.pack("<I", 0xFFFFFFF0)
            if not records:
                break
    if target in ("manifest", "both"):
        key = data.draw(st.sampled_from(["arrays", "files", "format", "version", "options", "created"]))
        manifest[key] = data.draw(st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                            st.just({"gt": {"shape": [-1, 2**40], "dtype": "<u1"}}),
                                            st.just({"gt": {"shape": [2, 2, 2], "dtype": "O"}})))
    (session / jr.RECORDS).write_bytes(bytes(records))
    (session / jr.MANIFEST).write_text(json.dumps(manifest))
    found = find_pending(folder)
    for pending in found:
        pending.describe()
        shapes = pending.shapes
        if set(shapes) != {"gt", "pred"} or any(len(s) != 3 or min(s) < 1 or np.prod(s) > 10**6
                                                 for s in shapes.values()):
            continue
        live = LiveScore(np.zeros(shapes["gt"], pending.dtypes["gt"]),
                         np.zeros(shapes["pred"], pending.dtypes["pred"]))
        try:
            replay(pending, live, allow_changed=True)
        except RecoveryError:
            pass
        got, ref = live.overlap(), metrics.overlap(live.gt, live.pred)
        assert [got[k] for k in ("tp", "fp", "fn", "tn")] == [ref[k] for k in ("tp", "fp", "fn", "tn")]
    discard_all = [discard(p) for p in found]
    assert len(discard_all) == len(found)


_BASE = {}


def _base_journal(tmp_path_factory):
    if "dir" not in _BASE:
        folder = tmp_path_factory.mktemp("base-journal")
        gt = np.zeros((12, 10, 8), np.uint8)
        pred = np.zeros_like(gt)
        live = LiveScore(gt, pred)
        journal = RecoveryJournal(folder)
        journal.start({}, shapes={"gt": gt.shape, "pred": pred.shape}, dtypes={"gt": gt.dtype, "pred": pred.dtype})
        rng = np.random.default_rng(1)
        for k in range(8):
            stroke = Stroke(live, ("gt", "pred")[k % 2], k % 3, int(rng.integers(6)), Brush(radius=2, label=1 + k % 2))
            stroke.add(tuple(rng.uniform(0, 7, 2)))
            stroke.add(tuple(rng.uniform(0, 7, 2)))
            d = stroke.finish()
            if d is not None:
                journal.record(d, undo=bool(k % 3 == 2))
        journal.close()
        _BASE["dir"] = journal.session
    return _BASE["dir"]
