"""Garbage holding Qt widgets is collected in the GUI thread, never in a worker that happens to allocate."""
from __future__ import annotations

import gc
import threading
import weakref

from PySide6 import QtCore, QtWidgets

from dicegui.gui.gui_thread_gc import GuiThreadCollector, install


class _Allocating(QtCore.QRunnable):
    """Allocates enough Python objects to cross the young generation's threshold many times over."""

    def run(self):
        junk = []
        for i in range(200_000):
            junk.append([i])


def _cyclic_widgets(n, finalized):
    for _ in range(n):
        w = QtWidgets.QWidget()
        QtWidgets.QMenu(w)
        w.itself = w  # only the cyclic collector can free it
        weakref.finalize(w, lambda: finalized.append(threading.get_ident()))


def test_widgets_in_cycles_are_destroyed_in_the_gui_thread_not_in_the_worker(qapp, qtbot):
    collector = install(qapp)
    assert install(qapp) is collector and not gc.isenabled()
    finalized = []
    _cyclic_widgets(20, finalized)
    pool = QtCore.QThreadPool()
    pool.start(_Allocating())
    assert pool.waitForDone(30000)
    assert finalized == []  # the worker's allocations started no collection
    # the worker freed what it made, so the young generation may be under its threshold: live
    # allocations here make a collection due, which the GUI thread's timer then runs
    ballast = [[i] for i in range(3 * gc.get_threshold()[0])]
    qtbot.waitUntil(lambda: len(finalized) == 20, timeout=10000)
    del ballast
    assert set(finalized) == {threading.get_ident()}


def test_without_it_the_worker_would_collect_them():
    # the hazard itself, shown with the automatic collector on (and no widgets: plain objects)
    finalized = []

    class Node:
        pass
    was = gc.isenabled()
    gc.enable()
    try:
        for _ in range(20):
            n = Node()
            n.itself = n
            weakref.finalize(n, lambda: finalized.append(threading.get_ident()))
        worker = threading.Thread(target=lambda: [[i] for i in range(200_000)])
        worker.start()
        worker.join()
    finally:
        if not was:
            gc.disable()
    assert worker.ident in set(finalized)


def test_collect_if_due_collects_the_oldest_generation_over_its_threshold(qapp):
    collector = GuiThreadCollector(interval_ms=10_000)
    try:
        gc.collect()
        assert collector.collect_if_due() == 0 and collector.collections == 0
        garbage = []
        for _ in range(gc.get_threshold()[0] + 10):
            a = []
            a.append(a)
            garbage.append(a)
        del garbage, a
        assert collector.collect_if_due() >= gc.get_threshold()[0]
        assert collector.collections == 1
    finally:
        collector.timer.stop()
        collector.deleteLater()


def test_the_application_installs_it(qapp):
    from dicegui.gui.app import _application

    assert _application() is qapp
    assert qapp.findChild(GuiThreadCollector) is not None and not gc.isenabled()
