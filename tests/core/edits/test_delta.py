"""Undo deltas: compact storage, exact undo/redo of long random edit sessions."""
import numpy as np
import pytest

from dicegui.core import metrics
from dicegui.core.edits import (
    Brush,
    EditDelta,
    Stroke,
    apply_delta,
    describe,
    fill_holes,
    flood_fill,
    record_edit,
    remove_small_islands,
)
from dicegui.core.live import LiveScore


def same_scores(got, expected):
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == value or (np.isnan(got[key]) and np.isnan(value)), key


def label_dice(gt, pred, k):
    g, p = gt == k, pred == k
    total = g.sum() + p.sum()
    return 1.0 if total == 0 else 2.0 * (g & p).sum() / total


def test_from_changes_written_out():
    index = (np.array([5, 3, 4, 3]), np.array([2, 7, 2, 2]), np.array([1, 1, 1, 0]))
    old = np.array([0, 2, 1, 0], np.uint8)
    new = np.array([1, 2, 0, 1], np.uint8)  # position (3, 7, 1) unchanged: dropped
    d = EditDelta.from_changes("gt", index, old, new, label=1, tool="paint", axis=2, slice_index=1)
    assert d.start == (3, 2, 0) and d.extent == (3, 1, 2)
    # local coords (2,0,1)->5, (1,0,1)->3, (0,0,0)->0 in a (3,1,2) box, sorted
    np.testing.assert_array_equal(d.positions, [0, 3, 5])
    assert d.positions.dtype == np.uint8
    np.testing.assert_array_equal(d.old, [0, 1, 0])
    np.testing.assert_array_equal(d.new, [1, 0, 1])
    assert [tuple(c) for c in zip(*d.index())] == [(3, 2, 0), (4, 2, 1), (5, 2, 1)]
    assert d.voxels == 3 and d.nbytes == 3 + 3 + 3
    assert d.box == (slice(3, 6), slice(2, 3), slice(0, 2))
    assert EditDelta.from_changes("gt", index, old, old) is None


@pytest.mark.parametrize("extent,dtype", [
    ((1, 16, 16), np.uint8), ((1, 16, 17), np.uint16), ((1, 256, 256), np.uint16),
    ((2, 256, 256), np.uint32),
])
def test_positions_use_the_narrowest_dtype(extent, dtype):
    index = (np.array([0, extent[0] - 1]), np.array([0, extent[1] - 1]), np.array([0, extent[2] - 1]))
    d = EditDelta.from_changes("pred", index, np.array([0, 0], np.uint8), np.array([1, 1], np.uint8))
    assert d.extent == extent and d.positions.dtype == dtype


