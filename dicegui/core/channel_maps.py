"""Network outputs before they are masks: logits, and one channel per class.

A segmentation network ends in raw scores (logits). For one structure a
sigmoid turns each into a probability; for several classes a softmax across
the channel axis turns the channels of each voxel into probabilities that
add up to one (channel 0 the background), and the label is the channel
with the highest one. Feeding logits, or channels squashed one by one with a
sigmoid, to a soft Dice gives numbers that look like scores and are not:
:func:`logit_lesson` and :func:`activation_lesson` put the two side by side
on the open case.

Everything here works on arrays; reading the files is :mod:`dicegui.core.io`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: More channels than this is not one-per-class output (a time series, an RGB image as 3-D ...).
MAX_CHANNELS = 64
ACTIVATIONS = ("softmax", "sigmoid")


def channel_axes(shape) -> list[int]:
    """The axes that may hold channels: the last, then the first, where 2 to :data:`MAX_CHANNELS` long."""
    shape = tuple(int(n) for n in shape)
    if len(shape) < 3:
        return []
    last = len(shape) - 1
    return [a for a in (last, 0) if 2 <= shape[a] <= MAX_CHANNELS]


def channel_axis(shape, grid_shape=None) -> int | None:
    """The channel axis of a map with one more axis than its grid: 0 (channels first) or the last.

    Parameters
    ----------
    shape : tuple of int
        The map's shape.
    grid_shape : tuple of int, optional
        The grid it must lie on (the reference's). Without it, the shorter of
        the first and last axes, if it holds at most :data:`MAX_CHANNELS`.

    Returns
    -------
    int or None
        ``0`` or ``len(shape) - 1``; None when neither fits.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < 3:
        return None
    last = len(shape) - 1
    fits = [a for a in (last, 0) if 2 <= shape[a] <= MAX_CHANNELS]
    if grid_shape is not None:
        grid = tuple(int(n) for n in grid_shape)
        fits = [a for a in fits if shape[:a] + shape[a + 1:] == grid]
    if not fits:
        return None
    return min(fits, key=lambda a: shape[a])  # the last axis first among equals (NIfTI keeps channels last)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in float32 without overflow warnings."""
    x = np.asarray(x, dtype=np.float32)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def softmax(x, axis: int = 0) -> np.ndarray:
    """Softmax across ``axis`` in float32 (the maximum subtracted first, so large logits do not overflow)."""
    x = np.asarray(x, dtype=np.float32)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


@dataclass
class ChannelPrediction:
    """A multi-channel map made a prediction.

    Attributes
    ----------
    labels : numpy.ndarray
        The label of each voxel: the channel of the highest probability
        (softmax), or of the highest sigmoid among the non-background
        channels where it reaches 0.5 (sigmoid), else 0. uint8 (uint16 above
        255 channels).
    probs : numpy.ndarray
        ``(channels, *grid)`` float32 probabilities after the activation.
    activation : {"softmax", "sigmoid"}
    raw_range : tuple of float
        Lowest and highest raw value (logits, or probabilities already).
    lesson : dict or None
        :func:`activation_lesson` of the raw channels against the reference
        as the case was opened (the raw channels are not kept).
    """

    labels: np.ndarray
    probs: np.ndarray
    activation: str
    raw_range: tuple
    lesson: dict | None = None

    @property
    def channels(self) -> int:
        return int(self.probs.shape[0])

    def foreground(self) -> np.ndarray:
        """Probability that a voxel is not background (``1 - p[0]`` for softmax; for sigmoid the highest class)."""
        if self.activation == "softmax":
            return 1.0 - self.probs[0]
        return self.probs[1:].max(axis=0)


def activate(data, axis: int, activation: str = "softmax") -> ChannelPrediction:
    """Turn raw channels into probabilities and labels.

    Parameters
    ----------
    data : array_like
        The network's output with one channel per class along ``axis``
        (channel 0 the background).
    axis : int
        The channel axis.
    activation : {"softmax", "sigmoid"}
        Softmax across the channels (one class per voxel), or a sigmoid of
        each channel on its own (classes may overlap; a voxel gets the class
        of its highest channel 1… when that reaches 0.5).

    Returns
    -------
    ChannelPrediction

    Raises
    ------
    ValueError
        An unknown activation, fewer than 2 channels, or values that are not
        finite numbers.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
    x = np.moveaxis(np.asarray(data), axis, 0)
    if x.shape[0] < 2:
        raise ValueError(f"a channel map needs at least 2 channels, this one has {x.shape[0]}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"channel values must be real numbers, not {x.dtype}")
    lo, hi = float(np.min(x)), float(np.max(x))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("the channel map holds NaN or infinite values")
    dtype = np.uint8 if x.shape[0] <= 256 else np.uint16
    if activation == "softmax":
        probs = softmax(x, axis=0)
        labels = np.argmax(probs, axis=0).astype(dtype)
    else:
        probs = sigmoid(x)
        best = np.argmax(probs[1:], axis=0)
        labels = np.where(np.take_along_axis(probs[1:], best[None], 0)[0] >= 0.5, best + 1, 0).astype(dtype)
    return ChannelPrediction(labels, probs, activation, (lo, hi))


def _soft_dice_raw(p: np.ndarray, t: np.ndarray, smooth: float) -> float:
    # No range check: the lesson is what happens when nobody checks.
    p = np.asarray(p, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    return float((2.0 * np.sum(p * t) + smooth) / (np.sum(p) + np.sum(t) + smooth))


def logit_lesson(raw, target, smooth: float = 0.0) -> dict:
    """Soft Dice of raw logits against soft Dice after a sigmoid, on the same voxels.

    Parameters
    ----------
    raw : array_like
        Logits of one structure.
    target : array_like
        The reference (nonzero = the structure), same shape.
    smooth : float
        The smooth term of both.

    Returns
    -------
    dict
        ``raw`` and ``sigmoid`` soft Dice, the sums behind each
        (``raw_sum_pt``, ``raw_sum_p``, ``sig_sum_pt``, ``sig_sum_p``,
        ``sum_t``) and ``text``: one sentence with the numbers.

    Examples
    --------
    >>> x = np.log(np.array([0.9, 0.1, 0.8, 0.1]) / np.array([0.1, 0.9, 0.2, 0.9]))  # the logits of the seed
    >>> r = logit_lesson(x, [1, 0, 1, 0])
    >>> round(r["raw"], 2), round(r["sigmoid"], 4)
    (6.03, 0.8718)
    """
    x = np.asarray(raw, dtype=np.float64)
    t = (np.asarray(target) != 0).astype(np.float64)
    if x.shape != t.shape:
        raise ValueError(f"logits {x.shape} and target {t.shape} differ in shape")
    p = sigmoid(x).astype(np.float64)
    out = {
        "raw": _soft_dice_raw(x, t, smooth), "sigmoid": _soft_dice_raw(p, t, smooth),
        "raw_sum_pt": float(np.sum(x * t)), "raw_sum_p": float(np.sum(x)),
        "sig_sum_pt": float(np.sum(p * t)), "sig_sum_p": float(np.sum(p)), "sum_t": float(np.sum(t)),
    }
    out["text"] = (
        f"On the raw logits, soft Dice = 2·{out['raw_sum_pt']:.4g} / ({out['raw_sum_p']:.4g} + {out['sum_t']:.4g}) "
        f"= {out['raw']:.4g}: logits are not probabilities (negative ones shrink the denominator), so the "
        f"score can leave [0, 1] and means nothing. After a sigmoid it is "
        f"2·{out['sig_sum_pt']:.4g} / ({out['sig_sum_p']:.4g} + {out['sum_t']:.4g}) = {out['sigmoid']:.4f}.")
    return out


def per_class_soft_dice(probs, labels, smooth: float = 1e-5) -> np.ndarray:
    """Soft Dice of each class channel against the reference's one-hot mask of that class.

    Parameters
    ----------
    probs : numpy.ndarray
        ``(channels, *grid)`` probabilities.
    labels : array_like
        The reference label map on the grid.
    smooth : float

    Returns
    -------
    numpy.ndarray
        One soft Dice per channel (channel 0: the background).
    """
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    if probs.shape[1:] != labels.shape:
        raise ValueError(f"channels {probs.shape[1:]} and reference {labels.shape} differ in shape")
    return np.array([_soft_dice_raw(probs[c], labels == c, smooth) for c in range(probs.shape[0])])


def activation_lesson(raw, axis: int, reference, smooth: float = 1e-5) -> dict:
    """Per-class soft Dice after a softmax across the channels against after a sigmoid of each channel.

    Returns
    -------
    dict
        ``softmax`` and ``sigmoid``: arrays of per-class soft Dice (channel 0
        the background); ``sums``: per channel, the sum of its probabilities
        under each activation; ``text``: when each is right, with numbers.
    """
    x = np.moveaxis(np.asarray(raw), axis, 0)
    soft = softmax(x, axis=0)
    sig = sigmoid(x)
    out = {"softmax": per_class_soft_dice(soft, reference, smooth),
           "sigmoid": per_class_soft_dice(sig, reference, smooth),
           "sums": {"softmax": soft.reshape(soft.shape[0], -1).sum(axis=1),
                    "sigmoid": sig.reshape(sig.shape[0], -1).sum(axis=1)}}
    total = float(np.prod(x.shape[1:]))
    over = float(out["sums"]["sigmoid"].sum() / total)
    out["text"] = (
        "Softmax is right when each voxel is exactly one class (organs that do not overlap): its channels add "
        f"up to 1 in every voxel. A sigmoid per channel is right for classes that may overlap (a tumour's "
        f"whole tumour, core and enhancing parts); applied to softmax-trained logits its channels add up to "
        f"{over:.2f} per voxel on average here, not 1, and its per-class soft Dice is not the one the network "
        "was trained on.")
    return out
