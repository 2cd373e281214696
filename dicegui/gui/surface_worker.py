"""Surface distances (HD95, ASSD, NSD) off the GUI thread.

A request runs :func:`dicegui.core.surface.surface_distances` in a
``QThreadPool`` of one thread and reports back through a queued signal. Every
request gets a generation number; only the result of the newest request is
delivered, so a slow result that arrives after the user changed label or
tolerance never overwrites the current one.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore

from ..core.surface import surface_distances


@dataclass(frozen=True)
class SurfaceRequest:
    """What was asked: the label (None = any foreground), tolerance (mm) and spacing."""

    generation: int
    label: int | None
    tolerance: float
    spacing: tuple


class _Signals(QtCore.QObject):
    done = QtCore.Signal(object, object)  # (SurfaceRequest, result dict)
    failed = QtCore.Signal(object, str)


class _Job(QtCore.QRunnable):
    def __init__(self, request: SurfaceRequest, gt: np.ndarray, pred: np.ndarray, signals: _Signals):
        super().__init__()
        self.request, self.gt, self.pred, self.signals = request, gt, pred, signals

    def run(self) -> None:  # worker thread
        try:
            label = self.request.label
            # Binarising here, not in the GUI thread: on a CT-sized volume it
            # is two full passes that the window should not wait for.
            g = self.gt != 0 if label is None else self.gt == label
            p = self.pred != 0 if label is None else self.pred == label
            result = surface_distances(g, p, spacing=self.request.spacing, tolerance=self.request.tolerance)
        except Exception as exc:  # reported in the panel; the window carries on
            traceback.print_exc()
            self.signals.failed.emit(self.request, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(self.request, result)
        finally:
            self.gt = self.pred = None


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
        self._signals = _Signals(self)
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
        job = _Job(req, np.squeeze(gt, axis=squeeze), np.squeeze(pred, axis=squeeze), self._signals)
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
