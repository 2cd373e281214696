"""HD95, ASSD and NSD in the scores panel that are never left out of date.

After an edit (a stroke, a fill, an undo or redo) the surface metrics are
recomputed by themselves once the hand rests (:data:`REST_MS` after the last
change), in the background worker (:class:`~dicegui.gui.surface_worker.SurfaceRunner`,
where a newer request makes an older result be dropped). Results are kept
per mask state, focus label and tolerance: undoing back to a state already
measured (the files as opened, typically) shows its values at once without
recomputation.

A mask state is named by the serial numbers of the undo steps applied to
reach it (:meth:`EditHistory.state_key`-like, read from the history), so two
different histories that happen to have the same length never share a
cached result.
"""
from __future__ import annotations

from collections import OrderedDict

from PySide6 import QtCore

from .surface_worker import SurfaceRunner

#: Quiet time after the last edit before the surface metrics are recomputed.
REST_MS = 500
#: Cached results (mask state × label × tolerance); each is a few numbers.
CACHE_SIZE = 64


class SurfaceScores(QtCore.QObject):
    """Surface metrics of the main window's case: worker, rest timer and cache.

    Attributes
    ----------
    runner : SurfaceRunner
    result : dict or None
        ``{"result": {...}, "tolerance": mm, "label": L or None}`` shown now
        (``label`` is the window's focus: a label, a ``RegionFocus`` or None).
    request : SurfaceRequest or None
        The last request sent to the worker.
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.runner = SurfaceRunner(self)
        self.runner.resultReady.connect(self._ready)
        self.runner.failed.connect(self._failed)
        self.result = None
        self.request = None
        self._dirty = False
        self._pending_key = None
        self._cache: OrderedDict = OrderedDict()
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REST_MS)
        self.timer.timeout.connect(self.recompute)

    # ---------------------------------------------------------------- keys
    def _state(self) -> tuple:
        editor = getattr(self.window, "editor", None)
        if editor is None:
            return ()
        return tuple(serial for serial, _ in editor.history._current_steps())

    def _key(self) -> tuple:
        w = self.window
        structures = getattr(w, "structures", None)
        tolerance = (float(w.scores.tolerance.value()) if structures is None
                     else structures.tolerance.for_focus(w.focus))  # the focus's own, from a per-structure table
        return self._state(), w.focus, tolerance

    # ------------------------------------------------------------ commands
    def reset(self) -> None:
        """A new case: forget results and cached values."""
        self.timer.stop()
        self.runner.cancel()
        self.result = None
        self.request = None
        self._dirty = False
        self._cache.clear()

    def recompute(self) -> None:
        """Show the metrics of the masks as they are now: from the cache, else from the worker."""
        self.timer.stop()
        w = self.window
        s = w.session
        if s is None or not s.has_scores:
            return
        key = self._key()
        self._dirty = False
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.runner.cancel()  # an older run must not overwrite the cached values
            self._show(cached["result"], cached["tolerance"], cached["label"])
            return
        self._pending_key = key
        self.request = self.runner.request(s.gt, s.pred, key[1], key[2], s.grid.spacing)
        w.scores.set_surface_state("computing")

    def masks_edited(self) -> None:
        """The masks changed: mark the shown values out of date and recompute once the hand rests."""
        w = self.window
        if w.session is None or not w.session.has_scores:
            return
        self._dirty = True
        if self.result is not None:
            w.scores.set_surface_state("stale")
        self.timer.start()

    def wait(self, msecs: int = 30000) -> bool:
        if self.timer.isActive():
            self.recompute()
        return self.runner.wait(msecs)

    # ------------------------------------------------------------- results
    def _ready(self, req, result) -> None:
        if self._pending_key is not None:
            self._cache[self._pending_key] = {"result": dict(result), "tolerance": req.tolerance, "label": req.label}
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self._show(result, req.tolerance, req.label)

    def _show(self, result, tolerance, label) -> None:
        w = self.window
        self.result = {"result": dict(result), "tolerance": tolerance, "label": label}
        w.scores.set_surface(result, tolerance)
        w.scores.set_surface_state("stale" if self._dirty else "current")

    def _failed(self, req, message: str) -> None:
        self.window.scores.set_surface(None)
        self.window.scores.set_surface_state("failed", message)
