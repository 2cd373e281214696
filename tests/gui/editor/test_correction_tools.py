"""Correction tools driven through the window: interpolate between slices, intensity-limited brush, asking fill."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import Qt

Button = QtWidgets.QMessageBox.StandardButton


def _answer(monkeypatch, button, calls):
    """Make QMessageBox.question return ``button`` and record (title, text)."""
    def question(parent, title, text, *args, **kwargs):
        calls.append((title, text))
        return button
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(question))


def _axial_stack(window, role):
    """Every axial slice of a mask as shown on screen, stacked on a first axis."""
    from dicegui.core.display import plane_image

    arr = getattr(window.session, role)
    return np.stack([np.array(plane_image(arr, window.plane, k)) for k in range(arr.shape[window.plane.axis])])


def test_interpolate_fills_the_slices_between_two_painted_slices_in_one_undo_step(label_window, ui, qtbot):
    w = label_window
    w.set_plane("axial")
    ed = w.editor
    ed.panel.set_target("pred")
    assert ed.panel.set_label(3)  # a new structure
    ed.panel.radius.setValue(3)
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    before = _axial_stack(w, "pred")
    centre = (14, 20)
    for k in (2, 8):
        w.set_slice(k)
        ui.click(centre)
    painted = _axial_stack(w, "pred")
    disc = ui.disc(painted.shape[1:], centre, 3, w.view.pixel_mm)
    for k in (2, 8):  # the brush wrote label 3 on the disc of both slices
        assert (painted[k][disc] == 3).all()
    assert ed.history.count == 2
    qtbot.keyClick(w.view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    after = _axial_stack(w, "pred")
    # Two equal discs interpolate to the same disc; labels 1 and 2 already there are kept.
    expected = painted.copy()
    for k in range(3, 8):
        expected[k][disc & (painted[k] == 0)] = 3
    np.testing.assert_array_equal(after, expected)
    assert (after[3:8] == 3).any(axis=(1, 2)).all()
    assert ed.history.count == 3
    n_new = int(np.count_nonzero(expected != painted))
    assert f"on 5 axial slices, {n_new:,} voxels" in w.statusBar().currentMessage()
    # one Ctrl+Z removes all of it and keeps the two painted slices
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(_axial_stack(w, "pred"), painted)
    assert not np.array_equal(painted, before)


def test_interpolate_with_one_painted_slice_says_what_to_do(label_window, ui):
    w = label_window
    w.set_plane("coronal")
    ed = w.editor
    ed.panel.set_target("gt")
    assert ed.panel.set_label(3)
    ed.set_tool("brush")
    w.set_slice(10)
    ui.click((4, 4))
    gt = w.session.gt.copy()
    ed.act_interpolate.trigger()
    assert "at least two coronal slices" in w.statusBar().currentMessage()
    np.testing.assert_array_equal(w.session.gt, gt)
    assert ed.history.count == 1


def test_intensity_limited_brush_leaves_voxels_outside_the_range(edit_window, ui):
    w = edit_window
    ed = w.editor
    w.set_slice(0)  # empty prediction slice
    assert not ui.screen_slice("pred").any()
    ed.set_tool("brush")
    ed.panel.radius.setValue(4)
    rng = ed.intensity
    assert rng.isEnabled()  # the case has an image
    # the range starts at the displayed window, and is off until checked
    assert (rng.low.value(), rng.high.value()) == pytest.approx(w.levels, abs=0.006)
    assert ed.intensity_range is None
    rng.only.setChecked(True)
    rng.low.setValue(0)
    rng.high.setValue(100)
    assert ed.intensity_range == (0.0, 100.0)
    image = ui.screen_slice("image")
    ui.click((15, 20))
    disc = ui.disc(image.shape, (15, 20), 4, w.view.pixel_mm)
    inside = (image >= 0) & (image <= 100)
    np.testing.assert_array_equal(ui.screen_slice("pred") != 0, disc & inside)
    assert (disc & ~inside).any() and (disc & inside).any()  # the range really cut the disc
    # the eraser is limited too: erasing with [0, 50] keeps what is in (50, 100]
    rng.high.setValue(50)
    ed.set_tool("eraser")
    ui.click((15, 20))
    np.testing.assert_array_equal(ui.screen_slice("pred") != 0, disc & (image > 50) & (image <= 100))
    # unchecked: the whole disc is painted
    rng.only.setChecked(False)
    ed.set_tool("brush")
    ui.click((15, 20))
    np.testing.assert_array_equal(ui.screen_slice("pred") != 0, disc)


def test_background_fill_asks_and_no_changes_nothing(edit_window, ui, monkeypatch):
    w = edit_window
    ed = w.editor
    w.set_slice(0)
    assert not ui.screen_slice("pred").any()
    ed.set_tool("fill")
    calls = []
    _answer(monkeypatch, Button.No, calls)
    before = w.session.pred.copy()
    ui.click((10, 10))
    n = ui.screen_slice("pred").size
    assert len(calls) == 1
    title, text = calls[0]
    assert f"{n:,} voxels" in text and "reaches the image border" in text
    np.testing.assert_array_equal(w.session.pred, before)
    assert ed.history.count == 0
    assert "Fill cancelled" in w.statusBar().currentMessage()
    _answer(monkeypatch, Button.Yes, calls)
    ui.click((10, 10))
    assert len(calls) == 2
    assert (ui.screen_slice("pred") == 1).all()
    assert ed.history.count == 1


def test_fill_above_the_limit_asks_and_a_small_one_does_not(edit_window, ui, monkeypatch):
    w = edit_window
    ed = w.editor
    w.set_slice(0)
    ed.set_tool("brush")
    ed.panel.radius.setValue(0)
    ui.drag([(5, 5), (5, 20), (18, 20), (18, 5), (5, 5)])  # a ring enclosing 12 × 14 pixels
    ed.set_tool("fill")
    calls = []
    _answer(monkeypatch, Button.No, calls)
    ed.tools["fill"].ask_above.setValue(100)
    ui.click((10, 10))
    assert len(calls) == 1 and "168 voxels (more than 100)" in calls[0][1]
    assert "border" not in calls[0][1]
    assert not ui.screen_slice("pred")[6:18, 6:20].any()
    ed.tools["fill"].ask_above.setValue(168)
    ui.click((10, 10))
    assert len(calls) == 1  # at the limit: filled without asking
    assert (ui.screen_slice("pred")[6:18, 6:20] == 1).all()


def test_fill_within_the_intensity_range_stops_where_the_image_leaves_it(edit_window, ui, monkeypatch):
    from scipy import ndimage

    w = edit_window
    ed = w.editor
    w.set_slice(0)
    ed.set_tool("fill")
    calls = []
    _answer(monkeypatch, Button.Yes, calls)
    ed.intensity.only.setChecked(True)
    ed.intensity.low.setValue(50)
    ed.intensity.high.setValue(150)
    image = ui.screen_slice("image")
    seed = tuple(int(x) for x in np.argwhere((image >= 50) & (image <= 150))[0])
    ui.click(seed)
    components, _ = ndimage.label((image >= 50) & (image <= 150))
    expected = components == components[seed]
    np.testing.assert_array_equal(ui.screen_slice("pred") != 0, expected)
