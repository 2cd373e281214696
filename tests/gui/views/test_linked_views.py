"""Three linked views driven by real mouse and key events: cursor, scrolling, editing, layouts, keys."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dicegui.core.display import PLANES, plane_image, plane_to_voxel, voxel_to_plane
from dicegui.gui.views.view_actions import window_after_drag

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


def _confusion(g, p):
    """TP/FP/FN codes computed here, independently of dicegui.core.overlay: 0 bg, 1 TP, 2 FP, 3 FN."""
    g, p = np.asarray(g) != 0, np.asarray(p) != 0
    return np.select([g & p, p & ~g, g & ~p], [1, 2, 3], 0)


def _classes(codes):
    """The TP/FP/FN class of each overlay code (the low two bits; higher bits mark outlines)."""
    return np.asarray(codes) & 3


def _shown_slice(w, name):
    st = w.views.state
    return plane_image(w.session.image, PLANES[name], st.slice_of(name))


def test_opens_in_two_by_two_with_each_view_through_the_cursor(views_window):
    w = views_window
    st = w.views.state
    assert st.layout == "2x2"
    for name in ("axial", "coronal", "sagittal"):
        view = w.views.views[name]
        assert view.isVisible(), name
        np.testing.assert_array_equal(view.image_item.image, _shown_slice(w, name))
    assert w.views.pane_3d.isVisible()
    # each view's crosshair crosses at the cursor voxel
    for name in ("axial", "coronal", "sagittal"):
        _, row, col = voxel_to_plane(PLANES[name], st.cursor, st.shape)
        assert w.views.crosshairs[name].pixel == (row, col)


def test_a_click_in_one_view_moves_the_other_two(views_window):
    w = views_window
    w.views.focus("axial")
    QApplication.processEvents()
    axial = w.views.views["axial"]
    before_axial = axial.image_item.image.copy()
    QTest.mouseClick(axial.viewport(), LEFT, NOMOD, axial.widget_pos_of(10, 30))
    ijk = plane_to_voxel(PLANES["axial"], w.views.state.slice_of("axial"), 10, 30, w.session.shape)
    assert w.views.state.cursor == ijk
    np.testing.assert_array_equal(axial.image_item.image, before_axial)  # same axial slice
    for name, axis in (("coronal", 1), ("sagittal", 0)):
        assert w.views.state.slice_of(name) == ijk[axis]
        np.testing.assert_array_equal(w.views.views[name].image_item.image, _shown_slice(w, name))
        _, row, col = voxel_to_plane(PLANES[name], ijk, w.session.shape)
        assert w.views.crosshairs[name].pixel == (row, col)
    assert f"voxel" in w.cursor_label.text() or w.cursor_label.text() == ""


def test_the_wheel_scrolls_the_view_under_the_mouse(views_window, qtbot):
    w = views_window
    w.views.focus("axial")
    coronal = w.views.views["coronal"]
    start = w.views.state.slice_of("coronal")
    axial_slice = w.views.state.slice_of("axial")
    pos = QtCore.QPointF(coronal.viewport().rect().center())
    for _ in range(3):
        ev = _wheel(pos, 120, coronal.viewport())
        QApplication.sendEvent(coronal.viewport(), ev)
    assert w.views.state.slice_of("coronal") == min(start + 3, w.session.shape[1] - 1)
    assert w.views.state.slice_of("axial") == axial_slice
    np.testing.assert_array_equal(coronal.image_item.image, _shown_slice(w, "coronal"))
    # the axial view only moved its crosshair (horizontal line = coronal position)
    _, row, _ = voxel_to_plane(PLANES["axial"], w.views.state.cursor, w.session.shape)
    assert w.views.crosshairs["axial"].pixel[0] == row


def _wheel(pos, delta, widget):
    from PySide6 import QtGui

    glob = QtCore.QPointF(widget.mapToGlobal(pos.toPoint()))
    return QtGui.QWheelEvent(pos, glob, QtCore.QPoint(0, 0), QtCore.QPoint(0, delta), Qt.MouseButton.NoButton,
                             NOMOD, Qt.ScrollPhase.NoScrollPhase, False)


def test_a_stroke_in_the_coronal_view_shows_in_the_axial_view(views_window):
    w = views_window
    st = w.views.state
    # put the cursor inside the masks so the axial slice crosses the stroke
    w.views.set_cursor((20, 24, 12))
    coronal = w.views.views["coronal"]
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(2)
    QApplication.processEvents()
    before = w.session.pred.copy()
    # a horizontal stroke on the coronal screen, along the row of the axial slice
    _, row, col = voxel_to_plane(PLANES["coronal"], st.cursor, st.shape)
    vp = coronal.viewport()
    points = [coronal.widget_pos_of(row, c) for c in range(col - 12, col + 13, 3)]
    QTest.mousePress(vp, LEFT, NOMOD, points[0])
    for p in points[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, LEFT, NOMOD, points[-1])
    assert w.plane.name == "coronal"  # the press gave the coronal view the focus
    changed = np.argwhere(w.session.pred != before)
    assert len(changed) > 0
    assert set(changed[:, 1]) == {st.slice_of("coronal")}  # a 2-D brush edits the coronal slice only
    assert st.slice_of("axial") in set(changed[:, 2])  # and crosses the axial slice
    # the axial view's overlay equals TP/FP/FN of the edited masks, computed here
    axial = w.views.views["axial"]
    k = st.slice_of("axial")
    expected = _confusion(plane_image(w.session.gt, PLANES["axial"], k), plane_image(w.session.pred, PLANES["axial"], k))
    np.testing.assert_array_equal(_classes(axial.overlay_item.codes) != 0, expected != 0)
    np.testing.assert_array_equal(_classes(axial.overlay_item.codes)[expected != 0] > 0, True)
    w.editor.undo()
    np.testing.assert_array_equal(w.session.pred, before)
    expected = _confusion(plane_image(w.session.gt, PLANES["axial"], k), plane_image(w.session.pred, PLANES["axial"], k))
    np.testing.assert_array_equal(_classes(axial.overlay_item.codes) != 0, expected != 0)


def test_layout_keys_and_double_click(views_window, qtbot):
    w = views_window
    w.views.focus("coronal")
    qtbot.keyClick(w.view, Qt.Key.Key_L)
    assert w.views.state.layout == "1x3"
    assert not w.views.pane_3d.isVisible()
    assert all(v.isVisible() for v in w.views.views.values())
    qtbot.keyClick(w.view, Qt.Key.Key_L)
    assert w.views.state.layout == "1x1"
    visible = [n for n, v in w.views.views.items() if v.isVisible()]
    assert visible == ["coronal"]
    qtbot.keyClick(w.view, Qt.Key.Key_3)  # focusing another plane shows it in 1×1
    assert [n for n, v in w.views.views.items() if v.isVisible()] == ["sagittal"]
    qtbot.keyClick(w.view, Qt.Key.Key_L)
    assert w.views.state.layout == "2x2"
    QTest.mouseDClick(w.views.views["axial"].viewport(), LEFT, NOMOD,
                      w.views.views["axial"].viewport().rect().center())
    assert w.views.state.layout == "1x1" and w.plane.name == "axial"


def test_crosshairs_of_hidden_views_are_placed_when_a_layout_shows_them(views_window, qtbot):
    """In 1×1 only the shown view's crosshair follows the cursor; the others catch up when shown."""
    w = views_window
    w.set_layout("1x1")
    w.views.focus("axial")
    st = w.views.state
    target = tuple(n // 3 for n in st.shape)
    assert target != st.cursor
    w.views.set_cursor(target)
    _, row, col = voxel_to_plane(PLANES["axial"], target, st.shape)
    assert w.views.crosshairs["axial"].pixel == (row, col)
    qtbot.keyClick(w.view, Qt.Key.Key_3)  # 1×1 now shows the sagittal view
    _, row, col = voxel_to_plane(PLANES["sagittal"], target, st.shape)
    assert w.views.crosshairs["sagittal"].pixel == (row, col)
    w.set_layout("2x2")
    for name in ("axial", "coronal", "sagittal"):
        _, row, col = voxel_to_plane(PLANES[name], target, st.shape)
        assert w.views.crosshairs[name].pixel == (row, col), name
        assert w.views.crosshairs[name].lines[0].isVisible(), name


def test_slice_keys_work_after_a_combo_box_had_focus(views_window, qtbot):
    w = views_window
    combo = w.window_level.preset
    preset = combo.currentText()
    combo.setFocus()
    combo.showPopup()
    QApplication.processEvents()
    combo.hidePopup()
    QApplication.processEvents()
    assert QApplication.focusWidget() is combo
    start = w.index
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert w.index == min(start + 2, w.session.n_slices(w.plane) - 1)
    assert combo.currentText() == preset
    qtbot.keyClick(combo, Qt.Key.Key_B)
    assert w.editor.tool is not None and w.editor.tool.name == "brush"
    # typing in a text field keeps its keys
    w.scores.tolerance.setFocus()
    before = w.index
    qtbot.keyClick(w.scores.tolerance, Qt.Key.Key_Up)
    assert w.index == before


def test_window_level_drag(views_window, qtbot):
    assert window_after_drag((0.0, 100.0), 256, 0) == pytest.approx((-50.0, 150.0))  # twice as wide
    assert window_after_drag((0.0, 100.0), 0, -128) == pytest.approx((-50.0, 50.0))  # up: brighter
    w = views_window
    w.editor.set_tool("brush")
    qtbot.keyClick(w.view, Qt.Key.Key_W)
    assert w.editor.tool is None  # the W mode put the brush down
    lo, hi = w.levels
    before = w.session.pred.copy()
    vp = w.view.viewport()
    start = vp.rect().center()
    QTest.mousePress(vp, LEFT, NOMOD, start)
    QTest.mouseMove(vp, start + QtCore.QPoint(64, 0))
    QTest.mouseRelease(vp, LEFT, NOMOD, start + QtCore.QPoint(64, 0))
    assert w.levels == pytest.approx(window_after_drag((lo, hi), 64, 0), rel=1e-6, abs=1e-6)
    np.testing.assert_array_equal(w.session.pred, before)
    for name in ("axial", "coronal", "sagittal"):  # every view shows the new window
        assert tuple(w.views.views[name].image_item.levels) == pytest.approx(w.levels)
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    assert not w.act_window_drag.isChecked()


def test_a_two_d_image_has_one_view(window, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    path = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (30, 50), dtype=np.uint8)).save(path)
    assert window.open_paths({"image": path}, remember=False), window.last_error
    QApplication.processEvents()
    assert window.views.state.layout == "1x1"
    assert [n for n, v in window.views.views.items() if v.isVisible()] == ["axial"]
    assert not window.views.pane_3d.isVisible()
    assert not window.views.crosshairs["axial"].lines[0].isVisible()
    assert window.view.image_item.image.shape == (30, 50)


