"""Property-based fuzzing of the metrics with random arrays, shapes and dtypes.

Every call either returns the right number or raises the documented
ValueError (TypeError where a non-array is refused). "Right" is checked
against plain NumPy/SciPy computations written out here, not against
dicegui's own output.
"""
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage as ndi
from scipy.spatial.distance import cdist

from dicegui.core import metrics
from dicegui.core.live import LiveScore
from dicegui.core.surface import surface_distances

SCALE = max(1, int(os.environ.get("DICEGUI_FUZZ_SCALE", "1")))
FUZZ = settings(
    max_examples=250 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

NUMERIC = [np.bool_, np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
           np.float16, np.float32, np.float64]
ODD = [np.complex64, np.complex128]


def shapes(min_dims=0, max_dims=4, max_side=5):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side)


def any_array(shape, dtypes=NUMERIC + ODD):
    dtype = st.sampled_from(dtypes)
    return dtype.flatmap(lambda dt: hnp.arrays(dt, shape, elements=_elements(np.dtype(dt))))


def _elements(dtype):
    if dtype.kind == "f":
        special = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, np.nan, np.inf, -np.inf])
        return st.one_of(special, st.floats(-10, 10, width=min(64, dtype.itemsize * 8)))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.one_of(st.sampled_from([0, 1, 2, 3]), st.integers(int(info.min), int(info.max)))
    if dtype.kind == "c":
        return st.complex_numbers(max_magnitude=3, allow_nan=False, width=dtype.itemsize * 8)
    return None


@st.composite
def array_pairs(draw, same_shape_probability=0.85, dtypes=NUMERIC + ODD, min_dims=0, max_dims=4):
    shape = draw(shapes(min_dims, max_dims))
    other = shape if draw(st.floats(0, 1)) < same_shape_probability else draw(shapes(min_dims, max_dims))
    return draw(any_array(shape, dtypes)), draw(any_array(other, dtypes))


def reference_counts(gt, pred):
    g, p = gt != 0, pred != 0
    tp = int(np.count_nonzero(g & p))
    fp = int(np.count_nonzero(p)) - tp
    fn = int(np.count_nonzero(g)) - tp
    return tp, fp, fn, int(g.size) - int(np.count_nonzero(g | p))


# ---------------------------------------------------------------- overlap


@FUZZ
@given(pair=array_pairs(), layout=st.sampled_from(["C", "F", "transposed", "flipped", "strided"]))
def test_overlap_counts_any_arrays(pair, layout, count_example):
    count_example()
    gt, pred = pair
    gt, pred = _layout(gt, layout), _layout(pred, layout)
    if gt.shape != pred.shape:
        with pytest.raises(ValueError, match="differ in shape"):
            metrics.overlap(gt, pred)
        return
    out = metrics.overlap(gt, pred)
    tp, fp, fn, tn = reference_counts(gt, pred)
    assert (out["tp"], out["fp"], out["fn"], out["tn"]) == (tp, fp, fn, tn)
    if tp + fp + fn == 0:
        assert out["dice"] == 1.0
    else:
        assert out["dice"] == pytest.approx(2 * tp / (2 * tp + fp + fn))


def _layout(a, layout):
    if a.ndim < 2:
        return a
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "transposed":
        return a.T
    if layout == "flipped":
        return a[::-1]
    if layout == "strided":
        return a[:, ::2]
    return a


@FUZZ
@given(gt=st.one_of(st.none(), st.text(max_size=3), st.lists(st.text(max_size=2), max_size=3)),
       pred=st.one_of(st.none(), st.text(max_size=3)))
def test_non_numbers_are_refused(gt, pred, count_example):
    count_example()
    for f in (metrics.overlap, metrics.per_label, metrics.soft_dice, metrics.bce):
        with pytest.raises(ValueError):
            f(gt, pred)


# ---------------------------------------------------------------- per_label


def _label_problem(a) -> bool:
    """Whether ``a`` cannot be a label map (the documented ValueError cases)."""
    if a.dtype.kind == "c":
        return True
    if a.dtype.kind == "b" or a.size == 0:
        return False
    if a.dtype.kind == "f":
        a = a.astype(np.float64)
        if not np.isfinite(a).all() or np.any(a != np.floor(a)):
            return True
    return bool(int(a.min()) < 0 or int(a.max()) > 2**32 - 1)


def _as_labels(a):
    # Exact integers to compare against (uint64 labels above 2**63 stay uint64).
    if a.dtype.kind == "f":
        return a.astype(np.float64)
    return a if a.dtype == np.uint64 else a.astype(np.int64)


