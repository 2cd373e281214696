"""Worker processes that score one case at a time, each case under a time limit.

A process pool from the standard library cannot stop one task: a case that
never finishes (a read that blocks, a library stuck in a loop) holds its
worker forever, and a worker that dies breaks the whole pool. Here the
parent owns each worker and gives it one case at a time over a pipe, so it
always knows which case a worker holds and since when. A worker that dies
costs only its case (``internal_error``); a case past its time limit gets
its worker killed and ``status = "timeout"``; either way a fresh worker
takes the next case. Workers ignore SIGINT: Ctrl-C in a terminal reaches the
whole process group, and only the parent should decide what happens then
(it kills the workers and keeps what finished).
"""
from __future__ import annotations

import math
import os
import signal
import time
from collections import deque
from typing import Callable

STATUS_TIMEOUT = "timeout"
STATUS_INTERNAL = "internal_error"

DIED = "the worker process died while scoring this case (a crash or the out-of-memory killer)"


def _die_with_parent() -> None:
    """Linux: be killed when the parent dies, so a killed run leaves no worker scoring on alone."""
    parent = os.getppid()  # the run, or the fork server that started this worker for it
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: an orphan ends after its case
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _worker_loop(conn, score: Callable) -> None:
    # Ctrl-C is the parent's to handle; a worker printing its own traceback
    # is what made an interrupted run spill several screens of text.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        row = score(task)
        try:
            conn.send(row)
        except OSError:
            return  # the parent is gone (killed): nobody to report to, and no traceback to print


class _Worker:
    """One process, its end of the pipe, and the case it holds (if any)."""

    def __init__(self, ctx, score: Callable):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_loop, args=(child, score), daemon=True)
        self.process.start()
        child.close()
        self.task = None
        self.started = 0.0

    def give(self, task) -> None:
        self.task, self.started = task, time.monotonic()
        try:
            self.conn.send(task)
        except OSError:
            pass  # it died just now: its sentinel fires and the case is marked


    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        self.kill()


def failed_row(task, status: str, error: str) -> dict:
    """The row of a case that produced none: its name, status, message and paths."""
    name, gt_path, pred_path = task[0], task[1], task[2]
    return {"case": name, "status": status, "error": error, "gt": gt_path, "pred": pred_path}


def run_supervised(tasks, score: Callable, workers: int, collect: Callable, ctx,
                   case_timeout: float = math.inf) -> None:
    """Score ``tasks`` in ``workers`` processes, each case under ``case_timeout`` seconds.

    Parameters
    ----------
    tasks : sequence
        Picklable tasks; ``task[0:3]`` are the case name and the two paths.
    score : callable
        Top-level function ``score(task) -> row`` (picklable by reference).
    workers : int
        Processes running at once (at least 1).
    collect : callable
        ``collect(row)`` in this process after each case, in finishing order.
    ctx : multiprocessing context
        How processes are started (fork, forkserver or spawn).
    case_timeout : float
        Seconds one case may take; ``inf`` for no limit. A case past it gets
        ``status = "timeout"`` and its worker is killed.

    Notes
    -----
    Any exception here (KeyboardInterrupt included) kills every worker
    before it propagates; rows already given to ``collect`` stay given.
    """
    queue = deque(tasks)
    pool: list[_Worker] = []
    from multiprocessing.connection import wait

    try:
        while queue or any(w.task is not None for w in pool):
            pool = [w for w in pool if w.task is not None or _alive_or_gone(w)]
            while queue and len(pool) < workers:
                pool.append(_Worker(ctx, score))
            for w in pool:
                if w.task is None and queue:
                    w.give(queue.popleft())
            busy = [w for w in pool if w.task is not None]
            deadline = min(w.started for w in busy) + case_timeout
            wait_for = None if math.isinf(case_timeout) else max(0.0, deadline - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], wait_for))
            for w in busy:
                row, lost = _outcome(w, ready, case_timeout)
                if row is None:
                    continue
                if lost:
                    w.kill()
                    pool.remove(w)
                collect(row)
    finally:
        for w in pool:
            if w.task is None:
                w.stop()
            else:
                w.kill()


def _alive_or_gone(w: _Worker) -> bool:
    """Whether an idle worker can take a case; one that died between cases is cleaned up."""
    if w.process.is_alive():
        return True
    w.kill()
    return False


def _outcome(w: _Worker, ready: set, case_timeout: float) -> tuple[dict | None, bool]:
    """``(row, lost)``: the row ``w`` finished with, or a failure row when it died
    or ran out of time (``lost``: the worker must go), or ``(None, False)``."""
    task = w.task
    if w.conn in ready or w.process.sentinel in ready:
        try:
            if w.conn.poll():
                row = w.conn.recv()
                w.task = None
                return row, False
        except (EOFError, OSError):
            pass
        w.task = None
        return failed_row(task, STATUS_INTERNAL, DIED), True
    if time.monotonic() - w.started >= case_timeout:
        w.task = None
        return failed_row(task, STATUS_TIMEOUT,
                          f"not finished after {case_timeout:g} s (--case-timeout); the case was stopped"), True
    return None, False
