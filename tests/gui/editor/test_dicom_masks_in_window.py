"""A CT series with a SEG reference and an RT Structure Set prediction: opened, edited and saved as DICOM in the window."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from synthetic_dicom import write_ct_series

pytest.importorskip("highdicom")


def _case(folder):
    from dicegui.core.io.dicom_seg import write_seg
    from dicegui.core.io.rtstruct import write_rtstruct

    write_ct_series(folder / "ct", n=12, rows=40, cols=40)
    gt = np.zeros((40, 40, 12), np.uint8)
    gt[4:20, 4:20, 2:10] = 1
    gt[24:36, 24:36, 3:9] = 2
    pred = np.zeros_like(gt)
    pred[6:20, 4:18, 2:10] = 1  # "Parotid R" is label 2 in the structure set: renumbered by name on opening
    write_seg(gt, folder / "ct", folder / "gt_seg.dcm", names={1: "Parotid R", 2: "Brainstem"},
              colors={1: (230, 159, 0), 2: (86, 180, 233)})
    write_rtstruct(np.where(pred == 1, 2, 0).astype(np.uint8), folder / "ct", folder / "pred_rt.dcm",
                   names={1: "Brainstem", 2: "Parotid R"})
    return gt, pred


def _dice(a, b):
    a, b = a != 0, b != 0
    return 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


def test_seg_and_rtstruct_open_edit_and_save_as_dicom(window, ui, qtbot, tmp_path, monkeypatch):
    from dicegui.core.io.dicom_case import dicom_mask_kind
    from dicegui.core.io.dicom_seg import read_seg
    from dicegui.core.io.rtstruct import read_rtstruct

    gt, pred = _case(tmp_path)
    assert window.open_paths({"image": tmp_path / "ct", "gt": tmp_path / "gt_seg.dcm",
                              "pred": tmp_path / "pred_rt.dcm"}, remember=False), window.last_error
    case = window.session.case
    assert np.array_equal(case.gt_mask, gt) and np.array_equal(case.pred_mask, pred)
    assert case.label_names == {1: "Parotid R", 2: "Brainstem"}
    assert window.session.live.overlap()["dice"] == pytest.approx(_dice(gt, pred))

    # paint the prediction with the brush, through the view
    window.editor.panel.set_target("pred")
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(1)
    window.set_slice(5)
    ui.drag([(30, 26), (30, 34)])
    edited = window.session.case.pred_mask.copy()
    assert not np.array_equal(edited, pred)
    assert window.session.live.overlap()["dice"] == pytest.approx(_dice(gt, edited))

    # Save: the dialog offers the structure set's own kind; the user picks DICOM SEG
    offered = []

    def save_dialog(parent, caption, start="", filters="", preset="", *args, **kwargs):
        offered.append((start, preset))
        assert "DICOM SEG (*.dcm)" in filters and "DICOM RT Structure Set (*.dcm)" in filters
        return str(tmp_path / "pred_corrected"), "DICOM SEG (*.dcm)"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    qtbot.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    out = tmp_path / "pred_corrected.dcm"
    assert offered == [(str(tmp_path / "pred_rt_corrected.dcm"), "DICOM RT Structure Set (*.dcm)")]
    assert out.is_file() and dicom_mask_kind(out) == "seg"
    back = read_seg(out, tmp_path / "ct")
    assert np.array_equal(back.label_map, edited) and back.names == {1: "Parotid R"}
    assert not window.editor.history.is_modified("pred")

    # Save As… a structure set of the reference, named after its ROIs
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "gt_again.dcm"), "DICOM RT Structure Set (*.dcm)")))
    assert window.editor.saver.save_as("gt") == tmp_path / "gt_again.dcm"
    rt = read_rtstruct(tmp_path / "gt_again.dcm", tmp_path / "ct")
    assert np.array_equal(rt.label_map, gt) and rt.names == {1: "Parotid R", 2: "Brainstem"}


def test_a_seg_without_its_series_says_what_to_open(window, tmp_path, message_boxes):
    _case(tmp_path)
    assert not window.open_paths({"gt": tmp_path / "gt_seg.dcm"}, remember=False)
    text = message_boxes[-1][2]
    assert "gt_seg.dcm" in text and "DICOM SEG is drawn on an image series" in text and "series' folder" in text
    assert window.session is None


def test_a_dicom_target_for_a_case_without_a_series_is_refused_and_the_edits_kept(edit_window, ui, tmp_path,
                                                                                   monkeypatch, message_boxes):
    w = edit_window
    w.editor.panel.set_target("pred")
    w.editor.set_tool("brush")
    w.set_slice(6)
    ui.drag([(6, 3), (6, 20)])
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "x.dcm"), "DICOM SEG (*.dcm)")))
    assert w.editor.saver.save_as("pred") is None
    assert "not a DICOM series; save as NIfTI or NRRD" in message_boxes[-1][2]
    assert not (tmp_path / "x.dcm").exists() and w.editor.history.is_modified("pred")


def test_a_dcm_added_to_the_name_typed_asks_before_replacing_a_file(window, tmp_path, monkeypatch, message_boxes):
    from dicegui.core.io.dicom_seg import read_seg

    gt, _ = _case(tmp_path)
    assert window.open_paths({"image": tmp_path / "ct", "gt": tmp_path / "gt_seg.dcm"}, remember=False)
    before = (tmp_path / "gt_seg.dcm").read_bytes()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "gt_seg"), "DICOM SEG (*.dcm)")))
    assert window.editor.saver.save_as("gt") is None  # the recorded question is answered "Ok", not Yes
    assert any(kind == "question" and "gt_seg.dcm already exists" in text for kind, _, text in message_boxes)
    assert (tmp_path / "gt_seg.dcm").read_bytes() == before
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        staticmethod(lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes))
    assert window.editor.saver.save_as("gt") == tmp_path / "gt_seg.dcm"
    assert np.array_equal(read_seg(tmp_path / "gt_seg.dcm", tmp_path / "ct").label_map, gt)
