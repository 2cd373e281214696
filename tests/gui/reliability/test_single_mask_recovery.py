"""Crash recovery of a case with one mask: a lone prediction, and a new segmentation that has no file yet."""
from __future__ import annotations

import numpy as np
import pytest

import dicegui.gui.recovery as recovery
from dicegui.core.journal import find_pending


def _crash(window):
    """What a crash leaves: the journal's files closed by the OS, no closeEvent, nothing cleared."""
    window.recovery.journal.close()
    window.recovery.journal = None
    window.recovery.shutdown = lambda: None
    window.editor.history.mark_discarded()


def _paint(w, rel):
    ed = w.editor
    ed.panel.radius.setValue(2)
    w.set_slice(5)
    ed.set_tool("brush")
    rel.drag(w, [(4, 3), (4, 25), (10, 30)])
    ed.set_tool("eraser")
    rel.drag(w, [(4, 10), (4, 14)])
    ed.undo()
    ed.redo()


@pytest.mark.parametrize("how", ["lone prediction", "new segmentation"])
def test_one_mask_edits_are_journalled_and_restored(qtbot, rel, rel_case, monkeypatch, how):
    a = rel.make_window(qtbot)
    if how == "lone prediction":
        assert a.open_paths({"image": rel_case["image"], "pred": rel_case["pred"]}, remember=False)
    else:
        assert a.open_paths({"image": rel_case["image"]}, remember=False)
        assert a.recovery.journal is None  # nothing to edit yet
        assert a.editor.new_segmentation.create("pred")
    opened = a.session.case.pred_mask.copy()
    assert a.recovery.journal is not None
    _paint(a, rel)
    edited = a.session.case.pred_mask.copy()
    assert not np.array_equal(opened, edited)
    steps = a.recovery.journal.steps
    assert steps == 4  # two strokes, undo, redo
    _crash(a)

    b = rel.make_window(qtbot)
    monkeypatch.setattr(recovery, "ask_recovery", lambda parent, pending: "restore")
    assert b.recovery.offer_pending() == "restore"
    assert b.session.gt is None
    np.testing.assert_array_equal(b.session.case.pred_mask, edited)
    # the label volumes shown are the restored mask's (independent count × voxel size)
    n = int(np.count_nonzero(edited == 1))
    rows = {int(r[0]): r[2] for r in b.scores.label_volume_rows() if r[0].isdigit()}
    assert rows.get(1) == f"{n:,}"
    h = b.editor.history
    assert h.count == 1 and h.is_modified("pred") and b.recovery.journal.steps == steps
    h.undo()
    np.testing.assert_array_equal(b.session.case.pred_mask, opened)
    assert b.recovery.journal is None and find_pending(b.recovery.folder) == []
