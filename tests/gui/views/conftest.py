"""Linked-views test setup: an oriented, anisotropic case on disk and the window with it open."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

SHAPE = (40, 48, 24)
AFFINE = np.array([
    [-0.8, 0.0, 0.0, 20.0],
    [0.0, 1.2, 0.0, -30.0],
    [0.0, 0.0, 2.0, 5.0],
    [0.0, 0.0, 0.0, 1.0],
])


def _ellipsoid(centre, radii):
    i, j, k = np.ogrid[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    return ((i - centre[0]) / radii[0]) ** 2 + ((j - centre[1]) / radii[1]) ** 2 \
        + ((k - centre[2]) / radii[2]) ** 2 <= 1.0


@pytest.fixture
def views_case(tmp_path, write_nifti):
    rng = np.random.default_rng(11)
    image = rng.integers(-100, 200, size=SHAPE).astype(np.int16)
    gt = _ellipsoid((20, 24, 12), (10, 12, 8)).astype(np.uint8)
    pred = _ellipsoid((22, 22, 12), (9, 12, 7)).astype(np.uint8)
    return {
        "image": write_nifti(tmp_path / "image.nii.gz", image, AFFINE),
        "gt": write_nifti(tmp_path / "gt.nii.gz", gt, AFFINE),
        "pred": write_nifti(tmp_path / "pred.nii.gz", pred, AFFINE),
    }


@pytest.fixture
def views_window(window, views_case):
    assert window.open_paths(views_case, remember=False), window.last_error
    window.runner.cancel()
    QApplication.processEvents()
    window.view.setFocus()
    yield window
    window.editor.history.mark_discarded()
