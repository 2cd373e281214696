"""Numbers typed into a text file (``.txt``, ``.csv``) as a small image: one line is a 1 × N image.

A lecturer writes ``0.9, 0.1, 0.8, 0.1`` into a file rather than a NumPy
array. One row (or one column) of N numbers is read as a 1 × N image, a table
of R rows of C numbers as an R × C image. Values are separated by commas,
semicolons, tabs or spaces; blank lines and lines starting with ``#`` are
skipped. Each token is read with ``float()`` (never ``eval``); a token that
is not a number, or rows of different lengths, are refused with the file,
the line and the token. Text files are for small teaching arrays, so the
read stops at :data:`MAX_TEXT_BYTES`.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..volume import Volume
from ._util import as_3d
from .bounded_read import ReadRefused, read_regular
from .errors import LoadError, file_label

MAX_TEXT_BYTES = 16 * 2**20
TEXT_SUFFIXES = (".txt", ".csv")
_SEPARATORS = re.compile(r"[,;\s]+")


def _rows(text: str, path) -> list[list[float]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        row = []
        for token in _SEPARATORS.split(line.strip(",; \t")):
            try:
                row.append(float(token))
            except ValueError:
                shown = token if len(token) <= 20 else token[:20] + "…"
                raise LoadError(f"{file_label(path)}: line {number}: {shown!r} is not a number") from None
        if rows and len(row) != len(rows[0]):
            raise LoadError(f"{file_label(path)}: line {number} holds {len(row)} values, the first row "
                            f"{len(rows[0])}; every row must hold as many")
        rows.append(row)
    if not rows:
        raise LoadError(f"{file_label(path)}: no numbers in the file")
    return rows


def _as_array(rows: list[list[float]]) -> np.ndarray:
    data = np.array(rows, dtype=np.float64)
    if data.shape[0] == 1 or data.shape[1] == 1:
        data = data.ravel()  # one row or one column: a 1 × N image
    if np.all(np.isfinite(data)) and np.all(data == np.round(data)) and np.abs(data).max() < 2**31:
        return data.astype(np.int32)  # whole numbers are labels, as a mask file stores them
    return data


def read_text_array(path) -> Volume:
    """Read a ``.txt`` or ``.csv`` file of numbers as a 1 × N or R × C image.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Volume
        ``(1, N, 1)`` for one row or column, ``(R, C, 1)`` for a table;
        int32 when every value is a whole number, else float64.

    Raises
    ------
    LoadError
        Too large, not text, a token that is not a number, ragged rows, or no numbers.
    """
    path = Path(path)
    try:
        raw = read_regular(path, MAX_TEXT_BYTES)
    except ReadRefused as exc:
        raise LoadError(f"{file_label(path)}: {exc} (text files are read up to "
                        f"{MAX_TEXT_BYTES // 2**20} MiB; store larger arrays as .npy)") from None
    except OSError as exc:
        raise LoadError(f"{file_label(path)}: cannot open: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(f"{file_label(path)}: not a text file of numbers (not UTF-8 text)") from None
    data = _as_array(_rows(text, path))
    file_shape = data.shape
    data, is_2d = as_3d(data, path, "text")
    meta = {"file_shape": file_shape, "file_dtype": data.dtype, "has_geometry": False}
    return Volume(data=data, affine=np.eye(4), path=path, source_format="text", header=None, is_2d=is_2d,
                  meta=meta)


def text_writer(volume: Volume, data: np.ndarray, target: Path):
    """Return ``write(fileobj)`` writing ``data`` as rows of numbers (commas for ``.csv``)."""
    if volume.source_format == "text" and "file_shape" in volume.meta:
        arr = data.reshape(volume.meta["file_shape"])
    else:
        arr = data[:, :, 0] if data.ndim == 3 and data.shape[2] == 1 else data
    if arr.ndim > 2:
        from .errors import SaveError

        raise SaveError(f"{file_label(target)}: a text file holds one row or a table, not a "
                        f"{'×'.join(map(str, data.shape))} volume; save it as .npy or .nii.gz")
    sep = "," if target.name.lower().endswith(".csv") else " "
    rows = np.atleast_2d(arr)

    def write(fh):
        for row in rows:
            fh.write((sep.join(f"{v:.17g}" if arr.dtype.kind == "f" else str(int(v)) for v in row) + "\n")
                     .encode("utf-8"))

    return write
