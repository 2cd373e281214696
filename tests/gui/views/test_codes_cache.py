"""CodesCache: least recently used slices go first, within the byte budget."""
from __future__ import annotations

import numpy as np

from dicegui.gui.views.codes_cache import CodesCache


def _codes(n_bytes: int, fill: int) -> np.ndarray:
    return np.full(n_bytes, fill, np.uint8).reshape(1, n_bytes)


def test_least_recently_used_go_first_within_the_budget():
    cache = CodesCache(budget=300)
    for k in range(3):
        cache.put(k, _codes(100, k))
    assert cache.nbytes == 300 and len(cache) == 3
    assert cache.get(0)[0, 0] == 0  # 0 is now the most recently used: 1 goes next
    cache.put(3, _codes(100, 3))
    assert 1 not in cache and 3 in cache
    assert cache.get(1) is None
    assert [cache.get(k)[0, 0] for k in (0, 2, 3)] == [0, 2, 3]
    cache.put(4, _codes(250, 4))  # needs room for 250 bytes: keeps only 4
    assert len(cache) == 1 and cache.nbytes == 250 and cache.get(4)[0, 0] == 4


def test_replacing_a_key_counts_its_bytes_once_and_oversized_or_none_are_not_kept():
    cache = CodesCache(budget=300)
    cache.put("a", _codes(100, 1))
    cache.put("a", _codes(200, 2))
    assert cache.nbytes == 200 and cache.get("a").shape == (1, 200)
    cache.put("b", _codes(301, 3))
    cache.put("c", None)
    assert cache.get("b") is None and cache.get("c") is None and cache.nbytes == 200
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0 and cache.get("a") is None
