"""Region edits: flood fill on a slice (and the helpers the clean-ups share).

:func:`connected_region` computes a boolean selection; :func:`flood_fill`
writes it through :class:`~dicegui.core.live.LiveScore` and returns an undo
:class:`~dicegui.core.edits.delta.EditDelta` (None when nothing changed).
Filling holes and removing islands live in :mod:`.cleanup`.

A flood fill is planned, then applied (:func:`plan_fill`, :func:`apply_fill`):
the window asks before a fill that would change many voxels or reach the
slice border (one click outside the body once filled 9,658 background voxels
unasked), and the plan it asked about is the one written, labelled once.
An optional intensity range bounds the fill to where the image lies within it.

Connectivity follows SciPy/scikit-image: 1 = faces only (4-neighbours in 2-D,
6 in 3-D), ``ndim`` = full (8 in 2-D, 26 in 3-D). Holes are background
regions (connectivity 1, as :func:`scipy.ndimage.binary_fill_holes`) that do
not reach the border of the slice or volume. An island is a connected
component of the label with ``max_size`` voxels or fewer (the rule of
:func:`skimage.morphology.remove_small_objects` with ``max_size``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .brush import check_image_fits, check_intensity_range, plane_axes
from .delta import EditDelta, record_edit
from .stroke import check_label_fits

_WHICH = ("gt", "pred")


def _structure(ndim: int, connectivity: int) -> np.ndarray:
    if connectivity not in range(1, ndim + 1):
        raise ValueError(f"connectivity must be between 1 and {ndim}, got {connectivity!r}")
    return ndimage.generate_binary_structure(ndim, connectivity)


def _bbox(binary: np.ndarray):
    """Tight box of the True voxels as a tuple of slices, or None if there are none."""
    box = []
    for axis in range(binary.ndim):
        others = tuple(a for a in range(binary.ndim) if a != axis)
        hit = np.flatnonzero(binary.any(axis=others))
        if hit.size == 0:
            return None
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(box)


def connected_region(values: np.ndarray, seed, connectivity: int = 1) -> np.ndarray:
    """Connected component of the voxels equal to ``values[seed]`` that contains ``seed``.

    Parameters
    ----------
    values : numpy.ndarray
        Label values (any number of axes).
    seed : tuple of int
        Start position.
    connectivity : int
        1 (faces) to ``values.ndim`` (faces, edges and corners).

    Returns
    -------
    numpy.ndarray
        Bool array of ``values``' shape.
    """
    seed = tuple(int(s) for s in seed)
    if len(seed) != values.ndim or not all(0 <= s < n for s, n in zip(seed, values.shape)):
        raise IndexError(f"seed {seed} is outside an array of shape {values.shape}")
    same = values == values[seed]
    same[seed] = True  # a NaN seed equals nothing, not even itself: its region is the seed
    components, _ = ndimage.label(same, structure=_structure(values.ndim, connectivity))
    return components == components[seed]


# ------------------------------------------------------------------- edits
def _target(live, which: str) -> np.ndarray:
    if which not in _WHICH:
        raise ValueError(f"which must be 'gt' or 'pred', got {which!r}")
    return live.gt if which == "gt" else live.pred


def _scope(mask: np.ndarray, axis, slice_index):
    """The region an edit works on: one slice (a 2-D view) or the whole volume."""
    if axis is None and slice_index is None:
        return (), mask
    if axis is None or slice_index is None:
        raise ValueError("give both axis and slice_index for a slice edit, or neither for the volume")
    if mask.ndim != 3:
        raise ValueError(f"slice edits need a 3-D mask, got shape {mask.shape}")
    plane_axes(axis)
    n = mask.shape[axis]
    if not 0 <= slice_index < n:
        raise IndexError(f"slice {slice_index} is out of range for axis {axis} of length {n}")
    lead = (slice(None),) * axis + (int(slice_index),)
    return lead, mask[lead]


def _edit_region(live, which: str, label: int, axis, slice_index) -> np.ndarray:
    """The checked mask's slice (or whole volume) an edit writing ``label`` works on."""
    mask = _target(live, which)
    check_label_fits(mask, label, which)
    return _scope(mask, axis, slice_index)[1]


