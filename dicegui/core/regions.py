"""Error-region navigator: the connected false-positive and false-negative regions.

:func:`error_regions` lists every connected region of false positives
(``pred & ~gt``) and false negatives (``gt & ~pred``) of one binary view of a
case, with its size, place and how much Dice would rise if that region alone
were fixed; :func:`fix_region` fixes one region through
:class:`~dicegui.core.live.LiveScore` and returns an undo delta. Qt-free.

Label swaps
-----------
On the nonzero view a voxel where both masks hold a label, but different
ones, is no error: foreground Dice counts it as right. With ``swaps=True``
those voxels are listed too, as connected regions of a third kind,
``"swap"`` (both foreground, different label), each with the (reference,
prediction) label pairs it holds. Fixing one changes no foreground count
(its ``dice_gain`` is 0); it repairs the per-label Dice of both labels.

Binary view
-----------
With ``label=None`` foreground is every nonzero element (the view of
:func:`dicegui.core.metrics.overlap`); with ``label=k`` it is ``gt == k``
against ``pred == k`` (one row of :func:`dicegui.core.metrics.per_label`).

Connectivity
------------
Regions are face-connected by default (``connectivity=1``: 6 neighbours in
3-D, 4 in 2-D); ``connectivity=ndim`` joins edges and corners too (26 / 8
neighbours, scikit-image's default). Faces are the default because

* dicegui's other region tools use it (the editor's fill and
  "remove small islands", the surface border of :mod:`dicegui.core.surface`),
  so an island the navigator lists is the island those tools act on;
* scans are usually anisotropic (e.g. 0.8 × 0.8 × 3 mm): two voxels of
  neighbouring thick slices that touch only at a corner are millimetres apart
  and rarely one structure;
* a fix then never reaches voxels linked to the region by a corner only.

The price is that a ragged, diagonal-staircase error can be listed as
several regions; pass ``connectivity=ndim`` to merge those.

Dice gain
---------
For the view's counts ``TP, FP, FN``, fixing a false-negative region of
``n`` voxels gives ``TP + n, FN - n``; fixing a false-positive region gives
``FP - n``. ``dice_after`` is the Dice of those counts (same convention as
:func:`~dicegui.core.metrics.scores_from_counts`: both masks empty = 1) and
``dice_gain = dice_after - dice_before``, exactly what
:func:`~dicegui.core.metrics.overlap` reports after the fix.

Speed
-----
Errors live where the two masks differ, which is usually a small part of a
CT-sized volume. The masks are first compared as raw memory (8 bytes at a
time when both have one dtype and are contiguous: identical bytes are
identical values), slab by slab in memory order, into a coarse map of cells
(4 slices × 16 × 16 voxels) holding a difference. Clusters of touching cells
(26-connected, so no error region can span two clusters) give the boxes to
work on; only there are FP/FN masks built, cropped to each kind's own box,
labelled (:func:`scipy.ndimage.label`) and measured from the error voxels'
coordinates (sorted by region, then reduced per run), never by scanning the box again.
When the errors are spread over the whole volume (speckle) the work
approaches one labelling per kind of the whole volume.

Memory
------
The list keeps each region's voxels, not its box: per kind and box, the
flat indices (4 bytes each) of the error voxels, grouped by region, from
which a region rebuilds its mask or its coordinates when asked. The label
array of a box (1–2 bytes a voxel of the box, which on a CT's shell-shaped
errors is many times the error voxels) lives only while that box is
measured: on the 600×512×512 case of ``benchmarks/bench_open_memory.py``
the label arrays kept were 105 MB.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from .edits.delta import EditDelta, record_edit
from .edits.stroke import check_label_fits

KINDS = ("FN", "FP", "swap")
# Order of kinds among regions of equal gain and size.
_KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}
# Cells of the coarse difference map: slices along the slowest axis, and
# elements along each other axis (a multiple of the 8 elements a word holds).
_CELL_SLABS = 4
_CELL = 16
# Elements per slab when counting one label.
_SLAB_ELEMENTS = 1 << 20


class StaleRegionError(ValueError):
    """The masks changed since the region was found; list the regions again."""


@dataclass(frozen=True, eq=False)
class _RegionVoxels:
    """The voxels of one kind's regions inside the box ``offset + shape``, grouped by region.

    ``flat`` holds the C-order flat indices (within the box) of every error
    voxel, region 1's first, each region's in scan order; region ``i``'s are
    ``flat[starts[i - 1]:starts[i]]``. Four bytes a voxel of error (eight
    when the box has 2**32 voxels or more), where the box's label array was
    one or two bytes a voxel of the box, held for as long as the list lives:
    on a CT's shell-shaped errors the box is many times its error voxels.
    """

    flat: np.ndarray
    starts: np.ndarray
    offset: tuple
    shape: tuple

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays."""
        return self.flat.nbytes + self.starts.nbytes

    def coordinates(self, region_id: int) -> tuple:
        """Coordinates in the box of region ``region_id``'s voxels, one int array per axis (C order)."""
        flat = self.flat[self.starts[region_id - 1]:self.starts[region_id]].astype(np.intp)
        return tuple(_axis_coordinate(flat, self.shape, axis) for axis in range(len(self.shape)))


