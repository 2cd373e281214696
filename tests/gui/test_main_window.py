"""The main window on the shipped demo: what the panel shows, navigation by keys and wheel."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui
from PySide6.QtCore import Qt

from dicegui.core.display import PLANES, plane_image
from dicegui.core.metrics import overlap
from dicegui.core.surface import surface_distances
from dicegui.gui.scores_panel import OVERLAP_ROWS, format_value


def _shown_equals(panel, column, scores):
    for key, _ in OVERLAP_ROWS:
        if key in scores:
            assert panel.text(key, column) == format_value(key, scores[key]), key


def test_demo_opens_on_the_worst_slice_with_scores_equal_to_overlap(window):
    assert window.open_demo("totalseg")
    s = window.session
    case = s.case
    # whole volume: the panel shows exactly overlap() of the case's masks
    vol = overlap(case.gt_mask, case.pred_mask)
    _shown_equals(window.scores, "volume", vol)
    assert window.scores.text("gt_size") == format_value("gt_size", (vol["tp"] + vol["fn"]) * 0.027)
    # opening slice: where reference and prediction disagree most (counted here directly)
    axial = PLANES["axial"]
    disagreement = [np.count_nonzero((plane_image(s.gt, axial, i) != 0) != (plane_image(s.pred, axial, i) != 0))
                    for i in range(s.n_slices(axial))]
    assert window.plane is axial
    assert disagreement[window.index] == max(disagreement)
    # current slice column: overlap() of that slice
    g, p = plane_image(s.gt, axial, window.index), plane_image(s.pred, axial, window.index)
    _shown_equals(window.scores, "slice", overlap(g, p))
    # the window says plainly that the reference is a model's output
    assert window.banner.isVisible() and "not an expert" in window.banner.text()
    # per-label table: one row per label present, with names and Dice from overlap() of that label
    rows = window.scores.per_label_rows()
    labels = sorted(int(v) for v in (set(np.unique(case.gt_mask)) | set(np.unique(case.pred_mask))) - {0})
    assert sorted(r[0] for r in rows) == labels
    by_label = {r[0]: r for r in rows}
    assert by_label[5][1] == "liver"
    assert by_label[5][2] == format_value("dice", overlap(case.gt_mask == 5, case.pred_mask == 5)["dice"])
    dices = [float(r[2]) for r in rows]
    assert dices == sorted(dices)  # worst first


def test_surface_distances_come_from_the_worker(window, qtbot):
    window.open_demo("totalseg")
    with qtbot.waitSignal(window.runner.resultReady, timeout=20000):
        pass
    s = window.session
    ref = surface_distances(s.case.gt_mask != 0, s.case.pred_mask != 0, spacing=s.case.spacing, tolerance=1.0)
    assert window.scores.surface_text("hd95") == format_value("hd95", ref["hd95"])
    assert window.scores.surface_text("nsd") == format_value("nsd", ref["nsd"])
    assert window.scores.surface_state == "current"
    # a new tolerance makes it recompute; a mask change marks it out of date
    with qtbot.waitSignal(window.runner.resultReady, timeout=20000):
        window.scores.tolerance.setValue(3.0)
    ref3 = surface_distances(s.case.gt_mask != 0, s.case.pred_mask != 0, spacing=s.case.spacing, tolerance=3.0)
    assert window.scores.surface_text("nsd") == format_value("nsd", ref3["nsd"])
    window.masks_changed()
    assert window.scores.surface_state == "stale"


def test_keys_change_slices_and_planes(window, qtbot):
    window.open_demo("totalseg")
    view = window.view
    view.setFocus()
    start = window.index
    n = window.session.n_slices(window.plane)
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert window.index == min(start + 1, n - 1)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert window.index == max(min(start + 1, n - 1) - 2, 0)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert window.index == 0
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert window.index == 10
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert window.index == 0
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert window.index == n - 1
    assert window.slider.value() == n - 1
    # planes by number keys (window shortcuts)
    qtbot.keyClick(view, Qt.Key.Key_2)
    assert window.plane.name == "coronal"
    assert window.slider.maximum() == window.session.shape[1] - 1
    assert window.view.image_item.image.shape == (30, 122)  # superior-inferior rows × right-left columns
    assert window.view is window.views.views["coronal"]
    qtbot.keyClick(view, Qt.Key.Key_3)
    assert window.plane.name == "sagittal"
    assert window.view.image_item.image.shape == (30, 101)
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert window.plane.name == "axial"
    assert window.index == n - 1  # the axial slice is the cursor's: focusing other views kept it


def _wheel(view, steps):
    pos = QtCore.QPointF(view.viewport().rect().center())
    ev = QtGui.QWheelEvent(pos, view.viewport().mapToGlobal(pos), QtCore.QPoint(0, 0),
                           QtCore.QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                           Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QtCore.QCoreApplication.sendEvent(view.viewport(), ev)


def test_wheel_and_slider_change_slices(window):
    window.open_demo("totalseg")
    window.set_slice(10)
    _wheel(window.view, 2)
    assert window.index == 12
    _wheel(window.view, -1)
    assert window.index == 11
    window.slider.setValue(5)
    assert window.index == 5
    # the image on screen is the slice asked for
    np.testing.assert_array_equal(window.view.image_item.image,
                                  plane_image(window.session.image, window.plane, 5))


def test_label_focus_scores_one_label(window):
    window.open_demo("totalseg")
    window.scores.labelActivated.emit(5)
    assert window.focus_label == 5
    case = window.session.case
    _shown_equals(window.scores, "volume", overlap(case.gt_mask == 5, case.pred_mask == 5))
    g = plane_image(window.session.gt, window.plane, window.index)
    p = plane_image(window.session.pred, window.plane, window.index)
    _shown_equals(window.scores, "slice", overlap(g == 5, p == 5))
    assert "liver" in window.scores.title.text()


def test_overlay_shows_codes_through_the_lut(window, qtbot):
    window.open_demo("totalseg")
    item = window.view.overlay_item
    g = plane_image(window.session.gt, window.plane, window.index)
    p = plane_image(window.session.pred, window.plane, window.index)
    codes = item.codes & 3
    np.testing.assert_array_equal(codes, 2 * (g != 0) + (p != 0))
    np.testing.assert_array_equal(item.rgba(), item.lut[item.codes])
    # legend counts are the slice's TP/FP/FN
    counts = overlap(g, p)
    assert window.overlay_panel.count_labels["fp/slice"].text() == f"{counts['fp']:,}"
    # outline mode (O) keeps interiors transparent
    qtbot.keyClick(window.view, Qt.Key.Key_O)
    assert window.overlay_panel.current_mode() == "outline"
    interior = (item.codes & 8) == 0
    assert not np.any(item.rgba()[interior][:, 3])
    # S hides the overlay
    qtbot.keyClick(window.view, Qt.Key.Key_S)
    assert not item.isVisible()
    qtbot.keyClick(window.view, Qt.Key.Key_S)
    assert item.isVisible()
    # unticking FP removes exactly the FP pixels
    window.overlay_panel.class_boxes["fp"].setChecked(False)
    fp = (item.codes & 7) == 1
    assert not np.any(item.rgba()[fp][:, 3])


def test_label_colour_mode(window):
    window.open_demo("totalseg")
    window.overlay_panel.set_kind("gt_labels")
    g = plane_image(window.session.gt, window.plane, window.index)
    item = window.view.overlay_item
    np.testing.assert_array_equal(item.codes >> 1, g)
    liver = g == 5
    if liver.any():
        colours = {tuple(c) for c in item.rgba()[liver & ((item.codes & 1) == 0)]}
        assert len(colours) == 1


def test_accuracy_trap_demo(window):
    window.open_demo("accuracy-trap")
    assert window.scores.text("dice") == "0.0000"
    n = window.session.case.gt_mask.size
    assert window.scores.text("accuracy") == format_value("accuracy", (n - 152) / n)
    assert window.scores.text("fn") == "152"
    assert "accuracy" in window.banner.text().lower()


def test_status_bar_reports_voxel_mm_intensity_and_labels(window):
    window.open_demo("totalseg")
    s = window.session
    row, col = 50, 60
    window._hovered((row, col))
    text = window.cursor_label.text()
    from dicegui.core.display import plane_to_voxel
    ijk = plane_to_voxel(window.plane, window.index, row, col, s.shape)
    fi = s.grid.to_file_index(ijk)
    mm = s.case.affine @ np.array([*fi, 1.0])
    assert f"voxel [{fi[0]}, {fi[1]}, {fi[2]}]" in text
    assert f"({mm[0]:.1f}, {mm[1]:.1f}, {mm[2]:.1f}) mm" in text
    assert f"value {int(s.case.image_array[fi])}" in text
    gt_value = int(s.case.gt_mask[fi])
    assert f"ref {gt_value}" in text


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_pixel_aspect_follows_spacing(window, plane):
    window.open_demo("totalseg")
    window.set_plane(plane)
    assert window.view.pixel_mm == (3.0, 3.0)


def test_window_presets_and_opacity_keys(window, qtbot):
    window.open_demo("totalseg")
    assert window.window_level.preset.currentText() == "CT soft tissue"
    assert window.view.image_item.getLevels() == pytest.approx((-160, 240))
    window.window_level.choose("CT lung")
    assert window.view.image_item.getLevels() == pytest.approx((-1350, 150))
    assert window.levels == pytest.approx((-1350, 150))
    window.window_level.choose("CT bone")
    assert window.view.image_item.getLevels() == pytest.approx((-500, 1300))
    window.window_level.choose("CT brain")
    assert window.view.image_item.getLevels() == pytest.approx((0, 80))
    # levels survive a slice change
    window.step(1)
    assert window.view.image_item.getLevels() == pytest.approx((0, 80))
    op = window.overlay_panel.current_opacity()
    qtbot.keyClick(window.view, Qt.Key.Key_D)
    assert window.overlay_panel.current_opacity() == pytest.approx(min(op + 0.1, 1.0))
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    assert window.overlay_panel.current_opacity() == pytest.approx(op - 0.1)
    alpha = window.view.overlay_item.lut[3, 3]
    assert alpha == round(255 * (op - 0.1))


def test_zoom_and_reset(window, qtbot):
    window.open_demo("totalseg")
    full = window.view.vb.viewRect()
    pos = QtCore.QPointF(window.view.viewport().rect().center())
    ev = QtGui.QWheelEvent(pos, window.view.viewport().mapToGlobal(pos), QtCore.QPoint(0, 0),
                           QtCore.QPoint(0, 240), Qt.MouseButton.NoButton,
                           Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    index = window.index
    QtCore.QCoreApplication.sendEvent(window.view.viewport(), ev)
    zoomed = window.view.vb.viewRect()
    assert zoomed.width() < full.width() and window.index == index  # Ctrl+wheel zooms, no slice change
    qtbot.keyClick(window.view, Qt.Key.Key_R)
    assert window.view.vb.viewRect().width() == pytest.approx(full.width(), rel=1e-3)


def test_edit_through_livescore_then_region_redraw(window):
    """What the editor will do: write through LiveScore, redraw one rectangle, read scores."""
    from dicegui.core.display import plane_to_voxel
    from dicegui.core.overlay import confusion_codes

    window.open_demo("totalseg")
    s = window.session
    rows, cols = window.view.image_shape
    r0, r1, c0, c1 = 40, 46, 50, 58
    # erase a block of the prediction on the current slice, voxel by voxel in view order
    idx = np.array([plane_to_voxel(window.plane, window.index, r, c, s.shape)
                    for r in range(r0, r1) for c in range(c0, c1)])
    s.live.apply("pred", tuple(idx.T), 0)
    window.masks_changed(region=(r0, r1, c0, c1))
    g = plane_image(s.gt, window.plane, window.index)
    p = plane_image(s.pred, window.plane, window.index)
    np.testing.assert_array_equal(window.view.overlay_item.codes,
                                  confusion_codes(g, p, label_maps=True))
    _shown_equals(window.scores, "volume", overlap(s.case.gt_mask, s.case.pred_mask))
    _shown_equals(window.scores, "slice", overlap(g, p))


def test_label_row_jumps_to_that_labels_worst_slice(window):
    window.open_demo("totalseg")
    window.set_slice(0)
    window.scores.labelActivated.emit(9)  # adrenal_gland_left: a few slices only
    s = window.session
    per_slice = [np.count_nonzero((plane_image(s.gt, window.plane, i) == 9)
                                  != (plane_image(s.pred, window.plane, i) == 9))
                 for i in range(s.n_slices(window.plane))]
    assert per_slice[window.index] == max(per_slice) > 0


def test_click_links_the_planes(window):
    window.open_demo("totalseg")
    window.set_slice(12)
    row, col = 30, 70
    window.view.cursorDragged.emit(row, col)  # what a left click in navigation sends
    from dicegui.core.display import plane_to_voxel
    ijk = plane_to_voxel(window.plane, 12, row, col, window.session.shape)
    window.set_plane("coronal")
    assert window.index == ijk[1]
    window.set_plane("sagittal")
    assert window.index == ijk[0]
    window.step(3)
    window.set_plane("axial")
    assert window.index == 12
    window.set_plane("coronal")
    assert window.index == ijk[1]
    window.set_plane("sagittal")
    assert window.index == ijk[0] + 3
