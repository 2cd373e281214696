"""Per-slice Dice along the current axis (pyqtgraph), the current slice marked; click a point to go there.

The values come from the core: :meth:`LiveScore.slice_dice
<dicegui.core.live.LiveScore.slice_dice>` of the session for the whole
foreground (maintained counts, no pass over the volume, so the plot follows
every brush stroke), and of a :class:`~dicegui.core.live.LiveScore` of the
focused label's (or region group's) two binary views when one is focused. Slices where
both masks are empty have no Dice and no point.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.live import LiveScore
from ..plots import BLUE, ORANGE, score_plot
from .view_tools import focus_binary, focus_title

# Okabe-Ito colours (the overlay's palette family), readable on white.
_GREY = (120, 120, 120)
# Coalesce refreshes after edits: a brush drag emits many.
_REFRESH_MS = 60
#: Below this the slices' differences cannot be read.
MIN_PLOT_HEIGHT = 160


def focus_live(window) -> LiveScore | None:
    """The live score of the window's focus: the session's for all foreground, else one of the focus' binary views."""
    s = window.session
    if s is None or not s.has_scores:
        return None
    if window.focus is None:
        return s.live
    g, p = focus_binary(window)
    return LiveScore(g, p)


def per_slice_dice(window, axis: int) -> np.ndarray:
    """Dice of every slice across ``axis`` for the window's focus (nan where both masks are empty)."""
    live = focus_live(window)
    return np.zeros(0) if live is None else live.slice_dice(axis)


def fitted_range(values: np.ndarray, also=()) -> tuple[float, float]:
    """A y range holding the finite ``values`` (and ``also``) with a margin, within 0 … 1.05.

    A fixed 0–1 axis squeezes slices at 0.94 and 0.98 into one line; the
    margin is a tenth of the spread, at least 0.02, so a flat run stays readable.
    """
    v = np.concatenate([np.asarray(values, float).ravel(), np.asarray(also, float).ravel()])
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.05
    lo, hi = float(v.min()), float(v.max())
    pad = max(0.02, 0.1 * (hi - lo))
    return max(0.0, lo - pad), min(1.05, hi + pad)


class SliceDicePlot(QtWidgets.QWidget):
    """Dice per slice with the current slice marked.

    Signals
    -------
    sliceRequested(int)
        A point (or a place in the plot) was clicked: go to that slice.
    """

    sliceRequested = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values = np.zeros(0)
        self.current = 0
        self.volume_dice = None
        #: ``counts_of(slice) -> {"tp", "fp", "fn"}`` for the hover text (set by the controller)
        self.counts_of = None
        self.plot = score_plot("slice", "Dice")
        self.plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        item = self.plot.getPlotItem()
        item.setYRange(0.0, 1.05, padding=0)
        self.full_axis = QtWidgets.QCheckBox("0–1 axis")
        self.full_axis.setToolTip("Off: the Dice axis fits the values, so 0.94 and 0.98 can be told apart")
        self.full_axis.toggled.connect(lambda _on: self._fit_y())
        self.curve = pg.PlotDataItem(pen=pg.mkPen(BLUE, width=1.5), connect="finite")
        self.points = pg.ScatterPlotItem(size=7, pen=pg.mkPen(255, 255, 255, 200),
                                         brush=pg.mkBrush(*BLUE), hoverable=True,
                                         hoverBrush=pg.mkBrush(*ORANGE), tip=self._tip)
        self.volume_line = pg.InfiniteLine(angle=0, movable=False,
                                           pen=pg.mkPen(_GREY, width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(ORANGE, width=2))
        self.marker = pg.ScatterPlotItem(size=12, pen=pg.mkPen(40, 40, 40), brush=pg.mkBrush(*ORANGE))
        # one point at the origin, moved with setPos: a slice change then
        # rebuilds nothing (setData costs a quarter of a millisecond)
        self.marker.setData([0.0], [0.0])
        self.marker.setVisible(False)
        for it in (self.volume_line, self.curve, self.points, self.cursor, self.marker):
            item.addItem(it)
        self.points.sigClicked.connect(self._points_clicked)
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)
        self.title = QtWidgets.QLabel("")
        self.title.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.full_axis, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        layout.addWidget(self.plot, 1)

    # -------------------------------------------------------------- content
    def set_values(self, values: np.ndarray, title: str = "", volume_dice: float | None = None) -> None:
        """Show one Dice per slice (nan: no point)."""
        self.values = np.asarray(values, dtype=np.float64)
        x = np.arange(self.values.size, dtype=np.float64)
        self.curve.setData(x, self.values)
        ok = np.isfinite(self.values)
        self.points.setData(x=x[ok], y=self.values[ok], data=np.flatnonzero(ok))
        item = self.plot.getPlotItem()
        item.setXRange(-0.5, max(self.values.size - 0.5, 0.5), padding=0.01)
        if volume_dice is not None and math.isfinite(volume_dice):
            self.volume_line.setPos(volume_dice)
            self.volume_line.setVisible(True)
            self.volume_dice = float(volume_dice)
        else:
            self.volume_line.setVisible(False)
            self.volume_dice = None
        self.title.setText(title)
        self._fit_y()
        self._update_marker()

    def y_range(self) -> tuple[float, float]:
        """The Dice axis' range: 0–1.05 with :attr:`full_axis` ticked, else fitted to the values."""
        if self.full_axis.isChecked():
            return 0.0, 1.05
        return fitted_range(self.values, () if self.volume_dice is None else (self.volume_dice,))

    def _fit_y(self) -> None:
        lo, hi = self.y_range()
        self.plot.getPlotItem().setYRange(lo, hi, padding=0)

    def set_current(self, index: int) -> None:
        """Mark the slice on screen."""
        self.current = int(index)
        self.cursor.setPos(self.current)
        self._update_marker()

    def clear(self, text: str = "") -> None:
        self.set_values(np.zeros(0), text)

    def _update_marker(self) -> None:
        i = self.current
        shown = 0 <= i < self.values.size and bool(np.isfinite(self.values[i]))
        if shown:
            self.marker.setPos(float(i), float(self.values[i]))
        self.marker.setVisible(shown)

    def tip_text(self, index: int) -> str:
        """What hovering over slice ``index``'s point shows: its Dice and its counts."""
        text = f"slice {index}: Dice {self.values[index]:.4f}"
        if self.counts_of is not None:
            c = self.counts_of(index)
            text += f"\nTP {c['tp']:,} · FP {c['fp']:,} · FN {c['fn']:,} voxels"
        return text

    def _tip(self, x, y, data):
        return self.tip_text(int(data))

    # --------------------------------------------------------------- clicks
    def point_position(self, index: int) -> QtCore.QPoint:
        """Widget position (in ``self.plot``) of slice ``index``'s point, for tests and tooltips."""
        y = self.values[index] if np.isfinite(self.values[index]) else 0.0
        scene = self.plot.getPlotItem().vb.mapViewToScene(QtCore.QPointF(float(index), float(y)))
        return self.plot.mapFromScene(scene)

    def _points_clicked(self, _item, points, ev=None) -> None:
        if len(points):
            self._clicked_handled = True
            self.sliceRequested.emit(int(points[0].data()))

    def _scene_clicked(self, ev) -> None:
        # a click on a point is reported by sigClicked first; elsewhere in the
        # plot area go to the nearest slice
        if getattr(self, "_clicked_handled", False):
            self._clicked_handled = False
            return
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or self.values.size == 0:
            return
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        x = vb.mapSceneToView(ev.scenePos()).x()
        i = int(np.clip(round(x), 0, self.values.size - 1))
        self.sliceRequested.emit(i)


