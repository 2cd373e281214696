"""Label confusion: which reference label each predicted label lands on.

The problem
-----------
Foreground Dice counts a voxel as right when both masks hold *any* label
there, so a prediction that calls enhancing tumour "necrosis" scores as well
as one that names it right. Per-label Dice sees the error but not its
cause: label 4's Dice falls, label 1's falls, and nothing says that one was
painted as the other. The reference-label × predicted-label voxel matrix
says it directly: an off-diagonal cell whose row and column are both
foreground is a *label swap*.

How it is counted
-----------------
One pass over both maps with the foreground walk of
:mod:`dicegui.core.metrics` (blocks that are background in both maps are
skipped; they can only be (0, 0) pairs). The visited pieces are counted as a
joint histogram of the code ``g * K + p`` (``np.bincount``), or as distinct
(g, p) pairs where label values are too large for a table. The (0, 0) cell
is the total minus everything else.

Qt-free.
"""
from __future__ import annotations

import numpy as np

from . import metrics

# Label runs at least this long are written "first–last" in warnings.
_RUN = 4
#: Rows (and columns) of the matrix at most: 1,024 labels is an 8 MB matrix;
#: an instance-id map of 262,144 values would ask for 512 GiB.
MAX_MATRIX_LABELS = 1024


class TooManyLabels(ValueError):
    """The maps hold more label values than a confusion matrix can list."""


class _PairCounts:
    """Running counts of (reference, prediction) value pairs over visited pieces."""

    def __init__(self):
        self.table = np.zeros((0, 0), np.int64)  # dense counts for small values
        self.sparse: dict[tuple[int, int], int] = {}  # counts of values too large for it

    def add(self, g: np.ndarray, p: np.ndarray) -> None:
        g = metrics._label_values(g, "gt")
        p = metrics._label_values(p, "pred")
        if g.size == 0:
            return
        top = int(max(g.max(), p.max()))
        size = top + 1
        if top < metrics._MAX_TABLE and size * size <= metrics._TABLE_PER_ELEMENT * g.size:
            self._add_table(metrics._joint_table(g, p, size))
            return
        codes = g.astype(np.uint64) << np.uint64(32)
        codes |= p.astype(np.uint64)
        pairs, counts = np.unique(codes, return_counts=True)
        for code, c in zip(pairs.tolist(), counts.tolist()):
            key = (code >> 32, code & metrics._MAX_LABEL)
            self.sparse[key] = self.sparse.get(key, 0) + c

    def _add_table(self, table: np.ndarray) -> None:
        n = table.shape[0]
        if n > self.table.shape[0]:
            grown = np.zeros((n, n), np.int64)
            m = self.table.shape[0]
            grown[:m, :m] = self.table
            self.table = grown
        self.table[:n, :n] += table

    def pairs(self) -> dict[tuple[int, int], int]:
        """Every counted pair with its count (background pairs included as counted)."""
        out = dict(self.sparse)
        for g, p in zip(*np.nonzero(self.table)):
            key = (int(g), int(p))
            out[key] = out.get(key, 0) + int(self.table[g, p])
        return out


def label_confusion(gt, pred, labels=None) -> dict:
    """Reference-label × predicted-label voxel counts of two label maps.

    Parameters
    ----------
    gt, pred : array_like
        Reference and prediction label maps of the same shape (integer, bool,
        or float arrays of whole numbers >= 0; 0 is background).
    labels : iterable of int, optional
        Values that get a row and a column even when neither map holds them
        (e.g. every label of a data set's convention). Values present in
        either map always get theirs.

    Returns
    -------
    dict
        ``labels``: ascending list of the values with a row and column (every
        value in either map, 0 included when present, plus ``labels``);
        ``matrix``: 2-D int64 array, ``matrix[i, j]`` = voxels where the
        reference holds ``labels[i]`` and the prediction ``labels[j]``;
        ``gt_labels`` / ``pred_labels``: ascending values present in each map;
        ``swapped_voxels``: voxels where both maps are foreground with
        different labels; ``pairs``: one dict ``gt_label, pred_label,
        voxels`` per nonzero such cell, largest first (ties by labels).

    Raises
    ------
    ValueError
        Shapes differ, or a map holds negative, non-integer, NaN or infinite
        values (messages as :func:`dicegui.core.metrics.per_label`).
    TooManyLabels
        More than :data:`MAX_MATRIX_LABELS` values in the maps and ``labels``
        together (a ``ValueError``; raised before the matrix is allocated).

    Examples
    --------
    >>> gt = np.array([0, 1, 1, 2, 2, 2])
    >>> pred = np.array([0, 1, 2, 2, 1, 0])
    >>> r = label_confusion(gt, pred)
    >>> r["labels"], r["matrix"].tolist(), r["swapped_voxels"]
    ([0, 1, 2], [[1, 0, 0], [0, 1, 1], [1, 1, 1]], 2)
    """
    gt = metrics._numeric(gt, "gt")
    pred = metrics._numeric(pred, "pred")
    metrics._check_shapes(gt, pred)
    for arr, name in ((gt, "gt"), (pred, "pred")):
        if arr.dtype.kind == "c":
            raise ValueError(f"{name} label map must be real-valued, not {arr.dtype}")
    extra = [] if labels is None else metrics._requested_labels(labels)
    counts = _PairCounts()
    metrics._walk_foreground(gt, pred, counts.add)
    pairs = counts.pairs()
    pairs.pop((0, 0), None)
    background = gt.size - sum(pairs.values())
    if background:
        pairs[(0, 0)] = background
    return _confusion_from_pairs(pairs, extra)


