"""Overlay controls and legend: what is drawn (TP/FP/FN or label colours), how, and the counts."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.overlay import CLASS_NAMES, CLASSES, DEFAULT_CLASS_COLORS, MODES, label_palette

KIND_CONFUSION = "confusion"
KIND_GT_LABELS = "gt_labels"
KIND_PRED_LABELS = "pred_labels"
KIND_TITLES = {
    KIND_CONFUSION: "TP / FP / FN",
    KIND_GT_LABELS: "Reference labels",
    KIND_PRED_LABELS: "Prediction labels",
}
SHORT = {"tp": "TP", "fp": "FP", "fn": "FN", "mismatch": "≠"}


def swatch(rgb, size: int = 14) -> QtGui.QIcon:
    pix = QtGui.QPixmap(size, size)
    pix.fill(QtGui.QColor(*rgb))
    return QtGui.QIcon(pix)


class OverlayPanel(QtWidgets.QGroupBox):
    """Overlay settings with a legend of counts.

    Signals
    -------
    changed()
        Any setting changed (kind, label, mode, opacity, visible classes, shown).
    """

    changed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("Overlay", parent)
        self.kind = QtWidgets.QComboBox()
        for key, title in KIND_TITLES.items():
            self.kind.addItem(title, key)
        self.label = QtWidgets.QComboBox()
        self.label.setToolTip("TP/FP/FN of one label, or of any foreground")
        self.label.addItem("All labels (any foreground)", None)
        self.mode_fill = QtWidgets.QRadioButton("Fill")
        self.mode_outline = QtWidgets.QRadioButton("Outline")
        self.mode_fill.setChecked(True)
        self.mode_fill.setToolTip("O toggles fill / outline")
        self.mode_outline.setToolTip("Outlines keep the anatomy underneath readable (O toggles)")
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(50)
        self.opacity.setToolTip("Overlay opacity (A / D)")
        self.opacity_value = QtWidgets.QLabel("50 %")
        self.shown = QtWidgets.QCheckBox("Show overlay (S)")
        self.shown.setChecked(True)

        self.class_boxes: dict[str, QtWidgets.QCheckBox] = {}
        self.count_labels: dict[str, QtWidgets.QLabel] = {}
        legend = QtWidgets.QGridLayout()
        legend.setHorizontalSpacing(6)
        legend.setVerticalSpacing(2)
        head_slice = QtWidgets.QLabel("<small>slice</small>")
        head_volume = QtWidgets.QLabel("<small>volume</small>")
        for w in (head_slice, head_volume):
            w.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        legend.addWidget(head_slice, 0, 1)
        legend.addWidget(head_volume, 0, 2)
        for row, name in enumerate(CLASSES, start=1):
            box = QtWidgets.QCheckBox(f"{SHORT[name]}  {CLASS_NAMES[name]}")
            box.setIcon(swatch(DEFAULT_CLASS_COLORS[name]))
            box.setChecked(True)
            box.toggled.connect(self.changed)
            self.class_boxes[name] = box
            legend.addWidget(box, row, 0)
            for col in (1, 2):
                lab = QtWidgets.QLabel("")
                lab.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                lab.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
                legend.addWidget(lab, row, col)
                self.count_labels[f"{name}/{'slice' if col == 1 else 'volume'}"] = lab
        self.class_boxes["mismatch"].setToolTip(
            "Both masks are foreground but hold different labels (counted as TP for the foreground scores)"
        )
        self.labels_note = QtWidgets.QLabel("Colours per label: see the per-label table.")
        self.labels_note.setWordWrap(True)
        from .label_display import LabelDisplayList  # it uses this module's swatch()

        self.label_display = LabelDisplayList()
        self.label_display.setVisible(False)
        self.label_display.setMinimumHeight(120)

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.addRow("Show", self.kind)
        form.addRow("Label", self.label)
        modes = QtWidgets.QHBoxLayout()
        modes.addWidget(self.mode_fill)
        modes.addWidget(self.mode_outline)
        modes.addStretch(1)
        form.addRow("Draw", modes)
        op = QtWidgets.QHBoxLayout()
        op.addWidget(self.opacity, 1)
        op.addWidget(self.opacity_value)
        form.addRow("Opacity", op)
        form.addRow(self.shown)
        form.addRow(legend)
        form.addRow(self.labels_note)
        form.addRow(self.label_display)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.label.currentIndexChanged.connect(self.changed)
        self.mode_fill.toggled.connect(self.changed)
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.shown.toggled.connect(self.changed)
        self.label_display.displayChanged.connect(self.changed)
        self._kind_changed()

    # ---------------------------------------------------------------- state
    def current_kind(self) -> str:
        return self.kind.currentData()

    def current_label(self) -> int | None:
        """The label picked; None for the foreground and for a region group (see :meth:`current_focus`)."""
        data = self.label.currentData()
        return data if data is None or isinstance(data, int) else None

    def current_focus(self):
        """The picked entry: None (foreground), a label (int) or a region (``RegionFocus``)."""
        return self.label.currentData()

    def current_mode(self) -> str:
        return MODES[0] if self.mode_fill.isChecked() else MODES[1]

    def current_opacity(self) -> float:
        return self.opacity.value() / 100.0

    def visible_classes(self) -> tuple[str, ...]:
        return tuple(n for n, b in self.class_boxes.items() if b.isChecked())

    def is_shown(self) -> bool:
        return self.shown.isChecked()

    def label_alpha(self) -> dict:
        """Per-label opacity factors of the label list (``{label: 0..1}``, listed only when not 1)."""
        return self.label_display.label_alpha()

    def label_factor(self, label: int | None) -> float:
        """Opacity factor of one label (1 for None, the foreground)."""
        return self.label_display.factor(label)

    # ------------------------------------------------------------- setters
    def set_case(self, labels, names: dict, is_label_map: bool, kinds, colors=None) -> None:
        """Fill the label list and the kinds available for a new case."""
        blockers = [QtCore.QSignalBlocker(w) for w in (self.label, self.kind)]
        self.label.clear()
        self.label.addItem("All labels (any foreground)", None)
        if is_label_map:
            for k in labels:
                name = names.get(int(k), "")
                self.label.addItem(f"{k}  {name}".rstrip(), int(k))
        self.label.setEnabled(is_label_map)
        listed = sorted({int(k) for k in labels} | {int(k) for k in names}) if is_label_map else []
        self.label_display.set_labels(listed, names, label_palette(max(listed, default=1) + 1, colors))
        self.class_boxes["mismatch"].setVisible(is_label_map)
        for suffix in ("slice", "volume"):
            self.count_labels[f"mismatch/{suffix}"].setVisible(is_label_map)
        self.kind.clear()
        for key in kinds:
            self.kind.addItem(KIND_TITLES[key], key)
        del blockers
        self._kind_changed()

    def set_regions(self, regions) -> None:
        """List region groups (``RegionFocus`` items) below the labels; a picked region stays picked if still listed."""
        blocker = QtCore.QSignalBlocker(self.label)
        picked = self.label.currentData()
        for i in reversed(range(self.label.count())):
            data = self.label.itemData(i)
            if data is not None and not isinstance(data, int):
                self.label.removeItem(i)
        for region in regions:
            self.label.addItem(region.title(), region)
            self.label.setItemData(self.label.count() - 1, "Region group: any of its labels, scored as one mask",
                                   QtCore.Qt.ItemDataRole.ToolTipRole)
        self.label.setEnabled(self.label.count() > 1)
        # by equality: findData cannot compare Python objects stored in a combo box
        i = next((k for k in range(self.label.count()) if self.label.itemData(k) == picked), -1)
        del blocker
        if i >= 0:
            self.label.setCurrentIndex(i)
        else:
            self.label.setCurrentIndex(0)
            self.changed.emit()  # the region picked is gone: the focus fell back to the foreground

    def select_label(self, label: int | None) -> None:
        i = self.label.findData(label)
        if i >= 0:
            self.label.setCurrentIndex(i)

    def set_kind(self, kind: str) -> None:
        i = self.kind.findData(kind)
        if i >= 0:
            self.kind.setCurrentIndex(i)

    def toggle_mode(self) -> None:
        (self.mode_outline if self.mode_fill.isChecked() else self.mode_fill).setChecked(True)

    def nudge_opacity(self, delta: int) -> None:
        self.opacity.setValue(self.opacity.value() + delta)

    def set_counts(self, slice_counts: dict | None, volume_counts: dict | None) -> None:
        """Legend numbers: ``{"tp", "fp", "fn", "mismatch"} → int`` for the slice and the volume."""
        for name in CLASSES:
            for scope, counts in (("slice", slice_counts), ("volume", volume_counts)):
                value = None if counts is None else counts.get(name)
                self.count_labels[f"{name}/{scope}"].setText("—" if value is None else f"{value:,}")

    def _opacity_changed(self, value: int) -> None:
        self.opacity_value.setText(f"{value} %")
        self.changed.emit()

    def _kind_changed(self, *_):
        confusion = self.current_kind() == KIND_CONFUSION
        for name, box in self.class_boxes.items():
            box.setEnabled(confusion)
        self.labels_note.setVisible(not confusion and self.current_kind() is not None)
        self.changed.emit()
