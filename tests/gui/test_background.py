"""Background jobs of different receivers take turns: whole-volume temporaries never pile up."""
from __future__ import annotations

import threading
import time

from PySide6 import QtCore

from dicegui.gui.background import BackgroundJob, JobSignals


def test_jobs_in_separate_pools_never_overlap_and_all_answer(qtbot):
    running, overlaps, lock = [0], [], threading.Lock()

    def compute(i):
        def run():
            with lock:
                running[0] += 1
                overlaps.append(running[0])
            time.sleep(0.05)  # long enough for a second pool's thread to start meanwhile
            with lock:
                running[0] -= 1
            return i * i
        return run

    # one pool per receiver, as the surface worker, the navigator and the 3-D view have
    pools = [QtCore.QThreadPool() for _ in range(3)]
    signals = [JobSignals() for _ in pools]
    answers = []
    for i, (pool, sig) in enumerate(zip(pools, signals)):
        sig.done.connect(lambda req, res: answers.append((req, res)))
        pool.start(BackgroundJob(i, compute(i), sig))
    for pool in pools:
        assert pool.waitForDone(10000)
    qtbot.waitUntil(lambda: len(answers) == 3, timeout=5000)
    assert max(overlaps) == 1
    assert sorted(answers) == [(0, 0), (1, 1), (2, 4)]


def test_a_failing_job_does_not_keep_the_others_waiting(qtbot):
    pool_a, pool_b = QtCore.QThreadPool(), QtCore.QThreadPool()
    sig_a, sig_b = JobSignals(), JobSignals()
    failed, done = [], []
    sig_a.failed.connect(lambda req, msg: failed.append(msg))
    sig_b.done.connect(lambda req, res: done.append(res))
    pool_a.start(BackgroundJob("a", lambda: 1 / 0, sig_a))
    pool_b.start(BackgroundJob("b", lambda: "ok", sig_b))
    assert pool_a.waitForDone(5000) and pool_b.waitForDone(5000)
    qtbot.waitUntil(lambda: bool(failed and done), timeout=5000)
    assert failed[0].startswith("ZeroDivisionError") and done == ["ok"]