def _global_index(selection: np.ndarray, axis, slice_index) -> tuple:
    local = np.nonzero(selection)
    if axis is None:
        return local
    fixed = np.full(local[0].shape, int(slice_index), dtype=np.intp)
    return local[:axis] + (fixed,) + local[axis:]


def _meta(tool, label, axis, slice_index) -> dict:
    return {
        "tool": tool,
        "label": label,
        "axis": None if axis is None else int(axis),
        "slice_index": None if slice_index is None else int(slice_index),
        "scope": "volume" if axis is None else "slice",
    }


class FillTooLarge(ValueError):
    """A fill would change more voxels than allowed; nothing was written.

    Attributes
    ----------
    plan : FillPlan
        The fill that was refused (``plan.voxels``, ``plan.touches_border``),
        so a caller that asked the user can still apply it without recomputing.
    """

    def __init__(self, plan: "FillPlan", max_voxels: int):
        self.plan = plan
        where = " and reaches the slice border" if plan.touches_border else ""
        super().__init__(f"the fill would change {plan.voxels:,} voxels{where} "
                         f"(more than the limit of {int(max_voxels):,}); nothing was filled")


@dataclass(frozen=True, eq=False)
class FillPlan:
    """A flood fill computed but not yet written (see :func:`plan_fill`).

    Attributes
    ----------
    which : {"gt", "pred"}
        Mask to edit.
    axis, slice_index : int
        The slice.
    region : numpy.ndarray
        Bool array of the slice's shape: the voxels the fill writes.
    value : int
        Value written (the active label, or 0 for an erasing fill).
    label : int
        Label of the undo step (the active label, or the value an erasing fill clears).
    tool : {"fill", "erase"}
        Undo step name.
    """

    which: str
    axis: int
    slice_index: int
    region: np.ndarray
    value: int
    label: int
    tool: str

    @property
    def voxels(self) -> int:
        """Number of voxels the fill changes."""
        return int(np.count_nonzero(self.region))

    @property
    def touches_border(self) -> bool:
        """The region reaches the edge of the slice (typically: it is the background outside the body)."""
        r = self.region
        return bool(r[0].any() or r[-1].any() or r[:, 0].any() or r[:, -1].any())


def _seed_voxel(seed, shape):
    seed = tuple(int(np.floor(float(s) + 0.5)) for s in seed)
    return seed if all(0 <= s < n for s, n in zip(seed, shape)) else None


def _in_range(values: np.ndarray, intensity_range) -> np.ndarray:
    low, high = intensity_range
    return (values >= low) & (values <= high)


def _fill_region(plane, image_plane, intensity_range, seed, connectivity) -> np.ndarray:
    """Component of (same value as the seed) AND (image within range) holding the seed."""
    if intensity_range is None:
        return connected_region(plane, seed, connectivity)
    value = image_plane[seed]
    if not _in_range(value, intensity_range):
        low, high = intensity_range
        raise ValueError(f"the clicked voxel's intensity {float(value):g} is outside the fill range "
                         f"{low:g} to {high:g}: nothing was filled")
    allowed = plane == plane[seed]
    allowed &= _in_range(image_plane, intensity_range)
    components, _ = ndimage.label(allowed, structure=_structure(plane.ndim, connectivity))
    return components == components[seed]


