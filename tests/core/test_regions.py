"""Error regions: components, sizes, places and Dice gains against independent references.

References: a hand-built case whose regions and gains are worked out below,
scipy.ndimage.label and scikit-image regionprops for components on random
data, and metrics.overlap / metrics.per_label recomputed after actually
fixing each region (through LiveScore, then undone bit for bit).
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage
from skimage import measure

from dicegui.core import metrics
from dicegui.core.edits import apply_delta, describe
from dicegui.core.live import LiveScore
from dicegui.core.regions import StaleRegionError, _difference_boxes, error_regions, fix_region


# ------------------------------------------------------------------ hand case
def hand_case():
    """gt: an 18-voxel block and one lone voxel; pred: the block minus its x=3
    face (FN, 6 voxels), the lone voxel missed (FN, 1), a 4-voxel FP patch and
    two FP voxels touching only along an edge (in-plane diagonal)."""
    gt = np.zeros((3, 8, 8), np.uint8)
    gt[0:2, 1:4, 1:4] = 1
    gt[2, 6, 6] = 1
    pred = np.zeros_like(gt)
    pred[0:2, 1:4, 1:3] = 1
    pred[0, 6:8, 0:2] = 1
    pred[2, 0, 6] = 1
    pred[2, 1, 7] = 1
    return gt, pred


# counts of the hand case: TP 12, FN 6 + 1, FP 4 + 1 + 1 -> Dice 24/37
BEFORE = 24 / 37


def test_hand_case_face_connectivity():
    gt, pred = hand_case()
    regions = error_regions(gt, pred, spacing=(2.0, 0.5, 0.5))
    got = [(r.kind, r.voxels) for r in regions]
    assert got == [("FN", 6), ("FP", 4), ("FN", 1), ("FP", 1), ("FP", 1)]

    fn6, fp4, fn1, fp_a, fp_b = regions
    # Dice after fixing each region alone, worked out by hand
    assert fn6.dice_after == 36 / 43   # TP 18, FP 6, FN 1
    assert fp4.dice_after == 24 / 33   # TP 12, FP 2, FN 7
    assert fn1.dice_after == 26 / 38   # TP 13, FP 6, FN 6
    assert fp_a.dice_after == 24 / 36  # TP 12, FP 5, FN 7
    for r in regions:
        assert r.dice_before == BEFORE
        assert r.dice_gain == r.dice_after - BEFORE

    assert fn6.box == (slice(0, 2), slice(1, 4), slice(3, 4))
    assert fn6.slice_range == ((0, 1), (1, 3), (3, 3))
    assert fn6.centroid == (0.5, 2.0, 3.0)
    assert fp4.box == (slice(0, 1), slice(6, 8), slice(0, 2))
    assert fp4.centroid == (0.0, 6.5, 0.5)
    assert fn1.centroid == (2.0, 6.0, 6.0)
    # equal gains: scan order, (2, 0, 6) before (2, 1, 7)
    assert (fp_a.centroid, fp_b.centroid) == ((2.0, 0.0, 6.0), (2.0, 1.0, 7.0))
    # 2 × 0.5 × 0.5 mm = 0.5 mm³ per voxel
    assert fn6.volume_ml == pytest.approx(6 * 0.5 / 1000)
    assert fp4.volume_ml == pytest.approx(4 * 0.5 / 1000)
    assert all(r.connectivity == 1 and r.label is None for r in regions)


def test_hand_case_full_connectivity_joins_the_diagonal_pair():
    gt, pred = hand_case()
    for conn in (2, 3):
        regions = error_regions(gt, pred, connectivity=conn)
        assert [(r.kind, r.voxels) for r in regions] == [("FN", 6), ("FP", 4), ("FP", 2), ("FN", 1)]
        assert regions[2].dice_after == 24 / 35
        assert regions[2].box == (slice(2, 3), slice(0, 2), slice(6, 8))


def test_no_spacing_gives_nan_volume_and_identical_masks_no_regions():
    gt, pred = hand_case()
    assert all(math.isnan(r.volume_ml) for r in error_regions(gt, pred))
    assert error_regions(gt, gt.copy()) == []
    assert error_regions(np.zeros((4, 4)), np.zeros((4, 4))) == []


def test_region_voxels_focus_and_description():
    gt, pred = hand_case()
    for r in error_regions(gt, pred):
        m = r.mask()
        assert m.shape == tuple(s.stop - s.start for s in r.box)
        assert int(m.sum()) == r.voxels
        idx = r.index()
        want = (pred & ~gt) if r.kind == "FP" else (gt & ~pred)
        assert want[idx].all()
        focus = r.focus_voxel()
        assert want[focus]
        assert focus in set(zip(*(c.tolist() for c in idx)))
    top = error_regions(gt, pred)[0]
    text = top.describe(1, "coronal")
    assert text.startswith("FN 6 voxels") and "coronal slices 1\u20133" in text and "+0.1886" in text


def test_limit_keeps_the_best():
    gt, pred = hand_case()
    full = error_regions(gt, pred)
    top = error_regions(gt, pred, limit=2)
    assert [(r.kind, r.voxels, r.dice_gain) for r in top] == [(r.kind, r.voxels, r.dice_gain) for r in full[:2]]
    assert error_regions(gt, pred, limit=0) == []


# ------------------------------------------------------------------ random data
def blobs(rng, shape, n, max_r=3):
    out = np.zeros(shape, bool)
    grid = np.indices(shape)
    for _ in range(n):
        c = [rng.integers(0, s) for s in shape]
        r = rng.uniform(0.8, max_r)
        out |= sum((g - ci) ** 2 for g, ci in zip(grid, c)) <= r * r
    return out


@pytest.mark.parametrize("connectivity", [1, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_components_match_scipy_and_skimage(seed, connectivity):
    rng = np.random.default_rng(seed)
    shape = (9, 21, 17)
    gt = blobs(rng, shape, 6).astype(np.uint8)
    pred = blobs(rng, shape, 6).astype(np.uint8)
    regions = error_regions(gt, pred, connectivity=connectivity)
    structure = ndimage.generate_binary_structure(3, connectivity)
    for kind, errors in (("FP", (pred == 1) & (gt == 0)), ("FN", (gt == 1) & (pred == 0))):
        labels, n = ndimage.label(errors, structure=structure)
        ours = [r for r in regions if r.kind == kind]
        assert len(ours) == n
        assert Counter(r.voxels for r in ours) == Counter(np.bincount(labels.ravel())[1:].tolist())
        # boxes and centroids from scikit-image's regionprops, matched by a voxel
        props = {p.label: p for p in measure.regionprops(labels)}
        for r in ours:
            p = props[int(labels[r.focus_voxel()])]
            assert p.area == r.voxels
            assert tuple(p.bbox) == tuple(s.start for s in r.box) + tuple(s.stop for s in r.box)
            assert np.allclose(p.centroid, r.centroid, rtol=0, atol=1e-9)
    assert sum(r.voxels for r in regions if r.kind == "FP") == int(((pred == 1) & (gt == 0)).sum())


def assert_same_scores(got, want):
    assert got.keys() == want.keys()
    for k in want:
        if isinstance(want[k], float) and math.isnan(want[k]):
            assert math.isnan(got[k]), k
        else:
            assert got[k] == want[k], k


@pytest.mark.parametrize("seed", [3, 4])
def test_fixing_each_region_changes_dice_by_its_gain_and_undo_restores(seed):
    rng = np.random.default_rng(seed)
    shape = (8, 18, 16)
    gt = blobs(rng, shape, 5).astype(np.uint8)
    pred = blobs(rng, shape, 5).astype(np.uint8)
    regions = error_regions(gt, pred)
    assert len(regions) >= 4
    gains = [r.dice_gain for r in regions]
    assert gains == sorted(gains, reverse=True) and min(gains) >= 0
    gt0, pred0 = gt.copy(), pred.copy()
    live = LiveScore(gt, pred)
    for r in regions:
        delta = fix_region(live, r)
        fixed = metrics.overlap(gt, pred)
        assert fixed["dice"] == r.dice_after
        assert fixed["dice"] - metrics.overlap(gt0, pred0)["dice"] == r.dice_gain
        assert_same_scores(live.overlap(), fixed)
        assert delta.voxels == r.voxels and delta.which == "pred"
        assert delta.tool == ("fill" if r.kind == "FN" else "erase")
        assert describe(delta).endswith(f"whole volume, {r.voxels} voxel" + ("s" if r.voxels > 1 else ""))
        apply_delta(live, delta, undo=True)
        assert np.array_equal(pred, pred0) and pred.dtype == pred0.dtype
        assert np.array_equal(gt, gt0)
        assert_same_scores(live.overlap(), metrics.overlap(gt0, pred0))
        # redo reproduces the fixed state
        apply_delta(live, delta)
        assert metrics.overlap(gt, pred)["dice"] == r.dice_after
        apply_delta(live, delta, undo=True)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_scattered_errors_in_many_cells_each_found_once(dtype):
    """Errors far apart fall in separate clusters of cells; an L-shaped region
    has a box that holds another cluster, which must not be counted twice."""
    rng = np.random.default_rng(5)
    shape = (16, 96, 96)
    gt = np.zeros(shape, dtype)
    pred = np.zeros(shape, dtype)
    gt[8:16, 60:96, 0:30] = blobs(rng, (8, 36, 30), 4, max_r=3)
    pred[8:16, 60:96, 0:30] = blobs(rng, (8, 36, 30), 4, max_r=3)
    pred[1, 2, 2:90] = 1   # an L of false positives along two edges ...
    pred[1, 2:95, 2] = 1
    pred[1, 60:63, 60:63] = 1  # ... and an FP patch inside its box, far from it
    gt[0:3, 60:63, 62] = 1     # touching a missed line (FN) next to it
    assert sum(only is not None for _, only in _difference_boxes(gt, pred)) >= 1
    for conn in (1, 3):
        regions = error_regions(gt, pred, connectivity=conn)
        cover = np.zeros(shape, np.int32)
        for r in regions:
            cover[r.index()] += 1
        assert np.array_equal(cover, ((gt != 0) != (pred != 0)).astype(np.int32))
        structure = ndimage.generate_binary_structure(3, conn)
        for kind, errors in (("FP", (pred != 0) & (gt == 0)), ("FN", (gt != 0) & (pred == 0))):
            labels, n = ndimage.label(errors, structure=structure)
            ours = [r for r in regions if r.kind == kind]
            assert Counter(r.voxels for r in ours) == Counter(np.bincount(labels.ravel())[1:].tolist())

        def region_at(voxel):
            (hit,) = [r for r in regions if voxel in set(zip(*(c.tolist() for c in r.index())))]
            return hit

        ell = region_at((1, 2, 30))
        assert region_at((1, 30, 2)) is ell and ell.voxels == 88 + 93 - 1  # the L is one region
        patch = region_at((1, 61, 61))
        assert patch.kind == "FP" and patch.voxels == 6 and patch.box[1].start < ell.box[1].stop
        o = metrics.overlap(gt, pred)
        assert all(r.dice_before == o["dice"] for r in regions)


def test_label_view_and_fix_writes_the_label():
    rng = np.random.default_rng(7)
    shape = (6, 16, 16)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for k in (1, 2, 3):
        gt[blobs(rng, shape, 3)] = k
        pred[blobs(rng, shape, 3)] = k
    # nonzero view: a missed region gets the truth's own labels
    live = LiveScore(gt, pred)
    pred0 = pred.copy()
    fn = [r for r in error_regions(gt, pred) if r.kind == "FN"]
    assert fn
    for r in fn:
        delta = fix_region(live, r)
        assert np.array_equal(pred[r.index()], gt[r.index()])
        assert metrics.overlap(gt, pred)["dice"] == r.dice_after
        apply_delta(live, delta, undo=True)
    assert np.array_equal(pred, pred0)

    regions = error_regions(gt, pred, label=2, connectivity=2)
    structure = ndimage.generate_binary_structure(3, 2)
    n_fp = ndimage.label((pred == 2) & (gt != 2), structure=structure)[1]
    n_fn = ndimage.label((gt == 2) & (pred != 2), structure=structure)[1]
    assert len(regions) == n_fp + n_fn > 0
    before = metrics.per_label(gt, pred, labels=[2])["labels"][2]["dice"]
    live = LiveScore(gt, pred)
    pred0 = pred.copy()
    for r in regions:
        assert r.label == 2 and r.dice_before == before
        delta = fix_region(live, r)
        assert metrics.per_label(gt, pred, labels=[2])["labels"][2]["dice"] == r.dice_after
        if r.kind == "FN":
            assert (pred[r.index()] == 2).all() and delta.label == 2
        else:
            assert (pred[r.index()] == 0).all()
        apply_delta(live, delta, undo=True)
        assert np.array_equal(pred, pred0)


def test_values_that_differ_but_are_both_foreground_are_no_error():
    gt = np.zeros((2, 5, 5), np.uint8)
    pred = np.zeros_like(gt)
    gt[0, 1:3, 1:3] = 2
    pred[0, 1:3, 1:3] = 1  # nonzero in both: no error on the nonzero view
    pred[1, 4, 4] = 5
    regions = error_regions(gt, pred)
    assert [(r.kind, r.voxels, r.centroid) for r in regions] == [("FP", 1, (1.0, 4.0, 4.0))]
    # on label 2 the four voxels are missed
    assert [(r.kind, r.voxels) for r in error_regions(gt, pred, label=2)] == [("FN", 4)]


def test_layouts_and_dtypes_give_the_same_regions():
    rng = np.random.default_rng(11)
    shape = (7, 12, 10)
    gt = blobs(rng, shape, 4)
    pred = blobs(rng, shape, 4)

    def summary(g, p, spacing=None):
        return [(r.kind, r.voxels, r.centroid, r.box, r.dice_gain) for r in error_regions(g, p, spacing)]

    want = summary(gt.astype(np.uint8), pred.astype(np.uint8))
    assert summary(gt, pred) == want
    assert summary(gt.astype(np.float32), pred.astype(np.float64)) == want
    assert summary(gt.astype(np.uint16), pred.astype(np.uint8)) == want
    assert summary(np.asfortranarray(gt), np.asfortranarray(pred)) == want
    # views: transposed / flipped inputs describe transposed / flipped regions
    t = summary(gt.transpose(2, 0, 1), pred.transpose(2, 0, 1))
    assert t == summary(np.ascontiguousarray(gt.transpose(2, 0, 1)),
                        np.ascontiguousarray(pred.transpose(2, 0, 1)))
    f = summary(gt[::-1, :, ::2], pred[::-1, :, ::2])
    assert f == summary(gt[::-1, :, ::2].copy(), pred[::-1, :, ::2].copy())


def test_two_d_and_one_d_inputs():
    gt = np.zeros((6, 6), bool)
    pred = np.zeros((6, 6), bool)
    gt[1:3, 1:3] = True
    pred[4, 4] = pred[5, 5] = True
    r4 = error_regions(gt, pred)
    assert [(r.kind, r.voxels) for r in r4] == [("FN", 4), ("FP", 1), ("FP", 1)]
    r8 = error_regions(gt, pred, connectivity=2)
    assert [(r.kind, r.voxels) for r in r8] == [("FN", 4), ("FP", 2)]
    line = error_regions(np.array([0, 1, 1, 0, 0, 1]), np.array([1, 1, 0, 0, 0, 0]))
    assert sorted((r.kind, r.voxels) for r in line) == [("FN", 1), ("FN", 1), ("FP", 1)]


def test_stale_region_is_refused():
    gt, pred = hand_case()
    live = LiveScore(gt, pred)
    regions = error_regions(gt, pred)
    fn6 = regions[0]
    live.apply("pred", (0, 1, 3), 1)  # one voxel of the FN region painted meanwhile
    with pytest.raises(StaleRegionError, match="changed"):
        fix_region(live, fn6)
    other = LiveScore(np.zeros((2, 2, 2), np.uint8), np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(StaleRegionError, match="shape"):
        fix_region(other, regions[1])


def test_bad_input_messages():
    a = np.zeros((3, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="shape"):
        error_regions(a, np.zeros((3, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="connectivity"):
        error_regions(a, a, connectivity=4)
    with pytest.raises(ValueError, match="connectivity"):
        error_regions(a, a, connectivity=0)
    with pytest.raises(ValueError, match="spacing"):
        error_regions(a, a, spacing=(1.0, 1.0))
    with pytest.raises(ValueError, match="spacing"):
        error_regions(a, a, spacing=(1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="label"):
        error_regions(a, a, label=0)
    with pytest.raises(ValueError, match="real numbers"):
        error_regions(a.astype(complex), a)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6)),
               elements=st.integers(0, 2)),
    st.data(),
)
def test_property_regions_partition_the_errors(gt, data):
    pred = data.draw(hnp.arrays(np.uint8, gt.shape, elements=st.integers(0, 2)))
    conn = data.draw(st.integers(1, 3))
    regions = error_regions(gt, pred, connectivity=conn)
    cover = np.zeros(gt.shape, np.int32)
    for r in regions:
        cover[r.index()] += 1
    errors = (gt != 0) != (pred != 0)
    assert np.array_equal(cover, errors.astype(np.int32))  # every error voxel in exactly one region
    o = metrics.overlap(gt, pred)
    for r in regions:
        tp, fp, fn = o["tp"], o["fp"], o["fn"]
        if r.kind == "FN":
            tp, fn = tp + r.voxels, fn - r.voxels
        else:
            fp -= r.voxels
        assert r.dice_after == metrics.scores_from_counts(tp, fp, fn, 0)["dice"]
        assert r.dice_before == o["dice"]


def test_real_brats_case(shared_data):
    """A weak random-forest prediction against an expert label map (non-contiguous views)."""
    from dicegui.core.io import load_case

    base = shared_data / "deepmedic_brats2013"
    case = load_case(gt=base / "test" / "brats_2013_pat0001_1" / "OTMultiClass.nii.gz",
                     pred=base / "predictions_rf" / "brats_2013_pat0001_1_rf_pred.nii.gz")
    gt, pred = case.gt_mask, case.pred_mask
    structure = ndimage.generate_binary_structure(3, 1)
    for label in (None, 2):
        regions = error_regions(gt, pred, case.spacing, label=label)
        g = gt != 0 if label is None else gt == label
        p = pred != 0 if label is None else pred == label
        for kind, errors in (("FP", p & ~g), ("FN", g & ~p)):
            labels, n = ndimage.label(errors, structure=structure)
            ours = [r.voxels for r in regions if r.kind == kind]
            assert Counter(ours) == Counter(np.bincount(labels.ravel())[1:].tolist())
    regions = error_regions(gt, pred, case.spacing)
    pred0 = pred.copy()
    live = LiveScore(gt, pred)
    for r in regions[:3]:
        delta = fix_region(live, r)
        assert metrics.overlap(gt, pred)["dice"] == r.dice_after
        apply_delta(live, delta, undo=True)
        assert np.array_equal(pred, pred0)
        assert_same_scores(live.overlap(), metrics.overlap(gt, pred0))


def test_fix_on_bool_masks_and_labels_that_do_not_fit():
    gt, pred = hand_case()
    g, p = gt.astype(bool), pred.astype(bool)
    live = LiveScore(g, p)
    top = error_regions(g, p)[0]
    delta = fix_region(live, top)
    assert p[top.index()].all() and metrics.overlap(g, p)["dice"] == top.dice_after
    apply_delta(live, delta, undo=True)
    live8 = LiveScore(gt, pred)
    with pytest.raises(ValueError, match="does not fit"):
        fix_region(live8, error_regions(gt, pred)[0], label=300)
    assert np.array_equal(pred, hand_case()[1])  # nothing written


# ------------------------------------------------------------------ label swaps
def test_swap_regions_hand_case():
    """Two swap islands (2 called 1: a 2×2 patch; 3 called 1 and 3 called 2 in one
    3-voxel bar), one FP voxel; the label view is unchanged by ``swaps``."""
    gt = np.zeros((2, 6, 6), np.uint8)
    pred = np.zeros_like(gt)
    gt[0, 0:2, 0:2] = 2
    pred[0, 0:2, 0:2] = 1
    gt[1, 4, 1:4] = 3
    pred[1, 4, 1:3] = 1
    pred[1, 4, 3] = 2
    gt[0, 5, 5] = pred[0, 5, 5] = 4  # agrees: no region
    pred[1, 0, 5] = 4  # FP
    plain = error_regions(gt, pred)
    assert [(r.kind, r.voxels) for r in plain] == [("FP", 1)]
    regions = error_regions(gt, pred, swaps=True)
    # the FP has Dice to gain (16/17 -> 1); swaps gain none and follow, largest first
    assert [(r.kind, r.voxels) for r in regions] == [("FP", 1), ("swap", 4), ("swap", 3)]
    fp, patch, bar = regions
    # a swap moves no foreground count: Dice of the nonzero view stays
    o = metrics.overlap(gt, pred)
    assert patch.dice_before == patch.dice_after == o["dice"] and patch.dice_gain == 0.0
    assert patch.pairs == ((2, 1, 4),) and patch.box == (slice(0, 1), slice(0, 2), slice(0, 2))
    assert bar.pairs == ((3, 1, 2), (3, 2, 1)) and bar.focus_voxel() == (1, 4, 2)
    assert bar.describe(axis=0) == "swap 3 voxels, slice 1, reference 3 \u2192 prediction 1 (+1 more pair)"
    # on a label's view the swapped voxels are that label's FN / FP already
    assert [r.kind for r in error_regions(gt, pred, label=2, swaps=True)] == ["FN", "FP"]


@pytest.mark.parametrize("seed", range(3))
def test_swap_regions_match_scipy_components_and_fix_to_the_reference(seed):
    rng = np.random.default_rng(seed)
    shape = (6, 20, 20)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for k in (1, 2, 3):
        gt[blobs(rng, shape, 3)] = k
        pred[blobs(rng, shape, 3)] = k
    regions = error_regions(gt, pred, swaps=True)
    structure = ndimage.generate_binary_structure(3, 1)
    swapped = (gt != 0) & (pred != 0) & (gt != pred)
    labels, n = ndimage.label(swapped, structure=structure)
    swaps = [r for r in regions if r.kind == "swap"]
    assert n > 0 and Counter(r.voxels for r in swaps) == Counter(np.bincount(labels.ravel())[1:].tolist())
    # FP / FN are those of the plain listing
    plain = [(r.kind, r.voxels, r.box) for r in error_regions(gt, pred)]
    assert [(r.kind, r.voxels, r.box) for r in regions if r.kind != "swap"] == plain
    live = LiveScore(gt, pred)
    pred0 = pred.copy()
    before = metrics.per_label(gt, pred)
    for r in swaps:
        component = labels[r.focus_voxel()]
        assert np.array_equal(labels[r.index()], np.full(r.voxels, component))
        pairs = Counter(zip(gt[r.index()].tolist(), pred[r.index()].tolist()))
        assert sorted(r.pairs) == sorted((a, b, c) for (a, b), c in pairs.items())
        delta = fix_region(live, r)
        assert np.array_equal(pred[r.index()], gt[r.index()])
        assert metrics.overlap(gt, pred)["dice"] == r.dice_after == r.dice_before
        after = metrics.per_label(gt, pred)
        # the reference label of each pair gains its voxels as TP, the predicted one loses them as FP
        gained, dropped = Counter(), Counter()
        for a, b, c in r.pairs:
            gained[a] += c
            dropped[b] += c
        for k in (1, 2, 3):
            assert after["labels"][k]["tp"] == before["labels"][k]["tp"] + gained[k]
            assert after["labels"][k]["fp"] == before["labels"][k]["fp"] - dropped[k]
        assert_same_scores(live.per_label(), after)
        apply_delta(live, delta, undo=True)
        assert np.array_equal(pred, pred0)
    with pytest.raises(StaleRegionError):
        pred2 = pred.copy()
        live2 = LiveScore(gt, pred2)
        pred2[swaps[0].index()] = gt[swaps[0].index()]
        fix_region(live2, swaps[0])


def test_brats_swap_regions_cover_every_swapped_voxel(shared_data):
    """xfeng against the fused reference of TCGA-DU-7294: 2,373 swapped voxels (issue 11)."""
    from dicegui.core.io import load_case

    base = shared_data / "brats_toolkit" / "TCGA-DU-7294"
    if not base.is_dir():
        pytest.skip("BraTS toolkit case absent")
    case = load_case(gt=base / "fusionator" / "simple.nii.gz", pred=base / "segmentor" / "xfeng.nii.gz")
    gt, pred = case.gt_mask, case.pred_mask
    swapped = (gt != 0) & (pred != 0) & (gt != pred)
    regions = [r for r in error_regions(gt, pred, case.spacing, swaps=True) if r.kind == "swap"]
    cover = np.zeros(gt.shape, bool)
    for r in regions:
        cover[r.index()] = True
    assert np.array_equal(cover, swapped) and sum(r.voxels for r in regions) == 2373
    n = ndimage.label(swapped, structure=ndimage.generate_binary_structure(3, 1))[1]
    assert len(regions) == n


def test_filter_regions_keeps_kind_and_size_and_counts_the_smaller_ones():
    from dicegui.core.regions import filter_regions, min_voxels_for

    # by hand: a 4x4 square found (TP 16); missed: a 6-voxel bar and 1 voxel; false: 2 voxels and 1 voxel
    gt = np.zeros((1, 20, 20), np.uint8)
    gt[0, 1:5, 1:5] = 1
    gt[0, 10, 1:7] = 1
    gt[0, 15, 15] = 1
    pred = np.zeros_like(gt)
    pred[0, 1:5, 1:5] = 1
    pred[0, 18, 1:3] = 1
    pred[0, 18, 10] = 1
    regions = error_regions(gt, pred)
    assert sorted((r.kind, r.voxels) for r in regions) == [("FN", 1), ("FN", 6), ("FP", 1), ("FP", 2)]
    kept, hidden = filter_regions(regions, min_voxels=2)
    assert [(r.kind, r.voxels) for r in kept] == [(r.kind, r.voxels) for r in regions if r.voxels >= 2]
    # Dice now 2*16/(2*16+3+7) = 32/42; fixing the missed voxel: 34/(34+3+6); deleting the false one: 32/41
    assert (hidden.regions, hidden.voxels) == (2, 2)
    assert hidden.dice_gain == pytest.approx((34 / 43 - 32 / 42) + (32 / 41 - 32 / 42))
    kept, hidden = filter_regions(regions, kind="FN", min_voxels=2)
    assert [(r.kind, r.voxels) for r in kept] == [("FN", 6)] and (hidden.regions, hidden.voxels) == (1, 1)
    assert filter_regions(regions)[1].regions == 0
    assert min_voxels_for(0.1, 0.027) == 4 and min_voxels_for(0.081, 0.027) == 3 and min_voxels_for(0, 0.027) == 1


def test_regions_hold_their_voxels_as_uint32_indices_and_match_scipy():
    # 150 isolated FP voxels and one FN block
    gt = np.zeros((4, 40, 40), np.uint8)
    gt[0, :10, :10] = 1
    pred = np.zeros_like(gt)
    pred[2, 0:30:2, 0:20:2] = 1  # isolated voxels (faces connectivity)
    found = error_regions(gt, pred)
    fp = [r for r in found if r.kind == "FP"]
    fn = [r for r in found if r.kind == "FN"]
    assert len(fp) == 150 and len(fn) == 1
    # 4 bytes a voxel of error (the boxes have far fewer than 2**32 voxels), no label array
    assert fn[0]._voxels.flat.dtype == np.uint32 and fn[0]._voxels.flat.size == 100
    assert fp[0]._voxels.flat.dtype == np.uint32 and fp[0]._voxels.flat.size == 150
    many = np.zeros((2, 60, 60), np.uint8)
    many[1, ::2, ::2] = 1  # 900 isolated FP voxels
    regions = error_regions(np.zeros_like(many), many)
    assert len(regions) == 900 and regions[0]._voxels.flat.size == 900
    # every region's voxels equal scipy's component at that voxel
    lab, n = ndimage.label(many)
    for r in regions[:50]:
        idx = r.index()
        assert lab[idx].min() == lab[idx].max() != 0 and r.voxels == (lab == lab[idx][0]).sum()
        assert r.centroid == tuple(float(c[0]) for c in idx)


def test_regions_measured_slab_by_slab_equal_skimage_regionprops(monkeypatch):
    from dicegui.core import regions as regions_module

    monkeypatch.setattr(regions_module, "_MEASURE_CHUNK", 50)  # a slab or two of 30×30 at a time
    rng = np.random.default_rng(11)
    gt = np.zeros((20, 30, 30), np.uint8)
    pred = (ndimage.uniform_filter(rng.random((20, 30, 30)), 3) > 0.55).astype(np.uint8)
    found = [r for r in error_regions(gt, pred) if r.kind == "FP"]
    props = measure.regionprops(measure.label(pred, connectivity=1))
    assert len(found) == len(props) > 5
    expected = sorted((p.area, p.bbox, tuple(p.centroid)) for p in props)
    got = sorted((r.voxels, tuple(s.start for s in r.box) + tuple(s.stop for s in r.box), r.centroid)
                 for r in found)
    for (ea, eb, ec), (ga, gb, gc) in zip(expected, got):
        assert (ea, eb) == (ga, gb)
        assert gc == pytest.approx(ec, abs=1e-9)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.uint64, np.float32])
def test_label_swap_pairs_are_counted_per_region(dtype):
    # Two swap regions on label maps; their (reference, prediction) pairs and
    # voxel counts are counted here with a Counter over the voxels.
    rng = np.random.default_rng(4)
    gt = np.zeros((6, 20, 20), dtype)
    pred = np.zeros_like(gt)
    gt[1:4, 2:8, 2:8] = rng.choice([3, 7], size=(3, 6, 6))
    pred[1:4, 2:8, 2:8] = 5
    gt[2:5, 12:18, 12:18] = 250
    pred[2:5, 12:18, 12:18] = rng.choice([1, 2, 250], size=(3, 6, 6))
    swaps = [r for r in error_regions(gt, pred, swaps=True) if r.kind == "swap"]
    assert swaps
    assert len(swaps) == 2
    for region in swaps:  # the two islands lie apart: a region's box holds only its own voxels
        inside = np.zeros(gt.shape, bool)
        inside[region.box] = True
        both = (gt != 0) & (pred != 0) & (gt != pred) & inside
        want = Counter(zip(gt[both].astype(int).tolist(), pred[both].astype(int).tolist()))
        got = {(a, b): n for a, b, n in region.pairs}
        assert got == dict(want) and sum(got.values()) == region.voxels


def test_fortran_ordered_masks_list_the_same_regions():
    # NIfTI volumes arrive F-ordered; the boxes are then found on the memory-order view
    rng = np.random.default_rng(11)
    gt = (rng.random((12, 30, 26)) < 0.2).astype(np.uint8)
    pred = (rng.random((12, 30, 26)) < 0.2).astype(np.uint8)
    want = error_regions(gt, pred)
    got = error_regions(np.asfortranarray(gt), np.asfortranarray(pred))
    assert [(r.kind, r.voxels, r.box) for r in got] == [(r.kind, r.voxels, r.box) for r in want]
    for r in got[:20]:  # and each region's voxels are the connected errors scipy labels there
        errors = (gt > pred) if r.kind == "FN" else (pred > gt)
        labels, _ = ndimage.label(errors)
        mask = np.zeros(gt.shape, bool)
        mask[r.index()] = True
        assert np.array_equal(mask, labels == labels[tuple(np.argwhere(mask)[0])])
