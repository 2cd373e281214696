"""Editing a case with only one mask (issue 10): brush, eraser, fill, undo and the label volumes table.

Real files in tmp_path, real key presses and mouse events on the focused view;
arrays and sizes are checked against numbers computed here from the affine.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

SHAPE = (30, 36, 8)
# Anisotropic, flipped along x: 0.8 × 1.2 × 2.5 mm
AFFINE = np.array([
    [-0.8, 0.0, 0.0, 20.0],
    [0.0, 1.2, 0.0, -30.0],
    [0.0, 0.0, 2.5, 5.0],
    [0.0, 0.0, 0.0, 1.0],
])
VOXEL_ML = 0.8 * 1.2 * 2.5 / 1000.0


def _files(tmp_path, write_nifti, role):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 100, size=SHAPE).astype(np.int16)
    mask = np.zeros(SHAPE, np.uint8)
    mask[10:20, 10:20, 2:6] = 1  # 400 voxels
    mask[3:5, 3:5, 4] = 2        # 4 voxels of a second label
    folder = tmp_path / "one"
    folder.mkdir()
    return {"image": write_nifti(folder / "image.nii.gz", image, AFFINE),
            role: write_nifti(folder / f"{role}.nii.gz", mask, AFFINE)}


def _open(window, paths):
    assert window.open_paths(paths, remember=False), window.last_error
    window.runner.cancel()
    window.view.setFocus()


@pytest.fixture(params=["pred", "gt"])
def one_mask_window(request, window, tmp_path, write_nifti):
    _open(window, _files(tmp_path, write_nifti, request.param))
    yield window, request.param
    window.editor.history.mark_discarded()


def _volume_rows(window):
    return {int(r[0]): (r[2], r[3]) for r in window.scores.label_volume_rows()}


def _expected_row(n):
    return f"{n:,}", f"{n * VOXEL_ML:,.2f}"


def test_brush_eraser_and_undo_edit_the_only_mask(one_mask_window, ui, qtbot):
    w, role = one_mask_window
    other = "gt" if role == "pred" else "pred"
    assert getattr(w.session, other) is None
    assert w.editor.act_tool["brush"].isEnabled()
    absent = w.editor.panel.target_buttons[other]  # greyed, with the reason
    assert not absent.isEnabled() and "New segmentation" in absent.toolTip()
    w.set_slice(0)
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    assert w.editor.tool is not None and w.editor.tool.name == "brush"
    assert w.editor.target == role
    w.editor.panel.radius.setValue(2)
    mask = getattr(w.session, role)
    before = mask.copy()
    shown = ui.screen_slice(role)
    assert not shown.any()
    ui.click((12, 15))
    expected = shown.copy()
    expected[ui.disc(shown.shape, (12, 15), 2, w.view.pixel_mm)] = w.editor.label
    np.testing.assert_array_equal(ui.screen_slice(role), expected)
    painted = int(np.count_nonzero(mask != before))
    assert painted == int(np.count_nonzero(expected)) > 0
    assert w.editor.history.count == 1 and w.isWindowModified()

    # the label volumes follow the stroke (count × voxel mL from the affine)
    label = w.editor.label
    base = {1: 400, 2: 4}
    base[label] = base.get(label, 0) + painted
    assert _volume_rows(w) == {k: _expected_row(n) for k, n in base.items()}
    missing = "reference" if role == "pred" else "prediction"
    assert f"Load a {missing} to score" in w.scores.message.text()
    assert w.scores.volumes_box.isVisibleTo(w.scores)

    # eraser over the same place
    qtbot.keyClick(w.view, Qt.Key.Key_E)
    ui.click((12, 15))
    np.testing.assert_array_equal(mask, before)
    assert _volume_rows(w) == {1: _expected_row(400), 2: _expected_row(4)}

    w.editor.undo()  # the eraser stroke comes back
    assert int(np.count_nonzero(mask != before)) == painted
    w.editor.undo()
    np.testing.assert_array_equal(mask, before)


def test_fill_fills_a_region_of_the_only_mask(one_mask_window, ui, qtbot):
    w, role = one_mask_window
    mask = getattr(w.session, role)
    # draw a closed ring on an empty slice, then fill its inside
    w.set_slice(0)
    shown = ui.screen_slice(role)
    ring = np.zeros(shown.shape, bool)
    ring[5:15, 5:15] = True
    ring[6:14, 6:14] = False
    plane, index = w.plane, w.index
    from dicegui.core.display import plane_to_voxel
    for r, c in zip(*np.nonzero(ring)):
        mask[plane_to_voxel(plane, index, int(r), int(c), w.session.shape)] = 1
    from dicegui.gui.session import Session
    w.set_session(Session(w.session.case, paths=w.session.paths))  # counts the written ring
    w.set_slice(0)
    qtbot.keyClick(w.view, Qt.Key.Key_F)
    assert w.editor.tool.name == "fill"
    w.editor.panel.set_target(role)
    ui.click((9, 9))
    filled = ui.screen_slice(role)
    inside = np.zeros(shown.shape, bool)
    inside[6:14, 6:14] = True
    assert (filled[inside] == w.editor.label).all()
    assert np.count_nonzero(filled) == 100  # ring 36 + inside 64
    assert w.editor.history.count == 1
    assert w.editor.label == 1
    assert _volume_rows(w) == {1: _expected_row(400 + 100), 2: _expected_row(4)}


# ------------------------------------------------------------ new segmentation
def _dialog(monkeypatch, path, calls):
    from PySide6 import QtWidgets

    def ask(parent, caption, start, *args, **kwargs):
        calls.append(start)
        return str(path), ""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(ask))


@pytest.mark.parametrize("role", ["pred", "gt"])
def test_new_segmentation_paints_and_saves_on_the_image_grid(window, ui, tmp_path, write_nifti, qtbot,
                                                             monkeypatch, role):
    import nibabel as nib

    # every image voxel holds its own value: the saved voxel is found by the value shown under the click
    image = np.arange(np.prod(SHAPE), dtype=np.int32).reshape(SHAPE)
    image_path = write_nifti(tmp_path / "scan.nii.gz", image, AFFINE)
    _open(window, {"image": image_path})
    w = window
    new = w.editor.new_segmentation
    other = "gt" if role == "pred" else "pred"
    assert new.actions[role].isEnabled() and new.toolbar_action.isEnabled()
    new.actions[role].trigger()
    assert getattr(w.session, role) is not None and getattr(w.session, other) is None
    assert not new.actions[role].isEnabled() and "already has" in new.actions[role].toolTip()
    assert new.actions[other].isEnabled()
    np.testing.assert_allclose(getattr(w.session.case, role).affine, AFFINE)
    assert w.scores.label_volume_rows()[0][0].startswith("empty mask")

    w.set_slice(3)
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    assert w.editor.target == role
    w.editor.panel.radius.setValue(0)  # one voxel
    ui.click((7, 11))
    shown_value = int(ui.screen_slice("image")[7, 11])
    label = w.editor.label
    assert _volume_rows(w) == {label: _expected_row(1)}

    calls = []
    out_path = tmp_path / "out" / "drawn.nii.gz"
    out_path.parent.mkdir()
    _dialog(monkeypatch, out_path, calls)
    qtbot.keyClick(w.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(calls) == 1 and out_path.is_file()
    img = nib.load(str(out_path))
    assert img.shape == SHAPE
    assert np.allclose(img.affine, AFFINE)
    data = np.asarray(img.dataobj)
    painted = np.argwhere(data != 0)
    assert len(painted) == 1 and data[tuple(painted[0])] == label
    assert image[tuple(painted[0])] == shown_value  # the voxel under the mouse, in file order
    assert not w.isWindowModified()
    assert "saves to drawn.nii.gz" in w.windowTitle()
    # the saved file opens again as the case's mask, on the image's grid, without reorientation
    _open(w, {"image": image_path, role: out_path})
    assert not w.session.case.reorientations
    reopened = getattr(w.session.case, f"{role}_mask")
    np.testing.assert_array_equal(reopened, data)
    assert _volume_rows(w) == {label: _expected_row(1)}


def test_review_keys_label_focus_and_captions_work_with_one_mask(one_mask_window, ui, qtbot):
    w, role = one_mask_window
    mask = getattr(w.session, role)
    w.set_slice(3)
    for key, mod in ((Qt.Key.Key_N, Qt.KeyboardModifier.NoModifier),
                     (Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)):
        qtbot.keyClick(w.view, key, mod)  # no error regions without a pair: nothing to walk, no crash
    w.overlay_panel.select_label(2)  # focus one label: no scores to show, nothing breaks
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    from dicegui.gui.editor.edit_panel import TARGET_TITLES

    caption = w.view.tool_caption.text()
    assert caption.startswith("Brush") and f"→ {TARGET_TITLES[role]}" in caption
    before = int(np.count_nonzero(mask))
    ui.drag([(0, 0), (0, 6)])
    assert int(np.count_nonzero(mask)) > before
    assert not w.scores.last_change.isVisible()  # no ΔDice without a pair
    assert w.editor.history.count == 1
