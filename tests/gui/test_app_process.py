"""The program as a process: --screenshot, show-and-close, exit codes (catches Qt exit-time aborts)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path):
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["DICEGUI_SETTINGS_DIR"] = str(tmp_path / "settings")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_screenshot_of_the_demo_exits_0(tmp_path):
    png = tmp_path / "tmp.png"
    proc = subprocess.run([sys.executable, "-m", "dicegui", "--demo", "totalseg", "--screenshot", str(png)],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000


def test_show_and_close_exits_0(tmp_path):
    # The window is shown by the real entry point and closed from the event loop, as a user would.
    script = textwrap.dedent("""
        import sys
        from PySide6 import QtCore, QtWidgets
        app = QtWidgets.QApplication(["dicegui"])
        def close_all():
            shown = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow" and w.isVisible()]
            print("shown", len(shown), flush=True)
            for w in shown:
                w.close()
        QtCore.QTimer.singleShot(300, close_all)
        from dicegui.cli import main
        sys.exit(main([]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "shown 1" in proc.stdout


def test_unreadable_file_with_screenshot_exits_2_naming_it(tmp_path):
    bad = tmp_path / "bad_image.nii.gz"
    bad.write_bytes(b"nope")
    proc = subprocess.run([sys.executable, "-m", "dicegui", str(bad), "--screenshot", str(tmp_path / "x.png")],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "bad_image.nii.gz" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv", [["--demo", "nope"], ["--demo", "totalseg", "x.nii"]])
def test_usage_errors_exit_2(tmp_path, argv):
    from dicegui.gui.app import main

    assert main(argv) == 2
