"""Which worklist columns the user showed or hid, remembered across sessions (QSettings).

What is stored is the user's departures from the default columns
(:func:`dicegui.core.metric_columns.default_columns`), by column name: the
columns they turned on and the ones they turned off. A cohort then shows its
defaults plus the ones turned on minus the ones turned off, so a choice made
on one table (hide ``hd``, show ``regionET_hd95``) carries over to the next
table that has those columns, and columns nobody chose keep their default.
The settings file is the application's (:mod:`dicegui.gui.settings`), so
tests that point ``DICEGUI_SETTINGS_DIR`` elsewhere never touch the user's.
"""
from __future__ import annotations

import json

from .. import settings as app_settings

COLUMNS_KEY = "worklist/columns"
# Label maps may have hundreds of labels × keys; a list far longer than any
# real choice is a corrupted entry, and is cut rather than carried forever.
MAX_REMEMBERED = 4000


def remembered() -> tuple[set, set]:
    """The columns turned on and off by hand: ``(shown, hidden)``.

    A missing, corrupted or hand-edited entry gives two empty sets (the
    defaults): a settings file must never stop the worklist from opening.
    """
    raw = app_settings.settings().value(COLUMNS_KEY, "")
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return set(), set()
    if not isinstance(data, dict):
        return set(), set()

    def names(key):
        items = data.get(key)
        return {s for s in items if isinstance(s, str)} if isinstance(items, list) else set()

    return names("shown"), names("hidden")


def remember(column: str, shown: bool) -> None:
    """Record that ``column`` was turned on (``shown``) or off by hand."""
    on, off = remembered()
    (on if shown else off).add(column)
    (off if shown else on).discard(column)
    _write(on, off)


def forget() -> None:
    """Back to the default columns everywhere."""
    _write(set(), set())


def chosen_columns(available, defaults) -> list[str]:
    """The columns to show: ``defaults`` plus the remembered ones turned on, minus those turned off.

    Parameters
    ----------
    available : iterable of str
        The cohort's score columns.
    defaults : iterable of str
        Its default columns.

    Returns
    -------
    list of str
        In the order of ``available``.
    """
    on, off = remembered()
    wanted = (set(defaults) | on) - off
    return [c for c in available if c in wanted]


def _write(on: set, off: set) -> None:
    data = {"shown": sorted(on)[:MAX_REMEMBERED], "hidden": sorted(off)[:MAX_REMEMBERED]}
    s = app_settings.settings()
    s.setValue(COLUMNS_KEY, json.dumps(data))
    s.sync()
