"""Instance metrics: detection and panoptic quality, as panoptica defines them.

A Dice over the whole foreground cannot tell a reader how many lesions,
vertebrae or nodules were found: one large structure hides ten missed small
ones. Instance metrics split each mask into instances, pair reference and
predicted instances one to one by IoU, and count the pairs
(:func:`instance_scores`). Qt-free.

Instances
---------
* ``instance_labels=False`` (panoptica's "semantic" input): instances are the
  connected components of each nonzero value. Voxels of different values
  never join, so a label map of touching vertebrae 1, 2, 3 gives one instance
  per vertebra (and more when a label is in pieces); a binary mask gives the
  components of its foreground. This is what panoptica's
  ``ConnectedComponentsInstanceApproximator`` does: it runs ``cc3d`` on the
  label map as given, and cc3d labels each value on its own. Pass
  ``mask != 0`` to take the components of the whole foreground instead.
* ``instance_labels=True`` (panoptica's "unmatched instance" input): each
  nonzero value is one instance id, whether or not its voxels touch.

Connectivity (``connectivity=None``) follows panoptica: in 3-D and higher
full connectivity (26 neighbours in 3-D, cc3d's default), in 2-D face
connectivity (4 neighbours: panoptica calls ``scipy.ndimage.label`` with its
default cross for arrays of fewer than 3 dimensions). ``connectivity=k``
joins neighbours that differ in at most ``k`` coordinates
(``scipy.ndimage.generate_binary_structure(ndim, k)``), so
``connectivity=2`` gives 8 neighbours in 2-D and ``1`` gives 6 in 3-D.

Matching
--------
A reference instance ``g`` and a predicted instance ``p`` match when
``IoU(g, p) = |g ∩ p| / |g ∪ p| > iou_threshold`` (strictly). With a
threshold of at least 0.5 a match is unique: two predictions cannot each
cover more than half of the union with ``g`` (Kirillov et al., Panoptic
Segmentation, 2019). Pairs are taken greedily by descending IoU, as
panoptica's ``NaiveThresholdMatching`` does, which for such thresholds is
the unique matching. panoptica's default comparison is ``>=``
(``strict_threshold=False``); the two differ only for a pair whose IoU is
exactly the threshold.

Scores (panoptica's names in brackets)
--------------------------------------
``tp`` = matched pairs, ``fp = num_pred_instances - tp``,
``fn = num_ref_instances - tp``; ``precision = tp / (tp + fp)`` [prec],
``recall = tp / (tp + fn)`` [rec]; ``rq = f1 = tp / (tp + fp/2 + fn/2)``
[rq]; ``sq`` = mean IoU of the matched pairs [sq], ``sq_std`` their
population standard deviation [sq_std]; ``pq = sq * rq`` [pq]; ``sq_dice``,
``sq_dice_std``, ``pq_dice = sq_dice * rq`` the same with Dice [sq_dsc,
sq_dsc_std, pq_dsc].

Empty cases (panoptica's default ``EdgeCaseHandler``)
-----------------------------------------------------
* No instance in either mask: ``rq, f1, sq, sq_dice, pq, pq_dice,
  precision, recall`` are all ``nan``: nothing to detect, nothing to score.
  (:func:`dicegui.core.metrics.overlap` scores two empty masks Dice 1; the
  instance view follows panoptica instead.)
* Instances, but no match: ``rq = f1 = sq = sq_dice = pq = pq_dice = 0``;
  ``precision`` is ``nan`` when there is no predicted instance (0/0;
  panoptica cannot compute it either) and ``recall`` is ``nan`` when there is
  no reference instance.
* The standard deviations are ``nan`` when nothing matched.

Speed
-----
Everything runs inside the box that holds the foreground of either mask.
Components are labelled once per mask (one ``scipy.ndimage.label`` per value,
inside that value's own box). Sizes and overlaps come from the foreground
voxels only: one ``bincount`` of each mask's instance numbers, and one joint
count of the (reference, prediction) instance pairs over the voxels where
both masks are foreground, never one full-volume mask per instance.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["instance_scores", "label_instances"]

# A lookup table of this many entries (int32) is cheaper than sorting the
# foreground values; larger ids are compacted with np.unique instead.
_LUT_MAX = 1 << 24
# Pair tables up to this many cells are counted with bincount, else unique.
_PAIR_TABLE_MAX = 1 << 24
# Large masks are labelled cluster by cluster of occupied cells of this side
# when few cells are occupied (see _label); else in one scipy call.
_CELL = 8
_SPARSE_MIN_VOXELS = 1 << 22
_SPARSE_MAX_FILL = 0.25
_SPARSE_MAX_CLUSTERS = 2000
#: Components are labelled value by value (~50 us each): more distinct values
#: than this is an instance-id map read as labels (262,144 ids took 14 s).
MAX_COMPONENT_VALUES = 10_000


@dataclass
class _Instances:
    """One mask's instances inside the working box.

    ``ids[k - 1]`` is the id reported for instance number ``k``;
    ``numbers`` holds the instance number (1..n) of every foreground voxel in
    C order of the box; ``voxels[k - 1]`` is the size of instance ``k``.
    """

    ids: np.ndarray
    numbers: np.ndarray
    voxels: np.ndarray

    @property
    def count(self) -> int:
        return int(self.ids.size)


# ------------------------------------------------------------------ checks
def _check_threshold(iou_threshold) -> float:
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, numbers.Real):
        raise ValueError(f"iou_threshold must be a number in [0.5, 1), got {iou_threshold!r}")
    t = float(iou_threshold)
    if not 0.5 <= t < 1.0:
        raise ValueError(
            f"iou_threshold must be in [0.5, 1) so that a match is one to one, got {t}")
    return t


def _check_connectivity(connectivity, ndim: int) -> int:
    if connectivity is None:
        return ndim if ndim >= 3 else 1
    if (isinstance(connectivity, bool) or not isinstance(connectivity, numbers.Integral)
            or not 1 <= int(connectivity) <= ndim):
        raise ValueError(
            f"connectivity must be an integer from 1 to {ndim} for {ndim}-D masks "
            f"(or None), got {connectivity!r}")
    return int(connectivity)


def _check_spacing(spacing, ndim: int) -> tuple[float, ...] | None:
    if spacing is None:
        return None
    try:
        values = tuple(float(s) for s in spacing)
    except (TypeError, ValueError):
        raise ValueError(f"spacing must be {ndim} positive numbers, got {spacing!r}") from None
    if len(values) != ndim or not all(math.isfinite(s) and s > 0 for s in values):
        raise ValueError(f"spacing must be {ndim} positive finite numbers, got {spacing!r}")
    return values


def _as_ids(mask, name: str, instance_labels: bool) -> np.ndarray:
    """The mask as a non-negative integer array (a view when it already is one)."""
    a = np.asanyarray(mask)
    what = "instance ids" if instance_labels else "label values"
    if a.dtype == bool:
        return a.view(np.uint8)
    if a.dtype.kind in "ui":
        if a.dtype.kind == "i" and a.size and a.min() < 0:
            raise ValueError(f"{name}: {what} must be >= 0, found {a.min()}")
        return a
    if a.dtype.kind != "f":
        raise ValueError(f"{name}: {what} must be integers, got dtype {a.dtype}")
    # NIfTI label maps are often stored as floats: accept whole numbers only.
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValueError(f"{name}: {what} must be whole numbers, found {a[bad][0]}")
    bad = a != np.floor(a)
    if bad.any():
        raise ValueError(f"{name}: {what} must be whole numbers, found {a[bad][0]}")
    if a.size and a.min() < 0:
        raise ValueError(f"{name}: {what} must be >= 0, found {a.min()}")
    if a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: {what} too large for an integer, found {a.max()}")
    return a.astype(np.int64)


def _check_pair(gt, pred, instance_labels: bool) -> tuple[np.ndarray, np.ndarray]:
    g = _as_ids(gt, "reference", instance_labels)
    p = _as_ids(pred, "prediction", instance_labels)
    if g.shape != p.shape:
        raise ValueError(
            f"reference and prediction differ in shape: {g.shape} vs {p.shape}")
    if g.ndim == 0:
        raise ValueError("reference and prediction must be arrays of at least 1 dimension")
    return g, p


# ------------------------------------------------------------------ instances
def _compact(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct nonzero ``values`` (sorted), each value's number 1..n, sizes."""
    if values.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, np.zeros(0, np.int32), empty
    top = int(values.max())
    if top < _LUT_MAX:
        counts = np.bincount(values.astype(np.intp, copy=False), minlength=top + 1)
        ids = np.flatnonzero(counts)
        lut = np.zeros(top + 1, np.int32)
        lut[ids] = np.arange(1, ids.size + 1, dtype=np.int32)
        return ids, lut[values], counts[ids]
    ids, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return ids, (inverse + 1).astype(np.int32), counts


