"""Reliability test setup: a small oriented case on disk, real mouse input on the view."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

SHAPE = (36, 40, 10)
AFFINE = np.array([
    [-0.9, 0.0, 0.0, 10.0],
    [0.0, 1.1, 0.0, -20.0],
    [0.0, 0.0, 2.0, 4.0],
    [0.0, 0.0, 0.0, 1.0],
])
LEFT = QtCore.Qt.MouseButton.LeftButton
NOMOD = QtCore.Qt.KeyboardModifier.NoModifier


def _ellipsoid(centre, radii):
    i, j, k = np.ogrid[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    return ((i - centre[0]) / radii[0]) ** 2 + ((j - centre[1]) / radii[1]) ** 2 \
        + ((k - centre[2]) / radii[2]) ** 2 <= 1.0


def write_case(folder, write_nifti):
    """image / gt / pred NIfTI files of a binary case in ``folder``; returns ``{role: path}``."""
    rng = np.random.default_rng(11)
    folder.mkdir(parents=True, exist_ok=True)
    image = rng.integers(-100, 200, size=SHAPE).astype(np.int16)
    gt = _ellipsoid((18, 20, 5), (9, 11, 3)).astype(np.uint8)
    pred = _ellipsoid((20, 18, 5), (8, 11, 3)).astype(np.uint8)
    return {
        "image": write_nifti(folder / "image.nii.gz", image, AFFINE),
        "gt": write_nifti(folder / "gt.nii.gz", gt, AFFINE),
        "pred": write_nifti(folder / "pred.nii.gz", pred, AFFINE),
    }


@pytest.fixture
def rel_case(tmp_path, write_nifti):
    return write_case(tmp_path / "case", write_nifti)


def make_window(qtbot, register=True):
    """A shown, active main window (registered with qtbot unless ``register`` is False)."""
    from dicegui.gui.main_window import MainWindow

    w = MainWindow()
    if register:
        qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is w, timeout=5000)
    return w


def drag(window, pixels, modifiers=NOMOD) -> None:
    """Press on the first screen pixel, move through the others, release on the last (real events)."""
    vp = window.view.viewport()
    points = [window.view.widget_pos_of(r, c) for r, c in pixels]
    QTest.mousePress(vp, LEFT, modifiers, points[0])
    for p in points[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, LEFT, modifiers, points[-1])


def assert_panel_matches(window):
    """The scores panel shows exactly a fresh ``overlap()`` of the arrays as they are now."""
    from dicegui.core.metrics import overlap
    from dicegui.gui.scores_panel import format_value

    s = window.session
    label = window.focus_label
    gt, pred = (s.gt > 0, s.pred > 0) if label is None else (s.gt == label, s.pred == label)
    ref = overlap(gt, pred)
    # and independently of the metrics module: counts straight from the arrays
    tp = int(np.count_nonzero(gt & pred))
    fp = int(np.count_nonzero(~gt & pred))
    fn = int(np.count_nonzero(gt & ~pred))
    assert (ref["tp"], ref["fp"], ref["fn"]) == (tp, fp, fn)
    if 2 * tp + fp + fn:
        assert ref["dice"] == pytest.approx(2 * tp / (2 * tp + fp + fn), rel=1e-12)
    panel = window.scores
    for key in ("dice", "iou", "tp", "fp", "fn"):
        assert panel.text(key) == format_value(key, ref[key]), (key, panel.text(key), ref[key])
    live = s.volume_scores(label)
    for key in ("tp", "fp", "fn", "tn"):
        assert live[key] == ref[key], (key, live[key], ref[key])
    assert live["dice"] == pytest.approx(ref["dice"], abs=0, nan_ok=True)
    return ref


@pytest.fixture
def rel():
    """Helpers as a fixture (test modules cannot import conftest)."""
    class Helpers:
        SHAPE = SHAPE
        AFFINE = AFFINE
        write_case = staticmethod(write_case)
        make_window = staticmethod(make_window)
        drag = staticmethod(drag)
        assert_panel_matches = staticmethod(assert_panel_matches)
    return Helpers
