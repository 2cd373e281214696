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


def test_a_key_that_is_no_label_or_region_of_the_case_is_named(window):
    assert window.open_demo("totalseg")
    s = window.session
    liver = next(k for k in s.labels if s.label_name(k) == "liver")
    absent = max(s.labels) + 1
    tol = window.structures.tolerance
    window.scores.tolerance.setValue(3.0)  # no below-voxel warning in the way
    _type(tol.edit, f"1=3;liver=4;{absent}=5")
    text = tol.warning_text()
    assert f"'liver' (label {liver}: write {liver}=4)" in text and f"'{absent}'" in text
    assert "'1'" not in text and "the default is used there" in text
    assert tol.tolerances().for_key(liver) == 3.0  # indeed the default: the name keys nothing
    _type(tol.edit, f"1=3;{liver}=4")
    assert not tol.warning.isVisibleTo(window)
    # a region name is a key once the region exists
    _type(tol.edit, "KID=4")
    assert "'KID'" in tol.warning_text()
    window.structures.regions.set_groups({"KID": (2, 3)}, remember=False)
    assert not tol.warning.isVisibleTo(window)
    window.structures.regions.set_groups({}, remember=False)
