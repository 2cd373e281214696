"""Tests for dicegui.core.surface against medpy, brute force and hand-worked cases.

References
----------
* medpy.metric.binary ``hd``, ``assd`` (connectivity=1) for ``hd``, ``assd``;
  ``hd95`` for ``hd95_pooled``; its private ``__surface_distances`` (the
  directed distances) for ``hd95`` (max of directed 95th percentiles) and
  ``nsd``. medpy's border is ``mask ^ binary_erosion(mask, cross)`` with
  scipy's default ``border_value=0``, i.e. the same definition as ours,
  image edge included, so no hand-built reference is needed at the edge.
  Edge-touching cases are nevertheless also checked against a reference
  built independently: border from an explicitly zero-padded array and
  distances by brute force over all border pairs (no EDT involved).
* medpy computes on the full image; we crop, so these comparisons also
  check that cropping changes nothing.
* surface.py finds nearest border voxels either with scipy's feature
  transform or with a k-d tree, chosen by cost; the ``method`` fixture runs
  the comparisons with the choice left automatic and with each method forced.
"""
import math

import medpy.metric.binary as mb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage as ndi
from scipy.spatial.distance import cdist

from dicegui.core import surface
from dicegui.core.surface import (
    SURFACE_KEYS,
    HausdorffPair,
    directed_distances,
    hd_pair,
    surface_distances,
)

medpy_directed = getattr(mb, "__surface_distances")


# ----------------------------------------------------------------- helpers

def brute_border(mask):
    """Border by explicit zero padding (the image edge is background outside)."""
    m = np.pad(np.asarray(mask) != 0, 1)
    core = ndi.binary_erosion(m, ndi.generate_binary_structure(m.ndim, 1))
    inner = tuple(slice(1, -1) for _ in range(m.ndim))
    return (m ^ core)[inner]


def brute_directed(a, b, spacing):
    """Directed distances by comparing every pair of border voxels."""
    pa = np.argwhere(brute_border(a)) * np.asarray(spacing, float)
    pb = np.argwhere(brute_border(b)) * np.asarray(spacing, float)
    return cdist(pa, pb).min(axis=1)


def make_mask(rng, shape, kind):
    ndim = len(shape)
    grid = np.indices(shape, dtype=float)
    if kind == "ellipsoid":
        # centre may lie near or beyond the image edge, so masks get clipped
        centre = [rng.uniform(-0.2, 1.2) * n for n in shape]
        radii = [rng.uniform(0.2, 0.7) * n for n in shape]
        return sum(((grid[i] - centre[i]) / radii[i]) ** 2 for i in range(ndim)) <= 1
    if kind == "box":
        lo = [rng.integers(0, n) for n in shape]
        hi = [rng.integers(l + 1, n + 1) for l, n in zip(lo, shape)]
        m = np.zeros(shape, bool)
        m[tuple(slice(l, h) for l, h in zip(lo, hi))] = True
        return m
    if kind == "blobs":
        noise = ndi.gaussian_filter(rng.normal(size=shape), 1.5)
        return noise > np.quantile(noise, rng.uniform(0.5, 0.9))
    if kind == "speckle":
        return rng.random(shape) < rng.uniform(0.05, 0.4)
    if kind == "single":
        m = np.zeros(shape, bool)
        m[tuple(rng.integers(0, n) for n in shape)] = True
        return m
    if kind == "full":
        return np.ones(shape, bool)
    raise AssertionError(kind)


KINDS = ("ellipsoid", "box", "blobs", "speckle", "single", "full")
DTYPES = (np.bool_, np.uint8, np.int16, np.float32)


def as_dtype(mask, dtype, rng):
    if dtype is np.bool_:
        return mask
    if dtype is np.float32:
        # any nonzero is foreground, negative and fractional values included
        values = rng.choice(np.array([0.7, -2.0, 3.5], np.float32), size=mask.shape)
        return np.where(mask, values, np.float32(0))
    return mask.astype(dtype) * dtype(rng.integers(1, 5))


def generated_case(seed):
    rng = np.random.default_rng(seed)
    ndim = 2 if seed % 2 else 3
    shape = tuple(int(n) for n in rng.integers(6, 40 if ndim == 2 else 18, size=ndim))
    spacing = None if seed % 5 == 0 else tuple(float(s) for s in rng.uniform(0.4, 3.0, ndim))
    masks = []
    for _ in range(2):
        mask = np.zeros(shape, bool)
        while not mask.any():
            mask = make_mask(rng, shape, KINDS[rng.integers(len(KINDS))])
        masks.append(as_dtype(mask, DTYPES[rng.integers(len(DTYPES))], rng))
    return masks[0], masks[1], spacing


@pytest.fixture(params=["auto", "edt", "kdtree"])
def method(request, monkeypatch):
    """Force the nearest-voxel method (the cost weight decides which is used)."""
    if request.param == "edt":
        monkeypatch.setattr(surface, "_KDTREE_COST", float("inf"))
    elif request.param == "kdtree":
        monkeypatch.setattr(surface, "_KDTREE_COST", 0)
    return request.param


# ------------------------------------------------- medpy, many generated cases

@pytest.mark.parametrize("seed", range(80))
def test_matches_medpy_on_generated_cases(seed, method):
    gt, pred, spacing = generated_case(seed)
    tol = 1.0 if spacing is None else 1.5 * min(spacing)
    ours = surface_distances(gt, pred, spacing=spacing, tolerance=tol)
    assert set(ours) == set(SURFACE_KEYS)

    # medpy's argument order is (result, reference) = (pred, gt)
    exact = dict(rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours["hd"], mb.hd(pred, gt, spacing, 1), **exact)
    np.testing.assert_allclose(ours["assd"], mb.assd(pred, gt, spacing, 1), **exact)
    np.testing.assert_allclose(ours["hd95_pooled"], mb.hd95(pred, gt, spacing, 1), **exact)

    g = medpy_directed(gt, pred, spacing, 1)
    p = medpy_directed(pred, gt, spacing, 1)
    hd95 = max(np.percentile(g, 95), np.percentile(p, 95))
    nsd = (np.sum(g <= tol) + np.sum(p <= tol)) / (g.size + p.size)
    np.testing.assert_allclose(ours["hd95"], hd95, **exact)
    np.testing.assert_allclose(ours["nsd"], nsd, **exact)

    # same values in the same (row-major border voxel) order as medpy
    np.testing.assert_allclose(directed_distances(gt, pred, spacing), g, **exact)
    np.testing.assert_allclose(directed_distances(pred, gt, spacing), p, **exact)



@pytest.mark.parametrize("slab", [1, 37])
@pytest.mark.parametrize("seed", range(0, 80, 7))
def test_borders_found_slab_by_slab_match_medpy(seed, slab, method, monkeypatch):
    # one plane (or a few) at a time: a slab's border must see the planes next to it
    monkeypatch.setattr(surface, "_BORDER_SLAB", slab)
    gt, pred, spacing = generated_case(seed)
    exact = dict(rtol=1e-12, atol=0)
    np.testing.assert_allclose(directed_distances(gt, pred, spacing), medpy_directed(gt, pred, spacing, 1), **exact)
    np.testing.assert_allclose(directed_distances(pred, gt, spacing), medpy_directed(pred, gt, spacing, 1), **exact)
    np.testing.assert_allclose(surface_distances(gt, pred, spacing)["hd"], mb.hd(pred, gt, spacing, 1), **exact)


@pytest.mark.parametrize("seed", range(0, 80, 8))
def test_hd_pair_realises_hd_and_hd95(seed, method):
    gt, pred, spacing = generated_case(seed)
    s = np.ones(gt.ndim) if spacing is None else np.asarray(spacing)
    ref = surface_distances(gt, pred, spacing)
    bg, bp = brute_border(gt), brute_border(pred)
    for q, key in ((100, "hd"), (95, "hd95")):
        pair = hd_pair(gt, pred, spacing, percentile=q)
        assert isinstance(pair, HausdorffPair)
        np.testing.assert_allclose(pair.value, ref[key], rtol=1e-12)
        src_border, dst_border = (bg, bp) if pair.direction == "gt->pred" else (bp, bg)
        assert src_border[pair.source] and dst_border[pair.target]
        length = np.linalg.norm((np.subtract(pair.source, pair.target)) * s)
        np.testing.assert_allclose(pair.distance, length, rtol=1e-12)
        # target is the nearest border voxel of the other mask
        nearest = cdist([np.multiply(pair.source, s)], np.argwhere(dst_border) * s).min()
        np.testing.assert_allclose(pair.distance, nearest, rtol=1e-12)
        assert pair.distance >= pair.value * (1 - 1e-12)
    assert hd_pair(gt, pred, spacing).distance == pytest.approx(ref["hd"], rel=1e-12)


