"""Whole-mask clean-ups: fill the holes of a label, remove its small islands.

Each clean-up is planned, then written: :func:`plan_fill_holes` and
:func:`plan_remove_islands` compute the voxels to change (a :class:`CleanupPlan`)
without touching the mask, so the window can compute a whole volume in a
worker thread while the mask stays as it is, and write the plan on its own
thread with :func:`apply_cleanup` (one undo step). :func:`fill_holes` and
:func:`remove_small_islands` do both at once.

Memory: a 512×512×800 volume has 210 million voxels, so every whole-volume
temporary counts. Labelling needs one int32 label per voxel of the object's
bounding box (four bytes a voxel, :func:`scipy.ndimage.label` writes it in
place); everything else is a bool array or is done one slab at a time
(component sizes, the selection), because NumPy's ``bincount`` and fancy
indexing would otherwise make whole-volume int64 copies. Peak use stays
near six bytes a voxel plus the changed voxels' coordinates
(``benchmarks/bench_cleanup.py``).

Progress and cancelling: an optional ``progress(fraction)`` callback is
called between the phases and between slabs; it may raise
:class:`EditCancelled` to stop (nothing has been written by then).

Connectivity follows SciPy/scikit-image: 1 = faces only, ``ndim`` = full.
Holes are background regions (connectivity 1, as
:func:`scipy.ndimage.binary_fill_holes`) that do not reach the border of the
slice or volume. An island is a connected component of the label with
``max_size`` voxels or fewer (the rule of
:func:`skimage.morphology.remove_small_objects` with ``max_size``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import ndimage

from .delta import EditDelta, record_edit
from .fill import _bbox, _edit_region, _global_index, _meta, _structure

#: Voxels per slab when component sizes and selections are taken piecewise.
SLAB_VOXELS = 1 << 22

Progress = Callable[[float], None]


class EditCancelled(Exception):
    """Raised by a ``progress`` callback to stop a clean-up; nothing was written."""


@dataclass(frozen=True, eq=False)
class CleanupPlan:
    """Voxels a clean-up would change, not yet written (see :func:`apply_cleanup`).

    Attributes
    ----------
    which : {"gt", "pred"}
        The mask.
    index : tuple of numpy.ndarray
        Coordinates of the voxels to write, one array per axis of the mask.
    value : int
        The value written there (the label for holes, 0 for islands).
    meta : dict
        ``tool``, ``label``, ``axis``, ``slice_index``, ``scope`` of the undo step.
    """

    which: str
    index: tuple
    value: int
    meta: dict

    @property
    def voxels(self) -> int:
        """How many voxels the plan writes."""
        return int(self.index[0].size) if self.index else 0


def _report(progress: Progress | None, fraction: float) -> None:
    if progress is not None:
        progress(float(fraction))


def _slabs(shape: tuple):
    """Slices along the first axis covering ``shape`` in pieces of about :data:`SLAB_VOXELS` voxels."""
    per_row = int(np.prod(shape[1:], dtype=np.int64)) or 1
    step = max(1, SLAB_VOXELS // per_row)
    for start in range(0, shape[0], step):
        yield slice(start, min(start + step, shape[0]))


def _component_sizes(components: np.ndarray, n: int, progress, span: tuple) -> np.ndarray:
    """Voxel count of every label 0..n, one slab at a time (bincount would copy all labels to int64)."""
    sizes = np.zeros(n + 1, np.int64)
    slabs = list(_slabs(components.shape))
    for k, slab in enumerate(slabs):
        sizes += np.bincount(components[slab].ravel(), minlength=n + 1)
        _report(progress, span[0] + (span[1] - span[0]) * (k + 1) / len(slabs))
    return sizes


def _select(components: np.ndarray, keep: np.ndarray, out: np.ndarray, progress, span: tuple) -> None:
    """``out[...] = keep[components]``, slab by slab."""
    slabs = list(_slabs(components.shape))
    for k, slab in enumerate(slabs):
        np.take(keep, components[slab], out=out[slab])
        _report(progress, span[0] + (span[1] - span[0]) * (k + 1) / len(slabs))


def hole_voxels(binary: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """Background voxels enclosed by ``binary`` (what filling its holes would add).

    Parameters
    ----------
    binary : numpy.ndarray
        Bool object mask (2-D slice or 3-D volume).
    progress : callable, optional
        ``progress(fraction)``; may raise :class:`EditCancelled`.

    Returns
    -------
    numpy.ndarray
        Bool array: background components (face connectivity) that do not
        touch the array border.
    """
    binary = np.asarray(binary, dtype=bool)
    holes = np.zeros(binary.shape, bool)
    box = _bbox(binary)
    _report(progress, 0.05)
    if box is None:
        return holes
    # Holes lie inside the object's box, and a background component touching
    # the box border continues outside it, so the box is all we need to label.
    inner = ~binary[box]
    components, n = ndimage.label(inner, structure=_structure(inner.ndim, 1))
    del inner
    _report(progress, 0.6)
    if n == 0:
        return holes
    border = np.zeros(n + 1, bool)
    for axis in range(components.ndim):
        for end in (0, -1):
            border[np.take(components, end, axis=axis)] = True
    border[0] = True  # the object itself
    _select(components, ~border, holes[box], progress, (0.6, 1.0))
    return holes


def small_islands(binary: np.ndarray, max_size: int, connectivity: int = 1,
                  progress: Progress | None = None) -> np.ndarray:
    """Voxels of the connected components of ``binary`` with ``max_size`` voxels or fewer.

    Parameters
    ----------
    binary : numpy.ndarray
        Bool object mask (not modified).
    max_size : int
        Largest island removed (voxels).
    connectivity : int
        1 (faces) to ``binary.ndim``.
    progress : callable, optional
        ``progress(fraction)``; may raise :class:`EditCancelled`.

    Returns
    -------
    numpy.ndarray
        Bool array of ``binary``'s shape.
    """
    return _islands_in_place(np.array(binary, dtype=bool), max_size, connectivity, progress)


def _islands_in_place(binary: np.ndarray, max_size: int, connectivity: int, progress) -> np.ndarray:
    """:func:`small_islands` written over ``binary`` itself (which the caller owns): one bool array less."""
    if int(max_size) != max_size or max_size < 0:
        raise ValueError(f"max_size must be a whole number >= 0, got {max_size!r}")
    structure = _structure(binary.ndim, connectivity)
    box = _bbox(binary)
    _report(progress, 0.05)
    if box is None:
        return binary
    components, n = ndimage.label(binary[box], structure=structure)
    _report(progress, 0.5)
    sizes = _component_sizes(components, n, progress, (0.5, 0.7))
    small = sizes <= max_size
    small[0] = False
    # every voxel outside the box is already False; inside, the labels say it all
    _select(components, small, binary[box], progress, (0.7, 1.0))
    return binary


# ------------------------------------------------------------------- plans
def plan_fill_holes(live, which: str, *, label: int = 1, axis: int | None = None,
                    slice_index: int | None = None, protect_other_labels: bool = False,
                    progress: Progress | None = None) -> CleanupPlan:
    """The voxels :func:`fill_holes` would write, computed without writing them.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore or dicegui.core.mask_store.MaskStore
        Holds the mask (only read).
    which : {"gt", "pred"}
        Mask to plan on.
    label, axis, slice_index, protect_other_labels
        As for :func:`fill_holes`.
    progress : callable, optional
        ``progress(fraction)``; may raise :class:`EditCancelled`.

    Returns
    -------
    CleanupPlan
    """
    region = _edit_region(live, which, label, axis, slice_index)
    holes = hole_voxels(region == label, progress)
    if protect_other_labels:
        holes &= region == 0
    return CleanupPlan(which, _global_index(holes, axis, slice_index), int(label),
                       _meta("fill_holes", label, axis, slice_index))


def plan_remove_islands(live, which: str, *, label: int = 1, max_size: int = 64,
                        axis: int | None = None, slice_index: int | None = None, connectivity: int = 1,
                        progress: Progress | None = None) -> CleanupPlan:
    """The voxels :func:`remove_small_islands` would clear, computed without clearing them.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore or dicegui.core.mask_store.MaskStore
        Holds the mask (only read).
    which : {"gt", "pred"}
        Mask to plan on.
    label, max_size, axis, slice_index, connectivity
        As for :func:`remove_small_islands`.
    progress : callable, optional
        ``progress(fraction)``; may raise :class:`EditCancelled`.

    Returns
    -------
    CleanupPlan
    """
    region = _edit_region(live, which, label, axis, slice_index)
    islands = _islands_in_place(region == label, max_size, connectivity, progress)
    return CleanupPlan(which, _global_index(islands, axis, slice_index), 0,
                       _meta("remove_islands", label, axis, slice_index))


def apply_cleanup(live, plan: CleanupPlan) -> EditDelta | None:
    """Write ``plan`` through ``live`` as one undo step.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore or dicegui.core.mask_store.MaskStore
        Holds the mask the plan was computed on (unchanged since).
    plan : CleanupPlan

    Returns
    -------
    EditDelta or None
        None when the plan changes nothing.
    """
    if plan.voxels == 0:
        return None
    return record_edit(live, plan.which, plan.index, plan.value, **plan.meta)


def fill_holes(live, which: str, *, label: int = 1, axis: int | None = None,
               slice_index: int | None = None,
               protect_other_labels: bool = False) -> EditDelta | None:
    """Fill the holes of ``label`` on one slice (2-D holes) or in the whole volume (3-D holes).

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks.
    which : {"gt", "pred"}
        Mask to edit.
    label : int
        Label whose holes are filled (1 for binary masks).
    axis, slice_index : int or None
        The slice, or both None for the whole volume.
    protect_other_labels : bool
        Fill only hole voxels that hold 0 (keep other labels enclosed by ``label``).

    Returns
    -------
    EditDelta or None
    """
    return apply_cleanup(live, plan_fill_holes(live, which, label=label, axis=axis, slice_index=slice_index,
                                               protect_other_labels=protect_other_labels))


def remove_small_islands(live, which: str, *, label: int = 1, max_size: int = 64,
                         axis: int | None = None, slice_index: int | None = None,
                         connectivity: int = 1) -> EditDelta | None:
    """Clear connected components of ``label`` with ``max_size`` voxels or fewer.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks.
    which : {"gt", "pred"}
        Mask to edit.
    label : int
        Label whose islands are removed (set to 0).
    max_size : int
        Largest island removed, in voxels.
    axis, slice_index : int or None
        The slice (islands measured in 2-D), or both None for the whole volume.
    connectivity : int
        1 (faces) to the number of axes worked on.

    Returns
    -------
    EditDelta or None
    """
    return apply_cleanup(live, plan_remove_islands(live, which, label=label, max_size=max_size, axis=axis,
                                                   slice_index=slice_index, connectivity=connectivity))
