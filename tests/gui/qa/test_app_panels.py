"""``dicegui --panel NAME --screenshot``, ``--cohort CSV`` and ``--gt-dir/--pred-dir`` on the command line."""
from __future__ import annotations

import os

import numpy as np
from PySide6 import QtGui

from dicegui.gui import app
from dicegui.gui.qa import wiring
from dicegui.score_cli import main as score_main


def _cases(folder):
    (folder / "gt").mkdir(parents=True)
    (folder / "pred").mkdir()
    for i, name in enumerate(("x", "y", "z")):
        gt = np.zeros((10, 10, 4), np.uint8)
        gt[2:8, 2:8, 1:3] = 1
        pred = np.zeros_like(gt)
        pred[2:8 - i, 2:8, 1:3] = 1
        np.save(folder / "gt" / f"{name}_gt.npy", gt)
        np.save(folder / "pred" / f"{name}_pred.npy", pred)


def test_panel_names_agree():
    assert app.PANELS == wiring.PANELS


def test_navigator_screenshot_starts_on_the_first_region(qtbot, tmp_path, capsys):
    png = tmp_path / "nav.png"
    assert app.main(["--demo", "accuracy-trap", "--panel", "navigator", "--screenshot", str(png)]) == 0
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == app.SCREENSHOT_SIZE
    assert "screenshot saved" in capsys.readouterr().out


def test_cohort_table_opens_its_worst_case_and_screenshots_the_worklist(qtbot, tmp_path):
    _cases(tmp_path)
    table = tmp_path / "results.csv"
    with open(os.devnull, "w") as null:
        assert score_main(["--gt-dir", str(tmp_path / "gt"), "--pred-dir", str(tmp_path / "pred"),
                           "--out", str(table), "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
    png = tmp_path / "cohort.png"
    assert app.main(["--cohort", str(table), "--panel", "cohort", "--screenshot", str(png)]) == 0
    image = QtGui.QImage(str(png))
    assert (image.width(), image.height()) == app.COHORT_SCREENSHOT_SIZE
    # the same from the two folders
    png2 = tmp_path / "dirs.png"
    assert app.main(["--gt-dir", str(tmp_path / "gt"), "--pred-dir", str(tmp_path / "pred"),
                     "--panel", "teaching", "--screenshot", str(png2)]) == 0
    assert QtGui.QImage(str(png2)).width() == app.SCREENSHOT_SIZE[0]


def test_bad_combinations_are_usage_errors(capsys, tmp_path):
    assert app.main(["--gt-dir", str(tmp_path)]) == 2
    assert "both --gt-dir and --pred-dir" in capsys.readouterr().err
    assert app.main(["--cohort", str(tmp_path / "r.csv"), "--demo", "totalseg"]) == 2
    assert "not both" in capsys.readouterr().err
    assert app.main(["--cohort", str(tmp_path / "missing.csv"), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert "no such file" in capsys.readouterr().err