@pytest.mark.parametrize("spacing", [None, (1.5, 0.8, 0.8), (0.7, 0.7, 0.7), (2.0, 0.5, 0.5)])
def test_ties_match_medpy_to_the_last_bit(spacing, method):
    # Spheres on a grid with equal spacing on two or three axes have many
    # border voxels with several exactly-equally-near partners whose rounded
    # lengths differ in the last bit. The EDT method is bit-identical to
    # medpy by construction; the k-d tree picks the EDT's partner for two-way
    # ties but may differ by one unit in the last place (~1e-16 relative)
    # where three or more partners tie (seen here with spacing 0.7).
    s = np.ones(3) if spacing is None else np.asarray(spacing)
    z, y, x = np.ogrid[:40, :40, :40]
    r = 1.6 * s.min()
    gt = ((z - 20) * s[0]) ** 2 + ((y - 19) * s[1]) ** 2 + ((x - 21) * s[2]) ** 2 <= (11 * r) ** 2
    pred = ((z - 17) * s[0]) ** 2 + ((y - 23) * s[1]) ** 2 + ((x - 18) * s[2]) ** 2 <= (9 * r) ** 2
    # Without the tie handling the k-d tree differs from medpy at 4 and 55
    # voxels for the second and third spacing; with it, at most one voxel
    # per case, by one unit in the last place.
    allowed = 0 if method == "edt" else 1
    for a, b in ((gt, pred), (pred, gt)):
        ours = directed_distances(a, b, spacing)
        ref = medpy_directed(a, b, spacing, 1)
        assert ours.shape == ref.shape
        assert np.count_nonzero(ours != ref) <= allowed
        assert np.all(np.abs(ours - ref) <= np.spacing(ref))
    ours = surface_distances(gt, pred, spacing)
    if method == "edt":
        assert ours["hd"] == mb.hd(pred, gt, spacing, 1)
        assert ours["assd"] == mb.assd(pred, gt, spacing, 1)
    np.testing.assert_allclose(ours["hd"], mb.hd(pred, gt, spacing, 1), rtol=1e-15, atol=0)
    np.testing.assert_allclose(ours["assd"], mb.assd(pred, gt, spacing, 1), rtol=1e-15, atol=0)


def test_non_contiguous_views_match_medpy():
    # the GUI passes flipped/transposed views (canonical_view); no copy first
    gt, pred, spacing = generated_case(3)
    gt_v, pred_v = gt.T[::-1], pred.T[::-1]
    assert not gt_v.flags.c_contiguous
    spacing_v = None if spacing is None else spacing[::-1]
    ours = surface_distances(gt_v, pred_v, spacing_v)
    ref_g, ref_p = np.ascontiguousarray(gt_v), np.ascontiguousarray(pred_v)
    np.testing.assert_allclose(ours["hd"], mb.hd(ref_p, ref_g, spacing_v, 1), rtol=1e-12)
    np.testing.assert_allclose(ours["assd"], mb.assd(ref_p, ref_g, spacing_v, 1), rtol=1e-12)


