"""PNG/TIFF/JPEG/BMP: scikit-image sample pictures, colour rules, bombs, round trips."""
import os
import struct
import zlib

import numpy as np
import pytest
import skimage.data
import skimage.io
import tifffile
from PIL import Image

from dicegui.core.io import LoadError, SaveError, load_volume, save_volume
from dicegui.core.io import limits


def test_camera_png_round_trip(tmp_path):
    camera = skimage.data.camera()
    skimage.io.imsave(tmp_path / "camera.png", camera, check_contrast=False)
    vol = load_volume(tmp_path / "camera.png")
    assert vol.shape == (512, 512, 1) and vol.is_2d and vol.data.dtype == np.uint8
    np.testing.assert_array_equal(vol.data[:, :, 0], camera)
    np.testing.assert_array_equal(vol.affine, np.eye(4))
    assert vol.spacing == (1.0, 1.0, 1.0)
    out = save_volume(vol, vol.data, tmp_path / "again.png")
    np.testing.assert_array_equal(skimage.io.imread(out), camera)


@pytest.mark.parametrize("name", ["coins.png", "camera.png", "moon.png"])
def test_scikit_image_data_files(name):
    path = os.path.join(skimage.data.data_dir, name)
    vol = load_volume(path)
    np.testing.assert_array_equal(vol.data[:, :, 0], skimage.io.imread(path))


def test_rgb_with_equal_channels_is_gray_and_colour_is_flagged():
    gray = load_volume(os.path.join(skimage.data.data_dir, "chessboard_RGB.png"))
    rgb = skimage.io.imread(os.path.join(skimage.data.data_dir, "chessboard_RGB.png"))
    np.testing.assert_array_equal(gray.data[:, :, 0], rgb[..., 0])
    assert gray.meta.get("channels_equal") and not gray.meta.get("color")
    colour = load_volume(os.path.join(skimage.data.data_dir, "color.png"))
    assert colour.meta["color"] and colour.shape[2] == 1
    assert any("colour" in w for w in colour.meta["warnings"])


def test_jpeg_reads_but_is_never_written(tmp_path):
    path = os.path.join(skimage.data.data_dir, "retina.jpg")
    vol = load_volume(path)
    assert vol.shape == (1411, 1411, 1)
    with pytest.raises(SaveError, match="JPEG is lossy"):
        save_volume(vol, vol.data, tmp_path / "x.jpg")
    assert not (tmp_path / "x.jpg").exists()


def test_16bit_png_palette_png_and_bmp_round_trip(tmp_path):
    deep = (np.arange(30 * 40).reshape(30, 40) * 50).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    vol = load_volume(tmp_path / "deep.png")
    assert vol.data.dtype == np.uint16
    np.testing.assert_array_equal(vol.data[:, :, 0], deep)
    out = save_volume(vol, vol.data, tmp_path / "deep2.png")
    np.testing.assert_array_equal(np.asarray(Image.open(out)), deep)

    labels = np.zeros((10, 12), np.uint8)
    labels[2:5, 2:5] = 1
    labels[6:9, 6:9] = 2
    pal = Image.frombytes("P", (12, 10), labels.tobytes())
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9))
    pal.save(tmp_path / "pal.png")
    vol = load_volume(tmp_path / "pal.png")
    np.testing.assert_array_equal(vol.data[:, :, 0], labels)  # indices, not colours
    out = save_volume(vol, vol.data, tmp_path / "pal2.png")
    back = Image.open(out)
    assert back.mode == "P" and back.getpalette()[:9] == [0, 0, 0, 255, 0, 0, 0, 255, 0]
    np.testing.assert_array_equal(np.asarray(back), labels)

    Image.fromarray(labels * 100).save(tmp_path / "m.bmp")
    vol = load_volume(tmp_path / "m.bmp")
    out = save_volume(vol, vol.data, tmp_path / "m2.bmp")
    np.testing.assert_array_equal(np.asarray(Image.open(out)), labels * 100)


def test_png_refuses_values_it_cannot_hold(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "z.png")
    vol = load_volume(tmp_path / "z.png")
    with pytest.raises(SaveError, match="do not fit"):
        save_volume(vol, np.full((4, 4, 1), 70000, np.int32), tmp_path / "big.png")
    with pytest.raises(SaveError, match="do not fit"):
        save_volume(vol, np.full((4, 4, 1), 300, np.int32), tmp_path / "big.bmp")


def test_tiff_stack_and_planar_rgb(tmp_path):
    path = os.path.join(skimage.data.data_dir, "multipage.tif")
    vol = load_volume(path)
    pages = tifffile.imread(path)
    assert vol.shape == (pages.shape[1], pages.shape[2], pages.shape[0]) and not vol.is_2d
    np.testing.assert_array_equal(vol.data, np.moveaxis(pages, 0, -1))
    out = save_volume(vol, vol.data, tmp_path / "stack.tif")
    np.testing.assert_array_equal(tifffile.imread(out), pages)
    rgb = load_volume(os.path.join(skimage.data.data_dir, "multipage_rgb.tif"))
    assert rgb.meta["color"] and rgb.shape == (10, 10, 2)


def test_tiff_2d_float_round_trip(tmp_path):
    data = np.random.default_rng(0).random((7, 9)).astype(np.float32)
    tifffile.imwrite(tmp_path / "f.tif", data, compression="zlib")
    vol = load_volume(tmp_path / "f.tif")
    assert vol.is_2d and vol.data.dtype == np.float32
    out = save_volume(vol, vol.data, tmp_path / "f2.tif")
    np.testing.assert_array_equal(tifffile.imread(out), data)


def _png_header_only(path, width, height):
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
                     + chunk(b"IEND", b""))


def test_decompression_bomb_refused_from_header(tmp_path, monkeypatch):
    _png_header_only(tmp_path / "bomb.png", 60000, 60000)  # 3.6 G pixels declared in 80 bytes
    with pytest.raises(LoadError, match="bomb.png: "):
        load_volume(tmp_path / "bomb.png")
    _png_header_only(tmp_path / "big.png", 5000, 4000)
    monkeypatch.setattr(limits, "available_memory", lambda: 1_000_000)
    with pytest.raises(LoadError, match="big.png: header declares pixels of 4000×5000×1 × 1 bytes"):
        load_volume(tmp_path / "big.png")


def test_corrupt_and_unknown_files(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(LoadError, match="bad.png: cannot read image"):
        load_volume(tmp_path / "bad.png")
    (tmp_path / "notes.xyz").write_text("hello")
    with pytest.raises(LoadError, match="notes.xyz: unknown file type"):
        load_volume(tmp_path / "notes.xyz")


def test_format_sniffed_without_suffix(tmp_path):
    Image.fromarray(np.eye(5, dtype=np.uint8)).save(tmp_path / "a.png")
    os.rename(tmp_path / "a.png", tmp_path / "no_suffix")
    vol = load_volume(tmp_path / "no_suffix")
    np.testing.assert_array_equal(vol.data[:, :, 0], np.eye(5))


def test_real_sam_med2d_mask(shared_data, tmp_path):
    path = shared_data / "sam_med2d_demo" / "masks" / "amos_0006_90_liver_000.png"
    vol = load_volume(path)
    raw = skimage.io.imread(path)
    np.testing.assert_array_equal(vol.data[:, :, 0], raw)
    assert set(np.unique(raw)) == {0, 255}
    out = save_volume(vol, vol.data, tmp_path / "liver.png")
    np.testing.assert_array_equal(skimage.io.imread(out), raw)
