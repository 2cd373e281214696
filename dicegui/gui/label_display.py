"""Per-label show / hide and opacity: the overlay's label list.

One row per label (colour swatch, number and name, a "show" check box and an
opacity in percent of the overlay's opacity). The list holds the choices and
says when they change; the window turns them into the lookup table
(:func:`dicegui.core.overlay.label_lut` ``label_alpha``), so changing them
recolours the views without recomputing any code image.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .overlay_panel import swatch

COLUMNS = ("Label", "Show", "Opacity")


class LabelDisplayList(QtWidgets.QTableWidget):
    """Show / opacity per label.

    Signals
    -------
    displayChanged()
        A label was shown, hidden or its opacity changed.
    """

    displayChanged = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("Per label: show or hide it, and its opacity as a share of the overlay's opacity "
                        "(label colours, and TP / FP / FN of one label)")
        self._rows: dict[int, tuple[QtWidgets.QCheckBox, QtWidgets.QSpinBox]] = {}

    def set_labels(self, labels, names: dict, palette) -> None:
        """One row per label, every label shown at full opacity."""
        self._rows = {}
        self.setRowCount(0)
        labels = [int(k) for k in labels if int(k) > 0]
        self.setRowCount(len(labels))
        for r, k in enumerate(labels):
            item = QtWidgets.QTableWidgetItem(f"{k}  {names.get(k, '')}".rstrip())
            if k < len(palette):
                item.setIcon(swatch(tuple(int(c) for c in palette[k])))
            self.setItem(r, 0, item)
            show = QtWidgets.QCheckBox()
            show.setChecked(True)
            show.setToolTip(f"Show label {k}")
            opacity = QtWidgets.QSpinBox()
            opacity.setRange(0, 100)
            opacity.setValue(100)
            opacity.setSuffix(" %")
            opacity.setToolTip(f"Opacity of label {k}, as a share of the overlay's opacity")
            show.toggled.connect(self.displayChanged)
            opacity.valueChanged.connect(self.displayChanged)
            self.setCellWidget(r, 1, show)
            self.setCellWidget(r, 2, opacity)
            self._rows[k] = (show, opacity)
        self.setVisible(bool(labels))

    # -------------------------------------------------------------- state
    def labels(self) -> list[int]:
        return list(self._rows)

    def is_shown(self, label: int) -> bool:
        row = self._rows.get(int(label))
        return row is None or row[0].isChecked()

    def set_shown(self, label: int, on: bool) -> None:
        row = self._rows.get(int(label))
        if row is not None:
            row[0].setChecked(bool(on))

    def set_opacity(self, label: int, percent: int) -> None:
        row = self._rows.get(int(label))
        if row is not None:
            row[1].setValue(int(percent))

    def factor(self, label: int | None) -> float:
        """Opacity factor of a label: 0 hidden, else its opacity share (1 for a label not listed)."""
        row = None if label is None else self._rows.get(int(label))
        if row is None:
            return 1.0
        return row[1].value() / 100.0 if row[0].isChecked() else 0.0

    def label_alpha(self) -> dict[int, float]:
        """``{label: factor}`` of every label not shown at full opacity (for ``label_lut``)."""
        out = {}
        for k in self._rows:
            f = self.factor(k)
            if f != 1.0:
                out[k] = f
        return out
