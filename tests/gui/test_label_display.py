"""Per-label show / opacity in the overlay's label list reach the pixels of the view's overlay image."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dicegui.core.display import plane_image
from dicegui.core.overlay import EDGE
from dicegui.gui.overlay_panel import KIND_CONFUSION, KIND_PRED_LABELS


@pytest.fixture
def labels_open(window, tmp_path, write_nifti):
    gt = np.zeros((30, 30, 5), np.uint8)
    gt[3:12, 3:12, :] = 1
    gt[15:27, 15:27, :] = 2
    pred = np.zeros_like(gt)
    pred[4:13, 4:12, :] = 1
    pred[15:25, 14:27, :] = 2
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt), "pred": write_nifti(tmp_path / "pred.nii.gz", pred)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    yield window
    window.editor.history.mark_discarded()


def _shown_alpha(window):
    """Alpha of every pixel of the focused view's overlay image, and its label-map slice."""
    item = window.view.overlay_item
    alpha = item.lut[item.codes][..., 3]
    pred = np.asarray(plane_image(window.session.pred, window.plane, window.index))
    return alpha, pred


def test_hiding_a_label_makes_its_pixels_transparent(labels_open):
    w = labels_open
    panel = w.overlay_panel
    panel.set_kind(KIND_PRED_LABELS)
    display = panel.label_display
    assert display.labels() == [1, 2]
    alpha, pred = _shown_alpha(w)
    assert (alpha[pred == 2] > 0).all() and (alpha[pred == 1] > 0).all()
    show_2 = display.cellWidget(1, 1)
    opt = QtWidgets.QStyleOptionButton()
    show_2.initStyleOption(opt)
    box = show_2.style().subElementRect(QtWidgets.QStyle.SubElement.SE_CheckBoxIndicator, opt, show_2)
    QTest.mouseClick(show_2, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, box.center())
    assert not display.is_shown(2)
    alpha, pred = _shown_alpha(w)
    assert (alpha[pred == 2] == 0).all()
    assert (alpha[pred == 1] > 0).all()  # the other label is untouched
    full = alpha[pred == 1].max()
    display.set_opacity(1, 50)
    alpha, pred = _shown_alpha(w)
    assert alpha[pred == 1].max() == round(full * 0.5)


def test_one_label_tp_fp_fn_follow_its_opacity(labels_open):
    w = labels_open
    panel = w.overlay_panel
    panel.set_kind(KIND_CONFUSION)
    panel.select_label(2)
    codes = w.view.overlay_item.codes
    assert (w.view.overlay_item.lut[codes[codes & (EDGE - 1) != 0]][:, 3] > 0).all()
    panel.label_display.set_shown(2, False)
    assert (w.view.overlay_item.lut[w.view.overlay_item.codes][..., 3] == 0).all()


def test_painting_a_hidden_label_switches_it_back_on(labels_open):
    w = labels_open
    panel = w.overlay_panel
    panel.set_kind(KIND_PRED_LABELS)
    panel.label_display.set_shown(2, False)
    ed = w.editor
    ed.panel.set_target("pred")
    ed.panel.set_label(2)
    ed.panel.radius.setValue(1)
    ed.set_tool("brush")
    w.view.setFocus()
    vp = w.view.viewport()
    before = np.asarray(plane_image(w.session.pred, w.plane, w.index)).copy()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, w.view.widget_pos_of(2, 28))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, w.view.widget_pos_of(2, 28))
    alpha, pred = _shown_alpha(w)
    painted = (pred == 2) & (before != 2)
    assert painted.any()
    assert panel.label_display.is_shown(2)
    assert (alpha[painted] > 0).all()