def _any_blocks(a: np.ndarray, axis: int) -> np.ndarray:
    """OR of each run of ``_CELL`` elements along ``axis`` (the last run may be short)."""
    b = np.moveaxis(a, axis, 0)
    m = b.shape[0] // _CELL
    # splitting one axis in two is always a view, whatever the strides
    parts = [b[:m * _CELL].reshape(m, _CELL, *b.shape[1:]).any(axis=1)]
    if b.shape[0] > m * _CELL:
        parts.append(b[m * _CELL:].any(axis=0, keepdims=True))
    return np.moveaxis(np.concatenate(parts), 0, axis)


def _occupied_cells(binary: np.ndarray) -> np.ndarray:
    """Which ``_CELL``-sided cells of ``binary`` hold a foreground voxel."""
    cells = binary
    for axis in range(binary.ndim):  # axis 0 first: the largest, contiguous pass
        cells = _any_blocks(cells, axis)
    return cells


def _first_voxels(part: np.ndarray, n: int, start: tuple[int, ...], shape) -> np.ndarray:
    """Flat index in ``shape`` of each component's first voxel (C order)."""
    local = np.flatnonzero(part)
    _, first = np.unique(part.reshape(-1)[local], return_index=True)
    coords = np.unravel_index(local[first], part.shape)
    return np.ravel_multi_index(tuple(c + s for c, s in zip(coords, start)), shape)


