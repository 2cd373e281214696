"""LiveScore: incremental counts must equal a fresh computation after any edits.

Every check is made twice, independently: against ``metrics.overlap`` /
``metrics.per_label`` on the current arrays, and against confusion counts
recomputed here with plain NumPy comparisons.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dicegui.core import metrics
from dicegui.core.live import LiveScore


# ------------------------------------------------------------------ references
def numpy_counts(gt, pred, label=None):
    """(tp, fp, fn, tn) by plain counting; ``label`` None = nonzero foreground."""
    g = (gt != 0) if label is None else (gt == label)
    p = (pred != 0) if label is None else (pred == label)
    tp = int(np.sum(g & p))
    fp = int(np.sum(~g & p))
    fn = int(np.sum(g & ~p))
    tn = int(np.sum(~g & ~p))
    return tp, fp, fn, tn


def assert_same_scores(got: dict, want: dict):
    """Same keys, same types, same values (nan equals nan)."""
    assert got.keys() == want.keys()
    for key in want:
        assert type(got[key]) is type(want[key]), key
        if isinstance(want[key], float) and math.isnan(want[key]):
            assert math.isnan(got[key]), key
        else:
            assert got[key] == want[key], key


def assert_same_per_label(got: dict, want: dict):
    assert got.keys() == want.keys()
    assert list(got["labels"]) == list(want["labels"])
    for k in want["labels"]:
        assert type(k) is int
        assert_same_scores(got["labels"][k], want["labels"][k])
    for key in ("mean_dice", "mean_iou"):
        assert_same_scores({key: got[key]}, {key: want[key]})


def check_live(live: LiveScore, gt, pred, labels=None):
    """LiveScore agrees with metrics and with plain counting, overall and per slice."""
    got = live.overlap()
    assert_same_scores(got, metrics.overlap(gt, pred))
    assert (got["tp"], got["fp"], got["fn"], got["tn"]) == numpy_counts(gt, pred)
    for axis in range(gt.ndim):
        dice = live.slice_dice(axis)
        assert dice.shape == (gt.shape[axis],)
        for i in range(gt.shape[axis]):
            g, p = np.take(gt, i, axis), np.take(pred, i, axis)
            tp, fp, fn, _ = numpy_counts(g, p)
            assert_same_scores(live.slice_overlap(axis, i), metrics.overlap(g, p))
            if tp + fp + fn == 0:
                assert math.isnan(dice[i])
            else:
                assert dice[i] == 2 * tp / (2 * tp + fp + fn)
    try:
        want = metrics.per_label(gt, pred, labels)
    except ValueError:  # not label maps (negative, fractional, NaN values ...)
        with pytest.raises(ValueError, match="label map"):
            live.per_label(labels)
        return
    got = live.per_label(labels)
    assert_same_per_label(got, want)
    for k, entry in got["labels"].items():
        counts = numpy_counts(gt, pred, label=k)
        assert (entry["tp"], entry["fp"], entry["fn"], entry["tn"]) == counts
        assert entry["absent"] is (counts[0] + counts[1] + counts[2] == 0)


# ----------------------------------------------------------------- random edits
def random_index(rng, shape):
    """One of the index forms an editor issues, chosen at random."""
    kind = rng.integers(4)
    if kind == 0:  # a box of slices, sometimes with steps or reversed
        index = []
        for n in shape:
            a, b = sorted(rng.integers(0, n + 1, 2))
            step = int(rng.choice([1, 1, 2, -1]))
            if step < 0:  # the same range walked backwards
                index.append(slice(b - 1 if b else None, a - 1 if a else None, -1))
            else:
                index.append(slice(a, b, step))
        return tuple(index)
    if kind == 1:  # scattered voxels, with repeated positions and negative indices
        count = int(rng.integers(1, 12))
        lowest = -1 if rng.random() < 0.5 else 0  # negative indices take another code path
        idx = [rng.integers(lowest * n, n, count) for n in shape]
        if count > 2:
            for arr in idx:
                arr[-1] = arr[0]
        return tuple(idx)
    if kind == 2:  # one plane (an integer, maybe negative or a NumPy int, and slices)
        axis = int(rng.integers(len(shape)))
        index = [slice(None)] * len(shape)
        index[-1] = slice(int(rng.integers(shape[-1])), None)
        i = int(rng.integers(shape[axis])) - (shape[axis] if rng.random() < 0.3 else 0)
        index[axis] = np.int64(i) if rng.random() < 0.3 else i
        return tuple(index)
    return (rng.random(shape) < 0.2,)  # a boolean mask


def random_values(rng, target, index, dtype, n_labels):
    if dtype.kind in "if" and rng.random() < 0.1:  # a value that is no label
        return dtype.type(rng.choice([-1, 0.5, np.nan]) if dtype.kind == "f" else -1)
    if rng.random() < 0.5:
        return dtype.type(rng.integers(0, n_labels + 1)) if dtype != bool else bool(rng.integers(2))
    shape = target[index].shape
    return rng.integers(0, n_labels + 1, shape).astype(dtype)


def random_map(rng, shape, dtype, n_labels):
    return rng.integers(0, n_labels + 1, shape).astype(dtype)


def flipped_transposed(a):
    """A non-contiguous view of ``a``, as a display orientation would be."""
    return np.flip(a.T, 0)


CASES = [
    ((9, 10), np.uint8, 1, False),
    ((9, 10, 1), np.bool_, 1, False),
    ((6, 7, 8), np.uint8, 1, False),
    ((6, 7, 8), np.uint8, 1, True),
    ((6, 7, 8), np.uint8, 4, False),
    ((6, 7, 8), np.uint8, 4, True),
    ((5, 6, 7), np.int16, 3, False),
    ((5, 6, 7), np.int64, 3, False),
    ((6, 5, 4), np.float32, 1, False),
]


@pytest.mark.parametrize("shape, dtype, n_labels, as_view", CASES)
def test_random_edits_and_undos_match_fresh_computation(shape, dtype, n_labels, as_view):
    rng = np.random.default_rng(zlib.crc32(repr((shape, dtype, n_labels, as_view)).encode()))
    dtype = np.dtype(dtype)
    gt = random_map(rng, shape, dtype, n_labels)
    pred = random_map(rng, shape, dtype, n_labels)
    if as_view:
        gt_base, pred_base = gt.T.copy(), pred.T.copy()
        gt, pred = flipped_transposed(gt_base), flipped_transposed(pred_base)
        shape = gt.shape
        assert np.shares_memory(gt, gt_base) and not gt.flags.c_contiguous
    gt0, pred0 = gt.copy(), pred.copy()
    live = LiveScore(gt, pred)
    check_live(live, gt, pred)
    history = []
    for _ in range(40):
        if history and rng.random() < 0.3:
            which, index, previous = history.pop()
            live.apply(which, index, previous)
        else:
            which = ("gt", "pred")[rng.integers(2)]
            target = gt if which == "gt" else pred
            index = random_index(rng, shape)
            values = random_values(rng, target, index, dtype, n_labels)
            history.append((which, index, live.apply(which, index, values)))
        check_live(live, gt, pred)
    check_live(live, gt, pred, labels=[0, 1, n_labels + 5])
    while history:
        which, index, previous = history.pop()
        live.apply(which, index, previous)
    # Undo restores the arrays bit for bit, and the counts with them.
    assert gt.tobytes() == gt0.tobytes() and pred.tobytes() == pred0.tobytes()
    assert_same_scores(live.overlap(), LiveScore(gt0.copy(), pred0.copy()).overlap())
    check_live(live, gt, pred)


def test_hand_worked_example():
    # gt: a 2x2 square; pred: its left column plus one voxel outside.
    gt = np.zeros((4, 4), np.uint8)
    gt[1:3, 1:3] = 1
    pred = np.zeros((4, 4), np.uint8)
    live = LiveScore(gt, pred)
    live.apply("pred", (slice(1, 3), slice(1, 2)), 1)
    live.apply("pred", (np.array([0]), np.array([3])), 1)
    got = live.overlap()
    # tp = 2, fp = 1, fn = 2, tn = 11 -> dice = 4/7, iou = 2/5.
    assert (got["tp"], got["fp"], got["fn"], got["tn"]) == (2, 1, 2, 11)
    assert got["dice"] == 4 / 7 and got["iou"] == 2 / 5
    assert got["precision"] == 2 / 3 and got["sensitivity"] == 0.5
    assert got["volume_similarity"] == 1 - 1 / 7
    # Slices along axis 0: row 0 has only fp, rows 1 and 2 have tp 1 / fn 1, row 3 is empty.
    np.testing.assert_array_equal(live.slice_dice(0), [0.0, 2 / 3, 2 / 3, np.nan])
    assert live.slice_overlap(1, -1)["fp"] == 1


def test_edit_that_changes_nothing_leaves_counts_unchanged():
    rng = np.random.default_rng(3)
    gt = random_map(rng, (5, 6, 7), np.dtype(np.uint8), 3)
    pred = random_map(rng, (5, 6, 7), np.dtype(np.uint8), 3)
    live = LiveScore(gt, pred)
    before = (live.overlap(), live.per_label(), [live.slice_dice(a) for a in range(3)])
    box = (slice(1, 4), slice(None), slice(2, 6))
    previous = live.apply("pred", box, pred[box].copy())
    points = (np.array([0, 0, 4]), np.array([1, 1, 5]), np.array([2, 2, 6]))
    live.apply("gt", points, gt[points].copy())
    live.apply("gt", (slice(0, 0),), 2)  # empty selection
    np.testing.assert_array_equal(previous, pred[box])
    assert_same_scores(live.overlap(), before[0])
    assert_same_per_label(live.per_label(), before[1])
    for axis in range(3):
        np.testing.assert_array_equal(live.slice_dice(axis), before[2][axis])


def test_previous_values_are_a_copy_and_undo_is_bit_identical():
    gt = np.zeros((4, 5, 6), np.int16)
    pred = np.arange(120, dtype=np.int16).reshape(4, 5, 6) % 4
    pred0 = pred.copy()
    live = LiveScore(gt, pred)
    box = (slice(1, 3), slice(0, 5, 2), 3)
    previous = live.apply("pred", box, -7)
    assert not np.shares_memory(previous, pred)
    np.testing.assert_array_equal(previous, pred0[box])
    assert (pred[box] == -7).all()
    live.apply("pred", box, previous)
    assert pred.tobytes() == pred0.tobytes()
    check_live(live, gt, pred)


def test_arrays_are_edited_in_place():
    gt = np.zeros((3, 8, 8), np.uint8)
    pred = np.zeros((3, 8, 8), np.uint8)
    live = LiveScore(gt, pred)
    assert live.gt is gt and live.pred is pred
    live.apply("gt", (1, slice(2, 5), slice(2, 5)), 1)
    live.apply("pred", (np.array([1, 2]), np.array([3, 7]), np.array([3, 0])), 1)
    assert np.shares_memory(live.gt, gt) and np.shares_memory(live.pred, pred)
    assert gt.sum() == 9 and pred[1, 3, 3] == 1 and pred[2, 7, 0] == 1
    check_live(live, gt, pred)


def test_non_contiguous_views_edit_their_base_arrays():
    rng = np.random.default_rng(5)
    gt_base = random_map(rng, (6, 7, 8), np.dtype(np.uint8), 2)
    pred_base = random_map(rng, (6, 7, 8), np.dtype(np.uint8), 2)
    gt_ref, pred_ref = gt_base.copy(), pred_base.copy()
    # A flipped, transposed, strided view, as a canonical display orientation would be.
    view = lambda a: a.transpose(2, 0, 1)[::-1, :, ::2]  # noqa: E731
    gt, pred = view(gt_base), view(pred_base)
    assert not gt.flags.c_contiguous and np.shares_memory(gt, gt_base)
    live = LiveScore(gt, pred)
    edits = [
        ("pred", (slice(1, 5), 2, slice(None)), 3),
        ("gt", (np.array([0, 7, 7]), np.array([1, 5, 5]), np.array([0, 3, 3])), 1),
        ("pred", (slice(None), slice(None, None, -2), slice(1, 3)), 0),
    ]
    for which, index, value in edits:
        live.apply(which, index, value)
        view(gt_ref if which == "gt" else pred_ref)[index] = value
        check_live(live, gt, pred)
    np.testing.assert_array_equal(gt_base, gt_ref)
    np.testing.assert_array_equal(pred_base, pred_ref)


def test_repeated_positions_are_counted_once():
    gt = np.zeros((4, 4), np.uint8)
    pred = np.zeros((4, 4), np.uint8)
    gt[1, 1] = 1
    live = LiveScore(gt, pred)
    index = (np.array([1, 1, 1, 2, 2]), np.array([1, 1, 1, 3, 3]))
    previous = live.apply("pred", index, np.array([1, 2, 3, 0, 4], np.uint8))
    np.testing.assert_array_equal(previous, 0)
    got = live.overlap()
    assert (got["tp"], got["fp"], got["fn"]) == (1, 1, 0)
    check_live(live, gt, pred)
    live.apply("pred", index, previous)
    assert not pred.any()
    check_live(live, gt, pred)


def test_new_labels_appear_and_vanish():
    gt = np.zeros((5, 6, 7), np.uint8)
    pred = np.zeros((5, 6, 7), np.uint8)
    gt[1:4, 1:4, 1:4] = 1
    pred[2:5, 1:4, 1:4] = 1
    live = LiveScore(gt, pred)
    assert list(live.per_label()["labels"]) == [1]
    previous = live.apply("pred", (2, slice(0, 3), slice(0, 3)), 7)  # a label neither map had
    assert list(live.per_label()["labels"]) == [1, 7]
    check_live(live, gt, pred)
    live.apply("gt", (slice(None), 0, 0), 7)
    check_live(live, gt, pred, labels=[7, 1, 0, 9])
    check_live(live, gt, pred, labels=np.array([7, 1, 7]))  # repeats are dropped
    live.apply("gt", (slice(None), 0, 0), 0)
    live.apply("pred", (2, slice(0, 3), slice(0, 3)), previous)
    assert list(live.per_label()["labels"]) == [1]
    assert live.per_label([7])["labels"][7]["absent"] is True
    check_live(live, gt, pred, labels=[7])


@pytest.mark.parametrize("value", [2, np.uint8(2), 2.0, np.array([2, 2])])
def test_painting_a_second_label_into_binary_maps(value):
    gt = np.zeros((4, 4), np.uint8)
    pred = np.zeros((4, 4), np.uint8)
    gt[:2] = 1
    pred[1:3] = 1
    live = LiveScore(gt, pred)
    live.apply("gt", (np.array([3, 3]), np.array([0, 1])), value)
    got = live.per_label()
    assert list(got["labels"]) == [1, 2]
    assert [got["labels"][2][k] for k in ("tp", "fp", "fn", "tn")] == [0, 0, 2, 14]
    check_live(live, gt, pred)


def test_wide_and_mixed_label_dtypes():
    # Labels spanning more than 2**16 (counted by sorting, not bincount), up
    # to the 2**32 - 1 limit of metrics.per_label, and dtypes that differ.
    rng = np.random.default_rng(8)
    gt = rng.choice(np.array([0, 3, 70_000, 2**32 - 1], np.int64), (4, 5, 6))
    pred = rng.choice(np.array([0, 3, 5, 2**32 - 1], np.int64), (4, 5, 6))
    live = LiveScore(gt, pred)
    live.apply("pred", (slice(0, 2), slice(1, 4), 2), 70_000)
    live.apply("gt", (np.array([3, 3]), np.array([4, 0]), np.array([5, 5])), 5)
    check_live(live, gt, pred, labels=None)
    check_live(live, gt, pred, labels=[0, 3, 70_000, 2**32 - 1, 6])

    gt8 = rng.integers(0, 4, (5, 6), dtype=np.uint8)
    pred16 = rng.integers(0, 4, (5, 6)).astype(np.int16)
    live = LiveScore(gt8, pred16)
    live.apply("pred", (slice(None), 1), np.arange(300, 305, dtype=np.int16))
    live.apply("gt", (slice(0, 3), slice(2, 5)), 2)
    check_live(live, gt8, pred16, labels=[0, 1, 2, 3, 300, 304])


def test_maps_that_are_not_label_maps_raise_like_metrics():
    # Negative values in an int map whose other values are 0/1 (the binary fast path).
    gt = np.array([[0, 1, 1], [0, 1, 0]], np.int8)
    pred = np.array([[-1, 1, 0], [0, 1, -1]], np.int8)
    live = LiveScore(gt, pred)
    with pytest.raises(ValueError, match=r"pred label map has negative values \(min -1\)"):
        live.per_label()
    assert live.overlap()["fp"] == 2  # -1 is still foreground for overlap()
    check_live(live, gt, pred)
    live.apply("pred", pred < 0, 0)
    got = live.per_label()
    # label 1: gt {(0,1), (0,2), (1,1)}, pred {(0,1), (1,1)} -> tp 2, fp 0, fn 1, tn 3.
    assert [got["labels"][1][k] for k in ("tp", "fp", "fn", "tn")] == [2, 0, 1, 3]
    check_live(live, gt, pred)

    # Float maps: whole numbers are labels; fractions, NaN and too-large values are not.
    gt = np.array([0.0, 1.0, 2.0, 2.0, 0.0, 1.0])
    pred = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 1.0])
    live = LiveScore(gt, pred)
    check_live(live, gt, pred)
    not_labels = ((0.5, "non-integer"), (np.nan, "NaN"), (-2.5, "negative"), (2.0**33, "above"))
    for bad, message in not_labels:
        previous = live.apply("pred", (np.array([4]),), bad)
        with pytest.raises(ValueError, match=message):
            live.per_label()
        with pytest.raises(ValueError, match=message):
            metrics.per_label(gt, pred)
        check_live(live, gt, pred)
        live.apply("pred", (np.array([4]),), previous)
        check_live(live, gt, pred)
    with pytest.raises(ValueError, match="whole numbers"):
        live.per_label([1.5])
    with pytest.raises(ValueError, match=">= 0"):
        live.per_label([-1])


@pytest.mark.parametrize("shape", [
    (700, 3),        # one chunk of 700 short rows: slice counts summed 255 rows at a time
    (3, 40, 41),     # rows of 1640 elements: counted one call per row
    (300, 2, 1, 2),  # 4-D, a length-1 axis
])
def test_per_slice_counts_of_long_and_many_rows(shape):
    rng = np.random.default_rng(7)
    gt = (rng.random(shape) < 0.9).astype(np.uint8)  # > 255 foreground rows per column
    pred = rng.integers(0, 3, shape).astype(np.int16)
    live = LiveScore(gt, pred)
    check_live(live, gt, pred)
    live.apply("gt", (slice(0, 2),), 2)
    check_live(live, gt, pred)


def test_float16_maps_raise_no_overflow_warning(recwarn):
    # 2**32 - 1 does not fit a float16: range checks must not cast it to one.
    gt = np.array([0, 1, 2, 0.5], np.float16)
    pred = np.array([0, 1, 1, 0], np.float16)
    live = LiveScore(gt, pred)
    with pytest.raises(ValueError, match="non-integer"):
        live.per_label()
    live.apply("gt", (3,), 0)
    # by hand: label 1 gt {1}, pred {1, 2}: tp 1, fp 1; label 2 gt {2}: fn 1
    got = live.per_label()
    assert [(s["tp"], s["fp"], s["fn"]) for s in got["labels"].values()] == [(1, 1, 0), (0, 0, 1)]
    check_live(live, gt, pred)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_bool_bytes_other_than_one_are_true():
    # uint8 data viewed as bool: every nonzero byte is True, as NumPy reads it.
    gt = np.array([[0, 2, 255], [1, 0, 7]], np.uint8).view(bool)
    pred = np.array([[0, 1, 1], [1, 9, 0]], np.uint8).view(bool)
    live = LiveScore(gt, pred)
    # by hand: gt {(0,1), (0,2), (1,0), (1,2)}, pred {(0,1), (0,2), (1,0), (1,1)}
    assert [live.overlap()[k] for k in ("tp", "fp", "fn", "tn")] == [3, 1, 1, 1]
    live.apply("gt", (0, slice(None)), False)
    assert [live.overlap()[k] for k in ("tp", "fp", "fn", "tn")] == [1, 3, 1, 1]
    check_live(live, gt, pred)


@pytest.mark.parametrize("shape", [(12, 9), (12, 9, 1)])
def test_two_dimensional_masks(shape):
    rng = np.random.default_rng(11)
    gt = (rng.random(shape) < 0.4).astype(np.uint8)
    pred = (rng.random(shape) < 0.4).astype(np.uint8)
    live = LiveScore(gt, pred)
    live.apply("pred", (slice(2, 6), slice(3, 8)), 1)
    live.apply("gt", (np.array([0, 11]), np.array([0, 8])), 1)
    check_live(live, gt, pred)
    if len(shape) == 3:
        assert live.slice_dice(2).shape == (1,)
        assert_same_scores(live.slice_overlap(2, 0), metrics.overlap(gt, pred))


def test_empty_masks_and_empty_slices():
    gt = np.zeros((3, 4, 5), bool)
    pred = np.zeros((3, 4, 5), bool)
    live = LiveScore(gt, pred)
    assert live.overlap()["dice"] == 1.0
    assert np.isnan(live.slice_dice(0)).all()
    assert live.slice_overlap(0, 1)["dice"] == 1.0  # overlap() convention, unlike slice_dice
    live.apply("gt", (1, 2, 3), True)
    live.apply("pred", (np.array(1), np.array(2), np.array(-1)), True)  # 0-d index arrays
    assert live.slice_dice(0)[1] == 0.0 and np.isnan(live.slice_dice(0)[0])
    check_live(live, gt, pred)


def test_bad_input():
    a = np.zeros((3, 4), np.uint8)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        LiveScore(a, np.zeros((4, 3), np.uint8))
    with pytest.raises(TypeError, match="pred"):
        LiveScore(a, [[0] * 4] * 3)
    with pytest.raises(ValueError, match="share memory"):
        LiveScore(a, a[::-1])
    live = LiveScore(a, np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="which"):
        live.apply("mask", (0, 0), 1)
    with pytest.raises(IndexError):
        live.slice_overlap(0, 3)
    with pytest.raises(np.exceptions.AxisError):
        live.slice_dice(2)


# ------------------------------------------------------------- stateful property
class EditingSession(RuleBasedStateMachine):
    """Random brush dabs, point edits and undos on a small 3-D label map."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(0)
        self.gt = rng.integers(0, 3, (4, 5, 6)).astype(np.uint8)
        self.pred = rng.integers(0, 3, (4, 5, 6)).astype(np.uint8)
        self.live = LiveScore(self.gt, self.pred)
        self.history = []

    def _apply(self, which, index, value):
        self.history.append((which, index, self.live.apply(which, index, value)))

    @rule(
        which=st.sampled_from(["gt", "pred"]),
        z=st.integers(0, 3), y=st.integers(0, 4), x=st.integers(0, 5),
        h=st.integers(0, 3), w=st.integers(0, 3), value=st.integers(0, 9),
    )
    def paint_box(self, which, z, y, x, h, w, value):
        self._apply(which, (z, slice(y, y + h), slice(x, x + w)), value)

    @rule(
        which=st.sampled_from(["gt", "pred"]),
        points=st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 5)),
            min_size=1, max_size=8,
        ),
        value=st.integers(0, 9),
    )
    def paint_points(self, which, points, value):
        self._apply(which, tuple(np.array(c) for c in zip(*points)), value)

    @precondition(lambda self: self.history)
    @rule()
    def undo(self):
        which, index, previous = self.history.pop()
        self.live.apply(which, index, previous)

    @invariant()
    def matches_fresh_computation(self):
        assert_same_scores(self.live.overlap(), metrics.overlap(self.gt, self.pred))
        assert_same_per_label(self.live.per_label(), metrics.per_label(self.gt, self.pred))
        for axis in range(3):
            for i in range(self.gt.shape[axis]):
                g, p = np.take(self.gt, i, axis), np.take(self.pred, i, axis)
                assert_same_scores(self.live.slice_overlap(axis, i), metrics.overlap(g, p))


