"""How the values of a mask file are read: binary, label map, probability map.

The rule applied is always stated in ``MaskInfo.message`` so that a user can
check it, and anything surprising (0/255 masks, labels stored as floats,
values such as 0.99999997 from a lossy writer, a sigmoid applied) is also put
in ``MaskInfo.warning``.
"""
from __future__ import annotations

import numpy as np

from .case import MaskInfo
from .io.errors import ActivationNeeded, LoadError

#: Float values this close to a whole number count as that number (reported).
NEAR_WHOLE_TOL = 1e-6

# Elements per step when scanning large arrays: bounds temporary memory.
_CHUNK = 1 << 22


def _flat(data: np.ndarray) -> np.ndarray:
    # A view for C- or F-contiguous arrays, a copy only for strided views.
    return np.ravel(data, order="K")


def _chunks(flat: np.ndarray):
    for start in range(0, flat.size, _CHUNK):
        yield flat[start:start + _CHUNK]


def _labels_present(hard: np.ndarray, top: int) -> tuple:
    """Nonzero values present in a non-negative integer array with max ``top``."""
    if hard.size == 0 or top == 0:
        return ()
    if top < (1 << 16):
        counts = np.zeros(top + 1, dtype=np.int64)
        for chunk in _chunks(_flat(hard)):
            counts += np.bincount(chunk, minlength=top + 1)
        return tuple(int(v) for v in np.flatnonzero(counts[1:]) + 1)
    return tuple(int(v) for v in np.unique(hard) if v != 0)


def _label_dtype(top: int, name: str) -> np.dtype:
    if top < 256:
        return np.dtype(np.uint8)
    if top < 65536:
        return np.dtype(np.uint16)
    if top <= np.iinfo(np.int32).max:
        return np.dtype(np.int32)
    raise LoadError(f"{name}: label value {top} is too large (labels must be below 2^31)")


def _whole_deviation(data: np.ndarray):
    """Largest |x - round(x)| and one value that is not whole (or None)."""
    worst = 0.0
    example = None
    for chunk in _chunks(_flat(data)):
        dev = np.abs(chunk - np.rint(chunk))
        m = float(dev.max()) if dev.size else 0.0
        if m > worst:
            worst = m
            example = chunk.flat[int(np.argmax(dev))]
    return worst, example


def _set_text(values) -> str:
    values = list(values)
    if len(values) > 8:
        return "{" + ", ".join(str(v) for v in values[:4]) + ", …, " + ", ".join(str(v) for v in values[-2:]) + "}"
    return "{" + ", ".join(str(v) for v in values) + "}"


def _from_integers(data: np.ndarray, name: str, what: str, lo, hi, copy: bool = True):
    """Classify non-negative whole numbers (``data`` integer-typed or rounded floats)."""
    dtype_text = str(data.dtype)
    if lo < 0:
        raise LoadError(f"{name}: {what} include negative values (min {lo:g}); masks hold labels 0, 1, 2, …")
    hi = int(hi)
    if hi <= 1:
        hard = data.astype(np.uint8, copy=copy)
        values = "{0}" if hi == 0 else ("{1}" if lo == 1 else "{0, 1}")
        info = MaskInfo("binary", f"{name}: {what} {values}: binary mask", (1,) if hi == 1 else (), 1, dtype_text)
        return info, hard
    if hi == 255:
        is_255 = data == 255
        n255 = int(np.count_nonzero(is_255))
        if n255 == int(np.count_nonzero(data)):
            hard = is_255.view(np.uint8)
            info = MaskInfo(
                "binary",
                f"{name}: {what} {{0, 255}}: binary mask (255 = foreground, saved back as 255)",
                (1,), 255, dtype_text,
            )
            info.warning = f"{name}: 0/255 mask read as binary (255 = foreground)"
            return info, hard
        del is_255
    hard = data.astype(_label_dtype(hi, name), copy=copy)
    labels = _labels_present(hard, hi)
    info = MaskInfo(
        "labels",
        f"{name}: {what} {_set_text((0,) + labels)}: label map with {len(labels)} label"
        f"{'' if len(labels) == 1 else 's'}",
        labels, 1, dtype_text,
    )
    return info, hard


