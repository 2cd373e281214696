"""The undo history's memory bound: oldest steps dropped and said so, saved state kept exact."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core.edits import record_edit
from dicegui.core.live import LiveScore


@pytest.fixture
def history(qtbot):
    from dicegui.gui.editor.undo import EditHistory

    h = EditHistory(memory_limit=4000)
    gt = np.zeros((20, 20, 20), np.uint8)
    pred = np.zeros((20, 20, 20), np.uint8)
    gt[5:15, 5:15, 5:15] = 1
    h.reset(LiveScore(gt, pred))
    return h


def _stroke(h, k, which="pred", value=1):
    """Set one 10x10 square on slice ``k`` (100 voxels: 200 bytes of delta with uint8 positions)."""
    ii, jj = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    index = (ii.ravel() + (k % 10), jj.ravel() + 5, np.full(100, k % 20))
    delta = record_edit(h.live, which, index, value, label=1, tool="paint", axis=2, slice_index=k % 20)
    return h.push(delta, f"step {k}")


def test_history_never_holds_more_than_its_bound(history):
    h = history
    dropped = []
    h.dropped.connect(dropped.append)
    states = []
    for k in range(60):
        states.append(h.live.pred.copy())
        _stroke(h, k, value=1 + k % 3)
        assert h.nbytes <= h.memory_limit
    assert dropped and sum(dropped) == h.dropped_steps == 60 - h.count
    # everything still held undoes exactly; the dropped steps cannot be undone
    kept = h.count
    for _ in range(kept):
        h.undo()
    assert not h.stack.canUndo()
    np.testing.assert_array_equal(h.live.pred, states[60 - kept])
    # the live counts are those of the restored arrays
    gt, pred = h.live.gt > 0, h.live.pred > 0
    assert h.live.overlap()["tp"] == np.count_nonzero(gt & pred)
    assert h.live.overlap()["fp"] == np.count_nonzero(~gt & pred)
    for _ in range(kept):
        h.redo()
    assert h.live.pred[..., 59 % 20].any()


def test_saved_state_survives_dropping(history):
    h = history
    for k in range(10):
        _stroke(h, k)
    h.mark_saved("pred")
    h.mark_saved("gt")
    assert not h.is_modified()
    # more steps on the reference only: the saved steps of the prediction get dropped
    for k in range(10, 50):
        _stroke(h, k, which="gt", value=2 + k % 2)
    assert h.dropped_steps > 10
    assert not h.is_modified("pred")  # no kept or dropped step touched it since the save
    assert h.is_modified("gt")
    while h.stack.canUndo():
        h.undo()
    # the save point was dropped: the reference can never get back to it by undo
    assert h.is_modified("gt") and not h.is_modified("pred")


def test_saved_state_among_kept_steps_stays_exact(history):
    h = history
    for k in range(25):
        _stroke(h, k, value=1 + k % 3)
    assert h.dropped_steps  # the bound is in force
    h.mark_saved("pred")
    before = h.dropped_steps
    assert _stroke(h, 25, value=1 + 25 % 3) is not None  # drops more old steps, not the saved state
    assert h.dropped_steps > before and h.is_modified("pred")
    h.undo()
    assert not h.is_modified("pred")
    h.redo()
    assert h.is_modified("pred")


def test_the_bound_comes_from_the_settings_and_the_window_says_so(qtbot, rel, rel_case):
    from dicegui.gui import settings

    settings.set_undo_memory_limit(0.004)  # about 4 kB: a few strokes
    w = rel.make_window(qtbot)
    assert w.editor.history.memory_limit == int(0.004 * 1024 * 1024)
    assert w.open_paths(rel_case, remember=False)
    shown = []
    bar = w.statusBar()
    original = bar.showMessage
    bar.showMessage = lambda text, *a: (shown.append(text), original(text, *a))
    w.editor.panel.radius.setValue(3)
    w.set_slice(5)
    for i in range(12):  # paint a band, erase it, paint it again...: every stroke changes ~250 voxels
        w.editor.set_tool("brush" if i % 2 == 0 else "eraser")
        rel.drag(w, [(30, 2), (30, 36)])
    h = w.editor.history
    assert h.dropped_steps > 0 and h.nbytes <= h.memory_limit
    assert any("Undo history limit reached" in t and "oldest" in t and "dropped" in t for t in shown)
    rel.assert_panel_matches(w)
    assert w.isWindowModified()
    while h.stack.canUndo():
        w.editor.undo()
    assert w.isWindowModified()  # the dropped steps are still unsaved edits
    rel.assert_panel_matches(w)


def test_default_bound_and_bad_values(private_settings):
    from dicegui.gui import settings

    assert settings.undo_memory_limit() == 200 * 1024 * 1024
    for bad in ("lots", -5, 0):
        settings.settings().setValue(settings.UNDO_LIMIT_KEY, bad)
        assert settings.undo_memory_limit() == 200 * 1024 * 1024
