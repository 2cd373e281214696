"""Display geometry and window/level helpers (dicegui.core.display)."""
from __future__ import annotations

import itertools

import nibabel as nib
import numpy as np
import pytest

from dicegui.core import display as d


def _signed_permutation_affines():
    """All 48 axis orders and directions, with anisotropic spacing and an offset."""
    spacing = np.array([0.7, 1.3, 2.9])
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            a = np.zeros((4, 4))
            for file_axis, world_axis in enumerate(perm):
                a[world_axis, file_axis] = signs[file_axis] * spacing[file_axis]
            a[:3, 3] = (-40.0, 12.5, 7.0)
            a[3, 3] = 1
            yield a


@pytest.mark.parametrize("affine", list(_signed_permutation_affines()))
def test_view_grid_matches_nibabel_closest_canonical(affine):
    data = np.arange(3 * 4 * 5, dtype=np.int32).reshape(3, 4, 5)
    grid = d.ViewGrid.for_array(data, affine)
    view = grid.view(data)
    # independent reference: nibabel's own reorientation
    ref = nib.as_closest_canonical(nib.Nifti1Image(data, affine))
    np.testing.assert_array_equal(view, np.asarray(ref.dataobj))
    np.testing.assert_allclose(grid.affine, ref.affine, atol=1e-9)
    assert np.shares_memory(view, data)
    # index maps: view voxel ↔ file voxel, and mm from the *file* affine
    for ijk in [(0, 0, 0), (1, 2, 2), tuple(s - 1 for s in grid.shape)]:
        fi = grid.to_file_index(ijk)
        assert view[ijk] == data[fi]
        assert grid.from_file_index(fi) == tuple(ijk)
        np.testing.assert_allclose(grid.to_mm(ijk), (affine @ np.array([*fi, 1.0]))[:3])


@pytest.mark.parametrize("plane", list(d.PLANES.values()) + [d.IMAGE_PLANE])
def test_plane_image_and_pixel_maps_agree(plane):
    arr = np.random.default_rng(1).integers(0, 1000, size=(4, 5, 6))
    for index in range(arr.shape[plane.axis]):
        img = d.plane_image(arr, plane, index)
        assert img.shape == d.plane_shape(plane, arr.shape)
        for r in range(img.shape[0]):
            for c in range(img.shape[1]):
                ijk = d.plane_to_voxel(plane, index, r, c, arr.shape)
                assert img[r, c] == arr[ijk]
                assert d.voxel_to_plane(plane, ijk, arr.shape) == (index, r, c)


def test_radiological_orientation_of_a_ras_marker():
    """In RAS view order, the right-anterior-superior corner is the last voxel of every axis."""
    arr = np.zeros((6, 7, 8))
    arr[5, 6, 7] = 1  # patient right, anterior, superior
    axial = d.plane_image(arr, d.PLANES["axial"], 7)
    coronal = d.plane_image(arr, d.PLANES["coronal"], 6)
    sagittal = d.plane_image(arr, d.PLANES["sagittal"], 5)
    assert axial[0, 0] == 1     # right on screen left, anterior at the top
    assert coronal[0, 0] == 1   # right on screen left, superior at the top
    assert sagittal[0, 0] == 1  # anterior on screen left, superior at the top
    assert d.PLANES["axial"].edges == ("A", "P", "R", "L")
    assert d.PLANES["coronal"].edges == ("S", "I", "R", "L")
    assert d.PLANES["sagittal"].edges == ("S", "I", "A", "P")


def test_lps_file_marker_lands_top_left_in_axial():
    # LPS-stored file (DICOM-like): file i runs to patient Left, j Posterior, k Superior
    affine = np.diag([-0.8, -0.8, 2.5, 1.0])
    data = np.zeros((5, 6, 4))
    data[0, 0, 3] = 1  # smallest i = most right, smallest j = most anterior, top slice
    grid = d.ViewGrid.for_array(data, affine)
    view = grid.view(data)
    _, row, col = d.voxel_to_plane(d.PLANES["axial"], grid.from_file_index((0, 0, 3)), grid.shape)
    assert (row, col) == (0, 0)
    assert d.plane_image(view, d.PLANES["axial"], 3)[0, 0] == 1
    assert d.plane_spacing(d.PLANES["coronal"], grid.spacing) == (2.5, 0.8)


