"""The voxel payload of an NRRD file, read within the limits its header sets.

pynrrd follows ``data file:`` anywhere, skips ``line skip`` lines one by one
(2 000 000 000 of them take half an hour), reads a raw payload to the end of
the file and inflates a gzip/bzip2 payload in full before comparing its size
with the header's. This module reads the payload itself for the raw, gzip and
bzip2 encodings (ASCII goes to pynrrd once the file and skips are checked):

* a detached data file must pass :func:`~.safe_paths.resolve_inside` (the
  header's own folder, a regular file; the refusal names the rule);
* ``line skip`` and ``byte skip`` may not exceed the data file's size;
* decompression stops at the declared size plus a small margin
  (:func:`~.bounded_read.read_exact_stream`): more data is refused.
"""
from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path

import numpy as np

from .bounded_read import ReadRefused, read_exact_stream, skip_stream
from .errors import LoadError, file_label
from .limits import check_stored
from .safe_paths import PathRefused, resolve_inside

_GZIP = ("gzip", "gz")
_BZIP2 = ("bzip2", "bz2")
_ASCII = ("ascii", "text", "txt")
#: bzip2 inflates at most about 1:46 000 (a run of one byte, twice RLE-coded).
_BZIP2_MAX_RATIO = 50_000


def _field(header, name: str, default=None):
    # The NRRD spec allows both spellings ("line skip" and "lineskip").
    return header.get(name, header.get(name.replace(" ", ""), default))


def data_file(header, path: Path) -> Path | None:
    """The detached data file the header names (checked), or None when the data is attached.

    Raises
    ------
    LoadError
        The name breaks the rule of :func:`~.safe_paths.resolve_inside`, or
        names several files (``LIST`` or a ``%d`` pattern), which dicegui does not read.
    """
    text = _field(header, "data file")
    if text is None:
        return None
    text = str(text).strip()
    if text.upper().startswith("LIST") or "%" in text or len(text.split()) > 1 and text.split()[-1].isdigit():
        raise LoadError(f"{file_label(path)}: NRRD data split over several files ({text!r}); "
                        "dicegui reads one data file: save the volume as one .nrrd")
    try:
        return resolve_inside(text, path.parent)
    except PathRefused as exc:
        raise LoadError(f"{file_label(path)}: NRRD 'data file' refused ({exc.rule}): {exc}") from None


def _skip_lines(fh, count: int, size: int, path: Path) -> None:
    if count < 0:
        raise LoadError(f"{file_label(path)}: NRRD 'line skip' is {count}; it must be 0 or more")
    if count > size:
        raise LoadError(f"{file_label(path)}: NRRD 'line skip' of {count} lines is more than the "
                        f"{size} bytes of the data file; the header is corrupt")
    for _ in range(count):
        if not fh.readline():
            raise LoadError(f"{file_label(path)}: NRRD 'line skip' of {count} lines goes past the end of the data")


def _check_byte_skip(skip: int, size: int, path: Path) -> None:
    if skip < -1:
        raise LoadError(f"{file_label(path)}: NRRD 'byte skip' is {skip}; it must be -1 or more")
    if skip > size:
        raise LoadError(f"{file_label(path)}: NRRD 'byte skip' of {skip} bytes is more than the "
                        f"{size} bytes of the data file; the header is corrupt")


def read_payload(header, fh, path: Path, dtype: np.dtype, sizes) -> np.ndarray:
    """Voxels of an NRRD file as an array of shape ``sizes`` (Fortran order).

    Parameters
    ----------
    header : dict
        Parsed by ``nrrd.read_header``.
    fh : file object
        The header file, positioned just after the header.
    path : Path
        The header file (its folder is the only place a data file may be).
    dtype : numpy.dtype
        Voxel type with the header's byte order.
    sizes : sequence of int
        The header's ``sizes``.

    Returns
    -------
    numpy.ndarray
    """
    import nrrd as pynrrd

    n_values = int(np.prod(sizes, dtype=np.int64))
    nbytes = n_values * dtype.itemsize
    encoding = str(header.get("encoding", "raw")).strip().lower()
    detached = data_file(header, path)
    line_skip = int(_field(header, "line skip", 0))
    byte_skip = int(_field(header, "byte skip", 0))
    src = open(detached, "rb") if detached is not None else fh
    try:
        size = os.fstat(src.fileno()).st_size
        _skip_lines(src, line_skip, size, path)
        _check_byte_skip(byte_skip, size, path)
        if encoding in _ASCII:
            header = dict(header)
            for key in ("data file", "datafile", "line skip", "lineskip"):
                header.pop(key, None)  # already followed and skipped here
            return pynrrd.read_data(header, src, str(path), index_order="F")
        stored = size - src.tell()
        if encoding == "raw":
            flat = _raw(src, nbytes, byte_skip, stored, path)
        elif encoding in _GZIP + _BZIP2:
            flat = _compressed(src, encoding, nbytes, byte_skip, stored, path)
        else:
            raise LoadError(f"{file_label(path)}: cannot read NRRD voxel data: unsupported encoding: {encoding} "
                            "(dicegui reads raw, gzip, bzip2 and ascii)")
    finally:
        if src is not fh:
            src.close()
    return flat.view(dtype).reshape(tuple(sizes), order="F")


def _raw(src, nbytes: int, byte_skip: int, stored: int, path: Path) -> np.ndarray:
    if byte_skip == -1:
        if nbytes <= stored:  # the data ends the file
            src.seek(-nbytes, os.SEEK_END)
    else:
        src.seek(byte_skip, os.SEEK_CUR)
        stored -= byte_skip
    check_stored(path, nbytes, stored, None, doing="NRRD voxel data")
    try:
        # Raw data may be followed by anything (another file's bytes): read only ours.
        return read_exact_stream(src, nbytes, margin=None, what="NRRD voxel data")
    except ReadRefused as exc:
        raise LoadError(f"{file_label(path)}: {exc}") from None


def _compressed(src, encoding: str, nbytes: int, byte_skip: int, stored: int, path: Path) -> np.ndarray:
    if encoding in _GZIP:
        check_stored(path, nbytes, stored, "deflate", doing="NRRD gzip data")
        stream = gzip.GzipFile(fileobj=src, mode="rb")
    else:
        if nbytes > stored * _BZIP2_MAX_RATIO:
            check_stored(path, nbytes, stored * _BZIP2_MAX_RATIO, None, doing="NRRD bzip2 data")
        stream = bz2.BZ2File(src, mode="rb")
    skip = 0 if byte_skip == -1 else byte_skip
    with stream:
        try:
            if skip:
                skip_stream(stream, skip, what="NRRD data before 'byte skip'")
            # byte skip -1 ("the data ends the stream") is read from here: data
            # before it would be refused as data past the declared end.
            return read_exact_stream(stream, nbytes, what="NRRD voxel data")
        except ReadRefused as exc:
            raise LoadError(f"{file_label(path)}: {encoding} payload: {exc}") from None
