"""A prediction of logits or channels: the window asks how to read it, opens it so, and restores it so."""
from __future__ import annotations

import nibabel as nib
import numpy as np

from dicegui.gui import activation_dialog

REAL_ASK = activation_dialog.ask_activation  # the tests' conftest answers Cancel in its place


def _files(tmp_path):
    gt = np.zeros((20, 18, 8), np.uint8)
    gt[4:12, 4:12, 2:6] = 1
    gt[14:18, 3:9, 1:5] = 2
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(*gt.shape, 3)).astype(np.float32)
    for c in range(3):
        logits[..., c] += 3.0 * (gt == c)
    nib.save(nib.Nifti1Image(gt, np.eye(4)), str(tmp_path / "gt.nii.gz"))
    nib.save(nib.Nifti1Image(logits, np.eye(4)), str(tmp_path / "channels.nii.gz"))
    nib.save(nib.Nifti1Image(logits[..., 1] - logits[..., 0], np.eye(4)), str(tmp_path / "logits.nii.gz"))
    return gt, logits


def test_channels_are_asked_about_and_read_with_the_softmax_chosen(window, tmp_path, monkeypatch,
                                                                   click_in_next_box):
    gt, logits = _files(tmp_path)
    monkeypatch.setattr(activation_dialog, "ask_activation", REAL_ASK)  # the real box, answered by a click
    seen = click_in_next_box(activation_dialog.SOFTMAX)
    assert window.open_paths({"gt": tmp_path / "gt.nii.gz", "pred": tmp_path / "channels.nii.gz"}, remember=False)
    assert seen and seen[0][0] == "3 channels in the prediction" and "channels.nii.gz" in seen[0][1]
    case = window.session.case
    assert np.array_equal(case.pred_mask, np.argmax(logits, axis=-1))
    assert case.pred_channels.activation == "softmax"
    from dicegui.gui.recovery import read_options

    assert read_options(case) == {"channels": "softmax", "channel_axis": 3}


def test_logits_cancelled_open_nothing_and_say_so(window, tmp_path, activation_questions):
    _files(tmp_path)
    assert not window.open_paths({"gt": tmp_path / "gt.nii.gz", "pred": tmp_path / "logits.nii.gz"}, remember=False)
    assert len(activation_questions) == 1 and activation_questions[0].kind == "logits"
    assert window.session is None and "need an activation" in window.statusBar().currentMessage()


def test_logits_answered_with_a_sigmoid_keep_their_raw_values(window, tmp_path, monkeypatch):
    gt, logits = _files(tmp_path)
    monkeypatch.setattr(activation_dialog, "ask_activation",
                        lambda parent, exc: activation_dialog.keywords_for(activation_dialog.SIGMOID))
    assert window.open_paths({"gt": tmp_path / "gt.nii.gz", "pred": tmp_path / "logits.nii.gz"}, remember=False)
    raw = logits[..., 1] - logits[..., 0]
    np.testing.assert_array_equal(window.session.case.pred_raw, raw)
    assert np.array_equal(window.session.case.pred_mask, (raw >= 0).astype(np.uint8))


def test_the_question_names_the_choices_and_what_each_is_for():
    from dicegui.core.io.errors import ActivationNeeded

    title, text, choices = activation_dialog.activation_question(ActivationNeeded("p.nii: 4 channels", "channels",
                                                                                  "p.nii", 4))
    assert title == "4 channels in the prediction" and choices == (activation_dialog.SOFTMAX,
                                                                   activation_dialog.SIGMOID_EACH)
    assert "exactly one class" in text and "may overlap" in text
    assert activation_dialog.keywords_for(None) is None
