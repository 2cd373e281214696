"""The toy demo: the seed example as a one-slice 2 × 2 case, built without files."""
from __future__ import annotations

import numpy as np

from dicegui.core import demo
from dicegui.core.metrics import soft_dice


def test_toy_demo_holds_the_seed_example():
    case = demo.build_demo("toy")
    assert case.gt_mask.shape == (2, 2, 1)
    assert np.allclose(case.pred_prob[:, :, 0], [[0.9, 0.1], [0.8, 0.1]])
    assert case.gt_mask[:, :, 0].tolist() == [[1, 0], [1, 0]]
    # thresholded at 0.5, as the loader does for probability maps
    assert case.pred_mask[:, :, 0].tolist() == [[1, 0], [1, 0]]
    # float32 storage of 0.9/0.8/0.1 moves soft Dice by < 1e-7 from 3.4 / 3.9
    assert abs(soft_dice(case.pred_prob, case.gt_mask, smooth=0) - 3.4 / 3.9) < 1e-7
    assert "not a scan" in case.warnings[-1]
    assert "toy" in demo.DEMOS


def test_toy_case_of_another_grid_holds_its_cells():
    from dicegui.core.toy_grid import ToyGrid

    grid = ToyGrid(np.array([[0.2, 0.7, 0.5]]), np.array([[1.0, 0.0, 0.5]]))
    case = demo.toy_case(grid)
    assert case.gt_mask.shape == (1, 3, 1)
    assert np.allclose(case.image_array[:, :, 0], [[0.2, 0.7, 0.5]])
    assert case.pred_mask[:, :, 0].tolist() == [[0, 1, 1]]  # p >= 0.5
    assert case.gt_mask[:, :, 0].tolist() == [[1, 0, 1]]  # a soft target 0.5 counts as foreground
