"""load_case / save_mask: geometry checks, value rules, saving back onto the original grid."""
import os

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from dicegui.core.io import LoadError, SaveError, load_case, load_volume, save_mask


def _affine(spacing=(0.7, 0.7, 2.5), origin=(-90.0, -120.0, 60.0)):
    a = np.diag(list(spacing) + [1.0])
    a[:3, 3] = origin
    return a


def _save(path, data, affine):
    nib.Nifti1Image(data, affine).to_filename(path)
    return path


@pytest.fixture
def trio(tmp_path):
    rng = np.random.default_rng(3)
    shape = (16, 14, 9)
    image = rng.normal(100, 20, shape).astype(np.float32)
    gt = (rng.random(shape) > 0.7).astype(np.uint8)
    pred = gt.copy()
    pred[:4] = 1 - pred[:4]
    aff = _affine()
    return {
        "image": _save(tmp_path / "image.nii.gz", image, aff),
        "gt": _save(tmp_path / "gt.nii.gz", gt, aff),
        "pred": _save(tmp_path / "prediction.nii.gz", pred, aff),
        "arrays": (image, gt, pred),
        "affine": aff,
        "tmp": tmp_path,
    }


def test_same_grid_loads_silently(trio):
    case = load_case(trio["image"], trio["gt"], trio["pred"])
    image, gt, pred = trio["arrays"]
    np.testing.assert_array_equal(case.image_array, image)
    np.testing.assert_array_equal(case.gt_mask, gt)
    np.testing.assert_array_equal(case.pred_mask, pred)
    assert case.gt_mask.dtype == np.uint8 and case.pred_prob is None
    assert case.warnings == []
    np.testing.assert_allclose(case.affine, trio["affine"])
    np.testing.assert_allclose(case.spacing, (0.7, 0.7, 2.5), rtol=1e-6)
    assert case.gt_info.kind == "binary" and case.pred_info.kind == "binary"
    assert case.shape == (16, 14, 9)


def test_reference_is_gt_without_image(trio):
    case = load_case(gt=trio["gt"], pred=trio["pred"])
    assert case.image is None and case.image_array is None
    np.testing.assert_allclose(case.affine, trio["affine"])


def test_nothing_given_is_an_error():
    with pytest.raises(LoadError, match="no file given"):
        load_case()


@pytest.mark.parametrize("flips,perm", [((True, False, False), (0, 1, 2)), ((True, True, False), (1, 0, 2)),
                                        ((False, False, True), (2, 0, 1))])
def test_flipped_permuted_mask_is_reoriented_with_a_warning(trio, flips, perm):
    _, gt, pred = trio["arrays"]
    aff = trio["affine"]
    img = nib.Nifti1Image(pred, aff)
    # The same voxels stored in another orientation (nibabel does the bookkeeping).
    codes = "".join(nib.aff2axcodes(aff))
    letters = [("LR", "PA", "IS")[i] for i in range(3)]
    target = [letters[p][0] if flips[p] else letters[p][1] for p in perm]
    moved = img.as_reoriented(nib.orientations.ornt_transform(
        nib.orientations.axcodes2ornt(codes), nib.orientations.axcodes2ornt(target)))
    path = trio["tmp"] / "pred_moved.nii.gz"
    moved.to_filename(path)
    assert moved.shape == tuple(pred.shape[p] for p in perm)

    case = load_case(trio["image"], trio["gt"], path)

    np.testing.assert_array_equal(case.pred_mask, pred)
    assert len(case.warnings) == 1
    w = case.warnings[0]
    assert "pred_moved.nii.gz" in w and "flipped" in w and "no resampling" in w
    if perm != (0, 1, 2):
        assert "transposed" in w
    # Saving undoes it: the file written has the stored orientation again.
    out = save_mask(case, "pred")
    assert out.name == "pred_moved_corrected.nii.gz"
    saved = nib.load(out)
    np.testing.assert_array_equal(np.asanyarray(saved.dataobj), np.asanyarray(moved.dataobj))
    np.testing.assert_allclose(saved.affine, moved.affine, atol=1e-5)