@FUZZ
@given(pair=array_pairs())
def test_per_label_any_arrays(pair, count_example):
    count_example()
    gt, pred = pair
    if gt.shape != pred.shape or _label_problem(gt) or _label_problem(pred):
        with pytest.raises(ValueError):
            metrics.per_label(gt, pred)
        return
    out = metrics.per_label(gt, pred)
    g, p = _as_labels(gt), _as_labels(pred)
    present = sorted(({int(v) for v in np.unique(g)} | {int(v) for v in np.unique(p)}) - {0})
    assert sorted(out["labels"]) == present
    for k in present:
        tp = int(np.count_nonzero((g == k) & (p == k)))
        n_g, n_p = int(np.count_nonzero(g == k)), int(np.count_nonzero(p == k))
        assert out["labels"][k]["tp"] == tp
        assert out["labels"][k]["dice"] == pytest.approx(2 * tp / (n_g + n_p))


# ---------------------------------------------------------------- soft Dice and BCE


@FUZZ
@given(pair=array_pairs(dtypes=NUMERIC), smooth=st.sampled_from([0.0, 1e-5, 1.0, -1.0, np.nan]))
def test_soft_dice_and_bce_any_arrays(pair, smooth, count_example):
    count_example()
    prob, target = pair
    def bad(a):
        return a.size > 0 and (not np.isfinite(a.astype(np.float64)).all() or a.min() < 0 or a.max() > 1)

    if prob.shape != target.shape or bad(prob) or bad(target):
        for f in (lambda: metrics.soft_dice(prob, target), lambda: metrics.bce(prob, target)):
            with pytest.raises(ValueError):
                f()
        return
    if not (smooth >= 0):
        with pytest.raises(ValueError, match="smooth"):
            metrics.soft_dice(prob, target, smooth=smooth)
        return
    p, t = prob.astype(np.float64), target.astype(np.float64)
    den = p.sum() + t.sum() + smooth
    dice = metrics.soft_dice(prob, target, smooth=smooth)
    if den == 0:
        assert math.isnan(dice)
    else:
        assert dice == pytest.approx((2 * np.dot(p.ravel(), t.ravel()) + smooth) / den, rel=1e-9, abs=1e-12)
    loss = metrics.bce(prob, target)
    if p.size == 0:
        assert math.isnan(loss)
    else:
        q = np.clip(p, 1e-7, 1 - 1e-7)
        expected = -np.mean(t * np.log(q) + (1 - t) * np.log(1 - q))
        assert loss == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- surface distances


def _reference_hd(gt, pred, spacing):
    """Hausdorff distance by brute force: every border voxel against every other."""
    def border(a):
        m = a != 0
        return m & ~ndi.binary_erosion(m, ndi.generate_binary_structure(m.ndim, 1), border_value=0)

    bg, bp = border(gt), border(pred)
    if not bg.any() and not bp.any():
        return 0.0
    if not bg.any() or not bp.any():
        return math.inf
    cg = np.argwhere(bg) * spacing
    cp = np.argwhere(bp) * spacing
    d = cdist(cg, cp)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))


@settings(FUZZ, max_examples=180 * SCALE)
@given(pair=array_pairs(dtypes=[np.bool_, np.uint8, np.int16, np.float32], min_dims=1, max_dims=3),
       spacing=st.one_of(st.none(), st.lists(st.sampled_from([0.5, 1.0, 2.5, 0.0, -1.0, np.nan, np.inf]),
                                             min_size=1, max_size=4)),
       tolerance=st.sampled_from([0.0, 1.0, 2.0, -1.0, np.nan]))
def test_surface_distances_any_arrays(pair, spacing, tolerance, count_example):
    count_example()
    gt, pred = pair
    sp = None if spacing is None else np.asarray(spacing, dtype=float)
    bad_spacing = sp is not None and (sp.shape != (gt.ndim,) or not (np.isfinite(sp).all() and (sp > 0).all()))
    if gt.shape != pred.shape or bad_spacing or not tolerance >= 0:
        with pytest.raises(ValueError):
            surface_distances(gt, pred, spacing=spacing, tolerance=tolerance)
        return
    out = surface_distances(gt, pred, spacing=spacing, tolerance=tolerance)
    assert set(out) == {"hd", "hd95", "assd", "nsd", "hd95_pooled"}
    assert out["hd"] == pytest.approx(_reference_hd(gt, pred, np.ones(gt.ndim) if sp is None else sp))
    if math.isfinite(out["hd"]):
        assert 0 <= out["hd95"] <= out["hd"] + 1e-12 and 0 <= out["assd"] <= out["hd"] + 1e-12
        assert 0 <= out["nsd"] <= 1


