"""The worklist's "Plots" dock: score distribution, Bland–Altman of volumes, reference volume against Dice.

Three pyqtgraph plots of the cohort's table, each answering one question of
a QA lead (see :mod:`dicegui.core.bland_altman`, which computes everything
drawn here):

* **Distribution** — a chosen metric (Dice, HD95, NSD, lesion Dice…) as
  Tukey box plots, one per label or region (else the foreground), with the
  cases as jittered points; infinite values are counted in the title, not
  drawn;
* **Volume agreement** — Bland–Altman of predicted against reference volume
  (mL) of the foreground or a chosen label/region: bias and the 95 % limits
  drawn and written out;
* **Volume vs Dice** — reference volume (x, log axis on request) against
  Dice: small structures fail first.

Speed: each plot holds ONE :class:`pyqtgraph.ScatterPlotItem` fed whole
arrays (case names ride along as point data), and the boxes are one
line item with ``connect="pairs"``, so 10,000 cases redraw without a Python
loop per point (``benchmarks/bench_cohort_plots.py``).

A click on a point emits :attr:`CohortPlots.caseClicked` with the case name;
:func:`attach_plots` docks the panel in the worklist window and routes that
signal to :meth:`CohortWindow.open_case`, as a double-click on a row does.
Each plot's "Export…" button writes PNG or SVG by the file's suffix
(:mod:`.plot_export`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.bland_altman import (NO_VOLUMES, ScoreColumns, bland_altman, box_stats, case_volumes, metric_groups,
                                  metric_values, plot_keys, volume_owners)
from ...core.metric_columns import column_title, label_names_of
from .plot_export import ask_and_export, export_plot

PLOTS = ("distribution", "agreement", "volume_dice")
TAB_TITLES = {"distribution": "Distribution", "agreement": "Volume agreement", "volume_dice": "Volume vs Dice"}
# Okabe–Ito blue points, vermilion limits, dark lines: colour-blind safe as the overlay legend.
POINT_BRUSH = pg.mkBrush(0, 114, 178, 150)
LINE_PEN = pg.mkPen(40, 40, 40, width=1.5)
LIMIT_PEN = pg.mkPen(213, 94, 0, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
BIAS_PEN = pg.mkPen(0, 0, 0, width=1.5)
JITTER = 0.15  # half-width of the point cloud around a box's centre


def _plot_widget(x_label: str, y_label: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    for name in ("left", "bottom"):
        item.getAxis(name).setTextPen(pg.mkPen(40, 40, 40))
        item.getAxis(name).enableAutoSIPrefix(False)  # "Dice (x0.001)" reads as a different unit
    return plot


def _scatter() -> pg.ScatterPlotItem:
    # one item for every point of a plot; useCache keeps the symbol pixmap
    return pg.ScatterPlotItem(size=7, pen=None, brush=POINT_BRUSH, useCache=True, pxMode=True, hoverable=False)


class CohortPlots(QtWidgets.QWidget):
    """Tabs of the three cohort plots over one table.

    Signals
    -------
    caseClicked(str)
        A point was clicked; the name of its case.

    Attributes
    ----------
    scatters : dict of str to pyqtgraph.ScatterPlotItem
        The points of each plot (keys :data:`PLOTS`); ``data`` holds the case names.
    plots : dict of str to pyqtgraph.PlotWidget
    """

    caseClicked = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._records = ScoreColumns([])
        self.distribution_groups: dict = {}  # what the distribution plot shows (title → MetricGroup)
        self.agreement: dict | None = None  # the Bland–Altman numbers shown (None: no volumes)
        self.label_names: dict = {}
        self.last_export_dir = Path.home()
        self.plots: dict = {}
        self.scatters: dict = {}
        self.export_buttons: dict = {}
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self._build_distribution(), TAB_TITLES["distribution"])
        self.tabs.addTab(self._build_agreement(), TAB_TITLES["agreement"])
        self.tabs.addTab(self._build_volume_dice(), TAB_TITLES["volume_dice"])
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.tabs)

    # ------------------------------------------------------------- building
    def _page(self, key: str, controls: list, x_label: str, y_label: str, note=None) -> QtWidgets.QWidget:
        """A tab: a row of controls and an export button, the plot, an optional text line."""
        plot = _plot_widget(x_label, y_label)
        scatter = _scatter()
        scatter.sigClicked.connect(self._clicked)
        plot.addItem(scatter)
        self.plots[key], self.scatters[key] = plot, scatter
        button = QtWidgets.QPushButton("Export…")
        button.setToolTip("Save this plot as PNG or SVG (chosen by the file name's suffix)")
        button.clicked.connect(lambda: self.export_dialog(key))
        self.export_buttons[key] = button
        row = QtWidgets.QHBoxLayout()
        for w in controls:
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(button)
        page = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(page)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(row)
        lay.addWidget(plot, 1)
        if note is not None:
            lay.addWidget(note)
        return page

    def _build_distribution(self) -> QtWidgets.QWidget:
        self.metric_combo = QtWidgets.QComboBox()
        self.metric_combo.setToolTip("Metric whose per-case values are drawn, one box per label or region")
        self.metric_combo.currentIndexChanged.connect(lambda _i: self.draw_distribution())
        self.boxes = pg.PlotCurveItem(pen=LINE_PEN, connect="pairs")
        page = self._page("distribution", [QtWidgets.QLabel("Metric"), self.metric_combo], "", "")
        self.plots["distribution"].addItem(self.boxes)
        return page

    def _build_agreement(self) -> QtWidgets.QWidget:
        self.agreement_combo = QtWidgets.QComboBox()
        self.agreement_combo.setToolTip("Structure whose volumes are compared")
        self.agreement_combo.currentIndexChanged.connect(lambda _i: self.draw_agreement())
        self.agreement_text = QtWidgets.QLabel("")
        self.agreement_text.setWordWrap(True)
        self.agreement_text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        page = self._page("agreement", [QtWidgets.QLabel("Structure"), self.agreement_combo],
                          "Mean of predicted and reference volume (mL)", "Pred − ref (mL)",
                          self.agreement_text)
        self.agreement_lines = {k: pg.InfiniteLine(angle=0, movable=False, pen=BIAS_PEN if k == "bias" else LIMIT_PEN,
                                                   label="", labelOpts={"position": 0.02, "color": (40, 40, 40),
                                                                        "anchors": [(0, 1), (0, 1)]})
                                for k in ("bias", "lower", "upper")}
        for line in self.agreement_lines.values():
            self.plots["agreement"].addItem(line)
        return page

    def _build_volume_dice(self) -> QtWidgets.QWidget:
        self.volume_combo = QtWidgets.QComboBox()
        self.volume_combo.setToolTip("Structure whose reference volume and Dice are drawn")
        self.volume_combo.currentIndexChanged.connect(lambda _i: self.draw_volume_dice())
        self.log_x = QtWidgets.QCheckBox("Log volume axis")
        self.log_x.toggled.connect(lambda _on: self.draw_volume_dice())
        return self._page("volume_dice", [QtWidgets.QLabel("Structure"), self.volume_combo, self.log_x],
                          "Reference volume (mL)", "Dice")

    # -------------------------------------------------------------- content
    def set_rows(self, cohort_or_rows, label_names: dict | None = None) -> None:
        """Show a table (a Cohort or row dicts) and redraw the three plots."""
        # read the table once into columns: every later redraw is array work only
        self._records = ScoreColumns(cohort_or_rows if cohort_or_rows is not None else [])
        self.label_names = dict(label_names) if label_names is not None else \
            label_names_of(r.fields for r in self._records.records)
        self._refill(self.metric_combo, [(column_title(k), k) for k in plot_keys(self._records)])
        owners = list(volume_owners(self._records, self.label_names).items())
        self._refill(self.agreement_combo, owners)
        self._refill(self.volume_combo, [(t, p) for t, p in owners if p + "dice" in self._records.columns])
        self.redraw()

    @staticmethod
    def _refill(combo: QtWidgets.QComboBox, entries) -> None:
        keep = combo.currentData()
        blocker = QtCore.QSignalBlocker(combo)
        combo.clear()
        for title, data in entries:
            combo.addItem(title, data)
        i = combo.findData(keep)
        combo.setCurrentIndex(i if i >= 0 else (0 if combo.count() else -1))
        del blocker

    def redraw(self) -> None:
        """Draw the three plots from the current table and choices."""
        self.draw_distribution()
        self.draw_agreement()
        self.draw_volume_dice()

    def draw_distribution(self) -> None:
        """Boxes of the chosen metric, one per label or region, with the cases as jittered points."""
        key = self.metric_combo.currentData()
        groups = metric_groups(self._records, key, self.label_names) if key else {}
        xs, ys, names, segs = [], [], [], []
        rng = np.random.default_rng(0)  # the same jitter at every redraw: points do not dance
        for i, g in enumerate(groups.values()):
            xs.append(i + rng.uniform(-JITTER, JITTER, g.values.size))
            ys.append(g.values)
            names += g.names
            if g.values.size:
                segs.append(_box_segments(i, box_stats(g.values)))
        self._set_points("distribution", xs, ys, names)
        seg = np.concatenate(segs) if segs else np.empty((0, 2))
        self.boxes.setData(seg[:, 0], seg[:, 1])
        axis = self.plots["distribution"].getPlotItem().getAxis("bottom")
        axis.setTicks([[(i, t) for i, t in enumerate(groups)]])
        title = column_title(key) if key else "No metric in this table"
        self.plots["distribution"].getPlotItem().setLabel("left", title if key else "")
        self.plots["distribution"].setTitle(title + _infinite_note(groups))
        self.distribution_groups = groups

    def draw_agreement(self) -> None:
        """Bland–Altman of the chosen structure's volumes: points, bias, limits, and their values as text."""
        prefix = self.agreement_combo.currentData()
        plot = self.plots["agreement"]
        vols = case_volumes(self._records, prefix or "") if prefix is not None else None
        if vols is None or vols["source"] == NO_VOLUMES:
            self._set_points("agreement", [], [], [])
            self._show_limits(None)
            self.agreement = None
            self.agreement_text.setText(NO_VOLUMES + " (no gt_ml/pred_ml columns, nor voxel counts and spacing_mm)")
            plot.setTitle(NO_VOLUMES)
            return
        ba = bland_altman(vols["reference"], vols["prediction"], vols["names"])
        self.agreement = ba
        self._set_points("agreement", [ba["mean"]], [ba["difference"]], ba["names"])
        self._show_limits(ba)
        self.agreement_text.setText(agreement_text(ba, vols["source"]))
        plot.setTitle(f"{self.agreement_combo.currentText()}: volume agreement (n = {ba['n']})")

    def _show_limits(self, ba) -> None:
        for key, line in self.agreement_lines.items():
            value = None if ba is None else ba[key]
            shown = value is not None and bool(np.isfinite(value))
            line.setVisible(shown)
            if shown:
                line.setValue(value)
                word = {"bias": "bias", "lower": "−1.96 SD", "upper": "+1.96 SD"}[key]
                line.label.setFormat(f"{word} {value:.2f} mL")

    def draw_volume_dice(self) -> None:
        """Reference volume against Dice of the chosen structure (log volume axis on request)."""
        prefix = self.volume_combo.currentData()
        plot = self.plots["volume_dice"]
        log = self.log_x.isChecked()
        plot.getPlotItem().setLogMode(x=log, y=False)
        if prefix is None:
            self._set_points("volume_dice", [], [], [])
            plot.setTitle("No Dice with volumes in this table")
            return
        vols = case_volumes(self._records, prefix)
        dice = metric_values(self._records, prefix + "dice")
        ref = vols["reference"]
        keep = np.isfinite(ref) & np.isfinite(dice) & ((ref > 0) if log else True)
        names = [n for n, k in zip(vols["names"], keep) if k]
        self._set_points("volume_dice", [ref[keep]], [dice[keep]], names)
        empty = int((np.isfinite(ref) & np.isfinite(dice) & (ref <= 0)).sum()) if log else 0
        note = f" — {empty} case(s) with an empty reference not on the log axis" if empty else ""
        plot.setTitle(f"{self.volume_combo.currentText()}: Dice against reference volume (n = {len(names)}){note}")

    def _set_points(self, key: str, xs, ys, names) -> None:
        x = np.concatenate(xs) if xs else np.empty(0)
        y = np.concatenate(ys) if ys else np.empty(0)
        self.scatters[key].setData(x=x, y=y, data=np.array(names, dtype=object))

    # ---------------------------------------------------------------- clicks
    def _clicked(self, _item, points, _ev=None) -> None:
        if len(points):
            self.caseClicked.emit(str(points[0].data()))

    # ---------------------------------------------------------------- export
    def export(self, key: str, path) -> Path:
        """Write plot ``key`` (one of :data:`PLOTS`) as PNG or SVG, by ``path``'s suffix.

        Raises
        ------
        ValueError
            The suffix is neither ``.png`` nor ``.svg``.
        OSError
            The file cannot be written (the message names it).
        """
        return export_plot(self.plots[key].getPlotItem(), path, "dicegui cohort plot")

    def export_dialog(self, key: str) -> None:
        """Ask for a file name and export plot ``key`` there."""
        out = ask_and_export(self, self.plots[key].getPlotItem(), f"Export {TAB_TITLES[key]}",
                             self.last_export_dir / f"cohort_{key}.png", "dicegui cohort plot")
        if out is not None:
            self.last_export_dir = out.parent


