"""Which reader and writer handle a path: by extension, else by the file's first bytes."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import LoadError, SaveError, file_label
from .safe_paths import special_kind

RASTER_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp")
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")


def format_from_name(path) -> str | None:
    """The format a file name announces, or None when the suffix says nothing."""
    name = Path(path).name.lower()
    if name.endswith((".nii", ".nii.gz")):
        return "nifti"
    if name.endswith(".seg.nrrd"):
        return "seg.nrrd"
    if name.endswith((".nrrd", ".nhdr")):
        return "nrrd"
    if name.endswith(RASTER_SUFFIXES):
        return "raster"
    if name.endswith(DICOM_SUFFIXES):
        return "dicom"
    if name.endswith(".npy"):
        return "npy"
    if name.endswith(".npz"):
        return "npz"
    if name.endswith((".txt", ".csv")):
        return "text"
    return None


def _sniff(path: Path) -> str | None:
    """Recognise a file by its magic bytes (for files without a telling suffix)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(560)
    except OSError as exc:
        raise LoadError(f"{file_label(path)}: cannot open: {exc.strerror or exc}") from exc
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(b"NRRD000"):
        return "nrrd"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff", b"BM")):
        return "raster"
    if head[344:348] in (b"n+1\x00", b"n+2\x00") or head[4:8] in (b"n+2\x00",):
        return "nifti"
    if head.startswith(b"\x1f\x8b"):
        return "nifti"  # gzip: the only gzipped single-file format we read
    return None


_FORMAT_WORDS = {"nifti": "NIfTI", "nrrd": "NRRD", "seg.nrrd": "NRRD segmentation", "raster": "picture",
                 "npy": ".npy", "npz": ".npz", "text": "text"}


def format_words(fmt: str) -> str:
    """A format's name for a message ("nifti" -> "NIfTI")."""
    return _FORMAT_WORDS.get(fmt, fmt)


def _missing(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be reached, in words (loop, broken link, missing, denied)."""
    if exc.errno == errno.ELOOP:
        return f"{file_label(path)}: symlink loop: a symbolic link loop leads back to itself ({path})"
    if path.is_symlink():
        return f"{file_label(path)}: broken symbolic link to {os.readlink(path)} (no such file)"
    if exc.errno == errno.ENOENT:
        return f"{file_label(path)}: no such file or folder ({path})"
    return f"{file_label(path)}: cannot open: {exc.strerror or exc}"


def unreachable_reason(path) -> str | None:
    """Why ``path`` cannot be reached (symlink loop, broken link, missing), or None when it can.

    For callers that check a path before loading it: ``Path.exists()`` is
    False for a symlink loop too, and "no such file" would then be wrong.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str or None
        One line naming the file and the reason.
    """
    path = Path(path)
    try:
        path.stat()
    except OSError as exc:
        return _missing(path, exc)
    return None


def detect_format(path) -> str:
    """Name the format of ``path`` (a folder is a DICOM series).

    Raises
    ------
    LoadError
        When the path does not exist (or is a broken or looping link), is
        empty, is a pipe or device, is a folder named like a file, or is of
        no format dicegui reads.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise LoadError(_missing(path, exc)) from exc
    if stat.S_ISDIR(st.st_mode):
        named = format_from_name(path)
        if named not in (None, "dicom"):
            raise LoadError(
                f"{file_label(path)}: is a folder, not a {_FORMAT_WORDS.get(named, named)} file "
                "(only a DICOM series is read from a folder)"
            )
        return "dicom"
    if not stat.S_ISREG(st.st_mode):
        # Opening a named pipe blocks until someone writes to it; a device
        # such as /dev/zero never ends.
        raise LoadError(f"{file_label(path)}: not a regular file (a {special_kind(st.st_mode)}); cannot read it")
    if st.st_size == 0:
        raise LoadError(f"{file_label(path)}: empty file (0 bytes)")
    fmt = format_from_name(path)
    if fmt is None:
        fmt = _sniff(path)
    if fmt is None:
        raise LoadError(
            f"{file_label(path)}: unknown file type; dicegui reads NIfTI, NRRD, PNG/TIFF/JPEG/BMP, "
            "DICOM, .npy, .npz and numbers in .txt/.csv"
        )
    return fmt


def format_for_save(path, volume_format: str) -> str:
    """The format to write ``path`` in: from its suffix, else the volume's own."""
    fmt = format_from_name(path)
    if fmt is None:
        if volume_format == "dicom":
            return "dicom"  # a series is written into a folder without suffix
        raise SaveError(f"{file_label(path)}: cannot tell the format from the file name; add a suffix")
    if fmt == "nrrd" and volume_format == "seg.nrrd":
        return "seg.nrrd"
    return fmt
