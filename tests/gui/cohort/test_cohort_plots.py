"""The worklist's Plots dock: the points drawn are the table's values, a click on one opens its case, export."""
from __future__ import annotations

import csv
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from dicegui.gui.cohort.cohort_window import CohortWindow
from dicegui.score_cli import main as score_main

# A table written by hand. Foreground volumes (mL): differences pred − ref = 2, -1, 3, 0, case "e" has no
# reference volume (nan). bias = 4 / 4 = 1; squared deviations 1, 4, 4, 1 → SD = sqrt(10 / 3) = 1.8257419;
# limits 1 ∓ 1.96 × 1.8257419 = -2.5784541, 4.5784541.
ROWS = [
    {"case": "a", "status": "ok", "dice": 0.9, "label1_dice": 0.95, "label2_dice": 0.7, "label1_hd95": 1.0,
     "label2_hd95": "inf", "gt_ml": 10.0, "pred_ml": 12.0},
    {"case": "b", "status": "ok", "dice": 0.8, "label1_dice": 0.85, "label2_dice": 0.6, "label1_hd95": 2.0,
     "label2_hd95": 4.0, "gt_ml": 20.0, "pred_ml": 19.0},
    {"case": "c", "status": "ok", "dice": 0.5, "label1_dice": 0.55, "label2_dice": 0.1, "label1_hd95": 3.0,
     "label2_hd95": "inf", "gt_ml": 5.0, "pred_ml": 8.0},
    {"case": "d", "status": "ok", "dice": 0.95, "label1_dice": 0.9, "label2_dice": 0.8, "label1_hd95": 9.0,
     "label2_hd95": 5.0, "gt_ml": 7.0, "pred_ml": 7.0},
    {"case": "e", "status": "ok", "dice": 0.2, "label1_dice": 0.4, "label2_dice": 0.3, "label1_hd95": 7.0,
     "label2_hd95": 6.0, "gt_ml": "nan", "pred_ml": 3.0},
]


@pytest.fixture
def plots_window(qtbot, tmp_path):
    table = tmp_path / "results.csv"
    with open(table, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(ROWS[0]))
        w.writeheader()
        w.writerows(ROWS)
    cw = CohortWindow()
    cw.dialogs_enabled = False
    qtbot.addWidget(cw)
    cw.resize(1200, 900)
    cw.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(table)
    return cw


def _by_name(scatter):
    x, y = scatter.getData()
    names = [str(n) for n in scatter.data["data"]]
    return x, y, names


def test_distribution_points_and_boxes_are_the_tables_values(plots_window):
    plots = plots_window.plots
    assert [plots.metric_combo.itemData(i) for i in range(plots.metric_combo.count())] == ["dice", "hd95"]
    x, y, names = _by_name(plots.scatters["distribution"])
    # one box per label: label 1 at x≈0, label 2 at x≈1, each case once per label
    lab1, lab2 = np.abs(x) < 0.5, np.abs(x - 1) < 0.5
    assert lab1.sum() == 5 and lab2.sum() == 5
    want1 = {r["case"]: r["label1_dice"] for r in ROWS}
    want2 = {r["case"]: r["label2_dice"] for r in ROWS}
    assert {n: v for n, v, k in zip(names, y, lab1) if k} == want1
    assert {n: v for n, v, k in zip(names, y, lab2) if k} == want2
    # the box lines hold numpy's quartiles and median of label 1 (x between -0.3 and 0.3)
    bx, by = plots.boxes.getData()
    levels = set(np.round(by[np.abs(bx) <= 0.3], 12))
    q1, med, q3 = np.percentile(list(want1.values()), [25, 50, 75])
    assert {round(q1, 12), round(med, 12), round(q3, 12)} <= levels
    # HD95: two infinite values of label 2 are counted in the title, not drawn
    plots.metric_combo.setCurrentIndex(1)
    x, y, names = _by_name(plots.scatters["distribution"])
    assert np.all(np.isfinite(y)) and len(y) == 5 + 3
    assert "2 infinite value(s) not drawn (Label 2: 2)" in plots.plots["distribution"].getPlotItem().titleLabel.text


def test_bland_altman_points_lines_and_text_match_the_hand_worked_table(plots_window):
    plots = plots_window.plots
    assert plots.agreement_combo.currentText() == "Foreground"
    x, y, names = _by_name(plots.scatters["agreement"])
    assert names == ["a", "b", "c", "d"] or sorted(names) == ["a", "b", "c", "d"]
    diff = {r["case"]: r["pred_ml"] - r["gt_ml"] for r in ROWS if r["case"] != "e"}
    mean = {r["case"]: (r["pred_ml"] + r["gt_ml"]) / 2 for r in ROWS if r["case"] != "e"}
    assert dict(zip(names, y)) == diff and dict(zip(names, x)) == mean
    lines = plots.agreement_lines
    assert lines["bias"].value() == pytest.approx(1.0)
    assert lines["lower"].value() == pytest.approx(-2.5784541)
    assert lines["upper"].value() == pytest.approx(4.5784541)
    text = plots.agreement_text.text()
    assert "Mean bias +1.00 mL" in text and "SD 1.83 mL" in text and "-2.58 to +4.58 mL" in text
    assert "Left out 1: e: reference is undefined" in text


