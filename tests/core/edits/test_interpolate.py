"""Interpolation between annotated slices, scored against true shapes with plain numpy counting."""
import numpy as np
import pytest

from dicegui.core.edits import annotated_slices, apply_delta, describe, interpolate_slices
from dicegui.core.live import LiveScore

N = 48
CENTRE = (15.0, 15.0, 15.0)  # slices 10 and 20 across every axis cut the sphere
RADIUS = 12.0


def sphere(spacing=(1.0, 1.0, 1.0), centre=CENTRE, radius=RADIUS, shape=(N, N, N)):
    """Voxels whose centre lies within ``radius`` mm of ``centre`` (voxel indices)."""
    i, j, k = np.ogrid[:shape[0], :shape[1], :shape[2]]
    d2 = ((i - centre[0]) * spacing[0]) ** 2 + ((j - centre[1]) * spacing[1]) ** 2 \
        + ((k - centre[2]) * spacing[2]) ** 2
    return d2 <= radius ** 2


def numpy_dice(a, b):
    a = np.asarray(a, bool)
    b = np.asarray(b, bool)
    both = int(np.count_nonzero(a & b))
    return 2.0 * both / (int(np.count_nonzero(a)) + int(np.count_nonzero(b)))


def take_slices(a, axis, lo, hi):
    return np.take(a, np.arange(lo, hi + 1), axis=axis)


def annotate(truth, axis, slices, label=1, out=None):
    """A mask holding ``label`` where ``truth`` is, on the given slices across ``axis`` only."""
    mask = np.zeros(truth.shape, np.uint8) if out is None else out
    for k in slices:
        lead = (slice(None),) * axis + (k,)
        mask[lead][truth[lead]] = label
    return mask


def live_with(pred):
    return LiveScore(np.zeros_like(pred), pred)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_sphere_between_slices_10_and_20_matches_the_true_sphere(axis):
    truth = sphere()
    pred = annotate(truth, axis, (10, 20))
    live = live_with(pred)
    delta = interpolate_slices(live, "pred", axis, 1)
    assert delta is not None and delta.tool == "interpolate"
    got = take_slices(pred, axis, 11, 19) == 1
    want = take_slices(truth, axis, 11, 19)
    assert numpy_dice(got, want) >= 0.9
    # every in-between slice got something, nothing outside the gap was touched
    assert all(np.take(got, i, axis=axis).any() for i in range(9))
    outside = np.ones(N, bool)
    outside[11:20] = False
    np.testing.assert_array_equal(np.compress(outside, pred, axis=axis),
                                  np.compress(outside, annotate(truth, axis, (10, 20)), axis=axis))
    # one undo step restores the two annotated slices only
    apply_delta(live, delta, undo=True)
    np.testing.assert_array_equal(pred, annotate(truth, axis, (10, 20)))


def test_other_labels_are_left_untouched_and_every_gap_is_filled():
    truth = sphere()
    axis = 2
    pred = annotate(truth, axis, (10, 20, 25), label=3)
    # another structure sitting inside the interpolated region
    other = np.zeros(pred.shape, bool)
    other[10:16, 12:18, 13:18] = True
    pred[other] = 1
    live = live_with(pred)
    delta = interpolate_slices(live, "pred", axis, 3)
    np.testing.assert_array_equal(pred[other], 1)
    assert set(np.unique(delta.old).tolist()) == {0}
    got = take_slices(pred, axis, 11, 19) == 3
    want = take_slices(truth & ~other, axis, 11, 19)
    assert numpy_dice(got, want) >= 0.9
    # the second gap (20..25) was filled too
    assert numpy_dice(take_slices(pred, axis, 21, 24) == 3, take_slices(truth, axis, 21, 24)) >= 0.9
    assert describe(delta).startswith("Interpolate pred, label 3")