def _cluster_labels(binary, structure, clusters):
    """Label ``binary`` one cluster of occupied cells at a time.

    Returns the labels (numbered cluster by cluster), their count and each
    component's first voxel as a flat index into ``binary``.
    """
    out = np.zeros(binary.shape, np.int32)
    offset, firsts = 0, []
    for c, cbox in enumerate(ndimage.find_objects(clusters), start=1):
        vbox = tuple(slice(s.start * _CELL, min(s.stop * _CELL, n))
                     for s, n in zip(cbox, binary.shape))
        own = clusters[cbox] == c
        for axis in range(own.ndim):
            own = np.repeat(own, _CELL, axis=axis)
        sub = binary[vbox] & own[tuple(slice(0, v.stop - v.start) for v in vbox)]
        part, n = ndimage.label(sub, structure)
        if n == 0:
            continue
        where = part > 0
        out[vbox][where] = part[where] + offset
        firsts.append(_first_voxels(part, n, tuple(v.start for v in vbox), binary.shape))
        offset += n
    return out, offset, np.concatenate(firsts) if firsts else np.zeros(0, np.int64)


def _label(binary: np.ndarray, structure: np.ndarray) -> tuple[np.ndarray, int]:
    """``scipy.ndimage.label``, skipping the empty part of a large, sparse mask.

    Voxels that touch lie in the same or neighbouring cells, so a component
    never spans two clusters of occupied cells (joined at faces, edges and
    corners); each cluster is labelled inside its own box, restricted to its
    own cells, and the numbers are then put back in scipy's scan order.
    """
    if binary.size < _SPARSE_MIN_VOXELS:
        return ndimage.label(binary, structure)
    cells = _occupied_cells(binary)
    if np.count_nonzero(cells) > _SPARSE_MAX_FILL * cells.size:
        return ndimage.label(binary, structure)
    clusters, count = ndimage.label(cells, np.ones((3,) * binary.ndim, bool))
    if count > _SPARSE_MAX_CLUSTERS:
        return ndimage.label(binary, structure)
    out, n, first = _cluster_labels(binary, structure, clusters)
    # Within a box, C order is the global C order, so only the clusters'
    # numbers need interleaving by their components' first voxels.
    lut = np.zeros(n + 1, np.int32)
    lut[np.argsort(first, kind="stable") + 1] = np.arange(1, n + 1, dtype=np.int32)
    out[binary] = lut[out[binary]]
    return out, n


