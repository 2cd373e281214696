"""The smooth term of soft Dice on empty and tiny masks: a table from :func:`dicegui.core.threshold.smooth_effect`."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.teaching import format_value
from ...core.threshold import SMOOTH_VALUES, smooth_effect

EXPLANATION = (
    "Soft Dice = (2·Σp·t + s) / (Σp + Σt + s). With nothing to find and nothing predicted it is s / s = 1 "
    "for any s. With nothing to find but a few voxels predicted it is s / (Σp + s): near 0 for a tiny s, "
    "near 1 for a large one, so a large s forgives false alarms on empty images and flatters tiny "
    "structures, while a large structure hardly notices it."
)


class SmoothTable(QtWidgets.QWidget):
    """Soft Dice of a few teaching cases (rows) for several smooth values (columns)."""

    def __init__(self, smooths=SMOOTH_VALUES, parent=None):
        super().__init__(parent)
        self.table_data = smooth_effect(smooths)
        text = QtWidgets.QLabel(EXPLANATION)
        text.setWordWrap(True)
        smooth = self.table_data["smooth"]
        rows = self.table_data["rows"]
        # column 0: the case, wrapped; then one column of soft Dice per smooth value
        self.table = QtWidgets.QTableWidget(len(rows), len(smooth) + 1)
        self.table.setHorizontalHeaderLabels(["Case", *[f"s={s:g}" for s in smooth]])
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        fixed = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        for i, r in enumerate(rows):
            self.table.setItem(i, 0, QtWidgets.QTableWidgetItem(r["case"]))
            for j, v in enumerate(r["soft_dice"], start=1):
                item = QtWidgets.QTableWidgetItem(format_value(v))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                item.setFont(fixed)
                item.setToolTip(f"Σt = {r['target_sum']:g}, Σp = {r['prob_sum']:g}, Σp·t = {r['overlap_sum']:g}")
                self.table.setItem(i, j, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for j in range(1, len(smooth) + 1):
            header.setSectionResizeMode(j, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        caption = QtWidgets.QLabel("Soft Dice of each case for each smooth value s "
                                   "(shaded: the s of the Probability map tab).")
        caption.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(text)
        layout.addWidget(caption)
        layout.addWidget(self.table, 1)

    def highlight(self, smooth: float) -> None:
        """Shade the column of the smooth value in use."""
        for j, s in enumerate(self.table_data["smooth"], start=1):
            colour = QtGui.QColor(255, 244, 214) if s == smooth else QtGui.QColor(0, 0, 0, 0)
            for i in range(self.table.rowCount()):
                self.table.item(i, j).setBackground(colour)

    def text(self, row: int, k: int) -> str:
        """Soft Dice shown for case ``row`` and the ``k``-th smooth value."""
        return self.table.item(row, k + 1).text()
