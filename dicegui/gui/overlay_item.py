"""A graphics item that paints a code image through a colour lookup table.

The item keeps three things for the slice on screen: the code image
(:mod:`dicegui.core.overlay`), the lookup table, and an RGBA buffer that a
``QImage`` wraps without copying. A full redraw is one ``numpy.take``; a
brush dab (next issue) replaces the codes of one rectangle, recolours only
that rectangle in the same buffer and asks Qt to repaint only that rectangle.
Changing colours or opacity recolours from the cached codes.

Outlines are one voxel wide: about one screen pixel when a whole slice fits
the view, too thin for a projector. :meth:`OverlayItem.set_outline_width`
paints each drawn pixel also a few *screen* pixels around itself, so the line
is that wide at any zoom. The exposed part of the image is drawn into a
transparent layer of device pixels, each drawn pixel's colour is copied (not
blended) to its neighbours there, and the layer is drawn once: a translucent
outline keeps its colour however wide it is (the image drawn at each offset
straight onto the scan stacked alpha and darkened it). The codes, the buffer
and a dab's work stay the same; only the paint of what is exposed does more.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.overlay import apply_lut


class OverlayItem(QtWidgets.QGraphicsObject):
    """Draws ``lut[codes]`` scaled to millimetres, one voxel per image pixel.

    Item coordinates are pixels (column, row); :meth:`set_pixel_size` sets the
    transform to millimetres so that the item lines up with the image item.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._codes: np.ndarray | None = None
        self._lut: np.ndarray | None = None
        self._rgba: np.ndarray | None = None
        self._words: np.ndarray | None = None
        self._qimage: QtGui.QImage | None = None
        self._outline_px = 1  # screen pixels each drawn pixel covers (set_outline_width)
        self._pad = 0  # voxels a drawn pixel can reach beyond itself at the last paint's zoom
        self._content: QtCore.QRect | None = None  # outside it every code is background (None: unknown)
        # Paint only the exposed part of the image (dirty-rectangle redraws).
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    # ------------------------------------------------------------------ state
    @property
    def codes(self) -> np.ndarray | None:
        return self._codes

    def content_codes(self) -> np.ndarray | None:
        """The codes inside the rectangle that can hold anything but background (all codes when unknown)."""
        if self._codes is None or self._content is None:
            return self._codes
        c = self._content
        return self._codes[c.top():c.top() + c.height(), c.left():c.left() + c.width()]

    @property
    def lut(self) -> np.ndarray | None:
        return self._lut

    def rgba(self) -> np.ndarray | None:
        """The premultiplied RGBA buffer on screen (read-only use: tests, export)."""
        return self._rgba

    def set_pixel_size(self, row_mm: float, col_mm: float) -> None:
        self.setTransform(QtGui.QTransform.fromScale(float(col_mm), float(row_mm)))

    @property
    def outline_width(self) -> int:
        return self._outline_px

    def set_outline_width(self, px: int) -> None:
        """Draw every painted pixel ``px`` screen pixels wide at least (1: as the codes are).

        Meant for outline colour tables, whose drawn pixels are the one-voxel
        boundaries: they then read ``px`` screen pixels wide however far the
        view is zoomed out. Under a fill table the regions would grow by the
        same amount and their translucent rims darken, so callers set it for
        outlines only.
        """
        px = max(1, int(px))
        if px != self._outline_px:
            self._outline_px = px
            if px == 1:
                self._pad = 0
            self.update()

    def clear(self) -> None:
        self.prepareGeometryChange()
        self._codes = self._rgba = self._words = self._qimage = self._content = None
        self.update()

    def set_lut(self, lut: np.ndarray) -> None:
        """New colours for the current codes (no change of codes)."""
        self._lut = np.ascontiguousarray(lut, dtype=np.uint8)
        if self._codes is not None:
            apply_lut(self._codes, self._lut, out=self._words)
            self.update()

    def set_codes(self, codes: np.ndarray, lut: np.ndarray | None = None, content=None) -> None:
        """Show a new code image (full redraw).

        ``content`` ``(r0, r1, c0, c1)``: every code outside this rectangle
        is background, so only the rectangle is looked up in the table (a
        first visit of a slice colours a quarter of it or less); None: all.
        """
        if lut is not None:
            self._lut = np.ascontiguousarray(lut, dtype=np.uint8)
        codes = np.asarray(codes)
        if self._rgba is None or self._rgba.shape[:2] != codes.shape:
            self.prepareGeometryChange()
            rows, cols = codes.shape
            self._rgba = np.zeros((rows, cols, 4), dtype=np.uint8)
            self._words = self._rgba.view(np.uint32)[..., 0]
            # The QImage wraps the NumPy buffer: recolouring it in place is
            # enough, nothing is uploaded or copied per frame.
            self._qimage = QtGui.QImage(
                self._rgba.data, cols, rows, cols * 4, QtGui.QImage.Format.Format_RGBA8888_Premultiplied
            )
        self._codes = codes.copy() if not codes.flags.c_contiguous else codes
        self._content = None if content is None else QtCore.QRect(
            int(content[2]), int(content[0]), int(content[3] - content[2]), int(content[1] - content[0])
        )
        if self._lut is not None:
            if content is None:
                apply_lut(self._codes, self._lut, out=self._words)
            else:
                self._words.fill(self._lut.view(np.uint32)[0, 0])
                window = (slice(content[0], content[1]), slice(content[2], content[3]))
                apply_lut(self._codes[window], self._lut, out=self._words[window])
        self.update()

    def update_region(self, row0: int, col0: int, codes: np.ndarray) -> None:
        """Replace the codes of one rectangle and repaint only it.

        Parameters
        ----------
        row0, col0 : int
            Top-left pixel of the rectangle.
        codes : numpy.ndarray
            The rectangle's new codes (e.g. from
            ``confusion_codes(..., region=...)``).
        """
        if self._codes is None:
            raise RuntimeError("update_region() before set_codes()")
        rows, cols = codes.shape
        window = (slice(row0, row0 + rows), slice(col0, col0 + cols))
        if not self._codes.flags.writeable:
            self._codes = self._codes.copy()
        self._codes[window] = codes
        if self._content is not None:
            self._content = self._content.united(QtCore.QRect(col0, row0, cols, rows))
        if self._lut is not None:
            apply_lut(codes, self._lut, out=self._words[window])
        pad = self._pad  # a widened outline reaches past the rectangle
        self.update(QtCore.QRectF(col0 - pad, row0 - pad, cols + 2 * pad, rows + 2 * pad))

    # --------------------------------------------------------------- painting
    def boundingRect(self) -> QtCore.QRectF:
        if self._rgba is None:
            return QtCore.QRectF()
        rows, cols = self._rgba.shape[:2]
        return QtCore.QRectF(0, 0, cols, rows)

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if self._qimage is None or self._lut is None:
            return
        exposed = option.exposedRect.intersected(self.boundingRect())
        if exposed.isEmpty():
            return
        # Whole pixels around the exposed area; nearest-neighbour scaling shows voxels as voxels.
        src = exposed.toAlignedRect().intersected(self.boundingRect().toRect())
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        if self._outline_px == 1:
            if self._content is not None and self._lut.view(np.uint32)[0, 0] == 0:
                # background is transparent: drawing it would blend nothing onto the scan
                # (a widened outline reaches past the rectangle: drawn whole below)
                src = src.intersected(self._content)
                if src.isEmpty():
                    return
            painter.drawImage(QtCore.QRectF(src), self._qimage, QtCore.QRectF(src))
            return
        self._paint_widened(painter, exposed)

    def _paint_widened(self, painter: QtGui.QPainter, exposed: QtCore.QRectF) -> None:
        """The image spread over a ``px``-wide square of device pixels, then drawn once (see the module notes)."""
        base = painter.worldTransform()
        low = -((self._outline_px - 1) // 2)
        high = low + self._outline_px - 1
        # Voxels a shift of the widest offset covers at this zoom: the source must
        # reach that far past the exposed area, and a dab's repaint as well.
        voxel_px = min(math.hypot(base.m11(), base.m12()), math.hypot(base.m21(), base.m22())) or 1.0
        self._pad = int(math.ceil(max(-low, high) / voxel_px))
        bounds = self.boundingRect()
        src = exposed.adjusted(-self._pad, -self._pad, self._pad, self._pad)
        src = src.toAlignedRect().intersected(bounds.toRect())
        if self._content is not None and self._lut.view(np.uint32)[0, 0] == 0:
            src = src.intersected(self._content)  # transparent outside it: nothing to spread
        if src.isEmpty():
            return
        # device pixels the source covers grown by the offsets, no more than the repaint
        # needs (zoomed far in, the whole source would be a layer of many megapixels)
        reach = max(-low, high)
        area = base.mapRect(QtCore.QRectF(src)).toAlignedRect().adjusted(low, low, high, high)
        area = area.intersected(base.mapRect(exposed).toAlignedRect().adjusted(-reach, -reach, reach, reach))
        if area.isEmpty():
            return
        words = np.zeros((area.height(), area.width()), np.uint32)  # transparent, premultiplied ARGB32
        layer = QtGui.QImage(words.data, area.width(), area.height(), area.width() * 4,
                             QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        shifted = base * QtGui.QTransform.fromTranslate(-area.left(), -area.top())  # device pixels of the layer
        self._draw_source(layer, shifted, QtCore.QRectF(src))
        _spread(words, low, high)
        painter.save()
        painter.setClipRect(bounds, QtCore.Qt.ClipOperation.IntersectClip)  # nothing drawn past the slice
        painter.setWorldTransform(QtGui.QTransform())
        painter.drawImage(area.topLeft(), layer)  # once: the item's opacity applies once
        painter.restore()

    def _draw_source(self, layer: QtGui.QImage, transform: QtGui.QTransform, src: QtCore.QRectF) -> None:
        """Draw the pixels ``src`` of the image into ``layer`` through ``transform``, voxels as squares."""
        p = QtGui.QPainter(layer)
        try:
            p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
            p.setWorldTransform(transform)
            p.drawImage(src, self._qimage, src)
        finally:
            p.end()


#: A premultiplied ARGB32 word is drawn (alpha > 0) from this value up: alpha is its top byte.
_DRAWN = np.uint32(1 << 24)


def _spread(words: np.ndarray, low: int, high: int) -> None:
    """Give every pixel within offsets ``low..high`` (rows and columns) of a drawn pixel that pixel's colour.

    Each pixel is replaced, never blended: a pixel several shifted copies cover
    keeps one outline colour and alpha (blending them made translucent outlines
    darker the wider they were). Pixels drawn before keep their own colour;
    a square spread is a row spread, then a column spread.
    """
    for axis in (1, 0):
        before = words.copy()
        n = words.shape[axis]
        for d in [d for d in range(low, high + 1) if d] + [0]:  # the pixel's own colour last: it wins
            if abs(d) >= n:
                continue
            to = [slice(None), slice(None)]
            frm = [slice(None), slice(None)]
            to[axis] = slice(max(d, 0), n + min(d, 0))
            frm[axis] = slice(max(-d, 0), n + min(-d, 0))
            source = before[tuple(frm)]
            np.copyto(words[tuple(to)], source, where=source >= _DRAWN)
