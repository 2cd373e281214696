"""A damaged journal in the window: intact edits offered and restored, nothing deleted, a full disk counted (issue 13.3)."""
from __future__ import annotations

import errno
import os
import time

import numpy as np

from dicegui.core import journal as jr

ROWS = (4, 14, 24, 32)  # one stroke per row, far enough apart not to overlap (radius 1)


def _strokes(w, rel, rows=ROWS):
    """Paint one stroke per row on the prediction through real mouse events; the masks after each."""
    w.editor.panel.set_target("pred")
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(1)
    w.set_slice(5)
    snapshots = [w.session.case.pred_mask.copy()]
    for row in rows:
        rel.drag(w, [(row, 4), (row, 26)])
        snapshots.append(w.session.case.pred_mask.copy())
    return snapshots


def _crash(w):
    w.recovery.journal.close()
    w.recovery.journal = None
    w.recovery.shutdown = lambda: None
    w.editor.history.mark_discarded()


def _record_starts(raw):
    pos, found = len(jr.records._FILE_MAGIC), []
    while pos < len(raw):
        head = jr.records._HEADER.unpack_from(raw, pos)
        found.append((pos, head[1]))
        pos += jr.records._HEADER.size + head[6]
    return found


def _flip(path, pos):
    raw = bytearray(path.read_bytes())
    raw[pos] ^= 0x08
    path.write_bytes(bytes(raw))


def test_damaged_marker_record_and_manifest_still_restore_every_intact_edit(qtbot, rel, rel_case, monkeypatch):
    a = rel.make_window(qtbot)
    assert a.open_paths(rel_case, remember=False)
    snapshots = _strokes(a, rel)
    session = a.recovery.journal.session
    _crash(a)
    records = session / jr.RECORDS
    edits = [pos for pos, op in _record_starts(records.read_bytes()) if op != jr.records._OP_MANIFEST]
    assert len(edits) == len(ROWS)
    _flip(records, 2)  # the file marker
    _flip(records, edits[1] + jr.records._HEADER.size + 3)  # the 2nd stroke's body
    _flip(session / jr.MANIFEST, 40)  # and the manifest
    damaged_bytes = records.read_bytes()

    # expected: every stroke but the 2nd, from the snapshots (each stroke's voxels are where it changed the mask)
    expected = snapshots[0].copy()
    for k in (1, 3, 4):
        changed = snapshots[k] != snapshots[k - 1]
        expected[changed] = snapshots[k][changed]
    assert not np.array_equal(expected, snapshots[-1])

    b = rel.make_window(qtbot)
    asked = []

    def ask(parent, pending):
        asked.append(pending.describe())
        return "restore"
    import dicegui.gui.recovery as recovery
    monkeypatch.setattr(recovery, "ask_recovery", ask)
    shown = []
    bar = b.statusBar()
    original = bar.showMessage
    monkeypatch.setattr(bar, "showMessage", lambda text, *args: (shown.append(text), original(text, *args)))
    assert b.recovery.offer_pending() == "restore"
    (text,) = asked
    assert "3 steps" in text and "record 2 is damaged" in text and "1 edit is lost" in text
    assert "marker is damaged" in text and "rebuilt from its copy in the edits file" in text
    np.testing.assert_array_equal(b.session.case.pred_mask, expected)
    rel.assert_panel_matches(b)
    assert b.editor.history.is_modified("pred")
    (kept,) = (b.recovery.folder / jr.DAMAGED).iterdir()  # the journal as it was, before it is written again
    assert (kept / jr.RECORDS).read_bytes() == damaged_bytes
    assert any("copy is kept in" in t and jr.DAMAGED in t for t in shown)
    # the rewritten journal is whole again: a second crash offers the same 3 steps, undamaged
    b.recovery.journal.close()
    (again,) = jr.find_pending(b.recovery.folder)
    assert again.steps == 3 and again.unread is None
    b.recovery.journal = None
    b.recovery.shutdown = lambda: None
    b.editor.history.mark_discarded()


def test_an_unreadable_journal_is_moved_aside_and_the_user_told(qtbot, rel, rel_case, message_boxes):
    a = rel.make_window(qtbot)
    assert a.open_paths(rel_case, remember=False)
    _strokes(a, rel, rows=ROWS[:2])
    session = a.recovery.journal.session
    _crash(a)
    (session / jr.MANIFEST).write_text("{ not json")
    records = session / jr.RECORDS
    manifest_copy = _record_starts(records.read_bytes())[0][0]
    _flip(records, manifest_copy + jr.records._HEADER.size + 1)
    before = records.read_bytes()
    old = time.time() - 2 * jr.pending._UNFINISHED_GRACE
    os.utime(session, (old, old))

    b = rel.make_window(qtbot)
    message_boxes.clear()
    assert b.recovery.offer_pending(ask=lambda *a: "restore") is None  # nothing could be offered
    (kind, title, text), = message_boxes
    assert kind == "warning" and "could not be read" in title
    assert "Nothing was deleted" in text and str(b.recovery.folder / jr.DAMAGED) in text
    assert session.name in text and "2 intact edit records" in text
    assert not session.exists()
    assert (b.recovery.folder / jr.DAMAGED / session.name / jr.RECORDS).read_bytes() == before


def test_a_full_disk_offer_counts_the_strokes_it_misses(qtbot, rel, rel_case, monkeypatch):
    a = rel.make_window(qtbot)
    assert a.open_paths(rel_case, remember=False)
    _strokes(a, rel, rows=ROWS[:1])

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(jr.writer, "_sync", full)
    _strokes(a, rel, rows=ROWS[1:])  # three strokes, none journalled
    assert a.editor.history.count == 4
    monkeypatch.undo()
    _crash(a)

    b = rel.make_window(qtbot)
    asked = []
    assert b.recovery.offer_pending(ask=lambda w, p: asked.append(p) or "later") == "later"
    (pending,) = asked
    assert pending.steps == 1 and pending.not_recorded == 3
    assert "Recording stopped after step 1" in pending.describe()
    assert "the 3 edits made after that point are not in the journal" in pending.describe()
