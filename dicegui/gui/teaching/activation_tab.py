"""The "Logits & softmax" tab: what raw network outputs do to soft Dice, on the open case.

A prediction opened from logits (a sigmoid applied) shows the soft Dice of
the raw values beside the soft Dice after the sigmoid, each with its sums
(:func:`dicegui.core.channel_maps.logit_lesson`, against the reference as it
is now). A prediction opened from a channel per class shows, per class, the
soft Dice after a softmax across the channels beside a sigmoid of each
channel (:func:`~dicegui.core.channel_maps.activation_lesson`, taken when the
case was opened: the raw channels are not kept), and when each is right.
Any other prediction gets a short note on how to open one.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.channel_maps import logit_lesson
from ...core.teaching import format_value

NOTHING_RAW = ("This prediction was not opened from raw network outputs. Open a prediction holding logits, or "
               "one channel per class (a 4-D NIfTI or .npy): the window asks which activation to apply, and "
               "this tab compares the scores with and without it.")


class ActivationTab(QtWidgets.QWidget):
    """Raw against activated soft Dice for the window's case."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.text = QtWidgets.QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.table = QtWidgets.QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", "", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.table, 1)
        self.lesson = None  # what is shown: the logit lesson's dict, or the channel lesson's
        window.sessionChanged.connect(self.refresh)
        window.masksEdited.connect(self._masks_edited)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()

    def _masks_edited(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Show the lesson for the case as it is."""
        s = self.window.session
        case = s.case if s is not None else None
        if case is not None and case.pred_raw is not None and case.gt_mask is not None:
            self._show_logits(logit_lesson(case.pred_raw, case.gt_mask))
        elif case is not None and case.pred_channels is not None and case.pred_channels.lesson is not None:
            self._show_channels(case.pred_channels, case.label_names)
        else:
            self.lesson = None
            self.text.setText(NOTHING_RAW)
            self.table.setRowCount(0)
            self.table.setVisible(False)

    def _show_logits(self, lesson: dict) -> None:
        self.lesson = lesson
        self.text.setText(html.escape(lesson["text"]))
        self._fill(["", "raw logits", "after a sigmoid"],
                   [("soft Dice", lesson["raw"], lesson["sigmoid"]),
                    ("Σ p·t", lesson["raw_sum_pt"], lesson["sig_sum_pt"]),
                    ("Σ p", lesson["raw_sum_p"], lesson["sig_sum_p"]),
                    ("Σ t", lesson["sum_t"], lesson["sum_t"])])

    def _show_channels(self, channels, names: dict) -> None:
        lesson = channels.lesson
        self.lesson = lesson
        chosen = "softmax" if channels.activation == "softmax" else "a sigmoid per channel"
        mean = {k: float(np.mean(lesson[k][1:])) for k in ("softmax", "sigmoid")}
        self.text.setText(
            f"Opened with {chosen}. Per-class soft Dice (smooth 1e-5) of the {channels.channels} channels against "
            f"the reference as opened; mean over the classes: softmax {format_value(mean['softmax'])}, sigmoid "
            f"{format_value(mean['sigmoid'])}. " + html.escape(lesson["text"]))
        rows = [(f"{c} {names.get(c, 'background' if c == 0 else '')}".rstrip(), lesson["softmax"][c],
                 lesson["sigmoid"][c]) for c in range(channels.channels)]
        self._fill(["class", "softmax", "sigmoid per channel"], rows)

    def _fill(self, header, rows) -> None:
        self.table.setVisible(True)
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(rows))
        fixed = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        for r, (name, a, b) in enumerate(rows):
            self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(name))
            for c, v in enumerate((a, b), start=1):
                item = QtWidgets.QTableWidgetItem(format_value(float(v)))
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                item.setFont(fixed)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def cell_text(self, row: int, column: int) -> str:
        """Text shown in a cell (tests, screenshots)."""
        item = self.table.item(row, column)
        return "" if item is None else item.text()
