"""open_case: multi-channel network outputs read with a softmax or a sigmoid per channel, logits kept after a sigmoid."""
from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from dicegui.core.io import LoadError
from dicegui.core.io.errors import ActivationNeeded
from dicegui.core.io.opening import open_case


def _case(tmp_path):
    gt = np.zeros((20, 18, 8), np.uint8)
    gt[4:12, 4:12, 2:6] = 1
    gt[14:18, 3:9, 1:5] = 2
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(*gt.shape, 3)).astype(np.float32)
    for c in range(3):
        logits[..., c] += 3.0 * (gt == c)
    nib.save(nib.Nifti1Image(gt, np.diag([0.8, 0.8, 2.0, 1])), str(tmp_path / "gt.nii.gz"))
    nib.save(nib.Nifti1Image(logits, np.diag([0.8, 0.8, 2.0, 1])), str(tmp_path / "pred.nii.gz"))
    np.save(tmp_path / "pred_first.npy", np.moveaxis(logits, -1, 0))
    return gt, logits


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_a_channel_map_is_refused_with_how_to_read_it_then_read_with_a_softmax(tmp_path):
    gt, logits = _case(tmp_path)
    with pytest.raises(ActivationNeeded) as err:
        open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "pred.nii.gz")
    assert err.value.kind == "channels" and err.value.channels == 3 and isinstance(err.value, LoadError)
    case = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "pred.nii.gz", channels="softmax")
    expected = np.argmax(_softmax(logits.astype(np.float64), -1), axis=-1)
    assert np.array_equal(case.pred_mask, expected)
    assert case.pred_channels.channels == 3 and case.pred_channels.activation == "softmax"
    np.testing.assert_allclose(np.moveaxis(case.pred_channels.probs, 0, -1), _softmax(logits.astype(np.float64), -1),
                               rtol=1e-5, atol=1e-6)
    assert any("3 channels (last axis) read with a softmax" in w for w in case.warnings)
    # channels first (.npy), the same labels; the numpy file has no geometry and takes the reference's
    first = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "pred_first.npy", channels="softmax")
    assert np.array_equal(first.pred_mask, expected)


def test_two_channels_give_a_probability_map_and_a_sigmoid_per_channel_its_own_labels(tmp_path):
    gt, logits = _case(tmp_path)
    two = logits[..., :2]
    nib.save(nib.Nifti1Image(two, np.diag([0.8, 0.8, 2.0, 1])), str(tmp_path / "two.nii.gz"))
    case = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "two.nii.gz", channels="softmax")
    p1 = _softmax(two.astype(np.float64), -1)[..., 1]
    assert case.pred_info.kind == "probability"
    np.testing.assert_allclose(case.pred_prob, p1, rtol=1e-5, atol=1e-6)
    assert np.array_equal(case.pred_mask, (case.pred_prob >= 0.5).astype(np.uint8))
    sig = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "pred.nii.gz", channels="sigmoid")
    s = 1 / (1 + np.exp(-logits.astype(np.float64)))
    best = np.argmax(s[..., 1:], axis=-1)
    expected = np.where(np.take_along_axis(s[..., 1:], best[..., None], -1)[..., 0] >= 0.5, best + 1, 0)
    assert np.array_equal(sig.pred_mask, expected)


def test_logits_are_refused_then_kept_after_a_sigmoid(tmp_path):
    gt, logits = _case(tmp_path)
    raw = logits[..., 1] - logits[..., 0]
    nib.save(nib.Nifti1Image(raw, np.diag([0.8, 0.8, 2.0, 1])), str(tmp_path / "logit.nii.gz"))
    with pytest.raises(ActivationNeeded) as err:
        open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "logit.nii.gz")
    assert err.value.kind == "logits" and "logit.nii.gz" in str(err.value)
    case = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "logit.nii.gz", sigmoid=True)
    np.testing.assert_array_equal(case.pred_raw, raw)
    np.testing.assert_allclose(case.pred_prob, 1 / (1 + np.exp(-raw.astype(np.float64))), rtol=1e-5, atol=1e-7)
    plain = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "gt.nii.gz")
    assert plain.pred_raw is None and plain.pred_channels is None


def test_a_file_without_a_channel_axis_is_named(tmp_path):
    _case(tmp_path)
    with pytest.raises(LoadError, match=r"gt.nii.gz: not a multi-channel map"):
        open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "gt.nii.gz", channels="softmax")
    nib.save(nib.Nifti1Image(np.zeros((80, 18, 8, 70), np.float32), np.eye(4)), str(tmp_path / "many.nii.gz"))
    with pytest.raises(LoadError, match=r"many.nii.gz: 80×18×8×70 has no channel axis of 2 to 64"):
        open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "many.nii.gz", channels="softmax")
    # 3 channels first, and a last axis of 8 that could be channels too: the one that fits the grid wins
    gt, logits = _case(tmp_path)
    odd = np.moveaxis(logits, -1, 0)[..., :8]  # (3, 20, 18, 8)
    np.save(tmp_path / "odd.npy", odd)
    case = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "odd.npy", channels="softmax")
    assert case.pred_channels.channels == 3 and case.pred.meta["channel_axis"] == 0


def test_the_activation_lesson_is_taken_at_opening_against_the_reference(tmp_path):
    gt, logits = _case(tmp_path)
    case = open_case(gt=tmp_path / "gt.nii.gz", pred=tmp_path / "pred.nii.gz", channels="softmax")
    lesson = case.pred_channels.lesson
    x = logits.astype(np.float64)
    for name, probs in (("softmax", _softmax(x, -1)), ("sigmoid", 1 / (1 + np.exp(-x)))):
        for c in range(3):
            t = gt == c
            expected = (2 * np.sum(probs[..., c] * t) + 1e-5) / (probs[..., c].sum() + t.sum() + 1e-5)
            assert lesson[name][c] == pytest.approx(expected, rel=1e-5), (name, c)
