"""Lesion-wise Dice and HD95 as BraTS 2023 ranks them. Qt-free.

BraTS 2023 scores each ground-truth lesion on its own, so that a model which
finds the one big tumour and misses three small metastases no longer scores
as if it had found them all. :func:`lesion_wise` implements that definition
(the official script is ``get_LesionWiseScores`` in
rachitsaluja/BraTS-2023-Metrics ``eval.py``) for one binary region mask.

Rules
-----
1. Connected components with full connectivity (26 neighbours in 3-D, 8 in
   2-D) for the reference and the prediction.
2. The reference is dilated ``dilation`` times with the 18-connected element
   (``generate_binary_structure(ndim, 2)``); reference voxels lying in one
   connected component of that dilation form one lesion (two blobs a few
   voxels apart are one lesion).
3. A predicted component matches a lesion when it intersects the lesion
   dilated ``dilation`` times. A component may match several lesions, and is
   then part of each one's prediction.
4. Each lesion's Dice and HD95 compare it with the union of its matched
   components; a lesion with no match scores Dice 0 and HD95 ``hd_penalty``.
5. Predicted components matching no lesion are false-positive lesions
   (Dice 0, HD95 ``hd_penalty``); every such component counts, whatever its
   size.
6. Lesions of at most ``min_lesion_voxels`` voxels are listed but left out of
   the means and of ``num_tp``/``num_fn``; a component matching only such a
   lesion is not a false positive either.
7. ``lesion_dice = sum(Dice of counted lesions) / (counted + false positives)``
   and ``lesion_hd95 = (sum(HD95 of counted lesions) + FP × penalty) / (same)``;
   with nothing to count (both masks empty, or only small lesions and no
   false positive) they are 1 and 0, as the official script makes them.

Speed
-----
The official script builds, for every lesion, full-volume masks, a
full-volume dilation and full-volume distance maps. Here:

* everything runs in the bounding box of both masks grown by
  ``dilation + 1`` voxels, which holds every foreground voxel and every
  dilated voxel, so nothing outside it can change a result;
* the reference is dilated once, not once per lesion: the dilation of a
  lesion *is* its component of the dilated reference (dilating a union is
  the union of the dilations, each blob's dilation is connected, and rule 2
  puts exactly the blobs of one component into one lesion). Matching is then
  one pass over the (component of dilated reference, predicted component)
  pairs, and Dice comes from the counts of the same pairs on reference
  voxels;
* only HD95 is measured per lesion, on the box of the lesion and its matched
  components (:func:`dicegui.core.surface.directed_distances` crops further).
"""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np
from scipy import ndimage as ndi

from dicegui.core.surface import _as_spacing, directed_distances

# BraTS-GLI 2023 settings; 374 mm is about the diagonal of the 240x240x155
# 1 mm BraTS grid, the largest distance a lesion can be off by.
DEFAULT_DILATION = 3
DEFAULT_MIN_LESION_VOXELS = 50
DEFAULT_HD_PENALTY = 374.0
#: HD95 is measured for at most this many matched lesions of one region
#: (about 0.6 ms each): a mask in more separate pieces is noise or not a
#: lesion mask (a checkerboard is a million), and would take minutes.
MAX_MEASURED_LESIONS = 10_000


# ---------------------------------------------------------------- validation

