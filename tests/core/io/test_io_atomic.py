"""Atomic saving: a crash mid-write leaves the old file intact and no debris."""
import os

import nibabel as nib
import numpy as np
import pytest

from dicegui.core.io import SaveError, load_case, load_volume, save_mask, save_volume
from dicegui.core.io import atomic, nifti


class Boom(RuntimeError):
    pass


def _mask(tmp_path, name="m.nii.gz"):
    data = np.zeros((20, 20, 30), np.uint8)
    data[5:10, 5:10, 5:10] = 1
    nib.Nifti1Image(data, np.eye(4)).to_filename(tmp_path / name)
    return tmp_path / name


def test_crash_mid_write_leaves_original_untouched_and_no_temp_files(tmp_path, monkeypatch):
    path = _mask(tmp_path)
    before = path.read_bytes()
    vol = load_volume(path)
    real = nifti._write_fortran

    def crash_halfway(stream, raw):
        stream.write(raw[..., : raw.shape[-1] // 2].tobytes(order="F"))  # half the voxels are out
        raise Boom("disk pulled out")

    monkeypatch.setattr(nifti, "_write_fortran", crash_halfway)
    with pytest.raises(Boom):
        save_volume(vol, 1 - vol.data, path, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.nii.gz"]
    monkeypatch.setattr(nifti, "_write_fortran", real)
    save_volume(vol, 1 - vol.data, path, overwrite=True)
    np.testing.assert_array_equal(load_volume(path).data, 1 - vol.data)
    assert sorted(os.listdir(tmp_path)) == ["m.nii.gz"]


def test_crash_in_rename_leaves_nothing_behind(tmp_path, monkeypatch):
    path = _mask(tmp_path)
    case = load_case(gt=path)

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(SaveError, match="m_corrected.nii.gz: cannot write: .*No space left"):
        save_mask(case, "gt")
    assert sorted(os.listdir(tmp_path)) == ["m.nii.gz"]


def test_existing_file_needs_overwrite(tmp_path):
    path = _mask(tmp_path)
    vol = load_volume(path)
    with pytest.raises(SaveError, match="m.nii.gz: file exists; pass overwrite=True"):
        save_volume(vol, vol.data)
    with pytest.raises(SaveError, match="does not exist"):
        save_volume(vol, vol.data, tmp_path / "no_such_dir" / "x.nii.gz")
    with pytest.raises(SaveError, match="shape"):
        save_volume(vol, vol.data[:-1], tmp_path / "y.nii.gz")


def test_permissions_of_the_replaced_file_are_kept(tmp_path):
    path = _mask(tmp_path)
    os.chmod(path, 0o640)
    vol = load_volume(path)
    save_volume(vol, vol.data, overwrite=True)
    assert (os.stat(path).st_mode & 0o777) == 0o640
    new = save_volume(vol, vol.data, tmp_path / "new.nii.gz")
    umask = os.umask(0)
    os.umask(umask)
    assert (os.stat(new).st_mode & 0o777) == (0o666 & ~umask)


def test_series_folder_crash_keeps_old_folder(tmp_path, monkeypatch):
    from pydicom.data import get_testdata_file

    from dicegui.core.io import dicom

    vol = load_volume(get_testdata_file("CT_small.dcm"))
    vol.is_2d = False
    out = save_volume(vol, vol.data, tmp_path / "series")
    before = sorted(os.listdir(out))

    def crash(fh, ds):
        fh.write(b"partial")
        raise Boom("crash")

    monkeypatch.setattr(dicom, "_write_ds", crash)
    with pytest.raises(Boom):
        save_volume(vol, vol.data, tmp_path / "series", overwrite=True)
    assert sorted(os.listdir(out)) == before
    assert sorted(os.listdir(tmp_path)) == ["series"]
    np.testing.assert_array_equal(load_volume(out).data, vol.data)