def test_anisotropic_pixels_interpolate_a_cone_round_in_mm():
    # In-plane pixels of 0.5 × 1.0 mm: the cross-sections are discs in mm, ellipses in voxels,
    # growing linearly from 4 to 14 mm across slices 0..10 (where linear blending is exact).
    shape, spacing = (64, 32, 11), (0.5, 1.0, 2.0)
    u, v = np.ogrid[:shape[0], :shape[1]]
    d_mm = np.sqrt(((u - 31.0) * spacing[0]) ** 2 + ((v - 15.0) * spacing[1]) ** 2)
    truth = np.stack([d_mm <= 4.0 + k for k in range(shape[2])], axis=2)
    pred = annotate(truth, 2, (0, 10))
    interpolate_slices(live_with(pred), "pred", 2, 1, spacing=spacing)
    for k in range(1, 10):
        assert numpy_dice(pred[:, :, k] == 1, truth[:, :, k]) >= 0.95, k


def disc(shape, centre, radius):
    u, v = np.ogrid[:shape[0], :shape[1]]
    return (u - centre[0]) ** 2 + (v - centre[1]) ** 2 <= radius ** 2


def test_shapes_that_do_not_overlap_slide_from_one_to_the_other():
    # A tube drifting sideways: the discs at slices 0 and 10 are far apart.
    shape = (40, 40, 11)
    truth = np.zeros(shape, bool)
    for k in range(11):
        c = 8 + 2.4 * k
        truth[:, :, k] = disc(shape[:2], (c, c), 5)
    pred = annotate(truth, 2, (0, 10))
    assert not (pred[:, :, 0] & pred[:, :, 10]).any()
    interpolate_slices(live_with(pred), "pred", 2, 1)
    for k in range(1, 10):
        assert numpy_dice(pred[:, :, k] == 1, truth[:, :, k]) >= 0.85, k


def test_intensity_range_limits_what_is_written():
    truth = sphere()
    axis = 0
    image = np.broadcast_to(np.arange(N, dtype=np.int16)[None, None, :], (N, N, N))
    free = annotate(truth, axis, (10, 20))
    limited = free.copy()
    interpolate_slices(live_with(free), "pred", axis, 1)
    interpolate_slices(live_with(limited), "pred", axis, 1, image=image, intensity_range=(10, 19.5))
    added = (limited == 1) & (annotate(truth, axis, (10, 20)) == 0)
    k = np.nonzero(added)[2]
    assert k.size and k.min() >= 10 and k.max() <= 19
    in_range = (image >= 10) & (image <= 19.5)
    gap = np.zeros(N, bool)
    gap[11:20] = True
    gap = gap[:, None, None]
    np.testing.assert_array_equal(limited[gap[:, 0, 0]], np.where(in_range, free, 0)[gap[:, 0, 0]])


def test_fewer_than_two_annotated_slices_is_a_readable_error():
    truth = sphere()
    pred = annotate(truth, 1, (12,), label=3)
    with pytest.raises(ValueError, match=r"at least two coronal slices.*only on slice 12"):
        interpolate_slices(live_with(pred), "pred", 1, 3, axis_name="coronal")
    with pytest.raises(ValueError, match="at least two"):
        interpolate_slices(live_with(np.zeros((8, 8, 8), np.uint8)), "pred", 0, 1)


def test_nothing_to_fill_makes_no_step_and_bool_masks_work():
    truth = sphere()
    pred = annotate(truth, 0, range(N)).astype(bool)
    assert interpolate_slices(live_with(pred), "pred", 0, 1) is None
    pred = annotate(truth, 0, (10, 20)).astype(bool)
    assert interpolate_slices(live_with(pred), "pred", 0, 1).voxels > 0
    assert pred[15].any()


def test_annotated_slices_of_each_axis():
    mask = np.zeros((6, 7, 8), np.uint8)
    mask[1, 2, 3] = mask[4, 5, 6] = 2
    mask[2, 2, 2] = 1
    assert annotated_slices(mask, 0, 2).tolist() == [1, 4]
    assert annotated_slices(mask, 1, 2).tolist() == [2, 5]
    assert annotated_slices(mask, 2, 2).tolist() == [3, 6]
