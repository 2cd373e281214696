"""One mask edited in place, with its labels' voxel counts kept up to date.

:class:`~dicegui.core.live.LiveScore` needs a reference and a prediction: its
counts are confusion counts of the pair. The everyday correction case has
only one of them ("fix this AI mask", or a new segmentation drawn from
scratch), and that mask still has to be painted, undone and measured.
:class:`MaskStore` offers LiveScore's editing interface (``apply(which,
index, values)`` returning the previous values, ``gt``/``pred`` with the
absent one None) so that :mod:`dicegui.core.edits` and the undo history work
on it unchanged.

What it maintains is the voxel count of every value of the mask, so the
window can show each label's volume while a person paints. As in LiveScore a
dab changes a few hundred voxels: the counts move by the values that left and
the values that arrived at the changed voxels only, never by a pass over the
volume. Scores that need both masks (:meth:`overlap`, :meth:`per_label`) are
None, and callers check.
"""
from __future__ import annotations

import numpy as np

_WHICH = ("gt", "pred")
# Integer value ranges up to this width are tallied with np.bincount (no sort).
_BINCOUNT_RANGE = 1 << 16
# Elements per slab of the constructor's count: bounds its temporaries.
_CHUNK_ELEMENTS = 1 << 22


class MaskStore:
    """A single mask (reference or prediction) and the voxel count of each of its values.

    Parameters
    ----------
    gt, pred : numpy.ndarray or None
        Exactly one of them is an array (any number dtype, at least 1-D);
        it is kept by reference and edited in place by :meth:`apply`.

    Raises
    ------
    TypeError
        If the given mask is not a NumPy array.
    ValueError
        If both or neither mask is given, the array is 0-d or does not hold
        numbers.

    Examples
    --------
    >>> pred = np.zeros((2, 3, 3), np.uint8)
    >>> store = MaskStore(pred=pred)
    >>> previous = store.apply("pred", (0, slice(0, 2), slice(0, 2)), 3)
    >>> store.label_counts()
    {3: 4}
    >>> _ = store.apply("pred", (0, slice(0, 2), slice(0, 2)), previous)  # undo
    >>> store.label_counts()
    {}
    """

    def __init__(self, gt: np.ndarray | None = None, pred: np.ndarray | None = None):
        given = [(w, a) for w, a in (("gt", gt), ("pred", pred)) if a is not None]
        if len(given) != 1:
            raise ValueError(
                "MaskStore holds exactly one mask; use LiveScore for a reference and a prediction"
                if given else "MaskStore needs a reference or a prediction mask, got neither"
            )
        which, arr = given[0]
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"MaskStore edits the mask in place and needs a NumPy array; {which} is "
                            f"{type(arr).__name__}")
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{which} must hold numbers, not dtype {arr.dtype}")
        if arr.ndim == 0:
            raise ValueError("MaskStore needs an array with at least one axis, got a 0-d array")
        self.which = which
        self._mask = arr
        self._counts: dict = {}
        _tally_in_chunks(self._counts, arr)

    # ------------------------------------------------------------------ access
    @property
    def gt(self) -> np.ndarray | None:
        """The reference mask (edited in place), or None when the store holds the prediction."""
        return self._mask if self.which == "gt" else None

    @property
    def pred(self) -> np.ndarray | None:
        """The prediction mask (edited in place), or None when the store holds the reference."""
        return self._mask if self.which == "pred" else None

    @property
    def size(self) -> int:
        """Number of elements of the mask."""
        return int(self._mask.size)

    def label_counts(self) -> dict:
        """``{label: voxels}`` of every nonzero value the mask holds now (sorted by label)."""
        labels = sorted(k for k in self._counts if k != 0 and not isinstance(k, str))
        return {k: self._counts[k] for k in labels}

    def foreground(self) -> int:
        """Number of nonzero elements (NaN counts as foreground, as in the metrics)."""
        return self.size - int(self._counts.get(0, 0))

    def overlap(self):
        """None: overlap scores need a reference and a prediction."""
        return None

    def per_label(self, labels=None):
        """None: per-label overlap needs a reference and a prediction."""
        return None

    # ------------------------------------------------------------------- edits
    def apply(self, which: str, index, values) -> np.ndarray:
        """Write ``values`` into the mask at ``index`` and update the value counts.

        Parameters
        ----------
        which : {"gt", "pred"}
            Must name the mask the store holds.
        index : tuple
            Anything NumPy accepts for item assignment (box, integer index
            arrays with repeats, boolean mask).
        values : scalar or array_like
            Broadcastable to ``mask[index]``, cast as NumPy casts it.

        Returns
        -------
        numpy.ndarray
            A copy of ``mask[index]`` before the write: ``apply(which, index,
            previous)`` undoes the edit bit for bit.

        Raises
        ------
        ValueError
            If ``which`` is not the mask this store holds.
        """
        if which != self.which:
            missing = {"gt": "reference", "pred": "prediction"}.get(which)
            if missing is None:
                raise ValueError(f"which must be 'gt' or 'pred', got {which!r}")
            raise ValueError(f"there is no {missing} mask to edit; this case holds only the "
                             f"{'reference' if self.which == 'gt' else 'prediction'}")
        mask = self._mask
        previous = np.asarray(mask[index])
        if np.may_share_memory(previous, mask):  # basic indexing gave a view: keep the old values
            previous = previous.copy()
        mask[index] = values
        stored = np.asarray(mask[index])  # NumPy's casting, and which write won at repeats
        changed = previous != stored
        if not np.any(changed):
            return previous
        old, new = previous[changed], stored[changed]
        old, new = _once_per_position(mask.shape, index, changed, old, new)
        _tally(self._counts, old, -1)
        _tally(self._counts, new, +1)
        return previous


