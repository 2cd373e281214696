"""Python's cyclic garbage collector, run in the GUI thread only.

Qt objects may be destroyed only in the thread that owns them. Python's
collector starts in whichever thread happens to allocate when a generation
count crosses its threshold, which is often a worker computing surface
distances or meshes; a window or menu caught in a reference cycle is then
destroyed in that worker: undefined behaviour in Qt, seen here as a
segfault or a deadlock of the whole program. So automatic collection is
turned off and the GUI thread collects from its event loop, generation by
generation when the counts say it is due, as the automatic collector would.
"""
from __future__ import annotations

import gc

from PySide6 import QtCore

#: How often the GUI thread looks at the counts (ms); a young-generation
#: collection takes well under a millisecond.
INTERVAL_MS = 250


class GuiThreadCollector(QtCore.QObject):
    """Collect garbage on a timer in the thread that created it (the GUI thread).

    Parameters
    ----------
    interval_ms : int
        How often to check the counts.
    parent : QObject, optional
    """

    def __init__(self, interval_ms: int = INTERVAL_MS, parent=None):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = 0
        gc.disable()
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    def collect_if_due(self) -> int:
        """Collect the oldest generation whose count is over its threshold; the objects found (0: none due)."""
        counts = gc.get_count()
        due = [g for g in range(3) if counts[g] > self.thresholds[g]]
        if not due:
            return 0
        self.collections += 1
        return gc.collect(max(due))


def install(app) -> GuiThreadCollector:
    """Turn automatic collection off and collect in ``app``'s thread from now on (once per application)."""
    collector = app.findChild(GuiThreadCollector)
    if collector is None:
        collector = GuiThreadCollector(parent=app)
    return collector
