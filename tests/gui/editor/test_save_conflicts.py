"""Two windows saving one file: the second save of A notices B's write and asks; a probability map is saved as a mask, said once."""
from __future__ import annotations

import os

import nibabel as nib
import numpy as np
from PySide6 import QtCore, QtWidgets

from dicegui.gui.editor import saving
from dicegui.gui.main_window import MainWindow

Button = QtWidgets.QMessageBox.StandardButton


def _paint(window, ui, row):
    window.editor.panel.set_target("pred")
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(1)
    window.set_slice(6)
    ui.drag([(row, 3), (row, 20)])


def _warnings(monkeypatch, answer):
    asked = []

    def ask(parent, why):
        asked.append(("The file changed on disk", why))
        return answer
    monkeypatch.setattr(saving, "ask_on_conflict", ask)
    return asked


def test_a_file_changed_by_another_window_is_not_overwritten_unasked(edit_window, ui, case_files, qtbot,
                                                                       tmp_path, monkeypatch):
    a = edit_window
    b = MainWindow()
    qtbot.addWidget(b)
    b.resize(1300, 850)
    b.show()
    qtbot.waitExposed(b)
    assert b.open_paths(case_files, remember=False), b.last_error
    b.runner.cancel()
    ui_b = type(ui)(b)
    target = tmp_path / "shared_corrected.nii.gz"

    _paint(a, ui, 4)
    assert a.editor.saver.save_as("pred", target) == target
    _paint(b, ui_b, 10)
    assert b.editor.saver.save_as("pred", target) == target  # B chose to replace it (its dialog asked)
    from_b = np.asanyarray(nib.load(str(target)).dataobj).copy()
    assert from_b[:, 10, :].any()

    _paint(a, ui, 14)
    asked = _warnings(monkeypatch, "cancel")
    assert a.editor.saver.save("pred") is None  # A's plain Save now asks, and Cancel keeps B's file
    assert len(asked) == 1 and "changed on disk" in asked[0][1] and target.name in asked[0][1]
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(target)).dataobj), from_b)
    assert a.editor.history.is_modified("pred")  # A's edits are still open

    asked = _warnings(monkeypatch, "replace")
    assert a.editor.saver.save("pred") == target  # replace, on purpose
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(target)).dataobj), a.session.case.pred_mask)
    assert len(asked) == 1

    # a file merely touched (same bytes, new time) is not a change
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 5_000_000_000))
    _paint(a, ui, 16)
    asked = _warnings(monkeypatch, "cancel")
    assert a.editor.saver.save("pred") == target and asked == []
    b.editor.history.mark_discarded()
    a.editor.history.mark_discarded()


def test_save_as_from_the_conflict_box_keeps_both_files(edit_window, ui, tmp_path, qtbot, monkeypatch,
                                                        click_in_next_box):
    a = edit_window
    target = tmp_path / "case_corrected.nii.gz"
    _paint(a, ui, 4)
    assert a.editor.saver.save_as("pred", target) == target
    theirs = np.zeros(a.session.case.pred_mask.shape, np.uint8)
    theirs[0, 0, 0] = 1
    nib.save(nib.Nifti1Image(theirs, np.eye(4)), str(target))  # another program rewrites it
    (tmp_path / "case_corrected_2.nii.gz").write_bytes(b"taken")
    offered = []

    def save_dialog(parent, caption, start="", *args, **kwargs):
        offered.append(start)
        return start, ""  # the user accepts the name offered
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    _paint(a, ui, 14)
    seen = click_in_next_box("Save As…")
    out = a.editor.saver.save("pred")
    assert seen and "changed on disk" in seen[0][1] and target.name in seen[0][1]
    assert offered == [str(tmp_path / "case_corrected_3.nii.gz")] and out == tmp_path / "case_corrected_3.nii.gz"
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(out)).dataobj), a.session.case.pred_mask)
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(target)).dataobj), theirs)  # theirs kept
    assert not a.editor.history.is_modified("pred")
    # the next plain Save goes to the new file, without asking
    _paint(a, ui, 16)
    assert a.editor.saver.save("pred") == out and len(offered) == 1

    # Escape on the box is Cancel: nothing written, the edits stay open
    theirs[1, 1, 1] = 1
    nib.save(nib.Nifti1Image(theirs, np.eye(4)), str(out))
    _paint(a, ui, 18)

    def press_escape():
        box = QtWidgets.QApplication.activeModalWidget()
        if not isinstance(box, QtWidgets.QMessageBox):
            QtCore.QTimer.singleShot(20, press_escape)
            return
        qtbot.keyClick(box, QtCore.Qt.Key.Key_Escape)
    QtCore.QTimer.singleShot(0, press_escape)
    assert a.editor.saver.save("pred") is None
    np.testing.assert_array_equal(np.asanyarray(nib.load(str(out)).dataobj), theirs)
    assert a.editor.history.is_modified("pred")
    a.editor.history.mark_discarded()


def test_a_probability_map_is_saved_as_its_mask_after_saying_so_once(window, ui, tmp_path, write_nifti, monkeypatch):
    gt = np.zeros((24, 24, 8), np.uint8)
    gt[6:18, 6:18, 2:6] = 1
    prob = np.zeros(gt.shape, np.float32)
    prob[7:17, 7:17, 2:6] = 0.8
    paths = {"gt": write_nifti(tmp_path / "gt.nii.gz", gt), "pred": write_nifti(tmp_path / "prob.nii.gz", prob)}
    assert window.open_paths(paths, remember=False), window.last_error
    assert window.session.case.pred_info.kind == "probability"
    questions = []

    def question(parent, title, text, *args, **kwargs):
        questions.append(text)
        return Button.Cancel if len(questions) == 1 else Button.Save
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(question))
    out = tmp_path / "prob_corrected.nii.gz"
    window.editor.fill_holes()  # any edit will do; saving does not need one
    assert window.editor.saver.save_as("pred", out) is None and not out.exists()  # cancelled: nothing written
    assert "probability map" in questions[0] and "not probabilities" in questions[0]
    assert window.editor.saver.save_as("pred", out) == out
    saved = np.asanyarray(nib.load(str(out)).dataobj)
    assert set(np.unique(saved)) <= {0, 1}
    np.testing.assert_array_equal(saved != 0, prob >= 0.5)
    assert window.editor.saver.save_as("pred", out) == out and len(questions) == 2  # said once per case
    window.editor.history.mark_discarded()
