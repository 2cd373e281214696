"""Undo/redo through keys: bit-identical arrays, scores equal to overlap(), history, unsaved state."""
from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dicegui.core.display import plane_image
from dicegui.core.metrics import overlap
from dicegui.gui.scores_panel import OVERLAP_ROWS, format_value

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _snapshot(window):
    case = window.session.case
    return case.gt_mask.copy(), case.pred_mask.copy()


def _assert_state(window, state, where=""):
    case = window.session.case
    np.testing.assert_array_equal(case.gt_mask, state[0], err_msg=f"gt {where}")
    np.testing.assert_array_equal(case.pred_mask, state[1], err_msg=f"pred {where}")


def _assert_panel_equals_overlap(window, where=""):
    s = window.session
    vol = overlap(s.case.gt_mask, s.case.pred_mask)
    for key, _ in OVERLAP_ROWS:
        if key in vol:
            assert window.scores.text(key, "volume") == format_value(key, vol[key]), f"{key} {where}"
    g = plane_image(s.gt, window.plane, window.index)
    p = plane_image(s.pred, window.plane, window.index)
    sl = overlap(g, p)
    for key in ("dice", "tp", "fp", "fn"):
        assert window.scores.text(key, "slice") == format_value(key, sl[key]), f"slice {key} {where}"


def test_undo_redo_keys_restore_arrays_scores_and_unsaved_state(edit_window, ui, qtbot):
    w = edit_window
    w.editor.set_tool("brush")
    w.set_slice(6)
    start = _snapshot(w)
    assert not w.isWindowModified() and not w.editor.act_save.isEnabled()
    ui.drag([(5, 5), (5, 25)])
    painted = _snapshot(w)
    assert not np.array_equal(painted[1], start[1])
    assert w.isWindowModified() and w.windowTitle().endswith("[*]")
    assert w.editor.act_save.isEnabled() and w.editor.act_save_role["pred"].isEnabled()
    assert not w.editor.act_save_role["gt"].isEnabled()
    text = w.editor.history.texts()[0]
    assert text.startswith("Paint pred, label 1, axial slice 6, ") and text.endswith(" voxels")
    n = int(np.count_nonzero(painted[1] != start[1]))
    assert text == f"Paint pred, label 1, axial slice 6, {n} voxels"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    _assert_state(w, start, "after undo")
    _assert_panel_equals_overlap(w, "after undo")
    assert not w.isWindowModified() and not w.editor.act_save.isEnabled()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL_SHIFT)
    _assert_state(w, painted, "after Ctrl+Shift+Z")
    assert w.isWindowModified()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(w.view, Qt.Key.Key_Y, CTRL)
    _assert_state(w, painted, "after Ctrl+Y")
    _assert_panel_equals_overlap(w, "after Ctrl+Y")
    # the history view lists the step, below the opened state
    view = w.editor.undo_view
    assert view.model().rowCount() == 2
    assert view.model().index(1, 0).data() == text


def test_undo_view_click_goes_back_to_any_state(edit_window, ui):
    w = edit_window
    w.editor.set_tool("brush")
    w.set_slice(6)
    states = [_snapshot(w)]
    for row in (4, 10, 16):
        ui.drag([(row, 3), (row, 30)])
        states.append(_snapshot(w))
    w.editor.history.stack.setIndex(1)  # what a click on the first step does
    _assert_state(w, states[1])
    _assert_panel_equals_overlap(w)
    w.editor.history.stack.setIndex(3)
    _assert_state(w, states[3])


