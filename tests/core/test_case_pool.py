"""dicegui.core.case_pool: one case per worker at a time, dead and stuck workers replaced."""
from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

from dicegui.core.case_pool import run_supervised


def _score(task):
    name = task[0]
    if name == "boom":
        os._exit(3)  # what a segfault does
    if name == "hang":
        time.sleep(60)
    return {"case": name, "status": "ok", "pid": os.getpid()}


@pytest.fixture
def ctx():
    return mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")


@pytest.mark.parametrize("workers", [1, 2])
def test_dead_and_stuck_cases_cost_only_themselves(ctx, workers):
    tasks = [(n, "g", "p") for n in ["a", "boom", "b", "hang", "c", "d"]]
    rows = []
    t0 = time.monotonic()
    run_supervised(tasks, _score, workers, rows.append, ctx, case_timeout=1.0)
    assert time.monotonic() - t0 < 20
    status = {r["case"]: r["status"] for r in rows}
    assert status == {"a": "ok", "b": "ok", "c": "ok", "d": "ok", "boom": "internal_error", "hang": "timeout"}
    by_case = {r["case"]: r for r in rows}
    assert by_case["boom"]["gt"] == "g" and "died" in by_case["boom"]["error"]
    assert len({r["pid"] for r in rows if "pid" in r}) <= workers + 2  # workers replaced, not one per case


def test_no_case_no_process(ctx):
    rows = []
    run_supervised([], _score, 2, rows.append, ctx)
    assert rows == []