def _components(ids: np.ndarray, fg: np.ndarray, connectivity: int) -> np.ndarray:
    """Connected components of each nonzero value, numbered 1..n (int32 array).

    Numbered value by value (ascending), and within a value in scipy's scan
    order, so a binary mask's components are numbered in raster order.
    """
    structure = ndimage.generate_binary_structure(ids.ndim, connectivity)
    top = int(ids.max()) if ids.size else 0
    if top <= 1:
        return _label(fg, structure)[0]
    if top >= _LUT_MAX:
        # find_objects keeps one slot per value up to the largest one
        compact = np.zeros(ids.shape, np.int32)
        compact[fg] = _compact(ids[fg])[1]
        ids = compact
    elif ids.dtype.itemsize > 4:
        ids = ids.astype(np.int32)
    # the values present and their boxes in one pass, without gathering them
    boxes = ndimage.find_objects(ids)
    values = [k + 1 for k, box in enumerate(boxes) if box is not None]
    if len(values) > MAX_COMPONENT_VALUES:
        raise ValueError(
            f"{len(values)} distinct values, each split into components: at most {MAX_COMPONENT_VALUES} "
            "(an instance-id map? give instance_labels=True, --instance-labels)")
    if len(values) == 1:
        return _label(fg, structure)[0]
    out = np.zeros(ids.shape, np.int32)
    offset = 0
    for v in values:
        box = boxes[int(v) - 1]
        part, n = _label(ids[box] == v, structure)
        where = part > 0
        out[box][where] = part[where] + offset
        offset += n
    return out


def _instances(ids: np.ndarray, fg: np.ndarray, instance_labels: bool,
               connectivity: int) -> _Instances:
    if instance_labels:
        uniq, numbers_, voxels = _compact(ids[fg])
        return _Instances(uniq, numbers_, voxels)
    labels = _components(ids, fg, connectivity)
    numbers_ = labels[fg]
    n = int(labels.max()) if labels.size else 0
    voxels = np.bincount(numbers_, minlength=n + 1)[1:]
    return _Instances(np.arange(1, n + 1), numbers_, voxels)


def label_instances(mask, *, instance_labels: bool = False, connectivity=None) -> np.ndarray:
    """The instances of one mask as an integer image (0 = background).

    With ``instance_labels=False`` the connected components of each nonzero
    value, numbered 1..n as the ``gt_id``/``pred_id`` of
    :func:`instance_scores` (value by value ascending, then scan order); with
    ``instance_labels=True`` the mask itself (its values are the ids).

    Parameters
    ----------
    mask : array_like
        Label map or instance-id map (non-negative whole numbers).
    instance_labels : bool
        Whether each nonzero value is already one instance.
    connectivity : int or None
        As in :func:`instance_scores`.

    Returns
    -------
    numpy.ndarray
        ``int32`` component numbers, or the mask's ids unchanged.
    """
    ids = _as_ids(mask, "mask", instance_labels)
    if instance_labels:
        return ids
    return _components(ids, ids != 0, _check_connectivity(connectivity, ids.ndim))


# ------------------------------------------------------------------ matching
def _foreground_box(fg_g: np.ndarray, fg_p: np.ndarray) -> tuple[slice, ...] | None:
    either = fg_g | fg_p
    box = []
    for axis in range(either.ndim):
        others = tuple(a for a in range(either.ndim) if a != axis)
        hit = np.flatnonzero(either.any(axis=others) if others else either)
        if hit.size == 0:
            return None
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(box)


