"""Voxel grids: compare them, describe them, and flip/transpose one onto another.

Everything here works with flips and transposes of NumPy arrays, which are
views: no voxel is resampled or copied. Orientation handling follows
nibabel's ``io_orientation`` / ornt conventions: an *ornt* is a ``(n, 2)``
array whose row ``i`` says that array axis ``i`` goes to output axis
``ornt[i, 0]``, flipped when ``ornt[i, 1] == -1``.
"""
from __future__ import annotations

import itertools

import numpy as np
from nibabel import orientations as nio

#: Default tolerances for "the same grid": 1 µm absolute plus 1e-4 relative
#: to the coordinates involved (headers store affines as float32).
ATOL_MM = 1e-3
RTOL = 1e-4


def orientation_code(affine) -> str:
    """Three-letter axis code of an affine, e.g. ``"RAS"`` or ``"LPS"``."""
    return "".join(nio.aff2axcodes(np.asarray(affine)))


def spacing_of(affine) -> tuple:
    """Voxel size along each array axis: the column norms of the affine."""
    a = np.asarray(affine, dtype=float)
    return tuple(float(v) for v in np.sqrt((a[:3, :3] ** 2).sum(axis=0)))


def apply_ornt(array: np.ndarray, ornt) -> np.ndarray:
    """Flip and transpose ``array`` as ``ornt`` says; the result is a view."""
    ornt = np.asarray(ornt)
    n = ornt.shape[0]
    index = tuple(slice(None, None, -1) if ornt[i, 1] == -1 else slice(None) for i in range(n))
    flipped = array[index]
    # Output axis j takes input axis perm[j].
    perm = list(np.argsort(ornt[:, 0]).astype(int)) + list(range(n, array.ndim))
    return flipped.transpose(perm)


def invert_ornt(ornt) -> np.ndarray:
    """The ornt that undoes ``ornt`` (apply one after the other: identity)."""
    ornt = np.asarray(ornt)
    inv = np.empty_like(ornt)
    for i, (j, flip) in enumerate(ornt):
        inv[int(j)] = (i, flip)
    return inv


def is_identity_ornt(ornt) -> bool:
    ornt = np.asarray(ornt)
    return bool(np.all(ornt[:, 0] == np.arange(len(ornt))) and np.all(ornt[:, 1] == 1))


def ornt_affine(affine, ornt, shape) -> np.ndarray:
    """Affine of the array obtained by ``apply_ornt(array_of_shape, ornt)``."""
    return np.asarray(affine, dtype=float) @ nio.inv_ornt_aff(np.asarray(ornt), tuple(shape[: len(ornt)]))


def canonical_view(array: np.ndarray, affine):
    """The closest RAS+ view of a 3-D array, sharing memory with it.

    Parameters
    ----------
    array : numpy.ndarray
        Voxels in file order (at least 3-D; extra trailing axes are kept).
    affine : array_like
        4×4 voxel → RAS mm of ``array``.

    Returns
    -------
    view : numpy.ndarray
        ``array`` flipped/transposed so that its axes run as close as
        possible to +R, +A, +S (nibabel's ``as_closest_canonical``); a view,
        never a copy, so edits to it edit ``array``.
    canonical_affine : numpy.ndarray
        4×4 voxel → RAS mm of ``view``.
    """
    affine = np.asarray(affine, dtype=float)
    ornt = nio.io_orientation(affine)
    return apply_ornt(array, ornt), ornt_affine(affine, ornt, array.shape)


def _format_number(v: float) -> str:
    return f"{v:.4g}"


def describe_grid(name: str, shape, spacing, affine) -> str:
    """One phrase for messages: ``"pred.nii.gz is 512×512×120 at 0.7×0.7×2.5 mm RAS"``."""
    dims = "×".join(str(int(s)) for s in shape)
    sp = "×".join(_format_number(float(s)) for s in spacing)
    return f"{name} is {dims} at {sp} mm {orientation_code(affine)}"


