"""Cohort worklist: worst first, sorting, opening cases, next/previous keys, review kept across restarts."""
from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PySide6.QtCore import Qt

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
