"""Score column names taken apart: scope, NSD tolerance, direction, titles, cells, default columns, order."""
from __future__ import annotations

import math

import pytest

from dicegui.core.metric_columns import (
    cell_text,
    column_tip,
    column_title,
    default_columns,
    display_order,
    label_names_of,
    lower_is_better,
    order_worst_first,
    parse_column,
)


@pytest.mark.parametrize("column, scope, owner, key, base, tolerance", [
    ("dice", "foreground", None, "dice", "dice", None),
    ("nsd", "foreground", None, "nsd", "nsd", None),
    ("nsd_2mm", "foreground", None, "nsd_2mm", "nsd", 2.0),
    ("nsd_1.5mm", "foreground", None, "nsd_1.5mm", "nsd", 1.5),
    ("label2_nsd_3mm", "label", "2", "nsd_3mm", "nsd", 3.0),
    ("label12_hd95", "label", "12", "hd95", "hd95", None),
    ("regionWT_dice", "region", "WT", "dice", "dice", None),
    ("regionTC_nsd_1mm", "region", "TC", "nsd_1mm", "nsd", 1.0),
    ("regionET-2_lesion_hd95", "region", "ET-2", "lesion_hd95", "lesion_hd95", None),
    ("regionET_num_fn", "region", "ET", "num_fn", "num_fn", None),
    ("hd95_pooled", "foreground", None, "hd95_pooled", "hd95_pooled", None),
    ("nsd_1.2.3mm", "foreground", None, "nsd_1.2.3mm", "nsd_1.2.3mm", None),  # not a tolerance
])
def test_parse_column(column, scope, owner, key, base, tolerance):
    c = parse_column(column)
    assert (c.scope, c.owner, c.key, c.base, c.tolerance_mm) == (scope, owner, key, base, tolerance)


@pytest.mark.parametrize("column", [
    "hd", "hd95", "assd", "hd95_pooled", "fp", "fn", "lesion_hd95", "num_fp", "num_fn", "instance_fp",
    "instance_fn", "swapped_voxels", "label3_hd95", "regionET_hd", "regionET_lesion_hd95", "regionET_num_fn",
    "label2_fp", "regionWT_assd",
])
def test_lower_is_better(column):
    assert lower_is_better(column)


@pytest.mark.parametrize("column", [
    "dice", "iou", "nsd", "nsd_2mm", "label2_nsd_3mm", "regionTC_nsd_1mm", "lesion_dice", "regionET_lesion_dice",
    "pq", "sq", "rq", "instance_precision", "instance_recall", "instance_f1", "precision", "sensitivity",
    "num_tp", "instance_tp", "mean_dice", "regionWT_dice", "label4_dice",
])
def test_higher_is_better(column):
    assert not lower_is_better(column)


def test_groups_of_the_column_chooser():
    assert parse_column("dice").group == "Foreground"
    assert parse_column("swapped_voxels").group == "Foreground"
    assert parse_column("label2_hd95").group == "Per label"
    assert parse_column("regionWT_nsd_2mm").group == "Per region"
    assert parse_column("lesion_dice").group == "Lesion-wise"
    assert parse_column("regionET_num_fp").group == "Lesion-wise"
    assert parse_column("pq").group == "Instances"
    assert parse_column("instance_fn").group == "Instances"


def test_titles_carry_tolerance_scope_and_label_name():
    names = {"2": "liver"}
    assert column_title("nsd") == "NSD"
    assert column_title("nsd_2mm") == "NSD 2 mm"
    assert column_title("nsd_1.5mm") == "NSD 1.5 mm"
    assert column_title("label2_nsd_3mm", names) == "liver NSD 3 mm"
    assert column_title("label3_dice", names) == "Label 3 Dice"
    assert column_title("regionWT_dice") == "WT Dice"
    assert column_title("regionET_lesion_dice") == "ET lesion Dice"
    assert column_title("regionET_num_fn") == "ET FN lesions"
    assert "1.5 mm" in column_tip("nsd_1.5mm")
    assert "not recorded" in column_tip("nsd")
    assert column_tip("label2_hd95", names).startswith("Label 2 (liver)")
    assert column_tip("regionWT_dice").startswith("Region WT")


def test_cells_show_infinity_and_missing_with_a_reason():
    assert cell_text("regionET_hd95", math.inf) == ("∞", "a mask is empty: no surface")
    text, tip = cell_text("hd95", float("nan"))
    assert text == "—" and "undefined" in tip
    text, tip = cell_text("regionWT_dice", None)
    assert text == "—" and "not computed" in tip
    assert cell_text("regionET_num_fn", 3) == ("3", "")
    assert cell_text("swapped_voxels", 2373) == ("2,373", "")
    assert cell_text("label2_hd95", 3.14159) == ("3.14", "")
    assert cell_text("nsd_2mm", 0.5) == ("0.5000", "")


def test_order_worst_first_by_hand():
    values = {"a": 2.0, "b": math.inf, "c": float("nan"), "d": None, "e": 7.0, "f": 2.0}
    # a distance: inf worst; ties (a, f) by name; nan then missing
    assert order_worst_first(values, "regionTC_hd95") == ["b", "e", "a", "f", "c", "d"]
    assert order_worst_first(values, "regionTC_hd95", descending=False) == ["a", "f", "e", "b", "c", "d"]
    # the same numbers as a score where higher is better
    assert order_worst_first(values, "regionTC_dice") == ["a", "f", "e", "b", "c", "d"]


def test_default_columns():
    metrics = ["tp", "fp", "fn", "tn", "dice", "iou", "precision", "hd", "hd95", "assd", "nsd_2mm", "hd95_pooled",
               "mean_dice", "mean_iou", "label1_dice", "label1_hd95", "regionWT_dice", "regionWT_hd95",
               "regionTC_dice", "regionET_dice", "lesion_dice", "lesion_hd95", "regionET_lesion_dice",
               "label1_lesion_dice", "pq", "swapped_voxels"]
    # label maps ranked by mean Dice: the foreground Dice/IoU left out; regions in the table's order
    assert default_columns(metrics, "mean_dice") == [
        "mean_dice", "mean_iou", "hd95", "assd", "nsd_2mm", "hd", "fp", "fn",
        "regionWT_dice", "regionTC_dice", "regionET_dice", "lesion_dice", "regionET_lesion_dice"]
    # ranked by the foreground Dice: it stays
    assert default_columns(["dice", "iou", "nsd", "fp"], "dice") == ["dice", "iou", "nsd", "fp"]


def test_display_order_groups_then_owners():
    cols = ["pq", "label10_dice", "label2_dice", "regionWT_dice", "lesion_dice", "dice", "regionET_dice"]
    assert display_order(cols) == ["dice", "label2_dice", "label10_dice", "regionWT_dice", "regionET_dice",
                                   "lesion_dice", "pq"]


def test_label_names_of_rows():
    rows = [{"label2_name": "liver", "status": "ok"}, {"label2_name": "other", "label3_name": "spleen"}, {}]
    assert label_names_of(rows) == {"2": "liver", "3": "spleen"}
