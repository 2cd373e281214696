"""The brush outline that follows the mouse: exactly the voxels a dab will paint.

The outline is drawn around the footprint the core will use
(:func:`dicegui.core.edits.disc_footprint`, round in millimetres), centred on
the voxel under the cursor, so what is outlined is what gets painted, also
on anisotropic voxels. A thin bright line over a darker, wider one stays
visible over any anatomy; the eraser's outline is dashed.
"""
from __future__ import annotations

import functools

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.edits import disc_footprint


def footprint_outline(footprint: np.ndarray) -> QtGui.QPainterPath:
    """Boundary of a boolean pixel mask as line segments, in pixel units (x = column, y = row).

    Pixel ``(r, c)`` covers ``[c, c+1] × [r, r+1]``; runs of edge along a row
    or a column are merged into one segment.
    """
    fp = np.pad(np.asarray(footprint, dtype=bool), 1)
    path = QtGui.QPainterPath()
    # Horizontal edges: between rows r-1 and r of the padded mask.
    horizontal = fp[1:, 1:-1] != fp[:-1, 1:-1]
    for y, row in enumerate(horizontal):
        for x0, x1 in _runs(row):
            path.moveTo(x0, y)
            path.lineTo(x1, y)
    vertical = fp[1:-1, 1:] != fp[1:-1, :-1]
    for x, col in enumerate(vertical.T):
        for y0, y1 in _runs(col):
            path.moveTo(x, y0)
            path.lineTo(x, y1)
    return path


def _runs(flags: np.ndarray):
    """(start, stop) of each run of True values."""
    d = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist())


@functools.lru_cache(maxsize=64)
def _outline(radius: float, row_mm: float, col_mm: float) -> tuple[QtGui.QPainterPath, int, int]:
    fp = disc_footprint(radius, (row_mm, col_mm))
    return footprint_outline(fp), fp.shape[0] // 2, fp.shape[1] // 2


class BrushCursor(QtWidgets.QGraphicsObject):
    """Outline of the brush footprint on the slice view (item coordinates: screen pixels)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._path = QtGui.QPainterPath()
        self._half = (0, 0)
        self._pixel_mm = (1.0, 1.0)
        self._radius = 0.0
        self._erase = False
        self._pixel = None
        self.setZValue(30)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setVisible(False)

    @property
    def pixel(self):
        """Screen pixel (row, col) the outline is centred on, or None."""
        return self._pixel

    def set_shape(self, radius: float, pixel_mm, erase: bool = False) -> None:
        """Brush radius (voxels of the finer axis), (row, col) mm of a screen pixel, eraser look."""
        key = (float(radius), float(pixel_mm[0]), float(pixel_mm[1]))
        if key == (self._radius, *self._pixel_mm) and erase == self._erase:
            return
        self.prepareGeometryChange()
        self._radius, self._pixel_mm, self._erase = key[0], key[1:], bool(erase)
        self._path, hr, hc = _outline(*key)
        self._half = (hr, hc)
        self.setTransform(QtGui.QTransform.fromScale(self._pixel_mm[1], self._pixel_mm[0]))
        if self._pixel is not None:
            self.move_to(self._pixel)
        self.update()

    def move_to(self, pixel) -> None:
        """Centre the outline on screen pixel ``(row, col)`` (None hides it)."""
        if pixel is None:
            self._pixel = None
            self.setVisible(False)
            return
        row, col = int(pixel[0]), int(pixel[1])
        self._pixel = (row, col)
        self.setPos((col - self._half[1]) * self._pixel_mm[1], (row - self._half[0]) * self._pixel_mm[0])
        self.setVisible(True)

    def boundingRect(self) -> QtCore.QRectF:
        # Room for the pen, whose width is in screen pixels (cosmetic).
        return self._path.boundingRect().adjusted(-1, -1, 1, 1)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        dark = QtGui.QPen(QtGui.QColor(0, 0, 0, 170), 3.0)
        dark.setCosmetic(True)
        bright = QtGui.QPen(QtGui.QColor("#ffffff" if self._erase else "#f0e442"), 1.4)
        bright.setCosmetic(True)
        if self._erase:
            bright.setStyle(QtCore.Qt.PenStyle.DashLine)
        painter.setPen(dark)
        painter.drawPath(self._path)
        painter.setPen(bright)
        painter.drawPath(self._path)
