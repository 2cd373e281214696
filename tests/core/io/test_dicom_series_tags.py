"""DICOM series whose tags would silently change pixels or grid: refused naming the file and the tag."""
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicegui.core.io import LoadError, load_volume


def _series(folder, n=3, edit=None):
    """n slices of CT_small.dcm, 5 mm apart; ``edit(k, ds)`` changes slice k."""
    folder.mkdir()
    uid = pydicom.uid.generate_uid()
    for k in range(n):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.ImagePositionPatient = [0, 0, 5.0 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SeriesInstanceUID, ds.SOPInstanceUID = uid, pydicom.uid.generate_uid()
        if edit:
            edit(k, ds)
        ds.save_as(folder / f"s{k}.dcm")
    return folder


def test_the_unchanged_series_loads(tmp_path):
    vol = load_volume(_series(tmp_path / "ok"))
    ref = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    assert vol.data.shape == (ref.Rows, ref.Columns, 3)
    np.testing.assert_allclose(vol.spacing, [*map(float, ref.PixelSpacing), 5.0])


def _set(keyword, value, slice_k):
    def edit(k, ds):
        if k == slice_k:
            setattr(ds, keyword, value)
    return edit


@pytest.mark.parametrize("keyword, value, slice_k, words", [
    ("PixelSpacing", [0.5, 0.5], 1, ["s1.dcm", "PixelSpacing", "(0028,0030)", "differ"]),
    ("PixelSpacing", [-0.66, 0.66], 2, ["s2.dcm", "PixelSpacing", "positive"]),
    ("PixelSpacing", [0, 0.66], 0, ["s0.dcm", "PixelSpacing", "positive"]),
    ("RescaleSlope", 0, 1, ["s1.dcm", "RescaleSlope", "(0028,1053)"]),
    ("PhotometricInterpretation", "MONOCHROME1", 2, ["s2.dcm", "MONOCHROME1", "MONOCHROME2", "(0028,0004)"]),
])
def test_a_slice_that_breaks_the_series_is_named(keyword, value, slice_k, words, tmp_path):
    folder = _series(tmp_path / "bad", edit=_set(keyword, value, slice_k))
    with pytest.raises(LoadError) as info:
        load_volume(folder)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_a_single_file_with_negative_spacing_is_refused(tmp_path):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PixelSpacing = [0.66, -0.66]
    ds.save_as(tmp_path / "one.dcm")
    with pytest.raises(LoadError, match=r"one\.dcm: PixelSpacing \(0028,0030\)"):
        load_volume(tmp_path / "one.dcm")
