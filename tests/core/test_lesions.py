"""Lesion-wise Dice and HD95 (BraTS 2023) against hand-worked cases and a
straightforward full-volume implementation built on scipy and medpy."""
from __future__ import annotations

import json

import medpy.metric.binary as mb
import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage as ndi

from dicegui.core.lesions import lesion_wise

PENALTY = 374.0
medpy_directed = getattr(mb, "__surface_distances")  # medpy's border-to-border distances


def cube(mask, corner, side):
    mask[tuple(slice(c, c + side) for c in corner)] = True


def summary(result):
    return {k: result[k] for k in ("num_tp", "num_fp", "num_fn")}


# ------------------------------------------------------------ the hand case
#
# Shape (20, 20, 40), spacing 1. Reference: three 4x4x4 cubes (64 voxels):
#   A  z 2-5, y 2-5,   x 2-5
#   B  z 2-5, y 2-5,   x 9-12   (3 empty columns, x 6-8, from A)
#   C  z 2-5, y 12-15, x 30-33  (far from both)
# Prediction: four components, numbered by their first voxel in C order:
#   1  = A exactly                       z 2-5, y 2-5,   x 2-5    (64)
#   2  = B shifted by +1 along x         z 2-5, y 2-5,   x 10-13  (64)
#   3  = a cube beside C, not touching   z 2-5, y 12-15, x 36-39  (64; gap x 34-35)
#   4  = a 3x3x3 cube far from all       z 12-14, y 2-4, x 30-32  (27)
#
# Shift by one, HD95: a 4-cube has 64 - 2**3 = 56 border voxels. From B's
# border to the shifted cube's border, the 16 voxels of B's face x=9 are 1
# away (the shifted face x=10), the 4 face-interior voxels of B's face x=12
# are 1 away, every other border voxel of B is on the shifted cube's border
# (0). 20 of 56 distances are 1, so the 95th percentile is 1; the other
# direction is the mirror image: HD95 = 1.
#
# Cube 3 against C: every cube-3 voxel has x >= 36, and (36, y, z) is on its
# border, so C's border voxel at x lies 36 - x away: x=30 (16 voxels) 6,
# x=31 (12) 5, x=32 (12) 4, x=33 (16) 3. Sorted, positions 40-55 hold 6;
# the 95th percentile sits at 0.95 * 55 = 52.25: 6. The other direction is
# the mirror image: HD95 = 6.

def hand_case():
    gt = np.zeros((20, 20, 40), bool)
    pred = np.zeros_like(gt)
    for corner in ((2, 2, 2), (2, 2, 9), (2, 12, 30)):
        cube(gt, corner, 4)
    for corner in ((2, 2, 2), (2, 2, 10), (2, 12, 36)):
        cube(pred, corner, 4)
    cube(pred, (12, 2, 30), 3)
    return gt, pred


def test_hand_case_with_dilation_3_merges_a_and_b_and_matches_cube_3_to_c():
    # A and B each grow 3 columns: A to x=8, B to x=6, so they overlap and are
    # one lesion (id 1, first in C order) of 128 voxels; C is lesion 2. C
    # grows to x=36, which cube 3 occupies: matched without overlapping.
    # Lesion 1 vs components 1+2: overlap 64 (A) + 48 (B, x 10-12) = 112,
    # Dice = 2*112 / (128 + 128) = 0.875; A's distances are all 0, B's are
    # the shift-by-one list: 20 ones among 112 in each direction, HD95 = 1.
    # Lesion 2 vs component 3: Dice 0, HD95 = 6. Component 4 is a FP.
    gt, pred = hand_case()
    r = lesion_wise(gt, pred, dilation=3, min_lesion_voxels=50)
    assert summary(r) == {"num_tp": 2, "num_fp": 1, "num_fn": 0}
    assert [(x["gt_id"], x["pred_ids"], x["voxels"], x["counted"]) for x in r["lesions"]] == [
        (1, [1, 2], 128, True), (2, [3], 64, True)]
    assert r["lesions"][0]["dice"] == pytest.approx(0.875)
    assert r["lesions"][0]["hd95"] == pytest.approx(1.0)
    assert r["lesions"][1]["dice"] == 0.0
    assert r["lesions"][1]["hd95"] == pytest.approx(6.0)
    assert r["fp_lesions"] == [{"pred_id": 4, "voxels": 27}]
    # (0.875 + 0) / (2 lesions + 1 FP); (1 + 6 + 374) / 3 = 127
    assert r["lesion_dice"] == pytest.approx(0.875 / 3)
    assert r["lesion_hd95"] == pytest.approx(127.0)
    assert r["empty"] is False
    assert (r["dilation"], r["min_lesion_voxels"], r["hd_penalty"]) == (3, 50, 374.0)
    assert json.loads(json.dumps(r)) == r  # plain Python numbers, ready for --format json


