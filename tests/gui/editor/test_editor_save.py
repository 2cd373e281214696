"""Saving edited masks: default corrected file, reload, errors keep the edits, unsaved-changes prompts."""
from __future__ import annotations

import errno

import nibabel as nib
import numpy as np
import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import Qt

Button = QtWidgets.QMessageBox.StandardButton


def _answer(monkeypatch, button, calls=None):
    """Make QMessageBox.question return ``button`` (and record the questions)."""
    def question(parent, title, text, *args, **kwargs):
        if calls is not None:
            calls.append((title, text))
        return button
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(question))


def _accept_dialog(monkeypatch, calls=None, chosen=None):
    """Make the Save dialog return ``chosen``, else the path it was pre-filled with (recording the starts)."""
    def ask(parent, caption, start, *args, **kwargs):
        if calls is not None:
            calls.append(start)
        return str(chosen if chosen is not None else start), ""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(ask))


def _paint(window, ui, target="pred", row=6):
    window.editor.panel.set_target(target)
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(2)
    window.set_slice(6)
    ui.drag([(row, 3), (row, 30)])
    assert window.editor.history.is_modified(target)


def _file(path):
    img = nib.load(str(path))
    return np.asanyarray(img.dataobj), img.affine


def test_save_prediction_to_a_corrected_copy_and_reload(edit_window, ui, case_files, qtbot, monkeypatch):
    w = edit_window
    original, original_affine = _file(case_files["pred"])
    _paint(w, ui, "pred")
    edited = w.session.case.pred_mask.copy()
    assert not np.array_equal(edited, original)
    assert "prediction not saved yet" in w.windowTitle()
    asked = []
    _accept_dialog(monkeypatch, asked)
    qtbot.keyClick(w.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    out = case_files["pred"].with_name("pred_corrected.nii.gz")
    # the first save asks, pre-filled with <name>_corrected beside the input (no save folder yet)
    assert asked == [str(out)]
    assert out.is_file()
    assert w.windowTitle().endswith("saves to pred_corrected.nii.gz[*]")
    data, affine = _file(out)
    np.testing.assert_array_equal(data, edited)
    np.testing.assert_array_equal(affine, original_affine)
    assert data.dtype == original.dtype
    # the original file is untouched
    np.testing.assert_array_equal(_file(case_files["pred"])[0], original)
    assert not w.isWindowModified() and not w.editor.act_save.isEnabled()
    # a later save goes to the same file, without asking
    _paint(w, ui, "pred", row=12)
    assert w.editor.saver.save("pred") == out
    assert len(asked) == 1
    np.testing.assert_array_equal(_file(out)[0], w.session.case.pred_mask)
    # reopening the corrected file gives the edited array on the original grid
    assert w.open_paths({**case_files, "pred": out}, remember=False)
    np.testing.assert_array_equal(w.session.case.pred_mask, _file(out)[0])
    np.testing.assert_array_equal(w.session.case.affine, original_affine)


def test_save_reference_from_the_menu_action(edit_window, ui, case_files, monkeypatch):
    w = edit_window
    _accept_dialog(monkeypatch)
    _paint(w, ui, "gt")
    assert w.editor.act_save_role["gt"].isEnabled() and not w.editor.act_save_role["pred"].isEnabled()
    w.editor.act_save_role["gt"].trigger()
    data, affine = _file(case_files["gt"].with_name("gt_corrected.nii.gz"))
    np.testing.assert_array_equal(data, w.session.case.gt_mask)
    np.testing.assert_array_equal(affine, nib.load(str(case_files["gt"])).affine)
    assert not w.isWindowModified()


def test_a_cancelled_save_dialog_writes_nothing(edit_window, ui, case_files, monkeypatch):
    w = edit_window
    target = case_files["pred"].with_name("pred_corrected.nii.gz")
    target.write_bytes(b"keep me")
    _paint(w, ui, "pred")
    _accept_dialog(monkeypatch, chosen="")  # Cancel: the dialog returns no path
    assert w.editor.saver.save("pred") is None
    assert target.read_bytes() == b"keep me"
    assert w.isWindowModified()
    _accept_dialog(monkeypatch)  # the dialog itself asked before replacing
    assert w.editor.saver.save("pred") == target
    np.testing.assert_array_equal(_file(target)[0], w.session.case.pred_mask)


def test_save_as_asks_for_a_file(edit_window, ui, tmp_path, monkeypatch):
    w = edit_window
    _paint(w, ui, "pred")
    chosen = tmp_path / "elsewhere" / "mine.nii.gz"
    chosen.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(chosen), "")))
    w.editor.act_save_as.trigger()
    np.testing.assert_array_equal(_file(chosen)[0], w.session.case.pred_mask)
    assert not w.isWindowModified()