def plan_fill(live, which: str, axis: int, slice_index: int, seed, *, label: int = 1,
              erase: bool = False, protect_other_labels: bool = False, connectivity: int = 1,
              image: np.ndarray | None = None,
              intensity_range: tuple[float, float] | None = None) -> FillPlan | None:
    """Compute the flood fill under ``seed`` without writing it.

    The region is the set of voxels of the slice connected to ``seed`` that
    hold the same mask value as the seed and, when ``intensity_range`` is
    given, whose image value lies within it (both ends included).

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks (only ``gt``/``pred`` are read).
    which : {"gt", "pred"}
        Mask to edit.
    axis, slice_index : int
        The slice.
    seed : pair of float
        In-plane position ``(u, v)`` (see :func:`~dicegui.core.edits.brush.plane_axes`),
        snapped to the nearest voxel.
    label : int
        Value written (active label).
    erase : bool
        Write 0 instead of ``label``.
    protect_other_labels : bool
        Do nothing when the seed holds a label other than 0 and ``label``.
    connectivity : int
        1 (4-neighbours) or 2 (8-neighbours).
    image : numpy.ndarray, optional
        The scan, of the mask's shape; needed with ``intensity_range``.
    intensity_range : (float, float), optional
        Fill only where ``low <= image <= high``.

    Returns
    -------
    FillPlan or None
        None when the fill would change nothing (seed off the slice, seed
        already holding the value, protected label).

    Raises
    ------
    ValueError
        Label not storable in the mask, image missing or of another shape,
        bad range, or a seed whose intensity is outside the range.
    """
    plane = _edit_region(live, which, label, axis, slice_index)
    image_plane = None
    if intensity_range is not None:
        intensity_range = check_intensity_range(intensity_range)
        if image is None:
            raise ValueError("a fill within an intensity range needs an image")
        image = check_image_fits(image, _target(live, which), which)
        image_plane = _scope(image, axis, slice_index)[1]
    seed = _seed_voxel(seed, plane.shape)
    if seed is None:
        return None
    current = plane[seed]
    if protect_other_labels and not erase and current not in (0, label):
        return None
    value = 0 if erase else int(label)
    if current == value:
        return None
    region = _fill_region(plane, image_plane, intensity_range, seed, connectivity)
    # An erasing fill clears one region of one value: that value is its label.
    return FillPlan(which=which, axis=int(axis), slice_index=int(slice_index), region=region,
                    value=value, label=int(current) if erase else int(label),
                    tool="erase" if erase else "fill")


def fill_extent(live, which: str, axis: int, slice_index: int, seed, *,
                image: np.ndarray | None = None,
                intensity_range: tuple[float, float] | None = None,
                **options) -> tuple[int, bool]:
    """How many voxels a fill would change, and whether it reaches the slice border.

    Parameters
    ----------
    live, which, axis, slice_index, seed, image, intensity_range
        As for :func:`plan_fill`.
    **options
        ``label``, ``erase``, ``protect_other_labels``, ``connectivity``.

    Returns
    -------
    (int, bool)
        ``(voxels, touches_border)``; ``(0, False)`` when the fill would change nothing.
    """
    plan = plan_fill(live, which, axis, slice_index, seed, image=image,
                     intensity_range=intensity_range, **options)
    return (0, False) if plan is None else (plan.voxels, plan.touches_border)


def apply_fill(live, plan: FillPlan | None) -> EditDelta | None:
    """Write a planned fill through ``live``; one undo delta (None if nothing changed).

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        The same store the plan was made from, unchanged since.
    plan : FillPlan or None

    Returns
    -------
    EditDelta or None
    """
    if plan is None:
        return None
    index = _global_index(plan.region, plan.axis, plan.slice_index)
    return record_edit(live, plan.which, index, plan.value,
                       **_meta(plan.tool, plan.label, plan.axis, plan.slice_index))


def flood_fill(live, which: str, axis: int, slice_index: int, seed, *, label: int = 1,
               erase: bool = False, protect_other_labels: bool = False,
               connectivity: int = 1, image: np.ndarray | None = None,
               intensity_range: tuple[float, float] | None = None,
               max_voxels: int | None = None) -> EditDelta | None:
    """Fill the connected region under ``seed`` on one slice with ``label`` (or 0).

    The region is the set of voxels of the slice connected to ``seed`` that
    hold the same mask value as the seed (a paint bucket on the mask), limited
    to ``intensity_range`` of ``image`` when one is given. It is
    :func:`plan_fill` followed by :func:`apply_fill`.

    Parameters
    ----------
    live, which, axis, slice_index, seed, label, erase, protect_other_labels, connectivity, image, intensity_range
        As for :func:`plan_fill`.
    max_voxels : int, optional
        Refuse (raise :class:`FillTooLarge`, nothing written) a fill that
        would change more voxels than this.

    Returns
    -------
    EditDelta or None
    """
    plan = plan_fill(live, which, axis, slice_index, seed, label=label, erase=erase,
                     protect_other_labels=protect_other_labels, connectivity=connectivity,
                     image=image, intensity_range=intensity_range)
    if plan is not None and max_voxels is not None and plan.voxels > max_voxels:
        raise FillTooLarge(plan, max_voxels)
    return apply_fill(live, plan)
