"""The worklist's cohort mode when a worker dies: no traceback, no error box, every case shown.

The window scores from a worker thread, so its worker processes start from
a fork server: the stand-in scorer below reaches them by reference (it lives
in this importable module), as the real one does. Dice is numpy's.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from dicegui.gui.cohort.cohort_window import CohortWindow


def score_or_die(task):
    from dicegui.core import cohort

    if task[0] == "boom":
        os._exit(3)  # what a segfault or the out-of-memory killer does
    return cohort.score_files(*task)


def numpy_dice(gt, pred):
    return 2.0 * np.count_nonzero(gt & pred) / (np.count_nonzero(gt) + np.count_nonzero(pred))


def test_a_dead_worker_costs_its_case_and_the_others_are_shown(qtbot, tmp_path, monkeypatch, message_boxes, capfd):
    from dicegui.core import cohort

    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    dice = {}
    for seed, name in enumerate(["a", "boom", "c", "d"]):
        rng = np.random.default_rng(seed)
        gt = rng.random((10, 10, 6)) > 0.5
        pred = rng.random((10, 10, 6)) > 0.5
        np.save(tmp_path / "gt" / f"{name}.npy", gt.astype(np.uint8))
        np.save(tmp_path / "pred" / f"{name}.npy", pred.astype(np.uint8))
        dice[name] = numpy_dice(gt, pred)
    monkeypatch.setattr(cohort, "_score_pair", score_or_die)
    cw = CohortWindow()
    qtbot.addWidget(cw)
    assert cw.open_dirs(tmp_path / "gt", tmp_path / "pred", workers=2)
    assert cw.wait(60000)
    assert message_boxes == [] and cw.last_error is None
    assert "Traceback" not in capfd.readouterr().err
    assert sorted(cw.shown_order()) == ["a", "boom", "c", "d"]
    assert cw.cohort["boom"].score_status == "internal_error"
    assert "status" in cw.columns and cw.cell_text("boom", "status") == "internal_error"
    for name in ("a", "c", "d"):
        assert cw.cohort[name].score_status == "ok"
        assert cw.cohort[name].scores["dice"] == pytest.approx(dice[name], abs=1e-12)
