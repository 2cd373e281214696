"""core.io.dicom_deflate: deflated DICOM read within a budget, same pixels as pydicom's own reading."""
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import DeflatedExplicitVRLittleEndian

from dicegui.core.io import LoadError, load_volume
from dicegui.core.io.dicom_deflate import HEADER_BUDGET


def _deflated(path, rows, cols, private_bytes=0):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    pixels = np.random.default_rng(3).integers(0, 4000, (rows, cols)).astype(np.int16)
    ds.Rows, ds.Columns = rows, cols
    ds.PixelData = pixels.tobytes()
    if private_bytes:
        ds.add_new(0x00091010, "OB", b"\0" * private_bytes)
    ds.save_as(path, implicit_vr=False, little_endian=True)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    return pixels


def test_a_deflated_file_with_pixels_beyond_the_header_budget_loads(tmp_path):
    path = tmp_path / "big.dcm"
    pixels = _deflated(path, 3000, 3000)  # 18 MB of pixels: more than the header budget
    assert pixels.nbytes > HEADER_BUDGET
    ref = pydicom.dcmread(path)
    assert ref.file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian
    vol = load_volume(path)
    slope, inter = float(ref.RescaleSlope), float(ref.RescaleIntercept)
    np.testing.assert_array_equal(vol.data[:, :, 0], ref.pixel_array * slope + inter)


def test_a_large_element_before_the_pixels_is_named(tmp_path):
    path = tmp_path / "private.dcm"
    _deflated(path, 16, 16, private_bytes=HEADER_BUDGET + (1 << 20))
    with pytest.raises(LoadError, match=r"private\.dcm: deflated DICOM header larger .*\(0009,1010\) OB"):
        load_volume(path)
