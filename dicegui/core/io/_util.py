"""Small helpers shared by the format modules."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .errors import LoadError, SaveError, file_label, one_line


@contextmanager
def reading(path, what: str):
    """Turn any library error raised inside the block into a one-line LoadError."""
    try:
        yield
    except LoadError:
        raise
    except MemoryError as exc:
        raise LoadError(f"{file_label(path)}: not enough memory to read {what}") from exc
    except Exception as exc:  # library errors have no common base class
        raise LoadError(f"{file_label(path)}: cannot read {what}: {one_line(exc) or type(exc).__name__}") from exc


def native(data: np.ndarray) -> np.ndarray:
    """``data`` in the machine's byte order (a copy only for foreign-endian files)."""
    if data.dtype.isnative or data.dtype.byteorder == "|":
        return data
    return data.astype(data.dtype.newbyteorder("="))


def as_3d(data: np.ndarray, path, what: str = "file"):
    """Bring 2-D, 3-D or 3-D-plus-singleton arrays to 3-D; return ``(data, is_2d)``.

    Dropping trailing singleton axes and adding one for 2-D are views, never copies.
    """
    if data.ndim == 2:
        return data[:, :, np.newaxis], True
    if data.ndim == 3:
        return data, False
    if data.ndim > 3 and all(s == 1 for s in data.shape[3:]):
        return data[(Ellipsis,) + (0,) * (data.ndim - 3)], False
    shape = "×".join(str(s) for s in data.shape)
    if data.ndim > 3:
        raise LoadError(
            f"{file_label(path)}: {what} is {data.ndim}-D ({shape}); dicegui shows one 2-D or 3-D "
            "volume: split the time points or channels into separate files first"
        )
    raise LoadError(f"{file_label(path)}: {what} is {data.ndim}-D ({shape}); expected a 2-D or 3-D array")


def smallest_int_dtype(lo, hi) -> np.dtype | None:
    """The smallest integer dtype that holds ``[lo, hi]`` (None if none does)."""
    for dt in (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.int64):
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return np.dtype(dt)
    return None


def cast_exact(data: np.ndarray, dtype, path=None) -> np.ndarray | None:
    """``data`` as ``dtype`` when every value survives the cast unchanged, else None."""
    dtype = np.dtype(dtype)
    if data.dtype == dtype:
        return data
    if data.size == 0:
        return data.astype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            return None
        lo, hi = data.min(), data.max()
        if lo < info.min or hi > info.max:
            return None
    with np.errstate(invalid="ignore", over="ignore"):
        out = data.astype(dtype)
    if data.dtype.kind == "b" or np.array_equal(out, data, equal_nan=data.dtype.kind in "fc" and dtype.kind in "fc"):
        return out
    return None


def fitting_dtype(data: np.ndarray) -> np.dtype:
    """A compact dtype that stores ``data`` exactly (ints shrink, floats kept)."""
    if data.dtype.kind == "b":
        return np.dtype(np.uint8)
    if data.dtype.kind in "iu":
        if data.size == 0:
            return data.dtype
        return smallest_int_dtype(int(data.min()), int(data.max())) or data.dtype
    if data.dtype.kind == "f":
        if data.dtype.itemsize > 4 and cast_exact(data, np.float32) is not None:
            return np.dtype(np.float32)
        return data.dtype
    raise SaveError(f"cannot store values of type {data.dtype}")
