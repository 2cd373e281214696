"""The toy grid tab: type a few probabilities and targets, read every loss formula with its sums.

The arithmetic is :func:`dicegui.core.toy_grid.toy_report`; this tab holds
the current :class:`~dicegui.core.toy_grid.ToyGrid`, one pair of spin boxes
per cell (probability p, target t), the size, the smooth term, the λ slider
of the Dice + BCE combination, and one label per formula line.

Values can also be dragged, as a lecturer does in front of a class: a
vertical drag on a probability moves it :data:`PROB_PER_PIXEL` per screen
pixel (up raises it, clamped to 0..1), on a target sets 1 (up) or 0 (down),
and the formulas follow every step. A drag starts only past Qt's drag
distance, so a click still places the text cursor for typing.
"""
from __future__ import annotations

import dataclasses

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.threshold import SMOOTH_VALUES
from ...core.toy_grid import LINE_KEYS, MAX_SIDE, default_grid, resized, toy_report, with_cell

EXPLANATION = (
    "The seed example: prediction 0.9, 0.1, 0.8, 0.1 against target 1, 0, 1, 0. Type a probability p "
    "or a target t in any cell, or drag it up or down. The Dice loss is 0.128, not 'close to 0': the two background cells at "
    "0.1 still add 0.2 to Σp below the line, and the foreground cells miss 0.1 and 0.2 above it."
)
_SLIDER_STEPS = 100
#: Change of a dragged probability per screen pixel of vertical mouse travel.
PROB_PER_PIXEL = 0.01


class _DragValue(QtCore.QObject):
    """Vertical mouse drags on a spin box's text change its value (see the module notes).

    Parameters
    ----------
    box : QDoubleSpinBox
        The probability or target box; the filter watches its line edit,
        which receives the mouse events.
    binary : bool
        Targets: up sets the maximum, down the minimum. Otherwise the value
        moves :data:`PROB_PER_PIXEL` per pixel from where the drag began.
    """

    def __init__(self, box: QtWidgets.QDoubleSpinBox, binary: bool):
        super().__init__(box)
        self.box = box
        self.binary = binary
        self._press = None  # (y, value) at the press
        self.dragging = False
        box.lineEdit().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        Type = QtCore.QEvent.Type
        if kind == Type.MouseButtonPress and event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._press = (event.position().y(), self.box.value())
            self.dragging = False
        elif kind == Type.MouseMove and self._press is not None:
            rise = self._press[0] - event.position().y()  # screen y grows downwards
            if not self.dragging and abs(rise) < QtWidgets.QApplication.startDragDistance():
                return False  # still a click, or a horizontal text selection
            if not self.dragging:
                self.dragging = True
                obj.setCursor(QtCore.Qt.CursorShape.SizeVerCursor)
            self.box.setValue(self._dragged(rise))
            return True
        elif kind == Type.MouseButtonRelease and self._press is not None:
            was_dragging, self._press, self.dragging = self.dragging, None, False
            if was_dragging:
                obj.unsetCursor()
                self.box.lineEdit().deselect()
                return True
        return False

    def _dragged(self, rise: float) -> float:
        lo, hi = self.box.minimum(), self.box.maximum()
        if self.binary:
            return hi if rise > 0 else lo
        # whole pixels from the start value, rounded to the box's decimals
        value = round(self._press[1] + PROB_PER_PIXEL * round(rise), self.box.decimals())
        return min(hi, max(lo, value))


class _ValueBox(QtWidgets.QDoubleSpinBox):
    """A spin box as wide as its longest value and its frame: Qt's own hint leaves room for arrows and a space."""

    def sizeHint(self) -> QtCore.QSize:
        hint = super().sizeHint()
        text = self.textFromValue(self.maximum())
        frame = self.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_DefaultFrameWidth, None, self)
        width = self.fontMetrics().horizontalAdvance(text) + 2 * frame + 6  # 6: the line edit's text margins
        return QtCore.QSize(min(hint.width(), width), hint.height())

    def minimumSizeHint(self) -> QtCore.QSize:
        return self.sizeHint()


