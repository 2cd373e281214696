"""Whole-slice overlay codes computed only inside the foreground's rectangle, here or on the worker thread."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core import overlay as ov
from dicegui.gui.overlay_panel import KIND_CONFUSION, KIND_GT_LABELS, KIND_PRED_LABELS
from dicegui.gui.region_focus import RegionFocus
from dicegui.gui.views import slice_codes


def _masks(shape=(300, 260), seed=0):
    """Two label slices whose foreground lies in rows 40–219, columns 30–199 (strided, as a C-order CT's axial slice)."""
    rng = np.random.default_rng(seed)
    volume = np.zeros(shape + (5,), np.uint8), np.zeros(shape + (5,), np.uint8)
    for vol in volume:
        vol[40:220, 30:200, 2] = rng.integers(0, 4, (180, 170))
    return volume[0][:, :, 2], volume[1][:, :, 2]


def _box_region(g, p):
    rows, cols = np.nonzero((g != 0) | (p != 0))
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


@pytest.mark.parametrize("kind, focus, label", [
    (KIND_CONFUSION, None, None),
    (KIND_CONFUSION, 2, 2),
    (KIND_CONFUSION, RegionFocus("two-three", (2, 3)), None),
    (KIND_GT_LABELS, None, None),
    (KIND_PRED_LABELS, None, None),
])
def test_codes_inside_the_box_equal_the_whole_slice(kind, focus, label):
    g, p = _masks()
    assert not g.flags.c_contiguous  # the strided case the rectangle is for
    make = slice_codes.codes_maker(kind, focus, label, label_maps=True)
    region = _box_region(g, p)
    codes, content = slice_codes.whole_slice_codes(make, g, p, region)
    whole = make(g, p)  # every pixel computed, no rectangle
    np.testing.assert_array_equal(codes, whole)
    assert content == region
    r0, r1, c0, c1 = region
    outside = np.ones(codes.shape, bool)
    outside[r0:r1, c0:c1] = False
    assert not codes[outside].any()


def test_confusion_classes_match_plain_numpy():
    g, p = _masks(seed=3)
    make = slice_codes.codes_maker(KIND_CONFUSION, None, None, label_maps=False)
    codes, _ = slice_codes.whole_slice_codes(make, g, p, _box_region(g, p))
    gb, pb = g != 0, p != 0
    want = np.select([gb & pb, pb & ~gb, gb & ~pb], [ov.TP, ov.FP, ov.FN], 0)
    np.testing.assert_array_equal(codes & (ov.EDGE - 1), want)


def test_an_empty_rectangle_gives_background_and_no_overlay_kind_gives_none():
    g, p = _masks()
    make = slice_codes.codes_maker(KIND_CONFUSION, None, None, label_maps=False)
    codes, content = slice_codes.whole_slice_codes(make, g, p, (0, 0, 0, 0))  # the slice holds no foreground
    assert codes.shape == g.shape and not codes.any() and content == (0, 0, 0, 0)
    no_reference = slice_codes.codes_maker(KIND_CONFUSION, None, None, label_maps=False)
    assert slice_codes.whole_slice_codes(no_reference, None, p, (0, 5, 0, 5)) == (None, None)
    assert slice_codes.whole_slice_codes(no_reference, None, p, None) == (None, None)
