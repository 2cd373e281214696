"""Teaching panel: live formulas, the accuracy trap, threshold curve, soft scores, gradients, hidden reference."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core.display import plane_image, plane_to_voxel
from dicegui.core.metrics import overlap
from dicegui.gui.overlay_panel import KIND_CONFUSION, KIND_PRED_LABELS
from dicegui.gui.teaching.probability_tab import THRESHOLDS, probability_map


def _counts(g, p):
    """TP/FP/FN/TN counted directly from the masks."""
    g, p = g != 0, p != 0
    return {"tp": int(np.sum(g & p)), "fp": int(np.sum(~g & p)), "fn": int(np.sum(g & ~p)),
            "tn": int(np.sum(~g & ~p))}


def test_formulas_show_the_live_counts(window, teaching):
    assert window.open_demo("totalseg")
    window.qa.wait()
    s = window.session
    c = _counts(s.gt, s.pred)
    dice = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"])
    text = teaching.formula_labels["dice"].text()
    assert (f"2·{c['tp']:,} / (2·{c['tp']:,} + {c['fp']:,} + {c['fn']:,}) = {2 * c['tp']:,} / "
            f"{2 * c['tp'] + c['fp'] + c['fn']:,} = {dice:.4f}") in text
    iou = c["tp"] / (c["tp"] + c["fp"] + c["fn"])
    assert teaching.formula_labels["iou_from_dice"].text().endswith(f"= {iou:.4f}")
    assert f"{dice:.4f} / (2 − {dice:.4f})" in teaching.formula_labels["iou_from_dice"].text()
    acc = (c["tp"] + c["tn"]) / s.gt.size
    assert f"{c['tp'] + c['tn']:,} / {s.gt.size:,} = {acc:.4f}" in teaching.formula_labels["accuracy"].text()
    # focus one label (liver): that label's counts
    window.overlay_panel.select_label(5)
    teaching.flush()
    c5 = _counts(s.gt == 5, s.pred == 5)
    assert f"2·{c5['tp']:,} / (2·{c5['tp']:,} + {c5['fp']:,} + {c5['fn']:,})" in teaching.formula_labels["dice"].text()
    assert "label 5 liver" in teaching.scope.text()


def test_trap_button_shows_high_accuracy_and_zero_dice_and_undoes(window, teaching):
    assert window.open_demo("accuracy-trap")
    window.qa.wait()
    # the accuracy-trap demo: already there, button says the prediction is empty
    s = window.session
    c = _counts(s.gt, s.pred)
    acc = (c["tp"] + c["tn"]) / s.gt.size
    assert acc >= 0.99 and c["tp"] == 0
    assert "Dice is 0.0000" in teaching.trap_text.text() and f"{100 * acc:.2f} %" in teaching.trap_text.text()
    assert not teaching.empty_button.isEnabled()
    # the full demo, one small structure (right adrenal gland): empty its prediction
    assert window.open_demo("totalseg")
    window.overlay_panel.select_label(8)
    window.qa.wait()
    s = window.session
    pred_before = s.pred.copy()
    assert teaching.empty_button.isEnabled() and "adrenal" in teaching.empty_button.text()
    assert teaching.empty_prediction()
    teaching.flush()
    g, p = s.gt == 8, s.pred == 8
    c = _counts(g, p)
    assert c["tp"] == 0 and c["fp"] == 0
    acc = (c["tp"] + c["tn"]) / g.size
    assert acc >= 0.99
    assert teaching.counts["dice"] == 0.0 and teaching.counts["accuracy"] == pytest.approx(acc, abs=1e-15)
    assert teaching.formula_labels["dice"].text().endswith("= 0.0000")
    assert f"({100 * acc:.2f} %)" in teaching.formula_labels["accuracy"].text()
    assert "Dice is 0.0000" in teaching.trap_text.text()
    # the other structures were left alone
    assert np.array_equal(s.pred[pred_before != 8], pred_before[pred_before != 8])
    # one undo step in the editor's history, and undo brings it back
    assert "Empty the prediction" in window.editor.history.texts()[-1]
    teaching.undo_button.click()
    np.testing.assert_array_equal(s.pred, pred_before)
    assert teaching.counts["tp"] == _counts(s.gt == 8, s.pred == 8)["tp"] > 0


def test_threshold_curve_equals_overlap_at_sampled_thresholds(window, teaching):
    assert window.open_demo("probability")
    window.qa.wait()
    s = window.session
    tab = teaching.probability
    assert tab.content.isVisible() and "Illustrative" in tab.note.text()
    prob = probability_map(s).astype(np.float64)
    gt = s.gt.copy()
    x, dice = tab.dice_curve.getData()
    _, iou = tab.iou_curve.getData()
    np.testing.assert_array_equal(x, THRESHOLDS)
    for i in (0, 13, 37, 50, 64, 88, 100):
        ref = overlap(gt, prob >= x[i])
        assert dice[i] == ref["dice"] and iou[i] == ref["iou"], x[i]
    # moving the slider: the shown scores are overlap() at that threshold, and the prediction follows
    tab.set_threshold_index(73)
    t = THRESHOLDS[73]
    ref = overlap(gt, prob >= t)
    assert tab.hard["dice"] == ref["dice"] and tab.hard["tp"] == ref["tp"]
    assert f"Dice <b>{ref['dice']:.4f}</b>" in tab.hard_label.text()
    np.testing.assert_array_equal(s.pred != 0, prob >= t)
    assert s.live.overlap() == ref
    assert window.scores.text("dice") == f"{ref['dice']:.4f}"
    # soft scores: written out here from their definitions
    target = gt != 0
    soft = (2 * np.sum(prob * target) + 1e-5) / (prob.sum() + target.sum() + 1e-5)
    q = np.clip(prob, 1e-7, 1 - 1e-7)
    bce = -np.mean(target * np.log(q) + (1 - target) * np.log(1 - q))
    assert tab.summary["soft_dice"] == pytest.approx(soft, rel=1e-9)
    assert tab.summary["dice_loss"] == pytest.approx(1 - soft, rel=1e-9)
    assert tab.summary["bce"] == pytest.approx(bce, rel=1e-9)
    assert tab.summary["combo_loss"] == pytest.approx(1 - soft + bce, rel=1e-9)
    assert tab.soft_labels["soft_dice"].text() == f"{soft:.4f}"
    # a larger smooth term raises soft Dice of this map only a little (large structure)
    tab.smooth.setCurrentIndex(tab.smooth.findData(10.0))
    soft10 = (2 * np.sum(prob * target) + 10.0) / (prob.sum() + target.sum() + 10.0)
    assert tab.summary["soft_dice"] == pytest.approx(soft10, rel=1e-9)
    # undo the threshold step: back to p >= 0.5
    window.editor.undo()
    np.testing.assert_array_equal(s.pred != 0, prob >= 0.5)


def test_smooth_table_is_the_soft_dice_of_its_cases(teaching):
    table = teaching.smooth_table
    smooths = table.table_data["smooth"]
    for i, row in enumerate(table.table_data["rows"]):
        for j, s in enumerate(smooths):
            sp, st, spt = row["prob_sum"], row["target_sum"], row["overlap_sum"]
            expected = (2 * spt + s) / (sp + st + s)
            assert table.text(i, j) != "" and float(table.text(i, j)) == pytest.approx(expected, abs=5e-5)
    # empty target, two voxels predicted: near 0 with a tiny smooth, 1/3 with smooth 1
    empty_row = [r["case"] for r in table.table_data["rows"]].index("empty target, 2 voxels predicted")
    assert float(table.text(empty_row, smooths.index(1.0))) == pytest.approx(1 / 3, abs=5e-5)


def test_gradient_overlay_is_minus_the_loss_gradient_on_the_slice(window, teaching):
    assert window.open_demo("probability")
    window.qa.wait()
    s = window.session
    grad = teaching.gradient
    teaching.tabs.setCurrentWidget(grad)
    grad.show_box.setChecked(True)
    p = probability_map(s).astype(np.float64)
    t = (s.gt != 0).astype(np.float64)
    # finite differences of the whole-volume losses, at a few voxels of the current slice
    def dice_loss(pp):
        return 1 - (2 * np.sum(pp * t) + 1e-5) / (pp.sum() + t.sum() + 1e-5)

    def bce(pp):
        q = np.clip(pp, 1e-7, 1 - 1e-7)
        return -np.mean(t * np.log(q) + (1 - t) * np.log(1 - q))

    plane = window.plane
    p_slice = plane_image(p, plane, window.index)
    # pixels near the structure's border, where p lies strictly inside (0, 1)
    inside = np.argwhere((p_slice > 0.05) & (p_slice < 0.95))
    rng = np.random.default_rng(0)
    for key, loss, h in (("dice", dice_loss, 1e-4), ("bce", bce, 1e-6)):
        grad.loss_buttons[key].setChecked(True)
        img = grad.shown_image
        assert img.shape == p_slice.shape
        for r, c in inside[rng.choice(len(inside), 3, replace=False)]:
            ijk = plane_to_voxel(plane, window.index, int(r), int(c), s.shape)
            up, down = p.copy(), p.copy()
            up[ijk] += h
            down[ijk] -= h
            fd = (loss(up) - loss(down)) / (2 * h)
            assert img[r, c] == pytest.approx(-fd, rel=1e-4), (key, ijk)
    assert grad.item.isVisible() and "colour scale" in grad.info.text()
    grad.show_box.setChecked(False)
    assert not grad.item.isVisible()


def test_hide_reference_hides_and_reveals(window, teaching):
    assert window.open_demo("totalseg")
    window.qa.wait()
    window.qa.hd_marker.show_box.setChecked(True)
    panel = window.overlay_panel
    assert panel.current_kind() == KIND_CONFUSION and window.right_dock.isVisible()
    teaching.hide_button.click()
    assert teaching.exercise.hidden
    assert panel.current_kind() == KIND_PRED_LABELS and not panel.kind.isEnabled()
    assert not window.right_dock.isVisible()
    assert not window.qa.docks["errors"].isVisible() and not window.qa.docks["slice_dice"].isVisible()
    assert not teaching.content.isVisible() and not window.cursor_label.isVisible()
    assert not any(lab.isVisible() for lab in panel.count_labels.values())
    assert not window.qa.hd_marker.show_box.isChecked()
    assert not window.qa.actions["next_region"].isEnabled()
    # the overlay drawn now holds prediction labels only: no reference-only (FN) pixel is coloured
    _, g, p = window.session.planes_of(window.plane, window.index)
    codes = window.view.overlay_item.codes
    assert not np.any(codes[(g != 0) & (p == 0)])
    # reveal: everything back, with the scores of the masks as they are
    teaching.hide_button.click()
    assert not teaching.exercise.hidden
    assert panel.current_kind() == KIND_CONFUSION and panel.kind.isEnabled()
    assert window.right_dock.isVisible() and window.qa.docks["slice_dice"].isVisible()
    assert teaching.content.isVisible() and window.cursor_label.isVisible()
    d = overlap(window.session.gt, window.session.pred)["dice"]
    assert f"Dice {d:.4f}" in teaching.exercise_text.text()
    assert window.qa.actions["next_region"].isEnabled()


def _drag(window, pixels):
    """Press, move and release on the view's viewport through screen pixels (row, col), as a hand does."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    vp = window.view.viewport()
    points = [window.view.widget_pos_of(r, c) for r, c in pixels]
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for pt in points[1:]:
        QTest.mouseMove(vp, pt)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])


