"""Slice keys reach the focused view wherever the keyboard focus is, except where a widget uses them.

A user who opened and closed a combo box, or clicked a button, and then
pressed ↑ saw the combo change or nothing happen instead of the slice: Qt
gives arrow keys to the widget with the keyboard focus. Tool and undo keys
are window shortcuts and work anywhere already; the navigation keys are not
shortcuts (they belong to whatever has focus), so this application-wide
event filter hands them to the focused slice view when the focus sits on a
widget of the main window that does not use them.

Widgets that do use them keep them: text fields and spin boxes (typing),
sliders and scroll bars (a threshold slider stepped with ← / →), tables and
lists with a current row, and combo boxes reached with the keyboard. A combo
box whose list was opened and closed keeps the focus without showing it, so
after a choice from its list the keys go to the slices again (until the
keyboard brings the focus back to it).
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

NAVIGATION_KEYS = frozenset({
    QtCore.Qt.Key.Key_Up, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Left, QtCore.Qt.Key.Key_Right,
    QtCore.Qt.Key.Key_PageUp, QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_Home, QtCore.Qt.Key.Key_End,
})
# Widgets where a key is text being typed (a spin box holds a line edit).
_TYPING = (QtWidgets.QLineEdit, QtWidgets.QTextEdit, QtWidgets.QPlainTextEdit, QtWidgets.QAbstractSpinBox)
# Focus that the keyboard brought: the user means to drive the widget with keys.
_KEYBOARD_REASONS = (QtCore.Qt.FocusReason.TabFocusReason, QtCore.Qt.FocusReason.BacktabFocusReason,
                     QtCore.Qt.FocusReason.ShortcutFocusReason)
# Dynamic property of a combo box: its list was opened since the keyboard last focused it.
_LIST_SHOWN = "dicegui_list_shown"


def is_typing(widget) -> bool:
    """True when ``widget`` takes keys as text (a line edit, a text box, a spin box or their parts)."""
    w = widget
    while w is not None:
        if isinstance(w, _TYPING):
            return True
        if isinstance(w, QtWidgets.QAbstractItemView) and w.state() == QtWidgets.QAbstractItemView.State.EditingState:
            return True
        w = w.parentWidget()
    return False


def steps_with_arrows(widget, list_was_shown: bool = False) -> bool:
    """True when ``widget`` (or the widget holding it) moves its own value or row with the navigation keys.

    Parameters
    ----------
    widget : QWidget
        The widget with the keyboard focus.
    list_was_shown : bool
        ``widget`` is a combo box whose list was opened since the keyboard last focused it.
    """
    if is_typing(widget):
        return True
    w = widget
    while w is not None:
        if isinstance(w, QtWidgets.QAbstractSlider):  # sliders, scroll bars, dials
            return True
        if isinstance(w, QtWidgets.QComboBox):
            return not list_was_shown
        if isinstance(w, QtWidgets.QAbstractItemView):
            return w.currentIndex().isValid()
        w = w.parentWidget()
    return False


class KeyRouter(QtCore.QObject):
    """Event filter on the application: navigation keys go to ``window.view``.

    Parameters
    ----------
    window : dicegui.gui.main_window.MainWindow
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt's name)
        kind = ev.type()
        if kind == QtCore.QEvent.Type.Show:
            self._note_combo_list(obj)
            return False
        if kind == QtCore.QEvent.Type.FocusIn:
            if ev.reason() in _KEYBOARD_REASONS and isinstance(obj, QtWidgets.QComboBox):
                obj.setProperty(_LIST_SHOWN, False)
            return False
        if kind != QtCore.QEvent.Type.KeyPress or ev.key() not in NAVIGATION_KEYS:
            return False
        if ev.modifiers() & (QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.AltModifier):
            return False  # Ctrl+→ / Alt+… are window shortcuts (cohort steps)
        w = self.window
        focus = QtWidgets.QApplication.focusWidget()
        if (w.session is None or QtWidgets.QApplication.activePopupWidget() is not None
                or focus is None or focus.window() is not w
                or steps_with_arrows(focus, bool(focus.property(_LIST_SHOWN)))):
            return False
        view = w.view
        if focus is view or view.isAncestorOf(focus) or not isinstance(obj, QtWidgets.QWidget):
            return False  # the view handles it itself
        view.keyPressEvent(ev)
        return True

    def _note_combo_list(self, obj) -> None:
        # a combo box's list is a window of its own whose parent is the combo box
        if isinstance(obj, QtWidgets.QWidget) and obj.isWindow() and isinstance(obj.parentWidget(), QtWidgets.QComboBox):
            obj.parentWidget().setProperty(_LIST_SHOWN, True)
