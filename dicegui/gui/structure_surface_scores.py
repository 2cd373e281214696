"""HD, HD95, ASSD and NSD of every label and region group, off the GUI thread.

One request measures every structure of the case with
:func:`dicegui.core.structure_surfaces.structure_surfaces` (each label or
region in its own bounding box: the 41-label demo in ~0.2 s), on the same
one-thread pool as the volume's surface distances
(:class:`~dicegui.gui.surface_worker.SurfaceRunner`), so the two never
compete for the machine's cores. As there, an edit marks the values out of
date and they are recomputed :data:`~dicegui.gui.surface_scores.REST_MS`
after the last one; a newer request makes an older answer be dropped, and
results are cached per mask state, tolerance table and region groups, so an
undo back to a measured state shows its values at once.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6 import QtCore

from ..core.structure_surfaces import structure_surfaces
from .background import BackgroundJob, JobSignals
from .surface_scores import CACHE_SIZE, REST_MS


def squeezed(gt: np.ndarray, pred: np.ndarray, spacing) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Both maps without their length-1 axes (a 2-D image is measured in 2-D) and the spacing kept."""
    keep = tuple(a for a in range(gt.ndim) if gt.shape[a] > 1) or (0,)
    drop = tuple(a for a in range(gt.ndim) if a not in keep)
    return np.squeeze(gt, axis=drop), np.squeeze(pred, axis=drop), tuple(float(spacing[a]) for a in keep)


class StructureSurfaceScores(QtCore.QObject):
    """Surface distances of every label and region of the window's case.

    Parameters
    ----------
    window : MainWindow
    structures : callable
        Returns ``{key: labels}`` of the structures to measure (labels by
        number, regions by name); empty when there is nothing to measure.
    tolerances : callable
        Returns the :class:`~dicegui.core.tolerances.Tolerances` in force.

    Signals
    -------
    updated()
        ``results`` or ``state`` changed.

    Attributes
    ----------
    results : dict or None
        Key → ``structure_surfaces`` entry of the values shown.
    state : str
        ``none``, ``computing``, ``current``, ``stale`` or ``failed``.
    """

    updated = QtCore.Signal()

    def __init__(self, window, structures, tolerances):
        super().__init__(window)
        self.window = window
        self._structures = structures
        self._tolerances = tolerances
        self.pool = window.surface.runner.pool
        self.generation = 0
        self.results = None
        self.state = "none"
        self.message = ""
        self._pending = None
        self._cache: OrderedDict = OrderedDict()
        self._signals = JobSignals(self)
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REST_MS)
        self.timer.timeout.connect(self.recompute)

    def _key(self, structures: dict, tolerances) -> tuple:
        editor = getattr(self.window, "editor", None)
        state = () if editor is None else tuple(serial for serial, _ in editor.history._current_steps())
        table = (tolerances.default, tuple(sorted(tolerances.by_key.items(), key=str)))
        return (id(self.window.session), state, table, tuple(structures.items()))

    # ------------------------------------------------------------ commands
    def reset(self) -> None:
        """A new case: forget results and cached values."""
        self.timer.stop()
        self.generation += 1
        self.results = None
        self._cache.clear()
        self._set_state("none")

    def recompute(self) -> None:
        """Show the values of the masks as they are now: from the cache, else from a background job."""
        self.timer.stop()
        self.generation += 1
        s = self.window.session
        structures = self._structures() if s is not None and s.has_scores else {}
        if not structures:
            self.results = None
            self._set_state("none")
            return
        tolerances = self._tolerances()
        key = self._key(structures, tolerances)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.results = cached
            self._set_state("current")
            return
        self._pending = (self.generation, key)
        g, p, spacing = squeezed(s.gt, s.pred, s.grid.spacing)
        job = BackgroundJob(self.generation, lambda: structure_surfaces(g, p, structures, spacing, tolerances),
                            self._signals)
        self.pool.start(job)
        self._set_state("computing")

    def masks_edited(self) -> None:
        """The masks changed: values are out of date until recomputed once the hand rests."""
        if self.results is not None or self.state == "computing":
            self.generation += 1  # an answer for the masks before the edit must not look current
            state = "stale" if self.results is not None else "computing"
            if state != self.state:
                # once per stroke, not per dab: redrawing 41 rows x 4 cells grey cost ~3 ms a dab
                self._set_state(state)
        if self.window.session is not None and self.window.session.has_scores:
            self.timer.start()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the worker is idle (tests, screenshots); a pending recompute starts first."""
        if self.timer.isActive():
            self.recompute()
        return self.pool.waitForDone(msecs)

    # ------------------------------------------------------------- results
    def _done(self, generation, results) -> None:
        if generation != self.generation or self._pending is None or self._pending[0] != generation:
            return
        self._cache[self._pending[1]] = results
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.results = results
        self._set_state("current")

    def _failed(self, generation, message: str) -> None:
        if generation == self.generation:
            self.message = message
            self.results = None  # nothing shown rather than values of other masks
            self._set_state("failed")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.updated.emit()
