"""Reading and writing scans and masks (Qt-free).

Public API
----------
LoadError, SaveError
    One-line ``ValueError`` subclasses naming the file and the problem.
load_volume(path) -> Volume
    NIfTI, NRRD/.seg.nrrd, PNG/TIFF/JPEG/BMP, DICOM (file or series folder), .npy/.npz.
save_volume(volume, data, path=None, *, overwrite=False) -> Path
    Atomic write in the volume's (or the path's) format, header and dtype kept.
load_case(image=None, gt=None, pred=None, *, sigmoid=False, label_names=None) -> Case
    Geometry checks and mask value rules; label names from label files.
label_names
    ITK-SNAP / Slicer / JSON label files: ``read_label_table``, writers, sidecars.
save_mask(case, role, path=None, *, overwrite=False) -> Path
    A (corrected) mask back onto its original file's grid, format and values.
unreachable_reason(path) -> str | None
    Why a path cannot be reached (symlink loop, broken link, missing), for
    callers that check before loading (``Path.exists()`` is False for a loop).
resolve_inside(text, base, *, trust_outside=False, absolute_ok=False, folders_ok=False) -> Path
    The one rule for paths written inside files (NRRD ``data file``, worklist
    cells); ``PathRefused.rule`` names the rule that refused one.
"""
from .case_loader import corrected_path, load_case, save_mask
from .errors import LoadError, SaveError
from .formats import detect_format, unreachable_reason
from .safe_paths import PathRefused, resolve_inside
from .volume_io import load_volume, save_volume

__all__ = [
    "LoadError",
    "SaveError",
    "load_volume",
    "save_volume",
    "load_case",
    "save_mask",
    "corrected_path",
    "detect_format",
    "unreachable_reason",
    "resolve_inside",
    "PathRefused",
]
