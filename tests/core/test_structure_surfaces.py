"""structure_surfaces: each structure measured in its box equals surface_distances on the whole volume."""
import numpy as np
import pytest

from dicegui.core.structure_surfaces import structure_surfaces
from dicegui.core.surface import surface_distances


def test_structure_one_slice_thick_in_a_volume_is_measured_as_a_3d_surface():
    # A label only on one slice across the last axis: its crop has depth 1,
    # yet in a 3-D volume every voxel of it is on the surface.
    gt = np.zeros((20, 20, 10), np.uint8)
    gt[5:15, 5:15, 4] = 1
    pred = np.zeros_like(gt)
    pred[6:15, 5:15, 4] = 1
    got = structure_surfaces(gt, pred, {1: (1,)}, spacing=(1.0, 1.0, 3.0))[1]
    ref = surface_distances(gt == 1, pred == 1, spacing=(1.0, 1.0, 3.0))
    for key in ("hd", "hd95", "assd", "nsd"):
        assert got[key] == pytest.approx(ref[key], abs=1e-12), key


def test_two_d_image_stored_as_one_slice_is_measured_on_its_contours():
    gt = np.zeros((20, 20, 1), np.uint8)
    gt[5:15, 5:15, 0] = 2
    pred = np.zeros_like(gt)
    pred[6:15, 5:15, 0] = 2
    got = structure_surfaces(gt, pred, {2: (2,)}, spacing=(0.5, 0.5, 1.0))[2]
    ref = surface_distances(gt[..., 0] == 2, pred[..., 0] == 2, spacing=(0.5, 0.5))
    for key in ("hd", "hd95", "assd", "nsd"):
        assert got[key] == pytest.approx(ref[key], abs=1e-12), key


@pytest.mark.parametrize("slab", [1, 1 << 22])
def test_labels_and_regions_of_label_maps_match_medpy_on_their_masks(slab, monkeypatch):
    # Each structure's masks are made slab by slab inside its own boxes; the
    # numbers must be medpy's on the whole-volume binary masks.
    import medpy.metric.binary as mb

    from dicegui.core import surface

    monkeypatch.setattr(surface, "_BORDER_SLAB", slab)
    rng = np.random.default_rng(7)
    shape = (18, 22, 16)
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    gt, pred = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
    for lab, centre, r in ((1, (5, 6, 8), 4), (2, (12, 14, 7), 5), (3, (13, 5, 4), 3)):
        for arr, jitter in ((gt, 0), (pred, 1)):
            c = np.array(centre) + rng.integers(-jitter, jitter + 1, 3)
            arr[sum((g - ci) ** 2 for g, ci in zip(grids, c)) <= r * r] = lab
    pred[0, 0, 0] = 3  # a far island: the structure's box in pred is far larger than in gt
    spacing = (1.2, 0.7, 2.0)
    got = structure_surfaces(gt, pred, {1: (1,), 3: (3,), "TC": (2, 3)}, spacing=spacing, tolerances=1.5)
    for key, members in ((1, (1,)), (3, (3,)), ("TC", (2, 3))):
        g, p = np.isin(gt, members), np.isin(pred, members)
        assert got[key]["hd"] == pytest.approx(mb.hd(p, g, spacing, 1), rel=1e-12), key
        assert got[key]["assd"] == pytest.approx(mb.assd(p, g, spacing, 1), rel=1e-12), key
        assert got[key]["hd95_pooled"] == pytest.approx(mb.hd95(p, g, spacing, 1), rel=1e-12), key
