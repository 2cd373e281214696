"""Probability tab: the best threshold marked on the curve and the button that goes there, against a numpy sweep."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.gui.teaching.probability_tab import THRESHOLDS, probability_map


@pytest.fixture
def teaching(window):
    window.qa.show_panel("teaching")
    yield window.qa.teaching
    window.editor.history.mark_discarded()


def test_best_threshold_is_marked_and_the_button_goes_there(window, teaching):
    assert window.open_demo("probability")
    window.qa.wait()
    s = window.session
    tab = teaching.probability
    teaching.tabs.setCurrentWidget(tab)
    prob = probability_map(s).astype(np.float64)
    gt = s.gt != 0
    brute = []
    for t in THRESHOLDS:  # brute force: every threshold of the slider, counted here
        p = prob >= t
        tp, fp, fn = np.sum(p & gt), np.sum(p & ~gt), np.sum(~p & gt)
        brute.append(2 * tp / (2 * tp + fp + fn))
    i = int(np.argmax(brute))
    x, y = tab.best_marker.getData()
    assert x.tolist() == [THRESHOLDS[i]] and y[0] == pytest.approx(brute[i], abs=1e-12)
    assert f"t = {THRESHOLDS[i]:.2f} (Dice {brute[i]:.4f})" in tab.best_button.text()
    assert tab.slider.value() == 50 and i != 50  # the demo opens at 0.5, which is not the best here
    tab.best_button.click()
    tab.flush()
    assert tab.slider.value() == i
    assert f"Dice <b>{brute[i]:.4f}</b>" in tab.hard_label.text()
    np.testing.assert_array_equal(s.pred != 0, prob >= THRESHOLDS[i])
    assert window.scores.text("dice") == f"{brute[i]:.4f}"
