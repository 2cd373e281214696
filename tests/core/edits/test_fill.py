"""Flood fill against scikit-image."""
import numpy as np
import pytest
from skimage.segmentation import flood

from dicegui.core.edits import (
    FillTooLarge,
    apply_delta,
    apply_fill,
    fill_extent,
    plan_fill,
    connected_region,
    describe,
    flood_fill,
)
from dicegui.core.live import LiveScore
from edit_checks import assert_scores_match


@pytest.mark.parametrize("connectivity", [1, 2])
def test_connected_region_equals_skimage_flood(connectivity):
    rng = np.random.default_rng(0)
    for _ in range(30):
        values = rng.integers(0, 3, (25, 31)).astype(np.uint8)
        seed = (int(rng.integers(25)), int(rng.integers(31)))
        expected = flood(values, seed, connectivity=connectivity)
        np.testing.assert_array_equal(connected_region(values, seed, connectivity), expected)


def test_connected_region_of_a_nan_seed_is_the_seed():
    # NaN equals nothing, itself included: the region is the seed alone
    # (skimage's flood agrees), not everything else.
    values = np.zeros((5, 6))
    values[2, 2] = values[2, 3] = np.nan
    region = connected_region(values, (2, 2))
    np.testing.assert_array_equal(region, flood(values, (2, 2)))
    assert np.argwhere(region).tolist() == [[2, 2]]


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_flood_fill_edit_fills_the_region_of_one_slice(axis):
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 3, (9, 10, 11)).astype(np.uint8)
    gt = rng.integers(0, 2, (9, 10, 11)).astype(np.uint8)
    original = pred.copy()
    live = LiveScore(gt, pred)
    s = 4
    plane = original.take(s, axis=axis)
    seed = (3, 5)
    region = flood(plane, seed, connectivity=1)
    delta = flood_fill(live, "pred", axis, s, seed, label=1)
    expected = original.copy()
    view = np.moveaxis(expected, axis, 0)[s]
    view[region] = 1
    np.testing.assert_array_equal(pred, expected)
    assert_scores_match(live, gt, pred)
    if plane[seed] == 1:
        assert delta is None
    else:
        assert delta.voxels == int(region.sum())
        assert describe(delta) == f"Fill pred, label 1, slice {s}, {delta.voxels} voxels"
        apply_delta(live, delta, undo=True)
        np.testing.assert_array_equal(pred, original)
        assert_scores_match(live, gt, pred)


def test_flood_fill_written_out_case():
    pred = np.array([[[1, 1, 1, 1, 0],
                      [1, 0, 0, 1, 0],
                      [1, 0, 0, 1, 0],
                      [1, 1, 1, 1, 0]]], np.uint8)
    gt = np.zeros_like(pred)
    live = LiveScore(gt, pred)
    delta = flood_fill(live, "pred", 0, 0, (1.4, 2.3), label=1)  # snapped to (1, 2)
    assert delta.voxels == 4
    assert pred[0, 1:3, 1:3].all() and not pred[0, :, 4].any()
    # erasing flood clears the ring and the filled inside (one region of value 1)
    delta = flood_fill(live, "pred", 0, 0, (0, 0), erase=True)
    assert delta.voxels == 16 and not pred.any()
    assert delta.label == 1 and delta.tool == "erase"
    # clicking where the value is already written changes nothing
    assert flood_fill(live, "pred", 0, 0, (0, 0), erase=True) is None
    assert flood_fill(live, "pred", 0, 0, (9, 9)) is None  # outside the slice


def test_flood_fill_protects_other_labels():
    pred = np.full((1, 4, 4), 2, np.uint8)
    live = LiveScore(np.zeros_like(pred), pred)
    assert flood_fill(live, "pred", 0, 0, (1, 1), label=1, protect_other_labels=True) is None
    assert (pred == 2).all()
    delta = flood_fill(live, "pred", 0, 0, (1, 1), label=1)
    assert delta.voxels == 16 and (pred == 1).all()
    assert (delta.old == 2).all()


