"""Teaching panel core: formula text from hand-worked counts, the accuracy trap,
the illustrative probability map (against scipy's full-image filter) and the
gradient maps (against finite differences of the losses)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from dicegui.core import metrics
from dicegui.core.teaching import (
    accuracy_formula,
    accuracy_trap,
    dice_formula,
    format_value,
    formulas,
    gradient_maps,
    illustrative_probability_map,
    iou_formula,
    iou_from_dice_formula,
    soft_sums,
    what_if_empty,
)

# Hand case: TP 312, FP 40, FN 55, TN 9593 (10 000 voxels).
# Dice = 624 / 719 = 0.867872..., IoU = 312 / 407 = 0.766584...,
# accuracy = 9905 / 10000 = 0.9905.
HAND = {"tp": 312, "fp": 40, "fn": 55, "tn": 9593}


def test_dice_formula_hand_case():
    text = dice_formula(HAND)
    assert text == ("Dice = 2\u00b7TP / (2\u00b7TP + FP + FN) = 2\u00b7312 / (2\u00b7312 + 40 + 55) "
                    "= 624 / 719 = 0.8679")


def test_iou_formulas_hand_case():
    assert iou_formula(HAND) == "IoU = TP / (TP + FP + FN) = 312 / (312 + 40 + 55) = 312 / 407 = 0.7666"
    assert iou_from_dice_formula(HAND) == "IoU = D / (2 \u2212 D) = 0.8679 / (2 \u2212 0.8679) = 0.7666"


def test_accuracy_formula_hand_case_with_thousands():
    assert accuracy_formula(HAND) == (
        "Accuracy = (TP + TN) / (TP + FP + FN + TN) = (312 + 9,593) / (312 + 40 + 55 + 9,593) "
        "= 9,905 / 10,000 = 0.9905 (99.05 %)"
    )
    assert set(formulas(HAND)) == {"dice", "iou", "iou_from_dice", "accuracy"}


def test_formulas_accept_overlap_results():
    gt = np.zeros((10, 10), bool)
    gt[2:5, 2:5] = True
    pred = np.zeros_like(gt)
    pred[2:5, 3:6] = True
    o = metrics.overlap(gt, pred)  # TP 6, FP 3, FN 3 -> Dice 12/18
    assert dice_formula(o).endswith("2\u00b76 / (2\u00b76 + 3 + 3) = 12 / 18 = 0.6667")


def test_zero_over_zero_conventions():
    empty = {"tp": 0, "fp": 0, "fn": 0, "tn": 100}
    assert dice_formula(empty).endswith("= 0 / 0 \u2192 1 by convention (both masks empty)")
    assert iou_formula(empty).endswith("= 0 / 0 \u2192 1 by convention (both masks empty)")
    assert iou_from_dice_formula(empty).endswith("= 1.0000")
    assert accuracy_formula({"tp": 0, "fp": 0, "fn": 0, "tn": 0}).endswith("0 / 0 \u2192 undefined (empty volume)")


def test_values_near_one_keep_their_digits():
    # accuracy 99 999 995 / 100 000 000 must not print as 1.0000 / 100.00 %
    counts = {"tp": 0, "fp": 0, "fn": 5, "tn": 99_999_995}
    text = accuracy_formula(counts)
    assert text.endswith("= 99,999,995 / 100,000,000 = 0.9999999 (99.99999 %)")
    assert format_value(1e-6) == "0.000001" and format_value(float("nan")) == "undefined"


def test_accuracy_trap_and_empty_prediction():
    # a 50-voxel target in 100 000 voxels, missed: accuracy 99.95 %, Dice 0
    counts = {"tp": 0, "fp": 0, "fn": 50, "tn": 99_950}
    text = accuracy_trap(counts)
    assert text is not None
    assert "Accuracy is 99.95 %" in text and "Dice is 0.0000" in text and "TN = 99,950" in text
    # a poor prediction: TP 10, FP 40, FN 40 in 100 000 -> Dice 0.2, accuracy 99.92 %
    poor = {"tp": 10, "fp": 40, "fn": 40, "tn": 99_910}
    text = accuracy_trap(poor)
    assert "Accuracy is 99.92 %" in text and "Dice is 0.2000" in text
    # emptying it: FN 50, TN 99 950 -> accuracy 99.95 %, higher than with the prediction
    assert "An empty prediction would score accuracy 99.95 % and Dice 0.0000" in text
    e = what_if_empty(poor)
    assert (e["tp"], e["fp"], e["fn"], e["tn"]) == (0, 0, 50, 99_950)
    assert e["accuracy"] == 99_950 / 100_000 and e["dice"] == 0.0
    # no trap: a good prediction, or a small volume where accuracy is modest
    assert accuracy_trap(HAND) is None
    assert accuracy_trap({"tp": 0, "fp": 0, "fn": 50, "tn": 950}) is None


def test_bad_counts():
    with pytest.raises(ValueError, match="tp, fp, fn, tn"):
        dice_formula({"tp": 1})
    with pytest.raises(ValueError, match="whole number"):
        dice_formula({"tp": 1.5, "fp": 0, "fn": 0, "tn": 0})


# ------------------------------------------------------------------ illustrative map
def structure(shape=(20, 40, 30)):
    m = np.zeros(shape, np.uint8)
    zz, yy, xx = np.indices(shape)
    m[((zz - 9) / 5.0) ** 2 + ((yy - 20) / 9.0) ** 2 + ((xx - 12) / 7.0) ** 2 <= 1] = 1
    m[0:3, 35:40, 25:30] = 2  # a second label touching the array edge
    return m


@pytest.mark.parametrize("label", [None, 1, 2])
def test_illustrative_map_equals_full_gaussian_filter(label):
    mask = structure()
    spacing = (2.5, 0.8, 1.0)
    sigma_mm = 2.0
    prob = illustrative_probability_map(mask, spacing, sigma_mm, label=label)
    onehot = (mask != 0 if label is None else mask == label).astype(np.float32)
    want = ndimage.gaussian_filter(onehot, np.array([sigma_mm]) / np.array(spacing), mode="nearest",
                                   output=np.float32)
    assert prob.dtype == np.float32 and prob.shape == mask.shape
    assert np.array_equal(prob, np.clip(want, 0, 1))
    assert prob.min() >= 0 and prob.max() <= 1


def test_illustrative_map_peaks_inside_and_fades_outside():
    mask = structure()
    prob = illustrative_probability_map(mask, (1.0, 1.0, 1.0), 1.5, label=1)
    peak = np.unravel_index(np.argmax(prob), prob.shape)
    assert mask[peak] == 1
    assert prob[9, 20, 12] > 0.9          # deep inside
    assert prob[9, 20, 12 + 7] < 0.6      # on the border
    assert prob[9, 20, 29] < 1e-3         # far outside
    assert prob[(mask == 1)].mean() > prob[(mask != 1)].mean()


def test_illustrative_map_edge_cases():
    assert not illustrative_probability_map(np.zeros((3, 4, 5))).any()
    m = structure()
    assert np.array_equal(illustrative_probability_map(m, sigma_mm=0), (m != 0).astype(np.float32))
    with pytest.raises(ValueError, match="spacing"):
        illustrative_probability_map(m, (1.0, 1.0))
    with pytest.raises(ValueError, match="sigma"):
        illustrative_probability_map(m, sigma_mm=-1)


# ------------------------------------------------------------------ gradients
def finite_differences(loss, prob, target, h=1e-6):
    grad = np.empty_like(prob)
    for i in range(prob.size):
        up, down = prob.copy(), prob.copy()
        up.flat[i] += h
        down.flat[i] -= h
        grad.flat[i] = (loss(up, target) - loss(down, target)) / (2 * h)
    return grad


def test_gradient_maps_match_finite_differences():
    rng = np.random.default_rng(0)
    prob = rng.uniform(0.05, 0.95, (3, 4, 5))
    target = (rng.random((3, 4, 5)) < 0.4).astype(np.float64)
    g = gradient_maps(prob, target, smooth=1e-5)
    checks = {
        "dice": lambda p, t: metrics.dice_loss(p, t, smooth=1e-5),
        "bce": metrics.bce,
        "combo": lambda p, t: metrics.combo_loss(p, t, smooth=1e-5),
    }
    for key, loss in checks.items():
        assert g[key].shape == prob.shape
        np.testing.assert_allclose(g[key], finite_differences(loss, prob, target), rtol=1e-5, atol=1e-8)


def test_gradient_maps_on_a_slice_equal_the_full_maps():
    rng = np.random.default_rng(1)
    prob = rng.random((4, 6, 5)).astype(np.float32)
    target = rng.random((4, 6, 5)) < 0.3
    full = gradient_maps(prob, target)
    index = (slice(None), slice(None), 2)
    part = gradient_maps(prob, target, index=index)
    for key in ("dice", "bce", "combo"):
        assert part[key].shape == (4, 6)
        assert np.array_equal(part[key], full[key][index])
    sums = soft_sums(prob, target)
    assert sums == pytest.approx((prob.astype(np.float64).sum(), target.sum(),
                                  (prob.astype(np.float64) * target).sum()), rel=1e-12)
    cached = gradient_maps(prob, target, index=index, sums=sums)
    for key in ("dice", "bce", "combo"):
        assert np.array_equal(cached[key], full[key][index])
    with pytest.raises(ValueError, match="sigmoid"):
        gradient_maps(prob * 3, target, index=index)
