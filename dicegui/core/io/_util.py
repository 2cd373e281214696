"""Small helpers shared by the format modules."""
from __future__ import annotations

import contextvars
import logging
import threading
import warnings
from contextlib import contextmanager

import numpy as np

from ..channel_maps import MAX_CHANNELS
from .errors import ActivationNeeded, LoadError, SaveError, file_label, one_line


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


# Loggers of the reading libraries: nibabel reports the header fixes it makes,
# tifffile and pydicom what they skip in a damaged file.
_LIBRARY_LOGGERS = ("nibabel.global", "nibabel", "tifffile", "pydicom", "nrrd", "PIL")
_CODE_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
_MAX_NOTES = 5


class _LibraryNotes(logging.Filter):
    """Keeps what libraries log while this thread reads a file, instead of printing it.

    Without it their lines land on stderr (in ``dicegui score`` output, next
    to our one-line message) while the volume's warnings never mention them.
    """

    local = threading.local()

    def filter(self, record):
        notes = getattr(self.local, "notes", None)
        if notes is None:
            return True
        if record.levelno >= logging.WARNING:
            notes.append(record.getMessage())
        return False


_NOTES_FILTER = _LibraryNotes()
# warnings.catch_warnings changes process-wide state: one reader at a time.
_WARNINGS_LOCK = threading.RLock()


@contextmanager
def library_notes():
    """Collect the warnings and log records of the reading libraries inside the block.

    Yields a list that receives, once the block ends, each distinct message
    (Python warnings about the file, library log records of level WARNING and
    above; at most a few). Warnings about code (deprecations) are passed on.
    """
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _NOTES_FILTER not in logger.filters:
            logger.addFilter(_NOTES_FILTER)
    outer = getattr(_LibraryNotes.local, "notes", None)
    logged: list = []
    notes: list = []
    _LibraryNotes.local.notes = logged
    passed_on = []
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield notes
            finally:
                for w in caught:
                    # "<unknown>": text from the file compiled by ast.literal_eval
                    # (a .npy header), whose escape-sequence warnings are about the file.
                    if issubclass(w.category, _CODE_WARNINGS) and w.filename not in ("<unknown>", "<string>"):
                        passed_on.append(w)
                    else:
                        logged.append(str(w.message))
    finally:
        _LibraryNotes.local.notes = outer
        for text in dict.fromkeys(one_line(t) for t in logged):
            if len(notes) < _MAX_NOTES:
                notes.append(text)
        for w in passed_on:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def native(data: np.ndarray) -> np.ndarray:
    """``data`` in the machine's byte order (a copy only for foreign-endian files)."""
    if data.dtype.isnative or data.dtype.byteorder == "|":
        return data
    return data.astype(data.dtype.newbyteorder("="))


_CHANNELS = contextvars.ContextVar("dicegui_channels_allowed", default=False)


@contextmanager
def channels_allowed():
    """Inside this block readers keep a 4-D array (a channel per class) instead of refusing it.

    Only :func:`dicegui.core.io.channel_files.load_channel_map` asks for
    this; everywhere else a mask or image is one 2-D or 3-D volume.
    """
    token = _CHANNELS.set(True)
    try:
        yield
    finally:
        _CHANNELS.reset(token)


def channels_are_allowed() -> bool:
    """True inside :func:`channels_allowed`."""
    return _CHANNELS.get()


def as_3d(data: np.ndarray, path, what: str = "file"):
    """Bring 1-D, 2-D, 3-D or 3-D-plus-singleton arrays to 3-D; return ``(data, is_2d)``.

    A 1-D array of N values is a 1 × N image (the lecture's four probabilities).
    Dropping trailing singleton axes and adding axes for 1-D and 2-D are views, never copies.
    Inside :func:`channels_allowed` a 4-D array is returned as it is.
    """
    if data.ndim == 1:
        return data[np.newaxis, :, np.newaxis], True
    if data.ndim == 2:
        return data[:, :, np.newaxis], True
    if data.ndim == 3:
        return data, False
    if data.ndim == 4 and channels_are_allowed():
        return data, False
    if data.ndim > 3 and all(s == 1 for s in data.shape[3:]):
        return data[(Ellipsis,) + (0,) * (data.ndim - 3)], False
    shape = "×".join(str(s) for s in data.shape)
    if data.ndim == 4 and (2 <= data.shape[0] <= MAX_CHANNELS or 2 <= data.shape[-1] <= MAX_CHANNELS):
        n = data.shape[0] if 2 <= data.shape[0] <= MAX_CHANNELS else data.shape[-1]
        raise ActivationNeeded(
            f"{file_label(path)}: {what} is 4-D ({shape}): {n} channels of a network's output (one per class)? "
            "Read it as a prediction with a softmax (dicegui score --softmax or dicegui --softmax; the window "
            "also asks), or split the channels into separate files", "channels", file_label(path), n)
    if data.ndim > 3:
        raise LoadError(
            f"{file_label(path)}: {what} is {data.ndim}-D ({shape}); dicegui shows one 2-D or 3-D "
            "volume: split the time points or channels into separate files first"
        )
    raise LoadError(f"{file_label(path)}: {what} is {data.ndim}-D ({shape}); expected a 1-D, 2-D or 3-D array")


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