def test_two_d_grid_is_file_order():
    data = np.arange(12).reshape(3, 4, 1)
    grid = d.ViewGrid.for_array(data, np.diag([-1.0, -1.0, 1.0, 1.0]), is_2d=True)
    assert grid.planes == (d.IMAGE_PLANE,)
    np.testing.assert_array_equal(d.plane_image(grid.view(data), d.IMAGE_PLANE, 0), data[:, :, 0])


def test_view_rejects_other_shapes():
    grid = d.ViewGrid.identity((2, 3, 4))
    with pytest.raises(ValueError, match="does not fit"):
        grid.view(np.zeros((2, 3, 5)))


def test_best_slice():
    assert d.best_slice([0, 5, 2, 5, 0]) == 1 or d.best_slice([0, 5, 2, 5, 0]) == 3
    assert d.best_slice([0, 5, 2, 5, 0, 0, 0]) == 3  # tie: nearest the middle (index 3)
    assert d.best_slice([0, 0, 0], [1, 9, 2]) == 1   # no disagreement: most foreground
    assert d.best_slice([0, 0, 0, 0], [0, 0, 0, 0]) == 1  # nothing at all: the middle
    with pytest.raises(ValueError):
        d.best_slice([])


def test_foreground_per_slice():
    m = np.zeros((3, 4, 5), bool)
    m[1, :2, :] = True
    np.testing.assert_array_equal(d.foreground_per_slice(m, 0), [0, 10, 0])
    np.testing.assert_array_equal(d.foreground_per_slice(m, 2), [2, 2, 2, 2, 2])


def test_voxel_volume_ml():
    assert d.voxel_volume_ml(np.diag([3.0, 3.0, 3.0, 1.0])) == pytest.approx(0.027)
    assert d.voxel_volume_ml(np.diag([-0.5, 0.5, 2.0, 1.0])) == pytest.approx(0.0005)


def test_windows():
    ct = np.concatenate([np.full(500, -1000.0), np.linspace(-100, 300, 1000), np.full(20, 1200.0)])
    assert d.looks_like_ct(ct)
    assert d.default_window(ct) == ("CT soft tissue", (400.0, 40.0))
    mr = np.linspace(0, 900, 1001)
    assert not d.looks_like_ct(mr)
    name, (w, lvl) = d.default_window(mr)
    lo, hi = np.percentile(mr, [1, 99])
    assert name == d.AUTO_PRESET and w == pytest.approx(hi - lo) and lvl == pytest.approx((hi + lo) / 2)
    assert d.levels(400, 40) == (-160.0, 240.0)
    assert d.window_from_percentiles(np.full(10, 7.0)) == (1.0, 7.5)


def test_sample_and_histogram():
    img = np.arange(200 * 200 * 30, dtype=np.int16).reshape(200, 200, 30)
    s = d.sample_voxels(img, max_samples=10_000)
    assert 1000 < s.size <= 20_000
    edges, counts = d.intensity_histogram(s, bins=16)
    assert len(edges) == len(counts) == 16 and counts.sum() == s.size


