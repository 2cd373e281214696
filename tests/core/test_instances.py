"""Instance metrics against references computed without dicegui.instances.

References: a hand-made case whose every number is derived below;
panoptica's published results for its three spine examples (hard-coded: the
package pins numpy<2.3, so it cannot sit in our test extra); a brute-force
matcher in this file (one full-volume mask per instance pair, every pair
tried) on random instance maps; scipy.ndimage.label for the component counts.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage

from dicegui.core.instances import instance_scores, label_instances

PANOPTICA = Path(__file__).resolve().parents[3] / "shared" / "data" / "panoptica"


# ------------------------------------------------------------------ hand case
def hand_case():
    """Three reference and three predicted instances, apart from each other.

    A  (ref 1): row y=1, x=0..9   -> 10 voxels
    A' (pred 1): row y=1, x=1..8  ->  8 voxels, all inside A
    B  (ref 2): row y=5, x=0..6   ->  7 voxels
    B' (pred 2): row y=5, x=3..9  ->  7 voxels; shares x=3..6 = 4 with B
    C  (ref 3): z=1, y=9, x=0..4  ->  5 voxels, nothing predicted there
    D  (pred 3): z=1, y=9, x=15..17 -> 3 voxels, nothing in the reference
    """
    gt = np.zeros((2, 12, 20), np.uint8)
    pred = np.zeros_like(gt)
    gt[0, 1, 0:10] = 1
    pred[0, 1, 1:9] = 1
    gt[0, 5, 0:7] = 2
    pred[0, 5, 3:10] = 2
    gt[1, 9, 0:5] = 3
    pred[1, 9, 15:18] = 3
    return gt, pred


def check_hand_numbers(r, a_ids, b_ids):
    # A-A': shared 8, union 10 + 8 - 8 = 10 -> IoU 0.8 > 0.5: a match.
    #       Dice 2*8 / (10 + 8) = 16/18 = 8/9.
    # B-B': shared 4, union 7 + 7 - 4 = 10 -> IoU 0.4: no match.
    # C has no partner (FN), D overlaps nothing (FP).
    assert r["num_ref_instances"] == 3 and r["num_pred_instances"] == 3
    # tp = 1 (A-A'); fp = 3 - 1 = 2 (B', D); fn = 3 - 1 = 2 (B, C)
    assert (r["tp"], r["fp"], r["fn"]) == (1, 2, 2)
    assert r["precision"] == pytest.approx(1 / 3)  # 1 / (1 + 2)
    assert r["recall"] == pytest.approx(1 / 3)  # 1 / (1 + 2)
    # RQ = F1 = 1 / (1 + 2/2 + 2/2) = 1/3
    assert r["rq"] == pytest.approx(1 / 3) and r["f1"] == r["rq"]
    assert r["sq"] == pytest.approx(0.8)  # one pair: its IoU
    assert r["sq_std"] == 0.0
    assert r["pq"] == pytest.approx(0.8 / 3)  # SQ * RQ = 0.2667
    assert r["sq_dice"] == pytest.approx(8 / 9)
    assert r["pq_dice"] == pytest.approx(8 / 27)  # 8/9 * 1/3
    (m,) = r["matches"]
    assert (m["gt_id"], m["pred_id"]) == a_ids
    assert m["iou"] == pytest.approx(0.8) and m["dice"] == pytest.approx(8 / 9)
    assert (m["gt_voxels"], m["pred_voxels"]) == (10, 8)
    assert r["unmatched_gt_ids"] == b_ids[0] and r["unmatched_pred_ids"] == b_ids[1]


def test_hand_case_components():
    gt, pred = hand_case()
    r = instance_scores(gt, pred)
    # Components are numbered by value, then in scan order: A=1, B=2, C=3 and
    # A'=1, B'=2, D=3, as the values were chosen.
    check_hand_numbers(r, (1, 1), ([2, 3], [2, 3]))
    assert r["connectivity"] == 3 and r["instance_labels"] is False


def test_hand_case_instance_ids():
    gt, pred = hand_case()
    # Same geometry, arbitrary ids: the ids come back as given.
    gt_ids = np.choose(gt, [0, 40, 7, 19]).astype(np.int32)
    pred_ids = np.choose(pred, [0, 3, 250, 1000]).astype(np.int32)
    r = instance_scores(gt_ids, pred_ids, instance_labels=True)
    check_hand_numbers(r, (40, 3), ([7, 19], [250, 1000]))


def test_hand_case_float_label_map_accepted():
    gt, pred = hand_case()
    r = instance_scores(gt.astype(np.float32), pred.astype(np.float64))
    check_hand_numbers(r, (1, 1), ([2, 3], [2, 3]))


def test_threshold_is_strict_and_movable():
    gt, pred = hand_case()
    # A-A' has IoU 0.8: still a match at 0.75, not at 0.8 (strict) or 0.9.
    assert instance_scores(gt, pred, iou_threshold=0.75)["tp"] == 1
    assert instance_scores(gt, pred, iou_threshold=0.8)["tp"] == 0
    assert instance_scores(gt, pred, iou_threshold=0.9)["tp"] == 0
    # IoU exactly 0.5: a 2-voxel reference, a 1-voxel prediction inside it.
    g = np.array([[1, 1, 0]])
    p = np.array([[1, 0, 0]])
    assert instance_scores(g, p)["tp"] == 0
    assert instance_scores(g, np.array([[1, 1, 1]]))["tp"] == 1  # 2/3 > 0.5


def test_spacing_gives_millilitres():
    gt, pred = hand_case()
    r = instance_scores(gt, pred, spacing=(2.0, 0.5, 0.5))
    # one voxel = 2 * 0.5 * 0.5 = 0.5 mm^3 = 0.0005 mL
    (m,) = r["matches"]
    assert m["gt_ml"] == pytest.approx(10 * 0.0005)
    assert m["pred_ml"] == pytest.approx(8 * 0.0005)
    assert "gt_ml" not in instance_scores(gt, pred)["matches"][0]


# ------------------------------------------------------------------ what an instance is
def test_touching_values_are_separate_components():
    # Two touching blocks of values 1 and 2, as touching vertebrae.
    gt = np.zeros((3, 4, 6), np.uint8)
    gt[:, :, 0:3] = 1
    gt[:, :, 3:6] = 2
    assert instance_scores(gt, gt)["num_ref_instances"] == 2
    # The whole foreground as one class: one component.
    assert instance_scores(gt != 0, gt != 0)["num_ref_instances"] == 1
    labels = label_instances(gt)
    assert np.array_equal(labels, gt.astype(np.int32))  # 1 then 2, as the values


def test_one_id_in_two_pieces_is_one_instance():
    gt = np.zeros((1, 3, 9), np.uint8)
    gt[0, 1, 0:3] = 5
    gt[0, 1, 6:9] = 5  # same id, not touching
    pred = gt.copy()
    assert instance_scores(gt, pred, instance_labels=True)["num_ref_instances"] == 1
    r = instance_scores(gt, pred)
    assert r["num_ref_instances"] == 2 and r["tp"] == 2 and r["pq"] == 1.0


def test_connectivity_default_follows_panoptica():
    # 3-D: voxels touching at a corner only. panoptica (cc3d) joins them.
    v = np.zeros((2, 2, 2), np.uint8)
    v[0, 0, 0] = v[1, 1, 1] = 1
    assert instance_scores(v, v)["num_ref_instances"] == 1
    assert instance_scores(v, v, connectivity=1)["num_ref_instances"] == 2
    # 2-D: diagonal neighbours. panoptica (scipy's default cross) splits them.
    d = np.eye(3, dtype=np.uint8)
    r = instance_scores(d, d)
    assert r["num_ref_instances"] == 3 and r["connectivity"] == 1
    assert instance_scores(d, d, connectivity=2)["num_ref_instances"] == 1


def test_component_counts_match_scipy_on_random_label_maps():
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 4, size=(12, 14, 16)) * (rng.random((12, 14, 16)) < 0.35)
    full = np.ones((3, 3, 3))
    expected = sum(ndimage.label(ids == v, full)[1] for v in (1, 2, 3))
    labels = label_instances(ids)
    assert labels.max() == expected
    # every component lies in one value, and is connected
    for k in range(1, expected + 1):
        assert np.unique(ids[labels == k]).size == 1
        assert ndimage.label(labels == k, full)[1] == 1


@pytest.mark.parametrize("connectivity", [1, 2, 3])
def test_sparse_labelling_equals_scipy(monkeypatch, connectivity):
    # Large masks are labelled cluster by cluster of occupied cells: force that
    # path on a small volume (odd sizes: short last cells) and on a strided view.
    from dicegui.core import instances
    monkeypatch.setattr(instances, "_SPARSE_MIN_VOXELS", 0)
    monkeypatch.setattr(instances, "_SPARSE_MAX_FILL", 1.0)
    rng = np.random.default_rng(connectivity)
    mask = np.zeros((37, 61, 75), bool)
    for _ in range(40):
        z, y, x = rng.integers(0, mask.shape)
        dz, dy, dx = rng.integers(1, 5, 3)
        mask[max(z - dz, 0):z + dz, max(y - dy, 0):y + dy, max(x - dx, 0):x + dx] = True
    mask |= rng.random(mask.shape) < 0.001
    structure = ndimage.generate_binary_structure(3, connectivity)
    for view in (mask, mask[2:, 3:-1, ::2]):
        expected, n = ndimage.label(view, structure)
        assert n > 20
        assert np.array_equal(label_instances(view, connectivity=connectivity), expected)


# ------------------------------------------------------------------ empty cases
def test_no_instances_anywhere_is_undefined():
    z = np.zeros((4, 5, 6), np.uint8)
    r = instance_scores(z, z)
    assert (r["num_ref_instances"], r["num_pred_instances"], r["tp"], r["fp"], r["fn"]) == (0,) * 5
    for key in ("precision", "recall", "f1", "rq", "sq", "sq_dice", "pq", "pq_dice", "sq_std"):
        assert math.isnan(r[key]), key
    assert r["matches"] == [] and r["unmatched_gt_ids"] == [] and r["unmatched_pred_ids"] == []


def test_empty_prediction_and_empty_reference():
    gt, pred = hand_case()
    z = np.zeros_like(gt)
    missed = instance_scores(gt, z)
    assert (missed["tp"], missed["fp"], missed["fn"]) == (0, 0, 3)
    assert math.isnan(missed["precision"]) and missed["recall"] == 0.0
    assert missed["rq"] == missed["sq"] == missed["pq"] == missed["sq_dice"] == 0.0
    assert math.isnan(missed["sq_std"])
    assert missed["unmatched_gt_ids"] == [1, 2, 3]
    spurious = instance_scores(z, pred)
    assert (spurious["tp"], spurious["fp"], spurious["fn"]) == (0, 3, 0)
    assert spurious["precision"] == 0.0 and math.isnan(spurious["recall"])
    assert spurious["rq"] == spurious["pq"] == 0.0


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("gt, pred, kwargs, message", [
    (np.zeros((3, 4)), np.zeros((4, 3)), {}, "differ in shape"),
    (np.array([[-1, 0]]), np.zeros((1, 2), int), {"instance_labels": True}, "reference.*>= 0"),
    (np.zeros((1, 2)), np.array([[1.5, 0]]), {"instance_labels": True}, "prediction.*whole numbers"),
    (np.zeros((1, 2)), np.array([[np.nan, 0]]), {}, "prediction.*whole numbers"),
    (np.zeros((1, 2), complex), np.zeros((1, 2)), {}, "reference.*dtype complex"),
    (np.zeros((2, 2)), np.zeros((2, 2)), {"iou_threshold": 0.4}, r"\[0.5, 1\)"),
    (np.zeros((2, 2)), np.zeros((2, 2)), {"iou_threshold": 1.0}, r"\[0.5, 1\)"),
    (np.zeros((2, 2)), np.zeros((2, 2)), {"iou_threshold": "0.5"}, "iou_threshold"),
    (np.zeros((2, 2)), np.zeros((2, 2)), {"connectivity": 3}, "connectivity"),
    (np.zeros((2, 2)), np.zeros((2, 2)), {"spacing": (1.0,)}, "spacing"),
    (np.zeros((2, 2)), np.zeros((2, 2)), {"spacing": (1.0, 0.0)}, "spacing"),
])
def test_bad_input_is_refused_clearly(gt, pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        instance_scores(gt, pred, **kwargs)


# ------------------------------------------------------------------ brute force
def brute_force(gt, pred, threshold):
    """Every pair of instances, each from its own full-size masks."""
    g_ids = [int(v) for v in np.unique(gt) if v]
    p_ids = [int(v) for v in np.unique(pred) if v]
    pairs = []
    for a in g_ids:
        for b in p_ids:
            inter = np.logical_and(gt == a, pred == b).sum()
            union = np.logical_or(gt == a, pred == b).sum()
            if inter / union > threshold:
                dice = 2 * inter / ((gt == a).sum() + (pred == b).sum())
                pairs.append((a, b, inter / union, dice))
    return g_ids, p_ids, pairs


@settings(max_examples=60, deadline=None)
@given(
    gt=hnp.arrays(np.uint8, (6, 7), elements=st.integers(0, 5)),
    pred=hnp.arrays(np.uint8, (6, 7), elements=st.integers(0, 5)),
    threshold=st.sampled_from([0.5, 0.6, 0.75]),
)
def test_matches_brute_force_on_random_instance_maps(gt, pred, threshold):
    g_ids, p_ids, pairs = brute_force(gt, pred, threshold)
    r = instance_scores(gt, pred, instance_labels=True, iou_threshold=threshold)
    assert r["num_ref_instances"] == len(g_ids) and r["num_pred_instances"] == len(p_ids)
    # With a threshold >= 0.5 no instance is in two qualifying pairs.
    assert len({a for a, *_ in pairs}) == len(pairs) == len({b for _, b, *_ in pairs})
    got = sorted((m["gt_id"], m["pred_id"]) for m in r["matches"])
    assert got == sorted((a, b) for a, b, *_ in pairs)
    if pairs:
        assert r["sq"] == pytest.approx(np.mean([p[2] for p in pairs]))
        assert r["sq_dice"] == pytest.approx(np.mean([p[3] for p in pairs]))
        f1 = 2 * len(pairs) / (len(g_ids) + len(p_ids))
        assert r["rq"] == pytest.approx(f1)
        assert r["pq"] == pytest.approx(r["sq"] * f1)


# ------------------------------------------------------------------ panoptica's examples
# Published results of panoptica on its spine examples, from the BrainLesion
# "tutorials" notebooks (panoptica/example_spine_semantic.ipynb and
# example_spine_unmatched_instance.ipynb, printed by panoptica 0.5.20:
# NaiveThresholdMatching, IoU threshold 0.5, connected components by cc3d
# for the semantic input). panoptica 2.1.7 run once on these files
# (outside our environment) printed the same numbers to the last digit or two.
PUBLISHED = {
    "semantic": dict(
        num_pred_instances=89, num_ref_instances=87, tp=73, fp=16, fn=14,
        rq=0.8295454545454546, sq=0.7940127477906024, sq_std=0.11547745015679488,
        pq=0.6586696657808406, sq_dice=0.8802182546605446,
        sq_dice_std=0.07728416427007168, pq_dice=0.7301810521615881),
    "unmatched_instance": dict(
        num_pred_instances=22, num_ref_instances=22, tp=19, fp=3, fn=3,
        rq=0.8636363636363636, sq=0.8328184295330797, sq_std=0.1518606400451747,
        pq=0.7192522800512962, sq_dice=0.900292616009954,
        sq_dice_std=0.10253566174957332, pq_dice=0.7775254410995057),
}


def load_example(kind):
    nib = pytest.importorskip("nibabel")
    folder = PANOPTICA / kind
    if not (folder / "ref.nii.gz").exists():
        pytest.skip(f"panoptica example {kind} not present")
    ref = np.asanyarray(nib.load(folder / "ref.nii.gz").dataobj)
    pred = np.asanyarray(nib.load(folder / "pred.nii.gz").dataobj)
    return ref, pred


@pytest.mark.parametrize("kind, instance_labels", [
    ("semantic", False), ("unmatched_instance", True)])
def test_panoptica_examples_match_published_numbers(kind, instance_labels):
    ref, pred = load_example(kind)
    r = instance_scores(ref, pred, instance_labels=instance_labels)
    for key, value in PUBLISHED[kind].items():
        assert r[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
    # precision and recall follow from the published counts
    pub = PUBLISHED[kind]
    assert r["precision"] == pytest.approx(pub["tp"] / pub["num_pred_instances"])
    assert r["recall"] == pytest.approx(pub["tp"] / pub["num_ref_instances"])


def test_panoptica_matched_example_pairs_equal_ids():
    # The same masks with the prediction's ids already set to the reference's:
    # IoU matching must find exactly those pairs, and the unmatched example's
    # numbers (the matching does not depend on the ids).
    ref, pred = load_example("matched_instance")
    r = instance_scores(ref, pred, instance_labels=True)
    assert r["matches"] and all(m["gt_id"] == m["pred_id"] for m in r["matches"])
    assert r["unmatched_gt_ids"] == r["unmatched_pred_ids"]
    for key, value in PUBLISHED["unmatched_instance"].items():
        assert r[key] == pytest.approx(value, rel=1e-12), key


def test_importing_instances_pulls_in_no_qt():
    import subprocess
    import sys
    code = ("import sys, dicegui.core.instances; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]; "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
