"""Teaching panel core: formulas filled in with live counts, the accuracy trap,
an illustrative probability map and per-voxel loss gradients. Qt-free.

The formula functions take any mapping with ``tp``, ``fp``, ``fn``, ``tn``
(an :func:`~dicegui.core.metrics.overlap` result, :meth:`LiveScore.overlap()
<dicegui.core.live.LiveScore.overlap>`, or a per-label entry) and return one
line of text whose final value is the one
:func:`~dicegui.core.metrics.scores_from_counts` computes, so the panel and
the score table always agree, 0/0 conventions included:

    Dice = 2·TP / (2·TP + FP + FN) = 2·312 / (2·312 + 40 + 55) = 624 / 719 = 0.8679

Counts are written with thousands separators (a CT volume has tens of
millions of true negatives). Values are shown with 4 decimals, and with as
many more as it takes (up to 8) not to print 1.0000 for a value below 1 or
0.0000 for a value above 0: the accuracy trap lives in those digits.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from . import metrics

_DOT = "\u00b7"    # middle dot: 2·TP
_MINUS = "\u2212"  # minus sign: 2 − D
_ARROW = "\u2192"


# ---------------------------------------------------------------------------
# number formatting


def _counts(counts: Mapping) -> tuple[int, int, int, int]:
    try:
        values = tuple(counts[k] for k in ("tp", "fp", "fn", "tn"))
    except (KeyError, TypeError):
        raise ValueError("counts must be a mapping with keys tp, fp, fn, tn (e.g. overlap()'s result)") from None
    out = []
    for k, v in zip(("tp", "fp", "fn", "tn"), values):
        if isinstance(v, (bool, np.bool_)) or not float(v).is_integer() or v < 0:
            raise ValueError(f"count {k} must be a whole number >= 0, got {v!r}")
        out.append(int(v))
    return tuple(out)


def _n(x: int) -> str:
    return f"{x:,}"


def format_value(v: float, decimals: int = 4, max_decimals: int = 8) -> str:
    """A score with ``decimals`` decimals, more if needed to tell it from 0 or 1.

    Parameters
    ----------
    v : float
        The value (nan gives ``"undefined"``).
    decimals, max_decimals : int, optional
        Usual and largest number of decimals.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(0.86787), format_value(0.9999987), format_value(1.0)
    ('0.8679', '0.999999', '1.0000')
    """
    if math.isnan(v):
        return "undefined"
    for d in range(decimals, max_decimals + 1):
        text = f"{v:.{d}f}"
        shown = float(text)
        if not ((shown == 1.0 and v < 1.0) or (shown == 0.0 and v > 0.0)):
            return text
    return text


def _percent(v: float) -> str:
    """A fraction as a percentage with 2 decimals, more (up to 6) rather than show 100 % or 0 % wrongly."""
    if math.isnan(v):
        return "undefined"
    for d in range(2, 7):
        text = f"{100.0 * v:.{d}f}"
        shown = float(text)
        if not ((shown == 100.0 and v < 1.0) or (shown == 0.0 and v > 0.0)):
            break
    return f"{text} %"


# ---------------------------------------------------------------------------
# formulas


def dice_formula(counts: Mapping) -> str:
    """Dice written out with the counts, e.g.
    ``"Dice = 2·TP / (2·TP + FP + FN) = 2·312 / (2·312 + 40 + 55) = 624 / 719 = 0.8679"``.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn`` (TN is not used by Dice).

    Returns
    -------
    str
        One line. When both masks are empty:
        ``"... = 0 / 0 → 1 by convention (both masks empty)"``.
    """
    tp, fp, fn, tn = _counts(counts)
    d = _DOT
    head = f"Dice = 2{d}TP / (2{d}TP + FP + FN) = 2{d}{_n(tp)} / (2{d}{_n(tp)} + {_n(fp)} + {_n(fn)})"
    value = metrics.scores_from_counts(tp, fp, fn, tn)["dice"]
    return _ratio_line(head, 2 * tp, 2 * tp + fp + fn, value, _BOTH_EMPTY)


def _ratio_line(head: str, num: int, den: int, value: float, when_empty: str) -> str:
    """``head = num / den = value``, or ``head = 0 / 0 → when_empty`` (``{value}`` filled in)."""
    if den == 0:
        return f"{head} = 0 / 0 {_ARROW} {when_empty.format(value=value)}"
    return f"{head} = {_n(num)} / {_n(den)} = {format_value(value)}"


_BOTH_EMPTY = "{value:g} by convention (both masks empty)"


def iou_formula(counts: Mapping) -> str:
    """IoU (Jaccard) written out, e.g.
    ``"IoU = TP / (TP + FP + FN) = 312 / (312 + 40 + 55) = 312 / 407 = 0.7666"``.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.

    Returns
    -------
    str
        One line; 0 / 0 is 1 by convention (both masks empty).
    """
    tp, fp, fn, tn = _counts(counts)
    head = f"IoU = TP / (TP + FP + FN) = {_n(tp)} / ({_n(tp)} + {_n(fp)} + {_n(fn)})"
    value = metrics.scores_from_counts(tp, fp, fn, tn)["iou"]
    return _ratio_line(head, tp, tp + fp + fn, value, _BOTH_EMPTY)


def iou_from_dice_formula(counts: Mapping) -> str:
    """IoU from Dice, ``"IoU = D / (2 − D) = 0.8679 / (2 − 0.8679) = 0.7666"``.

    Both are monotone functions of each other, so they rank cases alike;
    IoU is never larger than Dice.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.

    Returns
    -------
    str
        One line; the final value is the IoU of the counts.
    """
    tp, fp, fn, tn = _counts(counts)
    s = metrics.scores_from_counts(tp, fp, fn, tn)
    dice = format_value(s["dice"])
    return f"IoU = D / (2 {_MINUS} D) = {dice} / (2 {_MINUS} {dice}) = {format_value(s['iou'])}"


def accuracy_formula(counts: Mapping) -> str:
    """Accuracy written out, with the percentage, e.g.
    ``"Accuracy = (TP + TN) / (TP + FP + FN + TN) = (312 + 9,593) / (312 + 40 + 55 + 9,593) = 9,905 / 10,000 = 0.9905 (99.05 %)"``.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.

    Returns
    -------
    str
        One line; an empty volume gives ``0 / 0 → undefined``.
    """
    tp, fp, fn, tn = _counts(counts)
    head = (f"Accuracy = (TP + TN) / (TP + FP + FN + TN) = ({_n(tp)} + {_n(tn)}) / "
            f"({_n(tp)} + {_n(fp)} + {_n(fn)} + {_n(tn)})")
    value = metrics.scores_from_counts(tp, fp, fn, tn)["accuracy"]
    line = _ratio_line(head, tp + tn, tp + fp + fn + tn, value, "undefined (empty volume)")
    return line if math.isnan(value) else f"{line} ({_percent(value)})"


def formulas(counts: Mapping) -> dict:
    """All formula lines of the teaching panel: ``dice``, ``iou``, ``iou_from_dice``, ``accuracy``."""
    return {
        "dice": dice_formula(counts),
        "iou": iou_formula(counts),
        "iou_from_dice": iou_from_dice_formula(counts),
        "accuracy": accuracy_formula(counts),
    }


def what_if_empty(counts: Mapping) -> dict:
    """Scores the same case would get with an empty prediction.

    Every predicted voxel becomes background: ``TP, FP → 0``, ``FN = TP + FN``,
    ``TN = TN + FP``. This is what the "empty the prediction" button shows
    before (or without) editing the mask.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.

    Returns
    -------
    dict
        :func:`~dicegui.core.metrics.scores_from_counts` of those counts.
    """
    tp, fp, fn, tn = _counts(counts)
    return metrics.scores_from_counts(0, 0, tp + fn, tn + fp)


def accuracy_trap(counts: Mapping, min_accuracy: float = 0.99, max_dice: float = 0.5) -> str | None:
    """An explanation when accuracy looks excellent while Dice is poor, else None.

    Parameters
    ----------
    counts : mapping
        With ``tp``, ``fp``, ``fn``, ``tn``.
    min_accuracy, max_dice : float, optional
        The trap is reported when ``accuracy >= min_accuracy`` and
        ``dice <= max_dice``.

    Returns
    -------
    str or None
        A few sentences naming the numbers: the share of background in the
        volume, and what an empty prediction would score.

    Examples
    --------
    >>> print(accuracy_trap({"tp": 0, "fp": 0, "fn": 50, "tn": 99950}))  # doctest: +NORMALIZE_WHITESPACE
    Accuracy is 99.95 % but Dice is 0.0000. Background is 99.95 % of the volume (TN = 99,950
    voxels), and every background voxel left alone counts as correct for accuracy; Dice ignores TN
    and looks only at the structure (TP = 0, FP = 0, FN = 50). An empty prediction would score
    accuracy 99.95 % and Dice 0.0000.
    """
    tp, fp, fn, tn = _counts(counts)
    s = metrics.scores_from_counts(tp, fp, fn, tn)
    acc, dice = s["accuracy"], s["dice"]
    if math.isnan(acc) or not (acc >= min_accuracy and dice <= max_dice):
        return None
    total = tp + fp + fn + tn
    background = (tn + fp) / total
    empty = what_if_empty(counts)
    return (
        f"Accuracy is {_percent(acc)} but Dice is {format_value(dice)}. "
        f"Background is {_percent(background)} of the volume (TN = {_n(tn)} voxels), and every "
        "background voxel left alone counts as correct for accuracy; Dice ignores TN and looks only "
        f"at the structure (TP = {_n(tp)}, FP = {_n(fp)}, FN = {_n(fn)}). An empty prediction would "
        f"score accuracy {_percent(empty['accuracy'])} and Dice {format_value(empty['dice'])}."
    )


# ---------------------------------------------------------------------------
# illustrative probability map


def _spacing(spacing, ndim: int) -> np.ndarray:
    if spacing is None:
        return np.ones(ndim)
    s = np.asarray(spacing, dtype=np.float64).ravel()
    if s.size != ndim or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"spacing must be {ndim} positive numbers (mm), got {spacing!r}")
    return s


def illustrative_probability_map(mask, spacing=None, sigma_mm: float = 2.0, *,
                                 label: int | None = None, truncate: float = 4.0) -> np.ndarray:
    """A smoothed one-hot of a structure: an ILLUSTRATIVE probability map, not a model's output.

    The structure (``mask != 0``, or ``mask == label``) as 0/1 is blurred
    with a Gaussian of ``sigma_mm`` millimetres, so values fall from about 1
    deep inside to 0.5 near the border and 0 far outside, the rough shape of
    a network's softmax around a structure it found. It exists to demonstrate
    thresholds, soft Dice and loss gradients on a real scan when no real
    probability map is at hand, and must be labelled as illustrative wherever
    it is shown.

    Parameters
    ----------
    mask : array_like
        Binary mask or label map (any number of axes).
    spacing : sequence of float, optional
        Voxel size in mm along each axis (default 1 mm: sigma in voxels).
    sigma_mm : float, optional
        Standard deviation of the blur in mm (0 gives the 0/1 mask itself).
    label : int, optional
        Structure to use from a label map; default every nonzero voxel.
    truncate : float, optional
        Kernel radius in standard deviations (as :func:`scipy.ndimage.gaussian_filter`).

    Returns
    -------
    numpy.ndarray
        float32 array of ``mask``'s shape with values in [0, 1]; equal to
        ``scipy.ndimage.gaussian_filter(onehot, sigma_mm / spacing, mode="nearest")``
        (clipped to [0, 1]), computed only on the structure's box padded by
        the kernel radius: everywhere else that filter gives exactly 0.
    """
    mask = np.asarray(mask)
    if mask.dtype.kind not in "biuf":
        raise ValueError(f"mask must hold numbers, not dtype {mask.dtype}")
    sigma_mm = float(sigma_mm)
    if not (math.isfinite(sigma_mm) and sigma_mm >= 0):
        raise ValueError(f"sigma_mm must be a finite number >= 0, got {sigma_mm!r}")
    sigma = sigma_mm / _spacing(spacing, mask.ndim)
    structure = mask != 0 if label is None else mask == label
    out = np.zeros(mask.shape, np.float32)
    hit = [np.flatnonzero(structure.any(axis=tuple(a for a in range(mask.ndim) if a != ax)))
           for ax in range(mask.ndim)]
    if mask.ndim == 0 or any(h.size == 0 for h in hit):
        out[...] = structure
        return out
    # scipy's kernel radius per axis, plus one background voxel so the crop's
    # 'nearest' extension is 0 wherever the full image is 0 there
    radius = [int(truncate * s + 0.5) + 1 for s in sigma]
    box = tuple(slice(max(0, int(h[0]) - r), min(n, int(h[-1]) + 1 + r))
                for h, r, n in zip(hit, radius, mask.shape))
    crop = structure[box].astype(np.float32)
    if sigma_mm > 0:
        crop = ndimage.gaussian_filter(crop, sigma, mode="nearest", truncate=truncate, output=np.float32)
    out[box] = np.clip(crop, 0.0, 1.0)
    return out


# ---------------------------------------------------------------------------
# gradients


def soft_sums(prob, target) -> tuple[float, float, float]:
    """``(Σp, Σt, Σp·t)`` over whole arrays (float64), after the checks of soft Dice.

    Compute it once per probability map and pass it to :func:`gradient_maps`
    as ``sums`` while browsing slices.

    Raises
    ------
    ValueError
        As :func:`dicegui.core.metrics.soft_dice`.
    """
    prob, target = metrics._soft_inputs(prob, target)
    return metrics._soft_sums(prob, target)


def gradient_maps(prob, target, smooth: float = 1e-5, eps: float = 1e-7, index=None,
                  sums=None) -> dict:
    """Per-voxel gradients of the Dice loss, BCE and their sum with respect to ``prob``.

    The closed forms of :func:`dicegui.core.metrics.dice_loss_grad` and
    :func:`dicegui.core.metrics.bce_grad`:

    * Dice loss: ``(2·I + s − 2·t_i·S) / S²`` with ``I = Σ p·t`` and
      ``S = Σ p + Σ t + s``. It does not depend on ``p_i`` itself: every
      background voxel gets the same push, however confident and wrong it
      is, and the push depends on global sums that swing as the prediction
      changes, which is why Dice alone trains unstably;
    * BCE (mean): ``(q_i − t_i) / (n·q_i·(1 − q_i))``, ``q = clip(p, eps, 1 − eps)``,
      large exactly where a voxel is confidently wrong;
    * combo: their sum (the gradient of ``combo_loss`` with both weights 1).

    Parameters
    ----------
    prob : array_like
        Probabilities in [0, 1].
    target : array_like
        Target in [0, 1] of the same shape (use ``gt != 0`` for a label map).
    smooth : float, optional
        Smooth term of the Dice loss.
    eps : float, optional
        Clipping margin of BCE.
    index : tuple, optional
        Return the gradients of the whole-volume losses only at ``prob[index]``
        (e.g. one slice, ``(slice(None), slice(None), 42)``): the global sums
        still cover the whole volume, but no full-size float64 array is made.
    sums : tuple of float, optional
        :func:`soft_sums` of ``(prob, target)``, to skip the pass over the
        whole volume (only with ``index``; the caller vouches that they
        belong to these arrays).

    Returns
    -------
    dict
        ``dice``, ``bce``, ``combo``: float64 arrays of ``prob``'s shape (or
        of ``prob[index]``'s shape).

    Raises
    ------
    ValueError
        As :func:`dicegui.core.metrics.soft_dice` and :func:`~dicegui.core.metrics.bce`.
    """
    if index is None:
        if sums is not None:
            raise ValueError("sums applies to gradients at an index (a slice) only")
        dice = metrics.dice_loss_grad(prob, target, smooth)
        bce = metrics.bce_grad(prob, target, eps)
        return {"dice": dice, "bce": bce, "combo": dice + bce}
    prob, target = metrics._soft_inputs(prob, target)
    smooth = metrics._check_smooth(smooth)
    eps = metrics._check_eps(eps)
    if sums is None:
        sp, st, spt = metrics._soft_sums(prob, target)  # validates every value too
    else:
        sp, st, spt = (float(v) for v in sums)
    s = sp + st + smooth
    p = np.asarray(prob[index], np.float64)
    t = np.asarray(target[index], np.float64)
    if sums is not None:  # the part used must still be valid probabilities
        metrics._check_unit_interval(p, "prob")
        metrics._check_unit_interval(t, "target")
    # the very expressions of metrics.dice_loss_grad and metrics.bce_grad
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = (2.0 * spt + smooth - 2.0 * s * t) / (s * s)
    q = np.clip(p, eps, 1.0 - eps)
    bce = (q - t) / (q * (1.0 - q) * max(prob.size, 1))
    return {"dice": dice, "bce": bce, "combo": dice + bce}
