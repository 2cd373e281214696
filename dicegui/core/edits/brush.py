"""Round brush geometry: disc and sphere footprints, gap-free segments, the voxels a dab writes.

Conventions
-----------
* A mask is a 3-D array; the user paints on the slice ``slice_index`` across
  ``axis``. In-plane points are ``(u, v)``: indices along the two remaining
  axes in increasing order (:func:`plane_axes`).
* Mouse positions are snapped to the voxel under the cursor (rounded to the
  nearest integer index), as the voxel outline the user sees is the voxel
  that gets painted. Footprints are therefore centred on voxel centres and
  can be precomputed once per radius.
* The brush is round in millimetres. Its ``radius`` is given in voxels of the
  finer in-plane axis: ``radius_mm = radius * min(in-plane spacing)``. With
  isotropic in-plane spacing this is the textbook disc
  ``{(u, v): (u - cu)² + (v - cv)² <= radius²}``; with spacing ``(0.5, 1.5)``
  a radius of 4 is 2 mm, i.e. 4 voxels along the fine axis and 1 along the
  coarse one. A voxel belongs to the footprint when its centre lies within
  ``radius_mm`` of the brush centre (boundary included).
* The optional 3-D brush is the sphere of the same ``radius_mm`` (using the
  spacing of all three axes), so its cross-section on the painted slice is the
  2-D disc and it reaches ``radius_mm / spacing[axis]`` slices either side.
* Successive mouse positions of one drag are joined: the painted set is every
  voxel whose centre lies within ``radius_mm`` of the segment between the two
  positions (a "capsule"), plus the digital line between them so that even a
  radius-0 brush leaves an 8-connected trail however fast the mouse moves.

Cost: a dab at one position reads and writes only the bounding box of the
(cached) footprint; a segment only the bounding box of the capsule clipped to
the volume. Nothing here allocates anything of the size of a slice or volume.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

# Relative slack on the squared-distance test: keeps voxels whose centre lies
# exactly on the brush boundary in, despite rounding in the capsule formula.
_REL_TOL = 1e-9


def plane_axes(axis: int) -> tuple[int, int]:
    """The two in-plane axes of a slice across ``axis`` of a 3-D array, increasing.

    Parameters
    ----------
    axis : {0, 1, 2}
        Axis the slice is taken across.

    Returns
    -------
    tuple of int
        The other two axes, e.g. ``(0, 2)`` for ``axis=1``.

    Raises
    ------
    ValueError
        If ``axis`` is not 0, 1 or 2.
    """
    if axis not in (0, 1, 2):
        raise ValueError(f"slice axis must be 0, 1 or 2, got {axis!r}")
    return tuple(a for a in range(3) if a != axis)


def brush_radius_mm(radius: float, in_plane_spacing) -> float:
    """Millimetre radius of a brush of ``radius`` voxels (of the finer in-plane axis).

    Parameters
    ----------
    radius : float
        Brush radius in voxels.
    in_plane_spacing : pair of float
        Voxel size in mm along the two in-plane axes.

    Returns
    -------
    float
        ``radius * min(in_plane_spacing)``.
    """
    return float(radius) * float(min(in_plane_spacing))


def _check_radius(radius: float) -> float:
    radius = float(radius)
    if not math.isfinite(radius) or radius < 0:
        raise ValueError(f"brush radius must be a finite number >= 0, got {radius!r}")
    return radius


def _check_spacing(spacing, ndim: int) -> tuple[float, ...]:
    spacing = tuple(float(s) for s in spacing)
    if len(spacing) != ndim or not all(math.isfinite(s) and s > 0 for s in spacing):
        raise ValueError(f"spacing must be {ndim} positive numbers, got {spacing!r}")
    return spacing


def _half_extent(radius_mm: float, step: float) -> int:
    """Largest whole number of voxels of size ``step`` within ``radius_mm``."""
    return int(math.floor(radius_mm / step * (1 + _REL_TOL) + _REL_TOL))


def _within(d2: np.ndarray, radius_mm: float) -> np.ndarray:
    r2 = radius_mm * radius_mm
    return d2 <= r2 * (1 + _REL_TOL) + _REL_TOL * 1e-3


@functools.lru_cache(maxsize=256)
def _ball(radius_mm: float, spacing: tuple[float, ...], flat_axes: tuple[int, ...]) -> np.ndarray:
    """Voxels whose centre lies within ``radius_mm`` of the centre voxel (read-only, cached).

    Axes in ``flat_axes`` get extent 1 (the disc of a 2-D brush embedded in 3-D).
    """
    half = [0 if a in flat_axes else _half_extent(radius_mm, s) for a, s in enumerate(spacing)]
    grids = np.ogrid[tuple(slice(-h, h + 1) for h in half)]
    d2 = sum((g * s) ** 2 for g, s in zip(grids, spacing))
    ball = np.ascontiguousarray(_within(np.asarray(d2), radius_mm))
    ball.flags.writeable = False
    return ball


def disc_footprint(radius: float, spacing=(1.0, 1.0)) -> np.ndarray:
    """Boolean disc of a 2-D brush, centred in an array of odd shape.

    Parameters
    ----------
    radius : float
        Brush radius in voxels of the finer of the two axes (>= 0; 0 is one voxel).
    spacing : pair of float
        Voxel size in mm along the two in-plane axes.

    Returns
    -------
    numpy.ndarray
        Read-only bool array of shape ``(2a + 1, 2b + 1)``; element ``(a + du, b + dv)``
        is True when ``(du·su)² + (dv·sv)² <= (radius·min(su, sv))²``. Cached per
        ``(radius, spacing)``.
    """
    radius = _check_radius(radius)
    spacing = _check_spacing(spacing, 2)
    return _ball(brush_radius_mm(radius, spacing), spacing, ())


def sphere_footprint(radius_mm: float, spacing=(1.0, 1.0, 1.0)) -> np.ndarray:
    """Boolean ball of all voxels whose centre lies within ``radius_mm`` of the centre voxel.

    Parameters
    ----------
    radius_mm : float
        Radius in millimetres (>= 0).
    spacing : sequence of float
        Voxel size in mm along each axis (any number of axes).

    Returns
    -------
    numpy.ndarray
        Read-only bool array of odd shape, centred; cached per ``(radius_mm, spacing)``.
    """
    radius_mm = _check_radius(radius_mm)
    spacing = _check_spacing(spacing, len(tuple(spacing)))
    return _ball(radius_mm, spacing, ())


def digital_line(p0, p1, lo=None, hi=None) -> np.ndarray:
    """Integer points of an 8-connected (26- in 3-D) line from ``p0`` to ``p1``, both included.

    Parameters
    ----------
    p0, p1 : sequence of int
        End points.
    lo, hi : sequence of int, optional
        Keep only points with ``lo <= p < hi``; the steps outside are never
        generated, so a segment reaching far outside the volume costs no more
        than its part inside.

    Returns
    -------
    numpy.ndarray
        ``(m, ndim)`` int64 array; without ``lo``/``hi`` ``m = n + 1`` with
        ``n = max |p1 - p0|``: one point per step along the dominant axis, so
        consecutive points differ by at most 1 along every axis.
    """
    p0 = np.asarray(p0, dtype=np.int64)
    p1 = np.asarray(p1, dtype=np.int64)
    d = p1 - p0
    n = int(np.abs(d).max(initial=0))
    if n == 0:
        pts = p0[None, :].copy()
    else:
        k0, k1 = 0, n
        if lo is not None and hi is not None:
            # Steps k where every coordinate p0 + d·k/n is within [lo - 1, hi]:
            # solved per axis, widened by one step against rounding.
            for a in range(p0.size):
                if d[a] == 0:
                    continue
                ka = (float(lo[a]) - 1 - p0[a]) * n / d[a]
                kb = (float(hi[a]) - p0[a]) * n / d[a]
                k0 = max(k0, int(math.floor(min(ka, kb))) - 1)
                k1 = min(k1, int(math.ceil(max(ka, kb))) + 1)
            if k1 < k0:
                return np.zeros((0, p0.size), np.int64)
        k = np.arange(k0, k1 + 1, dtype=np.int64)[:, None]
        # round(p0 + d·k/n) in exact integers: the same set whichever end is p0.
        pts = (2 * (p0 * n + d * k) + n) // (2 * n)
    if lo is not None and hi is not None:
        pts = pts[np.all((pts >= np.asarray(lo)) & (pts < np.asarray(hi)), axis=1)]
    return pts


def capsule_footprint(p0, p1, radius_mm: float, spacing, half, shape):
    """Voxels within ``radius_mm`` of the segment ``p0``–``p1``, clipped to ``shape``.

    Parameters
    ----------
    p0, p1 : sequence of int
        Segment end points (voxel indices, any number of axes).
    radius_mm : float
        Distance threshold in mm.
    spacing : sequence of float
        Voxel size in mm per axis.
    half : sequence of int
        How far the footprint may reach from the segment along each axis, in
        voxels (0 keeps the footprint on the segment's own slice).
    shape : sequence of int
        Array shape to clip to.

    Returns
    -------
    (tuple of slice, numpy.ndarray) or None
        The clipped bounding box and the bool footprint inside it (including
        the digital line between the end points), or None when the capsule
        misses the array.
    """
    p0 = np.asarray(p0, dtype=np.int64)
    p1 = np.asarray(p1, dtype=np.int64)
    half = np.asarray(half, dtype=np.int64)
    shape = np.asarray(shape, dtype=np.int64)
    lo = np.maximum(np.minimum(p0, p1) - half, 0)
    hi = np.minimum(np.maximum(p0, p1) + half + 1, shape)
    if np.any(hi <= lo):
        return None
    sp = np.asarray(spacing, dtype=np.float64)
    # Open grids of mm offsets from p0: the only full-box temporaries are the
    # projection parameter and the squared distance.
    grids = np.ogrid[tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))]
    offs = [(g - int(c)) * s for g, c, s in zip(grids, p0, sp)]
    d = (p1 - p0) * sp
    dd = float(d @ d)
    t = sum(o * float(di) for o, di in zip(offs, d))
    t = np.clip(t / dd, 0.0, 1.0) if dd else np.zeros_like(t)
    t = np.broadcast_to(t, tuple(int(b - a) for a, b in zip(lo, hi)))
    d2 = np.zeros(t.shape)
    for o, di in zip(offs, d):
        d2 += (o - t * float(di)) ** 2
    fp = _within(d2, radius_mm)
    line = digital_line(p0, p1, lo, hi) - lo
    fp[tuple(line.T)] = True
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi)), fp


@dataclass(frozen=True)
class Brush:
    """What a brush or eraser stroke writes.

    Attributes
    ----------
    radius : float
        In voxels of the finer in-plane axis (see module notes); 0 paints one voxel.
    label : int
        Active label: the value painted, and the label an "only this label"
        eraser removes. 1 for binary masks.
    erase : bool
        Write 0 instead of ``label``.
    erase_only_label : bool
        Eraser only: clear voxels holding ``label`` and leave other labels alone.
    protect_other_labels : bool
        Paint only where the mask is 0 or already ``label``.
    sphere : bool
        3-D brush: a ball of the same mm radius instead of an in-plane disc.
    intensity_range : (float, float) or None
        Edit only voxels whose image value ``x`` satisfies ``low <= x <= high``
        (Slicer's "editable intensity range"). It limits the eraser too, as in
        Slicer: erasing "only where the image is bright" keeps the rest. NaN
        image values are outside every range.
    """

    radius: float = 5.0
    label: int = 1
    erase: bool = False
    erase_only_label: bool = False
    protect_other_labels: bool = False
    sphere: bool = False
    intensity_range: tuple[float, float] | None = None

    def __post_init__(self):
        _check_radius(self.radius)
        if int(self.label) != self.label or self.label < 1:
            raise ValueError(f"active label must be a positive integer, got {self.label!r}")
        if self.intensity_range is not None:
            object.__setattr__(self, "intensity_range", check_intensity_range(self.intensity_range))

    @property
    def value(self) -> int:
        """The value this brush writes."""
        return 0 if self.erase else int(self.label)

    @property
    def tool(self) -> str:
        """``"erase"`` or ``"paint"``."""
        return "erase" if self.erase else "paint"


def brush_footprint(shape, axis: int, slice_index: int, p0, p1, radius: float,
                    spacing=(1.0, 1.0, 1.0), sphere: bool = False):
    """Bounding box and footprint of a brush moved from ``p0`` to ``p1`` on one slice.

    Parameters
    ----------
    shape : tuple of 3 int
        Shape of the mask.
    axis, slice_index : int
        The slice painted on.
    p0, p1 : pair of float
        In-plane positions (along :func:`plane_axes`), snapped to the nearest
        voxel. ``p0 == p1`` is a single dab and uses the cached footprint.
    radius : float
        Brush radius in voxels of the finer in-plane axis.
    spacing : 3 floats
        Voxel size in mm along the mask's three axes.
    sphere : bool
        3-D brush (ball) instead of an in-plane disc.

    Returns
    -------
    (tuple of slice, numpy.ndarray) or None
        Box in the mask and a bool footprint of the box's shape (possibly a
        read-only view of a cached array), or None if the brush misses the mask.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) != 3:
        raise ValueError(f"brush needs a 3-D mask, got shape {shape}")
    radius = _check_radius(radius)
    spacing = _check_spacing(spacing, 3)
    u_ax, v_ax = plane_axes(axis)
    if not 0 <= slice_index < shape[axis]:
        raise IndexError(f"slice {slice_index} is out of range for axis {axis} of length {shape[axis]}")
    for p in (p0, p1):
        if len(p) != 2 or not all(math.isfinite(float(x)) and abs(float(x)) < 2**40 for x in p):
            raise ValueError(f"brush position must be two finite in-plane coordinates, got {p!r}")
    radius_mm = brush_radius_mm(radius, (spacing[u_ax], spacing[v_ax]))
    c0 = np.zeros(3, np.int64)
    c1 = np.zeros(3, np.int64)
    c0[axis] = c1[axis] = slice_index
    c0[[u_ax, v_ax]] = np.floor(np.asarray(p0, dtype=np.float64) + 0.5)
    c1[[u_ax, v_ax]] = np.floor(np.asarray(p1, dtype=np.float64) + 0.5)
    flat = () if sphere else (axis,)
    if np.array_equal(c0, c1):
        ball = _ball(radius_mm, spacing, flat)
        half = np.asarray(ball.shape) // 2
        lo = c0 - half
        hi = lo + ball.shape
        clo = np.maximum(lo, 0)
        chi = np.minimum(hi, shape)
        if np.any(chi <= clo):
            return None
        box = tuple(slice(int(a), int(b)) for a, b in zip(clo, chi))
        sub = tuple(slice(int(a), int(b)) for a, b in zip(clo - lo, chi - lo))
        return box, ball[sub]
    half = [0 if a in flat else _half_extent(radius_mm, spacing[a]) for a in range(3)]
    return capsule_footprint(c0, c1, radius_mm, spacing, half, shape)


