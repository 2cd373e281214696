"""Overlap metrics between a ground-truth and a predicted mask.

All functions are pure NumPy. Conventions where peers disagree:

* both masks empty: ``dice = iou = 1.0`` (perfect agreement on nothing);
* any other 0/0: ``nan`` (undefined, never silently 0 or 1).
"""
from __future__ import annotations

import numpy as np

OVERLAP_KEYS = (
    "tp", "fp", "fn", "tn",
    "dice", "iou", "accuracy", "precision", "sensitivity", "specificity",
    "volume_similarity",
)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def scores_from_counts(tp: int, fp: int, fn: int, tn: int) -> dict:
    """Build the ``overlap()`` dictionary from the four confusion counts.

    Parameters
    ----------
    tp, fp, fn, tn : int
        True positives, false positives, false negatives, true negatives.

    Returns
    -------
    dict
        Keys ``tp, fp, fn, tn`` (int) and ``dice, iou, accuracy, precision,
        sensitivity, specificity, volume_similarity`` (float).
    """
    tp, fp, fn, tn = int(tp), int(fp), int(fn), int(tn)
    union_sum = 2 * tp + fp + fn
    if tp + fp + fn == 0:
        dice = iou = 1.0
    else:
        dice = 2.0 * tp / union_sum
        iou = tp / (tp + fp + fn)
    return {
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "dice": dice,
        "iou": iou,
        "accuracy": _ratio(tp + tn, tp + fp + fn + tn),
        "precision": _ratio(tp, tp + fp),
        "sensitivity": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "volume_similarity": (1.0 - abs(fn - fp) / union_sum) if union_sum else float("nan"),
    }


def _check_shapes(gt: np.ndarray, pred: np.ndarray) -> None:
    if gt.shape != pred.shape:
        raise ValueError(
            f"ground truth and prediction differ in shape: gt {gt.shape} vs pred {pred.shape}"
        )


def overlap(gt, pred) -> dict:
    """Confusion counts and overlap scores of two masks (nonzero = foreground).

    (Placeholder-free first version; optimised in place by later work.)
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    _check_shapes(gt, pred)
    g = gt != 0
    p = pred != 0
    tp = int(np.count_nonzero(g & p))
    ng = int(np.count_nonzero(g))
    np_ = int(np.count_nonzero(p))
    fp = np_ - tp
    fn = ng - tp
    tn = g.size - tp - fp - fn
    return scores_from_counts(tp, fp, fn, tn)
