"""Overlap metrics, per-label scores and soft (probabilistic) losses.

Everything here is pure NumPy; nothing imports Qt.

Conventions where peers disagree
--------------------------------
* Foreground is every nonzero element, whatever the dtype: NaN included
  (``bool(nan)`` is True, and medpy counts it so too), and every nonzero
  byte of a bool array. `per_label` and the soft losses refuse NaN instead,
  as ``dicegui.core.io`` refuses masks holding it.
* Both masks empty (no foreground anywhere): ``dice = iou = 1.0``: perfect
  agreement on nothing (MONAI's ``DiceMetric(ignore_empty=False)`` does
  the same).
* Any other 0/0 (precision with no predicted voxel, specificity of a mask
  that fills the image, ...) is ``nan``: undefined, never silently 0 or 1.
* Volume similarity is ``1 - |FN - FP| / (2TP + FP + FN)`` (1 = equal
  volumes); ITK's signed ``VolumeSimilarity`` ``v`` maps to it as ``1 - |v|/2``.

Speed
-----
The volumes are walked once, in cache-sized chunks, so no full-size
temporary is ever created. Binary counts take ``np.count_nonzero`` of each
chunk of both masks and of their logical AND while the chunk is in cache;
bool and integer chunks are counted as they are, without converting them.
Label maps are first reduced to the blocks that hold any
foreground: background-only blocks can only ever be (0, 0) pairs, whose
count follows from the total, so label statistics are computed on the few
blocks that matter, for all labels at once.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

OVERLAP_KEYS = (
    "tp", "fp", "fn", "tn",
    "dice", "iou", "accuracy", "precision", "sensitivity", "specificity",
    "volume_similarity",
)

# Elements per chunk: the binary pass's inputs and bool scratch rows, and the
# soft losses' two float64 rows, stay inside a 1 MB L2 cache.
_CHUNK = 1 << 17
# Label maps: elements per chunk, elements per foreground-detection block
# (half a 512-wide image row), and capacity of the foreground staging
# buffers (staged maps and two masks stay in a 1 MB L2 cache).
_LABEL_CHUNK = 1 << 18
_BLOCK = 256
_STAGE = 1 << 18
# Up to this many label values, count with one comparison per label;
# above it a joint histogram (np.bincount) is cheaper.
_DENSE_LABELS = 8
# Largest label for the joint-histogram path (table of _MAX_TABLE**2 bins).
_MAX_TABLE = 2048
# ... and only while the table has at most this many bins per counted
# element: beyond that, building and summing the table costs more than
# sorting the pairs (measured break-even ~8-16 on 2**14..2**18 elements).
_TABLE_PER_ELEMENT = 8
_MAX_LABEL = 2**32 - 1

_NUMERIC_KINDS = "biufc"
_SIGMOID_ADVICE = "apply a sigmoid or softmax first"


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
        sensitivity, specificity, volume_similarity`` (float), following the
        module's conventions (both empty: dice = iou = 1; other 0/0: nan).

    Examples
    --------
    >>> s = scores_from_counts(tp=3, fp=1, fn=2, tn=4)
    >>> s["dice"], round(s["iou"], 4), s["precision"]
    (0.6666666666666666, 0.5, 0.75)
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


# ---------------------------------------------------------------------------
# input checks and chunked traversal


def _check_shapes(gt: np.ndarray, pred: np.ndarray, names=("gt", "pred")) -> None:
    if gt.shape != pred.shape:
        a, b = names
        raise ValueError(
            f"{a} and {b} differ in shape: {a} {gt.shape} vs {b} {pred.shape}"
        )


def _numeric(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"{name} must hold numbers, not dtype {arr.dtype}")
    return arr


def _align_layout(a: np.ndarray, b: np.ndarray, ref: np.ndarray):
    """Flip and permute the axes of ``a`` and ``b`` alike so that ``ref`` is
    walked in memory order. Counts do not depend on element order, only on
    the pairing of elements, which a common flip/permutation keeps."""
    flips = tuple(ax for ax, st in enumerate(ref.strides) if st < 0)
    if flips:
        a, b, ref = np.flip(a, flips), np.flip(b, flips), np.flip(ref, flips)
    order = sorted(range(ref.ndim), key=lambda ax: -ref.strides[ax])
    return a.transpose(order), b.transpose(order)


def _paired_chunks(a: np.ndarray, b: np.ndarray, size: int):
    """Yield matching views ``(a_part, b_part)`` of at most ``size`` elements
    that together cover both arrays once. Contiguous inputs give 1-D slices;
    other layouts give N-d blocks cut along the leading axes."""
    if a.size == 0:
        return
    if a.ndim == 0:
        a, b = a.reshape(1), b.reshape(1)
    if not (a.flags.c_contiguous and b.flags.c_contiguous):
        # follow the memory order of an array that has one, gt first
        a_plain = a.flags.c_contiguous or a.flags.f_contiguous
        b_plain = b.flags.c_contiguous or b.flags.f_contiguous
        a, b = _align_layout(a, b, b if b_plain and not a_plain else a)
    if a.flags.c_contiguous and b.flags.c_contiguous:
        af, bf = a.reshape(-1), b.reshape(-1)
        for start in range(0, af.size, size):
            yield af[start:start + size], bf[start:start + size]
        return
    shape = a.shape
    inner, k = 1, a.ndim
    while k > 0 and inner * shape[k - 1] <= size:
        inner *= shape[k - 1]
        k -= 1
    if k == 0:
        yield a, b
        return
    step = max(1, size // inner)
    for outer in np.ndindex(*shape[:k - 1]):
        for j in range(0, shape[k - 1], step):
            index = outer + (slice(j, j + step),)
            yield a[index], b[index]


def _flat_copy(chunk: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """``chunk`` as a contiguous 1-D array (a view when possible)."""
    if chunk.flags.c_contiguous:
        return chunk.reshape(-1)
    out = buf[:chunk.size]
    np.copyto(out.reshape(chunk.shape), chunk)
    return out


# ---------------------------------------------------------------------------
# binary overlap


def _nonzero_chunk(chunk: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """A contiguous 1-D array with the same nonzero elements as ``chunk``.

    Contiguous bool and integer chunks are returned as they are (a view):
    ``np.count_nonzero`` and ``np.logical_and`` read any nonzero value, and
    any nonzero byte of a bool, as True. Others become ``chunk != 0`` in ``buf``.
    """
    if chunk.flags.c_contiguous and chunk.dtype.kind in "biu":
        return chunk.reshape(-1)
    out = buf[:chunk.size]
    np.not_equal(chunk, 0, out=out.reshape(chunk.shape))
    return out


def _binary_counts(gt: np.ndarray, pred: np.ndarray) -> tuple[int, int, int]:
    """Return ``(|gt & pred|, |gt|, |pred|)`` over the nonzero elements.

    Bool arrays are never read as raw bytes: one whose bytes are not all 0/1
    (``np.frombuffer``, ``uint8_array.view(bool)``) counts every nonzero byte
    as True, as NumPy does.
    """
    size = max(1, min(_CHUNK, gt.size))
    g_buf, p_buf, both_buf = np.empty((3, size), np.bool_)
    tp = n_gt = n_pred = 0
    if gt.flags.c_contiguous and pred.flags.c_contiguous:
        # plain slices: per-chunk Python overhead is a measurable share of a
        # pass at memory speed
        g_flat, p_flat = gt.reshape(-1), pred.reshape(-1)
        pairs = ((g_flat[s:s + size], p_flat[s:s + size]) for s in range(0, g_flat.size, size))
    else:
        pairs = _paired_chunks(gt, pred, size)
    for gc, pc in pairs:
        g = _nonzero_chunk(gc, g_buf)
        p = _nonzero_chunk(pc, p_buf)
        n_gt += np.count_nonzero(g)
        n_pred += np.count_nonzero(p)
        tp += np.count_nonzero(np.logical_and(g, p, out=both_buf[:g.size]))
    return int(tp), int(n_gt), int(n_pred)


def overlap(gt, pred) -> dict:
    """Confusion counts and overlap scores of two masks.

    Parameters
    ----------
    gt, pred : array_like
        Ground-truth and predicted masks of the same shape, any numeric dtype
        (bool, integer, float); every nonzero element is foreground. Views
        (transposes, flips, strided slices) are read in place, never copied
        whole.

    Returns
    -------
    dict
        ``tp, fp, fn, tn`` (int) and ``dice, iou, accuracy, precision,
        sensitivity, specificity, volume_similarity`` (float); see
        `scores_from_counts`. Both masks empty gives ``dice = iou = 1.0``;
        any other 0/0 gives ``nan``.

    Raises
    ------
    ValueError
        If the shapes differ (the message names both shapes) or an input does
        not hold numbers.

    Notes
    -----
    One pass over memory in cache-sized chunks with no full-size temporary.
    NaN is nonzero, so it counts as foreground (as ``bool(nan)`` and
    medpy's ``astype(bool)`` do); loaded masks never hold NaN, since
    ``dicegui.core.io`` refuses them, while `per_label` and the soft losses
    raise on it. A bool array whose bytes are not all 0/1 (from
    ``np.frombuffer`` or a ``.view(bool)``) counts every nonzero byte as True.

    Examples
    --------
    A 0.1 % target missed entirely: accuracy looks excellent, Dice is 0.

    >>> gt = np.zeros(1000, bool); gt[0] = True
    >>> s = overlap(gt, np.zeros(1000, bool))
    >>> s["accuracy"], s["dice"], s["fn"]
    (0.999, 0.0, 1)
    """
    gt = _numeric(gt, "gt")
    pred = _numeric(pred, "pred")
    _check_shapes(gt, pred)
    tp, n_gt, n_pred = _binary_counts(gt, pred)
    fp = n_pred - tp
    fn = n_gt - tp
    return scores_from_counts(tp, fp, fn, gt.size - tp - fp - fn)


# ---------------------------------------------------------------------------
# per-label overlap


class _LabelTally:
    """Running per-label counts over the foreground of two label maps.

    ``n_gt[k]``, ``n_pred[k]``, ``tp[k]`` for labels k >= 1, and ``union``,
    the number of elements nonzero in either map. Background counts follow
    from the total size.
    """

    def __init__(self):
        self.n_gt: dict[int, int] = {}
        self.n_pred: dict[int, int] = {}
        self.tp: dict[int, int] = {}
        self.union = 0

    @staticmethod
    def _add(target: dict, labels, counts) -> None:
        for k, c in zip(labels, counts):
            if c:
                k = int(k)
                target[k] = target.get(k, 0) + int(c)

    def add_table(self, table: np.ndarray) -> None:
        """Add a joint histogram ``table[g, p]`` (row/col 0 = background)."""
        rows = table.sum(axis=1)
        cols = table.sum(axis=0)
        diag = np.diagonal(table)
        idx = np.arange(table.shape[0])
        self._add(self.n_gt, idx[1:], rows[1:])
        self._add(self.n_pred, idx[1:], cols[1:])
        self._add(self.tp, idx[1:], diag[1:])
        self.union += int(table.sum() - table[0, 0])

    def add_pairs(self, g: np.ndarray, p: np.ndarray, counts: np.ndarray) -> None:
        """Add counts of distinct nonzero pairs ``(g[i], p[i])``."""
        for vals, target in ((g, self.n_gt), (p, self.n_pred)):
            keys, inverse = np.unique(vals, return_inverse=True)
            sums = np.zeros(keys.size, np.int64)
            np.add.at(sums, inverse, counts)
            nz = keys != 0
            self._add(target, keys[nz], sums[nz])
        same = (g == p) & (g != 0)
        self._add(self.tp, g[same], counts[same])
        self.union += int(counts.sum())


def _label_values(a: np.ndarray, name: str) -> np.ndarray:
    """Check a staged piece of a label map and return it as integers."""
    kind = a.dtype.kind
    if kind == "b":
        # not a.view(uint8): any nonzero byte of a bool is True, i.e. label 1
        return np.not_equal(a, False).view(np.uint8)
    if kind == "c":
        raise ValueError(f"{name} label map must be real-valued, not {a.dtype}")
    if a.size == 0:
        return a
    # Python scalars: comparing a float16 with 2**32 - 1 would cast the bound
    # to float16 (overflow warning); a uint64 compares exactly as an int
    lo, hi = a.min().item(), a.max().item()
    if kind == "f":
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"{name} label map contains NaN or infinite values")
    if lo < 0:
        raise ValueError(f"{name} label map has negative values (min {lo}); labels must be >= 0")
    if hi > _MAX_LABEL:
        raise ValueError(f"{name} label map has values above {_MAX_LABEL} (max {hi})")
    if kind == "f":
        ints = a.astype(np.int64)
        if np.any(ints != a):
            bad = a[ints != a][0]
            raise ValueError(
                f"{name} label map has non-integer values (e.g. {bad}); labels must be whole numbers"
            )
        return ints
    return a


def _joint_table(g: np.ndarray, p: np.ndarray, size: int) -> np.ndarray:
    """Joint histogram ``table[g, p]`` of label values below ``size``."""
    codes = g.astype(np.intp)
    codes *= size
    np.add(codes, p, out=codes, casting="unsafe")  # values < size <= _MAX_TABLE
    return np.bincount(codes, minlength=size * size).reshape(size, size)


def _tally_few_labels(g: np.ndarray, p: np.ndarray, top: int, tally: _LabelTally) -> None:
    """Count labels 1..top with whole-array comparisons (no histogram)."""
    mask = np.empty(g.size, np.bool_)
    differ = np.not_equal(g, p, out=mask)
    n_differ = np.count_nonzero(differ)
    size = top + 1
    if n_differ * 8 <= g.size:  # compaction pays off below ~1/8 disagreement
        # Where the maps agree only the gt histogram is needed; the few
        # disagreeing pairs get a joint histogram. Then per label one
        # comparison: tp_k = |gt == k| - (disagreements in gt row k).
        where = np.flatnonzero(differ)
        table = _joint_table(g[where], p[where], size)
        for k in range(1, size):
            n_gt = np.count_nonzero(np.equal(g, k, out=mask))
            table[k, k] = n_gt - table[k].sum()
        table[0, 0] = 0
        tally.add_table(table)
        return
    other = np.empty(g.size, np.bool_)
    counts = np.zeros((3, size), np.int64)
    for k in range(1, size):
        np.equal(g, k, out=mask)
        np.equal(p, k, out=other)
        counts[0, k] = np.count_nonzero(mask)
        counts[1, k] = np.count_nonzero(other)
        counts[2, k] = np.count_nonzero(np.bitwise_and(mask, other, out=mask))
    ks = range(1, size)
    tally._add(tally.n_gt, ks, counts[0, 1:])
    tally._add(tally.n_pred, ks, counts[1, 1:])
    tally._add(tally.tp, ks, counts[2, 1:])
    np.not_equal(g, 0, out=mask)
    np.not_equal(p, 0, out=other)
    tally.union += int(np.count_nonzero(np.bitwise_or(mask, other, out=mask)))


def _tally_staged(g: np.ndarray, p: np.ndarray, tally: _LabelTally) -> None:
    """Count labels on staged foreground elements (all labels at once)."""
    g = _label_values(g, "gt")
    p = _label_values(p, "pred")
    top = int(max(g.max(), p.max()))
    if top == 0:
        return
    if top <= _DENSE_LABELS:
        _tally_few_labels(g, p, top, tally)
    elif top < _MAX_TABLE and (top + 1) ** 2 <= _TABLE_PER_ELEMENT * g.size:
        tally.add_table(_joint_table(g, p, top + 1))
    else:
        # large or sparse label values: count distinct (gt, pred) pairs
        codes = g.astype(np.uint64) << np.uint64(32)
        codes |= p.astype(np.uint64)
        codes = codes[codes != 0]
        pairs, counts = np.unique(codes, return_counts=True)
        tally.add_pairs(pairs >> np.uint64(32), pairs & np.uint64(_MAX_LABEL), counts)


class _Stager:
    """Collects the foreground blocks of both maps and tallies them in batches."""

    def __init__(self, gdtype, pdtype, capacity: int, count):
        self.g = np.empty(capacity, gdtype)
        self.p = np.empty(capacity, pdtype)
        self.capacity = capacity
        self.used = 0
        self.count = count

    def _room(self, n: int) -> slice:
        if self.used + n > self.capacity:
            self.drain()
        s = slice(self.used, self.used + n)
        self.used += n
        return s

    def add_blocks(self, g2d: np.ndarray, p2d: np.ndarray, rows: np.ndarray) -> None:
        width = g2d.shape[1]
        s = self._room(rows.size * width)
        np.take(g2d, rows, axis=0, out=self.g[s].reshape(rows.size, width))
        np.take(p2d, rows, axis=0, out=self.p[s].reshape(rows.size, width))

    def add(self, g: np.ndarray, p: np.ndarray) -> None:
        s = self._room(g.size)
        self.g[s] = g
        self.p[s] = p

    def drain(self) -> None:
        if self.used:
            self.count(self.g[:self.used], self.p[:self.used])
            self.used = 0


def _bits(a: np.ndarray) -> np.ndarray:
    """View a 1-D array as unsigned integers of the same width (zero <=> no bits)."""
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def _block_rows(bits: np.ndarray, nblocks: int) -> np.ndarray:
    """Per block of ``_BLOCK`` elements: OR of all bits (nonzero = any foreground)."""
    words = bits[:nblocks * _BLOCK]
    if words.nbytes % (8 * nblocks) == 0:
        words = words.view(np.uint64)
    return np.bitwise_or.reduce(words.reshape(nblocks, -1), axis=1)


def _tally_labels(gt: np.ndarray, pred: np.ndarray) -> _LabelTally:
    tally = _LabelTally()
    _walk_foreground(gt, pred, lambda g, p: _tally_staged(g, p, tally))
    return tally


def _walk_foreground(gt: np.ndarray, pred: np.ndarray, count) -> None:
    """Call ``count(g, p)`` on paired 1-D pieces of two equally shaped maps
    that hold every element nonzero in either map (and some background).

    Blocks of ``_BLOCK`` elements that are zero in both maps are skipped:
    they can only hold (0, 0) pairs, whose number follows from the total
    size minus the elements counted. The pieces are raw values (validate
    them with `_label_values`) and buffers reused after ``count`` returns.
    """
    if gt.size == 0:
        return
    chunk = max(_BLOCK, (_LABEL_CHUNK // _BLOCK) * _BLOCK)
    stager = _Stager(gt.dtype, pred.dtype, max(_STAGE, chunk), count)
    gbuf = np.empty(min(chunk, gt.size), gt.dtype)
    pbuf = np.empty(min(chunk, gt.size), pred.dtype)
    same_width = gt.dtype.itemsize == pred.dtype.itemsize
    fg = np.empty(min(chunk, gt.size), f"u{gt.dtype.itemsize}") if same_width else None
    for gc, pc in _paired_chunks(gt, pred, chunk):
        g = _flat_copy(gc, gbuf)
        p = _flat_copy(pc, pbuf)
        nblocks = g.size // _BLOCK
        head = nblocks * _BLOCK
        if nblocks:
            if same_width:
                both = np.bitwise_or(_bits(g[:head]), _bits(p[:head]), out=fg[:head])
                # a cheap whole-chunk test spares the per-block reduction on
                # background-only chunks (most chunks of most volumes)
                any_fg = _block_rows(both, nblocks) if both.max() else None
            else:
                any_fg = _block_rows(_bits(g[:head]), nblocks) | _block_rows(_bits(p[:head]), nblocks)
            rows = np.flatnonzero(any_fg) if any_fg is not None else ()
            if 2 * len(rows) > nblocks:
                # mostly foreground: counting in place beats gathering
                count(g, p)
                continue
            if len(rows):
                stager.add_blocks(g[:head].reshape(nblocks, _BLOCK), p[:head].reshape(nblocks, _BLOCK), rows)
        if head < g.size:
            stager.add(g[head:], p[head:])
    stager.drain()


def _requested_labels(labels) -> list[int]:
    """Validate ``labels`` (an int or an iterable of ints) and drop repeats."""
    if isinstance(labels, np.ndarray):
        items = labels.ravel().tolist() if labels.ndim <= 1 else [labels]
    elif isinstance(labels, (str, bytes)):
        items = [labels]
    elif isinstance(labels, (set, frozenset)):
        items = list(labels)  # no order of its own: score ascending
        if all(isinstance(v, numbers.Real) for v in items):
            items.sort()
    else:
        try:
            items = list(labels)
        except TypeError:
            items = [labels]
    out = []
    for v in items:
        whole = (isinstance(v, numbers.Integral)
                 or (isinstance(v, numbers.Real) and float(v).is_integer()))
        if isinstance(v, (bool, np.bool_)) or not whole:
            raise ValueError(f"labels must be whole numbers >= 0, got {v!r}")
        if v < 0:
            raise ValueError(f"labels must be >= 0, got {v!r}")
        out.append(int(v))
    return list(dict.fromkeys(out))


def per_label(gt, pred, labels=None) -> dict:
    """Overlap scores of every label of two integer label maps, in one pass.

    Parameters
    ----------
    gt, pred : array_like
        Label maps of the same shape: integer, bool, or float arrays holding
        whole numbers >= 0. Value 0 is background.
    labels : int or iterable of int, optional
        Labels to score, in this order (repeats dropped). Default: every
        nonzero value present in either map, ascending. Background (0) is
        scored only if listed.

    Returns
    -------
    dict
        ``{"labels": {k: scores}, "mean_dice": float, "mean_iou": float}``
        with Python ``int`` keys. Each ``scores`` is the `overlap` dictionary
        of ``gt == k`` against ``pred == k`` plus ``"absent"``: True when the
        label occurs in neither map (its dice/iou are then 1.0 by the
        both-empty convention). Absent labels are left out of the means; the
        mean over no label is ``nan``.

    Raises
    ------
    ValueError
        If the shapes differ, a map holds negative, non-integer, NaN or
        infinite values (or values above 2**32 - 1), or ``labels`` holds
        anything other than whole numbers >= 0.

    Notes
    -----
    One pass over the data for all labels: blocks of 256 elements with no
    foreground in either map are skipped (they can only hold background
    pairs, whose count follows from the total); the rest are gathered and
    counted for all labels together, with one comparison per label for up to
    8 label values, a joint histogram (``np.bincount``) beyond that, and a
    count of distinct (gt, pred) pairs where that histogram would be large.

    Examples
    --------
    >>> gt = np.array([0, 1, 1, 2, 2, 0])
    >>> pred = np.array([0, 1, 2, 2, 2, 3])
    >>> r = per_label(gt, pred)
    >>> sorted(r["labels"]), round(r["labels"][2]["dice"], 4), r["labels"][3]["dice"]
    ([1, 2, 3], 0.8, 0.0)
    >>> per_label(gt, pred, labels=[1, 7])["labels"][7]["absent"]
    True
    """
    gt = _numeric(gt, "gt")
    pred = _numeric(pred, "pred")
    _check_shapes(gt, pred)
    for arr, name in ((gt, "gt"), (pred, "pred")):
        if arr.dtype.kind == "c":
            raise ValueError(f"{name} label map must be real-valued, not {arr.dtype}")
    wanted = None if labels is None else _requested_labels(labels)
    tally = _tally_labels(gt, pred)
    n = gt.size
    if wanted is None:
        wanted = sorted(set(tally.n_gt) | set(tally.n_pred))

    scores = {}
    for k in wanted:
        if k == 0:
            n_gt = n - sum(tally.n_gt.values())
            n_pred = n - sum(tally.n_pred.values())
            tp = n - tally.union
        else:
            n_gt = tally.n_gt.get(k, 0)
            n_pred = tally.n_pred.get(k, 0)
            tp = tally.tp.get(k, 0)
        fp, fn = n_pred - tp, n_gt - tp
        entry = scores_from_counts(tp, fp, fn, n - tp - fp - fn)
        entry["absent"] = n_gt + n_pred == 0
        scores[k] = entry
    present = [s for s in scores.values() if not s["absent"]]
    return {
        "labels": scores,
        "mean_dice": float(np.mean([s["dice"] for s in present])) if present else float("nan"),
        "mean_iou": float(np.mean([s["iou"] for s in present])) if present else float("nan"),
    }


# ---------------------------------------------------------------------------
# soft Dice and losses on probabilities


def _float_chunk(chunk: np.ndarray, buf: np.ndarray) -> np.ndarray:
    out = buf[:chunk.size]
    np.copyto(out.reshape(chunk.shape), chunk, casting="unsafe")
    return out


def _check_unit_interval(values: np.ndarray, name: str) -> None:
    lo, hi = float(values.min()), float(values.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if lo < 0 or hi > 1:
        # repr, not :g, so that an overshoot such as 1.0000001 shows as such
        span = f"[{lo!r}, {hi!r}]"
        if name == "prob":
            raise ValueError(
                f"prob must lie in [0, 1] but spans {span}: these look like logits; "
                f"{_SIGMOID_ADVICE}"
            )
        raise ValueError(f"{name} must lie in [0, 1] but spans {span}")


def _soft_inputs(prob, target):
    prob = _numeric(prob, "prob")
    target = _numeric(target, "target")
    for arr, name in ((prob, "prob"), (target, "target")):
        if arr.dtype.kind == "c":
            raise ValueError(f"{name} must be real-valued, not {arr.dtype}")
    _check_shapes(prob, target, names=("prob", "target"))
    return prob, target


def _float_chunks(prob: np.ndarray, target: np.ndarray):
    """Yield validated float64 chunks ``(p, t)`` of both arrays."""
    size = max(1, min(_CHUNK, prob.size))
    pbuf = np.empty(size, np.float64)
    tbuf = np.empty(size, np.float64)
    for pc, tc in _paired_chunks(prob, target, size):
        p = _float_chunk(pc, pbuf)
        t = _float_chunk(tc, tbuf)
        _check_unit_interval(p, "prob")
        _check_unit_interval(t, "target")
        yield p, t


def _soft_sums(prob: np.ndarray, target: np.ndarray) -> tuple[float, float, float]:
    """Return ``(sum p, sum t, sum p*t)`` accumulated in float64."""
    sp = st = spt = 0.0
    for p, t in _float_chunks(prob, target):
        sp += float(p.sum())
        st += float(t.sum())
        spt += float(np.dot(p, t))
    return sp, st, spt


def _check_smooth(smooth) -> float:
    smooth = float(smooth)
    if not (math.isfinite(smooth) and smooth >= 0):
        raise ValueError(f"smooth must be a finite number >= 0, got {smooth!r}")
    return smooth


def _check_eps(eps) -> float:
    eps = float(eps)
    if not (0 < eps < 0.5):
        raise ValueError(f"eps must lie in (0, 0.5), got {eps!r}")
    return eps


def soft_dice(prob, target, smooth=1e-5) -> float:
    """Soft Dice coefficient of probabilities against a (soft) target.

    Computes exactly ``(2 * sum(p * t) + smooth) / (sum(p) + sum(t) + smooth)``
    over all elements, accumulating in float64.

    Parameters
    ----------
    prob : array_like
        Predicted probabilities in [0, 1] (after a sigmoid or softmax).
    target : array_like
        Target of the same shape, values in [0, 1] (usually 0/1).
    smooth : float, optional
        Added to numerator and denominator; >= 0. With the default, two empty
        masks score 1.

    Returns
    -------
    float
        Soft Dice in [0, 1] (``nan`` for two empty inputs with ``smooth=0``).

    Raises
    ------
    ValueError
        If shapes differ, ``prob`` lies outside [0, 1] (logits: apply a
        sigmoid or softmax first), ``target`` lies outside [0, 1], or either
        contains NaN or infinity.

    Examples
    --------
    >>> soft_dice([0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0], smooth=0)  # 3.4 / 3.9
    0.8717948717948718
    >>> soft_dice(np.zeros(5), np.zeros(5))
    1.0
    """
    prob, target = _soft_inputs(prob, target)
    smooth = _check_smooth(smooth)
    sp, st, spt = _soft_sums(prob, target)
    den = sp + st + smooth
    return (2.0 * spt + smooth) / den if den else float("nan")


def dice_loss(prob, target, smooth=1e-5) -> float:
    """Soft Dice loss, ``1 - soft_dice(prob, target, smooth)``.

    Parameters
    ----------
    prob, target, smooth
        As in `soft_dice`.

    Returns
    -------
    float
        Loss in [0, 1]; 0 only for a perfect (hard, matching) prediction.

    Raises
    ------
    ValueError
        As `soft_dice` (logits: apply a sigmoid or softmax first).

    Examples
    --------
    Confident, correct-looking probabilities still leave a sizeable loss:
    with sum(p*t) = 1.7, sum(p) = 1.9 and sum(t) = 2 the loss is
    1 - 3.4/3.9 = 0.128205..., not "close to 0".

    >>> round(dice_loss([0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0]), 6)
    0.128205
    """
    return 1.0 - soft_dice(prob, target, smooth)


def bce(prob, target, eps=1e-7) -> float:
    """Mean binary cross-entropy with clipped probabilities.

    ``-mean(t * log(q) + (1 - t) * log(1 - q))`` with ``q = clip(p, eps, 1 - eps)``,
    accumulated in float64.

    Parameters
    ----------
    prob : array_like
        Predicted probabilities in [0, 1].
    target : array_like
        Target of the same shape, values in [0, 1].
    eps : float, optional
        Clipping margin in (0, 0.5); keeps ``log`` finite at p = 0 or 1.

    Returns
    -------
    float
        Mean BCE in nats (``nan`` for empty inputs).

    Raises
    ------
    ValueError
        As `soft_dice` (logits: apply a sigmoid or softmax first), or a bad
        ``eps``.

    Examples
    --------
    >>> round(bce([0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0]), 6)  # -(3 ln 0.9 + ln 0.8) / 4
    0.134806
    """
    prob, target = _soft_inputs(prob, target)
    eps = _check_eps(eps)
    if prob.size == 0:
        return float("nan")
    total = 0.0
    for p, t in _float_chunks(prob, target):
        q = np.clip(p, eps, 1.0 - eps, out=p)
        # p is a scratch copy, so it may be overwritten
        total += float(np.dot(t, np.log(q)))
        total += float(np.dot(1.0 - t, np.log1p(-q)))
    return -total / prob.size


def combo_loss(prob, target, lambda_dice=1.0, lambda_ce=1.0, smooth=1e-5) -> float:
    """Weighted sum of soft Dice loss and mean BCE.

    ``lambda_dice * dice_loss(prob, target, smooth) + lambda_ce * bce(prob, target)``
    (BCE with its default ``eps = 1e-7``).

    Parameters
    ----------
    prob, target : array_like
        As in `soft_dice`.
    lambda_dice, lambda_ce : float, optional
        Weights of the two terms.
    smooth : float, optional
        Passed to `dice_loss`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As `soft_dice`, or non-finite weights.

    Examples
    --------
    >>> p, t = [0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0]
    >>> round(combo_loss(p, t), 6)  # 0.128205 + 0.134806
    0.263011
    """
    lambda_dice, lambda_ce = float(lambda_dice), float(lambda_ce)
    if not (math.isfinite(lambda_dice) and math.isfinite(lambda_ce)):
        raise ValueError("lambda_dice and lambda_ce must be finite numbers")
    return lambda_dice * dice_loss(prob, target, smooth) + lambda_ce * bce(prob, target)


def dice_loss_grad(prob, target, smooth=1e-5) -> np.ndarray:
    """Gradient of `dice_loss` with respect to every probability.

    With ``I = sum(p*t)``, ``S = sum(p) + sum(t) + smooth``:
    ``d loss / d p_i = (2*I + smooth - 2 * t_i * S) / S**2``.

    Parameters
    ----------
    prob, target, smooth
        As in `soft_dice`.

    Returns
    -------
    numpy.ndarray
        float64 array of ``prob``'s shape.

    Raises
    ------
    ValueError
        As `soft_dice`.

    Examples
    --------
    Raising a probability where the target is 1 lowers the loss (negative
    gradient); where the target is 0 it raises it:

    >>> g = dice_loss_grad([0.9, 0.1, 0.8, 0.1], [1, 0, 1, 0], smooth=0)
    >>> bool(g[0] < 0 < g[1])
    True
    """
    prob, target = _soft_inputs(prob, target)
    smooth = _check_smooth(smooth)
    sp, st, spt = _soft_sums(prob, target)
    s = sp + st + smooth
    t = np.asarray(target, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (2.0 * spt + smooth - 2.0 * s * t) / (s * s)


def bce_grad(prob, target, eps=1e-7) -> np.ndarray:
    """Gradient of the mean `bce` with respect to every probability.

    ``d bce / d p_i = (q_i - t_i) / (n * q_i * (1 - q_i))`` with
    ``q = clip(p, eps, 1 - eps)`` and ``n`` the number of elements.

    Clipping is applied to the probability inside the formula but is *not*
    differentiated: where ``p < eps`` or ``p > 1 - eps`` the loss itself is
    flat (clipped), yet the gradient returned is the large one at the clip
    point, not 0. That is what training frameworks do to keep a confidently
    wrong pixel pushing back, and what a teaching display should show. Inside
    ``[eps, 1 - eps]`` it is the exact derivative.

    Parameters
    ----------
    prob, target, eps
        As in `bce`.

    Returns
    -------
    numpy.ndarray
        float64 array of ``prob``'s shape.

    Raises
    ------
    ValueError
        As `bce`.

    Examples
    --------
    >>> bce_grad([0.5, 0.5], [1, 0]).tolist()  # (0.5 - t) / (2 * 0.25)
    [-1.0, 1.0]
    """
    prob, target = _soft_inputs(prob, target)
    eps = _check_eps(eps)
    for _ in _float_chunks(prob, target):
        pass  # validation only
    q = np.clip(np.asarray(prob, np.float64), eps, 1.0 - eps)
    t = np.asarray(target, np.float64)
    return (q - t) / (q * (1.0 - q) * max(prob.size, 1))
