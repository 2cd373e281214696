"""Error regions' voxels (``mask``, ``index``, ``focus_voxel``) against scipy components, and their memory.

The regions keep only the flat indices of their own voxels (grouped by
region, :class:`dicegui.core.regions._RegionVoxels`). Every region's voxels
are compared here with the connected component ``scipy.ndimage.label``
finds in the error mask computed in the test, matched by the component's
first voxel in scan order: each component must be exactly one region.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from dicegui.core.live import LiveScore
from dicegui.core.regions import StaleRegionError, error_regions, fix_region


def error_masks(gt, pred, label=None, swaps=False) -> dict:
    """Each kind's error mask, written out from the definitions."""
    if label is None:
        g, p = gt != 0, pred != 0
    else:
        g, p = gt == label, pred == label
    out = {"FN": g & ~p, "FP": p & ~g}
    if swaps and label is None:
        out["swap"] = g & p & (gt != pred)
    return out


def scipy_components(errors: np.ndarray, connectivity: int) -> dict:
    """``{first voxel in scan order: (box, coordinates, mask in the box)}`` of every component."""
    structure = ndimage.generate_binary_structure(errors.ndim, connectivity)
    labels, n = ndimage.label(errors, structure=structure)
    out = {}
    for j, box in enumerate(ndimage.find_objects(labels), start=1):
        inside = labels[box] == j
        coords = tuple(c + s.start for c, s in zip(np.nonzero(inside), box))
        out[tuple(int(c[0]) for c in coords)] = (box, coords, inside)
    assert len(out) == n
    return out


def assert_regions_are_the_components(regions, masks, connectivity):
    for kind, errors in masks.items():
        want = scipy_components(errors, connectivity)
        ours = [r for r in regions if r.kind == kind]
        got = {}
        for r in ours:
            index = r.index()
            got[tuple(int(c[0]) for c in index)] = r
        assert len(got) == len(ours) == len(want)
        assert got.keys() == want.keys()
        for first, r in got.items():
            box, coords, inside = want[first]
            assert r.box == box
            index = r.index()
            assert all(np.array_equal(a, b) for a, b in zip(index, coords))  # same voxels, C order
            assert all(a.dtype == np.intp for a in index)
            mask = r.mask()
            assert mask.dtype == np.bool_ and np.array_equal(mask, inside)
            focus = r.focus_voxel()
            assert errors[focus] and inside[tuple(f - s.start for f, s in zip(focus, box))]
            # the voxel nearest the centroid (first such in scan order)
            d2 = sum((c - m) ** 2 for c, m in zip(coords, r.centroid))
            assert focus == tuple(int(c[np.argmin(d2)]) for c in coords)


def random_masks(rng, shape, labels=(1,), smooth=2, level=0.55):
    """Two smooth random label maps that overlap in part."""
    out = []
    for _ in range(2):
        field = ndimage.uniform_filter(rng.random(shape), smooth)
        m = np.zeros(shape, np.uint8)
        m[field > level] = rng.choice(labels, size=int((field > level).sum()))
        out.append(m)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("connectivity", [1, 3])
def test_nonzero_view_with_swaps_is_scipy_components(seed, connectivity):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(8, 30, size=3))
    gt, pred = random_masks(rng, shape, labels=(1, 2, 5))
    regions = error_regions(gt, pred, connectivity=connectivity, swaps=True)
    masks = error_masks(gt, pred, swaps=True)
    assert all(m.any() for m in masks.values())
    assert_regions_are_the_components(regions, masks, connectivity)


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("connectivity", [1, 3])
def test_label_view_is_scipy_components(seed, connectivity):
    rng = np.random.default_rng(seed)
    gt, pred = random_masks(rng, (17, 23, 19), labels=(1, 2, 3), level=0.5)
    regions = error_regions(gt, pred, connectivity=connectivity, label=2)
    masks = error_masks(gt, pred, label=2)
    assert all(m.any() for m in masks.values())
    assert_regions_are_the_components(regions, masks, connectivity)


def test_fortran_order_two_d_and_one_d_are_scipy_components():
    rng = np.random.default_rng(5)
    gt, pred = random_masks(rng, (21, 18, 25), labels=(1, 4))
    f_gt, f_pred = np.asfortranarray(gt), np.asfortranarray(pred)
    assert_regions_are_the_components(error_regions(f_gt, f_pred, swaps=True),
                                      error_masks(gt, pred, swaps=True), 1)
    gt2, pred2 = random_masks(rng, (60, 70), smooth=3)
    for conn in (1, 2):
        assert_regions_are_the_components(error_regions(gt2, pred2, connectivity=conn),
                                          error_masks(gt2, pred2), conn)
    gt1 = (rng.random(300) < 0.4).astype(np.uint8)
    pred1 = (rng.random(300) < 0.4).astype(np.uint8)
    assert_regions_are_the_components(error_regions(gt1, pred1), error_masks(gt1, pred1), 1)


