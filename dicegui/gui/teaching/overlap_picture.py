"""Two overlapping regions, reference A and prediction B: the overlap lies in both, so |A| + |B| counts it twice.

Drawn with QPainter from :func:`dicegui.core.dice_forms.set_sizes`; the
captions carry the live counts.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.dice_forms import set_sizes

REFERENCE_COLOR = QtGui.QColor(86, 180, 233)   # the FN blue of the overlay: reference only
PREDICTION_COLOR = QtGui.QColor(230, 97, 0)    # the FP orange: prediction only
OVERLAP_COLOR = QtGui.QColor(0, 158, 115)      # the TP green: both


class OverlapPicture(QtWidgets.QWidget):
    """A and B as two discs; the lens where they overlap is TP, counted once in |A| and once in |B|."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sizes = {"reference": 0, "prediction": 0, "overlap": 0}
        self.setMinimumHeight(150)

    def set_counts(self, counts) -> None:
        """Show the sizes of these counts (a mapping with tp, fp, fn, tn)."""
        self.sizes = set_sizes(counts)
        self.update()

    def captions(self) -> list[str]:
        """The three lines written beside the discs."""
        s = self.sizes
        return [f"|A| = TP + FN = {s['reference']:,} (reference)",
                f"|B| = TP + FP = {s['prediction']:,} (prediction)",
                f"|A∩B| = TP = {s['overlap']:,}: in A and in B, so |A| + |B| holds it twice"]

    def disc_rects(self) -> tuple[QtCore.QRectF, QtCore.QRectF]:
        """Where A and B are drawn (the overlap is their intersection)."""
        h = self.height() - 12
        d = min(h, self.width() * 0.3)
        top = (self.height() - d) / 2
        a = QtCore.QRectF(6, top, d, d)
        b = QtCore.QRectF(6 + d * 0.55, top, d, d)
        return a, b

    def paintEvent(self, _event) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        a, b = self.disc_rects()
        path_a, path_b = QtGui.QPainterPath(), QtGui.QPainterPath()
        path_a.addEllipse(a)
        path_b.addEllipse(b)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.fillPath(path_a, REFERENCE_COLOR)
        p.fillPath(path_b, PREDICTION_COLOR)
        p.fillPath(path_a.intersected(path_b), OVERLAP_COLOR)
        pen = QtGui.QPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText), 2)
        p.setPen(pen)
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawEllipse(a)
        p.drawEllipse(b)
        p.drawText(a.adjusted(8, 0, 0, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, "A")
        p.drawText(b.adjusted(0, 0, -8, 0), QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignRight,
                   "B")
        x = b.right() + 12
        line = p.fontMetrics().lineSpacing()
        text_rect = QtCore.QRectF(x, 0, max(10.0, self.width() - x - 4), self.height())
        y = self.height() / 2 - 1.5 * line
        for text in self.captions():
            r = QtCore.QRectF(text_rect.left(), y, text_rect.width(), 3 * line)
            p.drawText(r, QtCore.Qt.TextFlag.TextWordWrap, text)
            y += line * (1 + p.fontMetrics().horizontalAdvance(text) // max(1, int(text_rect.width())))
        p.end()
