"""Surface distances (HD95, ASSD, NSD) off the GUI thread.

A request runs :func:`dicegui.core.surface.surface_distances` in a
``QThreadPool`` of one thread and reports back through a queued signal. Every
request gets a generation number; only the result of the newest request is
delivered, so a slow result that arrives after the user changed label or
tolerance never overwrites the current one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore

from ..core.surface import surface_distances
from .background import BackgroundJob, JobSignals
from .region_focus import focus_foreground


@dataclass(frozen=True)
class SurfaceRequest:
    """What was asked: the focus (a label, a ``RegionFocus``, None = any foreground), tolerance (mm) and spacing."""

    generation: int
    label: object
    tolerance: float
    spacing: tuple


def _surface_of(gt: np.ndarray, pred: np.ndarray, request: SurfaceRequest) -> dict:
    # Binarising here, not in the GUI thread: on a CT-sized volume it is two
    # full passes that the window should not wait for.
    # (all foreground: the masks themselves, binarised box by box by the core)
    g, p = focus_foreground(gt, pred, request.label)
    return surface_distances(g, p, spacing=request.spacing, tolerance=request.tolerance)


class SurfaceRunner(QtCore.QObject):
    """Queue of surface-distance requests, newest wins.

    Signals
    -------
    resultReady(SurfaceRequest, dict)
    failed(SurfaceRequest, str)
    """

    resultReady = QtCore.Signal(object, object)
    failed = QtCore.Signal(object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.generation = 0
        self._signals = JobSignals(self)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)

    def request(self, gt: np.ndarray, pred: np.ndarray, label, tolerance: float, spacing) -> SurfaceRequest:
        """Start computing; returns the request (its result arrives via ``resultReady``)."""
        self.generation += 1
        # Squeeze one-voxel-thick axes: a 2-D image stored as (rows, cols, 1)
        # must be measured in 2-D, or every voxel would count as boundary.
        keep = tuple(a for a in range(gt.ndim) if gt.shape[a] > 1) or (0,)
        squeeze = tuple(a for a in range(gt.ndim) if a not in keep)
        req = SurfaceRequest(self.generation, label, float(tolerance), tuple(float(spacing[a]) for a in keep))
        g, p = np.squeeze(gt, axis=squeeze), np.squeeze(pred, axis=squeeze)
        job = BackgroundJob(req, lambda: _surface_of(g, p, req), self._signals)
        self.pool.start(job)
        return req

    def cancel(self) -> None:
        """Forget running requests (their results will be dropped)."""
        self.generation += 1

    def wait(self, msecs: int = -1) -> bool:
        """Block until the worker is idle (used by --screenshot and tests)."""
        return self.pool.waitForDone(msecs)

    def _done(self, req: SurfaceRequest, result) -> None:
        if req.generation == self.generation:
            self.resultReady.emit(req, result)

    def _failed(self, req: SurfaceRequest, message: str) -> None:
        if req.generation == self.generation:
            self.failed.emit(req, message)
