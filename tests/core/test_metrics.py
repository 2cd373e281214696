"""Tests of dicegui.core.metrics.

References: SimpleITK's LabelOverlapMeasuresImageFilter (Dice, Jaccard,
volume similarity, false negative/positive errors), medpy.metric.binary
(precision, recall, specificity, dc, jc), plain NumPy counting, and hand-worked
cases written out below. Every generated case also runs with tiny chunk and
block sizes so that the chunked code paths (partial chunks, block staging,
buffer draining) are exercised on small arrays.
"""
import doctest
import math
import tracemalloc

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from medpy.metric import binary as medpy_binary
from scipy import ndimage

from dicegui.core import metrics
from dicegui.core.metrics import (
    OVERLAP_KEYS,
    bce,
    bce_grad,
    combo_loss,
    dice_loss,
    dice_loss_grad,
    overlap,
    per_label,
    soft_dice,
)

CHUNKINGS = {
    "default": {},
    # 8-element blocks: the uint64 block test; tiny staging forces draining
    "tiny": {"_CHUNK": 37, "_LABEL_CHUNK": 64, "_BLOCK": 8, "_STAGE": 200},
    # 3-element blocks (not a whole number of 8-byte words) and one-byte chunks
    "odd": {"_CHUNK": 1, "_LABEL_CHUNK": 21, "_BLOCK": 3, "_STAGE": 21},
}


@pytest.fixture(params=sorted(CHUNKINGS))
def chunking(request, monkeypatch):
    for name, value in CHUNKINGS[request.param].items():
        monkeypatch.setattr(metrics, name, value)
    return request.param


# ---------------------------------------------------------------------------
# generated cases


