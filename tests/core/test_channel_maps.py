"""Channel maps and logits: softmax/sigmoid, labels, channel axes, and the two lessons, against hand-worked numbers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dicegui.core.channel_maps import (
    activate,
    activation_lesson,
    channel_axis,
    logit_lesson,
    per_class_soft_dice,
    sigmoid,
    softmax,
)


def test_logit_lesson_on_the_seed_example_worked_by_hand():
    # the seed: probabilities 0.9, 0.1, 0.8, 0.1 against 1, 0, 1, 0; their logits ln(p / (1 - p))
    p = np.array([0.9, 0.1, 0.8, 0.1])
    x = np.log(p / (1 - p))  # 2.1972, -2.1972, 1.3863, -2.1972
    r = logit_lesson(x, [1, 0, 1, 0])
    sum_pt = math.log(9) + math.log(4)  # logits on the structure
    sum_p = math.log(9) - math.log(9) + math.log(4) - math.log(9)
    assert r["raw_sum_pt"] == pytest.approx(sum_pt) and r["raw_sum_p"] == pytest.approx(sum_p)
    assert r["raw"] == pytest.approx(2 * sum_pt / (sum_p + 2)) and r["raw"] > 6  # not a score at all
    assert r["sigmoid"] == pytest.approx(3.4 / 3.9)  # 2 * 1.7 / (1.9 + 2)
    assert "6.027" in r["text"] and "0.8718" in r["text"]


def test_sigmoid_and_softmax_are_stable_and_exact():
    x = np.array([-1000.0, -20.0, 0.0, 3.0, 1000.0])
    np.testing.assert_allclose(sigmoid(x), [0.0, 1 / (1 + math.exp(20)), 0.5, 1 / (1 + math.exp(-3)), 1.0], rtol=1e-6)
    z = np.array([[1.0, 1000.0], [2.0, 1000.0], [3.0, -5.0]])  # channels along axis 0, two voxels
    s = softmax(z, axis=0)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s[:, 0], e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(s[:, 1], [0.5, 0.5, 0.0], atol=1e-6)
    assert np.all(np.isfinite(s))


def test_activate_labels_by_softmax_argmax_and_by_sigmoid_threshold():
    # three channels (background, 1, 2) over four voxels, worked by hand
    raw = np.array([[5.0, 0.0, 0.0, 0.0],
                    [0.0, 2.0, 1.0, -3.0],
                    [0.0, 1.0, 2.0, -3.0]])
    soft = activate(raw, 0, "softmax")
    assert soft.labels.tolist() == [0, 1, 2, 0]  # voxel 3: background 0 beats -3, -3
    np.testing.assert_allclose(soft.probs.sum(axis=0), 1.0, rtol=1e-6)
    sig = activate(raw, 0, "sigmoid")
    # sigmoid(2) = 0.88 >= 0.5 wins its voxel; voxel 0: sigmoid(0) = 0.5 reaches 0.5, channel 1 first
    assert sig.labels.tolist() == [1, 1, 2, 0]
    assert soft.raw_range == (-3.0, 5.0)
    # channels last give the same labels
    assert activate(np.moveaxis(raw, 0, -1), 1, "softmax").labels.tolist() == [0, 1, 2, 0]
    with pytest.raises(ValueError, match="at least 2 channels"):
        activate(raw[:1], 0)
    with pytest.raises(ValueError, match="NaN"):
        activate(np.array([[np.nan, 1.0], [0.0, 0.0]]), 0)
    with pytest.raises(ValueError, match="activation"):
        activate(raw, 0, "relu")


def test_channel_axis_first_or_last():
    assert channel_axis((20, 20, 8, 3)) == 3
    assert channel_axis((3, 20, 20, 8)) == 0
    assert channel_axis((3, 20, 20, 8), grid_shape=(20, 20, 8)) == 0
    assert channel_axis((20, 20, 8, 3), grid_shape=(20, 20, 8)) == 3
    assert channel_axis((20, 20, 8, 3), grid_shape=(20, 20, 9)) is None
    assert channel_axis((200, 20, 20, 100)) is None  # more than 64 channels either way
    assert channel_axis((2, 30, 30, 2)) == 3  # a tie: channels last, as NIfTI keeps them
    assert channel_axis((30, 30)) is None


def test_per_class_soft_dice_and_the_activation_lesson():
    ref = np.array([0, 1, 1, 2])
    probs = np.array([[0.8, 0.1, 0.2, 0.1],
                      [0.1, 0.7, 0.6, 0.1],
                      [0.1, 0.2, 0.2, 0.8]])
    d = per_class_soft_dice(probs, ref, smooth=0)
    # class 1 by hand: 2 * (0.7 + 0.6) / (1.5 + 2)
    assert d[1] == pytest.approx(2 * 1.3 / 3.5) and d[0] == pytest.approx(2 * 0.8 / (1.2 + 1))
    raw = np.log(probs)  # logits whose softmax gives back probs
    lesson = activation_lesson(raw, 0, ref, smooth=0)
    np.testing.assert_allclose(lesson["softmax"], d, rtol=1e-6)
    np.testing.assert_allclose(lesson["sigmoid"], per_class_soft_dice(1 / (1 + 1 / probs), ref, smooth=0), rtol=1e-6)
    assert "add up to 1" in lesson["text"]