def test_different_spacing_refused_naming_both_files(trio):
    _, _, pred = trio["arrays"]
    path = _save(trio["tmp"] / "pred_coarse.nii.gz", pred, _affine(spacing=(0.7, 0.7, 3.0)))
    with pytest.raises(LoadError) as err:
        load_case(trio["image"], trio["gt"], path)
    msg = str(err.value)
    assert "pred_coarse.nii.gz is 16×14×9 at 0.7×0.7×3 mm RAS" in msg
    assert "image.nii.gz is 16×14×9 at 0.7×0.7×2.5 mm RAS" in msg
    assert "does not resample" in msg and "\n" not in msg


def test_different_shape_and_shift_refused(trio):
    _, gt, _ = trio["arrays"]
    shifted = _save(trio["tmp"] / "shifted.nii.gz", gt, _affine(origin=(-88.0, -120.0, 60.0)))
    with pytest.raises(LoadError, match="origin 2 mm apart"):
        load_case(trio["image"], shifted)
    cropped = _save(trio["tmp"] / "cropped.nii.gz", gt[:-1], trio["affine"])
    with pytest.raises(LoadError, match=r"cropped.nii.gz is 15×14×9"):
        load_case(trio["image"], cropped)


def test_2d_images_compare_shapes_only(tmp_path):
    image = (np.arange(20 * 30).reshape(20, 30) % 251).astype(np.uint8)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:10, 3:9] = 255
    Image.fromarray(image).save(tmp_path / "slice.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    Image.fromarray(mask.T.copy()).save(tmp_path / "mask_t.png")
    case = load_case(tmp_path / "slice.png", tmp_path / "mask.png")
    assert case.shape == (20, 30, 1)
    np.testing.assert_array_equal(case.gt_mask[:, :, 0], mask // 255)
    assert case.gt_info.foreground_value == 255
    with pytest.raises(LoadError, match=r"mask_t.png is 30×20, image slice.png is 20×30: the shapes differ"):
        load_case(tmp_path / "slice.png", tmp_path / "mask_t.png")


def test_mask_without_geometry_on_image_grid_is_accepted_with_a_note(trio):
    _, gt, _ = trio["arrays"]
    np.save(trio["tmp"] / "gt.npy", gt)
    case = load_case(trio["image"], trio["tmp"] / "gt.npy")
    np.testing.assert_array_equal(case.gt_mask, gt)
    assert any("stores no position" in w for w in case.warnings)


def test_geometry_taken_from_mask_when_image_has_none(trio):
    image, gt, _ = trio["arrays"]
    np.save(trio["tmp"] / "image.npy", image)
    case = load_case(trio["tmp"] / "image.npy", trio["gt"])
    np.testing.assert_allclose(case.affine, trio["affine"])
    assert any("taken from gt.nii.gz" in w for w in case.warnings)


def test_colour_mask_refused_but_colour_image_accepted(tmp_path):
    rgb = np.zeros((8, 9, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[2:4, 2:4] = 255
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.zeros((8, 9), np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(LoadError, match="rgb.png: a colour image"):
        load_case(tmp_path / "m.png", gt=tmp_path / "rgb.png")
    case = load_case(tmp_path / "rgb.png", gt=tmp_path / "m.png")
    assert any("colour" in w for w in case.warnings)


def test_probability_and_logit_predictions(trio):
    rng = np.random.default_rng(5)
    prob = rng.random((16, 14, 9)).astype(np.float32)
    p = _save(trio["tmp"] / "prob.nii.gz", prob, trio["affine"])
    case = load_case(trio["image"], trio["gt"], p)
    assert case.pred_info.kind == "probability"
    np.testing.assert_array_equal(case.pred_mask, (prob >= 0.5).astype(np.uint8))
    np.testing.assert_array_equal(case.pred_prob, prob)
    logits = (prob - 0.5) * 8
    lp = _save(trio["tmp"] / "logits.nii.gz", logits, trio["affine"])
    with pytest.raises(LoadError, match="logits.nii.gz: .*apply a sigmoid or softmax first"):
        load_case(trio["image"], trio["gt"], lp)
    case = load_case(trio["image"], trio["gt"], lp, sigmoid=True)
    np.testing.assert_allclose(case.pred_prob, 1 / (1 + np.exp(-logits.astype(np.float64))), rtol=1e-5)
    assert any("sigmoid" in w for w in case.warnings)


def test_save_mask_never_overwrites_the_original_by_default(trio):
    case = load_case(trio["image"], trio["gt"], trio["pred"])
    original = open(trio["pred"], "rb").read()
    case.pred_mask[0, 0, 0] = 1 - case.pred_mask[0, 0, 0]
    out = save_mask(case, "pred")
    assert out == trio["tmp"] / "prediction_corrected.nii.gz"
    assert open(trio["pred"], "rb").read() == original
    with pytest.raises(SaveError, match="file exists"):
        save_mask(case, "pred")  # the corrected file is there now
    save_mask(case, "pred", overwrite=True)
    with pytest.raises(SaveError, match="refusing to overwrite the original prediction"):
        save_mask(case, "pred", trio["pred"])
    save_mask(case, "pred", trio["pred"], overwrite=True)
    np.testing.assert_array_equal(load_volume(trio["pred"]).data, case.pred_mask)
    out_gt = save_mask(case, "gt")
    assert out_gt.name == "gt_corrected.nii.gz"
    with pytest.raises(SaveError, match="role must be"):
        save_mask(case, "image")


def test_unchanged_mask_saves_back_byte_identical(trio):
    case = load_case(trio["image"], trio["gt"], trio["pred"])
    out = save_mask(case, "gt", trio["tmp"] / "gt_again.nii.gz")
    import gzip

    assert gzip.decompress(open(out, "rb").read()) == gzip.decompress(open(trio["gt"], "rb").read())


def test_0_255_png_mask_saved_back_as_255(tmp_path):
    mask = np.zeros((10, 12), np.uint8)
    mask[2:5, 3:7] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    case = load_case(gt=tmp_path / "m.png")
    case.gt_mask[8, 8, 0] = 1
    out = save_mask(case, "gt")
    expected = mask.copy()
    expected[8, 8] = 255
    np.testing.assert_array_equal(np.asarray(Image.open(out)), expected)


def test_float_label_file_saved_back_in_its_dtype(tmp_path):
    labels = np.zeros((5, 6, 7))
    labels[1:3, 1:3, 1:3] = 2.0
    labels[3, 3, 3] = 4.0
    p = _save(tmp_path / "lab.nii.gz", labels, np.eye(4))
    case = load_case(gt=p)
    assert case.gt_info.kind == "labels" and case.gt_info.labels == (2, 4)
    out = save_mask(case, "gt")
    back = nib.load(out)
    assert back.get_data_dtype() == np.float64
    np.testing.assert_array_equal(np.asanyarray(back.dataobj), labels)


# ---- real files from ../shared/data ----------------------------------------------------

def test_real_float64_label_map_is_labels(shared_data):
    d = shared_data / "brats_toolkit" / "TCGA-DU-7294"
    case = load_case(d / "TCGA-DU-7294_t1c_bratsspace_reconstructed.nii.gz",
                     d / "fusionator" / "simple.nii.gz", d / "segmentor" / "lfb_rwth.nii.gz")
    raw = np.asanyarray(nib.load(d / "segmentor" / "lfb_rwth.nii.gz").dataobj)
    assert raw.dtype == np.float64
    assert case.pred_info.kind == "labels"
    assert case.pred_info.labels == tuple(int(v) for v in np.unique(raw) if v)
    assert np.array_equal(case.pred_mask, raw.astype(np.uint8))  # fast on 9 M voxels
    assert any("float64" in w for w in case.warnings)


def test_real_near_whole_brainmask_is_reported(shared_data):
    d = shared_data / "deepmedic_brats2013" / "test" / "brats_2013_pat0001_1"
    case = load_case(d / "T1c_subtrMeanDivStd.nii.gz", d / "brainmask.nii.gz")
    raw = np.asanyarray(nib.load(d / "brainmask.nii.gz").dataobj)
    assert case.gt_info.kind == "binary"
    assert np.array_equal(case.gt_mask, (raw > 0.5).astype(np.uint8))
    assert "0.99999997" in case.gt_info.message
    assert any("0.99999997" in w for w in case.warnings)


def test_real_lps_image_with_its_masks(shared_data):
    d = shared_data / "deepmedic_brats2013"
    case = load_case(d / "test/brats_2013_pat0001_1/T1c_subtrMeanDivStd.nii.gz",
                     d / "test/brats_2013_pat0001_1/OTMultiClass.nii.gz",
                     d / "predictions_rf/brats_2013_pat0001_1_rf_pred.nii.gz")
    assert case.image.orientation() == "LPS"
    assert case.gt_info.kind == "labels" and case.pred_info.kind == "labels"
    # Same grid: the only note is that the ground truth stores labels as floats.
    assert case.warnings == ["OTMultiClass.nii.gz: float32 values are all whole numbers: read as labels"]


def test_real_pir_masks_and_a_ras_copy(shared_data, tmp_path):
    ref = shared_data / "panoptica" / "semantic" / "ref.nii.gz"
    img = nib.load(ref)
    assert "".join(nib.aff2axcodes(img.affine)) == "PIR"
    ras = nib.as_closest_canonical(img)
    ras.to_filename(tmp_path / "ref_ras.nii.gz")
    case = load_case(gt=ref, pred=tmp_path / "ref_ras.nii.gz")
    assert np.array_equal(case.pred_mask, case.gt_mask)
    assert "ref_ras.nii.gz is stored RAS" in case.warnings[0]


def test_real_nrrd_masks_of_two_raters(shared_data):
    d = shared_data / "deepmind_hn_oar" / "0522c0057"
    case = load_case(gt=d / "oncologist" / "Brainstem.nrrd", pred=d / "radiographer" / "Brainstem.nrrd")
    assert case.gt.orientation() == "LPS"
    assert case.gt_info.kind == "binary" and case.warnings == []
    # Voxel counts as listed in the data set's own table (dice_oncologist_vs_radiographer.txt).
    assert int(case.gt_mask.sum()) == 11415 and int(case.pred_mask.sum()) == 12695


def test_real_0_255_png(shared_data):
    d = shared_data / "sam_med2d_demo"
    case = load_case(d / "images" / "s0114_111.png", d / "masks" / "s0114_111_aorta_000.png")
    raw = np.asarray(Image.open(d / "masks" / "s0114_111_aorta_000.png"))
    assert case.gt_info.foreground_value == 255
    np.testing.assert_array_equal(case.gt_mask[:, :, 0], (raw == 255).astype(np.uint8))
    assert case.image.meta.get("channels_equal")  # RGB file with equal channels read as gray


def test_save_mask_from_seg_like_files_keeps_paths_apart(tmp_path):
    m = np.zeros((4, 4, 4), np.uint8)
    m[1, 1, 1] = 1
    p = _save(tmp_path / "seg.nii.gz", m, np.eye(4))
    case = load_case(gt=p)
    assert save_mask(case, "gt").name == "seg_corrected.nii.gz"
    assert os.path.exists(p)


def test_same_file_names_in_a_mismatch_message_carry_their_folders(tmp_path):
    from dicegui.core.io import LoadError, load_case

    for folder, shape in (("a/reader1", (3, 4)), ("b/reader1", (4, 4))):
        (tmp_path / folder).mkdir(parents=True)
        np.save(tmp_path / folder / "mask.npy", np.zeros(shape, np.uint8))
    # the first differing folder up the tree tells the two apart
    with pytest.raises(LoadError, match=r"b/reader1/mask\.npy is 4×4, ground truth a/reader1/mask\.npy is 3×4"):
        load_case(gt=tmp_path / "a/reader1/mask.npy", pred=tmp_path / "b/reader1/mask.npy")