def test_the_brush_outline_follows_the_mouse_into_another_view(views_window):
    w = views_window
    w.views.focus("axial")
    w.editor.set_tool("brush")
    sag = w.views.views["sagittal"]
    QTest.mouseMove(sag.viewport(), sag.widget_pos_of(10, 12))
    QApplication.processEvents()
    assert w.plane.name == "sagittal"
    # the outline (and every marker a panel put in the focused view) moved with the focus
    assert w.editor.cursor.parentItem() is sag.vb.childGroup
    assert w.editor.cursor.isVisible() and w.editor.cursor.pixel == (10, 12)


def test_the_navigator_moves_every_view_to_the_region(views_window):
    w = views_window
    nav = w.qa.navigator
    w.qa.wait()
    assert nav.regions
    nav.go_to(0)
    ijk = nav.regions[0].focus_voxel()
    assert w.views.state.cursor == tuple(int(v) for v in ijk)
    for name in ("axial", "coronal", "sagittal"):
        np.testing.assert_array_equal(w.views.views[name].image_item.image, _shown_slice(w, name))


def test_prediction_only_paint_in_coronal_shows_in_axial(window, views_case):
    """The issue's case: an image and a prediction, no reference; paint in the coronal view."""
    assert window.open_paths({"image": views_case["image"], "pred": views_case["pred"]}, remember=False)
    w = window
    st = w.views.state
    w.views.set_cursor((8, 10, 5))  # outside the prediction: what is painted is new
    w.editor.set_tool("brush")
    w.editor.panel.radius.setValue(1)
    QApplication.processEvents()
    before = w.session.pred.copy()
    coronal = w.views.views["coronal"]
    _, row, col = voxel_to_plane(PLANES["coronal"], st.cursor, st.shape)
    QTest.mouseClick(coronal.viewport(), LEFT, NOMOD, coronal.widget_pos_of(row, col))
    changed = np.argwhere(w.session.pred != before)
    assert (8, 10, 5) in {tuple(v) for v in changed}
    assert set(changed[:, 1]) == {10}  # the coronal slice only
    axial = w.views.views["axial"]
    k = st.slice_of("axial")
    shown = plane_image(w.session.pred, PLANES["axial"], k)
    _, r, c = voxel_to_plane(PLANES["axial"], (8, 10, 5), st.shape)
    assert shown[r, c] != 0 and axial.overlay_item.codes[r, c] != 0  # the axial view shows the new voxel
    np.testing.assert_array_equal(np.asarray(axial.overlay_item.codes) != 0, shown != 0)
    w.editor.history.mark_discarded()


