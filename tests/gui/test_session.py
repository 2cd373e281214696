"""Units of a case: a PNG has no voxel size, so areas, distances and the scale bar are in pixels."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


def _png(path, rows, cols):
    a = np.zeros((8, 10), np.uint8)
    a[rows[0]:rows[1], cols[0]:cols[1]] = 255
    Image.fromarray(a).save(path)
    return path


@pytest.fixture
def png_case(tmp_path):
    # reference: rows 2-5, cols 2-6 (4×5 = 20 px); prediction: rows 2-5, cols 4-8 (20 px);
    # overlap cols 4-6 (4×3 = 12 px): Dice = 2·12 / 40 = 0.6
    gt = _png(tmp_path / "gt.png", (2, 6), (2, 7))
    pred = _png(tmp_path / "pred.png", (2, 6), (4, 9))
    return {"gt": gt, "pred": pred}


def test_png_case_shows_pixels_not_millimetres(window, png_case):
    assert window.open_paths(png_case, remember=False)
    s = window.session
    assert (s.length_unit, s.size_unit, s.size_per_voxel) == ("px", "px²", 1.0)
    scores = window.scores
    assert scores.text("dice") == "0.6000"
    assert scores.text("gt_size") == "20.00" and scores.text("pred_size") == "20.00"
    headers = {scores.overlap.verticalHeaderItem(r).text() for r in range(scores.overlap.rowCount())}
    assert {"Reference area (px²)", "Prediction area (px²)"} <= headers
    surface = [scores.surface.verticalHeaderItem(r).text() for r in range(scores.surface.rowCount())]
    assert not any("mm" in h for h in surface), surface
    assert "HD95 (px)" in surface and "Hausdorff, max (px)" in surface
    assert scores.tolerance.suffix() == " px"
    assert window.wait_for_workers()
    # every reference border pixel is at most 2 px from the prediction's border (col 2 → col 4)
    assert scores.surface_text("hd") == "2.00"
    assert "mm" not in scores.surface.verticalHeaderItem(2).text()
    bar = window.view.scale_bar
    assert bar is not None and bar.text.toPlainText().endswith(" px")
    # the HD marker writes its length in pixels too
    marker = window.qa.hd_marker
    marker.show_box.setChecked(True)
    window.qa.wait()
    assert marker.pair is not None
    assert marker.text.toPlainText().endswith(" px") and "mm" not in marker.status.text()


def test_nifti_case_keeps_millimetres(window, tmp_path, write_nifti):
    gt = np.zeros((6, 6, 4), np.uint8)
    gt[1:4, 1:4, 1:3] = 1
    affine = np.diag([0.5, 0.5, 2.0, 1.0])
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt, affine),
             "pred": write_nifti(tmp_path / "pred.nii.gz", gt, affine)}
    assert window.open_paths(paths, remember=False)
    s = window.session
    assert (s.length_unit, s.size_unit) == ("mm", "mL")
    # 18 voxels of 0.5 mm³ = 9 mm³ = 0.009 mL
    assert s.sizes(s.volume_scores())[0] == pytest.approx(0.009)
    assert window.scores.tolerance.suffix() == " mm"
    assert window.view.scale_bar.text.toPlainText().endswith(" mm")


def test_title_names_the_folders_when_the_masks_share_a_file_name(window, tmp_path, write_nifti):
    """A cohort keeps gt/case.nii.gz and model/case.nii.gz: the title must tell them apart, once."""
    m = np.zeros((6, 6, 4), np.uint8)
    m[1:4, 1:4, 1:3] = 1
    (tmp_path / "gt").mkdir()
    (tmp_path / "model_a").mkdir()
    paths = {"gt": write_nifti(tmp_path / "gt" / "case07.nii.gz", m),
             "pred": write_nifti(tmp_path / "model_a" / "case07.nii.gz", m)}
    assert window.open_paths(paths, remember=False)
    title = window.windowTitle()
    assert "gt/case07.nii.gz" in title and "model_a/case07.nii.gz" in title
    assert "dicegui" not in title  # Qt appends the application's name itself
