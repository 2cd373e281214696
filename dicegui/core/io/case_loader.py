"""``load_case`` and ``save_mask``: image + ground truth + prediction on one grid.

The reference grid is the image's (else the ground truth's). Masks on the
same grid load silently; a mask holding the same voxel centres in another
axis order or direction is flipped/transposed onto the reference (a view,
reported in ``Case.warnings``) and flipped back when saved; anything else is
refused: dicegui never resamples behind the user's back.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..case import Case
from ..geometry import apply_ornt, describe_grid, describe_ornt, invert_ornt, orientation_code, reorient_onto, same_grid
from ..volume import Volume
from ._util import cast_exact
from .errors import LoadError, SaveError, file_label
from .label_names import find_label_table, read_label_table
from .volume_io import load_volume, save_volume

ROLE_WORDS = {"image": "image", "gt": "ground truth", "pred": "prediction"}
_COMPOUND_SUFFIXES = (".nii.gz", ".seg.nrrd")


def distinct_names(a: Volume, b: Volume) -> tuple[str, str]:
    """Names of two files for one message: with their folder when the names alone are equal.

    ``oncologist/Brain.nrrd`` and ``model/Brain.nrrd`` both read ``Brain.nrrd``;
    going up the folders until the two differ tells them apart.
    """
    if a.name != b.name or a.path is None or b.path is None:
        return a.name, b.name
    pa, pb = Path(os.path.abspath(a.path)).parts, Path(os.path.abspath(b.path)).parts
    for depth in range(2, min(len(pa), len(pb)) + 1):
        na, nb = "/".join(pa[-depth:]), "/".join(pb[-depth:])
        if na != nb:
            return na, nb
    return str(a.path), str(b.path)


def _grid_text(vol: Volume, name: str) -> str:
    return describe_grid(name, vol.data.shape, vol.spacing, vol.affine)


def _shape_text(vol: Volume, name: str) -> str:
    shape = vol.data.shape[:2] if vol.is_2d else vol.data.shape
    return f"{name} is {'×'.join(map(str, shape))}"


def _not_resampled(role: str, ref_role: str) -> str:
    return f"dicegui does not resample: bring the {ROLE_WORDS[role]} onto the {ROLE_WORDS[ref_role]}'s grid first"


def _mismatch(vol: Volume, ref: Volume, role: str, ref_role: str) -> LoadError:
    detail = ""
    if vol.data.shape == ref.data.shape and np.allclose(vol.spacing, ref.spacing, rtol=1e-4, atol=1e-3) \
            and orientation_code(vol.affine) == orientation_code(ref.affine):
        shift = float(np.linalg.norm(vol.affine[:3, 3] - ref.affine[:3, 3]))
        detail = f" (same size and spacing, origin {shift:.4g} mm apart)" if shift > 1e-3 else " (axes tilted differently)"
    name, ref_name = distinct_names(vol, ref)
    return LoadError(
        f"{_grid_text(vol, name)}, {ROLE_WORDS[ref_role]} {_grid_text(ref, ref_name)}{detail}: different voxel grids; "
        + _not_resampled(role, ref_role)
    )


def _onto_reference(vol: Volume, ref: Volume, role: str, ref_role: str, warnings: list):
    """``vol.data`` on the reference grid and the ornt used (None: as stored)."""
    if vol is ref:
        return vol.data, None
    geometric = vol.meta.get("has_geometry", True) and ref.meta.get("has_geometry", True)
    if (vol.is_2d and ref.is_2d) or not geometric:
        # PNGs, .npy files and 2-D slices carry no usable geometry: the
        # shapes must agree, and the reference's affine is taken.
        if vol.data.shape != ref.data.shape:
            name, ref_name = distinct_names(vol, ref)
            raise LoadError(
                f"{_shape_text(vol, name)}, {ROLE_WORDS[ref_role]} {_shape_text(ref, ref_name)}: the shapes differ; "
                + _not_resampled(role, ref_role)
            )
        if not geometric and not (vol.is_2d and ref.is_2d):
            which = vol if not vol.meta.get("has_geometry", True) else ref
            warnings.append(
                f"{which.name} stores no position or orientation; {vol.name} is taken to lie on "
                f"{ref.name}'s grid because the shapes match"
            )
        return vol.data, None
    if same_grid(vol.data.shape, vol.affine, ref.data.shape, ref.affine):
        return vol.data, None
    found = reorient_onto(vol.data, vol.affine, ref.data.shape, ref.affine)
    if found is None:
        raise _mismatch(vol, ref, role, ref_role)
    view, ornt = found
    name, ref_name = distinct_names(vol, ref)
    warnings.append(
        f"{name} is stored {orientation_code(vol.affine)} with shape {'×'.join(map(str, vol.data.shape))}, "
        f"{ref_name} {orientation_code(ref.affine)} with shape {'×'.join(map(str, ref.data.shape))}: "
        f"same voxels, so the {ROLE_WORDS[role]} was reoriented to match: {describe_ornt(ornt)} "
        "(no resampling; undone when saving)"
    )
    return view, ornt


def _layout_like(array: np.ndarray, ref: np.ndarray) -> np.ndarray:
    # Elementwise metrics run fastest when both masks share one memory order;
    # NIfTI arrays are Fortran-ordered, most others C-ordered.
    order = "F" if (ref.flags.f_contiguous and not ref.flags.c_contiguous) else "C"
    if (order == "F" and array.flags.f_contiguous) or (order == "C" and array.flags.c_contiguous):
        return array
    return np.asarray(array, order=order)


def load_case(image=None, gt=None, pred=None, *, sigmoid: bool = False, label_names=None) -> Case:
    """Load an image, a ground truth and a prediction (any of them) onto one grid.

    Parameters
    ----------
    image, gt, pred : str, Path or Volume, optional
        Files (or DICOM folders), or Volumes already read; at least one must be given.
    sigmoid : bool
        Apply a sigmoid to a prediction that holds logits instead of refusing it.
    label_names : str or Path, optional
        A label file (ITK-SNAP, Slicer colour table or dicegui JSON; see
        ``dicegui.core.io.label_names``) whose names and colours win over
        every other source.

    Returns
    -------
    Case
        ``image_array`` (the image's voxels as stored), ``gt_mask`` /
        ``pred_mask`` (hard masks on the reference grid), ``pred_prob`` for
        probability maps, ``gt_info`` / ``pred_info`` (the value rule
        applied), ``affine`` / ``spacing`` of the reference grid,
        ``label_names`` / ``label_colors`` (from ``label_names`` if given,
        then ``.seg.nrrd`` segment names, then a label file beside each mask
        filling in the rest), and ``warnings`` listing every reorientation
        and value rule worth knowing (and any label file beside a mask that
        could not be read).

    Raises
    ------
    LoadError
        A file is unreadable, its values cannot be a mask, or the grids differ
        by more than flips and axis order (the message names files, shapes,
        spacings and orientations), or the ``label_names`` file is unreadable.
    """
    from ..mask_values import classify_mask  # here: mask_values imports this package

    given = {"image": image, "gt": gt, "pred": pred}
    if all(p is None for p in given.values()):
        raise LoadError("load_case: no file given; pass an image, a ground truth or a prediction")
    # read first: a bad explicit file should fail before minutes of volume loading
    explicit = None if label_names is None else read_label_table(label_names)
    # a Volume is taken as read (a DICOM SEG or RT Structure Set already put on its series)
    vols = {role: p if isinstance(p, Volume) else load_volume(p) for role, p in given.items() if p is not None}
    ref_role = next(r for r in ("image", "gt", "pred") if r in vols)
    ref = vols[ref_role]
    case = Case(affine=np.array(ref.affine, dtype=float))
    for vol in vols.values():
        case.warnings.extend(vol.meta.get("warnings", []))

    if "image" in vols:
        case.image = vols["image"]
        case.image_array = vols["image"].data

    for role in ("gt", "pred"):
        vol = vols.get(role)
        if vol is None:
            continue
        if vol.meta.get("color"):
            raise LoadError(
                f"{vol.name}: a colour image ({vol.meta.get('mode', 'RGB')}) with differing channels cannot "
                "be a mask; save the mask as a gray-level label image"
            )
        if vol.meta.get("lossy"):
            case.warnings.append(
                f"{vol.name}: JPEG compression alters pixel values; mask edges may hold stray labels"
            )
        data, ornt = _onto_reference(vol, ref, role, ref_role, case.warnings)
        # copy=False: a mask file already holding 0/1 or labels is the mask
        # (held once, not beside a copy); the file's header and dtype stay on ``vol``
        info, hard, prob = classify_mask(data, vol.name, sigmoid=sigmoid and role == "pred", copy=False)
        hard = _layout_like(hard, ref.data)
        if info.warning:
            case.warnings.append(info.warning)
        if ornt is not None:
            case.reorientations[role] = ornt
        setattr(case, role, vol)
        setattr(case, f"{role}_mask", hard)
        setattr(case, f"{role}_info", info)
        if role == "pred":
            case.pred_prob = prob
        for label, name in vol.meta.get("label_names", {}).items():
            case.label_names.setdefault(int(label), str(name))
    mask_files = [given[r] for r in ("gt", "pred") if given[r] is not None and not isinstance(given[r], Volume)]
    _add_label_files(case, mask_files, explicit)
    _adopt_geometry(case, ref, vols)
    return case


def _add_label_files(case: Case, mask_paths: list, explicit) -> None:
    """Names and colours of label files: ``explicit`` wins, files beside the masks fill in.

    A label file found beside a mask is a convenience: when it cannot be read
    the case still loads, with a warning naming the file.
    """
    seen = set()
    for mask_path in mask_paths:
        found = find_label_table(mask_path)
        if found is None or os.path.abspath(found) in seen:
            continue
        seen.add(os.path.abspath(found))
        try:
            table = read_label_table(found)
        except LoadError as exc:
            case.warnings.append(f"label names not read: {exc}")
            continue
        for label, name in table.names().items():
            case.label_names.setdefault(label, name)
        for label, rgb in table.colors().items():
            case.label_colors.setdefault(label, rgb)
    if explicit is not None:
        case.label_names.update(explicit.names())
        case.label_colors.update(explicit.colors())


def _adopt_geometry(case: Case, ref: Volume, vols: dict) -> None:
    # A picture or bare array has no spacing; when a mask on the same voxels
    # knows its geometry, distances in mm should use it.
    if ref.meta.get("has_geometry", True):
        return
    for role in ("gt", "pred"):
        vol = vols.get(role)
        if vol is not None and vol.meta.get("has_geometry", True) and role not in case.reorientations:
            case.affine = np.array(vol.affine, dtype=float)
            case.warnings.append(f"voxel spacing and position taken from {vol.name} ({ref.name} stores none)")
            return


def corrected_path(path) -> Path:
    """``<stem>_corrected<ext>`` beside ``path`` (``.nii.gz``/``.seg.nrrd`` kept whole)."""
    path = Path(path)
    name = path.name
    for suffix in _COMPOUND_SUFFIXES:
        if name.lower().endswith(suffix):
            return path.with_name(name[: -len(suffix)] + "_corrected" + name[-len(suffix):])
    return path.with_name(path.stem + "_corrected" + path.suffix)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))


def _file_values(mask: np.ndarray, vol: Volume, info) -> np.ndarray:
    """Hard mask values as the file held them (1 → 255 for 0/255 masks, file dtype)."""
    out = mask
    if info is not None and info.kind == "binary" and info.foreground_value != 1:
        fg = info.foreground_value
        out = mask.astype(np.result_type(mask.dtype, np.min_scalar_type(fg)))
        out[mask == 1] = fg
    cast = cast_exact(out, vol.data.dtype)
    # Values the file's type cannot hold are left for the writer to widen.
    return out if cast is None else cast


def save_mask(case: Case, role: str, path=None, *, overwrite: bool = False) -> Path:
    """Write ``case.gt_mask`` or ``case.pred_mask`` back in its original file's grid and format.

    Any reorientation done by :func:`load_case` is undone, values are mapped
    back (1 → 255 for 0/255 masks) and the original header, dtype and affine
    are reused; the write is atomic.

    Parameters
    ----------
    case : Case
        As returned by :func:`load_case` (possibly edited).
    role : {"gt", "pred"}
        Which mask.
    path : str or Path, optional
        Target. Default: ``<stem>_corrected<ext>`` beside the original file,
        so the original is never replaced by default.
    overwrite : bool
        Replace an existing target; also required to write over the original file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    SaveError
        Unknown role, no such mask, target exists without ``overwrite``.
    """
    if role not in ("gt", "pred"):
        raise SaveError(f"save_mask: role must be 'gt' or 'pred', not {role!r}")
    vol = getattr(case, role)
    mask = getattr(case, f"{role}_mask")
    if vol is None or mask is None:
        raise SaveError(f"save_mask: this case has no {ROLE_WORDS[role]} to save")
    if path is None:
        if vol.path is None:
            raise SaveError(f"save_mask: the {ROLE_WORDS[role]} was not read from a file; give a path")
        path = corrected_path(vol.path)
    target = Path(path)
    if vol.path is not None and target.exists() and _same_file(target, vol.path) and not overwrite:
        raise SaveError(
            f"{file_label(target)}: refusing to overwrite the original {ROLE_WORDS[role]} file; "
            "pass overwrite=True to replace it"
        )
    ornt = case.reorientations.get(role)
    data = np.asarray(mask) if ornt is None else apply_ornt(np.asarray(mask), invert_ornt(ornt))
    if data.shape != vol.data.shape:
        raise SaveError(
            f"{file_label(target)}: mask shape {data.shape} does not match {vol.name}'s {vol.data.shape}"
        )
    return save_volume(vol, _file_values(data, vol, getattr(case, f"{role}_info")), target, overwrite=overwrite)