@dataclass(frozen=True, eq=False)
class ErrorRegion:
    """One connected false-positive, false-negative or label-swap region.

    Attributes
    ----------
    kind : {"FP", "FN", "swap"}
        False positive (predicted, not in the ground truth), false negative
        (in the ground truth, missed by the prediction) or swap (both
        foreground, different label; nonzero view only).
    voxels : int
        Number of voxels.
    volume_ml : float
        Volume in millilitres (``voxels × prod(spacing) / 1000`` with spacing
        in mm); ``nan`` when no spacing was given.
    box : tuple of slice
        Bounding box in the volume (``start`` inclusive, ``stop`` exclusive).
    centroid : tuple of float
        Mean voxel position (it may fall outside a curved region; use
        :meth:`focus_voxel` to centre a view on a voxel of the region).
    dice_before, dice_after : float
        Dice of the view now, and after fixing this region alone.
    dice_gain : float
        ``dice_after - dice_before``: > 0, except 0 for a false positive
        while nothing is found (TP = 0 keeps Dice at 0 until the last false
        positive goes) and 0 for a swap (no foreground count changes).
    label : int or None
        The label of the view (None: any nonzero value is foreground).
    connectivity : int
        Connectivity the region was found with.
    shape : tuple of int
        Shape of the volume it belongs to.
    pairs : tuple of (int, int, int)
        Swaps only: ``(reference label, predicted label, voxels)`` of every
        pair in the region, most voxels first; empty for FP / FN.
    """

    kind: str
    voxels: int
    volume_ml: float
    box: tuple
    centroid: tuple
    dice_before: float
    dice_after: float
    dice_gain: float
    label: int | None
    connectivity: int
    shape: tuple
    _voxels: _RegionVoxels = field(repr=False)
    _id: int = field(repr=False)
    pairs: tuple = ()

    @property
    def slice_range(self) -> tuple:
        """First and last slice (inclusive) along every axis, e.g. ``((40, 52), (100, 131), (88, 97))``."""
        return tuple((s.start, s.stop - 1) for s in self.box)

    def mask(self) -> np.ndarray:
        """The region's voxels as a bool array of the shape of :attr:`box`."""
        out = np.zeros(tuple(s.stop - s.start for s in self.box), bool)
        coords = self._voxels.coordinates(self._id)
        for c, s, o in zip(coords, self.box, self._voxels.offset):
            c -= s.start - o
        out[coords] = True
        return out

    def index(self) -> tuple:
        """Coordinates of the region's voxels in the volume, one int array per axis (C order)."""
        coords = self._voxels.coordinates(self._id)
        for c, o in zip(coords, self._voxels.offset):
            c += o
        return coords

    def focus_voxel(self) -> tuple:
        """The voxel of the region nearest its centroid: where to centre a view.

        Unlike the centroid it always lies in the region, so the slice through
        it shows the error.
        """
        coords = self.index()
        d2 = sum((c - m) ** 2 for c, m in zip(coords, self.centroid))
        i = int(np.argmin(d2))
        return tuple(int(c[i]) for c in coords)

    def describe(self, axis: int = -1, axis_name: str | None = None) -> str:
        """One line for a list, e.g. ``"FN 312 voxels (0.94 mL), axial slices 40–52, Dice +0.0123"``.

        Parameters
        ----------
        axis : int, optional
            Axis whose slice range is shown (default the last).
        axis_name : str, optional
            Its name, e.g. ``"axial"``.
        """
        first, last = self.slice_range[axis]
        where = f"slice {first}" if first == last else f"slices {first}\u2013{last}"
        if axis_name:
            where = f"{axis_name} {where}"
        size = f"{self.voxels} voxel" + ("" if self.voxels == 1 else "s")
        if math.isfinite(self.volume_ml):
            size += f" ({self.volume_ml:.3g} mL)"
        if self.kind == "swap":
            return f"swap {size}, {where}, {self.pair_text()}"
        return f"{self.kind} {size}, {where}, Dice +{self.dice_gain:.4f}"

    def pair_text(self) -> str:
        """Swaps: ``"reference 2 → prediction 4"`` (largest pair; ``+1 more pair`` when mixed)."""
        if not self.pairs:
            return ""
        g, p, _ = self.pairs[0]
        more = len(self.pairs) - 1
        tail = f" (+{more} more pair{'s' if more > 1 else ''})" if more else ""
        return f"reference {g} \u2192 prediction {p}{tail}"


# ---------------------------------------------------------------------------
# finding where the masks differ


def _memory_order(arr: np.ndarray) -> list[int]:
    """Axes by decreasing stride: ``arr.transpose(order)`` walks memory in order
    (and is C-contiguous for C- and F-ordered arrays alike)."""
    return sorted(range(arr.ndim), key=lambda a: -abs(arr.strides[a]))


