"""Cases written by the tests: a hand-checked score table, bad files, missing masks, drops, recents, exports."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

from dicegui.core.metrics import overlap
from dicegui.gui import settings
from dicegui.gui.dialogs import DropRolesDialog, guess_role, guess_roles

AFFINE_2MM = np.diag([2.0, 2.0, 2.0, 1.0])


@pytest.fixture
def tiny_case(tmp_path, write_nifti):
    """6×5×4 voxels of 2 mm, with TP = 5, FP = 3, FN = 2 (so TN = 110), all on slice k = 1."""
    gt = np.zeros((6, 5, 4), np.uint8)
    pred = np.zeros_like(gt)
    gt[0, 0:5, 1] = 1          # 5 voxels, all predicted: TP = 5
    pred[0, 0:5, 1] = 1
    gt[1, 0:2, 1] = 1          # 2 reference voxels the prediction misses: FN = 2
    pred[2, 0:3, 1] = 1        # 3 predicted voxels not in the reference: FP = 3
    image = np.arange(gt.size, dtype=np.float32).reshape(gt.shape)
    return {
        "image": write_nifti(tmp_path / "img.nii.gz", image, AFFINE_2MM),
        "gt": write_nifti(tmp_path / "gt.nii.gz", gt, AFFINE_2MM),
        "pred": write_nifti(tmp_path / "pred.nii.gz", pred, AFFINE_2MM),
    }


def test_hand_checked_scores(window, tiny_case):
    assert window.open_paths(tiny_case)
    t = window.scores.text
    # worked by hand: TP 5, FP 3, FN 2, TN 120 − 10 = 110
    assert (t("tp"), t("fp"), t("fn"), t("tn")) == ("5", "3", "2", "110")
    assert t("dice") == "0.6667"               # 2·5 / (2·5 + 3 + 2) = 10/15
    assert t("iou") == "0.5000"                # 5 / 10
    assert t("accuracy") == "0.9583"           # 115 / 120
    assert t("precision") == "0.6250"          # 5 / 8
    assert t("sensitivity") == "0.7143"        # 5 / 7
    assert t("specificity") == "0.9735"        # 110 / 113
    assert t("volume_similarity") == "0.9333"  # 1 − |2 − 3| / 15
    assert t("gt_size") == "0.06"                # 7 voxels × 8 mm³ = 0.056 mL
    assert t("pred_size") == "0.06"              # 8 × 8 mm³ = 0.064 mL
    # opens on the only slice with any foreground (k = 1), where all disagreement is
    assert window.plane.name == "axial" and window.index == 1
    assert t("dice", "slice") == "0.6667"
    window.set_slice(0)
    assert t("tp", "slice") == "0" and t("dice", "slice") == "1.0000"  # both empty: 1 by convention
    assert "2 mm" not in window.windowTitle() and "img.nii.gz" in window.windowTitle()


def test_bad_file_gives_a_dialog_naming_it_and_the_window_stays_usable(window, tmp_path, message_boxes, qtbot):
    window.open_demo("totalseg")
    before = window.session
    broken = tmp_path / "broken_scan.nii.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 definitely not a NIfTI file")
    assert not window.open_paths({"image": broken})
    assert message_boxes, "no dialog"
    kind, title, text = message_boxes[-1]
    assert kind == "critical" and "broken_scan.nii.gz" in text
    assert window.session is before  # the demo is still open
    window.view.setFocus()
    i = window.index
    qtbot.keyClick(window.view, Qt.Key.Key_Down if i > 0 else Qt.Key.Key_Up)
    assert window.index != i


def test_missing_file_and_mismatched_grid(window, tmp_path, tiny_case, write_nifti, message_boxes):
    assert not window.open_paths({"image": tmp_path / "nowhere.nii.gz"})
    assert "nowhere.nii.gz" in message_boxes[-1][2]
    other = write_nifti(tmp_path / "other_grid.nii.gz", np.zeros((7, 5, 4), np.uint8), AFFINE_2MM)
    assert not window.open_paths({"image": tiny_case["image"], "gt": other})
    assert "other_grid.nii.gz" in message_boxes[-1][2]
    assert window.session is None


def test_a_missing_mask_is_fine(window, tiny_case):
    assert window.open_paths({"image": tiny_case["image"], "gt": tiny_case["gt"]})
    assert not window.session.has_scores
    assert "prediction is missing" in window.scores.message.text()
    assert window.overlay_panel.current_kind() == "gt_labels"
    assert window.view.overlay_item.codes is not None
    window.step(1)  # navigation works without scores
    assert window.open_with_role("pred", tiny_case["pred"])
    assert window.session.has_scores and window.scores.text("tp") == "5"


def test_recent_cases_are_kept_in_the_test_settings(window, tiny_case, private_settings):
    assert window.open_paths(tiny_case)
    assert Path(settings.settings().fileName()).is_relative_to(private_settings)
    recent = settings.recent_cases()
    assert recent[0] == {r: str(Path(p).resolve()) for r, p in tiny_case.items()}
    window.open_paths({"image": tiny_case["image"]})
    window.open_paths(tiny_case)
    recent = settings.recent_cases()
    assert len(recent) == 2 and recent[0]["gt"].endswith("gt.nii.gz")  # de-duplicated, newest first
    window._fill_recent_menu()
    assert any("gt.nii.gz" in a.text() for a in window.recent_menu.actions())


def test_drop_assigns_roles(window, tiny_case, monkeypatch, qtbot):
    monkeypatch.setattr(DropRolesDialog, "exec", lambda self: QtWidgets.QDialog.DialogCode.Accepted)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(p)) for p in tiny_case.values()])
    pos = QtCore.QPointF(100, 100)
    enter = QtGui.QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                                  Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.sessionChanged, timeout=5000):
        window.dropEvent(drop)
    assert {r: p.name for r, p in window.session.paths.items()} == {
        "image": "img.nii.gz", "gt": "gt.nii.gz", "pred": "pred.nii.gz"}
    assert window.scores.text("fp") == "3"


def test_role_guessing():
    assert guess_role("case01_pred.nii.gz") == "pred"
    assert guess_role("example_seg_fast.nii.gz") == "pred"
    assert guess_role("example_seg.nii.gz") == "gt"
    assert guess_role("labels/case01_gt.nrrd") == "gt"
    assert guess_role("example_ct_sm.nii.gz") == "image"
    roles = guess_roles([Path("a.nii"), Path("b.nii"), Path("c_gt.nii")])
    assert sorted(roles.values()) == ["gt", "image", "pred"]


def test_exports(window, tiny_case, tmp_path, qtbot):
    window.open_paths(tiny_case)
    window.wait_for_workers()
    ref = overlap(window.session.case.gt_mask, window.session.case.pred_mask)
    js = window.export_scores(tmp_path / "scores.json")
    doc = json.loads(js.read_text())
    for key in ("tp", "fp", "fn", "tn", "dice", "iou", "accuracy"):
        assert doc["volume"][key] == ref[key]
    assert doc["volume"]["gt_ml"] == pytest.approx(0.056)
    assert doc["surface"]["result"]["hd95"] is not None
    assert doc["slice"]["plane"] == "axial" and doc["slice"]["index"] == 1
    rows = list(csv.DictReader(window.export_scores(tmp_path / "scores.csv").open()))
    assert rows[0]["scope"] == "volume" and float(rows[0]["dice"]) == pytest.approx(ref["dice"])
    assert int(rows[0]["fp"]) == 3
    png = window.export_view_png(tmp_path / "view.png")
    img = QtGui.QImage(str(png))
    assert not img.isNull() and img.width() == window.views.widget.width()  # every pane of the layout


def test_masks_only_and_image_only(window, tiny_case):
    assert window.open_paths({"gt": tiny_case["gt"], "pred": tiny_case["pred"]})
    assert window.session.image is None and window.scores.text("fp") == "3"
    assert window.view.image_item.image.shape == window.view.image_shape
    assert window.open_paths({"image": tiny_case["image"]})
    assert "open a reference and a prediction" in window.scores.message.text()
    assert window.view.overlay_item.codes is None
    window.step(1)


def test_command_line_with_files_and_screenshot(tiny_case, tmp_path, qapp):
    from dicegui.gui.app import main

    png = tmp_path / "case.png"
    code = main([str(tiny_case["image"]), "--gt", str(tiny_case["gt"]), "--pred", str(tiny_case["pred"]),
                 "--plane", "coronal", "--screenshot", str(png)])
    assert code == 0
    img = QtGui.QImage(str(png))
    assert (img.width(), img.height()) == (1600, 1000)


def test_open_case_dialog_and_drop_dialog_roles(qtbot, tiny_case):
    from dicegui.gui.dialogs import OpenCaseDialog

    dlg = OpenCaseDialog({"image": tiny_case["image"], "gt": tiny_case["gt"]})
    qtbot.addWidget(dlg)
    assert dlg.paths() == {"image": tiny_case["image"], "gt": tiny_case["gt"]}
    dlg.rows["gt"].edit.clear()
    dlg.rows["pred"].edit.setText(str(tiny_case["pred"]))
    assert dlg.paths() == {"image": tiny_case["image"], "pred": tiny_case["pred"]}
    drop = DropRolesDialog([tiny_case["pred"], tiny_case["gt"]])
    qtbot.addWidget(drop)
    assert drop.roles() == {"pred": tiny_case["pred"], "gt": tiny_case["gt"]}
    drop.combos[tiny_case["pred"]].setCurrentIndex(0)  # "(ignore)"
    assert drop.roles() == {"gt": tiny_case["gt"]}