def test_the_tool_caption_is_on_the_focused_view_only(views_window):
    w = views_window
    w.views.focus("coronal")
    w.editor.set_tool("brush")
    QApplication.processEvents()
    assert not w.views.views["coronal"].tool_caption.isHidden()
    w.views.focus("sagittal")
    QApplication.processEvents()
    assert w.views.views["coronal"].tool_caption.isHidden()
    sag = w.views.views["sagittal"]
    assert not sag.tool_caption.isHidden() and "Brush" in sag.tool_caption.text()
    assert sag.tool_caption.x() >= 0  # wraps inside a narrow view instead of running off its left edge


def test_revisited_slices_show_their_own_image_and_overlay(views_window):
    # Slices seen before come from the views' caches (images gathered into C
    # order, overlay codes): going back and forth must show each slice's own
    # pixels, as read from the arrays here.
    w = views_window
    st = w.views.state
    cursors = [tuple(int(n * f) for n in st.shape) for f in (0.3, 0.5, 0.7)]
    for _ in range(2):
        for ijk in cursors:
            w.views.set_cursor(ijk)
            for name in ("axial", "coronal", "sagittal"):
                view = w.views.views[name]
                index = st.slice_of(name)
                np.testing.assert_array_equal(view.image_item.image, _shown_slice(w, name))
                g = plane_image(w.session.gt, PLANES[name], index) != 0
                p = plane_image(w.session.pred, PLANES[name], index) != 0
                np.testing.assert_array_equal(np.asarray(view.overlay_item.codes) & 3, 2 * g + p)
    # three slices in each of the three views, and the slices the case opened on
    assert 9 <= len(w.views.codes_cache) <= 12
    assert 0 < len(w.views.image_cache) <= 12  # only slices that needed a gather are kept


