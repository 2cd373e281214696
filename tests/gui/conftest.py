"""GUI test setup: private settings folder, non-blocking message boxes, case files written on demand."""
from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory, monkeypatch):
    """Every test reads and writes settings in its own temporary folder, never the user's."""
    from dicegui.gui import settings

    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv(settings.SETTINGS_DIR_ENV, str(folder))
    settings.use_folder(folder)
    return folder


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch):
    """Record QMessageBox calls instead of blocking on a modal dialog."""
    from PySide6 import QtWidgets

    calls = []

    def record(kind):
        def box(parent, title, text, *args, **kwargs):
            calls.append((kind, title, text))
            return QtWidgets.QMessageBox.StandardButton.Ok
        return box

    for kind in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QtWidgets.QMessageBox, kind, staticmethod(record(kind)))
    monkeypatch.setattr(QtWidgets.QMessageBox, "about", staticmethod(record("about")))
    return calls


@pytest.fixture(autouse=True)
def save_dialogs(monkeypatch):
    """A Save dialog nobody patched answers Cancel (and is recorded) instead of blocking the run."""
    from PySide6 import QtWidgets

    calls = []

    def cancel(parent, caption, start="", *args, **kwargs):
        calls.append((caption, start))
        return "", ""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(cancel))
    return calls


@pytest.fixture(autouse=True)
def activation_questions(monkeypatch):
    """How to read logits or channels: answered Cancel (and recorded) unless a test answers, never a blocking box."""
    from dicegui.gui import activation_dialog

    asked = []

    def cancel(parent, exc):
        asked.append(exc)
        return None
    monkeypatch.setattr(activation_dialog, "ask_activation", cancel)
    return asked


@pytest.fixture
def window(qtbot):
    from PySide6 import QtWidgets

    from dicegui.gui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    # window shortcuts (1/2/3, S, O, A/D, R) only fire in the active window
    w.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is w, timeout=5000)
    yield w
    w.runner.cancel()
    w.runner.wait(10000)


@pytest.fixture
def write_nifti():
    """``write_nifti(path, data, affine=None)``: save an array as NIfTI (voxel → RAS affine)."""
    def write(path, data, affine=None):
        img = nib.Nifti1Image(np.asarray(data), np.eye(4) if affine is None else np.asarray(affine, float))
        nib.save(img, str(path))
        return path
    return write


@pytest.fixture
def click_in_next_box(qtbot):
    """``click_in_next_box(text)``: the next modal message box gets a click on its button ``text``, as a user does.

    Returns the list that receives ``(title, text)`` of the box once it has been answered.
    """
    from PySide6 import QtCore, QtWidgets

    def arm(text):
        seen = []

        def click():
            box = QtWidgets.QApplication.activeModalWidget()
            if not isinstance(box, QtWidgets.QMessageBox):
                QtCore.QTimer.singleShot(20, click)
                return
            seen.append((box.windowTitle(), box.text()))
            button = next(b for b in box.buttons() if b.text() == text)
            qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
        QtCore.QTimer.singleShot(0, click)
        return seen
    return arm