class SliceDiceController(QtCore.QObject):
    """Keeps a :class:`SliceDicePlot` in step with the window (plane, slice, focus, edits)."""

    def __init__(self, window, plot: SliceDicePlot):
        super().__init__(window)
        self.window = window
        self.plot = plot
        self._axis = None
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        window.sessionChanged.connect(self.refresh)
        window.sliceChanged.connect(self._slice_changed)
        window.masksEdited.connect(self._timer.start)
        window.overlay_panel.changed.connect(self._focus_maybe_changed)
        plot.sliceRequested.connect(window.set_slice)
        self._focus = None
        self.refresh()

    def refresh(self) -> None:
        """Recompute the values (plane, focus or masks changed)."""
        self._timer.stop()
        w = self.window
        s = w.session
        if s is None or not s.has_scores:
            self.plot.counts_of = None
            self.plot.clear("Per-slice Dice: open a reference and a prediction.")
            return
        if s.grid.is_2d:
            self.plot.counts_of = None
            self.plot.clear("Per-slice Dice: a 2-D image has a single slice; its Dice is in the scores panel.")
            return
        axis = w.plane.axis
        self._axis = axis
        self._focus = w.focus
        live = focus_live(w)
        values = live.slice_dice(axis)
        self.plot.counts_of = lambda i: live.slice_overlap(axis, i)
        vol = w.structures.volume_scores(w.focus)["dice"]  # a region group's too
        n_empty = int(np.count_nonzero(~np.isfinite(values)))
        note = f"; {n_empty} slices without either mask have no point" if n_empty else ""
        self.plot.set_values(values, f"<b>Dice per {w.plane.name} slice</b> ({focus_title(w, regions=True)}); "
                                     f"dashed: whole volume {vol:.4f}{note}. Click a point to go there.",
                             volume_dice=vol)
        self.plot.set_current(w.index)

    def _slice_changed(self, plane_name: str, index: int) -> None:
        if self.window.plane.axis != self._axis:
            self.refresh()
        else:
            self.plot.set_current(index)

    def _focus_maybe_changed(self) -> None:
        if self.window.session is not None and self.window.focus != self._focus:
            self._timer.start()

    def flush(self) -> None:
        """Apply a pending refresh now (tests, screenshots)."""
        if self._timer.isActive():
            self.refresh()
