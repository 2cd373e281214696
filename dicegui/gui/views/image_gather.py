"""A slice's image gathered into C order on a worker thread while the GUI thread does the rest of a slice change.

On a C-order CT the axial slice of the image is strided: gathering it costs
about 2 ms of waiting for memory at 512², more than the overlay codes,
captions and scores of the same slice change together. NumPy releases the
interpreter lock while it copies, so the gather runs on a worker thread
beside that work and the view takes the image once it is needed
(:meth:`Gather.result`). Images never change while a case is open, so
nothing else writes what the worker reads.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ...core.display import gather_slice

#: Images smaller than this (pixels) are gathered on the calling thread:
#: handing them over would cost more than it saves.
MIN_PIXELS_FOR_WORKER = 128 * 128

_worker: ThreadPoolExecutor | None = None


class Gather:
    """An image being gathered, or already at hand; :meth:`result` waits for it.

    ``copied`` says whether the image is a gathered copy of a strided view
    (worth keeping for revisits) rather than the array itself.
    """

    def __init__(self, image: np.ndarray | None = None, future=None, copied: bool = False):
        self._image = image
        self._future = future
        self.copied = copied

    def result(self) -> np.ndarray | None:
        if self._future is not None:
            self._image, self._future = self._future.result(), None
        return self._image


def start(image: np.ndarray | None) -> Gather:
    """Begin gathering ``image`` (a 2-D view) into C order; contiguous and small images are done at once."""
    if image is None or image.flags.c_contiguous:
        return Gather(image)
    if image.size < MIN_PIXELS_FOR_WORKER:
        return Gather(gather_slice(image), copied=True)
    global _worker
    if _worker is None:
        _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dicegui-gather")
    return Gather(future=_worker.submit(gather_slice, image), copied=True)