def test_describe_labels():
    idx = (np.zeros(318, int), np.arange(318) // 20, np.arange(318) % 20)
    ones = np.ones(318, np.uint8)
    d = EditDelta.from_changes("pred", idx, 0 * ones, ones, label=1, tool="paint", axis=2, slice_index=42)
    assert describe(d) == "Paint pred, label 1, slice 42, 318 voxels"
    assert describe(d, axis_names={2: "axial"}) == "Paint pred, label 1, axial slice 42, 318 voxels"
    one = (np.array([1]), np.array([2]), np.array([3]))
    d = EditDelta.from_changes("gt", one, np.array([2]), np.array([0]), label=None, tool="erase",
                               axis=0, slice_index=1, scope="sphere")
    assert describe(d) == "Erase gt, slice 1 (3-D brush), 1 voxel"
    d = EditDelta.from_changes("gt", one, np.array([0]), np.array([3]), label=3, tool="fill_holes",
                               scope="volume")
    assert describe(d) == "Fill holes gt, label 3, whole volume, 1 voxel"


def test_apply_delta_rejects_a_delta_of_another_grid():
    m = np.zeros((2, 3, 4), np.uint8)
    live = LiveScore(m, np.zeros_like(m))
    idx = (np.array([4]), np.array([0]), np.array([0]))
    d = EditDelta.from_changes("gt", idx, np.array([0], np.uint8), np.array([1], np.uint8))
    with pytest.raises(ValueError, match="does not fit the gt mask"):
        apply_delta(live, d)
    assert apply_delta(live, EditDelta.from_changes(
        "gt", (np.array([1]),) * 3, np.array([0], np.uint8), np.array([1], np.uint8))) is None
    assert m[1, 1, 1] == 1


def test_record_edit_round_trip():
    gt = np.zeros((3, 5, 5), np.uint8)
    pred = np.zeros_like(gt)
    gt[1, 1:4, 1:4] = 1
    live = LiveScore(gt, pred)
    idx = (np.array([1, 1, 2]), np.array([1, 2, 4]), np.array([1, 2, 4]))
    d = record_edit(live, "pred", idx, 1, tool="paint", label=1, axis=0, slice_index=1)
    assert d.voxels == 3 and live.overlap()["tp"] == 2 and live.overlap()["fp"] == 1
    apply_delta(live, d, undo=True)
    assert not pred.any() and live.overlap()["tp"] == 0
    apply_delta(live, d)
    assert pred.sum() == 3 and live.overlap()["tp"] == 2


def random_edit(rng, live, which, labels, shape):
    """One random user edit; returns its delta (or None)."""
    mask = live.gt if which == "gt" else live.pred
    kind = rng.choice(["brush", "brush", "erase", "fill", "holes", "islands"])
    axis = int(rng.integers(3))
    s = int(rng.integers(shape[axis]))
    label = int(rng.choice(labels))
    if kind in ("brush", "erase"):
        brush = Brush(
            radius=float(rng.choice([0, 1, 2, 3.5])),
            label=label,
            erase=kind == "erase",
            erase_only_label=bool(rng.integers(2)),
            protect_other_labels=bool(rng.integers(2)),
            sphere=bool(rng.integers(4) == 0),
        )
        spacing = tuple(float(x) for x in rng.choice([0.7, 1.0, 2.0], 3))
        stroke = Stroke(live, which, axis, s, brush, spacing)
        u_ax, v_ax = [a for a in range(3) if a != axis]
        for _ in range(int(rng.integers(1, 5))):
            stroke.add((rng.uniform(-3, shape[u_ax] + 2), rng.uniform(-3, shape[v_ax] + 2)))
        return stroke.finish()
    if kind == "fill":
        u_ax, v_ax = [a for a in range(3) if a != axis]
        seed = (int(rng.integers(shape[u_ax])), int(rng.integers(shape[v_ax])))
        return flood_fill(live, which, axis, s, seed, label=label, erase=bool(rng.integers(3) == 0),
                          protect_other_labels=bool(rng.integers(2)),
                          connectivity=int(rng.integers(1, 3)))
    scope = {} if rng.integers(2) else {"axis": axis, "slice_index": s}
    if kind == "holes":
        return fill_holes(live, which, label=label, protect_other_labels=bool(rng.integers(2)), **scope)
    return remove_small_islands(live, which, label=label, max_size=int(rng.integers(1, 6)), **scope)


@pytest.mark.parametrize("dtype,labels", [(np.uint8, [1]), (np.uint16, [1, 2, 3])])
def test_random_session_of_200_edits_undo_redo_is_exact(dtype, labels):
    rng = np.random.default_rng(len(labels))
    shape = (7, 18, 20)
    gt = (rng.random(shape) > 0.6).astype(dtype) * rng.choice(labels, shape).astype(dtype)
    pred = (rng.random(shape) > 0.6).astype(dtype) * rng.choice(labels, shape).astype(dtype)
    live = LiveScore(gt, pred)
    # states[i] = arrays after the first i steps of the (current) history
    states = [(gt.copy(), pred.copy())]
    history = []
    position = 0
    edits = 0
    while edits < 200:
        action = rng.choice(["edit", "edit", "edit", "undo", "redo"])
        if action == "edit":
            delta = random_edit(rng, live, str(rng.choice(["gt", "pred"])), labels, shape)
            edits += 1
            if delta is None:
                np.testing.assert_array_equal(gt, states[position][0])
                np.testing.assert_array_equal(pred, states[position][1])
                continue
            assert delta.nbytes <= delta.voxels * (8 + 2 * gt.itemsize)
            del history[position:], states[position + 1:]
            history.append(delta)
            position += 1
            states.append((gt.copy(), pred.copy()))
        elif action == "undo" and position:
            position -= 1
            apply_delta(live, history[position], undo=True)
        elif action == "redo" and position < len(history):
            apply_delta(live, history[position])
            position += 1
        np.testing.assert_array_equal(gt, states[position][0])
        np.testing.assert_array_equal(pred, states[position][1])
        same_scores(live.overlap(), metrics.overlap(gt, pred))
    # unwind everything, then replay everything
    while position:
        position -= 1
        apply_delta(live, history[position], undo=True)
    assert gt.tobytes() == states[0][0].tobytes() and pred.tobytes() == states[0][1].tobytes()
    same_scores(live.overlap(), metrics.overlap(gt, pred))
    for delta in history:
        apply_delta(live, delta)
    assert gt.tobytes() == states[-1][0].tobytes() and pred.tobytes() == states[-1][1].tobytes()
    same_scores(live.overlap(), metrics.overlap(gt, pred))
    per_label = live.per_label()["labels"]
    for k in labels:
        if k in per_label and not per_label[k].get("absent"):
            assert per_label[k]["dice"] == pytest.approx(label_dice(gt, pred, k), abs=1e-12)
    assert len(history) > 50  # the session really edited


def test_memory_of_1000_strokes_stays_small():
    rng = np.random.default_rng(7)
    shape = (40, 512, 512)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    live = LiveScore(gt, pred)
    total = 0
    voxels = 0
    for n in range(1000):
        brush = Brush(radius=10, erase=n % 5 == 4)
        stroke = Stroke(live, "pred", 0, int(rng.integers(shape[0])), brush)
        p = rng.uniform(20, 490, 2)
        for _ in range(5):
            stroke.add(p)
            p = np.clip(p + rng.normal(0, 15, 2), 0, 511)
        delta = stroke.finish()
        if delta is not None:
            total += delta.nbytes
            voxels += delta.voxels
            # positions + old + new in uint8: at most 6 bytes per changed voxel
            assert delta.nbytes <= 6 * delta.voxels
    assert voxels > 500_000  # real strokes: about 1,000 voxels each
    assert total < 50 * 2**20, f"{total / 2**20:.1f} MB for 1000 strokes"


# ------------------------------------------------------- what an edit did to each label
def _stroke_over_two_organs():
    """Label 20 painted over 1,092 background voxels and 55 voxels of label 7 (issue 10's report)."""
    n_bg, n_7 = 1092, 55
    n = n_bg + n_7 + 3  # three voxels already 20: rewritten to the same value, not changes
    index = (np.zeros(n, int), np.arange(n) // 40, np.arange(n) % 40)
    old = np.array([0] * n_bg + [7] * n_7 + [20] * 3, np.uint8)
    new = np.full(n, 20, np.uint8)
    return EditDelta.from_changes("pred", index, old, new, label=20)


def test_label_changes_of_a_hand_made_stroke():
    from dicegui.core.edits import foreground_change, label_changes

    d = _stroke_over_two_organs()
    assert label_changes(d) == {7: -55, 20: 1147}
    assert foreground_change(d) == 1092


def test_label_changes_ignores_cancelling_swaps_and_background():
    from dicegui.core.edits import foreground_change, label_changes

    index = (np.zeros(4, int), np.zeros(4, int), np.arange(4))
    d = EditDelta.from_changes("gt", index, np.array([1, 2, 3, 0], np.uint16), np.array([2, 1, 0, 5], np.uint16))
    # 1 -> 2 and 2 -> 1 cancel; 3 lost one voxel, 5 gained one; the foreground stays at 3 voxels
    assert label_changes(d) == {3: -1, 5: 1}
    assert foreground_change(d) == 0


def test_label_changes_match_counts_of_the_whole_masks():
    from dicegui.core.edits import foreground_change, label_changes

    rng = np.random.default_rng(3)
    gt = rng.integers(0, 6, size=(12, 14, 9)).astype(np.uint8)
    pred = rng.integers(0, 6, size=gt.shape).astype(np.uint8)
    live = LiveScore(gt.copy(), pred.copy())
    before = np.bincount(live.pred.ravel(), minlength=8)
    where = np.nonzero(rng.random(gt.shape) < 0.2)
    d = record_edit(live, "pred", where, rng.integers(0, 8, size=where[0].size).astype(np.uint8))
    after = np.bincount(live.pred.ravel(), minlength=8)
    expected = {k: int(after[k] - before[k]) for k in range(1, 8) if after[k] != before[k]}
    assert label_changes(d) == expected
    assert foreground_change(d) == int(after[1:].sum() - before[1:].sum())


def test_label_changes_of_a_boolean_mask():
    from dicegui.core.edits import label_changes

    index = (np.zeros(3, int), np.zeros(3, int), np.arange(3))
    d = EditDelta.from_changes("pred", index, np.array([False, False, True]), np.array([True, True, False]))
    assert label_changes(d) == {1: 1}
