"""Window/level: reading presets and pyqtgraph's histogram/LUT control over the whole volume."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.display import (
    AUTO_PRESET,
    FULL_PRESET,
    WINDOW_PRESETS,
    levels,
    window_from_percentiles,
    window_text,
)

CUSTOM = "Custom"


class VolumeHistogramItem(pg.HistogramLUTItem):
    """A HistogramLUTItem that shows the histogram of the whole volume.

    pyqtgraph's item recomputes the histogram of the displayed image on every
    image change; for a volume that would make the curve jump at each slice
    and cost time on every slice change. Here the histogram is set once per
    case (from a subsample of the volume) and an image change only moves the
    level region to the image's current levels.
    """

    def __init__(self):
        super().__init__(orientation="vertical", gradientPosition="right")
        self._volume_hist = None

    def set_volume_histogram(self, edges: np.ndarray, counts: np.ndarray) -> None:
        # Log counts: CT histograms are dominated by air, which would flatten everything else.
        self._volume_hist = (np.asarray(edges, float), np.log10(1.0 + np.asarray(counts, float)))
        self.plot.setData(*self._volume_hist)
        lo, hi = float(edges[0]), float(edges[-1])
        self.vb.setYRange(lo, hi, padding=0.02)

    def imageChanged(self, autoLevel=False, autoRange=False):
        image_item = self.imageItem()
        if image_item is None:
            return
        if self._volume_hist is not None:
            mn, mx = image_item.getLevels() if image_item.getLevels() is not None else (0, 1)
            self.region.setRegion([mn, mx])


class WindowLevelPanel(QtWidgets.QWidget):
    """Preset menu, width/level readout and the histogram with its draggable level region.

    Signals
    -------
    levelsChanged(float, float)
        New (low, high) display levels, from a preset or a drag on the histogram.
    """

    levelsChanged = QtCore.Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preset = QtWidgets.QComboBox()
        self.preset.addItems([*WINDOW_PRESETS, AUTO_PRESET, FULL_PRESET, CUSTOM])
        self.preset.setToolTip("Window/level presets (width/level in Hounsfield units for CT)")
        self.readout = QtWidgets.QLabel("")
        # a long readout wraps instead of widening the dock (and squeezing the view)
        self.readout.setWordWrap(True)
        self.readout.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.hist_view = pg.GraphicsView(background=None)
        self.hist = VolumeHistogramItem()
        self.hist_view.setCentralItem(self.hist)
        self.hist_view.setMinimumHeight(150)
        self.hist_view.setToolTip(
            "Drag the region or its edges to set the window; drag the grey bar to change the colour map."
        )
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Window"))
        row.addWidget(self.preset, 1)
        layout.addLayout(row)
        layout.addWidget(self.readout)
        layout.addWidget(self.hist_view, 1)
        self._sample = np.zeros(0)
        self._setting = False
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.hist.sigLevelsChanged.connect(self._hist_levels_changed)

    def attach(self, image_item) -> None:
        self.hist.setImageItem(image_item)

    def set_volume(self, sample: np.ndarray, edges, counts, preset: str, window) -> None:
        """New case: its intensity sample, histogram and opening window."""
        self._sample = np.asarray(sample)
        self.hist.set_volume_histogram(edges, counts)
        self._apply(preset, levels(*window))

    def current_levels(self) -> tuple[float, float]:
        lo, hi = self.hist.getLevels()
        return float(lo), float(hi)

    def choose(self, preset: str) -> None:
        """Select a preset by name (as the menu does)."""
        self.preset.setCurrentText(preset)
        self._preset_chosen(preset)

    def _preset_chosen(self, name: str) -> None:
        if self._setting or name == CUSTOM:
            return
        if name in WINDOW_PRESETS:
            lo_hi = levels(*WINDOW_PRESETS[name])
        elif name == AUTO_PRESET:
            lo_hi = levels(*window_from_percentiles(self._sample))
        elif self._sample.size:
            lo_hi = (float(self._sample.min()), float(self._sample.max()) or 1.0)
        else:
            lo_hi = (0.0, 1.0)
        self._apply(name, lo_hi)

    def _apply(self, name: str, lo_hi) -> None:
        self._setting = True
        try:
            self.preset.setCurrentText(name)
            self.hist.setLevels(*lo_hi)
        finally:
            self._setting = False
        self._report(*lo_hi)

    def _hist_levels_changed(self, *_):
        lo, hi = self.current_levels()
        if not self._setting:
            self._setting = True
            self.preset.setCurrentText(CUSTOM)
            self._setting = False
        self._report(lo, hi)

    def _report(self, lo: float, hi: float) -> None:
        self.readout.setText(window_text(lo, hi, bounds=True, sep="   "))
        self.levelsChanged.emit(float(lo), float(hi))
