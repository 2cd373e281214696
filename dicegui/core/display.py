"""Qt-free display geometry: radiological slice planes, voxel ↔ screen maps, window/level.

Conventions (what a radiologist expects, and what 3D Slicer and ITK-SNAP show)
--------------------------------------------------------------------------------
Volumes are first viewed in the closest RAS+ orientation
(:func:`dicegui.core.geometry.canonical_view`: axis 0 runs towards the
patient's Right, axis 1 Anterior, axis 2 Superior). A :class:`Plane` then
cuts a 2-D screen image (rows downwards, columns rightwards) out of that view:

* axial: patient right on screen left, anterior at the top (viewed from the feet);
* coronal: patient right on screen left, superior at the top (viewed from the front);
* sagittal: anterior on screen left, superior at the top.

A genuinely 2-D image (a PNG, one DICOM frame) is shown in its file order
instead (row 0 at the top), which is how such files are meant to be displayed.
Every plane image is a NumPy *view* (transposes and reversed strides only):
changing slice never copies the volume.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# ---------------------------------------------------------------------- planes
@dataclass(frozen=True)
class Plane:
    """How one screen plane is cut from a 3-D array.

    Attributes
    ----------
    name : str
        ``"axial"``, ``"coronal"``, ``"sagittal"`` or ``"image"`` (2-D file order).
    axis : int
        Array axis the slices are taken across.
    row_axis, col_axis : int
        Array axes that run down the screen rows and across the columns.
    row_flip, col_flip : bool
        Whether screen rows/columns run against their array axis.
    edges : tuple of str
        Direction letters at the (top, bottom, left, right) screen edges.
    """

    name: str
    axis: int
    row_axis: int
    row_flip: bool
    col_axis: int
    col_flip: bool
    edges: tuple = ("", "", "", "")

    @property
    def title(self) -> str:
        return self.name.capitalize()


PLANES = {
    "axial": Plane("axial", 2, 1, True, 0, True, ("A", "P", "R", "L")),
    "coronal": Plane("coronal", 1, 2, True, 0, True, ("S", "I", "R", "L")),
    "sagittal": Plane("sagittal", 0, 2, True, 1, True, ("S", "I", "A", "P")),
}
IMAGE_PLANE = Plane("image", 2, 0, False, 1, False)
# RAS letter of the slice axis of each plane, for "S: 55.3 mm"-style readouts.
SLICE_AXIS_LETTER = {"axial": "S", "coronal": "A", "sagittal": "R", "image": "k"}


def plane_image(array: np.ndarray, plane: Plane, index: int) -> np.ndarray:
    """The 2-D screen image of slice ``index`` (a view, never a copy).

    Parameters
    ----------
    array : numpy.ndarray
        3-D array in view space (see :class:`ViewGrid`).
    plane : Plane
    index : int
        Slice position along ``plane.axis``.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)`` view; row 0 is the top of the screen.
    """
    idx = [slice(None)] * 3
    idx[plane.axis] = index
    img = array[tuple(idx)]
    if plane.row_axis > plane.col_axis:  # remaining axes come out in ascending order
        img = img.T
    if plane.row_flip:
        img = img[::-1]
    if plane.col_flip:
        img = img[:, ::-1]
    return img


def gather_slice(image: np.ndarray) -> np.ndarray:
    """``image`` in C order, its elements read in the order they lie in memory.

    Parameters
    ----------
    image : numpy.ndarray
        A 2-D view, e.g. from :func:`plane_image`.

    Returns
    -------
    numpy.ndarray
        ``image`` itself when it is C-contiguous, else a C-contiguous copy.

    Notes
    -----
    The axial slice of a C-order CT runs across its columns with a stride of
    a whole image row (300 KB): copied column after column, as
    ``numpy.ascontiguousarray`` does, every element lands on another page.
    Copying in memory order first and reordering the small copy, which sits
    in cache, halves a cold gather (3.7 ms → 2.0 ms at 512²).
    """
    if image.flags.c_contiguous:
        return image
    return np.ascontiguousarray(np.array(image, order="K"))


def plane_shape(plane: Plane, shape) -> tuple[int, int]:
    """(rows, cols) of the screen image of a volume of ``shape``."""
    return int(shape[plane.row_axis]), int(shape[plane.col_axis])


def plane_spacing(plane: Plane, spacing) -> tuple[float, float]:
    """(row height, column width) in mm of a screen pixel."""
    return float(spacing[plane.row_axis]), float(spacing[plane.col_axis])


def plane_to_voxel(plane: Plane, index: int, row: int, col: int, shape) -> tuple[int, int, int]:
    """Array index (view space) of screen pixel ``(row, col)`` on slice ``index``."""
    ijk = [0, 0, 0]
    ijk[plane.axis] = int(index)
    ijk[plane.row_axis] = int(shape[plane.row_axis]) - 1 - int(row) if plane.row_flip else int(row)
    ijk[plane.col_axis] = int(shape[plane.col_axis]) - 1 - int(col) if plane.col_flip else int(col)
    return tuple(ijk)


def voxel_to_plane(plane: Plane, ijk, shape) -> tuple[int, int, int]:
    """(slice index, row, col) at which view-space voxel ``ijk`` is drawn."""
    r = int(ijk[plane.row_axis])
    c = int(ijk[plane.col_axis])
    if plane.row_flip:
        r = int(shape[plane.row_axis]) - 1 - r
    if plane.col_flip:
        c = int(shape[plane.col_axis]) - 1 - c
    return int(ijk[plane.axis]), r, c


# --------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class ViewGrid:
    """The map between a file's voxel order and the display ("view") order.

    Attributes
    ----------
    file_shape : tuple of int
        Shape of the arrays as loaded.
    perm : tuple of int
        ``perm[v]`` is the file axis shown along view axis ``v``.
    flips : tuple of bool
        ``flips[v]``: view axis ``v`` runs against its file axis.
    affine : numpy.ndarray
        View voxel → RAS mm.
    is_2d : bool
        A 2-D image shown in file order (single plane ``IMAGE_PLANE``).
    """

    file_shape: tuple
    perm: tuple
    flips: tuple
    affine: np.ndarray
    is_2d: bool = False

    @classmethod
    def identity(cls, shape, affine=None, is_2d=False) -> "ViewGrid":
        """A grid that shows arrays in their own order."""
        affine = np.eye(4) if affine is None else np.asarray(affine, dtype=float)
        return cls(tuple(int(n) for n in shape), (0, 1, 2), (False, False, False), affine, is_2d)

    @classmethod
    def for_array(cls, array: np.ndarray, affine, is_2d: bool = False) -> "ViewGrid":
        """The radiological grid of an array with a voxel → RAS affine.

        Uses :func:`dicegui.core.geometry.canonical_view` for the view, and
        reads the axis permutation and flips from the two affines (the
        canonical affine is the file affine times a signed permutation).
        """
        affine = np.asarray(affine, dtype=float)
        if is_2d:
            return cls.identity(array.shape, affine, is_2d=True)
        from .geometry import canonical_view

        _, canonical = canonical_view(array, affine)
        canonical = np.asarray(canonical, dtype=float)
        signed = np.linalg.solve(affine[:3, :3], canonical[:3, :3])
        perm = tuple(int(np.argmax(np.abs(signed[:, v]))) for v in range(3))
        flips = tuple(bool(signed[perm[v], v] < 0) for v in range(3))
        if sorted(perm) != [0, 1, 2]:
            raise ValueError(f"canonical_view returned an affine that is not a reordering: {canonical}")
        return cls(tuple(int(n) for n in array.shape), perm, flips, canonical, False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of the arrays in view order."""
        return tuple(self.file_shape[p] for p in self.perm)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size (mm) along the view axes."""
        return tuple(float(v) for v in np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0)))

    @property
    def planes(self) -> tuple[Plane, ...]:
        """Planes this grid can show (one for a 2-D image, three for a volume)."""
        return (IMAGE_PLANE,) if self.is_2d else tuple(PLANES.values())

    def view(self, array: np.ndarray | None) -> np.ndarray | None:
        """``array`` (file order) seen in view order, as a view sharing its memory."""
        if array is None:
            return None
        if tuple(array.shape) != self.file_shape:
            raise ValueError(f"array of shape {array.shape} does not fit the grid {self.file_shape}")
        out = np.transpose(array, self.perm)
        flip = tuple(slice(None, None, -1) if f else slice(None) for f in self.flips)
        return out[flip]

    def to_file_index(self, ijk) -> tuple[int, int, int]:
        """File-order voxel index of view-order voxel ``ijk``."""
        out = [0, 0, 0]
        for v, f in enumerate(self.perm):
            n = self.file_shape[f]
            out[f] = n - 1 - int(ijk[v]) if self.flips[v] else int(ijk[v])
        return tuple(out)

    def from_file_index(self, ijk) -> tuple[int, int, int]:
        """View-order voxel index of file-order voxel ``ijk``."""
        out = [0, 0, 0]
        for v, f in enumerate(self.perm):
            n = self.file_shape[f]
            out[v] = n - 1 - int(ijk[f]) if self.flips[v] else int(ijk[f])
        return tuple(out)

    def to_mm(self, ijk) -> tuple[float, float, float]:
        """RAS position (mm) of the centre of view-order voxel ``ijk``."""
        p = self.affine @ np.array([float(ijk[0]), float(ijk[1]), float(ijk[2]), 1.0])
        return float(p[0]), float(p[1]), float(p[2])


def voxel_volume_ml(affine) -> float:
    """Volume of one voxel in millilitres (|det| of the affine's 3×3 part, mm³ / 1000)."""
    return abs(float(np.linalg.det(np.asarray(affine, dtype=float)[:3, :3]))) / 1000.0


# ----------------------------------------------------------------------- units
#: Formats that store pixels only: no voxel size unless a reader says otherwise
#: (``meta["has_spacing"]``, e.g. an ``.npz`` with a ``spacing`` array).
NO_SPACING_FORMATS = ("raster", "npy", "npz")
#: :attr:`Units.size` values of cases without a voxel size.
PIXEL_SIZE_UNITS = ("px²", "voxels")


@dataclass(frozen=True)
class Units:
    """Units in which lengths and mask sizes of a case are shown.

    Attributes
    ----------
    length : str
        ``"mm"``, or ``"px"`` when no file gave a voxel size (the affine is the
        identity, so one "mm" of the core's arithmetic is one pixel).
    size : str
        ``"mL"`` (volumes), ``"mm²"`` (areas of a 2-D image), ``"px²"`` (areas
        of a picture without spacing) or ``"voxels"`` (volumes without spacing).
    """

    length: str
    size: str

    @property
    def physical(self) -> bool:
        return self.length == "mm"


def spacing_known(volume) -> bool:
    """Whether a loaded :class:`~dicegui.core.volume.Volume` knows its voxel size.

    PNG/TIFF pictures and bare ``.npy`` arrays carry none (the IO layer marks
    them ``meta["has_geometry"] = False`` and gives an identity affine).
    """
    meta = getattr(volume, "meta", None) or {}
    if meta.get("has_geometry", True):
        return True
    return bool(meta.get("has_spacing", volume.source_format not in NO_SPACING_FORMATS))


def case_units(volumes, is_2d: bool) -> Units:
    """Display units of a case made of ``volumes`` (any voxel size known, or no files at all: mm).

    A case built from bare arrays (no volumes) keeps whatever affine its
    maker gave, so its lengths are taken as millimetres.
    """
    vols = [v for v in volumes if v is not None]
    physical = not vols or any(spacing_known(v) for v in vols)
    if physical:
        return Units("mm", "mm²" if is_2d else "mL")
    return Units("px", "px²" if is_2d else "voxels")


def size_per_voxel(units: Units, spacing, affine) -> float:
    """Size of one voxel in ``units.size`` (pixel area, mL, or 1 without spacing)."""
    if not units.physical:
        return 1.0
    if units.size == "mm²":
        return float(spacing[0] * spacing[1])
    return voxel_volume_ml(affine)


# ------------------------------------------------------------ opening position
def best_slice(disagreement, foreground=None) -> int:
    """Slice to open on: most disagreement, else most foreground, else the middle.

    Parameters
    ----------
    disagreement : array_like
        Per-slice count of voxels where the masks disagree (FP + FN).
    foreground : array_like, optional
        Per-slice count of voxels that are foreground in either mask.

    Returns
    -------
    int
        Slice index (ties go to the slice nearest the middle, then the lower).
    """
    disagreement = np.asarray(disagreement, dtype=float)
    n = len(disagreement)
    if n == 0:
        raise ValueError("no slices")
    for counts in (disagreement, None if foreground is None else np.asarray(foreground, float)):
        if counts is not None and counts.size and np.nanmax(counts) > 0:
            best = np.flatnonzero(counts == np.nanmax(counts))
            return int(best[np.argmin(np.abs(best - (n - 1) / 2))])
    return (n - 1) // 2


def foreground_per_slice(mask: np.ndarray, axis: int) -> np.ndarray:
    """Count of nonzero voxels in each slice of ``mask`` across ``axis``."""
    others = tuple(a for a in range(mask.ndim) if a != axis)
    return np.count_nonzero(mask, axis=others)


# --------------------------------------------------------------- window/level
# (width, level) in Hounsfield units; the usual radiology reading windows.
WINDOW_PRESETS = {
    "CT soft tissue": (400.0, 40.0),
    "CT lung": (1500.0, -600.0),
    "CT bone": (1800.0, 400.0),
    "CT brain": (80.0, 40.0),
}
AUTO_PRESET = "Auto (1–99 %)"
FULL_PRESET = "Full range"


def sample_voxels(image: np.ndarray, max_samples: int = 1 << 20) -> np.ndarray:
    """A regular-grid subsample of ``image`` (flattened, at most about ``max_samples`` values)."""
    image = np.asarray(image)
    step = max(1, int(np.ceil((image.size / max_samples) ** (1.0 / max(image.ndim, 1)))))
    sub = image[(slice(None, None, step),) * image.ndim]
    out = np.asarray(sub, dtype=np.float64).ravel()
    return out[np.isfinite(out)]


#: A minimum value held by at least this share of the voxels is the fill
#: outside the body (0 in skull-stripped MR, -4.76 in a z-scored BRATS scan),
#: not anatomy; left in, 80 % background pulls the 99th percentile down into
#: the tissue and the brain displays as white.
BACKGROUND_SHARE = 0.1


def window_from_percentiles(sample: np.ndarray, low: float = 1.0, high: float = 99.0) -> tuple[float, float]:
    """(width, level) spanning the ``low``–``high`` percentiles of the intensities.

    When the minimum value fills at least :data:`BACKGROUND_SHARE` of the
    sample (a constant background), the percentiles are taken over the other
    values, so the window fits the tissue; the background still shows black.
    """
    sample = np.asarray(sample, dtype=float)
    if sample.size == 0:
        return 1.0, 0.5
    floor = sample.min()
    tissue = sample[sample != floor]
    fitted = tissue if tissue.size and sample.size - tissue.size >= BACKGROUND_SHARE * sample.size else sample
    lo, hi = np.percentile(fitted, [low, high])
    if hi <= lo:  # e.g. one tissue value on a background: show both
        lo, hi = float(floor), float(sample.max())
    if hi <= lo:
        hi = lo + 1.0
    return float(hi - lo), float((hi + lo) / 2.0)


def intensity_decimals(width: float) -> int:
    """Decimals that show a window of this width to about three significant digits.

    0 for CT or raw MR (width >= 100), 2 for a z-scored scan of width ~8, at
    most 4; so a level of -0.3 does not read as "-0".
    """
    width = abs(float(width))
    if not np.isfinite(width) or width == 0 or width >= 100:
        return 0
    return int(min(4, max(0, 2 - np.floor(np.log10(width)))))


def window_text(low: float, high: float, *, bounds: bool = False, sep: str = "  ") -> str:
    """``W <width>  L <level>`` (and the bounds) in a few characters whatever the values.

    Decimals follow :func:`intensity_decimals`; values of a million or more
    (a float scan holding ±3e38) switch to 4 significant digits, so the
    caption never grows to forty digits and squeezes the view.

    Parameters
    ----------
    low, high : float
        Display levels.
    bounds : bool
        Append ``(low … high)``.
    sep : str
        Between the width and the level.
    """
    low, high = float(low), float(high)
    width, level = high - low, (high + low) / 2
    n = intensity_decimals(width)

    def num(v: float) -> str:
        return f"{v:.4g}" if not np.isfinite(v) or abs(v) >= 1e6 else f"{v:.{n}f}"

    text = f"W {num(width)}{sep}L {num(level)}"
    return f"{text}{sep}({num(low)} … {num(high)})" if bounds else text


def looks_like_ct(sample: np.ndarray) -> bool:
    """True when the intensities look like Hounsfield units (air near −1000, no huge values)."""
    sample = np.asarray(sample, dtype=float)
    if sample.size == 0:
        return False
    p1, p99 = np.percentile(sample, [1, 99])
    return bool(p1 <= -500.0 and -1100.0 <= p1 and p99 < 4000.0)


def default_window(sample: np.ndarray) -> tuple[str, tuple[float, float]]:
    """Preset name and (width, level) to open an image with: CT soft tissue for CT, else auto."""
    if looks_like_ct(sample):
        return "CT soft tissue", WINDOW_PRESETS["CT soft tissue"]
    return AUTO_PRESET, window_from_percentiles(sample)


def levels(width: float, level: float) -> tuple[float, float]:
    """(lowest, highest) displayed intensity of a window."""
    return float(level - width / 2.0), float(level + width / 2.0)


def intensity_histogram(sample: np.ndarray, bins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of sampled intensities: (left bin edges, counts)."""
    sample = np.asarray(sample, dtype=float)
    if sample.size == 0:
        return np.zeros(1), np.zeros(1)
    lo, hi = float(sample.min()), float(sample.max())
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(sample, bins=bins, range=(lo, hi))
    return edges[:-1], counts