def test_small_masks_far_apart_match_medpy(method):
    # Two small objects in opposite corners: the union box is the whole
    # volume, each object's own box is tiny; borders and distances must come
    # out as on the full image (medpy) and hd_pair in full-array indices.
    gt = np.zeros((30, 40, 50), np.uint8)
    pred = np.zeros((30, 40, 50), np.float32)
    gt[0:3, 1:4, 0:2] = 2          # touches three image faces
    gt[5, 6, 7] = 1                # a second, single-voxel component
    pred[26:30, 35:39, 46:50] = 0.5
    pred[29, 20, 49] = -1.0
    spacing = (1.5, 0.8, 0.7)
    ours = surface_distances(gt, pred, spacing)
    assert ours["hd"] == mb.hd(pred, gt, spacing, 1)
    assert ours["assd"] == mb.assd(pred, gt, spacing, 1)
    assert ours["hd95_pooled"] == mb.hd95(pred, gt, spacing, 1)
    g = medpy_directed(gt, pred, spacing, 1)
    p = medpy_directed(pred, gt, spacing, 1)
    np.testing.assert_array_equal(directed_distances(gt, pred, spacing), g)
    np.testing.assert_array_equal(directed_distances(pred, gt, spacing), p)
    assert ours["hd95"] == max(np.percentile(g, 95), np.percentile(p, 95))
    pair = hd_pair(gt, pred, spacing)
    assert pair.distance == ours["hd"]
    assert gt[pair.source] if pair.direction == "gt->pred" else pred[pair.source]
    offset = (np.subtract(pair.target, pair.source)) * np.asarray(spacing)
    assert math.sqrt(float(offset @ offset)) == pytest.approx(ours["hd"], rel=1e-15)


def test_an_axis_of_length_one_is_all_edge():
    # As documented (and as medpy does): along an axis of length 1 every
    # voxel touches the image edge, so a 2-D image stored as (rows, cols, 1)
    # has every foreground pixel on its border. Squeezing gives contours.
    gt = np.zeros((6, 7), bool)
    pred = np.zeros((6, 7), bool)
    gt[1:5, 1:5] = True
    pred[1:5, 2:6] = True
    flat = surface_distances(gt[:, :, None], pred[:, :, None])
    assert flat["assd"] == mb.assd(pred[:, :, None], gt[:, :, None], None, 1)
    # by hand, 2-D: 12 ring voxels each; gt->pred: the four of column 1 and
    # (2, 4), (3, 4) (inside pred) are 1 away, the other six 0; pred->gt is
    # the mirror image; assd = 12 / 24
    assert surface_distances(gt, pred)["assd"] == pytest.approx(12 / 24, rel=1e-15)
    assert flat["assd"] != pytest.approx(12 / 24)
    assert directed_distances(gt[:, :, None], pred[:, :, None]).size == 16


# ----------------------------------------------- image edge, brute-force reference

