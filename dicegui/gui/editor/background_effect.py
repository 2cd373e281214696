"""Run a whole-volume clean-up off the GUI thread, with a progress dialog and Cancel.

"Remove islands" over a 512×512×800 prediction used to block the window for
over a minute. Here the effect's plan (which voxels change; the mask is only
read) is computed in a worker thread while a window-modal progress dialog
keeps the user from editing the mask under it; the plan is then written on
the GUI thread as one undo step, which takes time in proportion to the
voxels changed. Cancel stops the worker at its next progress report
(:class:`dicegui.core.edits.EditCancelled`) and nothing is written.
"""
from __future__ import annotations

import threading
from typing import Callable

from PySide6 import QtCore, QtWidgets

from ...core.edits import EditCancelled
from ..background import BackgroundJob, JobSignals

#: Whole-volume effects on masks of at least this many voxels run in a worker.
BACKGROUND_VOXELS = 8_000_000

_CANCELLED = object()


class _Progress(QtCore.QObject):
    """Carries progress fractions from the worker to the dialog (a queued signal)."""

    changed = QtCore.Signal(float)


class BackgroundEffect(QtCore.QObject):
    """One clean-up's plan computed in a worker; ``finished`` gets the plan, or None if cancelled or failed.

    Parameters
    ----------
    parent : QWidget
        The window the progress dialog is modal to.
    title : str
        The effect's name, shown in the dialog.
    plan : callable
        ``plan(progress)`` returning a plan; runs in the worker thread and
        must only read the masks.
    on_done : callable
        ``on_done(plan_or_None, message)`` on the GUI thread: the plan, or
        None with "cancelled" or the error's text.
    """

    def __init__(self, parent: QtWidgets.QWidget, title: str, plan: Callable, on_done: Callable):
        super().__init__(parent)
        self._cancel = threading.Event()
        self._on_done = on_done
        self._progress = _Progress(self)
        self._signals = JobSignals(self)
        self.dialog = QtWidgets.QProgressDialog(f"{title}: working on the whole volume…", "Cancel", 0, 1000, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        # at once, not after Qt's default 4 s: while it is up the window takes no edits, undo or case change
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self._progress.changed.connect(lambda f: self.dialog.setValue(int(round(1000 * f))))
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self.running = True
        self._job = BackgroundJob(title, lambda: self._compute(plan), self._signals)

    def start(self) -> None:
        """Start the worker (on the global thread pool)."""
        self.dialog.setValue(0)
        self.dialog.show()
        QtCore.QThreadPool.globalInstance().start(self._job)
        self._job = None

    def cancel(self) -> None:
        """Ask the worker to stop at its next progress report; nothing will be written."""
        self._cancel.set()
        self.dialog.setLabelText("Cancelling…")

    def _compute(self, plan):  # worker thread
        def progress(fraction: float) -> None:
            if self._cancel.is_set():
                raise EditCancelled
            self._progress.changed.emit(fraction)
        try:
            progress(0.0)
            return plan(progress)
        except EditCancelled:
            return _CANCELLED

    def _done(self, _request, result) -> None:
        if result is _CANCELLED or self._cancel.is_set():
            self._finish(None, "cancelled; nothing was changed")
        else:
            self._finish(result, "")

    def _failed(self, _request, message: str) -> None:
        self._finish(None, message)

    def _finish(self, plan, message: str) -> None:
        self.running = False
        self.dialog.canceled.disconnect(self.cancel)  # closing the dialog emits canceled
        self.dialog.close()
        self.dialog.deleteLater()
        self._on_done(plan, message)
        self.deleteLater()
