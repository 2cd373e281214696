"""Shared parts of SEG / RT Structure Set reading: overlap refusal and matching labels by name."""
import numpy as np
import pytest

from dicegui.core.io import LoadError
from dicegui.core.io.dicom_labels import combine_masks, match_labels_by_name


def test_prediction_labels_take_the_reference_numbers_of_the_same_names():
    pred = np.array([[0, 1, 2, 3]])
    out, names, moved = match_labels_by_name({1: "Liver", 2: "Spleen"}, pred, {1: " spleen", 2: "LIVER", 3: "Lens"})
    # spleen -> 2, liver -> 1, Lens: 3 is not a reference label, so it keeps its number
    assert out.tolist() == [[0, 2, 1, 3]]
    assert names == {2: " spleen", 1: "LIVER", 3: "Lens"}
    assert sorted(moved) == [(1, 2), (2, 1)]


def test_an_unmatched_label_on_a_reference_number_moves_past_the_reference():
    pred = np.array([0, 1, 2])
    out, names, moved = match_labels_by_name({1: "Brain", 2: "Heart", 3: "Lung"}, pred, {1: "Heart", 2: "Kidney"})
    assert out.tolist() == [0, 2, 4] and names == {2: "Heart", 4: "Kidney"}


def test_combine_masks_names_each_overlapping_pair_with_its_voxels():
    a = np.zeros((4, 4, 1), bool)
    b = np.zeros((4, 4, 1), bool)
    c = np.zeros((4, 4, 1), bool)
    a[:2] = True
    b[1:3] = True  # shares row 1 (4 voxels) with a
    c[0, 0] = True  # shares one voxel with a
    with pytest.raises(LoadError) as err:
        combine_masks([(1, a), (2, b), (3, c)], {1: "A", 2: "B", 3: "C"}, (4, 4, 1), "x.dcm", "ROIs")
    assert "x.dcm: ROIs overlap: 'A' and 'B' (4 voxels); 'A' and 'C' (1 voxel)" in str(err.value)
    assert combine_masks([(1, a), (2, b & ~a)], {1: "A", 2: "B"}, (4, 4, 1), "x", "ROIs").tolist() == \
        (a * 1 + (b & ~a) * 2).tolist()
