"""Undo deltas: exactly the voxels one edit changed, with their values before and after.

An :class:`EditDelta` stores the bounding box of the change and, inside it,
the changed positions as flat C-order indices in the smallest unsigned dtype
that can address the box, plus the old and new values in the mask's dtype.
Its memory is proportional to the number of changed voxels (a radius-10 dab
of a binary mask costs about 4 bytes per voxel), never to the mask's size, so
a long editing session keeps thousands of undo steps in megabytes.

Undo and redo go through :meth:`dicegui.core.live.LiveScore.apply`, which
writes the values and updates every maintained count from the touched voxels
only, so the scores after undo/redo are exactly those of the restored arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_WHICH = ("gt", "pred")
_SCOPES = ("slice", "sphere", "volume")
_TOOL_NAMES = {
    "paint": "Paint",
    "erase": "Erase",
    "fill": "Fill",
    "fill_holes": "Fill holes",
    "remove_islands": "Remove islands",
    "interpolate": "Interpolate",
}


def _index_dtype(size: int) -> np.dtype:
    """Smallest unsigned dtype holding every flat index of a box of ``size`` voxels."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if size - 1 <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.uint64)


@dataclass(frozen=True, eq=False)
class EditDelta:
    """The voxels one edit (a stroke, a fill) changed in one mask.

    Attributes
    ----------
    which : {"gt", "pred"}
        The edited mask.
    start : tuple of int
        First corner of the bounding box of the change.
    extent : tuple of int
        Shape of that bounding box.
    positions : numpy.ndarray
        Sorted flat C-order indices of the changed voxels within the box,
        unsigned, as narrow as the box allows.
    old, new : numpy.ndarray
        Values at ``positions`` before and after the edit (mask dtype).
    label : int or None
        Active label of the edit (None for an eraser clearing every label).
    tool : str
        ``paint``, ``erase``, ``fill``, ``fill_holes``, ``remove_islands`` or ``interpolate``.
    axis, slice_index : int or None
        Slice the edit was made on (None for a whole-volume edit).
    scope : {"slice", "sphere", "volume"}
        In-plane edit, 3-D brush centred on the slice, or whole volume.
    """

    which: str
    start: tuple
    extent: tuple
    positions: np.ndarray
    old: np.ndarray
    new: np.ndarray
    label: int | None = None
    tool: str = "paint"
    axis: int | None = None
    slice_index: int | None = None
    scope: str = "slice"

    @classmethod
    def from_changes(cls, which: str, index, old, new, **meta) -> "EditDelta | None":
        """Build a delta from per-voxel coordinates and values; None if nothing changed.

        Parameters
        ----------
        which : {"gt", "pred"}
            The edited mask.
        index : tuple of numpy.ndarray
            One integer array of coordinates per axis (each position once).
        old, new : numpy.ndarray
            Values before and after, one per position. Positions where they
            are equal are dropped.
        **meta
            ``label``, ``tool``, ``axis``, ``slice_index``, ``scope``.

        Returns
        -------
        EditDelta or None
        """
        if which not in _WHICH:
            raise ValueError(f"which must be 'gt' or 'pred', got {which!r}")
        old = np.asarray(old)
        new = np.asarray(new)
        changed = old != new
        if not changed.any():
            return None
        coords = [np.asarray(c)[changed] for c in index]
        start = tuple(int(c.min()) for c in coords)
        extent = tuple(int(c.max()) - s + 1 for c, s in zip(coords, start))
        flat = np.ravel_multi_index(tuple(c - s for c, s in zip(coords, start)), extent)
        order = np.argsort(flat, kind="stable")
        size = int(np.prod(extent, dtype=np.int64))
        return cls(
            which=which,
            start=start,
            extent=extent,
            positions=flat[order].astype(_index_dtype(size)),
            old=np.ascontiguousarray(old[changed][order]),
            new=np.ascontiguousarray(new[changed][order]),
            **meta,
        )

    def __post_init__(self):
        if self.which not in _WHICH:
            raise ValueError(f"which must be 'gt' or 'pred', got {self.which!r}")
        if self.scope not in _SCOPES:
            raise ValueError(f"scope must be one of {_SCOPES}, got {self.scope!r}")
        n = self.positions.shape
        if self.old.shape != n or self.new.shape != n:
            raise ValueError("positions, old and new values must have the same length")

    @property
    def voxels(self) -> int:
        """Number of changed voxels."""
        return int(self.positions.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays of this delta."""
        return int(self.positions.nbytes + self.old.nbytes + self.new.nbytes)

    @property
    def box(self) -> tuple:
        """Bounding box of the change as a tuple of slices (the dirty region to redraw)."""
        return tuple(slice(s, s + n) for s, n in zip(self.start, self.extent))

    def index(self) -> tuple:
        """Coordinates of the changed voxels in the mask.

        Returns
        -------
        tuple of numpy.ndarray
            One int64 array per axis, in the order of ``positions``.
        """
        local = np.unravel_index(self.positions.astype(np.int64), self.extent)
        return tuple(c + s for c, s in zip(local, self.start))


def apply_delta(live, delta: EditDelta, undo: bool = False) -> None:
    """Write a delta's new values (redo) or old values (undo) through ``live``.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks; its counts follow the write.
    delta : EditDelta
        The edit to re-apply or revert.
    undo : bool
        Restore the old values instead of writing the new ones.
    """
    mask = live.gt if delta.which == "gt" else live.pred
    stop = tuple(s + n for s, n in zip(delta.start, delta.extent))
    if len(stop) != mask.ndim or any(e > n for e, n in zip(stop, mask.shape)):
        raise ValueError(
            f"edit box {delta.start}..{stop} does not fit the {delta.which} mask of shape {mask.shape}"
        )
    live.apply(delta.which, delta.index(), delta.old if undo else delta.new)


def describe(delta: EditDelta, axis_names=None) -> str:
    """One-line label of an edit for the undo history.

    Parameters
    ----------
    delta : EditDelta
        The edit.
    axis_names : mapping of int to str, optional
        Names of slice axes, e.g. ``{2: "axial"}`` gives ``"axial slice 42"``.

    Returns
    -------
    str
        E.g. ``"Paint pred, label 1, slice 42, 318 voxels"``.
    """
    parts = [f"{_TOOL_NAMES.get(delta.tool, delta.tool.capitalize())} {delta.which}"]
    if delta.label is not None:
        parts.append(f"label {delta.label}")
    if delta.scope == "volume" or delta.slice_index is None:
        parts.append("whole volume")
    else:
        name = (axis_names or {}).get(delta.axis)
        where = f"{name} slice {delta.slice_index}" if name else f"slice {delta.slice_index}"
        if delta.scope == "sphere":
            where += " (3-D brush)"
        parts.append(where)
    n = delta.voxels
    parts.append(f"{n} voxel" if n == 1 else f"{n} voxels")
    return ", ".join(parts)


def label_changes(delta: EditDelta) -> dict[int, int]:
    """Net voxel change of every label an edit touched.

    Painting label 20 over 55 voxels of label 7 and 1,092 of background
    changes label 20 by +1,147 and label 7 by -55: a stroke is reported by
    what it did to each label, not only to the label the brush wrote.

    Parameters
    ----------
    delta : EditDelta
        The edit (its ``old`` and ``new`` values, of one mask).

    Returns
    -------
    dict of int to int
        ``{label: new count - old count}`` for every nonzero label whose
        voxel count changed, ascending by label (a boolean mask's ``True``
        is label 1). Labels whose gains and losses cancel are left out.
    """
    old_labels, old_counts = np.unique(delta.old.astype(np.int64), return_counts=True)
    new_labels, new_counts = np.unique(delta.new.astype(np.int64), return_counts=True)
    change: dict[int, int] = {}
    for labels, counts, sign in ((old_labels, old_counts, -1), (new_labels, new_counts, 1)):
        for k, n in zip(labels.tolist(), counts.tolist()):
            change[k] = change.get(k, 0) + sign * n
    return {k: v for k, v in sorted(change.items()) if k != 0 and v != 0}


def foreground_change(delta: EditDelta) -> int:
    """Net change of the number of foreground (nonzero) voxels made by an edit."""
    return int(np.count_nonzero(delta.new)) - int(np.count_nonzero(delta.old))


def record_edit(live, which: str, index, values, **meta) -> EditDelta | None:
    """Apply one edit through ``live`` and return its delta (None if nothing changed).

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks.
    which : {"gt", "pred"}
        Mask to edit.
    index : tuple of numpy.ndarray
        Integer coordinates, one array per axis, each position once.
    values : scalar or numpy.ndarray
        Values to write there.
    **meta
        Passed to :meth:`EditDelta.from_changes`.

    Returns
    -------
    EditDelta or None
        The changed voxels with their old and new values; None if the edit
        changed nothing (no undo step).
    """
    previous = live.apply(which, index, values)
    mask = live.gt if which == "gt" else live.pred
    return EditDelta.from_changes(which, index, previous, mask[index], **meta)
