"""Live overlap scores for two masks that are edited in place.

:class:`LiveScore` holds references to a ground-truth and a predicted mask
(no copies: a 300×512×512 volume is 75 MB per mask) and keeps the confusion
counts of the pair up to date while a person paints, erases or fills.

Why counts are updated from the touched elements only
-----------------------------------------------------
Recomputing :func:`dicegui.core.metrics.overlap` after every brush dab reads
both volumes in full, which takes tens of milliseconds for a CT-sized
volume (300×512×512): too slow for a score that follows the mouse. A dab
changes a few hundred voxels, and every count is a sum over voxels, so the
new count is the old count plus the contribution of the changed voxels after
the edit minus their contribution before it. :meth:`LiveScore.apply` reads
the previous values at the edited index, writes the new ones, and folds only
the elements whose value actually changed into the counts. The cost is
proportional to the size of the edit, never to the size of the volume; the
only full passes over the data are made by the constructor.

Maintained quantities
---------------------
* binary counts (nonzero = foreground): ``tp``, number of foreground
  elements in ``gt`` and in ``pred``; ``fp``, ``fn`` and ``tn`` follow;
* per-slice ``tp`` / ``gt`` / ``pred`` foreground counts along every axis,
  so the GUI can plot a per-slice Dice curve without touching the volume;
* per-value counts of ``gt``, of ``pred`` and of the elements where both
  hold the same value, which give every label's overlap for
  :meth:`LiveScore.per_label` (labels may appear or vanish during editing).
  While both masks hold only 0 and 1 these follow from the binary counts and
  are not stored; they are derived (exactly, in O(1)) the moment an edit
  writes any other value, so binary editing does not pay for them.
"""
from __future__ import annotations

import operator
from numbers import Integral

import numpy as np

from dicegui.core import metrics

_WHICH = ("gt", "pred")
# Elements per chunk in the constructor's full pass: bounds the temporaries
# (a few bool arrays of this size) while keeping NumPy calls large.
_CHUNK_ELEMENTS = 1 << 22
# Rows (slices) at least this long are counted one np.count_nonzero call each.
_LONG_ROW = 1024
# Integer value ranges up to this width are tallied with np.bincount; wider
# ranges fall back to np.unique (sorting).
_BINCOUNT_RANGE = 1 << 16
# Stands for "every element of the edit changed": no selection needed.
_EVERYTHING = slice(None)
# Keys counting float values that cannot be labels, one per reason, in the
# order metrics.per_label checks them.
_NOT_LABELS = ("nan or inf", "negative fraction", "fraction too large", "fraction")