def _pair_counts(g: _Instances, p: _Instances, fg_g: np.ndarray, fg_p: np.ndarray):
    """Instance numbers and shared voxels of every overlapping pair."""
    # Both ``numbers`` arrays list foreground voxels in C order, so picking the
    # voxels that are foreground in the other mask too aligns them.
    g_num = g.numbers[fg_p[fg_g]].astype(np.int64)
    p_num = p.numbers[fg_g[fg_p]].astype(np.int64)
    width = p.count + 1
    key = g_num * width + p_num
    if (g.count + 1) * width <= _PAIR_TABLE_MAX:
        table = np.bincount(key, minlength=(g.count + 1) * width)
        key = np.flatnonzero(table)
        shared = table[key]
    else:
        key, shared = np.unique(key, return_counts=True)
    return key // width, key % width, shared


def _match(gi, pi, shared, g: _Instances, p: _Instances, threshold: float):
    """One-to-one pairs with IoU > threshold, by descending IoU (ties by ids).

    Returns four arrays: reference and predicted instance numbers, shared
    voxels and IoU of each pair. With a threshold of at least 0.5 no two
    kept pairs share an instance (module notes), so panoptica's greedy pass
    would take every one of them: no Python loop over a million pairs.
    """
    size_g = g.voxels[gi - 1]
    size_p = p.voxels[pi - 1]
    iou = shared / (size_g + size_p - shared)
    keep = np.flatnonzero(iou > threshold)
    order = keep[np.lexsort((pi[keep], gi[keep], -iou[keep]))]
    return gi[order], pi[order], shared[order], iou[order]


# ------------------------------------------------------------------ scores
def _mean_std(values: list[float], any_instance: bool) -> tuple[float, float]:
    if values:
        return float(np.mean(values)), float(np.std(values))
    return (0.0 if any_instance else math.nan), math.nan


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def _detection(tp: int, n_ref: int, n_pred: int) -> dict:
    fp, fn = n_pred - tp, n_ref - tp
    if tp == 0:
        rq = 0.0 if n_ref + n_pred else math.nan
    else:
        rq = tp / (tp + 0.5 * fp + 0.5 * fn)
    return {
        "num_ref_instances": n_ref, "num_pred_instances": n_pred,
        "tp": tp, "fp": fp, "fn": fn,
        "precision": _ratio(tp, n_pred), "recall": _ratio(tp, n_ref),
        "f1": rq, "rq": rq,
    }


def _match_rows(pairs, g: _Instances, p: _Instances, voxel_ml: float | None) -> list[dict]:
    a, b, shared, iou = pairs
    size_g, size_p = g.voxels[a - 1], p.voxels[b - 1]
    columns = {
        "gt_id": g.ids[a - 1], "pred_id": p.ids[b - 1],
        "iou": iou, "dice": 2.0 * shared / (size_g + size_p),
        "gt_voxels": size_g, "pred_voxels": size_p,
    }
    if voxel_ml is not None:
        columns["gt_ml"] = size_g * voxel_ml
        columns["pred_ml"] = size_p * voxel_ml
    # column by column (tolist gives Python ints and floats), then one dict per pair
    values = [np.asarray(v).tolist() for v in columns.values()]
    return [dict(zip(columns, row)) for row in zip(*values)]


def _unmatched(inst: _Instances, matched: np.ndarray) -> list[int]:
    hit = np.zeros(inst.count, dtype=bool)
    hit[matched - 1] = True
    return inst.ids[~hit].astype(np.int64).tolist()


