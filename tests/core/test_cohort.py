"""dicegui.core.cohort: pairing, scoring one case into a row, cohorts, summaries.

References are independent of our code: hand-worked counts written out here,
SimpleITK's LabelOverlapMeasuresImageFilter, numpy on the per-case column.
"""
from __future__ import annotations

import math

import nibabel as nib
import numpy as np
import pytest

from dicegui.core import cohort
from dicegui.core.case import Case, MaskInfo
from dicegui.core.cohort import ScoreOptions

sitk = pytest.importorskip("SimpleITK")


def save_nifti(path, array, spacing=(1.0, 1.0, 1.0)):
    affine = np.diag(list(spacing) + [1.0])
    nib.save(nib.Nifti1Image(np.asarray(array), affine), str(path))
    return path


def sitk_dice(gt, pred, label=None):
    """Dice from SimpleITK (arrays as (z, y, x) images; axis order is irrelevant to Dice)."""
    f = sitk.LabelOverlapMeasuresImageFilter()
    if label is None:
        g = sitk.GetImageFromArray((np.asarray(gt) != 0).astype(np.uint8))
        p = sitk.GetImageFromArray((np.asarray(pred) != 0).astype(np.uint8))
        f.Execute(g, p)
        return f.GetDiceCoefficient()
    g = sitk.GetImageFromArray(np.asarray(gt).astype(np.uint16))
    p = sitk.GetImageFromArray(np.asarray(pred).astype(np.uint16))
    f.Execute(g, p)
    return f.GetDiceCoefficient(int(label))


