"""The in-memory form of one loaded file: voxels plus the geometry to save them back."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Volume:
    """One image or mask as read from disk.

    Attributes
    ----------
    data : numpy.ndarray
        Voxels, always 3-D, axes in the file's own order (i, j, k). A 2-D file
        (PNG, a single DICOM frame, a 2-D ``.npy``) becomes shape ``(rows, cols, 1)``.
    affine : numpy.ndarray
        4×4 matrix mapping voxel indices (i, j, k) to world RAS+ millimetres
        (nibabel's convention, also for files that store LPS such as NRRD/DICOM).
    path : pathlib.Path or None
        Where it was read from.
    source_format : str
        One of ``nifti, nrrd, seg.nrrd, raster, dicom, npy, npz``.
    header : Any
        The format's original header object (nibabel header, NRRD dict, DICOM
        datasets, ...), kept so a mask can be written back exactly as it came.
    is_2d : bool
        True when the file held a single 2-D image.
    meta : dict
        Anything else the reader learnt (label names of a ``.seg.nrrd``, the
        DICOM series UID, the raster's original mode, ...).
    """

    data: np.ndarray
    affine: np.ndarray
    path: Path | None = None
    source_format: str = "npy"
    header: Any = None
    is_2d: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.data.shape)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size in mm along (i, j, k): column norms of the affine."""
        return tuple(float(v) for v in np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0)))

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "<array>"

    def orientation(self) -> str:
        """Three-letter axis code such as ``RAS`` or ``LPS`` (nibabel's aff2axcodes)."""
        import nibabel as nib

        return "".join(nib.aff2axcodes(self.affine))