def _aligned(affine_a, affine_b, shape) -> np.ndarray:
    # A single-slice axis has one voxel centre whatever the sign of its
    # column; align the sign so that the two affines can be compared.
    a = np.array(affine_a, dtype=float)
    for ax, n in enumerate(shape[:3]):
        if n == 1 and np.dot(a[:3, ax], affine_b[:3, ax]) < 0:
            a[:3, ax] = -a[:3, ax]
    return a


def same_grid(shape_a, affine_a, shape_b, affine_b, *, atol: float = ATOL_MM, rtol: float = RTOL) -> bool:
    """True when two grids have the same shape and the same voxel centres.

    Voxel centres are compared at the grid's corners (the affine difference
    is linear, so the corners bound every voxel) and voxel steps column by
    column, each within ``atol + rtol × magnitude`` millimetres.
    """
    shape_a, shape_b = tuple(int(s) for s in shape_a), tuple(int(s) for s in shape_b)
    if shape_a != shape_b:
        return False
    b = np.asarray(affine_b, dtype=float)
    a = _aligned(affine_a, b, shape_a)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    corners = np.array(list(itertools.product(*[(0, n - 1) for n in shape_a[:3]])), dtype=float).T
    pa = a[:3, :3] @ corners + a[:3, 3:4]
    pb = b[:3, :3] @ corners + b[:3, 3:4]
    scale = max(1.0, float(np.abs(pb).max()))
    if np.abs(pa - pb).max() > atol + rtol * scale:
        return False
    col_scale = np.abs(b[:3, :3]).max()
    return bool(np.abs(a[:3, :3] - b[:3, :3]).max() <= atol + rtol * col_scale)


def reorientation(shape, affine, ref_shape, ref_affine, *, atol: float = ATOL_MM, rtol: float = RTOL):
    """The ornt that maps a grid onto a reference grid by flips/transposes, or None.

    Returns None unless, after the flips and transposes that best align the
    two orientations, both grids have exactly the same voxel centres.
    """
    affine = np.asarray(affine, dtype=float)
    ref_affine = np.asarray(ref_affine, dtype=float)
    try:
        ornt = nio.ornt_transform(nio.io_orientation(affine), nio.io_orientation(ref_affine))
    except ValueError:
        return None
    new_shape = tuple(int(shape[int(i)]) for i in np.argsort(ornt[:, 0]))
    new_affine = ornt_affine(affine, ornt, shape)
    if same_grid(new_shape, new_affine, ref_shape, ref_affine, atol=atol, rtol=rtol):
        return ornt
    return None


def reorient_onto(array: np.ndarray, affine, ref_shape, ref_affine, *, atol: float = ATOL_MM, rtol: float = RTOL):
    """Flip/transpose ``array`` onto a reference grid holding the same voxel centres.

    Parameters
    ----------
    array : numpy.ndarray
        3-D voxels on the grid given by ``affine``.
    affine : array_like
        4×4 voxel → RAS mm of ``array``.
    ref_shape, ref_affine
        The reference grid.

    Returns
    -------
    (view, ornt) or None
        ``view`` is ``array`` on the reference grid (a view, no copy);
        ``ornt`` the transform applied (undo it with ``invert_ornt``;
        say it in words with ``describe_ornt``). None when the grids differ
        by more than flips and axis order.
    """
    ornt = reorientation(array.shape, affine, ref_shape, ref_affine, atol=atol, rtol=rtol)
    if ornt is None:
        return None
    return apply_ornt(array, ornt), ornt


def describe_ornt(ornt) -> str:
    """Say exactly what ``apply_ornt`` does, e.g. ``"flipped axes 0 and 1"``."""
    ornt = np.asarray(ornt)
    flips = [str(i) for i in range(len(ornt)) if ornt[i, 1] == -1]
    perm = tuple(int(i) for i in np.argsort(ornt[:, 0]))
    parts = []
    if flips:
        parts.append(f"flipped axis {flips[0]}" if len(flips) == 1 else f"flipped axes {', '.join(flips[:-1])} and {flips[-1]}")
    if perm != tuple(range(len(ornt))):
        parts.append(f"transposed the axes to order {perm}")
    return ", then ".join(parts) if parts else "nothing"