class LiveScore:
    """Incrementally maintained overlap scores of two equally shaped masks.

    Parameters
    ----------
    gt, pred : numpy.ndarray
        Ground-truth and predicted masks of the same shape (any dtype;
        nonzero = foreground for the binary scores, each value a label for
        :meth:`per_label`). They are kept by reference and edited in place
        by :meth:`apply`; views (transposed, flipped, strided) are fine and
        edits reach their base array. Any change made to them other than
        through :meth:`apply` makes the counts stale.

    Raises
    ------
    TypeError
        If either mask is not a NumPy array (a copy could not be edited in
        place).
    ValueError
        If the shapes differ, the arrays are 0-d, or the two masks share
        memory (an edit to one would silently change the other).

    Notes
    -----
    Construction reads both masks in full (per-slice counts, and for label
    maps the per-label tally of :func:`~dicegui.core.metrics.per_label`);
    every later operation costs time proportional to the edit or to the
    number of labels/slices. As in :func:`~dicegui.core.metrics.overlap`,
    NaN is nonzero and so foreground, and a bool array whose bytes are not
    all 0/1 counts every nonzero byte as True.

    Examples
    --------
    >>> gt = np.zeros((4, 4), np.uint8); gt[1:3, 1:3] = 1
    >>> pred = np.zeros((4, 4), np.uint8)
    >>> live = LiveScore(gt, pred)
    >>> previous = live.apply("pred", (slice(1, 3), slice(1, 2)), 1)
    >>> live.overlap()["dice"]
    0.6666666666666666
    >>> _ = live.apply("pred", (slice(1, 3), slice(1, 2)), previous)  # undo
    >>> live.overlap()["tp"]
    0
    """

    def __init__(self, gt: np.ndarray, pred: np.ndarray):
        for name, arr in (("gt", gt), ("pred", pred)):
            if not isinstance(arr, np.ndarray):
                raise TypeError(
                    f"LiveScore edits masks in place and needs NumPy arrays; "
                    f"{name} is {type(arr).__name__}"
                )
        if gt.shape != pred.shape:
            raise ValueError(
                f"ground truth and prediction differ in shape: gt {gt.shape} vs pred {pred.shape}"
            )
        for name, arr in (("gt", gt), ("pred", pred)):
            if arr.dtype.kind not in "biufc":
                raise ValueError(f"{name} must hold numbers, not dtype {arr.dtype}")
        if gt.ndim == 0:
            raise ValueError("LiveScore needs arrays with at least one axis, got 0-d arrays")
        if _may_overlap(gt, pred):
            raise ValueError("gt and pred share memory; an edit to one would change the other")
        self._arrays = {"gt": gt, "pred": pred}
        self._shape = gt.shape
        self._size = int(gt.size)
        self._positions = [_axis_positions(gt.shape, axis) for axis in range(gt.ndim)]
        self._init_counts()

    # ------------------------------------------------------------------ access
    @property
    def gt(self) -> np.ndarray:
        """The ground-truth array (the caller's object, edited in place)."""
        return self._arrays["gt"]

    @property
    def pred(self) -> np.ndarray:
        """The prediction array (the caller's object, edited in place)."""
        return self._arrays["pred"]

    # ------------------------------------------------------------------ counts
    def _init_counts(self) -> None:
        gt, pred = self._arrays["gt"], self._arrays["pred"]
        # Tallying values is the slow part of the full pass; masks holding
        # only 0 and 1 skip it, since the binary counts determine their value
        # counts (see _values_from_binary). Value counts are kept only once a
        # map holds another value, which also spares binary editing their cost.
        binary = _holds_only_zero_one(gt) and _holds_only_zero_one(pred)
        fg_gt, fg_pred, self._tp = _full_pass(gt, pred)
        self._fg = {"gt": fg_gt, "pred": fg_pred}
        self._n_tp = int(self._tp[0].sum())
        self._n_fg = {w: int(self._fg[w][0].sum()) for w in _WHICH}
        values = None if binary else _value_counts(gt, pred)
        if not binary:  # e.g. float masks of 0.0 and 1.0 are binary after all
            binary = set(values["gt"]) <= {0, 1} and set(values["pred"]) <= {0, 1}
        self._values = None if binary else values
        # label -> (its counts, its scores): a dab changes a few labels' counts,
        # so per_label() rebuilds only their scores (41 labels: 0.4 ms -> 0.05 ms).
        self._label_scores: dict = {}
        # The last per_label() of every label, until the next edit: the
        # window asks for it several times per dab.
        self._per_label_result: dict | None = None

    def _values_from_binary(self) -> dict:
        """Value counts of masks that hold only 0 and 1, from the binary counts."""
        size, n_gt, n_pred, tp = self._size, self._n_fg["gt"], self._n_fg["pred"], self._n_tp
        tn = size - n_gt - n_pred + tp
        counts = {
            "gt": {1: n_gt, 0: size - n_gt},
            "pred": {1: n_pred, 0: size - n_pred},
            "same": {1: tp, 0: tn},
        }
        return {name: {k: n for k, n in c.items() if n} for name, c in counts.items()}

    # ------------------------------------------------------------------- edits
    def apply(self, which: str, index, values) -> np.ndarray:
        """Write ``values`` into one mask at ``index`` and update the counts.

        Parameters
        ----------
        which : {"gt", "pred"}
            The mask to edit.
        index : tuple
            Anything NumPy accepts for item assignment: a tuple of slices
            and/or integers (a box), a tuple of integer index arrays
            (scattered voxels, duplicates allowed), a boolean mask, or a mix.
        values : scalar or array_like
            Broadcastable to ``mask[index]``; cast to the mask's dtype exactly
            as ``mask[index] = values`` casts it.

        Returns
        -------
        numpy.ndarray
            A copy of ``mask[index]`` taken before the write, so
            ``apply(which, index, previous)`` undoes the edit bit for bit.

        Notes
        -----
        Only elements whose stored value changed contribute, so re-applying
        the same edit, or painting over voxels that already hold the value,
        leaves the counts untouched. When integer index arrays repeat a
        position, NumPy keeps one of the written values; the counts follow
        what was actually stored and each position is counted once.
        """
        if which not in _WHICH:
            raise ValueError(f"which must be 'gt' or 'pred', got {which!r}")
        self._per_label_result = None  # the counts may change below
        target = self._arrays[which]
        other = self._arrays["pred" if which == "gt" else "gt"]
        if not isinstance(index, tuple):
            index = (index,)
        brush = self._brush_flat(index)
        target_flat = _c_flat(target) if brush is not None else None
        if target_flat is not None:
            # One flat index instead of one array per axis: several times
            # faster for the few hundred voxels of a dab.
            previous = target_flat[brush]
            target_flat[brush] = values
            stored = target_flat[brush]
        else:
            previous = np.asarray(target[index])
            if np.may_share_memory(previous, target):  # a view (basic indexing): copy it
                previous = previous.copy()
            target[index] = values
            # Read back what was stored: it carries NumPy's casting and, for
            # repeated positions, whichever write won.
            stored = np.asarray(target[index])
        # (NaN != NaN marks a NaN rewritten as NaN changed; it nets to zero.)
        changed = np.asarray(previous != stored)
        n_changed = np.count_nonzero(changed)
        if not n_changed:
            return previous
        if n_changed == changed.size:  # common for brush dabs: skip the selection
            changed = _EVERYTHING
        old = _pick(previous, changed)
        new = _pick(stored, changed)
        other_flat = _c_flat(other) if brush is not None else None
        facing = _pick(other_flat[brush] if other_flat is not None else np.asarray(other[index]), changed)
        positions, flat = self._touched_positions(index, changed, brush)
        if flat is not None:
            old, new, facing, positions = _first_of_each_position(flat, old, new, facing, positions)
        flip = None
        if self._values is None:
            flip, zero_one = _zero_one_write(values, new)
            if not zero_one:
                self._values = self._values_from_binary()  # counts still describe the old state
                flip = None
        if flip is not None and old.dtype.kind in "biu" and facing.dtype.kind in "biu":
            self._flip_binary(which, flip, facing, positions)
        else:
            self._update_binary(which, old, new, facing, positions)
        if self._values is not None:
            self._update_values(which, old, new, facing)
        return previous

    def _brush_flat(self, index: tuple):
        """C-order flat indices of an index made of one integer array per axis, else None.

        That is the brush path, whose positions are the index itself. Negative
        or out-of-range entries (which ravel_multi_index rejects) return None
        and take the general path, where NumPy wraps or refuses them.
        """
        shape = self._shape
        first = index[0]
        if len(index) == len(shape) and all(
            isinstance(part, np.ndarray) and part.dtype.kind in "iu" and part.shape == first.shape
            for part in index
        ):
            try:
                return np.ravel_multi_index(index, shape)
            except (ValueError, TypeError):
                return None
        return None

    def _touched_positions(self, index: tuple, changed: np.ndarray, brush=None):
        """Positions along each axis of the ``changed`` elements of ``mask[index]``.

        Returns the list of per-axis positions and, when the index can repeat
        positions (integer arrays), their flat indices (else None). ``brush``
        is :meth:`_brush_flat` of ``index``.
        """
        shape = self._shape
        if brush is not None:
            return [_pick(part, changed) for part in index], _pick(brush, changed)
        if _is_box(index, len(shape)):
            # A box (one int or slice per axis): along an int axis every
            # element lies on that one slice, kept as a plain int.
            return [
                _pick(np.asarray(along[index]), changed) if type(part) is slice else int(part) % n
                for part, along, n in zip(index, self._positions, shape)
            ], None
        positions = [_pick(np.asarray(along[index]), changed) for along in self._positions]
        if not _has_integer_array(index):
            return positions, None
        return positions, np.ravel_multi_index(tuple(positions), shape)

    def _flip_binary(self, which, value: int, facing, positions) -> None:
        """Counts after every changed element of binary masks became ``value`` (0 or 1).

        The common brush/eraser case, with fewer NumPy calls than
        :meth:`_update_binary`: each changed element went from ``1 - value``
        to ``value``, so every count moves by one in the same direction.
        """
        step = 1 if value else -1
        _add_to_slices(self._fg[which], positions, step, step * facing.size)
        self._n_fg[which] += step * facing.size
        hits = np.count_nonzero(facing)  # often 0: painting outside the other mask
        if hits:
            # int64 weights: np.add.at takes a slow path for values it must cast
            weights = facing.astype(np.int64)
            if step < 0:
                np.negative(weights, out=weights)
            _add_to_slices(self._tp, positions, weights, step * hits)
            self._n_tp += step * hits

    def _update_binary(self, which, old, new, facing, positions) -> None:
        # +1 where an element became foreground, -1 where it became background.
        if self._values is None and old.dtype.kind in "biu" and facing.dtype.kind in "biu":
            # Both masks hold only 0 and 1: values are their own foreground flags.
            sign = np.subtract(new, old, dtype=np.int64)
            overlap_sign = sign * facing
        else:
            sign = np.subtract(new != 0, old != 0, dtype=np.int64)
            overlap_sign = sign * (facing != 0)
        if not np.count_nonzero(sign):
            return
        total = int(sign.sum())
        _add_to_slices(self._fg[which], positions, sign, total)
        self._n_fg[which] += total
        if np.count_nonzero(overlap_sign):  # often not: painting outside the other mask
            total = int(overlap_sign.sum())
            _add_to_slices(self._tp, positions, overlap_sign, total)
            self._n_tp += total

    def _update_values(self, which, old, new, facing) -> None:
        counts = self._values
        _tally(counts[which], old, -1)
        _tally(counts[which], new, +1)
        _tally(counts["same"], old[old == facing], -1)
        _tally(counts["same"], new[new == facing], +1)

    # ------------------------------------------------------------------ scores
    def overlap(self) -> dict:
        """Overlap scores of the current masks.

        Returns
        -------
        dict
            Exactly what :func:`dicegui.core.metrics.overlap` returns for
            ``(gt, pred)`` right now, computed from the maintained counts.
        """
        return _scores(self._n_tp, self._n_fg["gt"], self._n_fg["pred"], self._size)

    def per_label(self, labels=None) -> dict:
        """Per-label overlap of the current label maps.

        Parameters
        ----------
        labels : iterable of int, optional
            Labels to score, in this order; default every nonzero value
            present in either map, ascending.

        Returns
        -------
        dict
            Exactly what :func:`dicegui.core.metrics.per_label` returns for
            ``(gt, pred, labels)`` right now: ``{"labels": {k: scores},
            "mean_dice", "mean_iou"}`` where each ``scores`` carries
            ``"absent"`` (True for a label in neither map, which is left out
            of the means). Computed from the maintained per-value counts in
            time proportional to the number of labels.

        Raises
        ------
        ValueError
            Where :func:`~dicegui.core.metrics.per_label` raises: a map is
            complex or holds negative, non-integer, NaN/infinite values or
            values above 2**32 - 1, or ``labels`` is not whole numbers >= 0.
        """
        for name, arr in self._arrays.items():
            if arr.dtype.kind == "c":
                raise ValueError(f"{name} label map must be real-valued, not {arr.dtype}")
        if labels is None and self._per_label_result is not None:
            return _copy_per_label(self._per_label_result)
        wanted = None if labels is None else metrics._requested_labels(labels)
        counts = self._values if self._values is not None else self._values_from_binary()
        for name in _WHICH:
            _check_label_counts(name, counts[name])
        gt_counts, pred_counts, same = counts["gt"], counts["pred"], counts["same"]
        if wanted is None:
            wanted = sorted(int(k) for k in set(gt_counts) | set(pred_counts) if k != 0)
        scores = {k: self._label_entry(k, same.get(k, 0), gt_counts.get(k, 0), pred_counts.get(k, 0))
                  for k in wanted}
        present = [s for s in scores.values() if not s["absent"]]
        result = {
            "labels": scores,
            "mean_dice": _mean([s["dice"] for s in present]),
            "mean_iou": _mean([s["iou"] for s in present]),
        }
        if labels is None:
            self._per_label_result = _copy_per_label(result)
        return result

    def _label_entry(self, label: int, n_same, n_gt, n_pred) -> dict:
        """One label's ``per_label`` scores, recomputed only when its counts changed (a fresh dict)."""
        key = (int(n_same), int(n_gt), int(n_pred))
        cached = self._label_scores.get(label)
        if cached is None or cached[0] != key:
            entry = _scores(*key, self._size)
            entry["absent"] = key[1] + key[2] == 0
            cached = (key, entry)
            self._label_scores[label] = cached
        return dict(cached[1])  # callers may change their copy

    def slice_overlap(self, axis: int, i: int) -> dict:
        """Overlap scores of one slice.

        Parameters
        ----------
        axis : int
            Axis the slice is taken across (negative counts from the end).
        i : int
            Slice position along ``axis`` (negative counts from the end).

        Returns
        -------
        dict
            What :func:`dicegui.core.metrics.overlap` returns for
            ``(gt.take(i, axis), pred.take(i, axis))``, from maintained counts.
        """
        axis = self._axis(axis)
        n = self._shape[axis]
        i = operator.index(i)
        if not -n <= i < n:
            raise IndexError(f"slice {i} is out of range for axis {axis} of length {n}")
        i %= n
        return _scores(
            self._tp[axis][i], self._fg["gt"][axis][i], self._fg["pred"][axis][i], self._size // n
        )

    def slice_dice(self, axis: int) -> np.ndarray:
        """Dice of every slice along ``axis``.

        Parameters
        ----------
        axis : int
            Axis the slices are taken across (negative counts from the end).

        Returns
        -------
        numpy.ndarray
            1-D float64 array, one Dice per slice. Slices where both masks are
            empty hold ``nan`` (not the 1.0 of :meth:`slice_overlap`) so a plot
            can skip them instead of drawing a run of perfect scores.
        """
        axis = self._axis(axis)
        tp = self._tp[axis]
        total = self._fg["gt"][axis] + self._fg["pred"][axis]
        dice = np.full(tp.shape, np.nan)
        nonempty = total > 0
        dice[nonempty] = 2.0 * tp[nonempty] / total[nonempty]
        return dice

    def foreground_box(self) -> tuple[slice, ...]:
        """The smallest box holding every nonzero voxel of either mask, from the maintained counts.

        A view drawing a slice need not read the masks outside this box: on
        a C-order volume a strided slice costs one cache line per voxel, and
        organs rarely fill a quarter of a slice.

        Returns
        -------
        tuple of slice
            One ``slice(start, stop)`` per axis; every slice is ``slice(0, 0)``
            when both masks are empty.
        """
        box = []
        for axis in range(len(self._shape)):
            present = np.flatnonzero(self._fg["gt"][axis] + self._fg["pred"][axis])
            if present.size == 0:
                return tuple(slice(0, 0) for _ in self._shape)
            box.append(slice(int(present[0]), int(present[-1]) + 1))
        return tuple(box)

    def _axis(self, axis: int) -> int:
        ndim = len(self._shape)
        axis = operator.index(axis)
        if not -ndim <= axis < ndim:
            raise np.exceptions.AxisError(axis, ndim)
        return axis % ndim


