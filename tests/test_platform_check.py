"""Start-up checks without Qt: no display -> one line and exit 2; missing plugin libraries named with their package."""
import io
import os
import shutil
import subprocess
import sys

import pytest

from dicegui import platform_check as pc

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => /lib/x86_64-linux-gnu/libxcb-icccm.so.4 (0x00007f)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb plugin is Linux's")


def test_missing_libraries_read_from_ldd_and_named_by_package():
    missing = pc.missing_from_ldd(LDD_OUTPUT)
    assert missing == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]
    assert [pc.package_of(m) for m in missing] == ["libxcb-cursor0", "libxkbcommon-x11-0"]
    assert pc.apt_line(["libxcb-cursor0", "libxcb-cursor0", "libgl1"]) == "sudo apt-get install libxcb-cursor0 libgl1"
    assert "libfoo.so.3" in pc.package_of("libfoo.so.3")


def test_no_display_is_one_sentence_on_linux_only():
    assert "no display" in pc.display_problem({}, platform="linux")
    assert "--screenshot" in pc.display_problem({}, platform="linux")
    assert pc.display_problem({"DISPLAY": ":0"}, platform="linux") is None
    assert pc.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux") is None
    assert pc.display_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert pc.display_problem({}, platform="darwin") is None
    assert pc.chosen_platform({"QT_QPA_PLATFORM": "offscreen:fontengine=freetype"}) == "offscreen"
    assert pc.chosen_platform({"WAYLAND_DISPLAY": "w"}) == "wayland"


@linux_only
def test_a_plugin_whose_library_cannot_be_found_is_named(tmp_path, monkeypatch):
    """A real ldd run: the xcb plugin copied away from its Qt libraries lacks libQt6XcbQpa."""
    real = pc.plugin_path("xcb")
    if real is None or shutil.which("ldd") is None:
        pytest.skip("no PySide6 xcb plugin or no ldd here")
    assert pc.missing_libraries(real) == []  # the installed plugin finds everything (.ci/run installs it)
    lonely = tmp_path / "libqxcb.so"
    shutil.copy(real, lonely)
    assert "libQt6XcbQpa.so.6" in pc.missing_libraries(lonely)
    monkeypatch.setattr(pc, "plugin_path", lambda name: lonely)
    problem = pc.start_problem({"DISPLAY": ":0"})
    assert "missing libQt6XcbQpa.so.6" in problem and "sudo apt-get install" in problem


@linux_only
def test_dicegui_without_a_display_exits_2_with_one_line_before_qt():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    code = "import sys; from dicegui.cli import main; rc = main([]); assert 'PySide6' not in sys.modules; sys.exit(rc)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dicegui: there is no display") and "dicegui score" in lines[0]


def test_doctor_reports_and_needs_no_qt():
    buf = io.StringIO()
    rc = pc.doctor(buf, environ={"DISPLAY": ":0"})
    text = buf.getvalue()
    assert "PySide6 6." in text and rc in (0, 1)
    if sys.platform.startswith("linux") and rc == 0:
        assert "Qt xcb plugin: all libraries found" in text and "apt-get" not in text
    out = subprocess.run([sys.executable, "-c", "import sys; from dicegui.cli import main; rc = main(['doctor']); "
                          "assert 'PySide6' not in sys.modules; sys.exit(rc)"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == rc and "PySide6" in out.stdout