def _sigmoid(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    out = np.empty_like(x)
    # exp of a large positive argument overflows; split by sign for stability.
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def classify_mask(data: np.ndarray, name: str, *, sigmoid: bool = False, copy: bool = True):
    """Decide how a mask file's values are read and build the hard mask.

    Rules, in order: NaN/inf → refused. Booleans and integers: {0, 1} and
    {0, 255} are binary (hard mask 0/1, 255 remembered for saving back),
    other non-negative integers a label map, negative values refused. Floats
    whose values are all whole (or within 1e-6 of whole, which is reported)
    are read as integers by the same rules. Other floats in [0, 1] are a
    probability map (hard = p ≥ 0.5, probabilities kept as float32). Any
    other float values are logits: refused with "apply a sigmoid or softmax
    first", unless ``sigmoid=True`` asks for the sigmoid.

    Parameters
    ----------
    data : numpy.ndarray
        The mask file's voxels.
    name : str
        File name for the messages.
    sigmoid : bool
        Apply a sigmoid to logits instead of refusing them.
    copy : bool
        False: when ``data`` already holds the hard mask (0/1 or labels in
        the right integer type, writeable, not a memory map) it is returned
        as the hard mask itself, so a CT-sized mask is held once.

    Returns
    -------
    info : MaskInfo
        Kind, the rule applied in words, labels present.
    hard : numpy.ndarray
        uint8 (or uint16/int32 for large labels) hard mask: a new array,
        or ``data`` itself when ``copy`` is False and it can serve.
    prob : numpy.ndarray or None
        float32 probabilities for probability maps (and sigmoid-ed logits).

    Raises
    ------
    LoadError
        NaN/inf, negative labels, logits without ``sigmoid``, unsupported types.
    """
    data = np.asarray(data)
    kind = data.dtype.kind
    # a memory map or a read-only array cannot be the mask edits write into
    copy = copy or not data.flags.writeable or isinstance(data, np.memmap)
    if kind == "b":
        hard = data.astype(np.uint8)
        present = (1,) if hard.any() else ()
        return MaskInfo("binary", f"{name}: boolean values: binary mask", present, 1, "bool"), hard, None
    if kind in "iu":
        if data.size == 0:
            return _empty(data, name)
        info, hard = _from_integers(data, name, f"{data.dtype} values", data.min(), data.max(), copy)
        return info, hard, None
    if kind != "f":
        raise LoadError(f"{name}: values of type {data.dtype} cannot be a mask")
    if data.size == 0:
        return _empty(data, name)
    lo, hi = data.min(), data.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        n_nan = int(np.count_nonzero(np.isnan(data)))
        n_inf = int(np.count_nonzero(np.isinf(data)))
        raise LoadError(f"{name}: contains {n_nan} NaN and {n_inf} infinite values; a mask must hold finite numbers")
    dev, example = _whole_deviation(data)
    if dev <= NEAR_WHOLE_TOL:
        rounded = np.rint(data) if dev > 0 else data
        what = f"{data.dtype} values, all whole numbers,"
        if dev > 0:
            what = (f"{data.dtype} values within {NEAR_WHOLE_TOL:g} of whole numbers but not whole "
                    f"(e.g. {float(example):.9g}, off by {dev:.2g}), rounded to")
        info, hard = _from_integers(rounded, name, what, float(np.rint(lo)), float(np.rint(hi)))
        info.dtype = str(data.dtype)
        if dev > 0:
            info.warning = (f"{name}: values such as {float(example):.9g} are not exactly whole "
                            f"(largest deviation {dev:.2g}); rounded to the nearest whole number")
        elif not info.warning:
            info.warning = f"{name}: {data.dtype} values are all whole numbers: read as labels"
        return info, hard, None
    if lo >= 0 and hi <= 1:
        return _probability_map(
            np.asarray(data, dtype=np.float32), data.dtype,
            f"{name}: {data.dtype} values in [0, 1], not all whole: probability map "
            "(foreground = p ≥ 0.5; probabilities kept for soft Dice)",
            f"{name}: probability map thresholded at 0.5",
        )
    if not sigmoid:
        raise ActivationNeeded(
            f"{name}: {data.dtype} values from {float(lo):.4g} to {float(hi):.4g} are neither labels nor "
            "probabilities in [0, 1] (logits?): apply a sigmoid or softmax first (--sigmoid, in dicegui score "
            "and in the window, which also asks)",
            "logits", name)
    return _probability_map(
        _sigmoid(data), data.dtype,
        f"{name}: {data.dtype} values from {float(lo):.4g} to {float(hi):.4g}: logits, sigmoid applied as asked "
        "(foreground = sigmoid ≥ 0.5)",
        f"{name}: sigmoid applied to logits",
    )


def _empty(data: np.ndarray, name: str):
    """(info, hard, None) of a mask with no voxels."""
    return MaskInfo("binary", f"{name}: empty mask", (), 1, str(data.dtype)), data.astype(np.uint8), None


def _probability_map(prob: np.ndarray, dtype, message: str, warning: str):
    """(info, hard mask at p ≥ 0.5, probabilities) of a probability map."""
    hard = (prob >= 0.5).view(np.uint8)
    info = MaskInfo("probability", message, (1,) if hard.any() else (), 1, str(dtype), warning)
    return info, hard, prob
