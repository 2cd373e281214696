"""Region groups set through View ▸ Region groups…: table rows, the label picker, the overlay, a stroke."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from dicegui.core import overlay as ov
from dicegui.core.display import PLANES, voxel_to_plane
from dicegui.gui.region_focus import RegionFocus


def _tumour(shape, centre, radii):
    z, y, x = np.ogrid[:shape[0], :shape[1], :shape[2]]
    return sum(((a - c) / r) ** 2 for a, c, r in zip((z, y, x), centre, radii)) <= 1.0


@pytest.fixture
def brats_like(tmp_path, write_nifti):
    """Oedema (2) around necrosis (1) around enhancing tumour (4); the prediction swaps part of 1 and 4."""
    shape = (36, 40, 16)
    gt = np.zeros(shape, np.uint8)
    gt[_tumour(shape, (18, 20, 8), (12, 14, 6))] = 2
    gt[_tumour(shape, (18, 20, 8), (8, 9, 4))] = 4
    gt[_tumour(shape, (18, 20, 8), (4, 5, 2))] = 1
    pred = np.zeros(shape, np.uint8)
    pred[_tumour(shape, (19, 21, 8), (11, 14, 6))] = 2
    pred[_tumour(shape, (19, 19, 8), (8, 8, 4))] = 1  # necrosis painted over most of the core
    pred[_tumour(shape, (17, 21, 8), (5, 5, 3))] = 4
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    return {"gt": write_nifti(tmp_path / "gt.nii.gz", gt, affine),
            "pred": write_nifti(tmp_path / "pred.nii.gz", pred, affine)}


def _dice(g, p):
    return 2.0 * np.count_nonzero(g & p) / (np.count_nonzero(g) + np.count_nonzero(p))


def _use_dialog(window, qtbot, text=None, preset=None, expect_close=True):
    """Trigger the real menu action; type into (or pick a preset of) the dialog it opens, press OK."""
    seen = {}

    def drive():
        dlg = QtWidgets.QApplication.activeModalWidget()
        seen["dialog"] = dlg
        if preset is not None:
            dlg.preset.setCurrentIndex(dlg.preset.findData(preset))
            dlg.preset.activated.emit(dlg.preset.currentIndex())
        if text is not None:
            dlg.text.clear()
            QTest.keyClicks(dlg.text, text)
        seen["text"] = dlg.text.text()
        QTest.mouseClick(dlg.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok),
                         QtCore.Qt.MouseButton.LeftButton)
        seen["error"] = dlg.error.text()
        if not expect_close:
            dlg.reject()

    QtCore.QTimer.singleShot(50, drive)
    window.structures.regions.act.trigger()
    return seen


def test_regions_typed_in_the_dialog_become_rows_with_the_dice_of_the_unions(window, qtbot, brats_like):
    assert window.open_paths(brats_like, remember=False)
    seen = _use_dialog(window, qtbot, text="WT=1,2,4;TC=1,4;ET=4")
    assert seen["error"] == ""
    s = window.session
    table = window.structures.table
    for name, labels in {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}.items():
        ref = _dice(np.isin(s.gt, labels), np.isin(s.pred, labels))
        assert table.cell_text(name, "dice") == f"{ref:.4f}"
    # the core: a 1/4 swap lowers label 1's and label 4's Dice but not the core's
    assert float(table.cell_text("TC", "dice")) > float(table.cell_text(1, "dice"))
    # label rows are still what the panel reports, regions do not show up as labels
    assert {r[0] for r in window.scores.per_label_rows()} == {1, 2, 4}


def test_preset_in_the_dialog_is_remembered_for_the_next_window(window, qtbot, brats_like):
    assert window.open_paths(brats_like, remember=False)
    seen = _use_dialog(window, qtbot, preset="brats2023")
    assert seen["text"] == "WT=1,2,3;TC=1,3;ET=3"
    # brats2023 on a 1/2/4 case: ET (label 3) is in neither mask, and the box says so
    note = window.structures.regions.note
    assert note.isVisibleTo(window) and "region ET (3)" in note.text()
    from dicegui.gui.main_window import MainWindow

    other = MainWindow()
    qtbot.addWidget(other)
    assert other.structures.regions.groups == {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}


def test_bad_text_keeps_the_dialog_open_and_names_the_problem(window, qtbot, brats_like):
    assert window.open_paths(brats_like, remember=False)
    seen = _use_dialog(window, qtbot, text="WT=1,two", expect_close=False)
    assert "'two'" in seen["error"] and "whole number" in seen["error"]
    assert window.structures.regions.groups == {}


def test_matching_labels_are_offered_the_preset_not_given_it(window, qtbot, brats_like):
    assert window.open_paths(brats_like, remember=False)
    regions = window.structures.regions
    assert regions.groups == {}
    assert "BraTS 2021" in regions.note.text() and regions.note.isVisibleTo(window)
    regions.note.linkActivated.emit("brats2021")  # the link of the note
    assert regions.groups == {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}
    assert not regions.note.isVisibleTo(window)


def test_a_region_picked_in_the_label_picker_drives_overlay_scores_and_slice_plot(window, qtbot, brats_like):
    assert window.open_paths(brats_like, remember=False)
    window.structures.regions.set_groups({"TC": (1, 4)})
    combo = window.overlay_panel.label
    i = next(k for k in range(combo.count()) if combo.itemData(k) == RegionFocus("TC", (1, 4)))
    combo.setCurrentIndex(i)
    s = window.session
    g, p = np.isin(s.gt, (1, 4)), np.isin(s.pred, (1, 4))
    assert window.scores.text("dice") == f"{_dice(g, p):.4f}"
    assert "region TC" in window.scores.title.text()
    # the overlay shows the union's TP / FP / FN on the focused slice
    plane, index = window.plane, window.index
    view = window.view
    _, gs, ps = s.planes_of(plane, index)
    expected = ov.confusion_codes(np.isin(gs, (1, 4)), np.isin(ps, (1, 4)))
    np.testing.assert_array_equal(view.overlay_item.codes, expected)
    # per-slice Dice of the region along the focused view's axis, every slice by hand
    from dicegui.gui.qa.slice_dice_plot import per_slice_dice

    values = per_slice_dice(window, plane.axis)
    gm, pm = np.moveaxis(g, plane.axis, 0), np.moveaxis(p, plane.axis, 0)
    for k in range(len(values)):
        if gm[k].any() or pm[k].any():
            assert values[k] == pytest.approx(_dice(gm[k], pm[k]))
        else:
            assert np.isnan(values[k])


def _paint(window, voxel):
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(2)
    window.set_plane("axial")
    window.views.set_cursor(voxel)
    QtWidgets.QApplication.processEvents()
    _, row, col = voxel_to_plane(PLANES["axial"], voxel, window.session.shape)
    vp = window.view.viewport()
    pts = [window.view.widget_pos_of(row, col), window.view.widget_pos_of(row, col + 3)]
    QTest.mousePress(vp, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, pts[0])
    QTest.mouseMove(vp, pts[1])
    QTest.mouseRelease(vp, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, pts[1])


def test_a_stroke_updates_the_region_rows_at_its_end(window, qtbot, brats_like):
    assert window.open_paths(brats_like, remember=False)
    window.structures.regions.set_groups({"WT": (1, 2, 4)})
    before = window.structures.table.cell_text("WT", "dice")
    window.editor.panel.set_label(4)
    _paint(window, (3, 3, 8))  # enhancing tumour painted far outside the reference
    s = window.session
    assert np.count_nonzero(s.pred[:8, :8, 8] == 4) > 0
    ref = _dice(np.isin(s.gt, (1, 2, 4)), np.isin(s.pred, (1, 2, 4)))
    assert window.structures.table.cell_text("WT", "dice") == f"{ref:.4f}" != before
    window.editor.history.mark_discarded()


def test_a_preset_remembered_from_a_brain_case_is_flagged_on_the_abdominal_demo(window, qtbot, brats_like):
    # set on the BraTS-like case through the dialog: no note there, its labels are the preset's
    assert window.open_paths(brats_like, remember=False)
    _use_dialog(window, qtbot, preset="brats2021")
    regions = window.structures.regions
    assert not regions.note.isVisibleTo(window)
    # the abdominal demo next: WT/TC/ET would be unions of spleen, kidney and gallbladder
    assert window.open_demo("totalseg")
    s = window.session
    outside = sorted((set(np.unique(s.gt).tolist()) | set(np.unique(s.pred).tolist())) - {0, 1, 2, 4})
    assert regions.note.isVisibleTo(window)
    text = regions.note.text()
    assert "BraTS 2021" in text and f"({len(outside)} labels)" in text
    assert "labels " + ", ".join(str(v) for v in outside[:6]) in text
    assert "ET" in window.structures.table.row_keys()
    regions.note.linkActivated.emit("none")  # the note's "no regions" link
    assert regions.groups == {} and not regions.note.isVisibleTo(window)
    assert all(not isinstance(window.overlay_panel.label.itemData(i), RegionFocus)
               for i in range(window.overlay_panel.label.count()))
    window.editor.history.mark_discarded()