@pytest.mark.parametrize("chunk", [7, 300])
def test_voxels_grouped_over_many_row_chunks(monkeypatch, chunk):
    # chunks of a few rows (or a part of one): every region's voxels gathered across chunks in scan order
    from dicegui.core import regions as regions_module

    monkeypatch.setattr(regions_module, "_MEASURE_CHUNK", chunk)
    rng = np.random.default_rng(6)
    gt, pred = random_masks(rng, (15, 20, 22), labels=(1, 3))
    for conn in (1, 3):
        assert_regions_are_the_components(error_regions(gt, pred, connectivity=conn, swaps=True),
                                          error_masks(gt, pred, swaps=True), conn)


def test_more_than_65535_regions_in_one_box():
    # 260 × 260 isolated voxels per plane: 67,600 FP regions and 67,600 swap
    # regions, more than a uint16 label holds; plus a 3-voxel FN region
    gt = np.zeros((3, 520, 520), np.uint8)
    pred = np.zeros_like(gt)
    pred[0, ::2, ::2] = 1
    gt[2, ::2, ::2] = 1
    pred[2, ::2, ::2] = 2
    gt[1, 5, 3:6] = 1
    regions = error_regions(gt, pred, swaps=True)
    kinds = [r.kind for r in regions]
    assert kinds.count("FP") == kinds.count("swap") == 260 * 260 and kinds.count("FN") == 1
    fn = regions[0]
    assert fn.kind == "FN" and [c.tolist() for c in fn.index()] == [[1, 1, 1], [5, 5, 5], [3, 4, 5]]
    assert np.array_equal(fn.mask(), np.ones((1, 1, 3), bool))
    # each lone voxel is its own region, at its own place; the last ones have ids above 65535
    for kind, plane in (("FP", 0), ("swap", 2)):
        got = sorted(tuple(int(c[0]) for c in r.index()) for r in regions if r.kind == kind)
        want = [(plane, y, x) for y in range(0, 520, 2) for x in range(0, 520, 2)]
        assert got == want
    swaps = [r for r in regions if r.kind == "swap"]
    assert all(r.pairs == ((1, 2, 1),) for r in swaps[-100:])
    last = max(swaps, key=lambda r: r.box[1].start * 520 + r.box[2].start)
    assert last.box == (slice(2, 3), slice(518, 519), slice(518, 519)) and last.mask().tolist() == [[[True]]]


def test_regions_hold_far_less_than_their_box():
    # gt a 100³ cube, pred the cube grown by one voxel on every side: one
    # false-positive shell of 102³ - 100³ = 61,208 voxels in a 102³ box
    # (1,061,208 voxels: the label array the regions used to keep)
    gt = np.zeros((120, 120, 120), np.uint8)
    gt[10:110, 10:110, 10:110] = 1
    pred = np.zeros_like(gt)
    pred[9:111, 9:111, 9:111] = 1
    regions = error_regions(gt, pred)
    assert [(r.kind, r.voxels) for r in regions] == [("FP", 61_208)]
    (shell,) = regions
    assert shell.box == (slice(9, 111),) * 3
    store = shell._voxels
    # 4 bytes per shell voxel and the offsets of the one region (2 × int64)
    assert store.nbytes == 4 * 61_208 + 2 * 8 == 244_848
    assert store.nbytes < 102 ** 3 / 4
    expected = np.ones((102, 102, 102), bool)
    expected[1:-1, 1:-1, 1:-1] = False
    assert np.array_equal(shell.mask(), expected)


def test_many_regions_share_one_store_per_kind_and_box():
    gt = np.zeros((4, 60, 60), np.uint8)
    pred = np.zeros_like(gt)
    pred[1, ::3, ::3] = 1  # 400 lone FP voxels
    gt[3, 10:20, 10:20] = 1  # one 100-voxel FN
    regions = error_regions(gt, pred)
    stores = {id(r._voxels): r._voxels for r in regions}
    assert len(stores) == 2
    # 4 bytes a voxel; region offsets: (regions + 1) × 8 bytes
    assert sorted(s.nbytes for s in stores.values()) == sorted([4 * 400 + 401 * 8, 4 * 100 + 2 * 8])


def test_regions_are_a_snapshot_of_the_listing():
    gt = np.zeros((5, 12, 12), np.uint8)
    gt[1:4, 2:6, 2:6] = 1
    pred = np.zeros_like(gt)
    pred[1:4, 2:6, 2:4] = 1
    live = LiveScore(gt, pred)
    (fn,) = error_regions(live.gt, live.pred)
    before = fn.mask().copy(), [c.copy() for c in fn.index()]
    live.pred[2, 3, 4] = 1  # the masks change after the listing
    assert np.array_equal(fn.mask(), before[0])
    assert all(np.array_equal(a, b) for a, b in zip(fn.index(), before[1]))
    with pytest.raises(StaleRegionError, match="1 of its 24 voxels"):
        fix_region(live, fn)
