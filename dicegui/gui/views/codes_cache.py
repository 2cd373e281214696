"""Overlay codes of recently shown slices, so going back to a slice reads no mask.

A slice change draws the image and the overlay. On a C-order 300×512×512
case the axial slice of each mask is strided (one byte used per cache line
read), and computing its TP/FP/FN codes costs more than the image itself
(about 3.5 ms of a 13 ms slice change). Scrolling goes back and forth over
the same slices, and the codes depend only on the masks and on what the
overlay shows, so they are kept here, least recently used first out, within
a byte budget.

Keys hold the plane, the slice and what the overlay shows (its kind and
focus); an edit of the masks clears everything (:meth:`CodesCache.clear`),
since a stroke may cross many slices of the other planes and the focused
view updates its own codes in place.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

#: Bytes of codes kept: 128 axial slices of 512×512 (uint8 codes).
DEFAULT_BUDGET = 32 * 2 ** 20


class CodesCache:
    """Least-recently-used code images of slices, within ``budget`` bytes.

    The arrays are handed out as they are stored: the caller must clear the
    cache before changing one in place (the view does, before a dab's
    rectangle is written).
    """

    def __init__(self, budget: int = DEFAULT_BUDGET):
        self.budget = int(budget)
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key) -> bool:
        return key in self._items  # a look that does not count as a use

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key):
        """The codes stored under ``key`` (now the most recently used), or None."""
        return self.entry(key)[0]

    def entry(self, key) -> tuple:
        """``(codes, content)`` stored under ``key`` (now the most recently used), or ``(None, None)``."""
        item = self._items.get(key)
        if item is None:
            return None, None
        self._items.move_to_end(key)
        return item

    def put(self, key, codes: np.ndarray | None, content=None) -> None:
        """Keep ``codes`` under ``key``; the least recently used go while over budget.

        ``content`` is kept beside them (the rectangle outside which every
        code is background, or None). None (no overlay) and arrays larger
        than the budget are not kept.
        """
        if codes is None or codes.nbytes > self.budget:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old[0].nbytes
        self._items[key] = (codes, content)
        self._bytes += codes.nbytes
        while self._bytes > self.budget:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= dropped[0].nbytes

    def clear(self) -> None:
        """Forget every slice (the masks changed)."""
        self._items.clear()
        self._bytes = 0
