"""Paths in the table of ``dicegui score --out``: written for the table's folder, found by Cohort.from_csv."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from dicegui.core import metrics
from dicegui.core.cohort import paths_relative_to
from dicegui.core.review import Cohort
from dicegui.score_cli import main


def _write_cohort(root: Path) -> dict:
    """Three 3-D cases as .npy in root/G and root/P; returns {name: (gt, pred)}."""
    g, p = root / "G", root / "P"
    g.mkdir(parents=True)
    p.mkdir(parents=True)
    arrays = {}
    for k, name in enumerate(("a", "b", "c")):
        gt = np.zeros((6, 7, 5), np.uint8)
        gt[1:5, 1:6, 1:4] = 1
        pred = np.zeros_like(gt)
        pred[1 + k % 2:5, 1:6 - k, 1:4] = 1
        np.save(g / f"{name}_gt.npy", gt)
        np.save(p / f"{name}_pred.npy", pred)
        arrays[name] = (gt, pred)
    return arrays


def _score(argv) -> int:
    with open(os.devnull, "w") as null:
        return main(argv + ["--workers", "1", "--no-progress"], stdout=null, stderr=null)


def _path_cells(table: Path) -> list[tuple[str, str]]:
    with open(table, newline="") as fh:
        return [(r["gt"], r["pred"]) for r in csv.DictReader(fh) if r["status"] != "summary"]


def test_out_in_another_folder_opens_with_every_case(tmp_path, monkeypatch):
    arrays = _write_cohort(tmp_path)
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path)  # relative arguments, as a user types them
    assert _score(["--gt-dir", "G", "--pred-dir", "P", "--out", "other/results.csv"]) == 0
    table = tmp_path / "other" / "results.csv"
    # the files are outside the table's folder: written as absolute paths
    for gt_cell, pred_cell in _path_cells(table):
        assert Path(gt_cell).is_absolute() and Path(pred_cell).is_absolute()
    monkeypatch.chdir(tmp_path / "other")  # opened from elsewhere: the cwd must not matter
    cohort = Cohort.from_csv(table, allow_absolute=True)
    assert sorted(c.name for c in cohort) == ["a", "b", "c"]
    for case in cohort:
        assert case.openable, case.problems
        gt, pred = arrays[case.name]
        assert case.gt == (tmp_path / "G" / f"{case.name}_gt.npy").resolve()
        assert case.pred == (tmp_path / "P" / f"{case.name}_pred.npy").resolve()
        assert case.scores["dice"] == metrics.overlap(gt, pred)["dice"]
        loaded = case.load()
        assert np.array_equal(loaded.pred_mask != 0, pred != 0)
    # without trusting the table, paths leading out of its folder are refused (and say why)
    untrusted = Cohort.from_csv(table)
    assert all(not c.openable and "trust the paths" in c.problems[0] for c in untrusted)


def test_out_above_the_files_writes_portable_relative_paths(tmp_path, monkeypatch):
    arrays = _write_cohort(tmp_path / "study")
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)  # the cwd is neither the table's folder nor the data's
    assert _score(["--gt-dir", "../study/G", "--pred-dir", str(tmp_path / "study" / "P"),
                   "--out", "../study/results.csv"]) == 0
    table = tmp_path / "study" / "results.csv"
    cells = _path_cells(table)
    assert cells == [(f"G{os.sep}{n}_gt.npy", f"P{os.sep}{n}_pred.npy") for n in ("a", "b", "c")]
    # the folder can move as a whole: the table still finds every case
    moved = tmp_path / "moved"
    (tmp_path / "study").rename(moved)
    monkeypatch.chdir(tmp_path)
    cohort = Cohort.from_csv(moved / "results.csv")  # default: no trust needed
    assert all(c.openable for c in cohort)
    for case in cohort:
        assert case.gt == (moved / "G" / f"{case.name}_gt.npy").resolve()
        gt, pred = arrays[case.name]
        assert case.scores["dice"] == metrics.overlap(gt, pred)["dice"]


def test_paths_relative_to_rules(tmp_path):
    rows = [{"case": "x", "gt": str(tmp_path / "t" / "g.npy"), "pred": str(tmp_path / "p.npy"), "dice": 1.0},
            {"case": "y", "gt": "", "pred": None}]
    out = paths_relative_to(rows, tmp_path / "t")
    assert out[0]["gt"] == "g.npy"
    assert out[0]["pred"] == str(tmp_path / "p.npy")  # outside: absolute
    assert out[0]["dice"] == 1.0 and out[1]["gt"] == "" and out[1]["pred"] is None
    assert rows[0]["gt"] == str(tmp_path / "t" / "g.npy")  # input rows untouched
    # a sibling folder whose name starts like the table's folder is not "inside"
    (tmp_path / "tt").mkdir()
    near = paths_relative_to([{"gt": str(tmp_path / "tt" / "g.npy")}], tmp_path / "t")
    assert near[0]["gt"] == str(tmp_path / "tt" / "g.npy")


@pytest.mark.parametrize("folder", ["", "."])
def test_paths_relative_to_current_folder(tmp_path, monkeypatch, folder):
    monkeypatch.chdir(tmp_path)
    out = paths_relative_to([{"gt": "sub/g.npy"}], folder)
    assert out[0]["gt"] == os.path.join("sub", "g.npy")