def _box_segments(x: float, b: dict, half: float = 0.3) -> np.ndarray:
    """Line segments (pairs of points) of one Tukey box at ``x``: box, median, whiskers and caps."""
    l, r = x - half, x + half
    q1, q3, lo, hi, med = b["q1"], b["q3"], b["low"], b["high"], b["median"]
    return np.array([(l, q1), (r, q1), (r, q1), (r, q3), (r, q3), (l, q3), (l, q3), (l, q1),
                     (l, med), (r, med), (x, q1), (x, lo), (x, q3), (x, hi),
                     (x - half / 2, lo), (x + half / 2, lo), (x - half / 2, hi), (x + half / 2, hi)], float)


def _infinite_note(groups: dict) -> str:
    counts = {t: len(g.infinite) for t, g in groups.items() if g.infinite}
    if not counts:
        return ""
    total = sum(counts.values())
    where = ", ".join(f"{t}: {n}" for t, n in counts.items())
    return f" — {total} infinite value(s) not drawn ({where})"


def agreement_text(ba: dict, source: str) -> str:
    """The Bland–Altman numbers written out: bias, SD, limits, n and the cases left out."""
    if ba["n"] == 0:
        text = "No case has both volumes."
    else:
        text = f"Mean bias {ba['bias']:+.2f} mL (predicted − reference), n = {ba['n']}"
        if np.isfinite(ba["sd"]):
            text += (f"; SD {ba['sd']:.2f} mL; 95 % limits of agreement {ba['lower']:+.2f} to "
                     f"{ba['upper']:+.2f} mL")
        else:
            text += "; one case: no SD or limits"
    if source == "voxels":
        text += " (volumes from voxel counts × spacing_mm)"
    if ba["left_out"]:
        shown = "; ".join(f"{n}: {why}" for n, why in ba["left_out"][:5])
        more = f" and {len(ba['left_out']) - 5} more" if len(ba["left_out"]) > 5 else ""
        text += f". Left out {len(ba['left_out'])}: {shown}{more}"
    return text + "."


def attach_plots(window) -> CohortPlots:
    """Dock a :class:`CohortPlots` in a cohort window, following its table; clicks open the case.

    Parameters
    ----------
    window : CohortWindow
        Needs ``cohort``, ``label_names``, ``cohortChanged``, ``open_case`` and a "View" menu.

    Returns
    -------
    CohortPlots
        Also reachable as ``window.plots_dock.widget()``.
    """
    plots = CohortPlots()
    dock = QtWidgets.QDockWidget("Plots", window)
    dock.setObjectName("cohort_plots_dock")
    dock.setWidget(plots)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    # the table keeps most of the height; the plots can be dragged taller or floated
    window.resizeDocks([dock], [300], QtCore.Qt.Orientation.Vertical)
    window.plots_dock = dock
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "View":
            action.menu().addAction(dock.toggleViewAction())
    window.cohortChanged.connect(lambda: plots.set_rows(window.cohort, window.label_names))
    plots.caseClicked.connect(window.open_case)
    if window.cohort is not None:
        plots.set_rows(window.cohort, window.label_names)
    return plots
