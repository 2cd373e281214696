"""Refuse absurd or unaffordable sizes from a file's header before reading voxels.

A corrupt or hostile header can declare terabytes; decoding it would freeze or
kill the program. Every reader calls :func:`check_size` with the sizes it read
from the header, before it touches the voxel data.
"""
from __future__ import annotations

import math
import os

from .errors import LoadError, file_label

#: Refuse anything above this even on a machine that could hold it: no
#: segmentation volume a person reviews is larger than 64 GiB.
HARD_LIMIT_BYTES = 64 * 2**30


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


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover
