"""Freed large arrays leave the process once the mmap threshold is fixed (glibc)."""
import subprocess
import sys
import textwrap

import pytest

_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from dicegui.gui.heap import return_freed_memory_promptly

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    if sys.argv[1] == "fixed":
        assert return_freed_memory_promptly()
    # a 16 MB block freed raises glibc's dynamic threshold (at most 32 MB) above 4 MB
    big = np.ones(16 << 20, np.uint8)
    del big
    chunks, pins = [], []
    for _ in range(60):  # 4 MB chunks, each followed by a small live block that pins the heap
        chunks.append(np.ones(4 << 20, np.uint8))
        pins.append(np.ones(64, np.uint8).tobytes() * 1000)
    held = rss_mb()
    del chunks
    print(held - rss_mb())
""")


def _released_mb(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_chunks_return_to_the_system_only_with_the_fixed_threshold():
    fixed, dynamic = _released_mb("fixed"), _released_mb("dynamic")
    assert fixed > 200  # 240 MB of chunks freed: nearly all of it returned
    assert dynamic < fixed / 2  # glibc's default keeps them in its heap
