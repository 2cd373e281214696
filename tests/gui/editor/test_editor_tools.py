"""Brush, eraser and fill driven by real mouse events on the view; checked against arrays computed here."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from scipy import ndimage

from dicegui.core.display import plane_to_voxel
from dicegui.core.metrics import overlap
from dicegui.core.overlay import confusion_codes
from dicegui.gui.scores_panel import format_value

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def _other_slices_equal(window, role, before):
    """Every slice but the current one of the plane holds what it held before."""
    arr = getattr(window.session, role)
    axis = window.plane.axis
    keep = [i for i in range(arr.shape[axis]) if i != window.index]
    np.testing.assert_array_equal(np.take(arr, keep, axis=axis), np.take(before, keep, axis=axis))


def test_a_drag_paints_the_disc_under_the_cursor(edit_window, ui, qtbot):
    w = edit_window
    w.set_slice(3)
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    assert w.editor.tool.name == "brush"
    w.editor.panel.set_target("pred")
    w.editor.panel.radius.setValue(3)
    before = w.session.pred.copy()
    gt_before = w.session.gt.copy()
    shown_before = ui.screen_slice("pred")
    ui.click((10, 12))
    expected = shown_before.copy()
    expected[ui.disc(expected.shape, (10, 12), 3, w.view.pixel_mm)] = 1
    np.testing.assert_array_equal(ui.screen_slice("pred"), expected)
    _other_slices_equal(w, "pred", before)
    assert not np.array_equal(expected, shown_before)
    # the reference is untouched
    np.testing.assert_array_equal(w.session.gt, gt_before)
    assert w.editor.history.count == 1


def test_disc_is_round_in_mm_on_anisotropic_pixels(edit_window, ui, qtbot):
    w = edit_window
    row_mm, col_mm = w.view.pixel_mm
    assert row_mm != col_mm  # the case is anisotropic in-plane
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(4)
    w.set_slice(0)  # outside both ellipsoids: empty prediction slice
    assert not ui.screen_slice("pred").any()
    ui.click((20, 20))
    painted = ui.screen_slice("pred") != 0
    rows = np.flatnonzero(painted.any(axis=1))
    cols = np.flatnonzero(painted.any(axis=0))
    r_mm = 4 * min(row_mm, col_mm)
    # extent along each screen axis is floor(r_mm / spacing) voxels either side
    assert (rows[-1] - rows[0]) // 2 == int(np.floor(r_mm / row_mm + 1e-9))
    assert (cols[-1] - cols[0]) // 2 == int(np.floor(r_mm / col_mm + 1e-9))
    np.testing.assert_array_equal(painted, ui.disc(painted.shape, (20, 20), 4, (row_mm, col_mm)))


def test_a_fast_drag_leaves_no_gaps(edit_window, ui):
    w = edit_window
    w.set_slice(0)
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(2)
    shape = ui.screen_slice("pred").shape
    # two far points, no events in between
    p0, p1 = (3, 2), (shape[0] - 4, shape[1] - 3)
    ui.drag([p0, p1])
    painted = ui.screen_slice("pred") != 0
    np.testing.assert_array_equal(painted, ui.capsule(shape, p0, p1, 2, w.view.pixel_mm))
    # a single-voxel brush leaves an 8-connected trail across the whole slice
    w.editor.panel.radius.setValue(0)
    w.set_slice(11)
    assert not ui.screen_slice("pred").any()
    ui.drag([(0, 0), (shape[0] - 1, shape[1] // 2)])
    trail = ui.screen_slice("pred") != 0
    labels, n = ndimage.label(trail, structure=np.ones((3, 3)))
    assert n == 1 and trail[0, 0] and trail[shape[0] - 1, shape[1] // 2]
    assert np.all(trail.any(axis=1))  # every row crossed


def test_eraser_clears_a_disc_and_protects_nothing_else(edit_window, ui, qtbot):
    w = edit_window
    w.set_slice(6)
    qtbot.keyClick(w.view, Qt.Key.Key_E)
    assert w.editor.tool.name == "eraser"
    w.editor.panel.set_target("gt")
    w.editor.panel.radius.setValue(3)
    shown = ui.screen_slice("gt")
    assert shown.sum() > 50
    r, c = map(int, np.argwhere(shown)[len(np.argwhere(shown)) // 2])
    ui.drag([(r, c), (r, c + 4)])
    expected = shown.copy()
    expected[ui.capsule(shown.shape, (r, c), (r, c + 4), 3, w.view.pixel_mm)] = 0
    np.testing.assert_array_equal(ui.screen_slice("gt"), expected)
    assert "Erase gt" in w.editor.history.texts()[-1]


def test_fill_fills_the_connected_region_of_the_slice(edit_window, ui, qtbot):
    w = edit_window
    w.set_slice(0)
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(0)
    # draw a closed ring with the 1-voxel brush, then fill its inside
    ring = [(5, 5), (5, 20), (18, 20), (18, 5), (5, 5)]
    ui.drag(ring)
    before = ui.screen_slice("pred")
    qtbot.keyClick(w.view, Qt.Key.Key_F)
    assert w.editor.tool.name == "fill"
    ui.click((10, 10))
    # reference: the 4-connected background component under the click, computed here
    components, _ = ndimage.label(before == 0)
    inside = components == components[10, 10]
    expected = before.copy()
    expected[inside] = 1
    np.testing.assert_array_equal(ui.screen_slice("pred"), expected)
    assert inside.sum() == 12 * 14  # rows 6..17, cols 6..19
    # Shift+click empties the region again (the ring and its inside form one region now)
    ui.click((10, 10), Qt.KeyboardModifier.ShiftModifier)
    assert not ui.screen_slice("pred").any()
    assert [t.split(",")[0] for t in w.editor.history.texts()] == ["Paint pred", "Fill pred", "Erase pred"]


def test_scores_follow_the_drag_before_release(edit_window, ui):
    w = edit_window
    s = w.session
    w.set_slice(6)
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(2)
    vp = w.view.viewport()
    QTest.mousePress(vp, LEFT, NOMOD, ui.vp_pos(2, 2))
    QTest.mouseMove(vp, ui.vp_pos(2, 30))
    # still dragging: the panel already shows the scores of the arrays as they are now
    assert w.view.editing
    vol = overlap(s.case.gt_mask, s.case.pred_mask)
    for key in ("dice", "fp", "tp", "precision"):
        assert w.scores.text(key, "volume") == format_value(key, vol[key])
    sl = overlap(ui.screen_slice("gt"), ui.screen_slice("pred"))
    assert w.scores.text("fp", "slice") == format_value("fp", sl["fp"])
    assert "this stroke" in w.scores.last_change_text()
    QTest.mouseRelease(vp, LEFT, NOMOD, ui.vp_pos(2, 30))
    # ΔDice of the stroke, against Dice recomputed before and after
    dice_after = overlap(s.case.gt_mask, s.case.pred_mask)["dice"]
    w.editor.undo()
    dice_before = overlap(s.case.gt_mask, s.case.pred_mask)["dice"]
    w.editor.redo()
    w.editor.undo()
    w.editor.redo()
    first, detail = w.scores.last_change_text().split("\n", 1)
    number, what = first.removeprefix("ΔDice ").split(" ", 1)
    assert what == "(redo)"
    change = dice_after - dice_before
    # four significant digits of the change, whatever its size
    assert float(number.replace("\u2212", "-")) == pytest.approx(change, rel=5e-4)
    assert len(number.lstrip("+\u22120.")) >= 4
    assert "foreground" in detail


def test_only_the_touched_rectangle_of_the_overlay_is_redrawn(edit_window, ui, monkeypatch):
    w = edit_window
    w.set_slice(6)
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(2)
    item = w.view.overlay_item
    regions = []
    original = item.update_region

    def spy(row0, col0, codes):
        regions.append((row0, col0, codes.shape))
        original(row0, col0, codes)

    monkeypatch.setattr(item, "update_region", spy)
    monkeypatch.setattr(item, "set_codes", lambda *a, **k: pytest.fail("full redraw during a drag"))
    ui.drag([(10, 10), (10, 14), (12, 16)])
    assert len(regions) == 3
    for _, _, shape in regions:
        assert shape[0] <= 2 * 2 * 2 + 3 + 2 and shape[1] <= 4 * 2 + 5 + 2  # the dab's box, grown by 1
    # and what is on screen equals a full recomputation
    expected = confusion_codes(ui.screen_slice("gt"), ui.screen_slice("pred"), label_maps=w.session.is_label_map)
    np.testing.assert_array_equal(item.codes, expected)


def test_escape_cancels_a_stroke_in_progress(edit_window, ui, qtbot):
    w = edit_window
    w.set_slice(6)
    w.editor.set_tool("brush")
    before = w.session.pred.copy()
    vol = w.scores.text("dice")
    vp = w.view.viewport()
    QTest.mousePress(vp, LEFT, NOMOD, ui.vp_pos(3, 3))
    QTest.mouseMove(vp, ui.vp_pos(3, 25))
    assert not np.array_equal(w.session.pred, before)
    qtbot.keyClick(w.view, Qt.Key.Key_Escape)
    QTest.mouseRelease(vp, LEFT, NOMOD, ui.vp_pos(3, 25))
    np.testing.assert_array_equal(w.session.pred, before)
    assert w.editor.tool is None and w.editor.history.count == 0
    assert w.scores.text("dice") == vol
    assert not w.isWindowModified()


def test_a_stroke_that_changes_nothing_makes_no_step(edit_window, ui):
    w = edit_window
    w.set_slice(0)
    w.editor.set_tool("eraser")
    ui.drag([(4, 4), (8, 8)])  # nothing to erase on an empty slice
    assert w.editor.history.count == 0
    assert not w.isWindowModified()


def test_navigation_left_drag_moves_the_cursor_and_middle_drag_pans(edit_window, ui):
    w = edit_window
    w.editor.set_tool(None)
    w.set_layout("2x2")
    before = w.session.pred.copy()
    rect = w.view.vb.viewRect()
    vp = w.view.viewport()
    start = ui.vp_pos(20, 20)
    end = ui.vp_pos(24, 30)
    QTest.mousePress(vp, LEFT, NOMOD, start)
    for k in range(1, 6):
        QTest.mouseMove(vp, start + (end - start) * (k / 5))
    QTest.mouseRelease(vp, LEFT, NOMOD, end)
    np.testing.assert_array_equal(w.session.pred, before)  # navigation never edits
    assert w.view.vb.viewRect().x() == pytest.approx(rect.x())  # nor pans
    # the cursor went where the button was released: the pixel under `end`
    ijk = plane_to_voxel(w.plane, w.index, 24, 30, w.session.shape)
    assert w.views.state.cursor == ijk
    assert w.views.state.slice_of("sagittal") == ijk[0] and w.views.state.slice_of("coronal") == ijk[1]
    QTest.mousePress(vp, QtCore.Qt.MouseButton.MiddleButton, NOMOD, start)
    for k in range(1, 6):
        QTest.mouseMove(vp, start + QtCore.QPoint(20 * k, 0))
    QTest.mouseRelease(vp, QtCore.Qt.MouseButton.MiddleButton, NOMOD, start + QtCore.QPoint(100, 0))
    assert w.view.vb.viewRect().x() != pytest.approx(rect.x())


def test_brush_size_keys_wheel_and_outline(edit_window, ui, qtbot):
    w = edit_window
    ed = w.editor
    ed.set_tool("brush")
    ed.panel.radius.setValue(5)
    qtbot.keyClick(w.view, Qt.Key.Key_BracketRight)
    assert ed.radius == 6
    qtbot.keyClick(w.view, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(w.view, Qt.Key.Key_BracketLeft)
    assert ed.radius == 4
    vp = w.view.viewport()
    pos = QtCore.QPointF(ui.vp_pos(15, 15))
    ev = QtGui.QWheelEvent(pos, vp.mapToGlobal(pos), QtCore.QPoint(0, 0), QtCore.QPoint(0, 240),
                           Qt.MouseButton.NoButton, Qt.KeyboardModifier.ShiftModifier,
                           Qt.ScrollPhase.NoScrollPhase, False)
    index = w.index
    QtCore.QCoreApplication.sendEvent(vp, ev)
    assert ed.radius == 6 and w.index == index  # Shift+wheel resizes, does not change slice
    mm = 6 * min(w.view.pixel_mm)
    assert f"{mm:.1f} mm" in ed.panel.radius_mm.text()
    # the outline follows the mouse and encloses exactly the footprint
    QTest.mouseMove(vp, ui.vp_pos(15, 17))
    assert ed.cursor.isVisible() and ed.cursor.pixel == (15, 17)
    fp = ui.disc((13, 21), (6, 10), 6, w.view.pixel_mm)  # the footprint's own box
    outline = ed.cursor.boundingRect().adjusted(1, 1, -1, -1)  # pixel units, without the pen margin
    rows = np.flatnonzero(fp.any(axis=1))
    cols = np.flatnonzero(fp.any(axis=0))
    assert outline.height() == rows[-1] - rows[0] + 1
    assert outline.width() == cols[-1] - cols[0] + 1
    ed.set_tool(None)
    assert not ed.cursor.isVisible()


def test_3d_brush_paints_a_sphere_in_mm(edit_window, ui):
    w = edit_window
    ed = w.editor
    ed.set_tool("brush")
    ed.panel.sphere.setChecked(True)
    ed.panel.radius.setValue(4)  # 4 × 0.8 mm = 3.2 mm: one 2.5 mm slice either side
    ed.panel.set_target("pred")
    w.set_slice(1)
    before = {i: (w.set_slice(i), ui.screen_slice("pred"))[1] for i in range(0, 4)}
    w.set_slice(1)
    ui.click((20, 20))
    row_mm, col_mm = w.view.pixel_mm
    r_mm = 4 * min(row_mm, col_mm)  # (the NIfTI affine is float32: 0.800000011920929 mm)
    slice_mm = w.session.grid.spacing[w.plane.axis]
    rows, cols = np.ogrid[:before[0].shape[0], :before[0].shape[1]]
    for i in range(0, 4):
        w.set_slice(i)
        d2 = ((rows - 20) * row_mm) ** 2 + ((cols - 20) * col_mm) ** 2 + ((i - 1) * slice_mm) ** 2
        expected = before[i].copy()
        expected[d2 <= r_mm ** 2 + 1e-9] = 1
        np.testing.assert_array_equal(ui.screen_slice("pred"), expected, err_msg=f"slice {i}")
    assert "(3-D brush)" in ed.history.texts()[-1]


def test_protect_other_labels_on_a_label_map(label_window, ui):
    w = label_window
    ed = w.editor
    assert w.session.is_label_map
    ed.set_tool("brush")
    ed.panel.set_target("gt")
    assert ed.panel.set_label(2)
    ed.panel.protect.setChecked(True)
    ed.panel.radius.setValue(6)
    w.set_slice(6)
    shown = ui.screen_slice("gt")
    # a dab centred on the border between the labels
    ones = np.argwhere(shown == 1)
    twos = np.argwhere(shown == 2)
    centre = tuple(int(v) for v in (ones.mean(axis=0) + twos.mean(axis=0)) / 2)
    ui.click(centre)
    fp = ui.disc(shown.shape, centre, 6, w.view.pixel_mm)
    expected = shown.copy()
    expected[fp & (shown == 0)] = 2
    np.testing.assert_array_equal(ui.screen_slice("gt"), expected)
    assert (ui.screen_slice("gt") == 1).sum() == (shown == 1).sum()  # label 1 kept every voxel
    # the eraser with protection clears only the active label
    ed.set_tool("eraser")
    ui.click(centre)
    expected[fp & (expected == 2)] = 0
    np.testing.assert_array_equal(ui.screen_slice("gt"), expected)
    # label-map scores stay equal to overlap() recomputed
    vol = overlap(w.session.case.gt_mask, w.session.case.pred_mask)
    assert w.scores.text("dice") == format_value("dice", vol["dice"])


def test_fill_holes_and_remove_islands_actions(edit_window, ui):
    w = edit_window
    ed = w.editor
    w.set_slice(6)
    ed.panel.set_target("pred")
    ed.set_tool("eraser")
    ed.panel.radius.setValue(1)
    shown = ui.screen_slice("pred")
    r, c = (int(v) for v in np.argwhere(shown).mean(axis=0))
    ui.click((r, c))  # punch a hole
    ed.set_tool("brush")
    ed.panel.radius.setValue(0)
    ui.click((1, 1))  # and add a one-voxel island
    holed = ui.screen_slice("pred")
    assert holed[r, c] == 0 and holed[1, 1] == 1
    ed.panel.scope.setCurrentIndex(ed.panel.scope.findData("slice"))
    ed.panel.fill_holes.click()
    np.testing.assert_array_equal(ui.screen_slice("pred") != 0, ndimage.binary_fill_holes(holed != 0))
    ed.panel.island_size.setValue(5)
    ed.panel.remove_islands.click()
    after = ui.screen_slice("pred") != 0
    labels, n = ndimage.label(ndimage.binary_fill_holes(holed != 0))
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, range(1, n + 1))
    keep = np.isin(labels, 1 + np.flatnonzero(sizes > 5))
    np.testing.assert_array_equal(after, keep)
    assert ed.history.texts()[-2].startswith("Fill holes pred")
    assert ed.history.texts()[-1].startswith("Remove islands pred")


def test_brush_and_undo_on_a_2d_image(window, ui, tmp_path):
    from skimage import io as skio

    gt = np.zeros((30, 40), np.uint8)
    gt[8:20, 10:30] = 255
    pred = np.zeros((30, 40), np.uint8)
    pred[10:22, 12:32] = 255
    skio.imsave(tmp_path / "gt.png", gt, check_contrast=False)
    skio.imsave(tmp_path / "pred.png", pred, check_contrast=False)
    assert window.open_paths({"gt": tmp_path / "gt.png", "pred": tmp_path / "pred.png"}, remember=False)
    window.runner.cancel()
    ed = window.editor
    assert window.session.grid.is_2d and not ed.panel.sphere.isEnabled()
    ed.set_tool("brush")
    ed.panel.radius.setValue(2)
    ed.panel.set_target("pred")
    before = ui.screen_slice("pred").copy()
    ui.drag([(2, 2), (2, 12)])
    expected = before.copy()
    expected[ui.capsule(before.shape, (2, 2), (2, 12), 2, window.view.pixel_mm)] = 1
    np.testing.assert_array_equal(ui.screen_slice("pred"), expected)
    assert ed.history.texts()[-1].startswith("Paint pred, label 1, slice 0, ")
    ed.undo()
    np.testing.assert_array_equal(ui.screen_slice("pred"), before)
    ed.history.mark_discarded()
