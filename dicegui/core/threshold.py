"""Probability maps: hard scores against the threshold, soft scores and losses.

:func:`threshold_curve` gives the confusion counts and overlap scores of
``prob >= t`` for many thresholds from one pass over the data;
:func:`soft_summary` puts the soft Dice and the training losses of a map
next to its hard Dice; :func:`smooth_effect` tabulates what the ``smooth``
term of soft Dice does to empty and tiny masks. Qt-free.

Threshold rule
--------------
A voxel is foreground at threshold ``t`` when ``prob >= t``, the two numbers
compared exactly as real numbers: the result equals
``metrics.overlap(gt, prob.astype(np.float64) >= t)`` for every ``t``
(NumPy gives the same for ``prob >= np.float64(t)``; note that with a
float32 map and a *Python* float NumPy 2 rounds ``t`` to float32 first,
which can differ for a value lying between the two roundings). ``t <= 0``
selects every voxel, ``t > 1`` none. ``gt`` is foreground where nonzero.

How one pass stays exact
------------------------
Every probability ``p`` gets the bin ``floor(p · 2**16)``, computed without
rounding error (scaling by a power of two is exact in binary floating
point), and one ``np.bincount`` counts the voxels of each bin, split by
ground truth. Bins are ordered like the values, so for a threshold ``t`` in
bin ``b`` every voxel of a higher bin has ``p > t`` and every voxel of a
lower bin ``p < t``; only the voxels sharing bin ``b`` must be compared with
``t`` itself. When ``t · 2**16`` is a whole number (0.5, 0.25, 1, ...) even
those all pass; for any other threshold the few voxels of its bin (about one
in 65 536 for a spread-out map) are compared with the sorted off-grid
thresholds during the pass (``searchsorted``), keeping one count per
threshold. No binning error, no sort of the data, memory independent of
the map's size.
"""
from __future__ import annotations

import math

import numpy as np

from . import metrics

#: Bins per unit of probability in the one-pass histogram (a power of two).
GRID = 1 << 16
# Elements per chunk of the pass (the chunk's temporaries stay in cache).
_CHUNK = 1 << 18
#: Smooth values shown by :func:`smooth_effect` by default.
SMOOTH_VALUES = (1e-5, 1e-2, 1.0, 10.0)


def _check_thresholds(thresholds) -> np.ndarray:
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim > 1:
        raise ValueError(f"thresholds must be a number or a 1-D sequence, got shape {t.shape}")
    t = np.atleast_1d(t)
    if not np.all(np.isfinite(t)):
        raise ValueError("thresholds must be finite numbers")
    return t


def _prob_chunk(chunk: np.ndarray) -> np.ndarray:
    """A chunk of the map as float32/float64 (scaling by GRID must not overflow)."""
    if chunk.dtype in (np.float32, np.float64):
        return chunk
    return chunk.astype(np.float32)


def _off_grid(t: np.ndarray) -> np.ndarray:
    """Sorted distinct thresholds in (0, 1] that are not on the grid: their bin
    holds values on both sides of them, which must be compared exactly."""
    inside = t[(t > 0) & (t <= 1)]
    scaled = inside * GRID
    return np.unique(inside[scaled != np.floor(scaled)])


