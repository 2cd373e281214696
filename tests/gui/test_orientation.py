"""A marker at a known patient corner appears where a radiologist expects it on screen."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui

from dicegui.core.display import PLANES
from dicegui.gui.scores_panel import OVERLAP_ROWS


def _screen_rgb(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    return np.frombuffer(img.constBits(), np.uint8, count=h * bpl).reshape(h, bpl)[:, : 3 * w].reshape(h, w, 3)


def _white_centroid(widget):
    rgb = _screen_rgb(widget).astype(int)
    white = (rgb > 245).all(axis=2)
    assert white.any(), "marker not visible"
    rows, cols = np.nonzero(white)
    return cols.mean(), rows.mean()


@pytest.fixture
def lps_case(tmp_path, write_nifti):
    """An LPS-stored, anisotropic volume (like DICOM-derived NIfTI) with a bright
    marker in the patient's right-anterior-superior corner."""
    shape = (20, 24, 16)
    affine = np.array([
        [-1.5, 0.0, 0.0, 30.0],   # file i runs towards patient Left
        [0.0, -1.0, 0.0, 40.0],   # file j runs towards Posterior
        [0.0, 0.0, 2.0, -10.0],   # file k runs towards Superior
        [0.0, 0.0, 0.0, 1.0],
    ])
    i, j, k = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    data = (i + 2 * j + 3 * k).astype(np.int16)  # asymmetric grey background, all below the marker
    data[0:3, 0:3, 13:16] = 2000  # right (small i), anterior (small j), superior (large k)
    return write_nifti(tmp_path / "lps_marker.nii.gz", data, affine), (1, 1, 14)


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_right_anterior_superior_marker_is_top_left(window, lps_case, plane, qtbot):
    path, marker_file_ijk = lps_case
    assert window.open_paths({"image": path})
    window.window_level.choose("Full range")
    window.set_plane(plane)
    s = window.session
    marker = s.grid.from_file_index(marker_file_ijk)
    window.set_slice(marker[PLANES[plane].axis])
    qtbot.wait(10)
    x, y = _white_centroid(window.view)
    rows, cols = window.view.image_shape
    centre = window.view.widget_pos_of((rows - 1) / 2, (cols - 1) / 2)
    # axial/coronal: patient right on screen left; sagittal: anterior on screen left
    assert x < centre.x()
    # axial: anterior at the top; coronal/sagittal: superior at the top
    assert y < centre.y()
    top, bottom, left, right = PLANES[plane].edges
    assert window.view.edge_labels["left"].text() == left
    assert window.view.edge_labels["top"].text() == top


def test_anisotropic_pixels_keep_their_aspect(window, lps_case):
    path, _ = lps_case
    window.open_paths({"image": path})
    window.set_plane("coronal")
    # coronal rows run along S (2.0 mm), columns along R-L (1.5 mm)
    assert window.view.pixel_mm == (2.0, 1.5)
    a = window.view.widget_pos_of(0, 0)
    b = window.view.widget_pos_of(10, 10)
    assert (b.y() - a.y()) / (b.x() - a.x()) == pytest.approx(2.0 / 1.5, rel=0.02)


def test_two_d_png_shows_in_file_order(window, tmp_path):
    from skimage import io as skio

    img = np.full((40, 60), 60, np.uint8)
    img[2:8, 3:10] = 255  # top-left of the picture
    path = tmp_path / "photo.png"
    skio.imsave(str(path), img, check_contrast=False)
    assert window.open_paths({"image": path})
    assert window.session.grid.is_2d
    assert not window.act_plane["coronal"].isEnabled()
    window.window_level.choose("Full range")
    x, y = _white_centroid(window.view)
    centre = window.view.widget_pos_of(19.5, 29.5)
    assert x < centre.x() and y < centre.y()


def test_two_d_case_reports_areas(window, tmp_path, qtbot):
    from skimage import io as skio

    img = np.full((40, 60), 60, np.uint8)
    gt = np.zeros((40, 60), np.uint8)
    gt[10:20, 10:30] = 255  # 200 pixels
    pred = np.zeros_like(gt)
    pred[10:20, 10:25] = 255  # 150 pixels, all inside gt
    for name, a in (("im.png", img), ("gt.png", gt), ("pred.png", pred)):
        skio.imsave(str(tmp_path / name), a, check_contrast=False)
    assert window.open_paths({"image": tmp_path / "im.png", "gt": tmp_path / "gt.png", "pred": tmp_path / "pred.png"})
    row = [k for k, _ in OVERLAP_ROWS].index("gt_size")
    # PNGs store no pixel size: areas in px², not a made-up mm²
    assert window.scores.overlap.verticalHeaderItem(row).text() == "Reference area (px²)"
    assert window.scores.text("gt_size") == "200.00"
    assert window.scores.text("dice") == f"{2 * 150 / 350:.4f}"
    window.wait_for_workers()
    doc = window.current_report()
    assert doc["volume"]["gt_px2"] == pytest.approx(200) and "gt_ml" not in doc["volume"]
    assert doc["size_unit"] == "px²"
    # 2-D boundary distances: the prediction's right edge is 5 pixels inside the reference's
    assert doc["surface"]["result"]["hd"] == pytest.approx(5)