def test_hand_case_with_dilation_1_keeps_a_and_b_apart_and_misses_c():
    # One dilation: A reaches x=6, B x=8; x=7 stays empty, so A (id 1) and B
    # (id 2) are separate lesions. C reaches x=34 only: cube 3 (x>=36) is a
    # FP and C a FN.
    # A vs 1: Dice 1, HD95 0. B vs 2: Dice 2*48/128 = 0.75, HD95 1 (20 ones
    # among 56). lesion_dice = (1 + 0.75 + 0) / (3 + 2 FP) = 0.35;
    # lesion_hd95 = (0 + 1 + 374 + 2*374) / 5 = 224.6.
    gt, pred = hand_case()
    r = lesion_wise(gt, pred, dilation=1)
    assert summary(r) == {"num_tp": 2, "num_fp": 2, "num_fn": 1}
    assert [(x["gt_id"], x["pred_ids"], x["voxels"]) for x in r["lesions"]] == [
        (1, [1], 64), (2, [2], 64), (3, [], 64)]
    assert [x["dice"] for x in r["lesions"]] == pytest.approx([1.0, 0.75, 0.0])
    assert [x["hd95"] for x in r["lesions"]] == pytest.approx([0.0, 1.0, PENALTY])
    assert [x["pred_id"] for x in r["fp_lesions"]] == [3, 4]
    assert r["lesion_dice"] == pytest.approx(0.35)
    assert r["lesion_hd95"] == pytest.approx(224.6)


def test_hd95_is_in_units_of_spacing():
    # A 4-cube and the same cube one column further along x, x spacing 2 mm.
    # The reference's 16 border voxels of face x=5 are 2 mm from the shifted
    # face x=6 (every predicted voxel is at x >= 6); the 4 inner voxels of
    # face x=8 are 1 mm (one row) from the predicted border; the other 36
    # are on it. Sorted, positions 40-55 hold 2: the 95th percentile (52.25)
    # is 2 mm, and the mirror image gives the same the other way.
    gt = np.zeros((10, 10, 20), bool)
    pred = np.zeros_like(gt)
    cube(gt, (2, 2, 5), 4)
    cube(pred, (2, 2, 6), 4)
    r = lesion_wise(gt, pred, spacing=(1.0, 1.0, 2.0), min_lesion_voxels=0)
    assert r["lesions"][0]["hd95"] == pytest.approx(2.0)
    assert r["lesion_hd95"] == pytest.approx(2.0)


def test_a_component_near_two_lesions_belongs_to_both():
    # Two 4-cubes 8 columns apart (x 0-3 and x 12-15) stay apart with one
    # dilation (they reach x=4 and x=11); a predicted bar x 4-11 lies in both
    # dilated zones, so it is each lesion's prediction and not a FP.
    # Each lesion: no overlap, Dice 0.
    gt = np.zeros((6, 6, 16), bool)
    pred = np.zeros_like(gt)
    cube(gt, (1, 1, 0), 4)
    cube(gt, (1, 1, 12), 4)
    pred[1:5, 1:5, 4:12] = True
    r = lesion_wise(gt, pred, dilation=1, min_lesion_voxels=0)
    assert [x["pred_ids"] for x in r["lesions"]] == [[1], [1]]
    assert summary(r) == {"num_tp": 2, "num_fp": 0, "num_fn": 0}
    assert r["lesion_dice"] == 0.0


# ------------------------------------------------------ small lesions, empty

def small_case():
    # A 4-cube (64 voxels) missed by the prediction, and a 3-cube (27 voxels)
    # far away predicted exactly.
    gt = np.zeros((12, 12, 30), bool)
    pred = np.zeros_like(gt)
    cube(gt, (2, 2, 2), 4)
    cube(gt, (2, 2, 20), 3)
    cube(pred, (2, 2, 20), 3)
    return gt, pred


def test_lesions_at_or_below_min_voxels_are_listed_but_not_counted():
    # 27 <= 27: the small lesion is listed (Dice 1, HD95 0) but left out, and
    # its component is not a FP. Only the missed cube counts: 0 / 1 and 374 / 1.
    gt, pred = small_case()
    r = lesion_wise(gt, pred, min_lesion_voxels=27)
    assert summary(r) == {"num_tp": 0, "num_fp": 0, "num_fn": 1}
    assert [(x["voxels"], x["counted"], x["dice"], x["hd95"]) for x in r["lesions"]] == [
        (64, True, 0.0, PENALTY), (27, False, 1.0, 0.0)]
    assert r["lesions"][1]["pred_ids"] == [1]
    assert (r["lesion_dice"], r["lesion_hd95"]) == (0.0, PENALTY)