def _scan(prob: np.ndarray, gt: np.ndarray, off_grid: np.ndarray):
    """One pass over the map: bin histograms split by gt, and exact ranks in the hot bins.

    Returns ``(hist, ranks)``: ``hist[k]`` the bin counts of background
    (k = 0) and foreground (k = 1) voxels; ``ranks[k][r]`` the number of
    voxels of the bins holding an off-grid threshold ("hot" bins) that are
    ``>=`` exactly ``r`` of the sorted ``off_grid`` thresholds.
    """
    hot_table = np.zeros(GRID + 1, bool)
    hot_table[np.floor(off_grid * GRID).astype(np.intp)] = True
    counts = np.zeros(2 * (GRID + 1), np.int64)
    ranks = np.zeros((2, off_grid.size + 1), np.int64)
    size = max(1, min(_CHUNK, prob.size))
    codes = np.empty(size, np.int32)
    gbuf = np.empty(size, np.bool_)
    buffers = {}

    def scaled_buf(dtype):
        if dtype not in buffers:
            buffers[dtype] = np.empty(size, dtype)
        return buffers[dtype]

    for pc, gc in metrics._paired_chunks(prob, gt, size):
        p = _prob_chunk(pc)
        if not p.flags.c_contiguous:
            p = np.ascontiguousarray(p)  # strided view: one chunk-sized copy
        p = p.reshape(-1)
        metrics._check_unit_interval(p, "prob")
        n = p.size
        g = np.not_equal(gc, 0, out=gbuf[:n].reshape(gc.shape)).reshape(-1)
        c = codes[:n]
        # floor(p * GRID): the product is exact (a power of two) in p's own
        # dtype, and truncation is floor for p >= 0
        scaled = np.multiply(p, GRID, out=scaled_buf(p.dtype)[:n])
        np.copyto(c, scaled, casting="unsafe")
        if off_grid.size:
            sel = hot_table[c]
            if sel.any():
                # exact comparison (float64 holds every float32 exactly)
                r = np.searchsorted(off_grid, p[sel].astype(np.float64), side="right")
                gs = g[sel]
                ranks[0] += np.bincount(r[~gs], minlength=ranks.shape[1])
                ranks[1] += np.bincount(r[gs], minlength=ranks.shape[1])
        c += g * np.int32(GRID + 1)
        counts += np.bincount(c, minlength=counts.size)
    return (counts[: GRID + 1], counts[GRID + 1:]), ranks