def blob(rng, shape, fraction):
    """Smooth random blobs covering about ``fraction`` of the image."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=max(1.0, min(shape) / 8))
    return field > np.quantile(field, 1.0 - fraction)


def perturbed(rng, mask):
    """A plausible prediction of ``mask``: shifted, grown or shrunk, a few flips."""
    shift = tuple(int(s) for s in rng.integers(-2, 3, mask.ndim))
    out = np.roll(mask, shift, axis=tuple(range(mask.ndim)))
    op = rng.integers(3)
    if op == 1:
        out = ndimage.binary_dilation(out)
    elif op == 2:
        out = ndimage.binary_erosion(out)
    flips = rng.random(mask.shape) < 0.01
    return out ^ flips


def shape_for(rng, case):
    if case % 2:
        return tuple(int(s) for s in rng.integers(12, 26, 3))
    return tuple(int(s) for s in rng.integers(20, 60, 2))


def as_dtype(mask, dtype, rng):
    """Encode a bool mask in ``dtype`` with assorted nonzero foreground values."""
    if dtype == np.bool_:
        return mask.copy()
    fg = {np.uint8: 255, np.int16: -3, np.float32: 0.25, np.float64: 1.0}[dtype]
    out = np.zeros(mask.shape, dtype)
    out[mask] = fg
    return out


DTYPES = [np.bool_, np.uint8, np.int16, np.float32, np.float64]
N_BINARY = 30


def binary_case(seed):
    rng = np.random.default_rng(seed)
    shape = shape_for(rng, seed)
    gt = blob(rng, shape, rng.uniform(0.02, 0.4))
    pred = perturbed(rng, gt) if seed % 5 else blob(rng, shape, rng.uniform(0.02, 0.4))
    gt_dtype = DTYPES[seed % len(DTYPES)]
    pred_dtype = DTYPES[(seed // len(DTYPES)) % len(DTYPES)]
    return gt, pred, as_dtype(gt, gt_dtype, rng), as_dtype(pred, pred_dtype, rng)


def sitk_measures(gt_labels, pred_labels, pixel=np.uint32):
    f = sitk.LabelOverlapMeasuresImageFilter()
    # SimpleITK wants identical image types for source and target
    f.Execute(sitk.GetImageFromArray(pred_labels.astype(pixel)),
              sitk.GetImageFromArray(gt_labels.astype(pixel)))
    return f


# ---------------------------------------------------------------------------
# overlap against references


@pytest.mark.parametrize("seed", range(N_BINARY))
def test_overlap_matches_simpleitk_medpy_and_counting(seed, chunking):
    gt_b, pred_b, gt, pred = binary_case(seed)
    s = overlap(gt, pred)
    assert set(s) == set(OVERLAP_KEYS)

    tp = np.count_nonzero(gt_b & pred_b)
    fp = np.count_nonzero(~gt_b & pred_b)
    fn = np.count_nonzero(gt_b & ~pred_b)
    tn = np.count_nonzero(~gt_b & ~pred_b)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (tp, fp, fn, tn)
    assert all(type(s[k]) is int for k in ("tp", "fp", "fn", "tn"))
    assert s["accuracy"] == pytest.approx((tp + tn) / gt_b.size, rel=1e-12)

    f = sitk_measures(gt_b, pred_b, np.uint8)
    assert s["dice"] == pytest.approx(f.GetDiceCoefficient(1), rel=1e-12)
    assert s["iou"] == pytest.approx(f.GetJaccardCoefficient(1), rel=1e-12)
    # ITK's signed volume similarity v = 2(|S|-|T|)/(|S|+|T|); ours is 1 - |v|/2
    assert s["volume_similarity"] == pytest.approx(1 - abs(f.GetVolumeSimilarity(1)) / 2, rel=1e-12)
    assert s["sensitivity"] == pytest.approx(1 - f.GetFalseNegativeError(1), rel=1e-12, abs=1e-15)

    assert s["dice"] == pytest.approx(medpy_binary.dc(pred_b, gt_b), rel=1e-12)
    assert s["iou"] == pytest.approx(medpy_binary.jc(pred_b, gt_b), rel=1e-12)
    assert s["precision"] == pytest.approx(medpy_binary.precision(pred_b, gt_b), rel=1e-12)
    assert s["sensitivity"] == pytest.approx(medpy_binary.recall(pred_b, gt_b), rel=1e-12)
    assert s["specificity"] == pytest.approx(medpy_binary.specificity(pred_b, gt_b), rel=1e-12)


def test_generated_cases_cover_the_promised_variety():
    dims, dtypes = set(), set()
    for seed in range(N_BINARY):
        _, _, gt, pred = binary_case(seed)
        dims.add(gt.ndim)
        dtypes.update({gt.dtype, pred.dtype})
    assert dims == {2, 3}
    assert dtypes == {np.dtype(d) for d in DTYPES}


def test_nonzero_of_any_sign_or_size_is_foreground():
    gt = np.array([0, -1, 2, 0, 0.5, -0.0])
    pred = np.array([7, 0, 1e-30, 0, 3, 0])
    s = overlap(gt, pred)
    # by hand: gt fg {1,2,4}, pred fg {0,2,4}
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (2, 1, 1, 2)


def test_nan_is_nonzero_so_foreground_as_documented(chunking):
    # by hand: gt fg {0, 2} (NaN, 1), pred fg {0, 1} (1, NaN): tp {0}, fp {1}, fn {2}, tn {3}
    gt = np.array([np.nan, 0.0, 1.0, 0.0])
    pred = np.array([1.0, np.nan, 0.0, 0.0], np.float32)
    s = overlap(gt, pred)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (1, 1, 1, 1)
    assert s["dice"] == medpy_binary.dc(pred, gt)  # medpy: astype(bool), NaN -> True
    with pytest.raises(ValueError, match="NaN"):
        per_label(gt, pred)


def test_many_chunks_add_up(monkeypatch):
    # 600 chunks of 8 elements: per-chunk counts must add up across chunks
    monkeypatch.setattr(metrics, "_CHUNK", 8)
    gt = np.ones(4800, bool)
    pred = np.zeros(4800, bool)
    pred[::3] = True
    s = overlap(gt, pred)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (1600, 0, 3200, 0)


def noncanonical_bools():
    """Bool arrays whose bytes are not all 0/1, as ``np.frombuffer(raw, bool)``
    or ``uint8_array.view(bool)`` give, with their canonical (0/1) twins.

    By hand: gt is nonzero at {1, 2, 3, 5, 8, 9}, pred at {1, 2, 3, 4, 5, 9},
    so tp = {1, 2, 3, 5, 9} = 5, fp = {4} = 1, fn = {8} = 1, tn = {0, 6, 7} = 3.
    """
    raw_g = np.array([0, 2, 255, 1, 0, 7, 0, 0, 128, 1], np.uint8)
    raw_p = np.array([0, 1, 1, 1, 1, 64, 0, 0, 0, 3], np.uint8)
    return np.frombuffer(raw_g.tobytes(), dtype=bool), raw_p.view(bool)


def test_bool_bytes_other_than_one_are_true(chunking):
    # NumPy treats every nonzero byte of a bool array as True (np.count_nonzero,
    # &, astype); counting raw bytes would give wrong, even negative, counts.
    gt, pred = noncanonical_bools()
    s = overlap(gt, pred)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (5, 1, 1, 3)
    assert s["dice"] == 2 * 5 / (2 * 5 + 1 + 1)
    r = per_label(gt, pred)
    assert list(r["labels"]) == [1]
    one = r["labels"][1]
    assert (one["tp"], one["fp"], one["fn"], one["tn"]) == (5, 1, 1, 3)
    # 300 copies: each count of 255-valued bytes would overflow a byte sum
    big_g, big_p = np.tile(gt, 300), np.tile(pred, 300)
    s = overlap(big_g, big_p)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (1500, 300, 300, 900)
    # non-contiguous views of such arrays take the chunked paths
    s = overlap(big_g.reshape(30, 100).T, big_p.reshape(30, 100).T)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (1500, 300, 300, 900)
    r = per_label(big_g.reshape(30, 100)[::-1], big_p.reshape(30, 100)[::-1])
    assert list(r["labels"]) == [1] and r["labels"][1]["tp"] == 1500


# ---------------------------------------------------------------------------
# seed examples and conventions


@pytest.mark.parametrize("shape", [(1000,), (10, 10, 10), (40, 25)])
def test_tenth_of_a_percent_target_missed_entirely(shape):
    gt = np.zeros(shape, np.uint8)
    gt.flat[437] = 1  # exactly 0.1 % of 1000 voxels
    s = overlap(gt, np.zeros(shape, bool))
    assert s["accuracy"] == 0.999
    assert s["dice"] == 0.0
    assert s["iou"] == 0.0
    assert s["sensitivity"] == 0.0
    assert math.isnan(s["precision"])  # nothing predicted: 0/0
    assert s["specificity"] == 1.0


def test_both_empty_is_perfect_agreement_on_nothing():
    s = overlap(np.zeros((4, 5), bool), np.zeros((4, 5), np.float32))
    assert s["dice"] == 1.0 and s["iou"] == 1.0
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (0, 0, 0, 20)
    assert math.isnan(s["precision"])
    assert math.isnan(s["sensitivity"])
    assert math.isnan(s["volume_similarity"])
    assert s["accuracy"] == 1.0 and s["specificity"] == 1.0


def test_full_masks_leave_specificity_undefined():
    s = overlap(np.ones(6), np.ones(6))
    assert s["dice"] == 1.0 and s["precision"] == 1.0
    assert math.isnan(s["specificity"])


def test_zero_size_and_zero_dim_inputs():
    s = overlap(np.zeros((0, 3)), np.zeros((0, 3)))
    assert s["dice"] == 1.0 and math.isnan(s["accuracy"])
    s = overlap(np.bool_(True), 1.0)
    assert (s["tp"], s["dice"]) == (1, 1.0)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        overlap(np.zeros((3, 4)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(5,\)"):
        per_label(np.zeros((2, 5), int), np.zeros(5, int))
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        soft_dice(np.zeros(3), np.zeros(4))


def test_non_numeric_input_is_refused():
    with pytest.raises(ValueError, match="numbers"):
        overlap(np.array(["a", "b"]), np.array(["a", "b"]))


# ---------------------------------------------------------------------------
# memory layout


def assert_same(a, b):
    """Equal nested score dictionaries, nan matching nan."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert a == b and type(a) is type(b)


