"""score_case: regions, per-structure surfaces and tolerances, empty rules, hd cap, confusion, flat rows."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from dicegui.core.case import Case
from dicegui.core.case_scoring import ScoreOptions, flatten, score_case
from dicegui.core.mask_values import MaskInfo
from dicegui.core.region_groups import parse_regions
from dicegui.core.tolerances import parse_tolerances

BRATS = Path(__file__).resolve().parents[3] / "shared" / "data" / "brats_toolkit" / "TCGA-DU-7294"


def make_case(gt, pred, kind="labels", spacing=(1.0, 1.0, 1.0)):
    return Case(
        gt_mask=np.asarray(gt), pred_mask=np.asarray(pred),
        gt_info=MaskInfo(kind, f"gt: {kind}"), pred_info=MaskInfo(kind, f"pred: {kind}"),
        affine=np.diag(list(spacing) + [1.0]), warnings=[],
    )


def scipy_nsd(a, b, spacing, tol):
    """Surface Dice from scipy: border = mask minus its erosion (image edge counts as border)."""
    def border(m):
        return m & ~ndimage.binary_erosion(m, border_value=0)
    ba, bb = border(a), border(b)
    da = ndimage.distance_transform_edt(~bb, sampling=spacing)[ba]
    db = ndimage.distance_transform_edt(~ba, sampling=spacing)[bb]
    return (np.count_nonzero(da <= tol) + np.count_nonzero(db <= tol)) / (da.size + db.size)


def test_regions_hand_worked():
    # 1-D strip in a 3-D array; gt = [1 1 4 4 2 0], pred = [1 4 4 0 2 2]
    gt = np.array([1, 1, 4, 4, 2, 0], np.uint8).reshape(6, 1, 1)
    pred = np.array([1, 4, 4, 0, 2, 2], np.uint8).reshape(6, 1, 1)
    r = score_case(make_case(gt, pred), ScoreOptions(regions={"TC": (1, 4), "ET": (4,), "WT": (1, 2, 4)}))
    tc, et, wt = r["regions"]["TC"], r["regions"]["ET"], r["regions"]["WT"]
    # TC: gt {0,1,2,3}, pred {0,1,2}: tp 3 fp 0 fn 1 -> Dice 6/7
    assert (tc["tp"], tc["fp"], tc["fn"]) == (3, 0, 1) and tc["dice"] == pytest.approx(6 / 7)
    # ET: gt {2,3}, pred {1,2}: tp 1 fp 1 fn 1 -> Dice 1/2
    assert (et["tp"], et["fp"], et["fn"]) == (1, 1, 1) and et["dice"] == pytest.approx(0.5)
    # WT: gt {0..4}, pred {0,1,2,4,5}: tp 4 fp 1 fn 1 -> 8/10
    assert wt["dice"] == pytest.approx(0.8) and wt["labels"] == [1, 2, 4]
    assert r["mean_region_dice"] == pytest.approx((6 / 7 + 0.5 + 0.8) / 3)
    row = flatten(r)
    assert row["regionTC_dice"] == pytest.approx(6 / 7) and "regionTC_labels" not in row
    # the voxel the reference calls 1 and the prediction 4 is a swap (and a TC hit)
    assert r["swapped_voxels"] == 1
    assert r["confusion"]["pairs"] == [{"gt_label": 1, "pred_label": 4, "voxels": 1}]


@pytest.mark.skipif(not BRATS.is_dir(), reason="shared BraTS data absent")
def test_regions_on_brats_against_simpleitk():
    sitk = pytest.importorskip("SimpleITK")
    import nibabel as nib

    gt = np.asarray(nib.load(BRATS / "fusionator" / "simple.nii.gz").dataobj).astype(np.uint8)
    pred = np.asarray(nib.load(BRATS / "segmentor" / "xfeng.nii.gz").dataobj).astype(np.uint8)
    r = score_case(make_case(gt, pred), ScoreOptions(regions=parse_regions("brats2021")))
    for name, members in {"WT": (1, 2, 4), "TC": (1, 4)}.items():
        f = sitk.LabelOverlapMeasuresImageFilter()
        f.Execute(sitk.GetImageFromArray(np.isin(gt, members).astype(np.uint8)),
                  sitk.GetImageFromArray(np.isin(pred, members).astype(np.uint8)))
        assert r["regions"][name]["dice"] == pytest.approx(f.GetDiceCoefficient(), abs=1e-12)
    # xfeng has no label 4 but the reference has 5 voxels of it: ET Dice 0, and the label sets differ
    assert r["regions"]["ET"]["dice"] == 0.0
    assert any("label 4 only in the reference" in w for w in r["label_warnings"])
    assert r["swapped_voxels"] == 2373  # the count, by an independent tally there


def test_per_structure_tolerances_and_nsd_names():
    gt = np.zeros((20, 20, 3), np.uint8)
    pred = np.zeros_like(gt)
    gt[2:8, 2:8, :] = 1
    pred[4:10, 2:8, :] = 1          # label 1 shifted by 2 voxels
    gt[12:18, 12:18, :] = 2
    pred[13:19, 12:18, :] = 2       # label 2 shifted by 1 voxel
    spacing = (1.0, 1.0, 1.0)
    opts = ScoreOptions(surface=True, tolerance=parse_tolerances("*=0.5;1=1;2=1.5;R=2"), regions={"R": (1, 2)})
    r = score_case(make_case(gt, pred), opts)
    l1, l2, reg = r["per_label"][1], r["per_label"][2], r["regions"]["R"]
    assert l1["nsd_tolerance_mm"] == 1.0 and l2["nsd_tolerance_mm"] == 1.5 and reg["nsd_tolerance_mm"] == 2.0
    assert l1["nsd"] == pytest.approx(scipy_nsd(gt == 1, pred == 1, spacing, 1.0), abs=1e-12)
    assert l2["nsd"] == pytest.approx(scipy_nsd(gt == 2, pred == 2, spacing, 1.5), abs=1e-12)
    assert reg["nsd"] == pytest.approx(scipy_nsd(gt > 0, pred > 0, spacing, 2.0), abs=1e-12)
    assert r["nsd"] == pytest.approx(scipy_nsd(gt > 0, pred > 0, spacing, 0.5), abs=1e-12)
    assert l1["hd"] == 2.0 and l2["hd"] == 1.0
    row = flatten(r)
    assert {"nsd_0.5mm", "label1_nsd_1mm", "label2_nsd_1.5mm", "regionR_nsd_2mm"} <= set(row)
    assert not any(k.endswith("_nsd") or k == "nsd" or "tolerance" in k for k in row)
    # a tolerance below the 1 mm voxels is said
    assert any("below the largest voxel spacing" in w for w in r["label_warnings"])


def test_empty_rules():
    z = np.zeros((4, 4, 2), np.uint8)
    one = score_case(make_case(z, z, "binary"), ScoreOptions(surface=True))
    assert one["dice"] == 1.0 and one["hd95"] == 0.0 and one["empty"] is True
    nan = score_case(make_case(z, z, "binary"), ScoreOptions(surface=True, empty="nan"))
    assert math.isnan(nan["dice"]) and math.isnan(nan["hd95"]) and math.isnan(nan["nsd"])
    assert nan["tp"] == 0 and nan["tn"] == 32  # counts stay counts
    # labels absent from both: one keeps them (out of the mean), nan undefines, skip drops them
    gt = np.zeros((4, 4, 2), np.uint8)
    gt[0, 0, 0] = 1
    for rule, check in (("one", lambda e: e[3]["dice"] == 1.0), ("nan", lambda e: math.isnan(e[3]["dice"])),
                        ("skip", lambda e: 3 not in e)):
        r = score_case(make_case(gt, gt), ScoreOptions(labels=(1, 3), empty=rule))
        assert check(r["per_label"]), rule
        assert r["mean_dice"] == 1.0  # label 3 never counts in the mean


def test_hd_cap_replaces_only_infinite_distances():
    gt = np.zeros((6, 6, 2), np.uint8)
    gt[1:3, 1:3, :] = 1
    gt[4, 4, 0] = 2
    pred = np.zeros_like(gt)
    pred[1:3, 1:4, :] = 1           # label 2 missing: infinite distances
    r = score_case(make_case(gt, pred), ScoreOptions(surface=True, hd_cap=374.0))
    assert r["per_label"][2]["hd"] == 374.0 and r["per_label"][2]["hd95"] == 374.0
    assert r["per_label"][1]["hd"] == 1.0 and r["hd_cap_mm"] == 374.0
    assert r["per_label"][2]["nsd"] == 0.0


def test_options_are_checked():
    with pytest.raises(ValueError, match="empty must be"):
        ScoreOptions(empty="zero")
    with pytest.raises(ValueError, match="hd_cap"):
        ScoreOptions(hd_cap=float("inf"))


def test_volumes_in_ml_from_the_voxel_size():
    # 2 x 1.5 x 3 mm voxels = 9 mm3 = 0.009 mL; gt 6 voxels of label 1, pred 4 of them plus 2 of label 2
    gt = np.zeros((4, 4, 2), np.uint8)
    gt[0, 0:3, :] = 1
    pred = gt.copy()
    pred[0, 2, :] = 2
    r = score_case(make_case(gt, pred, spacing=(2.0, 1.5, 3.0)), ScoreOptions(regions={"A": (1, 2)}))
    assert r["gt_ml"] == pytest.approx(6 * 0.009) and r["pred_ml"] == pytest.approx(6 * 0.009)
    assert r["per_label"][1]["gt_ml"] == pytest.approx(6 * 0.009)
    assert r["per_label"][1]["pred_ml"] == pytest.approx(4 * 0.009)
    assert r["per_label"][2]["pred_ml"] == pytest.approx(2 * 0.009) and r["per_label"][2]["gt_ml"] == 0.0
    assert r["regions"]["A"]["gt_ml"] == pytest.approx(6 * 0.009)
    row = flatten(r)
    assert {"gt_ml", "pred_ml", "label1_gt_ml", "regionA_pred_ml"} <= set(row)
