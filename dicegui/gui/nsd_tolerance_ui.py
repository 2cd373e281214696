"""NSD tolerance per label and region in the scores panel, and the below-voxel warning.

The panel's spin box is the default tolerance (the same default as
``dicegui score``: :data:`dicegui.core.tolerances.DEFAULT_TOLERANCE`). The
line edit below it takes a per-structure table in ``--tolerance`` text,
``1=3;2=1.5;WT=2`` (``*=2`` sets the spin box), remembered in the settings.
Text that does not parse is marked and named in the warning line; the last
valid table stays in force.

A tolerance below the largest voxel spacing makes NSD count only exact
border agreement; the warning line says so
(:func:`dicegui.core.tolerances.below_voxel_warning`). So does a key that is
neither a label nor a region of the open case (``liver=2``: keys are label
numbers), which would otherwise leave that structure at the default unseen.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core.tolerances import Tolerances, ToleranceSpecError, below_voxel_warning, parse_tolerances
from . import settings as app_settings
from .region_focus import focus_key


class ToleranceTable(QtCore.QObject):
    """Per-structure NSD tolerances next to the panel's tolerance spin box.

    Signals
    -------
    changed()
        A valid per-structure table changed what is in force (the spin box
        reports through the panel's ``toleranceChanged``).
    """

    changed = QtCore.Signal()

    def __init__(self, panel):
        super().__init__(panel)
        self.panel = panel
        self.spacing = None
        self._by_key: dict = {}
        self._labels: dict | None = None  # {label: name} of the open case; None: no case
        self._regions: set = set()
        self.edit = QtWidgets.QLineEdit()
        self.edit.setPlaceholderText("per label / region, e.g. 1=3;2=1.5;WT=2")
        self.edit.setToolTip(
            "NSD tolerance of single labels or regions (mm), as dicegui score --tolerance: "
            "label=mm or region=mm separated by ';' (*=mm sets the default). Others use the default above.")
        self.edit.setClearButtonEnabled(True)
        self.warning = QtWidgets.QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35900;")
        self.warning.setVisible(False)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Per structure"))
        row.addWidget(self.edit, 1)
        layout = panel.surface_box.layout()
        layout.insertLayout(layout.indexOf(panel.state), row)
        layout.insertWidget(layout.indexOf(panel.state), self.warning)
        self.edit.setText(app_settings.tolerance_table_text())
        self._parse(self.edit.text(), quiet=True)
        self.edit.editingFinished.connect(self._edited)
        panel.tolerance.valueChanged.connect(self._default_changed)

    # ---------------------------------------------------------------- state
    def tolerances(self) -> Tolerances:
        """The table in force: the spin box's default and the per-structure entries."""
        return Tolerances(float(self.panel.tolerance.value()), dict(self._by_key))

    def for_focus(self, focus) -> float:
        """Tolerance of the foreground (None), a label or a ``RegionFocus``."""
        return self.tolerances().for_key(focus_key(focus))

    def set_text(self, text: str) -> bool:
        """Type a table (as the user would); False when it does not parse (then nothing changes)."""
        self.edit.setText(text)
        return self._edited()

    def set_spacing(self, spacing) -> None:
        """Voxel spacing of the open case (for the below-voxel warning); None: no case."""
        self.spacing = None if spacing is None else tuple(float(s) for s in spacing)
        self._show_warning()

    def set_structures(self, labels: dict | None, regions=()) -> None:
        """Labels (``{value: name}``) and region names of the open case; None: no case."""
        self._labels = None if labels is None else {int(k): str(v or "") for k, v in labels.items()}
        self._regions = set(regions)
        self._show_warning()

    def _unknown_keys(self) -> str | None:
        """The warning for keys that name no label or region of the case (None when all do)."""
        if self._labels is None:
            return None
        unknown = [k for k in self._by_key
                   if not (isinstance(k, int) and k in self._labels) and str(k) not in self._regions]
        if not unknown:
            return None
        by_name = {v.lower(): k for k, v in self._labels.items() if v}
        parts = []
        for k in unknown:
            hint = by_name.get(str(k).lower())
            parts.append(f"'{k}' (label {hint}: write {hint}={self._by_key[k]:g})" if hint is not None else f"'{k}'")
        return (f"per-structure tolerance: {', '.join(parts)} is no label number or region of this case; "
                "the default is used there")

    # -------------------------------------------------------------- editing
    def _parse(self, text: str, quiet: bool = False) -> str | None:
        """Take ``text`` as the table; the error message when it does not parse."""
        text = text.strip()
        if not text:
            self._by_key = {}
            return None
        try:
            table = parse_tolerances(text if "=" in text else f"*={text}")
        except ToleranceSpecError as exc:
            return str(exc).replace("--tolerance", "per-structure tolerance")
        self._by_key = dict(table.by_key)
        if "*" in text or "default" in text:
            blocker = QtCore.QSignalBlocker(self.panel.tolerance)
            self.panel.tolerance.setValue(table.default)
            del blocker
        return None

    def _edited(self) -> bool:
        before = self.tolerances()
        error = self._parse(self.edit.text())
        self.edit.setStyleSheet("QLineEdit { border: 1px solid #b00020; }" if error else "")
        self._error = error
        if error is None:
            app_settings.set_tolerance_table_text(self.edit.text().strip())
        self._show_warning()
        if self.tolerances() != before:
            self.changed.emit()
        return error is None

    def _default_changed(self, _value) -> None:
        # the panel's own toleranceChanged signal reports this change
        self._show_warning()

    def _show_warning(self) -> None:
        parts = []
        error = getattr(self, "_error", None)
        if error:
            parts.append(error)
        unknown = self._unknown_keys()
        if unknown:
            parts.append(unknown)
        if self.spacing is not None:
            below = below_voxel_warning(self.tolerances(), self.spacing)
            if below:
                parts.append(below.replace(" mm", f" {self.panel.length_unit}"))
        self.warning.setText("\n".join(parts))
        self.warning.setVisible(bool(parts))

    def warning_text(self) -> str:
        """The warning line as shown ('' when hidden)."""
        return self.warning.text()
