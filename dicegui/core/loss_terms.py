"""Cross-entropy beside Dice loss: the multi-class form, and why the mean BCE of a scan looks negligible. Qt-free.

Dice + cross-entropy is the usual segmentation loss
(``λ·Dice loss + (1 − λ)·CE``, :func:`dicegui.core.metrics.combo_loss` with
weights λ and 1 − λ). A lecturer showing it on a CT meets a puzzle: the mean
BCE is tiny, a few hundredths, while the Dice loss is a tenth. The reason is
the mean: most voxels are background that the network calls background with
near certainty, each costing almost nothing, and they outnumber the voxels
where the loss lives. :func:`bce_dilution` measures that on the open case and
:func:`bce_dilution_text` says it in one sentence with its numbers. Soft Dice
has no true-negative term, so background does not dilute it.

:func:`multiclass_cross_entropy` is the cross-entropy of a label map against
per-class (softmax) probabilities: ``−mean(log p[label])``.
"""
from __future__ import annotations

import math

import numpy as np

from .teaching import format_value

EASY_LOSS = 0.01  # per-voxel BCE below this: p within about 1 % of the target


def _bce_per_voxel(prob, target, eps: float) -> np.ndarray:
    q = np.clip(np.asarray(prob, dtype=np.float64), eps, 1.0 - eps)
    t = np.asarray(target, dtype=np.float64)
    return -(t * np.log(q) + (1.0 - t) * np.log1p(-q))


def bce_dilution(prob, target, easy: float = EASY_LOSS, eps: float = 1e-7) -> dict:
    """How much of the mean BCE the easy voxels dilute.

    Parameters
    ----------
    prob, target : array_like
        Probabilities and target of the same shape, in [0, 1].
    easy : float, optional
        A voxel is easy when its BCE is below this.
    eps : float, optional
        Clipping of the probabilities, as :func:`dicegui.core.metrics.bce`.

    Returns
    -------
    dict
        ``n``, ``n_easy``, ``n_hard``, ``mean`` (the mean BCE), ``easy_share``
        (fraction of the summed loss from easy voxels), ``hard_mean`` (mean BCE
        of the other voxels) and ``dilution`` (``n / n_hard``: how many times
        smaller the mean is than the hard voxels' mean would be alone).
    """
    prob, target = np.asarray(prob), np.asarray(target)
    if prob.shape != target.shape:
        raise ValueError(f"probabilities {prob.shape} and target {target.shape} differ in shape")
    if prob.size == 0:
        raise ValueError("no voxels")
    loss = _bce_per_voxel(prob, target, eps).ravel()
    is_easy = loss < easy
    total = math.fsum(loss)
    n, n_easy = loss.size, int(is_easy.sum())
    n_hard = n - n_easy
    return {
        "n": n, "n_easy": n_easy, "n_hard": n_hard, "mean": total / n,
        "easy_share": math.fsum(loss[is_easy]) / total if total > 0 else math.nan,
        "hard_mean": math.fsum(loss[~is_easy]) / n_hard if n_hard else math.nan,
        "dilution": n / n_hard if n_hard else math.inf, "easy": easy,
    }


def bce_dilution_text(d: dict) -> str:
    """One sentence with the numbers of :func:`bce_dilution`."""
    f = format_value
    if d["n_hard"] == 0:
        return (f"Mean BCE {f(d['mean'])}: every one of the {d['n']:,} voxels is easy (loss below "
                f"{d['easy']:g}), so there is nothing left to learn here.")
    return (f"Mean BCE is only {f(d['mean'])} because it averages over all {d['n']:,} voxels: "
            f"{d['n_easy']:,} of them ({100 * d['n_easy'] / d['n']:.1f} %) are easy (loss below {d['easy']:g}, "
            f"mostly confident background) and add {100 * d['easy_share']:.1f} % of the total, while the other "
            f"{d['n_hard']:,} average {f(d['hard_mean'])}: {d['dilution']:.0f}× more than the mean shows. "
            "Soft Dice has no true-negative term, so the background does not dilute it.")


def multiclass_cross_entropy(probs, labels, axis: int = 0, eps: float = 1e-7) -> float:
    """Mean cross-entropy of a label map against per-class probabilities: ``−mean(log p[label])``.

    Parameters
    ----------
    probs : array_like
        Class probabilities (after a softmax), one channel per class along ``axis``.
    labels : array_like
        Integer label map with the other axes' shape, values in ``[0, channels)``.
    axis : int, optional
        The channel axis of ``probs``.
    eps : float, optional
        Probabilities are clipped to ``[eps, 1]`` so that ``log`` stays finite.

    Returns
    -------
    float
        In nats.

    Raises
    ------
    ValueError
        Shapes that do not match, probabilities outside [0, 1] or labels that
        are not whole numbers in ``[0, channels)``.

    Examples
    --------
    >>> probs = [[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]]   # 3 classes, 2 voxels
    >>> round(multiclass_cross_entropy(probs, [0, 2]), 6)  # -(ln 0.7 + ln 0.3) / 2
    0.780324
    """
    probs = np.moveaxis(np.asarray(probs, dtype=np.float64), axis, 0)
    labels = np.asarray(labels)
    if probs.shape[1:] != labels.shape:
        raise ValueError(f"probabilities {probs.shape[1:]} (channels apart) and labels {labels.shape} differ in shape")
    if not np.all(np.isfinite(probs)) or probs.min() < 0 or probs.max() > 1:
        raise ValueError("probabilities must lie in [0, 1] (logits: apply a softmax first)")
    if labels.size == 0:
        return math.nan
    if labels.dtype.kind not in "iub" and not np.all(labels == np.round(labels)):
        raise ValueError("labels must be whole numbers")
    lab = labels.astype(np.int64)
    if lab.min() < 0 or lab.max() >= probs.shape[0]:
        raise ValueError(f"labels must lie in [0, {probs.shape[0]}): one per channel")
    picked = np.take_along_axis(probs, lab[np.newaxis], axis=0)[0]
    return -math.fsum(np.log(np.clip(picked, eps, 1.0)).ravel()) / lab.size


def weighted_combo(dice_loss: float, ce: float, lambda_dice: float) -> float:
    """``λ·Dice loss + (1 − λ)·CE``, λ in [0, 1] (the weights of :func:`dicegui.core.metrics.combo_loss`)."""
    if not (math.isfinite(lambda_dice) and 0.0 <= lambda_dice <= 1.0):
        raise ValueError(f"λ must lie in [0, 1], got {lambda_dice!r}")
    return lambda_dice * dice_loss + (1.0 - lambda_dice) * ce
