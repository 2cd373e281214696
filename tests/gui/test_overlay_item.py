"""OverlayItem: LUT redraws, dirty-rectangle updates, and what reaches the screen."""
from __future__ import annotations

import numpy as np
from PySide6 import QtGui, QtWidgets

from dicegui.core import overlay as ov
from dicegui.gui.overlay_item import OverlayItem


def _scene_with(item, size=(40, 30)):
    scene = QtWidgets.QGraphicsScene()
    scene.addItem(item)
    return scene


def test_full_and_region_redraw_match_a_fresh_lut(qtbot):
    item = OverlayItem()
    scene = _scene_with(item)
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 2, (30, 40)).astype(np.uint8)
    pred = rng.integers(0, 2, (30, 40)).astype(np.uint8)
    lut = ov.confusion_lut(0.6)
    item.set_codes(ov.confusion_codes(gt, pred), lut)
    np.testing.assert_array_equal(item.rgba(), lut[ov.confusion_codes(gt, pred)])
    # a "brush dab": change a block of pred and redraw only that rectangle (+ its border context)
    pred[10:15, 20:26] = 1 - pred[10:15, 20:26]
    region = (9, 16, 19, 27)
    item.update_region(region[0], region[2], ov.confusion_codes(gt, pred, region=region))
    full = ov.confusion_codes(gt, pred)
    np.testing.assert_array_equal(item.codes, full)
    np.testing.assert_array_equal(item.rgba(), lut[full])
    # recolouring keeps the codes
    lut2 = ov.confusion_lut(0.2, "outline")
    item.set_lut(lut2)
    np.testing.assert_array_equal(item.rgba(), lut2[full])
    scene.removeItem(item)


def test_painted_pixels_use_the_lut_colours(qtbot):
    item = OverlayItem()
    scene = _scene_with(item)
    codes = np.zeros((4, 6), np.uint8)
    codes[:, :3] = ov.FP
    lut = ov.confusion_lut(1.0)
    item.set_codes(codes, lut)
    target = QtGui.QImage(6, 4, QtGui.QImage.Format.Format_ARGB32)
    target.fill(0)
    painter = QtGui.QPainter(target)
    scene.render(painter, item.boundingRect(), item.boundingRect())
    painter.end()
    left = QtGui.QColor(target.pixel(1, 1))
    right = QtGui.QColor(target.pixel(5, 1))
    assert (left.red(), left.green(), left.blue()) == ov.DEFAULT_CLASS_COLORS["fp"]
    assert QtGui.qAlpha(target.pixel(5, 1)) == 0 and right.red() == 0
    scene.removeItem(item)
