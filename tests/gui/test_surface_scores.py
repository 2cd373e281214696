"""Surface metrics recompute by themselves after edits, and undoing to a measured state reuses its values."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dicegui.core.display import PLANES, voxel_to_plane
from dicegui.core.surface import surface_distances
from dicegui.gui.scores_panel import format_value


@pytest.fixture
def spheres_case(tmp_path, write_nifti):
    shape = (40, 40, 24)
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    gt = (((z - 20) ** 2 + (y - 20) ** 2 + (x - 12) ** 2) < 64).astype(np.uint8)
    pred = (((z - 22) ** 2 + (y - 19) ** 2 + (x - 12) ** 2) < 49).astype(np.uint8)
    affine = np.diag([1.0, 0.8, 2.0, 1.0])
    return {"gt": write_nifti(tmp_path / "gt.nii.gz", gt, affine),
            "pred": write_nifti(tmp_path / "pred.nii.gz", pred, affine)}


def _reference(window):
    s = window.session
    return surface_distances(s.gt != 0, s.pred != 0, spacing=s.grid.spacing,
                             tolerance=window.scores.tolerance.value())


def test_an_edit_recomputes_once_the_hand_rests_and_undo_reuses_the_file_values(window, qtbot, spheres_case,
                                                                                monkeypatch):
    assert window.open_paths(spheres_case, remember=False)
    window.surface.timer.setInterval(150)
    qtbot.waitUntil(lambda: window.scores.surface_state == "current", timeout=20000)
    file_values = {k: window.scores.surface_text(k) for k in ("hd", "hd95", "assd", "nsd")}
    assert file_values["hd95"] == format_value("hd95", _reference(window)["hd95"])
    # a dab of prediction far from both masks, with the brush and a real click
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(1)
    window.set_plane("axial")
    window.views.set_cursor((3, 3, 12))
    QApplication.processEvents()
    _, row, col = voxel_to_plane(PLANES["axial"], (3, 3, 12), window.session.shape)
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     window.view.widget_pos_of(row, col))
    assert window.session.pred[3, 3, 12] != 0
    assert window.scores.surface_state == "stale"  # at once: the shown values are out of date
    qtbot.waitUntil(lambda: window.scores.surface_state == "current", timeout=20000)  # no Recompute click
    edited = _reference(window)
    assert window.scores.surface_text("hd") == format_value("hd", edited["hd"])
    assert window.scores.surface_text("hd") != file_values["hd"]  # the far island moved the maximum
    requests = []
    real_request = window.runner.request
    monkeypatch.setattr(window.runner, "request", lambda *a, **k: requests.append(a) or real_request(*a, **k))
    window.editor.undo()
    qtbot.wait(400)  # longer than the rest time
    assert window.scores.surface_state == "current"
    assert {k: window.scores.surface_text(k) for k in file_values} == file_values
    assert requests == []  # shown from the cache, not recomputed
    window.editor.history.mark_discarded()
