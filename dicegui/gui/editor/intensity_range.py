"""The editable intensity range: brush, eraser, fill and interpolation write only where the image is within it.

3D Slicer calls this "Editable intensity range", ITK-SNAP has "draw over"
rules: a corrector painting a bright organ next to dark fat can paint
loosely and let the range keep the edge. The widget only holds the setting
(a checkbox and two numbers, prefilled from the displayed window so the
numbers start in the image's units); the editor reads :meth:`value` and the
core (:mod:`dicegui.core.edits`) applies it.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

# Spin box limits: wider than any CT/MR intensity, narrow enough to type.
_LIMIT = 1e9


class IntensityRangeWidget(QtWidgets.QWidget):
    """Checkbox "Only where image is within" + low/high spin boxes + "from window" button.

    Signals
    -------
    changed()
        The range or whether it is used changed.
    """

    changed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.only = QtWidgets.QCheckBox("Only where image is within")
        self.only.setToolTip("Brush, eraser, fill and interpolation change only voxels whose image value "
                             "lies in this range (both ends included)")
        self.low = self._spin("Lowest image value that may be edited")
        self.high = self._spin("Highest image value that may be edited")
        self.from_window = QtWidgets.QToolButton()
        self.from_window.setText("= window")
        self.from_window.setToolTip("Set the range to the displayed window (W/L)")
        self._levels = None

        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.low, 1)
        row.addWidget(QtWidgets.QLabel("to"))
        row.addWidget(self.high, 1)
        row.addWidget(self.from_window)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.only)
        layout.addLayout(row)

        self.only.toggled.connect(self._only_toggled)
        self.low.valueChanged.connect(self._low_changed)
        self.high.valueChanged.connect(self._high_changed)
        self.from_window.clicked.connect(self.use_window)
        self._only_toggled(False)

    @staticmethod
    def _spin(tip: str) -> QtWidgets.QDoubleSpinBox:
        spin = QtWidgets.QDoubleSpinBox()
        spin.setRange(-_LIMIT, _LIMIT)
        spin.setDecimals(2)
        spin.setToolTip(tip)
        spin.setKeyboardTracking(False)
        return spin

    # -------------------------------------------------------------- state
    def value(self) -> tuple[float, float] | None:
        """``(low, high)`` when the range is in use (checked and an image is open), else None."""
        if not (self.isEnabled() and self.only.isChecked()):
            return None
        return float(self.low.value()), float(self.high.value())

    def set_range(self, low: float, high: float) -> None:
        """Show ``(low, high)`` (swapped if given the wrong way round)."""
        low, high = sorted((float(low), float(high)))
        with QtCore.QSignalBlocker(self.low), QtCore.QSignalBlocker(self.high):
            self.low.setValue(low)
            self.high.setValue(high)
        self.changed.emit()

    def set_image(self, has_image: bool, levels=None) -> None:
        """A case was opened: usable only with an image; the range starts at the displayed window."""
        self.setEnabled(bool(has_image))
        self.setToolTip("" if has_image else "The intensity range needs an image")
        self._levels = levels
        with QtCore.QSignalBlocker(self.only):
            self.only.setChecked(False)
        self._only_toggled(False)
        if has_image and levels is not None:
            self.set_range(*levels)

    def set_levels(self, levels) -> None:
        """The displayed window changed: remembered for the "= window" button."""
        self._levels = levels

    def use_window(self) -> None:
        if self._levels is not None:
            self.set_range(*self._levels)

    # ------------------------------------------------------------ private
    def _only_toggled(self, checked: bool) -> None:
        for w in (self.low, self.high, self.from_window):
            w.setEnabled(checked)
        self.changed.emit()

    def _low_changed(self, value: float) -> None:
        if value > self.high.value():  # keep low <= high: move the other end along
            with QtCore.QSignalBlocker(self.high):
                self.high.setValue(value)
        self.changed.emit()

    def _high_changed(self, value: float) -> None:
        if value < self.low.value():
            with QtCore.QSignalBlocker(self.low):
                self.low.setValue(value)
        self.changed.emit()
