"""Tall dock contents scroll up and down, so the window fits a laptop screen.

The scores panel alone needs about 790 pixels of height and the display
panel 620; held directly in their docks they set the window's minimum
height (1038 px with the editing panel above the display panel), taller than
a 1366 × 768 screen, and the slider, the per-slice Dice plot and the status
bar ended below its edge. In a :class:`VerticalScrollArea` a panel keeps its
width, asks for the height it would like (so a large screen looks as
before) and accepts a few lines: the rest scrolls.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

#: Text lines of a scrolled panel that stay in view however small the window is.
MIN_VISIBLE_LINES = 6


class VerticalScrollArea(QtWidgets.QScrollArea):
    """A frameless scroll area that scrolls its widget vertically only.

    Its minimum width is the widget's (and a scroll bar), so nothing is cut
    at the side; its minimum height is :data:`MIN_VISIBLE_LINES` lines; its
    size hint is the widget's own, not capped as a plain ``QScrollArea``
    caps it (24 lines), so a dock that has room shows the whole panel.

    Parameters
    ----------
    widget : QWidget
        The panel to hold.
    """

    def __init__(self, widget: QtWidgets.QWidget, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setWidgetResizable(True)
        self.setWidget(widget)

    def _bar_width(self) -> int:
        return self.verticalScrollBar().sizeHint().width()

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        inner = self.widget()
        width = inner.minimumSizeHint().width() if inner is not None else 0
        lines = MIN_VISIBLE_LINES * self.fontMetrics().lineSpacing()
        return QtCore.QSize(width + self._bar_width() + 2 * self.frameWidth(), lines)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt's name)
        inner = self.widget()
        hint = inner.sizeHint() if inner is not None else QtCore.QSize(0, 0)
        return QtCore.QSize(max(hint.width() + self._bar_width(), self.minimumSizeHint().width()),
                            hint.height() + 2 * self.frameWidth())

    def event(self, ev) -> bool:
        # the panel's text grew (presentation mode) or it gained rows: the dock asks again
        if ev.type() == QtCore.QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().event(ev)

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.widget() and ev.type() == QtCore.QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the widget's minimum width is ours
        return super().eventFilter(obj, ev)


def scroll_dock_contents(dock: QtWidgets.QDockWidget) -> VerticalScrollArea:
    """Put ``dock``'s widget into a :class:`VerticalScrollArea` (once); returns the area."""
    current = dock.widget()
    if isinstance(current, VerticalScrollArea):
        return current
    area = VerticalScrollArea(current)
    dock.setWidget(area)
    current.show()  # the dock hid it as its previous widget
    return area
