"""Editor test setup: small oriented NIfTI cases on disk, a window with one open, real mouse input.

The cases have a flipped, anisotropic affine (0.8 × 1.2 × 2.5 mm, x running
towards the patient's left) so that the screen ↔ voxel mapping, the flips
and the round-in-mm brush are all exercised.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

SHAPE = (40, 48, 12)
AFFINE = np.array([
    [-0.8, 0.0, 0.0, 20.0],
    [0.0, 1.2, 0.0, -30.0],
    [0.0, 0.0, 2.5, 5.0],
    [0.0, 0.0, 0.0, 1.0],
])
LEFT = QtCore.Qt.MouseButton.LeftButton
NOMOD = QtCore.Qt.KeyboardModifier.NoModifier


def _ellipsoid(centre, radii):
    i, j, k = np.ogrid[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    return ((i - centre[0]) / radii[0]) ** 2 + ((j - centre[1]) / radii[1]) ** 2 \
        + ((k - centre[2]) / radii[2]) ** 2 <= 1.0


@pytest.fixture
def case_files(tmp_path, write_nifti):
    """image / gt / pred NIfTI files of a binary case; returns ``{role: path}``."""
    rng = np.random.default_rng(5)
    image = rng.integers(-100, 200, size=SHAPE).astype(np.int16)
    gt = _ellipsoid((20, 24, 6), (10, 12, 4)).astype(np.uint8)
    pred = _ellipsoid((22, 22, 6), (9, 12, 4)).astype(np.uint8)
    folder = tmp_path / "case"
    folder.mkdir()
    return {
        "image": write_nifti(folder / "image.nii.gz", image, AFFINE),
        "gt": write_nifti(folder / "gt.nii.gz", gt, AFFINE),
        "pred": write_nifti(folder / "pred.nii.gz", pred, AFFINE),
    }


@pytest.fixture
def label_case_files(tmp_path, write_nifti):
    """A label-map case: labels 1 and 2 side by side in both masks."""
    gt = np.zeros(SHAPE, np.uint8)
    gt[_ellipsoid((12, 24, 6), (7, 10, 4))] = 1
    gt[_ellipsoid((28, 24, 6), (7, 10, 4))] = 2
    pred = np.zeros(SHAPE, np.uint8)
    pred[_ellipsoid((13, 25, 6), (7, 9, 4))] = 1
    pred[_ellipsoid((27, 23, 6), (8, 10, 4))] = 2
    folder = tmp_path / "labels"
    folder.mkdir()
    return {
        "gt": write_nifti(folder / "gt_labels.nii.gz", gt, AFFINE),
        "pred": write_nifti(folder / "pred_labels.nii.gz", pred, AFFINE),
    }


def _open(window, paths):
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.view.setFocus()
    return window


@pytest.fixture
def edit_window(window, case_files):
    """The main window with the binary case open (unsaved edits are discarded at the end)."""
    _open(window, case_files)
    yield window
    window.editor.history.mark_discarded()


@pytest.fixture
def label_window(window, label_case_files):
    _open(window, label_case_files)
    yield window
    window.editor.history.mark_discarded()


# ---------------------------------------------------------------- input
class UI:
    """Input helpers and independent references, as a fixture (test modules cannot import conftest)."""

    SHAPE = SHAPE
    AFFINE = AFFINE

    def __init__(self, window):
        self.window = window

    def vp_pos(self, row, col):
        return vp_pos(self.window, row, col)

    def drag(self, pixels, modifiers=NOMOD):
        drag(self.window, pixels, modifiers)

    def click(self, pixel, modifiers=NOMOD):
        click(self.window, pixel, modifiers)

    def screen_slice(self, role):
        return screen_slice(self.window, role)

    disc = staticmethod(lambda *a: disc(*a))
    capsule = staticmethod(lambda *a: capsule(*a))


@pytest.fixture
def ui(window):
    return UI(window)


def vp_pos(window, row, col) -> QtCore.QPoint:
    """Viewport position of the centre of screen pixel (row, col), through the view's mapping."""
    return window.view.widget_pos_of(row, col)


def drag(window, pixels, modifiers=NOMOD) -> None:
    """Press on the first pixel, move through the others (one event each), release on the last."""
    # Let pending layout changes (a dock shown or hidden for the new case)
    # settle, so the pixel positions are computed on the view as displayed.
    QApplication.processEvents()
    vp = window.view.viewport()
    points = [vp_pos(window, r, c) for r, c in pixels]
    QTest.mousePress(vp, LEFT, modifiers, points[0])
    for p in points[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, LEFT, modifiers, points[-1])


def click(window, pixel, modifiers=NOMOD) -> None:
    drag(window, [pixel], modifiers)


def screen_slice(window, role):
    """The current slice of a mask as shown on screen (rows down, columns right)."""
    from dicegui.core.display import plane_image

    return np.array(plane_image(getattr(window.session, role), window.plane, window.index))


def disc(shape, centre, radius, pixel_mm):
    """Pixels whose centre lies within radius·min(spacing) mm of the centre pixel's centre."""
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    r_mm = radius * min(pixel_mm)
    d2 = ((rows - centre[0]) * pixel_mm[0]) ** 2 + ((cols - centre[1]) * pixel_mm[1]) ** 2
    return d2 <= r_mm ** 2 + 1e-9


def capsule(shape, p0, p1, radius, pixel_mm):
    """Pixels whose centre lies within radius·min(spacing) mm of the segment p0–p1 (mm distances)."""
    rows, cols = np.mgrid[:shape[0], :shape[1]]
    pts = np.stack([rows * pixel_mm[0], cols * pixel_mm[1]], axis=-1).astype(float)
    a = np.array([p0[0] * pixel_mm[0], p0[1] * pixel_mm[1]])
    b = np.array([p1[0] * pixel_mm[0], p1[1] * pixel_mm[1]])
    d = b - a
    t = np.clip(((pts - a) @ d) / (d @ d), 0.0, 1.0)
    nearest = a + t[..., None] * d
    d2 = ((pts - nearest) ** 2).sum(-1)
    r_mm = radius * min(pixel_mm)
    return d2 <= r_mm ** 2 + 1e-9
