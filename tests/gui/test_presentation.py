"""Presentation mode: text grows for a projector, non-teaching docks go away and come back, the choice is kept."""
from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from dicegui.gui import settings
from dicegui.gui.presentation import PRESENTATION_PT


def _visible_docks(window):
    return {d.objectName() or d.windowTitle() for d in window.findChildren(QtWidgets.QDockWidget)
            if d.parent() is window and d.isVisible()}


def test_f5_makes_formulas_and_numbers_large_and_keeps_only_the_teaching_docks(window, qtbot):
    assert window.open_demo("totalseg")
    window.qa.show_panel("teaching")
    teaching = window.qa.teaching
    formula = next(lab for lab in teaching.findChildren(QtWidgets.QLabel)
                   if lab.font().fixedPitch() or "Dice" in lab.text())
    score_table = window.scores.table if hasattr(window.scores, "table") else window.right_dock.widget()
    before = formula.fontMetrics().height(), score_table.fontMetrics().height()
    docks_before = _visible_docks(window)
    assert len(docks_before) > 2
    qtbot.keyClick(window.view, Qt.Key.Key_F5)
    assert window.presentation.on and window.presentation.action.isChecked()
    for widget, old in zip((formula, score_table), before):
        widget.ensurePolished()
        assert widget.font().pointSize() == PRESENTATION_PT
        assert widget.fontMetrics().height() > 1.4 * old
    assert _visible_docks(window) == {window.right_dock.objectName() or "Scores", "teaching_dock"}
    assert settings.presentation_mode()
    # a new window starts in it (remembered), and F5 again puts everything back
    from dicegui.gui.main_window import MainWindow

    other = MainWindow()
    qtbot.addWidget(other)
    assert other.presentation.on
    other.presentation.set_on(False)
    qtbot.keyClick(window.view, Qt.Key.Key_F5)
    assert not window.presentation.on and not settings.presentation_mode()
    assert _visible_docks(window) == docks_before
    formula.ensurePolished()
    assert formula.fontMetrics().height() == before[0]


def test_presentation_mode_keeps_the_scores_hidden_during_the_exercise(window):
    assert window.open_demo("totalseg")
    window.qa.show_panel("teaching")
    window.qa.teaching.hide_button.click()
    assert not window.right_dock.isVisible()
    window.presentation.set_on(True)
    assert not window.right_dock.isVisible() and window.qa.docks["teaching"].isVisible()
    window.presentation.set_on(False)
    window.qa.teaching.hide_button.click()
    assert window.right_dock.isVisible()
    window.editor.history.mark_discarded()
