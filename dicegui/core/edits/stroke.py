"""One brush or eraser drag: every dab applied live, one undo delta at release.

A :class:`Stroke` is created at mouse press, fed every mouse position of the
drag through :meth:`Stroke.add`, and closed at release with
:meth:`Stroke.finish`. Each call to ``add`` paints the segment from the
previous position (so fast movements leave no gaps) and writes it through
:meth:`LiveScore.apply`, so the scores follow the hand during the drag. The
stroke keeps, for every voxel it changed, the value it held before the
stroke's first touch; ``finish`` merges the dabs into a single
:class:`~dicegui.core.edits.delta.EditDelta` (or None if the stroke changed
nothing, so no empty undo step is made).
"""
from __future__ import annotations

import numpy as np

from .brush import Brush, brush_footprint, check_image_fits, dab_targets, plane_axes
from .delta import EditDelta

_WHICH = ("gt", "pred")


def check_label_fits(mask: np.ndarray, label: int, which: str) -> None:
    """Raise ValueError when ``label`` cannot be stored exactly in ``mask``'s dtype.

    Parameters
    ----------
    mask : numpy.ndarray
        The mask to be painted.
    label : int
        The value to be written (a positive whole number).
    which : {"gt", "pred"}
        Name of the mask, for the message.

    Raises
    ------
    ValueError
        If ``mask`` is bool and ``label`` is not 1, an integer dtype cannot
        reach ``label``, a float dtype would round it (float16 stores 2049 as
        2048, float32 rounds above 2**24), or the dtype cannot be painted.
    """
    dt = mask.dtype
    if dt == np.bool_:
        ok = label == 1
        detail = "max 1"
    elif dt.kind in "iu":
        ok = 0 < label <= np.iinfo(dt).max
        detail = f"max {np.iinfo(dt).max}"
    elif dt.kind == "f":
        with np.errstate(over="ignore"):
            stored = dt.type(label)
        ok = bool(np.isfinite(stored)) and int(stored) == label
        detail = f"it would be stored as {stored}"
    else:
        raise ValueError(f"the {which} mask has dtype {dt}, which cannot be painted")
    if not ok:
        raise ValueError(f"label {label} does not fit the {which} mask's dtype {dt} ({detail})")


def dab_labels(old: np.ndarray, value) -> frozenset:
    """Nonzero labels whose counts change when ``value`` is written over ``old`` values.

    Parameters
    ----------
    old : numpy.ndarray
        Values before the write.
    value : scalar
        The value written everywhere (0 erases).

    Returns
    -------
    frozenset of int
        Labels among ``old`` that were overwritten, and ``value`` itself when
        it is nonzero and was written somewhere it was not already.
    """
    old = np.asarray(old)
    changed = old[old != value]
    if changed.size == 0:
        return frozenset()
    labels = {int(v) for v in np.unique(changed) if v}
    if value:
        labels.add(int(value))
    return frozenset(labels)


