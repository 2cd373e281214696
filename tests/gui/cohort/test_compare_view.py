"""File ▸ Compare with…: the paired plot holds A's and B's values of every case, a click on a line opens it."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from dicegui.gui.cohort import compare_view
from dicegui.score_cli import main as score_main

# case -> (shift of model A's box, shift of model B's box) along the first axis, in voxels
SHIFTS = {"alpha": (1, 0), "beta": (3, 1), "gamma": (0, 2), "delta": (2, 2), "eps": (1, 3)}


def box(shift):
    m = np.zeros((14, 14, 6), np.uint8)
    m[2 + shift:9 + shift, 2:9, 1:5] = 1
    return m


def dice(gt, pred):
    return 2 * np.logical_and(gt, pred).sum() / (gt.sum() + pred.sum())


@pytest.fixture
def study(tmp_path):
    """Two tables scored by dicegui score: model A and model B on the same five cases."""
    (tmp_path / "gt").mkdir()
    expected = {}
    for model, k in (("a", 0), ("b", 1)):
        (tmp_path / model).mkdir()
        for name, shifts in SHIFTS.items():
            np.save(tmp_path / model / f"{name}_pred.npy", box(shifts[k]))
    for name, (sa, sb) in SHIFTS.items():
        np.save(tmp_path / "gt" / f"{name}_gt.npy", box(0))
        expected[name] = (dice(box(0), box(sa)), dice(box(0), box(sb)))
    tables = []
    for model in ("a", "b"):
        out = tmp_path / f"{model}.csv"  # beside gt/, a/ and b/: the worklist opens paths inside its folder
        with open(os.devnull, "w") as null:
            assert score_main(["--gt-dir", str(tmp_path / "gt"), "--pred-dir", str(tmp_path / model), "--out",
                               str(out), "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
        tables.append(out)
    return tables[0], tables[1], expected


def _click_line(qtbot, plot, x, y):
    qtbot.wait(50)  # the view range follows the data at the next layout pass
    scene = plot.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    where = plot.mapFromScene(scene)
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(where.x()), round(where.y())))


def test_compare_action_plots_pairs_and_click_opens_case(window, qtbot, study, monkeypatch):
    table_a, table_b, expected = study
    cw = window.qa.cohort.show()
    qtbot.waitExposed(cw)
    assert not cw.act_compare.isEnabled()
    assert cw.open_csv(table_a)
    assert cw.act_compare.isEnabled()
    asked = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda *a, **k: asked.append(a) or (str(table_b), ""))
    cw.act_compare.trigger()
    assert asked[0][2] == str(table_a.parent)  # the dialog starts beside the open table
    dialog = cw.compare_dialog
    assert dialog is not None and dialog.result.column == "dice"
    qtbot.waitExposed(dialog)

    # largest |B - A| first, ties by name; lines interleave A, B per case
    order = sorted(expected, key=lambda n: (-abs(expected[n][1] - expected[n][0]), n))
    x, y = dialog.plot.lines.getData()
    assert np.array_equal(x, np.tile([0.0, 1.0], len(order)))
    assert np.allclose(y, np.ravel([expected[n] for n in order]))
    axes = dialog.plot.getPlotItem().getAxis
    assert axes("left").autoSIPrefixScale == 1.0  # Dice in its own units, never "Dice (x0.001)"
    assert [t for _, t in axes("bottom")._tickLevels[0]] == ["A: a.csv", "B: b.csv"]
    hx, hy = dialog.plot.highlight.getData()
    assert np.allclose(hy, y)  # five cases: all among the ten highlighted
    d = np.array([expected[n][1] - expected[n][0] for n in order])
    assert f"Mean difference:   {d.mean():+.4g}" in dialog.report.toPlainText()
    assert "fewer than 10 pairs" in dialog.report.toPlainText()

    # the line whose midpoint is farthest from the others' is unambiguous to click
    mids = {n: 0.5 * sum(expected[n]) for n in order}
    target = max(order, key=lambda n: min(abs(mids[n] - mids[m]) for m in order if m != n))
    assert window.session is None or window.session.paths["pred"].name != f"{target}_pred.npy"
    _click_line(qtbot, dialog.plot, 0.5, mids[target])
    qtbot.waitUntil(lambda: window.session is not None
                    and window.session.paths["pred"].name == f"{target}_pred.npy", timeout=5000)
    assert cw.current == target

    # a comparison does not outlive its worklist (nor stay in front of the next window)
    cw.close()
    qtbot.waitUntil(lambda: cw.compare_dialog is None, timeout=5000)
    assert not [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, compare_view.CompareDialog)
                and w.isVisible()]


def test_compare_follows_sort_column_and_reports_bad_table(window, qtbot, study, tmp_path, monkeypatch):
    table_a, table_b, expected = study
    cw = window.qa.cohort.show()
    cw.dialogs_enabled = False
    assert cw.open_csv(table_a)
    cw.cohort.sort("iou")
    dialog = compare_view.compare_with(cw, table_b)
    assert dialog.result.column == "iou"
    iou = {n: (a / (2 - a), b / (2 - b)) for n, (a, b) in expected.items()}  # IoU = D / (2 - D)
    r = dialog.result
    assert np.allclose(r.a, [iou[n][0] for n in r.cases]) and np.allclose(r.b, [iou[n][1] for n in r.cases])
    assert dialog.plot.case_at(0.5, 10.0) is None  # far from every line

    # the Export plot… button writes the paired plot where the user chose, PNG or SVG by suffix
    button = next(b for b in dialog.findChildren(QtWidgets.QPushButton) if b.text().startswith("Export plot"))
    for name in ("paired.png", "paired.svg"):
        monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / name), ""))
        button.click()
    assert (tmp_path / "paired.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(tmp_path / "paired.svg").getroot().tag.endswith("svg")
    with pytest.raises(ValueError, match="png or .svg"):
        dialog.export(tmp_path / "paired.gif")
    dialog.close()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,dice\nx,1\n")
    assert compare_view.compare_with(cw, bad) is None
    assert "bad.csv" in cw.last_error and "no 'case' column" in cw.last_error
