"""NIfTI reading and writing: headers kept byte for byte, absurd files refused."""
import gzip
import os
import struct

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk
from nibabel.testing import data_path

from dicegui.core.io import LoadError, load_volume, save_volume
from dicegui.core.io import limits

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _sitk_affine(img):
    """RAS affine from SimpleITK's LPS origin/direction/spacing: an independent reader."""
    d = np.array(img.GetDirection()).reshape(3, 3)
    a = np.eye(4)
    a[:3, :3] = d * np.array(img.GetSpacing())
    a[:3, 3] = img.GetOrigin()
    return LPS_TO_RAS @ a


def _mask_image(shape=(12, 10, 7), dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    data = (rng.random(shape) > 0.6).astype(dtype)
    affine = np.array([[-0.7, 0, 0, 90.0], [0, -0.7, 0, 120.0], [0, 0, 2.5, -60.0], [0, 0, 0, 1]])
    img = nib.Nifti1Image(data, affine)
    img.header.set_qform(affine, code=1)
    img.header.set_sform(affine, code=2)
    img.header["descrip"] = b"dicegui test"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"a comment that must survive"))
    return img, data, affine


def _decompressed(path):
    raw = open(path, "rb").read()
    return gzip.decompress(raw) if str(path).endswith(".gz") else raw


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_round_trip_unchanged_is_byte_identical(tmp_path, suffix):
    img, data, affine = _mask_image()
    src = tmp_path / f"mask{suffix}"
    img.to_filename(src)

    vol = load_volume(src)
    out = save_volume(vol, vol.data, tmp_path / f"copy{suffix}")

    assert vol.source_format == "nifti" and vol.data.dtype == np.uint8
    np.testing.assert_array_equal(vol.data, data)
    np.testing.assert_allclose(vol.affine, affine, atol=1e-6)
    # Header, extension, padding and voxels: the same bytes nibabel wrote.
    assert _decompressed(out) == _decompressed(src)
    back = nib.load(out)
    assert int(back.header["qform_code"]) == 1 and int(back.header["sform_code"]) == 2
    assert back.header.extensions[0].get_content() == b"a comment that must survive"


def test_header_slope_one_kept_where_nibabel_would_reset_it(tmp_path):
    img, data, _ = _mask_image()
    src = tmp_path / "m.nii"
    img.to_filename(src)
    # Patch scl_slope = 1, scl_inter = 0 into the file (offsets 112 and 116).
    raw = bytearray(open(src, "rb").read())
    raw[112:120] = struct.pack("<ff", 1.0, 0.0)
    open(src, "wb").write(bytes(raw))
    vol = load_volume(src)
    assert vol.data.dtype == np.uint8  # slope 1: no float scaling of a mask
    out = save_volume(vol, vol.data, tmp_path / "out.nii")
    assert open(out, "rb").read() == bytes(raw)
    with open(out, "rb") as fh:  # nib.load would hide the stored slope
        hdr = nib.Nifti1Header.from_fileobj(fh)
    assert float(hdr["scl_slope"]) == 1.0 and float(hdr["scl_inter"]) == 0.0


def test_scaled_int16_image_round_trips_raw_values(tmp_path):
    raw = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(np.int16)
    hdr.set_data_shape(raw.shape)
    hdr.set_slope_inter(0.5, 10.0)
    hdr["vox_offset"] = 352
    src = tmp_path / "scaled.nii.gz"
    with gzip.open(src, "wb") as fh:  # written by hand: header, 4 zero bytes, voxels
        fh.write(hdr.binaryblock + b"\x00" * 4 + raw.tobytes(order="F"))

    vol = load_volume(src)
    np.testing.assert_allclose(vol.data, raw * 0.5 + 10.0)
    out = save_volume(vol, vol.data, tmp_path / "again.nii.gz")
    assert _decompressed(out) == _decompressed(src)


def test_values_that_no_longer_fit_widen_the_type(tmp_path):
    img, data, _ = _mask_image()
    src = tmp_path / "m.nii.gz"
    img.to_filename(src)
    vol = load_volume(src)
    edited = vol.data.astype(np.int32)
    edited[0, 0, 0] = 300
    out = save_volume(vol, edited, tmp_path / "wide.nii.gz")
    back = load_volume(out)
    np.testing.assert_array_equal(back.data, edited)
    assert back.data.dtype == np.uint16
    np.testing.assert_allclose(back.affine, vol.affine)


def test_2d_nifti_is_one_slice_and_saves_back_2d(tmp_path):
    data = np.arange(12, dtype=np.uint8).reshape(3, 4)
    nib.Nifti1Image(data, np.diag([0.5, 0.5, 1, 1])).to_filename(tmp_path / "flat.nii")
    vol = load_volume(tmp_path / "flat.nii")
    assert vol.shape == (3, 4, 1) and vol.is_2d
    np.testing.assert_array_equal(vol.data[:, :, 0], data)
    out = save_volume(vol, vol.data, tmp_path / "flat2.nii")
    assert nib.load(out).shape == (3, 4)
    assert open(out, "rb").read() == open(tmp_path / "flat.nii", "rb").read()


