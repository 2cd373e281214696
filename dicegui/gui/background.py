"""Run one computation off the GUI thread and report back through queued signals.

The surface-distance panel, the HD marker and the error-region navigator all
need the same thing: compute on a ``QThreadPool`` thread, hand back
``(request, result)`` or ``(request, message)``, and let the receiver drop
answers to requests it no longer wants (each request carries a generation).

Each receiver has its own one-thread pool, so opening a case used to start
the surface distances, the 3-D mesh and the error regions at once, each
making whole-volume temporaries: on a 600×512×512 CT their sum doubled the
window's peak memory. Jobs therefore take turns (one lock for all of them):
the peak is the largest job's, not the sum, and a job's answer still comes
through its own receiver.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6 import QtCore

# Whole-volume computations run one at a time (see the module notes).
_ONE_AT_A_TIME = threading.Lock()


class JobSignals(QtCore.QObject):
    """Signals of a :class:`BackgroundJob`; create one per receiver, in the GUI thread."""

    done = QtCore.Signal(object, object)  # (request, result)
    failed = QtCore.Signal(object, str)  # (request, "ExceptionType: message")


class BackgroundJob(QtCore.QRunnable):
    """Call ``compute()`` in a worker thread, one job at a time, and emit its result on ``signals``.

    Parameters
    ----------
    request : object
        Handed back with the answer, so the receiver can tell which request it was.
    compute : callable
        Takes no arguments; runs in the worker thread. Any exception is
        reported through ``signals.failed`` (and printed), never raised.
    signals : JobSignals
    """

    def __init__(self, request: Any, compute: Callable[[], Any], signals: JobSignals):
        super().__init__()
        self.request, self._compute, self.signals = request, compute, signals

    def run(self) -> None:  # worker thread
        try:
            with _ONE_AT_A_TIME:
                result = self._compute()
        except Exception as exc:  # shown by the receiver; the window carries on
            traceback.print_exc()
            self.signals.failed.emit(self.request, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(self.request, result)
        finally:
            # Drop the closure (and the volumes it holds) as soon as we are done.
            self._compute = None