def blob_pair(seed, shape=(20, 20, 16)):
    """Two overlapping random boxes; different for every seed."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    for m in (gt, pred):
        lo = rng.integers(2, 7, size=3)
        hi = lo + rng.integers(5, 9, size=3)
        m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1
    return gt, pred


# ----------------------------------------------------------------- pairing


@pytest.mark.parametrize(
    "name, expected",
    [
        ("case01.nii.gz", "case01"),
        ("case01.NII.GZ", "case01"),
        ("case01.nii", "case01"),
        ("case01.seg.nrrd", "case01"),
        ("case01.nrrd", "case01"),
        ("case01_gt.nii.gz", "case01"),
        ("case01_pred.nii.gz", "case01"),
        ("case01_SEG.png", "case01"),
        ("case01_gt_pred.npy", "case01_gt"),  # one suffix only
        ("brats.2020.case1.nii.gz", "brats.2020.case1"),
        ("_gt.nii.gz", "_gt"),  # nothing would be left
        ("notes.txt", None),
        ("dataset.json", None),
        (".hidden.nii.gz", None),
    ],
)
def test_case_name(tmp_path, name, expected):
    p = tmp_path / name
    p.write_bytes(b"")
    assert cohort.case_name(p) == expected


def test_case_name_of_dicom_folder(tmp_path):
    d = tmp_path / "patient7_gt"
    d.mkdir()
    assert cohort.case_name(d) == "patient7"


def test_pair_files_matches_by_name_and_reports_the_rest(tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    for n in ("b_gt.nii.gz", "a.nii.gz", "c.nii", "gtonly.nii.gz", "dataset.json"):
        (g / n).write_bytes(b"")
    for n in ("a_pred.nii.gz", "b.nii.gz", "c_seg.nii.gz", "predonly.nrrd", ".DS_Store"):
        (p / n).write_bytes(b"")
    pairing = cohort.pair_files(g, p)
    assert [(n, gt.name, pr.name) for n, gt, pr in pairing.pairs] == [
        ("a", "a.nii.gz", "a_pred.nii.gz"),
        ("b", "b_gt.nii.gz", "b.nii.gz"),
        ("c", "c.nii", "c_seg.nii.gz"),
    ]
    assert [x.name for x in pairing.unmatched_gt] == ["gtonly.nii.gz"]
    assert [x.name for x in pairing.unmatched_pred] == ["predonly.nrrd"]
    assert [x.name for x in pairing.ignored] == ["dataset.json"]


def test_pair_files_refuses_two_files_with_one_case_name(tmp_path):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    (g / "a.nii.gz").write_bytes(b"")
    (g / "a_seg.nii.gz").write_bytes(b"")
    with pytest.raises(cohort.PairingError, match=r"a\.nii\.gz and a_seg\.nii\.gz"):
        cohort.pair_files(g, p)


def test_pair_files_missing_folder(tmp_path):
    with pytest.raises(cohort.PairingError, match="nope"):
        cohort.pair_files(tmp_path / "nope", tmp_path)


# ----------------------------------------------------------------- one case (in memory)


def make_case(gt, pred, kind_gt="binary", kind_pred="binary", spacing=(1.0, 1.0, 1.0), prob=None):
    return Case(
        gt_mask=np.asarray(gt), pred_mask=np.asarray(pred), pred_prob=prob,
        gt_info=MaskInfo(kind_gt, f"gt: {kind_gt}"), pred_info=MaskInfo(kind_pred, f"pred: {kind_pred}"),
        affine=np.diag(list(spacing) + [1.0]),
        warnings=["pred: reoriented"],
    )


def test_score_case_hand_worked():
    # 4×4×2 = 32 voxels; gt 4 voxels, pred 3 voxels, 2 shared:
    # tp 2, fp 1, fn 2, tn 27.
    gt = np.zeros((4, 4, 2), np.uint8)
    pred = np.zeros_like(gt)
    gt[0, 0:4, 0] = 1
    pred[0, 2:4, 0] = 1
    pred[3, 3, 1] = 1
    r = cohort.score_case(make_case(gt, pred))
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (2, 1, 2, 27)
    assert r["dice"] == pytest.approx(4 / 7, abs=1e-15)
    assert r["iou"] == pytest.approx(2 / 5, abs=1e-15)
    assert r["precision"] == pytest.approx(2 / 3, abs=1e-15)
    assert r["sensitivity"] == pytest.approx(1 / 2, abs=1e-15)
    assert r["specificity"] == pytest.approx(27 / 28, abs=1e-15)
    assert r["accuracy"] == pytest.approx(29 / 32, abs=1e-15)
    assert r["volume_similarity"] == pytest.approx(6 / 7, abs=1e-15)
    assert "per_label" not in r and "hd" not in r
    assert r["dice"] == pytest.approx(sitk_dice(gt, pred), abs=1e-12)


def test_case_notes_drop_repeats():
    case = make_case(np.zeros((2, 2, 1)), np.zeros((2, 2, 1)))
    case.warnings = ["gt: binary", "pred: flipped", "pred: flipped"]
    notes, warnings = cohort.case_notes(case)
    assert notes == ["gt: binary", "pred: binary"]
    assert warnings == ["pred: flipped"]


def test_flatten_label_columns():
    nested = {"dice": 0.5, "per_label": {2: {"dice": 0.25, "tp": 3}}, "mean_dice": 0.25,
              "spacing_mm": [1.0, 0.5, 2.0]}
    assert cohort.flatten(nested) == {
        "dice": 0.5, "label2_dice": 0.25, "label2_tp": 3, "mean_dice": 0.25, "spacing_mm": "1.0x0.5x2.0",
    }


# ----------------------------------------------------------------- tables


def test_columns_of_fixed_order():
    rows = [
        {"case": "b", "status": "ok", "gt": "x", "pred": "y", "label10_dice": 1.0, "label2_iou": 0.5,
         "label2_dice": 0.3, "dice": 0.1, "tp": 1, "hd95": 2.0, "mean_dice": 0.2, "warnings": ""},
        {"case": "a", "status": "bad_input", "error": "boom", "zzz": 1},
    ]
    assert cohort.columns_of(rows) == [
        "case", "status", "error", "gt_kind", "pred_kind",
        "tp", "dice", "hd95", "mean_dice",
        "label2_dice", "label2_iou", "label10_dice",
        "zzz", "warnings", "gt", "pred",
    ]


def test_summarize_against_numpy():
    dice = [0.9, 0.5, 0.75, 0.6]
    hd = [1.0, float("inf"), 2.0, 3.0]
    prec = [float("nan"), 0.5, 1.0, 0.25]
    rows = [{"case": f"c{i}", "status": "ok", "dice": d, "hd": h, "precision": p, "tp": i * 10}
            for i, (d, h, p) in enumerate(zip(dice, hd, prec))]
    rows.append({"case": "broken", "status": "bad_input", "error": "x.nii.gz: corrupt"})
    summary = {s["case"]: s for s in cohort.summarize(rows)}
    assert list(summary) == ["mean", "median", "std", "min", "max", "n", "n_inf", "n_undefined"]
    assert all(s["status"] == "summary" for s in summary.values())
    d = np.array(dice)
    assert summary["mean"]["dice"] == pytest.approx(np.mean(d), abs=1e-15)
    assert summary["median"]["dice"] == pytest.approx(np.median(d), abs=1e-15)
    assert summary["std"]["dice"] == pytest.approx(np.std(d, ddof=1), abs=1e-15)
    assert summary["min"]["dice"] == 0.5 and summary["max"]["dice"] == 0.9
    assert summary["n"]["dice"] == 4
    # NaN left out: 3 values
    p = np.array([0.5, 1.0, 0.25])
    assert summary["n"]["precision"] == 3 and summary["n_undefined"]["precision"] == 1
    assert summary["mean"]["precision"] == pytest.approx(p.mean(), abs=1e-15)
    # inf counted, not averaged: statistics of the finite 1, 2, 3
    assert summary["n_inf"]["hd"] == 1 and summary["n"]["hd"] == 3
    assert summary["mean"]["hd"] == 2.0 and summary["max"]["hd"] == 3.0
    assert summary["min"]["hd"] == 1.0 and summary["median"]["hd"] == 2.0
    assert summary["std"]["hd"] == pytest.approx(1.0, abs=1e-15)
    assert summary["n_inf"]["dice"] == 0 and summary["n_undefined"]["dice"] == 0
    assert summary["mean"]["tp"] == pytest.approx(15.0)
    assert "case" not in [k for k in summary["mean"] if k == "error"]


def test_summarize_single_value_std_is_nan():
    s = {r["case"]: r for r in cohort.summarize([{"case": "a", "status": "ok", "dice": 0.5}])}
    assert s["mean"]["dice"] == 0.5 and math.isnan(s["std"]["dice"])


def test_worst_cases_and_ranking_metric():
    rows = [
        {"case": "a", "status": "ok", "dice": 0.8},
        {"case": "b", "status": "ok", "dice": 0.2},
        {"case": "c", "status": "bad_input", "error": "e"},
        {"case": "d", "status": "ok", "dice": 0.2},
        {"case": "e", "status": "ok", "dice": 0.9},
    ]
    assert cohort.ranking_metric(rows) == "dice"
    assert [r["case"] for r in cohort.worst_cases(rows, 3)] == ["b", "d", "a"]
    for r in rows:
        if r["status"] == "ok":
            r["mean_dice"] = 1 - r["dice"]
    assert cohort.ranking_metric(rows) == "mean_dice"
    assert [r["case"] for r in cohort.worst_cases(rows, 2)] == ["e", "a"]
    # region groups scored: their mean ranks (a label swap inside WT no longer ranks a case worst)
    for r, v in zip([r for r in rows if r["status"] == "ok"], (0.9, 0.3, 0.95, 0.5)):
        r["mean_region_dice"] = v
    assert cohort.ranking_metric(rows) == "mean_region_dice"
    assert [r["case"] for r in cohort.worst_cases(rows, 2)] == ["b", "e"]


def test_score_case_label_map_hand_worked():
    # 1-D strip as a 6×1×1 volume: gt [0 1 1 2 2 0], pred [0 1 2 2 2 3]
    gt = np.array([0, 1, 1, 2, 2, 0], np.uint8).reshape(6, 1, 1)
    pred = np.array([0, 1, 2, 2, 2, 3], np.uint8).reshape(6, 1, 1)
    r = cohort.score_case(make_case(gt, pred, "labels", "labels"))
    # label 1: tp 1, fp 0, fn 1 -> 2/3; label 2: tp 2, fp 1, fn 0 -> 4/5; label 3: tp 0, fp 1 -> 0
    assert sorted(r["per_label"]) == [1, 2, 3]
    assert r["per_label"][1]["dice"] == pytest.approx(2 / 3, abs=1e-15)
    assert r["per_label"][2]["dice"] == pytest.approx(4 / 5, abs=1e-15)
    assert r["per_label"][3]["dice"] == 0.0
    assert r["mean_dice"] == pytest.approx((2 / 3 + 4 / 5 + 0) / 3, abs=1e-15)
    assert r["mean_iou"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3, abs=1e-15)
    # foreground: gt 4 voxels, pred 5, shared 4 -> 8/9
    assert r["dice"] == pytest.approx(8 / 9, abs=1e-15)
    for label in (1, 2, 3):
        assert r["per_label"][label]["dice"] == pytest.approx(sitk_dice(gt, pred, label), abs=1e-12)


def test_score_case_binary_pair_has_no_per_label_unless_asked():
    gt, pred = blob_pair(0)
    assert "per_label" not in cohort.score_case(make_case(gt, pred))
    r = cohort.score_case(make_case(gt, pred), ScoreOptions(labels=(1,)))
    assert r["per_label"][1]["dice"] == r["dice"] == pytest.approx(sitk_dice(gt, pred), abs=1e-12)


def test_score_case_soft_dice_of_a_probability_map():
    gt, _ = blob_pair(1)
    rng = np.random.default_rng(1)
    prob = np.clip(gt * 0.7 + rng.uniform(0, 0.4, gt.shape), 0, 1).astype(np.float32)
    hard = (prob >= 0.5).astype(np.uint8)
    r = cohort.score_case(make_case(gt, hard, kind_pred="probability", prob=prob))
    p64, t = prob.astype(np.float64), gt.astype(np.float64)
    expected = (2 * np.sum(p64 * t) + 1e-5) / (np.sum(p64) + np.sum(t) + 1e-5)
    assert r["soft_dice"] == pytest.approx(expected, rel=1e-12)
    assert r["dice"] == pytest.approx(sitk_dice(gt, hard), abs=1e-12)


# ----------------------------------------------------------------- files and cohorts


def write_cohort(tmp_path, n):
    g, p = tmp_path / "gt", tmp_path / "pred"
    g.mkdir(), p.mkdir()
    arrays = {}
    for i in range(n):
        gt, pred = blob_pair(100 + i)
        arrays[f"k{i}"] = (gt, pred)
        save_nifti(g / f"k{i}.nii.gz", gt, spacing=(0.5, 0.5, 2.0))
        save_nifti(p / f"k{i}.nii.gz", pred, spacing=(0.5, 0.5, 2.0))
    return g, p, arrays


def test_score_files_bad_case_becomes_a_row(tmp_path):
    g, p, _ = write_cohort(tmp_path, 1)
    (p / "k0.nii.gz").write_text("not a NIfTI")
    row = cohort.score_files("k0", g / "k0.nii.gz", p / "k0.nii.gz")
    assert row["status"] == cohort.STATUS_BAD_INPUT
    assert "k0.nii.gz" in row["error"] and "\n" not in row["error"]
    assert "dice" not in row and row["pred"].endswith("k0.nii.gz")


def test_score_files_unexpected_error_is_marked_internal(tmp_path, monkeypatch):
    g, p, _ = write_cohort(tmp_path, 1)

    def boom(case, options):
        raise KeyError("oops")

    monkeypatch.setattr(cohort, "score_case", boom)
    row = cohort.score_files("k0", g / "k0.nii.gz", p / "k0.nii.gz")
    assert row["status"] == cohort.STATUS_INTERNAL and row["error"].startswith("KeyError")


def test_run_cohort_sorted_same_with_two_workers_and_progress(tmp_path):
    g, p, arrays = write_cohort(tmp_path, 5)
    pairs = cohort.pair_files(g, p).pairs
    seen = []
    opts = ScoreOptions(surface=True, tolerance=0.75)
    one = cohort.run_cohort(pairs[::-1], opts, workers=1, progress=lambda d, t, r: seen.append((d, t)))
    two = cohort.run_cohort(pairs, opts, workers=2)
    assert seen == [(i, 5) for i in range(1, 6)]
    assert [r["case"] for r in one] == ["k0", "k1", "k2", "k3", "k4"]
    assert one == two
    for r in one:
        gt, pred = arrays[r["case"]]
        assert r["status"] == "ok" and r["dice"] == pytest.approx(sitk_dice(gt, pred), abs=1e-12)
        assert r["spacing_mm"] == "0.5x0.5x2.0"



def test_pair_files_refuses_one_folder_for_both(tmp_path):
    (tmp_path / "a_gt.nii.gz").write_bytes(b"")
    (tmp_path / "a_pred.nii.gz").write_bytes(b"")
    with pytest.raises(cohort.PairingError, match="same"):
        cohort.pair_files(tmp_path, tmp_path / ".")
