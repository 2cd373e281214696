"""The worklist's "Compare with…": the open table (model A) against a second ``dicegui score`` table (model B).

File ▸ Compare with… asks for the table of another model scored on the same
cases and compares the column the worklist is sorted by (when it is a
score, else ``dice`` or the table's default score) with
:func:`dicegui.core.paired_stats.compare_tables`. Model A's values are the
worklist's own (so a cohort opened from folders compares too). A dialog shows
the report of :mod:`dicegui.core.paired_report` (the words ``dicegui
compare`` prints) beside a paired plot: one line per case from A's value to
B's, the :data:`HIGHLIGHT` cases where the models disagree most drawn on top
in colour. A click on a line opens that case in the main window, as a
double-click in the table does.

All lines are one ``PlotDataItem`` with ``connect="pairs"``: 10,000 cases
are one path, not 10,000 items.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.metric_columns import column_title
from ...core.paired_report import report_text
from ...core.paired_stats import CompareError, PairedComparison, compare_tables, read_score_table
from .plot_export import ask_and_export, export_plot

#: How many of the most different cases are drawn highlighted (and listed in the report).
HIGHLIGHT = 10
#: A click this close (pixels, vertically) to a line picks its case.
PICK_PIXELS = 8
ALL_PEN = pg.mkPen(150, 150, 150, 120, width=1)
TOP_PEN = pg.mkPen(213, 94, 0, width=2.5)


def table_of(cohort) -> dict:
    """The worklist's cohort as a score table (``{case: row}``) for :func:`compare_tables`."""
    table = {}
    for case in cohort:
        row = {"case": case.name, "status": case.fields.get("status") or "ok", "error": case.fields.get("error", "")}
        row.update(case.scores)
        table[case.name] = row
    return table


def column_for(window) -> str | None:
    """The column to compare: the worklist's sort column if it is a score, else ``dice``, else the default."""
    cohort = window.cohort
    metrics = cohort.metrics()
    if cohort.sort_metric in metrics:
        return cohort.sort_metric
    if "dice" in metrics:
        return "dice"
    return cohort.default_metric()


class PairedPlot(pg.PlotWidget):
    """One line per case from A's value (x = 0) to B's (x = 1); a click on a line emits its case.

    Signals
    -------
    caseClicked(str)
    """

    caseClicked = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.result: PairedComparison | None = None
        item = self.getPlotItem()
        item.showGrid(y=True, alpha=0.2)
        item.getAxis("bottom").setTicks([[(0, "A"), (1, "B")]])
        item.getAxis("left").enableAutoSIPrefix(False)  # "Dice (x0.001)" reads as another unit
        item.setXRange(-0.1, 1.1, padding=0)
        item.setMouseEnabled(x=False, y=True)
        self.lines = pg.PlotDataItem(pen=ALL_PEN, connect="pairs")
        self.highlight = pg.PlotDataItem(pen=TOP_PEN, connect="pairs")
        self.highlight.setZValue(10)
        item.addItem(self.lines)
        item.addItem(self.highlight)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_result(self, result: PairedComparison) -> None:
        """Draw ``result``'s cases (its order: largest disagreement first)."""
        self.result = result
        n = result.n_pairs
        x = np.tile([0.0, 1.0], n)
        y = np.empty(2 * n)
        y[0::2], y[1::2] = result.a, result.b
        self.lines.setData(x, y)
        k = min(HIGHLIGHT, n)
        self.highlight.setData(x[:2 * k], y[:2 * k])
        self.getPlotItem().setLabel("left", column_title(result.column))
        self.getPlotItem().getAxis("bottom").setTicks([[(0, f"A: {Path(result.source_a).name}"),
                                                        (1, f"B: {Path(result.source_b).name}")]])
        self.getPlotItem().setTitle(f"{n} cases; the {k} most different in colour")

    def case_at(self, x: float, y: float) -> str | None:
        """The case whose line passes nearest (within :data:`PICK_PIXELS`) to view point ``(x, y)``."""
        r = self.result
        if r is None or not r.n_pairs or not -0.05 <= x <= 1.05:
            return None
        t = min(max(x, 0.0), 1.0)
        at_x = r.a + (r.b - r.a) * t
        dist = np.abs(at_x - y)
        k = min(HIGHLIGHT, r.n_pairs)
        dist[:k] -= 1e-12  # a highlighted line drawn on top wins a tie with the grey one under it
        i = int(np.argmin(dist))
        pixel = self.getPlotItem().vb.viewPixelSize()[1]
        return r.cases[i] if dist[i] <= PICK_PIXELS * pixel else None

    def _clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        p = self.getPlotItem().vb.mapSceneToView(ev.scenePos())
        name = self.case_at(p.x(), p.y())
        if name is not None:
            self.caseClicked.emit(name)


