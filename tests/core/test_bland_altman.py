"""Bland–Altman, box statistics, metric groups and volumes of the cohort plots, against hand-worked numbers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dicegui.core.bland_altman import (NO_VOLUMES, bland_altman, box_stats, case_volumes, metric_groups,
                                       plot_keys, volume_owners, voxel_ml)

# Five cases, volumes in mL. Differences pred − ref: 2, -1, 3, 0, 1 (by hand).
# bias = 5 / 5 = 1; squared deviations 1, 4, 4, 1, 0 → sum 10; SD = sqrt(10 / 4) = 1.5811388...
# limits = 1 ∓ 1.96 × 1.5811388 = -2.0990321, 4.0990321
TABLE = [
    {"case": "a", "gt_ml": 10.0, "pred_ml": 12.0, "dice": 0.9},
    {"case": "b", "gt_ml": 20.0, "pred_ml": 19.0, "dice": 0.8},
    {"case": "c", "gt_ml": 5.0, "pred_ml": 8.0, "dice": 0.5},
    {"case": "d", "gt_ml": 7.0, "pred_ml": 7.0, "dice": 0.95},
    {"case": "e", "gt_ml": 30.0, "pred_ml": 31.0, "dice": 0.85},
    {"case": "f", "gt_ml": float("nan"), "pred_ml": 3.0, "dice": float("nan")},
    {"case": "g", "gt_ml": 4.0, "pred_ml": float("inf"), "dice": 0.1},
]


def test_bland_altman_matches_the_hand_worked_table():
    vols = case_volumes(TABLE)
    assert vols["source"] == "table"
    ba = bland_altman(vols["reference"], vols["prediction"], vols["names"])
    assert ba["n"] == 5 and ba["names"] == ["a", "b", "c", "d", "e"]
    assert ba["bias"] == pytest.approx(1.0)
    assert ba["sd"] == pytest.approx(1.5811388300841898)
    assert ba["lower"] == pytest.approx(-2.0990321069649)
    assert ba["upper"] == pytest.approx(4.0990321069649)
    np.testing.assert_allclose(ba["difference"], [2, -1, 3, 0, 1])
    np.testing.assert_allclose(ba["mean"], [11, 19.5, 6.5, 7, 30.5])
    left = dict(ba["left_out"])
    assert set(left) == {"f", "g"}
    assert "reference is undefined" in left["f"] and "prediction is infinite" in left["g"]


def test_bland_altman_one_case_has_no_sd_and_unpaired_input_is_refused():
    ba = bland_altman([1.0], [3.0])
    assert ba["bias"] == 2.0 and math.isnan(ba["sd"]) and math.isnan(ba["upper"])
    with pytest.raises(ValueError, match="paired"):
        bland_altman([1.0, 2.0], [1.0])


def test_box_stats_quartiles_and_tukey_whiskers():
    v = np.array([0.1, 0.62, 0.7, 0.71, 0.75, 0.8, 0.82, 0.85, 0.9, 0.93])
    b = box_stats(v)
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    assert (b["q1"], b["median"], b["q3"]) == pytest.approx((q1, med, q3))
    # by hand: q1 = 0.7025, q3 = 0.8425, IQR = 0.14, fences 0.4925 and 1.0525:
    # 0.1 is the only outlier, whiskers at 0.62 and 0.93
    assert b["low"] == 0.62 and b["high"] == 0.93
    np.testing.assert_array_equal(b["outliers"], [0.1])
    with pytest.raises(ValueError):
        box_stats([1.0, float("inf")])


def test_metric_groups_per_label_and_region_with_infinite_values_apart():
    rows = [
        {"case": "a", "hd95": 3.0, "label1_hd95": 2.0, "label2_hd95": float("inf"), "regionWT_hd95": 1.0,
         "label2_name": "liver"},
        {"case": "b", "hd95": 4.0, "label1_hd95": 5.0, "label2_hd95": 7.0, "regionWT_hd95": float("nan")},
    ]
    groups = metric_groups(rows, "hd95")
    assert list(groups) == ["Label 1", "liver", "WT"]
    assert groups["Label 1"].names == ["a", "b"] and list(groups["Label 1"].values) == [2.0, 5.0]
    assert groups["liver"].names == ["b"] and groups["liver"].infinite == ["a"]
    assert groups["WT"].undefined == 1 and list(groups["WT"].values) == [1.0]
    fg = metric_groups([{"case": "a", "dice": 0.5}, {"case": "b", "dice": 0.7}], "dice")
    assert list(fg) == ["Foreground"] and list(fg["Foreground"].values) == [0.5, 0.7]
    assert metric_groups(rows, "dice") == {}


def test_plot_keys_and_volume_owners():
    rows = [{"case": "a", "dice": 1.0, "label1_dice": 1.0, "nsd_2mm": 1.0, "regionET_nsd_1mm": 0.5, "hd95": 1.0,
             "tp": 3, "fp": 0, "fn": 0, "label1_tp": 1, "label1_fp": 0, "label1_fn": 0, "regionET_gt_ml": 1.0,
             "regionET_pred_ml": 2.0}]
    assert plot_keys(rows) == ["dice", "hd95", "nsd_1mm", "nsd_2mm"]
    assert volume_owners(rows) == {"Foreground": "", "Label 1": "label1_", "ET": "regionET_"}


def test_volumes_fall_back_to_voxel_counts_and_spacing():
    rows = [{"case": "a", "tp": 100, "fn": 20, "fp": 5, "spacing_mm": "0.8x0.8x2.5"},
            {"case": "b", "tp": 1, "fn": 0, "fp": 0}]
    assert voxel_ml("0.8x0.8x2.5") == pytest.approx(0.0016)  # 1.6 mm³
    v = case_volumes(rows)
    assert v["source"] == "voxels"
    assert v["reference"][0] == pytest.approx(120 * 0.0016) and v["prediction"][0] == pytest.approx(105 * 0.0016)
    assert math.isnan(v["reference"][1])  # no spacing: no volume
    assert case_volumes([{"case": "a", "dice": 1.0}])["source"] == NO_VOLUMES
    assert math.isnan(voxel_ml("0.8xfoo")) and math.isnan(voxel_ml("0x1x1"))