# ---------------------------------------------------------------------- helpers
def _scores(tp, n_gt, n_pred, size) -> dict:
    tp, n_gt, n_pred = int(tp), int(n_gt), int(n_pred)
    fp = n_pred - tp
    fn = n_gt - tp
    return metrics.scores_from_counts(tp, fp, fn, int(size) - tp - fp - fn)


def _copy_per_label(result: dict) -> dict:
    """A per_label() result whose dictionaries the caller may change freely."""
    return {**result, "labels": {k: dict(v) for k, v in result["labels"].items()}}


def _mean(values) -> float:
    return float(np.mean(values)) if values else float("nan")


def _may_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10**6))
    except np.exceptions.TooHardError:
        return True


def _full_pass(gt: np.ndarray, pred: np.ndarray):
    """Per-slice foreground counts of both masks and of their overlap.

    Returns
    -------
    fg_gt, fg_pred, tp : list of numpy.ndarray
        One int64 array per axis holding the count of each slice.
    """
    counts = {name: [np.zeros(n, np.int64) for n in gt.shape] for name in ("gt", "pred", "tp")}
    if gt.size == 0:
        return counts["gt"], counts["pred"], counts["tp"]
    # Walk in chunks along the axis with the largest stride, so each chunk is
    # a contiguous run of memory even for transposed views.
    outer = int(np.argmax(np.abs(gt.strides)))
    gt, pred = np.moveaxis(gt, outer, 0), np.moveaxis(pred, outer, 0)
    order = [outer] + [a for a in range(gt.ndim) if a != outer]
    moved = {name: [arrays[a] for a in order] for name, arrays in counts.items()}
    rows_total = gt.shape[0]
    step = max(1, _CHUNK_ELEMENTS // (gt.size // rows_total))
    for start in range(0, rows_total, step):
        rows = slice(start, min(start + step, rows_total))
        g = gt[rows] != 0
        p = pred[rows] != 0
        for name, fg in (("gt", g), ("pred", p), ("tp", g & p)):
            _add_projections(moved[name], fg, rows)
    return counts["gt"], counts["pred"], counts["tp"]


def _value_counts(gt: np.ndarray, pred: np.ndarray) -> dict:
    """``{"gt": {value: count}, "pred": {...}, "same": {...}}``, "same" counting ``gt == pred``.

    Label maps (whole numbers 0..2**32 - 1) are counted by
    :func:`dicegui.core.metrics.per_label`'s one-pass tally, which skips
    background-only blocks and counts all three from one joint histogram;
    anything else (negative values, fractions, NaN) by :func:`_tally`.
    """
    try:
        tally = metrics._tally_labels(gt, pred)
    except ValueError:  # not a label map: count every value, by reason for non-labels
        return _value_counts_of_any(gt, pred)
    size = int(gt.size)
    counts = {"gt": dict(tally.n_gt), "pred": dict(tally.n_pred), "same": dict(tally.tp)}
    background = {
        "gt": size - sum(tally.n_gt.values()),
        "pred": size - sum(tally.n_pred.values()),
        "same": size - tally.union,  # both 0
    }
    for name, n in background.items():
        if n:
            counts[name][0] = n
    return counts


def _value_counts_of_any(gt: np.ndarray, pred: np.ndarray) -> dict:
    """:func:`_value_counts` of maps of any values, in chunks along the outer axis."""
    values = {"gt": {}, "pred": {}, "same": {}}
    outer = int(np.argmax(np.abs(gt.strides)))
    gt, pred = np.moveaxis(gt, outer, 0), np.moveaxis(pred, outer, 0)
    rows_total = gt.shape[0]
    step = max(1, _CHUNK_ELEMENTS // max(1, gt.size // max(1, rows_total)))
    for start in range(0, rows_total, step):
        g_chunk, p_chunk = gt[start:start + step], pred[start:start + step]
        _tally(values["gt"], g_chunk, +1)
        _tally(values["pred"], p_chunk, +1)
        _tally(values["same"], g_chunk[g_chunk == p_chunk], +1)
    return values


def _add_projections(counts, fg: np.ndarray, rows: slice) -> None:
    """Add the per-slice foreground counts of a chunk (rows along axis 0; ``fg`` bool 0/1)."""
    n = fg.shape[0]
    flat = fg.reshape(n, -1)
    if flat.shape[1] >= _LONG_ROW:
        # one SIMD count per row; a reduction along axis 1 would cast every element
        counts[0][rows] += np.fromiter(map(np.count_nonzero, flat), np.int64, n)
    else:
        counts[0][rows] += np.count_nonzero(flat, axis=1)
    if fg.ndim == 1:
        return
    # Collapse axis 0 by uint8 additions (exact for up to 255 rows of 0/1),
    # then each remaining axis of the small plane.
    as_bytes = fg.view(np.uint8)
    for start in range(0, n, 255):
        plane = np.add.reduce(as_bytes[start:start + 255], axis=0, dtype=np.uint8)
        for axis in range(1, fg.ndim):
            others = tuple(a for a in range(plane.ndim) if a != axis - 1)
            counts[axis] += plane.sum(axis=others, dtype=np.int64)


def _axis_positions(shape, axis) -> np.ndarray:
    """Zero-copy array of ``shape`` whose elements are their position along ``axis``.

    Indexing it with an edit's index gives, for every touched element, its
    slice number along ``axis``, for any index NumPy accepts.
    """
    along = np.arange(shape[axis]).reshape([-1 if a == axis else 1 for a in range(len(shape))])
    return np.broadcast_to(along, shape)


def _holds_only_zero_one(arr: np.ndarray) -> bool:
    """Cheap exact test for integer and bool masks (min/max); False for other dtypes."""
    if arr.dtype == bool or arr.size == 0:
        return True
    return arr.dtype.kind in "iu" and arr.min() >= 0 and arr.max() <= 1


def _c_flat(arr: np.ndarray):
    """A 1-D view of a C-contiguous array (writes reach it), else None."""
    return arr.reshape(-1) if arr.flags.c_contiguous else None


def _pick(values: np.ndarray, changed) -> np.ndarray:
    """``values`` at the changed elements, flat (``changed`` is a mask or _EVERYTHING)."""
    return values.reshape(-1) if changed is _EVERYTHING else values[changed]


def _is_zero_or_one(value) -> bool:
    """Whether ``value`` is the scalar 0 or 1 (paint/erase), checked without NumPy calls."""
    return isinstance(value, (int, np.integer, np.bool_)) and (value == 0 or value == 1)


def _zero_one_write(values, new: np.ndarray):
    """``(flip, zero_one)`` for the changed values ``new`` written from ``values``.

    ``zero_one``: every value in ``new`` is 0 or 1. ``flip``: the one value
    (0 or 1) they all hold, or None when they differ or are not 0/1.
    """
    if _is_zero_or_one(values):
        return int(values), True
    kind = new.dtype.kind
    if kind in "bu":  # no negatives: count the nonzero values, then check the largest
        n = int(np.count_nonzero(new))
        if n == 0:
            return 0, True
        zero_one = kind == "b" or bool(new.max() <= 1)
        return (1 if zero_one and n == new.size else None), zero_one
    if kind == "i":
        lo, hi = new.min(), new.max()
        zero_one = bool(lo >= 0 and hi <= 1)
        return (int(hi) if zero_one and lo == hi else None), zero_one
    return None, _only_zero_one(new)


def _only_zero_one(values: np.ndarray) -> bool:
    kind = values.dtype.kind
    if kind == "b":
        return True
    if kind == "u":
        return bool(values.max() <= 1)
    return bool(((values == 0) | (values == 1)).all())


def _add_to_slices(per_axis, positions, weights, total: int) -> None:
    """Add ``weights`` (array or scalar) at ``positions`` to each axis's slice counts.

    A position given as a plain int (the slice of a box) receives ``total``,
    the sum of all weights, in one step.
    """
    for counts, pos in zip(per_axis, positions):
        if type(pos) is int:
            counts[pos] += total
        else:
            np.add.at(counts, pos, weights)


def _is_box(index: tuple, ndim: int) -> bool:
    """Whether ``index`` is one int or slice per axis (basic indexing, no repeats)."""
    if len(index) != ndim:
        return False
    for part in index:
        kind = type(part)
        if kind is not slice and kind is not int and not (
            isinstance(part, np.integer)
        ):
            return False
    return True


def _has_integer_array(index: tuple) -> bool:
    """Whether ``index`` uses integer-array (fancy) indexing, the only kind that can repeat."""
    for part in index:
        if part is None or part is Ellipsis or isinstance(part, (slice, Integral)):
            continue
        part = np.asarray(part)
        if part.dtype.kind in "iu" and part.ndim > 0:
            return True
    return False


def _first_of_each_position(flat, old, new, facing, coords):
    """Keep one entry per distinct flat position (repeats carry identical values)."""
    if not np.count_nonzero(flat[1:] <= flat[:-1]):  # increasing, as from np.nonzero
        return old, new, facing, coords
    ordered = np.sort(flat)
    if not np.count_nonzero(ordered[1:] == ordered[:-1]):
        return old, new, facing, coords
    _, first = np.unique(flat, return_index=True)
    return old[first], new[first], facing[first], [c[first] for c in coords]


def _tally(counts: dict, values: np.ndarray, sign: int) -> None:
    """Add ``sign`` × the number of occurrences of each value to ``counts``.

    Keys are the Python scalars of the values (``2`` and ``2.0`` are the same
    dict key). Float values that cannot be labels are counted per reason
    under the string keys in ``_NOT_LABELS`` rather than one key each: a
    probability map would otherwise need a key per distinct value. Keys whose
    count drops to zero are removed, so the keys are exactly what the map
    holds now.
    """
    values = np.asarray(values).ravel()
    if values.size == 0:
        return
    if values.dtype.kind == "f":
        values = _count_non_labels(counts, values, sign)
    keys = hits = None
    if values.dtype.kind in "biu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < _BINCOUNT_RANGE and hi <= np.iinfo(np.intp).max:
            shifted = values.astype(np.intp, copy=False)
            if lo:
                shifted = shifted - lo
            hits = np.bincount(shifted)
            keys = np.flatnonzero(hits)
            hits = hits[keys]
            keys = (keys + lo).tolist()
    if keys is None:
        keys, hits = np.unique(values, return_counts=True)
        keys = keys.tolist()
    _add_counts(counts, keys, (sign * hits).tolist())


def _count_non_labels(counts: dict, values: np.ndarray, sign: int) -> np.ndarray:
    """Count float values that are not whole numbers by reason; return the whole ones."""
    finite = np.isfinite(values)
    whole = finite & (np.floor(values) == values)
    if whole.all():
        return values
    # float64: comparing a float16 with 2**32 - 1 would cast the bound to
    # float16 (overflow warning)
    bad = values[~whole].astype(np.float64)
    reasons = [
        ~np.isfinite(bad),
        np.isfinite(bad) & (bad < 0),
        np.isfinite(bad) & (bad > metrics._MAX_LABEL),
    ]
    reasons.append(~(reasons[0] | reasons[1] | reasons[2]))
    _add_counts(counts, _NOT_LABELS, [sign * int(np.count_nonzero(r)) for r in reasons])
    return values[whole]


def _add_counts(counts: dict, keys, deltas) -> None:
    for key, delta in zip(keys, deltas):
        total = counts.get(key, 0) + delta
        if total:
            counts[key] = total
        else:
            counts.pop(key, None)


def _check_label_counts(name: str, counts: dict) -> None:
    """Raise the ValueError metrics.per_label raises for a map holding ``counts``."""
    nan_inf, negative, too_large, fraction = _NOT_LABELS
    whole = [k for k in counts if not isinstance(k, str)]
    lo = min(whole, default=0)
    hi = max(whole, default=0)
    if nan_inf in counts:
        raise ValueError(f"{name} label map contains NaN or infinite values")
    if negative in counts or lo < 0:
        detail = f" (min {lo})" if lo < 0 and negative not in counts else ""
        raise ValueError(f"{name} label map has negative values{detail}; labels must be >= 0")
    if too_large in counts or hi > metrics._MAX_LABEL:
        detail = f" (max {hi})" if too_large not in counts else ""
        raise ValueError(f"{name} label map has values above {metrics._MAX_LABEL}{detail}")
    if fraction in counts:
        raise ValueError(f"{name} label map has non-integer values; labels must be whole numbers")
