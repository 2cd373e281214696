"""dicegui.gui.settings: hand-edited values fall back to their defaults with a message; owner-only files.

The references are the documented defaults (200 MB, protect on, layout 2x2)
and the file modes the issue asks for (0700 / 0600), read with os.stat.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dicegui.gui import settings


def write_ini(text: str) -> Path:
    path = Path(settings.settings().fileName())
    path.write_text(text)
    return path


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "0", "-5", "lots", "2000000"])
def test_undo_memory_that_does_not_fit_gives_200_mb_and_a_message(value):
    write_ini(f"[editing]\nundo_memory_mb={value}\n")
    assert settings.undo_memory_limit() == 200 * 1024 * 1024
    problems = settings.check_settings()
    assert len(problems) == 1
    assert "editing/undo_memory_mb" in problems[0] and repr(value) in problems[0]
    assert "dicegui.ini" in problems[0] and "using 200 MB" in problems[0]


def test_values_that_fit_are_used_without_a_message():
    write_ini("[editing]\nundo_memory_mb=64.5\nprotect_other_labels=false\n[view]\nlayout=1x3\n")
    assert settings.undo_memory_limit() == int(64.5 * 1024 * 1024)
    assert settings.protect_other_labels() is False
    assert settings.check_settings() == []


def test_every_bad_setting_is_named_once():
    write_ini("[General]\nrecent_cases=[{\n[editing]\nundo_memory_mb=inf\nprotect_other_labels=maybe\n"
              "[view]\nlayout=3x3\n[scores]\nregions=WT=\nnsd_tolerance_table=1=-2\n")
    problems = settings.check_settings()
    keys = ["recent_cases", "editing/undo_memory_mb", "editing/protect_other_labels", "view/layout",
            "scores/regions", "scores/nsd_tolerance_table"]
    for key in keys:
        assert sum(f"setting {key} =" in p for p in problems) == 1, (key, problems)
    assert len(problems) == len(keys)
    assert settings.protect_other_labels() is True  # the default: protect
    assert settings.check_settings() != []  # read again, reported again (a new window says it too)


def test_window_starts_with_undo_memory_inf_and_says_so_in_the_status_bar(qtbot):
    from dicegui.gui.main_window import MainWindow

    write_ini("[editing]\nundo_memory_mb=inf\n")
    w = MainWindow()  # an OverflowError traceback here stopped the program
    qtbot.addWidget(w)
    try:
        assert w.editor.history.memory_limit == 200 * 1024 * 1024
        message = w.statusBar().currentMessage()
        assert "editing/undo_memory_mb" in message and "'inf'" in message and "200 MB" in message
    finally:
        w.runner.cancel()
        w.runner.wait(10000)


def test_settings_folder_and_file_are_the_owners_only():
    s = settings.settings()
    path = Path(s.fileName())
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings.set_undo_memory_limit(300)  # Qt rewrites the file through a temporary one
    settings.add_recent_case({"gt": str(path)})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.undo_memory_limit() == 300 * 1024 * 1024


def test_a_settings_file_left_readable_by_others_is_restricted(tmp_path):
    folder = tmp_path / "other"
    (folder / "dicegui").mkdir(parents=True, mode=0o755)
    ini = folder / "dicegui" / "dicegui.ini"
    ini.write_text("[editing]\nundo_memory_mb=100\n")
    os.chmod(ini, 0o644)
    settings.use_folder(folder)
    assert settings.undo_memory_limit() == 100 * 1024 * 1024
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    assert stat.S_IMODE(ini.parent.stat().st_mode) == 0o700
