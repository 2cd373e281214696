"""Multi-class cross-entropy and the BCE dilution sentence, against sums worked here."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dicegui.core import metrics
from dicegui.core.loss_terms import bce_dilution, bce_dilution_text, multiclass_cross_entropy


def test_multiclass_cross_entropy_by_hand_channel_first_and_last():
    probs = np.array([[0.7, 0.2, 0.25], [0.2, 0.5, 0.25], [0.1, 0.3, 0.5]])  # (classes, voxels)
    labels = np.array([0, 2, 1])
    hand = -(math.log(0.7) + math.log(0.3) + math.log(0.25)) / 3
    assert multiclass_cross_entropy(probs, labels) == pytest.approx(hand, abs=1e-12)
    assert multiclass_cross_entropy(probs.T, labels, axis=-1) == pytest.approx(hand, abs=1e-12)


def test_two_class_cross_entropy_is_the_bce():
    p = np.array([0.9, 0.1, 0.8, 0.1])
    t = np.array([1, 0, 1, 0])
    assert multiclass_cross_entropy(np.stack([1 - p, p]), t) == pytest.approx(metrics.bce(p, t), abs=1e-9)


@pytest.mark.parametrize("probs, labels, words", [
    (np.full((2, 3), 0.5), np.array([0, 1, 2]), r"\[0, 2\)"),
    (np.full((2, 3), 3.0), np.array([0, 1, 1]), "softmax"),
    (np.full((2, 3), 0.5), np.array([0, 1]), "differ"),
    (np.full((2, 3), 0.5), np.array([0, 0.5, 1]), "whole"),
])
def test_bad_inputs_are_refused(probs, labels, words):
    with pytest.raises(ValueError, match=words):
        multiclass_cross_entropy(probs, labels)


def test_bce_dilution_of_a_mostly_easy_background():
    # 990 background voxels at p = 0.001 (loss -ln 0.999 each), 10 foreground voxels at p = 0.5 (ln 2 each)
    prob = np.r_[np.full(990, 0.001), np.full(10, 0.5)]
    target = np.r_[np.zeros(990), np.ones(10)]
    easy_loss, hard_loss = -math.log(0.999), math.log(2)
    d = bce_dilution(prob, target)
    assert d["n_easy"] == 990 and d["n_hard"] == 10
    assert d["mean"] == pytest.approx((990 * easy_loss + 10 * hard_loss) / 1000, rel=1e-12)
    assert d["mean"] == pytest.approx(metrics.bce(prob, target), rel=1e-9)
    assert d["hard_mean"] == pytest.approx(hard_loss, rel=1e-12)
    assert d["easy_share"] == pytest.approx(990 * easy_loss / (990 * easy_loss + 10 * hard_loss), rel=1e-12)
    assert d["dilution"] == 100
    text = bce_dilution_text(d)
    assert f"only {d['mean']:.4f}" in text and "990 of them (99.0 %)" in text
    assert "the other 10 average 0.6931: 100× more" in text


def test_weighted_combo_on_the_seed():
    from dicegui.core.loss_terms import weighted_combo

    loss, bce = 0.5 / 3.9, -(3 * math.log(0.9) + math.log(0.8)) / 4
    assert weighted_combo(loss, bce, 0.25) == pytest.approx(0.25 * 0.128205128 + 0.75 * 0.134806275, abs=1e-8)
    with pytest.raises(ValueError, match="λ"):
        weighted_combo(loss, bce, 1.5)
