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


def _drawn_over_grey(item, scene, scale: int, grey: int = 128) -> np.ndarray:
    """RGB of the item rendered at ``scale`` screen pixels per voxel over an opaque grey background."""
    rect = item.boundingRect()
    w, h = int(rect.width() * scale), int(rect.height() * scale)
    target = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGB32)
    target.fill(QtGui.QColor(grey, grey, grey))
    painter = QtGui.QPainter(target)
    scene.render(painter, QtCore.QRectF(0, 0, w, h), rect)
    painter.end()
    return np.frombuffer(target.constBits(), np.uint8).reshape(h, w, 4)[..., 2::-1].astype(int)  # BGRX -> RGB


def test_a_translucent_widened_outline_keeps_the_colour_of_the_thin_one(qtbot):
    # Overlay opacity 0.3: outlines are drawn at alpha 2 × 0.3 = 0.6 (OUTLINE_ALPHA_GAIN). Each
    # screen pixel of the widened ring must be that colour over the background, 0.6·TP + 0.4·grey,
    # however many of the shifted copies of the one-voxel ring cover it (blended copies darkened it).
    mask = np.zeros((64, 64), np.uint8)
    mask[20:30, 20:30] = 1
    item = OverlayItem()
    scene = _scene_with(item)
    item.set_codes(ov.confusion_codes(mask, mask), ov.confusion_lut(0.3, "outline"))
    expected = 0.6 * np.array(ov.DEFAULT_CLASS_COLORS["tp"]) + 0.4 * 128
    for width, ring in ((1, 20 ** 2 - 16 ** 2), (3, 22 ** 2 - 14 ** 2)):  # at 2 screen px per voxel
        item.set_outline_width(width)
        rgb = _drawn_over_grey(item, scene, 2)
        drawn = (rgb != 128).any(axis=-1)
        assert drawn.sum() == ring
        assert np.abs(rgb[drawn] - expected).max() <= 2, (width, np.unique(rgb[drawn], axis=0))
    scene.removeItem(item)


def test_where_two_widened_outlines_meet_each_pixel_has_one_of_their_colours(qtbot):
    # a true-positive square beside a false-negative one, one voxel apart: their widened
    # rings overlap in the gap, where a pixel shows one outline's colour, not a mixture
    gt = np.zeros((32, 32), np.uint8)
    pred = np.zeros((32, 32), np.uint8)
    gt[8:16, 6:14] = pred[8:16, 6:14] = 1  # TP
    gt[8:16, 15:23] = 1  # FN
    item = OverlayItem()
    scene = _scene_with(item)
    item.set_codes(ov.confusion_codes(gt, pred), ov.confusion_lut(0.3, "outline"))
    item.set_outline_width(3)
    rgb = _drawn_over_grey(item, scene, 1)
    colours = [0.6 * np.array(ov.DEFAULT_CLASS_COLORS[k]) + 0.4 * 128 for k in ("tp", "fn")]
    drawn = (rgb != 128).any(axis=-1)
    near = np.min([np.abs(rgb[drawn] - c).max(axis=-1) for c in colours], axis=0)
    assert near.max() <= 2
    # the gap (column 14) is covered by both rings: rows 7..16 drawn there
    assert drawn[7:17, 14].all()
    scene.removeItem(item)


def test_a_zoomed_in_partial_repaint_draws_what_the_full_repaint_does(qtbot):
    # 6 screen px per voxel, only a strip across the ring's corner exposed: the widened
    # outline there must be the one a full repaint draws, its neighbours outside the strip included
    mask = np.zeros((20, 20), np.uint8)
    mask[5:15, 5:15] = 1
    item = OverlayItem()
    scene = _scene_with(item)
    item.set_codes(ov.confusion_codes(mask, mask), ov.confusion_lut(0.3, "outline"), content=(5, 15, 5, 15))
    item.set_outline_width(3)
    scale, size = 6, (120, 120)

    def paint(exposed):
        target = QtGui.QImage(size[1], size[0], QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        target.fill(0)
        painter = QtGui.QPainter(target)
        painter.scale(scale, scale)
        painter.setClipRect(exposed)
        option = QtWidgets.QStyleOptionGraphicsItem()
        option.exposedRect = exposed
        item.paint(painter, option)
        painter.end()
        return np.frombuffer(target.constBits(), np.uint32).reshape(size).copy()

    whole = paint(QtCore.QRectF(0, 0, 20, 20))
    strip = paint(QtCore.QRectF(3.5, 4.5, 4, 1.5))  # device pixels 21..44 × 27..36: the top-left corner
    inside = np.zeros(size, bool)
    inside[27:36, 21:45] = True
    np.testing.assert_array_equal(strip[inside], whole[inside])
    assert not strip[~inside].any() and (strip[inside] != 0).sum() > 20
    # the ring at 6 px per voxel, 1 screen pixel more all round: the row above the square is device row 29
    assert (whole[29, 29:91] != 0).all() and not whole[28].any()
    scene.removeItem(item)
