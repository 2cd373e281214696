"""Cohort worklist: opening, sorting, stepping, review persistence, path safety, export."""
from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from dicegui.core import metrics
from dicegui.core.io import SaveError
from dicegui.core.review import (
    DIRS_SIDECAR,
    Cohort,
    CohortError,
    ReviewFileError,
)

HEADER = ["case", "status", "error", "gt_kind", "pred_kind", "tp", "fp", "fn", "tn", "dice", "iou",
          "hd95", "warnings", "gt", "pred"]


def mask_pair(shift: int):
    gt = np.zeros((4, 12, 12), np.uint8)
    gt[1:3, 2:8, 2:8] = 1
    pred = np.zeros_like(gt)
    pred[1:3, 2 + shift:8 + shift, 2:8] = 1
    return gt, pred


def write_case_files(folder: Path, name: str, shift: int):
    (folder / "gt").mkdir(exist_ok=True)
    (folder / "pred").mkdir(exist_ok=True)
    gt, pred = mask_pair(shift)
    np.save(folder / "gt" / f"{name}.npy", gt)
    np.save(folder / "pred" / f"{name}_pred.npy", pred)
    return f"gt/{name}.npy", f"pred/{name}_pred.npy"


def write_table(path: Path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(c, "") for c in header])


@pytest.fixture
def table(tmp_path):
    """A results.csv as dicegui score writes it: 4 scored cases, a failed one, summary rows."""
    rows = []
    for name, dice, hd95 in (("a", "0.9", "1.5"), ("b", "0.5", "7.0"), ("c", "nan", "inf"), ("d", "0.7", "3.0")):
        g, p = write_case_files(tmp_path, name, 1)
        rows.append({"case": name, "status": "ok", "gt_kind": "binary", "pred_kind": "binary",
                     "tp": "10", "fp": "1", "fn": "2", "tn": "100", "dice": dice, "iou": "0.5",
                     "hd95": hd95, "gt": g, "pred": p})
    rows.append({"case": "e", "status": "bad_input", "error": "e.npy: cannot read", "gt": "gt/e.npy",
                 "pred": "pred/e.npy"})
    for stat in ("mean", "median", "std", "min", "max", "n"):
        rows.append({"case": stat, "status": "summary", "dice": "0.7"})
    path = tmp_path / "results.csv"
    write_table(path, rows)
    return path


def test_open_csv_skips_summary_and_parses_numbers(table):
    cohort = Cohort.from_csv(table)
    assert sorted(c.name for c in cohort) == ["a", "b", "c", "d", "e"]
    a = cohort["a"]
    assert a.scores["tp"] == 10 and isinstance(a.scores["tp"], int)
    assert a.scores["dice"] == 0.9 and a.fields["status"] == "ok"
    assert math.isnan(cohort["c"].scores["dice"]) and cohort["c"].scores["hd95"] == math.inf
    assert a.gt == (table.parent / "gt" / "a.npy").resolve() and a.openable
    e = cohort["e"]
    assert not e.openable and "not found" in e.problems[0] and e.fields["error"] == "e.npy: cannot read"
    assert "dice" in cohort.metrics() and "status" not in cohort.metrics()
    assert cohort.sidecar == table.parent / "results.review.json"


def test_default_order_is_worst_dice_first_nan_and_missing_last(table):
    cohort = Cohort.from_csv(table)
    assert cohort.sort_metric == "dice"
    assert cohort.order == ["b", "d", "a", "c", "e"]  # 0.5, 0.7, 0.9, then nan, then no value
    assert cohort.sort("dice", descending=True) == ["a", "d", "b", "c", "e"]
    # a distance: worst = largest; inf is a value (worst), missing last
    assert cohort.sort("hd95") == ["c", "b", "d", "a", "e"]
    assert cohort.sort("case") == ["a", "b", "c", "d", "e"]


