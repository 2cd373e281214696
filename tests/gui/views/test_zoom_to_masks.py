"""Zoom to the masks (Z): a structure of a few voxels fills the views; from a worklist a small one opens zoomed."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dicegui.core.display import PLANES, voxel_to_plane
from dicegui.score_cli import main as score_main

SHAPE = (96, 96, 40)  # i, j, k of the files: 40 axial slices of 96×96
LENS = (slice(60, 63), slice(30, 33), slice(20, 23))  # a 3×3×3 "lens": 27 voxels


def _lens_pair():
    gt = np.zeros(SHAPE, np.uint8)
    gt[LENS] = 1
    pred = gt.copy()
    pred[61, 31, 22] = 0  # one missed voxel: something to score
    return gt, pred


def _visible_pixels(view):
    """(rows, cols) ranges of the slice a view shows, in pixels."""
    (x0, x1), (y0, y1) = view.vb.viewRange()
    row_mm, col_mm = view.pixel_mm
    return (y0 / row_mm, y1 / row_mm), (x0 / col_mm, x1 / col_mm)


def _structure_rect(window, name):
    """Hand-worked: the lens's pixel rectangle in a view, from its eight corners through voxel_to_plane."""
    shape = window.session.shape
    corners = [(i, j, k) for i in (60, 62) for j in (30, 32) for k in (20, 22)]
    pts = [voxel_to_plane(PLANES[name], c, shape)[1:] for c in corners]
    rows = [r for r, _ in pts]
    cols = [c for _, c in pts]
    return min(rows), max(rows) + 1, min(cols), max(cols) + 1


@pytest.fixture
def lens_window(window, tmp_path, write_nifti):
    gt, pred = _lens_pair()
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt), "pred": write_nifti(tmp_path / "pred.nii.gz", pred)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.view.setFocus()
    yield window
    window.editor.history.mark_discarded()


def test_z_fits_every_view_to_a_small_structure_with_context_and_r_fits_the_slice_again(lens_window, qtbot):
    w = lens_window
    w.set_layout("2x2")
    qtbot.keyClick(w.view, Qt.Key.Key_Z)
    for name in ("axial", "coronal", "sagittal"):
        view = w.views.views[name]
        (r0, r1), (c0, c1) = _visible_pixels(view)
        sr0, sr1, sc0, sc1 = _structure_rect(w, name)
        assert r0 <= sr0 and sr1 <= r1 and c0 <= sc0 and sc1 <= c1, name  # the lens is in view
        # 3 voxels of 1 mm grown to MIN_MM = 40 mm (by hand: (40 - 3) / 2 each side); the aspect
        # may widen one direction, never both
        assert min(r1 - r0, c1 - c0) == pytest.approx(40, abs=1), name
        rows, cols = view.image_shape
        assert max(r1 - r0, c1 - c0) < 0.9 * max(rows, cols), name
        # the views' slices go through the lens
        st = w.views.state
        assert LENS[PLANES[name].axis].start <= st.cursor[PLANES[name].axis] < LENS[PLANES[name].axis].stop
    qtbot.keyClick(w.view, Qt.Key.Key_R)  # the focused view fits its whole slice again
    (r0, r1), (c0, c1) = _visible_pixels(w.view)
    rows, cols = w.view.image_shape
    assert r0 <= 0 and r1 >= rows and c0 <= 0 and c1 >= cols


def test_z_brings_the_cursor_to_the_structure_only_along_axes_where_it_was_away(lens_window, qtbot):
    w = lens_window
    st = w.views.state
    away = (st.cursor[0], st.cursor[1], 5)  # axial slice 5: no lens there
    w.views.set_cursor(away)
    qtbot.keyClick(w.view, Qt.Key.Key_Z)
    assert st.cursor[:2] == away[:2]
    assert 20 <= st.cursor[2] < 23
    assert w.index == st.cursor[2]