def layouts(a):
    """Views of ``a`` that are not C-contiguous, with their contiguous copies."""
    views = [a.T, a[::-1], a[::2], np.flip(a), np.swapaxes(a, 0, -1)[::-1]]
    if a.ndim == 3:
        views += [a.transpose(1, 2, 0), a[:, ::-2, 1:]]
    return views


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_views_score_like_contiguous_copies(seed, chunking):
    rng = np.random.default_rng(100 + seed)
    shape = shape_for(rng, seed)
    gt = blob(rng, shape, 0.2)
    pred = perturbed(rng, gt).astype(np.float32)
    labels_gt = (gt * rng.integers(1, 4, shape)).astype(np.uint16)
    labels_pred = (pred * rng.integers(1, 4, shape)).astype(np.int32)
    for g_view, p_view in zip(layouts(gt), layouts(pred)):
        expected = overlap(np.ascontiguousarray(g_view), np.ascontiguousarray(p_view))
        assert_same(overlap(g_view, p_view), expected)
    for lg, lp in zip(layouts(labels_gt), layouts(labels_pred)):
        expected = per_label(np.ascontiguousarray(lg), np.ascontiguousarray(lp))
        assert_same(per_label(lg, lp), expected)
        assert_same(per_label(np.asfortranarray(lg), lp), expected)
    # gt contiguous, prediction a view of different memory order
    assert_same(overlap(gt, np.asfortranarray(pred)), overlap(gt, pred))
    prob = rng.random(shape)
    assert soft_dice(prob.T, gt.T) == pytest.approx(soft_dice(prob, gt), rel=1e-12)
    assert bce(prob[::-1], gt[::-1]) == pytest.approx(bce(prob, gt), rel=1e-12)