def _at_or_above(hist: np.ndarray, ranks: np.ndarray, off_grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Number of values >= each threshold, from one class's histogram and hot-bin ranks."""
    total = int(hist.sum())
    # ge[b]: values in bins b and above (ge[GRID + 1] = 0)
    ge = np.concatenate([np.cumsum(hist[::-1])[::-1], [0]])
    # hot_ge[j]: hot-bin values >= off_grid[j]
    hot_ge = np.cumsum(ranks[::-1])[::-1][1:]
    hot_bins = np.floor(off_grid * GRID).astype(np.intp)
    hot_hist = np.zeros(GRID + 2, np.int64)
    hot_hist[hot_bins] = hist[hot_bins]
    # hot_above[b]: values in hot bins above bin b
    hot_above = np.concatenate([np.cumsum(hot_hist[::-1])[::-1][1:], [0]])
    out = np.empty(t.size, np.int64)
    for i, ti in enumerate(t):
        if ti <= 0:
            out[i] = total
        elif ti > 1:
            out[i] = 0
        else:
            scaled = ti * GRID
            b = int(math.floor(scaled))
            if scaled == b:  # on the grid: the whole bin is >= t
                out[i] = ge[b]
            else:  # higher bins, plus the voxels of its own bin that are >= t
                j = int(np.searchsorted(off_grid, ti))
                out[i] = ge[b + 1] + int(hot_ge[j]) - int(hot_above[b])
    return out


def threshold_counts(prob, gt, thresholds) -> dict:
    """Confusion counts of ``prob >= t`` against ``gt`` for every threshold, in one pass.

    Parameters
    ----------
    prob : array_like
        Probabilities in [0, 1] (any real dtype; float32 is read as is).
    gt : array_like
        Ground truth of the same shape; nonzero = foreground.
    thresholds : float or 1-D sequence of float
        Finite thresholds, any order, repeats allowed.

    Returns
    -------
    dict
        ``threshold`` (float64 array, as given) and ``tp``, ``fp``, ``fn``,
        ``tn`` (int64 arrays, one entry per threshold).

    Raises
    ------
    ValueError
        Shapes differ, ``prob`` outside [0, 1] or not finite (logits: apply a
        sigmoid first), thresholds not finite.
    """
    prob = metrics._numeric(prob, "prob")
    gt = metrics._numeric(gt, "gt")
    for arr, name in ((prob, "prob"), (gt, "gt")):
        if arr.dtype.kind == "c":
            raise ValueError(f"{name} must be real-valued, not {arr.dtype}")
    metrics._check_shapes(prob, gt, names=("prob", "gt"))
    t = _check_thresholds(thresholds)
    off_grid = _off_grid(t)
    (neg, pos), ranks = _scan(prob, gt, off_grid)
    tp = _at_or_above(pos, ranks[1], off_grid, t)
    fp = _at_or_above(neg, ranks[0], off_grid, t)
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    return {"threshold": t, "tp": tp, "fp": fp, "fn": n_pos - tp, "tn": n_neg - fp}


def threshold_curve(prob, gt, thresholds) -> dict:
    """Overlap scores of ``prob >= t`` against ``gt`` for every threshold, in one pass.

    At every threshold the entries equal
    ``metrics.overlap(gt, prob.astype(np.float64) >= t)`` exactly (see the
    module notes for the comparison rule and how one pass stays exact).

    Parameters
    ----------
    prob, gt, thresholds
        As in :func:`threshold_counts`.

    Returns
    -------
    dict
        ``threshold`` and every key of :data:`dicegui.core.metrics.OVERLAP_KEYS`
        (``dice``, ``iou``, ``tp``, ``fp``, ``fn``, ``tn``, ``accuracy``, ...)
        as arrays with one entry per threshold (counts int64, scores
        float64). A GUI slider with fixed positions computes its curve once
        and reads a position with :func:`scores_at`.

    Raises
    ------
    ValueError
        As :func:`threshold_counts`.

    Examples
    --------
    >>> c = threshold_curve([0.9, 0.2, 0.6, 0.4], [1, 0, 1, 1], [0.3, 0.5])
    >>> c["tp"].tolist(), c["fp"].tolist(), c["dice"].round(4).tolist()
    ([3, 2], [0, 0], [1.0, 0.8])
    """
    counts = threshold_counts(prob, gt, thresholds)
    rows = [
        metrics.scores_from_counts(tp, fp, fn, tn)
        for tp, fp, fn, tn in zip(counts["tp"], counts["fp"], counts["fn"], counts["tn"])
    ]
    curve = {"threshold": counts["threshold"]}
    for key in metrics.OVERLAP_KEYS:
        dtype = np.int64 if key in ("tp", "fp", "fn", "tn") else np.float64
        curve[key] = np.array([r[key] for r in rows], dtype=dtype)
    return curve


def scores_at(curve: dict, i: int) -> dict:
    """The ``overlap()`` dictionary of entry ``i`` of a :func:`threshold_curve` result.

    Parameters
    ----------
    curve : dict
        From :func:`threshold_curve`.
    i : int
        Index of the threshold.

    Returns
    -------
    dict
        ``threshold`` plus the :data:`~dicegui.core.metrics.OVERLAP_KEYS`
        as Python numbers.
    """
    out = {"threshold": float(curve["threshold"][i])}
    for key in metrics.OVERLAP_KEYS:
        v = curve[key][i]
        out[key] = int(v) if key in ("tp", "fp", "fn", "tn") else float(v)
    return out


def best_threshold(curve: dict, key: str = "dice") -> int:
    """Index of the threshold where ``curve[key]`` is highest (the lowest such threshold on a tie).

    Parameters
    ----------
    curve : dict
        From :func:`threshold_curve`.
    key : str, optional
        The score to maximise (``dice``, ``iou``, ...).

    Returns
    -------
    int
        Use :func:`scores_at` for the scores there.

    Raises
    ------
    ValueError
        If the score is undefined (nan) at every threshold.

    Examples
    --------
    >>> c = threshold_curve([0.9, 0.2, 0.6, 0.4], [1, 0, 1, 1], [0.1, 0.3, 0.5])
    >>> best_threshold(c), c["dice"].round(4).tolist()
    (1, [0.8571, 1.0, 0.8])
    """
    values = np.asarray(curve[key], dtype=np.float64)
    if values.size == 0 or np.all(np.isnan(values)):
        raise ValueError(f"{key} is undefined at every threshold: no best threshold")
    return int(np.nanargmax(values))  # nanargmax returns the first maximum: the lowest threshold


def label_threshold_curves(probs, labels, thresholds) -> dict:
    """A :func:`threshold_curve` per class of a multi-class probability map (background left out).

    Parameters
    ----------
    probs : array_like
        ``(channels, *grid)`` class probabilities; channel ``c`` is label ``c``.
    labels : array_like
        The reference label map on the grid.
    thresholds : array_like
        As in :func:`threshold_counts`.

    Returns
    -------
    dict
        ``{c: curve}`` for ``c = 1 .. channels − 1``: ``probs[c] >= t`` against ``labels == c``.
    """
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    if probs.shape[1:] != labels.shape:
        raise ValueError(f"channels {probs.shape[1:]} and reference {labels.shape} differ in shape")
    return {c: threshold_curve(probs[c], labels == c, thresholds) for c in range(1, probs.shape[0])}


def soft_summary(prob, gt, smooth=1e-5) -> dict:
    """Soft Dice and training losses of a probability map, next to its hard Dice.

    Parameters
    ----------
    prob : array_like
        Probabilities in [0, 1].
    gt : array_like
        Ground truth of the same shape; the target is ``gt != 0``.
    smooth : float, optional
        Smooth term of soft Dice (and of the Dice loss).

    Returns
    -------
    dict
        ``soft_dice``, ``dice_loss`` (= 1 − soft Dice), ``bce`` (mean binary
        cross-entropy, eps 1e-7), ``combo_loss`` (dice_loss + bce, both
        weights 1), ``hard_dice`` and ``hard_iou`` of ``prob >= 0.5``, and the
        ``smooth`` and ``threshold`` used. Values are those of
        :func:`~dicegui.core.metrics.soft_dice`, :func:`~dicegui.core.metrics.bce`
        and :func:`~dicegui.core.metrics.combo_loss`.

    Raises
    ------
    ValueError
        As the functions of :mod:`dicegui.core.metrics`.

    Examples
    --------
    Confident, correct-looking probabilities (hard Dice 1) still leave a Dice
    loss of 1 − 3.4/3.9:

    >>> s = soft_summary([0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0])
    >>> round(s["dice_loss"], 6), round(s["bce"], 6), round(s["combo_loss"], 6), s["hard_dice"]
    (0.128205, 0.134806, 0.263011, 1.0)
    """
    prob = metrics._numeric(prob, "prob")
    target = metrics._numeric(gt, "gt") != 0
    soft = metrics.soft_dice(prob, target, smooth)
    dice_loss = 1.0 - soft  # what metrics.dice_loss returns, without a second pass
    bce = metrics.bce(prob, target)
    hard = threshold_curve(prob, target, [0.5])
    return {
        "soft_dice": soft,
        "dice_loss": dice_loss,
        "bce": bce,
        # 1.0 * a + 1.0 * b is a + b bit for bit: metrics.combo_loss's default
        "combo_loss": dice_loss + bce,
        "hard_dice": float(hard["dice"][0]),
        "hard_iou": float(hard["iou"][0]),
        "smooth": float(smooth),
        "threshold": 0.5,
    }


def _smooth_cases(tiny: int, large: int):
    """(description, target, prob) of the teaching cases, on 1-D arrays."""
    n = large * 2
    zeros = np.zeros(n)

    def mask(k, value=1.0):
        a = zeros.copy()
        a[:k] = value
        return a

    half_tiny = max(1, tiny // 2)
    return [
        ("empty target, empty prediction", zeros, zeros),
        (f"empty target, {tiny} voxels predicted", zeros, mask(tiny)),
        (f"tiny target ({tiny} voxels), nothing predicted", mask(tiny), zeros),
        (f"tiny target ({tiny} voxels), {half_tiny} found", mask(tiny), mask(half_tiny)),
        (f"tiny target ({tiny} voxels), all found", mask(tiny), mask(tiny)),
        (f"large target ({large} voxels), half found", mask(large), mask(large // 2)),
    ]


def smooth_effect(smooths=SMOOTH_VALUES, tiny: int = 2, large: int = 1000) -> dict:
    """What the smooth term does to soft Dice on empty and tiny masks.

    Soft Dice is ``(2·Σpt + s) / (Σp + Σt + s)``. With no target and no
    prediction it is ``s / s = 1`` whatever ``s``; with no target but a few
    predicted voxels it is ``s / (Σp + s)``, close to 0 for a small ``s`` and
    close to 1 for a large one, so a large smooth forgives false alarms on
    empty images and inflates scores of tiny structures, while a large
    structure barely notices it.

    Parameters
    ----------
    smooths : sequence of float, optional
        Smooth values, one column each (default 1e-5, 1e-2, 1, 10).
    tiny : int, optional
        Voxels of the tiny target / tiny prediction.
    large : int, optional
        Voxels of the large target.

    Returns
    -------
    dict
        ``smooth``: the values (tuple); ``rows``: one dict per case with
        ``case`` (description), ``target_sum`` (Σt), ``prob_sum`` (Σp),
        ``overlap_sum`` (Σpt) and ``soft_dice`` (tuple, one value per smooth),
        each computed with :func:`dicegui.core.metrics.soft_dice`.

    Examples
    --------
    >>> t = smooth_effect((1e-5, 1.0))
    >>> [round(v, 4) for v in t["rows"][1]["soft_dice"]]  # empty target, 2 voxels predicted
    [0.0, 0.3333]
    """
    smooths = tuple(float(s) for s in smooths)
    for s in smooths:
        if not (math.isfinite(s) and s >= 0):
            raise ValueError(f"smooth values must be finite numbers >= 0, got {s!r}")
    if int(tiny) < 1 or int(large) < 2 * int(tiny):
        raise ValueError(f"need tiny >= 1 and large >= 2 * tiny, got tiny={tiny}, large={large}")
    rows = []
    for description, target, prob in _smooth_cases(int(tiny), int(large)):
        rows.append({
            "case": description,
            "target_sum": float(target.sum()),
            "prob_sum": float(prob.sum()),
            "overlap_sum": float(np.dot(prob, target)),
            "soft_dice": tuple(metrics.soft_dice(prob, target, smooth=s) for s in smooths),
        })
    return {"smooth": smooths, "rows": rows}


def format_smooth_table(table: dict, digits: int = 4) -> str:
    """A :func:`smooth_effect` table as aligned text (for a label, a log or a test).

    Parameters
    ----------
    table : dict
        From :func:`smooth_effect`.
    digits : int, optional
        Decimals of the soft Dice values.

    Returns
    -------
    str
        One header line and one line per case.
    """
    heads = [f"smooth={s:g}" for s in table["smooth"]]
    width = max(len(r["case"]) for r in table["rows"])
    col = max(max(len(h) for h in heads), digits + 2)
    lines = [" " * width + "  " + "  ".join(h.rjust(col) for h in heads)]
    for r in table["rows"]:
        cells = ["nan".rjust(col) if math.isnan(v) else f"{v:.{digits}f}".rjust(col) for v in r["soft_dice"]]
        lines.append(r["case"].ljust(width) + "  " + "  ".join(cells))
    return "\n".join(lines)
