"""Toy grid tab: typed cells, resizing and the λ slider, checked against hand arithmetic.

Seed: p = [0.9, 0.1, 0.8, 0.1], t = [1, 0, 1, 0]; Σpt = 1.7, Σp = 1.9, Σt = 2;
soft Dice (s = 0) = 3.4 / 3.9 = 0.8718, loss 0.1282; BCE = −(3 ln 0.9 + ln 0.8) / 4 = 0.1348.
"""
from __future__ import annotations

import math

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from dicegui.gui.teaching.toy_grid_tab import ToyGridTab


@pytest.fixture
def tab(qtbot):
    w = ToyGridTab()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _type(qtbot, box, text: str) -> None:
    """Select the spin box's text and type a new value, then Enter (as a lecturer would)."""
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, text)
    QTest.keyClick(box, QtCore.Qt.Key.Key_Return)


def _set_smooth_zero(tab):
    tab.smooth.setCurrentIndex(tab.smooth.findData(0.0))


def test_opens_on_the_seed_example_with_the_sums_written_out(tab):
    text = tab.formula_labels
    assert text["spt"].text().endswith("0.9·1 + 0.1·0 + 0.8·1 + 0.1·0 = 1.7")
    assert text["sp"].text().endswith("0.9 + 0.1 + 0.8 + 0.1 = 1.9")
    assert text["st"].text().endswith("= 2")
    assert "(2·1.7 + 1e-05) / (1.9 + 2 + 1e-05)" in text["soft_dice"].text()
    _set_smooth_zero(tab)
    assert f"(2·1.7 + 0) / (1.9 + 2 + 0) = {3.4 / 3.9:.4f}" in text["soft_dice"].text()
    assert text["dice_loss"].text().endswith(f"= {0.5 / 3.9:.4f}")
    hand_bce = -(3 * math.log(0.9) + math.log(0.8)) / 4
    assert text["bce"].text().endswith(f"= {hand_bce:.4f}")
    assert [[c.prob.value() for c in row] for row in tab.cells] == [[0.9, 0.1], [0.8, 0.1]]
    assert [[c.target.value() for c in row] for row in tab.cells] == [[1, 0], [1, 0]]


def test_typing_a_cell_recomputes_the_formulas(qtbot, tab):
    _set_smooth_zero(tab)
    # cell (0, 1): p 0.1 -> 0.5 and t 0 -> 1: Σpt = 0.9 + 0.5 + 0.8 = 2.2, Σp = 2.3, Σt = 3
    _type(qtbot, tab.cells[0][1].prob, "0.5")
    _type(qtbot, tab.cells[0][1].target, "1")
    assert tab.formula_labels["spt"].text().endswith("= 2.2")
    assert tab.formula_labels["sp"].text().endswith("= 2.3")
    assert tab.formula_labels["st"].text().endswith("= 3")
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {4.4 / 5.3:.4f}")
    hand_bce = -(math.log(0.9) + math.log(0.5) + math.log(0.8) + math.log(0.9)) / 4
    assert tab.formula_labels["bce"].text().endswith(f"= {hand_bce:.4f}")


def test_lambda_slider_weights_the_combo(qtbot, tab):
    _set_smooth_zero(tab)
    loss, bce = 0.5 / 3.9, -(3 * math.log(0.9) + math.log(0.8)) / 4
    tab.lambda_slider.setFocus()
    QTest.keyClick(tab.lambda_slider, QtCore.Qt.Key.Key_End)  # λ = 1: the Dice loss alone
    assert tab.formula_labels["combo"].text().endswith(f"= {loss:.4f}")
    QTest.keyClick(tab.lambda_slider, QtCore.Qt.Key.Key_Home)  # λ = 0: BCE alone
    assert tab.formula_labels["combo"].text().endswith(f"= {bce:.4f}")
    for _ in range(3):
        QTest.keyClick(tab.lambda_slider, QtCore.Qt.Key.Key_Right)  # λ = 0.03
    assert "λ = 0.03" in tab.lambda_label.text()
    assert tab.formula_labels["combo"].text().endswith(f"= {0.03 * loss + 0.97 * bce:.4f}")


def test_resize_to_eight_by_eight_and_back(qtbot, tab):
    _type(qtbot, tab.rows, "8")
    _type(qtbot, tab.cols, "8")
    assert len(tab.cells) == 8 and all(len(r) == 8 for r in tab.cells)
    assert tab.formula_labels["sp"].text() == "Σp = 1.9"  # new cells hold p = 0
    _type(qtbot, tab.cells[7][7].prob, "1")
    _type(qtbot, tab.cells[7][7].target, "1")
    _set_smooth_zero(tab)
    # Σpt = 2.7, Σp = 2.9, Σt = 3
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {5.4 / 5.9:.4f}")
    _type(qtbot, tab.rows, "9")  # beyond the limit: the spin box stops at 8
    assert tab.rows.value() == 8
    tab.reset_button.click()
    assert len(tab.cells) == 2 and tab.formula_labels["sp"].text().endswith("= 1.9")


