"""Give freed whole-volume temporaries back to the system at once (glibc only).

glibc's allocator serves a request above its "mmap threshold" with its own
memory map, returned to the system when freed; smaller ones come from heaps
(one per thread) that keep freed memory for reuse. The threshold starts at
128 KiB but rises to the size of every mapped block freed, up to 32 MiB: after
a few whole-volume computations in the background threads, the chunks of
the next ones land in those heaps and stay there. Opening a 600×512×512 CT
then held about 240 MB more than its arrays once every worker had finished
(measured with ``benchmarks/bench_open_memory.py``). Fixing the threshold
at 1 MiB keeps slice-sized and larger arrays in their own maps.
"""
from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt parameter number of M_MMAP_THRESHOLD in glibc's malloc.h.
_M_MMAP_THRESHOLD = -3
#: Arrays at least this large get their own memory map (a 512×512 float32 slice is 1 MiB).
MMAP_THRESHOLD = 1 << 20


def return_freed_memory_promptly(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold so large freed arrays go back to the system.

    Parameters
    ----------
    threshold : int
        Bytes from which an allocation gets its own memory map.

    Returns
    -------
    bool
        True when glibc accepted it; False elsewhere (macOS, Windows, musl),
        where nothing changes.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(threshold)))
