"""Label confusion matrix and label-set warning.

References: a hand-worked case, a naive count of ``(gt == a) & (pred == b)``
for every label pair on random maps (several dtypes, layouts and label
ranges, including values too large for a dense table), and on the BraTS
case an independent numpy count from the files read with nibabel.
"""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core.label_confusion import label_confusion, label_set_warning


def naive(gt, pred):
    """Matrix over every value of either map by one comparison per pair."""
    values = sorted(set(np.unique(gt).tolist()) | set(np.unique(pred).tolist()))
    m = np.array([[np.count_nonzero((gt == a) & (pred == b)) for b in values] for a in values], np.int64)
    return [int(v) for v in values], m


def test_hand_worked_case():
    # reference: 0 0 1 1 1 2 2 4 ; prediction: 0 1 1 2 2 2 0 2
    gt = np.array([[0, 0, 1, 1], [1, 2, 2, 4]], np.uint8)
    pred = np.array([[0, 1, 1, 2], [2, 2, 0, 2]], np.uint8)
    r = label_confusion(gt, pred)
    assert r["labels"] == [0, 1, 2, 4]
    #            pred: 0  1  2  4
    expected = [[1, 1, 0, 0],   # ref 0: one kept background, one FP as 1
                [0, 1, 2, 0],   # ref 1: one right, two called 2
                [1, 0, 1, 0],   # ref 2: one missed, one right
                [0, 0, 1, 0]]   # ref 4: called 2
    assert r["matrix"].tolist() == expected
    assert r["matrix"].dtype == np.int64
    assert r["gt_labels"] == [0, 1, 2, 4] and r["pred_labels"] == [0, 1, 2]
    assert r["swapped_voxels"] == 3
    assert r["pairs"] == [{"gt_label": 1, "pred_label": 2, "voxels": 2},
                          {"gt_label": 4, "pred_label": 2, "voxels": 1}]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dtypes", [(np.uint8, np.uint8), (np.uint16, np.uint8), (np.int32, np.float32)])
def test_random_label_maps_match_a_naive_pair_loop(seed, dtypes):
    rng = np.random.default_rng(seed)
    shape = (9, 37, 41)
    top = int(rng.integers(1, 12))
    gt = rng.integers(0, top + 1, shape).astype(dtypes[0])
    pred = gt.copy()
    # mostly agreeing maps with background regions, as real segmentations are
    gt[:, :10] = 0
    change = rng.random(shape) < 0.2
    pred[change] = rng.integers(0, top + 1, int(change.sum()))
    pred = pred.astype(dtypes[1])
    values, m = naive(gt, pred)
    r = label_confusion(gt, pred)
    assert r["labels"] == values
    assert np.array_equal(r["matrix"], m)
    fg = (gt != 0) & (pred != 0) & (gt != pred)
    assert r["swapped_voxels"] == np.count_nonzero(fg)
    cells = {(p["gt_label"], p["pred_label"]): p["voxels"] for p in r["pairs"]}
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if a and b and a != b and m[i, j]:
                assert cells.pop((a, b)) == m[i, j]
    assert not cells
    sizes = [p["voxels"] for p in r["pairs"]]
    assert sizes == sorted(sizes, reverse=True)
    # a view (transposed, flipped) gives the same counts as its copy
    t = label_confusion(gt.transpose(2, 0, 1)[::-1], pred.transpose(2, 0, 1)[::-1])
    assert np.array_equal(t["matrix"], m)


def test_large_label_values_and_requested_labels():
    rng = np.random.default_rng(3)
    gt = rng.choice(np.array([0, 3, 70000, 2**31 + 5], np.uint32), size=(5, 64, 64))
    pred = rng.choice(np.array([0, 3, 70000, 9], np.uint32), size=gt.shape)
    values, m = naive(gt, pred)
    r = label_confusion(gt, pred, labels=[1, 3])
    assert r["labels"] == sorted(set(values) | {1})
    keep = [r["labels"].index(v) for v in values]
    assert np.array_equal(r["matrix"][np.ix_(keep, keep)], m)
    one = r["labels"].index(1)
    assert not r["matrix"][one].any() and not r["matrix"][:, one].any()
    assert r["matrix"].sum() == gt.size


def test_binary_masks_and_empty_and_all_foreground():
    g = np.zeros((4, 4), bool)
    g[1:3, 1:3] = True
    r = label_confusion(g, np.zeros((4, 4), np.uint8))
    assert r["labels"] == [0, 1] and r["matrix"].tolist() == [[12, 0], [4, 0]]
    assert r["swapped_voxels"] == 0 and r["pairs"] == [] and r["pred_labels"] == [0]
    full = np.full((3, 3), 2, np.uint8)
    r = label_confusion(full, np.full((3, 3), 5, np.uint8))
    assert r["labels"] == [2, 5] and r["matrix"].tolist() == [[0, 9], [0, 0]]
    assert r["pairs"] == [{"gt_label": 2, "pred_label": 5, "voxels": 9}]


def test_bad_input_is_named():
    a = np.zeros((3, 3), np.uint8)
    with pytest.raises(ValueError, match=r"differ in shape: gt \(3, 3\) vs pred \(3, 4\)"):
        label_confusion(a, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="pred label map has non-integer values"):
        label_confusion(a, np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="gt label map has negative values"):
        label_confusion(np.full((3, 3), -1, np.int8), a)


def test_label_set_warning():
    assert label_set_warning([0, 1, 2], [2, 1, 0]) is None
    assert label_set_warning([0, 1, 2], [0, 1, 2, 4]) == (
        "reference uses labels 0/1/2, prediction 0/1/2/4: label 4 only in the prediction")
    text = label_set_warning([0, 1, 2, 3, 5], [0, 1, 2, 4], names={3: "edema", 4: "enhancing"})
    assert text == ("reference uses labels 0\u20133/5, prediction 0/1/2/4: label 4 (enhancing) only in the "
                    "prediction; labels 3/5 only in the reference")
    long = label_set_warning(range(0, 42), range(0, 41))
    assert long == "reference uses labels 0\u201341, prediction 0\u201340: label 41 only in the reference"


def test_brats_swaps_agree_with_an_independent_count(shared_data):
    """xfeng (labels 0/1/2) against the fused reference (0/1/2/4) of TCGA-DU-7294."""
    nib = pytest.importorskip("nibabel")
    from dicegui.core.io import load_case

    base = shared_data / "brats_toolkit" / "TCGA-DU-7294"
    if not base.is_dir():
        pytest.skip("BraTS toolkit case absent")
    ref_file, pred_file = base / "fusionator" / "simple.nii.gz", base / "segmentor" / "xfeng.nii.gz"
    g = np.asarray(nib.load(ref_file).dataobj)
    p = np.asarray(nib.load(pred_file).dataobj)
    swapped = int(np.count_nonzero((g != 0) & (p != 0) & (g != p)))
    assert swapped == 2373  # the figure of issue 11
    case = load_case(gt=ref_file, pred=pred_file)
    r = label_confusion(case.gt_mask, case.pred_mask)
    assert r["swapped_voxels"] == swapped
    values, m = naive(g, p)
    assert r["labels"] == values == [0, 1, 2, 4]
    assert np.array_equal(r["matrix"], m)
    assert label_set_warning(r["gt_labels"], r["pred_labels"]) == (
        "reference uses labels 0/1/2/4, prediction 0/1/2: label 4 only in the reference")
