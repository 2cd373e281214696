"""The focus' masks: all foreground hands the masks over without whole-volume copies."""
import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist

from dicegui.core.surface import surface_distances
from dicegui.gui.region_focus import RegionFocus, focus_foreground, focus_masks


def _pair():
    gt = np.zeros((9, 12, 10), np.uint8)
    gt[2:7, 3:9, 2:8] = 1
    gt[4:6, 4:6, 3:5] = 3
    pred = np.zeros_like(gt)
    pred[3:8, 2:8, 3:9] = 2
    return gt, pred


def test_all_foreground_is_the_masks_themselves_and_a_label_is_bool():
    gt, pred = _pair()
    g, p = focus_foreground(gt, pred, None)
    assert g is gt and p is pred
    g3, p3 = focus_foreground(gt, pred, 3)
    np.testing.assert_array_equal(g3, gt == 3)
    np.testing.assert_array_equal(p3, pred == 3)
    gr, pr = focus_foreground(gt, pred, RegionFocus("any", (1, 2, 3)))
    np.testing.assert_array_equal(gr, gt != 0)
    np.testing.assert_array_equal(pr, pred != 0)


def test_surface_distances_of_the_label_maps_equal_brute_force_on_bool_masks():
    gt, pred = _pair()
    spacing = (2.0, 0.8, 0.8)
    res = surface_distances(*focus_foreground(gt, pred, None), spacing=spacing)
    g, p = focus_masks(gt, pred, None)

    def border(m):  # face-connected border, as the module defines it
        return np.argwhere(m & ~ndimage.binary_erosion(m)) * np.array(spacing)

    d = cdist(border(g), border(p))
    assert res["hd"] == pytest.approx(max(d.min(axis=1).max(), d.min(axis=0).max()), abs=1e-12)