def test_lesions_above_min_voxels_count():
    # 27 > 26: both count; (0 + 1) / 2 and (374 + 0) / 2.
    gt, pred = small_case()
    r = lesion_wise(gt, pred, min_lesion_voxels=26)
    assert summary(r) == {"num_tp": 1, "num_fp": 0, "num_fn": 1}
    assert (r["lesion_dice"], r["lesion_hd95"]) == (0.5, 187.0)


def test_only_small_lesions_and_no_fp_score_one_and_zero_as_the_script_does():
    # Nothing is counted: the official script divides 0 by 0 and turns the NaN
    # into Dice 1 / HD95 0. The masks are not empty.
    gt, pred = small_case()
    gt[2:6, 2:6, 2:6] = False
    r = lesion_wise(gt, pred)
    assert (r["lesion_dice"], r["lesion_hd95"], r["empty"]) == (1.0, 0.0, False)
    assert summary(r) == {"num_tp": 0, "num_fp": 0, "num_fn": 0}


def test_both_masks_empty():
    empty = np.zeros((8, 9, 10), bool)
    r = lesion_wise(empty, empty)
    assert (r["lesion_dice"], r["lesion_hd95"], r["empty"]) == (1.0, 0.0, True)
    assert summary(r) == {"num_tp": 0, "num_fp": 0, "num_fn": 0}
    assert r["lesions"] == [] and r["fp_lesions"] == []


def test_empty_reference_makes_every_component_a_fp():
    # two components of 8 and 1 voxels: 0 / 2 and 2*374 / 2
    gt = np.zeros((10, 10, 10), np.uint8)
    pred = np.zeros_like(gt)
    cube(pred, (0, 0, 0), 2)
    pred[9, 9, 9] = 1
    r = lesion_wise(gt, pred)
    assert summary(r) == {"num_tp": 0, "num_fp": 2, "num_fn": 0}
    assert r["fp_lesions"] == [{"pred_id": 1, "voxels": 8}, {"pred_id": 2, "voxels": 1}]
    assert (r["lesion_dice"], r["lesion_hd95"], r["empty"]) == (0.0, PENALTY, False)


def test_empty_prediction_misses_every_lesion():
    gt = np.zeros((10, 10, 10), bool)
    cube(gt, (1, 1, 1), 4)
    r = lesion_wise(gt, np.zeros_like(gt), hd_penalty=100)
    assert summary(r) == {"num_tp": 0, "num_fp": 0, "num_fn": 1}
    assert (r["lesion_dice"], r["lesion_hd95"]) == (0.0, 100.0)


# ------------------------------------------------------------------ 2-D, ids

def test_2d_uses_8_connectivity():
    # Two 3x3 squares touching at one corner are one 8-connected lesion of 18
    # pixels even with no dilation; an identical prediction scores Dice 1.
    gt = np.zeros((12, 12), bool)
    gt[0:3, 0:3] = True
    gt[3:6, 3:6] = True
    r = lesion_wise(gt, gt.copy(), dilation=0, min_lesion_voxels=0)
    assert [(x["gt_id"], x["voxels"], x["dice"], x["hd95"]) for x in r["lesions"]] == [
        (1, 18, 1.0, 0.0)]


def test_2d_shift_by_one():
    # 4x4 squares, the prediction one column right: overlap 12, Dice 24/32.
    # The 12 border pixels of the reference: its left column (4) and the 2
    # inner pixels of its right column are 1 away, the rest 0: 6 of 12 are 1,
    # HD95 = 1 (and the mirror image for the other direction).
    gt = np.zeros((10, 10), bool)
    pred = np.zeros_like(gt)
    gt[3:7, 2:6] = True
    pred[3:7, 3:7] = True
    r = lesion_wise(gt, pred, min_lesion_voxels=0)
    assert r["lesions"][0]["dice"] == pytest.approx(0.75)
    assert r["lesions"][0]["hd95"] == pytest.approx(1.0)


def test_2d_dilation_uses_the_full_3x3_square():
    # Pixels (0, 0) and (2, 2): one dilation with the 3x3 square reaches
    # (1, 1) from both, so they become one lesion; a cross-shaped element
    # would leave them apart.
    gt = np.zeros((5, 5), bool)
    gt[0, 0] = gt[2, 2] = True
    r = lesion_wise(gt, gt.copy(), dilation=1, min_lesion_voxels=0)
    assert [x["voxels"] for x in r["lesions"]] == [2]


