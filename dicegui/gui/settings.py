"""Persistent preferences (QSettings, INI format) and the recent-cases list.

Settings live under the organisation/application name ``dicegui/dicegui`` in
the user's configuration folder. Setting ``DICEGUI_SETTINGS_DIR`` moves them
(tests and sandboxed runs point it at a temporary folder so they never read
or write the user's real settings).

The file is hand-editable, so every value is checked where it is read: a
value that does not fit (``undo_memory_mb=inf`` once stopped the window with
an OverflowError) gives the default, and :func:`check_settings` lists each
such value with the default used, for the window's status bar. The settings
name the user's files and sit beside the crash-recovery journals, so the
folder is kept at mode 0700 and the file at 0600.
"""
from __future__ import annotations

import json
import math
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
#: More undo memory than this (1 TB) is a typing mistake, not a wish.
MAX_UNDO_LIMIT_MB = 1024 * 1024
RECOVERY_FOLDER = "recovery"
PROTECT_KEY = "editing/protect_other_labels"
PRESENTATION_KEY = "view/presentation_mode"
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
    """The application's settings object (its folder and file restricted to the owner)."""
    s = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
    _restrict(s.fileName())
    return s


_restricted: set = set()


def _restrict(file_name: str) -> None:
    """Folder 0700 and file 0600, once per file and process.

    The file is created empty when missing: Qt writes settings through a
    temporary file that takes the existing file's mode, so a file that
    starts at 0600 stays at 0600.
    """
    if file_name in _restricted:
        return
    _restricted.add(file_name)
    path = Path(file_name)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        _note(f"cannot restrict {path} to its owner ({exc.strerror or exc}); settings work as before")


_problems: list = []


def _note(message: str) -> None:
    if message not in _problems:
        _problems.append(message)


def _refuse(key: str, raw, why: str, default) -> None:
    """Remember that ``key`` holds a value that does not fit and ``default`` is used instead."""
    text = str(raw)
    if len(text) > 40:
        text = text[:40] + "…"
    _note(f"setting {key} = {text!r} in {Path(settings().fileName()).name}: {why}; using {default}")


def check_settings() -> list[str]:
    """Read every setting once and return one message per value that was replaced by its default.

    Returns
    -------
    list of str
        ``setting <key> = '<value>' in dicegui.ini: <why>; using <default>``,
        and any problem restricting the settings file to its owner. Each
        message is returned once per process.
    """
    undo_memory_limit()
    protect_other_labels()
    presentation_mode()
    recent_cases()
    last_save_folder()
    _check_layout()
    _check_text(REGIONS_KEY, _parse_regions_text, "no region groups")
    _check_text(TOLERANCE_TABLE_KEY, _parse_tolerance_text, "one tolerance for all")
    out = list(_problems)
    _problems.clear()
    return out


def show_setting_problems(status_bar, msecs: int = 20000) -> list[str]:
    """Put :func:`check_settings` messages in a window's status bar (nothing when every setting fits)."""
    problems = check_settings()
    if problems:
        status_bar.showMessage("Settings: " + " · ".join(problems), msecs)
    return problems


def _check_layout() -> None:
    from .views.state import LAYOUTS

    raw = settings().value("view/layout", "2x2")
    if str(raw) not in LAYOUTS:
        _refuse("view/layout", raw, f"not one of {', '.join(LAYOUTS)}", "2x2")


def _parse_regions_text(text: str) -> None:
    from ..core.region_groups import parse_regions

    parse_regions(text)


def _parse_tolerance_text(text: str) -> None:
    from ..core.tolerances import parse_tolerances

    parse_tolerances(text)


def _check_text(key: str, parse, default: str) -> None:
    text = _text(key)
    if not text:
        return
    try:
        parse(text)
    except (ValueError, OSError) as exc:
        _refuse(key, text, " ".join(str(exc).split())[:120], default)


def settings_folder() -> Path:
    """The folder holding the settings file (created on first write)."""
    return Path(settings().fileName()).parent


def recovery_folder() -> Path:
    """Where crash-recovery journals are written: ``recovery/`` beside the settings file."""
    return settings_folder() / RECOVERY_FOLDER


def undo_memory_limit() -> int:
    """Most bytes the undo history may hold (setting ``editing/undo_memory_mb``, default 200 MB).

    A missing value gives the default; one that is not a finite number of MB
    above 0 and at most :data:`MAX_UNDO_LIMIT_MB` gives the default too, and
    is reported by :func:`check_settings`.
    """
    raw = settings().value(UNDO_LIMIT_KEY, DEFAULT_UNDO_LIMIT_MB)
    try:
        mb = float(raw)
    except (TypeError, ValueError, OverflowError):
        mb = math.nan
    if not (math.isfinite(mb) and 0 < mb <= MAX_UNDO_LIMIT_MB):
        _refuse(UNDO_LIMIT_KEY, raw, f"not a number of MB above 0 and at most {MAX_UNDO_LIMIT_MB}",
                f"{DEFAULT_UNDO_LIMIT_MB} MB")
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
    return _read_bool(PROTECT_KEY, True)


def _read_bool(key: str, default: bool) -> bool:
    raw = settings().value(key, default)
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()  # the INI file stores booleans as text
    if word in ("false", "0", "no", "off"):
        return False
    if word in ("true", "1", "yes", "on"):
        return True
    _refuse(key, raw, "not true or false", str(default).lower())
    return default


def set_protect_other_labels(on: bool) -> None:
    """Remember the "Protect other labels" choice for the next windows."""
    s = settings()
    s.setValue(PROTECT_KEY, bool(on))
    s.sync()


def presentation_mode() -> bool:
    """Whether windows start in presentation mode (setting ``view/presentation_mode``, default off)."""
    return _read_bool(PRESENTATION_KEY, False)


def set_presentation_mode(on: bool) -> None:
    """Remember presentation mode for the next windows."""
    s = settings()
    s.setValue(PRESENTATION_KEY, bool(on))
    s.sync()


def last_save_folder() -> Path | None:
    """The folder a mask was last saved into (setting ``editing/last_save_folder``), if it still exists."""
    raw = settings().value(SAVE_FOLDER_KEY, "")
    if not raw:
        return None
    if not isinstance(raw, str):
        _refuse(SAVE_FOLDER_KEY, raw, "not a folder name", "no folder")
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
    except (ValueError, RecursionError):  # a hand-edited or corrupted entry must not stop the program
        _refuse(RECENT_KEY, raw, "not a JSON list of cases", "an empty list")
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
