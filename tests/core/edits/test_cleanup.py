"""Fill holes and island removal against SciPy and scikit-image; plans, progress, cancelling, memory."""
import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import remove_small_objects

from dicegui.core.edits import (
    EditCancelled,
    apply_cleanup,
    apply_delta,
    cleanup,
    describe,
    fill_holes,
    flood_fill,
    hole_voxels,
    plan_fill_holes,
    plan_remove_islands,
    remove_small_islands,
    small_islands,
)
from dicegui.core.live import LiveScore
from edit_checks import assert_scores_match, blobs


def skimage_remove_small(binary, max_size, connectivity):
    try:
        return remove_small_objects(binary, max_size=max_size, connectivity=connectivity)
    except TypeError:  # scikit-image < 0.26 has min_size: removes sizes < min_size
        return remove_small_objects(binary, min_size=max_size + 1, connectivity=connectivity)


def test_hole_voxels_equal_binary_fill_holes():
    rng = np.random.default_rng(2)
    for shape in [(30, 30), (17, 23), (12, 14, 16)]:
        for p in (0.3, 0.5, 0.7):
            binary = blobs(rng, shape, p)
            filled = binary | hole_voxels(binary)
            np.testing.assert_array_equal(filled, ndimage.binary_fill_holes(binary))
    ring = np.zeros((7, 7), bool)
    ring[1:6, 1:6] = True
    ring[2:5, 2:5] = False
    ring[3, 3] = True
    expected = np.zeros((7, 7), bool)
    expected[2:5, 2:5] = True
    expected[3, 3] = False
    np.testing.assert_array_equal(hole_voxels(ring), expected)
    assert not hole_voxels(np.zeros((5, 5), bool)).any()


@pytest.mark.parametrize("connectivity", [1, 2, 3])
@pytest.mark.parametrize("max_size", [0, 1, 3, 10])
def test_small_islands_equal_remove_small_objects(connectivity, max_size):
    rng = np.random.default_rng(connectivity * 10 + max_size)
    binary = blobs(rng, (10, 12, 14), 0.7)
    kept = skimage_remove_small(binary, max_size, connectivity)
    np.testing.assert_array_equal(small_islands(binary, max_size, connectivity), binary & ~kept)
    flat = binary[3]
    if connectivity <= 2:
        kept2 = skimage_remove_small(flat, max_size, connectivity)
        np.testing.assert_array_equal(small_islands(flat, max_size, connectivity), flat & ~kept2)


def test_fill_holes_edit_on_slice_and_volume():
    rng = np.random.default_rng(4)
    pred = blobs(rng, (6, 20, 22), 0.45).astype(np.uint8)
    gt = blobs(rng, (6, 20, 22), 0.5).astype(np.uint8)
    original = pred.copy()
    live = LiveScore(gt, pred)
    delta = fill_holes(live, "pred", axis=2, slice_index=7)
    expected = original.copy()
    expected[:, :, 7] = ndimage.binary_fill_holes(original[:, :, 7])
    np.testing.assert_array_equal(pred, expected)
    assert_scores_match(live, gt, pred)
    assert describe(delta).startswith("Fill holes pred, label 1, slice 7, ")
    delta3 = fill_holes(live, "pred")
    np.testing.assert_array_equal(pred, ndimage.binary_fill_holes(expected))
    assert describe(delta3).startswith("Fill holes pred, label 1, whole volume, ")
    assert fill_holes(live, "pred") is None  # nothing left to fill
    apply_delta(live, delta3, undo=True)
    apply_delta(live, delta, undo=True)
    np.testing.assert_array_equal(pred, original)
    assert_scores_match(live, gt, pred)


def test_fill_holes_of_one_label_and_protection():
    gt = np.zeros((1, 7, 7), np.uint8)
    gt[0, 1:6, 1:6] = 1
    gt[0, 2:5, 2:5] = 0
    gt[0, 3, 3] = 2  # another label enclosed by label 1
    original = gt.copy()
    live = LiveScore(gt, np.zeros_like(gt))
    delta = fill_holes(live, "gt", label=1, axis=0, slice_index=0, protect_other_labels=True)
    assert delta.voxels == 8 and gt[0, 3, 3] == 2
    apply_delta(live, delta, undo=True)
    np.testing.assert_array_equal(gt, original)
    delta = fill_holes(live, "gt", label=1, axis=0, slice_index=0)
    assert delta.voxels == 9 and (gt[0, 1:6, 1:6] == 1).all()
    # the holes of label 2 are computed on label 2 only: none here
    assert fill_holes(live, "gt", label=2) is None


