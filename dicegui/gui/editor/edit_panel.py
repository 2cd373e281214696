"""The Edit panel: tool, target mask, active label, brush and clean-up settings.

It holds the editing settings as widgets and says when they change; it edits
nothing itself (the :class:`~dicegui.gui.editor.controller.Editor` does).
The target mask is the one setting that must never be in doubt, so it is
two large coloured buttons and is repeated on the view's tool caption.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..overlay_panel import swatch

TARGET_TITLES = {"gt": "Reference (GT)", "pred": "Prediction"}
TARGET_WORDS = {"gt": "reference", "pred": "prediction"}
# Colours of the target buttons: the overlay's FN (reference only) and FP
# (prediction only) colours, so each mask is tied to the colour of its own voxels.
TARGET_COLORS = {"gt": "#56b4e9", "pred": "#d55e00"}
MAX_RADIUS = 100
SCOPES = {"slice": "this slice", "volume": "whole volume (3-D)"}
PIN_TIP = "Pinned: the brush keeps this label when you review other labels"


class EditPanel(QtWidgets.QGroupBox):
    """Editing settings.

    Signals
    -------
    targetChanged(str)
        ``"gt"`` or ``"pred"``.
    labelChanged(int)
        Active label.
    brushChanged()
        Radius, 3-D brush or protection changed.
    fillHolesRequested()
    removeIslandsRequested()
    """

    targetChanged = QtCore.Signal(str)
    labelChanged = QtCore.Signal(int)
    brushChanged = QtCore.Signal()
    fillHolesRequested = QtCore.Signal()
    removeIslandsRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("", parent)
        self.setFlat(True)
        # ---- tools (buttons wrap the editor's actions, added by add_tool_actions)
        self.tool_row = QtWidgets.QHBoxLayout()
        self.tool_row.setSpacing(3)
        self.tool_buttons: dict[str, QtWidgets.QToolButton] = {}

        # ---- target mask
        self.target_buttons = {}
        target_row = QtWidgets.QHBoxLayout()
        target_row.setSpacing(0)
        self.target_group = QtWidgets.QButtonGroup(self)
        self.target_group.setExclusive(True)
        for which in ("gt", "pred"):
            b = QtWidgets.QToolButton()
            b.setText(TARGET_TITLES[which])
            b.setCheckable(True)
            b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
            b.setMinimumHeight(28)
            colour = TARGET_COLORS[which]
            b.setStyleSheet(
                "QToolButton { border: 1px solid #888; padding: 3px 6px; background: #f2f2f2; color: #444; }"
                f"QToolButton:checked {{ background: {colour}; color: white; font-weight: bold;"
                f" border: 2px solid #222; }}"
            )
            b.setToolTip(f"Brush, eraser and fill edit the {TARGET_WORDS[which]} mask")
            self.target_group.addButton(b)
            self.target_buttons[which] = b
            target_row.addWidget(b)
        self.target_buttons["pred"].setChecked(True)

        # ---- label
        self.label = QtWidgets.QComboBox()
        self.label.setToolTip("Label the brush and fill write (and the eraser clears when other labels are protected)")
        self.label.setMaxVisibleItems(25)
        self.pin = QtWidgets.QToolButton()
        self.pin.setText("Pin")
        self.pin.setCheckable(True)
        self.pin.setToolTip(PIN_TIP)
        self.protect = QtWidgets.QCheckBox("Protect other labels")
        self.protect.setChecked(True)  # the editor restores the remembered choice
        self.protect.setToolTip("Paint and fill only background or the active label; erase only the active label")

        # ---- brush
        self.radius = QtWidgets.QSpinBox()
        self.radius.setRange(0, MAX_RADIUS)
        self.radius.setValue(5)
        self.radius.setSuffix(" vox")
        self.radius.setToolTip("Brush radius in voxels of the finer in-plane axis ([ / ] or Shift+wheel)")
        self.radius_mm = QtWidgets.QLabel("")
        self.sphere = QtWidgets.QCheckBox("3-D brush (sphere)")
        self.sphere.setToolTip("Paint a ball of the same radius in mm, reaching neighbouring slices")

        # ---- clean-up
        self.scope = QtWidgets.QComboBox()
        for key, text in SCOPES.items():
            self.scope.addItem(text, key)
        self.fill_holes = QtWidgets.QPushButton("Fill holes")
        self.fill_holes.setToolTip("Fill background enclosed by the active label")
        self.remove_islands = QtWidgets.QPushButton("Remove islands")
        self.remove_islands.setToolTip("Clear pieces of the active label of at most the given size")
        self.island_size = QtWidgets.QSpinBox()
        self.island_size.setRange(1, 10_000_000)
        self.island_size.setValue(64)
        self.island_size.setPrefix("≤ ")
        self.island_size.setSuffix(" vox")
        self.island_size.setToolTip("Largest island removed, in voxels")

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setVerticalSpacing(4)
        form.addRow("Tool", self.tool_row)
        form.addRow("Edit", target_row)
        label_row = QtWidgets.QHBoxLayout()
        label_row.addWidget(self.label, 1)
        label_row.addWidget(self.pin)
        form.addRow("Label", label_row)
        form.addRow("", self.protect)
        radius_row = QtWidgets.QHBoxLayout()
        radius_row.addWidget(self.radius)
        radius_row.addWidget(self.radius_mm, 1)
        form.addRow("Radius", radius_row)
        form.addRow("", self.sphere)
        clean = QtWidgets.QGridLayout()
        clean.setHorizontalSpacing(4)
        clean.addWidget(self.fill_holes, 0, 0)
        clean.addWidget(self.remove_islands, 1, 0)
        clean.addWidget(self.island_size, 1, 1)
        clean.addWidget(self.scope, 0, 1)
        form.addRow("Clean up", clean)

        self.target_group.buttonToggled.connect(self._target_toggled)
        self.label.currentIndexChanged.connect(self._label_changed)
        self.protect.toggled.connect(self.brushChanged)
        self.radius.valueChanged.connect(self.brushChanged)
        self.sphere.toggled.connect(self.brushChanged)
        self.fill_holes.clicked.connect(self.fillHolesRequested)
        self.remove_islands.clicked.connect(self.removeIslandsRequested)

    def add_tool_actions(self, actions) -> None:
        """One checkable button per tool action (Navigate, Brush, Eraser, Fill)."""
        for act in actions:
            b = QtWidgets.QToolButton()
            b.setDefaultAction(act)
            b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
            b.setStyleSheet("QToolButton { padding: 3px 4px; } QToolButton:checked { font-weight: bold; }")
            self.tool_row.addWidget(b)
            self.tool_buttons[act.data()] = b

    def add_row(self, title: str, widget: QtWidgets.QWidget) -> None:
        """Add a settings row below the others (the correction tools add theirs)."""
        self.layout().addRow(title, widget)

    # -------------------------------------------------------------- state
    def target(self) -> str:
        return "gt" if self.target_buttons["gt"].isChecked() else "pred"

    def set_target(self, which: str) -> None:
        self.target_buttons[which].setChecked(True)

    def active_label(self) -> int:
        value = self.label.currentData()
        return 1 if value is None else int(value)

    def set_label(self, label: int) -> bool:
        i = self.label.findData(int(label))
        if i >= 0:
            self.label.setCurrentIndex(i)
        return i >= 0

    def scope_key(self) -> str:
        return self.scope.currentData()

    # ------------------------------------------------------------ filling
    def set_case(self, labels, names: dict, is_label_map: bool, palette, targets) -> None:
        """Labels to offer (present and named), and which masks can be edited."""
        blocker = QtCore.QSignalBlocker(self.label)
        current = self.label.currentData()
        self.label.clear()
        if is_label_map:
            known = sorted(set(int(v) for v in labels) | set(int(v) for v in names) - {0})
            new = max(known, default=0) + 1  # room for a structure neither mask has yet
            for k in [*known, new]:
                text = f"{k}  {names.get(k, '(new label)' if k == new else '')}".rstrip()
                icon = swatch(tuple(int(c) for c in palette[k])) if k < len(palette) else QtGui.QIcon()
                self.label.addItem(icon, text, k)
        else:
            self.label.addItem("1  foreground (binary mask)", 1)
        i = self.label.findData(current)
        self.label.setCurrentIndex(i if i >= 0 else 0)
        del blocker
        self.label.setEnabled(is_label_map)
        self.pin.setEnabled(is_label_map)
        self.protect.setEnabled(is_label_map)
        for which, button in self.target_buttons.items():
            button.setEnabled(which in targets)
            button.setToolTip(f"Brush, eraser and fill edit the {TARGET_WORDS[which]} mask" if which in targets
                              else f"No {TARGET_WORDS[which]} is open: open one, or File ▸ New segmentation")
        if targets and self.target() not in targets:  # one mask open: edit that one
            self.set_target(targets[0])

    def set_radius_text(self, text: str) -> None:
        self.radius_mm.setText(text)

    def _target_toggled(self, button, checked: bool) -> None:
        if checked:
            self.targetChanged.emit(self.target())

    def _label_changed(self, _i: int) -> None:
        self.labelChanged.emit(self.active_label())
