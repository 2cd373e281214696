"""NSD tolerance per structure typed in the scores panel, the CLI's default, the below-voxel warning."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dicegui.core.tolerances import DEFAULT_TOLERANCE
from dicegui.gui import settings as app_settings


def _type(edit, text):
    edit.setFocus()
    edit.clear()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_the_3mm_demo_at_the_default_tolerance_warns_and_a_3mm_tolerance_does_not(window):
    assert window.scores.tolerance.value() == DEFAULT_TOLERANCE == 1.0
    assert window.open_demo("totalseg")
    assert window.session.grid.spacing == (3.0, 3.0, 3.0)
    tol = window.structures.tolerance
    assert tol.warning.isVisibleTo(window)
    assert tol.warning_text() == ("NSD tolerance 1 mm is below the largest voxel spacing (3 mm): "
                                  "a border one voxel off counts as missed")
    window.scores.tolerance.setValue(3.0)
    assert not tol.warning.isVisibleTo(window)
    _type(tol.edit, "7=2")  # one structure below the voxel size is enough to warn
    assert "NSD tolerance 2 mm is below" in tol.warning_text()


def test_typed_table_is_checked_remembered_and_sets_the_default(window):
    assert window.open_demo("totalseg")
    tol = window.structures.tolerance
    _type(tol.edit, "*=4;7=6;WT=2")
    assert window.scores.tolerance.value() == 4.0
    assert tol.tolerances().for_key(7) == 6.0 and tol.tolerances().for_key("WT") == 2.0
    assert tol.tolerances().for_key(5) == 4.0
    assert app_settings.tolerance_table_text() == "*=4;7=6;WT=2"
    _type(tol.edit, "7=six")
    assert "'six' is not a distance in mm" in tol.warning_text()
    assert tol.tolerances().for_key(7) == 6.0  # the last valid table stays in force
    assert app_settings.tolerance_table_text() == "*=4;7=6;WT=2"