def test_volume_against_dice_and_log_axis(plots_window):
    plots = plots_window.plots
    x, y, names = _by_name(plots.scatters["volume_dice"])
    want = {r["case"]: (r["gt_ml"], r["dice"]) for r in ROWS if r["case"] != "e"}
    assert {n: (a, b) for n, a, b in zip(names, x, y)} == want
    plots.tabs.setCurrentIndex(2)
    plots.log_x.click()
    assert plots.plots["volume_dice"].getPlotItem().ctrl.logXCheck.isChecked()
    # in log mode pyqtgraph keeps the data and draws log10 of it
    x, _, _ = _by_name(plots.scatters["volume_dice"])
    assert sorted(x) == sorted(v for v, _ in want.values())


def _click_point(qtbot, plot, scatter, name):
    """A real left click on the plot's viewport where the point of ``name`` is drawn."""
    qtbot.wait(50)  # the view range follows the data at the next layout pass; map after it
    names = [str(n) for n in scatter.data["data"]]
    i = names.index(name)
    pt = scatter.points()[i].pos()
    scene = plot.getPlotItem().vb.mapViewToScene(QPointF(pt.x(), pt.y()))
    where = plot.mapFromScene(scene)
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(where.x(), where.y()))


def test_clicking_a_point_selects_its_case(plots_window, qtbot):
    cw = plots_window
    plots = cw.plots
    plots.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: plots.plots["agreement"].isVisible())
    first = cw.current
    target = "c" if first != "c" else "b"
    with qtbot.waitSignal(plots.caseClicked, timeout=2000) as sig:
        _click_point(qtbot, plots.plots["agreement"], plots.scatters["agreement"], target)
    assert sig.args == [target]
    assert cw.current == target  # the worklist selects it, as open_case does for a double-click
    assert cw.shown_order()[cw.table.currentRow()] == target


def test_export_writes_png_and_svg(plots_window, tmp_path):
    plots = plots_window.plots
    for key in ("distribution", "agreement", "volume_dice"):
        png, svg = plots.export(key, tmp_path / f"{key}.png"), plots.export(key, tmp_path / f"{key}.svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 10
    with pytest.raises(ValueError, match="png or .svg"):
        plots.export("agreement", tmp_path / "plot.jpg")


def test_clicking_a_point_opens_the_case_in_the_main_window(window, qtbot, tmp_path):
    """End to end: real masks scored by the CLI, a click on the Dice-vs-volume plot opens that case."""
    study = tmp_path / "study"
    (study / "gt").mkdir(parents=True)
    (study / "pred").mkdir()
    for name, size in {"big": 8, "small": 3, "mid": 5}.items():
        gt = np.zeros((12, 12, 6), np.uint8)
        gt[1:1 + size, 1:1 + size, 1:5] = 1
        pred = np.zeros_like(gt)
        pred[2:2 + size, 1:1 + size, 1:5] = 1
        np.save(study / "gt" / f"{name}_gt.npy", gt)
        np.save(study / "pred" / f"{name}_pred.npy", pred)
    table = study / "results.csv"
    with open(os.devnull, "w") as null:
        assert score_main(["--gt-dir", str(study / "gt"), "--pred-dir", str(study / "pred"), "--out", str(table),
                           "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
    cw = window.qa.cohort.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(table)
    plots = cw.plots
    plots.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: plots.plots["volume_dice"].isVisible())
    x, _, names = _by_name(plots.scatters["volume_dice"])
    # reference volume: size² × 4 voxels of 1 mm³ (the .npy grid has unit spacing)
    assert dict(zip(names, x)) == pytest.approx({"big": 256 / 1000, "small": 36 / 1000, "mid": 100 / 1000})
    _click_point(qtbot, plots.plots["volume_dice"], plots.scatters["volume_dice"], "small")
    qtbot.waitUntil(lambda: window.session is not None and window.session.paths["pred"].name == "small_pred.npy",
                    timeout=5000)
    assert cw.current == "small"


def test_old_tables_take_volumes_from_voxel_counts_or_say_they_have_none(qtbot):
    from dicegui.gui.cohort.cohort_plots import CohortPlots

    plots = CohortPlots()
    qtbot.addWidget(plots)
    # 1 × 2 × 5 mm voxels = 0.01 mL; a: ref (90 + 10) → 1.0 mL, pred (90 + 30) → 1.2 mL; b: 2.0 and 1.5 mL
    plots.set_rows([{"case": "a", "tp": 90, "fn": 10, "fp": 30, "dice": 0.8, "spacing_mm": "1.0x2.0x5.0"},
                    {"case": "b", "tp": 150, "fn": 50, "fp": 0, "dice": 0.857, "spacing_mm": "1.0x2.0x5.0"}])
    x, y, names = _by_name(plots.scatters["agreement"])
    assert dict(zip(names, y)) == pytest.approx({"a": 0.2, "b": -0.5})
    assert dict(zip(names, x)) == pytest.approx({"a": 1.1, "b": 1.75})
    assert "from voxel counts × spacing_mm" in plots.agreement_text.text()
    plots.set_rows([{"case": "a", "dice": 0.8}, {"case": "b", "dice": 0.7}])
    assert plots.agreement_text.text().startswith("volumes not in this table")
    assert len(plots.scatters["agreement"].getData()[0]) == 0
    assert plots.volume_combo.count() == 0 and len(plots.scatters["volume_dice"].getData()[0]) == 0