def test_next_previous_and_unreviewed_only(table):
    cohort = Cohort.from_csv(table)  # b d a c e
    assert cohort.next("b").name == "d"
    assert cohort.previous("d").name == "b"
    assert cohort.previous("b") is None and cohort.next("e") is None
    assert cohort.next("e", wrap=True).name == "b"
    cohort.set_review("d", "approved")
    assert cohort.next("b", unreviewed_only=True).name == "a"
    assert cohort.step("b", 2).name == "a"
    cohort.sort("review")
    assert cohort.order[-1] == "d"


def test_review_survives_reopening(table):
    cohort = Cohort.from_csv(table)
    cohort.set_review("b", "corrected", "FP in the liver, fixed \u2014 see slice 42")
    cohort.set_review("a", note="looks fine")
    cohort.set_review("c", "rejected")
    assert cohort.sidecar.exists()
    data = json.loads(cohort.sidecar.read_text(encoding="utf-8"))
    assert data["format"] == "dicegui-review" and data["version"] == 1
    assert data["cases"]["b"]["status"] == "corrected"

    again = Cohort.from_csv(table)
    assert again["b"].review == "corrected"
    assert again["b"].note == "FP in the liver, fixed \u2014 see slice 42"
    assert again["a"].review == "unreviewed" and again["a"].note == "looks fine"
    assert again["c"].review == "rejected" and again["d"].review == "unreviewed"
    assert again["b"].updated  # an ISO time
    assert again.review_counts() == {"unreviewed": 3, "approved": 0, "corrected": 1, "rejected": 1}
    with pytest.raises(ValueError, match="review status"):
        again.set_review("a", "maybe")
    with pytest.raises(KeyError):
        again.set_review("zzz", "approved")


def test_reviews_of_cases_no_longer_listed_are_kept(table):
    cohort = Cohort.from_csv(table)
    cohort.set_review("a", "approved")
    sidecar = json.loads(cohort.sidecar.read_text())
    sidecar["cases"]["old_case"] = {"status": "rejected", "note": "from last week", "updated": ""}
    cohort.sidecar.write_text(json.dumps(sidecar))
    again = Cohort.from_csv(table)
    again.set_review("b", "approved")
    kept = json.loads(again.sidecar.read_text())["cases"]
    assert kept["old_case"]["note"] == "from last week" and set(kept) == {"a", "b", "old_case"}