def test_z_with_empty_masks_says_there_is_nothing_to_zoom_onto(window, tmp_path, write_nifti, qtbot):
    empty = np.zeros((20, 20, 6), np.uint8)
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", empty), "pred": write_nifti(tmp_path / "pred.nii.gz", empty)}
    assert window.open_paths(paths, remember=False), window.last_error
    before = window.view.vb.viewRange()
    qtbot.keyClick(window.view, Qt.Key.Key_Z)
    assert window.view.vb.viewRange() == before
    assert "Nothing to zoom onto" in window.statusBar().currentMessage()


def test_a_small_structure_opens_zoomed_from_the_worklist_and_a_large_one_fitted(window, qtbot, tmp_path):
    study = tmp_path / "study"
    (study / "gt").mkdir(parents=True)
    (study / "pred").mkdir()
    gt, pred = _lens_pair()
    np.save(study / "gt" / "lens_gt.npy", gt)
    np.save(study / "pred" / "lens_pred.npy", pred)
    big = np.zeros(SHAPE, np.uint8)
    big[10:80, 10:85, 5:35] = 1  # most of every slice
    np.save(study / "gt" / "liver_gt.npy", big)
    np.save(study / "pred" / "liver_pred.npy", big)
    table = study / "results.csv"
    with open(os.devnull, "w") as null:
        assert score_main(["--gt-dir", str(study / "gt"), "--pred-dir", str(study / "pred"), "--out", str(table),
                           "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
    cw = window.qa.cohort.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(table)
    assert cw.open_case("lens")
    (r0, r1), (c0, c1) = _visible_pixels(window.view)
    assert min(r1 - r0, c1 - c0) == pytest.approx(40, abs=1)
    assert cw.open_case("liver")
    (r0, r1), (c0, c1) = _visible_pixels(window.view)
    rows, cols = window.view.image_shape
    assert r0 <= 0 and r1 >= rows and c0 <= 0 and c1 >= cols


def test_thick_slices_keep_40_mm_of_context_not_40_slices(window, tmp_path, write_nifti, qtbot):
    gt, pred = _lens_pair()
    affine = np.diag([0.5, 0.5, 2.5, 1.0])  # 0.5 mm pixels, 2.5 mm slices
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt, affine),
             "pred": write_nifti(tmp_path / "pred.nii.gz", pred, affine)}
    assert window.open_paths(paths, remember=False), window.last_error
    window.set_layout("2x2")
    qtbot.keyClick(window.view, Qt.Key.Key_Z)
    for name in ("axial", "coronal", "sagittal"):
        (x0, x1), (y0, y1) = window.views.views[name].vb.viewRange()  # scene units: mm
        # the lens spans 1.5 mm across and 7.5 mm along S: both grow to 40 mm, the aspect may widen one
        assert min(x1 - x0, y1 - y0) == pytest.approx(40.0, abs=2.5), name
    window.editor.history.mark_discarded()


def test_the_scale_bar_follows_the_zoom(lens_window, qtbot):
    """A 96 mm wide slice fitted: a bar of about a sixth of the view; zoomed onto the lens (40 mm): 5 mm."""
    w = lens_window
    w.set_layout("1x1")
    qtbot.keyClick(w.view, Qt.Key.Key_R)
    (x0, x1), _ = w.view.vb.viewRange()
    fitted = w.view.scale_bar.size
    assert fitted <= (x1 - x0) / 6.0 < 2.5 * fitted  # the largest 1/2/5 step not above a sixth
    qtbot.keyClick(w.view, Qt.Key.Key_Z)
    (x0, x1), _ = w.view.vb.viewRange()
    assert w.view.scale_bar.size <= (x1 - x0) / 6.0 < 2.5 * w.view.scale_bar.size
    assert w.view.scale_bar.size < fitted
    assert w.view.scale_bar.text.toPlainText() == f"{w.view.scale_bar.size:g} mm"
