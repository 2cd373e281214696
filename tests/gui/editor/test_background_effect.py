"""Whole-volume clean-ups of big masks run in a worker: progress dialog, window locked, Cancel writes nothing."""
import numpy as np
from PySide6 import QtWidgets
from scipy import ndimage
from skimage.morphology import remove_small_objects

from dicegui.gui.editor import background_effect


def skimage_remove_small(binary, max_size):
    try:
        return remove_small_objects(binary, max_size=max_size, connectivity=1)
    except TypeError:  # scikit-image < 0.26 has min_size: removes sizes < min_size
        return remove_small_objects(binary, min_size=max_size + 1, connectivity=1)


def _volume_scope(ed):
    ed.panel.set_target("pred")
    ed.panel.scope.setCurrentIndex(ed.panel.scope.findData("volume"))


def test_remove_islands_runs_in_a_worker_and_writes_one_undo_step(edit_window, qtbot, monkeypatch):
    monkeypatch.setattr(background_effect, "BACKGROUND_VOXELS", 0)  # every volume counts as big
    w = edit_window
    ed = w.editor
    _volume_scope(ed)
    pred = w.session.live.pred
    pred[0, 0, 0] = 1  # a one-voxel island in a corner (no other foreground touches it)
    pred[0, 0, 1] = pred[0, 1, 0] = pred[1, 0, 0] = 0
    before = pred.copy()
    steps = len(ed.history.texts())
    ed.panel.island_size.setValue(3)
    ed.panel.remove_islands.click()
    assert ed.background is not None and not ed.can_edit()  # the mask is locked while the worker reads it
    dialog = ed.background.dialog
    assert dialog.isVisible() and dialog.windowModality() == background_effect.QtCore.Qt.WindowModality.WindowModal
    ed.undo()  # ignored while planning: the worker's mask must not change under it
    qtbot.waitUntil(lambda: ed.background is None, timeout=10000)
    expected = before.copy()
    expected[(before == 1) & ~skimage_remove_small(before == 1, 3)] = 0
    np.testing.assert_array_equal(pred, expected)
    assert len(ed.history.texts()) == steps + 1 and ed.history.texts()[-1].startswith("Remove islands pred")
    assert ed.can_edit()
    ed.undo()
    np.testing.assert_array_equal(pred, before)


def test_cancel_leaves_the_mask_and_history_alone(edit_window, qtbot, monkeypatch):
    monkeypatch.setattr(background_effect, "BACKGROUND_VOXELS", 0)
    w = edit_window
    ed = w.editor
    _volume_scope(ed)
    pred = w.session.live.pred
    pred[30:35, 40:45, 3:8] = 1  # a cube away from the case's masks
    pred[32, 42, 5] = 0  # a hole the fill would close, were it not cancelled
    before = pred.copy()
    assert not np.array_equal(ndimage.binary_fill_holes(before), before)
    steps = len(ed.history.texts())
    ed.fill_holes()
    dialog = ed.background.dialog
    # the worker's answer is queued to this thread, so a Cancel pressed now always wins
    button = dialog.findChild(QtWidgets.QPushButton)
    button.click()
    qtbot.waitUntil(lambda: ed.background is None, timeout=10000)
    np.testing.assert_array_equal(pred, before)
    assert len(ed.history.texts()) == steps
    assert "cancelled; nothing was changed" in w.statusBar().currentMessage()
    assert ed.can_edit()


def test_small_volumes_stay_on_the_gui_thread(edit_window):
    w = edit_window
    ed = w.editor
    _volume_scope(ed)
    pred = w.session.live.pred
    assert pred.size < background_effect.BACKGROUND_VOXELS and set(np.unique(pred)) <= {0, 1}
    pred[30:35, 40:45, 3:8] = 1  # a cube away from the case's masks
    pred[32, 42, 5] = 0  # an enclosed hole
    before = pred.copy()
    assert not np.array_equal(ndimage.binary_fill_holes(before), before)
    ed.fill_holes()
    assert ed.background is None  # written at once, no worker, no dialog
    np.testing.assert_array_equal(pred, ndimage.binary_fill_holes(before))