def test_toy_demo_opens_on_the_toy_grid(window):
    assert window.open_demo("toy")
    window.qa.wait()
    teaching = window.qa.teaching
    assert window.qa.docks["teaching"].isVisible()
    assert teaching.tabs.currentWidget() is teaching.toy_grid
    assert teaching.toy_grid.formula_labels["dice_loss"].text().endswith("= 0.1282")
    assert window.session.gt.shape == (2, 2, 1)
    window.editor.history.mark_discarded()


def _drag(box, rises, release=True):
    """Press the spin box's text, move the mouse up by each of ``rises`` pixels (from the press), release."""
    edit = box.lineEdit()
    start = edit.rect().center()
    QTest.mousePress(edit, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, start)
    for rise in rises:
        QTest.mouseMove(edit, start - QtCore.QPoint(0, rise))
    if release:
        end = start - QtCore.QPoint(0, rises[-1] if rises else 0)
        QTest.mouseRelease(edit, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, end)


def test_dragging_a_probability_changes_it_by_a_hundredth_per_pixel_with_live_formulas(tab):
    _set_smooth_zero(tab)
    prob = tab.cells[0][1].prob  # the background cell at 0.1
    # up 10 px, still pressed: p = 0.2, Σp = 2.0, soft Dice = 3.4 / 4.0 = 0.85 already shown
    _drag(prob, [4, 10], release=False)
    assert prob.value() == pytest.approx(0.2)
    assert tab.formula_labels["sp"].text().endswith("= 2")
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {3.4 / 4.0:.4f}")
    # on to 30 px and let go: p = 0.4, Σp = 2.2, soft Dice = 3.4 / 4.2
    QTest.mouseMove(prob.lineEdit(), prob.lineEdit().rect().center() - QtCore.QPoint(0, 30))
    QTest.mouseRelease(prob.lineEdit(), QtCore.Qt.MouseButton.LeftButton)
    assert prob.value() == pytest.approx(0.4)
    assert tab.grid.prob[0, 1] == pytest.approx(0.4)
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {3.4 / 4.2:.4f}")
    # a long drag down is clamped at 0: cell (0, 0) 0.9 -> 0; Σpt = 0.8, Σp = 1.3, Σt = 2
    _drag(tab.cells[0][0].prob, [-50, -200])
    assert tab.cells[0][0].prob.value() == 0.0
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {1.6 / 3.3:.4f}")
    # and up past 1 is clamped at 1: Σpt = 1.8, Σp = 2.3 -> 3.6 / 4.3
    _drag(tab.cells[0][0].prob, [150])
    assert tab.cells[0][0].prob.value() == 1.0
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {3.6 / 4.3:.4f}")


def test_dragging_a_target_sets_one_up_and_zero_down(tab):
    _set_smooth_zero(tab)
    _drag(tab.cells[0][1].prob, [30])  # p(0, 1) = 0.4 as above
    target = tab.cells[0][1].target
    _drag(target, [15])
    # t(0, 1) = 1: Σpt = 0.9 + 0.4 + 0.8 = 2.1, Σp = 2.2, Σt = 3: 4.2 / 5.2
    assert target.value() == 1.0
    assert tab.formula_labels["st"].text().endswith("= 3")
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {4.2 / 5.2:.4f}")
    hand_bce = -(math.log(0.9) + math.log(0.4) + math.log(0.8) + math.log(0.9)) / 4
    assert tab.formula_labels["bce"].text().endswith(f"= {hand_bce:.4f}")
    _drag(target, [-15])
    assert target.value() == 0.0
    assert tab.formula_labels["soft_dice"].text().endswith(f"= {3.4 / 4.2:.4f}")


def test_a_click_without_travel_changes_nothing_and_leaves_typing_to_the_keyboard(qtbot, tab):
    prob = tab.cells[1][0].prob
    _drag(prob, [2])  # under Qt's drag distance: a click
    assert prob.value() == pytest.approx(0.8)
    _type(qtbot, prob, "0.3")
    assert prob.value() == pytest.approx(0.3)


def _sticking_out(tab, viewport) -> list:
    """Visible widgets of ``tab`` whose right edge lies past ``viewport``'s right (cut off)."""
    from PySide6 import QtWidgets

    out = []
    for child in tab.findChildren(QtWidgets.QWidget):
        if child.isVisible():
            right = child.mapTo(viewport, QtCore.QPoint(child.width(), 0)).x()
            if right > viewport.width():
                out.append((type(child).__name__, right))
    return out


