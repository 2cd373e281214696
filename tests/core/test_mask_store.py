"""MaskStore: one mask edited in place with its labels' voxel counts; counts worked by hand."""
import numpy as np
import pytest

from dicegui.core.edits import Brush, Stroke, apply_delta
from dicegui.core.mask_store import MaskStore


def test_counts_of_a_hand_made_map():
    pred = np.zeros((2, 4, 4), np.uint8)
    pred[0, :2, :2] = 1  # 4 voxels
    pred[1, 0, :3] = 5   # 3 voxels
    store = MaskStore(pred=pred)
    assert store.label_counts() == {1: 4, 5: 3}
    assert store.foreground() == 7
    assert store.gt is None and store.pred is pred
    assert store.overlap() is None and store.per_label() is None


def test_apply_edits_in_place_and_undo_restores_counts():
    gt = np.zeros((3, 3, 3), np.int16)
    store = MaskStore(gt=gt)
    previous = store.apply("gt", (1, slice(0, 2), slice(None)), 2)  # 2 rows × 3 = 6 voxels
    assert gt[1, :2].tolist() == [[2, 2, 2], [2, 2, 2]]
    assert store.label_counts() == {2: 6}
    # overwrite 2 of the label-2 voxels and 1 background voxel with label 7
    store.apply("gt", (np.array([1, 1, 2]), np.array([0, 1, 2]), np.array([0, 0, 2])), 7)
    assert store.label_counts() == {2: 4, 7: 3}
    assert store.foreground() == 7
    store.apply("gt", (1, slice(0, 2), slice(None)), previous)
    # the label-7 voxels inside the box went back to 0 with it; the one outside stays
    assert store.label_counts() == {7: 1}
    assert gt[2, 2, 2] == 7


def test_repeated_positions_count_once():
    pred = np.zeros((1, 2, 2), np.uint8)
    store = MaskStore(pred=pred)
    z = np.zeros(4, np.intp)
    store.apply("pred", (z, np.array([0, 0, 1, 0]), np.array([1, 1, 1, 1])), 3)
    assert store.label_counts() == {3: 2}  # (0,0,1) written twice, (0,1,1) once
    assert np.count_nonzero(pred) == 2


def test_boolean_index_and_float_mask_with_nan():
    mask = np.zeros((2, 2, 2), np.float32)
    mask[0, 0, 0] = np.nan
    store = MaskStore(pred=mask)
    assert store.foreground() == 1 and store.label_counts() == {}
    sel = np.zeros(mask.shape, bool)
    sel[1] = True
    store.apply("pred", sel, 4.0)
    assert store.label_counts() == {4.0: 4}
    assert store.foreground() == 5
    store.apply("pred", (0, 0, 0), 0.0)  # the NaN leaves
    assert store.foreground() == 4


def test_brush_stroke_and_undo_go_through_the_store():
    pred = np.zeros((1, 9, 9), np.uint8)
    store = MaskStore(pred=pred)
    stroke = Stroke(store, "pred", 0, 0, Brush(radius=1, label=2))
    stroke.add((4, 4))
    delta = stroke.finish()
    # radius 1 on a 1 mm grid: the centre and its four neighbours
    assert store.label_counts() == {2: 5}
    assert np.count_nonzero(pred == 2) == 5 and pred[0, 4, 4] == 2
    assert stroke.scores_before is None
    apply_delta(store, delta, undo=True)
    assert store.label_counts() == {} and not pred.any()


def test_refuses_the_absent_mask_and_bad_input():
    store = MaskStore(pred=np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="no reference"):
        store.apply("gt", (0, 0, 0), 1)
    with pytest.raises(ValueError, match="exactly one"):
        MaskStore(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="neither"):
        MaskStore()
    with pytest.raises(TypeError):
        MaskStore(gt=[0, 1])
    with pytest.raises(ValueError, match="0-d"):
        MaskStore(gt=np.array(1))


def test_edits_through_a_transposed_view_reach_the_base():
    base = np.zeros((2, 3, 4), np.uint8)
    view = base.transpose(2, 1, 0)[::-1]
    store = MaskStore(gt=view)
    store.apply("gt", (0, 1, 1), 9)
    assert base[1, 1, 3] == 9
    assert store.label_counts() == {9: 1}


def test_counts_of_a_map_larger_than_one_chunk_match_numpy(monkeypatch):
    import dicegui.core.mask_store as ms

    monkeypatch.setattr(ms, "_CHUNK_ELEMENTS", 50)  # force several slabs on a small array
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=(9, 7, 6)).astype(np.uint16)
    view = labels.transpose(2, 0, 1)[:, ::-1]
    store = MaskStore(pred=view)
    values, counts = np.unique(labels, return_counts=True)
    assert store.label_counts() == {int(v): int(n) for v, n in zip(values, counts) if v}