EditingSession.TestCase.settings = settings(
    max_examples=25, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEditingSession = EditingSession.TestCase


def test_per_label_results_are_fresh_dicts_after_unchanged_and_changed_counts():
    # per_label keeps each label's scores until its counts change: what a
    # caller does to one result must not reach the next one
    gt = np.array([[1, 1, 2, 0], [2, 2, 0, 0]], np.uint8)
    pred = np.array([[1, 0, 2, 2], [2, 0, 0, 1]], np.uint8)
    live = LiveScore(gt, pred)
    first = live.per_label()
    first["labels"][1]["dice"] = -1.0
    first["labels"][2].clear()
    second = live.per_label()
    assert second["labels"][1]["dice"] == pytest.approx(2 * 1 / (2 + 2))  # tp 1, |gt| 2, |pred| 2
    assert second["labels"][2]["dice"] == pytest.approx(2 * 2 / (3 + 3))
    live.apply("pred", (np.array([0]), np.array([1])), np.array([1], np.uint8))
    third = live.per_label()
    assert third["labels"][1]["dice"] == pytest.approx(2 * 2 / (2 + 3))
    assert third["labels"][2] == second["labels"][2] and third["labels"][2] is not second["labels"][2]


# ------------------------------------------------------------ foreground box
def _box_by_numpy(gt, pred):
    """The bounding box of nonzero voxels of either mask, from np.nonzero."""
    where = np.nonzero((gt != 0) | (pred != 0))
    if where[0].size == 0:
        return tuple(slice(0, 0) for _ in gt.shape)
    return tuple(slice(int(w.min()), int(w.max()) + 1) for w in where)


def test_foreground_box_follows_edits():
    rng = np.random.default_rng(5)
    gt = np.zeros((20, 30, 12), np.uint8)
    pred = np.zeros_like(gt)
    live = LiveScore(gt, pred)
    assert live.foreground_box() == (slice(0, 0),) * 3  # both empty
    gt[4:9, 10:14, 3:5] = 2
    pred[6:12, 2:5, 7:8] = 1
    live = LiveScore(gt, pred)
    assert live.foreground_box() == (slice(4, 12), slice(2, 14), slice(3, 8))
    for _ in range(30):  # dabs that add and erase, in either mask
        which = ("gt", "pred")[rng.integers(2)]
        lo = rng.integers(0, [18, 28, 10])
        index = tuple(slice(int(a), int(a) + 2) for a in lo)
        live.apply(which, index, int(rng.integers(0, 3)))
        assert live.foreground_box() == _box_by_numpy(gt, pred)
    live.apply("gt", (slice(None),) * 3, 0)
    live.apply("pred", (slice(None),) * 3, 0)
    assert live.foreground_box() == (slice(0, 0),) * 3
