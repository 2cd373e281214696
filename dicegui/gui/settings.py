"""Persistent preferences (QSettings, INI format) and the recent-cases list.

Settings live under the organisation/application name ``dicegui/dicegui`` in
the user's configuration folder. Setting ``DICEGUI_SETTINGS_DIR`` moves them
(tests and sandboxed runs point it at a temporary folder so they never read
or write the user's real settings).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "dicegui"
APPLICATION = "dicegui"
SETTINGS_DIR_ENV = "DICEGUI_SETTINGS_DIR"
RECENT_KEY = "recent_cases"
MAX_RECENT = 10
ROLES = ("image", "gt", "pred")
UNDO_LIMIT_KEY = "editing/undo_memory_mb"
# A radius-10 dab costs about 1 kB: 200 MB keeps far more strokes than an
# afternoon makes on a CT, yet leaves room for the volumes themselves.
DEFAULT_UNDO_LIMIT_MB = 200
RECOVERY_FOLDER = "recovery"
PROTECT_KEY = "editing/protect_other_labels"
SAVE_FOLDER_KEY = "editing/last_save_folder"
REGIONS_KEY = "scores/regions"
TOLERANCE_TABLE_KEY = "scores/nsd_tolerance_table"


def configure_from_environment() -> None:
    """Point the INI settings at ``$DICEGUI_SETTINGS_DIR`` when it is set."""
    folder = os.environ.get(SETTINGS_DIR_ENV)
    if folder:
        use_folder(folder)


def use_folder(folder) -> None:
    """Keep all settings under ``folder`` (must be called before settings are read)."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def settings() -> QSettings:
    """The application's settings object."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def settings_folder() -> Path:
    """The folder holding the settings file (created on first write)."""
    return Path(settings().fileName()).parent


def recovery_folder() -> Path:
    """Where crash-recovery journals are written: ``recovery/`` beside the settings file."""
    return settings_folder() / RECOVERY_FOLDER


def undo_memory_limit() -> int:
    """Most bytes the undo history may hold (setting ``editing/undo_memory_mb``, default 200 MB).

    A missing, unreadable or non-positive value gives the default.
    """
    raw = settings().value(UNDO_LIMIT_KEY, DEFAULT_UNDO_LIMIT_MB)
    try:
        mb = float(raw)
    except (TypeError, ValueError):
        mb = DEFAULT_UNDO_LIMIT_MB
    if not mb > 0 or mb != mb:
        mb = DEFAULT_UNDO_LIMIT_MB
    return int(mb * 1024 * 1024)


def set_undo_memory_limit(megabytes: float) -> None:
    """Store the undo history's memory bound (takes effect for windows opened afterwards)."""
    s = settings()
    s.setValue(UNDO_LIMIT_KEY, float(megabytes))
    s.sync()


def protect_other_labels() -> bool:
    """Whether painting keeps other labels (setting ``editing/protect_other_labels``, default on).

    On by default: a brush that overwrites neighbouring organs changes
    scores the corrector never looked at.
    """
    raw = settings().value(PROTECT_KEY, True)
    if isinstance(raw, str):  # the INI file stores booleans as text
        return raw.strip().lower() not in ("false", "0", "no", "off")
    return bool(raw)


def set_protect_other_labels(on: bool) -> None:
    """Remember the "Protect other labels" choice for the next windows."""
    s = settings()
    s.setValue(PROTECT_KEY, bool(on))
    s.sync()


def last_save_folder() -> Path | None:
    """The folder a mask was last saved into (setting ``editing/last_save_folder``), if it still exists."""
    raw = settings().value(SAVE_FOLDER_KEY, "")
    if not raw or not isinstance(raw, str):
        return None
    folder = Path(raw)
    return folder if folder.is_dir() else None


def set_last_save_folder(folder) -> None:
    """Remember where masks were saved: the next first save of a case starts there."""
    s = settings()
    s.setValue(SAVE_FOLDER_KEY, str(Path(folder)))
    s.sync()


def _clean(entry) -> dict | None:
    if not isinstance(entry, dict):
        return None
    out = {r: str(entry[r]) for r in ROLES if isinstance(entry.get(r), str) and entry[r]}
    return out or None


def recent_cases() -> list[dict]:
    """Recently opened cases, newest first: ``[{"image": path, "gt": path, "pred": path}, ...]``."""
    raw = settings().value(RECENT_KEY, "[]")
    try:
        items = json.loads(raw if isinstance(raw, str) else "[]")
    except ValueError:  # a hand-edited or corrupted entry must not stop the program
        return []
    return [c for c in (_clean(e) for e in items if isinstance(items, list)) if c][:MAX_RECENT]


def add_recent_case(paths: dict) -> list[dict]:
    """Put a case at the top of the recent list (deduplicated, at most ``MAX_RECENT``)."""
    entry = _clean({r: str(Path(p).resolve()) for r, p in paths.items() if p})
    items = recent_cases()
    if entry:
        items = [entry] + [c for c in items if c != entry]
    items = items[:MAX_RECENT]
    s = settings()
    s.setValue(RECENT_KEY, json.dumps(items))
    s.sync()
    return items


def clear_recent_cases() -> None:
    s = settings()
    s.setValue(RECENT_KEY, "[]")
    s.sync()


def _text(key: str) -> str:
    raw = settings().value(key, "")
    return raw.strip() if isinstance(raw, str) else ""


def _set_text(key: str, text: str) -> None:
    s = settings()
    s.setValue(key, str(text or "").strip())
    s.sync()


def region_groups_text() -> str:
    """The region groups last set in the window (``WT=1,2,4;TC=1,4;ET=4``; empty: none)."""
    return _text(REGIONS_KEY)


def set_region_groups_text(text: str) -> None:
    """Remember the region groups (``format_regions`` text; empty: none) for the next cases and windows."""
    _set_text(REGIONS_KEY, text)


def tolerance_table_text() -> str:
    """The per-label/per-region NSD tolerances last typed (``1=3;WT=2``; empty: one tolerance for all)."""
    return _text(TOLERANCE_TABLE_KEY)


def set_tolerance_table_text(text: str) -> None:
    """Remember the per-structure NSD tolerance table."""
    _set_text(TOLERANCE_TABLE_KEY, text)
