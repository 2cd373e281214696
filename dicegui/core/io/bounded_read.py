"""Reads that stop: a size budget for every byte taken from a file or a decompressor.

A header declares how much data follows; a hostile file can follow it with far
more (a 2 MB gzip payload inflating to 2 GiB, thirty 1 GiB gzip members of
zeros after a valid ``.nii.gz``), or be no file at all (a named pipe blocks on
open, ``/dev/zero`` reports ``st_size`` 0 and never ends). The helpers here
read at most the declared size plus a small margin and refuse the rest:

* :func:`read_regular` opens a path without blocking, refuses anything but a
  regular file and reads at most a limit;
* :func:`read_exact_stream` fills exactly the declared number of bytes from a
  (decompressing) stream, then refuses data past the declared end.

Data past the end is *refused*, not ignored with a warning: no writer we know
puts more than padding there, and ignoring it would either leave the gzip
checksum of the last member unchecked or cost the CPU time of inflating it.
"""
from __future__ import annotations

import os
import stat

import numpy as np

from .limits import _human
from .safe_paths import special_kind

#: Bytes accepted after the declared end of decompressed data (padding some
#: writers leave, a trailing newline after ASCII data).
TRAILING_MARGIN = 64 * 1024

_CHUNK = 1 << 20


class ReadRefused(ValueError):
    """A read was refused before or while reading: not a regular file, too large, data past the end."""


def read_regular(path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Parameters
    ----------
    path : str or Path
        The file; opened with ``O_NONBLOCK`` so that a named pipe does not block.
    limit : int
        Largest size accepted.

    Returns
    -------
    bytes

    Raises
    ------
    ReadRefused
        Not a regular file (pipe, device, folder), or larger than ``limit``
        (counted while reading: ``st_size`` of a device says nothing).
    OSError
        The file cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused(f"not a regular file (a {special_kind(st.st_mode)})")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise ReadRefused(f"larger than {_human(limit)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_exact_stream(stream, nbytes: int, *, margin: int | None = TRAILING_MARGIN,
                      what: str = "data") -> np.ndarray:
    """Exactly ``nbytes`` from ``stream`` into a new uint8 array; refuse data past the end.

    Parameters
    ----------
    stream : file-like
        A binary stream with ``readinto`` or ``read`` (``gzip.GzipFile``,
        ``bz2.BZ2File``, a plain file).
    nbytes : int
        Bytes the header declares.
    margin : int or None
        Bytes tolerated after the declared end; more is refused without being
        decompressed further. None: do not look past the end (raw data that
        other bytes may follow).
    what : str
        Words for the messages.

    Returns
    -------
    numpy.ndarray
        uint8 array of length ``nbytes`` (reinterpret with ``.view``).

    Raises
    ------
    ReadRefused
        The stream ends early, or holds more than ``nbytes + margin`` bytes.
    """
    out = np.empty(int(nbytes), dtype=np.uint8)
    view = memoryview(out)
    got = 0
    while got < nbytes:
        n = _readinto(stream, view[got:got + _CHUNK])
        if not n:
            raise ReadRefused(f"truncated {what}: the header declares {_human(nbytes)}, "
                              f"the data ends after {_human(got)}")
        got += n
    if margin is None:
        return out
    extra = 0
    while extra <= margin:
        chunk = stream.read(min(_CHUNK, margin + 1 - extra))
        if not chunk:
            return out
        extra += len(chunk)
    raise ReadRefused(f"more {what} than the header declares: data goes on past the declared "
                      f"{_human(nbytes)} (refused after {_human(margin)} more)")


def skip_stream(stream, nbytes: int, *, what: str = "data") -> None:
    """Read past ``nbytes`` of ``stream`` in chunks (nothing kept); ReadRefused when it ends first."""
    left = int(nbytes)
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            raise ReadRefused(f"truncated {what}: the data ends {_human(left)} early")
        left -= len(chunk)


def _readinto(stream, view) -> int:
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(view) or 0
    chunk = stream.read(len(view))
    view[:len(chunk)] = chunk
    return len(chunk)
