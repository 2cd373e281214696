"""A new, empty segmentation on a case's voxel grid, ready to paint and save aligned.

Drawing a segmentation from scratch needs a mask with the image's exact
geometry: the same shape, the same voxel order and the same voxel → world
matrix, so that the saved file lies on the image in ITK-SNAP or Slicer. The
case's reference grid is that geometry (the image as stored, never
reoriented; see :func:`dicegui.core.io.case_loader.load_case`), so the new
mask is made directly in it and the role gets no reorientation to undo.

The mask's :class:`~dicegui.core.volume.Volume` has no header and no path:
:func:`~dicegui.core.io.case_loader.save_mask` then needs a path, and the
writers build a fresh NIfTI header (qform = sform = the affine, uint8) or an
LPS NRRD header from the affine alone, so none of the image's intensity
scaling or description leaks into the mask file.
"""
from __future__ import annotations

import numpy as np

from .case import Case, MaskInfo
from .volume import Volume

ROLE_WORDS = {"gt": "reference", "pred": "prediction"}
# Formats a mask is saved in by default, by the reference file's format.
_MASK_SUFFIX = {"nifti": ".nii.gz", "nrrd": ".nrrd", "seg.nrrd": ".nrrd"}


def new_label_map(case: Case, role: str) -> Case:
    """Give ``case`` an empty uint8 label map as its ``role`` mask, on the reference grid.

    Parameters
    ----------
    case : Case
        A loaded case with an image or the other mask; changed in place.
    role : {"gt", "pred"}
        Which mask to create; the case must not have one.

    Returns
    -------
    Case
        ``case`` itself, with ``<role>``, ``<role>_mask`` and ``<role>_info``
        set (and, for a prediction, no probability map).

    Raises
    ------
    ValueError
        Unknown role, the role is already loaded, or the case has no grid.
    """
    if role not in ROLE_WORDS:
        raise ValueError(f"new_label_map: role must be 'gt' or 'pred', not {role!r}")
    if getattr(case, f"{role}_mask") is not None:
        raise ValueError(f"this case already has a {ROLE_WORDS[role]}; close it before starting a new one")
    source = _grid_source(case)
    mask = np.zeros(case.shape, dtype=np.uint8)
    volume = Volume(
        data=mask,
        affine=np.array(case.affine, dtype=float),
        path=None,
        source_format=source.source_format if source.source_format in _MASK_SUFFIX else "nifti",
        header=None,
        is_2d=bool(source.is_2d),
        meta={"new": True},
    )
    other = getattr(case, f"{'pred' if role == 'gt' else 'gt'}_info")
    kind = "binary" if other is not None and other.kind == "binary" else "labels"
    info = MaskInfo(kind=kind, message=f"new empty {ROLE_WORDS[role]} ({kind})", labels=(), dtype="uint8")
    setattr(case, role, volume)
    setattr(case, f"{role}_mask", mask)
    setattr(case, f"{role}_info", info)
    if role == "pred":
        case.pred_prob = None
    case.reorientations.pop(role, None)
    return case


def new_mask_suffix(case: Case) -> str:
    """File suffix a new segmentation is saved with by default (the image's format when it holds masks)."""
    return _MASK_SUFFIX.get(_grid_source(case).source_format, ".nii.gz")


def _grid_source(case: Case) -> Volume:
    """The loaded volume whose voxels define the case's grid (the image, else a mask as stored)."""
    for role in ("image", "gt", "pred"):
        volume = getattr(case, role)
        if volume is not None and role not in case.reorientations and not volume.meta.get("new"):
            return volume
    raise ValueError("a new segmentation needs an open image or mask to take its grid from")