class CompareDialog(QtWidgets.QDialog):
    """The report of a comparison beside its paired plot (not modal: the worklist stays usable)."""

    def __init__(self, result: PairedComparison, parent=None):
        super().__init__(parent)
        self.result = result
        self.setWindowTitle(f"Compare {column_title(result.column)}: B − A")
        self.resize(1000, 560)
        self.report = QtWidgets.QPlainTextEdit(report_text(result, HIGHLIGHT))
        self.report.setReadOnly(True)
        self.report.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.report.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.plot = PairedPlot()
        self.plot.set_result(result)
        split = QtWidgets.QSplitter()
        split.addWidget(self.report)
        split.addWidget(self.plot)
        split.setSizes([560, 440])
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        export = buttons.addButton("Export plot…", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        export.setToolTip("Write the paired plot as PNG or SVG")
        export.clicked.connect(self.export_dialog)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)


    def export(self, path) -> Path:
        """Write the paired plot as PNG or SVG, by ``path``'s suffix (see :func:`.plot_export.export_plot`)."""
        return export_plot(self.plot.getPlotItem(), path, "dicegui paired comparison")

    def export_dialog(self) -> None:
        """Ask for a file name and export the paired plot there."""
        start = Path(self.result.source_a).parent if self.result.source_a else Path.home()
        ask_and_export(self, self.plot.getPlotItem(), "Export the paired plot",
                       start / f"compare_{self.result.column}.png", "dicegui paired comparison")


def compare_with(window, path) -> CompareDialog | None:
    """Compare the worklist's table (A) with the table at ``path`` (B) and show the dialog.

    Returns
    -------
    CompareDialog or None
        None (and a message) when no cohort is open or B cannot be read or compared.
    """
    if window.cohort is None:
        window._error("Nothing to compare", "open a cohort table first")
        return None
    column = column_for(window)
    if column is None:
        window._error("Nothing to compare", "the open table holds no scores")
        return None
    try:
        table_b = read_score_table(path)
        result = compare_tables(table_of(window.cohort), table_b, column,
                                source_a=str(window.cohort.source), source_b=str(path))
    except CompareError as exc:
        window._error("Cannot compare", str(exc))
        return None
    dialog = CompareDialog(result, window)
    dialog.plot.caseClicked.connect(window.open_case)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    if window.compare_dialog is not None:  # one comparison at a time: the newest replaces the last
        window.compare_dialog.close()
    window.compare_dialog = dialog
    dialog.destroyed.connect(lambda *_: _forget(window, dialog))
    dialog.show()
    return dialog


def _forget(window, dialog) -> None:
    if window.compare_dialog is dialog:
        window.compare_dialog = None


def _ask(window) -> None:
    # the other model's table usually sits beside this one
    source = getattr(window.cohort, "source", None)
    start = "" if source is None else str(Path(source).parent if Path(source).is_file() else Path(source))
    path, _ = QtWidgets.QFileDialog.getOpenFileName(
        window, "Compare with another model's table (dicegui score --out)", start,
        "Score tables (*.csv *.json);;All files (*)")
    if path:
        compare_with(window, path)


def attach_compare(window) -> QtGui.QAction:
    """Add File ▸ Compare with… to a cohort window (before Close); enabled while a cohort is open.

    Parameters
    ----------
    window : CohortWindow
        Needs ``cohort``, ``cohortChanged``, ``open_case``, ``_error``, ``act_close`` and a "File" menu.

    Returns
    -------
    QAction
    """
    action = QtGui.QAction("Compare &with…", window)
    tip = "Compare this table (model A) with another model's dicegui score table of the same cases (model B)"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(lambda: _ask(window))
    action.setEnabled(window.cohort is not None)
    window.cohortChanged.connect(lambda: action.setEnabled(window.cohort is not None))
    window.compare_dialog = None
    for top in window.menuBar().actions():
        if top.menu() is not None and top.text().replace("&", "") == "File":
            top.menu().insertAction(window.act_close, action)
    return action
