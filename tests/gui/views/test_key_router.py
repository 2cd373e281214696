"""Navigation keys: widgets that step with arrows keep them, everything else hands them to the focused view."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dicegui.gui.views.key_router import steps_with_arrows


def _focus(widget, qtbot, reason=Qt.FocusReason.MouseFocusReason):
    widget.window().activateWindow()
    widget.setFocus(reason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=2000)


def test_a_focused_slider_moves_itself_not_the_slice(views_window, qtbot):
    w = views_window
    slider = w.overlay_panel.opacity
    _focus(slider, qtbot)
    start, value = w.index, slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert slider.value() == value - 2 * slider.singleStep()
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    assert slider.value() == value - 2 * slider.singleStep() + slider.pageStep()
    assert w.index == start


def test_the_threshold_slider_steps_the_threshold_and_keeps_the_slice(window, qtbot):
    assert window.open_demo("probability")
    window.qa.show_panel("teaching")
    from dicegui.gui.teaching.probability_tab import ProbabilityTab

    tab = window.qa.teaching.findChild(ProbabilityTab)
    for slider in (tab.slider, tab.lambda_slider):
        _focus(slider, qtbot)
        start, value = window.index, slider.value()
        for _ in range(3):
            qtbot.keyClick(slider, Qt.Key.Key_Left)
        assert slider.value() == value - 3
        assert window.index == start
    window.editor.history.mark_discarded()


def test_a_table_with_a_current_row_moves_its_row(views_window, qtbot):
    w = views_window
    w.qa.show_panel("navigator")
    w.qa.wait()
    table = w.qa.navigator.table
    assert table.rowCount() >= 2  # the case has a false positive and a false negative region
    table.setCurrentCell(0, 0)
    _focus(table, qtbot)
    start = w.index
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentRow() == 1
    assert w.index == start


def test_a_combo_box_reached_with_tab_steps_its_items(views_window, qtbot):
    w = views_window
    combo = w.window_level.preset
    combo.setCurrentIndex(0)
    _focus(combo, qtbot, Qt.FocusReason.TabFocusReason)
    start = w.index
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentIndex() == 1
    assert w.index == start
    # once a choice was made from its list, the keys go back to the slices (test_linked_views keeps that)
    combo.showPopup()
    QApplication.processEvents()
    combo.hidePopup()
    QApplication.processEvents()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentIndex() == 1
    assert w.index == max(start - 1, 0)


def test_slice_keys_work_from_a_button_or_the_view(views_window, qtbot):
    w = views_window
    button = w.scores.recompute
    _focus(button, qtbot)
    start = w.index
    qtbot.keyClick(button, Qt.Key.Key_Up)
    assert w.index == start + 1
    qtbot.keyClick(w.view, Qt.Key.Key_Down)
    assert w.index == start


def test_which_widgets_step_with_arrows(views_window):
    w = views_window
    assert steps_with_arrows(w.overlay_panel.opacity)
    assert steps_with_arrows(w.scores.tolerance)
    assert steps_with_arrows(w.window_level.preset)
    assert not steps_with_arrows(w.window_level.preset, list_was_shown=True)
    assert not steps_with_arrows(w.scores.recompute)
    table = w.qa.navigator.table
    table.setCurrentCell(-1, -1)
    assert not steps_with_arrows(table)  # no current row: nothing to step
