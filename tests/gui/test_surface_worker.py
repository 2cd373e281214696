"""Surface distances in the worker thread: correct numbers, newest request wins, window not blocked."""
from __future__ import annotations

import numpy as np
import pytest

from dicegui.core.surface import surface_distances
from dicegui.gui.surface_worker import SurfaceRunner


def _spheres(shape=(40, 40, 24)):
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    gt = ((z - 20) ** 2 + (y - 20) ** 2 + (x - 12) ** 2) < 64
    pred = ((z - 22) ** 2 + (y - 19) ** 2 + (x - 12) ** 2) < 49
    return gt.astype(np.uint8), (pred * 2).astype(np.uint8)


def test_result_equals_direct_call_and_stale_requests_are_dropped(qtbot):
    runner = SurfaceRunner()
    got = []
    runner.resultReady.connect(lambda req, res: got.append((req, res)))
    gt, pred = _spheres()
    first = runner.request(gt, pred, None, 1.0, (1.0, 0.8, 2.5))
    second = runner.request(gt, pred, 2, 2.0, (1.0, 0.8, 2.5))  # label 2 only exists in pred
    assert runner.wait(20000)
    qtbot.waitUntil(lambda: len(got) >= 1, timeout=5000)
    qtbot.wait(50)
    assert [r.generation for r, _ in got] == [second.generation]
    assert first.generation < second.generation
    _, res = got[0]
    ref = surface_distances(gt == 2, pred == 2, spacing=(1.0, 0.8, 2.5), tolerance=2.0)
    for key in ("hd", "hd95", "assd", "nsd"):
        assert res[key] == ref[key]
    assert np.isinf(res["hd95"])  # gt has no label 2: one mask empty


def test_two_d_images_are_measured_in_two_d(qtbot):
    runner = SurfaceRunner()
    got = []
    runner.resultReady.connect(lambda req, res: got.append(res))
    gt = np.zeros((20, 20, 1), np.uint8)
    pred = np.zeros_like(gt)
    gt[5:15, 5:15, 0] = 1
    pred[6:15, 5:15, 0] = 1
    runner.request(gt, pred, None, 1.0, (1.0, 1.0, 1.0))
    runner.wait(10000)
    qtbot.waitUntil(lambda: len(got) > 0, timeout=5000)
    ref = surface_distances(gt[..., 0], pred[..., 0], spacing=(1.0, 1.0), tolerance=1.0)
    assert got[0]["hd"] == pytest.approx(ref["hd"]) and got[0]["nsd"] == pytest.approx(ref["nsd"])
    assert got[0]["hd"] == pytest.approx(1.0)  # top edge moved by one pixel


def test_window_stays_responsive_while_computing(window, qtbot):
    window.open_demo("totalseg")
    # the request has been queued; the GUI thread keeps serving events at once
    window.request_surface()
    assert window.scores.surface_state == "computing"
    window.step(1)
    qtbot.waitUntil(lambda: window.scores.surface_state == "current", timeout=20000)
