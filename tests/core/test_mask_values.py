"""Mask value rules: every case worked out by hand."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicegui.core.io import LoadError
from dicegui.core.mask_values import classify_mask


def test_binary_0_1_integers():
    data = np.array([[0, 1], [1, 0]], dtype=np.int16)
    info, hard, prob = classify_mask(data, "m.nii.gz")
    assert info.kind == "binary" and info.labels == (1,) and info.foreground_value == 1
    assert "{0, 1}" in info.message and "binary" in info.message
    assert hard.dtype == np.uint8 and prob is None
    np.testing.assert_array_equal(hard, [[0, 1], [1, 0]])
    assert not np.shares_memory(hard, data)


def test_binary_0_255_remembers_255():
    data = np.array([0, 255, 255, 0], dtype=np.uint8)
    info, hard, _ = classify_mask(data, "m.png")
    assert info.kind == "binary" and info.foreground_value == 255
    assert "255" in info.message and info.warning
    np.testing.assert_array_equal(hard, [0, 1, 1, 0])
    assert hard.dtype == np.uint8


def test_255_with_other_values_is_a_label_map():
    info, hard, _ = classify_mask(np.array([0, 3, 255], dtype=np.uint8), "m.png")
    assert info.kind == "labels" and info.labels == (3, 255)
    np.testing.assert_array_equal(hard, [0, 3, 255])


def test_bool_is_binary():
    info, hard, _ = classify_mask(np.array([True, False]), "m.npy")
    assert info.kind == "binary"
    np.testing.assert_array_equal(hard, [1, 0])


def test_label_map_dtypes():
    info, hard, _ = classify_mask(np.array([0, 2, 7, 2], dtype=np.int32), "l.nii")
    assert info.kind == "labels" and info.labels == (2, 7) and hard.dtype == np.uint8
    assert "label map with 2 labels" in info.message
    info, hard, _ = classify_mask(np.array([0, 300], dtype=np.int32), "l.nii")
    assert hard.dtype == np.uint16 and info.labels == (300,)
    info, hard, _ = classify_mask(np.array([0, 70000], dtype=np.int64), "l.nii")
    assert hard.dtype == np.int32 and info.labels == (70000,)


def test_negative_integers_refused():
    with pytest.raises(LoadError, match="l.nii: .*negative"):
        classify_mask(np.array([0, -1, 2], dtype=np.int8), "l.nii")


def test_float_whole_numbers_are_labels():
    data = np.array([0.0, 1.0, 2.0, 4.0])
    info, hard, prob = classify_mask(data, "lab.nii.gz")
    assert info.kind == "labels" and info.labels == (1, 2, 4) and prob is None
    assert "float64" in info.message and "whole" in info.message
    np.testing.assert_array_equal(hard, [0, 1, 2, 4])
    assert hard.dtype == np.uint8


def test_float_0_1_whole_is_binary():
    info, hard, prob = classify_mask(np.array([0.0, 1.0], dtype=np.float32), "b.nii")
    assert info.kind == "binary" and prob is None
    np.testing.assert_array_equal(hard, [0, 1])


def test_near_whole_values_are_reported_and_rounded():
    data = np.array([0.0, 0.99999997, 1.0, 0.0])
    info, hard, _ = classify_mask(data, "brainmask.nii.gz")
    assert info.kind == "binary"
    np.testing.assert_array_equal(hard, [0, 1, 1, 0])
    assert "0.99999997" in info.message and "not whole" in info.message
    assert "0.99999997" in info.warning


def test_probability_map():
    data = np.array([0.0, 0.2, 0.5, 0.9, 1.0], dtype=np.float64)
    info, hard, prob = classify_mask(data, "p.nii.gz")
    assert info.kind == "probability"
    assert "0.5" in info.message
    np.testing.assert_array_equal(hard, [0, 0, 1, 1, 1])  # p >= 0.5
    assert prob.dtype == np.float32
    np.testing.assert_allclose(prob, data, rtol=1e-7)


def test_logits_refused_unless_sigmoid():
    data = np.array([-3.0, -0.5, 0.0, 2.5], dtype=np.float32)
    with pytest.raises(LoadError, match="apply a sigmoid or softmax first"):
        classify_mask(data, "logits.nii.gz")
    info, hard, prob = classify_mask(data, "logits.nii.gz", sigmoid=True)
    expected = 1.0 / (1.0 + np.exp(-data.astype(np.float64)))  # textbook logistic
    np.testing.assert_allclose(prob, expected, rtol=1e-6)
    np.testing.assert_array_equal(hard, [0, 0, 1, 1])
    assert info.kind == "probability" and "sigmoid" in info.message


def test_sigmoid_is_stable_for_large_logits():
    _, hard, prob = classify_mask(np.array([-1000.0, 1000.0, 0.3]), "l", sigmoid=True)
    assert np.isfinite(prob).all()
    np.testing.assert_allclose(prob[:2], [0.0, 1.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_refused(bad):
    with pytest.raises(LoadError, match="m.nii: contains"):
        classify_mask(np.array([0.0, bad, 1.0]), "m.nii")


def test_negative_whole_floats_refused():
    with pytest.raises(LoadError, match="negative"):
        classify_mask(np.array([0.0, -2.0, 1.0]), "m.nii")


def test_complex_refused():
    with pytest.raises(LoadError):
        classify_mask(np.array([1 + 1j]), "c.npy")


def test_message_states_the_rule_for_every_kind():
    for data in (np.array([0, 1]), np.array([0, 3]), np.array([0.0, 0.3])):
        info, _, _ = classify_mask(data, "x.nii")
        assert info.message.startswith("x.nii: ")
        assert info.kind in info.message or {"labels": "label map", "probability": "probability map"}[info.kind] in info.message


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=60), st.sampled_from([np.int32, np.uint16, np.float32, np.float64]))
def test_labels_present_match_numpy_unique(values, dtype):
    data = np.array(values, dtype=dtype)
    info, hard, _ = classify_mask(data, "h")
    expected = tuple(int(v) for v in np.unique(values) if v != 0)
    if set(np.unique(values)) <= {0, 255} and 255 in values:
        # the {0, 255} rule: a binary mask with 255 as foreground, stored as 0/1
        assert info.kind == "binary" and info.labels == (1,)
        np.testing.assert_array_equal(hard, (np.array(values) == 255).astype(np.uint8))
    else:
        np.testing.assert_array_equal(hard, np.array(values))
        assert info.labels == expected


def test_copy_false_returns_the_file_array_when_it_already_is_the_mask():
    binary = np.array([[0, 1], [1, 0]], np.uint8)
    labels = np.array([[0, 2], [7, 0]], np.uint8)
    for data in (binary, labels):
        _, hard, _ = classify_mask(data, "m.nii.gz", copy=False)
        assert hard is data
        _, copied, _ = classify_mask(data, "m.nii.gz")
        assert not np.shares_memory(copied, data)
        np.testing.assert_array_equal(copied, data)


def test_copy_false_still_copies_read_only_arrays():
    data = np.array([[0, 1], [1, 0]], np.uint8)
    data.flags.writeable = False
    _, hard, _ = classify_mask(data, "m.nii.gz", copy=False)
    assert hard.flags.writeable and not np.shares_memory(hard, data)
