"""Where HD95 (or HD) comes from: the pair of border voxels at that distance, drawn on the slice.

:func:`dicegui.core.surface.hd_pair` gives the border voxel whose distance to
the other mask's border realises the (percentile) Hausdorff distance, and its
nearest border voxel on the other mask. The marker draws both on the slice
view (circle: the voxel the distance is measured from; square: its nearest
border voxel on the other mask) joined by a line labelled with its length in
mm. Points off the current slice are drawn hollow, projected onto it, and the
label names their slices; "Go to it" opens the slice of the first point and
centres the view on the segment.

The pair is computed in a worker thread (a surface-distance pass over the
focus's borders), like the scores panel's HD95, for the window's focus.
On a voxel grid many border voxels are often exactly that far (a flat face
shifted by a few voxels): the marker says how many are tied
(:func:`dicegui.core.surface.hd_ties`) and ◀ / ▶ step through them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.surface import hd_ties
from ..background import BackgroundJob, JobSignals
from ..region_focus import focus_foreground
from .view_tools import centre_view_on, focus_title, pixel_centre, screen_position

_COLOUR = (240, 228, 66)  # the view's caption yellow: readable on CT grey and on the overlay
CHOICES = (("HD95", 95.0), ("HD (maximum)", 100.0))
#: Tied pairs kept for stepping through (the count is of all of them).
MAX_TIES = 5000


@dataclass(frozen=True)
class _Request:
    generation: int
    percentile: float
    label: object  # the window's focus: a label, a region group or None


def squeezed_ties(gt: np.ndarray, pred: np.ndarray, spacing, percentile: float, limit: int = MAX_TIES):
    """:func:`hd_ties` measured on the axes longer than one voxel (a 2-D image in 2-D), indices back in 3-D.

    Returns ``(pairs, count)`` or None (a mask is empty).
    """
    keep = tuple(a for a in range(gt.ndim) if gt.shape[a] > 1) or (0,)
    drop = tuple(a for a in range(gt.ndim) if a not in keep)
    found = hd_ties(np.squeeze(gt, axis=drop), np.squeeze(pred, axis=drop),
                    spacing=tuple(float(spacing[a]) for a in keep), percentile=percentile, limit=limit)
    if found is None or not drop:
        return found

    def full(ix):
        out = [0] * gt.ndim
        for a, v in zip(keep, ix):
            out[a] = int(v)
        return tuple(out)

    pairs, count = found
    return [p._replace(source=full(p.source), target=full(p.target)) for p in pairs], count


class HdMarker(QtWidgets.QWidget):
    """Controls and slice-view drawing of the HD95 / HD pair.

    Signals
    -------
    pairChanged(object)
        The pair shown (a :class:`~dicegui.core.surface.HausdorffPair` or None).
    """

    pairChanged = QtCore.Signal(object)

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.pair = None
        self.pair_label = None
        self.ties: list = []  # the pairs tied at the shown distance; ``pair`` is ties[tie_index]
        self.tie_count = 0
        self.tie_index = 0
        self.generation = 0
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = JobSignals(self)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self._timer = QtCore.QTimer(self)  # recompute shortly after the last edit
        self._timer.setSingleShot(True)
        self._timer.setInterval(400)
        self._timer.timeout.connect(self.request)

        self.show_box = QtWidgets.QCheckBox("Show where")
        self.show_box.setToolTip("Draw the two border voxels that realise the distance, and the line between them")
        self.which = QtWidgets.QComboBox()
        for title, pct in CHOICES:
            self.which.addItem(title, pct)
        self.go_button = QtWidgets.QPushButton("Go to it")
        self.go_button.setToolTip("Open the slice of the distance's first point and centre the view on it")
        self.prev_button = QtWidgets.QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("The previous border voxel at the same distance")
        self.next_button = QtWidgets.QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("The next border voxel at the same distance")
        self.tie_label = QtWidgets.QLabel("")
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.show_box)
        row.addWidget(self.which)
        row.addStretch(1)
        row.addWidget(self.prev_button)
        row.addWidget(self.tie_label)
        row.addWidget(self.next_button)
        row.addWidget(self.go_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.status)

        pen = pg.mkPen(_COLOUR, width=2)
        self.line = pg.PlotCurveItem(pen=pen)
        self.ends = pg.ScatterPlotItem(size=11, pxMode=True)
        self.text = pg.TextItem("", color=_COLOUR, anchor=(0, 1), fill=pg.mkBrush(0, 0, 0, 150))
        for it in (self.line, self.ends, self.text):
            it.setZValue(40)
            it.setVisible(False)
            window.view.vb.addItem(it, ignoreBounds=True)

        self.show_box.toggled.connect(self._toggled)
        self.which.currentIndexChanged.connect(lambda _i: self.request())
        self.go_button.clicked.connect(self.go_to)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        window.sessionChanged.connect(self._session_changed)
        window.sliceChanged.connect(lambda *_: self._draw())
        window.masksEdited.connect(self._masks_edited)
        window.overlay_panel.changed.connect(self._focus_maybe_changed)
        self._set_idle()

    @property
    def percentile(self) -> float:
        return float(self.which.currentData())

    @property
    def title(self) -> str:
        return self.which.currentText().split(" ")[0]

    # ------------------------------------------------------------- compute
    def request(self) -> None:
        """(Re)compute the pair for the current masks, focus and choice."""
        self.generation += 1
        w = self.window
        s = w.session
        if s is None or not s.has_scores or not self.show_box.isChecked():
            self._set_ties(None)
            self._draw()
            self._set_idle()
            return
        gt, pred, focus = s.gt, s.pred, w.focus
        self.status.setText(f"Finding the {self.title} pair ({focus_title(w, regions=True)})…")
        req = _Request(self.generation, self.percentile, focus)
        spacing = s.grid.spacing
        # the focus' masks are made in the worker, when its turn comes: made
        # here they would be held while other whole-volume jobs run
        self.pool.start(BackgroundJob(
            req, lambda: squeezed_ties(*focus_foreground(gt, pred, focus), spacing, req.percentile), self._signals))

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the worker is idle and its result shown (tests, screenshots)."""
        if self._timer.isActive():
            self.request()
        done = self.pool.waitForDone(msecs)
        QtWidgets.QApplication.processEvents()
        return done

    def _set_ties(self, found) -> None:
        self.ties, self.tie_count = ([], 0) if found is None else (list(found[0]), int(found[1]))
        self.tie_index = 0
        self.pair = self.ties[0] if self.ties else None
        self._update_tie_controls()

    def _update_tie_controls(self) -> None:
        several = len(self.ties) > 1
        for b in (self.prev_button, self.next_button):
            b.setEnabled(several)
        self.tie_label.setText(f"{self.tie_index + 1:,} / {self.tie_count:,}" if self.ties else "")
        self.go_button.setEnabled(self.pair is not None)

    def step(self, delta: int) -> None:
        """Show the next (``+1``) or previous (``-1``) tied pair, go there, and centre the view on it."""
        if len(self.ties) < 2:
            return
        self.tie_index = (self.tie_index + delta) % len(self.ties)
        self.pair = self.ties[self.tie_index]
        self._update_tie_controls()
        self.status.setText(self._describe(self.pair))
        self.go_to()
        self.pairChanged.emit(self.pair)

    def _done(self, req, found) -> None:
        if req.generation != self.generation:
            return
        self._set_ties(found)
        self.pair_label = req.label
        if self.pair is None:
            self.status.setText(f"No {self.title}: a mask is empty ({focus_title(self.window, regions=True)}).")
        else:
            self.status.setText(self._describe(self.pair))
        self._draw()
        self.pairChanged.emit(self.pair)

    def _failed(self, req, message: str) -> None:
        if req.generation == self.generation:
            self._set_ties(None)
            self._draw()
            self.status.setText(f"{self.title} could not be computed: {message}")

    def _describe(self, pair) -> str:
        w = self.window
        frm, to = ("reference", "prediction") if pair.direction == "gt->pred" else ("prediction", "reference")
        plane = w.plane
        s_src = screen_position(plane, pair.source, w.session.shape)[0]
        s_tgt = screen_position(plane, pair.target, w.session.shape)[0]
        where = (f"{plane.name} slice {s_src}" if s_src == s_tgt
                 else f"{plane.name} slices {s_src} → {s_tgt}")
        unit = w.session.length_unit
        if w.session.grid.is_2d:
            where = "in the image"
        text = (f"<b>{self.title} = {pair.value:.2f} {unit}</b> ({focus_title(w, regions=True)}): from the {frm} border "
                f"(circle) to the nearest {to} border (square), {where}.")
        if abs(pair.distance - pair.value) > 1e-9:
            text += f" Segment drawn: {pair.distance:.2f} {unit} (the nearest real voxel pair at or above it)."
        if self.tie_count > 1:
            kept = "" if self.tie_count <= len(self.ties) else f"; ◀ ▶ step through the first {len(self.ties):,}"
            text += (f" <b>{self.tie_count:,} {frm} border voxels</b> are this far: this is number "
                     f"{self.tie_index + 1:,}{kept or '; ◀ ▶ step through them'}.")
        return text

    # ---------------------------------------------------------------- draw
    def _draw(self) -> None:
        w = self.window
        pair = self.pair
        if pair is None or w.session is None or not self.show_box.isChecked():
            for it in (self.line, self.ends, self.text):
                it.setVisible(False)
            return
        plane = w.plane
        shape = w.session.shape
        pts, on_slice = [], []
        for ijk in (pair.source, pair.target):
            index, row, col = screen_position(plane, ijk, shape)
            pts.append(pixel_centre(w.view, row, col))
            on_slice.append(index == w.index)
        xs = [p.x() for p in pts]
        ys = [p.y() for p in pts]
        both = all(on_slice)
        style = QtCore.Qt.PenStyle.SolidLine if both else QtCore.Qt.PenStyle.DashLine
        self.line.setData(xs, ys, pen=pg.mkPen(_COLOUR, width=2, style=style))
        brushes = [pg.mkBrush(*_COLOUR) if on else pg.mkBrush(0, 0, 0, 0) for on in on_slice]
        self.ends.setData(xs, ys, symbol=["o", "s"], brush=brushes, pen=pg.mkPen(_COLOUR, width=2))
        label = f"{self.title} {pair.value:.1f} {w.session.length_unit}"
        if not both:
            slices = [screen_position(plane, ijk, shape)[0] for ijk in (pair.source, pair.target)]
            label += f"  (slices {slices[0]}, {slices[1]})"
        self.text.setText(label)
        self.text.setPos(max(xs) + 2.0, min(ys) - 2.0)
        for it in (self.line, self.ends, self.text):
            it.setVisible(True)

    def drawn_points(self) -> list[tuple[float, float]]:
        """(x, y) in view mm of the two drawn points (empty when nothing is drawn)."""
        if not self.ends.isVisible():
            return []
        x, y = self.ends.getData()
        return list(zip(map(float, x), map(float, y)))

    def go_to(self) -> None:
        """Open the slice of the pair's first point and centre the view on the segment."""
        w = self.window
        if self.pair is None or w.session is None:
            return
        shape = w.session.shape
        _, r1, c1 = screen_position(w.plane, self.pair.source, shape)
        _, r2, c2 = screen_position(w.plane, self.pair.target, shape)
        w.views.set_cursor(self.pair.source)  # the three views through the farthest point
        centre_view_on(w.view, (r1 + r2) / 2.0, (c1 + c2) / 2.0)
        self._draw()

    # -------------------------------------------------------------- events
    def _toggled(self, on: bool) -> None:
        self.request()

    def _set_idle(self) -> None:
        if not self.show_box.isChecked():
            self.status.setText("Tick “Show where” to mark the two border points that make the HD95 "
                                "(or HD) on the slice.")
        self._update_tie_controls()

    def _session_changed(self) -> None:
        self._set_ties(None)
        self.request()

    def _masks_edited(self) -> None:
        if self.show_box.isChecked():
            self.generation += 1  # a running computation describes older masks
            if self.pair is not None and "out of date" not in self.status.text():
                self.status.setText(self.status.text() + " <i>(out of date: recomputing…)</i>")
            self._timer.start()

    def _focus_maybe_changed(self) -> None:
        if self.show_box.isChecked() and self.window.focus != self.pair_label:
            self.request()

    def cancel(self) -> None:
        """Drop running computations (window closing)."""
        self._timer.stop()
        self.generation += 1
        self.pool.waitForDone(10000)
