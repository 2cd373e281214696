"""load_case holds each mask once: the hard mask is the array read from the file when it can serve."""
import nibabel as nib
import numpy as np
import pytest

from dicegui.core.io import load_case, save_mask


def _save(path, data):
    nib.Nifti1Image(data, np.diag([0.8, 0.8, 2.0, 1.0])).to_filename(path)
    return path


@pytest.fixture
def masks(tmp_path):
    rng = np.random.default_rng(7)
    shape = (12, 10, 8)
    gt = (rng.random(shape) > 0.6).astype(np.uint8)
    pred = (rng.random(shape) > 0.5).astype(np.uint8) * rng.integers(1, 4, shape).astype(np.uint8)
    image = rng.integers(-1000, 1000, shape).astype(np.int16)
    return tmp_path, image, gt, pred, _save(tmp_path / "img.nii.gz", image), \
        _save(tmp_path / "gt.nii.gz", gt), _save(tmp_path / "pred.nii.gz", pred)


def test_masks_in_mask_types_are_held_once(masks):
    _, image, gt, pred, ip, gp, pp = masks
    case = load_case(ip, gp, pp)
    # one copy: the case's masks are the arrays nibabel read, not copies beside them
    assert np.shares_memory(case.gt_mask, case.gt.data)
    assert np.shares_memory(case.pred_mask, case.pred.data)
    np.testing.assert_array_equal(case.gt_mask, gt)
    np.testing.assert_array_equal(case.pred_mask, pred)
    assert case.gt_mask.flags.writeable and case.pred_mask.flags.writeable
    # no other whole-volume array rides on the case
    big = [k for k, v in vars(case).items() if isinstance(v, np.ndarray) and v.size == gt.size]
    assert sorted(big) == ["gt_mask", "image_array", "pred_mask"]


def test_scores_of_the_shared_masks_equal_an_independent_count(masks):
    from dicegui.core.metrics import overlap

    _, _, gt, pred, ip, gp, pp = masks
    case = load_case(ip, gp, pp)
    g, p = gt != 0, pred != 0
    tp = np.logical_and(g, p).sum()
    expected = 2 * tp / (g.sum() + p.sum())
    assert overlap(case.gt_mask, case.pred_mask)["dice"] == pytest.approx(expected, abs=1e-12)


def test_edit_then_save_round_trips_with_the_shared_mask(masks):
    tmp, _, gt, _, ip, gp, pp = masks
    case = load_case(ip, gp, pp)
    case.gt_mask[0, 0, 0] = 1 - case.gt_mask[0, 0, 0]
    out = save_mask(case, "gt", tmp / "gt_fixed.nii.gz")
    expected = gt.copy()
    expected[0, 0, 0] = 1 - expected[0, 0, 0]
    np.testing.assert_array_equal(np.asanyarray(nib.load(out).dataobj), expected)


def test_masks_needing_new_values_are_new_arrays(tmp_path):
    # 0/255 becomes 0/1 and int16 labels become uint8: the file's values cannot serve
    shape = (6, 5, 4)
    m255 = np.zeros(shape, np.uint8)
    m255[1:3] = 255
    labels16 = np.zeros(shape, np.int16)
    labels16[2:4] = 3
    case = load_case(gt=_save(tmp_path / "g.nii.gz", m255), pred=_save(tmp_path / "p.nii.gz", labels16))
    assert not np.shares_memory(case.gt_mask, case.gt.data)
    assert case.gt_mask.dtype == np.uint8 and case.gt_mask.max() == 1
    assert case.pred_mask.dtype == np.uint8 and not np.shares_memory(case.pred_mask, case.pred.data)
    np.testing.assert_array_equal(case.pred_mask, labels16.astype(np.uint8))
