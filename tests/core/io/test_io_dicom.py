"""DICOM: pydicom's and nibabel's sample files, series built from them, SimpleITK as reference."""
import os

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from nibabel.testing import data_path
from pydicom.data import get_testdata_file

from dicegui.core.io import LoadError, load_case, load_volume, save_volume

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _sitk_affine(img):
    d = np.array(img.GetDirection()).reshape(3, 3)
    a = np.eye(4)
    a[:3, :3] = d * np.array(img.GetSpacing())
    a[:3, 3] = img.GetOrigin()
    return LPS_TO_RAS @ a


def _sitk_series(folder):
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def _write_series(folder, n=5, spacing=2.5, tilt_deg=20.0, skip=(), series_uid=None, seed=1, dup=False):
    """Slices of CT_small.dcm re-positioned on an oblique grid, written in shuffled order."""
    folder.mkdir(exist_ok=True)
    src = get_testdata_file("CT_small.dcm")
    t = np.deg2rad(tilt_deg)
    row_cos, col_cos = np.array([np.cos(t), np.sin(t), 0.0]), np.array([0.0, 0.0, -1.0])
    normal = np.cross(row_cos, col_cos)
    uid = series_uid or pydicom.uid.generate_uid()
    rng = np.random.default_rng(seed)
    for k in rng.permutation(n):
        if k in skip:
            continue
        ds = pydicom.dcmread(src)
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in [*row_cos, *col_cos]]
        pos = np.array([10.0, -20.0, 30.0]) + (0 if dup and k == 1 else k) * spacing * normal
        ds.ImagePositionPatient = [f"{v:.4f}" for v in pos]
        ds.SeriesInstanceUID = uid
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = int(k) + 1
        pixels = rng.integers(0, 3000, (ds.Rows, ds.Columns)).astype(np.int16)
        ds.PixelData = pixels.tobytes()
        ds.save_as(folder / f"slice_{k:03d}.dcm")
    return folder


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm"])
def test_pydicom_sample_files_agree_with_simpleitk(name):
    path = get_testdata_file(name)
    vol = load_volume(path)
    ref = sitk.ReadImage(path)
    assert vol.is_2d and vol.shape == (ref.GetSize()[1], ref.GetSize()[0], 1)
    np.testing.assert_array_equal(vol.data[:, :, 0], sitk.GetArrayFromImage(ref)[0])
    # In-plane geometry and origin (the one-slice thickness is not comparable across readers).
    np.testing.assert_allclose(vol.affine[:, :2], _sitk_affine(ref)[:, [1, 0]], atol=1e-5)
    np.testing.assert_allclose(vol.affine[:3, 3], _sitk_affine(ref)[:3, 3], atol=1e-5)


def test_ct_rescale_is_applied():
    path = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    vol = load_volume(path)
    expected = ds.pixel_array.astype(np.int64) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
    np.testing.assert_array_equal(vol.data[:, :, 0], expected)
    assert vol.data.dtype.kind == "i"  # whole-number rescale stays integer


def test_big_endian_and_rle_variants_give_the_same_pixels():
    base = load_volume(get_testdata_file("MR_small.dcm")).data
    for name in ("MR_small_bigendian.dcm", "MR_small_RLE.dcm", "MR_small_implicit.dcm"):
        np.testing.assert_array_equal(load_volume(get_testdata_file(name)).data, base)


