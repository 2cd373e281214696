"""Dice against the threshold for each label of a multi-class probability map, best points starred.

Curves from :func:`dicegui.core.threshold.label_threshold_curves` (channel c
against the reference's label c), best points from
:func:`~dicegui.core.threshold.best_threshold`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from ...core.teaching import format_value
from ...core.threshold import best_threshold, label_threshold_curves, scores_at
from ..plots import score_plot

_COLORS = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (230, 159, 0),
           (0, 0, 0), (240, 228, 66)]


class LabelCurves(QtWidgets.QWidget):
    """One Dice curve per label of a channel map, and each label's best threshold in words."""

    def __init__(self, thresholds, parent=None):
        super().__init__(parent)
        self.thresholds = np.asarray(thresholds)
        self.curves: dict = {}
        self.best: dict = {}
        self.title = QtWidgets.QLabel("")
        self.title.setWordWrap(True)
        self.plot = score_plot("threshold t", "Dice", grid_x=True)
        self.plot.setMinimumHeight(170)
        self.plot.setMaximumHeight(230)
        self.plot.getPlotItem().setXRange(0, 1, padding=0.02)
        self.plot.getPlotItem().setYRange(0, 1.02, padding=0)
        self.legend = self.plot.getPlotItem().addLegend()
        self.best_text = QtWidgets.QLabel("")
        self.best_text.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot)
        layout.addWidget(self.best_text)

    def show_channels(self, probs, labels, names) -> None:
        """Plot the curves of ``probs`` (channels first) against the label map ``labels``."""
        item = self.plot.getPlotItem()
        item.clear()
        self.legend.clear()
        self.curves = label_threshold_curves(probs, labels, self.thresholds)
        self.best = {}
        lines = []
        for i, (c, curve) in enumerate(self.curves.items()):
            color = _COLORS[i % len(_COLORS)]
            name = names.get(c, f"label {c}")
            item.plot(curve["threshold"], curve["dice"], pen=pg.mkPen(color, width=2), name=f"{c} {name}")
            try:
                b = scores_at(curve, best_threshold(curve))
            except ValueError:
                continue
            self.best[c] = b
            item.addItem(pg.ScatterPlotItem([b["threshold"]], [b["dice"]], symbol="star", size=14,
                                            brush=pg.mkBrush(*color), pen=pg.mkPen((30, 30, 30))))
            lines.append(f"{c} {name}: best t = {b['threshold']:.2f} (Dice {format_value(b['dice'])})")
        self.title.setText("Dice of each label's channel against the threshold (channel c ≥ t vs reference "
                           "label c); one threshold does not suit every class.")
        self.best_text.setText(" · ".join(lines))
