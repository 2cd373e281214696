"""Surface distances of every label and region of two label maps, each in its own box.

``surface_distances(gt == k, pred == k)`` for each of 41 labels would compare
both whole volumes 82 times before measuring anything. Here the bounding box
of every label in each map comes from one :func:`scipy.ndimage.find_objects`
pass per map; each structure's border is then found in its own box in each
map, its mask made one slab at a time
(:func:`dicegui.core.surface._border_coordinates`), and measured in the
union of the two boxes, so the cost follows the size of the structures, not
the number of labels times the volume, and no box-sized mask is made.

A region group (a union of labels, :mod:`dicegui.core.region_groups`) is
measured the same way over the union of its labels' boxes.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .region_groups import region_mask
from .surface import _as_spacing, _borders, _distances_of, surface_distances
from .tolerances import Tolerances, nsd_key, parse_tolerances

# find_objects makes one list entry per value up to the largest; beyond this
# many the list itself costs more than the boxes save (sparse huge ids).
_MAX_FIND_OBJECTS = 1 << 16


def _boxes(labels: np.ndarray) -> dict[int, tuple[slice, ...]]:
    arr = labels
    if arr.dtype == bool:
        arr = arr.view(np.uint8)
    if arr.dtype.kind not in "iu" or arr.size == 0:
        arr = arr.astype(np.int64)
    top = int(arr.max()) if arr.size else 0
    if top <= 0:
        return {}
    if top >= _MAX_FIND_OBJECTS or int(arr.min()) < 0:
        # one find_objects over the values' ranks: a full-volume pass per value
        # took minutes on a map of 262,144 ids
        values, inverse = np.unique(arr, return_inverse=True)
        ranks = inverse.reshape(arr.shape).astype(np.int32) + 1
        return {int(v): box for v, box in zip(values, ndimage.find_objects(ranks)) if v > 0}
    return {i + 1: box for i, box in enumerate(ndimage.find_objects(arr)) if box is not None}


def _union(boxes) -> tuple[slice, ...] | None:
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return tuple(slice(min(b[i].start for b in boxes), max(b[i].stop for b in boxes))
                 for i in range(len(boxes[0])))


def _selector(members):
    """Slab → bool foreground of one structure (a label, or a region's labels)."""
    if len(members) == 1:
        return lambda x: x == members[0]
    return lambda x: region_mask(x, members)


def _measure(gt, pred, boxes, members, spacing, tolerance: float, flat: bool) -> dict:
    """``surface_distances`` of one structure of the two whole maps.

    Its masks are never made for a whole box: the borders are found slab by
    slab on the structure's own box in each map (the union of its labels'
    ``find_objects`` boxes, which is the tight box of the structure), the
    selection made per slab (on a CT, two box-sized bool masks per structure
    were the worker's peak memory).
    """
    own = [_union([b.get(m) for m in members]) for b in boxes]
    if flat:
        # a 2-D image stored as one slice: measure its 2-D contours. Decided
        # on the whole image, not the box: a structure one slice thick in a
        # 3-D volume has a box of depth 1 too, and is a 3-D surface there.
        gt, pred = gt[:, :, 0], pred[:, :, 0]
        own = [None if b is None else b[:2] for b in own]
        spacing = None if spacing is None else tuple(spacing)[:2]
    spacing = _as_spacing(spacing, gt.ndim)
    d = _distances_of(_borders(gt, pred, _selector(members), own), spacing, float(tolerance))
    d["nsd_tolerance_mm"] = float(tolerance)
    return d


def structure_surfaces(gt, pred, structures: dict, spacing=None, tolerances=1.0) -> dict:
    """``surface_distances`` of every structure (label or region group).

    Parameters
    ----------
    gt, pred : ndarray
        Label maps of the same shape (whole numbers >= 0; 0 is background).
    structures : dict
        Key → labels: ``{2: (2,), "WT": (1, 2, 4)}``. Keys are how the
        results are returned and how tolerances are looked up (an int key is
        a label, a str key a region).
    spacing : sequence of float, optional
        Voxel size per axis (mm); None = 1 (results in voxels).
    tolerances : float, str or Tolerances
        NSD tolerance for all (a number) or per structure (see
        :func:`dicegui.core.tolerances.parse_tolerances`).

    Returns
    -------
    dict
        Key → the ``surface_distances`` dict (``hd``, ``hd95``, ``assd``,
        ``nsd``, ``hd95_pooled``) plus ``nsd_tolerance_mm``. A structure absent
        from both maps gets the both-empty values (distances 0, nsd 1), one
        absent from one map infinite distances, as ``surface_distances``
        defines them.

    Raises
    ------
    ValueError
        Shapes differ.

    Examples
    --------
    >>> gt = np.zeros((6, 6), np.uint8); gt[1:3, 1:3] = 1; gt[4, 4] = 2
    >>> pred = gt.copy(); pred[4, 4] = 0; pred[4, 5] = 2
    >>> r = structure_surfaces(gt, pred, {1: (1,), 2: (2,)})
    >>> r[1]["hd"], r[2]["hd"]
    (0.0, 1.0)
    """
    gt, pred = np.asarray(gt), np.asarray(pred)
    if gt.shape != pred.shape:
        raise ValueError(f"shapes differ: gt {gt.shape} vs pred {pred.shape}")
    tol = parse_tolerances(tolerances) if not isinstance(tolerances, Tolerances) else tolerances
    boxes = (_boxes(gt), _boxes(pred))
    flat = gt.ndim == 3 and gt.shape[2] == 1
    out = {}
    for key, members in structures.items():
        members = tuple(int(m) for m in members)
        box = _union([b.get(m) for b in boxes for m in members])
        tolerance = tol.for_key(key)
        if box is None:
            empty = np.zeros((1,) * gt.ndim, bool)
            d = surface_distances(empty, empty, spacing=spacing, tolerance=tolerance)
            d["nsd_tolerance_mm"] = float(tolerance)
            out[key] = d
            continue
        out[key] = _measure(gt, pred, boxes, members, spacing, tolerance, flat)
    return out


def with_nsd_key(result: dict) -> dict:
    """A surface result with ``nsd`` renamed after its tolerance (``nsd_2mm``) for a table row."""
    out = {}
    for k, v in result.items():
        if k == "nsd":
            out[nsd_key(result.get("nsd_tolerance_mm", 1.0))] = v
        elif k != "nsd_tolerance_mm":
            out[k] = v
    return out