def _block_any(a: np.ndarray, cells) -> np.ndarray:
    """``a`` reduced to blocks of ``cells`` elements per axis: True where a block holds a True."""
    pads = [(0, -n % c) for n, c in zip(a.shape, cells)]
    if any(after for _, after in pads):
        a = np.pad(a, pads)
    split = []
    for n, c in zip(a.shape, cells):
        split += [n // c, c]
    return a.reshape(split).any(axis=tuple(range(1, 2 * a.ndim, 2)))


def _word_views(g: np.ndarray, p: np.ndarray):
    """Raw-memory views of two C-contiguous same-dtype arrays as ``(n0, ..., words per row)``.

    Words never straddle two rows of the last axis, so a word maps to
    ``word // itemsize`` consecutive elements of one row. None when the
    arrays do not qualify.
    """
    if (g.ndim < 2 or g.dtype != p.dtype or g.size == 0
            or not (g.flags.c_contiguous and p.flags.c_contiguous)):
        return None
    row_bytes = g.shape[-1] * g.dtype.itemsize
    word = next((w for w in (8, 4, 2, 1) if row_bytes % w == 0 and w >= g.dtype.itemsize), None)
    if word is None:  # pragma: no cover - real itemsizes are 1, 2, 4 or 8
        return None
    wdt = np.dtype(f"u{word}")
    shape = g.shape[:-1] + (row_bytes // word,)
    gw = g.reshape(-1).view(np.uint8).view(wdt).reshape(shape)
    pw = p.reshape(-1).view(np.uint8).view(wdt).reshape(shape)
    return gw, pw, word // g.dtype.itemsize


def _difference_cells(gt: np.ndarray, pred: np.ndarray):
    """Coarse map of the cells where ``gt`` and ``pred`` hold different values.

    The arrays are read in memory order (``order``), in slabs of
    ``cells[0]`` along the first axis; each slab is compared (as raw words
    when both arrays share one dtype and are contiguous: identical bytes are
    identical values), collapsed along the slab axis and reduced to blocks.

    Returns
    -------
    order : list of int
        Axis order of the map (``gt.transpose(order)`` is what it describes).
    coarse : numpy.ndarray
        Bool map, one entry per cell.
    cells : tuple of int
        Cell size in elements along each axis of the transposed array.
    """
    order = _memory_order(gt)
    g, p = gt.transpose(order), pred.transpose(order)
    ndim = g.ndim
    cells = (_CELL_SLABS,) + (_CELL,) * (ndim - 1) if ndim > 1 else (_CELL,)
    words = _word_views(g, p)
    if words is not None:
        g, p, per_word = words
        plane_cells = cells[1:-1] + (cells[-1] // per_word,) if ndim > 1 else ()
    else:
        plane_cells = cells[1:]
    n0 = g.shape[0]
    coarse = np.zeros((-(-n0 // cells[0]),) + tuple(-(-n // c) for n, c in zip(g.shape[1:], plane_cells)), bool)
    step = cells[0]
    for k, a in enumerate(range(0, n0, step)):
        d = np.not_equal(g[a:a + step], p[a:a + step])
        if not d.any():
            continue
        coarse[k] = _block_any(d.any(axis=0), plane_cells) if ndim > 1 else True
    return order, coarse, cells


class _ClusterCells(NamedTuple):
    """The cells of one cluster in its box, expanded to voxels one row of cells at a time.

    ``coarse`` (bool, one element per cell of the box) and ``cells`` are in
    memory order ``order``. Expanded for the whole box at once they were a
    box-sized bool held through the listing (about 50 MB on a CT).
    """

    coarse: np.ndarray
    cells: tuple
    order: list

    def keep_inside(self, mask: np.ndarray) -> None:
        """``mask &=`` this cluster's voxels, in place (``mask``: the box, caller's axis order)."""
        m = mask.transpose(self.order)
        step = self.cells[0]
        for k in range(self.coarse.shape[0]):
            part = m[k * step:(k + 1) * step]
            row = self.coarse[k:k + 1]
            if row.all():
                continue
            if not row.any():
                part[...] = False
                continue
            for axis, c in enumerate(self.cells):
                row = np.repeat(row, c, axis=axis)
            part &= row[tuple(slice(0, n) for n in part.shape)]


def _difference_boxes(gt: np.ndarray, pred: np.ndarray) -> list:
    """Boxes holding every element where ``gt`` and ``pred`` differ, one per cluster.

    Clusters are the connected groups (faces, edges and corners) of cells
    with a difference: two voxels that touch in any way lie in the same or in
    neighbouring cells, so no error region spans two clusters. Each item is
    ``(box, only)``: ``box`` a tuple of slices in the caller's axis order and
    ``only`` None, or the :class:`_ClusterCells` of this cluster when another
    cluster's cells reach into its box.
    """
    order, coarse, cells = _difference_cells(gt, pred)
    if not coarse.any():
        return []
    ndim = coarse.ndim
    clusters, n = ndimage.label(coarse, structure=np.ones((3,) * ndim, bool))
    shape_t = tuple(gt.shape[a] for a in order)
    inverse = np.argsort(order)
    out = []
    for i, cell_box in enumerate(ndimage.find_objects(clusters), start=1):
        box_t = tuple(slice(s.start * c, min(s.stop * c, size))
                      for s, c, size in zip(cell_box, cells, shape_t))
        sub = clusters[cell_box]
        only = None
        if n > 1 and np.any(sub[sub != 0] != i):
            only = _ClusterCells(sub == i, cells, list(order))
        box = tuple(box_t[int(j)] for j in inverse)
        out.append((box, only))
    return out


# ---------------------------------------------------------------------------
# binary views and counts


def _view(values: np.ndarray, label: int | None) -> np.ndarray:
    """The binary view as bool (exact), e.g. for the voxels of a region."""
    return values != 0 if label is None else values == label


def _comparable_view(values: np.ndarray, label: int | None) -> np.ndarray:
    """The binary view as an array whose ``>`` is ``& ~``: the values themselves
    when they are already 0/1 integers (no full-size temporary), else bools."""
    if label is None and values.dtype.kind in "bu" and (values.dtype == np.bool_ or values.max(initial=0) <= 1):
        return values
    return _view(values, label)


def _foreground_count(arr: np.ndarray, label: int | None) -> int:
    """Foreground elements of the view of ``arr`` (the whole array)."""
    if label is None:
        return int(np.count_nonzero(arr))
    a = arr.transpose(_memory_order(arr))
    step = max(1, _SLAB_ELEMENTS // max(1, a.size // max(1, a.shape[0])))
    return sum(int(np.count_nonzero(a[i:i + step] == label)) for i in range(0, a.shape[0], step))


def _dice(tp, fp, fn) -> np.ndarray:
    """Dice of count arrays, with the both-empty convention (= 1) of scores_from_counts."""
    tp = np.asarray(tp, np.int64)
    union = 2 * tp + np.asarray(fp, np.int64) + np.asarray(fn, np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = (2.0 * tp) / union
    return np.where(union == 0, 1.0, dice)


def _check_connectivity(ndim: int, connectivity) -> int:
    try:
        c = operator.index(connectivity)
    except TypeError:
        c = None
    if c is None or not 1 <= c <= ndim:
        raise ValueError(f"connectivity must be a whole number from 1 to {ndim}, got {connectivity!r}")
    return c


def _check_spacing(spacing, ndim: int) -> float:
    """Voxel volume in mm³ (nan when spacing is None)."""
    if spacing is None:
        return float("nan")
    s = np.asarray(spacing, dtype=np.float64).ravel()
    if s.size != ndim or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"spacing must be {ndim} positive numbers (mm), got {spacing!r}")
    return float(np.prod(s))


def _check_label(label) -> int | None:
    if label is None:
        return None
    if isinstance(label, (bool, np.bool_)):
        raise ValueError(f"label must be a whole number >= 1, got {label!r}")
    try:
        k = operator.index(label)
    except TypeError:
        k = None
    if k is None or k < 1:
        raise ValueError(f"label must be a whole number >= 1, got {label!r}")
    return k


def _check_pair(gt, pred) -> tuple[np.ndarray, np.ndarray]:
    gt, pred = np.asarray(gt), np.asarray(pred)
    for name, arr in (("gt", gt), ("pred", pred)):
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers, not dtype {arr.dtype}")
    if gt.shape != pred.shape:
        raise ValueError(f"gt and pred differ in shape: gt {gt.shape} vs pred {pred.shape}")
    if gt.ndim == 0:
        raise ValueError("error regions need arrays with at least one axis, got 0-d arrays")
    return gt, pred


# ---------------------------------------------------------------------------
# regions


@dataclass(frozen=True, eq=False)
class _Found:
    """The regions of one kind inside one box: their voxels and per-region measures
    (``start``/``stop``: box corners in the volume, ``centroid``: in the volume)."""

    kind: str
    voxels: _RegionVoxels
    sizes: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    centroid: np.ndarray
    pairs: list | None = None  # swaps: per region, tuple of (gt label, pred label, voxels)


def _bool_box(mask: np.ndarray) -> tuple | None:
    """Tight box of the True elements as a tuple of slices (None when there is none).

    Found on the memory-order view: the reshape below would copy an F-ordered
    mask (a box of a NIfTI volume), a box-sized temporary on a CT.
    """
    order = _memory_order(mask)
    if order != list(range(mask.ndim)):
        box = _bool_box(mask.transpose(order))
        return None if box is None else tuple(box[order.index(a)] for a in range(mask.ndim))
    if mask.ndim == 1:
        hit = np.flatnonzero(mask)
        return (slice(int(hit[0]), int(hit[-1]) + 1),) if hit.size else None
    rows = np.flatnonzero(mask.reshape(mask.shape[0], -1).any(axis=1))
    if rows.size == 0:
        return None
    plane = np.logical_or.reduce(mask[rows[0]:rows[-1] + 1], axis=0)
    box = [slice(int(rows[0]), int(rows[-1]) + 1)]
    for axis in range(plane.ndim):
        others = tuple(a for a in range(plane.ndim) if a != axis)
        hit = np.flatnonzero(plane.any(axis=others) if others else plane)
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(box)


#: Elements of a box measured at once by :func:`_measure` (bounds its temporaries).
_MEASURE_CHUNK = 1 << 22


def _measure(kind: str, errors: np.ndarray, structure: np.ndarray, offset: tuple) -> _Found | None:
    """Label one kind's errors (cropped to their box), measure every region and keep its voxels.

    All measures come from the coordinates of the error voxels (cost grows
    with their number, not with the box), read in row chunks with each
    chunk's voxels sorted by region (:class:`_Chunk`): sizes, boxes and
    coordinate sums are reduced over each region's run. The label array is
    dropped before the runs are gathered into the regions' voxels
    (:func:`_group_voxels`).
    """
    box = _bool_box(errors)
    if box is None:
        return None
    errors = errors[box]
    offset = tuple(o + b.start for o, b in zip(offset, box))
    labels, n = _label(errors, structure)
    shape = labels.shape
    ndim = labels.ndim
    count = np.zeros(n + 1, np.int64)
    lo = np.full((ndim, n + 1), np.iinfo(np.intp).max, np.intp)
    hi = np.full((ndim, n + 1), -1, np.intp)
    sums = np.zeros((ndim, n + 1))
    # slab by slab: the error voxels' indices and coordinates (8 bytes each,
    # millions on a CT) exist for one slab at a time; sums of whole
    # coordinates are exact in float64, so the slabs change no value
    row = labels[0].size  # elements per row of the first axis (1 on a 1-D box)
    rows = max(1, _MEASURE_CHUNK // row)
    flat_type = np.uint32 if labels.size < 2 ** 32 else np.uint64
    chunks = []
    for r0 in range(0, shape[0], rows):
        chunk = _Chunk.read(errors[r0:r0 + rows], labels[r0:r0 + rows])
        if chunk is None:
            continue
        ids, first = chunk.ids, chunk.first
        count[ids] += chunk.lengths  # ids of runs are distinct: no ufunc.at needed
        for axis in range(ndim):
            c = _axis_coordinate(chunk.flat, chunk.shape, axis)
            if axis == 0:
                c += r0
            lo[axis, ids] = np.minimum(lo[axis, ids], np.minimum.reduceat(c, first))
            hi[axis, ids] = np.maximum(hi[axis, ids], np.maximum.reduceat(c, first))
            sums[axis, ids] += np.add.reduceat(c, first)
            del c
        chunks.append(chunk.compact(r0 * row, flat_type, labels.dtype))
        del chunk
    del errors, labels
    voxels = _group_voxels(chunks, count, offset, shape, flat_type)
    sizes = count[1:]
    start = (lo + np.array(offset, np.intp)[:, None]).T
    stop = (hi + 1 + np.array(offset, np.intp)[:, None]).T
    centroid = (sums[:, 1:] / sizes + np.array(offset, float)[:, None]).T
    return _Found(kind, voxels, sizes, start[1:], stop[1:], centroid)


class _Chunk(NamedTuple):
    """The error voxels of some rows of a box, sorted by region (stable: scan order kept).

    ``flat`` holds their flat indices in the chunk (``shape``); region
    ``ids[k]``'s run starts at ``first[k]`` and is ``lengths[k]`` long.
    """

    flat: np.ndarray
    shape: tuple
    ids: np.ndarray
    first: np.ndarray
    lengths: np.ndarray

    @classmethod
    def read(cls, errors: np.ndarray, labels: np.ndarray) -> _Chunk | None:
        """The chunk of ``errors`` (bool) with region ids ``labels``; None when it holds no error."""
        flat = np.flatnonzero(errors)
        if flat.size == 0:
            return None
        ids = labels.reshape(-1)[flat]
        by_region = np.argsort(ids, kind="stable")  # a radix sort on uint16 ids
        ids = ids[by_region]
        flat = flat[by_region]
        del by_region
        first = np.flatnonzero(ids[1:] != ids[:-1])
        first += 1
        first = np.concatenate(([0], first))
        lengths = np.diff(first, append=ids.size)
        return cls(flat, errors.shape, ids[first].astype(np.intp), first, lengths)

    def compact(self, start: int, flat_type, id_type) -> tuple:
        """``(ids, lengths, flat + start)`` in small types, held until every chunk is read."""
        flat = self.flat.astype(flat_type)
        flat += flat_type(start)
        lengths = self.lengths.astype(np.uint32)  # a chunk holds far fewer than 2**32 voxels
        return self.ids.astype(id_type), lengths, flat


def _group_voxels(chunks: list, count: np.ndarray, offset: tuple, shape: tuple, flat_type) -> _RegionVoxels:
    """The regions' voxels from the chunks' runs, grouped by region (the last step of a counting sort).

    ``count[i]`` is region ``i``'s size (``count[0]`` unused), so every
    region's place in the result is known; each chunk's run of a region goes
    after the region's runs of earlier chunks (scan order). ``chunks`` is
    emptied as it is read, so that result and chunks together stay about
    the size of the result.
    """
    starts = np.zeros(count.size, np.int64)
    np.cumsum(count[1:], out=starts[1:])
    out = np.empty(int(starts[-1]), flat_type)
    cursor = starts[:-1].copy()  # next free place of region i + 1
    chunks.reverse()
    while chunks:
        ids, lengths, flat = chunks.pop()
        region = ids.astype(np.intp)
        region -= 1
        lengths = lengths.astype(np.intp)
        # place k of the chunk (in run j, which starts at first_j) goes to cursor[region_j] + k - first_j
        first = np.cumsum(lengths) - lengths
        dest = np.arange(flat.size, dtype=np.intp)
        dest += np.repeat(cursor[region] - first, lengths)
        out[dest] = flat
        cursor[region] += lengths
    return _RegionVoxels(out, starts, tuple(offset), tuple(shape))


def _label(errors: np.ndarray, structure: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components, labelled straight into uint16 when their number fits
    (half an int32 box: the label array is the listing's largest temporary).

    Not narrowed further to uint8: the label array lives only until the
    regions' voxels are grouped, and the narrowing copy would add a byte a
    voxel of the box to that moment's peak.
    """
    try:
        labels, n = ndimage.label(errors, structure=structure, output=np.uint16)
    except RuntimeError:  # more than 65,535 regions: scipy says the type is too narrow
        labels, n = ndimage.label(errors, structure=structure)
    return labels, int(n)


def _axis_coordinate(flat: np.ndarray, shape: tuple, axis: int) -> np.ndarray:
    """Coordinate along ``axis`` of C-order flat indices: one axis at a time, so the
    error voxels' coordinates never exist for all axes at once (a CT's millions)."""
    c = flat // int(np.prod(shape[axis + 1:], dtype=np.int64))
    c %= shape[axis]
    return c


def _kind_mask(kind: str, g: np.ndarray, p: np.ndarray, label: int | None) -> np.ndarray:
    """Where one kind of error lies in a box: ``"FN"``, ``"FP"`` or ``"swap"`` (bool, ``g``'s layout).

    Made slab by slab in memory order, so that no temporary larger than a
    slab exists besides the result.
    """
    out = np.empty_like(g, dtype=bool)
    order = _memory_order(g)
    gt_, pt, ot = (a.transpose(order) for a in (g, p, out))
    step = max(1, _SLAB_ELEMENTS // max(1, g.size // max(1, gt_.shape[0])))
    for i in range(0, gt_.shape[0], step):
        a, b, o = gt_[i:i + step], pt[i:i + step], ot[i:i + step]
        if kind == "swap":
            o[...] = _swapped(a, b)
        else:
            a, b = _comparable_view(a, label), _comparable_view(b, label)
            # on 0/1 values, a > b is a & ~b in one operation
            np.greater(a, b, out=o) if kind == "FN" else np.greater(b, a, out=o)
    return out


def _swapped(g: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Both foreground, different values (raw label values of one box)."""
    out = np.not_equal(g, p)
    out &= g != 0
    out &= p != 0
    return out


def _swap_pairs(found: _Found, g: np.ndarray, p: np.ndarray, box: tuple) -> _Found:
    """``found`` with the (reference, prediction) label pairs of each swap region.

    ``g`` / ``p`` are the masks' values in ``box`` (the box ``found`` was
    measured in); the pairs are read at the region voxels only, a chunk of
    them at a time (their coordinates are 8 bytes a voxel and axis).
    """
    voxels = found.voxels
    local = tuple(slice(o - b.start, o - b.start + n) for o, b, n in zip(voxels.offset, box, voxels.shape))
    g, p = g[local], p[local]
    n = found.sizes.size
    ids = np.repeat(np.arange(1, n + 1, dtype=np.uint16 if n < 2 ** 16 else np.int64), found.sizes)
    gv = np.empty(voxels.flat.size, g.dtype)
    pv = np.empty(voxels.flat.size, p.dtype)
    for a in range(0, voxels.flat.size, _MEASURE_CHUNK):
        flat = voxels.flat[a:a + _MEASURE_CHUNK].astype(np.intp)
        coords = tuple(_axis_coordinate(flat, voxels.shape, axis) for axis in range(len(voxels.shape)))
        del flat
        gv[a:a + _MEASURE_CHUNK] = g[coords]
        pv[a:a + _MEASURE_CHUNK] = p[coords]
    pairs = [[] for _ in range(n)]
    for (i, a, b), count in _count_triples(ids, gv, pv):
        pairs[i - 1].append((a, b, count))
    pairs = [tuple(sorted(ps, key=lambda t: (-t[2], t[0], t[1]))) for ps in pairs]
    return _Found(found.kind, found.voxels, found.sizes, found.start, found.stop, found.centroid, pairs)


def _count_triples(ids: np.ndarray, a: np.ndarray, b: np.ndarray) -> list:
    """``[((id, a, b), count), ...]`` of the distinct triples of three equal-length integer arrays.

    The triples are packed into one int64 key when their ranges allow it: a
    CT's millions of swapped voxels then cost one key array to sort rather
    than a stacked copy of three (80 bytes a voxel -> under 20).
    """
    if ids.size == 0:
        return []
    lows = [int(v.min()) for v in (ids, a, b)]
    spans = [int(v.max()) - lo + 1 for v, lo in zip((ids, a, b), lows)]
    if spans[0] * spans[1] * spans[2] >= 2 ** 62:  # labels too far apart to pack: compare rows
        triples, counts = np.unique(np.stack([v.astype(np.int64) for v in (ids, a, b)]), axis=1, return_counts=True)
        return [(tuple(t), n) for t, n in zip(triples.T.tolist(), counts.tolist())]
    key = ids.astype(np.int64) - lows[0]
    for v, lo, span in ((a, lows[1], spans[1]), (b, lows[2], spans[2])):
        key *= span
        np.add(key, v, out=key, casting="unsafe")  # whole values (float labels too): exact
        key -= lo
    keys, counts = np.unique(key, return_counts=True)
    del key
    rest, vb = np.divmod(keys, spans[2])
    vi, va = np.divmod(rest, spans[1])
    return [((i + lows[0], x + lows[1], y + lows[2]), n)
            for i, x, y, n in zip(vi.tolist(), va.tolist(), vb.tolist(), counts.tolist())]


def error_regions(gt, pred, spacing=None, connectivity: int = 1, *, label: int | None = None,
                  limit: int | None = None, swaps: bool = False) -> list[ErrorRegion]:
    """Connected false-positive and false-negative regions, most Dice to gain first.

    Parameters
    ----------
    gt, pred : array_like
        Ground truth and prediction of the same shape (any number of axes;
        bool, integer or float values).
    spacing : sequence of float, optional
        Voxel size in mm along each axis, for ``volume_ml`` (nan without it).
    connectivity : int, optional
        1 (default: faces, 6 neighbours in 3-D) to ``ndim`` (faces, edges and
        corners, 26 neighbours). See the module notes for why faces.
    label : int, optional
        Work on ``gt == label`` against ``pred == label``; default: any
        nonzero value is foreground.
    limit : int, optional
        Return only the ``limit`` regions with the largest gain (all are
        still found and ranked).
    swaps : bool, optional
        Also list label-swap regions (kind ``"swap"``: both masks
        foreground, different label). Only on the nonzero view: with a
        ``label`` those voxels are already its FN / FP, and this is ignored.

    Returns
    -------
    list of ErrorRegion
        Sorted by ``dice_gain`` descending, then size descending, then FN,
        FP, swap, then scan order. Empty when the views agree. Regions of
        one kind and box share one array of their voxels' indices (4 bytes
        a voxel of error; 8 in a box of 2**32 voxels or more), a snapshot
        of the masks at listing time.

    Raises
    ------
    ValueError
        Shapes differ, non-numeric input, bad ``spacing``, ``connectivity``
        or ``label``.

    Examples
    --------
    >>> gt = np.zeros((1, 8, 8), np.uint8); gt[0, 1:4, 1:4] = 1
    >>> pred = np.zeros_like(gt); pred[0, 1:4, 1:3] = 1; pred[0, 6, 6] = 1
    >>> [(r.kind, r.voxels, round(r.dice_gain, 4)) for r in error_regions(gt, pred)]
    [('FN', 3, 0.1974), ('FP', 1, 0.05)]
    """
    gt, pred = _check_pair(gt, pred)
    label = _check_label(label)
    connectivity = _check_connectivity(gt.ndim, connectivity)
    voxel_mm3 = _check_spacing(spacing, gt.ndim)
    if limit is not None and (operator.index(limit) < 0):
        raise ValueError(f"limit must be >= 0, got {limit!r}")

    structure = ndimage.generate_binary_structure(gt.ndim, connectivity)
    found: list[_Found] = []
    for box, only in _difference_boxes(gt, pred):
        g, p = gt[box], pred[box]
        offset = tuple(b.start for b in box)
        kinds = ["FN", "FP"] + (["swap"] if swaps and label is None else [])
        # One kind's error mask at a time, made slab by slab: on a CT box of
        # tens of millions of voxels, the binary views of both masks and
        # every kind's mask at once were a third of a gigabyte.
        for kind in kinds:
            errors = _kind_mask(kind, g, p, label)
            if only is not None:
                only.keep_inside(errors)
            f = _measure(kind, errors, structure, offset)
            del errors
            if f is not None:
                found.append(_swap_pairs(f, g, p, box) if kind == "swap" else f)
    if not found:  # values differed, views did not (e.g. labels 1 and 2 on the nonzero view)
        return []

    n_fp = sum(int(f.sizes.sum()) for f in found if f.kind == "FP")
    n_fn = sum(int(f.sizes.sum()) for f in found if f.kind == "FN")
    tp = _foreground_count(gt, label) - n_fn
    before = float(_dice(tp, n_fp, n_fn))

    sizes = np.concatenate([f.sizes for f in found])
    rank = np.concatenate([np.full(f.sizes.size, _KIND_RANK[f.kind]) for f in found])
    source = np.concatenate([np.full(f.sizes.size, i) for i, f in enumerate(found)])
    ids = np.concatenate([np.arange(f.sizes.size) for f in found])
    after = np.select([rank == _KIND_RANK["FP"], rank == _KIND_RANK["FN"]],
                      [_dice(tp, n_fp - sizes, n_fn), _dice(tp + sizes, n_fp, n_fn - sizes)], before)
    gain = after - before
    # lexsort sorts by the last key first. Ties end in scan order: boxes in
    # scan order of their cells, labels in scan order within a box.
    order = np.lexsort((ids, source, rank, -sizes, -gain))
    if limit is not None:
        order = order[:limit]

    # Python lists once: indexing NumPy arrays element by element is slow
    # for the tens of thousands of regions of a speckled prediction.
    columns = [(f.sizes.tolist(), f.start.tolist(), f.stop.tolist(), f.centroid.tolist()) for f in found]
    shape = tuple(gt.shape)
    regions = []
    for src, j, after_i, gain_i in zip(source[order].tolist(), ids[order].tolist(),
                                       after[order].tolist(), gain[order].tolist()):
        f = found[src]
        sizes_f, start_f, stop_f, centroid_f = columns[src]
        n = sizes_f[j]
        regions.append(ErrorRegion(
            kind=f.kind,
            voxels=n,
            volume_ml=n * voxel_mm3 / 1000.0,
            box=tuple(map(slice, start_f[j], stop_f[j])),
            centroid=tuple(centroid_f[j]),
            dice_before=before,
            dice_after=after_i,
            dice_gain=gain_i,
            label=label,
            connectivity=connectivity,
            shape=shape,
            _voxels=f.voxels,
            _id=j + 1,
            pairs=() if f.pairs is None else f.pairs[j],
        ))
    return regions


# ---------------------------------------------------------------------------
# fixing one region


class Hidden(NamedTuple):
    """What a filter left out of a region list."""

    regions: int
    voxels: int
    dice_gain: float  # the sum of their gains (each counted alone)


def filter_regions(regions, kind: str | None = None, min_voxels: int = 1) -> tuple[list, Hidden]:
    """The regions of one kind and at least ``min_voxels`` voxels, and a count of the rest.

    Parameters
    ----------
    regions : list of ErrorRegion
        As :func:`error_regions` returns them (order kept).
    kind : {"FP", "FN", "swap"}, optional
        Keep this kind only; default all.
    min_voxels : int
        Keep regions of at least this many voxels.

    Returns
    -------
    (list of ErrorRegion, Hidden)
        The regions kept, and the number, voxels and summed Dice gain of
        those of the chosen kind that are smaller (regions of other kinds
        are not "hidden": the kind was asked for).
    """
    of_kind = [r for r in regions if kind is None or r.kind == kind]
    kept = [r for r in of_kind if r.voxels >= min_voxels]
    small = [r for r in of_kind if r.voxels < min_voxels]
    return kept, Hidden(len(small), int(sum(r.voxels for r in small)), float(sum(r.dice_gain for r in small)))


def min_voxels_for(size: float, per_voxel: float) -> int:
    """The fewest voxels whose size (``voxels * per_voxel``) reaches ``size``; at least 1.

    A small relative allowance keeps ``3 * 0.1`` mL from needing 4 voxels
    to reach 0.3 mL.
    """
    if not (size > 0) or not (per_voxel > 0) or not math.isfinite(per_voxel):
        return 1
    return max(1, math.ceil(size / per_voxel * (1 - 1e-9)))


def _truth_values(value: np.ndarray, pred: np.ndarray):
    """The reference's values of a region to write into ``pred`` (every label
    of the region right), and the edit's metadata."""
    top = value.max()
    biggest = 1 if pred.dtype == np.bool_ else np.iinfo(pred.dtype).max if pred.dtype.kind in "iu" else None
    if biggest is not None and top > biggest:
        raise ValueError(f"ground-truth label {top} does not fit the pred mask's dtype {pred.dtype}")
    labels = np.unique(value)
    return value, {"tool": "fill", "label": int(labels[0]) if labels.size == 1 else None}


def fix_region(live, region: ErrorRegion, label: int | None = None) -> EditDelta:
    """Fix one error region in the prediction, as one undoable edit.

    A false-negative region is added to the prediction, a false-positive
    region is deleted (set to 0), a swap region takes the reference's
    labels. The write goes
    through :meth:`LiveScore.apply <dicegui.core.live.LiveScore.apply>`, so
    the live counts stay exact; undo with
    ``apply_delta(live, delta, undo=True)`` and redo with
    ``apply_delta(live, delta)`` (:mod:`dicegui.core.edits`).

    Parameters
    ----------
    live : dicegui.core.live.LiveScore
        Holds the masks the region was found in.
    region : ErrorRegion
        From :func:`error_regions` on ``live.gt`` and ``live.pred``.
    label : int, optional
        Value written for a false-negative region (a swap always takes the
        reference's own labels). Default: the region's
        label when it was found on one label's view; on the nonzero view,
        the ground truth's own values there (1 for binary masks; the right
        labels of a label map, so the fix repairs the per-label scores too).

    Returns
    -------
    EditDelta
        Tool ``"fill"`` (FN, swap) or ``"erase"`` (FP), whole-volume scope.

    Raises
    ------
    StaleRegionError
        The masks changed since the region was found (the region is no
        longer exactly an error of its kind, or the shape differs).
    ValueError
        ``label`` does not fit the prediction's dtype.
    """
    gt, pred = live.gt, live.pred
    if tuple(pred.shape) != region.shape:
        raise StaleRegionError(
            f"the region belongs to a volume of shape {region.shape}, the masks have shape {pred.shape}"
        )
    index = region.index()
    if region.kind == "swap":
        still = _swapped(gt[index], pred[index])
    else:
        g = _view(gt[index], region.label)
        p = _view(pred[index], region.label)
        still = (g & ~p) if region.kind == "FN" else (p & ~g)
    if not still.all():
        raise StaleRegionError(
            f"the masks changed since this {region.kind} region was found "
            f"({region.voxels - int(np.count_nonzero(still))} of its {region.voxels} voxels are no "
            "longer errors); list the error regions again"
        )
    if region.kind == "swap":
        value, meta = _truth_values(gt[index], pred)
    elif region.kind == "FN":
        if label is not None or region.label is not None:
            value = label if label is not None else region.label
            check_label_fits(pred, value, "pred")
            meta = {"tool": "fill", "label": int(value)}
        elif pred.dtype == np.bool_:
            value, meta = True, {"tool": "fill", "label": 1}
        else:
            value, meta = _truth_values(gt[index], pred)
    else:
        value = 0
        meta = {"tool": "erase", "label": region.label}
    delta = record_edit(live, "pred", index, value, scope="volume", axis=None, slice_index=None, **meta)
    if delta is None:  # pragma: no cover - a verified region always changes
        raise StaleRegionError("fixing the region changed nothing; list the error regions again")
    return delta