# ---------------------------------------------------------------- LiveScore


@st.composite
def live_sessions(draw):
    """Two masks and a sequence of edits (boxes, scattered voxels with repeats, boolean masks)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    dtype = draw(st.sampled_from([np.bool_, np.uint8, np.int16, np.uint16, np.float32]))
    gt = draw(hnp.arrays(dtype, shape, elements=_mask_values(dtype)))
    pred = draw(hnp.arrays(dtype, shape, elements=_mask_values(dtype)))
    edits = []
    for _ in range(draw(st.integers(1, 8))):
        which = draw(st.sampled_from(["gt", "pred"]))
        kind = draw(st.sampled_from(["box", "points", "bool"]))
        if kind == "box":
            index = tuple(slice(a, a + draw(st.integers(0, n - a)))
                          for n in shape for a in [draw(st.integers(0, n - 1))])
        elif kind == "points":
            k = draw(st.integers(1, 10))
            index = tuple(np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))) for n in shape)
        else:
            index = (draw(hnp.arrays(np.bool_, shape)),)
        value = draw(_mask_values(dtype))
        edits.append((which, index, value))
    return gt, pred, edits


def _mask_values(dtype):
    if np.dtype(dtype).kind == "b":
        return st.booleans()
    if np.dtype(dtype).kind == "f":
        return st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, np.nan])
    return st.integers(0, 3)


def _same_or_both_raise(f, g):
    try:
        a = f()
    except ValueError:
        with pytest.raises(ValueError):
            g()
        return None
    b = g()
    assert a == b or _nan_equal(a, b)
    return a


def _nan_equal(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_nan_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)
    return a == b


@settings(FUZZ, max_examples=180 * SCALE)
@given(session=live_sessions())
def test_live_score_follows_random_edits(session, count_example):
    count_example()
    gt, pred, edits = session
    live = LiveScore(gt, pred)
    for which, index, value in edits:
        before = (gt.copy(), pred.copy())
        previous = live.apply(which, index, value)
        tp, fp, fn, tn = reference_counts(gt, pred)
        o = live.overlap()
        assert (o["tp"], o["fp"], o["fn"], o["tn"]) == (tp, fp, fn, tn)
        assert _nan_equal(o, metrics.overlap(gt, pred))
        _same_or_both_raise(live.per_label, lambda: metrics.per_label(gt, pred))
        for axis in range(gt.ndim):
            i = gt.shape[axis] - 1
            ref = metrics.overlap(np.take(gt, i, axis), np.take(pred, i, axis))
            assert _nan_equal(live.slice_overlap(axis, i), ref)
        # Undo with what apply returned restores both arrays bit for bit
        # (for scattered indices with repeats only when each position came once).
        if not (isinstance(index[0], np.ndarray) and index[0].dtype != bool and _has_repeats(index, gt.shape)):
            live.apply(which, index, previous)
            np.testing.assert_array_equal(gt, before[0])
            np.testing.assert_array_equal(pred, before[1])
            live.apply(which, index, value)


def _has_repeats(index, shape):
    flat = np.ravel_multi_index(index, shape)
    return np.unique(flat).size != flat.size


@FUZZ
@given(gt=st.one_of(st.none(), st.integers(), st.lists(st.integers(0, 1), max_size=4)),
       shape_mismatch=st.booleans())
def test_live_score_refuses_what_it_documents(gt, shape_mismatch, count_example):
    count_example()
    with pytest.raises(TypeError):
        LiveScore(gt, np.zeros(3))
    a = np.zeros((3, 4), np.uint8)
    with pytest.raises(ValueError):
        LiveScore(a, np.zeros((4, 3), np.uint8) if shape_mismatch else a)
    with pytest.raises(ValueError):
        LiveScore(np.zeros(3, dtype=object), np.zeros(3, dtype=object))
    live = LiveScore(np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8))
    with pytest.raises(ValueError):
        live.apply("both", (0, 0), 1)
    with pytest.raises(IndexError):
        live.slice_overlap(0, 5)
    with pytest.raises(IndexError):
        live.slice_dice(3)


def test_per_label_of_float16_maps_raises_no_warning():
    # Found by the fuzzing above: the float16 maximum was compared with
    # 2**32 - 1, which NumPy cast to float16 with an overflow warning.
    import warnings

    gt = np.array([[0, 1], [2, 0]], dtype=np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = metrics.per_label(gt, gt)
    assert sorted(out["labels"]) == [1, 2]