# ---------------------------------------------------------------------- helpers
def _once_per_position(shape, index, changed, old, new):
    """Keep one entry per voxel when integer index arrays repeat a position.

    A repeated position reads back the same stored value each time, and its
    previous value is the same too, so any one copy stands for the voxel.
    """
    if not isinstance(index, tuple):
        index = (index,)
    if len(index) != len(shape) or not all(
        isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in index
    ):
        return old, new
    try:
        flat = np.ravel_multi_index(tuple(np.broadcast_arrays(*index)), shape, mode="wrap")
    except ValueError:
        return old, new
    flat = flat[changed]
    _, first = np.unique(flat, return_index=True)
    if first.size == flat.size:
        return old, new
    return old[first], new[first]


def _tally_in_chunks(counts: dict, arr: np.ndarray) -> None:
    """:func:`_tally` of a whole mask, slab by slab: a CT-sized map would otherwise need
    an index-sized (8 bytes per voxel) temporary."""
    if arr.ndim == 1 or arr.size <= _CHUNK_ELEMENTS:
        _tally(counts, arr, +1)
        return
    step = max(1, _CHUNK_ELEMENTS // max(1, arr.size // arr.shape[0]))
    for start in range(0, arr.shape[0], step):
        _tally(counts, arr[start:start + step], +1)


def _tally(counts: dict, values: np.ndarray, sign: int) -> None:
    """Add ``sign`` × the occurrences of each value to ``counts``; zero counts are removed."""
    values = np.asarray(values).ravel()
    if values.size == 0:
        return
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        n_nan = int(np.count_nonzero(nan))
        if n_nan:  # NaN != NaN: one string key instead of a new dict key per NaN
            _add(counts, "nan", sign * n_nan)
            values = values[~nan]
            if values.size == 0:
                return
    keys = hits = None
    if values.dtype.kind in "biu":
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < _BINCOUNT_RANGE:
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
    for key, n in zip(keys, hits.tolist()):
        _add(counts, key, sign * n)


def _add(counts: dict, key, delta: int) -> None:
    total = counts.get(key, 0) + delta
    if total:
        counts[key] = total
    else:
        counts.pop(key, None)