def dab_targets(region: np.ndarray, footprint: np.ndarray, brush: Brush,
                image_region: np.ndarray | None = None) -> np.ndarray:
    """Which voxels of ``region`` a brush with ``footprint`` actually changes.

    Parameters
    ----------
    region : numpy.ndarray
        The mask inside the footprint's bounding box (a view is fine; not modified).
    footprint : numpy.ndarray
        Bool array of ``region``'s shape.
    brush : Brush
        Tool settings (paint/erase value, protection rules, intensity range).
    image_region : numpy.ndarray, optional
        The image inside the same box; required when ``brush.intensity_range`` is set.

    Returns
    -------
    numpy.ndarray
        Bool array of ``region``'s shape: in the footprint, allowed by the
        protection rules and the intensity range, and not already holding the
        value written.
    """
    if brush.erase:
        hit = region == brush.label if brush.erase_only_label else region != 0
    else:
        hit = region != brush.label
        if brush.protect_other_labels:
            hit &= region == 0
    hit &= footprint
    if brush.intensity_range is not None:
        if image_region is None:
            raise ValueError("an intensity-limited brush needs the image")
        # In place on the small box: the range costs two compares per footprint voxel.
        low, high = brush.intensity_range
        hit &= image_region >= low
        hit &= image_region <= high
    return hit


