"""Threshold curve, soft summary and smooth table against independent references.

The curve is checked against metrics.overlap(gt, prob >= t) and plain NumPy
counts at sampled thresholds, including thresholds equal to probabilities
present in the map and their floating-point neighbours (where a binned
approximation would be off by the voxels holding that exact value). The soft
numbers are worked out by hand.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dicegui.core import metrics
from dicegui.core.threshold import (
    best_threshold,
    label_threshold_curves,
    GRID,
    format_smooth_table,
    scores_at,
    smooth_effect,
    soft_summary,
    threshold_counts,
    threshold_curve,
)


def numpy_counts(prob, gt, t):
    """(tp, fp, fn, tn) of prob >= t (compared in float64) by plain counting."""
    p = np.asarray(prob, np.float64) >= t
    g = np.asarray(gt) != 0
    return int((p & g).sum()), int((p & ~g).sum()), int((~p & g).sum()), int((~p & ~g).sum())


def assert_curve_matches(prob, gt, thresholds):
    curve = threshold_curve(prob, gt, thresholds)
    assert curve["threshold"].tolist() == [float(t) for t in thresholds]
    for i, t in enumerate(thresholds):
        want = metrics.overlap(gt, np.asarray(prob, np.float64) >= t)
        got = scores_at(curve, i)
        assert (got["tp"], got["fp"], got["fn"], got["tn"]) == numpy_counts(prob, gt, t), t
        for key in metrics.OVERLAP_KEYS:
            w, g = want[key], got[key]
            assert (math.isnan(w) and math.isnan(g)) if isinstance(w, float) and math.isnan(w) else g == w, (t, key)
    return curve


def sample_map(seed, shape=(6, 40, 36), dtype=np.float32):
    rng = np.random.default_rng(seed)
    prob = rng.random(shape).astype(dtype)
    prob[prob < 0.2] = 0          # many exact zeros ...
    prob[prob > 0.95] = 1         # ... and exact ones, as real maps have
    prob.reshape(-1)[:50] = np.float32(0.3)  # repeated values on a threshold
    gt = (rng.random(shape) < 0.4).astype(np.uint8)
    gt[gt.astype(bool) & (rng.random(shape) < 0.2)] = 2  # label map: nonzero = foreground
    return prob, gt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_curve_equals_overlap_at_sampled_and_existing_thresholds(dtype):
    prob, gt = sample_map(0, dtype=dtype)
    values = np.unique(prob)
    rng = np.random.default_rng(1)
    present = rng.choice(values, 25, replace=False).astype(np.float64)
    neighbours = np.concatenate([np.nextafter(present, 0), np.nextafter(present, 1)])
    thresholds = np.concatenate([
        np.linspace(0, 1, 21),        # on and off the 2**-16 grid
        present, neighbours,
        [np.float32(0.3), 0.3, np.nextafter(0.3, 1)],  # float32(0.3) < 0.3 < next float
        [-0.5, -0.0, 1e-12, 1 / GRID, 1.0, np.nextafter(1.0, 0), 1.5],
        [0.7, 0.7],                   # repeats
    ])
    assert_curve_matches(prob, gt, thresholds)


def test_curve_on_views_integer_maps_and_bool_gt():
    prob, gt = sample_map(2)
    view_p, view_g = prob[::-1, ::2].transpose(2, 0, 1), gt[::-1, ::2].transpose(2, 0, 1)
    assert_curve_matches(view_p, view_g, [0.1, 0.3, 0.5, 0.77])
    assert_curve_matches(prob.astype(np.float16), gt != 0, [0.25, 0.3, 0.6])
    hard = (prob > 0.5).astype(np.uint8)
    assert_curve_matches(hard, gt, [0.0, 0.5, 1.0])


def test_threshold_counts_shape_and_types():
    prob, gt = sample_map(3, shape=(3, 10, 10))
    c = threshold_counts(prob, gt, 0.4)
    assert c["tp"].dtype == np.int64 and c["tp"].shape == (1,)
    assert int(c["tp"][0] + c["fp"][0] + c["fn"][0] + c["tn"][0]) == prob.size
    curve = threshold_curve(prob, gt, [0.2, 0.4])
    assert set(curve) == {"threshold", *metrics.OVERLAP_KEYS}
    assert curve["dice"].dtype == np.float64


def test_hand_worked_curve():
    # p = 0.9 0.2 0.6 0.4, gt = 1 0 1 1
    c = threshold_curve([0.9, 0.2, 0.6, 0.4], [1, 0, 1, 1], [0.0, 0.4, 0.41, 0.6, 0.95])
    assert c["tp"].tolist() == [3, 3, 2, 2, 0]
    assert c["fp"].tolist() == [1, 0, 0, 0, 0]
    assert c["dice"].tolist() == [6 / 7, 1.0, 0.8, 0.8, 0.0]


def test_empty_inputs_and_bad_values():
    c = threshold_curve(np.zeros(0, np.float32), np.zeros(0, np.uint8), [0.5])
    assert c["tp"].tolist() == [0] and c["dice"].tolist() == [1.0]
    with pytest.raises(ValueError, match="sigmoid"):
        threshold_curve(np.array([0.2, 3.0]), np.array([0, 1]), [0.5])
    with pytest.raises(ValueError, match="NaN"):
        threshold_curve(np.array([0.2, np.nan]), np.array([0, 1]), [0.5])
    with pytest.raises(ValueError, match="shape"):
        threshold_curve(np.zeros(3), np.zeros(4), [0.5])
    with pytest.raises(ValueError, match="finite"):
        threshold_curve(np.zeros(3), np.zeros(3), [np.nan])


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float32, st.integers(1, 60), elements=st.floats(0, 1, width=32)),
    st.lists(st.floats(-0.1, 1.1), min_size=1, max_size=6),
    st.data(),
)
def test_property_curve_is_exact(prob, thresholds, data):
    gt = data.draw(hnp.arrays(np.uint8, prob.shape, elements=st.integers(0, 1)))
    # half of the time also ask for values that are in the map
    extra = [float(prob[i]) for i in data.draw(st.lists(st.integers(0, prob.size - 1), max_size=3))]
    ts = thresholds + extra
    curve = threshold_curve(prob, gt, ts)
    for i, t in enumerate(ts):
        assert (int(curve["tp"][i]), int(curve["fp"][i]), int(curve["fn"][i]), int(curve["tn"][i])) \
            == numpy_counts(prob, gt, t)


# ------------------------------------------------------------------ soft summary
def test_soft_summary_hand_worked():
    # sum(p t) = 1.7, sum(p) = 1.9, sum(t) = 2
    s = soft_summary([0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0])
    soft = (3.4 + 1e-5) / (3.9 + 1e-5)
    bce = -(3 * math.log(0.9) + math.log(0.8)) / 4
    assert s["soft_dice"] == pytest.approx(soft, rel=1e-12)
    assert s["dice_loss"] == pytest.approx(1 - soft, rel=1e-12)
    assert round(s["dice_loss"], 6) == 0.128205
    assert s["bce"] == pytest.approx(bce, rel=1e-12)
    assert round(s["bce"], 6) == 0.134806
    assert s["combo_loss"] == pytest.approx(1 - soft + bce, rel=1e-12)
    assert round(s["combo_loss"], 6) == 0.263011
    assert s["hard_dice"] == 1.0 and s["hard_iou"] == 1.0
    assert s["threshold"] == 0.5 and s["smooth"] == 1e-5


def test_soft_summary_agrees_with_metrics_and_label_maps():
    prob, gt = sample_map(4, shape=(4, 12, 12))
    s = soft_summary(prob, gt, smooth=1.0)
    target = gt != 0
    assert s["soft_dice"] == metrics.soft_dice(prob, target, smooth=1.0)
    assert s["dice_loss"] == metrics.dice_loss(prob, target, smooth=1.0)
    assert s["bce"] == metrics.bce(prob, target)
    assert s["combo_loss"] == metrics.combo_loss(prob, target, smooth=1.0)
    assert s["hard_dice"] == metrics.overlap(gt, prob >= 0.5)["dice"]


# ------------------------------------------------------------------ smooth table
def test_smooth_effect_hand_worked():
    smooths = (1e-5, 1e-2, 1.0, 10.0)
    table = smooth_effect(smooths, tiny=2, large=1000)
    assert table["smooth"] == smooths
    rows = {r["case"]: r["soft_dice"] for r in table["rows"]}
    expected = {
        "empty target, empty prediction": [1.0] * 4,                              # s / s
        "empty target, 2 voxels predicted": [s / (2 + s) for s in smooths],
        "tiny target (2 voxels), nothing predicted": [s / (2 + s) for s in smooths],
        "tiny target (2 voxels), 1 found": [(2 + s) / (3 + s) for s in smooths],
        "tiny target (2 voxels), all found": [1.0] * 4,
        "large target (1000 voxels), half found": [(1000 + s) / (1500 + s) for s in smooths],
    }
    assert list(rows) == list(expected)
    for case, want in expected.items():
        assert rows[case] == pytest.approx(want, rel=1e-12), case
    # the lesson: a large smooth forgives a false alarm on an empty image ...
    assert rows["empty target, 2 voxels predicted"][0] < 1e-4 < 0.8 < rows["empty target, 2 voxels predicted"][3]
    # ... but barely moves a large structure
    big = rows["large target (1000 voxels), half found"]
    assert max(big) - min(big) < 0.003
    text = format_smooth_table(table)
    assert "smooth=10" in text and "0.8333" in text  # 10 / 12


def test_smooth_effect_rejects_bad_values():
    with pytest.raises(ValueError, match="smooth"):
        smooth_effect((-1.0,))
    with pytest.raises(ValueError, match="tiny"):
        smooth_effect(tiny=0)


def test_best_threshold_matches_a_brute_force_sweep():
    rng = np.random.default_rng(12)
    gt = rng.random((30, 40)) < 0.2
    prob = np.clip(0.35 * gt + rng.random(gt.shape) * 0.6, 0, 1)  # overlapping classes: an inner optimum
    ts = np.linspace(0, 1, 101)
    brute = []
    for t in ts:
        p = prob >= t
        tp, fp, fn = np.sum(p & gt), np.sum(p & ~gt), np.sum(~p & gt)
        brute.append(2 * tp / (2 * tp + fp + fn))
    i = best_threshold(threshold_curve(prob, gt, ts))
    assert i == int(np.argmax(brute)) and 0 < i < 100
    assert threshold_curve(prob, gt, ts)["dice"][i] == pytest.approx(max(brute))


def test_best_threshold_refuses_an_undefined_curve():
    with pytest.raises(ValueError, match="undefined"):
        best_threshold({"dice": np.array([np.nan, np.nan])})


def test_label_curves_are_each_channel_against_its_label():
    labels = np.array([0, 1, 1, 2, 2, 0])
    probs = np.array([[0.8, 0.1, 0.2, 0.1, 0.3, 0.9],
                      [0.1, 0.6, 0.7, 0.2, 0.1, 0.05],
                      [0.1, 0.3, 0.1, 0.7, 0.6, 0.05]])
    curves = label_threshold_curves(probs, labels, [0.25, 0.65])
    assert sorted(curves) == [1, 2]
    # label 1 at t = 0.25: voxels 1, 2 predicted, both label 1 -> Dice 1; at 0.65 only voxel 2 -> 2/3
    assert curves[1]["dice"].tolist() == pytest.approx([1.0, 2 / 3])
    # label 2 at 0.25: voxels 1, 3, 4 -> TP 2, FP 1 -> 0.8; at 0.65: voxel 3 -> 2/3
    assert curves[2]["dice"].tolist() == pytest.approx([0.8, 2 / 3])