@pytest.mark.parametrize("content, fragment", [
    (b"{not json", "not valid JSON (line 1, column 2"),
    (b"[1, 2]", "not a dicegui review file"),
    (b'{"format": "dicegui-review", "version": 1, "cases": {"a": {"status": "great"}}}', "unknown status"),
    (b'{"format": "dicegui-review", "version": 1, "cases": {"a": {"note": 5}}}', "must be text"),
    (b'{"format": "dicegui-review", "version": 9, "cases": {}}', "newer dicegui"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
])
def test_corrupt_sidecar_is_a_clear_error(table, content, fragment):
    sidecar = table.parent / "results.review.json"
    sidecar.write_bytes(content)
    with pytest.raises(ReviewFileError) as err:
        Cohort.from_csv(table)
    assert "results.review.json" in str(err.value) and fragment in str(err.value)
    assert isinstance(err.value, ValueError)
    assert sidecar.read_bytes() == content  # never silently replaced


def test_paths_escaping_the_folder_are_refused(tmp_path):
    inside = tmp_path / "cohort"
    inside.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    g, p = write_case_files(inside, "ok", 0)
    secret = outside / "secret.npy"
    np.save(secret, np.zeros((2, 2)))
    (inside / "link.npy").symlink_to(secret)
    rows = [
        {"case": "ok", "status": "ok", "dice": "1.0", "gt": g, "pred": p},
        {"case": "dotdot", "status": "ok", "dice": "0.5", "gt": "../elsewhere/secret.npy", "pred": p},
        {"case": "absolute", "status": "ok", "dice": "0.5", "gt": str(secret), "pred": p},
        {"case": "symlink", "status": "ok", "dice": "0.5", "gt": "link.npy", "pred": p},
        {"case": "abs_inside", "status": "ok", "dice": "0.5", "gt": str((inside / g).resolve()), "pred": p},
    ]
    table = inside / "results.csv"
    write_table(table, rows)
    cohort = Cohort.from_csv(table)
    assert cohort["ok"].openable and cohort["abs_inside"].openable
    for name in ("dotdot", "absolute", "symlink"):
        case = cohort[name]
        assert not case.openable and case.gt is None
        assert "leads outside the table's folder" in case.problems[0] and "trust the paths" in case.problems[0]
        with pytest.raises(CohortError, match="cannot be opened"):
            case.load()
    trusting = Cohort.from_csv(table, allow_absolute=True)
    for name in ("dotdot", "absolute", "symlink"):
        assert trusting[name].openable and trusting[name].gt == secret.resolve()


def test_bad_tables(tmp_path):
    with pytest.raises(CohortError, match="no such file"):
        Cohort.from_csv(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,dice\nx,1\n")
    with pytest.raises(CohortError, match="no 'case' column"):
        Cohort.from_csv(bad)
    bad.write_text("case,dice\nx,1\nx,2\n")
    with pytest.raises(CohortError, match="repeat: x"):
        Cohort.from_csv(bad)
    # a case name may be a file name that is not UTF-8 (score writes its bytes); a score may not
    bad.write_bytes(b"case,dice\nx,\xff\xfe\n")
    with pytest.raises(CohortError, match=r"line 2, column 'dice': not UTF-8 text"):
        Cohort.from_csv(bad)
    bad.write_bytes(b"case,\xffdice\nx,1\n")
    with pytest.raises(CohortError, match="not a UTF-8 text file"):
        Cohort.from_csv(bad)
    bad.write_bytes(b"case,dice\n\xff\xfe,1\n")
    assert [case.name for case in Cohort.from_csv(bad)] == ["\udcff\udcfe"]
    with pytest.raises(CohortError, match="not JSON"):
        Cohort.from_csv(tmp_path / "results.json")
    with pytest.raises(CohortError, match="is a folder"):
        Cohort.from_csv(tmp_path)


def test_export_round_trip(table, tmp_path):
    cohort = Cohort.from_csv(table)
    cohort.set_review("b", "corrected", "=HYPERLINK(\"http://x\") is not a formula here")
    cohort.set_review("a", "approved", 'line one\nline "two", with comma')
    out = cohort.export(table.parent / "reviewed.csv")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:3] == ["case", "review_status", "review_note"]
    assert list(rows[0])[-2:] == ["gt", "pred"]
    assert [r["case"] for r in rows] == cohort.order
    by_name = {r["case"]: r for r in rows}
    assert by_name["b"]["review_status"] == "corrected"
    assert by_name["b"]["review_note"].startswith("'=HYPERLINK")  # neutralised for spreadsheets
    assert by_name["a"]["review_note"] == 'line one\nline "two", with comma'
    assert by_name["a"]["dice"] == "0.9" and by_name["c"]["hd95"] == "inf" and by_name["c"]["dice"] == "nan"
    assert by_name["a"]["gt"] == "gt/a.npy"  # as the table gave it
    with pytest.raises(SaveError, match="exists"):
        cohort.export(out)
    cohort.export(out, overwrite=True)
    # the export opens again, reviews included (no sidecar of its own yet)
    again = Cohort.from_csv(out)
    assert again["b"].review == "corrected" and again["b"].note.startswith("=HYPERLINK")
    assert again["a"].note == 'line one\nline "two", with comma'
    assert again["a"].scores["dice"] == 0.9 and again["a"].openable
    assert "review_status" not in again.metrics()


def test_cohort_from_dirs_pairs_scores_and_keeps_review(tmp_path):
    for name, shift in (("p1", 0), ("p2", 2), ("p3", 1)):
        write_case_files(tmp_path, name, shift)
    (tmp_path / "img").mkdir()
    np.save(tmp_path / "img" / "p1.npy", np.ones((4, 12, 12), np.float32))
    np.save(tmp_path / "gt" / "lonely.npy", np.zeros((4, 12, 12), np.uint8))
    cohort = Cohort.from_dirs(tmp_path / "gt", tmp_path / "pred", tmp_path / "img")
    assert [c.name for c in cohort] == ["p1", "p2", "p3"]  # unscored: by name
    assert cohort["p1"].image == tmp_path / "img" / "p1.npy" and cohort["p2"].image is None
    assert [p.name for p in cohort.unmatched_gt] == ["lonely.npy"]
    assert cohort.sidecar == tmp_path / "pred" / DIRS_SIDECAR

    assert cohort.score() == 3
    for name, shift in (("p1", 0), ("p2", 2), ("p3", 1)):
        gt, pred = mask_pair(shift)
        assert cohort[name].scores["dice"] == metrics.overlap(gt, pred)["dice"]
    assert cohort.order == ["p2", "p3", "p1"]  # worst first after scoring
    case = cohort["p1"].load()
    assert case.image_array is not None and case.gt_mask.shape == (4, 12, 12)

    cohort.set_review("p2", "rejected", "shifted")
    again = Cohort.from_dirs(tmp_path / "gt", tmp_path / "pred")
    assert again["p2"].review == "rejected" and again["p2"].note == "shifted"
    exported = again.export(tmp_path / "out.csv")
    assert "rejected" in exported.read_text()


def test_table_written_by_dicegui_score(tmp_path, monkeypatch):
    """The real CLI's table opens as is (paths relative to its folder)."""
    from dicegui.score_cli import main

    for name, shift in (("s1", 0), ("s2", 3)):
        write_case_files(tmp_path, name, shift)
    monkeypatch.chdir(tmp_path)
    assert main(["--gt-dir", "gt", "--pred-dir", "pred", "--out", "results.csv",
                 "--workers", "1", "--no-progress"], stdout=open(os.devnull, "w"),
                stderr=open(os.devnull, "w")) == 0
    cohort = Cohort.from_csv(tmp_path / "results.csv")
    assert cohort.order == ["s2", "s1"]
    gt, pred = mask_pair(3)
    assert cohort["s2"].scores["dice"] == metrics.overlap(gt, pred)["dice"]
    assert cohort["s2"].openable and cohort["s2"].pred == (tmp_path / "pred" / "s2_pred.npy").resolve()


def test_unwritable_sidecar_is_a_save_error_naming_it(table, tmp_path):
    cohort = Cohort.from_csv(table, sidecar=tmp_path / "no_such_folder" / "r.review.json")
    with pytest.raises(SaveError, match="r.review.json"):
        cohort.set_review("a", "approved")
    assert cohort["a"].review == "approved"  # kept in memory; the GUI can retry elsewhere


FAMILY_HEADER = ["case", "status", "error", "dice", "nsd_2mm", "label2_name", "label2_dice", "label2_nsd_3mm",
                 "regionWT_dice", "regionET_hd95", "regionET_lesion_dice", "regionET_num_fn", "pq",
                 "swapped_voxels"]


@pytest.fixture
def family_table(tmp_path):
    """A table with the new column families: inf (empty ET prediction), nan, and a case without them."""
    rows = [
        # regionET_hd95: p has a finite distance, q an empty ET mask (inf), r undefined, s not scored for ET
        {"case": "p", "status": "ok", "dice": "0.80", "nsd_2mm": "0.90", "label2_name": "5", "label2_dice": "0.70",
         "label2_nsd_3mm": "0.95", "regionWT_dice": "0.85", "regionET_hd95": "4.5", "regionET_lesion_dice": "0.6",
         "regionET_num_fn": "1", "pq": "0.5", "swapped_voxels": "120"},
        {"case": "q", "status": "ok", "dice": "0.90", "nsd_2mm": "0.40", "label2_name": "5", "label2_dice": "0.10",
         "label2_nsd_3mm": "0.30", "regionWT_dice": "0.95", "regionET_hd95": "inf", "regionET_lesion_dice": "0",
         "regionET_num_fn": "3", "pq": "0.2", "swapped_voxels": "0"},
        {"case": "r", "status": "ok", "dice": "0.60", "nsd_2mm": "nan", "label2_name": "5", "label2_dice": "nan",
         "label2_nsd_3mm": "nan", "regionWT_dice": "0.50", "regionET_hd95": "nan", "regionET_lesion_dice": "nan",
         "regionET_num_fn": "0", "pq": "nan", "swapped_voxels": "2373"},
        {"case": "s", "status": "ok", "dice": "0.70", "nsd_2mm": "0.80", "regionWT_dice": "0.75"},
        {"case": "t", "status": "ok", "dice": "0.75", "nsd_2mm": "0.85", "label2_name": "5", "label2_dice": "0.90",
         "label2_nsd_3mm": "0.99", "regionWT_dice": "0.65", "regionET_hd95": "12.0", "regionET_lesion_dice": "0.9",
         "regionET_num_fn": "0", "pq": "0.9", "swapped_voxels": "7"},
    ]
    path = tmp_path / "families.csv"
    write_table(path, rows, FAMILY_HEADER)
    return path


def test_sort_new_column_families_worst_first_inf_worst_nan_then_missing_last(family_table):
    cohort = Cohort.from_csv(family_table)
    # a distance with a region prefix: larger is worse, inf the worst of all, then nan (r), then missing (s)
    assert cohort.sort("regionET_hd95") == ["q", "t", "p", "r", "s"]
    assert cohort.sort_descending
    # reversed (best first): the values turn round, nan and missing stay last
    assert cohort.sort("regionET_hd95", descending=False) == ["p", "t", "q", "r", "s"]
    # region Dice: smaller is worse
    assert cohort.sort("regionWT_dice") == ["r", "t", "s", "p", "q"]
    # NSD with a tolerance in its name, per label: higher is better
    assert cohort.sort("label2_nsd_3mm") == ["q", "p", "t", "r", "s"]
    assert cohort.sort("nsd_2mm") == ["q", "s", "t", "p", "r"]
    # lesion counts and swapped voxels: larger is worse; ties (0, 0) in name order
    assert cohort.sort("regionET_num_fn") == ["q", "p", "r", "t", "s"]
    assert cohort.sort("swapped_voxels") == ["r", "p", "t", "q", "s"]
    assert cohort.sort("regionET_lesion_dice") == ["q", "p", "t", "r", "s"]
    assert cohort.sort("pq") == ["q", "p", "t", "r", "s"]


def test_label_name_reads_as_text_even_when_it_looks_like_a_number(family_table):
    cohort = Cohort.from_csv(family_table)
    assert cohort["p"].fields["label2_name"] == "5"
    assert "label2_name" not in cohort.metrics()
    assert cohort["q"].scores["regionET_hd95"] == math.inf


def test_a_case_named_in_bytes_that_are_not_utf8_is_reviewed_saved_reloaded_and_exported(tmp_path):
    table = tmp_path / "results.csv"
    table.write_bytes(b"case,status,dice\ncaf\xe9,ok,0.5\nb,ok,0.9\n")
    cohort = Cohort.from_csv(table)
    odd = "caf\udce9"
    cohort.set_review(odd, "approved", "checked")
    cohort.set_review("b", "rejected")
    again = Cohort.from_csv(table)
    assert again[odd].review == "approved" and again[odd].note == "checked" and again["b"].review == "rejected"
    out = again.export(tmp_path / "reviewed.csv")
    assert b"caf\xe9" in out.read_bytes()
    exported = Cohort.from_csv(out)
    assert exported[odd].review == "approved"
