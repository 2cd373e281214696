"""Overlay code images and lookup tables (dicegui.core.overlay)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dicegui.core import overlay as ov


def _boundary_by_loops(codes):
    """The definition, pixel by pixel: nonzero and (on the border or a 4-neighbour differs)."""
    rows, cols = codes.shape
    out = np.zeros(codes.shape, bool)
    for r in range(rows):
        for c in range(cols):
            if codes[r, c] == 0:
                continue
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if not (0 <= rr < rows and 0 <= cc < cols) or codes[rr, cc] != codes[r, c]:
                    out[r, c] = True
    return out


def test_boundary_hand_worked():
    codes = np.array([
        [0, 0, 0, 0, 0],
        [0, 3, 3, 3, 0],
        [0, 3, 3, 3, 0],
        [0, 3, 3, 1, 0],
        [0, 0, 0, 0, 2],
    ])
    expected = np.array([
        [0, 0, 0, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 1, 0, 1, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 0, 0, 1],
    ], bool)
    np.testing.assert_array_equal(ov.boundary(codes), expected)


def test_confusion_codes_hand_worked():
    gt = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]])
    pred = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    codes = ov.confusion_codes(gt, pred)
    # 2·gt + pred: TP=3, FN=2, FP=1; every foreground pixel touches another code or the border
    np.testing.assert_array_equal(codes & 3, [[3, 2, 0], [3, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(codes & ov.EDGE, [[8, 8, 0], [8, 8, 0], [0, 0, 0]])
    assert ov.code_counts(codes) == {"tp": 2, "fp": 1, "fn": 1, "mismatch": 0}


def test_confusion_codes_mark_label_mismatch_and_single_label():
    gt = np.array([[5, 5, 2, 0]])
    pred = np.array([[5, 3, 2, 2]])
    codes = ov.confusion_codes(gt, pred, label_maps=True)
    np.testing.assert_array_equal(codes & 7, [[3, 7, 3, 1]])
    assert ov.code_counts(codes) == {"tp": 3, "fp": 1, "fn": 0, "mismatch": 1}
    only2 = ov.confusion_codes(gt, pred, label=2)
    np.testing.assert_array_equal(only2 & 7, [[0, 0, 3, 1]])


@settings(max_examples=60, deadline=None)
@given(
    gt=arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9)), elements=st.integers(0, 3)),
    seed=st.integers(0, 2**16),
)
def test_confusion_codes_match_definition_and_regions(gt, seed):
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, 4, size=gt.shape).astype(np.uint8)
    codes = ov.confusion_codes(gt, pred, label_maps=True)
    g, p = gt != 0, pred != 0
    base = 2 * g.astype(int) + p + 4 * (g & p & (gt != pred))
    np.testing.assert_array_equal(codes & 7, base)
    np.testing.assert_array_equal((codes & ov.EDGE) > 0, _boundary_by_loops(base))
    # any rectangle computed alone equals the same rectangle of the full image
    r0, c0 = rng.integers(0, gt.shape[0]), rng.integers(0, gt.shape[1])
    r1, c1 = rng.integers(r0, gt.shape[0] + 1), rng.integers(c0, gt.shape[1] + 1)
    part = ov.confusion_codes(gt, pred, label_maps=True, region=(r0, r1, c0, c1))
    np.testing.assert_array_equal(part, codes[r0:r1, c0:c1])
    lab = ov.label_codes(gt)
    np.testing.assert_array_equal(lab, 2 * gt.astype(int) + _boundary_by_loops(gt))
    np.testing.assert_array_equal(ov.label_codes(gt, region=(r0, r1, c0, c1)), lab[r0:r1, c0:c1])


def test_region_outside_image_is_refused():
    with pytest.raises(ValueError, match="outside"):
        ov.confusion_codes(np.zeros((3, 3)), np.zeros((3, 3)), region=(0, 4, 0, 1))


def test_okabe_ito_values_and_defaults():
    # values from Okabe & Ito (2008), Color Universal Design
    assert ov.OKABE_ITO["vermillion"] == (213, 94, 0)
    assert ov.OKABE_ITO["bluish_green"] == (0, 158, 115)
    assert ov.OKABE_ITO["sky_blue"] == (86, 180, 233)
    assert len({ov.DEFAULT_CLASS_COLORS[k] for k in ov.CLASSES}) == 4


def test_confusion_lut_fill_outline_visibility():
    lut = ov.confusion_lut(opacity=1.0, mode="fill")
    assert tuple(lut[ov.TP]) == (*ov.DEFAULT_CLASS_COLORS["tp"], 255)
    assert tuple(lut[ov.FP | ov.EDGE]) == (*ov.DEFAULT_CLASS_COLORS["fp"], 255)
    assert tuple(lut[ov.TN]) == (0, 0, 0, 0)

    half = ov.confusion_lut(opacity=0.5, mode="fill")
    # premultiplied: r·a/255 (rounded), a = 128
    r, g, b = ov.DEFAULT_CLASS_COLORS["fn"]
    assert tuple(half[ov.FN]) == ((r * 128 + 127) // 255, (g * 128 + 127) // 255, (b * 128 + 127) // 255, 128)

    outline = ov.confusion_lut(opacity=0.3, mode="outline")
    assert outline[ov.TP, 3] == 0 and outline[ov.TP | ov.EDGE, 3] == round(255 * 0.6)

    no_fp = ov.confusion_lut(visible=("tp", "fn"))
    assert no_fp[ov.FP, 3] == 0 and no_fp[ov.FP | ov.EDGE, 3] == 0 and no_fp[ov.TP, 3] > 0
    # a hidden "labels differ" class falls back to the TP colour
    np.testing.assert_array_equal(no_fp[ov.TP | ov.MISMATCH], no_fp[ov.TP])
    with pytest.raises(ValueError):
        ov.confusion_lut(mode="sparkle")
    with pytest.raises(ValueError):
        ov.confusion_lut(visible=("tp", "xx"))


def test_straight_rgba_undoes_premultiplication():
    lut = ov.confusion_lut(opacity=0.8)
    r, g, b, a = ov.straight_rgba(lut[ov.FP])
    assert a == 204
    for got, want in zip((r, g, b), ov.DEFAULT_CLASS_COLORS["fp"]):
        assert abs(got - want) <= 1


def test_label_palette_and_lut():
    pal = ov.label_palette(256)
    assert pal.shape == (256, 3) and tuple(pal[0]) == (0, 0, 0)
    assert len({tuple(c) for c in pal[1:]}) == 255  # every label its own colour
    lut = ov.label_lut(5, opacity=1.0, palette=pal)
    assert lut.shape == (12, 4)
    assert tuple(lut[2 * 3]) == (*pal[3], 255) and tuple(lut[2 * 3 + 1]) == (*pal[3], 255)
    assert lut[0, 3] == 0 and lut[1, 3] == 0
    only = ov.label_lut(5, opacity=1.0, visible=[2])
    assert only[4, 3] == 255 and only[6, 3] == 0 and only[10, 3] == 0
    outline = ov.label_lut(5, opacity=0.5, mode="outline")
    assert outline[6, 3] == 0 and outline[7, 3] == 255


def test_apply_lut_matches_fancy_indexing_and_writes_only_the_crop():
    rng = np.random.default_rng(0)
    lut = rng.integers(0, 256, size=(16, 4), dtype=np.uint8)
    codes = rng.integers(0, 16, size=(7, 9)).astype(np.uint8)
    np.testing.assert_array_equal(ov.apply_lut(codes, lut), lut[codes])

    rgba = np.zeros((7, 9, 4), np.uint8)
    words = rgba.view(np.uint32)[..., 0]
    ov.apply_lut(codes[2:5, 3:8], lut, out=words[2:5, 3:8])
    expected = np.zeros_like(rgba)
    expected[2:5, 3:8] = lut[codes[2:5, 3:8]]
    np.testing.assert_array_equal(rgba, expected)

    # codes beyond the table are clipped to its last entry, not an IndexError
    big = np.array([[0, 40]], np.uint16)
    np.testing.assert_array_equal(ov.apply_lut(big, lut)[0, 1], lut[-1])


def test_label_lut_per_label_opacity():
    from dicegui.core.overlay import _alphas, label_lut, label_palette, straight_rgba

    pal = label_palette(4)
    lut = label_lut(3, 0.6, "fill", palette=pal, label_alpha={2: 0.0, 3: 0.5})
    inner = round(255 * 0.6)
    assert _alphas(0.6, "fill") == (inner, inner)
    assert lut[2 * 1, 3] == inner and lut[2 * 1 + 1, 3] == inner  # label 1: not listed, full share
    assert lut[2 * 2, 3] == 0 and lut[2 * 2 + 1, 3] == 0 and not lut[4:6].any()  # label 2 hidden
    half = round(inner * 0.5)
    assert lut[2 * 3, 3] == half
    # premultiplied colour of the half-opaque label: rgb·a/255 rounded, as for any other alpha
    assert tuple(lut[2 * 3]) == tuple((int(c) * half + 127) // 255 for c in pal[3]) + (half,)
    assert straight_rgba(lut[2 * 3])[:3] == pytest.approx(tuple(int(c) for c in pal[3]), abs=2)
