"""``load_volume`` and ``save_volume``: one file in, one file out, any supported format."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..volume import Volume
from ._util import library_notes
from .atomic import atomic_write, atomic_write_dir
from .errors import LoadError, SaveError, file_label
from .formats import detect_format, format_for_save


def _reader(fmt: str):
    # Imported on demand: pydicom, PIL and tifffile cost import time that a
    # NIfTI-only cohort run should not pay.
    if fmt == "nifti":
        from .nifti import read_nifti

        return read_nifti
    if fmt in ("nrrd", "seg.nrrd"):
        from .nrrd import read_nrrd

        return read_nrrd
    if fmt == "raster":
        from .raster import read_raster

        return read_raster
    if fmt == "dicom":
        from .dicom import read_dicom

        return read_dicom
    if fmt in ("npy", "npz"):
        from .numpy_files import read_numpy

        return read_numpy
    if fmt == "text":
        from .text_arrays import read_text_array

        return read_text_array
    raise AssertionError(fmt)  # pragma: no cover


def _writer(fmt: str):
    if fmt == "nifti":
        from .nifti import nifti_writer

        return nifti_writer
    if fmt in ("nrrd", "seg.nrrd"):
        from .nrrd import nrrd_writer

        return nrrd_writer
    if fmt == "raster":
        from .raster import raster_writer

        return raster_writer
    if fmt in ("npy", "npz"):
        from .numpy_files import numpy_writer

        return numpy_writer
    if fmt == "dicom":
        from .dicom import dicom_file_writer

        return dicom_file_writer
    if fmt == "text":
        from .text_arrays import text_writer

        return text_writer
    raise AssertionError(fmt)  # pragma: no cover


def load_volume(path) -> Volume:
    """Read one image or mask file (or a DICOM series folder).

    The format is chosen by the file name (``.nii``, ``.nii.gz``, ``.nrrd``,
    ``.seg.nrrd``, ``.png``, ``.tif``, ``.jpg``, ``.bmp``, ``.dcm``, ``.npy``,
    ``.npz``), else by the file's first bytes; a folder is read as a DICOM series.

    Parameters
    ----------
    path : str or pathlib.Path
        File or folder.

    Returns
    -------
    Volume
        3-D data in the file's own axis order (2-D files as ``(rows, cols, 1)``),
        affine voxel → RAS mm, the original header for saving back.

    Raises
    ------
    LoadError
        One line naming the file and the problem (missing, unreadable,
        corrupt, too large for memory or for the file's own size, 4-D,
        mixed DICOM series, NaN or zero voxel spacing, ...).
    """
    path = Path(path)
    reader = _reader(detect_format(path))
    with library_notes() as notes:
        volume = reader(path)
    _check_geometry(volume)
    if notes:
        volume.meta.setdefault("warnings", []).extend(f"{volume.name}: {n}" for n in notes)
    return volume


def _check_geometry(volume: Volume) -> None:
    """Refuse an empty array, or an affine no distance can be computed with (NaN, zero spacing)."""
    if volume.data.size == 0:
        shape = "×".join(str(n) for n in volume.data.shape)
        raise LoadError(f"{volume.name}: no voxels could be read (an empty {shape} array); the file is damaged")
    a = np.asarray(volume.affine, dtype=float)
    if a.shape != (4, 4) or not np.isfinite(a).all():
        raise LoadError(
            f"{volume.name}: corrupt geometry: the voxel-to-world matrix holds NaN or infinite values "
            "(the file's spacing, direction or origin fields are damaged)"
        )
    columns = np.linalg.norm(a[:3, :3], axis=0)
    for axis, (n, step) in enumerate(zip(volume.data.shape, columns)):
        if n > 1 and not step > 0:
            raise LoadError(
                f"{volume.name}: corrupt geometry: voxel spacing along axis {axis} is 0 "
                "(the file's spacing or direction fields are damaged)"
            )
    if min(volume.data.shape[:3]) > 1 and abs(np.linalg.det(a[:3, :3])) <= 1e-12 * float(np.prod(columns)):
        raise LoadError(
            f"{volume.name}: corrupt geometry: the voxel axes are not independent "
            "(two of them point the same way)"
        )


def save_volume(volume: Volume, data, path=None, *, overwrite: bool = False) -> Path:
    """Write ``data`` on ``volume``'s grid, in its format and header, atomically.

    Parameters
    ----------
    volume : Volume
        Where ``data`` comes from: its header, affine and on-disk dtype are
        reused so that unchanged values give an identical header and dtype.
    data : array_like
        Same shape as ``volume.data``.
    path : str or Path, optional
        Target; its suffix picks the format. Defaults to ``volume.path``
        (which then needs ``overwrite=True``).
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    SaveError
        Existing target without ``overwrite``, shape mismatch, values the
        format cannot hold, an unwritable folder.
    """
    if path is None:
        if volume.path is None:
            raise SaveError("save_volume: the volume was not read from a file; give a path")
        path = volume.path
    target = Path(path)
    data = np.asarray(data)
    if data.shape != volume.data.shape:
        raise SaveError(
            f"{file_label(target)}: data shape {data.shape} differs from the volume's {volume.data.shape}"
        )
    fmt = format_for_save(target, volume.source_format)
    if fmt == "dicom" and (target.is_dir() or not target.suffix):
        from .dicom import dicom_series_writer

        return atomic_write_dir(target, dicom_series_writer(volume, data, target), overwrite=overwrite)
    # Fail early on an existing file: building the writer can be costly.
    from .atomic import check_target

    check_target(target, overwrite)
    return atomic_write(target, _writer(fmt)(volume, data, target), overwrite=overwrite)
