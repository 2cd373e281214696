"""Per-label and per-region surface columns of the scores table, against the core's single-structure measure."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dicegui.core.display import PLANES, voxel_to_plane

from dicegui.core.region_groups import region_mask
from dicegui.core.surface import surface_distances
from dicegui.gui.scores_panel import format_value
from dicegui.gui.structure_table import COMPUTING_TEXT


def _measured(window, qtbot):
    qtbot.waitUntil(lambda: window.structures.surfaces.state == "current", timeout=30000)


def test_demo_hd95_per_label_and_region_equal_the_whole_volume_measure(window, qtbot):
    assert window.open_demo("totalseg")
    window.structures.regions.set_groups({"KID": (2, 3)})  # both kidneys, as one structure
    _measured(window, qtbot)
    s = window.session
    table = window.structures.table
    # the demo's labels 2, 3 (kidneys) and 7 (pancreas): each against gt == k on the whole volume
    for k in (2, 3, 7):
        ref = surface_distances(s.gt == k, s.pred == k, spacing=s.grid.spacing, tolerance=1.0)
        assert table.cell_text(k, "hd95") == format_value("hd95", ref["hd95"])
        assert table.cell_text(k, "assd") == format_value("assd", ref["assd"])
        assert table.cell_text(k, "nsd") == format_value("nsd", ref["nsd"])
    ref = surface_distances(np.isin(s.gt, (2, 3)), np.isin(s.pred, (2, 3)), spacing=s.grid.spacing)
    assert table.cell_text("KID", "hd") == format_value("hd", ref["hd"])
    assert table.cell_text("KID", "hd95") == format_value("hd95", ref["hd95"])
    header = table.table.horizontalHeaderItem(table.column("nsd")).text()
    assert header == "NSD @ 1 mm"


def test_an_edit_shows_dots_while_computing_then_the_new_values(window, qtbot):
    assert window.open_demo("totalseg")
    _measured(window, qtbot)
    s = window.session
    surfaces = window.structures.surfaces
    surfaces.timer.setInterval(50)
    seen = []
    surfaces.updated.connect(lambda: seen.append((surfaces.state, window.structures.table.cell_text(7, "hd95"))))
    # a dab of label 7 (pancreas) far from it, with the real brush
    window.editor.panel.set_label(7)
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(1)
    window.set_plane("axial")
    voxel = (3, 3, s.shape[2] // 2)
    window.views.set_cursor(voxel)
    QApplication.processEvents()
    _, row, col = voxel_to_plane(PLANES["axial"], voxel, s.shape)
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     window.view.widget_pos_of(row, col))
    assert s.pred[voxel] == 7
    assert surfaces.state == "stale"
    _measured(window, qtbot)
    assert ("computing", COMPUTING_TEXT) in seen
    ref = surface_distances(s.gt == 7, s.pred == 7, spacing=s.grid.spacing, tolerance=1.0)
    assert window.structures.table.cell_text(7, "hd") == format_value("hd", ref["hd"])
    window.editor.history.mark_discarded()


def test_per_structure_tolerances_are_used_and_said_in_the_cells(window, qtbot):
    assert window.open_demo("totalseg")
    window.structures.regions.set_groups({"KID": (2, 3)})
    tolerance = window.structures.tolerance
    assert tolerance.set_text("7=6;KID=3")
    _measured(window, qtbot)
    s = window.session
    table = window.structures.table
    ref7 = surface_distances(s.gt == 7, s.pred == 7, spacing=s.grid.spacing, tolerance=6.0)
    assert table.cell_text(7, "nsd") == f"{format_value('nsd', ref7['nsd'])} @ 6 mm"
    kid = surface_distances(region_mask(s.gt, (2, 3)), region_mask(s.pred, (2, 3)), spacing=s.grid.spacing,
                            tolerance=3.0)
    assert table.cell_text("KID", "nsd") == f"{format_value('nsd', kid['nsd'])} @ 3 mm"
    ref2 = surface_distances(s.gt == 2, s.pred == 2, spacing=s.grid.spacing, tolerance=1.0)
    assert table.cell_text(2, "nsd") == format_value("nsd", ref2["nsd"])  # the default, not repeated
    # the focus's volume box uses the focus's own tolerance
    window.overlay_panel.select_label(7)
    qtbot.waitUntil(lambda: window.scores.surface_state == "current", timeout=30000)
    assert window.scores.surface_text("nsd") == format_value("nsd", ref7["nsd"])


def test_a_drag_greys_the_surface_columns_once_not_per_dab(window, qtbot):
    assert window.open_demo("totalseg")
    _measured(window, qtbot)
    s = window.session
    surfaces = window.structures.surfaces
    surfaces.timer.setInterval(60000)  # no recompute during the drag
    states = []
    surfaces.updated.connect(lambda: states.append(surfaces.state))
    window.editor.panel.set_label(7)
    window.editor.set_tool("brush")
    window.editor.panel.radius.setValue(2)
    window.set_plane("axial")
    window.views.set_cursor((10, 10, s.shape[2] // 2))
    QApplication.processEvents()
    before = int(np.count_nonzero(s.pred == 7))
    vp = window.view.viewport()
    points = [window.view.widget_pos_of(r, 10) for r in range(8, 40, 2)]
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    assert int(np.count_nonzero(s.pred == 7)) > before  # the drag painted
    # one switch to "out of date" for the whole drag (the table was redrawn grey per dab before)
    assert states == ["stale"]
    window.editor.history.mark_discarded()
