"""core.io.formats: names of formats, and why a path cannot be reached."""
import os

import pytest

from dicegui.core.io import LoadError, load_volume
from dicegui.core.io.formats import format_for_save, format_from_name, unreachable_reason


def test_a_symlink_loop_is_called_a_symlink_loop_not_a_missing_file(tmp_path):
    os.symlink("b.nii.gz", tmp_path / "a.nii.gz")
    os.symlink("a.nii.gz", tmp_path / "b.nii.gz")
    os.symlink("loop_dir", tmp_path / "loop_dir")
    for path in (tmp_path / "a.nii.gz", tmp_path / "loop_dir" / "x.nii.gz"):
        assert not path.exists()  # why callers must not stop at exists()
        assert "symlink loop" in unreachable_reason(path)
        with pytest.raises(LoadError, match="symlink loop"):
            load_volume(path)


def test_missing_and_broken_links_are_told_apart(tmp_path):
    os.symlink("gone.nii.gz", tmp_path / "broken.nii.gz")
    assert "broken symbolic link to gone.nii.gz" in unreachable_reason(tmp_path / "broken.nii.gz")
    assert "no such file" in unreachable_reason(tmp_path / "none.nii.gz")
    (tmp_path / "here.nii.gz").write_bytes(b"x")
    assert unreachable_reason(tmp_path / "here.nii.gz") is None


def test_nhdr_is_nrrd_for_reading_and_saving():
    assert format_from_name("mask.nhdr") == "nrrd"
    assert format_for_save("mask.NHDR", "nifti") == "nrrd"
