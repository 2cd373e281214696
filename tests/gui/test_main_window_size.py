"""The window fits a 1366 × 768 laptop screen: tall panels scroll, the window never outgrows what was asked."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

from dicegui.gui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
#: What a 1366 × 768 screen leaves a window once a task bar and a title bar are taken.
LAPTOP_ROOM = QtCore.QSize(1280, 700)


def _assert_fits_a_laptop(window):
    QtWidgets.QApplication.processEvents()
    for size in (window.minimumSizeHint(), window.minimumSize()):
        assert size.width() <= LAPTOP_ROOM.width() and size.height() <= LAPTOP_ROOM.height(), size


def test_the_totalseg_demo_fits_a_laptop_screen(window):
    assert window.open_demo("totalseg")
    _assert_fits_a_laptop(window)
    # made that small, the window keeps the views, the slider and the status bar inside it
    window.resize(LAPTOP_ROOM)
    QtWidgets.QApplication.processEvents()
    assert window.size() == LAPTOP_ROOM
    inside = window.rect()
    for widget in (window.slider, window.statusBar(), window.qa.docks["slice_dice"]):
        top_left = widget.mapTo(window, QtCore.QPoint(0, 0))
        assert inside.contains(QtCore.QRect(top_left, widget.size())), widget


def test_the_probability_demo_fits_a_laptop_screen(window):
    assert window.open_demo("probability")
    _assert_fits_a_laptop(window)


def test_a_label_map_with_many_labels_fits_a_laptop_screen(window, tmp_path, write_nifti):
    # 20 labels fill the per-label and label-display tables: both scroll instead of growing the window
    shape = (40, 48, 24)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for label in range(1, 21):
        row = 2 * label - 1
        gt[row - 1:row + 1, 4:40, 4:20] = label
        pred[row - 1:row + 1, 6:42, 4:20] = label
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt), "pred": write_nifti(tmp_path / "pred.nii.gz", pred)}
    assert window.open_paths(paths, remember=False), window.last_error
    assert window.scores.per_label.rowCount() == 20
    _assert_fits_a_laptop(window)


def test_tall_docks_scroll_vertically_and_keep_their_width(window):
    assert window.open_demo("totalseg")
    for dock in (window.right_dock, window.left_dock, window.editor.edit_dock, window.qa.docks["errors"]):
        area = dock.widget()
        assert isinstance(area, QtWidgets.QScrollArea), dock.windowTitle()
        assert area.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        # nothing cut at the side: the dock is at least as wide as the panel needs and a scroll bar
        assert dock.width() >= area.widget().minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width()
    window.resize(LAPTOP_ROOM)
    QtWidgets.QApplication.processEvents()
    scores = window.right_dock.widget()
    assert scores.verticalScrollBar().maximum() > 0  # the scores are taller than the laptop's dock


def test_presentation_mode_on_and_off_keeps_the_window_size(window, qtbot):
    assert window.open_demo("totalseg")
    window.resize(1500, 950)
    QtWidgets.QApplication.processEvents()
    before = window.size()
    qtbot.keyClick(window.view, Qt.Key.Key_F5)
    assert window.presentation.on
    qtbot.wait(50)  # the docks are widened on the next turn of the event loop
    assert window.size() == before
    qtbot.keyClick(window.view, Qt.Key.Key_F5)
    assert not window.presentation.on
    qtbot.wait(50)
    assert window.size() == before


def test_a_new_window_opens_inside_the_screen(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    room = w.screen().availableGeometry()
    assert w.height() <= room.height()
    w.show()
    qtbot.waitExposed(w)
    assert w.frameGeometry().height() <= room.height()
    w.runner.cancel()


def test_the_screenshot_has_the_size_asked_for(tmp_path):
    from dicegui.gui.app import SCREENSHOT_SIZE

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DICEGUI_SETTINGS_DIR=str(tmp_path / "settings"))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    png = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-m", "dicegui", "--demo", "totalseg", "--screenshot", str(png)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
