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
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)  # the captions wrap: large text (presentation mode) needs more lines
        self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        """Tall enough for the discs and every caption line at this width."""
        return max(150, sum(r.height() for r in self._caption_rects(width, 0)) + 12)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() in (QtCore.QEvent.Type.FontChange, QtCore.QEvent.Type.StyleChange):
            self.updateGeometry()  # a new text size: a new height for the captions
        super().changeEvent(event)

    def _caption_rects(self, width: int, top: float) -> list[QtCore.QRectF]:
        """Where each caption goes, wrapped in the room right of the discs, one under the other from ``top``."""
        d = min(self.minimumHeight() - 12, width * 0.3)  # the discs' diameter at the least height
        x = 6 + d * 1.55 + 12
        room = max(10, int(width - x - 4))
        rects, y = [], top
        for text in self.captions():
            r = self.fontMetrics().boundingRect(QtCore.QRect(0, 0, room, 100000), QtCore.Qt.TextFlag.TextWordWrap,
                                                text)
            rects.append(QtCore.QRectF(x, y, room, r.height()))
            y += r.height()
        return rects

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
        d = min(self.minimumHeight() - 12, self.width() * 0.3)  # a taller picture has room for captions, not discs
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
        rects = self._caption_rects(self.width(), 0)
        top = max(0.0, (self.height() - sum(r.height() for r in rects)) / 2)  # centred beside the discs
        for text, r in zip(self.captions(), rects):
            p.drawText(r.translated(0, top), QtCore.Qt.TextFlag.TextWordWrap, text)
        p.end()
