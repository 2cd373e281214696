"""OverlayItem: LUT redraws, dirty-rectangle updates, and what reaches the screen."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

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


def _drawn(item, scene, scale: int) -> np.ndarray:
    """Alpha of the item rendered at ``scale`` screen pixels per voxel (a transparent background)."""
    rect = item.boundingRect()
    w, h = int(rect.width() * scale), int(rect.height() * scale)
    target = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32)
    target.fill(0)
    painter = QtGui.QPainter(target)
    scene.render(painter, QtCore.QRectF(0, 0, w, h), rect)
    painter.end()
    ptr = target.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(h, w, 4)[..., 3].copy()  # BGRA in memory: alpha last


def test_outline_width_widens_outlines_by_screen_pixels_at_any_zoom(qtbot):
    # one 10 × 10 true-positive square (rows and columns 20..29) on a 64 × 64 slice
    mask = np.zeros((64, 64), np.uint8)
    mask[20:30, 20:30] = 1
    item = OverlayItem()
    scene = _scene_with(item)
    item.set_codes(ov.confusion_codes(mask, mask), ov.confusion_lut(0.5, "outline"))
    # 1 screen pixel per voxel: the ring of the square, 10² − 8² = 36 pixels;
    # 3 px wide: the ring grown by one pixel each way, 12² − 6² = 108 pixels
    assert np.count_nonzero(_drawn(item, scene, 1)) == 36
    item.set_outline_width(3)
    assert item.outline_width == 3
    assert np.count_nonzero(_drawn(item, scene, 1)) == 108
    # 2 screen pixels per voxel: the ring is 20² − 16² = 144 pixels, widened by one
    # screen pixel (not one voxel) each way 22² − 14² = 288
    item.set_outline_width(1)
    assert np.count_nonzero(_drawn(item, scene, 2)) == 144
    item.set_outline_width(3)
    assert np.count_nonzero(_drawn(item, scene, 2)) == 288
    # the codes and the buffer are untouched: only painting differs
    np.testing.assert_array_equal(item.codes, ov.confusion_codes(mask, mask))
    item.set_outline_width(1)
    assert np.count_nonzero(_drawn(item, scene, 1)) == 36
    scene.removeItem(item)


def test_widened_outline_at_the_slice_edge_stays_inside_the_slice(qtbot):
    # a square touching the top-left corner: its ring may not spread outside the item
    mask = np.zeros((16, 16), np.uint8)
    mask[0:4, 0:4] = 1
    item = OverlayItem()
    scene = _scene_with(item)
    item.set_codes(ov.confusion_codes(mask, mask), ov.confusion_lut(0.5, "outline"))
    item.set_outline_width(3)
    rect = item.boundingRect()
    target = QtGui.QImage(24, 24, QtGui.QImage.Format.Format_ARGB32)
    target.fill(0)
    painter = QtGui.QPainter(target)
    # the scene from (-4, -4): four pixels of room above and left of the slice
    scene.render(painter, QtCore.QRectF(0, 0, 24, 24), QtCore.QRectF(-4, -4, 24, 24))
    painter.end()
    alpha = np.frombuffer(target.constBits(), np.uint8).reshape(24, 24, 4)[..., 3]
    assert not alpha[:4].any() and not alpha[:, :4].any()
    # inside: the 4 × 4 ring (12 px) grown by one fills rows and columns 0..4, 5² = 25 pixels
    assert np.count_nonzero(alpha[4:, 4:]) == 25
    assert rect.width() == 16
    scene.removeItem(item)


def test_codes_with_a_content_rectangle_colour_and_paint_as_the_whole_image(qtbot):
    # A first visit colours only the rectangle that can hold foreground; what
    # is on screen must be what colouring every pixel gives.
    rng = np.random.default_rng(8)
    gt = np.zeros((30, 40), np.uint8)
    pred = np.zeros((30, 40), np.uint8)
    gt[5:20, 8:30] = rng.integers(0, 2, (15, 22))
    pred[5:20, 8:30] = rng.integers(0, 2, (15, 22))
    codes = ov.confusion_codes(gt, pred)
    lut = ov.confusion_lut(0.7)
    whole, part = OverlayItem(), OverlayItem()
    scenes = [_scene_with(whole), _scene_with(part)]
    whole.set_codes(codes, lut)
    part.set_codes(np.zeros_like(codes), lut)  # old colours that must not survive
    part.update_region(0, 0, np.full((30, 40), ov.TP, np.uint8))
    part.set_codes(codes, lut, content=(5, 20, 8, 30))
    np.testing.assert_array_equal(part.rgba(), lut[codes])
    np.testing.assert_array_equal(_drawn(part, scenes[1], 2), _drawn(whole, scenes[0], 2))
    # a dab outside the rectangle grows what is painted
    pred[25:28, 33:37] = 1
    region = (24, 29, 32, 38)
    part.update_region(24, 32, ov.confusion_codes(gt, pred, region=region))
    whole.set_codes(ov.confusion_codes(gt, pred), lut)
    assert _drawn(part, scenes[1], 1)[25:28, 33:37].all()
    np.testing.assert_array_equal(_drawn(part, scenes[1], 2), _drawn(whole, scenes[0], 2))
    for scene, item in zip(scenes, (whole, part)):
        scene.removeItem(item)


def test_content_codes_hold_every_foreground_code(qtbot):
    item = OverlayItem()
    scene = _scene_with(item)
    codes = np.zeros((30, 40), np.uint8)
    codes[6:9, 10:13] = ov.TP | ov.MISMATCH
    item.set_codes(codes, ov.confusion_lut(0.5), content=(5, 20, 8, 30))
    part = item.content_codes()
    assert part.shape == (15, 22)
    assert ov.mismatch_count(part) == ov.mismatch_count(codes) == 9
    item.update_region(25, 35, np.full((2, 2), ov.TP | ov.MISMATCH, np.uint8))  # a dab outside
    assert ov.mismatch_count(item.content_codes()) == 13
    item.set_codes(codes)  # no rectangle given: all codes
    assert item.content_codes() is item.codes
    scene.removeItem(item)


def _painted_exposing(item, exposed: QtCore.QRectF, size) -> np.ndarray:
    """Alpha the item paints at one screen pixel per voxel when Qt exposes only ``exposed`` (a partial repaint)."""
    target = QtGui.QImage(size[1], size[0], QtGui.QImage.Format.Format_ARGB32)
    target.fill(0)
    painter = QtGui.QPainter(target)
    painter.setClipRect(exposed)  # as the view clips a partial repaint
    option = QtWidgets.QStyleOptionGraphicsItem()
    option.exposedRect = exposed
    item.paint(painter, option)
    painter.end()
    return np.frombuffer(target.constBits(), np.uint8).reshape(size[0], size[1], 4)[..., 3].copy()


def test_widened_outline_past_the_content_rectangle_survives_a_partial_repaint(qtbot):
    # Presentation mode widens outlines past the content rectangle (the masks'
    # box); a repaint of the strip above it (the crosshair or the brush moving
    # there) must draw the widened row again, as without a rectangle.
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 10:30] = 1
    codes = ov.confusion_codes(mask, mask)
    item = OverlayItem()
    scene = _scene_with(item)
    item.set_codes(codes, ov.confusion_lut(0.5, "outline"), content=(10, 30, 10, 30))
    item.set_outline_width(3)
    strip = _painted_exposing(item, QtCore.QRectF(0, 0, 40, 10), (40, 40))
    # the 3-px-wide ring spreads one pixel out of the square: row 9, columns 9..30
    expected = np.zeros((40, 40), bool)
    expected[9, 9:31] = True
    np.testing.assert_array_equal(strip != 0, expected)
    scene.removeItem(item)