def test_dilation_zero_means_no_dilation():
    # scipy's iterations=0 would dilate until stable (one lesion); 0 must mean
    # none: two single voxels two apart stay two lesions.
    gt = np.zeros((5, 5, 5), bool)
    gt[0, 0, 0] = gt[0, 0, 2] = True
    r = lesion_wise(gt, gt.copy(), dilation=0, min_lesion_voxels=0)
    assert len(r["lesions"]) == 2


def test_masks_at_the_image_edge():
    # The grown box is clipped to the image. The reference voxel (0, 0, 0)
    # dilated 3 times reaches (0, 0, 3), where a predicted voxel is (matched,
    # Dice 0, HD95 = 3); (2, 2, 7) is 7 columns away: a FP.
    gt = np.zeros((3, 3, 8), bool)
    pred = np.zeros_like(gt)
    gt[0, 0, 0] = True
    pred[0, 0, 3] = pred[2, 2, 7] = True
    r = lesion_wise(gt, pred, dilation=3, min_lesion_voxels=0)
    assert summary(r) == {"num_tp": 1, "num_fp": 1, "num_fn": 0}
    assert (r["lesions"][0]["pred_ids"], r["lesions"][0]["hd95"]) == ([1], 3.0)
    assert r["fp_lesions"] == [{"pred_id": 2, "voxels": 1}]


# ------------------------------------------------------------ bad arguments

@pytest.mark.parametrize("kwargs, message", [
    ({"dilation": -1}, "dilation"),
    ({"dilation": 1.5}, "dilation"),
    ({"dilation": True}, "dilation"),
    ({"min_lesion_voxels": -5}, "min_lesion_voxels"),
    ({"min_lesion_voxels": -0.5}, "min_lesion_voxels"),
    ({"min_lesion_voxels": None}, "min_lesion_voxels"),
    ({"hd_penalty": float("nan")}, "hd_penalty"),
    ({"hd_penalty": "374"}, "hd_penalty"),
    ({"percentile": 101}, "percentile"),
    ({"spacing": (1.0, 1.0)}, "spacing"),
    ({"spacing": (1.0, 0.0, 1.0)}, "spacing"),
])
def test_bad_arguments_are_named(kwargs, message):
    gt = np.zeros((4, 4, 4), bool)
    with pytest.raises(ValueError, match=message):
        lesion_wise(gt, gt, **kwargs)


def test_bad_masks_are_named():
    with pytest.raises(ValueError, match=r"differ in shape: gt \(4, 4, 4\) vs pred \(4, 4, 5\)"):
        lesion_wise(np.zeros((4, 4, 4)), np.zeros((4, 4, 5)))
    with pytest.raises(ValueError, match="gt must be a 2-D or 3-D mask, got 1 axes"):
        lesion_wise(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="pred must be a 2-D or 3-D mask, got 4 axes"):
        lesion_wise(np.zeros((2, 2, 2, 2))[0], np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValueError, match="pred must be a numeric or boolean mask"):
        lesion_wise(np.zeros((2, 2)), np.array([["a", "b"], ["c", "d"]]))


# ------------------------------------- against a straightforward implementation

