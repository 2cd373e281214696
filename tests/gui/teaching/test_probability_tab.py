"""Probability tab: the best threshold marked on the curve and the button that goes there, against a numpy sweep."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.gui.teaching.probability_tab import THRESHOLDS, probability_map


def test_best_threshold_is_marked_and_the_button_goes_there(window, teaching):
    assert window.open_demo("probability")
    window.qa.wait()
    s = window.session
    tab = teaching.probability
    teaching.tabs.setCurrentWidget(tab)
    prob = probability_map(s).astype(np.float64)
    gt = s.gt != 0
    brute = []
    for t in THRESHOLDS:  # brute force: every threshold of the slider, counted here
        p = prob >= t
        tp, fp, fn = np.sum(p & gt), np.sum(p & ~gt), np.sum(~p & gt)
        brute.append(2 * tp / (2 * tp + fp + fn))
    i = int(np.argmax(brute))
    x, y = tab.best_marker.getData()
    assert x.tolist() == [THRESHOLDS[i]] and y[0] == pytest.approx(brute[i], abs=1e-12)
    assert f"t = {THRESHOLDS[i]:.2f} (Dice {brute[i]:.4f})" in tab.best_button.text()
    assert tab.slider.value() == 50 and i != 50  # the demo opens at 0.5, which is not the best here
    tab.best_button.click()
    tab.flush()
    assert tab.slider.value() == i
    assert f"Dice <b>{brute[i]:.4f}</b>" in tab.hard_label.text()
    np.testing.assert_array_equal(s.pred != 0, prob >= THRESHOLDS[i])
    assert window.scores.text("dice") == f"{brute[i]:.4f}"


def test_lambda_slider_and_the_bce_dilution_sentence(window, teaching):
    from PySide6 import QtWidgets

    assert window.open_demo("probability")
    window.qa.wait()
    tab = teaching.probability
    teaching.tabs.setCurrentWidget(tab)
    prob = probability_map(window.session).astype(np.float64)
    t = (window.session.gt != 0).astype(np.float64)
    soft = (2 * np.sum(prob * t) + 1e-5) / (prob.sum() + t.sum() + 1e-5)
    q = np.clip(prob, 1e-7, 1 - 1e-7)
    per_voxel = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    bce = per_voxel.mean()
    act = QtWidgets.QAbstractSlider.SliderAction
    tab.lambda_slider.triggerAction(act.SliderToMinimum)
    for _ in range(20):
        tab.lambda_slider.triggerAction(act.SliderSingleStepAdd)  # λ = 0.20, one step at a time
    assert tab.lambda_label.text() == "λ = 0.20"
    combo = 0.2 * (1 - soft) + 0.8 * bce
    assert tab.soft_labels["combo_loss"].text().endswith(f"= {combo:.4f}")
    tab.lambda_slider.triggerAction(act.SliderToMaximum)
    assert tab.soft_labels["combo_loss"].text().endswith(f"= {1 - soft:.4f}")
    easy = per_voxel < 0.01
    text = tab.dilution_label.text()
    assert f"Mean BCE is only {bce:.4f}" in text and f"all {t.size:,} voxels" in text
    assert f"{int(easy.sum()):,} of them" in text
    assert f"the other {int((~easy).sum()):,} average {per_voxel[~easy].mean():.4f}" in text


def test_multiclass_cross_entropy_of_a_softmax_map(window, teaching, tmp_path, monkeypatch):
    import nibabel as nib

    from dicegui.gui import activation_dialog

    gt = np.zeros((10, 9, 4), np.uint8)
    gt[2:6, 2:6, 1:3] = 1
    gt[7:9, 1:4, 0:2] = 2
    rng = np.random.default_rng(5)
    x = rng.normal(size=(*gt.shape, 3)).astype(np.float32)
    for c in range(3):
        x[..., c] += 2.0 * (gt == c)
    nib.save(nib.Nifti1Image(gt, np.eye(4)), str(tmp_path / "g.nii.gz"))
    nib.save(nib.Nifti1Image(x, np.eye(4)), str(tmp_path / "c.nii.gz"))
    monkeypatch.setattr(activation_dialog, "ask_activation", lambda parent, exc: {"channels": "softmax"})
    assert window.open_paths({"gt": tmp_path / "g.nii.gz", "pred": tmp_path / "c.nii.gz"}, remember=False)
    window.qa.wait()
    tab = teaching.probability
    xd = x.astype(np.float64)
    soft = np.exp(xd - xd.max(-1, keepdims=True))
    soft /= soft.sum(-1, keepdims=True)
    picked = np.take_along_axis(soft, gt[..., None].astype(np.int64), axis=-1)[..., 0]
    ce = -np.mean(np.log(picked))
    assert f"3 softmax channels: −mean(log p[reference label]) = {ce:.4f}" in tab.ce_label.text()
    # one Dice curve per label, best points against a brute-force sweep of each channel
    curves = tab.label_curves
    assert curves.isVisibleTo(tab) and sorted(curves.best) == [1, 2]
    for c in (1, 2):
        t = gt == c
        brute = []
        for th in THRESHOLDS:
            p = soft[..., c] >= th
            tp, fp, fn = np.sum(p & t), np.sum(p & ~t), np.sum(~p & t)
            brute.append(2 * tp / (2 * tp + fp + fn))
        i = int(np.argmax(brute))
        assert curves.best[c]["threshold"] == THRESHOLDS[i]
        assert curves.best[c]["dice"] == pytest.approx(brute[i], abs=1e-6)
        assert f"best t = {THRESHOLDS[i]:.2f} (Dice {brute[i]:.4f})" in curves.best_text.text()


def _hard_line_of_the_shown_prediction(s) -> tuple[float, str]:
    """Dice, TP, FP, FN of the prediction on screen against the reference, counted here, as the tab writes them."""
    p, g = s.pred != 0, s.gt != 0
    tp, fp, fn = int(np.sum(p & g)), int(np.sum(p & ~g)), int(np.sum(~p & g))
    dice = 2 * tp / (2 * tp + fp + fn)
    return dice, f"Dice <b>{dice:.4f}</b> · IoU {tp / (tp + fp + fn):.4f} · TP {tp:,} · FP {fp:,} · FN {fn:,}"


def _ctrl_z(qtbot, window, shift=False):
    from PySide6.QtCore import Qt

    mods = Qt.KeyboardModifier.ControlModifier
    if shift:
        mods |= Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_Z, mods)


def test_undo_of_a_threshold_step_brings_the_slider_back_with_its_numbers(qtbot, window, teaching):
    from PySide6.QtCore import Qt

    assert window.open_demo("probability")
    window.qa.wait()
    s = window.session
    tab = teaching.probability
    teaching.tabs.setCurrentWidget(tab)
    prob = probability_map(s).astype(np.float64)
    qtbot.mouseClick(tab.best_button, Qt.MouseButton.LeftButton)
    teaching.flush()
    best = tab.slider.value()
    assert best != 50
    _ctrl_z(qtbot, window)
    teaching.flush()
    np.testing.assert_array_equal(s.pred != 0, prob >= 0.5)  # the undo wrote p >= 0.50 back
    _, line = _hard_line_of_the_shown_prediction(s)
    assert tab.hard_label.text() == f"<b>p ≥ 0.50</b>: {line}"
    assert tab.t_label.text() == "t = 0.50" and tab.apply_box.isChecked()
    _ctrl_z(qtbot, window, shift=True)
    teaching.flush()
    np.testing.assert_array_equal(s.pred != 0, prob >= THRESHOLDS[best])
    _, line = _hard_line_of_the_shown_prediction(s)
    assert tab.hard_label.text() == f"<b>p ≥ {THRESHOLDS[best]:.2f}</b>: {line}"
    assert tab.slider.value() == best and tab.apply_box.isChecked()
    # the slider moved by the undo is not a new step: redo is still the last one
    assert window.editor.history.index == window.editor.history.count


def test_a_brush_stroke_unticks_show_threshold_and_its_undo_ticks_it_again(qtbot, window, teaching):
    from test_teaching_panel import _drag

    assert window.open_demo("probability")
    window.qa.wait()
    s = window.session
    tab = teaching.probability
    teaching.tabs.setCurrentWidget(tab)
    prob = probability_map(s).astype(np.float64)
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(3)
    before = s.pred.copy()
    _drag(window, [(10, 10), (10, 30), (10, 50)])  # a corner of the slice: background of the map
    teaching.flush()
    assert not np.array_equal(s.pred, before)
    assert not any(np.array_equal(s.pred != 0, prob >= t) for t in THRESHOLDS)
    assert not tab.apply_box.isChecked()
    assert tab.hard_label.text().startswith("<b>The prediction was edited</b>: the scan no longer shows")
    assert "(not on the scan)" in tab.hard_label.text()
    # moving the slider now only explores: the stroke stays
    tab.slider.setValue(30)
    teaching.flush()
    assert np.array_equal(s.pred[before != s.pred], np.ones(int(np.sum(before != s.pred)), s.pred.dtype))
    _ctrl_z(qtbot, window)
    teaching.flush()
    np.testing.assert_array_equal(s.pred, before)
    _, line = _hard_line_of_the_shown_prediction(s)
    assert tab.apply_box.isChecked() and tab.hard_label.text() == f"<b>p ≥ 0.50</b>: {line}"
