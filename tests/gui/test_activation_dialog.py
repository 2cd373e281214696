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


def _read(*flags):
    """What the window's --sigmoid / --softmax flags ask of open_case (parsed as the program does)."""
    from dicegui.gui.app import _activation, build_parser

    return _activation(build_parser().parse_args(["--pred", "p.nii.gz", *flags]))


def test_window_flags_read_logits_and_channels_without_asking(window, tmp_path, activation_questions):
    gt, logits = _files(tmp_path)
    paths = {"gt": tmp_path / "gt.nii.gz", "pred": tmp_path / "logits.nii.gz"}
    assert window.open_paths(paths, remember=False, read=_read("--sigmoid"))
    raw = logits[..., 1] - logits[..., 0]
    assert np.array_equal(window.session.case.pred_mask, (raw >= 0).astype(np.uint8))  # sigmoid(x) >= 0.5
    # a map of channels: --softmax reads the argmax; --sigmoid a sigmoid per channel (the question's answers)
    paths["pred"] = tmp_path / "channels.nii.gz"
    assert window.open_paths(paths, remember=False, read=_read("--softmax", "last"))
    assert np.array_equal(window.session.case.pred_mask, np.argmax(logits, axis=-1))
    assert window.open_paths(paths, remember=False, read=_read("--sigmoid"))
    assert window.session.case.pred_channels.activation == "sigmoid"
    assert activation_questions == []


def test_window_flags_that_cannot_be_used_are_refused():
    from dicegui.gui.app import _activation, build_parser

    parse = build_parser().parse_args
    assert "not both" in _activation(parse(["--pred", "p.nii.gz", "--sigmoid", "--softmax"]))
    assert "--pred" in _activation(parse(["--gt", "g.nii.gz", "--sigmoid"]))
    assert _activation(parse(["--pred", "p.nii.gz"])) is None
    assert _activation(parse(["--pred", "p.nii.gz", "--softmax"])) == {"channels": "softmax", "channel_axis": None}
    assert _activation(parse(["--pred", "p.nii.gz", "--softmax", "first"]))["channel_axis"] == 0


def test_a_screenshot_of_logits_needs_the_flag_and_the_message_names_it(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    _files(tmp_path)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DICEGUI_SETTINGS_DIR=str(tmp_path / "settings"),
               PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    base = [sys.executable, "-m", "dicegui", "--gt", "gt.nii.gz", "--pred", "logits.nii.gz", "--screenshot"]
    refused = subprocess.run([*base, "no.png"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and not (tmp_path / "no.png").exists()
    assert "logits.nii.gz" in refused.stderr and "--sigmoid" in refused.stderr and "Traceback" not in refused.stderr
    shot = subprocess.run([*base, "yes.png", "--sigmoid"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert shot.returncode == 0, shot.stderr
    assert (tmp_path / "yes.png").read_bytes().startswith(b"\x89PNG")
