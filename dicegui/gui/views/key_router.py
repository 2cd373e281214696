"""Slice keys reach the focused view wherever the keyboard focus is, except in a text field.

A user who opened and closed a combo box, or clicked a table row, and then
pressed ↑ saw the combo or the table change instead of the slice: Qt gives
arrow keys to the widget with the keyboard focus. Tool and undo keys are
window shortcuts and work anywhere already; the navigation keys are not
shortcuts (they belong to whatever has focus), so this application-wide
event filter hands them to the focused slice view when the focus sits on a
widget of the main window that is not for typing.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

NAVIGATION_KEYS = frozenset({
    QtCore.Qt.Key.Key_Up, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Left, QtCore.Qt.Key.Key_Right,
    QtCore.Qt.Key.Key_PageUp, QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_Home, QtCore.Qt.Key.Key_End,
})
# Widgets where a key is text being typed (a spin box holds a line edit).
_TYPING = (QtWidgets.QLineEdit, QtWidgets.QTextEdit, QtWidgets.QPlainTextEdit, QtWidgets.QAbstractSpinBox)


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


class KeyRouter(QtCore.QObject):
    """Event filter on the application: navigation keys go to ``window.view``.

    Parameters
    ----------
    window : dicegui.gui.main_window.MainWindow
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() != QtCore.QEvent.Type.KeyPress or ev.key() not in NAVIGATION_KEYS:
            return False
        if ev.modifiers() & (QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.AltModifier):
            return False  # Ctrl+→ / Alt+… are window shortcuts (cohort steps)
        w = self.window
        focus = QtWidgets.QApplication.focusWidget()
        if (w.session is None or QtWidgets.QApplication.activePopupWidget() is not None
                or focus is None or focus.window() is not w or is_typing(focus)):
            return False
        view = w.view
        if focus is view or view.isAncestorOf(focus) or not isinstance(obj, QtWidgets.QWidget):
            return False  # the view handles it itself
        view.keyPressEvent(ev)
        return True
