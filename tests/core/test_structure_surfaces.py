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