def test_nibabel_two_slice_series_agrees_with_simpleitk(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    for name in ("0.dcm", "1.dcm"):
        (folder / name).write_bytes(open(os.path.join(data_path, name), "rb").read())
    vol = load_volume(folder)
    ref = _sitk_series(folder)
    assert vol.shape == (256, 256, 2)
    np.testing.assert_array_equal(vol.data, sitk.GetArrayFromImage(ref).transpose(1, 2, 0))
    np.testing.assert_allclose(vol.affine[:, [1, 0, 3]], _sitk_affine(ref)[:, [0, 1, 3]], atol=1e-4)
    # The slices sit straight above each other while the plane is slightly
    # tilted: ITK's orthogonal direction cannot say that, the file's positions can.
    ipp = [np.array(pydicom.dcmread(folder / n).ImagePositionPatient, float) for n in ("0.dcm", "1.dcm")]
    np.testing.assert_allclose(vol.affine[:3, 2], LPS_TO_RAS[:3, :3] @ (ipp[1] - ipp[0]), atol=1e-6)


def test_oblique_shuffled_series_agrees_with_simpleitk(tmp_path):
    folder = _write_series(tmp_path / "series")
    vol = load_volume(folder)
    ref = _sitk_series(folder)
    assert vol.shape == (128, 128, 5)
    np.testing.assert_array_equal(vol.data, sitk.GetArrayFromImage(ref).transpose(1, 2, 0))
    # Our axes are (row, column, slice); ITK's are (column, row, slice).
    np.testing.assert_allclose(vol.affine[:, [1, 0, 2, 3]], _sitk_affine(ref), atol=1e-4)


def test_series_round_trip(tmp_path):
    folder = _write_series(tmp_path / "series")
    vol = load_volume(folder)
    out = save_volume(vol, vol.data, tmp_path / "copy")
    back = load_volume(out)
    np.testing.assert_array_equal(back.data, vol.data)
    np.testing.assert_allclose(back.affine, vol.affine)
    a = pydicom.dcmread(folder / "slice_002.dcm")
    b = pydicom.dcmread(out / "slice_002.dcm")
    assert a.SOPInstanceUID == b.SOPInstanceUID and a.SeriesInstanceUID == b.SeriesInstanceUID
    edited = vol.data.copy()
    edited[0, 0, 0] += 7
    out2 = save_volume(vol, edited, tmp_path / "edited")
    c = pydicom.dcmread(out2 / "slice_002.dcm")
    assert c.SeriesInstanceUID != a.SeriesInstanceUID  # changed pixels: a new series
    np.testing.assert_array_equal(load_volume(out2).data, edited)


def test_single_file_round_trip(tmp_path):
    path = get_testdata_file("CT_small.dcm")
    vol = load_volume(path)
    out = save_volume(vol, vol.data, tmp_path / "ct.dcm")
    back = load_volume(out)
    np.testing.assert_array_equal(back.data, vol.data)
    np.testing.assert_allclose(back.affine, vol.affine)


def test_missing_slice_refused(tmp_path):
    folder = _write_series(tmp_path / "gap", n=6, skip=(3,))
    with pytest.raises(LoadError, match=r"gap: irregular slice spacing: 5 mm between slices 2 and 3 .* about 1 slice"):
        load_volume(folder)


def test_duplicate_positions_refused(tmp_path):
    folder = _write_series(tmp_path / "dup", n=4, dup=True)
    with pytest.raises(LoadError, match="dup: 1 slice position.* more than once"):
        load_volume(folder)


def test_mixed_series_refused_with_a_list(tmp_path):
    folder = _write_series(tmp_path / "mixed", n=3, seed=1)
    _write_series(tmp_path / "mixed", n=2, seed=2)  # a second series, other file names
    names = {p.name for p in folder.iterdir()}
    assert len(names) == 3  # the second series overwrote slices 0 and 1 of the first
    with pytest.raises(LoadError, match=r"mixed: holds 2 DICOM series: .*\(2 files\)"):
        load_volume(folder)


def test_non_dicom_files_in_the_folder_are_ignored_and_counted(tmp_path):
    folder = _write_series(tmp_path / "s", n=3)
    (folder / "README.txt").write_text("notes")
    vol = load_volume(folder)
    assert vol.shape[2] == 3
    assert any("1 non-image" in w for w in vol.meta["warnings"])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("x")
    with pytest.raises(LoadError, match="empty: no DICOM images found"):
        load_volume(empty)


def test_dicom_seg_is_refused_with_advice():
    with pytest.raises(LoadError, match="DICOM SEG objects are not read yet"):
        load_volume(get_testdata_file("liver_1frame.dcm"))


def test_rtdose_multiframe_positions(tmp_path):
    path = get_testdata_file("rtdose.dcm")
    ds = pydicom.dcmread(path)
    vol = load_volume(path)
    assert vol.shape == (ds.Rows, ds.Columns, int(ds.NumberOfFrames))
    offsets = [float(v) for v in ds.GridFrameOffsetVector]
    assert vol.affine[2, 2] == pytest.approx(offsets[1] - offsets[0])
    np.testing.assert_allclose(vol.affine[:3, 3], LPS_TO_RAS[:3, :3] @ np.array(ds.ImagePositionPatient, float))


def test_unreadable_compression_gives_one_line(tmp_path):
    try:
        load_volume(get_testdata_file("JPEG2000.dcm"))
    except LoadError as err:
        assert "JPEG2000.dcm: " in str(err) and "\n" not in str(err)


def test_case_from_a_series_and_a_nifti_mask(tmp_path):
    import nibabel as nib

    folder = _write_series(tmp_path / "series", tilt_deg=0.0)
    vol = load_volume(folder)
    mask = (vol.data > 1500).astype(np.uint8)
    nib.Nifti1Image(mask, vol.affine).to_filename(tmp_path / "mask.nii.gz")
    case = load_case(folder, tmp_path / "mask.nii.gz")
    np.testing.assert_array_equal(case.gt_mask, mask)
    assert case.warnings == []


def _mask_folder(folder, nrrd_names=(), nifti_names=()):
    """Small masks written by dicegui's own NRRD writer and by nibabel."""
    import nibabel as nib

    from dicegui.core.volume import Volume

    folder.mkdir()
    data = np.zeros((4, 5, 3), np.uint8)
    data[1:3, 1:4, 1] = 1
    for name in nrrd_names:
        save_volume(Volume(data, np.eye(4), source_format="nrrd"), data, folder / name)
    for name in nifti_names:
        nib.save(nib.Nifti1Image(data, np.eye(4)), str(folder / name))
    return folder


def test_a_folder_of_masks_says_what_it_holds_and_what_to_open(tmp_path):
    folder = _mask_folder(tmp_path / "oncologist", ("Brain.nrrd", "Brainstem.nrrd", "Lens-Lt.nrrd"),
                          ("Parotid.nii.gz",))
    (folder / "notes.txt").write_text("who drew what")
    with pytest.raises(LoadError) as err:
        load_volume(folder)
    text = str(err.value)
    assert text.startswith("oncologist: no DICOM series")
    assert "3 NRRD files and 1 NIfTI file" in text
    assert "--gt" in text and "--pred" in text and "--gt-dir DIR --pred-dir DIR" in text
    assert "no DICOM images found" not in text


def test_a_case_folder_with_mask_subfolders_names_them(tmp_path):
    case = tmp_path / "0522c0057"
    case.mkdir()
    _mask_folder(case / "oncologist", ("Brain.nrrd", "Cochlea.nrrd"))
    _mask_folder(case / "radiographer", (), ("Brain.nii.gz",))
    with pytest.raises(LoadError, match=r"0522c0057: no DICOM series in this folder; its subfolders hold other "
                                        r"files \(oncologist/ 2 NRRD files; radiographer/ 1 NIfTI file\)"):
        load_volume(case)
    # as the reference of a case the same words come back
    with pytest.raises(LoadError, match=r"oncologist: no DICOM series in this folder; it holds 2 NRRD files"):
        load_case(gt=case / "oncologist", pred=case / "radiographer")
