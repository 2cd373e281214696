"""new_label_map: an empty mask on the image's grid that saves aligned (read back with nibabel / pynrrd)."""
import nibabel as nib
import nrrd
import numpy as np
import pytest

from dicegui.core.io.case_loader import load_case, save_mask
from dicegui.core.io.errors import SaveError
from dicegui.core.new_segmentation import new_label_map, new_mask_suffix

SHAPE = (7, 9, 5)
# flipped x, anisotropic, with a rotation between y and z: an orientation no default would guess
AFFINE = np.array([
    [-0.7, 0.0, 0.0, 12.0],
    [0.0, 0.0, 2.5, -40.0],
    [0.0, 1.3, 0.0, 7.5],
    [0.0, 0.0, 0.0, 1.0],
])


@pytest.fixture
def image_path(tmp_path):
    data = np.arange(np.prod(SHAPE), dtype=np.int16).reshape(SHAPE)
    img = nib.Nifti1Image(data, AFFINE)
    img.header.set_slope_inter(2.0, -100.0)  # the image's scaling must not reach the mask
    path = tmp_path / "scan.nii.gz"
    nib.save(img, str(path))
    return path


def test_empty_mask_has_the_image_grid(image_path):
    case = new_label_map(load_case(image=image_path), "pred")
    assert case.pred_mask.shape == SHAPE and case.pred_mask.dtype == np.uint8
    assert not case.pred_mask.any()
    assert case.pred_info.kind == "labels"
    np.testing.assert_allclose(case.pred.affine, AFFINE)
    assert new_mask_suffix(case) == ".nii.gz"


def test_saved_nifti_is_aligned_and_holds_the_painted_voxel(image_path, tmp_path):
    case = new_label_map(load_case(image=image_path), "gt")
    case.gt_mask[2, 5, 1] = 3
    with pytest.raises(SaveError, match="give a path"):
        save_mask(case, "gt")  # a new mask has no file to be saved beside
    out = save_mask(case, "gt", tmp_path / "drawn.nii.gz")
    img = nib.load(str(out))
    assert img.shape == SHAPE
    np.testing.assert_allclose(img.affine, AFFINE, atol=1e-6)
    assert int(img.header["sform_code"]) > 0 and int(img.header["qform_code"]) > 0
    data = np.asarray(img.dataobj)
    assert data[2, 5, 1] == 3 and np.count_nonzero(data) == 1
    assert img.header.get_slope_inter() in ((None, None), (1.0, 0.0))
    # and it loads back onto the image as the case's reference, unchanged
    again = load_case(image=image_path, gt=out)
    assert not again.reorientations and again.gt_mask[2, 5, 1] == 3


def test_saved_nrrd_is_aligned(image_path, tmp_path):
    case = new_label_map(load_case(image=image_path), "pred")
    case.pred_mask[6, 0, 4] = 1
    out = save_mask(case, "pred", tmp_path / "drawn.nrrd")
    data, header = nrrd.read(str(out), index_order="F")
    assert data.shape == SHAPE and data[6, 0, 4] == 1 and np.count_nonzero(data) == 1
    # NRRD stores LPS: x and y change sign against the RAS affine
    lps = np.diag([-1.0, -1.0, 1.0])
    np.testing.assert_allclose(header["space directions"], (lps @ AFFINE[:3, :3]).T)
    np.testing.assert_allclose(header["space origin"], lps @ AFFINE[:3, 3])


def test_refuses_a_loaded_role_and_unknown_roles(image_path, tmp_path):
    mask = np.zeros(SHAPE, np.uint8)
    nib.save(nib.Nifti1Image(mask, AFFINE), str(tmp_path / "gt.nii.gz"))
    case = load_case(image=image_path, gt=tmp_path / "gt.nii.gz")
    with pytest.raises(ValueError, match="already has a reference"):
        new_label_map(case, "gt")
    with pytest.raises(ValueError, match="role"):
        new_label_map(case, "image")
    # the other role follows the loaded mask's kind (a binary reference: a binary prediction)
    assert new_label_map(case, "pred").pred_info.kind == case.gt_info.kind
