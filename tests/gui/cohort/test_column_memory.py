"""Worklist column choices in the settings: defaults plus what was turned on, minus what was turned off."""
from __future__ import annotations

from dicegui.gui import settings
from dicegui.gui.cohort import column_memory


def test_choices_carry_over_by_column_name():
    available = ["dice", "hd95", "hd", "regionWT_dice", "regionET_hd95", "pq"]
    defaults = ["dice", "hd95", "hd", "regionWT_dice"]
    assert column_memory.chosen_columns(available, defaults) == defaults
    column_memory.remember("regionET_hd95", True)
    column_memory.remember("hd", False)
    assert column_memory.chosen_columns(available, defaults) == ["dice", "hd95", "regionWT_dice", "regionET_hd95"]
    # turning a column back on undoes its "off"
    column_memory.remember("hd", True)
    assert column_memory.remembered() == ({"regionET_hd95", "hd"}, set())
    # a table without those columns is unaffected
    assert column_memory.chosen_columns(["dice", "iou"], ["dice"]) == ["dice"]
    column_memory.forget()
    assert column_memory.chosen_columns(available, defaults) == defaults


def test_corrupted_entry_gives_the_defaults(private_settings):
    for raw in ("{not json", "[1, 2]", '{"shown": "dice", "hidden": [3, "hd"]}'):
        s = settings.settings()
        s.setValue(column_memory.COLUMNS_KEY, raw)
        s.sync()
        on, off = column_memory.remembered()
        assert on == set() and off <= {"hd"}
    assert column_memory.chosen_columns(["dice", "hd"], ["dice", "hd"]) == ["dice"]
    # written in the test's private folder, never the user's
    assert str(private_settings) in settings.settings().fileName()
