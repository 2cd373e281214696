"""The toy grid's numbers against the seed example worked by hand.

Prediction [0.9, 0.1, 0.8, 0.1] against target [1, 0, 1, 0]:
Σp·t = 0.9 + 0.8 = 1.7, Σp = 1.9, Σt = 2;
soft Dice (s → 0) = 3.4 / 3.9 = 0.871794..., Dice loss = 0.5 / 3.9 = 0.128205...;
BCE = −(3·ln 0.9 + ln 0.8) / 4 = (3·0.1053605 + 0.2231436) / 4 = 0.134806...
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from dicegui.core.toy_grid import (
    LINE_KEYS,
    MAX_SIDE,
    ToyGrid,
    default_grid,
    resized,
    toy_report,
    with_cell,
)


def test_default_grid_is_the_seed_example():
    g = default_grid()
    assert g.shape == (2, 2)
    assert g.prob.ravel().tolist() == [0.9, 0.1, 0.8, 0.1]
    assert g.target.ravel().tolist() == [1, 0, 1, 0]


def test_seed_numbers_by_hand_with_smooth_to_zero():
    r = toy_report(dataclasses.replace(default_grid(), smooth=0.0))
    assert r.sums["spt"] == pytest.approx(1.7)
    assert r.sums["sp"] == pytest.approx(1.9)
    assert r.sums["st"] == pytest.approx(2.0)
    assert r.values["soft_dice"] == pytest.approx(3.4 / 3.9, abs=1e-12)
    assert r.values["dice_loss"] == pytest.approx(0.128205128205, abs=1e-11)
    hand_bce = -(3 * math.log(0.9) + math.log(0.8)) / 4
    assert hand_bce == pytest.approx(0.134806, abs=1e-6)
    assert r.values["bce"] == pytest.approx(hand_bce, abs=1e-9)


def test_default_smooth_shifts_dice_only_in_the_sixth_decimal():
    r = toy_report(default_grid())
    s = 1e-5
    assert r.values["soft_dice"] == pytest.approx((3.4 + s) / (3.9 + s), abs=1e-12)
    assert r.values["dice_loss"] == pytest.approx(0.1282, abs=1e-4)


def test_lines_substitute_the_sums():
    r = toy_report(default_grid())
    assert set(r.lines) == set(LINE_KEYS)
    assert r.lines["spt"].endswith("0.9·1 + 0.1·0 + 0.8·1 + 0.1·0 = 1.7")
    assert r.lines["sp"].endswith("= 1.9")
    assert r.lines["st"].endswith("= 2")
    assert "(2·1.7 + 1e-05) / (1.9 + 2 + 1e-05) = 0.8718" in r.lines["soft_dice"]
    assert r.lines["dice_loss"].endswith("= 0.1282")
    assert "ln 0.9 + ln(1 − 0.1) + ln 0.8 + ln(1 − 0.1)" in r.lines["bce"]
    assert r.lines["bce"].endswith("= 0.1348")


def test_combo_weights_dice_loss_and_bce():
    loss, bce = 0.5 / 3.9, -(3 * math.log(0.9) + math.log(0.8)) / 4
    for lam in (0.0, 0.3, 1.0):
        g = dataclasses.replace(default_grid(), smooth=0.0, lambda_dice=lam)
        assert toy_report(g).values["combo"] == pytest.approx(lam * loss + (1 - lam) * bce, abs=1e-9)
    r = toy_report(dataclasses.replace(default_grid(), smooth=0.0, lambda_dice=0.3))
    assert "0.3·0.1282 + 0.7·0.1348" in r.lines["combo"]


def test_edit_a_cell_changes_the_sums():
    g = with_cell(default_grid(), 0, 1, prob=0.5, target=1)
    # p = [0.9, 0.5, 0.8, 0.1], t = [1, 1, 1, 0]: Σpt = 2.2, Σp = 2.3, Σt = 3
    r = toy_report(dataclasses.replace(g, smooth=0.0))
    assert r.values["soft_dice"] == pytest.approx(4.4 / 5.3, abs=1e-12)
    assert r.lines["spt"].endswith("= 2.2")


def test_resize_keeps_cells_and_pads_with_zeros():
    g = resized(default_grid(), 3, 1)
    assert g.prob.ravel().tolist() == [0.9, 0.8, 0.0]
    assert g.target.ravel().tolist() == [1, 1, 0]
    big = resized(default_grid(), MAX_SIDE, MAX_SIDE)
    r = toy_report(big)
    assert r.sums["n"] == 64
    assert r.lines["sp"] == "Σp = 1.9"  # 64 terms are summarised


@pytest.mark.parametrize("bad", [
    lambda: resized(default_grid(), MAX_SIDE + 1, 2),
    lambda: resized(default_grid(), 0, 2),
    lambda: with_cell(default_grid(), 0, 0, prob=1.2),
    lambda: with_cell(default_grid(), 0, 0, target=-1),
    lambda: with_cell(default_grid(), 0, 0, prob=float("nan")),
    lambda: ToyGrid(np.zeros((2, 2)), np.zeros((2, 3))),
    lambda: ToyGrid(np.zeros((2, 2)), np.zeros((2, 2)), lambda_dice=1.5),
    lambda: ToyGrid(np.zeros((2, 2)), np.zeros((2, 2)), smooth=-1),
])
def test_bad_grids_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="toy grid"):
        bad()


def test_empty_grid_with_zero_smooth_is_undefined():
    g = ToyGrid(np.zeros((2, 2)), np.zeros((2, 2)), smooth=0.0)
    assert toy_report(g).lines["soft_dice"].endswith("undefined")


def test_a_clipped_probability_is_written_as_its_clip_and_said():
    # p = 1 against t = 0: ln(1 − 1) = ln 0; BCE clips p to 1 − 1e-7, so each cell costs −ln(1e-7) = 7·ln 10
    r = toy_report(ToyGrid(np.ones((1, 2)), np.zeros((1, 2))))
    line = r.lines["bce"]
    assert r.values["bce"] == pytest.approx(7 * math.log(10), rel=1e-6)
    assert f"= −(ln(1 − (1 − 1e−7)) + ln(1 − (1 − 1e−7))) / 2 = {7 * math.log(10):.4f}" in line
    assert "ln(1 − 1)" not in line and "p clipped to [1e−7, 1 − 1e−7]" in line
    # p = 0 against t = 0: ln(1 − 0) = 0 unclipped; with p = 1e-7 each cell costs −ln(1 − 1e-7) ≈ 1e-7
    r = toy_report(ToyGrid(np.zeros((1, 2)), np.zeros((1, 2))))
    assert r.values["bce"] == pytest.approx(-math.log1p(-1e-7), rel=1e-9)
    assert "−(ln(1 − 1e−7) + ln(1 − 1e−7)) / 2" in r.lines["bce"] and "p clipped" in r.lines["bce"]
    # t = 1, p = 0: ln 0 becomes ln 1e-7, a cost of 7·ln 10; the other cell ln 0.5
    r = toy_report(ToyGrid(np.array([[0.0, 0.5]]), np.array([[1.0, 1.0]])))
    assert "−(ln 1e−7 + ln 0.5) / 2" in r.lines["bce"]
    assert r.values["bce"] == pytest.approx((7 * math.log(10) + math.log(2)) / 2, rel=1e-6)


def test_no_clip_note_when_no_probability_is_clipped():
    assert "clipped" not in toy_report(default_grid()).lines["bce"]
    r = toy_report(ToyGrid(np.full((3, 3), 0.5), np.zeros((3, 3))))  # nine cells: the total only
    assert "clipped" not in r.lines["bce"]
    r = toy_report(ToyGrid(np.ones((3, 3)), np.zeros((3, 3))))
    assert r.lines["bce"].endswith("p clipped to [1e−7, 1 − 1e−7] before the log (ln 0 = −∞)")


def test_the_smooth_line_says_what_no_smooth_term_means():
    g = ToyGrid(np.zeros((2, 2)), np.zeros((2, 2)), smooth=0.0)
    lines = toy_report(g).lines
    assert "keeps empty grids defined" not in lines["smooth"]
    assert "without s an empty grid's soft Dice is undefined" in lines["smooth"]
    assert lines["soft_dice"].endswith("undefined")
    assert "keeps empty grids defined" in toy_report(default_grid()).lines["smooth"]
