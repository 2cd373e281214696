"""Cohort worklist: worst first, sorting, opening cases, next/previous keys, review kept across restarts."""
from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from dicegui.core.metrics import overlap
from dicegui.gui.cohort.cohort_window import CohortWindow
from dicegui.score_cli import main as score_main

SHIFTS = {"a": 2, "b": 6, "c": 0, "d": 4}


def _pair(shift):
    gt = np.zeros((12, 12, 6), np.uint8)
    gt[2:9, 2:9, 1:5] = 1
    pred = np.zeros_like(gt)
    pred[2 + shift // 2:9 + shift // 2, 2:9 - shift // 3, 1:5] = 1
    return gt, pred


@pytest.fixture
def cohort_files(tmp_path):
    """Four cases in tmp/study/{gt,pred}, scored by the real CLI into tmp/study/results.csv."""
    study = tmp_path / "study"
    (study / "gt").mkdir(parents=True)
    (study / "pred").mkdir()
    dice = {}
    for name, shift in SHIFTS.items():
        gt, pred = _pair(shift)
        np.save(study / "gt" / f"{name}_gt.npy", gt)
        np.save(study / "pred" / f"{name}_pred.npy", pred)
        dice[name] = overlap(gt, pred)["dice"]
    table = study / "results.csv"
    with open(os.devnull, "w") as null:
        assert score_main(["--gt-dir", str(study / "gt"), "--pred-dir", str(study / "pred"), "--out", str(table),
                           "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
    return study, table, dice


def test_table_is_worst_first_and_sorts_by_header(qtbot, cohort_files):
    _, table, dice = cohort_files
    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert cw.open_csv(table)
    worst_first = sorted(dice, key=lambda n: (dice[n], n))
    assert cw.shown_order() == worst_first
    for name in dice:
        assert cw.cell_text(name, "dice") == f"{dice[name]:.4f}"
    # click the Dice header: already the sort column, so the order reverses (best first)
    col = cw.columns.index("dice")
    cw.table.horizontalHeader().sectionClicked.emit(col)
    assert cw.shown_order() == worst_first[::-1]
    # FN: larger is worse, so worst first is descending
    cw.sort_by("fn")
    fn = {n: int(cw.cohort[n].scores["fn"]) for n in dice}
    assert [fn[n] for n in cw.shown_order()] == sorted(fn.values(), reverse=True)
    cw.sort_by("case")
    assert cw.shown_order() == sorted(dice)


def test_review_status_and_note_survive_closing_and_reopening(qtbot, cohort_files):
    _, table, dice = cohort_files
    cw = CohortWindow()
    qtbot.addWidget(cw)
    cw.show()
    assert cw.open_csv(table)
    cw.select("b")
    cw.status_buttons["rejected"].click()  # as a user clicks it
    cw.note.setText("shifted by 3 voxels")
    cw.select("c")  # leaving the case saves its note
    cw.status_buttons["approved"].click()
    assert cw.cell_text("b", "review") == "Rejected" and cw.cell_text("c", "review") == "Approved"
    assert "1 approved" in cw.counts_label.text() and "1 rejected" in cw.counts_label.text()
    cw.close()
    assert (table.parent / "results.review.json").is_file()

    again = CohortWindow()
    qtbot.addWidget(again)
    assert again.open_csv(table)
    assert again.cell_text("b", "review") == "Rejected" and again.cell_text("b", "note") == "shifted by 3 voxels"
    assert again.cell_text("c", "review") == "Approved" and again.cell_text("a", "review") == "Unreviewed"
    again.select("b")
    assert again.status_buttons["rejected"].isChecked() and again.note.text() == "shifted by 3 voxels"
    # export: the reviewed table with the review columns first
    out = again.export(table.parent / "reviewed.csv")
    with open(out, newline="") as fh:
        rows = {r["case"]: r for r in csv.DictReader(fh)}
    assert rows["b"]["review_status"] == "rejected" and rows["b"]["review_note"] == "shifted by 3 voxels"
    assert float(rows["d"]["dice"]) == dice["d"]


def test_double_click_and_keys_open_cases_in_the_main_window(window, qtbot, cohort_files):
    study, table, dice = cohort_files
    cw = window.qa.cohort.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(table)
    order = cw.shown_order()
    # double-click the second row: that case opens in the main window
    row = 1
    cw.table.cellDoubleClicked.emit(row, 0)
    name = order[row]
    assert window.session is not None and window.session.paths["pred"].name == f"{name}_pred.npy"
    s = window.session
    assert s.live.overlap()["dice"] == dice[name]
    # next / previous case from the main window's keys
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
    qtbot.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert window.session.paths["pred"].name == f"{order[row + 1]}_pred.npy"
    assert cw.current == order[row + 1]
    qtbot.keyClick(window.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert cw.current == order[0]
    assert window.session.paths["pred"].name == f"{order[0]}_pred.npy"
    # at the start of the list: stays, says so
    qtbot.keyClick(window.view, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert cw.current == order[0]
    assert "first case" in window.statusBar().currentMessage()


def test_cohort_from_folders_is_scored_in_the_worker(qtbot, cohort_files):
    study, _, dice = cohort_files
    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert cw.open_dirs(study / "gt", study / "pred")
    assert cw.wait()
    assert cw.shown_order() == sorted(dice, key=lambda n: (dice[n], n))
    assert all(cw.cohort[n].scores["dice"] == dice[n] for n in dice)
    cw.select("a")
    cw.status_buttons["corrected"].click()
    assert (study / "pred" / "dicegui.review.json").is_file()


def test_bad_table_is_a_message_not_a_traceback(qtbot, tmp_path, message_boxes):
    bad = tmp_path / "nope.csv"
    bad.write_text("name,dice\nx,1\n")
    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert not cw.open_csv(bad)
    assert message_boxes and "no 'case' column" in message_boxes[-1][2] and "nope.csv" in message_boxes[-1][2]


def test_mixed_binary_and_label_map_cohort_shows_the_ranking_dice(qtbot, tmp_path):
    # Binary masks have no mean over labels, so a mixed cohort is ranked by the
    # foreground Dice; that column must be in the table (it was hidden whenever
    # any case had a mean Dice, leaving an order no column explained).
    study = tmp_path / "mixed"
    (study / "gt").mkdir(parents=True)
    (study / "pred").mkdir()
    gt = np.zeros((10, 10, 4), np.uint8)
    gt[2:8, 2:8, 1:3] = 1
    binary_pred = np.zeros_like(gt)
    binary_pred[2:8, 2:5, 1:3] = 1  # half of the reference: Dice 2*36/(72+36) = 2/3
    labels_gt = gt.copy()
    labels_gt[2:8, 5:8, 1:3] = 2
    labels_pred = labels_gt.copy()
    labels_pred[2:8, 2:8, 2] = 0  # the second slice lost (36 voxels left) ...
    labels_pred[2:3, 2:8, 1] = 0  # ... and one row of the first: 30 of 72, Dice 2*30/(72+30) = 60/102
    np.save(study / "gt" / "bin.npy", gt)
    np.save(study / "pred" / "bin.npy", binary_pred)
    np.save(study / "gt" / "lab.npy", labels_gt)
    np.save(study / "pred" / "lab.npy", labels_pred)
    table = study / "results.csv"
    with open(os.devnull, "w") as null:
        assert score_main(["--gt-dir", str(study / "gt"), "--pred-dir", str(study / "pred"), "--out", str(table),
                           "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert cw.open_csv(table)
    assert "dice" in cw.columns and "mean_dice" in cw.columns
    assert cw.cell_text("bin", "dice") == f"{2 / 3:.4f}"
    assert cw.cell_text("lab", "dice") == f"{60 / 102:.4f}"
    assert cw.shown_order() == ["lab", "bin"]  # worst first by the visible Dice column


# --------------------------------------------------------------------------- column families

FAMILY_HEADER = ["case", "status", "error", "tp", "fp", "fn", "dice", "iou", "hd95", "nsd_2mm", "mean_dice",
                 "label2_name", "label2_dice", "label2_hd95", "regionWT_dice", "regionET_dice", "regionET_hd95",
                 "lesion_dice", "regionET_lesion_dice", "regionET_num_fn", "pq", "instance_fn", "swapped_voxels"]
# regionET_hd95 worked out by hand: q's ET prediction is empty (inf: worst), r's is undefined (nan),
# s has no ET columns at all (scored before regions existed); t 12 mm, p 4.5 mm.
FAMILY_ROWS = {
    "p": {"dice": "0.80", "regionWT_dice": "0.85", "regionET_dice": "0.70", "regionET_hd95": "4.5",
          "label2_dice": "0.70", "label2_hd95": "3.0"},
    "q": {"dice": "0.90", "regionWT_dice": "0.95", "regionET_dice": "0.0", "regionET_hd95": "inf",
          "label2_dice": "0.10", "label2_hd95": "inf"},
    "r": {"dice": "0.60", "regionWT_dice": "0.50", "regionET_dice": "nan", "regionET_hd95": "nan",
          "label2_dice": "nan", "label2_hd95": "nan"},
    "s": {"dice": "0.70", "regionWT_dice": "0.75"},
    "t": {"dice": "0.75", "regionWT_dice": "0.65", "regionET_dice": "0.40", "regionET_hd95": "12.0",
          "label2_dice": "0.90", "label2_hd95": "1.0"},
}


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for name, row in rows.items():
            w.writerow([{"case": name, "status": "ok"}.get(c, row.get(c, "")) for c in header])
    return path


@pytest.fixture
def family_csv(tmp_path):
    rows = {}
    for name, values in FAMILY_ROWS.items():
        common = {"tp": "100", "fp": "10", "fn": "20", "iou": "0.5", "hd95": "2.0", "nsd_2mm": "0.9",
                  "mean_dice": "0.6", "lesion_dice": "0.8", "pq": "0.7", "instance_fn": "1", "swapped_voxels": "0"}
        if "regionET_hd95" in values:
            common |= {"label2_name": "liver", "regionET_lesion_dice": "0.5", "regionET_num_fn": "1"}
        rows[name] = common | values
    return _write_csv(tmp_path / "families.csv", FAMILY_HEADER, rows)


def _click_menu_item(qtbot, menu, text):
    """Click the entry of an open menu whose text is ``text`` (a sub-menu opens, a check box toggles)."""
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    action = next(a for a in menu.actions() if a.text() == text)
    centre = menu.actionGeometry(action).center()
    qtbot.mouseMove(menu, centre)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=centre)
    return action


def _click_header(qtbot, cw, column):
    header = cw.table.horizontalHeader()
    i = cw.columns.index(column)
    cw.table.scrollTo(cw.table.model().index(0, i))
    x = header.sectionViewportPosition(i) + header.sectionSize(i) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def _header_text(cw, column):
    return cw.table.horizontalHeaderItem(cw.columns.index(column)).text()


def test_region_column_shown_from_the_menu_sorts_inf_worst_and_is_remembered(qtbot, family_csv, private_settings):
    cw = CohortWindow()
    qtbot.addWidget(cw)
    cw.resize(1800, 600)
    cw.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(family_csv)
    # defaults: today's columns (mean Dice ranks, so the foreground Dice is left out), region Dice, lesion Dice
    shown = cw.shown_metrics()
    # foreground first (no mean IoU in this table, so the IoU stays), then regions, then lesion-wise
    assert shown[:6] == ["mean_dice", "iou", "hd95", "nsd_2mm", "fp", "fn"]
    assert set(shown[6:8]) == {"regionWT_dice", "regionET_dice"}
    assert shown[8:] == ["lesion_dice", "regionET_lesion_dice"]
    assert "regionET_hd95" not in shown and "label2_dice" not in shown and "pq" not in shown
    assert _header_text(cw, "nsd_2mm") == "NSD 2 mm" and _header_text(cw, "regionWT_dice") == "WT Dice"

    # Columns… ▸ Per region ▸ Region ET ▸ HD95, with real clicks; the menu stays open after the tick
    qtbot.mouseClick(cw.columns_button, Qt.MouseButton.LeftButton)
    _click_menu_item(qtbot, cw.column_menu, "Per region")
    regions = cw.column_menu.group_menu("Per region")
    et = _click_menu_item(qtbot, regions, "Region ET").menu()
    ticked = _click_menu_item(qtbot, et, "HD95")
    assert ticked.isChecked() and et.isVisible()
    assert "regionET_hd95" in cw.columns and _header_text(cw, "regionET_hd95") == "ET HD95"
    # ... and untick the WT Dice in the same open menu
    regions_wt = _click_menu_item(qtbot, regions, "Region WT").menu()
    _click_menu_item(qtbot, regions_wt, "Dice")
    assert "regionWT_dice" not in cw.columns
    qtbot.keyClick(regions_wt, Qt.Key.Key_Escape)

    # clicking its header: a distance, so worst = largest; inf worst of all; nan, then missing, last
    _click_header(qtbot, cw, "regionET_hd95")
    assert cw.shown_order() == ["q", "t", "p", "r", "s"]
    q = cw.table.item(cw.row_of("q"), cw.columns.index("regionET_hd95"))
    assert q.text() == "∞" and q.toolTip() == "a mask is empty: no surface"
    r = cw.table.item(cw.row_of("r"), cw.columns.index("regionET_hd95"))
    s = cw.table.item(cw.row_of("s"), cw.columns.index("regionET_hd95"))
    assert r.text() == "—" and "undefined" in r.toolTip()
    assert s.text() == "—" and "not computed" in s.toolTip()
    assert cw.cell_text("t", "regionET_hd95") == "12.00" and cw.cell_text("p", "regionET_hd95") == "4.50"
    # a second click: best first, the undefined and missing cases still last
    _click_header(qtbot, cw, "regionET_hd95")
    assert cw.shown_order() == ["p", "t", "q", "r", "s"]
    # a region Dice, shown again by the API: smaller is worse
    assert cw.set_column_shown("regionWT_dice", True)
    _click_header(qtbot, cw, "regionWT_dice")
    assert cw.shown_order() == ["r", "t", "s", "p", "q"]  # 0.50, 0.65, 0.75, 0.85, 0.95
    cw.set_column_shown("regionWT_dice", False)

    # remembered (in the test's own settings folder) for the next window and table
    again = CohortWindow()
    qtbot.addWidget(again)
    assert again.open_csv(family_csv)
    assert "regionET_hd95" in again.columns and "regionWT_dice" not in again.columns
    assert any("worklist" in p.read_text() for p in private_settings.rglob("*.ini"))
    # Default columns forgets the choice
    again.reset_columns()
    assert again.shown_metrics() == again.default_columns() and "regionWT_dice" in again.columns


def test_label_columns_carry_the_label_name_and_inf_sorts_worst(qtbot, family_csv):
    cw = CohortWindow()
    qtbot.addWidget(cw)
    cw.resize(1800, 600)
    cw.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(family_csv)
    qtbot.mouseClick(cw.columns_button, Qt.MouseButton.LeftButton)
    _click_menu_item(qtbot, cw.column_menu, "Per label")
    liver = _click_menu_item(qtbot, cw.column_menu.group_menu("Per label"), "Label 2: liver").menu()
    _click_menu_item(qtbot, liver, "HD95")
    qtbot.keyClick(liver, Qt.Key.Key_Escape)
    assert _header_text(cw, "label2_hd95") == "liver HD95"
    _click_header(qtbot, cw, "label2_hd95")
    assert cw.shown_order() == ["q", "p", "t", "r", "s"]  # inf, 3.0, 1.0, nan, missing
    # groups the table has nothing of are listed, greyed out
    cw.column_menu.set_columns(["dice"], ["dice"])
    texts = {a.text(): a.isEnabled() for a in cw.column_menu.actions() if a.text()}
    assert texts["Foreground"] and not texts["Instances (none in this table)"]


def test_old_table_plain_nsd_column_is_titled_nsd(qtbot, tmp_path):
    table = _write_csv(tmp_path / "old.csv", ["case", "status", "dice", "hd95", "nsd"],
                       {"a": {"dice": "0.9", "hd95": "1.0", "nsd": "0.8"},
                        "b": {"dice": "0.5", "hd95": "inf", "nsd": "0.3"}})
    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert cw.open_csv(table)
    assert _header_text(cw, "nsd") == "NSD"
    tip = cw.table.horizontalHeaderItem(cw.columns.index("nsd")).toolTip()
    assert "tolerance not recorded" in tip
    cw.sort_by("nsd")
    assert cw.shown_order() == ["b", "a"]


def test_folders_scored_with_regions_and_tolerance_chosen_in_the_dialog(qtbot, tmp_path):
    from dicegui.gui.cohort.cohort_window import OpenFoldersDialog

    study = tmp_path / "regions"
    (study / "gt").mkdir(parents=True)
    (study / "pred").mkdir()
    gt = np.zeros((12, 12, 6), np.uint8)
    gt[2:6, 2:6, 1:3] = 1  # 32 voxels
    gt[6:10, 2:6, 1:3] = 2  # 32 voxels, touching label 1
    swapped = np.where(gt == 2, 1, gt).astype(np.uint8)  # every label-2 voxel predicted as label 1
    np.save(study / "gt" / "same.npy", gt)
    np.save(study / "pred" / "same.npy", gt)
    np.save(study / "gt" / "swap.npy", gt)
    np.save(study / "pred" / "swap.npy", swapped)

    dlg = OpenFoldersDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.mouseClick(dlg.surface, Qt.MouseButton.LeftButton)
    dlg.tolerance.clear()
    qtbot.keyClicks(dlg.tolerance, "2")
    qtbot.keyClicks(dlg.regions, "U=1,2;B=2;bad name=1")
    qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Open), Qt.MouseButton.LeftButton)
    assert dlg.result() != dlg.DialogCode.Accepted and "bad name" in dlg.problem.text()  # said, dialog stays
    dlg.regions.clear()
    qtbot.keyClicks(dlg.regions, "U=1,2;B=2")
    qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Open), Qt.MouseButton.LeftButton)
    assert dlg.result() == dlg.DialogCode.Accepted

    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert cw.open_dirs(study / "gt", study / "pred", options=dlg.score_options(), workers=1)
    assert cw.wait()
    # hand-worked: the union U is predicted exactly in both cases (Dice 1); B (label 2) is empty in
    # "swap"'s prediction (Dice 0, no surface: HD95 infinite)
    assert {"regionU_dice", "regionB_dice"} <= set(cw.columns)
    assert cw.cell_text("swap", "regionU_dice") == "1.0000" and cw.cell_text("swap", "regionB_dice") == "0.0000"
    assert cw.column_title("nsd_2mm") == "NSD 2 mm" and "nsd_2mm" in cw.columns
    assert cw.set_column_shown("regionB_hd95")
    cw.sort_by("regionB_hd95")
    assert cw.shown_order() == ["swap", "same"]
    assert cw.cell_text("swap", "regionB_hd95") == "∞" and cw.cell_text("same", "regionB_hd95") == "0.00"


def _column_in_sight(cw, column) -> bool:
    header = cw.table.horizontalHeader()
    i = cw.columns.index(column)
    x = header.sectionViewportPosition(i)
    return x >= 0 and x + header.sectionSize(i) <= cw.table.viewport().width()


def test_a_ticked_column_comes_into_sight_and_sorting_by_it_keeps_it_there(qtbot, family_csv):
    # a narrow window: the table scrolls sideways, as the BraTS worklist does at 1100 px
    cw = CohortWindow()
    qtbot.addWidget(cw)
    cw.resize(700, 400)
    cw.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(family_csv)
    cw.select("p")
    qtbot.mouseClick(cw.columns_button, Qt.MouseButton.LeftButton)
    _click_menu_item(qtbot, cw.column_menu, "Per region")
    et = _click_menu_item(qtbot, cw.column_menu.group_menu("Per region"), "Region ET").menu()
    _click_menu_item(qtbot, et, "HD95")
    qtbot.keyClick(et, Qt.Key.Key_Escape)
    # the new column is appended among the region columns, right of the first screenful: scrolled to
    assert cw.table.horizontalScrollBar().value() > 0
    assert _column_in_sight(cw, "regionET_hd95")
    # a click on its header (where it is now, no scrolling by the test) sorts and leaves it in sight
    header = cw.table.horizontalHeader()
    i = cw.columns.index("regionET_hd95")
    before = cw.table.horizontalScrollBar().value()
    x = header.sectionViewportPosition(i) + header.sectionSize(i) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert cw.shown_order() == ["q", "t", "p", "r", "s"]  # inf worst, then 12, 4.5; nan and missing last
    assert cw.table.horizontalScrollBar().value() == before
    assert _column_in_sight(cw, "regionET_hd95")
    assert header.sortIndicatorSection() == i


def test_a_case_named_in_bytes_that_are_not_utf8_is_shown_escaped_and_opens(window, qtbot, tmp_path):
    # dicegui score writes such a file name as its own bytes; Qt would drop them without a word
    study = tmp_path / "study"
    (study / "gt").mkdir(parents=True)
    (study / "pred").mkdir()
    gt, pred = _pair(2)
    odd = os.fsdecode(b"caf\xe9")  # Latin-1 "café"
    try:
        np.save(study / "gt" / f"{odd}_gt.npy", gt)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    np.save(study / "pred" / f"{odd}_pred.npy", pred)
    table = study / "results.csv"
    with open(os.devnull, "w") as null:
        assert score_main(["--gt-dir", str(study / "gt"), "--pred-dir", str(study / "pred"), "--out", str(table),
                           "--workers", "1", "--no-progress"], stdout=null, stderr=null) == 0
    assert b"caf\xe9" in table.read_bytes()
    cw = window.qa.cohort.show()
    qtbot.waitExposed(cw)
    assert cw.open_csv(table)
    assert cw.shown_order() == [odd]
    assert cw.table.item(0, cw.columns.index("case")).text() == "caf\\xe9"
    cw.table.cellDoubleClicked.emit(0, 0)
    assert os.fsencode(window.session.paths["pred"].name) == b"caf\xe9_pred.npy"
    assert window.session.live.overlap()["dice"] == overlap(gt, pred)["dice"]
    assert "caf\\xe9_gt.npy" in window.windowTitle()
