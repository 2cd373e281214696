"""Pictures: our size limits instead of Pillow's, and TIFF files holding more than one image."""
import struct
import zlib

import numpy as np
import pytest
import tifffile

from dicegui.core.io import LoadError, load_volume


def _gray_png(path, width, height, value=0):
    """An 8-bit gray PNG written row by row with zlib (no Pillow: the reader is what is tested)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" + bytes([value]) * width  # filter byte 0, then the pixels
    comp = zlib.compressobj(1)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_a_real_16000_square_png_loads_although_pillow_would_refuse_it(tmp_path):
    from PIL import Image

    path = tmp_path / "big.png"
    _gray_png(path, 16000, 16000, value=3)
    assert 16000 * 16000 > 2 * Image.MAX_IMAGE_PIXELS  # Pillow's own limit says no
    vol = load_volume(path)
    assert vol.data.shape == (16000, 16000, 1)
    assert vol.data[0, 0, 0] == 3 and vol.data[-1, -1, 0] == 3
    assert Image.MAX_IMAGE_PIXELS is not None  # the global is restored


def test_a_tiff_with_a_second_series_is_refused_naming_both(tmp_path):
    path = tmp_path / "two.tif"
    with tifffile.TiffWriter(path) as tw:
        tw.write(np.zeros((3, 5, 6), np.uint8), photometric="minisblack")
        tw.write(np.ones((7, 8), np.uint16), photometric="minisblack")
    with pytest.raises(LoadError, match=r"two\.tif: TIFF holds 2 images.*3×5×6 uint8.*7×8 uint16"):
        load_volume(path)


def test_a_stack_with_an_odd_extra_page_is_refused(tmp_path):
    path = tmp_path / "odd.tif"
    with tifffile.TiffWriter(path) as tw:
        tw.write(np.zeros((4, 5, 6), np.uint8), photometric="minisblack")
        tw.write(np.zeros((9, 6), np.uint8), photometric="minisblack")
    with pytest.raises(LoadError, match="TIFF holds 2 images"):
        load_volume(path)


def test_a_plain_stack_still_loads(tmp_path):
    data = np.random.default_rng(0).integers(0, 3, (4, 5, 6), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "stack.tif", data, photometric="minisblack")
    np.testing.assert_array_equal(load_volume(tmp_path / "stack.tif").data, np.moveaxis(data, 0, -1))


def test_a_reduced_resolution_preview_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "preview.tif"
    data = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    with tifffile.TiffWriter(path) as tw:
        tw.write(data, photometric="minisblack")
        tw.write(data[::4, ::4], photometric="minisblack", subfiletype=1)  # FILETYPE_REDUCEDIMAGE
    vol = load_volume(path)
    np.testing.assert_array_equal(vol.data[:, :, 0], data)
    assert any("preview" in w for w in vol.meta["warnings"])