def reference_lesion_wise(gt, pred, spacing, dilation, min_voxels, penalty):
    """The official script's steps on full arrays, one lesion at a time.

    scipy labelling (26/8-connected), full-volume dilations, a full-volume
    mask per lesion, HD95 = larger directed 95th percentile of medpy's
    border distances.
    """
    gt, pred = np.asarray(gt) != 0, np.asarray(pred) != 0
    full = ndi.generate_binary_structure(gt.ndim, gt.ndim)
    element = ndi.generate_binary_structure(gt.ndim, 2)

    def dilate(x):
        return ndi.binary_dilation(x, element, iterations=dilation) if dilation else x

    gt_cc, _ = ndi.label(gt, full)
    pred_cc, n_pred = ndi.label(pred, full)
    dilated_cc, n = ndi.label(dilate(gt), full)
    combined = np.zeros_like(gt_cc)
    for comp in range(1, n + 1):
        combined[(dilated_cc == comp) & (gt_cc > 0)] = comp

    matched, rows = [], []
    for comp in range(1, n + 1):
        g = combined == comp
        ids = np.unique(pred_cc[dilate(g)])
        ids = ids[ids != 0]
        matched.extend(ids.tolist())
        p = np.isin(pred_cc, ids)
        dice = 2.0 * np.count_nonzero(g & p) / (g.sum() + p.sum())
        if ids.size:
            hd = max(np.percentile(medpy_directed(g, p, spacing, 1), 95),
                     np.percentile(medpy_directed(p, g, spacing, 1), 95))
        else:
            hd = penalty
        rows.append({"gt_id": comp, "pred_ids": ids.tolist(), "voxels": int(g.sum()),
                     "dice": dice, "hd95": hd, "counted": int(g.sum()) > min_voxels})
    fp = sorted(set(range(1, n_pred + 1)) - set(matched))
    counted = [r for r in rows if r["counted"]]
    denominator = len(counted) + len(fp)
    return {
        "num_tp": sum(1 for r in counted if r["pred_ids"]),
        "num_fp": len(fp),
        "num_fn": sum(1 for r in counted if not r["pred_ids"]),
        "lesion_dice": sum(r["dice"] for r in counted) / denominator if denominator else 1.0,
        "lesion_hd95": ((sum(r["hd95"] for r in counted) + len(fp) * penalty) / denominator
                        if denominator else 0.0),
        "lesions": rows,
        "fp_lesions": [{"pred_id": j, "voxels": int(np.count_nonzero(pred_cc == j))} for j in fp],
    }


def assert_same(ours, ref):
    assert summary(ours) == summary(ref)
    assert ours["fp_lesions"] == ref["fp_lesions"]
    assert len(ours["lesions"]) == len(ref["lesions"])
    for a, b in zip(ours["lesions"], ref["lesions"]):
        assert (a["gt_id"], a["pred_ids"], a["voxels"], a["counted"]) == (
            b["gt_id"], b["pred_ids"], b["voxels"], b["counted"])
        assert a["dice"] == pytest.approx(b["dice"], rel=1e-12)
        assert a["hd95"] == pytest.approx(b["hd95"], rel=1e-12)
    assert ours["lesion_dice"] == pytest.approx(ref["lesion_dice"], rel=1e-12)
    assert ours["lesion_hd95"] == pytest.approx(ref["lesion_hd95"], rel=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_random_blobs_match_the_straightforward_implementation(seed):
    # Smoothed noise thresholded into blobs of many sizes, some close, some
    # touching only at corners, many at the image edge; the prediction holds
    # its own blobs plus part of the reference in the left half only (so some
    # lesions are missed); anisotropic spacing; dilation 0-3.
    rng = np.random.default_rng(seed)
    shape, threshold = ((18, 22, 26), 0.58) if seed % 2 else ((30, 34), 0.6)
    gt = ndi.gaussian_filter(rng.random(shape), 1.2) > threshold
    pred = ndi.gaussian_filter(rng.random(shape), 1.2) > threshold
    left = np.arange(shape[-1]) < shape[-1] // 2
    pred |= gt & (rng.random(shape) < 0.6) & left
    spacing = (1.5, 0.7, 0.9)[: gt.ndim]
    dilation = seed % 4
    ours = lesion_wise(gt, pred, spacing, dilation=dilation, min_lesion_voxels=5)
    ref = reference_lesion_wise(gt, pred, spacing, dilation, 5, PENALTY)
    assert ref["num_tp"] + ref["num_fn"] + ref["num_fp"] > 3  # a case worth testing
    assert_same(ours, ref)


BRATS_REGIONS = {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}


@pytest.mark.parametrize("algorithm, region", [
    ("mic-dkfz", "WT"),   # two reference blobs (2 and 23,510 voxels) merged by dilation
    ("xfeng", "TC"),      # a one-voxel false positive
    ("lfb_rwth", "ET"),   # a 5-voxel reference lesion (not counted) and three FP
])
def test_brats_case_matches_the_straightforward_implementation(shared_data, algorithm, region):
    case = shared_data / "brats_toolkit" / "TCGA-DU-7294"
    gt_img = nib.load(case / "fusionator" / "simple.nii.gz")
    gt = np.isin(np.asanyarray(gt_img.dataobj), BRATS_REGIONS[region])
    pred = np.isin(np.asanyarray(nib.load(case / "segmentor" / f"{algorithm}.nii.gz").dataobj),
                   BRATS_REGIONS[region])
    spacing = tuple(float(s) for s in gt_img.header.get_zooms()[:3])
    ours = lesion_wise(gt, pred, spacing)
    ref = reference_lesion_wise(gt, pred, spacing, 3, 50, PENALTY)
    assert_same(ours, ref)
    assert ref["num_tp"] + ref["num_fp"] + len(ref["lesions"]) >= 2
