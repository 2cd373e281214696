"""The brush label follows the review unless pinned, the eyedropper picks it, and no stroke is invisible.

The label case (``label_window``) holds labels 1 and 2 side by side in both
masks; every expected number is read from the arrays with NumPy, not from
the window.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dicegui.core.overlay import EDGE

CTRL = Qt.KeyboardModifier.ControlModifier


def _row_of(window, label: int) -> int:
    t = window.scores.per_label
    for r in range(t.rowCount()):
        if int(t.item(r, 0).data(QtCore.Qt.ItemDataRole.UserRole)) == label:
            return r
    raise AssertionError(f"no row for label {label}")


def _click_row(window, label: int) -> None:
    t = window.scores.per_label
    item = t.item(_row_of(window, label), 2)
    QTest.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     t.visualItemRect(item).center())


def _pixel_of(ui, role: str, label: int):
    """A screen pixel deep inside ``label`` of a mask on the shown slice (eroded, so never on an edge)."""
    from scipy import ndimage

    inside = ndimage.binary_erosion(ui.screen_slice(role) == label, iterations=2)
    rows, cols = np.nonzero(inside)
    assert rows.size, f"label {label} is not on this slice"
    i = rows.size // 2
    return int(rows[i]), int(cols[i])


def _background_pixel(ui):
    """The background pixel of both masks nearest the middle of the slice (on screen whatever the zoom)."""
    bg = np.argwhere((ui.screen_slice("pred") == 0) & (ui.screen_slice("gt") == 0))
    middle = np.array(ui.screen_slice("pred").shape) / 2
    return tuple(int(v) for v in bg[np.argmin(((bg - middle) ** 2).sum(1))])


def _hover(window, pixel) -> None:
    """A real mouse-move event (no button) over a pixel of the focused view."""
    QTest.qWait(30)  # pyqtgraph drops moves closer than its rate limit (100 Hz)
    vp = window.view.viewport()
    pos = QtCore.QPointF(window.view.widget_pos_of(*pixel))
    ev = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, pos, vp.mapToGlobal(pos), Qt.MouseButton.NoButton,
                           Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QtCore.QCoreApplication.sendEvent(vp, ev)
    QtCore.QCoreApplication.processEvents()
    assert window.view.hovered_pixel == tuple(pixel)


def test_clicking_a_label_row_sets_the_brush_label_unless_pinned(label_window):
    w = label_window
    panel = w.editor.panel
    assert panel.active_label() == 1
    _click_row(w, 2)
    assert w.overlay_panel.current_label() == 2  # the review moved to label 2 ...
    assert panel.active_label() == 2  # ... and the brush with it
    QTest.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    assert panel.pin.isChecked()
    assert "Pinned" in panel.pin.toolTip()
    _click_row(w, 1)
    assert w.overlay_panel.current_label() == 1
    assert panel.active_label() == 2  # pinned: the brush keeps its label
    QTest.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    w.overlay_panel.select_label(None)
    w.overlay_panel.select_label(1)  # the overlay's label filter is a review focus too
    assert panel.active_label() == 1


def test_n_sets_the_brush_to_the_label_of_the_error_region(label_window, qtbot):
    w = label_window
    w.qa.show_panel("navigator")
    w.qa.wait()
    nav = w.qa.navigator
    s = w.session
    w.view.setFocus()
    seen = set()
    for _ in range(min(len(nav.regions), 6)):
        qtbot.keyClick(w.view, Qt.Key.Key_N)
        region = nav.regions[nav.current]
        ijk = region.focus_voxel()
        # the label of the mask that holds the error there, read from the arrays
        expected = int(s.gt[ijk]) if region.kind == "FN" else int(s.pred[ijk])
        assert expected in (1, 2)
        assert w.editor.panel.active_label() == expected
        seen.add(expected)
    assert seen == {1, 2}  # both labels' regions were visited, so the brush really followed


def test_key_i_picks_the_label_under_the_mouse(label_window, ui, qtbot):
    w = label_window
    panel = w.editor.panel
    panel.set_target("pred")
    assert panel.active_label() == 1
    _hover(w, _pixel_of(ui, "pred", 2))
    qtbot.keyClick(w.view, Qt.Key.Key_I)
    assert panel.active_label() == 2
    assert "label 2" in w.statusBar().currentMessage()
    # background: the label is kept, and the status bar says why
    _hover(w, _background_pixel(ui))
    qtbot.keyClick(w.view, Qt.Key.Key_I)
    assert panel.active_label() == 2
    assert "background" in w.statusBar().currentMessage()


def test_ctrl_click_with_the_brush_picks_without_painting(label_window, ui):
    w = label_window
    panel = w.editor.panel
    panel.set_target("gt")
    panel.set_label(2)
    w.editor.set_tool("brush")
    before = w.session.gt.copy()
    ui.click(_pixel_of(ui, "gt", 1), CTRL)
    assert panel.active_label() == 1
    np.testing.assert_array_equal(w.session.gt, before)  # nothing painted
    assert w.editor.history.count == 0


def test_a_filtered_overlay_never_hides_a_stroke(label_window, ui):
    w = label_window
    panel = w.editor.panel
    w.overlay_panel.select_label(1)  # review label 1 only ...
    panel.set_label(2)  # ... and paint label 2
    panel.set_target("pred")
    panel.radius.setValue(2)
    w.editor.set_tool("brush")
    r, c = _background_pixel(ui)
    before = ui.screen_slice("pred").copy()
    ui.drag([(r, c), (r, c + 1)])
    after = ui.screen_slice("pred")
    painted = (after == 2) & (before != 2)
    assert painted.any()
    assert w.overlay_panel.current_label() == 2  # the filter now shows the brush label
    codes = w.view.overlay_item.codes
    assert np.all(codes[painted] & (EDGE - 1) != 0)  # every painted pixel has a visible code (FP of label 2)
    lut = w.view.overlay_item.lut
    assert np.all(lut[codes[painted]][:, 3] > 0)  # and a colour that is not transparent
    assert "Overlay now shows label 2" in w.statusBar().currentMessage()


def test_the_stroke_report_names_every_label_it_changed(label_window, ui):
    w = label_window
    panel = w.editor.panel
    panel.protect.setChecked(False)  # let the brush overwrite label 1
    panel.set_target("pred")
    panel.set_label(2)
    panel.radius.setValue(3)
    w.editor.set_tool("brush")
    before = w.session.pred.copy()
    r, c = _pixel_of(ui, "pred", 1)
    ui.drag([(r, c), (r, c + 2)])
    after = w.session.pred
    lost_1 = int((before == 1).sum() - (after == 1).sum())
    gained_2 = int((after == 2).sum() - (before == 2).sum())
    fg = int((after != 0).sum() - (before != 0).sum())
    assert lost_1 > 0 and gained_2 > 0
    text = w.statusBar().currentMessage()
    assert f"label 2 +{gained_2:,} vox" in text
    assert f"label 1 \u2212{lost_1:,} vox" in text
    assert f"foreground {'+' if fg > 0 else ''}{fg:,}" in text or (fg == 0 and "foreground ±0" in text)
    # the foreground is unchanged (label 1 became label 2), the painted label's Dice is not
    gt = w.session.gt
    dice2 = lambda p: 2 * np.sum((gt == 2) & (p == 2)) / (np.sum(gt == 2) + np.sum(p == 2))  # noqa: E731
    shown = w.scores.last_change_text()
    assert "ΔDice(label 2) " in shown
    number = shown.split("ΔDice(label 2) ")[1].split(";")[0]
    assert float(number.replace("\u2212", "-")) == pytest.approx(dice2(after) - dice2(before), rel=5e-4)


def test_per_label_rows_update_during_a_drag_and_sort_at_release(label_window, ui):
    from dicegui.core.metrics import per_label
    from dicegui.gui.scores_panel import format_value

    w = label_window
    panel = w.editor.panel
    panel.set_target("pred")
    panel.set_label(1)
    panel.radius.setValue(3)
    w.editor.set_tool("brush")
    r, c = _pixel_of(ui, "gt", 1)
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, ui.vp_pos(r, c))
    QTest.mouseMove(vp, ui.vp_pos(r + 3, c))
    truth = per_label(w.session.gt, w.session.pred)["labels"]
    t = w.scores.per_label
    assert t.item(_row_of(w, 1), 2).text() == format_value("dice", truth[1]["dice"])  # the painted row is current
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, ui.vp_pos(r + 3, c))
    shown = [float(t.item(i, 2).text()) for i in range(t.rowCount())]
    assert shown == sorted(shown)  # worst first again after the stroke
    assert t.isSortingEnabled()


def test_protect_other_labels_is_on_by_default_and_remembered(label_window, qtbot):
    from dicegui.gui.main_window import MainWindow

    assert label_window.editor.panel.protect.isChecked()
    label_window.editor.panel.protect.setChecked(False)
    other = MainWindow()
    qtbot.addWidget(other)
    assert not other.editor.panel.protect.isChecked()
    other.editor.panel.protect.setChecked(True)
    third = MainWindow()
    qtbot.addWidget(third)
    assert third.editor.panel.protect.isChecked()