def test_display_overlay_and_demo_stay_qt_free():
    import subprocess
    import sys

    code = ("import sys, dicegui.core.display, dicegui.core.overlay, dicegui.core.demo as d; d.build_demo('totalseg'); "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_auto_window_ignores_a_constant_background():
    # 80 % of the voxels hold the fill value -4.76 (as in a z-scored BRATS scan);
    # the window must span the 1st-99th percentiles of the other voxels,
    # computed here with numpy on the tissue alone.
    rng = np.random.default_rng(0)
    tissue = rng.normal(0.0, 1.0, 2000)
    sample = np.concatenate([np.full(8000, -4.76), tissue])
    lo, hi = np.percentile(tissue, [1, 99])
    w, lvl = d.window_from_percentiles(sample)
    assert w == pytest.approx(hi - lo) and lvl == pytest.approx((hi + lo) / 2)
    name, (w2, lvl2) = d.default_window(sample)
    assert name == d.AUTO_PRESET and (w2, lvl2) == (w, lvl)
    # a minimum that is not a plateau (a few dark voxels) is kept
    ramp = np.linspace(0, 900, 1001)
    lo, hi = np.percentile(ramp, [1, 99])
    assert d.window_from_percentiles(ramp) == (pytest.approx(hi - lo), pytest.approx((hi + lo) / 2))
    # one tissue value on a background: the window spans background to tissue
    assert d.window_from_percentiles(np.concatenate([np.zeros(90), np.full(10, 5.0)])) == (5.0, 2.5)


def test_auto_window_on_a_real_zscored_brats_scan(shared_data):
    nib_img = nib.load(shared_data / "deepmedic_brats2013/test/brats_2013_pat0001_1/T1c_subtrMeanDivStd.nii.gz")
    image = np.asarray(nib_img.dataobj, dtype=np.float64)
    brain = image[image != image.min()]
    lo, hi = np.percentile(brain, [1, 99])
    w, lvl = d.window_from_percentiles(image.ravel())
    assert w == pytest.approx(hi - lo) and lvl == pytest.approx((hi + lo) / 2)
    assert d.levels(w, lvl)[1] > 3.0  # the brain's bright tail is not clipped at ~1.2 as before


def test_intensity_decimals():
    # about three significant digits of the width: written out by hand
    assert d.intensity_decimals(606) == 0 and d.intensity_decimals(400) == 0 and d.intensity_decimals(100) == 0
    assert d.intensity_decimals(99) == 1
    assert d.intensity_decimals(8.6) == 2
    assert d.intensity_decimals(0.5) == 3
    assert d.intensity_decimals(1e-6) == 4
    assert d.intensity_decimals(0) == 0 and d.intensity_decimals(float("nan")) == 0


def test_units_follow_whether_a_file_knows_its_voxel_size(tmp_path):
    from PIL import Image

    from dicegui.core.display import case_units, size_per_voxel, spacing_known
    from dicegui.core.io import load_volume

    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "m.png")
    np.save(tmp_path / "m.npy", np.zeros((4, 5, 3), np.uint8))
    np.savez(tmp_path / "s.npz", mask=np.zeros((4, 5, 3), np.uint8), spacing=np.array([0.5, 0.5, 2.0]))
    png, npy, npz = (load_volume(tmp_path / n) for n in ("m.png", "m.npy", "s.npz"))
    assert not spacing_known(png) and not spacing_known(npy) and spacing_known(npz)
    units = case_units([png, None, png], is_2d=True)
    assert (units.length, units.size) == ("px", "px²")
    assert case_units([npy], is_2d=False).size == "voxels"
    # a spacing anywhere in the case makes it physical: 0.5 × 0.5 × 2 mm = 0.5 mm³ = 0.0005 mL
    units = case_units([npy, npz], is_2d=False)
    assert (units.length, units.size) == ("mm", "mL")
    assert size_per_voxel(units, (0.5, 0.5, 2.0), np.diag([0.5, 0.5, 2.0, 1.0])) == pytest.approx(0.0005)
    assert size_per_voxel(case_units([png], True), (1.0, 1.0, 1.0), np.eye(4)) == 1.0
    # arrays without files (tests, demos built in memory) keep the affine's millimetres
    assert case_units([], is_2d=True).size == "mm²"


def test_window_text_stays_short_for_huge_values():
    assert d.window_text(-160, 240) == "W 400  L 40"
    assert d.window_text(-0.5, 3.5, bounds=True) == "W 4.00  L 1.50  (-0.50 … 3.50)"
    huge = d.window_text(-3e38, 3e38, bounds=True)
    assert huge == "W 6e+38  L 0  (-3e+38 … 3e+38)" and len(huge) < 40
    assert d.window_text(0, float("inf")) == "W inf  L inf"


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("plane", sorted(d.PLANES))
def test_gather_slice_copies_any_view_into_c_order(order, plane):
    volume = np.asarray(np.arange(7 * 5 * 6, dtype=np.int16).reshape(7, 5, 6), order=order)
    for index in (0, 2):
        view = d.plane_image(volume, d.PLANES[plane], index)
        got = d.gather_slice(view)
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, np.array(view.tolist(), dtype=np.int16))
    contiguous = np.ascontiguousarray(view)
    assert d.gather_slice(contiguous) is contiguous  # nothing to gather
