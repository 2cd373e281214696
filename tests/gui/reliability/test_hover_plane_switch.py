"""Regression (found by the soak test): a pixel hovered in one plane may lie outside the next plane."""
from __future__ import annotations

from PySide6.QtCore import Qt


def test_switching_plane_under_a_far_hovered_pixel(qtbot, rel):
    w = rel.make_window(qtbot)
    assert w.open_demo("totalseg")  # 122 x 101 x 30: the sagittal and coronal planes have 30 rows
    rows, cols = w.view.image_item.image.shape[:2]
    w.editor.set_tool("eraser")  # a drag with a tool tracks the hovered pixel
    rel.drag(w, [(rows - 2, cols - 3), (rows - 2, cols - 2)])
    w.editor.history.mark_discarded()
    assert w.view.hovered_pixel is not None and w.view.hovered_pixel[0] >= 30
    for key in (Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_1):
        qtbot.keyClick(w.view, key)  # pytest-qt fails the test on an exception in the slot
    assert w.plane.name == "axial"
