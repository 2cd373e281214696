"""Dice as sets and micro vs macro Dice, against counts and means computed here with numpy."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core import metrics
from dicegui.core.dice_forms import dice_sets_formula, label_averaging, set_sizes

HAND = {"tp": 312, "fp": 40, "fn": 55, "tn": 9593}  # |A| = 367, |B| = 352, Dice = 624 / 719


def test_sets_form_by_hand():
    assert set_sizes(HAND) == {"reference": 367, "prediction": 352, "overlap": 312}
    line = dice_sets_formula(HAND)
    assert line == "Dice = 2|A∩B| / (|A| + |B|) = 2·312 / (367 + 352) = 624 / 719 = 0.8679"
    assert f"{624 / 719:.4f}" == "0.8679"


def test_sets_form_of_two_empty_masks():
    assert dice_sets_formula({"tp": 0, "fp": 0, "fn": 0, "tn": 9}).endswith("0 / 0 → 1 by convention (both masks empty)")


def _label_maps():
    # label 1: large and good, label 2: small and poor, label 3 swapped into 1 once
    gt = np.zeros((20, 20), np.uint8)
    pred = np.zeros_like(gt)
    gt[0:10, 0:10] = 1
    pred[0:10, 1:10] = 1
    pred[0, 0] = 3        # a foreground voxel given another label: foreground overlap, label error
    gt[15:17, 15:17] = 2  # 4 voxels
    pred[16:18, 15:17] = 2
    return gt, pred


def test_micro_macro_against_numpy():
    gt, pred = _label_maps()
    per = metrics.per_label(gt, pred)
    fg = metrics.overlap(gt != 0, pred != 0)
    a = label_averaging(per, fg, {1: "big", 2: "small"})

    def dice(g, p):
        return 2 * np.sum(g & p) / (g.sum() + p.sum())

    d = [dice(gt == k, pred == k) for k in (1, 2, 3)]
    assert d[0] == pytest.approx(2 * 90 / 190) and d[1] == pytest.approx(0.5) and d[2] == 0
    assert a["mean_dice"] == pytest.approx(np.mean(d))
    assert a["foreground_dice"] == pytest.approx(dice(gt != 0, pred != 0))
    bg = dice(gt == 0, pred == 0)
    assert a["background_dice"] == pytest.approx(bg)
    assert a["mean_dice_with_background"] == pytest.approx(np.mean([*d, bg]))
    assert a["swapped"] == 1
    assert a["largest"][0] == 1 and a["largest"][2] == 100
    assert [k for k, _d, _n in a["lowest"]] == [3, 2, 1]
    assert f"Foreground (micro) Dice {a['foreground_dice']:.4f}" in a["text"]
    assert f"mean (macro) Dice {np.mean(d):.4f}" in a["text"]
    assert "1 voxels are" not in a["text"] and "1 voxel" in a["text"]
    assert f"the mean becomes {np.mean([*d, bg]):.4f}" in a["text"]
