"""Label confusion in the real window: the scores panel's box, its refresh after edits, the label-set note.

References: the pairs of (reference, prediction) values counted with numpy
on the arrays nibabel reads from the files (or on the session's masks after
an edit), and sizes from the affine's voxel volume.
"""
from __future__ import annotations

from collections import Counter

import nibabel as nib
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

SHAPE = (20, 24, 8)
AFFINE = np.diag([0.8, 1.2, 2.5, 1.0])
VOXEL_ML = 0.8 * 1.2 * 2.5 / 1000.0


def swap_case(folder, write_nifti):
    """Labels 1 and 2 in both masks; part of reference 1 predicted as 2 (a 72-voxel swap),
    a missed piece of 2 and a label 4 that only the prediction has."""
    gt = np.zeros(SHAPE, np.uint8)
    gt[2:8, 2:10, 2:6] = 1
    gt[10:16, 2:10, 2:6] = 2
    gt[10:16, 12:14, 3] = 2
    pred = np.zeros(SHAPE, np.uint8)
    pred[2:8, 2:10, 2:6] = 1
    pred[2:8, 2:5, 2:6] = 2
    pred[10:16, 2:10, 2:6] = 2
    pred[17:19, 15:18, 3:5] = 4
    folder.mkdir()
    return {"gt": write_nifti(folder / "gt.nii.gz", gt, AFFINE),
            "pred": write_nifti(folder / "pred.nii.gz", pred, AFFINE)}


def expected_rows(gt, pred):
    """(reference, prediction, voxels, size) of every nonzero cell but (0, 0), by labels."""
    pairs = Counter(zip(np.asarray(gt).ravel().tolist(), np.asarray(pred).ravel().tolist()))
    pairs.pop((0, 0), None)
    return [(g, p, f"{n:,}", f"{n * VOXEL_ML:,.2f}") for (g, p), n in sorted(pairs.items())]


def open_case(window, paths):
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    return window


@pytest.fixture
def swap_window(window, tmp_path, write_nifti):
    paths = swap_case(tmp_path / "swap", write_nifti)
    open_case(window, paths)
    yield window, paths
    window.editor.history.mark_discarded()


def test_box_shows_the_pairs_counted_from_the_files(swap_window):
    window, paths = swap_window
    scores = window.scores
    gt = np.asarray(nib.load(paths["gt"]).dataobj)
    pred = np.asarray(nib.load(paths["pred"]).dataobj)
    assert scores.confusion_box.isVisible()
    assert scores.confusion_rows() == expected_rows(gt, pred)
    swapped = int(np.count_nonzero((gt != 0) & (pred != 0) & (gt != pred)))
    assert swapped == 72
    summary = scores.confusion_summary.text()
    assert f"{swapped:,} voxels" in summary and "reference 1 as 2 (72 voxels)" in summary
    # swap rows are bold, the others not
    t = scores.confusion
    bold = {(r[0], r[1]) for i, r in enumerate(scores.confusion_rows()) if t.item(i, 2).font().bold()}
    assert bold == {(1, 2)}
    # the label-set note joins the case warnings
    assert window.banner.isVisible()
    assert ("reference uses labels 1/2, prediction 1/2/4: label 4 only in the prediction"
            in window.banner.text())


def test_box_follows_an_edit_once_it_ends(swap_window, qtbot):
    window, _ = swap_window
    s = window.session
    updater = window.label_confusion
    nav = window.qa.navigator
    window.qa.show_panel("navigator")
    window.qa.wait()
    i = next(k for k, r in enumerate(nav.regions) if r.kind == "swap")
    rect = nav.table.visualItemRect(nav.table.item(i, 0))
    QTest.mouseClick(nav.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert nav.current == i
    QTest.mouseClick(nav.fix_button, Qt.MouseButton.LeftButton)
    # the fix is an edit: the box waits for the edits to pause, then counts again
    assert updater.pending
    qtbot.waitUntil(lambda: not updater.pending, timeout=5000)
    assert window.scores.confusion_rows() == expected_rows(s.gt, s.pred)
    assert (1, 2) not in {(r[0], r[1]) for r in window.scores.confusion_rows()}
    assert "No label swaps" in window.scores.confusion_summary.text()
    window.editor.undo()
    qtbot.waitUntil(lambda: not updater.pending, timeout=5000)
    assert (1, 2, "72", f"{72 * VOXEL_ML:,.2f}") in window.scores.confusion_rows()


def test_binary_masks_hide_the_box_and_give_no_note(window, tmp_path, write_nifti):
    gt = np.zeros(SHAPE, np.uint8)
    gt[2:8, 2:10, 2:6] = 1
    pred = np.zeros(SHAPE, np.uint8)
    pred[3:9, 2:10, 2:6] = 1
    folder = tmp_path / "binary"
    folder.mkdir()
    open_case(window, {"gt": write_nifti(folder / "gt.nii.gz", gt, AFFINE),
                       "pred": write_nifti(folder / "pred.nii.gz", pred, AFFINE)})
    assert not window.scores.confusion_box.isVisible()
    assert window.label_confusion.result is None
    assert "only in the" not in window.banner.text()


def test_legend_volume_count_of_swaps_equals_the_files(swap_window, qtbot):
    window, _ = swap_window
    window.label_confusion.refresh()
    s = window.session
    # independent count: both foreground, different label
    expected = int(np.count_nonzero((s.gt != 0) & (s.pred != 0) & (s.gt != s.pred)))
    assert expected > 0
    assert window.overlay_panel.count_labels["mismatch/volume"].text() == f"{expected:,}"


def test_a_map_of_too_many_labels_hides_the_box_and_says_why(window, tmp_path, write_nifti):
    from dicegui.core.label_confusion import MAX_MATRIX_LABELS

    # instance ids, one per voxel along a row: more values than a confusion matrix is kept for
    n = MAX_MATRIX_LABELS + 20
    gt = np.zeros((n + 2, 3, 3), np.uint16)
    gt[1:n + 1, 1, 1] = np.arange(1, n + 1)
    pred = gt.copy()
    folder = tmp_path / "ids"
    folder.mkdir()
    paths = {"gt": write_nifti(folder / "gt.nii.gz", gt), "pred": write_nifti(folder / "pred.nii.gz", pred)}
    open_case(window, paths)
    window.label_confusion.refresh()
    assert window.label_confusion.result is None
    assert not window.scores.confusion_box.isVisible()
    assert "Label confusion not shown" in window.statusBar().currentMessage()
