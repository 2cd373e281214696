"""Dialogs: open a case by roles, assign roles to dropped files, report errors."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6 import QtWidgets

from .session import ROLE_TITLES

ROLES = ("image", "gt", "pred")
FILE_FILTER = (
    "Images and masks (*.nii *.nii.gz *.nrrd *.seg.nrrd *.dcm *.png *.tif *.tiff *.jpg *.jpeg *.bmp *.npy *.npz *.txt *.csv);;"
    "All files (*)"
)
_PRED = re.compile(r"pred|prediction|infer|output|model|fast|auto", re.I)
_GT = re.compile(r"(^|[^a-z])(gt|ground|truth|label|labels|manual|ref|reference|annot|seg|mask)", re.I)


def show_error(parent, title: str, text: str) -> None:
    """A modal error box (tests patch ``QMessageBox.critical``)."""
    QtWidgets.QMessageBox.critical(parent, title, text)


def guess_role(path) -> str:
    """Guess what a file is from its name: ``"pred"``, ``"gt"`` or ``"image"``."""
    name = Path(path).name
    if _PRED.search(name):
        return "pred"
    if _GT.search(name):
        return "gt"
    return "image"


def guess_roles(paths) -> dict:
    """Assign each path a distinct role, from its name first, then in the order image, gt, pred.

    Returns
    -------
    dict
        ``{path: role}`` for at most three paths (extra files get ``None``).
    """
    out, taken = {}, set()
    paths = [Path(p) for p in paths]
    for p in paths:
        role = guess_role(p)
        if role not in taken:
            out[p] = role
            taken.add(role)
    for p in paths:
        if p not in out:
            free = [r for r in ROLES if r not in taken]
            out[p] = free[0] if free else None
            if free:
                taken.add(free[0])
    return out


class _PathRow(QtWidgets.QWidget):
    def __init__(self, role: str, path=None, parent=None):
        super().__init__(parent)
        self.role = role
        self.edit = QtWidgets.QLineEdit("" if path is None else str(path))
        self.edit.setPlaceholderText("(none)")
        browse = QtWidgets.QPushButton("File…")
        folder = QtWidgets.QPushButton("DICOM folder…")
        clear = QtWidgets.QToolButton()
        clear.setText("✕")
        clear.setToolTip("Leave this role empty")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)
        layout.addWidget(folder)
        layout.addWidget(clear)
        browse.clicked.connect(self._browse)
        folder.clicked.connect(self._folder)
        clear.clicked.connect(self.edit.clear)

    def _browse(self):
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, f"Open {ROLE_TITLES[self.role].lower()}",
                                                        self.edit.text(), FILE_FILTER)
        if path:
            self.edit.setText(path)

    def _folder(self):
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "DICOM series folder", self.edit.text())
        if path:
            self.edit.setText(path)

    def path(self):
        text = self.edit.text().strip()
        return Path(text) if text else None


class OpenCaseDialog(QtWidgets.QDialog):
    """Choose the image, reference and prediction files (any may be left empty)."""

    def __init__(self, paths: dict | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Open case")
        paths = paths or {}
        self.rows = {r: _PathRow(r, paths.get(r)) for r in ROLES}
        form = QtWidgets.QFormLayout()
        for role, row in self.rows.items():
            form.addRow(ROLE_TITLES[role], row)
        note = QtWidgets.QLabel("Masks must lie on the image's voxel grid; either mask may be left empty.")
        note.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Open | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(720, 180)

    def paths(self) -> dict:
        return {r: row.path() for r, row in self.rows.items() if row.path() is not None}


class DropRolesDialog(QtWidgets.QDialog):
    """Confirm which role each dropped file plays."""

    def __init__(self, paths, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Open dropped files as…")
        self.combos = {}
        form = QtWidgets.QFormLayout()
        for path, role in guess_roles(paths).items():
            combo = QtWidgets.QComboBox()
            combo.addItem("(ignore)", None)
            for r in ROLES:
                combo.addItem(ROLE_TITLES[r], r)
            combo.setCurrentIndex(max(combo.findData(role), 0))
            self.combos[path] = combo
            form.addRow(path.name, combo)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Open | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Files not given a role keep the current case's file for that role."))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def roles(self) -> dict:
        """``{role: path}`` as chosen (a role chosen twice keeps the last file)."""
        out = {}
        for path, combo in self.combos.items():
            if combo.currentData():
                out[combo.currentData()] = path
        return out