def _report(g: _Instances, p: _Instances, pairs, voxel_ml, settings: dict) -> dict:
    out = _detection(len(pairs[0]), g.count, p.count)
    rows = _match_rows(pairs, g, p, voxel_ml)
    any_instance = g.count + p.count > 0
    out["sq"], out["sq_std"] = _mean_std([r["iou"] for r in rows], any_instance)
    out["sq_dice"], out["sq_dice_std"] = _mean_std([r["dice"] for r in rows], any_instance)
    out["pq"] = out["sq"] * out["rq"]
    out["pq_dice"] = out["sq_dice"] * out["rq"]
    out["matches"] = rows
    out["unmatched_gt_ids"] = _unmatched(g, pairs[0])
    out["unmatched_pred_ids"] = _unmatched(p, pairs[1])
    out.update(settings)
    return out


def _named(step, name: str, *args):
    try:
        return step(*args)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def instance_scores(gt, pred, *, instance_labels: bool = False, iou_threshold: float = 0.5,
                    connectivity=None, spacing=None) -> dict:
    """Detection and panoptic quality of the prediction's instances.

    Parameters
    ----------
    gt, pred : array_like
        Reference and prediction of one shape: label maps (bool or
        non-negative whole numbers; floats holding whole numbers are
        accepted). See the module docstring for what an instance is.
    instance_labels : bool
        ``False``: instances are the connected components of each nonzero
        value (panoptica's semantic input). ``True``: each nonzero value is
        one instance id (panoptica's unmatched-instance input).
    iou_threshold : float
        A pair matches when its IoU is strictly above this, in [0.5, 1).
    connectivity : int or None
        Neighbourhood of the components (``instance_labels=False`` only):
        ``None`` as panoptica (full in 3-D: 26 neighbours; faces in 2-D:
        4 neighbours), or 1..ndim.
    spacing : sequence of float or None
        Voxel size in mm; when given, each match also reports ``gt_ml`` and
        ``pred_ml``.

    Returns
    -------
    dict
        ``num_ref_instances, num_pred_instances, tp, fp, fn, precision,
        recall, f1, rq, sq, sq_std, pq, sq_dice, sq_dice_std, pq_dice``;
        ``matches``: one dict per matched pair (``gt_id, pred_id, iou, dice,
        gt_voxels, pred_voxels`` [, ``gt_ml, pred_ml``]) by descending IoU;
        ``unmatched_gt_ids`` (missed reference instances) and
        ``unmatched_pred_ids`` (false-positive instances), ascending; and the
        settings used: ``instance_labels, iou_threshold, connectivity``.
        Ids are the mask's values with ``instance_labels=True``, else the
        component numbers of :func:`label_instances`. Undefined values
        (see "Empty cases") are ``nan``.

    Raises
    ------
    ValueError
        Shapes differ; a value is negative, fractional, NaN or not a number;
        ``iou_threshold`` is outside [0.5, 1); bad ``connectivity`` or
        ``spacing``; with ``instance_labels=False``, a mask of more than
        :data:`MAX_COMPONENT_VALUES` distinct values.
    """
    threshold = _check_threshold(iou_threshold)
    g_ids, p_ids = _check_pair(gt, pred, instance_labels)
    conn = _check_connectivity(connectivity, g_ids.ndim)
    steps = _check_spacing(spacing, g_ids.ndim)
    voxel_ml = None if steps is None else math.prod(steps) / 1000.0
    settings = {"instance_labels": bool(instance_labels), "iou_threshold": threshold,
                "connectivity": conn}
    fg_g, fg_p = g_ids != 0, p_ids != 0
    box = _foreground_box(fg_g, fg_p)
    if box is None:
        none = _Instances(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int64))
        nothing = np.zeros(0, np.int64)
        return _report(none, none, (nothing, nothing, nothing, np.zeros(0)), voxel_ml, settings)
    g_ids, p_ids, fg_g, fg_p = g_ids[box], p_ids[box], fg_g[box], fg_p[box]
    g = _named(_instances, "reference", g_ids, fg_g, instance_labels, conn)
    p = _named(_instances, "prediction", p_ids, fg_p, instance_labels, conn)
    gi, pi, shared = _pair_counts(g, p, fg_g, fg_p)
    pairs = _match(gi, pi, shared, g, p, threshold)
    return _report(g, p, pairs, voxel_ml, settings)
