"""A drag: dabs applied live, merged into one undo step at release."""
import numpy as np
import pytest

from dicegui.core import metrics
from dicegui.core.edits import Brush, Stroke, apply_delta, check_label_fits, describe
from dicegui.core.live import LiveScore


def same_scores(got, expected):
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == value or (np.isnan(got[key]) and np.isnan(value)), key


def disc(shape2d, center, r):
    u, v = np.indices(shape2d)
    return (u - center[0]) ** 2 + (v - center[1]) ** 2 <= r * r


def make_case():
    gt = np.zeros((5, 30, 30), np.uint8)
    gt[2, 8:20, 8:20] = 1
    pred = np.zeros_like(gt)
    pred[2, 10:14, 3:25] = 2
    return gt, pred


def test_scores_follow_every_dab_and_one_delta_at_release():
    gt, pred = make_case()
    original = pred.copy()
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "pred", 0, 2, Brush(radius=3, label=1))
    centers = [(5, 5), (9, 9), (12, 12), (9, 9), (20, 15)]
    for c in centers:
        previous = pred.copy()
        box = stroke.add(c)
        same_scores(live.overlap(), metrics.overlap(gt, pred))
        if box is None:
            assert np.array_equal(pred, previous)
        else:
            outside = np.ones(pred.shape, bool)
            outside[box] = False
            assert np.array_equal(pred[outside], previous[outside])  # the box holds the dab's changes
    delta = stroke.finish()
    changed = pred != original
    assert delta.voxels == int(changed.sum())
    assert set(zip(*delta.index())) == set(zip(*np.nonzero(changed)))
    # old values are those from before the stroke (label 2 painted over, 0 elsewhere)
    np.testing.assert_array_equal(delta.old, original[delta.index()])
    np.testing.assert_array_equal(delta.new, np.ones(delta.voxels))
    assert describe(delta) == f"Paint pred, label 1, slice 2, {delta.voxels} voxels"
    assert stroke.scores_before == metrics.overlap(gt, original)
    after = pred.copy()
    apply_delta(live, delta, undo=True)
    assert pred.tobytes() == original.tobytes()
    same_scores(live.overlap(), metrics.overlap(gt, pred))
    apply_delta(live, delta)
    assert pred.tobytes() == after.tobytes()
    same_scores(live.overlap(), metrics.overlap(gt, pred))


def test_painted_set_is_union_of_the_path():
    gt, pred = make_case()
    pred[:] = 0
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "gt", 1, 15, Brush(radius=2, label=1))  # slice across axis 1
    stroke.add((2, 4))
    stroke.add((2, 4))  # a repeated position is a plain dab
    delta = stroke.finish()
    expected = np.zeros(gt.shape, bool)
    expected[:, 15, :] = disc((5, 30), (2, 4), 2)
    before = np.zeros(gt.shape, bool)
    before[2, 8:20, 8:20] = True
    np.testing.assert_array_equal(gt != 0, expected | before)
    assert delta.voxels == int((expected & ~before).sum())
    assert (delta.axis, delta.slice_index) == (1, 15)


def test_stroke_that_changes_nothing_makes_no_step():
    gt, pred = make_case()
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "gt", 0, 0, Brush(radius=4, erase=True))  # empty slice
    for c in [(3, 3), (20, 25), (-50, -50)]:
        assert stroke.add(c) is None
    assert stroke.finish() is None
    stroke = Stroke(live, "gt", 0, 2, Brush(radius=2))
    stroke.add((14, 14))  # inside the gt square already 1
    assert stroke.finish() is None
    stroke = Stroke(live, "pred", 0, 2, Brush(radius=1, label=1, protect_other_labels=True))
    stroke.add((12, 12))  # all label 2 around: protected
    assert stroke.finish() is None


def test_cancel_restores_arrays_and_scores():
    gt, pred = make_case()
    original = pred.copy()
    live = LiveScore(gt, pred)
    before = live.overlap()
    stroke = Stroke(live, "pred", 0, 2, Brush(radius=5, erase=True))
    stroke.add((12, 5))
    stroke.add((12, 25))
    assert not np.array_equal(pred, original)
    stroke.cancel()
    assert pred.tobytes() == original.tobytes()
    same_scores(live.overlap(), before)


@pytest.mark.parametrize("dtype, label, fits", [
    (np.float16, 2048, True),
    (np.float16, 2049, False),      # float16 holds 2048 and 2050, not 2049
    (np.float16, 70000, False),     # beyond float16's 65504: inf
    (np.float32, 2**24, True),
    (np.float32, 2**24 + 1, False),  # 24-bit significand
    (np.float64, 2**24 + 1, True),
])
def test_a_label_a_float_mask_cannot_hold_exactly_is_refused(dtype, label, fits):
    gt = np.zeros((3, 4, 5), dtype)
    live = LiveScore(gt, np.zeros((3, 4, 5), dtype))
    if fits:
        stroke = Stroke(live, "gt", 0, 1, Brush(radius=0, label=label))
        stroke.add((2, 2))
        assert int(gt[1, 2, 2]) == label
        check_label_fits(gt, label, "gt")
    else:
        with pytest.raises(ValueError, match=f"label {label} does not fit"):
            Stroke(live, "gt", 0, 1, Brush(radius=0, label=label))
        assert not gt.any()


def test_finished_stroke_refuses_more():
    gt, pred = make_case()
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "pred", 0, 2, Brush())
    stroke.finish()
    with pytest.raises(RuntimeError):
        stroke.add((1, 1))
    with pytest.raises(RuntimeError):
        stroke.finish()


def test_eraser_stroke_of_one_label_and_3d_metadata():
    gt, pred = make_case()
    pred[2, 20:25, 20:25] = 3
    original = pred.copy()
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "pred", 0, 2, Brush(radius=30, label=3, erase=True, erase_only_label=True,
                                              sphere=True))
    stroke.add((15, 15))
    delta = stroke.finish()
    expected = original.copy()
    expected[expected == 3] = 0
    np.testing.assert_array_equal(pred, expected)
    assert describe(delta) == "Erase pred, label 3, slice 2 (3-D brush), 25 voxels"


def test_stroke_on_a_transposed_view_edits_the_base_array():
    base_gt = np.zeros((10, 12, 4), np.uint8)
    base_pred = np.zeros_like(base_gt)
    gt, pred = base_gt.transpose(2, 1, 0), base_pred.transpose(2, 1, 0)[:, ::-1]
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "pred", 0, 1, Brush(radius=1))
    stroke.add((3, 3))
    delta = stroke.finish()
    assert base_pred.sum() == 5 and base_pred[:, :, 1].sum() == 5
    apply_delta(live, delta, undo=True)
    assert not base_pred.any()


def test_last_labels_name_what_each_dab_changed():
    gt, pred = make_case()
    live = LiveScore(gt, pred)
    stroke = Stroke(live, "pred", 0, 2, Brush(radius=2, label=3))
    seen = []
    for point in [(11, 12), (11, 12), (25, 25), (26, 26)]:
        before = pred.copy()
        stroke.add(point)
        changed = before != pred
        expected = {int(v) for v in np.unique(before[changed]) if v} | ({3} if changed.any() else set())
        assert stroke.last_labels == expected
        seen.append(stroke.last_labels)
    # over the label-2 bar, the same dab again, a segment crossing the bar, background only
    assert seen == [{2, 3}, set(), {2, 3}, {3}]
    stroke.finish()
    eraser = Stroke(live, "pred", 0, 2, Brush(radius=2, label=3, erase=True))
    eraser.add((26, 26))
    assert eraser.last_labels == {3}  # what the eraser took; 0 is not a label