def test_a_scroll_prepares_the_next_slice_while_idle(views_window, qtbot):
    w = views_window
    st = w.views.state
    name = st.focus
    here = st.slice_of(name)
    w.set_slice(here - 1)
    key = w.views._cache_key(name, here - 2)
    assert key not in w.views.codes_cache
    qtbot.waitUntil(lambda: key in w.views.codes_cache, timeout=2000)  # going down: the slice below is ready
    w.set_slice(here - 2)
    view = w.views.views[name]
    g = plane_image(w.session.gt, PLANES[name], here - 2) != 0
    p = plane_image(w.session.pred, PLANES[name], here - 2) != 0
    np.testing.assert_array_equal(np.asarray(view.overlay_item.codes) & 3, 2 * g + p)
    np.testing.assert_array_equal(view.image_item.image, _shown_slice(w, name))


def test_a_slice_change_made_while_the_panels_update_shows_the_last_slice(views_window):
    # The image of a new slice is gathered while the window updates its
    # panels; a listener that moves the slice again meanwhile must leave the
    # view on the slice it moved to, with that slice's pixels.
    w = views_window
    name = w.views.state.focus
    start = w.views.state.slice_of(name)
    target, detour = start - 3, start - 5
    moved = []

    def move_once(_plane, index):
        if index == target and not moved:
            moved.append(index)
            w.set_slice(detour)

    w.sliceChanged.connect(move_once)
    try:
        w.views.image_cache.clear()
        w.set_slice(target)
    finally:
        w.sliceChanged.disconnect(move_once)
    assert moved and w.views.state.slice_of(name) == detour
    view = w.views.views[name]
    np.testing.assert_array_equal(view.image_item.image, _shown_slice(w, name))
    g = plane_image(w.session.gt, PLANES[name], detour) != 0
    p = plane_image(w.session.pred, PLANES[name], detour) != 0
    np.testing.assert_array_equal(np.asarray(view.overlay_item.codes) & 3, 2 * g + p)