def check_intensity_range(intensity_range) -> tuple[float, float]:
    """Validate an intensity range ``(low, high)``.

    Parameters
    ----------
    intensity_range : pair of float
        Lowest and highest image value that may be edited (both included).

    Returns
    -------
    tuple of float
        ``(low, high)`` as floats.

    Raises
    ------
    ValueError
        If it is not two numbers (not NaN) with ``low <= high``.
    """
    try:
        low, high = (float(x) for x in intensity_range)
    except (TypeError, ValueError):
        raise ValueError(f"intensity range must be two numbers (low, high), got {intensity_range!r}") from None
    if math.isnan(low) or math.isnan(high) or low > high:
        raise ValueError(f"intensity range must have low <= high, got ({low:g}, {high:g})")
    return low, high


def check_image_fits(image: np.ndarray, mask: np.ndarray, which: str) -> np.ndarray:
    """Raise ValueError unless ``image`` has ``mask``'s shape; returns ``image``.

    Parameters
    ----------
    image : numpy.ndarray
        The scan whose intensities limit an edit.
    mask : numpy.ndarray
        The mask edited.
    which : {"gt", "pred"}
        Name of the mask, for the message.
    """
    image = np.asarray(image)
    if image.shape != mask.shape:
        raise ValueError(f"the image has shape {image.shape} but the {which} mask has shape {mask.shape}")
    if image.dtype.kind not in "biuf":
        raise ValueError(f"the image has dtype {image.dtype}: an intensity range needs numbers")
    return image