def test_failed_saves_show_a_dialog_and_keep_the_edits(edit_window, ui, tmp_path, monkeypatch, message_boxes):
    w = edit_window
    _paint(w, ui, "pred")
    edited = w.session.case.pred_mask.copy()
    # a folder that cannot be written: its "parent" is a regular file
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    assert w.editor.saver.save_as("pred", blocker / "pred.nii.gz") is None
    kind, title, text = message_boxes[-1]
    assert kind == "critical" and "Could not save" in title and "edits are still open" in text
    assert w.isWindowModified() and w.editor.act_save.isEnabled()
    np.testing.assert_array_equal(w.session.case.pred_mask, edited)
    # a full disk
    import dicegui.core.io as io

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(io, "save_mask", full)
    _accept_dialog(monkeypatch)
    assert w.editor.saver.save("pred") is None
    assert "No space left on device" in message_boxes[-1][2]
    assert w.isWindowModified()
    np.testing.assert_array_equal(w.session.case.pred_mask, edited)
    assert w.editor.history.count == 1  # undo still works
    w.editor.undo()
    assert not w.isWindowModified()


def test_demo_edits_are_saved_where_the_user_chooses(window, ui, tmp_path, monkeypatch):
    from dicegui.core.demo import DEMO_DIR

    assert window.open_demo("totalseg")
    window.runner.cancel()
    _paint(window, ui, "pred")
    chosen = tmp_path / "demo_pred.nii.gz"
    asked = []

    def ask(parent, caption, start, *args):
        asked.append(start)
        return str(chosen), ""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(ask))
    before = sorted(p.name for p in DEMO_DIR.iterdir())
    assert window.editor.saver.save("pred") == chosen
    assert asked and not asked[0].startswith(str(DEMO_DIR))
    assert sorted(p.name for p in DEMO_DIR.iterdir()) == before  # nothing written into the demo folder
    np.testing.assert_array_equal(_file(chosen)[0], window.session.case.pred_mask)


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_closing_with_unsaved_edits_asks(edit_window, ui, case_files, monkeypatch, answer):
    w = edit_window
    _paint(w, ui, "pred")
    calls = []
    _answer(monkeypatch, {"cancel": Button.Cancel, "discard": Button.Discard, "save": Button.Save}[answer], calls)
    _accept_dialog(monkeypatch)
    w.close()
    assert len(calls) == 1 and "unsaved edits" in calls[0][1] and "prediction" in calls[0][1]
    corrected = case_files["pred"].with_name("pred_corrected.nii.gz")
    if answer == "cancel":
        assert w.isVisible() and w.isWindowModified()
        assert not corrected.exists()
    else:
        assert not w.isVisible()
        assert corrected.exists() == (answer == "save")
        if answer == "save":
            np.testing.assert_array_equal(_file(corrected)[0], w.session.case.pred_mask)


def test_closing_without_edits_does_not_ask(edit_window, monkeypatch):
    calls = []
    _answer(monkeypatch, Button.Cancel, calls)
    edit_window.close()
    assert not calls and not edit_window.isVisible()


def test_opening_another_case_with_unsaved_edits_asks(edit_window, ui, monkeypatch):
    w = edit_window
    _paint(w, ui, "gt")
    session = w.session
    _answer(monkeypatch, Button.Cancel)
    assert not w.open_demo("totalseg")
    assert w.session is session and w.isWindowModified()
    # Discard, but the other case fails to open: the edits stay, still unsaved
    _answer(monkeypatch, Button.Discard)
    assert not w.open_paths({"gt": w.session.paths["gt"].with_name("missing.nii.gz")}, remember=False)
    assert w.session is session and w.isWindowModified()
    assert w.open_demo("totalseg")
    assert w.session is not session and not w.isWindowModified()
    assert w.editor.history.count == 0


def test_the_first_save_starts_in_the_last_save_folder(edit_window, ui, case_files, tmp_path, monkeypatch):
    w = edit_window
    elsewhere = tmp_path / "my_work"
    elsewhere.mkdir()
    _paint(w, ui, "pred")
    _accept_dialog(monkeypatch, chosen=elsewhere / "first.nii.gz")
    assert w.editor.saver.save("pred") == elsewhere / "first.nii.gz"
    # the same case opened again: a fresh first save, pre-filled in the folder used last
    assert w.open_paths(case_files, remember=False)
    w.runner.cancel()
    _paint(w, ui, "gt")
    asked = []
    _accept_dialog(monkeypatch, asked)
    out = w.editor.saver.save("gt")
    assert asked == [str(elsewhere / "gt_corrected.nii.gz")] and out == elsewhere / "gt_corrected.nii.gz"
    assert not case_files["gt"].with_name("gt_corrected.nii.gz").exists()  # nothing beside the input