def test_trailing_singleton_4d_is_squeezed_real_4d_refused(tmp_path):
    d4 = np.zeros((3, 4, 5, 1), dtype=np.uint8)
    nib.Nifti1Image(d4, np.eye(4)).to_filename(tmp_path / "one.nii.gz")
    vol = load_volume(tmp_path / "one.nii.gz")
    assert vol.shape == (3, 4, 5) and not vol.is_2d
    out = save_volume(vol, vol.data, tmp_path / "one2.nii.gz")
    assert nib.load(out).shape == (3, 4, 5, 1)
    # a few volumes may be a network's channels: said, with how to read them (a LoadError still)
    with pytest.raises(LoadError, match=r"example4d.nii.gz: 4-D NIfTI \(128×96×24×2\): 2 channels .* --softmax"):
        load_volume(os.path.join(data_path, "example4d.nii.gz"))
    many = np.zeros((3, 4, 5, 70), dtype=np.uint8)  # more than any channel count: a time series
    nib.Nifti1Image(many, np.eye(4)).to_filename(tmp_path / "series.nii.gz")
    with pytest.raises(LoadError, match=r"series.nii.gz: 4-D NIfTI \(3×4×5×70, 70 volumes\)"):
        load_volume(tmp_path / "series.nii.gz")


def test_big_endian_file_gives_native_data_and_keeps_its_header(tmp_path):
    src = os.path.join(data_path, "anatomical.nii")  # big-endian int16
    vol = load_volume(src)
    assert vol.data.dtype == np.dtype("int16") and vol.data.dtype.isnative
    ref = sitk.ReadImage(src)
    np.testing.assert_array_equal(vol.data, sitk.GetArrayFromImage(ref).transpose(2, 1, 0))
    np.testing.assert_allclose(vol.affine, _sitk_affine(ref), atol=1e-4)
    out = save_volume(vol, vol.data, tmp_path / "anat.nii")
    assert open(out, "rb").read()[:348] == open(src, "rb").read()[:348]
    np.testing.assert_array_equal(np.asanyarray(nib.load(out).dataobj), vol.data)


@pytest.mark.parametrize("name", ["anatomical.nii", "standard.nii.gz", "reoriented_anat_moved.nii",
                                  ])
def test_nibabel_sample_files_agree_with_simpleitk(name):
    src = os.path.join(data_path, name)
    vol = load_volume(src)
    ref = sitk.ReadImage(src)
    np.testing.assert_allclose(vol.data, sitk.GetArrayFromImage(ref).transpose(2, 1, 0))
    np.testing.assert_allclose(vol.affine, _sitk_affine(ref), atol=1e-4)
    assert vol.orientation() == "".join(nib.aff2axcodes(_sitk_affine(ref)))


def test_nifti2_sample_refused_as_4d_but_3d_nifti2_round_trips(tmp_path):
    with pytest.raises(LoadError, match="4-D"):
        load_volume(os.path.join(data_path, "example_nifti2.nii.gz"))
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    nib.Nifti2Image(data, np.diag([2, 2, 2, 1])).to_filename(tmp_path / "n2.nii")
    vol = load_volume(tmp_path / "n2.nii")
    out = save_volume(vol, vol.data, tmp_path / "n2b.nii")
    assert open(out, "rb").read() == open(tmp_path / "n2.nii", "rb").read()


def _absurd_header(tmp_path, gz):
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(np.float64)
    hdr.set_data_shape((30000, 30000, 30000))
    path = tmp_path / ("absurd.nii.gz" if gz else "absurd.nii")
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        hdr.write_to(fh)
        fh.write(b"\x00" * 1000)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_absurd_dimensions_refused_before_reading(tmp_path, gz):
    path = _absurd_header(tmp_path, gz)
    with pytest.raises(LoadError, match=r"absurd.nii(.gz)?: header declares voxel data of 30000×30000×30000 × 8 bytes"):
        load_volume(path)


def test_memory_guard_uses_available_memory(tmp_path, monkeypatch):
    img, _, _ = _mask_image(shape=(40, 40, 40))
    img.to_filename(tmp_path / "m.nii.gz")
    monkeypatch.setattr(limits, "available_memory", lambda: 10_000)
    with pytest.raises(LoadError, match="more than"):
        load_volume(tmp_path / "m.nii.gz")


def test_truncated_and_corrupt_files_refused(tmp_path):
    img, _, _ = _mask_image()
    img.to_filename(tmp_path / "m.nii")
    raw = open(tmp_path / "m.nii", "rb").read()
    (tmp_path / "short.nii").write_bytes(raw[:-100])
    with pytest.raises(LoadError, match="short.nii: truncated"):
        load_volume(tmp_path / "short.nii")
    (tmp_path / "short.nii.gz").write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(LoadError, match="short.nii.gz: "):
        load_volume(tmp_path / "short.nii.gz")
    (tmp_path / "junk.nii.gz").write_bytes(b"this is not a nifti file at all" * 20)
    with pytest.raises(LoadError, match="junk.nii.gz: cannot read NIfTI header"):
        load_volume(tmp_path / "junk.nii.gz")
    with pytest.raises(LoadError, match="missing.nii.gz: no such file"):
        load_volume(tmp_path / "missing.nii.gz")


def test_error_messages_are_one_line(tmp_path):
    (tmp_path / "junk.nii").write_bytes(b"\x00" * 10)
    with pytest.raises(LoadError) as err:
        load_volume(tmp_path / "junk.nii")
    assert "\n" not in str(err.value)


def test_nifti_saved_from_another_format_gets_a_proper_header(tmp_path):
    data = np.arange(24, dtype=np.uint16).reshape(2, 3, 4)
    np.save(tmp_path / "a.npy", data)
    vol = load_volume(tmp_path / "a.npy")
    out = save_volume(vol, vol.data, tmp_path / "a.nii.gz")
    back = nib.load(out)
    np.testing.assert_array_equal(np.asanyarray(back.dataobj), data)
    assert back.get_data_dtype() == np.uint8  # smallest type that holds 0…23
    assert int(back.header["sform_code"]) == 1 and int(back.header["qform_code"]) == 1
    np.testing.assert_allclose(back.affine, np.eye(4))