# ------------------------------------------------------------ bounded fill
def ring_case():
    """A 1 × 9 × 10 slice: a ring of label 1 around a 3 × 4 inside (rows 3-5, cols 3-6)."""
    pred = np.zeros((1, 9, 10), np.uint8)
    pred[0, 2:7, 2:8] = 1
    pred[0, 3:6, 3:7] = 0
    return pred


def test_fill_inside_a_ring_stops_at_the_ring():
    pred = ring_case()
    live = LiveScore(np.zeros_like(pred), pred)
    assert fill_extent(live, "pred", 0, 0, (4, 4)) == (12, False)
    plan = plan_fill(live, "pred", 0, 0, (4, 4), label=2)
    assert plan.voxels == 12 and not plan.touches_border
    assert not (pred == 2).any()  # planning writes nothing
    delta = apply_fill(live, plan)
    assert delta.voxels == 12 and (pred[0, 3:6, 3:7] == 2).all()
    assert int((pred == 2).sum()) == 12


def test_background_fill_reports_the_border_and_its_count():
    pred = ring_case()
    live = LiveScore(np.zeros_like(pred), pred)
    # 90 voxels - 30 of the ring (6 × 5 box) = 60 outside
    assert fill_extent(live, "pred", 0, 0, (0, 0)) == (60, True)
    with pytest.raises(FillTooLarge, match="60 voxels and reaches the slice border") as err:
        flood_fill(live, "pred", 0, 0, (0, 0), max_voxels=59)
    assert err.value.plan.voxels == 60
    assert (pred == ring_case()).all()  # refused: nothing written
    assert flood_fill(live, "pred", 0, 0, (0, 0), max_voxels=60).voxels == 60


def test_fill_within_an_intensity_range_stops_where_the_image_leaves_it():
    pred = ring_case()
    live = LiveScore(np.zeros_like(pred), pred)
    image = np.broadcast_to(np.arange(10, dtype=np.float32), pred.shape)  # value = column
    # inside the ring (cols 3..6) limited to columns 3..5
    assert fill_extent(live, "pred", 0, 0, (4, 3), image=image, intensity_range=(2.5, 5)) == (9, False)
    delta = flood_fill(live, "pred", 0, 0, (4, 3), label=1, image=image, intensity_range=(2.5, 5))
    assert delta.voxels == 9
    assert (pred[0, 3:6, 3:6] == 1).all() and not pred[0, 3:6, 6].any()
    # outside: columns 8 and 9 only are within [8, 9]; they are not connected to column 0 or 1
    assert fill_extent(live, "pred", 0, 0, (0, 9), image=image, intensity_range=(8, 9)) == (18, True)
    with pytest.raises(ValueError, match="intensity 0 is outside the fill range 8 to 9"):
        flood_fill(live, "pred", 0, 0, (0, 0), image=image, intensity_range=(8, 9))
    with pytest.raises(ValueError, match="needs an image"):
        flood_fill(live, "pred", 0, 0, (0, 0), intensity_range=(8, 9))


def test_bounded_fill_equals_skimage_flood_of_the_allowed_set():
    rng = np.random.default_rng(7)
    for _ in range(10):
        pred = rng.integers(0, 2, (1, 30, 30)).astype(np.uint8)
        image = rng.normal(size=pred.shape)
        seed = (int(rng.integers(30)), int(rng.integers(30)))
        lo, hi = -0.5, 1.5
        if not lo <= image[0][seed] <= hi:
            continue
        allowed = (pred[0] == pred[0][seed]) & (image[0] >= lo) & (image[0] <= hi)
        expected = flood(allowed.astype(np.uint8), seed, connectivity=1)
        live = LiveScore(np.zeros_like(pred), pred.copy())
        plan = plan_fill(live, "pred", 0, 0, seed, label=2, image=image, intensity_range=(lo, hi))
        np.testing.assert_array_equal(plan.region, expected)