def test_the_exercise_gives_nothing_away_locks_the_reference_and_scores_each_attempt(window, teaching):
    assert window.open_demo("totalseg")
    window.qa.wait()
    window.overlay_panel.select_label(7)  # the teacher looks at the pancreas, on its slice
    window.qa.navigator.next()
    s = window.session
    gt_before = s.gt.copy()
    assert window.banner.isVisible()
    teaching.hide_button.click()
    # no size, no place, no shell: banner, 3-D view hidden; the views at the middle of the volume
    assert not window.banner.isVisible() and not window.views.error_view.isVisible()
    assert tuple(window.views.state.cursor) == tuple(n // 2 for n in s.shape)
    shown = [w.text() for w in window.findChildren(type(window.banner)) if w.isVisible()]
    n_ref = int(np.count_nonzero(s.gt == 7))
    assert not any(f"{n_ref:,}" in t or str(n_ref) in t for t in shown)
    # the reference cannot be chosen for editing; a stroke goes to the prediction
    panel = window.editor.panel
    assert panel.target() == "pred" and not panel.target_buttons["gt"].isEnabled()
    window.editor.set_tool("brush")
    panel.radius.setValue(2)
    _drag(window, [(40, 30), (40, 45), (40, 60)])
    assert np.array_equal(s.gt, gt_before) and window.editor.history.is_modified("pred")
    # reveal: the attempt is scored against the reference, as numpy counts it
    teaching.hide_button.click()
    c = _counts(s.gt, s.pred)
    dice1 = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"])
    assert len(teaching.exercise.attempts) == 1
    assert f"Revealed, attempt 1: Dice {dice1:.4f}" in teaching.exercise_text.text()
    assert window.banner.isVisible() and panel.target_buttons["gt"].isEnabled()
    # a second attempt lists the first
    teaching.hide_button.click()
    _drag(window, [(80, 30), (80, 45), (80, 60)])
    teaching.hide_button.click()
    c = _counts(s.gt, s.pred)
    dice2 = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"])
    assert f"Revealed, attempt 2: Dice {dice2:.4f}" in teaching.exercise_text.text()
    assert f"Earlier: 1: Dice {dice1:.4f}." in teaching.exercise_text.text()


def test_the_gradient_overlay_belongs_to_its_tab(window, teaching):
    assert window.open_demo("probability")
    window.qa.wait()
    grad = teaching.gradient
    teaching.tabs.setCurrentWidget(grad)
    grad.show_box.setChecked(True)
    assert grad.item.isVisible()
    teaching.tabs.setCurrentIndex(0)  # another tab: the TP/FP/FN overlay is seen again
    assert not grad.item.isVisible()
    teaching.tabs.setCurrentWidget(grad)
    assert grad.item.isVisible()
    window.qa.docks["teaching"].close()  # the teaching dock closed
    assert not grad.item.isVisible()


def test_logits_and_softmax_tab_compares_raw_and_activated_soft_dice(window, teaching, tmp_path, monkeypatch):
    import nibabel as nib

    from dicegui.gui import activation_dialog

    # the seed as logits: probabilities 0.9, 0.1, 0.8, 0.1 against 1, 0, 1, 0, as a 2x2x1 image
    p = np.array([0.9, 0.1, 0.8, 0.1])
    logits = np.log(p / (1 - p)).astype(np.float32).reshape(2, 2, 1)
    target = np.array([1, 0, 1, 0], np.uint8).reshape(2, 2, 1)
    nib.save(nib.Nifti1Image(target, np.eye(4)), str(tmp_path / "t.nii.gz"))
    nib.save(nib.Nifti1Image(logits, np.eye(4)), str(tmp_path / "x.nii.gz"))
    monkeypatch.setattr(activation_dialog, "ask_activation", lambda parent, exc: {"sigmoid": True})
    assert window.open_paths({"gt": tmp_path / "t.nii.gz", "pred": tmp_path / "x.nii.gz"}, remember=False)
    tab = teaching.activation
    teaching.tabs.setCurrentWidget(tab)
    sum_pt = float(np.sum(logits.astype(np.float64) * target))
    raw = 2 * sum_pt / (float(logits.astype(np.float64).sum()) + 2)  # 6.027...
    assert tab.cell_text(0, 0) == "soft Dice" and float(tab.cell_text(0, 1)) == pytest.approx(raw, abs=1e-4)
    assert float(tab.cell_text(0, 2)) == pytest.approx(3.4 / 3.9, abs=1e-4)
    assert "logits are not probabilities" in tab.text.text()

    # three channels read with a softmax: per-class soft Dice under both activations, by numpy
    gt = np.zeros((10, 9, 4), np.uint8)
    gt[2:6, 2:6, 1:3] = 1
    gt[7:9, 1:4, 0:2] = 2
    rng = np.random.default_rng(3)
    x = rng.normal(size=(*gt.shape, 3)).astype(np.float32)
    for c in range(3):
        x[..., c] += 2.0 * (gt == c)
    nib.save(nib.Nifti1Image(gt, np.eye(4)), str(tmp_path / "g.nii.gz"))
    nib.save(nib.Nifti1Image(x, np.eye(4)), str(tmp_path / "c.nii.gz"))
    monkeypatch.setattr(activation_dialog, "ask_activation", lambda parent, exc: {"channels": "softmax"})
    assert window.open_paths({"gt": tmp_path / "g.nii.gz", "pred": tmp_path / "c.nii.gz"}, remember=False)
    xd = x.astype(np.float64)
    soft = np.exp(xd - xd.max(-1, keepdims=True))
    soft /= soft.sum(-1, keepdims=True)
    sig = 1 / (1 + np.exp(-xd))
    for c in range(3):
        t = gt == c
        for col, probs in ((1, soft), (2, sig)):
            expected = (2 * np.sum(probs[..., c] * t) + 1e-5) / (probs[..., c].sum() + t.sum() + 1e-5)
            assert float(tab.cell_text(c, col)) == pytest.approx(expected, abs=1e-4)
    assert "Opened with softmax" in tab.text.text() and "exactly one class" in tab.text.text()


def test_the_hidden_reference_cannot_be_painted_even_when_it_is_the_only_mask(window, teaching, tmp_path):
    import nibabel as nib

    gt = np.zeros((40, 40, 6), np.uint8)
    gt[10:30, 10:30, 1:5] = 1
    nib.save(nib.Nifti1Image(gt, np.eye(4)), str(tmp_path / "gt.nii.gz"))
    assert window.open_paths({"gt": tmp_path / "gt.nii.gz"}, remember=False)
    teaching.hide_button.click()
    assert window.editor.panel.target() == "gt"  # no prediction yet: the only target
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(2)
    before = window.session.case.gt_mask.copy()
    _drag(window, [(5, 5), (5, 15), (5, 25)])
    assert np.array_equal(window.session.case.gt_mask, before)
    assert "reference is hidden" in window.statusBar().currentMessage()


def _history_texts(window) -> list[str]:
    """Every text the Edit history dock shows: its rows, their tooltips, its labels."""
    from PySide6 import QtCore, QtWidgets

    dock = window.editor.history_dock
    texts = [dock.windowTitle(), dock.toolTip()]
    for view in dock.findChildren(QtWidgets.QAbstractItemView):
        texts.append(view.toolTip())
        m = view.model()
        for r in range(m.rowCount()):
            for role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ToolTipRole):
                texts.append(str(m.index(r, 0).data(role) or ""))
    texts += [lab.text() for lab in dock.findChildren(QtWidgets.QLabel)]
    return texts