EDGE_CASES = {
    # 2-D masks touching one, two and all four image edges
    "left strip vs centre box": (
        np.pad(np.ones((7, 2), bool), ((0, 0), (0, 5))),
        np.pad(np.ones((3, 3), bool), 2),
        (1.0, 2.5),
    ),
    "corner block vs full image": (
        np.pad(np.ones((3, 4), bool), ((0, 4), (0, 2))),
        np.ones((7, 6), bool),
        (0.5, 1.25),
    ),
    "3-D slab through the volume vs corner voxel": (
        np.pad(np.ones((5, 2, 6), bool), ((0, 0), (2, 2), (0, 0))),
        np.pad(np.ones((1, 1, 1), bool), ((0, 4), (0, 5), (5, 0))),
        (2.0, 0.7, 0.9),
    ),
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_touching_masks_match_brute_force(name, method):
    gt, pred, spacing = EDGE_CASES[name]
    g = brute_directed(gt, pred, spacing)
    p = brute_directed(pred, gt, spacing)
    np.testing.assert_allclose(np.sort(directed_distances(gt, pred, spacing)), np.sort(g), rtol=1e-12)
    np.testing.assert_allclose(np.sort(directed_distances(pred, gt, spacing)), np.sort(p), rtol=1e-12)
    ours = surface_distances(gt, pred, spacing)
    np.testing.assert_allclose(ours["hd"], max(g.max(), p.max()), rtol=1e-12)
    np.testing.assert_allclose(ours["assd"], np.concatenate([g, p]).mean(), rtol=1e-12)


def test_image_edge_counts_as_boundary():
    # a mask filling the whole image: its border is the outer ring, written out
    full = np.ones((4, 5), bool)
    ring = np.array([
        [1, 1, 1, 1, 1],
        [1, 0, 0, 0, 1],
        [1, 0, 0, 0, 1],
        [1, 1, 1, 1, 1],
    ], bool)
    point = np.zeros((4, 5), bool)
    point[1, 2] = True
    d = directed_distances(full, point)
    assert d.size == ring.sum() == 14
    # row-major ring voxels (r, c) to (1, 2)
    expected = [math.hypot(r - 1, c - 2) for r, c in np.argwhere(ring)]
    np.testing.assert_allclose(d, expected, rtol=1e-15)


# ------------------------------------------------------------ hand-worked cases

def test_two_single_voxels_with_spacing():
    gt = np.zeros((6, 4, 9), np.uint8)
    pred = np.zeros((6, 4, 9), np.float32)
    gt[1, 2, 3] = 1
    pred[4, 0, 7] = 0.25
    spacing = (2.0, 0.5, 1.5)
    # sqrt((3*2)^2 + (2*0.5)^2 + (4*1.5)^2) = sqrt(36 + 1 + 36)
    d = math.sqrt(73.0)
    r = surface_distances(gt, pred, spacing, tolerance=8.5)
    for key in ("hd", "hd95", "assd", "hd95_pooled"):
        assert r[key] == pytest.approx(d, rel=1e-15)
    assert r["nsd"] == 0.0
    assert surface_distances(gt, pred, spacing, tolerance=8.55)["nsd"] == 1.0
    pair = hd_pair(gt, pred, spacing)
    assert pair.source == (1, 2, 3) and pair.target == (4, 0, 7)
    assert pair.direction == "gt->pred" and pair.distance == pytest.approx(d, rel=1e-15)


def test_shifted_square():
    # 3x3 squares, the second one column to the right. Border of each: the 8
    # ring voxels. gt->pred row-major: (1,1)=1 (1,2)=0 (1,3)=0 (2,1)=1 (2,3)=1
    # (3,1)=1 (3,2)=0 (3,3)=0; pred->gt is the mirror image.
    gt = np.zeros((6, 6), bool)
    pred = np.zeros((6, 6), bool)
    gt[1:4, 1:4] = True
    pred[1:4, 2:5] = True
    np.testing.assert_array_equal(directed_distances(gt, pred), [1, 0, 0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(directed_distances(pred, gt), [0, 0, 1, 1, 1, 0, 0, 1])
    r = surface_distances(gt, pred, tolerance=0.5)
    assert r["hd"] == 1.0 and r["assd"] == 0.5 and r["nsd"] == 0.5
    # sorted [0,0,0,0,1,1,1,1]: position 0.95*7 = 6.65 lies between two ones
    assert r["hd95"] == 1.0 and r["hd95_pooled"] == 1.0
    assert surface_distances(gt, pred, tolerance=1.0)["nsd"] == 1.0


def test_hd95_and_pooled_differ_as_documented():
    # gt: a 20-voxel line; pred: its first half. Every voxel is border.
    gt = np.zeros((3, 20), bool)
    pred = np.zeros((3, 20), bool)
    gt[0, :] = True
    pred[0, :10] = True
    # gt->pred: ten 0s then 1..10; pred->gt: ten 0s.
    # hd95 (directed): position 0.95*19 = 18.05 between 9 and 10 -> 9.05
    # pooled: 20 zeros + 1..10, position 0.95*29 = 27.55 between 8 and 9 -> 8.55
    # assd: (1+...+10) / 30 = 55/30; nsd at tol 1: (11 + 10) / 30
    r = surface_distances(gt, pred, tolerance=1.0)
    assert r["hd"] == 10.0
    assert r["hd95"] == pytest.approx(9.05, rel=1e-12)
    assert r["hd95_pooled"] == pytest.approx(8.55, rel=1e-12)
    assert r["assd"] == pytest.approx(55 / 30, rel=1e-12)
    assert r["nsd"] == pytest.approx(21 / 30, rel=1e-15)
    pair = hd_pair(gt, pred, percentile=95)
    # value 9.05 is not a voxel distance: the shown segment is the 10-long one
    assert pair.value == pytest.approx(9.05) and pair.distance == 10.0
    assert pair.source == (0, 19) and pair.target == (0, 9) and pair.direction == "gt->pred"


# ------------------------------------------------------------------ empty masks

@pytest.mark.parametrize("shape", [(5, 7), (4, 5, 6)])
def test_empty_mask_conventions(shape):
    empty = np.zeros(shape, np.uint8)
    some = np.zeros(shape, bool)
    some[(1,) * len(shape)] = True
    inf = float("inf")
    one_empty = {"hd": inf, "hd95": inf, "assd": inf, "nsd": 0.0, "hd95_pooled": inf}
    assert surface_distances(empty, some) == one_empty
    assert surface_distances(some, empty) == one_empty
    assert surface_distances(empty, empty) == {
        "hd": 0.0, "hd95": 0.0, "assd": 0.0, "nsd": 1.0, "hd95_pooled": 0.0,
    }
    assert directed_distances(empty, some).shape == (0,)
    np.testing.assert_array_equal(directed_distances(some, empty), [inf])
    assert hd_pair(empty, some) is None and hd_pair(empty, empty) is None


# ------------------------------------------------------------------ bad input

def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        surface_distances(np.zeros((3, 4)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 4, 1\)"):
        directed_distances(np.zeros((3, 4)), np.zeros((3, 4, 1)))


@pytest.mark.parametrize("spacing", [(1.0,), (1.0, 1.0, 1.0), (1.0, 0.0), (1.0, -2.0),
                                     (1.0, float("nan")), (1.0, float("inf")), 2.0, ("a", "b")])
def test_bad_spacing(spacing):
    m = np.ones((3, 4), bool)
    with pytest.raises(ValueError, match="spacing"):
        surface_distances(m, m, spacing)


@pytest.mark.parametrize("bad", [
    np.array([[0, 1], [1, 0]], dtype=object),
    np.array([["", "a"], ["b", ""]]),
    np.array([[0, 1], [1, 0]], dtype="datetime64[s]"),
])
def test_non_numbers_are_refused(bad):
    ok = np.array([[0, 1], [1, 1]], bool)
    for a, b in ((bad, ok), (ok, bad)):
        with pytest.raises(ValueError, match="numbers"):
            surface_distances(a, b)
        with pytest.raises(ValueError, match="numbers"):
            directed_distances(a, b)
        with pytest.raises(ValueError, match="numbers"):
            hd_pair(a, b)


def test_bad_tolerance_and_percentile_and_scalars():
    m = np.ones((3, 4), bool)
    for bad in (None, "near", np.array([1.0, 2.0])):
        with pytest.raises(ValueError, match="tolerance"):
            surface_distances(m, m, tolerance=bad)
    with pytest.raises(ValueError, match="percentile"):
        hd_pair(m, m, percentile=None)
    with pytest.raises(ValueError, match="tolerance"):
        surface_distances(m, m, tolerance=-1)
    with pytest.raises(ValueError, match="tolerance"):
        surface_distances(m, m, tolerance=float("nan"))
    with pytest.raises(ValueError, match="percentile"):
        hd_pair(m, m, percentile=101)
    with pytest.raises(ValueError, match="at least one axis"):
        surface_distances(np.array(1), np.array(1))


# ------------------------------------------------------------------ properties

@st.composite
def mask_pairs(draw):
    ndim = draw(st.sampled_from([2, 3]))
    side = 32 if ndim == 2 else 10
    shape = tuple(draw(st.lists(st.integers(1, side), min_size=ndim, max_size=ndim)))
    a = draw(arrays(np.bool_, shape))
    b = draw(arrays(np.bool_, shape))
    spacing = tuple(draw(st.lists(st.floats(0.3, 3.0), min_size=ndim, max_size=ndim)))
    tol = draw(st.floats(0.0, 4.0))
    return a, b, spacing, tol


PROPS = settings(max_examples=50, deadline=None)


@PROPS
@given(mask_pairs())
def test_symmetric_under_swap(case):
    a, b, spacing, tol = case
    ab = surface_distances(a, b, spacing, tol)
    ba = surface_distances(b, a, spacing, tol)
    for key in ("hd", "hd95", "nsd", "hd95_pooled"):
        assert ab[key] == ba[key]
    # pooled mean: same values, different summation order
    assert ab["assd"] == pytest.approx(ba["assd"], rel=1e-12)


@PROPS
@given(mask_pairs())
def test_bounds(case):
    a, b, spacing, tol = case
    r = surface_distances(a, b, spacing, tol)
    assert r["hd"] >= r["hd95"] >= 0
    assert r["hd"] >= r["hd95_pooled"] >= 0
    assert r["assd"] >= 0 and r["assd"] <= r["hd"] * (1 + 1e-12)
    assert 0.0 <= r["nsd"] <= 1.0


@PROPS
@given(mask_pairs())
def test_identical_masks(case):
    a, _, spacing, tol = case
    r = surface_distances(a, a.astype(np.float32), spacing, tol)
    assert r == {"hd": 0.0, "hd95": 0.0, "assd": 0.0, "nsd": 1.0, "hd95_pooled": 0.0}


@pytest.mark.parametrize("kdtree_cost", [surface._KDTREE_COST, 0, float("inf")])
@PROPS
@given(mask_pairs())
def test_directed_matches_brute_force(kdtree_cost, case):
    # kdtree_cost: automatic choice, k-d tree forced, EDT forced
    a, b, spacing, _ = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(surface, "_KDTREE_COST", kdtree_cost)
        d = directed_distances(a, b, spacing)
    if not a.any():
        assert d.size == 0
    elif not b.any():
        assert np.all(np.isinf(d)) and d.size == brute_border(a).sum()
    else:
        # argwhere and the border mask are both row-major: same order
        np.testing.assert_allclose(d, brute_directed(a, b, spacing), rtol=1e-12)


def test_hd_ties_of_a_shifted_cube_are_its_whole_face():
    # worked by hand: a 10-voxel cube (5..14) and the same cube 3 voxels further along axis 0 (8..17).
    # The reference's face at x=5 is 3 from the prediction's face at x=8 (100 voxels). Its face at
    # x=14 lies inside the prediction, whose border there is the side faces y, z = 5 or 14: the
    # voxels with 8 <= y, z <= 11 are 3 from them (16 voxels). Every other border voxel is nearer.
    gt = np.zeros((24, 20, 20), bool)
    gt[5:15, 5:15, 5:15] = True
    pred = np.roll(gt, 3, axis=0)
    pairs, count = surface.hd_ties(gt, pred, percentile=100, limit=500)
    assert count == 116 and len(pairs) == 116
    assert pairs[0] == surface.hd_pair(gt, pred, percentile=100)
    face = {(5, y, z) for y in range(5, 15) for z in range(5, 15)}
    buried = {(14, y, z) for y in range(8, 12) for z in range(8, 12)}
    assert {p.source for p in pairs} == face | buried
    assert all(p.distance == 3.0 for p in pairs)
    assert all(p.target == (8, p.source[1], p.source[2]) for p in pairs if p.source in face)
    assert [p.source for p in pairs[1:]] == sorted(p.source for p in pairs[1:])  # row-major after the first
    few, count = surface.hd_ties(gt, pred, percentile=100, limit=7)
    assert count == 116 and few == pairs[:7]
    assert surface.hd_ties(gt, np.zeros_like(gt)) is None


@pytest.mark.parametrize("seed", range(4))
def test_hd_ties_are_all_border_voxels_at_the_shown_distance(seed):
    # brute force: every directed distance by cdist over the border voxels, as in the hd_pair tests
    rng = np.random.default_rng(seed)
    gt = ndi.binary_opening(rng.random((18, 16, 14)) > 0.55)
    pred = ndi.binary_opening(rng.random((18, 16, 14)) > 0.55)
    spacing = (1.0, 0.8, 2.5)
    pairs, count = surface.hd_ties(gt, pred, spacing=spacing, percentile=95, limit=10**6)
    shown = surface.hd_pair(gt, pred, spacing=spacing, percentile=95)
    src_mask, dst_mask = (gt, pred) if shown.direction == "gt->pred" else (pred, gt)
    src = np.argwhere(src_mask & ~ndi.binary_erosion(src_mask, border_value=0))
    dst = np.argwhere(dst_mask & ~ndi.binary_erosion(dst_mask, border_value=0))
    d = cdist(src * spacing, dst * spacing).min(axis=1)
    expected = {tuple(map(int, v)) for v in src[np.isclose(d, shown.distance, rtol=1e-9, atol=0)]}
    assert pairs[0] == shown and count == len(pairs) == len(expected)
    assert {p.source for p in pairs} == expected