def _confusion_from_pairs(pairs: dict, extra) -> dict:
    """The result dictionary from ``{(gt_value, pred_value): voxels}``."""
    gt_labels = sorted({g for g, _ in pairs})
    pred_labels = sorted({p for _, p in pairs})
    axis = sorted(set(gt_labels) | set(pred_labels) | set(extra))
    if len(axis) > MAX_MATRIX_LABELS:
        raise TooManyLabels(f"{len(axis)} label values, more than the {MAX_MATRIX_LABELS} a matrix lists")
    where = {v: i for i, v in enumerate(axis)}
    matrix = np.zeros((len(axis), len(axis)), np.int64)
    for (g, p), n in pairs.items():
        matrix[where[g], where[p]] += n
    swaps = sorted(((g, p, n) for (g, p), n in pairs.items() if g and p and g != p),
                   key=lambda t: (-t[2], t[0], t[1]))
    return {
        "labels": axis,
        "matrix": matrix,
        "gt_labels": gt_labels,
        "pred_labels": pred_labels,
        "swapped_voxels": int(sum(n for _, _, n in swaps)),
        "pairs": [{"gt_label": g, "pred_label": p, "voxels": n} for g, p, n in swaps],
    }


def _label_list(values) -> str:
    """``0/1/2/4``; runs of four or more consecutive values as ``first–last``."""
    values = sorted(set(int(v) for v in values))
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i + 1 >= _RUN:
            parts.append(f"{values[i]}\u2013{values[j]}")
        else:
            parts.extend(str(v) for v in values[i:j + 1])
        i = j + 1
    return "/".join(parts) if parts else "none"


def _named(values, names: dict) -> str:
    """``label 4 (enhancing tumour)`` or ``labels 3/5``."""
    values = sorted(values)
    word = "label" if len(values) == 1 else "labels"
    if len(values) == 1 and names.get(values[0]):
        return f"{word} {values[0]} ({names[values[0]]})"
    if names and len(values) <= 3 and all(names.get(v) for v in values):
        return f"{word} " + ", ".join(f"{v} ({names[v]})" for v in values)
    return f"{word} {_label_list(values)}"


def label_set_warning(gt_labels, pred_labels, names=None) -> str | None:
    """One line saying how the label sets of the two masks differ; None when equal.

    Parameters
    ----------
    gt_labels, pred_labels : iterable of int
        Values present in the reference and in the prediction (include 0
        when the mask has background, as :func:`label_confusion`'s
        ``gt_labels`` / ``pred_labels`` do).
    names : dict, optional
        ``{label: name}`` used for the labels found in one mask only.

    Returns
    -------
    str or None

    Examples
    --------
    >>> label_set_warning([0, 1, 2], [0, 1, 2, 4])
    'reference uses labels 0/1/2, prediction 0/1/2/4: label 4 only in the prediction'
    >>> label_set_warning([0, 1], [1, 0]) is None
    True
    """
    g = {int(v) for v in gt_labels}
    p = {int(v) for v in pred_labels}
    if g == p:
        return None
    names = {int(k): str(v) for k, v in (names or {}).items()}
    only = []
    if p - g:
        only.append(f"{_named(p - g, names)} only in the prediction")
    if g - p:
        only.append(f"{_named(g - p, names)} only in the reference")
    return (f"reference uses labels {_label_list(g)}, prediction {_label_list(p)}: "
            + "; ".join(only))