class Stroke:
    """Accumulates the dabs of one drag on one slice of one mask.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks; every dab is written through it.
    which : {"gt", "pred"}
        Mask to edit.
    axis, slice_index : int
        The slice being painted on.
    brush : Brush
        Radius, value and protection rules.
    spacing : 3 floats
        Voxel size in mm along the mask's axes (round brush in mm).
    image : numpy.ndarray, optional
        The scan, of the mask's shape; required when ``brush.intensity_range``
        is set (each dab then reads the image inside its own box only).

    Attributes
    ----------
    scores_before : dict
        ``live.overlap()`` at mouse press, so the GUI can show the change of
        Dice the stroke made.
    last_labels : frozenset of int
        Nonzero labels whose voxel counts the last :meth:`add` changed (the
        per-label table updates only their rows during a drag).

    Examples
    --------
    >>> stroke = Stroke(live, "pred", 2, 42, Brush(radius=3))  # doctest: +SKIP
    >>> for p in mouse_positions: box = stroke.add(p)            # doctest: +SKIP
    >>> delta = stroke.finish()                                  # doctest: +SKIP
    """

    def __init__(self, live, which: str, axis: int, slice_index: int, brush: Brush,
                 spacing=(1.0, 1.0, 1.0), image=None):
        if which not in _WHICH:
            raise ValueError(f"which must be 'gt' or 'pred', got {which!r}")
        self._live = live
        self._which = which
        self._mask = live.gt if which == "gt" else live.pred
        if self._mask.ndim != 3:
            raise ValueError(f"brush needs a 3-D mask, the {which} mask has shape {self._mask.shape}")
        plane_axes(axis)
        n = self._mask.shape[axis]
        if not 0 <= slice_index < n:
            raise IndexError(f"slice {slice_index} is out of range for axis {axis} of length {n}")
        check_label_fits(self._mask, brush.label, which)
        self._image = None
        if brush.intensity_range is not None:
            if image is None:
                raise ValueError("painting within an intensity range needs an image")
            self._image = check_image_fits(image, self._mask, which)
        self._axis = int(axis)
        self._slice = int(slice_index)
        self._brush = brush
        self._spacing = tuple(float(s) for s in spacing)
        self._last = None
        self._flat: list[np.ndarray] = []
        self._old: list[np.ndarray] = []
        self._done = False
        self.last_labels: frozenset = frozenset()
        self.scores_before = live.overlap()

    @property
    def brush(self) -> Brush:
        """The brush settings of this stroke (fixed for its duration)."""
        return self._brush

    def add(self, point):
        """Paint from the previous position (if any) to ``point``, live.

        Parameters
        ----------
        point : pair of float
            In-plane position ``(u, v)`` in voxel indices along
            :func:`~dicegui.core.edits.brush.plane_axes`; snapped to the nearest voxel.

        Returns
        -------
        tuple of slice or None
            Box of the mask that changed (to redraw), or None if nothing changed.
        """
        if self._done:
            raise RuntimeError("this stroke is finished")
        self.last_labels = frozenset()
        point = (float(point[0]), float(point[1]))
        start = point if self._last is None else self._last
        self._last = point
        hit = brush_footprint(self._mask.shape, self._axis, self._slice, start, point,
                              self._brush.radius, self._spacing, self._brush.sphere)
        if hit is None:
            return None
        box, footprint = hit
        write = dab_targets(self._mask[box], footprint, self._brush,
                            None if self._image is None else self._image[box])
        local = np.nonzero(write)
        if local[0].size == 0:
            return None
        index = tuple(c + s.start for c, s in zip(local, box))
        old = self._live.apply(self._which, index, self._brush.value)
        self._flat.append(np.ravel_multi_index(index, self._mask.shape))
        self._old.append(old)
        self.last_labels = dab_labels(old, self._brush.value)
        return box

    def finish(self) -> EditDelta | None:
        """End the stroke and merge its dabs into one undo step.

        Returns
        -------
        EditDelta or None
            Every voxel the stroke changed, with its value from before the
            stroke's first touch and its value now; None if nothing changed.

        Raises
        ------
        RuntimeError
            If the stroke is already finished or cancelled.
        """
        if self._done:
            raise RuntimeError("this stroke is finished")
        self._done = True
        if not self._flat:
            return None
        index, old = self._merged()
        b = self._brush
        return EditDelta.from_changes(
            self._which, index, old, self._mask[index],
            label=None if (b.erase and not b.erase_only_label) else int(b.label),
            tool=b.tool,
            axis=self._axis,
            slice_index=self._slice,
            scope="sphere" if b.sphere else "slice",
        )

    def _merged(self):
        """Every voxel the stroke touched, once, with its value from before the stroke."""
        flat = np.concatenate(self._flat)
        old = np.concatenate(self._old)
        self._flat, self._old = [], []
        # The first touch of a voxel carries its value from before the stroke.
        flat, first = np.unique(flat, return_index=True)
        return np.unravel_index(flat, self._mask.shape), old[first]

    def cancel(self) -> None:
        """Abandon the stroke: restore every voxel it changed (Esc during a drag).

        Raises
        ------
        RuntimeError
            If the stroke is already finished or cancelled.
        """
        if self._done:
            raise RuntimeError("this stroke is finished")
        self._done = True
        if not self._flat:
            return
        index, old = self._merged()
        self._live.apply(self._which, index, old)