def _as_mask(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric or boolean mask, not dtype {x.dtype}")
    if x.ndim not in (2, 3):
        raise ValueError(f"{name} must be a 2-D or 3-D mask, got {x.ndim} axes (shape {x.shape})")
    return x if x.dtype == np.bool_ else x != 0


def _as_count(value, name: str) -> int:
    # bool is an Integral too, but dilation=True is a mistake, not 1
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def _as_real(value, name: str, low: float, high: float = np.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and low <= value <= high):
        span = f">= {low:g}" if high == np.inf else f"in [{low:g}, {high:g}]"
        raise ValueError(f"{name} must be a finite number {span}, got {value!r}")
    return value


# ------------------------------------------------------------------ labelling

def _crop(gt: np.ndarray, pred: np.ndarray, margin: int):
    """Both masks cut to their common box grown by ``margin``; ``None`` if both are empty."""
    either = gt | pred
    box = []
    for axis in range(either.ndim):
        other = tuple(i for i in range(either.ndim) if i != axis)
        hits = np.flatnonzero(either.any(axis=other))
        if hits.size == 0:
            return None
        box.append(slice(max(int(hits[0]) - margin, 0), int(hits[-1]) + 1 + margin))
    box = tuple(box)
    return gt[box], pred[box]


def _lesion_zones(gt: np.ndarray, dilation: int):
    """Rules 1-2: each lesion's dilated zone, labelled; the lesions are ``zones * gt``.

    Zone ``k`` is lesion ``k`` dilated ``dilation`` times (module notes).
    scipy's ``iterations=0`` means "until nothing changes", hence the test.
    """
    dilated = gt
    if dilation > 0:
        element = ndi.generate_binary_structure(gt.ndim, 2)
        # Each step reaches one voxel further along every axis, so after
        # sum(shape) steps nothing more changes: a larger count (10**9, or
        # one scipy cannot hold in a C long) gives the same zones.
        steps = min(dilation, sum(gt.shape))
        dilated = ndi.binary_dilation(gt, structure=element, iterations=steps)
    full = ndi.generate_binary_structure(gt.ndim, gt.ndim)
    zones, n = ndi.label(dilated, structure=full)
    return zones, n


def _pair_counts(a: np.ndarray, b: np.ndarray, nb: int) -> dict:
    """``{(i, j): voxels}`` over the voxels where ``a == i > 0`` and ``b == j > 0``."""
    both = (a > 0) & (b > 0)
    keys = a[both].astype(np.int64) * (nb + 1) + b[both]
    keys, counts = np.unique(keys, return_counts=True)
    return {(int(k // (nb + 1)), int(k % (nb + 1))): int(c) for k, c in zip(keys, counts)}


# -------------------------------------------------------------------- scoring

def _hd(gt: np.ndarray, pred: np.ndarray, spacing, percentile: float) -> float:
    """Symmetric percentile Hausdorff distance: the larger directed percentile."""
    there = directed_distances(gt, pred, spacing)
    back = directed_distances(pred, gt, spacing)
    return float(max(np.percentile(there, percentile), np.percentile(back, percentile)))


def _union_box(boxes) -> tuple[slice, ...]:
    return tuple(slice(min(b[i].start for b in boxes), max(b[i].stop for b in boxes))
                 for i in range(len(boxes[0])))


class _Components(NamedTuple):
    """Labelled lesions (reference voxels only) and predicted components."""

    lesions: np.ndarray
    n_lesions: int
    pred: np.ndarray
    n_pred: int


def _matches(zones: np.ndarray, comps: _Components) -> dict:
    """Rule 3: ``{lesion id: [predicted ids meeting its dilated zone]}``, ids ascending."""
    matched = {k: [] for k in range(1, comps.n_lesions + 1)}
    for k, j in sorted(_pair_counts(zones, comps.pred, comps.n_pred)):
        matched[k].append(j)
    return matched


def _check_measurable(zones: np.ndarray, pred_cc: np.ndarray) -> None:
    """Refuse before any per-lesion bookkeeping when the HD95 loop would take minutes.

    A lesion is measured when its zone meets a predicted component (rule 3).
    """
    n = np.unique(zones[(zones > 0) & (pred_cc > 0)]).size
    if n > MAX_MEASURED_LESIONS:
        raise ValueError(
            f"{n} separate reference lesions meet the prediction; lesion-wise HD95 is measured for at "
            f"most {MAX_MEASURED_LESIONS} (a mask in that many pieces is noise or not a lesion mask)")


def _lesion_rows(comps: _Components, matched: dict, spacing, percentile, penalty) -> list:
    """Rule 4: one dict per lesion (``counted`` is set by the caller)."""
    overlaps = _pair_counts(comps.lesions, comps.pred, comps.n_pred)
    lesion_sizes = np.bincount(comps.lesions.ravel(), minlength=comps.n_lesions + 1)
    pred_sizes = np.bincount(comps.pred.ravel(), minlength=comps.n_pred + 1)
    lesion_boxes = ndi.find_objects(comps.lesions, max_label=comps.n_lesions)
    pred_boxes = ndi.find_objects(comps.pred, max_label=comps.n_pred)
    rows = []
    for k, ids in matched.items():
        row = {"gt_id": k, "pred_ids": ids, "voxels": int(lesion_sizes[k]), "dice": 0.0,
               "hd95": penalty}
        if ids:
            # matched components are disjoint: overlaps and sizes add up
            inter = sum(overlaps.get((k, j), 0) for j in ids)
            row["dice"] = 2.0 * inter / (row["voxels"] + int(pred_sizes[ids].sum()))
            box = _union_box([lesion_boxes[k - 1]] + [pred_boxes[j - 1] for j in ids])
            # the box, not a table over every component: that was O(lesions x components)
            chosen = np.isin(comps.pred[box], ids)
            row["hd95"] = _hd(comps.lesions[box] == k, chosen, spacing, percentile)
        rows.append(row)
    return rows


def _false_positives(comps: _Components, matched: dict) -> list:
    """Rule 5: the predicted components no lesion matched, with their sizes."""
    hit = np.zeros(comps.n_pred + 1, dtype=bool)
    for ids in matched.values():
        hit[ids] = True
    sizes = np.bincount(comps.pred.ravel(), minlength=comps.n_pred + 1)
    return [{"pred_id": int(j), "voxels": int(sizes[j])} for j in np.flatnonzero(~hit[1:]) + 1]


def _summary(rows, fps, penalty) -> dict:
    """Rules 6-7: counts and means over the counted lesions and the false positives."""
    counted = [r for r in rows if r["counted"]]
    n = len(counted) + len(fps)
    if n == 0:
        dice, hd = 1.0, 0.0
    else:
        dice = sum(r["dice"] for r in counted) / n
        hd = (sum(r["hd95"] for r in counted) + len(fps) * penalty) / n
        if math.isinf(hd):
            # a penalty near the float limit overflows the sum, not the mean: sum the shares instead
            hd = math.fsum([r["hd95"] / n for r in counted] + [penalty * (len(fps) / n)])
    return {
        "num_tp": sum(1 for r in counted if r["pred_ids"]),
        "num_fp": len(fps),
        "num_fn": sum(1 for r in counted if not r["pred_ids"]),
        "lesion_dice": float(dice),
        "lesion_hd95": float(hd),
    }


def lesion_wise(gt, pred, spacing=None, *, dilation=DEFAULT_DILATION,
                min_lesion_voxels=DEFAULT_MIN_LESION_VOXELS, hd_penalty=DEFAULT_HD_PENALTY,
                percentile=95) -> dict:
    """Lesion-wise Dice and HD95 of one region (BraTS 2023 definition).

    Parameters
    ----------
    gt, pred : array_like
        Reference and prediction masks of one region (e.g. whole tumour =
        labels 1, 2, 4; the caller builds it), equal 2-D or 3-D shapes, bool
        or numbers (nonzero = foreground).
    spacing : sequence of float, optional
        Voxel size per axis (mm); ``None`` means 1 per axis. Used for HD95
        only.
    dilation : int, optional
        Dilations with the 18-connected element (8-connected in 2-D) that
        merge nearby reference blobs and widen the matching zone (default 3,
        BraTS-GLI; BraTS-MEN and -MET use 1). 0 means none.
    min_lesion_voxels : float, optional
        Lesions of at most this many voxels are listed but not counted
        (default 50).
    hd_penalty : float, optional
        HD95 given to a missed lesion and to a false-positive lesion (default
        374, BraTS), in the units of ``spacing``.
    percentile : float, optional
        Percentile of the Hausdorff distance, in [0, 100] (default 95).

    Returns
    -------
    dict
        ``num_tp`` (counted lesions with a match), ``num_fp`` (predicted
        components matching no lesion), ``num_fn`` (counted lesions with no
        match), ``lesion_dice``, ``lesion_hd95``; ``lesions``, one dict per
        reference lesion in label order with ``gt_id``, ``pred_ids`` (the
        matched predicted components), ``voxels``, ``dice``, ``hd95`` and
        ``counted``; ``fp_lesions``, one dict ``{"pred_id", "voxels"}`` per
        false-positive component; ``empty`` (both masks empty: the scores are
        1 and 0 by the BraTS convention, a caller may report NaN or skip the
        case instead); and the parameters used, ``dilation``,
        ``min_lesion_voxels``, ``hd_penalty``, ``percentile``.

        Lesion ids are the labels, in raster (C) order of each component's
        first voxel, of the dilated reference (``gt_id``) and of the
        prediction (``pred_id``), as ``scipy.ndimage.label`` with full
        connectivity numbers them on the full arrays.

    Raises
    ------
    ValueError
        Shapes differ, a mask is not 2-D or 3-D or not numeric, ``spacing``
        is not one positive number per axis, ``dilation`` is not a whole
        number >= 0, ``min_lesion_voxels`` or ``hd_penalty`` is negative or
        not finite, ``percentile`` is outside [0, 100], or more than
        :data:`MAX_MEASURED_LESIONS` reference lesions meet the prediction
        (their HD95 would take minutes).

    Notes
    -----
    Rules (module docstring) follow the official ``get_LesionWiseScores``
    and ``get_LesionWiseResults`` (rachitsaluja/BraTS-2023-Metrics,
    ``eval.py``), including: components of all sizes count as false
    positives; a component matched only to a small lesion is not one; a
    component near two lesions belongs to both; a small lesion's match
    still lists it; nothing to count gives 1 and 0 (the script's NaN turned
    to 1 and 0). Where this differs:

    * HD95 is ``max`` of the two directed 95th percentiles of border-voxel
      distances (:func:`dicegui.core.surface.surface_distances`, medpy's
      border). The script uses DeepMind's ``surface_distance``
      ``compute_robust_hausdorff``, which weights surface elements by area;
      both take the larger directed percentile, values differ slightly.
    * The small-lesion threshold is in voxels; the script compares the
      volume ``voxels × sx × sy × sz`` (mm³) with it, the same on BraTS's
      1 mm grid.
    * ``dilation=0`` means no dilation; the script passes 0 to scipy, which
      then dilates until nothing changes (the whole image). A dilation
      larger than the sum of the box's sides acts as that sum (nothing
      changes after it).
    * The script labels with cc3d; this uses ``scipy.ndimage.label`` with the
      same connectivity (same components; ids may be numbered differently).
    """
    gt = _as_mask(gt, "gt")
    pred = _as_mask(pred, "pred")
    if gt.shape != pred.shape:
        raise ValueError(f"gt and pred differ in shape: gt {gt.shape} vs pred {pred.shape}")
    spacing = _as_spacing(spacing, gt.ndim)
    dilation = _as_count(dilation, "dilation")
    if not isinstance(min_lesion_voxels, numbers.Integral):  # 50 stays 50 in JSON
        min_lesion_voxels = _as_real(min_lesion_voxels, "min_lesion_voxels", 0.0)
    elif isinstance(min_lesion_voxels, bool) or min_lesion_voxels < 0:
        raise ValueError(f"min_lesion_voxels must be a number >= 0, got {min_lesion_voxels!r}")
    hd_penalty = _as_real(hd_penalty, "hd_penalty", 0.0)
    percentile = _as_real(percentile, "percentile", 0.0, 100.0)
    params = {"dilation": dilation, "min_lesion_voxels": min_lesion_voxels,
              "hd_penalty": hd_penalty, "percentile": percentile}

    cropped = _crop(gt, pred, dilation + 1)
    if cropped is None:
        return {**_summary([], [], hd_penalty), "lesions": [], "fp_lesions": [],
                "empty": True, **params}
    gt, pred = cropped
    zones, n_lesions = _lesion_zones(gt, dilation)
    pred_cc, n_pred = ndi.label(pred, structure=ndi.generate_binary_structure(pred.ndim, pred.ndim))
    comps = _Components(np.where(gt, zones, 0), n_lesions, pred_cc, n_pred)
    _check_measurable(zones, comps.pred)
    matched = _matches(zones, comps)
    rows = _lesion_rows(comps, matched, spacing, percentile, hd_penalty)
    fps = _false_positives(comps, matched)
    for row in rows:
        row["counted"] = row["voxels"] > min_lesion_voxels
    return {**_summary(rows, fps, hd_penalty), "lesions": rows, "fp_lesions": fps,
            "empty": False, **params}