class _Cell(QtWidgets.QFrame):
    """One cell: probability above, target below."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.Box)
        self.prob = _ValueBox()
        self.prob.setRange(0.0, 1.0)
        self.prob.setDecimals(3)
        self.prob.setSingleStep(0.05)
        self.target = _ValueBox()
        self.target.setRange(0.0, 1.0)
        self.target.setDecimals(2)
        self.target.setSingleStep(1.0)  # targets are usually 0 or 1; soft ones can be typed
        for box in (self.prob, self.target):
            box.setKeyboardTracking(False)  # recompute when a value is complete, not per keystroke
            # no arrows and no "p "/"t " prefix (the caption above the grid says which is which):
            # eight cells side by side must fit the teaching dock, at 20 pt too
            box.setButtonSymbols(QtWidgets.QAbstractSpinBox.ButtonSymbols.NoButtons)
            box.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.prob.setToolTip("Probability p: type it, drag up / down (0.01 per pixel), or use the arrow keys")
        self.target.setToolTip("Target t: type it, or drag up for 1, down for 0")
        self.prob_drag = _DragValue(self.prob, binary=False)
        self.target_drag = _DragValue(self.target, binary=True)
        self._grey = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(1)
        layout.addWidget(self.prob)
        layout.addWidget(self.target)

    def show_values(self, p: float, t: float) -> None:
        for box, v in ((self.prob, p), (self.target, t)):
            blocker = QtCore.QSignalBlocker(box)
            box.setValue(v)
            del blocker
        # a grey level for p: a glance tells confident cells from unsure ones
        grey = int(255 - 140 * p)
        if grey != self._grey:  # a drag refreshes every cell per pixel: restyle only what changed
            self._grey = grey
            self.setStyleSheet(f"_Cell {{ background: rgb({grey}, {grey}, 255); }}")


class ToyGridTab(QtWidgets.QWidget):
    """A small grid of probabilities and targets with soft Dice, Dice loss, BCE and combo written out."""

    changed = QtCore.Signal()
    #: The number of rows or columns changed (the grid's width may need a wider panel).
    resized = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = default_grid()
        self.cells: list[list[_Cell]] = []
        text = QtWidgets.QLabel(EXPLANATION)
        text.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(self._build_controls())
        self.cell_caption = QtWidgets.QLabel("Each cell: probability p above, target t below.")
        self.cell_caption.setWordWrap(True)
        layout.addWidget(self.cell_caption)
        self.cell_box = QtWidgets.QWidget()
        self.cell_layout = QtWidgets.QGridLayout(self.cell_box)
        self.cell_layout.setContentsMargins(0, 0, 0, 0)
        self.cell_layout.setSpacing(1)
        layout.addWidget(self.cell_box)
        layout.addWidget(self._build_formulas())
        layout.addStretch(1)
        self._rebuild_cells()
        self.refresh()

    # ---------------------------------------------------------------- build
    def _build_controls(self) -> QtWidgets.QLayout:
        self.rows = QtWidgets.QSpinBox()
        self.cols = QtWidgets.QSpinBox()
        for box in (self.rows, self.cols):
            box.setRange(1, MAX_SIDE)
            box.setKeyboardTracking(False)
        self.rows.setValue(self.grid.shape[0])
        self.cols.setValue(self.grid.shape[1])
        self.rows.valueChanged.connect(self._resize)
        self.cols.valueChanged.connect(self._resize)
        self.smooth = QtWidgets.QComboBox()
        for s in (0.0, *SMOOTH_VALUES):
            self.smooth.addItem(f"s = {s:g}", s)
        self.smooth.setCurrentIndex(self.smooth.findData(self.grid.smooth))
        self.smooth.currentIndexChanged.connect(self._smooth_changed)
        self.reset_button = QtWidgets.QPushButton("Seed example")
        self.reset_button.setToolTip("Back to 0.9, 0.1, 0.8, 0.1 against 1, 0, 1, 0")
        self.reset_button.clicked.connect(self.reset)
        self.lambda_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.lambda_slider.setRange(0, _SLIDER_STEPS)
        self.lambda_slider.setValue(round(self.grid.lambda_dice * _SLIDER_STEPS))
        self.lambda_slider.valueChanged.connect(self._lambda_changed)
        self.lambda_label = QtWidgets.QLabel("")
        # three short rows rather than one long one: the teaching dock is narrow
        top = QtWidgets.QHBoxLayout()
        for w in (QtWidgets.QLabel("Rows"), self.rows, QtWidgets.QLabel("Columns"), self.cols):
            top.addWidget(w)
        top.addStretch(1)
        mid = QtWidgets.QHBoxLayout()
        mid.addWidget(QtWidgets.QLabel("Smooth"))
        mid.addWidget(self.smooth)
        mid.addWidget(self.reset_button)
        mid.addStretch(1)
        low = QtWidgets.QHBoxLayout()
        low.addWidget(QtWidgets.QLabel("Dice weight λ"))
        low.addWidget(self.lambda_slider, 1)
        low.addWidget(self.lambda_label)
        rows = QtWidgets.QVBoxLayout()
        for row in (top, mid, low):
            rows.addLayout(row)
        return rows

    def _build_formulas(self) -> QtWidgets.QWidget:
        box = QtWidgets.QGroupBox("Worked with these cells")
        self.formula_box = box
        fl = QtWidgets.QVBoxLayout(box)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.formula_labels: dict[str, QtWidgets.QLabel] = {}
        for key in LINE_KEYS:
            lab = QtWidgets.QLabel("")
            lab.setWordWrap(True)
            lab.setFont(mono)
            lab.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            self.formula_labels[key] = lab
            fl.addWidget(lab)
        return box

    def _rebuild_cells(self) -> None:
        for row in self.cells:
            for cell in row:
                cell.setParent(None)
                cell.deleteLater()
        rows, cols = self.grid.shape
        self.cells = []
        for r in range(rows):
            line = []
            for c in range(cols):
                cell = _Cell()
                cell.prob.valueChanged.connect(lambda v, r=r, c=c: self._cell_changed(r, c, prob=v))
                cell.target.valueChanged.connect(lambda v, r=r, c=c: self._cell_changed(r, c, target=v))
                self.cell_layout.addWidget(cell, r, c)
                cell.show()  # now, not when the layout gets to it: the panel's width is asked at once
                line.append(cell)
            self.cells.append(line)

    # -------------------------------------------------------------- changes
    def _cell_changed(self, r: int, c: int, prob=None, target=None) -> None:
        self.grid = with_cell(self.grid, r, c, prob=prob, target=target)
        self.refresh()

    def _resize(self, _value=None) -> None:
        self.grid = resized(self.grid, self.rows.value(), self.cols.value())
        self._rebuild_cells()
        self.refresh()
        self.resized.emit()

    def _smooth_changed(self, _index: int) -> None:
        self.grid = dataclasses.replace(self.grid, smooth=float(self.smooth.currentData()))
        self.refresh()

    def _lambda_changed(self, value: int) -> None:
        self.grid = dataclasses.replace(self.grid, lambda_dice=value / _SLIDER_STEPS)
        self.refresh()

    def reset(self) -> None:
        """Back to the seed example (2 × 2), keeping the smooth term and λ."""
        seed = default_grid()
        self.grid = dataclasses.replace(seed, smooth=self.grid.smooth, lambda_dice=self.grid.lambda_dice)
        for box, v in ((self.rows, seed.shape[0]), (self.cols, seed.shape[1])):
            blocker = QtCore.QSignalBlocker(box)
            box.setValue(v)
            del blocker
        self._rebuild_cells()
        self.refresh()

    # -------------------------------------------------------------- refresh
    def refresh(self) -> None:
        """Show the grid's values in the cells and every formula line."""
        for r, line in enumerate(self.cells):
            for c, cell in enumerate(line):
                cell.show_values(float(self.grid.prob[r, c]), float(self.grid.target[r, c]))
        report = toy_report(self.grid)
        for key, text in report.lines.items():
            self.formula_labels[key].setText(text)
        lam = self.grid.lambda_dice
        self.lambda_label.setText(f"λ = {lam:.2f}, 1 − λ = {1 - lam:.2f}")
        self.report = report
        self.changed.emit()