def test_the_hidden_reference_exercise_shows_no_dice_of_a_stroke_until_reveal(qtbot, window, teaching):
    from PySide6.QtCore import Qt

    assert window.open_demo("totalseg")
    window.qa.wait()
    s = window.session
    teaching.hide_button.click()
    qtbot.keyClick(window, Qt.Key.Key_B)  # the brush, by its key
    assert window.editor.tool is window.editor.tools["brush"]
    before = s.pred.copy()
    g = s.gt != 0
    fg_before = 2 * np.sum(g & (before != 0)) / (g.sum() + np.sum(before != 0))
    _drag(window, [(100, 100), (110, 110), (120, 120)])
    assert not np.array_equal(s.pred, before)
    fg_after = 2 * np.sum(g & (s.pred != 0)) / (g.sum() + np.sum(s.pred != 0))
    assert fg_after != fg_before  # the stroke moved the hidden score: there is something to leak
    shown = [window.statusBar().currentMessage(), window.windowTitle(), *_history_texts(window)]
    assert "Paint pred" in shown[0]
    assert not any("Dice" in t for t in shown), shown
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(s.pred, before)
    shown = [window.statusBar().currentMessage(), window.windowTitle(), *_history_texts(window)]
    assert shown[0].startswith("Undo:") and not any("Dice" in t for t in shown), shown
    # revealed, a stroke reports its ΔDice again
    teaching.hide_button.click()
    _drag(window, [(100, 100), (110, 110), (120, 120)])
    assert "ΔDice(foreground)" in window.statusBar().currentMessage()