def test_random_sequence_of_200_edits_round_trips(edit_window, ui, qtbot, monkeypatch):
    """Drags, fills and erases on both masks and on several slices and planes, with undo/redo keys.

    After every action the arrays equal the saved copy of the state the undo
    history should be at, and the panel equals overlap() recomputed.
    """
    # A random click often fills the background, which asks first: answer Yes.
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        staticmethod(lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes))
    w = edit_window
    ed = w.editor
    rng = np.random.default_rng(1234)
    states = [_snapshot(w)]  # states[i]: after i steps of the history
    at = 0
    edits = 0
    for step in range(200):
        action = rng.choice(["brush", "brush", "eraser", "fill", "undo", "undo", "redo", "slice", "plane"])
        if action in ("brush", "eraser", "fill"):
            ed.panel.set_target(str(rng.choice(["gt", "pred"])))
            qtbot.keyClick(w.view, {"brush": Qt.Key.Key_B, "eraser": Qt.Key.Key_E, "fill": Qt.Key.Key_F}[action])
            assert ed.tool.name == action
            ed.panel.radius.setValue(int(rng.integers(0, 5)))
            rows, cols = w.view.image_shape
            count = ed.history.count
            if action == "fill":
                pixel = (int(rng.integers(0, rows)), int(rng.integers(0, cols)))
                mods = Qt.KeyboardModifier.ShiftModifier if rng.random() < 0.3 else Qt.KeyboardModifier.NoModifier
                ui.click(pixel, mods)
            else:
                n = int(rng.integers(1, 5))
                pixels = [(int(rng.integers(-2, rows + 2)), int(rng.integers(-2, cols + 2))) for _ in range(n)]
                ui.drag(pixels)
            now = _snapshot(w)
            changed = not (np.array_equal(now[0], states[at][0]) and np.array_equal(now[1], states[at][1]))
            # one step per change, none for an edit that changed nothing
            assert ed.history.count == (at + 1 if changed else count), f"step {step}"
            if changed:
                states = states[:at + 1] + [now]
                at += 1
                edits += 1
        elif action == "undo":
            qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
            at = max(at - 1, 0)
        elif action == "redo":
            key, mods = (Qt.Key.Key_Y, CTRL) if rng.random() < 0.5 else (Qt.Key.Key_Z, CTRL_SHIFT)
            qtbot.keyClick(w.view, key, mods)
            at = min(at + 1, len(states) - 1)
        elif action == "slice":
            qtbot.keyClick(w.view, Qt.Key.Key_Up if rng.random() < 0.5 else Qt.Key.Key_Down)
        else:
            qtbot.keyClick(w.view, str(rng.choice(["1", "2", "3"])))
        assert ed.history.index == at, f"step {step}: {action}"
        _assert_state(w, states[at], f"step {step}: {action}")
        _assert_panel_equals_overlap(w, f"step {step}: {action}")
        assert w.isWindowModified() == (at > 0), f"step {step}"  # nothing saved: modified after any step
    assert edits > 60 and len(states) > 10  # the sequence really edited
    # every step undone: back to the files as loaded, bit for bit
    while ed.history.index > 0:
        qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    _assert_state(w, states[0], "all undone")
    _assert_panel_equals_overlap(w, "all undone")
    assert not w.isWindowModified()
    # and every step redone
    while ed.history.index < ed.history.count:
        qtbot.keyClick(w.view, Qt.Key.Key_Y, CTRL)
    _assert_state(w, states[-1], "all redone")
    _assert_panel_equals_overlap(w, "all redone")


def test_per_mask_unsaved_state_and_saved_state_after_undo(edit_window, ui, tmp_path):
    w = edit_window
    ed = w.editor
    h = ed.history
    w.set_slice(6)
    ed.set_tool("brush")
    ed.panel.set_target("gt")
    ui.drag([(3, 3), (3, 20)])
    ed.panel.set_target("pred")
    ui.drag([(8, 3), (8, 20)])
    assert h.is_modified("gt") and h.is_modified("pred")
    assert ed.saver.save_as("pred", tmp_path / "p.nii.gz") is not None
    assert h.is_modified("gt") and not h.is_modified("pred")
    ed.undo()  # undoing the saved prediction edit makes the prediction differ from its file
    assert h.is_modified("pred")
    ed.redo()
    assert not h.is_modified("pred")
    ed.undo()
    ed.undo()  # now gt is back to its file too, pred differs from the saved one
    assert not h.is_modified("gt") and h.is_modified("pred")
    # a new edit of the reference discards the redo branch holding the saved prediction
    ed.panel.set_target("gt")
    ui.drag([(12, 3), (12, 20)])
    assert h.is_modified("pred") and h.is_modified("gt")
    ed.undo()
    # the prediction still differs from the saved file (that state cannot be reached any more)
    assert not h.is_modified("gt") and h.is_modified("pred")
    assert w.isWindowModified()


def test_undo_during_a_drag_keeps_the_stroke_then_undoes_it(edit_window, ui, qtbot):
    w = edit_window
    w.set_slice(6)
    w.editor.set_tool("brush")
    start = _snapshot(w)
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, ui.vp_pos(4, 4))
    QTest.mouseMove(vp, ui.vp_pos(4, 28))
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    _assert_state(w, start, "right after Ctrl+Z")
    QTest.mouseMove(vp, ui.vp_pos(20, 28))  # the stroke is over: nothing more is painted
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, ui.vp_pos(20, 28))
    _assert_state(w, start)
    assert w.editor.history.count == 1 and w.editor.history.index == 0


def test_memory_of_undo_steps_is_the_changed_voxels(edit_window, ui):
    w = edit_window
    w.set_slice(0)
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(3)
    ui.drag([(10, 5), (10, 30)])
    delta = w.editor.history.delta_at(0)
    # bool/uint8 mask: 1-byte old and new values, at most 2-byte positions in a small box
    assert w.editor.history.nbytes <= delta.voxels * 4
    assert delta.voxels == int(np.count_nonzero(ui.screen_slice("pred")))
