"""Refuse absurd or unaffordable sizes from a file's header before reading voxels.

A corrupt or hostile header can declare terabytes; decoding it would freeze or
kill the program. Every reader calls :func:`check_size` with the sizes it read
from the header, before it touches the voxel data, and, where the format
allows, :func:`check_stored` with the bytes the file really holds, so that a
tiny file declaring gigabytes is refused before they are allocated.
"""
from __future__ import annotations

import math
import os

from .errors import LoadError, file_label

#: Refuse anything above this even on a machine that could hold it: no
#: segmentation volume a person reviews is larger than 64 GiB.
HARD_LIMIT_BYTES = 64 * 2**30

#: Deflate (gzip, zlib, zip) expands data at most 1032:1 (a long run of one
#: byte); more declared data than that means a truncated or forged file.
DEFLATE_MAX_RATIO = 1032


def available_memory() -> int:
    """Bytes of memory the system says can be allocated now (best effort)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return HARD_LIMIT_BYTES


def check_size(path, shape, itemsize: int, what: str = "voxel data") -> int:
    """Raise :class:`LoadError` when ``shape`` × ``itemsize`` cannot be held.

    Parameters
    ----------
    path : str or Path
        The file, for the message.
    shape : sequence of int
        Dimensions declared by the header.
    itemsize : int
        Bytes per element once decoded.
    what : str
        Words for the message.

    Returns
    -------
    int
        The number of bytes the data will take.
    """
    dims = [int(d) for d in shape]
    if any(d < 0 for d in dims):
        raise LoadError(f"{file_label(path)}: header declares negative dimensions {tuple(dims)}")
    if any(d == 0 for d in dims):
        dims_txt = "×".join(str(d) for d in dims)
        raise LoadError(f"{file_label(path)}: header declares an empty image ({dims_txt}): no voxels to show")
    nbytes = math.prod(dims) * int(itemsize)
    limit = min(HARD_LIMIT_BYTES, int(available_memory() * 0.9))
    if nbytes > limit:
        dims_txt = "×".join(str(d) for d in dims)
        raise LoadError(
            f"{file_label(path)}: header declares {what} of {dims_txt} × {itemsize} bytes "
            f"= {_human(nbytes)}, more than the {_human(limit)} that can be allocated; "
            "the file is corrupt or too large to open"
        )
    return nbytes


def check_stored(path, nbytes: int, stored: int, compression: str | None = None,
                 what: str = "voxel data", doing: str | None = None) -> None:
    """Raise :class:`LoadError` when a file is too small to hold what its header declares.

    A truncated file, or a tiny forged one declaring gigabytes that happen to
    fit in memory, would otherwise be allocated in full before the reader
    notices the data is missing.

    Parameters
    ----------
    path : str or Path
        The file, for the message.
    nbytes : int
        Bytes the header says the data takes once decoded.
    stored : int
        Bytes the file (or archive member) actually holds for it.
    compression : {None, "deflate"}
        None: the data is stored as is, so ``stored`` must reach ``nbytes``.
        ``"deflate"`` (gzip, zlib, zip): deflate expands at most
        :data:`DEFLATE_MAX_RATIO` to 1.
    what : str
        Words for the message.
    doing : str, optional
        What was being read, as in "cannot read {doing}: ..." messages.
    """
    nbytes, stored = int(nbytes), int(stored)
    start = f"{file_label(path)}: " + (f"cannot read {doing}: " if doing else "")
    if compression is None:
        if nbytes > stored:
            raise LoadError(
                f"{start}truncated or corrupt file: the header declares {what} of "
                f"{_human(nbytes)} but the file holds {_human(stored)}"
            )
        return
    if compression != "deflate":
        raise ValueError(f"unknown compression {compression!r}")  # pragma: no cover
    capacity = stored * DEFLATE_MAX_RATIO
    if nbytes > capacity:
        raise LoadError(
            f"{start}truncated or corrupt file: the header declares {what} of "
            f"{_human(nbytes)} but {_human(stored)} of compressed data can hold at most {_human(capacity)}"
        )


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover
