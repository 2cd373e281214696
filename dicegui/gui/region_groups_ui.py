"""View ▸ Region groups: named unions of labels scored as one mask each (BraTS WT / TC / ET).

The dialog offers the presets of :data:`dicegui.core.region_groups.PRESETS`
and a text field in ``dicegui score --regions`` form (``WT=1,2,4;TC=1,4;ET=4``).
The groups are remembered in the settings and apply to every case opened
afterwards; ``dicegui --regions ...`` sets them from the command line.

Neither ITK-SNAP nor 3D Slicer adds region groups by itself, so a case whose
labels are exactly a preset's (``{1, 2, 4}``: BraTS 2021) gets an offer in
the per-label box, not groups it did not ask for; and a preset remembered
from such a case, on a case with labels outside it (an abdominal CT opened
after a brain tumour), gets a note offering to drop it.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core.region_groups import PRESETS, RegionSpecError, format_regions, missing_labels, parse_regions
from . import settings as app_settings

PRESET_TITLES = {
    "brats2021": "BraTS 2021 and earlier (1 necrosis, 2 oedema, 4 enhancing)",
    "brats2023": "BraTS 2023 (1 necrosis, 2 oedema, 3 enhancing)",
}


class RegionGroupsDialog(QtWidgets.QDialog):
    """Choose a preset or type ``NAME=labels;...``; an empty field means no region groups."""

    def __init__(self, groups: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Region groups")
        self.preset = QtWidgets.QComboBox()
        self.preset.addItem("Custom", None)
        for key, title in PRESET_TITLES.items():
            self.preset.addItem(title, key)
        self.text = QtWidgets.QLineEdit(format_regions(groups) if groups else "")
        self.text.setPlaceholderText("WT=1,2,4;TC=1,4;ET=4")
        self.text.setToolTip("NAME=labels separated by ';' (names: letters, digits, '-'); empty: no regions")
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        explain = QtWidgets.QLabel(
            "Each region is the union of its labels, scored as one mask: a row in the per-label table "
            "and an entry of the overlay's label list.")
        explain.setWordWrap(True)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.clear_button = self.buttons.addButton("No regions", QtWidgets.QDialogButtonBox.ButtonRole.ResetRole)
        form = QtWidgets.QFormLayout(self)
        form.addRow(explain)
        form.addRow("Preset", self.preset)
        form.addRow("Regions", self.text)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.resize(520, self.sizeHint().height())
        self._match_preset()
        self.preset.activated.connect(self._preset_chosen)
        self.text.textEdited.connect(lambda _t: self._match_preset())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.clear_button.clicked.connect(lambda: self.text.setText(""))

    def _preset_chosen(self, _index) -> None:
        key = self.preset.currentData()
        if key is not None:
            self.text.setText(format_regions(PRESETS[key]))
            self.error.setText("")

    def _match_preset(self) -> None:
        try:
            groups = parse_regions(self.text.text()) if self.text.text().strip() else None
        except RegionSpecError:
            groups = None
        key = next((k for k, v in PRESETS.items() if groups == {n: tuple(m) for n, m in v.items()}), None)
        self.preset.setCurrentIndex(max(0, self.preset.findData(key)) if key else 0)

    def groups(self) -> dict:
        """The groups typed ({} for none); raises ``RegionSpecError`` for text that does not parse."""
        text = self.text.text().strip()
        return parse_regions(text) if text else {}

    def accept(self) -> None:
        try:
            self.groups()
        except RegionSpecError as exc:
            self.error.setText(str(exc).replace("--regions: ", ""))
            return
        super().accept()


def preset_matching(labels) -> str | None:
    """The preset whose labels are exactly ``labels`` (e.g. {1, 2, 4} → ``brats2021``), else None."""
    present = {int(v) for v in labels}
    for key, groups in PRESETS.items():
        if present and present == {m for members in groups.values() for m in members}:
            return key
    return None


class RegionGroups(QtCore.QObject):
    """The window's region groups: the menu action, the settings and the per-label box note.

    Signals
    -------
    changed()
        The groups changed.
    """

    changed = QtCore.Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.groups: dict = {}
        try:
            text = app_settings.region_groups_text()
            self.groups = parse_regions(text) if text else {}
        except RegionSpecError:
            self.groups = {}  # a hand-edited settings file: start without regions
        self.act = window._action("&Region groups…", self.open_dialog,
                                  tip="Score unions of labels as one mask each (BraTS WT / TC / ET)")
        self.note = QtWidgets.QLabel("")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.note.linkActivated.connect(self._link)
        window.scores.labels_box.layout().insertWidget(0, self.note)

    def add_to_menu(self, menu: QtWidgets.QMenu) -> None:
        menu.addSeparator()
        menu.addAction(self.act)

    # ------------------------------------------------------------ commands
    def open_dialog(self) -> bool:
        """Show the dialog; True when the user accepted it."""
        dlg = RegionGroupsDialog(self.groups, self.window)
        if dlg.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        self.set_groups(dlg.groups())
        return True

    def set_groups(self, groups: dict, remember: bool = True) -> None:
        """Use ``groups`` ({name: labels}; {} for none) from now on; remembered for the next windows."""
        self.groups = dict(groups)
        if remember:
            app_settings.set_region_groups_text(format_regions(self.groups) if self.groups else "")
        self.update_note()
        self.changed.emit()

    # --------------------------------------------------------------- notes
    def update_note(self) -> None:
        """The per-label box's line: an offer of a matching preset, or regions none of whose labels is present."""
        s = self.window.session
        text = ""
        if s is not None and s.is_label_map and s.has_scores:
            if not self.groups:
                key = preset_matching(s.labels)
                if key is not None:
                    names = "/".join(PRESETS[key])
                    text = (f"Labels {', '.join(map(str, s.labels))} follow the {PRESET_TITLES[key].split(' (')[0]} "
                            f"convention: <a href='{key}'>score the {names} regions</a>")
            else:
                missing = missing_labels(self.groups, s.labels)
                if missing:
                    text = "; ".join(f"region {n} ({', '.join(map(str, m))})" for n, m in missing.items())
                    text += ": none of its labels is in either mask. Check the convention (View ▸ Region groups…)"
                else:
                    text = self._foreign_preset_note(s.labels)
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _foreign_preset_note(self, labels) -> str:
        """A preset's regions (remembered from another case) on a case with labels outside the preset.

        The groups apply to every case opened after they were set, so the BraTS
        regions of a brain case would turn up as "WT = spleen, kidney, gallbladder"
        on an abdominal one without a word.
        """
        key = next((k for k, v in PRESETS.items()
                    if self.groups == {n: tuple(m) for n, m in v.items()}), None)
        if key is None:
            return ""
        grouped = {m for members in self.groups.values() for m in members}
        outside = sorted(int(v) for v in labels if int(v) not in grouped)
        if not outside:
            return ""
        shown = ", ".join(map(str, outside[:6])) + (f", … ({len(outside)} labels)" if len(outside) > 6 else "")
        return (f"Regions {'/'.join(self.groups)} ({PRESET_TITLES[key].split(' (')[0]}, remembered) hold none of "
                f"labels {shown}: another convention? "
                "<a href='none'>no regions</a> · <a href='dialog'>change…</a>")

    def _link(self, key: str) -> None:
        if key in PRESETS:
            self.set_groups(parse_regions(key))
        elif key == "none":
            self.set_groups({})
        elif key == "dialog":
            self.open_dialog()