def test_no_full_size_temporaries():
    n = 1 << 25  # 32 MB per uint8 array and per float32 array
    gt = np.resize(np.array([1, 1, 1, 0, 0, 0, 0], np.uint8), n)  # dense: worst case for staging
    pred = np.roll(gt, 3)
    prob = np.linspace(0, 1, n // 4, dtype=np.float32)
    for fn, args, size in ((overlap, (gt, pred), n),
                           (overlap, (gt.view(bool), pred.view(bool)), n),
                           (per_label, (gt, pred), n),
                           (soft_dice, (prob, prob), prob.nbytes),
                           (bce, (prob, prob), prob.nbytes)):
        tracemalloc.start()
        fn(*args)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < size / 4, (fn.__name__, peak)


# ---------------------------------------------------------------------------
# per-label overlap


def label_map_pair(seed):
    """Labels from a Voronoi split of blobs; the prediction moves and relabels."""
    rng = np.random.default_rng(1000 + seed)
    shape = shape_for(rng, seed)
    n_labels = [3, 4, 12, 30][seed % 4]
    fg = blob(rng, shape, rng.uniform(0.2, 0.6))
    seeds = [rng.integers(0, s, n_labels) for s in shape]
    _, nearest = ndimage.distance_transform_edt(~_points(shape, seeds), return_indices=True)
    point_label = np.zeros(shape, np.int64)
    point_label[tuple(seeds)] = np.arange(1, n_labels + 1)
    regions = point_label[tuple(nearest)]
    gt = np.where(fg, regions, 0)
    pred = np.where(perturbed(rng, fg), np.roll(regions, 1, axis=0), 0)
    swap = rng.random(shape) < 0.02
    pred[swap] = rng.integers(0, n_labels + 1, int(swap.sum()))
    if seed % 5 == 4:  # large, sparse label values
        values = np.array([0] + sorted(rng.choice(10**6, n_labels, replace=False) + 1))
        gt, pred = values[gt], values[pred]
    return gt, pred


def _points(shape, seeds):
    out = np.zeros(shape, bool)
    out[tuple(seeds)] = True
    return out


LABEL_DTYPES = [np.uint8, np.uint16, np.int32, np.float64, np.int64]


@pytest.mark.parametrize("seed", range(12))
def test_per_label_matches_simpleitk_and_medpy(seed, chunking):
    gt, pred = label_map_pair(seed)
    big = gt.max() > 255
    dt_g = np.int64 if big else LABEL_DTYPES[seed % len(LABEL_DTYPES)]
    dt_p = np.uint32 if big else LABEL_DTYPES[(seed + 2) % len(LABEL_DTYPES)]
    r = per_label(gt.astype(dt_g), pred.astype(dt_p))

    present = np.union1d(np.unique(gt), np.unique(pred))
    present = present[present != 0]
    assert list(r["labels"]) == present.tolist()
    assert all(type(k) is int for k in r["labels"])

    f = sitk_measures(gt, pred)
    for k in present.tolist():
        s = r["labels"][k]
        assert s["absent"] is False
        assert s["dice"] == pytest.approx(f.GetDiceCoefficient(k), rel=1e-12, abs=1e-15)
        assert s["iou"] == pytest.approx(f.GetJaccardCoefficient(k), rel=1e-12, abs=1e-15)
        g, p = gt == k, pred == k
        assert s["tp"] == np.count_nonzero(g & p)
        assert s["fp"] + s["tp"] == np.count_nonzero(p)
        assert s["tp"] + s["fp"] + s["fn"] + s["tn"] == gt.size
        if p.any():
            assert s["precision"] == pytest.approx(medpy_binary.precision(p, g), rel=1e-12)
        if g.any():
            assert s["sensitivity"] == pytest.approx(medpy_binary.recall(p, g), rel=1e-12)
    expected_mean = np.mean([f.GetDiceCoefficient(k) for k in present.tolist()])
    assert r["mean_dice"] == pytest.approx(expected_mean, rel=1e-12)
    expected_iou = np.mean([f.GetJaccardCoefficient(k) for k in present.tolist()])
    assert r["mean_iou"] == pytest.approx(expected_iou, rel=1e-12)


def counting_paths(monkeypatch) -> list:
    """Record which counting path ``per_label`` takes for each staged batch."""
    used = []
    for name, path in (("_tally_few_labels", "dense"), ("_joint_table", "table")):
        original = getattr(metrics, name)

        def spy(*args, _original=original, _path=path):
            used.append(_path)
            return _original(*args)
        monkeypatch.setattr(metrics, name, spy)
    original_pairs = metrics._LabelTally.add_pairs

    def spy_pairs(self, *args):
        used.append("pairs")
        return original_pairs(self, *args)
    monkeypatch.setattr(metrics._LabelTally, "add_pairs", spy_pairs)
    return used


def test_label_cases_cover_all_counting_paths(monkeypatch):
    used = counting_paths(monkeypatch)
    for seed in range(12):
        per_label(*label_map_pair(seed))
    assert {"dense", "table", "pairs"} <= set(used)


def test_joint_table_is_not_used_when_larger_than_the_data(monkeypatch):
    # Labels up to 2000 on 64 elements: a 2001 x 2001 table would cost ~60000x
    # the data; distinct pairs are counted instead. By hand: element i holds
    # 1000 + i % 32, except gt[63] = 2000 (was 1031) and pred[0] = 2000
    # (was 1000); pred equals gt elsewhere.
    gt = (1000 + np.arange(64) % 32).astype(np.int32)
    gt[-1] = 2000
    pred = gt.copy()
    pred[0] = 2000
    used = counting_paths(monkeypatch)
    r = per_label(gt, pred)
    assert "table" not in used
    assert (r["labels"][1000]["tp"], r["labels"][1000]["fn"]) == (1, 1)
    assert (r["labels"][2000]["tp"], r["labels"][2000]["fp"]) == (1, 1)
    assert all(r["labels"][1000 + k]["tp"] == 2 for k in range(1, 31))
    assert (r["labels"][1031]["tp"], r["labels"][1031]["fn"]) == (1, 0)


def test_requested_labels_absent_and_background():
    gt = np.array([[0, 1, 1], [2, 2, 0]], np.uint8)
    pred = np.array([[0, 1, 0], [2, 2, 2]], np.uint8)
    r = per_label(gt, pred, labels=[2, 9, 0, 1, 2])
    assert list(r["labels"]) == [2, 9, 0, 1]
    # by hand: label 1 gt {1,2} pred {1} -> dice 2/3; label 2 gt {3,4} pred {3,4,5} -> 4/5
    assert r["labels"][1]["dice"] == pytest.approx(2 / 3)
    assert r["labels"][2]["dice"] == pytest.approx(4 / 5)
    absent = r["labels"][9]
    assert absent["absent"] is True
    assert absent["dice"] == 1.0 and absent["iou"] == 1.0
    assert (absent["tp"], absent["fp"], absent["fn"], absent["tn"]) == (0, 0, 0, 6)
    # background: gt {0,5} pred {0,2} -> tp 1, fp 1, fn 1, tn 3, dice 1/2, iou 1/3
    bg = r["labels"][0]
    assert (bg["tp"], bg["fp"], bg["fn"], bg["tn"]) == (1, 1, 1, 3)
    assert bg["dice"] == pytest.approx(1 / 2)
    # label 9 is left out of the means
    assert r["mean_dice"] == pytest.approx((4 / 5 + 1 / 2 + 2 / 3) / 3)
    assert r["mean_iou"] == pytest.approx((2 / 3 + 1 / 3 + 1 / 2) / 3)


@pytest.mark.parametrize("seed", [1, 3, 4])  # dense, bincount and sparse-pair counting
def test_background_label_matches_simpleitk(seed, chunking):
    gt, pred = label_map_pair(seed)
    f = sitk_measures((gt == 0), (pred == 0), np.uint8)
    r = per_label(gt, pred, labels=[0])
    assert r["labels"][0]["dice"] == pytest.approx(f.GetDiceCoefficient(1), rel=1e-12)
    assert r["labels"][0]["iou"] == pytest.approx(f.GetJaccardCoefficient(1), rel=1e-12)


def test_no_labels_gives_nan_means():
    for r in (per_label(np.zeros(5, int), np.zeros(5, int)),
              per_label(np.ones(5, int), np.ones(5, int), labels=[]),
              per_label(np.zeros(5, int), np.zeros(5, int), labels=[3])):
        assert math.isnan(r["mean_dice"]) and math.isnan(r["mean_iou"])
    assert per_label(np.zeros(5, int), np.zeros(5, int))["labels"] == {}


def test_float_and_bool_label_maps():
    gt = np.array([0.0, 1.0, 2.0, 2.0, -0.0])
    pred = np.array([False, True, True, False, False])
    r = per_label(gt, pred)
    assert list(r["labels"]) == [1, 2]
    assert r["labels"][1]["dice"] == pytest.approx(2 * 1 / (1 + 2))
    assert r["labels"][2]["dice"] == 0.0


def test_big_endian_maps_as_read_from_nifti(chunking):
    gt, pred = label_map_pair(2)
    f = sitk_measures(gt, pred)
    r = per_label(gt.astype(">i2"), pred.astype(">u2"))
    for k, s in r["labels"].items():
        assert s["dice"] == pytest.approx(f.GetDiceCoefficient(k), rel=1e-12, abs=1e-15)
    mixed = per_label(gt.astype(">i2"), pred.astype("<i2"))
    assert_same(mixed, r)
    s = overlap(gt.astype(">f4"), pred.astype(">i4"))
    assert s["dice"] == pytest.approx(medpy_binary.dc(pred != 0, gt != 0), rel=1e-12)


def test_labels_argument_forms():
    gt = np.array([0, 1, 2, 3])
    pred = np.array([0, 1, 2, 0])
    assert list(per_label(gt, pred, labels={3, 1})["labels"]) == [1, 3]
    assert list(per_label(gt, pred, labels=2)["labels"]) == [2]
    assert list(per_label(gt, pred, labels=np.array([3, 2.0]))["labels"]) == [3, 2]
    assert list(per_label(gt, pred, labels=(k for k in [2, 1, 2]))["labels"]) == [2, 1]


@pytest.mark.parametrize("bad, message", [
    (np.array([0, -1, 2], np.int16), "negative"),
    (np.array([0, 1.5, 2]), "non-integer"),
    (np.array([0, np.nan, 2]), "NaN"),
    (np.array([0, np.inf, 2]), "NaN or infinite"),
    (np.array([0, 2**33, 2], np.int64), "above"),
])
def test_bad_label_values_raise(bad, message, chunking):
    ok = np.zeros(bad.shape, np.uint8)
    with pytest.raises(ValueError, match=message):
        per_label(bad, ok)
    with pytest.raises(ValueError, match=message):
        per_label(ok, bad)


def test_float16_label_maps_raise_no_overflow_warning(recwarn):
    # 2**32 - 1 does not fit a float16; the range check must not cast it to one
    gt = np.array([[0, 1], [2, 0]], dtype=np.float16)
    pred = np.array([[0, 1], [1, 0]], dtype=np.float16)
    r = per_label(gt, pred)
    # by hand: label 1 gt {1}, pred {1, 2}: tp 1, fp 1; label 2 gt {2}: fn 1
    assert [(s["tp"], s["fp"], s["fn"]) for s in r["labels"].values()] == [(1, 1, 0), (0, 0, 1)]
    with pytest.raises(ValueError, match="non-integer"):
        per_label(np.array([0, 0.5], np.float16), np.zeros(2, np.float16))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("labels", [[-1], [1.5], ["a"], "a", [[1, 2]], [True], np.array([[1, 2]])])
def test_bad_requested_labels_raise(labels):
    with pytest.raises(ValueError):
        per_label(np.zeros(3, int), np.zeros(3, int), labels=labels)


# ---------------------------------------------------------------------------
# properties


@st.composite
def mask_pairs(draw, dtype=np.bool_, elements=None):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=9))
    gt = draw(hnp.arrays(dtype, shape, elements=elements))
    pred = draw(hnp.arrays(dtype, shape, elements=elements))
    return gt, pred


