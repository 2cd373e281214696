"""Saving into a full disk or a read-only folder: a SaveError, and nothing lost.

After a failed save the original file is byte for byte what it was, no
temporary file is left behind, and the edited masks in memory are untouched,
so the same save succeeds once there is room.
"""
import errno
import io
import os
import shutil
import subprocess

import nibabel as nib
import numpy as np
import pytest

from dicegui.core.io import SaveError, load_case, load_volume, save_mask
from dicegui.core.io import atomic

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

SUFFIXES = [".nii.gz", ".nii", ".nrrd", ".seg.nrrd", ".png", ".tif", ".npy", ".npz"]


def _write_mask(path, suffix):
    rng = np.random.default_rng(4)
    if suffix == ".png":
        from PIL import Image

        Image.fromarray(((rng.random((30, 26)) > 0.6) * 255).astype(np.uint8)).save(path)
        return
    data = (rng.random((30, 26, 9)) > 0.6).astype(np.uint8)
    if suffix.startswith(".nii"):
        nib.Nifti1Image(data, np.diag([0.7, 0.7, 3.0, 1.0])).to_filename(path)
    elif suffix.endswith("nrrd"):
        import nrrd

        nrrd.write(str(path), data, {"space": "left-posterior-superior", "space directions": np.eye(3),
                                     "encoding": "gzip"})
    elif suffix == ".tif":
        import tifffile

        tifffile.imwrite(path, np.moveaxis(data, -1, 0))
    elif suffix == ".npy":
        np.save(path, data)
    else:
        np.savez_compressed(path, data=data, spacing=np.array([0.7, 0.7, 3.0]))


def _edited_case(tmp_path, suffix):
    path = tmp_path / f"mask{suffix}"
    _write_mask(path, suffix)
    case = load_case(gt=path)
    case.gt_mask[:5] = 1 - case.gt_mask[:5]  # unsaved edits
    return path, case


class _FullDiskFile(io.FileIO):
    """A real file whose raw writes fail with ENOSPC once ``room`` bytes are on disk.

    The failure comes from the lowest level, like ``os.write`` on a full
    disk: buffered writers see it when they flush, wherever that happens.
    """

    def __init__(self, name, mode, room):
        super().__init__(name, mode)
        self._room = room

    def write(self, data):
        n = memoryview(data).nbytes
        if n > self._room:
            written = super().write(memoryview(data).cast("B")[: self._room]) if self._room else 0
            self._room -= written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= n
        return super().write(data)


def _disk_with_room(room):
    real_open = open

    def full_open(file, mode="r", *args, **kwargs):
        if mode in ("wb", "w+b"):
            # BufferedRandom rather than BufferedWriter: NumPy hands a
            # BufferedWriter's descriptor to C (ndarray.tofile), past Python.
            return io.BufferedRandom(_FullDiskFile(file, "w+", room))
        return real_open(file, mode, *args, **kwargs)

    return full_open


def _assert_nothing_lost(path, before_bytes, listing, case, edited):
    assert path.read_bytes() == before_bytes
    assert sorted(os.listdir(path.parent)) == listing
    np.testing.assert_array_equal(case.gt_mask, edited)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("room", [0, 200], ids=["full", "fills-up-mid-file"])
def test_full_disk_raises_save_error_and_loses_nothing(tmp_path, monkeypatch, suffix, room):
    path, case = _edited_case(tmp_path, suffix)
    before, listing, edited = path.read_bytes(), sorted(os.listdir(tmp_path)), case.gt_mask.copy()
    monkeypatch.setattr(atomic, "open", _disk_with_room(room), raising=False)
    for target, overwrite in ((path, True), (None, False)):  # over the original, and beside it
        with pytest.raises(SaveError) as info:
            save_mask(case, "gt", target, overwrite=overwrite)
        message = str(info.value)
        assert "No space left on device" in message and "mask" in message and "\n" not in message
        _assert_nothing_lost(path, before, listing, case, edited)
    # Room again: the very same edits are saved.
    monkeypatch.undo()
    out = save_mask(case, "gt", path, overwrite=True)
    again = load_case(gt=out)
    np.testing.assert_array_equal(again.gt_mask, edited)


def test_error_reported_at_fsync_also_loses_nothing(tmp_path, monkeypatch):
    # NFS and quotas often report a full disk only when the data is flushed.
    path, case = _edited_case(tmp_path, ".nii.gz")
    before, listing, edited = path.read_bytes(), sorted(os.listdir(tmp_path)), case.gt_mask.copy()

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(SaveError, match="mask.nii.gz: cannot write: .*No space left"):
        save_mask(case, "gt", path, overwrite=True)
    _assert_nothing_lost(path, before, listing, case, edited)


def test_folder_refusing_new_files_raises_save_error(tmp_path, monkeypatch):
    path, case = _edited_case(tmp_path, ".nii.gz")
    before, listing, edited = path.read_bytes(), sorted(os.listdir(tmp_path)), case.gt_mask.copy()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(SaveError, match="mask_corrected.nii.gz: cannot write: .*Permission denied"):
        save_mask(case, "gt")
    _assert_nothing_lost(path, before, listing, case, edited)


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody can create files in: chmod for users, ``chattr +i`` for root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    yield folder
    # (set up by the test once its files are in place; undone here)
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    os.chmod(folder, 0o755)


def _lock(folder):
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)],
                                                     capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no read-only folder to test")


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_real_read_only_folder(read_only_folder):
    path, case = _edited_case(read_only_folder, ".nii.gz")
    before, listing, edited = path.read_bytes(), sorted(os.listdir(read_only_folder)), case.gt_mask.copy()
    _lock(read_only_folder)
    for target, overwrite in ((None, False), (path, True)):
        with pytest.raises(SaveError) as info:
            save_mask(case, "gt", target, overwrite=overwrite)
        assert "cannot write" in str(info.value) and "mask" in str(info.value)
        _assert_nothing_lost(path, before, listing, case, edited)


def test_dicom_series_on_a_full_disk_keeps_the_old_series(tmp_path, monkeypatch):
    from pydicom.data import get_testdata_file

    from dicegui.core.io import dicom, save_volume

    vol = load_volume(get_testdata_file("CT_small.dcm"))
    vol.is_2d = False
    series = save_volume(vol, vol.data, tmp_path / "series")
    before = {p.name: p.read_bytes() for p in series.iterdir()}
    real = dicom._write_ds

    def full(fh, ds):
        fh.write(b"\0" * 100)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(dicom, "_write_ds", full)
    with pytest.raises(SaveError, match="series: cannot write: .*No space left"):
        save_volume(vol, vol.data + 1, series, overwrite=True)
    assert {p.name: p.read_bytes() for p in series.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["series"]
    monkeypatch.setattr(dicom, "_write_ds", real)
    save_volume(vol, vol.data + 1, series, overwrite=True)
    np.testing.assert_array_equal(load_volume(series).data, vol.data + 1)