def test_remove_small_islands_edit():
    rng = np.random.default_rng(5)
    lab = rng.integers(0, 3, (8, 16, 16)).astype(np.uint16)
    gt = lab.copy()
    pred = np.zeros_like(lab)
    live = LiveScore(gt, pred)
    delta = remove_small_islands(live, "gt", label=2, max_size=4, connectivity=1)
    expected = lab.copy()
    expected[(lab == 2) & ~skimage_remove_small(lab == 2, 4, 1)] = 0
    np.testing.assert_array_equal(gt, expected)
    assert_scores_match(live, gt, pred)
    assert describe(delta).startswith("Remove islands gt, label 2, whole volume, ")
    before = gt.copy()
    delta2 = remove_small_islands(live, "gt", label=1, max_size=2, axis=1, slice_index=3, connectivity=2)
    expected = before.copy()
    sl = before[:, 3, :] == 1
    expected[:, 3, :][sl & ~skimage_remove_small(sl, 2, 2)] = 0
    np.testing.assert_array_equal(gt, expected)
    apply_delta(live, delta2, undo=True)
    apply_delta(live, delta, undo=True)
    np.testing.assert_array_equal(gt, lab)
    assert_scores_match(live, gt, pred)


def test_bad_region_edits_are_clear_errors():
    m = np.zeros((3, 4, 5), np.uint8)
    live = LiveScore(m, np.zeros_like(m))
    with pytest.raises(ValueError, match="both axis and slice_index"):
        fill_holes(live, "gt", axis=1)
    with pytest.raises(IndexError, match="slice 9"):
        remove_small_islands(live, "gt", axis=0, slice_index=9)
    with pytest.raises(ValueError, match="connectivity"):
        remove_small_islands(live, "gt", connectivity=4)
    with pytest.raises(ValueError, match="which"):
        flood_fill(live, "image", 0, 0, (0, 0))
    with pytest.raises(ValueError, match="label 256"):
        fill_holes(live, "gt", label=256)


# ------------------------------------------------- plans, slabs, progress, cancelling
@pytest.fixture
def tiny_slabs(monkeypatch):
    """Slabs of 50 voxels: every piecewise path runs many times on a small volume."""
    monkeypatch.setattr(cleanup, "SLAB_VOXELS", 50)


def test_piecewise_sizes_and_selection_equal_scipy_and_skimage(tiny_slabs):
    rng = np.random.default_rng(11)
    binary = blobs(rng, (9, 13, 11), 0.6)
    original = binary.copy()
    kept = skimage_remove_small(binary, 3, 1)
    np.testing.assert_array_equal(small_islands(binary, 3, 1), binary & ~kept)
    np.testing.assert_array_equal(binary, original)  # the caller's array is left alone
    np.testing.assert_array_equal(binary | hole_voxels(binary), ndimage.binary_fill_holes(binary))


def test_plans_write_nothing_until_applied(tiny_slabs):
    rng = np.random.default_rng(12)
    pred = blobs(rng, (7, 15, 15), 0.5).astype(np.uint8)
    gt = blobs(rng, (7, 15, 15), 0.5).astype(np.uint8)
    original = pred.copy()
    live = LiveScore(gt, pred)
    plan = plan_remove_islands(live, "pred", label=1, max_size=5)
    np.testing.assert_array_equal(pred, original)
    expected = original & skimage_remove_small(original.astype(bool), 5, 1)
    assert plan.voxels == int(original.sum() - expected.sum())
    delta = apply_cleanup(live, plan)
    np.testing.assert_array_equal(pred, expected)
    assert_scores_match(live, gt, pred)
    assert describe(delta).startswith("Remove islands pred, label 1, whole volume, ")
    holes = plan_fill_holes(live, "pred", label=1)
    np.testing.assert_array_equal(pred, expected)
    apply_cleanup(live, holes)
    np.testing.assert_array_equal(pred, ndimage.binary_fill_holes(expected))
    assert apply_cleanup(live, plan_fill_holes(live, "pred")) is None  # nothing left: no undo step


def test_progress_rises_to_one_and_cancelling_writes_nothing(tiny_slabs):
    rng = np.random.default_rng(13)
    pred = blobs(rng, (8, 16, 16), 0.6).astype(np.uint8)
    original = pred.copy()
    live = LiveScore(np.zeros_like(pred), pred)
    seen = []
    plan_remove_islands(live, "pred", max_size=4, progress=seen.append)
    assert len(seen) > 5 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    seen.clear()
    plan_fill_holes(live, "pred", progress=seen.append)
    assert len(seen) > 3 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)

    def stop_half_way(fraction):
        if fraction > 0.6:
            raise EditCancelled

    with pytest.raises(EditCancelled):
        plan_remove_islands(live, "pred", max_size=4, progress=stop_half_way)
    np.testing.assert_array_equal(pred, original)
    assert live.overlap()["fp"] == int(original.sum())