@settings(max_examples=150, deadline=None)
@given(mask_pairs())
def test_overlap_properties(pair):
    gt, pred = pair
    s, swapped = overlap(gt, pred), overlap(pred, gt)
    assert s["tp"] + s["fp"] + s["fn"] + s["tn"] == gt.size
    assert s["dice"] == swapped["dice"] and s["iou"] == swapped["iou"]
    assert (s["fp"], s["fn"]) == (swapped["fn"], swapped["fp"])
    for key in OVERLAP_KEYS[4:]:
        assert math.isnan(s[key]) or 0.0 <= s[key] <= 1.0
    assert s["iou"] == pytest.approx(s["dice"] / (2 - s["dice"]), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(mask_pairs(np.uint8, st.integers(0, 6)), st.sampled_from(sorted(CHUNKINGS)))
def test_per_label_properties(pair, chunk_name):
    gt, pred = pair
    with pytest.MonkeyPatch.context() as mp:
        for name, value in CHUNKINGS[chunk_name].items():
            mp.setattr(metrics, name, value)
        r = per_label(gt, pred)
        swapped = per_label(pred, gt)
        binary = per_label(gt != 0, pred != 0)
    for k, s in r["labels"].items():
        g, p = gt == k, pred == k
        assert (s["tp"], s["fp"], s["fn"]) == (
            np.count_nonzero(g & p), np.count_nonzero(~g & p), np.count_nonzero(g & ~p))
        assert s["dice"] == swapped["labels"][k]["dice"]
        assert 0.0 <= s["dice"] <= 1.0
        assert s["iou"] == pytest.approx(s["dice"] / (2 - s["dice"]), rel=1e-12)
    if (gt != 0).any() or (pred != 0).any():
        one = binary["labels"][1]
        assert (one["tp"], one["fp"], one["fn"]) == (
            np.count_nonzero((gt != 0) & (pred != 0)),
            np.count_nonzero((gt == 0) & (pred != 0)),
            np.count_nonzero((gt != 0) & (pred == 0)))


@settings(max_examples=80, deadline=None)
@given(mask_pairs(np.float64, st.floats(0, 1)))
def test_soft_dice_properties(pair):
    prob, target = pair
    d = soft_dice(prob, target)
    assert 0.0 <= d <= 1.0 + 1e-12
    assert d == pytest.approx(soft_dice(target, prob), rel=1e-12)
    assert dice_loss(prob, target) == pytest.approx(1 - d, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------
# soft Dice and losses


P4 = [0.9, 0.1, 0.8, 0.1]
T4 = [1, 0, 1, 0]


def test_dice_loss_worked_example():
    # by hand: sum(p*t) = 0.9 + 0.8 = 1.7, sum(p) = 1.9, sum(t) = 2
    # loss = 1 - (2 * 1.7 + s) / (1.9 + 2 + s) = 1 - 3.4/3.9 = 0.128205... for s -> 0
    assert dice_loss(P4, T4, smooth=0) == pytest.approx(1 - 3.4 / 3.9, rel=1e-12)
    assert dice_loss(P4, T4) == pytest.approx(1 - (3.4 + 1e-5) / (3.9 + 1e-5), rel=1e-12)
    assert round(dice_loss(P4, T4), 6) == 0.128205
    assert soft_dice(P4, T4, smooth=0) == pytest.approx(3.4 / 3.9, rel=1e-12)


def test_two_empty_masks_have_soft_dice_one():
    assert soft_dice(np.zeros((3, 4)), np.zeros((3, 4))) == 1.0
    assert dice_loss(np.zeros(7, np.float32), np.zeros(7, bool)) == 0.0
    assert math.isnan(soft_dice(np.zeros(3), np.zeros(3), smooth=0))


def test_soft_dice_is_the_exact_formula(chunking):
    rng = np.random.default_rng(7)
    prob = rng.random((9, 11, 5)).astype(np.float32)
    target = (rng.random((9, 11, 5)) < 0.3)
    p = prob.astype(np.float64).ravel().tolist()
    t = target.astype(np.float64).ravel().tolist()
    smooth = 0.5
    expected = (2 * math.fsum(a * b for a, b in zip(p, t)) + smooth) / (math.fsum(p) + math.fsum(t) + smooth)
    assert soft_dice(prob, target, smooth=smooth) == pytest.approx(expected, rel=1e-12)


def test_bce_worked_example_and_clipping(chunking):
    expected = -(3 * math.log(0.9) + math.log(0.8)) / 4
    assert bce(P4, T4) == pytest.approx(expected, rel=1e-12)
    # p = 0 where t = 1 is clipped to eps: loss -ln(eps), averaged over 2 elements
    assert bce([0.0, 0.0], [1.0, 0.0], eps=1e-7) == pytest.approx(
        -(math.log(1e-7) + math.log(1 - 1e-7)) / 2, rel=1e-12)
    # p = 1 where t = 0 is clipped to 1 - eps: loss -ln(eps)
    assert bce([1.0], [0.0], eps=1e-4) == pytest.approx(-math.log(1e-4), rel=1e-12)
    # soft targets
    assert bce([0.3], [0.6]) == pytest.approx(-(0.6 * math.log(0.3) + 0.4 * math.log(0.7)), rel=1e-12)
    assert math.isnan(bce(np.zeros(0), np.zeros(0)))


def test_combo_loss_weights_both_terms():
    dice_part = 1 - (3.4 + 1e-5) / (3.9 + 1e-5)
    ce_part = -(3 * math.log(0.9) + math.log(0.8)) / 4
    assert combo_loss(P4, T4) == pytest.approx(dice_part + ce_part, rel=1e-12)
    assert combo_loss(P4, T4, lambda_dice=0.3, lambda_ce=2.0, smooth=0) == pytest.approx(
        0.3 * (1 - 3.4 / 3.9) + 2.0 * ce_part, rel=1e-12)


ALL_SOFT = [soft_dice, dice_loss, bce, combo_loss, dice_loss_grad, bce_grad]


@pytest.mark.parametrize("fn", ALL_SOFT)
def test_logits_raise_with_sigmoid_advice(fn):
    with pytest.raises(ValueError, match="apply a sigmoid or softmax first"):
        fn(np.array([-2.1, 0.3, 4.0]), np.array([0, 0, 1]))


@pytest.mark.parametrize("fn", ALL_SOFT)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_raise(fn, bad):
    with pytest.raises(ValueError, match="NaN or infinite"):
        fn(np.array([0.2, bad]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        fn(np.array([0.2, 0.5]), np.array([0.0, bad]))


def test_out_of_range_message_shows_the_offending_values():
    # A float32 rounding overshoot must not be reported as "spans [1, 1]".
    with pytest.raises(ValueError, match=r"spans \[0\.5, 1\.000000000001\]"):
        soft_dice([0.5, 1 + 1e-12], [1, 1])
    with pytest.raises(ValueError, match=r"spans \[-1e-09, 0\.0\]"):
        bce([0.25, 0.1], [-1e-9, 0.0])


def test_target_outside_unit_interval_and_bad_parameters_raise():
    with pytest.raises(ValueError, match=r"target must lie in \[0, 1\]"):
        soft_dice([0.1, 0.2], [0, 255])
    with pytest.raises(ValueError, match="smooth"):
        soft_dice([0.1], [1], smooth=-1)
    with pytest.raises(ValueError, match="eps"):
        bce([0.1], [1], eps=0)
    with pytest.raises(ValueError, match="finite"):
        combo_loss([0.1], [1], lambda_dice=float("nan"))


def central_difference(loss, prob, target, h=1e-6):
    grad = np.empty_like(prob)
    for i in np.ndindex(prob.shape):
        up, down = prob.copy(), prob.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (loss(up, target) - loss(down, target)) / (2 * h)
    return grad


@pytest.mark.parametrize("soft_target", [False, True])
def test_gradients_match_finite_differences(soft_target):
    rng = np.random.default_rng(11)
    prob = rng.uniform(0.05, 0.95, (3, 4))
    target = rng.random((3, 4)) if soft_target else (rng.random((3, 4)) < 0.5).astype(float)
    for smooth in (1e-5, 0.7):
        grad = dice_loss_grad(prob, target, smooth=smooth)
        assert grad.shape == prob.shape and grad.dtype == np.float64
        expected = central_difference(lambda p, t: dice_loss(p, t, smooth=smooth), prob, target)
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)
    grad = bce_grad(prob, target)
    assert grad.shape == prob.shape
    np.testing.assert_allclose(grad, central_difference(bce, prob, target), rtol=1e-6, atol=1e-9)


def test_bce_grad_is_not_zeroed_where_clipped():
    eps = 1e-7
    g = bce_grad([0.0, 1.0], [1.0, 1.0], eps=eps)
    # at p = 0 the formula is evaluated at q = eps: (eps - 1) / (n eps (1 - eps))
    assert g[0] == pytest.approx((eps - 1) / (2 * eps * (1 - eps)), rel=1e-12)
    assert g[0] < -1e6
    # at p = 1 with t = 1: (1 - eps - 1) / (n (1 - eps) eps) = -1 / (n (1 - eps))
    assert g[1] == pytest.approx(-1 / (2 * (1 - eps)), rel=1e-9)


def test_docstring_examples():
    result = doctest.testmod(metrics, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10
    assert result.failed == 0
