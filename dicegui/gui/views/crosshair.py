"""The cursor drawn on a slice view: two thin lines through the cursor voxel's centre."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

# Light grey, half transparent and dashed: visible on CT and on the overlay
# colours without hiding the one-voxel-wide outlines it crosses.
_PEN = QtGui.QPen(QtGui.QColor(235, 235, 235, 150), 0, QtCore.Qt.PenStyle.DashLine)


class Crosshair:
    """A horizontal and a vertical line in one view, in the view's mm scene units.

    Parameters
    ----------
    view : dicegui.gui.slice_view.SliceView
        The view whose ViewBox holds the lines.
    """

    def __init__(self, view):
        self.view = view
        self.lines = (pg.InfiniteLine(angle=90, movable=False, pen=_PEN),
                      pg.InfiniteLine(angle=0, movable=False, pen=_PEN))
        for line in self.lines:
            line.setZValue(15)  # above the overlay (10), below the scale bar (20)
            view.vb.addItem(line, ignoreBounds=True)
        self._pixel = None

    @property
    def pixel(self) -> tuple[int, int] | None:
        """(row, col) the lines cross at, or None while hidden."""
        return self._pixel

    def set_pixel(self, row: int, col: int) -> None:
        """Cross at the centre of screen pixel (row, col)."""
        row_mm, col_mm = self.view.pixel_mm
        self.lines[0].setPos((col + 0.5) * col_mm)
        self.lines[1].setPos((row + 0.5) * row_mm)
        self._pixel = (int(row), int(col))

    def set_visible(self, on: bool) -> None:
        for line in self.lines:
            line.setVisible(on)

    def owns(self, item) -> bool:
        return any(item is line for line in self.lines)
