"""region_overlaps: region Dice from one joint table equals Dice of the masked unions."""
import numpy as np
import pytest

from dicegui.core.region_overlap import region_overlaps

KEYS = ("tp", "fp", "fn", "tn", "dice", "iou")


def _reference(gt, pred, labels):
    # independent: boolean unions with np.isin, counts by hand
    g, p = np.isin(gt, labels), np.isin(pred, labels)
    tp = int(np.sum(g & p))
    fp = int(np.sum(~g & p))
    fn = int(np.sum(g & ~p))
    tn = int(np.sum(~g & ~p))
    dice = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    iou = 1.0 if tp + fp + fn == 0 else tp / (tp + fp + fn)
    return dict(tp=tp, fp=fp, fn=fn, tn=tn, dice=dice, iou=iou)


def test_hand_worked_swap_is_a_true_positive_of_the_region():
    gt = np.array([0, 1, 1, 2, 4, 4])
    pred = np.array([0, 4, 1, 0, 4, 2])
    r = region_overlaps(gt, pred, {"TC": (1, 4), "ET": (4,), "WT": (1, 2, 4)})
    # TC: reference 1,1,4,4 (4 voxels); prediction 4,1,4 (3); all 3 inside the reference's TC
    assert (r["TC"]["tp"], r["TC"]["fp"], r["TC"]["fn"], r["TC"]["tn"]) == (3, 0, 1, 2)
    assert r["ET"]["dice"] == pytest.approx(2 * 1 / (2 + 2))
    assert r["WT"]["dice"] == pytest.approx(2 * 4 / (5 + 4))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.uint32])
def test_random_label_maps_match_masked_unions(dtype):
    rng = np.random.default_rng(3)
    gt = rng.choice([0, 0, 0, 1, 2, 4], size=(40, 30, 20)).astype(dtype)
    pred = rng.choice([0, 0, 1, 2, 3, 4], size=(40, 30, 20)).astype(dtype)
    groups = {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,), "X": (7,)}
    got = region_overlaps(gt, pred, groups)
    for name, labels in groups.items():
        ref = _reference(gt, pred, labels)
        for key in KEYS:
            assert got[name][key] == pytest.approx(ref[key]), (name, key)


def test_large_label_values_fall_back_to_masks():
    gt = np.zeros((8, 8), np.uint32)
    pred = np.zeros((8, 8), np.uint32)
    gt[:4] = 70000
    pred[2:6] = 70000
    pred[6:] = 5
    got = region_overlaps(gt, pred, {"A": (70000, 5)})["A"]
    ref = _reference(gt, pred, [70000, 5])
    assert (got["tp"], got["fp"], got["fn"], got["tn"]) == (ref["tp"], ref["fp"], ref["fn"], ref["tn"])


def test_shapes_differ():
    with pytest.raises(ValueError):
        region_overlaps(np.zeros((2, 3)), np.zeros((3, 2)), {"A": (1,)})
