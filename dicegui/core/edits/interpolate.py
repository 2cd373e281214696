"""Fill the slices between annotated slices of a label by shape interpolation.

Correctors outline a structure on every fifth or tenth slice and let the tool
fill the rest (ITK-SNAP "Interpolate labels", 3D Slicer "Fill between
slices"). Here, across one axis, the slices holding the label are found; each
gap between two consecutive annotated slices ``a < b`` is filled with the
shapes of signed-distance (shape-based) interpolation:

* each end shape gets its signed distance map ``d`` (negative inside, in mm,
  from :func:`scipy.ndimage.distance_transform_edt` with the in-plane
  spacing, so an anisotropic pixel grid interpolates round shapes round);
* slice ``k`` at fraction ``t = (k - a) / (b - a)`` holds the voxels where
  ``(1 - t)·d_a + t·d_b <= 0``.

Plain blending of the two maps grows one shape while the other shrinks in
place, so two shapes that do not overlap (a structure that drifts sideways
across slices) would leave the middle slices nearly empty. The maps are
therefore blended in a frame that follows the shapes' centroids: slice ``k``
reads ``d_a`` shifted by ``t·Δ`` and ``d_b`` shifted back by ``(1 - t)·Δ``
(``Δ`` the centroid offset), so a drifting shape slides and morphs from one
outline to the other. For edges that do not move, the two shifts cancel
exactly (the blend of two equal linear distance ramps does not depend on
them), so shapes that stay put interpolate as with plain blending.

Only background voxels are written (other labels are never overwritten, and
voxels already holding the label stay), optionally only where the image
lies within an intensity range. The whole operation is one undo step.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .brush import check_image_fits, check_intensity_range, plane_axes
from .delta import EditDelta, record_edit
from .stroke import check_label_fits

_WHICH = ("gt", "pred")
# Slices compared with the label at a time when looking for annotated slices:
# bounds the temporary to a few MB however large the volume.
_CHUNK_VOXELS = 8 * 1024 * 1024


def annotated_slices(mask: np.ndarray, axis: int, label: int) -> np.ndarray:
    """Indices of the slices across ``axis`` that hold ``label`` somewhere.

    Parameters
    ----------
    mask : numpy.ndarray
        3-D mask.
    axis : {0, 1, 2}
        Axis the slices are taken across.
    label : int
        Label looked for.

    Returns
    -------
    numpy.ndarray
        Sorted int64 slice indices.
    """
    plane_axes(axis)
    present = np.zeros(mask.shape[axis], bool)
    step = max(1, _CHUNK_VOXELS // max(1, mask[0].size))
    for start in range(0, mask.shape[0], step):
        block = mask[start:start + step] == label
        if axis == 0:
            present[start:start + block.shape[0]] = block.any(axis=(1, 2))
        else:
            present |= block.any(axis=tuple(a for a in range(3) if a != axis))
    return np.flatnonzero(present)


def _signed_distance(shape: np.ndarray, sampling) -> np.ndarray:
    """Signed distance in mm: negative inside ``shape``, positive outside."""
    return (ndimage.distance_transform_edt(~shape, sampling=sampling)
            - ndimage.distance_transform_edt(shape, sampling=sampling))


def _crop(first: np.ndarray, last: np.ndarray, pad: int):
    """Box around both shapes, widened by ``pad`` voxels and clipped to the slice."""
    both = first | last
    box = []
    for ax in range(2):
        hit = np.flatnonzero(both.any(axis=1 - ax))
        box.append(slice(max(int(hit[0]) - pad, 0), min(int(hit[-1]) + 1 + pad, both.shape[ax])))
    return tuple(box)


def interpolate_shapes(first: np.ndarray, last: np.ndarray, fractions, sampling=(1.0, 1.0)):
    """Shapes between two 2-D shapes by centroid-following signed-distance interpolation.

    Parameters
    ----------
    first, last : numpy.ndarray
        Bool 2-D shapes of the same shape, each with at least one voxel.
    fractions : sequence of float
        Positions between them, 0 = ``first``, 1 = ``last``.
    sampling : pair of float
        Pixel size in mm along the two axes.

    Returns
    -------
    box : tuple of slice
        Part of the slice that can hold the interpolated shapes.
    shapes : list of numpy.ndarray
        One bool array of the box's shape per fraction.
    """
    first = np.asarray(first, bool)
    last = np.asarray(last, bool)
    if first.shape != last.shape or first.ndim != 2:
        raise ValueError(f"shapes to interpolate must be 2-D arrays of one shape, got {first.shape} and {last.shape}")
    if not first.any() or not last.any():
        raise ValueError("both shapes to interpolate must hold at least one voxel")
    offset = (np.array(ndimage.center_of_mass(last)) - np.array(ndimage.center_of_mass(first)))
    box = _crop(first, last, int(math.ceil(np.abs(offset).max())) + 2)
    d_first = _signed_distance(first[box], sampling)
    d_last = _signed_distance(last[box], sampling)
    shapes = []
    for t in fractions:
        t = float(t)
        a = _shifted(d_first, t * offset)
        b = _shifted(d_last, -(1.0 - t) * offset)
        shapes.append((1.0 - t) * a + t * b <= 0)
    return box, shapes


def _shifted(distance: np.ndarray, shift) -> np.ndarray:
    """``distance`` moved by ``shift`` voxels (linear interpolation, edges extended)."""
    if not np.any(np.abs(shift) > 1e-6):
        return distance
    return ndimage.shift(distance, shift, order=1, mode="nearest")


def _gap_writes(mask, image, intensity_range, axis, a, b, label, sampling):
    """Global indices of the voxels to write in the slices strictly between ``a`` and ``b``."""
    first = np.take(mask, a, axis=axis) == label
    last = np.take(mask, b, axis=axis) == label
    between = range(a + 1, b)
    box, shapes = interpolate_shapes(first, last, [(k - a) / (b - a) for k in between], sampling)
    parts = []
    for k, shape in zip(between, shapes):
        lead = (slice(None),) * axis + (k,)
        write = shape & (mask[lead][box] == 0)
        if intensity_range is not None:
            values = image[lead][box]
            write &= values >= intensity_range[0]
            write &= values <= intensity_range[1]
        u, v = np.nonzero(write)
        u += box[0].start
        v += box[1].start
        parts.append((u, v, np.full(u.shape, k, np.intp)))
    return parts


def _message_too_few(label, axis_name, found) -> str:
    where = f"{axis_name} slices" if axis_name else "slices across this axis"
    if found.size == 0:
        seen = "it is on none"
    else:
        seen = f"it is only on slice {int(found[0])}"
    return f"Paint label {label} on at least two {where}, with a gap between them, to interpolate ({seen})"


def interpolate_slices(live, which: str, axis: int, label: int, *, spacing=(1.0, 1.0, 1.0),
                       image: np.ndarray | None = None,
                       intensity_range: tuple[float, float] | None = None,
                       axis_name: str | None = None) -> EditDelta | None:
    """Fill every gap between annotated slices of ``label`` across ``axis``; one undo step.

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks (``gt``/``pred`` and ``apply`` are used).
    which : {"gt", "pred"}
        Mask to edit.
    axis : {0, 1, 2}
        Axis the annotated slices are taken across.
    label : int
        Label to interpolate (1 for binary masks).
    spacing : 3 floats
        Voxel size in mm along the mask's axes (the in-plane pair shapes the distance maps).
    image : numpy.ndarray, optional
        The scan, of the mask's shape; needed with ``intensity_range``.
    intensity_range : (float, float), optional
        Write only where ``low <= image <= high``.
    axis_name : str, optional
        Name of the slice orientation for messages (``"coronal"``).

    Returns
    -------
    EditDelta or None
        The voxels written (tool ``"interpolate"``, scope ``"volume"``), or
        None when every gap is already filled (or there is no gap).

    Raises
    ------
    ValueError
        Fewer than two slices hold the label; the label does not fit the mask;
        the image is missing or of another shape; a bad range.
    """
    if which not in _WHICH:
        raise ValueError(f"which must be 'gt' or 'pred', got {which!r}")
    mask = live.gt if which == "gt" else live.pred
    if mask is None or mask.ndim != 3:
        raise ValueError(f"interpolation needs a 3-D {which} mask")
    check_label_fits(mask, label, which)
    u_ax, v_ax = plane_axes(axis)
    if intensity_range is not None:
        intensity_range = check_intensity_range(intensity_range)
        if image is None:
            raise ValueError("interpolating within an intensity range needs an image")
        image = check_image_fits(image, mask, which)
    found = annotated_slices(mask, axis, label)
    if found.size < 2:
        raise ValueError(_message_too_few(label, axis_name, found))
    sampling = (float(spacing[u_ax]), float(spacing[v_ax]))
    parts = []
    for a, b in zip(found[:-1], found[1:]):
        if b - a > 1:
            parts.extend(_gap_writes(mask, image, intensity_range, axis, int(a), int(b), label, sampling))
    if not parts:
        return None
    u, v, k = (np.concatenate(p) for p in zip(*parts))
    index = [None, None, None]
    index[u_ax], index[v_ax], index[axis] = u, v, k
    return record_edit(live, which, tuple(index), label, label=int(label), tool="interpolate",
                       axis=int(axis), slice_index=None, scope="volume")