@pytest.mark.parametrize("presenting", [False, True])
def test_an_eight_by_eight_grid_fits_the_teaching_dock(qtbot, window, presenting):
    # at 1600 x 1000 an 8 x 8 grid was 680 px wide in a 436-px dock: the panel scrolled sideways, text cut
    from PySide6 import QtWidgets

    window.resize(1600, 1000)
    assert window.open_demo("toy")
    window.qa.wait()
    teaching = window.qa.teaching
    toy = teaching.toy_grid
    scroll = window.qa.docks["teaching"].widget()
    if presenting:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
        assert window.presentation.on
    for side in ("2", "8"):
        _type(qtbot, toy.rows, side)
        _type(qtbot, toy.cols, side)
        assert len(toy.cells) == int(side) and len(toy.cells[0]) == int(side)
        corner = toy.cells[-1][-1]
        qtbot.waitUntil(lambda: corner.isVisible() and corner.width() > 0)
        qtbot.wait(200)  # the panel and the dock settle (presentation mode widens the dock after a resize)
        QtWidgets.QApplication.processEvents()
        scroll.ensureWidgetVisible(corner, 0, 0)
        assert scroll.horizontalScrollBar().maximum() == 0 and not scroll.horizontalScrollBar().isVisible()
        assert _sticking_out(toy, scroll.viewport()) == []
        assert window.width() == 1600
    if presenting:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    window.editor.history.mark_discarded()


def test_the_shown_bce_says_its_clip_and_no_smooth_term_says_undefined(qtbot, tab):
    _type(qtbot, tab.rows, "1")  # cells (0, 0) = 0.9 / 1 and (0, 1) = 0.1 / 0 stay
    for cell in tab.cells[0]:
        _type(qtbot, cell.prob, "1")
        _type(qtbot, cell.target, "0")
    # each cell: −ln(1 − (1 − 1e-7)) = 7·ln 10 = 16.1181, not a hidden clip of ln 0
    bce = tab.formula_labels["bce"].text()
    assert f"−(ln(1 − (1 − 1e−7)) + ln(1 − (1 − 1e−7))) / 2 = {7 * math.log(10):.4f}" in bce
    assert "p clipped to [1e−7, 1 − 1e−7]" in bce
    for cell in tab.cells[0]:
        _type(qtbot, cell.prob, "0")
    _set_smooth_zero(tab)
    assert "without s an empty grid's soft Dice is undefined" in tab.formula_labels["smooth"].text()
    assert "keeps empty grids defined" not in tab.formula_labels["smooth"].text()
    assert tab.formula_labels["soft_dice"].text().endswith("= undefined")


def test_the_toy_demo_picture_and_scores_follow_the_grid(qtbot, window):
    import numpy as np

    assert window.open_demo("toy")
    window.qa.wait()
    teaching = window.qa.teaching
    toy = teaching.toy_grid
    view = window.view
    assert view.scale_bar is None or not view.scale_bar.isVisible()  # a unitless grid has no "1 mm"
    _type(qtbot, toy.cells[0][1].prob, "0.7")  # background cell now p 0.7: a false positive
    _drag(toy.cells[1][0].target, [-15])  # the target under p 0.8 dragged down to 0: another false positive
    qtbot.waitUntil(lambda: window.session.case.pred_prob[1, 0, 0] == np.float32(0.8)
                    and window.session.gt[1, 0, 0] == 0, timeout=3000)
    s = window.session
    p = np.array([[0.9, 0.7], [0.8, 0.1]])
    t = np.array([[1, 0], [0, 0]])
    np.testing.assert_allclose(s.image[:, :, 0] if s.image.ndim == 3 else s.image, p, atol=1e-7)
    np.testing.assert_array_equal(s.pred[:, :, 0] != 0, p >= 0.5)
    np.testing.assert_array_equal(s.gt[:, :, 0] != 0, t == 1)
    # p >= 0.5 is cells 0.9, 0.7, 0.8 against the one target: TP 1, FP 2, FN 0, Dice 2 / 4
    teaching.flush()
    assert window.scores.text("dice") == f"{2 / 4:.4f}"
    assert window.overlay_panel.count_labels["fp/volume"].text() == "2"
    assert teaching.formula_labels["dice"].text().endswith(f"= {2 / 4:.4f}")
    assert "TP 1 · FP 2 · FN 0" in teaching.scope.text()
    # the grid the lecturer set stays (the case rebuilt from it does not reset it), and so does the scale bar
    assert toy.grid.prob[0, 1] == pytest.approx(0.7) and toy.grid.target[1, 0] == 0
    assert view.scale_bar is None or not view.scale_bar.isVisible()
    assert not window.editor.history.is_modified()
    # another case shows its scale bar again
    assert window.open_demo("probability")
    assert window.view.scale_bar.isVisible()
    window.editor.history.mark_discarded()
